"""The schedule resolved against the clinic: the lookups every rule family shares."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property

from scheduler.domain import (
    Block,
    Clinic,
    Patient,
    Room,
    SessionType,
    Therapist,
    Window,
    format_time,
)
from scheduler.rules import starts_later, stepping_down
from scheduler.schedule import Schedule, Session

# The week clock: minutes from Monday 00:00. An overnight window ends past midnight, and
# Sunday night runs into next Monday, as the weekly pattern repeats.
DAY = 24 * 60
WEEK = 7 * DAY


def on_week_clock(w: Window) -> tuple[int, int]:
    """Minutes from Monday 00:00; an overnight window's end runs into the next day."""
    return int(w.weekday) * DAY + w.start, int(w.weekday) * DAY + w.end


def within_windows(windows: Iterable[Window], target: Window) -> bool:
    """Whether ``target`` lies inside the union of ``windows`` on the week clock.

    Written here apart from ``domain.covered``, which the model uses: walk from the
    target's start, stepping to the end of any window (laid over three weeks, so that
    Sunday night reaches Monday) that holds the point reached, until the target's end.
    """
    laid = [
        (start + k, end + k)
        for w in windows
        for start, end in [on_week_clock(w)]
        for k in (-WEEK, 0, WEEK)
    ]
    reached, goal = on_week_clock(target)
    while reached < goal:
        step = max((end for start, end in laid if start <= reached < end), default=reached)
        if step == reached:
            return False
        reached = step
    return True


@dataclass(frozen=True)
class Resolved:
    """A session whose block and type are known and whose week is in the horizon."""

    session: Session
    block: Block
    kind: SessionType
    room: Room | None  # None: unknown room (reported as STRUCTURE)
    therapists: tuple[Therapist, ...]  # the known ones, each once, lead first
    patients: tuple[Patient, ...]  # the known ones, each once, in listed order
    window: Window
    date: dt.date

    @property
    def id(self) -> str:
        return self.session.id

    @property
    def size(self) -> int:
        return len(self.session.patients)

    def describe(self) -> str:
        """``GT-MON-EVE-1 (GT, Mon 07 Dec 2026 18:00–21:00)``."""
        return f"{self.session.code} ({self.kind.id}, {when(self)})"


def when(r: Resolved) -> str:
    w = r.window
    return f"{r.date:%a %d %b %Y} {format_time(w.start)}–{format_time(w.end)}"


def unique(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


class View:
    """Lookups shared by the rule families, built once per check."""

    def __init__(self, clinic: Clinic, schedule: Schedule) -> None:
        self.clinic = clinic
        self.schedule = schedule
        self.settings = clinic.settings
        self.weeks = clinic.settings.weeks

    def week_monday(self, week: int) -> dt.date:
        return self.settings.week_start + dt.timedelta(weeks=week)

    @cached_property
    def first_day(self) -> dt.date:
        return self.settings.week_start

    @cached_property
    def last_day(self) -> dt.date:
        return self.settings.week_start + dt.timedelta(days=7 * self.weeks - 1)

    @cached_property
    def resolved(self) -> tuple[Resolved, ...]:
        c = self.clinic
        out = []
        for s in self.schedule.sessions:
            block = c.block_by_id.get(s.block)
            kind = c.session_type_by_id.get(s.session_type)
            if block is None or kind is None or not 0 <= s.week < self.weeks:
                continue
            start = block.window.start
            window = Window(block.window.weekday, start, min(start + kind.duration_min, 1440))
            date = self.week_monday(s.week) + dt.timedelta(days=int(block.window.weekday))
            out.append(
                Resolved(
                    session=s,
                    block=block,
                    kind=kind,
                    room=c.room_by_id.get(s.room),
                    therapists=tuple(
                        c.therapist_by_id[t] for t in unique(s.therapists) if t in c.therapist_by_id
                    ),
                    patients=tuple(
                        c.patient_by_id[p] for p in unique(s.patients) if p in c.patient_by_id
                    ),
                    window=window,
                    date=date,
                )
            )
        return tuple(out)

    @cached_property
    def by_patient(self) -> dict[str, list[Resolved]]:
        out: dict[str, list[Resolved]] = defaultdict(list)
        for r in self.resolved:
            for p in r.patients:
                out[p.id].append(r)
        return out

    @cached_property
    def by_therapist(self) -> dict[str, list[Resolved]]:
        out: dict[str, list[Resolved]] = defaultdict(list)
        for r in self.resolved:
            for t in r.therapists:
                out[t.id].append(r)
        return out

    @cached_property
    def by_room(self) -> dict[str, list[Resolved]]:
        out: dict[str, list[Resolved]] = defaultdict(list)
        for r in self.resolved:
            if r.room is not None:
                out[r.room.id].append(r)
        return out

    @cached_property
    def placed(self) -> frozenset[str]:
        """Known patients listed in at least one session of the schedule (any session)."""
        known = self.clinic.patient_by_id
        return frozenset(p for s in self.schedule.sessions for p in s.patients if p in known)

    def in_horizon(self, p: Patient) -> bool:
        """Some date of the horizon lies in admission..discharge."""
        return p.admission <= self.last_day and p.discharge >= self.first_day

    def in_plan(self, p: Patient) -> bool:
        """In the horizon and owing some session in it (P4)."""
        return self.in_horizon(p) and not starts_later(self.clinic, p)

    def in_treatment_week(self, p: Patient, week: int) -> bool:
        """Some date of the week lies in admission..discharge."""
        monday = self.week_monday(week)
        return p.admission <= monday + dt.timedelta(days=6) and p.discharge >= monday

    def whole_week(self, p: Patient, week: int) -> bool:
        """In treatment the whole Mon–Sun week: the hours and days minimums bind."""
        monday = self.week_monday(week)
        return p.admission <= monday and p.discharge >= monday + dt.timedelta(days=6)

    def stepping_down(self, p: Patient, week: int) -> bool:
        """W7: a step-down week (decided in one place for the model and the checker)."""
        return stepping_down(self.clinic, p, week)

    def patient_week(self, patient_id: str, week: int) -> list[Resolved]:
        return [r for r in self.by_patient.get(patient_id, ()) if r.session.week == week]

    def placed_patient_weeks(self) -> Iterator[tuple[Patient, int]]:
        """(patient, week) for every placed patient and week they are in treatment."""
        for p in self.clinic.patients:
            if p.id not in self.placed:
                continue
            for week in range(self.weeks):
                if self.in_treatment_week(p, week):
                    yield p, week
