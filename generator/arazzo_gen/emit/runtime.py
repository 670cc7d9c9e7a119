"""The runtime a generated package carries: modules of ``arazzo_gen/runtime/``, copied byte for byte.

``_runtime`` goes into every package.  The helpers of the criteria a library evaluates (and the text of values
an Arazzo 1.1 document embeds in strings) live in modules of their
own (:data:`OPTIONAL_HELPERS`), copied only into a package whose workflows call them, together with the runtime
modules they import (``from . import _runtime_regex``, ``from ._runtime import ...``).  The compiler never
imports these modules (they import httpx, which it does not need): it reads their text.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from pathlib import Path

RUNTIME_DIR = Path(__file__).resolve().parent.parent / "runtime"
CORE = "_runtime"
# The helpers a workflows module may import from a module other than the core, and that module.
OPTIONAL_HELPERS = {
    "regex_matches": "_runtime_regex",
    "jsonpath_matches": "_runtime_jsonpath",
    "jsonpath_value": "_runtime_jsonpath",
    "jsonpath_values": "_runtime_jsonpath",
    "jsonpath_output": "_runtime_jsonpath",
    "jsonpath_outputs": "_runtime_jsonpath",
    "jsonpath_replaced": "_runtime_jsonpath",
    "xpath_matches": "_runtime_xpath",
    "xpath_value": "_runtime_xpath",
    "xpath_replaced": "_runtime_xpath",
    "embedded_text": "_runtime_text",
}
_RELATIVE_IMPORT = re.compile(r"^from \.(\w*) import (\w+)", re.MULTILINE)


@functools.cache
def runtime_source(module: str) -> str:
    """The text of runtime module ``module`` (``_runtime``, ``_runtime_regex``, ...), as it is copied."""
    return (RUNTIME_DIR / f"{module}.py").read_text(encoding="utf-8")


def runtime_modules() -> list[str]:
    """Every runtime module a package may carry."""
    return sorted(path.stem for path in RUNTIME_DIR.glob("_runtime*.py"))


def module_of(helper: str) -> str:
    """The runtime module that defines ``helper``."""
    return OPTIONAL_HELPERS.get(helper, CORE)


def runtime_imports(helpers: Iterable[str]) -> list[tuple[str, list[str]]]:
    """``helpers`` grouped by the runtime module a workflows module imports them from, modules sorted."""
    grouped: dict[str, list[str]] = {}
    for helper in sorted(set(helpers)):
        grouped.setdefault(module_of(helper), []).append(helper)
    return sorted(grouped.items())


def needed_modules(helpers: Iterable[str], modules: Iterable[str] = ()) -> list[str]:
    """The runtime modules a package whose workflows import ``helpers`` (and whose clients import
    ``modules``: the messaging runtime) carries: the core, the modules defining the helpers, and every runtime
    module those import, sorted."""
    needed: set[str] = set()
    pending = [CORE, *modules, *(module_of(helper) for helper in helpers)]
    while pending:
        module = pending.pop()
        if module in needed:
            continue
        needed.add(module)
        for package, name in _RELATIVE_IMPORT.findall(runtime_source(module)):
            pending.append(
                package or name
            )  # ``from ._runtime import x``, ``from . import _runtime_regex``
    return sorted(needed)
