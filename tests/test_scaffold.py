"""`make chapter` makes a chapter that builds and passes its tests, and refuses bad requests.

The scaffold runs in a copy of the repository (its tracked and untracked, not ignored files), so
that the real tree is never touched. The copy builds with a copy of the example cache: entries
are keyed by content, so the existing chapters are cache hits and only the new example runs.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml
from conftest import REPO

from sitebuild import scaffold
from sitebuild.runner import CACHE_DIR

SLUG, TITLE = "scaffold-check", "Scaffold check: a tiny SimpleRNN"
SKIP = {".venv", ".cache", "site", "site-offline", ".git", ".pytest_cache", "node_modules"}


def repository_files() -> list[str]:
    proc = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:  # not a git checkout: everything but the usual generated folders
        return [
            p.relative_to(REPO).as_posix()
            for p in REPO.rglob("*")
            if p.is_file() and not SKIP & set(p.relative_to(REPO).parts)
        ]
    return [f for f in proc.stdout.split("\0") if f]


def snapshot(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in root.rglob("*")
        if p.is_file() and not SKIP & set(p.relative_to(root).parts)
    }


def run(
    command: list[str], cwd: Path, env: dict, timeout: int = 900
) -> subprocess.CompletedProcess:
    return subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )


@pytest.fixture(scope="module")
def copy(tmp_path_factory) -> tuple[Path, dict]:
    root = tmp_path_factory.mktemp("repo")
    for name in repository_files():
        source = REPO / name
        if source.is_file() and not SKIP & set(Path(name).parts):
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, root / name)
    # The build's npm packages (MathJax), installed by `make`: shared, not copied.
    if (REPO / "node_modules").is_dir():
        (root / "node_modules").symlink_to(REPO / "node_modules", target_is_directory=True)
    cache = tmp_path_factory.mktemp("cache") / "examples"  # filled by `built`
    env = {
        **os.environ,
        "SITEBUILD_CACHE": str(cache),
        "NO_MKDOCS_2_WARNING": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    env.pop("PYTEST_ADDOPTS", None)
    return root, env


@pytest.fixture(scope="module")
def scaffolded(copy) -> tuple[Path, dict, subprocess.CompletedProcess]:
    root, env = copy
    before = (root / "mkdocs.yml").read_text(encoding="utf-8")
    proc = run([sys.executable, "-m", "sitebuild.scaffold", SLUG, TITLE], root, env)
    assert proc.returncode == 0, f"the scaffold failed:\n{proc.stdout}\n{proc.stderr}"
    return root, env, before


@pytest.fixture(scope="module")
def built(scaffolded, site) -> Path:
    """The copy, built; ``site`` (the real site) has brought the real example cache up to date,
    so the copy of the cache makes the existing chapters cache hits."""
    root, env, _ = scaffolded
    if Path(CACHE_DIR).is_dir():
        shutil.copytree(
            CACHE_DIR,
            env["SITEBUILD_CACHE"],
            ignore=shutil.ignore_patterns(".tmp-*"),
            dirs_exist_ok=True,
        )
    proc = run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(root / "site")], root, env
    )
    assert proc.returncode == 0, (
        f"the scaffolded chapter does not build:\n{proc.stdout}\n{proc.stderr}"
    )
    assert "examples/scaffold_check.py: ran in" in proc.stderr, proc.stderr
    return root / "site"


def test_scaffold_creates_the_page_example_and_test(scaffolded):
    root, _, _ = scaffolded
    for path in (
        "docs/scaffold-check.md",
        "examples/scaffold_check.py",
        "tests/test_scaffold_check.py",
    ):
        assert (root / path).is_file(), f"{path} was not created"
    page = (root / "docs" / "scaffold-check.md").read_text(encoding="utf-8")
    assert page.startswith("---\nexample: examples/scaffold_check.py\n---\n")
    assert f"\n# {TITLE}\n" in page


def test_scaffold_adds_the_page_and_notebook_to_the_nav_and_keeps_the_rest(scaffolded):
    root, _, before = scaffolded
    after = (root / "mkdocs.yml").read_text(encoding="utf-8")
    added = [line for line in after.splitlines() if line not in before.splitlines()]
    assert len(added) == 2 and all(SLUG in line for line in added), added
    kept = [line for line in after.splitlines() if line not in added]
    assert kept == before.splitlines(), "mkdocs.yml changed beyond the two nav entries"
    nav = scaffold._nav_paths(root / "mkdocs.yml")
    assert nav.index(f"{SLUG}.md") < nav.index("notebooks/time-distributed.ipynb")
    assert nav[-1] == f"notebooks/{SLUG}.ipynb"


def test_the_new_chapter_builds_with_its_page_data_file_and_notebook(built):
    for path in (f"{SLUG}/index.html", f"data/{SLUG}.json", f"notebooks/{SLUG}/index.html"):
        assert (built / path).is_file(), f"{path} is missing from the built site"
    page = (built / SLUG / "index.html").read_text(encoding="utf-8")
    assert "{{" not in page and f'href="../data/{SLUG}.json"' in page


def test_the_new_chapter_passes_its_own_test_and_the_structure_checks(built, scaffolded):
    root, env, _ = scaffolded
    proc = run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            f"tests/test_{SLUG.replace('-', '_')}.py",
            "tests/test_structure.py",
            "-k",
            "scaffold",
        ],
        root,
        env,
    )
    assert proc.returncode == 0, (
        f"the new chapter's tests fail:\n{proc.stdout[-6000:]}\n{proc.stderr[-2000:]}"
    )
    summary = proc.stdout.strip().splitlines()[-1]
    assert " passed" in summary and "failed" not in summary and "error" not in summary, summary
    # its own three checks, and the seven per-chapter structure checks
    assert int(summary.split(" passed")[0].split()[-1]) >= 10, summary


@pytest.mark.parametrize(
    "slug",
    ["Bad_Slug", "9lives", "-dash", "two--hyphens", "trailing-", "with space", "ünicode", ""],
)
def test_an_invalid_slug_is_refused(copy, slug):
    root, env = copy
    before = snapshot(root)
    proc = run([sys.executable, "-m", "sitebuild.scaffold", slug, "A title"], root, env)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "is not a valid slug" in proc.stderr and "lowercase letters" in proc.stderr, proc.stderr
    assert snapshot(root) == before, "a refused scaffold changed files"


@pytest.mark.parametrize("slug", ["time-distributed", "index", "notebooks", "numpy"])
def test_an_existing_or_reserved_slug_is_refused(copy, slug):
    root, env = copy
    before = snapshot(root)
    proc = run([sys.executable, "-m", "sitebuild.scaffold", slug, "A title"], root, env)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "refused" in proc.stderr and (
        "exists already" in proc.stderr
        or "already" in proc.stderr
        or "hide the installed module" in proc.stderr
    ), proc.stderr
    assert snapshot(root) == before, "a refused scaffold changed files"


def test_the_scaffolded_slug_is_refused_the_second_time(scaffolded):
    root, env, _ = scaffolded
    proc = run([sys.executable, "-m", "sitebuild.scaffold", SLUG, TITLE], root, env)
    assert proc.returncode == 2
    assert f"chapter '{SLUG}' exists already (docs/{SLUG}.md" in proc.stderr, proc.stderr


def test_a_missing_title_is_refused(copy):
    root, env = copy
    proc = run([sys.executable, "-m", "sitebuild.scaffold", "bidirectional", "  "], root, env)
    assert proc.returncode == 2 and "title" in proc.stderr, proc.stderr
    proc = run([sys.executable, "-m", "sitebuild.scaffold", "bidirectional"], root, env)
    assert proc.returncode == 2 and "usage" in proc.stderr, proc.stderr


NAV = textwrap.dedent("""\
    site_name: x  # a comment
    nav:
      # the chapters
      - Home: index.md
      - A. One: one.md
      - Notebooks:
          - A. One: notebooks/one.ipynb  # kept
    extra_css:
      - site.css
    """)


def test_nav_edit_keeps_comments_and_layout():
    new = scaffold.add_to_nav(NAV, "B. Two: more", "two")
    assert new == NAV.replace(
        "  - Notebooks:\n", '  - "B. Two: more": two.md\n  - Notebooks:\n'
    ).replace("# kept\n", '# kept\n      - "B. Two: more": notebooks/two.ipynb\n')
    assert yaml.safe_load(new)["nav"][2] == {"B. Two: more": "two.md"}


def test_nav_edit_without_a_notebooks_section_adds_one():
    text = "nav:\n  - Home: index.md\n"
    new = scaffold.add_to_nav(text, "Two", "two")
    assert yaml.safe_load(new)["nav"] == [
        {"Home": "index.md"},
        {"Two": "two.md"},
        {"Notebooks": [{"Two": "notebooks/two.ipynb"}]},
    ]


def test_nav_edit_with_items_at_the_margin():
    text = "nav:\n- Home: index.md\n- Notebooks:\n  - One: notebooks/one.ipynb\nextra: {}\n"
    new = scaffold.add_to_nav(text, "Two", "two")
    assert new == (
        "nav:\n- Home: index.md\n- Two: two.md\n- Notebooks:\n  - One: notebooks/one.ipynb\n"
        "  - Two: notebooks/two.ipynb\nextra: {}\n"
    )
