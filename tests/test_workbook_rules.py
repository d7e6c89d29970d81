"""The workbook's part in the rules of issue 14 and 10: overnight rows (a night shift is one
row whose end is on the next day, T2), the rest after night work setting (T7) and session
types restricted to some sexes (S4)."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path

import pytest
from factory import tiny_clinic
from openpyxl import load_workbook
from sheets import add_row, set_cell, settings_row

from scheduler.domain import Clinic, Commitment, CommitmentKind, Sex, Weekday, Window
from scheduler.inputs.workbook import InputError, read_clinic, write_csv_folder, write_workbook


def night_clinic() -> Clinic:
    base = tiny_clinic()
    night = Commitment(CommitmentKind.WORK, Window(Weekday.SUN, 22 * 60, 31 * 60))  # Sun–Mon
    p1 = replace(base.patients[0], commitments=(night,))
    t1 = replace(base.therapists[0], availability=(Window(Weekday.FRI, 20 * 60, 26 * 60),))
    return replace(base, patients=(p1, *base.patients[1:]), therapists=(t1, base.therapists[1]))


def test_overnight_rows_round_trip(tmp_path: Path) -> None:
    write_workbook(night_clinic(), tmp_path / "c.xlsx")
    assert read_clinic(tmp_path / "c.xlsx") == night_clinic()
    write_csv_folder(night_clinic(), tmp_path / "csv")
    text = (tmp_path / "csv" / "PatientCommitments.csv").read_text(encoding="utf-8")
    assert "Sun,22:00,07:00" in text.replace('"', "")
    assert read_clinic(tmp_path / "csv") == night_clinic()


def test_a_22_to_07_commitment_is_one_overnight_row(tmp_path: Path) -> None:
    path = tmp_path / "c.xlsx"
    write_workbook(tiny_clinic(), path)
    row = {"patient_id": "P1", "kind": "work", "weekday": "Mon", "start": "22:00", "end": "07:00"}
    add_row(path, "PatientCommitments", row)
    (commitment,) = read_clinic(path).patient_by_id["P1"].commitments
    assert commitment.window == Window(Weekday.MON, 22 * 60, 31 * 60)
    assert str(commitment.window) == "Mon 22:00–Tue 07:00"


def test_a_row_ending_when_it_starts_is_located(tmp_path: Path) -> None:
    path = tmp_path / "c.xlsx"
    write_workbook(tiny_clinic(), path)
    row = {"patient_id": "P1", "kind": "work", "weekday": "Mon", "start": "09:00", "end": "09:00"}
    add_row(path, "PatientCommitments", row)
    with pytest.raises(InputError) as err:
        read_clinic(path)
    (problem,) = err.value.problems
    assert (problem.sheet, problem.row, problem.column) == ("PatientCommitments", 2, "end")
    assert "next day" in problem.message


def test_rest_after_night_setting_round_trips_and_is_checked(tmp_path: Path) -> None:
    clinic = replace(
        night_clinic(), settings=replace(night_clinic().settings, rest_after_night_min=0)
    )
    write_workbook(clinic, tmp_path / "c.xlsx")
    assert read_clinic(tmp_path / "c.xlsx").settings.rest_after_night_min == 0
    path = tmp_path / "bad.xlsx"
    write_workbook(clinic, path)
    set_cell(path, "Clinic", settings_row(path, "rest_after_night_min"), "value", "900")
    with pytest.raises(InputError) as err:
        read_clinic(path)
    (problem,) = err.value.problems
    assert (problem.sheet, problem.column) == ("Clinic", "value")
    assert "rest_after_night_min" in problem.message and "0 to 720" in problem.message


def test_rest_after_night_defaults_to_six_hours(tmp_path: Path) -> None:
    path = tmp_path / "c.xlsx"
    write_workbook(tiny_clinic(), path)
    book = load_workbook(path)
    ws = book["Clinic"]
    ws.delete_rows(settings_row(path, "rest_after_night_min"))
    book.save(path)
    assert read_clinic(path).settings.rest_after_night_min == 360


def test_sexes_column_round_trips_and_is_checked(tmp_path: Path) -> None:
    base = tiny_clinic()
    women = replace(base.session_types[0], sexes=frozenset({Sex.FEMALE}))
    clinic = replace(base, session_types=(women, *base.session_types[1:]))
    path = tmp_path / "c.xlsx"
    write_workbook(clinic, path)
    assert read_clinic(path).session_type_by_id["GT"].sexes == {Sex.FEMALE}
    write_csv_folder(clinic, tmp_path / "csv")
    assert read_clinic(tmp_path / "csv") == clinic
    set_cell(path, "SessionTypes", 2, "sexes", "women")
    with pytest.raises(InputError) as err:
        read_clinic(path)
    (problem,) = err.value.problems
    assert (problem.sheet, problem.row, problem.column) == ("SessionTypes", 2, "sexes")
    assert problem.fix


def test_an_overnight_row_typed_as_excel_times(tmp_path: Path) -> None:
    path = tmp_path / "c.xlsx"
    write_workbook(night_clinic(), path)
    book = load_workbook(path)
    ws = book["PatientCommitments"]
    header = [c.value for c in ws[1]]
    for column, value in (("start", dt.time(23, 0)), ("end", dt.time(6, 30))):
        cell = ws.cell(row=2, column=header.index(column) + 1)
        cell.value = value
        cell.number_format = "hh:mm"
    book.save(path)
    (commitment,) = read_clinic(path).patient_by_id["P1"].commitments
    assert commitment.window == Window.clock(Weekday.SUN, 23 * 60, 6 * 60 + 30)
