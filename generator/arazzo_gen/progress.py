"""How the compiler says where a build is: a stage name (and a detail) at the start of each stage.

The stages only call :meth:`Progress.stage`; what is shown, and whether anything is, is the caller's choice (the
command line draws it with rich on a terminal, after a second).  No stage imports a display library.
"""

from __future__ import annotations

from typing import Protocol


class Progress(Protocol):
    def stage(self, name: str, detail: str = "") -> None:
        """A stage starts: ``read``, ``check``, ``plan``, ``models`` (one per API: ``detail`` names it),
        ``render``, ``format`` or ``write``."""


class Silent:
    """Reports nowhere: the default of every stage."""

    def stage(self, name: str, detail: str = "") -> None:
        pass


SILENT = Silent()
