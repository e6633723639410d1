"""Every page, hosted (served on 127.0.0.1) and offline (the downloadable zip opened from
file://), in real headless Chromium with every other host blocked: math typeset, images loaded
with alt text, no outside request, no console error, no serious accessibility finding; search
works in both; dark mode keeps diagrams and coloured symbols readable; a chapter prints."""

from __future__ import annotations

import re
import shutil
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from browser import (
    Visit,
    accessibility_problems,
    all_problems,
    contrast,
    layout_problems,
    math_problems,
    serve,
)
from conftest import REPO, site_pages

PAGES = site_pages()


def hosted_url(base: str, page: str) -> str:
    return base if page == "index" else f"{base}{page}/"


def offline_url(root: Path, page: str) -> str:
    return (root / f"{page}.html").as_uri()


def open_page(browser, url: str, scheme: str = "light", width: int = 1280) -> Visit:
    context = browser.new_context(color_scheme=scheme, viewport={"width": width, "height": 800})
    return Visit(context, url)


@pytest.mark.parametrize("page", PAGES)
def test_hosted_page(browser, hosted, page):
    visit = open_page(browser, hosted_url(hosted, page))
    problems = all_problems(visit)
    visit.page.context.close()
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("width", [320, 375, 1920])
@pytest.mark.parametrize("page", PAGES)
def test_page_fits_phones_and_wide_screens(browser, hosted, page, width):
    """Every equation visible with a size, the page never wider than the screen, no table
    over another (1280 px: test_hosted_page)."""
    visit = open_page(browser, hosted_url(hosted, page), width=width)
    problems = math_problems(visit) + layout_problems(visit)
    visit.page.context.close()
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("page", PAGES)
def test_hosted_page_dark_is_accessible(browser, hosted, page):
    visit = open_page(browser, hosted_url(hosted, page), scheme="dark")
    assert visit.page.evaluate("document.body.getAttribute('data-md-color-scheme')") == "slate"
    problems = accessibility_problems(visit)
    visit.page.context.close()
    assert not problems, "\n".join(problems)


# Every value the body's scheme takes once the page's content (<main>) is parsed: the first
# paint can come no earlier.
WATCH_SCHEME = """
new MutationObserver((_, root) => {
  if (!document.querySelector("main")) return;
  root.disconnect();
  window.__schemes = [document.body.getAttribute("data-md-color-scheme")];
  new MutationObserver(records => records.forEach(r => window.__schemes.push(
    r.target.getAttribute("data-md-color-scheme")))).observe(
    document.body, {attributes: true, attributeFilter: ["data-md-color-scheme"]});
}).observe(document, {childList: true, subtree: true});
"""


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_a_first_visit_shows_the_systems_scheme_from_the_first_paint(browser, hosted, scheme):
    """A reader who has not chosen a scheme gets their system's before the first paint
    (overrides/partials/javascripts/palette.html), so the page never restyles or fades from one
    scheme to the other as it loads."""
    context = browser.new_context(color_scheme=scheme)
    context.add_init_script(WATCH_SCHEME)
    page = context.new_page()
    page.goto(hosted_url(hosted, "lstm"))
    page.wait_for_function("document.readyState === 'complete'")
    page.wait_for_timeout(300)
    expected = "slate" if scheme == "dark" else "default"
    schemes = page.evaluate("window.__schemes")
    header = page.evaluate("getComputedStyle(document.querySelector('header')).transitionDuration")
    context.close()
    assert set(schemes) == {expected}, f"the body's scheme went {schemes}"
    assert header != "0s", "the header has no transition: the test would not see a fade"


@pytest.mark.parametrize("page", PAGES)
def test_offline_page_from_disk(browser, offline, page):
    visit = open_page(browser, offline_url(offline, page))
    problems = all_problems(visit)
    visit.page.context.close()
    assert not problems, "\n".join(problems)


def search(visit: Visit, word: str, seconds: float = 60) -> list[str]:
    """Type ``word`` in the search box and return the results. The index is built when the page
    loads; a query typed before it is ready may go unanswered, so type it again, as a reader
    would, until results come or time runs out."""
    page = visit.page
    deadline = time.monotonic() + seconds
    while True:
        page.fill("input.md-search__input", "")
        page.fill("input.md-search__input", word)
        try:
            page.wait_for_selector(".md-search-result__item", timeout=5000)
            break
        except Exception as error:
            if time.monotonic() > deadline:
                meta = page.query_selector(".md-search-result__meta")
                raise AssertionError(
                    f"no search result for {word!r}; the search says: "
                    f"{meta.text_content() if meta else 'nothing'}; errors: {visit.errors}"
                ) from error
    return page.eval_on_selector_all(
        ".md-search-result__item", "els => els.map(e => e.textContent)"
    )


@pytest.mark.parametrize("where", ["hosted", "offline"])
def test_search_finds_a_word_of_the_pages(browser, hosted, offline, where):
    url = hosted_url(hosted, "index") if where == "hosted" else offline_url(offline, "index")
    failures = []
    for _attempt in range(3):  # a loaded machine has once left the search worker unanswered
        visit = open_page(browser, url)
        try:
            results = search(visit, "recurrent_kernel", seconds=20)
        except AssertionError as failure:
            failures.append(str(failure))
            visit.page.context.close()
            continue
        assert any("recurrent_kernel" in r for r in results), results
        assert not visit.errors and not visit.blocked, visit.errors + visit.blocked
        visit.page.context.close()
        return
    raise AssertionError("search never answered:\n" + "\n".join(failures))


def test_math_is_typeset_after_instant_navigation(browser, hosted):
    visit = open_page(browser, hosted)
    page = visit.page
    page.evaluate("() => { window.sameDocument = true; }")
    page.click("article a[href$='time-distributed/']")
    page.wait_for_url("**/time-distributed/")
    assert page.evaluate("() => window.sameDocument === true"), (
        "the click reloaded the page: instant navigation is off, so this test would prove nothing"
    )
    assert visit.wait_for_math(), "the new page's equations were not typeset"
    assert page.eval_on_selector_all("article .arithmatex", "els => els.length") > 10
    visit.page.context.close()


# --- dark mode, without screenshots ---------------------------------------------------------


def page_background(browser, hosted, scheme: str) -> str:
    visit = open_page(browser, hosted_url(hosted, "time-distributed"), scheme=scheme)
    colour = visit.page.evaluate("getComputedStyle(document.body).backgroundColor")
    visit.page.context.close()
    return colour


def diagram_colours(svg: Path) -> tuple[set[str], set[str]]:
    """(strokes drawn straight on the page background, fills of text) in an SVG, with
    presentation attributes inherited from enclosing groups."""
    ns = "{http://www.w3.org/2000/svg}"
    lines, texts = set(), set()

    def walk(element, inherited: dict) -> None:
        attrs = {
            **inherited,
            **{k: v for k, v in element.attrib.items() if k in ("fill", "stroke")},
        }
        tag = element.tag.removeprefix(ns)
        if tag in ("defs", "marker"):
            return  # arrowheads: drawn in the colour of their line
        unfilled = attrs.get("fill", "black") == "none"
        shape = tag in ("line", "path", "polyline", "rect", "circle", "ellipse")
        if shape and unfilled and attrs.get("stroke", "none") != "none":
            lines.add(attrs["stroke"].lower())
        if tag == "text":
            texts.add(attrs.get("fill", "black").lower())
        for child in element:
            walk(child, attrs)

    walk(ET.parse(svg).getroot(), {})
    return lines, texts


def diagrams() -> list[Path]:
    return sorted((REPO / "docs" / "images").glob("*.svg"))


@pytest.mark.parametrize("svg", diagrams(), ids=lambda p: p.name)
def test_diagram_lines_contrast_with_both_page_backgrounds(browser, hosted, svg):
    lines, texts = diagram_colours(svg)
    assert lines, f"{svg.name}: no connecting line found"
    for scheme in ("light", "dark"):
        background = page_background(browser, hosted, scheme)
        for colour in lines:
            ratio = contrast(colour, background)
            assert ratio >= 3, (
                f"{svg.name}: line {colour} on the {scheme} page {background}: {ratio:.2f} < 3"
            )
    # Text is drawn in ink on light shapes (STYLE.md), never straight on the page.
    assert texts <= {"#111827"}, f"{svg.name}: text colours {texts}, expected the ink #111827"


def test_coloured_symbols_are_readable_in_both_schemes(browser, hosted):
    slugs = [p for p in PAGES if not p.startswith("notebooks/") and p != "index"]
    checked = 0
    for scheme in ("light", "dark"):
        for slug in slugs:
            visit = open_page(browser, hosted_url(hosted, slug), scheme=scheme)
            pairs = visit.page.evaluate("""() => {
              const bg = getComputedStyle(document.body).backgroundColor;
              return [...document.querySelectorAll('article [class^="c-"], article [class*=" c-"]')]
                .map(e => [e.getAttribute('class'), getComputedStyle(e).color, bg]);
            }""")
            visit.page.context.close()
            for cls, colour, background in pairs:
                checked += 1
                assert contrast(colour, background) >= 4.5, (
                    f"{slug} ({scheme}): .{cls} {colour} on {background}"
                )
    if len(slugs) > 1:
        assert checked, "no coloured symbol found on the recurrent chapters"


# --- print --------------------------------------------------------------------------------


PRINTED_CHROME = """() => [
  '.md-header', '.md-sidebar--primary', '.md-sidebar--secondary', '.md-footer', '.md-clipboard',
  '.headerlink', '.md-content__button', '.md-top', '.rnn-stepper',
].filter(sel => [...document.querySelectorAll(sel)].some(e => {
  const r = e.getBoundingClientRect();
  return e.checkVisibility() && r.width > 0 && r.height > 0;
}))"""


def test_a_chapter_prints_with_its_equations_and_diagrams(browser, hosted, tmp_path):
    visit = open_page(browser, hosted_url(hosted, "time-distributed"))
    page = visit.page
    page.emulate_media(media="print")
    visible = page.evaluate("""() => ({
      math: [...document.querySelectorAll('article mjx-container')].filter(e => e.getBoundingClientRect().height > 0).length,
      diagrams: [...document.querySelectorAll('article img')].filter(e => e.getBoundingClientRect().height > 0).length,
    })""")
    assert visible["math"] > 10 and visible["diagrams"] >= 2, visible
    shown = page.evaluate(PRINTED_CHROME)
    assert not shown, f"printed although screen-only: {shown}"
    styles = page.evaluate("""() => ({
      heading: getComputedStyle(document.querySelector('article h2')).breakAfter,
      glyphStroke: [...document.querySelectorAll('article mjx-container svg g[fill]')]
        .filter(g => getComputedStyle(g).stroke !== 'none').length,
    })""")
    assert styles["heading"] == "avoid", f"a heading may end a printed page: {styles}"
    assert styles["glyphStroke"] == 0, f"equation glyphs printed with an outline: {styles}"
    pdf = page.pdf(format="A4", print_background=False)
    visit.page.context.close()
    (tmp_path / "chapter.pdf").write_bytes(pdf)
    pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
    assert pdf.startswith(b"%PDF") and pages >= 3 and len(pdf) > 100_000, (pages, len(pdf))


# --- the checks catch a broken page ------------------------------------------------------------


def test_the_checks_catch_a_page_broken_on_purpose(browser, site, tmp_path):
    broken = tmp_path / "site"
    shutil.copytree(site, broken, ignore=shutil.ignore_patterns("download"))
    page = broken / "time-distributed" / "index.html"
    html = page.read_text(encoding="utf-8")
    html = html.replace(
        "</head>",
        '<script src="https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-chtml.js"></script></head>',
        1,
    )
    html = re.sub(
        r'(<img[^>]*?) alt="[^"]*"', r"\1", html, count=1
    )  # one diagram loses its alt text
    html = html.replace("<p>", "<p>Stray $x_t$ math. ", 1)
    # Material's narrow-screen rules as they squeezed equations to nothing; a wide block.
    html = html.replace(
        "</head>",
        "<style>div.arithmatex svg { max-width: 1px !important; min-width: 0 !important; }"
        "</style></head>",
        1,
    )
    html = html.replace("<p>", '<p><span style="display:inline-block;width:3000px">w</span>', 1)
    page.write_text(html, encoding="utf-8")
    with serve(broken) as url:
        visit = open_page(browser, url + "time-distributed/")
        problems = "\n".join(all_problems(visit))
        visit.page.context.close()
    assert "request to another host: https://cdn.jsdelivr.net/" in problems
    assert "image without alt text" in problems
    assert "raw TeX delimiters in the text" in problems
    assert "equation with no size" in problems
    assert "px wide in a 1280 px viewport" in problems
    assert "axe image-alt" in problems


# --- diagrams on a phone ------------------------------------------------------------------------


def test_diagrams_open_at_full_size_with_legible_labels(browser, hosted):
    """On a 375 px phone a diagram is shrunk to the text width; tapping it opens its SVG at
    the size it was drawn, where no label is under 11 px (nor a subscript under 10 px)."""
    chapters = [p for p in PAGES if not p.startswith("notebooks/") and p != "index"]
    opened = 0
    for slug in chapters:
        visit = open_page(browser, hosted_url(hosted, slug), width=375)
        links = visit.page.eval_on_selector_all(
            "article img.diagram",
            "els => els.map(e => [e.getAttribute('src'), e.closest('a.diagram-link')?.href])",
        )
        for src, href in links:
            assert href and href.endswith(src.rsplit("/", 1)[-1]), (
                f"{slug}: diagram {src} is not a link to its SVG"
            )
            visit.page.goto(href)
            smallest = visit.page.evaluate("""() => {
              const svg = document.documentElement;
              const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
              const size = sel => Math.min(...[...document.querySelectorAll(sel)]
                .map(t => parseFloat(getComputedStyle(t).fontSize) * scale));
              return {labels: size('text'), subscripts: size('tspan[baseline-shift]')};
            }""")
            assert smallest["labels"] >= 11, f"{src} opened on a phone: {smallest} px"
            # Subscripts are drawn at 70 % of their label (STYLE.md): at least 10 px.
            assert smallest["subscripts"] >= 10, f"{src} opened on a phone: {smallest} px"
            opened += 1
        visit.page.context.close()
    # The cell diagrams of Parts B to E are inline SVG there (live, driven by the panel,
    # sitebuild/diagrams.py): they keep a legible size in their own scrolling box instead
    # (tests/test_stepper.py, test_live_diagram_labels_are_legible_on_a_phone).
    assert opened >= 3, f"only {opened} diagrams found on {chapters}"


def test_a_notebook_takes_the_whole_text_width_on_a_phone(browser, hosted):
    """A notebook laid out as its own box sat beside the floated download and edit buttons,
    64 px narrower all the way down."""
    visit = open_page(browser, f"{hosted}notebooks/gru/", width=375)
    widths = visit.page.evaluate(
        "() => ['article', '.jupyter-wrapper']"
        ".map(s => document.querySelector(s).getBoundingClientRect().width)"
    )
    visit.page.context.close()
    assert widths[1] >= widths[0] - 1, (
        f"notebook {widths[1]:.0f} px in an article of {widths[0]:.0f}"
    )
