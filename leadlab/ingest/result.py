"""The result of one ingest: what was read and what changed in the store.

Facts only (counts, names, the format); :meth:`IngestResult.summary` and the HTML view are
written in the current language, the HTML table by :func:`leadlab.presentation.html_table`.
The result keeps :class:`leadlab.presentation.Result`'s interface (``title``, ``verdict``,
``notes``, ``summary``, ``to_pandas``, ``_repr_html_``) without inheriting from it, so the
ingest path does not import pandas.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from leadlab.i18n import _, fmt, ngettext, pgettext

if TYPE_CHECKING:
    import pandas as pd

#: The three outcomes of a row, in the order they are shown.
OUTCOMES = ("inserted", "updated", "unchanged")


def outcome_name(outcome: str, dry_run: bool = False) -> str:
    """``inserted`` / ``would be inserted`` / ``新增`` / ``将新增`` … in the current language."""
    names = {
        ("inserted", False): pgettext("ingest outcome", "inserted"),
        ("updated", False): pgettext("ingest outcome", "updated"),
        ("unchanged", False): pgettext("ingest outcome", "unchanged"),
        ("inserted", True): pgettext("ingest outcome", "would be inserted"),
        ("updated", True): pgettext("ingest outcome", "would be updated"),
        ("unchanged", True): pgettext("ingest outcome", "would be unchanged"),
    }
    return names[(outcome, bool(dry_run))]


@dataclass(repr=False)
class IngestResult:
    """Rows inserted / updated / unchanged by one ingest, and how the file was read.

    >>> r = IngestResult("reps", Path("reps.csv"), "duckdb://s.duckdb", "csv", "utf-8", 3, 2, 1, 0)
    >>> print(r.summary().splitlines()[0])
    reps ← reps.csv: 3 rows — 2 inserted, 1 updated, 0 unchanged
    """

    table: str
    path: Path
    store: str
    format: str
    encoding: str | None
    rows: int
    inserted: int
    updated: int
    unchanged: int
    columns: dict[str, str] = field(default_factory=dict)  # file header -> canonical column
    ignored: list[str] = field(default_factory=list)
    derived: list[str] = field(default_factory=list)
    pseudonymized: dict[str, int] = field(default_factory=dict)
    dry_run: bool = False
    seconds: float = 0.0
    mapped: list[str] = field(default_factory=list)  # what the mapping file did besides renames (notes)
    lifecycle: list[str] = field(default_factory=list)  # lifecycle columns derived from a status
    also: dict[str, tuple[int, int, int]] = field(default_factory=dict)  # second table written: counts
    preview: list[dict[str, str]] = field(default_factory=list)  # dry run: first rows after mapping

    def __repr__(self) -> str:
        return (f"IngestResult(table={self.table!r}, file={self.path.name!r}, rows={self.rows}, "
                f"inserted={self.inserted}, updated={self.updated}, unchanged={self.unchanged})")

    def _counts(self) -> dict[str, int]:
        return {"inserted": self.inserted, "updated": self.updated, "unchanged": self.unchanged}

    def title(self) -> str:
        """``reps ← reps.csv: 3 rows`` / ``reps ← reps.csv：3 行``."""
        return ngettext("{table} ← {file}: {n} row", "{table} ← {file}: {n} rows", self.rows,
                        table=self.table, file=self.path.name, n=fmt.number(self.rows))

    def notes(self) -> list[str]:
        """How the file was read and what was done to its columns, one line each."""
        out = []
        fields = {"format": self.format, "store": self.store, "seconds": fmt.number(self.seconds, 2)}
        if self.encoding:
            out.append(_("read as {format}, {encoding}; store {store}; {seconds}s", encoding=self.encoding, **fields))
        else:
            out.append(_("read as {format}; store {store}; {seconds}s", **fields))
        renamed = {h: c for h, c in self.columns.items() if h != c}
        if renamed:
            shown = pgettext("list separator", ", ").join(f"{h} → {c}" for h, c in list(renamed.items())[:6])
            if len(renamed) > 6:
                shown = _("{columns}, +{n} more", columns=shown, n=fmt.number(len(renamed) - 6))
            out.append(_("renamed {n} column(s): {columns}", n=fmt.number(len(renamed)), columns=shown))
        if self.pseudonymized:
            out.append(_("pseudonymized (keyed hash): {columns}", columns=", ".join(self.pseudonymized)))
        if self.derived and self.table == "calls":
            out.append(_("derived from disposition: {columns}", columns=", ".join(self.derived)))
        out += self.mapped
        if self.lifecycle:
            out.append(_("lifecycle from the status (at or before its time, unless a stage history gives exact "
                         "times): {columns}", columns=", ".join(self.lifecycle)))
        for table, (ins, upd, unch) in self.also.items():
            out.append(_("also written to {table}: {inserted} inserted, {updated} updated, {unchanged} unchanged",
                         table=table, inserted=fmt.number(ins), updated=fmt.number(upd), unchanged=fmt.number(unch)))
        if self.ignored:
            out.append(_("ignored (not canonical columns): {columns}", columns=", ".join(self.ignored)))
        if self.dry_run:
            out.append(_("dry run: nothing was written"))
        return out

    def verdict(self) -> str:
        """``2 inserted, 1 updated, 0 unchanged`` (``would be …`` for a dry run) in the current language."""
        parts = [_("{n} {outcome}", n=fmt.number(n), outcome=outcome_name(o, self.dry_run))
                 for o, n in self._counts().items()]
        return pgettext("list separator", ", ").join(parts)

    def summary(self) -> str:
        """A few lines for a terminal (a dry run adds the first rows after mapping)."""
        first = _("{title} — {counts}", title=self.title(), counts=self.verdict())
        return "\n".join([first] + [f"  {n}" for n in self.notes()] + preview_lines(self.preview))

    def to_pandas(self) -> "pd.DataFrame":
        """One row per outcome (inserted / updated / unchanged) with its row count."""
        import pandas as pd

        return pd.DataFrame({
            "table": [self.table] * 3,
            "file": [self.path.name] * 3,
            "outcome": list(OUTCOMES),
            "rows": [self.inserted, self.updated, self.unchanged],
        })

    def display_frame(self) -> "pd.DataFrame":
        """Outcome and row count, headers and words in the current language."""
        import pandas as pd

        return pd.DataFrame({pgettext("ingest column", "outcome"): [outcome_name(o, self.dry_run) for o in OUTCOMES],
                             pgettext("ingest column", "rows"): [fmt.number(n) for n in self._counts().values()]})

    def _repr_html_(self) -> str:
        from leadlab import safehtml
        from leadlab.presentation import html_table

        df = self.display_frame()
        notes = "".join(f"<p class='leadlab-note'>{safehtml.text(n)}</p>" for n in self.notes())
        return (f"<div class='leadlab-result'><h4>{safehtml.text(self.title())}</h4>"
                f"{html_table(df, align={df.columns[1]: 'right'})}{notes}</div>")

    def __str__(self) -> str:
        return self.summary()


PREVIEW_ROWS = 5


def preview_rows(db, spec) -> list[dict[str, str]]:
    """The first rows of the staged table after mapping, typing and pseudonymization (as text)."""
    from leadlab.ingest.context import qi
    from leadlab.ingest.validate import STAGE, printable

    cols = ", ".join(qi(c) for c in spec.names)
    cur = db.execute(f"SELECT _row, {cols} FROM {STAGE} ORDER BY _row LIMIT {PREVIEW_ROWS}")
    names = [d[0] for d in cur.description]
    return [{n: "" if v is None else printable(str(v))[:40] for n, v in zip(names, row)} for row in cur.fetchall()]


def preview_lines(rows: list[dict[str, str]]) -> list[str]:
    """``first rows after mapping:`` and one line per row (``row 1: lead_id=L1, …``), empty cells left out."""
    if not rows:
        return []
    out = ["  " + _("first rows after mapping:")]
    for r in rows:
        cells = pgettext("list separator", ", ").join(f"{k}={v}" for k, v in r.items() if k != "_row" and v != "")
        out.append("    " + _("row {row}: {cells}", row=r["_row"], cells=cells))
    return out


def mapped_notes(cmap) -> list[str]:
    """What a mapping file did besides renaming headers, one line each."""
    out = []
    if cmap.values:
        out.append(_("value maps: {columns}", columns=", ".join(cmap.values)))
    if cmap.parsers:
        out.append(_("parsed: {columns}", columns=", ".join(f"{c} ({p.kind})" for c, p in cmap.parsers.items())))
    if cmap.lookups:
        out.append(_("looked up: {columns}", columns=", ".join(f"{c} ← {lk.table}.{lk.by}"
                                                            for c, lk in cmap.lookups.items())))
    return out
