"""Session-wide test setup: the stand-in server fixtures, the PostgreSQL server and the message brokers
(tests/services.py), and a network guard.

The guard makes "nothing is fetched from the network" checkable: for the whole session, resolving or
connecting to any host other than the loopback interface raises :class:`NetworkAttempt`, and the test that
made the attempt fails even when the code under test swallowed the exception (a library that catches it and
carries on would otherwise hide the attempt).  Servers of the tests listen on 127.0.0.1, so they are
unaffected; subprocesses (pip, mypy, the CLI run under resource limits) are not covered by it.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest_plugins = ["tests.standin.fixtures", "tests.services"]

LOOPBACK = {"127.0.0.1", "::1", "localhost", "0.0.0.0", "::", ""}


class NetworkAttempt(OSError):
    """A test tried to reach a host other than the loopback interface."""


_attempts: list[str] = []
_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex
_real_getaddrinfo = socket.getaddrinfo


def _host(address: Any) -> str | None:
    """The host of an AF_INET/AF_INET6 address tuple; ``None`` for other families (AF_UNIX paths)."""
    if isinstance(address, tuple) and address:
        return str(address[0])
    return None


def _refuse(what: str) -> None:
    _attempts.append(what)
    raise NetworkAttempt(f"network access attempted during a test: {what}")


def _guarded_connect(self: socket.socket, address: Any) -> None:
    host = _host(address)
    if host is not None and host not in LOOPBACK:
        _refuse(f"connect to {address!r}")
    _real_connect(self, address)


def _guarded_connect_ex(self: socket.socket, address: Any) -> int:
    host = _host(address)
    if host is not None and host not in LOOPBACK:
        _refuse(f"connect_ex to {address!r}")
    return _real_connect_ex(self, address)


def _guarded_getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
    name = host.decode() if isinstance(host, bytes) else host
    if name is not None and str(name) not in LOOPBACK:
        _refuse(f"getaddrinfo({name!r})")
    return _real_getaddrinfo(host, *args, **kwargs)


def pytest_configure(config: pytest.Config) -> None:
    socket.socket.connect = _guarded_connect  # type: ignore[method-assign]
    socket.socket.connect_ex = _guarded_connect_ex  # type: ignore[method-assign]
    socket.getaddrinfo = _guarded_getaddrinfo


def pytest_unconfigure(config: pytest.Config) -> None:
    socket.socket.connect = _real_connect  # type: ignore[method-assign]
    socket.socket.connect_ex = _real_connect_ex  # type: ignore[method-assign]
    socket.getaddrinfo = _real_getaddrinfo


@pytest.fixture(autouse=True)
def isolated_build_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets an empty build cache of its own (never the user's ~/.cache/arazzo-gen)."""
    folder = tmp_path_factory.mktemp("build-cache")
    monkeypatch.setenv("ARAZZO_GEN_CACHE_DIR", str(folder))
    return folder


@pytest.fixture(autouse=True)
def no_network() -> Iterator[list[str]]:
    """Fail the test if it attempted to reach the network, even when the attempt's error was swallowed."""
    start = len(_attempts)
    yield _attempts
    made = _attempts[start:]
    assert not made, f"the test attempted network access: {made}"


@pytest.fixture
def listener() -> Iterator[tuple[int, list[object]]]:
    """A TCP listener on 127.0.0.1 that records every connection it accepts."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.2)
    accepted: list[object] = []
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                connection, address = server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            accepted.append(address)
            connection.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1], accepted
    stop.set()
    thread.join()
    server.close()
