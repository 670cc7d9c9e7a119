"""Pytest fixtures for the stand-in server.

Register with ``pytest_plugins = ["tests.standin.fixtures"]`` in tests/conftest.py.

* ``standin_server`` (session scope): one running server per test session.
* ``standin`` (function scope): the same server with fresh state; after the
  test it fails if any response the server sent did not match the public
  API documents.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator

import pytest

from .server import StandInServer, running_server


@pytest.fixture(scope="session")
def standin_server() -> Iterator[StandInServer]:
    """Start the stand-in once for the whole test session."""
    with running_server() as server:
        if not server.validator.enabled:
            warnings.warn(str(server.validator.disabled_reason), stacklevel=1)
        yield server


@pytest.fixture
def standin(standin_server: StandInServer) -> Iterator[StandInServer]:
    """The stand-in with empty state; fails the test on response validation errors."""
    standin_server.reset()
    yield standin_server
    errors = list(standin_server.validation_errors)
    standin_server.reset()
    if errors:
        pytest.fail(
            "stand-in responses did not match the public API documents:\n  " + "\n  ".join(errors),
            pytrace=False,
        )
