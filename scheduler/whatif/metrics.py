"""The figures a director compares between what-if runs, as plain data and as DataFrames.

:func:`measure` reads one clinic and the schedule solved for it and returns
:class:`RunMetrics`; :func:`metrics_frame` lays many runs out one row each,
:func:`utilisation_frame` and :func:`reasons_frame` give the long tables behind the charts.

Definitions, each said once here:

- *placed* and *waitlist*: the patients of the plan with a place and without one (the
  unplaced, with reasons); patients starting next week (RULES.md P4) are neither.
- *proven maximum*: ``SolveStats.placed_bound``, the most any schedule can place; the
  placement is *proven* when the schedule reaches it, and otherwise "found, not proven".
  Per priority class the same from ``ClassPlacement.proven_max``.
- *seats*: in group sessions, offered is each session's size limit (its type's maximum,
  or the room's capacity when smaller), used is the patients in it.
- *utilisation*: hours booked over hours available in the horizon. A therapist's hours
  available in a week are their availability, capped by their weekly maximum; a room's are
  the hours its site has blocks (the union of the block times, within the room's own
  availability when it has one; a virtual room serves every site). Closures are not taken
  off, so a closed day shows as unused.
- *staff hours*: session hours times the therapists in the session (a co-facilitator's
  hours count); *evening* hours start from 17:00 on a weekday, *Saturday* hours are on the
  weekend (Saturday, and Sunday where a clinic opens then), as the objective counts them
  (``evening_saturday``).
- *compliance shortfalls*: waived sessions and short weeks of placed patients
  (:mod:`scheduler.compliance`).
- *unplaced reasons*: the reason texts counted (they name blocks and session types, never
  patients).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from scheduler.compliance import short_week_notes, waived_notes
from scheduler.domain import GROUP_KINDS, Clinic, Room, Therapist, Weekday, Window
from scheduler.model.objective import EVENING_FROM  # the one threshold, shared
from scheduler.schedule import Schedule
from scheduler.whatif.runner import Run, RunResult

if TYPE_CHECKING:
    import pandas as pd

PROVEN = "proven"
NOT_PROVEN = "found, not proven"


@dataclass(frozen=True)
class ClassMetrics:
    """Placement of one priority class (RULES.md P3)."""

    name: str
    patients: int
    placed: int
    proven_max: int | None

    @property
    def waitlist(self) -> int:
        return self.patients - self.placed


@dataclass(frozen=True)
class Use:
    """Hours one therapist or room is booked against the hours it is available."""

    kind: str  # "therapist" or "room"
    id: str
    used_h: float
    available_h: float

    @property
    def share(self) -> float | None:
        return self.used_h / self.available_h if self.available_h else None


@dataclass(frozen=True)
class RunMetrics:
    """One run's figures (see the module docstring for each definition)."""

    name: str
    status: str
    placed: int
    waitlist: int
    proven_max: int | None
    by_priority: tuple[ClassMetrics, ...]
    seats_offered: int
    seats_used: int
    uses: tuple[Use, ...]
    staff_hours: float
    evening_hours: float
    saturday_hours: float
    waived_sessions: int
    short_weeks: int
    unplaced_reasons: Mapping[str, int]
    starting_later: int = 0

    @property
    def placement_proven(self) -> bool:
        return self.proven_max is not None and self.placed >= self.proven_max

    @property
    def placement(self) -> str:
        return PROVEN if self.placement_proven else NOT_PROVEN

    @property
    def compliance_shortfalls(self) -> int:
        return self.waived_sessions + self.short_weeks

    @property
    def hours_per_placed(self) -> float | None:
        return self.staff_hours / self.placed if self.placed else None

    def utilisation(self, kind: str) -> float | None:
        """Hours booked over hours available, all therapists or all rooms together."""
        chosen = [u for u in self.uses if u.kind == kind]
        available = sum(u.available_h for u in chosen)
        return sum(u.used_h for u in chosen) / available if available else None


@dataclass(frozen=True)
class RunFailure:
    """A run without a schedule, kept in the tables with its reason."""

    name: str
    error: str


def measure(name: str, clinic: Clinic, schedule: Schedule) -> RunMetrics:
    """The figures of ``schedule``, solved for ``clinic``."""
    types = clinic.session_type_by_id
    rooms = clinic.room_by_id
    staff = evening = saturday = 0.0
    offered = used = 0
    # Minutes, whole numbers, so that sums do not drift; hours at the end.
    therapist_min: Counter[str] = Counter()
    room_min: Counter[str] = Counter()
    for s in schedule.sessions:
        kind = types[s.session_type]
        window = s.window(clinic)
        hours = kind.duration_min / 60
        staff += hours * len(s.therapists)
        if window.weekday >= Weekday.SAT:
            saturday += hours * len(s.therapists)
        elif window.start >= EVENING_FROM:
            evening += hours * len(s.therapists)
        for t in s.therapists:
            therapist_min[t] += kind.duration_min
        room_min[s.room] += kind.duration_min
        if kind.kind in GROUP_KINDS:
            offered += min(kind.max_size, rooms[s.room].capacity)
            used += len(s.patients)
    weeks = schedule.weeks
    uses = tuple(
        Use("therapist", t.id, therapist_min[t.id] / 60, weeks * _therapist_week_h(t))
        for t in clinic.therapists
    ) + tuple(
        Use("room", r.id, room_min[r.id] / 60, weeks * _room_week_h(clinic, r))
        for r in clinic.rooms
    )
    st = schedule.stats
    return RunMetrics(
        name=name,
        status=st.status,
        placed=len(schedule.placed_patients),
        waitlist=len(schedule.unplaced),
        proven_max=st.placed_bound,
        by_priority=tuple(
            ClassMetrics(c.name, c.patients, c.placed, c.proven_max) for c in st.by_priority
        ),
        seats_offered=offered,
        seats_used=used,
        uses=uses,
        staff_hours=staff,
        evening_hours=evening,
        saturday_hours=saturday,
        waived_sessions=len(waived_notes(clinic, schedule)),
        short_weeks=len(short_week_notes(clinic, schedule)),
        unplaced_reasons=dict(sorted(Counter(u.reason for u in schedule.unplaced).items())),
        starting_later=len(schedule.starting_later),
    )


def measure_all(runs: Sequence[Run], results: Sequence[RunResult]) -> list[RunMetrics | RunFailure]:
    """Each run's figures, or its failure, in the order given."""
    out: list[RunMetrics | RunFailure] = []
    for run, result in zip(runs, results, strict=True):
        if result.schedule is None:
            out.append(RunFailure(run.name, result.error or "no schedule"))
        else:
            out.append(measure(run.name, run.clinic, result.schedule))
    return out


def _hours(windows: Iterable[Window]) -> float:
    """Hours covered by ``windows``, overlaps counted once."""
    spans = sorted((w.week_start, w.week_end) for w in windows)
    total, end = 0, None
    for lo, hi in spans:
        if end is None or lo > end:
            total += hi - lo
            end = hi
        elif hi > end:
            total += hi - end
            end = hi
    return total / 60


def _therapist_week_h(t: Therapist) -> float:
    return min(_hours(t.availability), t.max_hours_week)


def _room_week_h(clinic: Clinic, room: Room) -> float:
    return _hours(
        b.window for b in clinic.blocks if room.serves(b.site) and room.available(b.window)
    )


# --------------------------------------------------------------------------------------
# Tables.


def metrics_row(m: RunMetrics | RunFailure) -> dict[str, object]:
    """One run as a flat row: the columns of :func:`metrics_frame`."""
    if isinstance(m, RunFailure):
        return {"run": m.name, "status": "failed", "error": m.error}
    row: dict[str, object] = {
        "run": m.name,
        "status": m.status,
        "placed": m.placed,
        "waitlist": m.waitlist,
        "proven_max": m.proven_max,
        "placement": m.placement,
    }
    for c in m.by_priority:
        row[f"placed {c.name}"] = c.placed
        row[f"waitlist {c.name}"] = c.waitlist
        row[f"proven_max {c.name}"] = c.proven_max
    row |= {
        "starting_later": m.starting_later,
        "seats_offered": m.seats_offered,
        "seats_used": m.seats_used,
        "therapist_utilisation": m.utilisation("therapist"),
        "room_utilisation": m.utilisation("room"),
        "staff_hours": m.staff_hours,
        "evening_hours": m.evening_hours,
        "saturday_hours": m.saturday_hours,
        "staff_hours_per_placed": m.hours_per_placed,
        "waived_sessions": m.waived_sessions,
        "short_weeks": m.short_weeks,
        "compliance_shortfalls": m.compliance_shortfalls,
        "distinct_unplaced_reasons": len(m.unplaced_reasons),
        "error": None,
    }
    return row


def metrics_frame(runs: Sequence[RunMetrics | RunFailure]) -> pd.DataFrame:
    """One row per run, in the order given (columns: :func:`metrics_row`)."""
    import pandas as pd

    return pd.DataFrame([metrics_row(m) for m in runs])


def utilisation_frame(runs: Sequence[RunMetrics]) -> pd.DataFrame:
    """One row per run and therapist or room: hours used, available and the share."""
    import pandas as pd

    rows = [
        {
            "run": m.name,
            "kind": u.kind,
            "id": u.id,
            "used_h": u.used_h,
            "available_h": u.available_h,
            "share": u.share,
        }
        for m in runs
        for u in m.uses
    ]
    return pd.DataFrame(rows, columns=["run", "kind", "id", "used_h", "available_h", "share"])


def reasons_frame(runs: Sequence[RunMetrics]) -> pd.DataFrame:
    """One row per run and unplaced reason: how many patients it keeps out."""
    import pandas as pd

    rows = [
        {"run": m.name, "reason": reason, "patients": n}
        for m in runs
        for reason, n in m.unplaced_reasons.items()
    ]
    return pd.DataFrame(rows, columns=["run", "reason", "patients"])
