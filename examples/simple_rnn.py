# %% [markdown]
# # Part B: SimpleRNN, the example
#
# The code of the chapter "Part B: SimpleRNN". Run it as a plain script
# (`python examples/simple_rnn.py`) or read it here with its outputs. The site build runs it
# once and includes what it publishes into the chapter, so every number on the page comes from
# this run.

# %%
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
# ## Toy data whose targets depend on the past
#
# N sequences of T time steps with m features each. Each target has m' components: a
# squashed running sum of the first feature minus the second (it depends on every step so
# far), and the third feature of the previous step (0 at t = 0). A layer without memory,
# such as Part A's, cannot produce either.

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
# ## The model: SimpleRNN(n, return_sequences=True), then TimeDistributed(Dense)

# %%
# --8<-- [start:model]
# units of the SimpleRNN: the size of the hidden state h_t
n = 5
epochs = 100
model = keras.Sequential(
    [
        # any number of time steps, m features each
        keras.Input(shape=(None, m)),
        # h_t at every step; activation="tanh" by default
        layers.SimpleRNN(n, return_sequences=True),
        # y_t from h_t
        layers.TimeDistributed(layers.Dense(m_out, activation="sigmoid")),
    ]
)
model.compile(loss="mse", optimizer="adam")
history = model.fit(x_train, y_train, epochs=epochs, batch_size=32, verbose=0)
# --8<-- [end:model]
publish.value("n", n)
publish.value("epochs", epochs)
publish.value("loss", history.history["loss"][-1], digits=4)
publish.value("activation", model.layers[0].get_config()["activation"])
publish.value("rnn_output_shape", f"`{tuple(model.layers[0].output.shape)}`")

summary_lines = []
model.summary(print_fn=lambda line, **kwargs: summary_lines.append(line))
publish.text("summary", "\n".join(summary_lines), code="text")

# %% [markdown]
# ## The weights: W_x, W_h, b_h of the SimpleRNN, W_y, b_y of the Dense layer

# %%
# --8<-- [start:weights]
W_x, W_h, b_h, W_y, b_y = model.get_weights()
# SimpleRNN: kernel (m, n), recurrent_kernel (n, n), bias (n,)
print(W_x.shape, W_h.shape, b_h.shape)
# Dense: kernel (n, m'), bias (m',)
print(W_y.shape, b_y.shape)
# --8<-- [end:weights]
for name, w in [("W_x", W_x), ("W_h", W_h), ("b_h", b_h), ("W_y", W_y), ("b_y", b_y)]:
    publish.shape(f"{name}_shape", w)

x_labels = [f"$x_{{t,{i + 1}}}$" for i in range(m)]
h_labels = [f"$h_{{t,{j + 1}}}$" for j in range(n)]
h_prev_labels = [f"$h_{{t-1,{i + 1}}}$" for i in range(n)]
y_labels = [f"$y_{{t,{j + 1}}}$" for j in range(m_out)]
publish.matrix("W_x", W_x, row_labels=x_labels, col_labels=h_labels, corner="$W_x$")
publish.matrix("W_h", W_h, row_labels=h_prev_labels, col_labels=h_labels, corner="$W_h$")
publish.matrix("b_h", b_h, row_labels=["$b_h$"], col_labels=h_labels)
publish.matrix("W_y", W_y, row_labels=h_labels, col_labels=y_labels, corner="$W_y$")
publish.matrix("b_y", b_y, row_labels=["$b_y$"], col_labels=y_labels)

# Parameter counts: the formulas, and what Keras counts, layer by layer.
rnn_layer, dense_layer = model.layers
publish.table(
    "params",
    {
        "layer: its weights": [
            f"`SimpleRNN`: $W_x$ `{W_x.shape}`, $W_h$ `{W_h.shape}`, $b_h$ `{b_h.shape}`",
            f"`TimeDistributed(Dense)`: $W_y$ `{W_y.shape}`, $b_y$ `{b_y.shape}`",
            "the model",
        ],
        "formula": ["$n(m + n + 1)$", "$m'(n + 1)$", ""],
        "with the sizes": [f"${n} \\times ({m} + {n} + 1)$", f"${m_out} \\times ({n} + 1)$", ""],
        "formula value": [
            str(n * (m + n + 1)),
            str(m_out * (n + 1)),
            str(n * (m + n + 1) + m_out * (n + 1)),
        ],
        "`count_params()`": [
            str(rnn_layer.count_params()),
            str(dense_layer.count_params()),
            str(model.count_params()),
        ],
    },
)
assert rnn_layer.count_params() == n * (m + n + 1) and dense_layer.count_params() == m_out * (n + 1)
publish.value("params_rnn", rnn_layer.count_params())
publish.value("params_total", model.count_params())

# %% [markdown]
# ## The computations, replayed with numpy
#
# One new sequence of T steps, with inputs rounded to one decimal so that they are easy
# to read.

# %%
# --8<-- [start:predict]
new_input = np.random.uniform(0, 1, size=(1, T, m))
new_input = np.round(new_input, 1).astype("float32")
# shape (1, T, m'): y_0 ... y_{T-1}
predicted = model.predict(new_input, verbose=0)
# --8<-- [end:predict]
publish.model("simple_rnn_sequences", model, new_input)
publish.shape("new_input_shape", new_input)
publish.shape("predicted_shape", predicted)


# --8<-- [start:replay]
def simple_rnn(x, W_x, W_h, b_h):
    """The states h_0, ..., h_{T-1} of a SimpleRNN for one sequence x,
    of shape (T, m)."""
    # h_{-1} = 0
    h_t = np.zeros(W_h.shape[0])
    states = []
    # t = 0, 1, ..., T-1
    for x_t in x:
        # h_t = tanh(x_t W_x + h_{t-1} W_h + b_h)
        h_t = np.tanh(x_t @ W_x + h_t @ W_h + b_h)
        states.append(h_t)
    # shape (T, n)
    return np.array(states)


# (T, n)
h = simple_rnn(new_input[0], W_x, W_h, b_h)
# (T, m'): y_t = sigmoid(h_t W_y + b_y) at each t
y = sigmoid(h @ W_y + b_y)
# --8<-- [end:replay]
publish.check_replay("replay", y[np.newaxis], predicted)

# The hidden states themselves, as Keras computes them: the SimpleRNN layer called alone.
h_keras = keras.ops.convert_to_numpy(rnn_layer(new_input))  # (1, T, n)
publish.check_replay("replay_h", h[np.newaxis], h_keras)

publish.table(
    "steps",
    {
        "$t$": [str(t) for t in range(T)],
        '<span class="c-x">$x_t$</span>': [publish.vector(v, 1) for v in new_input[0]],
        '<span class="c-h">$h_t$</span>': [publish.vector(v) for v in h],
        '<span class="c-y">$y_t$</span>': [publish.vector(v) for v in y],
    },
)


# %% [markdown]
# ## Two steps in detail
#
# The three terms of the sum, the sum, and its tanh, unit by unit, for t = 0 (where
# h_{-1} = 0, so the recurrent term vanishes) and t = 1.


# %%
def step_detail(t):
    h_prev = np.zeros(n) if t == 0 else h[t - 1]
    x_term, h_term = new_input[0, t] @ W_x, h_prev @ W_h
    total = x_term + h_term + b_h
    rows = [
        f"$x_{t} W_x$",
        f"$h_{{{t - 1}}} W_h$",
        "$b_h$",
        "sum",
        f"$\\class{{c-h}}{{h_{t}}} = \\tanh(\\text{{sum}})$",
    ]
    return np.array([x_term, h_term, b_h, total, np.tanh(total)]), rows


for t in (0, 1):
    detail, rows = step_detail(t)
    publish.matrix(
        f"step_{t}", detail, row_labels=rows, col_labels=[f"unit {j + 1}" for j in range(n)]
    )
    publish.check_replay(f"step_{t}_vs_replay", detail[-1], h[t])
    publish.value(f"x_{t}", publish.vector(new_input[0, t], 1))
publish.value("h_0", publish.vector(h[0]))

# %% [markdown]
# ## return_sequences=False: only the last step comes out
#
# The same weights in a model whose SimpleRNN keeps only its last state. Its output is 2-D,
# (N, n), so the Dense layer on top needs no TimeDistributed wrapper.

# %%
# --8<-- [start:last_step]
last_model = keras.Sequential(
    [
        keras.Input(shape=(None, m)),
        # return_sequences=False, the default: only h_{T-1}
        layers.SimpleRNN(n),
        layers.Dense(m_out, activation="sigmoid"),
    ]
)
# the same W_x, W_h, b_h, W_y, b_y
last_model.set_weights(model.get_weights())
# shape (1, m'): y_{T-1} only
last_predicted = last_model.predict(new_input, verbose=0)
# --8<-- [end:last_step]
publish.model("simple_rnn_last_step", last_model, new_input)
last_h = keras.ops.convert_to_numpy(last_model.layers[0](new_input))  # (1, n): h_{T-1}
publish.shape("last_predicted_shape", last_predicted)
publish.shape("last_h_shape", last_h)
publish.value("last_t", T - 1)
publish.check_replay("last_h_vs_sequence", last_h, h_keras[:, -1])
publish.check_replay("last_y_vs_sequence", last_predicted, predicted[:, -1])
publish.check_replay("last_y_vs_replay", last_predicted, y[np.newaxis, -1])
publish.value("last_params", last_model.count_params())

publish.table(
    "last_step",
    {
        "": [
            f"sequence model, row $t = {T - 1}$ of the table above",
            "`last_model`, its only output",
        ],
        f'<span class="c-h">$h_{{{T - 1}}}$</span>': [
            publish.vector(h_keras[0, -1]),
            publish.vector(last_h[0]),
        ],
        f'<span class="c-y">$y_{{{T - 1}}}$</span>': [
            publish.vector(predicted[0, -1]),
            publish.vector(last_predicted[0]),
        ],
    },
)
