"""The schedule joined to the clinic once, for every export to read.

Every export needs the same facts per session (its type, room, therapists, date and local
times); :func:`build_view` resolves them once, in time order, and fails with one message
listing every reference the clinic does not know (a saved schedule exported against the
wrong clinic file).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property

from scheduler.domain import Block, Clinic, Patient, Room, SessionType, Therapist, Window
from scheduler.schedule import Schedule, Session, session_window


def multi_site(clinic: Clinic) -> bool:
    return len(clinic.sites) > 1


def site_name(clinic: Clinic, site_id: str) -> str:
    site = clinic.site_by_id.get(site_id)
    return site.name if site else site_id


def room_label(clinic: Clinic, room: Room) -> str:
    """The room's name, with its site's name when the clinic has more than one site.

    At eight sites "Group room 1" is eight rooms; the label must say which. A virtual room
    serves every site, so it keeps its bare name.
    """
    if room.virtual or not multi_site(clinic):
        return room.name
    return f"{room.name} ({site_name(clinic, room.site)})"


class ExportError(ValueError):
    """The schedule cannot be exported against this clinic."""


@dataclass(frozen=True)
class SessionView:
    session: Session
    kind: SessionType
    block: Block
    room: Room
    therapists: tuple[Therapist, ...]
    patients: tuple[Patient, ...]
    window: Window
    date: dt.date
    start: dt.datetime  # timezone-aware, clinic zone
    end: dt.datetime
    week_monday: dt.date
    room_label: str  # the room's name, qualified with its site at a multi-site clinic

    @property
    def identity(self) -> str:
        """The same event across runs: the group's lineage and the planning week's Monday.

        A group keeps its lineage when it moves to another time or room or gets another
        leader, so its calendar events keep their UIDs (issue "week after week").
        """
        return f"{self.week_monday.isoformat()}/{self.session.lineage_id}"

    @property
    def legacy_identity(self) -> str:
        """The identity before lineages (UID maps of format 1): Monday and session ID."""
        return f"{self.week_monday.isoformat()}/{self.session.id}"

    @property
    def time_label(self) -> str:
        return f"{self.start:%H:%M}–{self.end:%H:%M}"

    @property
    def therapist_names(self) -> str:
        return ", ".join(t.name for t in self.therapists)


@dataclass(frozen=True)
class ScheduleView:
    clinic: Clinic
    schedule: Schedule
    sessions: tuple[SessionView, ...]  # by start, room, code

    @property
    def horizon_start(self) -> dt.datetime:
        day = self.schedule.week_start
        return dt.datetime.combine(day, dt.time()).replace(tzinfo=self.clinic.settings.zone)

    @property
    def horizon_end(self) -> dt.datetime:
        day = self.schedule.week_start + dt.timedelta(weeks=self.schedule.weeks)
        return dt.datetime.combine(day, dt.time()).replace(tzinfo=self.clinic.settings.zone)

    @cached_property
    def by_patient(self) -> Mapping[str, tuple[SessionView, ...]]:
        out: dict[str, list[SessionView]] = {}
        for v in self.sessions:
            for p in v.session.patients:
                out.setdefault(p, []).append(v)
        return {k: tuple(vs) for k, vs in out.items()}

    @cached_property
    def by_therapist(self) -> Mapping[str, tuple[SessionView, ...]]:
        out: dict[str, list[SessionView]] = {}
        for v in self.sessions:
            for t in v.session.therapists:
                out.setdefault(t, []).append(v)
        return {k: tuple(vs) for k, vs in out.items()}

    @cached_property
    def by_room(self) -> Mapping[str, tuple[SessionView, ...]]:
        out: dict[str, list[SessionView]] = {}
        for v in self.sessions:
            out.setdefault(v.session.room, []).append(v)
        return {k: tuple(vs) for k, vs in out.items()}


def build_view(clinic: Clinic, schedule: Schedule) -> ScheduleView:
    zone = clinic.settings.zone
    problems: list[str] = []
    views: list[SessionView] = []
    for s in schedule.sessions:
        missing = []
        if s.block not in clinic.block_by_id:
            missing.append(f"block {s.block!r}")
        if s.session_type not in clinic.session_type_by_id:
            missing.append(f"session type {s.session_type!r}")
        if s.room not in clinic.room_by_id:
            missing.append(f"room {s.room!r}")
        missing += [f"therapist {t!r}" for t in s.therapists if t not in clinic.therapist_by_id]
        missing += [f"patient {p!r}" for p in s.patients if p not in clinic.patient_by_id]
        if missing:
            problems.append(f"session {s.id}: unknown {', '.join(missing)}")
            continue
        block = clinic.block_by_id[s.block]
        kind = clinic.session_type_by_id[s.session_type]
        window = session_window(block, kind)
        # Dates come from the schedule's own horizon: it is what was solved and published.
        monday = schedule.week_start + dt.timedelta(weeks=s.week)
        day = monday + dt.timedelta(days=int(block.weekday))
        start = dt.datetime.combine(day, dt.time(window.start // 60, window.start % 60))
        start = start.replace(tzinfo=zone)
        views.append(
            SessionView(
                session=s,
                kind=kind,
                block=block,
                room=clinic.room_by_id[s.room],
                therapists=tuple(clinic.therapist_by_id[t] for t in s.therapists),
                patients=tuple(clinic.patient_by_id[p] for p in s.patients),
                window=window,
                date=day,
                start=start,
                end=start + dt.timedelta(minutes=window.minutes),
                week_monday=monday,
                room_label=room_label(clinic, clinic.room_by_id[s.room]),
            )
        )
    unknown_unplaced = [
        u.patient for u in schedule.unplaced if u.patient not in clinic.patient_by_id
    ]
    if unknown_unplaced:
        problems.append(f"unplaced patients not in the clinic: {', '.join(unknown_unplaced)}")
    if problems:
        raise ExportError(
            "the schedule does not match this clinic (was it made from another input file?):\n"
            + "\n".join(problems)
        )
    views.sort(key=lambda v: (v.start, v.room.id, v.session.code, v.session.id))
    return ScheduleView(clinic, schedule, tuple(views))
