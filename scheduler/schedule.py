"""The schedule: what the solver produced, as plain frozen records.

A :class:`Schedule` is a list of dated :class:`Session` records (who meets where, when, with
whom), the patients who could not be placed with the reason in coordinator words, and the
solver's :class:`SolveStats`. It knows nothing of CP-SAT; the checker, the exports and the
next week's run read it as it is.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property

from scheduler.domain import Block, Clinic, SessionType, Window


@dataclass(frozen=True)
class Session:
    """One dated session: a group, a family session or an individual appointment.

    It starts when its block starts and lasts its session type's ``duration_min``.
    ``therapists`` lists the lead first, then any co-facilitator.
    """

    id: str  # unique within the schedule, stable for the same week/block/type/index
    code: str  # short group code shown on rosters and staff calendars, e.g. "GT-MON-EVE-1"
    week: int  # 0-based week of the planning horizon
    block: str
    session_type: str
    room: str
    therapists: tuple[str, ...]
    patients: tuple[str, ...]
    # The group's identity across weeks (issue "week after week"): a group that continues
    # from the previous schedule keeps its lineage even when it moves block, room or leader;
    # calendar UIDs follow it. Empty for a session that has none yet: :attr:`lineage_id`
    # then falls back to the group code, which is stable for the same block, type and number.
    lineage: str = ""
    # The module of its type's revolving cycle this session covers (docs/RULES.md C1);
    # empty for a type without a cycle. A treatment word: never in a calendar feed.
    topic: str = ""

    @property
    def lineage_id(self) -> str:
        return self.lineage or self.code

    @classmethod
    def numbered(
        cls,
        week: int,
        block: str,
        session_type: str,
        number: int,
        room: str,
        therapists: tuple[str, ...],
        patients: tuple[str, ...],
        lineage: str = "",
        topic: str = "",
    ) -> Session:
        """The ``number``-th session of a type in a block and week, with the one naming
        convention every producer of schedules uses: ID ``W0-MON-EVE-GT-1`` (stable for
        the same week, block, type and number, so calendar UIDs stay stable) and group
        code ``GT-MON-EVE-1``."""
        return cls(
            id=f"W{week}-{block}-{session_type}-{number}",
            code=f"{session_type}-{block}-{number}",
            week=week,
            block=block,
            session_type=session_type,
            room=room,
            therapists=therapists,
            patients=patients,
            lineage=lineage,
            topic=topic,
        )

    def window(self, clinic: Clinic) -> Window:
        block = clinic.block_by_id[self.block]
        kind = clinic.session_type_by_id[self.session_type]
        return session_window(block, kind)

    def date(self, clinic: Clinic) -> dt.date:
        return clinic.block_date(clinic.block_by_id[self.block], self.week)

    def start(self, clinic: Clinic) -> dt.datetime:
        """Timezone-aware local start."""
        w = self.window(clinic)
        day = self.date(clinic)
        naive = dt.datetime.combine(day, dt.time(w.start // 60, w.start % 60))
        return naive.replace(tzinfo=clinic.settings.zone)

    def end(self, clinic: Clinic) -> dt.datetime:
        w = self.window(clinic)
        return self.start(clinic) + dt.timedelta(minutes=w.minutes)


def session_window(block: Block, kind: SessionType) -> Window:
    """The time a session of ``kind`` held in ``block`` occupies: from the block's start."""
    start = block.window.start
    return Window(block.weekday, start, start + kind.duration_min)


@dataclass(frozen=True)
class Unplaced:
    """A patient in treatment this horizon who has no place, and why, in plain words."""

    patient: str
    reason: str


@dataclass(frozen=True)
class CycleProgress:
    """Where a patient stands in a session type's topic cycle (docs/RULES.md C2).

    ``done`` holds the modules met in the current round, ``rounds`` how many whole rounds
    (every module once) the patient has completed. A round that completes starts again
    empty, so a module may be met again only once every module has been met.
    """

    patient: str
    session_type: str
    done: frozenset[str] = frozenset()
    rounds: int = 0


@dataclass(frozen=True)
class UnmetLock:
    """A lock (RULES.md L1) the schedule does not keep, and why, in plain words."""

    lock: str
    reason: str


@dataclass(frozen=True)
class ClassPlacement:
    """Placement of one priority class (RULES.md P3), e.g. ``continuing`` or
    ``new 2026-12-08``: ``proven_max`` is the most of the class any schedule can place
    while every higher class keeps its placements; None when that was not proven."""

    name: str
    patients: int
    placed: int
    proven_max: int | None


@dataclass(frozen=True)
class SolveStats:
    """How the solve went. ``objective``/``best_bound`` are None when no solution exists."""

    status: str  # OPTIMAL, FEASIBLE, INFEASIBLE, UNKNOWN (MODEL_INVALID raises instead)
    objective: float | None
    best_bound: float | None
    wall_time_s: float
    seed: int
    workers: int
    time_limit_s: float
    terms: Mapping[str, float] = field(default_factory=dict)  # objective term -> value
    first_solution_s: float | None = None
    # Proven upper bound on how many patients in the plan any schedule could place; equal to
    # the number placed when placement is proven optimal. None when nothing was proven.
    placed_bound: int | None = None
    # Placement per priority class, highest priority first (RULES.md P3).
    by_priority: tuple[ClassPlacement, ...] = ()
    # The wall clock, a safety ceiling only, ended some search before its deterministic
    # budget: the same input, seed and workers may then give another timetable.
    clock_cut: bool = False

    @property
    def gap(self) -> float | None:
        """Relative gap between objective and bound (0 when proven optimal)."""
        if self.objective is None or self.best_bound is None:
            return None
        denom = max(1.0, abs(self.objective))
        return abs(self.objective - self.best_bound) / denom


@dataclass(frozen=True)
class Schedule:
    week_start: dt.date
    weeks: int
    sessions: tuple[Session, ...]
    unplaced: tuple[Unplaced, ...]
    stats: SolveStats
    input_hash: str = ""
    # Patients in treatment during the horizon who need no schedule (e.g. not yet admitted
    # in any week of it) are neither placed nor unplaced; they are simply not in this plan.
    # Patients admitted too late in the horizon to owe any session (RULES.md P4) start
    # next week: they take no seat and are neither placed nor unplaced.
    starting_later: tuple[str, ...] = ()
    # Locks that cannot hold are dropped, each with its reason, and everyone else is
    # scheduled (RULES.md L1); every other lock is kept.
    unmet_locks: tuple[UnmetLock, ...] = ()
    # Each patient's topic-cycle progress before this horizon (modules met in earlier
    # schedules, corrected by the Attendance sheet), sorted by patient then type: the
    # checker replays the sessions from it (C2) and next week's run carries it on.
    progress: tuple[CycleProgress, ...] = ()

    @cached_property
    def session_by_id(self) -> Mapping[str, Session]:
        return {s.id: s for s in self.sessions}

    @cached_property
    def sessions_by_patient(self) -> Mapping[str, tuple[Session, ...]]:
        out: dict[str, list[Session]] = {}
        for s in self.sessions:
            for p in s.patients:
                out.setdefault(p, []).append(s)
        return {k: tuple(v) for k, v in out.items()}

    @cached_property
    def sessions_by_therapist(self) -> Mapping[str, tuple[Session, ...]]:
        out: dict[str, list[Session]] = {}
        for s in self.sessions:
            for t in s.therapists:
                out.setdefault(t, []).append(s)
        return {k: tuple(v) for k, v in out.items()}

    @property
    def placed_patients(self) -> frozenset[str]:
        return frozenset(self.sessions_by_patient)

    def summary(self) -> str:
        st = self.stats
        gap = "n/a" if st.gap is None else f"{st.gap:.2%}"
        lines = [
            f"status       {st.status}",
            f"placed       {len(self.placed_patients)} patients",
            f"unplaced     {len(self.unplaced)} patients",
            f"sessions     {len(self.sessions)}",
            f"placement    {len(self.placed_patients)} placed, at most "
            f"{'?' if st.placed_bound is None else st.placed_bound} placeable",
            f"objective    {st.objective}",
            f"best bound   {st.best_bound}",
            f"gap          {gap}",
            f"time         {st.wall_time_s:.2f} s ({st.workers} workers, seed {st.seed})",
        ]
        for name, value in st.terms.items():
            lines.append(f"  {name:<28} {value:g}")
        return "\n".join(lines)
