"""The "Step through it yourself" panel and ``window.rnnCompute``, in headless Chromium.

Every expectation is computed here, independently of the page's JavaScript: from the Keras
output stored in the data files, from the numpy replay (``tests/replay.py``), or from the gate
equations written below in numpy with Keras's documented gate orders (LSTM i, f, c, o; GRU
z, r, h). The panel is checked hosted and from the offline copy (file://), with every other
host blocked and any console error failing the test.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from browser import Visit, accessibility_problems
from conftest import load_data
from replay import replay

RECURRENT = ["simple-rnn", "stacked-rnn", "lstm", "gru"]
TOLERANCE = 1e-5
PANEL = ".rnn-stepper[data-stepper-state=ready]"


# --- opening pages (the browser, hosted and offline fixtures are in conftest.py) ---------------


def open_page(browser, url: str, scheme: str = "light", viewport=None) -> Visit:
    context = browser.new_context(
        color_scheme=scheme, viewport=viewport or {"width": 1280, "height": 900}
    )
    return Visit(context, url)


def start_panel(page, slug: str | None = None) -> None:
    """Scroll the panel into view (it starts when it, or a live diagram, is seen) and wait."""
    panel = ".rnn-stepper" + (f"[data-slug={slug}]" if slug else "")
    page.locator(panel).first.scroll_into_view_if_needed()
    page.wait_for_selector(f"{panel}[data-stepper-state=ready]", timeout=15000)


def open_panel(browser, url: str, **kwargs) -> Visit:
    visit = open_page(browser, url, **kwargs)
    start_panel(visit.page)
    return visit


def close(visit: Visit) -> list[str]:
    """Close the page; the console errors and outside requests it had."""
    problems = [f"console error: {e}" for e in visit.errors] + [
        f"request to another host: {u}" for u in visit.blocked
    ]
    visit.page.context.close()
    return problems


# --- independent expectations ---------------------------------------------------------------


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


ACT = {
    "sigmoid": sigmoid,
    "tanh": np.tanh,
    "linear": lambda z: z,
    "relu": lambda z: np.maximum(z, 0),
    "hard_sigmoid": lambda z: np.clip(z / 6 + 0.5, 0, 1),
}


def fmt(x: float) -> str:
    """As the site prints numbers: 4 decimals, a true minus sign, no -0.0000."""
    s = f"{x:.4f}"
    if float(s) == 0:
        s = s.lstrip("-")
    return s.replace("-", "\u2212")


def layer_steps(layer: dict, xs: np.ndarray) -> tuple[list[dict], np.ndarray]:
    """One recurrent layer over one sequence xs (T, m): every gate and state at every step,
    with the weights cut by Keras's documented gate order, and the outputs h (T, n)."""
    cls, config, w = layer["class_name"], layer["config"], layer["weights"]
    kernel, recurrent = np.array(w["kernel"]), np.array(w["recurrent_kernel"])
    n = recurrent.shape[0]
    act, rec = ACT[config["activation"]], ACT.get(config.get("recurrent_activation"))
    h, c, steps = np.zeros(n), np.zeros(n), []
    for x in xs:
        if cls == "SimpleRNN":
            h = act(x @ kernel + h @ recurrent + np.array(w["bias"]))
            steps.append({"h": h})
        elif cls == "LSTM":
            b = np.array(w["bias"])
            gate = lambda k: (
                x @ kernel[:, k * n : (k + 1) * n]
                + h @ recurrent[:, k * n : (k + 1) * n]
                + b[k * n : (k + 1) * n]
            )
            i, f, cand, o = rec(gate(0)), rec(gate(1)), act(gate(2)), rec(gate(3))
            c = f * c + i * cand
            h = o * act(c)
            steps.append({"i": i, "f": f, "cand": cand, "o": o, "c": c, "h": h})
        elif cls == "GRU":
            b = np.array(w["bias"])
            b_x, b_h = (b[0], b[1]) if config.get("reset_after", True) else (b, np.zeros(3 * n))
            Wx = lambda k: kernel[:, k * n : (k + 1) * n]
            Wh = lambda k: recurrent[:, k * n : (k + 1) * n]
            bx = lambda k: b_x[k * n : (k + 1) * n]
            bh = lambda k: b_h[k * n : (k + 1) * n]
            z = rec(x @ Wx(0) + bx(0) + h @ Wh(0) + bh(0))
            r = rec(x @ Wx(1) + bx(1) + h @ Wh(1) + bh(1))
            if config.get("reset_after", True):
                cand = act(x @ Wx(2) + bx(2) + r * (h @ Wh(2) + bh(2)))
            else:
                cand = act(x @ Wx(2) + bx(2) + (r * h) @ Wh(2))
            h = z * h + (1 - z) * cand
            steps.append({"z": z, "r": r, "cand": cand, "h": h})
        else:
            raise NotImplementedError(cls)
    return steps, np.array([s["h"] for s in steps])


def expected_run(model: dict, xs: np.ndarray) -> tuple[list[list[dict]], np.ndarray]:
    """(the steps of each recurrent layer, the output y (T, m')) of a sequence model."""
    value, traces = np.asarray(xs, dtype=np.float64), []
    for layer in model["layers"]:
        if layer["class_name"] in ("SimpleRNN", "LSTM", "GRU"):
            steps, value = layer_steps(layer, value)
            traces.append(steps)
        elif layer["class_name"] in ("Dense", "TimeDistributed"):
            config = (
                layer["config"]["layer"]["config"]
                if layer["class_name"] == "TimeDistributed"
                else layer["config"]
            )
            value = ACT[config["activation"]](
                value @ np.array(layer["weights"]["kernel"]) + np.array(layer["weights"]["bias"])
            )
    return traces, value


def returns_state(model: dict) -> bool:
    return bool(model["layers"][-1]["config"].get("return_state"))


def array_diff(got, expected) -> float:
    got, expected = np.asarray(got, dtype=np.float64), np.asarray(expected, dtype=np.float64)
    assert got.shape == expected.shape, f"shape {got.shape}, expected {expected.shape}"
    return float(np.max(np.abs(got - expected)))


def max_diff(model: dict, got, expected) -> float:
    """Largest absolute difference; shapes (and the list of a return_state model) must match."""
    if returns_state(model):
        assert isinstance(got, list) and len(got) == len(expected), (
            "return_state: a list [output, *states]"
        )
        return max(array_diff(g, e) for g, e in zip(got, expected))
    return array_diff(got, expected)


def compute(page, slug: str, name: str, x) -> object:
    return page.evaluate("([slug, name, x]) => window.rnnCompute(slug, name, x)", [slug, name, x])


def random_inputs(model: dict, seed: int, count: int = 3) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    m = np.asarray(model["input"]).shape[-1]
    shapes = [(int(rng.integers(1, 4)), int(rng.integers(1, 13)), m) for _ in range(count)]
    # float32 values, as model.predict reads them (rnnCompute rounds its input to float32 too)
    return [
        rng.uniform(-2, 2, size=shape).astype(np.float32).astype(np.float64) for shape in shapes
    ]


# --- rnnCompute -----------------------------------------------------------------------------


def check_every_model(page, site: Path, slug: str, random: bool) -> list[str]:
    data, problems = load_data(site, slug), []
    for index, model in enumerate(data["models"]):
        diff = max_diff(model, compute(page, slug, model["name"], model["input"]), model["output"])
        if diff > TOLERANCE:
            problems.append(
                f"{slug}/{model['name']}: {diff:.2e} from model.predict on the page's input"
            )
        if not random:
            continue
        for x in random_inputs(model, seed=1000 * RECURRENT.index(slug) + index):
            expected = replay({**model, "input": x.tolist()})
            diff = max_diff(model, compute(page, slug, model["name"], x.tolist()), expected)
            if diff > TOLERANCE:
                problems.append(
                    f"{slug}/{model['name']}: {diff:.2e} from the replay on an input of shape {x.shape}"
                )
    return problems


@pytest.mark.parametrize("slug", RECURRENT)
def test_rnncompute_reproduces_keras_and_the_replay_hosted(browser, hosted, site, slug):
    names = [m["name"] for m in load_data(site, slug)["models"]]
    expected_models = {
        "simple-rnn": {"simple_rnn_sequences", "simple_rnn_last_step"},
        "stacked-rnn": {"stacked_rnn"},
        "lstm": {"lstm", "lstm_return_state", "lstm_hard_sigmoid"},
        "gru": {"gru", "gru_reset_before"},
    }[slug]
    assert expected_models <= set(names), f"{slug}: models {names}"
    visit = open_page(browser, f"{hosted}{slug}/")
    problems = check_every_model(visit.page, site, slug, random=True)
    problems += close(visit)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("slug", RECURRENT)
def test_rnncompute_works_from_the_offline_copy(browser, offline, site, slug):
    visit = open_page(browser, (offline / f"{slug}.html").as_uri())
    problems = check_every_model(visit.page, site, slug, random=False)
    start_panel(visit.page)  # the panel starts from file:// too
    # and drives the chapter's live diagram
    pills = visit.page.eval_on_selector_all("svg.diagram--live .live-pill", "ps => ps.length")
    if slug in LIVE and not pills:
        problems.append("the live diagram shows no value from file://")
    problems += close(visit)
    assert not problems, "\n".join(problems)


def test_rnncompute_rejects_a_wrong_input_clearly(browser, hosted):
    visit = open_page(browser, f"{hosted}lstm/")
    message = visit.page.evaluate("""() => rnnCompute('lstm', 'lstm', [[[1, 2, 3]]]).then(
        () => 'no error', e => e.message)""")
    missing = visit.page.evaluate(
        "() => rnnCompute('lstm', 'nope', [[[1, 2]]]).then(() => 'no error', e => e.message)"
    )
    problems = close(visit)
    assert "m = 2" in message, message
    assert "no model 'nope'" in missing and "lstm_return_state" in missing, missing
    assert not problems, problems


# --- the panel ------------------------------------------------------------------------------


def panel_model(page, site: Path) -> tuple[str, dict]:
    slug, name = page.eval_on_selector(PANEL, "e => [e.dataset.slug, e.dataset.model]")
    model = next(m for m in load_data(site, slug)["models"] if m["name"] == name)
    return slug, model


def shown_y(page) -> list[list[str]]:
    return page.eval_on_selector_all(
        ".rnn-stepper tbody tr[data-t]",
        "rows => rows.map(r => [...r.querySelectorAll('td.rnn-stepper__y')].map(c => c.textContent))",
    )


def chart_points(page) -> list[list[tuple[float, float]]]:
    """The (x, y) pixel coordinates of each output line of the chart."""
    paths = page.eval_on_selector_all(
        ".rnn-stepper__svg path.rnn-stepper__line", "ps => ps.map(p => p.getAttribute('d'))"
    )
    lines = []
    for d in paths:
        points = [p.strip().split() for p in d.replace("M", "L").split("L") if p.strip()]
        lines.append([(float(x), float(y)) for x, y in points])
    return lines


def assert_chart_draws(page, y: np.ndarray) -> None:
    """Each line's heights are an affine image of the expected y (one scale for all lines),
    and its x positions are evenly spaced in t."""
    lines = chart_points(page)
    assert len(lines) == y.shape[1], f"{len(lines)} lines for {y.shape[1]} output units"
    heights = np.array([[p[1] for p in line] for line in lines]).T  # (T, m')
    xs = np.array([p[0] for p in lines[0]])
    assert np.allclose(np.diff(xs), np.diff(xs)[0], atol=0.11), (
        "t is not evenly spaced on the chart"
    )
    slope, offset = np.polyfit(y.ravel(), heights.ravel(), 1)
    assert slope < 0, "larger y must be drawn higher"
    residual = np.max(np.abs(slope * y + offset - heights))
    assert residual < 0.11, f"the chart does not draw y (residual {residual:.2f} px)"


def assert_grid_shows(page, y: np.ndarray) -> None:
    assert shown_y(page) == [[fmt(v) for v in row] for row in y]


def set_step(page, t: int) -> None:
    """Choose the time step with the keyboard, as a reader would."""
    page.focus(".rnn-stepper input[type=range]")
    page.keyboard.press("Home")
    for _ in range(t):
        page.keyboard.press("ArrowRight")


def step_values(page) -> dict[str, list[float]]:
    chips = page.eval_on_selector_all(
        ".rnn-stepper__values .rnn-stepper__chip",
        "cs => cs.map(c => [c.dataset.key, c.dataset.value, c.querySelector('.rnn-stepper__num').textContent])",
    )
    values: dict[str, list[float]] = {}
    for key, value, text in chips:
        assert text == fmt(float(value)), f"{key}: shows {text} for {value}"
        values.setdefault(key, []).append(float(value))
    return values


CELL = ".rnn-stepper input[aria-label='x at t={t}, feature {j}']"


@pytest.mark.parametrize("slug", RECURRENT)
def test_panel_recomputes_on_edit_and_shows_the_gates_of_a_step(browser, hosted, site, slug):
    visit = open_panel(browser, f"{hosted}{slug}/")
    page = visit.page
    _, model = panel_model(page, site)
    xs = np.array(model["input"][0], dtype=np.float64)
    T, m = xs.shape
    assert page.eval_on_selector_all(".rnn-stepper tbody tr[data-t]", "rs => rs.length") == T
    traces, y = expected_run(model, xs)
    assert_grid_shows(page, y)
    assert_chart_draws(page, y)
    assert (
        np.max(np.abs(y - np.array(model["output"][0]))) <= TOLERANCE
    )  # the expectation is Keras's

    # A reader edits one cell: y (numbers and chart) follows.
    page.fill(CELL.format(t=1, j=1), "-0.75")
    xs[1, 0] = -0.75
    traces, y_new = expected_run(model, xs)
    assert np.max(np.abs(y_new - y)) > 1e-3, "the edit should change y"
    assert_grid_shows(page, y_new)
    assert_chart_draws(page, y_new)

    # The slider selects a step; its values are those of that step.
    t = T - 2
    set_step(page, t)
    assert page.text_content(".rnn-stepper output") == f"t = {t}"
    shown = step_values(page)
    expected = {"x": xs[t], "y": y_new[t]}
    for k, steps in enumerate(traces):
        expected.update({f"{k}.{key}": value for key, value in steps[t].items()})
        if "c" in steps[t]:  # the LSTM shows c_{t-1} beside f_t, i_t, c~_t and c_t
            expected[f"{k}.c_prev"] = steps[t - 1]["c"]
    assert set(shown) == set(expected), (
        f"quantities shown: {sorted(shown)}, expected {sorted(expected)}"
    )
    for key, value in expected.items():
        diff = np.max(np.abs(np.array(shown[key]) - value))
        assert diff <= TOLERANCE, f"{slug} {key} at t={t}: {diff:.2e} from numpy"
    problems = close(visit)
    assert not problems, problems


BAD = ["", "abc", "NaN", "Infinity", "1e308"]


def test_bad_input_gets_a_message_beside_its_cell_and_keeps_the_last_result(browser, hosted, site):
    visit = open_panel(browser, f"{hosted}lstm/")
    page = visit.page
    _, model = panel_model(page, site)
    xs = np.array(model["input"][0])
    _, y = expected_run(model, xs)
    cell = CELL.format(t=2, j=1)
    path = chart_points(page)
    for text in BAD:
        page.fill(cell, text)
        assert page.get_attribute(cell, "aria-invalid") == "true", text
        message_id = page.get_attribute(cell, "aria-describedby")
        assert message_id, f"{text!r}: the cell names no message"
        message = page.evaluate(
            """([cell, id]) => {
            const input = document.querySelector(cell), message = document.getElementById(id);
            if (!message) return null;
            const row = input.closest('tr');
            return { text: message.textContent, beside: row.nextElementSibling.contains(message),
                     visible: message.checkVisibility(), live: !!message.closest('[aria-live]') };
        }""",
            [cell, message_id],
        )
        assert message and message["visible"] and message["beside"], f"{text!r}: {message}"
        assert "t=2, feature 1" in message["text"], message["text"]
        status = page.text_content(".rnn-stepper__status")
        assert "last valid input" in status, f"{text!r}: the status says {status!r}"
        assert page.evaluate("() => !!document.querySelector('.rnn-stepper [aria-live]')"), (
            "no live region"
        )
        assert_grid_shows(page, y)  # the last good result stays
        assert chart_points(page) == path
    page.fill(cell, "0.25")
    assert page.get_attribute(cell, "aria-invalid") is None
    assert not page.query_selector(".rnn-stepper__msg"), "the message stays after the fix"
    xs[2, 0] = 0.25
    assert_grid_shows(page, expected_run(model, xs)[1])
    problems = close(visit)
    assert not problems, problems


def test_zero_steps_are_refused_and_five_hundred_work(browser, hosted, site):
    visit = open_panel(browser, f"{hosted}gru/")
    page = visit.page
    _, model = panel_model(page, site)
    T, m = np.array(model["input"][0]).shape
    remove = ".rnn-stepper button:has-text('Remove the last step')"
    for _ in range(T - 1):
        page.click(remove)
    _, y = expected_run(model, np.array(model["input"][0])[:1])
    assert_grid_shows(page, y)
    result = (
        "() => [document.querySelector('.rnn-stepper__svg desc').textContent, "
        "document.querySelector('.rnn-stepper__values').innerHTML]"
    )
    shown = page.evaluate(result)
    assert fmt(y[0, 0]) in shown[0], shown[0]
    page.click(remove)
    assert page.eval_on_selector_all(".rnn-stepper tbody tr[data-t]", "rs => rs.length") == 0
    assert page.is_visible(".rnn-stepper tbody .rnn-stepper__msg"), "no message in the empty grid"
    assert "at least one time step" in page.text_content(".rnn-stepper__status")
    cleared = page.evaluate(
        "() => [document.querySelector('.rnn-stepper__chart').textContent, "
        "document.querySelector('.rnn-stepper__values').textContent]"
    )
    assert cleared == ["", ""], "with no time step, the chart and the values clear (issue 15)"
    page.focus(remove)  # marked aria-disabled, still focusable: pressing it says why, no error
    page.keyboard.press("Enter")
    assert "no time step left" in page.text_content(".rnn-stepper__status")
    page.evaluate("""() => {
        const add = [...document.querySelectorAll('.rnn-stepper button')].find(b => b.textContent === 'Add a step');
        for (let i = 0; i < 500; i++) add.click();
    }""")
    assert page.eval_on_selector_all(".rnn-stepper tbody tr[data-t]", "rs => rs.length") == 500
    assert page.get_attribute(".rnn-stepper input[type=range]", "max") == "499"
    _, y = expected_run(model, np.zeros((500, m)))  # added steps are zeros
    assert_grid_shows(page, y)
    assert len(chart_points(page)[0]) == 500
    assert page.text_content(".rnn-stepper__status") == ""
    problems = close(visit)
    assert not problems, problems


def interact(page) -> None:
    """Leave the panel in a state with everything on screen: a message, another step."""
    page.fill(CELL.format(t=1, j=1), "abc")
    set_step(page, 2)
    page.click(".rnn-stepper button:has-text('Add a step')")


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("slug", ["lstm", "stacked-rnn"])
def test_panel_is_accessible_after_interaction(browser, hosted, scheme, slug):
    """With the live diagram showing a step and one of its gates highlighting its symbols and
    weight tables."""
    visit = open_panel(browser, f"{hosted}{slug}/", scheme=scheme)
    interact(visit.page)
    visit.page.focus("svg.diagram--live .live-gate")
    problems = accessibility_problems(visit) + close(visit)
    assert not problems, "\n".join(problems)


def test_panel_every_input_is_labelled(browser, hosted, site):
    visit = open_panel(browser, f"{hosted}stacked-rnn/")
    labels = visit.page.eval_on_selector_all(
        ".rnn-stepper tbody input", "is => is.map(i => i.getAttribute('aria-label'))"
    )
    slider = visit.page.evaluate("""() => { const s = document.querySelector('.rnn-stepper input[type=range]');
        return [...s.labels].map(l => l.textContent); }""")
    _, model = panel_model(visit.page, site)
    T, m = np.array(model["input"][0]).shape
    problems = close(visit)
    assert labels == [f"x at t={t}, feature {j}" for t in range(T) for j in range(1, m + 1)]
    assert slider == ["Time step"]
    assert not problems, problems


@pytest.mark.parametrize("slug", RECURRENT)
def test_panel_fits_a_phone_screen(browser, hosted, slug):
    visit = open_panel(browser, f"{hosted}{slug}/", viewport={"width": 375, "height": 740})
    page = visit.page
    interact(page)
    page.evaluate("""() => {
        const add = [...document.querySelectorAll('.rnn-stepper button')].find(b => b.textContent === 'Add a step');
        for (let i = 0; i < 30; i++) add.click();
    }""")
    width = page.evaluate("document.documentElement.scrollWidth")
    grid = page.eval_on_selector(
        ".rnn-stepper__grid", "g => [g.scrollWidth, g.clientWidth, g.tabIndex]"
    )
    problems = close(visit)
    assert width <= 375 + 1, f"the page is {width} px wide on a 375 px screen"
    assert grid[2] == 0, "the grid's scroll region is not focusable"
    assert not problems, problems


@pytest.mark.parametrize("slug", RECURRENT)
def test_panel_stays_within_a_phone_screen(browser, hosted, slug):
    """Nothing of the panel sticks out of a 375 px screen, except inside its scroll regions."""
    visit = open_panel(browser, f"{hosted}{slug}/", viewport={"width": 375, "height": 740})
    outside = visit.page.evaluate("""() => [...document.querySelectorAll('.rnn-stepper *')]
        .filter(e => !e.closest('.rnn-stepper__grid, .rnn-stepper__valuewrap'))
        .filter(e => e.getBoundingClientRect().right > 376)
        .map(e => e.tagName + '.' + e.className)""")
    problems = close(visit)
    assert not outside, outside
    assert not problems, problems


def test_panel_waits_until_the_reader_gets_there(browser, hosted):
    """On a phone, a chapter opens without loading the panel's data or computing anything; the
    panel starts when it (or the live diagram) comes into view."""
    visit = open_page(browser, f"{hosted}lstm/", viewport={"width": 375, "height": 667})
    page = visit.page
    page.wait_for_timeout(1000)
    state = page.eval_on_selector(".rnn-stepper", "p => p.dataset.stepperState || null")
    loaded = page.evaluate(
        "() => performance.getEntriesByType('resource').some(r => /data\\/lstm\\.js/.test(r.name))"
    )
    start_panel(page)
    problems = close(visit)
    assert state is None and not loaded, f"the panel started before it was seen ({state})"
    assert not problems, problems


def test_panel_starts_after_instant_navigation(browser, hosted):
    visit = open_panel(browser, f"{hosted}lstm/")
    page = visit.page
    page.evaluate("() => { window.sameDocument = true; }")
    page.evaluate("() => document.querySelector('a.md-nav__link[href$=\"gru/\"]').click()")
    page.wait_for_url("**/gru/")
    start_panel(page, "gru")
    same = page.evaluate("() => window.sameDocument === true")
    problems = close(visit)
    assert same, (
        "the click reloaded the page: instant navigation is off, so this test proves nothing"
    )
    assert not problems, problems


# --- the live cell diagram (issue 15) and the panel on a phone (issue 12) ---------------------

LIVE = {"simple-rnn": "rnn", "stacked-rnn": "double_all", "lstm": "lstm3", "gru": "gru"}


def fmt2(x: float) -> str:
    """As the diagram prints a unit's value: 2 decimals, a true minus, no -0.00."""
    s = f"{x:.2f}"
    if float(s) == 0:
        s = s.lstrip("-")
    return s.replace("-", "\u2212")


def diagram_pills(page) -> dict[str, str]:
    pills = page.eval_on_selector_all(
        "svg.diagram--live .live-pill",
        "ps => ps.map(p => [p.dataset.key, p.querySelector('text').textContent])",
    )
    shown: dict[str, str] = {}
    for key, text in pills:
        assert shown.setdefault(key, text) == text, f"{key} shows two different values"
    return shown


@pytest.mark.parametrize("slug", sorted(LIVE))
def test_live_diagram_shows_the_values_of_the_selected_step(browser, hosted, site, slug):
    """The pills on the diagram are the panel's values of the step, and both are the gate
    equations' values (numpy, here); the chosen unit alone when the reader picks one. Part C's
    diagram also shows the second layer's states and the output, which is rnnCompute's."""
    visit = open_panel(browser, f"{hosted}{slug}/")
    page = visit.page
    _, model = panel_model(page, site)
    xs = np.array(model["input"][0])
    traces, y = expected_run(model, xs)
    steps = traces[0]
    t = 2
    set_step(page, t)
    expected = {key: value for key, value in steps[t].items()}
    expected["x"] = xs[t]
    expected["h_prev"] = steps[t - 1]["h"]
    if "c" in steps[t]:
        expected["c_prev"] = steps[t - 1]["c"]
    panel_keys = {"x": "x", "h2": "1.h", "y": "y"}
    if slug == "stacked-rnn":  # the second layer and the output layer
        expected["h2"] = traces[1][t]["h"]
        expected["h2_prev"] = traces[1][t - 1]["h"]
        expected["y"] = y[t]
    computed = np.array(compute(page, slug, model["name"], [xs.tolist()]))[0]
    # stepping through time set the state lines flowing (every one of them)
    wires = page.eval_on_selector_all(
        "svg.diagram--live [data-wire]", "ws => ws.map(w => w.classList.contains('live-flow'))"
    )
    shown = diagram_pills(page)
    panel = step_values(page)
    page.select_option(".rnn-stepper__unitchooser", "1")
    one_unit = diagram_pills(page)
    units = max(len(steps[0]["h"]) for steps in traces)
    chooser = page.eval_on_selector_all(".rnn-stepper__unitchooser option", "os => os.length")
    last_unit = {}
    if chooser == units + 1:
        page.select_option(".rnn-stepper__unitchooser", str(units - 1))
        last_unit = diagram_pills(page)
    svg = page.eval_on_selector("svg.diagram--live", "s => s.dataset.diagram")
    problems = close(visit)
    assert svg == LIVE[slug]
    assert wires and all(wires), wires
    assert chooser == units + 1, f"{chooser} options: every unit, then each of the widest layer"
    assert set(shown) == set(expected), f"the diagram shows {sorted(shown)}"
    for key, values in expected.items():
        assert shown[key] == " ".join(fmt2(v) for v in values), key
        assert one_unit[key] == fmt2(values[1]), f"{key}, unit 2"
        # the last unit of the widest layer (Part C: the second): a dash where there is none
        last = fmt2(values[units - 1]) if len(values) >= units else "\u2013"
        assert last_unit[key] == last, f"{key}, unit {units}"
        panel_key = panel_keys.get(key, f"0.{key}")
        if panel_key in panel:  # the panel shows the same numbers, at 4 decimals
            assert np.allclose(panel[panel_key], values, atol=1e-6), key
    if "y" in expected:  # the diagram's output is rnnCompute's, and the panel's
        assert np.allclose(computed[t], expected["y"], atol=TOLERANCE)
        assert shown["y"] == " ".join(fmt2(v) for v in computed[t])
        assert np.allclose(panel["y"], computed[t], atol=1e-6)
        assert "1.h" in panel, "the panel shows the second layer's state"
    assert not problems, problems


@pytest.mark.parametrize("slug", sorted(LIVE))
def test_live_diagram_labels_are_legible_on_a_phone(browser, hosted, slug):
    """At 375 px the live diagram keeps its width and scrolls in its own box: its labels and
    values are at least 11 px, subscripts (70 % of a label) at least 10 px."""
    visit = open_panel(browser, f"{hosted}{slug}/", viewport={"width": 375, "height": 740})
    set_step(visit.page, 1)
    sizes = visit.page.evaluate("""() => {
        const svg = document.querySelector('svg.diagram--live');
        svg.scrollIntoView();
        const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
        const size = (sel) => Math.min(...[...svg.querySelectorAll(sel)]
          .map(t => parseFloat(getComputedStyle(t).fontSize) * scale));
        return { labels: size('text'), values: size('.live-value'),
                 subscripts: size('tspan[baseline-shift]') };
    }""")
    problems = close(visit)
    assert sizes["labels"] >= 11 and sizes["values"] >= 11, sizes
    assert sizes["subscripts"] >= 10, sizes
    assert not problems, problems


def test_panel_scripts_load_only_on_pages_with_a_panel(site):
    pages = sorted(site.glob("**/index.html"))
    assert len(pages) > 5
    for page in pages:
        text = page.read_text(encoding="utf-8")
        has_panel = 'class="rnn-stepper"' in text
        for script in ("stepper-compute.js", "stepper-diagram.js", "stepper.js"):
            assert (f"javascripts/{script}" in text) == has_panel, (
                f"{page.relative_to(site)}: {script} {'missing' if has_panel else 'loaded'}"
            )
        # the cell diagram is inline where a panel can drive it (and still described)
        if has_panel and "/lstm/" in page.as_posix():
            assert '<svg xmlns="http://www.w3.org/2000/svg"' in text
            assert 'class="diagram diagram--live" data-diagram="lstm3"' in text


@pytest.mark.parametrize("width", [320, 375])
def test_panel_is_usable_on_a_phone(browser, hosted, width):
    """16 px inputs (no zoom on tap), 44 px controls, the output column in view."""
    visit = open_panel(browser, f"{hosted}lstm/", viewport={"width": width, "height": 740})
    sizes = visit.page.evaluate("""() => {
        const p = document.querySelector('.rnn-stepper');
        const h = (s) => [...p.querySelectorAll(s)].map(e => e.getBoundingClientRect().height);
        return {
          font: [...p.querySelectorAll('input[type=text], select')].map(e => getComputedStyle(e).fontSize),
          controls: h('button').concat(h('input[type=range]'), h('select'), h('input.rnn-stepper__x')),
          y: [...p.querySelectorAll('td.rnn-stepper__y')].map(e => e.getBoundingClientRect().right),
          grid: p.querySelector('.rnn-stepper__grid').getBoundingClientRect().right,
        };
    }""")
    problems = close(visit)
    assert set(sizes["font"]) == {"16px"}, sizes["font"]
    assert min(sizes["controls"]) >= 44, sizes["controls"]
    assert sizes["y"] and max(sizes["y"]) <= min(width, sizes["grid"]), sizes
    assert not problems, problems


def test_stale_results_go_grey_and_zero_steps_clear(browser, hosted):
    visit = open_panel(browser, f"{hosted}gru/")
    page = visit.page
    page.fill(CELL.format(t=0, j=1), "abc")
    stale = page.eval_on_selector(PANEL, "p => p.classList.contains('rnn-stepper--stale')")
    page.fill(CELL.format(t=0, j=1), "1")
    fresh = page.eval_on_selector(PANEL, "p => p.classList.contains('rnn-stepper--stale')")
    remove = ".rnn-stepper button:has-text('Remove the last step')"
    while page.eval_on_selector_all(".rnn-stepper tbody tr[data-t]", "rs => rs.length"):
        page.click(remove)
    empty = page.evaluate("""() => ({
        chart: document.querySelector('.rnn-stepper__chart').children.length,
        values: document.querySelector('.rnn-stepper__values').textContent,
        pills: document.querySelectorAll('svg.diagram--live .live-pill').length })""")
    problems = close(visit)
    assert stale and not fresh
    assert empty == {"chart": 0, "values": "", "pills": 0}, empty
    assert not problems, problems


# --- Part F: Masking, Bidirectional, return_state, initial states (issue 15 point 3) ----------


def part_f_inputs(model: dict, seed: int) -> list[dict]:
    """Random entries of several lengths (and batch sizes) for a Part F model: masked time
    steps for a Masking model, random initial states for a model that takes them."""
    rng = np.random.default_rng(seed)
    m = np.asarray(model["input"]).shape[-1]
    masking = any(layer["class_name"] == "Masking" for layer in model["layers"])
    entries = []
    for T in (1, 4, 9, 16):
        k = int(rng.integers(1, 4))
        x = rng.uniform(-2, 2, size=(k, T, m)).astype(np.float32).astype(np.float64)
        if masking:
            x[:, 1::3] = model["layers"][1]["config"]["mask_value"]
        entry = {**model, "input": x.tolist()}
        if "initial_state" in model:
            n = len(model["initial_state"][0][0])
            entry["initial_state"] = [
                rng.uniform(-1, 1, size=(k, n)).astype(np.float32).astype(np.float64).tolist()
                for _ in model["initial_state"]
            ]
        entries.append(entry)
    return entries


def test_rnncompute_runs_every_part_f_model(browser, hosted, site):
    """Every model of layer-options.json: its published input gives Keras's output, and random
    inputs of several lengths give the numpy replay's output, within 1e-5."""
    data = load_data(site, "layer-options")
    kinds = {layer["class_name"] for model in data["models"] for layer in model["layers"]}
    assert {"Masking", "Bidirectional"} <= kinds
    assert any("initial_state" in model for model in data["models"])
    visit = open_page(browser, f"{hosted}layer-options/")
    page = visit.page
    page.wait_for_function("() => window.rnnCompute")
    problems = []
    for index, model in enumerate(data["models"]):
        got = compute(page, "layer-options", model["name"], model["input"])
        diff = max_diff(model, got, model["output"])
        if diff > TOLERANCE:
            problems.append(f"{model['name']}: {diff:.2e} from model.predict")
        for entry in part_f_inputs(model, seed=7000 + index):
            options = {"initialState": entry["initial_state"]} if "initial_state" in entry else None
            got = page.evaluate(
                "([name, x, o]) => window.rnnCompute('layer-options', name, x, o || undefined)",
                [model["name"], entry["input"], options],
            )
            diff = max_diff(model, got, replay(entry))
            if diff > TOLERANCE:
                shape = np.asarray(entry["input"]).shape
                problems.append(f"{model['name']}: {diff:.2e} from the replay, input {shape}")
    problems += close(visit)
    assert not problems, "\n".join(problems)


def test_part_f_panel_shows_keras_output_for_every_model(browser, hosted, site):
    """The Part F panel, for each model of the chooser: the grid's y (or the last step's values)
    is the published Keras output of the first sequence."""
    data = load_data(site, "layer-options")
    visit = open_panel(browser, f"{hosted}layer-options/")
    page = visit.page
    names = page.eval_on_selector_all(
        ".rnn-stepper__model select option", "os => os.map(o => o.value)"
    )
    assert names == [model["name"] for model in data["models"]]
    for model in data["models"]:
        page.select_option(".rnn-stepper__model select", model["name"])
        page.wait_for_selector(
            f".rnn-stepper[data-model={model['name']}] .rnn-stepper__values tbody"
        )
        output = model["output"][0] if returns_state(model) else model["output"]
        first = np.asarray(output[0])
        T = len(model["input"][0])
        if first.ndim == 2:  # a sequence: the grid shows it
            assert shown_y(page) == [[fmt(v) for v in row] for row in first], model["name"]
        else:  # the last step: the values of the last time step show it
            set_step(page, T - 1)
            shown = step_values(page)
            assert np.allclose(shown["y"] if "y" in shown else shown["0.h"], first, atol=1e-5)
        masked = page.eval_on_selector_all(
            ".rnn-stepper tbody tr.rnn-stepper__row--masked", "rs => rs.map(r => r.dataset.t)"
        )
        if any(layer["class_name"] == "Masking" for layer in model["layers"]):
            x = np.asarray(model["input"][0])
            assert masked == [str(t) for t in range(T) if np.all(x[t] == 0)], masked
            assert masked, "the page's input of the Masking model has no masked step"
        else:
            assert masked == []
    problems = close(visit)
    assert not problems, problems


def test_part_f_panel_initial_states_are_editable(browser, hosted, site):
    model = next(
        m for m in load_data(site, "layer-options")["models"] if m["name"] == "lstm_initial_state"
    )
    visit = open_panel(browser, f"{hosted}layer-options/")
    page = visit.page
    page.select_option(".rnn-stepper__model select", model["name"])
    page.wait_for_selector(".rnn-stepper input.rnn-stepper__state")
    page.fill(".rnn-stepper input.rnn-stepper__state[data-s='0'][data-j='1']", "0.5")
    states = [np.asarray(s)[:1].copy() for s in model["initial_state"]]
    states[0][0, 1] = 0.5
    entry = {**model, "input": model["input"][:1], "initial_state": [s.tolist() for s in states]}
    expected = np.asarray(replay(entry))[0]
    shown = shown_y(page)
    problems = close(visit)
    assert shown == [[fmt(v) for v in row] for row in expected]
    assert not problems, problems


def test_a_gate_of_the_live_diagram_highlights_its_symbols(browser, hosted):
    # (lstm: see also test_a_gate_highlights_exactly_its_block_of_the_weight_tables)
    """Focusing the forget gate (keyboard) highlights f_t in the equations and tables, and
    nothing else; Enter toggles it off."""
    visit = open_panel(browser, f"{hosted}lstm/")
    page = visit.page
    page.focus("svg.diagram--live .live-gate[data-gate=f]")
    marked = page.eval_on_selector_all(
        ".live-emph", "es => es.map(e => [...e.classList].filter(c => c.startsWith('c-')))"
    )
    pressed = page.get_attribute("svg.diagram--live .live-gate[data-gate=f]", "aria-pressed")
    page.keyboard.press("Enter")
    after = page.eval_on_selector_all(".live-emph", "es => es.length")
    problems = close(visit)
    assert len(marked) >= 3, "f_t appears in the equations and the weight tables"
    assert all(classes == ["c-f"] for classes in marked), marked
    assert pressed == "true" and after == 0
    assert not problems, problems


# The gate each chapter's test focuses, the class of its symbols in the equations, and the
# weight tables of its block: the size of the block, in cells, from the model's weights.
GATE_BLOCKS = {
    "simple-rnn": ("tanh", "g-tanh"),
    "stacked-rnn": ("tanh2", "g-tanh2"),
    "lstm": ("o", "c-o"),
    "gru": ("r", "c-r"),
}


def block_cells(model: dict, slug: str) -> int:
    """Cells of the gate's block of the weight tables: one column per unit of the gate, one
    header row, and a row per input, per previous state and per bias row (GRU: two)."""
    recurrent = [layer for layer in model["layers"] if "recurrent_kernel" in layer["weights"]]
    layer = recurrent[1] if slug == "stacked-rnn" else recurrent[0]
    m, units = np.array(layer["weights"]["kernel"]).shape
    n = np.array(layer["weights"]["recurrent_kernel"]).shape[0]
    bias_rows = np.array(layer["weights"]["bias"]).reshape(-1, units).shape[0]
    if layer["class_name"] == "SimpleRNN":  # three tables, W_x, W_h and b_h: a header each
        return (m + n + bias_rows + 3) * n
    return (m + n + bias_rows + 1) * n  # one table: the gate's columns of all three


@pytest.mark.parametrize("slug", sorted(GATE_BLOCKS))
def test_a_gate_highlights_exactly_its_block_of_the_weight_tables(browser, hosted, site, slug):
    """Focusing a gate (the tanh box of a SimpleRNN) highlights its symbols in the equations
    and exactly its block of the weight tables, framed as one block; another gate moves it."""
    gate, css = GATE_BLOCKS[slug]
    visit = open_panel(browser, f"{hosted}{slug}/")
    page = visit.page
    _, model = panel_model(page, site)
    page.focus(f"svg.diagram--live .live-gate[data-gate={gate}]")
    found = page.evaluate(
        """(css) => {
        const on = [...document.querySelectorAll('.live-block--on')];
        const frame = (e) => getComputedStyle(e).boxShadow;
        return {
          blocks: [...new Set(on.map(e => e.dataset.block))],
          cells: on.length,
          tables: new Set(on.map(e => e.closest('table'))).size,
          rowLabels: on.filter(e => e.cellIndex === 0).length,
          marked: document.querySelectorAll(`[data-block="${css}"]`).length,
          equations: document.querySelectorAll(`mjx-container .${css}.live-emph`).length,
          others: [...document.querySelectorAll('.live-emph')].filter(e => !e.classList.contains(css)).length,
          edge: on.filter(e => e.classList.contains('live-block--l')).map(frame),
          inner: on.filter(e => !/live-block--[lrtb]/.test(e.className)).map(frame),
          tint: on.length ? getComputedStyle(on[0]).backgroundColor : null,
        };
    }""",
        css,
    )
    gates = page.eval_on_selector_all(".live-gate", "gs => gs.map(g => g.dataset.gate)")
    others = [g for g in gates if g != gate]
    if others:  # another gate takes the highlight over
        page.focus(f"svg.diagram--live .live-gate[data-gate={others[0]}]")
    else:  # Part B's one tanh box: Enter toggles it off
        page.keyboard.press("Enter")
    after = page.eval_on_selector_all(
        ".live-block--on", "es => [...new Set(es.map(e => e.dataset.block))]"
    )
    problems = close(visit)
    size = block_cells(model, slug)
    assert found["blocks"] == [css], found["blocks"]
    assert found["cells"] == size == found["marked"], (found["cells"], size, found["marked"])
    assert found["tables"] == (3 if gate.startswith("tanh") else 1)
    assert found["rowLabels"] == 0, "the row labels are not part of the block"
    assert found["equations"] >= 1, "the gate's symbols in the equations"
    assert found["others"] == 0, "only the gate's own symbols"
    # framed (not by colour alone): a 3 px edge on the border cells, none inside; tinted
    assert found["edge"] and all("3px" in shadow for shadow in found["edge"]), found["edge"]
    assert all("3px" not in shadow for shadow in found["inner"]), found["inner"][:2]
    assert found["tint"] not in (None, "rgba(0, 0, 0, 0)")
    assert css not in after and bool(after) == bool(others), after
    assert not problems, problems
