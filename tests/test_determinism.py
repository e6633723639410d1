"""Two cold runs of a real example on the same machine publish the same numbers."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from conftest import REPO

from sitebuild import runner


def test_two_cold_runs_publish_identical_outputs_and_data(tmp_path):
    script = (
        REPO / "examples" / "time_distributed.py"
    )  # the quickest real example (TensorFlow, training)

    def cold_run(name: str):
        results, errors = runner.run_examples([script], tmp_path / name, log=lambda *a: None)
        assert not errors, errors
        result = results[script.resolve()]
        assert result.ran
        return result

    with ThreadPoolExecutor(2) as pool:
        first, second = pool.map(cold_run, ["first", "second"])
    assert first.outputs == second.outputs
    assert first.data_file.read_bytes() == second.data_file.read_bytes()
