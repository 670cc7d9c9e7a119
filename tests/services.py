"""Real services the tests start themselves: a PostgreSQL server (issue 16 item 5) and two message brokers,
Mosquitto and RabbitMQ (issue 17; see ``start_mosquitto`` and ``start_rabbitmq``).

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

* ``mosquitto_server`` / ``rabbitmq_server`` (session scope): a broker of this test process, its ``url``
  ``mqtt://127.0.0.1:PORT`` / ``amqp://guest:guest@127.0.0.1:PORT/`` (Debian's ``mosquitto`` and
  ``rabbitmq-server`` packages, installed the same way).  Each xdist worker starts its own: RabbitMQ takes
  about 10 s and 5 s of CPU to start (measured on the 2-core machine: 10.4 s alone, 10.4 and 11.7 s for two
  at once), Mosquitto 0.1 s; sharing one across workers would save about 5 s of CPU per run for a lock, a
  registry file and a last-one-out teardown, so each process keeps its own, like PostgreSQL.

Where a service cannot be installed or started, the tests that use it are skipped with the reason, except
when the environment variable ``CI`` is ``true``: CI must run them, so there they fail with the reason.
"""

from __future__ import annotations

import contextlib
import fcntl
import glob
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, TypeVar

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


class ServiceUnavailable(Exception):
    """A service (PostgreSQL, a message broker) cannot be installed or started here; the message says why."""


PostgresUnavailable = ServiceUnavailable


def unavailable(reason: str, service: str = "PostgreSQL") -> None:
    """Skip the test for ``reason``, or fail it when ``CI=true`` (CI must run the tests of every service)."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{service} is required in CI (CI=true) but {reason}", pytrace=False)
    pytest.skip(f"{service} not available: {reason}")


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


def install_package(package: str, find: Callable[[], Path | None], missing: str) -> Path:
    """``find()``, installing Debian's ``package`` first when it finds nothing (``missing`` says what)."""
    found = find()
    if found is not None:
        return found
    if os.geteuid() != 0:
        raise ServiceUnavailable(
            f"{missing}, and installing Debian's {package} package needs root (install it, or put its "
            "programs on PATH)"
        )
    if shutil.which("apt-get") is None:
        raise ServiceUnavailable(
            f"{missing}, and there is no apt-get to install Debian's {package} package with"
        )
    with _Lock():
        found = find()  # another xdist worker may have installed it while this one waited
        if found is not None:
            return found
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        wait = ["-o", "DPkg::Lock::Timeout=120"]  # an apt run outside the tests: wait for it
        _run(["apt-get", *wait, "update"], INSTALL_TIMEOUT, env=env)
        _run(
            ["apt-get", *wait, "install", "-y", "--no-install-recommends", package],
            INSTALL_TIMEOUT,
            env=env,
        )
    found = find()
    if found is None:
        raise ServiceUnavailable(f"Debian's {package} package installed, but still {missing}")
    return found


def install_binaries() -> Path:
    """Find the PostgreSQL binaries, installing Debian's ``postgresql`` package when there are none."""
    return install_package(
        "postgresql",
        lambda: find_binaries(),  # looked up when called (the tests replace it)
        "initdb/pg_ctl are neither on PATH nor under /usr/lib/postgresql/*/bin",
    )


def server_account(name: str = SERVER_OS_USER) -> pwd.struct_passwd | None:
    """The account a server runs as: ``None`` for the current user; as root, ``name`` (made if missing)."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam(name)
    except KeyError:
        pass
    with _Lock():
        try:
            return pwd.getpwnam(name)
        except KeyError:
            pass
        if shutil.which("useradd") is None:
            raise ServiceUnavailable(
                f"running as root, there is no {name!r} user to run the server as, and no useradd"
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
                name,
            ],
            60,
        )
    return pwd.getpwnam(name)


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


class _Stoppable(Protocol):
    def stop(self) -> None: ...


_Server = TypeVar("_Server", bound=_Stoppable)


def serve(start: Callable[[], _Server], service: str) -> Iterator[_Server]:
    """The body of a session fixture: ``start()``'s server until the end, stopped then; when it cannot
    start, the test is skipped (failed when ``CI=true``) with the reason."""
    try:
        server = start()
    except ServiceUnavailable as error:
        unavailable(str(error), service)
        raise AssertionError("unreachable") from error
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A fresh PostgreSQL server for this test process, stopped and removed at the end of the session."""
    yield from serve(start_postgres, "PostgreSQL")


@pytest.fixture(scope="session")
def postgres_url(postgres_server: PostgresServer) -> str:
    """``postgresql://USER@127.0.0.1:PORT/DBNAME`` of an empty database on this process's server."""
    try:
        return postgres_server.create_database(DB_NAME)
    except PostgresUnavailable as error:
        unavailable(str(error))
        raise AssertionError("unreachable") from error


# --- message brokers (issue 17): Mosquitto (MQTT) and RabbitMQ (AMQP 0-9-1) -------------------------------

#: seconds to wait for a broker to accept connections (RabbitMQ boots in about 9 s on an idle machine)
BROKER_START_TIMEOUT = 90


@dataclass
class BrokerServer:
    """A running broker of this test process in a temporary folder; :meth:`stop` ends it and removes it.

    ``url`` is what ``transport_for`` takes: ``mqtt://127.0.0.1:PORT`` or ``amqp://guest:guest@127.0.0.1:PORT/``.
    """

    name: str
    url: str
    host: str
    port: int
    folder: Path
    processes: list[subprocess.Popen[bytes]]
    started_in: float
    """Seconds from the start of the server process until it accepted connections."""

    @property
    def log(self) -> Path:
        return self.folder / "server.log"

    def stop(self) -> None:
        """Kill the processes, each with its process group, and remove the folder.

        The children first (RabbitMQ's start script waits for the Erlang VM: killed first, the VM is reaped
        by the script rather than left a zombie), then the whole group (started in a session of its own)."""
        for process in self.processes:
            if process.poll() is None:
                children = _children(process.pid)
                for child in children:
                    with contextlib.suppress(OSError):
                        os.kill(child, signal.SIGKILL)
                with contextlib.suppress(subprocess.TimeoutExpired):
                    process.wait(5 if children else 0)
                with contextlib.suppress(OSError):
                    os.killpg(process.pid, signal.SIGKILL)
            process.wait(30)
        shutil.rmtree(self.folder, ignore_errors=True)


def _children(pid: int) -> list[int]:
    """The process ids of ``pid``'s children (none where /proc does not list them)."""
    try:
        return [
            int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        ]
    except (OSError, ValueError):
        return []


def _find_program(*candidates: str) -> Callable[[], Path | None]:
    """A finder of the first of ``candidates`` (names on PATH or absolute paths) that is executable."""

    def find() -> Path | None:
        for candidate in candidates:
            found = shutil.which(candidate) if "/" not in candidate else candidate
            if found and os.access(found, os.X_OK):
                return Path(found)
        return None

    return find


def _spawn(
    command: list[str],
    log: Path,
    account: pwd.struct_passwd | None,
    env: dict[str, str],
    cwd: Path,
) -> subprocess.Popen[bytes]:
    """Start ``command`` in a session of its own (its process group is killed at the end), as ``account``."""
    drop: dict[str, object] = {}
    if account is not None:
        drop = {"user": account.pw_uid, "group": account.pw_gid, "extra_groups": []}
    with open(log, "ab") as output:
        return subprocess.Popen(  # type: ignore[call-overload,no-any-return]
            command,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=cwd,
            start_new_session=True,
            **drop,
        )


def _wait_until(
    ready: Callable[[], bool], process: subprocess.Popen[bytes], what: str, log: Path
) -> None:
    """Poll ``ready()`` until it holds; :class:`ServiceUnavailable` when ``process`` exits or time is up."""
    deadline = time.monotonic() + BROKER_START_TIMEOUT
    while not ready():
        if process.poll() is not None:
            raise ServiceUnavailable(
                f"{what} exited with {process.returncode} at start:\n  {_log_tail(log)}"
            )
        if time.monotonic() > deadline:
            raise ServiceUnavailable(
                f"{what} did not accept connections within {BROKER_START_TIMEOUT} s:\n  {_log_tail(log)}"
            )
        time.sleep(0.1)


def _accepts_tcp(port: int) -> Callable[[], bool]:
    def ready() -> bool:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return True
        except OSError:
            return False

    return ready


#: an MQTT 3.1.1 CONNECT (clean session, empty client id) and the first byte of the CONNACK it gets
MQTT_CONNECT, MQTT_CONNACK = b"\x10\x0c\x00\x04MQTT\x04\x02\x00\x3c\x00\x00", 0x20


def _mqtt_accepts(port: int) -> Callable[[], bool]:
    """Whether an MQTT broker answers on ``port`` (a CONNACK, even a refusal: not some other listener)."""

    def ready() -> bool:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as connection:
                connection.sendall(MQTT_CONNECT)
                answer = connection.recv(4)
                connection.sendall(b"\xe0\x00")  # DISCONNECT
        except OSError:
            return False
        return bool(answer) and answer[0] == MQTT_CONNACK

    return ready


def _private_folder(prefix: str, account: pwd.struct_passwd | None) -> Path:
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    if account is not None:
        os.chown(folder, account.pw_uid, account.pw_gid)
    return folder


def start_mosquitto(*, passwords: dict[str, str] | None = None) -> BrokerServer:
    """A fresh Mosquitto on a free port of 127.0.0.1, anonymous unless ``passwords`` (user: password)."""
    program = install_package(
        "mosquitto",
        _find_program("mosquitto", "/usr/sbin/mosquitto"),
        "there is no mosquitto on PATH nor in /usr/sbin",
    )
    account = server_account("mosquitto")  # as root, Mosquitto itself switches to this user
    folder = _private_folder("arazzo-gen-mqtt-", account)
    server: BrokerServer | None = None
    try:
        settings = ["persistence false", "log_dest stderr", "log_type error", "log_type warning"]
        if passwords:
            password_file = folder / "passwords"
            password_file.write_text("".join(f"{user}:{pw}\n" for user, pw in passwords.items()))
            _run(["mosquitto_passwd", "-U", str(password_file)], 30)  # hashes them in place
            if account is not None:
                os.chown(password_file, account.pw_uid, account.pw_gid)
            password_file.chmod(0o600)
            settings += ["allow_anonymous false", f"password_file {password_file}"]
        else:
            settings += ["allow_anonymous true"]
        failures: list[str] = []
        for _ in range(3):  # another process may take the free port first
            port = free_port()
            config = folder / "mosquitto.conf"
            config.write_text("\n".join([f"listener {port} 127.0.0.1", *settings]) + "\n")
            log = folder / "server.log"
            log.unlink(missing_ok=True)  # the log of this attempt only
            begun = time.monotonic()
            process = _spawn([str(program), "-c", str(config)], log, None, dict(os.environ), folder)
            server = BrokerServer(
                "Mosquitto", f"mqtt://127.0.0.1:{port}", "127.0.0.1", port, folder, [process], 0.0
            )
            try:
                _wait_until(_mqtt_accepts(port), process, "mosquitto", log)
            except ServiceUnavailable as error:
                failures.append(str(error))
                process.kill()
                process.wait(30)
                continue
            server.started_in = time.monotonic() - begun
            return server
        raise ServiceUnavailable("\n".join(failures))
    except BaseException:
        if server is not None:
            server.stop()
        shutil.rmtree(folder, ignore_errors=True)
        raise


#: the RabbitMQ start script that runs the broker in the foreground (Debian's /usr/sbin one switches users)
RABBITMQ_PROGRAMS = ("/usr/lib/rabbitmq/bin/rabbitmq-server", "rabbitmq-server")
#: the broker's settings (rabbitmq.conf): loopback only; no disk alarm on a small temporary disk
RABBITMQ_SETTINGS = (
    "listeners.tcp.default = 127.0.0.1:{port}",
    "disk_free_limit.absolute = 1MB",
    "log.console = false",
    "log.file.level = warning",
)


def _amqp_accepts(url: str) -> Callable[[], bool]:
    """Whether a pika connection to ``url`` succeeds (the TCP listener opens before the broker is ready)."""
    import pika

    parameters = pika.URLParameters(url)
    parameters.socket_timeout = 2
    parameters.connection_attempts = 1

    def ready() -> bool:
        if not _accepts_tcp(parameters.port)():
            return False
        try:
            pika.BlockingConnection(parameters).close()
        except pika.exceptions.AMQPError:
            return False
        return True

    return ready


def start_rabbitmq() -> BrokerServer:
    """A fresh RabbitMQ node of its own (name, folder, ports, epmd), on 127.0.0.1, without plugins."""
    program = install_package(
        "rabbitmq-server",
        _find_program(*RABBITMQ_PROGRAMS),
        "there is no rabbitmq-server in /usr/lib/rabbitmq/bin nor on PATH",
    )
    epmd = _find_program("epmd", "/usr/lib/erlang/bin/epmd")()
    if epmd is None:
        raise ServiceUnavailable("rabbitmq-server is installed but Erlang's epmd is not on PATH")
    account = server_account("rabbitmq")
    folder = _private_folder("arazzo-gen-amqp-", account)
    log = folder / "server.log"
    server: BrokerServer | None = None
    try:
        # a private epmd (Erlang's port mapper) on a port of its own: never another node's, killed at the end
        epmd_port, port, dist_port = free_port(), free_port(), free_port()
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("RABBITMQ_", "ERL_")) and key not in ("HOME", "NOTIFY_SOCKET")
        }
        node = f"arazzo{os.getpid()}x{port}@localhost"
        env.update(
            HOME=str(folder),  # the Erlang cookie goes there
            LC_ALL="C.UTF-8",
            LANG="C.UTF-8",
            ERL_EPMD_PORT=str(epmd_port),
            ERL_EPMD_ADDRESS="127.0.0.1",
            RABBITMQ_NODENAME=node,
            RABBITMQ_NODE_IP_ADDRESS="127.0.0.1",
            RABBITMQ_NODE_PORT=str(port),
            RABBITMQ_DIST_PORT=str(dist_port),
            RABBITMQ_MNESIA_BASE=str(folder / "mnesia"),
            RABBITMQ_LOG_BASE=str(folder / "log"),
            RABBITMQ_CONFIG_FILE=str(folder / "rabbitmq.conf"),
            RABBITMQ_ADVANCED_CONFIG_FILE=str(folder / "advanced.config"),  # none
            RABBITMQ_CONF_ENV_FILE=str(folder / "rabbitmq-env.conf"),  # none: not /etc/rabbitmq's
            RABBITMQ_ENABLED_PLUGINS_FILE=str(folder / "enabled_plugins"),
            RABBITMQ_PID_FILE=str(folder / "rabbitmq.pid"),
            # schedulers that do not busy-wait: the CPU of a 2-core machine goes to the tests
            RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="+sbwt none +sbwtdcpu none +sbwtdio none",
        )
        (folder / "rabbitmq.conf").write_text("\n".join(RABBITMQ_SETTINGS).format(port=port) + "\n")
        (folder / "enabled_plugins").write_text("[].\n")  # no management plugin, no other plugin
        if account is not None:
            for path in folder.iterdir():
                os.chown(path, account.pw_uid, account.pw_gid)
        begun = time.monotonic()
        epmd_process = _spawn(
            [str(epmd), "-port", str(epmd_port), "-address", "127.0.0.1"], log, account, env, folder
        )
        server = BrokerServer(
            "RabbitMQ",
            f"amqp://guest:guest@127.0.0.1:{port}/",
            "127.0.0.1",
            port,
            folder,
            [epmd_process],
            0.0,
        )
        _wait_until(_accepts_tcp(epmd_port), epmd_process, "epmd", log)
        process = _spawn([str(program)], log, account, env, folder)
        server.processes.insert(0, process)  # stopped before its epmd
        _wait_until(_amqp_accepts(server.url), process, "rabbitmq-server", log)
        server.started_in = time.monotonic() - begun
        return server
    except BaseException:
        if server is not None:
            server.stop()
        shutil.rmtree(folder, ignore_errors=True)
        raise


@pytest.fixture(scope="session")
def mosquitto_server() -> Iterator[BrokerServer]:
    """A fresh Mosquitto (MQTT v5) of this test process: ``mosquitto_server.url`` is ``mqtt://127.0.0.1:PORT``."""
    yield from serve(start_mosquitto, "Mosquitto")


@pytest.fixture(scope="session")
def rabbitmq_server() -> Iterator[BrokerServer]:
    """A fresh RabbitMQ of this test process: ``rabbitmq_server.url`` is ``amqp://guest:guest@127.0.0.1:PORT/``."""
    yield from serve(start_rabbitmq, "RabbitMQ")
