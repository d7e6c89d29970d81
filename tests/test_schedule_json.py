"""schedule.json round-trips a Schedule exactly and says clearly when it cannot be read."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math
import stat
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_exports_samples import NOW, sample

from scheduler.schedule import ClassPlacement, Schedule, Session, SolveStats, UnmetLock, Unplaced
from scheduler.schedule_json import (
    ScheduleFileError,
    read_schedule_json,
    schedule_from_dict,
    schedule_to_dict,
    write_schedule_json,
)


def test_round_trip_is_exact(tmp_path: Path) -> None:
    _, schedule = sample(weeks=2)
    path = tmp_path / "schedule.json"
    write_schedule_json(schedule, path, input_path="clinic.xlsx", input_hash="h1", created=NOW)
    back, meta = read_schedule_json(path)
    assert back == untimed(schedule)
    assert list(back.stats.terms) == list(schedule.stats.terms)  # order kept
    assert meta.input_path == "clinic.xlsx" and meta.input_hash == "h1" and meta.created == NOW
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert json.loads(path.read_text())["format"] == 1


def test_missing_numbers_and_infinities_survive(tmp_path: Path) -> None:
    _, schedule = sample()
    stats = SolveStats("INFEASIBLE", None, math.inf, 1.5, 3, 2, 5.0, {}, None)
    odd = Schedule(schedule.week_start, 1, (), schedule.unplaced, stats, "")
    path = tmp_path / "s.json"
    write_schedule_json(odd, path, input_path="x", input_hash="y")
    back, meta = read_schedule_json(path)
    assert back == untimed(odd)
    assert meta.created is None  # not written unless given: the same run, the same bytes
    json.loads(path.read_text())  # strict JSON: no NaN/Infinity literals
    assert "Infinity" not in path.read_text()


def untimed(schedule: Schedule) -> Schedule:
    """What a schedule file keeps: timings are left out so that reruns give the same bytes."""
    stats = dataclasses.replace(schedule.stats, wall_time_s=0.0, first_solution_s=None)
    return dataclasses.replace(schedule, stats=stats)


def test_priority_classes_and_later_starters_round_trip(tmp_path: Path) -> None:
    _, schedule = sample()
    classes = (ClassPlacement("continuing", 3, 2, 2), ClassPlacement("new 2026-12-08", 2, 1, None))
    stats = dataclasses.replace(schedule.stats, by_priority=classes, clock_cut=True)
    odd = dataclasses.replace(schedule, stats=stats, starting_later=("P9",))
    path = tmp_path / "s.json"
    write_schedule_json(odd, path, input_path="x", input_hash="y")
    back, _ = read_schedule_json(path)
    assert back == untimed(odd)


def test_unmet_locks_round_trip(tmp_path: Path) -> None:
    _, schedule = sample()
    odd = dataclasses.replace(schedule, unmet_locks=(UnmetLock("LK1", "It cannot hold."),))
    path = tmp_path / "s.json"
    write_schedule_json(odd, path, input_path="x", input_hash="y")
    back, _ = read_schedule_json(path)
    assert back == untimed(odd) and back.unmet_locks == odd.unmet_locks


def test_the_same_schedule_gives_the_same_bytes(tmp_path: Path) -> None:
    _, schedule = sample()
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    write_schedule_json(schedule, a, input_path="x", input_hash="y")
    timed = dataclasses.replace(schedule.stats, wall_time_s=99.0, first_solution_s=3.0)
    write_schedule_json(
        dataclasses.replace(schedule, stats=timed), b, input_path="x", input_hash="y"
    )
    assert a.read_bytes() == b.read_bytes()


def good() -> dict:
    _, schedule = sample()
    return schedule_to_dict(schedule, input_path="in.xlsx", input_hash="h", created=NOW)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.update(format=2), "format"),
        (lambda d: d.pop("stats"), "file.stats: missing"),
        (lambda d: d["sessions"][1].update(week="0"), r"sessions\[1\]\.week"),
        (lambda d: d["sessions"][0].update(patients="P1"), r"sessions\[0\]\.patients"),
        (lambda d: d["stats"].update(seed=True), r"stats\.seed"),
        (lambda d: d["stats"].update(objective="lots"), r"stats\.objective"),
        (lambda d: d["unplaced"][0].pop("reason"), r"unplaced\[0\]\.reason"),
        (lambda d: d["meta"].update(created="2026-12-01T09:30:00"), "UTC offset"),
        (lambda d: d["sessions"].append(d["sessions"][0]), "share an id"),
    ],
)
def test_bad_files_name_the_field(change, message: str) -> None:
    data = good()
    change(data)
    with pytest.raises(ScheduleFileError, match=message):
        schedule_from_dict(data, source="s.json")


def test_not_json_is_a_schedule_file_error(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    path.write_text("{not json")
    with pytest.raises(ScheduleFileError, match="not a schedule file"):
        read_schedule_json(path)


ident = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=8)
finite = st.floats(allow_nan=False)


@st.composite
def schedules(draw: st.DrawFn) -> Schedule:
    n = draw(st.integers(0, 5))
    ids = draw(st.lists(ident, min_size=n, max_size=n, unique=True))
    sessions = tuple(
        Session(
            i,
            draw(ident),
            draw(st.integers(0, 11)),
            draw(ident),
            draw(ident),
            draw(ident),
            tuple(draw(st.lists(ident, max_size=2))),
            tuple(draw(st.lists(ident, max_size=4))),
        )
        for i in ids
    )
    stats = SolveStats(
        draw(st.sampled_from(["OPTIMAL", "FEASIBLE", "INFEASIBLE", "UNKNOWN"])),
        draw(st.none() | st.floats(allow_nan=False)),
        draw(st.none() | st.floats(allow_nan=False)),
        draw(finite),
        draw(st.integers(0, 2**31)),
        draw(st.integers(1, 16)),
        draw(finite),
        draw(st.dictionaries(ident, finite, max_size=3)),
        draw(st.none() | finite),
    )
    unplaced = tuple(Unplaced(p, r) for p, r in draw(st.lists(st.tuples(ident, ident), max_size=3)))
    monday = dt.date(2026, 1, 5) + dt.timedelta(weeks=draw(st.integers(0, 200)))
    return Schedule(monday, draw(st.integers(1, 12)), sessions, unplaced, stats, draw(ident))


@settings(max_examples=60, deadline=None)
@given(schedules())
def test_any_schedule_round_trips(schedule: Schedule) -> None:
    data = json.loads(json.dumps(schedule_to_dict(schedule, input_path="p", input_hash="h")))
    back, _ = schedule_from_dict(data)
    assert back == untimed(schedule)
