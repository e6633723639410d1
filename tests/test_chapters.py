"""What every chapter must satisfy, checked on the built site."""

from __future__ import annotations

import html
import re

import numpy as np
import pytest
from conftest import chapters_present, load_data, page_html
from pages import TYPESET
from replay import replay

SECTIONS = [
    "Inputs and outputs",
    "Model definition and training",
    "Understanding the weights",
    "Understanding the computations",
]


def visible_text(page: str) -> str:
    """The page's text, each typeset equation as its TeX source (see tests/pages.py)."""
    page = TYPESET.sub(lambda m: f" {m[2]} ", page)
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


@pytest.mark.parametrize("slug", chapters_present())
def test_chapter_has_the_four_sections(site, slug):
    headings = [
        html.unescape(re.sub(r"<[^>]+>", "", h)).strip().rstrip("¶").strip()
        for h in re.findall(r"<h2[^>]*>(.*?)</h2>", page_html(site, slug), re.S)
    ]
    missing = [s for s in SECTIONS if s not in headings]
    assert not missing, f"{slug}: sections missing: {missing} (found {headings})"


@pytest.mark.parametrize("slug", chapters_present())
def test_chapter_includes_resolved_and_data_linked(site, slug):
    page = page_html(site, slug)
    assert "{{" not in visible_text(page), f"{slug}: an include was left unresolved"
    assert f'href="../data/{slug}.json"' in page, f"{slug}: the page does not link its data file"


@pytest.mark.parametrize("slug", chapters_present())
def test_data_file_follows_the_schema(site, slug):
    data = load_data(site, slug)
    assert data["chapter"] == slug
    assert set(data["versions"]) == {"python", "tensorflow", "keras", "numpy"}
    assert all(data["versions"].values())
    assert data["models"], f"{slug}: no model published"
    names = [m["name"] for m in data["models"]]
    assert len(names) == len(set(names)), f"{slug}: two models share a name: {names}"
    for model in data["models"]:
        assert set(model) >= {"name", "layers", "input", "output"}
        for layer in model["layers"]:
            assert set(layer) >= {"class_name", "config", "weights"}
            assert layer["weights"] or layer["class_name"] not in (
                "Dense",
                "SimpleRNN",
                "LSTM",
                "GRU",
            )


@pytest.mark.parametrize("slug", chapters_present())
def test_independent_replay_matches_keras(site, slug):
    """A numpy replay written in the tests, from the data file alone, matches model.predict."""
    for model in load_data(site, slug)["models"]:
        got = replay(model)
        several = isinstance(got, list)
        expected = (
            [np.asarray(o) for o in model["output"]] if several else [np.asarray(model["output"])]
        )
        got = got if several else [got]
        assert len(got) == len(expected), (
            f"{slug}/{model['name']}: {len(got)} outputs, not {len(expected)}"
        )
        for g, e in zip(got, expected):
            assert g.shape == e.shape, f"{slug}/{model['name']}: shape {g.shape} != {e.shape}"
            diff = np.max(np.abs(g - e))
            assert diff < 1e-5, f"{slug}/{model['name']}: replay differs from predict by {diff:.2e}"


@pytest.mark.parametrize("slug", chapters_present())
def test_every_weight_shape_is_quoted_on_the_page(site, slug):
    """The page states the shape of every weight array it publishes, as Keras prints it."""
    text = visible_text(page_html(site, slug))
    for model in load_data(site, slug)["models"]:
        for layer in model["layers"]:
            for name, w in layer["weights"].items():
                shape = str(tuple(np.shape(w)))
                assert shape in text, (
                    f"{slug}/{model['name']}: shape {shape} of {name} not on the page"
                )


@pytest.mark.parametrize("slug", chapters_present())
def test_chapter_is_in_the_nav_with_its_notebook(mkdocs_config, slug):
    def paths(nav):
        for item in nav:
            for value in item.values() if isinstance(item, dict) else [item]:
                yield from paths(value) if isinstance(value, list) else [value]

    nav = list(paths(mkdocs_config["nav"]))
    assert f"{slug}.md" in nav and f"notebooks/{slug}.ipynb" in nav
