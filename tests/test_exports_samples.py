"""Hand-made schedules for the export tests (the solver is not needed to publish).

``sample()`` gives a tiny clinic and a schedule that exercises every export path: three
evening groups, two individual sessions, an unplaced patient, a patient whose name is a
spreadsheet formula, one with a control character in the name and one who consents to a
calendar feed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from factory import WEEK, tiny_clinic

from scheduler.domain import Clinic
from scheduler.schedule import Schedule, Session, SolveStats, Unplaced

NOW = dt.datetime(2026, 12, 1, 9, 30, tzinfo=dt.UTC)
FORMULA = '=HYPERLINK("http://x","y")'
DAYS = ("MON", "WED", "FRI")


def stats() -> SolveStats:
    return SolveStats(
        status="OPTIMAL",
        objective=12.0,
        best_bound=12.0,
        wall_time_s=0.75,
        seed=7,
        workers=1,
        time_limit_s=10.0,
        terms={"unplaced": 10.0, "preference": 2.0},
        first_solution_s=0.1,
        placed_bound=4,
    )


def sample_clinic(**settings_changes: object) -> Clinic:
    clinic = tiny_clinic(5)
    pats = list(clinic.patients)
    pats[0] = replace(pats[0], name=FORMULA)
    pats[1] = replace(pats[1], name="Bea Consent", calendar_consent=True)
    pats[2] = replace(pats[2], name="Cal\x07 Control\x1f")
    pats[3] = replace(pats[3], name="Dee Short")
    pats[4] = replace(pats[4], name="Eve Unplaced")
    settings = replace(clinic.settings, **settings_changes)  # type: ignore[arg-type]
    return replace(clinic, patients=tuple(pats), settings=settings)


def sample_sessions(week: int = 0) -> list[Session]:
    out = []
    for d in DAYS:
        members = ("P1", "P2", "P3", "P4") if d == "MON" else ("P1", "P2", "P3")
        out.append(
            Session(
                f"w{week}-{d}-GT-1", f"GT-{d}-1", week, f"{d}-EVE", "GT", "R1", ("T1",), members
            )
        )
    out.append(
        Session(
            f"w{week}-MON-IND-1",
            f"IND-MON-{week}",
            week,
            "MON-IND",
            "IND",
            "OFFICE",
            ("T1",),
            ("P1",),
        )
    )
    out.append(
        Session(
            f"w{week}-WED-IND-1",
            f"IND-WED-{week}",
            week,
            "WED-IND",
            "IND",
            "OFFICE",
            ("T1",),
            ("P2",),
        )
    )
    return out


def sample_schedule(
    clinic: Clinic, weeks: int = 1, sessions: list[Session] | None = None
) -> Schedule:
    if sessions is None:
        sessions = [s for w in range(weeks) for s in sample_sessions(w)]
    return Schedule(
        week_start=clinic.settings.week_start,
        weeks=weeks,
        sessions=tuple(sessions),
        unplaced=(Unplaced("P5", "No evening block fits around work (Mon–Fri 17:00–22:00)"),),
        stats=stats(),
        input_hash="sha256:abc123",
    )


def sample(weeks: int = 1) -> tuple[Clinic, Schedule]:
    clinic = sample_clinic(weeks=weeks)
    return clinic, sample_schedule(clinic, weeks)


def test_sample_is_consistent() -> None:
    clinic, schedule = sample()
    assert clinic.settings.week_start == WEEK
    assert set(schedule.placed_patients) == {"P1", "P2", "P3", "P4"}
    for s in schedule.sessions:
        assert s.block in clinic.block_by_id and s.room in clinic.room_by_id
