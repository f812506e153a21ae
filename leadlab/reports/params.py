"""A report notebook's parameters: read them from its ``parameters`` cell, check and
convert what the user passes, refuse anything that looks like a credential.

The parameters cell holds plain ``name = literal  # help`` lines; the literal's type is
the parameter's type (``None`` accepts anything).

>>> p = Param("alpha", "float", "0.05", "significance level")
>>> convert(p, "0.1")
0.1
>>> check_value(Param("budget", "float", "100.0", ""), 1)  # an int is a fine float
1.0
>>> convert(Param("metrics", "list", '["sql_rate"]', ""), "sql_rate,lead_reach_rate")
['sql_rate', 'lead_reach_rate']
>>> looks_like_credential("db", "postgres://ann:pw@host/db")
True
>>> convert(p, "nan")
Traceback (most recent call last):
...
leadlab.errors.ConfigError: parameter alpha: 'nan' is not a finite number (default 0.05)
>>> check_value(p, 1.5)
Traceback (most recent call last):
...
leadlab.errors.ConfigError: parameter alpha: 1.5 breaks the rule 0 < alpha < 1 (a probability or share) (default 0.05)
"""

from __future__ import annotations

import ast
import json
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from leadlab.errors import ConfigError
from leadlab.i18n import _

if TYPE_CHECKING:  # nbformat costs ~1.5 s to import (jsonschema); only reading a notebook needs it
    import nbformat

#: Parameter names refused because they look like credentials.
SECRET_NAME = re.compile(r"passw(or)?d|pwd|secret|token|key|credential", re.IGNORECASE)
#: A URL with userinfo (user:password@host).
URL_USERINFO = re.compile(r"[a-z][a-z0-9+.-]*://[^/\s@:]*:[^/\s@]*@", re.IGNORECASE)
#: Parameters holding a probability or a share: strictly between 0 and 1.
PROBABILITY = re.compile(r"^(alpha|beta|power|confidence|.*_(share|rate|prob|probability|level))$")
#: Characters refused in text parameters (papermill writes them into code; they never belong in a name).
CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f]")
_TRUE = {"true", "yes", "y", "1", "on"}
_FALSE = {"false", "no", "n", "0", "off"}


@dataclass(frozen=True)
class Param:
    """One declared parameter: ``type`` is str, int, float, bool, list, dict or any."""

    name: str
    type: str
    default: str  # the literal's source text
    help: str

    @property
    def default_value(self) -> Any:
        try:
            return ast.literal_eval(self.default)
        except (ValueError, SyntaxError):
            return self.default

    def describe(self) -> str:
        h = f"  # {self.help}" if self.help else ""
        return f"{self.name} = {self.default}  ({self.type}){h}"


def _type_of(source: str, annotated: str | None) -> str:
    if annotated and annotated not in ("None", ""):
        base = annotated.split("[")[0].strip().lower()
        if base in ("str", "int", "float", "bool", "list", "dict"):
            return base
    try:
        value = ast.literal_eval(source)
    except (ValueError, SyntaxError):
        return "any"
    if value is None:
        return "any"
    if isinstance(value, tuple):
        return "list"
    name = type(value).__name__
    return name if name in ("str", "int", "float", "bool", "list", "dict") else "any"


def parameters_cell(nb: nbformat.NotebookNode) -> int:
    """Index of the cell tagged ``parameters`` (-1 when none)."""
    for i, cell in enumerate(nb.cells):
        if "parameters" in cell.get("metadata", {}).get("tags", []):
            return i
    return -1


def declared_parameters(path: str | Path) -> dict[str, Param]:
    """The parameters declared in the notebook's ``parameters`` cell, in order.

    papermill's inspection reads them; assignments it cannot parse (its line pattern
    drops e.g. a help comment containing quotes, or ``x: int | None = None``) are read
    from the cell's syntax tree instead, so a declared parameter is never invisible.
    """
    import logging

    import nbformat
    from papermill.translators import PythonTranslator

    try:
        nb = nbformat.read(str(path), as_version=4)
    except Exception as exc:  # NotJSONError, ValidationError, OSError
        raise ConfigError(_("{path} is not a readable notebook: {reason}", path=str(path),
                            reason=str(exc).splitlines()[0] if str(exc) else type(exc).__name__)) from None
    idx = parameters_cell(nb)
    if idx < 0:
        return {}
    cell = nb.cells[idx]
    found: dict[str, Param] = {}
    log = logging.getLogger("papermill")
    level = log.level
    log.setLevel(logging.ERROR)  # its "Unable to parse line" warnings are handled below
    try:
        for p in PythonTranslator.inspect(cell):
            found[p.name] = Param(p.name, _type_of(p.default, p.inferred_type_name), p.default, (p.help or "").strip())
    finally:
        log.setLevel(level)
    ordered: dict[str, Param] = {}
    for name, default, annotation, help_ in _assignments(cell.source):
        ordered[name] = found.get(name) or Param(name, _type_of(default, annotation), default, help_)
    for name, p in found.items():  # anything papermill saw that the tree did not (should not happen)
        ordered.setdefault(name, p)
    return ordered


def _assignments(source: str) -> list[tuple[str, str, str | None, str]]:
    """``(name, default source, annotation source, help comment)`` of each top-level
    ``name = value`` / ``name: T = value`` in ``source`` (empty when it does not parse)."""
    import io
    import tokenize

    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    comments: dict[int, str] = {}
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.type == tokenize.COMMENT:
                comments[tok.start[0]] = tok.string.lstrip("#").strip()
    except (tokenize.TokenError, IndentationError):
        pass
    out = []
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            name, annotation = node.targets[0].id, None
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
            name, annotation = node.target.id, ast.get_source_segment(source, node.annotation)
        else:
            continue
        default = ast.get_source_segment(source, node.value) or ""
        out.append((name, default, annotation, comments.get(node.end_lineno or node.lineno, "")))
    return out


def looks_like_credential(name: str, value: Any) -> bool:
    """True when the parameter name or value looks like a secret (papermill writes every
    parameter into the output notebook, so secrets must come from the environment)."""
    if SECRET_NAME.search(name):
        return True
    values = value if isinstance(value, (list, tuple)) else value.values() if isinstance(value, dict) else [value]
    return any(isinstance(v, str) and URL_USERINFO.search(v) for v in values)


def convert(param: Param, text: str) -> Any:
    """Convert command-line text to ``param``'s type; ConfigError saying the expected type."""
    t = param.type
    raw = text.strip()

    def bad(expected: str) -> ConfigError:
        return ConfigError(_("parameter {name}: {value} is not {expected} (default {default})", name=param.name,
                              value=repr(text), expected=expected, default=str(param.default)))

    if t == "str":
        return check_value(param, text)
    if t == "int":
        try:
            return int(raw)
        except ValueError:
            raise bad(_("an integer")) from None
    if t == "float":
        try:
            value = float(raw)
        except ValueError:
            raise bad(_("a number")) from None
        return check_value(param, value)
    if t == "bool":
        if raw.lower() in _TRUE:
            return True
        if raw.lower() in _FALSE:
            return False
        raise bad(_("true or false"))
    if t == "list":
        if raw.startswith("["):
            try:
                value = json.loads(raw)
            except json.JSONDecodeError:
                raise bad(_("a list (JSON like [\"a\", \"b\"] or comma-separated a,b)")) from None
            if not isinstance(value, list):
                raise bad(_("a list"))
            return value
        return [part.strip() for part in raw.split(",") if part.strip()]
    if t == "dict":
        try:
            value = json.loads(raw)
        except json.JSONDecodeError:
            raise bad('a JSON object like {"a": 1}') from None
        if not isinstance(value, dict):
            raise bad(_("a JSON object"))
        return value
    # any: None default — read numbers, booleans and null; everything else is text
    low = raw.lower()
    if low in ("none", "null", ""):
        return None
    if low in ("true", "false"):
        return low == "true"
    for cast in (int, float):
        try:
            return cast(raw)
        except ValueError:
            pass
    return text


def check_value(param: Param, value: Any) -> Any:
    """Check a Python value against ``param``'s type (ints are accepted for floats)."""
    t = param.type
    ok = {
        "str": lambda v: isinstance(v, str),
        "int": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "float": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
        "bool": lambda v: isinstance(v, bool),
        "list": lambda v: isinstance(v, (list, tuple)),
        "dict": lambda v: isinstance(v, dict),
        "any": lambda v: v is None or isinstance(v, (str, int, float, bool, list, tuple, dict)),
    }[t]
    if not ok(value):
        raise ConfigError(_("parameter {name}: {value} is a {kind}, expected {expected} (default {default})",
                            name=param.name, value=repr(value), kind=type(value).__name__, expected=t,
                            default=str(param.default)))
    _check_rules(param, value)
    if t == "float":
        return float(value)
    if isinstance(value, tuple):
        return list(value)
    return value


def _check_rules(param: Param, value: Any) -> None:
    """Finite numbers; probabilities strictly inside (0, 1); no control characters in text."""
    def broken(rule: str) -> ConfigError:
        return ConfigError(_("parameter {name}: {value} breaks the rule {rule} (default {default})", name=param.name,
                              value=repr(value), rule=rule, default=str(param.default)))

    items = value if isinstance(value, (list, tuple)) else value.values() if isinstance(value, dict) else [value]
    for v in items:
        if isinstance(v, float) and not math.isfinite(v):
            raise ConfigError(_("parameter {name}: {value} is not a finite number (default {default})", name=param.name,
                                value=repr(str(v)), default=str(param.default)))
        if isinstance(v, str) and CONTROL_CHARS.search(v):
            raise broken(_("no control characters (line breaks, tabs, NUL)"))
    if (PROBABILITY.match(param.name) and isinstance(value, (int, float)) and not isinstance(value, bool)
            and not 0 < value < 1):
        raise broken(_("0 < {name} < 1 (a probability or share)", name=param.name))


def check_parameters(notebook: str | Path, given: dict[str, Any], *, from_text: bool = False,
                     declared: dict[str, Param] | None = None) -> dict[str, Any]:
    """Check ``given`` against the notebook's parameters cell and return converted values.

    Raises ConfigError (before anything runs) for an unknown name, a wrong type or a
    credential-looking parameter; the error's details list the valid parameters.
    """
    declared = declared if declared is not None else declared_parameters(notebook)
    name = Path(notebook).stem
    valid = [p.describe() for p in declared.values()] or [_("(this notebook declares no parameters)")]
    out: dict[str, Any] = {}
    for key, value in given.items():
        if looks_like_credential(key, value):
            raise ConfigError(_(
                "parameter {key} of report {name} looks like a credential; parameters are written into the "
                "report, so pass connections through --db or $LEADLAB_DB (and secrets through the environment)",
                key=key, name=name))
        if key not in declared:
            raise ConfigError(_("report {name} has no parameter {key}; valid parameters:", name=name, key=repr(key)),
                              details=valid)
        param = declared[key]
        try:
            out[key] = convert(param, value) if from_text and isinstance(value, str) else check_value(param, value)
        except ConfigError as exc:
            raise ConfigError(_("report {name}: {problem}", name=name, problem=exc.message), details=valid) from None
    return out


def parse_assignments(items: tuple[str, ...] | list[str]) -> dict[str, str]:
    """``["period=2026-10", "team=North"]`` → dict; ConfigError for an item without ``=``."""
    out: dict[str, str] = {}
    for item in items:
        if "=" not in item:
            raise ConfigError(_("option -p: {item} is not key=value (example: -p period=2026-10)", item=repr(item)))
        key, value = item.split("=", 1)
        key = key.strip()
        if not key.isidentifier():
            raise ConfigError(_("option -p: {key} is not a parameter name (example: -p period=2026-10)", key=repr(key)))
        out[key] = value
    return out


__all__ = ["CONTROL_CHARS", "PROBABILITY", "Param", "check_parameters", "check_value", "convert", "declared_parameters",
           "looks_like_credential", "parameters_cell", "parse_assignments"]
