"""Part D: the LSTM page agrees with a recomputation from the data file's weights.

The expected values come from the weights and inputs stored in ``data/lstm.json``, cut into
gates by Keras's documented column order (i, f, c, o), and from the LSTM equations written
here; the page's numbers are read back from the built HTML. Nothing reuses the example's code.
"""

from __future__ import annotations

import inspect
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
    table_with_first_cell,
    table_with_header_cell,
    tables,
    text_of,
    vector,
)

SLUG = "lstm"
GATES = "ifco"  # Keras's column blocks, in order (keras/src/layers/rnn/lstm.py)


def shape_after(text: str, words: str) -> tuple[int, ...]:
    """The shape printed in ``the <words>, of shape (...)``."""
    found = re.findall(r"\bthe " + re.escape(words) + r" , of shape \(([\d, ]+)\)", text)
    assert len(found) == 1, f"{words!r}: {found}"
    return tuple(int(d) for d in found[0].split(",") if d.strip())


def layer_weights(entry: dict, class_name: str) -> dict[str, np.ndarray]:
    layer = next(la for la in entry["layers"] if la["class_name"] == class_name)
    return {k: np.asarray(v, dtype=np.float64) for k, v in layer["weights"].items()}


# --- an LSTM written for the tests ---------------------------------------------------------


def lstm_steps(x: np.ndarray, w: dict[str, np.ndarray], gate=sigmoid) -> list[dict]:
    """Every gate and state of an LSTM at every time step, for x of shape (T, m)."""
    n = w["recurrent_kernel"].shape[0]
    blocks = {g: slice(k * n, (k + 1) * n) for k, g in enumerate(GATES)}
    h, c, out = np.zeros(n), np.zeros(n), []
    for x_t in x:
        pre = {
            g: x_t @ w["kernel"][:, s] + h @ w["recurrent_kernel"][:, s] + w["bias"][s]
            for g, s in blocks.items()
        }
        i, f, cand, o = gate(pre["i"]), gate(pre["f"]), np.tanh(pre["c"]), gate(pre["o"])
        c = f * c + i * cand
        h = o * np.tanh(c)
        out.append({"pre": pre, "i": i, "f": f, "c_tilde": cand, "o": o, "c": c, "h": h})
    return out


@pytest.fixture(scope="module")
def page(site) -> str:
    return page_html(site, SLUG)


@pytest.fixture(scope="module")
def text(page) -> str:
    return text_of(page)


@pytest.fixture(scope="module")
def trained(site) -> dict:
    return model(site, SLUG, "lstm")


# --- tests ---------------------------------------------------------------------------------


def test_gate_tables_show_the_keras_column_blocks(page, trained):
    w = layer_weights(trained, "LSTM")
    m, four_n = w["kernel"].shape
    n = four_n // 4
    names = ["input gate", "forget gate", "candidate", "output gate"]
    for k, g in enumerate(GATES):
        cols = slice(k * n, (k + 1) * n)
        expected = np.vstack(
            [w["kernel"][:, cols], w["recurrent_kernel"][:, cols], w["bias"][cols]]
        )
        header, rows = table_with_header_cell(page, names[k])
        assert header[0] == names[k]
        # rows labelled by the vector component they multiply (site-wide convention)
        assert [r[0] for r in rows] == (
            [f"\\(x_{{t,{r + 1}}}\\)" for r in range(m)]
            + [f"\\(h_{{t-1,{r + 1}}}\\)" for r in range(n)]
            + [f"\\(b_{g}\\)"]
        )
        assert len(header) == n + 1 and all(f"_{{t,{j + 1}}}" in header[j + 1] for j in range(n))
        shown = np.array([[number(v) for v in r[1:]] for r in rows])
        assert shown.shape == expected.shape
        assert np.max(np.abs(shown - expected)) <= SHOWN_4, f"gate {g}: not Keras's block {k}"


def test_block_table_maps_slices_to_gates_in_keras_order(page, trained):
    n = layer_weights(trained, "LSTM")["recurrent_kernel"].shape[0]
    header, rows = table_with_header_cell(page, "Python")
    names = ["input gate", "forget gate", "candidate", "output gate"]
    assert len(rows) == 4
    for k, row in enumerate(rows):
        cells = dict(zip(header, row))
        a, b = k * n, (k + 1) * n
        assert (
            cells["Python"] == f"kernel[:, {a}:{b}] , recurrent_kernel[:, {a}:{b}] , bias[{a}:{b}]"
        )
        assert cells["gate"].startswith(names[k])
        assert cells["columns"] == f"{a} to {b - 1}"


def test_initial_bias_is_one_on_the_forget_block_only(site, page):
    untrained = model(site, SLUG, "lstm_untrained")
    bias = layer_weights(untrained, "LSTM")["bias"]
    n = bias.size // 4
    forget = slice(1 * n, 2 * n)  # block 1 of i, f, c, o
    assert np.all(bias[forget] == 1)
    assert np.all(np.delete(bias, np.arange(n, 2 * n)) == 0)
    header, rows = table_with_header_cell(page, "before training")
    shown = np.concatenate([vector(v) for v in column(header, rows, "before training")])
    assert np.max(np.abs(shown - bias)) <= SHOWN_4
    assert rows[1][0].startswith("forget gate")


def test_trained_bias_is_shown_by_block(page, trained):
    bias = layer_weights(trained, "LSTM")["bias"]
    header, rows = table_with_header_cell(page, "after training")
    shown = np.concatenate([vector(v) for v in column(header, rows, "after training")])
    assert np.max(np.abs(shown - bias)) <= SHOWN_4


def test_untrained_and_trained_models_differ_only_by_training(site, trained):
    untrained = model(site, SLUG, "lstm_untrained")
    assert untrained["input"] == trained["input"]
    for name, w in layer_weights(untrained, "LSTM").items():
        assert w.shape == layer_weights(trained, "LSTM")[name].shape


def test_parameter_count_matches_the_formula_and_the_weights(text, trained):
    w = layer_weights(trained, "LSTM")
    m, n = w["kernel"].shape[0], w["recurrent_kernel"].shape[0]
    count = sum(v.size for v in w.values())
    assert count == 4 * n * (m + n + 1)
    found = re.findall(r"\\\(4 \\cdot (\d+) \\cdot \((\d+) \+ (\d+) \+ 1\) = (\d+)\\\)", text)
    assert found == [(str(n), str(m), str(n), str(count))], found
    assert re.search(rf"count_params\(\) reports {count}\b", text)
    dense = layer_weights(trained, "TimeDistributed")
    total = count + sum(v.size for v in dense.values())
    assert re.search(rf"for {total} in all", text)


def test_sizes_and_shapes_in_the_text_match_the_data(text, trained):
    w = layer_weights(trained, "LSTM")
    x = np.asarray(trained["input"])
    m, n = w["kernel"].shape[0], w["recurrent_kernel"].shape[0]
    assert quoted_size(text, "m") == m and quoted_size(text, "n") == n
    assert quoted_size(text, "m'") == np.shape(trained["output"])[-1]
    assert quoted_size(text, "T") == x.shape[1]
    assert shape_after(text, "kernel") == (m, 4 * n) == w["kernel"].shape
    assert shape_after(text, "recurrent kernel") == (n, 4 * n) == w["recurrent_kernel"].shape
    assert shape_after(text, "bias") == (4 * n,) == w["bias"].shape
    assert re.search(rf"the \\\(4n = {4 * n}\\\)", text)


def test_step_tables_match_a_recomputation(page, trained):
    w = layer_weights(trained, "LSTM")
    dense = layer_weights(trained, "TimeDistributed")
    x = np.asarray(trained["input"], dtype=np.float64)[0]
    steps = lstm_steps(x, w)
    header, rows = table_with_header_cell(page, "\\(f_t\\)")
    assert len(rows) == len(x)
    for key, name in [
        ("i", "\\(i_t\\)"),
        ("f", "\\(f_t\\)"),
        ("c_tilde", "\\(\\tilde c_t\\)"),
        ("o", "\\(o_t\\)"),
    ]:
        shown = np.array([vector(v) for v in column(header, rows, name)])
        assert np.max(np.abs(shown - [s[key] for s in steps])) <= SHOWN_3, name
    header, rows = table_with_header_cell(page, "\\(y_t\\) (numpy)")
    for key, name in [("c", "\\(c_t\\)"), ("h", "\\(h_t\\)")]:
        shown = np.array([vector(v) for v in column(header, rows, name)])
        assert np.max(np.abs(shown - [s[key] for s in steps])) <= SHOWN_3, name
    y = sigmoid(np.array([s["h"] for s in steps]) @ dense["kernel"] + dense["bias"])[:, 0]
    for name in ["\\(y_t\\) (numpy)", "\\(y_t\\) ( model.predict )"]:
        shown = np.array([number(v) for v in column(header, rows, name)])
        assert np.max(np.abs(shown - y)) <= SHOWN_4, name


def test_return_state_gives_output_h_and_c(site, page, trained):
    entry = model(site, SLUG, "lstm_return_state")
    assert entry["layers"][0]["class_name"] == "InputLayer"
    config = entry["layers"][1]["config"]
    assert config["return_state"] and config["return_sequences"]
    output, h, c = (np.asarray(o) for o in entry["output"])
    x = np.asarray(entry["input"], dtype=np.float64)[0]
    steps = lstm_steps(x, layer_weights(trained, "LSTM"))  # the trained LSTM's weights
    assert np.array_equal(output[:, -1], h)
    assert np.max(np.abs(c[0] - steps[-1]["c"])) < 1e-5
    assert np.max(np.abs(c - h)) > 1e-2, "c would be indistinguishable from h"
    header, rows = table_with_first_cell(page, "output[0, -1]")
    shown = np.array([[number(v) for v in r[1:]] for r in rows])
    assert np.max(np.abs(shown - np.vstack([output[0, -1], h[0], c[0]]))) <= SHOWN_4
    assert [r[0] for r in rows] == [
        "output[0, -1]",
        "h_last (second output)",
        "c_last (third output)",
    ]


def test_hard_sigmoid_table_matches_both_definitions(page):
    header, rows = table_with_header_cell(page, "\\(z\\)")
    z = np.array([number(v) for v in column(header, rows, "\\(z\\)")])
    expected = {
        "\\(\\sigma(z)\\)": sigmoid(z),
        "Keras 2: \\(\\mathrm{clip}(0.2 z + 0.5, 0, 1)\\)": np.clip(0.2 * z + 0.5, 0, 1),
        "Keras 3: \\(\\mathrm{clip}(z/6 + 0.5, 0, 1)\\)": np.clip(z / 6 + 0.5, 0, 1),
        "Keras 3, hard_sigmoid(z)": np.clip(z / 6 + 0.5, 0, 1),
    }
    for name, values in expected.items():
        shown = np.array([number(v) for v in column(header, rows, name)])
        assert np.max(np.abs(shown - values)) <= SHOWN_4, name
    keras2 = np.clip(0.2 * z + 0.5, 0, 1)
    assert np.max(np.abs(keras2 - np.clip(z / 6 + 0.5, 0, 1))) > 0.05  # the table shows a change


def test_hard_sigmoid_differences_quoted_match_a_recomputation(site, text, trained):
    hard = model(site, SLUG, "lstm_hard_sigmoid")
    lstm_config = next(la for la in hard["layers"] if la["class_name"] == "LSTM")["config"]
    assert lstm_config["recurrent_activation"] == "hard_sigmoid"
    w, dense = layer_weights(trained, "LSTM"), layer_weights(trained, "TimeDistributed")
    for name, value in layer_weights(hard, "LSTM").items():
        assert np.array_equal(value, w[name]), (
            "the hard_sigmoid model must reuse the trained weights"
        )
    x = np.asarray(trained["input"], dtype=np.float64)[0]

    def outputs(gate):
        hs = np.array([s["h"] for s in lstm_steps(x, w, gate)])
        return sigmoid(hs @ dense["kernel"] + dense["bias"])

    keras3 = outputs(lambda v: np.clip(v / 6 + 0.5, 0, 1))
    keras2 = outputs(lambda v: np.clip(0.2 * v + 0.5, 0, 1))
    assert np.max(np.abs(keras3 - np.asarray(hard["output"])[0])) < 1e-5
    quoted = number(re.search(r"moves the output by up to (\S+) from", text).group(1))
    assert abs(quoted - np.max(np.abs(keras3 - np.asarray(trained["output"])[0]))) <= SHOWN_4
    quoted = number(re.search(r"gives outputs up to (\S+) apart", text).group(1))
    assert abs(quoted - np.max(np.abs(keras2 - keras3))) <= SHOWN_4
    assert quoted > 1e-3


def test_gru_bias_shapes_of_the_two_defaults(text):
    m, n = quoted_size(text, "m"), quoted_size(text, "n")
    assert f"default has a bias of shape (2, {3 * n}) and {3 * n * (m + n + 2)} parameters" in text
    assert f"default a bias of shape ({3 * n},) and {3 * n * (m + n + 1)} parameters" in text


# --- one time step by hand, the textbook form, the target rule -----------------------------


def hand_step(text: str) -> int:
    found = re.findall(r"Take time step \\\(t = (\d+)\\\)", text)
    assert len(found) == 1, found
    return int(found[0])


def test_one_time_step_cuts_the_4n_preactivations_into_i_f_c_o(page, text, trained):
    w = layer_weights(trained, "LSTM")
    n = w["recurrent_kernel"].shape[0]
    x = np.asarray(trained["input"], dtype=np.float64)[0]
    t = hand_step(text)
    assert 0 < t < len(x), "the step by hand needs a previous state that is not zero"
    steps = lstm_steps(x, w)
    h_prev = steps[t - 1]["h"]
    from_x, from_h = x[t] @ w["kernel"], h_prev @ w["recurrent_kernel"]
    header, rows = table_with_header_cell(page, "\\(h_{t-1}\\) @ recurrent_kernel")
    assert len(rows) == 4 * n
    # column k of the 4n: block k // n (i, f, c, o), unit k % n
    assert column(header, rows, "column: block, unit") == [
        f"{k}: {GATES[k // n]} , unit {k % n + 1}" for k in range(4 * n)
    ]
    pre = np.concatenate([steps[t]["pre"][g] for g in GATES])
    gates = np.concatenate([steps[t][k] for k in ("i", "f", "c_tilde", "o")])
    for name, values in [
        ("\\(x_t\\) @ kernel", from_x),
        ("\\(h_{t-1}\\) @ recurrent_kernel", from_h),
        ("bias", w["bias"]),
        ("sum", pre),
        ("gate: \\(\\sigma\\) of the sum (tanh for c)", gates),
    ]:
        shown = np.array([number(v) for v in column(header, rows, name)])
        assert np.max(np.abs(shown - values)) <= SHOWN_4, name
    assert np.max(np.abs(from_x + from_h + w["bias"] - pre)) < 1e-9


def test_one_time_step_states_unit_by_unit(page, text, trained):
    w = layer_weights(trained, "LSTM")
    x = np.asarray(trained["input"], dtype=np.float64)[0]
    t = hand_step(text)
    steps = lstm_steps(x, w)
    s, c_prev = steps[t], steps[t - 1]["c"]
    header, rows = table_with_header_cell(page, "\\(f_t\\) \\(\\odot\\) \\(c_{t-1}\\)")
    expected = {
        "\\(c_{t-1}\\)": c_prev,
        "\\(f_t\\) \\(\\odot\\) \\(c_{t-1}\\)": s["f"] * c_prev,
        "\\(i_t\\) \\(\\odot\\) \\(\\tilde c_t\\)": s["i"] * s["c_tilde"],
        "\\(c_t\\)": s["c"],
        "\\(o_t\\)": s["o"],
        "\\(\\tanh(\\class{c-cell}{c_t})\\)": np.tanh(s["c"]),
        "\\(h_t\\)": s["h"],
    }
    for name, values in expected.items():
        shown = np.array([number(v) for v in column(header, rows, name)])
        assert np.max(np.abs(shown - values)) <= SHOWN_4, name


def test_textbook_matrix_is_the_transposed_stack_of_the_keras_blocks(page, trained):
    """colah's W_f acts on [h_{t-1}, x_t]: recurrent_kernel's f block over kernel's, transposed."""
    w = layer_weights(trained, "LSTM")
    m, n = w["kernel"].shape[0], w["recurrent_kernel"].shape[0]
    f = slice(n, 2 * n)  # block 1 of i, f, c, o
    W_f = np.vstack([w["recurrent_kernel"][:, f], w["kernel"][:, f]]).T
    header, rows = table_with_header_cell(page, "\\(W_f\\) and \\(b_f\\)")
    assert header[1:] == (
        [f"\\(h_{{t-1,{k + 1}}}\\)" for k in range(n)]
        + [f"\\(x_{{t,{k + 1}}}\\)" for k in range(m)]
        + ["\\(b_f\\)"]
    )
    assert [r[0] for r in rows] == [f"\\(f_{{t,{j + 1}}}\\)" for j in range(n)]
    shown = np.array([[number(v) for v in r[1:]] for r in rows])
    assert np.max(np.abs(shown - np.hstack([W_f, w["bias"][f, np.newaxis]]))) <= SHOWN_4
    # the textbook equation with that matrix gives the model's forget gate
    x = np.asarray(trained["input"], dtype=np.float64)[0]
    steps = lstm_steps(x, w)
    for t in range(1, len(x)):
        f_t = sigmoid(W_f @ np.concatenate([steps[t - 1]["h"], x[t]]) + w["bias"][f])
        assert np.max(np.abs(f_t - steps[t]["f"])) < 1e-9


def lstm_outputs(entry: dict, trained: dict) -> np.ndarray:
    w, dense = layer_weights(trained, "LSTM"), layer_weights(trained, "TimeDistributed")
    x = np.asarray(entry["input"], dtype=np.float64)[0]
    hs = np.array([s["h"] for s in lstm_steps(x, w)])
    return sigmoid(hs @ dense["kernel"] + dense["bias"])[:, 0]


def target_rule(x: np.ndarray) -> np.ndarray:
    return sigmoid(2 * np.cumsum(x[:, 0] - x[:, 1]))


@pytest.mark.parametrize(
    "model_name, sentence",
    [
        ("lstm", r"it is off by up to ([^\s,]+), where"),
        ("lstm_typical", r"stays within (\S+) of the rule"),
    ],
)
def test_model_against_the_target_rule(site, page, text, trained, model_name, sentence):
    entry = model(site, SLUG, model_name)
    for name, value in layer_weights(entry, "LSTM").items():
        assert np.array_equal(value, layer_weights(trained, "LSTM")[name]), "the trained LSTM"
    x = np.asarray(entry["input"], dtype=np.float64)[0]
    y, rule = lstm_outputs(entry, trained), target_rule(x)
    assert np.max(np.abs(y - np.asarray(entry["output"])[0, :, 0])) < 1e-5
    found = [
        (h, rows)
        for h, rows in tables(page)
        if "difference" in h
        and "target rule" in h
        and np.allclose([vector(r[1]) for r in rows], x, atol=SHOWN_3)
    ]
    assert len(found) == 1, f"{model_name}: {len(found)} tables with this input"
    header, rows = found[0]
    for name, values in [
        ("running sum", np.cumsum(x[:, 0] - x[:, 1])),
        ("target rule", rule),
        ("\\(y_t\\) ( model.predict )", y),
        ("difference", y - rule),
    ]:
        shown = np.array([number(v) for v in column(header, rows, name)])
        assert np.max(np.abs(shown - values)) <= SHOWN_4, name
    quoted = number(re.search(sentence, text).group(1))
    assert abs(quoted - np.max(np.abs(y - rule))) <= SHOWN_4


def test_the_new_sequence_leaves_the_training_range_where_the_page_says(page, text, trained):
    x = np.asarray(trained["input"], dtype=np.float64)[0]
    found = [
        (h, rows)
        for h, rows in tables(page)
        if "running sums in training" in h
        and np.allclose([vector(r[1]) for r in rows], x, atol=SHOWN_3)
    ]
    assert len(found) == 1
    header, rows = found[0]
    sums = [number(v) for v in column(header, rows, "running sum")]
    ranges = [
        [number(v) for v in r.split(" to ")]
        for r in column(header, rows, "running sums in training")
    ]
    beyond = [str(t) for t, (s, (lo, hi)) in enumerate(zip(sums, ranges)) if not lo <= s <= hi]
    assert beyond, "the page explains the gap by the edge of the training data"
    steps = "time step" if len(beyond) == 1 else "time steps"
    assert f"cover at {steps} {', '.join(beyond)}:" in text


def test_typical_sequence_is_closer_to_the_rule_than_the_edge_one(site, trained):
    edge, typical = model(site, SLUG, "lstm"), model(site, SLUG, "lstm_typical")
    gaps = [
        np.max(np.abs(lstm_outputs(e, trained) - target_rule(np.asarray(e["input"])[0])))
        for e in (edge, typical)
    ]
    assert gaps[1] < gaps[0]


# --- wording, probes, code width -----------------------------------------------------------


def test_plural_follows_the_number_of_output_features(text, trained):
    m_out = np.shape(trained["output"])[-1]
    noun = "feature" if m_out == 1 else "features"
    assert re.search(rf"\\\(m' = {m_out}\\\) {noun}\b", text)
    assert not re.search(rf"\\\(m' = {m_out}\\\) {'features' if m_out == 1 else 'feature'}\b", text)


def test_peephole_probe_matches_keras(text):
    arguments = inspect.signature(keras.layers.LSTM).parameters
    cell = keras.layers.LSTMCell(2)
    cell.build((None, 3))
    has_peepholes = any("peephole" in a for a in arguments) or len(cell.weights) != 3
    assert not has_peepholes, "Keras has peepholes now: the page must say so"
    assert "finds no peephole argument, no peephole weights" in text


def test_initial_state_points_to_the_mask_warning(page):
    link = re.search(
        r'initial_state=\[h_last, c_last\]\)</code>.{0,300}?href="([^"]+)"', page, re.S
    )
    assert link and link.group(1).endswith("layer-options/#mask-and-initial-state"), link
