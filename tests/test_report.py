"""The coordinator's summary after a solve: placement, quality, costs in plain words."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest

from scheduler.report import (
    TERM_NAMES,
    coordinator_summary,
    cost_table,
    placement_line,
    quality_line,
)
from scheduler.schedule import ClassPlacement, Schedule, Session, SolveStats, Unplaced


def stats(**kw: object) -> SolveStats:
    base: dict[str, object] = dict(
        status="FEASIBLE",
        objective=233.0,
        best_bound=175.0,
        wall_time_s=60.06,
        seed=0,
        workers=2,
        time_limit_s=60.0,
        placed_bound=2,
    )
    return SolveStats(**(base | kw))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "placed, total, bound, expected",
    [
        (60, 60, 60, "All 60 patients placed (the most possible)."),
        (1, 1, 1, "The one patient placed (the most possible)."),
        (57, 60, 57, "57 of 60 patients placed (the most possible: no timetable can place more)."),
        (57, 60, 59, "57 of 60 patients placed; up to 59 might be: a longer --time-limit"),
        (57, 60, None, "57 of 60 patients placed (not proven to be the most possible)."),
        (0, 0, None, "No patients to place"),
    ],
)
def test_placement_line(placed: int, total: int, bound: int | None, expected: str) -> None:
    assert placement_line(placed, total, bound).startswith(expected)


def test_quality_rounds_the_gap_up_so_within_is_true() -> None:
    # 233 against a bound of 175: a gap of 24.9 %, said as "within 25 %".
    assert quality_line(stats()) == "Timetable quality: within 25 % of the best possible."
    assert "within 1 %" in quality_line(stats(objective=1000.0, best_bound=999.0))


@pytest.mark.parametrize(
    "kw, words",
    [
        ({"status": "OPTIMAL", "best_bound": 233.0}, "the best possible (proven)"),
        ({"best_bound": None}, "not measured"),
        ({"best_bound": 0.0}, "not yet measurable"),
        ({"objective": None, "best_bound": None, "status": "UNKNOWN"}, "No timetable"),
    ],
)
def test_quality_line_without_a_useful_gap(kw: dict[str, object], words: str) -> None:
    assert words in quality_line(stats(**kw))


def test_cost_table_uses_plain_names_and_points() -> None:
    table = cost_table(
        {"evening_saturday": 88.0, "cohort": 6.0}, {"evening_saturday": 1, "cohort": 2}
    )
    lines = table.splitlines()
    assert "Staff hours in evenings and at weekends" in lines[2]
    assert lines[2].split()[-3:] == ["88", "hours", "88"]
    assert lines[3].split()[-1] == "12"  # 6 extra times at 2 points each
    assert "evening_saturday" not in table


def test_cost_table_shows_an_unknown_term_by_its_own_name() -> None:
    assert "New term" in cost_table({"new_term": 3.0})


def test_every_weight_has_a_plain_name() -> None:
    from scheduler.model.options import Weights

    assert set(Weights().as_dict()) == set(TERM_NAMES)


def test_summary_reads_like_the_issue() -> None:
    session = Session.numbered(0, "MON-AM", "GT", 1, "R1", ("T1",), ("P1", "P2"))
    schedule = Schedule(
        week_start=dt.date(2026, 12, 7),
        weeks=1,
        sessions=(session,),
        unplaced=(Unplaced("P3", "no free block"),),
        stats=stats(terms={"cohort": 6.0}),
    )
    text = coordinator_summary(schedule, {"cohort": 2})
    assert text.splitlines()[:2] == [
        "2 of 3 patients placed (the most possible: no timetable can place more).",
        "Timetable quality: within 25 % of the best possible.",
    ]
    assert "Extra group times of day" in text
    assert "objective" not in text.lower() and "bound" not in text.lower()


def test_summary_mentions_late_admissions_and_a_clock_cut() -> None:
    schedule = Schedule(
        week_start=dt.date(2026, 12, 7),
        weeks=1,
        sessions=(),
        unplaced=(),
        stats=stats(clock_cut=True, placed_bound=0),
        starting_later=("P7", "P8"),
    )
    text = coordinator_summary(schedule)
    assert "2 patients admitted too late for this plan start next week." in text
    assert "Stopped by the clock" in text and "a re-run may differ" in text
    plain = replace(schedule, starting_later=(), stats=stats(placed_bound=0))
    assert "next week" not in coordinator_summary(plain)
    assert "clock" not in coordinator_summary(plain)


def test_summary_gives_each_priority_class_against_its_maximum() -> None:
    classes = (ClassPlacement("continuing", 5, 5, 5), ClassPlacement("new 2026-12-07", 4, 1, 3))
    schedule = Schedule(
        week_start=dt.date(2026, 12, 7),
        weeks=1,
        sessions=(),
        unplaced=(),
        stats=stats(placed_bound=8, by_priority=classes),
    )
    text = coordinator_summary(schedule)
    assert "continuing: 5 of 5 placed (the most possible)" in text
    assert "new 2026-12-07: 1 of 4 placed (up to 3 might be)" in text


def test_summary_gives_the_group_sizes_given_the_clinic() -> None:
    from factory import group_type, individual_type, tiny_clinic

    clinic = tiny_clinic(session_types=(group_type("GT", target_min=3), individual_type()))

    def group(k: int, *patients: str) -> Session:
        return Session.numbered(0, "MON-EVE", "GT", k, f"R{k}", (f"T{k}",), patients)

    sessions = (
        group(1, "P1", "P2"),
        group(2, "P3", "P4", "P5"),
        group(3, "P6", "P7", "P8"),
        Session.numbered(0, "MON-IND", "IND", 1, "OFFICE", ("T1",), ("P1",)),
    )
    schedule = Schedule(dt.date(2026, 12, 7), 1, sessions, (), stats(placed_bound=8))
    text = coordinator_summary(schedule, clinic=clinic)
    assert "Groups by size: 1 of 2 patients, 2 of 3 (1 group below their target size)." in text
    assert "Groups by size" not in coordinator_summary(schedule)
