"""The objective's weights, one per named quality goal (``scheduler.model.objective``).

Re-exported by ``scheduler.model.options`` (and ``scheduler.model``), the one place for
every knob of a solve. They live in this module of their own so that a command that only
prices a timetable (``iop-scheduler fit``) reads them without loading OR-Tools.

Weights are whole numbers (CP-SAT objectives are integer). Counted terms (patients,
sessions, groups) cost ``weight`` per unit; hour terms cost ``weight`` per hour.
A term whose weight is 0 is left out of the model entirely.
"""

from __future__ import annotations

from dataclasses import dataclass, fields


@dataclass(frozen=True)
class Weights:
    """One weight per named quality goal; ``SolveStats.terms`` reports each term's value.

    Placement has no weights here: it is optimised first and on its own, strictly by
    priority (RULES.md P3, :mod:`scheduler.model.objective`), so no amount of comfort is
    ever bought with a lost patient.
    """

    # Quality of the placed patients' weeks.
    continuity: int = 5  # per patient whose primary therapist leads none of their groups
    cohort: int = 2  # per extra time of day a patient's groups start at (same peers)
    spread: int = 1  # per pair of consecutive days with groups (spread the days)
    preference: int = 3  # per session outside the patient's time preference
    # Staff and rooms.
    load_balance: int = 1  # per hour of the busiest therapist's week
    evening_saturday: int = 1  # per staff hour in evening (from 17:00) or weekend sessions
    groups_opened: int = 2  # per group session opened
    # Real groups (see scheduler.model.objective for the formulation and measurements).
    small_groups: int = 3  # per seat a group is short of its type's target size
    parallel_groups: int = 4  # per parallel group beyond the fewest that could seat them

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ValueError(f"weight {f.name} must be a whole number ≥ 0, not {value!r}")

    def as_dict(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self)}
