"""Column mappings: rename an export's headers to canonical column names.

A mapping file is YAML, either flat (``export header: canonical name``) or with
a ``columns:`` section (and optionally ``table:`` and ``encoding:``)::

    # data/examples/mapping_zh.yml
    线索编号: lead_id
    创建时间: created_at
    来源: source

Headers are matched after trimming; canonical names also match case- and
space-insensitively (``Lead ID`` → ``lead_id``). Columns that map to nothing
canonical are ignored (and listed in the result).

>>> m = ColumnMapping.from_dict({"线索编号": "lead_id"}, "leads")
>>> m.resolve(["线索编号", "Source", "备注"])
({'线索编号': 'lead_id', 'Source': 'source'}, ['备注'])
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from leadlab.errors import ConfigError, DataError
from leadlab.i18n import _
from leadlab.schema import Table, get_table


def _canon_key(name: str) -> str:
    return re.sub(r"[\s\-]+", "_", name.strip().lstrip("\ufeff")).lower()


@dataclass
class ColumnMapping:
    """Export header → canonical column, for one table."""

    table: str
    renames: dict[str, str] = field(default_factory=dict)
    encoding: str | None = None
    source: str = "mapping"

    @classmethod
    def from_dict(cls, data: dict, table: str, source: str = "mapping") -> "ColumnMapping":
        spec = get_table(table)
        encoding = None
        if isinstance(data.get("columns"), dict):
            declared = data.get("table")
            if declared is not None and declared != table:
                raise ConfigError(_("{source}: this mapping is for table {declared}, not {table}", source=source,
                                    declared=repr(declared), table=repr(table)))
            encoding = data.get("encoding")
            data = data["columns"]
        renames: dict[str, str] = {}
        seen: dict[str, str] = {}
        for header, target in data.items():
            if target is None:
                continue  # "header: null" explicitly ignores the column
            if not isinstance(target, str):
                raise ConfigError(_("{source}: the target of {header} must be a column name, got {target}",
                                    source=source, header=repr(header), target=repr(target)))
            target = target.strip()
            if target not in spec.names:
                raise ConfigError(
                    _("{source}: {header} maps to {target}, which is not a column of {table}", source=source,
                      header=repr(header), target=repr(target), table=table),
                    details=[_("valid {table} columns: {columns}", table=table, columns=", ".join(spec.names))],
                )
            if target in seen:
                raise ConfigError(_("{source}: both {first} and {second} map to {target}; keep one", source=source,
                                    first=repr(seen[target]), second=repr(header), target=repr(target)))
            seen[target] = str(header)
            renames[str(header).strip()] = target
        return cls(table, renames, encoding, source)

    @classmethod
    def load(cls, path: str | Path, table: str) -> "ColumnMapping":
        """Read a YAML mapping file; ConfigError naming the file on any problem."""
        path = Path(path)
        if not path.exists():
            raise ConfigError(_("mapping file {path} does not exist (--mapping)", path=str(path)))
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8-sig"))
        except UnicodeDecodeError:
            raise ConfigError(_("mapping file {path} is not UTF-8 text; save it as UTF-8", path=str(path))) from None
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            problem = str(getattr(exc, "problem", exc))
            if mark is not None:
                raise ConfigError(_("mapping file {path} is not valid YAML at line {line}: {problem}", path=str(path),
                                    line=str(mark.line + 1), problem=problem)) from None
            raise ConfigError(_("mapping file {path} is not valid YAML: {problem}", path=str(path),
                                problem=problem)) from None
        if not isinstance(data, dict) or not data:
            raise ConfigError(_("mapping file {path} must be a YAML mapping of 'export header: canonical column' "
                                "lines", path=str(path)))
        return cls.from_dict(data, table, source=_("mapping file {name}", name=path.name))

    def resolve(self, headers: list[str]) -> tuple[dict[str, str], list[str]]:
        """(file header → canonical column, ignored headers). DataError when two headers land on one column."""
        spec: Table = get_table(self.table)
        by_key = {_canon_key(n): n for n in spec.names}
        out: dict[str, str] = {}
        ignored: list[str] = []
        for h in headers:
            clean = h.strip().lstrip("\ufeff")
            target = self.renames.get(clean) or self.renames.get(h) or by_key.get(_canon_key(clean))
            if target is None:
                ignored.append(h)
                continue
            if target in out.values():
                first = next(k for k, v in out.items() if v == target)
                raise DataError(_("columns {first} and {second} both give {table}.{column}; keep one (or map one of "
                                  "them to null in the mapping file)", first=repr(first), second=repr(h),
                                  table=self.table, column=target))
            out[h] = target
        return out, ignored
