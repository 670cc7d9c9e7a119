"""Run the stand-in application with uvicorn in a background thread."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import uvicorn

from .app import StandInState, create_app
from .validation import ResponseValidator

HOST = "127.0.0.1"
STARTUP_TIMEOUT_S = 10.0
SHUTDOWN_TIMEOUT_S = 10.0


@dataclass
class StandInServer:
    """Handle on a running stand-in server.

    ``validation_errors`` collects every problem the response validator found
    in responses the server sent (the list is shared with the middleware).
    """

    base_url: str
    state: StandInState
    validator: ResponseValidator
    validation_errors: list[str] = field(default_factory=list)

    @property
    def ibm_base_url(self) -> str:
        """Base URL of the IBM Qiskit Runtime API (``servers[0]`` stand-in)."""
        return f"{self.base_url}/api"

    @property
    def azure_endpoint(self) -> str:
        """The ``{endpoint}`` of the Azure Quantum data-plane API."""
        return self.base_url

    def reset(self) -> None:
        """Forget all state and all recorded validation errors."""
        self.state.reset()
        self.validation_errors.clear()


def _bind_free_port() -> socket.socket:
    """A listening socket on 127.0.0.1 with an OS-chosen free port."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((HOST, 0))
    sock.listen(128)
    return sock


def _wait_until_accepting(server: uvicorn.Server, thread: threading.Thread, port: int) -> None:
    """Block until uvicorn has started and a TCP connection succeeds."""
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if not thread.is_alive():
            raise RuntimeError("stand-in server thread exited during startup")
        if server.started:
            try:
                socket.create_connection((HOST, port), timeout=0.5).close()
                return
            except OSError:
                pass
        time.sleep(0.02)
    raise RuntimeError(f"stand-in server did not start within {STARTUP_TIMEOUT_S}s")


@contextmanager
def running_server(
    validator: ResponseValidator | None = None, omit: frozenset[str] = frozenset()
) -> Iterator[StandInServer]:
    """Start the stand-in on a free 127.0.0.1 port; stop it on exit.

    Every response is validated with ``validator`` (default: the public
    documents in ``<repo>/../shared/specs/openapi``, disabled if absent), then
    the members named in ``omit`` are dropped from it (a lenient server).
    """
    validator = validator or ResponseValidator()
    sock = _bind_free_port()
    port = sock.getsockname()[1]
    handle = StandInServer(f"http://{HOST}:{port}", StandInState(), validator)
    app = create_app(
        handle.state, validator=validator, validation_errors=handle.validation_errors, omit=omit
    )
    config = uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        _wait_until_accepting(server, thread, port)
        yield handle
    finally:
        server.should_exit = True
        thread.join(SHUTDOWN_TIMEOUT_S)
        sock.close()
