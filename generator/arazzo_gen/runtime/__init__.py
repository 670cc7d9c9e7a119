"""The runtime of generated packages, as plain modules: arazzo-gen copies them, unchanged, into each package.

``_runtime`` goes into every package; ``_runtime_regex``, ``_runtime_jsonpath`` and ``_runtime_xpath`` only into
the packages whose workflows have criteria of that type (they import the libraries that evaluate them).  They
import each other relatively, so they work here (``arazzo_gen.runtime._runtime``, for their unit tests) as at the
root of a generated package.  The compiler does not import them: it reads their text
(:mod:`arazzo_gen.emit.runtime`).
"""
