"""The compiler installs one import package, ``arazzo_gen`` (issue 14 item 5): never a top-level ``generator``,
a name that collides with users' own packages and with a distribution on the package index."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_wheel_holds_arazzo_gen_and_its_templates_only(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "hatchling", "build", "-t", "wheel", "-d", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    (wheel,) = tmp_path.glob("*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    tops = {name.split("/", 1)[0] for name in names}
    assert tops == {"arazzo_gen", "arazzo_gen-0.1.0.dist-info"}, tops
    assert "arazzo_gen/__main__.py" in names
    assert "arazzo_gen/templates/workflows.py.j2" in names
    # the runtime the compiler copies into generated packages ships as plain modules, not a template
    modules = ("_runtime", "_runtime_regex", "_runtime_jsonpath", "_runtime_xpath", "_runtime_messages")
    for module in ("__init__", *modules):
        assert f"arazzo_gen/runtime/{module}.py" in names, module
    assert "arazzo_gen/templates/runtime.py.j2" not in names
    entry_points = zipfile.ZipFile(wheel).read("arazzo_gen-0.1.0.dist-info/entry_points.txt").decode()
    assert "arazzo-gen = arazzo_gen.cli:main" in entry_points


def test_python_m_arazzo_gen_beside_a_users_generator_package(tmp_path: Path) -> None:
    """A project with its own ``generator/`` package: ``python -m arazzo_gen`` runs the compiler, and the
    user's ``generator`` stays theirs (it is never imported by the compiler)."""
    (tmp_path / "generator").mkdir()
    (tmp_path / "generator" / "__init__.py").write_text("raise SystemExit('the user package was imported')\n")
    version = subprocess.run(
        [sys.executable, "-m", "arazzo_gen", "--version"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert version.returncode == 0, version.stdout + version.stderr
    assert version.stdout.startswith("arazzo-gen "), version.stdout
    own = subprocess.run(
        [sys.executable, "-c", "import generator"], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert "the user package was imported" in own.stderr
