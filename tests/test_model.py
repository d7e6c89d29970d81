"""The CP-SAT model: every hard rule of docs/RULES.md binds on a tiny instance.

Each rule test solves the instance twice. With the rule, the schedule passes the
independent checker and shows the expected outcome; with the rule dropped (``off``, for
tests only) the checker reports that very rule — so the instance really binds it and the
test would fail if the model stopped enforcing it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest
from factory import (
    LICENSED,
    WEEK,
    block,
    family_type,
    group_type,
    individual_type,
    patient,
    room,
    therapist,
    tiny_clinic,
    window,
)

from scheduler.check import check_schedule
from scheduler.domain import (
    Band,
    BlockKind,
    Clinic,
    Closure,
    Commitment,
    CommitmentKind,
    CurriculumItem,
    FamilyCadence,
    Lock,
    Phase,
    Room,
    Sex,
    Site,
    Therapist,
    Track,
    Weekday,
    Window,
)
from scheduler.model import ModelInvalidError, ProgressEvent, SolveOptions, Weights, solve
from scheduler.schedule import Schedule

OPTIONS = SolveOptions(time_limit_s=10, workers=1, seed=0)
GT_ONLY = (CurriculumItem(Track.ADULT, "GT", 3),)


def run(clinic: Clinic, off: frozenset[str] = frozenset(), **kw: object) -> Schedule:
    schedule = solve(clinic, replace(OPTIONS, **kw), off=off)  # type: ignore[arg-type]
    assert schedule.stats.status in ("OPTIMAL", "FEASIBLE")
    if not off:
        assert check_schedule(clinic, schedule) == []
    return schedule


def binds(rule: str, clinic: Clinic) -> Schedule:
    """Solve with and without ``rule``; without it the checker must report it."""
    with_rule = run(clinic)
    without = run(clinic, off=frozenset({rule}))
    assert rule in {v.rule for v in check_schedule(clinic, without)}, (
        f"{rule} does not bind on this instance"
    )
    return with_rule


def work(day: Weekday, start: str, end: str) -> Commitment:
    return Commitment(CommitmentKind.WORK, window(day, start, end))


def placed(s: Schedule) -> set[str]:
    return set(s.placed_patients)


def unplaced(s: Schedule) -> dict[str, str]:
    return {u.patient: u.reason for u in s.unplaced}


def gt_clinic(n: int = 3, **kw: object) -> Clinic:
    """tiny_clinic with the group curriculum only (no individual session)."""
    tables: dict[str, object] = {"curriculum": GT_ONLY, "session_types": (group_type("GT"),)}
    tables.update(kw)
    return tiny_clinic(n, **tables)


def adults_and_adolescents(**kw: object) -> Clinic:
    """gt_clinic with GT three times a week for both tracks: adults A1, A2 and adolescents
    Y1, Y2, who may not share a group (S1)."""
    pats = (
        patient("A1"),
        patient("A2"),
        patient("Y1", track=Track.ADOLESCENT),
        patient("Y2", track=Track.ADOLESCENT),
    )
    curriculum = (*GT_ONLY, CurriculumItem(Track.ADOLESCENT, "GT", 3))
    return gt_clinic(len(pats), curriculum=curriculum, patients=pats, **kw)


# ---------------------------------------------------------------------------- basics


def test_tiny_clinic_places_everyone_with_rosters_and_ids() -> None:
    s = run(tiny_clinic(3))
    assert placed(s) == {"P1", "P2", "P3"} and s.unplaced == ()
    assert s.stats.status == "OPTIMAL" and s.stats.gap == 0
    groups = [x for x in s.sessions if x.session_type == "GT"]
    assert sorted(x.block for x in groups) == ["FRI-EVE", "MON-EVE", "WED-EVE"]
    first = next(x for x in groups if x.block == "MON-EVE")
    assert first.id == "W0-MON-EVE-GT-1" and first.code == "GT-MON-EVE-1"
    individual = [x for x in s.sessions if x.session_type == "IND"]
    assert len(individual) == 3 and all(x.therapists == ("T1",) for x in individual)


def test_objective_is_the_weighted_sum_of_reported_terms() -> None:
    s = run(tiny_clinic(3))
    weights = Weights().as_dict()
    total = sum(weights[name] * value for name, value in s.stats.terms.items())
    assert s.stats.objective == pytest.approx(total)
    assert set(s.stats.terms) == set(weights)
    assert s.stats.terms["groups_opened"] == 3


def test_zero_weight_leaves_the_term_out() -> None:
    s = run(tiny_clinic(3), weights=Weights(load_balance=0, spread=0))
    assert "load_balance" not in s.stats.terms and "spread" not in s.stats.terms


def test_model_invalid_raises() -> None:
    with pytest.raises(ModelInvalidError):
        solve(tiny_clinic(2), replace(OPTIONS, weights=Weights(groups_opened=2**62)))


def test_progress_is_reported() -> None:
    events: list[ProgressEvent] = []
    solve(tiny_clinic(3), OPTIONS, events.append)
    assert events and events[-1].placed == 3


def test_same_seed_and_workers_give_the_same_schedule() -> None:
    clinic = tiny_clinic(
        6,
        blocks=(
            *tiny_clinic().blocks,
            block("TUE-EVE", Weekday.TUE, "18:00", "21:00"),
            block("THU-EVE", Weekday.THU, "18:00", "21:00"),
        ),
        rooms=(room("R1"), room("R2"), room("OFFICE", capacity=2)),
    )
    options = replace(OPTIONS, workers=2, deterministic_time=5)
    a = solve(clinic, options)
    b = solve(clinic, options)
    assert a.sessions == b.sessions
    assert a.stats.objective == b.stats.objective


# ---------------------------------------------------------------------------- P


def test_p1_patient_outside_the_plan_is_neither_placed_nor_listed() -> None:
    gone = patient(
        "OLD", admission=WEEK - dt.timedelta(days=60), discharge=WEEK - dt.timedelta(days=1)
    )
    clinic = replace(tiny_clinic(2), patients=(*tiny_clinic(2).patients, gone))
    s = run(clinic)
    assert "OLD" not in placed(s) and "OLD" not in unplaced(s)


def test_p1_unplaceable_patient_is_listed_with_a_reason() -> None:
    busy = patient("P9", commitments=tuple(work(d, "17:00", "23:00") for d in Weekday))
    clinic = replace(tiny_clinic(2), patients=(*tiny_clinic(2).patients, busy))
    s = run(clinic)
    reason = unplaced(s)["P9"]
    assert "No group block is free" in reason and "works Mon–Sun 17:00–23:00" in reason


def test_p2_no_session_after_discharge() -> None:
    # Discharged Wednesday, P1 owes one group (3 of 7 days, W1 pro rata) but works Monday
    # and Wednesday evenings: only Friday's group is free, and it is after discharge.
    busy = (work(Weekday.MON, "17:00", "22:00"), work(Weekday.WED, "17:00", "22:00"))
    leaving = patient("P1", discharge=WEEK + dt.timedelta(days=2), commitments=busy)
    s = binds("P2", replace(gt_clinic(), patients=(leaving, patient("P2"), patient("P3"))))
    assert "P1" in unplaced(s) and {"P2", "P3"} <= placed(s)


# ---------------------------------------------------------------------------- T


def test_t1_therapist_never_leads_two_groups_at_once() -> None:
    # Adults and adolescents meet apart (S1); one therapist can lead only one of them.
    clinic = adults_and_adolescents(therapists=(therapist("T1"),), rooms=(room("R1"), room("R2")))
    s = binds("T1", clinic)
    assert len(placed(s)) == 2


def test_t1_room_hosts_one_group_at_a_time() -> None:
    s = binds("T1", adults_and_adolescents(rooms=(room("R1"),)))
    assert len(placed(s)) == 2


def test_t2_travel_buffer_moves_patient_to_a_later_block() -> None:
    days = (Weekday.MON, Weekday.WED, Weekday.FRI)
    blocks = (
        *tuple(block(f"{d.name}-EVE", d, "18:00", "21:00") for d in days),
        block("MON-LATE", Weekday.MON, "18:30", "21:30"),
    )
    late = patient("P1", commitments=(work(Weekday.MON, "08:00", "17:45"),))
    clinic = gt_clinic(
        blocks=blocks,
        session_types=(group_type("GT", min_size=1),),
        patients=(late, patient("P2"), patient("P3")),
        rooms=(room("R1"), room("R2")),
    )
    s = binds("T2", clinic)
    monday = {x.block for x in s.sessions_by_patient["P1"] if x.block.startswith("MON")}
    assert monday == {"MON-LATE"}


@pytest.mark.parametrize(
    ("day", "start", "shift"),
    [
        # Issue 14: groups end 23:45; P3's shift starts 00:00 on Thursday.
        (Weekday.WED, "20:45", Window(Weekday.THU, 0, 8 * 60)),
        # The week wraps: P3 works Sunday 22:00 to Monday 08:45, one overnight row.
        (Weekday.MON, "09:00", Window.clock(Weekday.SUN, 22 * 60, 8 * 60 + 45)),
    ],
)
def test_t2_travel_buffer_across_midnight(day: Weekday, start: str, shift: Window) -> None:
    """Only three group blocks; the 30-minute buffer costs P3 one of them."""
    days = (Weekday.MON, Weekday.WED, Weekday.FRI)
    times = {
        d: (start, f"{int(start[:2]) + 3:02d}{start[2:]}") if d is day else ("18:00", "21:00")
        for d in days
    }
    blocks = tuple(block(f"{d.name}-GRP", d, *times[d]) for d in days)
    night = Commitment(CommitmentKind.WORK, shift)
    pats = (patient("P1"), patient("P2"), patient("P3", commitments=(night,)))
    staff = (therapist("T1", end="24:00"),)
    awake = replace(tiny_clinic().settings, rest_after_night_min=0)  # T2 alone, not T7
    clinic = gt_clinic(blocks=blocks, patients=pats, therapists=staff, settings=awake)
    s = binds("T2", clinic)
    assert placed(s) == {"P1", "P2"}


@pytest.mark.parametrize("rest", [360, 0])
def test_t7_rest_after_night_work(rest: int) -> None:
    """Groups at noon; P3 works Tuesday 22:00 to Wednesday 07:00, clear of the travel
    buffer but not of six hours' sleep — unless the coordinator turned the rest off."""
    days = (Weekday.MON, Weekday.WED, Weekday.FRI)
    blocks = tuple(block(f"{d.name}-NOON", d, "12:00", "15:00") for d in days)
    night = Commitment(CommitmentKind.WORK, Window.clock(Weekday.TUE, 22 * 60, 7 * 60))
    pats = (patient("P1"), patient("P2"), patient("P3", commitments=(night,)))
    settings = replace(tiny_clinic().settings, rest_after_night_min=rest)
    clinic = gt_clinic(blocks=blocks, patients=pats, settings=settings)
    if rest:
        assert placed(binds("T7", clinic)) == {"P1", "P2"}
    else:
        assert placed(run(clinic)) == {"P1", "P2", "P3"}


def test_t3_group_type_only_in_group_blocks() -> None:
    blocks = (
        *tiny_clinic().blocks,
        block("MON-SLOT-AM", Weekday.MON, "09:00", "10:00", BlockKind.SLOT),
    )
    evening_busy = (work(Weekday.MON, "17:00", "23:00"),)
    pats = tuple(patient(f"P{i}", commitments=evening_busy) for i in (1, 2))
    s = binds("T3", gt_clinic(blocks=blocks, patients=pats))
    assert placed(s) == set()


def test_t4_clinic_closure_moves_groups_to_another_day() -> None:
    blocks = (*tiny_clinic().blocks, block("THU-EVE", Weekday.THU, "18:00", "21:00"))
    closed = (Closure(WEEK + dt.timedelta(days=2), note="holiday"),)  # Wednesday
    s = binds("T4", gt_clinic(blocks=blocks, closures=closed))
    assert {x.block for x in s.sessions} == {"MON-EVE", "THU-EVE", "FRI-EVE"}


def test_t4_therapist_day_off() -> None:
    blocks = (*tiny_clinic().blocks, block("TUE-EVE", Weekday.TUE, "18:00", "21:00"))
    off_monday = (Closure(WEEK, therapist="T1", note="time off"),)
    clinic = gt_clinic(blocks=blocks, therapists=(therapist("T1"),), closures=off_monday)
    s = binds("T4", clinic)
    assert "MON-EVE" not in {x.block for x in s.sessions}


@pytest.mark.parametrize(
    ("rooms", "therapists", "closure"),
    [
        # The one group room is closed by a row that also names T2.
        (
            (room("R1"),),
            (therapist("T1"), therapist("T2")),
            Closure(WEEK, room="R1", therapist="T2"),
        ),
        # The one therapist is off by a row that also names a spare room.
        ((room("R1"), room("R2")), (therapist("T1"),), Closure(WEEK, room="R2", therapist="T1")),
    ],
)
def test_t4_closure_naming_room_and_therapist_closes_both(
    rooms: tuple[Room, ...], therapists: tuple[Therapist, ...], closure: Closure
) -> None:
    # Monday is one of only three group days: with it closed, nobody reaches three days.
    clinic = gt_clinic(rooms=rooms, therapists=therapists, closures=(closure,))
    s = binds("T4", clinic)
    assert placed(s) == set()


def test_t5_therapist_available_for_the_whole_window() -> None:
    # T1 (everyone's primary) leaves at 20:00; continuity would want T1 to lead.
    early = therapist("T1", start="08:00", end="20:00")
    s = binds("T5", gt_clinic(therapists=(early, therapist("T2", frozenset({"CADC"})))))
    assert all(x.therapists == ("T2",) for x in s.sessions)


def test_t6_patient_attends_only_at_their_own_site() -> None:
    north = patient("P3", site="NORTH")
    clinic = gt_clinic(
        sites=(Site("MAIN", "Main"), Site("NORTH", "North")),
        patients=(patient("P1"), patient("P2"), north),
    )
    s = binds("T6", clinic)
    assert "P3" in unplaced(s)


def test_t6_therapist_works_one_site_a_day() -> None:
    sites = (Site("MAIN", "Main"), Site("NORTH", "North"))
    blocks = (
        *tiny_clinic().blocks,
        *(
            block(f"N-{d.name}-PM", d, "13:00", "16:00", site="NORTH")
            for d in (Weekday.MON, Weekday.WED, Weekday.FRI)
        ),
    )
    both = therapist("T1", sites=frozenset({"MAIN", "NORTH"}))
    north_room = room("N1", site="NORTH")
    pats = (patient("P1"), patient("P2"), patient("N1", site="NORTH"), patient("N2", site="NORTH"))
    clinic = gt_clinic(
        sites=sites,
        blocks=blocks,
        therapists=(both,),
        rooms=(room("R1"), north_room),
        patients=pats,
    )
    s = binds("T6", clinic)
    assert len(placed(s)) == 2


# ---------------------------------------------------------------------------- G


def test_g1_group_below_minimum_size_does_not_run() -> None:
    s = binds("G1", gt_clinic(session_types=(group_type("GT", min_size=4),)))
    assert placed(s) == set() and len(unplaced(s)) == 3


def test_g2_room_seats_the_group() -> None:
    s = binds("G2", gt_clinic(rooms=(room("R1", capacity=2),)))
    assert len(placed(s)) == 2


def test_g2_virtual_room_only_for_telehealth_patients() -> None:
    pats = (
        patient("P1", telehealth_ok=True),
        patient("P2", telehealth_ok=True),
        patient("P3"),
    )
    virtual = room("VR", capacity=30, virtual=True, site="")
    s = binds("G2", gt_clinic(rooms=(virtual,), patients=pats))
    assert placed(s) == {"P1", "P2"}


def test_g2_room_features() -> None:
    kind = group_type("GT", room_features=frozenset({"accessible"}))
    rooms = (room("PLAIN"), room("ACC", capacity=2, features=frozenset({"accessible"})))
    s = binds("G2", gt_clinic(session_types=(kind,), rooms=rooms))
    assert {x.room for x in s.sessions} == {"ACC"} and len(placed(s)) == 2


def test_g3_uncredentialed_therapist_is_not_used() -> None:
    kind = group_type("GT", credentials=frozenset({"LCSW"}))
    t1 = therapist("T1", days=(Weekday.WED, Weekday.FRI))
    s = binds(
        "G3",
        gt_clinic(session_types=(kind,), therapists=(t1, therapist("T2", frozenset({"CADC"})))),
    )
    assert placed(s) == set()


def test_g4_large_group_needs_a_co_facilitator() -> None:
    kind = group_type("GT", cofacilitator_above=2)
    s = binds("G4", gt_clinic(session_types=(kind,), therapists=(therapist("T1"),)))
    assert len(placed(s)) == 2


def test_g4_co_facilitated_group_lists_two_therapists() -> None:
    kind = group_type("GT", cofacilitator_above=2)
    s = run(gt_clinic(session_types=(kind,)))
    assert len(placed(s)) == 3 and all(len(x.therapists) == 2 for x in s.sessions)


def test_g5_therapist_weekly_hours() -> None:
    t1 = therapist("T1", max_hours_week=6, max_hours_day=6)
    s = binds("G5", gt_clinic(therapists=(t1,)))
    assert placed(s) == set()


def test_g6_caseload_keeps_continuing_patients_first() -> None:
    t1 = therapist("T1", caseload_cap=2)
    pats = (
        patient("NEW1", admission=WEEK),
        patient("NEW2", admission=WEEK),
        patient("OLD"),
    )
    s = binds("G6", gt_clinic(therapists=(t1,), patients=pats))
    assert "OLD" in placed(s) and len(placed(s)) == 2
    (new,) = unplaced(s)
    assert "caseload is full (2/2)" in unplaced(s)[new]


# ---------------------------------------------------------------------------- W


def relaxed_settings(**kw: object) -> object:
    base = tiny_clinic().settings
    fields: dict[str, object] = dict(adult_hours=Band(0, 19), min_days_adult=0)
    fields.update(kw)
    return replace(base, **fields)  # type: ignore[arg-type]


def test_w1_curriculum_count() -> None:
    s = binds("W1", gt_clinic(settings=relaxed_settings()))
    assert all(len(s.sessions_by_patient[p]) == 3 for p in ("P1", "P2", "P3"))


def test_w2_weekly_hours_maximum() -> None:
    s = binds("W2", gt_clinic(settings=relaxed_settings(adult_hours=Band(0, 6))))
    assert placed(s) == set()


def test_w2_weekly_hours_minimum_adds_groups() -> None:
    one = (CurriculumItem(Track.ADULT, "GT", 1),)
    s = binds("W2", gt_clinic(curriculum=one, settings=relaxed_settings(adult_hours=Band(9, 19))))
    assert all(len(s.sessions_by_patient[p]) == 3 for p in ("P1", "P2", "P3"))


def test_w3_one_group_block_a_day() -> None:
    blocks = (
        block("MON-AM", Weekday.MON, "09:00", "12:00"),
        block("MON-PM", Weekday.MON, "13:00", "16:00"),
        block("WED-EVE", Weekday.WED, "18:00", "21:00"),
    )
    busy_wed = (work(Weekday.WED, "08:00", "23:00"),)
    pats = tuple(patient(f"P{i}", commitments=busy_wed) for i in (1, 2))
    two = (CurriculumItem(Track.ADULT, "GT", 2),)
    s = binds(
        "W3", gt_clinic(blocks=blocks, curriculum=two, patients=pats, settings=relaxed_settings())
    )
    assert placed(s) == set()


def test_w3_groups_on_enough_days() -> None:
    blocks = (
        block("MON-AM", Weekday.MON, "09:00", "12:00"),
        block("MON-PM", Weekday.MON, "13:00", "16:00"),
        block("WED-EVE", Weekday.WED, "18:00", "21:00"),
    )
    settings = replace(tiny_clinic().settings, max_group_blocks_per_day=2)
    s = binds("W3", gt_clinic(blocks=blocks, settings=settings))
    assert placed(s) == set()


def test_w4_individual_session_with_the_primary_therapist() -> None:
    s = binds("W4", tiny_clinic(3))
    for p in ("P1", "P2", "P3"):
        ind = [x for x in s.sessions_by_patient[p] if x.session_type == "IND"]
        assert len(ind) == 1 and ind[0].therapists == ("T1",)


def test_w4_waived_when_primary_and_patient_never_meet() -> None:
    t1 = therapist("T1", start="18:00", end="22:00")  # never at the 16:30 slots
    s = run(tiny_clinic(3, therapists=(t1, therapist("T2", frozenset({"CADC"})))))
    assert len(placed(s)) == 3
    assert not [x for x in s.sessions if x.session_type == "IND"]


def family_clinic(**kw: object) -> Clinic:
    fam_room = room("FAMROOM", capacity=6, features=frozenset({"family"}))
    kind = family_type("FAM", room_features=frozenset({"family"}))
    base = tiny_clinic()
    tables: dict[str, object] = dict(
        session_types=(*base.session_types, kind),
        rooms=(*base.rooms, fam_room),
        therapists=(therapist("T1"), therapist("T2", LICENSED)),
    )
    tables.update(kw)
    return tiny_clinic(3, **tables)


def test_w5_family_session_when_due() -> None:
    fam = patient(
        "P1",
        family_cadence=FamilyCadence.WEEKLY,
        family_availability=(window(Weekday.WED, "16:00", "18:00"),),
    )
    s = binds("W5", family_clinic(patients=(fam, patient("P2"), patient("P3"))))
    family = [x for x in s.sessions if x.session_type == "FAM"]
    assert len(family) == 1 and family[0].patients == ("P1",) and family[0].block == "WED-IND"
    assert family[0].room == "FAMROOM"


def test_w5_waived_without_family_availability() -> None:
    fam = patient("P1", family_cadence=FamilyCadence.WEEKLY)
    s = run(family_clinic(patients=(fam, patient("P2"), patient("P3"))))
    assert "P1" in placed(s) and not [x for x in s.sessions if x.session_type == "FAM"]


def test_w6_single_sessions_hold_one_patient() -> None:
    # One individual slot for two patients who both need one: only one can be placed.
    blocks = tuple(b for b in tiny_clinic().blocks if b.id not in ("WED-IND", "FRI-IND"))
    kinds = (group_type("GT", min_size=1), individual_type())
    s = run(tiny_clinic(2, blocks=blocks, session_types=kinds))
    individual = [x for x in s.sessions if x.session_type == "IND"]
    assert len(placed(s)) == 1 and len(individual) == 1 and len(individual[0].patients) == 1
    (reason,) = unplaced(s).values()
    assert "primary therapist T1 fits only MON-IND" in reason


# ---------------------------------------------------------------------------- S


def test_s1_adolescents_kept_apart_though_one_group_would_be_cheaper() -> None:
    settings = replace(tiny_clinic().settings, min_days_adolescent=3)
    s = binds("S1", adults_and_adolescents(settings=settings, rooms=(room("R1"), room("R2"))))
    assert len(placed(s)) == 4 and len(s.sessions) == 6


def test_s2_single_sex_groups() -> None:
    kind = group_type("GT", single_sex=True)
    pats = (
        patient("F1"),
        patient("F2"),
        patient("M1", sex=Sex.MALE),
        patient("M2", sex=Sex.MALE),
    )
    s = binds("S2", gt_clinic(session_types=(kind,), patients=pats, rooms=(room("R1"), room("R2"))))
    assert len(placed(s)) == 4


def test_s3_phase_restricted_groups() -> None:
    kind = group_type("GT", phases=frozenset({Phase.EARLY}))
    pats = (patient("P1"), patient("P2"), patient("P3", phase=Phase.LATE))
    s = binds("S3", gt_clinic(session_types=(kind,), patients=pats))
    assert placed(s) == {"P1", "P2"}


def test_s4_womens_group_admits_women_only() -> None:
    # The one group type is a women's group: M1 has no group to reach nine hours in.
    kind = group_type("GT", sexes=frozenset({Sex.FEMALE}))
    pats = (patient("F1"), patient("F2"), patient("M1", sex=Sex.MALE))
    s = binds("S4", gt_clinic(session_types=(kind,), patients=pats))
    assert placed(s) == {"F1", "F2"}


def test_s4_womens_group_in_the_curriculum_is_asked_of_women() -> None:
    # Adults: two mixed process groups and a women's group a week. The men make up their
    # third day in an extra process group while the women meet on their own.
    kinds = (group_type("GT"), group_type("WG", sexes=frozenset({Sex.FEMALE})))
    curriculum = (CurriculumItem(Track.ADULT, "GT", 2), CurriculumItem(Track.ADULT, "WG", 1))
    pats = tuple(patient(i) for i in ("F1", "F2")) + tuple(
        patient(i, sex=Sex.MALE) for i in ("M1", "M2")
    )
    clinic = gt_clinic(
        session_types=kinds, curriculum=curriculum, patients=pats, rooms=(room("R1"), room("R2"))
    )
    s = run(clinic)
    assert placed(s) == {"F1", "F2", "M1", "M2"}
    women = [x for x in s.sessions if x.session_type == "WG"]
    assert women and all(set(x.patients) <= {"F1", "F2"} for x in women)


# ---------------------------------------------------------------------------- L


def test_l1_lock_pins_patient_therapist_and_room() -> None:
    blocks = (*tiny_clinic().blocks, block("TUE-EVE", Weekday.TUE, "18:00", "21:00"))
    lock = Lock("L1", "TUE-EVE", "GT", patient="P1", therapist="T2", room="R2")
    clinic = gt_clinic(
        blocks=blocks,
        session_types=(group_type("GT", min_size=1),),
        rooms=(room("R1"), room("R2")),
        locks=(lock,),
    )
    s = binds("L1", clinic)
    tue = [x for x in s.sessions if x.block == "TUE-EVE"]
    assert len(tue) == 1 and "P1" in tue[0].patients and tue[0].therapists[0] == "T2"
    assert tue[0].room == "R2"


def test_l1_impossible_lock_is_unmet_with_its_reason_and_everyone_else_placed() -> None:
    """Hard locks made this clinic INFEASIBLE with nobody placed (issue 14)."""
    busy = patient("P1", commitments=(work(Weekday.MON, "08:00", "23:00"),))
    lock = Lock("PIN7", "MON-EVE", "GT", patient="P1")
    clinic = gt_clinic(patients=(busy, patient("P2"), patient("P3")), locks=(lock,))
    s = run(clinic)  # passes the checker: the lock is listed as unmet
    assert placed(s) == {"P2", "P3"}
    (unmet,) = s.unmet_locks
    assert unmet.lock == "PIN7" and "commitments" in unmet.reason
    assert "time limit" not in unmet.reason
    # Not listed, the dropped lock is a broken L1.
    kept_quiet = replace(s, unmet_locks=())
    assert {v.rule for v in check_schedule(clinic, kept_quiet)} == {"L1"}


def test_l1_locks_that_conflict_with_each_other_drop_one() -> None:
    """Each lock alone can hold (validate is clean); together they ask for two individual
    sessions a week. One is kept, the other is unmet and names the one kept."""
    from scheduler.inputs.validate import lock_conflicts

    locks = (Lock("A", "MON-IND", "IND", patient="P1"), Lock("B", "WED-IND", "IND", patient="P1"))
    clinic = tiny_clinic(locks=locks)
    assert lock_conflicts(clinic) == []
    s = run(clinic)
    assert placed(s) == {"P1", "P2", "P3"}
    (unmet,) = s.unmet_locks
    (kept,) = {"A", "B"} - {unmet.lock}
    assert f"lock {kept}," in unmet.reason and "both name patient P1" in unmet.reason
    assert "time limit" not in unmet.reason


def test_l1_one_session_in_two_rooms_says_so() -> None:
    """Two locks of one session (same therapist, block and type) in two rooms: both are
    dropped (they pin one session), and the reason names the two rooms."""
    locks = (
        Lock("A", "MON-EVE", "GT", therapist="T1", room="R1"),
        Lock("B", "MON-EVE", "GT", therapist="T1", room="OFFICE"),
    )
    s = run(tiny_clinic(locks=locks))
    assert placed(s) == {"P1", "P2", "P3"}
    assert {u.lock for u in s.unmet_locks} == {"A", "B"}
    assert all("rooms OFFICE, R1" in u.reason for u in s.unmet_locks)


def test_l1_a_lock_outweighs_every_placement() -> None:
    """One group leader; the lock puts P1 into one-seat room R1 on Monday, so P2 and P3 get
    no Monday group. Without the lock all three fit in R2. The lock is kept."""
    lock = Lock("L", "MON-EVE", "GT", patient="P1", room="R1")
    clinic = gt_clinic(
        session_types=(group_type("GT", min_size=1),),
        therapists=(therapist("T1"),),
        rooms=(room("R1", capacity=1), room("R2")),
        locks=(lock,),
    )
    assert placed(run(replace(clinic, locks=()))) == {"P1", "P2", "P3"}
    s = run(clinic)
    assert s.unmet_locks == () and placed(s) == {"P1"}


@pytest.mark.parametrize("proven", [True, False])
def test_no_schedule_gets_time_limit_advice_only_when_time_ran_out(proven: bool) -> None:
    from ortools.sat.python import cp_model

    from scheduler.model.solve import _Built, _Clock, _no_schedule

    clinic = tiny_clinic()
    status = cp_model.INFEASIBLE if proven else cp_model.UNKNOWN
    built = _Built(clinic, OPTIONS, frozenset())
    s = _no_schedule(clinic, built, OPTIONS, frozenset(), status, _Clock(OPTIONS))
    assert s.stats.status == ("INFEASIBLE" if proven else "UNKNOWN")
    assert len(s.unplaced) == 3
    assert all(("time limit" in u.reason) != proven for u in s.unplaced)


# ---------------------------------------------------------------------------- horizon


def test_two_week_horizon_schedules_both_weeks() -> None:
    settings = replace(tiny_clinic().settings, weeks=2)
    leaving = patient("P3", discharge=WEEK + dt.timedelta(days=6))
    s = run(gt_clinic(settings=settings, patients=(patient("P1"), patient("P2"), leaving)))
    assert {x.week for x in s.sessions} == {0, 1}
    assert all("P3" not in x.patients for x in s.sessions if x.week == 1)


def test_w1_pro_rata_in_the_week_of_admission() -> None:
    """Admitted on Wednesday: two of the three groups, no individual session this week.
    Admitted on Sunday: nothing remains this week, so the patient starts next week (P4):
    neither placed nor unplaced, holding no seat."""
    base = tiny_clinic(4)
    ps = list(base.patients)
    ps[0] = replace(ps[0], admission=WEEK + dt.timedelta(days=2))
    ps[1] = replace(ps[1], admission=WEEK + dt.timedelta(days=6))
    clinic = replace(base, patients=tuple(ps))
    schedule = solve(clinic, SolveOptions(time_limit_s=10, workers=1))
    assert check_schedule(clinic, schedule) == []
    attended = [s for s in schedule.sessions if "P1" in s.patients]
    assert sorted(s.block for s in attended) == ["FRI-EVE", "WED-EVE"]
    assert schedule.unplaced == ()
    assert schedule.starting_later == ("P2",)
    assert "P2" not in schedule.placed_patients
