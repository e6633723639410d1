# %% [markdown]
# # Part A: TimeDistributed(Dense), the example
#
# The code of the chapter "Part A: TimeDistributed". Run it as a plain script
# (`python examples/time_distributed.py`) or read it here with its outputs. The site build runs
# it once and includes what it publishes (`publish.table`, `publish.matrix`, ...) into the
# chapter, so every number on the page comes from this run.

# %%
import keras
import numpy as np
import time_distributed_bug
from keras import layers

import publish

publish.setup(seed=0)


# --8<-- [start:sigmoid]
def sigmoid(z):
    return 1 / (1 + np.exp(-z))


# --8<-- [end:sigmoid]


def noun(k, word):
    """The word for k things: 'feature' for 1, 'features' for 3."""
    return word if k == 1 else word + "s"


def count(k, word):
    """'1 feature', '3 features': the plural follows the number."""
    return f"{k} {noun(k, word)}"


# %% [markdown]
# ## A one-dimensional Dense layer, applied at every time step
#
# Training data: N = 256 sequences of T = 6 time steps, one number per time
# step. The targets follow a known rule, y = sigmoid(W x + b) with W = 2 and
# b = -1.

# %%
# --8<-- [start:model_1d]
N, T = 256, 6
x_train_1d = np.random.uniform(0, 1, size=(N, T, 1)).astype("float32")
# the rule the model should learn
W_rule, b_rule = 2.0, -1.0
y_train_1d = sigmoid(W_rule * x_train_1d + b_rule)

model_1d = keras.Sequential(
    [
        # any number of time steps, 1 feature at each
        keras.Input(shape=(None, 1)),
        layers.TimeDistributed(layers.Dense(units=1, activation="sigmoid")),
    ]
)
model_1d.compile(loss="mse", optimizer="rmsprop")
history_1d = model_1d.fit(x_train_1d, y_train_1d, epochs=100, verbose=0)
# --8<-- [end:model_1d]

publish.value("N", N)
publish.value("T", T)
publish.value("T_last", T - 1)
publish.value("noun_T", noun(T, "time step"))
publish.value("noun_N", noun(N, "sequence"))
publish.value("epochs", len(history_1d.history["loss"]))
publish.value("tolerance", f"10^{{{int(np.log10(publish.TOLERANCE))}}}")
publish.shape("x_train_1d_shape", x_train_1d)
publish.shape("y_train_1d_shape", y_train_1d)
publish.value("loss_1d", history_1d.history["loss"][-1], digits=6)
publish.value("W_rule_1d", publish.fmt(W_rule, 0))
publish.value("b_rule_1d", publish.fmt(b_rule, 0))

# %%
W_1d, b_1d = model_1d.get_weights()
print("W:", W_1d.shape, W_1d.ravel(), " b:", b_1d.shape, b_1d)
publish.shape("W_1d_shape", W_1d)
publish.shape("b_1d_shape", b_1d)
publish.value("W_1d", W_1d[0, 0])
publish.value("b_1d", b_1d[0])
publish.value("W_1d_gap", abs(W_1d[0, 0] - W_rule))
publish.value("b_1d_gap", abs(b_1d[0] - b_rule))
publish.value("params_1d", model_1d.count_params())

# %% [markdown]
# A new input with another number of time steps: one sequence (k = 1) of
# l = 8 time steps.

# %%
# --8<-- [start:predict_1d]
x_values = [1, 0.8, 0.6, 0.2, 1, 0, 1, 1]
# one sequence, one feature at each time step
new_input_1d = np.array(x_values, dtype="float32").reshape(1, -1, 1)
# (1, 8, 1): k = 1 sequence of l = 8 time steps
print(new_input_1d.shape)
predicted_1d = model_1d.predict(new_input_1d)
# --8<-- [end:predict_1d]
publish.model("td_dense_1d", model_1d, new_input_1d)
# y_t = sigmoid(x_t W + b) at each t
replay_1d = sigmoid(new_input_1d * W_1d[0, 0] + b_1d[0])

publish.shape("new_input_1d_shape", new_input_1d)
publish.shape("predicted_1d_shape", predicted_1d)
publish.value("l_1d_time_steps", count(new_input_1d.shape[1], "time step"))
publish.table(
    "prediction_1d",
    {
        "$t$": [str(t) for t in range(new_input_1d.shape[1])],
        "$x_t$": new_input_1d[0, :, 0],
        "$y_t$ (`model.predict`)": predicted_1d[0, :, 0],
        "$\\sigma(x_t W + b)$ (numpy)": replay_1d[0, :, 0],
    },
)
publish.check_replay("replay_1d", replay_1d, predicted_1d)
first_value = new_input_1d[0, 0, 0]
publish.value(
    "same_input_time_steps",
    ", ".join(str(t) for t in range(new_input_1d.shape[1]) if new_input_1d[0, t, 0] == first_value),
)

# %% [markdown]
# ## The complete example: m = 2 inputs, m' = 3 outputs
#
# N = 256 sequences of T = 6 time steps; each time step carries a
# two-dimensional input and a three-dimensional target, made by a known rule
# y = sigmoid(x A + c).

# %%
# --8<-- [start:data]
dim_in, dim_out = 2, 3
A = np.array([[1.0, -1.0, 0.5], [2.0, 0.5, -1.0]])
c = np.array([-1.0, 0.5, 0.0])
x_train = np.random.uniform(0, 1, size=(N, T, dim_in)).astype("float32")
y_train = sigmoid(x_train @ A + c).astype("float32")
# --8<-- [end:data]

# --8<-- [start:model]
model = keras.Sequential(
    [
        # dim_in features at each time step
        keras.Input(shape=(None, dim_in)),
        # dim_out values at each time step
        layers.TimeDistributed(
            layers.Dense(units=dim_out, activation="sigmoid"),
        ),
    ]
)
model.compile(loss="mse", optimizer="rmsprop")
history = model.fit(x_train, y_train, epochs=100, batch_size=32, verbose=0)
# --8<-- [end:model]


publish.value("m", dim_in)
publish.value("m_out", dim_out)
publish.value("m_features", count(dim_in, "feature"))
publish.value("m_out_values", count(dim_out, "value"))
publish.value("m_out_numbers", count(dim_out, "number"))
publish.value("m_out_units", count(dim_out, "output unit"))
publish.value("m_out_components", count(dim_out, "component"))
publish.value("m_inputs", count(dim_in, "input"))
publish.value("m_out_outputs", count(dim_out, "output"))
publish.value("T_time_steps", count(T, "time step"))
publish.text("output_shape", f"`{model.output_shape}`")
publish.shape("x_train_shape", x_train)
publish.shape("y_train_shape", y_train)
publish.value("loss", history.history["loss"][-1], digits=6)

summary_lines = []
model.summary(print_fn=lambda line, **kwargs: summary_lines.append(line))
publish.text("summary", "\n".join(summary_lines), code="text")

# %%
# --8<-- [start:weights]
W, b = model.get_weights()
# (2, 3) (3,)
print(W.shape, b.shape)
# --8<-- [end:weights]
publish.shape("W_shape", W)
publish.shape("b_shape", b)
outputs = [f"$y_{{t,{j + 1}}}$" for j in range(dim_out)]
inputs = [f"$x_{{t,{i + 1}}}$" for i in range(dim_in)]
publish.matrix("W", W, row_labels=inputs, col_labels=outputs, corner="$W$")
publish.matrix("b", b, row_labels=["$b$"], col_labels=outputs)
publish.matrix("A", A, row_labels=inputs, col_labels=outputs, corner="$A$")
publish.matrix("c", c, row_labels=["$c$"], col_labels=outputs)
publish.value("params", model.count_params())
publish.value("params_formula", W.size + b.size)

# %% [markdown]
# Predicting a new sequence of shape (1, 6, 2), then replaying the computation
# with numpy.

# %%
# --8<-- [start:predict]
new_input = np.array(
    [[[1, 1], [0.8, 0.8], [0.6, 0.6], [0.2, 0.2], [1, 1], [0, 0]]],
    dtype="float32",
)
# (1, 6, 2), a valid shape for this model
print(new_input.shape)
predicted = model.predict(new_input)
# (1, 6, 3)
print(predicted.shape)
# --8<-- [end:predict]
publish.model("td_dense_2_to_3", model, new_input)
publish.shape("new_input_shape", new_input)
publish.shape("predicted_shape", predicted)
publish.text("predicted", publish.array_text(predicted), code="text")

# --8<-- [start:replay]
# Time step by time step: y_t = sigmoid(x_t W + b), the same W and b at each.
replay = np.array([[sigmoid(x_t @ W + b) for x_t in seq] for seq in new_input])

# The same in one line: `@` multiplies the last axis of (1, 6, 2) by W (2, 3),
# and b, of shape (3,), is added to every row (broadcast).
replay_vectorized = sigmoid(new_input @ W + b)
# --8<-- [end:replay]
publish.check_replay("replay", replay, predicted)
publish.check_replay("replay_vectorized", replay_vectorized, predicted)

x_0 = new_input[0, 0]
publish.value("x_0", f"({publish.fmt(x_0[0], 1)}, {publish.fmt(x_0[1], 1)})")
publish.table(
    "first_step",
    {
        "unit $j$": [str(j + 1) for j in range(dim_out)],
        "$(x_0 W + b)_j$": x_0 @ W + b,
        "$y_{0,j} = \\sigma\\big((x_0 W + b)_j\\big)$": sigmoid(x_0 @ W + b),
        "`model.predict`": predicted[0, 0],
    },
)

# %% [markdown]
# ## Inputs of another shape (k, l, m)
#
# The model was trained on sequences of 6 time steps; it accepts any number k
# of sequences of any length l, as long as each time step has m = 2 features.
# Calling the model, `model(x)`, computes the output directly.

# %%
# --8<-- [start:other_shape]
# k = 2 sequences of l = 4 time steps
other_input = np.random.uniform(0, 1, size=(2, 4, dim_in)).astype("float32")
# shape (2, 4, 3)
other_output = keras.ops.convert_to_numpy(model(other_input))
# --8<-- [end:other_shape]
publish.value("k_other", other_input.shape[0])
publish.value("l_other", other_input.shape[1])
publish.shape("other_input_shape", other_input)
publish.shape("other_output_shape", other_output)
publish.check_replay("replay_other", sigmoid(other_input @ W + b), other_output)

# %% [markdown]
# ## A bug of Keras: TimeDistributed and a new sequence length
#
# Keras 3.15.1, on the TensorFlow backend, gives wrong shapes or raises an
# error when `predict`, `predict_on_batch` or `evaluate` runs a model that
# contains TimeDistributed at one sequence length, then at another. This cell
# runs each method on a fresh copy of the model, with the same inputs in the
# same order, and checks every result: the printed verdicts, and the page,
# say what the installed Keras does.

# %%
# --8<-- [start:bug_probe]
# (k, l, m): k sequences of l time steps; the last has k > l
probe_shapes = [(1, 6, 2), (2, 4, 2), (3, 7, 2), (5, 3, 2)]
probe_inputs = []
for shape in probe_shapes:
    probe_inputs.append(np.random.uniform(0, 1, size=shape).astype("float32"))


def fresh_copy(wrapper=True):
    """A new model with the trained W and b, with or without the wrapper."""
    dense = layers.Dense(units=dim_out, activation="sigmoid")
    layer = layers.TimeDistributed(dense) if wrapper else dense
    copy = keras.Sequential([keras.Input(shape=(None, dim_in)), layer])
    copy.compile(loss="mse", optimizer="rmsprop")
    copy.set_weights(model.get_weights())
    return copy


def predict(copy, x):
    return copy.predict(x, verbose=0)


def evaluate(copy, x):
    # the targets are the exact outputs: the loss should be 0
    return copy.evaluate(x, sigmoid(x @ W + b), verbose=0)


def run(method, copy, x):
    """What method(copy, x) returns (an array, or the loss), or its error."""
    try:
        return keras.ops.convert_to_numpy(method(copy, x))
    except Exception as error:
        return error


methods = {
    "predict": predict,
    "predict_on_batch": lambda copy, x: copy.predict_on_batch(x),
    "evaluate": evaluate,
    "model(x)": lambda copy, x: copy(x),
}
observed = {}
for name, method in methods.items():
    copy = fresh_copy()
    observed[name] = [run(method, copy, x) for x in probe_inputs]
copy = fresh_copy(wrapper=False)
dense_results = [run(predict, copy, x) for x in probe_inputs]
observed["predict, no wrapper"] = dense_results
# --8<-- [end:bug_probe]

verdicts = {
    name: [
        time_distributed_bug.verdict(result, sigmoid(x.astype("float64") @ W + b))
        for result, x in zip(results, probe_inputs)
    ]
    for name, results in observed.items()
}
print(verdicts)
for name, found in verdicts.items():
    key = {"model(x)": "model_call", "predict, no wrapper": "dense_predict"}.get(name, name)
    publish.probe(f"probe_td_{key.lower()}", "right" if set(found) == {"right"} else "affected")
backend = keras.backend.backend()
backend = {"tensorflow": "TensorFlow"}.get(backend, backend)
publish.value("backend", backend)
publish.text(
    "td_bug_box",
    time_distributed_bug.box(
        verdicts,
        observed,
        probe_shapes,
        keras.__version__,
        backend,
    ),
)

# %% [markdown]
# ## TimeDistributed(Dense) and Dense give the same result
#
# Dense contracts the last axis of its input, so on a (N, T, m) input it
# already acts at each time step. A Dense model with the same weights predicts
# the same numbers.

# %%
# --8<-- [start:dense]
dense_model = keras.Sequential(
    [
        keras.Input(shape=(None, dim_in)),
        # no wrapper
        layers.Dense(units=dim_out, activation="sigmoid"),
    ]
)
# the same W and b
dense_model.set_weights(model.get_weights())
predicted_dense = dense_model.predict(new_input)
# --8<-- [end:dense]
publish.model("dense_2_to_3", dense_model, new_input)
publish.value("params_dense", dense_model.count_params())
publish.check_replay("dense_vs_time_distributed", predicted_dense, predicted)
