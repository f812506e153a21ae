"""A CJK font for matplotlib, from the ``mplfonts`` package (Noto Sans CJK SC, SIL OFL).

matplotlib falls back to DejaVu Sans, which has no Chinese glyphs, and draws 拨打量 as
empty boxes. :func:`register_cjk_font` adds the ``.otf`` file that ``mplfonts`` installs
(found with :mod:`importlib.resources`; nothing is downloaded, mplfonts' own commands are
not used). :func:`font_rc` puts both fonts in ``font.family``, which matplotlib uses
glyph by glyph: Chinese figures use Noto Sans CJK SC first; English figures keep DejaVu
Sans first (their look, bold titles included, is unchanged) and take Chinese team and
arm names from the CJK font.

The package has the Regular weight only: Chinese text in a bold title draws at regular
weight (matplotlib's notice about the missing bold face is silenced for this font only).

>>> register_cjk_font()
'Noto Sans CJK SC'
>>> font_rc("zh")["font.family"], font_rc("en")["font.family"]
(['Noto Sans CJK SC', 'DejaVu Sans'], ['DejaVu Sans', 'Noto Sans CJK SC'])
"""

from __future__ import annotations

import functools
import logging
from importlib import resources
from pathlib import Path

from leadlab.errors import ConfigError

FONT_PACKAGE = "mplfonts"
FONT_FILE = "NotoSansCJKsc-Regular.otf"
FALLBACK_FAMILY = "DejaVu Sans"  # matplotlib's own font: Latin, Greek, Cyrillic, symbols, bold


def cjk_font_path() -> Path:
    """The bundled Noto Sans CJK SC file; ConfigError naming the package when it is missing."""
    hint = f"install the pinned dependency: pip install -c requirements.lock {FONT_PACKAGE}==0.0.11"
    try:
        path = resources.files(FONT_PACKAGE) / "fonts" / FONT_FILE
    except ModuleNotFoundError:
        raise ConfigError(f"the CJK font package {FONT_PACKAGE} is not installed; {hint}") from None
    if not path.is_file():
        raise ConfigError(f"the CJK font {FONT_FILE} is missing from the {FONT_PACKAGE} package; {hint}")
    return Path(str(path))


class _NoBoldNotice(logging.Filter):
    """Drop matplotlib's "Failed to find font weight bold for <CJK font>" notice (no bold face exists)."""

    def __init__(self, family: str):
        super().__init__()
        self.family = family

    def filter(self, record: logging.LogRecord) -> bool:
        return not (str(record.msg).startswith("findfont: Failed to find font weight")
                    and self.family in record.getMessage())


@functools.cache
def register_cjk_font() -> str:
    """Add the CJK font to matplotlib's font manager (once per process); return its family name."""
    from matplotlib import font_manager

    path = str(cjk_font_path())
    if not any(entry.fname == path for entry in font_manager.fontManager.ttflist):
        font_manager.fontManager.addfont(path)
    family = font_manager.FontProperties(fname=path).get_name()
    logging.getLogger("matplotlib.font_manager").addFilter(_NoBoldNotice(family))
    return family


def font_rc(lang: str | None = None) -> dict:
    """The rcParams that make figures draw Chinese (``lang`` None: the current language).

    ``zh``: Noto Sans CJK SC, then DejaVu Sans; ``en``: DejaVu Sans, then Noto Sans CJK SC
    for the glyphs DejaVu lacks. Apply after ``seaborn.set_theme`` (it resets ``font.family``).
    """
    import matplotlib

    from leadlab.i18n.lang import lang_or_en, normalize_lang

    lang = normalize_lang(lang, "font_rc lang") if lang is not None else lang_or_en()
    cjk = register_cjk_font()
    order = [cjk, FALLBACK_FAMILY] if lang == "zh" else [FALLBACK_FAMILY, cjk]
    rest = [f for f in matplotlib.rcParams["font.sans-serif"] if f not in order]
    return {"font.family": order, "font.sans-serif": [*order, *rest], "axes.unicode_minus": False}


def apply_fonts(lang: str | None = None) -> None:
    """``matplotlib.rcParams.update(font_rc(lang))``."""
    import matplotlib

    matplotlib.rcParams.update(font_rc(lang))
