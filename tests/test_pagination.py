"""Issue 15 item 8: an operation whose description says how to page (``x-ms-pageable`` with ``nextLinkName``)
gets ``iter_<operation>`` (sync) and ``aiter_<operation>`` (async) yielding the items of every page, following
the next link with the client's credentials, retries and timeouts, only to the client's own origin."""

from __future__ import annotations

import asyncio
import pickle
import sys
from typing import Any

import pytest

from .scripted import Recorded, Reply, build_package, import_package, scripted

PACKAGE = "paging_pkg"

JOBS_API = """
openapi: 3.0.3
info: {title: Jobs, version: "1"}
components:
  securitySchemes:
    key: {type: apiKey, in: header, name: X-Key}
  schemas:
    Job:
      type: object
      required: [name]
      properties: {name: {type: string}}
security: [{key: []}]
paths:
  /jobs:
    get:
      operationId: listJobs
      parameters:
        - {name: top, in: query, schema: {type: integer}}
      x-ms-pageable: {nextLinkName: nextLink}
      responses:
        "200":
          description: a page of jobs
          content:
            application/json:
              schema:
                type: object
                properties:
                  value: {type: array, items: {$ref: "#/components/schemas/Job"}}
                  nextLink: {type: string, nullable: true}
  /things:
    get:
      operationId: listThings
      x-ms-pageable: {nextLinkName: next, itemName: things}
      responses:
        "200":
          description: a page of things
          content:
            application/json:
              schema:
                type: object
                properties:
                  things: {type: array, items: {type: string}}
                  next: {type: string}
  /repos:
    get:
      operationId: listRepos
      parameters:
        - {name: per_page, in: query, schema: {type: integer}}
      responses:
        "200":
          description: a page of jobs; the Link header's rel="next" names the next page
          headers:
            Link: {schema: {type: string}}
          content:
            application/json:
              schema: {type: array, items: {$ref: "#/components/schemas/Job"}}
  /feed:
    get:
      operationId: listFeed
      responses:
        "200":
          description: a page of the feed; next names the next page
          content:
            application/json:
              schema:
                type: object
                properties:
                  entries: {type: array, items: {type: string}}
                  next: {type: string, nullable: true}
                  count: {type: integer}
  /single:
    get:
      operationId: listOnce
      x-ms-pageable: {nextLinkName: null}
      responses:
        "200":
          description: all at once
          content:
            application/json:
              schema: {type: object, properties: {value: {type: array, items: {type: string}}}}
"""

FLOWS = """
arazzo: 1.0.1
info: {title: Jobs flows, version: "1"}
sourceDescriptions:
  - {name: jobs, url: ../openapi/jobs.yaml, type: openapi}
workflows:
  - workflowId: first-page
    steps:
      - stepId: list
        operationId: listJobs
        successCriteria: [{condition: $statusCode == 200}]
"""

FILES = {"openapi/jobs.yaml": JOBS_API, "arazzo/flows.arazzo.yaml": FLOWS}
KEY = "paging-secret-key-42"


@pytest.fixture(scope="module")
def client_module(tmp_path_factory: pytest.TempPathFactory) -> Any:
    out, _ = build_package(tmp_path_factory.mktemp("paging"), FILES, PACKAGE)
    import_package(out, PACKAGE)
    return sys.modules[f"{PACKAGE}.apis.jobs.client"]


def three_pages(base: str, retry_page_two: bool = False) -> Any:
    """Page 1 links page 2 by absolute URL, page 2 links page 3 by a relative one, page 3 ends."""
    seen: dict[str, int] = {}

    def reply(request: Recorded) -> Reply:
        page = dict(request.query).get("page", "1")
        seen[page] = seen.get(page, 0) + 1
        if page == "1":
            return Reply(
                200, {"value": [{"name": "a"}, {"name": "b"}], "nextLink": f"{base()}/jobs?page=2"}
            )
        if page == "2":
            if retry_page_two and seen[page] == 1:
                return Reply(503, {"error": "busy"}, headers={"Retry-After": "0"})
            return Reply(200, {"value": [{"name": "c"}], "nextLink": "/jobs?page=3"})
        return Reply(200, {"value": [{"name": "d"}, {"name": "e"}], "nextLink": None})

    return reply


def _lines(requests: list[Recorded]) -> list[tuple[str, list[tuple[str, str]], str | None]]:
    return [(r.line, r.query, r.headers.get("x-key")) for r in requests]


EXPECTED = [
    ("GET /jobs", [("top", "2")], KEY),
    ("GET /jobs", [("page", "2")], KEY),
    ("GET /jobs", [("page", "3")], KEY),
]


def test_iter_follows_next_links_with_the_credentials(client_module: Any) -> None:
    holder: list[str] = []
    with scripted(three_pages(lambda: holder[0])) as server:
        holder.append(server.url)
        with client_module.Client(server.url, key=KEY) as client:
            names = [job.name for job in client.iter_list_jobs(top=2)]
    assert names == ["a", "b", "c", "d", "e"]
    assert _lines(server.requests) == EXPECTED


def test_aiter_follows_next_links_with_the_credentials(client_module: Any) -> None:
    holder: list[str] = []

    async def collect(url: str) -> list[str]:
        async with client_module.AsyncClient(url, key=KEY) as client:
            return [job.name async for job in client.aiter_list_jobs(top=2)]

    with scripted(three_pages(lambda: holder[0])) as server:
        holder.append(server.url)
        names = asyncio.run(collect(server.url))
    assert names == ["a", "b", "c", "d", "e"]
    assert _lines(server.requests) == EXPECTED


def test_a_next_page_is_retried_like_any_call(client_module: Any) -> None:
    holder: list[str] = []
    with scripted(three_pages(lambda: holder[0], retry_page_two=True)) as server:
        holder.append(server.url)
        with client_module.Client(server.url, key=KEY, max_retries=1) as client:
            client.sleep = lambda seconds: None
            names = [job.name for job in client.iter_list_jobs(top=2)]
    assert names == ["a", "b", "c", "d", "e"]
    assert [r.query for r in server.requests] == [
        [("top", "2")],
        [("page", "2")],
        [("page", "2")],
        [("page", "3")],
    ]


def test_item_name_and_next_link_name_from_the_description(client_module: Any) -> None:
    def reply(request: Recorded) -> Reply:
        if not request.query:
            return Reply(200, {"things": ["x", "y"], "next": "/things?p=2"})
        return Reply(200, {"things": ["z"]})

    with scripted(reply) as server, client_module.Client(server.url) as client:
        assert list(client.iter_list_things()) == ["x", "y", "z"]
        assert [r.query for r in server.requests] == [[], [("p", "2")]]
    assert not hasattr(
        client_module.Client, "iter_list_once"
    )  # nextLinkName null: one page, no iterator


@pytest.mark.parametrize("is_async", [False, True])
def test_a_next_link_to_another_origin_is_refused_without_a_request(
    client_module: Any, is_async: bool
) -> None:
    with scripted({("GET", "/jobs"): [Reply(200, {"value": []})]}) as other:
        evil = f"{other.url}/jobs?page=2"
        with scripted(
            {("GET", "/jobs"): [Reply(200, {"value": [{"name": "a"}], "nextLink": evil})]}
        ) as server:
            got: list[str] = []

            async def collect() -> None:
                async with client_module.AsyncClient(server.url, key=KEY) as client:
                    async for job in client.aiter_list_jobs():
                        got.append(job.name)

            with pytest.raises(sys.modules[PACKAGE].PageLinkError) as caught:
                if is_async:
                    asyncio.run(collect())
                else:
                    with client_module.Client(server.url, key=KEY) as client:
                        for job in client.iter_list_jobs():
                            got.append(job.name)
        assert other.requests == []
    assert got == ["a"]
    assert isinstance(caught.value, sys.modules[PACKAGE].ApiError)
    clone = pickle.loads(pickle.dumps(caught.value))
    assert (type(clone), str(clone), clone.link) == (
        type(caught.value),
        str(caught.value),
        caught.value.link,
    )
    assert "another origin" in str(caught.value) and KEY not in str(caught.value)
    assert len(server.requests) == 1


def test_the_azure_seed_lists_get_iterators() -> None:
    from quantum_workflows.apis.azure_quantum_data_plane import client

    assert callable(client.Client.iter_sessions_jobs_list)
    assert callable(client.AsyncClient.aiter_sessions_jobs_list)


def test_a_documented_link_header_is_followed(client_module: Any) -> None:
    holder: list[str] = []

    def reply(request: Recorded) -> Reply:
        page = dict(request.query).get("page", "1")
        body = {"1": [{"name": "a"}, {"name": "b"}], "2": [{"name": "c"}], "3": [{"name": "d"}]}[
            page
        ]
        links = {
            "1": f'<{holder[0]}/repos?page=2&per_page=2>; rel="next", <{holder[0]}/repos?page=3>; rel="last"',
            "2": '</repos?page=3&per_page=2>; rel="prev next"',
            "3": f'<{holder[0]}/repos?page=1>; rel="first"',
        }
        return Reply(200, body, headers={"Link": links[page]})

    with scripted(reply) as server:
        holder.append(server.url)
        with client_module.Client(server.url, key=KEY) as client:
            names = [job.name for job in client.iter_list_repos(per_page=2)]
    assert names == ["a", "b", "c", "d"]
    assert _lines(server.requests) == [
        ("GET /repos", [("per_page", "2")], KEY),
        ("GET /repos", [("page", "2"), ("per_page", "2")], KEY),
        ("GET /repos", [("page", "3"), ("per_page", "2")], KEY),
    ]


def test_a_documented_next_member_is_followed_async(client_module: Any) -> None:
    def reply(request: Recorded) -> Reply:
        page = dict(request.query).get("page", "1")
        following = {"1": "/feed?page=2", "2": "/feed?page=3", "3": None}[page]
        return Reply(200, {"entries": [f"e{page}"], "next": following, "count": 3})

    async def collect(url: str) -> list[str]:
        async with client_module.AsyncClient(url, key=KEY) as client:
            return [entry async for entry in client.aiter_list_feed()]

    with scripted(reply) as server:
        assert asyncio.run(collect(server.url)) == ["e1", "e2", "e3"]
    assert _lines(server.requests) == [
        ("GET /feed", [], KEY),
        ("GET /feed", [("page", "2")], KEY),
        ("GET /feed", [("page", "3")], KEY),
    ]
