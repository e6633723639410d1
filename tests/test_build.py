"""The build stops loudly, names the file and line, and never serves a stale result.

Each test builds a small throw-away site that uses the real hooks, with tiny examples that do
not import TensorFlow.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import textwrap
import time
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


class Project:
    def __init__(self, root: Path):
        self.root = root
        (root / "docs").mkdir()
        (root / "examples").mkdir()
        shutil.copy(REPO / "examples" / "publish.py", root / "examples" / "publish.py")
        (root / "mkdocs.yml").write_text(
            textwrap.dedent(f"""\
            site_name: test
            docs_dir: docs
            watch: [examples]
            hooks: [{REPO / "sitebuild" / "mkdocs_hooks.py"}]
            markdown_extensions: [admonition, pymdownx.superfences]
            """),
            encoding="utf-8",
        )
        self.env = {
            **os.environ,
            "SITEBUILD_CACHE": str(root / "cache"),
            "NO_MKDOCS_2_WARNING": "1",
        }

    def write(self, relative: str, text: str) -> Path:
        path = self.root / relative
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    def page(self, include: str = "{{ answer }}") -> Path:
        return self.write(
            "docs/index.md",
            f"""\
            ---
            example: {self.root / "examples" / "ex.py"}
            ---
            # Page

            The answer is {include}.
            """,
        )

    def build(self) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "mkdocs", "build", "--strict"],
            cwd=self.root,
            env=self.env,
            capture_output=True,
            text=True,
        )


@pytest.fixture
def project(tmp_path) -> Project:
    return Project(tmp_path)


GOOD = "import publish\npublish.value('answer', 42)\n"
RAISES = "import publish\n\nx = 1 / 0\n"


def test_a_good_example_is_included(project):
    project.write("examples/ex.py", GOOD)
    project.page()
    proc = project.build()
    assert proc.returncode == 0, proc.stderr
    assert "The answer is 42." in (project.root / "site" / "index.html").read_text()
    assert "examples/ex.py: ran in" in proc.stderr or "ex.py: ran in" in proc.stderr


def test_a_raising_example_stops_the_build_with_script_line_and_exception(project):
    script = project.write("examples/ex.py", RAISES)
    project.page()
    proc = project.build()
    assert proc.returncode != 0
    assert f"{script}:3: ZeroDivisionError: division by zero" in proc.stderr


def test_a_replay_mismatch_stops_the_build(project):
    script = project.write(
        "examples/ex.py", "import publish\npublish.check_replay('r', [0.0], [1.0])\n"
    )
    project.page("{{ r }}")
    proc = project.build()
    assert proc.returncode != 0
    assert (
        f"{script}:2: ReplayMismatch: r: replay differs from model.predict by 1.000e+00"
        in proc.stderr
    )


def test_a_missing_output_stops_the_build_naming_page_and_line(project):
    project.write("examples/ex.py", GOOD)
    page = project.page("{{ no_such_output }}")
    proc = project.build()
    assert proc.returncode != 0
    assert f"{page}:6: '{{{{ no_such_output }}}}' is not an output" in proc.stderr
    assert "known: answer" in proc.stderr


def test_a_missing_example_stops_the_build(project):
    page = project.page()
    proc = project.build()
    assert proc.returncode != 0
    assert f"{page}:2: example" in proc.stderr and "does not exist" in proc.stderr


def test_an_unchanged_rebuild_runs_nothing(project):
    project.write("examples/ex.py", GOOD)
    project.page()
    project.build()
    proc = project.build()
    assert proc.returncode == 0 and "ex.py: cached" in proc.stderr and "ran in" not in proc.stderr


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fetch(url: str) -> str:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.read().decode()
    except OSError as exc:
        return f"unreachable: {exc}"


def wait_for(url: str, text: str, seconds: float = 60) -> str:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        page = fetch(url)
        if text in page:
            return page
        time.sleep(0.5)
    raise AssertionError(f"{text!r} never appeared at {url}; last page:\n{page[:2000]}")


def test_serve_stays_up_shows_the_error_then_the_fix(project):
    script = project.write("examples/ex.py", RAISES)
    project.page()
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "mkdocs", "serve", "-a", f"127.0.0.1:{port}"],
        cwd=project.root,
        env=project.env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        url = f"http://127.0.0.1:{port}/"
        page = wait_for(url, "Build error")
        assert "ZeroDivisionError" in page and "ex.py:3" in page
        assert "The answer is" not in page
        script.write_text(GOOD, encoding="utf-8")
        wait_for(url, "The answer is 42.")
        assert server.poll() is None, "mkdocs serve stopped"
    finally:
        server.terminate()
        server.wait(10)


def test_an_unchanged_rebuild_of_the_site_imports_neither_tensorflow_nor_keras(site, tmp_path):
    """After the session's build (the `site` fixture), building the real site again runs no
    example, and the build process never imports TensorFlow or Keras."""
    code = textwrap.dedent(f"""\
        import runpy, sys
        sys.argv = ["mkdocs", "build", "--strict", "-d", {str(tmp_path / "site")!r}]
        try:
            runpy.run_module("mkdocs", run_name="__main__")
        except SystemExit as exit:
            assert exit.code in (0, None), exit.code
        imported = {{"tensorflow", "keras"}} & set(sys.modules)
        assert not imported, f"the build imported {{imported}}"
        """)
    proc = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO,
        capture_output=True,
        text=True,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "examples: 0 ran" in proc.stderr and " ran in " not in proc.stderr, proc.stderr[-3000:]
