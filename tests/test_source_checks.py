"""Fast checks of the Markdown sources (docs/*.md), in milliseconds, with file and line: what
the browser tests would otherwise catch only after a build and a minute in Chromium.

* Display maths stands on lines of its own: ``$$`` alone on its line. ``$$x$$`` inside a
  sentence is not rendered as inline maths (use ``$x$``).
* Every image has alt text: Markdown ``![alt](src)`` with a non-empty alt, HTML ``<img>`` with
  a non-empty ``alt``.
"""

from __future__ import annotations

import re

import pytest
from markdown_source import NOT_PROSE, chapter_sources, relative, without_code_blocks

INLINE_CODE = dict(NOT_PROSE)["inline code"]
MARKDOWN_IMAGE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
HTML_IMAGE = re.compile(r"<img\b[^>]*>", re.I | re.S)
ALT = re.compile(r"""\balt\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>"']+))""", re.I)


def _blank(match: re.Match) -> str:
    return re.sub(r"[^\n]", " ", match.group(0))


def source_lines(text: str) -> list[str]:
    """The source's lines, code blocks and inline code blanked."""
    return INLINE_CODE.sub(_blank, without_code_blocks(text)).split("\n")


def inline_display_maths(text: str) -> list[tuple[int, str]]:
    return [
        (number, line.strip())
        for number, line in enumerate(source_lines(text), start=1)
        if "$$" in line and line.strip() != "$$"
    ]


def images_without_alt(text: str) -> list[tuple[int, str]]:
    blanked = "\n".join(source_lines(text))
    found = []
    for match in MARKDOWN_IMAGE.finditer(blanked):
        if not match.group(1).strip():
            found.append((blanked.count("\n", 0, match.start()) + 1, match.group(0)))
    for match in HTML_IMAGE.finditer(blanked):
        alt = ALT.search(match.group(0))
        if not alt or not "".join(g or "" for g in alt.groups()).strip():
            found.append((blanked.count("\n", 0, match.start()) + 1, match.group(0)[:80]))
    return found


def problems(check, what: str) -> list[str]:
    found = []
    for path in chapter_sources():
        found += [
            f"{relative(path)}:{line}: {what}: {text[:120]}"
            for line, text in check(path.read_text(encoding="utf-8"))
        ]
    return found


def test_display_maths_stands_on_its_own_lines():
    found = problems(inline_display_maths, "$$ inside a line (inline maths is $x$)")
    assert not found, "\n".join(found)


def test_every_image_has_alt_text():
    found = problems(images_without_alt, "image without alt text")
    assert not found, "\n".join(found)


# --- the checks themselves -------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "The state $$h_t$$ is a row.",
        "$$h_t = \\tanh(x_t W_x)$$",
        "$$\ny\n$$ and text after",
        "text before\n$$ y = 1",
    ],
)
def test_inline_display_maths_is_found(text):
    assert inline_display_maths(text)


@pytest.mark.parametrize(
    "text",
    [
        "$$\nh_t = \\tanh(x_t W_x)\n$$",
        "  $$\n  y\n  $$",
        "The sign `$$` in code.",
        "```\nprint('$$x$$')\n```",
        "Inline $h_t$ and \\(x_t\\).",
    ],
)
def test_display_maths_on_its_own_lines_passes(text):
    assert inline_display_maths(text) == []


def test_the_line_of_inline_display_maths_is_named():
    assert inline_display_maths("# T\n\nok\nThe $$x$$ here.\n") == [(4, "The $$x$$ here.")]


@pytest.mark.parametrize(
    "text",
    [
        "![](images/a.svg)",
        "![  ](images/a.svg){ .diagram }",
        '<img src="images/a.svg">',
        '<img src="images/a.svg" alt="">',
        "<img src='a.svg' alt='  ' width=3>",
    ],
)
def test_an_image_without_alt_text_is_found(text):
    assert [line for line, _ in images_without_alt(f"# Title\n\n{text}\n")] == [3]


@pytest.mark.parametrize(
    "text",
    [
        "![A diagram](images/a.svg)",
        '<img src="images/a.svg" alt="A diagram">',
        "<img alt=diagram src=a.svg>",
        "```html\n<img src='a.svg'>\n```",
        "An empty link [](x.md) is not an image; `![](a.svg)` is code.",
    ],
)
def test_an_image_with_alt_text_passes(text):
    assert images_without_alt(text) == []
