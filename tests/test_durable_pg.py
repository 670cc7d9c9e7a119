"""The durable variant at scale (issue 16): two worker processes sharing one PostgreSQL database drain a queue
of 20 runs, and no run is executed twice.

The PostgreSQL server is the one the tests start themselves (tests/services.py: skipped with the reason where
PostgreSQL cannot be installed or started, failed when ``CI=true``).  The workers are the generated command
line (``python -m <package> runs serve --durable URL --worker NAME``), as a user starts them; the test puts the
runs on the queue and reads their outcomes through ``durable.RunQueue`` (DBOS's client), which takes no run itself.
"""

from __future__ import annotations

import importlib
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from tests.scripted import Recorded, Reply, ScriptedServer, build_package, import_package
from tests.services import PostgresServer

pytest.importorskip("dbos", reason="the durable variant needs dbos: pip install -e '.[test]'")

API = """
openapi: 3.0.3
info: {title: Items, version: 1.0.0}
paths:
  /items/{id}:
    get:
      operationId: getItem
      parameters:
        - {name: id, in: path, required: true, schema: {type: string}}
      responses:
        "200":
          description: the item
          content:
            application/json:
              schema:
                type: object
                required: [id, value]
                properties: {id: {type: string}, value: {type: string}}
  /items/{id}/done:
    post:
      operationId: markDone
      parameters:
        - {name: id, in: path, required: true, schema: {type: string}}
      requestBody:
        required: true
        content:
          application/json:
            schema: {type: object, properties: {value: {type: string}}}
      responses:
        "200":
          description: the receipt
          content:
            application/json:
              schema:
                type: object
                required: [receipt]
                properties: {receipt: {type: string}}
"""

FLOW = """
arazzo: 1.0.1
info: {title: Items, version: 1.0.0}
sourceDescriptions:
  - {name: itemsApi, url: ../openapi/items.yaml, type: openapi}
workflows:
  - workflowId: process-item
    inputs:
      type: object
      required: [item]
      properties:
        item: {type: string}
    steps:
      - stepId: fetch
        operationId: getItem
        parameters:
          - {name: id, in: path, value: $inputs.item}
        successCriteria: [{condition: $statusCode == 200}]
        outputs: {value: $response.body#/value}
      - stepId: finish
        operationId: markDone
        parameters:
          - {name: id, in: path, value: $inputs.item}
        requestBody:
          payload: {value: $steps.fetch.outputs.value}
        successCriteria: [{condition: $statusCode == 200}]
        outputs: {receipt: $response.body#/receipt}
    outputs:
      value: $steps.fetch.outputs.value
      receipt: $steps.finish.outputs.receipt
"""

PACKAGE = "durable_pg_pkg"
RUNS = 20


def items(request: Recorded) -> Reply:
    """The server: an item's value, and a receipt for marking it done (the receipt carries the value the
    workflow sent, so a right receipt proves the run passed the first step's output on)."""
    parts = request.path.strip("/").split("/")
    if request.method == "GET" and len(parts) == 2:
        time.sleep(0.05)  # a run takes a moment: the runs spread over both workers
        return Reply(200, {"id": parts[1], "value": f"value-of-{parts[1]}"})
    if request.method == "POST" and len(parts) == 3 and parts[2] == "done":
        return Reply(200, {"receipt": f"{parts[1]}:{request.json()['value']}"})
    return Reply(404, {"missing": request.line})


def _worker(out: Path, database: str, server: str, name: str) -> subprocess.Popen[str]:
    """Start a worker process and wait until it serves the queue (its first line on stderr says so)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(out), env.get("PYTHONPATH", "")])
    command = [sys.executable, "-m", PACKAGE, "runs", "serve", "--durable", database,
               "--base-url", f"items={server}", "--worker", name]  # fmt: skip
    child = subprocess.Popen(
        command, env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert child.stderr is not None
    first = child.stderr.readline()
    if "serving the queue" not in first:
        child.kill()
        child.wait(30)
        raise AssertionError(f"worker {name} did not start: {first}{child.stderr.read()}")
    return child


def _stop(child: subprocess.Popen[str]) -> str:
    """Stop a worker as Ctrl-C does; its stderr."""
    if child.poll() is None:
        child.send_signal(signal.SIGINT)
        try:
            child.wait(30)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait(30)
    return child.stderr.read() if child.stderr else ""


@pytest.mark.timeout(240)
def test_two_workers_on_postgresql_drain_a_queue_of_20_runs_none_twice(
    tmp_path: Path, postgres_server: PostgresServer
) -> None:
    database = postgres_server.create_database("durable_queue")
    out, _ = build_package(
        tmp_path,
        {"openapi/items.yaml": API, "arazzo/items.arazzo.yaml": FLOW},
        PACKAGE,
        durable=True,
    )
    package = import_package(out, PACKAGE)  # the outputs' class, for reading the results back
    durable = importlib.import_module(f"{PACKAGE}.durable")
    workflow = durable.WORKFLOWS["process-item"]

    with ScriptedServer(items) as server:
        workers: list[subprocess.Popen[str]] = []
        client = None
        try:
            # one after the other: the first creates DBOS's tables in the fresh database
            for name in ("worker-1", "worker-2"):
                workers.append(_worker(out, database, server.url, name))
            client = durable.RunQueue(database)  # puts runs on the queue, takes none
            run_ids = []
            for n in range(RUNS):
                run_ids.append(client.enqueue(workflow, {"item": f"item-{n}"}, run_id=f"run-{n}"))
                time.sleep(0.05)  # enqueued over a second: both workers poll the queue meanwhile
            results = {run_id: client.result(run_id, poll=0.1) for run_id in run_ids}
            executors = {run_id: client.worker(run_id) for run_id in results}
            statuses = Counter(client.status(run_id) for run_id in results)
        finally:
            if client is not None:
                client.close()
            logs = [_stop(child) for child in workers]

    outputs_class = package.workflows.items.ProcessItemOutputs
    for n in range(RUNS):
        outputs = results[f"run-{n}"]
        assert isinstance(outputs, outputs_class)
        assert (outputs.value, outputs.receipt) == (
            f"value-of-item-{n}",
            f"item-{n}:value-of-item-{n}",
        )
    assert statuses == Counter({"SUCCESS": RUNS})
    # the server saw each run's two requests exactly once: no run was executed twice
    lines = Counter(r.line for r in server.requests)
    expected = Counter(
        line for n in range(RUNS) for line in (f"GET /items/item-{n}", f"POST /items/item-{n}/done")
    )
    assert lines == expected, (lines - expected, expected - lines)
    # both workers took runs from the queue
    per_worker = Counter(executors.values())
    assert set(per_worker) == {"worker-1", "worker-2"}, (per_worker, logs)
    assert sum(per_worker.values()) == RUNS
