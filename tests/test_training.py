"""Part G: the training page and its data file agree with computations made here.

The expected values come from the data file ``data/training.json`` (weights, batch, target,
the tape's gradients, the weights after one Adam step) and from formulas written here: the
gradients are checked by central finite differences of the loss, computed with the
independent replay of ``tests/replay.py``; the Adam step is Keras 3's update rule written
again; the chart is read back from the SVG in the built page. Nothing reuses the example's
code, except the build's own check (``publish.check_arrays``), which is the thing under test
in ``test_a_perturbed_gradient_fails_the_build_check``.
"""

from __future__ import annotations

import copy
import re

import numpy as np
import pytest
from conftest import load_data, page_html
from pages import (
    SHOWN_4,
    number,
    table_with_first_cell,
    table_with_header_cell,
    tables,
    text_of,
    vector,
)
from replay import replay

from examples import publish

SLUG = "training"
MODELS = {"simple_rnn": "SimpleRNN", "lstm": "LSTM", "gru": "GRU"}
RECURRENT_ARRAYS = ["kernel", "recurrent_kernel", "bias"]


@pytest.fixture(scope="module")
def page(site) -> str:
    return page_html(site, SLUG)


@pytest.fixture(scope="module")
def text(page) -> str:
    return text_of(page)


@pytest.fixture(scope="module")
def data(site) -> dict:
    return load_data(site, SLUG)


def entry(data: dict, name: str) -> dict:
    return next(m for m in data["models"] if m["name"] == name)


def mse(model: dict) -> float:
    """Keras's mean squared error with the default reduction: the mean of every element."""
    return float(np.mean((replay(model) - np.asarray(model["target"])) ** 2))


def variables(model: dict) -> list[tuple[int, str]]:
    """(layer index, weight name) of every trainable array, in the data file's order."""
    return [(i, k) for i, layer in enumerate(model["layers"]) for k in layer["weights"]]


def finite_difference_gradients(model: dict, step: float = 1e-6) -> dict:
    """The gradient of the loss with respect to every weight, by central differences."""
    grads = {}
    for i, key in variables(model):
        base = np.asarray(model["layers"][i]["weights"][key], dtype=np.float64)
        g = np.zeros_like(base)
        for index in np.ndindex(base.shape):
            losses = []
            for sign in (1, -1):
                probe = copy.deepcopy(model)
                w = base.copy()
                w[index] += sign * step
                probe["layers"][i]["weights"][key] = w
                losses.append(mse(probe))
            g[index] = (losses[0] - losses[1]) / (2 * step)
        grads[f"{i}/{key}"] = g
    return grads


def tape_gradients(model: dict) -> dict:
    return {
        f"{i}/{key}": np.asarray(model["layers"][i]["gradients"][key])
        for i, key in variables(model)
    }


@pytest.mark.parametrize("name", list(MODELS))
def test_data_file_records_a_training_step(data, name):
    model = entry(data, name)
    assert np.shape(model["target"]) == np.shape(model["output"])
    assert model["loss"] == {"name": "mean_squared_error", "reduction": "sum_over_batch_size"}
    assert model["optimizer"]["class_name"] == "Adam"
    assert set(model["optimizer"]["config"]) >= {"learning_rate", "beta_1", "beta_2", "epsilon"}
    for layer in model["layers"]:
        assert set(layer["gradients"]) == set(layer["weights"]) == set(layer["weights_after"])
        for key, w in layer["weights"].items():
            assert np.shape(layer["gradients"][key]) == np.shape(w)
            assert np.shape(layer["weights_after"][key]) == np.shape(w)


@pytest.mark.parametrize("name", list(MODELS))
def test_loss_value_is_the_mean_over_every_element(data, name):
    model = entry(data, name)
    assert abs(mse(model) - model["loss_value"]) < 1e-6


@pytest.mark.parametrize("name", list(MODELS))
def test_tape_gradients_match_finite_differences(data, name):
    """The gradients the page checks its backpropagation against are the loss's gradients."""
    model = entry(data, name)
    expected = finite_difference_gradients(model)
    got = tape_gradients(model)
    for key, g in expected.items():
        assert np.max(np.abs(got[key] - g)) < 1e-6, f"{name}: {key}"
    assert max(np.max(np.abs(g)) for g in expected.values()) > 1e-3  # not all zero


def test_a_perturbed_gradient_fails_the_build_check(data):
    """The build's check (publish.check_arrays) accepts the right gradients and stops on a
    gradient off by more than its tolerance in one entry."""
    model = entry(data, "lstm")
    right = finite_difference_gradients(model)
    keras = tape_gradients(model)
    assert publish.check_arrays("test_gradients", right, keras) <= publish.TOLERANCE
    wrong = {k: v.copy() for k, v in right.items()}
    wrong["0/recurrent_kernel"][2, 5] += 3 * publish.TOLERANCE
    with pytest.raises(publish.ReplayMismatch, match="recurrent_kernel"):
        publish.check_arrays("test_gradients", wrong, keras)
    with pytest.raises(publish.ReplayMismatch):
        publish.check_arrays("test_gradients", {**right, "0/bias": right["0/bias"][:-1]}, keras)


@pytest.mark.parametrize("name", list(MODELS))
def test_weights_after_are_one_adam_step_of_keras_3(data, name):
    """Keras 3's Adam at its first step (keras/src/optimizers/adam.py), written again."""
    model = entry(data, name)
    c = model["optimizer"]["config"]
    lr, b1, b2, eps = c["learning_rate"], c["beta_1"], c["beta_2"], c["epsilon"]
    for layer in model["layers"]:
        for key, w in layer["weights"].items():
            g = np.asarray(layer["gradients"][key], dtype=np.float64)
            m, v = (1 - b1) * g, (1 - b2) * g**2
            alpha = lr * np.sqrt(1 - b2) / (1 - b1)
            expected = np.asarray(w) - alpha * m / (np.sqrt(v) + eps)
            got = np.asarray(layer["weights_after"][key])
            assert np.max(np.abs(got - expected)) < 1e-6, f"{name}: {key}"


def test_optimizer_replays_on_the_page_are_within_tolerance(page):
    header, rows = table_with_header_cell(page, "one epoch of fit (Adam)")
    assert [r[0] for r in rows] == ["SimpleRNN", "LSTM", "GRU"]
    for row in rows:
        for cell in row[1:]:
            assert 0 <= number(cell) <= 1e-6, row


def test_loss_table_agrees_with_the_data_file(page, data):
    header, rows = table_with_header_cell(page, "model.compute_loss")
    for row, name in zip(rows, MODELS):
        assert row[0] == MODELS[name]
        for cell in row[1:]:
            assert abs(number(cell) - entry(data, name)["loss_value"]) <= 0.5e-6 + 1e-9


def test_step_table_last_and_initial_rows(page, data):
    """At the last time step, dL/dh only comes from the head: e_{T-1} W_y^T. The initial
    state's gradient is checked by finite differences through the replay's initial_state."""
    header, rows = table_with_header_cell(page, "GRU \\(\\partial L / \\partial h_t\\)")
    columns = {"simple_rnn": 1, "lstm": 2, "gru": 4}
    for name, col in columns.items():
        model = entry(data, name)
        y, target = replay(model), np.asarray(model["target"])
        dense = model["layers"][-1]["weights"]
        e = 2 * (y - target) / y.size * y * (1 - y)
        expected_last = (e[:, -1] @ np.asarray(dense["kernel"]).T)[0]
        assert np.max(np.abs(vector(rows[0][col]) - expected_last)) <= SHOWN_4, name
        n = np.shape(dense["kernel"])[0]
        states = 2 if name == "lstm" else 1
        h0 = np.zeros(n)
        for j in range(n):
            losses = []
            for sign in (1, -1):
                probe = copy.deepcopy(model)
                start = [np.zeros((len(y), n)) for _ in range(states)]
                start[0][0, j] = sign * 1e-6
                probe["initial_state"] = start
                losses.append(mse(probe))
            h0[j] = (losses[0] - losses[1]) / 2e-6
        assert rows[-1][0].startswith("\\(-1\\)")
        assert np.max(np.abs(vector(rows[-1][col]) - h0)) <= SHOWN_4, name


def series_points(page: str) -> dict[str, np.ndarray]:
    """The (x, y) vertices of each line of the chart, from the SVG in the page."""
    found = {}
    for gid, d in re.findall(r'<g id="series-([\w-]+)">\s*<path d="([^"]+)"', page):
        found[gid] = np.array(
            [[float(v) for v in p.split()] for p in re.findall(r"[ML] ([^ML]+)", d)]
        )
    return found


def test_chart_draws_the_numbers_of_the_table(page):
    """Every line's vertices at the table's rows sit where the table's numbers put them on
    one common linear x axis and one common logarithmic y axis."""
    points = series_points(page)
    columns = []
    for state in ("untrained", "trained"):
        header, rows = table_with_header_cell(page, f"SimpleRNN, {state}")
        columns += [(label, rows, col) for col, label in enumerate(header) if col > 0]
    assert len(points) == len(columns) == 6
    xs, ys, values, ks = [], [], [], []
    for label, rows, col in columns:
        back = [int(r[0]) for r in rows]
        kind, state = label.split(", ")
        line = points[f"{kind}-{state}"]
        assert len(line) == back[-1] + 1, "one vertex per time step"
        for k, row in zip(back, rows):
            mantissa, exponent = re.fullmatch(r"(\S+) × 10 (\S+)", row[col]).groups()
            values.append(np.log10(number(mantissa)) + number(exponent))
            ks.append(k)
            xs.append(line[k, 0])
            ys.append(line[k, 1])
    for coordinate, data in [(xs, ks), (ys, values)]:
        a = np.vstack([data, np.ones(len(data))]).T
        fit, *_ = np.linalg.lstsq(a, np.array(coordinate), rcond=None)
        assert np.max(np.abs(a @ fit - coordinate)) < 0.5, "a vertex is off by half a pixel"


def luminance(colour: str) -> float:
    rgb = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    rgb = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    return 0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2]


def test_chart_is_accessible_and_reads_on_light_and_dark_pages(page):
    svg = re.search(r"<svg[^>]*class=\"chart\".*?</svg>", page, re.S).group(0)
    root = re.match(r"<svg[^>]*>", svg).group(0)
    assert 'role="img"' in root and "aria-labelledby" in root
    assert re.search(r"<title[^>]*>[^<]+</title>", svg) and re.search(r"<desc[^>]*>[^<]+", svg)
    assert "<style" not in svg, "a style sheet inside the SVG would restyle the page"
    assert "<image" not in svg and 'href="http' not in svg
    assert "currentColor" in svg, "text and axes follow the page's text colour"
    for gid in series_points(page):
        group = re.search(rf'<g id="series-{gid}">.*?</g>', svg, re.S).group(0)
        colour = re.search(r"stroke: (#[0-9a-f]{6})", group).group(1)
        for background in ("#ffffff", "#1e2129"):
            hi, lo = sorted([luminance(colour), luminance(background)], reverse=True)
            assert (hi + 0.05) / (lo + 0.05) >= 3, f"{gid}: {colour} on {background}"
    assert re.search(r"<figcaption>Figure 1:", page)


def test_dropout_masks_table_follows_the_keras_source(page, text):
    """One mask per gate block with recurrent_dropout (implementation=1): 1, 4, 3."""
    header, rows = table_with_header_cell(page, "new masks at the next call")
    counts = {r[0]: (r[1].split(",")[0], r[2].split(",")[0]) for r in rows}
    assert counts == {"SimpleRNN": ("1", "1"), "LSTM": ("4", "4"), "GRU": ("3", "3")}
    rate = float(re.search(r"dropout=(0\.\d+) and recurrent_dropout=(0\.\d+)", text).group(1))
    rec = float(re.search(r"dropout=(0\.\d+) and recurrent_dropout=(0\.\d+)", text).group(2))
    for row in rows:
        values = sorted(number(v) for v in row[3].split(", "))
        assert np.allclose(values, sorted([0.0, 1 / (1 - rate), 1 / (1 - rec)]), atol=1e-4)
        assert row[4] == "yes"


def test_stateful_gradient_is_truncated_at_the_batch_boundary(page):
    header, rows = table_with_header_cell(page, "through both batches")
    for row in rows:
        assert number(row[1]) <= 1e-5 < 1e-4 < number(row[2]), row


def test_every_table_of_the_page_is_rectangular(page):
    for header, rows in tables(page):
        assert all(len(r) == len(header) for r in rows), header


@pytest.mark.parametrize(
    ("layer", "key", "first_label"),
    [
        (0, "kernel", "\\(x_{t,1}\\)"),
        (0, "recurrent_kernel", "\\(h_{t-1,1}\\)"),
        (1, "kernel", "\\(h_{t,1}\\)"),
    ],
)
def test_simple_rnn_tables_show_weights_gradient_and_weights_after(
    page, data, layer, key, first_label
):
    """Each row of the array, then its gradient, then the row after the step, as in the
    data file."""
    recorded = entry(data, "simple_rnn")["layers"][layer]
    header, rows = table_with_first_cell(page, f"{first_label} , before")
    expected = []
    for r in range(np.shape(recorded["weights"][key])[0]):
        for field in ("weights", "gradients", "weights_after"):
            expected.append(np.asarray(recorded[field][key])[r])
    shown = np.array([[number(v) for v in row[1:]] for row in rows])
    assert [row[0].rsplit(", ", 1)[1] for row in rows[:3]] == ["before", "gradient", "after"]
    assert shown.shape == np.shape(expected)
    assert np.max(np.abs(shown - np.array(expected))) <= SHOWN_4
