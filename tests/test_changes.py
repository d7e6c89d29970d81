"""The change report: every appointment moved, added, cancelled or given a new room or
leader, per patient and per therapist; who is new, discharged or lost their place; forced
changes named with their reason, every other one unforced.

Schedules are made by hand on the tiny clinic (three evening groups, one individual slot
before each) and each one is checked against the rules, so the report is only ever asked
about timetables the clinic could publish.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from factory import WEEK, block, patient, tiny_clinic
from test_exports_samples import stats

from scheduler.changes import ChangeKind, Who, appointments_changed, compare
from scheduler.check import check_schedule
from scheduler.domain import Clinic, Closure, Weekday
from scheduler.schedule import Schedule, Session, Unplaced

PATIENTS = ("P1", "P2", "P3")
DAYS = ("MON", "WED", "FRI")


def clinic(**kw: object) -> Clinic:
    base = tiny_clinic(3)
    extra = (block("TUE-EVE", Weekday.TUE, "18:00", "21:00"),)
    return replace(tiny_clinic(3, blocks=base.blocks + extra), **kw)  # type: ignore[arg-type]


def gt(
    day: str,
    week: int = 0,
    *,
    room: str = "R1",
    leaders: tuple[str, ...] = ("T2",),
    patients: tuple[str, ...] = PATIENTS,
    lineage: str = "",
) -> Session:
    return Session.numbered(week, f"{day}-EVE", "GT", 1, room, leaders, patients, lineage)


def ind(day: str, pid: str, week: int = 0) -> Session:
    return Session.numbered(week, f"{day}-IND", "IND", 1, "OFFICE", ("T1",), (pid,))


def week_sessions(week: int = 0, patients: tuple[str, ...] = PATIENTS) -> list[Session]:
    out = [gt(d, week, patients=patients) for d in DAYS]
    out += [ind(d, p, week) for d, p in zip(DAYS, patients, strict=False)]
    return out


def plan(
    sessions: list[Session],
    *,
    start: dt.date = WEEK,
    weeks: int = 1,
    unplaced: tuple[Unplaced, ...] = (),
) -> Schedule:
    return Schedule(start, weeks, tuple(sessions), unplaced, stats())


def valid(c: Clinic, s: Schedule) -> Schedule:
    assert check_schedule(c, s) == []
    return s


def swap(sessions: list[Session], old_id: str, new: Session) -> list[Session]:
    assert any(s.id == old_id for s in sessions)
    return [new if s.id == old_id else s for s in sessions]


def test_the_same_schedule_changes_nothing() -> None:
    c = clinic()
    before = valid(c, plan(week_sessions()))
    report = compare(c, before, plan(week_sessions()))
    assert report.empty
    assert report.counts.appointments == 0
    assert appointments_changed(report) == {0: 0}


def test_a_group_moved_to_another_day_is_one_call_per_member_and_leader() -> None:
    c = clinic()
    before = valid(c, plan(week_sessions()))
    moved = gt("TUE", lineage="GT-MON-EVE-1")
    after = valid(c, plan(swap(week_sessions(), "W0-MON-EVE-GT-1", moved)))
    report = compare(c, before, after)
    assert [(ch.who, ch.person) for ch in report.changes] == [
        (Who.PATIENT, "P1"),
        (Who.PATIENT, "P2"),
        (Who.PATIENT, "P3"),
        (Who.THERAPIST, "T2"),
    ]
    for ch in report.changes:
        assert ch.kinds == (ChangeKind.MOVED,)
        assert ch.old is not None and ch.new is not None
        assert (ch.old.date, ch.old.start) == (WEEK, "18:00")
        assert (ch.new.date, ch.new.start) == (WEEK + dt.timedelta(days=1), "18:00")
        assert ch.old.lineage == ch.new.lineage == "GT-MON-EVE-1"
        assert not ch.forced  # nothing stopped Monday: the minimal-change term's business
    counts = report.counts
    assert (counts.appointments, counts.patients, counts.therapists) == (4, 3, 1)
    assert counts.unforced == 4
    assert appointments_changed(report) == {0: 3}


def test_a_closed_block_forces_the_move_and_says_so() -> None:
    closed = clinic(closures=(Closure(WEEK, block="MON-EVE"),))
    before = plan(week_sessions())
    after = valid(
        closed, plan(swap(week_sessions(), "W0-MON-EVE-GT-1", gt("TUE", lineage="GT-MON-EVE-1")))
    )
    report = compare(closed, before, after)
    assert len(report.changes) == 4
    for ch in report.changes:
        assert ch.forced
        assert any("MON-EVE is closed on 2026-12-07" in r for r in ch.reasons)
    assert report.counts.forced == 4 and report.per_week[0].unforced == 0


def test_a_new_room_is_forced_only_when_the_old_room_is_closed() -> None:
    c = clinic(rooms=(*tiny_clinic().rooms, replace(tiny_clinic().rooms[0], id="R2")))
    before = valid(c, plan(week_sessions()))
    after_sessions = swap(week_sessions(), "W0-WED-EVE-GT-1", gt("WED", room="R2"))
    report = compare(c, before, valid(c, plan(after_sessions)))
    assert {ch.kinds for ch in report.changes} == {(ChangeKind.NEW_ROOM,)}
    assert not any(ch.forced for ch in report.changes)
    one = report.changes[0]
    assert one.old is not None and one.new is not None
    assert (one.old.room, one.new.room) == ("R1", "R2")

    closed = replace(c, closures=(Closure(WEEK + dt.timedelta(days=2), room="R1"),))
    report = compare(closed, before, valid(closed, plan(after_sessions)))
    assert all(ch.forced for ch in report.changes)
    assert all("Room R1 is closed on 2026-12-09" in ch.reasons for ch in report.changes)


def test_a_leader_off_hands_the_group_over_and_both_therapists_are_told() -> None:
    off = clinic(closures=(Closure(WEEK + dt.timedelta(days=4), therapist="T2"),))
    before = plan(week_sessions())
    after = valid(off, plan(swap(week_sessions(), "W0-FRI-EVE-GT-1", gt("FRI", leaders=("T1",)))))
    report = compare(off, before, after)
    by_person = {ch.person: ch for ch in report.changes}
    assert set(by_person) == {"P1", "P2", "P3", "T1", "T2"}
    for ch in report.changes:
        assert ch.kinds == (ChangeKind.NEW_LEADER,)
        assert ch.old is not None and ch.new is not None
        assert (ch.old.leaders, ch.new.leaders) == (("T2",), ("T1",))
        assert ch.reasons == ("Therapist T2 is off on 2026-12-11",)
    # Without the day off the same hand-over is unforced.
    report = compare(clinic(), before, after)
    assert report.counts.appointments == 5 and report.counts.forced == 0


def test_a_discharge_mid_week_forces_the_cancellations_after_it() -> None:
    c = clinic()
    before = valid(c, plan(week_sessions()))
    leaving = patient("P3", discharge=WEEK + dt.timedelta(days=2))  # the Wednesday
    c2 = replace(c, patients=(*c.patients[:2], leaving))
    after_sessions = swap(week_sessions(), "W0-FRI-EVE-GT-1", gt("FRI", patients=("P1", "P2")))
    after_sessions = [s for s in after_sessions if s.id != "W0-FRI-IND-IND-1"]
    report = compare(c2, before, valid(c2, plan(after_sessions)))
    p3 = [ch for ch in report.changes if ch.person == "P3"]
    assert [ch.kinds for ch in p3] == [(ChangeKind.CANCELLED,), (ChangeKind.CANCELLED,)]
    assert all(ch.reasons == ("discharged 2026-12-09",) for ch in p3)
    assert all(ch.new is None for ch in p3)
    # Nobody else's appointments changed: the group went on, smaller.
    assert {ch.person for ch in report.changes} == {"P3", "T1"}
    t1 = next(ch for ch in report.changes if ch.person == "T1")  # P3's individual session
    assert t1.kinds == (ChangeKind.CANCELLED,) and t1.reasons == (
        "its patient: discharged 2026-12-09",
    )


def test_an_unforced_cancellation_and_addition() -> None:
    c = clinic()
    before = valid(c, plan(week_sessions()))
    # P1's individual session goes from Monday to nowhere, and P2 gains a Tuesday group.
    # (Not a timetable the rules allow, P1 is short of the curriculum; only the report's
    # words are asked for.)
    after_sessions = [s for s in week_sessions() if s.id != "W0-MON-IND-IND-1"]
    after_sessions.append(gt("TUE", patients=("P2", "P3")))
    report = compare(c, before, plan(after_sessions))
    kinds = {(ch.person, ch.kinds) for ch in report.changes}
    assert ("P1", (ChangeKind.CANCELLED,)) in kinds
    assert ("P2", (ChangeKind.ADDED,)) in kinds
    assert ("T1", (ChangeKind.CANCELLED,)) in kinds
    assert ("T2", (ChangeKind.ADDED,)) in kinds
    assert report.counts.forced == 0


def test_new_discharged_and_lost_place() -> None:
    c = clinic()
    before = valid(c, plan(week_sessions(patients=("P1", "P2")), unplaced=(Unplaced("P3", "x"),)))
    # Next week: P1 discharged, P3 finally placed, P2 loses the place; P4 admitted.
    nxt = WEEK + dt.timedelta(weeks=1)
    pats = (
        patient("P1", discharge=WEEK + dt.timedelta(days=4)),
        c.patients[1],
        c.patients[2],
        patient("P4", admission=nxt),
    )
    c2 = replace(c, patients=pats, settings=replace(c.settings, week_start=nxt))
    after = plan(
        [gt(d, patients=("P3", "P4")) for d in DAYS] + [ind("MON", "P3"), ind("WED", "P4")],
        start=nxt,
        unplaced=(Unplaced("P2", "no seat fits her commitments"),),
    )
    report = compare(c2, before, valid(c2, after))
    assert [(n.patient, n.note) for n in report.new_patients] == [
        ("P3", "placed now (had no place in the previous schedule)"),
        ("P4", "admitted 2026-12-14"),
    ]
    assert [(n.patient, n.note) for n in report.discharged] == [("P1", "discharged 2026-12-11")]
    assert [(n.patient, n.note) for n in report.lost_place] == [
        ("P2", "no seat fits her commitments")
    ]
    assert not [ch for ch in report.changes if ch.who is Who.PATIENT]  # nobody continues
    counts = report.counts
    assert (counts.new_patients, counts.discharged, counts.lost_place) == (2, 1, 1)


def test_next_week_repeats_the_last_week_of_the_previous_plan() -> None:
    c = clinic()
    before = valid(c, plan(week_sessions()))
    nxt = WEEK + dt.timedelta(weeks=1)
    c2 = replace(c, settings=replace(c.settings, week_start=nxt))
    same = valid(c2, plan(week_sessions(), start=nxt))
    assert compare(c2, before, same).empty
    moved = valid(
        c2,
        plan(
            swap(week_sessions(), "W0-MON-EVE-GT-1", gt("TUE", lineage="GT-MON-EVE-1")),
            start=nxt,
        ),
    )
    report = compare(c2, before, moved)
    ch = report.changes[0]
    assert ch.old is not None and ch.new is not None
    # The old appointment is shown on the date it would have had: the pattern goes on.
    assert (ch.old.date, ch.new.date) == (nxt, nxt + dt.timedelta(days=1))
    assert report.per_week[0].monday == nxt


def test_each_new_week_is_compared_with_the_week_it_repeats() -> None:
    c = clinic(settings=replace(clinic().settings, weeks=2))
    before = valid(c, plan(week_sessions(0) + week_sessions(1), weeks=2))
    # Rolled on one week: new week 0 is the old week 1 (same dates), new week 1 repeats it.
    nxt = WEEK + dt.timedelta(weeks=1)
    c2 = replace(c, settings=replace(c.settings, week_start=nxt))
    second = swap(week_sessions(1), "W1-WED-EVE-GT-1", gt("WED", 1, leaders=("T1",)))
    after = valid(c2, plan(week_sessions(0) + second, start=nxt, weeks=2))
    report = compare(c2, before, after)
    assert appointments_changed(report) == {0: 0, 1: 3}
    assert {ch.week for ch in report.changes} == {1}


def test_a_step_down_forces_a_cancellation_only_when_it_begins() -> None:
    nxt = WEEK + dt.timedelta(weeks=1)
    # P3's planned discharge puts next week, not this one, in the two-week step-down.
    leaving = patient("P3", discharge=nxt + dt.timedelta(days=13))
    c = clinic(patients=(*clinic().patients[:2], leaving))
    before = valid(c, plan(week_sessions()))
    fewer = swap(week_sessions(), "W0-FRI-EVE-GT-1", gt("FRI", patients=("P1", "P2")))
    c2 = replace(c, settings=replace(c.settings, week_start=nxt))
    # (Whether P3's shorter week keeps the step-down band is the checker's business,
    # not the report's: only the report's words are asked for here.)
    report = compare(c2, before, plan(fewer, start=nxt))
    (ch,) = [ch for ch in report.changes if ch.person == "P3"]
    assert ch.kinds == (ChangeKind.CANCELLED,)
    assert "stepping down before discharge on 2026-12-27" in ch.reasons
    # Re-planning this week, before the step-down: nothing forced it.
    report = compare(c, before, plan(fewer))
    (ch,) = [ch for ch in report.changes if ch.person == "P3"]
    assert ch.kinds == (ChangeKind.CANCELLED,) and not ch.forced
    # Re-planning next week from a plan of next week, the step-down already under way in
    # the week repeated: nothing new forced it either.
    report = compare(c2, plan(week_sessions(), start=nxt), plan(fewer, start=nxt))
    (ch,) = [ch for ch in report.changes if ch.person == "P3"]
    assert ch.kinds == (ChangeKind.CANCELLED,) and not ch.forced


def test_a_change_made_for_another_names_it() -> None:
    """A group moved out of its room because another session now holds it there (a chain
    the minimal-change stage had to make) names that session as the reason."""
    from factory import room

    c = clinic(rooms=(*clinic().rooms, room("R2")))
    before = valid(c, plan(week_sessions()))
    moved = gt("MON", room="R2", lineage="GT-MON-EVE-1")
    newcomer = Session.numbered(0, "MON-EVE", "GT", 2, "R1", ("T1",), (), "GT-MON-EVE-2@new")
    after = plan([*swap(week_sessions(), "W0-MON-EVE-GT-1", moved), newcomer])
    report = compare(c, before, after)
    mine = [ch for ch in report.changes if ch.person == "P1"]
    assert [ch.kinds for ch in mine] == [(ChangeKind.NEW_ROOM,)]
    assert mine[0].reasons == ("its room now holds GT-MON-EVE-2 then",)
