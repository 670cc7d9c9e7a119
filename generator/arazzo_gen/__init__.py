"""arazzo-gen: compile Arazzo workflows and their API descriptions into a typed Python package."""

__version__ = "0.1.0"
