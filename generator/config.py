"""Build settings from ``[tool.arazzo-gen]`` in the nearest pyproject.toml (SPECS' folder upwards, then the
working directory)."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

DEFAULT_PACKAGE = "arazzo_client"
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class Settings:
    package: str = DEFAULT_PACKAGE
    version: str = "0.1.0"
    source: Path | None = None  # the pyproject.toml the settings came from


class ConfigError(Exception):
    pass


def _candidates(specs: Path) -> list[Path]:
    start = specs.resolve() if specs.is_dir() else specs.resolve().parent
    found = [folder / "pyproject.toml" for folder in [start, *start.parents]]
    found.append(Path.cwd() / "pyproject.toml")
    return found


def load_settings(specs: Path) -> Settings:
    for candidate in _candidates(specs):
        if not candidate.is_file():
            continue
        try:
            data = tomllib.loads(candidate.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as error:
            raise ConfigError(f"{candidate}: cannot read [tool.arazzo-gen]: {error}") from error
        table = data.get("tool", {}).get("arazzo-gen")
        if table is None:
            continue
        package = table.get("package", DEFAULT_PACKAGE)
        if not isinstance(package, str) or not _IDENTIFIER.match(package):
            raise ConfigError(f"{candidate}: [tool.arazzo-gen] package must be a Python identifier, not {package!r}")
        version = str(table.get("version", "0.1.0"))
        return Settings(package=package, version=version, source=candidate)
    return Settings()
