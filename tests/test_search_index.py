"""The search index every page loads at start holds the chapters' prose, not the notebooks
(they repeat the chapters) nor code blocks (sitebuild/mkdocs_hooks.py), and shows maths as text
without display equations or the tables' numbers (sitebuild/search_index.py)."""

from __future__ import annotations

import json

import pytest
from conftest import chapters_present

from sitebuild.search_index import TABLE_NUMBER, plain_math, plain_text


def test_search_index_has_the_chapters_without_notebooks_or_code_blocks(site):
    docs = json.loads((site / "search" / "search_index.json").read_text(encoding="utf-8"))["docs"]
    pages = {doc["location"].split("#")[0] for doc in docs}
    assert {f"{slug}/" for slug in chapters_present()} <= pages, pages
    assert not [p for p in pages if p.startswith("notebooks/")], "notebooks are indexed"
    code_blocks = [doc["location"] for doc in docs if "<pre>" in doc["text"]]
    assert not code_blocks, f"code blocks indexed at {code_blocks[:5]}"
    # Inline code in the prose is still found.
    assert any("<code>recurrent_kernel</code>" in doc["text"] for doc in docs)


def test_search_index_shows_maths_as_text_without_equations_or_table_numbers(site):
    docs = json.loads((site / "search" / "search_index.json").read_text(encoding="utf-8"))["docs"]
    text = "\n".join(doc["title"] + doc["text"] for doc in docs)
    for tex in ("\\(", "\\[", "\\class", "\\begin", "\\tilde"):
        assert tex not in text, f"TeX {tex!r} left in the search index"
    assert not TABLE_NUMBER.search(text), TABLE_NUMBER.search(text)
    assert "h_{t-1}" in text and "σ(" in text, "inline maths is missing from the index"
    # The offline copy's script holds the same index (Material's offline plugin copies it).
    offline = site / "search" / "search_index.js"
    if offline.is_file():
        assert "\\class" not in offline.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("tex", "text"),
    [
        (r"\class{c-h}{h_{t-1}}", "h_{t-1}"),
        (r"\class{c-cand}{\tilde h_t}", "h\u0303_t"),
        (r"y_t = \sigma(x_t W + b)", "y_t = σ(x_t W + b)"),
        (r"\big(a\big) \odot b", "(a) ⊙ b"),
        (r"W \in \mathbb{R}^{m \times n}", "W ∈ R^{m × n}"),
        (r"\frac{\partial L}{\partial h_t}", "∂ L/∂ h_t"),
        (r"\bar g \leftarrow \beta_1 \bar g", "g\u0304 ← β_1 g\u0304"),
        (r"\tanh(\class{c-x}{\class{c-y}{x}})", "tanh(x)"),
    ],
)
def test_plain_math(tex, text):
    assert plain_math(tex) == text


def test_plain_text_drops_display_maths_and_table_numbers_only():
    entry = "<p>At \\(t = 0\\), 0.1234 and −1.23456 but 3.5, (0.123) and Keras 3.12.0.</p>\\[ x \\]"
    assert plain_text(entry) == "<p>At t = 0, and but 3.5, (0.123) and Keras 3.12.0.</p>"
