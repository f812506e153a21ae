"""Chinese text in a page that opens anywhere: a subset of Noto Sans CJK SC embedded as a web font.

A report page must read the same on a machine without Chinese fonts (a server, a
container, a headless browser): the figures carry their glyphs already (matplotlib uses
:mod:`leadlab.i18n.fonts`), the HTML text does not. :func:`embed_cjk_font` adds to a page
that contains Chinese characters an ``@font-face`` holding only the glyphs it uses (fontTools'
subsetter on the font file ``mplfonts`` installs; some 10–200 kB as WOFF), as a ``data:`` URL,
which the page's Content-Security-Policy allows (``font-src data:``). The face is restricted
to CJK code points (``unicode-range``) and listed first, so Chinese looks the same everywhere
and Latin text keeps the page's fonts.

>>> page = "<html><head><style></style></head><body><p>接通率 31.2%</p></body></html>"
>>> out = embed_cjk_font(page)
>>> "@font-face" in out and "data:font/woff;base64," in out, embed_cjk_font("<p>only Latin</p>") == "<p>only Latin</p>"
(True, True)
>>> sorted(cjk_characters("接通率：31.2%（环比）"))
['接', '比', '率', '环', '通', '（', '）', '：']
"""

from __future__ import annotations

import base64
import functools
import io
import re

FAMILY = "leadlab CJK"
#: Code points the embedded face serves: CJK punctuation, ideographs, full-width forms.
UNICODE_RANGE = "U+2E80-2FDF, U+3000-303F, U+31C0-31EF, U+3400-4DBF, U+4E00-9FFF, U+F900-FAFF, U+FE30-FE4F, U+FF00-FFEF"
_CJK = re.compile(r"[\u2e80-\u2fdf\u3000-\u303f\u31c0-\u31ef\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef]")
#: Font stacks of the pages with the embedded face first: it serves only CJK code points
#: (``unicode-range``), so Latin text keeps the fonts after it. (Listed after a system font,
#: Chromium on Linux drew some Chinese runs as empty boxes when fontconfig substituted that font.)
UI_STACK = f'"{FAMILY}", system-ui, -apple-system, blinkmacsystemfont, "Segoe UI", helvetica, arial, sans-serif'
CODE_STACK = f'"{FAMILY}", menlo, consolas, "DejaVu Sans Mono", monospace'


def cjk_characters(text: str) -> set[str]:
    """The CJK characters of ``text`` (the glyphs the embedded face must hold)."""
    return set(_CJK.findall(text))


def subset_woff(chars: set[str]) -> bytes:
    """Noto Sans CJK SC reduced to ``chars`` (plus the space), as WOFF bytes."""
    from fontTools import subset

    from leadlab.i18n.fonts import cjk_font_path

    options = subset.Options()
    options.flavor = "woff"
    options.hinting = False
    options.desubroutinize = True
    options.layout_features = ["*"]
    font = subset.load_font(str(cjk_font_path()), options)
    subsetter = subset.Subsetter(options)
    subsetter.populate(text="".join(sorted(chars)) + " ")
    subsetter.subset(font)
    buf = io.BytesIO()
    subset.save_font(font, buf, options)
    return buf.getvalue()


def font_face_css(chars: set[str]) -> str:
    """The ``@font-face`` rule of the subset and the page's font stacks using it."""
    return _font_face_css(frozenset(chars))


@functools.lru_cache(maxsize=16)  # the index is rewritten after every run, mostly with the same characters
def _font_face_css(chars: frozenset[str]) -> str:
    data = base64.b64encode(subset_woff(set(chars))).decode("ascii")
    return (f'@font-face {{ font-family: "{FAMILY}"; src: url(data:font/woff;base64,{data}) format("woff"); '
            f"unicode-range: {UNICODE_RANGE}; font-display: block; }}\n"
            f":root {{ --jp-ui-font-family: {UI_STACK}; --jp-content-font-family: {UI_STACK}; "
            f"--jp-code-font-family-default: {CODE_STACK}; }}\n"
            f"body {{ font-family: {UI_STACK}; }}\n")


def embed_cjk_font(page: str) -> str:
    """``page`` with the embedded face in a ``<style>`` at the end of its head (unchanged when
    it has no Chinese character or no ``</head>``)."""
    chars = cjk_characters(page)
    if not chars or "</head>" not in page:
        return page
    style = f"<style>\n{font_face_css(chars)}</style>\n"
    head_end = page.index("</head>")
    return page[:head_end] + style + page[head_end:]


__all__ = ["FAMILY", "UNICODE_RANGE", "cjk_characters", "embed_cjk_font", "font_face_css", "subset_woff"]
