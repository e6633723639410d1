"""Compare two builds of the site: what a change of TensorFlow, Keras or NumPy changed.

    python -m sitebuild.compare OLD NEW [--report FILE] [--tolerance 1e-6]
                                [--step LABEL OUTCOME LOG ...]

``OLD`` and ``NEW`` are built sites (``site/``, ``site-upstream/``, or two downloaded build
artifacts). The command reads, in both, ``outputs/<slug>.json`` (every output a chapter's example
published, as the page includes it) and ``data/<slug>.json`` (the chapter's models), and writes
a Markdown report:

* the Keras-behaviour probes whose verdict changed (outputs named ``probe_*``);
* the numbers on the pages that changed, and by how much;
* the models of the data files that are missing, or whose weights, config or outputs changed
  (numbers by more than ``--tolerance``);
* with ``--step``, the steps that failed (the upstream build, the tests) and the lines of their
  logs that say what broke (a replay that no longer matches, a failing test).

It prints the report (or writes it to ``--report``) and exits with 1 when anything changed or a
step failed, 0 when the two builds publish the same. It needs nothing but the standard library.
``make compare-upstream`` builds both sites and runs it; the weekly workflow
``.github/workflows/upstream.yml`` does the same on GitHub.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

TOLERANCE = 1e-6
"""Largest difference of a data-file number that does not count as a change."""

NUMBER = re.compile(r"[-\u2212]?\d+(?:\.\d+)?(?:[eE][-\u2212+]?\d+)?")
LOG_LINE = re.compile(
    r"FAILED |ERROR |Error:|Error\b.*:|ReplayMismatch|differs from model\.predict|example failed"
)
MAX_LOG_LINES = 30
MAX_TEXT = 120
GROUP = 3
"""A difference found in more places than this is one row of the report (all in a fold)."""


@dataclass
class Build:
    """What a built site published: ``{slug: {name: markdown}}`` and ``{slug: data file}``."""

    root: Path
    outputs: dict[str, dict[str, str]]
    data: dict[str, dict]

    @classmethod
    def read(cls, root: Path) -> Build | None:
        """The build in ``root``, or None if there is none (no ``outputs/`` folder)."""
        root = Path(root)
        if not (root / "outputs").is_dir():
            return None

        def load(folder: str) -> dict:
            return {
                p.stem: json.loads(p.read_text(encoding="utf-8"))
                for p in sorted((root / folder).glob("*.json"))
            }

        return cls(root, load("outputs"), load("data") if (root / "data").is_dir() else {})

    def versions(self) -> dict[str, str]:
        for data in self.data.values():
            return dict(data.get("versions", {}))
        return {}


@dataclass
class Report:
    """The differences found, by kind, as rows of the report's tables."""

    probes: list[tuple[str, str, str, str]] = field(default_factory=list)
    numbers: list[tuple[str, str, int, int, float, str, str]] = field(default_factory=list)
    texts: list[tuple[str, str, str, str]] = field(default_factory=list)
    outputs_gone: list[tuple[str, str, str]] = field(default_factory=list)
    models: list[tuple[str, str, str, str]] = field(default_factory=list)
    steps: list[tuple[str, str, list[str]]] = field(default_factory=list)
    missing_builds: list[str] = field(default_factory=list)

    def changed(self) -> bool:
        failed = any(outcome != "success" for _, outcome, _ in self.steps)
        return failed or any(
            [
                self.probes,
                self.numbers,
                self.texts,
                self.outputs_gone,
                self.models,
                self.missing_builds,
            ]
        )


# --- the numbers in a published output ----------------------------------------------------


def numbers_in(markdown: str) -> tuple[list[float], str]:
    """The numbers of an output as the page shows them, and its text with each replaced by #."""
    values = [float(m.group(0).replace("\u2212", "-")) for m in NUMBER.finditer(markdown)]
    return values, NUMBER.sub("#", markdown)


def short(text: str) -> str:
    """One line, at most MAX_TEXT characters, safe inside a Markdown table cell."""
    line = " ".join(text.split())
    if len(line) > MAX_TEXT:
        line = line[: MAX_TEXT - 1] + "\u2026"
    return "`" + line.replace("`", "'").replace("|", "\\|") + "`"


def without_versions(markdown: str, versions: dict[str, str]) -> str:
    """``markdown`` with each package version of its build (``3.15.1``) replaced by the
    package's name in brackets (``<keras>``): a page that names the version it was built
    with ("in Keras 3.15.1") does not change for that; the report's first table shows the
    versions."""
    for package, version in sorted(versions.items(), key=lambda kv: -len(str(kv[1]))):
        if version and str(version).count(".") >= 2:
            pattern = rf"(?<![\d.]){re.escape(str(version))}(?![\d.])"
            markdown = re.sub(pattern, f"<{package}>", markdown)
    return markdown


def compare_outputs(
    slug: str,
    old: dict[str, str],
    new: dict[str, str],
    report: Report,
    versions: tuple[dict, dict] = ({}, {}),
) -> None:
    old = {k: without_versions(v, versions[0]) for k, v in old.items()}
    new = {k: without_versions(v, versions[1]) for k, v in new.items()}
    for name in sorted(old.keys() | new.keys()):
        if name not in new:
            report.outputs_gone.append((slug, name, "missing from the new build"))
        elif name not in old:
            report.outputs_gone.append((slug, name, "new in the new build"))
        elif old[name] == new[name]:
            continue
        elif name.startswith("probe_"):
            report.probes.append((slug, name, old[name], new[name]))
        else:
            before, old_text = numbers_in(old[name])
            after, new_text = numbers_in(new[name])
            if old_text != new_text or len(before) != len(after):
                report.texts.append((slug, name, old[name], new[name]))
                continue
            pairs = [(a, b) for a, b in zip(before, after) if a != b]
            a, b = max(pairs, key=lambda p: abs(p[1] - p[0]))
            report.numbers.append(
                (slug, name, len(pairs), len(before), abs(b - a), _number(a), _number(b))
            )


def _number(x: float) -> str:
    return f"{x:.6g}"


# --- the data files -----------------------------------------------------------------------


def _is_array(x) -> bool:
    return isinstance(x, list) and all(
        _is_number(e) or (isinstance(e, list) and _is_array(e)) for e in x
    )


def _is_number(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def _shape(x) -> tuple:
    shape = []
    while isinstance(x, list):
        shape.append(len(x))
        x = x[0] if x else None
    return tuple(shape)


def _flat(x) -> list[float]:
    if isinstance(x, list):
        return [v for e in x for v in _flat(e)]
    return [float(x)]


def _largest_difference(a, b) -> float:
    if _shape(a) != _shape(b) or len(_flat(a)) != len(_flat(b)):
        return math.inf
    diffs = [abs(x - y) if x != y else 0.0 for x, y in zip(_flat(a), _flat(b))]
    return max(diffs, default=0.0)


def differences(old, new, path: str, tolerance: float):
    """``(path, description)`` for every difference between two JSON values."""
    if _is_array(old) and _is_array(new):
        diff = _largest_difference(old, new)
        if diff == math.inf:
            yield path, f"shape {_shape(old)} \u2192 {_shape(new)}"
        elif diff > tolerance:
            yield path, f"largest difference {diff:.3g}"
        return
    if _is_number(old) and _is_number(new):
        if abs(new - old) > tolerance:
            yield path, f"{_number(old)} \u2192 {_number(new)} (by {abs(new - old):.3g})"
        return
    if isinstance(old, dict) and isinstance(new, dict):
        for key in sorted(old.keys() | new.keys(), key=str):
            where = f"{path}.{key}" if path else str(key)
            if key not in new:
                yield where, "missing from the new build"
            elif key not in old:
                yield where, f"new: {_describe(new[key])}"
            else:
                yield from differences(old[key], new[key], where, tolerance)
        return
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        for i, (a, b) in enumerate(zip(old, new)):
            yield from differences(a, b, f"{path}[{i}]", tolerance)
        return
    if old != new:
        yield path, f"{_describe(old)} \u2192 {_describe(new)}"


def _describe(x) -> str:
    if _is_array(x) and len(_flat(x)) > 8:
        return f"array of shape {_shape(x)}"
    return short(json.dumps(x, ensure_ascii=False))


def _by_name(models: list[dict]) -> dict[str, dict]:
    return {m.get("name", f"#{i}"): m for i, m in enumerate(models)}


def compare_data(slug: str, old: dict, new: dict, report: Report, tolerance: float) -> None:
    old_models, new_models = _by_name(old.get("models", [])), _by_name(new.get("models", []))
    for name in sorted(old_models.keys() | new_models.keys()):
        if name not in new_models:
            report.models.append((slug, name, "", "model missing from the new build"))
        elif name not in old_models:
            report.models.append((slug, name, "", "model new in the new build"))
        else:
            for path, what in differences(old_models[name], new_models[name], "", tolerance):
                report.models.append((slug, name, path, what))
    rest_old = {k: v for k, v in old.items() if k not in ("models", "versions")}
    rest_new = {k: v for k, v in new.items() if k not in ("models", "versions")}
    for path, what in differences(rest_old, rest_new, "", tolerance):
        report.models.append((slug, "", path, what))


# --- the steps of a workflow ---------------------------------------------------------------


def log_excerpt(log: Path | None) -> list[str]:
    """The lines of a build or test log that say what broke."""
    if log is None or not log.is_file():
        return []
    lines = [
        line.strip()
        for line in log.read_text(encoding="utf-8", errors="replace").splitlines()
        if LOG_LINE.search(line)
    ]
    unique = list(dict.fromkeys(lines))
    if len(unique) > MAX_LOG_LINES:
        unique = [*unique[:MAX_LOG_LINES], f"... and {len(unique) - MAX_LOG_LINES} more lines"]
    return unique


# --- the whole comparison ------------------------------------------------------------------


def compare(
    old_dir: Path,
    new_dir: Path,
    tolerance: float = TOLERANCE,
    steps: list[tuple[str, str, Path | None]] = (),
) -> tuple[Report, Build | None, Build | None]:
    report = Report()
    for label, outcome, log in steps:
        report.steps.append((label, outcome, log_excerpt(log) if outcome != "success" else []))
    old, new = Build.read(old_dir), Build.read(new_dir)
    for label, build, root in (("old", old, old_dir), ("new", new, new_dir)):
        if build is None:
            report.missing_builds.append(f"{root} (the {label} build): no outputs/ folder")
    if old is None or new is None:
        return report, old, new
    for slug in sorted(old.outputs.keys() | new.outputs.keys()):
        if slug not in new.outputs:
            report.outputs_gone.append((slug, "", "chapter missing from the new build"))
        elif slug not in old.outputs:
            report.outputs_gone.append((slug, "", "chapter new in the new build"))
        else:
            versions = (
                old.data.get(slug, {}).get("versions", {}),
                new.data.get(slug, {}).get("versions", {}),
            )
            compare_outputs(slug, old.outputs[slug], new.outputs[slug], report, versions)
    for slug in sorted(old.data.keys() | new.data.keys()):
        if slug not in new.data:
            report.models.append((slug, "", "", "data file missing from the new build"))
        elif slug not in old.data:
            report.models.append((slug, "", "", "data file new in the new build"))
        else:
            compare_data(slug, old.data[slug], new.data[slug], report, tolerance)
    return report, old, new


def grouped_rows(rows: list[tuple[str, str, str, str]]) -> list[list[str]]:
    """Rows of the models table, one per difference: a difference found in more than
    ``GROUP`` places (the same key, e.g. ``kernel_initializer.config.input_axes``, and the same
    change) is one row that says where."""
    groups: dict[tuple[str, str], list[tuple[str, str, str, str]]] = {}
    for row in rows:
        key = (".".join(row[2].split(".")[-3:]), row[3])
        groups.setdefault(key, []).append(row)
    out = []
    for (tail, what), members in groups.items():
        if len(members) > GROUP:
            chapters = ", ".join(dict.fromkeys(m[0] for m in members))
            models = len({(m[0], m[1]) for m in members})
            out.append(
                [chapters, f"{models} models", f"`\u2026{tail}`", f"{what} ({len(members)} places)"]
            )
        else:
            out += [[s, f"`{m}`" if m else "", f"`{p}`" if p else "", w] for s, m, p, w in members]
    return out


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    return [*lines, *("| " + " | ".join(row) + " |" for row in rows), ""]


def markdown(
    report: Report,
    old: Build | None,
    new: Build | None,
    old_dir: Path,
    new_dir: Path,
    tolerance: float,
) -> str:
    lines = [f"# Comparison of two builds: `{old_dir}` \u2192 `{new_dir}`", ""]
    old_versions = old.versions() if old else {}
    new_versions = new.versions() if new else {}
    if old_versions or new_versions:
        rows = [
            [name, old_versions.get(name, "?"), new_versions.get(name, "?")]
            for name in sorted(old_versions.keys() | new_versions.keys())
        ]
        lines += _table(["package", "old", "new"], rows)
    if not report.changed():
        lines += [
            "**No change.** Both builds publish the same numbers, probe verdicts and models "
            f"(data-file numbers within {tolerance:g}).",
            "",
        ]
        return "\n".join(lines)
    lines += ["**Something changed**: review the sections below.", ""]
    if report.missing_builds:
        lines += ["## Builds missing", ""]
        lines += [f"- {m}" for m in report.missing_builds] + [""]
    if report.steps:
        lines += ["## Replays and tests", ""]
        for label, outcome, excerpt in report.steps:
            verdict = "passed" if outcome == "success" else f"**{outcome}**"
            lines.append(f"- {label}: {verdict}")
            lines += ["    - `" + line.replace("`", "'") + "`" for line in excerpt]
        lines.append("")
    if report.probes:
        lines += ["## Probes of Keras behaviour whose verdict changed", ""]
        lines += _table(
            ["chapter", "probe", "old verdict", "new verdict"],
            [[s, f"`{n}`", short(a), short(b)] for s, n, a, b in report.probes],
        )
    if report.numbers:
        lines += ["## Numbers on the pages that changed", ""]
        rows = sorted(report.numbers, key=lambda r: -r[4])
        lines += _table(
            ["chapter", "output", "numbers changed", "largest change", "from", "to"],
            [[s, f"`{n}`", f"{k} of {t}", f"{d:.3g}", a, b] for s, n, k, t, d, a, b in rows],
        )
    if report.texts:
        lines += ["## Outputs whose text changed", ""]
        lines += _table(
            ["chapter", "output", "old", "new"],
            [[s, f"`{n}`", short(a), short(b)] for s, n, a, b in report.texts],
        )
    if report.outputs_gone:
        lines += ["## Outputs and chapters missing or new", ""]
        lines += _table(
            ["chapter", "output", "what"],
            [[s, f"`{n}`" if n else "", w] for s, n, w in report.outputs_gone],
        )
    if report.models:
        lines += [
            f"## Data files: models that changed (numbers by more than {tolerance:g})",
            "",
        ]
        header = ["chapter", "model", "where", "what"]
        rows = [
            [s, f"`{m}`" if m else "", f"`{p}`" if p else "", w] for s, m, p, w in report.models
        ]
        grouped = grouped_rows(report.models)
        if len(grouped) == len(rows):
            lines += _table(header, rows)
        else:
            lines += _table(header, grouped)
            lines += [
                f"<details><summary>All {len(rows)} differences</summary>",
                "",
                *_table(header, rows),
                "</details>",
                "",
            ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m sitebuild.compare",
        description="Compare what two builds of the site publish; exit 1 when anything changed.",
    )
    parser.add_argument("old", type=Path, help="the reference build (e.g. site/, pinned)")
    parser.add_argument("new", type=Path, help="the build to check (e.g. site-upstream/)")
    parser.add_argument("--report", type=Path, help="write the Markdown report here")
    parser.add_argument(
        "--tolerance",
        type=float,
        default=TOLERANCE,
        help=f"data-file differences up to this do not count (default {TOLERANCE:g})",
    )
    parser.add_argument(
        "--step",
        nargs=3,
        action="append",
        default=[],
        metavar=("LABEL", "OUTCOME", "LOG"),
        help="a step that ran (e.g. 'Tests' failure tests.log; LOG may be -); not 'success' "
        "counts as a change and the report quotes the log's error lines",
    )
    args = parser.parse_args(argv)
    steps = [
        (label, outcome, None if log == "-" else Path(log)) for label, outcome, log in args.step
    ]
    report, old, new = compare(args.old, args.new, args.tolerance, steps)
    text = markdown(report, old, new, args.old, args.new, args.tolerance)
    if args.report:
        args.report.write_text(text, encoding="utf-8")
        print(f"report written to {args.report}")
    print(text)
    return 1 if report.changed() else 0


if __name__ == "__main__":
    sys.exit(main())
