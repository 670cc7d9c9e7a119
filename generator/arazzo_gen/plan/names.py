"""The names of the generated workflows modules: one resolver per scope (:class:`~arazzo_gen.naming.NameResolver`),
which knows the target: keywords, builtins, the names the scope imports or binds, and (for the fields of a
model) ``BaseModel``'s members.

A name is never a keyword or a builtin: ``id`` becomes ``id_`` (PEP 8's trailing underscore), never ``id_2``;
a number is added only when the plain (or underscored) name is already bound in the scope.
"""

from __future__ import annotations

from collections.abc import Iterable

from pydantic import BaseModel

from ..naming import BUILTIN_NAMES, KEYWORDS, NameResolver

# the fixed list naming.py keeps, not dir(builtins): the output must not depend on the Python that builds it
BUILTINS = BUILTIN_NAMES
# a generated name that equals one of these shadows what Python (or the models' base class) binds
SHADOWING = KEYWORDS | BUILTINS
BASE_MODEL_MEMBERS = frozenset(dir(BaseModel))


def function_scope(reserved: Iterable[str] = ()) -> NameResolver:
    """The resolver of a function's parameters and locals: never a keyword or a builtin."""
    return NameResolver(reserved, avoid=SHADOWING)


__all__ = ["BASE_MODEL_MEMBERS", "BUILTINS", "SHADOWING", "NameResolver", "function_scope"]
