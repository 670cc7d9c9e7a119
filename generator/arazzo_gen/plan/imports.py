"""The imports of a generated module as data: ``Import(module, name, alias)``, reference counted.

Every site that writes a name into the module records its import once per use; the module imports exactly
the names something uses (nothing is pruned from text afterwards), in a deterministic order.  Sections and
order within them are ruff's (isort) when the module is formatted.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Import:
    module: str  # ``time``, ``..apis.jobs``, ``.`` (a sibling module)
    name: str
    alias: str | None = None

    @property
    def bound(self) -> str:
        """The name the import binds in the module."""
        return self.alias or self.name

    @property
    def text(self) -> str:
        return self.name if self.alias is None else f"{self.name} as {self.alias}"


class ImportTable:
    """The imports of one module with how often each is used."""

    def __init__(self) -> None:
        self.counts: dict[Import, int] = {}

    def use(self, *imports: Import) -> None:
        for item in imports:
            self.counts[item] = self.counts.get(item, 0) + 1

    def use_names(self, names: Mapping[str, Iterable[str]]) -> None:
        """Plain ``from module import name`` imports (an annotation's needs: ``{"typing": {"Any"}}``)."""
        for module, members in names.items():
            self.use(*(Import(module, name) for name in members))

    def release(self, item: Import) -> None:
        """One use fewer (the code that used it was dropped)."""
        left = self.counts.get(item, 0) - 1
        if left > 0:
            self.counts[item] = left
        else:
            self.counts.pop(item, None)

    def lines(self) -> list[tuple[str, list[str]]]:
        """``(module, ["name", "name as alias", ...])`` for every used import, sorted."""
        grouped: dict[str, list[Import]] = {}
        for item in sorted(self.counts):
            grouped.setdefault(item.module, []).append(item)
        return [
            (module, [i.text for i in sorted(items, key=lambda i: (i.name.lower(), i.text))])
            for module, items in grouped.items()
        ]
