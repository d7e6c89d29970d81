"""Solve options, objective weights and progress events: the one place for every knob.

Weights are whole numbers (CP-SAT objectives are integer). Counted terms (patients,
sessions, groups) cost ``weight`` per unit; hour terms cost ``weight`` per hour.
A term whose weight is 0 is left out of the model entirely.
"""

from __future__ import annotations

from dataclasses import dataclass, fields


@dataclass(frozen=True)
class Weights:
    """One weight per named soft goal; ``SolveStats.terms`` reports each term's value.

    The placement weights dwarf the quality weights so that no amount of comfort is ever
    bought with a lost patient: a patient's quality terms together stay well below
    ``unplaced_new``.
    """

    # Placement: continuing patients keep their place before new admissions are taken.
    unplaced_continuing: int = 1000  # per continuing patient not placed
    unplaced_new: int = 100  # per new admission not placed
    admission_order: int = 1  # per step (0..10) of earlier admission among the unplaced
    # Quality of the placed patients' weeks.
    continuity: int = 5  # per patient whose primary therapist leads none of their groups
    cohort: int = 2  # per extra time of day a patient's groups start at (same peers)
    spread: int = 1  # per pair of consecutive days with groups (spread the days)
    preference: int = 3  # per session outside the patient's time preference
    # Staff and rooms.
    load_balance: int = 1  # per hour of the busiest therapist's week
    evening_saturday: int = 1  # per staff hour in evening (from 17:00) or weekend sessions
    groups_opened: int = 2  # per group session opened

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ValueError(f"weight {f.name} must be a whole number ≥ 0, not {value!r}")

    def as_dict(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True)
class SolveOptions:
    """How long and how to solve.

    ``time_limit_s`` is a wall-clock limit, always finite. ``deterministic_time`` is CP-SAT's
    deterministic limit (defaults to ``time_limit_s``): with a fixed ``seed`` and ``workers``
    the search is reproducible whenever it ends by optimality or by this limit rather than by
    the wall clock.
    """

    time_limit_s: float = 30.0
    seed: int = 0
    workers: int = 2
    weights: Weights = Weights()
    deterministic_time: float | None = None
    log: bool = False
    #: Solve each site on its own, one after another (see scheduler.model.sites); the
    #: therapists and virtual rooms an earlier site booked are taken out for later sites.
    by_site: bool = True

    def __post_init__(self) -> None:
        if not 0 < self.time_limit_s < float("inf"):
            raise ValueError("time_limit_s must be a finite number of seconds above 0")
        if self.workers < 1:
            raise ValueError("workers must be at least 1")
        if self.deterministic_time is not None and not 0 < self.deterministic_time < float("inf"):
            raise ValueError("deterministic_time must be finite and above 0")


@dataclass(frozen=True)
class ProgressEvent:
    """Reported at each improving solution."""

    elapsed_s: float
    objective: float
    best_bound: float
    placed: int
    #: What the solver is doing, shown in words by scheduler.progress: "placement",
    #: "quality" or "proof" (any other name is shown as it is); empty when it does not say.
    phase: str = ""


class ModelInvalidError(RuntimeError):
    """CP-SAT rejected the model (a bug in the model builder, never a data problem)."""
