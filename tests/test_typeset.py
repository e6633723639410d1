"""Equations typeset at build time (sitebuild/typeset.py with MathJax in Node): what a page
gets in place of its TeX, the cache, and the failures a contributor may meet."""

from __future__ import annotations

import re

import pytest

from sitebuild import typeset
from sitebuild.typeset import TypesetError, Typesetter, typeset_page

CHAPTER = (
    '<p>The input <span class="arithmatex">\\(\\class{c-x}{x_t}\\)</span> and</p>\n'
    '<div class="arithmatex">\\[h_t = \\tanh(x_t W_x + h_{t-1} W_h + b_h) \\tag{1}\\]</div>\n'
    "<pre><code>cost = 2 $ \\(not maths\\)</code></pre>"
)
NOTEBOOK = (
    '<div class="jp-RenderedHTMLCommon jp-RenderedMarkdown jp-MarkdownOutput" '
    'data-mime-type="text/markdown">\n<p><strong>W</strong></p>\n<table><tr>'
    '<th><span class="c-h">$h_{t,1}$</span></th><th><code>$5</code></th></tr></table>\n'
    "<p>$$y = x W$$</p>\n</div>"
)


@pytest.fixture
def typesetter(tmp_path):
    t = Typesetter(cache_dir=tmp_path / "typeset")
    yield t
    t.close()


def test_chapter_equations_become_svg_with_mathml(typesetter):
    out = typeset_page(CHAPTER, typesetter)
    # The TeX source stays only in data-tex (for tools and tests), never as text on the page.
    sources = re.findall(r'data-tex="([^"]*)"', out)
    assert sources == [
        "\\(\\class{c-x}{x_t}\\)",
        "\\[h_t = \\tanh(x_t W_x + h_{t-1} W_h + b_h) \\tag{1}\\]",
    ]
    shown = re.sub(r'data-tex="[^"]*"', "", out)
    assert "\\(" not in shown.split("<pre>")[0] and "\\[" not in shown, "TeX left on the page"
    assert out.count("<mjx-container") == 2 and out.count("<svg") >= 2
    assert re.search(r'<span class="arithmatex" data-tex="[^"]*"><mjx-container', out)
    assert re.search(r'<div class="arithmatex" data-tex="[^"]*" tabindex="0"><mjx-container', out)
    # \class keeps the colour class; MathML for screen readers; the equation number.
    assert re.search(r'<g [^>]*class="[^"]*\bc-x\b', out)
    assert out.count("<mjx-assistive-mml") == 2 and "<math" in out
    assert "<mtext>(1)</mtext>" in out
    assert "<pre><code>cost = 2 $ \\(not maths\\)</code></pre>" in out, "code was changed"


def test_glyphs_are_fills_without_outlines(typesetter):
    out = typeset_page(CHAPTER, typesetter)
    assert 'stroke-width="0"' not in out and 'stroke="currentColor"' not in out
    assert 'fill="currentColor"' in out


def test_notebook_dollars_are_typeset_outside_code(typesetter):
    out = typeset_page(NOTEBOOK, typesetter)
    assert "$h_" not in out and "$$" not in out
    assert "<code>$5</code>" in out
    assert out.count("<mjx-container") == 2
    assert 'display="true"' in out.split("<p>")[-1], "$$...$$ is not a display equation"


def test_a_page_without_maths_is_left_alone(typesetter):
    page = "<p>No maths, only 5 $ and a <code>\\(x\\)</code>.</p>"
    assert typeset_page(page, typesetter) == page
    assert typesetter.process is None, "Node was started for nothing"


def test_a_second_build_reads_the_cache_and_starts_no_node(tmp_path):
    first = Typesetter(cache_dir=tmp_path / "typeset")
    expected = typeset_page(CHAPTER, first)
    first.close()
    assert first.typeset_count == 2
    second = Typesetter(cache_dir=tmp_path / "typeset")
    assert typeset_page(CHAPTER, second) == expected
    assert second.process is None and second.typeset_count == 0


def test_a_damaged_cache_file_is_typeset_again(tmp_path):
    first = Typesetter(cache_dir=tmp_path / "typeset")
    expected = typeset_page(CHAPTER, first)
    first.close()
    for path in (tmp_path / "typeset").glob("page-*.json"):
        path.write_text(path.read_text()[:100])
    second = Typesetter(cache_dir=tmp_path / "typeset")
    assert typeset_page(CHAPTER, second) == expected
    second.close()
    assert second.typeset_count == 2


def test_invalid_tex_stops_with_the_tex(typesetter):
    page = '<div class="arithmatex">\\[\\frac{a}{\\]</div>'
    with pytest.raises(TypesetError, match=r"TeX error: .*\\\\frac\{a\}\{"):
        typeset_page(page, typesetter)


def test_without_node_the_error_says_how_to_install_it(tmp_path, monkeypatch):
    monkeypatch.setenv("NODE", str(tmp_path / "no-such-node"))
    with pytest.raises(TypesetError, match=r"Node\.js was not found.*apt-get install nodejs"):
        typeset_page(CHAPTER, Typesetter(cache_dir=tmp_path / "typeset"))


def test_the_stylesheet_hides_the_mathml_from_the_eye(typesetter):
    css = typesetter.stylesheet()
    assert "mjx-assistive-mml" in css and "clip: rect(1px, 1px, 1px, 1px)" in css
    assert typeset.version_key() in {
        p.stem.removeprefix("style-") for p in typesetter.cache_dir.glob("style-*.json")
    }
