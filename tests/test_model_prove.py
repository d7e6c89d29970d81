"""Phase two's proof stretch (scheduler.model.solve._prove): never worse, bound kept."""

from __future__ import annotations

from factory import tiny_clinic
from ortools.sat.python import cp_model

from scheduler.model.objective import add_objective
from scheduler.model.options import ProgressEvent, SolveOptions
from scheduler.model.solve import (
    PHASE_TWO_IGNORED,
    _Budget,
    _Built,
    _Callback,
    _Clock,
    _prove,
    _run,
    _solver,
)


def test_proof_keeps_the_better_schedule_and_the_better_bound() -> None:
    options = SolveOptions(time_limit_s=10, seed=0, workers=2)
    built = _Built(tiny_clinic(6), options, frozenset())
    objective = add_objective(built.model, built.inst, built.vars, options.weights)
    built.model.minimize(objective.total)
    clock = _Clock(options)
    found = _solver(options, clock, 10, PHASE_TWO_IGNORED)
    found.parameters.stop_after_first_solution = True
    assert _run(built, found, clock, None) in (cp_model.FEASIBLE, cp_model.OPTIMAL)
    first, first_bound = found.objective_value, found.best_objective_bound

    events: list[ProgressEvent] = []
    progress = _Callback(built, events.append, clock, "proving")
    progress.bound_floor = first_bound
    solver, optimal, bound = _prove(built, options, clock, _Budget(10), found, progress)

    # The first schedule is not optimal here; one LP-guided worker improves and proves it.
    assert first_bound < first
    assert optimal
    assert solver.objective_value < first
    assert first_bound <= bound == solver.objective_value
    # Progress never shows a bound below the one already proven.
    assert events and all(e.best_bound >= first_bound for e in events)
    # The schedule read back satisfies the model: every variable is in its domain.
    assert solver.value(objective.total) == solver.objective_value
