"""The repair step: no unplaced patient fits into the schedule as found, and none could take
the place of a placed patient of lower priority (RULES.md P3).

After phase one, one small CP-SAT solve searches a neighbourhood of the schedule found:
every placed patient either keeps exactly their sessions or is dropped altogether
(``x == keep`` for the options they hold, ``x == 0`` for the rest), every unplaced patient
is free, and groups' rooms, leaders and co-facilitators are free (so seats can open where a
group gains a member). Minimising the lexicographic placement points
(:mod:`scheduler.model.objective`) over it finds every insertion into the schedule as it
stands and every swap of lower-priority patients for higher-priority ones, one-for-one or
more, in one proof. Phase one's large search seldom ends proven on a clinic with more
demand than seats; this neighbourhood is small enough to be solved to optimality in a
fraction of the budget, so the schedule handed to phase two can not be improved by hand in
these ways. It is repeated while it improves (each round may free seats for the next).

When that neighbourhood is too large to prove within its budget (many unplaced patients:
ladder M-tight, 46 unplaced, not proven in 0.7 units), each unplaced patient is then tried
alone, highest priority first: the same neighbourhood with every other unplaced patient
held out, which is small enough to prove in a few hundredths of a unit. Each patient's
neighbourhood is the clone with a few variable domains changed, not a new model.

Last, the model-free probe (:mod:`scheduler.probe`, the same one the tests and benchmarks
use) looks at the schedule as it stands, and every patient it finds insertable or able to
take a lower-priority patient's place gets that patient's neighbourhood with a budget of its
own. Found on ladder M-tight: a continuing patient who could take a new admission's seat in
a group at its minimum size, left by the first two passes for want of budget.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ortools.sat.python import cp_model

from scheduler.model.extract import extract_sessions
from scheduler.model.instance import Instance
from scheduler.model.values import all_values, set_hint
from scheduler.model.variables import Variables
from scheduler.schedule import Schedule, SolveStats, Unplaced

#: Most rounds of repair (each solved to optimality or to its budget).
ROUNDS = 3
#: Most (unplaced, placed) pairs the probe tries for swaps (it says when it stops short).
PROBE_PAIRS = 20_000


@dataclass
class Repaired:
    values: dict[int, int]  # a value for every variable of the model
    points: int  # placement points of ``values``
    optimal: bool  # the last round proved its neighbourhood holds nothing better
    work: float  # deterministic time used


def repair(
    model: cp_model.CpModel,
    inst: Instance,
    v: Variables,
    costs: dict[str, int],
    values: dict[int, int],
    make_solver: Callable[[float], cp_model.CpSolver],
    budget: float,
    lock_weight: int = 0,
) -> Repaired:
    """Improve ``values`` (a full solution of ``model``) within the keep-or-drop
    neighbourhood (module docstring), in at most :data:`ROUNDS` rounds and ``budget``
    deterministic time. ``make_solver(limit)`` gives a configured solver. Each unmet lock
    costs ``lock_weight`` points, as in phase one, so that no swap drops a lock."""
    points = placement_points(v, costs, values, lock_weight)
    used = 0.0
    optimal = False
    for _ in range(ROUNDS):
        if points == 0 or budget - used < 0.05:
            break
        hood = _neighbourhood(model, inst, v, costs, values, lock_weight)
        solver = make_solver((budget - used) / 2)
        status = solver.solve(hood)
        used += solver.response_proto.deterministic_time
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            break
        found = round(solver.objective_value)
        optimal = status == cp_model.OPTIMAL
        if found >= points:
            break
        values = all_values(hood, solver)
        points = found
    if not optimal and points > 0:
        # Half of what is left for every patient in turn, the rest for the probe's finds.
        values, points, spent = _one_at_a_time(
            model, inst, v, costs, values, make_solver, (budget - used) / 2, lock_weight
        )
        used += spent
        values, points, spent = probe_guided(
            model, inst, v, costs, values, make_solver, max(budget - used, 0.5), lock_weight
        )
        used += spent
    return Repaired(values, points, optimal, used)


def probe_guided(
    model: cp_model.CpModel,
    inst: Instance,
    v: Variables,
    costs: dict[str, int],
    values: dict[int, int],
    make_solver: Callable[[float], cp_model.CpSolver],
    budget: float,
    lock_weight: int,
) -> tuple[dict[int, int], int, float]:
    """The patients the probe finds a place for, each alone (module docstring)."""
    from scheduler.probe import probe

    sessions = extract_sessions(inst, v, lambda x: bool(values[x.index]))
    placed = {p for s in sessions for p in s.patients}
    clinic = inst.clinic
    draft = Schedule(
        week_start=clinic.settings.week_start,
        weeks=clinic.settings.weeks,
        sessions=tuple(sessions),
        unplaced=tuple(Unplaced(p, "not placed") for p in inst.patients if p not in placed),
        stats=SolveStats("FEASIBLE", None, None, 0.0, 0, 1, 0.0),
        starting_later=tuple(inst.starting_later),
    )
    found = probe(clinic, draft, swaps_per_patient=1, max_pairs=PROBE_PAIRS)
    chosen = {i.patient for i in found.insertions} | {s.patient for s in found.swaps}
    if not chosen:
        return values, placement_points(v, costs, values, lock_weight), 0.0
    return _one_at_a_time(
        model, inst, v, costs, values, make_solver, budget, lock_weight, sorted(chosen)
    )


def _one_at_a_time(
    model: cp_model.CpModel,
    inst: Instance,
    v: Variables,
    costs: dict[str, int],
    values: dict[int, int],
    make_solver: Callable[[float], cp_model.CpSolver],
    budget: float,
    lock_weight: int,
    only: list[str] | None = None,
) -> tuple[dict[int, int], int, float]:
    """Each unplaced patient (of ``only``, when given) alone, highest priority (largest
    weight) first."""
    hood = _neighbourhood(model, inst, v, costs, values, lock_weight)
    waiting = sorted(
        (pid for pid, x in v.placed.items() if values[x.index] == 0),
        key=lambda pid: (-costs[pid], pid),
    )
    points, used = placement_points(v, costs, values, lock_weight), 0.0
    tries = [pid for pid in waiting if only is None or pid in only]
    for n, pid in enumerate(tries):
        share = (budget - used) / (len(tries) - n)
        if share < 0.01:
            break
        for other in waiting:  # hold every other unplaced patient out
            still_out = values[v.placed[other].index] == 0
            hi = 1 if other == pid or not still_out else 0
            domain = hood.proto.variables[v.placed[other].index].domain  # a Boolean: [0, 1]
            domain[0], domain[1] = 0, hi
        solver = make_solver(share)
        status = solver.solve(hood)
        used += solver.response_proto.deterministic_time
        if status in (cp_model.OPTIMAL, cp_model.FEASIBLE) and solver.objective_value < points:
            values = all_values(hood, solver)
            points = round(solver.objective_value)
            # The kept set changed: a new neighbourhood around it.
            hood = _neighbourhood(model, inst, v, costs, values, lock_weight)
    return values, points, used


def placement_points(
    v: Variables, costs: dict[str, int], values: dict[int, int], lock_weight: int
) -> int:
    unmet = sum(values[lit.index] == 0 for lit in v.lock_ok.values())
    return sum(c for pid, c in costs.items() if values[v.placed[pid].index] == 0) + (
        lock_weight * unmet
    )


def _neighbourhood(
    model: cp_model.CpModel,
    inst: Instance,
    v: Variables,
    costs: dict[str, int],
    values: dict[int, int],
    lock_weight: int,
) -> cp_model.CpModel:
    hood = model.clone()
    var = hood.get_int_var_from_proto_index
    own: dict[str, list[int]] = {pid: [] for pid in inst.patients}
    for (pid, _), x in v.attend.items():
        own[pid].append(x.index)
    for (pid, _), x in v.single.items():
        own[pid].append(x.index)
    for pid, placed in v.placed.items():
        if values[placed.index] == 0:
            continue  # free: may be inserted anywhere
        keep = var(placed.index)
        for i in own[pid]:
            hood.add(var(i) == (keep if values[i] else 0))
    set_hint(hood, values)
    unmet = sum(lock_weight * (1 - var(lit.index)) for lit in v.lock_ok.values())
    hood.minimize(sum(c * (1 - var(v.placed[pid].index)) for pid, c in costs.items()) + unmet)
    return hood
