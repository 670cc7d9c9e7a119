"""The step plan: the stage between ``ir/`` and ``emit/`` that decides what the generated code does.

The IR says what a workflow document means; the plan says how its generated function is built: the code
shape chosen from the flow graph (:mod:`.shape`), one frozen node per step and action (:mod:`.nodes`), and
every name of a generated function allocated once by one resolver that knows Python (:mod:`.names`).  Emit
maps plan nodes onto template macros and decides nothing about control flow or names.
"""
