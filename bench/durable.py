"""What the durable variant costs per step over the plain workflow function, on SQLite (issue 16).

usage: python bench/durable.py [--runs N] [--quick] [--docs docs/performance.md]

Runs in the project's venv, where ``./generated`` (built with ``durable = true``) is installed.  The workflow is
``pause-session-and-confirm`` (GET the session, PATCH ``accepting_jobs``, GET it again: three steps, one of them
a PATCH, which a durable run notes before sending, see ``quantum_workflows._durable``).  Two variants, run N
times each, interleaved in rounds after one warm-up run each:

- ``plain``: ``quantum_workflows.workflows.pause_session_and_confirm`` with a shared client;
- ``durable``: ``Durable(<sqlite file>).run(durable.pause_session_and_confirm, ..., run_id=<new>)`` with the same
  client: a DBOS workflow whose three exchanges are checkpoints in the SQLite file (WAL, synchronous=NORMAL).

Twice: over HTTP against the stand-in server in its own process (``bench/serve.py``), and in process with an
``httpx.MockTransport`` (the client-side cost alone).  The result per variant is the mean milliseconds per
workflow run; the cost per step is (durable - plain) / 3, and the ratio durable / plain.  ``--docs`` rewrites
the block between ``<!-- durable:begin -->`` and ``<!-- durable:end -->`` in that file.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from dbos import DBOS, SetWorkflowID
from quantum_workflows import durable
from quantum_workflows.apis import ibm_quantum_runtime_sessions as sessions_module
from quantum_workflows.workflows import pause_session_and_confirm
from runtime import AUTH, create_session, mock_transport

STEPS = 3


def _nothing() -> int:
    return 0


@DBOS.workflow(name="bench.three-empty-steps")
def _three_empty_steps() -> int:
    """DBOS's own floor: a workflow of three checkpointed steps that do nothing (no HTTP, no arazzo-gen)."""
    return sum(DBOS.run_step({"name": f"empty/{n}"}, _nothing) for n in range(STEPS))


ROUNDS = 3
BEGIN, END = "<!-- durable:begin (written by bench/durable.py --docs) -->", "<!-- durable:end -->"


def measure(variants: dict[str, Callable[[], None]], runs: int) -> dict[str, float]:
    """Mean milliseconds per call of each variant: one warm-up call each, then ``runs`` calls in ROUNDS
    interleaved rounds."""
    for fn in variants.values():
        fn()
    total = dict.fromkeys(variants, 0.0)
    per_round = max(1, runs // ROUNDS)
    for _ in range(ROUNDS):
        for name, fn in variants.items():
            started = time.perf_counter()
            for _ in range(per_round):
                fn()
            total[name] += time.perf_counter() - started
    return {name: seconds / (per_round * ROUNDS) * 1000 for name, seconds in total.items()}


def scenario(
    base: str, transport: httpx.MockTransport | None, runs: int, folder: Path
) -> dict[str, float]:
    session_id = create_session(base) if transport is None else "s-bench"
    http = httpx.Client(transport=transport) if transport is not None else httpx.Client()
    client = sessions_module.Client(f"{base}/api", http_client=http)
    inputs = {**AUTH, "session_id": session_id, "accepting_jobs": False}
    database = folder / f"runs-{uuid.uuid4().hex[:6]}.sqlite"
    runs_db = durable.Durable(
        str(database), clients={"ibm_quantum_runtime_sessions": client}, worker="bench"
    )
    runs_db.launch()

    def plain() -> None:
        pause_session_and_confirm(**inputs, sessions_api=client)

    def durable_run() -> None:
        runs_db.run(durable.pause_session_and_confirm, inputs, run_id=uuid.uuid4().hex)

    def dbos_floor() -> None:
        with SetWorkflowID(uuid.uuid4().hex):
            _three_empty_steps()

    try:
        result = measure({"plain": plain, "durable": durable_run, "floor": dbos_floor}, runs)
    finally:
        runs_db.close()
        http.close()
    result["per_step"] = (result["durable"] - result["plain"]) / STEPS
    result["floor_per_step"] = result["floor"] / STEPS
    result["ratio"] = result["durable"] / result["plain"]
    return result


def report(results: dict[str, dict[str, float]], runs: int) -> str:
    lines = [
        f"Command: `python bench/durable.py --runs {runs}`",
        "",
        (
            f"Machine: {os.cpu_count()} cores, Python {platform.python_version()}, load average "
            f"{', '.join(f'{x:.2f}' for x in os.getloadavg())} at the end."
        ),
        "",
        (
            "| pause-session-and-confirm (3 steps) | plain ms/run | durable ms/run | durable - plain per step "
            "| ratio | DBOS alone: 3 empty steps, ms/run (per step) |"
        ),
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, result in results.items():
        lines.append(
            f"| {name} | {result['plain']:.2f} | {result['durable']:.2f} | "
            f"{result['per_step']:.2f} ms | {result['ratio']:.2f}x | "
            f"{result['floor']:.2f} ({result['floor_per_step']:.2f}) |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=300)
    parser.add_argument("--quick", action="store_true", help="a smoke run (15 runs)")
    parser.add_argument("--docs", type=Path, help="rewrite the durable block of this Markdown file")
    arguments = parser.parse_args()
    runs = 15 if arguments.quick else arguments.runs
    server = subprocess.Popen(
        [sys.executable, str(BENCH / "serve.py")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        base = server.stdout.readline().strip()
        if not base.startswith("http://"):
            raise RuntimeError("the stand-in server did not start (bench/serve.py)")
        with tempfile.TemporaryDirectory() as folder:
            results: dict[str, Any] = {
                "over HTTP (stand-in server)": scenario(base, None, runs, Path(folder)),
                "in process (MockTransport)": scenario(
                    base, mock_transport("s-bench"), runs, Path(folder)
                ),
            }
    finally:
        if server.stdin is not None:
            server.stdin.close()
        server.wait(10)
    print(json.dumps(results, indent=2))
    text = report(results, runs)
    print(text)
    if arguments.docs is not None:
        document = arguments.docs.read_text(encoding="utf-8")
        if BEGIN in document and END in document:
            head, _, rest = document.partition(BEGIN)
            _, _, tail = rest.partition(END)
            document = f"{head}{BEGIN}\n{text}\n{END}{tail}"
        else:
            document = f"{document.rstrip()}\n\n## Durable runs\n\n{BEGIN}\n{text}\n{END}\n"
        arguments.docs.write_text(document, encoding="utf-8")


if __name__ == "__main__":
    main()
