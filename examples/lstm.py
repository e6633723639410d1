# %% [markdown]
# # Part D: LSTM, the example
#
# The code of the chapter "Part D: LSTM". Run it as a plain script (`python examples/lstm.py`)
# or read it here with its outputs. The site build runs it once and includes what it publishes
# into the chapter, so every number on the page comes from this run.

# %%
import inspect

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
# N sequences of T time steps with m = 2 features each. The target at time step t is a
# sigmoid of the running sum of (first feature − second feature) up to t: the model needs a
# memory.

# %%
# --8<-- [start:data]
# sequences, time steps, input features, LSTM units, output features
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
        # h_t at every time step, shape (N, T, n)
        layers.LSTM(n, return_sequences=True),
        # y_t from h_t, at every time step
        layers.TimeDistributed(layers.Dense(m_out, activation="sigmoid")),
    ]
)
# the weights before training, for later
initial_weights = [w.copy() for w in model.get_weights()]
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
# the Dense layer inside TimeDistributed
W_y, b_y = model.layers[1].get_weights()
# (m, 4n) (n, 4n) (4n,)
print(kernel.shape, recurrent_kernel.shape, bias.shape)

# four blocks of n columns each, in Keras's order: i, f, c, o
W_xi, W_xf, W_xc, W_xo = np.split(kernel, 4, axis=1)
W_hi, W_hf, W_hc, W_ho = np.split(recurrent_kernel, 4, axis=1)
b_i, b_f, b_c, b_o = np.split(bias, 4)
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


# Row labels: the vector component each row multiplies (site-wide convention).
x_labels = [f"$x_{{t,{k + 1}}}$" for k in range(m)]
h_prev_labels = [f"$h_{{t-1,{k + 1}}}$" for k in range(n)]

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
        row_labels=x_labels + h_prev_labels + [f"$b_{letter}$"],
        col_labels=[f'<span class="{css}">${symbol}_{{t,{j + 1}}}$</span>' for j in range(n)],
        corner=f'<span class="{css}">{name}</span>',
    )

publish.matrix(
    "dense_weights",
    np.vstack([W_y, b_y]),
    row_labels=[f"$h_{{t,{k + 1}}}$" for k in range(n)] + ["$b_y$"],
    col_labels=[f'<span class="c-y">$y_{{t,{j + 1}}}$</span>' for j in range(m_out)],
)

# Keras's LSTM has no peepholes (gates that also read c_{t-1}): no such argument, and the cell
# holds exactly kernel, recurrent_kernel and bias.
peephole_arguments = [a for a in inspect.signature(layers.LSTM).parameters if "peephole" in a]
cell_weights = [w.name for w in model.layers[0].cell.weights]
peepholes = bool(peephole_arguments) or cell_weights != ["kernel", "recurrent_kernel", "bias"]
publish.probe(
    "probe_lstm_peepholes",
    "peephole weights found" if peepholes else "no peephole argument, no peephole weights",
)
publish.value("lstm_cell_weights", ", ".join(f"`{w}`" for w in cell_weights))

# %% [markdown]
# ## unit_forget_bias: where the bias starts
#
# Before training, the bias is zero except on the forget block, which is one.

# %%
# --8<-- [start:initial_bias]
# the LSTM bias before model.fit
initial_bias = initial_weights[2]
# one row per block: i, f, c, o
print(initial_bias.reshape(4, n))
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
# One new sequence of T = 5 time steps, replayed in numpy with the split weights.

# %%
# --8<-- [start:predict]
new_input = np.array(
    [[[1.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.0, 0.0], [0.5, 0.5]]],
    dtype="float32",
)
# shape (1, 5, 1)
predicted = model.predict(new_input)
# --8<-- [end:predict]
publish.model("lstm", model, new_input)
publish.model("lstm_untrained", untrained, new_input)
publish.shape("new_input_shape", new_input)
publish.shape("predicted_shape", predicted)


# --8<-- [start:replay]
def lstm_replay(sequence, gate=sigmoid):
    """One sequence, shape (T, m), through the LSTM and the Dense layer."""
    # h_{-1} = 0 and c_{-1} = 0
    h, c = np.zeros(n), np.zeros(n)
    steps = []
    for x_t in sequence:
        # input gate, forget gate, candidate, output gate: equations (1)-(4)
        i_t = gate(x_t @ W_xi + h @ W_hi + b_i)
        f_t = gate(x_t @ W_xf + h @ W_hf + b_f)
        c_tilde_t = np.tanh(x_t @ W_xc + h @ W_hc + b_c)
        o_t = gate(x_t @ W_xo + h @ W_ho + b_o)
        # c_t = f_t ⊙ c_{t-1} + i_t ⊙ c~_t and h_t = o_t ⊙ tanh(c_t)
        c = f_t * c + i_t * c_tilde_t
        h = o_t * np.tanh(c)
        # the Dense layer: y_t = σ(h_t W_y + b_y)
        y_t = sigmoid(h @ W_y + b_y)
        step = {"i": i_t, "f": f_t, "c_tilde": c_tilde_t, "o": o_t}
        steps.append(step | {"c": c, "h": h, "y": y_t})
    return steps


steps = lstm_replay(new_input[0])
# shape (1, 5, 1), as model.predict
replay = np.array([[step["y"] for step in steps]])
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
    },
)

# %% [markdown]
# ## One time step by hand
#
# At time step t = 2, all 4n pre-activations come from one product, and the layer cuts them
# into the four blocks i, f, c, o.

# %%
# --8<-- [start:one_step]
t = 2
x_t = new_input[0, t]
# the states after time step t - 1, from the replay
h_prev, c_prev = steps[t - 1]["h"], steps[t - 1]["c"]
# the 4n pre-activations of all gates, in one product
z = x_t @ kernel + h_prev @ recurrent_kernel + bias
# cut into the blocks i, f, c, o
z_i, z_f, z_c, z_o = np.split(z, 4)
i_t, f_t, o_t = sigmoid(z_i), sigmoid(z_f), sigmoid(z_o)
c_tilde_t = np.tanh(z_c)
c_t = f_t * c_prev + i_t * c_tilde_t
h_t = o_t * np.tanh(c_t)
# --8<-- [end:one_step]
publish.value("t_hand", t)
publish.value("t_hand_prev", t - 1)
publish.value("x_t_hand", publish.vector(x_t, 1))
block_units = [
    f'{k}: <span class="{GATES[k // n][1]}">{GATES[k // n][0]}</span>, unit {k % n + 1}'
    for k in range(4 * n)
]
gate_values = np.concatenate([i_t, f_t, c_tilde_t, o_t])
publish.table(
    "one_step_preactivations",
    {
        "column: block, unit": block_units,
        "$x_t$ `@ kernel`": list(x_t @ kernel),
        "$h_{t-1}$ `@ recurrent_kernel`": list(h_prev @ recurrent_kernel),
        "`bias`": list(bias),
        "sum": list(z),
        "gate: $\\sigma$ of the sum (tanh for c)": list(gate_values),
    },
)
publish.table(
    "one_step_states",
    {
        "unit": [str(j + 1) for j in range(n)],
        '<span class="c-cell">$c_{t-1}$</span>': list(c_prev),
        '<span class="c-f">$f_t$</span> $\\odot$ <span class="c-cell">$c_{t-1}$</span>': list(
            f_t * c_prev
        ),
        '<span class="c-i">$i_t$</span> $\\odot$ <span class="c-cand">$\\tilde c_t$</span>': list(
            i_t * c_tilde_t
        ),
        '<span class="c-cell">$c_t$</span>': list(c_t),
        '<span class="c-o">$o_t$</span>': list(o_t),
        "$\\tanh(\\class{c-cell}{c_t})$": list(np.tanh(c_t)),
        '<span class="c-h">$h_t$</span>': list(h_t),
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
# three outputs: every h_t, the last h, the last c
state_model = keras.Model(inputs, lstm_with_states(inputs))
# the weights of the trained LSTM
lstm_with_states.set_weights(model.layers[0].get_weights())
output, h_last, c_last = state_model.predict(new_input)
# (1, 5, 3) (1, 3) (1, 3)
print(output.shape, h_last.shape, c_last.shape)
# --8<-- [end:return_state]
publish.model("lstm_return_state", state_model, new_input)
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
    row_labels=["`output[0, -1]`", "`h_last` (second output)", "`c_last` (third output)"],
    col_labels=[f"unit {j + 1}" for j in range(n)],
)

# %% [markdown]
# ## The time step by hand against Keras's own values
#
# Keras's own intermediate values at time step t: a copy of the trained layer's cell, called
# on x_t from the states that the model itself returns after the first t time steps, with its
# two activation functions wrapped so that they record what they receive and return. The LSTM
# cell applies them in the order i, f (sigmoid), c (tanh), o (sigmoid), then tanh(c_t)
# (keras/src/layers/rnn/lstm.py); a change of that order makes the checks below fail.


# %%
def recording(function, log):
    def wrapped(v):
        result = function(v)
        log.append((keras.ops.convert_to_numpy(v), keras.ops.convert_to_numpy(result)))
        return result

    return wrapped


keras_cell = layers.LSTMCell.from_config(model.layers[0].cell.get_config())
keras_cell.build((None, m))
keras_cell.set_weights(model.layers[0].cell.get_weights())
sigmoid_log, tanh_log = [], []
keras_cell.recurrent_activation = recording(keras_cell.recurrent_activation, sigmoid_log)
keras_cell.activation = recording(keras_cell.activation, tanh_log)
_, keras_h_prev, keras_c_prev = state_model.predict(new_input[:, :t], verbose=0)
keras_h_t, (_, keras_c_t) = keras_cell(new_input[:, t], [keras_h_prev, keras_c_prev])
(z_i_k, i_k), (z_f_k, f_k), (z_o_k, o_k) = sigmoid_log
(z_c_k, c_tilde_k), _ = tanh_log
publish.check_replay(
    "replay_hand_states_prev", np.stack([h_prev, c_prev]), np.vstack([keras_h_prev, keras_c_prev])
)
publish.check_replay("replay_hand_z", z[np.newaxis], np.hstack([z_i_k, z_f_k, z_c_k, z_o_k]))
publish.check_replay(
    "replay_hand_gates", gate_values[np.newaxis], np.hstack([i_k, f_k, c_tilde_k, o_k])
)
publish.check_replay(
    "replay_hand_step",
    np.stack([c_t, h_t]),
    np.vstack([keras.ops.convert_to_numpy(keras_c_t), keras.ops.convert_to_numpy(keras_h_t)]),
)

# %% [markdown]
# ## From the textbook form to Keras's arrays
#
# Colah's post, like many texts, writes f_t = σ(W_f · [h_{t-1}, x_t] + b_f): one matrix per
# gate, acting on the column vector [h_{t-1}, x_t]. Stacking Keras's recurrent kernel over its
# kernel (h first, as in [h_{t-1}, x_t]) and transposing each block gives these matrices.

# %%
# --8<-- [start:textbook]
# rows for h_{t-1} first, then x_t: the order of [h_{t-1}, x_t]
stacked = np.vstack([recurrent_kernel, kernel])
# colah's W_i, W_f, W_C, W_o: each block transposed, shape (n, n + m)
W_i, W_f, W_C, W_o = (block.T for block in np.split(stacked, 4, axis=1))


def textbook_lstm(sequence):
    """The LSTM as colah writes it, with column vectors."""
    h, C = np.zeros(n), np.zeros(n)
    hs = []
    for x_t in sequence:
        h_x = np.concatenate([h, x_t])
        f_t = sigmoid(W_f @ h_x + b_f)
        i_t = sigmoid(W_i @ h_x + b_i)
        C_tilde = np.tanh(W_C @ h_x + b_c)
        o_t = sigmoid(W_o @ h_x + b_o)
        C = f_t * C + i_t * C_tilde
        h = o_t * np.tanh(C)
        hs.append(h)
    return np.array(hs)


# --8<-- [end:textbook]
publish.shape("W_f_textbook_shape", W_f)
publish.matrix(
    "W_f_textbook",
    np.hstack([W_f, b_f[:, np.newaxis]]),
    row_labels=[f'<span class="c-f">$f_{{t,{j + 1}}}$</span>' for j in range(n)],
    col_labels=h_prev_labels + x_labels + ["$b_f$"],
    corner="$W_f$ and $b_f$",
)
publish.check_replay("replay_textbook_W_f", W_f, np.vstack([W_hf, W_xf]).T, tolerance=0)
publish.check_replay("replay_textbook", textbook_lstm(new_input[0])[np.newaxis], output)

# %% [markdown]
# ## The model against the target rule
#
# On the new sequence the model and the target rule differ most at the last time steps. That
# sequence sits at the edge of the training data: each feature is 0 or 1, the bounds of the
# uniform draws, and its running sum goes higher than in any training sequence at the same
# time step. The first training sequence is typical of the data.

# %%
# --8<-- [start:typical]
# the first training sequence: drawn like all the training data
typical = x_train[:1]
typical_predicted = model.predict(typical)
# --8<-- [end:typical]
publish.model("lstm_typical", model, typical)


def rule(sequence):
    return sigmoid(2 * np.cumsum(sequence[:, 0] - sequence[:, 1]))


train_sum_low, train_sum_high = running_sum.min(axis=0), running_sum.max(axis=0)
new_sum = np.cumsum(new_input[0, :, 0] - new_input[0, :, 1])
difference_new = predicted[0, :, 0] - rule(new_input[0])
difference_typical = typical_predicted[0, :, 0] - rule(typical[0])
rms_train = float(np.sqrt(np.mean((model.predict(x_train, verbose=0) - y_train) ** 2)))
beyond = [str(t) for t in range(T) if not train_sum_low[t] <= new_sum[t] <= train_sum_high[t]]
# what the text says: the new sequence leaves the training range, and the model is farther
# from the rule there than on the typical sequence
assert beyond and np.max(np.abs(difference_typical)) < np.max(np.abs(difference_new))
# the plural follows the number
publish.value(
    "beyond_steps", ("time step " if len(beyond) == 1 else "time steps ") + ", ".join(beyond)
)
publish.value("difference_new", float(np.max(np.abs(difference_new))))
publish.value("difference_typical", float(np.max(np.abs(difference_typical))))
publish.value("rms_train", rms_train)
for name, sequence, prediction, difference, digits in [
    ("target_new", new_input[0], predicted, difference_new, 1),
    ("target_typical", typical[0], typical_predicted, difference_typical, 3),
]:
    publish.table(
        name,
        {
            "$t$": times,
            '<span class="c-x">$x_t$</span>': [publish.vector(x, digits) for x in sequence],
            "running sum": list(np.cumsum(sequence[:, 0] - sequence[:, 1])),
            "running sums in training": [
                f"{publish.fmt(lo, 2)} to {publish.fmt(hi, 2)}"
                for lo, hi in zip(train_sum_low, train_sum_high)
            ],
            "target rule": list(rule(sequence)),
            '<span class="c-y">$y_t$</span> (`model.predict`)': list(prediction[0, :, 0]),
            "difference": list(difference),
        },
    )

# %% [markdown]
# ## What changed since Keras 2: the gate activation
#
# Keras 2.0 to 2.2 used recurrent_activation="hard_sigmoid" for the gates; Keras 2.3 and Keras 3
# use "sigmoid". And hard_sigmoid itself changed between Keras 2 and Keras 3.


# %%
# --8<-- [start:hard_sigmoid]
def hard_sigmoid_keras2(z):
    # Keras 2: slope 0.2, flat beyond ±2.5
    return np.clip(0.2 * z + 0.5, 0, 1)


def hard_sigmoid_keras3(z):
    # Keras 3: relu6(z + 3) / 6, flat beyond ±3
    return np.clip(z / 6 + 0.5, 0, 1)


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
        layers.LSTM(
            n,
            return_sequences=True,
            recurrent_activation="hard_sigmoid",
        ),
        layers.TimeDistributed(layers.Dense(m_out, activation="sigmoid")),
    ]
)
hard_model.set_weights(model.get_weights())
predicted_hard = hard_model.predict(new_input)
# --8<-- [end:hard_sigmoid_replay]
publish.model("lstm_hard_sigmoid", hard_model, new_input)
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
# the default of Keras 3 and of tf.keras in TensorFlow 2: reset_after=True
gru_keras3 = layers.GRU(n)
# the default of standalone Keras 2 (the only form before Keras 2.1.5)
gru_keras2 = layers.GRU(n, reset_after=False)
gru_keras3.build((None, None, m))
gru_keras2.build((None, None, m))
# (2, 3n) (3n,)
print(gru_keras3.get_weights()[2].shape, gru_keras2.get_weights()[2].shape)
# --8<-- [end:gru_bias]
publish.shape("gru_bias_keras3", gru_keras3.get_weights()[2])
publish.shape("gru_bias_keras2", gru_keras2.get_weights()[2])
publish.value("gru_params_keras3", gru_keras3.count_params())
publish.value("gru_params_keras2", gru_keras2.count_params())
