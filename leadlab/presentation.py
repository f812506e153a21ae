"""The one presentation layer: every result object renders through :class:`Result`.

A result holds facts (numbers, codes, parameters). What a person reads — title, table
headers, formatted cells, verdict, notes — is built at render time in the current
language (:mod:`leadlab.i18n`), so one object renders in Chinese or English::

    >>> import pandas as pd
    >>> from leadlab.i18n import use_lang
    >>> class Demo(Result):
    ...     def title(self): return "Demo"
    ...     def to_pandas(self): return pd.DataFrame({"rate": [0.25]})
    ...     def display_frame(self): return pd.DataFrame({"Rate": ["25.0%"]})
    ...     def verdict(self): return "fine"
    >>> print(Demo().summary())
    Demo
    ====
     Rate
    25.0%
    fine
    >>> "<table" in Demo()._repr_html_()
    True

Subclasses implement :meth:`title`, :meth:`to_pandas` and usually
:meth:`display_frame`, :meth:`verdict`, :meth:`notes` and :meth:`_plot`; the base class
gives ``summary()`` (text), ``_repr_html_`` (escaped HTML), ``plot()`` and ``__str__``.
Tables for people go through :func:`html_table` (one table helper, every cell escaped).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from leadlab import safehtml

__all__ = ["Result", "coloured_status_table", "html_table", "in_period", "section_markdown"]


def html_table(df: pd.DataFrame, *, css_class: str = "leadlab-table", align: dict[str, str] | None = None) -> str:
    """``df`` (already formatted for people) as a deterministic HTML table, every label and
    cell escaped; numeric-looking columns right-aligned unless ``align`` says otherwise.

    >>> html_table(pd.DataFrame({"<b>": ["<i>x</i>"]}))
    "<table class='leadlab-table'><thead><tr><th style='text-align:left'>&lt;b&gt;</th></tr></thead><tbody><tr><td style='text-align:left'>&lt;i&gt;x&lt;/i&gt;</td></tr></tbody></table>"
    """
    align = dict(align or {})
    for col in df.columns:
        if col not in align:
            align[col] = "right" if pd.api.types.is_numeric_dtype(df[col]) else "left"
    head = "".join(f"<th style='text-align:{align[c]}'>{safehtml.text(c)}</th>" for c in df.columns)
    rows = []
    for values in df.itertuples(index=False, name=None):
        cells = "".join(f"<td style='text-align:{align[c]}'>{safehtml.text(_cell(v))}</td>"
                        for c, v in zip(df.columns, values))
        rows.append(f"<tr>{cells}</tr>")
    return (f"<table class='{safehtml.text(css_class)}'><thead><tr>{head}</tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table>")


def coloured_status_table(disp: pd.DataFrame, codes: list, styles: dict[str, str], uid: str,
                          column: str | None = None) -> str:
    """``disp`` as an escaped Styler table whose status ``column`` (default: the last) is
    coloured by each row's status code (``styles`` maps a code to CSS); the one helper for KPI
    signal and target tables."""
    col = disp.columns[-1] if column is None else column

    def colour(frame: pd.DataFrame) -> pd.DataFrame:
        out = pd.DataFrame("", index=frame.index, columns=frame.columns)
        out[col] = [styles.get(c, "") for c in codes]
        return out

    return safehtml.safe_style(disp, uid).apply(colour, axis=None).to_html()


def warning_box(title: str, *texts: str) -> str:
    """The one highlighted warning box of the reports (HTML): a bold title and explanations,
    every text escaped.

    >>> warning_box("No data.", "Pick <another> period.")
    "<div style='background:#fff4e5;border-left:4px solid #E69F00;padding:8px 12px'><b>No data.</b> Pick &lt;another&gt; period.</div>"
    """
    body = " ".join(safehtml.text(t) for t in texts if t)
    return ("<div style='background:#fff4e5;border-left:4px solid #E69F00;padding:8px 12px'>"
            f"<b>{safehtml.text(title)}</b>" + (f" {body}" if body else "") + "</div>")


def section_markdown(sections: dict[str, tuple[str, str]], key: str) -> str:
    """A report section's ``##`` heading and explanation (message ids marked with ``N_``),
    translated into the current language; the shared renderer of the notebooks' section tables.

    >>> section_markdown({"x": ("Funnel", "From dial to won deal.")}, "x")
    '## Funnel\\n\\nFrom dial to won deal.'
    """
    from leadlab.i18n import translate

    head, body = sections[key]
    return f"## {translate(head)}" + (f"\n\n{translate(body)}" if body else "")


def _cell(v: Any) -> str:
    from leadlab.i18n import fmt

    if v is None or (isinstance(v, float) and v != v):
        return fmt.na()
    return str(v)


def in_period(col, period):
    """The one period filter: ``period.start <= col < period.end`` (half-open), for an Ibis
    column or a pandas Series.

    >>> from leadlab.periods import parse_period
    >>> s = pd.Series(pd.to_datetime(["2026-09-30 23:59", "2026-10-01 00:00", "2026-10-31 23:59", "2026-11-01 00:00"]))
    >>> in_period(s, parse_period("2026-10")).tolist()
    [False, True, True, False]
    """
    start, end = period.start, period.end
    if not isinstance(col, pd.Series):
        start, end = start.to_pydatetime(), end.to_pydatetime()
    return (col >= start) & (col < end)


class Result:
    """Base of every result object: facts in, text/HTML/figures out in the current language."""

    # -- what subclasses provide
    def title(self) -> str:
        """The heading, in the current language."""
        return type(self).__name__

    def to_pandas(self) -> pd.DataFrame:
        """The facts as a DataFrame (raw numbers, stable column ids)."""
        raise NotImplementedError

    def display_frame(self) -> pd.DataFrame:
        """The table a person reads: localized headers, formatted cells (default: the facts)."""
        return self.to_pandas()

    def verdict(self) -> str:
        """One plain sentence a manager can act on ("" when there is nothing to say)."""
        return ""

    def notes(self) -> list[str]:
        """Caveats and explanations, one sentence each."""
        return []

    def _plot(self, ax):  # pragma: no cover - overridden where a figure exists
        raise NotImplementedError(f"{type(self).__name__} has no figure")

    # -- what the base class renders
    def summary(self) -> str:
        """Plain text for a terminal."""
        head = self.title()
        lines = [head, "=" * _width(head)]
        disp = self.display_frame()
        if disp is not None and len(disp):
            lines.append(disp.to_string(index=False))
        verdict = self.verdict()
        if verdict:
            lines.append(verdict)
        lines += [f"- {n}" for n in self.notes()]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        disp = self.display_frame()
        table = html_table(disp) if disp is not None and len(disp) else ""
        verdict = self.verdict()
        parts = [f"<h4>{safehtml.text(self.title())}</h4>"]
        if verdict:
            parts.append(f"<p><b>{safehtml.text(verdict)}</b></p>")
        parts.append(table)
        parts += [f"<p class='leadlab-note'>{safehtml.text(n)}</p>" for n in self.notes()]
        return f"<div class='leadlab-result'>{''.join(parts)}</div>"

    def plot(self, ax=None):
        """Draw the result; returns the matplotlib Axes."""
        return self._plot(ax)


def _width(text: str) -> int:
    """Display width of ``text`` in a terminal (CJK characters take two columns)."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
