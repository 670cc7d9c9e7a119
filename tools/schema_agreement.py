"""Compare arazzo-gen's *structural* verdict on every corpus document with the official Arazzo JSON Schema.

    .venv/bin/python tools/schema_agreement.py             # every document of ../shared/corpus/INDEX.tsv (2 workers)
    .venv/bin/python tools/schema_agreement.py --only _oai  # some folders; --report FILE ('-': stdout)

The schema is the latest published Arazzo schema of the corpus for the document's version
(``_oai/schemas/published/arazzo-1.0-*.json``, or ``arazzo-1.1-*.json`` for a document whose ``arazzo`` field is
``1.1.x``, as arazzo-gen reads it: see ``arazzo_gen/ir/versions.py``; the newest date wins), read in place and applied with ``jsonschema``'s Draft 2020-12 validator (it follows the
schema's ``$anchor``/``$ref`` and ``unevaluatedProperties``; its own ``$ref`` to the 2020-12 meta-schema is
answered offline by ``jsonschema-specifications``; ``format`` is not asserted, as in the 2020-12 default).  A
document is given to it as arazzo-gen's own reader parses it (``arazzo_gen.read``, YAML 1.2 scalars).

Our verdict is the real compiler stage that reports structure: ``build_program`` (read, resolve the sources
through the folder's url rewrites exactly as ``tools/corpus.py`` configures them, lower the workflows), whose
diagnostics are filtered to :data:`STRUCTURAL` rules.  The later stages (the checks on the lowered program,
model generation) report nothing about structure, so they are not run.  A document *fails* when a structural
rule reports an error; structural warnings (a deliberate leniency, see docs/conformance.md "Structure:
agreement with the official JSON Schema") do not make it fail.

The run writes the section "Structure: agreement with the official JSON Schema" of ``docs/corpus-report.md``
(replacing it when it is there, appending it otherwise; ``tools/corpus.py`` keeps it when it rewrites the report).
"""

from __future__ import annotations

import argparse
import collections
import importlib.util
import json
import re
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from arazzo_gen.config import load_settings
from arazzo_gen.diagnostics import Diagnostic, Diagnostics, Severity
from arazzo_gen.ir.program import build_program
from arazzo_gen.read import read_document, to_plain
from arazzo_gen.resolve.sources import Rewrites

DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus"
REPORT = ROOT / "docs" / "corpus-report.md"
SECTION = "## Structure: agreement with the official JSON Schema"
_ARAZZO_1_0 = re.compile(r"1\.0\.\d+(-.+)?")
_ARAZZO_1_1 = re.compile(r"1\.1\.\d+(-.+)?")

# The rules that judge the *structure* of an Arazzo document (the fields, their types, patterns and mutually
# exclusive fields: what the JSON Schema can say), as opposed to rules about what the document refers to
# (unresolved-source, unknown-operation, ...), runtime expressions, conditions and regexes (invalid-expression,
# invalid-condition, invalid-regex, ...) or the API descriptions.  docs/conformance.md lists them too.
STRUCTURAL = frozenset({
    # reading: a document that is not YAML/JSON data at all (the schema cannot even be applied)
    "invalid-syntax", "invalid-encoding", "too-deep", "alias-expansion", "non-finite-number", "empty-document",
    "duplicate-key",
    # the file given is not an Arazzo document (not a mapping with an 'arazzo' field)
    "no-workflows",
    # the Arazzo objects
    "arazzo-version", "missing-field", "invalid-type", "duplicate-source", "duplicate-workflow-id",
    "invalid-step-id", "duplicate-step-id", "invalid-inputs", "invalid-step", "invalid-parameter",
    "invalid-reference", "invalid-replacement", "invalid-criteria", "invalid-action", "duplicate-action",
    "unknown-field", "duplicate-parameter", "invalid-source-name", "invalid-source-type", "missing-parameter-in",
    # in an Arazzo document: the JSON Schema of a workflow's 'inputs' (`required: true` on a property)
    "invalid-schema",
    # Arazzo 1.1 objects: '$self', Selector Objects and Expression Type Objects
    "invalid-self", "invalid-selector",
})  # fmt: skip
# Only diagnostics located in the document itself count (an OpenAPI source's duplicate-key is not about it).


def latest_schema(corpus: Path, version: str = "1.0") -> Path:
    """The newest published Arazzo ``version`` (1.0 or 1.1) schema (``arazzo-<version>-<date>.json``; ISO dates
    sort as text)."""
    found = sorted((corpus / "_oai" / "schemas" / "published").glob(f"arazzo-{version}-*.json"))
    if not found:
        raise FileNotFoundError(f"no published Arazzo {version} schema under {corpus}/_oai/schemas/published")
    return found[-1]


def schema_version(arazzo: Any) -> str:
    """The schema a document with this ``arazzo`` field is validated with: 1.1 for ``1.1.x``, else 1.0 (the
    version arazzo-gen reads it as)."""
    return "1.1" if isinstance(arazzo, str) and _ARAZZO_1_1.fullmatch(arazzo) else "1.0"


def validator(schema: Path) -> Any:
    import jsonschema

    return jsonschema.Draft202012Validator(json.loads(schema.read_text(encoding="utf-8")))


# -- the two verdicts ---------------------------------------------------------------------------------------
@dataclass
class Verdict:
    document: str
    folder: str
    arazzo: str = ""  # the 'arazzo' field as written ("" when absent or not a mapping)
    schema_valid: bool | None = None  # None: not YAML/JSON data, the schema cannot be applied
    schema_errors: list[str] = field(default_factory=list)  # every error, "/json/pointer: message"
    ours: list[str] = field(default_factory=list)  # our structural diagnostics, headlines relative to the folder
    our_errors: list[str] = field(default_factory=list)  # rule ids of the structural errors
    our_warnings: list[str] = field(default_factory=list)
    crashed: str = ""

    @property
    def we_fail(self) -> bool:
        return bool(self.our_errors) or bool(self.crashed)

    @property
    def agree(self) -> bool:
        # a file that is not data at all is invalid for the schema
        return (self.schema_valid is True) != self.we_fail

    @property
    def reasons(self) -> list[str]:
        """The documented reasons (docs/conformance.md) of a disagreement; ``["unexplained"]`` when one of its
        parts has none; ``[]`` when both agree."""
        if self.agree:
            return []
        if self.crashed:
            return ["unexplained"]
        return sorted(set(_lenient_reasons(self) if not self.we_fail else _strict_reasons(self)))


# The deliberate differences, as docs/conformance.md "Structure: agreement with the official JSON Schema" names them.
REASONS = {
    "later-version": "a document of a later Arazzo version than 1.1 (1.2): read as 1.0 with `arazzo-version` "
    "and `unknown-field` warnings",
    "$schema": "a top-level `$schema` (an editor's hint) is accepted silently",
    "unknown-field": "a field the specification does not define is ignored with an `unknown-field` warning",
    "literal-output": "a literal (not a string) step or workflow output is its value, a documented leniency "
    "(\"Values, request bodies, outputs and responses\")",
    "inputs-required-boolean": "`required: true` on an input property is ignored with an `invalid-schema` warning",
    "source-name": "a source name outside `[A-Za-z0-9_\\-]+` (a SHOULD of the specification) is an "
    "`invalid-source-name` warning",
    "replacement-target": "a replacement `target` that is not a JSON Pointer (the specification: a JSON Pointer "
    "or XPath) is `invalid-replacement`; the schema accepts any string",
    "duplicate-parameter": "parameters with the same `name` and `in` but different values are "
    "`duplicate-parameter` (the specification); the schema's `uniqueItems` sees only identical entries",
    "parameter-in": "a parameter without `in` on an operation step is sent where the operation declares its name, "
    "with a `missing-parameter-in` warning",
    "empty-success-criteria": "`successCriteria: []` is no criterion (the specification does not ask for a "
    "non-empty list)",
    "replacement-value": "a replacement `value` that is not a string is that value (the specification: Any)",
}
_UNEXPECTED = re.compile(r"Unevaluated properties are not allowed \((?P<names>.*) (?:was|were) unexpected\)")
_FIELD = re.compile(r"\[unknown-field\]: '(?P<name>[^']*)' is not a field")


def _lenient_reasons(verdict: Verdict) -> list[str]:
    """Why the schema rejects a document arazzo-gen accepts: one reason per schema error."""
    if (
        verdict.arazzo.startswith("1.")
        and not _ARAZZO_1_0.fullmatch(verdict.arazzo)
        and not _ARAZZO_1_1.fullmatch(verdict.arazzo)
    ):
        return ["later-version"]  # a 1.2 document: its fields are not 1.0's, whatever they are
    warned = {m.group("name") for h in verdict.ours if (m := _FIELD.search(h))}
    reasons = []
    for error in verdict.schema_errors:
        pointer, _, message = error.partition(": ")
        unexpected = _UNEXPECTED.search(message)
        if unexpected:
            names = set(re.findall(r"'([^']*)'", unexpected.group("names")))
            if pointer == "/" and "$schema" in names:
                reasons.append("$schema")
                names.discard("$schema")
            if names:
                reasons.append("unknown-field" if names <= warned else "unexplained")
        elif re.search(r"/outputs/[^/]+$", pointer) and "is not of type 'string'" in message:
            reasons.append("literal-output")
        elif message == "'in' is a required property" and "/parameters/" in pointer and any(
            "[missing-parameter-in]" in h for h in verdict.ours
        ):
            reasons.append("parameter-in")
        elif pointer.endswith("/successCriteria") and message == "[] should be non-empty":
            reasons.append("empty-success-criteria")
        elif re.search(r"/replacements/\d+/value$", pointer) and "is not of type 'string'" in message:
            reasons.append("replacement-value")
        elif re.search(r"/inputs/.*/required$", pointer) and "is not of type 'array'" in message and any(
            "[invalid-schema]" in h for h in verdict.ours
        ):
            reasons.append("inputs-required-boolean")
        elif pointer.endswith("/name") and "does not match" in message and any(
            "[invalid-source-name]" in h for h in verdict.ours
        ):
            reasons.append("source-name")
        else:
            reasons.append("unexplained")
    return reasons


def _strict_reasons(verdict: Verdict) -> list[str]:
    """Why arazzo-gen rejects a document the schema accepts: one reason per structural error."""
    reasons = []
    for line in verdict.ours:
        if "error[" not in line:
            continue
        if "error[invalid-replacement]: a replacement target must be a JSON Pointer" in line:
            reasons.append("replacement-target")
        elif "error[duplicate-parameter]" in line:
            reasons.append("duplicate-parameter")
        else:
            reasons.append("unexplained")
    return reasons


def _arazzo_field(path: Path) -> Any:
    document = read_document(path, Diagnostics())
    data = to_plain(document.root) if document is not None else None
    return data.get("arazzo") if isinstance(data, dict) else None


def schema_verdict(check: Any, path: Path) -> tuple[bool | None, list[str], str]:
    """(valid, the first errors as ``/pointer: message``, the 'arazzo' field) of the file as arazzo-gen reads it."""
    document = read_document(path, Diagnostics())
    if document is None:
        return None, ["not YAML/JSON data"], ""
    data = to_plain(document.root)
    version = str(data.get("arazzo", "")) if isinstance(data, dict) else ""
    errors = [leaf for error in check.iter_errors(data) for leaf in _closest(error)]
    shown = sorted({f"/{'/'.join(str(p) for p in e.absolute_path)}: {e.message[:160]}" for e in errors})
    return not errors, shown, version


def _closest(error: Any) -> list[Any]:
    """An ``oneOf``/``anyOf`` error as the errors of the alternative that came closest (fewest errors), so
    that "is not valid under any of the given schemas" says what is wrong."""
    if not error.context:
        return [error]
    branches: dict[Any, list[Any]] = collections.defaultdict(list)
    for sub in error.context:
        branches[sub.relative_schema_path[0] if sub.relative_schema_path else None].append(sub)
    nearest = min(branches.values(), key=len)
    return [leaf for sub in nearest for leaf in _closest(sub)]


def structural_diagnostics(path: Path, folder: Path, rewrites: Rewrites | None = None) -> list[Diagnostic]:
    """arazzo-gen's structural diagnostics of the Arazzo file ``path`` (files read only under ``folder``),
    sorted as the CLI reports them: ``build_program`` run for real, its diagnostics filtered to STRUCTURAL."""
    diagnostics = Diagnostics()
    build_program(path, diagnostics, [folder], rewrites)
    own = str(path.resolve())
    return [
        d for d in diagnostics.sorted()
        if d.rule in STRUCTURAL and (d.loc is None or str(Path(d.loc.file).resolve()) == own)
    ]  # fmt: skip


def headline(diagnostic: Diagnostic, base: Path) -> str:
    """``path:line:col: severity[rule]: message`` with the path relative to ``base``."""
    loc = diagnostic.loc
    if loc is None:
        return f"{diagnostic.severity}[{diagnostic.rule}]: {diagnostic.message}"
    try:
        shown = Path(loc.file).resolve().relative_to(base.resolve()).as_posix()
    except ValueError:
        shown = loc.file
    message = diagnostic.message.replace(str(base.resolve()) + "/", "")
    return f"{shown}:{loc.line}:{loc.col}: {diagnostic.severity}[{diagnostic.rule}]: {message}"


# -- the corpus ---------------------------------------------------------------------------------------------
def corpus_tool() -> ModuleType:
    """``tools/corpus.py`` (its document list and its per-folder url rewrites)."""
    name = "corpus_tool"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, ROOT / "tools" / "corpus.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def folder_rewrites(corpus: Path, folder: str, work: Path) -> Rewrites:
    """The url rewrites ``tools/corpus.py`` gives the folder, read by arazzo-gen's own configuration loader."""
    config = work / f"{folder}.toml"
    if not config.is_file():
        config.write_text(corpus_tool().folder_config(corpus, folder), encoding="utf-8")
    return load_settings(config, config).rewrites


@dataclass(frozen=True)
class Job:
    corpus: str
    folder: str
    path: str
    schema: str  # the 1.0 schema
    work: str
    schema_1_1: str = ""  # the 1.1 schema, for documents whose 'arazzo' field is 1.1.x


_VALIDATORS: dict[str, Any] = {}


def judge(job: Job) -> Verdict:
    corpus, folder = Path(job.corpus), Path(job.corpus) / job.folder
    verdict = Verdict(f"{job.folder}/{job.path}", job.folder)
    file = folder / job.path
    schema = job.schema
    if job.schema_1_1 and schema_version(_arazzo_field(file)) == "1.1":
        schema = job.schema_1_1
    check = _VALIDATORS.get(schema) or _VALIDATORS.setdefault(schema, validator(Path(schema)))
    verdict.schema_valid, verdict.schema_errors, verdict.arazzo = schema_verdict(check, file)
    try:
        found = structural_diagnostics(file, folder, folder_rewrites(corpus, job.folder, Path(job.work)))
    except Exception as error:  # noqa: BLE001 - an internal error of arazzo-gen: reported, never hidden
        verdict.crashed = f"{type(error).__name__}: {error}"
        return verdict
    verdict.ours = [headline(d, folder) for d in found]
    verdict.our_errors = [d.rule for d in found if d.severity is Severity.ERROR]
    verdict.our_warnings = [d.rule for d in found if d.severity is Severity.WARNING]
    return verdict


def run(corpus: Path, only: list[str] | None = None, workers: int = 2, progress: bool = False) -> list[Verdict]:
    docs = corpus_tool().documents(corpus, only)
    schema, schema_1_1 = str(latest_schema(corpus)), str(latest_schema(corpus, "1.1"))
    with tempfile.TemporaryDirectory(prefix="arazzo-schema-") as work:
        jobs = [Job(str(corpus.resolve()), d.folder, d.path, schema, work, schema_1_1) for d in docs]
        for folder in sorted({d.folder for d in docs}):
            folder_rewrites(corpus.resolve(), folder, Path(work))
        verdicts = []
        with ProcessPoolExecutor(max_workers=max(1, min(workers, 2))) as pool:
            for count, verdict in enumerate(pool.map(judge, jobs, chunksize=4), start=1):
                verdicts.append(verdict)
                if progress and (count % 50 == 0 or count == len(jobs)):
                    print(f"[{count}/{len(jobs)}]", flush=True)
    return verdicts


# -- the report ---------------------------------------------------------------------------------------------
def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _schema_word(valid: bool | None) -> str:
    return {True: "valid", False: "invalid", None: "invalid (empty, or not YAML/JSON)"}[valid]


def render_section(verdicts: list[Verdict], schema: Path, seconds: float, command: str) -> str:
    agree = [v for v in verdicts if v.agree]
    lenient = [v for v in verdicts if not v.agree and not v.we_fail]
    stricter = [v for v in verdicts if not v.agree and v.we_fail]
    flagged = sum(1 for v in verdicts if (v.schema_valid is True) != (v.we_fail or bool(v.our_warnings)))
    table = collections.Counter((_schema_word(v.schema_valid), "fail" if v.we_fail else "pass") for v in verdicts)
    lines = [
        SECTION,
        "",
        f"Written by `{command}` ({len(verdicts)} documents, {seconds:.0f} s): every document of `INDEX.tsv`",
        f"validated with the official schema `_oai/schemas/published/{schema.name}` (jsonschema, Draft 2020-12;",
        "a document whose `arazzo` field is 1.1.x with the latest published 1.1 schema)",
        "and checked by arazzo-gen's structural rules (`tools/schema_agreement.py` lists them; sources resolved",
        "as `tools/corpus.py` resolves them). *Fail* means a structural **error**; structural warnings do not",
        "fail a document. Every disagreement is explained in docs/conformance.md, \"Structure: agreement with the",
        "official JSON Schema\".",
        "",
        (f"**Agreement: {len(agree)} of {len(verdicts)} documents** "
         f"({len(lenient)} the schema rejects and arazzo-gen accepts, {len(stricter)} the schema accepts and "
         "arazzo-gen rejects)."),
        "",
        f"Counting structural warnings as failing too (what `--strict` refuses): {flagged} of {len(verdicts)} agree.",
        "",
        "| schema | arazzo-gen | documents |",
        "|---|---|---|",
    ]
    for (schema_word, ours), count in sorted(table.items()):
        lines.append(f"| {schema_word} | {ours} | {count} |")
    why: collections.Counter[str] = collections.Counter(r for v in verdicts for r in v.reasons)
    lines += ["", "Disagreements by reason (a document can have several):", "", "| reason | documents |", "|---|---|"]
    for reason, count in sorted(why.items(), key=lambda item: (-item[1], item[0])):
        meaning = REASONS.get(reason, "**not a documented difference: a bug to fix**")
        lines.append(f"| `{reason}`: {meaning} | {count} |")
    for title, items in (
        ("The schema rejects, arazzo-gen accepts (structural warnings shown)", lenient),
        ("The schema accepts, arazzo-gen rejects", stricter),
    ):
        lines += ["", f"### {title}: {len(items)}", ""]
        if not items:
            lines.append("None.")
            continue
        lines += [
            "| document | arazzo | the schema says (first errors) | arazzo-gen says | why (docs/conformance.md) |",
            "|---|---|---|---|---|",
        ]
        for v in items:
            ours = "<br>".join(f"`{_cell(h.split(': ', 1)[1] if ': ' in h else h)}`" for h in v.ours) or "nothing"
            if v.crashed:
                ours = f"internal error: {_cell(v.crashed)}"
            theirs = "<br>".join(f"`{_cell(e)}`" for e in v.schema_errors[:4]) or "valid"
            if len(v.schema_errors) > 4:
                theirs += f"<br>({len(v.schema_errors) - 4} more)"
            why = ", ".join(f"**{r}**" if r == "unexplained" else f"`{r}`" for r in v.reasons)
            lines.append(f"| {_cell(v.document)} | {_cell(v.arazzo)} | {theirs} | {ours} | {why} |")
    return "\n".join(lines) + "\n"


def write_section(report: Path, section: str) -> None:
    """Replace the section in ``report`` (up to the next ``## `` heading), or append it."""
    text = report.read_text(encoding="utf-8") if report.is_file() else ""
    start = text.find(SECTION)
    if start < 0:
        text = text.rstrip() + ("\n\n" if text else "") + section
    else:
        end = text.find("\n## ", start + len(SECTION))
        text = text[:start] + section + (text[end + 1 :] if end >= 0 else "")
    report.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--only", nargs="+", metavar="FOLDER", help="Only these corpus folders.")
    parser.add_argument("--workers", type=int, default=2, help="Parallel workers (at most 2).")
    parser.add_argument("--report", type=Path, default=REPORT, help="Markdown report to update ('-': stdout).")
    parser.add_argument("--results", type=Path, help="Also write every verdict as JSON to this file.")
    args = parser.parse_args(argv)
    if not (args.corpus / "INDEX.tsv").is_file():
        print(f"error: no corpus at {args.corpus} (INDEX.tsv missing)", file=sys.stderr)
        return 2
    started = time.perf_counter()
    verdicts = run(args.corpus, args.only, args.workers, progress=True)
    seconds = time.perf_counter() - started
    command = "python tools/schema_agreement.py" + (f" --only {' '.join(args.only)}" if args.only else "")
    section = render_section(verdicts, latest_schema(args.corpus), seconds, command)
    if args.results:
        rows = [{**v.__dict__, "agree": v.agree, "reasons": v.reasons} for v in verdicts]
        args.results.write_text(json.dumps(rows, indent=1), encoding="utf-8")
    if str(args.report) == "-":
        sys.stdout.write(section)
    else:
        write_section(args.report, section)
    agreeing = sum(1 for v in verdicts if v.agree)
    unexplained = [v.document for v in verdicts if "unexplained" in v.reasons]
    print(f"agreement: {agreeing} of {len(verdicts)}; unexplained disagreements: {len(unexplained)}", file=sys.stderr)
    for name in unexplained:
        print(f"  unexplained: {name}", file=sys.stderr)
    return 1 if unexplained else 0


if __name__ == "__main__":
    sys.exit(main())
