"""schedule.xlsx: the sheets and rows the schedule implies, text kept as text, print-ready."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import openpyxl
import pytest
from test_exports_samples import FORMULA, NOW, sample, sample_clinic, sample_schedule

from scheduler.exports import publish
from scheduler.exports.excel import SHEETS, clean_text
from scheduler.exports.options import PublishOptions

TREATMENT_WORDS = ("iop", "addiction", "detox", "substance", "recovery", "rehab", "therapy")


@pytest.fixture(scope="module")
def book(tmp_path_factory) -> tuple:
    clinic, schedule = sample(weeks=2)
    out = tmp_path_factory.mktemp("xlsx")
    publish(clinic, schedule, out, now=NOW)
    return clinic, schedule, openpyxl.load_workbook(out / "schedule.xlsx")


def rows(ws) -> list[tuple]:
    return list(ws.iter_rows(values_only=True))


def test_sheets_and_row_counts_follow_the_schedule(book) -> None:
    clinic, schedule, wb = book
    assert wb.sheetnames == list(SHEETS)
    seats = sum(len(s.patients) for s in schedule.sessions)
    assert wb["Rosters"].max_row == 1 + seats
    assert wb["Patients"].max_row == 1 + seats
    assert wb["Unplaced"].max_row == 1 + len(schedule.unplaced)
    assert rows(wb["Unplaced"])[1][1] == "P5" and "work" in rows(wb["Unplaced"])[1][4]
    # Every placed patient is in treatment both weeks of the horizon.
    assert wb["Compliance"].max_row == 1 + len(schedule.placed_patients) * schedule.weeks
    time_rows = len({(b.window.start, b.window.end) for b in clinic.blocks})
    assert wb["By room"].max_row == 1 + len(clinic.rooms) * schedule.weeks * time_rows
    assert wb["By therapist"].max_row == 1 + len(clinic.therapists) * schedule.weeks * time_rows
    assert wb["Therapist load"].max_row == 1 + len(clinic.therapists) * schedule.weeks
    walk_ins = PublishOptions().walk_in_rows
    sign_in = sum(
        5 + len(s.patients) + (walk_ins if s.session_type == "GT" else 0) for s in schedule.sessions
    )
    assert wb["Sign-in"].max_row == sign_in
    assert len(wb["Sign-in"].row_breaks.brk) == len(schedule.sessions)
    feeds = rows(wb["Calendar feeds"])[1:]
    assert len(feeds) == 1 + len(clinic.therapists) + len(clinic.rooms) + 1


def test_roster_rows_carry_each_session(book) -> None:
    _, schedule, wb = book
    got = {(r[3], r[9]) for r in rows(wb["Rosters"])[1:]}
    want = {(s.code, p) for s in schedule.sessions for p in s.patients}
    assert got == want
    first = rows(wb["Rosters"])[1]
    assert first[2] == "16:30–17:30" and first[5] == "Room OFFICE"


def test_formula_names_stay_strings_and_control_characters_go(book) -> None:
    _, _, wb = book
    found = 0
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate)
                if cell.value == FORMULA:
                    found += 1
                    assert cell.data_type == "s" and cell.quotePrefix
                if isinstance(cell.value, str):
                    assert "\x07" not in cell.value and "\x1f" not in cell.value
    assert found >= 3  # rosters, patient schedule, compliance, sign-in sheets
    assert "Cal Control" in {r[0] for r in rows(wb["Compliance"])}
    assert clean_text("a\x00b\tc\r\nd") == "ab c\nd"


def test_every_sheet_is_print_ready(book) -> None:
    _, _, wb = book
    for ws in wb.worksheets:
        assert ws.page_setup.orientation == "landscape", ws.title
        assert ws.page_setup.fitToWidth == 1 and ws.page_setup.fitToHeight == 0
        assert ws.sheet_properties.pageSetUpPr.fitToPage
        assert "CONFIDENTIAL" in ws.oddFooter.left.text
        assert ws.column_dimensions["A"].width > 5
        if ws.title != "Sign-in":
            assert ws.freeze_panes == "A2", ws.title
            assert ws.print_title_rows == "$1:$1", ws.title
    widths = wb["Unplaced"].column_dimensions
    assert widths["E"].width > widths["C"].width  # computed from the contents


def test_sign_in_sheets_hold_no_treatment_words(tmp_path: Path) -> None:
    clinic = sample_clinic()
    types = tuple(
        replace(t, name="IOP Relapse therapy") if t.id == "GT" else t for t in clinic.session_types
    )
    clinic = replace(clinic, session_types=types)
    schedule = sample_schedule(clinic)
    publish(clinic, schedule, tmp_path, now=NOW, options=PublishOptions(sign_in_shows="code"))
    ws = openpyxl.load_workbook(tmp_path / "schedule.xlsx")["Sign-in"]
    text = " ".join(str(v) for r in rows(ws) for v in r if v is not None).lower()
    for word in TREATMENT_WORDS:
        assert word not in text, word
    assert "bea consent" not in text and "p2" in text  # codes, not names, as chosen
    assert "signature" in text and "time in" in text


def test_sign_in_sheets_can_show_names(book) -> None:
    _, _, wb = book
    names = {r[1] for r in rows(wb["Sign-in"])}
    assert "Bea Consent" in names and FORMULA in names


def test_compliance_highlights_short_weeks(tmp_path: Path) -> None:
    clinic, schedule = sample()
    # Dee (P4) attends only Monday's group: 3 hours on 1 day, short of 9 h on 3 days.
    publish(clinic, schedule, tmp_path, now=NOW)
    ws = openpyxl.load_workbook(tmp_path / "schedule.xlsx")["Compliance"]
    by_id = {r[1]: (i, r) for i, r in enumerate(rows(ws), start=1)}
    i, dee = by_id["P4"]
    assert dee[4] == 3 and "hours short" in dee[-1] and "too few days" in dee[-1]
    assert ws.cell(i, 1).fill.fgColor.rgb == "FFF2B8B8"
    i, bea = by_id["P2"]  # three groups and one individual session: 10 h on 3 days
    assert bea[4] == 10 and bea[-1] == "OK"
    assert ws.cell(i, 1).fill.fgColor.rgb != "FFF2B8B8"


def test_run_info_and_load(book) -> None:
    _, schedule, wb = book
    info = dict(rows(wb["Run info"])[1:])
    assert info["Status"] == "OPTIMAL" and info["Seed"] == 7 and info["Gap"] == 0
    assert info["Input hash"] == schedule.input_hash
    assert info["Objective term: unplaced"] == 10
    assert info["openpyxl"] == openpyxl.__version__
    load = {(r[1], r[3].date()): r for r in rows(wb["Therapist load"])[1:]}
    t1 = load[("T1", schedule.week_start)]
    assert t1[4] == 5 and t1[5] == 11  # 3 groups × 3 h + 2 individual × 1 h
    assert t1[9] == 4  # P1–P4 have T1 as primary therapist
