"""The build cache is data, not code (issue 18): an entry written by whoever can write the cache folder (a
restored CI cache, a shared runner), with a correct checksum, can neither make a build write outside OUT, nor
make it hang or crash, nor satisfy ``build --check``; entries written by another user are ignored altogether,
and a cache folder other users can write is warned about.

Every forged entry is written with :meth:`Cache.store`, so its checksum is right: exactly what an attacker
who can run arazzo-gen's own code would write.  The seeds are built once per module into a primed cache;
each test attacks a copy of it and checks that the build exits 0 with exactly the clean build's tree and
that nothing appears outside OUT.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from arazzo_gen.cache import Cache
from arazzo_gen.cli import EXIT_ERRORS, EXIT_OK, app

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "cached_pkg"


def snapshot(folder: Path) -> dict[str, bytes]:
    return {
        path.relative_to(folder).as_posix(): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file() and not path.is_symlink()
    }


class Primed:
    """The seeds (at a fixed path: the build key holds it), a cache filled by building them, the clean tree."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.specs = base / "specs"
        shutil.copytree(ROOT / "specs", self.specs)
        self.cache = base / "cache"
        result = run(base, "build", str(self.specs), "-o", str(base / "clean"), "--cache-dir", str(self.cache),
                     "--package", PACKAGE)  # fmt: skip
        assert result[0] == EXIT_OK, result[1]
        self.clean = snapshot(base / "clean")


def run(cwd: Path, *args: str) -> tuple[int, str]:
    previous = Path.cwd()
    os.chdir(cwd)
    try:
        result = CliRunner().invoke(app, list(args))
    finally:
        os.chdir(previous)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stderr


@pytest.fixture(scope="module")
def primed(tmp_path_factory: pytest.TempPathFactory) -> Primed:
    return Primed(tmp_path_factory.mktemp("primed"))


class Attack:
    """One test's copy of the primed cache, a working folder, and OUT (``work/out``)."""

    def __init__(self, primed: Primed, tmp_path: Path) -> None:
        self.primed = primed
        self.base = tmp_path
        self.work = tmp_path / "work"
        self.work.mkdir()
        self.folder = tmp_path / "cache"
        shutil.copytree(primed.cache, self.folder)
        self.cache = Cache(self.folder)
        self.out = self.work / "out"

    def keys(self, kind: str) -> list[str]:
        return sorted(path.name for path in (self.folder / kind).glob("*/*") if not path.name.startswith("."))

    def raw(self, kind: str, key: str) -> Any:
        return load_raw(self.cache, kind, key)

    def forge(self, kind: str, key: str, value: Any) -> None:
        self.cache.store(kind, key, value)

    def build(self, *extra: str) -> tuple[int, str]:
        return run(self.work, "build", str(self.primed.specs), "-o", str(self.out), "--cache-dir", str(self.folder),
                   "--package", PACKAGE, *extra)  # fmt: skip

    def assert_clean_build(self) -> None:
        """The build exits 0, OUT is exactly the clean build, and nothing appeared anywhere else."""
        before = self.elsewhere()
        code, stderr = self.build()
        assert code == EXIT_OK, stderr
        assert "\x1b" not in stderr  # nothing from an entry reaches the terminal unescaped
        assert snapshot(self.out) == self.primed.clean
        assert self.elsewhere() == before

    def elsewhere(self) -> set[Path]:
        """Everything under the test's folder but OUT and the cache."""
        return {p for p in self.base.rglob("*") if not p.is_relative_to(self.out) and not p.is_relative_to(self.folder)}


def load_raw(cache: Cache, kind: str, key: str) -> Any:
    return cache.load(kind, key, lambda value: value)


@pytest.fixture
def attack(primed: Primed, tmp_path: Path) -> Attack:
    return Attack(primed, tmp_path)


def with_files(attack: Attack, change: Callable[[dict[str, Any]], None]) -> None:
    """Forge the "build" entry: its record with ``change`` applied to its files."""
    (key,) = attack.keys("build")
    record = attack.raw("build", key)
    change(record["files"])
    attack.forge("build", key, record)


# -- names that leave OUT ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "name", ["../x", "../../x", "{absolute}", f"{PACKAGE}/../../x", f"{PACKAGE}\\..\\x", "x\x00y", ".arazzo-gen-manifest.json",
             f"{PACKAGE}/__pycache__/x.py", "setup.py", f"{PACKAGE}/evil.sh"]
)  # fmt: skip
def test_a_cache_entry_naming_a_file_outside_out_is_a_miss(attack: Attack, tmp_path: Path, name: str) -> None:
    target = tmp_path / "absolute-x"
    name = name.format(absolute=target)
    with_files(attack, lambda files: files.__setitem__(name, "ESCAPED = 1\n"))
    attack.assert_clean_build()
    assert not target.exists() and not (tmp_path / "x").exists() and not (attack.work / "x").exists()
    assert name not in json.loads(attack.primed.clean[".arazzo-gen-manifest.json"])["files"]


# -- code that runs on import ----------------------------------------------------------------------------------
INJECTED = "import os\nos.system('touch /tmp/arazzo-gen-pwned')\n"


def foreign(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make ``path`` belong to another user: for real as root, else by making the cache see another user."""
    if os.geteuid() == 0:
        os.chown(path, 65534, 65534)
    else:
        import arazzo_gen.cache

        monkeypatch.setattr(arazzo_gen.cache, "current_user", lambda: os.geteuid() + 1)


def test_a_build_entry_written_by_another_user_cannot_inject_code(attack: Attack, monkeypatch) -> None:
    init = f"{PACKAGE}/__init__.py"
    with_files(attack, lambda files: files.__setitem__(init, files[init] + INJECTED))
    (key,) = attack.keys("build")
    foreign(attack.folder / "build" / key[:2] / key, monkeypatch)
    attack.assert_clean_build()


def test_a_format_entry_written_by_another_user_cannot_inject_code(attack: Attack, monkeypatch) -> None:
    shutil.rmtree(attack.folder / "build")  # the build is compiled; formatted modules come from the cache
    for key in attack.keys("format"):
        text = attack.raw("format", key)
        if "Do not edit: rebuild with" in text:  # the package's __init__.py
            attack.forge("format", key, text + INJECTED)
            foreign(attack.folder / "format" / key[:2] / key, monkeypatch)
    attack.assert_clean_build()


def test_an_entry_writable_by_other_users_is_ignored(attack: Attack) -> None:
    init = f"{PACKAGE}/__init__.py"
    with_files(attack, lambda files: files.__setitem__(init, files[init] + INJECTED))
    (key,) = attack.keys("build")
    (attack.folder / "build" / key[:2] / key).chmod(0o666)
    attack.assert_clean_build()


@pytest.mark.parametrize("bound", ["MAX_ENTRY", "MAX_VALUE"])
def test_an_entry_larger_than_the_bounds_is_a_miss(attack: Attack, monkeypatch: pytest.MonkeyPatch, bound: str) -> None:
    import arazzo_gen.cache

    (key,) = attack.keys("build")
    entry = attack.folder / "build" / key[:2] / key
    assert attack.raw("build", key) is not None
    # the file itself, or the JSON it inflates to (a zip bomb), one byte over the bound
    limit = entry.stat().st_size - 1 if bound == "MAX_ENTRY" else len(json.dumps(["build", key, attack.raw("build", key)])) // 2
    monkeypatch.setattr(arazzo_gen.cache, bound, limit)
    assert attack.raw("build", key) is None and not entry.exists()  # a miss, and removed
    shutil.copyfile(attack.primed.cache / "build" / key[:2] / key, entry)
    attack.assert_clean_build()


def test_an_entry_moved_to_another_key_is_a_miss(attack: Attack) -> None:
    shutil.rmtree(attack.folder / "build")
    first, second = attack.keys("format")[:2]
    shutil.copyfile(attack.folder / "format" / first[:2] / first, attack.folder / "format" / second[:2] / second)
    attack.assert_clean_build()


def test_a_models_entry_cannot_add_a_dependency(attack: Attack) -> None:
    shutil.rmtree(attack.folder / "build")
    for key in attack.keys("models"):
        value = attack.raw("models", key)
        value["requirements"] = [*value["requirements"], "evil-package>=0"]
        attack.forge("models", key, value)
    attack.assert_clean_build()


# -- --check ---------------------------------------------------------------------------------------------------
def test_check_is_never_satisfied_by_a_cache_entry_matching_a_stale_out(attack: Attack) -> None:
    assert attack.build()[0] == EXIT_OK
    init = attack.out / PACKAGE / "__init__.py"
    init.write_text(init.read_text(encoding="utf-8") + "STALE = 1\n", encoding="utf-8")
    with_files(attack, lambda files: files.__setitem__(f"{PACKAGE}/__init__.py", init.read_text(encoding="utf-8")))
    code, stderr = attack.build("--check")
    assert code == EXIT_ERRORS and f"differs   {PACKAGE}/__init__.py" in stderr, stderr


def test_check_is_never_satisfied_by_a_format_entry_matching_a_stale_out(attack: Attack) -> None:
    assert attack.build()[0] == EXIT_OK
    init = attack.out / PACKAGE / "__init__.py"
    stale = init.read_text(encoding="utf-8") + "STALE = 1\n"
    init.write_text(stale, encoding="utf-8")
    shutil.rmtree(attack.folder / "build")
    for key in attack.keys("format"):
        if "Do not edit: rebuild with" in attack.raw("format", key):
            attack.forge("format", key, stale)
    code, stderr = attack.build("--check")
    assert code == EXIT_ERRORS and f"differs   {PACKAGE}/__init__.py" in stderr, stderr


# -- special files: never opened for reading, never a hang -----------------------------------------------------
def _build_in_a_child(attack: Attack) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "arazzo_gen", "build", str(attack.primed.specs), "-o", str(attack.out),
               "--cache-dir", str(attack.folder), "--package", PACKAGE, "-q"]  # fmt: skip
    return subprocess.run(command, cwd=attack.work, env=env, capture_output=True, text=True, timeout=60, check=False)


@pytest.mark.parametrize(("kind", "special"), [("build", "fifo"), ("models", "fifo"), ("build", "/dev/zero")])
def test_a_fifo_in_place_of_an_entry_is_a_miss_not_a_hang(attack: Attack, kind: str, special: str) -> None:
    if kind != "build":
        shutil.rmtree(attack.folder / "build")
    for key in attack.keys(kind):
        entry = attack.folder / kind / key[:2] / key
        entry.unlink()
        if special == "fifo":
            os.mkfifo(entry)
        else:
            entry.symlink_to(special)  # endless if read
    result = _build_in_a_child(attack)
    assert result.returncode == EXIT_OK, result.stderr
    assert snapshot(attack.out) == attack.primed.clean


def test_a_build_entry_naming_a_fifo_as_input_is_a_miss_not_a_hang(attack: Attack, tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    (key,) = attack.keys("build")
    record = attack.raw("build", key)
    record["inputs"] = {str(fifo): "0" * 64, **record["inputs"]}
    attack.forge("build", key, record)
    result = _build_in_a_child(attack)
    assert result.returncode == EXIT_OK, result.stderr
    assert snapshot(attack.out) == attack.primed.clean


# -- malformed fields: a miss, never exit 3 --------------------------------------------------------------------
def _set(path: tuple[Any, ...], value: Any) -> Callable[[Any], Any]:
    def change(record: Any) -> Any:
        if not path:
            return value
        target = record
        for step in path[:-1]:
            target = target[step]
        target[path[-1]] = value
        return record

    return change


def _first(mapping: dict[str, Any]) -> str:
    return next(iter(mapping))


BUILD_DAMAGE: dict[str, Callable[[Any], Any]] = {
    "record is a list": _set((), []),
    "files is a list": _set(("files",), ["a.py"]),
    "a file's text is an int": lambda r: _set(("files", _first(r["files"])), 5)(r),
    "inputs is a list": _set(("inputs",), []),
    "an input's digest is a list": lambda r: _set(("inputs", _first(r["inputs"])), [])(r),
    "diagnostics is a dict": _set(("diagnostics",), {}),
    "a diagnostic is a list": _set(("diagnostics", 0), ["warning"]),
    "a diagnostic's severity is unknown": _set(("diagnostics", 0, "severity"), "fatal"),
    "a diagnostic's loc is short": _set(("diagnostics", 0, "loc"), ["f"]),
    "a diagnostic's line is a string": lambda r: _set(("diagnostics", 0, "loc"), [r["diagnostics"][0]["loc"][0], "1", 1, 0])(r),
    "a diagnostic's rule is an int": _set(("diagnostics", 0, "rule"), 7),
    "a diagnostic's column is beyond any input": lambda r: _set(("diagnostics", 0, "loc", 2), 10**13)(r),
    "a diagnostic's length is beyond any input": lambda r: _set(("diagnostics", 0, "loc", 3), 10**13)(r),
    "a diagnostic lacks its message": lambda r: r["diagnostics"][0].pop("message") and r,
}  # fmt: skip


@pytest.mark.parametrize("damage", list(BUILD_DAMAGE))
def test_a_malformed_build_entry_is_a_miss(attack: Attack, damage: str) -> None:
    (key,) = attack.keys("build")
    attack.forge("build", key, BUILD_DAMAGE[damage](attack.raw("build", key)))
    attack.assert_clean_build()


def test_a_diagnostic_message_holding_an_escape_is_replayed_escaped(attack: Attack) -> None:
    """A well-formed warning is a hit whatever its message says: it reaches the terminal escaped."""
    (key,) = attack.keys("build")
    record = attack.raw("build", key)
    record["diagnostics"][0]["message"] = "\x1b]0;pwned\x07"
    attack.forge("build", key, record)
    code, stderr = attack.build()
    assert code == EXIT_OK and "\x1b" not in stderr and r"\x1b]0;pwned\x07" in stderr, stderr
    assert snapshot(attack.out) == attack.primed.clean


def _first_field(index: dict[str, Any]) -> list[Any]:
    for kind, _bases, fields, _members in index.values():
        if kind == "model" and fields:
            return fields[_first(fields)]
    raise AssertionError("no model with fields")


MODELS_DAMAGE: dict[str, Callable[[Any], Any]] = {
    "entry is a string": _set((), "x"),
    "output is an int": _set(("output",), 1),
    "warnings is a dict": _set(("warnings",), {}),
    "a rejected row is short": _set(("rejected",), [["p"]]),
    "index is a list": _set(("index",), []),
    "a class is a dict": lambda r: _set(("index", _first(r["index"])), {})(r),
    "a class kind is unknown": lambda r: _set(("index", _first(r["index"]), 0), "trait")(r),
    "a field's annotation does not parse": lambda r: (_first_field(r["index"]).__setitem__(1, "list[int"), r)[1],
    "a field's required flag is a string": lambda r: (_first_field(r["index"]).__setitem__(2, "yes"), r)[1],
    "a base is an int": lambda r: _set(("index", _first(r["index"]), 1), [3])(r),
    "requirements is a string": _set(("requirements",), "httpx"),
}  # fmt: skip


@pytest.mark.parametrize("damage", list(MODELS_DAMAGE))
def test_a_malformed_models_entry_is_a_miss(attack: Attack, damage: str) -> None:
    shutil.rmtree(attack.folder / "build")
    for key in attack.keys("models"):
        attack.forge("models", key, MODELS_DAMAGE[damage](attack.raw("models", key)))
    attack.assert_clean_build()


@pytest.mark.parametrize("value", [5, ["text"], {"a": 1}, None])
def test_a_malformed_format_entry_is_a_miss(attack: Attack, value: Any) -> None:
    shutil.rmtree(attack.folder / "build")
    for key in attack.keys("format"):
        attack.forge("format", key, value)
    attack.assert_clean_build()


# -- the cache folder itself -----------------------------------------------------------------------------------
def test_a_cache_folder_writable_by_other_users_is_warned_about(attack: Attack) -> None:
    code, stderr = attack.build()
    assert code == EXIT_OK and "warning: the build cache folder" not in stderr, stderr
    attack.folder.chmod(0o777)
    code, stderr = attack.build()
    assert code == EXIT_OK
    assert f"warning: the build cache folder {attack.folder} is writable by other users" in stderr, stderr
    attack.folder.chmod(0o700)
    (attack.folder / "format").chmod(stat.S_IRWXU | stat.S_IRWXG)  # group-writable inside: checked per entry
    assert "warning: the build cache folder" not in attack.build()[1]
    if os.geteuid() == 0:  # a parent that belongs to another user can replace the whole folder
        os.chown(attack.base, 65534, 65534)
        code, stderr = attack.build()
        assert f"({attack.base} belongs to another user)" in stderr, stderr
