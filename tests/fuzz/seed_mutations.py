"""Structural mutation fuzzing over the real seeds: the seed workflows and the public API descriptions they use.

Where :mod:`tests.fuzz.strategies` writes documents from scratch, this starts from the documents in
``../shared/specs`` (read in place, never copied into the repository) and breaks their structure: each case
takes one seed workflow with the API descriptions its ``sourceDescriptions`` name, applies a few mutations and
builds the result in-process through :func:`tests.fuzz.harness.check_case`, which checks the build property
(exit 1 with located diagnostics, or exit 0 with a package that compiles and imports; never exit 2/3, a
traceback or a hang).

The mutations, each at a node chosen by first drawing a depth, then a node at that depth (so the skeleton of a
100 KB description is hit as often as its schemas):

- *retype*: the value becomes one of another YAML type: a mapping, a list, an integer (also 2**64), a float,
  a boolean, null, a huge string, a string with NUL or control characters, a 3,000-character file name, a path
  longer than PATH_MAX;
- *graft*: the value becomes a copy of a subtree from anywhere in the case's documents;
- *rename* / *delete* / *add*: a mapping key is renamed (to a key the seeds use, or a hostile one), deleted,
  or added with a grafted or hostile value;
- *duplicate* / *drop*: a list item is duplicated or removed;
- *string*: a string is edited into a reference-like hazard (NUL, ``../`` runs, long names, JSON Pointers,
  runtime expressions);
- *swap*: a value becomes another found under the same key elsewhere (an operationId, an ``in``, a condition, a
  ``$ref``), or a ``$ref`` points to any node of its document (a path item, a parameter, a list).

Every case is deterministic: case ``i`` of seed ``s`` uses ``random.Random(f"{s}:{i}")``, so a failure is
reproduced by its numbers alone::

    .venv/bin/python -m tests.fuzz.seed_mutations --seed 0 --start 1234 --cases 1 --save /tmp/case

Long runs (single process; one JSON line per case with ``--log``)::

    .venv/bin/python -m tests.fuzz.seed_mutations --seconds 1800 --log /tmp/seed-fuzz.jsonl

``tests/fuzz/test_seed_mutations.py`` runs a bounded slice of it in CI.
"""

from __future__ import annotations

import argparse
import copy
import json
import random
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from .harness import Failure, check_case
from .strategies import FuzzCase

SHARED_SPECS = Path(__file__).resolve().parents[2].parent / "shared" / "specs"

# Values of every YAML type, and strings that are hazards wherever a path, a name or an expression is read.
LONG_NAME = "n" * 3000
HOSTILE_STRINGS = [
    "", " ", "a\x00b", "\x00", "x\x1b[31m\u202e\u2028y", "line\nbreak", "\ufeffbom", "x" * 20_000,
    LONG_NAME, LONG_NAME + ".yaml", "./" + LONG_NAME + ".json#/a", "d/" * 2100 + "x.yaml", "../" * 1500 + "x",
    "../../../../etc/passwd", "/etc/passwd", "file:///etc/passwd", "file://host/x.yaml", "http://127.0.0.1:9/x.yaml",
    "%00.yaml", "a%2F..%2F..%2Fx", "#", "#/", "#/components/schemas/" + LONG_NAME, "#/" + "a/" * 500, "#/paths/~1x/get",
    "x.yaml#/a\x00", "$inputs.", "$steps.", "$steps.s.outputs.", "$response.body#/", "$request.header.",
    "$sourceDescriptions.", "$sourceDescriptions.x.y", "{$inputs.a}", "{$", "$statusCode == ", "$url",
    "$components.parameters." + LONG_NAME, "apiKey", "header", "query", "cookie", "path", "body", "formData",
    "object", "array", "string", "integer", "2.0", "3.1.0", "1.0.1", "9.9",
]  # fmt: skip
HOSTILE_KEYS = [
    "", "$ref", "a\x00b", LONG_NAME, "x-ext", "__init__", "class", "in", "name", "type", "schema", "items", "allOf",
    "properties", "required", "parameters", "servers", "schemes", "swagger", "openapi", "arazzo",
    "securitySchemes", "securityDefinitions", "x-ms-parameterized-host", "\u202e", "200", "default", "/x/{id}",
]  # fmt: skip


def hostile_value(rng: random.Random) -> Any:
    """One value of a random YAML type."""
    kind = rng.randrange(10)
    if kind == 0:
        return rng.choice([{}, {"a": 1}, {"$ref": "#/nope"}, {"$ref": LONG_NAME}, {"name": {"x": 1}, "in": []}])
    if kind == 1:
        return rng.choice([[], [None], ["x", {"y": []}], [[[]]], [1, "a", 2.5, True]])
    if kind == 2:
        return rng.choice([0, -1, 1, 7, 2**64, -(2**63), 10**400])
    if kind == 3:
        return rng.choice([0.5, -0.0, 1e308, 3.0])
    if kind == 4:
        return rng.choice([True, False])
    if kind == 5:
        return None
    return rng.choice(HOSTILE_STRINGS)


def _hostile_edit(rng: random.Random, text: str) -> str:
    return rng.choice([
        text + "\x00", "\x00" + text, text + LONG_NAME, "../" * rng.randint(1, 2000) + text, text + "#/" + LONG_NAME,
        text.replace("/", "/" + LONG_NAME + "/", 1), text + "\u202e\x1b", text[: len(text) // 2], text * 50,
        "{" + text + "}", "$" + text, text + "#", text.upper(),
    ])  # fmt: skip


# -- the seeds -------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Seed:
    """One seed workflow and the API descriptions it names, as data keyed by their path under SPECS."""

    workflow: str
    documents: dict[str, Any]


def _parse(path: Path) -> Any:
    text = path.read_text("utf-8")
    return json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)


def load_seeds(specs: Path = SHARED_SPECS) -> list[Seed]:
    """Every ``arazzo/*.yml`` under ``specs`` with the local files its sourceDescriptions name."""
    seeds = []
    for path in sorted((specs / "arazzo").glob("*.y*ml")):
        workflow = path.relative_to(specs).as_posix()
        documents = {workflow: _parse(path)}
        for source in documents[workflow].get("sourceDescriptions") or []:
            url = source.get("url", "") if isinstance(source, dict) else ""
            target = (PurePosixPath(workflow).parent / url).as_posix()
            parts: list[str] = []
            for part in target.split("/"):
                if part == "..":
                    parts.pop()
                elif part != ".":
                    parts.append(part)
            relative = "/".join(parts)
            if (specs / relative).is_file() and relative not in documents:
                documents[relative] = _parse(specs / relative)
        seeds.append(Seed(workflow, documents))
    return seeds


# -- mutations -------------------------------------------------------------------------------------------------
def _nodes(value: Any, pointer: str = "", depth: int = 0) -> Iterator[tuple[Any, Any, str, int]]:
    """(container, key, pointer, depth) of every node below ``value``."""
    items: Any = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, child in items:
        here = f"{pointer}/{key}"
        yield value, key, here, depth + 1
        yield from _nodes(child, here, depth + 1)


def _pick(rng: random.Random, root: Any) -> tuple[Any, Any, str] | None:
    """A node of ``root``: first a depth, then a node at that depth."""
    by_depth: dict[int, list[tuple[Any, Any, str]]] = {}
    for container, key, pointer, depth in _nodes(root):
        by_depth.setdefault(depth, []).append((container, key, pointer))
    if not by_depth:
        return None
    return rng.choice(by_depth[rng.choice(sorted(by_depth))])


def _subtree(rng: random.Random, documents: dict[str, Any]) -> Any:
    picked = _pick(rng, documents[rng.choice(sorted(documents))])
    return copy.deepcopy(picked[0][picked[1]]) if picked else {}


def _swapped(rng: random.Random, documents: dict[str, Any], name: str, key: str, value: Any) -> Any:
    """Another value found under the same key anywhere in the documents (an operationId, a ``$ref``, an ``in``,
    a condition, ...), or a JSON Pointer to any node of the same document for a ``$ref``."""
    if key == "$ref" and rng.random() < 0.5:
        picked = _pick(rng, documents[name])
        if picked is not None:
            tokens = picked[2].split("/")[1:]
            return "#/" + "/".join(t.replace("~", "~0").replace("/", "~1") for t in tokens)
    found = [
        container[k] for root in documents.values() for container, k, _, _ in _nodes(root)
        if k == key and container[k] != value
    ]  # fmt: skip
    return copy.deepcopy(rng.choice(found)) if found else hostile_value(rng)


def _seed_keys(documents: dict[str, Any]) -> list[str]:
    keys = {str(key) for root in documents.values() for container, key, _, _ in _nodes(root) if isinstance(container, dict)}
    return sorted(keys)


def mutate(rng: random.Random, documents: dict[str, Any]) -> list[str]:
    """Apply one mutation to ``documents`` (in place); a short description of it."""
    name = rng.choice(sorted(documents)) if rng.random() < 0.5 else next(iter(documents))
    picked = _pick(rng, documents[name])
    if picked is None:
        return []
    container, key, pointer = picked
    value = container[key]
    where = f"{name}#{pointer[:120]}"
    op = rng.choice(["retype", "retype", "graft", "string", "swap", "swap", "rename", "delete", "add", "duplicate"])
    if op == "swap" and isinstance(key, str):
        container[key] = _swapped(rng, documents, name, key, value)
    elif op == "string" and isinstance(value, str):
        container[key] = _hostile_edit(rng, value)
    elif op in ("retype", "string"):
        container[key] = hostile_value(rng)
    elif op == "graft":
        container[key] = _subtree(rng, documents)
    elif op == "rename" and isinstance(container, dict):
        new = rng.choice(HOSTILE_KEYS) if rng.random() < 0.4 else rng.choice(_seed_keys(documents))
        items = [(new if k == key else k, v) for k, v in container.items()]
        container.clear()
        container.update(items)
        return [f"rename {where} -> {new[:40]!r}"]
    elif op == "delete":
        del container[key]
    elif op == "add" and isinstance(value, dict):
        new = rng.choice(HOSTILE_KEYS) if rng.random() < 0.4 else rng.choice(_seed_keys(documents))
        value[new] = _subtree(rng, documents) if rng.random() < 0.5 else hostile_value(rng)
        return [f"add {where}/{new[:40]!r}"]
    elif op == "duplicate" and isinstance(container, list):
        container.insert(key, copy.deepcopy(value))
    else:
        container[key] = hostile_value(rng)
        op = "retype"
    return [f"{op} {where}"]


def serialise(relative: str, data: Any) -> bytes:
    if relative.endswith(".json"):
        return json.dumps(data, ensure_ascii=False, indent=1).encode("utf-8")
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=120).encode("utf-8")


@dataclass(frozen=True)
class Mutated:
    """One case: the mutated files, what was done to them, and whether it is built with ``--keep-going`` (which
    emits the sound workflows of a document whose other parts have errors)."""

    case: FuzzCase
    done: list[str]
    keep_going: bool


def make_case(seeds: list[Seed], seed: int, index: int) -> Mutated:
    """Case ``index`` of the run ``seed``."""
    rng = random.Random(f"{seed}:{index}")
    chosen = rng.choice(seeds)
    documents = copy.deepcopy(chosen.documents)
    done: list[str] = []
    workflows = documents[chosen.workflow].get("workflows")
    if isinstance(workflows, list) and workflows and isinstance(workflows[0], dict) and rng.random() < 0.3:
        twin = copy.deepcopy(workflows[0])
        twin["workflowId"] = f"{twin.get('workflowId')}Twin"
        workflows.append(twin)  # a second workflow: a mutation may break one and leave the other sound
        done.append("twin workflows/0")
    for _ in range(rng.choice([1, 1, 2, 2, 3, 5])):
        done.extend(mutate(rng, documents))
    files = {relative: serialise(relative, data) for relative, data in documents.items()}
    return Mutated(FuzzCase(files, [], mutated=True), done, keep_going=rng.random() < 0.3)


# -- running ---------------------------------------------------------------------------------------------------
@dataclass
class Report:
    cases: int = 0
    seconds: float = 0.0
    exits: Counter[str] | None = None
    failures: dict[str, tuple[int, str]] | None = None  # signature -> (first case index, detail)

    def summary(self) -> str:
        exits = ", ".join(f"exit {code}: {n}" for code, n in sorted((self.exits or Counter()).items()))
        lines = [f"{self.cases} cases in {self.seconds:.0f}s ({exits}); {len(self.failures or {})} failure signature(s)"]
        for signature, (index, _) in sorted((self.failures or {}).items(), key=lambda item: item[1][0]):
            lines.append(f"  case {index}: {signature}")
        return "\n".join(lines)


def run(
    seed: int = 0,
    start: int = 0,
    cases: int | None = None,
    seconds: float | None = None,
    log: Path | None = None,
    save: Path | None = None,
    specs: Path = SHARED_SPECS,
) -> Report:
    """Build mutated seed cases ``start, start+1, ...`` until ``cases`` ran or ``seconds`` passed."""
    seeds = load_seeds(specs)
    report = Report(exits=Counter(), failures={})
    assert report.exits is not None and report.failures is not None
    began = time.monotonic()
    index = start
    while (cases is None or report.cases < cases) and (seconds is None or time.monotonic() - began < seconds):
        mutated = make_case(seeds, seed, index)
        case, done = mutated.case, mutated.done
        codes: list[int | None] = []
        case_began = time.monotonic()
        failures: list[Failure] = check_case(case, codes, keep_going=mutated.keep_going)
        report.cases += 1
        report.exits[str(codes[-1] if codes else None)] += 1
        for failure in failures:
            report.failures.setdefault(failure.signature, (index, failure.detail))
        if log is not None:
            entry = {"seed": seed, "case": index, "exit": codes[-1] if codes else None, "mutations": done,
                     "keep_going": mutated.keep_going,
                     "seconds": round(time.monotonic() - case_began, 2), "failures": [f.signature for f in failures]}
            with log.open("a", encoding="utf-8") as stream:
                stream.write(json.dumps(entry) + "\n")
        if failures and save is not None:
            folder = save / f"case-{seed}-{index}"
            for relative, data in case.files.items():
                (folder / "specs" / relative).parent.mkdir(parents=True, exist_ok=True)
                (folder / "specs" / relative).write_bytes(data)
            options = ["build --keep-going" if mutated.keep_going else "build", *done]
            (folder / "failures.txt").write_text("\n\n".join([*options, *map(str, failures)]), "utf-8")
        index += 1
    report.seconds = time.monotonic() - began
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=0, help="the run's seed (default 0)")
    parser.add_argument("--start", type=int, default=0, help="the first case index (default 0)")
    parser.add_argument("--cases", type=int, help="stop after this many cases")
    parser.add_argument("--seconds", type=float, help="stop after this many seconds")
    parser.add_argument("--log", type=Path, help="append one JSON line per case to this file")
    parser.add_argument("--save", type=Path, help="write each failing case's specs tree under this folder")
    args = parser.parse_args(argv)
    if not (SHARED_SPECS / "arazzo").is_dir():
        print(f"the seeds are not at {SHARED_SPECS}", file=sys.stderr)
        return 2
    if args.cases is None and args.seconds is None:
        args.cases = 100
    report = run(args.seed, args.start, args.cases, args.seconds, args.log, args.save)
    print(report.summary())
    for signature, (index, detail) in sorted(report.failures.items(), key=lambda item: item[1][0]):
        print(f"\n== case {index}: {signature}\n{detail[-2500:]}")
    return 1 if report.failures else 0


if __name__ == "__main__":
    sys.exit(main())
