"""Side-by-side benchmark of two checkouts of arazzo-gen (a change against its base), as ratios.

usage (each checkout with its own ``.venv`` holding the compiler and its ``./generated`` package):

    python bench/compare.py --before ../base-checkout --after . [--rounds 3] [--runs 300] [--scale 1.0]

1. cold build (``--no-cache``) of the big synthetic spec (``../shared/tools/make_big_spec.py`` at ``--scale``
   times run.py's default sizes) by each checkout, rounds interleaved (ABBA: which runs first
   alternates) so that load changes and order effects hit both;
2. the runtime benchmark (``bench/runtime.py``: the seed pause-session-and-confirm, over HTTP to the stand-in
   server and with an in-process transport) of each checkout's generated package, interleaved likewise.

Prints the medians and after/before ratios (what issue 14's "no regression beyond noise" is judged by).
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import DEFAULT_SIZES, make_big_spec


def _build_seconds(checkout: Path, arazzo: Path, root: Path, out: Path) -> float:
    shutil.rmtree(out, ignore_errors=True)
    command = [str(checkout / ".venv" / "bin" / "arazzo-gen"), "build", str(arazzo), "-o", str(out),
               "--root", str(root), "--no-cache", "--quiet"]  # fmt: skip
    start = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    return time.perf_counter() - start


def _runtime(checkout: Path, url: str, runs: int) -> dict[str, dict[str, float]]:
    command = [str(checkout / ".venv" / "bin" / "python"), str(checkout / "bench" / "runtime.py"),
               "--server", url, f"--runs={runs}"]  # fmt: skip
    result = subprocess.run(command, check=True, capture_output=True, text=True)
    data: dict[str, dict[str, float]] = json.loads(result.stdout)
    return data


def _order(checkouts: dict[str, Path], index: int) -> list[tuple[str, Path]]:
    """Before first in even rounds, after first in odd ones: the second run of a round is slower (the stand-in
    server holds more state), and alternating cancels that out."""
    pairs = list(checkouts.items())
    return pairs if index % 2 == 0 else pairs[::-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", type=Path, required=True)
    parser.add_argument("--after", type=Path, default=Path("."))
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--runs", type=int, default=300)
    parser.add_argument("--scale", type=float, default=1.0)
    args = parser.parse_args()
    checkouts = {"before": args.before.resolve(), "after": args.after.resolve()}
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        sizes = {key: max(1, round(value * args.scale)) for key, value in DEFAULT_SIZES.items()}
        arazzo, _ = make_big_spec(folder / "big", sizes)
        builds: dict[str, list[float]] = {name: [] for name in checkouts}
        for index in range(args.rounds):
            for name, checkout in _order(checkouts, index):
                builds[name].append(
                    _build_seconds(checkout, arazzo, folder / "big", folder / f"out-{name}")
                )
        serve = [sys.executable, str(checkouts["after"] / "bench" / "serve.py")]
        server = subprocess.Popen(serve, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        try:
            assert server.stdout is not None
            url = server.stdout.readline().strip()
            timings: dict[str, list[dict[str, dict[str, float]]]] = {name: [] for name in checkouts}
            for index in range(args.rounds):
                for name, checkout in _order(checkouts, index):
                    timings[name].append(_runtime(checkout, url, args.runs))
        finally:
            assert server.stdin is not None
            server.stdin.close()
            server.wait(15)
    print(f"big spec {sizes}: cold build, median of {args.rounds} (s)")
    before, after = statistics.median(builds["before"]), statistics.median(builds["after"])
    print(f"  before {before:.2f}  after {after:.2f}  ratio after/before {after / before:.3f}")
    print(f"runtime, ms/run, median of {args.rounds} rounds of {args.runs} runs")
    for mode in ("server", "inprocess"):
        for variant in timings["after"][0][mode]:
            values = {
                name: statistics.median(t[mode][variant] for t in timings[name])
                for name in checkouts
            }
            ratio = values["after"] / values["before"]
            print(
                f"  {mode:9} {variant:26} before {values['before']:.3f}  after {values['after']:.3f}  ratio {ratio:.3f}"
            )


if __name__ == "__main__":
    main()
