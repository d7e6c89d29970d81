"""Revolving topic cycles (TIP 41 open-ended groups): module history and topic assignment.

A session type may carry a cycle of topics (``SessionType.topics``, e.g. 8 psychoeducation
modules). Patients join an open-ended group at any module and go round the cycle; what
matters is that each meets every module once before discharge and none meets a module
twice before meeting all of them (docs/RULES.md C1, C2).

History (:func:`topic_history`). A patient's progress in a cycle is a
:class:`~scheduler.schedule.CycleProgress`: the modules met in the current round and the
rounds completed. It is the previous schedule's own carried progress, replayed forward
through that schedule's sessions dated before the new horizon, in time order. A patient on
a session's roster is taken to have attended it, unless the clinic's Attendance sheet says
otherwise: attended ``no`` takes the session's credit away, ``yes`` adds a module (the
row's topic, else the named session's). A round that completes starts again empty.

Assignment (:func:`assign_topics`). Every dated session of a cycled type gets one topic of
its cycle, chosen session by session in time order (date, start, ID) from the progress the
earlier sessions left:

1. a module new to every patient in the session, if one exists — so nobody repeats a
   module while another choice was open (the checker's C2 is exactly this condition, so
   the assignment never produces what the checker refuses);
2. among those (or, when every module is already met by someone there, among all), the one
   new to the patients who need it most: each patient weighs the modules still missing
   over the cycled sessions left before their planned discharge, so a patient with less
   stay left and more missing modules weighs more (this only decides when a repeat is
   forced: a module new to everyone is new to every weight);
3. then the module the clinic-wide cycle clock gives the session's week
   (:func:`clock_index`), else the latest module before it. Every group of the type
   is on the same module that week, so a continuing group continues round the cycle, a
   patient moved to another group stays in step, and a newcomer joins where the clock
   stands — the revolving curriculum of TIP 41.

Why a time-ordered pass and not a second CP-SAT model: when each patient meets the type
once a week (most of the sample's psychoeducation patients; a few get a second session to
reach their hours), the sessions of a week share hardly any patient, so choosing each
session's module on its own is already exact for that week's repeats; what a week's
choice does to later weeks is the tie-break's job, and that is what was measured. The
sample clinic, eight weeks solved once each (10 s, 1 worker, each week a fresh solve, so
groups re-form weekly and patients are re-mixed — the hard case), then the same eight
schedules given topics three ways, each chain carrying its own history
(``benchmarks/topic_cycles.py`` and a one-off script around it):

===========================================  =======  ===========================
tie-break among modules new to everyone      repeats  eligible discharged covered
===========================================  =======  ===========================
after the group's lineage's last module       18       3 of 8
clock's module, else the first after it      19       3 of 8
clock's module, else the latest before it    12       5 of 8
===========================================  =======  ===========================

(242 cycled patient-sessions; 45 patients discharged in the eight weeks, 8 of whom met at
least eight sessions; every repeat was forced, i.e. allowed by C2; repeats per week with
the rule kept: 0, 0, 0, 0, 0, 1, 6, 5. The lineage row was run with plain counts in
place of the urgency weights, which only decide forced repeats.) The remaining repeats
come from group composition — patients at different points of the cycle put in one group
by the solve — which only a topic-aware grouping or groups that keep their members
(the minimal-change ``next-week``) can remove. The pass takes milliseconds.

:func:`coverage` is the figure for a chain of weekly schedules: the share of patients
discharged during the chain who stayed long enough to meet every module and did, and the
repeats before a round was done.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from scheduler.domain import Attendance, Clinic, Patient
from scheduler.schedule import CycleProgress, Schedule, Session

__all__ = [
    "Coverage",
    "assign_topics",
    "clock_index",
    "coverage",
    "cycles",
    "topic_history",
]


def cycles(clinic: Clinic) -> dict[str, tuple[str, ...]]:
    """Session type ID → its cycle of topics, for the types that have one."""
    return {st.id: st.topics for st in clinic.session_types if st.topics}


def _when(clinic: Clinic, schedule: Schedule, s: Session) -> tuple[dt.date, int, str] | None:
    """Sort key of a session in time, dated from its own schedule's first Monday (a
    previous schedule started earlier than the clinic's horizon); None when its block or
    type is not in the clinic."""
    block = clinic.block_by_id.get(s.block)
    if block is None or s.session_type not in clinic.session_type_by_id:
        return None
    day = schedule.week_start + dt.timedelta(days=7 * s.week + int(block.weekday))
    return day, block.window.start, s.id


class _Book:
    """Mutable progress of every patient in every cycle while sessions are replayed."""

    def __init__(self, cycle_of: Mapping[str, tuple[str, ...]]) -> None:
        self.cycle_of = cycle_of
        self.done: dict[tuple[str, str], set[str]] = {}
        self.rounds: dict[tuple[str, str], int] = {}

    def load(self, progress: Iterable[CycleProgress]) -> None:
        for c in progress:
            cycle = self.cycle_of.get(c.session_type)
            if cycle is None:
                continue  # the type lost its cycle: nothing to carry
            key = (c.patient, c.session_type)
            # A module dropped from the cycle no longer counts towards a round.
            self.done[key] = set(c.done) & set(cycle)
            self.rounds[key] = max(c.rounds, 0)
            if self.done[key] >= set(cycle):  # a whole round carried: it is complete
                self.rounds[key] += 1
                self.done[key] = set()

    def met(self, patient: str, session_type: str) -> set[str]:
        return self.done.get((patient, session_type), set())

    def meet(self, patient: str, session_type: str, topic: str) -> bool:
        """Record that the patient met ``topic``; True when it was a repeat (already met
        this round). A round that completes starts again empty."""
        cycle = self.cycle_of[session_type]
        key = (patient, session_type)
        done = self.done.setdefault(key, set())
        if topic in done:
            return True
        done.add(topic)
        if done >= set(cycle):
            self.rounds[key] = self.rounds.get(key, 0) + 1
            done.clear()
        return False

    def progress(self, keep: Iterable[str]) -> tuple[CycleProgress, ...]:
        wanted = set(keep)
        keys = sorted(set(self.done) | set(self.rounds))
        return tuple(
            CycleProgress(p, t, frozenset(self.done.get((p, t), ())), self.rounds.get((p, t), 0))
            for p, t in keys
            if p in wanted and (self.done.get((p, t)) or self.rounds.get((p, t)))
        )


# --------------------------------------------------------------------------------------
# History.


@dataclass(frozen=True)
class _Credit:
    when: tuple[dt.date, int, str]
    patient: str
    session_type: str
    topic: str


def _matching(clinic: Clinic, previous: Schedule | None, a: Attendance) -> list[Session]:
    """The previous schedule's sessions an Attendance row names."""
    if previous is None:
        return []
    if a.session:
        found = previous.session_by_id.get(a.session)
        return [found] if found is not None else []
    return [
        s
        for s in previous.sessions
        if s.session_type == a.session_type
        and (when := _when(clinic, previous, s)) is not None
        and when[0] == a.date
    ]


def _credits(clinic: Clinic, previous: Schedule | None) -> list[_Credit]:
    """Every module met before the horizon that the previous schedule and the Attendance
    sheet together give, in time order."""
    cycle_of = cycles(clinic)
    horizon = clinic.settings.week_start
    absent: set[tuple[str, str]] = set()  # (patient, session ID)
    extra: list[_Credit] = []
    for a in clinic.attendance:
        sessions = _matching(clinic, previous, a)
        on_roster = [s for s in sessions if a.patient in s.patients]
        if not a.attended:
            absent |= {(a.patient, s.id) for s in (on_roster or sessions)}
            continue
        # Yes: the row's topic, else the named session's (a make-up group counts too).
        source = (on_roster or sessions)[:1]
        topic = a.topic or (source[0].topic if source else "")
        session_type = source[0].session_type if source else a.session_type
        when = _when(clinic, previous, source[0]) if source and previous else None
        if when is None and a.date is not None:
            when = (a.date, 0, "")
        if not topic or session_type not in cycle_of or when is None or when[0] >= horizon:
            continue
        extra.append(_Credit(when, a.patient, session_type, topic))
    out: list[_Credit] = []
    seen: set[tuple[str, str, tuple[dt.date, int, str]]] = set()
    for s in previous.sessions if previous is not None else ():
        when = _when(clinic, previous, s) if previous is not None else None
        if s.session_type not in cycle_of or not s.topic or when is None or when[0] >= horizon:
            continue  # not cycled, or not held yet: a later week of the previous plan
        for p in s.patients:
            if (p, s.id) not in absent:
                out.append(_Credit(when, p, s.session_type, s.topic))
                seen.add((p, s.topic, when))
    out += [c for c in extra if (c.patient, c.topic, c.when) not in seen]
    return sorted(out, key=lambda c: (c.when, c.patient, c.session_type, c.topic))


def topic_history(clinic: Clinic, previous: Schedule | None) -> tuple[CycleProgress, ...]:
    """Each patient's progress in each cycle at the start of the clinic's horizon: the
    previous schedule's carried progress, then its sessions dated before this horizon
    that the patient attended (the Attendance sheet overrides the roster). Patients no
    longer in treatment on the horizon's first day are left out; sorted by patient, type."""
    cycle_of = cycles(clinic)
    book = _Book(cycle_of)
    if previous is not None:
        book.load(previous.progress)
    for c in _credits(clinic, previous):
        if c.topic in cycle_of[c.session_type]:
            book.meet(c.patient, c.session_type, c.topic)
    horizon = clinic.settings.week_start
    return book.progress(p.id for p in clinic.patients if p.discharge >= horizon)


# --------------------------------------------------------------------------------------
# Assignment.


def _cycled_left(
    clinic: Clinic, patient: Patient, session_type: str, later_here: int, horizon_end: dt.date
) -> int:
    """Cycled sessions the patient can still meet from now to discharge: those left in this
    schedule and, after it, the curriculum's weekly count for the whole weeks of stay."""
    per_week = sum(
        i.per_week for i in clinic.curriculum_for(patient.track) if i.session_type == session_type
    )
    weeks_after = max(0, (patient.discharge - horizon_end).days + 1) // 7
    return later_here + per_week * weeks_after


#: The Monday the cycle clock counts weeks from (any fixed Monday does: only the week's
#: position in the cycle matters, and it must not move between runs).
CLOCK_EPOCH = dt.date(2024, 1, 1)


def clock_index(clinic: Clinic, session_type: str, day: dt.date) -> int:
    """The cycle's module for ``day``'s week on the clinic-wide clock: weeks since
    :data:`CLOCK_EPOCH` times the sessions a week the curriculum asks of the type, round
    the cycle. Every group of the type is on the same module that week, so a patient who
    changes group stays in step and a newcomer joins wherever the clock stands."""
    cycle = clinic.session_type_by_id[session_type].topics
    per_week = max(
        (i.per_week for i in clinic.curriculum if i.session_type == session_type), default=1
    )
    weeks = (day - CLOCK_EPOCH).days // 7
    return (weeks * per_week) % len(cycle)


def assign_topics(clinic: Clinic, schedule: Schedule, history: Iterable[CycleProgress]) -> Schedule:
    """``schedule`` with every session of a cycled type given a topic (module docstring),
    every other session's topic cleared, and ``history`` recorded as its progress."""
    cycle_of = cycles(clinic)
    book = _Book(cycle_of)
    book.load(history)
    # Carried as the checker reads it (C1): the clinic's patients, cycled types, part-done
    # rounds of the cycle as it now stands.
    carried = book.progress(p.id for p in clinic.patients)
    dated = sorted(
        (when, s)
        for s in schedule.sessions
        if s.session_type in cycle_of and (when := _when(clinic, schedule, s)) is not None
    )
    remaining: dict[tuple[str, str], int] = {}
    for _, s in dated:
        for p in s.patients:
            remaining[(p, s.session_type)] = remaining.get((p, s.session_type), 0) + 1
    horizon_end = schedule.week_start + dt.timedelta(weeks=schedule.weeks)
    chosen: dict[str, str] = {}
    for when, s in dated:
        cycle = cycle_of[s.session_type]
        weight: dict[str, float] = {}
        for p in s.patients:
            key = (p, s.session_type)
            remaining[key] -= 1
            record = clinic.patient_by_id.get(p)
            missing = len(cycle) - len(book.met(p, s.session_type))
            left = (
                _cycled_left(clinic, record, s.session_type, remaining[key], horizon_end)
                if record is not None
                else remaining[key]
            )
            weight[p] = missing / (left + 1)
        anchor = clock_index(clinic, s.session_type, when[0])
        chosen[s.id] = _choose(s, cycle, book, weight, anchor)
        for p in s.patients:
            book.meet(p, s.session_type, chosen[s.id])
    sessions = tuple(replace(s, topic=chosen.get(s.id, "")) for s in schedule.sessions)
    return replace(schedule, sessions=sessions, progress=carried)


def _choose(
    s: Session,
    cycle: tuple[str, ...],
    book: _Book,
    weight: Mapping[str, float],
    anchor: int,
) -> str:
    met = {p: book.met(p, s.session_type) for p in s.patients}
    fresh = [t for t in cycle if not any(t in done for done in met.values())]
    candidates = fresh or list(cycle)

    def rank(item: tuple[int, str]) -> tuple[float, int]:
        i, topic = item
        need = sum(w for p, w in weight.items() if topic not in met[p])
        # The clock's module first, else the latest one before it: a patient taken past
        # the clock (a second session in a week) would otherwise meet next week's module
        # early and push their next group off the clock.
        return (-need, (anchor - i) % len(cycle))

    return min(((cycle.index(t), t) for t in candidates), key=rank)[1]


# --------------------------------------------------------------------------------------
# The figure.


@dataclass(frozen=True)
class Coverage:
    """Module coverage over a chain of weekly schedules (one cycled type or all).

    ``discharged`` patients were discharged during the chain; ``eligible`` of them met at
    least a cycle's length of cycled sessions (history included), so could have met every
    module; ``covered`` of those completed a round. ``repeats`` counts patient-sessions
    that met a module already met in the current round.
    """

    discharged: int
    eligible: int
    covered: int
    repeats: int
    sessions: int  # patient-sessions of cycled types replayed

    @property
    def share(self) -> float | None:
        return self.covered / self.eligible if self.eligible else None


def coverage(clinic: Clinic, schedules: Sequence[Schedule]) -> Coverage:
    """Coverage at discharge over ``schedules``, each the next week's run of the one before
    (a later schedule's start ends the earlier one's part). Each schedule is replayed from
    its own carried progress. ``clinic`` gives the cycles and planned discharge dates."""
    cycle_of = cycles(clinic)
    book = _Book(cycle_of)
    met_count: dict[tuple[str, str], int] = {}
    repeats = sessions = 0
    ends = [s.week_start for s in schedules[1:]] + [
        schedules[-1].week_start + dt.timedelta(weeks=schedules[-1].weeks) if schedules else None
    ]
    if schedules:
        book.load(schedules[0].progress)
        for c in schedules[0].progress:
            met_count[(c.patient, c.session_type)] = len(c.done) + c.rounds * len(
                cycle_of.get(c.session_type, ())
            )
    for schedule, end in zip(schedules, ends, strict=True):
        for when, s in sorted(
            (w, s)
            for s in schedule.sessions
            if s.session_type in cycle_of
            and s.topic
            and (w := _when(clinic, schedule, s)) is not None
        ):
            if end is not None and when[0] >= end:
                continue
            for p in s.patients:
                sessions += 1
                key = (p, s.session_type)
                met_count[key] = met_count.get(key, 0) + 1
                repeats += book.meet(p, s.session_type, s.topic)
    first = schedules[0].week_start if schedules else clinic.settings.week_start
    last_end = ends[-1] or first
    discharged = [p for p in clinic.patients if first <= p.discharge < last_end]
    eligible = covered = 0
    for patient in discharged:
        keys = [(patient.id, t) for t in cycle_of if (patient.id, t) in met_count]
        if not keys:
            continue
        if all(met_count[k] >= len(cycle_of[k[1]]) for k in keys):
            eligible += 1
            covered += all(book.rounds.get(k, 0) >= 1 for k in keys)
    return Coverage(len(discharged), eligible, covered, repeats, sessions)
