"""The copy of the site for reading from disk, and its zip.

    python -m sitebuild.offline [SITE_DIR]

builds the site with Material's ``offline`` plugin (``OFFLINE=true``: plain ``.html`` URLs,
the search index inlined as a script, the search worker shim served by the site) into
``site-offline/`` and zips it as ``site-offline.zip`` (``make offline``). The hosted build
calls ``build_zip`` after it is written, so that the hosted site can offer the zip as
``download/rnn-with-keras-offline.zip``. The zip is cached in ``.cache/offline/`` under a key
of everything the build reads (the sources, the examples' cache entries, the packages'
versions), so that an unchanged rebuild does not build the offline copy again.
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
PACKAGES = ["mkdocs", "mkdocs-material", "mkdocs-jupyter", "pymdown-extensions", "django-static-mathjax"]


def build(site_dir: Path, config_file: Path = CONFIG) -> None:
    """``mkdocs build`` of the offline copy into ``site_dir`` (examples come from the cache)."""
    env = {**os.environ, "OFFLINE": "true", "NO_MKDOCS_2_WARNING": "1"}
    proc = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(config_file),
                           "-d", str(site_dir)], cwd=config_file.parent, env=env, capture_output=True, text=True)
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


def build_zip(archive: Path, config_file: Path = CONFIG, key: str | None = None,
              cache_dir: Path | None = None) -> bool:
    """Write the offline zip of the site of ``config_file`` to ``archive``. With a ``key``,
    reuse the zip cached under that key in ``cache_dir``. Returns whether it was built.
    Builds running side by side may share the cache: every write is atomic, and a cached zip
    that disappears meanwhile is built again."""
    archive.parent.mkdir(parents=True, exist_ok=True)
    cached = Path(cache_dir) / f"{key}.zip" if key and cache_dir else None
    if cached:
        try:
            shutil.copyfile(cached, archive)
            return False
        except FileNotFoundError:
            pass
    with tempfile.TemporaryDirectory() as tmp:
        build(Path(tmp) / "site", config_file)
        zip_folder(Path(tmp) / "site", archive)
    if cached:
        cached.parent.mkdir(parents=True, exist_ok=True)
        partial = cached.with_name(f".tmp-{cached.name}-{os.getpid()}")
        shutil.copyfile(archive, partial)
        os.replace(partial, cached)
        for old in cached.parent.glob("*.zip"):
            if old != cached:
                old.unlink(missing_ok=True)
    return True


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
