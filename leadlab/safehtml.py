"""Escape data-derived text for the place it lands in, and the one safe table helper.

Every string that comes from a file, the store or a parameter is hostile. Reports put
such strings into four kinds of places, each with its own escaping:

- HTML text and attribute values: :func:`text` (``& < > " '`` as entities);
- Markdown (``display(Markdown(...))``, rendered by nbconvert, which also passes raw
  HTML through): :func:`md` escapes the HTML characters *and* Markdown's punctuation,
  so a name can neither open a tag nor become a link, emphasis or heading;
- pandas Styler tables (Styler does not escape cells, index or column labels by
  default): :func:`safe_style` builds the Styler with every cell and label escaped;
- matplotlib text: :func:`plot_text` (``$`` would start mathtext; the leadlab style also
  turns mathtext off).

Published pages carry :data:`CSP`, a Content-Security-Policy that allows no script at
all, so a missed escape still cannot run code (second line of defence, not the first).

>>> text('<img src=x onerror="alert(1)">')
'&lt;img src=x onerror=&quot;alert(1)&quot;&gt;'
>>> print(md("[x](javascript:alert(1)) *East*"))
\\[x\\]\\(javascript\\:alert\\(1\\)\\) \\*East\\*
>>> print(md("<b>Team & Co</b>"))
\\<b\\>Team \\& Co\\<\\/b\\>
>>> import pandas as pd
>>> html_ = safe_style(pd.DataFrame({"<th>": ["<td>"]}), "t").to_html()
>>> "<td>" in html_.split("<tbody>")[1], "&lt;th&gt;" in html_
(False, True)
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd
    from pandas.io.formats.style import Styler

#: The Content-Security-Policy of every published page: no scripts, no plugins, no
#: frames, no network loads; images only embedded (data:), styles only inline.
CSP = ("default-src 'none'; script-src 'none'; object-src 'none'; frame-src 'none'; base-uri 'none'; "
       "form-action 'none'; img-src data:; font-src data:; style-src 'unsafe-inline'")

# Every ASCII punctuation character is backslash-escaped (CommonMark allows it for all of
# them): nothing can start emphasis, a link, code, a heading, a list, a table, math, a tag
# (``\<`` is a literal ``<``, which the renderer writes as ``&lt;``) or an entity.
_MD_SPECIAL = re.compile(r"([!-/:-@\[-`{-~])")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def text(value: Any) -> str:
    """``value`` as HTML text or a quoted attribute value."""
    return html.escape(str(value), quote=True)


def md(value: Any) -> str:
    """``value`` as literal text inside Markdown: no tag, link, emphasis or heading can form.

    Line breaks become spaces (a name never starts a new block).
    """
    s = _CONTROL.sub(" ", str(value)).replace("\r", " ").replace("\n", " ")
    return _MD_SPECIAL.sub(r"\\\1", s)


def md_code(value: Any) -> str:
    """``value`` as a Markdown code span: literal text in code style. The fence is one
    backtick longer than the longest run of backticks inside, so the value cannot close it
    (the renderer escapes HTML inside code spans).

    >>> md_code("a`b"), md_code("lead_scorer.skops")
    ('``a`b``', '`lead_scorer.skops`')
    """
    s = _CONTROL.sub(" ", str(value)).replace("\r", " ").replace("\n", " ")
    fence = "`" * (max((len(r) for r in re.findall(r"`+", s)), default=0) + 1)
    pad = " " if s.startswith("`") or s.endswith("`") else ""
    return f"{fence}{pad}{s}{pad}{fence}"


def plot_text(value: Any) -> str:
    """``value`` safe as matplotlib text: ``$`` cannot start mathtext.

    >>> plot_text("$5 team")
    '\\\\$5 team'
    """
    return str(value).replace("$", r"\$")


def csp_meta() -> str:
    """The ``<meta http-equiv="Content-Security-Policy">`` tag of a published page."""
    return f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'


def _escaped(fmt: Any) -> Callable[[Any], str]:
    """A Styler formatter that applies ``fmt`` (format string, callable or None) and escapes."""
    def apply(v: Any) -> str:
        if callable(fmt):
            out = fmt(v)
        elif isinstance(fmt, str):
            try:
                out = fmt.format(v)
            except (ValueError, TypeError):
                out = str(v)
        else:
            out = v
        return text(out)
    return apply


def safe_style(df: "pd.DataFrame", uid: str, formats: Mapping[str, Any] | None = None, *,
               precision: int | None = None, na_rep: str | None = None, hide_index: bool = True) -> "Styler":
    """A Styler of ``df`` whose every cell, index label and column label is HTML-escaped.

    ``formats`` maps columns to a format string (``"{:.1%}"``) or a callable; other cells
    use pandas' default formatting with ``precision`` / ``na_rep``. The uuid is fixed
    (stable output for nbval). Chain ``.map(...)`` etc. as usual; do not call
    ``.format(...)`` again without ``escape="html"`` and never ``set_caption`` with data.
    """
    sty = df.style.format(None, precision=precision, na_rep=na_rep, escape="html")
    for col, fmt in (formats or {}).items():
        if col in df.columns:
            sty = sty.format(_escaped(fmt), subset=[col], na_rep=na_rep)  # subset: leave other columns as they are
    sty = sty.format_index(escape="html", axis=0).format_index(escape="html", axis=1)
    sty = sty.set_uuid(re.sub(r"[^A-Za-z0-9_-]", "-", uid))
    return sty.hide(axis="index") if hide_index else sty


__all__ = ["CSP", "csp_meta", "md", "md_code", "plot_text", "safe_style", "text"]
