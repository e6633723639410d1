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
import keras
import numpy as np
from keras import layers

import publish

publish.setup(seed=0)


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


vector = publish.vector  # a short vector as one table cell: (0.123, −0.456, 0.789)


def vectors(name, columns):
    """A table whose cells are vectors (or labels), left-aligned."""
    return publish.text_table(
        name,
        {
            key: [v if isinstance(v, str) else vector(v) for v in values]
            for key, values in columns.items()
        },
    )


def same(name, a, b):
    """Publish the largest difference between two results of Keras that must agree."""
    diff = float(np.max(np.abs(np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64))))
    assert diff <= publish.TOLERANCE, f"{name}: {diff}"
    return publish.value(name, "0" if diff == 0 else f"{diff:.1e}".replace("-", "\u2212"))


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
# A batch of N = 2 sequences of T = 5 dates with m = 2 features, and random weights for the
# layers: n = 3 units everywhere.

# %%
# --8<-- [start:data]
N, T, m, n = 2, 5, 2, 3  # sequences, dates, input features, units
x = np.random.uniform(-1, 1, size=(N, T, m)).astype("float32")
# --8<-- [end:data]


# --8<-- [start:weights]
def random_weights(*shapes):
    """Arrays of the given shapes, uniform in (-1, 1): weights for layer.set_weights."""
    return [np.random.uniform(-1, 1, size=shape).astype("float32") for shape in shapes]


lstm_weights = random_weights((m, 4 * n), (n, 4 * n), (4 * n,))  # kernel, recurrent kernel, bias
backward_weights = random_weights((m, 4 * n), (n, 4 * n), (4 * n,))  # another LSTM
simple_rnn_weights = random_weights((m, n), (n, n), (n,))
gru_weights = random_weights((m, 3 * n), (n, 3 * n), (2, 3 * n))  # reset_after=True: 2 bias rows
# --8<-- [end:weights]


# --8<-- [start:lstm_model]
def lstm_model(**options):
    """A model of one LSTM layer, created with these options, holding the page's LSTM weights."""
    inputs = keras.Input(shape=(None, m))  # any number of dates
    lstm = layers.LSTM(n, **options)
    model = keras.Model(inputs, lstm(inputs))
    lstm.set_weights(lstm_weights)
    return model


# --8<-- [end:lstm_model]


publish.value("N", N)
publish.value("T", T)
publish.value("m", m)
publish.value("n", n)
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
# ## The replay: one step of each layer, and the loop over the dates
#
# Rows are sequences: x_t has shape (N, m), h and c have shape (N, n).


# %%
# --8<-- [start:steps]
def lstm_step(x_t, h, c, weights=lstm_weights):
    """One LSTM step (Part D): the new states h_t, c_t."""
    W_x, W_h, b = weights
    W_xi, W_xf, W_xc, W_xo = np.split(W_x, 4, axis=1)  # Keras's column blocks: i, f, c, o
    W_hi, W_hf, W_hc, W_ho = np.split(W_h, 4, axis=1)
    b_i, b_f, b_c, b_o = np.split(b, 4)
    i_t = sigmoid(x_t @ W_xi + h @ W_hi + b_i)  # input gate
    f_t = sigmoid(x_t @ W_xf + h @ W_hf + b_f)  # forget gate
    c_tilde = np.tanh(x_t @ W_xc + h @ W_hc + b_c)  # candidate
    o_t = sigmoid(x_t @ W_xo + h @ W_ho + b_o)  # output gate
    c_t = f_t * c + i_t * c_tilde  # c_t = f_t ⊙ c_{t-1} + i_t ⊙ c~_t
    h_t = o_t * np.tanh(c_t)  # h_t = o_t ⊙ tanh(c_t)
    return h_t, c_t


def simple_rnn_step(x_t, h):
    """One SimpleRNN step (Part B): h_t = tanh(x_t W_x + h_{t-1} W_h + b_h)."""
    W_x, W_h, b_h = simple_rnn_weights
    return (np.tanh(x_t @ W_x + h @ W_h + b_h),)


def gru_step(x_t, h):
    """One GRU step (Part E, reset_after=True)."""
    W_x, W_h, (b_x, b_h) = gru_weights
    W_xz, W_xr, W_xh = np.split(W_x, 3, axis=1)  # Keras's column blocks: z, r, h
    W_hz, W_hr, W_hh = np.split(W_h, 3, axis=1)
    b_xz, b_xr, b_xh = np.split(b_x, 3)
    b_hz, b_hr, b_hh = np.split(b_h, 3)
    z_t = sigmoid(x_t @ W_xz + b_xz + h @ W_hz + b_hz)  # update gate
    r_t = sigmoid(x_t @ W_xr + b_xr + h @ W_hr + b_hr)  # reset gate
    h_tilde = np.tanh(x_t @ W_xh + b_xh + r_t * (h @ W_hh + b_hh))  # candidate
    return (z_t * h + (1 - z_t) * h_tilde,)  # h_t = z_t ⊙ h_{t-1} + (1 − z_t) ⊙ h~_t


def run(step, x, states):
    """Apply step at every date of x, shape (N, T, m), from the given states.
    Returns the outputs of all dates, shape (N, T, n), and the final states."""
    outputs = []
    for t in range(x.shape[1]):
        states = step(x[:, t], *states)  # the new states, h_t first
        outputs.append(states[0])  # the output at date t is h_t
    return np.stack(outputs, axis=1), states


zeros = np.zeros((N, n))  # h_{-1} = 0, c_{-1} = 0
# --8<-- [end:steps]

# %% [markdown]
# ## return_sequences

# %%
# --8<-- [start:return_sequences]
sequences_model = lstm_model(return_sequences=True)
last_model = lstm_model()  # return_sequences=False, the default
sequences = sequences_model.predict(x, verbose=0)  # h_t at every date, shape (N, T, n)
last = last_model.predict(x, verbose=0)  # h_t at the last date only, shape (N, n)

replay, (h_last, c_last) = run(lstm_step, x, (zeros, zeros))
# --8<-- [end:return_sequences]
sequences = publish.model("lstm_sequences", sequences_model, x)
last = publish.model("lstm_last", last_model, x)
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
        "`last[0]`": ["" for t in range(T - 1)] + [vector(last[0])],
    },
)

# %% [markdown]
# ## return_state, for the three layers

# %%
# --8<-- [start:return_state]
inputs = keras.Input(shape=(None, m))
simple_rnn = layers.SimpleRNN(n, return_sequences=True, return_state=True)
output, h = simple_rnn(inputs)  # two outputs
simple_rnn_state_model = keras.Model(inputs, [output, h])
simple_rnn.set_weights(simple_rnn_weights)

lstm_state_model = lstm_model(return_sequences=True, return_state=True)  # [output, h, c]

gru = layers.GRU(n, return_sequences=True, return_state=True)
output, h = gru(inputs)  # two outputs
gru_state_model = keras.Model(inputs, [output, h])
gru.set_weights(gru_weights)
# --8<-- [end:return_state]

state_outputs = {
    "SimpleRNN": list(publish.model("simple_rnn_state", simple_rnn_state_model, x)),
    "LSTM": list(publish.model("lstm_state", lstm_state_model, x)),
    "GRU": list(publish.model("gru_state", gru_state_model, x)),
}
state_replays = {
    "SimpleRNN": run(simple_rnn_step, x, (zeros,)),
    "LSTM": run(lstm_step, x, (zeros, zeros)),
    "GRU": run(gru_step, x, (zeros,)),
}
for name, got in state_outputs.items():
    replay_output, replay_states = state_replays[name]
    check_outputs(f"replay_state_{name.lower()}", [replay_output, *replay_states], got)
    assert np.array_equal(got[0][:, -1], got[1])  # the output at the last date is h
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
            vector(state_outputs["LSTM"][2][0]),
            "—",
        ],
    },
)

# %% [markdown]
# ## initial_state

# %%
# --8<-- [start:initial_state]
inputs = keras.Input(shape=(None, m))
h_0 = keras.Input(shape=(n,))  # the state before the first date, h_{-1}
c_0 = keras.Input(shape=(n,))  # c_{-1}
lstm = layers.LSTM(n, return_sequences=True)
initial_state_model = keras.Model([inputs, h_0, c_0], lstm(inputs, initial_state=[h_0, c_0]))
lstm.set_weights(lstm_weights)

h_start = np.random.uniform(-1, 1, size=(N, n)).astype("float32")  # one row per sequence
c_start = np.random.uniform(-1, 1, size=(N, n)).astype("float32")
from_state = initial_state_model.predict([x, h_start, c_start], verbose=0)

replay_from_state, _ = run(lstm_step, x, (h_start, c_start))  # the same loop, other start
# --8<-- [end:initial_state]
from_state = publish.model(
    "lstm_initial_state", initial_state_model, x, initial_state=[h_start, c_start]
)
publish.check_replay("replay_initial_state", replay_from_state, from_state)
state_effect = np.max(np.abs(from_state - sequences), axis=(0, 2))  # by date
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
split = 3  # cut each sequence after 3 dates
first_part, h_split, c_split = lstm_state_model.predict(x[:, :split], verbose=0)
second_part = initial_state_model.predict([x[:, split:], h_split, c_split], verbose=0)
continued = np.concatenate([first_part, second_part], axis=1)  # the same as `sequences`
# --8<-- [end:continue]
second_part = publish.model(
    "lstm_continued", initial_state_model, x[:, split:], initial_state=[h_split, c_split]
)
continued = np.concatenate([first_part, second_part], axis=1)
same("continued_vs_whole", continued, sequences)
publish.value("split", split)

# %% [markdown]
# ## stateful=True

# %%
# --8<-- [start:stateful]
inputs = keras.Input(batch_shape=(N, None, m))  # the batch size is fixed: N sequences
lstm = layers.LSTM(n, return_sequences=True, stateful=True)
stateful_model = keras.Model(inputs, lstm(inputs))
lstm.set_weights(lstm_weights)

call_1 = stateful_model.predict(x[:, :split], verbose=0)  # dates 0 to split-1; h, c are kept
call_2 = stateful_model.predict(x[:, split:], verbose=0)  # the next dates, from the kept h, c
h_kept, c_kept = (state.numpy() for state in lstm.states)  # where the layer keeps them
lstm.reset_state()  # h and c back to zero
call_3 = stateful_model.predict(x[:, split:], verbose=0)  # call 2's input, from zero states
# --8<-- [end:stateful]
stateful_lstm = lstm
lstm.reset_state()  # publish.model calls predict again: call 1, then call 2
call_1, call_2 = publish.model(
    "lstm_stateful", stateful_model, x[:, :split], next_inputs=[x[:, split:]]
)
assert np.array_equal(h_kept, lstm.states[0].numpy())
lstm.reset_state()
assert np.array_equal(call_3, stateful_model.predict(x[:, split:], verbose=0))

# --8<-- [start:stateful_replay]
replay_1, states = run(lstm_step, x[:, :split], (zeros, zeros))
replay_2, states = run(lstm_step, x[:, split:], states)  # continues from the states of call 1
replay_3, _ = run(lstm_step, x[:, split:], (zeros, zeros))  # after reset_state()
# --8<-- [end:stateful_replay]
check_outputs("replay_stateful", [replay_1, replay_2], [call_1, call_2])
assert not hasattr(stateful_model, "reset_states")  # Keras 2's model.reset_states() is gone
# One predict call of 2N rows in batches of N: the second batch continues the first.
lstm.reset_state()
two_batches = stateful_model.predict(np.concatenate([x[:, :2], x[:, 2:4]]), batch_size=N, verbose=0)
assert np.max(np.abs(two_batches[N:] - sequences[:, 2:4])) < 1e-6
lstm.reset_state()
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

replay_backwards, _ = run(lstm_step, x[:, ::-1], (zeros, zeros))  # x_{T-1} first, x_0 last
# --8<-- [end:go_backwards]
backwards = publish.model("lstm_backwards", backwards_model, x)
publish.check_replay("replay_backwards", replay_backwards, backwards)
backwards_last_model = lstm_model(go_backwards=True)
backwards_last = publish.model("lstm_backwards_last", backwards_last_model, x)
publish.check_replay("replay_backwards_last", replay_backwards[:, -1], backwards_last)
assert np.array_equal(backwards_last, backwards[:, -1])
vectors(
    "backwards_table",
    {
        "row $k$ of the output": [str(k) for k in range(T)],
        "date read, $T-1-k$": [str(T - 1 - k) for k in range(T)],
        '<span class="c-x">$x_{T-1-k}$</span>': list(x[0, ::-1]),
        "`backwards[0, k]`": list(backwards[0]),
    },
)

# %% [markdown]
# ## Masking

# %%
# --8<-- [start:masking]
length = 3  # real dates in each sequence; the other dates are padding
padded = np.zeros((N, T, m), dtype="float32")
padded[0, :length] = x[0, :length]  # sequence 0: padded at the end ("post")
padded[1, T - length :] = x[0, :length]  # sequence 1: the same dates, padded at the start ("pre")

inputs = keras.Input(shape=(None, m))
masked = layers.Masking(mask_value=0.0)(inputs)  # a date whose features are all 0 is padding
lstm = layers.LSTM(n, return_sequences=True, return_state=True)
masking_model = keras.Model(inputs, lstm(masked))
lstm.set_weights(lstm_weights)
output, h, c = masking_model.predict(padded, verbose=0)
unmasked = sequences_model.predict(padded, verbose=0)  # the same LSTM, without Masking
# --8<-- [end:masking]
output, h, c = publish.model("lstm_masking", masking_model, padded)
publish.shape("padded_shape", padded)
publish.value("length", length)
publish.value("length_last", length - 1)

# --8<-- [start:masking_replay]
mask = np.any(padded != 0.0, axis=-1)  # shape (N, T): True at real dates, as Masking computes it
h_t, c_t = zeros, zeros
previous = zeros  # Keras's output "before date 0" is zero
outputs, cells = [], []
for t in range(T):
    h_new, c_new = lstm_step(padded[:, t], h_t, c_t)
    real = mask[:, t, np.newaxis]  # shape (N, 1)
    h_t = np.where(real, h_new, h_t)  # at a padded date, the states do not change...
    c_t = np.where(real, c_new, c_t)
    output_t = np.where(real, h_new, previous)  # ...and the output repeats the previous output
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
            "real date": ["yes" if real else "no, padding" for real in mask[row]],
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

# The mask is lost when the call also passes initial_state tensors (layer.py, __call__, step 6):
inputs = keras.Input(shape=(None, m))
h_0, c_0 = keras.Input(shape=(n,)), keras.Input(shape=(n,))
lstm = layers.LSTM(n, return_sequences=True)
lost_mask_model = keras.Model(
    [inputs, h_0, c_0], lstm(layers.Masking()(inputs), initial_state=[h_0, c_0])
)
lstm.set_weights(lstm_weights)
lost = lost_mask_model.predict([padded, zeros, zeros], verbose=0)
assert np.max(np.abs(lost - unmasked)) < 1e-6 and np.max(np.abs(lost - output)) > 1e-2
# ... and kept when the mask is passed explicitly:
lstm = layers.LSTM(n, return_sequences=True)
explicit_mask = keras.ops.any(keras.ops.not_equal(inputs, 0.0), axis=-1)
explicit_model = keras.Model(
    [inputs, h_0, c_0], lstm(inputs, initial_state=[h_0, c_0], mask=explicit_mask)
)
lstm.set_weights(lstm_weights)
explicit = explicit_model.predict([padded, zeros, zeros], verbose=0)
assert np.max(np.abs(explicit - output)) < 1e-6

# %% [markdown]
# ## Bidirectional


# %%
# --8<-- [start:bidirectional]
def bidirectional_model(merge_mode="concat", return_sequences=True):
    """A Bidirectional LSTM: the forward layer gets the page's LSTM weights, the backward
    layer the second set."""
    inputs = keras.Input(shape=(None, m))
    lstm = layers.LSTM(n, return_sequences=return_sequences, name="lstm")  # a template
    bidirectional = layers.Bidirectional(lstm, merge_mode=merge_mode)
    model = keras.Model(inputs, bidirectional(inputs))
    bidirectional.set_weights(lstm_weights + backward_weights)  # forward arrays, then backward
    return model


concat_model = bidirectional_model()  # merge_mode="concat", the default
sum_model = bidirectional_model("sum")
bidirectional_last_model = bidirectional_model(return_sequences=False)
concat = concat_model.predict(x, verbose=0)  # shape (N, T, 2n)
summed = sum_model.predict(x, verbose=0)  # shape (N, T, n)
bidirectional_last = bidirectional_last_model.predict(x, verbose=0)  # shape (N, 2n)
# --8<-- [end:bidirectional]
concat = publish.model("bidirectional_concat", concat_model, x)
summed = publish.model("bidirectional_sum", sum_model, x)
bidirectional_last = publish.model("bidirectional_last", bidirectional_last_model, x)
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
# With a mask and return_sequences=True, Bidirectional outputs zeros at the masked dates.
inputs = keras.Input(shape=(None, m))
wrapper_model = keras.Model(inputs, wrapper(layers.Masking()(inputs)))
wrapper.set_weights(lstm_weights + backward_weights)
masked_bidirectional = wrapper_model.predict(padded, verbose=0)
assert np.all(masked_bidirectional[0, length:] == 0)
assert np.all(masked_bidirectional[1, : T - length] == 0)


# --8<-- [start:bidirectional_replay]
def backward_step(x_t, h, c):
    return lstm_step(x_t, h, c, weights=backward_weights)


forward, _ = run(lstm_step, x, (zeros, zeros))  # reads x_0, x_1, ..., x_{T-1}
backward_read, _ = run(backward_step, x[:, ::-1], (zeros, zeros))  # reads x_{T-1}, ..., x_0
backward = backward_read[:, ::-1]  # back in date order: row t has read x_{T-1} down to x_t
replay_concat = np.concatenate([forward, backward], axis=-1)  # shape (N, T, 2n)
replay_sum = forward + backward  # shape (N, T, n)
replay_last = np.concatenate([forward[:, -1], backward[:, 0]], axis=-1)  # each one's last step
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
    ("`LSTM(n, return_sequences=True)`", "$h_t$ at every date", sequences, "lstm_sequences"),
    ("`LSTM(n)`", "$h_t$ at the last date", last, "lstm_last"),
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
        "$h_t$ at every date, from $h_{-1}$, $c_{-1}$",
        from_state,
        "lstm_initial_state",
    ),
    (
        "`LSTM(n, return_sequences=True, stateful=True)`, two calls",
        "$h_t$ at the dates of each call",
        [call_1, call_2],
        "lstm_stateful",
    ),
    (
        "`LSTM(n, return_sequences=True, go_backwards=True)`",
        "$h_t$, last date first",
        backwards,
        "lstm_backwards",
    ),
    (
        "`Masking()`, then `LSTM(n, return_sequences=True, return_state=True)`",
        "`[output, h, c]`, padded dates skipped",
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
