"""Shared fixtures: one strict build of the real site per test session."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent
CHAPTERS = [
    "time-distributed",
    "simple-rnn",
    "stacked-rnn",
    "lstm",
    "gru",
    "layer-options",
    "training",
]


def chapters_present() -> list[str]:
    """Chapters whose page exists (a chapter in progress may not have one yet)."""
    return [slug for slug in CHAPTERS if (REPO / "docs" / f"{slug}.md").is_file()]


@pytest.fixture(scope="session")
def site_url() -> str:
    """Where the browser tests serve the site: Material's instant navigation only follows links
    under ``site_url``, so the site is built for this address."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}/"


@pytest.fixture(scope="session")
def site(tmp_path_factory, site_url) -> Path:
    """The real site, built with ``mkdocs build --strict`` into a temporary folder."""
    out = tmp_path_factory.mktemp("site")
    # No -q: MkDocs counts warnings for --strict only when they are logged.
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(out)],
        cwd=REPO,
        capture_output=True,
        text=True,
        env={**os.environ, "SITE_URL": site_url, "NO_MKDOCS_2_WARNING": "1"},
    )
    assert proc.returncode == 0, f"mkdocs build --strict failed:\n{proc.stdout}\n{proc.stderr}"
    return out


@pytest.fixture(scope="session")
def mkdocs_config() -> dict:
    class Loader(yaml.SafeLoader):
        pass

    Loader.add_multi_constructor("!", lambda loader, suffix, node: None)
    return yaml.load((REPO / "mkdocs.yml").read_text(encoding="utf-8"), Loader=Loader)


@pytest.fixture(scope="session")
def browser():
    """Headless Chromium (tests/browser.py), one for the whole session."""
    from browser import launch
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = launch(p)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def hosted(site, site_url):
    """The built site served on 127.0.0.1 at ``site_url``; yields the base URL."""
    from browser import serve

    with serve(site, port=int(site_url.rstrip("/").rsplit(":", 1)[1])) as url:
        yield url


@pytest.fixture(scope="session")
def offline(site, tmp_path_factory) -> Path:
    """The offline copy as a reader gets it: the zip linked from the hosted site, unzipped."""
    import zipfile

    archive = site / "download" / "rnn-with-keras-offline.zip"
    assert archive.is_file(), "the hosted site does not offer the offline zip"
    into = tmp_path_factory.mktemp("offline")
    with zipfile.ZipFile(archive) as zf:
        zf.extractall(into)
    return into / "rnn-with-keras"


def site_pages() -> list[str]:
    """Pages of the site as MkDocs names them: the landing page, every page in docs/ with an
    example (chapters), and each example's notebook page."""
    from mkdocs.utils.meta import get_data

    pages, notebooks = ["index"], []
    for path in sorted((REPO / "docs").glob("*.md")):
        if path.stem != "index" and "example" in get_data(path.read_text(encoding="utf-8"))[1]:
            pages.append(path.stem)
            notebooks.append(f"notebooks/{path.stem}")
    return pages + notebooks


def load_data(site: Path, slug: str) -> dict:
    return json.loads((site / "data" / f"{slug}.json").read_text(encoding="utf-8"))


def page_html(site: Path, slug: str) -> str:
    return (site / slug / "index.html").read_text(encoding="utf-8")
