"""Reading chapter sources (``docs/*.md``) as a reader sees their prose: code, maths, includes,
HTML tags, link targets and attribute lists blanked out, line numbers kept. Shared by the
source-level checks (tests/test_prose_numbers.py, tests/test_source_checks.py), which run in
milliseconds and name file and line."""

from __future__ import annotations

import re
from pathlib import Path

from conftest import REPO

FENCE = re.compile(r"^\s*(```+|~~~+)")
# What is not prose, in the order it is removed (each match is replaced by spaces, newlines kept).
NOT_PROSE = [
    ("HTML comment", re.compile(r"<!--.*?-->", re.S)),
    (
        "display maths",
        re.compile(r"\$\$.*?\$\$|\\\[.*?\\\]|\\begin\{(\w+\*?)\}.*?\\end\{\1\}", re.S),
    ),
    ("include", re.compile(r"\{\{.*?\}\}|\{%.*?%\}", re.S)),
    ("inline code", re.compile(r"(`+)(?!`).+?(?<!`)\1", re.S)),
    ("inline maths", re.compile(r"(?<![\\$])\$(?!\$)(?:\\.|[^$\\])+?\$|\\\(.*?\\\)", re.S)),
    # an image's alt text describes the drawing (tests/test_structure.py matches it with the
    # SVG's <desc>), not a model
    ("image alt text", re.compile(r"!\[[^\]]*\](?:\([^)]*\))?", re.S)),
    ("HTML tag", re.compile(r"</?[A-Za-z][^<>]*>", re.S)),
    ("link target", re.compile(r"(?<=\])\((?:[^()\s]|\([^()]*\))*(?:\s+\"[^\"]*\")?\)")),
    ("reference definition", re.compile(r"^\s*\[[^\]]+\]:\s+\S.*$", re.M)),
    ("attribute list", re.compile(r"\{\s*[:.#][^{}]*\}|\{\s*\w+=[^{}]*\}")),
    ("URL", re.compile(r"\bhttps?://\S+")),
    ("snippet", re.compile(r"^\s*-{1,2}8<-{1,2}.*$", re.M)),
]


def chapter_sources() -> list[Path]:
    """Every page of docs/ (chapters, the landing page, pages added later)."""
    return sorted((REPO / "docs").glob("*.md"))


def _blank(match: re.Match) -> str:
    return re.sub(r"[^\n]", " ", match.group(0))


def without_code_blocks(text: str) -> str:
    """The source with front matter and fenced code blocks blanked (newlines kept)."""
    lines = text.split("\n")
    if lines and lines[0].strip() == "---":
        end = next((i for i in range(1, len(lines)) if lines[i].strip() in ("---", "...")), 0)
        for i in range(end + 1):
            lines[i] = ""
    fence = None
    for i, line in enumerate(lines):
        mark = FENCE.match(line)
        if fence is None and mark:
            fence = mark.group(1)
            lines[i] = ""
        elif fence is not None:
            if mark and mark.group(1).startswith(fence[0]) and len(mark.group(1)) >= len(fence):
                fence = None
            lines[i] = ""
    return "\n".join(lines)


def prose(text: str) -> str:
    """What a reader reads as text: everything in NOT_PROSE blanked, line numbers kept."""
    text = without_code_blocks(text)
    for _, pattern in NOT_PROSE:
        text = pattern.sub(_blank, text)
    return text


def relative(path: Path) -> str:
    return str(path.relative_to(REPO))
