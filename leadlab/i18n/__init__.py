"""leadlab in English and Simplified Chinese: language choice, messages, formatting, fonts.

Mark every sentence a person reads; the English text is the message id::

    from leadlab.i18n import _, fmt, ngettext
    _("Connect rate was {rate} in {period}.", rate=fmt.percent(r), period=fmt.period_label("2026-10"))

Language: :func:`resolve_lang` (explicit > ``$LEADLAB_LANG`` > ``leadlab.toml`` > ``en``),
:func:`set_lang` for the process, :func:`use_lang` for a block. See docs/i18n.md.

>>> from leadlab.i18n import _, fmt, use_lang
>>> with use_lang("zh"):
...     _("Week {week}, {year}", week="46", year="2026"), fmt.money(12800)
('2026年第46周', '¥12,800')
"""

from __future__ import annotations

from leadlab.i18n import fmt
from leadlab.i18n.lang import LANGS, get_lang, resolve_lang, set_lang, use_lang
from leadlab.i18n.messages import N_, _, ngettext, pgettext, translate

__all__ = ["LANGS", "N_", "_", "fmt", "get_lang", "ngettext", "pgettext", "resolve_lang", "set_lang",
           "translate", "use_lang"]
