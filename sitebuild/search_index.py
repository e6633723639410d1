"""The search index as every page loads it (``search/search_index.json``, and its copy
``search_index.js`` in the offline site).

Material's search plugin writes it from the pages' HTML before the equations are typeset
(``sitebuild/typeset.py`` runs on the finished page), so its text holds their TeX:
``\\(\\class{c-h}{h_{t-1}}\\)``. A search result would show that TeX as it is, and every page
parses and hands the whole index to the search worker when it loads, on a phone's main thread.
:func:`plain_index` rewrites it once the search plugin has written it:

- inline maths becomes plain text: ``h_{t-1}``, ``σ(x_t W + b)``;
- display equations are left out (they restate what the prose around them names);
- the numbers of the tables (four decimals and more) are left out: a search for them finds
  nothing useful, and they were a tenth of the index.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

DISPLAY = re.compile(r"\\\[.*?\\\]", re.S)
INLINE = re.compile(r"\\\((.*?)\\\)", re.S)
TABLE_NUMBER = re.compile(r"(?<![\w.])[−-]?\d+\.\d{4,}(?![\w.])")
# TeX commands as text; a command not listed loses its backslash (\tanh -> tanh).
SYMBOLS = {
    "sigma": "σ",
    "odot": "⊙",
    "cdot": "·",
    "times": "×",
    "le": "≤",
    "leq": "≤",
    "ge": "≥",
    "geq": "≥",
    "ne": "≠",
    "neq": "≠",
    "approx": "≈",
    "partial": "∂",
    "sum": "Σ",
    "prod": "Π",
    "infty": "∞",
    "to": "→",
    "rightarrow": "→",
    "leftarrow": "←",
    "in": "∈",
    "ldots": "…",
    "dots": "…",
    "mid": "|",
    "alpha": "α",
    "beta": "β",
    "epsilon": "ε",
    "varepsilon": "ε",
    "pm": "±",
    "sqrt": "√",
    "lVert": "‖",
    "rVert": "‖",
    "lvert": "|",
    "rvert": "|",
    "eta": "η",
    "lambda": "λ",
    "mu": "μ",
    "theta": "θ",
    "top": "ᵀ",
    "prime": "′",
}
UNWRAP = re.compile(r"\\(?:class|style)\{[^{}]*\}\{((?:[^{}]|\{[^{}]*\})*)\}")
ACCENT = re.compile(r"\\(tilde|hat|bar)\s*(?:\{([^{}]*)\}|(\w))")
ACCENTS = {"tilde": "\u0303", "hat": "\u0302", "bar": "\u0304"}
FONT = re.compile(
    r"\\(?:mathrm|mathbf|mathit|mathbb|mathrel|text|operatorname|boldsymbol)\{([^{}]*)\}"
)
FRACTION = re.compile(r"\\frac\{([^{}]*)\}\{([^{}]*)\}")
SIZING = re.compile(
    r"\\(?:big|Big|bigg|Bigg)[lr]?(?![a-zA-Z])|\\left(?![a-zA-Z])|\\right(?![a-zA-Z])"
)
COMMAND = re.compile(r"\\([a-zA-Z]+)")
SPACING = re.compile(r"\\[,;:! ]")


def plain_math(tex: str) -> str:
    """Inline TeX as the text a search result can show: ``\\class{c-h}{\\tilde h_t}`` is
    ``h̃_t``."""
    text = tex
    while True:  # \class{c-x}{...} may nest
        unwrapped = UNWRAP.sub(r"\1", text)
        if unwrapped == text:
            break
        text = unwrapped
    text = FONT.sub(r"\1", text)
    text = ACCENT.sub(lambda m: (m[2] or m[3]) + ACCENTS[m[1]], text)
    text = SIZING.sub("", text)
    text = SPACING.sub(" ", text)
    text = FRACTION.sub(r"\1/\2", text)
    text = COMMAND.sub(lambda m: SYMBOLS.get(m[1], m[1]), text)
    text = text.replace(r"\{", "{").replace(r"\}", "}")
    return re.sub(r"\s+", " ", text).strip()


def plain_text(text: str) -> str:
    """An index entry's text: display maths and table numbers out, inline maths as text."""
    text = DISPLAY.sub("", text)
    text = INLINE.sub(lambda m: plain_math(m[1]), text)
    text = TABLE_NUMBER.sub("", text)
    return re.sub(r"[ \t]{2,}", " ", text)


def plain_index(site_dir: Path) -> None:
    """Rewrite ``search/search_index.json`` in ``site_dir`` (before the offline plugin copies
    it into ``search_index.js``)."""
    path = site_dir / "search" / "search_index.json"
    if not path.is_file():
        return
    index = json.loads(path.read_text(encoding="utf-8"))
    for doc in index["docs"]:
        doc["title"] = plain_text(doc["title"])
        doc["text"] = plain_text(doc["text"])
    path.write_text(json.dumps(index, ensure_ascii=False, separators=(",", ":")), "utf-8")
