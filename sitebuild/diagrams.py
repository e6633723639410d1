"""MkDocs hook for the pages with a "Step through it yourself" panel (listed under ``hooks:``).

A chapter gets a panel with ``<div class="rnn-stepper" data-slug=... data-model=...>``. On such
a page only, and at build time:

- the panel's scripts are added at the end of the page's content (``SCRIPTS``), so that pages
  without a panel load none of them. They sit inside Material's content container, whose
  scripts Material runs again after an instant navigation (the scripts guard against a second
  run);
- each cell diagram the panel can drive (``LIVE_DIAGRAMS``), shown with
  ``<img class="diagram" src=".../images/<name>.svg">``, is replaced by the SVG itself, inline,
  so that the panel can write the values of the selected time step on it. The page's ``alt``
  text becomes the SVG's ``<desc>``: without JavaScript the diagram shows, static, described by
  the same words as before.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

from mkdocs.exceptions import PluginError
from mkdocs.utils import get_relative_url

SCRIPTS = [
    "javascripts/stepper-compute.js",  # window.rnnCompute, the maths
    "javascripts/stepper-diagram.js",  # the live cell diagram
    "javascripts/stepper.js",  # the panel
]
LIVE_DIAGRAMS = {"rnn", "lstm3", "gru"}

PANEL = re.compile(r'<div class="rnn-stepper"')
# An <img>, with the link to its SVG that sitebuild/mkdocs_hooks.py wraps diagrams in (a live
# diagram drops it: its gates are focusable, and a link may not hold interactive content).
IMG = re.compile(r'(<a class="diagram-link" href="[^"]*">)?(<img\b[^>]*>)(</a>)?')
ATTR = re.compile(r'([\w-]+)="([^"]*)"')
DESC = re.compile(r"(<desc\b[^>]*>).*?(</desc>)", re.S)
ROOT = re.compile(r"<svg\b([^>]*)>")
END_OF_CONTENT = "</article>"


def has_panel(output: str) -> bool:
    return PANEL.search(output) is not None


def inline_diagram(tag: str, docs_dir: Path) -> str:
    """The ``<img>`` tag of a live diagram as inline SVG (any other tag is returned as it is)."""
    attrs = dict(ATTR.findall(tag))
    name = Path(attrs.get("src", "")).stem
    if "diagram" not in attrs.get("class", "").split() or name not in LIVE_DIAGRAMS:
        return tag
    svg = (docs_dir / "images" / f"{name}.svg").read_text(encoding="utf-8")
    if attrs.get("alt"):
        svg = DESC.sub(lambda m: m.group(1) + attrs["alt"] + m.group(2), svg, count=1)
    root = ROOT.search(svg)
    if root is None:
        raise PluginError(f"docs/images/{name}.svg: no <svg> element")
    extra = f' class="diagram diagram--live" data-diagram="{html.escape(name)}"'
    if attrs.get("width"):  # the page's width wins, the height follows the viewBox
        root_attrs = re.sub(r'\s(width|height)="[^"]*"', "", root.group(1))
        extra += f' width="{html.escape(attrs["width"])}"'
    else:
        root_attrs = root.group(1)
    svg = svg[: root.start()] + f"<svg{root_attrs}{extra}>" + svg[root.end() :]
    # On a phone the diagram keeps a legible size and scrolls sideways in its own box.
    label = html.escape(f"Diagram: {name}.svg (scrolls sideways on a narrow screen)")
    return (
        f'<span class="diagram-scroll" tabindex="0" role="region" aria-label="{label}">{svg}</span>'
    )


def on_post_page(output: str, page, config) -> str:
    if not has_panel(output):
        return output
    docs_dir = Path(config.docs_dir)

    def replace(match: re.Match) -> str:
        inline = inline_diagram(match[2], docs_dir)
        return match[0] if inline == match[2] else inline

    output = IMG.sub(replace, output)
    if END_OF_CONTENT not in output:
        raise PluginError(f"{page.file.src_uri}: no </article> to put the panel's scripts before")
    tags = "".join(f'<script src="{get_relative_url(src, page.url)}"></script>' for src in SCRIPTS)
    head, tail = output.rsplit(END_OF_CONTENT, 1)
    return head + tags + END_OF_CONTENT + tail
