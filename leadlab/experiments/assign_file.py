"""Assign the units of a file to arms and produce the ``assignments`` table ``leadlab ingest`` loads as it is.

:func:`assign_file` reads the file exactly as ``leadlab ingest`` reads it (CSV in UTF-8, UTF-8
with BOM or GB18030/GBK, Excel .xlsx, Parquet; :func:`leadlab.tabular.read_table` over the ingest
readers), finds the unit id column, hashes every id into an arm (:func:`leadlab.experiments.assign`)
and returns the rows of the store's ``assignments`` table: experiment_id, unit_type, unit_id, arm,
assigned_at.

Which column holds the unit id, in this order: ``column`` (a header of the file); the header a
``mapping`` file (the one given to ``leadlab ingest leads|reps``) maps to ``lead_id`` / ``rep_id``;
a header that *is* ``lead_id`` / ``rep_id`` (case and spaces ignored, as ingest matches them);
the only column of a one-column file. Anything else is a ConfigError naming the file and its
columns. A unit listed twice is a DataError naming the id and its rows (the store keeps one arm
per unit and experiment).

>>> import pandas as pd, tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> size = (folder / "units.csv").write_text("name,Lead ID\\nA,L1\\nB,L2\\nC,L3\\n", encoding="utf-8")
>>> res = assign_file(folder / "units.csv", salt="demo", assigned_at=pd.Timestamp("2026-12-01 09:00"))
>>> res.column, res.counts
('Lead ID', {'A': 2, 'B': 1})
>>> res.frame.columns.tolist()
['experiment_id', 'unit_type', 'unit_id', 'arm', 'assigned_at']
>>> res.frame.iloc[0].tolist()
['demo', 'lead', 'L1', 'B', Timestamp('2026-12-01 09:00:00')]
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from leadlab.errors import ConfigError, DataError
from leadlab.experiments.design import assign
from leadlab.i18n import _, fmt, ngettext
from leadlab.schema import ASSIGNMENTS, UNIT_TYPES, business_timezone

#: The table each unit type comes from, and its id column.
UNIT_TABLES = {"lead": ("leads", "lead_id"), "rep": ("reps", "rep_id")}


@dataclass
class AssignedUnits:
    """The assignments (rows of the store's ``assignments`` table), the file column the ids came from,
    and units per arm."""

    frame: pd.DataFrame
    column: str
    counts: dict[str, int] = field(default_factory=dict)


def _unit_column(headers: list[str], path: Path, unit_type: str, mapping: Path | None) -> str:
    """The header holding the unit id (see the module docstring)."""
    from leadlab.ingest.mapping import ColumnMapping

    table, id_col = UNIT_TABLES[unit_type]
    if mapping is not None:
        m = ColumnMapping.load(mapping, table)
        found = [h for h, c in m.resolve(headers)[0].items() if c == id_col]
        if not found:
            raise ConfigError(_("mapping file {mapping}: no column of {file} maps to {column}; add a line "
                                "'export header: {column}' or pass --column", mapping=Path(mapping).name,
                                file=path.name, column=id_col))
        return found[0]
    canonical = ColumnMapping.from_dict({}, table).resolve(headers)[0]
    found = [h for h, c in canonical.items() if c == id_col]
    if found:
        return found[0]
    if len(headers) == 1:
        return headers[0]
    shown = ", ".join(repr(h) for h in headers[:20])
    raise ConfigError(_("{file}: no column {column} among {columns}; name the unit id column with --column or a "
                        "--mapping file", file=path.name, column=id_col, columns=shown))


def _duplicates(ids: list[str], rows: list[int], where, path: Path, column: str) -> None:
    seen: dict[str, int] = {}
    dups: list[tuple[str, int, int]] = []
    for unit, row in zip(ids, rows):
        if unit in seen:
            dups.append((unit, seen[unit], row))
        else:
            seen[unit] = row
    if not dups:
        return
    unit, first, second = dups[0]
    details = [_("{unit} again at {where}", unit=repr(u), where=where(r)) for u, _f, r in dups[1:5]]
    if len(dups) > 5:
        details.append(ngettext("and {n} more repeated id", "and {n} more repeated ids", len(dups) - 5,
                                n=fmt.number(len(dups) - 5)))
    raise DataError(_("{file}, column {column}: unit {unit} is listed twice ({first} and {second}); each unit gets "
                      "one arm: remove the repeated rows", file=path.name, column=repr(column), unit=repr(unit),
                      first=where(first), second=where(second)), details=details)


def assign_file(path: str | Path, *, salt: str, arms=("A", "B"), weights=None, experiment_id: str | None = None,
                unit_type: str = "lead", column: str | None = None, mapping: str | Path | None = None,
                encoding: str | None = None, assigned_at: pd.Timestamp | None = None) -> AssignedUnits:
    """Assign every unit of the file at ``path`` to an arm (hash of ``salt`` and the id) and return
    the ``assignments`` rows: ``experiment_id`` (default: ``salt``), ``unit_type``, ``unit_id``,
    ``arm``, ``assigned_at`` (default: now, the business time zone's wall clock, to the second).
    ``encoding``: of a CSV (default: the mapping file's, else detected as ingest does)."""
    from leadlab.tabular import checked_ids, read_table

    path = Path(path)
    if unit_type not in UNIT_TABLES:
        raise ConfigError(_("option --unit: {value} is not a unit type; use {choices}", value=repr(unit_type),
                            choices=", ".join(UNIT_TYPES)))
    if mapping is not None and encoding is None:
        from leadlab.ingest.mapping import ColumnMapping

        encoding = ColumnMapping.load(mapping, UNIT_TABLES[unit_type][0]).encoding
    frame, raw = read_table(path, None if column is None else [column], encoding=encoding, option="--column")
    if column is None:
        column = _unit_column([str(c) for c in frame.columns], path, unit_type,
                              Path(mapping) if mapping is not None else None)
    name, ids, rows = checked_ids(frame[[column]], raw, path)
    _duplicates(ids, rows, raw.where, path, name)
    picked = assign(ids, salt=salt, arms=arms, weights=weights)
    if assigned_at is None:
        assigned_at = pd.Timestamp.now(tz=business_timezone()).tz_localize(None).floor("s")
    out = pd.DataFrame({"experiment_id": experiment_id or salt, "unit_type": unit_type, "unit_id": ids,
                        "arm": picked, "assigned_at": pd.Timestamp(assigned_at)}, index=range(len(ids)))
    out = out[list(ASSIGNMENTS.names)]
    return AssignedUnits(out, name, {a: picked.count(a) for a in arms})
