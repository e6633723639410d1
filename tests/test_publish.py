"""``examples/publish.py`` on its own, in milliseconds: the formatters every page's numbers go
through, the checks of its outputs, and ``check_replay``'s guards (a NaN, a wrong shape, a
difference just above the tolerance). Expectations are written by hand from the documented
format (four decimals, a true minus sign U+2212, no ``-0.0000``), not read from the code.
"""

from __future__ import annotations

import numpy as np
import pytest

# Imported by its path (examples.publish), as mutation testing (`make mutate`) names it.
from examples import publish

MINUS = "\u2212"


@pytest.fixture
def published(monkeypatch) -> dict[str, str]:
    """What the functions publish, by name (in place of the build's sink)."""
    outputs: dict[str, str] = {}
    monkeypatch.setattr(
        publish, "_sink", lambda name, markdown: outputs.__setitem__(name, markdown)
    )
    return outputs


# --- fmt, vector, array_text ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("x", "digits", "text"),
    [
        (1.5, 4, "1.5000"),
        (-1.5, 4, f"{MINUS}1.5000"),
        (0, 4, "0.0000"),
        (-0.0, 4, "0.0000"),
        (-0.00001, 4, "0.0000"),  # rounds to zero: no minus sign
        (-0.00001, 6, f"{MINUS}0.000010"),
        (2, 2, "2.00"),
        (-123.456, 1, f"{MINUS}123.5"),
        (np.float32(0.25), 4, "0.2500"),
        (np.int64(-3), 4, f"{MINUS}3.0000"),
        (12345.6789, 0, "12346"),
    ],
)
def test_fmt(x, digits, text):
    assert publish.fmt(x, digits) == text


def test_fmt_shows_four_decimals_by_default_and_never_a_hyphen():
    assert publish.DIGITS == 4
    assert publish.fmt(-2.0) == f"{MINUS}2.0000"
    assert "-" not in publish.fmt(-1e-3) and "-" not in publish.fmt(-7)


def test_vector():
    assert publish.vector([1, -2.5]) == f"(1.000, {MINUS}2.500)"
    assert publish.vector(np.array([[1.0], [-0.0004]]), digits=1) == "(1.0, 0.0)"


def test_array_text_fixed_decimals():
    assert publish.array_text(np.array([1.0, -0.5]), digits=2) == "array([ 1.00, -0.50])"
    # six decimals by default, and no scientific notation for small numbers
    assert publish.array_text(np.array([1e-7, 2.5])) == "array([0.000000, 2.500000])"


# --- outputs ---------------------------------------------------------------------------------


def test_value(published):
    assert publish.value("count", 3) == "3"
    assert publish.value("big", np.int64(12)) == "12"
    assert publish.value("half", 0.5) == "0.5000"
    assert publish.value("short", -0.123456, digits=2) == f"{MINUS}0.12"
    assert publish.value("single", np.float32(1.25)) == "1.2500"
    assert publish.value("word", "tanh") == "tanh"
    assert published == {
        "count": "3",
        "big": "12",
        "half": "0.5000",
        "short": f"{MINUS}0.12",
        "single": "1.2500",
        "word": "tanh",
    }


@pytest.mark.parametrize("name", ["a-b", "2x", "", "with space"])
def test_an_output_name_must_be_an_identifier(published, name):
    with pytest.raises(ValueError, match="must be a Python identifier"):
        publish.value(name, 1)
    assert not published


def test_shape(published):
    assert publish.shape("s", np.zeros((256, 6, 2))) == "`(256, 6, 2)`"
    assert publish.shape("t", [[1, 2, 3]]) == "`(1, 3)`"
    assert publish.shape("u", np.zeros(4)) == "`(4,)`"


def test_text(published):
    assert publish.text("t", "some *text*") == "some *text*"
    assert publish.text("c", "x = 1\n\n", code="python") == "```python\nx = 1\n```"
    assert published == {"t": "some *text*", "c": "```python\nx = 1\n```"}


def test_probe(published):
    assert publish.probe("probe_default", "tanh") == "tanh"
    with pytest.raises(ValueError, match="must start with 'probe_'"):
        publish.probe("default", "tanh")
    for verdict in ["", None, 3]:
        with pytest.raises(ValueError, match="non-empty string"):
            publish.probe("probe_bad", verdict)
    assert published == {"probe_default": "tanh"}


def test_matrix_labels_rows_and_columns(published):
    text = publish.matrix("W", [[1, -2], [0.5, 0]], ["$x_1$", "$x_2$"], ["$h_1$", "$h_2$"], "W")
    assert text == (
        "| W | $h_1$ | $h_2$ |\n"
        "|:--|--:|--:|\n"
        f"| $x_1$ | 1.0000 | {MINUS}2.0000 |\n"
        "| $x_2$ | 0.5000 | 0.0000 |"
    )
    assert published["W"] == text


def test_matrix_of_a_vector_is_one_row(published):
    text = publish.matrix("b", np.array([0.25, -1]), ["$b$"], ["unit 1", "unit 2"], digits=2)
    assert text.splitlines() == [
        "|  | unit 1 | unit 2 |",
        "|:--|--:|--:|",
        f"| $b$ | 0.25 | {MINUS}1.00 |",
    ]


@pytest.mark.parametrize(
    ("rows", "cols"), [(["a"], ["c", "d"]), (["a", "b"], ["c"]), (["a", "b", "e"], ["c", "d"])]
)
def test_matrix_refuses_labels_that_do_not_match_the_shape(published, rows, cols):
    with pytest.raises(ValueError, match=r"matrix 'W': array of shape \(2, 2\) but"):
        publish.matrix("W", np.zeros((2, 2)), rows, cols)
    assert not published


def test_table_formats_numbers_and_keeps_labels(published):
    text = publish.table("t", {"$t$": ["0", "1"], "$y_t$": [0.5, -0.25]}, digits=3)
    assert text == f"| $t$ | $y_t$ |\n|:--|--:|\n| 0 | 0.500 |\n| 1 | {MINUS}0.250 |"
    assert published == {"t": text}


def test_text_table_is_left_aligned(published):
    text = publish.text_table("tt", {"gate": ["i", "f"], "formula": ["a - b", "c"]})
    assert text == "| gate | formula |\n|:--|:--|\n| i | a - b |\n| f | c |"


@pytest.mark.parametrize("function", [publish.table, publish.text_table])
def test_tables_refuse_columns_of_different_lengths(published, function):
    with pytest.raises(ValueError, match=r"table 't': columns have different lengths \[1, 2\]"):
        function("t", {"a": ["1", "2"], "b": ["3"]})
    assert not published


# --- check_replay ----------------------------------------------------------------------------


def test_an_exact_replay_publishes_zero(published):
    assert publish.check_replay("r", [[1.0, 2.0]], np.array([[1.0, 2.0]], dtype=np.float32)) == 0
    assert published == {"r": "0.0e+00"}


def test_a_difference_below_the_tolerance_passes_and_is_published(published):
    diff = publish.check_replay("r", [1.0, 2.0], [1.0, 2.0 + 9e-6])
    assert diff == pytest.approx(9e-6)
    assert published == {"r": f"9.0e{MINUS}06"}


def test_a_difference_of_exactly_the_tolerance_passes(published):
    assert publish.check_replay("r", [0.0], [1e-5]) == 1e-5


def test_the_tolerance_is_1e_minus_5():
    assert publish.TOLERANCE == 1e-5


def test_a_difference_just_above_the_tolerance_fails(published):
    with pytest.raises(
        publish.ReplayMismatch, match=r"r: replay differs from model.predict by 1\.1"
    ):
        publish.check_replay("r", [0.0, 1.0], [0.0, 1.0 + 1.1e-5])
    assert not published


def test_a_float32_difference_above_the_tolerance_fails():
    a, b = np.float32(1.0), np.float32(1.0) + np.float32(2e-5)
    with pytest.raises(publish.ReplayMismatch):
        publish.check_replay("r", [a], [b])


def test_a_custom_tolerance(published):
    assert publish.check_replay("r", [0.0], [0.5e-3], tolerance=1e-3) == pytest.approx(0.5e-3)
    with pytest.raises(publish.ReplayMismatch, match=r"tolerance 1e-04"):
        publish.check_replay("s", [0.0], [0.5e-3], tolerance=1e-4)


@pytest.mark.parametrize("where", ["replay", "predicted"])
@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_a_nan_or_infinite_value_fails(published, where, bad):
    good, broken = np.zeros(3), np.array([0.0, bad, 0.0])
    replay, predicted = (broken, good) if where == "replay" else (good, broken)
    with pytest.raises(publish.ReplayMismatch, match="replay differs from model.predict"):
        publish.check_replay("r", replay, predicted)
    assert not published


@pytest.mark.parametrize(
    ("replay_shape", "predict_shape"), [((3,), (1, 3)), ((2, 3), (3, 2)), ((1, 5, 2), (1, 5))]
)
def test_a_replay_of_another_shape_fails_even_when_it_broadcasts(
    published, replay_shape, predict_shape
):
    with pytest.raises(publish.ReplayMismatch, match=r"r: replay has shape .* model.predict has"):
        publish.check_replay("r", np.zeros(replay_shape), np.zeros(predict_shape))
    assert not published
