"""Part B: the tables on the page agree with a recomputation from the data file's weights.

Nothing here reuses the example's code: the expected numbers come from the weights and the
input stored in ``data/simple-rnn.json`` and from the SimpleRNN equations, and the page's
numbers are read back from the built HTML.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from conftest import load_data, page_html
from pages import (
    SHOWN_3,
    SHOWN_4,
    model,
    number,
    quoted_size,
    sigmoid,
    table_with_first_cell,
    table_with_header,
    vector,
)
from test_chapters import visible_text

SLUG = "simple-rnn"
SHOWN = SHOWN_3


def evaluate(math: str) -> int:
    """``\\(5 \\times (3 + 5 + 1)\\)`` evaluated."""
    expression = math.removeprefix("\\(").removesuffix("\\)").replace("\\times", "*")
    assert re.fullmatch(r"[\d\s+*()]+", expression), math
    return eval(expression)


# --- recomputing from the data file ------------------------------------------------------


def weights(layer: dict) -> dict[str, np.ndarray]:
    return {k: np.asarray(v, dtype=np.float64) for k, v in layer["weights"].items()}


def states(x: np.ndarray, w: dict[str, np.ndarray], activation=np.tanh) -> np.ndarray:
    """h_t = activation(x_t W_x + h_{t-1} W_h + b_h) from h_{-1} = 0, for x of shape (T, m)."""
    h = np.zeros(w["recurrent_kernel"].shape[0])
    out = []
    for x_t in x:
        h = activation(x_t @ w["kernel"] + h @ w["recurrent_kernel"] + w["bias"])
        out.append(h)
    return np.array(out)


@pytest.fixture(scope="module")
def page(site) -> str:
    return page_html(site, SLUG)


@pytest.fixture(scope="module")
def sequences(site) -> dict:
    return model(site, SLUG, "simple_rnn_sequences")


# --- tests -------------------------------------------------------------------------------


def test_model_is_simple_rnn_then_time_distributed_dense(sequences):
    rnn, out = sequences["layers"]
    assert rnn["class_name"] == "SimpleRNN" and rnn["config"]["return_sequences"] is True
    assert out["class_name"] == "TimeDistributed"
    assert out["config"]["layer"]["config"]["activation"] == "sigmoid"


def test_step_table_matches_a_recomputation_from_the_weights(page, sequences):
    rnn, out = (weights(layer) for layer in sequences["layers"])
    x = np.asarray(sequences["input"], dtype=np.float64)[0]
    h = states(x, rnn)
    y = sigmoid(h @ out["kernel"] + out["bias"])
    rows = table_with_header(page, [r"\(t\)", r"\(x_t\)", r"\(h_t\)", r"\(y_t\)"])
    assert [r[0] for r in rows] == [str(t) for t in range(len(x))]
    for t, (_, x_cell, h_cell, y_cell) in enumerate(rows):
        assert np.max(np.abs(vector(x_cell) - x[t])) < 0.05 + 1e-6, f"x_{t}"
        assert np.max(np.abs(vector(h_cell) - h[t])) < SHOWN, (
            f"h_{t}: page {h_cell}, recomputed {h[t]}"
        )
        assert np.max(np.abs(vector(y_cell) - y[t])) < SHOWN, (
            f"y_{t}: page {y_cell}, recomputed {y[t]}"
        )
    # and the recomputation is Keras's own output
    assert np.max(np.abs(y - np.asarray(sequences["output"])[0])) < 1e-5


def test_tanh_not_sigmoid_reproduces_keras(sequences):
    """The page's point against older write-ups: the state equation uses tanh."""
    rnn, out = (weights(layer) for layer in sequences["layers"])
    assert sequences["layers"][0]["config"]["activation"] == "tanh"
    x = np.asarray(sequences["input"], dtype=np.float64)[0]
    keras_y = np.asarray(sequences["output"])[0]
    with_sigmoid = sigmoid(states(x, rnn, activation=sigmoid) @ out["kernel"] + out["bias"])
    assert np.max(np.abs(with_sigmoid - keras_y)) > 1e-2


@pytest.mark.parametrize("t", [0, 1])
def test_step_in_detail(page, sequences, t):
    rnn = weights(sequences["layers"][0])
    x = np.asarray(sequences["input"], dtype=np.float64)[0]
    h = states(x, rnn)
    h_prev = np.zeros_like(h[0]) if t == 0 else h[t - 1]
    _, rows = table_with_first_cell(page, rf"\(x_{t} W_x\)")
    labels = [r[0] for r in rows]
    assert labels == [
        rf"\(x_{t} W_x\)",
        rf"\(h_{{{t - 1}}} W_h\)",
        r"\(b_h\)",
        "sum",
        rf"\(\class{{c-h}}{{h_{t}}} = \tanh(\text{{sum}})\)",
    ]
    shown = np.array([[number(v) for v in r[1:]] for r in rows])
    expected = np.array(
        [
            x[t] @ rnn["kernel"],
            h_prev @ rnn["recurrent_kernel"],
            rnn["bias"],
            x[t] @ rnn["kernel"] + h_prev @ rnn["recurrent_kernel"] + rnn["bias"],
            h[t],
        ]
    )
    assert np.max(np.abs(shown - expected)) < SHOWN_4
    if t == 0:
        assert not np.any(shown[1]), "h_{-1} = 0: the recurrent term at t = 0 is zero"


def test_last_step_model_returns_the_last_row(page, site, sequences):
    last = model(site, SLUG, "simple_rnn_last_step")
    rnn, dense = last["layers"]
    assert rnn["class_name"] == "SimpleRNN" and rnn["config"]["return_sequences"] is False
    assert dense["class_name"] == "Dense"  # a 2-D input: no TimeDistributed
    for a, b in zip(last["layers"], sequences["layers"]):  # the same weights
        for name in a["weights"]:
            assert np.array_equal(a["weights"][name], b["weights"][name]), name
    assert last["input"] == sequences["input"]
    out, seq_out = np.asarray(last["output"]), np.asarray(sequences["output"])
    assert out.shape == (seq_out.shape[0], seq_out.shape[2])
    assert np.max(np.abs(out - seq_out[:, -1])) < 1e-6
    # the page's comparison table: both rows show h_{T-1} and y_{T-1}
    T = seq_out.shape[1]
    rows = table_with_header(page, ["", rf"\(h_{{{T - 1}}}\)", rf"\(y_{{{T - 1}}}\)"])
    h_last = states(np.asarray(sequences["input"], dtype=np.float64)[0], weights(rnn))[-1]
    assert len(rows) == 2
    for row in rows:
        assert np.max(np.abs(vector(row[1]) - h_last)) < SHOWN
        assert np.max(np.abs(vector(row[2]) - out[0])) < SHOWN


def check_parameter_table(page: str, layers: list[dict], formulas: list[str]) -> None:
    """The parameter table: one row per layer, then the model. Shapes, formula and counts
    agree with the weight arrays of the data file."""
    rows = table_with_header(
        page, ["layer: its weights", "formula", "with the sizes", "formula value", "count_params()"]
    )
    assert len(rows) == len(layers) + 1
    total = 0
    for row, layer, formula in zip(rows, layers, formulas):
        count = sum(int(np.size(w)) for w in layer["weights"].values())
        total += count
        for w in layer["weights"].values():  # every weight's shape is in the row
            assert str(tuple(np.shape(w))) in row[0], f"{np.shape(w)} not in {row[0]!r}"
        assert row[1] == formula
        assert evaluate(row[2]) == count, row
        assert int(row[3]) == count and int(row[4]) == count, row
    assert int(rows[-1][3]) == total and int(rows[-1][4]) == total


def test_parameter_counts_match_the_weight_shapes(page, sequences):
    rnn, out = sequences["layers"]
    m, n = np.shape(rnn["weights"]["kernel"])
    m_out = np.shape(out["weights"]["kernel"])[1]
    assert sum(np.size(w) for w in rnn["weights"].values()) == n * (m + n + 1)
    assert sum(np.size(w) for w in out["weights"].values()) == m_out * (n + 1)
    check_parameter_table(page, sequences["layers"], [r"\(n(m + n + 1)\)", r"\(m'(n + 1)\)"])


def test_sizes_and_shapes_quoted_match_the_data(page, site, sequences):
    text = visible_text(page)
    rnn, out = sequences["layers"]
    x = np.asarray(sequences["input"])
    assert quoted_size(text, "m") == np.shape(rnn["weights"]["kernel"])[0]
    assert quoted_size(text, "n") == np.shape(rnn["weights"]["recurrent_kernel"])[0]
    assert quoted_size(text, "m'") == np.shape(out["weights"]["kernel"])[1]
    assert quoted_size(text, "T") == x.shape[1]
    assert rnn["config"]["units"] == quoted_size(text, "n")
    for entry in load_data(site, SLUG)["models"]:
        for array in (entry["input"], entry["output"]):
            assert str(np.shape(array)) in text, (
                f"{entry['name']}: shape {np.shape(array)} not quoted"
            )
