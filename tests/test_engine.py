"""The engine of the step-through panel (``docs/javascripts/stepper-compute.js``) in Node, on the
data files of the session's build: no browser, a few seconds.

* ``node --test tests/js`` (its unit tests, and every model of every data file against Keras's
  output stored there) must pass: ``make test`` runs it here, so a failing node test fails CI.
* Every model the engine computes must match the independent numpy replay (``tests/replay.py``)
  on random inputs of other lengths and batch sizes, within 1e-5. Models it refuses are checked
  by the node tests (the message names the reason); once the engine computes them, they are
  checked here too, without a change to this file.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import numpy as np
import pytest
from conftest import REPO, load_data
from replay import replay

TOLERANCE = 1e-5
NODE = shutil.which("node")


@pytest.fixture(scope="module")
def node() -> str:
    assert NODE, "node is not installed: the engine's tests need Node.js 20 or later"
    return NODE


def test_node_tests_of_the_engine_pass(node, site):
    proc = subprocess.run(
        [node, "--test", "tests/js/"],
        cwd=REPO,
        capture_output=True,
        text=True,
        env={**os.environ, "RNN_DATA_DIR": str(site / "data")},
        timeout=120,
    )
    failed = [ln for ln in proc.stdout.splitlines() if ln.startswith("not ok") or "error:" in ln]
    assert proc.returncode == 0, "node --test tests/js failed:\n" + "\n".join(
        failed or [proc.stdout[-3000:], proc.stderr[-3000:]]
    )
    assert "# fail 0" in proc.stdout and "# pass 0" not in proc.stdout, proc.stdout[-2000:]


def engine_predict(node: str, site, requests: list[dict]) -> list[dict]:
    proc = subprocess.run(
        [node, "tests/js/predict.mjs"],
        cwd=REPO,
        input=json.dumps(requests),
        capture_output=True,
        text=True,
        env={**os.environ, "RNN_DATA_DIR": str(site / "data")},
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout)


def random_input(model: dict, rng) -> np.ndarray:
    """float32 values (as model.predict reads them) of the model's batch size (an initial
    state fixes it) and feature count, and another number of time steps."""
    N, _, m = np.shape(model["input"])
    T = int(rng.integers(1, 12))
    return rng.uniform(-2, 2, size=(N, T, m)).astype(np.float32).astype(np.float64)


def differences(got, expected) -> float:
    if isinstance(expected, list):
        assert isinstance(got, list) and len(got) == len(expected), "a list of outputs expected"
        return max(differences(g, e) for g, e in zip(got, expected))
    got, expected = np.asarray(got, dtype=np.float64), np.asarray(expected, dtype=np.float64)
    assert got.shape == expected.shape, f"shape {got.shape}, expected {expected.shape}"
    return float(np.max(np.abs(got - expected)))


def test_every_model_the_engine_computes_matches_the_numpy_replay(node, site):
    rng = np.random.default_rng(17)
    requests, expected = [], []
    for path in sorted((site / "data").glob("*.json")):
        for model in load_data(site, path.stem)["models"]:
            for _ in range(3):
                x = random_input(model, rng)
                requests.append({"slug": path.stem, "name": model["name"], "input": x.tolist()})
                expected.append(replay({**model, "input": x.tolist()}))
    answers = engine_predict(node, site, requests)
    problems, computed = [], 0
    for request, answer, want in zip(requests, answers, expected):
        if "error" in answer:
            continue  # a refusal: tests/js/stepper_data.test.mjs checks that it names the reason
        computed += 1
        where = (
            f"{request['slug']}/{request['name']} on an input of shape {np.shape(request['input'])}"
        )
        try:
            diff = differences(answer["output"], want)
        except AssertionError as exc:
            problems.append(f"{where}: {exc}")
            continue
        if diff > TOLERANCE:
            problems.append(f"{where}: {diff:.2e} from the numpy replay")
    assert computed >= len(requests) // 2, f"the engine computed {computed} of {len(requests)}"
    assert not problems, "\n".join(problems)
