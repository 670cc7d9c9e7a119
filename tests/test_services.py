"""The PostgreSQL server the tests start themselves (tests/services.py): real, fresh, and private."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from tempfile import mkdtemp as tempfile_mkdtemp

import psycopg
import pytest

from tests.services import BrokerServer, PostgresServer


def test_round_trip(postgres_url: str) -> None:
    with psycopg.connect(postgres_url, autocommit=True) as connection:
        connection.execute("CREATE TABLE round_trip (id integer PRIMARY KEY, name text NOT NULL)")
        connection.execute(
            "INSERT INTO round_trip VALUES (%s, %s), (%s, %s)", (1, "ümlaut ✓", 2, "second")
        )
        rows = connection.execute("SELECT id, name FROM round_trip ORDER BY id").fetchall()
        connection.execute("DROP TABLE round_trip")
    assert rows == [(1, "ümlaut ✓"), (2, "second")]


@pytest.mark.timeout(60)
def test_two_connections_see_each_others_committed_rows(postgres_url: str) -> None:
    with psycopg.connect(postgres_url) as first, psycopg.connect(postgres_url) as second:
        first.execute("CREATE TABLE shared (owner text NOT NULL)")
        first.commit()
        first.execute("INSERT INTO shared VALUES ('first')")
        # not committed yet: the other connection does not see it
        assert second.execute("SELECT owner FROM shared").fetchall() == []
        second.commit()
        first.commit()
        second.execute("INSERT INTO shared VALUES ('second')")
        second.commit()
        for connection in (first, second):
            rows = connection.execute("SELECT owner FROM shared ORDER BY owner").fetchall()
            connection.commit()
            assert rows == [("first",), ("second",)]
        first.execute("DROP TABLE shared")
        first.commit()


def test_the_server_is_local_and_trusts_only_the_loopback(
    postgres_server: PostgresServer, postgres_url: str
) -> None:
    assert postgres_url == f"postgresql://arazzo@127.0.0.1:{postgres_server.port}/arazzo_test"
    with psycopg.connect(postgres_url, autocommit=True) as connection:
        settings = dict(
            connection.execute(
                "SELECT name, setting FROM pg_settings WHERE name IN"
                " ('listen_addresses', 'port', 'fsync', 'unix_socket_directories')"
            ).fetchall()
        )
        assert connection.execute("SELECT current_user").fetchone() == ("arazzo",)
    assert settings == {
        "listen_addresses": "127.0.0.1",
        "port": str(postgres_server.port),
        "fsync": "off",
        "unix_socket_directories": str(postgres_server.socket_dir),
    }
    hba = (postgres_server.data / "pg_hba.conf").read_text().split("\n")
    assert [line for line in hba if line.strip()] == [
        "local all all trust",
        "host all all 127.0.0.1/32 trust",
    ]
    # the server folder is private to the account the server runs as
    assert not stat.S_IMODE(os.stat(postgres_server.data).st_mode) & 0o077


def test_another_database_on_the_same_server(postgres_server: PostgresServer) -> None:
    url = postgres_server.create_database("another_one")
    assert url.endswith(f":{postgres_server.port}/another_one")
    with psycopg.connect(url) as connection:
        assert connection.execute("SELECT current_database()").fetchone() == ("another_one",)
        tables = connection.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
        ).fetchone()
    assert tables == (0,)  # a fresh database


def test_unavailable_skips_outside_ci_and_fails_in_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.services import unavailable

    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="PostgreSQL not available: no binaries"):
        unavailable("no binaries")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="required in CI .* no binaries"):
        unavailable("no binaries")


def test_the_folder_is_removed_at_teardown(tmp_path: Path) -> None:
    from tests.services import start_postgres

    server = start_postgres()
    folder = server.folder
    assert (folder / "data" / "postmaster.pid").exists()
    server.stop()
    assert not folder.exists()


def test_a_fresh_machine_installs_debians_package_once_under_the_lock(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Two workers without binaries: apt runs once, by one of them, while the other waits on the lock."""
    import threading
    import time

    from tests import services

    installed = threading.Event()
    commands: list[list[str]] = []
    running = threading.Lock()
    overlaps: list[str] = []

    def fake_run(command: list[str], timeout: float, **kwargs: object) -> object:
        if not running.acquire(blocking=False):
            overlaps.append(" ".join(command))
            return None
        try:
            commands.append(command)
            assert kwargs["env"]["DEBIAN_FRONTEND"] == "noninteractive"  # type: ignore[index]
            time.sleep(0.2)
            if command[-1] == "postgresql":
                installed.set()
        finally:
            running.release()
        return None

    monkeypatch.setattr(services, "find_binaries", lambda: tmp_path if installed.is_set() else None)
    monkeypatch.setattr(services, "_run", fake_run)
    monkeypatch.setattr(services.os, "geteuid", lambda: 0)
    monkeypatch.setattr(services.shutil, "which", lambda name: f"/usr/bin/{name}")
    monkeypatch.setattr(services, "INSTALL_LOCK", tmp_path / "install.lock")
    found: list[Path] = []
    workers = [
        threading.Thread(target=lambda: found.append(services.install_binaries())) for _ in "ab"
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert found == [tmp_path, tmp_path]
    assert overlaps == []
    wait = ["-o", "DPkg::Lock::Timeout=120"]
    assert commands == [
        ["apt-get", *wait, "update"],
        ["apt-get", *wait, "install", "-y", "--no-install-recommends", "postgresql"],
    ]


def test_without_root_or_apt_the_reason_says_what_to_do(monkeypatch: pytest.MonkeyPatch) -> None:
    from tests import services

    monkeypatch.setattr(services, "find_binaries", lambda: None)
    monkeypatch.setattr(services.os, "geteuid", lambda: 1000)
    with pytest.raises(services.PostgresUnavailable, match="needs root"):
        services.install_binaries()
    monkeypatch.setattr(services.os, "geteuid", lambda: 0)
    monkeypatch.setattr(services.shutil, "which", lambda name: None)
    with pytest.raises(services.PostgresUnavailable, match="no apt-get"):
        services.install_binaries()


def test_a_server_that_cannot_start_reports_its_log(monkeypatch: pytest.MonkeyPatch) -> None:
    """A server that exits at start: the error carries the server log's tail, and the folder is removed."""
    from tests import services

    def broken(self: PostgresServer, port: int) -> None:
        original(self, port)
        with open(self.data / "postgresql.auto.conf", "a") as conf:
            conf.write("shared_buffers = 'not a size'\n")

    original = services.PostgresServer.configure
    monkeypatch.setattr(services.PostgresServer, "configure", broken)
    folders: list[Path] = []
    monkeypatch.setattr(
        services.tempfile,
        "mkdtemp",
        lambda prefix: folders.append(Path(tempfile_mkdtemp(prefix=prefix))) or str(folders[-1]),
    )
    with pytest.raises(services.PostgresUnavailable) as error:
        services.start_postgres()
    assert "did not accept connections" in str(error.value)
    assert "shared_buffers" in str(error.value)  # from the server log
    assert folders and not folders[0].exists()


# --- the message brokers (issue 17) -------------------------------------------------------------------


def _listens_only_on_loopback(port: int) -> None:
    import socket

    with socket.create_connection(("127.0.0.1", port), timeout=5):
        pass
    listening = Path("/proc/net/tcp").read_text().splitlines()[1:]
    local = {line.split()[1] for line in listening if line.split()[3] == "0A"}  # LISTEN
    assert f"0100007F:{port:04X}" in local  # 127.0.0.1:port
    assert f"00000000:{port:04X}" not in local  # not 0.0.0.0:port


def test_the_mosquitto_server_is_local(mosquitto_server: BrokerServer) -> None:
    assert mosquitto_server.url == f"mqtt://127.0.0.1:{mosquitto_server.port}"
    _listens_only_on_loopback(mosquitto_server.port)
    config = (mosquitto_server.folder / "mosquitto.conf").read_text().splitlines()
    assert f"listener {mosquitto_server.port} 127.0.0.1" in config
    assert "allow_anonymous true" in config and "persistence false" in config
    assert mosquitto_server.started_in < 20


def test_the_rabbitmq_server_is_local_and_private(rabbitmq_server: BrokerServer) -> None:
    import pika

    assert rabbitmq_server.url == f"amqp://guest:guest@127.0.0.1:{rabbitmq_server.port}/"
    _listens_only_on_loopback(rabbitmq_server.port)
    connection = pika.BlockingConnection(pika.URLParameters(rabbitmq_server.url))
    assert connection.is_open
    connection.close()
    broker, epmd = rabbitmq_server.processes
    # its own epmd, on a port of its own, started (and ended) by the fixture
    assert Path(f"/proc/{epmd.pid}/cmdline").read_bytes().split(b"\0")[1:5] == [
        b"-port",
        str(epmd.args[2]).encode(),
        b"-address",
        b"127.0.0.1",
    ]
    assert broker.poll() is None and epmd.poll() is None
    plugins = (rabbitmq_server.folder / "enabled_plugins").read_text()
    assert plugins == "[].\n"  # no management plugin, no other
    assert "rabbitmq_management" not in _log_text(rabbitmq_server)
    assert rabbitmq_server.started_in < 60  # about 10 s on the 2-core machine


def _log_text(server: BrokerServer) -> str:
    return "".join(path.read_text(errors="replace") for path in server.folder.rglob("*.log"))


def test_a_stopped_broker_leaves_no_process_and_no_folder() -> None:
    from tests.services import start_mosquitto

    server = start_mosquitto()
    (process,) = server.processes
    assert process.poll() is None
    server.stop()
    assert process.poll() is not None
    assert not server.folder.exists()


def test_a_broker_that_cannot_start_reports_its_log(monkeypatch: pytest.MonkeyPatch) -> None:
    """Its port taken (three times): the error says so from the broker's log; the folder is removed."""
    import socket

    from tests import services

    folders: list[Path] = []
    monkeypatch.setattr(
        services.tempfile,
        "mkdtemp",
        lambda prefix: folders.append(Path(tempfile_mkdtemp(prefix=prefix))) or str(folders[-1]),
    )
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        monkeypatch.setattr(services, "free_port", lambda: taken.getsockname()[1])
        with pytest.raises(services.ServiceUnavailable) as error:
            services.start_mosquitto()
    assert str(error.value).count("mosquitto exited with") == 3
    assert "Address already in use" in str(error.value)
    assert folders and not folders[0].exists()


def test_unavailable_names_the_service(monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.services import unavailable

    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="RabbitMQ not available: no epmd"):
        unavailable("no epmd", "RabbitMQ")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="RabbitMQ is required in CI .* no epmd"):
        unavailable("no epmd", "RabbitMQ")


def test_a_fresh_machine_installs_the_broker_packages(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from tests import services

    commands: list[list[str]] = []
    monkeypatch.setattr(
        services, "_run", lambda command, timeout, **kwargs: commands.append(command)
    )
    monkeypatch.setattr(services.os, "geteuid", lambda: 0)
    monkeypatch.setattr(services.shutil, "which", lambda name: f"/usr/bin/{name}")
    monkeypatch.setattr(services, "INSTALL_LOCK", tmp_path / "install.lock")
    found = iter([None, None, tmp_path / "rabbitmq-server"])
    assert services.install_package("rabbitmq-server", lambda: next(found), "no broker") == (
        tmp_path / "rabbitmq-server"
    )
    assert commands[-1][-4:] == ["install", "-y", "--no-install-recommends", "rabbitmq-server"]
    monkeypatch.setattr(services.os, "geteuid", lambda: 1000)
    with pytest.raises(services.ServiceUnavailable, match="no mosquitto.*needs root"):
        services.install_package("mosquitto", lambda: None, "no mosquitto")
