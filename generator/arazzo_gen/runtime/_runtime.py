"""Runtime support shared by the generated clients and workflows: responses and errors, credentials
redaction, request building, deadlines, and the helpers of the workflow functions.

arazzo-gen copies this module, unchanged, into every generated package; the criteria a library evaluates have
modules of their own, copied only into the packages that use them (``_runtime_regex``, ``_runtime_jsonpath``,
``_runtime_xpath``).  Copied by arazzo-gen from its ``arazzo_gen/runtime`` package; do not edit.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import contextvars
import dataclasses
import datetime
import email.utils
import enum
import functools
import importlib
import inspect
import json
import logging
import math
import os
import random
import re
import socket
import ssl
import threading
import time
import types
import typing
import weakref
from collections.abc import (
    AsyncIterator,
    Awaitable,
    Callable,
    Iterable,
    Iterator,
    Mapping,
)
from typing import Any, Generic, Literal, ParamSpec, Self, TypeVar
from urllib.parse import (
    parse_qsl,
    quote,
    quote_plus,
    unquote_plus,
    urlencode,
    urljoin,
    urlsplit,
    urlunsplit,
)

import httpx
import pydantic

T = TypeVar("T")
R = TypeVar("R")
P = ParamSpec("P")

DEFAULT_TIMEOUT = 30.0


# -- credentials -------------------------------------------------------------------------------------------
REDACTED = "***"
CREDENTIAL_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie"})
"""Headers whose values are credentials whatever the API description says."""
_CREDENTIAL_LIKE = frozenset(
    {"access_token", "api_key", "apikey", "code", "key", "password", "secret", "token"}
)
# Shorter values are hidden by name only: searching text for them would blank it.
_MIN_SECRET_LENGTH = 4


_SECRET_WORDS = frozenset({"secret", "password", "passwd", "pwd", "passphrase"})


def is_credential_name(name: str) -> bool:
    """Whether a header, query parameter, cookie or output with this name carries a credential by its name
    alone: the known names, any name containing ``sig``, ``token`` or ``credential``, a word of it that is a
    secret or password (``client_secret``, ``passwd``), or a last word ``key`` (``api-key``,
    ``subscription-key``, ``private_key``, ``accessKey``)."""
    lowered = name.lower()
    words = [w.lower() for w in re.findall(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])", name)] or [lowered]
    return (
        lowered in CREDENTIAL_HEADERS
        or lowered in _CREDENTIAL_LIKE
        or "sig" in lowered
        or "token" in lowered
        or "credential" in lowered
        or any(word in _SECRET_WORDS for word in words)
        or (len(words) > 1 and words[-1] == "key")
    )


# A ``name=value`` pair of a query string wherever it stands: in a URL the server put in a body (a signed
# download link: Azure SAS ``sig``, S3 ``X-Amz-Signature``), JSON-escaped (``https:\/\/...``) or not.
_QUERY_PAIR = re.compile(r"(?<=[?&])([A-Za-z0-9_.~%+-]+)=([^&#\s\"'<>\\]*)")
_QUERY_PAIR_BYTES = re.compile(_QUERY_PAIR.pattern.encode())


class Redactor:
    """Hides credentials: by name in URLs and headers, and by value in any text.

    Names: the headers of :data:`CREDENTIAL_HEADERS`, credential-like names (``token``, ``sig``, ...) and the
    names of the API's security schemes (given by the generated client).  Values: whatever the client sends
    under the API's credential names or :data:`CREDENTIAL_HEADERS`, from its constructor or from a call
    (such as a workflow input sent as ``Authorization: Bearer ...``), also URL-encoded, escaped as the repr of
    a str or bytes shows it (a value with a newline, quoted by the error that refuses it) and, for
    ``Bearer x`` or ``Basic x``, the bare (and decoded) credential.
    """

    def __init__(self, names: Iterable[str] = ()) -> None:
        self.names = frozenset(name.lower() for name in names)
        # Longest first, so that a value is hidden before any part of it.
        self._values: tuple[str, ...] = ()
        self._remembered: set[str] = set()  # values already remembered: a request repeats them
        with _LIVE_LOCK:
            _LIVE_REDACTORS.add(self)

    def is_secret(self, name: str) -> bool:
        return name.lower() in self.names or is_credential_name(name)

    def remember(self, name: str, value: str) -> None:
        """Hide ``value`` everywhere from now on if it is sent under a credential name."""
        if value in self._remembered:
            return
        lowered = name.lower()
        if lowered in self.names or lowered in CREDENTIAL_HEADERS:
            self._remembered.add(value)
            forms = {form for form in _credential_forms(value) if len(form) >= _MIN_SECRET_LENGTH}
            if not forms.issubset(self._values):
                with _LIVE_LOCK:  # calls from several threads must not lose a value
                    self._values = tuple(sorted(forms.union(self._values), key=len, reverse=True))

    def text(self, text: str) -> str:
        """``text`` with every remembered credential, and the value of every query parameter with a credential
        name in it (a signed URL the server issued), replaced by ``***``."""
        for value in self._values:
            text = text.replace(value, REDACTED)
        return _QUERY_PAIR.sub(self._query_pair, text) if "=" in text else text

    def content(self, data: bytes) -> bytes:
        """``data`` (a body) redacted as :meth:`text` redacts text."""
        for value in self._values:
            data = data.replace(value.encode(), REDACTED.encode())
        return _QUERY_PAIR_BYTES.sub(self._query_pair_bytes, data) if b"=" in data else data

    def _query_pair(self, match: re.Match[str]) -> str:
        secret = match[2] and match[2] != REDACTED and self.is_secret(unquote_plus(match[1]))
        return f"{match[1]}={REDACTED}" if secret else match[0]

    def _query_pair_bytes(self, match: re.Match[bytes]) -> bytes:
        name = match[1].decode("ascii")  # the pattern matches ASCII names only
        secret = match[2] and match[2] != REDACTED.encode() and self.is_secret(unquote_plus(name))
        return match[1] + b"=" + REDACTED.encode() if secret else match[0]

    def url(self, url: str) -> str:
        """``url`` without credentials: secret query values and the user-info password, then known values."""
        return self.text(_redact_url_names(url, self.is_secret))

    def headers(self, headers: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
        return [
            (name, REDACTED if self.is_secret(name) else self.text(value))
            for name, value in headers
        ]


_LIVE_LOCK = threading.Lock()
# One per live client: the log filter hides the credentials of all of them.
_LIVE_REDACTORS: weakref.WeakSet[Redactor] = weakref.WeakSet()
# Names only: what detached responses and errors built outside a client use.
_NO_SECRETS = Redactor()


def _credential_forms(value: str) -> set[str]:
    forms = {value}
    scheme, _, credential = value.partition(" ")
    if credential and scheme.isalpha():  # "Bearer <token>", "Basic <base64>"
        forms.add(credential)
        if scheme.lower() == "basic":
            try:
                user_password = base64.b64decode(credential, validate=True).decode()
            except (binascii.Error, UnicodeDecodeError):
                user_password = ""
            forms.update({user_password, user_password.partition(":")[2]})
    # as messages quote a value HTTP cannot carry: escaped, as a str or bytes repr shows it (h11's "Illegal
    # header value b'...\\n'"), and escaped again where a log prints the repr of such an error
    escaped = {_escaped(form) for form in forms} | {
        _escaped(form.encode("utf-8", "backslashreplace")) for form in forms
    }
    escaped |= {_escaped(form) for form in escaped}
    return (
        forms
        | escaped
        | {quote(form, safe="") for form in forms}
        | {quote_plus(form) for form in forms}
    )


def _escaped(value: str | bytes) -> str:
    """``value`` as its repr shows it, without the quotes (and the ``b`` of bytes)."""
    text = repr(value)
    return text[2:-1] if isinstance(value, bytes) else text[1:-1]


def _redact_url_names(url: str, is_secret: Callable[[str], bool]) -> str:
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    netloc = parts.netloc
    user_info, at, host = netloc.rpartition("@")
    if at and ":" in user_info:
        netloc = f"{user_info.partition(':')[0]}:{REDACTED}@{host}"
    pairs = []
    for pair in parts.query.split("&") if parts.query else []:
        name, sep, value = pair.partition("=")
        pairs.append(f"{name}{sep}{REDACTED if sep and is_secret(unquote_plus(name)) else value}")
    return urlunsplit(parts._replace(netloc=netloc, query="&".join(pairs)))


def redact_url(url: str) -> str:
    """``url`` with the values of credential-like query parameters (and any password) replaced by ``***``."""
    return _NO_SECRETS.url(url)


_URL_IN_TEXT = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s'\"<>]+")
# A header as httpcore's debug traces print it: (b'Set-Cookie', b'session=...')
_HEADER_IN_TEXT = re.compile(
    r"""\(b(['"])(?P<name>[^'"]+)\1, b(['"])(?P<value>(?:\\.|(?!\3).)*)\3\)"""
)


def redact_text(text: str) -> str:
    """``text`` (a log message) without the credentials of any live client, nor credential-like values."""
    with _LIVE_LOCK:
        redactors = list(_LIVE_REDACTORS)
    names = frozenset().union(*(redactor.names for redactor in redactors))

    def is_secret(name: str) -> bool:
        return name.lower() in names or is_credential_name(name)

    def header(match: re.Match[str]) -> str:
        if not is_secret(match["name"]):
            return match[0]
        start, end = match.start("value") - match.start(), match.end("value") - match.start()
        return match[0][:start] + REDACTED + match[0][end:]

    text = _URL_IN_TEXT.sub(lambda match: _redact_url_names(match[0], is_secret), text)
    text = _HEADER_IN_TEXT.sub(header, text)
    for redactor in redactors:
        text = redactor.text(text)
    return text


class RedactingFilter(logging.Filter):
    """Rewrites log records without credentials (installed on the loggers of httpx and httpcore)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact_text(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


LOG_FILTER = RedactingFilter()
_REDACTED_LOGGERS = (
    "httpx", "httpcore.connection", "httpcore.http11", "httpcore.http2", "httpcore.proxy", "httpcore.socks",
    "hpack.hpack", "hpack.table",
)  # fmt: skip
for _name in _REDACTED_LOGGERS:
    if LOG_FILTER not in logging.getLogger(_name).filters:
        logging.getLogger(_name).addFilter(LOG_FILTER)


# -- responses and errors ----------------------------------------------------------------------------------
def _restore(cls: type[BaseException], args: tuple[Any, ...]) -> BaseException:
    return cls.__new__(cls, *args)


class _PicklableError(Exception):
    """Pickles by its message and attributes, whatever its ``__init__`` takes (for multiprocessing)."""

    def __reduce__(self) -> tuple[Any, ...]:
        return _restore, (type(self), self.args), self.__dict__


# Headers that describe the body as it travelled; a detached copy keeps the body decoded.
_BODY_FRAMING = frozenset({"content-encoding", "content-length", "transfer-encoding"})


class ApiResponse(Generic[T]):
    """An HTTP response from a documented status; ``parsed`` is the body as the documented type."""

    def __init__(
        self,
        response: httpx.Response,
        parse: Callable[[httpx.Response], T],
        redactor: Redactor | None = None,
    ) -> None:
        self.http_response = response
        self._parse = parse
        self._redactor = redactor or _NO_SECRETS
        self.is_detached = False
        # the error the call would have raised for this status, when it returned inside any_status()
        self.status_error: ApiStatusError | None = None
        # whether values read from the body are validated strictly (see read_output), as ``parsed`` is
        self.strict_validation = False

    @property
    def status_code(self) -> int:
        return self.http_response.status_code

    @property
    def headers(self) -> httpx.Headers:
        return self.http_response.headers

    @property
    def content(self) -> bytes:
        return self.http_response.content

    @property
    def method(self) -> str:
        return self.http_response.request.method

    @property
    def url(self) -> str:
        return self._redactor.url(str(self.http_response.request.url))

    @functools.cached_property
    def decoded(self) -> Any:
        """The body as a workflow reads it: JSON data when it is JSON (nested at most :data:`MAX_JSON_DEPTH`
        deep), else text, ``None`` when empty.  Decoded once, then shared by every value read from it.
        """
        return _decode(self.http_response)

    def json(self) -> Any:
        """The body decoded as JSON (``None`` when empty)."""
        return self.http_response.json() if self.http_response.content else None

    @functools.cached_property
    def parsed(self) -> T:
        """The body as the type documented for this status.

        Tolerant by default: a body that drifts from its description (a "required" member missing, an extra
        member, a value of another type) still becomes the documented model, each value validated where it
        fits and kept as received where it does not; a member the body lacks is not set (reading it raises
        ``AttributeError``).  With ``strict_validation=True`` (the client's or the call's), a body that does
        not validate raises :class:`ResponseValidationError` naming each failing member and what it held.
        """
        try:
            return self._parse(self.http_response)
        except pydantic.ValidationError as error:
            # Raised below, not chained: pydantic's error quotes the body, credentials and all.
            failure = ResponseValidationError(
                self.method,
                self.url,
                self.status_code,
                self._redactor.text(validation_problems(error, self.decoded)),
            )
        raise failure

    def detached(self) -> ApiResponse[T]:
        """A copy to keep in an error: no connection, no request body, credentials replaced by ``***``.

        Request and response headers are redacted by name, the URL by name and value, and the values of
        the credentials the client sent are blanked in the body (servers sometimes quote them).
        """
        if self.is_detached:
            return self
        redactor, request = self._redactor, self.http_response.request
        headers = redactor.headers(self.headers.multi_items())
        extensions = self.http_response.extensions
        copy = httpx.Response(
            self.status_code,
            headers=[(name, value) for name, value in headers if name.lower() not in _BODY_FRAMING],
            content=redactor.content(self.content),
            request=httpx.Request(
                request.method,
                redactor.url(str(request.url)),
                headers=redactor.headers(request.headers.multi_items()),
            ),
            extensions={
                key: extensions[key]
                for key in ("http_version", "reason_phrase")
                if key in extensions
            },
        )
        detached = ApiResponse(copy, self._parse)
        detached.is_detached = True
        detached.strict_validation = self.strict_validation
        return detached

    def __getstate__(self) -> dict[str, Any]:
        # The redactor holds the credentials: it is not pickled.
        return {key: value for key, value in self.__dict__.items() if key != "_redactor"}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state, _redactor=_NO_SECRETS)

    def __repr__(self) -> str:
        return f"<ApiResponse {self.status_code} {self.method} {self.url}>"


class ApiError(_PicklableError):
    """Base class of every error raised by the generated clients."""

    _retryable = False  # a transport failure that may pass (a client retries it)


class ApiConnectionError(ApiError):
    """The request could not be sent or no usable response arrived (DNS, refused connection, TLS, a header
    value that is not ASCII, ...)."""

    def __init__(self, method: str, url: str, reason: str) -> None:
        self.method = method
        self.url = redact_url(url)
        super().__init__(f"{method} {self.url}: {reason}")


class ApiTimeoutError(ApiConnectionError):
    """No response arrived within the configured timeout."""


class ResponseValidationError(ApiError):
    """The response body does not match the type documented for its status."""

    def __init__(self, method: str, url: str, status_code: int, detail: str) -> None:
        self.method = method
        self.url = redact_url(url)
        self.status_code = status_code
        super().__init__(
            f"{method} {self.url} returned {status_code} with an unexpected body: {detail}"
        )


class ApiStatusError(ApiError):
    """The server answered with an error status, or a status the API description does not document.

    ``body`` is the response body parsed as the documented error type when there is one, else the decoded
    JSON, else the text. ``response`` is a detached copy (see :meth:`ApiResponse.detached`): no credential
    is kept in the error, its message or anything it refers to.
    """

    def __init__(self, response: ApiResponse[Any], body: Any, documented: bool) -> None:
        self.response = response.detached()
        self.status_code = self.response.status_code
        self.method = self.response.method
        self.url = self.response.url
        self.body = body
        self.documented = documented
        kind = "" if documented else " (not documented for this operation)"
        super().__init__(
            f"{self.method} {self.url} returned HTTP {self.status_code}{kind}: {_summary(body)}"
        )


class BadRequestError(ApiStatusError):
    """HTTP 400."""


class AuthenticationError(ApiStatusError):
    """HTTP 401."""


class PermissionDeniedError(ApiStatusError):
    """HTTP 403."""


class NotFoundError(ApiStatusError):
    """HTTP 404."""


class ConflictError(ApiStatusError):
    """HTTP 409."""


class UnprocessableEntityError(ApiStatusError):
    """HTTP 422."""


class RateLimitError(ApiStatusError):
    """HTTP 429."""


class InternalServerError(ApiStatusError):
    """HTTP 5xx."""


class UnexpectedStatusError(ApiStatusError):
    """A status below 400 that the API description does not document for the operation."""


_STATUS_ERRORS: dict[int, type[ApiStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: UnprocessableEntityError,
    429: RateLimitError,
}


def error_class(status_code: int) -> type[ApiStatusError]:
    if status_code >= 500:
        return InternalServerError
    if status_code < 400:
        return UnexpectedStatusError
    return _STATUS_ERRORS.get(status_code, ApiStatusError)


class StepFailed(_PicklableError):
    """A workflow step did not meet its success criteria.

    ``response`` is a detached copy (see :meth:`ApiResponse.detached`) and ``cause`` the client's error,
    if any: neither holds a credential, whether it came from the client or from the workflow's inputs.
    """

    def __init__(
        self,
        workflow: str,
        step: str,
        criterion: str,
        response: ApiResponse[Any] | None = None,
        cause: ApiError | None = None,
    ) -> None:
        if cause is None and response is not None:
            cause = response.status_error  # the client's error for the status the criteria rejected
        self.workflow = workflow
        self.step = step
        self.criterion = criterion
        self.response = response.detached() if response is not None else None
        self.cause = cause
        if cause is not None:  # as `raise ... from cause` does
            self.__cause__ = cause
        self.status_code = response.status_code if response is not None else None
        where = (
            f"HTTP {self.status_code} from {self.response.method} {self.response.url}"
            if self.response
            else "no response"
        )
        detail = f"; {cause}" if cause is not None else ""
        super().__init__(
            f"workflow '{workflow}' step '{step}' failed: {where} does not satisfy {criterion}{detail}"
        )


class StepOutputError(StepFailed):
    """A value a workflow reads from a response body is missing, or is not of its documented type.

    Only the values a workflow reads are checked (a field it never reads may be absent or malformed).
    ``pointer`` is the JSON Pointer into the body, ``held`` a short, redacted summary of what the body held.
    """

    def __init__(
        self,
        workflow: str,
        step: str,
        pointer: str,
        problem: str,
        response: ApiResponse[Any],
        held: str,
    ) -> None:
        _PicklableError.__init__(
            self,
            f"workflow '{workflow}' step '{step}': $response.body#{pointer} {problem}; the body held {held}",
        )
        self.workflow = workflow
        self.step = step
        self.criterion = f"$response.body#{pointer}"
        self.pointer = pointer
        self.problem = problem
        self.held = held
        self.response = response.detached()
        self.cause = None
        self.status_code = response.status_code


_MISSING: Any = object()


def _pointer_tokens(pointer: str) -> list[str]:
    return (
        [token.replace("~1", "/").replace("~0", "~") for token in pointer.split("/")[1:]]
        if pointer
        else []
    )


def read_output(response: ApiResponse[Any], tp: Any, workflow: str, step: str, pointer: str) -> Any:
    """The value at the JSON Pointer ``pointer`` in the response body as ``tp`` (only that value is read).

    The value read must be usable: a scalar (text, number, enum, ...) must validate as ``tp``.  An object or
    a list is passed on whole, which is not a read of each of its members: when it does not validate, it is
    built as :func:`tolerant` builds it (members missing or of another type are kept as received), unless the
    response was made with ``strict_validation=True``.

    Raises :class:`StepOutputError` when the pointer does not resolve or the value is not usable as ``tp``;
    its message names each failing member (a JSON Pointer) and what it held.
    """
    node = response.decoded
    for token in _pointer_tokens(pointer):
        if isinstance(node, Mapping) and token in node:
            node = node[token]
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        else:
            node = _MISSING
            break
    if node is _MISSING:
        problem = "is missing"
    elif tp is Any:
        return node
    else:
        try:
            return _adapter(tp).validate_python(node)
        except pydantic.ValidationError as error:
            failure = error
            if not response.strict_validation and _is_container(tp) and _shape_fits(tp, node):
                built = _construct(tp, node)
                try:  # as the workflow's outputs will hold it: models as built, the rest validated
                    _adapter(tp).validate_python(built)
                    return built
                except pydantic.ValidationError as unusable:
                    failure = unusable  # an item that is no object where a model is, a scalar of another type
            problems = response._redactor.text(validation_problems(failure, node, pointer))
            problem = f"does not validate as {_type_name(tp)}: {problems}"
    # only a failure pays for the redacted copy: the error keeps it, and quotes its body
    detached = response.detached()
    raise StepOutputError(
        workflow, step, pointer, problem, detached, _summary(_decode(detached.http_response))
    )


def _type_name(tp: Any) -> str:
    """``tp`` as a reader knows it: ``list[JobDetails]``, ``str | None``."""
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin is typing.Annotated:
        return _type_name(args[0])
    if origin in (typing.Union, types.UnionType):
        return " | ".join(_type_name(arg) for arg in args)
    if origin is typing.Literal:
        return " | ".join(repr(arg) for arg in args)
    if origin is not None and args:
        return f"{_type_name(origin)}[{', '.join(_type_name(arg) for arg in args)}]"
    if tp is type(None):
        return "None"
    return getattr(tp, "__name__", None) or str(tp).replace("typing.", "")


MAX_PROBLEMS = 10
"""How many failing members a validation error's message lists (then how many more there are)."""


def _escape_token(token: str | int) -> str:
    return str(token).replace("~", "~0").replace("/", "~1")


def validation_problems(error: pydantic.ValidationError, data: Any, pointer: str = "") -> str:
    """Each failing member of ``error`` (raised validating ``data``, found at ``pointer``) as a JSON Pointer
    with what it held: ``/value/0/name: missing; /value/0/count: Input should be a valid integer (received
    'many')``."""
    problems = []
    for detail in error.errors(include_url=False, include_context=False):
        missing = detail["type"] == "missing"
        loc = list(detail["loc"])
        tokens = _members_of(data, loc[:-1] if missing and loc else loc)
        if missing and loc:
            tokens.append(loc[-1])
        where = pointer + "".join(f"/{_escape_token(token)}" for token in tokens)
        where = where or "(the body)"
        if missing:
            problems.append(f"{where}: missing")
        else:
            problems.append(f"{where}: {detail['msg']} (received {_short(detail['input'])})")
    shown = "; ".join(problems[:MAX_PROBLEMS])
    more = len(problems) - MAX_PROBLEMS
    return shown + (f"; and {more} more" if more > 0 else "")


def _members_of(data: Any, loc: list[Any]) -> list[str | int]:
    """The tokens of pydantic's error location that are members of ``data`` (object keys, array indexes),
    without the names it adds for union members and validators."""
    tokens: list[str | int] = []
    node = data
    for token in loc:
        key = isinstance(node, Mapping) and isinstance(token, str) and token in node
        index = isinstance(node, list) and isinstance(token, int) and 0 <= token < len(node)
        if key or index:
            node = node[token]
            tokens.append(token)
    return tokens


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


# -- tolerant reading --------------------------------------------------------------------------------------
def tolerant(tp: Any, data: Any) -> Any:
    """``data`` (decoded JSON) as ``tp``, without failing on drift: validated when it fits, else built member
    by member (``model_construct``, guided by the annotations, into nested models, lists and mappings), each
    member validated where it fits and kept as received where it does not.  A member the data lacks is not
    set (reading its attribute raises ``AttributeError``); nothing is invented."""
    try:
        return _adapter(tp).validate_python(data)
    except pydantic.ValidationError:
        return _construct(tp, data)


def _model_class(tp: Any) -> type[pydantic.BaseModel] | None:
    return tp if isinstance(tp, type) and issubclass(tp, pydantic.BaseModel) else None


def _members(tp: Any) -> tuple[Any, ...]:
    """The members of a union (``X | None`` included), else ``(tp,)``; ``Annotated`` unwrapped."""
    while typing.get_origin(tp) is typing.Annotated:
        tp = typing.get_args(tp)[0]
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        return tuple(m for arg in typing.get_args(tp) for m in _members(arg))
    return (tp,)


def _is_container(tp: Any) -> bool:
    """Whether ``tp`` is (or may be) an object or a list: a model, a list, a mapping."""
    return any(
        _model_class(m) is not None or typing.get_origin(m) in (list, dict, tuple, set, frozenset)
        for m in _members(tp)
    )


def _shape_fits(tp: Any, data: Any) -> bool:
    """Whether ``data`` is the kind of JSON value ``tp`` describes (an object for a model or a mapping, an
    array for a list), whatever its members hold."""
    for member in _members(tp):
        model = _model_class(member)
        origin = typing.get_origin(member)
        if model is not None and issubclass(model, pydantic.RootModel):
            if _shape_fits(model.model_fields["root"].annotation, data):
                return True
        elif model is not None or origin is dict:
            if isinstance(data, Mapping):
                return True
        elif origin in (list, tuple, set, frozenset):
            if isinstance(data, list):
                return True
        elif data is None and member is type(None):
            return True
    return False


def _construct(tp: Any, data: Any) -> Any:
    members = [m for m in _members(tp) if m is not type(None)]
    if data is None:
        return None
    if (
        len(members) > 1
    ):  # the member of the union whose shape fits, the model sharing most keys first
        fitting = [m for m in members if _shape_fits(m, data)]
        if not fitting:
            return data
        members = sorted(fitting, key=lambda m: -_shared_keys(m, data))[:1]
    (member,) = members or (Any,)
    model = _model_class(member)
    origin, args = typing.get_origin(member), typing.get_args(member)
    if model is not None and issubclass(model, pydantic.RootModel):
        return model.model_construct(tolerant(model.model_fields["root"].annotation, data))
    if model is not None and isinstance(data, Mapping):
        return _construct_model(model, data)
    if origin in (list, tuple, set, frozenset) and isinstance(data, list):
        item = (
            args[0] if args and (origin is not tuple or len(args) == 2 and args[1] is ...) else Any
        )
        return [tolerant(item, value) for value in data]
    if origin is dict and isinstance(data, Mapping) and len(args) == 2:
        return {key: tolerant(args[1], value) for key, value in data.items()}
    return data  # kept as received


def _construct_model(
    model: type[pydantic.BaseModel], data: Mapping[str, Any]
) -> pydantic.BaseModel:
    values: dict[str, Any] = {}
    known: set[str] = set()
    by_name = model.model_config.get("populate_by_name") or model.model_config.get(
        "validate_by_name"
    )
    for name, field in model.model_fields.items():
        alias = field.validation_alias if isinstance(field.validation_alias, str) else field.alias
        keys = [
            key for key in (alias, name if by_name or alias is None else None) if key is not None
        ]
        known.update(keys)
        key = next((key for key in keys if key in data), None)
        if key is not None:
            values[name] = tolerant(field.annotation, data[key])
    extra = (
        {key: value for key, value in data.items() if key not in known}
        if model.model_config.get("extra") == "allow"
        else {}
    )
    return model.model_construct(set(values), **values, **extra)


def _shared_keys(tp: Any, data: Any) -> int:
    model = _model_class(tp)
    if model is None or not isinstance(data, Mapping):
        return 0
    names = {field.alias or name for name, field in model.model_fields.items()} | set(
        model.model_fields
    )
    return len(names.intersection(data))


class MaxStepsExceeded(_PicklableError):
    """A workflow started more steps than its ``max_steps`` allows: a goto (or retry) loop did not end.

    ``steps`` is the labels of the steps started, in order (the last ones show the loop).
    """

    def __init__(self, workflow: str, max_steps: int, steps: list[str]) -> None:
        self.workflow = workflow
        self.max_steps = max_steps
        self.steps = list(steps)
        tail = ", ".join(self.steps[-6:])
        super().__init__(
            f"workflow '{workflow}' started {len(self.steps)} steps without finishing (max_steps={max_steps}); "
            f"the last: {tail}"
        )


LONGEST_DEADLINE = 365 * 24 * 3600.0
"""A ``deadline=`` of this many seconds or more (``inf`` included) is no limit."""


def deadline_seconds(deadline: float | None) -> float | None:
    """A ``deadline=`` as seconds, or ``None`` for no limit: ``None``, ``inf`` and anything of
    :data:`LONGEST_DEADLINE` or more are no limit; a negative deadline has passed (``0.0``); ``NaN`` is refused
    with ``ValueError`` at the call, before any request is sent."""
    if deadline is None:
        return None
    seconds = float(deadline)
    if math.isnan(seconds):
        raise ValueError(f"deadline= must be a number of seconds or None, not {deadline!r}")
    return None if seconds >= LONGEST_DEADLINE else max(seconds, 0.0)


class RunDeadline:
    """The deadline of one workflow run: each request it sends, and each workflow it runs, gets the time left."""

    def __init__(self, seconds: float | None) -> None:
        limit = deadline_seconds(seconds)
        self.end = None if limit is None else time.monotonic() + limit

    def left(self) -> float | None:
        """Seconds left (``0.0`` once passed), or ``None`` when the run has no deadline."""
        return None if self.end is None else max(self.end - time.monotonic(), 0.0)

    def bound(self, seconds: float) -> float:
        """``seconds`` (a wait before a retry), cut to the time left: no run waits past its deadline."""
        left = self.left()
        return seconds if left is None else min(seconds, left)


# -- a workflow run: deadline, clients, and how far it got ---------------------------------------------------
_LOG = logging.getLogger(__name__)
if LOG_FILTER not in _LOG.filters:
    _LOG.addFilter(LOG_FILTER)
    _LOG.addHandler(
        logging.NullHandler()
    )  # a library's records show only where the application logs


class Progress:
    """How far a workflow run got when something ended it: attached as ``progress`` to the exception.

    ``workflow`` is the workflow id, ``step`` the step it was running (None: before the first), ``completed``
    the outputs of each step that had succeeded, by step id in the order they succeeded (each a dict of the
    outputs the workflow computed, by their names in the document, typed as the workflow reads them);
    ``inner`` the progress of the workflow a step or action was running, when the error came from there.
    Use it to clean up (close the session a failed run opened) or to resume by hand. Its ``repr`` hides the
    values of credential-like outputs (``token``, ``password``, ...) and credentials in URLs; the attributes
    keep them.
    """

    def __init__(
        self,
        workflow: str,
        step: str | None,
        completed: Mapping[str, Mapping[str, Any]],
        inner: Progress | None = None,
    ) -> None:
        self.workflow = workflow
        self.step = step
        self.completed = {step_id: dict(outputs) for step_id, outputs in completed.items()}
        self.inner = inner

    def outputs(self, step: str) -> dict[str, Any]:
        """The outputs step ``step`` produced (``KeyError`` when it had not succeeded)."""
        return self.completed[step]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Progress) and vars(self) == vars(other)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        steps = ", ".join(
            f"{step_id}({', '.join(f'{name}={_shown(name, value)}' for name, value in outputs.items())})"
            for step_id, outputs in self.completed.items()
        )
        inner = f", inside {self.inner!r}" if self.inner is not None else ""
        text = f"workflow '{self.workflow}' stopped at step {self.step!r}; completed: {steps or 'none'}{inner}"
        return redact_text(text)

    __str__ = __repr__


def _shown(name: str, value: Any) -> str:
    return REDACTED if is_credential_name(name) else repr(_without_credentials(value))


_SCHEME_VALUE = re.compile(r"^((?:Bearer|Basic|Token|Digest)\s+)\S.*$", re.IGNORECASE)


def _without_credentials(value: Any) -> Any:
    """A copy of an output value for display: members with credential-like names, and values that read as an
    ``Authorization`` value (``Bearer ...``), hidden at any depth."""
    if isinstance(value, pydantic.BaseModel):
        value = value.model_dump(mode="json", by_alias=True, warnings=False)
    if isinstance(value, Mapping):
        return {
            key: REDACTED if is_credential_name(str(key)) else _without_credentials(item)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [_without_credentials(item) for item in value]
    if isinstance(value, str):
        return _SCHEME_VALUE.sub(lambda m: m.group(1) + REDACTED, value)
    return value


class _Run:
    """What the sync and async runs share: the deadline, the step running, the steps completed."""

    def __init__(
        self, workflow: str, deadline: float | None, on_step: StepHook | None = None
    ) -> None:
        self.workflow = workflow
        self.on_step = on_step  # reports the calls of this run and of the workflows it runs
        self.deadline = RunDeadline(deadline)
        self.current: str | None = None
        self.completed: dict[str, dict[str, Any]] = {}
        # how many times each step started (a retry action: 2, 3, ...)
        self.attempts: dict[str, int] = {}
        self._trace: _RunTrace | None = None
        self._token: contextvars.Token[_Run | None] | None = None
        self._hooks: contextvars.Token[tuple[StepHook, ...]] | None = None

    def left(self, at_most: float | None = None) -> float | None:
        """Seconds left of the run's deadline (``0.0`` once passed), or ``None`` without one; with ``at_most``
        (a step's ``timeout``), never more than that."""
        left = self.deadline.left()
        if at_most is None:
            return left
        return max(at_most, 0.0) if left is None else min(max(at_most, 0.0), left)

    def bound(self, seconds: float) -> float:
        """``seconds`` (a wait before a retry), cut to the time left: no run waits past its deadline."""
        return self.deadline.bound(seconds)

    def timeout(self, seconds: float, awaited: str = "a response") -> StepTimeout:
        """The ``timeout`` of the step running (Arazzo 1.1), around its call (which gets
        ``deadline=run.left(seconds)``): see :class:`StepTimeout`; ``awaited`` is what the step waits for (a
        response, or a workflow it runs to finish)."""
        return StepTimeout(self.workflow, self.current or "", seconds, self.left(), awaited)

    def step(self, step_id: str) -> None:
        """Step ``step_id`` starts."""
        self.current = step_id
        self.attempts[step_id] = self.attempts.get(step_id, 0) + 1
        if self._trace is not None:
            self._trace.step(step_id, self.attempts[step_id])

    def done(self, step_id: str, outputs: Mapping[str, Any] | None = None) -> None:
        """Step ``step_id`` succeeded with ``outputs`` (by their names in the document)."""
        self.completed.pop(step_id, None)  # a step that runs again moves to the end
        self.completed[step_id] = dict(outputs or {})
        if self._trace is not None:
            self._trace.step_ended(None)

    def started(self) -> None:
        """The run starts: clients called within it see its step (:class:`StepEvent`), and a span opens
        when OpenTelemetry is installed."""
        self._token = _RUN.set(self)
        if self.on_step is not None:
            self._hooks = _HOOKS.set((*_HOOKS.get(), self.on_step))
        if _OTEL is not None:
            self._trace = _RunTrace.begin(self.workflow)

    def stopped(self, error: BaseException | None) -> None:
        """Attach this run's progress to ``error`` (whatever ends the run: a failed step, a connection error,
        a cancellation, Ctrl-C), add it to the error's notes, and log it (redacted)."""
        if self._trace is not None:
            self._trace.ended(error)
        if self._hooks is not None:
            _HOOKS.reset(self._hooks)
        if self._token is not None:
            _RUN.reset(self._token)
        if error is None:
            return
        inner = getattr(error, "progress", None)
        progress = Progress(
            self.workflow,
            self.current,
            self.completed,
            inner if isinstance(inner, Progress) else None,
        )
        try:
            error.progress = progress  # type: ignore[attr-defined]
            notes = getattr(error, "__notes__", None)
            if isinstance(inner, Progress) and isinstance(notes, list) and repr(inner) in notes:
                notes.remove(repr(inner))  # this run's note tells the inner one's too
            error.add_note(repr(progress))
        except (
            AttributeError
        ):  # an exception type with __slots__ and no __dict__: nowhere to attach it
            pass
        # a run inside another's (a step or action running a workflow): that run may recover (a retry, an
        # end) and logs the whole progress if it does not; only the outermost run warns
        level = logging.DEBUG if _RUN.get() is not None else logging.WARNING
        _LOG.log(level, "%s (%s)", progress, type(error).__name__)


class StepTimeout:
    """A step's ``timeout`` (Arazzo 1.1: "The maximum number of milli-seconds to wait for the step to complete
    before aborting and failing the step"), around the step's call.

    A step that runs a workflow gives it the step's time as its ``deadline=``: each request of that workflow
    gets at most the time left, and a wait before a retry is cut to it.

    When the call gives up with :class:`ApiTimeoutError` because the step's time is up (its timeout was the
    tighter deadline, and it has passed), the step fails: :class:`StepFailed` without a response, the client's
    error as ``cause``; its failure actions apply.  Any other timeout (the run's own deadline, the client's
    ``timeout=``) propagates unchanged.
    """

    def __init__(
        self,
        workflow: str,
        step: str,
        seconds: float,
        left: float | None,
        awaited: str = "a response",
    ) -> None:
        self.workflow = workflow
        self.step = step
        self.awaited = awaited
        self.seconds = max(seconds, 0.0)
        self.binding = left is None or self.seconds <= left  # else the run's deadline comes first
        self.end = time.monotonic() + self.seconds

    @property
    def criterion(self) -> str:
        return f"{self.awaited} within the step's timeout ({self.seconds * 1000:g} ms)"

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: types.TracebackType | None,
    ) -> Literal[False]:
        if isinstance(error, ApiTimeoutError) and self.binding and time.monotonic() >= self.end:
            raise StepFailed(self.workflow, self.step, self.criterion, None, error) from error
        return False


class WorkflowRun(_Run, contextlib.ExitStack[bool | None]):
    """One run of a workflow function: its deadline (:meth:`left`, :meth:`bound`), the clients it owns
    (``enter_context``, closed when it ends), and its :class:`Progress`, attached to any exception that ends
    it."""

    def __init__(
        self, workflow: str, deadline: float | None, on_step: StepHook | None = None
    ) -> None:
        _Run.__init__(self, workflow, deadline, on_step)
        contextlib.ExitStack.__init__(self)

    def __enter__(self) -> Self:
        self.started()
        return self

    def call(self, function: Callable[P, R], /, *args: P.args, **kwargs: P.kwargs) -> R:
        """Run another workflow's function (a step, action or dependsOn running a workflow): a plain call; in
        a durable run, a child workflow of the run (see the package's ``durable`` module)."""
        exchanges = _EXCHANGES.get()
        if exchanges is not None and not args:
            return exchanges.workflow(function, kwargs)
        return function(*args, **kwargs)

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: types.TracebackType | None,
    ) -> Literal[False]:
        self.stopped(error)
        contextlib.ExitStack.__exit__(self, kind, error, traceback)
        return False  # never swallows: the clients it closes do not either


class AsyncWorkflowRun(_Run, contextlib.AsyncExitStack[bool | None]):
    """:class:`WorkflowRun` for the async functions (``async with``; ``enter_async_context``)."""

    def __init__(
        self, workflow: str, deadline: float | None, on_step: StepHook | None = None
    ) -> None:
        _Run.__init__(self, workflow, deadline, on_step)
        contextlib.AsyncExitStack.__init__(self)

    async def __aenter__(self) -> Self:
        self.started()
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: types.TracebackType | None,
    ) -> Literal[False]:
        self.stopped(error)
        await contextlib.AsyncExitStack.__aexit__(self, kind, error, traceback)
        return False


# -- observability: step hooks, OpenTelemetry spans, DEBUG records -------------------------------------------
_PACKAGE = __name__.rpartition(".")[0] or __name__
LOG = logging.getLogger(_PACKAGE)
"""The package's logger: a ``DEBUG`` record when each call of a workflow step starts and ends (redacted)."""
if LOG_FILTER not in LOG.filters:
    LOG.addFilter(LOG_FILTER)


@dataclasses.dataclass(frozen=True, slots=True)
class StepEvent:
    """One call of a client starting (``phase == "start"``) or ending (``"end"``), as an ``on_step`` hook sees it.

    ``workflow_id`` and ``step_id`` name the workflow step making the call (``None`` for a call made outside
    a workflow run); ``attempt`` counts the runs of that step within its workflow run (1, then 2, 3, ... as
    a ``retry`` action runs it again; 1 outside a run).  ``method`` and ``url_template`` are the operation's
    (``/sessions/{id}``: the path template of the API description, never the filled URL, so it holds no
    value).  At the end: ``status_code`` of the response (``None`` when none arrived), ``duration`` in seconds
    (``time.perf_counter``, the client's own transport retries and their waits included), and ``error``, the
    client's exception when the call raised (already redacted), else ``None``.
    """

    phase: Literal["start", "end"]
    workflow_id: str | None
    step_id: str | None
    attempt: int
    method: str
    url_template: str
    status_code: int | None = None
    duration: float | None = None
    error: BaseException | None = None


StepHook = Callable[[StepEvent], object]
"""An ``on_step`` hook: called with each :class:`StepEvent`; an async client awaits what it returns when that
is awaitable (so ``async def`` hooks work there)."""

_HOOKS: contextvars.ContextVar[tuple[StepHook, ...]] = contextvars.ContextVar("on_step", default=())
_RUN: contextvars.ContextVar[_Run | None] = contextvars.ContextVar("workflow_run", default=None)


class Exchanges(typing.Protocol):
    """How a durable run makes the HTTP exchanges of its steps (see the package's ``durable`` module): ``send``
    makes the exchange (retries included) and returns the response or raises; an implementation records its
    outcome, and after a restart returns the recorded outcome instead of sending the request again.
    """

    def exchange(
        self, client: Any, request: Mapping[str, Any], send: Callable[[], httpx.Response]
    ) -> httpx.Response: ...

    def workflow(self, function: Callable[..., R], kwargs: dict[str, Any]) -> R:
        """Run ``function`` (another workflow's) with ``kwargs``: as a child of the durable run."""
        ...


_EXCHANGES: contextvars.ContextVar[Exchanges | None] = contextvars.ContextVar(
    "exchanges", default=None
)


@contextlib.contextmanager
def observe(on_step: StepHook) -> Iterator[None]:
    """Within the block, every client call (of any client: the workflow functions' own too) reports to
    ``on_step`` (see :class:`StepEvent`), besides the client's own ``on_step``.  Blocks nest (the outer hooks
    are called first); a task or thread started within sees the hooks its context copied.

    A hook that raises does not stop the call or the workflow: the error is logged as a ``WARNING`` of
    :data:`LOG` (redacted) and the next hook runs.  ``KeyboardInterrupt`` and other ``BaseException`` still
    end the run.
    """
    token = _HOOKS.set((*_HOOKS.get(), on_step))
    try:
        yield
    finally:
        _HOOKS.reset(token)


class _Call:
    """The hooks, span and log records of one client call (made only when something observes it)."""

    __slots__ = ("attempt", "begun", "hooks", "method", "run", "step", "url_template")

    def __init__(
        self, hooks: tuple[StepHook, ...], run: _Run | None, method: str, url_template: str
    ) -> None:
        self.hooks = hooks
        self.run = run
        self.step = run.current if run is not None else None
        self.attempt = run.attempts.get(self.step, 1) if run is not None and self.step else 1
        self.method = method
        self.url_template = url_template
        self.begun = time.perf_counter()

    @classmethod
    def begin(cls, own: StepHook | None, method: str, url_template: str) -> _Call | None:
        """A call about to be sent, or ``None`` when nothing observes it (the cheap path)."""
        hooks = _HOOKS.get()
        run = _RUN.get()
        if own is not None:
            hooks = (*hooks, own)
        if (
            not hooks
            and (run is None or run._trace is None)
            and not LOG.isEnabledFor(logging.DEBUG)
        ):
            return None
        return cls(hooks, run, method.upper(), url_template)

    def _event(self, phase: Literal["start", "end"], **end: Any) -> StepEvent:
        workflow = self.run.workflow if self.run is not None else None
        return StepEvent(
            phase, workflow, self.step, self.attempt, self.method, self.url_template, **end
        )

    def start(self) -> list[Awaitable[Any]]:
        if self.run is not None and self.run._trace is not None:
            self.run._trace.call(self.method, self.url_template)
        if LOG.isEnabledFor(logging.DEBUG):
            LOG.debug("%s: %s %s starts", self._where(), self.method, self.url_template)
        return self._notify(self._event("start")) if self.hooks else []

    def end(
        self, response: ApiResponse[Any] | None, error: BaseException | None
    ) -> list[Awaitable[Any]]:
        duration = time.perf_counter() - self.begun
        status = (
            response.status_code if response is not None else getattr(error, "status_code", None)
        )
        if self.run is not None and self.run._trace is not None and status is not None:
            self.run._trace.status(status)
        if LOG.isEnabledFor(logging.DEBUG):
            outcome = f"HTTP {status}" if status is not None else "no response"
            failure = f" ({type(error).__name__}: {error})" if error is not None else ""
            LOG.debug(
                "%s: %s %s ended: %s in %.3f s%s",
                self._where(), self.method, self.url_template, outcome, duration, failure,
            )  # fmt: skip
        if not self.hooks:
            return []
        return self._notify(self._event("end", status_code=status, duration=duration, error=error))

    def _where(self) -> str:
        if self.run is None or self.step is None:
            return "call"
        return f"workflow '{self.run.workflow}' step '{self.step}' attempt {self.attempt}"

    def _notify(self, event: StepEvent) -> list[Awaitable[Any]]:
        """Call each hook; what they return that is awaitable (an async hook's coroutine) is for the caller."""
        pending = []
        for hook in self.hooks:
            try:
                result = hook(event)
            except Exception as error:  # noqa: BLE001 - a hook never breaks the call it observes
                _hook_failed(hook, error)
                continue
            if inspect.isawaitable(result):
                pending.append(result)
        return pending


def _hook_failed(hook: object, error: Exception) -> None:
    LOG.warning(
        "on_step hook %s raised %s: %s (ignored)",
        getattr(hook, "__qualname__", type(hook).__name__), type(error).__name__, error,
    )  # fmt: skip


def _settle(pending: list[Awaitable[Any]]) -> None:
    """A sync client cannot await an async hook: it is closed unawaited, with a warning."""
    for awaitable in pending:
        close = getattr(awaitable, "close", None)
        if close is not None:
            close()
        LOG.warning("an async on_step hook was given to a sync client: it is not run")


async def _asettle(pending: list[Awaitable[Any]]) -> None:
    for awaitable in pending:
        try:
            await awaitable
        except Exception as error:  # noqa: BLE001 - a hook never breaks the call it observes
            _hook_failed(awaitable, error)


def _otel_modules() -> tuple[Any, Any] | None:
    """``opentelemetry.trace`` and ``opentelemetry.context`` when ``opentelemetry-api`` is installed."""
    try:
        return (
            importlib.import_module("opentelemetry.trace"),
            importlib.import_module("opentelemetry.context"),
        )
    except ImportError:
        return None


_OTEL = _otel_modules()
# a proxy until the application sets a tracer provider, then that provider's tracer
_TRACER: Any = _OTEL[0].get_tracer(_PACKAGE) if _OTEL is not None else None


class _RunTrace:
    """The OpenTelemetry spans of one workflow run: ``workflow <id>`` (a child of the span current when the run
    starts: a step's, for a workflow a step runs) and one ``step <id>`` child per step attempt, each current
    while it lasts (spans made by the calls within, an instrumented httpx's, are its children)."""

    def __init__(self, workflow: str, span: Any) -> None:
        assert _OTEL is not None
        self._trace, self._context = _OTEL
        self._tracer = _TRACER
        self._workflow = workflow
        self._span = span
        self._token = self._context.attach(self._trace.set_span_in_context(span))
        self._step: Any = None
        self._step_token: Any = None

    @classmethod
    def begin(cls, workflow: str) -> _RunTrace | None:
        """The spans of a run, or ``None`` when its span records nothing (no tracer provider is set, or it was
        sampled out): the run then costs no more than without OpenTelemetry."""
        span = _TRACER.start_span(
            f"workflow {workflow}", attributes={"arazzo.workflow.id": workflow}
        )
        if not span.is_recording():
            span.end()
            return None
        return cls(workflow, span)

    def step(self, step_id: str, attempt: int) -> None:
        if self._step is not None:  # a step that ran again, or a goto, before it succeeded
            self.step_ended(None, failed=True)
        self._step = self._tracer.start_span(
            f"step {step_id}",
            context=self._trace.set_span_in_context(self._span),
            attributes={
                "arazzo.workflow.id": self._workflow,
                "arazzo.step.id": step_id,
                "arazzo.step.attempt": attempt,
            },
        )
        self._step_token = self._context.attach(self._trace.set_span_in_context(self._step))

    def call(self, method: str, url_template: str) -> None:
        if self._step is not None:
            self._step.set_attributes({"http.request.method": method, "url.template": url_template})

    def status(self, status_code: int) -> None:
        if self._step is not None:
            self._step.set_attribute("http.response.status_code", status_code)

    def step_ended(self, error: BaseException | None, failed: bool = False) -> None:
        step, self._step = self._step, None
        if step is None:
            return
        if error is not None:
            self._failed(step, error)
        elif failed:
            step.set_status(
                self._trace.Status(self._trace.StatusCode.ERROR, "the step did not succeed")
            )
        step.end()
        self._detach(self._step_token)

    def ended(self, error: BaseException | None) -> None:
        self.step_ended(error)
        if error is not None:
            self._failed(self._span, error)
        self._span.end()
        self._detach(self._token)

    def _failed(self, span: Any, error: BaseException) -> None:
        span.set_status(
            self._trace.Status(
                self._trace.StatusCode.ERROR, f"{type(error).__name__}: {redact_text(str(error))}"
            )
        )
        span.set_attribute("error.type", type(error).__qualname__)

    def _detach(self, token: Any) -> None:
        self._context.detach(
            token
        )  # never raises: a token of another context is logged by OpenTelemetry


def retry_after(response: ApiResponse[Any], default: float) -> float:
    """Seconds to wait before retrying a step: the response's ``Retry-After`` header (delay-seconds or an
    HTTP-date, RFC 9110 section 10.2.3) when it is valid, else ``default`` (the action's ``retryAfter``).
    """
    seconds = _retry_after_seconds(response.headers.get("retry-after", ""), time.time())
    return default if seconds is None else seconds


def _retry_after_seconds(value: str, now: float) -> float | None:
    """A ``Retry-After`` value (delay-seconds or an HTTP-date) as seconds from ``now`` (a POSIX time), or
    ``None`` when it is absent or not valid."""
    value = value.strip()
    if value.isdigit():
        return float(int(value))
    if not value:
        return None
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=datetime.UTC)
    return max(0.0, when.timestamp() - now)


# -- request building --------------------------------------------------------------------------------------
def to_text(value: Any) -> str:
    """A parameter value as it travels in a path, query, header or cookie."""
    if isinstance(value, enum.Enum):
        value = value.value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime.date | datetime.time):  # RFC 3339 (format: date-time, date, time)
        return value.isoformat()
    if isinstance(value, pydantic.BaseModel):
        return value.model_dump_json(by_alias=True, exclude_none=True, warnings=False)
    if isinstance(value, list | tuple):  # OpenAPI "simple" style: comma-separated
        return ",".join(to_text(item) for item in value)
    if isinstance(value, Mapping):
        return json.dumps(to_jsonable(value), separators=(",", ":"))
    return str(value)


def to_jsonable(value: Any) -> Any:
    """Models, enums and containers turned into plain JSON data (by alias, without unset optionals)."""
    if isinstance(value, pydantic.BaseModel):
        # warnings=False: a model read tolerantly may hold a value as received (see tolerant())
        return value.model_dump(mode="json", by_alias=True, exclude_unset=True, warnings=False)
    if isinstance(value, enum.Enum):
        return to_jsonable(value.value)
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    return value


def form_fields(body: Mapping[str, Any]) -> dict[str, str | list[str]]:
    """Form fields as they are encoded: lists repeat the name (form, explode), ``None`` is left out."""
    fields: dict[str, str | list[str]] = {}
    for name, value in to_jsonable(body).items():
        if value is None:
            continue
        fields[name] = (
            [to_text(item) for item in value] if isinstance(value, list) else to_text(value)
        )
    return fields


def xml_text(value: Any) -> str:
    """A value inserted into an XML payload: its text with ``&``, ``<``, ``>`` and quotes escaped."""
    return (
        to_text(value)
        .replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
    )


def required_value(value: T | None, workflow: str, step: str, expression: str, why: str) -> T:
    """``value`` where a required parameter or request body needs it: ``None`` (an optional input not given, a
    JSON ``null``, the output of a step a goto/end/retry path skipped) fails the step with ``StepFailed`` naming
    the expression and ``why``, rather than sending ``None``."""
    if value is None:
        raise StepFailed(workflow, step, f"{expression} is set ({why})")
    return value


def converted(
    value: object, tp: type[T], workflow: str, step: str, expression: str, needed_by: str
) -> T:
    """``value`` (a ``str``, ``int``, ``float`` or ``bool``) as ``tp`` where ``needed_by`` documents that type:
    ``'7'`` for an integer parameter is ``7``.  pydantic's lax conversion decides; a value it cannot convert
    fails the step with ``StepFailed`` naming the expression rather than sending it."""
    if type(value) is tp:
        return value
    try:
        return _adapter(tp).validate_python(value)  # type: ignore[no-any-return]
    except pydantic.ValidationError:
        pass
    raise StepFailed(
        workflow, step, f"{expression} is {_type_name(tp)} ({needed_by} documents that type)"
    )


def to_xml(document: Mapping[str, Any]) -> str:
    """An XML payload written as a mapping, ``{root: content}``: a mapping's members are child elements (a
    member named ``@name`` is an attribute), a list repeats its element, ``None`` is an empty element, other
    values are escaped text (``xml_text``)."""
    ((name, value),) = document.items()
    return _xml_element(str(name), to_jsonable(value))


def _xml_element(name: str, value: Any) -> str:
    if isinstance(value, list | tuple):
        return "".join(_xml_element(name, item) for item in value)
    if value is None:
        return f"<{name}/>"
    if isinstance(value, Mapping):
        attributes = "".join(
            f' {key[1:]}="{xml_text(item)}"' for key, item in value.items() if key.startswith("@")
        )
        children = "".join(
            _xml_element(key, item) for key, item in value.items() if not key.startswith("@")
        )
        return f"<{name}{attributes}>{children}</{name}>"
    return f"<{name}>{xml_text(value)}</{name}>"


def with_replacements(
    payload: Any, *replacements: tuple[tuple[str, ...], Any], workflow: str = "", step: str = ""
) -> Any:
    """``payload`` (as JSON data) with each JSON Pointer target (given as tokens) set to its value, in order.

    A missing object member is added; ``-`` appends to an array; a target under a missing parent fails the
    step with ``StepFailed`` naming the pointer.
    """
    document = to_jsonable(payload)
    for tokens, value in replacements:
        if not tokens:
            document = to_jsonable(value)
            continue
        node = document
        for token in tokens[:-1]:
            if isinstance(node, dict) and token in node:
                node = node[token]
            elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
                node = node[int(token)]
            else:
                node = None  # a missing parent
                break
        last = tokens[-1]
        if isinstance(node, dict):
            node[last] = to_jsonable(value)
        elif isinstance(node, list) and last == "-":
            node.append(to_jsonable(value))
        elif isinstance(node, list) and last.isdigit() and int(last) < len(node):
            node[int(last)] = to_jsonable(value)
        else:
            target = "/" + "/".join(tokens)
            failure = StepFailed(
                workflow, step, f"the requestBody replacement target {target} is in the payload"
            )
            missing = f"the requestBody replacement target {target} is not in the payload"
            failure.args = (f"workflow '{workflow}' step '{step}' failed: {missing}",)
            raise failure
    return document


class Encoded(str):
    """A path value already serialised and percent-encoded (``label`` and ``matrix`` styles)."""


class QueryPairs(list[tuple[str, str]]):
    """A query value already serialised to name/value pairs (``deepObject`` style)."""


def _deep_pairs(name: str, value: Any) -> list[tuple[str, str]]:
    if isinstance(value, Mapping):
        return [
            pair
            for key, item in value.items()
            if item is not None
            for pair in _deep_pairs(f"{name}[{key}]", item)
        ]
    if isinstance(value, list | tuple):
        return [(name, to_text(item)) for item in value]
    return [(name, to_text(value))]


def styled(value: Any, style: str, explode: bool, name: str) -> Any:
    """A parameter value serialised per its OpenAPI ``style``/``explode`` where that differs from the default.

    ``spaceDelimited``/``pipeDelimited`` (query): the items joined with a space or ``|``; ``label`` (path):
    ``.a,b`` or, exploded, ``.a.b``; ``matrix`` (path): ``;name=a,b`` or, exploded, ``;name=a;name=b``;
    ``deepObject`` (query): ``name[key]=value`` per member (``name[a][b]`` for nested objects, the name
    repeated for a list).
    """
    if value is None:
        return None
    if style == "deepObject":
        return QueryPairs(_deep_pairs(name, to_jsonable(value)))
    items = list(value) if isinstance(value, list | tuple) else [value]
    if style in ("spaceDelimited", "pipeDelimited"):
        return (" " if style == "spaceDelimited" else "|").join(to_text(item) for item in items)
    parts = [quote(to_text(item), safe="") for item in items]
    if style == "label":
        return Encoded("." + ("." if explode else ",").join(parts))
    if style == "matrix":
        key = quote(name, safe="")
        if explode:
            return Encoded("".join(f";{key}={part}" for part in parts))
        return Encoded(f";{key}=" + ",".join(parts))
    return value


_PLACEHOLDER = re.compile(r"\{([^{}]+)\}")


def _no_dot_segments(path: str) -> str:
    """``path`` with every ``.`` and ``..`` segment percent-encoded (``%2E``, ``%2E%2E``): URL parsers remove
    dot segments, so a value ``..`` would otherwise climb out of its segment (``/items/..`` is ``/``).
    """
    return "/".join(
        segment.replace(".", "%2E") if segment in (".", "..") else segment
        for segment in path.split("/")
    )


def expand_path(template: str, values: Mapping[str, Any]) -> str:
    """Fill ``{name}`` placeholders with percent-encoded values (``{name+}`` keeps the value's ``/``).

    A list is the ``simple`` style: its items encoded one by one and joined with ``,``.  Every value stays in
    its segment: ``/`` is ``%2F``, ``%`` is ``%25``, and a segment the values make ``.`` or ``..`` is sent as
    ``%2E`` or ``%2E%2E`` (not removed, nor climbing, by URL normalisation).
    """
    texts: dict[str, str] = {}
    for name, value in values.items():
        safe = "/" if name.endswith("+") else ""
        if isinstance(value, Encoded):
            texts[name] = str(value)
        elif isinstance(value, list | tuple):
            texts[name] = ",".join(quote(to_text(item), safe=safe) for item in value)
        else:
            texts[name] = quote(to_text(value), safe=safe)
    # one pass: a value holding "{other}" is not expanded again
    path = _PLACEHOLDER.sub(lambda match: texts.get(match[1], match[0]), template)
    return _no_dot_segments(path)


def query_pairs(values: Mapping[str, Any], exploded: frozenset[str]) -> list[tuple[str, str]]:
    """Query parameters as pairs; lists repeat the name (``explode``) or are comma-joined; an object's members
    are pairs of their own (``form`` exploded, OpenAPI's default), else its JSON text (a ``content`` parameter).
    """
    pairs: list[tuple[str, str]] = []
    for name, value in values.items():
        if value is None:
            continue
        if isinstance(value, QueryPairs):
            pairs.extend(value)
        elif isinstance(value, Mapping | pydantic.BaseModel) and name in exploded:
            members = to_jsonable(value)
            pairs.extend(
                (str(key), to_text(item)) for key, item in members.items() if item is not None
            )
        elif isinstance(value, list | tuple):
            if name in exploded:
                pairs.extend((name, to_text(item)) for item in value)
            else:
                pairs.append((name, ",".join(to_text(item) for item in value)))
        else:
            pairs.append((name, to_text(value)))
    return pairs


# the characters a query may hold as they are (RFC 3986 pchar, "/" and "?"), and "%" of escapes already made
_QUERY_SAFE = "!$&'()*+,;=:@/?%-._~"


def query_string(value: Any, media_type: str) -> str | None:
    """The whole query string an OpenAPI 3.2 ``querystring`` parameter sends, or ``None`` for no value.

    A string is the query string as written in its media type's format (Arazzo 1.1: "the value MUST resolve to
    a string representing the complete query string"): ``application/x-www-form-urlencoded`` text is sent as
    it is, only what a query cannot hold percent-encoded (a space: ``%20``); the text of any other media type
    (``application/json``) is percent-encoded whole.  Another value is serialised first: as a form body
    (lists repeat the name, spaces as ``+``), or as compact JSON text.
    """
    if value is None:
        return None
    form = media_type.split(";")[0].strip().lower() == "application/x-www-form-urlencoded"
    if isinstance(value, str):
        return quote(value, safe=_QUERY_SAFE) if form else quote(value, safe="")
    if form and isinstance(value, Mapping | pydantic.BaseModel):
        return urlencode(form_fields(to_jsonable(value)), doseq=True)
    if form:
        return quote_plus(to_text(value))
    return quote(json.dumps(to_jsonable(value), separators=(",", ":")), safe="")


def join_url(base_url: str, path: str) -> str:
    return base_url.rstrip("/") + "/" + path.lstrip("/")


# -- response handling -------------------------------------------------------------------------------------
_ADAPTERS: dict[Any, pydantic.TypeAdapter[Any]] = {}


def _adapter(tp: Any) -> pydantic.TypeAdapter[Any]:
    adapter = _ADAPTERS.get(tp)
    if adapter is None:
        adapter = _ADAPTERS[tp] = pydantic.TypeAdapter(tp)
    return adapter


def _documented(status_code: int, responses: Mapping[str, Any]) -> str | None:
    """The key of ``responses`` that documents ``status_code`` (exact, then ``4XX``-style, then default)."""
    for key in (str(status_code), f"{status_code // 100}XX", f"{status_code // 100}xx", "default"):
        if key in responses:
            return key
    return None


MAX_JSON_DEPTH = 200
"""A response body nested deeper than this is read as text, not JSON: the values a workflow reads from it are
missing (Python's recursion limit would otherwise end the workflow with ``RecursionError``)."""


def _nested_deeper_than(data: Any, limit: int) -> bool:
    stack = [(data, 1)]
    while stack:
        node, depth = stack.pop()
        children = (
            node.values() if isinstance(node, dict) else node if isinstance(node, list) else None
        )
        if children is None:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


def _decode(response: httpx.Response) -> Any:
    """The body as JSON data when it is JSON (nested at most :data:`MAX_JSON_DEPTH` deep), else as text
    (``None`` when empty): never an error."""
    if not response.content:
        return None
    try:
        data = response.json()
    except (
        ValueError,
        RecursionError,
    ):  # not JSON (UnicodeDecodeError included), or nested far too deep
        return response.text
    return response.text if _nested_deeper_than(data, MAX_JSON_DEPTH) else data


def body_json(response: ApiResponse[Any]) -> Any:
    """``$response.body`` as a criterion reads it: the decoded JSON, or the text when the body is not JSON
    (then a JSON Pointer into it finds nothing), ``None`` when empty.  Decoded once per response."""
    return response.decoded


def _parse_body(tp: Any, response: httpx.Response, strict: bool = False) -> Any:
    """The decoded body as ``tp`` unless ``tp`` is ``None``: built by :func:`tolerant`, or validated when
    ``strict`` (raises pydantic's error)."""
    data = _decode(response)
    if tp is None:
        return data
    return _adapter(tp).validate_python(data) if strict else tolerant(tp, data)


def _parser(
    key: str | None, responses: Mapping[str, Any], strict: bool = False
) -> Callable[[httpx.Response], Any]:
    tp = responses.get(key) if key is not None else None
    # picklable
    return (
        functools.partial(_parse_body, tp, strict=True)
        if strict
        else functools.partial(_parse_body, tp)
    )


def handle(
    response: httpx.Response,
    responses: Mapping[str, Any],
    redactor: Redactor | None = None,
    strict_validation: bool = False,
) -> ApiResponse[Any]:
    """Wrap a documented success response, or raise the fitting :class:`ApiStatusError`.

    With ``strict_validation``, the body is validated strictly (see :attr:`ApiResponse.parsed`).
    """
    key = _documented(response.status_code, responses)
    result: ApiResponse[Any] = ApiResponse(
        response, _parser(key, responses, strict_validation), redactor
    )
    result.strict_validation = strict_validation
    is_success = (
        response.status_code < 400
        and key is not None
        and (key != "default" or not _has_success(responses))
    )
    if is_success:
        return result
    failure = result.detached()
    error = error_class(response.status_code)(
        failure, _error_body(failure, key is not None), key is not None
    )
    if _ANY_STATUS.get():
        result.status_error = error
        return result
    raise error


_ANY_STATUS: contextvars.ContextVar[bool] = contextvars.ContextVar("any_status", default=False)


@contextlib.contextmanager
def any_status() -> Iterator[None]:
    """Within the block, a client call returns its response whatever its status.

    An error status raises nothing: the response's ``status_error`` holds the :class:`ApiStatusError` the call
    would have raised (and :class:`StepFailed` made from that response keeps it as its ``cause``).  A workflow
    step calls its operation so, because its success criteria, not the status, decide whether it succeeded.
    Connection errors and timeouts still raise.  A client created without ``max_retries=`` makes no transport
    retries within the block: a workflow step makes exactly the calls its Arazzo document defines.  Works for the async clients too (``await`` inside the block).
    """
    token = _ANY_STATUS.set(True)
    try:
        yield
    finally:
        _ANY_STATUS.reset(token)


def _error_body(response: ApiResponse[Any], documented: bool) -> Any:
    if documented:
        try:
            return response.parsed
        except ResponseValidationError:
            pass
    return _decode(response.http_response)


def _has_success(responses: Mapping[str, Any]) -> bool:
    return any(key[:1] in "23" for key in responses)


def _summary(body: Any) -> str:
    if isinstance(body, pydantic.BaseModel):
        text = body.model_dump_json(by_alias=True, exclude_none=True, warnings=False)
    elif isinstance(body, str):
        text = body
    else:
        try:
            text = json.dumps(body)
        except (TypeError, ValueError):
            text = repr(body)
    return text if len(text) <= 500 else text[:497] + "..."


def json_pointer(document: Any, *tokens: str | int) -> Any:
    """The value at a JSON Pointer (given as tokens) inside decoded JSON or models; ``None`` if absent."""
    node = to_jsonable(document)
    for token in tokens:
        if isinstance(node, Mapping):
            node = node.get(str(token))
        elif isinstance(node, list) and str(token).isdigit() and int(token) < len(node):
            node = node[int(token)]
        else:
            return None
    return node


def request_header(response: ApiResponse[Any], name: str) -> str | None:
    """``$request.header.<name>``: the header the step's request carried (names are case-insensitive)."""
    value: str | None = response.http_response.request.headers.get(name)
    return value


def request_query(response: ApiResponse[Any], name: str) -> str | None:
    """``$request.query.<name>``: the (first) query parameter the step's request carried."""
    value: str | None = response.http_response.request.url.params.get(name)
    return value


def request_json(response: ApiResponse[Any]) -> Any:
    """``$request.body``: the body the step's request carried, decoded as JSON (else text; ``None`` if empty)."""
    content = response.http_response.request.content
    if not content:
        return None
    try:
        return json.loads(content)
    except ValueError:
        return content.decode(errors="replace")


# -- criteria ----------------------------------------------------------------------------------------------
class CriterionError(StepFailed):
    """A criterion could not be evaluated on the response.

    Raised by the modules of the criteria a library evaluates, where the package has them (without them it is
    never raised):

    * ``_runtime_regex``: a regex criterion ran longer than its time limit;
    * ``_runtime_jsonpath``: a regex of a jsonpath criterion (``match()``, ``search()``) ran longer than it;
    * ``_runtime_xpath``: an xpath criterion met an XML body that declares a DTD or entities, or XPath could
      not evaluate it.

    The step fails at once (no failure action applies): ``criterion`` is the criterion's text, ``reason`` why.
    """

    def __init__(self, workflow: str, step: str, criterion: str, reason: str) -> None:
        _PicklableError.__init__(
            self,
            f"workflow '{workflow}' step '{step}' failed: criterion {criterion!r} could not be evaluated: {reason}",
        )
        self.workflow = workflow
        self.step = step
        self.criterion = criterion
        self.reason = reason
        self.response = None
        self.cause = None
        self.status_code = None


# Arazzo: "String comparisons MUST be case insensitive"; simple conditions compile to Python comparisons that
# use these helpers only where the types need them.
def fold_case(value: Any) -> Any:
    """``value`` ready for a case-insensitive comparison: strings (and string enums) case-folded, others as-is."""
    if isinstance(value, enum.Enum):
        value = value.value
    return value.casefold() if isinstance(value, str) else value


def as_number(value: Any) -> Any:
    """``value`` as a number when it is text holding one (a header compared with a number), else as-is."""
    if isinstance(value, enum.Enum):
        value = value.value
    if isinstance(value, str):
        for kind in (int, float):
            try:
                return kind(value.strip())
            except ValueError:
                continue
    return value


def _orderable(left: Any, right: Any) -> tuple[Any, Any] | None:
    """Both values as numbers or both as case-folded strings; ``None`` when they cannot be ordered."""
    left, right = fold_case(left), fold_case(right)
    if isinstance(left, str) != isinstance(right, str):
        left, right = as_number(left), as_number(right)
    for value in (left, right):
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            return None
    if isinstance(left, str) != isinstance(right, str):
        return None
    return left, right


def is_less(left: Any, right: Any) -> bool:
    """``left < right``; false when the values cannot be ordered (a missing value, a word against a number)."""
    pair = _orderable(left, right)
    return pair is not None and pair[0] < pair[1]


def is_less_or_equal(left: Any, right: Any) -> bool:
    """``left <= right``; false when the values cannot be ordered."""
    pair = _orderable(left, right)
    return pair is not None and pair[0] <= pair[1]


def is_greater(left: Any, right: Any) -> bool:
    """``left > right``; false when the values cannot be ordered."""
    pair = _orderable(left, right)
    return pair is not None and pair[0] > pair[1]


def is_greater_or_equal(left: Any, right: Any) -> bool:
    """``left >= right``; false when the values cannot be ordered."""
    pair = _orderable(left, right)
    return pair is not None and pair[0] >= pair[1]


# -- clients -----------------------------------------------------------------------------------------------
DEFAULT_MAX_RETRIES = 2
"""Retries a client makes by default (``max_retries=``); see :meth:`_ClientBase._retries` for when."""
RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
"""Statuses a client retries (besides connection errors and timeouts)."""
INITIAL_RETRY_DELAY = 0.5
"""Seconds before the first retry when the server sends no ``Retry-After``; doubled for each next one."""
MAX_RETRY_DELAY = 8.0
"""The longest backoff between two attempts without ``Retry-After``."""
MAX_RETRY_AFTER = 60.0
"""The longest wait a ``Retry-After`` header can ask for (a longer one is cut to it)."""
_NOT_IDEMPOTENT = frozenset({"POST", "PATCH"})
_retry_log = logging.getLogger(__name__)


@functools.cache
def shared_ssl_context() -> ssl.SSLContext:
    """The verifying SSL context every client of this process shares, made on first use.

    httpx makes one per client by default, loading the whole certificate bundle each time (tens of
    milliseconds), even for ``http://`` URLs.  It is the one httpx would make (certifi's bundle, or
    ``SSL_CERT_FILE``/``SSL_CERT_DIR`` when set); pass ``http_client=`` to configure TLS differently.
    """
    return httpx.create_ssl_context()


class _ClientBase:
    """Configuration shared by the sync and async clients: base URL, default headers, credentials."""

    def __init__(
        self,
        base_url: str,
        *,
        headers: Mapping[str, str] | None,
        query: Mapping[str, str] | None,
        cookies: Mapping[str, str] | None,
        timeout: float | httpx.Timeout,
        deadline: float | None,
        credential_names: Iterable[str],
        strict_validation: bool = False,
        max_retries: int | None = None,
    ) -> None:
        self.base_url = base_url
        self.strict_validation = strict_validation
        # None: the default (DEFAULT_MAX_RETRIES), and none inside a workflow step (see _retries)
        self.max_retries = max_retries
        self.clock: Callable[[], float] = time.time  # now, as a POSIX time: for Retry-After dates
        self._headers = dict(headers or {})
        self._query = dict(query or {})
        self._cookies = dict(cookies or {})
        self._timeout = timeout
        self._deadline = deadline_seconds(deadline)
        self._redactor = Redactor(credential_names)
        _learn_credentials(self._redactor, self._headers, self._query, self._cookies)

    def _retries(self, request: Mapping[str, Any], max_retries: int | None) -> int:
        """How many times a request may be retried after a connection error or a status of
        :data:`RETRY_STATUSES`.

        A call's ``max_retries=`` decides (and makes a POST or PATCH safe to repeat: the caller asked).  Else
        POST and PATCH are retried only with an ``Idempotency-Key`` header.  Else the client's ``max_retries=``
        decides; a client created without it makes :data:`DEFAULT_MAX_RETRIES`, except inside a workflow step
        (:func:`any_status`): there the Arazzo document decides, and a step makes exactly the calls it defines.
        """
        if max_retries is not None:
            return max(0, max_retries)
        if request["method"].upper() in _NOT_IDEMPOTENT and not any(
            name.lower() == "idempotency-key" for name in request["headers"]
        ):
            return 0
        if self.max_retries is not None:
            return max(0, self.max_retries)
        return 0 if _ANY_STATUS.get() else DEFAULT_MAX_RETRIES

    def _retry_wait(self, attempt: int, response: httpx.Response | None) -> float:
        """Seconds to wait before retry number ``attempt + 1``: the response's ``Retry-After`` (capped at
        :data:`MAX_RETRY_AFTER`), else exponential backoff with jitter (between 75 and 100 percent of
        ``INITIAL_RETRY_DELAY * 2**attempt``, at most :data:`MAX_RETRY_DELAY`)."""
        if response is not None:
            seconds = _retry_after_seconds(response.headers.get("retry-after", ""), self.clock())
            if seconds is not None:
                return min(seconds, MAX_RETRY_AFTER)
        backoff: float = min(INITIAL_RETRY_DELAY * 2.0**attempt, MAX_RETRY_DELAY)
        return backoff * (1 - 0.25 * random.random())

    def _retry_plan(
        self,
        request: Mapping[str, Any],
        attempt: int,
        retries: int,
        end: float | None,
        response: httpx.Response | None,
        failure: ApiError | None,
    ) -> float | None:
        """The wait before retrying (``None``: no retry): an attempt left, a retried outcome, and time for the
        wait and another attempt before the deadline's ``end`` (a ``time.monotonic()``)."""
        if attempt >= retries:
            return None
        if response is not None and response.status_code not in RETRY_STATUSES:
            return None
        if failure is not None and not failure._retryable:
            return None
        wait = self._retry_wait(attempt, response)
        if end is not None and wait >= end - time.monotonic():
            return None
        why = f"HTTP {response.status_code}" if response is not None else str(failure)
        _retry_log.info(
            "retrying %s %s in %.2f s (%s); retry %d of %d",
            request["method"],
            self._redactor.url(request["url"]),
            wait,
            why,
            attempt + 1,
            retries,
        )
        return wait

    def _build(
        self,
        method: str,
        path: str,
        *,
        path_params: Mapping[str, Any],
        query: Mapping[str, Any],
        headers: Mapping[str, Any],
        cookies: Mapping[str, Any],
        exploded: frozenset[str] = frozenset(),
        body: Any = None,
        content_type: str | None = None,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, Any] | None = None,
        querystring: tuple[Any, str] | None = None,
    ) -> dict[str, Any]:
        url = join_url(self.base_url, expand_path(path, path_params))
        all_headers = dict(self._headers)
        all_headers.update({k: to_text(v) for k, v in headers.items() if v is not None})
        all_headers.update(extra_headers or {})
        all_cookies = dict(self._cookies)
        all_cookies.update({k: to_text(v) for k, v in cookies.items() if v is not None})
        if all_cookies:
            all_headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in all_cookies.items())
        # a parameter the call leaves out (None) keeps the client's configured value of that name; a parameter
        # the API does not declare gets OpenAPI's default query style: form, exploded
        given = {k: v for k, v in query.items() if v is not None}
        params = query_pairs(
            {**self._query, **given, **(extra_query or {})}, exploded | frozenset(extra_query or ())
        )
        for name, value in [*all_headers.items(), *all_cookies.items(), *params]:
            self._redactor.remember(name, value)
        whole = query_string(*querystring) if querystring is not None else None
        if whole is not None:
            # an OpenAPI 3.2 querystring parameter is the query string; other pairs (credentials) follow it
            extra = "&" + urlencode(params) if params else ""
            url, params = f"{url}?{whole}{extra}", []
        request: dict[str, Any] = {"method": method, "url": url, "headers": all_headers}
        if params:  # httpx re-parses the URL whenever params is passed, even empty
            request["params"] = params
        if body is not None:
            # a Content-Type the call or the client sets (a step's header parameter, in any case) is sent as given
            typed = any(name.lower() == "content-type" for name in all_headers)
            media = (content_type or "application/json").split(";")[0].strip().lower()
            if media == "application/x-www-form-urlencoded":
                request["data"] = form_fields(body)
            elif media == "multipart/form-data":
                request["files"] = {
                    k: v if isinstance(v, bytes) else (None, to_text(v)) for k, v in body.items()
                }
            elif media.endswith(("json", "+json")) or media == "*/*":
                request["content"] = json.dumps(to_jsonable(body)).encode()
                if not typed:
                    all_headers["Content-Type"] = content_type or "application/json"
            else:
                request["content"] = body if isinstance(body, bytes | str) else to_text(body)
                if not typed:
                    all_headers["Content-Type"] = content_type or "application/octet-stream"
        return request

    def _connection_error(self, request: Mapping[str, Any], error: Exception) -> ApiConnectionError:
        kind = ApiTimeoutError if isinstance(error, httpx.TimeoutException) else ApiConnectionError
        reason = self._redactor.text(f"{type(error).__name__}: {error}")
        failure = kind(request["method"], self._redactor.url(request["url"]), reason)
        # a transport failure (connecting, a timeout, the connection dropped) may pass: worth a retry
        failure._retryable = isinstance(error, httpx.TransportError)
        return failure

    def _limits(self, timeout: Any, deadline: float | None) -> tuple[Any, float | None]:
        """The timeout of each network operation and the deadline of the whole request (seconds, or None).

        No operation may outlast the deadline by much: each one gets at most the deadline and a second (the
        deadline itself ends the request first; the second lets a request given up stop soon after).
        """
        timeout = self._timeout if timeout is None else timeout
        deadline = deadline_seconds(deadline)
        if deadline is None or (self._deadline is not None and self._deadline < deadline):
            deadline = self._deadline  # a call's deadline tightens the client's, never loosens it
        if deadline is None:
            return timeout, None
        bounded = httpx.Timeout(timeout)
        parts = {
            "connect": bounded.connect,
            "read": bounded.read,
            "write": bounded.write,
            "pool": bounded.pool,
        }
        most = deadline + 1.0
        return (
            httpx.Timeout(**{k: most if v is None else min(v, most) for k, v in parts.items()}),
            deadline,
        )

    def _deadline_error(self, request: Mapping[str, Any], deadline: float) -> ApiTimeoutError:
        if deadline == 0:
            reason = "the deadline had passed before the request was sent (deadline=)"
        else:
            reason = f"no complete response within the deadline of {deadline:g} s (deadline=)"
        return ApiTimeoutError(request["method"], self._redactor.url(request["url"]), reason)


class _DeadlinePassed(Exception):
    """The deadline of a request passed (internal: the client raises ApiTimeoutError)."""


class _Abandon:
    """How the caller's thread gives up on a request running in a worker thread: from then on the worker sends
    nothing (it stops before opening a connection or sending the request's headers, from the connection
    pool's queue too), the connection it opened is shut down (a read waiting on it ends at once), and its
    body stops at the next chunk (:class:`_Watched`).

    ``trace`` is the request's httpcore ``trace`` extension, which sees those steps.
    """

    # the steps a request given up on must not take
    _REFUSED = ("connection.connect_tcp.started", "send_request_headers.started")

    def __init__(self) -> None:
        self.event = threading.Event()
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []

    def trace(self, name: str, info: Mapping[str, Any]) -> None:
        if name.endswith(self._REFUSED) and self.event.is_set():
            raise _DeadlinePassed
        if name == "connection.connect_tcp.complete":
            stream = info.get("return_value")
            sock = stream.get_extra_info("socket") if stream is not None else None
            if isinstance(sock, socket.socket):
                with self._lock:
                    self._sockets.append(sock)
                    if self.event.is_set():
                        _shut(sock)

    def set(self) -> None:
        with self._lock:
            self.event.set()
            for sock in self._sockets:
                _shut(sock)


def _shut(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:  # closed already
        pass


class _Watched(httpx.SyncByteStream):
    """A response body that stops at the next chunk once the caller has given up on the request."""

    def __init__(self, stream: httpx.SyncByteStream, abandoned: threading.Event) -> None:
        self._stream = stream
        self._abandoned = abandoned

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self._stream:
            if self._abandoned.is_set():
                raise _DeadlinePassed
            yield chunk

    def close(self) -> None:
        self._stream.close()


def _within(
    deadline: float, http: httpx.Client, request: Mapping[str, Any], timeout: Any
) -> httpx.Response:
    """``http.request(**request)`` with its body read, given up after ``deadline`` seconds (``_DeadlinePassed``).

    The request runs in a worker thread.  Once given up (the deadline, or the caller interrupted: Ctrl-C), it
    is never sent later, the connection it opened is shut down and its body stops at the next chunk, so
    the worker ends at once.  One case ends later: a request sent on a connection an earlier request opened
    (kept alive), given up while the server sends its headers slowly; it ends when one read times out
    (``timeout``, at most the deadline and a second).
    """
    abandon = _Abandon()
    outcome: list[httpx.Response | BaseException] = []

    def fetch() -> None:
        try:
            built = http.build_request(
                **request, timeout=timeout, extensions={"trace": abandon.trace}
            )
            response = http.send(built, stream=True)
            response.stream = _Watched(response.stream, abandon.event)  # type: ignore[arg-type]
            try:
                response.read()
            finally:
                response.close()
            outcome.append(response)
        except BaseException as error:  # noqa: BLE001 - handed to the caller's thread
            outcome.append(error)

    worker = threading.Thread(
        target=contextvars.copy_context().run, args=(fetch,), name="deadline= request", daemon=True
    )
    worker.start()
    given_up = True
    try:
        worker.join(deadline)
        given_up = (
            not outcome
        )  # decided once: giving up makes the worker end with an error of its own
    finally:
        if given_up:
            abandon.set()
    if given_up:
        raise _DeadlinePassed
    result = outcome[0]
    if isinstance(result, BaseException):
        raise result
    return result


class BaseClient(_ClientBase):
    """Base of the generated synchronous clients (an :class:`httpx.Client` underneath)."""

    def __init__(
        self,
        base_url: str,
        *,
        headers: Mapping[str, str] | None = None,
        query: Mapping[str, str] | None = None,
        cookies: Mapping[str, str] | None = None,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        deadline: float | None = None,
        http_client: httpx.Client | None = None,
        credential_names: Iterable[str] = (),
        strict_validation: bool = False,
        max_retries: int | None = None,
        on_step: StepHook | None = None,
    ) -> None:
        super().__init__(
            base_url, headers=headers, query=query, cookies=cookies, timeout=timeout, deadline=deadline,
            credential_names=credential_names, strict_validation=strict_validation, max_retries=max_retries,
        )  # fmt: skip
        self.on_step = (
            on_step  # called with a StepEvent as each call starts and ends (see observe())
        )
        self.sleep = time.sleep  # how the client waits before a retry (replaceable in tests)
        self._owns_client = http_client is None
        self._http = (
            http_client
            if http_client is not None
            else httpx.Client(timeout=timeout, verify=shared_ssl_context())
        )

    def _send(
        self,
        request: dict[str, Any],
        responses: Mapping[str, Any],
        timeout: Any,
        deadline: float | None = None,
        strict_validation: bool | None = None,
        max_retries: int | None = None,
    ) -> ApiResponse[Any]:
        timeout, deadline = self._limits(timeout, deadline)
        exchanges = _EXCHANGES.get()
        if exchanges is None:
            response = self._exchange(request, timeout, deadline, max_retries)
        else:  # a durable run: the exchange is a checkpoint, replayed after a restart
            response = exchanges.exchange(
                self,
                request,
                functools.partial(self._exchange, request, timeout, deadline, max_retries),
            )
        strict = self.strict_validation if strict_validation is None else strict_validation
        return handle(response, responses, self._redactor, strict)

    def _exchange(
        self,
        request: dict[str, Any],
        timeout: Any,
        deadline: float | None,
        max_retries: int | None,
    ) -> httpx.Response:
        """The response to ``request`` after the retries the client allows, or the error of its last
        attempt (raised)."""
        retries = self._retries(request, max_retries)
        end = None if deadline is None else time.monotonic() + deadline
        attempt = 0
        while True:
            left = None if end is None else max(end - time.monotonic(), 0.0)
            outcome = self._attempt(request, timeout, left, deadline)
            response, failure = (
                (outcome, None) if isinstance(outcome, httpx.Response) else (None, outcome)
            )
            wait = self._retry_plan(request, attempt, retries, end, response, failure)
            if wait is None:
                break
            self.sleep(wait)
            attempt += 1
        if failure is not None:
            raise failure  # not chained: httpx's error holds the request, credentials and all
        assert response is not None
        return response

    def _call(
        self,
        url_template: str,
        request: dict[str, Any],
        responses: Mapping[str, Any],
        timeout: Any,
        deadline: float | None = None,
        strict_validation: bool | None = None,
        max_retries: int | None = None,
    ) -> ApiResponse[Any]:
        """:meth:`_send` for the operation at ``url_template``, reported to the hooks, the step's span and the
        log (:class:`StepEvent`) when anything observes it."""
        call = _Call.begin(self.on_step, request["method"], url_template)
        if call is None:
            return self._send(request, responses, timeout, deadline, strict_validation, max_retries)
        _settle(call.start())
        try:
            response = self._send(
                request, responses, timeout, deadline, strict_validation, max_retries
            )
        except Exception as error:
            _settle(call.end(None, error))
            raise
        _settle(call.end(response, None))
        return response

    def _attempt(
        self, request: dict[str, Any], timeout: Any, deadline: float | None, whole: float | None
    ) -> httpx.Response | ApiError:
        """One exchange within ``deadline`` (the time left of the call's ``whole`` deadline): the response, or
        the error that ended it (returned, not raised)."""
        if deadline == 0:
            return self._deadline_error(request, 0.0)
        try:
            if deadline is None:
                return self._http.request(**request, timeout=timeout)
            return _within(deadline, self._http, request, timeout)
        except (httpx.RequestError, httpx.InvalidURL, UnicodeEncodeError) as error:
            # transport, decoding or redirect failures; a URL or header value HTTP cannot carry
            return self._connection_error(request, error)
        except _DeadlinePassed:
            return self._deadline_error(request, whole or 0.0)

    def close(self) -> None:
        """Close the underlying HTTP client if this client created it."""
        if self._owns_client:
            self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class AsyncBaseClient(_ClientBase):
    """Base of the generated asynchronous clients (an :class:`httpx.AsyncClient` underneath)."""

    def __init__(
        self,
        base_url: str,
        *,
        headers: Mapping[str, str] | None = None,
        query: Mapping[str, str] | None = None,
        cookies: Mapping[str, str] | None = None,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        deadline: float | None = None,
        http_client: httpx.AsyncClient | None = None,
        credential_names: Iterable[str] = (),
        strict_validation: bool = False,
        max_retries: int | None = None,
        on_step: StepHook | None = None,
    ) -> None:
        super().__init__(
            base_url, headers=headers, query=query, cookies=cookies, timeout=timeout, deadline=deadline,
            credential_names=credential_names, strict_validation=strict_validation, max_retries=max_retries,
        )  # fmt: skip
        self.on_step = (
            on_step  # called with a StepEvent as each call starts and ends (see observe())
        )
        self.sleep = asyncio.sleep  # how the client waits before a retry (replaceable in tests)
        self._owns_client = http_client is None
        self._http = (
            http_client
            if http_client is not None
            else httpx.AsyncClient(timeout=timeout, verify=shared_ssl_context())
        )

    async def _send(
        self,
        request: dict[str, Any],
        responses: Mapping[str, Any],
        timeout: Any,
        deadline: float | None = None,
        strict_validation: bool | None = None,
        max_retries: int | None = None,
    ) -> ApiResponse[Any]:
        timeout, deadline = self._limits(timeout, deadline)
        retries = self._retries(request, max_retries)
        end = None if deadline is None else time.monotonic() + deadline
        attempt = 0
        while True:
            left = None if end is None else max(end - time.monotonic(), 0.0)
            outcome = await self._attempt(request, timeout, left, deadline)
            response, failure = (
                (outcome, None) if isinstance(outcome, httpx.Response) else (None, outcome)
            )
            wait = self._retry_plan(request, attempt, retries, end, response, failure)
            if wait is None:
                break
            await self.sleep(wait)
            attempt += 1
        if failure is not None:
            raise failure  # not chained: httpx's error holds the request, credentials and all
        assert response is not None
        strict = self.strict_validation if strict_validation is None else strict_validation
        return handle(response, responses, self._redactor, strict)

    async def _call(
        self,
        url_template: str,
        request: dict[str, Any],
        responses: Mapping[str, Any],
        timeout: Any,
        deadline: float | None = None,
        strict_validation: bool | None = None,
        max_retries: int | None = None,
    ) -> ApiResponse[Any]:
        """:meth:`_send` for the operation at ``url_template``, reported as :meth:`BaseClient._call` reports it
        (an ``async def`` hook is awaited)."""
        call = _Call.begin(self.on_step, request["method"], url_template)
        if call is None:
            return await self._send(
                request, responses, timeout, deadline, strict_validation, max_retries
            )
        await _asettle(call.start())
        try:
            response = await self._send(
                request, responses, timeout, deadline, strict_validation, max_retries
            )
        except Exception as error:
            await _asettle(call.end(None, error))
            raise
        await _asettle(call.end(response, None))
        return response

    async def _attempt(
        self, request: dict[str, Any], timeout: Any, deadline: float | None, whole: float | None
    ) -> httpx.Response | ApiError:
        """One exchange within ``deadline`` (the time left of the call's ``whole`` deadline): the response, or
        the error that ended it (returned, not raised)."""
        if deadline == 0:
            return self._deadline_error(request, 0.0)
        try:
            if deadline is None:
                return await self._http.request(**request, timeout=timeout)
            async with asyncio.timeout(deadline):  # the whole request: sending, waiting, the body
                return await self._http.request(**request, timeout=timeout)
        except (httpx.RequestError, httpx.InvalidURL, UnicodeEncodeError) as error:
            # transport, decoding or redirect failures; a URL or header value HTTP cannot carry
            return self._connection_error(request, error)
        except TimeoutError:
            return self._deadline_error(request, whole or 0.0)

    async def close(self) -> None:
        """Close the underlying HTTP client if this client created it."""
        if self._owns_client:
            await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()


# -- pagination ---------------------------------------------------------------------------------------------
class PageLinkError(ApiError):
    """A page's link to the next page is not followed: it points to another origin (scheme, host and port)
    than the client's base URL, where the client's credentials must not go, or back to a page already read.
    """

    def __init__(self, method: str, url: str, link: str, reason: str) -> None:
        self.method = method
        self.url = redact_url(url)
        self.link = redact_url(link)
        super().__init__(
            f"{method} {self.url}: the next page link {self.link} {reason}; not followed"
        )


def _origin(url: str) -> tuple[str, str, int | None] | None:
    """(scheme, host, port) of an absolute URL, the port filled in for http and https; ``None`` if unusable."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if not scheme or not parts.hostname:
        return None
    return scheme, parts.hostname.lower(), port or {"http": 80, "https": 443}.get(scheme)


def _page_member(page: Any, name: str | None) -> Any:
    """The member ``name`` (as the body spells it) of a page parsed as its model, or of a mapping; the page
    itself for ``None``."""
    if name is None:
        return page
    if isinstance(page, pydantic.BaseModel):
        for field_name, info in type(page).model_fields.items():
            if (info.alias or field_name) == name:
                return getattr(page, field_name, None)
        return (page.model_extra or {}).get(name)
    if isinstance(page, Mapping):
        return page.get(name)
    return None


def _next_page(
    client: _ClientBase, request: Mapping[str, Any], link: str, seen: set[str]
) -> dict[str, Any]:
    """The request of the page ``link`` names (absolute, or relative to the page that holds it): a GET with the
    headers (credentials included) of the first request and the client's configured query parameters the link
    does not carry; only to the client's own origin, and never to a page already read."""
    url = urljoin(str(httpx.URL(request["url"]).copy_merge_params(request.get("params", []))), link)
    if _origin(url) is None or _origin(url) != _origin(client.base_url):
        raise PageLinkError(
            request["method"], client._redactor.url(request["url"]), client._redactor.url(url),
            "is on another origin than the client's base URL (its credentials go there only)",
        )  # fmt: skip
    if url in seen:
        raise PageLinkError(
            request["method"], client._redactor.url(request["url"]), client._redactor.url(url),
            "names a page already read",
        )  # fmt: skip
    seen.add(url)
    given = {name for name, _ in parse_qsl(urlsplit(url).query, keep_blank_values=True)}
    headers = {k: v for k, v in request["headers"].items() if k.lower() != "content-type"}
    page: dict[str, Any] = {"method": "GET", "url": url, "headers": headers}
    params = [(k, v) for k, v in query_pairs(client._query, frozenset()) if k not in given]
    if params:
        page["params"] = params
    return page


def _next_link(response: ApiResponse[Any], next_member: str | None) -> str | None:
    """The link to the next page: the page's ``next_member``, else (``None``) the ``rel="next"`` target of the
    response's ``Link`` header; ``None`` on the last page."""
    if next_member is not None:
        link = _page_member(response.parsed, next_member)
        return str(link) if link else None
    for value in response.headers.get_list("link"):
        for target, params in _LINK_VALUE.findall(value):
            rel = _LINK_REL.search(params)
            if rel is not None and "next" in (rel[1] or rel[2] or "").lower().split():
                return str(target)
    return None


# one ``<target>; param=value; ...`` of a Link header (RFC 8288), and its rel parameter
_LINK_VALUE = re.compile(r"<([^>]*)>([^,<]*)")
_LINK_REL = re.compile(r';\s*rel\s*=\s*(?:"([^"]*)"|([^;\s]*))', re.IGNORECASE)


def iterate_pages(
    client: BaseClient,
    request: dict[str, Any],
    responses: Mapping[str, Any],
    timeout: Any,
    deadline: float | None,
    strict_validation: bool | None,
    max_retries: int | None,
    next_member: str | None,
    item_member: str | None,
) -> Iterator[Any]:
    """The items (the ``item_member`` of each page; ``None``: the page itself) of every page, from ``request``
    on, following each page's ``next_member`` link (``None``: the ``rel="next"`` link of its ``Link``
    header); every page is a call like any other (deadline, timeouts, retries, errors).
    """
    seen: set[str] = set()
    while True:
        response = client._send(
            request, responses, timeout, deadline, strict_validation, max_retries
        )
        yield from _page_member(response.parsed, item_member) or ()
        link = _next_link(response, next_member)
        if not link:
            return
        request = _next_page(client, request, link, seen)


async def aiterate_pages(
    client: AsyncBaseClient,
    request: dict[str, Any],
    responses: Mapping[str, Any],
    timeout: Any,
    deadline: float | None,
    strict_validation: bool | None,
    max_retries: int | None,
    next_member: str | None,
    item_member: str | None,
) -> AsyncIterator[Any]:
    """:func:`iterate_pages` for the asynchronous client."""
    seen: set[str] = set()
    while True:
        response = await client._send(
            request, responses, timeout, deadline, strict_validation, max_retries
        )
        for item in _page_member(response.parsed, item_member) or ():
            yield item
        link = _next_link(response, next_member)
        if not link:
            return
        request = _next_page(client, request, link, seen)


# -- configuration from the environment ---------------------------------------------------------------------
def _learn_credentials(
    redactor: Redactor,
    headers: Mapping[str, str],
    query: Mapping[str, str],
    cookies: Mapping[str, str],
) -> None:
    """Teach ``redactor`` the credentials a client is created with (given, or read from the environment), so
    that no error or log record shows them, even one raised before the first request."""
    for name, value in [*headers.items(), *query.items(), *cookies.items()]:
        redactor.remember(name, value)


def environment_value(variable: str) -> str | None:
    """The value of the environment variable ``variable``, read now (a client reads its configuration when it
    is created, never at import time); ``None`` when it is unset or empty."""
    return os.environ.get(variable) or None


def environment_basic(variable: str) -> tuple[str, str] | None:
    """HTTP basic credentials from the environment variable ``variable``, written ``user:password`` (split at
    the first ``:``, which a user name cannot hold); ``None`` when it is unset or empty."""
    value = environment_value(variable)
    if value is None:
        return None
    if ":" not in value:
        raise ValueError(f"the environment variable {variable} must be user:password")
    user, password = value.split(":", 1)
    return user, password


def base_url_for(
    base_url: str | None,
    template: str | None,
    variables: Mapping[str, str | None],
    defaults: Mapping[str, str] | None = None,
    environment: str | None = None,
) -> str:
    """``base_url`` when given, else the API's server URL with its variables filled in: the document's value
    of a variable (its ``default``, in ``defaults``) as written (``basePath: v2/api``), another value as its
    position allows (see :func:`_server_value`).  ``environment``: the variable the client read ``base_url``
    from, named in the error when there is no URL at all."""
    if base_url is not None:
        return base_url
    or_set = f" (or set {environment})" if environment else ""
    if template is None:
        raise ValueError(f"the API description names no server: pass base_url=...{or_set}")
    missing = [name for name, value in variables.items() if value is None]
    if missing:
        raise ValueError(
            f"the server URL {template!r} needs {', '.join(missing)}: pass base_url=...{or_set} or the server "
            "variables"
        )
    written = {
        name: value for name, value in (defaults or {}).items() if variables.get(name) == value
    }
    url = _PLACEHOLDER.sub(
        lambda match: (
            written[match[1]] if match[1] in written else _server_value(template, match, variables)
        ),
        template,
    )
    if "://" not in url:
        raise ValueError(f"the server URL {url!r} is relative: pass base_url=...")
    return url


_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*")
# What a host (and port) may hold: letters, digits, '.', '-', '_', '~', and ':' '[' ']' for ports and IPv6.
_HOST_PART = re.compile(r"[A-Za-z0-9._~:\[\]-]*")


def _server_value(template: str, match: re.Match[str], variables: Mapping[str, str | None]) -> str:
    """The value of the server variable at ``match`` as its position in the URL allows: a whole URL
    (``{endpoint}``) as given; a scheme or host part only if it is one; a path part as one percent-encoded
    segment (``/`` is ``%2F``, ``..`` is ``%2E%2E``), so that it cannot climb or add segments."""
    name = match[1]
    if name not in variables:
        return match[0]
    value = str(variables[name])
    before, after = template[: match.start()], template[match.end() :]
    separator = before.find("://")
    if separator < 0:
        if "://" in after:  # the scheme: {scheme}://host
            if _SCHEME.fullmatch(value) is None:
                raise ValueError(f"the server variable {name} must be a URL scheme, not {value!r}")
            return value
        if not before:  # the whole URL, or its start: {endpoint}, {endpoint}/v1
            return value
        return _no_dot_segments(quote(value, safe=""))
    if "/" not in before[separator + 3 :]:  # in the authority: scheme://{host}
        if _HOST_PART.fullmatch(value) is None:
            raise ValueError(
                f"the server variable {name} must be a host name (or host:port), not {value!r}"
            )
        return value
    return _no_dot_segments(quote(value, safe=""))


def basic_auth(credentials: tuple[str, str]) -> str:
    """The ``Authorization`` header value for HTTP basic authentication."""
    user, password = credentials
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
