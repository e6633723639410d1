"""``publish.model`` records a model for the chapter's data file and leaves the model as it
found it: a stateful layer's states are zero for the recorded calls and put back afterwards, so
that an example's own ``model.predict`` calls around it are unaffected."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from examples import publish


@pytest.fixture
def recorded(monkeypatch) -> list[dict]:
    models: list[dict] = []
    monkeypatch.setattr(publish, "_models", models)
    return models


def stateful_model():
    inputs = keras.Input(batch_shape=(1, None, 1))
    layer = keras.layers.SimpleRNN(2, stateful=True, return_sequences=True)
    model = keras.Model(inputs, layer(inputs))
    layer.set_weights([np.ones((1, 2)), np.eye(2) * 0.5, np.zeros(2)])
    return model, layer


def test_a_stateful_model_is_recorded_from_zero_states_and_left_as_it_was(recorded):
    model, layer = stateful_model()
    x1 = np.full((1, 2, 1), 0.5, dtype="float32")
    x2 = np.full((1, 3, 1), -0.25, dtype="float32")
    model.predict(x1, verbose=0)  # the example's own calls leave states behind
    held = [state.numpy().copy() for state in layer.states]
    assert np.any(held[0])

    first, second = publish.model("stateful", model, x1, next_inputs=[x2])

    # From zero states, by hand: h_t = tanh(x_t [1 1] + h_{t-1} 0.5 I)
    h, expected = np.zeros(2), []
    for x_t in [*x1[0, :, 0], *x2[0, :, 0]]:
        h = np.tanh(x_t + 0.5 * h)
        expected.append(h.copy())
    np.testing.assert_allclose(first[0], expected[:2], atol=1e-6)
    np.testing.assert_allclose(second[0], expected[2:], atol=1e-6)
    np.testing.assert_allclose(recorded[0]["next_outputs"][0][0], expected[2:], atol=1e-6)
    for state, before in zip(layer.states, held):
        np.testing.assert_array_equal(state.numpy(), before)
