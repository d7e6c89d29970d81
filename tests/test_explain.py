"""Reasons for unplaced patients, in coordinator words."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

from factory import (
    WEEK,
    FamilyCadence,
    family_type,
    group_type,
    individual_type,
    patient,
    room,
    therapist,
    tiny_clinic,
    window,
)
from solved import solved, unplaced

from scheduler.domain import Clinic, Closure, Commitment, CommitmentKind, Patient, Sex, Weekday
from scheduler.explain import describe_commitments, explain_unplaced
from scheduler.schedule import Session


def work(day: Weekday, start: str, end: str) -> Commitment:
    return Commitment(CommitmentKind.WORK, window(day, start, end))


def test_commitments_read_like_a_coordinator_writes_them() -> None:
    weekdays = tuple(work(d, "08:00", "17:30") for d in tuple(Weekday)[:5])
    school = Commitment(CommitmentKind.SCHOOL, window(Weekday.SAT, "09:00", "12:00"))
    assert describe_commitments(weekdays) == "works Mon–Fri 08:00–17:30"
    text = describe_commitments((*weekdays[:1], weekdays[2], school))
    assert text == "works Mon, Wed 08:00–17:30; school Sat 09:00–12:00"


def test_no_free_block_names_the_commitments_and_buffer() -> None:
    weekdays = tuple(work(d, "08:00", "17:45") for d in tuple(Weekday)[:5])
    busy = patient("P1", commitments=weekdays)
    clinic = replace(tiny_clinic(), patients=(busy,))
    reason = explain_unplaced(clinic, [], "P1")
    assert "No group block is free" in reason
    assert "30-minute travel buffer" in reason and "works Mon–Fri 08:00–17:45" in reason


def test_too_few_free_blocks_for_the_curriculum() -> None:
    busy = patient("P1", commitments=(work(Weekday.FRI, "17:00", "23:00"),))
    clinic = replace(tiny_clinic(), patients=(busy,))
    reason = explain_unplaced(clinic, [], "P1")
    assert "needed 3× a week but only 2" in reason and "MON-EVE, WED-EVE" in reason
    assert "FRI-EVE clash with their commitments (works Fri 17:00–23:00) and the 30-minute" in (
        reason
    )


def test_full_groups_are_listed_with_their_sizes() -> None:
    clinic = tiny_clinic(3, rooms=(room("R1", capacity=2), room("OFFICE", capacity=2)))
    sessions = [
        Session(f"W0-{b}-GT-1", f"GT-{b}-1", 0, b, "GT", "R1", ("T2",), ("P1", "P2"))
        for b in ("MON-EVE", "WED-EVE", "FRI-EVE")
    ]
    reason = explain_unplaced(clinic, sessions, "P3")
    assert reason.startswith("Every adult group in their free blocks is full at")
    assert "MON-EVE GT 2/2" in reason


def test_primary_therapist_booked_at_every_individual_slot() -> None:
    afternoons = (work(Weekday.WED, "15:00", "16:45"), work(Weekday.FRI, "15:00", "16:45"))
    only_monday = patient("P2", commitments=afternoons)
    clinic = replace(tiny_clinic(), patients=(patient("P1"), only_monday))
    taken = [
        Session(
            "W0-MON-IND-IND-1", "IND-MON-IND-1", 0, "MON-IND", "IND", "OFFICE", ("T1",), ("P1",)
        )
    ]
    reason = explain_unplaced(clinic, taken, "P2")
    assert "primary therapist T1 fits only MON-IND" in reason


def test_caseload_full() -> None:
    clinic = tiny_clinic(2, therapists=(therapist("T1", caseload_cap=1), therapist("T2")))
    sessions = [
        Session("W0-MON-EVE-GT-1", "GT-MON-EVE-1", 0, "MON-EVE", "GT", "R1", ("T2",), ("P1",))
    ]
    assert "caseload is full (1/1)" in explain_unplaced(clinic, sessions, "P2")


def test_a_reason_is_given_even_when_no_single_cause_is_found() -> None:
    # Discharged on Tuesday: nothing of the curriculum is owed pro rata, no data names a
    # cause, yet an unplaced patient always has a reason (P1).
    leaving = patient("P4", discharge=WEEK + dt.timedelta(days=1))
    clinic = replace(tiny_clinic(3), patients=(*tiny_clinic(3).patients, leaving))
    assert explain_unplaced(clinic, [], "P4").strip()


# --------------------------------------------------------------------------------------
# Each reason against a schedule the solver found, where its cause binds.


def new(ident: str, primary: str = "T1", **kw: Any) -> Patient:
    """A new admission, starting on the planning week's Monday."""
    return patient(ident, primary, **({"admission": WEEK} | kw))


def test_target_above_the_track_maximum_is_said() -> None:
    keen = patient("P4", "T2", hours_target=25)
    clinic = replace(tiny_clinic(3), patients=(*tiny_clinic(3).patients, keen))
    schedule = solved(clinic)
    assert unplaced(schedule) == {
        "P4": "Their target of 25 hours a week is above the adult track's maximum of 19 "
        "hours: lower hours_target on the Patients sheet or raise adult_max_hours on the "
        "Clinic sheet."
    }


def test_target_more_than_the_free_blocks_give() -> None:
    # One group block a day on three days and an hour of counselling: 10 hours at most.
    keen = patient("P4", "T2", hours_target=12)
    clinic = replace(tiny_clinic(3), patients=(*tiny_clinic(3).patients, keen))
    reason = unplaced(solved(clinic))["P4"]
    assert reason == (
        "Their free blocks give at most 10 hours a week (1 group block(s) a day at most), "
        "below their target of 12 hours."
    )


def test_the_only_patient_of_their_sex_in_a_single_sex_group() -> None:
    types = (group_type("GT", single_sex=True), individual_type())
    base = tiny_clinic(3, session_types=types)
    clinic = replace(base, patients=(*base.patients, patient("P4", "T2", sex=Sex.MALE)))
    assert unplaced(solved(clinic)) == {
        "P4": "GT groups are single-sex with at least 2 patients, and they are the only "
        "male adult patient who could attend them."
    }


def seats_for_four(*patients: Patient) -> Clinic:
    """Two rooms of two and two group leaders: four group seats a block, for five."""
    rooms = (room("R1", capacity=2), room("OFFICE", capacity=2))
    return tiny_clinic(rooms=rooms, patients=patients)


def test_continuing_patients_placed_first_is_said_when_true() -> None:
    continuing = [patient(f"P{i}", "T1" if i <= 2 else "T2") for i in range(1, 5)]
    clinic = seats_for_four(*continuing, new("P5", "T2"))
    reason = unplaced(solved(clinic))["P5"]
    assert reason.startswith("Every adult group in their free blocks is full at")
    assert reason.endswith("with continuing patients, who are placed first.")


def test_same_admission_date_is_never_told_others_came_first() -> None:
    admitted = [new(f"P{i}", "T1" if i <= 2 else "T2") for i in range(1, 6)]
    schedule = solved(seats_for_four(*admitted))
    ((_, reason),) = unplaced(schedule).items()
    assert "placed first" not in reason and "earlier admissions" not in reason
    assert reason.endswith("with patients of the same priority as them.")


def test_earlier_admission_placed_first_names_the_date() -> None:
    monday = [new(f"P{i}", "T1" if i <= 2 else "T2") for i in range(1, 5)]
    tuesday = new("P5", "T2", admission=WEEK + dt.timedelta(days=1))
    # Admitted Tuesday, P5 owes 2 groups (6 of 7 days); four seats a block are taken.
    schedule = solved(seats_for_four(*monday, tuesday))
    reason = unplaced(schedule)["P5"]
    assert "with patients admitted before 08 Dec, who are placed first." in reason


def test_seats_held_by_lower_priority_patients_are_not_called_a_cause() -> None:
    # Full groups seated with new admissions are not why a continuing patient is out:
    # under lexicographic placement (P3) they keep those seats only if the continuing
    # patient could not use them. Said in words, not blamed on the groups.
    clinic = seats_for_four(*(new(f"P{i}") for i in range(1, 5)), patient("P5"))
    sessions = [
        Session(f"W0-{b}-GT-{k}", f"GT-{b}-{k}", 0, b, "GT", r, (t,), pair)
        for b in ("MON-EVE", "WED-EVE", "FRI-EVE")
        for k, (r, t, pair) in enumerate(
            (("R1", "T1", ("P1", "P2")), ("OFFICE", "T2", ("P3", "P4"))), start=1
        )
    ]
    reason = explain_unplaced(clinic, sessions, "P5")
    assert "; 4 of those seats are held by patients placed after them in priority" in reason
    assert reason.endswith("would still not give them a legal week.")
    assert "placed first" not in reason


def test_the_fallback_claims_no_priority_nobody_has() -> None:
    # GT may be led only by T2, who works six hours a week: two groups, never three.
    types = (group_type("GT", credentials=frozenset({"CADC"})), individual_type())
    staff = (
        therapist("T1"),
        therapist("T2", frozenset({"CADC"}), max_hours_week=6, max_hours_day=3),
    )
    clinic = tiny_clinic(3, session_types=types, therapists=staff)
    reasons = unplaced(solved(clinic))
    assert set(reasons) == {"P1", "P2", "P3"}
    for reason in reasons.values():
        assert "placed first" not in reason
        assert reason == (
            "GT is needed 3× a week, but 0 GT group(s) with room run in their free blocks and "
            "the therapists who may lead it there have hours left for 2 more (T2 0 of 6 h "
            "booked)."
        )


def test_what_the_groups_hold_when_no_single_cause_is_found() -> None:
    # Friday's only group room seats three; four patients of one priority need it.
    rooms = (
        room("R1", availability=(window(Weekday.MON, "08:00", "22:00"),)),
        room("R2", capacity=3, availability=(window(Weekday.FRI, "08:00", "22:00"),)),
        room("R3", availability=(window(Weekday.WED, "08:00", "22:00"),)),
        room("OFFICE", capacity=1),
    )
    four = [patient(f"P{i}", "T1" if i <= 2 else "T2") for i in range(1, 5)]
    schedule = solved(tiny_clinic(rooms=rooms, patients=tuple(four)))
    ((_, reason),) = unplaced(schedule).items()
    assert reason.startswith("Could not be fitted with the other patients. Their free blocks")
    assert "FRI-EVE GT 3/3 full, MON-EVE GT 3/12, WED-EVE GT 3/12" in reason
    assert reason.endswith("they need GT 3× a week on at least 3 day(s).")


def test_primary_therapist_out_of_weekly_hours() -> None:
    staff = (
        therapist("T1", max_hours_week=2, max_hours_day=2),
        therapist("T2", frozenset({"CADC"})),
    )
    reasons = unplaced(solved(tiny_clinic(3, therapists=staff)))
    ((_, reason),) = reasons.items()
    assert reason == (
        "Their primary therapist T1 is booked for 2 of their 2 hours this week, leaving no "
        "time for Individual counseling."
    )


def test_primary_therapist_booked_at_every_slot_in_a_solved_week() -> None:
    # Three individual slots a week, four patients of T1.
    schedule = solved(tiny_clinic(4))
    ((_, reason),) = unplaced(schedule).items()
    assert "with their primary therapist T1 fits only MON-IND, WED-IND, FRI-IND" in reason
    assert reason.endswith(
        "and T1 is booked at those times (leading 3 individual or family session(s))."
    )


def test_blocks_without_a_group_of_their_kind_are_listed_together() -> None:
    clinic = tiny_clinic(3)
    only_monday = [
        Session("W0-MON-EVE-GT-1", "GT-MON-EVE-1", 0, "MON-EVE", "GT", "R1", ("T2",), ("P1", "P2"))
    ]
    reason = explain_unplaced(clinic, only_monday, "P3")
    assert "Their free blocks hold: MON-EVE GT 2/12, no adult GT group in WED-EVE, FRI-EVE;" in (
        reason
    )


def test_a_closure_is_named_as_the_cause_not_commitments() -> None:
    # Wednesday closed: three groups a week cannot be had, and nobody has commitments.
    clinic = replace(tiny_clinic(3), closures=(Closure(WEEK + dt.timedelta(days=2)),))
    reasons = unplaced(solved(clinic))
    assert set(reasons) == {"P1", "P2", "P3"}
    assert reasons["P1"].startswith(
        "GT is needed 3× a week but only 2 of its blocks are open to them (free: MON-EVE, "
        "FRI-EVE; WED-EVE closed)."
    )
    assert "commitments" not in reasons["P1"]


def test_a_week_closed_throughout_is_said_as_closures_not_dates() -> None:
    week = tuple(Closure(WEEK + dt.timedelta(days=d)) for d in range(7))
    clinic = replace(tiny_clinic(3), closures=week)
    reason = explain_unplaced(clinic, [], "P1")
    assert reason == "No group block is free for them: MON-EVE, WED-EVE, FRI-EVE closed."
    assert set(unplaced(solved(clinic))) == {"P1", "P2", "P3"}


def test_a_family_session_counts_towards_the_hours_a_patient_can_reach() -> None:
    # Three groups, individual counselling and a weekly family hour: 11 hours, P4's target.
    keen = patient(
        "P4",
        "T2",
        hours_target=11,
        family_cadence=FamilyCadence.WEEKLY,
        family_availability=(window(Weekday.MON, "16:00", "18:00"),),
    )
    # T1 alone may lead family therapy: P3 sees T2, so T1 has a slot for it.
    types = (group_type("GT"), individual_type(), family_type())
    others = (patient("P1"), patient("P2"), patient("P3", "T2"))
    clinic = tiny_clinic(session_types=types, patients=(*others, keen))
    assert "hours a week" not in explain_unplaced(clinic, [], "P4")
    assert "P4" in solved(clinic).placed_patients


def test_a_family_session_whose_only_leader_is_booked_then() -> None:
    # T1, the only licensed therapist, holds P1-P3's individual sessions in all three
    # slots; P4's family can come only in the Monday slot.
    family = patient(
        "P4",
        "T2",
        family_cadence=FamilyCadence.WEEKLY,
        family_availability=(window(Weekday.MON, "16:00", "18:00"),),
    )
    base = tiny_clinic(3, session_types=(group_type("GT"), individual_type(), family_type()))
    clinic = replace(base, patients=(*base.patients, family))
    assert unplaced(solved(clinic)) == {
        "P4": "Family therapy is due this week and fits only MON-IND (the family's times), "
        "where every therapist who may lead it (T1) is booked (T1 leading 1 individual or "
        "family session(s))."
    }


def test_unmet_lock_reasons_say_the_binding_cause() -> None:
    from scheduler.explain import unmet_lock_reason

    data = unmet_lock_reason(["L1"], data=["'P1' is not in treatment on Mon 30 Nov"])
    assert "not in treatment" in data and "time limit" not in data
    clash = unmet_lock_reason(["L2"], clashes=["L1"], shared=["therapist T1"])
    assert "lock L1, which is kept" in clash and "both name therapist T1" in clash
    pinned = unmet_lock_reason(["L3", "L4"], data=["they put one GT session in rooms R1, R2"])
    assert "Locks L3, L4" in pinned and "rooms R1, R2" in pinned
    alone = unmet_lock_reason(["L5"], clashes=[])
    assert "whatever the other locks" in alone and "time limit" not in alone
    # Not diagnosed: what the solve proved, and only an unproven solve is told that more
    # time may keep it.
    assert "time limit" in unmet_lock_reason(["L5"], clashes=None, proven=False)
    proven = unmet_lock_reason(["L5"], clashes=None, proven=True)
    assert "dropping another lock" in proven and "time limit" not in proven
