"""The notebooks a reader downloads run on their own: each ``notebooks/<slug>/<slug>.ipynb``
of the built site (the download button of its notebook page), copied to an empty folder with
no copy of the repository on the path, runs top to bottom in a fresh Jupyter kernel and shows
the same named outputs as the built notebook (the same tables with the same labels; the replay
checks inside pass, or the run stops)."""

from __future__ import annotations

import re
import shutil

import nbformat
import pytest
from conftest import REPO, chapters_present

NUMBER = re.compile(r"[\u2212-]?\d+(?:\.\d+)?(?:e[\u2212+-]?\d+)?")


def shown(notebook) -> list[str]:
    """The Markdown outputs (published tables and values) of the notebook, in order."""
    return [
        output.data["text/markdown"]
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if output.output_type == "display_data" and "text/markdown" in output.data
    ]


def layout(markdown: str) -> str:
    """A published output with its numbers blanked: names, labels and table shape remain."""
    return NUMBER.sub("#", markdown)


@pytest.mark.parametrize("slug", chapters_present())
def test_downloaded_notebook_runs_outside_the_repository(site, tmp_path, monkeypatch, slug):
    import nbclient

    downloaded = site / "notebooks" / slug / f"{slug}.ipynb"  # the page's download link
    assert downloaded.is_file(), f"the site offers no {downloaded.name}"
    reader = tmp_path / "downloads"
    reader.mkdir()
    shutil.copy(downloaded, reader)
    built = nbformat.read(reader / downloaded.name, as_version=4)
    fresh = nbformat.read(reader / downloaded.name, as_version=4)
    for cell in fresh.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    # The kernel sees neither the repository nor its examples folder.
    monkeypatch.delenv("PYTHONPATH", raising=False)
    monkeypatch.chdir(reader)
    nbclient.NotebookClient(
        fresh, timeout=900, kernel_name="python3", resources={"metadata": {"path": str(reader)}}
    ).execute()
    assert not (reader / "publish.py").exists()
    assert str(REPO) not in "".join(
        o.get("text", "") for c in fresh.cells if c.cell_type == "code" for o in c.outputs
    )
    before, after = shown(built), shown(fresh)
    assert before, f"{slug}: the built notebook shows no published output"
    assert [layout(m) for m in after] == [layout(m) for m in before]
