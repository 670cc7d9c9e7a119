"""What a step or an action runs: an operation (by operationId or operationPath) or a workflow."""

from __future__ import annotations

import difflib

from ...diagnostics import Loc
from ...read import YMap
from ..expressions import Nonstandard, pointer_tokens
from ..model import Api, Operation, WorkflowCall
from ..versions import V1_1
from .context import Part, part_loc


class TargetLowering(Part):
    """The operation of a step, found in the document's API sources; the workflow a step, an action or
    ``dependsOn`` names."""

    _action: str | None = None  # the ``action`` of the step being resolved (an AsyncAPI step)

    def depends_on(self, raw: YMap) -> list[WorkflowCall]:
        found: list[WorkflowCall] = []
        items = self.ctx.list_of(raw, "dependsOn")
        for index, item in enumerate(items):
            loc = items.at(index)
            if not isinstance(item, str) or not item:
                self.ctx.wrong_type("a dependsOn entry", "a workflowId", item, loc)
                continue
            call = self.workflow_call(item, loc)
            if call is not None:
                found.append(call)
        return found

    def workflow_call(self, text: str, loc: Loc) -> WorkflowCall | None:
        """``wfId`` (this document) or ``$sourceDescriptions.<name>.<wfId>`` (a ``type: arazzo`` source)."""
        if text.startswith("$sourceDescriptions."):
            name, _, workflow_id = text[len("$sourceDescriptions.") :].partition(".")
            if name in self.ctx.arazzo_sources:
                if (
                    workflow_id.startswith("workflows.")
                    and "." not in workflow_id[len("workflows.") :]
                ):
                    # Redocly's form '$sourceDescriptions.<name>.workflows.<workflowId>'
                    workflow_id = workflow_id[len("workflows.") :]
                    self.ctx.nonstandard(
                        [Nonstandard(0, text, f"$sourceDescriptions.{name}.{workflow_id}")], loc
                    )
                return WorkflowCall(text, self.ctx.arazzo_sources[name], workflow_id, loc)
            if name in self.ctx.sources:
                self.diagnostics.error(
                    "unknown-workflow",
                    f"'{text}': source '{name}' is an API description, not an Arazzo document (type: arazzo)",
                    loc,
                )
                return None
            self.ctx.unknown_source(name, part_loc(loc, len("$sourceDescriptions."), name))
            return None
        return WorkflowCall(text, self.ctx.path, text, loc)

    def step_call(self, raw: YMap) -> WorkflowCall | None:
        """The workflow a ``workflowId`` step runs (checked for exclusivity by :meth:`_target`)."""
        fields = ("operationId", "operationPath", "channelPath", "workflowId") if self.ctx.version == V1_1 else (
            "operationId", "operationPath", "workflowId"
        )  # fmt: skip
        kinds = [key for key in fields if key in raw]
        if kinds != ["workflowId"]:
            if "workflowId" in raw:
                self.target(raw)  # reports the conflict
            return None
        value = raw["workflowId"]
        if not isinstance(value, str) or not value:
            self.diagnostics.error(
                "invalid-step", "workflowId must be a string", raw.at("workflowId")
            )
            return None
        return self.workflow_call(value, raw.at("workflowId"))

    def target(self, raw: YMap) -> tuple[str | None, Api | None, Operation | None]:
        v11 = self.ctx.version == V1_1
        fields = ("operationId", "operationPath", "channelPath", "workflowId") if v11 else (
            "operationId", "operationPath", "workflowId"
        )  # fmt: skip
        kinds = [key for key in fields if key in raw]
        if len(kinds) != 1:
            self.diagnostics.error(
                "invalid-step",
                f"a step needs exactly one of {', '.join(fields[:-1])} or workflowId"
                + (f" (found {', '.join(kinds)})" if kinds else ""),
                raw.at("stepId"),
            )
            return None, None, None
        kind = kinds[0]
        value = raw[kind]
        loc = raw.at(kind)
        if not isinstance(value, str):
            self.diagnostics.error("invalid-step", f"{kind} must be a string", loc)
            return None, None, None
        action = raw.get("action")
        self._action = action if action in ("send", "receive") else None
        if kind == "channelPath":
            found = self._by_channel(value, loc)
        elif (
            kind == "operationPath"
            and v11
            and "#" not in value
            and value.startswith("$sourceDescriptions.")
        ):
            # '$sourceDescriptions.<name>.<operationId>' as an operationPath (the 1.1 specification's own
            # example): no JSON Pointer, so it names the operation by id
            self.diagnostics.warning(
                "operation-path-by-id",
                f"operationPath '{value}' has no JSON Pointer; it is read as the operationId it names: write "
                f"operationId: {value}",
                loc,
            )
            found = self._by_id(value, loc)
        elif kind == "operationPath":
            found = self._by_path(value, loc)
        else:
            found = self._by_id(value, loc)
        if not self._check_action(raw, found[1]):
            return None, None, None
        return found

    def _check_action(self, raw: YMap, api: Api | None) -> bool:
        """An AsyncAPI step needs an ``action`` (else it is not bound: False); an OpenAPI step has none (nor a
        ``correlationId``)."""
        if api is None:
            return True
        if api.kind == "asyncapi" and self._action is None:
            if "action" not in raw:  # a wrong one is reported by the structural checks
                self.diagnostics.error(
                    "invalid-step",
                    "a step of an AsyncAPI operation or channel needs an 'action': send or receive",
                    raw.at("stepId"),
                )
            return False
        if api.kind != "asyncapi":
            for key in ("action", "correlationId"):
                if key in raw:
                    self.diagnostics.error(
                        "invalid-step",
                        f"'{key}' belongs to a step of an AsyncAPI source; this step calls an HTTP operation",
                        raw.key_at(key),
                    )
        return True

    def _lookup(self, api: Api, operation_id: str) -> Operation | None:
        """Operation ``operation_id`` of ``api``: for an AsyncAPI source, its channel's operation in the way
        the step's ``action`` says."""
        if api.kind == "asyncapi":
            return api.message_operation(operation_id, self._action or "send")
        return api.operation(operation_id)

    def _source(self, name: str) -> str | None:
        """The source a step names: ``name``, or its only match ignoring case (with a warning)."""
        if name in self.ctx.sources:
            return name
        folded = [s for s in self.ctx.sources if s.lower() == name.lower()]
        return folded[0] if len(folded) == 1 else None

    def _source_case(self, name: str, found: str, loc: Loc) -> None:
        if found != name:
            self.diagnostics.warning(
                "source-name-case",
                f"no sourceDescription is named '{name}' with that case; its only match ignoring case, "
                f"'{found}', is used: write '{found}'",
                loc,
            )

    def _pointed(self, value: str, loc: Loc) -> tuple[str, Api, tuple[str, ...]] | None:
        """``{$sourceDescriptions.<name>.url}#<pointer>`` (an operationPath or channelPath): the source it names
        (its only match ignoring case, with a warning) and the pointer's tokens; None once an unknown source is
        reported."""
        head, _, pointer = value.partition("#")
        written = head.strip("{}").removeprefix("$sourceDescriptions.").removesuffix(".url")
        at = value.find(f"$sourceDescriptions.{written}")
        where = part_loc(loc, at + len("$sourceDescriptions.") if at != -1 else 0, written)
        name = self._source(written)
        if name is None:
            self._not_an_api(written, value, loc, where)
            return None
        self._source_case(written, name, where)
        return name, self.ctx.sources[name], pointer_tokens(pointer)

    def _by_channel(self, value: str, loc: Loc) -> tuple[str | None, Api | None, Operation | None]:
        """``channelPath``: ``{$sourceDescriptions.<name>.url}#/channels/<key>`` (an AsyncAPI channel)."""
        found = self._pointed(value, loc)
        return (None, None, None) if found is None else self._channel(value, loc, *found)

    def _channel(
        self, value: str, loc: Loc, name: str, api: Api, tokens: tuple[str, ...]
    ) -> tuple[str | None, Api | None, Operation | None]:
        """The channel operation ``#/channels/<key>`` of ``api`` names, in the step's ``action``."""
        channel = (
            api.channel(tokens[1])
            if api.kind == "asyncapi" and len(tokens) == 2 and tokens[0] == "channels"
            else None
        )
        if channel is None:
            keys = [c.key for c in api.channels]
            hint = difflib.get_close_matches(tokens[-1] if tokens else "", keys, n=1)
            self.diagnostics.error(
                "unknown-operation",
                f"channelPath '{value}' does not name a channel of {name} ({api.path.name})"
                + (f"; did you mean '#/channels/{hint[0]}'?" if hint else ""),
                loc,
            )
            return None, None, None
        return name, api, channel.send if self._action == "send" else channel.receive

    def _by_message(
        self, name: str, api: Api, operation_id: str, loc: Loc
    ) -> tuple[str | None, Api | None, Operation | None]:
        """An AsyncAPI reference that names no operation, but exactly one channel's message
        (``confirmOrder`` for the message ``confirmOrder.message`` of channel ``confirm-order``): that channel,
        with a warning."""
        channels = [
            channel
            for channel in api.channels
            if any(
                m == operation_id or m.startswith(operation_id + ".") for m in channel.message_names
            )
        ]
        if len(channels) != 1:
            return None, None, None
        channel = channels[0]
        self.diagnostics.warning(
            "channel-by-message",
            f"'{operation_id}' is no operation of {name} ({api.path.name}); its only channel with a message of "
            f"that name, '{channel.key}', is used: write channelPath: "
            f"'{{$sourceDescriptions.{name}.url}}#/channels/{channel.key.replace('~', '~0').replace('/', '~1')}'",
            Loc(loc.file, loc.line, loc.col, 0),
        )
        return name, api, channel.send if self._action == "send" else channel.receive

    def _by_id(self, value: str, loc: Loc) -> tuple[str | None, Api | None, Operation | None]:
        candidates = self.ctx.sources
        operation_id = value
        if value.startswith("$sourceDescriptions."):
            written, _, operation_id = value[len("$sourceDescriptions.") :].partition(".")
            name = self._source(written)
            if name is None:
                self._not_an_api(
                    written, value, loc, part_loc(loc, len("$sourceDescriptions."), written)
                )
                return None, None, None
            self._source_case(written, name, part_loc(loc, len("$sourceDescriptions."), written))
            candidates = {name: self.ctx.sources[name]}
        found = [(name, api, self._lookup(api, operation_id)) for name, api in candidates.items()]
        hits = [(name, api, op) for name, api, op in found if op is not None]
        if len(hits) == 1:
            return hits[0]
        if len({id(api) for _, api, _ in hits}) == 1 and hits:
            return hits[0]  # several source names for one document
        if hits:
            names = ", ".join(name for name, _, _ in hits)
            self.diagnostics.error(
                "ambiguous-operation",
                f"operationId '{operation_id}' exists in several sources ({names}); write "
                f"'$sourceDescriptions.<name>.{operation_id}' to pick one",
                loc,
            )
            return None, None, None
        if not self.ctx.sources:
            self._no_api_sources(value, loc)
            return None, None, None
        for name, api in candidates.items():
            if api.kind == "asyncapi":
                by_message = self._by_message(name, api, operation_id, loc)
                if by_message[2] is not None:
                    return by_message
        source, _, qualified = value.partition(".")
        named = (
            self.ctx.sources[source].operation(qualified)
            if qualified and source in self.ctx.sources
            else None
        )
        if named is not None:
            # '<source name>.<operationId>' (Redocly's museum example): the source's operation
            self.ctx.nonstandard(
                [Nonstandard(0, value, f"$sourceDescriptions.{source}.{qualified}")], loc
            )
            return source, self.ctx.sources[source], named
        folded = [
            (name, api, op)
            for name, api in candidates.items()
            for op in (api.operations if api.kind != "asyncapi" else [])
            if op.operation_id.lower() == operation_id.lower()
        ]
        if len({id(op) for _, _, op in folded}) == 1:
            # operationIds are case-sensitive (OpenAPI), but a sole match ignoring case is unambiguous
            name, api, op = folded[0]
            self.diagnostics.warning(
                "operation-id-case",
                f"operationId '{operation_id}' is not in {name} ({api.path.name}) with that case; its only "
                f"match ignoring case, '{op.operation_id}', is used: write '{op.operation_id}'",
                Loc(loc.file, loc.line, loc.col, len(value)),
            )
            return folded[0]
        all_ids = [
            op_id
            for api in candidates.values()
            for op_id in (
                api.message_operations
                if api.kind == "asyncapi"
                else [op.operation_id for op in api.operations]
            )
        ]
        where = ", ".join(f"{name} ({api.path.name})" for name, api in candidates.items())
        # operationIds are case-sensitive (OpenAPI); a match ignoring case is the likeliest intent
        hint = [i for i in all_ids if i.lower() == operation_id.lower()][
            :1
        ] or difflib.get_close_matches(operation_id, all_ids, n=1)
        self.diagnostics.error(
            "unknown-operation",
            f"operationId '{operation_id}' is not in {where}"
            + (f"; did you mean '{hint[0]}'?" if hint else ""),
            Loc(loc.file, loc.line, loc.col, len(value)),
        )
        return None, None, None

    def _by_path(self, value: str, loc: Loc) -> tuple[str | None, Api | None, Operation | None]:
        # {$sourceDescriptions.name.url}#/paths/~1pets~1{id}/get
        found = self._pointed(value, loc)
        if found is None:
            return None, None, None
        name, api, tokens = found
        if api.kind == "asyncapi" and len(tokens) == 2 and tokens[0] in ("operations", "channels"):
            if tokens[0] == "channels":
                return self._channel(value, loc, name, api, tokens)
            op = self._lookup(api, tokens[1])
            if op is not None:
                return name, api, op
        if len(tokens) == 3 and tokens[0] == "paths":
            for op in api.operations:
                if op.path == tokens[1] and op.method.lower() == tokens[2].lower():
                    return name, api, op
        if len(tokens) == 2 and tokens[0] == "paths":
            # a pointer to a Path Item (the OAI LoginAndRetrievePets example): unambiguous when it has one operation
            ops = [op for op in api.operations if op.path == tokens[1]]
            if len(ops) == 1:
                self.diagnostics.warning(
                    "operation-path-to-path-item",
                    f"operationPath '{value}' points to a path item, not an operation; its only operation "
                    f"({ops[0].method.lower()}, {ops[0].operation_id}) is used: write '{value}/{ops[0].method.lower()}'",
                    loc,
                )
                return name, api, ops[0]
            if ops:
                methods = ", ".join(op.method.lower() for op in ops)
                self.diagnostics.error(
                    "unknown-operation",
                    f"operationPath '{value}' points to a path item, not an operation; append one of its "
                    f"methods ({methods}), e.g. '{value}/{ops[0].method.lower()}'",
                    loc,
                )
                return None, None, None
        self.diagnostics.error(
            "unknown-operation",
            f"operationPath '{value}' does not name an operation in {name}",
            loc,
        )
        return None, None, None

    def _not_an_api(self, name: str, value: str, loc: Loc, name_loc: Loc) -> None:
        """A step names the operation of a source that is not a resolved API description."""
        if name in self.ctx.arazzo_sources:
            self.diagnostics.error(
                "unknown-operation",
                f"'{value}': source '{name}' is an Arazzo document (type: arazzo), not an API description",
                loc,
            )
        else:
            self.ctx.unknown_source(name, name_loc)

    def _no_api_sources(self, value: str, loc: Loc) -> None:
        """A step names an operation, and no API description resolved: silent when that was reported already
        (a source that did not resolve, or no sources at all), an error when every source is an Arazzo one."""
        unresolved = [
            name for name in self.ctx.declared_sources if name not in self.ctx.arazzo_sources
        ]
        if unresolved or not self.ctx.declared_sources:
            return
        self.diagnostics.error(
            "unknown-operation",
            f"operationId '{value}' is in no API description: every sourceDescription of this document is an "
            f"Arazzo document (type: arazzo): {', '.join(dict.fromkeys(self.ctx.declared_sources))}",
            Loc(loc.file, loc.line, loc.col, len(value)),
        )
