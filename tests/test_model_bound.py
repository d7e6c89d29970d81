"""The count bound's relaxation (scheduler.model.bound): what it sees, and that it stays
a bound (never below what a real solve places)."""

from __future__ import annotations

from factory import group_type, individual_type, therapist, tiny_clinic

from scheduler.generator import sample_clinic
from scheduler.model import SolveOptions, solve
from scheduler.model.bound import Bounds, count_bound, relaxation_bounds
from scheduler.model.constraints import seats_per_leader
from scheduler.model.instance import Instance
from scheduler.model.objective import patient_costs

OPTIONS = SolveOptions(time_limit_s=5.0, seed=0, workers=2)


def _bounds(clinic: object) -> tuple[Bounds, dict[str, int]]:
    inst = Instance(clinic)  # type: ignore[arg-type]
    costs = patient_costs(inst)
    return relaxation_bounds(inst, costs, 5.0, 5.0, 0), costs


def test_individual_slots_bound_the_count() -> None:
    # Four patients of T1 and three individual slots a week: one cannot be placed.
    clinic = tiny_clinic(4)
    bounds, costs = _bounds(clinic)
    assert bounds.count == 3
    assert bounds.points == min(costs.values())
    schedule = solve(clinic, OPTIONS)
    assert len(schedule.placed_patients) == 3
    assert schedule.stats.placed_bound == 3
    assert schedule.stats.status == "OPTIMAL"


def test_group_leaders_bound_the_count() -> None:
    # One therapist leads at most one group of two a night, three nights: six seats, and
    # each patient needs three. The weighted LP bound alone would allow all five.
    clinic = tiny_clinic(
        5,
        session_types=(group_type("GT", max_size=2), individual_type()),
        therapists=(therapist("T1"),),
    )
    bounds, _ = _bounds(clinic)
    assert bounds.count == 2
    schedule = solve(clinic, OPTIONS)
    assert len(schedule.placed_patients) == 2
    assert schedule.stats.placed_bound == 2


def test_bound_never_below_a_solved_schedule() -> None:
    clinic = tiny_clinic(6)
    bounds, costs = _bounds(clinic)
    schedule = solve(clinic, OPTIONS)
    placed = schedule.placed_patients
    assert bounds.count >= len(placed)
    assert bounds.points <= sum(c for pid, c in costs.items() if pid not in placed)


def test_seats_per_leader_covers_a_full_cofacilitated_group() -> None:
    assert seats_per_leader(group_type("A", max_size=12, cofacilitator_above=10)) == 10
    assert seats_per_leader(group_type("B", max_size=11, cofacilitator_above=4)) == 6
    assert seats_per_leader(group_type("C", max_size=8)) == 8


def test_a_limit_reached_in_presolve_proves_nothing() -> None:
    # Cut off before its search starts, the relaxation reports a bound of 0: that is no
    # bound, and must not be read as "nobody can be placed".
    inst = Instance(sample_clinic())
    costs = patient_costs(inst)
    assert count_bound(inst, 0.0, 0.0, 0) == len(inst.patients)
    cut = relaxation_bounds(inst, costs, 0.0, 0.0, 0)
    assert cut.count == len(inst.patients) and cut.points == 0
