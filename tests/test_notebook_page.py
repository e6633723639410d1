"""The notebook pages show a reader's notebook (sitebuild/notebook_page.py): no publishing
statements in the code, every named output still there, no JupyterLab stylesheet, and a
download button that offers the whole notebook (which tests/test_notebooks.py runs)."""

from __future__ import annotations

import ast
import html
import re

import nbformat
import pytest
from conftest import REPO, chapters_present

from sitebuild.notebook_page import without_publishing

CELL_CODE = re.compile(r'<div class="clipboard-copy-txt" id="cell-\d+">(.*?)</div>', re.S)
# A statement that calls publish.<name>(...) at the start of a line, setup excepted.
PUBLISHING_LINE = re.compile(r"^\s*publish\.(?!setup\b)\w+\(", re.M)


def test_publishing_statements_go_and_the_blank_lines_they_leave():
    source = """import numpy as np

import publish

publish.setup(seed=0)
publish.value("a", 1)


def f(x):
    return x

for k in range(3):
    publish.value(f"a{k}", k)
    y = k
for k in range(3):
    publish.value(f"b{k}", k)
predicted = publish.model("m", f, 1)
publish.table(
    "t",
    {"a": [1]},
)

print(1)
publish.text("end", "x")"""
    expected = """import numpy as np

import publish

publish.setup(seed=0)


def f(x):
    return x

for k in range(3):
    y = k
predicted = publish.model("m", f, 1)

print(1)"""
    assert without_publishing(source) == expected


def test_a_helper_that_only_publishes_goes_with_its_calls_in_later_cells():
    helpers: set[str] = set()
    first = '''def vectors(name, columns):
    """A table of vectors."""
    cells = {k: [publish.vector(v) for v in vs] for k, vs in columns.items()}
    assert cells
    return publish.text_table(name, cells)


def small(d):
    return f"{d:.1e}"


def noisy(name, x):
    print(x)
    publish.value(name, x)


def keeps(name, x):
    results[name] = x
    publish.value(name, x)'''
    assert (
        without_publishing(first, helpers)
        == """def small(d):
    return f"{d:.1e}"


def noisy(name, x):
    print(x)


def keeps(name, x):
    results[name] = x"""
    )
    assert helpers == {"vectors"}
    second = """y = small(1)
vectors("t", {"a": [y]})
noisy("n", 1)
keeps("k", 2)"""
    assert (
        without_publishing(second, helpers)
        == """y = small(1)
noisy("n", 1)
keeps("k", 2)"""
    )


def test_a_helper_may_choose_its_text_with_if_and_add_to_it():
    source = """def publish_note(ok, d):
    if ok:
        note = f"within {d}"
    else:
        note = "no"
        assert d
    note += "."
    publish.text("note", note)


def side_effect(ok):
    if ok:
        results.append(ok)
    publish.value("ok", ok)


publish_note(True, 1)
side_effect(True)"""
    assert (
        without_publishing(source)
        == """def side_effect(ok):
    if ok:
        results.append(ok)


side_effect(True)"""
    )


def test_a_loop_or_branch_that_only_publishes_goes_whole():
    source = """if found:
    publish.probe("probe_a", "yes")
else:
    publish.probe("probe_a", "no")
for k in ks:
    if k:
        publish.value(f"v{k}", k)
with context():
    publish.value("w", 1)
    w = 2
y = 1"""
    assert (
        without_publishing(source)
        == """with context():
    w = 2
y = 1"""
    )


def test_the_comment_above_a_publishing_statement_goes_with_it():
    source = """# the data
x = 1
# the plural follows the number
# (two lines)
publish.value("n", x)
y = 2  # kept
publish.value("y", y)  # goes"""
    assert (
        without_publishing(source)
        == """# the data
x = 1
y = 2  # kept"""
    )


def test_a_cell_that_only_publishes_becomes_empty():
    assert without_publishing('publish.value("a", 1)\n\npublish.shape("s", x)\n') == ""


def blocks(tree: ast.Module) -> list[list[ast.stmt]]:
    return [
        block
        for node in ast.walk(tree)
        for block in (getattr(node, f, None) for f in ("body", "orelse", "finalbody"))
        if isinstance(block, list) and block and isinstance(block[0], ast.stmt)
    ]


def named_outputs(notebook) -> list[str]:
    return [
        re.match(r"\*\*(.+?)\*\*", output.data["text/markdown"])[1]
        for cell in notebook.cells
        if cell.cell_type == "code" and "remove-cell" not in cell.metadata.get("tags", [])
        for output in cell.outputs
        if output.output_type == "display_data"
    ]


@pytest.mark.parametrize("slug", chapters_present())
def test_notebook_page_shows_a_readers_notebook(site, slug):
    page = (site / "notebooks" / slug / "index.html").read_text(encoding="utf-8")
    content = page.split('<article class="md-content__inner', 1)[1]
    assert "<style" not in content, f"{slug}: an inline stylesheet is left in the notebook page"
    assert "jupyter-wrapper{--md-red-50" not in page, "JupyterLab's stylesheet is inlined"
    assert 'href="../../stylesheets/notebook.css"' in page, "notebook.css is not linked"
    assert CELL_CODE.search(content), f"{slug}: no code cell found on the notebook page"
    for cell in CELL_CODE.findall(content):
        # Reader code predicts with model.predict; publish.model only records the model.
        assert "publish.model(" not in html.unescape(cell), f"{slug}: publish.model on the page"
        for block in blocks(ast.parse(html.unescape(cell))):
            # A publishing statement stays only where the block would be left empty.
            shown = [
                ast.unparse(stmt) for stmt in block if PUBLISHING_LINE.match(ast.unparse(stmt))
            ]
            assert not shown or len(shown) == len(block), f"{slug}: on the page: {shown}"

    downloaded = nbformat.read(site / "notebooks" / slug / f"{slug}.ipynb", as_version=4)
    script = (REPO / "examples" / f"{slug.replace('-', '_')}.py").read_text(encoding="utf-8")
    code = "\n".join(c.source for c in downloaded.cells[1:] if c.cell_type == "code")
    assert len(PUBLISHING_LINE.findall(code)) == len(PUBLISHING_LINE.findall(script)), (
        f"{slug}: the downloaded notebook is not the whole example (publishing lines missing)"
    )
    for name in named_outputs(downloaded):  # every output of the download, under its name
        assert f"<strong>{html.escape(name)}</strong>" in page, f"{slug}: {name} is not shown"
