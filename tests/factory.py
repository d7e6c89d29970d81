"""Tiny hand-made clinics for tests: one site, a handful of blocks, explicit everything.

``tiny_clinic()`` gives a small clinic in which every rule can be made to bind by replacing
a record or two (``dataclasses.replace``) — tests build exactly the instance they need.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

from scheduler.domain import (
    Block,
    BlockKind,
    Clinic,
    ClinicSettings,
    CurriculumItem,
    FamilyCadence,
    Patient,
    Phase,
    Room,
    SessionKind,
    SessionType,
    Sex,
    Site,
    Therapist,
    Track,
    Weekday,
    Window,
)

WEEK = dt.date(2026, 12, 7)  # a Monday
SITE = "MAIN"
LICENSED = frozenset({"LCSW", "LPC", "LMFT"})
COUNSELORS = LICENSED | {"CADC", "LCADC"}


def hm(text: str) -> int:
    h, m = text.split(":")
    return int(h) * 60 + int(m)


def window(day: Weekday, start: str, end: str) -> Window:
    return Window(day, hm(start), hm(end))


def block(
    ident: str,
    day: Weekday,
    start: str,
    end: str,
    kind: BlockKind = BlockKind.GROUP,
    site: str = SITE,
) -> Block:
    return Block(ident, site, kind, window(day, start, end))


def _session_type(ident: str, overrides: dict[str, Any], **defaults: Any) -> SessionType:
    """``SessionType(ident, **defaults)`` with ``overrides`` replacing any default."""
    return SessionType(ident, **(defaults | overrides))


def group_type(ident: str, kind: SessionKind = SessionKind.GROUP_THERAPY, **kw: Any) -> SessionType:
    return _session_type(
        ident,
        kw,
        name=ident,
        kind=kind,
        block_kind=BlockKind.GROUP,
        duration_min=180,
        min_size=2,
        max_size=12,
        credentials=COUNSELORS,
    )


def _one_to_one_type(
    ident: str, name: str, kind: SessionKind, credentials: frozenset[str], kw: dict[str, Any]
) -> SessionType:
    """An hour in a short slot for one patient: the shape of individual and family sessions."""
    return _session_type(
        ident,
        kw,
        name=name,
        kind=kind,
        block_kind=BlockKind.SLOT,
        duration_min=60,
        min_size=1,
        max_size=1,
        credentials=credentials,
    )


def individual_type(ident: str = "IND", **kw: Any) -> SessionType:
    return _one_to_one_type(ident, "Individual counseling", SessionKind.INDIVIDUAL, COUNSELORS, kw)


def family_type(ident: str = "FAM", **kw: Any) -> SessionType:
    return _one_to_one_type(ident, "Family therapy", SessionKind.FAMILY, LICENSED, kw)


def therapist(
    ident: str,
    credentials: frozenset[str] = frozenset({"LCSW"}),
    days: tuple[Weekday, ...] = tuple(Weekday)[:6],
    start: str = "08:00",
    end: str = "22:00",
    **kw: Any,
) -> Therapist:
    fields: dict[str, Any] = dict(
        name=f"Therapist {ident}",
        credentials=credentials,
        modalities=frozenset({"CBT"}),
        max_hours_week=40,
        max_hours_day=10,
        caseload_cap=24,
        sites=frozenset({SITE}),
        availability=tuple(window(d, start, end) for d in days),
    )
    fields.update(kw)
    return Therapist(ident, **fields)


def room(ident: str, capacity: int = 12, **kw: Any) -> Room:
    fields: dict[str, Any] = dict(name=f"Room {ident}", site=SITE, capacity=capacity)
    fields.update(kw)
    return Room(ident, **fields)


def patient(ident: str, primary: str = "T1", **kw: Any) -> Patient:
    fields: dict[str, Any] = dict(
        name=f"Patient {ident}",
        site=SITE,
        track=Track.ADULT,
        sex=Sex.FEMALE,
        phase=Phase.EARLY,
        admission=WEEK - dt.timedelta(days=14),
        discharge=WEEK + dt.timedelta(days=42),
        primary_therapist=primary,
    )
    fields.update(kw)
    return Patient(ident, **fields)


def tiny_clinic(n_patients: int = 3, **overrides: Any) -> Clinic:
    """Three evening group blocks (Mon/Wed/Fri 18–21), one individual slot before each,
    one group type needed three times a week, one individual session, two therapists, one
    group room and one office. Keyword arguments replace whole tables or the settings."""
    days = (Weekday.MON, Weekday.WED, Weekday.FRI)
    tables: dict[str, Any] = dict(
        settings=ClinicSettings(
            name="Northside Wellness",
            timezone="America/New_York",
            week_start=WEEK,
            travel_buffer_min=30,
        ),
        sites=(Site(SITE, "Main street"),),
        blocks=tuple(block(f"{d.name}-EVE", d, "18:00", "21:00") for d in days)
        + tuple(block(f"{d.name}-IND", d, "16:30", "17:30", BlockKind.SLOT) for d in days),
        session_types=(group_type("GT"), individual_type()),
        curriculum=(CurriculumItem(Track.ADULT, "GT", 3), CurriculumItem(Track.ADULT, "IND", 1)),
        therapists=(therapist("T1"), therapist("T2", frozenset({"CADC"}))),
        rooms=(room("R1"), room("OFFICE", capacity=2)),
        patients=tuple(patient(f"P{i + 1}") for i in range(n_patients)),
    )
    tables.update(overrides)
    return Clinic(**tables)


def with_patients(clinic: Clinic, *patients: Patient) -> Clinic:
    return replace(clinic, patients=tuple(patients))


__all__ = [
    "COUNSELORS",
    "LICENSED",
    "SITE",
    "WEEK",
    "FamilyCadence",
    "block",
    "family_type",
    "group_type",
    "hm",
    "individual_type",
    "patient",
    "room",
    "therapist",
    "tiny_clinic",
    "window",
    "with_patients",
]
