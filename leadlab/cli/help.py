"""``--help`` in the current language: click stores the English help, leadlab translates it when shown.

Click reads help texts when the modules are imported, before ``--lang`` is known, so every
help literal in ``leadlab/cli`` (command help, option help, metavars that are words) is
marked with :func:`~leadlab.i18n.N_` and stays English in the command objects.
:class:`HelpCommand` / :class:`HelpGroup` translate them only while a help page or a
command list is written, then put the English back. A :class:`HelpGroup` gives its
sub-commands and sub-groups the same classes (``command_class`` / ``group_class``), so
``@group.command(...)`` needs nothing more.

Texts without a catalog entry (data, codes, ``[a|b]`` choices) are shown as they are.
While a help page is written, click measures and wraps text by terminal columns
(:func:`display_width`: a Chinese character takes two), so Chinese lines keep to the
width and option columns stay aligned; English output is unchanged.

>>> import click
>>> from leadlab.i18n import N_, use_lang
>>> @click.group(cls=HelpGroup)
... def tool():
...     pass
>>> @tool.command("hello", help=N_("Show this message and exit."))
... @click.option("--n", type=int, help=N_("Show this message and exit."))
... def hello(n):
...     pass
>>> with use_lang("zh"):
...     page = hello.get_help(click.Context(hello, info_name="hello"))
>>> "显示此帮助并退出。" in page and "整数" in page, hello.help
(True, 'Show this message and exit.')
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import re
import unicodedata
from collections.abc import Iterator

import click

from leadlab.i18n import N_, translate

#: Click's own help words, marked here so the catalog translates them like ours.
CLICK_WORDS = (
    N_("Show this message and exit."),
    N_("Show the version and exit."),
    N_("[OPTIONS]"),
    N_("COMMAND [ARGS]..."),
)
#: Metavars click derives from parameter types (``type=int`` shows INTEGER), translated when shown.
TYPE_WORDS = (N_("INTEGER"), N_("TEXT"), N_("FLOAT"), N_("NUMBER"), N_("FILE"), N_("DIRECTORY"), N_("PATH"),
              N_("PERIOD"), N_("INTEGER RANGE"), N_("FLOAT RANGE"))

_SENTENCE_END = re.compile(r"[。！？]")
#: One wide character with the punctuation that must stay on its line (no line starts with "，" or "）").
_CLOSERS = "，。、；：）》」』”’！？"
_WIDE_CHUNK = re.compile(r"([（《「『“‘]?[\u2e80-\u9fff\u3000-\u303f\uff00-\uffef][，。、；：）》」』”’！？]*)")


def help_text(text: str | None) -> str | None:
    """``text`` in the current language when the catalog has it, else unchanged."""
    if not text:
        return text
    try:
        return translate(text)
    except (KeyError, IndexError, ValueError):  # braces in an unmarked text: show it as written
        return text


def short_help(text: str, limit: int) -> str:
    """The first sentence of the first paragraph of ``text`` (a help text already translated).

    Click's shortener cuts at ``.`` between words; Chinese sentences end in ``。`` without
    spaces, so they are cut there.

    >>> short_help("本期关键指标对比表。附带显著性标记。", 45)
    '本期关键指标对比表。'
    >>> short_help("The KPI table of a period. With flags.", 45)
    'The KPI table of a period.'
    """
    first = text.partition("\n\n")[0].replace("\b", "").strip()
    match = _SENTENCE_END.search(first)
    if match is None:
        return click.Command("x", help=text).get_short_help_str(limit)
    return " ".join(first[: match.end()].split())


def display_width(text: str) -> int:
    """Terminal columns ``text`` takes (ANSI styles take none, a wide character two).

    >>> display_width("--target 列名"), display_width("plain")
    (13, 5)
    """
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in click.unstyle(text))


def _cut_to_width(text: str, n: int) -> str:
    """The longest prefix of ``text`` that fits in ``n`` terminal columns (ANSI-free help text)."""
    used = 0
    for i, ch in enumerate(text):
        used += 2 if unicodedata.east_asian_width(ch) in "WF" else 1
        if used > n:
            return text[:i]
    return text


@functools.cache
def _wide_wrapper(base: type) -> type:
    """Click's text wrapper, breaking Chinese text between characters (it has no spaces)."""

    class WideTextWrapper(base):  # type: ignore[misc, valid-type]
        def _split(self, text: str) -> list[str]:
            out: list[str] = []
            for part in (p for chunk in super()._split(text) for p in _WIDE_CHUNK.split(chunk) if p):
                if out and part[0] in _CLOSERS and out[-1].strip():
                    out[-1] += part  # "created_at）。" stays together
                else:
                    out.append(part)
            return out

    return WideTextWrapper


@contextlib.contextmanager
def _wide_layout() -> Iterator[None]:
    """Within the block click's help formatter counts terminal columns, not characters.

    Click measures through ``term_len`` (and cuts long words with ``_truncate_visible``),
    which count a Chinese character as one column; both are swapped for the block only.
    """
    import click._textwrap as textwrap_mod
    import click.formatting as formatting_mod

    with contextlib.ExitStack() as stack:
        for module, name, func in ((formatting_mod, "term_len", display_width),
                                   (textwrap_mod, "term_len", display_width),
                                   (textwrap_mod, "_truncate_visible", _cut_to_width),
                                   (textwrap_mod, "TextWrapper", _wide_wrapper(textwrap_mod.TextWrapper))):
            if hasattr(module, name):  # a later click may rename them: then it lays out as before
                stack.enter_context(_swapped(module, name, func))
        yield


@contextlib.contextmanager
def _swapped(obj: object, attr: str, value: object) -> Iterator[None]:
    old = getattr(obj, attr)
    setattr(obj, attr, value)
    try:
        yield
    finally:
        setattr(obj, attr, old)


def _metavar(param: click.Parameter, ctx: click.Context) -> str | None:
    """The translated metavar of ``param``, or None when it has none to translate."""
    if param.metavar is not None:
        shown = help_text(param.metavar)
        return shown if shown != param.metavar else None
    if param.nargs != 1 or (isinstance(param, click.Argument) and not param.required):
        return None  # click decorates these ("...", "[...]"): keep its form
    english = param.type.get_metavar(param=param, ctx=ctx)
    if not english:
        english = param.name.upper() if isinstance(param, click.Argument) and param.name else param.type.name.upper()
    shown = help_text(english)
    return shown if shown != english else None


@contextlib.contextmanager
def _translated(command: click.Command, ctx: click.Context) -> Iterator[None]:
    """Within the block, ``command``'s texts and its parameters' help and metavars are translated."""
    with contextlib.ExitStack() as stack:
        for attr in ("help", "epilog", "short_help", "options_metavar", "subcommand_metavar"):
            if isinstance(getattr(command, attr, None), str):
                stack.enter_context(_swapped(command, attr, help_text(getattr(command, attr))))
        for param in command.get_params(ctx):
            if isinstance(getattr(param, "help", None), str):
                stack.enter_context(_swapped(param, "help", help_text(param.help)))
            metavar = _metavar(param, ctx)
            if metavar is not None:
                stack.enter_context(_swapped(param, "metavar", metavar))
        yield


class HelpMixin:
    """Translates the help page and the short help of a click command when they are written."""

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with _translated(self, ctx), _wide_layout():  # type: ignore[arg-type]
            super().format_help(ctx, formatter)  # type: ignore[misc]

    def get_short_help_str(self, limit: int = 45) -> str:
        if self.short_help:  # type: ignore[attr-defined]
            return inspect.cleandoc(help_text(self.short_help))  # type: ignore[attr-defined]
        if self.help:  # type: ignore[attr-defined]
            return short_help(help_text(self.help), limit)  # type: ignore[attr-defined]
        return super().get_short_help_str(limit)  # type: ignore[misc]


class HelpCommand(HelpMixin, click.Command):
    """A command whose ``--help`` is shown in the current language."""


class HelpGroup(HelpMixin, click.Group):
    """A group whose ``--help`` is shown in the current language; so are its sub-commands'."""

    command_class = HelpCommand
    group_class = type


__all__ = ["CLICK_WORDS", "TYPE_WORDS", "HelpCommand", "HelpGroup", "HelpMixin", "help_text", "short_help"]
