"""Python names derived from spec names: deterministic, valid, and unique within a scope."""

from __future__ import annotations

import keyword
import re
import unicodedata
from collections.abc import Iterable

_WORD = re.compile(r"[A-Z]+(?=[A-Z][a-z]|[0-9]|\b|_|$)|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")
_RESERVED_CLASS = {
    "Any", "Annotated", "BaseModel", "ConfigDict", "Enum", "Field", "Literal", "Optional", "RootModel",
    "StrEnum", "Union", "AnyUrl", "AwareDatetime", "date", "datetime", "time", "timedelta", "UUID",
    "Decimal", "IntEnum", "Model",
    # what datamodel-code-generator may import into a models module: it renames a schema class that would
    # shadow one (``IPv4Address`` -> ``IPv4AddressModel``), so the table must use that name too
    "EmailStr", "NameEmail", "NaiveDatetime", "AnyHttpUrl", "HttpUrl", "SecretStr", "Json", "Base64Str",
    "Base64Bytes", "IPvAnyAddress", "IPvAnyInterface", "IPvAnyNetwork", "IPv4Address", "IPv6Address",
    "IPv4Interface", "IPv6Interface", "IPv4Network", "IPv6Network", "Path", "ClassVar", "Dict", "List",
    "TypeAlias", "Pattern", "Self", "Sequence", "Mapping", "Set", "FrozenSet", "Tuple", "Type",
}  # fmt: skip


def words(text: str) -> list[str]:
    """Split ``text`` into words across case changes, digits and any punctuation."""
    return _WORD.findall(text)


def snake(text: str) -> str:
    """``accessToken`` -> ``access_token``, ``IBM-API-Version`` -> ``ibm_api_version`` (ASCII, after NFKC)."""
    name = "_".join(word.lower() for word in words(nfkc(text))) or "value"
    if name[0].isdigit():
        name = "n" + name
    if keyword.iskeyword(name) or keyword.issoftkeyword(name):
        name += "_"
    return name


def pascal(text: str) -> str:
    """``job_session`` -> ``JobSession``; existing capitalisation inside words is kept (ASCII, after NFKC)."""
    parts = [part for part in re.split(r"[^0-9A-Za-z]+", nfkc(text)) if part]
    name = "".join(part[0].upper() + part[1:] for part in parts) or "Model"
    if name[0].isdigit():
        name = "Model" + name
    if name in _RESERVED_CLASS:
        name += "Model"
    return name


def module_name(text: str) -> str:
    return snake(text)


KEYWORDS = frozenset(keyword.kwlist) | frozenset(keyword.softkwlist)

# The builtins a snake_case name can be (written out, so the names do not depend on the Python that builds).
# A client's keyword argument named like one gets a trailing ``_`` (``id`` -> ``id_``), as a keyword does:
# a parameter ``id`` would shadow the builtin inside the method (ruff A002).
BUILTIN_NAMES = frozenset({
    "abs", "aiter", "all", "anext", "any", "ascii", "bin", "bool", "breakpoint", "bytearray", "bytes",
    "callable", "chr", "classmethod", "compile", "complex", "copyright", "credits", "delattr", "dict", "dir",
    "divmod", "enumerate", "eval", "exec", "exit", "filter", "float", "format", "frozenset", "getattr",
    "globals", "hasattr", "hash", "help", "hex", "id", "input", "int", "isinstance", "issubclass", "iter",
    "len", "license", "list", "locals", "map", "max", "memoryview", "min", "next", "object", "oct", "open",
    "ord", "pow", "print", "property", "quit", "range", "repr", "reversed", "round", "set", "setattr",
    "slice", "sorted", "staticmethod", "str", "sum", "super", "tuple", "type", "vars", "zip",
})  # fmt: skip

# Names that generated code reads at run time (or that mypy resolves) in each kind of scope.  A generated
# identifier equal to one of them would shadow it; the scopes below reserve them, so such a spec name gets
# ``_2``.  Keep these in step with templates/*.j2.
ANNOTATION_NAMES = frozenset({
    "Any", "Literal", "Mapping", "AnyUrl", "AwareDatetime", "NaiveDatetime", "EmailStr", "datetime", "date",
    "time", "timedelta", "UUID", "Decimal", "str", "int", "float", "bool", "bytes", "list", "dict", "tuple",
    "set", "object", "None", "httpx", "models", "ApiResponse", "StepHook",
})  # fmt: skip
# client.py: the keyword arguments of Client.__init__/AsyncClient.__init__ and of ``_connection``.
CLIENT_INIT_RESERVED = KEYWORDS | ANNOTATION_NAMES | {
    "self", "base_url", "headers", "timeout", "deadline", "http_client", "super", "url", "auth_headers", "auth_query",
    "auth_cookies", "query", "cookies", "base_url_for", "SERVER_URL", "DEFAULT_TIMEOUT", "_connection",
    "_basic_auth", "strict_validation", "max_retries", "on_step", "_environment_value", "_environment_basic",
    "BASE_URL_VARIABLE", "CREDENTIAL_VARIABLES",
}  # fmt: skip
# client.py: the keyword arguments of one operation method.
OPERATION_PARAM_RESERVED = KEYWORDS | ANNOTATION_NAMES | {
    "self", "body", "content_type", "extra_headers", "extra_query", "timeout", "deadline", "cls", "client", "response",
    "request", "url", "strict_validation", "max_retries",
    "params", "headers", "cookies", "frozenset",
}  # fmt: skip
# client.py: methods of Client/AsyncClient (besides the operations) and attributes of their base.
CLIENT_MEMBER_RESERVED = KEYWORDS | {
    "close", "request", "with_options", "base_url", "sleep", "clock", "max_retries", "strict_validation",
    "on_step",
}  # fmt: skip
# workflows/<doc>.py: module-level names besides the workflow functions and outputs classes.
WORKFLOW_MODULE_RESERVED = KEYWORDS | ANNOTATION_NAMES | {
    "annotations", "json_pointer", "to_text", "StepFailed", "ApiStatusError", "BaseModel", "ConfigDict", "Field",
    "ExitStack", "AsyncExitStack", "WORKFLOW_ID", "MaxStepsExceeded", "retry_after", "_sleep",
    "_async_sleep", "Awaitable", "Callable",
    # the runtime helpers a workflows module may import (generator/arazzo_gen/emit/workflows.py: runtime_names;
    # from _runtime, or from the module emit/runtime.py: OPTIONAL_HELPERS names)
    "as_number", "fold_case", "jsonpath_matches", "read_output", "request_header", "request_json",
    "request_query", "required_value", "to_xml", "with_replacements", "xpath_matches", "xml_text", "is_less",
    "is_less_or_equal", "is_greater", "is_greater_or_equal", "converted",
    "regex_matches", "body_json", "CriterionError", "RunDeadline", "WorkflowRun", "AsyncWorkflowRun", "Progress", "any_status",
    "StepHook", "embedded_text",
}  # fmt: skip
# workflows/<doc>.py: parameters and locals of a workflow function (the body calls these names).
WORKFLOW_FUNCTION_RESERVED = WORKFLOW_MODULE_RESERVED | {
    "self", "cls", "stack", "error", "deadline", "on_step",
}  # fmt: skip


def nfkc(name: str) -> str:
    """The name Python binds for identifier ``name`` (identifiers are compared after NFKC normalisation)."""
    return unicodedata.normalize("NFKC", name)


class NameResolver:
    """Hands out the names of one generated scope (a package, a module, a function, a class).

    Each ``claim`` is unique in the scope; names are compared as Python compares identifiers (after NFKC
    normalisation), so ``ﬁeld`` and ``field`` are one name.  ``reserved`` holds the names the scope binds
    already (imports, helpers the generated code calls, names of an enclosing scope); a name in ``avoid``
    (keywords, builtins, ``BaseModel`` members: what the name would shadow) is claimed with a trailing ``_``
    (``id`` -> ``id_``, as PEP 8 spells a keyword); a number is added only when the plain (or underscored)
    name is taken (``list_``, then ``list_2``).
    """

    def __init__(
        self, reserved: Iterable[str] = (), *, avoid: frozenset[str] = frozenset(), sep: str = "_"
    ) -> None:
        self.taken: set[str] = {nfkc(name) for name in reserved}
        self.avoid = avoid
        self.sep = sep

    def __contains__(self, name: str) -> bool:
        return nfkc(name) in self.taken or nfkc(name) in self.avoid

    def reserve(self, *names: str) -> None:
        """Names the scope binds already (imports, helpers, names of an enclosing scope)."""
        self.taken.update(nfkc(name) for name in names)

    def claim(self, base: str) -> str:
        name = self._plain(base)
        candidate, counter = name, 2
        while candidate in self:
            candidate = self._numbered(name, counter)
            counter += 1
        self.taken.add(candidate)
        return candidate

    def claim_pair(self, base: str, suffix: str = "_async") -> tuple[str, str]:
        """Claim a name and its twin ``name + suffix`` together (a sync function and its async twin)."""
        name = self._plain(base)
        candidate, counter = name, 2
        while candidate in self or _twin(candidate, suffix) in self:
            candidate = self._numbered(name, counter)
            counter += 1
        twin = _twin(candidate, suffix)
        self.taken.update({candidate, twin})
        return candidate, twin

    def child(self) -> NameResolver:
        """A resolver for a nested scope: what this one binds stays taken there."""
        return NameResolver(self.taken, avoid=self.avoid, sep=self.sep)

    def _plain(self, base: str) -> str:
        name = nfkc(base)
        return name + "_" if name in self.avoid else name

    def _numbered(self, name: str, counter: int) -> str:
        return f"{name.rstrip('_') or name}{self.sep}{counter}"


def _twin(name: str, suffix: str) -> str:
    return (name.rstrip("_") or name) + suffix
