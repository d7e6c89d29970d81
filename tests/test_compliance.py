"""Waivers and short weeks are shown with required against delivered, never as "OK"."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path

import openpyxl
import pytest
from factory import (
    WEEK,
    FamilyCadence,
    family_type,
    group_type,
    individual_type,
    patient,
    therapist,
    tiny_clinic,
    window,
)
from solved import solved

from scheduler.cli import EXIT_OK, main
from scheduler.compliance import schedule_notes, waivers
from scheduler.domain import Clinic, Commitment, CommitmentKind, Weekday
from scheduler.exports import publish
from scheduler.exports.excel import compliance_rows
from scheduler.exports.view import build_view
from scheduler.inputs.workbook import write_workbook


def family_clinic(family_lead: frozenset[str]) -> Clinic:
    """P1's family can come Monday 16:30–17:30 (the MON-IND slot); T1 holds
    ``family_lead``, T2 is a CADC who may not lead family therapy."""
    family = patient(
        "P1",
        family_cadence=FamilyCadence.WEEKLY,
        family_availability=(window(Weekday.MON, "16:00", "18:00"),),
    )
    base = tiny_clinic()
    return replace(
        base,
        session_types=(group_type("GT"), individual_type(), family_type()),
        therapists=(therapist("T1", family_lead), therapist("T2", frozenset({"CADC"}))),
        patients=(family, *base.patients[1:]),
    )


def check_column(clinic: Clinic) -> dict[str, str]:
    rows = compliance_rows(build_view(clinic, solved(clinic)))
    return {str(r[1]): str(r[-1]) for r in rows}


def test_family_session_waived_for_want_of_a_licensed_therapist_is_shown() -> None:
    clinic = family_clinic(frozenset({"CADC"}))
    (waiver,) = waivers(clinic)
    assert waiver.patient == "P1" and waiver.required == 1
    assert "no therapist able to lead Family therapy" in waiver.cause
    assert "(MON-IND)" in waiver.cause
    check = check_column(clinic)
    assert check["P1"].startswith("Family therapy waived: no therapist able to lead")
    assert "(required 1, delivered 0)" in check["P1"]
    assert check["P2"] == "OK"


def test_family_session_held_when_a_licensed_therapist_is_there() -> None:
    clinic = family_clinic(frozenset({"LCSW"}))
    assert waivers(clinic) == []
    assert set(check_column(clinic).values()) == {"OK"}


def test_family_without_times_is_waived_with_that_cause() -> None:
    clinic = family_clinic(frozenset({"LCSW"}))
    no_times = replace(clinic.patients[0], family_availability=())
    clinic = replace(clinic, patients=(no_times, *clinic.patients[1:]))
    (waiver,) = waivers(clinic)
    assert waiver.cause == "the family has no times on the FamilyAvailability sheet"


def test_individual_session_waived_when_the_primary_never_works_then() -> None:
    # T1 works 18:00-22:00 only: never in the 16:30 individual slots.
    clinic = tiny_clinic(
        therapists=(therapist("T1", start="18:00"), therapist("T2", frozenset({"CADC"})))
    )
    found = waivers(clinic)
    assert {w.patient for w in found} == {"P1", "P2", "P3"}
    assert "primary therapist T1 does not work in the blocks they are free" in found[0].cause
    check = check_column(clinic)
    assert all(v.startswith("Individual counseling waived") for v in check.values())


def test_a_partial_week_short_of_the_minimum_is_a_short_week_not_ok() -> None:
    # Discharged on Saturday: in treatment on every clinic day (Mon, Wed, Fri), but the
    # week is not whole, so the 9-hour minimum does not bind. Working Friday evenings,
    # P1 gets two groups: 6 hours. Step-down is off, so this is a plain partial week.
    friday = Commitment(CommitmentKind.WORK, window(Weekday.FRI, "17:00", "23:00"))
    leaving = patient("P1", discharge=WEEK + dt.timedelta(days=5), commitments=(friday,))
    base = tiny_clinic()
    base = replace(base, settings=replace(base.settings, step_down_weeks=0))
    clinic = replace(base, patients=(leaving, *base.patients[1:]))
    schedule = solved(clinic)
    rows = {str(r[1]): r for r in compliance_rows(build_view(clinic, schedule))}
    assert rows["P1"][4] == 6
    assert rows["P1"][-1] == ("short week (discharged Sat 12 Dec): 6 of 9 h, groups on 2 of 3 days")
    assert rows["P2"][-1] == "OK"
    assert schedule_notes(clinic, schedule) == [
        "P1 week of 07 Dec: short week (discharged Sat 12 Dec): 6 of 9 h, groups on 2 of 3 days"
    ]


def test_waivers_are_in_the_solve_notes() -> None:
    clinic = family_clinic(frozenset({"CADC"}))
    notes = schedule_notes(clinic, solved(clinic))
    assert len(notes) == 1 and notes[0].startswith("P1 week of 07 Dec: Family therapy waived")


def test_solve_prints_each_waiver(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "clinic.xlsx"
    write_workbook(family_clinic(frozenset({"CADC"})), path)
    args = ["solve", str(path), "--out", str(tmp_path / "out"), "--time-limit", "10"]
    assert main([*args, "--workers", "1", "--quiet"]) == EXIT_OK
    out = capsys.readouterr().out
    assert "Waived sessions and short weeks (1):\n  P1 week of 07 Dec: Family therapy" in out


def test_the_summary_sheet_counts_waivers_and_short_weeks(tmp_path: Path) -> None:
    clinic = family_clinic(frozenset({"CADC"}))
    publish(clinic, solved(clinic), tmp_path)
    sheet = openpyxl.load_workbook(tmp_path / "schedule.xlsx")["Summary"]
    items = {r[0]: r[1] for r in sheet.iter_rows(values_only=True)}
    assert items["Sessions waived (see Compliance)"] == 1
    assert items["Short weeks (see Compliance)"] == 0
