"""A fixed, time-bounded sample of the acceptance corpus (``../shared/corpus``) through ``tools/corpus.py``:
no internal error, no hang, every built package compiles and imports; the sample covers Swagger 2.0 and
OpenAPI 3.0, 3.1 and 3.2 sources, a ``_url_map.tsv`` rewrite, the provider folders' ``openapi/_original/``
fallback, and documents that must be diagnosed.  The full run is ``python tools/corpus.py`` (README).

About 30 s on an idle 2-core machine (2 workers, a fresh build cache); skipped without ``../shared``.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"

pytestmark = pytest.mark.skipif(not (CORPUS / "INDEX.tsv").is_file(), reason="../shared/corpus is not there")

# document -> the result and the rule ids of its errors (a built document has none)
SAMPLE = {
    "_itarazzo-client/src/test/resources/pet-store-oai-gpt.arazzo.yaml": ("built", []),  # _url_map.tsv, 3.0
    "_oai/tests/v1.0/pass/oauth-example.yaml": ("built", []),  # 3.1
    "microsoft-quantum/arazzo/microsoft-quantum-session-lifecycle-workflow.yml": ("built", []),  # 2.0, _original
    "indykite/arazzo/indykite-capture-and-authorize.yml": ("built", []),  # 3.2
    "amadeus/arazzo/amadeus-city-points-of-interest-workflow.yml": ("built", []),  # 2.0
    "_redocly-museum/arazzo/museum-tickets.arazzo.yaml": ("built", []),
    "_leidenheit-arazzo/application-integration-test/src/test/resources/another-arazzo.yaml": ("built", []),
    # a Content-Type header parameter next to a request body once made a package that did not compile
    "amazon-s3/arazzo/amazon-s3-delete-object-workflow.yml": ("built", []),
    "github/arazzo/github-fork-gist-and-comment-workflow.yml": ("diagnosed", ["unresolved-source"]),
    "backblaze/arazzo/_index.yml": ("diagnosed", ["no-workflows"]),
    "_apidays-bnpl/specs/bnpl.arazzo.yaml": ("diagnosed", ["no-workflows"]),  # an empty file
}


def load_tool() -> ModuleType:
    """``tools/corpus.py`` as a module (registered, so the worker processes it forks can unpickle its jobs)."""
    spec = importlib.util.spec_from_file_location("corpus_tool", ROOT / "tools" / "corpus.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["corpus_tool"] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def tool() -> ModuleType:
    return load_tool()


@pytest.mark.timeout(600)
def test_the_sample_builds_imports_or_is_diagnosed(tool: ModuleType, tmp_path: Path) -> None:
    docs = [d for d in tool.documents(CORPUS) if d.name in SAMPLE]
    assert sorted(d.name for d in docs) == sorted(SAMPLE)
    results = tool.run_corpus(CORPUS, docs, workers=2, timeout=240, mypy_every=0, work=tmp_path)
    problems = [f"{r.document}: {r.result}\n{r.detail}" for r in results if r.result not in ("built", "diagnosed")]
    assert problems == []
    got = {r.document: (r.result, sorted(set(r.errors))) for r in results}
    assert got == SAMPLE
    built = [r for r in results if r.result == "built"]
    families = {family for r in built for family in tool.version_families(r.versions)}
    assert {"Swagger 2.0", "OpenAPI 3.0", "OpenAPI 3.1", "OpenAPI 3.2"} <= families


def test_the_unresolved_source_names_the_rewrites_tried(tool: ModuleType, tmp_path: Path) -> None:
    docs = [d for d in tool.documents(CORPUS) if d.name == "github/arazzo/github-fork-gist-and-comment-workflow.yml"]
    (result,) = tool.run_corpus(CORPUS, docs, workers=1, timeout=240, mypy_every=0, work=tmp_path)
    messages = [f"{d['file']}:{d['line']}:{d['column']}: {d['rule']}: {d['message']}" for d in result.diagnostics]
    assert messages == [
        ("github/arazzo/github-fork-gist-and-comment-workflow.yml:14:8: unresolved-source: source url "
        "'../openapi/github-gists-openapi.yml' does not resolve: no file at any rewrite of it: "
        "github/openapi/github-gists-openapi.yml (prefix '../openapi/'), "
        "github/openapi/_original/github-gists-openapi.yml (prefix '../openapi/')")
    ]


def test_folder_configuration_is_the_url_map_and_the_original_fallback(tool: ModuleType) -> None:
    provider = tool.folder_config(CORPUS, "github")
    base = (CORPUS / "github").resolve()
    assert provider.splitlines()[3:6] == [
        "[[tool.arazzo-gen.sources.rewrite]]",
        'prefix = "../openapi/"',
        f'to = ["{base}/openapi/", "{base}/openapi/_original/"]',
    ]
    fixtures = tool.folder_config(CORPUS, "_apidays-bnpl")
    assert "../openapi/" not in fixtures
    assert fixtures.splitlines()[3:6] == [
        "[[tool.arazzo-gen.sources.rewrite]]",
        'prefix = "/itarazzo/specs/"',
        f'to = ["{(CORPUS / "_apidays-bnpl").resolve()}/specs/"]',
    ]


def test_report_rendering(tool: ModuleType) -> None:
    Result = tool.Result
    results = [
        Result("a/x.yml", "a", "openapi 3.0.3", "built"),
        Result("a/y.yml", "a", "swagger 2.0, openapi 3.1.0", "diagnosed", errors=["unknown-operation"] * 2),
        Result("b/z.yml", "b", "", "crashed", detail="Traceback ...\nKeyError: 'x'"),
    ]
    report = tool.render_report(results, tool.HAND_CHECKED_PLACEHOLDER, 60.0, "python tools/corpus.py")
    assert "| built (built, compiles and every module imports) | 1 |" in report
    assert "| crashed (internal error of arazzo-gen) | 1 |" in report
    assert "| a | 2 | 1 | 0 | 0 | 1 | 0 | 0 |" in report
    assert "| OpenAPI 3.1 | 1 | 0 | 0 | 0 | 1 | 0 | 0 |" in report
    assert "| none / unknown | 1 | 0 | 0 | 0 | 0 | 1 | 0 |" in report
    assert "| `unknown-operation` | 1 | 2 |" in report
    assert "### crashed: `b/z.yml`" in report and "KeyError: 'x'" in report
    assert "| a/y.yml | diagnosed | `unknown-operation` |  |" in report
    assert (
        "those whose sources resolve (no `unresolved-source`, `outside-root` or `invalid-source-type` error): 3; "
        in report
    )


def test_a_build_past_its_timeout_counts_as_hung(tool: ModuleType, tmp_path: Path) -> None:
    docs = [d for d in tool.documents(CORPUS) if d.name == "amazon-s3/arazzo/amazon-s3-delete-object-workflow.yml"]
    (result,) = tool.run_corpus(CORPUS, docs, workers=1, timeout=0.2, mypy_every=0, work=tmp_path)
    assert (result.result, result.detail) == ("hung", "no result after 0.2s")
