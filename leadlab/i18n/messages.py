"""Translate a message into the current language, then fill its ``{named}`` fields.

Message ids are the English sentences (standard gettext), so English is complete by
construction. Fields are values already formatted with :mod:`leadlab.i18n.fmt`; the
template is always filled with :meth:`str.format`, so a literal brace is written ``{{``.

>>> from leadlab.i18n import use_lang
>>> with use_lang("zh"):
...     _("n/a"), ngettext("{n} day", "{n} days", 3, n="3")
('无数据', '3天')
>>> with use_lang("en"):
...     ngettext("{n} day", "{n} days", 1, n="1")
'1 day'
>>> METRIC_NAMES = [N_("n/a")]        # marked for extraction, translated later:
>>> with use_lang("zh"):
...     translate(METRIC_NAMES[0])
'无数据'
"""

from __future__ import annotations

from leadlab.i18n.lang import lang_or_en


def _catalog():
    from leadlab.i18n.catalog import translations  # imported late: python -m leadlab.i18n.catalog stays clean

    return translations(lang_or_en())


def _(msgid: str, /, **fields: object) -> str:
    """The translation of ``msgid`` in the current language, with ``fields`` filled in."""
    return _catalog().gettext(msgid).format(**fields)


def ngettext(singular: str, plural: str, n: int, /, **fields: object) -> str:
    """The form of a message for count ``n`` (Chinese has one form), ``fields`` filled in.

    ``n`` only chooses the form; pass ``n=fmt.number(n)`` as a field to show it.
    """
    return _catalog().ngettext(singular, plural, int(n)).format(**fields)


def pgettext(context: str, msgid: str, /, **fields: object) -> str:
    """Like :func:`_` for a short id whose translation depends on ``context`` (e.g. a column header)."""
    return _catalog().pgettext(context, msgid).format(**fields)


def N_(msgid: str, /) -> str:
    """Mark ``msgid`` for extraction without translating it (tables of ids); returns it unchanged."""
    return msgid


def translate(msgid: str, /, **fields: object) -> str:
    """Like :func:`_` for an id held in a variable (marked elsewhere with :func:`N_`).

    Not an extraction keyword: the id must be marked with ``N_`` where it is written.
    """
    return _catalog().gettext(msgid).format(**fields)
