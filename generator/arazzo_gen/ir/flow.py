"""The step graph of a workflow with actions, and what it tells the checks and the emitter.

A workflow with success or failure actions runs as a loop over step labels.  Each step is two nodes: its
*attempt* (the request and its criteria) and its *success* (outputs assigned, success actions taken).  Edges:

* attempt -> success; attempt -> the targets of its failure actions (``retry`` back to the attempt, after the
  ``stepId`` it names when there is one; ``goto`` a step; ``end`` / ``goto`` a workflow -> exit);
* success -> the targets of its success actions, and -> the next step (or exit after the last) unless an
  action without criteria always applies first; a step named by a ``retry`` action's ``stepId`` also goes back
  to the retried step.

A step output is certainly assigned where the success of its step *dominates* (every path from the entry
passes through it): that decides which ``$steps`` references are sound and which workflow outputs may be unset
when the workflow ends (those are ``None`` then, and typed optional).  A reference read where its step's success
is on some paths only is a warning (the value is ``None`` on the others); where it is on none, an error.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .model import Action, Workflow

ENTRY = ("entry", -1)
EXIT = ("exit", -1)
Node = tuple[str, int]


@dataclass
class FlowPlan:
    labels: list[str]
    # step id -> step ids whose success dominates the step's attempt (their outputs are always set there)
    set_before: dict[str, set[str]] = field(default_factory=dict)
    set_at_exit: set[str] = field(default_factory=set)  # step ids whose success dominates the exit
    # step id -> step ids whose success is on *some* path to the step's attempt (their outputs may be set there)
    may_set_before: dict[str, set[str]] = field(default_factory=dict)
    resumes: set[str] = field(default_factory=set)  # step ids named by a retry action's stepId
    reaches_exit: bool = True


def applicable(actions: list[Action]) -> list[Action]:
    """The actions that can apply, in order: those after the first one without criteria never do (a retry
    without criteria is followed by the next ones once its limit is exhausted)."""
    kept: list[Action] = []
    for action in actions:
        if action.kind == "invalid":
            continue
        kept.append(action)
        if not action.criteria and action.kind != "retry":
            break
    return kept


def always_applies(actions: list[Action]) -> bool:
    kept = applicable(actions)
    return bool(kept) and not kept[-1].criteria and kept[-1].kind != "retry"


def plan(workflow: Workflow) -> FlowPlan:
    steps = workflow.steps
    result = FlowPlan([step.step_id for step in steps])
    edges = step_graph(workflow, result.resumes)
    nodes = set(edges) | {n for targets in edges.values() for n in targets}
    preds: dict[Node, set[Node]] = {node: set() for node in nodes}
    for source, targets in edges.items():
        for node in targets:
            preds[node].add(source)
    dom: dict[Node, set[Node]] = {node: set(nodes) for node in nodes}
    dom[ENTRY] = {ENTRY}
    changed = True
    while changed:
        changed = False
        for node in sorted(nodes):
            if node == ENTRY:
                continue
            incoming = [dom[p] for p in preds[node]]
            new = set.intersection(*incoming) | {node} if incoming else {node}
            if new != dom[node]:
                dom[node] = new
                changed = True
    reachable = reachable_from(edges, ENTRY)
    result.reaches_exit = EXIT in reachable
    for i, step in enumerate(steps):
        result.set_before[step.step_id] = {
            steps[j].step_id for kind, j in dom[("try", i)] if kind == "ok"
        }
    result.set_at_exit = (
        {steps[j].step_id for kind, j in dom[EXIT] if kind == "ok"}
        if result.reaches_exit
        else set()
    )
    for j, step in enumerate(steps):
        if ("ok", j) not in reachable:
            continue
        for kind, i in reachable_from(edges, ("ok", j)):
            if kind == "try":
                result.may_set_before.setdefault(steps[i].step_id, set()).add(step.step_id)
    return result


def step_graph(workflow: Workflow, resumes: set[str] | None = None) -> dict[Node, set[Node]]:
    """The edges between the attempt and success nodes of ``workflow``'s steps (see the module docstring).

    The step ids named by a retry action's ``stepId`` are added to ``resumes``.
    """
    steps = workflow.steps
    index = {step.step_id: i for i, step in enumerate(steps)}
    edges: dict[Node, set[Node]] = {ENTRY: {("try", 0)} if steps else {EXIT}}

    def target(action: Action) -> Node:
        if (
            action.kind in ("goto", "retry")
            and action.step_id is not None
            and action.step_id in index
        ):
            return ("try", index[action.step_id])
        return EXIT

    for i, step in enumerate(steps):
        attempt, success = ("try", i), ("ok", i)
        edges.setdefault(attempt, set()).add(success)
        edges.setdefault(success, set())
        for action in applicable(step.on_failure):
            if action.kind == "retry":
                if action.step_id is not None and action.step_id in index:
                    helper = index[action.step_id]
                    if resumes is not None:
                        resumes.add(action.step_id)
                    edges[attempt].add(("try", helper))
                    edges.setdefault(("ok", helper), set()).add(attempt)
                else:
                    edges[attempt].add(attempt)
            else:
                edges[attempt].add(target(action))
        for action in applicable(step.on_success):
            edges[success].add(target(action))
        if not always_applies(step.on_success):
            edges[success].add(("try", i + 1) if i + 1 < len(steps) else EXIT)
    return edges


def reachable_from(edges: dict[Node, set[Node]], start: Node) -> set[Node]:
    """The nodes reachable from ``start`` (itself included)."""
    seen = {start}
    pending = [start]
    while pending:
        for node in edges.get(pending.pop(), set()):
            if node not in seen:
                seen.add(node)
                pending.append(node)
    return seen
