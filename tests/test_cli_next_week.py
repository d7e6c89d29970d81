"""``solve --previous`` and ``next-week`` on the command line (issue "week after week")."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import json
from pathlib import Path

import pytest
from factory import WEEK, patient, tiny_clinic

from scheduler.check import check_schedule
from scheduler.cli import EXIT_INPUT, EXIT_OK, main, with_horizon
from scheduler.inputs.workbook import read_clinic, write_workbook
from scheduler.schedule_json import read_schedule_json

QUICK = ["--time-limit", "10", "--workers", "1", "--quiet"]


def _sessions(path: Path) -> list[tuple[object, ...]]:
    data = json.loads(path.read_text())
    return [
        (s["week"], s["block"], s["session_type"], s["room"], s["therapists"], s["patients"])
        for s in data["sessions"]
    ]


@pytest.fixture
def clinic_xlsx(tmp_path: Path) -> Path:
    path = tmp_path / "clinic.xlsx"
    long_stay = [patient(f"P{i}", discharge=WEEK + dt.timedelta(weeks=10)) for i in range(1, 4)]
    write_workbook(tiny_clinic(patients=tuple(long_stay)), path)
    return path


def test_solve_with_previous_and_no_change_gives_the_same_timetable(
    clinic_xlsx: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first, again = tmp_path / "first", tmp_path / "again"
    assert main(["solve", str(clinic_xlsx), "--out", str(first), *QUICK]) == EXIT_OK
    previous = first / "schedule.json"
    args = ["solve", str(clinic_xlsx), "--out", str(again), "--previous", str(previous)]
    assert main([*args, *QUICK, "--seed", "7"]) == EXIT_OK
    assert _sessions(again / "schedule.json") == _sessions(previous)
    assert "No appointment changes" in capsys.readouterr().out
    rows = list(csv.reader((again / "changes.csv").open()))
    assert len(rows) == 1  # the header alone


def test_next_week_rolls_the_horizon_and_keeps_the_groups(
    clinic_xlsx: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    assert main(["solve", str(clinic_xlsx), "--out", str(out), *QUICK]) == EXIT_OK
    before, _ = read_schedule_json(out / "schedule.json")
    assert main(["next-week", str(out / "schedule.json"), *QUICK]) == EXIT_OK
    after, meta = read_schedule_json(out / "schedule.json")
    assert after.week_start == before.week_start + dt.timedelta(weeks=1)
    assert meta.input_path == str(clinic_xlsx)
    # Same patients, same blocks, rooms, leaders and group identities a week later.
    assert {(s.block, s.room, s.therapists, s.patients, s.lineage_id) for s in after.sessions} == {
        (s.block, s.room, s.therapists, s.patients, s.lineage_id) for s in before.sessions
    }
    clinic = with_horizon(read_clinic(clinic_xlsx), after.week_start, after.weeks)
    assert check_schedule(clinic, after) == []
    # export reads a rolled schedule against the input's own clinic, moved to its dates.
    again = tmp_path / "again"
    assert main(["export", str(out / "schedule.json"), "--out", str(again)]) == EXIT_OK


def test_next_week_on_a_two_week_plan_drops_a_week_and_adds_one(tmp_path: Path) -> None:
    path = tmp_path / "clinic.xlsx"
    base = tiny_clinic(
        patients=tuple(
            patient(f"P{i}", discharge=WEEK + dt.timedelta(weeks=10)) for i in range(1, 4)
        )
    )
    write_workbook(
        dataclasses.replace(base, settings=dataclasses.replace(base.settings, weeks=2)), path
    )
    out = tmp_path / "out"
    assert main(["solve", str(path), "--out", str(out), *QUICK]) == EXIT_OK
    before, _ = read_schedule_json(out / "schedule.json")
    assert main(["next-week", str(out / "schedule.json"), *QUICK]) == EXIT_OK
    after, _ = read_schedule_json(out / "schedule.json")
    assert (after.week_start, after.weeks) == (before.week_start + dt.timedelta(weeks=1), 2)

    def week(s: object, w: int) -> set[tuple[object, ...]]:
        return {
            (x.block, x.room, x.therapists, x.patients)
            for x in s.sessions  # type: ignore[attr-defined]
            if x.week == w
        }

    assert week(after, 0) == week(before, 1)  # the old second week, kept
    assert week(after, 1) == week(before, 1)  # the added week repeats the last one


def test_previous_that_is_not_a_schedule_is_an_input_error(
    clinic_xlsx: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bogus = tmp_path / "bogus.json"
    bogus.write_text("{not json")
    out = tmp_path / "out"
    args = ["solve", str(clinic_xlsx), "--out", str(out), "--previous", str(bogus)]
    assert main([*args, *QUICK]) == EXIT_INPUT
    assert "--previous" in capsys.readouterr().err
    assert not out.exists()
    assert main(["next-week", str(bogus), *QUICK]) == EXIT_INPUT
