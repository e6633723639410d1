"""Part A: the page shows the weights Keras trained, and TimeDistributed(Dense) is Dense."""

from __future__ import annotations

import re

import numpy as np
from conftest import load_data, page_html
from test_chapters import visible_text


def number(x: float) -> str:
    s = f"{x:.4f}"
    return (s.lstrip("-") if float(s) == 0 else s).replace("-", "\u2212")


def model(site, name):
    return next(m for m in load_data(site, "time-distributed")["models"] if m["name"] == name)


def test_kernel_and_bias_tables_show_the_trained_weights(site):
    weights = model(site, "td_dense_2_to_3")["layers"][0]["weights"]
    text = visible_text(page_html(site, "time-distributed"))
    for value in np.ravel(weights["kernel"]).tolist() + np.ravel(weights["bias"]).tolist():
        assert number(value) in text, f"weight {value} is not on the page"


def test_parameter_count_is_nine_and_matches_the_weights(site):
    weights = model(site, "td_dense_2_to_3")["layers"][0]["weights"]
    count = sum(np.size(w) for w in weights.values())
    assert count == 2 * 3 + 3
    text = visible_text(page_html(site, "time-distributed"))
    assert re.search(rf"reports:\s*{count}\b", text)


def test_dense_without_wrapper_predicts_the_same(site):
    td, dense = model(site, "td_dense_2_to_3"), model(site, "dense_2_to_3")
    assert td["layers"][0]["class_name"] == "TimeDistributed"
    assert dense["layers"][0]["class_name"] == "Dense"
    assert td["input"] == dense["input"]
    assert np.max(np.abs(np.asarray(td["output"]) - np.asarray(dense["output"]))) < 1e-6


def test_new_input_shapes(site):
    one_d = model(site, "td_dense_1d")
    assert np.shape(one_d["input"]) == (1, 8, 1) and np.shape(one_d["output"]) == (1, 8, 1)
    assert np.shape(model(site, "td_dense_2_to_3")["output"]) == (1, 6, 3)
