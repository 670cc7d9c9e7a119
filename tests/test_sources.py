"""Source url rewrites (issue 7): ``[[tool.arazzo-gen.sources.rewrite]]`` maps a url prefix to local paths,
tried in order with fallbacks, confined to the specs root; ``--config FILE``; the build cache key.

Every test lays out ``tmp_path/pyproject.toml`` (or another TOML file), ``tmp_path/specs/arazzo/pets.arazzo.yml``
and the API description somewhere under ``tmp_path``, and runs the command line from ``tmp_path``.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from arazzo_gen.cache import Cache
from arazzo_gen.cli import EXIT_ERRORS, EXIT_OK, EXIT_USAGE, app
from arazzo_gen.config import ConfigError, PackageOptions, load_settings
from arazzo_gen.diagnostics import Diagnostics
from arazzo_gen.pipeline import compile_specs
from arazzo_gen.resolve.sources import Rewrite, Rewrites

WORKFLOW = "specs/arazzo/pets.arazzo.yml"
REMOTE = "https://example.com/apis/pets.yml"


def flow(url: str) -> str:
    return f"""\
arazzo: 1.0.1
info:
  title: Pets
  version: 1.0.0
sourceDescriptions:
  - name: petsApi
    url: {url}
    type: openapi
workflows:
  - workflowId: show-pet
    inputs:
      type: object
      required: [petId]
      properties:
        petId:
          type: string
    steps:
      - stepId: fetch
        operationId: getPet
        parameters:
          - name: petId
            in: path
            value: $inputs.petId
        successCriteria:
          - condition: $statusCode == 200
        outputs:
          name: $response.body#/name
    outputs:
      name: $steps.fetch.outputs.name
"""


def api(operation_id: str = "getPet", title: str = "Pets") -> str:
    return f"""\
openapi: 3.0.3
info:
  title: {title}
  version: 1.0.0
servers:
  - url: https://pets.example.com
paths:
  /pets/{{petId}}:
    get:
      operationId: {operation_id}
      parameters:
        - name: petId
          in: path
          required: true
          schema:
            type: string
      responses:
        "200":
          description: the pet
          content:
            application/json:
              schema:
                type: object
                properties:
                  name:
                    type: string
"""


def config(*rewrites: tuple[str, str | list[str]], package: str = "pets_client") -> str:
    text = f'[tool.arazzo-gen]\npackage = "{package}"\n'
    for prefix, to in rewrites:
        shown = f'"{to}"' if isinstance(to, str) else "[" + ", ".join(f'"{t}"' for t in to) + "]"
        text += f'\n[[tool.arazzo-gen.sources.rewrite]]\nprefix = "{prefix}"\nto = {shown}\n'
    return text


def lay_out(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(textwrap.dedent(text), encoding="utf-8")


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)

    def make(files: dict[str, str]) -> Path:
        lay_out(tmp_path, files)
        return tmp_path

    return make


def run(*args: str):
    result = CliRunner().invoke(app, list(args))
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


def headlines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if "]: " in line and not line.startswith(" ")]


# -- rewriting ---------------------------------------------------------------------------------------------
def test_a_remote_url_is_read_from_its_rewrite(project) -> None:
    root = project({
        "pyproject.toml": config(("https://example.com/apis/", "specs/vendor/")),
        WORKFLOW: flow(REMOTE),
        "specs/vendor/pets.yml": api(),
    })  # fmt: skip
    result = run("build", "specs", "-o", "out", "--no-cache")
    assert result.exit_code == EXIT_OK, result.stderr
    assert headlines(result.stderr) == []
    assert "def get_pet(" in (root / "out" / "pets_client" / "apis" / "pets" / "client.py").read_text()


def test_a_prefix_naming_a_whole_url_maps_it_to_one_file(project) -> None:
    project({
        "pyproject.toml": config((REMOTE, "specs/pet-store.openapi.yml")),
        WORKFLOW: flow(REMOTE),
        "specs/pet-store.openapi.yml": api(),
    })  # fmt: skip
    assert run("check", "specs").exit_code == EXIT_OK


@pytest.mark.parametrize(("present", "chosen_title"), [(["openapi", "openapi/_original"], "First"),
                                                         (["openapi/_original"], "Second")])  # fmt: skip
def test_the_first_existing_candidate_wins(project, present: list[str], chosen_title: str) -> None:
    """The provider layout: ``../openapi/x.yml`` kept as ``openapi/_original/x.yml`` is configuration."""
    files = {
        "pyproject.toml": config(("../openapi/", ["specs/openapi/", "specs/openapi/_original/"])),
        WORKFLOW: flow("../openapi/pets.yml"),
    }
    titles = {"openapi": "First", "openapi/_original": "Second"}
    for folder in present:
        files[f"specs/{folder}/pets.yml"] = api(title=titles[folder])
    root = project(files)
    assert run("build", "specs", "-o", "out", "--no-cache").exit_code == EXIT_OK
    assert f"HTTP clients for {chosen_title}." in (root / "out" / "pets_client" / "apis" / "pets" / "client.py").read_text()


def test_every_matching_entry_is_tried_in_order(project) -> None:
    project({
        "pyproject.toml": config(("https://example.com/apis/", "specs/vendor/"),
                                 ("https://example.com/", "specs/mirror/")),
        WORKFLOW: flow(REMOTE),
        "specs/mirror/apis/pets.yml": api(),
    })  # fmt: skip
    assert run("check", "specs").exit_code == EXIT_OK


def test_an_unresolved_source_names_every_rewrite_tried(project) -> None:
    project({
        "pyproject.toml": config(("https://example.com/apis/", ["specs/vendor/", "specs/vendor/_original/"]),
                                 ("https://example.com/", "specs/mirror/")),
        WORKFLOW: flow(REMOTE),
    })  # fmt: skip
    result = run("check", "specs")
    assert result.exit_code == EXIT_ERRORS
    assert headlines(result.stderr) == [
        (f"{WORKFLOW}:7:10: error[unresolved-source]: source url '{REMOTE}' does not resolve: no file at any "
        "rewrite of it: specs/vendor/pets.yml (prefix 'https://example.com/apis/'), specs/vendor/_original/pets.yml "
        "(prefix 'https://example.com/apis/'), specs/mirror/apis/pets.yml (prefix 'https://example.com/')")
    ]


def test_a_remote_url_no_rewrite_matches_says_so(project) -> None:
    project({
        "pyproject.toml": config(("https://other.example.com/", "specs/vendor/")),
        WORKFLOW: flow(REMOTE),
    })  # fmt: skip
    result = run("check", "specs")
    assert headlines(result.stderr) == [
        (f"{WORKFLOW}:7:10: error[unresolved-source]: source url '{REMOTE}' is remote and not pinned in "
        "arazzo-gen.lock; build with --fetch to download and pin it "
        "(no [[tool.arazzo-gen.sources.rewrite]] prefix matches it)")
    ]


def test_a_remote_url_without_rewrites_suggests_one(project) -> None:
    project({WORKFLOW: flow(REMOTE)})
    result = run("check", "specs")
    assert headlines(result.stderr) == [
        (f"{WORKFLOW}:7:10: error[unresolved-source]: source url '{REMOTE}' is remote and not pinned in "
        "arazzo-gen.lock; build with --fetch to download and pin it; "
        "or map its prefix to a local folder with [[tool.arazzo-gen.sources.rewrite]]")
    ]


def test_a_type_arazzo_source_is_rewritten_too(project) -> None:
    other = flow("../openapi/pets.yml").replace("show-pet", "other-pet")
    main = flow("../openapi/pets.yml").replace(
        "    type: openapi\n",
        "    type: openapi\n  - name: shared\n    url: https://example.com/flows/other.arazzo.yml\n    type: arazzo\n",
    )
    project({
        "pyproject.toml": config(("https://example.com/flows/", "specs/shared/")),
        WORKFLOW: main,
        "specs/shared/other.arazzo.yml": other.replace("../openapi/", "../openapi/"),
        "specs/openapi/pets.yml": api(),
    })  # fmt: skip
    result = run("check", "specs")
    assert result.exit_code == EXIT_OK, result.stderr


# -- confinement -------------------------------------------------------------------------------------------
ESCAPE = (
    f"{WORKFLOW}:7:10: error[outside-root]: source url '{REMOTE}' (rewritten by the prefix "
    "'https://example.com/apis/' to {shown}) leads outside the specs root (specs); it is not read - move the "
    "file inside the root, or widen the root with --root DIR"
)


@pytest.mark.parametrize(("to", "shown"), [("outside/", "outside/pets.yml"),
                                           ("specs/../outside/", "outside/pets.yml")])  # fmt: skip
def test_a_rewrite_cannot_leave_the_root(project, to: str, shown: str) -> None:
    project({
        "pyproject.toml": config(("https://example.com/apis/", to)),
        WORKFLOW: flow(REMOTE),
        "outside/pets.yml": api(),
    })  # fmt: skip
    result = run("build", "specs", "-o", "out", "--no-cache")
    assert result.exit_code == EXIT_ERRORS
    assert headlines(result.stderr) == [ESCAPE.format(shown=shown)]
    # allowing the folder with --root makes it readable
    assert run("build", "specs", "-o", "out", "--no-cache", "--root", "outside").exit_code == EXIT_OK


def test_an_absolute_rewrite_is_confined_too(project, tmp_path: Path) -> None:
    project({
        "pyproject.toml": config(("https://example.com/apis/", f"{tmp_path / 'outside'}/")),
        WORKFLOW: flow(REMOTE),
        "outside/pets.yml": api(),
    })  # fmt: skip
    result = run("check", "specs")
    assert headlines(result.stderr) == [ESCAPE.format(shown="outside/pets.yml")]


def test_a_fallback_outside_the_root_is_an_error_not_skipped(project) -> None:
    """A candidate outside the root is a configuration mistake: reported even when a later one exists."""
    project({
        "pyproject.toml": config(("https://example.com/apis/", ["outside/", "specs/vendor/"])),
        WORKFLOW: flow(REMOTE),
        "specs/vendor/pets.yml": api(),
    })  # fmt: skip
    result = run("check", "specs")
    assert headlines(result.stderr) == [ESCAPE.format(shown="outside/pets.yml")]


def test_a_symlinked_candidate_leaving_the_root_is_not_read(project, tmp_path: Path) -> None:
    project({
        "pyproject.toml": config(("https://example.com/apis/", "specs/vendor/")),
        WORKFLOW: flow(REMOTE),
        "outside/pets.yml": api(),
    })  # fmt: skip
    (tmp_path / "specs" / "vendor").symlink_to(tmp_path / "outside", target_is_directory=True)
    result = run("check", "specs")
    assert headlines(result.stderr)[:1] == [ESCAPE.format(shown="specs/vendor/pets.yml")]


# -- configuration -----------------------------------------------------------------------------------------
def test_config_option_reads_another_toml_file_relative_to_itself(project) -> None:
    """``--config FILE``: its ``[tool.arazzo-gen]`` table is used, and rewrites are relative to FILE."""
    root = project({
        "pyproject.toml": config(package="ignored_pkg"),
        "conf/corpus.toml": config(("https://example.com/apis/", "../specs/vendor/"), package="from_config"),
        WORKFLOW: flow(REMOTE),
        "specs/vendor/pets.yml": api(),
    })  # fmt: skip
    assert run("check", "specs").exit_code == EXIT_ERRORS  # pyproject.toml has no rewrite
    assert run("check", "specs", "--config", "conf/corpus.toml").exit_code == EXIT_OK
    result = run("build", "specs", "-o", "out", "--no-cache", "--config", "conf/corpus.toml")
    assert result.exit_code == EXIT_OK, result.stderr
    assert (root / "out" / "from_config" / "__init__.py").is_file()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[tool.other]\nx = 1\n', "--config names a file without a [tool.arazzo-gen] table"),
        ('[tool.arazzo-gen.sources]\nrewrite = 3\n', "[[tool.arazzo-gen.sources.rewrite]] must be an array of tables"),
        ('[tool.arazzo-gen.sources]\nmirror = "x"\n', "[tool.arazzo-gen.sources] has unknown key(s) mirror"),
        ('[[tool.arazzo-gen.sources.rewrite]]\nto = "x/"\n',
         "[[tool.arazzo-gen.sources.rewrite]] entry 1: 'prefix' must be a non-empty string"),
        ('[[tool.arazzo-gen.sources.rewrite]]\nprefix = "a"\nto = []\n',
         "[[tool.arazzo-gen.sources.rewrite]] entry 1: 'to' must be a path or a non-empty list of paths"),
        ('[[tool.arazzo-gen.sources.rewrite]]\nprefix = "a"\nto = "x/"\nfrom = "y"\n',
         "[[tool.arazzo-gen.sources.rewrite]] entry 1 has unknown key(s) from; it takes 'prefix' and 'to'"),
        ('[[tool.arazzo-gen.sources.rewrite]]\nprefix = "a"\nto = "https://mirror.example.com/"\n',
         ("[[tool.arazzo-gen.sources.rewrite]] entry 1: 'to' = 'https://mirror.example.com/' must be a local path "
         "(relative to bad.toml)")),
    ],
)  # fmt: skip
def test_config_mistakes_are_usage_errors(project, text: str, message: str) -> None:
    project({"bad.toml": text, WORKFLOW: flow(REMOTE)})
    result = run("check", "specs", "--config", "bad.toml")
    assert result.exit_code == EXIT_USAGE
    assert result.stderr == f"error: bad.toml: {message}\n"


def test_config_option_must_name_a_file(project) -> None:
    project({WORKFLOW: flow(REMOTE)})
    result = run("build", "specs", "-o", "out", "--config", "missing.toml")
    assert result.exit_code == EXIT_USAGE
    assert result.stderr == "error: --config missing.toml is not a file\n"


def test_rewrites_are_read_relative_to_the_config_file(tmp_path: Path) -> None:
    lay_out(tmp_path, {"a/pyproject.toml": config(("x:", ["v/", "/abs/"]))})
    settings = load_settings(tmp_path, tmp_path / "a" / "pyproject.toml")
    entry = settings.rewrites.entries[0]
    assert entry.candidates("x:y.yml#/frag") == [tmp_path / "a" / "v" / "y.yml", Path("/abs/y.yml")]
    with pytest.raises(ConfigError):
        load_settings(tmp_path, tmp_path / "missing.toml")


# -- the build cache ---------------------------------------------------------------------------------------
def _compile(specs: Path, cache: Cache, rewrites: Rewrites, rules: dict[str, str] | None = None):
    diagnostics = Diagnostics(rules=rules or {})
    files = compile_specs(specs, PackageOptions(package="cached_rw"), diagnostics, None, cache, rewrites)
    return files, [d.headline() for d in diagnostics.sorted()]


def test_changing_a_rewrite_rebuilds(tmp_path: Path) -> None:
    lay_out(tmp_path, {
        WORKFLOW: flow(REMOTE),
        "specs/one/pets.yml": api(title="One"),
        "specs/two/pets.yml": api(title="Two"),
    })  # fmt: skip
    cache = Cache(tmp_path / "cache")
    specs = tmp_path / "specs"

    def rewrites(to: str) -> Rewrites:
        return Rewrites((Rewrite("https://example.com/apis/", (to,), tmp_path),))

    first, _ = _compile(specs, cache, rewrites("specs/one/"))
    second, _ = _compile(specs, cache, rewrites("specs/two/"))
    assert first is not None and second is not None
    assert "HTTP clients for One." in first["cached_rw/apis/pets/client.py"]
    assert "HTTP clients for Two." in second["cached_rw/apis/pets/client.py"]
    third, _ = _compile(specs, cache, rewrites("specs/one/"))
    assert third == first


def test_a_fallback_candidate_that_appears_rebuilds(tmp_path: Path) -> None:
    """A build that read the second candidate depends on the first one's absence."""
    lay_out(tmp_path, {WORKFLOW: flow(REMOTE), "specs/two/pets.yml": api(title="Two")})
    cache = Cache(tmp_path / "cache")
    rewrites = Rewrites((Rewrite("https://example.com/apis/", ("specs/one/", "specs/two/"), tmp_path),))
    first, _ = _compile(tmp_path / "specs", cache, rewrites)
    assert first is not None and "HTTP clients for Two." in first["cached_rw/apis/pets/client.py"]
    lay_out(tmp_path, {"specs/one/pets.yml": api(title="One")})
    second, _ = _compile(tmp_path / "specs", cache, rewrites)
    assert second is not None and "HTTP clients for One." in second["cached_rw/apis/pets/client.py"]


def test_changing_rule_levels_rebuilds(tmp_path: Path) -> None:
    """``[tool.arazzo-gen.rules]`` decides whether a warning fails the build: part of the cache key."""
    lay_out(tmp_path, {WORKFLOW: flow("../openapi/pets.yml"),
                       "specs/openapi/pets.yml": api().replace("      operationId: getPet\n", "")})  # fmt: skip
    workflow = (tmp_path / WORKFLOW).read_text().replace("operationId: getPet", "operationPath: '{$sourceDescriptions.petsApi.url}#/paths/~1pets~1{petId}/get'")
    (tmp_path / WORKFLOW).write_text(workflow)
    cache = Cache(tmp_path / "cache")
    files, warnings = _compile(tmp_path / "specs", cache, Rewrites())
    assert files is not None and any("[missing-operation-id]" in w for w in warnings), warnings
    files, errors = _compile(tmp_path / "specs", cache, Rewrites(), {"missing-operation-id": "error"})
    assert files is None and any("error[missing-operation-id]" in e for e in errors), errors
