"""Build settings from ``[tool.arazzo-gen]`` in the nearest pyproject.toml (SPECS' folder upwards, then the
working directory), or in the TOML file given with ``--config``."""

from __future__ import annotations

import difflib
import keyword
import re
import sys
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from .diagnostics import Loc, remember_source, rule_ids
from .emit.dependencies import imported_modules
from .resolve.remote import valid_prefix
from .resolve.sources import REWRITE_TABLE, Rewrite, Rewrites

DEFAULT_PACKAGE = "arazzo_client"
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class PackageOptions:
    """What the generated package is called and says about itself (part of every build cache key)."""

    package: str
    version: str = "0.1.0"
    specs_label: str = "specs/"
    description: str | None = None  # the wheel's summary; None: says what it was generated from
    durable: bool = (
        False  # also the durable variant of every workflow (DBOS Transact): package.durable
    )

    @property
    def distribution(self) -> str:
        return self.package.replace("_", "-")


def package_name_problem(name: str) -> str | None:
    """Why ``name`` cannot be the import name of the generated package, or ``None`` when it can."""
    if not _IDENTIFIER.match(name):
        return "it must be ASCII letters, digits and underscores"
    if keyword.iskeyword(name):
        return "it is a Python keyword"
    if name in sys.stdlib_module_names:
        return f"it shadows the standard library module '{name}'"
    if (
        name in imported_modules()
    ):  # a package of that name installed beside it would be imported instead
        return f"it shadows '{name}', which the generated package imports"
    return None


@dataclass(frozen=True)
class Settings:
    package: str = DEFAULT_PACKAGE
    package_set: bool = (
        False  # whether the table names the package (else DEFAULT_PACKAGE, with a note)
    )
    version: str = "0.1.0"
    description: str | None = None
    durable: bool = False  # durable = true: the durable variant too (as --durable)
    source: Path | None = None  # the pyproject.toml the settings came from
    rules: dict[str, str] = field(default_factory=dict)  # rule id -> "off" | "warning" | "error"
    rewrites: Rewrites = field(default_factory=Rewrites)  # [[tool.arazzo-gen.sources.rewrite]]
    fetch_redirects: tuple[str, ...] = ()  # url prefixes a --fetch download may be redirected to
    unknown: tuple[
        tuple[str, Loc], ...
    ] = ()  # (message, where) of each unknown key and rule id: warnings


class ConfigError(Exception):
    pass


def _candidates(specs: Path) -> list[Path]:
    start = specs.resolve() if specs.is_dir() else specs.resolve().parent
    found = [folder / "pyproject.toml" for folder in [start, *start.parents]]
    found.append(Path.cwd() / "pyproject.toml")
    return found


def load_settings(specs: Path, config: Path | None = None) -> Settings:
    """The settings of the nearest pyproject.toml with a ``[tool.arazzo-gen]`` table, or of ``config``: a
    TOML file (a pyproject.toml or any other name) whose ``[tool.arazzo-gen]`` table is read; it must have
    one."""
    if config is not None:
        settings = _read(config)
        if settings is None:
            raise ConfigError(f"{config}: --config names a file without a [tool.arazzo-gen] table")
        return settings
    for candidate in _candidates(specs):
        if candidate.is_file():
            settings = _read(candidate)
            if settings is not None:
                return settings
    return Settings()


def _read(candidate: Path) -> Settings | None:
    try:
        text = candidate.read_text(encoding="utf-8")
        data = tomllib.loads(text)
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise ConfigError(f"{candidate}: cannot read [tool.arazzo-gen]: {error}") from error
    tool = data.get("tool", {})
    table = tool.get("arazzo-gen") if isinstance(tool, dict) else None
    if table is None:
        return None
    if not isinstance(table, dict):
        raise ConfigError(f"{candidate}: [tool.arazzo-gen] must be a table")
    package = table.get("package", DEFAULT_PACKAGE)
    if not isinstance(package, str):
        raise ConfigError(
            f"{candidate}: [tool.arazzo-gen] package must be a string, not {package!r}"
        )
    problem = package_name_problem(package)
    if problem is not None:
        where = key_location(candidate, text, (*_TABLE, "package"))
        raise ConfigError(
            f"{where}: [tool.arazzo-gen] package {package!r} cannot be the generated package's name: {problem}"
        )
    version = str(table.get("version", "0.1.0"))
    description = table.get("description")
    if description is not None and not isinstance(description, str):
        raise ConfigError(
            f"{candidate}: [tool.arazzo-gen] description must be a string, not {description!r}"
        )
    durable = table.get("durable", False)
    if not isinstance(durable, bool):
        where = key_location(candidate, text, (*_TABLE, "durable"))
        raise ConfigError(
            f"{where}: [tool.arazzo-gen] durable must be true or false, not {durable!r}"
        )
    rules = _rules(candidate, table)
    return Settings(
        package=package,
        package_set="package" in table,
        version=version,
        description=description,
        durable=durable,
        source=candidate,
        rules=rules,
        rewrites=_rewrites(candidate, table),
        fetch_redirects=_fetch_redirects(candidate, text, table),
        unknown=_unknown(candidate, text, table, rules),
    )


_TABLE = ("tool", "arazzo-gen")
KEYS = ("package", "version", "description", "durable", "rules", "sources", "fetch-redirects")


def _unknown(
    candidate: Path, text: str, table: dict[str, object], rules: dict[str, str]
) -> tuple[tuple[str, Loc], ...]:
    """A warning for each key of ``[tool.arazzo-gen]`` and each rule id of its ``rules`` that arazzo-gen does
    not know (a misspelt one would otherwise be ignored in silence)."""
    found = []
    for key in table:
        if key not in KEYS:
            message = f"[tool.arazzo-gen] has no setting '{key}'; it is ignored{_hint(key, KEYS)}"
            found.append((message, key_location(candidate, text, (*_TABLE, key))))
    known = rule_ids()
    for rule in rules:
        if rule not in known:
            message = f"[tool.arazzo-gen.rules] '{rule}' is not a rule id of arazzo-gen; it is ignored{_hint(rule, known)}"
            found.append((message, key_location(candidate, text, (*_TABLE, "rules", rule))))
    if found:
        remember_source(str(candidate), text)  # for the snippets
    return tuple(found)


def _hint(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, sorted(choices), n=1)
    return f"; did you mean '{close[0]}'?" if close else ""


_BARE = r"[A-Za-z0-9_-]+|\"(?:[^\"\\]|\\.)*\"|'[^']*'"
_PART = re.compile(rf"\s*({_BARE})\s*(\.)?")


def _dotted(line: str, start: int) -> tuple[list[tuple[str, int]], int]:
    """The parts of the dotted key at ``line[start:]`` (unquoted, each with its 1-based column), and where
    the key ends."""
    parts = []
    position = start
    while match := _PART.match(line, position):
        token = match.group(1)
        parts.append((token[1:-1] if token[0] in "\"'" else token, match.start(1) + 1))
        position = match.end()
        if not match.group(2):
            break
    return parts, position


def key_location(candidate: Path, text: str, path: tuple[str, ...]) -> Loc:
    """Where the TOML key ``path`` (``("tool", "arazzo-gen", "package")``) is written in ``text``: a small
    line scan (tomllib gives no positions) of table headers and ``key =`` lines; the first line naming
    ``path`` or a table below it; 1:1 when none does (a key in an inline table, say)."""
    table: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.lstrip()
        if stripped.startswith("["):
            located, _ = _dotted(line, line.index("[") + (2 if stripped.startswith("[[") else 1))
            table = [name for name, _ in located]
        else:
            parts, end = _dotted(line, 0)
            if not parts or not line[end:].startswith("="):
                continue
            located = [(name, 1) for name in table] + parts
        if [name for name, _ in located][: len(path)] == list(path):
            return Loc(str(candidate), number, located[len(path) - 1][1], len(path[-1]))
    return Loc(str(candidate))


def _fetch_redirects(candidate: Path, text: str, table: dict[str, object]) -> tuple[str, ...]:
    """``fetch-redirects = ["https://host/path/", ...]``: where ``--fetch`` follows a redirect to another host."""
    raw = table.get("fetch-redirects", [])
    where = key_location(candidate, text, (*_TABLE, "fetch-redirects"))
    if not isinstance(raw, list):
        raise ConfigError(
            f"{where}: [tool.arazzo-gen] fetch-redirects must be a list of url prefixes"
        )
    for prefix in raw:
        if not isinstance(prefix, str) or not valid_prefix(prefix):
            raise ConfigError(
                f"{where}: [tool.arazzo-gen] fetch-redirects: {prefix!r} is not an http(s) url prefix such as "
                "'https://raw.example.org/specs/'"
            )
    return tuple(raw)


def _rewrites(candidate: Path, table: dict[str, object]) -> Rewrites:
    """``[[tool.arazzo-gen.sources.rewrite]]``: ``prefix = "..."``, ``to = "path/"`` or a list of paths
    (relative to the configuration file's folder)."""
    sources = table.get("sources", {})
    if not isinstance(sources, dict):
        raise ConfigError(f"{candidate}: [tool.arazzo-gen.sources] must be a table")
    unknown = sorted(set(sources) - {"rewrite"})
    if unknown:
        raise ConfigError(
            f"{candidate}: [tool.arazzo-gen.sources] has unknown key(s) {', '.join(unknown)}"
        )
    raw = sources.get("rewrite", [])
    if not isinstance(raw, list):
        raise ConfigError(f"{candidate}: {REWRITE_TABLE} must be an array of tables")
    base = candidate.resolve().parent
    entries = []
    for number, item in enumerate(raw, start=1):
        where = f"{candidate}: {REWRITE_TABLE} entry {number}"
        if not isinstance(item, dict):
            raise ConfigError(f"{where} must be a table with 'prefix' and 'to'")
        unknown = sorted(set(item) - {"prefix", "to"})
        if unknown:
            raise ConfigError(
                f"{where} has unknown key(s) {', '.join(unknown)}; it takes 'prefix' and 'to'"
            )
        prefix, to = item.get("prefix"), item.get("to")
        if not isinstance(prefix, str) or not prefix:
            raise ConfigError(f"{where}: 'prefix' must be a non-empty string")
        targets = [to] if isinstance(to, str) else to
        if (
            not isinstance(targets, list)
            or not targets
            or not all(isinstance(t, str) and t for t in targets)
        ):
            raise ConfigError(f"{where}: 'to' must be a path or a non-empty list of paths")
        for target in targets:
            if "://" in target:
                raise ConfigError(
                    f"{where}: 'to' = {target!r} must be a local path (relative to {candidate.name})"
                )
        entries.append(Rewrite(prefix, tuple(targets), base))
    return Rewrites(tuple(entries))


RULE_LEVELS = ("off", "warning", "error")


def _rules(candidate: Path, table: dict[str, object]) -> dict[str, str]:
    """``[tool.arazzo-gen.rules]``: ``rule-id = "off" | "warning" | "error"``."""
    rules = table.get("rules", {})
    if not isinstance(rules, dict):
        raise ConfigError(f"{candidate}: [tool.arazzo-gen.rules] must be a table of rule ids")
    for rule, level in rules.items():
        if level not in RULE_LEVELS:
            raise ConfigError(
                f"{candidate}: [tool.arazzo-gen.rules] {rule} = {level!r}: the level must be one of "
                + ", ".join(f'"{name}"' for name in RULE_LEVELS)
            )
    return dict(rules)
