"""The seed mutation fuzzer (tests/fuzz/seed_mutations.py) in CI: a fixed slice of its cases keeps the build
property (exit 1 with located diagnostics, or exit 0/4 with a sound package; never exit 2/3, a traceback or a
hang).

Environment variables for longer runs (the same as ``python -m tests.fuzz.seed_mutations``'s options):

- ``ARAZZO_SEED_FUZZ_SEED`` (default 0): which run; each seed is a different, reproducible sequence of cases;
- ``ARAZZO_SEED_FUZZ_CASES`` (default 12): how many cases;
- ``ARAZZO_SEED_FUZZ_SECONDS``: stop after this long instead (no test timeout then);
- ``ARAZZO_SEED_FUZZ_LOG=FILE``: one JSON line per case.

Skipped with the reason when ``../shared/specs`` (the seeds) is absent.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from .seed_mutations import SHARED_SPECS, load_seeds, make_case, run, serialise

needs_seeds = pytest.mark.skipif(
    not (SHARED_SPECS / "arazzo").is_dir(), reason=f"the seed documents are not at {SHARED_SPECS} (../shared/specs)"
)
SEED = int(os.environ.get("ARAZZO_SEED_FUZZ_SEED", "0"))
SECONDS = float(os.environ["ARAZZO_SEED_FUZZ_SECONDS"]) if os.environ.get("ARAZZO_SEED_FUZZ_SECONDS") else None
CASES = None if SECONDS else int(os.environ.get("ARAZZO_SEED_FUZZ_CASES", "12"))
LOG = Path(os.environ["ARAZZO_SEED_FUZZ_LOG"]) if os.environ.get("ARAZZO_SEED_FUZZ_LOG") else None


@needs_seeds
def test_cases_are_reproducible_from_their_numbers() -> None:
    seeds = load_seeds()
    for index in range(12):
        first, again = make_case(seeds, SEED, index), make_case(seeds, SEED, index)
        assert first.case.files == again.case.files and first.done == again.done
        assert first.keep_going == again.keep_going
    assert make_case(seeds, SEED, 0).case.files != make_case(seeds, SEED + 1, 0).case.files


@needs_seeds
def test_every_case_changes_the_seed_documents() -> None:
    seeds = load_seeds()
    by_workflow = {seed.workflow: seed for seed in seeds}
    for index in range(24):
        mutated = make_case(seeds, SEED, index)
        assert mutated.done, f"case {index} did nothing"
        workflow = next(name for name in mutated.case.files if name.startswith("arazzo/"))
        originals = {name: serialise(name, data) for name, data in by_workflow[workflow].documents.items()}
        assert set(mutated.case.files) == set(originals)
        assert mutated.case.files != originals, f"case {index} left the documents as they were: {mutated.done}"
    # the documents each seed workflow names come along (the Azure workflow's Swagger 2.0 description too)
    assert {name for seed in seeds for name in seed.documents} == {
        path.relative_to(SHARED_SPECS).as_posix() for path in SHARED_SPECS.rglob("*") if path.is_file()
    }


@needs_seeds
@pytest.mark.timeout(0 if SECONDS else 280)
def test_mutated_seeds_keep_the_build_property() -> None:
    report = run(SEED, 0, CASES, SECONDS, LOG)
    assert report.cases > 0
    details = "\n\n".join(f"case {SEED}:{index}: {signature}\n{detail[-2500:]}"
                          for signature, (index, detail) in (report.failures or {}).items())  # fmt: skip
    assert not report.failures, report.summary() + "\n\n" + details
