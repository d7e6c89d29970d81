"""Baseline (b): the straightforward textbook CP-SAT formulation.

One Boolean ``x[p, c, r, t]`` per patient × candidate session × room × therapist, where a
candidate session ``c`` is (week, block, session type, index): for group types ``index``
runs over as many parallel groups as the block could ever hold; individual, family and
other one-patient types get one candidate per eligible patient. Only combinations that are
allowed at all are created (the patient can attend the block, the therapist can lead it,
the room serves it) — domain filtering any textbook does — but nothing is aggregated and
no symmetry is broken. ``y[c, r, t]`` says the session is held in room ``r`` led by ``t``.
The objective is the number of placed patients.

Rules enforced: P1, P2, T1–T6, G1–G3, G5, G6, W1–W6, S1–S3. Simplifications, stated
wherever results are reported (:data:`SKIPPED_RULES`):

- G4 co-facilitation is not modelled; instead a group is capped at ``cofacilitator_above``
  patients so that one leader is always enough (stricter, so schedules stay valid).
- L1 locks are ignored (generated clinics carry none).

The model grows as patients × sessions × rooms × therapists; :func:`count_variables`
estimates the size before anything is built so the runner can skip instances that would
not fit in memory.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from scheduler.domain import (
    Block,
    Clinic,
    Patient,
    Room,
    SessionKind,
    SessionType,
    Track,
    Weekday,
)
from scheduler.rules import (
    can_lead,
    family_slots,
    individual_slots,
    patient_can_attend,
    required_sessions,
    starts_later,
    week_hours,
)
from scheduler.schedule import Schedule, Session, SolveStats, Unplaced, session_window
from scheduler.topics import assign_topics

SKIPPED_RULES = "G4 co-facilitation (groups capped at cofacilitator_above instead), L1 locks"


class TooLarge(Exception):
    """The formulation would need more variables than the memory budget allows."""

    def __init__(self, variables: int, limit: int) -> None:
        super().__init__(f"{variables:,} variables exceed the budget of {limit:,}")
        self.variables = variables
        self.limit = limit


@dataclass
class _Candidate:
    week: int
    block: Block
    kind: SessionType
    index: int
    patients: list[Patient]
    pairs: list[tuple[Room, str]]  # allowed (room, therapist) pairs
    cap_by_room: dict[str, int] = field(default_factory=dict)

    @property
    def size(self) -> int:
        return sum(
            sum(1 for p in self.patients if p.telehealth_ok or not r.virtual) for r, _ in self.pairs
        )


@dataclass
class TextbookResult:
    """What the textbook solve produced. ``schedule`` is None when no solution was found."""

    schedule: Schedule | None
    status: str
    variables: int
    build_s: float
    solve_s: float
    progress: list[tuple[float, int]]  # (seconds since start of build, placed) per solution


def _in_horizon(clinic: Clinic, p: Patient) -> bool:
    days = [d for w in range(clinic.settings.weeks) for d in clinic.settings.week_dates(w)]
    return any(p.in_treatment(d) for d in days)


def _in_plan(clinic: Clinic, p: Patient) -> bool:
    """In the horizon and owing some session in it (RULES.md P4)."""
    return _in_horizon(clinic, p) and not starts_later(clinic, p)


def _room_fits(clinic: Clinic, room: Room, block: Block, kind: SessionType, week: int) -> bool:
    w = session_window(block, kind)
    return (
        room.serves(block.site)
        and room.available(w)
        and not clinic.is_closed(block, week, room=room.id)
        and kind.room_features <= room.features
        and (room.virtual or room.capacity >= min(kind.min_size, kind.max_size))
    )


def _group_cap(kind: SessionType, room: Room) -> int:
    cap = kind.max_size
    if kind.kind is SessionKind.FAMILY:
        cap = 1  # W6: one family per family session
    if kind.cofacilitator_above is not None:
        cap = min(cap, kind.cofacilitator_above)  # G4 not modelled: stay at one leader
    if not room.virtual:
        cap = min(cap, room.capacity)
    return cap


def _candidates(clinic: Clinic) -> list[_Candidate]:
    """Every candidate session with its eligible patients and (room, therapist) pairs."""
    c = clinic
    patients = [p for p in c.patients if _in_plan(c, p)]
    curriculum_types = {(i.track, i.session_type) for i in c.curriculum}
    out: list[_Candidate] = []
    for week in range(c.settings.weeks):
        week_start = c.settings.week_dates(week)[0]
        for block in c.blocks:
            if c.is_closed(block, week):
                continue
            for kind in c.session_types:
                if kind.block_kind is not block.kind or kind.duration_min > block.window.minutes:
                    continue
                eligible = [
                    p
                    for p in patients
                    if p.track in kind.tracks
                    and (not kind.phases or p.phase in kind.phases)
                    and kind.admits(p.sex)  # S4: a women's group admits women only
                    and patient_can_attend(c, p, block, kind, week)
                ]
                rooms = [r for r in c.rooms if _room_fits(c, r, block, kind, week)]
                leaders = [t.id for t in c.therapists if can_lead(c, t.id, block, kind, week)]
                if not eligible or not rooms or not leaders:
                    continue
                if kind.kind is SessionKind.INDIVIDUAL:
                    for p in eligible:
                        if (p.track, kind.id) not in curriculum_types:
                            continue
                        if block not in individual_slots(c, p, kind, week):
                            continue
                        if p.primary_therapist in leaders:
                            pairs = [(r, p.primary_therapist) for r in rooms]
                            out.append(_Candidate(week, block, kind, len(out), [p], pairs))
                elif kind.kind is SessionKind.FAMILY:
                    for p in eligible:
                        if p.family_due(week_start) and block in family_slots(c, p, kind, week):
                            pairs = [(r, t) for r in rooms for t in leaders]
                            out.append(_Candidate(week, block, kind, len(out), [p], pairs))
                elif not kind.is_group or kind.max_size == 1:
                    for p in eligible:
                        if (p.track, kind.id) in curriculum_types:
                            pairs = [(r, t) for r in rooms for t in leaders]
                            out.append(_Candidate(week, block, kind, len(out), [p], pairs))
                else:
                    groups = min(len(rooms), len(leaders), math.ceil(len(eligible) / kind.min_size))
                    pairs = [(r, t) for r in rooms for t in leaders]
                    for i in range(groups):
                        out.append(_Candidate(week, block, kind, i, eligible, pairs))
    return out


def count_variables(clinic: Clinic) -> int:
    """The number of x Booleans the formulation would create (y and helpers are few)."""
    return sum(cand.size for cand in _candidates(clinic))


class _Progress(cp_model.CpSolverSolutionCallback):
    def __init__(self, placed: list[cp_model.IntVar], started: float) -> None:
        super().__init__()
        self._placed = placed
        self._started = started
        self.events: list[tuple[float, int]] = []

    def on_solution_callback(self) -> None:
        n = sum(int(self.value(v)) for v in self._placed)
        self.events.append((time.perf_counter() - self._started, n))


def _at_most_one_at_a_time(
    model: cp_model.CpModel, items: Iterable[tuple[int, int, cp_model.LinearExprT]]
) -> None:
    """Items are (start, end, expr) on one day: at every start point, the sum is ≤ 1."""
    spans = list(items)
    for s, _, _ in spans:
        live = [e for a, b, e in spans if a <= s < b]
        if len(live) > 1:
            model.add(sum(live) <= 1)


def textbook_schedule(
    clinic: Clinic,
    time_limit_s: float,
    seed: int = 0,
    workers: int = 2,
    max_variables: int = 1_000_000,
    on_solution: Callable[[float, int], None] | None = None,
) -> TextbookResult:
    """Build and solve the textbook model; raises :class:`TooLarge` before building when
    the variable count exceeds ``max_variables``."""
    started = time.perf_counter()
    c = clinic
    cands = _candidates(c)
    n_vars = sum(cand.size for cand in cands)
    if n_vars > max_variables:
        raise TooLarge(n_vars, max_variables)

    m = cp_model.CpModel()
    patients = [p for p in c.patients if _in_plan(c, p)]
    placed = {p.id: m.new_bool_var(f"placed[{p.id}]") for p in patients}
    # x[(cand index, patient, room, therapist)], y[(cand index, room, therapist)]
    x: dict[tuple[int, str, str, str], cp_model.IntVar] = {}
    y: dict[tuple[int, str, str], cp_model.IntVar] = {}
    attend: dict[tuple[int, str], list[cp_model.IntVar]] = defaultdict(list)  # xp[c, p]
    t_items: dict[tuple[str, int, Weekday], list[tuple[int, int, cp_model.IntVar]]] = defaultdict(
        list
    )
    r_items: dict[tuple[str, int, Weekday], list[tuple[int, int, cp_model.IntVar]]] = defaultdict(
        list
    )
    t_minutes_week: dict[tuple[str, int], list[tuple[int, cp_model.IntVar]]] = defaultdict(list)
    t_minutes_day: dict[tuple[str, int, Weekday], list[tuple[int, cp_model.IntVar]]] = defaultdict(
        list
    )
    t_site_day: dict[tuple[str, int, Weekday, str], list[cp_model.IntVar]] = defaultdict(list)

    for ci, cand in enumerate(cands):
        w = session_window(cand.block, cand.kind)
        held = []
        for room, tid in cand.pairs:
            yv = m.new_bool_var(f"y[{ci},{room.id},{tid}]")
            y[(ci, room.id, tid)] = yv
            held.append(yv)
            members = []
            for p in cand.patients:
                if room.virtual and not p.telehealth_ok:
                    continue  # G2: a virtual room only for telehealth patients
                xv = m.new_bool_var(f"x[{ci},{p.id},{room.id},{tid}]")
                x[(ci, p.id, room.id, tid)] = xv
                attend[(ci, p.id)].append(xv)
                members.append(xv)
            # G1/G2: size within limits when held; no patient in a session not held.
            m.add(sum(members) <= _group_cap(cand.kind, room) * yv)
            m.add(sum(members) >= cand.kind.min_size * yv)
            day = (cand.week, cand.block.weekday)
            t_items[(tid, *day)].append((w.start, w.end, yv))
            r_items[(room.id, *day)].append((w.start, w.end, yv))
            t_minutes_week[(tid, cand.week)].append((cand.kind.duration_min, yv))
            t_minutes_day[(tid, *day)].append((cand.kind.duration_min, yv))
            t_site_day[(tid, *day, cand.block.site)].append(yv)
        m.add_at_most_one(held)
        if cand.kind.is_group and len(cand.patients) > 1:
            _separation(m, ci, cand, attend)

    # T1 for staff and rooms; G5 hours; T6 one site per therapist per date.
    for items in (*t_items.values(), *r_items.values()):
        _at_most_one_at_a_time(m, items)
    for (tid, _), terms in t_minutes_week.items():
        cap = int(c.therapist_by_id[tid].max_hours_week * 60)
        m.add(sum(mins * v for mins, v in terms) <= cap)
    for (tid, _, _), terms in t_minutes_day.items():
        cap = int(c.therapist_by_id[tid].max_hours_day * 60)
        m.add(sum(mins * v for mins, v in terms) <= cap)
    sites_by_day: dict[tuple[str, int, Weekday], list[list[cp_model.IntVar]]] = defaultdict(list)
    for (tid, wk, d, _), ys in t_site_day.items():
        sites_by_day[(tid, wk, d)].append(ys)
    for per_site in sites_by_day.values():
        if len(per_site) > 1:
            used = [m.new_bool_var("site_used") for _ in per_site]
            for u, ys in zip(used, per_site, strict=True):
                for yv in ys:
                    m.add_implication(yv, u)
            m.add_at_most_one(used)

    # G6 caseload.
    by_primary: dict[str, list[cp_model.IntVar]] = defaultdict(list)
    for p in patients:
        by_primary[p.primary_therapist].append(placed[p.id])
    for tid, vs in by_primary.items():
        m.add(sum(vs) <= c.therapist_by_id[tid].caseload_cap)

    # Each patient's week.
    by_patient: dict[str, list[tuple[int, _Candidate, cp_model.LinearExprT]]] = defaultdict(list)
    for (ci, pid), xs in attend.items():
        expr = sum(xs)
        by_patient[pid].append((ci, cands[ci], expr))
        for xv in xs:
            m.add_implication(xv, placed[pid])  # P1: only placed patients attend
    for p in patients:
        _patient_week(m, c, p, by_patient.get(p.id, []), placed[p.id])

    m.maximize(sum(placed.values()))
    build_s = time.perf_counter() - started

    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.1, time_limit_s)
    solver.parameters.num_workers = workers
    solver.parameters.random_seed = seed
    cb = _Progress(list(placed.values()), started)
    status = solver.solve(m, cb)
    solve_s = time.perf_counter() - started - build_s
    if on_solution is not None:
        for t, n in cb.events:
            on_solution(t, n)
    name = solver.status_name(status)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return TextbookResult(None, name, len(x), build_s, solve_s, cb.events)

    sessions = []
    counter: dict[tuple[int, str, str], int] = defaultdict(int)
    for (ci, room_id, tid), yv in y.items():
        if not solver.boolean_value(yv):
            continue
        cand = cands[ci]
        attendees = tuple(
            p.id
            for p in cand.patients
            if (v := x.get((ci, p.id, room_id, tid))) is not None and solver.boolean_value(v)
        )
        key = (cand.week, cand.block.id, cand.kind.id)
        counter[key] += 1
        n = counter[key]
        sessions.append(
            Session.numbered(cand.week, cand.block.id, cand.kind.id, n, room_id, (tid,), attendees)
        )
    placed_ids = {p.id for p in patients if solver.boolean_value(placed[p.id])}
    unplaced = tuple(
        Unplaced(p.id, "not placed by the textbook model")
        for p in patients
        if p.id not in placed_ids
    )
    first = cb.events[0][0] if cb.events else None
    stats = SolveStats(
        status=name,
        objective=solver.objective_value,
        best_bound=solver.best_objective_bound,
        wall_time_s=build_s + solve_s,
        seed=seed,
        workers=workers,
        time_limit_s=time_limit_s,
        terms={"placed": float(len(placed_ids))},
        first_solution_s=first,
    )
    schedule = Schedule(
        week_start=c.settings.week_start,
        weeks=c.settings.weeks,
        sessions=tuple(sessions),
        unplaced=unplaced,
        stats=stats,
        starting_later=tuple(p.id for p in c.patients if _in_horizon(c, p) and starts_later(c, p)),
    )
    # Topics (RULES.md C1, C2) are given after any solve the same way, baselines included.
    schedule = assign_topics(c, schedule, ())
    return TextbookResult(schedule, name, len(x), build_s, solve_s, cb.events)


def _separation(
    m: cp_model.CpModel,
    ci: int,
    cand: _Candidate,
    attend: dict[tuple[int, str], list[cp_model.IntVar]],
) -> None:
    """S1 one track per session; S2 one sex in a single-sex session (S3 is filtered)."""
    tracks = {p.track for p in cand.patients}
    if len(tracks) > 1:
        adult = m.new_bool_var(f"adult[{ci}]")
        for p in cand.patients:
            for xv in attend.get((ci, p.id), []):
                m.add_implication(xv, adult if p.track is Track.ADULT else ~adult)
    sexes = sorted({p.sex for p in cand.patients})
    if cand.kind.single_sex and len(sexes) > 1:
        chosen = {s: m.new_bool_var(f"sex[{ci},{s}]") for s in sexes}
        m.add_at_most_one(chosen.values())
        for p in cand.patients:
            for xv in attend.get((ci, p.id), []):
                m.add_implication(xv, chosen[p.sex])


def _patient_week(
    m: cp_model.CpModel,
    c: Clinic,
    p: Patient,
    options: list[tuple[int, _Candidate, cp_model.LinearExprT]],
    placed: cp_model.IntVar,
) -> None:
    """T1 for the patient, and W1–W5 for every week the patient is in treatment."""
    if not options:
        m.add(placed == 0)
        return
    m.add(sum(e for _, _, e in options) >= placed)  # placed means attends something
    by_day: dict[tuple[int, Weekday], list[tuple[int, int, cp_model.LinearExprT]]] = defaultdict(
        list
    )
    for _, cand, expr in options:
        w = session_window(cand.block, cand.kind)
        by_day[(cand.week, cand.block.weekday)].append((w.start, w.end, expr))
    for items in by_day.values():
        _at_most_one_at_a_time(m, items)

    for week in range(c.settings.weeks):
        dates = c.settings.week_dates(week)
        if not any(p.in_treatment(d) for d in dates):
            continue
        mine = [(cand, e) for _, cand, e in options if cand.week == week]
        for item in c.curriculum_for(p.track):
            kind = c.session_type_by_id[item.session_type]
            if kind.kind is SessionKind.FAMILY:
                continue  # family follows the cadence (W5)
            if kind.kind is SessionKind.INDIVIDUAL and not individual_slots(c, p, kind, week):
                continue  # W4 waived
            got = [e for cand, e in mine if cand.kind.id == kind.id]
            # W1: pro rata in a week of admission or discharge.
            m.add(sum(got) >= required_sessions(c, p, item, week) * placed)
            if not (kind.is_group and kind.max_size > 1):
                m.add(sum(got) <= item.per_week)  # only groups may be added beyond it
        minutes = sum(
            cand.kind.duration_min * e for cand, e in mine if cand.kind.counts_toward_hours
        )
        # W2/W3 (W7's band in a step-down week); the minimums bind in a whole week only.
        wh = week_hours(c, p, week)
        m.add(minutes <= int(wh.max_hours * 60))
        days_used = []
        for d in Weekday:
            groups = [e for cand, e in mine if cand.kind.is_group and cand.block.weekday == d]
            if not groups:
                continue
            m.add(sum(groups) <= c.settings.max_group_blocks_per_day)
            used = m.new_bool_var(f"day[{p.id},{week},{d.name}]")
            m.add(used <= sum(groups))
            days_used.append(used)
        if wh.whole:
            m.add(minutes >= math.ceil(wh.min_hours * 60) * placed)
            m.add(sum(days_used) >= wh.min_days * placed)
        if p.family_due(dates[0]):
            fam_kinds = [
                k for k in c.session_types if k.kind is SessionKind.FAMILY and p.track in k.tracks
            ]
            if any(family_slots(c, p, k, week) for k in fam_kinds):
                fam = [e for cand, e in mine if cand.kind.kind is SessionKind.FAMILY]
                m.add(sum(fam) == placed)  # W5: one family session when due
