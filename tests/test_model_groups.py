"""Real groups: the ``small_groups`` and ``parallel_groups`` quality terms each bind on a
tiny clinic (the test fails with the term's weight at 0), and the extraction splits
attendees so that the reported shortfall is the schedule's own."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

import pytest
from factory import block, group_type, patient, room, therapist, tiny_clinic

from scheduler.check import check_schedule
from scheduler.domain import Band, Clinic, CurriculumItem, Patient, Track, Weekday
from scheduler.model import SolveOptions, Weights, solve
from scheduler.model.extract import _balanced, _Group
from scheduler.schedule import Schedule

OPTIONS = SolveOptions(time_limit_s=10, workers=1, seed=0)


def one_morning(patients: tuple[Patient, ...], rooms: int, capacity: int, **gt: object) -> Clinic:
    """One daytime group block a week (no evening hours to price), GT once a week, one
    therapist T1..T4 per two patients' primaries, ``rooms`` group rooms."""
    base = tiny_clinic()
    return replace(
        base,
        settings=replace(base.settings, adult_hours=Band(0, 19), min_days_adult=0),
        blocks=(block("MON-AM", Weekday.MON, "09:00", "12:00"),),
        session_types=(group_type("GT", **gt),),
        curriculum=(CurriculumItem(Track.ADULT, "GT", 1),),
        therapists=tuple(therapist(f"T{i}") for i in range(1, 5)),
        rooms=tuple(room(f"R{i}", capacity=capacity) for i in range(1, rooms + 1)),
        patients=patients,
    )


def run(clinic: Clinic, **weights: int) -> Schedule:
    s = solve(clinic, replace(OPTIONS, weights=replace(Weights(), **weights)))
    assert s.stats.status == "OPTIMAL"
    assert check_schedule(clinic, s) == []
    return s


def sizes(s: Schedule) -> list[int]:
    return sorted(len(x.patients) for x in s.sessions)


def shortfall(clinic: Clinic, s: Schedule) -> int:
    """Seats short of the target, counted from the sessions (not from the model)."""
    types = clinic.session_type_by_id
    return sum(max(0, types[x.session_type].target_size - len(x.patients)) for x in s.sessions)


def test_small_groups_fills_two_groups_of_four_not_four_of_two() -> None:
    # Eight patients, two per primary therapist, rooms of four: four groups of two keep every
    # patient with their own therapist; the target size (4) asks for two groups of four.
    pats = tuple(patient(f"P{i}", primary=f"T{(i + 1) // 2}") for i in range(1, 9))
    clinic = one_morning(pats, rooms=4, capacity=4)
    s = run(clinic)
    assert sizes(s) == [4, 4]
    assert s.stats.terms["small_groups"] == shortfall(clinic, s) == 0
    without = run(clinic, small_groups=0)
    assert len(without.sessions) > 2
    assert shortfall(clinic, without) > 0


def test_parallel_groups_merges_a_group_one_room_and_leader_could_take() -> None:
    # Three patients of T1 and one of T2; one room seats all four. A group of one for T2's
    # patient keeps them with their own therapist; the parallel term merges it.
    pats = (*(patient(f"P{i}", primary="T1") for i in range(1, 4)), patient("P4", primary="T2"))
    clinic = one_morning(pats, rooms=2, capacity=12, min_size=1, target_min=1)
    s = run(clinic)
    assert sizes(s) == [4]
    assert s.stats.terms["parallel_groups"] == 0
    without = run(clinic, parallel_groups=0)
    assert sizes(without) == [1, 3]
    assert without.stats.terms["continuity"] == 0


def test_small_groups_prices_a_two_seat_office() -> None:
    # Six patients must meet in two groups (rooms of 4 and 2): the office group
    # cannot reach the target of four, so two seats stay short whatever the split.
    pats = tuple(patient(f"P{i}", primary="T1") for i in range(1, 7))
    clinic = one_morning(pats, rooms=1, capacity=4)
    clinic = replace(clinic, rooms=(room("R1", capacity=4), room("OFFICE", capacity=2)))
    s = run(clinic)
    assert sizes(s) == [2, 4]
    assert s.stats.terms["small_groups"] == shortfall(clinic, s) == 2


def lookup(*pids: str, primary: str = "T1") -> dict[str, Patient]:
    return {p: patient(p, primary=primary) for p in pids}


@pytest.mark.parametrize("leaders", [["T1", "T2"], ["T2", "T1"]])
def test_extraction_fills_every_group_to_its_target_first(leaders: list[str]) -> None:
    # Six patients of T1 and two of T2: continuity alone would seat 6 + 2; the target (4)
    # comes first, then as many as possible with their own therapist.
    people = lookup(*(f"A{i}" for i in range(6))) | lookup("B1", "B2", primary="T2")
    groups = [_Group("R1", False, 2, 12, 1), _Group("R2", False, 2, 12, 1)]
    assert _balanced(groups, list(people), leaders, people, {}, 4)
    by_leader = {g.leaders[0]: g.patients for g in groups}
    assert sorted(len(g.patients) for g in groups) == [4, 4]
    assert set(by_leader["T2"]) >= {"B1", "B2"}


def test_extraction_keeps_alike_patients_together() -> None:
    people = lookup("A", "B", "C", "D")
    groups = [_Group("R1", False, 2, 12, 1), _Group("R2", False, 2, 12, 1)]
    signature = {"A": (1,), "B": (2,), "C": (1,), "D": (2,)}
    assert _balanced(groups, list(people), ["T1", "T2"], people, signature, 2)
    assert Counter(frozenset(g.patients) for g in groups) == Counter(
        [frozenset({"A", "C"}), frozenset({"B", "D"})]
    )
