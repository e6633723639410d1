"""Equations typeset when the site is built: no page loads MathJax.

``pymdownx.arithmatex`` (generic mode) leaves ``<span class="arithmatex">\\(...\\)</span>`` and
``<div class="arithmatex">\\[...\\]</div>`` in a chapter's HTML; a notebook page keeps ``$...$``
in its Markdown cells and outputs. ``typeset_page`` replaces each with MathJax's SVG and its
assistive MathML, typeset by ``sitebuild/typeset.mjs`` in Node (MathJax's own package, pinned in
``package.json``). One Node process serves a whole build, started only when a page has an
equation that is not cached; results are cached per page in ``.cache/typeset/``, keyed by the
page's equations, the script and the lockfile, so a warm rebuild starts no Node at all.
"""

from __future__ import annotations

import hashlib
import html
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SCRIPT = Path(__file__).with_name("typeset.mjs")
LOCKFILE = REPO / "package-lock.json"
CACHE_DIR = Path(os.environ.get("SITEBUILD_TYPESET_CACHE", REPO / ".cache" / "typeset"))
INSTALL_HELP = (
    "Node.js 18 or later typesets the equations at build time. Install it (Debian/Ubuntu: "
    "`sudo apt-get install nodejs npm`; macOS: `brew install node`; others: "
    "https://nodejs.org/en/download), then run `make` (or `npm ci`) in the repository."
)

ARITHMATEX = re.compile(r'<(?P<tag>span|div) class="arithmatex">(?P<tex>.*?)</(?P=tag)>', re.S)
DELIMITED = re.compile(r"^\\\((?P<inline>.*)\\\)$|^\\\[(?P<display>.*)\\\]$", re.S)
# Notebook pages (mkdocs-jupyter): Markdown cells and Markdown outputs keep $...$ and $$...$$.
NOTEBOOK_MARKDOWN = re.compile(
    r'(<div class="jp-RenderedHTMLCommon jp-RenderedMarkdown[^"]*"[^>]*>)(.*?)(</div>)', re.S
)
CODE = re.compile(r"(<(code|pre)\b.*?</\2>)", re.S)
DOLLARS = re.compile(r"\$\$(?P<display>.+?)\$\$|(?<![\\$])\$(?P<inline>[^$\n]+?)\$", re.S)


# A display equation wider than a phone scrolls in its own box: keyboard users must be able to
# focus it to scroll it (axe scrollable-region-focusable), as MathJax's own script allowed.
FOCUS = {"div": ' tabindex="0"', "span": ""}


class TypesetError(Exception):
    """Node is missing, MathJax is not installed, or an equation is not valid TeX."""


def version_key() -> str:
    """What the typeset output depends on besides the TeX: the script and MathJax's version."""
    digest = hashlib.sha256(SCRIPT.read_bytes())
    if LOCKFILE.is_file():
        digest.update(LOCKFILE.read_bytes())
    return digest.hexdigest()[:16]


class Typesetter:
    """A Node process running ``typeset.mjs``, started on the first miss, with a cache."""

    def __init__(self, cache_dir: Path = CACHE_DIR):
        self.cache_dir = Path(cache_dir)
        self.key = version_key()
        self.process: subprocess.Popen | None = None
        self.typeset_count = 0  # equations sent to MathJax by this build (not from the cache)

    # --- the Node process ---------------------------------------------------------------

    def _start(self) -> subprocess.Popen:
        node = shutil.which(os.environ.get("NODE", "node"))
        if not node:
            raise TypesetError(f"Node.js was not found. {INSTALL_HELP}")
        if not (REPO / "node_modules" / "mathjax-full" / "package.json").is_file():
            raise TypesetError(
                f"MathJax (npm package mathjax-full) is not installed. {INSTALL_HELP}"
            )
        return subprocess.Popen(
            [node, str(SCRIPT)],
            cwd=REPO,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            encoding="utf-8",
        )

    def _ask(self, request: dict) -> dict:
        if self.process is None or self.process.poll() is not None:
            self.process = self._start()
        self.process.stdin.write(json.dumps(request) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            raise TypesetError(f"the MathJax process ({SCRIPT.name}) stopped")
        return json.loads(line)

    def close(self) -> None:
        if self.process is not None:
            self.process.stdin.close()
            self.process.wait(timeout=30)
            self.process = None

    # --- cached requests ----------------------------------------------------------------

    def _cached(self, name: str, compute):
        path = self.cache_dir / f"{name}.json"
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            pass  # missing or damaged: typeset again
        value = compute()
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f".tmp-{path.name}-{os.getpid()}")
        partial.write_text(json.dumps(value), encoding="utf-8")
        os.replace(partial, path)
        return value

    def typeset(self, items: list[tuple[str, bool]]) -> list[str]:
        """SVG (with assistive MathML) for each ``(tex, display)``, in order."""
        if not items:
            return []
        request = {"items": [{"tex": tex, "display": display} for tex, display in items]}
        digest = hashlib.sha256(json.dumps([self.key, request["items"]]).encode()).hexdigest()

        def compute() -> list[str]:
            answer = self._ask(request)
            if "error" in answer:
                raise TypesetError(f"TeX error: {answer['error']} in {answer['tex']!r}")
            self.typeset_count += len(items)
            return answer["html"]

        return self._cached(f"page-{digest[:24]}", compute)

    def stylesheet(self) -> str:
        """MathJax's CSS for its SVG output and the hidden assistive MathML."""
        return self._cached(f"style-{self.key}", lambda: self._ask({"stylesheet": True})["css"])


# --- pages -----------------------------------------------------------------------------------


def _arithmatex_items(page_html: str) -> list[tuple[str, bool]]:
    items = []
    for match in ARITHMATEX.finditer(page_html):
        tex = DELIMITED.match(html.unescape(match["tex"]).strip())
        if tex:
            items.append(
                (tex["display"] if tex["inline"] is None else tex["inline"], tex["inline"] is None)
            )
    return items


def _notebook_items(page_html: str) -> list[tuple[str, bool]]:
    items = []
    for block in NOTEBOOK_MARKDOWN.finditer(page_html):
        for part in CODE.split(block[2])[::3]:  # the text between code elements
            for match in DOLLARS.finditer(part):
                display = match["display"] is not None
                tex = match["display"] if display else match["inline"]
                items.append((html.unescape(tex).strip(), display))
    return items


def source_attributes(tex: str) -> str:
    """The attributes of a typeset equation's element: its class, and its TeX source as it was
    written (``data-tex``), for tools and tests that read the page's maths as text."""
    return f'class="arithmatex" data-tex="{html.escape(tex, quote=True)}"'


def typeset_page(page_html: str, typesetter: Typesetter) -> str:
    """The page with every equation replaced by its typeset SVG."""
    items = _arithmatex_items(page_html)
    notebook = "jp-RenderedMarkdown" in page_html
    if notebook:
        items += _notebook_items(page_html)
    if not items:
        return page_html
    typeset = iter(typesetter.typeset(items))

    def arithmatex(match: re.Match) -> str:
        tex = html.unescape(match["tex"]).strip()
        if not DELIMITED.match(tex):
            return match[0]
        tag = match["tag"]
        return f"<{tag} {source_attributes(tex)}{FOCUS[tag]}>{next(typeset)}</{tag}>"

    page_html = ARITHMATEX.sub(arithmatex, page_html)
    if notebook:

        def dollars(match: re.Match) -> str:
            svg = next(typeset)
            tag = "div" if match["display"] is not None else "span"
            display = match["display"] is not None
            inner = html.unescape(match["display"] if display else match["inline"]).strip()
            tex = f"\\[{inner}\\]" if display else f"\\({inner}\\)"
            return f"<{tag} {source_attributes(tex)}{FOCUS[tag]}>{svg}</{tag}>"

        def block(match: re.Match) -> str:
            parts = CODE.split(match[2])
            out = []
            for index, part in enumerate(parts):
                if index % 3 == 0:
                    out.append(DOLLARS.sub(dollars, part))
                elif index % 3 == 1:
                    out.append(part)
            return match[1] + "".join(out) + match[3]

        page_html = NOTEBOOK_MARKDOWN.sub(block, page_html)
    return page_html
