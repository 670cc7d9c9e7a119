"""Lowering of Arazzo documents into the IR (see :mod:`.lowering`)."""

from .context import offset_loc
from .lowering import WorkflowLowering

__all__ = ["WorkflowLowering", "offset_loc"]
