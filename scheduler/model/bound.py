"""Proven bounds on phase one (placement) from a small relaxation solved on its own.

Phase one's LP bound is weak: it does not see that a therapist leading an evening group
holds no individual sessions that evening, and ``placed_bound`` derived from weighted
points must assume the cheapest patients are the ones left out. The relaxation keeps the
one-patient sessions as they are (W4 individual with the primary therapist, W5 family,
assessments; their rooms, T1, T5, T6, G5 and caseloads G6) and replaces the groups by one
Boolean per therapist and group slot, "leads a group of this type then", in the same T1
cliques and G5 hours, seating patients in aggregate
(:func:`scheduler.model.constraints.add_group_demand`); rooms, classes and group sizes
are relaxed away. Every schedule of the full model maps to a solution of the relaxation
(each leader of a group sets its Boolean), so the relaxation's optimum bounds the full
problem: solved once for the count of placed patients and once for phase one's points.

Ladder, 1 s of deterministic time: M-tight at most 79 placeable (weighted LP: 105) and
phase one's points at least 29 985 (LP: 14 349); M-loose 102 (was 119).
"""

from __future__ import annotations

import copy
import dataclasses
import math
from collections import defaultdict
from dataclasses import dataclass

from ortools.sat.python import cp_model

from scheduler.model.constraints import (
    add_g5_therapist_hours,
    add_g6_caseload,
    add_group_demand,
    add_t1_no_double_booking,
    add_t6_one_site_per_day,
    add_w4_w5_w6_single_sessions,
)
from scheduler.model.instance import Act, Instance
from scheduler.model.objective import staff_time_terms
from scheduler.model.variables import Lit, Variables, make_variables


def singles_only(inst: Instance) -> Instance:
    """A shallow copy of ``inst`` without group options (the model's inputs only)."""
    out = copy.copy(inst)
    out.class_blocks = {}
    out.patients = {
        pid: dataclasses.replace(info, group_acts=[]) for pid, info in inst.patients.items()
    }
    return out


@dataclass(frozen=True)
class Bounds:
    """What the relaxation proves: at most ``count`` patients placed, and phase one's
    points (the placement terms, :func:`scheduler.model.objective.patient_costs`) at
    least ``points``."""

    count: int
    points: int


def relaxation_bounds(
    inst: Instance, costs: dict[str, int], wall: float, deterministic: float, seed: int
) -> Bounds:
    """Solve the relaxation twice, for the count and for the points (sharing the limits,
    :data:`COUNT_SHARE`); a limit reached still leaves a proven bound (the LP's, mostly)."""
    trivial = Bounds(len(inst.patients), 0)
    built = _relaxation(inst)
    if built is None:
        return trivial
    model, v = built
    solver = _solver(wall * COUNT_SHARE, deterministic * COUNT_SHARE, seed)
    count = _count(model, v, solver, len(inst.patients))
    # At least this many stay unplaced, so at least the cheapest of them are paid for.
    cheapest = sum(sorted(costs.values())[: len(inst.patients) - count])
    p = solver.parameters
    p.max_time_in_seconds = max(wall * (1 - COUNT_SHARE), 0.05)
    p.max_deterministic_time = max(deterministic * (1 - COUNT_SHARE), 0.05)
    model.minimize(sum(c * (1 - v.placed[pid]) for pid, c in costs.items()))
    if solver.solve(model) not in _PROVEN:
        return Bounds(count, cheapest)
    return Bounds(count, max(cheapest, math.ceil(solver.best_objective_bound - 1e-6)))


def quality_floor(
    inst: Instance,
    costs: dict[str, int],
    points: int,
    weights: dict[str, int],
    wall: float,
    deterministic: float,
    seed: int,
) -> int:
    """A proven lower bound on the quality points (scheduler.model.objective) of every
    schedule whose placement points are at most ``points``: the staff-time terms
    (evening and weekend hours, the busiest therapist's week), each minimised on its own
    over the relaxation; the sum of the terms' minima bounds the minimum of their sum.

    Phase two's own bound on these terms is weak: its LP seats a fraction of a group
    with a fraction of a leader, while here a leader's group block is a whole Boolean.
    """
    built = _relaxation(inst)
    if built is None:
        return 0
    model, v = built
    model.add(sum(c * (1 - v.placed[pid]) for pid, c in costs.items()) <= points)
    terms = {
        name: expr
        for name, expr in staff_time_terms(model, singles_only(inst), v).items()
        if weights.get(name, 0)
    }
    floor = 0
    for name, expr in terms.items():
        solver = _solver(wall / len(terms), deterministic / len(terms), seed)
        model.minimize(expr)
        if solver.solve(model) in _PROVEN:
            floor += weights[name] * max(0, math.ceil(solver.best_objective_bound - 1e-6))
    return floor


def count_bound(inst: Instance, wall: float, deterministic: float, seed: int) -> int:
    """At most this many of ``inst``'s patients can be placed (the relaxation's count)."""
    built = _relaxation(inst)
    if built is None:
        return len(inst.patients)
    model, v = built
    return _count(model, v, _solver(wall, deterministic, seed), len(inst.patients))


def _relaxation(inst: Instance) -> tuple[cp_model.CpModel, Variables] | None:
    """The relaxed model (module docstring); None when it does not apply."""
    if inst.clinic.locks or inst.off or not inst.patients:
        return None  # locks on groups and the tests' dropped rules: not modelled here
    relaxed = singles_only(inst)
    model = cp_model.CpModel()
    v = make_variables(model, relaxed)
    for pid in relaxed.patients:
        # P1: only a placed patient attends; a patient with nothing to attend is not placed.
        sessions = [var for (p, _), var in v.single.items() if p == pid]
        for var in sessions:
            model.add_implication(var, v.placed[pid])
        if not sessions and not inst.patients[pid].group_acts:
            model.add(v.placed[pid] == 0)
    add_w4_w5_w6_single_sessions(model, relaxed, v)
    _add_group_demand(model, inst, v)
    add_t1_no_double_booking(model, relaxed, v)
    add_t6_one_site_per_day(model, relaxed, v)
    add_g5_therapist_hours(model, relaxed, v)
    add_g6_caseload(model, relaxed, v)
    return model, v


def _solver(wall: float, deterministic: float, seed: int) -> cp_model.CpSolver:
    solver = cp_model.CpSolver()
    p = solver.parameters
    p.max_time_in_seconds = max(wall, 0.05)
    p.max_deterministic_time = max(deterministic, 0.05)
    p.random_seed = seed
    # One worker, the default LP-guided search: its root LP gives the bound within a
    # fraction of a second on M (interleaved workers wait for their whole batch), and one
    # worker under a deterministic limit gives the same bound every time.
    p.num_workers = 1
    return solver


def _count(model: cp_model.CpModel, v: Variables, solver: cp_model.CpSolver, n: int) -> int:
    # Minimise the unplaced rather than maximise the placed: see _PROVEN.
    model.minimize(n - sum(v.placed.values()))
    if solver.solve(model) not in _PROVEN:
        return n
    return max(0, n - math.ceil(solver.best_objective_bound - 1e-6))


#: Share of the limits for the count; the points get the rest.
COUNT_SHARE = 0.6
#: Statuses whose best_objective_bound is proven. UNKNOWN too (a limit reached before the
#: first solution, often with the LP's bound in hand) because both solves minimise: a
#: limit reached during presolve reports a bound of 0, which for a minimisation of
#: non-negative points is the trivial bound (maximising the placed, the same 0 read as
#: "nobody can be placed").
_PROVEN = (cp_model.OPTIMAL, cp_model.FEASIBLE, cp_model.UNKNOWN)


def _add_group_demand(model: cp_model.CpModel, inst: Instance, v: Variables) -> None:
    """Groups take therapists' time from individual sessions: ``lead[t, act]``, one per
    therapist able to lead a group of ``act``, enters the therapist's T1 cliques and G5
    hours and seats patients as :func:`~scheduler.model.constraints.add_group_demand`
    says; rooms, classes and sizes are relaxed away."""
    acts = sorted({act for info in inst.patients.values() for act, _ in info.group_acts})
    lead: dict[Act, list[Lit]] = defaultdict(list)
    for act in acts:
        for t in inst.leaders(act):
            var = model.new_bool_var(f"lead[{act},{t}]")
            v.lead[((*act, "*"), t)] = var
            lead[act].append(var)
    add_group_demand(model, inst, v.placed, lead)
