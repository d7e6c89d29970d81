"""L1: every lock has its session, or is listed as unmet with its reason."""

from __future__ import annotations

from collections.abc import Iterator

from scheduler.check.view import View
from scheduler.check.violation import Violation
from scheduler.check.weeks import week_label
from scheduler.domain import Lock


def check_locks(v: View) -> Iterator[Violation]:
    """L1: each lock has its session (week, block, type) with its patient, therapist and
    room, unless the schedule lists it as unmet with a reason. A lock listed as unmet must
    really be unmet: a coordinator told a lock was dropped would re-enter it by hand."""
    unmet = {u.lock: u.reason for u in v.schedule.unmet_locks}
    for lk in v.clinic.locks:
        honoured = _honoured(v, lk)
        people = {
            "patients": (lk.patient,) if lk.patient else (),
            "therapists": (lk.therapist,) if lk.therapist else (),
            "rooms": (lk.room,) if lk.room else (),
        }
        if lk.id in unmet:
            if honoured:
                yield Violation("L1", f"Lock {lk.id} is listed as unmet, but it is kept.", **people)
            elif not unmet[lk.id].strip():
                yield Violation("L1", f"Lock {lk.id} is listed as unmet with no reason.", **people)
            continue
        if honoured:
            continue
        pinned = [
            f"{what} {ident}"
            for what, ident in (
                ("patient", lk.patient),
                ("therapist", lk.therapist),
                ("room", lk.room),
            )
            if ident is not None
        ]
        yield Violation(
            "L1",
            f"Lock {lk.id} is not kept: no {lk.session_type} session in block {lk.block} "
            f"in {week_label(v, lk.week)} with {', '.join(pinned)}.",
            **people,
        )
    known = {lk.id for lk in v.clinic.locks}
    for lock_id in sorted(set(unmet) - known):
        yield Violation("L1", f"Lock {lock_id} is listed as unmet, but there is no such lock.")


def _honoured(v: View, lk: Lock) -> bool:
    return any(
        s.week == lk.week
        and s.block == lk.block
        and s.session_type == lk.session_type
        and (lk.patient is None or lk.patient in s.patients)
        and (lk.therapist is None or lk.therapist in s.therapists)
        and (lk.room is None or lk.room == s.room)
        for s in v.schedule.sessions
    )
