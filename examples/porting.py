# %% [markdown]
# # Part H: Porting, the example
#
# The code of the chapter "Part H: Porting". It trains the recurrent models of Parts B to F
# again (the same data recipes and layer sizes, fewer epochs), moves their weights to
# PyTorch with the converter `examples/keras_torch.py`, moves PyTorch's own layers to Keras,
# and loads the saved models on Keras's JAX and PyTorch backends. Every comparison is checked
# at 1e-5.

# %%
import shutil
import tempfile
from pathlib import Path

import keras
import keras_torch as kt
import numpy as np
import onnx
import onnxruntime
import other_backends
import torch
from keras import layers

import publish

publish.setup(seed=0)
torch.manual_seed(0)


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def torch_entry(layer):
    """The data file's "torch" entry of a layer, or None without a twin."""
    try:
        return kt.keras_to_torch(layer)
    except kt.ConversionError:
        return None


# %% [markdown]
# ## Data: the recipes of Parts B and D
#
# Part B's data (also Part C's): m = 3 features, m' = 2 outputs, T = 6 time steps. Part D's
# (also Parts E and F): m = 2 features, one output, T = 5 time steps.

# %%
# --8<-- [start:data]
N = 256
# Parts B and C: a running sum and a delayed copy
T_b, m_b, m_out_b = 6, 3, 2
x_b = np.random.uniform(0, 1, size=(N, T_b, m_b)).astype("float32")
y_b = np.zeros((N, T_b, m_out_b), dtype="float32")
y_b[:, :, 0] = sigmoid(2 * np.cumsum(x_b[:, :, 0] - x_b[:, :, 1], axis=1))
y_b[:, 1:, 1] = x_b[:, :-1, 2]
# Parts D, E and F: a running sum
T_d, m_d = 5, 2
x_d = np.random.uniform(0, 1, size=(N, T_d, m_d)).astype("float32")
running_sum = np.cumsum(x_d[:, :, 0] - x_d[:, :, 1], axis=1)
y_d = sigmoid(2 * running_sum)[:, :, np.newaxis].astype("float32")
# --8<-- [end:data]
publish.value("N", N)
publish.value("T_b", T_b)
publish.value("m_b", m_b)
publish.value("m_out_b", m_out_b)
publish.value("T_d", T_d)
publish.value("m_d", m_d)

# %% [markdown]
# ## The models: the recurrent layers of Parts B to F, each with its Dense head

# %%
# --8<-- [start:models]
n_b, n2_b, n_d = 5, 7, 3


def head(units):
    return layers.TimeDistributed(layers.Dense(units, activation="sigmoid"))


def sequential(m, *stack):
    return keras.Sequential([keras.Input(shape=(None, m)), *stack])


def rs(layer, units, **options):
    """A recurrent layer that returns every time step."""
    return layer(units, return_sequences=True, **options)


models = {
    "simple_rnn": sequential(m_b, rs(layers.SimpleRNN, n_b), head(2)),
    "stacked": sequential(
        m_b,
        rs(layers.SimpleRNN, n_b),
        rs(layers.SimpleRNN, n2_b),
        head(2),
    ),
    "stacked_same": sequential(
        m_b,
        rs(layers.SimpleRNN, n_b),
        rs(layers.SimpleRNN, n_b),
        head(2),
    ),
    "lstm": sequential(m_d, rs(layers.LSTM, n_d), head(1)),
    "gru": sequential(m_d, rs(layers.GRU, n_d), head(1)),
    "gru_reset_before": sequential(
        m_d,
        rs(layers.GRU, n_d, reset_after=False),
        head(1),
    ),
    "lstm_backwards": sequential(
        m_d,
        rs(layers.LSTM, n_d, go_backwards=True),
        head(1),
    ),
    "bidirectional_concat": sequential(
        m_d,
        layers.Bidirectional(rs(layers.LSTM, n_d)),
        head(1),
    ),
    "bidirectional_sum": sequential(
        m_d,
        layers.Bidirectional(rs(layers.GRU, n_d), merge_mode="sum"),
        head(1),
    ),
}
# --8<-- [end:models]

# --8<-- [start:train]
# A go_backwards layer's output k has read x_{T-1} down to x_{T-1-k}:
# its targets are the running sums of the reversed sequences.
reversed_sum = np.cumsum(x_d[:, ::-1, 0] - x_d[:, ::-1, 1], axis=1)
y_backwards = sigmoid(2 * reversed_sum)[:, :, np.newaxis].astype("float32")
epochs = 20
for name, model in models.items():
    if name in ("simple_rnn", "stacked", "stacked_same"):
        x_train, y_train = x_b, y_b
    else:
        x_train = x_d
        y_train = y_backwards if name == "lstm_backwards" else y_d
    model.compile(loss="mse", optimizer="adam")
    model.fit(x_train, y_train, epochs=epochs, batch_size=32, verbose=0)
# --8<-- [end:train]
publish.value("epochs", epochs)
publish.value("n_b", n_b)
publish.value("n2_b", n2_b)
publish.value("n_d", n_d)

# %% [markdown]
# ## Save every model, and start loading them on the JAX and PyTorch backends
#
# Each model goes to a `.keras` file with a new input of 8 sequences. Two child processes,
# one with `KERAS_BACKEND=jax` and one with `KERAS_BACKEND=torch`, load them and predict,
# while this process goes on.

# %%
# --8<-- [start:save]
new_b = np.random.uniform(0, 1, size=(8, T_b, m_b)).astype("float32")
new_d = np.random.uniform(0, 1, size=(8, T_d, m_d)).astype("float32")
new_inputs = {}
for name, model in models.items():
    m = model.input_shape[-1]
    new_inputs[name] = new_b if m == m_b else new_d
folder = Path(tempfile.mkdtemp())
for name, model in models.items():
    model.save(folder / f"{name}.keras")
    np.save(folder / f"{name}.npy", new_inputs[name])
# --8<-- [end:save]
children = {b: other_backends.start(b, folder) for b in ("jax", "torch")}

predicted = {name: model.predict(new_inputs[name], verbose=0) for name, model in models.items()}
for name, model in models.items():
    publish.model(name, model, new_inputs[name], torch=torch_entry)
publish.shape("new_b_shape", new_b)
publish.shape("new_d_shape", new_d)

# %% [markdown]
# ## Keras to PyTorch, layer by layer
#
# Each Keras layer becomes its `torch.nn` twin; the model becomes the chain of the twins.


# %%
# --8<-- [start:convert]
def to_torch(model):
    """The torch.nn twin of each layer of a Keras model."""
    twins = [kt.keras_to_torch(layer) for layer in model.layers]
    return [(kt.torch_module(twin), twin) for twin in twins]


def run_chain(chain, x):
    for module, twin in chain:
        x = kt.run_like_keras(module, twin, x)
    return x


# --8<-- [end:convert]

ported = [name for name in models if name != "gru_reset_before"]
torch_diffs = {}
for name in ported:
    torch_out = run_chain(to_torch(models[name]), new_inputs[name])
    torch_diffs[name] = publish.check_replay(f"torch_{name}", torch_out, predicted[name])

# Part C's two layers as one module: num_layers=2 needs equal sizes.
# --8<-- [start:num_layers]
stacked_layers = models["stacked_same"].layers
twin = kt.keras_stack_to_torch(stacked_layers[:2])
rnn_2 = kt.torch_module(twin)
# torch.nn.RNN(3, 5, num_layers=2, batch_first=True)
h = kt.run_like_keras(rnn_2, twin, new_b)
dense = kt.keras_to_torch(stacked_layers[2])
y_num_layers = kt.run_like_keras(kt.torch_module(dense), dense, h)
# --8<-- [end:num_layers]
publish.check_replay("torch_num_layers", y_num_layers, predicted["stacked_same"])
publish.text("num_layers_repr", repr(rnn_2), code="text")
try:
    kt.keras_stack_to_torch(models["stacked"].layers[:2])
    raise AssertionError("stacked layers of 5 and 7 units became one module")
except kt.ConversionError as error:
    publish.text("num_layers_error", f"ConversionError: {error}", code="text")


def sci(d):
    """A difference as check_replay publishes it: 1.2e−07."""
    return f"{d:.1e}".replace("-", "\u2212")


def layer_names(model):
    names = []
    for layer in model.layers:
        inner = getattr(layer, "layer", None) or getattr(layer, "forward_layer", None)
        kind = type(layer).__name__
        names.append(f"`{kind}({type(inner).__name__})`" if inner is not None else f"`{kind}`")
    return ", ".join(names)


def module_names(model):
    out = []
    for layer in model.layers:
        twin = kt.keras_to_torch(layer)
        kwargs = ", ".join(f"{k}={v!r}" for k, v in twin["kwargs"].items())
        extra = [f"{k}={v!r}" for k, v in twin.items() if k not in ("class_name", "kwargs")]
        extra = [e for e in extra if not e.startswith("state_dict")]
        note = f" + {', '.join(extra)}" if extra else ""
        out.append(f"`nn.{twin['class_name']}({kwargs})`{note}")
    return "<br>".join(out)


publish.text_table(
    "torch_table",
    {
        "model": [f"`{name}`" for name in ported] + ["`stacked_same`, as `num_layers=2`"],
        "Keras layers": [layer_names(models[name]) for name in ported]
        + [layer_names(models["stacked_same"])],
        "PyTorch modules": [module_names(models[name]) for name in ported]
        + ["`nn.RNN(..., num_layers=2)`, `nn.Linear` + activation='sigmoid'"],
        "largest difference from `predict`": [sci(torch_diffs[n]) for n in ported]
        + [sci(np.max(np.abs(y_num_layers - predicted["stacked_same"])))],
    },
)
publish.value("torch_max", sci(max(torch_diffs.values())))


# %% [markdown]
# ## The mapping, array by array


# %%
def mapping(model, index):
    """Which Keras array becomes which PyTorch parameter, for one layer."""
    layer = model.layers[index]
    twin = kt.keras_to_torch(layer)
    kind = type(layer).__name__
    directions = [("", layer)]
    if kind == "Bidirectional":
        directions = [("", layer.forward_layer), ("_reverse", layer.backward_layer)]
    if kind == "TimeDistributed":
        layer, kind = layer.layer, "Dense"
        directions = [("", layer)]
    rows = {"Keras array": [], "PyTorch parameter": [], "how": []}
    for suffix, part in directions:
        weights = {v.name: v.numpy() for v in part.weights}
        part_kind = type(part).__name__
        prefix = (
            "backward layer's " if suffix else ("forward layer's " if len(directions) > 1 else "")
        )
        if part_kind == "Dense":
            pairs = [("kernel", "weight", "transposed"), ("bias", "bias", "as it is")]
        else:
            order = {
                "SimpleRNN": "one block",
                "LSTM": "blocks i, f, c, o kept (PyTorch: i, f, g, o)",
                "GRU": "blocks z, r, h reordered to r, z, n",
            }[part_kind]
            pairs = [
                ("kernel", f"weight_ih_l0{suffix}", f"transposed, {order}"),
                ("recurrent_kernel", f"weight_hh_l0{suffix}", f"transposed, {order}"),
            ]
            if part_kind == "GRU":
                pairs += [
                    ("bias[0]", f"bias_ih_l0{suffix}", f"row 0 (input side), {order}"),
                    ("bias[1]", f"bias_hh_l0{suffix}", f"row 1 (recurrent side), {order}"),
                ]
            else:
                pairs += [
                    ("bias", f"bias_ih_l0{suffix}", f"as it is, {order}"),
                    ("(none)", f"bias_hh_l0{suffix}", "zeros: only bias_ih + bias_hh matters"),
                ]
        for keras_name, torch_name, how in pairs:
            if keras_name == "(none)":
                rows["Keras array"].append("(none)")
            else:
                base = keras_name.split("[")[0]
                array = weights[base][int(keras_name[-2])] if "[" in keras_name else weights[base]
                rows["Keras array"].append(f"{prefix}`{keras_name}` `{array.shape}`")
            shape = tuple(np.shape(twin["state_dict"][torch_name]))
            rows["PyTorch parameter"].append(f"`{torch_name}` `{shape}`")
            rows["how"].append(how)
    return rows


for table, (name, index) in {
    "map_simple_rnn": ("simple_rnn", 0),
    "map_dense": ("simple_rnn", 1),
    "map_lstm": ("lstm", 0),
    "map_gru": ("gru", 0),
    "map_bidirectional": ("bidirectional_sum", 0),
}.items():
    publish.text_table(table, mapping(models[name], index))

# %% [markdown]
# ## Mappings that look right and are not
#
# The GRU's gate blocks left in Keras's order; the GRU's two bias rows added into
# `bias_ih`; and, for the LSTM, where the single bias goes does not matter.


# %%
def gru_output(weights, x, model):
    """Run model's GRU with these PyTorch weights, then its Dense head."""
    gru = torch.nn.GRU(m_d, n_d, batch_first=True)
    kt.load_twin(gru, {"class_name": "GRU", "kwargs": {}, "state_dict": weights})
    dense = kt.keras_to_torch(model.layers[1])
    h = kt.run_like_keras(gru, {"class_name": "GRU"}, x)
    return kt.run_like_keras(kt.torch_module(dense), dense, h)


kernel, recurrent_kernel, bias = models["gru"].layers[0].get_weights()
# --8<-- [start:wrong_order]
# transposed, but the blocks left in Keras's order z, r, h
wrong = {
    "weight_ih_l0": kernel.T,
    "weight_hh_l0": recurrent_kernel.T,
    "bias_ih_l0": bias[0],
    "bias_hh_l0": bias[1],
}
# --8<-- [end:wrong_order]
wrong_order = float(np.max(np.abs(gru_output(wrong, new_d, models["gru"]) - predicted["gru"])))
right = kt.keras_to_torch(models["gru"].layers[0])["state_dict"]
merged = {**right, "bias_ih_l0": right["bias_ih_l0"] + right["bias_hh_l0"]}
merged["bias_hh_l0"] = np.zeros_like(right["bias_hh_l0"])
merged_bias = float(np.max(np.abs(gru_output(merged, new_d, models["gru"]) - predicted["gru"])))
publish.value("wrong_order", sci(wrong_order))
publish.value("merged_bias", sci(merged_bias))
publish.probe("probe_gru_keras_order", "fails" if wrong_order > 1e-3 else "passes")
publish.probe("probe_gru_merged_bias", "fails" if merged_bias > 1e-3 else "passes")

# The LSTM's single bias: in bias_ih, in bias_hh, or split in two halves.
lstm_twin = kt.keras_to_torch(models["lstm"].layers[0])
lstm_bias = lstm_twin["state_dict"]["bias_ih_l0"]
splits = {
    "bias_ih = bias, bias_hh = 0": (lstm_bias, 0 * lstm_bias),
    "bias_ih = 0, bias_hh = bias": (0 * lstm_bias, lstm_bias),
    "bias_ih = bias_hh = bias / 2": (lstm_bias / 2, lstm_bias / 2),
}
split_diffs = []
for b_ih, b_hh in splits.values():
    state = {**lstm_twin["state_dict"], "bias_ih_l0": b_ih, "bias_hh_l0": b_hh}
    chain = to_torch(models["lstm"])
    kt.load_twin(chain[0][0], {**lstm_twin, "state_dict": state})
    y_split = run_chain(chain, new_d)
    name = f"lstm_bias_{len(split_diffs)}"
    split_diffs.append(publish.check_replay(name, y_split, predicted["lstm"]))
publish.text_table(
    "lstm_bias_table",
    {
        "LSTM bias in PyTorch": [f"`{label}`" for label in splits],
        "largest difference from `predict`": [sci(d) for d in split_diffs],
    },
)

# %% [markdown]
# ## The GRU without a twin: reset_after=False

# %%
before = models["gru_reset_before"]
try:
    kt.keras_to_torch(before.layers[0])
    raise AssertionError("GRU(reset_after=False) was converted to nn.GRU")
except kt.ConversionError as error:
    publish.text("reset_before_error", f"ConversionError: {error}", code="text")

# --8<-- [start:reset_before_use]
cell = kt.ResetBeforeGRU.from_keras(before.layers[0])
dense = kt.keras_to_torch(before.layers[1])
with torch.no_grad():
    h, _ = cell(torch.from_numpy(new_d))
y_cell = kt.run_like_keras(kt.torch_module(dense), dense, h.numpy())
# --8<-- [end:reset_before_use]
publish.check_replay("reset_before_cell", y_cell, predicted["gru_reset_before"])

# --8<-- [start:forced]
# Forced into nn.GRU anyway: blocks reordered, the single bias in bias_ih
k, rk, b = before.layers[0].get_weights()
forced = {
    "weight_ih_l0": kt.reorder(k, "GRU").T,
    "weight_hh_l0": kt.reorder(rk, "GRU").T,
    "bias_ih_l0": kt.reorder(b, "GRU"),
    "bias_hh_l0": np.zeros_like(b),
}
# --8<-- [end:forced]
y_forced = gru_output(forced, new_d, before)
forced_error = float(np.max(np.abs(y_forced - predicted["gru_reset_before"])))
publish.value("forced_error", sci(forced_error))
publish.probe("probe_reset_before_in_nn_gru", "differs" if forced_error > 1e-3 else "matches")

# %% [markdown]
# ## PyTorch to Keras
#
# An `nn.LSTM` and an `nn.GRU` with PyTorch's own initialisation (uniform in
# ±1/sqrt(hidden_size), both biases included), loaded into Keras layers.

# %%
# --8<-- [start:from_torch]
torch.manual_seed(0)
torch_lstm = torch.nn.LSTM(m_d, n_d, batch_first=True)
torch_gru = torch.nn.GRU(m_d, n_d, batch_first=True)
from_torch = {}
for name, module in {"lstm": torch_lstm, "gru": torch_gru}.items():
    with torch.no_grad():
        y_torch, _ = module(torch.from_numpy(new_d))
    keras_layers = kt.torch_to_keras(module)
    keras_model = sequential(m_d, *keras_layers)
    from_torch[name] = (keras_model, y_torch.numpy())
# --8<-- [end:from_torch]
for name, (keras_model, y_torch) in from_torch.items():
    publish.model(f"from_torch_{name}", keras_model, new_d, torch=torch_entry)
    publish.check_replay(f"from_torch_{name}", keras_model.predict(new_d, verbose=0), y_torch)
publish.shape("torch_gru_bias_hh", torch_gru.bias_hh_l0.detach().numpy())
publish.shape("keras_gru_bias", from_torch["gru"][0].layers[0].get_weights()[2])

# What has no Keras twin: an LSTM with a projection.
try:
    kt.torch_to_keras(torch.nn.LSTM(m_d, n_d, batch_first=True, proj_size=2))
    raise AssertionError("nn.LSTM(proj_size=2) was converted")
except kt.ConversionError as error:
    publish.text("proj_size_error", f"ConversionError: {error}", code="text")

# %% [markdown]
# ## ONNX: Keras's own export (through tf2onnx), run with onnxruntime
#
# The recurrent layers of Parts D and E alone, with their trained weights.


# %%
# --8<-- [start:onnx]
def to_onnx(layer, name):
    """Export a model of one recurrent layer; return its ONNX graph and
    what onnxruntime computes for new_d."""
    model = sequential(m_d, layer.__class__.from_config(layer.get_config()))
    model.layers[0].set_weights(layer.get_weights())
    # The export needs a model that has run once
    model.predict(new_d, verbose=0)
    path = str(folder / f"{name}.onnx")
    model.export(path, format="onnx", verbose=False)
    session = onnxruntime.InferenceSession(path)
    feed = {session.get_inputs()[0].name: new_d}
    return onnx.load(path).graph, session.run(None, feed)[0], model


# --8<-- [end:onnx]
onnx_results = {name: to_onnx(models[name].layers[0], name) for name in ("lstm", "gru")}
for name, (_graph, y_onnx, layer_model) in onnx_results.items():
    y_keras = layer_model.predict(new_d, verbose=0)
    publish.check_replay(f"onnx_{name}", y_onnx, y_keras)


def initializers(graph):
    return {i.name: onnx.numpy_helper.to_array(i) for i in graph.initializer}


def block_order(onnx_w, keras_kernel, letters):
    """The Keras gate (its letter) that each block of ONNX's W holds."""
    keras_blocks = np.split(keras_kernel.T, len(letters))
    order = []
    for block in np.split(onnx_w[0], len(letters)):
        same = [k for k, kb in enumerate(keras_blocks) if np.array_equal(block, kb)]
        order.append(letters[same[0]] if len(same) == 1 else "?")
    return ", ".join(order)


lstm_graph = onnx_results["lstm"][0]
lstm_node = next(node for node in lstm_graph.node if node.op_type == "LSTM")
values = initializers(lstm_graph)
# The node's inputs: X, then W, R, B
W, R, B = (values[lstm_node.input[k]] for k in (1, 2, 3))
kernel, recurrent_kernel, bias = models["lstm"].layers[0].get_weights()
W_order = block_order(W, kernel, "ifco")
R_order = block_order(R, recurrent_kernel, "ifco")
assert W_order == R_order, (W_order, R_order)
order_index = ["ifco".index(g) for g in W_order.split(", ")] if "?" not in W_order else []
assert order_index, W_order
B_input = np.concatenate([np.split(bias, 4)[k] for k in order_index])
assert np.array_equal(B[0, : 4 * n_d], B_input) and not np.any(B[0, 4 * n_d :])
publish.probe("probe_onnx_lstm_order", W_order)
publish.text_table(
    "onnx_lstm_table",
    {
        "ONNX `LSTM` input": ["`W`", "`R`", "`B`"],
        "shape": [f"`{W.shape}`", f"`{R.shape}`", f"`{B.shape}`"],
        "holds": [
            f"Keras's `kernel`, transposed, blocks in the order {W_order}",
            f"Keras's `recurrent_kernel`, transposed, blocks in the order {W_order}",
            f"`Wb` (first {4 * n_d}): Keras's `bias`, blocks in the order {W_order}; "
            f"`Rb` (last {4 * n_d}): zeros",
        ],
    },
)
gru_ops = {node.op_type for node in onnx_results["gru"][0].node}
publish.probe(
    "probe_onnx_gru_node", "a GRU operator" if "GRU" in gru_ops else "a generic Loop operator"
)


# %% [markdown]
# ## One model, three backends
#
# The child processes have loaded every `.keras` file; their predictions against
# TensorFlow's.

# %%
results = {b: other_backends.finish(p, b, folder) for b, p in children.items()}
backend_diffs = {b: {} for b in results}
for backend, (their_predictions, report) in results.items():
    assert report["backend"] == backend, report
    for name in models:
        backend_diffs[backend][name] = publish.check_replay(
            f"backend_{backend}_{name}", their_predictions[name], predicted[name]
        )
    publish.value(f"{backend}_version", report["version"])
    verdict = "imported" if report["tensorflow_imported"] else "not needed"
    publish.probe(f"probe_tensorflow_in_{backend}_child", verdict)
publish.text_table(
    "backends_table",
    {
        "model": [f"`{name}`" for name in models],
        "JAX: largest difference": [sci(backend_diffs["jax"][n]) for n in models],
        "PyTorch backend: largest difference": [sci(backend_diffs["torch"][n]) for n in models],
    },
)
shutil.rmtree(folder)
