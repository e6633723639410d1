"""Part C: the tables on the page agree with a recomputation from the data file's weights.

The expected numbers come from ``data/stacked-rnn.json`` (weights, input, ``model.predict``
output) and the SimpleRNN equations, applied layer after layer; the page's numbers are read
back from the built HTML.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import page_html
from pages import SHOWN_3 as SHOWN
from pages import (
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
from test_simple_rnn import check_parameter_table, states, weights

SLUG = "stacked-rnn"


@pytest.fixture(scope="module")
def page(site) -> str:
    return page_html(site, SLUG)


@pytest.fixture(scope="module")
def stacked(site) -> dict:
    return model(site, SLUG, "stacked_rnn")


@pytest.fixture(scope="module")
def recomputed(stacked) -> dict[str, np.ndarray]:
    first, second, out = (weights(layer) for layer in stacked["layers"])
    x = np.asarray(stacked["input"], dtype=np.float64)[0]
    h = states(x, first)
    h2 = states(h, second)  # the second layer reads the first layer's states
    return {"x": x, "h": h, "h2": h2, "y": sigmoid(h2 @ out["kernel"] + out["bias"])}


def test_both_recurrent_layers_return_sequences(stacked):
    first, second, out = stacked["layers"]
    assert first["class_name"] == second["class_name"] == "SimpleRNN"
    assert first["config"]["return_sequences"] and second["config"]["return_sequences"]
    assert out["class_name"] == "TimeDistributed"


def test_recomputation_is_keras_output(stacked, recomputed):
    assert np.max(np.abs(recomputed["y"] - np.asarray(stacked["output"])[0])) < 1e-5


def test_step_table_shows_both_states(page, recomputed):
    rows = table_with_header(page, [r"\(t\)", r"\(x_t\)", r"\(h_t\)", r"\(h'_t\)", r"\(y_t\)"])
    x, h, h2, y = (recomputed[k] for k in ("x", "h", "h2", "y"))
    assert [r[0] for r in rows] == [str(t) for t in range(len(x))]
    for t, (_, x_cell, h_cell, h2_cell, y_cell) in enumerate(rows):
        assert np.max(np.abs(vector(x_cell) - x[t])) < 0.05 + 1e-6, f"x_{t}"
        assert np.max(np.abs(vector(h_cell) - h[t])) < SHOWN, f"h_{t}"
        assert np.max(np.abs(vector(h2_cell) - h2[t])) < SHOWN, f"h'_{t}"
        assert np.max(np.abs(vector(y_cell) - y[t])) < SHOWN, f"y_{t}"


def test_second_layer_step_in_detail(page, stacked, recomputed):
    second = weights(stacked["layers"][1])
    h, h2, t = recomputed["h"], recomputed["h2"], 1
    _, rows = table_with_first_cell(page, r"\(h_1 W'_x\)")
    assert [r[0] for r in rows] == [
        r"\(h_1 W'_x\)",
        r"\(h'_0 W'_h\)",
        r"\(b'_h\)",
        "sum",
        r"\(\class{c-h2}{h'_1} = \tanh(\text{sum})\)",
    ]
    shown = np.array([[number(v) for v in r[1:]] for r in rows])
    total = h[t] @ second["kernel"] + h2[t - 1] @ second["recurrent_kernel"] + second["bias"]
    expected = np.array(
        [
            h[t] @ second["kernel"],
            h2[t - 1] @ second["recurrent_kernel"],
            second["bias"],
            total,
            h2[t],
        ]
    )
    assert np.max(np.abs(shown - expected)) < SHOWN_4


def test_parameter_counts_match_the_weight_shapes(page, stacked):
    first, second, out = stacked["layers"]
    m, n = np.shape(first["weights"]["kernel"])
    n2 = np.shape(second["weights"]["recurrent_kernel"])[0]
    m_out = np.shape(out["weights"]["kernel"])[1]
    assert np.shape(second["weights"]["kernel"]) == (n, n2)  # W'_x: (n, n')
    assert sum(np.size(w) for w in second["weights"].values()) == n2 * (n + n2 + 1)
    assert sum(np.size(w) for w in out["weights"].values()) == m_out * (n2 + 1)
    check_parameter_table(
        page, stacked["layers"], [r"\(n(m + n + 1)\)", r"\(n'(n + n' + 1)\)", r"\(m'(n' + 1)\)"]
    )


def test_sizes_and_shapes_quoted_match_the_data(page, stacked):
    text = visible_text(page)
    first, second, out = stacked["layers"]
    assert quoted_size(text, "m") == np.shape(first["weights"]["kernel"])[0]
    assert quoted_size(text, "n") == np.shape(first["weights"]["recurrent_kernel"])[0]
    assert quoted_size(text, "n'") == np.shape(second["weights"]["recurrent_kernel"])[0]
    assert quoted_size(text, "m'") == np.shape(out["weights"]["kernel"])[1]
    assert quoted_size(text, "T") == np.shape(stacked["input"])[1]
    for array in (stacked["input"], stacked["output"]):
        assert str(np.shape(array)) in text


def test_error_message_shows_the_missing_time_axis(page, stacked):
    """Keras's message, on the page, names the 2-D shape (None, n) of the first layer's output."""
    n = np.shape(stacked["layers"][0]["weights"]["recurrent_kernel"])[0]
    text = " ".join(visible_text(page).split())
    assert "expected ndim=3, found ndim=2" in text
    assert f"Full shape received: (None, {n})" in text
