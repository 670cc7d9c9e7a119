"""Runtime benchmark of the PyPI ``arazzo-runner`` (runs in the benchmark's own venv, bench/.venv).

usage: bench/.venv/bin/python bench/runner_peer.py --server URL --runs N --arazzo FILE   (prints one JSON object)

arazzo-runner interprets the same Arazzo document (specs/arazzo/ibm-quantum-pause-session-and-confirm-...)
at run time.  It has no base-URL option and the IBM documents have no server variables, so the loaded
OpenAPI document's ``servers`` is replaced with the stand-in's URL before the runner is built; requests go
through one ``requests.Session`` (one connection, like the other variants).  The in-process variant mounts a
``requests`` adapter that answers the same three requests from a dict.
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from pathlib import Path
from typing import Any

import requests
from arazzo_runner import ArazzoRunner
from arazzo_runner.utils import load_arazzo_doc, load_source_descriptions

TOKEN = "bench-token"
CRN = "crn:v1:bench"
VERSION = "2026-03-15"
HEADERS = {"Authorization": f"Bearer {TOKEN}", "Service-CRN": CRN, "IBM-API-Version": VERSION}
WORKFLOW = "pause-session-and-confirm"
ROUNDS = 3


class DictAdapter(requests.adapters.BaseAdapter):
    """Answer GET/PATCH /v1/sessions/{id} in process (the same canned session as bench/runtime.py)."""

    def __init__(self, session_id: str) -> None:
        super().__init__()
        self.session: dict[str, Any] = {
            "id": session_id, "backend_name": "ibm_torino", "mode": "batch", "state": "open",
            "accepting_jobs": True, "max_ttl": 28800, "started_at": "2026-01-01T00:00:00Z",
            "timestamps": [{"status": "open", "timestamp": "2026-01-01T00:00:00Z"}],
        }  # fmt: skip

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        response = requests.Response()
        response.request, response.url = request, str(request.url)
        if request.method == "GET":
            response.status_code = 200
            response._content = json.dumps(self.session).encode()
            response.headers["Content-Type"] = "application/json"
        else:
            body = request.body.decode() if isinstance(request.body, bytes) else str(request.body)
            self.session["accepting_jobs"] = json.loads(body)["accepting_jobs"]
            response.status_code = 204
            response._content = b""
        return response

    def close(self) -> None:
        pass


def make_runner(arazzo: Path, base: str, http: requests.Session) -> ArazzoRunner:
    doc = load_arazzo_doc(str(arazzo))
    sources = load_source_descriptions(doc, str(arazzo), "", http)
    for source in sources.values():
        source["servers"] = [{"url": f"{base}/api"}]
    return ArazzoRunner(arazzo_doc=doc, source_descriptions=sources, http_client=http)


def run(runner: ArazzoRunner, session_id: str, n: int) -> None:
    for i in range(n):
        inputs = {"accessToken": TOKEN, "serviceCrn": CRN, "apiVersion": VERSION, "sessionId": session_id,
                  "acceptingJobs": bool(i % 2)}  # fmt: skip
        result = runner.execute_workflow(WORKFLOW, inputs)
        outputs = result.outputs or {}
        if result.error or outputs.get("finalAcceptingJobs") is not bool(i % 2):
            raise RuntimeError(f"arazzo-runner: status={result.status} error={result.error} outputs={outputs}")


def measure(runner: ArazzoRunner, session_id: str, runs: int) -> float:
    run(runner, session_id, 1)
    total = 0.0
    for _ in range(ROUNDS):
        start = time.perf_counter()
        run(runner, session_id, runs // ROUNDS)
        total += time.perf_counter() - start
    return 1000 * total / (ROUNDS * (runs // ROUNDS))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--server", required=True)
    ap.add_argument("--runs", type=int, default=300)
    ap.add_argument("--arazzo", type=Path, required=True)
    a = ap.parse_args()
    logging.disable(logging.CRITICAL)
    with requests.Session() as http:
        response = http.post(f"{a.server}/api/v1/sessions", json={"mode": "batch", "backend": "ibm_torino"}, headers=HEADERS)
        response.raise_for_status()
        session_id = response.json()["id"]
        server_ms = measure(make_runner(a.arazzo, a.server, http), session_id, a.runs)
    with requests.Session() as http:
        http.mount("http://", DictAdapter(session_id))
        inprocess_ms = measure(make_runner(a.arazzo, a.server, http), session_id, a.runs)
    print(json.dumps({"server": server_ms, "inprocess": inprocess_ms, "runs": a.runs}))


if __name__ == "__main__":
    main()
