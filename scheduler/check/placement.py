"""P1, P2 and P4: who is placed, and only while in treatment; who starts later."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from scheduler.check.view import View
from scheduler.check.violation import Violation


def check_placement(v: View) -> Iterator[Violation]:
    """P1: every patient in the plan is placed or unplaced with a reason, never both;
    a patient not in the plan is neither."""
    reasons: dict[str, list[str]] = defaultdict(list)
    for u in v.schedule.unplaced:
        reasons[u.patient].append(u.reason)
    for p in v.clinic.patients:
        placed = p.id in v.placed
        listed = p.id in reasons
        who = (p.id,)
        later = p.id in v.schedule.starting_later
        owes_nothing = v.in_horizon(p) and not v.in_plan(p)
        if later != owes_nothing:
            yield Violation(
                "P4",
                f"Patient {p.id} owes no session in this plan and starts later, but is not "
                "listed as starting later."
                if owes_nothing
                else f"Patient {p.id} is listed as starting later but owes sessions in this "
                "plan (or is not in treatment during it).",
                patients=who,
            )
        if not v.in_plan(p):
            if placed:
                yield Violation(
                    "P1",
                    f"Patient {p.id} is not in treatment during this plan "
                    f"({p.admission}–{p.discharge}) but attends sessions.",
                    patients=who,
                )
            if listed:
                yield Violation(
                    "P1",
                    f"Patient {p.id} is not in treatment during this plan "
                    f"({p.admission}–{p.discharge}) but is listed as unplaced.",
                    patients=who,
                )
            continue
        if placed and listed:
            yield Violation(
                "P1",
                f"Patient {p.id} attends sessions and is also listed as unplaced.",
                patients=who,
            )
        if not placed and not listed:
            yield Violation(
                "P1",
                f"Patient {p.id} is in treatment but neither attends a session nor is listed "
                "as unplaced with a reason.",
                patients=who,
            )
        if listed and any(not reason.strip() for reason in reasons[p.id]):
            yield Violation(
                "P1", f"Patient {p.id} is listed as unplaced without a reason.", patients=who
            )


def check_treatment_dates(v: View) -> Iterator[Violation]:
    """P2: a patient attends only on dates inside admission..discharge."""
    for r in v.resolved:
        for p in r.patients:
            if not p.admission <= r.date <= p.discharge:
                yield Violation(
                    "P2",
                    f"Patient {p.id} attends {r.describe()} outside treatment "
                    f"({p.admission} to {p.discharge}).",
                    sessions=(r.id,),
                    patients=(p.id,),
                )
