"""Stage 2: resolve references between documents; Swagger 2.0 is normalised to the OpenAPI 3 shape."""

from .swagger2 import is_swagger2, normalise_swagger2
from .workspace import (
    SpecsRoot,
    Target,
    UnusablePath,
    Workspace,
    default_root,
    outside_root_message,
    unusable_path,
)

__all__ = [
    "SpecsRoot",
    "Target",
    "UnusablePath",
    "Workspace",
    "default_root",
    "is_swagger2",
    "normalise_swagger2",
    "outside_root_message",
    "unusable_path",
]
