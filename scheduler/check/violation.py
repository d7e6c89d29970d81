"""What the checker reports: a :class:`Violation` per broken rule, by RULES.md ID."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

STRUCTURE = "STRUCTURE"

#: Every rule ID the checker reports, in the order violations are listed.
RULE_IDS: tuple[str, ...] = (
    STRUCTURE,
    "P1",
    "P2",
    "P4",
    "T1",
    "T2",
    "T3",
    "T4",
    "T5",
    "T6",
    "T7",
    "G1",
    "G2",
    "G3",
    "G4",
    "G5",
    "G6",
    "W1",
    "W2",
    "W3",
    "W4",
    "W5",
    "W6",
    "W7",
    "S1",
    "S2",
    "S3",
    "S4",
    "L1",
    "C1",
    "C2",
)

EPS = 1e-9  # hours are sums of minutes / 60; compare with a tolerance


@dataclass(frozen=True)
class Violation:
    """One broken rule, in words a coordinator understands (who, what, when)."""

    rule: str  # the RULES.md ID, e.g. "T1", or STRUCTURE
    message: str
    sessions: tuple[str, ...] = ()
    patients: tuple[str, ...] = ()
    therapists: tuple[str, ...] = ()
    rooms: tuple[str, ...] = ()

    def __str__(self) -> str:
        return f"{self.rule}: {self.message}"


class ScheduleRejected(Exception):
    """A schedule breaks the rules; ``violations`` lists every broken rule."""

    def __init__(self, violations: Sequence[Violation]) -> None:
        self.violations = list(violations)
        shown = "\n".join(f"  {v}" for v in self.violations[:20])
        more = len(self.violations) - 20
        tail = f"\n  … and {more} more" if more > 0 else ""
        super().__init__(
            f"the schedule breaks {len(self.violations)} rule(s) and was not published:\n"
            f"{shown}{tail}"
        )
