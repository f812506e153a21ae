"""Render an executed notebook to one self-contained HTML page without code.

nbconvert's HTML exporter runs with ``exclude_input=True`` (``--report-mode`` does not
hide code); before that the ``parameters`` and papermill ``injected-parameters`` cells,
all papermill metadata and stderr streams (warnings) are removed, and a small header
(back link to the index, period, generation time, leadlab version) is added. Images are
embedded; the require.js script is dropped (and MathJax unless the page has maths), so the
file opens offline.

>>> import nbformat
>>> nb = nbformat.v4.new_notebook()
>>> nb.cells = [nbformat.v4.new_markdown_cell("# Hello")]
>>> page = render_html(nb, title="Data overview — 2026-10")
>>> "<title>Data overview — 2026-10</title>" in page, "require.js" in page
(True, False)
"""

from __future__ import annotations

import copy
import html
import re
from pathlib import Path

import nbformat

DROP_TAGS = {"parameters", "injected-parameters"}
_MATH = re.compile(r"\$\$|\\\(|\\\[|(?<![\w$])\$[^$\n]+\$(?![\w$])")


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


def figure_captions(nb: nbformat.NotebookNode) -> list[str]:
    """An alt text for every image output, in order: the latest heading above it (markdown
    cell or displayed Markdown), so screen readers say which chart it is."""
    out: list[str] = []
    heading = "Figure"
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
                out.append(f"Chart: {heading}")
    return out


def header_cell(meta: dict[str, str], index_href: str | None = "../index.html") -> nbformat.NotebookNode:
    """A markdown cell with a back link to the report index and a grey line of run facts."""
    facts = " · ".join(f"{html.escape(k)}: <b>{html.escape(str(v))}</b>" for k, v in meta.items() if v not in (None, ""))
    link = f"<a href='{index_href}'>← all reports</a>" if index_href else ""
    sep = " &nbsp;|&nbsp; " if link and facts else ""
    return nbformat.v4.new_markdown_cell(
        f"<div style='color:#666;font-size:0.9em;border-bottom:1px solid #ddd;padding-bottom:4px'>{link}{sep}{facts}</div>"
    )


def render_html(nb: "nbformat.NotebookNode | str | Path", *, title: str, meta: dict[str, str] | None = None,
                index_href: str | None = "../index.html") -> str:
    """The notebook ``nb`` (node or path) as a self-contained HTML page titled ``title``."""
    from nbconvert import HTMLExporter

    if not isinstance(nb, nbformat.NotebookNode):
        nb = nbformat.read(str(nb), as_version=4)
    nb = clean_notebook(nb)
    if meta is not None or index_href:
        nb.cells.insert(0, header_cell(meta or {}, index_href))
    nb.metadata["title"] = title
    exporter = HTMLExporter(
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
    body = re.sub(r"<script src=\"[^\"]*require[^\"]*\"></script>\s*", "", body)
    has_math = any(c.cell_type == "markdown" and _MATH.search(c.source) for c in nb.cells)
    if not has_math:
        body = re.sub(r"<!-- Load mathjax -->.*?<!-- End of mathjax configuration -->", "", body, flags=re.S)
        body = re.sub(r"<script[^>]*mathjax[^>]*>\s*</script>\s*", "", body, flags=re.I)
    return body


__all__ = ["clean_notebook", "figure_captions", "header_cell", "render_html"]
