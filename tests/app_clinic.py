"""A tiny clinic and a hand-made valid schedule for the workbench's tests: no solver, so
every edit's verdict is known in advance (two evening groups, five patients, two rooms)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from factory import patient, room, tiny_clinic

from scheduler.check import check_schedule
from scheduler.domain import Band, Clinic, CurriculumItem, Track
from scheduler.inputs.workbook import read_clinic, write_workbook
from scheduler.schedule import Schedule, Session, SolveStats

MON = "W0-MON-EVE-GT-1"
WED = "W0-WED-EVE-GT-1"


def clinic() -> Clinic:
    """One group a week is the whole curriculum, so a patient may sit in either group."""
    base = tiny_clinic(5)
    settings = replace(base.settings, adult_hours=Band(3, 19), min_days_adult=1)
    return replace(
        base,
        settings=settings,
        curriculum=(CurriculumItem(Track.ADULT, "GT", 1),),
        rooms=(room("R1"), room("R2"), room("OFFICE", capacity=2)),
        patients=tuple(patient(f"P{i}") for i in range(1, 6)),
    )


def write_clinic(path: Path) -> Clinic:
    write_workbook(clinic(), path)
    return read_clinic(path)


def schedule(c: Clinic) -> Schedule:
    """Monday's group holds P1–P3 in R1, Wednesday's P4–P5 in R1, both led by T1."""
    sessions = (
        Session.numbered(0, "MON-EVE", "GT", 1, "R1", ("T1",), ("P1", "P2", "P3")),
        Session.numbered(0, "WED-EVE", "GT", 1, "R1", ("T1",), ("P4", "P5")),
    )
    stats = SolveStats("FEASIBLE", 0.0, 0.0, 0.0, 0, 1, 1.0, placed_bound=5)
    made = Schedule(c.settings.week_start, c.settings.weeks, sessions, (), stats)
    assert check_schedule(c, made) == []
    return made
