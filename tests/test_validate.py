"""Planning checks: each rule on a broken workbook, located to sheet, row and column."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path

import pytest
from factory import WEEK, patient, room, therapist, tiny_clinic, window
from sheets import add_row, set_cell, settings_row, where
from solved import solved

from scheduler.domain import Closure, Commitment, CommitmentKind, Problem, Site, Weekday
from scheduler.inputs.errors import LocatedProblem
from scheduler.inputs.validate import (
    format_problems,
    group_seats_needed,
    group_seats_offered,
    planning_problems,
    summary,
    validate_path,
)
from scheduler.inputs.workbook import read_clinic_located, write_csv_folder, write_workbook


def problems(path: Path) -> list[LocatedProblem]:
    clinic, found = validate_path(path)
    assert clinic is not None, format_problems(found)
    return found


@pytest.fixture
def book(tmp_path: Path) -> Path:
    """The tiny clinic: P1..P3 on Patients rows 2-4, T1/T2 on Therapists rows 2-3,
    GT/IND on SessionTypes rows 2-3 and Curriculum rows 2-3, R1/OFFICE on Rooms rows 2-3."""
    path = tmp_path / "clinic.xlsx"
    write_workbook(tiny_clinic(), path)
    return path


def test_a_good_clinic_has_no_planning_problems(book: Path) -> None:
    clinic, found = validate_path(book)
    assert clinic == tiny_clinic()
    assert found == []
    assert planning_problems(tiny_clinic()) == []


def test_unreadable_input_gives_no_clinic(book: Path) -> None:
    set_cell(book, "Patients", 2, "admission", "2026-13-01")
    clinic, found = validate_path(book)
    assert clinic is None
    assert where(found) == {("Patients", 2, "admission")}


def test_commitments_leave_too_few_group_blocks(book: Path) -> None:
    # Work until 17:45 on Monday: with the 30-minute buffer the 18:00 group is out.
    add_row(
        book,
        "PatientCommitments",
        {"patient_id": "P2", "kind": "work", "weekday": "Mon", "start": "09:00", "end": "17:45"},
    )
    (problem,) = problems(book)
    assert (problem.sheet, problem.row, problem.column) == ("Patients", 3, None)
    assert "only 2 bookable group block(s) on 2 day(s)" in problem.message
    assert "needs 3 group sessions" in problem.message


def test_commitment_outside_the_buffer_is_fine(book: Path) -> None:
    add_row(
        book,
        "PatientCommitments",
        {"patient_id": "P2", "kind": "work", "weekday": "Mon", "start": "09:00", "end": "17:30"},
    )
    assert problems(book) == []


def test_curriculum_type_nobody_may_lead(book: Path) -> None:
    set_cell(book, "SessionTypes", 2, "credentials", "LMHC")
    (problem,) = problems(book)
    assert (problem.sheet, problem.row, problem.column) == ("Curriculum", 2, "session_type_id")
    assert "LMHC" in problem.message


def test_curriculum_type_needing_a_modality_nobody_practises(book: Path) -> None:
    set_cell(book, "SessionTypes", 2, "modality", "DBT")
    assert where(problems(book)) == {("Curriculum", 2, "session_type_id")}


def test_group_larger_than_every_room(book: Path) -> None:
    set_cell(book, "SessionTypes", 2, "min_size", "11")
    set_cell(book, "Rooms", 2, "capacity", "10")
    (problem,) = problems(book)
    assert (problem.sheet, problem.row, problem.column) == ("SessionTypes", 2, "min_size")
    assert "(10)" in problem.message


def test_a_virtual_room_holds_any_group(book: Path) -> None:
    set_cell(book, "SessionTypes", 2, "min_size", "11")
    set_cell(book, "Rooms", 2, "capacity", "10")
    add_row(book, "Rooms", {"room_id": "V", "name": "Video", "capacity": "1", "virtual": "yes"})
    assert problems(book) == []


def test_group_needing_a_feature_no_room_has(book: Path) -> None:
    set_cell(book, "SessionTypes", 2, "room_features", "accessible")
    assert where(problems(book)) == {("SessionTypes", 2, "room_features")}


def test_primary_therapist_at_another_site(book: Path) -> None:
    add_row(book, "Sites", {"site_id": "EAST", "name": "East"})
    set_cell(book, "Therapists", 2, "sites", "EAST")
    assert where(problems(book)) == {
        ("Patients", 2, "primary_therapist"),
        ("Patients", 3, "primary_therapist"),
        ("Patients", 4, "primary_therapist"),
    }


def test_primary_therapist_not_credentialed_for_individual(book: Path) -> None:
    set_cell(book, "Patients", 4, "primary_therapist", "T2")  # CADC
    set_cell(book, "SessionTypes", 3, "credentials", "LCSW")
    (problem,) = problems(book)
    assert (problem.sheet, problem.row, problem.column) == ("Patients", 4, "primary_therapist")
    assert "'IND'" in problem.message


def test_caseload_above_the_cap(book: Path) -> None:
    set_cell(book, "Therapists", 2, "caseload_cap", "2")
    (problem,) = problems(book)
    assert (problem.sheet, problem.row, problem.column) == ("Therapists", 2, "caseload_cap")


def test_clinic_caseload_ratio(book: Path) -> None:
    row = settings_row(book, "caseload_ratio_max")
    set_cell(book, "Clinic", row, "value", "1")
    (problem,) = problems(book)
    assert (problem.sheet, problem.row, problem.column) == ("Clinic", row, "value")


def test_therapist_with_no_availability(tmp_path: Path) -> None:
    folder = tmp_path / "csv"
    write_csv_folder(tiny_clinic(), folder)
    path = folder / "TherapistAvailability.csv"
    lines = path.read_text().splitlines()
    path.write_text("\n".join(line for line in lines if not line.startswith("T2,")) + "\n")
    assert where(problems(folder)) == {("Therapists", 3, "therapist_id")}


def test_family_therapy_without_a_session_type_or_family_hours(book: Path) -> None:
    set_cell(book, "Patients", 2, "family_cadence", "weekly")
    (problem,) = problems(book)
    assert (problem.sheet, problem.row, problem.column) == ("Patients", 2, "family_cadence")
    assert "no family session type" in problem.message
    add_row(
        book,
        "SessionTypes",
        {
            "session_type_id": "FAM",
            "name": "Family",
            "kind": "family",
            "block_kind": "slot",
            "duration_min": "60",
            "min_size": "1",
            "max_size": "1",
            "credentials": "LCSW",
        },
    )
    (problem,) = problems(book)
    assert (problem.row, problem.column) == (2, "family_cadence")
    assert "FamilyAvailability" in problem.message


def test_track_without_curriculum(book: Path) -> None:
    set_cell(book, "Patients", 3, "track", "adolescent")
    assert where(problems(book)) == {("Patients", 3, "track")}


def test_curriculum_above_the_weekly_maximum(book: Path) -> None:
    set_cell(book, "Clinic", settings_row(book, "adult_max_hours"), "value", "9")
    (problem,) = problems(book)
    assert (problem.sheet, problem.row, problem.column) == ("Curriculum", 2, "per_week")
    assert "10 hours" in problem.message


def test_lock_with_a_room_at_another_site(book: Path) -> None:
    add_row(book, "Sites", {"site_id": "EAST", "name": "East"})
    add_row(book, "Rooms", {"room_id": "R9", "name": "East 9", "site_id": "EAST", "capacity": "9"})
    add_row(
        book,
        "Locks",
        {"lock_id": "L1", "block_id": "MON-EVE", "session_type_id": "GT", "room_id": "R9"},
    )
    assert where(problems(book)) == {("Locks", 2, "room_id")}


def test_problems_of_several_checks_are_all_reported_in_sheet_order(book: Path) -> None:
    set_cell(book, "Therapists", 2, "caseload_cap", "2")
    set_cell(book, "Patients", 3, "track", "adolescent")
    set_cell(book, "SessionTypes", 2, "room_features", "accessible")
    found = problems(book)
    assert [(p.sheet, p.row) for p in found] == [
        ("SessionTypes", 2),
        ("Therapists", 2),
        ("Patients", 3),
    ]
    text = format_problems(found)
    assert text.splitlines()[0].startswith("SessionTypes row 2, column room_features: ")
    assert text.splitlines() == [str(p) for p in found]


def test_problem_without_a_known_row_keeps_its_key(book: Path) -> None:
    _, locator, _ = read_clinic_located(book)
    located = locator.locate(Problem("Patients", "P404", "name", "gone", "fix it"))
    assert (located.row, located.column) == (None, "name")
    assert located.message.startswith("P404")


# --------------------------------------------------------------------------------------
# Summary.


def test_summary_counts_and_seats() -> None:
    clinic = tiny_clinic()
    # 3 group blocks × (R1 12 seats + OFFICE 2 seats, two therapists to lead) = 42
    assert group_seats_offered(clinic) == 42
    assert group_seats_needed(clinic) == 9
    text = summary(clinic)
    assert "Patients in the plan: 3 (adult 3, adolescent 0)" in text
    assert "3 group blocks, 3 short slots" in text
    assert "42 offered, 9 needed" in text


def test_seats_follow_closures_staff_and_rooms() -> None:
    base = tiny_clinic()
    closed = replace(base, closures=(Closure(WEEK),))  # Monday closed
    assert group_seats_offered(closed) == 28
    one_leader = replace(base, therapists=base.therapists[:1])
    assert group_seats_offered(one_leader) == 36  # only R1 can be staffed
    video = replace(base, rooms=(room("V", capacity=1, site="", virtual=True),))
    assert group_seats_offered(video) == 36  # a virtual room seats a full group
    elsewhere = replace(
        base,
        sites=(*base.sites, Site("EAST", "East")),
        rooms=(room("R1", site="EAST"),),
    )
    assert group_seats_offered(elsewhere) == 0


def test_seats_needed_counts_patients_in_the_first_week() -> None:
    base = tiny_clinic()
    later = replace(
        base.patients[0],
        admission=WEEK + dt.timedelta(days=7),
        discharge=WEEK + dt.timedelta(days=40),
    )
    clinic = replace(base, patients=(later, *base.patients[1:]))
    assert group_seats_needed(clinic) == 6
    assert "Patients in the plan: 2" in summary(clinic)


# --------------------------------------------------------------------------------------
# Locks that the data alone shows cannot hold, each on its own row (issue 14, item 3).


def lock(book: Path, block: str = "MON-EVE", kind: str = "GT", **pinned: str) -> None:
    values = {"lock_id": f"L{block}{kind}", "block_id": block, "session_type_id": kind}
    add_row(book, "Locks", values | {f"{k}_id": v for k, v in pinned.items()})


def lock_problems(book: Path) -> list[LocatedProblem]:
    return [p for p in problems(book) if p.sheet == "Locks"]


def test_lock_on_a_patient_not_yet_admitted(book: Path) -> None:
    set_cell(book, "Patients", 2, "admission", "2026-12-09")  # P1 starts on Wednesday
    lock(book, patient="P1")
    (problem,) = lock_problems(book)
    assert (problem.row, problem.column) == (2, "patient_id")
    assert "'P1' is not in treatment on Mon 07 Dec" in problem.message


def test_lock_on_a_therapist_without_the_credential(book: Path) -> None:
    set_cell(book, "SessionTypes", 2, "credentials", "LCSW")  # GT: T2 is a CADC
    lock(book, therapist="T2")
    (problem,) = lock_problems(book)
    assert (problem.row, problem.column) == (2, "therapist_id")
    assert "'T2' lacks the credentials for 'GT' (LCSW)" in problem.message


def test_lock_in_a_closed_block(book: Path) -> None:
    add_row(book, "Closures", {"date": "2026-12-07", "block_id": "MON-EVE"})
    lock(book, room="R1")
    (problem,) = lock_problems(book)
    assert (problem.row, problem.column) == (2, "block_id")
    assert "'MON-EVE' is closed on Mon 07 Dec" in problem.message


def test_lock_in_a_room_too_small_or_without_the_feature(book: Path) -> None:
    add_row(book, "Rooms", {"room_id": "TINY", "name": "Tiny", "site_id": "MAIN", "capacity": "1"})
    lock(book, room="TINY")
    (problem,) = lock_problems(book)
    assert "room 'TINY' seats 1, fewer than 'GT''s min_size" in problem.message
    set_cell(book, "SessionTypes", 2, "room_features", "accessible")
    set_cell(book, "Rooms", 2, "features", "accessible")
    found = lock_problems(book)
    assert "room 'TINY' lacks accessible for 'GT'" in found[0].message
    assert where(found) == {("Locks", 2, "room_id")}


def test_lock_against_the_patients_commitment(book: Path) -> None:
    add_row(
        book,
        "PatientCommitments",
        {"patient_id": "P2", "kind": "work", "weekday": "Mon", "start": "09:00", "end": "17:45"},
    )
    lock(book, patient="P2")
    (problem,) = lock_problems(book)
    assert (problem.row, problem.column) == (2, "patient_id")
    assert "'P2''s commitments (works Mon 09:00–17:45) clash with 'GT'" in problem.message


def test_individual_lock_with_another_therapist(book: Path) -> None:
    lock(book, "MON-IND", "IND", patient="P1", therapist="T2")
    (problem,) = lock_problems(book)
    assert (problem.row, problem.column) == (2, "therapist_id")
    assert "led by the primary therapist 'T1'" in problem.message


def test_a_lock_that_can_hold_is_clean(book: Path) -> None:
    lock(book, patient="P1", therapist="T2", room="R1")
    assert problems(book) == []


# --------------------------------------------------------------------------------------
# Targets, waivers and staffing.


def test_hours_target_above_the_track_maximum(book: Path) -> None:
    set_cell(book, "Patients", 2, "hours_target", "25")
    (problem,) = problems(book)
    assert (problem.sheet, problem.row, problem.column) == ("Patients", 2, "hours_target")
    assert "above the adult track's maximum of 19 hours" in problem.message


def test_a_family_session_that_will_be_waived(book: Path) -> None:
    add_row(
        book,
        "SessionTypes",
        {
            "session_type_id": "FAM",
            "name": "Family therapy",
            "kind": "family",
            "block_kind": "slot",
            "duration_min": "60",
            "min_size": "1",
            "max_size": "1",
            "credentials": "LMFT",
        },
    )
    set_cell(book, "Patients", 2, "family_cadence", "weekly")
    add_row(
        book,
        "FamilyAvailability",
        {"patient_id": "P1", "weekday": "Mon", "start": "16:00", "end": "18:00"},
    )
    (problem,) = problems(book)
    assert (problem.sheet, problem.row, problem.column) == ("Patients", 2, "family_cadence")
    assert problem.message == (
        "Family therapy will be waived in the week(s) of 07 Dec: no therapist able to lead "
        "Family therapy (LMFT) is available when the family can come (MON-IND)"
    )


def test_a_primary_therapist_with_more_individual_sessions_than_slots() -> None:
    # Three individual slots a week, four patients of T1: one cannot be placed.
    clinic = tiny_clinic(4)
    (problem,) = planning_problems(clinic)
    assert (problem.table, problem.key, problem.field) == ("Therapists", "T1", "max_hours_week")
    assert "needing 4 'IND' sessions in the week of 07 Dec but can hold at most 3" in (
        problem.message
    )
    schedule = solved(clinic)
    assert len(schedule.unplaced) == 1


def test_more_leader_hours_needed_than_the_staff_may_work() -> None:
    staff = (
        therapist("T1", max_hours_week=5, max_hours_day=5),
        therapist("T2", frozenset({"CADC"}), max_hours_week=5, max_hours_day=5),
    )
    clinic = tiny_clinic(therapists=staff)
    found = [p for p in planning_problems(clinic) if p.key is None]
    assert [p.message for p in found] == [
        "the week of 07 Dec needs at least 12 therapist hours (9 h of groups at full size, "
        "3 h of individual sessions) but the therapists may work 10 h in all"
    ]
    assert solved(clinic).placed_patients == frozenset()


def test_lock_of_an_individual_type_the_track_does_not_have(book: Path) -> None:
    set_cell(book, "Patients", 2, "track", "adolescent")
    lock(book, "MON-IND", "IND", patient="P1")
    found = lock_problems(book)
    assert "this lock cannot hold: 'IND' is not in the adolescent curriculum" in {
        p.message for p in found
    }
    assert ("Locks", 2, "session_type_id") in where(found)


@pytest.mark.parametrize("damage", ["password", "control byte"])
def test_an_unreadable_workbook_is_an_input_problem_not_an_internal_error(
    book: Path, damage: str, capsys: pytest.CaptureFixture[str]
) -> None:
    import zipfile

    from scheduler.cli import EXIT_INPUT, main

    if damage == "password":
        book.write_bytes(bytes.fromhex("D0CF11E0A1B11AE1") + "EncryptionInfo".encode("utf-16-le"))
    else:
        with zipfile.ZipFile(book) as z:
            contents = {n: z.read(n) for n in z.namelist()}
        name = tiny_clinic().patients[0].name.encode()  # only on the Patients sheet
        sheet = next(n for n in contents if n.startswith("xl/worksheets/") and name in contents[n])
        contents[sheet] = contents[sheet].replace(name, name + b"\x02", 1)
        with zipfile.ZipFile(book, "w") as z:
            for name, data in contents.items():
                z.writestr(name, data)
    assert main(["validate", str(book)]) == EXIT_INPUT
    err = capsys.readouterr().err
    assert "internal error" not in err and "Traceback" not in err
    assert ("password" if damage == "password" else "control character") in err


def test_leader_hours_offered_follow_availability() -> None:
    # Each works 40 h a week on paper but is available only Monday evenings (3 h).
    staff = (
        therapist("T1", days=(Weekday.MON,), start="16:00", end="21:00", max_hours_day=3),
        therapist("T2", frozenset({"CADC"}), days=(Weekday.MON,), start="18:00", end="21:00"),
    )
    clinic = tiny_clinic(therapists=staff)
    found = [p.message for p in planning_problems(clinic) if p.key is None]
    assert found == [
        "the week of 07 Dec needs at least 12 therapist hours (9 h of groups at full size, "
        "3 h of individual sessions) but the therapists may work 6 h in all"
    ]
    assert solved(clinic).placed_patients == frozenset()


def test_two_locks_pinning_one_therapist_at_the_same_time(book: Path) -> None:
    # Individual sessions of P1 and P2 in one slot: both are led by their primary, T1.
    lock(book, "MON-IND", "IND", patient="P1")
    add_row(
        book,
        "Locks",
        {"lock_id": "L9", "block_id": "MON-IND", "session_type_id": "IND", "patient_id": "P2"},
    )
    (problem,) = lock_problems(book)
    assert (problem.row, problem.column) == (3, "therapist_id")
    assert "cannot hold with lock 'LMON-INDIND': both pin 'T1'" in problem.message
    set_cell(book, "Patients", 3, "primary_therapist", "T2")
    assert lock_problems(book) == []


def test_group_time_counts_the_week_as_the_rules_do() -> None:
    # Admitted on Wednesday and working Wednesday evenings: only FRI-EVE is free that
    # week, and two groups are owed (5 of 7 days) with no minimum of days: too few.
    wed = Commitment(CommitmentKind.WORK, window(Weekday.WED, "17:00", "23:00"))
    late = patient("P1", admission=WEEK + dt.timedelta(days=2), commitments=(wed,))
    base = tiny_clinic()
    clinic = replace(base, patients=(late, *base.patients[1:]))
    (problem,) = planning_problems(clinic)
    assert "only 1 bookable group block(s) on 1 day(s) in the week of 07 Dec" in problem.message
    assert "needs 2 group sessions that week on at least 1 day(s)" in problem.message
    # Without the Wednesday job, WED-EVE and FRI-EVE give the two groups owed; three days
    # are not required in the week of admission (W3), so nothing is flagged.
    friday_off = replace(late, commitments=())
    assert planning_problems(replace(clinic, patients=(friday_off, *base.patients[1:]))) == []


def test_a_closure_that_leaves_too_few_group_blocks() -> None:
    base = tiny_clinic()
    clinic = replace(base, closures=(Closure(WEEK + dt.timedelta(days=2)),))  # Wednesday
    found = [p for p in planning_problems(clinic) if p.table == "Patients"]
    assert {p.key for p in found} == {"P1", "P2", "P3"}
    assert "closures leave only 2 bookable group block(s) on 2 day(s)" in found[0].message
    schedule = solved(clinic)
    assert schedule.placed_patients == frozenset()
