"""Solve options, objective weights and progress events: the one place for every knob.

Weights are whole numbers (CP-SAT objectives are integer). Counted terms (patients,
sessions, groups) cost ``weight`` per unit; hour terms cost ``weight`` per hour.
A term whose weight is 0 is left out of the model entirely.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

# The weights live beside the package so that reading them (``scheduler.fit`` prices ways
# in with them) does not load the solver; they are re-exported here, where they belong.
from scheduler.weights import Weights as Weights


@dataclass(frozen=True)
class ChangeWeights:
    """What one change from the previous schedule costs, in the minimal-change stage that
    ranks below placement and above comfort (scheduler.model.stability says why so)."""

    moved: int = 6  # per patient appointment not kept at its weekday, time and type
    leader: int = 2  # per leader of a previous session not leading it again
    room: int = 1  # per room of a previous session not hosting it again

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ValueError(f"weight {f.name} must be a whole number ≥ 0, not {value!r}")


#: CP-SAT deterministic time per second of ``time_limit_s``; see SolveOptions (measured
#: in benchmarks/calibrate.py).
DETERMINISTIC_PER_SECOND = 1.0
#: The wall clock's safety ceiling as a multiple of ``time_limit_s``: far enough above the
#: deterministic budget that a busy machine still finishes by the budget.
WALL_CEILING = 6.0


@dataclass(frozen=True)
class SolveOptions:
    """How long and how to solve.

    The search is budgeted in CP-SAT's deterministic time, a work counter, so that the same
    input, ``seed`` and ``workers`` give the same timetable on a busy machine as on an idle
    one. ``deterministic_time`` defaults to ``time_limit_s`` times
    :data:`DETERMINISTIC_PER_SECOND` (calibrated so the default takes about
    ``time_limit_s`` on an idle 2-core machine). The wall clock is only a safety ceiling,
    ``time_limit_s`` times :data:`WALL_CEILING`; a run it cuts says so
    (``SolveStats.clock_cut``) and may differ when re-run.
    """

    time_limit_s: float = 30.0
    seed: int = 0
    workers: int = 2
    weights: Weights = field(default_factory=Weights)
    change_weights: ChangeWeights = field(default_factory=ChangeWeights)
    deterministic_time: float | None = None
    #: The wall-clock ceiling; None for ``time_limit_s`` times :data:`WALL_CEILING`.
    wall_ceiling_s: float | None = None
    log: bool = False
    #: Solve each site on its own, one after another (see scheduler.model.sites); the
    #: therapists and virtual rooms an earlier site booked are taken out for later sites.
    by_site: bool = True

    @property
    def work(self) -> float:
        """The deterministic budget of the whole solve."""
        return self.deterministic_time or self.time_limit_s * DETERMINISTIC_PER_SECOND

    @property
    def ceiling_s(self) -> float:
        """The wall-clock safety ceiling of the whole solve."""
        return self.wall_ceiling_s or self.time_limit_s * WALL_CEILING

    def __post_init__(self) -> None:
        if not 0 < self.time_limit_s < float("inf"):
            raise ValueError("time_limit_s must be a finite number of seconds above 0")
        if self.workers < 1:
            raise ValueError("workers must be at least 1")
        if self.deterministic_time is not None and not 0 < self.deterministic_time < float("inf"):
            raise ValueError("deterministic_time must be finite and above 0")
        if self.wall_ceiling_s is not None and not 0 < self.wall_ceiling_s < float("inf"):
            raise ValueError("wall_ceiling_s must be finite and above 0")


@dataclass(frozen=True)
class ProgressEvent:
    """Reported at each improving solution."""

    elapsed_s: float
    objective: float
    best_bound: float
    placed: int
    #: What the solver is doing, in a few words ("placing patients"), shown capitalised by
    #: scheduler.progress; empty when it does not say.
    phase: str = ""


class ModelInvalidError(RuntimeError):
    """CP-SAT rejected the model (a bug in the model builder, never a data problem)."""
