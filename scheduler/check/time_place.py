"""T1-T7: time and place — double booking, travel buffer, blocks, closures,
availability, sites and rest after night work."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Iterator

from scheduler.check.view import DAY, WEEK, Resolved, View, on_week_clock, within_windows
from scheduler.check.violation import Violation
from scheduler.domain import (
    Closure,
    Patient,
    Window,
)


def _clashes(sessions: Iterable[Resolved]) -> Iterator[tuple[Resolved, Resolved]]:
    """Pairs of sessions in the same week whose windows overlap, in schedule order."""
    by_day: dict[tuple[int, int], list[Resolved]] = defaultdict(list)
    for r in sessions:
        by_day[(r.session.week, int(r.window.weekday))].append(r)
    for day in sorted(by_day):
        items = by_day[day]
        for i, a in enumerate(items):
            for b in items[i + 1 :]:
                if a.window.start < b.window.end and b.window.start < a.window.end:
                    yield a, b


def check_double_booking(v: View) -> Iterator[Violation]:
    """T1: no patient, therapist or room (virtual rooms included) in two clashing sessions."""
    entities: list[tuple[str, str, dict[str, list[Resolved]]]] = [
        ("Patient", "patients", v.by_patient),
        ("Therapist", "therapists", v.by_therapist),
        ("Room", "rooms", v.by_room),
    ]
    for label, field_name, table in entities:
        for ident in sorted(table):
            for a, b in _clashes(table[ident]):
                entity: dict[str, tuple[str, ...]] = {field_name: (ident,)}
                yield Violation(
                    "T1",
                    f"{label} {ident} is booked twice at once: {a.describe()} and {b.describe()}.",
                    sessions=(a.id, b.id),
                    **entity,
                )


def _within(a: Window, b: Window, gap: int) -> bool:
    """Whether the windows come closer than ``gap`` minutes on the week clock. The weekly
    pattern repeats, so Sunday night also meets next Monday morning: try ``b`` a week
    earlier and a week later too."""
    a0, a1 = on_week_clock(a)
    b0, b1 = on_week_clock(b)
    return any(a0 < b1 + k + gap and b0 + k < a1 + gap for k in (-WEEK, 0, WEEK))


def check_travel_buffer(v: View) -> Iterator[Violation]:
    """T2: no commitment of the patient within the travel buffer of a session, across
    midnight and from Sunday into Monday included."""
    buffer = v.settings.travel_buffer_min
    for r in v.resolved:
        for p in r.patients:
            for c in p.commitments:
                w = c.window
                if _within(w, r.window, buffer):
                    yield Violation(
                        "T2",
                        f"Patient {p.id} has {c.kind} {w}, within {buffer} minutes of "
                        f"{r.describe()}.",
                        sessions=(r.id,),
                        patients=(p.id,),
                    )


def check_blocks(v: View) -> Iterator[Violation]:
    """T3: the block has the type's block kind and the type's duration fits in it."""
    for r in v.resolved:
        if r.block.kind is not r.kind.block_kind:
            yield Violation(
                "T3",
                f"{r.describe()} is a {r.kind.block_kind} session but block {r.block.id} "
                f"is a {r.block.kind} block.",
                sessions=(r.id,),
            )
        if r.kind.duration_min > r.block.window.minutes:
            yield Violation(
                "T3",
                f"{r.describe()} lasts {r.kind.duration_min} minutes but block {r.block.id} "
                f"is only {r.block.window.minutes} minutes long.",
                sessions=(r.id,),
            )


def _closures_on(v: View, r: Resolved) -> list[Closure]:
    """Closures dated on the session's date that cover its block and site."""
    return [
        c
        for c in v.clinic.closures
        if c.date == r.date
        and (c.block is None or c.block == r.block.id)
        and (c.site is None or c.site == r.block.site)
    ]


def _note(c: Closure) -> str:
    return f" ({c.note})" if c.note.strip() else ""


def check_closures(v: View) -> Iterator[Violation]:
    """T4: nothing in a block closed for the clinic or site, in a closed room, or led by a
    therapist who is off."""
    for r in v.resolved:
        closures = _closures_on(v, r)
        whole = [c for c in closures if c.room is None and c.therapist is None]
        if whole:
            yield Violation(
                "T4",
                f"{r.describe()} is in block {r.block.id}, closed that day{_note(whole[0])}.",
                sessions=(r.id,),
            )
            continue  # a closed block closes its rooms and staff; say it once
        if r.room is not None:
            # A row naming a room and a therapist closes both (RULES.md T4).
            room_off = [c for c in closures if c.room == r.room.id]
            if room_off:
                yield Violation(
                    "T4",
                    f"{r.describe()} is in room {r.room.id}, closed that day{_note(room_off[0])}.",
                    sessions=(r.id,),
                    rooms=(r.room.id,),
                )
        for t in r.therapists:
            off = [c for c in closures if c.therapist == t.id]
            if off:
                yield Violation(
                    "T4",
                    f"Therapist {t.id} is off that day{_note(off[0])} but leads {r.describe()}.",
                    sessions=(r.id,),
                    therapists=(t.id,),
                )


def check_availability(v: View) -> Iterator[Violation]:
    """T5: every therapist and the room are available for the whole window."""
    for r in v.resolved:
        for t in r.therapists:
            if not within_windows(t.availability, r.window):
                yield Violation(
                    "T5",
                    f"Therapist {t.id} is not available for the whole of {r.describe()}.",
                    sessions=(r.id,),
                    therapists=(t.id,),
                )
        room = r.room
        if (
            room is not None
            and room.availability
            and not within_windows(room.availability, r.window)
        ):
            yield Violation(
                "T5",
                f"Room {room.id} is not available for the whole of {r.describe()}.",
                sessions=(r.id,),
                rooms=(room.id,),
            )


def check_sites(v: View) -> Iterator[Violation]:
    """T6: patients, room and therapists belong to the block's site; a therapist works at
    one site per date."""
    for r in v.resolved:
        site = r.block.site
        for p in r.patients:
            if p.site != site:
                yield Violation(
                    "T6",
                    f"Patient {p.id} belongs to site {p.site} but attends {r.describe()} "
                    f"at site {site}.",
                    sessions=(r.id,),
                    patients=(p.id,),
                )
        room = r.room
        if room is not None and not room.virtual and room.site != site:
            yield Violation(
                "T6",
                f"Room {room.id} is at site {room.site}, not at site {site} where "
                f"{r.describe()} is held.",
                sessions=(r.id,),
                rooms=(room.id,),
            )
        for t in r.therapists:
            if site not in t.sites:
                yield Violation(
                    "T6",
                    f"Therapist {t.id} does not work at site {site} but leads {r.describe()}.",
                    sessions=(r.id,),
                    therapists=(t.id,),
                )
    for t_id in sorted(v.by_therapist):
        by_date: dict[dt.date, list[Resolved]] = defaultdict(list)
        for r in v.by_therapist[t_id]:
            by_date[r.date].append(r)
        for date in sorted(by_date):
            sites = sorted({r.block.site for r in by_date[date]})
            if len(sites) > 1:
                yield Violation(
                    "T6",
                    f"Therapist {t_id} works at {len(sites)} sites on {date:%a %d %b %Y} "
                    f"({', '.join(sites)}); one site per day.",
                    sessions=tuple(r.id for r in by_date[date]),
                    therapists=(t_id,),
                )


def _nights(p: Patient) -> list[tuple[int, str]]:
    """(end on the week clock, what) for each stretch of the patient's night work.

    Commitments that touch or overlap are one stretch; a stretch is night work when a
    midnight falls at or after its start and before its end. The weekly pattern repeats,
    so each commitment is laid out over three consecutive weeks and a stretch running from
    Sunday into Monday is seen whole in the middle week.
    """
    laid = sorted(
        (start + k, end + k, str(c.window))
        for c in p.commitments
        for start, end in [on_week_clock(c.window)]
        for k in (-WEEK, 0, WEEK)
    )
    stretches: list[tuple[int, int, str]] = []
    for start, end, text in laid:
        if stretches and start <= stretches[-1][1]:
            first, last, what = stretches[-1]
            stretches[-1] = (first, max(last, end), what)
        else:
            stretches.append((start, end, text))
    out: dict[int, str] = {}
    for start, end, what in stretches:
        midnight = (start + DAY - 1) // DAY * DAY
        if midnight < end:
            out.setdefault(end % WEEK, what)
    return sorted(out.items())


def check_rest_after_night(v: View) -> Iterator[Violation]:
    """T7: no session within ``rest_after_night_min`` after a patient's night work ends."""
    rest = v.settings.rest_after_night_min
    if rest == 0:
        return
    for r in v.resolved:
        s0, s1 = on_week_clock(r.window)
        for p in r.patients:
            for end, what in _nights(p):
                if any(s0 < end + k + rest and end + k < s1 for k in (-WEEK, 0, WEEK)):
                    yield Violation(
                        "T7",
                        f"Patient {p.id} works overnight ({what}); {r.describe()} falls "
                        f"within the {rest} minutes' rest after that night ends.",
                        sessions=(r.id,),
                        patients=(p.id,),
                    )
