"""No number typed into a page's prose: every number about a model is an include
(``{{ name }}``) of what its example published, so a page cannot disagree with its build.

Checked on the Markdown sources (docs/*.md, every page, including those added later), in
milliseconds, outside code blocks, inline code, maths, includes, HTML tags and attributes, link
targets, attribute lists and image alt text. A digit left in the prose fails with file, line
and text, unless a pattern of the short allow-list below matches it: years, version numbers,
list numbering, figure and equation numbers, and a few generic constants.
"""

from __future__ import annotations

import re

import pytest
from markdown_source import chapter_sources, prose, relative

NUMBER = re.compile(r"(?<![\w.])\d+(?:[.,]\d+)*(?:\.x)?")
# Each pattern matches the whole phrase around an allowed number; keep the list short and say why.
ALLOWED = [
    # version numbers of the libraries, in history notes ("Keras 2.1.5", "TensorFlow 1.x",
    # "Keras 2.0 to 2.2"); the versions the build ran with are includes ({{ versions.keras }})
    r"(?:Keras|TensorFlow|Python|NumPy|PyTorch|MathJax|MkDocs)(?: \d+(?:\.\d+)*(?:\.x)?)(?: to \d+(?:\.\d+)*)?",
    r"\bfrom \d+\.\d+\.\d+",  # "(from 2.1.5, when the switch appeared)"
    r"\b(?:19|20)\d\d\b",  # years, in references and history notes
    r"#\d+\b|\bquestion \d+",  # pull request, issue and Stack Overflow numbers
    r"^\s*\d+\.\s|\*\*\d+\.\s",  # numbered lists and numbered bold paragraphs
    r"\b(?:Figure|Figures|equation|equations|Equation|Equations) \(?\d+\)?(?:(?:,| and| to) \(?\d+\)?)*",
    r"\b\d{4}\.\d{4,5}(?:v\d+)?\b",  # arXiv identifiers (1406.1078v3)
    r"(?<![\w.])[01](?![\w.]*\d)",  # 0 and 1: ranges, indices, defaults (between 0 and 1, row 0)
    r"\b(?:32|64)-bit\b",  # float32 and float64 as words
    r"\(32 by default\)",  # the batch_size of fit and predict, documented by Keras
]
ALLOWED_RE = re.compile("|".join(f"(?:{p})" for p in ALLOWED), re.M)


def typed_numbers(text: str) -> list[tuple[int, str]]:
    """(line number, number) of every number in the prose that the allow-list does not cover."""
    visible = prose(text)
    allowed = {
        i for match in ALLOWED_RE.finditer(visible) for i in range(match.start(), match.end())
    }
    # "(N)" refers to an equation when the page tags one with \tag{N} ("(1) gives z, (2) r")
    tags = set(re.findall(r"\\tag\{(\d+)\}", text))
    found = []
    for match in NUMBER.finditer(visible):
        if (
            match.group(0) in tags
            and visible[match.start() - 1 : match.end() + 1] == f"({match.group(0)})"
        ):
            continue
        if not all(i in allowed for i in range(match.start(), match.end())):
            found.append((visible.count("\n", 0, match.start()) + 1, match.group(0)))
    return found


def report(path, text: str) -> list[str]:
    lines = text.split("\n")
    return [
        f"{relative(path)}:{line}: typed number {number!r} in: {lines[line - 1].strip()[:160]}"
        for line, number in typed_numbers(text)
    ]


def test_no_typed_number_in_any_page():
    problems = []
    for path in chapter_sources():
        problems += report(path, path.read_text(encoding="utf-8"))
    assert not problems, (
        "numbers typed into prose: include them from the example ({{ name }}, published with "
        "publish.value), or write them with letters if generic; a year, version or figure "
        "number that is not covered belongs in ALLOWED (tests/test_prose_numbers.py):\n"
        + "\n".join(problems)
    )


# --- the guard itself: what it must flag and what it must leave alone ---------------------------


@pytest.mark.parametrize(
    "prose_line",
    [
        "The GRU has 63 parameters.",
        "The forget gate is near 0.7311 for small inputs.",
        "After 100 epochs the loss is 0,0011.",
        "| 0.5000 | typed table cell |",
        "The last time step is t = 4, in words.",
        "The bias has shape (2, 9) here.",
        "The model has (63) parameters, though the page tags equation \\(x \\tag{6}\\).",
        "A sum of −0.3751 and 2.",
        "Keras reports 54 parameters, and `count_params()` reports {{ params }}.",
    ],
)
def test_the_guard_flags_a_typed_number(prose_line):
    assert typed_numbers(f"# Title\n\n{prose_line}\n"), prose_line


@pytest.mark.parametrize(
    "source",
    [
        "The GRU has {{ params_gru }} parameters, {{ versions.keras }}.",
        "Inline maths $3n(m+n+2) = {{ params }}$ and \\(x_{t-1}\\) and `bias[1]` and `2 * n`.",
        "$$\ny_t = \\sigma(2 x_t + 1)\n$$",
        "```python\nx = 42\n```",
        "~~~\n100 epochs\n~~~",
        '![t = 0 to 3](images/unrolled-3.svg){ .diagram width="700" }',
        '<figure markdown><img src="images/a2.svg" width="640" alt="x"><figcaption>Figure 2: the step</figcaption></figure>',
        "See [Part E](gru.md#section-2) and [#9112](https://github.com/keras-team/keras/pull/9112).",
        "<!-- 42 in a comment -->",
        "1. First item\n2. Second item",
        "Keras 2.3, `tf.keras` of TensorFlow 2 and Keras 3 use sigmoid; Keras 2.0 to 2.2 did not.",
        "Cho et al. (2014); Keras 3's own function; a value between 0 and 1; row 0 and row 1.",
        "as shown in equation (3) and equations (1) and (2)",
        "$$\na \\tag{1}\n$$\n$$\nb \\tag{2}\n$$\nEquation (1) gives z, (2) the reset gate.",
        "on arXiv: [1406.1078v1](https://arxiv.org/abs/1406.1078v1) and 1412.3555.",
        "---\ntitle: Part 9\nexample: examples/x2.py\n---\n# Title",
        "float32 and 32-bit floats, a Conv1D layer",
    ],
)
def test_the_guard_leaves_code_maths_includes_and_allowed_numbers_alone(source):
    assert typed_numbers(source) == [], source


def test_the_message_names_file_line_and_text(tmp_path):
    page = tmp_path / "docs" / "x.md"
    text = "# Title\n\nSome prose.\nThe model has 63 parameters.\n"
    from conftest import REPO

    problems = report(REPO / "docs" / "x.md", text)
    assert problems == ["docs/x.md:4: typed number '63' in: The model has 63 parameters."]
    assert not page.exists()
