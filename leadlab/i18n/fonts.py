"""A CJK font for matplotlib, from the ``mplfonts`` package (Noto Sans CJK SC, SIL OFL).

matplotlib falls back to DejaVu Sans, which has no Chinese glyphs, and draws 拨打量 as
empty boxes. :func:`register_cjk_font` adds the ``.otf`` file that ``mplfonts`` installs
(found with :mod:`importlib.resources`; nothing is downloaded, mplfonts' own commands are
not used) and :func:`font_rc` gives the rcParams that put it first, in both languages, so
Chinese team and arm names draw in English reports too. DejaVu Sans stays in the family
list as the per-glyph fallback.

>>> register_cjk_font()
'Noto Sans CJK SC'
>>> rc = font_rc("zh")
>>> rc["font.family"][0], rc["axes.unicode_minus"]
('Noto Sans CJK SC', False)
"""

from __future__ import annotations

import functools
from importlib import resources
from pathlib import Path

from leadlab.errors import ConfigError

FONT_PACKAGE = "mplfonts"
FONT_FILE = "NotoSansCJKsc-Regular.otf"
FALLBACK_FAMILY = "DejaVu Sans"  # ships with matplotlib


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


@functools.cache
def register_cjk_font() -> str:
    """Add the CJK font to matplotlib's font manager (once per process); return its family name."""
    from matplotlib import font_manager

    path = str(cjk_font_path())
    if not any(entry.fname == path for entry in font_manager.fontManager.ttflist):
        font_manager.fontManager.addfont(path)
    return font_manager.FontProperties(fname=path).get_name()


def font_rc(lang: str | None = None) -> dict:
    """The rcParams that make figures draw Chinese: the CJK family first, then DejaVu Sans.

    The same for ``"en"`` and ``"zh"`` today (Chinese names appear in English reports);
    ``lang`` is accepted so callers need not change if the languages ever differ.
    Apply after ``seaborn.set_theme`` (which resets ``font.family``).
    """
    import matplotlib

    from leadlab.i18n.lang import normalize_lang

    if lang is not None:
        normalize_lang(lang, "font_rc lang")
    family = register_cjk_font()
    rest = [f for f in matplotlib.rcParams["font.sans-serif"] if f not in (family, FALLBACK_FAMILY)]
    return {
        "font.family": [family, FALLBACK_FAMILY],
        "font.sans-serif": [family, FALLBACK_FAMILY, *rest],
        "axes.unicode_minus": False,
    }


def apply_fonts(lang: str | None = None) -> None:
    """``matplotlib.rcParams.update(font_rc(lang))``."""
    import matplotlib

    matplotlib.rcParams.update(font_rc(lang))
