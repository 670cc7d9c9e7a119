"""Credentials never leak from generated code, and generated exceptions survive pickling.

The fixture ``tests/fixtures/secrets/specs`` describes a tiny API guarded by every kind of credential
(http bearer, apiKey in query ``subscription-key``, apiKey in header ``X-Vault-Key``, apiKey in cookie
``vault_session``, http basic) and a workflow that puts its inputs ``accessToken`` and ``subscriptionKey``
into an ``Authorization: Bearer {$inputs.accessToken}`` header and a ``subscription-key`` query parameter.
It is built once into a temporary folder and imported as ``vault_probe``; requests go to a small
``http.server`` on 127.0.0.1 that answers according to the item id (and echoes the credentials it received
in some error bodies, as real servers do).

For every way a generated exception arises (each status class, an undocumented status, a body that does not
validate, a timeout, a refused connection, a step error from a status, a step error from a failed criterion,
sync and async) the tests check that no credential value (nor the basic-auth base64 form) appears

* in ``str()`` or ``repr()`` of the exception;
* anywhere in the objects reachable from it (``__dict__``, ``__slots__``, ``args``, ``__cause__``,
  ``__context__``, containers, partials and closures; not ``__traceback__``, whose frames hold the live
  client by design);
* in any log record at any level (httpx's ``HTTP Request: GET <url>`` line, httpcore's debug traces);

and that every exception class pickles and unpickles with its attributes.
"""

from __future__ import annotations

import asyncio
import base64
import functools
import importlib
import json
import logging
import pickle
import socket
import sys
import threading
import time
import types
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from arazzo_gen.diagnostics import Diagnostics
from arazzo_gen.emit.package import PackageOptions
from arazzo_gen.pipeline import compile_specs

SPECS = Path(__file__).parent / "fixtures" / "secrets" / "specs"
PACKAGE = "vault_probe"

TOKEN = "tok-SECRET-bearer-7f3a9c"
SUB_KEY = "sub-SECRET-query-51be02"
HEADER_KEY = "hdr-SECRET-header-c0ffee"
COOKIE_KEY = "cke-SECRET-cookie-9d8e7f"
BASIC_USER = "alice"
BASIC_PASSWORD = "pw-SECRET-basic-a1b2c3"
INPUT_TOKEN = "inp-SECRET-token-445566"
INPUT_SUB_KEY = "inp-SECRET-subkey-778899"
SERVER_COOKIE = "srv-SECRET-setcookie-0a0b0c"

BASIC_PAIR = f"{BASIC_USER}:{BASIC_PASSWORD}"
SECRETS = (
    TOKEN, SUB_KEY, HEADER_KEY, COOKIE_KEY, BASIC_PASSWORD, BASIC_PAIR, INPUT_TOKEN, INPUT_SUB_KEY,
    SERVER_COOKIE, base64.b64encode(BASIC_PAIR.encode()).decode(),
)  # fmt: skip


# -- the generated package ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def vault(tmp_path_factory: pytest.TempPathFactory) -> Iterator[types.ModuleType]:
    """Build the fixture into a temporary folder and import it as ``vault_probe``."""
    diagnostics = Diagnostics()
    files = compile_specs(SPECS, PackageOptions(package=PACKAGE), diagnostics)
    assert files is not None, [d.headline() for d in diagnostics.items]
    out = tmp_path_factory.mktemp("secrets") / "out"
    for name, text in files.items():
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        (out / name).write_text(text, encoding="utf-8")
    sys.path.insert(0, str(out))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(out))
        for name in [m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + ".")]:
            del sys.modules[name]


# -- the server --------------------------------------------------------------------------------------------
@dataclass
class Seen:
    """What the server received, to prove the credentials really travelled (so their absence is redaction)."""

    values: list[str]


class _Handler(BaseHTTPRequestHandler):
    seen: Seen

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        item = parts.path.rsplit("/", 1)[-1]
        query = parse_qs(parts.query)
        received = [
            self.headers.get("Authorization", ""),
            self.headers.get("X-Vault-Key", ""),
            self.headers.get("Cookie", ""),
            *query.get("subscription-key", []),
        ]
        self.seen.values.extend(received)
        echo = " ".join(received)
        if item == "slow":  # the client gives up first
            time.sleep(1.5)
        elif item == "widget":
            self._send(200, {"id": "widget", "name": "Widget", "tags": []})
        elif item == "widget-bad-tags":  # the workflow reads tags, which must be a list; they echo credentials
            self._send(200, {"id": "widget", "name": "Widget", "tags": echo})
        elif item == "gadget":  # 200, but the workflow's criterion wants the name Widget
            self._send(200, {"id": "gadget", "name": "Gadget"})
        elif item == "bad-body":  # does not validate: tags must be a list; the bad value echoes credentials
            self._send(200, {"id": "bad-body", "name": "Bad", "tags": echo})
        elif item == "echo":  # a server that quotes the credentials it rejected
            self._send(401, {"message": f"rejected {echo}"})
        elif item == "teapot":  # undocumented status, plain-text body
            self._send(418, f"I'm a teapot; you sent {echo}", content_type="text/plain")
        elif item == "garbled":  # says gzip, is not: httpx fails to decode it
            self._send(200, "not gzip", content_type="text/plain", encoding="gzip")
        elif item.startswith("status-"):
            self._send(int(item.removeprefix("status-")), {"message": f"status {item}"})
        else:
            self._send(404, {"message": f"no item {item}"})

    def _send(self, status: int, body: Any, content_type: str = "application/json", encoding: str = "") -> None:
        data = (json.dumps(body) if content_type == "application/json" else body).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        if encoding:
            self.send_header("Content-Encoding", encoding)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Set-Cookie", f"server_session={SERVER_COOKIE}; HttpOnly")
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[str, Seen]]:
    """``(base_url, seen)`` of a server on 127.0.0.1."""
    seen = Seen([])
    handler = type("Handler", (_Handler,), {"seen": seen})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/v1", seen
    finally:
        httpd.shutdown()
        httpd.server_close()


def _closed_port_url() -> str:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return f"http://127.0.0.1:{port}/v1"


# -- the scenarios: each raises one generated exception --------------------------------------------------
def _full(vault: types.ModuleType, base_url: str, **kwargs: Any) -> Any:
    return vault.apis.vault.Client(
        base_url, bearer_auth=TOKEN, subscription_key=SUB_KEY, vault_key=HEADER_KEY, vault_cookie=COOKIE_KEY,
        **kwargs,
    )  # fmt: skip


def _basic(vault: types.ModuleType, base_url: str) -> Any:
    return vault.apis.vault.Client(
        base_url, basic_auth=(BASIC_USER, BASIC_PASSWORD), subscription_key=SUB_KEY
    )


def _get(client_factory: Callable[..., Any], item: str, *, parsed: bool = False, **kwargs: Any) -> Any:
    def scenario(vault: types.ModuleType, base_url: str) -> None:
        with client_factory(vault, base_url, **kwargs) as client:
            response = client.get_item(item_id=item)
            if parsed:
                response.parsed  # noqa: B018 - raises
    return scenario


def _workflow(item: str, *, is_async: bool = False) -> Callable[[types.ModuleType, str], None]:
    def scenario(vault: types.ModuleType, base_url: str) -> None:
        inputs = {"access_token": INPUT_TOKEN, "subscription_key": INPUT_SUB_KEY, "item_id": item}
        workflows = vault.workflows
        if is_async:
            async def run() -> None:
                async with vault.apis.vault.AsyncClient(base_url) as client:
                    await workflows.read_item_async(**inputs, vault_api=client)
            asyncio.run(run())
        else:
            with vault.apis.vault.Client(base_url) as client:
                workflows.read_item(**inputs, vault_api=client)
    return scenario


def _refused(vault: types.ModuleType, base_url: str) -> None:
    _get(_full, "widget")(vault, _closed_port_url())


def _with_newlines(vault: types.ModuleType, base_url: str, **kwargs: Any) -> Any:
    """Credentials HTTP cannot carry (a trailing newline, as read from a file): h11 refuses the header and
    quotes it escaped, ``b'hdr-...\\n'``."""
    return vault.apis.vault.Client(base_url, bearer_auth=TOKEN + "\n", vault_key=HEADER_KEY + "\r\n", **kwargs)


def _workflow_newline(vault: types.ModuleType, base_url: str) -> None:
    inputs = {"access_token": INPUT_TOKEN + "\n", "subscription_key": INPUT_SUB_KEY, "item_id": "widget"}
    with vault.apis.vault.Client(base_url) as client:
        vault.workflows.read_item(**inputs, vault_api=client)


SCENARIOS: dict[str, tuple[Callable[[types.ModuleType, str], None], str]] = {
    # name: (scenario, the exception class it raises)
    "not-found": (_get(_full, "missing"), "NotFoundError"),
    "401-echoing-credentials": (_get(_full, "echo"), "AuthenticationError"),
    "401-echoing-basic-auth": (_get(_basic, "echo"), "AuthenticationError"),
    "undocumented-418-text": (_get(_full, "teapot"), "ApiStatusError"),
    "body-does-not-validate": (_get(_full, "bad-body", parsed=True, strict_validation=True), "ResponseValidationError"),
    "timeout": (_get(_full, "slow", timeout=0.2), "ApiTimeoutError"),
    "deadline": (_get(_full, "slow", deadline=0.3), "ApiTimeoutError"),
    "connection-refused": (_refused, "ApiConnectionError"),
    "header-with-a-newline": (_get(_with_newlines, "widget"), "ApiConnectionError"),
    "header-with-a-newline-deadline": (_get(_with_newlines, "widget", deadline=5), "ApiConnectionError"),
    "step-input-token-with-a-newline": (_workflow_newline, "ApiConnectionError"),
    "undecodable-body": (_get(_full, "garbled"), "ApiConnectionError"),
    "step-404": (_workflow("missing"), "StepFailed"),
    "step-401-echoing-inputs": (_workflow("echo"), "StepFailed"),
    "step-criterion-on-200": (_workflow("gadget"), "StepFailed"),
    "step-async-401-echoing-inputs": (_workflow("echo", is_async=True), "StepFailed"),
    "step-output-echoing-credentials": (_workflow("widget-bad-tags"), "StepOutputError"),
}
for _status, _name in [
    (400, "BadRequestError"), (403, "PermissionDeniedError"), (409, "ConflictError"),
    (422, "UnprocessableEntityError"), (429, "RateLimitError"), (503, "InternalServerError"),
    (203, "UnexpectedStatusError"),
]:  # fmt: skip
    SCENARIOS[f"status-{_status}"] = (_get(_full, f"status-{_status}"), _name)


@dataclass
class Raised:
    error: BaseException
    records: list[logging.LogRecord]
    seen: list[str]


def _raise(vault: types.ModuleType, server: tuple[str, Seen], name: str) -> Raised:
    scenario, class_name = SCENARIOS[name]
    base_url, seen = server
    handler = _Capture()
    loggers = [logging.getLogger()]
    old_level = loggers[0].level
    loggers[0].addHandler(handler)
    loggers[0].setLevel(logging.DEBUG)
    start = len(seen.values)
    try:
        with pytest.raises(getattr(vault, class_name)) as caught:
            scenario(vault, base_url)
    finally:
        loggers[0].removeHandler(handler)
        loggers[0].setLevel(old_level)
    assert type(caught.value).__name__ == class_name
    return Raised(caught.value, handler.records, seen.values[start:])


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


# -- walking the objects reachable from an exception ------------------------------------------------------
def reachable_text(root: object) -> Iterator[tuple[str, str]]:
    """``(path, text)`` for every str/bytes reachable from ``root`` (no traceback frames, no module globals)."""
    seen: set[int] = set()
    stack: list[tuple[str, object]] = [("error", root)]
    while stack:
        path, obj = stack.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        if isinstance(obj, str):
            yield path, obj
            continue
        if isinstance(obj, bytes | bytearray | memoryview):
            yield path, bytes(obj).decode("latin-1")
            continue
        if isinstance(obj, type | types.ModuleType | int | float | complex | types.BuiltinFunctionType):
            continue
        children: list[tuple[str, object]] = []
        if isinstance(obj, dict):
            for key, value in obj.items():
                children += [(f"{path}[{key!r}] (key)", key), (f"{path}[{key!r}]", value)]
        elif isinstance(obj, list | tuple | set | frozenset):
            children += [(f"{path}[{i}]", item) for i, item in enumerate(obj)]
        if isinstance(obj, BaseException):
            children += [(f"{path}.args", obj.args), (f"{path}.__cause__", obj.__cause__),
                         (f"{path}.__context__", obj.__context__)]  # fmt: skip
        if isinstance(obj, functools.partial):
            children += [(f"{path}.func", obj.func), (f"{path}.args", obj.args), (f"{path}.keywords", obj.keywords)]
        if isinstance(obj, types.FunctionType | types.MethodType):
            function = obj.__func__ if isinstance(obj, types.MethodType) else obj
            if isinstance(obj, types.MethodType):
                children.append((f"{path}.__self__", obj.__self__))
            cells = function.__closure__ or ()
            children += [(f"{path}.<closure {i}>", cell.cell_contents) for i, cell in enumerate(cells)]
            children += [(f"{path}.__defaults__", function.__defaults__), (f"{path}.__kwdefaults__", function.__kwdefaults__)]
            stack.extend(children)
            continue
        if hasattr(obj, "__dict__"):
            children += [(f"{path}.{k}", v) for k, v in vars(obj).items()]
        for klass in type(obj).__mro__:
            for slot in getattr(klass, "__slots__", ()):
                if isinstance(slot, str) and hasattr(obj, slot):
                    children.append((f"{path}.{slot}", getattr(obj, slot)))
        stack.extend(children)


def leaks(text: str) -> list[str]:
    return [secret for secret in SECRETS if secret in text]


# -- tests -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", list(SCENARIOS))
def test_no_credential_in_str_or_repr(vault: types.ModuleType, server: tuple[str, Seen], name: str) -> None:
    raised = _raise(vault, server, name)
    assert leaks(str(raised.error)) == [], str(raised.error)
    assert leaks(repr(raised.error)) == [], repr(raised.error)
    chain = [raised.error.__cause__, raised.error.__context__]
    for linked in chain:
        if linked is not None:
            assert leaks(str(linked)) == [] and leaks(repr(linked)) == [], repr(linked)


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_no_credential_reachable_from_the_exception(
    vault: types.ModuleType, server: tuple[str, Seen], name: str
) -> None:
    raised = _raise(vault, server, name)
    found = [(path, leaks(text)) for path, text in reachable_text(raised.error) if leaks(text)]
    assert found == [], found[:5]


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_no_credential_in_any_log_record(vault: types.ModuleType, server: tuple[str, Seen], name: str) -> None:
    raised = _raise(vault, server, name)
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    for record in raised.records:
        text = formatter.format(record)
        assert leaks(text) == [], text


def test_the_credentials_really_travel_and_httpx_logs_the_url(
    vault: types.ModuleType, server: tuple[str, Seen]
) -> None:
    """Controls for the tests above: the server receives every credential, httpx logs the query, redacted."""
    raised = _raise(vault, server, "401-echoing-credentials")
    assert raised.seen == [f"Bearer {TOKEN}", HEADER_KEY, f"vault_session={COOKIE_KEY}", SUB_KEY]
    lines = [r.getMessage() for r in raised.records if r.name == "httpx"]
    assert len(lines) == 1 and "subscription-key=" in lines[0], lines
    assert [r for r in raised.records if r.name.startswith("httpcore") and r.levelno == logging.DEBUG]
    raised = _raise(vault, server, "step-401-echoing-inputs")
    assert raised.seen == [f"Bearer {INPUT_TOKEN}", "", "", INPUT_SUB_KEY]


def test_error_keeps_what_is_useful(vault: types.ModuleType, server: tuple[str, Seen]) -> None:
    """Redaction hides the credentials only: status, method, URL, the parsed body and the rest stay."""
    error = _raise(vault, server, "401-echoing-credentials").error
    assert (error.status_code, error.method) == (401, "GET")
    assert error.url == f"{server[0]}/items/echo?subscription-key=***"
    assert isinstance(error.body, vault.apis.vault.models.Error)
    assert error.body.message == "rejected *** *** *** ***"  # Authorization, X-Vault-Key, Cookie, the query key
    assert error.response.headers["content-type"] == "application/json"
    assert error.response.headers["set-cookie"] == "***"
    assert error.response.http_response.request.headers["authorization"] == "***"
    assert error.response.http_response.request.headers["x-vault-key"] == "***"
    assert error.response.http_response.request.headers["cookie"] == "***"
    step = _raise(vault, server, "step-criterion-on-200").error
    assert (step.workflow, step.step, step.status_code) == ("readItem", "fetchItem", 200)
    assert step.criterion == "$response.body#/name == 'Widget'"
    assert step.response.parsed.name == "Gadget"
    assert str(step) == (
        f"workflow 'readItem' step 'fetchItem' failed: HTTP 200 from GET {server[0]}/items/gadget"
        "?subscription-key=*** does not satisfy $response.body#/name == 'Widget'"
    )


def test_successful_responses_redact_their_url(vault: types.ModuleType, server: tuple[str, Seen]) -> None:
    with _full(vault, server[0]) as client:
        response = client.get_item(item_id="widget")
    assert response.parsed.name == "Widget"
    assert response.url == f"{server[0]}/items/widget?subscription-key=***"
    assert leaks(repr(response)) == []


# -- pickling ----------------------------------------------------------------------------------------------
ATTRIBUTES = ("status_code", "method", "url", "body", "documented", "workflow", "step", "criterion", "cause")


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_exception_pickles(vault: types.ModuleType, server: tuple[str, Seen], name: str) -> None:
    error = _raise(vault, server, name).error
    data = pickle.dumps(error)
    assert leaks(data.decode("latin-1")) == []
    clone = pickle.loads(data)
    assert type(clone) is type(error)
    assert (str(clone), repr(clone), clone.args) == (str(error), repr(error), error.args)
    for attribute in ATTRIBUTES:
        if hasattr(error, attribute):
            assert repr(getattr(clone, attribute)) == repr(getattr(error, attribute)), attribute
    response = getattr(error, "response", None)
    if response is not None:
        assert (clone.response.status_code, clone.response.url) == (response.status_code, response.url)
        assert clone.response.content == response.content
        assert _parsed_repr(vault, clone.response) == _parsed_repr(vault, response)


def _parsed_repr(vault: types.ModuleType, response: Any) -> str:
    """``repr(response.parsed)``, or the validation error's text (a StepOutputError keeps a body that does not
    validate as the documented type)."""
    try:
        return repr(response.parsed)
    except vault.ResponseValidationError as error:
        return str(error)


def test_every_exception_class_is_covered(vault: types.ModuleType) -> None:
    """The scenarios raise every exception class of the runtime (so each one is pickled above)."""
    runtime = vault._runtime
    classes = {
        name for name, value in vars(runtime).items()
        if isinstance(value, type) and issubclass(value, Exception) and value.__module__ == runtime.__name__
        and not name.startswith("_")
    }  # fmt: skip
    covered = {class_name for _, class_name in SCENARIOS.values()}
    # ApiError: abstract base, pickled below; MaxStepsExceeded holds no response nor value (only step labels):
    # raised and pickled in tests/test_flow.py; CriterionError holds the criterion and a reason, no response:
    # raised and pickled in tests/test_runtime_safety.py; PageLinkError holds redacted URLs only: raised and
    # pickled in tests/test_pagination.py
    assert classes - covered == {"ApiError", "MaxStepsExceeded", "CriterionError", "PageLinkError"}
    clone = pickle.loads(pickle.dumps(runtime.ApiError("boom")))
    assert (type(clone), clone.args) == (runtime.ApiError, ("boom",))


def test_redact_url_hides_credential_like_query_values_and_passwords(vault: types.ModuleType) -> None:
    runtime = vault._runtime
    assert runtime.redact_url("https://u:p4ss@h/x?access_token=a&page=2&X-Amz-Signature=s&sub%20key=k") == (
        "https://u:***@h/x?access_token=***&page=2&X-Amz-Signature=***&sub%20key=***"  # a "key" name
    )
    assert runtime.redact_url("https://h/x") == "https://h/x"


def _step_error_in_child(out: str, base_url: str) -> str:
    """Run in a worker process: the workflow's StepFailed travels back to the parent pickled."""
    sys.path.insert(0, out)
    vault = importlib.import_module(PACKAGE)
    _workflow("echo")(vault, base_url)
    return "no error"


def test_step_error_crosses_a_process_boundary(vault: types.ModuleType, server: tuple[str, Seen]) -> None:
    import concurrent.futures
    import multiprocessing

    out = str(Path(vault.__file__).parent.parent)
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(1, mp_context=context) as pool:
        future = pool.submit(_step_error_in_child, out, server[0])
        with pytest.raises(vault.StepFailed) as failure:
            future.result(timeout=60)
    error = failure.value
    assert (error.workflow, error.step, error.status_code) == ("readItem", "fetchItem", 401)
    assert isinstance(error.cause, vault.AuthenticationError) and error.cause.body.message == "rejected ***   ***"
    assert leaks(str(error)) == [] and leaks(repr(error.cause)) == []
