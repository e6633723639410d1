# Setup: this notebook was made from an example of "RNN with Keras: Understanding
# computations". The example shows its tables and values with the site's helper module
# `publish`; this cell defines that module here, from its source as the site was built, so
# that the notebook runs on its own with only the site's pinned requirements. Each table or
# value appears below the cell that makes it, under its name.
#
# (sitebuild/cells.py puts this file, with PUBLISH_SOURCE filled in, first in every notebook;
# the notebook page on the site leaves it out: it is tagged "remove-cell".)


def labelled(name: str, markdown: str) -> str:
    """A published output as the notebook shows it: its name, then the value or the table."""
    if "\n" in markdown.strip():
        return f"**{name}**\n\n{markdown}"
    return f"**{name}**: {markdown}"


if __name__ == "__main__":  # run as the notebook's first cell (not when cells.py imports it)
    import sys
    import types

    from IPython.display import Markdown, display

    PUBLISH_SOURCE = ""

    publish = types.ModuleType("publish")
    publish.__file__ = "publish.py"
    exec(compile(PUBLISH_SOURCE, "publish.py", "exec"), publish.__dict__)
    publish._sink = lambda name, markdown: display(Markdown(labelled(name, markdown)))
    sys.modules["publish"] = publish
