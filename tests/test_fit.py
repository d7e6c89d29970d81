"""Recommend fit (scheduler.fit): ranked ways to admit one referral, each confirmed by the
independent checker; the reason when there is none; the ``fit`` command's errors and JSON.

Hand-built timetables on the tiny clinic of ``factory``, where the ways in are known.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import replace
from pathlib import Path

import pytest
from factory import (
    WEEK,
    group_type,
    individual_type,
    patient,
    room,
    therapist,
    tiny_clinic,
    window,
)

from scheduler.check import check_schedule
from scheduler.cli import EXIT_INPUT, EXIT_OK, main
from scheduler.domain import (
    Band,
    Clinic,
    Commitment,
    CommitmentKind,
    CurriculumItem,
    Patient,
    Track,
    Weekday,
)
from scheduler.fit import FitOption, NoFit, fit, recommend, why_not
from scheduler.fit.cost import schedule_terms
from scheduler.inputs.workbook import input_hash, write_csv_folder
from scheduler.probe import insertable
from scheduler.schedule import Schedule, Session, SolveStats, Unplaced
from scheduler.schedule_json import write_schedule_json

EVENINGS = ("MON", "WED", "FRI")
STATS = SolveStats("FEASIBLE", 0.0, 0.0, 0.0, 0, 1, 1.0)


def group(day: str, *patients: str, therapists: tuple[str, ...] = ("T2",)) -> Session:
    return Session.numbered(0, f"{day}-EVE", "GT", 1, "R1", therapists, patients)


def individual(day: str, who: str) -> Session:
    return Session.numbered(0, f"{day}-IND", "IND", 1, "OFFICE", ("T1",), (who,))


def published(*sessions: Session, unplaced: tuple[str, ...] = ()) -> Schedule:
    left = tuple(Unplaced(p, "no place found") for p in unplaced)
    return Schedule(WEEK, 1, sessions, left, STATS)


def two_placed() -> Schedule:
    """P1 and P2 in the three evening groups; their individual sessions Monday and
    Wednesday, so Friday's slot is free."""
    groups = tuple(group(d, "P1", "P2") for d in EVENINGS)
    return published(*groups, individual("MON", "P1"), individual("WED", "P2"))


def assert_confirmed(clinic: Clinic, options: list[FitOption], referral: Patient) -> None:
    """Every option is a whole timetable the checker passes, with the referral placed
    from the admission date the option assumes."""
    assert options
    for o in options:
        assert referral.id in o.schedule.placed_patients
        admitted = replace(referral, admission=o.admission)
        assert o.admission >= referral.admission and o.start >= o.admission
        assert check_schedule(with_referral(clinic, admitted), o.schedule) == []


def with_referral(clinic: Clinic, referral: Patient) -> Clinic:
    others = tuple(p for p in clinic.patients if p.id != referral.id)
    return replace(clinic, patients=(*others, referral))


def test_a_referral_beside_free_seats_gets_checked_ways_in() -> None:
    clinic = tiny_clinic(2)
    referral = patient("R1", admission=WEEK)
    options = recommend(clinic, two_placed(), referral, top=5)
    assert_confirmed(clinic, options, referral)
    best = options[0]
    assert best.rank == 1 and best.start == WEEK and best.moves_nobody
    groups = [s for s in best.sessions if s.session_type == "GT"]
    assert [(s.block, s.new, s.size) for s in groups] == [
        ("MON-EVE", False, 3),
        ("WED-EVE", False, 3),
        ("FRI-EVE", False, 3),
    ]
    (ind,) = [s for s in best.sessions if s.session_type == "IND"]
    assert (ind.block, ind.therapists, ind.new) == ("FRI-IND", ("T1",), True)
    # Nothing in the published timetable changes but the referral's seats.
    before = {s.id: s for s in two_placed().sessions}
    for s in best.schedule.sessions:
        if s.id in before:
            assert tuple(p for p in s.patients if p != "R1") == before[s.id].patients


def test_ranking_earlier_start_first_then_smaller_cost() -> None:
    # Groups of one may open (min_size 1), the Monday group is full (max 2) and the room
    # holds one group at a time: admitted Monday there is no way in (Monday's group is
    # owed), admitted Wednesday there is. Ways are ranked by start, then by points.
    kinds = (group_type("GT", min_size=1, max_size=2), individual_type())
    # T1 leaves at 17:30 on Mondays: no second Monday group can open.
    days = (Weekday.TUE, Weekday.WED, Weekday.THU, Weekday.FRI, Weekday.SAT)
    hours = (window(Weekday.MON, "08:00", "17:30"), *(window(d, "08:00", "22:00") for d in days))
    staff = (therapist("T1", availability=hours), therapist("T2", frozenset({"CADC"})))
    clinic = tiny_clinic(2, session_types=kinds, therapists=staff)
    referral = patient("R1", admission=WEEK)
    schedule = published(
        group("MON", "P1", "P2"),
        group("WED", "P1"),
        group("FRI", "P2"),
        Session.numbered(0, "WED-EVE", "GT", 2, "OFFICE", ("T1",), ("P2",)),
        Session.numbered(0, "FRI-EVE", "GT", 2, "OFFICE", ("T1",), ("P1",)),
        individual("MON", "P1"),
        individual("WED", "P2"),
    )
    options = recommend(clinic, schedule, referral, top=10)
    assert options
    keys = [(o.start, o.points) for o in options]
    assert keys == sorted(keys)
    assert min(o.start for o in options) > WEEK  # Monday is full: no way starts then
    assert_confirmed(clinic, options, referral)


def test_an_earlier_start_is_ranked_above_a_later_one() -> None:
    # Admitted Monday the referral must take Monday's seat; with top above the Monday ways,
    # later admission dates are tried too, and their ways come after.
    kinds = (group_type("GT", min_size=1), individual_type())
    clinic = tiny_clinic(2, session_types=kinds)
    referral = patient("R1", admission=WEEK)
    options = recommend(clinic, two_placed(), referral, top=20)
    assert_confirmed(clinic, options, referral)
    starts = [o.start for o in options]
    assert starts == sorted(starts)
    assert starts[0] == WEEK and starts[-1] > WEEK
    points = [o.points for o in options if o.start == WEEK]
    assert points == sorted(points)


def test_a_referral_owing_nothing_this_week_still_gets_a_group() -> None:
    # In treatment on Monday only: pro rata they owe no session (W1), but placed means
    # attending one (P1); the probe places them with one group, and so does fit.
    clinic = tiny_clinic(2)
    referral = patient("R1", admission=WEEK, discharge=WEEK)
    options = recommend(clinic, two_placed(), referral, top=3)
    assert_confirmed(clinic, options, referral)
    assert [s.code for s in options[0].sessions] == ["GT-MON-EVE-1"]


def test_no_way_in_says_the_binding_reason() -> None:
    evenings = tuple(
        Commitment(CommitmentKind.WORK, window(d, "16:00", "23:00"))
        for d in (Weekday.MON, Weekday.WED, Weekday.FRI)
    )
    clinic = tiny_clinic(2)
    referral = patient("R1", admission=WEEK, commitments=evenings)
    answer = fit(clinic, two_placed(), referral)
    assert isinstance(answer, NoFit) and not answer.capped
    assert "No group block is free" in answer.reason and "works" in answer.reason
    # True: the probe finds no insertion either.
    with_r = replace(clinic, patients=(*clinic.patients, referral))
    schedule = replace(two_placed(), unplaced=(Unplaced("R1", "referral"),))
    assert insertable(with_r, schedule) == []


def test_a_full_caseload_is_the_reason() -> None:
    staff = (therapist("T1", caseload_cap=2), therapist("T2", frozenset({"CADC"})))
    clinic = tiny_clinic(2, therapists=staff)
    referral = patient("R1", admission=WEEK)
    assert recommend(clinic, two_placed(), referral) == []
    no = why_not(clinic, two_placed(), referral)
    assert "caseload is full (2/2)" in no.reason
    # With room on the caseload, the same referral fits.
    roomy = tiny_clinic(2)
    assert recommend(roomy, two_placed(), referral)


def test_full_groups_are_the_reason_when_no_group_can_open() -> None:
    # Groups of at most two, all full; a group of one may not open (min_size 2).
    kinds = (group_type("GT", max_size=2), individual_type())
    clinic = tiny_clinic(2, session_types=kinds)
    referral = patient("R1", admission=WEEK)
    answer = fit(clinic, two_placed(), referral)
    assert isinstance(answer, NoFit)
    assert "no GT session can be given to them" in answer.reason
    assert "its groups are full" in answer.reason
    assert "a new group needs at least 2 patients (all of them)" in answer.reason
    # True: with a third seat the same referral fits.
    roomy = tiny_clinic(2, session_types=(group_type("GT", max_size=3), individual_type()))
    assert recommend(roomy, two_placed(), referral)


def one_group_a_week() -> tuple[Clinic, Patient]:
    """One group a week (3 h, on one day at least), groups of one or two. Monday: P1 and P2
    fill the group in R1 (T2); P3 is alone in an online group (T1), so no leader is free for
    a third. Wednesday: P4 alone in R1 (T2). The referral works Fridays and has no consent
    to telehealth: the online group is not for them."""
    base = tiny_clinic(0)
    settings = replace(base.settings, adult_hours=Band(3, 19), min_days_adult=1)
    kinds = (group_type("GT", min_size=1, max_size=2), individual_type())
    rooms = (*base.rooms, room("TELE", virtual=True))
    people = (
        patient("P1", telehealth_ok=True),
        patient("P2"),
        patient("P3", telehealth_ok=True),
        patient("P4"),
    )
    friday = (Commitment(CommitmentKind.WORK, window(Weekday.FRI, "16:00", "23:00")),)
    clinic = replace(
        base,
        settings=settings,
        session_types=kinds,
        curriculum=(CurriculumItem(Track.ADULT, "GT", 1),),
        rooms=rooms,
        patients=people,
    )
    return clinic, patient("R1", admission=WEEK, commitments=friday)


def crowded_monday() -> Schedule:
    return published(
        group("MON", "P1", "P2"),
        Session.numbered(0, "MON-EVE", "GT", 2, "TELE", ("T1",), ("P3",)),
        group("WED", "P4"),
    )


def test_a_way_moving_another_patient_ranks_below_ways_moving_nobody() -> None:
    clinic, referral = one_group_a_week()
    assert check_schedule(clinic, crowded_monday()) == []
    options = recommend(clinic, crowded_monday(), referral, top=5)
    assert_confirmed(clinic, options, referral)
    plain = [o for o in options if o.moves_nobody]
    moving = [o for o in options if not o.moves_nobody]
    assert plain and moving
    # Moving nobody first, though Monday (with a move) starts before Wednesday.
    assert options[: len(plain)] == plain
    assert plain[0].start == WEEK + dt.timedelta(days=2)
    assert moving[0].start == WEEK
    (move,) = moving[0].moves
    assert move.patient in ("P1", "P2") and move.from_session == "W0-MON-EVE-GT-1"
    moved = moving[0].schedule.session_by_id[move.to_session]
    assert move.patient in moved.patients
    assert "R1" in moving[0].schedule.session_by_id["W0-MON-EVE-GT-1"].patients


def test_a_move_is_offered_only_where_the_moved_patient_may_go() -> None:
    clinic, referral = one_group_a_week()
    # The referral works Wednesdays too: Monday it must be. Wednesday's group is full, and
    # without consent P1 cannot go online (P2 never could): no way in.
    evenings = tuple(
        Commitment(CommitmentKind.WORK, window(d, "16:00", "23:00"))
        for d in (Weekday.WED, Weekday.FRI)
    )
    busy = replace(referral, commitments=evenings)
    # P5 joins P4 on Wednesday: that group is full too.
    full = replace(
        crowded_monday(),
        sessions=tuple(
            replace(s, patients=("P4", "P5")) if s.block == "WED-EVE" else s
            for s in crowded_monday().sessions
        ),
    )
    clinic = replace(clinic, patients=(*clinic.patients, patient("P5")))
    people = tuple(replace(p, telehealth_ok=p.id == "P3") for p in clinic.patients)
    no_tele = replace(clinic, patients=people)
    assert check_schedule(no_tele, full) == []
    assert recommend(no_tele, full, busy, top=5) == []
    # With P1's consent, P1 goes online and the referral takes their seat.
    (way,) = recommend(clinic, full, busy, top=5)
    assert [(m.patient, m.to_session) for m in way.moves] == [("P1", "W0-MON-EVE-GT-2")]
    assert_confirmed(clinic, [way], busy)


def test_cost_change_is_counted_from_the_schedule() -> None:
    clinic = tiny_clinic(2)
    referral = patient("R1", admission=WEEK)
    (best,) = recommend(clinic, two_placed(), referral, top=1)
    with_r = replace(clinic, patients=(*clinic.patients, referral))
    before = schedule_terms(with_r, two_placed())
    after = schedule_terms(with_r, best.schedule)
    changed = {c.term: c.change for c in best.cost}
    assert changed == {t: after[t] - before[t] for t in after if after[t] != before[t]}
    # The new individual session adds no evening hours (16:30); joining adds no group.
    assert "groups_opened" not in changed and "evening_saturday" not in changed


def test_a_placed_patient_is_not_a_referral() -> None:
    with pytest.raises(ValueError, match="already placed"):
        recommend(tiny_clinic(2), two_placed(), tiny_clinic(2).patients[0])


# ---------------------------------------------------------------------- the command


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    """The tiny clinic as CSV with referral P3 in it, and a schedule.json leaving P3 out."""
    clinic = tiny_clinic(3)
    folder = tmp_path / "clinic"
    write_csv_folder(clinic, folder)
    sched = replace(two_placed(), unplaced=(Unplaced("P3", "no seat when solved"),))
    path = tmp_path / "schedule.json"
    write_schedule_json(sched, path, input_path=str(folder), input_hash=input_hash(folder))
    return folder, path


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = main(["fit", *args])
    out = capsys.readouterr()
    return status, out.out, out.err


def test_cli_fit_by_id_and_by_row(
    files: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    folder, sched = files
    status, out, _ = run(capsys, str(folder), "--previous", str(sched), "--patient", "P3")
    assert status == EXIT_OK
    assert "#1  starts" in out and "GT-MON-EVE-1" in out and "Patient P3" not in out
    by_row = run(capsys, str(folder), "--previous", str(sched), "--patient", "4")
    assert by_row[0] == EXIT_OK and by_row[1] == out  # row 4: the third patient, P3


def test_cli_json_shape(files: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    folder, sched = files
    args = (str(folder), "--previous", str(sched), "--patient", "P3", "--json", "--top", "2")
    status, out, _ = run(capsys, *args)
    assert status == EXIT_OK
    doc = json.loads(out)
    assert set(doc) == {"patient", "input", "schedule", "options", "no_fit"}
    assert doc["patient"] == "P3" and doc["no_fit"] is None
    assert 1 <= len(doc["options"]) <= 2
    first = doc["options"][0]
    assert set(first) == {
        "rank", "start", "admission", "days", "moves_nobody", "moves", "points", "cost",
        "sessions",
    }  # fmt: skip
    assert first["rank"] == 1 and first["moves_nobody"] is True and first["moves"] == []
    assert dt.date.fromisoformat(first["start"]) == WEEK
    session = first["sessions"][0]
    assert {"code", "date", "weekday", "start", "end", "room", "therapists", "new"} <= set(session)
    assert all(set(c) == {"term", "label", "unit", "change", "points"} for c in first["cost"])
    again = run(capsys, *args)
    assert again[1] == out  # deterministic


def test_cli_no_way_in_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    staff = (therapist("T1", caseload_cap=2), therapist("T2", frozenset({"CADC"})))
    clinic = tiny_clinic(3, therapists=staff)
    folder = tmp_path / "clinic"
    write_csv_folder(clinic, folder)
    sched = replace(two_placed(), unplaced=(Unplaced("P3", "caseload"),))
    path = tmp_path / "schedule.json"
    write_schedule_json(sched, path, input_path=str(folder), input_hash=input_hash(folder))
    status, out, _ = run(capsys, str(folder), "--previous", str(path), "--patient", "P3", "--json")
    assert status == EXIT_OK
    doc = json.loads(out)
    assert doc["options"] == [] and "caseload is full" in doc["no_fit"]["reason"]


@pytest.mark.parametrize(
    ("patient_arg", "expected"),
    [
        (("--patient", "P9"), "Patients: no patient ID 'P9'"),
        (("--patient", "40"), "Patients: no row 40"),
        (("--patient", "P1"), "Patients row 2: patient P1 is already placed"),
    ],
)
def test_cli_unknown_or_placed_patient(
    files: tuple[Path, Path],
    capsys: pytest.CaptureFixture[str],
    patient_arg: tuple[str, str],
    expected: str,
) -> None:
    folder, sched = files
    status, _, err = run(capsys, str(folder), "--previous", str(sched), *patient_arg)
    assert status == EXIT_INPUT
    assert expected in err and "Traceback" not in err


def test_cli_schedule_of_another_input(
    files: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder, _ = files
    stranger = published(group("MON", "X1", "X2"), unplaced=("P3",))
    path = tmp_path / "other.json"
    write_schedule_json(stranger, path, input_path="elsewhere", input_hash="0" * 64)
    status, _, err = run(capsys, str(folder), "--previous", str(path), "--patient", "P3")
    assert status == EXIT_INPUT
    assert f"{path}: was not made from this input" in err and "Traceback" not in err
    bad = tmp_path / "broken.json"
    bad.write_text("{not json")
    status, _, err = run(capsys, str(folder), "--previous", str(bad), "--patient", "P3")
    assert status == EXIT_INPUT and "not a readable schedule.json" in err


def test_cli_referral_file(
    files: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder, sched = files
    header = (folder / "Patients.csv").read_text(encoding="utf-8").splitlines()[0]
    row = (folder / "Patients.csv").read_text(encoding="utf-8").splitlines()[3]
    good = tmp_path / "referral.csv"
    good.write_text(header + "\n" + row.replace("P3", "R7", 1) + "\n", encoding="utf-8")
    # The input holds P3 (unplaced) besides the schedule; the referral is R7.
    status, out, _ = run(capsys, str(folder), "--previous", str(sched), "--patient-file", str(good))
    assert status == EXIT_OK and "patient R7" in out
    bad = tmp_path / "bad.csv"
    bad.write_text(header + "\n" + row.replace("P3", "R7", 1).replace("female", "robot") + "\n")
    status, _, err = run(capsys, str(folder), "--previous", str(sched), "--patient-file", str(bad))
    assert status == EXIT_INPUT
    assert "bad.csv (Patients) row 2, column sex" in err and "Traceback" not in err
    dup = tmp_path / "dup.csv"
    dup.write_text(header + "\n" + row + "\n" + row.replace("P3", "R8", 1) + "\n")
    status, _, err = run(capsys, str(folder), "--previous", str(sched), "--patient-file", str(dup))
    assert status == EXIT_INPUT and "holds 2 patients" in err
    missing = run(capsys, str(folder), "--previous", str(sched), "--patient-file", "nope.csv")
    assert missing[0] == EXIT_INPUT and "no such file" in missing[2]


def test_cli_referral_workbook_with_commitments(
    files: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from openpyxl import Workbook

    folder, sched = files
    header = (folder / "Patients.csv").read_text(encoding="utf-8").splitlines()[0].split(",")
    row = (folder / "Patients.csv").read_text(encoding="utf-8").splitlines()[3].split(",")
    row[0] = "R9"
    book = Workbook()
    patients = book.active
    assert patients is not None
    patients.title = "Patients"
    patients.append(header)
    patients.append(row)
    busy = book.create_sheet("PatientCommitments")
    busy.append(["patient_id", "kind", "weekday", "start", "end"])
    for day in ("Mon", "Wed", "Fri"):
        busy.append(["R9", "work", day, "16:00", "23:00"])
    path = tmp_path / "referral.xlsx"
    book.save(path)
    args = (str(folder), "--previous", str(sched), "--patient-file", str(path), "--json")
    status, out, _ = run(capsys, *args)
    assert status == EXIT_OK
    doc = json.loads(out)
    assert doc["patient"] == "R9" and doc["options"] == []
    assert "works Mon, Wed, Fri 16:00–23:00" in doc["no_fit"]["reason"]
    # Without the commitments the same referral fits.
    del book["PatientCommitments"]
    book.save(path)
    status, out, _ = run(capsys, *args)
    assert status == EXIT_OK and json.loads(out)["options"]


def test_a_referral_may_start_a_later_week() -> None:
    # Two weeks. Week 0: P1 and P2 fill every group (max 2) and T1, out from 17:30, cannot
    # lead a second one. P2 is discharged that Saturday: in week 1, P1 is alone in each
    # group. Admitted Monday of week 0, the referral's first way in is Monday of week 1.
    base = tiny_clinic(0)
    hours = tuple(window(d, "08:00", "17:30") for d in tuple(Weekday)[:6])
    staff = (therapist("T1", availability=hours), therapist("T2", frozenset({"CADC"})))
    kinds = (group_type("GT", min_size=1, max_size=2), individual_type())
    saturday = WEEK + dt.timedelta(days=5)
    people = (patient("P1"), patient("P2", discharge=saturday))
    clinic = replace(
        base,
        settings=replace(base.settings, weeks=2, step_down_weeks=0),  # not about W7
        therapists=staff,
        session_types=kinds,
        patients=people,
    )
    week0 = [*(group(d, "P1", "P2") for d in EVENINGS), individual("MON", "P1")]
    week0.append(individual("WED", "P2"))
    week1 = [
        replace(s, id=s.id.replace("W0-", "W1-", 1), week=1)
        for s in (*(group(d, "P1") for d in EVENINGS), individual("MON", "P1"))
    ]
    schedule = replace(published(*week0, *week1), weeks=2)
    assert check_schedule(clinic, schedule) == []
    referral = patient("R1", admission=WEEK)
    options = recommend(clinic, schedule, referral, top=3)
    assert_confirmed(clinic, options, referral)
    best = options[0]
    assert best.start == WEEK + dt.timedelta(days=7) == best.admission
    assert {s.week for s in best.sessions} == {1}
