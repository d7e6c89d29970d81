"""Capacity arithmetic (no solver): group seats, groups and staff hours a site's patients
need vs what its rooms and staff offer, and a greedy seating check."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from scheduler.domain import Block, BlockKind, Clinic, Patient, Therapist
from scheduler.generator.catalog import SAT


@dataclass(frozen=True)
class SiteCapacity:
    """Seats and staff hours needed vs offered at one site for week 0 of the plan.

    ``evening_*`` count patients who can reach only evening or Saturday group blocks.
    ``groups_needed`` is the fewest group sessions that hold every curriculum seat (one
    session type and track per group, full groups); ``groups_offered`` the room-and-leader
    pairs over the week's group blocks. ``evening_staff_hours_*`` compare the staff time
    after 17:00 and on Saturdays with the groups, individual sessions of evening-only
    patients and family sessions (families come evenings and Saturdays) that need it.
    ``unseated`` are patients a greedy seat assignment (most constrained first, distinct
    days, seats per block from rooms and available staff) could not give enough groups.
    """

    site: str
    patients: int
    seats_needed: int
    seats_offered: int
    evening_seats_needed: int
    evening_seats_offered: int
    groups_needed: int
    groups_offered: int
    staff_hours_needed: float
    staff_hours_offered: float
    evening_staff_hours_needed: float
    evening_staff_hours_offered: float
    unseated: tuple[str, ...]

    @property
    def slack(self) -> float:
        """The smallest offered/needed ratio of seats, evening seats, groups and staff
        hours: below 1 some patient cannot be placed."""
        ratios = [
            _ratio(self.seats_offered, self.seats_needed),
            _ratio(self.groups_offered, self.groups_needed),
            _ratio(self.evening_seats_offered, self.evening_seats_needed),
            _ratio(self.staff_hours_offered, self.staff_hours_needed),
            _ratio(self.evening_staff_hours_offered, self.evening_staff_hours_needed),
        ]
        return min(ratios)


def _ratio(offered: float, needed: float) -> float:
    return math.inf if needed == 0 else offered / needed


def _is_evening(block: Block) -> bool:
    return block.window.start >= 17 * 60 or block.weekday is SAT


def _evening_hours(t: Therapist) -> float:
    """Hours a therapist is available after 17:00 on weekdays or at all on Saturday."""
    minutes = 0
    for w in t.availability:
        if w.weekday is SAT:
            minutes += w.minutes
        elif w.weekday < SAT:
            minutes += max(0, w.end - max(w.start, 17 * 60))
    return minutes / 60


def capacity_estimate(clinic: Clinic, week: int = 0) -> list[SiteCapacity]:
    """Per site: group seats and staff hours the patients need vs what rooms and staff
    can offer, and a greedy seating check. Arithmetic only, for sanity checks and planning."""
    settings = clinic.settings
    week_start = settings.week_start + timedelta(weeks=week)
    types = clinic.session_type_by_id
    group_cap = max(st.max_size for st in clinic.session_types if st.is_group)
    out: list[SiteCapacity] = []
    for site in clinic.sites:
        blocks = [
            b
            for b in clinic.blocks
            if b.site == site.id and b.kind is BlockKind.GROUP and not clinic.is_closed(b, week)
        ]
        rooms = sorted(
            (
                r.capacity
                for r in clinic.rooms
                if not r.virtual and r.site == site.id and r.capacity >= 6
            ),
            reverse=True,
        )
        staff = [t for t in clinic.therapists if site.id in t.sites]
        seats: dict[str, int] = {}
        groups: dict[str, int] = {}
        for b in blocks:
            leaders = sum(
                1
                for t in staff
                if t.available(b.window) and not clinic.is_closed(b, week, therapist=t.id)
            )
            groups[b.id] = min(len(rooms), leaders)
            seats[b.id] = sum(min(c, group_cap) for c in rooms[: groups[b.id]])
        # A room hosts one block at a time: per day keep the best non-overlapping layout
        # (e.g. AM + PM + EVE rather than AM + AFT) and offer no seats in the others.
        for day in sorted({b.weekday for b in blocks}):
            layout = _best_layout([b for b in blocks if b.weekday == day], seats)
            for b in blocks:
                if b.weekday == day and b.id not in layout:
                    seats[b.id] = groups[b.id] = 0
        patients = [
            p
            for p in clinic.patients
            if p.site == site.id
            and p.admission <= week_start + timedelta(days=6)
            and p.discharge >= week_start
        ]
        need: dict[str, int] = {}
        options: dict[str, list[Block]] = {}
        family_due = 0
        per_type: dict[str, int] = {}  # "track/type" -> seats needed
        for p in patients:
            for item in clinic.curriculum_for(p.track):
                if types[item.session_type].is_group:
                    key = f"{p.track}/{item.session_type}"
                    per_type[key] = per_type.get(key, 0) + item.per_week
            need[p.id] = sum(
                item.per_week
                for item in clinic.curriculum_for(p.track)
                if types[item.session_type].is_group
            )
            options[p.id] = [
                b
                for b in blocks
                if p.free(b.window, settings.travel_buffer_min)
                and p.in_treatment(clinic.block_date(b, week))
            ]
            family_due += p.family_due(week_start)
        evening_only = [
            p for p in patients if options[p.id] and all(_is_evening(b) for b in options[p.id])
        ]
        seats_needed = sum(need.values())
        # Staff: 3 h per group of ~10, an hour per individual and per family session due.
        staff_needed = 3.0 * math.ceil(seats_needed / 10) + len(patients) + family_due
        evening_seats = sum(need[p.id] for p in evening_only)
        evening_needed = (
            3.0 * math.ceil(evening_seats / 10)
            + len(evening_only)
            + sum(p.family_due(week_start) for p in patients)
        )
        evening_offered = sum(_evening_hours(t) / len(t.sites) for t in staff)
        staff_offered = sum(
            min(t.max_hours_week, sum(w.minutes for w in t.availability) / 60) / len(t.sites)
            for t in staff
        )
        out.append(
            SiteCapacity(
                site=site.id,
                patients=len(patients),
                seats_needed=seats_needed,
                seats_offered=sum(seats.values()),
                evening_seats_needed=evening_seats,
                evening_seats_offered=sum(seats[b.id] for b in blocks if _is_evening(b)),
                groups_needed=sum(
                    math.ceil(n / types[key.split("/")[1]].max_size)
                    for key, n in sorted(per_type.items())
                ),
                groups_offered=sum(groups.values()),
                staff_hours_needed=staff_needed,
                staff_hours_offered=round(staff_offered, 1),
                evening_staff_hours_needed=evening_needed,
                evening_staff_hours_offered=round(evening_offered, 1),
                unseated=_greedy_unseated(patients, need, options, seats),
            )
        )
    return out


def _best_layout(day_blocks: Sequence[Block], seats: dict[str, int]) -> set[str]:
    """The non-overlapping subset of one day's blocks with the most seats (a day has a
    handful of group blocks, so every subset is tried; ties go to the earlier subset)."""
    best: set[str] = set()
    best_seats = -1
    n = len(day_blocks)
    for mask in range(1 << n):
        chosen = [day_blocks[i] for i in range(n) if mask >> i & 1]
        if any(a.window.overlaps(b.window) for i, a in enumerate(chosen) for b in chosen[i + 1 :]):
            continue
        total = sum(seats[b.id] for b in chosen)
        if total > best_seats:
            best, best_seats = {b.id for b in chosen}, total
    return best


def _greedy_unseated(
    patients: Sequence[Patient],
    need: dict[str, int],
    options: dict[str, list[Block]],
    seats: dict[str, int],
) -> tuple[str, ...]:
    left = dict(seats)
    unseated: list[str] = []
    for p in sorted(patients, key=lambda p: (len(options[p.id]), p.id)):
        taken: list[Block] = []
        for b in sorted(options[p.id], key=lambda b: (-left[b.id], b.id)):
            if len(taken) == need[p.id]:
                break
            if left[b.id] > 0 and all(t.weekday != b.weekday for t in taken):
                taken.append(b)
        if len(taken) < need[p.id]:
            unseated.append(p.id)
            continue
        for b in taken:
            left[b.id] -= 1
    return tuple(sorted(unseated))
