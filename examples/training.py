# %% [markdown]
# # Part G: Training, the example
#
# The code of the chapter "Part G: Training". Run it as a plain script
# (`python examples/training.py`) or read it here with its outputs. The site build runs it once
# and includes what it publishes into the chapter, so every number on the page comes from this
# run: the loss, every gradient, every updated weight.

# %%
import io
import re

import keras
import matplotlib
import numpy as np
import tensorflow as tf
from keras import layers

import publish

matplotlib.use("Agg")  # no screen: the chart is written as SVG text
import matplotlib.pyplot as plt

publish.setup(seed=0)


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


# %% [markdown]
# ## The batch and the three models
#
# The data of Parts D and E: the target at time step t is a sigmoid of the running sum of
# (first feature − second feature) up to t. One epoch is three batches of N sequences; the
# first batch is the one the chapter takes apart.

# %%
# --8<-- [start:data]
# sequences per batch, time steps, input features, units, outputs
N, T, m, n, m_out = 4, 5, 2, 3, 1


def make_data(count, steps):
    x = np.random.uniform(0, 1, size=(count, steps, m)).astype("float32")
    running_sum = np.cumsum(x[:, :, 0] - x[:, :, 1], axis=1)
    y = sigmoid(2 * running_sum)[:, :, np.newaxis].astype("float32")
    return x, y


# one epoch of 3 batches; the first batch is the one of the tables
x_epoch, y_epoch = make_data(3 * N, T)
x_batch, y_batch = x_epoch[:N], y_epoch[:N]
# --8<-- [end:data]

# --8<-- [start:model]
RECURRENT = {
    "SimpleRNN": layers.SimpleRNN,
    "LSTM": layers.LSTM,
    "GRU": layers.GRU,
}


def make_model(kind):
    return keras.Sequential(
        [
            keras.Input(shape=(None, m)),
            # the GRU with reset_after=True, the default
            RECURRENT[kind](n, return_sequences=True),
            layers.TimeDistributed(layers.Dense(m_out, activation="sigmoid")),
        ]
    )


def compile_model(model, optimizer):
    # jit_compile=False: TensorFlow's graph as it is, without XLA
    model.compile(
        loss=keras.losses.MeanSquaredError(),
        optimizer=optimizer,
        jit_compile=False,
    )


models = {kind: make_model(kind) for kind in RECURRENT}
# the untrained weights, to start every experiment from
initial = {kind: model.get_weights() for kind, model in models.items()}
# --8<-- [end:model]

NAMES = {"SimpleRNN": "simple_rnn", "LSTM": "lstm", "GRU": "gru"}
publish.value("N", N)
publish.value("T", T)
publish.value("m", m)
publish.value("n", n)
publish.value("m_out", m_out)
publish.value("batches", len(x_epoch) // N)
publish.shape("x_batch_shape", x_batch)
publish.shape("y_batch_shape", y_batch)
publish.text_table(
    "shapes_table",
    {
        "model": [f"`{kind}`" for kind in RECURRENT],
        "`kernel`": [f"`{initial[k][0].shape}`" for k in RECURRENT],
        "`recurrent_kernel`": [f"`{initial[k][1].shape}`" for k in RECURRENT],
        "`bias`": [f"`{initial[k][2].shape}`" for k in RECURRENT],
        "Dense `kernel`": [f"`{initial[k][3].shape}`" for k in RECURRENT],
        "Dense `bias`": [f"`{initial[k][4].shape}`" for k in RECURRENT],
    },
)

# %% [markdown]
# ## Forward passes that keep what the backward pass needs
#
# Row vectors, float64. Each forward pass returns the states at every time step and, in
# `cache`, the gates; the backward pass reads them from the last time step back to the first.


# %%
# --8<-- [start:weights]
def weights_of(model):
    """The five arrays of a model, in float64, by name."""
    names = ["kernel", "recurrent_kernel", "bias", "dense_kernel", "dense_bias"]
    return {k: w.astype(np.float64) for k, w in zip(names, model.get_weights())}


# --8<-- [end:weights]


# --8<-- [start:forward_simple]
def simple_rnn_forward(w, x, h0):
    h, cache = h0, {"h": []}
    for t in range(x.shape[1]):
        a_t = x[:, t] @ w["kernel"] + h @ w["recurrent_kernel"] + w["bias"]
        h = np.tanh(a_t)
        cache["h"].append(h)
    return {k: np.stack(v, axis=1) for k, v in cache.items()}


# --8<-- [end:forward_simple]


# --8<-- [start:forward_lstm]
def lstm_forward(w, x, h0, c0):
    h, c = h0, c0
    cache = {k: [] for k in ["i", "f", "g", "o", "c", "h"]}
    for t in range(x.shape[1]):
        a = x[:, t] @ w["kernel"] + h @ w["recurrent_kernel"] + w["bias"]
        # Keras's column blocks: i, f, c (the candidate, here g), o
        a_i, a_f, a_g, a_o = np.split(a, 4, axis=1)
        i, f, g, o = sigmoid(a_i), sigmoid(a_f), np.tanh(a_g), sigmoid(a_o)
        c = f * c + i * g
        h = o * np.tanh(c)
        for k, v in zip(cache, [i, f, g, o, c, h]):
            cache[k].append(v)
    return {k: np.stack(v, axis=1) for k, v in cache.items()}


# --8<-- [end:forward_lstm]


# --8<-- [start:forward_gru]
def gru_forward(w, x, h0):
    h = h0
    cache = {k: [] for k in ["z", "r", "u", "cand", "h"]}
    b_x, b_h = w["bias"][0], w["bias"][1]
    for t in range(x.shape[1]):
        # Keras's column blocks: z, r, h (the candidate)
        x_z, x_r, x_h = np.split(x[:, t] @ w["kernel"] + b_x, 3, axis=1)
        u_z, u_r, u_h = np.split(h @ w["recurrent_kernel"] + b_h, 3, axis=1)
        z, r = sigmoid(x_z + u_z), sigmoid(x_r + u_r)
        # reset_after=True: r multiplies h_{t-1} W_hh + b_hh
        cand = np.tanh(x_h + r * u_h)
        h = z * h + (1 - z) * cand
        for k, v in zip(cache, [z, r, u_h, cand, h]):
            cache[k].append(v)
    return {k: np.stack(v, axis=1) for k, v in cache.items()}


# --8<-- [end:forward_gru]


# %% [markdown]
# ## Backpropagation through time, by hand
#
# Each backward pass receives `dL_dh_out`, the gradient reaching each h_t from the Dense head,
# and walks back in time: at step t, dL/dh_t is what comes from the head plus what comes back
# from step t + 1.


# %%
# --8<-- [start:backward_simple]
def simple_rnn_backward(w, x, h0, cache, dL_dh_out):
    hs = cache["h"]
    g = {k: np.zeros_like(w[k]) for k in ["kernel", "recurrent_kernel", "bias"]}
    dh_steps, dx = np.zeros_like(hs), np.zeros_like(x, dtype=np.float64)
    # nothing comes back after the last step
    dh_next = np.zeros_like(h0)
    for t in reversed(range(x.shape[1])):
        h_prev = hs[:, t - 1] if t > 0 else h0
        # dL/dh_t
        dh = dL_dh_out[:, t] + dh_next
        # through the tanh
        da = dh * (1 - hs[:, t] ** 2)
        g["kernel"] += x[:, t].T @ da
        g["recurrent_kernel"] += h_prev.T @ da
        g["bias"] += da.sum(axis=0)
        dx[:, t] = da @ w["kernel"].T
        # to h_{t-1}
        dh_next = da @ w["recurrent_kernel"].T
        dh_steps[:, t] = dh
    g["h0"] = dh_next
    return g, {"dh": dh_steps}, dx


# --8<-- [end:backward_simple]


# --8<-- [start:backward_lstm]
def lstm_backward(w, x, h0, c0, cache, dL_dh_out):
    i, f, g_, o, cs, hs = (cache[k] for k in ["i", "f", "g", "o", "c", "h"])
    g = {k: np.zeros_like(w[k]) for k in ["kernel", "recurrent_kernel", "bias"]}
    dh_steps, dc_steps = np.zeros_like(hs), np.zeros_like(cs)
    dx = np.zeros_like(x, dtype=np.float64)
    dh_next, dc_next = np.zeros_like(h0), np.zeros_like(c0)
    for t in reversed(range(x.shape[1])):
        h_prev = hs[:, t - 1] if t > 0 else h0
        c_prev = cs[:, t - 1] if t > 0 else c0
        tanh_c = np.tanh(cs[:, t])
        # dL/dh_t
        dh = dL_dh_out[:, t] + dh_next
        # dL/dc_t: through h_t = o tanh(c_t), and from c_{t+1}
        dc = dc_next + dh * o[:, t] * (1 - tanh_c**2)
        da_i = dc * g_[:, t] * i[:, t] * (1 - i[:, t])
        da_f = dc * c_prev * f[:, t] * (1 - f[:, t])
        da_g = dc * i[:, t] * (1 - g_[:, t] ** 2)
        da_o = dh * tanh_c * o[:, t] * (1 - o[:, t])
        da = np.concatenate([da_i, da_f, da_g, da_o], axis=1)
        g["kernel"] += x[:, t].T @ da
        g["recurrent_kernel"] += h_prev.T @ da
        g["bias"] += da.sum(axis=0)
        dx[:, t] = da @ w["kernel"].T
        # to h_{t-1}
        dh_next = da @ w["recurrent_kernel"].T
        # to c_{t-1}
        dc_next = dc * f[:, t]
        dh_steps[:, t], dc_steps[:, t] = dh, dc
    g["h0"], g["c0"] = dh_next, dc_next
    return g, {"dh": dh_steps, "dc": dc_steps}, dx


# --8<-- [end:backward_lstm]


# --8<-- [start:backward_gru]
def gru_backward(w, x, h0, cache, dL_dh_out):
    z, r, u_h, cand, hs = (cache[k] for k in ["z", "r", "u", "cand", "h"])
    g = {k: np.zeros_like(w[k]) for k in ["kernel", "recurrent_kernel", "bias"]}
    dh_steps, dx = np.zeros_like(hs), np.zeros_like(x, dtype=np.float64)
    dh_next = np.zeros_like(h0)
    for t in reversed(range(x.shape[1])):
        h_prev = hs[:, t - 1] if t > 0 else h0
        # dL/dh_t
        dh = dL_dh_out[:, t] + dh_next
        dz = dh * (h_prev - cand[:, t])
        # through the tanh
        da_h = dh * (1 - z[:, t]) * (1 - cand[:, t] ** 2)
        dr = da_h * u_h[:, t]
        da_z = dz * z[:, t] * (1 - z[:, t])
        da_r = dr * r[:, t] * (1 - r[:, t])
        # input side: x_t W_x + b_x; recurrent side: h_{t-1} W_h + b_h
        d_in = np.concatenate([da_z, da_r, da_h], axis=1)
        d_rec = np.concatenate([da_z, da_r, da_h * r[:, t]], axis=1)
        g["kernel"] += x[:, t].T @ d_in
        g["recurrent_kernel"] += h_prev.T @ d_rec
        g["bias"] += np.stack([d_in.sum(axis=0), d_rec.sum(axis=0)])
        dx[:, t] = d_in @ w["kernel"].T
        # to h_{t-1}: through z_t h_{t-1}, and through the three products
        dh_next = dh * z[:, t] + d_rec @ w["recurrent_kernel"].T
        dh_steps[:, t] = dh
    g["h0"] = dh_next
    return g, {"dh": dh_steps}, dx


# --8<-- [end:backward_gru]


# %% [markdown]
# ## The loss and the whole gradient
#
# Keras's `MeanSquaredError` averages the squared error over the last axis (the m' outputs),
# then its reduction `"sum_over_batch_size"` sums what is left, of shape (N, T), and divides
# by N T: the mean over every element of the batch.


# %%
# --8<-- [start:gradients]
def forward_backward(kind, w, x, target, last_step_only=False, h0=None):
    """The loss on one batch and the gradient of every weight array."""
    zeros = np.zeros((x.shape[0], n))
    h0 = zeros if h0 is None else h0
    x = x.astype(np.float64)
    if kind == "LSTM":
        cache = lstm_forward(w, x, h0, zeros)
    else:
        cache = FORWARD[kind](w, x, h0)
    hs = cache["h"]
    y = sigmoid(hs @ w["dense_kernel"] + w["dense_bias"])
    err = y - target
    # the loss reads y_{T-1} only
    if last_step_only:
        err[:, :-1] = 0
        count = err[:, -1].size
    # Keras's mean squared error: the mean of N T m' terms
    else:
        count = err.size
    loss = np.sum(err**2) / count
    dL_dy = 2 * err / count
    # through the Dense layer's sigmoid
    da_y = dL_dy * y * (1 - y)
    grads = {
        "dense_kernel": np.einsum("ntj,ntk->jk", hs, da_y),
        "dense_bias": da_y.sum(axis=(0, 1)),
    }
    # (N, T, n)
    dL_dh_out = da_y @ w["dense_kernel"].T
    if kind == "LSTM":
        g, steps, dx = lstm_backward(w, x, h0, zeros, cache, dL_dh_out)
    else:
        g, steps, dx = BACKWARD[kind](w, x, h0, cache, dL_dh_out)
    grads.update(g)
    return loss, grads, steps, dx


FORWARD = {"SimpleRNN": simple_rnn_forward, "GRU": gru_forward}
BACKWARD = {"SimpleRNN": simple_rnn_backward, "GRU": gru_backward}
# --8<-- [end:gradients]

# %% [markdown]
# ## The same gradients from TensorFlow
#
# `tf.GradientTape` records the layers' own computation and differentiates it. The recurrent
# layer is called with explicit zero initial states, so that the tape also gives the gradient
# of the initial state.


# %%
# --8<-- [start:tape]
def tape_gradients(model, x, target, state_count):
    recurrent, head = model.layers
    states = [tf.zeros((x.shape[0], n)) for _ in range(state_count)]
    with tf.GradientTape() as tape:
        tape.watch(states)
        y_pred = head(recurrent(x, initial_state=states))
        loss = model.compute_loss(x=x, y=target, y_pred=y_pred)
    variables = model.trainable_variables
    grads = tape.gradient(loss, variables + states)
    return float(loss), grads[: len(variables)], grads[len(variables) :]


# --8<-- [end:tape]

KEYS = ["kernel", "recurrent_kernel", "bias", "dense_kernel", "dense_bias"]
STATE_KEYS = {"SimpleRNN": ["h0"], "LSTM": ["h0", "c0"], "GRU": ["h0"]}

results = {}
for kind, model in models.items():
    compile_model(model, keras.optimizers.Adam())
    predicted = model.predict(x_batch, verbose=0)
    publish.model(NAMES[kind], model, x_batch)
    w = weights_of(model)
    loss, grads, steps, dx = forward_backward(kind, w, x_batch, y_batch)
    keras_loss, keras_grads, keras_state_grads = tape_gradients(
        model, x_batch, y_batch, len(STATE_KEYS[kind])
    )
    reference = dict(zip(KEYS, (g.numpy() for g in keras_grads)))
    reference.update(zip(STATE_KEYS[kind], (g.numpy() for g in keras_state_grads)))
    publish.check_arrays(f"grad_check_{NAMES[kind]}", grads, reference)
    results[kind] = {
        "w": w,
        "predicted": predicted,
        "loss": loss,
        "compute_loss": keras_loss,
        "grads": grads,
        "keras_grads": keras_grads,
        "steps": steps,
    }

# %% [markdown]
# ## One optimizer step: train_on_batch with Adam, then with SGD
#
# Keras 3's Adam (keras/src/optimizers/adam.py): the moments m and v start at zero; at step
# t = iterations + 1 it computes alpha = lr sqrt(1 − β₂ᵗ) / (1 − β₁ᵗ), then
# w ← w − alpha m / (sqrt(v) + ε): ε is added to sqrt(v) before any bias correction.


# %%
# --8<-- [start:sgd]
def sgd_step(w, g, config):
    return {k: w[k] - config["learning_rate"] * g[k] for k in KEYS}


# --8<-- [end:sgd]


# --8<-- [start:adam]
def adam_steps(kind, w, batches, config):
    """Adam over the batches in turn, as Keras 3 computes it."""
    lr, eps = config["learning_rate"], config["epsilon"]
    beta_1, beta_2 = config["beta_1"], config["beta_2"]
    # first moments
    m_ = {k: np.zeros_like(w[k]) for k in KEYS}
    # second moments
    v_ = {k: np.zeros_like(w[k]) for k in KEYS}
    for step, (x, target) in enumerate(batches, start=1):
        _, g, _, _ = forward_backward(kind, w, x, target)
        alpha = lr * np.sqrt(1 - beta_2**step) / (1 - beta_1**step)
        for k in KEYS:
            m_[k] += (g[k] - m_[k]) * (1 - beta_1)
            v_[k] += (g[k] ** 2 - v_[k]) * (1 - beta_2)
            # epsilon is added to sqrt(v), not to a bias-corrected sqrt(v)
            w = {**w, k: w[k] - alpha * m_[k] / (np.sqrt(v_[k]) + eps)}
    return w


# --8<-- [end:adam]


def keras_weights(model):
    return dict(zip(KEYS, model.get_weights()))


STEP_TOLERANCE = 1e-6  # for the optimizer replays
batches = [(x_epoch[i : i + N], y_epoch[i : i + N]) for i in range(0, len(x_epoch), N)]


# --8<-- [start:train_on_batch]
def one_adam_step(kind, model):
    """train_on_batch with Adam, from the untrained weights, and its replay."""
    w = weights_of(model)
    loss_value = model.train_on_batch(x_batch, y_batch)
    config = model.optimizer.get_config()
    replay = adam_steps(kind, w, [(x_batch, y_batch)], config)
    return loss_value, replay, config


# --8<-- [end:train_on_batch]


# --8<-- [start:sgd_step]
def one_sgd_step(kind, model):
    model.set_weights(initial[kind])
    compile_model(model, keras.optimizers.SGD(learning_rate=0.1))
    w = weights_of(model)
    _, g, _, _ = forward_backward(kind, w, x_batch, y_batch)
    model.train_on_batch(x_batch, y_batch)
    config = model.optimizer.get_config()
    return sgd_step(w, g, config), config


# --8<-- [end:sgd_step]


# --8<-- [start:fit]
def one_epoch(kind, model):
    """One epoch of fit, batches in order, and its replay."""
    model.set_weights(initial[kind])
    compile_model(model, keras.optimizers.Adam())
    w = weights_of(model)
    model.fit(x_epoch, y_epoch, batch_size=N, shuffle=False, verbose=0)
    return adam_steps(kind, w, batches, model.optimizer.get_config())


# --8<-- [end:fit]

for kind, model in models.items():
    r = results[kind]
    loss_value, adam_replay, r["adam_config"] = one_adam_step(kind, model)
    r["train_on_batch"] = float(loss_value)
    publish.check_arrays(
        f"adam_check_{NAMES[kind]}", adam_replay, keras_weights(model), STEP_TOLERANCE
    )
    publish.training_step(NAMES[kind], model, y_batch, loss_value, r["keras_grads"])
    r["after"] = keras_weights(model)
    # What the page says of the SimpleRNN's first Adam step: each weight moves by
    # about the learning rate, against the sign of its gradient.
    lr = r["adam_config"]["learning_rate"]
    for k in KEYS if kind == "SimpleRNN" else []:
        move = r["w"][k] - r["after"][k]
        assert np.all(np.abs(np.abs(move) / lr - 1) < 0.01), (kind, k)
        assert np.all(np.sign(move) == np.sign(r["grads"][k])), (kind, k)
    sgd_replay, r["sgd_config"] = one_sgd_step(kind, model)
    publish.check_arrays(
        f"sgd_check_{NAMES[kind]}", sgd_replay, keras_weights(model), STEP_TOLERANCE
    )
    epoch_replay = one_epoch(kind, model)
    publish.check_arrays(
        f"fit_check_{NAMES[kind]}", epoch_replay, keras_weights(model), STEP_TOLERANCE
    )


def power_of_ten(x):
    """1e-05 as LaTeX: 10^{-5}."""
    exponent = int(round(np.log10(x)))
    assert x == 10.0**exponent
    return f"10^{{{exponent}}}"


publish.value("tolerance", power_of_ten(publish.TOLERANCE))
publish.value("tolerance_step", power_of_ten(STEP_TOLERANCE))
largest = max(np.max(np.abs(g)) for r in results.values() for g in r["grads"].values())
publish.value("grad_scale", float(largest))
publish.value("sgd_lr", results["LSTM"]["sgd_config"]["learning_rate"], digits=1)
publish.value("adam_lr", results["LSTM"]["adam_config"]["learning_rate"], digits=3)
publish.value("adam_beta_1", results["LSTM"]["adam_config"]["beta_1"], digits=3)
publish.value("adam_beta_2", results["LSTM"]["adam_config"]["beta_2"], digits=3)
mantissa, exponent = f"{results['LSTM']['adam_config']['epsilon']:.0e}".split("e")
# LaTeX, for the page's equation: 10^{-7}, or 2 \cdot 10^{-7}
epsilon_tex = f"10^{{{int(exponent)}}}"
publish.value(
    "adam_epsilon", epsilon_tex if mantissa == "1" else f"{mantissa} \\cdot {epsilon_tex}"
)

for kind in RECURRENT:
    r = results[kind]
    diffs = [abs(r["loss"] - r["compute_loss"]), abs(r["loss"] - r["train_on_batch"])]
    assert max(diffs) < 1e-6, (kind, diffs)
publish.table(
    "loss_table",
    {
        "model": [f"`{kind}`" for kind in RECURRENT],
        "numpy, mean of $N T m'$ squares": [results[k]["loss"] for k in RECURRENT],
        "`model.compute_loss`": [results[k]["compute_loss"] for k in RECURRENT],
        "`train_on_batch` returns": [results[k]["train_on_batch"] for k in RECURRENT],
    },
    digits=6,
)
compiled_loss = models["LSTM"].loss
publish.value("loss_name", compiled_loss.name)
publish.value("loss_reduction", compiled_loss.reduction)
publish.value("count", N * T * m_out)

# %% [markdown]
# ## Tables for the page


# %%
def vectors(name, columns):
    """A table of row vectors, 4 decimals each."""
    publish.text_table(
        name,
        {
            k: v if isinstance(v[0], str) else [publish.vector(x, 4) for x in v]
            for k, v in columns.items()
        },
    )


steps_rows = list(reversed(range(T)))
vectors(
    "steps_table",
    {
        "$t$": [str(t) for t in steps_rows] + ["$-1$ (initial state)"],
        "SimpleRNN $\\partial L / \\partial h_t$": [
            results["SimpleRNN"]["steps"]["dh"][0, t] for t in steps_rows
        ]
        + [results["SimpleRNN"]["grads"]["h0"][0]],
        "LSTM $\\partial L / \\partial h_t$": [
            results["LSTM"]["steps"]["dh"][0, t] for t in steps_rows
        ]
        + [results["LSTM"]["grads"]["h0"][0]],
        "LSTM $\\partial L / \\partial c_t$": [
            results["LSTM"]["steps"]["dc"][0, t] for t in steps_rows
        ]
        + [results["LSTM"]["grads"]["c0"][0]],
        "GRU $\\partial L / \\partial h_t$": [
            results["GRU"]["steps"]["dh"][0, t] for t in steps_rows
        ]
        + [results["GRU"]["grads"]["h0"][0]],
    },
)

simple = results["SimpleRNN"]
units = [f"unit {j + 1}" for j in range(n)]
ROWS = {
    "kernel": [f"$x_{{t,{k + 1}}}$" for k in range(m)],
    "recurrent_kernel": [f"$h_{{t-1,{k + 1}}}$" for k in range(n)],
    "bias": ["$b_h$"],
    "dense_kernel": [f"$h_{{t,{k + 1}}}$" for k in range(n)],
    "dense_bias": ["$b_y$"],
}
for key, rows in ROWS.items():
    cols = (
        [f"$y_{{t,{j + 1}}}$" for j in range(m_out)]
        if key.startswith("dense")
        else [f"$h_{{t,{j + 1}}}$" for j in range(n)]
    )
    # for each row of the array: before, gradient, after, one under the other
    stacked = np.stack(
        [
            np.atleast_2d(simple["w"][key]),
            np.atleast_2d(simple["grads"][key]),
            np.atleast_2d(simple["after"][key]),
        ],
        axis=1,
    ).reshape(-1, len(cols))
    labels = [f"{r}, {what}" for r in rows for what in ["before", "gradient", "after"]]
    publish.matrix(f"simple_{key}", stacked, labels, cols, digits=4)

# %% [markdown]
# ## Gradients through time
#
# A longer batch, the loss on the last time step only. The norm of dL/dh_t over the batch,
# for t going back from the last time step, for the untrained models (the initial weights)
# and for the same models trained on sequences of the same length.

# %%
# --8<-- [start:long]
T_long, N_long, epochs = 60, 8, 20
x_long, y_long = make_data(N_long, T_long)
x_fit, y_fit = make_data(256, T_long)
# --8<-- [end:long]


# --8<-- [start:train_long]
def train_long(model):
    compile_model(model, keras.optimizers.Adam(learning_rate=0.01))
    history = model.fit(x_fit, y_fit, batch_size=32, epochs=epochs, verbose=0)
    return history.history["loss"][-1]


# --8<-- [end:train_long]


# --8<-- [start:norms]
def gradient_norms(kind, model):
    """The norm of dL/dh_t over the batch, at each time step t."""
    w = weights_of(model)
    result = forward_backward(kind, w, x_long, y_long, last_step_only=True)
    steps, dx = result[2], result[3]
    return np.linalg.norm(steps["dh"], axis=(0, 2)), dx


# --8<-- [end:norms]

norms, input_checks, trained_loss = {}, {}, {}
for kind, model in models.items():
    for state in ["untrained", "trained"]:
        model.set_weights(initial[kind])
        if state == "trained":
            trained_loss[kind] = train_long(model)
        dh_norm, dx = gradient_norms(kind, model)
        norms[kind, state] = dh_norm
        # The check: the gradient reaching each input x_t, by hand and from the tape.
        x_tensor = tf.constant(x_long)
        with tf.GradientTape() as tape:
            tape.watch(x_tensor)
            y_pred = model(x_tensor)
            loss = tf.reduce_mean((y_pred[:, -1] - y_long[:, -1]) ** 2)
        dx_keras = tape.gradient(loss, x_tensor).numpy()
        scale = float(np.max(np.abs(dx_keras)))
        input_checks[kind, state] = float(np.max(np.abs(dx - dx_keras))) / scale
        assert np.all(dh_norm > 0)

worst = max(input_checks.values())
publish.check_arrays(
    "input_grad_check",
    {"dL/dx relative to its largest value": worst},
    {"dL/dx relative to its largest value": 0.0},
)
publish.value("T_long", T_long)
publish.value("N_long", N_long)
publish.value("epochs_long", epochs)
publish.shape("x_long_shape", x_long)
publish.table(
    "trained_loss_table",
    {
        "model": [f"`{kind}`" for kind in RECURRENT],
        "training loss after the last epoch": [trained_loss[k] for k in RECURRENT],
    },
    digits=6,
)

# The rows of the table: how many time steps back from the last one.
BACK = [0, 1, 2, 5, 10, 20, 30, 40, T_long - 1]
SERIES = [(kind, state) for kind in RECURRENT for state in ["untrained", "trained"]]


def sci(x):
    """A positive number in scientific notation, e.g. 3.1 × 10⁻⁵, for a table cell."""
    mantissa, exponent = f"{x:.2e}".split("e")
    # no-break spaces: a number stays on one line of its table cell
    number = f"{mantissa}\u00a0×\u00a010<sup>{int(exponent)}</sup>"
    return number.replace("-", "\u2212")


for state in ["untrained", "trained"]:
    publish.text_table(
        f"norms_table_{state}",
        {
            "steps back": [str(k) for k in BACK],
            **{
                f"{kind}, {state}": [sci(norms[kind, state][T_long - 1 - k]) for k in BACK]
                for kind in RECURRENT
            },
        },
    )
# ||dL/dh_0|| / ||dL/dh_{T-1}||: what is left of the gradient T - 1 steps back
ratio = {s: norms[s][0] / norms[s][-1] for s in SERIES}
for kind, state in SERIES:
    publish.value(f"ratio_{NAMES[kind]}_{state}", sci(ratio[kind, state]))


def verdict(state):
    """How much of the gradient is left T - 1 time steps back, for the three models."""
    smallest = min(ratio[kind, state] for kind in RECURRENT)
    largest = max(ratio[kind, state] for kind in RECURRENT)
    if largest < 1e-3:
        return "vanishes: less than a thousandth of it is left for every model"
    if smallest > 0.1:
        return "does not vanish: more than a tenth of it is left for every model"
    return "vanishes for some models and not for others"


publish.probe("probe_vanishing_untrained", verdict("untrained"))
publish.probe("probe_vanishing_trained", verdict("trained"))

# %% [markdown]
# ## The chart
#
# matplotlib writes SVG; the chart is included in the page as it is, so its text and axes use
# the page's text colour (`currentColor`) and read in light and dark mode. The line colours
# keep a contrast of at least 3:1 on the light and on the dark page.

# %%
INK = "#010203"  # replaced by currentColor in the SVG
COLOURS = {"SimpleRNN": "#ea580c", "LSTM": "#8b5cf6", "GRU": "#0d9488"}


def luminance(colour):
    """WCAG's relative luminance of a colour written #rrggbb."""
    rgb = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    rgb = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    return 0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2]


def contrast(a, b):
    hi, lo = sorted([luminance(a), luminance(b)], reverse=True)
    return (hi + 0.05) / (lo + 0.05)


# the light page and Material's dark "slate" page
for colour in COLOURS.values():
    assert min(contrast(colour, "#ffffff"), contrast(colour, "#1e2129")) >= 3, colour
matplotlib.rcParams.update(
    {
        "svg.fonttype": "none",  # text stays text
        "svg.hashsalt": "training",  # the same ids at every build
        "path.simplify": False,  # every point of every line is in the SVG
        "font.family": ["DejaVu Sans"],
        "font.size": 11,
        "text.color": INK,
        "axes.edgecolor": INK,
        "axes.labelcolor": INK,
        "xtick.color": INK,
        "ytick.color": INK,
    }
)
fig, ax = plt.subplots(figsize=(7.2, 4.2))
back = np.arange(T_long)
for kind, state in SERIES:
    # time steps back from the last one: k = T - 1 - t
    ax.semilogy(
        back,
        norms[kind, state][::-1],
        color=COLOURS[kind],
        linestyle="-" if state == "trained" else (0, (4, 2)),
        linewidth=2 if state == "trained" else 1.6,
        marker="o" if state == "trained" else "s",
        markevery=BACK,
        markersize=4,
        label=f"{kind}, {state}",
        gid=f"series-{kind}-{state}",
    )
ax.set_xlabel("time steps back from the last one, T − 1 − t")
ax.set_ylabel(r"$\Vert\partial L / \partial h_t \Vert$ over the batch")
ax.grid(True, which="major", color="#6b7280", alpha=0.35, linewidth=0.6)
ax.legend(frameon=False, fontsize=9, ncols=3, loc="lower center", bbox_to_anchor=(0.5, 1.0))
fig.tight_layout()
buffer = io.StringIO()
fig.savefig(buffer, format="svg", transparent=True, metadata={"Date": None})
plt.close(fig)
svg = buffer.getvalue()
svg = svg[svg.index("<svg") :]  # no XML declaration or doctype inside HTML
svg = re.sub(r"<metadata>.*?</metadata>", "", svg, flags=re.S)
# matplotlib's comments repeat each label's TeX source ($\mathdefault{10^{-14}}$): the page
# must not show them to a maths typesetter
svg = re.sub(r"<!--.*?-->", "", svg, flags=re.S)
# matplotlib's style sheet applies to *, which would restyle the whole page
svg = re.sub(r"<style[^>]*>.*?</style>", "", svg, flags=re.S)
svg = svg.replace(INK, "currentColor")
# CSS pixels (96 per inch) instead of points; it shrinks on a narrow screen
width, height = (round(v * 96) for v in fig.get_size_inches())
svg = re.sub(
    r'\swidth="[\d.]+pt" height="[\d.]+pt"',
    f' width="{width}" height="{height}" style="height: auto"',
    svg,
    count=1,
)
svg = svg.replace(
    "<svg ",
    '<svg role="img" aria-labelledby="chart-title chart-desc" class="chart" ',
    1,
)
desc = (
    f"The norm of the gradient of the loss at the last time step with respect to h_t, "
    f"on a logarithmic scale, against the number of time steps back from the last one "
    f"(0 to {T_long - 1}), for SimpleRNN, LSTM and GRU, untrained (dashed) and trained "
    f"(solid). The numbers are in the table below the chart."
)
svg = re.sub(
    r"(<svg[^>]*>)",
    r'\1<title id="chart-title">Gradients through time</title>'
    f'<desc id="chart-desc">{desc}</desc>',
    svg,
    count=1,
)
svg = "\n".join(line for line in svg.splitlines() if line.strip())  # one HTML block
publish.text("chart", svg)

# %% [markdown]
# ## Dropout in training mode
#
# Each cell draws its masks once per call of the layer (keras/src/layers/rnn/rnn.py calls
# `get_dropout_mask` and `get_recurrent_dropout_mask` before the loop over time steps and
# resets them after it), so every time step of a call reuses the same masks. A mask is
# `keras.random.dropout` of ones: 0 with probability `rate`, else 1 / (1 − rate). SimpleRNN
# draws one mask for x_t and one for h_{t−1}; with `recurrent_dropout`, LSTM and GRU switch
# to `implementation=1` and draw one mask per gate block for each (4 and 3).

# %%
# --8<-- [start:dropout_model]
rate, recurrent_rate = 0.5, 0.25
dropout_layers = {
    kind: RECURRENT[kind](
        n,
        return_sequences=True,
        dropout=rate,
        recurrent_dropout=recurrent_rate,
        seed=1,
    )
    for kind in RECURRENT
}
# --8<-- [end:dropout_model]


# --8<-- [start:masks]
def call_and_masks(layer, x):
    """A training-mode call, and the masks it drew, drawn again."""
    cell = layer.cell
    seed_state = cell.seed_generator.state.numpy()
    output = layer(x, training=True).numpy()
    # the same seed state and the same two calls, in the order rnn.py makes them
    cell.seed_generator.state.assign(seed_state)
    x_masks = cell.get_dropout_mask(x[:, 0, :])
    h_masks = cell.get_recurrent_dropout_mask(tf.zeros((x.shape[0], n)))
    cell.reset_dropout_mask()
    cell.reset_recurrent_dropout_mask()
    # SimpleRNN: one mask of each
    if not isinstance(x_masks, list):
        x_masks, h_masks = [x_masks], [h_masks]
    x_masks = [np.asarray(k) for k in x_masks]
    h_masks = [np.asarray(k) for k in h_masks]
    return output, x_masks, h_masks


# --8<-- [end:masks]


# --8<-- [start:dropout_replay]
def lstm_dropout_forward(w, x, x_masks, h_masks):
    """Gate k reads x_t * x_masks[k] and h_{t-1} * h_masks[k]."""
    h = c = np.zeros((x.shape[0], n))
    W_x = np.split(w["kernel"], 4, axis=1)
    W_h = np.split(w["recurrent_kernel"], 4, axis=1)
    b = np.split(w["bias"], 4)
    hs = []
    for t in range(x.shape[1]):
        a = []
        # the gates i, f, c, o
        for k in range(4):
            x_k, h_k = x[:, t] * x_masks[k], h * h_masks[k]
            a.append(x_k @ W_x[k] + h_k @ W_h[k] + b[k])
        i, f, g, o = sigmoid(a[0]), sigmoid(a[1]), np.tanh(a[2]), sigmoid(a[3])
        c = f * c + i * g
        h = o * np.tanh(c)
        hs.append(h)
    return np.stack(hs, axis=1)


# --8<-- [end:dropout_replay]


def simple_rnn_dropout_forward(w, x, x_masks, h_masks):
    h, hs = np.zeros((x.shape[0], n)), []
    for t in range(x.shape[1]):
        h = np.tanh(
            (x[:, t] * x_masks[0]) @ w["kernel"]
            + w["bias"]
            + (h * h_masks[0]) @ w["recurrent_kernel"]
        )
        hs.append(h)
    return np.stack(hs, axis=1)


def gru_dropout_forward(w, x, x_masks, h_masks):
    h, hs = np.zeros((x.shape[0], n)), []
    W_x = np.split(w["kernel"], 3, axis=1)
    W_h = np.split(w["recurrent_kernel"], 3, axis=1)
    b_x, b_h = np.split(w["bias"][0], 3), np.split(w["bias"][1], 3)
    for t in range(x.shape[1]):
        x_z, x_r, x_h = ((x[:, t] * x_masks[k]) @ W_x[k] + b_x[k] for k in range(3))
        u_z, u_r, u_h = ((h * h_masks[k]) @ W_h[k] + b_h[k] for k in range(3))
        z, r = sigmoid(x_z + u_z), sigmoid(x_r + u_r)
        h = z * h + (1 - z) * np.tanh(x_h + r * u_h)
        hs.append(h)
    return np.stack(hs, axis=1)


DROPOUT_FORWARD = {
    "SimpleRNN": simple_rnn_dropout_forward,
    "LSTM": lstm_dropout_forward,
    "GRU": gru_dropout_forward,
}
mask_rows, dropout_checks, inference_checks, redraw = [], {}, {}, {}
for kind, layer in dropout_layers.items():
    layer.build((N, T, m))
    w = {
        k: v.astype(np.float64)
        for k, v in zip(["kernel", "recurrent_kernel", "bias"], layer.get_weights())
    }
    output, x_masks, h_masks = call_and_masks(layer, x_batch)
    replay = DROPOUT_FORWARD[kind](w, x_batch.astype(np.float64), x_masks, h_masks)
    dropout_checks[kind] = publish.check_arrays(
        f"dropout_check_{NAMES[kind]}", {"h": replay}, {"h": output}
    )
    # inference: training=False ignores the masks; so does predict
    no_masks = DROPOUT_FORWARD[kind](
        w, x_batch.astype(np.float64), [np.ones(m)] * 4, [np.ones(n)] * 4
    )
    inference_checks[kind] = publish.check_arrays(
        f"inference_check_{NAMES[kind]}",
        {"training=False": no_masks, "predict": no_masks},
        {
            "training=False": layer(x_batch, training=False).numpy(),
            "predict": keras.Sequential([keras.Input((T, m)), layer]).predict(x_batch, verbose=0),
        },
    )
    # a second training-mode call draws new masks
    _, x_masks_2, _ = call_and_masks(layer, x_batch)
    redraw[kind] = not all(np.array_equal(a, b) for a, b in zip(x_masks, x_masks_2))
    values = sorted({float(v) for k in x_masks + h_masks for v in np.unique(k)})
    mask_rows.append(
        {
            "layer": f"`{kind}`",
            "masks on $x_t$": f"{len(x_masks)}, shape `{x_masks[0].shape}`",
            "masks on $h_{t-1}$": f"{len(h_masks)}, shape `{h_masks[0].shape}`",
            "values": ", ".join(publish.fmt(v, 4) for v in values),
            "new masks at the next call": "yes" if redraw[kind] else "no",
        }
    )
    assert len(values) == 3 and values[0] == 0.0  # 0, 1/(1-0.25), 1/(1-0.5)

publish.text_table("masks_table", {k: [row[k] for row in mask_rows] for k in mask_rows[0]})
publish.value("rate", rate, digits=2)
publish.value("recurrent_rate", recurrent_rate, digits=2)
publish.value("keep_scale", 1 / (1 - rate), digits=4)
publish.value("keep_scale_recurrent", 1 / (1 - recurrent_rate), digits=4)
publish.probe(
    "probe_dropout_masks",
    "one draw per call, reused at every time step"
    if max(dropout_checks.values()) <= publish.TOLERANCE and all(redraw.values())
    else "not as described",
)

# %% [markdown]
# ## Stateful training: the state crosses batches, the gradient does not
#
# A stateful SimpleRNN reads two batches in turn: the second continues the sequences of the
# first. Keras starts the second call from the state the first one left, but the tape of the
# second call does not contain the first call: the gradient stops at the batch boundary
# (truncated backpropagation through time).

# %%
# --8<-- [start:stateful]
stateful = keras.Sequential(
    [
        keras.Input(batch_shape=(N, None, m)),
        layers.SimpleRNN(n, return_sequences=True, stateful=True),
        layers.TimeDistributed(layers.Dense(m_out, activation="sigmoid")),
    ]
)
stateful.set_weights(initial["SimpleRNN"])
loss_fn = keras.losses.MeanSquaredError()
# T time steps per batch, two batches
x_two, y_two = make_data(N, 2 * T)
x_1, x_2, y_2 = x_two[:, :T], x_two[:, T:], y_two[:, T:]
# batch 1: the state is kept
stateful(x_1, training=True)
h_carried = stateful.layers[0].states[0].numpy()
with tf.GradientTape() as tape:
    # batch 2
    loss_2 = loss_fn(y_2, stateful(x_2, training=True))
keras_grads_2 = tape.gradient(loss_2, stateful.trainable_variables)
# --8<-- [end:stateful]

# --8<-- [start:stateful_replay]
w = weights_of(stateful)
# batch 2 alone, from the carried state, taken as a constant
_, truncated, _, _ = forward_backward(
    "SimpleRNN",
    w,
    x_2,
    y_2,
    h0=h_carried.astype(np.float64),
)
# backpropagation through both batches: the loss of batch 2 only
both_target = np.concatenate([y_two[:, :T], y_2], axis=1)
x_both = x_two.astype(np.float64)
cache = simple_rnn_forward(w, x_both, np.zeros((N, n)))
ys = sigmoid(cache["h"] @ w["dense_kernel"] + w["dense_bias"])
err = ys - both_target
# the loss reads the time steps of batch 2
err[:, :T] = 0
count = err[:, T:].size
da_y = 2 * err / count * ys * (1 - ys)
full, full_steps, _ = simple_rnn_backward(
    w, x_both, np.zeros((N, n)), cache, da_y @ w["dense_kernel"].T
)
# --8<-- [end:stateful_replay]
# Keras's state after batch 1 is the last state of the forward pass over batch 1.
publish.check_arrays("stateful_state_check", {"h": cache["h"][:, T - 1]}, {"h": h_carried})
keras_2 = dict(zip(KEYS, (g.numpy() for g in keras_grads_2)))
publish.check_arrays(
    "stateful_truncated_check",
    {k: truncated[k] for k in KEYS[:3]},
    {k: keras_2[k] for k in KEYS[:3]},
)
full_gap = {k: float(np.max(np.abs(full[k] - keras_2[k]))) for k in KEYS[:3]}
assert min(full_gap.values()) > 1e-4  # the full gradient is another gradient
boundary = float(np.linalg.norm(full_steps["dh"][:, T - 1]))
assert boundary > 1e-4
publish.value("boundary_norm", boundary)
publish.value("h_carried_norm", float(np.linalg.norm(h_carried)))
publish.text_table(
    "stateful_table",
    {
        "array": ["`kernel`", "`recurrent_kernel`", "`bias`"],
        "truncated at the boundary, as computed here": [
            f"{np.max(np.abs(truncated[k] - keras_2[k])):.1e}".replace("-", "\u2212")
            for k in KEYS[:3]
        ],
        "through both batches": [f"{full_gap[k]:.1e}".replace("-", "\u2212") for k in KEYS[:3]],
    },
)
publish.probe(
    "probe_stateful_truncated",
    "stops at the batch boundary" if min(full_gap.values()) > 1e-4 else "flows across batches",
)
