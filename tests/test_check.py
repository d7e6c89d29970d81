"""The checker: a hand-made valid schedule passes; breaking any one rule is reported by ID.

Every test starts from ``tiny_clinic()`` and the valid schedule of :func:`base_sessions`
(GT three times a week Mon/Wed/Fri evening led by T2 in R1; each patient's individual
session with primary therapist T1 in the slot before a group), then changes one thing.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from factory import (
    SITE,
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

from scheduler.check import (
    RULE_IDS,
    STRUCTURE,
    ScheduleRejected,
    Violation,
    assert_valid,
    check_schedule,
)
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
    Sex,
    Site,
    Track,
    Weekday,
    Window,
)
from scheduler.schedule import Schedule, Session, SolveStats, UnmetLock, Unplaced

DAYS = ("MON", "WED", "FRI")
PATIENTS = ("P1", "P2", "P3")
STATS = SolveStats("FEASIBLE", 0.0, 0.0, 0.1, seed=1, workers=1, time_limit_s=1.0)


# --------------------------------------------------------------------------------------
# Building clinics and schedules.


def sess(
    ident: str,
    block_id: str,
    kind: str,
    patients: tuple[str, ...],
    therapists: tuple[str, ...],
    room_id: str,
    week: int = 0,
) -> Session:
    return Session(ident, f"{kind}-{block_id}", week, block_id, kind, room_id, therapists, patients)


def base_sessions(week: int = 0) -> list[Session]:
    """The valid week: GT-MON/WED/FRI for all three, IND-MON/WED/FRI for P1/P2/P3."""
    tag = "" if week == 0 else f"-w{week}"
    groups = [sess(f"GT-{d}{tag}", f"{d}-EVE", "GT", PATIENTS, ("T2",), "R1", week) for d in DAYS]
    individual = [
        sess(f"IND-{d}{tag}", f"{d}-IND", "IND", (p,), ("T1",), "OFFICE", week)
        for d, p in zip(DAYS, PATIENTS, strict=True)
    ]
    return groups + individual


def edit(sessions: list[Session], ident: str, **changes: Any) -> list[Session]:
    """The sessions with session ``ident`` changed."""
    assert any(s.id == ident for s in sessions), ident
    return [replace(s, **changes) if s.id == ident else s for s in sessions]


def drop(sessions: list[Session], *idents: str) -> list[Session]:
    return [s for s in sessions if s.id not in idents]


def without_patient(sessions: list[Session], pid: str) -> list[Session]:
    kept = [replace(s, patients=tuple(p for p in s.patients if p != pid)) for s in sessions]
    return [s for s in kept if s.patients]


def change(clinic: Clinic, table: str, ident: str, **changes: Any) -> Clinic:
    """The clinic with record ``ident`` of ``table`` (e.g. "patients") changed."""
    rows = getattr(clinic, table)
    assert any(r.id == ident for r in rows), ident
    new = tuple(replace(r, **changes) if r.id == ident else r for r in rows)
    return replace(clinic, **{table: new})


def add(clinic: Clinic, table: str, *records: Any) -> Clinic:
    return replace(clinic, **{table: getattr(clinic, table) + records})


def settings(clinic: Clinic, **changes: Any) -> Clinic:
    return replace(clinic, settings=replace(clinic.settings, **changes))


def make(clinic: Clinic, sessions: list[Session], unplaced: tuple[Unplaced, ...] = ()) -> Schedule:
    s = clinic.settings
    return Schedule(s.week_start, s.weeks, tuple(sessions), unplaced, STATS)


def check(
    clinic: Clinic, sessions: list[Session], unplaced: tuple[Unplaced, ...] = ()
) -> list[Violation]:
    return check_schedule(clinic, make(clinic, sessions, unplaced))


def rules(violations: list[Violation]) -> set[str]:
    return {v.rule for v in violations}


def only(violations: list[Violation], rule: str) -> list[Violation]:
    """Assert that ``rule`` and no other is broken; return its violations."""
    assert rules(violations) == {rule}, "\n".join(map(str, violations))
    return violations


def blocks_plus(*extra: Any) -> Clinic:
    clinic = tiny_clinic()
    return add(clinic, "blocks", *extra)


# --------------------------------------------------------------------------------------
# The valid schedule, and the rule list itself.


def test_hand_made_schedule_is_valid() -> None:
    assert check(tiny_clinic(), base_sessions()) == []
    assert_valid(tiny_clinic(), make(tiny_clinic(), base_sessions()))


def test_two_week_horizon_checks_each_week() -> None:
    clinic = settings(tiny_clinic(), weeks=2)
    assert check(clinic, base_sessions(0) + base_sessions(1)) == []
    violations = check(clinic, base_sessions(0))
    assert rules(violations) == {"W1", "W2", "W3", "W4"}
    assert all("14 Dec 2026" in v.message for v in violations)  # week 1 only


def test_rule_ids_are_those_of_rules_md() -> None:
    text = (Path(__file__).parents[1] / "docs" / "RULES.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^- \*\*([A-Z]\d)\b", text, flags=re.MULTILINE))
    # P3 (priority) is about what else could have been placed: the probe checks it
    # (scheduler.probe), not the checker, which judges the schedule as it is.
    assert documented - {"P3"} == set(RULE_IDS) - {STRUCTURE}


def test_assert_valid_raises_with_every_violation() -> None:
    clinic = change(tiny_clinic(), "therapists", "T1", caseload_cap=2)
    sessions = edit(base_sessions(), "GT-MON", room="NOPE")
    with pytest.raises(ScheduleRejected) as err:
        assert_valid(clinic, make(clinic, sessions))
    assert [v.rule for v in err.value.violations] == [STRUCTURE, "G6"]
    assert "G6" in str(err.value)


def test_order_is_deterministic_and_by_rule() -> None:
    clinic = change(tiny_clinic(), "therapists", "T1", caseload_cap=1)
    sessions = edit(base_sessions(), "GT-WED", room="OFFICE", therapists=("T2", "T2"))
    first = check(clinic, sessions)
    assert first == check(clinic, list(sessions))
    ranks = [RULE_IDS.index(v.rule) for v in first]
    assert ranks == sorted(ranks)
    assert rules(first) == {"G2", "G4", "G6"}


# --------------------------------------------------------------------------------------
# Structure.


@pytest.mark.parametrize(
    ("label", "changes", "exact"),
    [
        ("unknown block", {"block": "NOPE"}, False),
        ("unknown session type", {"session_type": "NOPE"}, False),
        ("week outside the horizon", {"week": 1}, False),
        ("unknown room", {"room": "NOPE"}, True),
        ("unknown therapist", {"therapists": ("TX",)}, True),
        ("unknown patient", {"patients": (*PATIENTS, "PX")}, True),
        ("patient listed twice", {"patients": ("P1", "P1", "P2", "P3")}, True),
        ("duplicate session ID", {"id": "IND-MON"}, True),
    ],
)
def test_structure(label: str, changes: dict[str, Any], exact: bool) -> None:
    violations = check(tiny_clinic(), edit(base_sessions(), "GT-MON", **changes))
    assert STRUCTURE in rules(violations), label
    if exact:
        only(violations, STRUCTURE)


def test_schedule_of_another_week_is_structural() -> None:
    clinic = tiny_clinic()
    other = replace(make(clinic, base_sessions()), week_start=WEEK + dt.timedelta(weeks=1))
    only(check_schedule(clinic, other), STRUCTURE)


def test_unplaced_unknown_patient_is_structural() -> None:
    only(check(tiny_clinic(), base_sessions(), (Unplaced("PX", "gone"),)), STRUCTURE)


# --------------------------------------------------------------------------------------
# Placement (P1, P2).


def late_patient() -> Clinic:
    """P4 is admitted after the one-week horizon: not in the plan."""
    p4 = patient("P4", admission=WEEK + dt.timedelta(days=21), discharge=WEEK + dt.timedelta(60))
    return add(tiny_clinic(), "patients", p4)


def test_p1_unplaced_with_reason_is_fine() -> None:
    sessions = without_patient(base_sessions(), "P3")
    assert check(tiny_clinic(), sessions, (Unplaced("P3", "No evening group has room."),)) == []


@pytest.mark.parametrize(
    ("label", "clinic", "sessions", "unplaced"),
    [
        ("placed and unplaced", tiny_clinic(), base_sessions(), (Unplaced("P3", "full"),)),
        ("neither placed nor unplaced", tiny_clinic(), without_patient(base_sessions(), "P3"), ()),
        (
            "unplaced without a reason",
            tiny_clinic(),
            without_patient(base_sessions(), "P3"),
            (Unplaced("P3", "  "),),
        ),
        ("not in the plan but unplaced", late_patient(), base_sessions(), (Unplaced("P4", "x"),)),
    ],
)
def test_p1(
    label: str, clinic: Clinic, sessions: list[Session], unplaced: tuple[Unplaced, ...]
) -> None:
    (violation,) = only(check(clinic, sessions, unplaced), "P1")
    assert violation.patients in (("P3",), ("P4",)), label


def test_p1_p2_patient_not_in_plan_attends() -> None:
    sessions = edit(base_sessions(), "GT-MON", patients=(*PATIENTS, "P4"))
    violations = check(late_patient(), sessions)
    assert rules(violations) == {"P1", "P2"}
    assert all(v.patients == ("P4",) for v in violations)


def test_p2_session_after_discharge() -> None:
    # P1 is discharged on Wednesday but still attends Friday's group (no step-down, W7,
    # so that P2 alone is broken).
    clinic = change(
        settings(tiny_clinic(), step_down_weeks=0),
        "patients",
        "P1",
        discharge=WEEK + dt.timedelta(days=2),
    )
    (violation,) = only(check(clinic, base_sessions()), "P2")
    assert violation.sessions == ("GT-FRI",)
    assert violation.patients == ("P1",)


# --------------------------------------------------------------------------------------
# Time and place (T1–T6).


def test_t1_patient_double_booked() -> None:
    clinic = blocks_plus(block("MON-LATE", Weekday.MON, "18:00", "19:00", BlockKind.SLOT))
    sessions = edit(base_sessions(), "IND-MON", block="MON-LATE")  # during GT-MON
    (violation,) = only(check(clinic, sessions), "T1")
    assert violation.patients == ("P1",)
    assert set(violation.sessions) == {"GT-MON", "IND-MON"}


def test_t1_therapist_double_booked() -> None:
    clinic = add(
        blocks_plus(block("MON-IND-B", Weekday.MON, "17:00", "18:00", BlockKind.SLOT)),
        "rooms",
        room("OFFICE2", capacity=2),
    )
    sessions = edit(base_sessions(), "IND-WED", block="MON-IND-B", room="OFFICE2")
    (violation,) = only(check(clinic, sessions), "T1")
    assert violation.therapists == ("T1",)
    assert set(violation.sessions) == {"IND-MON", "IND-WED"}


def everyone_online() -> Clinic:
    clinic = tiny_clinic()
    return replace(clinic, patients=tuple(replace(p, telehealth_ok=True) for p in clinic.patients))


@pytest.mark.parametrize("virtual", [False, True])
def test_t1_room_double_booked(virtual: bool) -> None:
    # P2's primary is T2; P2's individual session is put in P1's room at P1's time.
    clinic = change(everyone_online(), "patients", "P2", primary_therapist="T2")
    clinic = change(clinic, "rooms", "OFFICE", virtual=virtual)
    sessions = edit(base_sessions(), "IND-WED", block="MON-IND", therapists=("T2",))
    (violation,) = only(check(clinic, sessions), "T1")
    assert violation.rooms == ("OFFICE",)


def test_t2_commitment_within_travel_buffer() -> None:
    work = Commitment(CommitmentKind.WORK, window(Weekday.MON, "09:00", "17:45"))
    clinic = change(tiny_clinic(), "patients", "P1", commitments=(work,))
    violations = only(check(clinic, base_sessions()), "T2")
    # Ends 17:45: overlaps the 16:30 slot and is within 30 minutes of the 18:00 group.
    assert {v.sessions for v in violations} == {("IND-MON",), ("GT-MON",)}
    assert all(v.patients == ("P1",) for v in violations)


@pytest.mark.parametrize(
    ("commitment", "session"),
    [
        # A shift from 00:00 Tuesday is within four hours of Monday's group (ends 21:00).
        (Window(Weekday.TUE, 0, 8 * 60), "GT-MON"),
        # One overnight row, Sunday 22:00 to Monday 13:00: the week wraps into Monday, and
        # 13:00 is within four hours of Monday's 16:30 slot.
        (Window.clock(Weekday.SUN, 22 * 60, 13 * 60), "IND-MON"),
    ],
)
def test_t2_buffer_across_midnight(commitment: Window, session: str) -> None:
    clinic = settings(tiny_clinic(), travel_buffer_min=240, rest_after_night_min=0)
    clinic = change(
        clinic, "patients", "P1", commitments=(Commitment(CommitmentKind.WORK, commitment),)
    )
    (violation,) = only(check(clinic, base_sessions()), "T2")
    assert violation.sessions == (session,) and violation.patients == ("P1",)


def test_t7_rest_after_night_work() -> None:
    # Night work Sunday 22:00 to Monday 12:00: the 16:30 slot is past the travel buffer
    # but within six hours' rest; the 18:00 group starts as the rest ends.
    night = Commitment(CommitmentKind.WORK, Window.clock(Weekday.SUN, 22 * 60, 12 * 60))
    clinic = change(tiny_clinic(), "patients", "P1", commitments=(night,))
    (violation,) = only(check(clinic, base_sessions()), "T7")
    assert violation.sessions == ("IND-MON",) and violation.patients == ("P1",)
    assert "Sun 22:00–Mon 12:00" in violation.message
    assert check(settings(clinic, rest_after_night_min=0), base_sessions()) == []


def test_t7_rows_that_touch_are_one_night() -> None:
    # Sunday 22:00–Monday 02:00, then 02:00–11:00: one night ending 11:00, so the 16:30
    # slot falls in the six hours' rest (the first row alone would end the night at 02:00).
    rows = (Window.clock(Weekday.SUN, 22 * 60, 2 * 60), Window(Weekday.MON, 2 * 60, 11 * 60))
    night = tuple(Commitment(CommitmentKind.WORK, w) for w in rows)
    clinic = change(tiny_clinic(), "patients", "P1", commitments=night)
    (violation,) = only(check(clinic, base_sessions()), "T7")
    assert violation.sessions == ("IND-MON",) and violation.patients == ("P1",)


def test_t7_an_evening_ending_at_midnight_is_not_night_work() -> None:
    evening = Commitment(CommitmentKind.WORK, Window(Weekday.SUN, 14 * 60, 24 * 60))
    clinic = settings(tiny_clinic(), rest_after_night_min=720)
    clinic = change(clinic, "patients", "P1", commitments=(evening,))
    assert check(clinic, base_sessions()) == []


def test_t2_commitment_outside_buffer_is_fine() -> None:
    work = Commitment(CommitmentKind.WORK, window(Weekday.MON, "09:00", "16:00"))
    clinic = change(tiny_clinic(), "patients", "P1", commitments=(work,))
    assert check(clinic, base_sessions()) == []


@pytest.mark.parametrize(
    "extra",
    [
        block("TUE-EVE", Weekday.TUE, "18:00", "21:00"),  # a group block for an individual
        block("TUE-EVE", Weekday.TUE, "16:30", "17:00", BlockKind.SLOT),  # 30 min < 60 min
    ],
)
def test_t3_block_kind_and_length(extra: Any) -> None:
    clinic = blocks_plus(extra)
    (violation,) = only(check(clinic, edit(base_sessions(), "IND-MON", block="TUE-EVE")), "T3")
    assert violation.sessions == ("IND-MON",)


@pytest.mark.parametrize(
    ("closure", "closed"),
    [
        (Closure(WEEK, note="Holiday"), {"GT-MON", "IND-MON"}),
        (Closure(WEEK, site=SITE), {"GT-MON", "IND-MON"}),
        (Closure(WEEK, block="MON-IND"), {"IND-MON"}),
        (Closure(WEEK, room="R1"), {"GT-MON"}),
        (Closure(WEEK, therapist="T1"), {"IND-MON"}),
        (Closure(WEEK + dt.timedelta(days=1)), set()),  # Tuesday: nothing booked
        (Closure(WEEK, therapist="T2", block="MON-IND"), set()),  # T2 is not in that slot
        (Closure(WEEK, room="OFFICE", block="MON-EVE"), set()),
    ],
)
def test_t4_closures(closure: Closure, closed: set[str]) -> None:
    violations = check(tiny_clinic(closures=(closure,)), base_sessions())
    assert rules(violations) <= {"T4"}
    assert {s for v in violations for s in v.sessions} == closed
    assert len(violations) == len(closed)  # one violation per session


def test_t4_closure_naming_room_and_therapist_closes_both() -> None:
    # OFFICE hosts IND-MON; T2 leads GT-MON in R1: one row closes both.
    closure = Closure(WEEK, room="OFFICE", therapist="T2", note="training")
    violations = only(check(tiny_clinic(closures=(closure,)), base_sessions()), "T4")
    assert {(v.sessions, v.rooms, v.therapists) for v in violations} == {
        (("IND-MON",), ("OFFICE",), ()),
        (("GT-MON",), (), ("T2",)),
    }


def test_t5_therapist_not_available() -> None:
    tue_to_sat = (Weekday.TUE, Weekday.WED, Weekday.THU, Weekday.FRI, Weekday.SAT)
    clinic = replace(
        tiny_clinic(), therapists=(therapist("T1", days=tue_to_sat), therapist("T2"))
    )  # T2 holds LCSW now; still valid for GT
    (violation,) = only(check(clinic, base_sessions()), "T5")
    assert violation.sessions == ("IND-MON",)
    assert violation.therapists == ("T1",)


def test_t5_room_not_available() -> None:
    clinic = change(
        tiny_clinic(), "rooms", "OFFICE", availability=(window(Weekday.WED, "08:00", "20:00"),)
    )
    violations = only(check(clinic, base_sessions()), "T5")
    assert [v.sessions for v in violations] == [("IND-MON",), ("IND-FRI",)]
    assert all(v.rooms == ("OFFICE",) for v in violations)


def two_sites(t1_sites: frozenset[str] = frozenset({SITE, "NORTH"})) -> Clinic:
    """A second site NORTH with an office and Mon/Tue slots; P4 (adolescent, NORTH) needs
    only an individual session a week; T1 works at both sites."""
    clinic = tiny_clinic()
    return replace(
        clinic,
        settings=replace(clinic.settings, adolescent_hours=Band(0, 19), min_days_adolescent=0),
        sites=(*clinic.sites, Site("NORTH", "North branch")),
        blocks=(
            *clinic.blocks,
            block("N-MON-IND", Weekday.MON, "10:00", "11:00", BlockKind.SLOT, site="NORTH"),
            block("N-TUE-IND", Weekday.TUE, "10:00", "11:00", BlockKind.SLOT, site="NORTH"),
        ),
        curriculum=(*clinic.curriculum, CurriculumItem(Track.ADOLESCENT, "IND", 1)),
        therapists=(therapist("T1", sites=t1_sites), clinic.therapists[1]),
        rooms=(
            *clinic.rooms,
            room("N-OFFICE", capacity=2, site="NORTH"),
            room("VR", virtual=True, site=""),
        ),
        patients=(
            *clinic.patients,
            patient("P4", site="NORTH", track=Track.ADOLESCENT, telehealth_ok=True),
        ),
    )


def two_site_sessions() -> list[Session]:
    return [*base_sessions(), sess("IND-N", "N-TUE-IND", "IND", ("P4",), ("T1",), "N-OFFICE")]


def test_two_site_schedule_is_valid() -> None:
    assert check(two_sites(), two_site_sessions()) == []
    # A virtual room serves every site.
    assert check(two_sites(), edit(two_site_sessions(), "IND-N", room="VR")) == []


@pytest.mark.parametrize(
    ("label", "clinic", "session", "changes", "entity"),
    [
        (
            "patient at another site",
            two_sites(),
            "IND-MON",
            {"block": "N-MON-IND", "room": "N-OFFICE"},
            "patients",
        ),
        ("room at another site", two_sites(), "IND-MON", {"room": "N-OFFICE"}, "rooms"),
        ("therapist not at the site", two_sites(frozenset({SITE})), "IND-N", {}, "therapists"),
        (
            "therapist at two sites a day",
            two_sites(),
            "IND-N",
            {"block": "N-MON-IND"},
            "therapists",
        ),
    ],
)
def test_t6_sites(
    label: str, clinic: Clinic, session: str, changes: dict[str, Any], entity: str
) -> None:
    sessions = edit(two_site_sessions(), session, **changes) if changes else two_site_sessions()
    (violation,) = only(check(clinic, sessions), "T6")
    assert getattr(violation, entity), label


# --------------------------------------------------------------------------------------
# Groups, rooms and staff (G1–G6).


def with_gt(**changes: Any) -> Clinic:
    clinic = tiny_clinic()
    return replace(clinic, session_types=(group_type("GT", **changes), individual_type()))


@pytest.mark.parametrize("changes", [{"max_size": 2}, {"min_size": 4}])
def test_g1_size(changes: dict[str, Any]) -> None:
    violations = only(check(with_gt(**changes), base_sessions()), "G1")
    assert [v.sessions for v in violations] == [("GT-MON",), ("GT-WED",), ("GT-FRI",)]


@pytest.mark.parametrize(
    "clinic",
    [
        change(tiny_clinic(), "rooms", "R1", capacity=2),  # three patients
        with_gt(room_features=frozenset({"whiteboard"})),  # R1 has none
        change(tiny_clinic(), "rooms", "R1", virtual=True),  # nobody agreed to telehealth
    ],
)
def test_g2_room(clinic: Clinic) -> None:
    violations = only(check(clinic, base_sessions()), "G2")
    assert len(violations) == 3
    assert all(v.rooms == ("R1",) for v in violations)


def test_g2_virtual_room_with_telehealth_patients_has_no_seat_limit() -> None:
    clinic = change(everyone_online(), "rooms", "R1", virtual=True, capacity=1)
    assert check(clinic, base_sessions()) == []


def test_g2_names_the_patient_without_telehealth() -> None:
    clinic = change(tiny_clinic(), "rooms", "R1", virtual=True)
    clinic = change(clinic, "patients", "P1", telehealth_ok=True)
    clinic = change(clinic, "patients", "P2", telehealth_ok=True)
    violations = only(check(clinic, base_sessions()), "G2")
    assert {v.patients for v in violations} == {("P3",)}


@pytest.mark.parametrize(
    "clinic",
    [
        change(tiny_clinic(), "therapists", "T2", credentials=frozenset({"PEER"})),
        with_gt(modality="DBT"),  # T2 practises CBT only
    ],
)
def test_g3_credentials(clinic: Clinic) -> None:
    violations = only(check(clinic, base_sessions()), "G3")
    assert all(v.therapists == ("T2",) for v in violations)


def test_g3_modality_held_is_fine() -> None:
    clinic = change(with_gt(modality="DBT"), "therapists", "T2", modalities=frozenset({"DBT"}))
    assert check(clinic, base_sessions()) == []


def test_g4_cofacilitator_needed_above_size() -> None:
    clinic = with_gt(cofacilitator_above=2)
    violations = only(check(clinic, base_sessions()), "G4")
    assert len(violations) == 3
    both = [
        replace(s, therapists=("T2", "T1")) if s.session_type == "GT" else s
        for s in base_sessions()
    ]
    assert check(clinic, both) == []


def test_g4_therapist_twice_or_too_many() -> None:
    clinic = with_gt(cofacilitator_above=2)
    twice = edit(
        [
            replace(s, therapists=("T2", "T1")) if s.session_type == "GT" else s
            for s in base_sessions()
        ],
        "GT-MON",
        therapists=("T2", "T2"),
    )
    (violation,) = only(check(clinic, twice), "G4")
    assert violation.therapists == ("T2",)
    (violation,) = only(
        check(tiny_clinic(), edit(base_sessions(), "GT-WED", therapists=("T2", "T1"))), "G4"
    )
    assert violation.sessions == ("GT-WED",)


def test_g5_hours_per_day() -> None:
    clinic = change(tiny_clinic(), "therapists", "T2", max_hours_day=2)
    violations = only(check(clinic, base_sessions()), "G5")
    assert [v.sessions for v in violations] == [("GT-MON",), ("GT-WED",), ("GT-FRI",)]


def test_g5_hours_per_week() -> None:
    clinic = change(tiny_clinic(), "therapists", "T2", max_hours_day=3, max_hours_week=8)
    (violation,) = only(check(clinic, base_sessions()), "G5")
    assert violation.therapists == ("T2",)
    assert "9 hours" in violation.message


def test_g6_caseload() -> None:
    clinic = change(tiny_clinic(), "therapists", "T1", caseload_cap=2)
    (violation,) = only(check(clinic, base_sessions()), "G6")
    assert violation.patients == PATIENTS
    assert violation.therapists == ("T1",)


# --------------------------------------------------------------------------------------
# Each placed patient's week (W1–W6).


def test_w1_curriculum_not_met() -> None:
    clinic = replace(
        tiny_clinic(),
        curriculum=(CurriculumItem(Track.ADULT, "GT", 4), CurriculumItem(Track.ADULT, "IND", 1)),
    )
    violations = only(check(clinic, base_sessions()), "W1")
    assert [v.patients for v in violations] == [("P1",), ("P2",), ("P3",)]


def test_w1_extra_group_allowed_extra_individual_not() -> None:
    clinic = blocks_plus(
        block("TUE-EVE", Weekday.TUE, "18:00", "21:00"),
        block("TUE-IND", Weekday.TUE, "16:30", "17:30", BlockKind.SLOT),
    )
    extra_group = sess("GT-TUE", "TUE-EVE", "GT", ("P1", "P2"), ("T2",), "R1")
    assert check(clinic, [*base_sessions(), extra_group]) == []
    extra_individual = sess("IND-TUE", "TUE-IND", "IND", ("P1",), ("T1",), "OFFICE")
    (violation,) = only(check(clinic, [*base_sessions(), extra_individual]), "W1")
    assert violation.sessions == ("IND-MON", "IND-TUE")


def test_w2_hours_above_band() -> None:
    clinic = settings(tiny_clinic(), adult_hours=Band(9, 9.5))
    violations = only(check(clinic, base_sessions()), "W2")
    assert len(violations) == 3


@pytest.mark.parametrize(
    "clinic",
    [
        change(tiny_clinic(), "patients", "P1", hours_target=12),
        settings(
            change(tiny_clinic(), "patients", "P2", hours_target=12), adult_hours=Band(11, 19)
        ),
    ],
)
def test_w2_hours_below_minimum_or_target(clinic: Clinic) -> None:
    violations = only(check(clinic, base_sessions()), "W2")
    assert all("at least" in v.message for v in violations)


def test_w2_target_does_not_bind_when_stepping_down() -> None:
    # Discharge next Thursday: in the last two weeks, so the step-down band (here up to
    # 10 hours) replaces the band and the target of 12 (W7).
    clinic = change(
        settings(tiny_clinic(), step_down_adult_hours=Band(3, 10)),
        "patients",
        "P1",
        hours_target=12,
        discharge=WEEK + dt.timedelta(days=10),
    )
    assert check(clinic, base_sessions()) == []


@pytest.mark.parametrize(
    ("admission", "expected"),
    [(WEEK + dt.timedelta(days=2), set()), (WEEK, {"W2", "W3"})],
)
def test_w2_w3_minimum_waived_in_admission_week(admission: dt.date, expected: set[str]) -> None:
    # GT twice a week; P1 attends Wed and Fri only (7 hours on 2 days).
    clinic = replace(
        change(tiny_clinic(), "patients", "P1", admission=admission),
        curriculum=(CurriculumItem(Track.ADULT, "GT", 2), CurriculumItem(Track.ADULT, "IND", 1)),
    )
    sessions = edit(base_sessions(), "GT-MON", patients=("P2", "P3"))
    sessions = edit(sessions, "IND-MON", patients=("P2",))
    sessions = edit(sessions, "IND-WED", patients=("P1",))
    violations = check(clinic, sessions)
    assert rules(violations) == expected
    assert all(v.patients == ("P1",) for v in violations)


def test_w1_pro_rata_in_admission_week() -> None:
    # Admitted on Wednesday, P1 is in treatment 5 of 7 days: GT 3 a week becomes 2, and the
    # individual session (1 a week) becomes 0.
    clinic = change(tiny_clinic(), "patients", "P1", admission=WEEK + dt.timedelta(days=2))
    sessions = edit(base_sessions(), "GT-MON", patients=("P2", "P3"))
    sessions = [s for s in sessions if s.id != "IND-MON"]  # P1's: not needed this week
    assert check(clinic, sessions) == []
    short = edit(sessions, "GT-WED", patients=("P2", "P3"))
    (violation,) = only(check(clinic, short), "W1")
    assert violation.patients == ("P1",)
    assert violation.sessions == ("GT-FRI",)
    assert "asks for 2" in violation.message


def test_w3_two_group_blocks_a_day() -> None:
    clinic = blocks_plus(block("MON-AM", Weekday.MON, "09:00", "12:00"))
    morning = sess("GT-MON-AM", "MON-AM", "GT", ("P1", "P2"), ("T2",), "R1")
    violations = only(check(clinic, [*base_sessions(), morning]), "W3")
    assert [v.patients for v in violations] == [("P1",), ("P2",)]
    assert check(settings(clinic, max_group_blocks_per_day=2), [*base_sessions(), morning]) == []


def test_w3_too_few_days() -> None:
    violations = only(check(settings(tiny_clinic(), min_days_adult=4), base_sessions()), "W3")
    assert len(violations) == 3


def test_w4_individual_led_by_another_therapist() -> None:
    (violation,) = only(
        check(tiny_clinic(), edit(base_sessions(), "IND-MON", therapists=("T2",))), "W4"
    )
    assert violation.patients == ("P1",)
    assert violation.therapists == ("T2", "T1")


def test_w4_missing_individual_session() -> None:
    (violation,) = only(check(tiny_clinic(), drop(base_sessions(), "IND-MON")), "W4")
    assert violation.patients == ("P1",)


def test_w4_waived_when_patient_busy_in_every_slot() -> None:
    # Work until 16:30 on group days: every 16:30 slot is inside the travel buffer, the
    # 18:00 groups are not.
    work = tuple(
        Commitment(CommitmentKind.WORK, window(d, "09:00", "16:30"))
        for d in (Weekday.MON, Weekday.WED, Weekday.FRI)
    )
    clinic = change(tiny_clinic(), "patients", "P1", commitments=work)
    assert check(clinic, drop(base_sessions(), "IND-MON")) == []
    only(check(clinic, base_sessions()), "T2")


def test_w4_waived_when_primary_therapist_never_free_in_a_slot() -> None:
    evenings = replace(tiny_clinic(), therapists=(therapist("T1", start="17:30"), therapist("T2")))
    assert check(evenings, drop(base_sessions(), "IND-MON", "IND-WED", "IND-FRI")) == []


def family_clinic(cadence: FamilyCadence = FamilyCadence.WEEKLY, **fam: Any) -> Clinic:
    """P1's family comes Tuesday mornings; a family session type and two Tuesday slots."""
    clinic = blocks_plus(
        block("TUE-FAM", Weekday.TUE, "10:00", "11:00", BlockKind.SLOT),
        block("TUE-PM", Weekday.TUE, "13:00", "14:00", BlockKind.SLOT),
    )
    clinic = replace(clinic, session_types=(*clinic.session_types, family_type(**fam)))
    return change(
        clinic,
        "patients",
        "P1",
        family_cadence=cadence,
        family_availability=(window(Weekday.TUE, "09:00", "12:00"),),
    )


FAMILY = sess("FAM-P1", "TUE-FAM", "FAM", ("P1",), ("T1",), "OFFICE")


def test_w5_family_session_valid() -> None:
    assert check(family_clinic(), [*base_sessions(), FAMILY]) == []


@pytest.mark.parametrize(
    ("label", "clinic", "extra"),
    [
        ("due but missing", family_clinic(), []),
        # Admitted two weeks before: a monthly family is not due this week.
        ("not due", family_clinic(FamilyCadence.MONTHLY), [FAMILY]),
        ("twice", family_clinic(), [FAMILY, replace(FAMILY, id="FAM-2", block="TUE-PM")]),
        ("outside family availability", family_clinic(), [replace(FAMILY, block="TUE-PM")]),
    ],
)
def test_w5_family(label: str, clinic: Clinic, extra: list[Session]) -> None:
    violations = only(check(clinic, [*base_sessions(), *extra]), "W5")
    assert all(v.patients == ("P1",) for v in violations), label


def test_w5_waived_when_family_never_available_in_a_slot() -> None:
    clinic = change(
        family_clinic(),
        "patients",
        "P1",
        family_availability=(window(Weekday.SAT, "10:00", "12:00"),),
    )
    assert check(clinic, base_sessions()) == []


def test_w6_family_session_shared() -> None:
    clinic = family_clinic(max_size=2)
    clinic = change(
        clinic,
        "patients",
        "P2",
        family_cadence=FamilyCadence.WEEKLY,
        family_availability=(window(Weekday.TUE, "09:00", "12:00"),),
    )
    shared = replace(FAMILY, patients=("P1", "P2"))
    (violation,) = only(check(clinic, [*base_sessions(), shared]), "W6")
    assert violation.patients == ("P1", "P2")


def test_w6_individual_session_shared() -> None:
    violations = check(tiny_clinic(), edit(base_sessions(), "IND-MON", patients=("P1", "P2")))
    assert "W6" in rules(violations)  # also G1: the type seats one


# --------------------------------------------------------------------------------------
# Separation (S1–S3).


def test_s1_adolescent_in_adult_group() -> None:
    clinic = add(tiny_clinic(), "patients", patient("P4", track=Track.ADOLESCENT))
    sessions = [
        replace(s, patients=(*s.patients, "P4")) if s.session_type == "GT" else s
        for s in base_sessions()
    ]
    violations = only(check(clinic, sessions), "S1")
    assert len(violations) == 3
    assert all("P4" in v.patients for v in violations)


def test_s1_type_not_open_to_track() -> None:
    clinic = replace(
        settings(tiny_clinic(), adolescent_hours=Band(0, 19), min_days_adolescent=0),
        session_types=(group_type("GT", tracks=frozenset({Track.ADULT})), individual_type()),
        rooms=(*tiny_clinic().rooms, room("R2")),
        patients=(
            *tiny_clinic().patients,
            patient("P4", track=Track.ADOLESCENT),
            patient("P5", track=Track.ADOLESCENT),
        ),
    )
    teens = sess("GT-TEEN", "TUE-EVE", "GT", ("P4", "P5"), ("T1",), "R2")
    clinic = add(clinic, "blocks", block("TUE-EVE", Weekday.TUE, "18:00", "21:00"))
    (violation,) = only(check(clinic, [*base_sessions(), teens]), "S1")
    assert violation.patients == ("P4", "P5")


def test_s2_single_sex() -> None:
    clinic = change(with_gt(single_sex=True), "patients", "P3", sex=Sex.MALE)
    violations = only(check(clinic, base_sessions()), "S2")
    assert len(violations) == 3
    assert check(with_gt(single_sex=True), base_sessions()) == []


def test_s3_phases() -> None:
    clinic = change(with_gt(phases=frozenset({Phase.EARLY})), "patients", "P3", phase=Phase.LATE)
    violations = only(check(clinic, base_sessions()), "S3")
    assert {v.patients for v in violations} == {("P3",)}


def test_s4_womens_group_admits_women_only() -> None:
    clinic = change(with_gt(sexes=frozenset({Sex.FEMALE})), "patients", "P3", sex=Sex.MALE)
    violations = only(check(clinic, base_sessions()), "S4")
    assert len(violations) == 3 and {v.patients for v in violations} == {("P3",)}
    assert "female" in violations[0].message
    assert check(with_gt(sexes=frozenset({Sex.FEMALE})), base_sessions()) == []


# --------------------------------------------------------------------------------------
# Locks (L1).


@pytest.mark.parametrize(
    "lock",
    [
        Lock("LK", "MON-EVE", "GT", patient="P1"),
        Lock("LK", "WED-IND", "IND", patient="P2", therapist="T1", room="OFFICE"),
        Lock("LK", "FRI-EVE", "GT", room="R1"),
    ],
)
def test_l1_kept(lock: Lock) -> None:
    assert check(tiny_clinic(locks=(lock,)), base_sessions()) == []


def unmet(clinic: Clinic, sessions: list[Session], *locks: UnmetLock) -> list[Violation]:
    return check_schedule(clinic, replace(make(clinic, sessions), unmet_locks=locks))


def test_l1_a_broken_lock_listed_as_unmet_with_a_reason_passes() -> None:
    clinic = tiny_clinic(locks=(Lock("LK", "MON-EVE", "GT", therapist="T1"),))  # T2 leads
    assert rules(check(clinic, base_sessions())) == {"L1"}
    assert unmet(clinic, base_sessions(), UnmetLock("LK", "T1 is off that day.")) == []
    (no_reason,) = only(unmet(clinic, base_sessions(), UnmetLock("LK", " ")), "L1")
    assert "no reason" in no_reason.message


def test_l1_a_lock_listed_as_unmet_that_holds_is_a_violation() -> None:
    """A coordinator told a lock was dropped would re-enter it by hand."""
    clinic = tiny_clinic(locks=(Lock("LK", "MON-EVE", "GT", patient="P1"),))
    (kept,) = only(unmet(clinic, base_sessions(), UnmetLock("LK", "It cannot hold.")), "L1")
    assert "LK" in kept.message and "kept" in kept.message and kept.patients == ("P1",)
    (ghost,) = only(unmet(tiny_clinic(), base_sessions(), UnmetLock("NO", "Why.")), "L1")
    assert "no such lock" in ghost.message


def two_weeks_swapped() -> list[Session]:
    """Two valid weeks; in week 1 P1 and P2 swap individual slots (P1 Wed, P2 Mon)."""
    week1 = edit(base_sessions(1), "IND-MON-w1", patients=("P2",))
    return base_sessions() + edit(week1, "IND-WED-w1", patients=("P1",))


@pytest.mark.parametrize(
    "lock",
    [
        Lock("LK", "MON-IND", "IND", patient="P2"),  # P2's individual session is Wednesday
        Lock("LK", "MON-EVE", "GT", therapist="T1"),  # T2 leads it
        Lock("LK", "MON-EVE", "GT", room="OFFICE"),
        Lock("LK", "MON-IND", "IND", week=1, patient="P1"),  # only in week 0
    ],
)
def test_l1_broken(lock: Lock) -> None:
    clinic = settings(tiny_clinic(), weeks=2)
    assert check(clinic, two_weeks_swapped()) == []
    clinic = replace(clinic, locks=(lock,))
    (violation,) = only(check(clinic, two_weeks_swapped()), "L1")
    assert "LK" in violation.message
    assert violation.patients == ((lock.patient,) if lock.patient else ())
