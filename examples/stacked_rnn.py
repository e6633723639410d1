# %% [markdown]
# # Part C: two stacked SimpleRNN layers, the example
#
# The code of the chapter "Part C: two stacked SimpleRNN layers". Run it as a plain script
# (`python examples/stacked_rnn.py`) or read it here with its outputs. The site build runs it
# once and includes what it publishes into the chapter, so every number on the page comes from
# this run.

# %%
import textwrap

import keras
import numpy as np
from keras import layers

import publish

publish.setup(seed=0)


# --8<-- [start:sigmoid]
def sigmoid(z):
    return 1 / (1 + np.exp(-z))


# --8<-- [end:sigmoid]


# %% [markdown]
# ## Toy data whose targets depend on the past (the data of Part B)
#
# N sequences of T time steps with m features each; m' targets per step: a squashed
# running sum of the first feature minus the second, and the third feature of the previous
# step.

# %%
# --8<-- [start:data]
# sequences, time steps, input features, output features
N, T, m, m_out = 256, 6, 3, 2
x_train = np.random.uniform(0, 1, size=(N, T, m)).astype("float32")
y_train = np.zeros((N, T, m_out), dtype="float32")
# output 1: sigmoid of 2 * (running sum of feature 1 minus feature 2,
# up to time step t)
running_sum = np.cumsum(x_train[:, :, 0] - x_train[:, :, 1], axis=1)
y_train[:, :, 0] = sigmoid(2 * running_sum)
# output 2: feature 3 one step late (0 at t = 0)
y_train[:, 1:, 1] = x_train[:, :-1, 2]
# --8<-- [end:data]
publish.value("N", N)
publish.value("T", T)
publish.value("m", m)
publish.value("m_out", m_out)
publish.shape("x_train_shape", x_train)
publish.shape("y_train_shape", y_train)
publish.value("baseline", float(np.mean(np.var(y_train, axis=(0, 1)))), digits=4)

# %% [markdown]
# ## The model: two SimpleRNN layers returning sequences, then TimeDistributed(Dense)

# %%
# --8<-- [start:model]
# units of the first layer (h_t) and of the second layer (h'_t)
n, n2 = 5, 7
epochs = 100
model = keras.Sequential(
    [
        # any number of time steps, m features each
        keras.Input(shape=(None, m)),
        # h_t, shape (N, T, n): the second layer's input
        layers.SimpleRNN(n, return_sequences=True),
        # h'_t, shape (N, T, n')
        layers.SimpleRNN(n2, return_sequences=True),
        # y_t from h'_t
        layers.TimeDistributed(layers.Dense(m_out, activation="sigmoid")),
    ]
)
model.compile(loss="mse", optimizer="adam")
history = model.fit(x_train, y_train, epochs=epochs, batch_size=32, verbose=0)
# --8<-- [end:model]
publish.value("n", n)
publish.value("n2", n2)
publish.value("epochs", epochs)
publish.value("loss", history.history["loss"][-1], digits=4)

summary_lines = []
model.summary(print_fn=lambda line, **kwargs: summary_lines.append(line))
publish.text("summary", "\n".join(summary_lines), code="text")
publish.value("rnn_output_shape", f"`{tuple(model.layers[0].output.shape)}`")
publish.value("rnn2_output_shape", f"`{tuple(model.layers[1].output.shape)}`")

# %% [markdown]
# ## Why the first layer must return sequences
#
# A recurrent layer reads a 3-D input (N, T, features). With return_sequences=False, the
# first layer's output is 2-D, (N, n): there is no sequence left for the second layer to read.

# %%
# --8<-- [start:shapes]
# one sequence, shape (1, T, m)
sample = x_train[:1]
every_step = layers.SimpleRNN(n, return_sequences=True)(sample)
# return_sequences=False, the default
last_step = layers.SimpleRNN(n)(sample)
# (1, T, n) (1, n)
print(every_step.shape, last_step.shape)
# --8<-- [end:shapes]
publish.shape("sample_shape", sample)
publish.shape("every_step_shape", every_step)
publish.shape("last_step_shape", last_step)

# --8<-- [start:error]
try:
    keras.Sequential(
        [
            keras.Input(shape=(None, m)),
            # forgot return_sequences=True: output (N, n)
            layers.SimpleRNN(n, name="first"),
            # expects (N, T, n)
            layers.SimpleRNN(n2, name="second"),
        ]
    )
except ValueError as error:
    print(error)
    # --8<-- [end:error]
    stack_error = str(error)
else:
    raise AssertionError("Keras accepted a recurrent layer after a 2-D output")
publish.text(
    "stack_error", textwrap.fill(stack_error, width=80), code="text"
)  # wrapped to fit the page

# %% [markdown]
# ## The weights: three arrays per recurrent layer, two for the Dense layer

# %%
# --8<-- [start:weights]
W_x, W_h, b_h, W2_x, W2_h, b2_h, W_y, b_y = model.get_weights()
# first SimpleRNN: (m, n), (n, n), (n,)
print(W_x.shape, W_h.shape, b_h.shape)
# second SimpleRNN, W'_x, W'_h, b'_h: (n, n'), (n', n'), (n',)
print(W2_x.shape, W2_h.shape, b2_h.shape)
# Dense: (n', m'), (m',)
print(W_y.shape, b_y.shape)
# --8<-- [end:weights]
for name, w in [
    ("W_x", W_x),
    ("W_h", W_h),
    ("b_h", b_h),
    ("W2_x", W2_x),
    ("W2_h", W2_h),
    ("b2_h", b2_h),
    ("W_y", W_y),
    ("b_y", b_y),
]:
    publish.shape(f"{name}_shape", w)

x_labels = [f"$x_{{t,{i + 1}}}$" for i in range(m)]
h_labels = [f"$h_{{t,{j + 1}}}$" for j in range(n)]
h_prev_labels = [f"$h_{{t-1,{i + 1}}}$" for i in range(n)]
h2_labels = [f"$h'_{{t,{j + 1}}}$" for j in range(n2)]
h2_prev_labels = [f"$h'_{{t-1,{i + 1}}}$" for i in range(n2)]
y_labels = [f"$y_{{t,{j + 1}}}$" for j in range(m_out)]
publish.matrix("W_x", W_x, row_labels=x_labels, col_labels=h_labels, corner="$W_x$")
publish.matrix("W_h", W_h, row_labels=h_prev_labels, col_labels=h_labels, corner="$W_h$")
publish.matrix("b_h", b_h, row_labels=["$b_h$"], col_labels=h_labels)
publish.matrix("W2_x", W2_x, row_labels=h_labels, col_labels=h2_labels, corner="$W'_x$")
publish.matrix("W2_h", W2_h, row_labels=h2_prev_labels, col_labels=h2_labels, corner="$W'_h$")
publish.matrix("b2_h", b2_h, row_labels=["$b'_h$"], col_labels=h2_labels)
publish.matrix("W_y", W_y, row_labels=h2_labels, col_labels=y_labels, corner="$W_y$")
publish.matrix("b_y", b_y, row_labels=["$b_y$"], col_labels=y_labels)

# Parameter counts: the formulas, and what Keras counts, layer by layer.
rnn_layer, rnn2_layer, dense_layer = model.layers
formulas = [n * (m + n + 1), n2 * (n + n2 + 1), m_out * (n2 + 1)]
publish.table(
    "params",
    {
        "layer: its weights": [
            f"first `SimpleRNN`: $W_x$ `{W_x.shape}`, $W_h$ `{W_h.shape}`, $b_h$ `{b_h.shape}`",
            f"second `SimpleRNN`: $W'_x$ `{W2_x.shape}`, $W'_h$ `{W2_h.shape}`, $b'_h$ `{b2_h.shape}`",
            f"`TimeDistributed(Dense)`: $W_y$ `{W_y.shape}`, $b_y$ `{b_y.shape}`",
            "the model",
        ],
        "formula": ["$n(m + n + 1)$", "$n'(n + n' + 1)$", "$m'(n' + 1)$", ""],
        "with the sizes": [
            f"${n} \\times ({m} + {n} + 1)$",
            f"${n2} \\times ({n} + {n2} + 1)$",
            f"${m_out} \\times ({n2} + 1)$",
            "",
        ],
        "formula value": [str(f) for f in formulas] + [str(sum(formulas))],
        "`count_params()`": [str(layer.count_params()) for layer in model.layers]
        + [str(model.count_params())],
    },
)
assert [layer.count_params() for layer in model.layers] == formulas
publish.value("params_total", model.count_params())

# %% [markdown]
# ## The computations, replayed with numpy
#
# One new sequence of T steps, inputs rounded to one decimal. The second layer is the
# same computation as the first, with its own weights, reading the states h_t as its input.

# %%
# --8<-- [start:predict]
new_input = np.random.uniform(0, 1, size=(1, T, m))
new_input = np.round(new_input, 1).astype("float32")
# shape (1, T, m'): y_0 ... y_{T-1}
predicted = model.predict(new_input, verbose=0)
# --8<-- [end:predict]
publish.model("stacked_rnn", model, new_input)
publish.shape("new_input_shape", new_input)
publish.shape("predicted_shape", predicted)


# --8<-- [start:replay]
def simple_rnn(x, W_x, W_h, b_h):
    """The states h_0, ..., h_{T-1} of a SimpleRNN for one sequence x,
    of shape (T, features)."""
    # h_{-1} = 0
    h_t = np.zeros(W_h.shape[0])
    states = []
    # t = 0, 1, ..., T-1
    for x_t in x:
        # h_t = tanh(x_t W_x + h_{t-1} W_h + b_h)
        h_t = np.tanh(x_t @ W_x + h_t @ W_h + b_h)
        states.append(h_t)
    # shape (T, units)
    return np.array(states)


# first layer, (T, n):   h_t from x_t and h_{t-1}
h = simple_rnn(new_input[0], W_x, W_h, b_h)
# second layer, (T, n'): h'_t from h_t and h'_{t-1}
h2 = simple_rnn(h, W2_x, W2_h, b2_h)
# (T, m'): y_t = sigmoid(h'_t W_y + b_y) at each t
y = sigmoid(h2 @ W_y + b_y)
# --8<-- [end:replay]
publish.check_replay("replay", y[np.newaxis], predicted)

# The states as Keras computes them: the recurrent layers called one after the other.
h_keras = keras.ops.convert_to_numpy(rnn_layer(new_input))  # (1, T, n)
h2_keras = keras.ops.convert_to_numpy(rnn2_layer(h_keras))  # (1, T, n')
publish.check_replay("replay_h", h[np.newaxis], h_keras)
publish.check_replay("replay_h2", h2[np.newaxis], h2_keras)

publish.table(
    "steps",
    {
        "$t$": [str(t) for t in range(T)],
        '<span class="c-x">$x_t$</span>': [publish.vector(v, 1) for v in new_input[0]],
        '<span class="c-h">$h_t$</span>': [publish.vector(v) for v in h],
        '<span class="c-h2">$h\'_t$</span>': [publish.vector(v) for v in h2],
        '<span class="c-y">$y_t$</span>': [publish.vector(v) for v in y],
    },
)

# %% [markdown]
# ## One step of the second layer in detail
#
# At t = 1: the input term h_1 W'_x, the recurrent term h'_0 W'_h, the bias, their sum,
# and its tanh.

# %%
t = 1
input_term, recurrent_term = h[t] @ W2_x, h2[t - 1] @ W2_h
total = input_term + recurrent_term + b2_h
detail = np.array([input_term, recurrent_term, b2_h, total, np.tanh(total)])
publish.matrix(
    "step_1",
    detail,
    row_labels=[
        f"$h_{t} W'_x$",
        f"$h'_{t - 1} W'_h$",
        "$b'_h$",
        "sum",
        f"$\\class{{c-h2}}{{h'_{t}}} = \\tanh(\\text{{sum}})$",
    ],
    col_labels=[f"unit {j + 1}" for j in range(n2)],
)
publish.check_replay("step_1_vs_replay", detail[-1], h2[t])
publish.value("h_1", publish.vector(h[t]))
publish.value("h2_0", publish.vector(h2[t - 1]))
