"""The notebook pages (``notebooks/<slug>/``) as a reader meets them: what the build changes in
the HTML that mkdocs-jupyter renders from an executed example (``sitebuild/mkdocs_hooks.py``
calls :func:`reader_page` for each one).

- mkdocs-jupyter's template loads MathJax 2 from a CDN (the equations are typeset at build time
  instead) and has a script that would import Mermaid from a CDN: both are removed.
- It also inlines JupyterLab's whole stylesheet, 570 KB, whose matching against the page cost a
  phone seconds of main-thread time: it is removed, with the template's other inline styles,
  and ``stylesheets/notebook.css`` (the few rules the cells need) is linked instead.
- Code cells scroll sideways: they become keyboard-focusable (axe: scrollable-region-focusable).
"""

from __future__ import annotations

import re

from mkdocs.utils import get_relative_url

STYLESHEET = "stylesheets/notebook.css"
CDN_CODE = [
    re.compile(r"<!-- Load mathjax -->.*?<!-- End of mathjax configuration -->", re.S),
    re.compile(
        r'<script type="module">(?:(?!</script>).)*?mermaid(?:(?!</script>).)*</script>', re.S
    ),
]
INLINE_STYLE = re.compile(r"<style\b[^>]*>.*?</style>", re.S)
CONTENT = '<article class="md-content__inner'


def is_notebook(page) -> bool:
    return page.file.src_uri.endswith(".ipynb")


def reader_page(output: str, page_url: str) -> str:
    """A notebook page's HTML without CDN code or JupyterLab's styles, with its own stylesheet."""
    for code in CDN_CODE:
        output = code.sub("", output)
    head, found, content = output.partition(CONTENT)
    if not found:
        raise ValueError("no page content (<article>) in mkdocs-jupyter's output")
    content = INLINE_STYLE.sub("", content)
    link = f'<link rel="stylesheet" href="{get_relative_url(STYLESHEET, page_url)}">\n'
    head = head.replace("</head>", link + "</head>", 1)
    content = content.replace(
        '<div class="highlight-ipynb', '<div tabindex="0" class="highlight-ipynb'
    )
    return head + found + content
