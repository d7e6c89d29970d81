"""Waived sessions and short weeks, said once for validate, the solve summary and the
Compliance sheet.

A waiver (docs/RULES.md W4, W5) places a patient without a session their curriculum or
family cadence asks for, because no block exists where it could be held. A short week is a
week in treatment in which the hours or days minimum does not bind (admission, discharge or
step-down) and the patient got less than it. Both are legal schedules, so the checker is
silent about them; the coordinator still needs to see each one, with required against
delivered, so that nothing is left out quietly.
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
)
from scheduler.schedule import Schedule, session_window

__all__ = [
    "Waiver",
    "schedule_notes",
    "short_week_notes",
    "status",
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
    monday = _monday(clinic, week)
    if p.admission > monday:
        return f"admitted {p.admission:%a %d %b}"
    if p.discharge < monday + dt.timedelta(days=6):
        return f"discharged {p.discharge:%a %d %b}"
    return f"step-down before discharge {p.discharge:%d %b}"


def minimum_binds(clinic: Clinic, p: Patient, week: int) -> bool:
    """W2/W3: the minimums bind for a whole Mon–Sun week in treatment, not stepping down."""
    monday = _monday(clinic, week)
    whole = p.admission <= monday and p.discharge >= monday + dt.timedelta(days=6)
    return whole and not p.is_stepping_down(monday)


def status(
    clinic: Clinic, p: Patient, week: int, attended: Sequence[tuple[SessionType, dt.date]]
) -> str:
    """The Compliance sheet's check for one patient-week: "OK", or every rule broken,
    every short week and every waiver, each with required against delivered."""
    st = clinic.settings
    band = st.band(p.track)
    need = max(band.min_hours, p.hours_target or 0)
    hours = sum(kind.duration_min for kind, _ in attended if kind.counts_toward_hours) / 60
    group_days = Counter(day for kind, day in attended if kind.is_group)
    min_days = st.min_days(p.track)
    binds = minimum_binds(clinic, p, week)
    out = []
    if hours > band.max_hours + 1e-9:
        out.append("hours above band")
    if binds and hours < need - 1e-9:
        out.append("hours short")
    if binds and len(group_days) < min_days:
        out.append("too few days")
    if max(group_days.values(), default=0) > st.max_group_blocks_per_day:
        out.append("too many group blocks in a day")
    if not binds and (hours < need - 1e-9 or len(group_days) < min_days):
        out.append(
            f"short week ({_why_not_binding(clinic, p, week)}): {hours:g} of {need:g} h, "
            f"groups on {len(group_days)} of {min_days} days"
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
    bind (admission, discharge, step-down)."""
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


def schedule_notes(clinic: Clinic, schedule: Schedule) -> list[str]:
    """Every waiver and short week of a schedule's placed patients, for the summary a
    coordinator reads after solving."""
    return waived_notes(clinic, schedule) + short_week_notes(clinic, schedule)
