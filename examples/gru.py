# %% [markdown]
# # Part E: GRU, the example
#
# The code of the chapter "Part E: GRU". Run it as a plain script (`python examples/gru.py`)
# or read it here with its outputs. The site build runs it once and includes what it publishes
# into the chapter, so every number on the page comes from this run.

# %%
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
# The data of Part D: the target at date t is a sigmoid of the running sum of
# (first feature − second feature) up to t.

# %%
# --8<-- [start:data]
N, T, m, n, m_out = 256, 5, 2, 3, 1  # sequences, dates, input features, GRU units, outputs
x_train = np.random.uniform(0, 1, size=(N, T, m)).astype("float32")
running_sum = np.cumsum(x_train[:, :, 0] - x_train[:, :, 1], axis=1)  # sum over s <= t
y_train = sigmoid(2 * running_sum)[:, :, np.newaxis].astype("float32")  # shape (N, T, 1)
# --8<-- [end:data]

# --8<-- [start:model]
model = keras.Sequential(
    [
        keras.Input(shape=(None, m)),  # any number of dates, m features per date
        layers.GRU(n, return_sequences=True),  # reset_after=True, the default
        layers.TimeDistributed(layers.Dense(m_out, activation="sigmoid")),  # y_t from h_t
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
W_y, b_y = model.layers[1].get_weights()  # the Dense layer inside TimeDistributed
print(kernel.shape, recurrent_kernel.shape, bias.shape)  # (m, 3n) (n, 3n) (2, 3n)

# Keras order of the column blocks: z, r, h
W_xz, W_xr, W_xh = kernel[:, 0:n], kernel[:, n : 2 * n], kernel[:, 2 * n : 3 * n]
W_hz, W_hr, W_hh = (
    recurrent_kernel[:, 0:n],
    recurrent_kernel[:, n : 2 * n],
    recurrent_kernel[:, 2 * n : 3 * n],
)
b_xz, b_xr, b_xh = bias[0, 0:n], bias[0, n : 2 * n], bias[0, 2 * n : 3 * n]  # row 0: input side
b_hz, b_hr, b_hh = bias[1, 0:n], bias[1, n : 2 * n], bias[1, 2 * n : 3 * n]  # row 1: recurrent side
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
            [f"$W_{{x{letter}}}$ row {r + 1}" for r in range(m)]
            + [f"$W_{{h{letter}}}$ row {r + 1}" for r in range(n)]
            + [f"$b_{{x{letter}}}$ (`bias[0]`)", f"$b_{{h{letter}}}$ (`bias[1]`)"]
        ),
        col_labels=[f'<span class="{css}">${symbol}_{{t,{j + 1}}}$</span>' for j in range(n)],
        corner=f'<span class="{css}">{name}</span>',
    )

publish.matrix(
    "dense_weights",
    np.vstack([W_y, b_y]),
    row_labels=[f"$W_y$ row {r + 1}" for r in range(n)] + ["$b_y$"],
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
    [[[1.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.0, 0.0], [0.5, 0.5]]], dtype="float32"
)
predicted = model.predict(new_input)  # shape (1, 5, 1)
# --8<-- [end:predict]
predicted = publish.model("gru", model, new_input)
publish.shape("new_input_shape", new_input)
publish.shape("predicted_shape", predicted)


# --8<-- [start:replay]
def gru_replay(sequence):
    """One sequence, shape (T, m), through the GRU (reset_after=True) and the Dense layer."""
    h = np.zeros(n)  # h_{-1} = 0
    steps = []
    for x_t in sequence:
        z_t = sigmoid(x_t @ W_xz + b_xz + h @ W_hz + b_hz)  # update gate
        r_t = sigmoid(x_t @ W_xr + b_xr + h @ W_hr + b_hr)  # reset gate
        recurrent = h @ W_hh + b_hh  # the candidate's recurrent part, bias included
        h_tilde_t = np.tanh(x_t @ W_xh + b_xh + r_t * recurrent)  # reset AFTER the product
        h = z_t * h + (1 - z_t) * h_tilde_t  # z_t keeps the old state
        y_t = sigmoid(h @ W_y + b_y)  # y_t = σ(h_t W_y + b_y), the Dense layer
        steps.append(
            {
                "z": z_t,
                "r": r_t,
                "recurrent": recurrent,
                "reset": r_t * recurrent,
                "h_tilde": h_tilde_t,
                "h": h,
                "y": y_t,
            }
        )
    return steps


steps = gru_replay(new_input[0])
replay = np.array([[step["y"] for step in steps]])  # shape (1, 5, 1), as model.predict
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
# ## The wrong variant
#
# The reset-before equations, fed with this model's weights (both bias rows added, since old
# texts have a single bias): everything is the same except where r_t acts.


# %%
# --8<-- [start:wrong]
def gru_wrong_replay(sequence):
    """The reset-BEFORE equations applied to the reset_after=True weights: a mistake."""
    h = np.zeros(n)
    ys = []
    for x_t in sequence:
        z_t = sigmoid(x_t @ W_xz + b_xz + h @ W_hz + b_hz)
        r_t = sigmoid(x_t @ W_xr + b_xr + h @ W_hr + b_hr)
        h_tilde_t = np.tanh(x_t @ W_xh + b_xh + b_hh + (r_t * h) @ W_hh)  # r_t in the wrong place
        h = z_t * h + (1 - z_t) * h_tilde_t
        ys.append(sigmoid(h @ W_y + b_y))
    return np.array(ys)


wrong = np.array([gru_wrong_replay(sequence) for sequence in test_input])
wrong_error = np.max(np.abs(wrong - test_predicted))  # NOT a replay: it should not match
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
        layers.GRU(n, return_sequences=True, reset_after=False),  # reset before the product
        layers.TimeDistributed(layers.Dense(m_out, activation="sigmoid")),
    ]
)
model_before.compile(loss="mse", optimizer="adam")
history_before = model_before.fit(x_train, y_train, epochs=epochs, batch_size=32, verbose=0)

kernel_2, recurrent_kernel_2, bias_2 = model_before.layers[0].get_weights()
print(kernel_2.shape, recurrent_kernel_2.shape, bias_2.shape)  # (m, 3n) (n, 3n) (3n,)
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
        f'<span class="{css}">$b_{letter}$</span> (`bias[{block(k)}]`)'
        for k, (letter, css, name, symbol) in enumerate(GATES)
    ],
    col_labels=[f"unit {j + 1}" for j in range(n)],
)

predicted_before = publish.model("gru_reset_before", model_before, new_input)


# --8<-- [start:replay_before]
def gru_reset_before_replay(sequence):
    """One sequence through the GRU with reset_after=False and its Dense layer."""
    W_xz, W_xr, W_xh = kernel_2[:, 0:n], kernel_2[:, n : 2 * n], kernel_2[:, 2 * n : 3 * n]
    W_hz, W_hr, W_hh = (
        recurrent_kernel_2[:, 0:n],
        recurrent_kernel_2[:, n : 2 * n],
        recurrent_kernel_2[:, 2 * n : 3 * n],
    )
    b_z, b_r, b_h = bias_2[0:n], bias_2[n : 2 * n], bias_2[2 * n : 3 * n]  # one bias, shape (3n,)
    h = np.zeros(n)
    ys = []
    for x_t in sequence:
        z_t = sigmoid(x_t @ W_xz + h @ W_hz + b_z)
        r_t = sigmoid(x_t @ W_xr + h @ W_hr + b_r)
        h_tilde_t = np.tanh(x_t @ W_xh + b_h + (r_t * h) @ W_hh)  # reset BEFORE the product
        h = z_t * h + (1 - z_t) * h_tilde_t
        ys.append(sigmoid(h @ W_y_2 + b_y_2))
    return np.array(ys)


replay_before = np.array([gru_reset_before_replay(sequence) for sequence in new_input])
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
            "standalone Keras (2.1.5 to 2.3) and tf.keras of TensorFlow 1.x; most papers and posts",
        ],
    },
)

# %% [markdown]
# ## PyTorch layout
#
# torch.nn.GRU stores weights transposed, (out, in), in the gate order r, z, n, with two
# biases; its n gate is the reset-after form. Reordering Keras's blocks z | r | h to r | z | h
# gives torch's weights; torch's equations, written in numpy, then reproduce Keras.


# %%
# --8<-- [start:torch]
def to_torch_order(a):  # Keras blocks z | r | h  ->  torch blocks r | z | n
    z, r, h = np.split(a, 3, axis=-1)
    return np.concatenate([r, z, h], axis=-1)


weight_ih, weight_hh = (
    to_torch_order(kernel).T,
    to_torch_order(recurrent_kernel).T,
)  # (3n, m), (3n, n)
bias_ih, bias_hh = to_torch_order(bias[0]), to_torch_order(bias[1])


def torch_style_gru(sequence):
    h, hs = np.zeros(n), []
    for x_t in sequence:
        i_r, i_z, i_n = np.split(x_t @ weight_ih.T + bias_ih, 3)
        h_r, h_z, h_n = np.split(h @ weight_hh.T + bias_hh, 3)
        r = sigmoid(i_r + h_r)
        z = sigmoid(i_z + h_z)
        n_t = np.tanh(i_n + r * h_n)
        h = (1 - z) * n_t + z * h
        hs.append(h)
    return np.array(hs)


# --8<-- [end:torch]


publish.check_replay(
    "replay_torch", sigmoid(torch_style_gru(new_input[0]) @ W_y + b_y)[np.newaxis], predicted
)
publish.shape("weight_ih_shape", weight_ih)
publish.shape("weight_hh_shape", weight_hh)
