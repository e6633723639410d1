"""Move recurrent-layer weights between Keras 3 and PyTorch (torch.nn).

Copy this file into your project: it needs NumPy and PyTorch, and Keras
for the direction PyTorch to Keras. It is the converter of the chapter
"Part H: Porting" of "RNN with Keras: Understanding computations" (MIT).

Keras to PyTorch:

    twin = keras_to_torch(keras_layer)
    # twin: {"class_name": "LSTM", "kwargs": {...}, "state_dict": {...}}
    module = torch_module(twin)  # a new nn.RNN, LSTM, GRU or Linear
    load_twin(module, twin)  # or into a module you already have
    y = run_like_keras(module, twin, x)  # what Keras returns for x

PyTorch to Keras:

    keras_layers = torch_to_keras(module)  # built, holding the weights

The mapping (Keras computes x_t @ kernel, PyTorch weight_ih @ x_t):

* every matrix is transposed: weight_ih = kernel.T and
  weight_hh = recurrent_kernel.T;
* gate blocks: LSTM i, f, c, o in both (PyTorch calls c "g"); GRU z, r, h
  in Keras, r, z, n in PyTorch (the first two blocks swap);
* biases: PyTorch adds two, bias_ih + bias_hh. Keras's single bias
  (SimpleRNN, LSTM) goes to bias_ih, and bias_hh is zero. A GRU with
  reset_after=True has two bias rows: bias[0] (input side) is bias_ih,
  bias[1] (recurrent side) is bias_hh;
* GRU(reset_after=False) has no torch.nn twin: ResetBeforeGRU below;
* Bidirectional: the backward layer's weights take the suffix _reverse;
* stacked layers of one kind and size: keras_stack_to_torch.

Every function checks everything first: when it raises ConversionError,
nothing has changed.
"""

from __future__ import annotations

import numpy as np
import torch

# Lines of at most 80 characters, as the chapter shows them: ruff's
# formatter (set to 100 for the repository) leaves this file as it is.
# fmt: off

TORCH_CLASS = {"SimpleRNN": "RNN", "LSTM": "LSTM", "GRU": "GRU"}
KERAS_CLASS = {t: k for k, t in TORCH_CLASS.items()}
GATES = {"SimpleRNN": 1, "LSTM": 4, "GRU": 3}
# PyTorch's gate block k is Keras's block TORCH_ORDER[k].
TORCH_ORDER = {"SimpleRNN": [0], "LSTM": [0, 1, 2, 3], "GRU": [1, 0, 2]}
MERGES = {
    "concat": lambda f, b: torch.cat([f, b], dim=-1),
    "sum": lambda f, b: f + b,
    "mul": lambda f, b: f * b,
    "ave": lambda f, b: (f + b) / 2,
}
ACTIVATIONS = {
    "linear": lambda y: y,
    "sigmoid": torch.sigmoid,
    "tanh": torch.tanh,
    "relu": torch.relu,
    "softmax": lambda y: torch.softmax(y, dim=-1),
}
KNOWN = (
    "SimpleRNN, LSTM, GRU(reset_after=True), Dense, "
    "TimeDistributed(Dense) and Bidirectional"
)


class ConversionError(ValueError):
    """The weights cannot be converted; nothing was changed."""


def reorder(a, kind, to="torch"):
    """The gate blocks of a (last axis) in PyTorch's order, or Keras's."""
    blocks = np.split(np.asarray(a), GATES[kind], axis=-1)
    order = TORCH_ORDER[kind]
    if to == "keras":
        order = list(np.argsort(order))
    return np.concatenate([blocks[k] for k in order], axis=-1)


def check_shape(what, array, expected):
    array = np.asarray(array)
    if array.shape != expected:
        raise ConversionError(
            f"{what} has shape {array.shape}, expected {expected}"
        )
    return array


# --- Keras to PyTorch ---------------------------------------------------


def keras_to_torch(layer):
    """The torch.nn twin of a Keras layer: class name, constructor
    arguments and state dict (NumPy arrays). Extra keys say how to call it
    to get what Keras returns: activation (after a Linear), go_backwards,
    return_sequences (when False), merge_mode (other than concat)."""
    kind = type(layer).__name__
    if kind == "TimeDistributed":
        inner = type(layer.layer).__name__
        if inner != "Dense":
            raise ConversionError(
                f"TimeDistributed({inner}) has no torch.nn twin; "
                f"this module converts {KNOWN}"
            )
        return keras_to_torch(layer.layer)
    if kind == "Bidirectional":
        return bidirectional_to_torch(layer)
    config, weights = layer.get_config(), layer.get_weights()
    return keras_arrays_to_torch(kind, config, weights)


# --8<-- [start:keras_to_torch]
def keras_arrays_to_torch(kind, config, weights):
    """keras_to_torch from a class name, get_config(), get_weights()."""
    if kind == "Dense":
        return dense_to_torch(config, weights)
    check_options(kind, config)
    n, gates = config["units"], GATES[kind]
    use_bias = config.get("use_bias", True)
    if len(weights) != (3 if use_bias else 2) or np.ndim(weights[0]) != 2:
        raise ConversionError(
            f"{kind}: expected a 2-D kernel, a recurrent_kernel"
            f"{' and a bias' if use_bias else ''}"
        )
    m = np.shape(weights[0])[0]
    kernel = check_shape("kernel", weights[0], (m, gates * n))
    recurrent = check_shape("recurrent_kernel", weights[1], (n, gates * n))
    state = {
        # Transposed, gate blocks in PyTorch's order
        "weight_ih_l0": reorder(kernel, kind).T,
        "weight_hh_l0": reorder(recurrent, kind).T,
    }
    if use_bias and kind == "GRU":
        # Row 0 (input side) and row 1 (recurrent side)
        bias = check_shape("GRU bias", weights[2], (2, 3 * n))
        state["bias_ih_l0"] = reorder(bias[0], kind)
        state["bias_hh_l0"] = reorder(bias[1], kind)
    elif use_bias:
        # One bias: only the sum bias_ih + bias_hh matters
        bias = check_shape(f"{kind} bias", weights[2], (gates * n,))
        state["bias_ih_l0"] = reorder(bias, kind)
        state["bias_hh_l0"] = np.zeros_like(bias)
    kwargs = {"input_size": m, "hidden_size": n, "batch_first": True}
    if not use_bias:
        kwargs["bias"] = False
    if kind == "SimpleRNN":
        kwargs["nonlinearity"] = config["activation"]
    twin = {
        "class_name": TORCH_CLASS[kind],
        "kwargs": kwargs,
        "state_dict": state,
    }
    if config.get("go_backwards"):
        twin["go_backwards"] = True
    if not config.get("return_sequences", False):
        twin["return_sequences"] = False
    return twin


# --8<-- [end:keras_to_torch]


# --8<-- [start:check_options]
def check_options(kind, config):
    """Raise ConversionError for what torch.nn cannot compute."""
    if kind not in TORCH_CLASS:
        raise ConversionError(
            f"a Keras {kind} layer has no torch.nn twin; "
            f"this module converts {KNOWN}"
        )
    if kind == "GRU" and not config.get("reset_after", True):
        raise ConversionError(
            "GRU(reset_after=False) has no torch.nn twin: nn.GRU applies "
            "the reset gate after the recurrent matrix product (Keras's "
            "reset_after=True); use ResetBeforeGRU"
        )
    activation = config["activation"]
    if kind == "SimpleRNN" and activation not in ("tanh", "relu"):
        raise ConversionError(
            f"SimpleRNN(activation={activation!r}): nn.RNN has tanh or relu"
        )
    recurrent = config.get("recurrent_activation", "sigmoid")
    if (activation, recurrent) != ("tanh", "sigmoid") and kind != "SimpleRNN":
        raise ConversionError(
            f"{kind}(activation={activation!r}, recurrent_activation="
            f"{recurrent!r}): nn.{kind} has tanh and sigmoid only"
        )


# --8<-- [end:check_options]


def dense_to_torch(config, weights):
    use_bias = config.get("use_bias", True)
    if len(weights) != (2 if use_bias else 1) or np.ndim(weights[0]) != 2:
        raise ConversionError("Dense: expected a 2-D kernel and its bias")
    m = np.shape(weights[0])[0]
    kernel = check_shape("Dense kernel", weights[0], (m, config["units"]))
    if config["activation"] not in ACTIVATIONS:
        raise ConversionError(
            f"Dense(activation={config['activation']!r}) is not supported"
        )
    state = {"weight": kernel.T}
    if use_bias:
        shape = (config["units"],)
        state["bias"] = check_shape("Dense bias", weights[1], shape)
    kwargs = {"in_features": m, "out_features": config["units"]}
    if not use_bias:
        kwargs["bias"] = False
    twin = {"class_name": "Linear", "kwargs": kwargs, "state_dict": state}
    if config["activation"] != "linear":
        twin["activation"] = config["activation"]
    return twin


# --8<-- [start:bidirectional]
def bidirectional_to_torch(layer):
    """One bidirectional=True module; backward weights end in _reverse."""
    merge_mode = layer.get_config()["merge_mode"]
    if merge_mode not in MERGES:
        raise ConversionError(f"Bidirectional(merge_mode={merge_mode!r})")
    forward = keras_to_torch(layer.forward_layer)
    backward = keras_to_torch(layer.backward_layer)
    # PyTorch's _reverse direction does it
    backward.pop("go_backwards")
    if forward.get("go_backwards"):
        raise ConversionError("Bidirectional of a layer reading backwards")
    kwargs = {**forward["kwargs"], "bidirectional": True}
    state = dict(forward["state_dict"])
    for name, array in backward["state_dict"].items():
        state[f"{name}_reverse"] = array
    twin = {**forward, "kwargs": kwargs, "state_dict": state}
    if merge_mode != "concat":
        twin["merge_mode"] = merge_mode
    return twin


# --8<-- [end:bidirectional]


def keras_stack_to_torch(keras_layers):
    """One num_layers=k module for k stacked Keras recurrent layers of one
    kind and size, all but the last with return_sequences=True."""
    twins = [keras_to_torch(layer) for layer in keras_layers]
    first, last = twins[0], twins[-1]
    units = [t["kwargs"].get("hidden_size") for t in twins]
    if {t["class_name"] for t in twins} != {first["class_name"]} or (
        first["class_name"] not in KERAS_CLASS
    ):
        raise ConversionError("num_layers stacks layers of a single kind")
    if len(set(units)) != 1:
        raise ConversionError(
            f"nn.{first['class_name']}(num_layers={len(twins)}) gives "
            f"every layer the same hidden_size; these layers have "
            f"{' and '.join(map(str, units))} units: convert them one "
            f"by one into {len(twins)} modules"
        )

    def options(twin):
        return {k: v for k, v in twin["kwargs"].items() if k != "input_size"}

    plain = all(set(t) == set(first) for t in twins) and set(first) == {
        "class_name",
        "kwargs",
        "state_dict",
    }
    if not plain or any(options(t) != options(first) for t in twins):
        raise ConversionError(
            "num_layers needs layers with the same options, none reading "
            "backwards, all with return_sequences=True"
        )
    state = {}
    for index, twin in enumerate(twins):
        for name, array in twin["state_dict"].items():
            state[name.replace("_l0", f"_l{index}")] = array
    kwargs = {**first["kwargs"], "num_layers": len(twins)}
    return {**last, "kwargs": kwargs, "state_dict": state}


def torch_module(twin):
    """A new torch.nn module built from a twin, its weights loaded."""
    module = getattr(torch.nn, twin["class_name"])(**twin["kwargs"])
    load_twin(module, twin)
    return module


def load_twin(module, twin):
    """Copy a twin's weights into a module after checking its class, its
    options and every shape; on a mismatch, raise ConversionError and
    leave the module unchanged."""
    name = twin["class_name"]
    if type(module).__name__ != name:
        raise ConversionError(
            f"weights for nn.{name}, not nn.{type(module).__name__}"
        )
    for key, wanted in twin["kwargs"].items():
        if name == "Linear" and key == "bias":
            have = module.bias is not None
        else:
            have = getattr(module, key)
        if have != wanted:
            raise ConversionError(
                f"nn.{name} has {key}={have!r}, the weights need {wanted!r}"
            )
    current = module.state_dict()
    if set(current) != set(twin["state_dict"]):
        raise ConversionError(
            f"parameters {sorted(twin['state_dict'])} do not match "
            f"the module's {sorted(current)}"
        )
    for key, array in twin["state_dict"].items():
        check_shape(key, array, tuple(current[key].shape))
    with torch.no_grad():
        for key, array in twin["state_dict"].items():
            dtype = current[key].dtype
            current[key].copy_(torch.as_tensor(np.asarray(array), dtype=dtype))


# --8<-- [start:run_like_keras]
def run_like_keras(module, twin, x):
    """The module's output for x (N, T, m), as the Keras layer gives it."""
    x = torch.as_tensor(np.asarray(x, dtype=np.float32))
    with torch.no_grad():
        if twin["class_name"] == "Linear":
            activation = ACTIVATIONS[twin.get("activation", "linear")]
            return activation(module(x)).numpy()
        if twin.get("go_backwards"):
            # Keras reads x_{T-1} first and returns the steps in that order
            x = x.flip(1)
        y, _ = module(x)
        last_only = not twin.get("return_sequences", True)
        if not module.bidirectional:
            return (y[:, -1] if last_only else y).numpy()
        n = module.hidden_size
        forward, backward = y[..., :n], y[..., n:]
        if last_only:
            # The backward direction ends at t = 0
            forward, backward = forward[:, -1], backward[:, 0]
        merge = MERGES[twin.get("merge_mode", "concat")]
        return merge(forward, backward).numpy()


# --8<-- [end:run_like_keras]


# --- PyTorch to Keras ---------------------------------------------------


# --8<-- [start:torch_to_keras]
def torch_to_keras(module):
    """Built Keras layers (return_sequences=True) holding the weights of
    nn.RNN, nn.LSTM or nn.GRU (one per layer of num_layers, Bidirectional
    when bidirectional), or of nn.Linear (a Dense)."""
    import keras

    name = type(module).__name__
    if name == "Linear":
        return [linear_to_keras(module)]
    if name not in KERAS_CLASS:
        raise ConversionError(
            f"nn.{name} has no Keras twin here; this module converts "
            "nn.RNN, nn.LSTM, nn.GRU and nn.Linear"
        )
    if getattr(module, "proj_size", 0):
        raise ConversionError(
            f"nn.LSTM(proj_size={module.proj_size}) projects h_t with a "
            "matrix weight_hr: Keras's LSTM has no projection"
        )
    kind = KERAS_CLASS[name]
    options = {"return_sequences": True, "use_bias": module.bias}
    if kind == "SimpleRNN":
        options["activation"] = module.nonlinearity
    state = {k: v.detach().numpy() for k, v in module.state_dict().items()}
    built, size = [], module.input_size
    directions = ["", "_reverse"] if module.bidirectional else [""]
    for index in range(module.num_layers):
        weights = []
        for suffix in directions:
            names = f"_l{index}{suffix}"
            weights += keras_weights(kind, state, names, module.bias)
        layer = getattr(keras.layers, kind)(module.hidden_size, **options)
        if module.bidirectional:
            layer = keras.layers.Bidirectional(layer, merge_mode="concat")
        layer.build((None, None, size))
        layer.set_weights(weights)
        built.append(layer)
        size = module.hidden_size * len(directions)
    return built


def keras_weights(kind, state, suffix, bias):
    """kernel, recurrent_kernel and bias of one direction of one layer."""
    weights = [
        reorder(state[f"weight_ih{suffix}"].T, kind, to="keras"),
        reorder(state[f"weight_hh{suffix}"].T, kind, to="keras"),
    ]
    if bias:
        b_ih = reorder(state[f"bias_ih{suffix}"], kind, to="keras")
        b_hh = reorder(state[f"bias_hh{suffix}"], kind, to="keras")
        # A GRU keeps both as rows; the others add them
        both = np.stack([b_ih, b_hh]) if kind == "GRU" else b_ih + b_hh
        weights.append(both)
    return weights


# --8<-- [end:torch_to_keras]


def linear_to_keras(module):
    import keras

    use_bias = module.bias is not None
    weights = [module.weight.detach().numpy().T]
    if use_bias:
        weights.append(module.bias.detach().numpy())
    dense = keras.layers.Dense(module.out_features, use_bias=use_bias)
    dense.build((None, module.in_features))
    dense.set_weights(weights)
    return dense


# --- the GRU that torch.nn has not --------------------------------------


# --8<-- [start:reset_before]
class ResetBeforeGRU(torch.nn.Module):
    """Keras's GRU(reset_after=False): the reset gate multiplies h_{t-1}
    before the recurrent product, and there is one bias. Weights are
    stored as PyTorch does, (out, in), in Keras's gate order z, r, h."""

    def __init__(self, input_size, hidden_size):
        super().__init__()
        self.hidden_size = hidden_size
        rows = 3 * hidden_size
        self.weight_ih = torch.nn.Parameter(torch.zeros(rows, input_size))
        self.weight_hh = torch.nn.Parameter(torch.zeros(rows, hidden_size))
        self.bias = torch.nn.Parameter(torch.zeros(rows))

    def forward(self, x):
        """x: (N, T, m), batch first; returns (N, T, n) and h_{T-1}."""
        W_xz, W_xr, W_xh = self.weight_ih.chunk(3)
        W_hz, W_hr, W_hh = self.weight_hh.chunk(3)
        b_z, b_r, b_htilde = self.bias.chunk(3)
        # h_{-1} = 0
        h = x.new_zeros(x.shape[0], self.hidden_size)
        outputs = []
        for x_t in x.unbind(1):
            z = torch.sigmoid(x_t @ W_xz.T + h @ W_hz.T + b_z)
            r = torch.sigmoid(x_t @ W_xr.T + h @ W_hr.T + b_r)
            h_tilde = torch.tanh(x_t @ W_xh.T + (r * h) @ W_hh.T + b_htilde)
            h = z * h + (1 - z) * h_tilde
            outputs.append(h)
        return torch.stack(outputs, dim=1), h

    @classmethod
    def from_keras(cls, layer):
        config = layer.get_config()
        if type(layer).__name__ != "GRU" or config.get("reset_after", True):
            raise ConversionError("ResetBeforeGRU takes GRU(reset_after=False)")
        kernel, recurrent, bias = layer.get_weights()
        module = cls(kernel.shape[0], config["units"])
        with torch.no_grad():
            module.weight_ih.copy_(torch.as_tensor(kernel.T))
            module.weight_hh.copy_(torch.as_tensor(recurrent.T))
            module.bias.copy_(torch.as_tensor(bias))
        return module


# --8<-- [end:reset_before]
