"""Render an executed notebook to one self-contained HTML page without code and without script.

nbconvert's HTML exporter runs with ``exclude_input=True`` (``--report-mode`` does not
hide code); before that the ``parameters`` and papermill ``injected-parameters`` cells,
all papermill metadata and stderr streams (warnings) are removed, and a small header
(back link to the index, period, generation time, leadlab version) is added. Images are
embedded, so the file opens offline.

Hostile text cannot run: Markdown (cells and ``display(Markdown(...))`` outputs) is
rendered with raw HTML escaped and ``javascript:``-style links neutralised; every
``<script>`` of the template (require.js, MathJax, the mermaid loader) is dropped, since
the pages need none; and the page carries a Content-Security-Policy allowing no script
(:data:`leadlab.safehtml.CSP`). Maths in Markdown stays as its TeX source. The run facts
are stored in a ``<meta name="leadlab-run">`` tag so the index can be rebuilt from the
pages (``leadlab report reindex``).

The page is written in the current language (:func:`leadlab.i18n.get_lang`; the runner
renders inside ``use_lang(<report language>)``): ``<html lang="zh-CN">``, the back link,
the figures' alt texts; the header facts come translated from the runner. A page with
Chinese text embeds the glyphs it uses (:mod:`leadlab.reports.webfont`), so it reads the
same on a machine without Chinese fonts.

>>> import nbformat
>>> nb = nbformat.v4.new_notebook()
>>> nb.cells = [nbformat.v4.new_markdown_cell("# Hello <script>alert(1)</script>")]
>>> page = render_html(nb, title="Data overview — 2026-10")
>>> "<title>Data overview — 2026-10</title>" in page, "<script" in page, "script-src 'none'" in page
(True, False, True)
"""

from __future__ import annotations

import copy
import html
import json
import re
from pathlib import Path
from typing import Any

import nbformat

from leadlab.i18n import _, get_lang
from leadlab.safehtml import csp_meta

DROP_TAGS = {"parameters", "injected-parameters"}


def clean_notebook(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A copy of ``nb`` without parameter cells, papermill metadata, stderr streams and
    execution counts: what a reader should see."""
    nb = copy.deepcopy(nb)
    nb.metadata.pop("papermill", None)
    cells = []
    for cell in nb.cells:
        tags = set(cell.get("metadata", {}).get("tags", []))
        if tags & DROP_TAGS:
            continue
        cell.metadata.pop("papermill", None)
        cell.metadata.pop("execution", None)
        if cell.cell_type == "code":
            cell.execution_count = None
            cell.outputs = [o for o in cell.get("outputs", [])
                            if not (o.get("output_type") == "stream" and o.get("name") == "stderr")]
            for o in cell.outputs:
                if "execution_count" in o:
                    o["execution_count"] = None
        cells.append(cell)
    nb.cells = cells
    return nb


_DEFAULT_ALT = 'alt="No description has been provided for this image"'
_HEADING = re.compile(r"^\s*#{1,6}\s+(.+?)\s*$", re.M)


def _plain(markdown: str) -> str:
    """A Markdown heading as plain text (backslash escapes and entities resolved)."""
    return html.unescape(re.sub(r"\\(.)", r"\1", markdown)).replace("**", "")


def figure_captions(nb: nbformat.NotebookNode) -> list[str]:
    """An alt text for every image output, in order: the latest heading above it (markdown
    cell or displayed Markdown), so screen readers say which chart it is."""
    out: list[str] = []
    heading = _("Figure")
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            found = _HEADING.findall(cell.source)
            heading = found[-1] if found else heading
            continue
        for o in cell.get("outputs", []):
            md = o.get("data", {}).get("text/markdown")
            if md:
                found = _HEADING.findall(md if isinstance(md, str) else "".join(md))
                heading = found[-1] if found else heading
            if "image/png" in o.get("data", {}):
                out.append(_("Chart: {heading}", heading=_plain(heading)))
    return out


def header_cell(meta: dict[str, str], index_href: str | None = "../index.html") -> nbformat.NotebookNode:
    """A code cell (input hidden) whose HTML output is a back link to the report index and
    a grey line of run facts (escaped: parameter values are data)."""
    facts = " · ".join(_("{name}: {value}", name=html.escape(k), value=f"<b>{html.escape(str(v))}</b>")
                       for k, v in meta.items() if v not in (None, ""))  # the template is ours, the fields escaped
    back = _("← all reports")
    link = f"<a href='{html.escape(index_href, quote=True)}'>{html.escape(back)}</a>" if index_href else ""
    sep = " &nbsp;|&nbsp; " if link and facts else ""
    cell = nbformat.v4.new_code_cell("")
    cell.outputs = [nbformat.v4.new_output("display_data", data={"text/html": (
        f"<div style='color:#666;font-size:0.9em;border-bottom:1px solid #ddd;padding-bottom:4px'>{link}{sep}{facts}</div>")})]
    return cell


def _safe_exporter(**kw: Any):
    """nbconvert's HTMLExporter whose Markdown renderer escapes raw HTML and drops harmful links."""
    from jinja2 import pass_context
    from nbconvert import HTMLExporter
    from nbconvert.filters.markdown_mistune import IPythonRenderer, MarkdownWithMath

    class SafeHTMLExporter(HTMLExporter):
        @pass_context
        def markdown2html(self, context, source):  # type: ignore[override]
            cell = context.get("cell", {})
            renderer = IPythonRenderer(escape=True, allow_harmful_protocols=False,
                                       attachments=cell.get("attachments", {}), embed_images=False,
                                       anchor_link_text=self.anchor_link_text,
                                       exclude_anchor_links=self.exclude_anchor_links)
            return MarkdownWithMath(renderer=renderer).render(source)

        def default_filters(self):
            for name, f in super().default_filters():
                yield (name, self.markdown2html) if name == "markdown2html" else (name, f)

    return SafeHTMLExporter(**kw)


RUN_META = "leadlab-run"
_SCRIPT = re.compile(r"<script\b[^>]*>.*?</script\s*>\s*", re.S | re.I)
_RUN_META = re.compile(r'<meta name="leadlab-run" content="([^"]*)"\s*/?>')
_HTML_TAG = re.compile(r"<html\b[^>]*>", re.I)


def set_html_lang(page: str, lang: str) -> str:
    """``page`` whose ``<html>`` tag says ``lang`` (``zh`` → ``zh-CN``; nbconvert accepts only ISO 639-1).

    >>> set_html_lang('<!DOCTYPE html><html lang="en"><head>', "zh")
    '<!DOCTYPE html><html lang="zh-CN"><head>'
    """
    from leadlab.reports.publish import HTML_LANG

    return _HTML_TAG.sub(f'<html lang="{HTML_LANG.get(lang, "en")}">', page, count=1)


def run_meta_tag(facts: dict[str, Any]) -> str:
    """``<meta name="leadlab-run" content="...">`` holding ``facts`` as escaped JSON."""
    return f'<meta name="{RUN_META}" content="{html.escape(json.dumps(facts, default=str, sort_keys=True), quote=True)}">'


def read_run_meta(page: str) -> dict[str, Any] | None:
    """The run facts stored in a published page (None when the page has none or they do not parse)."""
    m = _RUN_META.search(page)
    if not m:
        return None
    try:
        facts = json.loads(html.unescape(m.group(1)))
    except json.JSONDecodeError:
        return None
    return facts if isinstance(facts, dict) else None


def secure_page(page: str, run_facts: dict[str, Any] | None = None) -> str:
    """``page`` without any ``<script>`` element, with the CSP (and the run facts) as the
    first tags of its head."""
    page = _SCRIPT.sub("", page)
    head = csp_meta() + (run_meta_tag(run_facts) if run_facts is not None else "")
    m = re.search(r"<head[^>]*>\s*(<meta charset=[^>]*>)?", page, flags=re.I)
    if not m:
        return f"<!DOCTYPE html><html><head>{head}</head><body>{page}</body></html>"
    return page[:m.end()] + head + page[m.end():]


def render_html(nb: "nbformat.NotebookNode | str | Path", *, title: str, meta: dict[str, str] | None = None,
                index_href: str | None = "../index.html", run_facts: dict[str, Any] | None = None) -> str:
    """The notebook ``nb`` (node or path) as a self-contained, script-free HTML page titled
    ``title``; ``run_facts`` go into the page's ``leadlab-run`` meta tag."""
    if not isinstance(nb, nbformat.NotebookNode):
        nb = nbformat.read(str(nb), as_version=4)
    nb = clean_notebook(nb)
    if meta is not None or index_href:
        nb.cells.insert(0, header_cell(meta or {}, index_href))
    nb.metadata["title"] = title  # the lab template escapes it
    exporter = _safe_exporter(
        template_name="lab",
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        embed_images=True,
    )
    exporter.log.setLevel("ERROR")  # alt texts are filled in below
    body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": title}})
    for alt in figure_captions(nb):
        body = body.replace(_DEFAULT_ALT, f'alt="{html.escape(alt, quote=True)}"', 1)
    body = re.sub(r"<!-- Load mathjax -->.*?<!-- End of mathjax configuration -->", "", body, flags=re.S)
    from leadlab.reports.webfont import embed_cjk_font

    return secure_page(embed_cjk_font(set_html_lang(body, get_lang())), run_facts)


__all__ = ["RUN_META", "clean_notebook", "figure_captions", "header_cell", "read_run_meta", "render_html",
           "run_meta_tag", "secure_page", "set_html_lang"]
