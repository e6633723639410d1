"""Part A: the words of the TimeDistributed bug box, generated from what the probe observed.

`examples/time_distributed.py` runs each method on fresh copies of its model and hands the
results here; ``verdict`` names each result and ``box`` writes the admonition the page shows,
for either outcome (the bug present, or fixed), so that the page follows the installed Keras.
"""

from __future__ import annotations

import importlib
import inspect

import numpy as np

import publish

CAUSE_FILE = "keras/src/layers/rnn/time_distributed.py"
CAUSE_CODE = "ops.arange(input_shape[0])"


def verdict(result, expected) -> str:
    """``right``, ``wrong shape `(…)` ``, ``wrong values`` or the class name of the error.

    ``result`` is an array (``predict``), a number (``evaluate``: the loss against targets
    equal to the exact outputs, so 0 when right) or an exception."""
    if isinstance(result, Exception):
        return type(result).__name__
    result = np.asarray(result)
    if result.ndim == 0:
        return "right" if float(result) <= publish.TOLERANCE else "wrong values"
    if result.shape != expected.shape:
        return f"wrong shape `{result.shape}`"
    if np.max(np.abs(result - expected)) > publish.TOLERANCE:
        return "wrong values"
    return "right"


def cause_line() -> int:
    """The line of the installed Keras source that maps over the batch size."""
    module = importlib.import_module("keras.src.layers.rnn.time_distributed")
    lines = inspect.getsource(module).splitlines()
    return next(i for i, line in enumerate(lines, start=1) if CAUSE_CODE in line)


def _label(name: str) -> str:
    """``predict`` as `` `predict` ``; ``predict, Dense alone`` as `` `predict`, Dense alone ``."""
    code, _, rest = name.partition(", ")
    return f"`{code}`" + (f", {rest}" if rest else "")


def _names(names: list[str]) -> str:
    quoted = [_label(n) for n in names]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " and " + quoted[-1]


def _cell(v: str) -> str:
    """A verdict as a short table cell: ``right``, the wrong shape, ``wrong values``, ``error``."""
    if v.startswith("wrong shape"):
        return v.removeprefix("wrong shape ")
    return "error" if _is_error(v) else v


def _is_error(v: str) -> bool:
    return not v.startswith(("right", "wrong"))


def box(verdicts, results, shapes, keras_version: str, backend: str) -> str:
    """The admonition: the table of verdicts, then what is affected, what is safe, the cause."""
    title = f"`TimeDistributed` and a new sequence length, Keras {keras_version}, {backend} backend"
    table = publish._markdown_table(
        ["method", *[f"`{s}`" for s in shapes]],
        [[_label(name), *map(_cell, v)] for name, v in verdicts.items()],
        numeric=False,
    )
    affected = [name for name, v in verdicts.items() if set(v) != {"right"}]
    safe = [name for name, v in verdicts.items() if set(v) == {"right"}]
    intro = (
        "Each method ran on a fresh copy of the trained model, on inputs of the shapes of the "
        "columns, $(k, l, m)$, in that order. A cell says *right*, or the shape that came back "
        "when it was wrong, or *error* when the call raised."
    )
    if not affected:
        return _admonition(
            "success",
            title,
            [
                intro,
                table,
                f"Every method returned the right shape and values at every length: "
                f"{_names(safe)}. (Keras 3.15.1 replaced the time axis by the batch size once "
                "`predict` had run at another length; this Keras does not.)",
            ],
        )
    first_right = all(verdicts[name][0] == "right" for name in affected)
    body = [
        intro,
        table,
        f"**Affected:** {_names(affected)}, on the {backend} backend (the one this build "
        "runs; other backends are not run here)."
        + (
            " Each is right at the first length it sees, and goes wrong at the next."
            if first_right
            else ""
        ),
    ]
    wrong = [
        (r, s)
        for name in affected
        for r, s, v in zip(results[name], shapes, verdicts[name])
        if v.startswith("wrong shape")
    ]
    if wrong and all(np.shape(r)[1] == s[0] for r, s in wrong):
        body.append(
            "**Wrong shapes:** the time axis of the output is **replaced by the batch size**: "
            "$k$ time steps come out instead of $l$."
        )
    # methods that raised, grouped by where and what
    groups: dict[tuple, list[str]] = {}
    for name in affected:
        at = tuple(s for s, v in zip(shapes, verdicts[name]) if _is_error(v))
        errors = tuple(sorted({v for v in verdicts[name] if _is_error(v)}))
        if at:
            groups.setdefault((at, errors), []).append(name)
    crashes = []
    for (at, errors), names in groups.items():
        where = ", ".join(f"`{s}`" for s in at)
        verb = "raises" if len(names) == 1 else "raise"
        if all(s[0] > s[1] for s in at):
            reason = f"when the batch is larger than the number of time steps, $k > l$ ({where})"
        else:
            reason = f"at every length after the first ({where})"
        crashes.append(f"{_names(names)} {verb} {_names(list(errors))} {reason}.")
    if crashes:
        body.append("**Errors:** " + " ".join(crashes))
    if safe:
        body.append(f"**Safe:** {_names(safe)}: right at every length.")
    body.append(
        f"**Cause:** `{CAUSE_FILE}`, line {cause_line()}. When a call comes at a second "
        "length, Keras traces its function again with the number of time steps left open "
        "(`reduce_retracing=True`); the layer then maps its Dense over "
        f"`{CAUSE_CODE}`, and `input_shape` was read before the inputs were transposed to put "
        "time first: `input_shape[0]` is the batch size, not the number of time steps."
    )
    return _admonition("bug", title, body)


def _admonition(kind: str, title: str, paragraphs: list[str]) -> str:
    """A Material admonition; paragraphs (a table is one) separated by blank lines."""
    lines = [f'!!! {kind} "{title}"']
    for i, paragraph in enumerate(paragraphs):
        if i:
            lines.append("")
        lines += ["    " + line for line in paragraph.splitlines()]
    return "\n".join(lines)
