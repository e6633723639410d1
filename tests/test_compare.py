"""``python -m sitebuild.compare OLD NEW``: what changed between two builds of the site.

The fixture builds are made here by hand (``outputs/<slug>.json`` and ``data/<slug>.json``, as
the real build writes them) so that each test knows exactly what differs: a number on a page,
a probe's verdict, a model missing from a data file, a weight, a failed step.
"""

from __future__ import annotations

import copy
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO, chapters_present

from sitebuild import compare

MINUS = "\u2212"
INCLUDE = re.compile(r"\{\{ *([A-Za-z_][\w.]*) *\}\}")

OUTPUTS = {
    "N": "256",
    "W_x": "| | $h_{t,0}$ | $h_{t,1}$ |\n|:--|--:|--:|\n"
    f"| $x_{{t,0}}$ | 0.1234 | {MINUS}0.5000 |\n| $x_{{t,1}}$ | 0.0000 | 1.2500 |",
    "replay": f"3.2e{MINUS}07",
    "probe_td_predict": "wrong",
    "W_x_shape": "`(2, 2)`",
}

DATA = {
    "chapter": "Demo",
    "versions": {"python": "3.11.7", "tensorflow": "2.21.0", "keras": "3.15.1", "numpy": "2.4.6"},
    "models": [
        {
            "name": "rnn",
            "layers": [
                {
                    "class_name": "SimpleRNN",
                    "config": {"units": 2, "activation": "tanh"},
                    "weights": {
                        "kernel": [[0.1234, -0.5], [0.0, 1.25]],
                        "recurrent_kernel": [[1.0, 0.0], [0.0, 1.0]],
                        "bias": [0.0, 0.0],
                    },
                }
            ],
            "input": [[[1.0, 2.0]]],
            "output": [[0.5, -0.25]],
        },
        {
            "name": "rnn_sequences",
            "layers": [],
            "input": [[[1.0, 2.0]]],
            "output": [[[0.5, -0.25]]],
        },
    ],
}


def write_build(root: Path, outputs: dict, data: dict, slug: str = "demo") -> Path:
    for folder, content in (("outputs", outputs), ("data", data)):
        (root / folder).mkdir(parents=True, exist_ok=True)
        (root / folder / f"{slug}.json").write_text(
            json.dumps(content, ensure_ascii=False), encoding="utf-8"
        )
    return root


def run(old: Path, new: Path, *options: str) -> tuple[int, str]:
    report = old.parent / "report.md"
    status = compare.main([str(old), str(new), "--report", str(report), *options])
    return status, report.read_text(encoding="utf-8")


def section(report: str, title: str) -> str:
    """The text of the report's section ``## title...`` (empty if there is none)."""
    for part in report.split("\n## ")[1:]:
        if part.startswith(title):
            return part
    return ""


@pytest.fixture
def old(tmp_path) -> Path:
    return write_build(tmp_path / "old", OUTPUTS, DATA)


def test_the_same_build_twice_is_no_change(old, tmp_path):
    new = write_build(tmp_path / "new", OUTPUTS, copy.deepcopy(DATA))
    status, report = run(old, new)
    assert status == 0, report
    assert "**No change.**" in report
    assert "| keras | 3.15.1 | 3.15.1 |" in report


def test_two_builds_that_differ_in_a_number_a_verdict_and_a_model(old, tmp_path):
    outputs = dict(OUTPUTS, probe_td_predict="right")
    outputs["W_x"] = OUTPUTS["W_x"].replace("0.1234", "0.1250")
    data = copy.deepcopy(DATA)
    data["versions"]["keras"] = "3.16.0"
    del data["models"][1]
    new = write_build(tmp_path / "new", outputs, data)
    status, report = run(old, new)
    assert status == 1, report
    assert "| keras | 3.15.1 | 3.16.0 |" in report

    probes = section(report, "Probes of Keras behaviour whose verdict changed")
    assert "| demo | `probe_td_predict` | `wrong` | `right` |" in probes, report

    numbers = section(report, "Numbers on the pages that changed")
    # One of the four numbers of the table changed (the labels' subscripts are unchanged).
    assert "| demo | `W_x` | 1 of 8 | 0.0016 | 0.1234 | 0.125 |" in numbers, report
    assert "`N`" not in numbers and "`replay`" not in numbers

    models = section(report, "Data files: models that changed")
    assert "| demo | `rnn_sequences` |  | model missing from the new build |" in models, report
    assert "`rnn` |" not in models, "the unchanged model is reported"


def test_a_sign_is_a_change_of_twice_the_value(old, tmp_path):
    """The pages write minus signs as U+2212: −0.5000 to 0.5000 is a change of 1."""
    outputs = dict(OUTPUTS, W_x=OUTPUTS["W_x"].replace(f"{MINUS}0.5000", "0.5000"))
    status, report = run(old, write_build(tmp_path / "new", outputs, DATA))
    assert status == 1
    assert "| demo | `W_x` | 1 of 8 | 1 | \u22120.5 | 0.5 |".replace("\u2212", "-") in report


def test_a_replay_difference_is_a_number_that_changed(old, tmp_path):
    outputs = dict(OUTPUTS, replay=f"4.1e{MINUS}07")
    status, report = run(old, write_build(tmp_path / "new", outputs, DATA))
    assert status == 1
    assert "| demo | `replay` | 1 of 1 | 9e-08 | 3.2e-07 | 4.1e-07 |" in report, report


def test_a_changed_text_and_a_missing_output_are_reported(old, tmp_path):
    outputs = dict(OUTPUTS, W_x_shape="`(2, 2, 1)`")
    del outputs["N"]
    status, report = run(old, write_build(tmp_path / "new", outputs, DATA))
    assert status == 1
    texts = section(report, "Outputs whose text changed")
    assert "| demo | `W_x_shape` | `'(2, 2)'` | `'(2, 2, 1)'` |" in texts, report
    assert "| demo | `N` | missing from the new build |" in report


def test_weights_are_compared_with_the_tolerance(old, tmp_path):
    data = copy.deepcopy(DATA)
    data["models"][0]["layers"][0]["weights"]["kernel"][1][1] = 1.25 + 1e-3
    data["models"][0]["layers"][0]["weights"]["bias"][0] = 1e-9
    data["models"][0]["layers"][0]["config"]["unit_forget_bias"] = True
    data["models"][0]["layers"][0]["config"]["units"] = 3
    status, report = run(old, write_build(tmp_path / "new", OUTPUTS, data))
    assert status == 1
    models = section(report, "Data files")
    assert "| demo | `rnn` | `layers[0].weights.kernel` | largest difference 0.001 |" in models
    assert "weights.bias" not in models, "a difference of 1e-9 is below the tolerance"
    assert "| `layers[0].config.unit_forget_bias` | new: `true` |" in models, report
    assert "| `layers[0].config.units` | 2 \u2192 3 (by 1) |" in models, report
    # A tighter tolerance reports the bias too.
    status, report = run(old, tmp_path / "new", "--tolerance", "1e-12")
    assert "| `layers[0].weights.bias` | largest difference 1e-09 |" in report, report


def test_a_shape_change_is_reported(old, tmp_path):
    data = copy.deepcopy(DATA)
    data["models"][0]["output"] = [[0.5, -0.25, 0.0]]
    status, report = run(old, write_build(tmp_path / "new", OUTPUTS, data))
    assert status == 1
    assert "| demo | `rnn` | `output` | shape (1, 2) \u2192 (1, 3) |" in report, report


def test_a_failed_step_is_a_change_and_its_log_says_what_broke(old, tmp_path):
    new = write_build(tmp_path / "new", OUTPUTS, DATA)
    log = tmp_path / "tests.log"
    log.write_text(
        "collected 120 items\n"
        "tests/test_lstm.py ....F\n"
        "FAILED tests/test_lstm.py::test_replay - AssertionError: 3e-05\n"
        "1 failed, 119 passed\n",
        encoding="utf-8",
    )
    status, report = run(
        old, new, "--step", "Build", "success", "-", "--step", "Tests", "failure", str(log)
    )
    assert status == 1
    steps = section(report, "Replays and tests")
    assert "- Build: passed" in steps
    assert "- Tests: **failure**" in steps
    assert "`FAILED tests/test_lstm.py::test_replay - AssertionError: 3e-05`" in steps
    assert "119 passed" not in steps


def test_steps_that_passed_are_no_change(old, tmp_path):
    new = write_build(tmp_path / "new", OUTPUTS, DATA)
    status, report = run(old, new, "--step", "Build", "success", "-")
    assert status == 0, report


def test_a_missing_build_is_a_change(old, tmp_path):
    status, report = run(old, tmp_path / "never-built")
    assert status == 1
    assert "never-built (the new build): no outputs/ folder" in report


def test_a_missing_chapter_is_a_change(old, tmp_path):
    new = write_build(tmp_path / "new", OUTPUTS, DATA)
    write_build(old, OUTPUTS, DATA, slug="other")
    status, report = run(old, new)
    assert status == 1
    assert "| other |  | chapter missing from the new build |" in report, report
    assert "| other |  |  | data file missing from the new build |" in report, report


def test_the_command_line(old, tmp_path):
    new = write_build(tmp_path / "new", dict(OUTPUTS, probe_td_predict="right"), DATA)
    proc = subprocess.run(
        [sys.executable, "-m", "sitebuild.compare", str(old), str(new)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 1, proc.stderr
    assert "`probe_td_predict` | `wrong` | `right`" in proc.stdout


def test_the_real_build_publishes_every_output_for_the_comparison(site):
    """The build writes outputs/<slug>.json (every published output, {name: markdown}) beside
    data/<slug>.json, and a build compared with itself shows no change."""
    from sitebuild.runner import run_examples

    for slug in chapters_present():
        example = REPO / "examples" / f"{slug.replace('-', '_')}.py"
        results, errors = run_examples([example], log=lambda *args: None)
        assert not errors, errors
        published = json.loads((site / "outputs" / f"{slug}.json").read_text(encoding="utf-8"))
        assert published == results[example.resolve()].outputs, slug
        page = (REPO / "docs" / f"{slug}.md").read_text(encoding="utf-8")
        included = {n for n in INCLUDE.findall(page) if not n.startswith("versions.")}
        assert included <= published.keys(), (slug, included - published.keys())
        assert (site / "data" / f"{slug}.json").is_file()
    assert compare.main([str(site), str(site)]) == 0


def test_a_version_named_on_a_page_is_not_a_change(old, tmp_path):
    """A note "in Keras 3.15.1" becomes "in Keras 3.16.0" with the versions: not a number that
    changed (the report's first table shows the versions); a number beside it still is."""
    note = "Keras {} returns 2 time steps, not 4."
    write_build(old, dict(OUTPUTS, note=note.format("3.15.1")), DATA)
    data = copy.deepcopy(DATA)
    data["versions"]["keras"] = "3.16.0"
    new = write_build(tmp_path / "new", dict(OUTPUTS, note=note.format("3.16.0")), data)
    status, report = run(old, new)
    assert status == 0, report
    changed = dict(OUTPUTS, note=note.format("3.16.0").replace("2 time", "4 time"))
    status, report = run(old, write_build(new, changed, data))
    assert status == 1
    assert "| demo | `note` | 1 of 2 | 2 | 2 | 4 |" in report, report


def test_the_same_difference_in_many_models_is_one_row(old, tmp_path):
    """A config key Keras added shows once, with where it is; every place is in a fold."""
    models = []
    for i in range(5):
        model = copy.deepcopy(DATA["models"][0])
        model["name"] = f"rnn_{i}"
        initializer = {"class_name": "GlorotUniform", "config": {"seed": None}}
        model["layers"][0]["config"]["kernel_initializer"] = initializer
        if i >= 3:  # the layer is the second one in these models
            model["layers"].insert(0, {"class_name": "Masking", "config": {}, "weights": {}})
        models.append(model)
    write_build(old, OUTPUTS, dict(DATA, models=copy.deepcopy(models)))
    for model in models:
        model["layers"][-1]["config"]["kernel_initializer"]["config"]["input_axes"] = [-2]
    models[0]["layers"][0]["weights"]["bias"] = [0.5, 0.0]
    status, report = run(old, write_build(tmp_path / "new", OUTPUTS, dict(DATA, models=models)))
    assert status == 1
    table, _, fold = section(report, "Data files").partition("<details>")
    row = "| demo | 5 models | `\u2026kernel_initializer.config.input_axes` | new: `[-2]` (5 places) |"
    assert row in table, report
    assert "| demo | `rnn_0` | `layers[0].weights.bias` | largest difference 0.5 |" in table
    assert "All 6 differences" in fold and fold.count("| demo | `rnn_") == 6, fold
    assert "`layers[1].config.kernel_initializer.config.input_axes`" in fold
