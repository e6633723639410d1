"""An independent numpy replay of the models in the chapters' data files.

It reads only what a reader downloads, ``data/<slug>.json`` (each layer's class, config and
weights), and recomputes the model's output, one layer and one time step at a time. The tests
compare it with the ``model.predict`` output stored beside it. It shares no code with the
examples: a mistake in a chapter's replay and the same mistake here would have to be made
twice.
"""

from __future__ import annotations

import numpy as np

ACTIVATIONS = {
    "linear": lambda z: z,
    "sigmoid": lambda z: 1 / (1 + np.exp(-z)),
    "tanh": np.tanh,
    "relu": lambda z: np.maximum(z, 0),
    # Keras 3: relu6(x + 3) / 6 (Keras 2 used clip(0.2 x + 0.5, 0, 1))
    "hard_sigmoid": lambda z: np.clip(z / 6 + 0.5, 0, 1),
}


def activation(name: str):
    if name not in ACTIVATIONS:
        raise NotImplementedError(f"activation {name!r}")
    return ACTIVATIONS[name]


def dense(config: dict, weights: dict, x: np.ndarray) -> np.ndarray:
    z = x @ np.asarray(weights["kernel"])
    if config.get("use_bias", True):
        z = z + np.asarray(weights["bias"])
    return activation(config["activation"])(z)


def _steps(config: dict, x: np.ndarray):
    """Time indices in the order the layer reads them."""
    steps = range(x.shape[1])
    return reversed(steps) if config.get("go_backwards") else steps


def _finish(config: dict, outputs: list[np.ndarray], *states: np.ndarray):
    """The layer's output: the whole sequence (in reading order) or the last step, followed
    by the final states when ``return_state`` is set."""
    out = np.stack(outputs, axis=1) if config.get("return_sequences") else outputs[-1]
    return [out, *states] if config.get("return_state") else out


def simple_rnn(config: dict, weights: dict, x: np.ndarray) -> np.ndarray:
    W_x, W_h = np.asarray(weights["kernel"]), np.asarray(weights["recurrent_kernel"])
    b = np.asarray(weights["bias"]) if config.get("use_bias", True) else 0.0
    act = activation(config["activation"])
    h = np.zeros((x.shape[0], W_h.shape[0]))
    outputs = []
    for t in _steps(config, x):
        h = act(x[:, t] @ W_x + h @ W_h + b)
        outputs.append(h)
    return _finish(config, outputs, h)


def lstm(config: dict, weights: dict, x: np.ndarray) -> np.ndarray:
    kernel, recurrent = np.asarray(weights["kernel"]), np.asarray(weights["recurrent_kernel"])
    bias = np.asarray(weights["bias"]) if config.get("use_bias", True) else np.zeros(kernel.shape[1])
    n = recurrent.shape[0]
    act, rec_act = activation(config["activation"]), activation(config["recurrent_activation"])
    h = c = np.zeros((x.shape[0], n))
    outputs = []
    for t in _steps(config, x):
        z = x[:, t] @ kernel + h @ recurrent + bias
        i, f, g, o = (z[:, k * n:(k + 1) * n] for k in range(4))  # Keras order: i, f, c, o
        c = rec_act(f) * c + rec_act(i) * act(g)
        h = rec_act(o) * act(c)
        outputs.append(h)
    return _finish(config, outputs, h, c)


def gru(config: dict, weights: dict, x: np.ndarray) -> np.ndarray:
    kernel, recurrent = np.asarray(weights["kernel"]), np.asarray(weights["recurrent_kernel"])
    n = recurrent.shape[0]
    act, rec_act = activation(config["activation"]), activation(config["recurrent_activation"])
    reset_after = config.get("reset_after", True)
    bias = np.asarray(weights["bias"]) if config.get("use_bias", True) else np.zeros((2, 3 * n))
    b_in, b_rec = (bias[0], bias[1]) if reset_after else (bias, np.zeros(3 * n))
    h = np.zeros((x.shape[0], n))
    outputs = []
    for t in _steps(config, x):
        xz, xr, xh = np.split(x[:, t] @ kernel + b_in, 3, axis=-1)  # Keras order: z, r, h
        hz, hr, hh = np.split(h @ recurrent + b_rec, 3, axis=-1)
        z, r = rec_act(xz + hz), rec_act(xr + hr)
        if reset_after:
            candidate = act(xh + r * hh)  # reset after the product, recurrent bias included
        else:
            candidate = act(xh + (r * h) @ recurrent[:, 2 * n:])  # reset before the product
        h = z * h + (1 - z) * candidate  # z keeps the OLD state
        outputs.append(h)
    return _finish(config, outputs, h)


def time_distributed(config: dict, weights: dict, x: np.ndarray) -> np.ndarray:
    inner = config["layer"]
    return LAYERS[inner["class_name"]](inner["config"], weights, x)


LAYERS = {"Dense": dense, "TimeDistributed": time_distributed, "SimpleRNN": simple_rnn,
          "LSTM": lstm, "GRU": gru}


def replay(model: dict):
    """Recompute a data-file model entry's output from its input, in float64.

    A chain of layers, each feeding the next (``InputLayer`` entries are skipped); a last
    layer with ``return_state`` gives a list ``[output, *states]``, as ``model.predict`` does.
    """
    x = np.asarray(model["input"], dtype=np.float64)
    for layer in model["layers"]:
        if layer["class_name"] == "InputLayer":
            continue
        if layer["class_name"] not in LAYERS:
            raise NotImplementedError(f"layer {layer['class_name']}")
        x = LAYERS[layer["class_name"]](layer["config"], layer["weights"], x)
    return x
