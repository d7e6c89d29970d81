"""The first-fit warm start (scheduler.model.warmstart): its schedule passes the
independent checker on tiny clinics, it completes into a full hint of the model, and the
solve that starts from it places at least as many patients."""

from __future__ import annotations

import datetime as dt

from factory import WEEK, block, group_type, patient, room, tiny_clinic

from scheduler.check import check_schedule
from scheduler.domain import Clinic, Lock, Weekday
from scheduler.model import SolveOptions, solve
from scheduler.model.extract import extract_sessions
from scheduler.model.objective import add_objective
from scheduler.model.solve import _Built
from scheduler.model.warmstart import WarmStart, complete_hint, warm_start
from scheduler.schedule import Schedule, SolveStats, Unplaced

OPTIONS = SolveOptions(time_limit_s=10, workers=1, seed=0)


def first_fit(clinic: Clinic) -> tuple[Schedule, _Built, WarmStart]:
    built = _Built(clinic, OPTIONS, frozenset())
    ws = WarmStart(built.inst)
    ws.run()
    values = ws.values(built.vars)
    sessions = extract_sessions(built.inst, built.vars, lambda x: bool(values[x]))
    placed = {p for s in sessions for p in s.patients}
    unplaced = tuple(Unplaced(p, "not fitted") for p in built.inst.patients if p not in placed)
    stats = SolveStats("FEASIBLE", 0.0, 0.0, 0.0, 0, 1, 1.0)
    later = tuple(built.inst.starting_later)
    schedule = Schedule(
        clinic.settings.week_start, 1, tuple(sessions), unplaced, stats, starting_later=later
    )
    return schedule, built, ws


def busy_clinic() -> Clinic:
    """Eight patients, two evening blocks a day too few for one room: groups must split."""
    blocks = (
        *tiny_clinic().blocks,
        block("TUE-EVE", Weekday.TUE, "18:00", "21:00"),
        block("THU-EVE", Weekday.THU, "18:00", "21:00"),
    )
    return tiny_clinic(8, blocks=blocks, rooms=(room("R1", capacity=4), room("OFFICE", 2)))


def test_first_fit_schedule_passes_the_checker() -> None:
    for clinic in (tiny_clinic(3), busy_clinic()):
        schedule, _, ws = first_fit(clinic)
        assert check_schedule(clinic, schedule) == []
        assert set(ws.placed) == set(schedule.placed_patients)
        assert ws.placed  # it places someone


def test_first_fit_places_everyone_on_the_tiny_clinic() -> None:
    schedule, _, _ = first_fit(tiny_clinic(3))
    assert schedule.placed_patients == {"P1", "P2", "P3"}


def test_groups_below_minimum_size_are_dissolved() -> None:
    clinic = tiny_clinic(
        3, session_types=(group_type("GT", min_size=4), *tiny_clinic().session_types[1:])
    )
    schedule, _, ws = first_fit(clinic)
    assert not ws.placed and schedule.sessions == ()


def test_hint_completes_to_every_variable() -> None:
    clinic = busy_clinic()
    built = _Built(clinic, OPTIONS, frozenset())
    objective = add_objective(built.model, built.inst, built.vars, OPTIONS.weights)
    built.model.minimize(objective.placement)
    partial = warm_start(built.inst, built.vars)
    assert partial is not None
    full = complete_hint(built.model, partial, 5.0, 60.0)
    assert full is not None and len(full) == len(built.model.proto.variables)


def test_no_warm_start_with_locks() -> None:
    clinic = tiny_clinic(3, locks=(Lock("L1", "MON-EVE", "GT", patient="P1"),))
    built = _Built(clinic, OPTIONS, frozenset())
    assert warm_start(built.inst, built.vars) is None


def test_solve_places_at_least_the_first_fit() -> None:
    clinic = busy_clinic()
    schedule, _, _ = first_fit(clinic)
    solved = solve(clinic, OPTIONS)
    assert check_schedule(clinic, solved) == []
    assert len(solved.placed_patients) >= len(schedule.placed_patients)
    assert solved.stats.placed_bound is not None
    assert solved.stats.placed_bound >= len(solved.placed_patients)


def test_patient_starting_later_takes_no_seat() -> None:
    # Admitted on Sunday: the pro-rata curriculum is zero, so the patient starts next week
    # (P4) and the first fit never books them.
    late = patient("P4", admission=WEEK + dt.timedelta(days=6))
    clinic = tiny_clinic(3, patients=(*tiny_clinic(3).patients, late))
    schedule, _, ws = first_fit(clinic)
    assert check_schedule(clinic, schedule) == []
    assert "P4" not in ws.placed and schedule.starting_later == ("P4",)
