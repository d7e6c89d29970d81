"""What ``fit`` answers with: the ranked ways in for one referral, as frozen records.

The web app and the command line read the same records (``render`` turns them into the
table and the JSON). Patients are named by ID only (DESIGN.md §6): these records end up in
terminals, logs and the app.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from scheduler.schedule import Schedule


@dataclass(frozen=True)
class FitSession:
    """One session the referral would attend: a group they join or one opened for them,
    or their individual or family slot."""

    session: str  # the session's ID in the schedule with the referral inserted
    code: str  # the group code on rosters, e.g. "GT-MON-EVE-1"
    week: int
    date: dt.date
    weekday: str  # "Mon"
    start: str  # "17:30"
    end: str
    session_type: str  # its ID, e.g. "GT"
    type_name: str  # "Group therapy"
    kind: str  # SessionKind value: group_therapy, individual, family, …
    block: str
    room: str
    therapists: tuple[str, ...]  # the lead first
    new: bool  # opened for the referral (False: they take a free seat in an existing one)
    size: int  # patients in it, the referral included


@dataclass(frozen=True)
class CostChange:
    """How one cost term of the solve summary (``scheduler.report.TERM_NAMES``) changes."""

    term: str  # e.g. "evening_saturday"
    label: str  # "Staff hours in evenings and at weekends"
    unit: str  # "hours"
    change: float  # in the unit; positive costs more
    points: float  # change times the term's weight (the solver's score)


@dataclass(frozen=True)
class Move:
    """Another patient this way in would move: from one session to another of its type."""

    patient: str
    from_session: str
    to_session: str


@dataclass(frozen=True)
class FitOption:
    """One confirmed way to admit the referral into the published timetable.

    ``start`` is the date of their first session; ``admission`` the admission date the way
    assumes (later than the referral's own when the seats only open then). ``schedule`` is
    the whole timetable with them inserted, which the independent checker passed."""

    rank: int
    patient: str
    start: dt.date
    admission: dt.date
    sessions: tuple[FitSession, ...]
    cost: tuple[CostChange, ...]  # the terms that change, in TERM_NAMES order
    points: float  # the sum of the changes' points
    moves: tuple[Move, ...]
    schedule: Schedule

    @property
    def moves_nobody(self) -> bool:
        return not self.moves

    @property
    def days(self) -> tuple[str, ...]:
        """The weekdays of their group sessions, in order, e.g. ("Mon", "Wed", "Thu")."""
        seen: dict[str, None] = {}
        for s in self.sessions:
            if s.kind not in ("individual", "family"):
                seen.setdefault(s.weekday, None)
        return tuple(seen)


@dataclass(frozen=True)
class NoFit:
    """No way in was found: the binding reason in a coordinator's words, and whether the
    search was complete (``capped``: its budget ran out, a way may still exist)."""

    patient: str
    reason: str
    capped: bool
