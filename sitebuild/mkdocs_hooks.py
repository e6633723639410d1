"""MkDocs glue: run the chapters' examples, include their outputs, publish their files.

Listed under ``hooks:`` in ``mkdocs.yml``. A chapter names its example in its front matter::

    ---
    example: examples/time_distributed.py
    ---

and includes what the example published with ``{{ name }}`` (``{{ versions.keras }}`` works on
every page). For each example the build also publishes ``data/<slug>.json`` (the reader data,
also as the script ``data/<slug>.js`` for the step-through panel) and ``notebooks/<slug>.ipynb``
(the executed script, rendered by mkdocs-jupyter). Equations are typeset here, when the site is
built (``sitebuild.typeset``): no page loads MathJax; its stylesheet is published as
``assets/stylesheets/mathjax.css``.

``mkdocs build`` stops on any error with a message naming the file and line. ``mkdocs serve``
keeps running and shows the error in place of the page, until the next save fixes it.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import sys
from pathlib import Path
from urllib.parse import urljoin

from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority
from mkdocs.structure.files import File, Files
from mkdocs.utils.meta import get_data

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from sitebuild.notebook_page import is_notebook, reader_notebook, reader_page
from sitebuild.runner import CACHE_DIR, REPO, Result, display, latest_results, run_examples
from sitebuild.search_index import plain_index
from sitebuild.theme_patch import ThemePatchError, without_switching_rule
from sitebuild.typeset import TypesetError, Typesetter, typeset_page

log = logging.getLogger("mkdocs.hooks.examples")

INCLUDE = re.compile(r"\{\{ *([A-Za-z_][\w.]*) *\}\}")
MATHJAX_CSS = "assets/stylesheets/mathjax.css"
_state: dict = {"serving": False, "results": {}, "errors": {}, "notebooks": {}}


def on_startup(command: str, dirty: bool) -> None:
    _state["serving"] = command == "serve"


def _fail(message: str) -> str:
    """Stop ``mkdocs build``; under ``mkdocs serve``, log it and return an error block."""
    if not _state["serving"]:
        raise PluginError(message)
    log.error(message)
    body = "\n".join("    " + line for line in message.splitlines())
    return f'\n!!! failure "Build error"\n    ```text\n{body}\n    ```\n'


def _line_of(path: Path, text: str) -> int:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if text in line:
            return number
    return 1


def _examples_of(files: Files) -> dict[Path, File]:
    """The example each page names in its front matter, and the page that names it."""
    examples: dict[Path, File] = {}
    for file in files.documentation_pages():
        if not file.src_uri.endswith(".md"):
            continue
        _, meta = get_data(Path(file.abs_src_path).read_text(encoding="utf-8"))
        if "example" in meta:
            script = (REPO / meta["example"]).resolve()
            if not script.is_file():
                where = f"{display(Path(file.abs_src_path))}:{_line_of(Path(file.abs_src_path), 'example:')}"
                _fail(f"{where}: example {meta['example']!r} does not exist")
                continue
            examples[script] = file
    return examples


@event_priority(100)  # before mkdocs-jupyter looks for notebooks among the files
def on_files(files: Files, config) -> Files:
    examples = _examples_of(files)
    if os.environ.get("SITEBUILD_EXECUTE", "1") == "0":  # bare render, for `make bench` only
        results, errors = latest_results(list(examples)), []
    else:
        results, errors = run_examples(list(examples), log=log.info)
    _state["results"] = {display(s): r for s, r in results.items()}
    _state["errors"] = {}
    _state["notebooks"] = {f"notebooks/{r.slug}.ipynb": display(r.script) for r in results.values()}
    _state["downloads"] = {}
    for error in errors:
        script = str(error).split(":", 1)[0]
        _state["errors"][script] = str(error)
    if errors and not _state["serving"]:
        raise PluginError("example failed:\n" + "\n".join(str(e) for e in errors))
    for message in _state["errors"].values():
        log.error(message)
    for result in results.values():
        files.append(
            File.generated(config, f"data/{result.slug}.json", abs_src_path=str(result.data_file))
        )
        # The same data as a classic script, for the step-through panel (docs/javascripts/stepper.js):
        # a page opened from file:// may load a script but not fetch() a JSON file.
        files.append(File.generated(config, f"data/{result.slug}.js", content=data_script(result)))
        files.append(
            File.generated(config, f"outputs/{result.slug}.json", content=outputs_file(result))
        )
        # The notebook page shows a reader's copy (sitebuild/notebook_page.py); its download
        # button offers the whole notebook (on_post_page). A real File (not File.generated):
        # mkdocs-jupyter's wrapper needs its src_dir.
        reader_dir = result.entry / "reader"
        reader_notebook(result.notebook, reader_dir / "notebooks" / result.notebook.name)
        _state["downloads"][f"notebooks/{result.slug}.ipynb"] = result.notebook
        files.append(
            File(
                f"notebooks/{result.slug}.ipynb",
                src_dir=str(reader_dir),
                dest_dir=config.site_dir,
                use_directory_urls=config.use_directory_urls,
            )
        )
    _state["offline"] = _offline_zip(config)  # starts now, beside the rest of this build
    if _state["offline"]:
        _state["offline"].start()
    _state["typesetter"] = typesetter = Typesetter()
    try:
        css = typesetter.stylesheet()
    except TypesetError as error:
        raise PluginError(f"typesetting the equations: {error}") from error
    files.append(File.generated(config, MATHJAX_CSS, content=css))
    return files


def data_script(result: Result) -> str:
    """``data/<slug>.json`` wrapped as a script that stores it in ``window.RNN_DATA[slug]``."""
    data = result.data_file.read_text(encoding="utf-8").strip()
    return (
        "window.RNN_DATA = window.RNN_DATA || {};\n"
        f"window.RNN_DATA[{json.dumps(result.slug)}] = {data};\n"
    )


def outputs_file(result: Result) -> str:
    """``outputs/<slug>.json``: every output the example published, ``{name: markdown}`` sorted
    by name, for ``python -m sitebuild.compare`` (probe verdicts are the outputs ``probe_*``)."""
    outputs = dict(sorted(result.outputs.items()))
    return json.dumps(outputs, ensure_ascii=False, indent=1) + "\n"


def _versions() -> dict[str, str]:
    for result in _state["results"].values():
        return result.versions
    return {}


def on_page_markdown(markdown: str, page, config, files) -> str:
    if page.file.src_uri.endswith(".ipynb"):
        return markdown  # a notebook page shows the example's code as it is: no includes
    source = Path(page.file.abs_src_path)
    example = page.meta.get("example")
    outputs: dict[str, str] = {f"versions.{k}": v for k, v in _versions().items()}
    if example:
        script = display(REPO / example)
        if script in _state["errors"]:
            return _fail(_state["errors"][script])
        result: Result | None = _state["results"].get(script)
        if result is None:
            return _fail(f"{display(source)}: example {example!r} did not run")
        outputs.update(result.outputs)

    def include(match: re.Match) -> str:
        name = match.group(1)
        if name in outputs:
            return outputs[name]
        where = f"{display(source)}:{_line_of(source, match.group(0))}"
        known = ", ".join(sorted(outputs)) or "none"
        origin = f"{example} does not publish it" if example else "this page names no example"
        return _fail(f"{where}: '{match.group(0)}' is not an output ({origin}; known: {known})")

    return INCLUDE.sub(include, markdown)


DIAGRAM = re.compile(r'(<a\b[^>]*>\s*)?(<img\b[^>]*class="[^"]*\bdiagram\b[^"]*"[^>]*>)')
SRC = re.compile(r'\bsrc="([^"]+)"')


def link_diagrams(html: str) -> str:
    """Each diagram (``<img class="diagram">``) becomes a link to its SVG: tapped on a phone,
    it opens at its full size, where its labels are as large as drawn."""

    def wrap(match: re.Match) -> str:
        src = SRC.search(match[2])
        if match[1] or not src:  # already a link, or no file to open
            return match[0]
        return f'<a class="diagram-link" href="{src[1]}">{match[2]}</a>'

    return DIAGRAM.sub(wrap, html)


# A code line (pymdownx.highlight's line_spans), its first token's tag if any, its indentation.
CODE_LINE = re.compile(r'<span id="(__span-[\d-]+)">((?:<span class="[^"]*">)?)( +)')


def indent_code_lines(html: str) -> str:
    """Each indented code line gets its indentation as ``--indent``: on paper, a long line
    wraps and continues at its own indentation (``docs/stylesheets/print.css``)."""

    def indent(match: re.Match) -> str:
        spaces = len(match[3])
        return f'<span id="{match[1]}" style="--indent: {spaces}ch">{match[2]}{match[3]}'

    return CODE_LINE.sub(indent, html)


CODE_BLOCK = re.compile(r"(<pre\b[^>]*>(?:<span></span>)?)<code(?![^>]*tabindex)")


def focusable_code(html: str) -> str:
    """A code block may scroll sideways (always on a phone): keyboard users must be able to
    focus it to scroll it (axe scrollable-region-focusable). Material marks the ones that
    overflow, but only once they are on screen (content.lazy): marked here, they all are."""
    return CODE_BLOCK.sub(r'\1<code tabindex="0"', html)


def focusable_tables(html: str) -> str:
    """A table wider than the text scrolls in its own box (a phone, a long vector column):
    keyboard users must be able to focus it to scroll it (axe scrollable-region-focusable)."""
    return html.replace("<table>", '<table tabindex="0">')


def on_page_content(html: str, page, config, files) -> str:
    if is_notebook(page):
        # A notebook repeats its chapter's code and outputs: searching it too would double the
        # hits and the search index (60 % of it), which every page loads and parses at start.
        page.meta["search"] = {"exclude": True}
    return unsearched_code(focusable_tables(indent_code_lines(link_diagrams(html))))


def unsearched_code(html: str) -> str:
    """Code blocks stay out of the search index (half of it): every page loads and parses the
    index at start, on a phone's main thread. What the code names, the prose names too, as
    inline code, which search still finds."""
    return html.replace('<div class="highlight">', '<div class="highlight" data-search-exclude>')


def on_pre_page(page, config, files):
    """A notebook page's "Edit this page" opens the example it was made from."""
    script = _state["notebooks"].get(page.file.src_uri)
    if page.edit_url and script:
        page.edit_url = urljoin(page.edit_url, "../" * (page.file.src_uri.count("/") + 1) + script)
    return page


def on_post_page(output: str, page, config) -> str:
    try:
        output = typeset_page(output, _state.setdefault("typesetter", Typesetter()))
    except TypesetError as error:
        message = f"{display(Path(page.file.abs_src_path))}: {error}"
        if not _state["serving"]:
            raise PluginError(message) from error
        log.error(message)
    output = focusable_code(output)
    if is_notebook(page):
        try:
            output = reader_page(output, page.url)
        except ValueError as error:
            raise PluginError(f"{_state['notebooks'][page.file.src_uri]}: {error}") from error
        # mkdocs-jupyter copied the page's source (the reader's copy) for its download button:
        # the reader downloads the whole notebook instead, which runs on its own.
        full = _state["downloads"][page.file.src_uri]
        shutil.copyfile(full, Path(page.file.abs_dest_path).parent / full.name)
    return output


def _offline_zip(config):
    """The hosted site offers the offline copy as a zip (not under ``mkdocs serve``)."""
    if _state["serving"] or os.environ.get("OFFLINE", "false").lower() == "true":
        return None
    from sitebuild.offline import OfflineZip, zip_key

    config_file = Path(config.config_file_path)
    sources = [
        config_file,
        Path(config.docs_dir),
        Path(__file__).parent,
        REPO / "package-lock.json",
    ]
    if config.theme.custom_dir:
        sources.append(Path(config.theme.custom_dir))
    key = zip_key(sources, [result.entry for result in _state["results"].values()])
    return OfflineZip(config_file, key, cache_dir=CACHE_DIR.parent / "offline")


@event_priority(-50)  # after the search plugin writes its index, before offline copies it
def on_post_build(config) -> None:
    from sitebuild.offline import ZIP_NAME

    _close_typesetter()
    plain_index(Path(config.site_dir))
    try:
        without_switching_rule(Path(config.site_dir))
    except ThemePatchError as error:
        raise PluginError(str(error)) from error

    if _state.get("offline"):
        built = _state.pop("offline").finish(Path(config.site_dir) / "download" / ZIP_NAME)
        log.info(f"offline copy: download/{ZIP_NAME} ({'built' if built else 'cached'})")


def _close_typesetter() -> None:
    typesetter = _state.pop("typesetter", None)
    if typesetter is not None:
        typesetter.close()
        if typesetter.typeset_count:
            log.info(f"equations: {typesetter.typeset_count} typeset by MathJax, the rest cached")


def on_build_error(error) -> None:
    _close_typesetter()
    if _state.get("offline"):
        _state.pop("offline").cancel()
