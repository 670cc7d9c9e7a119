"""Stage 2: resolve references between documents; Swagger 2.0 is normalised to the OpenAPI 3 shape."""

from .swagger2 import is_swagger2, normalise_swagger2
from .workspace import Target, Workspace

__all__ = ["Target", "Workspace", "is_swagger2", "normalise_swagger2"]
