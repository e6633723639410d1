"""What an example script hands to its chapter page.

Every example imports this module. It does three things:

* ``setup()`` fixes every seed, so that two runs publish the same numbers;
* ``table``, ``matrix``, ``value``, ``text`` and ``check_replay`` publish *named outputs*:
  Markdown snippets that the chapter includes with ``{{ name }}``;
* ``model`` records a trained model (its layers, weights, an input and ``model.predict`` of
  it) for the chapter's data file ``data/<slug>.json``.

Run as plain Python (``python examples/time_distributed.py``), outputs are printed. During a
site build, ``sitebuild.cells`` installs a sink that stores them instead.
"""

from __future__ import annotations

import numpy as np

TOLERANCE = 1e-5
"""Largest ``max |replay - predict|`` a chapter may publish."""

DIGITS = 4
"""Decimals shown in tables."""


class ReplayMismatch(AssertionError):
    """A numpy replay disagrees with ``model.predict``."""


def _print_sink(name: str, markdown: str) -> None:
    print(f"[{name}]\n{markdown}\n")


_sink = _print_sink
_models: list[dict] = []


def setup(seed: int = 0) -> None:
    """Seed Python, NumPy and TensorFlow, and make TensorFlow's kernels deterministic."""
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()


# --- formatting --------------------------------------------------------------------------


def fmt(x: float, digits: int = DIGITS) -> str:
    """A number as the site shows it: fixed decimals, a true minus sign, no ``-0.0000``."""
    s = f"{float(x):.{digits}f}"
    if float(s) == 0:
        s = s.lstrip("-")
    return s.replace("-", "\u2212")


def vector(v, digits: int = 3) -> str:
    """A row vector as the tables show it in one cell: ``(0.123, −0.456, ...)``."""
    return "(" + ", ".join(fmt(x, digits) for x in np.ravel(v)) + ")"


def _markdown_table(header: list[str], rows: list[list[str]], numeric: bool = True) -> str:
    """A Markdown table; numeric tables right-align every column but the first."""
    align = [":--" if i == 0 or not numeric else "--:" for i in range(len(header))]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(align) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def _publish(name: str, markdown: str) -> str:
    if not name.isidentifier():
        raise ValueError(f"output name {name!r} must be a Python identifier")
    _sink(name, markdown)
    return markdown


# --- outputs -----------------------------------------------------------------------------


def table(name: str, columns: dict[str, list], digits: int = DIGITS) -> str:
    """Publish a table given as ``{column header: values}``; numbers are formatted.

    Headers may contain inline math (``"$x_t$"``). Values that are not numbers (labels) are
    shown as they are.
    """
    header = list(columns)
    lengths = {len(v) for v in columns.values()}
    if len(lengths) != 1:
        raise ValueError(f"table {name!r}: columns have different lengths {sorted(lengths)}")
    cells = [[v if isinstance(v, str) else fmt(v, digits) for v in col] for col in columns.values()]
    return _publish(name, _markdown_table(header, [list(r) for r in zip(*cells)]))


def text_table(name: str, columns: dict[str, list[str]]) -> str:
    """Publish a table of text cells (labels, formulas, vectors), every column left-aligned."""
    lengths = {len(v) for v in columns.values()}
    if len(lengths) != 1:
        raise ValueError(f"table {name!r}: columns have different lengths {sorted(lengths)}")
    return _publish(
        name,
        _markdown_table(list(columns), [list(r) for r in zip(*columns.values())], numeric=False),
    )


def matrix(
    name: str,
    array,
    row_labels: list[str],
    col_labels: list[str],
    corner: str = "",
    digits: int = DIGITS,
) -> str:
    """Publish a 1-D or 2-D array as a table with labelled rows and columns.

    A 1-D array is shown as one row. The labels must match the array's shape: the check keeps
    text and tables consistent.
    """
    a = np.asarray(array, dtype=float)
    if a.ndim == 1:
        a = a[np.newaxis, :]
    if a.shape != (len(row_labels), len(col_labels)):
        raise ValueError(
            f"matrix {name!r}: array of shape {np.shape(array)} but "
            f"{len(row_labels)} row and {len(col_labels)} column labels"
        )
    rows = [[label] + [fmt(v, digits) for v in row] for label, row in zip(row_labels, a)]
    return _publish(name, _markdown_table([corner] + col_labels, rows))


def value(name: str, x, digits: int | None = None) -> str:
    """Publish one value for use inside a sentence: ints as they are, floats with ``digits``."""
    if isinstance(x, (int, np.integer)):
        text = str(int(x))
    elif isinstance(x, str):
        text = x
    else:
        text = fmt(x, DIGITS if digits is None else digits)
    return _publish(name, text)


def probe(name: str, verdict: str) -> str:
    """Publish the verdict of a probe of Keras behaviour, e.g. ``probe("probe_td_predict", "wrong")``.

    A probe is code in an example that checks, at build time, a claim the page makes about
    Keras (a bug, a default, a difference between methods). Its name starts with ``probe_``, so
    that a comparison of two builds (other Keras versions) can list the verdicts that changed.
    The verdict is a short word or phrase that the page can include or branch on.
    """
    if not name.startswith("probe_"):
        raise ValueError(f"probe name {name!r} must start with 'probe_'")
    if not isinstance(verdict, str) or not verdict:
        raise ValueError(f"probe {name!r}: the verdict must be a non-empty string")
    return _publish(name, verdict)


def shape(name: str, array) -> str:
    """Publish an array's shape as Python writes it, e.g. ``(256, 6, 2)``, in code style."""
    return _publish(name, f"`{tuple(int(d) for d in np.shape(array))}`")


def text(name: str, content: str, code: str | None = None) -> str:
    """Publish text as it is, or as a fenced code block when ``code`` names a language."""
    if code is not None:
        content = f"```{code}\n{content.rstrip()}\n```"
    return _publish(name, content)


def array_text(a, digits: int = 6) -> str:
    """A NumPy array printed with fixed decimals, as in a Python session."""
    with np.printoptions(precision=digits, floatmode="fixed", suppress=True):
        return repr(np.asarray(a))


def check_replay(name: str, replay, predicted, tolerance: float = TOLERANCE) -> float:
    """Compare a numpy replay with ``model.predict``; publish and return the max abs difference.

    Raises ``ReplayMismatch`` (and so fails the site build) above ``tolerance``, or when the
    shapes differ.
    """
    replay, predicted = np.asarray(replay), np.asarray(predicted)
    if replay.shape != predicted.shape:
        raise ReplayMismatch(
            f"{name}: replay has shape {replay.shape}, model.predict has shape {predicted.shape}"
        )
    diff = float(np.max(np.abs(replay.astype(np.float64) - predicted.astype(np.float64))))
    print(f"{name}: max |replay - predict| = {diff:.1e}")
    if not diff <= tolerance:
        raise ReplayMismatch(
            f"{name}: replay differs from model.predict by {diff:.3e} (tolerance {tolerance:.0e})"
        )
    _publish(name, f"{diff:.1e}".replace("-", "\u2212"))
    return diff


# --- reader data -------------------------------------------------------------------------


def _nested(a) -> list:
    return np.asarray(a).tolist()


def _layer_entry(model_name: str, layer, torch=None) -> dict:
    """A layer as the data file records it: class, config and weights by variable name. A
    ``Bidirectional`` layer records its two layers, each in this form, as ``forward`` and
    ``backward`` (their weights have the same names). ``torch``: see ``model``."""
    entry = _keras_layer_entry(model_name, layer)
    twin = torch(layer) if torch is not None else None
    if twin is not None:
        entry["torch"] = {
            **twin,
            "state_dict": {key: _nested(a) for key, a in twin["state_dict"].items()},
        }
    return entry


def _keras_layer_entry(model_name: str, layer) -> dict:
    if type(layer).__name__ == "Bidirectional":
        return {
            "class_name": "Bidirectional",
            "config": layer.get_config(),
            "weights": {},
            "forward": _layer_entry(model_name, layer.forward_layer),
            "backward": _layer_entry(model_name, layer.backward_layer),
        }
    weights = {}
    for variable in layer.weights:
        if variable.name in weights:
            raise ValueError(
                f"model {model_name!r}: layer {layer.name} has two weights named {variable.name!r}"
            )
        weights[variable.name] = _nested(variable.numpy())
    return {"class_name": type(layer).__name__, "config": layer.get_config(), "weights": weights}


def _outputs(output):
    outputs = list(output) if isinstance(output, (list, tuple)) else [output]
    return _nested(outputs[0]) if len(outputs) == 1 else [_nested(o) for o in outputs]


def model(name: str, keras_model, inputs, initial_state=None, next_inputs=None, torch=None):
    """Record ``keras_model`` for the chapter's data file; return ``keras_model.predict(inputs)``.

    The entry holds every layer's class, config and weights (by variable name), the input and
    the prediction, so that a reader can replay the model without Keras.

    ``initial_state``: for a model that takes the initial states of its recurrent layer as
    extra inputs (``layer(x, initial_state=[h0, ...])``, the states being ``keras.Input``
    too): the state arrays, passed to ``predict`` after ``inputs`` and recorded as
    ``"initial_state"``.

    ``next_inputs``: for a stateful model, the inputs of the calls that follow the first one,
    predicted in turn, so that the states carry over; recorded with their predictions as
    ``"next_inputs"`` and ``"next_outputs"``. The first call starts from zero states, and the
    states the layers held before are put back afterwards: the model is left as it was found.
    Returns the list of the predictions of all the calls.

    An example predicts in its own code, as a reader would (``model.predict(x)``), and records
    the model with a statement of its own, ``publish.model(name, model, x)``, that the notebook
    page leaves out; the prediction recorded is computed again here, from the same input.

    ``torch``: a function of a Keras layer that returns its ``torch.nn`` twin,
    ``{"class_name", "kwargs", "state_dict"}`` (arrays), or ``None`` when it has none; each
    layer entry with a twin carries it as ``"torch"`` (Part H, ``examples/keras_torch.py``).
    """
    inputs = np.asarray(inputs, dtype=np.float32)
    entry = {
        "name": name,
        "layers": [_layer_entry(name, layer, torch) for layer in keras_model.layers],
        "input": _nested(inputs),
    }
    if initial_state is not None:
        initial_state = [np.asarray(s, dtype=np.float32) for s in initial_state]
        entry["initial_state"] = [_nested(s) for s in initial_state]
    stateful = [layer for layer in keras_model.layers if getattr(layer, "stateful", False)]
    held = [[state.numpy() for state in layer.states] for layer in stateful]
    for layer in stateful:
        layer.reset_state()
    output = keras_model.predict(
        inputs if initial_state is None else [inputs, *initial_state], verbose=0
    )
    entry["output"] = _outputs(output)
    if next_inputs is not None:
        next_inputs = [np.asarray(x, dtype=np.float32) for x in next_inputs]
        next_outputs = [keras_model.predict(x, verbose=0) for x in next_inputs]
        entry["next_inputs"] = [_nested(x) for x in next_inputs]
        entry["next_outputs"] = [_outputs(o) for o in next_outputs]
        output = [output, *next_outputs]
    for layer, states in zip(stateful, held):
        for variable, value in zip(layer.states, states):
            variable.assign(value)
    _models.append(entry)
    return output


def recorded_models() -> list[dict]:
    """The model entries recorded so far (read by the site build)."""
    return list(_models)


# --- training (Part G) -------------------------------------------------------------------


def check_arrays(name: str, computed: dict, reference: dict, tolerance: float = TOLERANCE) -> float:
    """Compare arrays computed by hand (a numpy gradient, an optimizer replay) with Keras's,
    key by key; publish and return the largest absolute difference.

    Raises ``ReplayMismatch`` (and so fails the site build) above ``tolerance``, when a key is
    missing on either side, or when two shapes differ.
    """
    if set(computed) != set(reference):
        raise ReplayMismatch(
            f"{name}: computed {sorted(computed)} but Keras has {sorted(reference)}"
        )
    diff = 0.0
    for key in reference:
        ours, theirs = np.asarray(computed[key]), np.asarray(reference[key])
        if ours.shape != theirs.shape:
            raise ReplayMismatch(
                f"{name}: {key} has shape {ours.shape}, Keras's has shape {theirs.shape}"
            )
        if ours.size:
            gap = float(np.max(np.abs(ours.astype(np.float64) - theirs.astype(np.float64))))
            if not gap <= tolerance:  # also catches NaN
                raise ReplayMismatch(
                    f"{name}: {key} differs from Keras's by {gap:.3e} (tolerance {tolerance:.0e})"
                )
            diff = max(diff, gap)
    print(f"{name}: max |computed - Keras| = {diff:.1e}")
    _publish(name, f"{diff:.1e}".replace("-", "\u2212"))
    return diff


def training_step(name: str, keras_model, target, loss_value, gradients) -> dict:
    """Add one training step to the entry ``name`` already recorded with ``model()``.

    Call it after the optimizer step (``train_on_batch``) on the batch recorded as the
    entry's ``input``. It adds ``"target"`` (the batch's target), ``"loss"`` (``{"name",
    "reduction"}`` of the compiled loss, a ``keras.losses.Loss``), ``"loss_value"`` and
    ``"optimizer"`` (``{"class_name", "config"}``); and to each layer entry, next to
    ``"weights"`` and with the same keys, ``"gradients"`` (``gradients`` lists the gradient
    of each of ``keras_model.trainable_variables``, in that order) and ``"weights_after"``
    (the variables as they are now).
    """
    entry = next((e for e in _models if e["name"] == name), None)
    if entry is None:
        raise ValueError(f"training_step: no model {name!r} recorded; call publish.model first")
    loss = keras_model.loss
    if not hasattr(loss, "reduction"):
        raise ValueError(f"model {name!r}: compile it with a keras.losses.Loss, not {loss!r}")
    variables = list(keras_model.trainable_variables)
    if len(gradients) != len(variables):
        raise ValueError(
            f"model {name!r}: {len(gradients)} gradients for {len(variables)} variables"
        )
    by_path = {v.path: np.asarray(g) for v, g in zip(variables, gradients)}
    for layer, layer_entry in zip(keras_model.layers, entry["layers"]):
        layer_entry["gradients"] = {v.name: _nested(by_path[v.path]) for v in layer.weights}
        layer_entry["weights_after"] = {v.name: _nested(v.numpy()) for v in layer.weights}
    optimizer = keras_model.optimizer
    config = {
        k: (float(v) if isinstance(v, np.floating) else v)
        for k, v in optimizer.get_config().items()
    }
    entry.update(
        {
            "target": _nested(np.asarray(target, dtype=np.float32)),
            "loss": {"name": loss.name, "reduction": loss.reduction},
            "loss_value": float(loss_value),
            "optimizer": {"class_name": type(optimizer).__name__, "config": config},
        }
    )
    return entry
