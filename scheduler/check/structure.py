"""STRUCTURE: the schedule refers to the clinic it claims to schedule."""

from __future__ import annotations

from collections.abc import Iterator

from scheduler.check.view import View, unique
from scheduler.check.violation import STRUCTURE, Violation


def check_structure(v: View) -> Iterator[Violation]:
    """Unknown IDs, duplicate session IDs, repeated patients, weeks outside the horizon."""
    c, sch = v.clinic, v.schedule
    if sch.week_start != v.settings.week_start or sch.weeks != v.weeks:
        yield Violation(
            STRUCTURE,
            f"The schedule covers {sch.weeks} week(s) from {sch.week_start}, but the clinic "
            f"plans {v.weeks} week(s) from {v.settings.week_start}.",
        )
    seen: set[str] = set()
    for s in sch.sessions:
        where = f"Session {s.id} ({s.code})"
        if s.id in seen:
            yield Violation(STRUCTURE, f"Session ID {s.id} is used twice.", sessions=(s.id,))
        seen.add(s.id)
        if not 0 <= s.week < v.weeks:
            yield Violation(
                STRUCTURE,
                f"{where} is in week {s.week}, outside the {v.weeks}-week horizon.",
                sessions=(s.id,),
            )
        unknown: list[tuple[str, str, dict[str, tuple[str, ...]]]] = []
        if s.block not in c.block_by_id:
            unknown.append(("block", s.block, {}))
        if s.session_type not in c.session_type_by_id:
            unknown.append(("session type", s.session_type, {}))
        if s.room not in c.room_by_id:
            unknown.append(("room", s.room, {"rooms": (s.room,)}))
        for t in unique(s.therapists):
            if t not in c.therapist_by_id:
                unknown.append(("therapist", t, {"therapists": (t,)}))
        for p in unique(s.patients):
            if p not in c.patient_by_id:
                unknown.append(("patient", p, {"patients": (p,)}))
        for what, ident, entities in unknown:
            yield Violation(
                STRUCTURE,
                f"{where} names {what} {ident!r}, which the clinic does not have.",
                sessions=(s.id,),
                **entities,
            )
        for p in unique(p for p in s.patients if s.patients.count(p) > 1):
            yield Violation(
                STRUCTURE,
                f"{where} lists patient {p} more than once.",
                sessions=(s.id,),
                patients=(p,),
            )
    listed: set[str] = set()
    for u in sch.unplaced:
        if u.patient not in c.patient_by_id:
            yield Violation(
                STRUCTURE,
                f"The unplaced list names patient {u.patient!r}, whom the clinic does not have.",
                patients=(u.patient,),
            )
        if u.patient in listed:
            yield Violation(
                STRUCTURE,
                f"Patient {u.patient} is listed as unplaced more than once.",
                patients=(u.patient,),
            )
        listed.add(u.patient)
