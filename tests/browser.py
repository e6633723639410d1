"""Headless Chromium for the browser tests (Debian's chromium driven by Playwright), and the
checks every page must pass. The checks return lists of problems, so that a test can also
show that they catch a page broken on purpose."""

from __future__ import annotations

import functools
import http.server
import os
import re
import threading
from contextlib import contextmanager
from pathlib import Path

# The browser: $CHROMIUM if set, else Debian's chromium, else Playwright's own download
# (`python -m playwright install chromium`, as the GitHub workflow does).
CHROMIUM = os.environ.get("CHROMIUM") or (
    "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None
)
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def launch(playwright):
    """Headless Chromium, with the flags this workplace's closed network needs."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


@contextmanager
def serve(directory: Path, port: int = 0):
    """Serve ``directory`` on 127.0.0.1 (``port``, or a free one) for the duration of the block."""

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    handler = functools.partial(Quiet, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def is_local(url: str) -> bool:
    return url.startswith(("http://127.0.0.1:", "file://", "data:", "blob:", "about:"))


class Visit:
    """A page opened with every request to another host blocked and recorded."""

    def __init__(self, context, url: str):
        self.blocked: list[str] = []
        self.errors: list[str] = []
        self.page = context.new_page()
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.route("**/*", self._route)
        self.page.goto(url, wait_until="load")
        self.math_ready = self.wait_for_math()

    def _route(self, route):
        if is_local(route.request.url):
            route.continue_()
        else:
            self.blocked.append(route.request.url)
            route.abort()

    def wait_for_math(self, timeout: float = 15000) -> bool:
        """Whether every arithmatex element holds its typeset equation. The equations are
        typeset when the site is built, so this holds from the first paint (no waiting)."""
        return self.page.evaluate(TYPESET_FROM_THE_START)


# --- checks --------------------------------------------------------------------------------

TYPESET_FROM_THE_START = """() => [...document.querySelectorAll('.arithmatex')].every(
  e => e.querySelector(':scope > mjx-container > svg'))"""

RAW_TEX = re.compile(r"\$|\\\(|\\\[")
TEXT_OUTSIDE_CODE_AND_MATH = """() => {
  const root = document.querySelector('article') || document.body;
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  const parts = [];
  while (walker.nextNode()) {
    const el = walker.currentNode.parentElement;
    if (!el.checkVisibility()) continue;
    if (el.closest('code, pre, mjx-container, script, style, .highlight, .highlight-ipynb')) continue;
    parts.push(walker.currentNode.textContent);
  }
  return parts.join(' ');
}"""


RENDER_EVERYTHING = """async () => {
  if (document.getElementById('test-render-everything')) return;
  const style = document.createElement('style');
  style.id = 'test-render-everything';
  style.textContent = '* { content-visibility: visible !important; }';
  document.head.appendChild(style);
  // Styles computed while a block was skipped can be stale (its colours, in dark mode): two
  // frames let Chromium style and lay out the blocks now shown before anything is measured.
  document.body.getBoundingClientRect();
  await new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)));
}"""


def render_everything(visit: Visit) -> None:
    """Lay out the blocks the site leaves to be laid out when scrolled near (site.css,
    content-visibility: auto), so that sizes and positions are the ones a reader meets."""
    visit.page.evaluate(RENDER_EVERYTHING)


def math_problems(visit: Visit) -> list[str]:
    page, problems = visit.page, []
    render_everything(visit)
    if not visit.math_ready:
        problems.append("some equations were not typeset when the page loaded")
    scripts = page.eval_on_selector_all(
        "script[src]", "els => els.map(e => e.src).filter(s => /mathjax/i.test(s))"
    )
    problems += [f"the page loads MathJax: {src}" for src in scripts]
    flat = page.evaluate("""() => [...document.querySelectorAll('article mjx-container')]
      .filter(e => e.checkVisibility())
      .filter(e => { const r = e.querySelector('svg').getBoundingClientRect();
                     return r.width < 2 || r.height < 2; })
      .map(e => e.querySelector('mjx-assistive-mml').textContent.slice(0, 60))""")
    problems += [f"equation with no size: {text!r}" for text in flat]
    errors = page.eval_on_selector_all(
        "mjx-merror, [data-mjx-error]", "els => els.map(e => e.textContent)"
    )
    problems += [f"MathJax error: {e}" for e in errors]
    leftover = RAW_TEX.findall(page.evaluate(TEXT_OUTSIDE_CODE_AND_MATH))
    if leftover:
        problems.append(f"raw TeX delimiters in the text: {sorted(set(leftover))}")
    if not page.query_selector(
        ".jupyter-wrapper"
    ):  # chapter pages: math only where arithmatex put it
        stray = page.eval_on_selector_all(
            "mjx-container",
            "els => els.filter(e => !e.closest('.arithmatex'))"
            ".map(e => e.parentElement.textContent.slice(0, 80))",
        )
        problems += [
            f"math typeset outside arithmatex (a stray $ pair?): {text!r}" for text in stray
        ]
    return problems


def image_problems(visit: Visit) -> list[str]:
    images = visit.page.eval_on_selector_all(
        "article img",
        "els => els.map(e => [e.getAttribute('src'), e.naturalWidth, e.getAttribute('alt')])",
    )
    problems = []
    for src, width, alt in images:
        if not width:
            problems.append(f"image not loaded: {src}")
        if not (alt or "").strip():
            problems.append(f"image without alt text: {src}")
    return problems


def request_problems(visit: Visit) -> list[str]:
    return [f"request to another host: {url}" for url in visit.blocked] + [
        f"console error: {text}" for text in visit.errors
    ]


def accessibility_problems(visit: Visit) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    # Blocks left to be laid out when scrolled near (content-visibility: auto) have no
    # computed colours yet: axe then guessed at their contrast, sometimes wrongly.
    render_everything(visit)
    results = Axe().run(visit.page)
    return [
        f"axe {v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes'][:3]]}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


LAYOUT = r"""() => {
  const width = document.documentElement.clientWidth;
  const wide = document.documentElement.scrollWidth > width
    ? [...document.querySelectorAll('body *')].filter(e => {
        const r = e.getBoundingClientRect();
        if (r.right <= width + 1 || !e.checkVisibility()) return false;
        // inside something that scrolls or clips sideways: the page itself does not scroll
        for (let p = e.parentElement; p && p !== document.body; p = p.parentElement) {
          const o = getComputedStyle(p).overflowX;
          if (o !== 'visible') return false;
        }
        return true;
      }).map(e => e.tagName.toLowerCase() + (e.className && e.className.baseVal === undefined
                  ? '.' + String(e.className).trim().split(/\s+/).join('.') : '')
                  + ' ' + Math.round(e.getBoundingClientRect().right) + ' px')
    : [];
  // The visible box of each table: clipped by the region it scrolls in.
  const boxes = [...document.querySelectorAll('article table')].filter(t => t.checkVisibility())
    .map(t => {
      let r = t.getBoundingClientRect();
      let box = {left: r.left, right: r.right, top: r.top, bottom: r.bottom};
      for (let p = t.parentElement; p && p !== document.body; p = p.parentElement) {
        if (getComputedStyle(p).overflowX === 'visible') continue;
        const c = p.getBoundingClientRect();
        box = {left: Math.max(box.left, c.left), right: Math.min(box.right, c.right),
               top: Math.max(box.top, c.top), bottom: Math.min(box.bottom, c.bottom)};
      }
      return {box, full: r.width, shown: box.right - box.left, scrolls: t.closest(
        '.md-typeset__table, .md-typeset__scrollwrap, .jp-OutputArea-output') !== null,
        text: (t.querySelector('th, td') || t).textContent.trim().slice(0, 30)};
    });
  const overlaps = [];
  for (let i = 0; i < boxes.length; i++)
    for (let j = i + 1; j < boxes.length; j++) {
      const a = boxes[i].box, b = boxes[j].box;
      if (a.left < b.right - 1 && b.left < a.right - 1 && a.top < b.bottom - 1 && b.top < a.bottom - 1)
        overlaps.push(`${boxes[i].text} / ${boxes[j].text}`);
    }
  return {wide, overlaps, pageWidth: document.documentElement.scrollWidth, width};
}"""


def layout_problems(visit: Visit) -> list[str]:
    """The page never scrolls sideways, and no two tables overlap (by their visible boxes)."""
    render_everything(visit)
    found = visit.page.evaluate(LAYOUT)
    problems = []
    if found["pageWidth"] > found["width"]:
        problems.append(
            f"the page is {found['pageWidth']} px wide in a {found['width']} px viewport: "
            f"{found['wide'][:5]}"
        )
    problems += [f"tables overlap: {pair}" for pair in found["overlaps"]]
    return problems


def all_problems(visit: Visit) -> list[str]:
    return (
        math_problems(visit)
        + layout_problems(visit)
        + image_problems(visit)
        + request_problems(visit)
        + accessibility_problems(visit)
    )


def contrast(a: str, b: str) -> float:
    """WCAG contrast ratio of two colours given as '#rrggbb' or 'rgb(r, g, b)'."""

    def luminance(colour: str) -> float:
        if colour.startswith("#"):
            channels = [int(colour[i : i + 2], 16) for i in (1, 3, 5)]
        else:
            channels = [float(v) for v in re.findall(r"[\d.]+", colour)[:3]]
        linear = [
            c / 255 / 12.92 if c / 255 <= 0.03928 else ((c / 255 + 0.055) / 1.055) ** 2.4
            for c in channels
        ]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    high, low = sorted([luminance(a), luminance(b)], reverse=True)
    return (high + 0.05) / (low + 0.05)
