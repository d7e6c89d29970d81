"""Data-only rule helpers shared by the model and the checker (docs/RULES.md W4, W5).

They decide from the clinic's data alone — no schedule, no solver — which blocks could hold
a patient's individual or family session. A requirement with no candidate block is waived,
and the model and the checker must agree on that, so it is computed here once.
"""

from __future__ import annotations

import datetime as dt

from scheduler.domain import (
    Block,
    Clinic,
    CurriculumItem,
    Patient,
    SessionKind,
    SessionType,
    covered,
)
from scheduler.schedule import session_window

#: Sessions starting from this minute of the day are evening sessions: their staff hours are
#: the objective's ``evening_saturday`` term, which ``scheduler.fit`` also counts.
EVENING_FROM = 17 * 60


def session_types_of_kind(clinic: Clinic, patient: Patient, kind: SessionKind) -> list[SessionType]:
    """Session types of ``kind`` open to the patient's track and sex, in clinic order."""
    return [
        st
        for st in clinic.session_types
        if st.kind is kind and patient.track in st.tracks and st.admits(patient.sex)
    ]


def patient_can_attend(
    clinic: Clinic, patient: Patient, block: Block, kind: SessionType, week: int = 0
) -> bool:
    """Block kind and length fit (T3), own site (T6), in treatment (P2), not closed (T4),
    free of commitments with the travel buffer (T2), rested after night work (T7)."""
    window = session_window(block, kind)
    return (
        block.kind is kind.block_kind
        and kind.duration_min <= block.window.minutes
        and block.site == patient.site
        and patient.in_treatment(clinic.block_date(block, week))
        and not clinic.is_closed(block, week)
        and patient.free(window, clinic.settings.travel_buffer_min)
        and patient.rested(window, clinic.settings.rest_after_night_min)
    )


def can_lead(
    clinic: Clinic, therapist_id: str, block: Block, kind: SessionType, week: int = 0
) -> bool:
    """Credentialed (G3), works at the block's site (T6), available (T5), not off (T4)."""
    t = clinic.therapist_by_id[therapist_id]
    return (
        bool(t.credentials & kind.credentials)
        and (kind.modality is None or kind.modality in t.modalities)
        and block.site in t.sites
        and t.available(session_window(block, kind))
        and not clinic.is_closed(block, week, therapist=t.id)
    )


def individual_slots(
    clinic: Clinic, patient: Patient, kind: SessionType, week: int = 0
) -> list[Block]:
    """Blocks where the patient and their primary therapist could hold a ``kind`` session
    (W4). Credentials are not asked of the primary therapist here: the validator reports a
    primary therapist who cannot lead individual sessions."""
    t = clinic.therapist_by_id[patient.primary_therapist]
    return [
        b
        for b in clinic.blocks
        if patient_can_attend(clinic, patient, b, kind, week)
        and b.site in t.sites
        and t.available(session_window(b, kind))
        and not clinic.is_closed(b, week, therapist=t.id)
    ]


def family_slots(clinic: Clinic, patient: Patient, kind: SessionType, week: int = 0) -> list[Block]:
    """Blocks where the patient's family session of ``kind`` could be held (W5): the family
    is available for the whole window, the patient is free, and some therapist could lead."""
    return [
        b
        for b in clinic.blocks
        if patient_can_attend(clinic, patient, b, kind, week)
        and covered(patient.family_availability, session_window(b, kind))
        and any(can_lead(clinic, t.id, b, kind, week) for t in clinic.therapists)
    ]


def days_in_treatment(clinic: Clinic, patient: Patient, week: int = 0) -> int:
    """How many of the week's seven dates lie inside the patient's treatment dates."""
    return sum(patient.in_treatment(day) for day in clinic.settings.week_dates(week))


def required_sessions(clinic: Clinic, patient: Patient, item: CurriculumItem, week: int = 0) -> int:
    """Sessions of ``item`` the patient needs in ``week`` (W1): ``per_week`` in a whole week
    in treatment; in a week of admission or discharge, pro rata to the days in treatment,
    rounded down — admitted on a Wednesday (5 of 7 days), 3 a week becomes 2. None of a
    type closed to the patient's sex (S4): a women's group in the adult curriculum is
    asked of the women."""
    if not clinic.session_type_by_id[item.session_type].admits(patient.sex):
        return 0
    return item.per_week * days_in_treatment(clinic, patient, week) // 7


def starts_later(clinic: Clinic, patient: Patient) -> bool:
    """P4: admitted during the horizon too late to owe any session of the curriculum in it
    (W1, pro rata). Such a patient starts next week and holds no seat now; a family
    session alone does not bring them in. A patient whose track has no curriculum, or who
    is discharged before owing anything, is not starting later."""
    items = [i for i in clinic.curriculum if i.track is patient.track]
    return (
        patient.admission > clinic.settings.week_start
        and bool(items)
        and not any(
            required_sessions(clinic, patient, item, week) > 0
            for week in range(clinic.settings.weeks)
            for item in items
        )
    )


def priority_key(clinic: Clinic, patient: Patient) -> tuple[int, dt.date]:
    """The placement priority (RULES.md P3): continuing patients first, all equal (each
    already holds a place, and ranking them would trade two of them for one), then new
    admissions by admission date, earlier first. A smaller key is a higher priority;
    patients with equal keys are equals, and neither may be told the other came first."""
    if patient.is_continuing(clinic.settings.week_start):
        return (0, dt.date.min)
    return (1, patient.admission)


def priority_label(clinic: Clinic, patient: Patient) -> str:
    """The priority class in words, e.g. ``continuing`` or ``new 2026-12-08``."""
    if patient.is_continuing(clinic.settings.week_start):
        return "continuing"
    return f"new {patient.admission.isoformat()}"
