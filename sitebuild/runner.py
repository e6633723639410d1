"""Run example scripts once per change and keep what they produced in a cache.

    python -m sitebuild.runner [--jobs N] examples/time_distributed.py ...

Each example runs in its own process (``python -m sitebuild.cells``), independent examples in
parallel. Its results are stored in ``.cache/examples/<stem>--<key>/``, where the key hashes
everything the results depend on: the script, the local modules it imports (found by reading
its ``import`` statements), the code that runs it, and the Python, TensorFlow, Keras and NumPy
versions, read from the installed packages' metadata, so that a cached build imports neither
TensorFlow nor Keras. An entry is written in a temporary folder and renamed into place only
after the example succeeded: an interrupted or failed run leaves no entry behind, and a stale
entry can never match a changed script.

Nothing here depends on MkDocs; ``sitebuild.mkdocs_hooks`` calls ``run_examples``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CACHE_DIR = Path(os.environ.get("SITEBUILD_CACHE", REPO / ".cache" / "examples"))
TIMEOUT_SECONDS = 900
PACKAGES = {
    "tensorflow": ("tensorflow", "tensorflow-cpu", "tf-nightly"),
    "keras": ("keras",),
    "numpy": ("numpy",),
}


class ExampleError(Exception):
    """An example raised, or its replay did not match ``model.predict``."""


@dataclass(frozen=True)
class Result:
    script: Path
    entry: Path  # the cache folder holding outputs.json, data.json, notebook.ipynb
    ran: bool
    seconds: float

    @property
    def slug(self) -> str:
        return slug_of(self.script)

    @property
    def outputs(self) -> dict[str, str]:
        return json.loads((self.entry / "outputs.json").read_text(encoding="utf-8"))

    @property
    def versions(self) -> dict[str, str]:
        return json.loads((self.entry / "data.json").read_text(encoding="utf-8"))["versions"]

    @property
    def data_file(self) -> Path:
        return self.entry / "data.json"

    @property
    def notebook(self) -> Path:
        return self.entry / "notebooks" / f"{self.slug}.ipynb"

    def log_line(self) -> str:
        how = f"ran in {self.seconds:.1f} s" if self.ran else "cached"
        return f"{display(self.script)}: {how}"


def slug_of(script: Path) -> str:
    """``examples/time_distributed.py`` publishes ``data/time-distributed.json``."""
    return Path(script).stem.replace("_", "-")


def display(path: Path) -> str:
    path = Path(path).resolve()
    return str(path.relative_to(REPO)) if path.is_relative_to(REPO) else str(path)


# --- cache keys --------------------------------------------------------------------------


IMPORT_LINE = re.compile(
    r"^[ \t]*(?:import[ \t]+([\w., \t]+)|from[ \t]+(\w[\w.]*)[ \t]+import\b)", re.M
)


def imported_modules(source: str) -> set[str]:
    """Top-level names of the modules a source imports (absolute imports, at any depth). Read
    line by line, not parsed: a build checks every example's key, and this is ten times faster;
    an import-like line inside a string only adds a file to the key, never leaves one out."""
    names = set()
    for plain, from_module in IMPORT_LINE.findall(source):
        for name in [from_module] if from_module else plain.split(","):
            names.add(name.split()[0].split(".")[0] if name.split() else "")
    return names - {""}


def local_imports(script: Path) -> list[Path]:
    """The modules of the script's own folder that it imports, directly or through each other."""
    folder, seen, todo = script.parent, set(), [script]
    while todo:
        for name in imported_modules(todo.pop().read_text(encoding="utf-8")):
            candidate = folder / f"{name}.py"
            if candidate.is_file() and candidate not in seen and candidate != script:
                seen.add(candidate)
                todo.append(candidate)
    return sorted(seen)


def installed_versions() -> dict[str, str | None]:
    """Versions from package metadata: cheap, and no import of the packages themselves."""
    versions: dict[str, str | None] = {"python": platform.python_version()}
    for name, distributions in PACKAGES.items():
        versions[name] = None
        for distribution in distributions:
            try:
                versions[name] = metadata.version(distribution)
                break
            except metadata.PackageNotFoundError:
                continue
    return versions


def cache_key(script: Path, versions: dict) -> str:
    digest = hashlib.sha256()
    here = Path(__file__)
    runner_code = [here, here.with_name("cells.py"), here.with_name("notebook_setup.py")]
    for path in [script, *local_imports(script), *runner_code]:
        digest.update(display(path).encode() + b"\0" + path.read_bytes() + b"\0")
    digest.update(json.dumps(versions, sort_keys=True).encode())
    return digest.hexdigest()[:20]


# --- running -----------------------------------------------------------------------------


def _child_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    env.setdefault("KERAS_BACKEND", "tensorflow")
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TensorFlow's C++ start-up chatter
    env["PYTHONHASHSEED"] = "0"
    # One thread per example: toy models gain nothing from more, examples run side by side on
    # the cores instead, and the same setting everywhere keeps the numbers identical.
    env["TF_NUM_INTRAOP_THREADS"] = env["TF_NUM_INTEROP_THREADS"] = "1"
    env["OMP_NUM_THREADS"] = "1"
    env["PYTHONUNBUFFERED"] = "1"
    return env


def _error_message(script: Path, log: str, returncode: int) -> str:
    lines = log.splitlines()
    first = next(
        (ln.removeprefix("EXAMPLE ERROR ") for ln in lines if ln.startswith("EXAMPLE ERROR ")),
        f"{display(script)}: exited with code {returncode}",
    )
    tail = "\n".join("    " + ln for ln in lines[-25:])
    return f"{first}\n  last lines of its output:\n{tail}"


def _run_one(script: Path, entry: Path) -> Result:
    """Run one example into a temporary folder, then rename it to ``entry``."""
    tmp = entry.with_name(f".tmp-{entry.name}-{os.getpid()}-{time.monotonic_ns()}")
    start = time.perf_counter()
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "sitebuild.cells", str(script), str(tmp)],
            cwd=REPO,
            env=_child_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=TIMEOUT_SECONDS,
        )
        if proc.returncode != 0:
            raise ExampleError(_error_message(script, proc.stdout, proc.returncode))
        (tmp / "log.txt").write_text(proc.stdout, encoding="utf-8")
        try:
            os.rename(tmp, entry)
        except OSError:  # another build stored the same entry meanwhile: identical content
            if not (entry / "data.json").is_file():
                raise
    except subprocess.TimeoutExpired as exc:
        raise ExampleError(f"{display(script)}: still running after {TIMEOUT_SECONDS} s") from exc
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return Result(script, entry, ran=True, seconds=time.perf_counter() - start)


def _prune(cache_dir: Path, keep: list[Path]) -> None:
    """Remove other entries of the examples just built, and leftovers of killed builds."""
    stems = {e.name.split("--")[0] for e in keep}
    for path in cache_dir.iterdir() if cache_dir.is_dir() else []:
        name = path.name
        if name.startswith(".tmp-"):
            pid = name.rsplit("-", 2)[-2]
            if pid.isdigit() and not _alive(int(pid)):
                shutil.rmtree(path, ignore_errors=True)
        elif name.split("--")[0] in stems and path not in keep:
            shutil.rmtree(path, ignore_errors=True)


def _write_atomically(path: Path, text: str) -> None:
    partial = path.with_name(f".tmp-{path.name}-{os.getpid()}")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


ENTRY_FILES = ("outputs.json", "data.json")


def _usable(script: Path, entry: Path, log) -> bool:
    """Whether a cache entry can be read. One that cannot (a truncated or missing file, left by
    a full disk or a copy cut short) is a miss: it is removed, the example runs again, and the
    log says why."""
    if not entry.is_dir():
        return False
    try:
        for name in ENTRY_FILES:
            json.loads((entry / name).read_text(encoding="utf-8"))
        notebook = entry / "notebooks" / f"{slug_of(script)}.ipynb"
        json.loads(notebook.read_text(encoding="utf-8"))
    except (OSError, ValueError) as problem:
        reason = f"{type(problem).__name__}: {problem}"
        log(f"{display(script)}: cache entry {entry.name} is damaged ({reason}); running again")
        shutil.rmtree(entry, ignore_errors=True)
        return False
    return True


def latest_results(scripts: list[Path], cache_dir: Path = CACHE_DIR) -> dict[Path, Result]:
    """The newest cache entry of each script, without checking that it is up to date.

    For measuring a bare render (``make bench``), never for a real build.
    """
    results = {}
    for script in (Path(s).resolve() for s in scripts):
        entries = sorted(cache_dir.glob(f"{script.stem}--*"), key=lambda p: p.stat().st_mtime)
        if not entries:
            raise ExampleError(f"{display(script)}: no cache entry (build once first)")
        results[script] = Result(script, entries[-1], ran=False, seconds=0.0)
    return results


def run_examples(
    scripts: list[Path], cache_dir: Path = CACHE_DIR, jobs: int | None = None, log=print
) -> tuple[dict[Path, Result], list[ExampleError]]:
    """Bring the cache up to date for ``scripts``; return the results and the failures.

    Logs one line per example ("ran in N s" or "cached") and a summary.
    """
    start = time.perf_counter()
    cache_dir = Path(cache_dir)
    cache_dir.mkdir(parents=True, exist_ok=True)
    versions = installed_versions()
    scripts = [Path(s).resolve() for s in dict.fromkeys(scripts)]
    entries = {s: cache_dir / f"{s.stem}--{cache_key(s, versions)}" for s in scripts}
    results = {
        s: Result(s, e, ran=False, seconds=0.0) for s, e in entries.items() if _usable(s, e, log)
    }
    # Longest first (by the last run's time), so that the slowest example does not start last.
    durations_file = cache_dir / "durations.json"
    durations = json.loads(durations_file.read_text()) if durations_file.is_file() else {}
    todo = sorted(
        (s for s in scripts if s not in results), key=lambda s: -durations.get(s.stem, 0.0)
    )
    errors: list[ExampleError] = []
    if todo:
        log(
            f"examples: running {len(todo)} of {len(scripts)} "
            f"({', '.join(display(s) for s in todo)})"
        )
        with ThreadPoolExecutor(max_workers=jobs or os.cpu_count() or 1) as pool:
            futures = {s: pool.submit(_run_one, s, entries[s]) for s in todo}
            for script, future in futures.items():
                try:
                    results[script] = future.result()
                except ExampleError as exc:
                    errors.append(exc)
    for script in scripts:
        if script in results:
            log(results[script].log_line())
    if ran := {r.script.stem: round(r.seconds, 1) for r in results.values() if r.ran}:
        _write_atomically(
            durations_file, json.dumps({**durations, **ran}, indent=1, sort_keys=True)
        )
    _prune(cache_dir, [r.entry for r in results.values()])
    count = sum(r.ran for r in results.values())
    log(
        f"examples: {count} ran, {len(results) - count} cached, {len(errors)} failed "
        f"in {time.perf_counter() - start:.1f} s"
    )
    return results, errors


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("scripts", nargs="+", type=Path)
    parser.add_argument(
        "--jobs", type=int, default=None, help="examples run at once (default: cores)"
    )
    parser.add_argument("--cache-dir", type=Path, default=CACHE_DIR)
    args = parser.parse_args(argv)
    _, errors = run_examples(args.scripts, args.cache_dir, args.jobs)
    for error in errors:
        print(f"ERROR {error}", file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
