"""Hypothesis-generated small clinics solve, and every schedule passes the checker."""

from __future__ import annotations

import datetime as dt

from factory import WEEK, block, group_type, patient, room, therapist, tiny_clinic, window
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scheduler.check import check_schedule
from scheduler.domain import (
    Commitment,
    CommitmentKind,
    CurriculumItem,
    Sex,
    TimePreference,
    Track,
    Weekday,
)
from scheduler.model import SolveOptions, solve

DAYS = tuple(Weekday)[:6]


@st.composite
def commitments(draw: st.DrawFn) -> tuple[Commitment, ...]:
    out = []
    for _ in range(draw(st.integers(0, 3))):
        day = draw(st.sampled_from(DAYS))
        start = draw(st.integers(6, 20))
        length = draw(st.integers(1, 9))
        end = min(start + length, 24)
        out.append(Commitment(CommitmentKind.WORK, window(day, f"{start}:00", f"{end}:00")))
    return tuple(out)


@st.composite
def clinics(draw: st.DrawFn) -> object:
    n = draw(st.integers(3, 8))
    pats = []
    for i in range(n):
        adolescent = draw(st.booleans()) and i % 3 == 0
        pats.append(
            patient(
                f"P{i + 1}",
                primary=draw(st.sampled_from(("T1", "T2"))),
                track=Track.ADOLESCENT if adolescent else Track.ADULT,
                sex=draw(st.sampled_from((Sex.FEMALE, Sex.MALE))),
                admission=WEEK + dt.timedelta(days=draw(st.integers(-20, 3))),
                telehealth_ok=draw(st.booleans()),
                preference=draw(st.sampled_from(tuple(TimePreference))),
                commitments=draw(commitments()),
            )
        )
    base = tiny_clinic()
    extra = (
        block("TUE-AM", Weekday.TUE, "09:00", "12:00"),
        block("THU-EVE", Weekday.THU, "18:00", "21:00"),
        block("SAT-AM", Weekday.SAT, "09:00", "12:00"),
    )
    return tiny_clinic(
        blocks=base.blocks + extra,
        session_types=(
            group_type("GT", max_size=draw(st.integers(4, 8)), cofacilitator_above=3),
            group_type("SB", single_sex=draw(st.booleans())),
            *base.session_types[1:],
        ),
        curriculum=(
            CurriculumItem(Track.ADULT, "GT", 2),
            CurriculumItem(Track.ADULT, "SB", 1),
            CurriculumItem(Track.ADULT, "IND", 1),
            CurriculumItem(Track.ADOLESCENT, "GT", 2),
        ),
        therapists=(therapist("T1", caseload_cap=draw(st.integers(2, 8))), therapist("T2")),
        rooms=(
            room("R1", capacity=draw(st.integers(2, 8))),
            room("R2", capacity=4),
            room("OFFICE", capacity=2),
            room("VR", virtual=True, site=""),
        ),
        patients=tuple(pats),
    )


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(clinics())
def test_random_small_clinics_pass_the_checker(clinic: object) -> None:
    from scheduler.domain import Clinic

    assert isinstance(clinic, Clinic)
    s = solve(clinic, SolveOptions(time_limit_s=10, workers=1))
    assert s.stats.status in ("OPTIMAL", "FEASIBLE")
    assert check_schedule(clinic, s) == []
    in_plan = {p.id for p in clinic.patients}
    assert s.placed_patients | {u.patient for u in s.unplaced} == in_plan
    assert all(u.reason.strip() for u in s.unplaced)
