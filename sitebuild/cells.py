"""Run one example script cell by cell, in this process, and save what it produced.

    python -m sitebuild.cells examples/time_distributed.py OUT_DIR

An example is plain Python split into cells by ``# %%`` lines (the "percent" format of
Jupytext, VS Code and sphinx-gallery); ``# %% [markdown]`` starts a cell of Markdown written
as ``#`` comments. Each cell runs once, in one shared namespace, with its printed output
captured. ``OUT_DIR`` receives:

* ``outputs.json``: the named outputs the script published (``publish.table`` ...);
* ``data.json``: the chapter's reader data: its slug, the Python, TensorFlow, Keras and NumPy
  versions the script ran with, and the models it recorded (``publish.model``);
* ``notebooks/<slug>.ipynb``: the script as an executed notebook, each cell with its outputs
  (each published output under its name), after a setup cell that defines ``publish`` from its
  source (``sitebuild/notebook_setup.py``), so that the notebook runs without the repository.

On an exception, nothing is written; the script's file, line and exception go to stderr as
one line starting with ``EXAMPLE ERROR``, followed by the traceback, and the exit code is 1.
This module imports neither TensorFlow nor Keras itself: only the example does.
"""

from __future__ import annotations

import contextlib
import io
import json
import platform
import re
import sys
import traceback
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from sitebuild.notebook_setup import labelled
from sitebuild.runner import local_imports, slug_of

SETUP_TEMPLATE = Path(__file__).with_name("notebook_setup.py")

CELL_MARK = re.compile(r"^# %%(.*)$")
SNIPPET_MARK = re.compile(r"^\s*# --8<-- \[(start|end):[\w-]+\]\s*$")  # sections the pages include


@dataclass
class Cell:
    kind: str  # "code" or "markdown"
    first_line: int  # 1-based line number of the cell's first source line
    lines: list[str] = field(default_factory=list)

    @property
    def source(self) -> str:
        return "".join(self.lines).strip("\n")


def split_cells(source: str) -> list[Cell]:
    """Split a percent-format script into cells; text before the first mark is a code cell."""
    cells = [Cell("code", 1)]
    for number, line in enumerate(source.splitlines(keepends=True), start=1):
        mark = CELL_MARK.match(line.rstrip("\n"))
        if mark:
            kind = "markdown" if "[markdown]" in mark.group(1) else "code"
            cells.append(Cell(kind, number + 1))
        else:
            cells[-1].lines.append(line)
    return [c for c in cells if c.source]


def markdown_text(cell: Cell) -> str:
    """The Markdown of a ``# %% [markdown]`` cell: its comment marks removed."""
    return "\n".join(re.sub(r"^# ?", "", line.rstrip("\n")) for line in cell.lines).strip("\n")


class _Tee(io.TextIOBase):
    """Writes to a buffer and to the real stream (the build log keeps the full output)."""

    def __init__(self, stream):
        self.stream, self.buffer = stream, io.StringIO()

    def write(self, s):
        self.stream.write(s)
        return self.buffer.write(s)

    def flush(self):
        self.stream.flush()


def _versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for name in ("tensorflow", "keras", "numpy"):
        module = sys.modules.get(name)
        versions[name] = getattr(module, "__version__", None) if module else None
    return versions


def _error_line(script: Path, exc: BaseException) -> str:
    """``examples/x.py:12: ValueError: message``: the deepest frame inside the script."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if Path(f.filename) == script]
    with contextlib.suppress(ValueError):
        script = script.relative_to(Path.cwd())
    where = f"{script}:{frames[-1].lineno}" if frames else str(script)
    message = str(exc).strip().splitlines()
    return f"{where}: {type(exc).__name__}: {message[0] if message else ''}".rstrip()


def setup_cell(module_sources: dict[str, str]) -> nbformat.NotebookNode:
    """The notebook's first cell: the example's local modules (``publish`` and any helper it
    imports) written from their sources, outputs labelled. Tagged ``remove-cell`` (the notebook
    page leaves it out) and collapsed in Jupyter."""
    template = SETUP_TEMPLATE.read_text(encoding="utf-8")
    if template.count("MODULE_SOURCES = {}") != 1:
        raise ValueError(f"{SETUP_TEMPLATE.name}: expected one line MODULE_SOURCES = {{}}")
    source = template.replace("MODULE_SOURCES = {}", f"MODULE_SOURCES = {module_sources!r}")
    cell = nbformat.v4.new_code_cell(source.strip("\n"))
    cell.metadata.update({"tags": ["remove-cell"], "jupyter": {"source_hidden": True}})
    return cell


def run(script: Path, out_dir: Path) -> None:
    script = script.resolve()
    sys.path.insert(0, str(script.parent))
    import publish  # the example's helper module, from the examples folder

    notebook = nbformat.v4.new_notebook()
    notebook.metadata.update(
        {
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
            "language_info": {"name": "python"},
        }
    )
    helpers = [Path(publish.__file__), *local_imports(script)]
    sources = {path.stem: path.read_text(encoding="utf-8") for path in helpers}
    notebook.cells.append(setup_cell(sources))
    outputs: dict[str, str] = {}
    current: list = []  # the outputs of the cell being run

    def sink(name: str, markdown: str) -> None:
        if name in outputs:
            raise ValueError(f"output {name!r} is published twice")
        outputs[name] = markdown
        shown = labelled(name, markdown)
        current.append(
            nbformat.v4.new_output(
                "display_data", data={"text/markdown": shown, "text/plain": shown}
            )
        )

    publish._sink = sink
    namespace = {"__name__": "__main__", "__file__": str(script)}
    executed = 0
    for cell in split_cells(script.read_text(encoding="utf-8")):
        if cell.kind == "markdown":
            notebook.cells.append(nbformat.v4.new_markdown_cell(markdown_text(cell)))
            continue
        current = []
        executed += 1
        # Pad with blank lines so that tracebacks name the script's own line numbers.
        code = compile("\n" * (cell.first_line - 1) + cell.source, str(script), "exec")
        tee = _Tee(sys.stdout)
        with contextlib.redirect_stdout(tee):
            exec(code, namespace)
        printed = tee.buffer.getvalue()
        if printed:
            current.insert(0, nbformat.v4.new_output("stream", name="stdout", text=printed))
        shown = "\n".join(ln for ln in cell.source.splitlines() if not SNIPPET_MARK.match(ln))
        notebook.cells.append(
            nbformat.v4.new_code_cell(shown.strip("\n"), outputs=current, execution_count=executed)
        )

    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "outputs.json").write_text(json.dumps(outputs, indent=1), encoding="utf-8")
    slug = slug_of(script)
    data = {"chapter": slug, "versions": _versions(), "models": publish.recorded_models()}
    (out_dir / "data.json").write_text(json.dumps(data), encoding="utf-8")
    (out_dir / "notebooks").mkdir()
    nbformat.write(notebook, out_dir / "notebooks" / f"{slug}.ipynb")


def main(argv: list[str]) -> int:
    script, out_dir = Path(argv[0]), Path(argv[1])
    try:
        run(script, out_dir)
    except BaseException as exc:
        print(f"EXAMPLE ERROR {_error_line(script.resolve(), exc)}", file=sys.stderr)
        traceback.print_exc()
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
