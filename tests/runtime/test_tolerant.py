"""Tolerant reading (the default) and strict validation (on request) of response bodies, imported straight from
``arazzo_gen.runtime``: models built despite drift, values kept as received, messages naming each member."""

from __future__ import annotations

import enum
import pickle
from typing import Annotated, Any

import httpx
import pydantic
import pytest

from arazzo_gen.runtime import _runtime as rt


class Status(enum.Enum):
    OPEN = "Open"


class Data(pydantic.BaseModel):
    count: int


class Job(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(populate_by_name=True)
    id: Annotated[str, pydantic.Field(max_length=4)]
    name: str
    provider_id: Annotated[str, pydantic.Field(alias="providerId")]
    status: Status | None = None
    data: Data | None = None
    tags: list[str] = pydantic.Field(default_factory=list)


class Page(pydantic.BaseModel):
    value: list[Job]
    next_link: Annotated[str | None, pydantic.Field(alias="nextLink")] = None


class Loose(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="allow")
    a: int


class Names(pydantic.RootModel[list[Job]]):
    root: list[Job]


RESPONSES: dict[str, Any] = {"200": Page}


def response(body: Any, *, strict: bool = False) -> rt.ApiResponse[Any]:
    request = httpx.Request("GET", "https://api.example.test/jobs")
    return rt.handle(httpx.Response(200, json=body, request=request), RESPONSES, None, strict)


DRIFTED = {"value": [{"id": "j1", "status": "Open", "data": {"count": "3"}, "extra": 1},
                     {"id": "toolong", "name": 7, "providerId": "p", "status": "Paused", "data": {"count": "many"}}]}  # fmt: skip


def test_a_drifted_body_becomes_models_with_what_fits_validated_and_the_rest_as_received() -> None:
    page = response(DRIFTED).parsed
    assert isinstance(page, Page) and page.next_link is None
    first, second = page.value
    assert isinstance(first, Job) and isinstance(second, Job)
    assert (first.id, first.status, first.tags) == ("j1", Status.OPEN, [])  # validated where it fits; defaults
    assert isinstance(first.data, Data) and first.data.count == 3
    with pytest.raises(AttributeError):
        first.name  # noqa: B018 - a required member the body lacks is not invented
    assert not hasattr(first, "extra")  # the model ignores extra members
    assert (second.id, second.name, second.status, second.provider_id) == ("toolong", 7, "Paused", "p")
    assert isinstance(second.data, Data) and second.data.count == "many"  # kept as received
    assert first.model_fields_set == {"id", "status", "data"}
    assert page.model_dump(by_alias=True, exclude_unset=True, warnings=False)["value"][0] == {
        "id": "j1", "status": Status.OPEN, "data": {"count": 3}
    }  # fmt: skip


def test_a_well_formed_body_is_validated_as_before() -> None:
    page = response({"value": [{"id": "j1", "name": "n", "providerId": "p"}]}).parsed
    assert page == Page(value=[Job(id="j1", name="n", providerId="p")])


def test_tolerant_builds_root_models_unions_mappings_and_keeps_extras_the_model_allows() -> None:
    names = rt.tolerant(Names, [{"id": "j1"}])
    assert isinstance(names, Names) and isinstance(names.root[0], Job) and names.root[0].id == "j1"
    assert rt.tolerant(dict[str, Job], {"k": {"id": "x"}})["k"].id == "x"
    union = rt.tolerant(Data | Job | None, {"id": "x", "providerId": "p"})
    assert isinstance(union, Job)  # the member sharing most keys
    assert rt.tolerant(Data | None, None) is None
    assert rt.tolerant(list[Job], "not a list") == "not a list"  # kept as received
    loose = rt.tolerant(Loose, {"a": "x", "b": 2})
    assert (loose.a, loose.model_extra) == ("x", {"b": 2})


def test_strict_validation_names_each_failing_member_and_what_it_held() -> None:
    strict = response(DRIFTED, strict=True)
    assert strict.strict_validation
    with pytest.raises(rt.ResponseValidationError) as caught:
        strict.parsed  # noqa: B018
    message = str(caught.value)
    assert "/value/0/name: missing" in message and "/value/0/providerId: missing" in message
    assert "/value/1/id: String should have at most 4 characters (received 'toolong')" in message
    assert "/value/1/status: Input should be 'Open' (received 'Paused')" in message
    assert "/value/1/data/count: Input should be a valid integer" in message
    assert "is not list" not in message
    clone = pickle.loads(pickle.dumps(strict.detached()))  # strictness travels with the copy
    assert clone.strict_validation


def test_strict_messages_are_capped() -> None:
    with pytest.raises(rt.ResponseValidationError) as caught:
        response({"value": [{}] * 10}, strict=True).parsed  # noqa: B018
    assert str(caught.value).endswith("; and 20 more")


def test_read_output_passes_objects_and_lists_on_whole_but_checks_scalars() -> None:
    drifted = response(DRIFTED)
    jobs = rt.read_output(drifted, list[Job], "wf", "st", "/value")
    assert [job.id for job in jobs] == ["j1", "toolong"] and all(isinstance(job, Job) for job in jobs)
    assert rt.read_output(drifted, Job, "wf", "st", "/value/0").id == "j1"
    assert rt.read_output(drifted, Status | None, "wf", "st", "/value/0/status") is Status.OPEN
    with pytest.raises(rt.StepOutputError) as caught:  # a scalar read by pointer must be usable
        rt.read_output(drifted, Status | None, "wf", "st", "/value/1/status")
    assert caught.value.problem == "does not validate as Status | None: /value/1/status: Input should be 'Open' (received 'Paused')"
    with pytest.raises(rt.StepOutputError) as caught:  # a list that is no list is not usable
        rt.read_output(drifted, list[Job], "wf", "st", "/value/0")
    assert caught.value.problem.startswith("does not validate as list[Job]: /value/0: Input should be a valid list")


def test_read_output_on_a_strict_response_validates_every_member() -> None:
    with pytest.raises(rt.StepOutputError) as caught:
        rt.read_output(response(DRIFTED, strict=True), list[Job], "wf", "st", "/value")
    problem = caught.value.problem
    assert problem.startswith("does not validate as list[Job]: /value/0/name: missing; /value/0/providerId: missing")
    assert "is not list" not in problem


def test_read_output_fails_where_the_outputs_could_not_hold_the_value() -> None:
    """An item that is no object where the list holds models (or a scalar item of another type) is not
    usable: the workflow's outputs model would refuse it with pydantic's raw error."""
    body = {"value": [{"id": "j1"}, "not a job"], "names": ["a", 7]}
    with pytest.raises(rt.StepOutputError) as caught:
        rt.read_output(response(body), list[Job], "wf", "st", "/value")
    assert caught.value.problem.startswith("does not validate as list[Job]: /value/1: Input should be a valid")
    with pytest.raises(rt.StepOutputError) as caught:
        rt.read_output(response(body), list[str], "wf", "st", "/names")
    assert caught.value.problem.startswith("does not validate as list[str]: /names/1: Input should be a valid string")
