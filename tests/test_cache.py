"""The build cache (issue 8): an unchanged build is answered without compiling, an edited workflow does not
regenerate models, and the cache can never make the output differ from a clean build — stale, corrupted or
truncated entries included."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

import arazzo_gen.cache
import arazzo_gen.emit.models
import arazzo_gen.ir.program
from arazzo_gen.cache import Cache
from arazzo_gen.cli import app
from arazzo_gen.config import PackageOptions
from arazzo_gen.diagnostics import Diagnostics
from arazzo_gen.pipeline import compile_specs

ROOT = Path(__file__).resolve().parent.parent
SEED_SPECS = ROOT / "specs"
OPTIONS = PackageOptions(package="cached_pkg")


def build(specs: Path, cache: Cache | None) -> tuple[dict[str, str] | None, list[str]]:
    diagnostics = Diagnostics()
    files = compile_specs(specs, OPTIONS, diagnostics, None, cache)
    return files, [d.headline() for d in diagnostics.sorted()]


@pytest.fixture
def specs(tmp_path: Path) -> Path:
    folder = tmp_path / "specs"
    shutil.copytree(SEED_SPECS, folder)
    return folder


def forbid(monkeypatch: pytest.MonkeyPatch, module: object, name: str) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"{name} ran although the cache should have answered")

    monkeypatch.setattr(module, name, refuse)


def test_an_unchanged_build_is_replayed_without_compiling(specs: Path, tmp_path: Path, monkeypatch) -> None:
    cache = Cache(tmp_path / "cache")
    clean, clean_warnings = build(specs, None)
    first, first_warnings = build(specs, cache)
    assert first == clean and first_warnings == clean_warnings and clean_warnings  # the seeds have warnings
    forbid(monkeypatch, arazzo_gen.ir.program, "build_program")
    second, second_warnings = build(specs, cache)
    assert second == clean and second_warnings == clean_warnings  # warnings are replayed, with locations


def test_editing_a_workflow_rebuilds_it_without_regenerating_models(specs: Path, tmp_path: Path, monkeypatch) -> None:
    cache = Cache(tmp_path / "cache")
    build(specs, cache)
    workflow = specs / "arazzo" / "ibm-quantum-pause-session-and-confirm-workflow.yml"
    text = workflow.read_text(encoding="utf-8")
    edited = text.replace("  summary: Toggle", "  summary: Edited. Toggle", 1)
    assert edited != text
    workflow.write_text(edited, encoding="utf-8")
    clean, _ = build(specs, None)
    forbid(monkeypatch, arazzo_gen.emit.models, "_generate")  # every API is unchanged: models come from the cache
    rebuilt, _ = build(specs, cache)
    assert rebuilt == clean
    assert rebuilt is not None and "Edited. Toggle" in "".join(rebuilt.values())


def test_a_new_file_under_specs_is_seen(specs: Path, tmp_path: Path) -> None:
    cache = Cache(tmp_path / "cache")
    before, _ = build(specs, cache)
    (specs / "arazzo" / "broken.arazzo.yaml").write_text("arazzo: 1.0.1\ninfo: [\n", encoding="utf-8")
    after, headlines = build(specs, cache)
    assert before is not None and after is None
    assert any("error[invalid-syntax]" in line for line in headlines)


def test_a_missing_referenced_file_that_appears_is_seen(tmp_path: Path) -> None:
    specs = tmp_path / "specs"
    shutil.copytree(SEED_SPECS, specs)
    cache = Cache(tmp_path / "cache")
    api = next((specs / "openapi").glob("ibm-quantum-runtime-jobs*"))
    text = api.read_text(encoding="utf-8")
    api.write_text(text.replace("'#/components/parameters/IBM-API-Version'", "'extra.yml#/IBMApiVersion'"))
    first, warnings = build(specs, cache)
    assert first is not None and any("extra.yml" in line and "unresolved-ref" in line for line in warnings)
    (specs / "openapi" / "extra.yml").write_text(
        "IBMApiVersion: {name: IBM-API-Version, in: header, required: true, schema: {type: string}}\n"
    )
    second, warnings_after = build(specs, cache)
    assert second == build(specs, None)[0]
    assert not any("extra.yml" in line for line in warnings_after)


@pytest.mark.parametrize("damage", ["flip", "truncate", "empty"])
def test_a_damaged_entry_is_a_miss_and_is_removed(specs: Path, tmp_path: Path, damage: str) -> None:
    cache = Cache(tmp_path / "cache")
    clean, _ = build(specs, cache)
    entries = sorted((tmp_path / "cache" / "build").rglob("*"))
    (entry,) = [path for path in entries if path.is_file()]
    raw = entry.read_bytes()
    entry.write_bytes({"flip": raw[:40] + bytes([raw[40] ^ 1]) + raw[41:], "truncate": raw[: len(raw) // 2],
                       "empty": b""}[damage])  # fmt: skip
    rebuilt, _ = build(specs, cache)
    assert rebuilt == clean
    assert entry.read_bytes() != b"" and entry.read_bytes() != raw[: len(raw) // 2]  # rewritten by the rebuild


def test_another_compiler_never_reads_this_ones_entries(specs: Path, tmp_path: Path, monkeypatch) -> None:
    cache = Cache(tmp_path / "cache")
    build(specs, cache)
    monkeypatch.setattr(arazzo_gen.cache, "fingerprint", lambda: "a different compiler")
    calls: list[object] = []
    real = arazzo_gen.ir.program.build_program

    def counting(*args: object, **kwargs: object) -> object:
        calls.append(args)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(arazzo_gen.ir.program, "build_program", counting)
    build(specs, cache)
    assert len(calls) == 1


def test_cli_cache_options(specs: Path, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    folder = tmp_path / "mine"
    result = runner.invoke(app, ["build", "specs", "-o", "out", "--cache-dir", str(folder), "-q"])
    assert result.exit_code == 0, result.stderr
    assert (folder / "build").is_dir() and (folder / "models").is_dir()
    result = runner.invoke(app, ["build", "specs", "-o", "out"])
    assert result.exit_code == 0 and "up to date, nothing written" in result.stderr
    untouched = tmp_path / "untouched"
    monkeypatch.setenv("ARAZZO_GEN_CACHE_DIR", str(untouched))
    result = runner.invoke(app, ["build", "specs", "-o", "out2", "--no-cache", "-q"])
    assert result.exit_code == 0 and not untouched.exists()


def test_the_digest_of_a_fifo_input_is_unreadable_not_a_hang(tmp_path: Path) -> None:
    """An input that is a FIFO (a rewrite candidate probed, say) is never opened for a blocking read."""
    import os
    import subprocess
    import sys

    fifo = tmp_path / "fifo.yml"
    os.mkfifo(fifo)
    root = Path(__file__).resolve().parent.parent
    code = "import sys; from pathlib import Path; from arazzo_gen.cache import file_digest; print(file_digest(Path(sys.argv[1])))"
    result = subprocess.run(
        [sys.executable, "-c", code, str(fifo)], env={**os.environ, "PYTHONPATH": str(root)},
        capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip
    assert result.returncode == 0 and result.stdout == "unreadable\n", result.stderr


def test_the_fingerprint_covers_the_templates_emit_renders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A template edited in a checkout changes the fingerprint, so a build never replays output rendered by the
    old template (after the move to generator/arazzo_gen/ the fingerprint hashed a folder that did not exist)."""
    from arazzo_gen.emit.dependencies import templates_dir

    used = templates_dir().resolve()
    assert (used / "workflows.py.j2").is_file()
    hashed = {arazzo_gen.cache._PACKAGE_ROOT.resolve(), arazzo_gen.cache._TEMPLATES.resolve()}
    assert any(used == folder or folder in used.parents for folder in hashed), (used, hashed)
    copy = tmp_path / "templates"
    shutil.copytree(used, copy)
    monkeypatch.setattr(arazzo_gen.cache, "_TEMPLATES", copy)
    arazzo_gen.cache.fingerprint.cache_clear()  # computed once per process
    before = arazzo_gen.cache.fingerprint()
    (copy / "workflows.py.j2").write_text((copy / "workflows.py.j2").read_text() + "\n")
    arazzo_gen.cache.fingerprint.cache_clear()
    try:
        assert arazzo_gen.cache.fingerprint() != before
    finally:
        arazzo_gen.cache.fingerprint.cache_clear()
