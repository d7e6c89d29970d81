"""The previous schedule as the reference for the next one (issue "week after week").

A clinic never plans a week from nothing: each new week of the horizon repeats a week of the
last published schedule, and every appointment that differs from it is a change someone
must be called about. This module says, once for the model and the change report alike,
which previous week each new week repeats:

- a new week whose dates the previous horizon holds repeats that same dated week (a re-solve
  of the same horizon, or the overlap of a rolled horizon);
- a new week after the previous horizon repeats the previous horizon's last week: the
  weekly pattern goes on (``next-week`` on a one-week plan, or the week a rolled 4-week plan
  adds);
- a new week before the previous horizon repeats nothing.

Sessions are compared by block and session type (a block is a weekday and a time, the same
every week), so "the same appointment" next week means the same weekday, time and type.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from scheduler.schedule import Schedule, Session

#: The minimal-change terms (scheduler.model.stability) as ``SolveStats.terms`` names them:
#: what changed from the previous schedule, not what the timetable costs.
MOVED = "appointments_moved"
LEADERS = "leaders_changed"
ROOMS = "rooms_changed"
CHANGE_TERMS = (MOVED, LEADERS, ROOMS)


def week_monday(week_start: dt.date, week: int) -> dt.date:
    return week_start + dt.timedelta(weeks=week)


def reference_week(previous: Schedule, monday: dt.date) -> int | None:
    """The previous schedule's week that a new week starting on ``monday`` repeats."""
    offset = (monday - previous.week_start).days // 7
    if offset < 0 or previous.weeks <= 0:
        return None
    return min(offset, previous.weeks - 1)


@dataclass(frozen=True)
class Reference:
    """The previous sessions one new week repeats (``week`` of the previous schedule), and
    whether the previous horizon held these very dates (False: the pattern goes on)."""

    week: int
    same_dates: bool
    sessions: tuple[Session, ...]


def references(previous: Schedule, week_start: dt.date, weeks: int) -> Mapping[int, Reference]:
    """For each new week (0-based, of a horizon of ``weeks`` weeks from ``week_start``) that
    repeats a previous week: that week's sessions."""
    by_week: dict[int, list[Session]] = {}
    for s in previous.sessions:
        by_week.setdefault(s.week, []).append(s)
    out: dict[int, Reference] = {}
    for w in range(weeks):
        monday = week_monday(week_start, w)
        ref = reference_week(previous, monday)
        if ref is None:
            continue
        same = week_monday(previous.week_start, ref) == monday
        out[w] = Reference(ref, same, tuple(by_week.get(ref, ())))
    return out


def carry_lineage(
    sessions: list[Session], previous: Schedule | None, week_start: dt.date, weeks: int
) -> list[Session]:
    """``sessions`` with each group's lineage carried over from the previous week it repeats.

    Within one week and session type, new sessions are matched one to one with the previous
    ones, most shared patients first, then the same block, then the same room: a group that
    moved to another block or room keeps its identity (and its calendar UID). A session
    matching none starts a lineage of its own: its group code, or, when a continuing group
    already carries that name this week, the code with the date it started.
    """
    if previous is None:
        return sessions
    refs = references(previous, week_start, weeks)
    out = list(sessions)
    by_week: dict[int, list[int]] = {}
    for i, s in enumerate(sessions):
        by_week.setdefault(s.week, []).append(i)
    for w, idx in by_week.items():
        ref = refs.get(w)
        old = list(ref.sessions) if ref is not None else []
        pairs = []
        for i in idx:
            new = sessions[i]
            for j, prev in enumerate(old):
                if prev.session_type != new.session_type:
                    continue
                shared = len(set(prev.patients) & set(new.patients))
                same_block = prev.block == new.block
                # Without shared patients only the same block and room make it the same
                # group (another site's group in that block is not).
                if shared == 0 and not (same_block and prev.room == new.room):
                    continue
                pairs.append(((-shared, not same_block, prev.room != new.room, j, i), i, j))
        pairs.sort()
        taken_new: dict[int, str] = {}
        taken_old: set[int] = set()
        for _, i, j in pairs:
            if i in taken_new or j in taken_old:
                continue
            taken_new[i] = old[j].lineage_id
            taken_old.add(j)
        used = set(taken_new.values())
        monday = week_monday(week_start, w)
        for i in idx:
            s = sessions[i]
            lineage = taken_new.get(i)
            if lineage is None:
                lineage = s.code if s.code not in used else f"{s.code}@{monday:%Y-%m-%d}"
                used.add(lineage)
            out[i] = dataclasses.replace(s, lineage=lineage)
    return out
