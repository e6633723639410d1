"""``make bench``: Lighthouse's mobile preset on the landing page, every chapter and a notebook.

    python benchmarks/lighthouse.py [SITE_DIR]

Serves the built site (``site/`` unless told otherwise) on 127.0.0.1 with gzip, as a static
host does, runs Lighthouse (pinned in ``package.json``, installed by ``npm ci``) three times per
page in headless Chromium (``CHROME_PATH``, default ``/usr/bin/chromium``) with its default
mobile preset (simulated slow 4G, 4x CPU slowdown), and prints the median of each metric with
the targets of issue 12. Exits non-zero when a page misses a target.
"""

from __future__ import annotations

import functools
import gzip
import http.server
import json
import os
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from statistics import median

REPO = Path(__file__).resolve().parent.parent
LIGHTHOUSE = REPO / "node_modules" / ".bin" / "lighthouse"
RUNS = int(os.environ.get("LIGHTHOUSE_RUNS", "3"))  # the targets are for the median of 3
NOTEBOOK = "notebooks/lstm/"
# Each target: at least (perf) or at most (the others).
TARGETS = {
    "perf": 0.95,  # performance score, at least
    "TBT ms": 100,  # total blocking time, at most
    "LCP s": 2.0,  # largest contentful paint, at most
    "CLS": 0.01,  # cumulative layout shift, at most
    "KB": 400,  # bytes transferred, at most (chapter pages)
}
COMPRESSIBLE = (".html", ".js", ".css", ".json", ".svg", ".ipynb", ".xml", ".txt", ".map")


class GzipHandler(http.server.SimpleHTTPRequestHandler):
    """Static files, gzipped when the client accepts it (text types only), as a host would."""

    def log_message(self, *args):
        pass

    def send_head(self):
        path = Path(self.translate_path(self.path))
        if path.is_dir():
            path = path / "index.html"
        wants = "gzip" in self.headers.get("Accept-Encoding", "")
        if not (wants and path.is_file() and path.suffix in COMPRESSIBLE):
            return super().send_head()
        body = gzip.compress(path.read_bytes(), compresslevel=6)
        self.send_response(200)
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        from io import BytesIO

        return BytesIO(body)


def pages(site: Path) -> list[str]:
    """The landing page, each chapter (a page beside its notebook) and one notebook page."""
    chapters = sorted(
        p.name
        for p in (site / "notebooks").iterdir()
        if p.is_dir() and (site / p.name / "index.html").is_file()
    )
    return ["", *(f"{slug}/" for slug in chapters), NOTEBOOK]


def run_lighthouse(url: str, out: Path) -> dict:
    env = {**os.environ, "CHROME_PATH": os.environ.get("CHROME_PATH", "/usr/bin/chromium")}
    flags = "--headless=new --no-sandbox --disable-gpu --no-first-run --disable-sync"
    subprocess.run(
        [
            str(LIGHTHOUSE),
            url,
            "--quiet",
            "--only-categories=performance",
            "--output=json",
            f"--output-path={out}",
            f"--chrome-flags={flags}",
        ],
        check=True,
        env=env,
        timeout=300,
    )
    report = json.loads(out.read_text(encoding="utf-8"))
    audits = report["audits"]
    return {
        "perf": report["categories"]["performance"]["score"] or 0.0,
        "TBT ms": audits["total-blocking-time"]["numericValue"],
        "LCP s": audits["largest-contentful-paint"]["numericValue"] / 1000,
        "CLS": audits["cumulative-layout-shift"]["numericValue"],
        "KB": audits["total-byte-weight"]["numericValue"] / 1000,
    }


def misses(page: str, row: dict) -> list[str]:
    out = []
    for name, target in TARGETS.items():
        if name == "KB" and (page in ("", NOTEBOOK)):
            continue  # the weight target is for chapter pages
        bad = row[name] < target if name == "perf" else row[name] > target
        if bad:
            out.append(f"{page or 'index'}: {name} {row[name]:.3g} (target {target})")
    return out


def main(argv: list[str]) -> int:
    site = Path(argv[0]) if argv else REPO / "site"
    if not LIGHTHOUSE.exists():
        print("Lighthouse is missing: run `npm ci` (make does it) with Node.js 18 or later")
        return 2
    handler = functools.partial(GzipHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    failures, rows = [], []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for page in pages(site):
                runs = [run_lighthouse(base + page, Path(tmp) / f"r{i}.json") for i in range(RUNS)]
                row = {name: median(r[name] for r in runs) for name in TARGETS}
                rows.append((page or "index", row))
                failures += misses(page, row)
                print(
                    f"{page or 'index':24} "
                    + "  ".join(f"{name} {row[name]:>7.3g}" for name in TARGETS),
                    flush=True,
                )
    finally:
        server.shutdown()
    print("\n| page | perf | TBT ms | LCP s | CLS | KB |\n|---|--:|--:|--:|--:|--:|")
    for page, row in rows:
        print(
            f"| {page} | {row['perf']:.2f} | {row['TBT ms']:.0f} | {row['LCP s']:.2f} "
            f"| {row['CLS']:.3f} | {row['KB']:.0f} |"
        )
    print(
        "\ntargets: perf >= 0.95, TBT <= 100 ms, LCP <= 2.0 s, CLS <= 0.01, "
        f"<= 400 KB per chapter (median of {RUNS} runs, Lighthouse mobile preset)"
    )
    for failure in failures:
        print(f"MISSED {failure}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
