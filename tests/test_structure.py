"""The rules every chapter, example and diagram follows, with messages that say what to fix.

Chapters are found from the pages themselves: every ``docs/**/*.md`` whose front matter names an
``example:`` is a chapter, so a new chapter is checked as soon as its page exists (no list to
update). Most checks read the sources, so that they give a precise message even when the build
fails; the others read the site built by the ``site`` fixture. The last test checks every
internal link and anchor of the built site.
"""

from __future__ import annotations

import io
import json
import posixpath
import re
import tokenize
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from functools import cache
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from conftest import REPO
from mkdocs.utils.meta import get_data
from test_chapters import SECTIONS

from sitebuild.mkdocs_hooks import INCLUDE
from sitebuild.runner import local_imports, run_examples, slug_of

DOCS = REPO / "docs"
EXAMPLES = REPO / "examples"
SECTION_LIST = ", ".join(f"'{s}'" for s in SECTIONS)


@dataclass(frozen=True)
class Chapter:
    page: Path  # docs/<slug>.md
    example: Path  # what its front matter names

    @property
    def name(self) -> str:
        return self.page.relative_to(REPO).as_posix()

    @property
    def src_uri(self) -> str:
        return self.page.relative_to(DOCS).as_posix()

    @property
    def slug(self) -> str:
        """The data file and notebook are named after the example: data/<slug>.json."""
        return slug_of(self.example)

    @property
    def url(self) -> str:
        return self.src_uri.removesuffix(".md").removesuffix("index").rstrip("/")

    def text(self) -> str:
        return self.page.read_text(encoding="utf-8")


def find_chapters() -> list[Chapter]:
    chapters = []
    for page in sorted(DOCS.rglob("*.md")):
        if page == DOCS / "index.md":
            continue  # the landing page has an example (its comparison table) but is no chapter
        _, meta = get_data(page.read_text(encoding="utf-8"))
        if "example" in meta:
            chapters.append(Chapter(page, (REPO / str(meta["example"])).resolve()))
    return chapters


CHAPTERS = find_chapters()
BY_NAME = {c.name: c for c in CHAPTERS}


def chapter_params():
    return pytest.mark.parametrize("chapter", CHAPTERS, ids=[c.name for c in CHAPTERS])


def markdown_lines(text: str):
    """(line number, line) of the Markdown outside fenced code blocks."""
    fence = None
    for number, line in enumerate(text.splitlines(), start=1):
        mark = re.match(r"^\s*(`{3,}|~{3,})", line)
        if mark:
            if fence is None:
                fence = mark.group(1)
            elif mark.group(1).startswith(fence):
                fence = None
            continue
        if fence is None:
            yield number, line


def headings(text: str, level: int = 2) -> list[tuple[int, str]]:
    found = []
    for number, line in markdown_lines(text):
        match = re.match(rf"^{'#' * level}\s+(.+?)\s*$", line)
        if match:
            title = re.sub(r"\s*\{[^}]*\}\s*$", "", match.group(1)).rstrip("#").strip()
            found.append((number, title))
    return found


def nav_paths(nav) -> list[str]:
    out = []
    for item in nav or []:
        for value in item.values() if isinstance(item, dict) else [item]:
            out.extend(nav_paths(value) if isinstance(value, list) else [value])
    return out


@cache
def published_outputs(example: Path) -> dict[str, str]:
    """What the example publishes, from the build cache (a hit once the site was built)."""
    results, errors = run_examples([example], log=lambda *args: None)
    if errors:
        pytest.fail(
            f"{example.relative_to(REPO)} fails, so its chapter cannot build; fix the "
            f"example first (run it: .venv/bin/python {example.relative_to(REPO)}):\n"
            f"{errors[0]}"
        )
    return results[example.resolve()].outputs


# --- chapters ------------------------------------------------------------------------------


def test_chapters_are_found():
    assert CHAPTERS, (
        "no page in docs/ names an example in its front matter ('example: examples/x.py')"
    )


@chapter_params()
def test_example_exists_and_is_named_after_the_page(chapter):
    relative = (
        chapter.example.relative_to(REPO)
        if chapter.example.is_relative_to(REPO)
        else chapter.example
    )
    assert chapter.example.is_file(), (
        f"{chapter.name}: its front matter names the example {relative}, which does not exist; "
        f"create it (make chapter makes one) or fix the path"
    )
    expected = f"examples/{Path(chapter.src_uri).stem.replace('-', '_')}.py"
    assert str(relative) == expected, (
        f"{chapter.name}: names the example {relative}, but a chapter's example is {expected} "
        f"(its slug with underscores): the data file data/<slug>.json and the notebook "
        f"notebooks/<slug>.ipynb are named after the example, and the page links them by its own "
        f"slug; rename the example or the page"
    )


@chapter_params()
def test_chapter_has_the_four_sections_in_order(chapter):
    found = headings(chapter.text())
    titles = [title for _, title in found]
    for section in SECTIONS:
        assert section in titles, (
            f"{chapter.name}: missing section '{section}' (every chapter has the four sections "
            f"{SECTION_LIST}, as '## ' headings in this order; found: {titles})"
        )
    positions = [titles.index(s) for s in SECTIONS]
    assert positions == sorted(positions), (
        f"{chapter.name}: the sections are out of order: {[titles[p] for p in sorted(positions)]}; "
        f"every chapter has them in the order {SECTION_LIST}"
    )
    h1 = headings(chapter.text(), level=1)
    assert len(h1) == 1, f"{chapter.name}: a chapter has one '# ' title line, found {len(h1)}"


@chapter_params()
def test_every_include_is_an_output_of_the_example(chapter):
    if not chapter.example.is_file():
        pytest.skip("the example does not exist (reported by another test)")
    outputs = published_outputs(chapter.example)
    example = chapter.example.relative_to(REPO)
    problems = []
    for number, line in enumerate(chapter.text().splitlines(), start=1):
        for match in INCLUDE.finditer(line):
            name = match.group(1)
            if name in outputs or name.startswith("versions."):
                continue
            problems.append(
                f"{chapter.name}:{number}: '{match.group(0)}' is not an output of {example}"
            )
    assert not problems, (
        "\n".join(problems)
        + f"\nPublish each of them in {example} (publish.value, publish.matrix, "
        f"publish.table, ...; the name is the first argument) or fix the name. It publishes: "
        f"{', '.join(sorted(outputs)) or 'nothing'}"
    )


@chapter_params()
def test_chapter_links_its_data_file_and_notebook(chapter):
    text = chapter.text()
    for target, what in (
        (f"data/{chapter.slug}.json", "[Download the weights]"),
        (f"notebooks/{chapter.slug}.ipynb", "[The example as a notebook]"),
    ):
        assert re.search(rf"\]\((\.\./)*{re.escape(target)}\)", text), (
            f"{chapter.name}: does not link {target}; add '- {what}({target})' to its "
            f"'## Files' section (see docs/time-distributed.md)"
        )


@chapter_params()
def test_chapter_publishes_its_data_file_and_notebook(site, chapter):
    data_file = site / "data" / f"{chapter.slug}.json"
    assert data_file.is_file(), (
        f"{chapter.name}: the built site has no data/{chapter.slug}.json; its example "
        f"{chapter.example.relative_to(REPO)} must record its model with "
        f"publish.model(name, model, input)"
    )
    data = json.loads(data_file.read_text(encoding="utf-8"))
    assert data.get("models"), (
        f"data/{chapter.slug}.json records no model: call publish.model(name, model, input) in "
        f"{chapter.example.relative_to(REPO)} for every model the page shows"
    )
    assert (site / "notebooks" / chapter.slug / "index.html").is_file(), (
        f"{chapter.name}: the built site has no page notebooks/{chapter.slug}/"
    )


@chapter_params()
def test_chapter_and_its_notebook_are_in_the_nav(mkdocs_config, chapter):
    nav = nav_paths(mkdocs_config.get("nav"))
    title = (
        headings(chapter.text(), level=1)[0][1] if headings(chapter.text(), level=1) else "Title"
    )
    for path, where in (
        (chapter.src_uri, "before the '- Notebooks:' section"),
        (f"notebooks/{chapter.slug}.ipynb", "inside the '- Notebooks:' section"),
    ):
        assert path in nav, (
            f"{chapter.name}: {path} is not in the nav of mkdocs.yml; add '- {title}: {path}' "
            f"{where} (make chapter does this for a new chapter)"
        )


@chapter_params()
def test_chapter_has_an_edit_link_to_its_source(site, chapter):
    page = (site / chapter.url / "index.html").read_text(encoding="utf-8")
    links = re.findall(r'<a href="([^"]+)"[^>]*rel="edit"', page)
    assert links, (
        f"{chapter.name}: the built page has no 'Edit this page' link; mkdocs.yml needs "
        f"edit_uri and the theme feature content.action.edit"
    )
    assert links[0].endswith(f"/docs/{chapter.src_uri}"), (
        f"{chapter.name}: 'Edit this page' points at {links[0]}, not at docs/{chapter.src_uri}"
    )


def edit_links(site: Path, notebooks: bool) -> dict[str, str]:
    """Page -> the repository path its "Edit this page" link opens."""
    links = {}
    for page in sorted(site.rglob("*.html")):
        where = page.relative_to(site).as_posix()
        if where.startswith("notebooks/") != notebooks:
            continue
        for href in re.findall(
            r'<a href="([^"]+)"[^>]*rel="edit"', page.read_text(encoding="utf-8")
        ):
            links[where] = posixpath.normpath(
                urlsplit(href).path.split("/edit/", 1)[-1].split("/", 1)[-1]
            )
    return links


def test_edit_links_of_pages_open_files_that_exist(site):
    links = edit_links(site, notebooks=False)
    assert links, "no page has an 'Edit this page' link"
    missing = [f"{page}: {path}" for page, path in links.items() if not (REPO / path).is_file()]
    assert not missing, f"'Edit this page' opens files that do not exist: {missing}"


def test_edit_links_of_notebook_pages_open_their_example(site):
    links = edit_links(site, notebooks=True)
    assert links
    wrong = [
        f"{page}: {path}"
        for page, path in links.items()
        if not (path.startswith("examples/") and (REPO / path).is_file())
    ]
    assert not wrong, f"notebook pages whose 'Edit this page' does not open their example: {wrong}"


# --- examples and diagrams -----------------------------------------------------------------


def test_every_example_is_used_by_a_chapter():
    scripts = sorted(p.resolve() for p in EXAMPLES.glob("*.py"))
    named = {c.example for c in CHAPTERS} | {(EXAMPLES / "overview.py").resolve()}
    helpers = {EXAMPLES.resolve() / "publish.py"}
    for script in named & set(scripts):
        helpers.update(p.resolve() for p in local_imports(script))
    unused = [s.relative_to(REPO).as_posix() for s in scripts if s not in named | helpers]
    assert not unused, (
        f"not used by any chapter: {', '.join(unused)}. Name each in the front matter of its "
        f"page ('example: {unused[0]}' in docs/{slug_of(Path(unused[0]))}.md), or delete it; "
        f"a module is fine when a chapter's example imports it"
    )


DIAGRAMS = sorted(DOCS.rglob("*.svg"))
SVG = "{http://www.w3.org/2000/svg}"


def referenced_images() -> str:
    return "\n".join(
        p.read_text(encoding="utf-8")
        for p in DOCS.rglob("*")
        if p.suffix in (".md", ".html", ".css") and p.is_file()
    )


@pytest.mark.parametrize("svg", DIAGRAMS, ids=[p.relative_to(DOCS).as_posix() for p in DIAGRAMS])
def test_every_diagram_is_used_and_has_a_title(svg):
    name = svg.relative_to(DOCS).as_posix()
    sources = referenced_images()
    problems = []
    used = re.search(rf"(^|[\s(\"'/]){re.escape(name)}", sources, re.M) is not None
    if not used and f"/{svg.name}" not in sources:
        problems.append(
            f"docs/{name} is not shown on any page: include it with "
            f"'![what it shows]({name}){{ .diagram width=\"W\" }}' or delete it"
        )
    try:
        title = ET.parse(svg).getroot().find(f"{SVG}title")
        if title is None or not (title.text or "").strip():
            problems.append(
                f"docs/{name}: the root <svg> needs a <title> (a short name) as its "
                f"first child, and a <desc> (what it shows, as a sentence); STYLE.md, "
                f"'Accessibility'"
            )
    except ET.ParseError as exc:
        problems.append(f"docs/{name} is not well-formed XML: {exc}")
    assert not problems, "\n".join(problems)


# --- links of the built site ---------------------------------------------------------------


class _Links(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.anchors: set[str] = set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for key in ("id", "name") if tag != "meta" else ():
            if attrs.get(key):
                self.anchors.add(attrs[key])
        if tag in ("a", "link", "area") and attrs.get("href") is not None:
            self.links.append(attrs["href"])
        if tag in ("img", "script", "iframe", "source") and attrs.get("src"):
            self.links.append(attrs["src"])


@cache
def _parse(path: Path) -> _Links:
    parser = _Links()
    parser.feed(path.read_text(encoding="utf-8", errors="replace"))
    return parser


def _target(site: Path, page: Path, path: str) -> Path | None:
    if path.startswith("/"):
        target = site / path.lstrip("/")
    else:
        target = page.parent / path
    if path.endswith("/") or target.is_dir():
        target = target / "index.html"
    try:
        target.resolve().relative_to(site.resolve())
    except ValueError:
        return None  # outside the site
    return target


def broken_links(site: Path, site_url: str) -> list[str]:
    problems = []
    for page in sorted(site.rglob("*.html")):
        where = page.relative_to(site).as_posix()
        source = DOCS / ((where.removesuffix("index.html").rstrip("/") or "index") + ".md")
        if source.is_file():
            where = f"{where} (from docs/{source.relative_to(DOCS).as_posix()})"
        for href in dict.fromkeys(_parse(page).links):
            if href.startswith(site_url):
                href = "/" + href[len(site_url) :]
            parts = urlsplit(href)
            if parts.scheme or parts.netloc or href.startswith("//"):
                continue  # another host, mailto:, data:, javascript:: the external job's concern
            path, fragment = unquote(parts.path), unquote(parts.fragment)
            target = _target(site, page, path) if path else page
            if target is None or not target.is_file():
                problems.append(f"{where}: link {href!r}: no such file in the site")
            elif fragment and target.suffix == ".html" and fragment not in _parse(target).anchors:
                shown = posixpath.normpath(target.relative_to(site).as_posix())
                problems.append(f"{where}: link {href!r}: {shown} has no anchor #{fragment}")
    return problems


def test_internal_links_and_anchors_resolve(site, site_url):
    problems = broken_links(site, site_url)
    shown = "\n".join(problems[:40]) + (
        f"\n... and {len(problems) - 40} more" if len(problems) > 40 else ""
    )
    assert not problems, (
        f"{len(problems)} broken links in the built site (a Markdown link names a page as "
        f"'other.md' or 'other.md#heading-id', relative to the page; a heading's id is its "
        f"title in lowercase with hyphens):\n{shown}"
    )


def test_the_link_check_finds_missing_pages_and_anchors(tmp_path):
    (tmp_path / "page").mkdir()
    (tmp_path / "page" / "index.html").write_text(
        '<h2 id="there">There</h2><a href="../#top">up</a>'
    )
    (tmp_path / "img.svg").write_text("<svg/>")
    (tmp_path / "index.html").write_text(
        '<p id="top"></p><a href="page/">ok</a> <a href="page/#there">ok</a> <img src="img.svg">'
        '<a href="https://example.org/x">other host</a> <a href="http://127.0.0.1:1/page/">site</a>'
        '<a href="missing/">broken</a> <a href="page/#nowhere">no anchor</a> <a href="#">top</a>'
        '<a href="../outside.html">outside</a>'
    )
    problems = [p.split(": ", 1)[1] for p in broken_links(tmp_path, "http://127.0.0.1:1/")]
    assert problems == [
        "link 'missing/': no such file in the site",
        "link 'page/#nowhere': page/index.html has no anchor #nowhere",
        "link '../outside.html': no such file in the site",
    ], problems


# --- words and source lines ----------------------------------------------------------------

# STYLE.md: "time step" is the one word for t. What readers read (pages, diagrams, the panel)
# and the examples (shown on pages and as notebooks) must not say "date" instead.
TERM_SOURCES = sorted(
    [*DOCS.rglob("*.md"), *DOCS.rglob("*.svg"), *EXAMPLES.glob("*.py")]
    + [p for p in (DOCS / "javascripts").glob("*.js")]
)
# (A quoted "Date" is a key of another library's API, such as matplotlib's SVG metadata.)
OTHER_WORDS_FOR_A_TIME_STEP = re.compile(r'(?<!")\bdates?\b(?!")', re.IGNORECASE)


@pytest.mark.parametrize("path", TERM_SOURCES, ids=[p.name for p in TERM_SOURCES])
def test_time_steps_are_called_time_steps(path):
    found = [
        f"{path.relative_to(REPO)}:{number}: {line.strip()}"
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if OTHER_WORDS_FOR_A_TIME_STEP.search(line)
    ]
    assert not found, "say 'time step' (STYLE.md, Notation), not 'date':\n" + "\n".join(found)


SNIPPET_LINE = re.compile(r'^--8<-- "(?P<file>[^":]+)(?::(?P<section>[\w-]+))?"$')


@chapter_params()
def test_snippet_lines_are_well_formed(chapter):
    """A malformed snippet line (`--8 < --"x"`, as a Markdown formatter once made of them) is
    not an include for pymdownx.snippets: it would be shown as text, and the build would pass."""
    problems = []
    for number, line in enumerate(chapter.text().splitlines(), start=1):
        if "--8" not in line:
            continue
        match = SNIPPET_LINE.match(line.strip())
        where = f"{chapter.page.relative_to(REPO)}:{number}"
        if not match:
            problems.append(f'{where}: not a snippet line (--8<-- "file:section"): {line.strip()}')
            continue
        source = REPO / match["file"]
        if match["section"] and f"[start:{match['section']}]" not in source.read_text("utf-8"):
            problems.append(f"{where}: {match['file']} has no section {match['section']!r}")
    assert not problems, "\n".join(problems)


SHOWN_CODE_WIDTH = 80  # STYLE.md: code shown on a page fits 1280 px without scrolling


def included_whole() -> set[Path]:
    """Files that a page includes whole (`--8<-- "examples/x.py"`, no section)."""
    found = set()
    for page in DOCS.rglob("*.md"):
        for match in SNIPPET_LINE.finditer(page.read_text(encoding="utf-8")):
            if not match["section"]:
                found.add((REPO / match["file"]).resolve())
    return found


def shown_code_problems(path: Path, whole: bool = False) -> list[str]:
    """Lines of an example that a page shows (its `--8<-- [start:x]` ... `[end:x]` sections, or
    every line of a file included whole) that are wider than 80 characters or end in a comment:
    a code block on a page must not scroll at 1280 px, and comments go on their own line."""
    source = path.read_text(encoding="utf-8")
    lines = source.splitlines()
    trailing = {
        token.start[0]
        for token in tokenize.generate_tokens(io.StringIO(source).readline)
        if token.type == tokenize.COMMENT and lines[token.start[0] - 1][: token.start[1]].strip()
    }
    problems, section = [], "whole file" if whole else None
    for number, line in enumerate(lines, start=1):
        mark = re.match(r"^\s*# --8<-- \[(start|end):([\w-]+)\]", line)
        if mark and not whole:
            section = mark.group(2) if mark.group(1) == "start" else None
        elif section and len(line) > SHOWN_CODE_WIDTH:
            problems.append(f"{path.name}:{number} [{section}]: {len(line)} characters")
        elif section and number in trailing and "fmt: " not in line:
            problems.append(f"{path.name}:{number} [{section}]: comment at the end of a line")
    return problems


def test_shown_code_problems_are_found(tmp_path):
    example = tmp_path / "x.py"
    example.write_text(
        "# --8<-- [start:a]\nx = 1  # trailing\ny = '" + "z" * 80 + "'\n# --8<-- [end:a]\n"
        "w = 1  # outside a section\n"
    )
    assert shown_code_problems(example) == [
        "x.py:2 [a]: comment at the end of a line",
        "x.py:3 [a]: 86 characters",
    ]
    assert "x.py:5 [whole file]: comment at the end of a line" in shown_code_problems(
        example, whole=True
    )


@pytest.mark.parametrize("script", sorted(EXAMPLES.glob("*.py")), ids=lambda p: p.name)
def test_code_shown_on_pages_fits_without_scrolling(script):
    problems = shown_code_problems(script, whole=script.resolve() in included_whole())
    assert not problems, (
        f"code shown on a page must fit in {SHOWN_CODE_WIDTH} characters, with comments on "
        "their own line above the code (STYLE.md):\n" + "\n".join(problems)
    )
