"""New admissions drawn from the clinic's own mix: deterministic for a seed, nested across
rates, copies of real profiles with new IDs and dates in the horizon, and solvable."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import replace

import pytest
from factory import WEEK, patient, therapist, tiny_clinic
from solved import solved

from scheduler.domain import (
    Clinic,
    Commitment,
    CommitmentKind,
    FamilyCadence,
    Patient,
    Sex,
    TimePreference,
    Weekday,
    Window,
)
from scheduler.whatif.admissions import add_admissions


def _mixed(weeks: int = 2) -> Clinic:
    """A clinic whose patients differ in every copied field, so a copy shows its source."""
    work = Commitment(CommitmentKind.WORK, Window(Weekday.TUE, 9 * 60, 17 * 60))
    patients = (
        patient("P1", sex=Sex.MALE, preference=TimePreference.EVENING, commitments=(work,)),
        patient("P2", sex=Sex.FEMALE, family_cadence=FamilyCadence.WEEKLY),
        patient("P3", primary="T2", telehealth_ok=True, discharge=WEEK + dt.timedelta(days=80)),
    )
    base = tiny_clinic(0)
    return replace(base, settings=replace(base.settings, weeks=weeks), patients=patients)


def _new(clinic: Clinic, per_week: int, seed: int = 0) -> list[Patient]:
    before = {p.id for p in clinic.patients}
    return [p for p in add_admissions(clinic, per_week, seed=seed).patients if p.id not in before]


def test_the_same_seed_gives_the_same_admissions_and_another_seed_others() -> None:
    clinic = _mixed()
    assert _new(clinic, 6, seed=4) == _new(clinic, 6, seed=4)
    assert _new(clinic, 6, seed=4) != _new(clinic, 6, seed=5)


def test_a_smaller_rate_is_the_start_of_a_larger_one() -> None:
    clinic = _mixed()
    small, large = _new(clinic, 2, seed=1), _new(clinic, 5, seed=1)
    for week in range(2):
        in_week = [p for p in large if p.id.startswith(f"ADM-W{week}-")]
        assert [p for p in small if p.id.startswith(f"ADM-W{week}-")] == in_week[:2]


def test_admissions_copy_a_profile_with_a_new_id_in_each_week_of_the_horizon() -> None:
    clinic = _mixed(weeks=2)
    new = _new(clinic, 4, seed=2)
    assert len(new) == 8 and len({p.id for p in new}) == 8
    assert not {p.id for p in new} & {p.id for p in clinic.patients}
    per_week = Counter((p.admission - WEEK).days // 7 for p in new)
    assert per_week == {0: 4, 1: 4}
    for p in new:
        source = [
            q
            for q in clinic.patients
            if (q.sex, q.preference, q.commitments, q.family_cadence, q.telehealth_ok)
            == (p.sex, p.preference, p.commitments, p.family_cadence, p.telehealth_ok)
        ]
        assert source, f"{p.id} copies no patient's profile"
        assert p.discharge >= p.admission
        assert p.admission.weekday() == 0  # a Monday: in the plan of the week it is counted in
        assert "New admission" in p.name


def test_primaries_go_to_the_most_caseload_room_and_to_a_new_hire_first() -> None:
    clinic = _mixed(weeks=1)
    hired = replace(clinic, therapists=(*clinic.therapists, therapist("T9", caseload_cap=2)))
    primaries = [p.primary_therapist for p in _new(hired, 4, seed=0)]
    # Caseload room left: T1 24 - 2 = 22, T2 24 - 1 = 23, T9 (a new hire) 2 - 0 = 2. T2
    # first, then T1 and T2 by turns (ties by ID); T9 never has the most room.
    assert primaries == ["T2", "T1", "T2", "T1"]
    assert "T9" not in primaries
    wide = replace(clinic, therapists=(*clinic.therapists, therapist("T9", caseload_cap=40)))
    assert _new(wide, 1, seed=0)[0].primary_therapist == "T9"


def test_zero_admissions_leave_the_clinic_as_it_is_and_negative_is_refused() -> None:
    clinic = _mixed()
    assert add_admissions(clinic, 0, seed=3) is clinic
    with pytest.raises(ValueError):
        add_admissions(clinic, -1)


def test_a_clinic_with_admissions_solves_and_passes_the_checker() -> None:
    clinic = add_admissions(tiny_clinic(2), 2, seed=0)
    schedule = solved(clinic)  # checked against every rule inside
    assert len(schedule.placed_patients) + len(schedule.unplaced) + len(
        schedule.starting_later
    ) == len(clinic.patients)
