"""Remote ``http(s)`` sources: downloaded only with ``--fetch``, kept by content, pinned in a lock file.

``arazzo-gen build --fetch`` downloads a ``sourceDescriptions[].url`` that is remote (and that no url rewrite
maps to a local file), stores the bytes under ``<cache folder>/remote/<sha256>/`` and records the url's SHA-256
in ``arazzo-gen.lock`` (next to the configuration file, else in the specs root).  Every later build, ``build
--check`` and ``check`` read the stored copy whose digest the lock names, without any network access; a
stored copy whose bytes no longer match is ignored.  With ``--fetch``, a url already in the lock is
downloaded again only when its stored copy is missing, and must still have the pinned digest: content that
changed is an error until the lock entry is deleted.  Nothing is ever downloaded without ``--fetch``.

A download follows redirects only where :func:`redirect_problem` allows (never connecting elsewhere), ends
at :data:`DEADLINE` however slowly the server sends, and holds at most :data:`MAX_BYTES`.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import socket
import ssl
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import SplitResult, unquote, urljoin, urlsplit

from ..cache import read_regular

LOCK_NAME = "arazzo-gen.lock"
MAX_BYTES = 64 * 1024 * 1024
DEADLINE = 30.0  # seconds for one download, redirects included
MAX_REDIRECTS = 5
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_LOOPBACK = {"127.0.0.1", "localhost", "::1"}


class RemoteError(Exception):
    """Why a remote source cannot be read (the message completes "source url '...' ...")."""


@dataclass
class RemoteSources:
    """The lock file, the store of downloaded bytes, and whether downloading is allowed."""

    lock_path: Path
    store: Path
    fetch: bool = False
    pins: dict[str, str] = field(default_factory=dict)  # url -> sha256
    changed: bool = False
    redirects: tuple[
        str, ...
    ] = ()  # fetch-redirects: the url prefixes a download may be redirected to
    # the bytes of each stored copy :meth:`locate` returned, as verified (by its real path): the build parses
    # these, never a second read of the file, which could have been swapped since
    contents: dict[Path, bytes] = field(default_factory=dict)

    @classmethod
    def load(
        cls, lock_path: Path, store: Path, fetch: bool, redirects: tuple[str, ...] = ()
    ) -> RemoteSources:
        """Read ``lock_path`` (absent: nothing pinned); a lock that cannot be read is a :class:`RemoteError`."""
        pins: dict[str, str] = {}
        if lock_path.is_file():
            try:
                data = json.loads(lock_path.read_text(encoding="utf-8"))
                sources = data["sources"]
                pins = {str(url): str(entry["sha256"]) for url, entry in sources.items()}
            except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
                raise RemoteError(f"{lock_path}: not a readable {LOCK_NAME} ({error})") from error
        return cls(lock_path, store, fetch, pins, redirects=redirects)

    def _stored(self, digest: str, url: str) -> Path:
        """``<store>/<sha256[:2]>/<sha256>/<file name of the url>``: the name is what the generated package
        calls the API (its module name, the file named in docstrings)."""
        return self.store / digest[:2] / digest / file_name(url)

    def _intact(self, digest: str, url: str) -> Path | None:
        path = self._stored(digest, url)
        try:
            data = read_regular(
                path, MAX_BYTES
            )  # never a FIFO or device: it lives in the cache folder
        except OSError:
            return None
        return self._verified(path, data) if hashlib.sha256(data).hexdigest() == digest else None

    def _verified(self, path: Path, data: bytes) -> Path:
        real = path.resolve()
        self.contents[real] = data
        return real

    def locate(self, url: str) -> Path:
        """The stored copy of ``url`` (downloaded now if allowed and needed), its real path, whose verified
        bytes are in :attr:`contents`; :class:`RemoteError` otherwise."""
        pinned = self.pins.get(url)
        if pinned is not None:
            stored = self._intact(pinned, url)
            if stored is not None:
                return stored
            if not self.fetch:
                raise RemoteError(
                    f"is pinned in {self.lock_path.name} (sha256 {pinned[:12]}...) but its downloaded copy is "
                    "missing or damaged; run the build with --fetch to download it again"
                )
        elif not self.fetch:
            raise RemoteError(
                f"is remote and not pinned in {self.lock_path.name}; build with --fetch to download and pin it"
            )
        data = download(url, self.redirects)
        digest = hashlib.sha256(data).hexdigest()
        if pinned is not None and digest != pinned:
            raise RemoteError(
                f"changed: its content now has sha256 {digest[:12]}..., {self.lock_path.name} pins "
                f"{pinned[:12]}...; check the new content, then delete its entry from {self.lock_path.name}"
            )
        self._write(self._stored(digest, url), data)
        if pinned is None:
            self.pins[url] = digest
            self.changed = True
        return self._verified(self._stored(digest, url), data)

    def save(self) -> None:
        """Write the lock file when a download added a pin (sorted, so it diffs well)."""
        if not self.changed:
            return
        document = {
            "version": 1,
            "sources": {url: {"sha256": self.pins[url]} for url in sorted(self.pins)},
        }
        self._write(self.lock_path, (json.dumps(document, indent=2) + "\n").encode())
        self.changed = False

    @staticmethod
    def _write(path: Path, data: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.replace(temporary, path)

    def key(self) -> list[object]:
        """What the build cache key holds: downloading allowed, the redirects allowed, and every pin."""
        return [self.fetch, list(self.redirects), sorted(self.pins.items())]


def file_name(url: str) -> str:
    """The last segment of the url's path, as a safe file name (``openapi`` when there is none)."""
    name = urlsplit(url).path.rstrip("/").rpartition("/")[2]
    safe = "".join(c if c.isascii() and (c.isalnum() or c in "._-") else "_" for c in name).lstrip(
        "."
    )
    return safe or "openapi"


def download(url: str, redirects: Sequence[str] = ()) -> bytes:
    """GET ``url`` (http or https only): at most :data:`MAX_BYTES`, within :data:`DEADLINE` seconds in all,
    following at most :data:`MAX_REDIRECTS` redirects that :func:`redirect_problem` allows (``redirects``: the
    url prefixes configured in ``fetch-redirects``); a :class:`RemoteError` says why not."""
    if urlsplit(url).scheme not in ("http", "https"):
        raise RemoteError(
            f"cannot be downloaded: only http and https are fetched, not '{urlsplit(url).scheme}:'"
        )
    watch = _Watch(DEADLINE)
    try:
        current = url
        for _ in range(MAX_REDIRECTS + 1):
            data, target = _get(current, watch)
            if target is None:
                return data
            problem = redirect_problem(url, target, redirects, previous=current)
            if problem is not None:
                raise RemoteError(f"could not be downloaded: it redirects to '{target}', {problem}")
            current = target
        raise RemoteError(f"could not be downloaded: it redirects more than {MAX_REDIRECTS} times")
    finally:
        watch.close()


def redirect_problem(
    original: str, target: str, allowed: Sequence[str], previous: str | None = None
) -> str | None:
    """Why ``--fetch`` does not follow a redirect of ``original`` to ``target``, or ``None`` when it does.

    Followed: to https, or to http when ``original`` and the ``previous`` hop (the url that answered with the
    redirect, ``original`` by default) are http (never down from https, never to another scheme); and only to
    the host (and port, the scheme's default when none is written) of ``original`` or under one of the
    ``allowed`` url prefixes (``fetch-redirects``: same scheme, host and port, and a path that continues the
    prefix's path at a segment boundary, without ``.``/``..`` segments, ``\\`` or ``;``)."""
    start, before = urlsplit(original), urlsplit(previous or original)
    try:
        to = urlsplit(target)
    except ValueError:
        return "which is not a valid url"
    if to.scheme != "https" and not (
        to.scheme == "http" and start.scheme == before.scheme == "http"
    ):
        return "and --fetch follows a redirect only to https (or to http from an http url)"
    origin = _origin(to)
    if origin is None:
        return "which is not a valid url"
    if _same_host(origin, _origin(start)) or any(
        _under(to, urlsplit(prefix)) for prefix in allowed
    ):
        return None
    example = f"{to.scheme}://{to.netloc.rpartition('@')[2]}/"
    return (
        "which is on another host; to follow it, list a prefix of it in fetch-redirects in [tool.arazzo-gen] "
        f"(such as '{example}')"
    )


_DEFAULT_PORTS = {"http": 80, "https": 443}


def _origin(parts: SplitResult) -> tuple[str, str, int] | None:
    """(scheme, host, port) with the scheme's default port when none is written; ``None`` when the url has no
    host or a port that is not a number from 0 to 65535."""
    try:
        port = parts.port
    except ValueError:
        return None
    if not parts.hostname:
        return None
    return (
        parts.scheme,
        parts.hostname,
        port if port is not None else _DEFAULT_PORTS.get(parts.scheme, 0),
    )


def _same_host(target: tuple[str, str, int], start: tuple[str, str, int] | None) -> bool:
    """The same host and port; or the same host, from http on its default port up to https on its own."""
    if start is None or target[1] != start[1]:
        return False
    upgrade = start[0] == "http" and start[2] == 80 and target[0] == "https" and target[2] == 443
    return target[2] == start[2] or upgrade


def valid_prefix(prefix: str) -> bool:
    """Whether ``prefix`` can be a ``fetch-redirects`` entry: an http(s) url with a host and a valid port."""
    try:
        parts = urlsplit(prefix)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and _origin(parts) is not None


def _under(target: SplitResult, prefix: SplitResult) -> bool:
    """Whether ``target`` lies under the url prefix ``prefix``: the same origin, and a path that is the
    prefix's path or continues it after a ``/``; a path with ``.``/``..`` segments, ``\\`` or ``;`` (which
    some servers normalise into another folder) never does."""
    if _origin(prefix) is None or _origin(target) != _origin(prefix):
        return False
    path = unquote(target.path)
    if "\\" in path or ";" in path or any(segment in (".", "..") for segment in path.split("/")):
        return False
    base = prefix.path or "/"
    return target.path == base or target.path.startswith(base if base.endswith("/") else base + "/")


def _get(url: str, watch: _Watch) -> tuple[bytes, str | None]:
    """One GET of ``url``: (its body, ``None``), or (``b""``, the url it redirects to)."""
    handlers: list[urllib.request.BaseHandler] = [_NoRedirects(), *_watched_handlers(watch)]
    if urlsplit(url).hostname in _LOOPBACK:
        handlers.append(
            urllib.request.ProxyHandler({})
        )  # never send a loopback request through a proxy
    opener = urllib.request.build_opener(*handlers)
    request = urllib.request.Request(
        url, headers={"Accept": "application/json, application/yaml, */*"}
    )
    try:
        with opener.open(request, timeout=watch.remaining()) as response:
            return _read(response, watch), None
    except urllib.error.HTTPError as error:
        location = error.headers.get("Location") if error.code in _REDIRECTS else None
        error.close()
        if location:
            try:
                return b"", urljoin(url, location.strip())
            except ValueError:
                return b"", location.strip()  # judged (and refused) as not a valid url
        raise RemoteError(f"could not be downloaded: HTTP {error.code}") from error
    except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as error:
        watch.check()
        reason = getattr(error, "reason", error)
        raise RemoteError(f"could not be downloaded: {reason}") from error


def _read(response: http.client.HTTPResponse, watch: _Watch) -> bytes:
    """The body, at most :data:`MAX_BYTES` of it, read before the deadline."""
    length = response.headers.get("Content-Length", "")
    if length.isdigit() and int(length) > MAX_BYTES:
        raise RemoteError(f"could not be downloaded: it is larger than {_size(MAX_BYTES)}")
    chunks: list[bytes] = []
    size = 0
    while chunk := response.read(65536):
        watch.check()
        size += len(chunk)
        if size > MAX_BYTES:
            raise RemoteError(f"could not be downloaded: it is larger than {_size(MAX_BYTES)}")
        chunks.append(chunk)
    watch.check()  # a connection shut down at the deadline reads as the end of the body
    return b"".join(chunks)


def _size(count: int) -> str:
    return f"{count // (1024 * 1024)} MB" if count >= 1024 * 1024 else f"{count} bytes"


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """Redirects are not followed by urllib: :func:`download` judges each one before any connection."""

    def http_error_302(self, *args: object, **kwargs: object) -> None:
        return None

    http_error_301 = http_error_303 = http_error_307 = http_error_308 = http_error_302


class _Watch:
    """The deadline of one download: when it passes, every connection the download opened is shut down,
    which ends a read blocked on it however slowly the server sends (the socket timeout bounds each wait only).
    """

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.end = time.monotonic() + seconds
        self.expired = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True
        self._timer.start()

    def check(self) -> None:
        """A :class:`RemoteError` once the deadline has passed."""
        if self.expired or time.monotonic() >= self.end:
            raise RemoteError(
                f"could not be downloaded within {self.seconds:g} s (the deadline of one download, redirects "
                "included)"
            )

    def remaining(self) -> float:
        self.check()
        return self.end - time.monotonic()

    def track(self, connection: socket.socket) -> None:
        """Shut ``connection`` down at the deadline (through a duplicate: TLS wrapping detaches the original)."""
        duplicate = connection.dup()
        with self._lock:
            self._sockets.append(duplicate)
            if self.expired:
                _shut(duplicate)

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            for connection in self._sockets:
                _shut(connection)

    def close(self) -> None:
        self._timer.cancel()
        with self._lock:
            for connection in self._sockets:
                connection.close()
            self._sockets.clear()


def _shut(connection: socket.socket) -> None:
    try:
        connection.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass  # already closed by the other end


def _watched_handlers(watch: _Watch) -> list[urllib.request.BaseHandler]:
    """http and https handlers whose connections ``watch`` shuts down at the deadline."""

    class Connection(http.client.HTTPConnection):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._create_connection = lambda address, *_: _connect(address, watch)

    class TLSConnection(http.client.HTTPSConnection, Connection):
        """``HTTPSConnection.connect`` connects through ``Connection._create_connection``: the TCP socket is
        tracked before TLS (and before a proxy's CONNECT)."""

    class Plain(urllib.request.HTTPHandler):
        def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
            return self.do_open(Connection, req)

    class Secure(urllib.request.HTTPSHandler):
        def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
            return self.do_open(TLSConnection, req, context=ssl.create_default_context())

    return [Plain(), Secure()]


def _connect(address: tuple[str, int], watch: _Watch) -> socket.socket:
    """A TCP connection to ``address``, trying each of its addresses with what is left of the deadline (so a
    name with many addresses that all hang cannot multiply it), tracked by ``watch`` at once."""
    host, port = address
    failure: OSError | None = None
    for family, kind, protocol, _, target in socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM):
        connection = socket.socket(family, kind, protocol)
        try:
            connection.settimeout(watch.remaining())
            connection.connect(target)
        except OSError as error:
            connection.close()
            failure = error
            continue
        except BaseException:
            connection.close()
            raise
        watch.track(connection)
        return connection
    raise failure or OSError(f"no address for {host}")
