"""L1: every lock has its session."""

from __future__ import annotations

from collections.abc import Iterator

from scheduler.check.view import View
from scheduler.check.violation import Violation
from scheduler.check.weeks import week_label


def check_locks(v: View) -> Iterator[Violation]:
    """L1: each lock has its session (week, block, type) with its patient, therapist and
    room."""
    for lk in v.clinic.locks:
        honoured = any(
            s.week == lk.week
            and s.block == lk.block
            and s.session_type == lk.session_type
            and (lk.patient is None or lk.patient in s.patients)
            and (lk.therapist is None or lk.therapist in s.therapists)
            and (lk.room is None or lk.room == s.room)
            for s in v.schedule.sessions
        )
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
            patients=(lk.patient,) if lk.patient else (),
            therapists=(lk.therapist,) if lk.therapist else (),
            rooms=(lk.room,) if lk.room else (),
        )
