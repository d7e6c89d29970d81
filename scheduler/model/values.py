"""A full assignment of a model's variables, by proto index: read from a solver's solution,
and handed back to a model (or its clone, which shares the indices) as a hint."""

from __future__ import annotations

from ortools.sat.python import cp_model


def all_values(model: cp_model.CpModel, solver: cp_model.CpSolver) -> dict[int, int]:
    """Every variable's value in ``solver``'s solution of ``model``."""
    return {
        i: int(solver.value(model.get_int_var_from_proto_index(i)))
        for i in range(len(model.proto.variables))
    }


def set_hint(model: cp_model.CpModel, values: dict[int, int]) -> None:
    """Replace ``model``'s hint by ``values``."""
    model.clear_hints()  # type: ignore[no-untyped-call]
    for i, val in values.items():
        model.add_hint(model.get_int_var_from_proto_index(i), val)
