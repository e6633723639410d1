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
that hand values, tables and models to the chapter (``publish.value(...)``,
``publish.model(...)``, ..., and the example's helpers that only publish) are left out, and each
output keeps its name. The notebook a reader downloads is the whole one, with a hidden first cell
that defines ``publish``, so that it runs on its own and shows the same named outputs
(``tests/test_notebooks.py``).
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
    "On this page, the lines that only hand values, tables and models to the chapter"
    " (`publish.value`, `publish.table`, `publish.model` and the like, and the example's own"
    " helpers that do nothing else) are left out; each output keeps its name. The"
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


def _calls_publishing(node: ast.expr | None, helpers: set[str]) -> bool:
    """``publish.<name>(...)`` (``publish.setup`` excepted: it seeds the run, and a reader needs
    it to get the same numbers) or a call of one of the example's publishing ``helpers``."""
    if not isinstance(node, ast.Call):
        return False
    function = node.func
    if isinstance(function, ast.Name):
        return function.id in helpers
    return (
        isinstance(function, ast.Attribute)
        and isinstance(function.value, ast.Name)
        and function.value.id == "publish"
        and function.attr != "setup"
    )


def _statements(node: ast.stmt) -> list[ast.stmt]:
    """The statements of a compound statement's blocks, a function's docstring left out."""
    blocks = [getattr(node, field, None) or [] for field in ("body", "orelse", "finalbody")]
    statements = [stmt for block in blocks for stmt in block]
    if isinstance(node, ast.FunctionDef) and ast.get_docstring(node) is not None:
        statements = statements[1:]
    return statements


def _is_publishing(node: ast.stmt, helpers: set[str]) -> bool:
    """A statement that only publishes: a publishing call (or ``return`` of one), or a ``for``,
    ``if``, ``with`` or ``while`` whose statements all only publish."""
    if isinstance(node, (ast.Expr, ast.Return)):
        return _calls_publishing(node.value, helpers)
    if isinstance(node, (ast.For, ast.If, ast.With, ast.While)):
        return all(_is_publishing(stmt, helpers) for stmt in _statements(node))
    return False


def _is_local(node: ast.stmt, helpers: set[str]) -> bool:
    """A statement of a helper that a caller cannot see: it publishes, asserts, assigns names,
    or chooses between such statements (``if``)."""
    if _is_publishing(node, helpers) or isinstance(node, ast.Assert):
        return True
    if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        return all(isinstance(target, ast.Name) for target in targets)
    if isinstance(node, ast.If):
        return all(_is_local(stmt, helpers) for stmt in _statements(node))
    return False


def _is_publishing_helper(node: ast.stmt, helpers: set[str]) -> bool:
    """A function of the example that publishes and does nothing else a caller could see: its
    statements compute local names (``if`` included), assert, and publish (``vectors``,
    ``same``, ``publish_batches_note`` in ``examples/layer_options.py``)."""
    if not isinstance(node, ast.FunctionDef):
        return False
    statements = _statements(node)
    return any(
        _is_publishing(stmt, helpers) for stmt in ast.walk(node) if isinstance(stmt, ast.stmt)
    ) and all(_is_local(stmt, helpers) for stmt in statements)


def without_publishing(source: str, helpers: set[str] | None = None) -> str:
    """A cell's code without its publishing statements (at any depth, unless that would leave a
    block empty), the comment lines right above them, and the blank lines they leave behind.

    ``helpers`` holds the names of the example's publishing helpers defined so far; a cell that
    defines one adds its name, and its definition goes with the publishing statements.
    """
    helpers = set() if helpers is None else helpers
    tree = ast.parse(source)
    for node in tree.body:
        if _is_publishing_helper(node, helpers):
            helpers.add(node.name)
    drop: set[int] = set()
    for node in ast.walk(tree):
        for field in ("body", "orelse", "finalbody"):
            block = getattr(node, field, None)
            if not isinstance(block, list) or not block or not isinstance(block[0], ast.stmt):
                continue
            gone = [
                stmt
                for stmt in block
                if _is_publishing(stmt, helpers)
                or (isinstance(node, ast.Module) and _is_publishing_helper(stmt, helpers))
            ]
            if len(gone) < len(block) or isinstance(node, ast.Module):
                for stmt in gone:
                    first = min(
                        [stmt.lineno] + [d.lineno for d in getattr(stmt, "decorator_list", [])]
                    )
                    drop.update(range(first, stmt.end_lineno + 1))
    lines = source.splitlines()
    # The comment lines right above a dropped statement are about it: they go too.
    for number in sorted(drop):
        above = number - 1
        while above >= 1 and above not in drop and lines[above - 1].lstrip().startswith("#"):
            drop.add(above)
            above -= 1
    # Blank lines on both sides of dropped lines merge into the longer of the two runs.
    kept: list[str] = []
    runs, blank = [], 0
    for number, line in enumerate(lines, 1):
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
    helpers: set[str] = set()
    for cell in notebook.cells:
        if cell.cell_type == "code" and "remove-cell" not in cell.metadata.get("tags", []):
            cell.source = without_publishing(cell.source, helpers)
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
