"""Run one fuzzed specs tree through the compiler and check the build property.

The property: the build either exits 1 with located diagnostics (every diagnostic has file:line:col), or exits 0
with a package whose every ``.py`` compiles, whose modules import (in a subprocess, package dir on sys.path),
whose clients construct, and whose generated files hold document text (the sentinels) only inside string and
comment tokens and no raw control or bidi character.  Never exit 2 or 3, never longer than a time bound, never
a file written outside OUT.

:func:`check_case` returns the list of :class:`Failure` found; each has a short ``signature`` (stable while
hypothesis shrinks) and a ``detail`` for the report.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import tokenize
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from typer.testing import CliRunner

from arazzo_gen.cli import app

from .strategies import SENTINEL, FuzzCase

BUILD_SECONDS = int(os.environ.get("ARAZZO_FUZZ_BUILD_SECONDS", "60"))
IMPORT_SECONDS = 60
PACKAGE = "fuzzpkg"

# Characters that must never appear raw in a generated file or a diagnostic: C0/C1 controls except newline and
# tab, DEL, the Unicode line/paragraph separators and the bidi controls.
_RAW_FORBIDDEN = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u061c\u202a-\u202e\u2066-\u2069]"
)
_TEXT_TOKENS = {tokenize.STRING, tokenize.COMMENT}
for _name in ("FSTRING_START", "FSTRING_MIDDLE", "FSTRING_END"):
    if hasattr(tokenize, _name):
        _TEXT_TOKENS.add(getattr(tokenize, _name))


@dataclass(frozen=True)
class Failure:
    signature: str
    detail: str

    def __str__(self) -> str:
        return f"{self.signature}\n{self.detail}"


class BuildTimeout(BaseException):
    """Raised by SIGALRM; a BaseException so the CLI's ``except Exception`` cannot turn it into exit 3."""


@contextmanager
def _time_limit(seconds: int) -> Iterator[None]:
    def on_alarm(signum: int, frame: object) -> None:
        raise BuildTimeout(f"build did not finish in {seconds}s")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@contextmanager
def _chdir(path: Path) -> Iterator[None]:
    old = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(old)


def _snapshot(root: Path, skip: Path) -> dict[str, str]:
    """Every path under ``root`` except ``skip``'s subtree, with a content hash for files."""
    seen: dict[str, str] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        here = Path(dirpath)
        if here == skip:
            dirnames[:] = []
            continue
        dirnames[:] = [d for d in dirnames if here / d != skip]
        for name in dirnames:
            seen[str((here / name).relative_to(root)) + "/"] = "dir"
        for name in filenames:
            path = here / name
            seen[str(path.relative_to(root))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return seen


def _normalise(message: str) -> str:
    """Strip the example-specific parts of a message so the signature is stable while shrinking."""
    message = re.sub(r"'[^'\n]*'|\"[^\"\n]*\"", "'…'", message)
    message = re.sub(r"\d+", "N", message)
    return message.strip()[:120]


def write_specs(case: FuzzCase, root: Path) -> Path:
    specs = root / "specs"
    for relative, data in case.files.items():
        path = specs / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return specs


def run_build(root: Path, extra: tuple[str, ...] = ()) -> tuple[int | None, str, str, BaseException | None]:
    """Build ``root/specs`` into ``root/out`` in-process (with the ``extra`` options); (exit code, stdout,
    stderr, uncaught exception)."""
    runner = CliRunner()
    args = ["build", "specs", "-o", "out", "--package", PACKAGE, "--format", "json", *extra]
    with _chdir(root):
        try:
            with _time_limit(BUILD_SECONDS):
                result = runner.invoke(app, args, catch_exceptions=True)
        except BuildTimeout as timeout:
            return None, "", "", timeout
    error = result.exception if result.exception and not isinstance(result.exception, SystemExit) else None
    return result.exit_code, result.stdout, result.stderr, error


_IMPORT_SCRIPT = r"""
import importlib, inspect, json, pkgutil, re, sys
sys.dont_write_bytecode = True
sys.path.insert(0, sys.argv[1])
problems = []
COMMON = {"headers", "query", "cookies", "timeout", "deadline", "http_client"}
package = importlib.import_module(sys.argv[2])
for info in pkgutil.walk_packages(package.__path__, sys.argv[2] + "."):
    try:
        module = importlib.import_module(info.name)
    except BaseException as error:
        problems.append(["import", info.name, type(error).__name__, str(error)])
        continue
    if re.fullmatch(re.escape(sys.argv[2]) + r"\.apis\.\w+\.client", info.name):
        for cls_name in ("Client", "AsyncClient"):
            cls = getattr(module, cls_name, None)
            if cls is None:
                problems.append(["client-missing", info.name, cls_name, ""])
                continue
            required, everything = {}, {}
            for name, parameter in inspect.signature(cls).parameters.items():
                if parameter.kind is not parameter.KEYWORD_ONLY or name in COMMON:
                    continue
                value = ("x", "x") if "tuple" in str(parameter.annotation) else "x"  # basic auth: (user, password)
                everything[name] = value
                if parameter.default is inspect.Parameter.empty:
                    required[name] = value
            for kwargs in (required, everything):
                try:
                    cls(base_url="http://127.0.0.1:9", **kwargs)
                    try:
                        cls(**kwargs)
                    except ValueError as error:  # documented: a relative or unusable server URL needs base_url
                        if "base_url" not in str(error):
                            raise
                except BaseException as error:
                    problems.append(["client", info.name + "." + cls_name, type(error).__name__, str(error)])
                    break
print(json.dumps(problems))
"""


def _check_package(out: Path, sentinels: list[str]) -> list[Failure]:
    failures: list[Failure] = []
    for path in sorted(out.rglob("*")):
        if not path.is_file():
            continue
        relative = path.relative_to(out).as_posix()
        try:
            text = path.read_text("utf-8")
        except UnicodeDecodeError as error:
            failures.append(Failure("generated file is not UTF-8", f"{relative}: {error}"))
            continue
        raw = _RAW_FORBIDDEN.search(text)
        if raw:
            kind = _file_role(relative)
            failures.append(Failure(f"raw control/bidi character in generated {kind}",
                                    f"{relative}: U+{ord(raw.group()):04X} at offset {raw.start()}"))
        if relative.endswith(".toml"):
            try:
                tomllib.loads(text)
            except tomllib.TOMLDecodeError as error:
                failures.append(Failure("generated pyproject.toml does not parse", f"{relative}: {error}"))
        if not relative.endswith(".py"):
            continue
        try:
            compile(text, relative, "exec")
        except (SyntaxError, ValueError) as error:
            failures.append(Failure(f"generated .py does not compile: {_normalise(str(getattr(error, 'msg', error)))}",
                                    f"{relative}: {error}"))
            continue
        failures.extend(_sentinels_outside_strings(relative, text))
    if failures:
        return failures
    result = subprocess.run(
        [sys.executable, "-c", _IMPORT_SCRIPT, str(out), PACKAGE],
        capture_output=True, text=True, timeout=IMPORT_SECONDS, check=False, cwd=out,
    )
    if result.returncode != 0:
        last = (result.stderr.strip().splitlines() or ["?"])[-1]
        return [Failure(f"generated package does not import: {_normalise(last)}", result.stderr[-3000:])]
    for kind, where, error_type, message in json.loads(result.stdout):
        failures.append(Failure(f"generated {kind} fails: {error_type}: {_normalise(message)}",
                                f"{where}: {error_type}: {message}"))
    return failures


def _file_role(relative: str) -> str:
    """Where in the package a file sits, without example-specific names: ``apis/<api>/models.py``."""
    parts = relative.split("/")
    if len(parts) == 1:
        return relative
    parts = parts[1:]
    if len(parts) >= 3 and parts[0] == "apis":
        parts[1] = "<api>"
    if len(parts) == 2 and parts[0] == "workflows" and parts[1] != "__init__.py":
        parts[1] = "<document>.py"
    return "/".join(parts)


def _sentinels_outside_strings(relative: str, text: str) -> list[Failure]:
    failures = []
    tokens = tokenize.generate_tokens(io.StringIO(text).readline)
    for token in tokens:
        if token.type in _TEXT_TOKENS:
            continue
        found = SENTINEL.search(token.string)
        if found:
            failures.append(Failure(
                f"document text outside a string literal ({tokenize.tok_name[token.type]} token)",
                f"{relative}:{token.start[0]}:{token.start[1] + 1}: {found.group()} in {token.line.strip()[:200]!r}",
            ))
    return failures


def _check_diagnostics(stdout: str) -> list[Failure]:
    try:
        diagnostics = json.loads(stdout)
    except json.JSONDecodeError as error:
        return [Failure("diagnostics output is not JSON", f"{error}: {stdout[:500]!r}")]
    failures = []
    for item in diagnostics:
        if not item.get("file") or not item.get("line") or not item.get("column"):
            failures.append(Failure(f"unlocated diagnostic [{item.get('rule')}]", json.dumps(item)[:500]))
    # The JSON report carries document text exactly (a consumer gets the real value), escaped as JSON: what must
    # never happen is a raw character in the bytes that reach a terminal or a log.
    for line in stdout.splitlines():
        raw = _RAW_FORBIDDEN.search(line)
        if raw:
            rule = re.search(r'"rule": "([^"]*)"', line)
            failures.append(Failure(f"raw control/bidi character in diagnostic [{rule.group(1) if rule else '?'}]",
                                    f"U+{ord(raw.group()):04X} in {line[:500]!r}"))
    return failures


def _exit3_signature(stderr: str) -> str:
    """``exit 3: KeyError in lower_api.py:_params`` from the internal-error traceback."""
    frames = re.findall(r'File "([^"]+)", line \d+, in (\S+)', stderr)
    lines = [line for line in stderr.strip().splitlines() if line and not line.startswith(" ")]
    error_type = lines[-1].split(":", 1)[0] if lines else "?"
    where = f" in {Path(frames[-1][0]).name}:{frames[-1][1]}" if frames else ""
    return f"exit 3: {error_type}{where}"


def check_case(
    case: FuzzCase, exit_codes: list[int | None] | None = None, *, keep_going: bool = False
) -> list[Failure]:
    """Build ``case`` in a fresh temporary folder; every way it breaks the property.

    The build's exit code is appended to ``exit_codes`` when given (None for a hang).  With ``keep_going`` the
    build runs with ``--keep-going``, and exit 4 (the sound workflows built) must give a sound package too.
    """
    root = Path(tempfile.mkdtemp(prefix="arazzo-fuzz-"))
    try:
        return _check_in(case, root, exit_codes if exit_codes is not None else [], keep_going)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _check_in(case: FuzzCase, root: Path, exit_codes: list[int | None], keep_going: bool) -> list[Failure]:
    write_specs(case, root)
    out = root / "out"
    before = _snapshot(root, out)
    code, stdout, stderr, error = run_build(root, ("--keep-going",) if keep_going else ())
    exit_codes.append(code)
    failures: list[Failure] = []
    after = _snapshot(root, out)
    if before != after:
        changed = sorted(set(before.items()) ^ set(after.items()))
        failures.append(Failure("files outside OUT changed", repr(changed[:20])))
    if isinstance(error, BuildTimeout):
        return [*failures, Failure(f"build hangs (over {BUILD_SECONDS}s)", str(error))]
    if error is not None:
        failures.append(Failure(f"uncaught {type(error).__name__}", repr(error)))
        return failures
    if code == 3:
        failures.append(Failure(_exit3_signature(stderr), stderr[-3000:]))
    elif code == 1:
        failures.extend(_check_diagnostics(stdout))
        if '"severity": "error"' not in stdout:
            failures.append(Failure("exit 1 without an error diagnostic", stderr[-1000:]))
        if out.exists():
            failures.append(Failure("OUT written by a failed build", ""))
    elif code == 0 or (code == 4 and keep_going):
        failures.extend(_check_diagnostics(stdout))
        if not out.is_dir():
            failures.append(Failure("exit 0 but OUT missing", stderr[-1000:]))
        else:
            failures.extend(_check_package(out, case.sentinels))
    else:
        failures.append(Failure(f"exit {code}", stderr[-2000:]))
    return failures
