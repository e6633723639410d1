"""Part F: the layer options page agrees with recomputations from its data file.

Every model of ``data/layer-options.json`` is replayed by ``tests/replay.py`` (the stateful model
call after call), and the page's tables are checked against an LSTM written here, run forwards,
backwards, from given states and with a mask, following Keras's documented behaviour
(``keras/src/layers/rnn/rnn.py``, ``bidirectional.py`` and the backend loop). Nothing reuses the
example's code.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from conftest import load_data, page_html
from pages import (
    SHOWN_3,
    SHOWN_4,
    column,
    number,
    quoted_size,
    sigmoid,
    table_with_first_cell,
    table_with_header_cell,
    tables,
    text_of,
    vector,
)
from replay import replay, replay_calls

SLUG = "layer-options"


@pytest.fixture(scope="module")
def data(site) -> dict:
    return load_data(site, SLUG)


@pytest.fixture(scope="module")
def models(data) -> dict[str, dict]:
    return {m["name"]: m for m in data["models"]}


@pytest.fixture(scope="module")
def page(site) -> str:
    return page_html(site, SLUG)


@pytest.fixture(scope="module")
def text(page) -> str:
    return text_of(page)


def outputs_of(entry: dict, output=None) -> list[np.ndarray]:
    """The outputs of a model entry (or ``output``, one of its ``next_outputs``) as a list: a
    layer with ``return_state`` gives several."""
    output = entry["output"] if output is None else output
    last = entry["layers"][-1]
    config = last["forward"]["config"] if last["class_name"] == "Bidirectional" else last["config"]
    return [np.asarray(o) for o in output] if config.get("return_state") else [np.asarray(output)]


def rnn_layer(entry: dict) -> dict:
    return next(la for la in entry["layers"] if la["class_name"] not in ("InputLayer", "Masking"))


def weights(layer: dict) -> dict[str, np.ndarray]:
    return {k: np.asarray(v, dtype=np.float64) for k, v in layer["weights"].items()}


# --- an LSTM written for the tests ---------------------------------------------------------


def lstm_run(x, w, h=None, c=None, mask=None):
    """LSTM over x of shape (N, T, m), time steps in the given order; Keras's gate order i, f, c, o.
    Where ``mask`` is false the states carry over and the output repeats the previous output
    (zero before the first time step). Returns the outputs (N, T, n), the cell states and the last h, c."""
    n = w["recurrent_kernel"].shape[0]
    N, T = x.shape[:2]
    h = np.zeros((N, n)) if h is None else np.asarray(h, dtype=np.float64)
    c = np.zeros((N, n)) if c is None else np.asarray(c, dtype=np.float64)
    previous, outs, cells = np.zeros((N, n)), [], []
    for t in range(T):
        z = x[:, t] @ w["kernel"] + h @ w["recurrent_kernel"] + w["bias"]
        i, f, g, o = (z[:, k * n : (k + 1) * n] for k in range(4))
        c_new = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
        h_new = sigmoid(o) * np.tanh(c_new)
        keep = np.ones((N, 1), bool) if mask is None else mask[:, t, None]
        h, c = np.where(keep, h_new, h), np.where(keep, c_new, c)
        previous = np.where(keep, h_new, previous)
        outs.append(previous)
        cells.append(c)
    return np.stack(outs, axis=1), np.stack(cells, axis=1), h, c


def vectors(header, rows, name) -> np.ndarray:
    return np.array([vector(v) for v in column(header, rows, name)])


# --- the data file -------------------------------------------------------------------------


def test_every_model_replays_independently(models):
    """tests/replay.py, from the data file alone, gives every output of every call."""
    assert len(models) >= 12
    for name, entry in models.items():
        expected = [outputs_of(entry)]
        expected += [outputs_of(entry, o) for o in entry.get("next_outputs", [])]
        got = replay_calls(entry)
        assert len(got) == len(expected) == 1 + len(entry.get("next_inputs", []))
        for call, (g, e) in enumerate(zip(got, expected)):
            g = g if isinstance(g, list) else [g]
            assert len(g) == len(e), f"{name}, call {call}: {len(g)} outputs, not {len(e)}"
            for a, b in zip(g, e):
                assert a.shape == b.shape, f"{name}, call {call}: {a.shape} != {b.shape}"
                assert np.max(np.abs(a - b)) < 1e-5, f"{name}, call {call}"
        single = replay(entry)
        assert (
            np.max(
                np.abs(
                    np.asarray(single if not isinstance(single, list) else single[0])
                    - expected[0][0]
                )
            )
            < 1e-5
        )


def test_the_replay_can_fail(models):
    """The replay depends on the options: dropping one breaks the agreement."""
    for name, option in [("lstm_backwards", "go_backwards"), ("bidirectional_sum", "merge_mode")]:
        entry = models[name]
        broken = {**entry, "layers": [dict(la) for la in entry["layers"]]}
        layer = broken["layers"][-1]
        if option == "merge_mode":
            layer["config"] = {**layer["config"], "merge_mode": "mul"}
        else:
            layer["config"] = {**layer["config"], option: False}
        assert np.max(np.abs(replay(broken) - np.asarray(entry["output"]))) > 1e-3
    masked = models["lstm_masking"]
    unmasked = {
        **masked,
        "layers": [la for la in masked["layers"] if la["class_name"] != "Masking"],
    }
    assert np.max(np.abs(replay(unmasked)[0] - np.asarray(masked["output"][0]))) > 1e-3
    started = models["lstm_initial_state"]
    assert (
        np.max(
            np.abs(
                replay({k: v for k, v in started.items() if k != "initial_state"})
                - np.asarray(started["output"])
            )
        )
        > 1e-3
    )
    stateful = models["lstm_stateful"]
    fresh = replay({**stateful, "input": stateful["next_inputs"][0]})
    assert np.max(np.abs(fresh - np.asarray(stateful["next_outputs"][0]))) > 1e-3


def test_bidirectional_entries_nest_two_lstm_layers(models):
    lstm = weights(rnn_layer(models["lstm_sequences"]))
    for name in ["bidirectional_concat", "bidirectional_sum", "bidirectional_last"]:
        layer = rnn_layer(models[name])
        assert layer["class_name"] == "Bidirectional" and layer["weights"] == {}
        forward, backward = layer["forward"], layer["backward"]
        assert forward["class_name"] == backward["class_name"] == "LSTM"
        assert not forward["config"]["go_backwards"] and backward["config"]["go_backwards"]
        assert (
            set(forward["weights"])
            == set(backward["weights"])
            == {"kernel", "recurrent_kernel", "bias"}
        )
        for key, value in weights(forward).items():
            assert np.array_equal(value, lstm[key]), "forward layer: the page's LSTM weights"
        assert not np.array_equal(weights(backward)["kernel"], lstm["kernel"])


def test_every_lstm_shares_the_same_weights(models):
    """The page compares tables across options because every LSTM holds the same arrays."""
    reference = weights(rnn_layer(models["lstm_sequences"]))
    for name, entry in models.items():
        layer = rnn_layer(entry)
        if layer["class_name"] == "LSTM":
            for key, value in weights(layer).items():
                assert np.array_equal(value, reference[key]), f"{name}: {key}"
    assert all(
        np.array_equal(models[name]["input"], models["lstm_sequences"]["input"])
        for name in ["lstm_last", "lstm_state", "lstm_backwards", "bidirectional_concat"]
    )


# --- the page -------------------------------------------------------------------------------


def test_sizes_quoted_match_the_data(text, models):
    x = np.asarray(models["lstm_sequences"]["input"])
    w = weights(rnn_layer(models["lstm_sequences"]))
    assert quoted_size(text, "N") == x.shape[0]
    assert quoted_size(text, "T") == x.shape[1]
    assert quoted_size(text, "m") == x.shape[2] == w["kernel"].shape[0]
    assert quoted_size(text, "n") == w["recurrent_kernel"].shape[0]


def test_overview_shapes_match_the_outputs(page, models):
    header, rows = table_with_header_cell(page, "data file")
    assert len(rows) == 11
    for row in rows:
        cells = dict(zip(header, row))
        names = [s.strip() for s in cells["data file"].split(",")]
        entry = models[names[0]]
        outputs = outputs_of(entry) + [
            o for out in entry.get("next_outputs", []) for o in outputs_of(entry, out)
        ]
        shown = re.findall(r"\(([\d, ]+)\)", cells["shapes"])
        assert [tuple(int(d) for d in s.split(",") if d.strip()) for s in shown] == [
            o.shape for o in outputs
        ]


def test_weights_table_and_parameter_counts(page, text, models):
    header, rows = table_with_header_cell(page, "recurrent_kernel , \\(W_h\\)")
    header = [h.split(" , ")[0] for h in header]  # kernel , \(W_x\) -> kernel
    sources = [
        rnn_layer(models["lstm_sequences"]),
        rnn_layer(models["bidirectional_concat"])["backward"],
        rnn_layer(models["simple_rnn_state"]),
        rnn_layer(models["gru_state"]),
    ]
    for row, layer in zip(rows, sources):
        cells = dict(zip(header, row))
        w = weights(layer)
        for key in ["kernel", "recurrent_kernel", "bias"]:
            assert cells[key] == str(w[key].shape)
        assert int(cells["parameters"]) == sum(v.size for v in w.values())
    m, n = weights(sources[0])["kernel"].shape[0], weights(sources[0])["recurrent_kernel"].shape[0]
    assert rows[3][3] == str((2, 3 * n))  # the GRU's two bias rows
    assert f"\\(4 \\cdot {n} \\cdot ({m} + {n} + 1) = {4 * n * (m + n + 1)}\\)" in text
    assert re.search(
        rf"holds two complete LSTM layers , each with its own three arrays: "
        rf"{8 * n * (m + n + 1)} parameters, twice {4 * n * (m + n + 1)}, and 6 arrays",
        text,
    )


def test_return_sequences_table(page, models):
    x = np.asarray(models["lstm_sequences"]["input"], dtype=np.float64)
    expected, _, _, _ = lstm_run(x, weights(rnn_layer(models["lstm_sequences"])))
    header, rows = table_with_header_cell(page, "last[0]")
    shown = vectors(header, rows, "sequences[0, t] , \\(h_t\\)")
    assert np.max(np.abs(shown - expected[0])) <= SHOWN_3
    assert column(header, rows, "last[0]")[:-1] == [""] * (len(rows) - 1)
    assert np.max(np.abs(vector(rows[-1][-1]) - expected[0, -1])) <= SHOWN_3
    assert np.array_equal(
        np.asarray(models["lstm_last"]["output"]),
        np.asarray(models["lstm_sequences"]["output"])[:, -1],
    )


def test_return_state_table(page, models):
    header, rows = table_with_header_cell(page, "output[0, -1]")
    for row, name in zip(rows, ["simple_rnn_state", "lstm_state", "gru_state"]):
        cells = dict(zip(header, row))
        outputs = outputs_of(models[name])
        assert cells["shapes"] == " , ".join(str(o.shape) for o in outputs)
        assert np.array_equal(outputs[0][:, -1], outputs[1]), f"{name}: h is the last output"
        assert np.max(np.abs(vector(cells["h[0] , \\(h_{T-1}\\)"]) - outputs[1][0])) <= SHOWN_3
        assert np.max(np.abs(vector(cells["output[0, -1]"]) - outputs[0][0, -1])) <= SHOWN_3
        if name == "lstm_state":
            assert np.max(np.abs(vector(cells["c[0] , \\(c_{T-1}\\)"]) - outputs[2][0])) <= SHOWN_3
            x = np.asarray(models[name]["input"], dtype=np.float64)
            _, _, _, c = lstm_run(x, weights(rnn_layer(models[name])))
            assert np.max(np.abs(c - outputs[2])) < 1e-5
        else:
            assert cells["c[0] , \\(c_{T-1}\\)"] == "—" and len(outputs) == 2


def test_initial_state_table_and_continuation(page, models):
    entry = models["lstm_initial_state"]
    x = np.asarray(entry["input"], dtype=np.float64)
    h0, c0 = (np.asarray(s, dtype=np.float64) for s in entry["initial_state"])
    w = weights(rnn_layer(entry))
    from_state, _, _, _ = lstm_run(x, w, h0, c0)
    from_zero, _, _, _ = lstm_run(x, w)
    header, rows = table_with_first_cell(page, "\u22121")
    assert np.max(np.abs(vector(rows[0][2]) - h0[0])) <= SHOWN_3
    assert np.all(vector(rows[0][1]) == 0)
    assert np.max(np.abs(vectors(header, rows[1:], header[2]) - from_state[0])) <= SHOWN_3
    assert np.max(np.abs(vectors(header, rows[1:], header[1]) - from_zero[0])) <= SHOWN_3
    differences = [
        number(v) for v in column(header, rows[1:], "largest difference (both sequences)")
    ]
    assert (
        np.max(np.abs(np.array(differences) - np.max(np.abs(from_state - from_zero), axis=(0, 2))))
        <= SHOWN_4
    )
    # The continuation: the second part, started from the first part's final states.
    continued = models["lstm_continued"]
    second = np.asarray(continued["input"], dtype=np.float64)
    split = x.shape[1] - second.shape[1]
    assert np.array_equal(second, x[:, split:])
    _, _, h_split, c_split = lstm_run(x[:, :split], w)
    assert np.max(np.abs(np.asarray(continued["initial_state"][0]) - h_split)) < 1e-5
    assert np.max(np.abs(np.asarray(continued["initial_state"][1]) - c_split)) < 1e-5
    assert np.max(np.abs(np.asarray(continued["output"]) - from_zero[:, split:])) < 1e-5


def test_stateful_calls_continue_each_other(page, models):
    entry = models["lstm_stateful"]
    assert rnn_layer(entry)["config"]["stateful"]
    assert entry["layers"][0]["config"]["batch_shape"][0] == np.shape(entry["input"])[0]
    x = np.concatenate([np.asarray(entry["input"]), np.asarray(entry["next_inputs"][0])], axis=1)
    assert np.array_equal(x, np.asarray(models["lstm_sequences"]["input"]))
    whole, _, _, _ = lstm_run(x.astype(np.float64), weights(rnn_layer(entry)))
    calls = np.concatenate(
        [np.asarray(entry["output"]), np.asarray(entry["next_outputs"][0])], axis=1
    )
    assert np.max(np.abs(calls - whole)) < 1e-5
    header, rows = table_with_header_cell(page, "call_3 , after reset_state()")
    split = np.shape(entry["input"])[1]
    assert column(header, rows, "call") == ["call_1"] * split + ["call_2"] * (len(rows) - split)
    assert np.max(np.abs(vectors(header, rows, "\\(h_t\\) , stateful") - whole[0])) <= SHOWN_3
    reset, _, _, _ = lstm_run(x[:, split:].astype(np.float64), weights(rnn_layer(entry)))
    assert (
        np.max(np.abs(vectors(header, rows[split:], "call_3 , after reset_state()") - reset[0]))
        <= SHOWN_3
    )


def test_go_backwards_table_is_in_reading_order(page, models):
    entry = models["lstm_backwards"]
    assert rnn_layer(entry)["config"]["go_backwards"]
    x = np.asarray(entry["input"], dtype=np.float64)
    read, _, _, _ = lstm_run(x[:, ::-1], weights(rnn_layer(entry)))  # x_{T-1} first
    assert np.max(np.abs(np.asarray(entry["output"]) - read)) < 1e-5
    forward, _, _, _ = lstm_run(x, weights(rnn_layer(entry)))
    assert (
        np.max(np.abs(np.asarray(entry["output"]) - forward[:, ::-1])) > 1e-2
    )  # not just reversed
    header, rows = table_with_header_cell(page, "backwards[0, k]")
    T = x.shape[1]
    assert [int(r[0]) for r in rows] == list(range(T))
    assert [int(r[1]) for r in rows] == [T - 1 - k for k in range(T)]
    assert np.max(np.abs(vectors(header, rows, "\\(x_{T-1-k}\\)") - x[0, ::-1])) <= SHOWN_3
    assert np.max(np.abs(vectors(header, rows, "backwards[0, k]") - read[0])) <= SHOWN_3
    last = np.asarray(models["lstm_backwards_last"]["output"])
    assert np.max(np.abs(last - read[:, -1])) < 1e-5


def test_masking_tables(page, models):
    entry = models["lstm_masking"]
    masking = next(la for la in entry["layers"] if la["class_name"] == "Masking")
    x = np.asarray(entry["input"], dtype=np.float64)
    mask = np.any(x != masking["config"]["mask_value"], axis=-1)
    assert mask.any(axis=1).all() and not mask.all(), "some time steps padded, none all padding"
    w = weights(rnn_layer(entry))
    out, cells, h, c = lstm_run(x, w, mask=mask)
    output, h_keras, c_keras = outputs_of(entry)
    assert np.max(np.abs(out - output)) < 1e-5
    assert np.max(np.abs(h - h_keras)) < 1e-5 and np.max(np.abs(c - c_keras)) < 1e-5
    unmasked, _, _, _ = lstm_run(x, w)
    found = [(hd, rows) for hd, rows in tables(page) if "real time step" in hd]
    assert len(found) == 2
    for header, rows in found:
        shown_x = vectors(header, rows, "\\(x_t\\) (padded)")
        row = next(i for i in range(x.shape[0]) if np.max(np.abs(shown_x - x[i])) <= SHOWN_3)
        assert column(header, rows, "real time step") == [
            "yes" if r else "no, padding" for r in mask[row]
        ]
        assert np.max(np.abs(vectors(header, rows, "output , with Masking") - out[row])) <= SHOWN_3
        assert np.max(np.abs(vectors(header, rows, "\\(c_t\\) (replay)") - cells[row])) <= SHOWN_3
        assert np.max(np.abs(vectors(header, rows, "without Masking") - unmasked[row])) <= SHOWN_3
        for t in range(
            x.shape[1]
        ):  # a padded time step repeats the previous output (zero at first)
            if not mask[row, t]:
                assert np.array_equal(
                    output[row, t], output[row, t - 1] if t else np.zeros_like(output[row, t])
                )
    last_real = int(np.nonzero(mask[0])[0][-1])
    header, rows = table_with_first_cell(page, f"h[0] , \\(h_{last_real}\\)")
    assert rows[1][0] == f"c[0] , \\(c_{last_real}\\)"
    shown = np.array([[number(v) for v in r[1:]] for r in rows])
    assert np.max(np.abs(shown - np.vstack([h_keras[0], c_keras[0]]))) <= SHOWN_4
    assert np.max(np.abs(h_keras[0] - out[0, last_real])) < 1e-5
    assert f"last real time step, \\(t = {last_real}\\)" in text_of(page)


def test_bidirectional_tables(page, models):
    concat = models["bidirectional_concat"]
    layer = rnn_layer(concat)
    x = np.asarray(concat["input"], dtype=np.float64)
    forward, _, _, _ = lstm_run(x, weights(layer["forward"]))
    backward_read, _, _, _ = lstm_run(x[:, ::-1], weights(layer["backward"]))
    backward = backward_read[:, ::-1]  # back in time step order
    n = forward.shape[-1]
    assert (
        np.max(np.abs(np.asarray(concat["output"]) - np.concatenate([forward, backward], -1)))
        < 1e-5
    )
    assert (
        np.max(np.abs(np.asarray(models["bidirectional_sum"]["output"]) - (forward + backward)))
        < 1e-5
    )
    last = np.asarray(models["bidirectional_last"]["output"])
    assert np.max(np.abs(last - np.concatenate([forward[:, -1], backward[:, 0]], -1))) < 1e-5
    header, rows = table_with_header_cell(page, "summed[0, t]")
    assert (
        np.max(np.abs(vectors(header, rows, "forward, concat[0, t, :n]") - forward[0])) <= SHOWN_3
    )
    assert (
        np.max(np.abs(vectors(header, rows, "backward, concat[0, t, n:]") - backward[0])) <= SHOWN_3
    )
    assert (
        np.max(np.abs(vectors(header, rows, "summed[0, t]") - (forward + backward)[0])) <= SHOWN_3
    )
    header, rows = table_with_first_cell(page, "bidirectional_last[0]")
    assert [r[0] for r in rows] == ["bidirectional_last[0]", "concat[0, -1]", "concat[0, 0]"]
    shown = np.array([[number(v) for v in r[1:]] for r in rows])
    full = np.concatenate([forward, backward], -1)[0]
    assert np.max(np.abs(shown - np.vstack([last[0], full[-1], full[0]]))) <= SHOWN_4
    quoted = number(re.search(r"differs here by up to (\S+)\.", text_of(page)).group(1))
    assert abs(quoted - np.max(np.abs(last[:, n:] - backward[:, -1]))) <= SHOWN_4


# --- probes: a mask with initial_state, stateful predict, where the numbers come from -----


def article(page: str) -> str:
    """The visible text of the chapter itself, without the navigation and the table of contents."""
    text = text_of(re.search(r"<article\b.*?</article>", page, re.S).group(0))
    # without the spaces that tags leave inside brackets and before punctuation
    return re.sub(r" ([,.:;)])", r"\1", re.sub(r"([(]) ", r"\1", text))


def masking_case(models):
    """The padded batch, the page's LSTM weights, and the outputs with and without the mask,
    computed here."""
    entry = models["lstm_masking"]
    x = np.asarray(entry["input"], dtype=np.float64)
    w = weights(rnn_layer(entry))
    masked, _, _, _ = lstm_run(x, w, mask=np.any(x != 0.0, axis=-1))
    unmasked, _, _, _ = lstm_run(x, w)
    return x, w, masked, unmasked


def test_mask_and_initial_state_table_and_warning(page, models):
    text = article(page)
    _, _, masked, unmasked = masking_case(models)
    dropped_by = float(np.max(np.abs(unmasked - masked)))
    assert dropped_by > 1e-2
    header, rows = table_with_header_cell(page, "largest difference from the masked output")
    assert len(rows) == 4
    assert column(header, rows, "states") == ["keras.Input", "arrays"] * 2
    verdicts = column(header, rows, "what the output shows")
    for verdict, shown in zip(
        verdicts, column(header, rows, "largest difference from the masked output")
    ):
        expected = {"mask dropped": dropped_by, "mask used": 0.0}[verdict]
        assert abs(number(shown) - expected) <= SHOWN_4, (verdict, shown)
    assert 'id="mask-and-initial-state"' in page
    warning = re.search(
        r"A mask and initial_state\W+Keras hands the mask(.*?)Masking on a GPU", text, re.S
    ).group(1)
    if "mask dropped" in verdicts[:2]:
        assert "got no mask" in warning
        for verdict, kind in zip(verdicts[:2], ["keras.Input states", "arrays"]):
            assert (f"({kind})" in warning) == (verdict == "mask dropped")
    else:
        assert "no mask" not in warning
    if verdicts[2:] == ["mask used", "mask used"]:
        assert "Pass the mask yourself" in warning
    else:
        assert "did not give the masked outputs" in warning


def test_mask_and_initial_state_eager_row_is_what_keras_does(page, models):
    """Call an LSTM with the page's weights here, eagerly, after Masking, with zero initial
    states: the page's 'arrays' row must say what Keras did."""
    import keras

    x, w, masked, unmasked = masking_case(models)
    n = w["recurrent_kernel"].shape[0]
    lstm = keras.layers.LSTM(n, return_sequences=True)
    lstm.build(x.shape)
    lstm.set_weights([w["kernel"], w["recurrent_kernel"], w["bias"]])
    start = [np.zeros((x.shape[0], n), "float32")] * 2
    got = keras.ops.convert_to_numpy(
        lstm(keras.layers.Masking()(x.astype("float32")), initial_state=start)
    )
    if np.max(np.abs(got - masked)) < 1e-5:
        observed = "mask used"
    else:
        assert np.max(np.abs(got - unmasked)) < 1e-5
        observed = "mask dropped"
    header, rows = table_with_header_cell(page, "largest difference from the masked output")
    assert column(header, rows, "what the output shows")[1] == observed


def test_stateful_predict_batches_continue_each_other(page, models):
    text = article(page)
    x = np.asarray(models["lstm_sequences"]["input"], dtype=np.float64)
    w = weights(rnn_layer(models["lstm_sequences"]))
    N = x.shape[0]
    whole, _, _, _ = lstm_run(x, w)
    fresh, _, _, _ = lstm_run(x[:, 2:4], w)
    note = re.search(r"Rows \d+ to \d+ of in_batches (.*?) and so on\.", text)
    assert note, "the page says what predict(X, batch_size=N) did"
    note = note.group(0)
    assert note.startswith(
        f"Rows {N} to {2 * N - 1} of in_batches are the outputs of time steps 2 and 3"
    )
    assert "largest difference 0)" in note or re.search(
        r"largest difference \d\.\de−0[6-9]\)", note
    )
    shown = number(re.search(r"differ from them by up to ([\d.−]+)\)", note).group(1))
    assert abs(shown - np.max(np.abs(whole[:, 2:4] - fresh))) <= SHOWN_4
    assert (
        "treats rows \\(N\\) to \\(2N-1\\) of X as the continuation of rows 0 to \\(N-1\\)" in note
    )
    assert re.search(r"call reset_state\(\) on the layer between independent sequences", text)


def test_stateful_predict_with_the_default_batch_size(page, models):
    """A stateful model built for N sequences, given 2N rows with the default batch size."""
    import keras

    x = np.asarray(models["lstm_sequences"]["input"], dtype=np.float32)
    w = weights(rnn_layer(models["lstm_sequences"]))
    N, _, m = x.shape
    inputs = keras.Input(batch_shape=(N, None, m))
    lstm = keras.layers.LSTM(w["recurrent_kernel"].shape[0], stateful=True)
    stateful = keras.Model(inputs, lstm(inputs))
    lstm.set_weights([w["kernel"], w["recurrent_kernel"], w["bias"]])
    try:
        stateful.predict(np.concatenate([x[:, 0:2], x[:, 2:4]]), verbose=0)
        raised = None
    except Exception as error:
        raised = type(error).__name__
    text = article(page)
    said = re.search(r"With the default batch_size \(32\), (.*?)(?: \"|\.)", text).group(1)
    if raised:
        assert re.search(r"predict raises (ValueError|InvalidArgumentError)", said), said
        assert f"one batch of {2 * N}, not the {N} the layer was built for" in said
    else:
        assert "ran on the" in said


def test_masking_on_a_gpu_and_where_the_numbers_come_from(page):
    import tensorflow as tf

    text = article(page)
    device = "a GPU" if tf.config.list_physical_devices("GPU") else "the CPU"
    assert f"on the TensorFlow backend, on {device}" in text
    gpu = re.search(r"Masking on a GPU (.*?) Bidirectional", text, re.S).group(1)
    assert "Read from the source, not run here" in gpu
    assert 'use_cudnn="auto"' in gpu and "use_cudnn=False" in gpu
    assert "zeros" in gpu and "right-padded" in gpu
    assert 'id="masking-on-a-gpu"' in page
