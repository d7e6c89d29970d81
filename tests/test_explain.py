"""Reasons for unplaced patients, in coordinator words."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from factory import WEEK, patient, room, therapist, tiny_clinic, window

from scheduler.domain import Commitment, CommitmentKind, Weekday
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
