"""Tests for arazzo_gen.ir.expressions: runtime expressions, embedded strings and simple conditions."""

from __future__ import annotations

import dataclasses
import random
from pathlib import Path
from typing import Any

import pytest

from arazzo_gen.ir.expressions import (
    And,
    Compare,
    ComponentRef,
    ExpressionError,
    InputRef,
    Literal,
    Method,
    Nonstandard,
    Not,
    Or,
    OutputRef,
    RequestRef,
    ResponseRef,
    SourceRef,
    StatusCode,
    StepRef,
    Template,
    Truthy,
    Url,
    WorkflowRef,
    expressions_in,
    parse_condition,
    parse_expression,
    parse_value,
    to_source,
)

ROOT = Path(__file__).resolve().parent.parent
ROOTS_LIST = (
    "$url, $method, $statusCode, $request, $response, $message, $inputs, $outputs, $steps, $workflows, "
    "$sourceDescriptions, $components"
)


def error_of(fn: Any, text: Any) -> ExpressionError:
    with pytest.raises(ExpressionError) as info:
        fn(text)
    return info.value


# -- parse_expression ---------------------------------------------------------------------------------------
EXPRESSIONS = [
    ("$url", Url()),
    ("$method", Method()),
    ("$statusCode", StatusCode()),
    ("$request.header.Accept", RequestRef("header", "Accept", ())),
    ("$request.query.page", RequestRef("query", "page", ())),
    ("$request.query.page.size", RequestRef("query", "page.size", ())),
    ("$request.path.sessionId", RequestRef("path", "sessionId", ())),
    ("$request.body", RequestRef("body", None, ())),
    ("$request.body#/a/b", RequestRef("body", None, ("a", "b"))),
    ("$response.header.X-Rate", ResponseRef("header", "X-Rate", ())),
    ("$response.header.x-request-id", ResponseRef("header", "x-request-id", ())),
    ("$response.body", ResponseRef("body", None, ())),
    ("$response.body#/value/0/id", ResponseRef("body", None, ("value", "0", "id"))),
    ("$response.body#/state", ResponseRef("body", None, ("state",))),
    ("$inputs.accessToken", InputRef("accessToken", ())),
    ("$inputs.a.b", InputRef("a", ("b",))),
    ("$inputs.a#/b/0", InputRef("a", ("b", "0"))),
    ("$inputs.a.b#/c", InputRef("a", ("b", "c"))),
    ("$inputs.snake_case-and-dash", InputRef("snake_case-and-dash", ())),
    ("$outputs.name", OutputRef("name", ())),
    ("$outputs.name#/x", OutputRef("name", ("x",))),
    ("$outputs.name.x.y", OutputRef("name", ("x", "y"))),
    ("$steps.createSession.outputs.sessionId", StepRef("createSession", "sessionId", ())),
    ("$steps.s.outputs.x#/a", StepRef("s", "x", ("a",))),
    ("$steps.s.outputs.x.y", StepRef("s", "x", ("y",))),
    ("$steps.get-pet_1.outputs.x#/0/name", StepRef("get-pet_1", "x", ("0", "name"))),
    ("$workflows.wf.outputs.name", WorkflowRef("wf", "name", ())),
    ("$workflows.wf.outputs.name#/a/b", WorkflowRef("wf", "name", ("a", "b"))),
    ("$workflows.wf.outputs.name.a", WorkflowRef("wf", "name", ("a",))),
    ("$sourceDescriptions.petStore.url", SourceRef("petStore", "url")),
    ("$sourceDescriptions.petStore.getPetById", SourceRef("petStore", "getPetById")),
    ("$sourceDescriptions.petStore.a.b", SourceRef("petStore", "a.b")),
    ("$components.parameters.foo", ComponentRef("parameters", "foo")),
    ("$components.inputs.pagination", ComponentRef("inputs", "pagination")),
    ("$components.successActions.done", ComponentRef("successActions", "done")),
    ("$components.failureActions.retry", ComponentRef("failureActions", "retry")),
]


@pytest.mark.parametrize(("text", "expected"), EXPRESSIONS)
def test_parse_expression(text: str, expected: object) -> None:
    assert parse_expression(text) == expected


@pytest.mark.parametrize(("text", "expected"), EXPRESSIONS)
def test_expression_round_trip(text: str, expected: object) -> None:
    assert parse_expression(to_source(parse_expression(text))) == expected


@pytest.mark.parametrize(
    ("text", "source"),
    [
        ("$response.body#/value/0/id", "$response.body#/value/0/id"),
        ("$steps.createSession.outputs.sessionId", "$steps.createSession.outputs.sessionId"),
        ("$inputs.a#/b", "$inputs.a.b"),  # plain-name paths render with dots ...
        ("$inputs.a#/b/0", "$inputs.a#/b/0"),  # ... numeric tokens keep the pointer form
        ("$inputs.a.b.0", "$inputs.a#/b/0"),
        ("$steps.s.outputs.x#/a b", "$steps.s.outputs.x#/a b"),
        ("$request.body#/a~1b/c~0d", "$request.body#/a~1b/c~0d"),
        ("$response.body#", "$response.body"),
        ("$response.body#/", "$response.body"),
        ("{$inputs.x}", "$inputs.x"),
        ("  $statusCode \n", "$statusCode"),
        ("$response.header.X-Rate", "$response.header.X-Rate"),
        ("$sourceDescriptions.petStore.url", "$sourceDescriptions.petStore.url"),
    ],
)
def test_expression_to_source(text: str, source: str) -> None:
    assert to_source(parse_expression(text)) == source


@pytest.mark.parametrize(
    ("text", "pointer"),
    [
        ("$response.body#/a~1b", ("a/b",)),
        ("$response.body#/a~0b", ("a~b",)),
        ("$response.body#/~01", ("~1",)),  # ~0 is decoded last: '~01' is '~' then '1'
        ("$response.body#/~10", ("/0",)),
        ("$response.body#/a//b", ("a", "", "b")),
        ("$response.body#/a/", ("a", "")),
        ("$response.body#/ä ö", ("ä ö",)),
        ("$response.body#/items[0]", ("items[0]",)),
    ],
)
def test_pointer_unescaping(text: str, pointer: tuple[str, ...]) -> None:
    expr = parse_expression(text)
    assert expr == ResponseRef("body", None, pointer)
    assert parse_expression(to_source(expr)) == expr


def test_header_names_are_case_preserved() -> None:
    assert parse_expression("$request.header.X-API-Key") == RequestRef("header", "X-API-Key", ())
    assert parse_expression("$response.header.etag") == ResponseRef("header", "etag", ())


def test_braced_whole_expression_is_accepted() -> None:
    assert parse_expression(" {$steps.s.outputs.x#/a} ") == StepRef("s", "x", ("a",))


# -- parse_expression errors --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "message", "offset"),
    [
        (
            "$input.x",
            (
                f"unknown expression root '$input'; expected one of {ROOTS_LIST}; "
                "did you mean '$inputs'?"
            ),
            0,
        ),
        (
            "$statuscode",
            (
                f"unknown expression root '$statuscode'; expected one of {ROOTS_LIST}; "
                "did you mean '$statusCode'?"
            ),
            0,
        ),
        (
            "  $stepz.a.outputs.b",
            (
                f"unknown expression root '$stepz'; expected one of {ROOTS_LIST}; "
                "did you mean '$steps'?"
            ),
            2,
        ),
        ("$bogus", f"unknown expression root '$bogus'; expected one of {ROOTS_LIST}", 0),
        (
            "$",
            f"expected an expression root after '$', got nothing; expected one of {ROOTS_LIST}",
            1,
        ),
        ("$inputs", "incomplete runtime expression '$inputs'; expected '$inputs.<name>'", 7),
        ("$inputs.", "incomplete runtime expression '$inputs'; expected '$inputs.<name>'", 8),
        ("$outputs", "incomplete runtime expression '$outputs'; expected '$outputs.<name>'", 8),
        (
            "$steps.createSession",
            (
                "incomplete runtime expression '$steps.createSession'; "
                "expected '$steps.createSession.outputs.<name>'"
            ),
            20,
        ),
        (
            "$steps",
            "incomplete runtime expression '$steps'; expected '$steps.<stepId>.outputs.<name>'",
            6,
        ),
        (
            "$steps.s.output.x",
            "unsupported reference '$steps.s.output'; expected '$steps.s.outputs.<name>'",
            9,
        ),
        (
            "$steps.s.outputs",
            "incomplete runtime expression '$steps.s.outputs'; expected '$steps.s.outputs.<name>'",
            16,
        ),
        (
            "$workflows.wf",
            (
                "incomplete runtime expression '$workflows.wf'; "
                "expected '$workflows.wf.inputs|outputs.<name>'"
            ),
            13,
        ),
        (
            "$statusCode == 200",
            "unexpected ' == 200' after runtime expression '$statusCode'",
            11,
        ),
        ("$url.x", "unexpected '.x' after runtime expression '$url'", 4),
        ("$inputs.x y", "unexpected ' y' after runtime expression '$inputs.x'", 9),
        ("$inputs.x.", "expected a name after '$inputs.x.'", 10),
        ("$inputs.x..y", "expected a name after '$inputs.x.'", 10),
        (
            "$response.body#a",
            "a JSON pointer must start with '/' after '#', got '#a'",
            15,
        ),
        (
            "$response.body#/a/b~2",
            "invalid escape '~2' in JSON pointer; use '~0' for '~' and '~1' for '/'",
            19,
        ),
        (
            "$response.body#/a~",
            "invalid escape '~' in JSON pointer; use '~0' for '~' and '~1' for '/'",
            17,
        ),
        (
            "$response.body.id",
            (
                "'$response.body' is followed by a JSON pointer, not a '.' path; "
                "write '$response.body#/...'"
            ),
            14,
        ),
        (
            "$request.query.x#/a",
            "a JSON pointer is only allowed after '$request.body', not after '$request.query.x'",
            16,
        ),
        (
            "$response.query.x",
            "unknown response source 'query' in '$response.query'; expected one of header, body",
            10,
        ),
        (
            "$request.headers.x",
            (
                "unknown request source 'headers' in '$request.headers'; expected one of header, "
                "query, path, body; did you mean 'header'?"
            ),
            9,
        ),
        (
            "$request",
            (
                "incomplete runtime expression '$request'; expected '$request.header.<name>' or "
                "'$request.query.<name>' or '$request.path.<name>' or '$request.body#/<pointer>'"
            ),
            8,
        ),
        (
            "$request.header",
            "incomplete runtime expression '$request.header'; expected '$request.header.<name>'",
            15,
        ),
        (
            "$components.parameter.x",
            (
                "unknown component kind 'parameter' in '$components.parameter'; expected one of "
                "inputs, parameters, successActions, failureActions; did you mean 'parameters'?"
            ),
            12,
        ),
        (
            "$components.inputs",
            (
                "incomplete runtime expression '$components.inputs'; "
                "expected '$components.inputs.<name>'"
            ),
            18,
        ),
        (
            "$sourceDescriptions.petStore",
            (
                "incomplete runtime expression '$sourceDescriptions.petStore'; "
                "expected '$sourceDescriptions.petStore.<field>'"
            ),
            28,
        ),
        ("", "expected a runtime expression, got an empty string", 0),
        ("   ", "expected a runtime expression, got an empty string", 3),
        ("inputs.x", "a runtime expression must start with '$', got 'inputs.x'", 0),
        ("{$inputs.x", "unterminated '{': no matching '}' for the embedded expression", 0),
        ("{$inputs.x} y", "unexpected ' y' after embedded expression", 11),
        ("{$inputs.x }", "unexpected ' ' after runtime expression '$inputs.x' inside braces", 10),
    ],
)
def test_parse_expression_errors(text: str, message: str, offset: int) -> None:
    err = error_of(parse_expression, text)
    assert err.message == message
    assert err.offset == offset
    assert str(err) == message


def test_error_is_an_exception_with_attributes() -> None:
    err = ExpressionError("boom", 3)
    assert isinstance(err, Exception)
    assert (err.message, err.offset) == ("boom", 3)


@pytest.mark.parametrize("bad", [None, 42, b"$url", ["$url"]])
def test_non_strings_raise_expression_error(bad: object) -> None:
    for fn in (parse_expression, parse_value, parse_condition):
        err = error_of(fn, bad)
        assert err.offset == 0
        assert err.message.startswith("expected a string, got ")


# -- parse_value --------------------------------------------------------------------------------------------
VALUES: list[tuple[str, object]] = [
    ("Bearer $inputs.accessToken", Template(("Bearer ", InputRef("accessToken", ())))),
    ("Bearer {$inputs.accessToken}", Template(("Bearer ", InputRef("accessToken", ())))),
    ("$inputs.x", InputRef("x", ())),
    ("{$inputs.x}", InputRef("x", ())),
    ("$steps.createSession.outputs.sessionId", StepRef("createSession", "sessionId", ())),
    ("$response.body#/value/0/id", ResponseRef("body", None, ("value", "0", "id"))),
    ("plain text", "plain text"),
    ("", ""),
    ("costs $5", "costs $5"),
    ("$ref", "$ref"),
    ("$5", "$5"),
    ("$urlencoded", "$urlencoded"),
    ("$inputs", "$inputs"),  # a root without its '.' is not recognised unbraced
    ("the $steps are done", "the $steps are done"),
    ("$input.x", "$input.x"),  # not a known root, so literal text
    ("{ $inputs.x }", Template(("{ ", InputRef("x", ()), " }"))),
    ("{not an expression}", "{not an expression}"),
    ("}{", "}{"),
    ("token is $inputs.x.", Template(("token is ", InputRef("x", ()), "."))),
    ("token is $inputs.x.y.", Template(("token is ", InputRef("x", ("y",)), "."))),
    (
        "see $response.header.X-Rate. Done",
        Template(("see ", ResponseRef("header", "X-Rate", ()), ". Done")),
    ),
    ("$inputs.a..b", Template((InputRef("a", ()), "..b"))),
    ("$url?x=1", Template((Url(), "?x=1"))),
    ("$method-$statusCode", Template((Method(), "-", StatusCode()))),
    (
        "id=$response.body#/a/b; next",
        Template(("id=", ResponseRef("body", None, ("a", "b;")), " next")),
    ),
    (
        "x $steps.s.outputs.y#/a/b c",
        Template(("x ", StepRef("s", "y", ("a", "b")), " c")),
    ),
    ("item $inputs.id#1", Template(("item ", InputRef("id", ()), "#1"))),
    ("{$response.body#/a b}", ResponseRef("body", None, ("a b",))),
    ("{$response.body#/a{b}c}", ResponseRef("body", None, ("a{b}c",))),
    ("{$inputs.a}{$inputs.b}", Template((InputRef("a", ()), InputRef("b", ())))),
    ("${$inputs.x}", Template(("$", InputRef("x", ())))),
    ("{{$inputs.x}", Template(("{", InputRef("x", ())))),
    ("$$inputs.x", Template(("$", InputRef("x", ())))),
    (" $inputs.x", Template((" ", InputRef("x", ())))),
    ("a-$inputs.x-b", Template(("a-", InputRef("x-b", ())))),
    ("/pets/{$inputs.petId}/photos", Template(("/pets/", InputRef("petId", ()), "/photos"))),
    (
        "$sourceDescriptions.api.url/v2",
        Template((SourceRef("api", "url"), "/v2")),
    ),
]


@pytest.mark.parametrize(("text", "expected"), VALUES)
def test_parse_value(text: str, expected: object) -> None:
    result = parse_value(text)
    assert result == expected
    assert type(result) is type(expected)


@pytest.mark.parametrize(("text", "expected"), VALUES)
def test_value_round_trip(text: str, expected: object) -> None:
    result = parse_value(text)
    if isinstance(result, (str, Template)):
        assert parse_value(to_source(result)) == result
    else:  # a whole-value expression renders bare; its inverse is parse_expression
        assert parse_expression(to_source(result)) == result


def test_literal_value_is_returned_unchanged() -> None:
    text = "costs $5 {literally}"
    assert parse_value(text) is text


@pytest.mark.parametrize(
    ("text", "source"),
    [
        ("Bearer $inputs.accessToken", "Bearer {$inputs.accessToken}"),
        ("token is $inputs.x.", "token is {$inputs.x}."),
        ("{{$inputs.x}", "{{$inputs.x}"),
        ("$$inputs.x", "${$inputs.x}"),
        # a pointer with an unbalanced brace can only be written back unbraced
        ('{"id": "$response.body#/id"}', '{"id": "$response.body#/id"}'),
    ],
)
def test_template_to_source(text: str, source: str) -> None:
    assert to_source(parse_value(text)) == source


def test_template_parts_never_hold_adjacent_or_empty_literals() -> None:
    result = parse_value("a $5 b $ref c {x} $inputs.q d")
    assert result == Template(("a $5 b $ref c {x} ", InputRef("q", ()), " d"))


def test_unbraced_pointer_runs_to_whitespace() -> None:
    assert parse_value('{"id": "$response.body#/id"}') == Template(
        ('{"id": "', ResponseRef("body", None, ('id"}',)))
    )


@pytest.mark.parametrize(
    ("text", "message", "offset"),
    [
        ("{$inputs.x", "unterminated '{': no matching '}' for the embedded expression", 0),
        ("a {$inputs.x {b}", "unterminated '{': no matching '}' for the embedded expression", 2),
        (
            "x {$input.y} z",
            (
                f"unknown expression root '$input'; expected one of {ROOTS_LIST}; "
                "did you mean '$inputs'?"
            ),
            3,
        ),
        ("{$5}", f"unknown expression root '$5'; expected one of {ROOTS_LIST}", 1),
        (
            "see $inputs. ok",
            "incomplete runtime expression '$inputs'; expected '$inputs.<name>'",
            12,
        ),
        (
            "Step $steps.create is done",
            (
                "incomplete runtime expression '$steps.create'; "
                "expected '$steps.create.outputs.<name>'"
            ),
            18,
        ),
        (
            "Step $steps.create. Done",
            (
                "incomplete runtime expression '$steps.create'; "
                "expected '$steps.create.outputs.<name>'"
            ),
            19,
        ),
        (
            "id $response.body.id",
            (
                "'$response.body' is followed by a JSON pointer, not a '.' path; "
                "write '$response.body#/...'"
            ),
            17,
        ),
        (
            "x $response.body#/a~x",
            "invalid escape '~x' in JSON pointer; use '~0' for '~' and '~1' for '/'",
            19,
        ),
        (
            "x {$inputs.a b}",
            "unexpected ' b' after runtime expression '$inputs.a' inside braces",
            12,
        ),
    ],
)
def test_parse_value_errors(text: str, message: str, offset: int) -> None:
    err = error_of(parse_value, text)
    assert (err.message, err.offset) == (message, offset)


# -- parse_condition ----------------------------------------------------------------------------------------
STATUS_200 = Compare("==", StatusCode(), Literal(200))
CONDITIONS: list[tuple[str, object]] = [
    ("$statusCode == 200", STATUS_200),
    ("$statusCode == 204", Compare("==", StatusCode(), Literal(204))),
    ("$statusCode==200", STATUS_200),
    ("  $statusCode   ==\t200  ", STATUS_200),
    (
        "$response.body#/status == 'completed' && $statusCode != 404",
        And(
            Compare("==", ResponseRef("body", None, ("status",)), Literal("completed")),
            Compare("!=", StatusCode(), Literal(404)),
        ),
    ),
    ("!($statusCode >= 500)", Not(Compare(">=", StatusCode(), Literal(500)))),
    ("$response.body#/ok", Truthy(ResponseRef("body", None, ("ok",)))),
    ("!$response.body#/ok", Not(Truthy(ResponseRef("body", None, ("ok",))))),
    ("!!$inputs.x", Not(Not(Truthy(InputRef("x", ()))))),
    ("true", Truthy(Literal(True))),
    ("($inputs.a)", Truthy(InputRef("a", ()))),
    ("($statusCode) == (200)", STATUS_200),
    ("((($statusCode == 200)))", STATUS_200),
    ("$statusCode < 300", Compare("<", StatusCode(), Literal(300))),
    ("$statusCode <= 300", Compare("<=", StatusCode(), Literal(300))),
    ("$statusCode > 199", Compare(">", StatusCode(), Literal(199))),
    ("$statusCode >= 200", Compare(">=", StatusCode(), Literal(200))),
    ("$statusCode != 404", Compare("!=", StatusCode(), Literal(404))),
    ("$inputs.limit > -1", Compare(">", InputRef("limit", ()), Literal(-1))),
    ("$inputs.ratio>=-0.5", Compare(">=", InputRef("ratio", ()), Literal(-0.5))),
    ("$inputs.ratio < 1.25", Compare("<", InputRef("ratio", ()), Literal(1.25))),
    ("$inputs.big == 1e3", Compare("==", InputRef("big", ()), Literal(1000.0))),
    ("$inputs.x == null", Compare("==", InputRef("x", ()), Literal(None))),
    ("$inputs.x != false", Compare("!=", InputRef("x", ()), Literal(False))),
    ("$inputs.s == 'it''s'", Compare("==", InputRef("s", ()), Literal("it's"))),
    ('$inputs.s == "say ""hi"""', Compare("==", InputRef("s", ()), Literal('say "hi"'))),
    ("$inputs.s == ''", Compare("==", InputRef("s", ()), Literal(""))),
    ("$inputs.s == 'a && b || (c)'", Compare("==", InputRef("s", ()), Literal("a && b || (c)"))),
    ("200 == $statusCode", Compare("==", Literal(200), StatusCode())),
    (
        "$response.body#/a!=1&&$response.body#/b==2",
        And(
            Compare("!=", ResponseRef("body", None, ("a",)), Literal(1)),
            Compare("==", ResponseRef("body", None, ("b",)), Literal(2)),
        ),
    ),
    (
        "($response.body#/a)",
        Truthy(ResponseRef("body", None, ("a",))),
    ),
    (
        "$response.body#/a<$response.body#/b",
        Compare("<", ResponseRef("body", None, ("a",)), ResponseRef("body", None, ("b",))),
    ),
    (
        "$response.body#/pets/0/name == 'doggie'",
        Compare("==", ResponseRef("body", None, ("pets", "0", "name")), Literal("doggie")),
    ),
    (
        "$response.header.X-Rate-Remaining > 0",
        Compare(">", ResponseRef("header", "X-Rate-Remaining", ()), Literal(0)),
    ),
    (
        "$steps.s.outputs.count >= $inputs.min",
        Compare(">=", StepRef("s", "count", ()), InputRef("min", ())),
    ),
]

A, B, C, D = (Truthy(InputRef(n, ())) for n in "abcd")
PRECEDENCE: list[tuple[str, object]] = [
    ("$inputs.a || $inputs.b && $inputs.c", Or(A, And(B, C))),
    ("$inputs.a && $inputs.b || $inputs.c", Or(And(A, B), C)),
    ("($inputs.a || $inputs.b) && $inputs.c", And(Or(A, B), C)),
    ("$inputs.a && $inputs.b && $inputs.c", And(And(A, B), C)),
    ("$inputs.a && ($inputs.b && $inputs.c)", And(A, And(B, C))),
    ("$inputs.a || $inputs.b || $inputs.c", Or(Or(A, B), C)),
    ("!$inputs.a && $inputs.b", And(Not(A), B)),
    ("!($inputs.a && $inputs.b)", Not(And(A, B))),
    (
        "$inputs.a && $inputs.b || $inputs.c && $inputs.d",
        Or(And(A, B), And(C, D)),
    ),
    (
        "$statusCode == 200 || $statusCode == 201 && $inputs.a",
        Or(STATUS_200, And(Compare("==", StatusCode(), Literal(201)), A)),
    ),
]


@pytest.mark.parametrize(("text", "expected"), CONDITIONS + PRECEDENCE)
def test_parse_condition(text: str, expected: object) -> None:
    assert parse_condition(text) == expected


@pytest.mark.parametrize(("text", "expected"), CONDITIONS + PRECEDENCE)
def test_condition_round_trip(text: str, expected: object) -> None:
    parsed = parse_condition(text)
    again = parse_condition(to_source(parsed))
    assert again == parsed
    assert repr(again) == repr(parsed)  # also keeps int/float/bool literal types apart


@pytest.mark.parametrize(
    ("text", "source"),
    [
        ("$statusCode==200", "$statusCode == 200"),
        (
            "$response.body#/status == 'completed' && $statusCode != 404",
            "$response.body#/status == 'completed' && $statusCode != 404",
        ),
        ("!($statusCode >= 500)", "!($statusCode >= 500)"),
        ("!$response.body#/ok", "!$response.body#/ok"),
        ("(($inputs.a))", "$inputs.a"),
        ("($inputs.a || $inputs.b) && $inputs.c", "($inputs.a || $inputs.b) && $inputs.c"),
        ("$inputs.a || ($inputs.b && $inputs.c)", "$inputs.a || $inputs.b && $inputs.c"),
        ("$inputs.a && ($inputs.b && $inputs.c)", "$inputs.a && ($inputs.b && $inputs.c)"),
        ("!(!$inputs.a)", "!!$inputs.a"),
        ('$inputs.s == "it\'s"', "$inputs.s == 'it''s'"),
        ("$inputs.x == null", "$inputs.x == null"),
        ("true != false", "true != false"),
        ("$inputs.r == -0.5", "$inputs.r == -0.5"),
        ("$inputs.r == 1e3", "$inputs.r == 1000.0"),
    ],
)
def test_condition_to_source(text: str, source: str) -> None:
    assert to_source(parse_condition(text)) == source


def test_literal_types() -> None:
    def right(text: str) -> object:
        node = parse_condition(f"$inputs.x == {text}")
        assert isinstance(node, Compare) and isinstance(node.right, Literal)
        return node.right.value

    assert type(right("1")) is int
    assert type(right("-12")) is int
    assert type(right("1.0")) is float
    assert type(right("true")) is bool
    assert right("null") is None
    assert right("'1'") == "1"


@pytest.mark.parametrize(
    ("text", "message", "offset"),
    [
        ("", "expected a condition, got an empty string", 0),
        ("   ", "expected a condition, got an empty string", 3),
        ("($statusCode == 200", "unbalanced parenthesis: '(' is never closed", 0),
        ("$inputs.a && (($statusCode == 200)", "unbalanced parenthesis: '(' is never closed", 13),
        ("$statusCode == 200)", "unbalanced parenthesis: unexpected ')'", 18),
        ("$statusCode == 'abc", "unterminated string literal", 15),
        ('$statusCode == "abc', "unterminated string literal", 15),
        ("$statusCode == 'it''s", "unterminated string literal", 15),
        ("$statusCode = 200", "unexpected '='; did you mean '=='?", 12),
        ("$inputs.a & $inputs.b", "unexpected '&'; did you mean '&&'?", 10),
        ("$inputs.a | $inputs.b", "unexpected '|'; did you mean '||'?", 10),
        (
            "$statusCode == 200 $inputs.a",
            (
                "unexpected '$inputs.a'; expected an operator (==, !=, <, <=, >, >=, &&, ||) or the "
                "end of the condition"
            ),
            19,
        ),
        (
            "$response.body#/status == completed",
            (
                "unknown word 'completed' in condition; operands are runtime expressions ($...), "
                "numbers, true, false, null or quoted strings such as 'completed'"
            ),
            26,
        ),
        (
            "$statusCode == True",
            (
                "unknown word 'True' in condition; operands are runtime expressions ($...), "
                "numbers, true, false, null or quoted strings such as 'True'"
            ),
            15,
        ),
        ("$statusCode ==", "expected an operand at the end of the condition", 14),
        ("$statusCode == 200 &&", "expected an operand at the end of the condition", 21),
        ("()", "expected a condition inside '()'", 1),
        ("$statusCode == )", "expected an operand before ')'", 15),
        (
            "!$statusCode == 200",
            (
                "the left side of '==' must be a runtime expression or a literal, not a condition; "
                "to negate a comparison write '!(a == b)'"
            ),
            13,
        ),
        (
            "$statusCode == !$inputs.a",
            "the right side of '==' must be a runtime expression or a literal, not a condition",
            15,
        ),
        (
            "($statusCode == 200) == true",
            (
                "the left side of '==' must be a runtime expression or a literal, not a condition; "
                "to negate a comparison write '!(a == b)'"
            ),
            21,
        ),
        (
            "1 < $statusCode < 3",
            "comparisons cannot be chained ('<' then '<'); combine them with '&&'",
            16,
        ),
        (
            "$input.x == 1",
            (
                f"unknown expression root '$input'; expected one of {ROOTS_LIST}; "
                "did you mean '$inputs'?"
            ),
            0,
        ),
        (
            "$statusCode == 200 && $stepz.a.outputs.b",
            (
                f"unknown expression root '$stepz'; expected one of {ROOTS_LIST}; "
                "did you mean '$steps'?"
            ),
            22,
        ),
        (
            "$steps.s == 1",
            "incomplete runtime expression '$steps.s'; expected '$steps.s.outputs.<name>'",
            8,
        ),
        ("$inputs.x. == 1", "expected a name after '$inputs.x.'", 10),
        ("$inputs.x$ == 1", "unexpected '$' after runtime expression '$inputs.x'", 9),
        ("200abc == 1", "unexpected 'a' after literal '200'", 3),
        ("'a'b == 1", "unexpected 'b' after literal ''a''", 3),
        ("1. == 1", "unexpected '.' after literal '1'", 1),
        (
            "{$statusCode} == 200",
            "braces are not used in conditions; write the runtime expression without '{}'",
            0,
        ),
        (
            "$statusCode == @",
            "unexpected '@'; expected a runtime expression, a literal, '!' or '('",
            15,
        ),
        (
            "$response.body#status == 1",
            "a JSON pointer must start with '/' after '#', got '#status'",
            15,
        ),
        ("9" * 5000, f"number '{'9' * 21}...' is too long", 0),
        ("$inputs.x == 1e999", "number '1e999' is out of range", 13),
    ],
)
def test_parse_condition_errors(text: str, message: str, offset: int) -> None:
    err = error_of(parse_condition, text)
    assert (err.message, err.offset) == (message, offset)


def test_deep_nesting_is_refused_not_crashing() -> None:
    too_complex = "condition is too complex: more than 100 nested operators or parentheses"
    for text in (
        "(" * 5000 + "$url" + ")" * 5000,
        "!" * 5000 + "$url",
        " && ".join(["$url"] * 5000),
    ):
        assert error_of(parse_condition, text).message == too_complex
    # within the limit everything still works and renders
    fine = parse_condition("(" * 50 + "$url" + ")" * 50 + " && " + "!" * 50 + "$method")
    assert parse_condition(to_source(fine)) == fine


# -- expressions_in -----------------------------------------------------------------------------------------
def test_expressions_in() -> None:
    cond = parse_condition(
        "$statusCode == 200 && ($response.body#/a != $inputs.x || !$steps.s.outputs.y)"
    )
    assert expressions_in(cond) == (
        StatusCode(),
        ResponseRef("body", None, ("a",)),
        InputRef("x", ()),
        StepRef("s", "y", ()),
    )
    assert expressions_in(parse_value("a {$inputs.b} $url c $method")) == (
        InputRef("b", ()),
        Url(),
        Method(),
    )
    assert expressions_in(parse_expression("$inputs.q")) == (InputRef("q", ()),)
    assert expressions_in("plain $5") == ()
    assert expressions_in(parse_condition("1 == 1")) == ()
    assert expressions_in(Literal("x")) == ()


# -- AST properties -----------------------------------------------------------------------------------------
def test_nodes_are_frozen_slotted_and_hashable() -> None:
    nodes = [
        parse_expression("$steps.s.outputs.x#/a"),
        parse_value("Bearer $inputs.t"),
        parse_condition("!($statusCode == 200 || $inputs.a)"),
        Literal(1),
    ]
    for node in nodes:
        assert dataclasses.is_dataclass(node)
        assert not hasattr(node, "__dict__")
        hash(node)
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(node, dataclasses.fields(node)[0].name, None)
    assert {parse_expression("$url"), parse_expression(" $url ")} == {Url()}


def test_to_source_of_plain_string_and_literal() -> None:
    assert to_source("just text") == "just text"
    assert to_source(Literal("it's")) == "'it''s'"
    assert to_source(Literal(None)) == "null"


# -- robustness ---------------------------------------------------------------------------------------------
FUZZ_ALPHABET = list("$#/~01.{}()'\" !=<>&|-_aZx@\t") + [
    "$inputs.",
    "$steps.s.outputs.",
    "$response.body#/",
    "$request.header.",
    "$statusCode",
    "$url",
    " == ",
    " && ",
    " || ",
    "'q''q'",
    "$components.inputs.",
    "$sourceDescriptions.a.",
    "$workflows.w.outputs.",
    "$outputs.",
    "~0",
    "~1",
    "-1.5",
    "1e3",
    "null",
    "true",
]


def test_fuzz_only_expression_errors_and_round_trips() -> None:
    rnd = random.Random(20240601)
    for _ in range(6000):
        text = "".join(rnd.choice(FUZZ_ALPHABET) for _ in range(rnd.randint(0, 10)))
        for parse in (parse_expression, parse_value, parse_condition):
            try:
                node = parse(text)
            except ExpressionError as err:
                assert 0 <= err.offset <= len(text), (parse.__name__, text)
                continue
            inverse = parse
            if parse is parse_value and not isinstance(node, (str, Template)):
                inverse = parse_expression
            again = inverse(to_source(node))
            assert again == node and repr(again) == repr(node), (parse.__name__, text)
            expressions_in(node)


# -- the seed workflows -------------------------------------------------------------------------------------
def _strings(node: object, key: str = "") -> list[tuple[str, str]]:
    if isinstance(node, dict):
        return [pair for k, v in node.items() for pair in _strings(v, str(k))]
    if isinstance(node, list):
        return [pair for item in node for pair in _strings(item, key)]
    return [(key, node)] if isinstance(node, str) else []


def test_seed_workflow_expressions_parse() -> None:
    yaml = pytest.importorskip("yaml")
    files = sorted((ROOT / "specs" / "arazzo").glob("*.y*ml"))
    if not files:
        pytest.skip("no seed workflows")
    seen = 0
    for path in files:
        for key, text in _strings(yaml.safe_load(path.read_text(encoding="utf-8"))):
            if key in ("description", "summary", "title"):
                continue
            if key == "condition":
                assert expressions_in(parse_condition(text)), (path.name, text)
                seen += 1
            elif "$" in text:
                assert not isinstance(parse_value(text), str), (path.name, text)
                seen += 1
    assert seen > 0


# -- index/property access, nonstandard forms, ids with spaces (issue 6) ------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "$response.body#/pets[0].name == 'x'",
            Compare("==", ResponseRef("body", None, ("pets", "0", "name")), Literal("x")),
        ),
        (
            "$steps.s.outputs.list[2]['a b'] > 1",
            Compare(">", StepRef("s", "list", ("2", "a b")), Literal(1)),
        ),
        ("$inputs.xs[0]", Truthy(InputRef("xs", ("0",)))),
        ("$request.body#/items[1]", Truthy(RequestRef("body", None, ("items", "1")))),
    ],
)
def test_index_and_property_access_in_conditions(text: str, expected: object) -> None:
    assert parse_condition(text) == expected


def test_index_on_a_value_that_is_not_json_is_an_error() -> None:
    err = error_of(parse_condition, "$response.header.X-A[0] == 1")
    assert (err.message, err.offset) == (
        "index or property access is not possible on '$response.header.X-A'; it is not a JSON value",
        20,
    )


def test_nonstandard_forms_are_recorded_only_when_asked() -> None:
    notes: list[Nonstandard] = []
    assert parse_condition("$response.body.a.b == 1 && $steps.s.id", notes) == And(
        Compare("==", ResponseRef("body", None, ("a", "b")), Literal(1)),
        Truthy(StepRef("s", "id", ())),
    )
    assert notes == [
        Nonstandard(0, "$response.body.a.b", "$response.body#/a/b"),
        Nonstandard(27, "$steps.s.id", "$steps.s.outputs.id"),
    ]
    assert notes[0].message == (
        "'$response.body.a.b' is not a standard runtime expression; write '$response.body#/a/b'"
    )
    # without a notes list (the parser's strict use) they stay errors; a near miss of 'outputs' always is
    assert error_of(parse_expression, "$steps.s.id").message.startswith("unsupported reference")
    assert error_of(lambda t: parse_expression(t, []), "$steps.s.output.x").message == (
        "unsupported reference '$steps.s.output'; expected '$steps.s.outputs.<name>'"
    )


def test_response_headers_plural_is_the_nonstandard_form_of_header() -> None:
    """``$response.headers.X`` (six corpus documents, written for other runners) is ``$response.header.X`` with a
    ``nonstandard-expression`` note; the parser's strict use keeps it an error that names ``header``."""
    notes: list[Nonstandard] = []
    assert parse_condition("$response.headers.X-Count == 3", notes) == Compare(
        "==", ResponseRef("header", "X-Count", ()), Literal(3)
    )
    assert notes == [Nonstandard(0, "$response.headers.X-Count", "$response.header.X-Count")]
    assert parse_value("$request.headers.Authorization", []) == RequestRef("header", "Authorization", ())
    err = error_of(parse_expression, "$response.headers.X-Count")
    assert err.message == (
        "unknown response source 'headers' in '$response.headers'; expected one of header, body; did you mean "
        "'header'?"
    )


def test_workflow_inputs_and_outputs_parse() -> None:
    assert parse_expression("$workflows.wf.inputs.user") == WorkflowRef("wf", "user", (), "inputs")
    assert parse_expression("$workflows.wf.outputs.m#/name") == WorkflowRef("wf", "m", ("name",))
    assert to_source(WorkflowRef("wf", "user", (), "inputs")) == "$workflows.wf.inputs.user"


def test_step_ids_with_spaces() -> None:
    # main: "incomplete runtime expression" for a whole value naming a step whose id has a space
    assert parse_expression("$steps.get pet.outputs.x") == StepRef("get pet", "x", ())
    assert parse_value("$steps.get pet.outputs.x") == StepRef("get pet", "x", ())
    err = error_of(parse_condition, "$steps.get pet.outputs.x == 1")
    assert (err.message, err.offset) == (
        ("incomplete runtime expression '$steps.get'; expected '$steps.get.outputs.<name>' (a stepId "
        "containing spaces can only be used in a value that is a single runtime expression, not in a "
        "condition)"),
        10,
    )
