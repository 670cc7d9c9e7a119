"""Real services the tests start themselves: a PostgreSQL server (issue 16 item 5).

Register with ``pytest_plugins = ["tests.services"]`` in tests/conftest.py.

* ``postgres_server`` (session scope): a fresh PostgreSQL server of this test process (every pytest-xdist
  worker starts its own: its own temporary folder and its own free port on 127.0.0.1, so they never collide).
  ``postgres_server.create_database(name)`` makes another empty database and returns its URL.
* ``postgres_url`` (session scope): ``postgresql://USER@127.0.0.1:PORT/DBNAME`` of an empty database on it.

Where the server comes from: ``initdb``/``pg_ctl`` on PATH, else the newest ``/usr/lib/postgresql/*/bin``.
With neither, and running as root with ``apt-get`` (a fresh CI machine), Debian's ``postgresql`` package is
installed once, under a file lock so that two xdist workers never run apt at the same time.  PostgreSQL
refuses to run as root: as root the server runs as the ``postgres`` user (created when missing), in a
temporary folder that user owns.  Authentication is ``trust`` on 127.0.0.1 and the socket folder only, the
server listens on 127.0.0.1 only, and ``fsync`` is off (the data is thrown away at teardown).

Where PostgreSQL cannot be installed or started, the tests that use it are skipped with the reason, except
when the environment variable ``CI`` is ``true``: CI must run them, so there they fail with the reason.
"""

from __future__ import annotations

import fcntl
import glob
import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

#: the PostgreSQL programs the fixture runs (Debian installs them together in /usr/lib/postgresql/<version>/bin)
PROGRAMS = ("initdb", "pg_ctl", "postgres", "createdb")
#: the database superuser the tests connect as (trust authentication: no password)
DB_USER = "arazzo"
#: the name of the database ``postgres_url`` points at
DB_NAME = "arazzo_test"
#: the operating-system user the server runs as when the tests run as root
SERVER_OS_USER = "postgres"
#: seconds to wait for the server to accept connections
START_TIMEOUT = 30
#: seconds an ``apt-get update`` / ``apt-get install`` may take
INSTALL_TIMEOUT = 600
#: held while installing (or creating the server user), so that concurrent xdist workers take turns
INSTALL_LOCK = Path(tempfile.gettempdir()) / "arazzo-gen-postgresql-install.lock"


class PostgresUnavailable(Exception):
    """PostgreSQL cannot be installed or started here; the message says why."""


def unavailable(reason: str) -> None:
    """Skip the test for ``reason``, or fail it when ``CI=true`` (CI must run the PostgreSQL tests)."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"PostgreSQL is required in CI (CI=true) but {reason}", pytrace=False)
    pytest.skip(f"PostgreSQL not available: {reason}")


def _version_key(folder: str) -> tuple[int, ...]:
    """Sort key of ``/usr/lib/postgresql/<version>/bin`` by version number (15 < 16 < 17)."""
    version = Path(folder).parent.name
    return tuple(int(part) for part in re.findall(r"\d+", version)) or (0,)


def find_binaries() -> Path | None:
    """The folder holding the :data:`PROGRAMS`: ``initdb``'s on PATH first, then the newest Debian install."""
    candidates: list[str] = []
    on_path = shutil.which("initdb")
    if on_path:  # often a symbolic link into /usr/lib/postgresql/<version>/bin
        candidates.append(str(Path(on_path).resolve().parent))
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=_version_key, reverse=True)
    for folder in map(Path, candidates):
        if all(os.access(folder / program, os.X_OK) for program in PROGRAMS):
            return folder
    return None


class _Lock:
    """An exclusive ``flock`` on :data:`INSTALL_LOCK` (released when the process dies, too)."""

    def __enter__(self) -> None:
        self._file = open(INSTALL_LOCK, "a")
        fcntl.flock(self._file, fcntl.LOCK_EX)

    def __exit__(self, *exc: object) -> None:
        fcntl.flock(self._file, fcntl.LOCK_UN)
        self._file.close()


def _run(command: list[str], timeout: float, **kwargs: object) -> subprocess.CompletedProcess[str]:
    """Run ``command``; :class:`PostgresUnavailable` with its output when it fails or takes too long."""
    try:
        done = subprocess.run(  # type: ignore[call-overload]
            command, capture_output=True, text=True, timeout=timeout, check=False, **kwargs
        )
    except subprocess.TimeoutExpired as error:
        raise PostgresUnavailable(f"`{' '.join(command)}` took more than {timeout} s") from error
    except OSError as error:
        raise PostgresUnavailable(f"`{' '.join(command)}` could not run: {error}") from error
    if done.returncode != 0:
        output = (done.stdout + done.stderr).strip().splitlines()[-15:]
        raise PostgresUnavailable(
            f"`{' '.join(command)}` exited with {done.returncode}:\n  " + "\n  ".join(output)
        )
    return done  # type: ignore[no-any-return]


def install_binaries() -> Path:
    """Find the PostgreSQL binaries, installing Debian's ``postgresql`` package when there are none."""
    found = find_binaries()
    if found is not None:
        return found
    if os.geteuid() != 0:
        raise PostgresUnavailable(
            "initdb/pg_ctl are neither on PATH nor under /usr/lib/postgresql/*/bin, and installing "
            "Debian's postgresql package needs root (install it, or put its bin folder on PATH)"
        )
    if shutil.which("apt-get") is None:
        raise PostgresUnavailable(
            "initdb/pg_ctl are neither on PATH nor under /usr/lib/postgresql/*/bin, and there is no "
            "apt-get to install Debian's postgresql package with"
        )
    with _Lock():
        found = find_binaries()  # another xdist worker may have installed it while this one waited
        if found is not None:
            return found
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        wait = ["-o", "DPkg::Lock::Timeout=120"]  # an apt run outside the tests: wait for it
        _run(["apt-get", *wait, "update"], INSTALL_TIMEOUT, env=env)
        _run(
            ["apt-get", *wait, "install", "-y", "--no-install-recommends", "postgresql"],
            INSTALL_TIMEOUT,
            env=env,
        )
    found = find_binaries()
    if found is None:
        raise PostgresUnavailable(
            "Debian's postgresql package installed, but initdb/pg_ctl are not under /usr/lib/postgresql/*/bin"
        )
    return found


def server_account() -> pwd.struct_passwd | None:
    """The account the server runs as: ``None`` for the current user; as root, ``postgres`` (made if missing)."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam(SERVER_OS_USER)
    except KeyError:
        pass
    with _Lock():
        try:
            return pwd.getpwnam(SERVER_OS_USER)
        except KeyError:
            pass
        if shutil.which("useradd") is None:
            raise PostgresUnavailable(
                f"running as root, there is no {SERVER_OS_USER!r} user to run PostgreSQL as, and no useradd"
            ) from None
        _run(
            [
                "useradd",
                "--system",
                "--user-group",
                "--no-create-home",
                "--home-dir",
                "/nonexistent",
                "--shell",
                "/usr/sbin/nologin",
                SERVER_OS_USER,
            ],
            60,
        )
    return pwd.getpwnam(SERVER_OS_USER)


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on right now (the start retries when another takes it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _log_tail(log: Path, lines: int = 20) -> str:
    try:
        text = log.read_text(errors="replace").strip().splitlines()
    except OSError:
        return "(no server log)"
    return "\n  ".join(text[-lines:]) or "(server log empty)"


@dataclass
class PostgresServer:
    """A running PostgreSQL server in a temporary folder; :meth:`stop` ends it and removes the folder."""

    binaries: Path
    folder: Path
    account: pwd.struct_passwd | None
    port: int = 0
    user: str = DB_USER
    host: str = "127.0.0.1"
    databases: list[str] = field(default_factory=list)

    @property
    def data(self) -> Path:
        return self.folder / "data"

    @property
    def socket_dir(self) -> Path:
        return self.folder / "socket"

    @property
    def log(self) -> Path:
        return self.folder / "server.log"

    def url(self, database: str) -> str:
        return f"postgresql://{self.user}@{self.host}:{self.port}/{database}"

    def _as_server_user(
        self, command: list[str], timeout: float
    ) -> subprocess.CompletedProcess[str]:
        """Run one of the PostgreSQL programs, as the server's account (PostgreSQL refuses root)."""
        env = {key: value for key, value in os.environ.items() if not key.startswith("PG")}
        env.update(LC_ALL="C", LANG="C", TZ="UTC")
        drop: dict[str, object] = {}
        if self.account is not None:
            env.update(
                HOME=str(self.folder), USER=self.account.pw_name, LOGNAME=self.account.pw_name
            )
            drop = {"user": self.account.pw_uid, "group": self.account.pw_gid, "extra_groups": []}
        program = [str(self.binaries / command[0]), *command[1:]]
        return _run(program, timeout, env=env, cwd=self.folder, **drop)

    def initdb(self) -> None:
        self.socket_dir.mkdir()
        if self.account is not None:
            for path in (self.folder, self.socket_dir):
                os.chown(path, self.account.pw_uid, self.account.pw_gid)
        self._as_server_user(
            [
                "initdb",
                "--pgdata",
                str(self.data),
                "--username",
                self.user,
                "--auth",
                "trust",
                "--encoding",
                "UTF8",
                "--locale",
                "C",
                "--no-sync",
                "--no-instructions",
            ],
            120,
        )
        # trust on the socket folder and on 127.0.0.1 only (initdb's default also trusts ::1 and replication)
        (self.data / "pg_hba.conf").write_text(
            "local all all trust\nhost all all 127.0.0.1/32 trust\n"
        )

    def configure(self, port: int) -> None:
        """Listen on 127.0.0.1:``port`` and the socket folder; no durability (the data is discarded)."""
        self.port = port
        settings = {
            "listen_addresses": "'127.0.0.1'",
            "port": str(port),
            "unix_socket_directories": f"'{self.socket_dir}'",
            "fsync": "off",
            "synchronous_commit": "off",
            "full_page_writes": "off",
            "max_connections": "200",  # several worker processes, each with a connection pool
            "logging_collector": "off",
        }
        auto = self.data / "postgresql.auto.conf"  # read after postgresql.conf: the last port wins
        auto.write_text("".join(f"{key} = {value}\n" for key, value in settings.items()))
        if self.account is not None:
            os.chown(auto, self.account.pw_uid, self.account.pw_gid)

    def start(self) -> None:
        """Start on a free port; ready when it accepts connections (a taken port: another port, twice)."""
        failures: list[str] = []
        for _ in range(3):
            self.configure(free_port())
            try:
                self._as_server_user(
                    [
                        "pg_ctl",
                        "start",
                        "--pgdata",
                        str(self.data),
                        "--log",
                        str(self.log),
                        "--wait",
                        "--timeout",
                        str(START_TIMEOUT),
                    ],
                    START_TIMEOUT + 10,
                )
                self._accepts_connections()
                return
            except PostgresUnavailable as error:
                failures.append(f"{error}\n  server log ({self.log}):\n  {_log_tail(self.log)}")
                self.stop_server()
                if "could not bind" not in _log_tail(self.log, 200):
                    break
        raise PostgresUnavailable(
            f"the server did not accept connections on 127.0.0.1 within {START_TIMEOUT} s:\n"
            + "\n".join(failures)
        )

    def _accepts_connections(self) -> None:
        """Wait (bounded) until 127.0.0.1:port accepts a TCP connection (pg_ctl --wait checks the socket)."""
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            try:
                with socket.create_connection((self.host, self.port), timeout=1):
                    return
            except OSError as error:
                if time.monotonic() > deadline:
                    raise PostgresUnavailable(
                        f"nothing accepts connections on {self.host}:{self.port}: {error}"
                    )
                time.sleep(0.05)

    def create_database(self, name: str) -> str:
        """Create an empty database ``name``; its URL."""
        self._as_server_user(
            [
                "createdb",
                "--host",
                self.host,
                "--port",
                str(self.port),
                "--username",
                self.user,
                name,
            ],
            30,
        )
        self.databases.append(name)
        return self.url(name)

    def stop_server(self) -> None:
        if (self.data / "postmaster.pid").exists():
            try:
                self._as_server_user(
                    ["pg_ctl", "stop", "--pgdata", str(self.data), "--mode", "immediate", "--wait"],
                    30,
                )
            except PostgresUnavailable:
                pass

    def stop(self) -> None:
        self.stop_server()
        shutil.rmtree(self.folder, ignore_errors=True)


def start_postgres() -> PostgresServer:
    """Install (when needed), initialise and start a fresh server; :class:`PostgresUnavailable` otherwise."""
    binaries = install_binaries()
    account = server_account()
    # a short path: the socket's path inside it may have at most 107 bytes
    folder = Path(tempfile.mkdtemp(prefix="arazzo-gen-pg-"))
    server = PostgresServer(binaries=binaries, folder=folder, account=account)
    try:
        server.initdb()
        server.start()
    except BaseException:
        server.stop()
        raise
    return server


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A fresh PostgreSQL server for this test process, stopped and removed at the end of the session."""
    try:
        server = start_postgres()
    except PostgresUnavailable as error:
        unavailable(str(error))
        raise AssertionError("unreachable") from error
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def postgres_url(postgres_server: PostgresServer) -> str:
    """``postgresql://USER@127.0.0.1:PORT/DBNAME`` of an empty database on this process's server."""
    try:
        return postgres_server.create_database(DB_NAME)
    except PostgresUnavailable as error:
        unavailable(str(error))
        raise AssertionError("unreachable") from error
