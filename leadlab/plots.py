"""The shared look of every leadlab figure (seaborn + matplotlib).

Call :func:`apply_style` once (notebooks do it in their first cell), then use the
generic helpers below. Each helper takes a small pandas DataFrame of *aggregates*
(never raw rows), draws on ``ax`` (a new figure when omitted) and returns the Axes,
so engines can reuse them in their ``plot()`` methods. Words the helpers write themselves
(the funnel's "of previous", default titles, axis names of plain columns) follow the
current language (:mod:`leadlab.i18n`); titles and labels passed in are drawn as given.

>>> import pandas as pd
>>> import matplotlib
>>> matplotlib.use("Agg")
>>> apply_style()
>>> ax = funnel_chart(pd.DataFrame({"stage": ["leads", "called", "won"], "count": [1000, 800, 40]}))
>>> ax.get_title(loc="left")
'Funnel'
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from leadlab.i18n import N_, _, fmt, translate

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

#: The leadlab palette (colour-blind safe, Okabe-Ito based), first colour = primary.
PALETTE: list[str] = [
    "#0072B2",  # blue: primary series, control arm
    "#E69F00",  # orange: second series, treatment arm
    "#009E73",  # green: good / positive
    "#CC79A7",  # pink
    "#56B4E9",  # light blue
    "#D55E00",  # vermilion: bad / negative
    "#F0E442",  # yellow
    "#7F7F7F",  # grey: neutral / reference
]
#: Named colours for meaning, so every report says "good" with the same green.
COLORS: dict[str, str] = {
    "primary": PALETTE[0],
    "secondary": PALETTE[1],
    "good": PALETTE[2],
    "bad": PALETTE[5],
    "neutral": PALETTE[7],
    "highlight": PALETTE[1],
}
FIGSIZE = (9.0, 4.2)
#: Column names the helpers may print as axis labels (translated when they are one of these).
AXIS_WORDS = (N_("count"), N_("value"), N_("estimate"), N_("date"))


def _axis_name(column: str) -> str:
    return translate(column.replace("_", " ")) if column.replace("_", " ") in AXIS_WORDS else column.replace("_", " ")


def apply_style(context: str = "notebook", lang: str | None = None) -> None:
    """Set the leadlab seaborn theme: white grid, the leadlab palette, readable fonts.

    Registers the CJK font (:mod:`leadlab.i18n.fonts`): first for ``lang="zh"``, the
    fallback after DejaVu Sans for English, so Chinese labels and team names always draw.

    >>> apply_style(lang="zh")
    >>> import matplotlib.pyplot as plt
    >>> plt.rcParams["axes.spines.top"], plt.rcParams["font.family"][0]
    (False, 'Noto Sans CJK SC')
    """
    import matplotlib.pyplot as plt
    import seaborn as sns

    sns.set_theme(
        context=context,
        style="whitegrid",
        palette=PALETTE,
        rc={
            "figure.figsize": FIGSIZE,
            "figure.dpi": 100,
            "savefig.dpi": 100,
            "savefig.bbox": "tight",
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.titleweight": "bold",
            "axes.titlesize": 13,
            "axes.titlelocation": "left",
            "axes.labelsize": 11,
            "grid.color": "#E6E6E6",
            "legend.frameon": False,
        },
    )
    plt.rcParams["figure.max_open_warning"] = 0
    # labels come from data (team, source, arm names): a "$" must not start mathtext
    # (a parse error would fail the report), so text is always drawn literally
    plt.rcParams["text.parse_math"] = False
    from leadlab.i18n.fonts import font_rc  # after set_theme, which resets font.family

    plt.rcParams.update(font_rc(lang))


def _axes(ax: "Axes | None", figsize: tuple[float, float] | None = None) -> "Axes":
    import matplotlib.pyplot as plt

    if ax is not None:
        return ax
    _, ax = plt.subplots(figsize=figsize or FIGSIZE)
    return ax


def _need(df: pd.DataFrame, cols: Sequence[str], fn: str) -> None:
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise ValueError(f"{fn}: missing column(s) {', '.join(missing)}; got {', '.join(map(str, df.columns))}")


def human(n: float) -> str:
    """A short human number: 950, 12.3k, 1.2M (in Chinese: 1.2万, 123.5万).

    >>> human(950), human(12_345), human(1_234_567)
    ('950', '12.3k', '1.2M')
    >>> from leadlab.i18n import use_lang
    >>> with use_lang("zh"):
    ...     human(950), human(12_345), human(1_234_567)
    ('950', '1.2万', '123.5万')
    """
    n = float(n)
    if get_lang_safe() == "zh":
        from babel.numbers import format_compact_decimal

        return format_compact_decimal(n, format_type="short", fraction_digits=1, locale="zh_Hans_CN")
    for div, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(n) >= div:
            return f"{n / div:.1f}{suffix}"
    return f"{n:,.0f}"


def get_lang_safe() -> str:
    """The current language, English when the environment names a bad one (a chart never fails on it)."""
    from leadlab.i18n.lang import lang_or_en

    return lang_or_en()


def funnel_chart(
    df: pd.DataFrame,
    stage: str = "stage",
    count: str = "count",
    *,
    ax: "Axes | None" = None,
    title: str | None = N_("Funnel"),
    color: str | None = None,
) -> "Axes":
    """Horizontal funnel: one bar per stage (top = first stage), labelled with the count,
    the share of the first stage and the step conversion from the previous stage.

    >>> ax = funnel_chart(pd.DataFrame({"stage": ["a", "b"], "count": [10, 5]}), title="Demo")
    >>> [t.get_text() for t in ax.get_yticklabels()]
    ['a', 'b']
    """
    _need(df, [stage, count], "funnel_chart")
    counts = df[count].astype(float).to_numpy()
    labels = df[stage].astype(str).tolist()
    ax = _axes(ax, (FIGSIZE[0], 0.55 * len(labels) + 1.2))
    y = np.arange(len(labels))
    ax.barh(y, counts, color=color or COLORS["primary"], height=0.65)
    ax.set_yticks(y, labels)
    ax.invert_yaxis()
    top = counts[0] if len(counts) and counts[0] > 0 else np.nan
    xmax = np.nanmax(counts) if len(counts) and np.nanmax(counts) > 0 else 1.0
    for i, c in enumerate(counts):
        text = fmt.number(c)
        if i > 0 and not np.isnan(top):
            text += "  ·  " + _("{share} of {stage}", share=fmt.percent(c / top), stage=labels[0])
            prev = counts[i - 1]
            if prev > 0:
                text += "  ·  " + _("{share} of previous", share=fmt.percent(c / prev))
        ax.text(c + xmax * 0.01, i, text, va="center", fontsize=10)
    ax.set_xlim(0, xmax * 1.55)
    ax.xaxis.set_major_formatter(_human_formatter())
    ax.grid(axis="y", visible=False)
    ax.set_xlabel(_axis_name(count))
    ax.set_ylabel("")
    if title:
        ax.set_title(translate(title))
    return ax


def time_series(
    df: pd.DataFrame,
    x: str = "date",
    y: str = "value",
    *,
    hue: str | None = None,
    rolling: int | None = None,
    rolling_label: str | None = None,
    ax: "Axes | None" = None,
    title: str | None = None,
    ylabel: str | None = None,
    percent: bool = False,
    shade: tuple | None = None,
) -> "Axes":
    """A line per ``hue`` group (or one line) over ``x``. ``rolling=7`` adds a bold
    7-point rolling mean over a faint raw line (legend: ``rolling_label``, e.g. "7-day average");
    ``shade=(start, end)`` shades a span
    (e.g. the report period); ``percent=True`` formats the y axis as percentages.

    >>> apply_style()  # titles on the left
    >>> d = pd.DataFrame({"date": pd.date_range("2026-01-01", periods=10), "value": range(10)})
    >>> time_series(d, rolling=3, title="Calls per day").get_title(loc="left")
    'Calls per day'
    """
    _need(df, [x, y] + ([hue] if hue else []), "time_series")
    ax = _axes(ax)
    data = df.sort_values(x)
    groups = [(None, data)] if hue is None else list(data.groupby(hue, sort=True))
    for i, (name, part) in enumerate(groups):
        color = PALETTE[i % len(PALETTE)]
        label = None if name is None else str(name)
        if rolling and len(part) >= 2:
            ax.plot(part[x], part[y], color=color, alpha=0.3, linewidth=1)
            smooth = part[y].rolling(rolling, min_periods=min(rolling, len(part))).mean()
            what = rolling_label or _("{n}-point average", n=fmt.number(rolling))
            ax.plot(part[x], smooth, color=color, linewidth=2.2,
                    label=_("{series}, {average}", series=label, average=what) if label else what)
        else:
            ax.plot(part[x], part[y], color=color, linewidth=2, label=label, marker="o" if len(part) < 30 else None)
    if shade is not None:
        ax.axvspan(pd.Timestamp(shade[0]), pd.Timestamp(shade[1]), color=COLORS["secondary"], alpha=0.12, lw=0)
    if percent:
        from matplotlib.ticker import PercentFormatter

        ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    else:
        ax.yaxis.set_major_formatter(_human_formatter())
    ax.set_xlabel("")
    ax.set_ylabel(ylabel if ylabel is not None else _axis_name(y))
    ax.set_ylim(bottom=0 if (len(data) and data[y].min() >= 0) else None)
    if hue is not None or rolling:
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0))
    if title:
        ax.set_title(title)
    ax.figure.autofmt_xdate()
    return ax


def forest_plot(
    df: pd.DataFrame,
    label: str = "label",
    estimate: str = "estimate",
    lower: str = "lower",
    upper: str = "upper",
    *,
    ref: float | None = 0.0,
    ax: "Axes | None" = None,
    title: str | None = None,
    xlabel: str | None = None,
    percent: bool = False,
    color_by_sign: bool = True,
) -> "Axes":
    """Point estimates with confidence intervals, one row per ``label`` (e.g. an arm's
    effect, a metric's lift, a coefficient). A dashed line marks ``ref`` (no effect).
    With ``color_by_sign`` intervals entirely above ``ref`` are green, entirely below red,
    crossing it grey.

    >>> d = pd.DataFrame({"label": ["B vs A"], "estimate": [0.02], "lower": [-0.01], "upper": [0.05]})
    >>> forest_plot(d, percent=True).get_yticklabels()[0].get_text()
    'B vs A'
    """
    _need(df, [label, estimate, lower, upper], "forest_plot")
    ax = _axes(ax, (FIGSIZE[0], 0.6 * len(df) + 1.4))
    y = np.arange(len(df))
    for i, row in enumerate(df.itertuples(index=False)):
        est, lo, hi = (float(getattr(row, c)) for c in (estimate, lower, upper))
        color = COLORS["primary"]
        if color_by_sign and ref is not None:
            color = COLORS["good"] if lo > ref else COLORS["bad"] if hi < ref else COLORS["neutral"]
        ax.plot([lo, hi], [i, i], color=color, linewidth=3, solid_capstyle="round")
        ax.plot([est], [i], "o", color=color, markersize=8)
    if ref is not None:
        ax.axvline(ref, color="#333333", linestyle="--", linewidth=1)
    ax.set_yticks(y, df[label].astype(str).tolist())
    ax.invert_yaxis()
    ax.grid(axis="y", visible=False)
    if percent:
        from matplotlib.ticker import PercentFormatter

        ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_xlabel(xlabel or _axis_name(estimate))
    if title:
        ax.set_title(title)
    return ax


def bar_chart(
    df: pd.DataFrame,
    x: str,
    y: str,
    *,
    hue: str | None = None,
    horizontal: bool = False,
    ax: "Axes | None" = None,
    title: str | None = None,
    percent: bool = False,
    annotate: bool = True,
) -> "Axes":
    """Bars of ``y`` per ``x`` (optionally split by ``hue``), values written on the bars.

    >>> apply_style()  # titles on the left
    >>> d = pd.DataFrame({"team": ["North", "South"], "calls": [120, 95]})
    >>> bar_chart(d, "team", "calls", title="Calls per team").get_title(loc="left")
    'Calls per team'
    """
    import seaborn as sns

    _need(df, [x, y] + ([hue] if hue else []), "bar_chart")
    ax = _axes(ax, (FIGSIZE[0], max(2.5, 0.45 * len(df) + 1.2)) if horizontal else None)
    if horizontal:
        sns.barplot(data=df, y=x, x=y, hue=hue, ax=ax, orient="h", color=None if hue else COLORS["primary"])
    else:
        sns.barplot(data=df, x=x, y=y, hue=hue, ax=ax, color=None if hue else COLORS["primary"])
    if annotate:
        show = (lambda v: fmt.percent(v)) if percent else human
        for container in ax.containers:
            ax.bar_label(container, labels=[show(v) for v in container.datavalues], padding=2, fontsize=9)
    value_axis = ax.xaxis if horizontal else ax.yaxis
    if percent:
        from matplotlib.ticker import PercentFormatter

        value_axis.set_major_formatter(PercentFormatter(1.0))
    else:
        value_axis.set_major_formatter(_human_formatter())
    ax.set_xlabel("" if not horizontal else _axis_name(y))
    ax.set_ylabel("" if horizontal else _axis_name(y))
    if title:
        ax.set_title(title)
    return ax


def _human_formatter():
    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(lambda v, _pos: human(v))


__all__ = ["COLORS", "PALETTE", "apply_style", "bar_chart", "forest_plot", "funnel_chart", "human", "time_series"]
