# %% [markdown]
# # Part D: LSTM, the example
#
# The code of the chapter "Part D: LSTM". Run it as a plain script (`python examples/lstm.py`)
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
# N sequences of T dates with m = 2 features each. The target at date t is a sigmoid of the
# running sum of (first feature − second feature) up to t: the model needs a memory.

# %%
# --8<-- [start:data]
N, T, m, n, m_out = 256, 5, 2, 3, 1  # sequences, dates, input features, LSTM units, outputs
x_train = np.random.uniform(0, 1, size=(N, T, m)).astype("float32")
running_sum = np.cumsum(x_train[:, :, 0] - x_train[:, :, 1], axis=1)  # sum over s <= t
y_train = sigmoid(2 * running_sum)[:, :, np.newaxis].astype("float32")  # shape (N, T, 1)
# --8<-- [end:data]

# --8<-- [start:model]
model = keras.Sequential(
    [
        keras.Input(shape=(None, m)),  # any number of dates, m features per date
        layers.LSTM(n, return_sequences=True),  # h_t at every date, shape (N, T, n)
        layers.TimeDistributed(layers.Dense(m_out, activation="sigmoid")),  # y_t from h_t
    ]
)
initial_weights = [w.copy() for w in model.get_weights()]  # before training, for later
model.compile(loss="mse", optimizer="adam")
epochs = 100
history = model.fit(x_train, y_train, epochs=epochs, batch_size=32, verbose=0)
# --8<-- [end:model]

publish.value("N", N)
publish.value("T", T)
publish.value("m", m)
publish.value("n", n)
publish.value("m_out", m_out)
publish.value("four_n", 4 * n)
publish.value("epochs", epochs)
publish.shape("x_train_shape", x_train)
publish.shape("y_train_shape", y_train)
publish.value("loss_first", history.history["loss"][0], digits=6)
publish.value("loss", history.history["loss"][-1], digits=6)

summary_lines = []
model.summary(print_fn=lambda line, **kwargs: summary_lines.append(line))
publish.text("summary", "\n".join(summary_lines), code="text")

# %% [markdown]
# ## The weights, split by gate
#
# The LSTM layer has three arrays. Keras stacks the four gates side by side, in the order
# i (input gate), f (forget gate), c (candidate), o (output gate): n columns each.

# %%
# --8<-- [start:weights]
kernel, recurrent_kernel, bias = model.layers[0].get_weights()
W_y, b_y = model.layers[1].get_weights()  # the Dense layer inside TimeDistributed
print(kernel.shape, recurrent_kernel.shape, bias.shape)  # (m, 4n) (n, 4n) (4n,)

# Keras order of the column blocks: i, f, c, o
W_xi, W_xf, W_xc, W_xo = (
    kernel[:, 0:n],
    kernel[:, n : 2 * n],
    kernel[:, 2 * n : 3 * n],
    kernel[:, 3 * n : 4 * n],
)
W_hi, W_hf, W_hc, W_ho = (
    recurrent_kernel[:, 0:n],
    recurrent_kernel[:, n : 2 * n],
    recurrent_kernel[:, 2 * n : 3 * n],
    recurrent_kernel[:, 3 * n : 4 * n],
)
b_i, b_f, b_c, b_o = bias[0:n], bias[n : 2 * n], bias[2 * n : 3 * n], bias[3 * n : 4 * n]
# --8<-- [end:weights]

publish.shape("kernel_shape", kernel)
publish.shape("recurrent_kernel_shape", recurrent_kernel)
publish.shape("bias_shape", bias)
publish.shape("W_y_shape", W_y)
publish.shape("b_y_shape", b_y)
publish.shape("W_xi_shape", W_xi)
publish.shape("W_hi_shape", W_hi)
publish.shape("b_i_shape", b_i)

GATES = [  # (letter in the weight names, CSS class, name, symbol of the gate's value)
    ("i", "c-i", "input gate", "i"),
    ("f", "c-f", "forget gate", "f"),
    ("c", "c-cand", "candidate", "\\tilde c"),
    ("o", "c-o", "output gate", "o"),
]


def gate_label(k):
    letter, css, name, symbol = GATES[k]
    return f'<span class="{css}">{name} ${symbol}_t$</span>'


def block(k):
    return f"{k * n}:{(k + 1) * n}"


publish.text_table(
    "blocks",
    {
        "block": [str(k) for k in range(4)],
        "columns": [f"{k * n} to {(k + 1) * n - 1}" for k in range(4)],
        "Python": [
            f"`kernel[:, {block(k)}]`, `recurrent_kernel[:, {block(k)}]`, `bias[{block(k)}]`"
            for k in range(4)
        ],
        "gate": [gate_label(k) for k in range(4)],
        "matrices": [f"$W_{{x{g[0]}}}$, $W_{{h{g[0]}}}$, $b_{g[0]}$" for g in GATES],
    },
)

split = {
    "i": (W_xi, W_hi, b_i),
    "f": (W_xf, W_hf, b_f),
    "c": (W_xc, W_hc, b_c),
    "o": (W_xo, W_ho, b_o),
}
for letter, css, name, symbol in GATES:
    W_x, W_h, b = split[letter]
    publish.matrix(
        f"gate_{letter}",
        np.vstack([W_x, W_h, b]),
        row_labels=(
            [f"$W_{{x{letter}}}$ row {r + 1}" for r in range(m)]
            + [f"$W_{{h{letter}}}$ row {r + 1}" for r in range(n)]
            + [f"$b_{letter}$"]
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

# %% [markdown]
# ## unit_forget_bias: where the bias starts
#
# Before training, the bias is zero except on the forget block, which is one.

# %%
# --8<-- [start:initial_bias]
initial_bias = initial_weights[2]  # the LSTM bias before model.fit
print(initial_bias.reshape(4, n))  # one row per block: i, f, c, o
# --8<-- [end:initial_bias]
assert np.all(initial_bias[n : 2 * n] == 1) and np.all(
    np.delete(initial_bias, np.s_[n : 2 * n]) == 0
)
publish.table(
    "forget_bias",
    {
        "block": [gate_label(k) for k in range(4)],
        "slice": [f"`bias[{block(k)}]`" for k in range(4)],
        "before training": [publish.vector(initial_bias[k * n : (k + 1) * n], 4) for k in range(4)],
        "after training": [publish.vector(bias[k * n : (k + 1) * n], 4) for k in range(4)],
    },
)

# The untrained model, recorded so that its initial weights are in the data file.
untrained = keras.models.clone_model(model)
untrained.set_weights(initial_weights)

# %% [markdown]
# ## Parameter count

# %%
params_lstm = model.layers[0].count_params()
params_formula = 4 * n * (m + n + 1)
assert params_lstm == params_formula == kernel.size + recurrent_kernel.size + bias.size
publish.value("params_lstm", params_lstm)
publish.value("params_formula", params_formula)
publish.value("params_dense", model.layers[1].count_params())
publish.value("params_total", model.count_params())

# %% [markdown]
# ## The computation, step by step
#
# One new sequence of T = 5 dates, replayed in numpy with the split weights.

# %%
# --8<-- [start:predict]
new_input = np.array(
    [[[1.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.0, 0.0], [0.5, 0.5]]], dtype="float32"
)
predicted = model.predict(new_input)  # shape (1, 5, 1)
# --8<-- [end:predict]
predicted = publish.model("lstm", model, new_input)
publish.model("lstm_untrained", untrained, new_input)
publish.shape("new_input_shape", new_input)
publish.shape("predicted_shape", predicted)


# --8<-- [start:replay]
def lstm_replay(sequence, gate=sigmoid):
    """One sequence, shape (T, m), through the LSTM and the Dense layer; every step's values."""
    h = np.zeros(n)  # h_{-1} = 0
    c = np.zeros(n)  # c_{-1} = 0
    steps = []
    for x_t in sequence:
        i_t = gate(x_t @ W_xi + h @ W_hi + b_i)  # input gate
        f_t = gate(x_t @ W_xf + h @ W_hf + b_f)  # forget gate
        c_tilde_t = np.tanh(x_t @ W_xc + h @ W_hc + b_c)  # candidate
        o_t = gate(x_t @ W_xo + h @ W_ho + b_o)  # output gate
        c = f_t * c + i_t * c_tilde_t  # c_t = f_t ⊙ c_{t-1} + i_t ⊙ c~_t
        h = o_t * np.tanh(c)  # h_t = o_t ⊙ tanh(c_t)
        y_t = sigmoid(h @ W_y + b_y)  # y_t = σ(h_t W_y + b_y), the Dense layer
        steps.append({"i": i_t, "f": f_t, "c_tilde": c_tilde_t, "o": o_t, "c": c, "h": h, "y": y_t})
    return steps


steps = lstm_replay(new_input[0])
replay = np.array([[step["y"] for step in steps]])  # shape (1, 5, 1), as model.predict
# --8<-- [end:replay]
publish.check_replay("replay", replay, predicted)

# The same replay on 64 other sequences.
test_input = np.random.uniform(0, 1, size=(64, T, m)).astype("float32")
test_predicted = model.predict(test_input, verbose=0)
test_replay = np.array([[step["y"] for step in lstm_replay(sequence)] for sequence in test_input])
publish.check_replay("replay_batch", test_replay, test_predicted)
publish.value("n_test", len(test_input))

times = [str(t) for t in range(T)]
publish.table(
    "gates_table",
    {
        "$t$": times,
        '<span class="c-x">$x_t$</span>': [publish.vector(x, 1) for x in new_input[0]],
        '<span class="c-i">$i_t$</span>': [publish.vector(s["i"]) for s in steps],
        '<span class="c-f">$f_t$</span>': [publish.vector(s["f"]) for s in steps],
        '<span class="c-cand">$\\tilde c_t$</span>': [publish.vector(s["c_tilde"]) for s in steps],
        '<span class="c-o">$o_t$</span>': [publish.vector(s["o"]) for s in steps],
    },
)
c_abs_max = max(float(np.max(np.abs(s["c"]))) for s in steps)
assert c_abs_max > 1  # the text says that c_t leaves (-1, 1) on this input
publish.value("c_abs_max", c_abs_max)
publish.value("sigmoid_one", sigmoid(1.0))
publish.table(
    "states_table",
    {
        "$t$": times,
        '<span class="c-cell">$c_t$</span>': [publish.vector(s["c"]) for s in steps],
        '<span class="c-h">$h_t$</span>': [publish.vector(s["h"]) for s in steps],
        '<span class="c-y">$y_t$</span> (numpy)': [s["y"][0] for s in steps],
        '<span class="c-y">$y_t$</span> (`model.predict`)': list(predicted[0, :, 0]),
        "target rule": list(sigmoid(2 * np.cumsum(new_input[0, :, 0] - new_input[0, :, 1]))),
    },
)

# %% [markdown]
# ## return_state: the final h and c
#
# A functional model around an LSTM layer with the trained weights, returning the sequence of
# outputs, the last h and the last c.

# %%
# --8<-- [start:return_state]
inputs = keras.Input(shape=(None, m))
lstm_with_states = layers.LSTM(n, return_sequences=True, return_state=True)
output, h, c = lstm_with_states(inputs)  # three outputs
state_model = keras.Model(inputs, [output, h, c])
lstm_with_states.set_weights(model.layers[0].get_weights())  # the trained LSTM
output, h_last, c_last = state_model.predict(new_input)
print(output.shape, h_last.shape, c_last.shape)  # (1, 5, 3) (1, 3) (1, 3)
# --8<-- [end:return_state]
output, h_last, c_last = publish.model("lstm_return_state", state_model, new_input)
publish.shape("state_output_shape", output)
publish.shape("state_h_shape", h_last)
publish.shape("state_c_shape", c_last)
publish.check_replay("replay_h", np.array([steps[-1]["h"]]), h_last)
publish.check_replay("replay_c", np.array([steps[-1]["c"]]), c_last)
publish.check_replay("replay_output", np.array([[s["h"] for s in steps]]), output)
output_vs_h = float(np.max(np.abs(output[:, -1] - h_last)))
c_vs_h = float(np.max(np.abs(c_last - h_last)))
assert output_vs_h == 0 and c_vs_h > 1e-2
publish.value("output_vs_h", f"{output_vs_h:g}")
publish.value("c_vs_h", c_vs_h)
publish.value("T_last", T - 1)
publish.matrix(
    "states_returned",
    np.vstack([output[0, -1], h_last[0], c_last[0]]),
    row_labels=["`output[0, -1]`", "`h` (second output)", "`c` (third output)"],
    col_labels=[f"unit {j + 1}" for j in range(n)],
)

# %% [markdown]
# ## What changed since Keras 2: the gate activation
#
# Keras 2.0 to 2.2 used recurrent_activation="hard_sigmoid" for the gates; Keras 2.3 and Keras 3
# use "sigmoid". And hard_sigmoid itself changed between Keras 2 and Keras 3.


# %%
# --8<-- [start:hard_sigmoid]
def hard_sigmoid_keras2(z):
    return np.clip(0.2 * z + 0.5, 0, 1)  # Keras 2: slope 0.2, flat beyond ±2.5


def hard_sigmoid_keras3(z):
    return np.clip(z / 6 + 0.5, 0, 1)  # Keras 3: relu6(z + 3) / 6, flat beyond ±3


z = np.array([-4, -3, -2.5, -1, 0, 1, 2.5, 3, 4], dtype="float32")
keras3_values = keras.ops.convert_to_numpy(keras.activations.hard_sigmoid(z))
# --8<-- [end:hard_sigmoid]
publish.check_replay("hard_sigmoid_formula", hard_sigmoid_keras3(z), keras3_values)
publish.table(
    "hard_sigmoid_table",
    {
        "$z$": [publish.fmt(v, 1) for v in z],
        "$\\sigma(z)$": sigmoid(z),
        "Keras 2: $\\mathrm{clip}(0.2 z + 0.5, 0, 1)$": hard_sigmoid_keras2(z),
        "Keras 3: $\\mathrm{clip}(z/6 + 0.5, 0, 1)$": hard_sigmoid_keras3(z),
        "Keras 3, `hard_sigmoid(z)`": keras3_values,
    },
)

# %%
# --8<-- [start:hard_sigmoid_replay]
steps_keras3_hard = lstm_replay(new_input[0], gate=hard_sigmoid_keras3)
steps_keras2_hard = lstm_replay(new_input[0], gate=hard_sigmoid_keras2)
y_keras3_hard = np.array([[s["y"] for s in steps_keras3_hard]])
y_keras2_hard = np.array([[s["y"] for s in steps_keras2_hard]])

# Keras 3 with recurrent_activation="hard_sigmoid" and the same trained weights:
hard_model = keras.Sequential(
    [
        keras.Input(shape=(None, m)),
        layers.LSTM(n, return_sequences=True, recurrent_activation="hard_sigmoid"),
        layers.TimeDistributed(layers.Dense(m_out, activation="sigmoid")),
    ]
)
hard_model.set_weights(model.get_weights())
predicted_hard = hard_model.predict(new_input)
# --8<-- [end:hard_sigmoid_replay]
predicted_hard = publish.model("lstm_hard_sigmoid", hard_model, new_input)
publish.check_replay("replay_hard_sigmoid", y_keras3_hard, predicted_hard)
sigmoid_vs_hard = float(np.max(np.abs(y_keras3_hard - predicted)))
keras2_vs_keras3_hard = float(np.max(np.abs(y_keras2_hard - predicted_hard)))
assert sigmoid_vs_hard > 1e-3 and keras2_vs_keras3_hard > 1e-3
publish.value("sigmoid_vs_hard", sigmoid_vs_hard)
publish.value("keras2_vs_keras3_hard", keras2_vs_keras3_hard)
publish.table(
    "hard_sigmoid_outputs",
    {
        "$t$": times,
        "`model.predict` (sigmoid gates)": list(predicted[0, :, 0]),
        'Keras 3, `recurrent_activation="hard_sigmoid"`': list(predicted_hard[0, :, 0]),
        "replay with Keras 2 `hard_sigmoid`": list(y_keras2_hard[0, :, 0]),
    },
)

# %% [markdown]
# ## What changed since Keras 2: the GRU bias
#
# The GRU's reset_after switch decides the bias shape (Part E has the full story).

# %%
# --8<-- [start:gru_bias]
gru_keras3 = layers.GRU(n)  # Keras 3 and tf.keras 2.x default: reset_after=True
gru_keras2 = layers.GRU(n, reset_after=False)  # the Keras 2.1.5 - 2.3 default
gru_keras3.build((None, None, m))
gru_keras2.build((None, None, m))
print(gru_keras3.get_weights()[2].shape, gru_keras2.get_weights()[2].shape)  # (2, 3n) (3n,)
# --8<-- [end:gru_bias]
publish.shape("gru_bias_keras3", gru_keras3.get_weights()[2])
publish.shape("gru_bias_keras2", gru_keras2.get_weights()[2])
publish.value("gru_params_keras3", gru_keras3.count_params())
publish.value("gru_params_keras2", gru_keras2.count_params())

# %% [markdown]
# ## PyTorch layout
#
# torch.nn.LSTM keeps the same gate order (i, f, g, o) but stores weights transposed, as
# (out, in), with two biases. The equations below are torch's, written in numpy.

# %%
# --8<-- [start:torch]
weight_ih, weight_hh = kernel.T, recurrent_kernel.T  # torch shapes (4n, m) and (4n, n)
bias_ih, bias_hh = bias, np.zeros(4 * n)  # Keras has one bias: put it in either, zero the other


def torch_style_lstm(sequence):
    h, c, hs = np.zeros(n), np.zeros(n), []
    for x_t in sequence:
        gates = x_t @ weight_ih.T + bias_ih + h @ weight_hh.T + bias_hh
        i, f, g, o = np.split(gates, 4)  # torch order: i, f, g, o, the same as Keras
        c = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
        h = sigmoid(o) * np.tanh(c)
        hs.append(h)
    return np.array(hs)


# --8<-- [end:torch]


publish.check_replay("replay_torch", torch_style_lstm(new_input[0])[np.newaxis], output)
publish.shape("weight_ih_shape", weight_ih)
publish.shape("weight_hh_shape", weight_hh)
