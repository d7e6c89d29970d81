"""schedule.xlsx: the sheets and rows the schedule implies, text kept as text, print-ready."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import openpyxl
import pytest
from factory import room, tiny_clinic
from test_exports_samples import FORMULA, NOW, sample, sample_clinic, sample_schedule

from scheduler.exports import publish
from scheduler.exports.excel import (
    LINE_PT,
    PAGE_WIDTH_UNITS,
    SHEETS,
    clean_text,
    fit_widths,
    text_units,
    wrapped_lines,
)
from scheduler.exports.options import PublishOptions
from scheduler.schedule import Session, UnmetLock, Unplaced

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
    # A band per room/therapist and week that has sessions: a heading and the blocks used.
    for title, by_room in (("By room", True), ("By therapist", False)):
        bands: dict[tuple[str, int], set[tuple[int, int]]] = {}
        for s in schedule.sessions:
            window = clinic.block_by_id[s.block].window
            for owner in [s.room] if by_room else s.therapists:
                bands.setdefault((owner, s.week), set()).add((window.start, window.end))
        owners = clinic.rooms if by_room else clinic.therapists
        idle_weeks = sum(len({o for o, w in bands if w == week}) < len(owners) for week in (0, 1))
        want = 1 + sum(1 + len(t) for t in bands.values()) + idle_weeks  # idle ones listed
        assert wb[title].max_row == want, title
    assert wb["Therapist load"].max_row == 1 + len(clinic.therapists) * schedule.weeks
    walk_ins = PublishOptions().walk_in_rows
    sign_in = sum(
        5 + len(s.patients) + (walk_ins if s.session_type == "GT" else 0) for s in schedule.sessions
    )
    assert wb["Sign-in"].max_row == sign_in - 1  # the gap after the last sheet is empty
    feeds = rows(wb["Calendar feeds"])[1:]
    assert len(feeds) == 1 + len(clinic.therapists) + len(clinic.rooms) + 1


def test_roster_rows_carry_each_session(book) -> None:
    _, schedule, wb = book
    got = {(r[3], r[10]) for r in rows(wb["Rosters"])[1:]}  # after Type, Topic
    want = {(s.code, p) for s in schedule.sessions for p in s.patients}
    assert got == want
    first = rows(wb["Rosters"])[1]
    assert first[2] == "16:30–17:30" and first[6] == "Room OFFICE"


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
    for ws in wb.worksheets:
        total = sum(d.width for d in ws.column_dimensions.values())
        assert total <= PAGE_WIDTH_UNITS, ws.title  # prints at 9 pt or more
        assert ws.page_margins.left == 0.5 and int(ws.page_setup.paperSize) == 1  # letter
        assert ws.oddFooter.left.size >= 11, ws.title  # LibreOffice shrinks it with the page


def test_sign_in_sheets_never_split_and_share_pages(book) -> None:
    _, schedule, wb = book
    ws = wb["Sign-in"]
    titles = [r for r in range(1, ws.max_row + 1) if str(ws.cell(r, 1).value).startswith("Sign-in")]
    assert len(titles) == len(schedule.sessions)
    breaks = [b.id for b in ws.row_breaks.brk]
    assert 0 < len(breaks) < len(schedule.sessions)  # short sheets share a page
    for b in breaks:
        assert b + 1 in titles  # a page starts with a sheet's title
    signing = [r for r in range(1, ws.max_row + 1) if isinstance(ws.cell(r, 1).value, int)]
    assert signing
    for r in signing:
        assert ws.row_dimensions[r].height * 25.4 / 72 >= 8  # mm to sign in
        assert ws.cell(r, 3).border.bottom.style == "thin"
    assert ws.column_dimensions["C"].width >= 40  # "Signature", not "#", is the widest
    # Headings span the sheet's width (and wrap there) instead of widening column A.
    merged = {str(m) for m in ws.merged_cells.ranges}
    assert all(f"A{t}:E{t}" in merged and f"A{t + 2}:E{t + 2}" in merged for t in titles)
    assert ws.column_dimensions["A"].width <= 6


def test_sign_in_sheets_can_be_left_out_per_session_type(tmp_path: Path) -> None:
    clinic, schedule = sample()
    skip = PublishOptions(sign_in_skip_types=frozenset({"IND"}))
    publish(clinic, schedule, tmp_path, now=NOW, options=skip)
    ws = openpyxl.load_workbook(tmp_path / "schedule.xlsx")["Sign-in"]
    titles = [str(r[0]) for r in rows(ws) if str(r[0]).startswith("Sign-in")]
    groups = [s.code for s in schedule.sessions if s.session_type == "GT"]
    assert titles == [f"Sign-in sheet — {code}" for code in groups]


def test_long_reasons_wrap_within_the_page(tmp_path: Path) -> None:
    clinic, schedule = sample()
    slots = ", ".join(f"S3-WED-{h}00" for h in range(10, 22))
    reason = f"Individual counseling with their primary therapist fits only {slots}"
    schedule = replace(schedule, unplaced=(Unplaced("P5", reason),))
    publish(clinic, schedule, tmp_path, now=NOW)
    ws = openpyxl.load_workbook(tmp_path / "schedule.xlsx")["Unplaced"]
    assert sum(d.width for d in ws.column_dimensions.values()) <= PAGE_WIDTH_UNITS
    assert ws.cell(2, 5).alignment.wrap_text
    width = ws.column_dimensions["E"].width
    assert ws.row_dimensions[2].height >= LINE_PT * wrapped_lines(reason, width) > LINE_PT


def test_an_empty_unplaced_sheet_says_so(tmp_path: Path) -> None:
    clinic, schedule = sample()
    publish(clinic, replace(schedule, unplaced=()), tmp_path, now=NOW)
    ws = openpyxl.load_workbook(tmp_path / "schedule.xlsx")["Unplaced"]
    assert rows(ws)[1][0] == "No one unplaced"


def test_unmet_locks_are_listed_on_the_unplaced_sheet(tmp_path: Path) -> None:
    clinic, schedule = sample()
    unmet = UnmetLock("LK9", "It cannot hold: 'P5' is not in treatment that day.")
    publish(clinic, replace(schedule, unmet_locks=(unmet,)), tmp_path, now=NOW)
    ws = openpyxl.load_workbook(tmp_path / "schedule.xlsx")["Unplaced"]
    assert rows(ws)[-1][0] == f"Lock LK9 not kept: {unmet.reason}"


def test_columns_narrow_to_fit_without_breaking_words() -> None:
    natural = {1: 12.0, 2: 80.0, 3: 40.0}
    got = fit_widths(natural, {1: 12.0, 2: 10.0, 3: 30.0}, 100)
    assert sum(got.values()) == 100 and got[1] == 12 and got[3] >= 30
    assert fit_widths(natural, {1: 12, 2: 80, 3: 40}, 100) == natural  # nothing may shrink
    assert wrapped_lines("short", 20) == 1
    assert wrapped_lines("one two three four five six", 10) >= 3
    assert wrapped_lines("a\nb", 20) == 2
    assert wrapped_lines("x" * 50, 12) >= 5  # a word wider than the column is broken
    assert text_units("MMMM") > text_units("iiii")


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


def test_grid_bands_share_pages_and_never_split(tmp_path: Path) -> None:
    rooms = tuple(room(f"R{i}", name=f"Group room {i}") for i in range(40))
    clinic = tiny_clinic(12, rooms=rooms)
    days = ("MON", "WED", "FRI")
    sessions = [
        Session(f"s{i}-{d}", f"GT-{d}-{i}", 0, f"{d}-EVE", "GT", f"R{i}", ("T1",), ("P1", "P2"))
        for i in range(len(rooms))
        for d in days
    ]
    schedule = sample_schedule(clinic, sessions=sessions)
    publish(clinic, replace(schedule, unplaced=()), tmp_path, now=NOW)
    ws = openpyxl.load_workbook(tmp_path / "schedule.xlsx")["By room"]
    headings = [r for r in range(2, ws.max_row + 1) if "week of" in str(ws.cell(r, 1).value)]
    assert len(headings) == len(rooms)  # one band per room, none for an empty room
    breaks = [b.id for b in ws.row_breaks.brk]
    assert 0 < len(breaks) < len(rooms) / 4  # several bands to a page
    assert all(b + 1 in headings for b in breaks)  # a band is never split
