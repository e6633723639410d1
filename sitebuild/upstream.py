"""The requirements for the upstream build: the newest TensorFlow, Keras and NumPy.

    python -m sitebuild.upstream requirements-test.txt > .venv-upstream/requirements.txt

prints the requirements file with its ``-r`` includes inlined, every line kept as it is except
the pins of the packages in ``UNPINNED``, which lose their version (``tensorflow==2.21.0``
becomes ``tensorflow``). ``pip install --upgrade -r`` of the result then installs the newest
releases of those packages and the pinned versions of everything else. ``make upstream`` and
the weekly workflow ``.github/workflows/upstream.yml`` use it.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

UNPINNED = ("tensorflow", "keras", "numpy")
"""The packages whose newest releases the upstream build uses."""

REQUIREMENT = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?\s*([<>=!~].*)?$")


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def unpin_line(line: str, unpinned=UNPINNED) -> str:
    """``line`` without its version if it names one of ``unpinned`` (extras kept)."""
    code = line.split("#", 1)[0].split(";", 1)[0].strip()
    match = REQUIREMENT.match(code)
    if match and _canonical(match.group(1)) in {_canonical(n) for n in unpinned}:
        return match.group(1) + (match.group(2) or "")
    return line


def unpinned_requirements(path: Path, unpinned=UNPINNED) -> list[str]:
    """The lines of a requirements file, ``-r`` includes inlined, with ``unpinned`` unpinned."""
    lines: list[str] = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        include = re.match(r"^\s*(?:-r|--requirement)[\s=]+(\S+)", line)
        if include:
            lines += unpinned_requirements(Path(path).parent / include.group(1), unpinned)
        else:
            lines.append(unpin_line(line, unpinned))
    return lines


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    lines = unpinned_requirements(Path(args[0]))
    named = {_canonical(line.strip()) for line in lines}
    missing = [name for name in UNPINNED if _canonical(name) not in named]
    if missing:
        print(f"{args[0]}: no requirement for {', '.join(missing)}", file=sys.stderr)
        return 1
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
