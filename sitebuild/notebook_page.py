"""The notebook pages (``notebooks/<slug>/``) as a reader meets them: what the build changes in
the HTML that mkdocs-jupyter renders from an executed example (``sitebuild/mkdocs_hooks.py``
calls :func:`reader_page` for each one).

- mkdocs-jupyter's template loads MathJax 2 from a CDN (the equations are typeset at build time
  instead) and has a script that would import Mermaid from a CDN: both are removed.
- It also inlines JupyterLab's whole stylesheet, 570 KB, whose matching against the page cost a
  phone seconds of main-thread time: it is removed, with the template's other inline styles,
  and ``stylesheets/notebook.css`` (the few rules the cells need) is linked instead.
- Code cells scroll sideways: they become keyboard-focusable (axe: scrollable-region-focusable).

The page is rendered from a reader's copy of the notebook (:func:`reader_notebook`): the lines
that hand values and tables to the chapter (``publish.value(...)``, ``publish.table(...)``,
...) are left out, and each output keeps its name. The notebook a reader downloads is the whole one,
with a hidden first cell that defines ``publish``, so that it runs on its own and shows the same
named outputs (``tests/test_notebooks.py``).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import nbformat
from mkdocs.utils import get_relative_url

STYLESHEET = "stylesheets/notebook.css"
CDN_CODE = [
    re.compile(r"<!-- Load mathjax -->.*?<!-- End of mathjax configuration -->", re.S),
    re.compile(
        r'<script type="module">(?:(?!</script>).)*?mermaid(?:(?!</script>).)*</script>', re.S
    ),
]
INLINE_STYLE = re.compile(r"<style\b[^>]*>.*?</style>", re.S)
CONTENT = '<article class="md-content__inner'
HIDE_INPUT = "remove-input"  # mkdocs.yml: mkdocs-jupyter's remove_input_tags
NOTE = (
    "On this page, the lines that only hand values and tables to the chapter (`publish.value`,"
    " `publish.table` and the like) are left out; each output keeps its name. The"
    " [downloaded notebook]({name}) has them, with a first cell that defines `publish`, the"
    " site's helper module, and runs on its own."
)


def is_notebook(page) -> bool:
    return page.file.src_uri.endswith(".ipynb")


def reader_page(output: str, page_url: str) -> str:
    """A notebook page's HTML without CDN code or JupyterLab's styles, with its own stylesheet."""
    for code in CDN_CODE:
        output = code.sub("", output)
    head, found, content = output.partition(CONTENT)
    if not found:
        raise ValueError("no page content (<article>) in mkdocs-jupyter's output")
    content = INLINE_STYLE.sub("", content)
    link = f'<link rel="stylesheet" href="{get_relative_url(STYLESHEET, page_url)}">\n'
    head = head.replace("</head>", link + "</head>", 1)
    content = content.replace(
        '<div class="highlight-ipynb', '<div tabindex="0" class="highlight-ipynb'
    )
    return head + found + content


def _is_publishing(node: ast.stmt) -> bool:
    """A statement that only calls ``publish.<something>(...)``; ``publish.setup`` stays (it
    seeds the run: a reader needs it to get the same numbers)."""
    call = node.value if isinstance(node, ast.Expr) else None
    return (
        isinstance(call, ast.Call)
        and isinstance(call.func, ast.Attribute)
        and isinstance(call.func.value, ast.Name)
        and call.func.value.id == "publish"
        and call.func.attr != "setup"
    )


def without_publishing(source: str) -> str:
    """A cell's code without its publishing statements (at any depth, unless that would leave a
    block empty), and without the blank lines they leave behind."""
    tree = ast.parse(source)
    drop: set[int] = set()
    for node in ast.walk(tree):
        for field in ("body", "orelse", "finalbody"):
            block = getattr(node, field, None)
            if not isinstance(block, list) or not block or not isinstance(block[0], ast.stmt):
                continue
            gone = [stmt for stmt in block if _is_publishing(stmt)]
            if len(gone) < len(block) or isinstance(node, ast.Module):
                for stmt in gone:
                    drop.update(range(stmt.lineno, stmt.end_lineno + 1))
    # Blank lines on both sides of dropped lines merge into the longer of the two runs.
    kept: list[str] = []
    runs, blank = [], 0
    for number, line in enumerate(source.splitlines(), 1):
        if number in drop:
            runs, blank = [*runs, blank], 0
        elif not line.strip():
            blank += 1
        else:
            kept += [""] * max([*runs, blank]) + [line]
            runs, blank = [], 0
    return "\n".join(kept).strip("\n")


def reader_notebook(full: Path, out: Path) -> None:
    """Write the copy of the executed notebook ``full`` that the notebook page shows."""
    notebook = nbformat.read(full, as_version=4)
    for cell in notebook.cells:
        if cell.cell_type == "code" and "remove-cell" not in cell.metadata.get("tags", []):
            cell.source = without_publishing(cell.source)
            if not cell.source:  # only its outputs remain
                cell.metadata.setdefault("tags", []).append(HIDE_INPUT)
    # The note goes after the example's first text (its title), or first if it has none.
    texts = [i for i, c in enumerate(notebook.cells) if c.cell_type == "markdown"]
    note = nbformat.v4.new_markdown_cell(NOTE.format(name=full.name))
    notebook.cells.insert(texts[0] + 1 if texts else 0, note)
    out.parent.mkdir(parents=True, exist_ok=True)
    text = nbformat.writes(notebook)
    if not out.is_file() or out.read_text(encoding="utf-8") != text:
        out.write_text(text, encoding="utf-8")
