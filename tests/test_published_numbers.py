"""Numbers the pages include that no chapter test checked: parameter counts, formulas, sizes
and a few values, each recomputed here from the data files (the weights Keras recorded) or from
the formula the page states, and compared with what the example published. A wrong formula
in an example (``3n(m+n+1)`` for the GRU of Keras 3) or a count of the wrong layer fails here;
a number typed into the Markdown instead of an include fails tests/test_prose_numbers.py.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from conftest import REPO, chapters_present, load_data

from sitebuild import runner


@pytest.fixture(scope="module")
def outputs(site) -> dict[str, dict[str, str]]:
    """The outputs each chapter's example published in the session's build (``site`` has
    brought the example cache up to date, so nothing runs here)."""
    scripts = [REPO / "examples" / f"{slug.replace('-', '_')}.py" for slug in chapters_present()]
    results, errors = runner.run_examples(scripts, log=lambda *a: None)
    assert not errors, errors
    return {r.slug: r.outputs for r in results.values()}


def published(outputs, slug: str, name: str) -> str:
    assert slug in outputs, f"no example outputs for {slug}"
    assert name in outputs[slug], (
        f"examples/{slug.replace('-', '_')}.py no longer publishes {name!r}"
    )
    page = (REPO / "docs" / f"{slug}.md").read_text(encoding="utf-8")
    assert f"{{{{ {name} }}}}" in page, (
        f"docs/{slug}.md no longer includes {name!r}: update this test"
    )
    return outputs[slug][name]


def model(site: Path, slug: str, name: str) -> dict:
    return next(m for m in load_data(site, slug)["models"] if m["name"] == name)


def layers(entry: dict) -> list[dict]:
    """The model's layers that hold weights (a Bidirectional layer: its two layers)."""
    found = []
    for layer in entry["layers"]:
        if layer["class_name"] == "Bidirectional":
            found += [layer["forward"], layer["backward"]]
        elif layer["weights"]:
            found.append(layer)
    return found


def count(layer_or_layers) -> int:
    items = layer_or_layers if isinstance(layer_or_layers, list) else [layer_or_layers]
    return sum(int(np.size(w)) for layer in items for w in layer["weights"].values())


def arrays(layer_or_layers) -> int:
    items = layer_or_layers if isinstance(layer_or_layers, list) else [layer_or_layers]
    return sum(len(layer["weights"]) for layer in items)


def sizes(layer: dict) -> tuple[int, int]:
    """(m, n) of a recurrent layer, from its weights."""
    m = np.shape(layer["weights"]["kernel"])[0]
    n = np.shape(layer["weights"]["recurrent_kernel"])[0]
    return m, n


def fmt(x: float) -> str:
    """As the site shows a number: four decimals, a true minus sign."""
    return f"{x:.4f}".replace("-", "\u2212")


def steps(entry: dict) -> int:
    return np.shape(entry["input"])[1]


def test_gru_parameter_counts(site, outputs):
    gru, dense = layers(model(site, "gru", "gru"))
    m, n = sizes(gru)
    assert published(outputs, "gru", "params_gru") == str(count(gru))
    assert published(outputs, "gru", "params_formula") == str(3 * n * (m + n + 2))
    assert count(gru) == 3 * n * (m + n + 2), "the page's formula 3n(m+n+2) is not Keras's count"
    assert published(outputs, "gru", "params_dense") == str(count(dense))
    assert published(outputs, "gru", "params_total") == str(count(gru) + count(dense))
    before = layers(model(site, "gru", "gru_reset_before"))[0]
    assert published(outputs, "gru", "params_before") == str(count(before))
    assert published(outputs, "gru", "params_before_formula") == str(3 * n * (m + n + 1))
    assert count(before) == 3 * n * (m + n + 1)


def test_lstm_parameter_counts_and_values(site, outputs):
    lstm, dense = layers(model(site, "lstm", "lstm"))
    m, n = sizes(lstm)
    assert published(outputs, "lstm", "params_lstm") == str(count(lstm))
    assert published(outputs, "lstm", "params_formula") == str(4 * n * (m + n + 1))
    assert count(lstm) == 4 * n * (m + n + 1)
    assert published(outputs, "lstm", "params_dense") == str(count(dense))
    assert published(outputs, "lstm", "params_total") == str(count(lstm) + count(dense))
    # a GRU of the same sizes, in its Keras 3 (two bias rows) and Keras 2 (one) forms
    assert published(outputs, "lstm", "gru_params_keras3") == str(3 * n * (m + n + 2))
    assert published(outputs, "lstm", "gru_params_keras2") == str(3 * n * (m + n + 1))
    assert published(outputs, "lstm", "sigmoid_one") == fmt(1 / (1 + math.exp(-1)))
    assert published(outputs, "lstm", "T_last") == str(
        steps(model(site, "lstm", "lstm_return_state")) - 1
    )


def test_simple_rnn_parameter_counts(site, outputs):
    sequences = layers(model(site, "simple-rnn", "simple_rnn_sequences"))
    assert published(outputs, "simple-rnn", "params_rnn") == str(count(sequences[0]))
    assert published(outputs, "simple-rnn", "params_total") == str(count(sequences))
    last = model(site, "simple-rnn", "simple_rnn_last_step")
    assert published(outputs, "simple-rnn", "last_params") == str(count(layers(last)))
    assert published(outputs, "simple-rnn", "last_t") == str(steps(last) - 1)


def test_stacked_rnn_parameter_count(site, outputs):
    stacked = layers(model(site, "stacked-rnn", "stacked_rnn"))
    assert len(stacked) == 3
    assert published(outputs, "stacked-rnn", "params_total") == str(count(stacked))


def test_time_distributed_counts_and_weights(site, outputs):
    td = layers(model(site, "time-distributed", "td_dense_2_to_3"))[0]
    m, m_out = np.shape(td["weights"]["kernel"])
    assert published(outputs, "time-distributed", "params_formula") == str(m * m_out + m_out)
    assert published(outputs, "time-distributed", "params") == str(count(td))
    dense = layers(model(site, "time-distributed", "dense_2_to_3"))[0]
    assert published(outputs, "time-distributed", "params_dense") == str(count(dense))
    one_d = model(site, "time-distributed", "td_dense_1d")
    weights = layers(one_d)[0]["weights"]
    assert published(outputs, "time-distributed", "W_1d") == fmt(weights["kernel"][0][0])
    assert published(outputs, "time-distributed", "b_1d") == fmt(weights["bias"][0])
    assert published(outputs, "time-distributed", "T_last") == str(
        steps(model(site, "time-distributed", "td_dense_2_to_3")) - 1
    )


def test_layer_options_counts(site, outputs):
    lstm = layers(model(site, "layer-options", "lstm_sequences"))[0]
    m, n = sizes(lstm)
    assert published(outputs, "layer-options", "lstm_params") == str(count(lstm))
    assert published(outputs, "layer-options", "lstm_params_formula").endswith(
        f"= {4 * n * (m + n + 1)}"
    )
    both = layers(model(site, "layer-options", "bidirectional_concat"))
    assert len(both) == 2
    assert published(outputs, "layer-options", "bidirectional_params") == str(count(both))
    assert published(outputs, "layer-options", "bidirectional_arrays") == str(arrays(both))
    stateful = layers(model(site, "layer-options", "lstm_stateful"))[0]
    assert published(outputs, "layer-options", "stateful_arrays") == str(arrays(stateful))
    assert published(outputs, "layer-options", "stateful_params") == str(count(stateful))
