"""What a generated package depends on, in one place: the requirements its ``pyproject.toml`` may declare, and
the top-level modules it may import (directly, or through those requirements), which the package's own
import name must not shadow.
"""

from __future__ import annotations

import functools
import importlib.metadata
import re
import sys
from pathlib import Path

from .runtime import runtime_modules, runtime_source

# Every generated package needs these.
BASE_REQUIREMENTS = ("httpx>=0.27", "pydantic>=2.9")
# What the generated package needs at run time for the criteria a library evaluates: the requirements of each
# optional runtime module (arazzo_gen/runtime/), declared when the package carries that module.
CRITERIA_REQUIREMENTS = {
    "_runtime_regex": ("regex>=2022.1.18",),  # timeout=
    "_runtime_jsonpath": ("jsonpath-rfc9535>=1.0.1", "iregexp-check>=0.1.4", "regex>=2022.1.18"),
    "_runtime_xpath": ("elementpath>=4.4", "defusedxml>=0.7.1"),
}
# What datamodel-code-generator may import beyond pydantic and the standard library, and the distribution
# that provides it (pydantic's EmailStr and NameEmail need email-validator at class creation).
MODEL_DEPENDENCIES = {
    "pydantic.EmailStr": "email-validator>=2.0",
    "pydantic.NameEmail": "email-validator>=2.0",
    "pydantic.networks.EmailStr": "email-validator>=2.0",
    "pydantic.networks.NameEmail": "email-validator>=2.0",
    "ulid": "python-ulid>=3.0",
}
# The modules a models module may import without a requirement of its own (pydantic brings typing_extensions).
MODEL_MODULES = ("pydantic", "typing_extensions")

# The modules the requirements import, as the closure over their metadata finds them where they are all installed
# (tests/test_names.py checks that it still does); counted also where some are not installed next to
# arazzo-gen (httpx and email-validator are not its own requirements), so that a name is refused everywhere.
RECORDED_CLOSURE = frozenset({
    "annotated_types", "anyio", "certifi", "defusedxml", "dns", "elementpath", "email_validator", "exceptiongroup",
    "h11", "httpcore", "httpx", "idna", "iregexp_check", "jsonpath_rfc9535", "pydantic", "pydantic_core", "regex",
    "sniffio", "typing_extensions", "typing_inspection", "ulid",
    # dbos (the durable variant) and what it requires
    "_yaml", "click", "croniter", "dateutil", "dbos", "psycopg", "python_dateutil", "pyyaml", "sqlalchemy",
    "tzdata", "yaml",
})  # fmt: skip
# What the requirements import when it is installed (httpx's decoders, HTTP/2 and SOCKS transports, anyio's
# trio backend): optional dependencies, which their metadata does not tell apart from test and docs extras.
OPTIONAL_MODULES = frozenset({
    "brotli", "brotlicffi", "zstandard", "h2", "hpack", "hyperframe", "socksio", "trio", "outcome", "uvloop",
    "opentelemetry",  # the runtime's spans, when opentelemetry-api is installed (the package's extra)
    # the transports of AsyncAPI steps (imported when used) and what they require
    "paho", "aiomqtt", "pika", "aio_pika", "aiormq", "pamqp", "yarl", "multidict", "propcache",
})  # fmt: skip
DURABLE_REQUIREMENT = "dbos>=3.4,<4"
"""What a package built with durable workflows (``--durable``) needs: DBOS Transact (SQLAlchemy, psycopg with it)."""
DURABLE_MODULE = "_durable"
"""The runtime module of the durable variant, carried only by a package built with it."""
OTEL_REQUIREMENT = "opentelemetry-api>=1.27"
"""The generated package's optional extra ``opentelemetry``: spans per workflow run and step (see the runtime)."""

_IMPORT = re.compile(r"^\s*(?:import|from)\s+([A-Za-z_]\w*)", re.MULTILINE)
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*")
_EXTRA = re.compile(r";.*\bextra\s*==")


def templates_dir() -> Path:
    here = Path(__file__).resolve().parent.parent
    shipped = here / "templates"  # inside an installed wheel
    return (
        shipped if shipped.is_dir() else here.parent.parent / "templates"
    )  # generator/arazzo_gen -> root


def requirements() -> list[str]:
    """Every requirement a generated ``pyproject.toml`` may declare."""
    return [*BASE_REQUIREMENTS, *(r for group in CRITERIA_REQUIREMENTS.values() for r in group),
            *MODEL_DEPENDENCIES.values(), DURABLE_REQUIREMENT]  # fmt: skip


@functools.cache
def imported_modules() -> frozenset[str]:
    """Every top-level module a generated package may import, directly or through its requirements.

    The standard library; the absolute imports written in the templates and the runtime modules; the
    modules a models module may import; :data:`RECORDED_CLOSURE` and :data:`OPTIONAL_MODULES`; and the
    top-level modules of every distribution :func:`requirements` names and, transitively, of the
    distributions those require, as installed next to arazzo-gen (one that is not installed counts by
    its name, ``email-validator`` as ``email_validator``).
    """
    found = set(sys.stdlib_module_names)
    for template in templates_dir().glob("*.j2"):
        found.update(_IMPORT.findall(template.read_text(encoding="utf-8")))
    for module in [*runtime_modules(), DURABLE_MODULE]:
        found.update(_IMPORT.findall(runtime_source(module)))
    found.update(MODEL_MODULES, RECORDED_CLOSURE, OPTIONAL_MODULES)
    found.update(name.split(".")[0] for name in MODEL_DEPENDENCIES)
    pending = requirements()
    seen: set[str] = set()
    while pending:
        requirement = pending.pop()
        match = _NAME.match(requirement)
        if match is None or _EXTRA.search(requirement):
            continue  # an optional dependency of a requirement is not installed with it
        name = _normal(match.group())
        if name in seen:
            continue
        seen.add(name)
        found.add(name.replace("-", "_"))
        try:
            distribution = importlib.metadata.distribution(name)
        except importlib.metadata.PackageNotFoundError:
            continue
        found.update(_top_level(distribution))
        pending.extend(distribution.requires or [])
    return frozenset(found)


def _top_level(distribution: importlib.metadata.Distribution) -> set[str]:
    """The top-level modules ``distribution`` installs: its ``top_level.txt``, else the first part of the
    path of each module file it lists."""
    declared = distribution.read_text("top_level.txt")
    if declared:
        return set(declared.split())
    found = set()
    for file in distribution.files or []:
        if file.suffix in (".py", ".so", ".pyd") and file.parts[0] != "..":
            found.add(file.parts[0] if len(file.parts) > 1 else file.name.split(".")[0])
    return found


def _normal(distribution: str) -> str:
    """A distribution name as PEP 503 compares them: ``typing_extensions`` -> ``typing-extensions``."""
    return re.sub(r"[-_.]+", "-", distribution).lower()
