"""G1-G6: groups, rooms and staff — sizes, seats and features, credentials,
co-facilitation, therapist hours and caseloads."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator

from scheduler.check.view import Resolved, View, unique
from scheduler.check.violation import EPS, Violation


def check_size(v: View) -> Iterator[Violation]:
    """G1: min_size <= number of patients <= max_size."""
    for r in v.resolved:
        lo, hi = r.kind.min_size, r.kind.max_size
        if not lo <= r.size <= hi:
            yield Violation(
                "G1",
                f"{r.describe()} has {r.size} patient(s); {r.kind.id} needs {lo} to {hi}.",
                sessions=(r.id,),
                patients=tuple(p.id for p in r.patients),
            )


def check_rooms(v: View) -> Iterator[Violation]:
    """G2: a physical room seats the group and has the features; a virtual room only if
    every patient accepts telehealth."""
    for r in v.resolved:
        room = r.room
        if room is None:
            continue
        rid = (room.id,)
        if not room.virtual and r.size > room.capacity:
            yield Violation(
                "G2",
                f"Room {room.id} seats {room.capacity} but {r.describe()} has {r.size} patients.",
                sessions=(r.id,),
                rooms=rid,
            )
        missing = sorted(r.kind.room_features - room.features)
        if missing:
            yield Violation(
                "G2",
                f"Room {room.id} lacks {', '.join(missing)}, needed by {r.describe()}.",
                sessions=(r.id,),
                rooms=rid,
            )
        if room.virtual:
            no_tele = tuple(p.id for p in r.patients if not p.telehealth_ok)
            if no_tele:
                yield Violation(
                    "G2",
                    f"{r.describe()} is held online in {room.id} but patient(s) "
                    f"{', '.join(no_tele)} have not agreed to telehealth.",
                    sessions=(r.id,),
                    patients=no_tele,
                    rooms=rid,
                )


def check_credentials(v: View) -> Iterator[Violation]:
    """G3: each therapist holds one of the type's credentials and its modality, if set."""
    for r in v.resolved:
        for t in r.therapists:
            if not t.credentials & r.kind.credentials:
                yield Violation(
                    "G3",
                    f"Therapist {t.id} ({', '.join(sorted(t.credentials))}) lacks a credential "
                    f"for {r.describe()} (needs one of "
                    f"{', '.join(sorted(r.kind.credentials))}).",
                    sessions=(r.id,),
                    therapists=(t.id,),
                )
            if r.kind.modality is not None and r.kind.modality not in t.modalities:
                yield Violation(
                    "G3",
                    f"Therapist {t.id} does not practise {r.kind.modality}, needed by "
                    f"{r.describe()}.",
                    sessions=(r.id,),
                    therapists=(t.id,),
                )


def check_cofacilitation(v: View) -> Iterator[Violation]:
    """G4: one leader, two above ``cofacilitator_above``; no therapist twice."""
    for r in v.resolved:
        listed = r.session.therapists
        need = (
            2
            if r.kind.cofacilitator_above is not None and r.size > r.kind.cofacilitator_above
            else 1
        )
        if len(listed) != need:
            yield Violation(
                "G4",
                f"{r.describe()} with {r.size} patient(s) needs {need} therapist(s) but has "
                f"{len(listed)}.",
                sessions=(r.id,),
                therapists=unique(listed),
            )
        twice = unique(t for t in listed if listed.count(t) > 1)
        if twice:
            yield Violation(
                "G4",
                f"{r.describe()} lists therapist {', '.join(twice)} twice.",
                sessions=(r.id,),
                therapists=twice,
            )


def check_hours(v: View) -> Iterator[Violation]:
    """G5: a therapist's session hours are within max_hours_week and max_hours_day."""
    for t in v.clinic.therapists:
        sessions = v.by_therapist.get(t.id, [])
        for week in range(v.weeks):
            in_week = [r for r in sessions if r.session.week == week]
            hours = sum(r.kind.duration_min for r in in_week) / 60
            if hours > t.max_hours_week + EPS:
                yield Violation(
                    "G5",
                    f"Therapist {t.id} leads {hours:g} hours in the week of "
                    f"{v.week_monday(week)}; the limit is {t.max_hours_week:g}.",
                    sessions=tuple(r.id for r in in_week),
                    therapists=(t.id,),
                )
            by_date: dict[dt.date, list[Resolved]] = defaultdict(list)
            for r in in_week:
                by_date[r.date].append(r)
            for date in sorted(by_date):
                day_hours = sum(r.kind.duration_min for r in by_date[date]) / 60
                if day_hours > t.max_hours_day + EPS:
                    yield Violation(
                        "G5",
                        f"Therapist {t.id} leads {day_hours:g} hours on {date:%a %d %b %Y}; "
                        f"the limit is {t.max_hours_day:g}.",
                        sessions=tuple(r.id for r in by_date[date]),
                        therapists=(t.id,),
                    )


def check_caseload(v: View) -> Iterator[Violation]:
    """G6: placed patients per primary therapist are at most the caseload cap."""
    for t in v.clinic.therapists:
        case = tuple(
            p.id for p in v.clinic.patients if p.primary_therapist == t.id and p.id in v.placed
        )
        if len(case) > t.caseload_cap:
            yield Violation(
                "G6",
                f"Therapist {t.id} is primary therapist of {len(case)} placed patients; "
                f"the caseload cap is {t.caseload_cap}.",
                patients=case,
                therapists=(t.id,),
            )
