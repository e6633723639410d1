"""The search index every page loads at start holds the chapters' prose, not the notebooks
(they repeat the chapters) nor code blocks (sitebuild/mkdocs_hooks.py): half its size."""

from __future__ import annotations

import json

from conftest import chapters_present


def test_search_index_has_the_chapters_without_notebooks_or_code_blocks(site):
    docs = json.loads((site / "search" / "search_index.json").read_text(encoding="utf-8"))["docs"]
    pages = {doc["location"].split("#")[0] for doc in docs}
    assert {f"{slug}/" for slug in chapters_present()} <= pages, pages
    assert not [p for p in pages if p.startswith("notebooks/")], "notebooks are indexed"
    code_blocks = [doc["location"] for doc in docs if "<pre>" in doc["text"]]
    assert not code_blocks, f"code blocks indexed at {code_blocks[:5]}"
    # Inline code in the prose is still found.
    assert any("<code>recurrent_kernel</code>" in doc["text"] for doc in docs)
