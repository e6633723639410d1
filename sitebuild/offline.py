"""The copy of the site for reading from disk, and its zip.

    python -m sitebuild.offline [SITE_DIR]

builds the site with Material's ``offline`` plugin (``OFFLINE=true``: plain ``.html`` URLs,
the search index inlined as a script, the search worker shim served by the site) into
``site-offline/`` and zips it as ``site-offline.zip`` (``make offline``). The hosted build
calls ``build_zip`` after it is written, so that the hosted site can offer the zip as
``download/rnn-with-keras-offline.zip``: ``OfflineZip`` starts the offline build as soon as the
examples are up to date, so that it runs beside the hosted build, and zips it at the end. The
zip is cached in ``.cache/offline/`` under a key of everything the build reads (the sources,
the examples' cache entries, the packages' versions), so that an unchanged rebuild does not
build the offline copy again.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
ZIP_NAME = "rnn-with-keras-offline.zip"
FOLDER_IN_ZIP = "rnn-with-keras"
CONFIG = REPO / "mkdocs.yml"
PACKAGES = [
    "mkdocs",
    "mkdocs-material",
    "mkdocs-jupyter",
    "pymdown-extensions",
]


def _command(site_dir: Path, config_file: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "mkdocs",
        "build",
        "--strict",
        "-f",
        str(config_file),
        "-d",
        str(site_dir),
    ]


def _env(**extra: str) -> dict[str, str]:
    return {**os.environ, "OFFLINE": "true", "NO_MKDOCS_2_WARNING": "1", **extra}


def build(site_dir: Path, config_file: Path = CONFIG) -> None:
    """``mkdocs build`` of the offline copy into ``site_dir`` (examples come from the cache)."""
    proc = subprocess.run(
        _command(site_dir, config_file),
        cwd=config_file.parent,
        env=_env(),
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"the offline build failed:\n{proc.stdout}{proc.stderr}")


def zip_folder(folder: Path, archive: Path) -> None:
    """Zip ``folder`` as ``FOLDER_IN_ZIP/...``, written atomically."""
    archive.parent.mkdir(parents=True, exist_ok=True)
    partial = archive.with_name(f".tmp-{archive.name}-{os.getpid()}")
    with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                zf.write(path, Path(FOLDER_IN_ZIP) / path.relative_to(folder))
    os.replace(partial, archive)


def zip_key(sources: list[Path], example_entries: list[Path]) -> str:
    """A hash of what the offline copy is made of: the given files and folders (the config,
    the docs, the theme overrides, the build code), the examples through their cache entries
    (whose names are content keys), and the packages' versions."""
    from importlib import metadata

    digest = hashlib.sha256()
    for root in sources:
        for path in sorted([root] if root.is_file() else root.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                digest.update(str(path).encode() + b"\0" + path.read_bytes() + b"\0")
    for entry in sorted(e.name for e in example_entries):
        digest.update(entry.encode() + b"\0")
    for package in PACKAGES:
        digest.update(f"{package}=={metadata.version(package)}".encode() + b"\0")
    return digest.hexdigest()[:20]


class OfflineZip:
    """The offline zip of the site of ``config_file``, built by a second ``mkdocs build`` that
    runs beside the hosted one: ``start()`` once the examples are up to date, ``finish()`` once
    the hosted site is written. With the zip of ``key`` in ``cache_dir``, nothing is built.
    Builds side by side may share the cache: every write is atomic, and a cached zip that
    disappears meanwhile is built again."""

    def __init__(self, config_file: Path, key: str, cache_dir: Path):
        self.config_file, self.cached = config_file, Path(cache_dir) / f"{key}.zip"
        self.proc: subprocess.Popen | None = None
        self.tmp: Path | None = None

    def start(self) -> None:
        if self.proc or self.cached.is_file():
            return
        self.tmp = Path(tempfile.mkdtemp(prefix="offline-"))
        with open(self.tmp / "log.txt", "w") as log:
            # Its own mkdocs-jupyter cache: the hosted build writes the shared one meanwhile.
            env = _env(JUPYTER_CACHE_DIR=str(self.cached.parent / "mkdocs-jupyter"))
            self.proc = subprocess.Popen(
                _command(self.tmp / "site", self.config_file),
                cwd=self.config_file.parent,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def finish(self, archive: Path) -> bool:
        """Write the zip to ``archive``; return whether the offline copy was built."""
        archive.parent.mkdir(parents=True, exist_ok=True)
        if not self.proc:
            try:
                shutil.copyfile(self.cached, archive)
                return False
            except FileNotFoundError:
                self.start()
        try:
            if self.proc.wait() != 0:
                raise RuntimeError(
                    "the offline build failed:\n" + (self.tmp / "log.txt").read_text()
                )
            zip_folder(self.tmp / "site", archive)
            self.cached.parent.mkdir(parents=True, exist_ok=True)
            partial = self.cached.with_name(f".tmp-{self.cached.name}-{os.getpid()}")
            shutil.copyfile(archive, partial)
            os.replace(partial, self.cached)
            for old in self.cached.parent.glob("*.zip"):
                if old != self.cached:
                    old.unlink(missing_ok=True)
        finally:
            self.cancel()
        return True

    def cancel(self) -> None:
        """Stop the offline build if it still runs, and remove its folder."""
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if self.tmp:
            shutil.rmtree(self.tmp, ignore_errors=True)


def main(argv: list[str]) -> int:
    site_dir = Path(argv[0]) if argv else REPO / "site-offline"
    if site_dir.exists():
        shutil.rmtree(site_dir)
    build(site_dir)
    zip_folder(site_dir, site_dir.with_name(site_dir.name + ".zip"))
    print(f"offline copy: {site_dir}/index.html (open it from disk); zip: {site_dir}.zip")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
