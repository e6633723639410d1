"""Start a new chapter: a page, an example, a test and two nav entries that build and pass.

    python -m sitebuild.scaffold SLUG "TITLE"
    make chapter SLUG=bidirectional TITLE="Part F: Bidirectional"

creates

* ``docs/<slug>.md``: the page, with the four sections every chapter has and a "Files"
  section linking ``data/<slug>.json`` and ``notebooks/<slug>.ipynb``; it includes only
  outputs that the example publishes;
* ``examples/<slug_with_underscores>.py``: an example that trains a tiny SimpleRNN in a few
  seconds, publishes its sizes and weights, records it for the data file (``publish.model``)
  and checks a numpy replay against ``model.predict`` (``publish.check_replay``);
* ``tests/test_<slug_with_underscores>.py``: checks on the built page;

and adds the page and its notebook to the nav in ``mkdocs.yml`` (the page before the
"Notebooks" section, the notebook at the end of it), editing the text so that comments and
layout are kept. The contributor then replaces the tiny model by the layer the chapter is about.

Nothing is written when the slug is not valid or any of the files exists already: the command
says why and exits with code 2.
"""

from __future__ import annotations

import importlib.util
import json
import re
import sys
import textwrap
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
SLUG = re.compile(r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$")
# Folders and pages of the built site that a chapter's URL must not take over.
RESERVED = {
    "index",
    "data",
    "notebooks",
    "images",
    "assets",
    "javascripts",
    "stylesheets",
    "download",
    "search",
}
NOTEBOOKS_SECTION = "Notebooks"


class Refused(Exception):
    """The scaffold will not create this chapter; the message says why."""


# --- checks ------------------------------------------------------------------------------


def paths(slug: str, root: Path = REPO) -> dict[str, Path]:
    module = slug.replace("-", "_")
    return {
        "page": root / "docs" / f"{slug}.md",
        "example": root / "examples" / f"{module}.py",
        "test": root / "tests" / f"test_{module}.py",
    }


def check(slug: str, title: str, root: Path = REPO) -> None:
    """Raise ``Refused`` with a message for the contributor unless the chapter can be made."""
    if not SLUG.match(slug or ""):
        raise Refused(
            f"{slug!r} is not a valid slug: use lowercase letters, digits and single "
            f"hyphens, starting with a letter (for example 'bidirectional' or "
            f"'conv-lstm'); it becomes the page's URL and file names"
        )
    if slug in RESERVED:
        raise Refused(
            f"{slug!r} is a folder or page of the built site already; choose another slug"
        )
    module = slug.replace("-", "_")
    if importlib.util.find_spec(module) is not None:
        raise Refused(
            f"examples/{module}.py would hide the installed module {module!r} from the "
            f"examples (an example importing {module} would import itself); choose "
            f"another slug"
        )
    if not title.strip() or "\n" in title:
        raise Refused(
            'the title must be one non-empty line, for example TITLE="Part F: Bidirectional"'
        )
    existing = [p for p in paths(slug, root).values() if p.exists()]
    if existing:
        names = ", ".join(str(p.relative_to(root)) for p in existing)
        raise Refused(
            f"chapter {slug!r} exists already ({names}); edit those files, or choose another slug"
        )
    nav = _nav_paths(root / "mkdocs.yml")
    taken = [p for p in (f"{slug}.md", f"notebooks/{slug}.ipynb") if p in nav]
    if taken:
        raise Refused(
            f"mkdocs.yml lists {', '.join(taken)} in its nav already; remove the "
            f"entries or choose another slug"
        )


# --- the nav -------------------------------------------------------------------------------


def _load_mkdocs_yml(text: str) -> dict:
    class Loader(yaml.SafeLoader):
        pass

    Loader.add_multi_constructor("!", lambda loader, suffix, node: None)  # !ENV and the like
    return yaml.load(text, Loader=Loader) or {}


def _nav_paths(config_file: Path) -> list[str]:
    def walk(items):
        for item in items or []:
            for value in item.values() if isinstance(item, dict) else [item]:
                yield from walk(value) if isinstance(value, list) else [value]

    return list(walk(_load_mkdocs_yml(config_file.read_text(encoding="utf-8")).get("nav")))


def _yaml_scalar(title: str) -> str:
    """The title as a YAML key: plain when YAML reads it back unchanged, else double-quoted."""
    try:
        if yaml.safe_load(f"{title}: x") == {title: "x"}:
            return title
    except yaml.YAMLError:
        pass
    return json.dumps(title, ensure_ascii=False)


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def add_to_nav(text: str, title: str, slug: str) -> str:
    """``mkdocs.yml`` with the page and its notebook added to the nav; the rest of the text as it was.

    The page goes before the "Notebooks" section, the notebook at the end of that section
    (which is created at the end of the nav if there is none).
    """
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    key = _yaml_scalar(title)
    start = next((i for i, ln in enumerate(lines) if re.match(r"^nav:\s*(#.*)?$", ln)), None)
    if start is None:
        raise Refused(
            "mkdocs.yml has no 'nav:' section at the start of a line; add the page "
            "to the nav by hand"
        )
    end = next(
        (
            i
            for i in range(start + 1, len(lines))  # the next top-level key
            if lines[i].strip() and _indent(lines[i]) == 0 and not lines[i].startswith(("#", "-"))
        ),
        len(lines),
    )
    items = [i for i in range(start + 1, end) if lines[i].lstrip().startswith("- ")]
    if not items:
        raise Refused("the nav in mkdocs.yml has no entries to follow; add the page by hand")
    top = min(_indent(lines[i]) for i in items)
    notebooks = next(
        (
            i
            for i in items
            if _indent(lines[i]) == top
            and re.match(rf"^\s*- +[\"']?{NOTEBOOKS_SECTION}[\"']?:\s*(#.*)?$", lines[i])
        ),
        None,
    )
    page_line = f"{' ' * top}- {key}: {slug}.md\n"
    if notebooks is None:
        last = max(i for i in range(start + 1, end) if lines[i].strip())
        new = [
            page_line,
            f"{' ' * top}- {NOTEBOOKS_SECTION}:\n",
            f"{' ' * (top + 4)}- {key}: notebooks/{slug}.ipynb\n",
        ]
        return "".join(lines[: last + 1] + new + lines[last + 1 :])
    children = [
        i
        for i in range(notebooks + 1, end)
        if lines[i].strip() and not lines[i].lstrip().startswith("#")
    ]
    block = []
    for i in children:
        if _indent(lines[i]) <= top:
            break
        block.append(i)
    child_indent = _indent(lines[block[0]]) if block else top + 4
    after = block[-1] if block else notebooks
    notebook_line = f"{' ' * child_indent}- {key}: notebooks/{slug}.ipynb\n"
    out = (
        lines[:notebooks]
        + [page_line]
        + lines[notebooks : after + 1]
        + [notebook_line]
        + lines[after + 1 :]
    )
    return "".join(out)


# --- the files -----------------------------------------------------------------------------


def page_text(slug: str, title: str) -> str:
    module = slug.replace("-", "_")
    return textwrap.dedent(f"""\
        ---
        example: examples/{module}.py
        ---

        # {title}

        <!-- Written by `make chapter`. Replace the tiny SimpleRNN of examples/{module}.py by the
             layer this chapter is about, then rewrite this page around it. Every number comes
             from an include of an output the example publishes; CONTRIBUTING.md says how. -->

        A one-paragraph summary of what this chapter explains. Everything on this page is
        computed by [`examples/{module}.py`](notebooks/{slug}.ipynb) when the site is built: the
        weights in the tables are the ones Keras trained, and the numpy replay reproduces
        `model.predict`.

        ## Inputs and outputs

        The model reads $N = {{{{ N }}}}$ sequences of $T = {{{{ T }}}}$ time steps, each step a row
        vector $\\class{{c-x}}{{x_t}}$ of $m = {{{{ m }}}}$ features: the training inputs have shape
        {{{{ x_train_shape }}}}. A `SimpleRNN` layer of $n = {{{{ n }}}}$ units keeps a state
        $\\class{{c-h}}{{h_t}}$ of $n$ numbers, starting from $h_{{-1}} = 0$:

        $$
        \\class{{c-h}}{{h_t}} = \\tanh(\\class{{c-x}}{{x_t}} W_x + \\class{{c-h}}{{h_{{t-1}}}} W_h + b_h),
        $$

        and returns its last state $h_{{T-1}}$, so the targets have shape {{{{ y_train_shape }}}}.

        ## Model definition and training

        Toy data, made by a known rule:

        ```python
        --8<-- "examples/{module}.py:data"
        ```

        The model, trained for {{{{ epochs }}}} epochs (the mean squared error on the training set
        ends at {{{{ loss }}}}):

        ```python
        --8<-- "examples/{module}.py:model"
        ```

        ## Understanding the weights

        ```python
        --8<-- "examples/{module}.py:weights"
        ```

        The kernel $W_x$ has shape {{{{ W_x_shape }}}} (one row per input feature), the recurrent
        kernel $W_h$ has shape {{{{ W_h_shape }}}} (one row per unit of the previous state) and the
        bias $b_h$ has shape {{{{ b_h_shape }}}}:

        {{{{ W_x }}}}

        {{{{ W_h }}}}

        {{{{ b_h }}}}

        That is $n(m + n + 1)$ parameters, which is what `model.count_params()` reports:
        {{{{ params }}}}.

        ## Understanding the computations

        Predict one new sequence of shape {{{{ new_input_shape }}}}:

        ```python
        --8<-- "examples/{module}.py:predict"
        ```

        The same numbers, from the weights alone, one time step after the other:

        ```python
        --8<-- "examples/{module}.py:replay"
        ```

        {{{{ prediction }}}}

        The largest absolute difference between the replay and `model.predict` is
        {{{{ replay }}}}: the build stops when a replay checked with `publish.check_replay` differs
        by more than its tolerance.

        ## Files

        - [Download the weights](data/{slug}.json) of the model of this page, with its input and
          `model.predict` output (JSON: each layer's class, configuration and weights).
        - [The example as a notebook](notebooks/{slug}.ipynb), with the outputs of the run that
          built this page, and an `.ipynb` download.
        """)


def example_text(slug: str, title: str) -> str:
    module = slug.replace("-", "_")
    header = f"# # {title}, the example"
    return textwrap.dedent(f"""\
        # %% [markdown]
        {header}
        #
        # The code of the chapter "{title}". Run it as a plain script
        # (`python examples/{module}.py`) or read it here with its outputs. The site build runs it
        # once and includes what it publishes (`publish.value`, `publish.matrix`, ...) into the
        # chapter, so every number on the page comes from this run.
        #
        # Written by `make chapter`: a tiny SimpleRNN that trains in a few seconds. Replace it by
        # the layer this chapter is about and keep the pattern: publish the sizes and the weights,
        # record every model shown with `publish.model`, check every replay with
        # `publish.check_replay`.

        # %%
        import keras
        import numpy as np
        from keras import layers

        import publish

        publish.setup(seed=0)

        # %% [markdown]
        # ## Data and model
        #
        # N sequences of T time steps, m features per step; the targets follow a known rule.

        # %%
        # --8<-- [start:data]
        # sequences, time steps, input features, units
        N, T, m, n = 64, 5, 2, 3
        # the rule: y = tanh((x_0 + ... + x_{{T-1}}) A / T)
        A = np.array([[1.0, -1.0, 0.5],
                      [0.5, 1.0, -1.0]])
        x_train = np.random.uniform(-1, 1, size=(N, T, m)).astype("float32")
        y_train = np.tanh(x_train.sum(axis=1) @ A / T).astype("float32")
        # --8<-- [end:data]

        # --8<-- [start:model]
        model = keras.Sequential([
            # any number of time steps, m features per step
            keras.Input(shape=(None, m)),
            # returns the last state h_{{T-1}}, shape (N, n)
            layers.SimpleRNN(units=n),
        ])
        model.compile(loss="mse", optimizer="rmsprop")
        epochs = 5
        history = model.fit(
            x_train, y_train, epochs=epochs, batch_size=16, verbose=0
        )
        # --8<-- [end:model]

        publish.value("N", N)
        publish.value("T", T)
        publish.value("m", m)
        publish.value("n", n)
        publish.value("epochs", epochs)
        publish.shape("x_train_shape", x_train)
        publish.shape("y_train_shape", y_train)
        publish.value("loss", history.history["loss"][-1], digits=6)

        # %% [markdown]
        # ## The weights

        # %%
        # --8<-- [start:weights]
        # kernel, recurrent kernel, bias: (m, n) (n, n) (n,)
        W_x, W_h, b_h = model.layers[0].get_weights()
        print(W_x.shape, W_h.shape, b_h.shape)
        # --8<-- [end:weights]
        publish.shape("W_x_shape", W_x)
        publish.shape("W_h_shape", W_h)
        publish.shape("b_h_shape", b_h)
        units = [f"$h_{{{{t,{{j + 1}}}}}}$" for j in range(n)]
        publish.matrix("W_x", W_x, row_labels=[f"$x_{{{{t,{{i + 1}}}}}}$" for i in range(m)],
                       col_labels=units, corner="$W_x$")
        publish.matrix("W_h", W_h, row_labels=[f"$h_{{{{t-1,{{i + 1}}}}}}$" for i in range(n)],
                       col_labels=units, corner="$W_h$")
        publish.matrix("b_h", b_h, row_labels=["$b_h$"], col_labels=units)
        publish.value("params", model.count_params())

        # %% [markdown]
        # ## Prediction and replay

        # %%
        # --8<-- [start:predict]
        new_input = np.random.uniform(-1, 1, size=(1, T, m)).astype("float32")
        # the last state h_{{T-1}}, shape (1, n)
        predicted = model.predict(new_input)
        # --8<-- [end:predict]
        publish.model("simple_rnn", model, new_input)  # recorded for data/{slug}.json
        publish.shape("new_input_shape", new_input)

        # --8<-- [start:replay]
        # h_{{-1}} = 0
        h = np.zeros((new_input.shape[0], n))
        for t in range(new_input.shape[1]):
            x_t = new_input[:, t, :]
            # h_t = tanh(x_t W_x + h_{{t-1}} W_h + b_h)
            h = np.tanh(x_t @ W_x + h @ W_h + b_h)
        replay = h
        # --8<-- [end:replay]
        publish.check_replay("replay", replay, predicted)
        last = [f"$h_{{{{T-1,{{j + 1}}}}}}$" for j in range(n)]
        publish.matrix("prediction", np.stack([predicted[0], replay[0]]),
                       row_labels=["`model.predict`", "numpy replay"], col_labels=last)
        """)


def checks_text(slug: str, title: str) -> str:
    return textwrap.dedent(f'''\
        """Checks on the built chapter {slug!r}.

        Written by `make chapter`; replace these with checks of what this chapter explains. A
        check derives what it expects independently (from the data file, from Keras's documented
        behaviour, from a formula), never from a copy of the example's own output.
        """

        from __future__ import annotations

        import numpy as np

        from conftest import load_data, page_html
        from replay import replay
        from test_chapters import visible_text

        SLUG = "{slug}"


        def number(x: float) -> str:
            """A number as the site's tables show it: 4 decimals, a true minus sign."""
            s = f"{{x:.4f}}"
            return (s.lstrip("-") if float(s) == 0 else s).replace("-", "\\u2212")


        def test_the_page_shows_every_trained_weight(site):
            text = visible_text(page_html(site, SLUG))
            for model in load_data(site, SLUG)["models"]:
                for layer in model["layers"]:
                    for name, weights in layer["weights"].items():
                        for value in np.ravel(weights).tolist():
                            assert number(value) in text, f"{{name}}: {{number(value)}} is not on the page"


        def test_simple_rnn_parameter_count_is_n_times_m_plus_n_plus_1(site):
            layer = load_data(site, SLUG)["models"][0]["layers"][0]
            m, n = np.shape(layer["weights"]["kernel"])
            assert sum(np.size(w) for w in layer["weights"].values()) == n * (m + n + 1)


        def test_an_independent_replay_matches_model_predict(site):
            for model in load_data(site, SLUG)["models"]:
                got, expected = replay(model), np.asarray(model["output"])
                assert got.shape == expected.shape
                assert np.max(np.abs(got - expected)) < 1e-5
        ''')


# --- the command ---------------------------------------------------------------------------


def create(slug: str, title: str, root: Path = REPO) -> list[Path]:
    """Create the chapter's files and nav entries; return what was written."""
    title = title.strip()
    check(slug, title, root)
    config = root / "mkdocs.yml"
    old = config.read_text(encoding="utf-8")
    new = add_to_nav(old, title, slug)
    nav = _load_mkdocs_yml(new).get("nav")  # what MkDocs will read: both entries, and valid YAML
    if not {f"{slug}.md", f"notebooks/{slug}.ipynb"} <= set(_nav_paths_of(nav)):
        raise Refused("could not add the page to the nav of mkdocs.yml; add it by hand")
    files = paths(slug, root)
    written = []
    for kind, make in (("page", page_text), ("example", example_text), ("test", checks_text)):
        files[kind].write_text(make(slug, title), encoding="utf-8")
        written.append(files[kind])
    config.write_text(new, encoding="utf-8")
    written.append(config)
    return written


def _nav_paths_of(nav) -> list[str]:
    out = []
    for item in nav or []:
        for value in item.values() if isinstance(item, dict) else [item]:
            out.extend(_nav_paths_of(value) if isinstance(value, list) else [value])
    return out


USAGE = 'usage: python -m sitebuild.scaffold SLUG "TITLE"   (or: make chapter SLUG=... TITLE="...")'


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2 or args[0] in ("-h", "--help"):
        print(
            __doc__.split("\n\n")[0] + "\n\n" + USAGE,
            file=sys.stderr if len(args) != 2 else sys.stdout,
        )
        return 0 if args[:1] in (["-h"], ["--help"]) else 2
    slug, title = args
    try:
        written = create(slug, title)
    except Refused as exc:
        print(f"make chapter: refused: {exc}", file=sys.stderr)
        return 2
    module = slug.replace("-", "_")
    print("Created:")
    for path in written:
        print(
            f"  {path.relative_to(REPO)}"
            + ("  (nav: the page and its notebook)" if path.name == "mkdocs.yml" else "")
        )
    print(
        textwrap.dedent(f"""
        Next:
          make serve                                  # see http://127.0.0.1:8000/{slug}/
          .venv/bin/python -m pytest tests/test_{module}.py tests/test_structure.py
        then replace the tiny SimpleRNN in examples/{module}.py by the layer of this chapter,
        rewrite docs/{slug}.md around it and the checks in tests/test_{module}.py, and run
        `make test` before opening the pull request (CONTRIBUTING.md).""")
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
