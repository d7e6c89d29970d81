"""Records check themselves; the clinic checks its cross-references."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest
from factory import WEEK, group_type, individual_type, patient, room, tiny_clinic, window

from scheduler.domain import (
    Block,
    BlockKind,
    ClinicError,
    ClinicSettings,
    Closure,
    Commitment,
    CommitmentKind,
    FamilyCadence,
    Lock,
    Patient,
    RecordError,
    Sex,
    Weekday,
    Window,
    covered,
)
from scheduler.rules import required_sessions


def test_window_rejects_end_before_start() -> None:
    with pytest.raises(RecordError) as err:
        Window(Weekday.MON, 600, 540)
    assert err.value.field == "end"


def test_covered_merges_touching_windows() -> None:
    parts = [window(Weekday.MON, "08:00", "12:00"), window(Weekday.MON, "12:00", "18:00")]
    assert covered(parts, window(Weekday.MON, "11:00", "13:00"))
    assert not covered(parts, window(Weekday.MON, "17:00", "19:00"))
    assert not covered(parts, window(Weekday.TUE, "09:00", "10:00"))


def test_settings_refuse_treatment_word_in_published_name() -> None:
    with pytest.raises(RecordError) as err:
        ClinicSettings(name="Hope Addiction Center", timezone="UTC", week_start=WEEK)
    assert err.value.field == "name"


def test_settings_need_a_monday_and_a_real_zone() -> None:
    with pytest.raises(RecordError):
        ClinicSettings(name="X", timezone="UTC", week_start=WEEK + dt.timedelta(days=1))
    with pytest.raises(RecordError):
        ClinicSettings(name="X", timezone="Mars/Olympus", week_start=WEEK)


def test_target_size_defaults_to_four_for_groups_and_lies_within_the_size_limits() -> None:
    assert group_type("GT").target_size == 4
    assert group_type("GT", min_size=5).target_size == 5
    assert group_type("GT", max_size=3).target_size == 2  # cannot seat 4: its minimum
    assert group_type("GT", target_min=6).target_size == 6
    assert individual_type().target_size == 1
    for bad in (1, 13):
        with pytest.raises(RecordError) as err:
            group_type("GT", target_min=bad)
        assert err.value.field == "target_min"


def test_patient_discharge_before_admission() -> None:
    with pytest.raises(RecordError) as err:
        patient("P1", admission=WEEK, discharge=WEEK - dt.timedelta(days=1))
    assert err.value.field == "discharge"


def test_travel_buffer_blocks_session_right_after_work() -> None:
    work = Commitment(CommitmentKind.WORK, window(Weekday.MON, "08:00", "17:45"))
    p = patient("P1", commitments=(work,))
    evening = window(Weekday.MON, "18:00", "21:00")
    assert p.free(evening, buffer_min=0)
    assert not p.free(evening, buffer_min=30)


def test_family_cadence_counts_weeks_from_admission() -> None:
    p = patient("P1", admission=WEEK - dt.timedelta(days=9), family_cadence=FamilyCadence.BIWEEKLY)
    # admitted the Saturday of the week before last: this is week 2 → due
    assert p.family_due(WEEK)
    assert not p.family_due(WEEK + dt.timedelta(weeks=1))
    assert not patient("P2").family_due(WEEK)


def test_clinic_reports_every_broken_reference_at_once() -> None:
    base = tiny_clinic()
    with pytest.raises(ClinicError) as err:
        replace(
            base,
            patients=(*base.patients, patient("P1"), patient("P9", primary="NOBODY")),
            rooms=(*base.rooms, room("R9", site="ELSEWHERE")),
            locks=(Lock("L1", block="NO-BLOCK", session_type="GT", patient="P1"),),
        )
    found = {(p.table, p.key, p.field) for p in err.value.problems}
    assert ("Patients", "P1", "patient_id") in found
    assert ("Patients", "P9", "primary_therapist") in found
    assert ("Rooms", "R9", "site_id") in found
    assert ("Locks", "L1", "block_id") in found


def test_closure_scopes() -> None:
    base = tiny_clinic()
    monday = base.block_by_id["MON-EVE"]
    clinic = replace(base, closures=(Closure(WEEK, room="R1"), Closure(WEEK, therapist="T2")))
    assert not clinic.is_closed(monday)
    assert clinic.is_closed(monday, room="R1")
    assert not clinic.is_closed(monday, room="OFFICE")
    assert clinic.is_closed(monday, therapist="T2")
    whole = replace(base, closures=(Closure(WEEK),))
    assert whole.is_closed(monday)
    assert not whole.is_closed(base.block_by_id["WED-EVE"])


def test_closure_naming_room_and_therapist_closes_both() -> None:
    base = tiny_clinic()
    monday = base.block_by_id["MON-EVE"]
    clinic = replace(base, closures=(Closure(WEEK, room="R1", therapist="T2"),))
    assert clinic.is_closed(monday, room="R1")
    assert clinic.is_closed(monday, therapist="T2")
    assert not clinic.is_closed(monday)
    assert not clinic.is_closed(monday, room="OFFICE")
    assert not clinic.is_closed(monday, therapist="T1")
    assert not clinic.is_closed(base.block_by_id["WED-EVE"], room="R1")


def test_overnight_window_on_the_week_clock() -> None:
    night = Window.clock(Weekday.MON, 22 * 60, 7 * 60)
    assert night == Window(Weekday.MON, 22 * 60, 31 * 60) and night.overnight
    assert night.minutes == 9 * 60 and str(night) == "Mon 22:00–Tue 07:00"
    assert night.overlaps(Window(Weekday.TUE, 6 * 60, 9 * 60))
    assert not night.overlaps(Window(Weekday.TUE, 8 * 60, 9 * 60))
    assert night.overlaps(Window(Weekday.TUE, 7 * 60 + 30, 9 * 60), gap=31)
    assert night.contains(Window(Weekday.TUE, 0, 60))


def test_windows_meet_across_midnight_with_the_buffer() -> None:
    # Issue 14: a session ending 23:45 Monday, a shift from 00:00 Tuesday, 30 minutes' buffer.
    session = Window(Weekday.MON, 20 * 60 + 45, 23 * 60 + 45)
    shift = Window(Weekday.TUE, 0, 8 * 60)
    assert session.overlaps(shift, gap=30) and shift.overlaps(session, gap=30)
    assert not session.overlaps(shift, gap=15)


def test_the_week_wraps_from_sunday_night_into_monday() -> None:
    sunday_night = Window.clock(Weekday.SUN, 22 * 60, 7 * 60)
    monday = Window(Weekday.MON, 7 * 60 + 15, 10 * 60)
    assert sunday_night.overlaps(monday, gap=30) and monday.overlaps(sunday_night, gap=30)
    assert Window(Weekday.SUN, 23 * 60, 24 * 60).overlaps(Window(Weekday.MON, 0, 60), gap=1)
    assert sunday_night.contains(Window(Weekday.MON, 60, 120))


def test_covered_merges_across_midnight_and_the_week_end() -> None:
    evening = Window(Weekday.SUN, 20 * 60, 24 * 60)
    morning = Window(Weekday.MON, 0, 8 * 60)
    assert covered((evening, morning), Window.clock(Weekday.SUN, 22 * 60, 2 * 60))
    assert not covered((evening,), Window.clock(Weekday.SUN, 22 * 60, 2 * 60))


@pytest.mark.parametrize(("start", "end"), [(9 * 60, 9 * 60), (22 * 60, 22 * 60)])
def test_a_window_is_shorter_than_a_day(start: int, end: int) -> None:
    with pytest.raises(RecordError) as err:
        Window.clock(Weekday.MON, start, end)
    assert err.value.field == "end"


def test_a_block_stays_within_its_day() -> None:
    with pytest.raises(RecordError) as err:
        Block("NIGHT", "MAIN", BlockKind.GROUP, Window.clock(Weekday.MON, 22 * 60, 1 * 60))
    assert err.value.field == "end" and err.value.fix is not None


def _worker(*windows: Window) -> Patient:
    return patient("P1", commitments=tuple(Commitment(CommitmentKind.WORK, w) for w in windows))


def test_night_work_ends() -> None:
    day = 24 * 60
    # Mon 22:00–Tue 07:00 ends Tuesday 07:00 on the week clock.
    assert _worker(Window.clock(Weekday.MON, 22 * 60, 7 * 60)).night_work_ends == (day + 420,)
    # A shift from 00:00 is night work; an evening ending at 24:00 is not.
    assert _worker(Window(Weekday.TUE, 0, 8 * 60)).night_work_ends == (day + 480,)
    assert _worker(Window(Weekday.MON, 16 * 60, 24 * 60)).night_work_ends == ()
    # Two rows that touch at midnight are one night, ending Tuesday 07:00.
    split = _worker(Window(Weekday.MON, 22 * 60, 24 * 60), Window(Weekday.TUE, 0, 7 * 60))
    assert split.night_work_ends == (day + 420,)
    # Sunday night ends on Monday morning: the week wraps.
    assert _worker(Window.clock(Weekday.SUN, 23 * 60, 6 * 60)).night_work_ends == (360,)
    assert _worker(Window(Weekday.MON, 9 * 60, 17 * 60)).night_work_ends == ()


def test_rested_after_night_work() -> None:
    p = _worker(Window.clock(Weekday.SUN, 23 * 60, 7 * 60))  # ends Monday 07:00
    assert not p.rested(Window(Weekday.MON, 9 * 60, 12 * 60), 360)
    assert not p.rested(Window(Weekday.MON, 12 * 60, 13 * 60), 360)
    assert p.rested(Window(Weekday.MON, 13 * 60, 16 * 60), 360)
    assert p.rested(Window(Weekday.MON, 9 * 60, 12 * 60), 0)
    assert p.rested(Window(Weekday.SUN, 18 * 60, 21 * 60), 360)  # before the night: T2's job


def test_a_curriculum_item_of_a_womens_group_is_not_asked_of_men() -> None:
    base = tiny_clinic()
    women = replace(base.session_types[0], sexes=frozenset({Sex.FEMALE}))
    clinic = replace(base, session_types=(women, *base.session_types[1:]))
    item = clinic.curriculum[0]
    assert women.admits(Sex.FEMALE) and not women.admits(Sex.MALE)
    assert required_sessions(clinic, patient("F", sex=Sex.FEMALE), item) == 3
    assert required_sessions(clinic, patient("M", sex=Sex.MALE), item) == 0
