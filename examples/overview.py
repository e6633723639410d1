# %% [markdown]
# # The three recurrent layers side by side
#
# The code behind the landing page's comparison of SimpleRNN, LSTM and GRU. It builds each
# layer at the same sizes, without training it, and asks Keras for its weight shapes, its
# states and its parameter count. It also records where the site's numbers are computed:
# the Keras backend and the device.

# %%
import keras
import tensorflow as tf
from keras import layers

import publish

publish.setup(seed=0)

# %%
# --8<-- [start:layers]
# input features, units
m, n = 2, 3
candidates = {
    "SimpleRNN": layers.SimpleRNN(n),
    "LSTM": layers.LSTM(n),
    "GRU (default)": layers.GRU(n),
    "GRU, reset before": layers.GRU(n, reset_after=False),
}
for layer in candidates.values():
    layer.build((None, None, m))
# --8<-- [end:layers]
publish.value("m", m)
publish.value("n", n)


# %%
def states_of(layer) -> int:
    """The number of state vectors the cell carries from one time step to the next."""
    size = layer.cell.state_size
    return len(size) if isinstance(size, (list, tuple)) else 1


def blocks_of(layer) -> int:
    """How many blocks of n columns the kernel holds: one per gate or candidate."""
    return layer.cell.kernel.shape[1] // n


rows = {
    "layer": [],
    "states": [],
    "blocks": [],
    "kernel": [],
    "recurrent kernel": [],
    "bias": [],
    "params": [],
}
for name, layer in candidates.items():
    kernel, recurrent, bias = (w.shape for w in layer.weights)
    rows["layer"].append(name)
    rows["states"].append(str(states_of(layer)))
    rows["blocks"].append(str(blocks_of(layer)))
    rows["kernel"].append(f"`{tuple(kernel)}`")
    rows["recurrent kernel"].append(f"`{tuple(recurrent)}`")
    rows["bias"].append(f"`{tuple(bias)}`")
    rows["params"].append(str(layer.count_params()))
publish.text_table("side_by_side", rows)

# %% [markdown]
# ## Where the numbers come from
#
# Every example of the site runs with the same installation: this records the Keras
# backend and whether TensorFlow sees a GPU.

# %%
backend = keras.backend.backend()
gpus = tf.config.list_physical_devices("GPU")
device = f"{len(gpus)} GPU" if gpus else "the CPU"
print(f"Keras backend: {backend}; device: {device}")
publish.value("backend", {"tensorflow": "TensorFlow"}.get(backend, backend))
publish.value("device", device)
