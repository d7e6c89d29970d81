"""The what-if figures, each checked against its definition on a tiny solved clinic."""

from __future__ import annotations

from dataclasses import replace

import pytest
from factory import SITE, block, patient, tiny_clinic
from solved import OPTIONS, solved

from scheduler.domain import GROUP_KINDS, FamilyCadence, Weekday
from scheduler.whatif.metrics import (
    NOT_PROVEN,
    PROVEN,
    RunFailure,
    measure,
    measure_all,
    metrics_frame,
    reasons_frame,
    utilisation_frame,
)
from scheduler.whatif.runner import Run, RunResult


def test_placement_seats_and_staff_hours_follow_their_definitions() -> None:
    clinic = tiny_clinic(3)
    schedule = solved(clinic)
    m = measure("base", clinic, schedule)
    assert m.placed == len(schedule.placed_patients) == 3 and m.waitlist == 0
    assert m.proven_max == schedule.stats.placed_bound
    assert m.placement_proven and m.placement == PROVEN
    groups = [
        s
        for s in schedule.sessions
        if clinic.session_type_by_id[s.session_type].kind in GROUP_KINDS
    ]
    assert groups and m.seats_used == sum(len(s.patients) for s in groups)
    assert m.seats_used <= m.seats_offered
    # The tiny clinic's groups run 18:00-21:00 on weekdays, its individual slots at 16:30.
    assert m.evening_hours == pytest.approx(3 * sum(len(s.therapists) for s in groups))
    assert m.saturday_hours == 0
    assert m.hours_per_placed == pytest.approx(m.staff_hours / 3)
    assert sum(c.placed for c in m.by_priority) == m.placed


def test_utilisation_is_hours_booked_over_hours_open() -> None:
    clinic = tiny_clinic(3)
    m = measure("base", clinic, solved(clinic))
    use = {u.id: u for u in m.uses}
    # T1 works Mon-Sat 08-22 (84 h) but at most 40 h a week.
    assert use["T1"].available_h == 40
    # R1 is open when the site has blocks: 16:30-17:30 and 18:00-21:00 on three days.
    assert use["R1"].available_h == 12
    booked = {
        r: sum(
            clinic.session_type_by_id[s.session_type].duration_min / 60
            for s in solved(clinic).sessions
            if s.room == r
        )
        for r in ("R1", "OFFICE")
    }
    assert use["R1"].used_h == pytest.approx(booked["R1"])
    assert m.utilisation("room") == pytest.approx(
        (booked["R1"] + booked["OFFICE"]) / (use["R1"].available_h + use["OFFICE"].available_h)
    )


def test_saturday_staff_hours_are_counted_apart_from_evenings() -> None:
    clinic = tiny_clinic(3)
    sat = block("SAT-AM", Weekday.SAT, "09:00", "12:00", site=SITE)
    clinic = replace(clinic, blocks=(*(b for b in clinic.blocks if b.id != "MON-EVE"), sat))
    schedule = solved(clinic)
    m = measure("sat", clinic, schedule)
    on_saturday = [s for s in schedule.sessions if s.block == "SAT-AM"]
    assert on_saturday
    assert m.saturday_hours == pytest.approx(3 * sum(len(s.therapists) for s in on_saturday))


def test_waitlist_reasons_and_waivers_are_counted() -> None:
    crowded = replace(
        tiny_clinic(0),
        patients=(
            patient("P1", family_cadence=FamilyCadence.WEEKLY),
            *(patient(f"P{i}") for i in range(2, 15)),
        ),
    )
    schedule = solved(crowded)
    m = measure("crowded", crowded, schedule)
    assert m.waitlist == len(schedule.unplaced) > 0
    assert sum(m.unplaced_reasons.values()) == m.waitlist
    # P1's weekly family session has no family session type to be held in: waived if placed.
    assert m.waived_sessions == (1 if "P1" in schedule.placed_patients else 0)
    assert m.compliance_shortfalls == m.waived_sessions + m.short_weeks


def test_an_unproven_placement_says_found_not_proven() -> None:
    clinic = tiny_clinic(3)
    schedule = solved(clinic)
    unproven = replace(schedule, stats=replace(schedule.stats, placed_bound=None))
    assert measure("x", clinic, unproven).placement == NOT_PROVEN


def test_tables_keep_the_run_order_and_failed_runs() -> None:
    clinic = tiny_clinic(3)
    schedule = solved(clinic)
    runs = [Run(n, clinic, OPTIONS) for n in ("a", "b")]
    results = [RunResult("a", schedule), RunResult("b", None, "no schedule found (UNKNOWN)")]
    measured = measure_all(runs, results)
    assert isinstance(measured[1], RunFailure)
    frame = metrics_frame(measured)
    assert list(frame["run"]) == ["a", "b"]
    assert frame.loc[1, "error"] == "no schedule found (UNKNOWN)"
    assert frame.loc[0, "placed"] == 3
    ok = [m for m in measured if not isinstance(m, RunFailure)]
    uses = utilisation_frame(ok)
    assert len(uses) == len(clinic.therapists) + len(clinic.rooms)
    assert list(reasons_frame(ok).columns) == ["run", "reason", "patients"]
