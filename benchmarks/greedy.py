"""Baseline (a): greedy first-fit, the way a coordinator fills groups by hand.

Patients are taken in admission order (then ID). For each week they are in treatment a
patient's curriculum groups go into the first existing group with room — blocks in the
clinic's order, dates the patient has no group on yet first — and a new group is opened in
the first block with a free room and a free credentialed therapist only when none fits.
Extra groups are added to reach the weekly hours minimum and the minimum number of days;
then the individual session with the primary therapist and, when due, the family session
are booked in the first free slot. A patient who cannot be fitted completely is taken out
again (nothing half-booked) and listed as unplaced with the reason.

At the end, groups left below their minimum size are dissolved: their patients are taken
out and tried once more into the remaining groups only, as a coordinator would merge a
group that did not fill. Locks are not read (generated clinics carry none).

The result is a real :class:`~scheduler.schedule.Schedule` meant to pass the checker.
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from scheduler.domain import (
    Block,
    Clinic,
    Patient,
    Room,
    SessionKind,
    SessionType,
    Track,
    Weekday,
    Window,
)
from scheduler.rules import (
    can_lead,
    family_slots,
    individual_slots,
    patient_can_attend,
    required_sessions,
    session_types_of_kind,
    starts_later,
    week_hours,
)
from scheduler.schedule import Schedule, Session, SolveStats, Unplaced, session_window
from scheduler.topics import assign_topics

_EPS = 1e-9
_MERGE_ROUNDS = 4  # rounds of "dissolve groups below minimum size, re-seat their patients"


@dataclass
class _Group:
    """A session being filled: a group, or a one-patient individual or family session."""

    week: int
    block: Block
    kind: SessionType
    room: Room
    therapists: list[str]
    patients: list[str] = field(default_factory=list)

    @property
    def window(self) -> Window:
        return session_window(self.block, self.kind)


_Span = tuple[int, int]


def _clashes(spans: list[_Span], w: Window) -> bool:
    return any(start < w.end and w.start < end for start, end in spans)


def in_horizon(clinic: Clinic, p: Patient) -> bool:
    """Some date of the horizon lies in the patient's admission..discharge (RULES.md)."""
    days = [d for w in range(clinic.settings.weeks) for d in clinic.settings.week_dates(w)]
    return any(p.in_treatment(d) for d in days)


def in_plan(clinic: Clinic, p: Patient) -> bool:
    """In the horizon and owing some session in it (RULES.md P4)."""
    return in_horizon(clinic, p) and not starts_later(clinic, p)


def _weeks_in_treatment(clinic: Clinic, p: Patient) -> list[int]:
    return [
        w
        for w in range(clinic.settings.weeks)
        if any(p.in_treatment(d) for d in clinic.settings.week_dates(w))
    ]


class _Greedy:
    def __init__(self, clinic: Clinic) -> None:
        self.c = clinic
        self.groups: list[_Group] = []
        self.patient_busy: dict[tuple[str, int, Weekday], list[_Span]] = {}
        self.therapist_busy: dict[tuple[str, int, Weekday], list[_Span]] = {}
        self.room_busy: dict[tuple[str, int, Weekday], list[_Span]] = {}
        self.t_week: defaultdict[tuple[str, int], float] = defaultdict(float)
        self.t_day: defaultdict[tuple[str, int, Weekday], float] = defaultdict(float)
        self.t_sites: dict[tuple[str, int, Weekday], Counter[str]] = {}
        self.p_hours: defaultdict[tuple[str, int], float] = defaultdict(float)
        self.p_groups_day: Counter[tuple[str, int, Weekday]] = Counter()
        self.caseload: Counter[str] = Counter()
        self.placed: set[str] = set()
        self.journal: list[Callable[[], None]] = []  # undo steps for the patient being fitted
        # Rooms in first-fit order: real rooms before the virtual meeting link.
        self.rooms = sorted(clinic.rooms, key=lambda r: r.virtual)
        self.small_rooms_first = sorted(clinic.rooms, key=lambda r: (r.virtual, r.capacity))

    # ---------------------------------------------------------------- bookkeeping
    def _book_therapist(self, tid: str, g: _Group, sign: int) -> None:
        key = (tid, g.week, g.block.weekday)
        w = g.window
        spans = self.therapist_busy.setdefault(key, [])
        sites = self.t_sites.setdefault(key, Counter())
        if sign > 0:
            spans.append((w.start, w.end))
            sites[g.block.site] += 1
        else:
            spans.remove((w.start, w.end))
            sites[g.block.site] -= 1
            if sites[g.block.site] <= 0:
                del sites[g.block.site]
        self.t_week[(tid, g.week)] += sign * g.kind.hours
        self.t_day[key] += sign * g.kind.hours

    def _book_room(self, g: _Group, sign: int) -> None:
        spans = self.room_busy.setdefault((g.room.id, g.week, g.block.weekday), [])
        w = g.window
        if sign > 0:
            spans.append((w.start, w.end))
        else:
            spans.remove((w.start, w.end))

    def _book_patient(self, pid: str, g: _Group, sign: int) -> None:
        spans = self.patient_busy.setdefault((pid, g.week, g.block.weekday), [])
        w = g.window
        if sign > 0:
            spans.append((w.start, w.end))
        else:
            spans.remove((w.start, w.end))
        if g.kind.counts_toward_hours:
            self.p_hours[(pid, g.week)] += sign * g.kind.hours
        if g.kind.is_group:
            self.p_groups_day[(pid, g.week, g.block.weekday)] += sign

    # ---------------------------------------------------------------- the operations
    def _open(self, week: int, block: Block, kind: SessionType, room: Room, tid: str) -> _Group:
        g = _Group(week, block, kind, room, [tid])
        self.groups.append(g)
        self._book_room(g, +1)
        self._book_therapist(tid, g, +1)

        def undo() -> None:
            self._book_therapist(tid, g, -1)
            self._book_room(g, -1)
            self.groups.remove(g)

        self.journal.append(undo)
        return g

    def _join(self, g: _Group, pid: str, co_tid: str | None) -> None:
        g.patients.append(pid)
        self._book_patient(pid, g, +1)
        if co_tid is not None:
            g.therapists.append(co_tid)
            self._book_therapist(co_tid, g, +1)

        def undo() -> None:
            if co_tid is not None:
                self._book_therapist(co_tid, g, -1)
                g.therapists.remove(co_tid)
            self._book_patient(pid, g, -1)
            g.patients.remove(pid)

        self.journal.append(undo)

    def _rollback(self, mark: int) -> None:
        while len(self.journal) > mark:
            self.journal.pop()()

    def _unplace(self, pid: str) -> None:
        """Take a placed patient out of every session (outside any journal)."""
        for g in [g for g in self.groups if pid in g.patients]:
            self._book_patient(pid, g, -1)
            g.patients.remove(pid)
            if not g.patients:
                for tid in g.therapists:
                    self._book_therapist(tid, g, -1)
                self._book_room(g, -1)
                self.groups.remove(g)
            elif len(g.therapists) > g.kind.leaders_needed(len(g.patients)):
                self._book_therapist(g.therapists[-1], g, -1)
                g.therapists.pop()
        self.placed.discard(pid)
        self.caseload[self.c.patient_by_id[pid].primary_therapist] -= 1

    # ---------------------------------------------------------------- feasibility tests
    def _therapist_ok(self, tid: str, week: int, block: Block, kind: SessionType) -> bool:
        t = self.c.therapist_by_id[tid]
        key = (tid, week, block.weekday)
        w = session_window(block, kind)
        sites = self.t_sites.get(key)
        return (
            can_lead(self.c, tid, block, kind, week)
            and not _clashes(self.therapist_busy.get(key, []), w)
            and self.t_week[(tid, week)] + kind.hours <= t.max_hours_week + _EPS
            and self.t_day[key] + kind.hours <= t.max_hours_day + _EPS
            and (not sites or set(sites) == {block.site})
        )

    def _room_ok(self, room: Room, week: int, block: Block, kind: SessionType, p: Patient) -> bool:
        w = session_window(block, kind)
        return (
            room.serves(block.site)
            and room.available(w)
            and not self.c.is_closed(block, week, room=room.id)
            and kind.room_features <= room.features
            and (room.virtual or room.capacity >= min(kind.min_size, kind.max_size))
            and (not room.virtual or p.telehealth_ok)
            and not _clashes(self.room_busy.get((room.id, week, block.weekday), []), w)
        )

    def _patient_ok(self, p: Patient, week: int, block: Block, kind: SessionType) -> bool:
        band = week_hours(self.c, p, week).band  # the step-down band in a step-down week
        key = (p.id, week, block.weekday)
        return (
            p.track in kind.tracks
            and (not kind.phases or p.phase in kind.phases)
            and kind.admits(p.sex)  # S4: a women's group admits women only
            and patient_can_attend(self.c, p, block, kind, week)
            and not _clashes(self.patient_busy.get(key, []), session_window(block, kind))
            and (
                not kind.counts_toward_hours
                or self.p_hours[(p.id, week)] + kind.hours <= band.max_hours + _EPS
            )
            and (
                not kind.is_group
                or self.p_groups_day[key] < self.c.settings.max_group_blocks_per_day
            )
        )

    def _can_join(self, g: _Group, p: Patient) -> tuple[bool, str | None]:
        """Whether the patient can join ``g``, and the co-facilitator that adds (if any)."""
        size = len(g.patients) + 1
        if size > g.kind.max_size or (not g.room.virtual and size > g.room.capacity):
            return False, None
        if g.room.virtual and not p.telehealth_ok:
            return False, None
        first = self.c.patient_by_id[g.patients[0]] if g.patients else None
        if first is not None and first.track is not p.track:
            return False, None
        if first is not None and g.kind.single_sex and first.sex is not p.sex:
            return False, None
        if g.kind.leaders_needed(size) <= len(g.therapists):
            return True, None
        for t in self.c.therapists:
            if t.id not in g.therapists and self._therapist_ok(t.id, g.week, g.block, g.kind):
                return True, t.id
        return False, None

    # ---------------------------------------------------------------- fitting one session
    def _group_blocks(self, p: Patient, week: int, kind: SessionType) -> list[Block]:
        """Blocks the patient could attend, dates without a group for them first."""
        usable = [b for b in self.c.blocks if self._patient_ok(p, week, b, kind)]
        return sorted(usable, key=lambda b: self.p_groups_day[(p.id, week, b.weekday)] > 0)

    def _try_group(self, p: Patient, week: int, kind: SessionType, allow_open: bool) -> bool:
        blocks = self._group_blocks(p, week, kind)
        for b in blocks:  # first, the first existing group with room
            for g in self.groups:
                if g.week != week or g.block.id != b.id or g.kind.id != kind.id:
                    continue
                ok, co = self._can_join(g, p)
                if ok:
                    self._join(g, p.id, co)
                    return True
        if not allow_open:
            return False
        for b in blocks:  # else open a group in the first block with a room and a leader
            if self._open_for(p, week, b, kind, [t.id for t in self.c.therapists]):
                return True
        return False

    def _open_for(
        self, p: Patient, week: int, block: Block, kind: SessionType, leaders: list[str]
    ) -> bool:
        """Open a session of ``kind`` in ``block`` for ``p`` with the first free room and
        leader of ``leaders``."""
        if not self._patient_ok(p, week, block, kind):
            return False
        # Groups take rooms in the clinic's order; a one-patient session the smallest room.
        rooms = self.rooms if kind.max_size > 1 else self.small_rooms_first
        room = next((r for r in rooms if self._room_ok(r, week, block, kind, p)), None)
        if room is None:
            return False
        tid = next((t for t in leaders if self._therapist_ok(t, week, block, kind)), None)
        if tid is None:
            return False
        g = self._open(week, block, kind, room, tid)
        self._join(g, p.id, None)
        return True

    def _try_single(
        self, p: Patient, week: int, kind: SessionType, blocks: list[Block], leaders: list[str]
    ) -> bool:
        return any(self._open_for(p, week, b, kind, leaders) for b in blocks)

    # ---------------------------------------------------------------- fitting a patient
    def _leaders(self, p: Patient) -> list[str]:
        """Any therapist, the patient's primary first (a coordinator keeps continuity)."""
        others = [t.id for t in self.c.therapists if t.id != p.primary_therapist]
        return [p.primary_therapist, *others]

    def _fit_week(self, p: Patient, week: int, allow_open: bool) -> str | None:
        c = self.c
        dates = c.settings.week_dates(week)
        # W2/W3 minimums (W7's in a step-down week) bind only in a whole week of treatment.
        wh = week_hours(c, p, week)
        for item in c.curriculum_for(p.track):
            kind = c.session_type_by_id[item.session_type]
            need = required_sessions(c, p, item, week)  # pro rata in a partial week (W1)
            if kind.kind is SessionKind.FAMILY or need == 0:
                continue  # family sessions follow the family cadence (W5) below
            if kind.kind is SessionKind.INDIVIDUAL:
                slots = individual_slots(c, p, kind, week)
                if not slots:
                    continue  # waived (W4): no slot where both could meet
                for _ in range(need):
                    if not self._try_single(p, week, kind, slots, [p.primary_therapist]):
                        return (
                            f"no free {kind.name} slot with their primary therapist "
                            f"{p.primary_therapist} in week {week + 1}"
                        )
            elif not kind.is_group:
                blocks = [b for b in c.blocks if b.kind is kind.block_kind]
                for _ in range(need):
                    if not self._try_single(p, week, kind, blocks, self._leaders(p)):
                        return f"no free {kind.name} slot in week {week + 1}"
            else:
                for _ in range(need):
                    if not self._try_group(p, week, kind, allow_open):
                        return (
                            f"no {kind.name} group with room fits their availability "
                            f"in week {week + 1}"
                        )
        if wh.whole:
            hours = wh.min_hours
            extra = self._extra_types(p.track)
            while self.p_hours[(p.id, week)] + _EPS < hours:
                if not any(self._try_group(p, week, k, allow_open) for k in extra):
                    return f"cannot reach {hours:g} hours a week in week {week + 1}"
            while self._group_days(p.id, week) < wh.min_days:
                if not any(self._try_group(p, week, k, allow_open) for k in extra):
                    return f"cannot spread groups over {wh.min_days} days in week {week + 1}"
        if p.family_due(dates[0]):
            options = [
                (k, slots)
                for k in session_types_of_kind(c, p, SessionKind.FAMILY)
                if (slots := family_slots(c, p, k, week))
            ]
            if options and not any(
                self._try_single(p, week, k, slots, self._leaders(p)) for k, slots in options
            ):
                return f"no free family session time fits their family in week {week + 1}"
        return None

    def _extra_types(self, track: Track) -> list[SessionType]:
        """Group types open to the track, curriculum types first, for extra hours/days."""
        curriculum = [
            self.c.session_type_by_id[i.session_type] for i in self.c.curriculum_for(track)
        ]
        rest = [k for k in self.c.session_types if k not in curriculum]
        return [
            k
            for k in curriculum + rest
            if k.is_group
            and k.counts_toward_hours
            and track in k.tracks
            and k.kind not in (SessionKind.FAMILY, SessionKind.INDIVIDUAL)
        ]

    def _group_days(self, pid: str, week: int) -> int:
        return sum(1 for d in Weekday if self.p_groups_day[(pid, week, d)] > 0)

    def fit(self, p: Patient, allow_open: bool = True) -> str | None:
        """Fit the patient's whole plan, or undo everything and return the reason."""
        cap = self.c.therapist_by_id[p.primary_therapist].caseload_cap
        if self.caseload[p.primary_therapist] >= cap:
            return f"their primary therapist {p.primary_therapist}'s caseload is full ({cap})"
        self.journal = []
        for week in _weeks_in_treatment(self.c, p):
            reason = self._fit_week(p, week, allow_open)
            if reason is not None:
                self._rollback(0)
                return reason
        if not any(p.id in g.patients for g in self.groups):
            return "their curriculum asks for no session this week"
        self.journal = []
        self.placed.add(p.id)
        self.caseload[p.primary_therapist] += 1
        return None

    def merge_small_groups(self, reasons: dict[str, str]) -> None:
        """Dissolve groups below their minimum size; re-seat their patients in other groups."""
        for round_no in range(_MERGE_ROUNDS + 1):
            small = [g for g in self.groups if len(g.patients) < g.kind.min_size]
            if not small:
                return
            victims = sorted(
                {pid for g in small for pid in g.patients},
                key=lambda pid: _admission_key(self.c.patient_by_id[pid]),
            )
            for pid in victims:
                self._unplace(pid)
            for pid in victims:
                p = self.c.patient_by_id[pid]
                why = self.fit(p, allow_open=False) if round_no < _MERGE_ROUNDS else "merge"
                if why is not None:
                    reasons[pid] = (
                        "too few patients share their free times to fill a group "
                        "(below the minimum group size)"
                    )
                else:
                    reasons.pop(pid, None)


def _admission_key(p: Patient) -> tuple[object, ...]:
    return (p.admission, p.id)


def greedy_schedule(clinic: Clinic) -> Schedule:
    """The coordinator's first-fit schedule of ``clinic`` (see the module docstring)."""
    started = time.perf_counter()
    g = _Greedy(clinic)
    reasons: dict[str, str] = {}
    for p in sorted((p for p in clinic.patients if in_plan(clinic, p)), key=_admission_key):
        why = g.fit(p)
        if why is not None:
            reasons[p.id] = why
    g.merge_small_groups(reasons)
    return _to_schedule(clinic, g, reasons, time.perf_counter() - started)


def _to_schedule(clinic: Clinic, g: _Greedy, reasons: dict[str, str], wall: float) -> Schedule:
    block_order = {b.id: i for i, b in enumerate(clinic.blocks)}
    type_order = {k.id: i for i, k in enumerate(clinic.session_types)}
    ordered = sorted(
        g.groups, key=lambda s: (s.week, block_order[s.block.id], type_order[s.kind.id])
    )
    counter: Counter[tuple[int, str, str]] = Counter()
    sessions = []
    for s in ordered:
        key = (s.week, s.block.id, s.kind.id)
        counter[key] += 1
        n = counter[key]
        sessions.append(
            Session.numbered(
                s.week,
                s.block.id,
                s.kind.id,
                n,
                s.room.id,
                tuple(s.therapists),
                tuple(s.patients),
            )
        )
    placed = len(g.placed)
    unplaced = tuple(
        Unplaced(p.id, reasons.get(p.id, "not placed"))
        for p in clinic.patients
        if in_plan(clinic, p) and p.id not in g.placed
    )
    stats = SolveStats(
        status="FEASIBLE",
        objective=float(placed),
        best_bound=None,
        wall_time_s=wall,
        seed=0,
        workers=1,
        time_limit_s=0.0,
        terms={"placed": float(placed)},
        first_solution_s=wall,
    )
    schedule = Schedule(
        week_start=clinic.settings.week_start,
        weeks=clinic.settings.weeks,
        sessions=tuple(sessions),
        unplaced=unplaced,
        stats=stats,
        starting_later=tuple(
            p.id for p in clinic.patients if in_horizon(clinic, p) and not in_plan(clinic, p)
        ),
    )
    # Topics (RULES.md C1, C2) are given after any solve the same way, baselines included.
    return assign_topics(clinic, schedule, ())
