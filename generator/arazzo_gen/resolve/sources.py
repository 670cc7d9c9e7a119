"""Source url rewrites: ``[[tool.arazzo-gen.sources.rewrite]]`` entries mapping a url prefix to local paths.

A ``sourceDescriptions[].url`` that starts with an entry's ``prefix`` is read from ``to`` + the rest of the
url (the ``#fragment`` dropped), ``to`` being relative to the configuration file's folder.  ``to`` may list
several candidates: the first that names an existing file wins, so a layout quirk (``openapi/x.yaml`` kept
as ``openapi/_original/x.yaml``) is configuration, not a special case of the compiler.  Every entry whose
prefix matches is tried, in the configuration's order.  The prefix is compared with the url exactly as
written, so it also matches relative urls (``../openapi/``).  A rewritten path is read only inside the
specs root and the ``--root`` folders, like any other source.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

REWRITE_TABLE = "[[tool.arazzo-gen.sources.rewrite]]"


@dataclass(frozen=True)
class Rewrite:
    """One ``[[tool.arazzo-gen.sources.rewrite]]`` entry; ``to`` as written, ``base`` the config's folder."""

    prefix: str
    to: tuple[str, ...]
    base: Path

    def candidates(self, url: str) -> list[Path]:
        """The local paths ``url`` may be read from, in order (empty when the prefix does not match)."""
        if not url.startswith(self.prefix):
            return []
        rest = url[len(self.prefix) :].partition("#")[0]
        return [self.base / (to + rest) for to in self.to]

    def key(self) -> list[object]:
        """What the build cache key holds of this entry (the candidates' folders, resolved)."""
        return [self.prefix, [str(self.base.resolve() / to) for to in self.to]]


@dataclass(frozen=True)
class Rewrites:
    entries: tuple[Rewrite, ...] = ()

    def matching(self, url: str) -> list[tuple[Rewrite, Path]]:
        """Every candidate path of every entry matching ``url``, in configuration order."""
        return [(entry, path) for entry in self.entries for path in entry.candidates(url)]

    def key(self) -> list[object]:
        return [entry.key() for entry in self.entries]

    def __bool__(self) -> bool:
        return bool(self.entries)
