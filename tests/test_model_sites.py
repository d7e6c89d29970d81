"""Site-by-site solving and the proven bound on placements (scheduler.model.sites).

Each site is solved on its own with what earlier sites booked taken out; the merged
schedule must pass the independent checker for the whole clinic and place as many patients
as the joint model on small clinics.
"""

from __future__ import annotations

from dataclasses import replace

from factory import (
    SITE,
    block,
    group_type,
    individual_type,
    patient,
    room,
    therapist,
    tiny_clinic,
)

from scheduler.check import check_schedule
from scheduler.domain import (
    BlockKind,
    Clinic,
    CurriculumItem,
    Lock,
    Room,
    Site,
    Therapist,
    Track,
    Weekday,
)
from scheduler.model import SolveOptions, solve
from scheduler.model.objective import placed_bound
from scheduler.model.sites import day_owners, joint_placed_bound, site_clinic, split_sites
from scheduler.schedule import Schedule

OPTIONS = SolveOptions(time_limit_s=10, workers=1, seed=0)
SITES = (Site("MAIN", "Main"), Site("NORTH", "North"))
DAYS = (Weekday.MON, Weekday.WED, Weekday.FRI)


def two_sites(
    *, shared: bool = False, virtual_only: bool = False, per_site: int = 3, telehealth: bool = True
) -> Clinic:
    """Two sites with the same evening blocks; each site its own group room and therapist,
    unless ``shared`` (one therapist for both) or ``virtual_only`` (one virtual room)."""
    blocks = tuple(
        block(f"{s.id[0]}-{d.name}", d, "18:00", "21:00", site=s.id) for s in SITES for d in DAYS
    ) + tuple(
        block(f"{s.id[0]}-{d.name}-IND", d, "13:00", "14:00", site=s.id, kind=BlockKind.SLOT)
        for s in SITES
        for d in DAYS
    )
    sites = frozenset({"MAIN", "NORTH"})
    therapists: tuple[Therapist, ...]
    rooms: tuple[Room, ...]
    if shared:
        therapists = (therapist("T1", sites=sites),)
    else:
        therapists = (
            therapist("T1", sites=frozenset({"MAIN"})),
            therapist("T2", sites=frozenset({"NORTH"})),
        )
    if virtual_only:
        rooms = (room("VR1", site="", virtual=True), room("OM", capacity=2), _office("ON"))
    else:
        rooms = (
            room("RM"),
            room("RN", site="NORTH"),
            room("OM", capacity=2),
            _office("ON"),
        )
    patients = tuple(
        patient(
            f"{s.id[0]}{i}",
            primary="T1" if shared or s.id == "MAIN" else "T2",
            site=s.id,
            telehealth_ok=telehealth,
        )
        for s in SITES
        for i in range(per_site)
    )
    return tiny_clinic(
        sites=SITES,
        blocks=blocks,
        session_types=(group_type("GT"), individual_type()),
        curriculum=(
            CurriculumItem(Track.ADULT, "GT", 3),
            CurriculumItem(Track.ADULT, "IND", 1),
        ),
        therapists=therapists,
        rooms=rooms,
        patients=patients,
    )


def _office(ident: str) -> Room:
    return room(ident, capacity=2, site="NORTH")


def solved(clinic: Clinic, by_site: bool) -> Schedule:
    s = solve(clinic, replace(OPTIONS, by_site=by_site))
    assert s.stats.status in ("OPTIMAL", "FEASIBLE")
    assert check_schedule(clinic, s) == []
    return s


def test_independent_sites_place_the_same_patients_as_the_joint_model() -> None:
    clinic = two_sites()
    assert split_sites(clinic) == ["MAIN", "NORTH"]
    apart, joint = solved(clinic, True), solved(clinic, False)
    assert apart.placed_patients == joint.placed_patients
    assert len(apart.placed_patients) == 6
    assert apart.stats.status == "OPTIMAL"
    assert apart.stats.placed_bound == 6
    ids = [x.id for x in apart.sessions]
    assert len(ids) == len(set(ids))


def test_therapist_shared_by_two_sites_works_one_site_a_day() -> None:
    # One therapist for both sites: the groups of both sites need all three evenings, so
    # only one site can be placed, whichever way the clinic is solved.
    clinic = two_sites(shared=True)
    apart, joint = solved(clinic, True), solved(clinic, False)
    assert len(apart.placed_patients) == len(joint.placed_patients) == 3
    assert all(reason for reason in (u.reason for u in apart.unplaced))


def test_virtual_room_shared_by_two_sites_hosts_one_group_at_a_time() -> None:
    # The virtual room goes to one site's three patients; the other site seats two in its
    # two-seat office (a group of two is allowed), so five are placed either way.
    clinic = two_sites(virtual_only=True)
    apart, joint = solved(clinic, True), solved(clinic, False)
    assert len(apart.placed_patients) == len(joint.placed_patients) == 5
    vr_groups = [x for x in apart.sessions if x.room == "VR1" and x.session_type == "GT"]
    assert len(vr_groups) == 3 and len({x.block[0] for x in vr_groups}) == 1
    later = site_clinic(clinic, "NORTH", list(apart.sessions))
    assert any(c.room == "VR1" for c in later.closures)
    assert {p.site for p in later.patients} == {"NORTH"}


def test_single_site_clinic_is_not_split() -> None:
    assert split_sites(tiny_clinic(3)) == [SITE]


def test_placed_bound_is_set_and_at_least_placed() -> None:
    s = solved(tiny_clinic(3), False)
    assert s.stats.placed_bound == 3
    # Nobody can be placed: groups need four patients and only three are in the plan.
    none = tiny_clinic(3, session_types=(group_type("GT", min_size=4), individual_type()))
    s = solved(none, False)
    assert s.placed_patients == frozenset() and s.stats.placed_bound == 0


def test_placed_bound_counts_the_cheapest_way_to_reach_the_bound() -> None:
    costs = {"a": 1000, "b": 100, "c": 100}
    assert placed_bound(costs, 0) == 3
    assert placed_bound(costs, 150) == 2  # leaving out "a" alone could cost that much
    assert placed_bound(costs, 1100) == 1
    assert placed_bound(costs, 1200) == 0


def test_individual_session_is_not_waived_because_another_site_took_the_day() -> None:
    # T1 is everyone's primary therapist and works at both sites; each site's individual
    # slots are on Monday only, so T1 can see one site's patients. The other site's patients
    # are not excused from W4 (it is waived only when no slot exists in the whole clinic):
    # they stay unplaced, and the checker agrees with the merged schedule.
    both = frozenset({"MAIN", "NORTH"})
    blocks = tuple(
        block(f"{s.id[0]}-{d.name}", d, "18:00", "21:00", site=s.id) for s in SITES for d in DAYS
    ) + tuple(
        block(f"{s.id[0]}-MON-{h}", Weekday.MON, f"{h}:00", f"{h + 1}:00", BlockKind.SLOT, s.id)
        for s in SITES
        for h in (13, 14)
    )
    clinic = tiny_clinic(
        sites=SITES,
        blocks=blocks,
        therapists=(
            therapist("T1", sites=both),
            therapist("T2", sites=frozenset({"MAIN"})),
            therapist("T3", sites=frozenset({"NORTH"})),
        ),
        rooms=(room("RM"), room("RN", site="NORTH"), room("OM", capacity=2), _office("ON")),
        patients=tuple(patient(f"{s.id[0]}{i}", site=s.id) for s in SITES for i in range(2)),
    )
    apart, joint = solved(clinic, True), solved(clinic, False)
    assert len(apart.placed_patients) == len(joint.placed_patients) == 2


def test_shared_therapist_days_alternate_between_sites() -> None:
    clinic = two_sites(shared=True)
    owners = day_owners(clinic)
    assert owners[("T1", int(Weekday.MON))] == "MAIN"  # equal caseloads: clinic order
    assert owners[("T1", int(Weekday.TUE))] == "NORTH"
    north = site_clinic(clinic, "NORTH", [], owners)
    mondays = [c for c in north.closures if c.therapist == "T1" and c.date.weekday() == 0]
    assert mondays  # Monday belongs to MAIN: T1 is off at NORTH
    assert day_owners(two_sites()) == {}  # nobody shared


def test_bound_on_placements_holds_for_the_whole_clinic() -> None:
    # The bound must hold for every schedule of the whole clinic, not only for the order
    # the sites were solved in: the joint model never places more.
    for clinic in (two_sites(shared=True), two_sites(virtual_only=True)):
        apart, joint = solved(clinic, True), solved(clinic, False)
        assert apart.stats.placed_bound is not None
        assert apart.stats.placed_bound >= len(joint.placed_patients)
        assert apart.stats.placed_bound >= len(apart.placed_patients)


def test_bound_on_placements_sees_each_sites_limits() -> None:
    # MAIN's only therapist takes two patients (G6); NORTH places all three.
    north = frozenset({"NORTH"})
    capped = replace(
        two_sites(),
        therapists=(
            therapist("T1", sites=frozenset({"MAIN"}), caseload_cap=2),
            therapist("T2", sites=north),
        ),
    )
    s = solved(capped, True)
    assert len(s.placed_patients) == 5
    assert s.stats.placed_bound == 5
    assert joint_placed_bound(capped, {"MAIN": 3, "NORTH": 3}, 5, 5, 0) == 5


def test_a_sites_unmet_lock_is_listed_in_the_merged_schedule() -> None:
    """Two individual sessions locked for N0 in a week that allows one, solved site by
    site: the merged schedule lists the unmet one (else the checker's L1 fails)."""
    locks = (
        Lock("A", "N-MON-IND", "IND", patient="N0"),
        Lock("B", "N-WED-IND", "IND", patient="N0"),
    )
    s = solved(replace(two_sites(), locks=locks), True)
    assert len(s.placed_patients) == 6
    assert [u.lock for u in s.unmet_locks] in (["A"], ["B"])
