"""Golden records: small hand-written fixtures built and compared byte for byte with their expected output.

Each case lives in ``tests/fixtures/golden/<case>/``:

* ``specs/arazzo/`` - a small Arazzo document, ``specs/openapi/`` - the API description(s) it uses;
* ``expected/`` - the generated tree (``pyproject.toml``, ``README.md`` and the package), byte for byte.

The build runs in the case folder (``compile_specs(Path("specs"), PackageOptions(package=..., specs_label=
"specs/"))``) so every path in the output and in the diagnostics is relative and stable.  For each case the
test module checks that the tree equals ``expected/`` (missing, extra and differing files; a unified diff
of the first differing file), that the build reports exactly the diagnostics listed for the case, and that
the built package passes ``mypy --strict``, ``ruff check --isolated`` and imports in a fresh interpreter.

Regenerating
    ``ARAZZO_GEN_UPDATE_GOLDEN=1 .venv/bin/pytest tests/test_golden_fixtures.py`` rewrites every
    ``expected/`` folder from a fresh build (the comparison tests then skip).  Review the diff with
    ``git diff tests/fixtures/golden`` before committing: the records are only as good as that review.
"""

from __future__ import annotations

import difflib
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from arazzo_gen.diagnostics import Diagnostics
from arazzo_gen.emit.package import PackageOptions
from arazzo_gen.pipeline import compile_specs
from arazzo_gen.write import existing_tree, with_manifest, write_tree

GOLDEN = Path(__file__).resolve().parent / "fixtures" / "golden"
UPDATE_ENV = "ARAZZO_GEN_UPDATE_GOLDEN"
UPDATE = os.environ.get(UPDATE_ENV, "") not in ("", "0")


@dataclass(frozen=True)
class Case:
    name: str
    package: str
    diagnostics: tuple[str, ...] = ()  # headlines the build must report, sorted

    @property
    def folder(self) -> Path:
        return GOLDEN / self.name

    @property
    def expected(self) -> Path:
        return self.folder / "expected"


CASES = [
    # Swagger 2.0: host/basePath/schemes, formData (urlencoded) and body operations, collectionFormat multi and
    # default (csv) arrays, a header parameter, an apiKey-in-query scheme, x-nullable, a discriminator with
    # x-ms-discriminator-value children, response headers; step 2 reads a step-1 output and a response header.
    Case(
        "swagger2_forms",
        package="pet_adoption",
    ),
    # OpenAPI 3.1: type [string, "null"], server variables with defaults, a cookie parameter, 200 + 202 with
    # different inline schemas, an inline request body, a $ref into another file, a recursive schema, http
    # basic; a regex criterion, a compound condition, a list-index pointer, braced embedded templates.
    Case(
        "oas31_features",
        package="shop_flows",
        diagnostics=(
            ("specs/arazzo/order.arazzo.yaml:50:24: warning[narrow-success-status]: step 'placeOrder' succeeds only "
            "on status 200, but createOrder also documents 202 as success; the step fails on those (write "
            "'$statusCode >= 200 && $statusCode < 300' to accept any success)"),
        ),
    ),
    # Adversarial names and text: operationIds colliding after snake-casing, keyword and reserved property and
    # parameter names, dotted/spaced schema keys, quotes, backslashes, braces, tabs, control characters and
    # code-like text in descriptions, workflowIds/stepIds colliding after snake-casing, an input named async.
    Case(
        "names_and_escaping",
        package="odd_names",
    ),
    # Values and bodies (issue 6): literal and null outputs, typed input defaults from components.inputs, a
    # workflow-level Reusable parameter with a value override, a form body written as a string, a JSON body
    # written as JSON text with a replacement, an XML body, multipart, outputs read tolerantly (one value
    # validated, never the whole body), a single literal given to an array-of-enum query parameter
    # (Spotify-like), pipeDelimited and matrix styles.
    Case(
        "values_and_bodies",
        package="music_flows",
    ),
    # Criteria: simple conditions with every operator (case-insensitive strings, null/true/false, index and
    # property access), a regex with an ECMA-262 named group, RFC 9535 JSONPath and XPath 1.0/3.1 criteria;
    # the package then depends on jsonpath-rfc9535, elementpath and defusedxml.
    Case(
        "criteria",
        package="criteria_flows",
    ),
    # Criteria of an Arazzo 1.1 document (issue 17): its Condition Evaluation (`arazzo="1.1"`: a null context
    # and an evaluation error fail the criterion), an rfc9535 and an xpath-31 Expression Type Object, bare
    # literals, and a jsonpath "condition" that is not a query (a failing-criterion warning: it never holds);
    # values embedded in a string as JSON text (embedded_text, from _runtime_text).
    Case(
        "criteria_1_1",
        package="criteria_flows_1_1",
        diagnostics=(
            ("specs/arazzo/pets.arazzo.yaml:26:36: warning[failing-criterion]: invalid JSONPath query (RFC 9535): "
            "expected '.', '..' or a bracketed selection, found '='; in an Arazzo 1.1 document a jsonpath condition "
            "that cannot be evaluated fails, so this criterion never holds"),
        ),
    ),
    # AsyncAPI steps of an Arazzo 1.1 document (issue 17): an AsyncAPI 3.0 source on MQTT (a send by operationId
    # with a header parameter, a receive by channelPath correlated by a payload member, with a timeout and
    # criteria on $message) and an AsyncAPI 2.6 source on AMQP (a receive by operationId correlated by a header,
    # a channel binding), between two HTTP steps: messaging clients, the subscriptions made before the first
    # step, the messaging runtime and the broker libraries as requirements.
    Case(
        "asyncapi_steps",
        package="shop_messages",
    ),
    # Control flow: a workflow-level retry from components (retryAfter, retryLimit), a retry that runs a step
    # first (resume), goto with criteria (a poll loop), end from components, an unconditional goto, an end on
    # failure; an output of a step that may not have succeeded (None, typed optional); a step reading such an
    # output (declared `T | None = None` before the loop).
    Case(
        "control_flow",
        package="job_control",
        diagnostics=(
            ("specs/arazzo/jobs.arazzo.yaml:145:56: warning[possibly-unset-step-output]: '$steps.create.outputs.id' "
            "is used by step 'use', which a goto, end or retry path reaches without step 'create' having succeeded; "
            "it is null (None) there"),
            ("specs/arazzo/jobs.arazzo.yaml:149:50: warning[possibly-unset-step-output]: '$steps.create.outputs.id' "
            "is used by step 'check', which a goto, end or retry path reaches without step 'create' having "
            "succeeded; it is null (None) there"),
        ),
    ),
]
CASE_IDS = [case.name for case in CASES]


# -- building ---------------------------------------------------------------------------------------------
@dataclass
class Build:
    files: dict[str, str]
    diagnostics: list[str]


_BUILDS: dict[str, Build] = {}


def build(case: Case) -> Build:
    """Build ``case`` (once per session) from inside its folder, so paths are relative."""
    if case.name not in _BUILDS:
        old = Path.cwd()
        os.chdir(case.folder)
        try:
            diagnostics = Diagnostics()
            options = PackageOptions(package=case.package, specs_label="specs/")
            files = compile_specs(Path("specs"), options, diagnostics)
            headlines = sorted(
                d.headline() for d in diagnostics.items
            )  # paths relative to the case
        finally:
            os.chdir(old)
        assert files is not None, "the build failed:\n" + "\n".join(headlines)
        _BUILDS[case.name] = Build(files, headlines)
    return _BUILDS[case.name]


@pytest.fixture(scope="session")
def built_package(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[Case], Path]]:
    """Write a case's build into a temporary folder (once) and return that folder."""
    written: dict[str, Path] = {}

    def get(case: Case) -> Path:
        if case.name not in written:
            out = tmp_path_factory.mktemp(f"golden-{case.name}") / "out"
            write_tree(out, build(case).files)
            written[case.name] = out
        return written[case.name]

    yield get


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "MYPYPATH")}
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, check=False, env=env)


# -- comparing --------------------------------------------------------------------------------------------
def _decoded(data: bytes | None) -> list[str]:
    return [] if data is None else data.decode("utf-8", errors="replace").splitlines(keepends=True)


def _report(name: str, expected: bytes | None, actual: bytes | None, limit: int = 200) -> str:
    diff = list(
        difflib.unified_diff(
            _decoded(expected), _decoded(actual), f"expected/{name}", f"build/{name}", n=2
        )
    )
    shown = "".join(diff[:limit])
    more = f"\n... {len(diff) - limit} more diff lines" if len(diff) > limit else ""
    return shown + more


def compare(case: Case, *, hint: str = "") -> None:
    """Fail with a summary (missing/extra/differing) and the diff of the first differing file."""
    if not case.expected.is_dir():
        pytest.fail(
            f"{case.expected} is missing; record it with: {UPDATE_ENV}=1 pytest tests/{Path(__file__).name}",
            pytrace=False,
        )
    expected = existing_tree(case.expected)
    actual = {name: text.encode("utf-8") for name, text in with_manifest(build(case).files).items()}
    names = sorted(set(expected) | set(actual))
    missing = [n for n in names if n not in actual]  # expected, but the build no longer makes it
    extra = [n for n in names if n not in expected]  # built, but not recorded
    differing = [n for n in names if n in actual and n in expected and actual[n] != expected[n]]
    if not (missing or extra or differing):
        return
    lines = [
        f"the build of {case.name} differs from {case.expected.relative_to(GOLDEN.parents[2])}:"
    ]
    lines += [f"  only in expected/: {n}" for n in missing]
    lines += [f"  only in the build: {n}" for n in extra]
    lines += [f"  differs:           {n}" for n in differing]
    first = (differing or extra or missing)[0]
    lines += ["", _report(first, expected.get(first), actual.get(first))]
    if hint:
        lines += ["", hint]
    pytest.fail("\n".join(lines), pytrace=False)


def update(case: Case) -> None:
    """Rewrite ``expected/`` from a fresh build."""
    shutil.rmtree(case.expected, ignore_errors=True)  # a record of the build, however it was edited by hand
    write_tree(case.expected, dict(build(case).files))


# -- tests ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_build_matches_expected_tree(case: Case) -> None:
    """Every file equals ``expected/``; no file is missing or extra."""
    if UPDATE:
        update(case)
        pytest.skip(f"{UPDATE_ENV} is set: rewrote {case.expected}")
    compare(case, hint=f"if the change is intended, regenerate with {UPDATE_ENV}=1 and review git diff")


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_build_reports_exactly_the_expected_diagnostics(case: Case) -> None:
    assert build(case).diagnostics == sorted(case.diagnostics)


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_built_package_passes_mypy_strict(
    case: Case, built_package: Callable[[Case], Path]
) -> None:
    out = built_package(case)
    result = _run(
        sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--cache-dir", os.devnull, case.package,
        cwd=out,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_built_package_passes_ruff(case: Case, built_package: Callable[[Case], Path]) -> None:
    out = built_package(case)
    result = _run(
        sys.executable, "-m", "ruff", "check", "--isolated", "--no-cache", case.package, cwd=out
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_built_package_imports(case: Case, built_package: Callable[[Case], Path]) -> None:
    """Every module imports in a fresh interpreter; every client constructs; ``__all__`` names exist."""
    out = built_package(case)
    modules = sorted(
        name.removesuffix(".py").removesuffix("/__init__").replace("/", ".")
        for name in build(case).files
        if name.endswith(".py")
    )
    script = "\n".join(
        [
            "import asyncio, importlib",
            f"modules = {modules!r}",
            "for name in modules:",
            "    module = importlib.import_module(name)",
            "    missing = [n for n in getattr(module, '__all__', []) if not hasattr(module, n)]",
            "    assert not missing, (name, missing)",
            "    if name.endswith('.client') and hasattr(module, 'BASE_URL_VARIABLE'):",
            "        module.Client('http://127.0.0.1:9').close()",
            "        asyncio.run(module.AsyncClient('http://127.0.0.1:9').close())",
            "    elif name.endswith('.client'):  # a messaging client: over the in-memory broker",
            "        broker = importlib.import_module(name.split('.')[0] + '._runtime_messages').MemoryBroker()",
            "        module.Client(transport=broker.transport()).close()",
            "        asyncio.run(module.AsyncClient(transport=broker.async_transport()).close())",
            "print(len(modules))",
        ]
    )
    result = _run(sys.executable, "-c", script, cwd=out)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(len(modules))
