"""Unit tests of the runtime's pure helpers, imported straight from ``arazzo_gen.runtime`` (no package built):
JSON Pointers, parameter text and URL building, Retry-After, redaction, comparisons, read_output, deadlines,
and the criteria modules (regex, JSONPath, XPath)."""

from __future__ import annotations

import base64
import datetime
import email.utils
import enum
import math
import time
from typing import Any

import httpx
import pydantic
import pytest

from arazzo_gen.runtime import _runtime as rt
from arazzo_gen.runtime import _runtime_jsonpath, _runtime_regex, _runtime_xpath


class Colour(enum.Enum):
    RED = "Red"


class Pet(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(populate_by_name=True)
    pet_id: int = pydantic.Field(alias="petId")
    tag: str | None = None


def response(body: Any = None, *, headers: dict[str, str] | None = None, status: int = 200) -> rt.ApiResponse[Any]:
    request = httpx.Request("GET", "https://api.example.test/pets?token=s3cret-value")
    http = httpx.Response(status, json=body, headers=headers, request=request)
    return rt.ApiResponse(http, lambda r: r.json())


# -- json_pointer --------------------------------------------------------------------------------------------
def test_json_pointer_walks_objects_lists_and_models() -> None:
    document = {"pets": [{"name": "Rex"}, {"name": "Tom"}], "a/b": 1}
    assert rt.json_pointer(document, "pets", 1, "name") == "Tom"
    assert rt.json_pointer(document, "pets", "0", "name") == "Rex"
    assert rt.json_pointer(document, "a/b") == 1
    assert rt.json_pointer(document) == document
    assert rt.json_pointer(Pet(petId=3), "petId") == 3  # a model: by alias
    assert rt.json_pointer({"c": Colour.RED}, "c") == "Red"


@pytest.mark.parametrize("tokens", [("missing",), ("pets", 2), ("pets", "-1"), ("pets", "x"), ("pets", 0, "name", "x")])
def test_json_pointer_is_none_where_nothing_is(tokens: tuple[Any, ...]) -> None:
    assert rt.json_pointer({"pets": [{"name": "Rex"}]}, *tokens) is None


# -- parameter text, paths, queries --------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "text"),
    [
        (True, "true"),
        (False, "false"),
        (3, "3"),
        (2.5, "2.5"),
        ("plain", "plain"),
        (Colour.RED, "Red"),
        (datetime.date(2024, 2, 29), "2024-02-29"),
        (datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=datetime.UTC), "2024-01-02T03:04:05+00:00"),
        (["a", 1, True], "a,1,true"),
        ({"b": [1, 2], "c": Colour.RED}, '{"b":[1,2],"c":"Red"}'),
        (Pet(petId=1), '{"petId":1}'),
    ],
)
def test_to_text_is_the_text_a_parameter_travels_as(value: Any, text: str) -> None:
    assert rt.to_text(value) == text


def test_path_values_stay_in_their_segment() -> None:
    assert rt.expand_path("/items/{id}", {"id": "a/b c%"}) == "/items/a%2Fb%20c%25"
    assert rt.expand_path("/items/{id}/x", {"id": ".."}) == "/items/%2E%2E/x"
    assert rt.expand_path("/items/{id}", {"id": "."}) == "/items/%2E"
    assert rt.expand_path("/files/{path+}", {"path+": "a/b"}) == "/files/a/b"
    assert rt.expand_path("/items/{ids}", {"ids": ["a/b", 2]}) == "/items/a%2Fb,2"
    assert rt.expand_path("/items/{id}", {"id": True}) == "/items/true"
    # one pass: a value holding a placeholder is not expanded again; an unknown placeholder stays
    assert rt.expand_path("/{a}/{b}/{c}", {"a": "{b}", "b": "x"}) == "/%7Bb%7D/x/{c}"


def test_styled_path_values_are_encoded_once() -> None:
    label = rt.styled(["a b", "c"], "label", False, "id")
    assert isinstance(label, rt.Encoded) and label == ".a%20b,c"
    assert rt.styled(["a", "b"], "label", True, "id") == ".a.b"
    assert rt.styled(["a", "b"], "matrix", False, "id") == ";id=a,b"
    assert rt.styled(["a", "b"], "matrix", True, "id") == ";id=a;id=b"
    assert rt.expand_path("/items/{id}", {"id": label}) == "/items/.a%20b,c"
    assert rt.styled(None, "label", False, "id") is None


def test_query_pairs() -> None:
    assert rt.query_pairs({"a": None, "b": 1, "c": True}, frozenset()) == [("b", "1"), ("c", "true")]
    assert rt.query_pairs({"tags": ["x", "y"]}, frozenset({"tags"})) == [("tags", "x"), ("tags", "y")]
    assert rt.query_pairs({"tags": ["x", "y"]}, frozenset()) == [("tags", "x,y")]
    assert rt.query_pairs({"f": {"a": 1, "b": None}}, frozenset({"f"})) == [("a", "1")]
    assert rt.query_pairs({"f": {"a": 1}}, frozenset()) == [("f", '{"a":1}')]
    assert rt.query_pairs({"p": Pet(petId=2)}, frozenset({"p"})) == [("petId", "2")]
    deep = rt.styled({"a": {"b": 1}, "c": ["x", "y"], "d": None}, "deepObject", True, "f")
    assert rt.query_pairs({"f": deep}, frozenset()) == [("f[a][b]", "1"), ("f[c]", "x"), ("f[c]", "y")]
    assert rt.styled(["a", "b"], "spaceDelimited", False, "q") == "a b"
    assert rt.styled(["a", "b"], "pipeDelimited", False, "q") == "a|b"


def test_form_fields_and_xml_text() -> None:
    assert rt.form_fields({"a": 1, "b": None, "c": ["x", True]}) == {"a": "1", "c": ["x", "true"]}
    assert rt.xml_text('<a href="x">&</a>') == "&lt;a href=&quot;x&quot;&gt;&amp;&lt;/a&gt;"


# -- Retry-After ---------------------------------------------------------------------------------------------
def test_retry_after_reads_seconds_and_dates_else_the_default() -> None:
    assert rt.retry_after(response(headers={"Retry-After": "7"}), 1.5) == 7.0
    assert rt.retry_after(response(headers={"Retry-After": " 3 "}), 1.5) == 3.0
    assert rt.retry_after(response(), 1.5) == 1.5
    assert rt.retry_after(response(headers={"Retry-After": "soon"}), 1.5) == 1.5
    assert rt.retry_after(response(headers={"Retry-After": "-3"}), 1.5) == 1.5
    past = email.utils.format_datetime(datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC), usegmt=True)
    assert rt.retry_after(response(headers={"Retry-After": past}), 1.5) == 0.0
    soon = datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=60)
    waited = rt.retry_after(response(headers={"Retry-After": email.utils.format_datetime(soon, usegmt=True)}), 1.5)
    assert 50 < waited <= 60


# -- redaction -----------------------------------------------------------------------------------------------
def test_credential_names() -> None:
    for name in ("Authorization", "cookie", "X-Auth-Token", "sig", "api_key", "PASSWORD"):
        assert rt.is_credential_name(name), name
    for name in ("id", "page", "X-Request-Id"):
        assert not rt.is_credential_name(name), name


def test_redact_url_hides_credential_query_values_and_passwords() -> None:
    assert rt.redact_url("https://u:pw@h.test/p?token=abc&q=1&api_key=k") == (
        "https://u:***@h.test/p?token=***&q=1&api_key=***"
    )
    assert rt.redact_url("https://h.test/p?q=1") == "https://h.test/p?q=1"
    assert rt.redact_url("http://[::1") == "http://[::1"  # not a URL: as it was


def test_redactor_hides_remembered_values_in_every_form() -> None:
    redactor = rt.Redactor(["X-Vault-Key"])
    assert redactor.is_secret("x-vault-key") and redactor.is_secret("token") and not redactor.is_secret("q")
    basic = base64.b64encode(b"alice:open-sesame").decode()
    redactor.remember("Authorization", f"Basic {basic}")
    redactor.remember("X-Vault-Key", "vault-9")
    redactor.remember("X-Other", "not-a-secret")  # not a credential name: kept
    redactor.remember("Cookie", "abc")  # shorter than 4: hidden by name only
    text = f"sent {basic}, password open-sesame, key vault-9, vault%2D9?, not-a-secret abc"
    assert redactor.text(text) == "sent ***, password ***, key ***, vault%2D9?, not-a-secret abc"
    assert redactor.content(b"key=vault-9") == b"key=***"
    assert redactor.url("https://h.test/?X-Vault-Key=zz&q=vault-9") == "https://h.test/?X-Vault-Key=***&q=***"
    assert redactor.headers([("Authorization", "x"), ("Accept", "vault-9")]) == [
        ("Authorization", "***"),
        ("Accept", "***"),
    ]


def test_redact_text_hides_credentials_of_live_clients_and_of_header_traces() -> None:
    redactor = rt.Redactor(["X-Key"])
    redactor.remember("X-Key", "live-credential")
    text = "GET https://h.test/?token=t1 (b'Set-Cookie', b'session=1') live-credential"
    assert rt.redact_text(text) == "GET https://h.test/?token=*** (b'Set-Cookie', b'***') ***"


# -- comparisons ---------------------------------------------------------------------------------------------
def test_comparisons_order_numbers_and_case_folded_text_only() -> None:
    assert rt.is_less(1, 2) and not rt.is_less(2, 2) and rt.is_less_or_equal(2, 2)
    assert rt.is_less("a", "B") and rt.is_greater("b", "A") and rt.is_greater_or_equal("B", "b")
    assert rt.is_less("9", 10) and rt.is_greater(10, " 9 ")  # a header compared with a number
    assert rt.is_less(1.5, "2.5")
    assert rt.is_less(Colour.RED, "s")  # an enum: its value
    for left, right in ((None, 1), (1, None), ("abc", 1), (True, 2), ([1], [2]), ({}, 1)):
        assert not rt.is_less(left, right) and not rt.is_greater(left, right)
        assert not rt.is_less_or_equal(left, right) and not rt.is_greater_or_equal(left, right)
    assert rt.fold_case("ÄB") == "äb" and rt.fold_case(3) == 3 and rt.fold_case(Colour.RED) == "red"
    assert rt.as_number("12") == 12 and rt.as_number("1.5") == 1.5 and rt.as_number("x") == "x"


# -- read_output ---------------------------------------------------------------------------------------------
def test_read_output_validates_only_the_value_read() -> None:
    body = {"pet": {"petId": "7", "tags": ["a"]}, "a/b": {"~c": 1}, "bad": "x"}
    assert rt.read_output(response(body), int, "wf", "st", "/pet/petId") == 7
    assert rt.read_output(response(body), Any, "wf", "st", "/pet/tags") == ["a"]
    assert rt.read_output(response(body), int, "wf", "st", "/a~1b/~0c") == 1
    assert rt.read_output(response(body), Pet, "wf", "st", "/pet") == Pet(petId=7)
    assert rt.read_output(response(body), Any, "wf", "st", "") == body


@pytest.mark.parametrize(
    ("pointer", "tp", "problem"),
    [
        ("/pet/name", str, "is missing"),
        ("/pet/tags/1", str, "is missing"),
        ("/bad/0", Any, "is missing"),
        ("/bad", int, "does not validate as int: /bad: Input should be a valid integer, unable to parse string as an "
                      "integer (received 'x')"),
    ],
)
def test_read_output_errors_name_the_pointer_and_what_the_body_held(pointer: str, tp: Any, problem: str) -> None:
    body = {"pet": {"petId": 7, "tags": ["a"]}, "bad": "x"}
    with pytest.raises(rt.StepOutputError) as caught:
        rt.read_output(response(body), tp, "wf", "st", pointer)
    error = caught.value
    assert (error.workflow, error.step, error.pointer, error.problem) == ("wf", "st", pointer, problem)
    assert error.criterion == f"$response.body#{pointer}" and error.status_code == 200
    assert str(error).startswith(f"workflow 'wf' step 'st': $response.body#{pointer} {problem}; the body held {{")
    assert error.response is not None and error.response.is_detached
    assert "s3cret-value" not in error.response.url  # the kept copy is redacted
    assert isinstance(error, rt.StepFailed)


def test_decoded_body_is_json_else_text_else_none() -> None:
    assert response({"a": 1}).decoded == {"a": 1}
    request = httpx.Request("GET", "https://h.test/")
    assert rt.ApiResponse(httpx.Response(200, text="plain", request=request), lambda r: r).decoded == "plain"
    assert rt.ApiResponse(httpx.Response(204, request=request), lambda r: r).decoded is None
    deep = "[" * (rt.MAX_JSON_DEPTH + 5) + "]" * (rt.MAX_JSON_DEPTH + 5)
    too_deep = rt.ApiResponse(httpx.Response(200, text=deep, headers={"content-type": "application/json"},
                                             request=request), lambda r: r)  # fmt: skip
    assert rt.json_pointer(too_deep.decoded, 0) is None  # not decoded as JSON: no RecursionError


# -- deadlines -----------------------------------------------------------------------------------------------
def test_deadline_seconds() -> None:
    assert rt.deadline_seconds(None) is None
    assert rt.deadline_seconds(math.inf) is None
    assert rt.deadline_seconds(rt.LONGEST_DEADLINE) is None
    assert rt.deadline_seconds(-1) == 0.0
    assert rt.deadline_seconds(2) == 2.0
    with pytest.raises(ValueError, match="deadline= must be a number of seconds or None"):
        rt.deadline_seconds(math.nan)


def test_run_deadline_counts_down_and_bounds_waits() -> None:
    unlimited = rt.RunDeadline(None)
    assert unlimited.left() is None and unlimited.bound(5.0) == 5.0
    assert rt.RunDeadline(math.inf).left() is None
    passed = rt.RunDeadline(-1)
    assert passed.left() == 0.0 and passed.bound(3.0) == 0.0
    running = rt.RunDeadline(100)
    left = running.left()
    assert left is not None and 90 < left <= 100
    assert running.bound(1.0) == 1.0 and running.bound(1000.0) <= 100
    with pytest.raises(ValueError):
        rt.RunDeadline(math.nan)


# -- criteria modules ----------------------------------------------------------------------------------------
def test_regex_matches_and_its_time_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    assert _runtime_regex.regex_matches("^a+$", "aaa")
    assert _runtime_regex.regex_matches('"b":2', {"a": 1, "b": 2})  # an object: its compact JSON text
    assert _runtime_regex.regex_matches("^true$", True)
    assert not _runtime_regex.regex_matches(".*", None)
    monkeypatch.setattr(_runtime_regex, "REGEX_TIMEOUT", 0.05)
    start = time.monotonic()
    with pytest.raises(rt.CriterionError, match=r"the regex ran longer than 0\.05 s on a 41-character value") as caught:
        _runtime_regex.regex_matches("^(a|a)*$", "a" * 40 + "!", "wf", "st")
    assert time.monotonic() - start < 5
    assert (caught.value.workflow, caught.value.step, caught.value.criterion) == ("wf", "st", "^(a|a)*$")


def test_jsonpath_matches_reads_the_regex_time_limit_of_the_regex_module(monkeypatch: pytest.MonkeyPatch) -> None:
    assert _runtime_jsonpath.jsonpath_matches("$.pets[?@.name == 'Rex']", {"pets": [{"name": "Rex"}]})
    assert not _runtime_jsonpath.jsonpath_matches("$.pets[?@.name == 'Tom']", {"pets": [{"name": "Rex"}]})
    assert _runtime_jsonpath.jsonpath_matches("$[?match(@, 'a+')]", ["aaa"])
    assert not _runtime_jsonpath.jsonpath_matches("$[?match(@, '(')]", ["("])  # not an I-Regexp
    monkeypatch.setattr(_runtime_regex, "REGEX_TIMEOUT", 0.05)  # the one setting, in _runtime_regex
    with pytest.raises(rt.CriterionError, match=r"a regex in it ran longer than 0\.05 s \(REGEX_TIMEOUT\)"):
        _runtime_jsonpath.jsonpath_matches("$[?match(@, '(a|a)*')]", ["a" * 40 + "!"], "wf", "st")


def test_xpath_matches() -> None:
    feed = b"<feed><title>News</title></feed>"
    assert _runtime_xpath.xpath_matches("/feed/title = 'News'", feed)
    assert _runtime_xpath.xpath_matches("/feed/title", feed.decode(), version="1.0")
    assert not _runtime_xpath.xpath_matches("/feed/missing", feed)
    assert not _runtime_xpath.xpath_matches("/feed", b"<feed>")  # not well-formed
    assert not _runtime_xpath.xpath_matches("/feed", {"feed": 1})  # not XML
    with pytest.raises(rt.CriterionError, match="the XML body was refused"):
        _runtime_xpath.xpath_matches("/a", b'<!DOCTYPE a [<!ENTITY e "x">]><a>&e;</a>', workflow="w", step="s")
    with pytest.raises(rt.CriterionError, match=r"XPath could not evaluate it on this body \([\w:]+\)"):
        _runtime_xpath.xpath_matches("/feed/title + 1", feed, workflow="w", step="s")
