"""Hand edits of the working schedule, each judged at once by the independent checker.

An edit makes a new schedule (or a new set of locks); :func:`judge` runs
:func:`scheduler.check.check_schedule` on it and refuses it when it breaks a rule the
schedule kept before, naming the rule in words ("T1 No double-booking: Therapist T02 is
booked twice at once: …"). Locks made here are ordinary :class:`~scheduler.domain.Lock`
records, the Locks sheet's kind, kept in the workspace and fed to the next solve; the
checker sees them too, so moving a locked session or patient is refused by RULES.md L1.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from scheduler.check import Violation
from scheduler.domain import Clinic, Lock
from scheduler.schedule import Schedule, Session

#: The rules' names as docs/RULES.md gives them, for refusals a coordinator can read.
RULE_NAMES = {
    "STRUCTURE": "Schedule structure",
    "P1": "Placed or listed",
    "P2": "Treatment dates",
    "P4": "Starting later",
    "T1": "No double-booking",
    "T2": "Travel buffer",
    "T3": "Blocks",
    "T4": "Closures",
    "T5": "Availability",
    "T6": "Sites",
    "T7": "Rest after night work",
    "G1": "Group size",
    "G2": "Room",
    "G3": "Credentials",
    "G4": "Co-facilitation",
    "G5": "Therapist hours",
    "G6": "Caseload",
    "W1": "Curriculum",
    "W2": "Hours band",
    "W3": "Week shape",
    "W4": "Individual sessions",
    "W5": "Family sessions",
    "W6": "One patient per individual or family session",
    "S1": "Adolescents apart from adults",
    "S2": "Single-sex groups",
    "S3": "Treatment phases",
    "S4": "Admitted sexes",
    "L1": "Locks",
}


def in_words(v: Violation) -> str:
    return f"{v.rule} {RULE_NAMES.get(v.rule, '')}: {v.message}"


class EditError(ValueError):
    """An edit that does not make sense (an unknown session, patient, room or block)."""


@dataclass(frozen=True)
class Verdict:
    ok: bool
    refusals: tuple[str, ...]  # each broken rule, in words


Broken = frozenset[tuple[str, str]]


def broken(clinic: Clinic, schedule: Schedule) -> Broken:
    """What the checker finds, as (rule, message) pairs to compare before and after."""
    from scheduler.check import check_schedule

    return frozenset((v.rule, v.message) for v in check_schedule(clinic, schedule))


def judge(old: Broken, clinic: Clinic, after: Schedule) -> tuple[Verdict, Broken]:
    """Refuse ``after`` if it breaks any rule that the schedule before kept (``old``, what
    :func:`broken` found in it: a violation already in the draft, say from a changed
    input, does not block unrelated edits). Also returns what ``after`` breaks, which is
    the next edit's ``old``."""
    from scheduler.check import check_schedule

    found = check_schedule(clinic, after)
    new = [v for v in found if (v.rule, v.message) not in old]
    return Verdict(not new, tuple(in_words(v) for v in new)), frozenset(
        (v.rule, v.message) for v in found
    )


def _session(schedule: Schedule, session_id: str) -> Session:
    found = schedule.session_by_id.get(session_id)
    if found is None:
        raise EditError(f"there is no session {session_id!r} in the working schedule")
    return found


def _with_sessions(schedule: Schedule, sessions: list[Session]) -> Schedule:
    return replace(schedule, sessions=tuple(sessions))


def move_patient(schedule: Schedule, patient: str, from_id: str, to_id: str) -> Schedule:
    """The patient leaves one session for another (another group, usually of the same type
    in another block)."""
    source, target = _session(schedule, from_id), _session(schedule, to_id)
    if patient not in source.patients:
        raise EditError(f"{patient} is not in {source.code}")
    if patient in target.patients:
        raise EditError(f"{patient} is already in {target.code}")
    out = []
    for s in schedule.sessions:
        if s.id == source.id:
            s = replace(s, patients=tuple(p for p in s.patients if p != patient))
        elif s.id == target.id:
            s = replace(s, patients=(*s.patients, patient))
        if s.patients or s.id != source.id:
            out.append(s)
    return _with_sessions(schedule, out)


def move_session_room(schedule: Schedule, clinic: Clinic, session_id: str, room: str) -> Schedule:
    if room not in clinic.room_by_id:
        raise EditError(f"there is no room {room!r}")
    target = _session(schedule, session_id)
    return _with_sessions(
        schedule, [replace(s, room=room) if s.id == target.id else s for s in schedule.sessions]
    )


def move_session_block(schedule: Schedule, clinic: Clinic, session_id: str, block: str) -> Schedule:
    """The session moves to another block of its week, renumbered there (session IDs and
    group codes name their block)."""
    if block not in clinic.block_by_id:
        raise EditError(f"there is no block {block!r}")
    target = _session(schedule, session_id)
    used = {s.id for s in schedule.sessions if s.week == target.week and s.block == block}
    number = 1
    while f"W{target.week}-{block}-{target.session_type}-{number}" in used:
        number += 1
    named = Session.numbered(target.week, block, target.session_type, number, target.room, (), ())
    # replace(), not a new record: whatever else a session carries (its topic, say) stays.
    # It is the same group at another time (issue "week after week"), so it keeps its lineage.
    moved = replace(target, id=named.id, code=named.code, block=block, lineage=target.lineage_id)
    return _with_sessions(schedule, [moved if s.id == target.id else s for s in schedule.sessions])


def session_lock(lock_id: str, s: Session) -> Lock:
    """Keeps the session where it is: its block, type, lead therapist and room."""
    lead = s.therapists[0] if s.therapists else None
    return Lock(lock_id, s.block, s.session_type, s.week, therapist=lead, room=s.room)


def place_lock(lock_id: str, s: Session, patient: str) -> Lock:
    """Keeps the patient in a session of this type in this block."""
    if patient not in s.patients:
        raise EditError(f"{patient} is not in {s.code}")
    return Lock(lock_id, s.block, s.session_type, s.week, patient=patient)


def locks_of_session(locks: list[Lock], s: Session) -> list[Lock]:
    """The app's locks that pin this session (its lead and room) or a place in it."""
    return [
        lk
        for lk in locks
        if lk.week == s.week
        and lk.block == s.block
        and lk.session_type == s.session_type
        and (
            (lk.patient is not None and lk.patient in s.patients)
            or (lk.patient is None and lk.room == s.room)
        )
    ]
