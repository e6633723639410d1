"""Part A: the page shows the weights Keras trained, and TimeDistributed(Dense) is Dense."""

from __future__ import annotations

import re

import numpy as np
import pytest
from conftest import load_data, page_html
from pages import tables, text_of
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


# --- the TimeDistributed bug box ---------------------------------------------------------

SLUG = "time-distributed"


def bug_box(site) -> tuple[str, list[str], dict[str, list[str]]]:
    """The bug (or fixed) admonition: its text, its column shapes, its rows by method."""
    page = page_html(site, SLUG)
    found = re.findall(
        r'<div class="admonition (?:bug|success)">(.*?)</div>\s*<p><strong>TimeDistributed',
        page,
        re.S,
    )
    assert len(found) == 1, (
        "one TimeDistributed admonition before 'TimeDistributed(Dense) is Dense'"
    )
    box = found[0]
    header, rows = next((h, r) for h, r in tables(box) if h and h[0] == "method")
    shapes = [plain(h).strip() for h in header[1:]]
    return plain(text_of(box)), shapes, {plain(r[0]): [plain(c) for c in r[1:]] for r in rows}


def plain(text: str) -> str:
    """Visible text without the spaces that tags leave before punctuation."""
    return re.sub(r" ([,.:;)])", r"\1", re.sub(r"([(]) ", r"\1", text))


def listed(names: list[str]) -> str:
    """Names as the box lists them: 'a', 'a and b', 'a, b and c'."""
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def cells_of(rows: dict[str, list[str]]) -> list[str]:
    return [c for cells in rows.values() for c in cells]


def shape_of(text: str) -> tuple[int, ...]:
    return tuple(int(d) for d in re.findall(r"\d+", text))


def test_bug_box_prose_follows_from_its_table(site):
    """Every sentence of the box is a consequence of the observed cells: the affected and safe
    methods, 'replaced by the batch size', the error and where it happens."""
    text, shapes, rows = bug_box(site)
    assert len(shapes) == 4 and {"predict", "predict_on_batch", "evaluate", "model(x)"} <= set(rows)
    affected = [m for m, cells in rows.items() if set(cells) != {"right"}]
    safe = [m for m, cells in rows.items() if set(cells) == {"right"}]
    if not affected:
        assert "returned the right shape and values at every length" in text
        assert "Affected" not in text
        return
    assert re.search(r"Affected: (.*?), on the TensorFlow backend", text).group(1) == listed(
        affected
    )
    said_safe = re.search(r"Safe: (.*?): right at every length", text).group(1)
    assert said_safe == listed(safe)
    assert all(c in ("right", "error", "wrong values") or c.startswith("(") for c in cells_of(rows))
    wrong = [
        (shape_of(cell), shape_of(shapes[i]))
        for m in affected
        for i, cell in enumerate(rows[m])
        if cell.startswith("(")
    ]
    replaced = "replaced by the batch size" in text
    assert replaced == bool(wrong and all(got[1] == given[0] for got, given in wrong))
    for got, given in wrong:  # the batch size k where the number of time steps l should be
        assert got[0] == given[0] and got[2] == 3 and got[1] != given[1]
    assert "cut" not in text.split("Cause:")[0], "the time axis is replaced, not cut"
    errors = {
        m: [shape_of(shapes[i]) for i, c in enumerate(cells) if c == "error"]
        for m, cells in rows.items()
    }
    for m, at in errors.items():
        if not at:
            continue
        sentence = next(s for s in text.split(".") if m in s and "raise" in s)
        if all(k > steps for k, steps, _ in at):
            assert "larger than the number of time steps" in sentence
        else:
            assert "larger than" not in sentence
    assert re.search(r"keras/src/layers/rnn/time_distributed\.py, line \d+", text)
    assert "ops.arange(input_shape[0])" in text


def test_bug_box_predict_row_is_what_keras_does(site):
    """Run predict, then model(x), on a new TimeDistributed(Dense) with the page's weights, on
    inputs of the box's shapes in its order; the box's rows must say the same."""
    import keras

    text, shapes, rows = bug_box(site)
    weights = model(site, "td_dense_2_to_3")["layers"][0]["weights"]
    W, b = np.asarray(weights["kernel"]), np.asarray(weights["bias"])
    rng = np.random.default_rng(1)

    def fresh():
        m = keras.Sequential(
            [
                keras.Input(shape=(None, W.shape[0])),
                keras.layers.TimeDistributed(keras.layers.Dense(W.shape[1], activation="sigmoid")),
            ]
        )
        m.set_weights([W, b])
        return m

    for name, call in [
        ("predict", lambda m, x: m.predict(x, verbose=0)),
        ("model(x)", lambda m, x: keras.ops.convert_to_numpy(m(x))),
    ]:
        copy, seen, errors = fresh(), [], set()
        for shape in shapes:
            x = rng.uniform(0, 1, size=shape_of(shape)).astype("float32")
            try:
                got = np.asarray(call(copy, x))
            except Exception as error:
                seen.append("error")
                errors.add(type(error).__name__)
                continue
            expected = 1 / (1 + np.exp(-(x.astype(np.float64) @ W + b)))
            if got.shape != expected.shape:
                seen.append(str(got.shape))
            else:
                seen.append("right" if np.max(np.abs(got - expected)) < 1e-5 else "wrong values")
        assert seen == rows[name], f"{name}: Keras gives {seen}, the box says {rows[name]}"
        for error in errors:  # the error is named where the box says where it happens
            assert re.search(rf"{name}\b[^.]* raises? [^.]*{error}", text), error


# --- wording -------------------------------------------------------------------------------

# longest first, in an atomic group: "3 output units" is a plural, not "3 output"
WORDS = "(?>output unit|time step|feature|value|number|unit|output|input|component|sequence)"


def wording_problems(text: str) -> list[str]:
    """Plurals that do not follow their number, 'the two last', and 'date' for a time step."""
    # a number, not part of a decimal or a label such as "unit 2", then the noun
    number_ = r"(?<![\d.,−-])(?<!unit )(?<!Figure )\b"
    problems = re.findall(rf"{number_}1 {WORDS}s\b", text)
    problems += re.findall(rf"{number_}(?:0|[2-9]|\d\d+) {WORDS}\b(?!s)", text)
    # sizes written in math: "\(m = 1\) features", "\(N = 2\) sequence"
    problems += re.findall(rf"\\\([A-Za-z']+ = 1\\\) {WORDS}s\b", text)
    problems += re.findall(rf"\\\([A-Za-z']+ = (?:0|[2-9]|\d\d+)\\\) {WORDS}\b(?!s)", text)
    problems += re.findall(r"\bthe two last\b", text, re.I)
    problems += re.findall(r"\bdates?\b", text, re.I)
    return problems


def test_wording_checker_can_fail():
    bad = "m' = 1 features at each of the 6 time step; the two last columns, each date"
    assert len(wording_problems(bad)) == 4
    assert len(wording_problems("\\(m' = 1\\) features, \\(N = 2\\) sequence")) == 2
    assert wording_problems("\\(m = 1\\) feature, \\(N = 2\\) sequences") == []
    assert wording_problems("1 feature, 3 values, 6 time steps, the last two") == []
    assert wording_problems("3 output units, unit 1 unit 2 unit 3") == []
    assert wording_problems("3 output unit") == ["3 output unit"]


@pytest.mark.parametrize("slug", ["time-distributed", "layer-options"])
def test_plurals_follow_numbers_and_time_steps_are_time_steps(site, slug):
    for page in [site / slug / "index.html", site / "notebooks" / slug / "index.html"]:
        text = text_of(
            re.sub(r"<(script|style)\b.*?</\1>", " ", page.read_text("utf-8"), flags=re.S)
        )
        assert wording_problems(text) == [], f"{page.relative_to(site)}"


def test_one_dimensional_rule_and_model_are_on_the_page(site):
    text = text_of(page_html(site, SLUG))
    weights = model(site, "td_dense_1d")["layers"][0]["weights"]
    assert re.search(r"model_1d = keras \. Sequential \(", text), "the page shows model_1d"
    assert re.search(r"W_rule , b_rule = 2\.0 , - 1\.0", text), "the rule, in the code shown"
    W, b = np.ravel(weights["kernel"])[0], np.ravel(weights["bias"])[0]
    assert f"\\(W = {number(W)}\\)" in text and f"\\(b = {number(b)}\\)" in text
    assert "\\(W = 2\\)" in text and "\\(b = −1\\)" in text
    assert re.search(r"is broadcast : numpy adds the same \\\(b\\\) to every row", text)


def test_figures_are_numbered_and_equations_referred_to_exist(site):
    page = page_html(site, SLUG)
    captions = re.findall(r"<figcaption>\s*Figure (\d+):", page)
    assert captions == [str(i) for i in range(1, len(captions) + 1)] and len(captions) == 2
    tags = set(re.findall(r"\\tag\{(\d+)\}", page))
    referred = set(re.findall(r"equation \((\d+)\)", text_of(page)))
    assert referred and referred <= tags, f"equations referred to {referred}, tagged {tags}"
