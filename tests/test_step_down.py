"""Step-down before discharge (docs/RULES.md W7): the setting, the one place that decides a
step-down week, the model and the checker holding its band, the curriculum it asks for,
the Compliance sheet and the solve summary showing it, and the workbook's located errors."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path

import openpyxl
import pytest
from factory import WEEK, group_type, tiny_clinic
from sheets import set_cell, settings_row
from solved import solved

from scheduler.check import check_schedule
from scheduler.cli import EXIT_OK, main
from scheduler.compliance import schedule_notes, step_down_notes
from scheduler.domain import Band, Clinic, CurriculumItem, SessionKind, Track
from scheduler.exports import publish
from scheduler.exports.excel import compliance_rows
from scheduler.exports.view import build_view
from scheduler.inputs.validate import validate_path
from scheduler.inputs.workbook import InputError, read_clinic, write_workbook
from scheduler.model import SolveOptions, solve
from scheduler.rules import required_sessions, stepping_down, week_hours
from scheduler.schedule import Schedule, Session, SolveStats

OPTIONS = SolveOptions(time_limit_s=10, workers=1, seed=0)
NEXT_THURSDAY = WEEK + dt.timedelta(days=10)  # in the last two weeks, the whole week 0 in
SATURDAY = WEEK + dt.timedelta(days=5)  # discharged within week 0


def with_settings(clinic: Clinic, **changes: object) -> Clinic:
    return replace(clinic, settings=replace(clinic.settings, **changes))  # type: ignore[arg-type]


def stepping_clinic(n: int = 3, band: Band | None = None, **changes: object) -> Clinic:
    """tiny_clinic with GT three times a week only; P2 is discharged next Thursday, so
    this week is a step-down week for P2, with the adult step-down band ``band``."""
    base = tiny_clinic(
        n, curriculum=(CurriculumItem(Track.ADULT, "GT", 3),), session_types=(group_type("GT"),)
    )
    pats = tuple(
        replace(p, discharge=NEXT_THURSDAY, **changes) if p.id == "P2" else p for p in base.patients
    )
    return with_settings(replace(base, patients=pats), step_down_adult_hours=band or Band(3, 6))


def hours_of(clinic: Clinic, schedule: Schedule, pid: str, week: int = 0) -> float:
    types = clinic.session_type_by_id
    return sum(
        types[s.session_type].duration_min / 60
        for s in schedule.sessions
        if s.week == week and pid in s.patients and types[s.session_type].counts_toward_hours
    )


# ------------------------------------------------------------------ the one place


def test_the_setting_decides_which_weeks_step_down() -> None:
    clinic = with_settings(stepping_clinic(), weeks=3)
    p2 = clinic.patient_by_id["P2"]  # discharged on Thursday of week 1
    assert [stepping_down(clinic, p2, w) for w in range(3)] == [True, True, False]
    one = with_settings(clinic, step_down_weeks=1)
    assert [stepping_down(one, p2, w) for w in range(3)] == [False, True, False]
    off = with_settings(clinic, step_down_weeks=0)
    assert [stepping_down(off, p2, w) for w in range(3)] == [False, False, False]
    p1 = clinic.patient_by_id["P1"]  # discharged in six weeks
    assert not stepping_down(clinic, p1, 0)


def test_week_hours_gives_the_step_down_band_and_ignores_the_target() -> None:
    clinic = stepping_clinic(hours_target=12)
    wh = week_hours(clinic, clinic.patient_by_id["P2"], 0)
    assert wh.step_down and wh.whole and wh.rule == "W7"
    assert (wh.min_hours, wh.max_hours, wh.min_days) == (3, 6, 1)
    assert wh.label == "step-down 3–6 h"
    full = week_hours(clinic, clinic.patient_by_id["P1"], 0)
    assert not full.step_down and (full.min_hours, full.max_hours, full.min_days) == (9, 19, 3)
    leaving = replace(clinic.patient_by_id["P2"], discharge=SATURDAY)
    partial = week_hours(clinic, leaving, 0)  # discharged this week: only the maximum binds
    assert partial.step_down and (partial.min_hours, partial.max_hours, partial.min_days) == (
        0,
        6,
        0,
    )


def test_the_curriculum_keeps_the_group_items_that_fit_the_step_down_band() -> None:
    # The sample's adult curriculum: GT, SB, PE (3 h each) and an individual hour. In a
    # step-down week of at most 8 hours the individual hour and GT and SB fit (7 h); PE
    # would make 10, so it is not asked for.
    types = (
        group_type("GT"),
        group_type("SB", kind=SessionKind.SKILL_BUILDING),
        group_type("PE", kind=SessionKind.PSYCHOEDUCATION),
        tiny_clinic().session_types[1],
    )
    items = tuple(CurriculumItem(Track.ADULT, t, 1) for t in ("GT", "SB", "PE", "IND"))
    clinic = tiny_clinic(3, session_types=types, curriculum=items)
    p2 = replace(clinic.patients[1], discharge=NEXT_THURSDAY)
    clinic = replace(clinic, patients=(clinic.patients[0], p2, clinic.patients[2]))
    asked = {i.session_type: required_sessions(clinic, p2, i) for i in items}
    assert asked == {"GT": 1, "SB": 1, "PE": 0, "IND": 1}
    full = {i.session_type: required_sessions(clinic, clinic.patients[0], i) for i in items}
    assert full == {"GT": 1, "SB": 1, "PE": 1, "IND": 1}
    schedule = solved(clinic)
    assert 3 <= hours_of(clinic, schedule, "P2") <= 8


# ------------------------------------------------------------------ the model


def test_model_holds_a_step_down_week_within_its_band() -> None:
    """P1 and P3 need GT three times; P2, stepping down with a target of 9 hours, may
    take 3 to 6. Without W7 the week would be held to the full program (9 h or more), and
    the checker reports W7: the model's constraint is what keeps P2 within the band."""
    clinic = stepping_clinic(hours_target=9)
    schedule = solve(clinic, OPTIONS)
    assert check_schedule(clinic, schedule) == []
    assert set(schedule.placed_patients) == {"P1", "P2", "P3"}
    assert 3 <= hours_of(clinic, schedule, "P2") <= 6
    assert hours_of(clinic, schedule, "P1") >= 9
    without = solve(clinic, OPTIONS, off=frozenset({"W7"}))
    assert hours_of(clinic, without, "P2") > 6
    assert "W7" in {v.rule for v in check_schedule(clinic, without)}


def test_model_reaches_the_step_down_minimum() -> None:
    # A step-down band of 6 to 6 hours: GT is not asked for (9 h does not fit), but the
    # minimum needs two groups, on two days.
    clinic = with_settings(stepping_clinic(band=Band(6, 6)), step_down_min_days_adult=2)
    schedule = solved(clinic)
    assert hours_of(clinic, schedule, "P2") == 6
    days = {s.block for s in schedule.sessions if "P2" in s.patients}
    assert len(days) == 2


# ------------------------------------------------------------------ the checker


def group(day: str, patients: tuple[str, ...]) -> Session:
    return Session(f"GT-{day}", f"GT-{day}", 0, f"{day}-EVE", "GT", "R1", ("T2",), patients)


STATS = SolveStats("FEASIBLE", 0.0, 0.0, 0.1, seed=1, workers=1, time_limit_s=1.0)


def check(clinic: Clinic, sessions: list[Session]) -> set[str]:
    schedule = Schedule(WEEK, 1, tuple(sessions), (), STATS)
    return {v.rule for v in check_schedule(clinic, schedule)}


ALL = ("P1", "P2", "P3")
FULL = ("P1", "P3")


def test_checker_refuses_a_step_down_week_above_its_band() -> None:
    clinic = stepping_clinic()  # P2's band 3–6 h
    assert check(clinic, [group("MON", ALL), group("WED", ALL), group("FRI", FULL)]) == set()
    assert check(clinic, [group(d, ALL) for d in ("MON", "WED", "FRI")]) == {"W7"}
    # Without step-down the same 9 hours are the full program's minimum, and fine.
    off = with_settings(clinic, step_down_weeks=0)
    assert check(off, [group(d, ALL) for d in ("MON", "WED", "FRI")]) == set()


def test_checker_refuses_a_step_down_week_below_its_band_or_days() -> None:
    clinic = stepping_clinic(band=Band(6, 8))
    one_group = [group("MON", ALL), group("WED", FULL), group("FRI", FULL)]
    schedule = Schedule(WEEK, 1, tuple(one_group), (), STATS)
    (violation,) = check_schedule(clinic, schedule)
    assert violation.rule == "W7" and violation.patients == ("P2",)
    assert "3 treatment hours" in violation.message and "step-down band is 6–8" in violation.message
    two_days = with_settings(stepping_clinic(band=Band(3, 8)), step_down_min_days_adult=2)
    assert check(two_days, one_group) == {"W7"}
    assert check(with_settings(two_days, step_down_min_days_adult=1), one_group) == set()


def test_a_step_down_week_of_discharge_binds_only_the_maximum() -> None:
    clinic = stepping_clinic(band=Band(6, 8))
    p2 = replace(clinic.patient_by_id["P2"], discharge=SATURDAY)
    clinic = replace(clinic, patients=(clinic.patients[0], p2, clinic.patients[2]))
    one_group = [group("MON", ALL), group("WED", FULL), group("FRI", FULL)]
    assert check(clinic, one_group) == set()
    assert check(clinic, [group(d, ALL) for d in ("MON", "WED", "FRI")]) == {"W7"}


# ------------------------------------------------------------------ what the coordinator sees


def test_compliance_shows_a_step_down_week_with_its_band_not_as_short() -> None:
    clinic = stepping_clinic()
    schedule = solved(clinic)
    rows = {str(r[1]): r for r in compliance_rows(build_view(clinic, schedule))}
    p2 = rows["P2"]
    assert (p2[5], p2[6], p2[8]) == (3, 6, 1)  # min hours, max hours, min days: the band's
    assert p2[11] == "step-down 3–6 h" and p2[12] == "OK"
    assert rows["P1"][11] == "" and rows["P1"][5] == 9
    assert schedule_notes(clinic, schedule) == []  # not a short week
    (line,) = step_down_notes(clinic, schedule)
    hours = hours_of(clinic, schedule, "P2")
    assert line == f"P2 week of 07 Dec: step-down 3–6 h before discharge 17 Dec, {hours:g} h"


def test_compliance_names_a_step_down_week_of_discharge_short_with_its_band() -> None:
    clinic = stepping_clinic(band=Band(6, 8))
    p2 = replace(clinic.patient_by_id["P2"], discharge=SATURDAY)
    clinic = replace(clinic, patients=(clinic.patients[0], p2, clinic.patients[2]))
    schedule = Schedule(
        WEEK, 1, (group("MON", ALL), group("WED", FULL), group("FRI", FULL)), (), STATS
    )
    rows = {str(r[1]): r for r in compliance_rows(build_view(clinic, schedule))}
    assert rows["P2"][11] == "step-down 6–8 h, partial week"
    assert rows["P2"][12] == (
        "short week (discharged Sat 12 Dec, step-down 6–8 h): 3 of 6 h, groups on 1 of 1 days"
    )


def test_solve_prints_the_step_down_weeks_and_the_summary_sheet_counts_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "clinic.xlsx"
    write_workbook(stepping_clinic(), path)
    out = tmp_path / "out"
    args = ["solve", str(path), "--out", str(out), "--time-limit", "10", "--workers", "1"]
    assert main([*args, "--quiet"]) == EXIT_OK
    printed = capsys.readouterr().out
    assert "Step-down weeks before discharge (1):\n  P2 week of 07 Dec: step-down 3–6 h" in printed
    book = openpyxl.load_workbook(out / "schedule.xlsx")
    items = {r[0]: r[1] for r in book["Summary"].iter_rows(values_only=True)}
    assert items["Step-down weeks (see Compliance)"] == 1


def test_publish_writes_the_step_down_note_on_the_compliance_sheet(tmp_path: Path) -> None:
    clinic = stepping_clinic()
    publish(clinic, solved(clinic), tmp_path)
    sheet = openpyxl.load_workbook(tmp_path / "schedule.xlsx")["Compliance"]
    notes = {r[1]: r[11] for r in sheet.iter_rows(min_row=2, values_only=True)}
    assert notes["P2"] == "step-down 3–6 h"


# ------------------------------------------------------------------ the settings


def test_step_down_settings_round_trip(tmp_path: Path) -> None:
    clinic = with_settings(
        stepping_clinic(),
        step_down_weeks=3,
        step_down_adolescent_hours=Band(2, 4.5),
        step_down_min_days_adult=2,
        step_down_min_days_adolescent=0,
    )
    write_workbook(clinic, tmp_path / "c.xlsx")
    assert read_clinic(tmp_path / "c.xlsx").settings == clinic.settings


def test_step_down_defaults_when_the_rows_are_missing(tmp_path: Path) -> None:
    path = tmp_path / "c.xlsx"
    write_workbook(tiny_clinic(), path)
    book = openpyxl.load_workbook(path)
    for name in ("step_down_weeks", "step_down_adult_max_hours", "step_down_min_days_adult"):
        book["Clinic"].delete_rows(settings_row(path, name))
        book.save(path)
    s = read_clinic(path).settings
    assert s.step_down_weeks == 2 and s.step_down_adult_hours == Band(3, 8)
    assert s.step_down_min_days_adult == 1


@pytest.mark.parametrize(
    ("cells", "located", "words"),
    [
        ({"step_down_weeks": "13"}, "step_down_weeks", "0 to 12 weeks"),
        (
            {"step_down_adult_max_hours": "20"},
            "step_down_adult_max_hours",
            "at most adult_max_hours (19)",
        ),
        (
            {"step_down_adolescent_max_hours": "8", "step_down_adolescent_min_hours": "7"},
            "step_down_adolescent_min_hours",
            "at most adolescent_min_hours (6)",
        ),
        # A band's minimum above its maximum is reported on the maximum, as for the others.
        ({"step_down_adult_min_hours": "8.5"}, "step_down_adult_max_hours", "min ≤ max"),
        ({"step_down_min_days_adolescent": "8"}, "step_down_min_days_adolescent", "0 to 7"),
    ],
)
def test_step_down_settings_errors_are_located(
    tmp_path: Path, cells: dict[str, str], located: str, words: str
) -> None:
    path = tmp_path / "c.xlsx"
    write_workbook(tiny_clinic(), path)
    for setting, value in cells.items():
        set_cell(path, "Clinic", settings_row(path, setting), "value", value)
    with pytest.raises(InputError) as err:
        read_clinic(path)
    (problem,) = err.value.problems
    assert (problem.sheet, problem.row, problem.column) == (
        "Clinic",
        settings_row(path, located),
        "value",
    )
    assert located in problem.message and words in problem.message


def test_validate_warns_when_individual_sessions_alone_exceed_the_step_down_band(
    tmp_path: Path,
) -> None:
    # tiny_clinic asks for one individual hour a week; a step-down maximum of half an hour
    # leaves no legal step-down week. The warning sits on that setting's row.
    path = tmp_path / "c.xlsx"
    write_workbook(tiny_clinic(), path)
    row = settings_row(path, "step_down_adult_max_hours")
    set_cell(path, "Clinic", row, "value", "0.5")
    set_cell(path, "Clinic", settings_row(path, "step_down_adult_min_hours"), "value", "0")
    clinic, found = validate_path(path)
    assert clinic is not None
    (problem,) = found
    assert (problem.sheet, problem.row, problem.column) == ("Clinic", row, "value")
    assert "above the step-down maximum of 0.5" in problem.message
    set_cell(path, "Clinic", settings_row(path, "step_down_weeks"), "value", "0")
    assert validate_path(path)[1] == []


def test_the_sample_clinic_has_step_down_weeks_and_discharges_in_its_horizon() -> None:
    from scheduler.generator.clinic import sample_clinic

    clinic = sample_clinic()
    last = clinic.settings.week_start + dt.timedelta(weeks=clinic.settings.weeks, days=-1)
    weeks = range(clinic.settings.weeks)
    stepping = [p for p in clinic.patients if any(stepping_down(clinic, p, w) for w in weeks)]
    leaving = [p for p in stepping if p.discharge <= last]
    assert len(leaving) >= 3 and len(stepping) > len(leaving)
