"""Part H: the converter (examples/keras_torch.py), the backends and the porting page.

The converter is checked against Keras and PyTorch themselves: a Keras layer with random
weights and its converted twin must give the same outputs, and so must a ``torch.nn`` module
and the Keras layers made from it. The gate orders are checked against the documented ones
(Keras: LSTM i, f, c, o and GRU z, r, h, keras/src/layers/rnn/; PyTorch: i, f, g, o and r, z, n,
the torch.nn documentation), written here, not taken from the converter. The data file is
checked by running its ``"torch"`` entries in PyTorch with this file's own call rules.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import REPO, load_data, page_html
from pages import column, number, table_with_header_cell, text_of

sys.path.insert(0, str(REPO / "examples"))

keras = pytest.importorskip("keras")
torch = pytest.importorskip("torch")
import keras_torch as kt  # noqa: E402

import publish  # noqa: E402

layers = keras.layers
SLUG = "porting"
rng = np.random.default_rng(0)
X = rng.uniform(-1, 1, size=(3, 5, 2)).astype("float32")  # (N, T, m)


def randomized(layer, x=X):
    """A Keras layer built on x, its weights uniform in (-1, 1); returns it and its output."""
    layer(x)
    layer.set_weights([rng.uniform(-1, 1, w.shape).astype("float32") for w in layer.get_weights()])
    return layer, keras.ops.convert_to_numpy(layer(x))


def torch_output(module, x=X):
    with torch.no_grad():
        out = module(torch.from_numpy(x))
    return (out[0] if isinstance(out, tuple) else out).numpy()


# --- Keras to PyTorch: every layer kind ------------------------------------------------------

KERAS_LAYERS = {
    "SimpleRNN": lambda: layers.SimpleRNN(4, return_sequences=True),
    "SimpleRNN relu, last step": lambda: layers.SimpleRNN(4, activation="relu"),
    "LSTM": lambda: layers.LSTM(4, return_sequences=True),
    "LSTM without bias": lambda: layers.LSTM(4, return_sequences=True, use_bias=False),
    "GRU": lambda: layers.GRU(4, return_sequences=True),
    "GRU go_backwards": lambda: layers.GRU(4, return_sequences=True, go_backwards=True),
    "LSTM go_backwards, last step": lambda: layers.LSTM(4, go_backwards=True),
    "Bidirectional LSTM concat": lambda: layers.Bidirectional(
        layers.LSTM(4, return_sequences=True)
    ),
    "Bidirectional GRU sum": lambda: layers.Bidirectional(
        layers.GRU(4, return_sequences=True), merge_mode="sum"
    ),
    "Bidirectional SimpleRNN, last step": lambda: layers.Bidirectional(layers.SimpleRNN(4)),
    "Dense": lambda: layers.Dense(3, activation="sigmoid"),
    "TimeDistributed(Dense)": lambda: layers.TimeDistributed(layers.Dense(3)),
}


@pytest.mark.parametrize("kind", KERAS_LAYERS)
def test_keras_layer_and_its_torch_twin_agree(kind):
    layer, expected = randomized(KERAS_LAYERS[kind]())
    twin = kt.keras_to_torch(layer)
    module = kt.torch_module(twin)
    assert isinstance(module, getattr(torch.nn, twin["class_name"]))
    got = kt.run_like_keras(module, twin, X)
    assert got.shape == expected.shape
    assert np.max(np.abs(got - expected)) < 1e-5


def test_two_stacked_layers_become_one_num_layers_module():
    first, second = layers.GRU(4, return_sequences=True), layers.GRU(4, return_sequences=True)
    randomized(first)
    randomized(second, keras.ops.convert_to_numpy(first(X)))
    expected = keras.ops.convert_to_numpy(second(first(X)))
    twin = kt.keras_stack_to_torch([first, second])
    module = kt.torch_module(twin)
    assert module.num_layers == 2 and "weight_ih_l1" in twin["state_dict"]
    assert np.max(np.abs(kt.run_like_keras(module, twin, X) - expected)) < 1e-5


def test_gate_blocks_follow_the_documented_orders():
    n = 4

    def blocks(a, k):
        return a[..., k * n : (k + 1) * n]

    gru, _ = randomized(layers.GRU(n, return_sequences=True))
    kernel, recurrent, bias = gru.get_weights()
    state = kt.keras_to_torch(gru)["state_dict"]
    keras_z, keras_r, keras_h = (blocks(kernel, k) for k in range(3))
    torch_r, torch_z, torch_n = np.split(state["weight_ih_l0"], 3, axis=0)
    assert np.array_equal(torch_r, keras_r.T) and np.array_equal(torch_z, keras_z.T)
    assert np.array_equal(torch_n, keras_h.T)
    assert np.array_equal(np.split(state["weight_hh_l0"], 3)[0], blocks(recurrent, 1).T)
    assert np.array_equal(np.split(state["bias_hh_l0"], 3)[2], blocks(bias[1], 2))
    assert np.array_equal(np.split(state["bias_ih_l0"], 3)[1], blocks(bias[0], 0))
    lstm, _ = randomized(layers.LSTM(n, return_sequences=True))
    kernel, _, bias = lstm.get_weights()
    state = kt.keras_to_torch(lstm)["state_dict"]
    for k in range(4):  # i, f, c (PyTorch's g), o in both
        assert np.array_equal(np.split(state["weight_ih_l0"], 4)[k], blocks(kernel, k).T)
    assert np.array_equal(state["bias_ih_l0"], bias) and not np.any(state["bias_hh_l0"])


def test_gru_blocks_left_in_keras_order_fail_the_check():
    gru, expected = randomized(layers.GRU(4, return_sequences=True))
    kernel, recurrent, bias = gru.get_weights()
    wrong = {
        "weight_ih_l0": kernel.T,
        "weight_hh_l0": recurrent.T,
        "bias_ih_l0": bias[0],
        "bias_hh_l0": bias[1],
    }
    module = torch.nn.GRU(2, 4, batch_first=True)
    kt.load_twin(module, {"class_name": "GRU", "kwargs": {}, "state_dict": wrong})
    with pytest.raises(publish.ReplayMismatch):
        publish.check_replay("wrong_gru_order", torch_output(module), expected)


# --- PyTorch to Keras: every module kind ---------------------------------------------------

TORCH_MODULES = {
    "RNN": lambda: torch.nn.RNN(2, 4, batch_first=True),
    "RNN relu, no bias": lambda: torch.nn.RNN(
        2, 4, batch_first=True, nonlinearity="relu", bias=False
    ),
    "LSTM": lambda: torch.nn.LSTM(2, 4, batch_first=True),
    "GRU": lambda: torch.nn.GRU(2, 4, batch_first=True),
    "LSTM, 2 layers, bidirectional": lambda: torch.nn.LSTM(
        2, 4, batch_first=True, num_layers=2, bidirectional=True
    ),
    "GRU, 2 layers": lambda: torch.nn.GRU(2, 4, batch_first=True, num_layers=2),
    "Linear": lambda: torch.nn.Linear(2, 3),
}


@pytest.mark.parametrize("kind", TORCH_MODULES)
def test_torch_module_and_its_keras_layers_agree(kind):
    torch.manual_seed(1)
    module = TORCH_MODULES[kind]()
    with torch.no_grad():  # both biases random, as PyTorch initialises them
        for p in module.parameters():
            p.uniform_(-1, 1)
    x = X
    for layer in kt.torch_to_keras(module):
        x = keras.ops.convert_to_numpy(layer(x))
    expected = torch_output(module)
    assert x.shape == expected.shape
    assert np.max(np.abs(x - expected)) < 1e-5


# --- bad input: a clear error, and nothing changed ----------------------------------------


def parameters(module):
    return {k: v.clone() for k, v in module.state_dict().items()}


def unchanged(module, before):
    return all(torch.equal(v, before[k]) for k, v in module.state_dict().items())


def test_a_wrong_shape_is_refused_and_the_module_is_unchanged():
    lstm, _ = randomized(layers.LSTM(4, return_sequences=True))
    twin = kt.keras_to_torch(lstm)
    bad = dict(twin["state_dict"])
    bad["bias_hh_l0"] = np.zeros(15, dtype="float32")  # the last parameter: 15, not 16
    module = torch.nn.LSTM(2, 4, batch_first=True)
    before = parameters(module)
    with pytest.raises(kt.ConversionError, match=r"bias_hh_l0 has shape \(15,\)"):
        kt.load_twin(module, {**twin, "state_dict": bad})
    assert unchanged(module, before)
    weights = lstm.get_weights()
    copies = [w.copy() for w in weights]
    with pytest.raises(kt.ConversionError, match="recurrent_kernel has shape"):
        kt.keras_arrays_to_torch(
            "LSTM", lstm.get_config(), [weights[0], weights[1][:, :8], weights[2]]
        )
    assert all(np.array_equal(w, c) for w, c in zip(weights, copies))


def test_a_module_of_another_size_or_class_is_refused_unchanged():
    lstm, _ = randomized(layers.LSTM(4, return_sequences=True))
    twin = kt.keras_to_torch(lstm)
    for module, message in [
        (torch.nn.LSTM(2, 5, batch_first=True), "hidden_size=5"),
        (torch.nn.LSTM(2, 4), "batch_first=False"),
        (torch.nn.GRU(2, 4, batch_first=True), "not nn.GRU"),
    ]:
        before = parameters(module)
        with pytest.raises(kt.ConversionError, match=message):
            kt.load_twin(module, twin)
        assert unchanged(module, before)


def test_layers_without_a_twin_are_refused():
    conv = layers.Conv1D(4, 2)
    conv(X)
    with pytest.raises(kt.ConversionError, match="Conv1D layer has no torch.nn twin"):
        kt.keras_to_torch(conv)
    with pytest.raises(kt.ConversionError, match=r"nn.Conv1d has no Keras twin"):
        kt.torch_to_keras(torch.nn.Conv1d(2, 4, 2))
    with pytest.raises(kt.ConversionError, match="proj_size=2"):
        kt.torch_to_keras(torch.nn.LSTM(2, 4, batch_first=True, proj_size=2))
    hard, _ = randomized(layers.LSTM(4, recurrent_activation="hard_sigmoid"))
    with pytest.raises(kt.ConversionError, match="hard_sigmoid"):
        kt.keras_to_torch(hard)
    first, second = layers.LSTM(4, return_sequences=True), layers.LSTM(5)
    randomized(first)
    randomized(second, keras.ops.convert_to_numpy(first(X)))
    with pytest.raises(kt.ConversionError, match="4 and 5 units"):
        kt.keras_stack_to_torch([first, second])


def test_reset_after_false_is_refused_for_nn_gru_and_the_module_is_unchanged():
    gru, expected = randomized(layers.GRU(4, return_sequences=True, reset_after=False))
    module = torch.nn.GRU(2, 4, batch_first=True)
    before = parameters(module)
    with pytest.raises(kt.ConversionError, match="reset_after=False"):
        kt.load_twin(module, kt.keras_to_torch(gru))
    assert unchanged(module, before)
    # ... and the module written for it matches Keras
    cell = kt.ResetBeforeGRU.from_keras(gru)
    assert np.max(np.abs(torch_output(cell) - expected)) < 1e-5


# --- the backends ------------------------------------------------------------------------


def test_a_saved_model_predicts_the_same_on_jax_and_torch(tmp_path):
    import other_backends

    model = keras.Sequential(
        [keras.Input((None, 2)), layers.Bidirectional(layers.GRU(3, return_sequences=True))]
    )
    model.save(tmp_path / "gru.keras")
    np.save(tmp_path / "gru.npy", X)
    expected = model.predict(X, verbose=0)
    children = {b: other_backends.start(b, tmp_path) for b in ("jax", "torch")}
    for backend, child in children.items():
        predicted, report = other_backends.finish(child, backend, tmp_path)
        assert report["backend"] == backend and not report["tensorflow_imported"]
        assert np.max(np.abs(predicted["gru"] - expected)) < 1e-5


# --- the built page and its data file ------------------------------------------------------


@pytest.fixture(scope="module")
def page(site) -> str:
    return page_html(site, SLUG)


@pytest.fixture(scope="module")
def data(site) -> dict:
    return load_data(site, SLUG)


def run_entry(entry: dict, x: np.ndarray) -> np.ndarray:
    """A data file's "torch" entry run in PyTorch, with the call rules of CONTRIBUTING.md."""
    module = getattr(torch.nn, entry["class_name"])(**entry["kwargs"])
    module.load_state_dict({k: torch.tensor(v) for k, v in entry["state_dict"].items()})
    x = torch.tensor(x, dtype=torch.float32)
    with torch.no_grad():
        if entry["class_name"] == "Linear":
            y = module(x)
            return {"sigmoid": torch.sigmoid, None: lambda v: v}[entry.get("activation")](y).numpy()
        if entry.get("go_backwards"):
            x = x.flip(1)
        y, _ = module(x)
        if entry.get("merge_mode") == "sum":
            n = entry["kwargs"]["hidden_size"]
            y = y[..., :n] + y[..., n:]
        return y.numpy()


def test_every_model_runs_from_its_torch_entries(data):
    ran = []
    for model in data["models"]:
        entries = [layer.get("torch") for layer in model["layers"]]
        if not all(entries):
            assert model["name"] == "gru_reset_before", f"{model['name']}: a layer has no twin"
            assert entries[0] is None and entries[1]["class_name"] == "Linear"
            continue
        x = np.asarray(model["input"], dtype=np.float32)
        for entry in entries:
            x = run_entry(entry, x)
        diff = np.max(np.abs(x - np.asarray(model["output"])))
        assert diff < 1e-5, f"{model['name']}: the torch entries differ by {diff:.2e}"
        ran.append(model["name"])
    assert {"simple_rnn", "stacked", "lstm", "gru", "lstm_backwards"} <= set(ran)
    assert {"bidirectional_concat", "bidirectional_sum", "from_torch_lstm"} <= set(ran)


def test_torch_entries_follow_the_schema(data):
    classes = {"SimpleRNN": "RNN", "LSTM": "LSTM", "GRU": "GRU", "Dense": "Linear"}
    for model in data["models"]:
        for layer in model["layers"]:
            if "torch" not in layer:
                continue
            entry, kind = layer["torch"], layer["class_name"]
            inner = layer["config"].get("layer", {}).get("class_name", kind)
            if kind == "Bidirectional":
                inner = layer["forward"]["class_name"]
                assert entry["kwargs"]["bidirectional"] is True
                assert any(k.endswith("_reverse") for k in entry["state_dict"])
            assert entry["class_name"] == classes[inner], (model["name"], kind)
            if entry["class_name"] != "Linear":
                assert entry["kwargs"]["batch_first"] is True
                weights = (
                    layer["weights"] if kind != "Bidirectional" else layer["forward"]["weights"]
                )
                kernel = np.asarray(weights["kernel"])
                assert np.shape(entry["state_dict"]["weight_ih_l0"]) == kernel.T.shape


def test_page_tables_show_every_model_within_tolerance(page, data):
    names = {m["name"] for m in data["models"]} - {"from_torch_lstm", "from_torch_gru"}
    header, rows = table_with_header_cell(page, "JAX: largest difference")
    assert {r[0] for r in rows} == names
    for name in ("JAX: largest difference", "PyTorch backend: largest difference"):
        assert all(0 <= number(v) <= 1e-5 for v in column(header, rows, name))
    header, rows = table_with_header_cell(page, "PyTorch modules")
    assert names - {"gru_reset_before"} <= {r[0].split(",")[0] for r in rows}
    assert all(
        0 <= number(v) <= 1e-5 for v in column(header, rows, "largest difference from predict")
    )


def test_page_shows_the_measured_failures_and_uses_time_step(page):
    text = text_of(page)
    assert "{{" not in text
    assert not re.search(r"\bdates?\b", text), "the site says 'time step', not 'date'"
    for error in ("reset_after=False) has no torch.nn twin", "proj_size=2", "5 and 7 units"):
        assert error in text, error
    wrong = number(text.split("differ from model.predict by up to ")[1].split(":")[0])
    assert wrong > 1e-3


def test_the_converter_imports_neither_publish_nor_tensorflow():
    source = Path(kt.__file__).read_text()
    assert "import publish" not in source and "tensorflow" not in source
