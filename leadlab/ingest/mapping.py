"""Mapping files: everything needed to load one export, validated with file, key and line.

A mapping file is YAML, either flat (``export header: canonical name``) or with
sections (unknown sections and keys are errors, never ignored)::

    table: calls                 # optional: the table this mapping is for
    encoding: gb18030            # optional: the CSV encoding
    columns:                     # export header → canonical column (null: ignore the header)
      通话编号: call_id
      通话结果: disposition
      通话时长: talk_seconds
      坐席: rep_id
    values:                      # per canonical column: value map, and what an unmapped value does
      disposition:
        map: {未接通: no_answer, 空号: invalid_number}
        unmapped: error          # error (default) | keep | empty
    parse:                       # per canonical column: duration | money | boolean | band | timestamp
      talk_seconds: duration
      company_size: {band: mid}  # lower | mid | upper
      started_at: {timestamp: "%Y/%m/%d %H:%M:%S", timezone: Asia/Shanghai}
    lookups:                     # a column holding a natural key, resolved through the referenced table
      rep_id: {by: rep_name}
    lifecycle:                   # leads: stages derived from a status column and its time
      status: 线索状态
      at: 最后跟进时间
      stages: {新线索: created_at, 已转MQL: mql_at, 已转SQL: sql_at, 赢单: won_at, 输单: lost_at}

Headers are matched after trimming; canonical names also match case- and
space-insensitively (``Lead ID`` → ``lead_id``). A header the mapping names
must exist in the file. Columns that map to nothing canonical are ignored.

>>> m = ColumnMapping.from_dict({"线索编号": "lead_id"}, "leads")
>>> m.resolve(["线索编号", "Source", "备注"])
({'线索编号': 'lead_id', 'Source': 'source'}, ['备注'])
>>> m = ColumnMapping.from_dict({"columns": {"结果": "disposition"},
...                              "values": {"disposition": {"map": {"空号": "invalid_number"}}}}, "calls")
>>> m.values["disposition"].pairs, m.values["disposition"].unmapped
({'空号': 'invalid_number'}, 'error')
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from leadlab.errors import ConfigError, DataError
from leadlab.i18n import _
from leadlab.schema import LIFECYCLE, TABLES, Table, get_table

SECTIONS = ("table", "encoding", "columns", "values", "parse", "lookups", "lifecycle")
UNMAPPED_RULES = ("error", "keep", "empty")
PARSERS = ("duration", "money", "boolean", "band", "timestamp")
BAND_POINTS = ("lower", "mid", "upper")
#: the lifecycle columns a status may reach (created_at: nothing beyond creation)
STATUS_TARGETS = (*LIFECYCLE, "lost_at")
#: which canonical types each parser can fill
PARSER_TYPES = {"duration": ("float64", "int64"), "money": ("float64", "int64"), "band": ("int64", "float64"),
                "boolean": ("boolean",), "timestamp": ("timestamp", "date")}


def _canon_key(name: str) -> str:
    return re.sub(r"[\s\-]+", "_", name.strip().lstrip("\ufeff")).lower()


@dataclass(frozen=True)
class ValueMap:
    """Export value → canonical value for one column; ``unmapped``: error | keep | empty."""

    pairs: dict[str, str]
    unmapped: str = "error"


@dataclass(frozen=True)
class Parser:
    """How one column's text is read: ``kind`` in :data:`PARSERS` and its options."""

    kind: str
    point: str = "lower"  # band: lower | mid | upper
    format: str | None = None  # timestamp: strptime format
    timezone: str | None = None  # timestamp: IANA zone of the export


@dataclass(frozen=True)
class Lookup:
    """The column holds a natural key ``by`` of the referenced table (e.g. rep_name of reps)."""

    table: str
    key: str
    by: str


@dataclass(frozen=True)
class Lifecycle:
    """Lifecycle times derived from a status column and the time of that status."""

    status: str  # export header
    at: str  # export header
    stages: dict[str, str]  # status value -> lifecycle column reached


@dataclass
class ColumnMapping:
    """A mapping file for one table: renames, value maps, parsers, lookups, derived lifecycle."""

    table: str
    renames: dict[str, str] = field(default_factory=dict)
    encoding: str | None = None
    source: str = "mapping"
    values: dict[str, ValueMap] = field(default_factory=dict)
    parsers: dict[str, Parser] = field(default_factory=dict)
    lookups: dict[str, Lookup] = field(default_factory=dict)
    lifecycle: Lifecycle | None = None
    lines: dict[tuple, int] = field(default_factory=dict)  # key path -> line in the file
    flat: bool = False  # a flat file: the renames are at the top level

    # ------------------------------------------------------------------ reading
    def where(self, *path: object) -> str:
        """``mapping file m.yml, line 7, values.disposition`` — how a user finds a key."""
        key = ".".join(str(p) for p in path)
        line = None
        for n in range(len(path), 0, -1):
            line = self.lines.get(tuple(str(p) for p in path[:n]))
            if line:
                break
        if line:
            return _("{source}, line {line}, key {key}", source=self.source, line=str(line), key=key)
        return _("{source}, key {key}", source=self.source, key=key)

    @classmethod
    def from_dict(cls, data: dict, table: str, source: str = "mapping",
                  lines: dict[tuple, int] | None = None) -> "ColumnMapping":
        spec = get_table(table)
        m = cls(table, source=source, lines=dict(lines or {}))
        sectioned = any(k in SECTIONS for k in data) and isinstance(data.get("columns", {}), dict)
        if not sectioned:
            m.flat = True
            m.renames = m._renames(data, spec, ())
            return m
        for key in data:
            if key not in SECTIONS:
                raise ConfigError(_("{where}: unknown section {key}; valid sections: {valid}", where=m.where(key),
                                    key=repr(key), valid=", ".join(SECTIONS)))
        declared = data.get("table")
        if declared is not None and declared != table:
            raise ConfigError(_("{source}: this mapping is for table {declared}, not {table}", source=source,
                                declared=repr(declared), table=repr(table)))
        m.encoding = data.get("encoding")
        m.renames = m._renames(m._section(data, "columns"), spec, ("columns",))
        for col, body in m._section(data, "values").items():
            m.values[m._column(spec, col, "values")] = m._value_map(col, body)
        for col, body in m._section(data, "parse").items():
            name = m._column(spec, col, "parse")
            m.parsers[name] = m._parser(spec, name, body)
        for col, body in m._section(data, "lookups").items():
            name = m._column(spec, col, "lookups")
            m.lookups[name] = m._lookup(spec, name, body)
        if data.get("lifecycle") is not None:
            m.lifecycle = m._lifecycle(spec, data["lifecycle"])
        return m

    def _section(self, data: dict, name: str) -> dict:
        body = data.get(name)
        if body is None:
            return {}
        if not isinstance(body, dict):
            raise ConfigError(_("{where}: must be a mapping of keys to values", where=self.where(name)))
        return body

    def _keys(self, body: object, path: tuple, valid: tuple[str, ...]) -> dict:
        if not isinstance(body, dict):
            raise ConfigError(_("{where}: must be a mapping with keys {valid}", where=self.where(*path),
                                valid=", ".join(valid)))
        for key in body:
            if key not in valid:
                raise ConfigError(_("{where}: unknown key {key}; valid keys: {valid}", where=self.where(*path, key),
                                    key=repr(key), valid=", ".join(valid)))
        return body

    def _column(self, spec: Table, col: object, section: str) -> str:
        if not isinstance(col, str) or col not in spec.names:
            raise ConfigError(_("{where}: {column} is not a column of {table}", where=self.where(section, col),
                                column=repr(col), table=spec.name),
                              details=[_("valid {table} columns: {columns}", table=spec.name,
                                         columns=", ".join(spec.names))])
        return col

    def _renames(self, data: dict, spec: Table, path: tuple) -> dict[str, str]:
        renames: dict[str, str] = {}
        seen: dict[str, str] = {}
        for header, target in data.items():
            if target is None:
                continue  # "header: null" explicitly ignores the column
            if not isinstance(target, str):
                raise ConfigError(_("{source}: the target of {header} must be a column name, got {target}",
                                    source=self.where(*path, header), header=repr(header), target=repr(target)))
            target = target.strip()
            if target not in spec.names:
                raise ConfigError(
                    _("{source}: {header} maps to {target}, which is not a column of {table}",
                      source=self.where(*path, header), header=repr(header), target=repr(target), table=spec.name),
                    details=[_("valid {table} columns: {columns}", table=spec.name, columns=", ".join(spec.names))],
                )
            if target in seen:
                raise ConfigError(_("{source}: both {first} and {second} map to {target}; keep one",
                                    source=self.where(*path, header), first=repr(seen[target]), second=repr(header),
                                    target=repr(target)))
            seen[target] = str(header)
            renames[str(header).strip()] = target
        return renames

    def _value_map(self, col: str, body: object) -> ValueMap:
        body = self._keys(body, ("values", col), ("map", "unmapped"))
        pairs = body.get("map")
        if not isinstance(pairs, dict) or not pairs:
            raise ConfigError(_("{where}: needs a non-empty map of 'export value: canonical value' lines",
                                where=self.where("values", col, "map")))
        unmapped = body.get("unmapped", "error")
        if unmapped not in UNMAPPED_RULES:
            raise ConfigError(_("{where}: {value} is not one of {valid}", where=self.where("values", col, "unmapped"),
                                value=repr(unmapped), valid=", ".join(UNMAPPED_RULES)))
        out = {}
        for k, v in pairs.items():
            if isinstance(v, bool):
                v = "true" if v else "false"
            if k is None or v is None or isinstance(k, (dict, list)) or isinstance(v, (dict, list)):
                raise ConfigError(_("{where}: map {key} to one value", where=self.where("values", col, "map", k),
                                    key=repr(k)))
            key = ("true" if k else "false") if isinstance(k, bool) else str(k).strip()
            out[key] = str(v).strip()
        return ValueMap(out, unmapped)

    def _parser(self, spec: Table, col: str, body: object) -> Parser:
        if isinstance(body, str):
            kind, opts = body, {}
        elif isinstance(body, dict) and body:
            kind = next(iter(body))
            opts = dict(body)
        else:
            kind, opts = repr(body), {}
        if kind not in PARSERS:
            raise ConfigError(_("{where}: unknown parser {kind}; valid parsers: {valid}",
                                where=self.where("parse", col), kind=repr(kind), valid=", ".join(PARSERS)))
        dtype = spec.column(col).dtype
        if dtype not in PARSER_TYPES[kind]:
            raise ConfigError(_("{where}: the {kind} parser cannot fill {column} (type {dtype})",
                                where=self.where("parse", col), kind=kind, column=col, dtype=dtype))
        valid = {"band": ("band",), "timestamp": ("timestamp", "timezone")}.get(kind, (kind,))
        self._keys(opts, ("parse", col), valid) if opts else None
        if kind == "band":
            point = opts.get("band") or "lower"
            if point not in BAND_POINTS:
                raise ConfigError(_("{where}: {value} is not one of {valid}", where=self.where("parse", col, "band"),
                                    value=repr(point), valid=", ".join(BAND_POINTS)))
            return Parser(kind, point=point)
        if kind == "timestamp":
            fmt_ = opts.get("timestamp")
            zone = opts.get("timezone")
            if fmt_ is not None and (not isinstance(fmt_, str) or "%" not in fmt_):
                raise ConfigError(_("{where}: {value} is not a strptime format like %Y/%m/%d %H:%M:%S",
                                    where=self.where("parse", col, "timestamp"), value=repr(fmt_)))
            if zone is not None:
                _check_zone(str(zone), self.where("parse", col, "timezone"))
            return Parser(kind, format=fmt_, timezone=None if zone is None else str(zone))
        return Parser(kind)

    def _lookup(self, spec: Table, col: str, body: object) -> Lookup:
        body = self._keys(body, ("lookups", col), ("by",))
        ref = spec.references.get(col)
        if ref is None:
            raise ConfigError(_("{where}: {column} refers to no other table; lookups resolve {valid}",
                                where=self.where("lookups", col), column=col,
                                valid=", ".join(spec.references) or "-"))
        rtable, rkey = ref.split(".")
        by = body.get("by")
        if by not in TABLES[rtable].names or by == rkey:
            raise ConfigError(_("{where}: {by} is not a column of {table} to look {key} up by",
                                where=self.where("lookups", col, "by"), by=repr(by), table=rtable, key=rkey),
                              details=[_("valid {table} columns: {columns}", table=rtable,
                                         columns=", ".join(n for n in TABLES[rtable].names if n != rkey))])
        return Lookup(rtable, rkey, by)

    def _lifecycle(self, spec: Table, body: object) -> Lifecycle:
        if spec.name != "leads":
            raise ConfigError(_("{where}: a derived lifecycle is for leads, not {table}",
                                where=self.where("lifecycle"), table=spec.name))
        body = self._keys(body, ("lifecycle",), ("status", "at", "stages"))
        for key in ("status", "at", "stages"):
            if body.get(key) is None:
                raise ConfigError(_("{where}: missing key {key}", where=self.where("lifecycle"), key=key))
        stages = body["stages"]
        if not isinstance(stages, dict) or not stages:
            raise ConfigError(_("{where}: needs 'status: lifecycle column' lines in stage order",
                                where=self.where("lifecycle", "stages")))
        out: dict[str, str] = {}
        last = -1
        for status, target in stages.items():
            target = "created_at" if target is None else target
            if target not in STATUS_TARGETS:
                raise ConfigError(_("{where}: {target} is not a lifecycle column ({valid})",
                                    where=self.where("lifecycle", "stages", status), target=repr(target),
                                    valid=", ".join(STATUS_TARGETS)))
            rank = STATUS_TARGETS.index(target)
            if target != "lost_at" and rank < last:
                raise ConfigError(_("{where}: the stages must be listed in lifecycle order ({order})",
                                    where=self.where("lifecycle", "stages", status),
                                    order=" → ".join(STATUS_TARGETS)))
            last = max(last, rank) if target != "lost_at" else last
            out[str(status).strip()] = target
        clash = [c for c in STATUS_TARGETS[1:] if c in self.renames.values()]
        if clash:
            raise ConfigError(_("{where}: {columns} come from the lifecycle section and from columns; keep one",
                                where=self.where("lifecycle"), columns=", ".join(clash)))
        return Lifecycle(str(body["status"]).strip(), str(body["at"]).strip(), out)

    @classmethod
    def load(cls, path: str | Path, table: str, *, source: str | None = None) -> "ColumnMapping":
        """Read a YAML mapping file; ConfigError naming the file (and key and line) on any problem."""
        path = Path(path)
        if not path.exists():
            raise ConfigError(_("mapping file {path} does not exist (--mapping)", path=str(path)))
        try:
            text = path.read_text(encoding="utf-8-sig")
            data, lines = _load_with_lines(text)
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
        return cls.from_dict(data, table, source=source or _("mapping file {name}", name=path.name), lines=lines)

    # ------------------------------------------------------------------ applying
    def named_headers(self) -> list[tuple[tuple, str]]:
        """(key path, export header) of every header this mapping names."""
        out = [((h,) if self.flat else ("columns", h), h) for h in self.renames]
        if self.lifecycle:
            out += [(("lifecycle", "status"), self.lifecycle.status), (("lifecycle", "at"), self.lifecycle.at)]
        return out

    def resolve(self, headers: list[str]) -> tuple[dict[str, str], list[str]]:
        """(file header → canonical column, ignored headers). DataError when a header the mapping
        names is not in the file, or two headers land on one column."""
        spec: Table = get_table(self.table)
        clean_headers = {h.strip().lstrip("\ufeff") for h in headers}
        for path, header in self.named_headers():
            if header not in clean_headers:
                raise DataError(_("{where}: the file has no column {header}", where=self.where(*path),
                                  header=repr(header)),
                                details=[_("file columns: {columns}", columns=", ".join(headers))])
        by_key = {_canon_key(n): n for n in spec.names}
        lifecycle_headers = {self.lifecycle.status, self.lifecycle.at} if self.lifecycle else set()
        out: dict[str, str] = {}
        ignored: list[str] = []
        for h in headers:
            clean = h.strip().lstrip("\ufeff")
            if clean in lifecycle_headers and clean not in self.renames:
                continue
            target = self.renames.get(clean) or self.renames.get(h) or by_key.get(_canon_key(clean))
            if target is None or (clean not in self.renames and self.lifecycle and target in STATUS_TARGETS[1:]):
                ignored.append(h)
                continue
            if target in out.values():
                first = next(k for k, v in out.items() if v == target)
                raise DataError(_("columns {first} and {second} both give {table}.{column}; keep one (or map one of "
                                  "them to null in the mapping file)", first=repr(first), second=repr(h),
                                  table=self.table, column=target))
            out[h] = target
        for section, cols in (("values", self.values), ("parse", self.parsers), ("lookups", self.lookups)):
            for col in cols:
                if col not in out.values():
                    raise DataError(_("{where}: the file has no column that gives {column}",
                                      where=self.where(section, col), column=col),
                                    details=[_("file columns: {columns}", columns=", ".join(headers))])
        return out, ignored


def _check_zone(name: str, where: str) -> None:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_+\-]*(/[A-Za-z0-9_+\-]+)*", name):
            raise ValueError(name)
        ZoneInfo(name)
    except (ValueError, OSError, ZoneInfoNotFoundError):
        raise ConfigError(_("{where}: {value} is not a known IANA time zone name (e.g. Asia/Shanghai, UTC)",
                            where=where, value=repr(name[:40]))) from None


def _load_with_lines(text: str) -> tuple[object, dict[tuple, int]]:
    """The YAML document and the 1-based line of every mapping key, by key path.

    >>> _load_with_lines("a: 1\\nb:\\n  c: x\\n")
    ({'a': 1, 'b': {'c': 'x'}}, {('a',): 1, ('b',): 2, ('b', 'c'): 3})
    """
    lines: dict[tuple, int] = {}
    node = yaml.compose(text, Loader=yaml.SafeLoader)

    def walk(n: yaml.Node, path: tuple) -> None:
        if isinstance(n, yaml.MappingNode):
            for k, v in n.value:
                key = path + (str(k.value),)
                lines.setdefault(key, k.start_mark.line + 1)
                walk(v, key)

    if node is not None:
        walk(node, ())
    return yaml.safe_load(text), lines
