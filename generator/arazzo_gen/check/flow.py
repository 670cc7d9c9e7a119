"""Control-flow checks of workflows with actions: steps no path runs, and goto loops no success can leave.

They read the step graph of :mod:`arazzo_gen.ir.flow` (an *attempt* and a *success* node per step).  A step
whose attempt no path from the first step reaches never runs (``unreachable-step``, a warning: the workflow
still works).  A set of steps from which no path leads to the end of the workflow -- no success action, next
step or failure action (an ``end``, a ``goto`` out of the set) leaves it -- loops until a step fails without a
matching failure action or ``max_steps`` stops it, both with an exception (``endless-loop``, an error: the
workflow can never return once it enters the loop).  A retry alone is bounded by its ``retryLimit``.
"""

from __future__ import annotations

from ..diagnostics import Diagnostics
from ..ir.flow import ENTRY, EXIT, Node, reachable_from, step_graph
from ..ir.model import Workflow


def check_flow(workflow: Workflow, diagnostics: Diagnostics) -> None:
    if not workflow.controlled or not workflow.steps:
        return
    steps = workflow.steps
    edges = step_graph(workflow)
    reachable = reachable_from(edges, ENTRY)
    for i, step in enumerate(steps):
        if ("try", i) not in reachable:
            diagnostics.warning(
                "unreachable-step",
                f"step '{step.step_id}' never runs: every path from the first step ends, or goes to another "
                f"step, before reaching it{_why(workflow, i)}",
                step.loc,
            )
    reverse: dict[Node, set[Node]] = {}
    for source, targets in edges.items():
        for node in targets:
            reverse.setdefault(node, set()).add(source)
    ending = reachable_from(reverse, EXIT)
    trapped = {node for node in reachable if node not in ending and node != EXIT}
    for loop in _loops(edges, trapped):
        members = sorted({j for _, j in loop})
        first = steps[members[0]]
        names = ", ".join(f"'{steps[j].step_id}'" for j in members)
        diagnostics.error(
            "endless-loop",
            f"step{'s' if len(members) > 1 else ''} {names} loop{'' if len(members) > 1 else 's'} without end: "
            "once it runs, every success action and the next step lead back into the loop, and none ends the "
            "workflow (only a failure or max_steps stops it); give a goto criteria, or add an end action",
            first.loc,
        )


def _why(workflow: Workflow, index: int) -> str:
    """A hint when the step before always leaves with an action (the usual cause)."""
    if index == 0:
        return ""
    before = workflow.steps[index - 1]
    for action in before.on_success:
        if not action.criteria and action.kind in ("goto", "end"):
            target = (
                f"goto '{action.step_id or action.workflow_id}'" if action.kind == "goto" else "end"
            )
            return f" (step '{before.step_id}' always takes its success action '{action.name}': {target})"
    return ""


def _loops(edges: dict[Node, set[Node]], nodes: set[Node]) -> list[set[Node]]:
    """The strongly connected parts of ``edges`` restricted to ``nodes`` that hold a cycle through a success
    node (a retry alone loops an attempt on itself, bounded by its limit), in step order."""
    found: list[set[Node]] = []
    seen: set[Node] = set()
    inside = {node: {n for n in edges.get(node, set()) if n in nodes} for node in nodes}
    for node in sorted(nodes, key=lambda n: (n[1], n[0])):
        if node in seen:
            continue
        forward = _within(inside, node)
        part = {n for n in forward if node in _within(inside, n)}
        seen |= part
        cyclic = len(part) > 1 or node in inside[node]
        if cyclic and any(kind == "ok" for kind, _ in part):
            found.append(part)
    return found


def _within(inside: dict[Node, set[Node]], start: Node) -> set[Node]:
    seen = {start}
    pending = [start]
    while pending:
        for node in inside[pending.pop()]:
            if node not in seen:
                seen.add(node)
                pending.append(node)
    return seen
