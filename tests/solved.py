"""Solve a tiny clinic for a test and verify the schedule with the independent checker."""

from __future__ import annotations

from scheduler.check import check_schedule
from scheduler.domain import Clinic
from scheduler.model import SolveOptions, solve
from scheduler.schedule import Schedule

OPTIONS = SolveOptions(time_limit_s=10, seed=1, workers=1)


def solved(clinic: Clinic) -> Schedule:
    """The schedule, found and passing every rule of the checker (docs/RULES.md)."""
    schedule = solve(clinic, OPTIONS)
    assert schedule.stats.status in ("OPTIMAL", "FEASIBLE")
    assert check_schedule(clinic, schedule) == []
    return schedule


def unplaced(schedule: Schedule) -> dict[str, str]:
    return {u.patient: u.reason for u in schedule.unplaced}
