"""The generated runtime does no avoidable work per client or per request (issue 8): the certificate bundle is
loaded once per process, not once per client; a request without query parameters does not make httpx merge
an empty ``params`` into its URL (a second parse of every URL)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from typing import Any

import httpx
import pytest

quantum_workflows = pytest.importorskip(
    "quantum_workflows", reason="install the generated package first: pip install ./generated"
)
from quantum_workflows.apis import ibm_quantum_runtime_sessions as sessions


def test_the_certificate_bundle_is_loaded_once_for_many_clients() -> None:
    """In a fresh interpreter (nothing cached yet): 20 sync and 20 async clients, one bundle load."""
    script = textwrap.dedent(
        """
        import asyncio, ssl
        loads = []
        original = ssl.SSLContext.load_verify_locations
        def counting(self, *args, **kwargs):
            loads.append(args or kwargs)
            return original(self, *args, **kwargs)
        ssl.SSLContext.load_verify_locations = counting
        from quantum_workflows.apis import ibm_quantum_runtime_sessions as sessions
        for _ in range(20):
            sessions.Client("http://127.0.0.1:9", bearer_auth="t", api_version="1", service_crn="c").close()
        async def many():
            for _ in range(20):
                await sessions.AsyncClient("https://127.0.0.1:9", bearer_auth="t", api_version="1", service_crn="c").close()
        asyncio.run(many())
        print(len(loads))
        """
    )
    env = {k: v for k, v in os.environ.items() if k not in ("SSL_CERT_FILE", "SSL_CERT_DIR")}
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "1"


def test_a_request_without_query_parameters_passes_no_params(monkeypatch: pytest.MonkeyPatch) -> None:
    """httpx builds the URL a second time (``URL(url, params=...)``) whenever ``params`` is not None."""
    params_seen: list[object] = []
    original = httpx.Request.__init__

    def recording(self: httpx.Request, *args: Any, **kwargs: Any) -> None:
        params_seen.append(kwargs.get("params"))
        original(self, *args, **kwargs)

    monkeypatch.setattr(httpx.Request, "__init__", recording)
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(204)

    with httpx.Client(transport=httpx.MockTransport(handler)) as http:
        client = sessions.Client("http://api.test", bearer_auth="t", api_version="1", service_crn="c", http_client=http)
        client.delete_session_close(id_="abc")
        client.delete_session_close(id_="abc", extra_query={"q": "1"})
    assert [str(r.url) for r in seen] == [
        "http://api.test/v1/sessions/abc/close",
        "http://api.test/v1/sessions/abc/close?q=1",
    ]
    assert params_seen[0] is None and params_seen[1] is not None


def test_reading_outputs_copies_nothing_and_a_credential_is_processed_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """A workflow run that succeeds builds no redacted copy of any response (only an error keeps one), and the
    credential forms of a value the client sends on every request are computed once, not per request."""
    from quantum_workflows import _runtime
    from quantum_workflows.workflows import pause_session_and_confirm

    def no_copy(self: Any) -> Any:
        raise AssertionError("a successful read made a redacted copy of the response")

    forms: list[str] = []
    original_forms = _runtime._credential_forms

    def counting_forms(value: str) -> set[str]:
        forms.append(value)
        return original_forms(value)

    monkeypatch.setattr(_runtime.ApiResponse, "detached", no_copy)
    monkeypatch.setattr(_runtime, "_credential_forms", counting_forms)
    session = {"id": "s1", "backend_name": "b", "mode": "batch", "state": "open", "accepting_jobs": True}

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(204) if request.method == "PATCH" else httpx.Response(200, json=session)

    with httpx.Client(transport=httpx.MockTransport(handler)) as http:
        api = sessions.Client("http://api.test", http_client=http)
        for _ in range(3):
            out = pause_session_and_confirm(
                access_token="tok-123456", service_crn="crn:1", api_version="v1", session_id="s1",
                accepting_jobs=True, sessions_api=api,
            )  # fmt: skip
            assert out.final_accepting_jobs is True
    # the values of the API's three credential headers (Authorization, Service-CRN, IBM-API-Version), each
    # processed once for nine requests
    assert sorted(forms) == ["Bearer tok-123456", "crn:1", "v1"]
