"""``sitebuild/cells.py`` in this process (fast; the runner's tests run it as a subprocess, as a
build does): cells and their line numbers, Markdown cells, the error line, and what a run
writes. The scripts are tiny and import no TensorFlow."""

from __future__ import annotations

import json
import platform
import shutil
import sys
import textwrap
from pathlib import Path

import nbformat
import pytest

from sitebuild import cells

REPO = Path(__file__).resolve().parent.parent


def test_split_cells_kinds_and_first_lines():
    source = textwrap.dedent("""\
        import x

        # %% [markdown]
        # # Title
        # text

        # %%
        y = 1
        # %%   a title
        z = 2
        # %%
        """)
    found = [(c.kind, c.first_line, c.source) for c in cells.split_cells(source)]
    assert found == [
        ("code", 1, "import x"),
        ("markdown", 4, "# # Title\n# text"),
        ("code", 8, "y = 1"),
        ("code", 10, "z = 2"),
    ]


def test_markdown_text_removes_the_comment_marks():
    cell = cells.split_cells("# %% [markdown]\n# # Title\n#\n#   indented\n#no space\n")[0]
    assert cells.markdown_text(cell) == "# Title\n\n  indented\nno space"


def test_snippet_marks_are_recognised():
    assert cells.SNIPPET_MARK.match("# --8<-- [start:model]")
    assert cells.SNIPPET_MARK.match("    # --8<-- [end:two-words]  ")
    assert not cells.SNIPPET_MARK.match("x = 1  # --8<-- [start:model]")


def test_error_line_names_the_deepest_line_of_the_script(tmp_path, monkeypatch):
    script = tmp_path / "ex.py"
    script.write_text("def f():\n    raise ValueError('bad\\nsecond line')\n\nf()\n")
    monkeypatch.chdir(tmp_path)
    try:
        exec(compile(script.read_text(), str(script), "exec"), {})
    except ValueError as exc:
        assert cells._error_line(script, exc) == "ex.py:2: ValueError: bad"
    empty = RuntimeError()
    assert cells._error_line(script, empty) == "ex.py: RuntimeError:"


@pytest.fixture
def fresh_publish(monkeypatch):
    """cells.run imports the example folder's publish module: start without one."""
    monkeypatch.delitem(sys.modules, "publish", raising=False)
    monkeypatch.setattr(sys, "path", list(sys.path))
    yield
    sys.modules.pop("publish", None)


def test_run_writes_outputs_data_and_notebook(tmp_path, fresh_publish, capsys):
    folder = tmp_path / "examples"
    folder.mkdir()
    shutil.copy(REPO / "examples" / "publish.py", folder)
    script = folder / "tiny_example.py"
    script.write_text(
        textwrap.dedent("""\
            # %% [markdown]
            # Some *text*.

            # %%
            import publish
            # --8<-- [start:shown]
            print("hello")
            # --8<-- [end:shown]
            publish.value("answer", 42)

            # %%
            publish.text("note", "done")
            publish.text("where", f"{__name__} {__file__}")
            """),
        encoding="utf-8",
    )
    out = tmp_path / "out"
    cells.run(script, out)
    assert json.loads((out / "outputs.json").read_text()) == {
        "answer": "42",
        "note": "done",
        "where": f"__main__ {script.resolve()}",
    }
    data = json.loads((out / "data.json").read_text())
    assert data["chapter"] == "tiny-example" and data["models"] == []
    assert set(data["versions"]) == {"python", "tensorflow", "keras", "numpy"}
    # numpy is imported (by publish), so its version is recorded; TensorFlow is not here
    assert data["versions"]["numpy"] == sys.modules["numpy"].__version__
    assert data["versions"]["python"] == platform.python_version()
    nb = nbformat.read(out / "notebooks" / "tiny-example.ipynb", as_version=4)
    # First the setup cell that makes the notebook run on its own (hidden on the site), then
    # the example's cells.
    setup, *cells_ = nb.cells
    assert "remove-cell" in setup.metadata.tags and "MODULE_SOURCES = {" in setup.source
    assert [c.cell_type for c in cells_] == ["markdown", "code", "code"]
    assert [c.get("execution_count") for c in cells_[1:]] == [1, 2]
    assert cells_[1].source == 'import publish\nprint("hello")\npublish.value("answer", 42)'
    stream, display = cells_[1].outputs
    assert (stream.output_type, stream.name, stream.text) == ("stream", "stdout", "hello\n")
    assert display.output_type == "display_data"
    shown = "**answer**: 42"
    assert display.data == {"text/markdown": shown, "text/plain": shown}
    assert nb.metadata == {
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python"},
    }
    assert "hello" in capsys.readouterr().out, "the build log keeps the printed output"


def test_an_output_published_twice_fails(tmp_path, fresh_publish):
    folder = tmp_path / "examples"
    folder.mkdir()
    shutil.copy(REPO / "examples" / "publish.py", folder)
    script = folder / "twice.py"
    script.write_text("import publish\npublish.value('a', 1)\npublish.value('a', 2)\n")
    with pytest.raises(ValueError, match="output 'a' is published twice"):
        cells.run(script, tmp_path / "out")
    assert not (tmp_path / "out").exists(), "a failed run wrote files"


def test_main_reports_the_error_line_and_exits_1(tmp_path, fresh_publish, capsys):
    folder = tmp_path / "examples"
    folder.mkdir()
    shutil.copy(REPO / "examples" / "publish.py", folder)
    script = folder / "broken.py"
    script.write_text("# %%\nimport publish\n\n# %%\ny = 1\nx = {}['missing']\n")
    assert cells.main([str(script), str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert err.splitlines()[0] == f"EXAMPLE ERROR {script}:6: KeyError: 'missing'"
    assert "Traceback" in err
    assert not (tmp_path / "out").exists()


def test_main_exits_0_after_a_good_run(tmp_path, fresh_publish):
    folder = tmp_path / "examples"
    folder.mkdir()
    shutil.copy(REPO / "examples" / "publish.py", folder)
    script = folder / "good.py"
    script.write_text("import publish\npublish.value('a', 1)\n")
    assert cells.main([str(script), str(tmp_path / "out")]) == 0
    assert json.loads((tmp_path / "out" / "outputs.json").read_text()) == {"a": "1"}
