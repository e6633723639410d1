# %% [markdown]
# # Part F: layer options, the example
#
# The code of the chapter "Part F: layer options". Run it as a plain script
# (`python examples/layer_options.py`) or read it here with its outputs. The site build runs it
# once and includes what it publishes into the chapter, so every number on the page comes from
# this run.
#
# No model here is trained: an option changes how a layer applies its weights, not the
# weights. Every LSTM gets the same random weights, so that the tables can be compared.

# %%
import re

import keras
import numpy as np
from keras import layers

import publish

publish.setup(seed=0)


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def vectors(name, columns):
    """A table whose cells are vectors, (0.123, −0.456, 0.789), or labels, left-aligned."""
    return publish.text_table(
        name,
        {
            key: [v if isinstance(v, str) else publish.vector(v) for v in values]
            for key, values in columns.items()
        },
    )


def same(name, a, b):
    """Publish the largest difference between two results of Keras that must agree."""
    diff = float(np.max(np.abs(np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64))))
    assert diff <= publish.TOLERANCE, f"{name}: {diff}"
    return publish.value(name, "0" if diff == 0 else f"{diff:.1e}".replace("-", "\u2212"))


def small(d):
    """A difference that should be zero, as the page writes it: 0 or 1.2e−07."""
    return "0" if d == 0 else f"{d:.1e}".replace("-", "\u2212")


def check_outputs(name, replays, outputs):
    """check_replay for all the outputs of a model at once (a list of arrays)."""
    return publish.check_replay(
        name,
        np.concatenate([np.ravel(r) for r in replays]),
        np.concatenate([np.ravel(o) for o in outputs]),
    )


# %% [markdown]
# ## Data and weights
#
# A batch of N = 2 sequences of T = 5 time steps with m = 2 features, and random weights for the
# layers: n = 3 units everywhere.

# %%
# --8<-- [start:data]
# sequences, time steps, input features, units
N, T, m, n = 2, 5, 2, 3
x = np.random.uniform(-1, 1, size=(N, T, m)).astype("float32")
# --8<-- [end:data]


# --8<-- [start:weights]
def random_weights(*shapes):
    """Arrays of these shapes, uniform in (-1, 1), for layer.set_weights."""
    arrays = []
    for shape in shapes:
        arrays.append(np.random.uniform(-1, 1, size=shape).astype("float32"))
    return arrays


# kernel, recurrent kernel, bias
lstm_weights = random_weights((m, 4 * n), (n, 4 * n), (4 * n,))
# another LSTM
backward_weights = random_weights((m, 4 * n), (n, 4 * n), (4 * n,))
simple_rnn_weights = random_weights((m, n), (n, n), (n,))
# GRU, reset_after=True: the bias has 2 rows
gru_weights = random_weights((m, 3 * n), (n, 3 * n), (2, 3 * n))
# --8<-- [end:weights]


# --8<-- [start:lstm_model]
def lstm_model(**options):
    """One LSTM layer with these options, holding the page's LSTM weights."""
    # any number of time steps
    inputs = keras.Input(shape=(None, m))
    lstm = layers.LSTM(n, **options)
    model = keras.Model(inputs, lstm(inputs))
    lstm.set_weights(lstm_weights)
    return model


# --8<-- [end:lstm_model]


publish.value("N", N)
publish.value("T", T)
publish.value("m", m)
publish.value("n", n)
for name, k, word in [
    ("noun_N", N, "sequence"),
    ("noun_T", T, "time step"),
    ("noun_m", m, "feature"),
    ("noun_n", n, "unit"),
]:
    # the plural follows the number
    publish.value(name, word if k == 1 else word + "s")
publish.shape("x_shape", x)
publish.table(
    "x_table",
    {
        "$t$": [str(t) for t in range(T)],
        **{
            f'<span class="c-x">$x_{{t,{j + 1}}}$</span> (sequence 0)': x[0, :, j] for j in range(m)
        },
        **{
            f'<span class="c-x">$x_{{t,{j + 1}}}$</span> (sequence 1)': x[1, :, j] for j in range(m)
        },
    },
    digits=3,
)

# %% [markdown]
# ## The replay: one step of each layer, and the loop over the time steps
#
# Rows are sequences: x_t has shape (N, m), h and c have shape (N, n).


# %%
# --8<-- [start:steps]
def lstm_step(x_t, h, c, weights=lstm_weights):
    """One LSTM step (Part D): the new states h_t, c_t."""
    W_x, W_h, b = weights
    # Keras's column blocks: i, f, c, o
    W_xi, W_xf, W_xc, W_xo = np.split(W_x, 4, axis=1)
    W_hi, W_hf, W_hc, W_ho = np.split(W_h, 4, axis=1)
    b_i, b_f, b_c, b_o = np.split(b, 4)
    # input gate, forget gate, candidate, output gate
    i_t = sigmoid(x_t @ W_xi + h @ W_hi + b_i)
    f_t = sigmoid(x_t @ W_xf + h @ W_hf + b_f)
    c_tilde = np.tanh(x_t @ W_xc + h @ W_hc + b_c)
    o_t = sigmoid(x_t @ W_xo + h @ W_ho + b_o)
    # c_t = f_t ⊙ c_{t-1} + i_t ⊙ c~_t, h_t = o_t ⊙ tanh(c_t)
    c_t = f_t * c + i_t * c_tilde
    h_t = o_t * np.tanh(c_t)
    return h_t, c_t


def simple_rnn_step(x_t, h):
    """One SimpleRNN step (Part B): h_t = tanh(x_t W_x + h_{t-1} W_h + b_h)."""
    W_x, W_h, b_h = simple_rnn_weights
    return (np.tanh(x_t @ W_x + h @ W_h + b_h),)


def gru_step(x_t, h):
    """One GRU step (Part E, reset_after=True)."""
    W_x, W_h, bias = gru_weights
    # Keras's column blocks: z, r, h
    W_xz, W_xr, W_xh = np.split(W_x, 3, axis=1)
    W_hz, W_hr, W_hh = np.split(W_h, 3, axis=1)
    # bias[0], the input side; bias[1], the recurrent side
    b_xz, b_xr, b_xh = np.split(bias[0], 3)
    b_hz, b_hr, b_hh = np.split(bias[1], 3)
    # update gate, reset gate, candidate
    z_t = sigmoid(x_t @ W_xz + b_xz + h @ W_hz + b_hz)
    r_t = sigmoid(x_t @ W_xr + b_xr + h @ W_hr + b_hr)
    h_tilde = np.tanh(x_t @ W_xh + b_xh + r_t * (h @ W_hh + b_hh))
    # h_t = z_t ⊙ h_{t-1} + (1 − z_t) ⊙ h~_t
    return (z_t * h + (1 - z_t) * h_tilde,)


def run(step, x, states):
    """Apply step at every time step of x, shape (N, T, m), from states.
    Returns the outputs at all time steps, (N, T, n), and the final states."""
    outputs = []
    for t in range(x.shape[1]):
        # the new states, h_t first; the output at time step t is h_t
        states = step(x[:, t], *states)
        outputs.append(states[0])
    return np.stack(outputs, axis=1), states


# h_{-1} = 0, c_{-1} = 0
zeros = np.zeros((N, n))
# --8<-- [end:steps]

# %% [markdown]
# ## return_sequences

# %%
# --8<-- [start:return_sequences]
sequences_model = lstm_model(return_sequences=True)
# return_sequences=False, the default
last_model = lstm_model()
# h_t at every time step, shape (N, T, n)
sequences = sequences_model.predict(x, verbose=0)
# h_t at the last time step only, shape (N, n)
last = last_model.predict(x, verbose=0)

replay, (h_last, c_last) = run(lstm_step, x, (zeros, zeros))
# --8<-- [end:return_sequences]
publish.model("lstm_sequences", sequences_model, x)
publish.model("lstm_last", last_model, x)
publish.check_replay("replay_sequences", replay, sequences)
publish.check_replay("replay_last", replay[:, -1], last)
publish.shape("sequences_shape", sequences)
publish.shape("last_shape", last)
assert np.array_equal(last, sequences[:, -1])
vectors(
    "sequences_table",
    {
        "$t$": [str(t) for t in range(T)],
        '<span class="c-x">$x_t$</span>': x[0],
        '`sequences[0, t]`, <span class="c-h">$h_t$</span>': sequences[0],
        "`last[0]`": ["" for t in range(T - 1)] + [publish.vector(last[0])],
    },
)

# %% [markdown]
# ## return_state, for the three layers

# %%
# --8<-- [start:return_state]
inputs = keras.Input(shape=(None, m))
simple_rnn = layers.SimpleRNN(n, return_sequences=True, return_state=True)
# two outputs
output, h = simple_rnn(inputs)
simple_rnn_state_model = keras.Model(inputs, [output, h])
simple_rnn.set_weights(simple_rnn_weights)

# three outputs: [output, h, c]
lstm_state_model = lstm_model(return_sequences=True, return_state=True)

gru = layers.GRU(n, return_sequences=True, return_state=True)
# two outputs
output, h = gru(inputs)
gru_state_model = keras.Model(inputs, [output, h])
gru.set_weights(gru_weights)
# --8<-- [end:return_state]

state_models = {
    "SimpleRNN": simple_rnn_state_model,
    "LSTM": lstm_state_model,
    "GRU": gru_state_model,
}
state_outputs = {name: list(model.predict(x, verbose=0)) for name, model in state_models.items()}
publish.model("simple_rnn_state", simple_rnn_state_model, x)
publish.model("lstm_state", lstm_state_model, x)
publish.model("gru_state", gru_state_model, x)
state_replays = {
    "SimpleRNN": run(simple_rnn_step, x, (zeros,)),
    "LSTM": run(lstm_step, x, (zeros, zeros)),
    "GRU": run(gru_step, x, (zeros,)),
}
for name, got in state_outputs.items():
    replay_output, replay_states = state_replays[name]
    check_outputs(f"replay_state_{name.lower()}", [replay_output, *replay_states], got)
    assert np.array_equal(got[0][:, -1], got[1])  # the output at the last time step is h
c_vs_h = float(np.max(np.abs(state_outputs["LSTM"][2] - state_outputs["LSTM"][1])))
assert c_vs_h > 1e-2
publish.value("c_vs_h", c_vs_h)

# With return_sequences=False, the first output is h itself.
_output, _h, _c = lstm_model(return_state=True).predict(x, verbose=0)
assert np.array_equal(_output, _h)

vectors(
    "state_table",
    {
        "layer": ["`SimpleRNN`", "`LSTM`", "`GRU`"],
        "returns": ["`[output, h]`", "`[output, h, c]`", "`[output, h]`"],
        "shapes": [", ".join(f"`{o.shape}`" for o in got) for got in state_outputs.values()],
        "`output[0, -1]`": [got[0][0, -1] for got in state_outputs.values()],
        '`h[0]`, <span class="c-h">$h_{T-1}$</span>': [got[1][0] for got in state_outputs.values()],
        '`c[0]`, <span class="c-cell">$c_{T-1}$</span>': [
            "—",
            publish.vector(state_outputs["LSTM"][2][0]),
            "—",
        ],
    },
)

# %% [markdown]
# ## initial_state

# %%
# --8<-- [start:initial_state]
inputs = keras.Input(shape=(None, m))
# the states before the first time step, h_{-1} and c_{-1}
h_0 = keras.Input(shape=(n,))
c_0 = keras.Input(shape=(n,))
lstm = layers.LSTM(n, return_sequences=True)
outputs = lstm(inputs, initial_state=[h_0, c_0])
initial_state_model = keras.Model([inputs, h_0, c_0], outputs)
lstm.set_weights(lstm_weights)

# one row per sequence
h_start = np.random.uniform(-1, 1, size=(N, n)).astype("float32")
c_start = np.random.uniform(-1, 1, size=(N, n)).astype("float32")
from_state = initial_state_model.predict([x, h_start, c_start], verbose=0)

# the same loop, from another start
replay_from_state, _ = run(lstm_step, x, (h_start, c_start))
# --8<-- [end:initial_state]
publish.model("lstm_initial_state", initial_state_model, x, initial_state=[h_start, c_start])
publish.check_replay("replay_initial_state", replay_from_state, from_state)
state_effect = np.max(np.abs(from_state - sequences), axis=(0, 2))  # by time step
assert state_effect[0] > 1e-2 and state_effect[-1] < state_effect[0] / 2  # the effect fades
publish.value("state_effect_first", state_effect[0])
publish.value("state_effect_last", state_effect[-1])
vectors(
    "initial_state_table",
    {
        "$t$": ["−1"] + [str(t) for t in range(T)],
        '<span class="c-h">$h_t$</span> from zero states': [zeros[0]] + list(sequences[0]),
        '<span class="c-h">$h_t$</span> from <code>h_start</code>, <code>c_start</code>': [
            h_start[0]
        ]
        + list(from_state[0]),
        "largest difference (both sequences)": ["—"] + [publish.fmt(d) for d in state_effect],
    },
)

# %%
# --8<-- [start:continue]
# cut each sequence after 3 time steps
split = 3
first_part, h_split, c_split = lstm_state_model.predict(x[:, :split], verbose=0)
second_inputs = [x[:, split:], h_split, c_split]
second_part = initial_state_model.predict(second_inputs, verbose=0)
# the same as `sequences`
continued = np.concatenate([first_part, second_part], axis=1)
# --8<-- [end:continue]
publish.model("lstm_continued", initial_state_model, x[:, split:], initial_state=[h_split, c_split])
same("continued_vs_whole", continued, sequences)
publish.value("split", split)

# %% [markdown]
# ## stateful=True

# %%
# --8<-- [start:stateful]
# the batch size is fixed: N sequences
inputs = keras.Input(batch_shape=(N, None, m))
lstm = layers.LSTM(n, return_sequences=True, stateful=True)
stateful_model = keras.Model(inputs, lstm(inputs))
lstm.set_weights(lstm_weights)

# time steps 0 to split-1; the layer keeps h and c
call_1 = stateful_model.predict(x[:, :split], verbose=0)
# the next time steps, from the kept h and c
call_2 = stateful_model.predict(x[:, split:], verbose=0)
# where the layer keeps them
h_kept, c_kept = (state.numpy() for state in lstm.states)
# h and c back to zero
lstm.reset_state()
# call 2's input, from zero states
call_3 = stateful_model.predict(x[:, split:], verbose=0)
# --8<-- [end:stateful]
stateful_lstm = lstm
publish.model("lstm_stateful", stateful_model, x[:, :split], next_inputs=[x[:, split:]])

# --8<-- [start:stateful_replay]
replay_1, states = run(lstm_step, x[:, :split], (zeros, zeros))
# continues from the states of call 1
replay_2, states = run(lstm_step, x[:, split:], states)
# after reset_state()
replay_3, _ = run(lstm_step, x[:, split:], (zeros, zeros))
# --8<-- [end:stateful_replay]
check_outputs("replay_stateful", [replay_1, replay_2], [call_1, call_2])
# Keras 2's model.reset_states() is gone
assert not hasattr(stateful_model, "reset_states")
# %% [markdown]
# ### predict on a stateful model: its batches continue each other
#
# `predict` cuts its input into batches of `batch_size` rows and calls the
# layer on each in turn, so the states carry over from one batch to the next.

# %%
# --8<-- [start:stateful_batches]
# rows 0..N-1: time steps 0, 1 of each sequence;
# rows N..2N-1: time steps 2, 3 of the same sequences
stacked = np.concatenate([x[:, 0:2], x[:, 2:4]])
lstm.reset_state()
in_batches = stateful_model.predict(stacked, batch_size=N, verbose=0)
lstm.reset_state()
try:
    # the default batch size, 32: all 2N rows in one batch
    default_batches = stateful_model.predict(stacked, verbose=0)
except Exception as error:
    default_batches = error
lstm.reset_state()
# --8<-- [end:stateful_batches]
continuation = float(np.max(np.abs(in_batches[N:] - sequences[:, 2:4])))
from_zero_rows = stateful_model.predict(x[:, 2:4], verbose=0)
lstm.reset_state()
not_from_zero = float(np.max(np.abs(in_batches[N:] - from_zero_rows)))


def publish_batches_note(continuation, not_from_zero):
    """The page's sentence on predict's batches of a stateful model, as this Keras does it."""
    continues = continuation <= publish.TOLERANCE and not_from_zero > 1e-3
    publish.probe("probe_stateful_batches", "continue" if continues else "independent")
    if continues:
        note = (
            f"Rows {N} to {2 * N - 1} of `in_batches` are the outputs of time steps 2 and 3 "
            f"of the whole sequences, `sequences[:, 2:4]` (largest difference "
            f"{small(continuation)}), not those of a fresh start (they differ from "
            f"them by up to {publish.fmt(not_from_zero)}): `predict(X, batch_size=N)` treats "
            f"rows $N$ to $2N-1$ of `X` as the continuation of rows 0 to $N-1$, rows $2N$ to "
            f"$3N-1$ as the continuation of those, and so on."
        )
    else:
        note = (
            f"With Keras {keras.__version__}, rows {N} to {2 * N - 1} of `in_batches` do not "
            f"continue rows 0 to {N - 1}: they differ from `sequences[:, 2:4]` by "
            f"{publish.fmt(continuation)}."
        )
    publish.text("stateful_batches_note", note)


def publish_default_batch_note(default_batches, rows):
    """The page's sentence on predict's default batch size with a stateful model."""
    # predict uses batches of 32 rows when batch_size is not given
    default_batch = 32
    assert rows < default_batch
    if isinstance(default_batches, Exception):
        # the line of the message that names the cause, without colour codes
        message = re.sub(r"\x1b\[[0-9;]*m", "", str(default_batches))
        lines = [line.strip() for line in message.splitlines() if line.strip()]
        keys = ("batch size", "Incompatible shapes", "stateful")
        cause = next((line for line in lines if any(k in line for k in keys)), None)
        publish.probe("probe_stateful_default_batch", type(default_batches).__name__)
        note = (
            f"With the default `batch_size` ({default_batch}), the {rows} rows "
            f"make one batch of {rows}, not the {N} the layer was built for, and "
            f"`predict` raises `{type(default_batches).__name__}`"
            + (f': "{cause}"' if cause else ".")
        )
    else:
        publish.probe("probe_stateful_default_batch", "runs")
        note = (
            f"With the default `batch_size` ({default_batch}), `predict` ran on the "
            f"{rows} rows and returned shape `{default_batches.shape}`."
        )
    publish.text("stateful_default_note", note)


publish_batches_note(continuation, not_from_zero)
publish.value("stacked_rows", stacked.shape[0])
publish.shape("stacked_shape", stacked)
publish.value("stateful_continuation", continuation)
publish.value("stateful_not_from_zero", not_from_zero)
publish_default_batch_note(default_batches, stacked.shape[0])
try:  # without a fixed batch size
    layers.LSTM(n, stateful=True)(keras.Input(shape=(None, m)))
    raise AssertionError("a stateful layer without a fixed batch size")
except ValueError as error:
    publish.value("stateful_error", str(error).split(". ")[0].strip())
publish.check_replay("replay_stateful_reset", replay_3, call_3)
same("stateful_vs_whole", np.concatenate([call_1, call_2], axis=1), sequences)
check_outputs("stateful_kept", [h_last, c_last], [h_kept, c_kept])
reset_effect = float(np.max(np.abs(call_3 - call_2)))
assert reset_effect > 1e-2
publish.value("reset_effect", reset_effect)
vectors(
    "stateful_table",
    {
        "$t$": [str(t) for t in range(T)],
        "call": ["`call_1`"] * split + ["`call_2`"] * (T - split),
        "index in the call's output": (
            [f"`[0, {t}]`" for t in range(split)] + [f"`[0, {t - split}]`" for t in range(split, T)]
        ),
        '<span class="c-h">$h_t$</span>, stateful': list(call_1[0]) + list(call_2[0]),
        "`sequences[0, t]`, one call": list(sequences[0]),
        "`call_3`, after `reset_state()`": ["—"] * split + list(call_3[0]),
    },
)

# %% [markdown]
# ## go_backwards=True

# %%
# --8<-- [start:go_backwards]
backwards_model = lstm_model(return_sequences=True, go_backwards=True)
backwards = backwards_model.predict(x, verbose=0)

# x_{T-1} first, x_0 last
replay_backwards, _ = run(lstm_step, x[:, ::-1], (zeros, zeros))
# --8<-- [end:go_backwards]
publish.model("lstm_backwards", backwards_model, x)
publish.check_replay("replay_backwards", replay_backwards, backwards)
backwards_last_model = lstm_model(go_backwards=True)
backwards_last = backwards_last_model.predict(x, verbose=0)
publish.model("lstm_backwards_last", backwards_last_model, x)
publish.check_replay("replay_backwards_last", replay_backwards[:, -1], backwards_last)
assert np.array_equal(backwards_last, backwards[:, -1])
vectors(
    "backwards_table",
    {
        "row $k$ of the output": [str(k) for k in range(T)],
        "time step read, $T-1-k$": [str(T - 1 - k) for k in range(T)],
        '<span class="c-x">$x_{T-1-k}$</span>': list(x[0, ::-1]),
        "`backwards[0, k]`": list(backwards[0]),
    },
)

# %% [markdown]
# ## Masking

# %%
# --8<-- [start:masking]
# real time steps in each sequence; the other time steps are padding
length = 3
padded = np.zeros((N, T, m), dtype="float32")
# sequence 0: padded at the end ("post")
padded[0, :length] = x[0, :length]
# sequence 1: the same time steps, padded at the start ("pre")
padded[1, T - length :] = x[0, :length]

inputs = keras.Input(shape=(None, m))
# a time step whose features are all 0 is padding
masked = layers.Masking(mask_value=0.0)(inputs)
lstm = layers.LSTM(n, return_sequences=True, return_state=True)
masking_model = keras.Model(inputs, lstm(masked))
lstm.set_weights(lstm_weights)
output, h, c = masking_model.predict(padded, verbose=0)
# the same LSTM, without Masking
unmasked = sequences_model.predict(padded, verbose=0)
# --8<-- [end:masking]
publish.model("lstm_masking", masking_model, padded)
publish.shape("padded_shape", padded)
# Where the numbers come from: the backend and the device this build ran on.
# On a GPU, TensorFlow's LSTM and GRU use cuDNN, which masks differently.
backend = keras.backend.backend()
publish.value("backend", {"tensorflow": "TensorFlow"}.get(backend, backend))
if backend == "tensorflow":
    import importlib
    import inspect

    import tensorflow as tf

    tensorflow_rnn = importlib.import_module("keras.src.backend.tensorflow.rnn")

    gpus = tf.config.list_physical_devices("GPU")
    rnn_source = inspect.getsource(tensorflow_rnn).splitlines()
    for name, text in [
        ("cudnn_mask_line", "def _assert_valid_mask"),
        ("cudnn_zeros_line", "the cudnn kernel will fill zeros"),
    ]:
        publish.value(name, next(i for i, line in enumerate(rnn_source, 1) if text in line))
else:
    gpus = []
publish.value("device", "a GPU" if gpus else "the CPU")
repeats = np.array_equal(
    output[0, length:], np.repeat(output[0, length - 1 : length], T - length, 0)
)
publish.probe("probe_masked_output", "repeats" if repeats else "other")
publish.value("length", length)
publish.value("length_last", length - 1)

# --8<-- [start:masking_replay]
# shape (N, T): True at real time steps, as Masking computes it
mask = np.any(padded != 0.0, axis=-1)
h_t, c_t = zeros, zeros
# Keras's output "before time step 0" is zero
previous = zeros
outputs, cells = [], []
for t in range(T):
    h_new, c_new = lstm_step(padded[:, t], h_t, c_t)
    # shape (N, 1)
    real = mask[:, t, np.newaxis]
    # at a padded time step, the states do not change...
    h_t = np.where(real, h_new, h_t)
    c_t = np.where(real, c_new, c_t)
    # ...and the output repeats the previous output
    output_t = np.where(real, h_new, previous)
    outputs.append(output_t)
    cells.append(c_t)
    previous = output_t
replay_masked = np.stack(outputs, axis=1)
# --8<-- [end:masking_replay]
check_outputs("replay_masking", [replay_masked, h_t, c_t], [output, h, c])
assert np.array_equal(
    output[0, length:], np.repeat(output[0, length - 1 : length], T - length, axis=0)
)
assert np.all(output[1, : T - length] == 0)
same("post_vs_pre", output[0, :length], output[1, T - length :])
same("masked_vs_unpadded", output[0, :length], sequences[0, :length])
unmasked_pre = float(np.max(np.abs(unmasked[1, T - length :] - output[1, T - length :])))
unmasked_post = float(np.max(np.abs(unmasked[0, -1] - output[0, -1])))
assert unmasked_pre > 1e-2 and unmasked_post > 1e-2
publish.value("unmasked_pre", unmasked_pre)
publish.value("unmasked_post", unmasked_post)
for row, name in [(0, "masking_post_table"), (1, "masking_pre_table")]:
    vectors(
        name,
        {
            "$t$": [str(t) for t in range(T)],
            '<span class="c-x">$x_t$</span> (padded)': list(padded[row]),
            "real time step": ["yes" if real else "no, padding" for real in mask[row]],
            "`output`, with `Masking`": list(output[row]),
            '<span class="c-cell">$c_t$</span> (replay)': [cell[row] for cell in cells],
            "without `Masking`": list(unmasked[row]),
        },
    )
publish.matrix(
    "masking_states",
    np.vstack([h[0], c[0]]),
    row_labels=[
        f'`h[0]`, <span class="c-h">$h_{length - 1}$</span>',
        f'`c[0]`, <span class="c-cell">$c_{length - 1}$</span>',
    ],
    col_labels=[f"unit {j + 1}" for j in range(n)],
)

# %% [markdown]
# ### A mask and initial_state
#
# Keras hands the mask of a Masking layer on to the next layer only when the
# sequence is the only tensor of the call (keras/src/layers/layer.py,
# `Layer.__call__`). With `initial_state=` the layer may get no mask. The
# cells below check it, with symbolic states (keras.Input) and with arrays in
# an eager call, and check that passing `mask=` yourself works.

# %%
# --8<-- [start:mask_and_initial_state]
lstm = layers.LSTM(n, return_sequences=True)
lstm.build((N, T, m))
lstm.set_weights(lstm_weights)
start = [np.zeros((N, n), dtype="float32")] * 2
# an eager call: Masking attaches its mask to its output
masked_padded = layers.Masking()(padded)
# the sequence alone: the mask reaches the layer
alone = lstm(masked_padded)
# the sequence and initial_state
with_state = lstm(masked_padded, initial_state=start)
# the fix: pass the mask yourself
real_steps = np.any(padded != 0.0, axis=-1)
fixed = lstm(padded, initial_state=start, mask=real_steps)
# --8<-- [end:mask_and_initial_state]
alone, with_state, fixed = (keras.ops.convert_to_numpy(a) for a in (alone, with_state, fixed))

# The same with symbolic states, keras.Input, in a functional model.
inputs = keras.Input(shape=(None, m))
h_0, c_0 = keras.Input(shape=(n,)), keras.Input(shape=(n,))
lstm = layers.LSTM(n, return_sequences=True)
lost_mask_model = keras.Model(
    [inputs, h_0, c_0], lstm(layers.Masking()(inputs), initial_state=[h_0, c_0])
)
lstm.set_weights(lstm_weights)
symbolic = lost_mask_model.predict([padded, zeros, zeros], verbose=0)
lstm = layers.LSTM(n, return_sequences=True)
explicit_mask = keras.ops.any(keras.ops.not_equal(inputs, 0.0), axis=-1)
explicit_model = keras.Model(
    [inputs, h_0, c_0], lstm(inputs, initial_state=[h_0, c_0], mask=explicit_mask)
)
lstm.set_weights(lstm_weights)
symbolic_fixed = explicit_model.predict([padded, zeros, zeros], verbose=0)


def mask_verdict(result):
    """'mask used' when the result is the masked output, 'mask dropped' when it is
    the output without a mask, anything else 'other'."""
    if np.max(np.abs(result - output)) <= publish.TOLERANCE:
        return "mask used"
    if np.max(np.abs(result - unmasked)) <= publish.TOLERANCE:
        return "mask dropped"
    return "other"


same("mask_alone_eager", alone, output)
mask_rows = [
    ("symbolic", "`Masking`, then `lstm(masked, initial_state=[h_0, c_0])`", symbolic),
    ("eager", "`lstm(masked_padded, initial_state=start)`", with_state),
    ("symbolic_fixed", "the same with `mask=` (symbolic)", symbolic_fixed),
    ("eager_fixed", "`lstm(padded, initial_state=start, mask=real_steps)`", fixed),
]
for key, _, result in mask_rows:
    publish.probe(f"probe_mask_initial_state_{key}", mask_verdict(result))
    publish.value(f"mask_difference_{key}", float(np.max(np.abs(result - output))))
publish.text_table(
    "mask_initial_state_table",
    {
        "call": [label for _, label, _ in mask_rows],
        "states": ["`keras.Input`", "arrays", "`keras.Input`", "arrays"],
        "what the output shows": [mask_verdict(r) for _, _, r in mask_rows],
        "largest difference from the masked output": [
            publish.fmt(np.max(np.abs(r - output))) for _, _, r in mask_rows
        ],
    },
)


def publish_mask_note(mask_rows, output):
    """The page's box on a mask and initial_state, as this Keras does it."""
    dropped = [key for key, _, r in mask_rows[:2] if mask_verdict(r) == "mask dropped"]
    fix_works = all(mask_verdict(r) == "mask used" for _, _, r in mask_rows[2:])
    publish.probe("probe_mask_fix", "works" if fix_works else "fails")
    state_kind = {"symbolic": "`keras.Input` states", "eager": "arrays"}
    where = {"symbolic": "with `keras.Input` states", "eager": "with arrays, in an eager call"}
    if dropped:
        note = (
            '!!! warning "A mask and `initial_state`"\n'
            "    A layer called with `initial_state=` got **no mask** "
            + " and ".join(where[k] for k in dropped)
            + ": it read the padding as data, and its outputs differ from the masked outputs by up to "
            + " and ".join(
                f"{publish.fmt(np.max(np.abs(r - output)))} ({state_kind[k]})"
                for k, _, r in mask_rows
                if k in dropped
            )
            + "."
        )
    else:
        note = (
            '!!! note "A mask and `initial_state`"\n'
            f"    With Keras {keras.__version__}, a layer called with `initial_state=` got the mask "
            "of the `Masking` layer, with `keras.Input` states and with arrays alike. (Keras 3.15.1 "
            "dropped it.)"
        )
    if fix_works:
        note += (
            "\n\n    **Pass the mask yourself** whenever you pass `initial_state`: "
            "`mask=keras.ops.any(keras.ops.not_equal(x, 0.0), axis=-1)` (or, for arrays, "
            "`np.any(x != 0.0, axis=-1)`) gives the masked outputs again, within "
            + small(max(np.max(np.abs(r - output)) for _, _, r in mask_rows[2:]))
            + "."
        )
    else:
        note += "\n\n    Passing `mask=` did not give the masked outputs with this Keras."
    publish.text("mask_initial_state_note", note)


publish_mask_note(mask_rows, output)

# %% [markdown]
# ## Bidirectional


# %%
# --8<-- [start:bidirectional]
def bidirectional_model(merge_mode="concat", return_sequences=True):
    """A Bidirectional LSTM: the forward layer gets the page's LSTM
    weights, the backward layer the second set."""
    inputs = keras.Input(shape=(None, m))
    # a template
    lstm = layers.LSTM(n, return_sequences=return_sequences, name="lstm")
    bidirectional = layers.Bidirectional(lstm, merge_mode=merge_mode)
    model = keras.Model(inputs, bidirectional(inputs))
    # the forward layer's arrays, then the backward layer's
    bidirectional.set_weights(lstm_weights + backward_weights)
    return model


# merge_mode="concat", the default
concat_model = bidirectional_model()
sum_model = bidirectional_model("sum")
bidirectional_last_model = bidirectional_model(return_sequences=False)
# shapes (N, T, 2n), (N, T, n) and (N, 2n)
concat = concat_model.predict(x, verbose=0)
summed = sum_model.predict(x, verbose=0)
bidirectional_last = bidirectional_last_model.predict(x, verbose=0)
# --8<-- [end:bidirectional]
publish.model("bidirectional_concat", concat_model, x)
publish.model("bidirectional_sum", sum_model, x)
publish.model("bidirectional_last", bidirectional_last_model, x)
bidirectional_layer = concat_model.layers[-1]
for got, expected in zip(
    bidirectional_layer.forward_layer.get_weights()
    + bidirectional_layer.backward_layer.get_weights(),
    lstm_weights + backward_weights,
):
    assert np.array_equal(got, expected)
assert (
    bidirectional_layer.backward_layer.go_backwards
    and not bidirectional_layer.forward_layer.go_backwards
)

# The LSTM given to Bidirectional is a template: the wrapper builds two new layers from it.
template = layers.LSTM(n, return_sequences=True)
wrapper = layers.Bidirectional(template)
assert wrapper.forward_layer is not template and wrapper.backward_layer.go_backwards
# With a mask and return_sequences=True, Bidirectional outputs zeros at the masked time steps.
inputs = keras.Input(shape=(None, m))
wrapper_model = keras.Model(inputs, wrapper(layers.Masking()(inputs)))
wrapper.set_weights(lstm_weights + backward_weights)
masked_bidirectional = wrapper_model.predict(padded, verbose=0)
assert np.all(masked_bidirectional[0, length:] == 0)
assert np.all(masked_bidirectional[1, : T - length] == 0)


# --8<-- [start:bidirectional_replay]
def backward_step(x_t, h, c):
    return lstm_step(x_t, h, c, weights=backward_weights)


# reads x_0, x_1, ..., x_{T-1}
forward, _ = run(lstm_step, x, (zeros, zeros))
# reads x_{T-1}, ..., x_0
backward_read, _ = run(backward_step, x[:, ::-1], (zeros, zeros))
# back in time order: row t has read x_{T-1} down to x_t
backward = backward_read[:, ::-1]
# shapes (N, T, 2n) and (N, T, n)
replay_concat = np.concatenate([forward, backward], axis=-1)
replay_sum = forward + backward
# each layer's last step
last_pair = [forward[:, -1], backward[:, 0]]
replay_last = np.concatenate(last_pair, axis=-1)
# --8<-- [end:bidirectional_replay]
publish.check_replay("replay_concat", replay_concat, concat)
publish.check_replay("replay_sum", replay_sum, summed)
publish.check_replay("replay_bidirectional_last", replay_last, bidirectional_last)
publish.shape("concat_shape", concat)
publish.shape("summed_shape", summed)
publish.shape("bidirectional_last_shape", bidirectional_last)
last_vs_sequence = float(np.max(np.abs(bidirectional_last[:, n:] - concat[:, -1, n:])))
assert last_vs_sequence > 1e-2 and np.array_equal(bidirectional_last[:, :n], concat[:, -1, :n])
publish.value("last_vs_sequence", last_vs_sequence)
vectors(
    "bidirectional_table",
    {
        "$t$": [str(t) for t in range(T)],
        '<span class="c-x">$x_t$</span>': list(x[0]),
        "forward, `concat[0, t, :n]`": list(concat[0, :, :n]),
        "backward, `concat[0, t, n:]`": list(concat[0, :, n:]),
        "`summed[0, t]`": list(summed[0]),
    },
)
publish.matrix(
    "bidirectional_last_table",
    np.vstack([bidirectional_last[0], concat[0, -1], concat[0, 0]]),
    row_labels=["`bidirectional_last[0]`", "`concat[0, -1]`", "`concat[0, 0]`"],
    col_labels=(
        [f'<span class="c-h">$h^{{\\rightarrow}}$</span> unit {j + 1}' for j in range(n)]
        + [f'<span class="c-h">$h^{{\\leftarrow}}$</span> unit {j + 1}' for j in range(n)]
    ),
)
publish.text(
    "bidirectional_paths",
    "\n".join(f"{v.path:<56} {str(tuple(v.shape)):>8}" for v in bidirectional_layer.weights),
    code="text",
)

# %% [markdown]
# ## The weights of every model, and an overview of the outputs


# %%
def shapes(layer):
    """The shapes of a layer's weights, by name, as the tables show them."""
    return {v.name: f"`{tuple(v.shape)}`" for v in layer.weights}


weight_rows = [
    ("`LSTM`: every LSTM above, the forward layer of `Bidirectional`", lstm_model().layers[-1]),
    ("`LSTM`: the backward layer of `Bidirectional`", bidirectional_layer.backward_layer),
    ("`SimpleRNN`", simple_rnn_state_model.layers[-1]),
    ("`GRU`", gru_state_model.layers[-1]),
]
publish.text_table(
    "weights_table",
    {
        "layer": [label for label, _ in weight_rows],
        **{
            f"`{name}`, ${symbol}$": [shapes(layer)[name] for _, layer in weight_rows]
            for name, symbol in [("kernel", "W_x"), ("recurrent_kernel", "W_h"), ("bias", "b")]
        },
        "parameters": [str(layer.count_params()) for _, layer in weight_rows],
    },
)
lstm_params = weight_rows[0][1].count_params()
assert lstm_params == 4 * n * (m + n + 1)
publish.value("lstm_params", lstm_params)
publish.value("lstm_params_formula", f"4 \\cdot {n} \\cdot ({m} + {n} + 1) = {4 * n * (m + n + 1)}")
publish.value("bidirectional_params", bidirectional_layer.count_params())
assert bidirectional_layer.count_params() == 2 * lstm_params
publish.value("bidirectional_arrays", len(bidirectional_layer.get_weights()))
publish.value("stateful_arrays", len(stateful_lstm.get_weights()))
publish.value("stateful_params", stateful_lstm.count_params())
publish.value(
    "stateful_state_shapes", " and ".join(f"`{tuple(s.shape)}`" for s in stateful_lstm.states)
)
assert stateful_lstm.count_params() == lstm_params and len(stateful_lstm.get_weights()) == 3

overview = [  # (the layer and its options, what it returns, the model's outputs, data file entry)
    ("`LSTM(n, return_sequences=True)`", "$h_t$ at every time step", sequences, "lstm_sequences"),
    ("`LSTM(n)`", "$h_t$ at the last time step", last, "lstm_last"),
    (
        "`LSTM(n, return_sequences=True, return_state=True)`",
        "`[output, h, c]`",
        state_outputs["LSTM"],
        "lstm_state",
    ),
    (
        "`SimpleRNN` or `GRU`, same options",
        "`[output, h]`",
        state_outputs["GRU"],
        "simple_rnn_state, gru_state",
    ),
    (
        "`LSTM(n, return_sequences=True)`, called with `initial_state=[h_0, c_0]`",
        "$h_t$ at every time step, from $h_{-1}$, $c_{-1}$",
        from_state,
        "lstm_initial_state",
    ),
    (
        "`LSTM(n, return_sequences=True, stateful=True)`, two calls",
        "$h_t$ at the time steps of each call",
        [call_1, call_2],
        "lstm_stateful",
    ),
    (
        "`LSTM(n, return_sequences=True, go_backwards=True)`",
        "$h_t$, last time step first",
        backwards,
        "lstm_backwards",
    ),
    (
        "`Masking()`, then `LSTM(n, return_sequences=True, return_state=True)`",
        "`[output, h, c]`, padded time steps skipped",
        [output, h, c],
        "lstm_masking",
    ),
    (
        "`Bidirectional(LSTM(n, return_sequences=True))`",
        "forward and backward $h_t$, side by side",
        concat,
        "bidirectional_concat",
    ),
    (
        '`Bidirectional(LSTM(n, return_sequences=True), merge_mode="sum")`',
        "forward + backward $h_t$",
        summed,
        "bidirectional_sum",
    ),
    (
        "`Bidirectional(LSTM(n))`",
        "forward $h_{T-1}$ and backward $h_0$",
        bidirectional_last,
        "bidirectional_last",
    ),
]
publish.text_table(
    "overview_table",
    {
        "layer": [row[0] for row in overview],
        "returns": [row[1] for row in overview],
        "shapes": [
            ", ".join(
                f"`{np.shape(o)}`" for o in (row[2] if isinstance(row[2], list) else [row[2]])
            )
            for row in overview
        ],
        "data file": [", ".join(f"`{name}`" for name in row[3].split(", ")) for row in overview],
    },
)
