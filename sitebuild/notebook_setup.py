# Setup: this notebook was made from an example of "RNN with Keras: Understanding
# computations". The example shows its tables and values with the site's helper module
# `publish`, and may import other modules of the site's examples folder; this cell writes them
# (their sources as the site was built) to a temporary folder and imports from there, so that
# the notebook runs on its own with only the site's pinned requirements. Each table or value
# appears below the cell that makes it, under its name.
#
# (sitebuild/cells.py puts this file, with MODULE_SOURCES filled in, first in every notebook;
# the notebook page on the site leaves it out: it is tagged "remove-cell".)


def labelled(name: str, markdown: str) -> str:
    """A published output as the notebook shows it: its name, then the value or the table."""
    if "\n" in markdown.strip():
        return f"**{name}**\n\n{markdown}"
    return f"**{name}**: {markdown}"


if __name__ == "__main__":  # run as the notebook's first cell (not when cells.py imports it)
    import sys
    import tempfile
    from pathlib import Path

    from IPython.display import Markdown, display

    MODULE_SOURCES = {}

    modules = Path(tempfile.mkdtemp(prefix="rnn-with-keras-"))
    for module_name, module_source in MODULE_SOURCES.items():
        (modules / f"{module_name}.py").write_text(module_source, encoding="utf-8")
    sys.path.insert(0, str(modules))
    import publish

    publish._sink = lambda name, markdown: display(Markdown(labelled(name, markdown)))
