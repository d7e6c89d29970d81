"""Revolving topic cycles (RULES.md C1, C2): history, assignment, checker, schedule.json.

The clinics are tiny: the factory's three evening groups a week (GT, three a week) with a
cycle of four modules, so a patient meets three modules a week and finishes a round in
the second week.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path

import pytest
from factory import WEEK, group_type, patient, tiny_clinic
from solved import solved

from scheduler.check import check_schedule
from scheduler.domain import Attendance, Clinic
from scheduler.report import topic_line
from scheduler.schedule import CycleProgress, Schedule, Session
from scheduler.schedule_json import (
    ScheduleFileError,
    read_schedule_json,
    schedule_from_dict,
    write_schedule_json,
)
from scheduler.topics import assign_topics, clock_index, coverage, topic_history

MODULES = ("Module A — Brain", "Module B — Triggers", "Module C — Coping", "Module D — Support")


def cycled_clinic(n_patients: int = 3, week_start: dt.date = WEEK) -> Clinic:
    clinic = tiny_clinic(n_patients)
    types = tuple(
        dataclasses.replace(t, topics=MODULES) if t.id == "GT" else t for t in clinic.session_types
    )
    settings = dataclasses.replace(clinic.settings, week_start=week_start)
    return dataclasses.replace(clinic, session_types=types, settings=settings)


@pytest.fixture(scope="module")
def week1() -> tuple[Clinic, Schedule]:
    clinic = cycled_clinic()
    return clinic, solved(clinic)


def gt_in_order(clinic: Clinic, schedule: Schedule) -> list[Session]:
    gt = [s for s in schedule.sessions if s.session_type == "GT"]
    return sorted(gt, key=lambda s: (s.date(clinic), s.id))


def modules_met(clinic: Clinic, schedule: Schedule, pid: str) -> list[str]:
    return [s.topic for s in gt_in_order(clinic, schedule) if pid in s.patients]


def rules(clinic: Clinic, schedule: Schedule) -> list[str]:
    return [v.rule for v in check_schedule(clinic, schedule)]


def test_the_solve_gives_each_cycled_session_a_module_and_nobody_repeats(week1) -> None:
    clinic, schedule = week1
    for s in schedule.sessions:
        assert (s.topic in MODULES) if s.session_type == "GT" else s.topic == ""
    for p in clinic.patients:
        met = modules_met(clinic, schedule, p.id)
        assert len(met) == 3 and len(set(met)) == 3  # three sessions, three modules


def test_the_checker_refuses_a_repeat_a_missing_and_a_foreign_topic(week1) -> None:
    clinic, schedule = week1
    first, second, _ = gt_in_order(clinic, schedule)
    assert set(first.patients) & set(second.patients)

    def with_topic(s: Session, topic: str) -> Schedule:
        return dataclasses.replace(
            schedule,
            sessions=tuple(
                dataclasses.replace(x, topic=topic) if x.id == s.id else x
                for x in schedule.sessions
            ),
        )

    assert rules(clinic, with_topic(second, first.topic)) == ["C2"]
    assert rules(clinic, with_topic(second, "")) == ["C1"]
    assert rules(clinic, with_topic(second, "Module Z")) == ["C1"]
    ind = next(s for s in schedule.sessions if s.session_type == "IND")
    assert rules(clinic, with_topic(ind, MODULES[0])) == ["C1"]


def test_the_carried_history_counts_for_the_checker_and_the_assignment(week1) -> None:
    clinic, schedule = week1
    first, second, _ = gt_in_order(clinic, schedule)
    done = frozenset({first.topic, second.topic})
    history = [CycleProgress(p.id, "GT", done) for p in clinic.patients]
    topical = assign_topics(clinic, schedule, history)
    assert rules(clinic, topical) == []
    for p in clinic.patients:
        # The two modules not yet met come first; the round completes, then starts again.
        assert set(modules_met(clinic, topical, p.id)[:2]) == set(MODULES) - done
    # The first week's own topics with this history repeat the two modules, which the
    # checker sees only through the carried progress.
    assert rules(clinic, dataclasses.replace(schedule, progress=tuple(history))) == ["C2"] * 2


def test_no_repeat_binds_against_the_cycle_clock(week1) -> None:
    """The clinic-wide clock puts every group on one module a week. P1 has met that module
    and P2 and P3 the one before, so the clock's choice, and the latest before it, would
    each be a repeat for someone: the assignment picks a module new to everyone instead."""
    clinic, schedule = week1
    first = gt_in_order(clinic, schedule)[0]
    assert set(first.patients) == {"P1", "P2", "P3"}
    anchor = clock_index(clinic, "GT", first.date(clinic))
    clocked = MODULES[anchor]
    before = MODULES[(anchor - 1) % len(MODULES)]
    assert first.topic == clocked  # with nothing carried, the clock decides
    history = [
        CycleProgress("P1", "GT", frozenset({clocked})),
        CycleProgress("P2", "GT", frozenset({before})),
        CycleProgress("P3", "GT", frozenset({before})),
    ]
    topical = assign_topics(clinic, schedule, history)
    got = gt_in_order(clinic, topical)[0].topic
    assert got not in (clocked, before)
    assert got == MODULES[(anchor - 2) % len(MODULES)]
    assert rules(clinic, topical) == []
    # Following the clock regardless of who is there repeats a module for P1.
    naive = dataclasses.replace(
        topical,
        sessions=tuple(
            dataclasses.replace(s, topic=clocked) if s.id == first.id else s
            for s in topical.sessions
        ),
    )
    assert "C2" in rules(clinic, naive)


def solved_stats():  # type: ignore[no-untyped-def]
    from test_exports_samples import stats

    return stats()


def test_history_is_carried_across_two_weeks_and_through_schedule_json(
    week1, tmp_path: Path
) -> None:
    clinic1, schedule1 = week1
    path = tmp_path / "schedule.json"
    write_schedule_json(schedule1, path, input_path="x", input_hash="h")
    back, _ = read_schedule_json(path)
    assert [s.topic for s in back.sessions] == [s.topic for s in schedule1.sessions]
    clinic2 = cycled_clinic(week_start=WEEK + dt.timedelta(weeks=1))
    history = topic_history(clinic2, back)
    for p in clinic2.patients:
        met = set(modules_met(clinic1, schedule1, p.id))
        assert CycleProgress(p.id, "GT", frozenset(met)) in history
    schedule2 = solved(clinic2)
    topical = assign_topics(clinic2, schedule2, history)
    assert topical.progress == history
    assert rules(clinic2, topical) == []
    for p in clinic2.patients:
        first = modules_met(clinic2, topical, p.id)[0]
        assert first not in modules_met(clinic1, schedule1, p.id)  # the one still missing
    write_schedule_json(topical, path, input_path="x", input_hash="h")
    assert read_schedule_json(path)[0] == dataclasses.replace(
        topical, stats=dataclasses.replace(topical.stats, wall_time_s=0.0, first_solution_s=None)
    )
    data = json.loads(path.read_text())
    assert all(("topic" in d) == (d["session_type"] == "GT") for d in data["sessions"])
    assert {d["patient"] for d in data["progress"]} == {p.id for p in clinic2.patients}
    data["progress"][0]["done"] = "Module A — Brain"
    with pytest.raises(ScheduleFileError, match=r"progress\[0\]\.done"):
        schedule_from_dict(data)
    figure = coverage(clinic2, [schedule1, topical])
    assert figure.repeats == 0 and figure.sessions == 6 * len(clinic2.patients)
    assert figure.discharged == 0 and figure.share is None
    # Coverage at discharge: P1 leaves on the chain's last day, having met all four.
    sunday = WEEK + dt.timedelta(days=13)
    leaving = dataclasses.replace(
        clinic2,
        patients=tuple(
            dataclasses.replace(p, discharge=sunday) if p.id == "P1" else p
            for p in clinic2.patients
        ),
    )
    figure = coverage(leaving, [schedule1, topical])
    assert (figure.discharged, figure.eligible, figure.covered) == (1, 1, 1)
    # Had every session of week two repeated P1's first module, P1 would not be covered.
    again = modules_met(clinic1, schedule1, "P1")[0]
    stuck = dataclasses.replace(
        topical,
        sessions=tuple(
            dataclasses.replace(s, topic=again) if s.topic else s for s in topical.sessions
        ),
    )
    figure = coverage(leaving, [schedule1, stuck])
    assert (figure.eligible, figure.covered) == (1, 0) and figure.repeats > 0


def test_attendance_no_takes_the_credit_away_and_yes_adds_it(week1) -> None:
    clinic1, schedule1 = week1
    first = gt_in_order(clinic1, schedule1)[0]
    absent, present = first.patients[0], first.patients[1]
    base = cycled_clinic(week_start=WEEK + dt.timedelta(weeks=1))
    friday = WEEK + dt.timedelta(days=4)
    rows = (
        Attendance(absent, attended=False, session=first.id),
        Attendance(present, attended=True, date=friday, session_type="GT", topic=first.topic),
    )
    clinic2 = dataclasses.replace(base, attendance=rows)
    plain = {c.patient: c.done for c in topic_history(base, schedule1)}
    history = {c.patient: c.done for c in topic_history(clinic2, schedule1)}
    assert first.topic in plain[absent] and first.topic not in history[absent]
    assert history[absent] == plain[absent] - {first.topic}
    assert history[present] == plain[present]  # already credited: counted once
    # A module met outside the schedule, given by date and type, is credited too.
    newcomer = patient("P9", admission=WEEK, discharge=WEEK + dt.timedelta(weeks=8))
    clinic3 = dataclasses.replace(
        clinic2,
        patients=(*clinic2.patients, newcomer),
        attendance=(
            *rows,
            Attendance("P9", attended=True, date=friday, session_type="GT", topic=MODULES[3]),
        ),
    )
    assert CycleProgress("P9", "GT", frozenset({MODULES[3]})) in topic_history(clinic3, schedule1)


def test_a_completed_round_starts_again() -> None:
    clinic = cycled_clinic()
    previous = Schedule(
        week_start=WEEK - dt.timedelta(weeks=1),
        weeks=1,
        sessions=(),
        unplaced=(),
        stats=solved_stats(),
        progress=(CycleProgress("P1", "GT", frozenset(MODULES[:3]), rounds=1),),
    )
    attended = Attendance(
        "P1", attended=True, date=WEEK - dt.timedelta(days=3), session_type="GT", topic=MODULES[3]
    )
    clinic = dataclasses.replace(clinic, attendance=(attended,))
    assert topic_history(clinic, previous) == (CycleProgress("P1", "GT", frozenset(), rounds=2),)


def test_types_without_a_cycle_are_untouched() -> None:
    clinic = tiny_clinic(2, session_types=(group_type("GT"), *tiny_clinic().session_types[1:]))
    schedule = solved(clinic)
    assert all(s.topic == "" for s in schedule.sessions)
    assert schedule.progress == () and topic_history(clinic, schedule) == ()


def test_a_forced_repeat_is_allowed_counted_and_reported(week1) -> None:
    """Between them, the three patients of the first group have met every module: one of
    them must meet a module again. The checker accepts it (C2), coverage counts it and the
    summary says so; the module chosen repeats for the fewest and least urgent."""
    clinic, schedule = week1
    history = [
        CycleProgress("P1", "GT", frozenset(MODULES[:2])),
        CycleProgress("P2", "GT", frozenset(MODULES[2:3])),
        CycleProgress("P3", "GT", frozenset(MODULES[3:])),
    ]
    topical = assign_topics(clinic, schedule, history)
    assert rules(clinic, topical) == []
    first = gt_in_order(clinic, topical)[0]
    assert first.topic in MODULES[:2]  # the repeat falls on P1, who has fewest missing
    # After it, between them they still hold every module, so each session forces one.
    assert coverage(clinic, [topical]).repeats == 3
    assert "3 patient-session(s) repeat a module" in (topic_line(clinic, topical) or "")
    assert "nobody meets a module twice" in (topic_line(clinic, schedule) or "")
