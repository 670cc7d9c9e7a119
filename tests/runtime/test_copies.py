"""Generated packages carry the runtime modules of ``arazzo_gen/runtime/`` unchanged, and only those they use.

Every ``_runtime*.py`` in every fixture golden and in generated/ is byte-identical to its source module; a
package carries the core, the criteria modules its workflows import and what those import, no more; its
requirements are those of the modules it carries.  The source modules are stable under the compiler's own
writer (ruff's fixes and black's style), so copying them is the identity.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

from arazzo_gen.emit.dependencies import BASE_REQUIREMENTS, CRITERIA_REQUIREMENTS
from arazzo_gen.emit.dependencies import DURABLE_MODULE
from arazzo_gen.emit.runtime import (
    CORE,
    OPTIONAL_HELPERS,
    RUNTIME_DIR,
    needed_modules,
    runtime_imports,
    runtime_modules,
    runtime_source,
)
from arazzo_gen.emit.text import escape_source
from arazzo_gen.write import format_tree

ROOT = Path(__file__).resolve().parent.parent.parent
OPTIONAL = sorted(set(OPTIONAL_HELPERS.values()))
PACKAGES = sorted(
    [path.parent for path in (ROOT / "tests" / "fixtures" / "golden").glob("*/expected/*/_runtime.py")]
    + [path.parent for path in (ROOT / "generated").glob("*/_runtime.py")]
)
_WORKFLOW_IMPORT = re.compile(r"^from \.\.(_runtime\w*) import", re.MULTILINE)


def _label(package: Path) -> str:
    return package.relative_to(ROOT).as_posix()


def test_the_runtime_modules() -> None:
    assert runtime_modules() == [CORE, *OPTIONAL] == [
        "_runtime", "_runtime_jsonpath", "_runtime_regex", "_runtime_text", "_runtime_xpath"
    ]
    assert (RUNTIME_DIR / "__init__.py").is_file()
    assert len(PACKAGES) >= 7, PACKAGES  # six fixture goldens and generated/


@pytest.mark.parametrize("package", PACKAGES, ids=_label)
def test_a_package_carries_the_runtime_it_uses_unchanged(package: Path) -> None:
    carried = sorted(path.stem for path in package.glob("_runtime*.py"))
    for module in carried:
        assert (package / f"{module}.py").read_bytes() == (RUNTIME_DIR / f"{module}.py").read_bytes(), module
    imported = {
        module
        for workflows in (package / "workflows").glob("*.py")
        for module in _WORKFLOW_IMPORT.findall(workflows.read_text(encoding="utf-8"))
    }
    helpers = [helper for helper, module in OPTIONAL_HELPERS.items() if module in imported]
    assert carried == needed_modules(helpers), (carried, imported)
    pyproject = (package.parent / "pyproject.toml").read_text(encoding="utf-8")
    declared = set(re.findall(r'^\s*"([^"]+)",?$', pyproject, flags=re.MULTILINE))
    expected = {*BASE_REQUIREMENTS, *(r for module in carried for r in CRITERIA_REQUIREMENTS.get(module, ()))}
    criteria = {r for group in CRITERIA_REQUIREMENTS.values() for r in group}
    assert declared >= expected and not (declared - expected) & criteria, (declared, expected)


def test_the_goldens_cover_packages_with_and_without_the_criteria_modules() -> None:
    carried = {_label(p): sorted(path.stem for path in p.glob("_runtime*.py")) for p in PACKAGES}
    assert ["_runtime"] in carried.values()  # a package without regex, jsonpath, xpath criteria: the core only
    assert [CORE, *OPTIONAL] in carried.values()  # and one with all of them (criteria_1_1)
    assert ["_runtime", "_runtime_regex"] in carried.values()  # regex criteria only: no jsonpath, no xpath


def test_needed_modules_follow_the_relative_imports() -> None:
    assert needed_modules([]) == ["_runtime"]
    assert needed_modules(["StepFailed", "to_text"]) == ["_runtime"]
    assert needed_modules(["regex_matches"]) == ["_runtime", "_runtime_regex"]
    assert needed_modules(["jsonpath_matches"]) == ["_runtime", "_runtime_jsonpath", "_runtime_regex"]
    assert needed_modules(["xpath_matches"]) == ["_runtime", "_runtime_xpath"]
    assert needed_modules(["embedded_text"]) == ["_runtime", "_runtime_text"]
    assert runtime_imports(["xpath_matches", "StepFailed", "json_pointer", "regex_matches"]) == [
        ("_runtime", ["StepFailed", "json_pointer"]),
        ("_runtime_regex", ["regex_matches"]),
        ("_runtime_xpath", ["xpath_matches"]),
    ]


def _top_level_names(module: str) -> set[str]:
    names: set[str] = set()
    for node in ast.parse(runtime_source(module)).body:
        if isinstance(node, ast.FunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names.update(target.id for target in targets if isinstance(target, ast.Name))
    return names


def test_each_optional_helper_is_defined_in_its_module_only() -> None:
    core = _top_level_names(CORE)
    for helper, module in OPTIONAL_HELPERS.items():
        assert helper in _top_level_names(module) and helper not in core, helper
    assert "REGEX_TIMEOUT" in _top_level_names("_runtime_regex") and "REGEX_TIMEOUT" not in core
    assert "CriterionError" in core  # the package's __init__ exports it, whatever criteria it has


def test_each_module_imports_only_what_its_requirements_provide() -> None:
    """The absolute imports of a runtime module outside the standard library are distributions the package
    declares when it carries that module (or always: httpx, pydantic)."""
    always = {re.split(r"[<>=]", r)[0] for r in BASE_REQUIREMENTS}
    for module in runtime_modules():
        declared = always | {
            re.split(r"[<>=]", r)[0] for needed in needed_modules([]) + [module]
            for r in CRITERIA_REQUIREMENTS.get(needed, ())
        }  # fmt: skip
        for node in ast.walk(ast.parse(runtime_source(module))):
            if isinstance(node, ast.Import):
                tops = [alias.name.split(".")[0] for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                tops = [node.module.split(".")[0]]
            else:
                continue
            for top in tops:
                if top in sys.stdlib_module_names or top == "__future__":
                    continue
                assert top.replace("_", "-") in declared, (module, top, declared)


def test_the_sources_are_stable_under_the_compiler_writer() -> None:
    """Copied text goes through the writer like any generated module: it must come out unchanged."""
    modules = [*runtime_modules(), DURABLE_MODULE]  # the durable variant's runtime is copied too
    files = {f"pkg/{module}.py": runtime_source(module) for module in modules}
    assert format_tree(files) == files
    for text in files.values():
        assert escape_source(text) == text


def test_the_compiler_does_not_import_the_runtime() -> None:
    code = (
        "import sys, arazzo_gen.cli, arazzo_gen.pipeline, arazzo_gen.emit.package, arazzo_gen.emit.dependencies\n"
        "arazzo_gen.emit.dependencies.imported_modules()\n"
        "bad = sorted(m for m in sys.modules if m.startswith('arazzo_gen.runtime') or m == 'httpx')\n"
        "assert not bad, bad\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
