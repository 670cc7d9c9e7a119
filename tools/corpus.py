"""Run arazzo-gen over every Arazzo document of the acceptance corpus and write ``docs/corpus-report.md``.

    .venv/bin/python tools/corpus.py                      # the full run: 2 workers, writes docs/corpus-report.md
    .venv/bin/python tools/corpus.py --only github _oai   # some folders; --report FILE / --results FILE

The corpus is ``../shared/corpus`` (``--corpus DIR``); its ``INDEX.tsv`` lists the documents.  Each folder gets
a configuration file, written to a temporary folder, that the compiler reads with ``--config``: one
``[[tool.arazzo-gen.sources.rewrite]]`` entry per line of the folder's ``_url_map.tsv``, and for the provider
folders (names without a leading ``_``) ``../openapi/`` -> ``openapi/`` then ``openapi/_original/``.  Nothing in
the compiler knows about the corpus.  Each document is built on its own (``arazzo-gen build DOC --config CFG
--root FOLDER``) into its own temporary output, in a subprocess with a timeout (a timeout counts as a hang),
at most 2 at a time.  A built package is byte-compiled and every one of its modules imported in a fresh
interpreter; every 10th built package (in report order) is type-checked with ``mypy --strict``.

Results: built (and imports), import-failed, diagnosed (the build reported errors: their rule ids), crashed
(exit 3 or any other unexpected exit: an internal error of arazzo-gen) and hung.  The report keeps its
"Hand-checked diagnostics" section, and the section "Structure: agreement with the official JSON Schema" that
``tools/schema_agreement.py`` writes (at its end), when it is rewritten.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus"
REPORT = ROOT / "docs" / "corpus-report.md"
HAND_CHECKED = "## Hand-checked diagnostics"
SCHEMA_SECTION = "## Structure: agreement with the official JSON Schema"  # written by tools/schema_agreement.py
MYPY_EVERY = 10

IMPORT_ALL = """
import importlib, pkgutil, sys
sys.path.insert(0, sys.argv[1])
package = importlib.import_module(sys.argv[2])
for module in pkgutil.walk_packages(package.__path__, sys.argv[2] + "."):
    importlib.import_module(module.name)
"""


@dataclass(frozen=True)
class Document:
    folder: str
    path: str  # relative to the folder
    versions: str  # the OpenAPI versions of its sources, as INDEX.tsv gives them

    @property
    def name(self) -> str:
        return f"{self.folder}/{self.path}"


@dataclass
class Result:
    document: str
    folder: str
    versions: str
    result: str  # built | import-failed | compile-failed | diagnosed | crashed | hung
    errors: list[str] = field(default_factory=list)  # rule ids of the errors, in report order
    warnings: list[str] = field(default_factory=list)
    diagnostics: list[dict[str, object]] = field(default_factory=list)
    detail: str = ""  # traceback, import error, timeout
    seconds: float = 0.0
    package: str = ""
    out: str = ""
    mypy: str = ""  # "" not sampled, "clean", or the first error lines


# -- the corpus --------------------------------------------------------------------------------------------
def documents(corpus: Path, only: list[str] | None = None) -> list[Document]:
    """Every row of INDEX.tsv (Arazzo documents, and the few files that only look like one), in its order."""
    rows = (corpus / "INDEX.tsv").read_text(encoding="utf-8").splitlines()
    header = rows[0].split("\t")
    found = []
    for line in rows[1:]:
        row = dict(zip(header, line.split("\t"), strict=False))
        if only and row["dir"] not in only:
            continue
        found.append(Document(row["dir"], row["arazzo_file"], row.get("openapi_versions", "")))
    return found


def _toml_string(text: str) -> str:
    return json.dumps(text)  # a JSON string is a valid TOML basic string


def folder_config(corpus: Path, folder: str) -> str:
    """The ``[tool.arazzo-gen]`` table that resolves the folder's urls: its ``_url_map.tsv`` and, for a
    provider folder, the ``openapi/_original/`` fallback.  Paths are absolute (the file lives elsewhere)."""
    base = (corpus / folder).resolve()
    lines = ["[tool.arazzo-gen]", 'package = "corpus_pkg"', ""]
    entries: list[tuple[str, list[str]]] = []
    if not folder.startswith("_"):
        entries.append(("../openapi/", [f"{base}/openapi/", f"{base}/openapi/_original/"]))
    url_map = base / "_url_map.tsv"
    if url_map.is_file():
        for raw in url_map.read_text(encoding="utf-8").splitlines():
            if not raw.strip():
                continue
            prefix, _, target = raw.partition("\t")
            target = target.strip()
            suffix = "/" if target.endswith("/") else ""
            entries.append((prefix, [str((base / target).resolve()) + suffix]))
    for prefix, targets in entries:
        lines.append("[[tool.arazzo-gen.sources.rewrite]]")
        lines.append(f"prefix = {_toml_string(prefix)}")
        lines.append("to = [" + ", ".join(_toml_string(t) for t in targets) + "]")
        lines.append("")
    return "\n".join(lines)


# -- one document ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Job:
    index: int
    document: Document
    corpus: str
    work: str
    timeout: float


def _run(command: list[str], timeout: float, cwd: str | None = None) -> tuple[int | None, str, str]:
    """Run ``command`` in its own process group; on timeout the whole group is killed (returncode None)."""
    process = subprocess.Popen(
        command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
        stdin=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        stdout, stderr = process.communicate()
        return None, stdout, stderr
    return process.returncode, stdout, stderr


def build_one(job: Job) -> Result:
    document = job.document
    corpus, work = Path(job.corpus), Path(job.work)
    package = f"corpus_{job.index:04d}"
    out = work / "out" / package
    config = work / "config" / f"{document.folder}.toml"
    result = Result(document.name, document.folder, document.versions, "", package=package, out=str(out))
    command = [
        sys.executable, "-m", "arazzo_gen", "build", str(corpus / document.folder / document.path), "-o", str(out),
        "--config", str(config), "--root", str(corpus / document.folder), "--package", package,
        "--format", "json", "--cache-dir", str(work / "cache"),
    ]  # fmt: skip
    started = time.perf_counter()
    code, stdout, stderr = _run(command, job.timeout, cwd=str(corpus))
    result.seconds = round(time.perf_counter() - started, 1)
    if code is None:
        result.result, result.detail = "hung", f"no result after {job.timeout:g}s"
        return result
    try:
        diagnostics = json.loads(stdout) if stdout.strip() else []
    except ValueError:
        diagnostics = []
    result.diagnostics = diagnostics
    result.errors = [str(d["rule"]) for d in diagnostics if d.get("severity") == "error"]
    result.warnings = [str(d["rule"]) for d in diagnostics if d.get("severity") == "warning"]
    if code == 1 and result.errors:
        result.result = "diagnosed"
        return result
    if code != 0:
        result.result = "crashed"
        result.detail = f"exit {code}\n" + "\n".join(stderr.strip().splitlines()[-30:])
        return result
    code, _, stderr = _run([sys.executable, "-m", "compileall", "-q", str(out)], job.timeout)
    if code != 0:
        result.result, result.detail = "compile-failed", stderr.strip()[-2000:]
        return result
    code, _, stderr = _run([sys.executable, "-c", IMPORT_ALL, str(out), package], job.timeout)
    if code != 0:
        result.result = "import-failed"
        result.detail = "timed out" if code is None else "\n".join(stderr.strip().splitlines()[-12:])
        return result
    result.result = "built"
    return result


def mypy_one(result: Result, work: str, timeout: float) -> str:
    """``mypy --strict`` on a built package: "clean" or its first error lines."""
    command = [
        sys.executable, "-m", "mypy", "--strict", "--cache-dir", str(Path(work) / f"mypy-cache-{os.getpid()}"),
        result.package,
    ]  # fmt: skip
    code, stdout, stderr = _run(command, timeout, cwd=result.out)
    if code is None:
        return "timed out"
    if code == 0:
        return "clean"
    return "\n".join((stdout + stderr).strip().splitlines()[:12])


# -- the run -----------------------------------------------------------------------------------------------
def run_corpus(
    corpus: Path,
    docs: list[Document],
    *,
    workers: int = 2,
    timeout: float = 300.0,
    mypy_every: int = MYPY_EVERY,
    work: Path | None = None,
    progress: bool = False,
) -> list[Result]:
    """Build every document (at most ``workers`` at a time); returns the results in ``docs`` order."""
    owned = work is None
    folder = Path(tempfile.mkdtemp(prefix="arazzo-corpus-")) if work is None else work
    try:
        (folder / "config").mkdir(parents=True, exist_ok=True)
        for name in sorted({d.folder for d in docs}):
            (folder / "config" / f"{name}.toml").write_text(folder_config(corpus, name), encoding="utf-8")
        jobs = [Job(i, d, str(corpus.resolve()), str(folder), timeout) for i, d in enumerate(docs)]
        results: list[Result] = []
        with ProcessPoolExecutor(max_workers=max(1, min(workers, 2))) as pool:
            for count, result in enumerate(pool.map(build_one, jobs), start=1):
                results.append(result)
                if progress:
                    print(f"[{count}/{len(jobs)}] {result.result:<14} {result.seconds:6.1f}s {result.document}",
                          flush=True)  # fmt: skip
            built = [r for r in results if r.result == "built"]
            sample = built[::mypy_every] if mypy_every > 0 else []
            for result, verdict in zip(sample, pool.map(mypy_one, sample, [str(folder)] * len(sample),
                                                        [timeout] * len(sample)), strict=True):  # fmt: skip
                result.mypy = verdict
                if progress:
                    print(f"mypy {verdict.splitlines()[0] if verdict else '?'}: {result.document}", flush=True)
        return results
    finally:
        if owned:
            subprocess.run(["rm", "-rf", str(folder)], check=False)


# -- the report --------------------------------------------------------------------------------------------
OUTCOMES = ("built", "import-failed", "compile-failed", "diagnosed", "crashed", "hung")
UNRESOLVED = {"unresolved-source", "outside-root", "invalid-source-type"}  # a source that is not read


def version_families(versions: str) -> list[str]:
    families = []
    for item in (v.strip() for v in versions.split(",")):
        if item.startswith("swagger 2"):
            families.append("Swagger 2.0")
        elif item.startswith("openapi 3."):
            families.append("OpenAPI " + ".".join(item.split()[1].split(".")[:2]))
    return sorted(set(families)) or ["none / unknown"]


def _counts(results: list[Result]) -> collections.Counter[str]:
    return collections.Counter(r.result for r in results)


def _row(label: str, results: list[Result]) -> str:
    counts = _counts(results)
    return f"| {label} | {len(results)} | " + " | ".join(str(counts.get(o, 0)) for o in OUTCOMES) + " |"


def _table_head(first: str) -> list[str]:
    return [f"| {first} | documents | " + " | ".join(OUTCOMES) + " |", "|---" * (len(OUTCOMES) + 2) + "|"]


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_report(results: list[Result], hand_checked: str, seconds: float, command: str) -> str:
    counts = _counts(results)
    total = len(results)
    arazzo = [r for r in results if "no-workflows" not in r.errors]
    resolved = [r for r in arazzo if not (set(r.errors) & UNRESOLVED)]
    resolved_built = sum(1 for r in resolved if r.result == "built")
    lines = [
        "# Corpus report",
        "",
        f"Every document of `../shared/corpus/INDEX.tsv` built with arazzo-gen by `{command}`",
        f"({total} documents, {seconds / 60:.0f} minutes on 2 workers). See `tools/corpus.py` for how urls are",
        "resolved (per-folder rewrites written from `_url_map.tsv` and the `openapi/_original/` fallback) and what",
        "each result means.",
        "",
        "## Totals",
        "",
        "| result | documents |",
        "|---|---|",
    ]
    meaning = {
        "built": "built, compiles and every module imports",
        "import-failed": "built, but a module does not import",
        "compile-failed": "built, but does not byte-compile",
        "diagnosed": "not built: errors reported, rule ids below",
        "crashed": "internal error of arazzo-gen",
        "hung": "no result within the timeout",
    }
    for outcome in OUTCOMES:
        lines.append(f"| {outcome} ({meaning[outcome]}) | {counts.get(outcome, 0)} |")
    lines.append(f"| **total** | {total} |")
    share = f"{100 * resolved_built / len(resolved):.1f}%" if resolved else "n/a"
    lines += [
        "",
        (f"Arazzo documents (rows without a `no-workflows` error): {len(arazzo)}; those whose sources resolve "
        f"(no `unresolved-source`, `outside-root` or `invalid-source-type` error): {len(resolved)}; of those built "
        f"and importing: {resolved_built} ({share})."),
    ]
    sampled = [r for r in results if r.mypy]
    clean = sum(1 for r in sampled if r.mypy == "clean")
    lines += ["", f"`mypy --strict` on every {MYPY_EVERY}th built package: {clean} of {len(sampled)} clean.", ""]
    for r in sampled:
        if r.mypy != "clean":
            lines += [f"- `{r.document}`:", "", "```", r.mypy, "```", ""]

    lines += ["## By folder", "", *_table_head("folder")]
    by_folder: dict[str, list[Result]] = collections.defaultdict(list)
    for r in results:
        by_folder[r.folder].append(r)
    lines += [_row(name, by_folder[name]) for name in sorted(by_folder)]

    lines += ["", "## By OpenAPI version of the sources", "",
              "A document whose sources have several versions counts once under each (versions from `INDEX.tsv`).",
              "", *_table_head("version")]  # fmt: skip
    by_version: dict[str, list[Result]] = collections.defaultdict(list)
    for r in results:
        for family in version_families(r.versions):
            by_version[family].append(r)
    lines += [_row(name, by_version[name]) for name in sorted(by_version)]

    for severity, attribute in (("errors", "errors"), ("warnings", "warnings")):
        documents_with: collections.Counter[str] = collections.Counter()
        occurrences: collections.Counter[str] = collections.Counter()
        for r in results:
            ids = getattr(r, attribute)
            occurrences.update(ids)
            documents_with.update(set(ids))
        lines += ["", f"## Top rule ids ({severity})", "", "| rule | documents | occurrences |", "|---|---|---|"]
        for rule, count in sorted(documents_with.items(), key=lambda item: (-item[1], item[0]))[:25]:
            lines.append(f"| `{rule}` | {count} | {occurrences[rule]} |")

    problems = [r for r in results if r.result in ("crashed", "hung", "import-failed", "compile-failed")]
    lines += ["", "## Internal errors, hangs and packages that do not import", ""]
    if not problems:
        lines.append("None.")
    for r in problems:
        lines += [f"### {r.result}: `{r.document}`", "", "```", r.detail, "```", ""]

    lines += ["", hand_checked.rstrip(), ""]

    lines += ["## Per document", "", "| document | result | errors | warnings |", "|---|---|---|---|"]
    for r in results:
        errors = ", ".join(f"`{rule}`" for rule in sorted(set(r.errors)))
        warnings = ", ".join(f"`{rule}`" for rule in sorted(set(r.warnings)))
        lines.append(f"| {_cell(r.document)} | {r.result} | {errors} | {warnings} |")
    return "\n".join(lines) + "\n"


HAND_CHECKED_PLACEHOLDER = f"""{HAND_CHECKED}

Documents whose diagnostics were checked by hand against the document (is the rule right, is the location the
offending node?):

- (none yet)
"""


def hand_checked_section(report: Path) -> str:
    """The "Hand-checked diagnostics" section of an existing report (kept when it is rewritten)."""
    if not report.is_file():
        return HAND_CHECKED_PLACEHOLDER
    text = report.read_text(encoding="utf-8")
    start = text.find(HAND_CHECKED)
    if start < 0:
        return HAND_CHECKED_PLACEHOLDER
    end = text.find("\n## ", start + len(HAND_CHECKED))
    return text[start : end if end >= 0 else len(text)].rstrip() + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--only", nargs="+", metavar="FOLDER", help="Only these corpus folders.")
    parser.add_argument("--workers", type=int, default=2, help="Parallel builds (at most 2).")
    parser.add_argument("--timeout", type=float, default=300.0, help="Seconds per build before it counts as hung.")
    parser.add_argument("--report", type=Path, default=REPORT, help="Markdown report to write ('-': stdout).")
    parser.add_argument("--results", type=Path, help="Also write every result as JSON to this file.")
    parser.add_argument("--keep", type=Path, metavar="DIR", help="Build in DIR and keep the outputs.")
    args = parser.parse_args(argv)
    if not (args.corpus / "INDEX.tsv").is_file():
        print(f"error: no corpus at {args.corpus} (INDEX.tsv missing)", file=sys.stderr)
        return 2
    docs = documents(args.corpus, args.only)
    started = time.perf_counter()
    results = run_corpus(args.corpus, docs, workers=args.workers, timeout=args.timeout, work=args.keep,
                         progress=True)  # fmt: skip
    seconds = time.perf_counter() - started
    command = "python tools/corpus.py" + (f" --only {' '.join(args.only)}" if args.only else "")
    if args.results:
        args.results.write_text(json.dumps([asdict(r) for r in results], indent=1), encoding="utf-8")
    hand = hand_checked_section(args.report) if str(args.report) != "-" else HAND_CHECKED_PLACEHOLDER
    report = render_report(results, hand, seconds, command)
    if str(args.report) != "-" and args.report.is_file():  # keep tools/schema_agreement.py's section
        old = args.report.read_text(encoding="utf-8")
        start = old.find(SCHEMA_SECTION)
        if start >= 0:
            end = old.find("\n## ", start + len(SCHEMA_SECTION))
            report = report.rstrip() + "\n\n" + old[start : end + 1 if end >= 0 else len(old)].rstrip() + "\n"
    if str(args.report) == "-":
        sys.stdout.write(report)
    else:
        args.report.write_text(report, encoding="utf-8")
    counts = _counts(results)
    print(", ".join(f"{o} {counts.get(o, 0)}" for o in OUTCOMES), file=sys.stderr)
    return 1 if counts.get("crashed") or counts.get("hung") else 0


if __name__ == "__main__":
    sys.exit(main())
