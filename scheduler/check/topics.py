"""C1–C2: revolving topic cycles (TIP 41 open-ended groups).

Written apart from :mod:`scheduler.topics`: the checker replays each patient's sessions of
a cycled type in time order from the progress the schedule carries (``Schedule.progress``,
the modules met before the horizon) and judges every session against what came before it.
"""

from __future__ import annotations

from collections.abc import Iterator

from scheduler.check.view import Resolved, View
from scheduler.check.violation import Violation


def check_topic_cycles(v: View) -> Iterator[Violation]:
    """C1: a session of a type with a cycle has a topic of that cycle; a session of a type
    without one has none. The carried progress names known patients, cycled types and
    modules of their cycles."""
    for r in v.resolved:
        topic, cycle = r.session.topic, r.kind.topics
        if cycle and topic not in cycle:
            said = f"topic {topic!r}, not a module of" if topic else "no topic from"
            yield Violation(
                "C1",
                f"Session {r.describe()} has {said} the {r.kind.id} cycle.",
                sessions=(r.id,),
            )
        elif not cycle and topic:
            yield Violation(
                "C1",
                f"Session {r.describe()} has topic {topic!r} but {r.kind.id} has no cycle.",
                sessions=(r.id,),
            )
    for c in v.schedule.progress:
        kind = v.clinic.session_type_by_id.get(c.session_type)
        if c.patient not in v.clinic.patient_by_id or kind is None or not kind.topics:
            yield Violation(
                "C1",
                f"The carried module history of patient {c.patient} names "
                f"{c.session_type}, which is not a session type with a cycle, or the "
                "patient is unknown.",
                patients=(c.patient,),
            )
        elif not c.done <= set(kind.topics) or c.rounds < 0 or set(kind.topics) <= c.done:
            yield Violation(
                "C1",
                f"The carried module history of patient {c.patient} in {kind.id} is not a "
                "part-done round of its cycle.",
                patients=(c.patient,),
            )


def check_no_repeats(v: View) -> Iterator[Violation]:
    """C2: nobody meets a module twice in one round (before meeting every module of the
    cycle), counting the modules carried from before the horizon, unless at that session
    every module of the cycle had already been met this round by someone in it."""
    met: dict[tuple[str, str], set[str]] = {
        (c.patient, c.session_type): set(c.done) for c in v.schedule.progress
    }
    cycled = sorted(
        (r for r in v.resolved if r.kind.topics and r.session.topic in r.kind.topics),
        key=lambda r: (r.date, r.window.start, r.id),
    )
    for r in cycled:
        cycle = set(r.kind.topics)
        before = {p: met.setdefault((p, r.kind.id), set()) for p in r.session.patients}
        open_to_all = cycle - set().union(*before.values()) if before else cycle
        repeaters = tuple(p for p, done in before.items() if r.session.topic in done)
        if repeaters and open_to_all:
            yield _repeat(r, repeaters, sorted(open_to_all)[0])
        for done in before.values():
            done.add(r.session.topic)
            if done >= cycle:
                done.clear()  # a whole round: the cycle starts again


def _repeat(r: Resolved, repeaters: tuple[str, ...], instead: str) -> Violation:
    who = ", ".join(repeaters)
    return Violation(
        "C2",
        f"Session {r.describe()} repeats module {r.session.topic!r} for patient(s) {who} "
        f"before they met every module; {instead!r} was new to everyone in it.",
        sessions=(r.id,),
        patients=repeaters,
    )
