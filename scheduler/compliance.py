"""Waived sessions, short weeks and step-down weeks, said once for validate, the solve
summary and the Compliance sheet.

A waiver (docs/RULES.md W4, W5) places a patient without a session their curriculum or
family cadence asks for, because no block exists where it could be held. A short week is a
week in treatment in which the hours or days minimum does not bind (admission or discharge)
and the patient got less than it. Both are legal schedules, so the checker is silent about
them; the coordinator still needs to see each one, with required against delivered, so that
nothing is left out quietly. A step-down week (W7) is not a short week: its own, lower band
binds, and it is shown as step-down with that band.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from scheduler.domain import Clinic, Patient, SessionKind, SessionType, covered
from scheduler.rules import (
    family_slots,
    individual_slots,
    patient_can_attend,
    required_sessions,
    session_types_of_kind,
    week_hours,
)
from scheduler.schedule import Schedule, session_window

__all__ = [
    "Waiver",
    "schedule_notes",
    "short_week_notes",
    "status",
    "step_down_notes",
    "waived_notes",
    "waivers",
]


@dataclass(frozen=True)
class Waiver:
    """A session a patient is owed in ``week`` but that no block of the data can hold."""

    patient: str
    week: int
    kind: SessionKind  # INDIVIDUAL (W4) or FAMILY (W5)
    session_type: str  # the type's name, for the coordinator
    required: int
    cause: str  # coordinator words: why no block can hold it

    @property
    def text(self) -> str:
        return f"{self.session_type} waived: {self.cause} (required {self.required}, delivered 0)"


def _monday(clinic: Clinic, week: int) -> dt.date:
    return clinic.settings.week_start + dt.timedelta(weeks=week)


def _in_week(clinic: Clinic, p: Patient, week: int) -> bool:
    return any(p.in_treatment(d) for d in clinic.settings.week_dates(week))


def _individual_cause(clinic: Clinic, p: Patient, st: SessionType, week: int) -> str:
    free = [b.id for b in clinic.blocks if patient_can_attend(clinic, p, b, st, week)]
    if not free:
        return f"no {st.block_kind} block of the week fits around their commitments"
    return (
        f"their primary therapist {p.primary_therapist} does not work in the blocks they are "
        f"free ({', '.join(free)})"
    )


def _family_cause(clinic: Clinic, p: Patient, kinds: list[SessionType], week: int) -> str:
    if not kinds:
        return f"no family session type is open to the {p.track} track"
    if not p.family_availability:
        return "the family has no times on the FamilyAvailability sheet"
    met = [
        (b, st)
        for st in kinds
        for b in clinic.blocks
        if patient_can_attend(clinic, p, b, st, week)
        and covered(p.family_availability, session_window(b, st))
    ]
    if not met:
        return "no block of the week is inside the family's times with the patient free"
    names = ", ".join(sorted({st.name for _, st in met}))
    creds = ", ".join(sorted({c for _, st in met for c in st.credentials}))
    blocks = ", ".join(sorted({b.id for b, _ in met}))
    return (
        f"no therapist able to lead {names} ({creds}) is available when the family can come "
        f"({blocks})"
    )


def _patient_waivers(clinic: Clinic, p: Patient, week: int) -> list[Waiver]:
    out = []
    types = clinic.session_type_by_id
    for item in clinic.curriculum_for(p.track):
        st = types[item.session_type]
        need = required_sessions(clinic, p, item, week)
        if st.kind is SessionKind.INDIVIDUAL and need and not individual_slots(clinic, p, st, week):
            cause = _individual_cause(clinic, p, st, week)
            out.append(Waiver(p.id, week, st.kind, st.name, need, cause))
    if p.family_due(_monday(clinic, week)):
        kinds = session_types_of_kind(clinic, p, SessionKind.FAMILY)
        if not any(family_slots(clinic, p, st, week) for st in kinds):
            name = kinds[0].name if kinds else "Family therapy"
            cause = _family_cause(clinic, p, kinds, week)
            out.append(Waiver(p.id, week, SessionKind.FAMILY, name, 1, cause))
    return out


def waivers(clinic: Clinic, patient_id: str | None = None) -> list[Waiver]:
    """Every W4/W5 waiver of the horizon (of one patient, if given), from the data alone."""
    chosen = [p for p in clinic.patients if patient_id in (None, p.id)]
    return [
        w
        for week in range(clinic.settings.weeks)
        for p in chosen
        if _in_week(clinic, p, week)
        for w in _patient_waivers(clinic, p, week)
    ]


def _why_not_binding(clinic: Clinic, p: Patient, week: int) -> str:
    if p.admission > _monday(clinic, week):
        return f"admitted {p.admission:%a %d %b}"
    return f"discharged {p.discharge:%a %d %b}"


def minimum_binds(clinic: Clinic, p: Patient, week: int) -> bool:
    """W2/W3/W7: the week's minimums bind (a whole Mon–Sun week in treatment); in a
    step-down week they are the step-down band's (``rules.week_hours``)."""
    return week_hours(clinic, p, week).whole


def week_note(clinic: Clinic, p: Patient, week: int) -> str:
    """The Compliance sheet's note on a week: "step-down 3–8 h" (W7), "partial week", both,
    or nothing for a full-program week."""
    hours = week_hours(clinic, p, week)
    parts = [hours.label] if hours.step_down else []
    if not hours.whole:
        parts.append("partial week")
    return ", ".join(parts)


def status(
    clinic: Clinic, p: Patient, week: int, attended: Sequence[tuple[SessionType, dt.date]]
) -> str:
    """The Compliance sheet's check for one patient-week: "OK", or every rule broken,
    every short week and every waiver, each with required against delivered. Hours and
    days are measured against the week's band: the step-down band in a step-down week."""
    wh = week_hours(clinic, p, week)
    hours = sum(kind.duration_min for kind, _ in attended if kind.counts_toward_hours) / 60
    group_days = Counter(day for kind, day in attended if kind.is_group)
    out = []
    if hours > wh.max_hours + 1e-9:
        out.append("hours above step-down band" if wh.step_down else "hours above band")
    if wh.whole and hours < wh.target - 1e-9:
        out.append("hours short")
    if wh.whole and len(group_days) < wh.days:
        out.append("too few days")
    if max(group_days.values(), default=0) > clinic.settings.max_group_blocks_per_day:
        out.append("too many group blocks in a day")
    if not wh.whole and (hours < wh.target - 1e-9 or len(group_days) < wh.days):
        band = f", {wh.label}" if wh.step_down else ""
        out.append(
            f"short week ({_why_not_binding(clinic, p, week)}{band}): {hours:g} of "
            f"{wh.target:g} h, groups on {len(group_days)} of {wh.days} days"
        )
    out += [w.text for w in _patient_waivers(clinic, p, week)]
    return "; ".join(out) or "OK"


def waived_notes(clinic: Clinic, schedule: Schedule) -> list[str]:
    """One line per waived session of a placed patient."""
    placed = schedule.placed_patients
    return [
        f"{w.patient} week of {_monday(clinic, w.week):%d %b}: {w.text}"
        for w in waivers(clinic)
        if w.patient in placed and w.week < schedule.weeks
    ]


def short_week_notes(clinic: Clinic, schedule: Schedule) -> list[str]:
    """One line per week a placed patient gets less than the minimum where it does not
    bind (admission, discharge)."""
    types = clinic.session_type_by_id
    blocks = clinic.block_by_id
    lines = []
    for p in clinic.patients:
        if p.id not in schedule.placed_patients:
            continue
        for week in range(schedule.weeks):
            if not _in_week(clinic, p, week) or minimum_binds(clinic, p, week):
                continue
            attended = [
                (types[s.session_type], clinic.block_date(blocks[s.block], week))
                for s in schedule.sessions
                if s.week == week and p.id in s.patients
            ]
            for part in status(clinic, p, week, attended).split("; "):
                if part.startswith("short week"):
                    lines.append(f"{p.id} week of {_monday(clinic, week):%d %b}: {part}")
    return lines


def step_down_notes(clinic: Clinic, schedule: Schedule) -> list[str]:
    """One line per step-down week (W7) of a placed patient: the band it follows and what
    the patient got, so the coordinator sees the reduced week as planned, not short."""
    types = clinic.session_type_by_id
    lines = []
    for p in clinic.patients:
        if p.id not in schedule.placed_patients:
            continue
        for week in range(schedule.weeks):
            wh = week_hours(clinic, p, week)
            if not _in_week(clinic, p, week) or not wh.step_down:
                continue
            mine = [s for s in schedule.sessions if s.week == week and p.id in s.patients]
            hours = sum(
                types[s.session_type].duration_min
                for s in mine
                if types[s.session_type].counts_toward_hours
            )
            lines.append(
                f"{p.id} week of {_monday(clinic, week):%d %b}: {wh.label} before discharge "
                f"{p.discharge:%d %b}, {hours / 60:g} h"
            )
    return lines


def schedule_notes(clinic: Clinic, schedule: Schedule) -> list[str]:
    """Every waiver and short week of a schedule's placed patients, for the summary a
    coordinator reads after solving."""
    return waived_notes(clinic, schedule) + short_week_notes(clinic, schedule)
