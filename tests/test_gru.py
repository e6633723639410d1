"""Part E: the GRU page agrees with a recomputation from the data file's weights.

The expected values come from the weights and inputs stored in ``data/gru.json``, cut into
gates by Keras's documented column order (z, r, h) and bias rows (input side, recurrent side),
and from both sets of GRU equations written here; the page's numbers are read back from the
built HTML. Nothing reuses the example's code.
"""

from __future__ import annotations

import re

import keras
import numpy as np
import pytest
from conftest import page_html
from pages import (
    SHOWN_3,
    SHOWN_4,
    column,
    model,
    number,
    quoted_size,
    sigmoid,
    table_with_header_cell,
    text_of,
    vector,
)
from test_lstm import layer_weights, shape_after

SLUG = "gru"
GATES = "zrh"  # Keras's column blocks, in order (keras/src/layers/rnn/gru.py)
NAMES = ["update gate", "reset gate", "candidate"]


def gru_steps(x: np.ndarray, w: dict[str, np.ndarray], reset_after: bool) -> list[dict]:
    """Every gate and state of a GRU at every time step, for x of shape (T, m)."""
    n = w["recurrent_kernel"].shape[0]
    z_, r_, h_ = (slice(k * n, (k + 1) * n) for k in range(3))
    K, R = w["kernel"], w["recurrent_kernel"]
    if reset_after:
        b_in, b_rec = w["bias"][0], w["bias"][1]
    else:
        b_in, b_rec = w["bias"], np.zeros(3 * n)
    h, out = np.zeros(n), []
    for x_t in x:
        z = sigmoid(x_t @ K[:, z_] + b_in[z_] + h @ R[:, z_] + b_rec[z_])
        r = sigmoid(x_t @ K[:, r_] + b_in[r_] + h @ R[:, r_] + b_rec[r_])
        if reset_after:
            recurrent = h @ R[:, h_] + b_rec[h_]
            cand = np.tanh(x_t @ K[:, h_] + b_in[h_] + r * recurrent)
        else:
            recurrent = None
            cand = np.tanh(x_t @ K[:, h_] + b_in[h_] + (r * h) @ R[:, h_])
        sides = {"input": x_t @ K + b_in, "recurrent_side": h @ R + b_rec}
        h = z * h + (1 - z) * cand
        out.append({"z": z, "r": r, "recurrent": recurrent, "h_tilde": cand, "h": h} | sides)
    return out


@pytest.fixture(scope="module")
def page(site) -> str:
    return page_html(site, SLUG)


@pytest.fixture(scope="module")
def text(page) -> str:
    return text_of(page)


@pytest.fixture(scope="module")
def default(site) -> dict:
    return model(site, SLUG, "gru")


@pytest.fixture(scope="module")
def before(site) -> dict:
    return model(site, SLUG, "gru_reset_before")


def gru_config(entry: dict) -> dict:
    return next(la for la in entry["layers"] if la["class_name"] == "GRU")["config"]


def test_gate_tables_show_the_keras_column_blocks_and_bias_rows(page, default):
    w = layer_weights(default, "GRU")
    m, three_n = w["kernel"].shape
    n = three_n // 3
    for k, g in enumerate(GATES):
        cols = slice(k * n, (k + 1) * n)
        expected = np.vstack(
            [
                w["kernel"][:, cols],
                w["recurrent_kernel"][:, cols],
                w["bias"][0, cols],
                w["bias"][1, cols],
            ]
        )
        header, rows = table_with_header_cell(page, NAMES[k])
        assert header[0] == NAMES[k]
        # rows labelled by the vector component they multiply (site-wide convention)
        assert [r[0] for r in rows] == (
            [f"\\(x_{{t,{r + 1}}}\\)" for r in range(m)]
            + [f"\\(h_{{t-1,{r + 1}}}\\)" for r in range(n)]
            + [f"\\(b_{{x{g}}}\\) ( bias[0] )", f"\\(b_{{h{g}}}\\) ( bias[1] )"]
        )
        assert len(header) == n + 1 and all(f"_{{t,{j + 1}}}" in header[j + 1] for j in range(n))
        shown = np.array([[number(v) for v in r[1:]] for r in rows])
        assert shown.shape == expected.shape
        assert np.max(np.abs(shown - expected)) <= SHOWN_4, f"gate {g}: not Keras's block {k}"


def test_block_table_maps_slices_to_gates_in_keras_order(page, default):
    n = layer_weights(default, "GRU")["recurrent_kernel"].shape[0]
    header, rows = table_with_header_cell(page, "Python")
    names = ["update gate", "reset gate", "candidate"]
    assert len(rows) == 3
    for k, row in enumerate(rows):
        cells = dict(zip(header, row))
        a, b = k * n, (k + 1) * n
        assert (
            cells["Python"]
            == f"kernel[:, {a}:{b}] , recurrent_kernel[:, {a}:{b}] , bias[:, {a}:{b}]"
        )
        assert cells["gate"].startswith(names[k])


def test_bias_shapes_of_the_two_formulations(default, before):
    assert gru_config(default)["reset_after"] is True
    assert gru_config(before)["reset_after"] is False
    w, v = layer_weights(default, "GRU"), layer_weights(before, "GRU")
    n = w["recurrent_kernel"].shape[0]
    assert w["bias"].shape == (2, 3 * n)
    assert v["bias"].shape == (3 * n,)
    assert (
        w["kernel"].shape == v["kernel"].shape
        and w["recurrent_kernel"].shape == v["recurrent_kernel"].shape
    )


def test_parameter_counts_match_the_formulas_and_the_weights(text, default, before):
    w, v = layer_weights(default, "GRU"), layer_weights(before, "GRU")
    m, n = w["kernel"].shape[0], w["recurrent_kernel"].shape[0]
    assert v["bias"].shape == (3 * n,), "the reset-before model has one bias row"
    after_count, before_count = sum(a.size for a in w.values()), sum(a.size for a in v.values())
    assert after_count == 3 * n * (m + n + 2)
    assert before_count == 3 * n * (m + n + 1)
    assert re.findall(r"3 \\cdot (\d+) \\cdot \((\d+) \+ (\d+) \+ (\d)\) = (\d+)\\\)", text) == [
        (str(n), str(m), str(n), "2", str(after_count)),
        (str(n), str(m), str(n), "1", str(before_count)),
    ]
    assert re.search(rf"count_params\(\) reports {after_count}\b", text)
    assert re.search(rf"count_params\(\) reports {before_count}\b", text)


def test_sizes_and_shapes_in_the_text_match_the_data(text, default, before):
    w, v = layer_weights(default, "GRU"), layer_weights(before, "GRU")
    m, n = w["kernel"].shape[0], w["recurrent_kernel"].shape[0]
    assert v["bias"].shape == (3 * n,), "the reset-before model has one bias row"
    assert quoted_size(text, "m") == m and quoted_size(text, "n") == n
    assert quoted_size(text, "m'") == np.shape(default["output"])[-1]
    assert quoted_size(text, "T") == np.shape(default["input"])[1]
    assert shape_after(text, "kernel") == (m, 3 * n) == w["kernel"].shape
    assert shape_after(text, "recurrent kernel") == (n, 3 * n) == w["recurrent_kernel"].shape
    assert shape_after(text, "bias") == (2, 3 * n) == w["bias"].shape
    assert re.search(rf"the bias is one row, of shape \({3 * n},\)", text)
    assert f"shape ({3 * n},) : one row" in text  # the side-by-side table
    assert f"shape (2, {3 * n}) : input side (row 0), recurrent side (row 1)" in text


def test_step_tables_match_a_recomputation(page, default):
    w, dense = layer_weights(default, "GRU"), layer_weights(default, "TimeDistributed")
    x = np.asarray(default["input"], dtype=np.float64)[0]
    steps = gru_steps(x, w, reset_after=True)
    header, rows = table_with_header_cell(page, "\\(h_{t-1} W_{hh} + b_{hh}\\)")
    assert len(rows) == len(x)
    recurrent = np.array([s["recurrent"] for s in steps])
    r = np.array([s["r"] for s in steps])
    expected = {
        "\\(z_t\\)": [s["z"] for s in steps],
        "\\(r_t\\)": r,
        "\\(h_{t-1} W_{hh} + b_{hh}\\)": recurrent,
        "\\(r_t\\) \\(\\odot (h_{t-1} W_{hh} + b_{hh})\\)": r * recurrent,
    }
    for name, values in expected.items():
        shown = np.array([vector(v) for v in column(header, rows, name)])
        assert np.max(np.abs(shown - values)) <= SHOWN_3, name
    header, rows = table_with_header_cell(page, "\\(y_t\\) (numpy)")
    for key, name in [("h_tilde", "\\(\\tilde h_t\\)"), ("h", "\\(h_t\\)")]:
        shown = np.array([vector(v) for v in column(header, rows, name)])
        assert np.max(np.abs(shown - [s[key] for s in steps])) <= SHOWN_3, name
    y = sigmoid(np.array([s["h"] for s in steps]) @ dense["kernel"] + dense["bias"])[:, 0]
    for name in ["\\(y_t\\) (numpy)", "\\(y_t\\) ( model.predict )"]:
        shown = np.array([number(v) for v in column(header, rows, name)])
        assert np.max(np.abs(shown - y)) <= SHOWN_4, name


def test_reset_before_model_replays_with_its_own_equations_only(before):
    w, dense = layer_weights(before, "GRU"), layer_weights(before, "TimeDistributed")
    x = np.asarray(before["input"], dtype=np.float64)[0]
    predicted = np.asarray(before["output"])[0]

    def y(reset_after, weights):
        hs = np.array([s["h"] for s in gru_steps(x, weights, reset_after)])
        return sigmoid(hs @ dense["kernel"] + dense["bias"])

    assert np.max(np.abs(y(False, w) - predicted)) < 1e-5
    as_reset_after = dict(w, bias=np.vstack([w["bias"], np.zeros_like(w["bias"])]))
    assert np.max(np.abs(y(True, as_reset_after) - predicted)) > 1e-3


def test_reset_before_bias_table(page, before):
    bias = layer_weights(before, "GRU")["bias"]
    n = bias.size // 3
    header, rows = table_with_header_cell(page, "unit 1")
    # the candidate's block is b_{\\tilde h}: b_h is SimpleRNN's bias only
    symbols = ["z", "r", "\\tilde h"]
    assert [r[0] for r in rows] == [
        f"\\(b_{{{g}}}\\) ( bias[{k * n}:{(k + 1) * n}] )" for k, g in enumerate(symbols)
    ]
    shown = np.array([[number(v) for v in r[1:]] for r in rows])
    assert np.max(np.abs(shown - bias.reshape(3, n))) <= SHOWN_4


def test_wrong_variant_error_quoted_matches_a_recomputation(text, default):
    """The reset-before equations with the default model's weights (both bias rows added)."""
    w, dense = layer_weights(default, "GRU"), layer_weights(default, "TimeDistributed")
    x = np.asarray(default["input"], dtype=np.float64)[0]
    n = w["recurrent_kernel"].shape[0]
    merged = {
        "kernel": w["kernel"],
        "recurrent_kernel": w["recurrent_kernel"],
        "bias": w["bias"][0] + w["bias"][1],
    }
    hs = np.array([s["h"] for s in gru_steps(x, merged, reset_after=False)])
    wrong = sigmoid(hs @ dense["kernel"] + dense["bias"])
    error = np.max(np.abs(wrong - np.asarray(default["output"])[0]))
    quoted = re.search(r"\(and (\S+) on the sequence of the tables\)", text)
    assert abs(number(quoted.group(1)) - error) <= SHOWN_4
    assert error > 1e-3
    assert n == quoted_size(text, "n")


def test_bias_rows_equal_on_z_and_r_only(default):
    """What the page says about the two bias rows of the trained model."""
    bias = layer_weights(default, "GRU")["bias"]
    n = bias.shape[1] // 3
    assert np.max(np.abs(bias[0, : 2 * n] - bias[1, : 2 * n])) < 1e-6
    assert np.max(np.abs(bias[0, 2 * n :] - bias[1, 2 * n :])) > 1e-3


# --- one time step by hand ---------------------------------------------------------------


def hand_step(text: str) -> int:
    found = re.findall(r"Take time step \\\(t = (\d+)\\\)", text)
    assert len(found) == 1, found
    return int(found[0])


def numbers(header, rows, name) -> np.ndarray:
    return np.array([number(v) for v in column(header, rows, name)])


def test_one_time_step_shows_both_sides_cut_into_z_r_h(page, text, default):
    w = layer_weights(default, "GRU")
    n = w["recurrent_kernel"].shape[0]
    x = np.asarray(default["input"], dtype=np.float64)[0]
    t = hand_step(text)
    assert 0 < t < len(x), "the step by hand needs a previous state that is not zero"
    h_prev = gru_steps(x, w, reset_after=True)[t - 1]["h"]
    labels = [f"{k}: {GATES[k // n]} , unit {k % n + 1}" for k in range(3 * n)]
    for side, expected in [
        (
            "input side",
            {
                "\\(x_t\\) @ kernel": x[t] @ w["kernel"],
                "bias[0]": w["bias"][0],
                "input side": x[t] @ w["kernel"] + w["bias"][0],
            },
        ),
        (
            "recurrent side",
            {
                "\\(h_{t-1}\\) @ recurrent_kernel": h_prev @ w["recurrent_kernel"],
                "bias[1]": w["bias"][1],
                "recurrent side": h_prev @ w["recurrent_kernel"] + w["bias"][1],
            },
        ),
    ]:
        header, rows = table_with_header_cell(page, side)
        # column k of the 3n: block k // n (z, r, h), unit k % n
        assert column(header, rows, "column: block, unit") == labels, side
        for name, values in expected.items():
            assert np.max(np.abs(numbers(header, rows, name) - values)) <= SHOWN_4, name


def test_one_time_step_gates_and_where_r_multiplies(page, text, default):
    w = layer_weights(default, "GRU")
    n = w["recurrent_kernel"].shape[0]
    x = np.asarray(default["input"], dtype=np.float64)[0]
    t = hand_step(text)
    steps = gru_steps(x, w, reset_after=True)
    s, h_prev = steps[t], steps[t - 1]["h"]
    z_, r_, h_ = (slice(k * n, (k + 1) * n) for k in range(3))
    inp, rec = s["input"], s["recurrent_side"]
    header, rows = table_with_header_cell(page, "z block: input + recurrent side")
    for name, values in [
        ("z block: input + recurrent side", inp[z_] + rec[z_]),
        ("\\(z_t\\)", s["z"]),
        ("r block: input + recurrent side", inp[r_] + rec[r_]),
        ("\\(r_t\\)", s["r"]),
    ]:
        assert np.max(np.abs(numbers(header, rows, name) - values)) <= SHOWN_4, name
    header, rows = table_with_header_cell(page, "h block: recurrent side")
    for name, values in [
        ("h block: input side", inp[h_]),
        ("h block: recurrent side", rec[h_]),
        # reset after: r_t multiplies the recurrent side of the candidate block, bias included
        ("\\(r_t\\) \\(\\odot\\) recurrent side", s["r"] * rec[h_]),
        ("sum", inp[h_] + s["r"] * rec[h_]),
        ("\\(\\tilde h_t\\)", s["h_tilde"]),
        ("\\(h_{t-1}\\)", h_prev),
        ("\\(h_t\\)", s["h"]),
    ]:
        assert np.max(np.abs(numbers(header, rows, name) - values)) <= SHOWN_4, name


# --- history, wording, code width ------------------------------------------------------


def test_history_quotes_the_keras_docstring_and_the_default(page, text):
    docstring = " ".join(keras.layers.GRU.__doc__.split())
    assert keras.layers.GRU(2).reset_after is True
    assert "has *reset_after=True*" in page or "has reset_after=True" in text
    quote = re.search(r"<blockquote>(.*?)</blockquote>", page, re.S)
    assert quote, "the docstring is quoted"
    quoted = text_of(quote.group(1))
    assert quoted.startswith("The default one is based on v3")
    # the quote is the docstring's sentence, links as text
    plain = re.sub(r"\[([^\]]+)\]\([^)]+\)", r"\1", docstring)
    assert quoted in plain
    assert 'href="https://arxiv.org/abs/1406.1078v1"' in page
    assert 'href="https://arxiv.org/abs/1406.1078v3"' in page
    assert "Before Keras 2.1.5, the reset-before form was the only GRU in Keras." in text
    assert "first version of Cho" not in text


def test_plural_follows_the_number_of_output_features(text, default):
    m_out = np.shape(default["output"])[-1]
    noun = "feature" if m_out == 1 else "features"
    assert re.search(rf"\\\(m' = {m_out}\\\) {noun}\b", text)


def test_reset_before_bias_is_never_called_b_h(text):
    """b_h is SimpleRNN's bias only; the reset-before candidate's bias block is b_{\\tilde h}."""
    equations = [e for e in re.findall(r"\\\[(.*?)\\\]", text, re.S) if "\\tag{7}" in e]
    assert len(equations) == 1
    candidate = equations[0].split("\\tag{6}")[1].split("\\tag{7}")[0]
    assert "b_{\\tilde h}" in candidate and not re.search(r"b_h\b", candidate), candidate
