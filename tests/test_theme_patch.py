"""Material's theme as the site changes it, for a phone's first screen: the palette stylesheet
is published without its data-md-color-switching rule (sitebuild/theme_patch.py), the build
stops when the rule is not where the patch expects it (a new Material), and every page runs
Material's bundle deferred (overrides/main.html)."""

from __future__ import annotations

import re

import pytest
from conftest import site_pages

from sitebuild.theme_patch import DONE, SWITCHING_RULE, ThemePatchError, without_switching_rule


def site_with_palette(tmp_path, css: str):
    sheets = tmp_path / "assets" / "stylesheets"
    sheets.mkdir(parents=True)
    (sheets / "palette.abc123.min.css").write_text(css, encoding="utf-8")
    return tmp_path


def test_the_rule_is_removed_and_the_rest_kept(tmp_path):
    site = site_with_palette(tmp_path, "a{color:red}" + SWITCHING_RULE + "b{color:blue}")
    (sheet,) = without_switching_rule(site)
    css = sheet.read_text(encoding="utf-8")
    assert "data-md-color-switching] *" not in css
    assert css.startswith("a{color:red}b{color:blue}")
    assert without_switching_rule(site) == []  # again (mkdocs serve --dirty): nothing to do
    assert css == sheet.read_text(encoding="utf-8")


def test_a_stylesheet_with_another_switching_rule_stops_the_build(tmp_path):
    site = site_with_palette(tmp_path, "a{color:red}[data-md-color-switching] *{transition:none}")
    with pytest.raises(ThemePatchError, match="palette.abc123.min.css"):
        without_switching_rule(site)


def test_a_theme_without_the_rule_is_left_alone(tmp_path):
    site = site_with_palette(tmp_path, "a{color:red}")
    assert without_switching_rule(site) == []
    assert (
        site / "assets" / "stylesheets" / "palette.abc123.min.css"
    ).read_text() == "a{color:red}"


def test_the_published_palette_has_no_switching_rule(site):
    (sheet,) = (site / "assets" / "stylesheets").glob("palette.*.min.css")
    css = sheet.read_text(encoding="utf-8")
    assert "[data-md-color-switching] *" not in css and DONE in css
    assert "[data-md-color-scheme=slate]" in css, "the palette stylesheet lost its schemes"


@pytest.mark.parametrize("page", site_pages())
def test_every_page_defers_materials_bundle_before_its_own_scripts(site, page):
    html = (site / ("index.html" if page == "index" else f"{page}/index.html")).read_text("utf-8")
    scripts = re.findall(r"<script\b[^>]*\bsrc=\"([^\"]+)\"[^>]*>", html)
    tags = re.findall(r"<script\b[^>]*\bsrc=\"[^\"]+\"[^>]*>", html)
    bundle = [
        i
        for i, src in enumerate(scripts)
        if "/bundle." in src or src.startswith("assets/javascripts/bundle.")
    ]
    assert len(bundle) == 1, f"{page}: Material's bundle is loaded {len(bundle)} times"
    assert " defer" in tags[bundle[0]], f"{page}: {tags[bundle[0]]} is not deferred"
    # Scripts that use Material's document$ come after it, deferred too (they run in order).
    assert "accessibility.js" in " ".join(scripts[bundle[0] + 1 :]), f"{page}: {scripts}"
    assert all(" defer" in tag for tag in tags[bundle[0] :]), f"{page}: {tags[bundle[0] :]}"
