"""The example runner: cache hits and misses, invalidation, failures, interrupted runs.

These examples are tiny scripts that publish a value without importing TensorFlow, so the
tests are fast; the real examples go through the same code.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from sitebuild import runner

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def examples(tmp_path) -> Path:
    folder = tmp_path / "examples"
    folder.mkdir()
    shutil.copy(REPO / "examples" / "publish.py", folder / "publish.py")
    return folder


def write(path: Path, source: str) -> Path:
    path.write_text(textwrap.dedent(source), encoding="utf-8")
    return path


def quiet(*args):
    pass


def one(folder: Path, name: str = "alpha", value: str = "1") -> Path:
    return write(
        folder / f"{name}.py",
        f"""\
        # %%
        import publish
        publish.value("answer", {value})
        """,
    )


def test_first_run_runs_and_second_is_cached(examples, tmp_path):
    script, cache = one(examples), tmp_path / "cache"
    results, errors = runner.run_examples([script], cache, log=quiet)
    assert not errors and results[script.resolve()].ran
    assert results[script.resolve()].outputs == {"answer": "1"}
    again, _ = runner.run_examples([script], cache, log=quiet)
    assert not again[script.resolve()].ran
    assert again[script.resolve()].outputs == {"answer": "1"}


def test_log_says_ran_or_cached(examples, tmp_path):
    script, cache, lines = one(examples), tmp_path / "cache", []
    runner.run_examples([script], cache, log=lines.append)
    runner.run_examples([script], cache, log=lines.append)
    assert any(ln.startswith(f"{script}: ran in ") and ln.endswith(" s") for ln in lines), lines
    assert f"{script}: cached" in lines, lines


def test_changing_the_source_reruns_only_that_example(examples, tmp_path):
    a, b, cache = one(examples, "alpha"), one(examples, "beta"), tmp_path / "cache"
    runner.run_examples([a, b], cache, log=quiet)
    one(examples, "alpha", value="2")
    results, _ = runner.run_examples([a, b], cache, log=quiet)
    assert results[a.resolve()].ran and not results[b.resolve()].ran
    assert results[a.resolve()].outputs == {"answer": "2"}
    assert len(list(cache.glob("alpha--*"))) == 1, "the stale entry was not removed"


def test_changing_an_imported_helper_reruns_its_users(examples, tmp_path):
    write(examples / "helper.py", "VALUE = 1\n")
    user = write(
        examples / "user.py",
        """\
        import publish
        from helper import VALUE
        publish.value("answer", VALUE)
        """,
    )
    other, cache = one(examples, "other"), tmp_path / "cache"
    runner.run_examples([user, other], cache, log=quiet)
    write(examples / "helper.py", "VALUE = 2\n")
    results, _ = runner.run_examples([user, other], cache, log=quiet)
    assert results[user.resolve()].ran and not results[other.resolve()].ran
    assert results[user.resolve()].outputs == {"answer": "2"}


@pytest.mark.parametrize("package", ["python", "tensorflow", "keras", "numpy"])
def test_a_version_change_reruns(examples, tmp_path, monkeypatch, package):
    script, cache = one(examples), tmp_path / "cache"
    runner.run_examples([script], cache, log=quiet)
    versions = runner.installed_versions()
    monkeypatch.setattr(runner, "installed_versions", lambda: {**versions, package: "0.0.0-other"})
    results, _ = runner.run_examples([script], cache, log=quiet)
    assert results[script.resolve()].ran


def test_versions_are_read_without_importing_tensorflow():
    code = (
        "import sys; from sitebuild import runner; v = runner.installed_versions(); "
        "assert v['tensorflow'] and v['keras'] and v['numpy'], v; "
        "assert not {'tensorflow', 'keras'} & set(sys.modules), 'imported'"
    )
    subprocess.run([sys.executable, "-c", code], cwd=REPO, check=True)


def test_a_raising_example_names_script_line_and_exception(examples, tmp_path):
    script = write(
        examples / "broken.py",
        """\
        # %%
        import publish
        publish.value("before", 1)

        # %%
        x = {}["missing"]
        """,
    )
    results, errors = runner.run_examples([script], tmp_path / "cache", log=quiet)
    assert not results and len(errors) == 1
    first_line = str(errors[0]).splitlines()[0]
    assert first_line == f"{script}:6: KeyError: 'missing'"
    assert not list((tmp_path / "cache").glob("broken--*")), "a failed run left an entry"


def test_a_replay_mismatch_fails_like_an_exception(examples, tmp_path):
    script = write(
        examples / "mismatch.py",
        """\
        import publish
        publish.check_replay("replay", [1.0, 2.0], [1.0, 2.001])
        """,
    )
    _, errors = runner.run_examples([script], tmp_path / "cache", log=quiet)
    assert len(errors) == 1
    assert str(errors[0]).startswith(
        f"{script}:2: ReplayMismatch: replay: replay differs from model.predict by 1.000e-03"
    )


def test_a_fixed_example_is_correct_on_the_next_run(examples, tmp_path):
    script, cache = (
        write(examples / "fixme.py", "import publish\nraise RuntimeError('no')\n"),
        tmp_path / "cache",
    )
    _, errors = runner.run_examples([script], cache, log=quiet)
    assert errors
    one(examples, "fixme", value="3")
    results, errors = runner.run_examples([script], cache, log=quiet)
    assert not errors and results[script.resolve()].outputs == {"answer": "3"}


def test_an_interrupted_run_leaves_no_entry_and_reruns(examples, tmp_path):
    marker = tmp_path / "started"
    script = write(
        examples / "slow.py",
        f"""\
        import pathlib, time
        import publish
        publish.value("answer", 1)
        pathlib.Path({str(marker)!r}).write_text("x")
        time.sleep(60)
        """,
    )
    cache = tmp_path / "cache"
    build = subprocess.Popen(
        [sys.executable, "-m", "sitebuild.runner", "--cache-dir", str(cache), str(script)],
        cwd=REPO,
        start_new_session=True,
    )
    deadline = time.monotonic() + 30
    while not marker.exists():
        assert time.monotonic() < deadline, "the example never started"
        time.sleep(0.1)
    os.killpg(
        build.pid, signal.SIGKILL
    )  # the build and its example, as Ctrl-C or a CI timeout would
    build.wait()
    assert not [p for p in cache.iterdir() if not p.name.startswith(".tmp-")], (
        "an entry was written"
    )
    write(script, "import publish\npublish.value('answer', 2)\n")
    results, errors = runner.run_examples([script], cache, log=quiet)
    assert not errors and results[script.resolve()].ran
    assert not list(cache.glob(".tmp-*")), "the killed build's temporary folder was not cleaned"


@pytest.mark.parametrize(
    "damage",
    ["truncated outputs.json", "empty data.json", "missing notebook", "missing outputs.json"],
)
def test_a_damaged_cache_entry_is_a_miss_that_heals(examples, tmp_path, damage):
    script, cache, lines = one(examples), tmp_path / "cache", []
    first, _ = runner.run_examples([script], cache, log=quiet)
    entry = first[script.resolve()].entry
    outputs = entry / "outputs.json"
    if damage == "truncated outputs.json":
        outputs.write_text(outputs.read_text(encoding="utf-8")[:-3], encoding="utf-8")
    elif damage == "empty data.json":
        (entry / "data.json").write_text("", encoding="utf-8")
    elif damage == "missing notebook":
        next(entry.glob("notebooks/*.ipynb")).unlink()
    else:
        outputs.unlink()
    results, errors = runner.run_examples([script], cache, log=lines.append)
    assert not errors, errors
    assert results[script.resolve()].ran, f"the damaged entry was used ({damage})"
    assert results[script.resolve()].outputs == {"answer": "1"}
    damaged = [ln for ln in lines if "is damaged" in ln and "running again" in ln]
    assert damaged and damaged[0].startswith(f"{script}: cache entry "), lines
    again, _ = runner.run_examples([script], cache, log=quiet)
    assert not again[script.resolve()].ran, "the healed entry is not used"


def test_examples_run_in_parallel(examples, tmp_path):
    scripts = [
        write(
            examples / f"wait{i}.py", "import time, publish\ntime.sleep(2)\npublish.value('a', 1)\n"
        )
        for i in range(2)
    ]
    start = time.perf_counter()
    _, errors = runner.run_examples(scripts, tmp_path / "cache", jobs=2, log=quiet)
    assert not errors
    assert time.perf_counter() - start < 3.9, "two 2-second examples did not overlap"


def test_cells_become_a_notebook_with_outputs(examples, tmp_path):
    import nbformat

    script = write(
        examples / "cells.py",
        """\
        # %% [markdown]
        # # Title
        # Some *text*.

        # %%
        import publish
        # --8<-- [start:shown]
        print("hello")
        # --8<-- [end:shown]
        publish.value("answer", 42)
        """,
    )
    results, _ = runner.run_examples([script], tmp_path / "cache", log=quiet)
    nb = nbformat.read(results[script.resolve()].notebook, as_version=4)
    assert [c.cell_type for c in nb.cells] == ["code", "markdown", "code"]
    setup, title, code = nb.cells
    assert "remove-cell" in setup.metadata.tags, "the notebook page would show the setup cell"
    assert title.source == "# Title\nSome *text*."
    assert "--8<--" not in code.source
    outputs = code.outputs
    assert outputs[0].output_type == "stream" and outputs[0].text == "hello\n"
    assert outputs[1].data["text/markdown"] == "**answer**: 42"


def test_a_notebook_runs_on_its_own_outside_the_repository(examples, tmp_path, monkeypatch):
    """The downloaded notebook needs no copy of the repository: its setup cell writes
    ``publish`` and the helper modules the example imports, and a fresh kernel run elsewhere
    shows the same named outputs."""
    import nbclient
    import nbformat

    write(  # a helper module of the examples folder, which runs itself from its own file
        examples / "helper.py",
        """        from pathlib import Path
        def twice(x):
            return 2 * x
        def own_file():
            return Path(__file__).name
        """,
    )
    script = write(
        examples / "standalone.py",
        """        # %%
        import numpy as np
        import publish
        import helper
        publish.value("answer", 42)
        publish.matrix("W", np.eye(2), ["row 1", "row 2"], ["unit 1", "unit 2"])
        publish.value("twice", helper.twice(21))
        publish.value("helper_file", helper.own_file())
        """,
    )
    results, _ = runner.run_examples([script], tmp_path / "cache", log=quiet)
    built = nbformat.read(results[script.resolve()].notebook, as_version=4)
    elsewhere = tmp_path / "reader"
    elsewhere.mkdir()
    fresh = nbformat.from_dict(built)
    for cell in fresh.cells:
        if cell.cell_type == "code":
            cell.outputs = []
    # A kernel that cannot see the repository or the examples folder.
    monkeypatch.delenv("PYTHONPATH", raising=False)
    nbclient.NotebookClient(
        fresh, timeout=120, kernel_name="python3", resources={"metadata": {"path": elsewhere}}
    ).execute()

    def shown(notebook):
        return [
            o.data["text/markdown"]
            for cell in notebook.cells
            if cell.cell_type == "code"
            for o in cell.outputs
            if o.output_type == "display_data"
        ]

    assert shown(fresh) == shown(built)
    assert shown(fresh)[0] == "**answer**: 42"
    assert shown(fresh)[1].startswith("**W**\n\n|  | unit 1 | unit 2 |")
    assert shown(fresh)[2:] == ["**twice**: 42", "**helper_file**: helper.py"]


def test_an_example_also_runs_as_plain_python(examples):
    script = one(examples, value="5")
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, check=True)
    assert "[answer]\n5" in proc.stdout


def test_imports_are_found_however_they_are_written():
    source = textwrap.dedent("""\
        import numpy as np, helper_a
        from helper_b import thing
        from helper_c.sub import other  # a package
        from . import relative
        def late():
            import helper_d
        x = "text"
        """)
    assert runner.imported_modules(source) == {
        "numpy",
        "helper_a",
        "helper_b",
        "helper_c",
        "helper_d",
    }


# --- cache keys: what a change must rerun, and examples that die without a traceback ---------


def test_a_helper_imported_through_another_helper_reruns_its_users(examples, tmp_path):
    write(examples / "inner.py", "VALUE = 1\n")
    write(examples / "outer.py", "from inner import VALUE\n")
    user = write(
        examples / "user.py", "import publish\nimport outer\npublish.value('a', outer.VALUE)\n"
    )
    cache = tmp_path / "cache"
    runner.run_examples([user], cache, log=quiet)
    write(examples / "inner.py", "VALUE = 2\n")
    results, errors = runner.run_examples([user], cache, log=quiet)
    assert not errors and results[user.resolve()].ran, "a change two imports away did not rerun"
    assert results[user.resolve()].outputs == {"a": "2"}


def test_local_imports_follow_helpers_and_ignore_other_modules(examples):
    write(examples / "inner.py", "import numpy\nimport user\n")  # a cycle back to the script
    write(examples / "outer.py", "import os\nfrom inner import x\n")
    user = write(examples / "user.py", "import publish, outer\n")
    assert runner.local_imports(user) == [
        examples / n for n in ("inner.py", "outer.py", "publish.py")
    ]


RUNNER_CODE = ("runner.py", "cells.py", "notebook_setup.py")


@pytest.fixture
def runner_copy(tmp_path, monkeypatch) -> Path:
    """A copy of the runner's code (runner.py, cells.py, notebook_setup.py), which the cache key
    reads instead of the real files, so that a test can change it."""
    folder = tmp_path / "sitebuild"
    folder.mkdir()
    for name in RUNNER_CODE:
        shutil.copy(REPO / "sitebuild" / name, folder / name)
    monkeypatch.setattr(runner, "__file__", str(folder / "runner.py"))
    return folder


@pytest.mark.parametrize("changed", RUNNER_CODE)
def test_a_change_to_the_runner_code_reruns_every_example(examples, tmp_path, runner_copy, changed):
    scripts, cache = [one(examples, "alpha"), one(examples, "beta")], tmp_path / "cache"
    runner.run_examples(scripts, cache, log=quiet)
    with open(runner_copy / changed, "a", encoding="utf-8") as code:
        code.write("\n# a change\n")
    results, _ = runner.run_examples(scripts, cache, log=quiet)
    assert all(results[s.resolve()].ran for s in scripts), f"a change to {changed} reran nothing"


def test_the_cache_key_depends_on_script_helpers_code_and_versions(examples, runner_copy):
    write(examples / "inner.py", "X = 1\n")
    write(examples / "outer.py", "import inner\n")
    script = write(examples / "user.py", "import outer\n")
    versions = {"python": "3.11", "numpy": "2"}
    key = runner.cache_key(script, versions)
    assert key == runner.cache_key(script, dict(reversed(versions.items()))), "not deterministic"
    assert len(key) == 20
    keys = {key}
    for path, text in [
        (examples / "inner.py", "X = 2\n"),
        (examples / "outer.py", "import inner  # \n"),
        (script, "import outer\n\n"),
        *[(runner_copy / name, "changed") for name in RUNNER_CODE],
    ]:
        path.write_text(text, encoding="utf-8")
        keys.add(runner.cache_key(script, versions))
    keys.add(runner.cache_key(script, {**versions, "numpy": "3"}))
    assert len(keys) == 5 + len(RUNNER_CODE), "a change left the cache key as it was"


def test_an_example_that_exits_without_a_traceback_names_script_and_code(examples, tmp_path):
    script = write(
        examples / "quits.py",
        """\
        import os
        import publish
        print("step 1 done", flush=True)
        os._exit(3)
        """,
    )
    results, errors = runner.run_examples([script], tmp_path / "cache", log=quiet)
    assert not results and len(errors) == 1
    lines = str(errors[0]).splitlines()
    assert lines[0] == f"{script}: exited with code 3"
    assert lines[1] == "  last lines of its output:"
    assert "    step 1 done" in lines[2:], "the output before the exit is not shown"
    assert not list((tmp_path / "cache").glob("quits--*")), "a failed run left an entry"


def test_an_example_that_crashes_names_script_and_signal(examples, tmp_path):
    script = write(
        examples / "crashes.py",
        """\
        import os, signal
        import publish
        print("before the crash", flush=True)
        os.kill(os.getpid(), signal.SIGKILL)
        """,
    )
    _, errors = runner.run_examples([script], tmp_path / "cache", log=quiet)
    assert len(errors) == 1
    lines = str(errors[0]).splitlines()
    assert lines[0] == f"{script}: exited with code {-signal.SIGKILL}"
    assert "    before the crash" in lines[2:]


def test_the_error_message_keeps_the_last_25_lines():
    log = "\n".join(f"line {i}" for i in range(40))
    message = runner._error_message(Path("x.py"), log, 1)
    lines = message.splitlines()
    assert lines[0] == "x.py: exited with code 1"
    assert lines[2:] == [f"    line {i}" for i in range(15, 40)]
    named = runner._error_message(Path("x.py"), "noise\nEXAMPLE ERROR x.py:3: E: m\nmore", 1)
    assert named.splitlines()[0] == "x.py:3: E: m"
