"""Python names derived from spec names: deterministic, valid, and unique within a scope."""

from __future__ import annotations

import keyword
import re

_WORD = re.compile(r"[A-Z]+(?=[A-Z][a-z]|[0-9]|\b|_|$)|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")
_RESERVED_CLASS = {
    "Any", "Annotated", "BaseModel", "ConfigDict", "Enum", "Field", "Literal", "Optional", "RootModel",
    "StrEnum", "Union", "AnyUrl", "AwareDatetime", "date", "datetime", "time", "timedelta", "UUID",
    "Decimal", "IntEnum", "Model",
}  # fmt: skip


def words(text: str) -> list[str]:
    """Split ``text`` into words across case changes, digits and any punctuation."""
    return _WORD.findall(text)


def snake(text: str) -> str:
    """``accessToken`` -> ``access_token``, ``IBM-API-Version`` -> ``ibm_api_version``."""
    name = "_".join(word.lower() for word in words(text)) or "value"
    if name[0].isdigit():
        name = "n" + name
    if keyword.iskeyword(name) or keyword.issoftkeyword(name):
        name += "_"
    return name


def pascal(text: str) -> str:
    """``job_session`` -> ``JobSession``; existing capitalisation inside words is kept."""
    parts = [part for part in re.split(r"[^0-9A-Za-z]+", text) if part]
    name = "".join(part[0].upper() + part[1:] for part in parts) or "Model"
    if name[0].isdigit():
        name = "Model" + name
    if name in _RESERVED_CLASS:
        name += "Model"
    return name


def module_name(text: str) -> str:
    return snake(text)


class Scope:
    """Hands out unique names: the first claim of a name gets it, later ones get ``_2``, ``_3``, ..."""

    def __init__(self, reserved: set[str] | None = None, *, sep: str = "_") -> None:
        self.taken: set[str] = set(reserved or ())
        self.sep = sep

    def claim(self, name: str) -> str:
        candidate, counter = name, 2
        while candidate in self.taken:
            candidate = f"{name}{self.sep}{counter}"
            counter += 1
        self.taken.add(candidate)
        return candidate
