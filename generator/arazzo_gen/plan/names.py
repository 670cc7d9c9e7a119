"""One name resolver per generated scope, which knows the target: keywords, builtins, the names the scope
imports or binds, and (for the fields of a model) ``BaseModel``'s members.

A name is never a keyword or a builtin: ``id`` becomes ``id_`` (PEP 8's trailing underscore), never ``id_2``;
a number is added only when the plain (or underscored) name is already bound in the scope.
"""

from __future__ import annotations

from collections.abc import Iterable

from pydantic import BaseModel

from ..naming import BUILTIN_NAMES, KEYWORDS, nfkc

# the fixed list naming.py keeps, not dir(builtins): the output must not depend on the Python that builds it
BUILTINS = BUILTIN_NAMES
# a generated name that equals one of these shadows what Python (or the models' base class) binds
SHADOWING = KEYWORDS | BUILTINS
BASE_MODEL_MEMBERS = frozenset(dir(BaseModel))


class NameResolver:
    """Hands out the names of one scope: each ``claim`` is unique in the scope, never shadows a keyword or a
    builtin, and gets a number only when its plain form is taken (``list`` -> ``list_``; a second ``list`` ->
    ``list_2``)."""

    def __init__(self, reserved: Iterable[str] = (), *, avoid: frozenset[str] = SHADOWING) -> None:
        self.taken: set[str] = {nfkc(name) for name in reserved}
        self.avoid = avoid

    def __contains__(self, name: str) -> bool:
        return nfkc(name) in self.taken or nfkc(name) in self.avoid

    def reserve(self, *names: str) -> None:
        """Names the scope binds already (imports, helpers, names allocated by an earlier stage)."""
        self.taken.update(nfkc(name) for name in names)

    def claim(self, base: str) -> str:
        name = nfkc(base)
        if name in self.avoid:
            name += "_"
        candidate, counter = name, 2
        while candidate in self:
            candidate = f"{name.rstrip('_') or name}_{counter}"
            counter += 1
        self.taken.add(candidate)
        return candidate

    def child(self) -> NameResolver:
        """A resolver for a nested scope: what this one binds stays taken."""
        return NameResolver(self.taken, avoid=self.avoid)
