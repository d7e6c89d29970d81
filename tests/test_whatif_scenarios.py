"""Scenarios: the sheet read with located errors, and each change kind doing what it says
to the baseline clinic (a pure function: the baseline is never touched)."""

from __future__ import annotations

import csv
from dataclasses import replace
from pathlib import Path

import pytest
from openpyxl import Workbook

from scheduler.domain import BlockKind, Lock, Weekday, Window
from scheduler.inputs.errors import InputError
from scheduler.whatif.changes import Change, ChangeKind, Scenario
from scheduler.whatif.scenarios import apply_all, apply_scenario
from scheduler.whatif.sheet import SCENARIOS, parse_scenarios, read_scenarios, scenario_rows
from tests.factory import hm, tiny_clinic

HEADER = SCENARIOS.names


def rows(*records: dict[str, str]) -> list[tuple[object, ...]]:
    return [HEADER, *(tuple(r.get(n, "") for n in HEADER) for r in records)]


def one(kind: ChangeKind, **fields: object) -> Scenario:
    return Scenario("s", (Change(row=2, kind=kind, **fields),))  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------
# The sheet.


def test_rows_sharing_a_name_form_one_scenario_in_row_order() -> None:
    scenarios, problems = parse_scenarios(
        rows(
            {"scenario": "Evening", "change": "add_therapist", "target": "T1", "new_id": "T9",
             "weekday": "Mon;Wed", "start": "17:00", "end": "21:00", "hours": "12"},
            {"scenario": "No room", "change": "close_room", "target": "R1"},
            {"scenario": "Evening", "change": "staff_hours", "target": "T9", "hours": "8"},
        )
    )  # fmt: skip
    assert problems == []
    assert [s.name for s in scenarios] == ["Evening", "No room"]
    evening = scenarios[0].changes
    assert [c.kind for c in evening] == [ChangeKind.ADD_THERAPIST, ChangeKind.STAFF_HOURS]
    assert [c.row for c in evening] == [2, 4]
    assert evening[0].weekdays == (Weekday.MON, Weekday.WED)
    assert (evening[0].start, evening[0].end, evening[0].hours) == (hm("17:00"), hm("21:00"), 12)


def test_bad_cells_are_each_located_with_a_fix() -> None:
    _, problems = parse_scenarios(
        rows(
            {"scenario": "A", "change": "hire_someone", "target": "T1"},
            {"scenario": "B", "change": "add_room", "target": "R1"},  # no new_id
            {"scenario": "C", "change": "close_room", "target": "R1", "hours": "3"},
            {"scenario": "D", "change": "staff_hours", "target": "T1", "hours": "lots"},
            {"scenario": "baseline", "change": "close_room", "target": "R1"},
            {"scenario": "E", "change": "session_type_sizes", "target": "GT"},
        )
    )
    where = {(p.row, p.column) for p in problems}
    assert (2, "change") in where
    assert (3, "new_id") in where
    assert (4, "hours") in where  # a cell the change would silently ignore
    assert (5, "hours") in where
    assert (6, "scenario") in where
    assert (7, "min_size") in where  # changes nothing
    assert all(p.sheet == "Scenarios" and p.fix for p in problems)


def test_a_missing_column_is_reported_in_row_1() -> None:
    _, problems = parse_scenarios([("scenario", "target"), ("A", "T1")])
    assert [(p.row, p.column) for p in problems] == [(1, "change")]


def test_no_scenarios_is_a_problem(tmp_path: Path) -> None:
    folder = tmp_path / "clinic"
    folder.mkdir()
    scenarios, problems = read_scenarios(folder)
    assert scenarios == [] and problems and problems[0].sheet == "Scenarios"


def test_read_from_workbook_sheet_and_csv_alike(tmp_path: Path) -> None:
    record = {"scenario": "A", "change": "close_block", "target": "MON-EVE"}
    book = Workbook()
    sheet = book.create_sheet("Scenarios")
    for line in rows(record):
        sheet.append(list(line))
    book.save(tmp_path / "c.xlsx")
    with (tmp_path / "Scenarios.csv").open("w", newline="") as handle:
        csv.writer(handle).writerows(rows(record))
    from_book, p1 = read_scenarios(tmp_path / "c.xlsx")
    from_folder, p2 = read_scenarios(tmp_path)
    assert p1 == p2 == []
    assert from_book == from_folder
    assert from_book[0].changes[0].target == "MON-EVE"


def test_rows_written_read_back_equal() -> None:
    scenarios, _ = parse_scenarios(
        rows(
            {"scenario": "A", "change": "open_block", "new_id": "SAT-AM", "weekday": "Sat",
             "start": "09:00", "end": "12:00", "block_kind": "group"},
            {"scenario": "A", "change": "add_therapist", "target": "T1", "new_id": "T9",
             "credentials": "LCSW;LPC", "hours": "12.5"},
        )
    )  # fmt: skip
    again, problems = parse_scenarios(rows(*scenario_rows(scenarios)))
    assert problems == [] and again == scenarios


# --------------------------------------------------------------------------------------
# Each change kind.


def test_add_therapist_copies_with_new_id_hours_and_time() -> None:
    clinic = tiny_clinic()
    changed = apply_scenario(
        clinic,
        one(ChangeKind.ADD_THERAPIST, target="T1", new_id="T9", hours=6.0,
            weekdays=(Weekday.TUE,), start=hm("17:00"), end=hm("21:00"),
            credentials=frozenset({"LPC"})),
    )  # fmt: skip
    added = changed.therapist_by_id["T9"]
    t1 = clinic.therapist_by_id["T1"]
    assert added.credentials == {"LPC"} and added.modalities == t1.modalities
    assert added.max_hours_week == 6 and added.max_hours_day == 6
    assert added.availability == (Window(Weekday.TUE, hm("17:00"), hm("21:00")),)
    assert len(changed.therapists) == len(clinic.therapists) + 1
    assert "T9" not in clinic.therapist_by_id  # the baseline is untouched


def test_remove_therapist_hands_patients_on_and_drops_locks() -> None:
    clinic = tiny_clinic()
    clinic = replace(clinic, locks=(Lock("L1", "MON-EVE", "GT", therapist="T1"),))
    changed = apply_scenario(clinic, one(ChangeKind.REMOVE_THERAPIST, target="T1"))
    assert "T1" not in changed.therapist_by_id
    assert {p.primary_therapist for p in changed.patients} == {"T2"}
    assert changed.locks == ()


def test_rooms_added_and_closed() -> None:
    clinic = tiny_clinic()
    added = apply_scenario(clinic, one(ChangeKind.ADD_ROOM, target="R1", new_id="R2", capacity=6))
    assert added.room_by_id["R2"].capacity == 6
    closed = apply_scenario(clinic, one(ChangeKind.CLOSE_ROOM, target="R1"))
    assert "R1" not in closed.room_by_id and "OFFICE" in closed.room_by_id


def test_blocks_opened_and_closed() -> None:
    clinic = tiny_clinic()
    opened = apply_scenario(
        clinic,
        one(ChangeKind.OPEN_BLOCK, new_id="SAT-AM", weekdays=(Weekday.SAT,),
            start=hm("09:00"), end=hm("12:00")),
    )  # fmt: skip
    block = opened.block_by_id["SAT-AM"]
    assert block.kind is BlockKind.GROUP and block.window == Window(Weekday.SAT, 540, 720)
    closed = apply_scenario(clinic, one(ChangeKind.CLOSE_BLOCK, target="MON-EVE"))
    assert "MON-EVE" not in closed.block_by_id
    assert len(closed.blocks) == len(clinic.blocks) - 1


def test_session_type_sizes_and_staff_hours() -> None:
    clinic = tiny_clinic()
    sized = apply_scenario(
        clinic, one(ChangeKind.SESSION_TYPE_SIZES, target="GT", max_size=4, target_size=3)
    )
    gt = sized.session_type_by_id["GT"]
    assert (gt.max_size, gt.target_min) == (4, 3)
    assert gt.min_size == clinic.session_type_by_id["GT"].min_size
    hours = apply_scenario(
        clinic,
        one(ChangeKind.STAFF_HOURS, target="T2", hours=5.0, weekdays=(Weekday.SUN,),
            start=hm("10:00"), end=hm("14:00")),
    )  # fmt: skip
    t2 = hours.therapist_by_id["T2"]
    assert t2.max_hours_week == 5 and t2.max_hours_day == 5
    assert t2.availability[-1] == Window(Weekday.SUN, 600, 840)
    assert len(t2.availability) == len(clinic.therapist_by_id["T2"].availability) + 1


def test_unknown_names_get_located_errors() -> None:
    clinic = tiny_clinic()
    scenarios = [
        Scenario("A", (Change(row=2, kind=ChangeKind.REMOVE_THERAPIST, target="T7"),)),
        Scenario("B", (Change(row=3, kind=ChangeKind.CLOSE_ROOM, target="R9"),)),
        Scenario("C", (Change(row=4, kind=ChangeKind.ADD_ROOM, target="R1", new_id="OFFICE"),)),
        Scenario("D", (Change(row=5, kind=ChangeKind.SESSION_TYPE_SIZES, target="GT",
                              min_size=9, max_size=3),)),
    ]  # fmt: skip
    changed, problems = apply_all(clinic, scenarios)
    assert changed == {}
    where = [(p.sheet, p.row, p.column) for p in problems]
    assert where == [
        ("Scenarios", 2, "target"),
        ("Scenarios", 3, "target"),
        ("Scenarios", 4, "new_id"),
        ("Scenarios", 5, "max_size"),
    ]
    assert "T1" in problems[0].fix  # the fix lists the IDs there are


def test_a_change_that_breaks_the_clinic_is_refused() -> None:
    # Closing every group block leaves the group type with no block to run in.
    clinic = tiny_clinic()
    changes = tuple(
        Change(row=2 + i, kind=ChangeKind.CLOSE_BLOCK, target=b.id)
        for i, b in enumerate(b for b in clinic.blocks if b.kind is BlockKind.GROUP)
    )
    with pytest.raises(InputError) as caught:
        apply_scenario(clinic, Scenario("No groups", changes))
    assert caught.value.problems[0].sheet == "Scenarios"
    assert "No groups" in caught.value.problems[0].message


def test_add_admissions_adds_count_a_week_deterministically() -> None:
    clinic = tiny_clinic()
    scenario = one(ChangeKind.ADD_ADMISSIONS, count=2)
    changed = apply_scenario(clinic, scenario, seed=3)
    added = [p for p in changed.patients if p.id not in clinic.patient_by_id]
    assert len(added) == 2 * clinic.settings.weeks
    assert apply_scenario(clinic, scenario, seed=3) == changed
    # A seed on the row wins over the command's.
    own = one(ChangeKind.ADD_ADMISSIONS, count=2, seed=3)
    assert apply_scenario(clinic, own, seed=99) == changed


# --------------------------------------------------------------------------------------
# The sample clinic's scenarios.


def test_the_sample_ships_its_scenarios_in_both_twins() -> None:
    from scheduler.generator import sample_clinic
    from scheduler.generator.scenarios import sample_scenarios
    from scheduler.inputs.workbook import read_clinic

    data = Path(__file__).resolve().parent.parent / "data"
    clinic = sample_clinic()
    from_book, p1 = read_scenarios(data / "sample_clinic.xlsx")
    from_folder, p2 = read_scenarios(data / "sample_clinic")
    assert p1 == p2 == []
    assert from_book == from_folder == sample_scenarios(clinic)
    assert len(from_book) >= 6
    kinds = {c.kind for s in from_book for c in s.changes}
    assert {ChangeKind.ADD_THERAPIST, ChangeKind.CLOSE_ROOM, ChangeKind.OPEN_BLOCK} <= kinds
    # Every one applies cleanly, and the clinic readers pass over the sheet.
    changed, problems = apply_all(clinic, from_book)
    assert problems == [] and len(changed) == len(from_book)
    assert read_clinic(data / "sample_clinic.xlsx") == clinic


def test_smaller_groups_drop_a_cofacilitator_they_never_reach() -> None:
    from tests.factory import group_type, individual_type

    types = (group_type("GT", cofacilitator_above=8), individual_type())
    clinic = tiny_clinic(session_types=types)
    sized = apply_scenario(clinic, one(ChangeKind.SESSION_TYPE_SIZES, target="GT", max_size=8))
    gt = sized.session_type_by_id["GT"]
    assert gt.max_size == 8 and gt.cofacilitator_above is None


def test_part_of_a_working_time_is_refused() -> None:
    _, problems = parse_scenarios(
        rows({"scenario": "A", "change": "staff_hours", "target": "T1", "weekday": "Sat"})
    )
    assert [(p.row, p.column) for p in problems] == [(2, "start")]


# --------------------------------------------------------------------------------------
# A given list of new patients.


def _referrals(tmp_path: Path, *patients: object) -> Path:
    from scheduler.inputs.workbook import write_csv_folder

    folder = tmp_path / "referrals"
    write_csv_folder(tiny_clinic(0, patients=patients), folder)
    for extra in folder.glob("*.csv"):  # only the patient sheets are read: keep only them
        if extra.stem not in ("Patients", "PatientCommitments", "FamilyAvailability"):
            extra.unlink()
    return folder


def test_add_admissions_from_a_patients_file(tmp_path: Path) -> None:
    from scheduler.whatif.referrals import load_referrals
    from tests.factory import patient

    _referrals(tmp_path, patient("N1"), patient("N2", primary="T2"))
    clinic = tiny_clinic()
    scenarios, problems = parse_scenarios(
        rows({"scenario": "Referrals", "change": "add_admissions", "patients_file": "referrals"})
    )
    assert problems == []
    referrals, problems = load_referrals(scenarios, tmp_path, clinic)
    assert problems == []
    changed, problems = apply_all(clinic, scenarios, referrals=referrals)
    assert problems == []
    added = changed["Referrals"].patients[len(clinic.patients) :]
    assert [(p.id, p.primary_therapist) for p in added] == [("N1", "T1"), ("N2", "T2")]


def test_a_patients_file_is_checked_against_the_clinic(tmp_path: Path) -> None:
    from scheduler.whatif.referrals import read_referrals
    from tests.factory import patient

    folder = _referrals(tmp_path, patient("N1"))
    sheet = folder / "Patients.csv"
    sheet.write_text(sheet.read_text().replace(",T1,", ",T7,"))  # no such therapist
    listed, problems = read_referrals(folder, tiny_clinic())
    assert listed == ()
    assert [(p.sheet, p.row, p.column) for p in problems] == [
        ("referrals: Patients", 2, "primary_therapist")
    ]
    taken = _referrals(tmp_path / "again", patient("P1"))  # P1 is the clinic's own
    listed, problems = read_referrals(taken, tiny_clinic())
    assert listed == () and problems and "P1" in problems[0].message
