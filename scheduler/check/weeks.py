"""W1-W7: each placed patient's week — curriculum, hours band, shape, individual and
family sessions, one-patient sessions, step-down before discharge."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator

from scheduler.check.view import Resolved, View, unique, within_windows
from scheduler.check.violation import EPS, Violation
from scheduler.domain import (
    BlockKind,
    SessionKind,
)
from scheduler.rules import family_slots, individual_slots, required_sessions


def week_label(v: View, week: int) -> str:
    return f"the week of {v.week_monday(week):%d %b %Y}"


def check_curriculum(v: View) -> Iterator[Violation]:
    """W1: each curriculum item of the track is met every week in treatment; extra
    sessions are groups only.

    Items of kind INDIVIDUAL are counted under W4 (which knows their waiver) and items of
    kind FAMILY under W5 (the family cadence decides). A type not open to the patient's
    track is reported under S1, which spells that out.
    """
    types = v.clinic.session_type_by_id
    for p, week in v.placed_patient_weeks():
        attended = v.patient_week(p.id, week)
        count: dict[str, int] = defaultdict(int)
        for r in attended:
            count[r.kind.id] += 1
        items = {i.session_type: i for i in v.clinic.curriculum if i.track is p.track}
        for item in items.values():
            kind = types[item.session_type]
            if kind.kind in (SessionKind.INDIVIDUAL, SessionKind.FAMILY):
                continue
            needed = required_sessions(v.clinic, p, item, week)
            if count[kind.id] < needed:
                yield Violation(
                    "W1",
                    f"Patient {p.id} attends {count[kind.id]} {kind.id} session(s) in "
                    f"{week_label(v, week)}; the {p.track} curriculum asks for "
                    f"{needed}.",
                    sessions=tuple(r.id for r in attended if r.kind.id == kind.id),
                    patients=(p.id,),
                )
        for type_id in sorted(count):
            kind = types[type_id]
            if kind.is_group or kind.kind is SessionKind.FAMILY:
                continue
            allowed = items[type_id].per_week if type_id in items else 0
            if count[type_id] > allowed:
                yield Violation(
                    "W1",
                    f"Patient {p.id} attends {count[type_id]} {type_id} session(s) in "
                    f"{week_label(v, week)}; the {p.track} curriculum asks for {allowed} "
                    "(only group sessions may be added).",
                    sessions=tuple(r.id for r in attended if r.kind.id == type_id),
                    patients=(p.id,),
                )


def check_hours_band(v: View) -> Iterator[Violation]:
    """W2: weekly hours within the track's band; the minimum (raised to hours_target)
    binds only for a whole week in treatment. A step-down week follows W7 instead."""
    for p, week in v.placed_patient_weeks():
        if v.stepping_down(p, week):
            continue
        attended = v.patient_week(p.id, week)
        counted = [r for r in attended if r.kind.counts_toward_hours]
        hours = sum(r.kind.duration_min for r in counted) / 60
        band = v.settings.band(p.track)
        ids = tuple(r.id for r in counted)
        if hours > band.max_hours + EPS:
            yield Violation(
                "W2",
                f"Patient {p.id} has {hours:g} treatment hours in {week_label(v, week)}; "
                f"the {p.track} maximum is {band.max_hours:g}.",
                sessions=ids,
                patients=(p.id,),
            )
        minimum = max(band.min_hours, p.hours_target or 0)
        if v.whole_week(p, week) and hours < minimum - EPS:
            yield Violation(
                "W2",
                f"Patient {p.id} has {hours:g} treatment hours in {week_label(v, week)}; "
                f"at least {minimum:g} are needed.",
                sessions=ids,
                patients=(p.id,),
            )


def check_shape(v: View) -> Iterator[Violation]:
    """W3: at most max_group_blocks_per_day group sessions a date; group sessions on at
    least min_days(track) dates when W2's minimum binds (W7 says a step-down week's)."""
    cap = v.settings.max_group_blocks_per_day
    for p, week in v.placed_patient_weeks():
        groups = [r for r in v.patient_week(p.id, week) if r.kind.block_kind is BlockKind.GROUP]
        by_date: dict[dt.date, list[Resolved]] = defaultdict(list)
        for r in groups:
            by_date[r.date].append(r)
        for date in sorted(by_date):
            if len(by_date[date]) > cap:
                yield Violation(
                    "W3",
                    f"Patient {p.id} has {len(by_date[date])} group sessions on "
                    f"{date:%a %d %b %Y}; at most {cap} a day.",
                    sessions=tuple(r.id for r in by_date[date]),
                    patients=(p.id,),
                )
        need = v.settings.min_days(p.track)
        binds = v.whole_week(p, week) and not v.stepping_down(p, week)
        if binds and len(by_date) < need:
            yield Violation(
                "W3",
                f"Patient {p.id} has group sessions on {len(by_date)} day(s) in "
                f"{week_label(v, week)}; at least {need} are needed.",
                sessions=tuple(r.id for r in groups),
                patients=(p.id,),
            )


def check_step_down(v: View) -> Iterator[Violation]:
    """W7: in a step-down week the weekly hours lie within the track's step-down band and
    group sessions fall on at least its step-down days; both minimums bind only for a
    whole week in treatment, and ``hours_target`` does not apply."""
    for p, week in v.placed_patient_weeks():
        if not v.stepping_down(p, week):
            continue
        attended = v.patient_week(p.id, week)
        counted = [r for r in attended if r.kind.counts_toward_hours]
        hours = sum(r.kind.duration_min for r in counted) / 60
        band = v.settings.step_down_band(p.track)
        ids = tuple(r.id for r in counted)
        label = f"{week_label(v, week)}, a step-down week before discharge on {p.discharge:%d %b}"
        if hours > band.max_hours + EPS or (v.whole_week(p, week) and hours < band.min_hours - EPS):
            yield Violation(
                "W7",
                f"Patient {p.id} has {hours:g} treatment hours in {label}; the {p.track} "
                f"step-down band is {band.min_hours:g}–{band.max_hours:g}.",
                sessions=ids,
                patients=(p.id,),
            )
        groups = [r for r in attended if r.kind.block_kind is BlockKind.GROUP]
        days = len({r.date for r in groups})
        need = v.settings.step_down_min_days(p.track)
        if v.whole_week(p, week) and days < need:
            yield Violation(
                "W7",
                f"Patient {p.id} has group sessions on {days} day(s) in {label}; at least "
                f"{need} are needed.",
                sessions=tuple(r.id for r in groups),
                patients=(p.id,),
            )


def check_individual(v: View) -> Iterator[Violation]:
    """W4: individual sessions are led by the primary therapist; the INDIVIDUAL curriculum
    items are met unless waived (no slot: scheduler.rules.individual_slots)."""
    for r in v.resolved:
        if r.kind.kind is not SessionKind.INDIVIDUAL:
            continue
        lead = r.session.therapists[:1]
        for p in r.patients:
            if lead != (p.primary_therapist,):
                yield Violation(
                    "W4",
                    f"{r.describe()} for patient {p.id} is led by "
                    f"{lead[0] if lead else 'nobody'}, not by their primary therapist "
                    f"{p.primary_therapist}.",
                    sessions=(r.id,),
                    patients=(p.id,),
                    therapists=unique((*lead, p.primary_therapist)),
                )
    types = v.clinic.session_type_by_id
    for p, week in v.placed_patient_weeks():
        for item in v.clinic.curriculum:
            kind = types[item.session_type]
            if item.track is not p.track or kind.kind is not SessionKind.INDIVIDUAL:
                continue
            held = [r for r in v.patient_week(p.id, week) if r.kind.id == kind.id]
            needed = required_sessions(v.clinic, p, item, week)
            if len(held) >= needed:
                continue
            if not individual_slots(v.clinic, p, kind, week):
                continue  # waived: no slot where patient and primary therapist could meet
            yield Violation(
                "W4",
                f"Patient {p.id} has {len(held)} {kind.id} session(s) with their primary "
                f"therapist {p.primary_therapist} in {week_label(v, week)}; "
                f"{needed} needed.",
                sessions=tuple(r.id for r in held),
                patients=(p.id,),
                therapists=(p.primary_therapist,),
            )


def check_family(v: View) -> Iterator[Violation]:
    """W5: one family session in a week the family is due (unless no slot:
    scheduler.rules.family_slots), inside the family's availability; none otherwise."""
    family_types = [st for st in v.clinic.session_types if st.kind is SessionKind.FAMILY]
    for p, week in v.placed_patient_weeks():
        held = [r for r in v.patient_week(p.id, week) if r.kind.kind is SessionKind.FAMILY]
        ids = tuple(r.id for r in held)
        label = week_label(v, week)
        for r in held:
            if not within_windows(p.family_availability, r.window):
                yield Violation(
                    "W5",
                    f"Family session {r.describe()} for patient {p.id} is outside the "
                    "family's availability.",
                    sessions=(r.id,),
                    patients=(p.id,),
                )
        if not p.family_due(v.week_monday(week)):
            if held:
                yield Violation(
                    "W5",
                    f"Patient {p.id} has a family session in {label}, but no family session "
                    "is due that week.",
                    sessions=ids,
                    patients=(p.id,),
                )
            continue
        if len(held) > 1:
            yield Violation(
                "W5",
                f"Patient {p.id} has {len(held)} family sessions in {label}; one is due.",
                sessions=ids,
                patients=(p.id,),
            )
        elif not held:
            open_types = [st for st in family_types if p.track in st.tracks]
            if any(family_slots(v.clinic, p, st, week) for st in open_types):
                yield Violation(
                    "W5",
                    f"Patient {p.id} has no family session in {label}, though one is due "
                    "and the family is available.",
                    patients=(p.id,),
                )


def check_one_patient(v: View) -> Iterator[Violation]:
    """W6: individual and family sessions hold exactly one patient."""
    for r in v.resolved:
        if r.kind.kind in (SessionKind.INDIVIDUAL, SessionKind.FAMILY) and r.size > 1:
            yield Violation(
                "W6",
                f"{r.describe()} is a {r.kind.kind} session shared by {r.size} patients.",
                sessions=(r.id,),
                patients=tuple(p.id for p in r.patients),
            )
