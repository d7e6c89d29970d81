"""The changes a scenario makes to the baseline clinic, as plain frozen records.

A scenario is a name and its changes, applied in the order of their rows (so a row may
edit the therapist an earlier row of the same scenario added). Each change kind reads only
some columns of the Scenarios sheet; :data:`COLUMNS_BY_KIND` says which must be filled and
which may be, so the sheet reader can refuse a filled cell the change would ignore.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from scheduler.domain import BlockKind, Weekday


class ChangeKind(StrEnum):
    ADD_THERAPIST = "add_therapist"  # a copy of therapist ``target`` as ``new_id``
    REMOVE_THERAPIST = "remove_therapist"
    ADD_ROOM = "add_room"  # a copy of room ``target`` as ``new_id``
    CLOSE_ROOM = "close_room"
    OPEN_BLOCK = "open_block"  # a new block ``new_id`` (at site ``target``, if several)
    CLOSE_BLOCK = "close_block"
    SESSION_TYPE_SIZES = "session_type_sizes"
    STAFF_HOURS = "staff_hours"  # weekly hours and/or more available time of ``target``
    # ``count`` admissions a week drawn with ``seed``, and/or the patients listed in a file
    ADD_ADMISSIONS = "add_admissions"


@dataclass(frozen=True)
class Rule:
    """Which Scenarios columns a change kind must have filled, and which it may."""

    required: tuple[str, ...]
    optional: tuple[str, ...] = ()
    #: At least one of these must be filled (a change that changes nothing is a mistake).
    one_of: tuple[str, ...] = ()


_WINDOW = ("weekday", "start", "end")

COLUMNS_BY_KIND: dict[ChangeKind, Rule] = {
    ChangeKind.ADD_THERAPIST: Rule(
        ("target", "new_id"), ("name", *_WINDOW, "hours", "credentials")
    ),
    ChangeKind.REMOVE_THERAPIST: Rule(("target",)),
    ChangeKind.ADD_ROOM: Rule(("target", "new_id"), ("name", "capacity")),
    ChangeKind.CLOSE_ROOM: Rule(("target",)),
    ChangeKind.OPEN_BLOCK: Rule(("new_id", *_WINDOW), ("target", "block_kind")),
    ChangeKind.CLOSE_BLOCK: Rule(("target",)),
    ChangeKind.SESSION_TYPE_SIZES: Rule(
        ("target",),
        ("min_size", "max_size", "target_size"),
        one_of=("min_size", "max_size", "target_size"),
    ),
    ChangeKind.STAFF_HOURS: Rule(("target",), ("hours", *_WINDOW), one_of=("hours", "weekday")),
    ChangeKind.ADD_ADMISSIONS: Rule(
        (), ("count", "seed", "patients_file"), one_of=("count", "patients_file")
    ),
}


@dataclass(frozen=True)
class Change:
    """One row of the Scenarios sheet. ``row`` is its spreadsheet row, so a problem found
    while applying it is reported where the coordinator typed it. Unused fields are None
    (``weekdays`` empty)."""

    row: int
    kind: ChangeKind
    target: str | None = None
    new_id: str | None = None
    name: str | None = None
    weekdays: tuple[Weekday, ...] = ()
    start: int | None = None
    end: int | None = None
    block_kind: BlockKind | None = None
    hours: float | None = None
    credentials: frozenset[str] | None = None
    capacity: int | None = None
    min_size: int | None = None
    max_size: int | None = None
    target_size: int | None = None
    count: int | None = None
    seed: int | None = None
    patients_file: str | None = None


@dataclass(frozen=True)
class Scenario:
    """A named set of changes to the baseline clinic (the rows sharing one name)."""

    name: str
    changes: tuple[Change, ...]

    @property
    def row(self) -> int:
        """The scenario's first row on the sheet."""
        return self.changes[0].row if self.changes else 1
