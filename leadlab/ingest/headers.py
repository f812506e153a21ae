"""The rules for a file's header row, shared by the CSV, Excel and Parquet readers.

Header names are hostile text: they are kept literally in Python (for the
mapping to canonical columns and for messages) and never reach SQL, which
sees generated column names (``_c1``, ``_c2``, ...). A header is refused when
a name holds a control or bidirectional-override character, is longer than
:data:`MAX_NAME` characters, or appears twice; an empty name becomes
``_unnamed_<n>`` (such columns are ignored unless a mapping names them).

>>> from pathlib import Path
>>> check_header(["lead_id", " Source ", None, 'a"; --'], Path("x.csv"))
['lead_id', 'Source', '_unnamed_3', 'a"; --']
>>> check_header(["a", "a"], Path("x.xlsx"))
Traceback (most recent call last):
...
leadlab.errors.DataError: x.xlsx, header: column 'a' appears twice (columns 1 and 2); rename or drop one
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

from leadlab.errors import DataError, file_detail
from leadlab.i18n import _

MAX_NAME = 256
#: Characters that reorder how text is displayed (a name could look like another).
BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f")
_STRIP = " \t\r\n\u00a0\u3000\ufeff"


def idents(n: int) -> list[str]:
    """The SQL column names standing for ``n`` file columns."""
    return [f"_c{i}" for i in range(1, n + 1)]


def shown(name: str, limit: int = 60) -> str:
    """A header name quoted for a message, shortened."""
    return repr(name if len(name) <= limit else name[:limit] + "…")


def _bad_char(name: str) -> str | None:
    for ch in name:
        if ch in BIDI or unicodedata.category(ch) == "Cc":
            return f"U+{ord(ch):04X}"
    return None


def _header_at(path: Path, i: int) -> str:
    """``reps.csv, header, column 3`` / ``文件 reps.csv 表头第 3 列``."""
    return _("{file}, header, column {i}", file=path.name, i=str(i))


def check_header(names: list[object], path: Path) -> list[str]:
    """The header names as text, trimmed; DataError naming the column and the rule broken."""
    out: list[str] = []
    seen: dict[str, int] = {}
    for i, raw in enumerate(names, start=1):
        name = "" if raw is None else str(raw)
        bad = _bad_char(name)
        if bad:
            raise DataError(_("{where}: the name holds the control character {char}; header names must be "
                              "printable text", where=_header_at(path, i), char=bad),
                            details=[file_detail(path), _("nothing was written")])
        name = name.strip(_STRIP)
        if len(name) > MAX_NAME:
            raise DataError(_("{where}: the name is {n} characters long (at most {maximum})",
                              where=_header_at(path, i), n=str(len(name)), maximum=str(MAX_NAME)),
                            details=[file_detail(path), _("nothing was written")])
        if not name:
            name = f"_unnamed_{i}"
        if name in seen:
            raise DataError(_("{file}, header: column {name} appears twice (columns {first} and {second}); "
                              "rename or drop one", file=path.name, name=shown(name), first=str(seen[name]),
                              second=str(i)), details=[file_detail(path), _("nothing was written")])
        seen[name] = i
        out.append(name)
    if all(n.startswith("_unnamed_") for n in out):
        raise DataError(_("{file}: the header row is empty; expected a header row with column names", file=path.name),
                        details=[file_detail(path)])
    return out
