"""Records check themselves; the clinic checks its cross-references."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest
from factory import WEEK, patient, room, tiny_clinic, window

from scheduler.domain import (
    ClinicError,
    ClinicSettings,
    Closure,
    Commitment,
    CommitmentKind,
    FamilyCadence,
    Lock,
    RecordError,
    Weekday,
    Window,
    covered,
)


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
