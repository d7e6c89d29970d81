"""A first-fit schedule built on the model's own options, used as phase one's hint.

Patients are taken in the placement order of the objective (continuing patients, then
earlier admissions). For each week in treatment a patient books their one-patient sessions
first (the primary therapist's time is the scarce resource), then joins open groups of each
curriculum type — or opens a group in a free room with a free leader — and adds groups
until the weekly hours and days minimums hold. A patient who cannot be fitted completely is
taken out again. Groups left below their minimum size are then dissolved with their patients
and those patients tried again into the remaining groups only, a few rounds.

The result is a set of values for the decision variables of
:mod:`scheduler.model.variables`; :func:`complete_hint` turns it into a value for every
variable of the model (auxiliary ones included) by a solve with those values fixed, so the
hint CP-SAT receives is complete and feasible, or dropped when it is not. Clinics with locks
get no warm start (the search places locked sessions itself).
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from scheduler.domain import SessionKind
from scheduler.model.instance import Act, GKey, Instance
from scheduler.model.values import all_values
from scheduler.model.variables import Lit, Variables

#: Rounds of "dissolve groups below minimum size, re-seat their patients".
ROUNDS = 4


@dataclass
class _Group:
    key: GKey
    room: str
    virtual: bool
    lo: int
    hi: int
    leader: str
    members: list[str] = field(default_factory=list)


@dataclass
class _Booking:
    """What one patient holds, so that it can be undone."""

    groups: list[tuple[_Group, bool]] = field(default_factory=list)  # (group, opened here)
    singles: list[tuple[Act, str, str | None]] = field(default_factory=list)  # act, room, lead


class WarmStart:
    def __init__(self, inst: Instance) -> None:
        self.inst = inst
        self.room_busy: set[tuple[str, int]] = set()
        self.lead_busy: set[tuple[str, int]] = set()
        self.pat_busy: set[tuple[str, int]] = set()
        self.t_week: dict[tuple[str, int], int] = defaultdict(int)
        self.t_day: dict[tuple[str, int, int], int] = defaultdict(int)
        self.t_site: dict[tuple[str, int, int], str] = {}
        self.case: dict[str, int] = defaultdict(int)
        self.groups: dict[GKey, list[_Group]] = defaultdict(list)
        self.placed: dict[str, _Booking] = {}
        therapists = inst.clinic.therapist_by_id
        self.week_cap = {t: math.floor(x.max_hours_week * 60 + 1e-6) for t, x in therapists.items()}
        self.day_cap = {t: math.floor(x.max_hours_day * 60 + 1e-6) for t, x in therapists.items()}

    # ------------------------------------------------------------------ resources
    def _cliques(self, act: Act) -> list[int]:
        return list(self.inst.cliques.get(act, ()))

    def _free(self, busy: set[tuple[str, int]], who: str, act: Act) -> bool:
        return all((who, c) not in busy for c in self._cliques(act))

    def _take(self, busy: set[tuple[str, int]], who: str, act: Act, on: bool) -> None:
        for c in self._cliques(act):
            if on:
                busy.add((who, c))
            else:
                busy.discard((who, c))

    def _day(self, act: Act) -> int:
        return int(self.inst.windows[act].weekday)

    def _lead_ok(self, t: str, act: Act) -> bool:
        w, b_id, s_id = act
        m = self.inst.types[s_id].duration_min
        site = self.inst.blocks[b_id].site
        d = self._day(act)
        return (
            self._free(self.lead_busy, t, act)
            and self.t_week[(t, w)] + m <= self.week_cap[t]
            and self.t_day[(t, w, d)] + m <= self.day_cap[t]
            and self.t_site.get((t, w, d), site) == site
        )

    def _lead(self, t: str, act: Act, on: bool) -> None:
        w, _, s_id = act
        m = self.inst.types[s_id].duration_min * (1 if on else -1)
        d = self._day(act)
        self._take(self.lead_busy, t, act, on)
        self.t_week[(t, w)] += m
        self.t_day[(t, w, d)] += m
        if on:
            self.t_site[(t, w, d)] = self.inst.blocks[act[1]].site
        elif self.t_day[(t, w, d)] == 0:
            self.t_site.pop((t, w, d), None)

    # ------------------------------------------------------------------ patients
    def order(self) -> list[str]:
        infos = self.inst.patients
        return sorted(infos, key=lambda p: (not infos[p].continuing, -infos[p].tier))

    def rank(self) -> dict[str, int]:
        return {pid: i for i, pid in enumerate(self.order())}

    def try_place(self, pid: str, may_open: bool) -> bool:
        info = self.inst.patients[pid]
        p = info.patient
        primary = p.primary_therapist
        if (
            "G6" not in self.inst.off
            and self.case[primary] >= self.inst.clinic.therapist_by_id[primary].caseload_cap
        ):
            return False
        booking = _Booking()
        ok = bool(info.weeks)
        for pw in info.weeks:
            if not ok:
                break
            ok = self._book_week(pid, pw.week, booking, may_open)
        if ok and not booking.groups and not booking.singles:
            ok = self._any_group(pid, booking, may_open)  # P1: placed means one session
        if not ok:
            self._undo(pid, booking)
            return False
        self.placed[pid] = booking
        self.case[primary] += 1
        return True

    def _book_week(self, pid: str, week: int, booking: _Booking, may_open: bool) -> bool:
        inst = self.inst
        info = inst.patients[pid]
        pw = next(x for x in info.weeks if x.week == week)
        settings = inst.clinic.settings
        minutes = 0
        days: dict[int, int] = defaultdict(int)
        cap = settings.max_group_blocks_per_day
        # One-patient sessions first.
        for type_ids, count in pw.single_items:
            acts = [a for a in info.single_acts if a[0] == week and a[2] in type_ids]
            for _ in range(count):
                act = next(
                    (
                        a
                        for a in acts
                        if self._single_fits(pid, a)
                        and not (inst.types[a[2]].is_group and days[self._day(a)] >= cap)
                    ),
                    None,
                )
                if act is None:
                    return False
                minutes += self._book_single(pid, act, booking)
                if inst.types[act[2]].is_group:
                    days[self._day(act)] += 1
                acts.remove(act)
        hi = math.floor(pw.hours.max_hours * 60 + 1e-6)  # the week's band: W2 or W7
        low = math.ceil(pw.hours.min_hours * 60 - 1e-6)
        need_days = pw.hours.min_days
        mine = [(a, cls) for a, cls in info.group_acts if a[0] == week]

        def book(a: Act, cls: str) -> bool:
            nonlocal minutes
            m = inst.types[a[2]].duration_min if inst.types[a[2]].counts_toward_hours else 0
            d = self._day(a)
            if minutes + m > hi or not self._free(self.pat_busy, pid, a):
                return False
            if inst.types[a[2]].is_group and days[d] >= cap:
                return False
            if not self._join(pid, (*a, cls), booking, may_open):
                return False
            minutes += m
            if inst.types[a[2]].is_group:
                days[d] += 1
            return True

        def ranked(acts: list[tuple[Act, str]]) -> list[tuple[Act, str]]:
            # Existing groups first, then days not used yet, then the clinic's order.
            return sorted(
                acts,
                key=lambda ac: (
                    not any(len(g.members) < g.hi for g in self.groups.get((*ac[0], ac[1]), [])),
                    days[self._day(ac[0])] > 0,
                    inst.block_order[ac[0][1]],
                ),
            )

        for s_id, count in pw.group_items:
            got = 0
            for a, cls in ranked([x for x in mine if x[0][2] == s_id]):
                if got >= count:
                    break
                if book(a, cls):
                    got += 1
            if got < count:
                return False
        if low > 0 or need_days > 0:
            for a, cls in ranked(mine):
                if minutes >= low and sum(1 for v in days.values() if v) >= need_days:
                    break
                book(a, cls)  # a group already booked clashes with itself: refused
            if minutes < low or sum(1 for v in days.values() if v) < need_days:
                return False
        return True

    def _any_group(self, pid: str, booking: _Booking, may_open: bool) -> bool:
        """One group for a patient who owes nothing this horizon (W1 pro rata rounds to 0)."""
        info = self.inst.patients[pid]
        max_hours = {pw.week: pw.hours.max_hours for pw in info.weeks}
        for act, cls in info.group_acts:
            if self.inst.types[act[2]].duration_min > max_hours[act[0]] * 60:
                continue
            if self._free(self.pat_busy, pid, act) and self._join(
                pid, (*act, cls), booking, may_open
            ):
                return True
        return False

    def _join(self, pid: str, key: GKey, booking: _Booking, may_open: bool) -> bool:
        inst = self.inst
        act: Act = key[:3]
        tele = inst.patients[pid].patient.telehealth_ok
        for g in self.groups.get(key, []):
            if len(g.members) < g.hi and (tele or not g.virtual):
                g.members.append(pid)
                self._take(self.pat_busy, pid, act, True)
                booking.groups.append((g, False))
                return True
        if not may_open:
            return False
        cb = inst.class_blocks[key]
        for opt in cb.rooms:
            if opt.solo is None or (opt.virtual and not tele):
                continue
            if not self._free(self.room_busy, opt.room, act):
                continue
            leader = next((t for t in cb.leaders if self._lead_ok(t, act)), None)
            if leader is None:
                return False
            g = _Group(key, opt.room, opt.virtual, opt.solo[0], opt.solo[1], leader, [pid])
            self._take(self.room_busy, opt.room, act, True)
            self._lead(leader, act, True)
            self._take(self.pat_busy, pid, act, True)
            self.groups[key].append(g)
            booking.groups.append((g, True))
            return True
        return False

    def _single_fits(self, pid: str, act: Act) -> bool:
        return self._single_room(pid, act) is not None and self._single_lead(pid, act) != ""

    def _single_room(self, pid: str, act: Act) -> str | None:
        tele = self.inst.patients[pid].patient.telehealth_ok
        if not self._free(self.pat_busy, pid, act):
            return None
        for r, virtual in self.inst.singles[act].rooms:
            if (tele or not virtual) and self._free(self.room_busy, r, act):
                return r
        return None

    def _single_lead(self, pid: str, act: Act) -> str | None:
        """The leader ("" when none is free; None for an individual session's primary)."""
        slot = self.inst.singles[act]
        if slot.kind is SessionKind.INDIVIDUAL:
            primary = self.inst.patients[pid].patient.primary_therapist
            return None if self._lead_ok(primary, act) else ""
        return next((t for t in slot.leaders if self._lead_ok(t, act)), "")

    def _book_single(self, pid: str, act: Act, booking: _Booking) -> int:
        room = self._single_room(pid, act)
        lead = self._single_lead(pid, act)
        assert room is not None and lead != ""
        self._take(self.room_busy, room, act, True)
        self._take(self.pat_busy, pid, act, True)
        self._lead(lead or self.inst.patients[pid].patient.primary_therapist, act, True)
        booking.singles.append((act, room, lead))
        st = self.inst.types[act[2]]
        return st.duration_min if st.counts_toward_hours else 0

    def _undo(self, pid: str, booking: _Booking) -> None:
        for g, opened in reversed(booking.groups):
            act: Act = g.key[:3]
            g.members.remove(pid)
            self._take(self.pat_busy, pid, act, False)
            if opened and not g.members:
                self._close(g)
        for act, room, lead in booking.singles:
            self._take(self.room_busy, room, act, False)
            self._take(self.pat_busy, pid, act, False)
            self._lead(lead or self.inst.patients[pid].patient.primary_therapist, act, False)

    def _close(self, g: _Group) -> None:
        act: Act = g.key[:3]
        self._take(self.room_busy, g.room, act, False)
        self._lead(g.leader, act, False)
        self.groups[g.key].remove(g)

    def unplace(self, pid: str) -> None:
        booking = self.placed.pop(pid)
        self.case[self.inst.patients[pid].patient.primary_therapist] -= 1
        for g, _ in booking.groups:
            g.members.remove(pid)
            self._take(self.pat_busy, pid, g.key[:3], False)
            if not g.members and g in self.groups[g.key]:
                self._close(g)
        booking.groups = []
        self._undo(pid, booking)

    # ------------------------------------------------------------------ whole run
    def run(self) -> None:
        for pid in self.order():
            self.try_place(pid, may_open=True)
        rank = self.rank()
        for _ in range(ROUNDS):
            small = [g for gs in self.groups.values() for g in gs if len(g.members) < g.lo]
            if not small:
                return
            out = sorted({pid for g in small for pid in g.members}, key=rank.__getitem__)
            for pid in out:
                if pid in self.placed:
                    self.unplace(pid)
            for g in small:
                if g in self.groups[g.key]:
                    self._close(g)
            for pid in out:
                self.try_place(pid, may_open=False)
        # Still below minimum after the rounds: take those groups' patients out for good.
        while True:
            small = [g for gs in self.groups.values() for g in gs if len(g.members) < g.lo]
            if not small:
                return
            for pid in sorted({pid for g in small for pid in g.members}, key=rank.__getitem__):
                if pid in self.placed:
                    self.unplace(pid)
            for g in small:
                if g in self.groups[g.key]:
                    self._close(g)

    def values(self, v: Variables) -> dict[Lit, int]:
        """A value for every decision variable (auxiliary variables are left out)."""
        out: dict[Lit, int] = {}
        for pid, var in v.placed.items():
            out[var] = int(pid in self.placed)
        for var in (*v.attend.values(), *v.room.values(), *v.co.values(), *v.lead.values()):
            out[var] = 0
        for var in (*v.single.values(), *v.sroom.values(), *v.slead.values()):
            out[var] = 0
        for gs in self.groups.values():
            for g in gs:
                out[v.room[(g.key, g.room)]] = 1
                out[v.lead[(g.key, g.leader)]] = 1
                for pid in g.members:
                    out[v.attend[(pid, g.key[:3])]] = 1
        for pid, booking in self.placed.items():
            for act, room, lead in booking.singles:
                out[v.single[(pid, act)]] = 1
                out[v.sroom[(act, room)]] = 1
                if lead:
                    out[v.slead[(act, lead)]] = 1
        return out


def warm_start(inst: Instance, v: Variables) -> dict[Lit, int] | None:
    """First-fit values for the decision variables, or None for a clinic with locks."""
    if inst.clinic.locks:
        return None
    ws = WarmStart(inst)
    ws.run()
    return ws.values(v)


def complete_hint(
    model: cp_model.CpModel, partial: dict[Lit, int], deterministic: float, wall: float
) -> dict[int, int] | None:
    """Every variable's value in a solution that agrees with ``partial``, or None when no
    such solution is found (the partial values break a rule) within the deterministic
    limit (``wall`` is only the safety ceiling)."""
    model.clear_hints()  # type: ignore[no-untyped-call]
    for var, val in partial.items():
        model.add_hint(var, val)
    solver = cp_model.CpSolver()
    p = solver.parameters
    p.fix_variables_to_their_hinted_value = True
    p.num_workers = 1
    p.max_time_in_seconds = max(wall, 0.05)
    p.max_deterministic_time = max(deterministic, 0.05)
    p.stop_after_first_solution = True
    status = solver.solve(model)
    model.clear_hints()  # type: ignore[no-untyped-call]
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    return all_values(model, solver)
