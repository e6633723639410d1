"""Reading what a built chapter page shows: its tables, numbers and quoted sizes, and the
models of its data file. Shared by the chapter tests (test_<slug>.py)."""

from __future__ import annotations

import html
import re

import numpy as np
from conftest import load_data

SHOWN_3 = 0.5e-3 + 1e-6  # a number shown with 3 decimals is within this of the true value
SHOWN_4 = 0.5e-4 + 1e-6  # ... with 4 decimals


# An equation typeset at build time: its TeX source is in data-tex (sitebuild/typeset.py).
TYPESET = re.compile(
    r'<(span|div) class="arithmatex" data-tex="([^"]*)"[^>]*>.*?</mjx-container>\s*</\1>', re.S
)


def text_of(fragment: str) -> str:
    """The text of an HTML fragment, white space folded; each equation as its TeX source."""
    fragment = TYPESET.sub(lambda m: f" {m[2]} ", fragment)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def tables(page: str) -> list[tuple[list[str], list[list[str]]]]:
    """Every table of the page as (header cells, body rows), as visible text."""
    found = []
    for table in re.findall(r"<table\b[^>]*>(.*?)</table>", page, re.S):
        header = [text_of(c) for c in re.findall(r"<th[^>]*>(.*?)</th>", table, re.S)]
        body = re.search(r"<tbody>(.*?)</tbody>", table, re.S)
        rows = [
            [text_of(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
            for row in re.findall(r"<tr>(.*?)</tr>", body.group(1) if body else "", re.S)
        ]
        found.append((header, rows))
    return found


def table_with_first_cell(page: str, first_cell: str) -> tuple[list[str], list[list[str]]]:
    """The one table that has a body row starting with ``first_cell``."""
    matches = [(h, rows) for h, rows in tables(page) if any(r and r[0] == first_cell for r in rows)]
    assert len(matches) == 1, f"{len(matches)} tables with a row {first_cell!r}"
    return matches[0]


def table_with_header_cell(page: str, cell: str) -> tuple[list[str], list[list[str]]]:
    """The one table whose header contains a cell equal to ``cell``."""
    matches = [(h, rows) for h, rows in tables(page) if cell in h]
    assert len(matches) == 1, f"{len(matches)} tables with a header cell {cell!r}"
    return matches[0]


def table_with_header(page: str, header: list[str]) -> list[list[str]]:
    """The rows of the one table whose header is exactly ``header``."""
    matches = [rows for h, rows in tables(page) if h == header]
    assert len(matches) == 1, f"{len(matches)} tables with header {header}"
    return matches[0]


def column(header: list[str], rows: list[list[str]], name: str) -> list[str]:
    return [row[header.index(name)] for row in rows]


def number(text: str) -> float:
    return float(text.replace("\u2212", "-"))


def vector(text: str) -> np.ndarray:
    """``(0.123, −0.456)`` as an array."""
    assert text.startswith("(") and text.endswith(")"), text
    return np.array([number(v) for v in text[1:-1].split(",")])


def quoted_size(text: str, symbol: str) -> int:
    """The value of ``symbol = k`` written in the page's math, e.g. ``\\(m' = 1\\)``."""
    values = set(re.findall(r"\\\(" + re.escape(symbol) + r" = (\d+)\\\)", text))
    assert len(values) == 1, f"{symbol}: quoted as {values or 'nothing'}"
    return int(values.pop())


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def model(site, slug: str, name: str) -> dict:
    """One model entry of a chapter's data file, by name."""
    return next(m for m in load_data(site, slug)["models"] if m["name"] == name)
