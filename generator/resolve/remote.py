"""Remote ``http(s)`` sources: downloaded only with ``--fetch``, kept by content, pinned in a lock file.

``arazzo-gen build --fetch`` downloads a ``sourceDescriptions[].url`` that is remote (and that no url rewrite
maps to a local file), stores the bytes under ``<cache folder>/remote/<sha256>/`` and records the url's SHA-256
in ``arazzo-gen.lock`` (next to the configuration file, else in the specs root).  Every later build, ``build
--check`` and ``check`` read the stored copy whose digest the lock names, without any network access; a
stored copy whose bytes no longer match is ignored.  With ``--fetch``, a url already in the lock is
downloaded again only when its stored copy is missing, and must still have the pinned digest: content that
changed is an error until the lock entry is deleted.  Nothing is ever downloaded without ``--fetch``.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from ..cache import read_regular

LOCK_NAME = "arazzo-gen.lock"
MAX_BYTES = 64 * 1024 * 1024
TIMEOUT = 30.0
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

    @classmethod
    def load(cls, lock_path: Path, store: Path, fetch: bool) -> RemoteSources:
        """Read ``lock_path`` (absent: nothing pinned); a lock that cannot be read is a :class:`RemoteError`."""
        pins: dict[str, str] = {}
        if lock_path.is_file():
            try:
                data = json.loads(lock_path.read_text(encoding="utf-8"))
                sources = data["sources"]
                pins = {str(url): str(entry["sha256"]) for url, entry in sources.items()}
            except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
                raise RemoteError(f"{lock_path}: not a readable {LOCK_NAME} ({error})") from error
        return cls(lock_path, store, fetch, pins)

    def _stored(self, digest: str, url: str) -> Path:
        """``<store>/<sha256[:2]>/<sha256>/<file name of the url>``: the name is what the generated package
        calls the API (its module name, the file named in docstrings)."""
        return self.store / digest[:2] / digest / file_name(url)

    def _intact(self, digest: str, url: str) -> Path | None:
        path = self._stored(digest, url)
        try:
            data = read_regular(path, MAX_BYTES)  # never a FIFO or device: it lives in the cache folder
        except OSError:
            return None
        return path if hashlib.sha256(data).hexdigest() == digest else None

    def locate(self, url: str) -> Path:
        """The stored copy of ``url`` (downloaded now if allowed and needed); :class:`RemoteError` otherwise."""
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
        data = download(url)
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
        return self._stored(digest, url)

    def save(self) -> None:
        """Write the lock file when a download added a pin (sorted, so it diffs well)."""
        if not self.changed:
            return
        document = {"version": 1, "sources": {url: {"sha256": self.pins[url]} for url in sorted(self.pins)}}
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
        """What the build cache key holds: downloading allowed, and every pin."""
        return [self.fetch, sorted(self.pins.items())]


def file_name(url: str) -> str:
    """The last segment of the url's path, as a safe file name (``openapi`` when there is none)."""
    name = urlsplit(url).path.rstrip("/").rpartition("/")[2]
    safe = "".join(c if c.isascii() and (c.isalnum() or c in "._-") else "_" for c in name).lstrip(".")
    return safe or "openapi"


def download(url: str) -> bytes:
    """GET ``url`` (http or https only, at most :data:`MAX_BYTES`); a :class:`RemoteError` says why not."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise RemoteError(f"cannot be downloaded: only http and https are fetched, not '{parts.scheme}:'")
    handlers: list[urllib.request.BaseHandler] = []
    if parts.hostname in _LOOPBACK:
        handlers.append(urllib.request.ProxyHandler({}))  # never send a loopback request through a proxy
    opener = urllib.request.build_opener(*handlers)
    request = urllib.request.Request(url, headers={"Accept": "application/json, application/yaml, */*"})
    try:
        with opener.open(request, timeout=TIMEOUT) as response:
            data: bytes = response.read(MAX_BYTES + 1)
    except urllib.error.HTTPError as error:
        raise RemoteError(f"could not be downloaded: HTTP {error.code}") from error
    except (urllib.error.URLError, OSError, ValueError) as error:
        reason = getattr(error, "reason", error)
        raise RemoteError(f"could not be downloaded: {reason}") from error
    if len(data) > MAX_BYTES:
        raise RemoteError(f"could not be downloaded: it is larger than {MAX_BYTES // (1024 * 1024)} MB")
    return data
