"""Chinese text in published pages without a system CJK font: an embedded font subset.

A reader's browser on Chinese Windows or macOS has a CJK font (Microsoft YaHei, PingFang),
but a server, a headless browser or a Linux laptop may not, and then every Chinese
character of a report shows as an empty box. Pages therefore carry the bundled Noto Sans
CJK SC (see :mod:`leadlab.i18n.fonts`) cut down to the characters the page uses, as an
embedded WOFF ``@font-face`` (``data:`` URL, which the pages' Content-Security-Policy
allows; nothing is fetched). The subset is made with fontTools (a matplotlib dependency):
about 0.3 KB per character, so a report with 600 distinct characters gains ~160 KB.

>>> "@font-face" in font_face_css("<p>接通率</p>"), font_face_css("<p>connect rate</p>")
(True, '')
"""

from __future__ import annotations

import base64
import functools
import io
import re

#: CJK punctuation, kana, unified ideographs, compatibility ideographs and full-width forms.
_CJK = re.compile(r"[\u2e80-\u303f\u3040-\u30ff\u3100-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef]")
FAMILY = "leadlab CJK"
#: Fonts tried first: the reader's own Chinese fonts, then the embedded subset.
FONT_STACK = ("system-ui, -apple-system, 'Segoe UI', 'PingFang SC', 'Hiragino Sans GB', 'Microsoft YaHei', "
              f"'Noto Sans CJK SC', '{FAMILY}', sans-serif")


def cjk_characters(page: str) -> str:
    """The distinct CJK characters of ``page``, sorted (deterministic output)."""
    return "".join(sorted(set(_CJK.findall(page))))


@functools.lru_cache(maxsize=32)
def _subset_woff(chars: str) -> bytes:
    from fontTools import subset
    from fontTools.ttLib import TTFont

    from leadlab.i18n.fonts import cjk_font_path

    options = subset.Options()
    options.flavor = "woff"
    options.layout_features = ["*"]
    options.notdef_outline = True
    font = TTFont(str(cjk_font_path()), lazy=True)
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=chars)
    subsetter.subset(font)
    out = io.BytesIO()
    font.flavor = "woff"
    font.save(out)
    return out.getvalue()


def font_face_css(page: str) -> str:
    """A ``<style>`` block embedding the CJK characters ``page`` uses ("" when it uses none)."""
    chars = cjk_characters(page)
    if not chars:
        return ""
    data = base64.b64encode(_subset_woff(chars)).decode("ascii")
    return ("<style>"
            f"@font-face{{font-family:'{FAMILY}';src:url(data:font/woff;base64,{data}) format('woff');"
            "font-weight:100 900;font-style:normal;}"
            f"body,table,th,td,h1,h2,h3,h4,p,li,div,span{{font-family:{FONT_STACK};}}"
            "</style>")


def embed_cjk_font(page: str) -> str:
    """``page`` with :func:`font_face_css` inserted before ``</head>`` (unchanged without CJK text)."""
    css = font_face_css(page)
    if not css:
        return page
    head_end = page.find("</head>")
    return page[:head_end] + css + page[head_end:] if head_end >= 0 else css + page
