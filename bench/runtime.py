"""Runtime benchmark of the generated package (runs in the project's venv, where ``./generated`` is installed).

usage: python bench/runtime.py --server URL --runs N    (prints one JSON object)

The workflow is ``pause-session-and-confirm`` (specs/arazzo): GET the session, PATCH ``accepting_jobs``,
GET it again.  Every variant does exactly those three requests per run, first against the stand-in server
(``bench/serve.py``, another process, 127.0.0.1), then with an in-process ``httpx.MockTransport`` that
answers the same three requests from a dict, which leaves only the client-side cost.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from quantum_workflows.apis import ibm_quantum_runtime_sessions as sessions_module
from quantum_workflows.apis.ibm_quantum_runtime_sessions import client as client_module
from quantum_workflows.workflows import pause_session_and_confirm, pause_session_and_confirm_async

TOKEN = "bench-token"
CRN = "crn:v1:bench"
VERSION = "2026-03-15"
AUTH = {"access_token": TOKEN, "service_crn": CRN, "api_version": VERSION}
HEADERS = {"Authorization": f"Bearer {TOKEN}", "Service-CRN": CRN, "IBM-API-Version": VERSION}
ROUNDS = 3  # variants are interleaved in rounds so that load changes on the machine hit all of them


def create_session(base: str) -> str:
    response = httpx.post(
        f"{base}/api/v1/sessions", json={"mode": "batch", "backend": "ibm_torino"}, headers=HEADERS
    )
    response.raise_for_status()
    return str(response.json()["id"])


def mock_transport(session_id: str) -> httpx.MockTransport:
    """The three IBM requests of the workflow, answered in process (no sockets, no server)."""
    session: dict[str, Any] = {
        "id": session_id, "backend_name": "ibm_torino", "mode": "batch", "state": "open",
        "accepting_jobs": True, "max_ttl": 28800, "started_at": "2026-01-01T00:00:00Z",
        "timestamps": [{"status": "open", "timestamp": "2026-01-01T00:00:00Z"}],
    }  # fmt: skip

    def handle(request: httpx.Request) -> httpx.Response:
        if request.method == "GET":
            return httpx.Response(200, json=session)
        session["accepting_jobs"] = json.loads(request.content)["accepting_jobs"]
        return httpx.Response(204)

    return httpx.MockTransport(handle)


@contextmanager
def default_path(base: str, transport: httpx.MockTransport | None) -> Iterator[None]:
    """Point the no-client default path at ``base``; with ``transport``, route its requests there.

    The client module reads ``SERVER_URL`` when a client is created.  With a transport, the httpx clients the
    generated code creates get it as a mount for every URL: httpx still builds its default transport (and its
    SSL context) in ``__init__``, so the cost of creating a client is kept and only the socket I/O is removed.
    """
    saved_url, saved_sync, saved_async = client_module.SERVER_URL, httpx.Client, httpx.AsyncClient
    client_module.SERVER_URL = f"{base}/api"
    if transport is not None:

        class MountedClient(saved_sync):  # type: ignore[misc,valid-type]
            def __init__(self, **kwargs: Any) -> None:
                super().__init__(mounts={"all://": transport}, **kwargs)

        httpx.Client = MountedClient  # type: ignore[misc]
    try:
        yield
    finally:
        client_module.SERVER_URL, httpx.Client, httpx.AsyncClient = saved_url, saved_sync, saved_async


def variants(base: str, session_id: str, transport: httpx.MockTransport | None) -> dict[str, Callable[[int], None]]:
    """name -> function running the workflow ``n`` times (the setup it shares across runs included)."""
    api_base = f"{base}/api"

    def sync_client() -> httpx.Client:
        return httpx.Client(transport=transport) if transport else httpx.Client()

    def async_client() -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=transport) if transport else httpx.AsyncClient()

    def generated_sync_shared(n: int) -> None:
        with sync_client() as http, sessions_module.Client(api_base, http_client=http) as sessions:
            for i in range(n):
                out = pause_session_and_confirm(**AUTH, session_id=session_id, accepting_jobs=bool(i % 2), sessions_api=sessions)
                assert out.final_accepting_jobs is bool(i % 2)

    def generated_sync_default(n: int) -> None:
        with default_path(base, transport):
            for i in range(n):
                out = pause_session_and_confirm(**AUTH, session_id=session_id, accepting_jobs=bool(i % 2))
                assert out.final_accepting_jobs is bool(i % 2)

    def generated_async_shared(n: int) -> None:
        async def main() -> None:
            async with async_client() as http, sessions_module.AsyncClient(api_base, http_client=http) as sessions:
                for i in range(n):
                    out = await pause_session_and_confirm_async(
                        **AUTH, session_id=session_id, accepting_jobs=bool(i % 2), sessions_api=sessions
                    )
                    assert out.final_accepting_jobs is bool(i % 2)

        asyncio.run(main())

    def handwritten_sync(n: int) -> None:
        url = f"{api_base}/v1/sessions/{session_id}"
        with (httpx.Client(transport=transport) if transport else httpx.Client()) as http:
            for i in range(n):
                first = http.get(url, headers=HEADERS)
                if first.status_code != 200:
                    raise RuntimeError(first)
                first.json()
                update = http.patch(url, json={"accepting_jobs": bool(i % 2)}, headers=HEADERS)
                if update.status_code != 204:
                    raise RuntimeError(update)
                last = http.get(url, headers=HEADERS)
                if last.status_code != 200:
                    raise RuntimeError(last)
                body = last.json()
                assert body["accepting_jobs"] is bool(i % 2) and isinstance(body["state"], str)

    def handwritten_async(n: int) -> None:
        url = f"{api_base}/v1/sessions/{session_id}"

        async def main() -> None:
            async with async_client() as http:
                for i in range(n):
                    first = await http.get(url, headers=HEADERS)
                    if first.status_code != 200:
                        raise RuntimeError(first)
                    first.json()
                    update = await http.patch(url, json={"accepting_jobs": bool(i % 2)}, headers=HEADERS)
                    if update.status_code != 204:
                        raise RuntimeError(update)
                    last = await http.get(url, headers=HEADERS)
                    if last.status_code != 200:
                        raise RuntimeError(last)
                    body = last.json()
                    assert body["accepting_jobs"] is bool(i % 2) and isinstance(body["state"], str)

        asyncio.run(main())

    return {
        "generated_sync_shared": generated_sync_shared,
        "generated_sync_default": generated_sync_default,
        "generated_async_shared": generated_async_shared,
        "httpx_sync": handwritten_sync,
        "httpx_async": handwritten_async,
    }


def measure(fns: dict[str, Callable[[int], None]], runs: int) -> dict[str, float]:
    """Mean milliseconds per workflow run for each variant (one warm-up run each, then interleaved rounds)."""
    for fn in fns.values():
        fn(1)
    totals = dict.fromkeys(fns, 0.0)
    done = dict.fromkeys(fns, 0)
    per_round = max(1, runs // ROUNDS)
    for r in range(ROUNDS):
        n = per_round if r < ROUNDS - 1 else runs - per_round * (ROUNDS - 1)
        for name, fn in fns.items():
            start = time.perf_counter()
            fn(n)
            totals[name] += time.perf_counter() - start
            done[name] += n
    return {name: 1000 * totals[name] / done[name] for name in fns}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--server", required=True)
    ap.add_argument("--runs", type=int, default=300)
    a = ap.parse_args()
    session_id = create_session(a.server)
    result = {
        "server": measure(variants(a.server, session_id, None), a.runs),
        "inprocess": measure(variants(a.server, session_id, mock_transport(session_id)), a.runs),
        "runs": a.runs,
    }
    print(json.dumps(result))



if __name__ == "__main__":
    main()
