"""Placement by priority (RULES.md P3), the repair step, reproducibility and early stop."""

from __future__ import annotations

import datetime as dt
import multiprocessing
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from factory import (
    WEEK,
    family_type,
    group_type,
    individual_type,
    patient,
    therapist,
    tiny_clinic,
    window,
)
from ortools.sat.python import cp_model

from scheduler.check import check_schedule
from scheduler.domain import Clinic, CurriculumItem, FamilyCadence, Track, Weekday
from scheduler.model import SolveOptions, solve
from scheduler.model.bound import quality_floor
from scheduler.model.instance import Instance
from scheduler.model.objective import add_objective, patient_costs, priority_levels, unit_minutes
from scheduler.model.repair import _one_at_a_time, repair
from scheduler.model.solve import _Built, _Clock, _solver
from scheduler.model.warmstart import complete_hint
from scheduler.schedule_json import schedule_to_dict

QUICK = SolveOptions(time_limit_s=10, workers=2, seed=0)


def one_counselor_for_three() -> Clinic:
    """T2, the only therapist free before the evening groups, has two hours a week. The
    continuing patient C1 needs both (individual and family session); the new admissions
    N1 and N2 need one each. Most patients: N1 and N2. By priority: C1."""
    family_time = tuple(window(d, "16:00", "18:00") for d in (Weekday.MON, Weekday.WED))
    base = tiny_clinic(0)
    return tiny_clinic(
        0,
        session_types=(group_type("GT", min_size=1), individual_type(), family_type()),
        therapists=(
            therapist("T1", start="18:00", end="22:00"),
            therapist("T2", max_hours_week=2, max_hours_day=2),
        ),
        patients=(
            patient(
                "C1",
                primary="T2",
                family_cadence=FamilyCadence.WEEKLY,
                family_availability=family_time,
            ),
            patient("N1", primary="T2", admission=WEEK),
            patient("N2", primary="T2", admission=WEEK),
        ),
        curriculum=base.curriculum,
    )


def test_a_continuing_patient_comes_before_two_new_admissions() -> None:
    clinic = one_counselor_for_three()
    schedule = solve(clinic, QUICK)
    assert check_schedule(clinic, schedule) == []
    assert schedule.placed_patients == frozenset({"C1"})
    (cont, new) = schedule.stats.by_priority
    assert (cont.name, cont.placed, cont.proven_max) == ("continuing", 1, 1)
    assert (new.name, new.patients, new.placed) == (f"new {WEEK.isoformat()}", 2, 0)
    # Without the family session C1 needs one hour: then C1 and one new admission fit.
    lighter = tiny_clinic(
        0,
        **{
            **{k: getattr(clinic, k) for k in ("session_types", "therapists", "curriculum")},
            "patients": tuple(
                p if p.id != "C1" else patient("C1", primary="T2") for p in clinic.patients
            ),
        },
    )
    assert len(solve(lighter, QUICK).placed_patients) == 2


def test_earlier_admission_date_comes_first() -> None:
    """E1 (admitted Monday) needs all three of T2's hours (two individual sessions and a
    family session); L1 and L2 (admitted Tuesday, pro rata one individual session each)
    need one each. Most patients: L1 and L2. By priority: E1."""
    family_time = tuple(window(d, "16:00", "18:00") for d in (Weekday.MON, Weekday.WED))
    early = patient(
        "E1",
        primary="T2",
        admission=WEEK,
        family_cadence=FamilyCadence.WEEKLY,
        family_availability=family_time,
    )
    later = [patient(f"L{i}", primary="T2", admission=WEEK + dt.timedelta(days=1)) for i in (1, 2)]
    clinic = tiny_clinic(
        0,
        session_types=one_counselor_for_three().session_types,
        therapists=(
            therapist("T1", start="18:00", end="22:00"),
            therapist("T2", max_hours_week=3, max_hours_day=3),
        ),
        curriculum=(CurriculumItem(Track.ADULT, "GT", 2), CurriculumItem(Track.ADULT, "IND", 2)),
        patients=(early, *later),
    )
    schedule = solve(clinic, QUICK)
    assert check_schedule(clinic, schedule) == []
    assert schedule.placed_patients == frozenset({"E1"})
    assert [c.placed for c in schedule.stats.by_priority] == [1, 0]


def test_levels_are_lexicographic() -> None:
    """Each level weighs more than all lower levels together (the rule P3 rests on)."""
    base = tiny_clinic(0)
    patients = [patient(f"C{i}") for i in range(5)]
    patients += [patient(f"A{i}", admission=WEEK) for i in range(4)]
    patients += [patient(f"B{i}", admission=WEEK + dt.timedelta(days=1)) for i in range(3)]
    inst = Instance(tiny_clinic(0, patients=tuple(patients), curriculum=base.curriculum))
    levels = priority_levels(inst)
    assert [sorted(lv) for lv in levels] == [
        [f"C{i}" for i in range(5)],
        [f"A{i}" for i in range(4)],
        [f"B{i}" for i in range(3)],
    ]
    costs = patient_costs(inst)
    for i, level in enumerate(levels):
        below = sum(costs[p] for lv in levels[i + 1 :] for p in lv)
        assert all(costs[p] > below for p in level)


def inverted() -> tuple[_Built, dict[int, int], dict[str, int], cp_model.CpSolver]:
    """N1 and N2 placed, C1 not: the most patients, the wrong ones (an inversion); with
    the model, the schedule's values, the placement costs and a solver."""
    options = SolveOptions(time_limit_s=10)
    built = _Built(one_counselor_for_three(), options, frozenset())
    objective = add_objective(built.model, built.inst, built.vars, options.weights)
    built.model.minimize(objective.placement)
    v = built.vars
    wrong = solve_fixed(built, {v.placed["C1"]: 0, v.placed["N1"]: 1, v.placed["N2"]: 1})
    return built, wrong, patient_costs(built.inst), _solver(options, _Clock(options), 5.0)


def test_repair_fills_every_seat_that_fits() -> None:
    """The repair step swaps the new admissions out for the continuing patient."""
    built, wrong, costs, solver = inverted()
    v = built.vars
    fixed = repair(built.model, built.inst, v, costs, wrong, lambda _: solver, 5.0)
    placed = {pid for pid, x in v.placed.items() if fixed.values[x.index]}
    assert placed == {"C1"} and fixed.optimal


def test_repair_one_patient_at_a_time() -> None:
    """The second pass (each unplaced patient alone) makes the same swap."""
    built, wrong, costs, solver = inverted()
    v = built.vars
    values, points, _ = _one_at_a_time(
        built.model, built.inst, v, costs, wrong, lambda _: solver, 5.0, 1
    )
    placed = {pid for pid, x in v.placed.items() if values[x.index]}
    assert placed == {"C1"} and points == costs["N1"] + costs["N2"]


def solve_fixed(built: _Built, partial: dict[Any, int]) -> dict[int, int]:
    values = complete_hint(built.model, {**partial}, 5.0, 60.0)
    if values is None:  # the partial values fix too little: let CP-SAT finish the schedule
        model = built.model.clone()
        for var, val in partial.items():
            model.add(model.get_int_var_from_proto_index(var.index) == val)
        solver = cp_model.CpSolver()
        assert solver.solve(model) in (cp_model.OPTIMAL, cp_model.FEASIBLE)
        values = {
            i: int(solver.value(model.get_int_var_from_proto_index(i)))
            for i in range(len(model.proto.variables))
        }
    return values


def test_a_small_clinic_stops_when_proven() -> None:
    """Proven placement and quality end the solve; it does not wait out the limit."""
    clinic = tiny_clinic(3)
    start = time.monotonic()
    schedule = solve(clinic, SolveOptions(time_limit_s=120))
    assert time.monotonic() - start < 30
    assert schedule.stats.status == "OPTIMAL"
    assert schedule.stats.by_priority[0].proven_max == 3


def _spin(stop: multiprocessing.synchronize.Event) -> None:  # type: ignore[name-defined]
    while not stop.is_set():
        pass


@contextmanager
def busy_cpus(n: int = 2) -> Iterator[None]:
    """Other processes keep ``n`` cores busy meanwhile."""
    stop = multiprocessing.Event()
    procs = [multiprocessing.Process(target=_spin, args=(stop,), daemon=True) for _ in range(n)]
    for p in procs:
        p.start()
    try:
        yield
    finally:
        stop.set()
        for p in procs:
            p.join()


def test_same_input_same_timetable_on_a_busy_machine() -> None:
    """Budgeted in deterministic time: a run beside two busy-looping processes gives the
    same schedule.json as a run on a quiet machine."""
    from scheduler.generator import generate_clinic

    clinic = generate_clinic(30, seed=5, tight=True)
    # A generous wall ceiling: only the deterministic budget may end these runs.
    options = SolveOptions(time_limit_s=3, seed=1, workers=2, wall_ceiling_s=300)
    quiet = solve(clinic, options)
    with busy_cpus():
        busy = solve(clinic, options)
    assert not quiet.stats.clock_cut and not busy.stats.clock_cut
    assert schedule_to_dict(quiet, input_path="x", input_hash="h") == schedule_to_dict(
        busy, input_path="x", input_hash="h"
    )


def test_quality_floor_is_proven_and_raises_the_bound() -> None:
    """Evening groups only: the staff's evening hours cannot be below the groups' hours,
    which phase two's LP does not see; the floor is never above a solved schedule."""
    clinic = tiny_clinic(3)
    options = SolveOptions(time_limit_s=10)
    inst = Instance(clinic)
    costs = patient_costs(inst)
    weights = options.weights.as_dict()
    floor = quality_floor(inst, costs, 0, weights, 60.0, 5.0, 0)
    schedule = solve(clinic, options)
    assert schedule.unplaced == ()
    k = 60 // unit_minutes(inst)
    assert 0 < floor <= (schedule.stats.objective or 0) * k
    # Three evening groups of 3 hours, one leader each at least.
    assert floor >= weights["evening_saturday"] * 9 * k
