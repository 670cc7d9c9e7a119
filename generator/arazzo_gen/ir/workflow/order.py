"""The order the steps of an Arazzo 1.1 workflow run in (Step Dependencies and Execution Order).

"Tools supporting only sequential execution MUST execute steps in an order that satisfies both explicit
(``dependsOn``) and implicit (output reference) dependencies": in a workflow whose steps use ``dependsOn`` (and
that has no success or failure actions: :mod:`..versions` refuses the others), the steps run in the stable
topological order of those dependencies, the document's order among steps that do not depend on each other.
A cycle is a located ``step-cycle`` error.  A workflow without ``dependsOn`` keeps the document's order, where
a step reading the outputs of a later step is ``forward-step-reference`` (:mod:`arazzo_gen.check.checks`; the
specification: "implementations SHOULD produce an error if a step references another step's outputs where the
referenced step appears later in the steps array").
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from typing import Any

from ...diagnostics import Diagnostics, Loc
from ...read import YList, YMap
from .. import expressions as ex
from ..model import Step


def execution_order(
    steps: list[Step], raw_steps: list[YMap], diagnostics: Diagnostics
) -> list[Step]:
    """``steps`` in the order they run: unchanged unless a step has ``dependsOn``; on a cycle, unchanged and
    the cycle reported."""
    depends = {
        step_id: raw.get("dependsOn")
        for raw in raw_steps
        if isinstance(step_id := raw.get("stepId"), str)
    }
    if not any(isinstance(value, YList) for value in depends.values()):
        return steps
    index = {step.step_id: i for i, step in enumerate(steps)}
    edges: list[list[tuple[int, Loc]]] = []
    for i, step in enumerate(steps):
        found: list[tuple[int, Loc]] = []
        entries = depends.get(step.step_id)
        if isinstance(entries, YList):
            for position, entry in enumerate(entries):
                if isinstance(entry, str) and entry in index and entry != step.step_id:
                    found.append((index[entry], entries.at(position)))
        for step_id, loc in _step_references(step):
            if step_id in index and step_id != step.step_id:
                found.append((index[step_id], loc))
        edges.append(found)
    waiting = [len({j for j, _ in found}) for found in edges]
    needed_by: list[list[int]] = [[] for _ in steps]
    for i, found in enumerate(edges):
        for j in {j for j, _ in found}:
            needed_by[j].append(i)
    ready = [i for i, count in enumerate(waiting) if count == 0]
    heapq.heapify(ready)
    order: list[int] = []
    while ready:
        i = heapq.heappop(ready)
        order.append(i)
        for k in needed_by[i]:
            waiting[k] -= 1
            if waiting[k] == 0:
                heapq.heappush(ready, k)
    if len(order) < len(steps):
        _report_cycle(steps, edges, set(range(len(steps))) - set(order), diagnostics)
        return steps
    return [steps[i] for i in order]


def _report_cycle(
    steps: list[Step],
    edges: list[list[tuple[int, Loc]]],
    left: set[int],
    diagnostics: Diagnostics,
) -> None:
    """One cycle among the steps ``left`` (those no order can place), located at the dependency closing it."""
    start = min(left)
    path, seen = [start], {start}
    while True:
        j, loc = next((j, loc) for j, loc in edges[path[-1]] if j in left)
        if j in seen:
            cycle = path[path.index(j) :] + [j]
            names = " -> ".join(steps[k].step_id for k in cycle)
            diagnostics.error(
                "step-cycle",
                f"step '{steps[j].step_id}' depends on itself: {names} ('dependsOn' entries and "
                "'$steps.<id>.outputs' references); no order of the steps runs each after the steps it depends on",
                loc,
            )
            return
        path.append(j)
        seen.add(j)


def _step_references(step: Step) -> Iterator[tuple[str, Loc]]:
    """The steps whose outputs ``step`` reads (``$steps.<id>``), with where: its parameters, request body,
    inputs of the workflow it runs, success criteria and outputs."""
    for param in step.parameters:
        yield from _refs(param.value, param.loc)
    yield from _refs(step.body, step.body_loc or step.loc)
    for _, replacement in step.body_replacements:
        yield from _refs(replacement, step.body_loc or step.loc)
    for value, loc, _ in step.call_inputs.values():
        yield from _refs(value, loc)
    for criterion in step.success_criteria:
        for part in (criterion.condition, criterion.context):
            yield from _refs(part, criterion.loc)
    for name, output in step.outputs.items():
        yield from _refs(output, step.output_locs.get(name, step.loc))


def _refs(value: Any, loc: Loc) -> Iterator[tuple[str, Loc]]:
    if isinstance(value, dict):
        for item in value.values():
            yield from _refs(item, loc)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _refs(item, loc)
    elif value is not None and not isinstance(value, str | int | float | bool):
        for expr in ex.expressions_in(value):
            if isinstance(expr, ex.StepRef):
                yield expr.step_id, loc
