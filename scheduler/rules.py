"""Data-only rule helpers shared by the model and the checker (docs/RULES.md W1-W5, W7).

They decide from the clinic's data alone — no schedule, no solver — which blocks could hold
a patient's individual or family session, how many sessions a week asks for, and which band
of weekly hours a week follows (full program or step-down). A requirement with no candidate
block is waived, and the model and the checker must agree on that, so it is computed here
once.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from scheduler.domain import (
    Band,
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


def week_monday(clinic: Clinic, week: int) -> dt.date:
    return clinic.settings.week_start + dt.timedelta(weeks=week)


def whole_week(clinic: Clinic, patient: Patient, week: int = 0) -> bool:
    """In treatment on every date Mon–Sun of ``week``: neither admitted nor discharged in it."""
    monday = week_monday(clinic, week)
    return patient.admission <= monday and patient.discharge >= monday + dt.timedelta(days=6)


def stepping_down(clinic: Clinic, patient: Patient, week: int = 0) -> bool:
    """W7: ``week`` starts less than ``settings.step_down_weeks`` weeks before the patient's
    planned discharge (never when the setting is 0). The one place this is decided."""
    return patient.is_stepping_down(week_monday(clinic, week), clinic.settings.step_down_weeks)


@dataclass(frozen=True)
class WeekHours:
    """What W2, W3 and W7 ask of a patient's week in treatment.

    ``band``, ``target`` and ``days`` are the week's figures as stated — the track's band,
    its minimum raised to ``hours_target`` and ``min_days``; or in a step-down week the
    track's step-down band, its minimum and ``step_down_min_days`` (``hours_target`` is a
    full-program figure and does not apply). The maximum always binds; the minimums bind
    only in a whole week in treatment.
    """

    step_down: bool
    whole: bool
    band: Band
    target: float
    days: int

    @property
    def rule(self) -> str:
        """The RULES.md ID a broken hours or days minimum is reported under."""
        return "W7" if self.step_down else "W2"

    @property
    def max_hours(self) -> float:
        return self.band.max_hours

    @property
    def min_hours(self) -> float:
        """The binding minimum: 0 in a week of admission or discharge."""
        return self.target if self.whole else 0.0

    @property
    def min_days(self) -> int:
        """The binding number of group days: 0 in a week of admission or discharge."""
        return self.days if self.whole else 0

    @property
    def label(self) -> str:
        """How the Compliance sheet and the summary name the week's band."""
        band = f"{self.band.min_hours:g}–{self.band.max_hours:g} h"
        return f"step-down {band}" if self.step_down else band


def week_hours(clinic: Clinic, patient: Patient, week: int = 0) -> WeekHours:
    """The hours band, minimum and days minimum of ``week`` for ``patient`` (W2, W3, W7)."""
    s = clinic.settings
    whole = whole_week(clinic, patient, week)
    if stepping_down(clinic, patient, week):
        band = s.step_down_band(patient.track)
        return WeekHours(True, whole, band, band.min_hours, s.step_down_min_days(patient.track))
    band = s.band(patient.track)
    target = max(band.min_hours, patient.hours_target or 0)
    return WeekHours(False, whole, band, target, s.min_days(patient.track))


def _item_hours(clinic: Clinic, patient: Patient, item: CurriculumItem) -> float:
    st = clinic.session_type_by_id[item.session_type]
    if not st.counts_toward_hours or not st.admits(patient.sex):
        return 0.0
    return item.per_week * st.duration_min / 60


def _fits_step_down(clinic: Clinic, patient: Patient, item: CurriculumItem, week: int) -> bool:
    """W7: in a step-down week a group item is asked for only if it fits the step-down
    maximum. The week's one-patient items (individual, assessment) and a family session
    when due are counted first; then the track's group items in curriculum order, each at
    ``per_week``, while their hours still fit. The curriculum's order is its priority: the
    core groups stay, the rest step down."""
    types = clinic.session_type_by_id
    items = clinic.curriculum_for(patient.track)
    used = sum(_item_hours(clinic, patient, i) for i in items if not types[i.session_type].is_group)
    if patient.family_due(week_monday(clinic, week)):
        family = [
            st.duration_min / 60
            for st in session_types_of_kind(clinic, patient, SessionKind.FAMILY)
            if st.counts_toward_hours
        ]
        used += max(family, default=0.0)
    limit = clinic.settings.step_down_band(patient.track).max_hours + 1e-9
    for i in items:
        if not types[i.session_type].is_group:
            continue
        used += _item_hours(clinic, patient, i)
        if i.session_type == item.session_type:
            return used <= limit
    return True  # not in the curriculum: nothing is asked of it anyway


def _pro_rata(clinic: Clinic, patient: Patient, item: CurriculumItem, week: int) -> int:
    if not clinic.session_type_by_id[item.session_type].admits(patient.sex):
        return 0
    return item.per_week * days_in_treatment(clinic, patient, week) // 7


def required_sessions(clinic: Clinic, patient: Patient, item: CurriculumItem, week: int = 0) -> int:
    """Sessions of ``item`` the patient needs in ``week`` (W1): ``per_week`` in a whole week
    in treatment; in a week of admission or discharge, pro rata to the days in treatment,
    rounded down — admitted on a Wednesday (5 of 7 days), 3 a week becomes 2. None of a
    type closed to the patient's sex (S4): a women's group in the adult curriculum is
    asked of the women. In a step-down week (W7) a group item that does not fit the
    step-down maximum is not asked for."""
    st = clinic.session_type_by_id[item.session_type]
    if (
        st.is_group
        and stepping_down(clinic, patient, week)
        and not _fits_step_down(clinic, patient, item, week)
    ):
        return 0
    return _pro_rata(clinic, patient, item, week)


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
            _pro_rata(clinic, patient, item, week) > 0  # step-down does not delay admission
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
