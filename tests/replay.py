"""An independent numpy replay of the models in the chapters' data files.

It reads only what a reader downloads, ``data/<slug>.json`` (each layer's class, config and
weights), and recomputes the model's output, one layer and one time step at a time. The tests
compare it with the ``model.predict`` output stored beside it. It shares no code with the
examples: a mistake in a chapter's replay and the same mistake here would have to be made
twice.

A model entry holds ``name``, ``layers`` (each with ``class_name``, ``config`` and ``weights``
by variable name), ``input`` and ``output`` (a list when the model has several outputs). Some
entries hold more, for the options of recurrent layers:

* ``initial_state``: the states the (first) recurrent layer starts from, instead of zeros: the
  arrays a model built as ``layer(x, initial_state=[h0, ...])`` takes after its input.
* ``next_inputs`` and ``next_outputs``: for a model with ``stateful=True`` layers, the inputs
  of the calls that followed the first one, in order, and what ``model.predict`` returned for
  each; the stateful layers start each call from the states where the previous call left
  them (from zero for the first). ``replay_calls`` replays them all.
* a ``Bidirectional`` layer has empty ``weights`` and its two layers, each with ``class_name``,
  ``config`` and ``weights``, under ``forward`` and ``backward`` (which has ``go_backwards``).
* a ``Masking`` layer has no weights: it sets the mask (false at the time steps whose features
  all equal ``mask_value``), which the next recurrent layer applies.
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


def _simple_rnn_cell(config: dict, weights: dict):
    W_x, W_h = np.asarray(weights["kernel"]), np.asarray(weights["recurrent_kernel"])
    b = np.asarray(weights["bias"]) if config.get("use_bias", True) else 0.0
    act = activation(config["activation"])

    def step(x_t, states):
        h = act(x_t @ W_x + states[0] @ W_h + b)
        return h, [h]

    return step, [W_h.shape[0]]


def _lstm_cell(config: dict, weights: dict):
    kernel, recurrent = np.asarray(weights["kernel"]), np.asarray(weights["recurrent_kernel"])
    bias = (
        np.asarray(weights["bias"]) if config.get("use_bias", True) else np.zeros(kernel.shape[1])
    )
    n = recurrent.shape[0]
    act, rec_act = activation(config["activation"]), activation(config["recurrent_activation"])

    def step(x_t, states):
        h, c = states
        z = x_t @ kernel + h @ recurrent + bias
        i, f, g, o = (z[:, k * n : (k + 1) * n] for k in range(4))  # Keras order: i, f, c, o
        c = rec_act(f) * c + rec_act(i) * act(g)
        h = rec_act(o) * act(c)
        return h, [h, c]

    return step, [n, n]


def _gru_cell(config: dict, weights: dict):
    kernel, recurrent = np.asarray(weights["kernel"]), np.asarray(weights["recurrent_kernel"])
    n = recurrent.shape[0]
    act, rec_act = activation(config["activation"]), activation(config["recurrent_activation"])
    reset_after = config.get("reset_after", True)
    bias = np.asarray(weights["bias"]) if config.get("use_bias", True) else np.zeros((2, 3 * n))
    b_in, b_rec = (bias[0], bias[1]) if reset_after else (bias, np.zeros(3 * n))

    def step(x_t, states):
        h = states[0]
        xz, xr, xh = np.split(x_t @ kernel + b_in, 3, axis=-1)  # Keras order: z, r, h
        hz, hr, hh = np.split(h @ recurrent + b_rec, 3, axis=-1)
        z, r = rec_act(xz + hz), rec_act(xr + hr)
        if reset_after:
            candidate = act(xh + r * hh)  # reset after the product, recurrent bias included
        else:
            candidate = act(xh + (r * h) @ recurrent[:, 2 * n :])  # reset before the product
        h = z * h + (1 - z) * candidate  # z keeps the OLD state
        return h, [h]

    return step, [n]


CELLS = {"SimpleRNN": _simple_rnn_cell, "LSTM": _lstm_cell, "GRU": _gru_cell}


def _recurrent(layer: dict, x: np.ndarray, initial_state=None, mask=None):
    """A recurrent layer entry on x: (its output as Keras returns it, its final states).

    The states start from ``initial_state``, or zeros. Where ``mask`` (shape (N, T)) is false,
    the step is skipped: the states carry over unchanged and the output repeats the previous
    output (zero before the first step, as in Keras's backend), or is zero with
    ``zero_output_for_mask``."""
    config = layer["config"]
    step, sizes = CELLS[layer["class_name"]](config, layer["weights"])
    if initial_state is None:
        states = [np.zeros((x.shape[0], size)) for size in sizes]
    else:
        states = [np.asarray(s, dtype=np.float64) for s in initial_state]
    previous = np.zeros((x.shape[0], sizes[0]))
    outputs = []
    for t in _steps(config, x):
        output, new_states = step(x[:, t], states)
        if mask is not None:
            keep = np.asarray(mask)[:, t, np.newaxis]
            output = np.where(keep, output, 0.0 if config.get("zero_output_for_mask") else previous)
            new_states = [np.where(keep, new, old) for new, old in zip(new_states, states)]
        outputs.append(output)
        previous, states = output, new_states
    return _finish(config, outputs, *states), states


def simple_rnn(
    config: dict, weights: dict, x: np.ndarray, initial_state=None, mask=None
) -> np.ndarray:
    return _recurrent(
        {"class_name": "SimpleRNN", "config": config, "weights": weights}, x, initial_state, mask
    )[0]


def lstm(config: dict, weights: dict, x: np.ndarray, initial_state=None, mask=None) -> np.ndarray:
    return _recurrent(
        {"class_name": "LSTM", "config": config, "weights": weights}, x, initial_state, mask
    )[0]


def gru(config: dict, weights: dict, x: np.ndarray, initial_state=None, mask=None) -> np.ndarray:
    return _recurrent(
        {"class_name": "GRU", "config": config, "weights": weights}, x, initial_state, mask
    )[0]


def bidirectional(layer: dict, x: np.ndarray, initial_state=None, mask=None):
    """A ``Bidirectional`` entry on x: the forward layer reads x in date order, the backward layer
    (``go_backwards``) from the last date to the first; with ``return_sequences`` the backward
    outputs are put back in date order before the two are merged (keras/src/layers/rnn/
    bidirectional.py). The first half of ``initial_state`` goes to the forward layer."""
    forward, backward = layer["forward"], layer["backward"]
    half = None if initial_state is None else len(initial_state) // 2
    y, forward_states = _recurrent(forward, x, None if half is None else initial_state[:half], mask)
    y_rev, backward_states = _recurrent(
        backward, x, None if half is None else initial_state[half:], mask
    )
    return_state = forward["config"].get("return_state")
    if return_state:
        y, y_rev = y[0], y_rev[0]
    if forward["config"].get("return_sequences"):
        y_rev = y_rev[:, ::-1]
    merge_mode = layer["config"].get("merge_mode", "concat")
    merged = {
        "concat": lambda: np.concatenate([y, y_rev], axis=-1),
        "sum": lambda: y + y_rev,
        "ave": lambda: (y + y_rev) / 2,
        "mul": lambda: y * y_rev,
        None: lambda: [y, y_rev],
    }[merge_mode]()
    if return_state:
        merged = (merged if merge_mode is None else [merged]) + [*forward_states, *backward_states]
    return merged, forward_states + backward_states


def time_distributed(config: dict, weights: dict, x: np.ndarray) -> np.ndarray:
    inner = config["layer"]
    return LAYERS[inner["class_name"]](inner["config"], weights, x)


LAYERS = {
    "Dense": dense,
    "TimeDistributed": time_distributed,
    "SimpleRNN": simple_rnn,
    "LSTM": lstm,
    "GRU": gru,
}


def _call(model: dict, x, carried: dict):
    """One call of the model on x; ``carried`` holds the states of its stateful layers, by
    layer index, and is updated."""
    x = np.asarray(x, dtype=np.float64)
    initial_state, mask = model.get("initial_state"), None
    for index, layer in enumerate(model["layers"]):
        name, config = layer["class_name"], layer["config"]
        if name == "InputLayer":
            continue
        if name == "Masking":
            mask = np.any(x != config["mask_value"], axis=-1)
            x = np.where(mask[..., np.newaxis], x, 0.0)
        elif name in CELLS or name == "Bidirectional":
            rnn_config = layer["forward"]["config"] if name == "Bidirectional" else config
            if name == "Bidirectional" and rnn_config.get("stateful"):
                raise NotImplementedError("a stateful Bidirectional layer")
            start = initial_state if initial_state is not None else carried.get(index)
            initial_state = None  # for the first recurrent layer only
            run = bidirectional if name == "Bidirectional" else _recurrent
            x, states = run(layer, x, start, mask)
            if rnn_config.get("stateful"):
                carried[index] = states
            if not rnn_config.get("return_sequences"):
                mask = None  # the layer's output has no time axis left to mask
        elif name in LAYERS:
            x = LAYERS[name](config, layer["weights"], x)
        else:
            raise NotImplementedError(f"layer {name}")
    return x


def replay(model: dict):
    """Recompute a data-file model entry's output from its input, in float64.

    A chain of layers, each feeding the next (``InputLayer`` entries are skipped); a last
    layer with ``return_state`` gives a list ``[output, *states]``, as ``model.predict`` does.
    """
    return _call(model, model["input"], {})


def replay_calls(model: dict) -> list:
    """The outputs of the consecutive calls of a model entry: ``input`` then each of
    ``next_inputs``, the stateful layers' states carried from one call to the next."""
    carried: dict = {}
    return [_call(model, x, carried) for x in [model["input"], *model.get("next_inputs", [])]]
