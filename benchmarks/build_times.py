"""``make bench``: how long builds take, ours against mkdocs-jupyter executing the same examples.

Measured side by side in one run, each in a fresh copy of the repository (so no cache of the
working tree is used or touched):

* cold build: empty caches, every example runs (in parallel, one process each);
* warm rebuild: the same build again, nothing changed;
* bare render: the same pages with example execution switched off (SITEBUILD_EXECUTE=0) and the
  outputs already there: the cost of MkDocs itself;
* mkdocs-jupyter, ``execute: true``: the same site, with the same example scripts added as
  notebook pages that mkdocs-jupyter executes in Jupyter kernels, one after another (the
  chapters render from the outputs already there, as in the bare render), cold (empty
  mkdocs-jupyter cache) and warm (its cache, since 0.26).

Prints the times and the ratios the project holds itself to.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from statistics import median

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
from sitebuild.runner import installed_versions  # noqa: E402

REPEATS = 5  # warm builds take a couple of seconds: the median of a few runs, not one
TARGETS = [  # (label, numerator, denominator, at most)
    ("cold build / mkdocs-jupyter cold", "cold", "jupyter_cold", 0.6),
    ("warm rebuild / bare render", "warm", "bare", 1.2),
    ("warm rebuild / mkdocs-jupyter warm", "warm", "jupyter_warm", 1.0),
]


def chapter_examples() -> list[Path]:
    from mkdocs.utils.meta import get_data

    scripts = []
    for page in sorted((REPO / "docs").glob("*.md")):
        meta = get_data(page.read_text(encoding="utf-8"))[1]
        if "example" in meta:
            scripts.append(REPO / meta["example"])
    return scripts


def timed(command: list[str], cwd: Path, **env: str) -> float:
    start = time.perf_counter()
    proc = subprocess.run(
        command,
        cwd=cwd,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1", **env},
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"failed: {' '.join(command)} in {cwd}\n{proc.stdout}\n{proc.stderr}")
    return seconds


def copy_repository(into: Path, name: str = "repo") -> Path:
    root = into / name
    shutil.copytree(
        REPO,
        root,
        ignore=shutil.ignore_patterns(
            ".git",
            ".venv",
            ".cache",
            "site",
            "site-offline",
            "__pycache__",
            ".pytest_cache",
            "node_modules",
        ),
    )
    if (REPO / "node_modules").is_dir():  # MathJax, for the equations: shared, not copied
        (root / "node_modules").symlink_to(REPO / "node_modules", target_is_directory=True)
    return root


def jupyter_project(into: Path, scripts: list[Path], example_cache: Path) -> Path:
    """The same site, the examples executed by mkdocs-jupyter instead of sitebuild.runner."""
    root = copy_repository(into, "jupyter")
    (root / "docs" / "executed").mkdir()
    for script in scripts:
        shutil.copy(script, root / "docs" / "executed" / script.name)
    config = (root / "mkdocs.yml").read_text(encoding="utf-8")
    # Only the executed scripts are notebook pages (ours stay plain files, so that both sites
    # convert the same number of notebooks; the nav then points at files that are not pages,
    # hence no --strict for this site).
    for old, new in [
        ('include: ["*.ipynb"]', 'include: ["executed/*.py"]'),
        ("execute: false", "execute: true\n      allow_errors: false"),
    ]:
        assert old in config, old
        config = config.replace(old, new, 1)
    (root / "mkdocs.yml").write_text(config, encoding="utf-8")
    shutil.copytree(example_cache, root / ".cache" / "examples")  # the chapters' outputs
    return root


def main() -> None:
    scripts = chapter_examples()
    mkdocs = [sys.executable, "-m", "mkdocs", "build", "--strict", "-q"]
    print(f"{len(scripts)} examples on {os.cpu_count()} cores; {installed_versions()}")
    times: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        ours = copy_repository(Path(tmp))
        times["cold"] = timed(mkdocs, ours)
        times["warm"] = median(timed(mkdocs, ours) for _ in range(REPEATS))
        times["bare"] = median(timed(mkdocs, ours, SITEBUILD_EXECUTE="0") for _ in range(REPEATS))
        theirs = jupyter_project(Path(tmp), scripts, ours / ".cache" / "examples")
        kernel_env = {
            "PYTHONPATH": os.pathsep.join(
                [str(REPO / "examples"), os.environ.get("PYTHONPATH", "")]
            ),
            "SITEBUILD_EXECUTE": "0",
        }
        not_strict = [a for a in mkdocs if a != "--strict"]
        times["jupyter_cold"] = timed(not_strict, theirs, **kernel_env)
        times["jupyter_warm"] = median(
            timed(not_strict, theirs, **kernel_env) for _ in range(REPEATS)
        )

    labels = {
        "cold": "cold build",
        "warm": f"warm rebuild (median of {REPEATS})",
        "bare": f"bare render (median of {REPEATS})",
        "jupyter_cold": "mkdocs-jupyter execute: true, cold",
        "jupyter_warm": f"mkdocs-jupyter execute: true, warm (median of {REPEATS})",
    }
    print()
    for key, label in labels.items():
        print(f"  {label:<40} {times[key]:7.1f} s")
    print()
    failed = False
    for label, a, b, target in TARGETS:
        ratio = times[a] / times[b]
        ok = ratio <= target
        failed |= not ok
        print(f"  {label:<40} {ratio:5.2f}  (target <= {target}) {'ok' if ok else 'MISSED'}")
    print(
        "\nNote: mkdocs-jupyter's cache key is the notebook and its options only; a TensorFlow,\n"
        "Keras or NumPy upgrade would not re-execute it. Ours reruns the examples it affects."
    )
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
