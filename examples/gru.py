# %% [markdown]
# # Part E: GRU, the example
#
# The code of the chapter "Part E: GRU". Run it as a plain script (`python examples/gru.py`)
# or read it here with its outputs. The site build runs it once and includes what it publishes
# into the chapter, so every number on the page comes from this run.

# %%
import re

import keras
import numpy as np
from keras import layers

import publish

publish.setup(seed=0)


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


# %% [markdown]
# ## Data and model
#
# The data of Part D: the target at time step t is a sigmoid of the running sum of
# (first feature − second feature) up to t.

# %%
# --8<-- [start:data]
# sequences, time steps, input features, GRU units, output features
N, T, m, n, m_out = 256, 5, 2, 3, 1
x_train = np.random.uniform(0, 1, size=(N, T, m)).astype("float32")
# the running sum over s <= t of x_{s,1} - x_{s,2}
running_sum = np.cumsum(x_train[:, :, 0] - x_train[:, :, 1], axis=1)
# the target at every time step, shape (N, T, 1)
y_train = sigmoid(2 * running_sum)[:, :, np.newaxis].astype("float32")
# --8<-- [end:data]

# --8<-- [start:model]
model = keras.Sequential(
    [
        # any number of time steps, m features per time step
        keras.Input(shape=(None, m)),
        # reset_after=True, the default
        layers.GRU(n, return_sequences=True),
        # y_t from h_t, at every time step
        layers.TimeDistributed(layers.Dense(m_out, activation="sigmoid")),
    ]
)
model.compile(loss="mse", optimizer="adam")
epochs = 100
history = model.fit(x_train, y_train, epochs=epochs, batch_size=32, verbose=0)
# --8<-- [end:model]

publish.value("N", N)
publish.value("T", T)
publish.value("m", m)
publish.value("n", n)
publish.value("m_out", m_out)
publish.value("m_out_noun", "feature" if m_out == 1 else "features")
publish.value("three_n", 3 * n)
publish.value("epochs", epochs)
publish.shape("x_train_shape", x_train)
publish.shape("y_train_shape", y_train)
publish.value("loss", history.history["loss"][-1], digits=6)

summary_lines = []
model.summary(print_fn=lambda line, **kwargs: summary_lines.append(line))
publish.text("summary", "\n".join(summary_lines), code="text")

# %% [markdown]
# ## The weights, split by gate
#
# Keras stacks the three parts side by side, in the order z (update gate), r (reset gate),
# h (candidate): n columns each. With reset_after=True the bias has two rows: row 0 is added
# to the input side, row 1 to the recurrent side.

# %%
# --8<-- [start:weights]
kernel, recurrent_kernel, bias = model.layers[0].get_weights()
# the Dense layer inside TimeDistributed
W_y, b_y = model.layers[1].get_weights()
# (m, 3n) (n, 3n) (2, 3n)
print(kernel.shape, recurrent_kernel.shape, bias.shape)

# three blocks of n columns each, in Keras's order: z, r, h
W_xz, W_xr, W_xh = np.split(kernel, 3, axis=1)
W_hz, W_hr, W_hh = np.split(recurrent_kernel, 3, axis=1)
# bias row 0, bias[0]: the input side
b_xz, b_xr, b_xh = np.split(bias[0], 3)
# bias row 1, bias[1]: the recurrent side
b_hz, b_hr, b_hh = np.split(bias[1], 3)
# --8<-- [end:weights]

publish.shape("kernel_shape", kernel)
publish.shape("recurrent_kernel_shape", recurrent_kernel)
publish.shape("bias_shape", bias)
publish.shape("W_y_shape", W_y)
publish.shape("b_y_shape", b_y)
publish.shape("W_xz_shape", W_xz)
publish.shape("W_hz_shape", W_hz)
publish.shape("b_xz_shape", b_xz)

GATES = [  # (letter in the weight names, CSS class, name, symbol of the gate's value)
    ("z", "c-z", "update gate", "z"),
    ("r", "c-r", "reset gate", "r"),
    ("h", "c-cand", "candidate", "\\tilde h"),
]


def gate_label(k):
    letter, css, name, symbol = GATES[k]
    return f'<span class="{css}">{name} ${symbol}_t$</span>'


def block(k):
    return f"{k * n}:{(k + 1) * n}"


publish.text_table(
    "blocks",
    {
        "block": [str(k) for k in range(3)],
        "columns": [f"{k * n} to {(k + 1) * n - 1}" for k in range(3)],
        "Python": [
            f"`kernel[:, {block(k)}]`, `recurrent_kernel[:, {block(k)}]`, `bias[:, {block(k)}]`"
            for k in range(3)
        ],
        "gate": [gate_label(k) for k in range(3)],
        "matrices": [
            f"$W_{{x{g[0]}}}$, $W_{{h{g[0]}}}$, $b_{{x{g[0]}}}$, $b_{{h{g[0]}}}$" for g in GATES
        ],
    },
)

# Row labels: the vector component each row multiplies (site-wide convention).
x_labels = [f"$x_{{t,{k + 1}}}$" for k in range(m)]
h_prev_labels = [f"$h_{{t-1,{k + 1}}}$" for k in range(n)]

split = {
    "z": (W_xz, W_hz, b_xz, b_hz),
    "r": (W_xr, W_hr, b_xr, b_hr),
    "h": (W_xh, W_hh, b_xh, b_hh),
}
for letter, css, name, symbol in GATES:
    W_x, W_h, b_x, b_h = split[letter]
    publish.matrix(
        f"gate_{letter}",
        np.vstack([W_x, W_h, b_x, b_h]),
        row_labels=(
            x_labels
            + h_prev_labels
            + [f"$b_{{x{letter}}}$ (`bias[0]`)", f"$b_{{h{letter}}}$ (`bias[1]`)"]
        ),
        col_labels=[f'<span class="{css}">${symbol}_{{t,{j + 1}}}$</span>' for j in range(n)],
        corner=f'<span class="{css}">{name}</span>',
    )

publish.matrix(
    "dense_weights",
    np.vstack([W_y, b_y]),
    row_labels=[f"$h_{{t,{k + 1}}}$" for k in range(n)] + ["$b_y$"],
    col_labels=[f'<span class="c-y">$y_{{t,{j + 1}}}$</span>' for j in range(m_out)],
)

# The two bias rows only add up in z and r, so training moves them alike there.
rows_zr = float(np.max(np.abs(bias[0, : 2 * n] - bias[1, : 2 * n])))
rows_h = float(np.max(np.abs(bias[0, 2 * n :] - bias[1, 2 * n :])))
assert rows_zr < 1e-6 and rows_h > 1e-3  # what the text says
publish.value("bias_rows_zr", f"{rows_zr:.1e}".replace("-", "\u2212"))
publish.value("bias_rows_h", rows_h)

params_gru = model.layers[0].count_params()
assert params_gru == 3 * n * (m + n + 2) == kernel.size + recurrent_kernel.size + bias.size
publish.value("params_gru", params_gru)
publish.value("params_formula", 3 * n * (m + n + 2))
publish.value("params_dense", model.layers[1].count_params())
publish.value("params_total", model.count_params())

# %% [markdown]
# ## The computation, step by step (reset_after=True)

# %%
# --8<-- [start:predict]
new_input = np.array(
    [[[1.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.0, 0.0], [0.5, 0.5]]],
    dtype="float32",
)
# shape (1, 5, 1)
predicted = model.predict(new_input)
# --8<-- [end:predict]
publish.model("gru", model, new_input)
publish.shape("new_input_shape", new_input)
publish.shape("predicted_shape", predicted)


# --8<-- [start:replay]
def gru_replay(sequence):
    """One sequence, shape (T, m), through the GRU and the Dense layer."""
    # h_{-1} = 0
    h = np.zeros(n)
    steps = []
    for x_t in sequence:
        # update gate and reset gate: equations (1) and (2)
        z_t = sigmoid(x_t @ W_xz + b_xz + h @ W_hz + b_hz)
        r_t = sigmoid(x_t @ W_xr + b_xr + h @ W_hr + b_hr)
        # the candidate's recurrent part, bias included
        recurrent = h @ W_hh + b_hh
        # reset AFTER the product: equation (3)
        h_tilde_t = np.tanh(x_t @ W_xh + b_xh + r_t * recurrent)
        # z_t keeps the old state: equation (4)
        h = z_t * h + (1 - z_t) * h_tilde_t
        # the Dense layer: y_t = σ(h_t W_y + b_y)
        y_t = sigmoid(h @ W_y + b_y)
        step = {"z": z_t, "r": r_t, "recurrent": recurrent}
        step |= {"reset": r_t * recurrent, "h_tilde": h_tilde_t}
        steps.append(step | {"h": h, "y": y_t})
    return steps


steps = gru_replay(new_input[0])
# shape (1, 5, 1), as model.predict
replay = np.array([[step["y"] for step in steps]])
# --8<-- [end:replay]
publish.check_replay("replay", replay, predicted)

test_input = np.random.uniform(0, 1, size=(64, T, m)).astype("float32")
test_predicted = model.predict(test_input, verbose=0)
test_replay = np.array([[step["y"] for step in gru_replay(sequence)] for sequence in test_input])
publish.check_replay("replay_batch", test_replay, test_predicted)
publish.value("n_test", len(test_input))

times = [str(t) for t in range(T)]
publish.table(
    "gates_table",
    {
        "$t$": times,
        '<span class="c-x">$x_t$</span>': [publish.vector(x, 1) for x in new_input[0]],
        '<span class="c-z">$z_t$</span>': [publish.vector(s["z"]) for s in steps],
        '<span class="c-r">$r_t$</span>': [publish.vector(s["r"]) for s in steps],
        "$h_{t-1} W_{hh} + b_{hh}$": [publish.vector(s["recurrent"]) for s in steps],
        '<span class="c-r">$r_t$</span> $\\odot (h_{t-1} W_{hh} + b_{hh})$': [
            publish.vector(s["reset"]) for s in steps
        ],
    },
)
publish.table(
    "states_table",
    {
        "$t$": times,
        '<span class="c-cand">$\\tilde h_t$</span>': [publish.vector(s["h_tilde"]) for s in steps],
        '<span class="c-h">$h_t$</span>': [publish.vector(s["h"]) for s in steps],
        '<span class="c-y">$y_t$</span> (numpy)': [s["y"][0] for s in steps],
        '<span class="c-y">$y_t$</span> (`model.predict`)': list(predicted[0, :, 0]),
    },
)

# %% [markdown]
# ## One time step by hand
#
# At time step t = 2: the input side and the recurrent side, 3n numbers each, cut into the
# blocks z, r, h; the reset gate multiplies the recurrent side of the candidate block only.

# %%
# --8<-- [start:one_step]
t = 2
x_t = new_input[0, t]
# the state after time step t - 1, from the replay
h_prev = steps[t - 1]["h"]
# the input side and the recurrent side, 3n numbers each
input_side = x_t @ kernel + bias[0]
recurrent_side = h_prev @ recurrent_kernel + bias[1]
# each side cut into the blocks z, r, h
in_z, in_r, in_h = np.split(input_side, 3)
rec_z, rec_r, rec_h = np.split(recurrent_side, 3)
z_t = sigmoid(in_z + rec_z)
r_t = sigmoid(in_r + rec_r)
# r_t multiplies the recurrent side of the candidate block only
h_tilde_t = np.tanh(in_h + r_t * rec_h)
h_t = z_t * h_prev + (1 - z_t) * h_tilde_t
# --8<-- [end:one_step]
publish.value("t_hand", t)
publish.value("t_hand_prev", t - 1)
publish.value("x_t_hand", publish.vector(x_t, 1))
block_units = [
    f'{k}: <span class="{GATES[k // n][1]}">{GATES[k // n][0]}</span>, unit {k % n + 1}'
    for k in range(3 * n)
]
publish.table(
    "one_step_input_side",
    {
        "column: block, unit": block_units,
        "$x_t$ `@ kernel`": list(x_t @ kernel),
        "`bias[0]`": list(bias[0]),
        "input side": list(input_side),
    },
)
publish.table(
    "one_step_recurrent_side",
    {
        "column: block, unit": block_units,
        "$h_{t-1}$ `@ recurrent_kernel`": list(h_prev @ recurrent_kernel),
        "`bias[1]`": list(bias[1]),
        "recurrent side": list(recurrent_side),
    },
)
units = [str(j + 1) for j in range(n)]
publish.table(
    "one_step_gates",
    {
        "unit": units,
        "z block: input + recurrent side": list(in_z + rec_z),
        '<span class="c-z">$z_t$</span>': list(z_t),
        "r block: input + recurrent side": list(in_r + rec_r),
        '<span class="c-r">$r_t$</span>': list(r_t),
    },
)
publish.table(
    "one_step_candidate",
    {
        "unit": units,
        "h block: input side": list(in_h),
        "h block: recurrent side": list(rec_h),
        '<span class="c-r">$r_t$</span> $\\odot$ recurrent side': list(r_t * rec_h),
        "sum": list(in_h + r_t * rec_h),
        '<span class="c-cand">$\\tilde h_t$</span>': list(h_tilde_t),
        '<span class="c-h">$h_{t-1}$</span>': list(h_prev),
        '<span class="c-h">$h_t$</span>': list(h_t),
    },
)

# %% [markdown]
# Keras's own intermediate values at time step t: a copy of the trained layer's cell, called
# on x_t from the state h_{t-1} that the layer itself returns, with its two activation
# functions wrapped so that they record what they receive and return. The GRU cell applies
# the sigmoid to the z block, then to the r block, then tanh to the candidate block
# (keras/src/layers/rnn/gru.py); a change of that order makes the checks below fail.


# %%
def recording(function, log):
    def wrapped(v):
        result = function(v)
        log.append((keras.ops.convert_to_numpy(v), keras.ops.convert_to_numpy(result)))
        return result

    return wrapped


gru_only = keras.Sequential([keras.Input(shape=(None, m)), layers.GRU(n, return_sequences=True)])
gru_only.layers[0].set_weights(model.layers[0].get_weights())
keras_h = gru_only.predict(new_input, verbose=0)
keras_cell = layers.GRUCell.from_config(model.layers[0].cell.get_config())
keras_cell.build((None, m))
keras_cell.set_weights(model.layers[0].cell.get_weights())
sigmoid_log, tanh_log = [], []
keras_cell.recurrent_activation = recording(keras_cell.recurrent_activation, sigmoid_log)
keras_cell.activation = recording(keras_cell.activation, tanh_log)
keras_h_t, _ = keras_cell(new_input[:, t], [keras_h[:, t - 1]])
(z_pre_k, z_k), (r_pre_k, r_k) = sigmoid_log
((h_pre_k, h_tilde_k),) = tanh_log
publish.check_replay("replay_hand_state_prev", h_prev[np.newaxis], keras_h[:, t - 1])
publish.check_replay(
    "replay_hand_preactivations",
    np.concatenate([in_z + rec_z, in_r + rec_r, in_h + r_t * rec_h])[np.newaxis],
    np.hstack([z_pre_k, r_pre_k, h_pre_k]),
)
publish.check_replay(
    "replay_hand_gates",
    np.concatenate([z_t, r_t, h_tilde_t])[np.newaxis],
    np.hstack([z_k, r_k, h_tilde_k]),
)
publish.check_replay(
    "replay_hand_step",
    np.stack([h_t, h_t]),
    np.vstack([keras.ops.convert_to_numpy(keras_h_t), keras_h[:, t]]),
)

# %% [markdown]
# ## The wrong variant
#
# The reset-before equations, fed with this model's weights (both bias rows added, since old
# texts have a single bias): everything is the same except where r_t acts.


# %%
# --8<-- [start:wrong]
def gru_wrong_replay(sequence):
    """The reset-BEFORE equations with the reset_after=True weights."""
    h = np.zeros(n)
    ys = []
    for x_t in sequence:
        z_t = sigmoid(x_t @ W_xz + b_xz + h @ W_hz + b_hz)
        r_t = sigmoid(x_t @ W_xr + b_xr + h @ W_hr + b_hr)
        # r_t in the wrong place, the two bias rows added
        h_tilde_t = np.tanh(x_t @ W_xh + b_xh + b_hh + (r_t * h) @ W_hh)
        h = z_t * h + (1 - z_t) * h_tilde_t
        ys.append(sigmoid(h @ W_y + b_y))
    return np.array(ys)


wrong = np.array([gru_wrong_replay(sequence) for sequence in test_input])
# NOT a replay: it should not match
wrong_error = np.max(np.abs(wrong - test_predicted))
# --8<-- [end:wrong]
wrong_error_new = np.max(np.abs(gru_wrong_replay(new_input[0]) - predicted[0]))
assert wrong_error > 1e-3 and wrong_error_new > 1e-3
publish.value("wrong_error", float(wrong_error))
publish.value("wrong_error_new", float(wrong_error_new))

# %% [markdown]
# ## The other formulation: reset_after=False
#
# The same data, a GRU with the reset gate applied before the matrix product, and one bias.

# %%
# --8<-- [start:model_before]
model_before = keras.Sequential(
    [
        keras.Input(shape=(None, m)),
        # reset before the product
        layers.GRU(n, return_sequences=True, reset_after=False),
        layers.TimeDistributed(layers.Dense(m_out, activation="sigmoid")),
    ]
)
model_before.compile(loss="mse", optimizer="adam")
history_before = model_before.fit(
    x_train,
    y_train,
    epochs=epochs,
    batch_size=32,
    verbose=0,
)

kernel_2, recurrent_kernel_2, bias_2 = model_before.layers[0].get_weights()
# (m, 3n) (n, 3n) (3n,)
print(kernel_2.shape, recurrent_kernel_2.shape, bias_2.shape)
W_y_2, b_y_2 = model_before.layers[1].get_weights()
# --8<-- [end:model_before]
publish.value("loss_before", history_before.history["loss"][-1], digits=6)
publish.shape("kernel_before_shape", kernel_2)
publish.shape("recurrent_kernel_before_shape", recurrent_kernel_2)
publish.shape("bias_before_shape", bias_2)
params_before = model_before.layers[0].count_params()
assert params_before == 3 * n * (m + n + 1) == kernel_2.size + recurrent_kernel_2.size + bias_2.size
publish.value("params_before", params_before)
publish.value("params_before_formula", 3 * n * (m + n + 1))
publish.matrix(
    "bias_before",
    bias_2.reshape(3, n),
    row_labels=[
        f'<span class="{css}">$b_{{{symbol}}}$</span> (`bias[{block(k)}]`)'
        for k, (letter, css, name, symbol) in enumerate(GATES)
    ],
    col_labels=[f"unit {j + 1}" for j in range(n)],
)

predicted_before = model_before.predict(new_input, verbose=0)
publish.model("gru_reset_before", model_before, new_input)


# --8<-- [start:replay_before]
def gru_reset_before_replay(sequence):
    """One sequence through the reset_after=False GRU and its Dense layer."""
    W_xz, W_xr, W_xh = np.split(kernel_2, 3, axis=1)
    W_hz, W_hr, W_hh = np.split(recurrent_kernel_2, 3, axis=1)
    # one bias, shape (3n,): the blocks b_z, b_r and b_h~
    b_z, b_r, b_h_tilde = np.split(bias_2, 3)
    h = np.zeros(n)
    ys = []
    for x_t in sequence:
        z_t = sigmoid(x_t @ W_xz + h @ W_hz + b_z)
        r_t = sigmoid(x_t @ W_xr + h @ W_hr + b_r)
        # reset BEFORE the product
        h_tilde_t = np.tanh(x_t @ W_xh + b_h_tilde + (r_t * h) @ W_hh)
        h = z_t * h + (1 - z_t) * h_tilde_t
        ys.append(sigmoid(h @ W_y_2 + b_y_2))
    return np.array(ys)


replay_before = np.array([gru_reset_before_replay(s) for s in new_input])
# --8<-- [end:replay_before]
publish.check_replay("replay_before", replay_before, predicted_before)
test_before = model_before.predict(test_input, verbose=0)
publish.check_replay(
    "replay_before_batch", np.array([gru_reset_before_replay(s) for s in test_input]), test_before
)

publish.text_table(
    "side_by_side",
    {
        "": [
            "bias",
            "parameters of the GRU layer",
            "`count_params()`",
            "where $r_t$ acts",
            "bias inside the reset",
            "default in",
        ],
        "`reset_after=True`": [
            f"shape `{bias.shape}`: input side (row 0), recurrent side (row 1)",
            f"$3n(m+n+2) = {3 * n * (m + n + 2)}$",
            str(params_gru),
            "after the product: $r_t \\odot (h_{t-1} W_{hh} + b_{hh})$",
            "yes, $b_{hh}$ is multiplied by $r_t$",
            "tf.keras 2.x (TensorFlow 2), Keras 3; cuDNN and PyTorch compute this form",
        ],
        "`reset_after=False`": [
            f"shape `{bias_2.shape}`: one row",
            f"$3n(m+n+1) = {3 * n * (m + n + 1)}$",
            str(params_before),
            "before the product: $(r_t \\odot h_{t-1}) W_{hh}$",
            "no recurrent bias",
            "standalone Keras 2 (the only form before 2.1.5, then the default) and tf.keras of "
            "TensorFlow 1.x; most papers and posts",
        ],
    },
)

# %% [markdown]
# ## What the Keras docstring says
#
# The history of the two forms on the page quotes the GRU docstring of the Keras that builds
# the site, found here; and the default is read from a new layer.

# %%
docstring = " ".join(layers.GRU.__doc__.split())
versions = re.search(
    r"There are two variants of the GRU implementation\. (The default one is based on "
    r"\[v3\]\((\S+)\) and has reset gate applied to hidden state before matrix "
    r"multiplication\. The other one is based on \[original\]\((\S+)\) and has the order "
    r"reversed\.)",
    docstring,
)
if versions:
    publish.probe("probe_gru_docstring", "says so")
    publish.text("gru_docstring_quote", "> " + versions.group(1))
else:
    publish.probe("probe_gru_docstring", "no longer says so")
    publish.text("gru_docstring_quote", "> (not in the docstring of this Keras version)")
default_reset_after = layers.GRU(n).reset_after
publish.probe("probe_gru_default", f"reset_after={default_reset_after}")
