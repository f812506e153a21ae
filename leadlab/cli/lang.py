"""The CLI's language: one ``--lang`` option on every command, and click's own messages translated.

``leadlab --lang zh kpi show``, ``leadlab kpi list --lang zh`` and ``$LEADLAB_LANG=zh``
all work: :func:`scan_lang` reads ``--lang`` from the command line before click parses
anything (so even click's usage errors come out in that language), and
:func:`add_lang_option` gives every command and sub-command the option, so ``--help``
shows it and click accepts it wherever it is written.

Click's messages ("No such option", "Missing argument", ...) go through the stdlib
``gettext`` functions click imported. :func:`translate_click` points those names at the
leadlab catalog for the messages listed in :data:`CLICK_MESSAGES` (each mapped to a
leadlab message id with plain ``{placeholders}``; click's ``{name!r}`` conversions are put
back on the translation); any other click text stays English.

>>> scan_lang(["--lang", "zh", "kpi", "show"]), scan_lang(["kpi", "list", "--lang=en"]), scan_lang(["kpi"])
('zh', 'en', None)
>>> from leadlab.i18n import use_lang
>>> with use_lang("zh"):
...     click_gettext("No such option {name!r}.").format(name="--foo")
"没有选项 '--foo'。"
"""

from __future__ import annotations

import string
from collections.abc import Sequence

import click

from leadlab.i18n import N_, resolve_lang, use_lang

#: Help text of ``--lang``.
LANG_HELP = N_("Language of messages and reports: en or zh (default: $LEADLAB_LANG, then leadlab.toml, then en).")

#: Click's message (its own id, with click's placeholders) → the leadlab message id translating it.
CLICK_MESSAGES: dict[str, str] = {
    "Invalid value for {param_hint}: {message}": N_("Invalid value for {param_hint}: {message}"),
    "Invalid value: {message}": N_("Invalid value: {message}"),
    "Missing argument": N_("Missing argument"),
    "Missing option": N_("Missing option"),
    "Missing parameter": N_("Missing parameter"),
    "Missing {param_type}": N_("Missing {param_type}"),
    "Missing parameter: {param_name}": N_("Missing parameter: {param_name}"),
    "No such option {name!r}.": N_("No such option {name}."),
    "No such command {name!r}.": N_("No such command {name}."),
    "Missing command.": N_("Missing command."),
    "Option {name!r} does not take a value.": N_("Option {name} does not take a value."),
    "{value!r} is not a valid {number_type}.": N_("{value} is not a valid {number_type}."),
    "{value} is not in the range {range}.": N_("{value} is not in the range {range}."),
    "Could not open file {filename!r}: {message}": N_("Could not open file {filename}: {message}"),
    "Usage:": N_("Usage:"),
    "Options": N_("Options"),
    "Commands": N_("Commands"),
    "default: {default}": N_("default: {default}"),
    "required": N_("required"),
}
#: Click's ngettext messages: (singular, plural) → two leadlab message ids, chosen by the count
#: (the two forms name different fields, so they cannot share Chinese's one plural form).
CLICK_PLURALS: dict[tuple[str, str], tuple[str, str]] = {
    ("Did you mean {possibility}?", "(Did you mean one of: {possibilities}?)"):
        (N_("Did you mean {possibility}?"), N_("(Did you mean one of: {possibilities}?)")),
    ("Got unexpected extra argument ({args})", "Got unexpected extra arguments ({args})"):
        (N_("Got unexpected extra argument ({args})"), N_("Got unexpected extra arguments ({args})")),
    ("Option {name!r} requires an argument.", "Option {name!r} requires {nargs} arguments."):
        (N_("Option {name} requires an argument."), N_("Option {name} requires {nargs} arguments.")),
    ("{value!r} is not {choice}.", "{value!r} is not one of {choices}."):
        (N_("{value} is not {choice}."), N_("{value} is not one of {choices}.")),
}


def _conversions(template: str) -> dict[str, str]:
    """``{"name": "!r"}`` for each field of ``template`` written with a conversion."""
    return {field: f"!{conv}" for _, field, _, conv in string.Formatter().parse(template) if field and conv}


def _back_to_click(click_id: str, translated: str) -> str:
    for field, conv in _conversions(click_id).items():
        translated = translated.replace("{" + field + "}", "{" + field + conv + "}")
    return translated


def _catalog():
    from leadlab.i18n.catalog import translations
    from leadlab.i18n.lang import lang_or_en

    lang = lang_or_en()
    return None if lang == "en" else translations(lang)


def click_gettext(message: str) -> str:
    """Click's ``gettext``: the translation of a listed message (still a template for click)."""
    ours = CLICK_MESSAGES.get(message)
    catalog = _catalog() if ours else None
    if catalog is None:
        return message
    return _back_to_click(message, catalog.gettext(ours))


def click_ngettext(singular: str, plural: str, n: int) -> str:
    """Click's ``ngettext``, translated for the listed messages."""
    ours = CLICK_PLURALS.get((singular, plural))
    catalog = _catalog() if ours else None
    if catalog is None:
        return singular if n == 1 else plural
    one = n == 1
    return _back_to_click(singular if one else plural, catalog.gettext(ours[0] if one else ours[1]))


def translate_click() -> None:
    """Point click's message functions at :func:`click_gettext` / :func:`click_ngettext` (idempotent)."""
    import importlib

    for name in ("core", "exceptions", "parser", "types", "formatting"):
        module = importlib.import_module(f"click.{name}")
        if hasattr(module, "_"):
            module._ = click_gettext
        if hasattr(module, "ngettext"):
            module.ngettext = click_ngettext


def scan_lang(argv: Sequence[str]) -> str | None:
    """The value of the last ``--lang X`` / ``--lang=X`` before a ``--`` (None when absent)."""
    found = None
    args = list(argv)
    for i, arg in enumerate(args):
        if arg == "--":
            break
        if arg == "--lang" and i + 1 < len(args):
            found = args[i + 1]
        elif arg.startswith("--lang="):
            found = arg[len("--lang="):]
    return found


def _lang_callback(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    if value is not None:
        ctx.with_resource(use_lang(resolve_lang(value, source="option --lang")))


class LangOption(click.Option):
    """``--lang``: eager (set before the other options are read), not passed to the command's
    function; its help is translated when shown."""

    def __init__(self) -> None:
        super().__init__(["--lang"], metavar="en|zh", expose_value=False, is_eager=True, callback=_lang_callback,
                         help=LANG_HELP)

    def get_help_record(self, ctx: click.Context):
        from leadlab.i18n import translate

        self.help = translate(LANG_HELP)
        return super().get_help_record(ctx)


def lang_option() -> click.Option:
    """A fresh ``--lang`` option."""
    return LangOption()


def add_lang_option(command: click.Command) -> click.Command:
    """Give ``command`` and all its sub-commands a ``--lang`` option (once; kept when it has one)."""
    if not any("--lang" in getattr(p, "opts", ()) for p in command.params):
        command.params.append(lang_option())
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            add_lang_option(sub)
    return command


__all__ = ["CLICK_MESSAGES", "CLICK_PLURALS", "LANG_HELP", "LangOption", "add_lang_option", "click_gettext", "click_ngettext",
           "lang_option", "scan_lang", "translate_click"]
