"""MkDocs hook for the pages with a "Step through it yourself" panel (listed under ``hooks:``).

A chapter gets a panel with ``<div class="rnn-stepper" data-slug=... data-model=...>``. On such
a page only, and at build time:

- the panel's scripts are added at the end of the page's content (``SCRIPTS``), and its
  stylesheet to the page's head (``STYLESHEET``), so that pages without a panel load none of
  them. The scripts sit inside Material's content container, whose scripts Material runs
  again after an instant navigation (they guard against a second run), and are deferred: the
  page is parsed in one go, and they run once it is;
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
STYLESHEET = "stylesheets/stepper.css"  # the panel's and the live diagrams' styles
LIVE_DIAGRAMS = {"rnn", "double_all", "lstm3", "gru"}

PANEL = re.compile(r'<div class="rnn-stepper"')
# An <img>, with the link to its SVG that sitebuild/mkdocs_hooks.py wraps diagrams in (a live
# diagram drops it: its gates are focusable, and a link may not hold interactive content).
IMG = re.compile(r'(<a class="diagram-link" href="[^"]*">)?(<img\b[^>]*>)(</a>)?')
ATTR = re.compile(r'([\w-]+)="([^"]*)"')
DESC = re.compile(r"(<desc\b[^>]*>).*?(</desc>)", re.S)
ROOT = re.compile(r"<svg\b([^>]*)>")
END_OF_CONTENT = "</article>"

# A gate's weight tables, and the class (in the equations and on the diagram's gate) that names
# the gate. LSTM and GRU: the table of one gate's columns of the kernels and bias (examples/
# lstm.py and gru.py, publish.matrix), whose corner and column headers all carry the gate's
# colour class. SimpleRNN (no gates): the tanh box of the diagram; its tables are those of its
# weights W_x, W_h, b_h (W'_x, W'_h, b'_h for the second layer of Part C), named by their
# corner or, for a bias, by the label of their one row.
GATE_CLASSES = {"c-i", "c-f", "c-cand", "c-o", "c-z", "c-r"}
TANH_WEIGHTS = {
    r"\(W_x\)": "g-tanh",
    r"\(W_h\)": "g-tanh",
    r"\(b_h\)": "g-tanh",
    r"\(W'_x\)": "g-tanh2",
    r"\(W'_h\)": "g-tanh2",
    r"\(b'_h\)": "g-tanh2",
}
TABLE = re.compile(r"<table\b[^>]*>.*?</table>", re.S)
ROW = re.compile(r"<tr\b[^>]*>.*?</tr>", re.S)
CELL = re.compile(r"<(th|td)\b([^>]*)>(.*?)</\1>", re.S)
WHOLE_SPAN = re.compile(r'^<span class="(c-[a-z0-9]+)">.*</span>$', re.S)
FIRST_TEX = re.compile(r'^<span class="arithmatex" data-tex="([^"]*)">')


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


def table_gate(rows: list[list[re.Match]]) -> str | None:
    """The gate class whose weights a table shows (its columns after the first), or None."""
    header = [cell[3].strip() for cell in rows[0]]
    spans = [WHOLE_SPAN.match(text) for text in header]
    if len(header) > 1 and all(spans):
        gates = {span[1] for span in spans}
        if len(gates) == 1 and gates <= GATE_CLASSES:
            return gates.pop()
    label = header[0] or (rows[1][0][3].strip() if len(rows) == 2 else "")
    tex = FIRST_TEX.match(label)
    if tex and label.endswith("</span>") and label.count('class="arithmatex"') == 1:
        return TANH_WEIGHTS.get(html.unescape(tex[1]))
    return None


def mark_table(table: str) -> str:
    """A gate's weight table with its block of cells (every column but the row labels) marked:
    ``data-block`` names the gate; ``live-block--l/r/t/b`` say which edges of the block a cell
    is on, for the frame drawn around the highlighted block (stepper.css)."""
    rows = [list(CELL.finditer(row[0])) for row in ROW.finditer(table)]
    if len(rows) < 2 or any(len(cells) != len(rows[0]) for cells in rows):
        return table
    gate = table_gate(rows)
    if gate is None:
        return table
    last_row, last_col = len(rows) - 1, len(rows[0]) - 1

    def mark_row(i: int, row: str) -> str:
        cells = iter(range(last_col + 1))

        def mark_cell(match: re.Match) -> str:
            j = next(cells)
            if j == 0:
                return match[0]
            edges = [
                e for e, on in zip("lrtb", (j == 1, j == last_col, i == 0, i == last_row)) if on
            ]
            classes = " ".join(["live-block"] + [f"live-block--{e}" for e in edges])
            return f'<{match[1]}{match[2]} class="{classes}" data-block="{gate}">{match[3]}</{match[1]}>'

        return CELL.sub(mark_cell, row)

    rows_seen = iter(range(last_row + 1))
    return ROW.sub(lambda m: mark_row(next(rows_seen), m[0]), table)


def mark_weight_blocks(output: str) -> str:
    return TABLE.sub(lambda m: mark_table(m[0]), output)


def on_post_page(output: str, page, config) -> str:
    if not has_panel(output):
        return output
    docs_dir = Path(config.docs_dir)

    def replace(match: re.Match) -> str:
        inline = inline_diagram(match[2], docs_dir)
        return match[0] if inline == match[2] else inline

    output = IMG.sub(replace, output)
    output = mark_weight_blocks(output)
    if END_OF_CONTENT not in output:
        raise PluginError(f"{page.file.src_uri}: no </article> to put the panel's scripts before")
    tags = "".join(
        f'<script src="{get_relative_url(src, page.url)}" defer></script>' for src in SCRIPTS
    )
    head, tail = output.rsplit(END_OF_CONTENT, 1)
    output = head + tags + END_OF_CONTENT + tail
    sheet = f'<link rel="stylesheet" href="{get_relative_url(STYLESHEET, page.url)}">\n'
    return output.replace("</head>", sheet + "</head>", 1)
