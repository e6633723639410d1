"""`make mutate`: mutation testing of the build code, the publish module and the panel's engine,
against the FAST tests only; prints each tool's mutation score and its surviving mutants.

* mutmut mutates ``sitebuild/`` and ``examples/publish.py`` (configuration: ``[tool.mutmut]``
  in pyproject.toml, which lists the fast tests) and works in ``mutants/``.
* Stryker mutates ``docs/javascripts/stepper-compute.js`` and runs the node tests
  (``tests/js``) against each mutant (configuration: ``mutation/stryker.config.json``; Stryker
  is installed in ``mutation/node_modules`` from ``mutation/package-lock.json``). The node tests
  read the data files of a built site: ``site/data`` (built here first if missing).

    .venv/bin/python mutation/run.py [--only mutmut|stryker] [--jobs N]

Exits non-zero when a tool fails to run (not when mutants survive: the score is a measure).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
STRYKER = REPO / "mutation" / "node_modules" / ".bin" / "stryker"
STRYKER_REPORT = REPO / "mutation" / "reports" / "stryker.json"


SHOW_DIFFS = """
import sys
from mutmut.__main__ import find_mutant, get_diff_for_mutant
for name in sys.argv[1:]:
    print("@@@", name)
    print(get_diff_for_mutant(name, path=find_mutant(name).path))
"""


def run(command: list[str], **kwargs) -> subprocess.CompletedProcess:
    print("$", " ".join(str(c) for c in command), flush=True)
    return subprocess.run(command, cwd=kwargs.pop("cwd", REPO), **kwargs)


def cpu_minutes() -> float:
    """CPU time of the child processes so far (on a shared machine, a truer cost than wall time)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (usage.ru_utime + usage.ru_stime) / 60


def score(counts: Counter, killed: tuple[str, ...], counted: tuple[str, ...]) -> str:
    total = sum(counts[s] for s in counted)
    dead = sum(counts[s] for s in killed)
    return f"{dead}/{total} = {100 * dead / total:.1f}%" if total else "no mutant"


def mutmut(jobs: int) -> int:
    shutil.rmtree(REPO / "mutants", ignore_errors=True)  # a fresh measure, no stale results
    start, cpu = time.monotonic(), cpu_minutes()
    proc = run(
        [str(BIN / "mutmut"), "run", "--max-children", str(jobs)], capture_output=True, text=True
    )
    seconds = time.monotonic() - start
    if proc.returncode != 0:
        print(proc.stdout[-3000:], proc.stderr[-3000:], sep="\n")
        return proc.returncode
    listing = run([str(BIN / "mutmut"), "results", "--all", "true"], capture_output=True, text=True)
    statuses = dict(re.findall(r"^\s+(\S+): (.+)$", listing.stdout, re.M))
    by_file: dict[str, Counter] = {}
    for name, status in statuses.items():
        by_file.setdefault(name.split(".x")[0].split(".xǁ")[0], Counter())[status] += 1
    print(
        f"\nmutmut: {len(statuses)} mutants in {seconds / 60:.1f} min "
        f"({cpu_minutes() - cpu:.1f} min of CPU)"
    )
    for module, counts in sorted(by_file.items()):
        print(f"  {module:28} {dict(counts)}")
    everything = Counter(statuses.values())
    print(
        "mutmut score: killed/all "
        + score(everything, ("killed", "timeout"), tuple(everything))
        + "; killed/reached by a fast test "
        + score(everything, ("killed", "timeout"), ("killed", "timeout", "survived"))
    )
    survivors = sorted(n for n, s in statuses.items() if s == "survived")
    print(f"\nmutmut: {len(survivors)} surviving mutants (reached by a fast test, not killed):")
    # One process for every diff (`mutmut show NAME` takes seconds each).
    diffs = subprocess.run(
        [str(BIN / "python"), "-c", SHOW_DIFFS, *survivors],
        cwd=REPO,
        capture_output=True,
        text=True,
    ).stdout
    for block in diffs.split("@@@ ")[1:]:
        name, _, diff = block.partition("\n")
        changed = [
            ln for ln in diff.splitlines() if ln[:1] in "+-" and ln[:3] not in ("+++", "---")
        ]
        print(f"  {name}\n    " + "\n    ".join(changed))
    return 0


def stryker(jobs: int) -> int:
    if not STRYKER.exists():
        proc = run(["npm", "ci", "--no-audit", "--no-fund"], cwd=REPO / "mutation")
        if proc.returncode != 0:
            return proc.returncode
    data = REPO / "site" / "data"
    if not list(data.glob("*.json")):
        proc = run([str(BIN / "mkdocs"), "build", "--strict"])
        if proc.returncode != 0:
            return proc.returncode
    start, cpu = time.monotonic(), cpu_minutes()
    proc = run(
        [str(STRYKER), "run", "mutation/stryker.config.json", "--concurrency", str(jobs)],
        env={**os.environ, "RNN_DATA_DIR": str(data)},
        capture_output=True,
        text=True,
    )
    seconds = time.monotonic() - start
    if proc.returncode != 0 or not STRYKER_REPORT.is_file():
        print(proc.stdout[-5000:], proc.stderr[-3000:], sep="\n")
        return proc.returncode or 1
    report = json.loads(STRYKER_REPORT.read_text(encoding="utf-8"))
    mutants = [(path, m) for path, f in report["files"].items() for m in f["mutants"]]
    counts = Counter(m["status"] for _, m in mutants)
    print(
        f"\nStryker: {len(mutants)} mutants in {seconds / 60:.1f} min "
        f"({cpu_minutes() - cpu:.1f} min of CPU): {dict(counts)}"
    )
    valid = tuple(s for s in counts if s not in ("CompileError", "RuntimeError", "Ignored"))
    print("Stryker score: " + score(counts, ("Killed", "Timeout"), valid))
    survivors = [(p, m) for p, m in mutants if m["status"] in ("Survived", "NoCoverage")]
    print(f"\nStryker: {len(survivors)} surviving mutants:")
    for path, m in sorted(survivors, key=lambda pm: pm[1]["location"]["start"]["line"]):
        line = m["location"]["start"]["line"]
        print(f"  {path}:{line} {m['mutatorName']}: {m.get('replacement', '')!r}"[:200])
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", choices=["mutmut", "stryker"])
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    status = 0
    if args.only in (None, "stryker"):
        status |= stryker(args.jobs)
    if args.only in (None, "mutmut"):
        status |= mutmut(args.jobs)
    return status


if __name__ == "__main__":
    sys.exit(main())
