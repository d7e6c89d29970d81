"""The clinic workbook: round trips, located input problems, the template."""

from __future__ import annotations

import datetime as dt
import re
import stat
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest
from factory import WEEK, family_type, room, tiny_clinic, window
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from sheets import set_cell, settings_row, where

from scheduler.domain import (
    Clinic,
    Closure,
    Commitment,
    CommitmentKind,
    FamilyCadence,
    Lock,
    Phase,
    Track,
    Weekday,
)
from scheduler.inputs.cells import (
    CellError,
    fmt_number,
    fmt_set,
    fmt_time,
    parse_float,
    parse_int,
    parse_set,
    parse_time,
)
from scheduler.inputs.spec import TABLE_BY_SHEET, TABLES
from scheduler.inputs.workbook import (
    TEMPLATE_VERSION,
    InputError,
    LocatedProblem,
    input_hash,
    read_clinic,
    write_csv_folder,
    write_template,
    write_workbook,
)

FORMULA = '=HYPERLINK("http://x","y")'


def full_clinic() -> Clinic:
    """The tiny clinic with every optional table filled in."""
    base = tiny_clinic()
    p1, p2, p3 = base.patients
    p1 = replace(
        p1,
        commitments=(
            Commitment(CommitmentKind.WORK, window(Weekday.MON, "09:00", "17:00")),
            Commitment(CommitmentKind.CHILDCARE, window(Weekday.SAT, "07:30", "24:00")),
        ),
        family_cadence=FamilyCadence.BIWEEKLY,
        family_availability=(window(Weekday.TUE, "17:00", "20:00"),),
        hours_target=10.5,
        telehealth_ok=True,
        calendar_consent=True,
    )
    p3 = replace(p3, track=Track.ADULT, phase=Phase.LATE)
    r1 = replace(base.rooms[0], availability=(window(Weekday.MON, "08:00", "22:00"),))
    tele = room("TELE", capacity=30, site="", virtual=True, features=frozenset({"video"}))
    gt = replace(
        base.session_types[0],
        phases=frozenset({Phase.EARLY}),
        cofacilitator_above=8,
        target_min=5,
    )
    return replace(
        base,
        session_types=(gt, base.session_types[1], family_type()),
        rooms=(r1, base.rooms[1], tele),
        patients=(p1, p2, p3),
        closures=(
            Closure(WEEK + dt.timedelta(days=2), note="Holiday"),
            Closure(WEEK, room="R1", block="MON-EVE", note="painting"),
            Closure(WEEK + dt.timedelta(days=4), therapist="T2"),
        ),
        locks=(
            Lock("L1", "MON-EVE", "GT", patient="P1"),
            Lock("L2", "WED-IND", "IND", patient="P2", therapist="T1", room="OFFICE"),
        ),
    )


def problems_of(path: Path) -> list[LocatedProblem]:
    with pytest.raises(InputError) as err:
        read_clinic(path)
    assert err.value.problems
    return err.value.problems


@pytest.fixture
def book(tmp_path: Path) -> Path:
    path = tmp_path / "clinic.xlsx"
    write_workbook(full_clinic(), path)
    return path


# --------------------------------------------------------------------------------------
# Round trips.


def test_workbook_round_trip(book: Path) -> None:
    assert read_clinic(book) == full_clinic()


def test_csv_folder_round_trip(tmp_path: Path) -> None:
    write_csv_folder(full_clinic(), tmp_path / "csv")
    assert sorted(p.name for p in (tmp_path / "csv").iterdir()) == sorted(
        f"{t.sheet}.csv" for t in TABLES
    )
    assert read_clinic(tmp_path / "csv") == full_clinic()


def test_formula_name_stays_a_string(tmp_path: Path) -> None:
    base = full_clinic()
    clinic = replace(base, patients=(replace(base.patients[0], name=FORMULA), *base.patients[1:]))
    path = tmp_path / "c.xlsx"
    write_workbook(clinic, path)
    assert read_clinic(path).patients[0].name == FORMULA
    cell = load_workbook(path)["Patients"]["B2"]
    assert cell.value == FORMULA and cell.data_type == "s"
    with zipfile.ZipFile(path) as z:
        assert not any(b"<f>" in z.read(n) for n in z.namelist() if n.startswith("xl/work"))
    write_csv_folder(clinic, tmp_path / "csv")
    assert read_clinic(tmp_path / "csv").patients[0].name == FORMULA


def test_control_characters_are_stripped(tmp_path: Path) -> None:
    base = full_clinic()
    clinic = replace(base, sites=(replace(base.sites[0], name="Main\x00 st\x07reet"),))
    write_workbook(clinic, tmp_path / "c.xlsx")
    assert read_clinic(tmp_path / "c.xlsx").sites[0].name == "Main street"


def test_written_files_are_owner_only(book: Path, tmp_path: Path) -> None:
    assert stat.S_IMODE(book.stat().st_mode) == 0o600
    write_csv_folder(full_clinic(), tmp_path / "csv")
    assert stat.S_IMODE((tmp_path / "csv" / "Patients.csv").stat().st_mode) == 0o600


def test_typed_excel_cells_are_read_as_text(book: Path) -> None:
    """Excel stores times, dates and numbers as such; they must parse all the same."""
    wb = load_workbook(book)
    blocks = wb["Blocks"]
    blocks["E2"] = dt.time(17, 0)  # start of MON-EVE as an Excel time
    blocks["E2"].number_format = "hh:mm"
    blocks["F2"] = dt.time(21, 0)
    blocks["F2"].number_format = "hh:mm"
    patients = wb["Patients"]
    patients["G2"] = dt.datetime(2026, 11, 23)  # admission as an Excel date
    patients["G2"].number_format = "yyyy-mm-dd"
    patients["J2"] = 12  # hours_target as a number
    sites = wb["Sites"]
    sites["B2"] = 9.0  # a site name typed as a number reads "9"
    wb.save(book)
    clinic = read_clinic(book)
    mon = clinic.block_by_id["MON-EVE"].window
    assert (mon.start, mon.end) == (17 * 60, 21 * 60)
    assert clinic.patients[0].admission == dt.date(2026, 11, 23)
    assert clinic.patients[0].hours_target == 12
    assert clinic.sites[0].name == "9"


def test_ids_keep_leading_zeros_and_numbers_read_whole(book: Path) -> None:
    set_cell(book, "Locks", 2, "lock_id", "007")
    set_cell(book, "Locks", 3, "lock_id", 9.0)
    clinic = read_clinic(book)
    assert [lk.id for lk in clinic.locks] == ["007", "9"]


def test_flags_accept_common_spellings(book: Path) -> None:
    set_cell(book, "Patients", 2, "telehealth_ok", "No")
    set_cell(book, "Patients", 3, "telehealth_ok", "TRUE")
    set_cell(book, "Patients", 4, "telehealth_ok", "y")
    assert [p.telehealth_ok for p in read_clinic(book).patients] == [False, True, True]


def test_24_00_is_an_end_time(book: Path) -> None:
    set_cell(book, "Blocks", 2, "end", dt.datetime(1900, 1, 1))  # Excel's 24:00
    assert read_clinic(book).block_by_id["MON-EVE"].window.end == 24 * 60


# --------------------------------------------------------------------------------------
# Located problems.


def test_bad_date_is_located_and_explained(book: Path) -> None:
    set_cell(book, "Patients", 7 - 5, "admission", "2026-13-01")
    (problem,) = problems_of(book)
    assert str(problem) == (
        'Patients row 2, column admission: "2026-13-01" is not a date — write it as YYYY-MM-DD'
    )


def test_a_formula_without_a_saved_result_is_located(book: Path) -> None:
    # openpyxl, like any script, writes a formula without its result: read as values the
    # cell is empty, and an optional column would silently take its default.
    set_cell(book, "Rooms", 2, "capacity", "=10+2")
    set_cell(book, "Patients", 3, "telehealth_ok", '=IF(TRUE,"yes","no")')
    found = problems_of(book)
    assert where(found) == {("Rooms", 2, "capacity"), ("Patients", 3, "telehealth_ok")}
    assert str(found[0]) == (
        "Rooms row 2, column capacity: holds the formula =10+2 with no saved result — type "
        "the value itself, or open the workbook in Excel and save it so the formula's result "
        "is stored"
    )


def test_target_size_outside_the_size_limits_is_located(book: Path) -> None:
    set_cell(book, "SessionTypes", 2, "target_min", "13")
    (problem,) = problems_of(book)
    assert where([problem]) == {("SessionTypes", 2, "target_min")}
    assert "between min_size and max_size" in str(problem)


def test_blank_target_size_takes_the_default(book: Path) -> None:
    set_cell(book, "SessionTypes", 2, "target_min", None)
    gt = read_clinic(book).session_type_by_id["GT"]
    assert gt.target_min is None and gt.target_size == 4


def test_two_bad_values_in_one_column_are_both_reported(book: Path) -> None:
    set_cell(book, "Patients", 2, "discharge", "soon")
    set_cell(book, "Patients", 4, "discharge", "2026/12/31")
    found = where(problems_of(book))
    assert found == {("Patients", 2, "discharge"), ("Patients", 4, "discharge")}


def test_every_kind_of_cell_problem_at_once(book: Path) -> None:
    set_cell(book, "Blocks", 3, "weekday", "Funday")
    set_cell(book, "Blocks", 4, "start", "25:00")
    set_cell(book, "SessionTypes", 2, "kind", "yoga")
    set_cell(book, "SessionTypes", 3, "duration_min", "sixty")
    set_cell(book, "Therapists", 2, "max_hours_week", "lots")
    set_cell(book, "Patients", 3, "telehealth_ok", "maybe")
    set_cell(book, "Patients", 4, "name", None)
    problems = problems_of(book)
    assert where(problems) == {
        ("Blocks", 3, "weekday"),
        ("Blocks", 4, "start"),
        ("SessionTypes", 2, "kind"),
        ("SessionTypes", 3, "duration_min"),
        ("Therapists", 2, "max_hours_week"),
        ("Patients", 3, "telehealth_ok"),
        ("Patients", 4, "name"),
    }
    messages = {(p.sheet, p.row): p.message for p in problems}
    assert messages["Patients", 4] == "is empty"
    assert "not a weekday" in messages["Blocks", 3]


def test_block_ending_before_its_start(book: Path) -> None:
    # An end before the start is the next day; a block stays within its day.
    set_cell(book, "Blocks", 2, "end", "17:00")
    (problem,) = problems_of(book)
    assert (problem.sheet, problem.row, problem.column) == ("Blocks", 2, "end")
    assert "ends by 24:00" in problem.message and "split" in problem.fix


def test_record_check_maps_to_its_column(book: Path) -> None:
    set_cell(book, "Patients", 3, "discharge", "2020-01-01")
    (problem,) = problems_of(book)
    assert (problem.sheet, problem.row, problem.column) == ("Patients", 3, "discharge")


def test_duplicate_id(book: Path) -> None:
    set_cell(book, "Patients", 4, "patient_id", "P1")
    (problem,) = problems_of(book)
    assert (problem.sheet, problem.row, problem.column) == ("Patients", 4, "patient_id")
    assert "first on row 2" in problem.message


def test_unknown_references_are_located(book: Path) -> None:
    set_cell(book, "Patients", 3, "primary_therapist", "NOBODY")
    set_cell(book, "TherapistAvailability", 2, "therapist_id", "GHOST")
    set_cell(book, "Locks", 3, "room_id", "BROOM")
    assert where(problems_of(book)) == {
        ("Patients", 3, "primary_therapist"),
        ("TherapistAvailability", 2, "therapist_id"),
        ("Locks", 3, "room_id"),
    }


def test_clinic_level_problem_is_located(book: Path) -> None:
    """A cross-reference check of the domain (curriculum track not open) finds its row."""
    set_cell(book, "SessionTypes", 3, "tracks", "adolescent")  # IND, on Curriculum row 3
    (problem,) = problems_of(book)
    assert (problem.sheet, problem.row, problem.column) == ("Curriculum", 3, "track")


def test_a_bad_row_does_not_cascade_into_unknown_references(book: Path) -> None:
    set_cell(book, "Therapists", 2, "caseload_cap", "many")  # T1: primary of every patient
    assert where(problems_of(book)) == {("Therapists", 2, "caseload_cap")}


def test_settings_problems_are_all_reported(book: Path) -> None:
    week_start, weeks = settings_row(book, "week_start"), settings_row(book, "weeks")
    set_cell(book, "Clinic", week_start, "value", "2026-12-08")  # a Tuesday
    set_cell(book, "Clinic", weeks, "setting", "wekes")
    problems = problems_of(book)
    assert where(problems) == {("Clinic", week_start, "value"), ("Clinic", weeks, "setting")}
    assert any("Monday" in p.message for p in problems)


def test_missing_setting(book: Path) -> None:
    set_cell(book, "Clinic", settings_row(book, "timezone"), "setting", None)
    set_cell(book, "Clinic", settings_row(book, "name"), "value", None)
    found = where(problems_of(book))
    assert ("Clinic", None, "setting") in found  # timezone is missing
    assert ("Clinic", 2, "value") in found  # name is empty


def test_template_version_mismatch(book: Path) -> None:
    row = settings_row(book, "template_version")
    set_cell(book, "Clinic", row, "value", "0")
    (problem,) = problems_of(book)
    assert (problem.sheet, problem.row, problem.column) == ("Clinic", row, "value")
    assert '"0"' in problem.message and f'"{TEMPLATE_VERSION}"' in problem.message


def test_not_a_workbook(tmp_path: Path) -> None:
    path = tmp_path / "clinic.xlsx"
    path.write_text("name,site\n")
    (problem,) = problems_of(path)
    assert problem.sheet == "clinic.xlsx" and "not an Excel workbook" in problem.message


def test_missing_file_and_single_csv(tmp_path: Path) -> None:
    (problem,) = problems_of(tmp_path / "nothing.xlsx")
    assert "no such file" in problem.message
    (tmp_path / "Sites.csv").write_text("site_id,name\n")
    (problem,) = problems_of(tmp_path / "Sites.csv")
    assert "folder" in problem.fix


def test_missing_sheet(book: Path) -> None:
    wb = load_workbook(book)
    del wb["Rooms"]
    wb.save(book)
    (problem,) = problems_of(book)  # the closure and lock naming rooms do not pile on
    assert (problem.sheet, problem.row, problem.column) == ("Rooms", None, None)
    assert "missing" in problem.message


def test_missing_column(book: Path) -> None:
    wb = load_workbook(book)
    wb["Patients"].delete_cols(7)  # admission
    wb.save(book)
    (problem,) = problems_of(book)
    assert (problem.sheet, problem.row, problem.column) == ("Patients", 1, "admission")


def _rename_header(book: Path, sheet: str, old: str, new: str) -> None:
    wb = load_workbook(book)
    ws = wb[sheet]
    (cell,) = [c for c in ws[1] if c.value == old]
    cell.value = new
    wb.save(book)


def test_misspelled_optional_column_is_reported_not_defaulted(book: Path) -> None:
    # Read as blank, "telehealth_ok" would silently become "no" for every patient.
    _rename_header(book, "Patients", "telehealth_ok", "Telehealth")
    (problem,) = problems_of(book)
    assert (problem.sheet, problem.row, problem.column) == ("Patients", 1, "telehealth")
    assert "telehealth_ok" in problem.fix


def test_extra_notes_column_is_left_alone(book: Path) -> None:
    wb = load_workbook(book)
    ws = wb["Patients"]
    ws.cell(row=1, column=ws.max_column + 1, value="Notes")
    ws.cell(row=2, column=ws.max_column, value="prefers mornings, ask again in May")
    wb.save(book)
    assert read_clinic(book) == full_clinic()  # no InputError


def test_csv_problems_are_located(tmp_path: Path) -> None:
    folder = tmp_path / "csv"
    write_csv_folder(full_clinic(), folder)
    text = (folder / "Patients.csv").read_text().splitlines()
    text[2] = text[2].replace(",adult,", ",grownup,")
    (folder / "Patients.csv").write_text("\n".join(text) + "\n")
    (folder / "Locks.csv").unlink()
    assert where(problems_of(folder)) == {("Patients", 3, "track"), ("Locks", None, None)}


# --------------------------------------------------------------------------------------
# The template.


def test_template_reads_back_as_an_empty_valid_clinic(tmp_path: Path) -> None:
    path = tmp_path / "template.xlsx"
    write_template(path)
    clinic = read_clinic(path)
    assert [s.id for s in clinic.sites] == ["MAIN"]
    assert clinic.settings.week_start.weekday() == 0
    for table in (clinic.blocks, clinic.session_types, clinic.curriculum, clinic.therapists):
        assert table == ()
    assert clinic.rooms == clinic.patients == clinic.closures == clinic.locks == ()


def test_template_has_instructions_and_dropdowns(tmp_path: Path) -> None:
    path = tmp_path / "template.xlsx"
    write_template(path)
    wb = load_workbook(path)
    assert wb.sheetnames == ["Instructions", *(t.sheet for t in TABLES)]
    instructions = " ".join(str(c.value) for row in wb["Instructions"].iter_rows() for c in row)
    assert "validate" in instructions and "EXAMPLE" not in instructions
    for table in TABLES:
        ws = wb[table.sheet]
        assert [c.value for c in ws[1]] == list(table.names)
        lists = {
            str(dv.sqref).split(":")[0]: dv.formula1
            for dv in ws.data_validations.dataValidation
            if dv.type == "list"
        }
        for i, col in enumerate(table.columns):
            if col.choices:
                letter = ws.cell(row=1, column=i + 1).column_letter
                assert f"{letter}2" in lists, (table.sheet, col.name)
                assert col.choices[0] in lists[f"{letter}2"]
    track = wb["Patients"].data_validations.dataValidation
    assert any(dv.formula1 == '"adult,adolescent"' for dv in track)


# --------------------------------------------------------------------------------------
# Input hash.


def test_input_hash_follows_the_content(tmp_path: Path, book: Path) -> None:
    folder = tmp_path / "csv"
    write_csv_folder(full_clinic(), folder)
    before = input_hash(folder)
    assert before == input_hash(folder) and len(before) == 64
    (folder / "Sites.csv").write_text("site_id,name\nMAIN,Elm street\n")
    assert input_hash(folder) != before
    first = input_hash(book)
    set_cell(book, "Sites", 2, "name", "Elm street")
    assert input_hash(book) != first


# --------------------------------------------------------------------------------------
# Cell parsers against their formatters.


@given(st.integers(min_value=0, max_value=24 * 60))
def test_times_read_back(minute: int) -> None:
    assert parse_time(fmt_time(minute)) == minute


@given(st.floats(min_value=0, max_value=168, allow_nan=False) | st.integers(0, 168))
def test_numbers_read_back(value: float) -> None:
    assert parse_float(fmt_number(value)) == value


@given(st.frozensets(st.sampled_from(["LCSW", "LPC", "LMFT", "CADC", "DBT skills"])))
def test_lists_read_back(values: frozenset[str]) -> None:
    assert parse_set(fmt_set(values)) == values


@pytest.mark.parametrize("text", ["24:01", "9", "09:60", "9am", "-1:00"])
def test_times_refused(text: str) -> None:
    with pytest.raises(CellError):
        parse_time(text)


@pytest.mark.parametrize("text", ["9.5", "nine", "inf", ""])
def test_whole_numbers_refused(text: str) -> None:
    with pytest.raises(CellError):
        parse_int(text)


def test_int_accepts_a_float_that_is_whole() -> None:
    assert parse_int("12.0") == 12


# --------------------------------------------------------------------------------------
# Cells that are not what they seem, and files that cannot be read.


def test_a_date_typed_as_a_whole_serial_number_is_read(book: Path) -> None:
    # openpyxl reads a whole number as int; Excel's serial 46356 is 2026-11-30.
    set_cell(book, "Patients", 2, "admission", 46356)
    clinic = read_clinic(book)
    assert clinic.patients[0].admission == dt.date(2026, 11, 30)


def test_an_excel_error_cell_is_not_a_value(book: Path) -> None:
    set_cell(book, "Patients", 2, "name", "#N/A")  # openpyxl stores it as an error cell
    set_cell(book, "Patients", 3, "hours_target", "#DIV/0!")
    found = problems_of(book)
    assert where(found) == {("Patients", 2, "name"), ("Patients", 3, "hours_target")}
    assert str(found[0]) == (
        "Patients row 2, column name: holds the Excel error #N/A, not a value — type the "
        "value itself, or correct the formula that gives the error"
    )


def test_an_excel_error_in_a_csv_file_is_not_a_value(tmp_path: Path) -> None:
    folder = tmp_path / "clinic"
    write_csv_folder(full_clinic(), folder)
    path = folder / "Patients.csv"
    lines = path.read_text().splitlines()
    header = lines[0].split(",")
    cells = lines[1].split(",")
    cells[header.index("name")] = "#N/A"
    path.write_text("\n".join([lines[0], ",".join(cells), *lines[2:]]) + "\n")
    assert where(problems_of(folder)) == {("Patients", 2, "name")}


def test_ids_that_differ_only_in_case_are_refused(book: Path) -> None:
    # therapist-T1.ics and therapist-t1.ics are one file on Windows and macOS.
    set_cell(book, "Patients", 4, "patient_id", "p1")
    (problem,) = problems_of(book)
    assert str(problem) == (
        'Patients row 4, column patient_id: ID "p1" differs from "P1" (row 2) only in upper '
        "and lower case — give every row its own ID, not just a different case"
    )


def test_an_id_too_long_for_a_file_name_is_refused(book: Path) -> None:
    set_cell(book, "Patients", 4, "patient_id", "P" * 300)
    (problem,) = problems_of(book)
    assert (problem.sheet, problem.row, problem.column) == ("Patients", 4, "patient_id")
    assert problem.message == f'"{"P" * 20}…" is 300 characters long'
    assert problem.fix == "use a short ID of at most 64 characters"


def test_a_password_protected_workbook_is_explained(tmp_path: Path) -> None:
    # An encrypted workbook is an OLE compound file holding an EncryptionInfo stream.
    path = tmp_path / "clinic.xlsx"
    ole = bytes.fromhex("D0CF11E0A1B11AE1") + bytes(1000)
    path.write_bytes(ole + "EncryptionInfo".encode("utf-16-le") + bytes(1000))
    (problem,) = problems_of(path)
    assert str(problem) == (
        "clinic.xlsx: is protected with a password, so it cannot be read — open it in "
        "Excel, remove the password (File > Info > Protect Workbook > Encrypt with Password, "
        "clear the box), save, and try again"
    )
    path.write_bytes(ole + bytes(1000))
    (problem,) = problems_of(path)
    assert problem.message == "is an old Excel 97-2003 (.xls) workbook"


def _sheet_xml_with(book: Path, text: str) -> str:
    with zipfile.ZipFile(book) as z:
        return next(
            n for n in z.namelist() if n.startswith("xl/worksheets/") and text.encode() in z.read(n)
        )


def _insert_after(book: Path, text: str, insert: bytes) -> None:
    """Rewrite the workbook with ``insert`` put into the sheet XML right after ``text``."""
    member = _sheet_xml_with(book, text)
    with zipfile.ZipFile(book) as z:
        contents = {n: z.read(n) for n in z.namelist()}
    contents[member] = contents[member].replace(text.encode(), text.encode() + insert, 1)
    with zipfile.ZipFile(book, "w") as z:
        for name, data in contents.items():
            z.writestr(name, data)


def test_a_raw_control_byte_in_a_sheet_is_located(book: Path) -> None:
    # Excel never writes one; other programs do, and the sheet is then not valid XML.
    name = full_clinic().patients[1].name
    _insert_after(book, name, b"\x01")
    (problem,) = problems_of(book)
    assert str(problem) == (
        "Patients row 3, column name: cannot be read — retype this cell's text in Excel (it "
        "holds an invisible control character) and save the workbook again"
    )


def test_a_control_byte_in_a_shared_text_is_located_at_its_cells(book: Path) -> None:
    # Shared texts are read before any sheet; the cells showing the broken one are found.
    _with_shared_strings(book)
    name = full_clinic().patients[1].name.encode()
    with zipfile.ZipFile(book) as z:
        contents = {n: z.read(n) for n in z.namelist()}
    contents["xl/sharedStrings.xml"] = contents["xl/sharedStrings.xml"].replace(
        name, name + b"\x01", 1
    )
    with zipfile.ZipFile(book, "w") as z:
        for member, data in contents.items():
            z.writestr(member, data)
    letter = get_column_letter(TABLE_BY_SHEET["Patients"].names.index("name") + 1)
    (problem,) = problems_of(book)
    assert str(problem) == (
        f"Patients row 3, column {letter}: cannot be read — retype this cell's text in Excel "
        "(it holds an invisible control character) and save the workbook again"
    )


def test_a_shared_text_problem_not_found_in_a_cell_is_reported(book: Path, monkeypatch) -> None:
    import xml.etree.ElementTree as ET

    import scheduler.inputs.workbook as wb

    def broken(*_a: object, **_k: object) -> None:
        raise ET.ParseError("not well-formed (invalid token): line 1, column 80")

    monkeypatch.setattr(wb, "load_workbook", broken)
    (problem,) = problems_of(book)
    assert problem.sheet == "clinic.xlsx" and "control character" in problem.message


def test_each_sheet_is_read_once(book: Path, monkeypatch) -> None:
    # Formula cells without a saved result are found in the same pass as the values.
    import scheduler.inputs.xlsx as wx

    set_cell(book, "Rooms", 2, "capacity", "=10+2")
    reads: list[object] = []
    real = wx.WorkSheetParser.parse

    def counted(self: object) -> object:
        reads.append(self)
        return real(self)  # type: ignore[arg-type]

    monkeypatch.setattr(wx.WorkSheetParser, "parse", counted)
    assert where(problems_of(book)) == {("Rooms", 2, "capacity")}
    assert len(reads) == len(TABLES)


def test_inline_texts_read_as_openpyxl_reads_them() -> None:
    # The fast inline-string path gives Text.content: plain part and runs, no phonetics.
    import io
    import xml.etree.ElementTree as ET

    from openpyxl.cell.text import Text

    import scheduler.inputs.xlsx as wx

    ns = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    xml = (
        f'<is xmlns="{ns}"><t xml:space="preserve"> Ann </t><r><rPr><b/></rPr><t>a</t></r>'
        "<rPh sb='0' eb='1'><t>x</t></rPh></is>"
    )
    inline = ET.parse(io.StringIO(xml)).getroot()
    assert wx._inline_text(inline) == Text.from_tree(inline).content == " Ann a"


def _with_shared_strings(book: Path) -> None:
    """Rewrite the workbook's inline texts as one shared-string table, as Excel and
    LibreOffice save a workbook (openpyxl writes inline texts)."""
    with zipfile.ZipFile(book) as z:
        contents = {n: z.read(n) for n in z.namelist()}
    strings: dict[bytes, int] = {}

    def share(match: re.Match[bytes]) -> bytes:
        index = strings.setdefault(match.group(2), len(strings))
        return b'<c%s t="s"><v>%d</v></c>' % (match.group(1), index)

    inline = re.compile(rb'<c([^>]*?) t="inlineStr"><is><t(?: [^>]*)?>(.*?)</t></is></c>')
    for name in [n for n in contents if n.startswith("xl/worksheets/")]:
        contents[name] = inline.sub(share, contents[name])
    ns = b"http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    items = b"".join(b'<si><t xml:space="preserve">%s</t></si>' % t for t in strings)
    contents["xl/sharedStrings.xml"] = b'<sst xmlns="%s">%s</sst>' % (ns, items)
    kind = b"application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
    override = b'<Override PartName="/xl/sharedStrings.xml" ContentType="%s"/>' % kind
    types = contents["[Content_Types].xml"]
    contents["[Content_Types].xml"] = types.replace(b"</Types>", override + b"</Types>")
    with zipfile.ZipFile(book, "w") as z:
        for name, data in contents.items():
            z.writestr(name, data)


def test_a_workbook_with_shared_strings_reads_the_same(book: Path) -> None:
    _with_shared_strings(book)
    name = full_clinic().patients[0].name.encode()
    with zipfile.ZipFile(book) as z:
        sheets = [z.read(n) for n in z.namelist() if n.startswith("xl/worksheets/")]
        assert name in z.read("xl/sharedStrings.xml")
    assert not any(name in sheet for sheet in sheets)
    assert read_clinic(book) == full_clinic()


def test_a_control_byte_in_a_shared_string_workbook_is_located_by_header(book: Path) -> None:
    _with_shared_strings(book)
    reader = load_workbook(book, read_only=True)
    member = reader["Patients"]._worksheet_path.lstrip("/")  # type: ignore[attr-defined]
    reader.close()
    with zipfile.ZipFile(book) as z:
        contents = {n: z.read(n) for n in z.namelist()}
    # The patient_id cell of row 3 (column A), now a shared-string index.
    cell = re.compile(rb'<c r="A3"[^>]*><v>')
    contents[member] = cell.sub(lambda m: m.group(0) + b"\x01", contents[member], count=1)
    with zipfile.ZipFile(book, "w") as z:
        for name, data in contents.items():
            z.writestr(name, data)
    (problem,) = problems_of(book)
    assert (problem.sheet, problem.row, problem.column) == ("Patients", 3, "patient_id")
