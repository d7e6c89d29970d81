"""Topic cycles in and out: the topics column and the Attendance sheet (read, written,
located errors), and the exports — rosters, sign-in sheets, the Patients sheet and the
timetable show the module, no calendar feed ever does."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import openpyxl
import pytest
from factory import WEEK
from icalendar import Calendar
from openpyxl import load_workbook
from sheets import add_row, where
from test_exports_samples import NOW, sample
from test_topics import MODULES, cycled_clinic

from scheduler.domain import Attendance, Clinic
from scheduler.exports import publish
from scheduler.exports.options import PublishOptions
from scheduler.exports.privacy import neutral, withheld_words
from scheduler.inputs.errors import InputError
from scheduler.inputs.validate import summary
from scheduler.inputs.workbook import read_clinic, write_csv_folder, write_template, write_workbook
from scheduler.schedule import Schedule
from scheduler.topics import assign_topics

FRIDAY = WEEK - dt.timedelta(days=3)


def clinic_with_cycle() -> Clinic:
    clinic = cycled_clinic()
    attendance = (
        Attendance("P1", attended=False, session="W0-MON-EVE-GT-1"),
        Attendance("P2", attended=True, date=FRIDAY, session_type="GT", topic=MODULES[1]),
    )
    return dataclasses.replace(clinic, attendance=attendance)


def test_topics_and_attendance_round_trip_through_workbook_and_csv(tmp_path: Path) -> None:
    clinic = clinic_with_cycle()
    write_workbook(clinic, tmp_path / "c.xlsx")
    assert read_clinic(tmp_path / "c.xlsx") == clinic
    write_csv_folder(clinic, tmp_path / "csv")
    assert read_clinic(tmp_path / "csv") == clinic
    assert read_clinic(tmp_path / "csv").session_type_by_id["GT"].topics == MODULES


def test_the_attendance_sheet_is_optional(tmp_path: Path) -> None:
    clinic = dataclasses.replace(clinic_with_cycle(), attendance=())
    write_csv_folder(clinic, tmp_path / "csv")
    (tmp_path / "csv" / "Attendance.csv").unlink()
    assert read_clinic(tmp_path / "csv") == clinic
    write_workbook(clinic, tmp_path / "c.xlsx")
    book = load_workbook(tmp_path / "c.xlsx")
    del book["Attendance"]
    book.save(tmp_path / "c.xlsx")
    assert read_clinic(tmp_path / "c.xlsx") == clinic


def test_the_template_has_the_attendance_sheet_and_the_topics_column(tmp_path: Path) -> None:
    write_template(tmp_path / "t.xlsx")
    book = load_workbook(tmp_path / "t.xlsx")
    assert [c.value for c in book["Attendance"][1]] == [
        "patient_id",
        "session_id",
        "date",
        "session_type_id",
        "topic",
        "attended",
    ]
    assert "topics" in [c.value for c in book["SessionTypes"][1]]


def test_bad_attendance_rows_and_topics_are_located(tmp_path: Path) -> None:
    path = tmp_path / "c.xlsx"
    write_workbook(clinic_with_cycle(), path)  # Attendance rows 2 and 3 are good
    add_row(path, "Attendance", {"patient_id": "P404", "session_id": "X", "attended": "yes"})
    add_row(path, "Attendance", {"patient_id": "P1", "attended": "no"})
    add_row(
        path,
        "Attendance",
        {
            "patient_id": "P3",
            "date": "2026-12-04",
            "session_type_id": "GT",
            "topic": "Module Z",
            "attended": "yes",
        },
    )
    add_row(path, "Attendance", {"patient_id": "P3", "session_id": "X", "attended": "maybe"})
    book = load_workbook(path)
    ws = book["SessionTypes"]
    header = [c.value for c in ws[1]]
    assert ws.cell(row=3, column=1).value == "IND"  # GT (row 2) stays good for row 6
    ws.cell(row=3, column=header.index("topics") + 1).value = "One;Two;one"
    book.save(path)
    with pytest.raises(InputError) as err:
        read_clinic(path)
    assert where(err.value.problems) == {
        ("SessionTypes", 3, "topics"),
        ("Attendance", 4, "patient_id"),
        ("Attendance", 5, "session_id"),
        ("Attendance", 6, "topic"),
        ("Attendance", 7, "attended"),
    }
    for p in err.value.problems:
        assert p.fix


# --------------------------------------------------------------------------------------
# Exports.


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> tuple[Clinic, Schedule, Path]:
    clinic, schedule = sample()
    clinic = dataclasses.replace(
        clinic,
        session_types=tuple(
            dataclasses.replace(t, topics=MODULES) if t.id == "GT" else t
            for t in clinic.session_types
        ),
    )
    schedule = assign_topics(clinic, schedule, ())
    out = tmp_path_factory.mktemp("out")
    # Internal details put the most into the staff feeds; a topic still never goes there.
    options = PublishOptions(sign_in_shows="code", internal_calendar_details=True)
    publish(clinic, schedule, out, now=NOW, options=options)
    return clinic, schedule, out


def _texts(ws) -> str:  # type: ignore[no-untyped-def]
    return "\n".join(str(v) for row in ws.iter_rows(values_only=True) for v in row if v)


def test_rosters_sign_in_patients_and_timetable_show_the_module(published) -> None:
    _, schedule, out = published
    topics = {s.topic for s in schedule.sessions if s.topic}
    assert topics and topics <= set(MODULES)
    book = openpyxl.load_workbook(out / "schedule.xlsx")
    rosters = list(book["Rosters"].iter_rows(values_only=True))
    column = rosters[0].index("Topic")
    for s in schedule.sessions:
        rows = [r for r in rosters[1:] if r[rosters[0].index("Group code")] == s.code]
        assert rows and {r[column] for r in rows} == {s.topic or None}
    patients = list(book["Patients"].iter_rows(values_only=True))
    assert "Topic" in patients[0]
    shown = {r[patients[0].index("Topic")] for r in patients[1:]}
    assert topics <= shown
    sign_in = _texts(book["Sign-in"])
    for topic in topics:
        assert f"Topic: {neutral(topic)}" in sign_in
    html = (out / "timetable.html").read_text()
    for topic in topics:
        assert topic in html


def test_no_calendar_feed_carries_a_topic(published) -> None:
    _, schedule, out = published
    feeds = sorted((out / "calendars").glob("*.ics"))
    assert any(f.name.startswith("patient-") for f in feeds)
    words = {w.lower() for s in schedule.sessions for w in s.topic.split() if len(w) > 3}
    words -= {"module"}
    assert words
    for feed in feeds:
        calendar = Calendar.from_ical(feed.read_bytes())
        text = " ".join(
            str(value) for component in calendar.walk() for value in component.values()
        ).lower()
        for s in schedule.sessions:
            if s.topic:
                assert s.topic.lower() not in text, feed.name
        for word in words:
            assert word not in text, (feed.name, word)


def test_validate_names_the_cycles_and_the_attendance_rows() -> None:
    assert "Topic cycles: GT 4 modules; attendance rows: 2" in summary(clinic_with_cycle())
    assert "Topic cycles" not in summary(sample()[0])


def test_sign_in_sheets_show_the_module_without_withheld_words(tmp_path: Path) -> None:
    clinic, schedule = sample()
    cycle = ("Module 1 — Substances and the brain", "Module 2 — Relapse warning signs")
    clinic = dataclasses.replace(
        clinic,
        session_types=tuple(
            dataclasses.replace(t, topics=cycle) if t.id == "GT" else t
            for t in clinic.session_types
        ),
    )
    schedule = assign_topics(clinic, schedule, ())
    publish(clinic, schedule, tmp_path, now=NOW)
    book = openpyxl.load_workbook(tmp_path / "schedule.xlsx")
    sign_in = _texts(book["Sign-in"])
    assert "Topic: Module 1 — Program and the brain" in sign_in
    assert withheld_words(sign_in) == []
    assert "Relapse warning signs" in _texts(book["Rosters"])  # staff papers keep it whole
