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
from keras import layers

import publish

publish.setup(seed=0)


# --8<-- [start:sigmoid]
def sigmoid(z):
    return 1 / (1 + np.exp(-z))


# --8<-- [end:sigmoid]


# %% [markdown]
# ## A one-dimensional Dense layer, applied at every date
#
# Training data: N = 256 sequences of T = 6 dates, one number per date. The targets follow a
# known rule, y = sigmoid(2x - 1).

# %%
# --8<-- [start:model_1d]
N, T = 256, 6
x_train_1d = np.random.uniform(0, 1, size=(N, T, 1)).astype("float32")
y_train_1d = sigmoid(2 * x_train_1d - 1)  # the rule the model should learn: W = 2, b = -1

model_1d = keras.Sequential(
    [
        keras.Input(shape=(None, 1)),  # any number of dates, 1 feature per date
        layers.TimeDistributed(layers.Dense(units=1, activation="sigmoid")),
    ]
)
model_1d.compile(loss="mse", optimizer="rmsprop")
history_1d = model_1d.fit(x_train_1d, y_train_1d, epochs=100, batch_size=32, verbose=0)
# --8<-- [end:model_1d]

publish.value("N", N)
publish.value("T", T)
publish.value("T_last", T - 1)
publish.value("epochs", len(history_1d.history["loss"]))
publish.value("tolerance", f"10^{{{int(np.log10(publish.TOLERANCE))}}}")
publish.shape("x_train_1d_shape", x_train_1d)
publish.shape("y_train_1d_shape", y_train_1d)
publish.value("loss_1d", history_1d.history["loss"][-1], digits=6)

# %%
W_1d, b_1d = model_1d.get_weights()
print("W:", W_1d.shape, W_1d.ravel(), " b:", b_1d.shape, b_1d)
publish.shape("W_1d_shape", W_1d)
publish.shape("b_1d_shape", b_1d)
publish.value("W_1d", W_1d[0, 0])
publish.value("b_1d", b_1d[0])
publish.value("params_1d", model_1d.count_params())

# %% [markdown]
# A new input with another number of dates: one sequence (k = 1) of l = 8 dates.

# %%
# --8<-- [start:predict_1d]
new_input_1d = np.array([[[1], [0.8], [0.6], [0.2], [1], [0], [1], [1]]], dtype="float32")
print(new_input_1d.shape)  # (1, 8, 1): k = 1 sequence of l = 8 dates
predicted_1d = model_1d.predict(new_input_1d)
# --8<-- [end:predict_1d]
predicted_1d = publish.model("td_dense_1d", model_1d, new_input_1d)
replay_1d = sigmoid(new_input_1d * W_1d[0, 0] + b_1d[0])  # y_t = sigmoid(x_t W + b) at each t

publish.shape("new_input_1d_shape", new_input_1d)
publish.shape("predicted_1d_shape", predicted_1d)
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
    "same_input_dates",
    ", ".join(str(t) for t in range(new_input_1d.shape[1]) if new_input_1d[0, t, 0] == first_value),
)

# %% [markdown]
# ## The complete example: m = 2 inputs, m' = 3 outputs
#
# N = 256 sequences of T = 6 dates; each date carries a two-dimensional input and a
# three-dimensional target, made by a known rule y = sigmoid(x A + c).

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
        keras.Input(shape=(None, dim_in)),  # input is dim_in-dimensional at each date
        layers.TimeDistributed(
            layers.Dense(units=dim_out, activation="sigmoid")
        ),  # target is dim_out-dimensional
    ]
)
model.compile(loss="mse", optimizer="rmsprop")
history = model.fit(x_train, y_train, epochs=100, batch_size=32, verbose=0)
# --8<-- [end:model]

publish.value("m", dim_in)
publish.value("m_out", dim_out)
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
print(W.shape, b.shape)  # (2, 3) (3,)
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
# Predicting a new sequence of shape (1, 6, 2), then replaying the computation with numpy.

# %%
# --8<-- [start:predict]
new_input = np.array(
    [[[1, 1], [0.8, 0.8], [0.6, 0.6], [0.2, 0.2], [1, 1], [0, 0]]], dtype="float32"
)
print(new_input.shape)  # (1, 6, 2), a valid shape for this model
predicted = model.predict(new_input)
print(predicted.shape)  # (1, 6, 3)
# --8<-- [end:predict]
predicted = publish.model("td_dense_2_to_3", model, new_input)
publish.shape("new_input_shape", new_input)
publish.shape("predicted_shape", predicted)
publish.text("predicted", publish.array_text(predicted), code="text")

# --8<-- [start:replay]
# Date by date: y_t = sigmoid(x_t W + b), with the same W and b at every date.
replay = np.array([[sigmoid(x_t @ W + b) for x_t in sequence] for sequence in new_input])

# The same in one line: `@` multiplies the last axis of (1, 6, 2) by W (2, 3).
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
# The model was trained on sequences of 6 dates; it accepts any number k of sequences of any
# length l, as long as each date has m = 2 features. Calling the model, `model(x)`, computes
# the output directly. `model.predict` is checked too: in Keras 3.15, after it has run once on
# sequences of one length, it returns a wrongly shaped result for another length when the
# model contains TimeDistributed (the time axis is cut to the batch size). `Dense` alone is not
# affected. This cell publishes what the installed Keras does, whichever way it goes.

# %%
# --8<-- [start:other_shape]
other_input = np.random.uniform(0, 1, size=(2, 4, dim_in)).astype("float32")  # k = 2, l = 4
other_output = keras.ops.convert_to_numpy(model(other_input))  # shape (2, 4, 3)
# --8<-- [end:other_shape]
publish.value("k_other", other_input.shape[0])
publish.value("l_other", other_input.shape[1])
publish.shape("other_input_shape", other_input)
publish.shape("other_output_shape", other_output)
publish.check_replay("replay_other", sigmoid(other_input @ W + b), other_output)

other_predict = model.predict(other_input, verbose=0)
publish.shape("other_predict_shape", other_predict)
if other_predict.shape == other_output.shape:
    publish.check_replay("predict_other_length", other_predict, other_output)
    publish.text(
        "predict_other_length_note",
        f"With Keras {keras.__version__}, `model.predict(other_input)` returns the same "
        f"shape and values as `model(other_input)`.",
    )
else:
    publish.text(
        "predict_other_length_note",
        (
            f'!!! bug "`model.predict` and a new sequence length, in Keras {keras.__version__}"\n'
            f"    After `model.predict` has run on sequences of 6 dates, `model.predict(other_input)` "
            f"returns an array of shape `{other_predict.shape}`, not `{other_output.shape}`: "
            f"the time axis is cut to the batch size. Calling the model, `model(other_input)`, or "
            f"`model.predict_on_batch(other_input)` gives the right result, and so does a plain "
            f"`Dense` layer (below), which needs no wrapper."
        ),
    )

# %% [markdown]
# ## TimeDistributed(Dense) and Dense give the same result
#
# Dense contracts the last axis of its input, so on a (N, T, m) input it already acts at
# each date. A Dense model with the same weights predicts the same numbers.

# %%
# --8<-- [start:dense]
dense_model = keras.Sequential(
    [
        keras.Input(shape=(None, dim_in)),
        layers.Dense(units=dim_out, activation="sigmoid"),  # no wrapper
    ]
)
dense_model.set_weights(model.get_weights())  # the same W and b
predicted_dense = dense_model.predict(new_input)
# --8<-- [end:dense]
predicted_dense = publish.model("dense_2_to_3", dense_model, new_input)
publish.value("params_dense", dense_model.count_params())
publish.check_replay("dense_vs_time_distributed", predicted_dense, predicted)
