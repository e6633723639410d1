"""Load saved ``.keras`` models on another Keras backend, in a child process.

    python examples/other_backends.py BACKEND FOLDER

reads every ``FOLDER/<name>.keras`` with its input ``FOLDER/<name>.npy``, predicts on the
backend ``BACKEND`` (``jax`` or ``torch``), and writes ``FOLDER/<BACKEND>.npz`` (the
predictions by model name) and ``FOLDER/<BACKEND>.json`` (the backend Keras reports, and
whether TensorFlow was imported: the child blocks it, as on a machine without it). The
backend is chosen before Keras is imported: Keras reads ``KERAS_BACKEND`` once, at import.

Importing this module imports neither Keras nor TensorFlow: ``start`` only launches the child.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path


def start(backend: str, folder: Path) -> subprocess.Popen:
    """Launch the child for ``backend``; ``finish`` waits for it and reads what it wrote."""
    env = {**os.environ, "KERAS_BACKEND": backend}
    return subprocess.Popen(
        [sys.executable, __file__, backend, str(folder)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def finish(process: subprocess.Popen, backend: str, folder: Path) -> tuple[dict, dict]:
    """The child's predictions by model name, and its report; raises if it failed."""
    import numpy as np

    output, _ = process.communicate(timeout=600)
    if process.returncode != 0:
        raise RuntimeError(f"KERAS_BACKEND={backend} child failed:\n{output[-3000:]}")
    with np.load(Path(folder) / f"{backend}.npz") as predictions:
        predicted = {name: predictions[name] for name in predictions.files}
    report = json.loads((Path(folder) / f"{backend}.json").read_text(encoding="utf-8"))
    return predicted, report


def main(backend: str, folder: Path) -> None:
    os.environ["KERAS_BACKEND"] = backend
    # As on a machine without TensorFlow: any import of it fails.
    sys.modules["tensorflow"] = None
    import keras
    import numpy as np

    predicted = {}
    for path in sorted(folder.glob("*.keras")):
        model = keras.saving.load_model(path)
        x = np.load(path.with_suffix(".npy"))
        predicted[path.stem] = keras.ops.convert_to_numpy(model.predict(x, verbose=0))
    np.savez(folder / f"{backend}.npz", **predicted)
    backend_module = sys.modules[backend]
    report = {
        "backend": keras.backend.backend(),
        "version": getattr(backend_module, "__version__", ""),
        "tensorflow_imported": sys.modules.get("tensorflow") is not None,
    }
    (folder / f"{backend}.json").write_text(json.dumps(report), encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1], Path(sys.argv[2]))
