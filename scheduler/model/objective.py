"""The two objectives: placement (lexicographic by priority) and quality (named terms).

Placement (RULES.md P3) is minimised first, on its own: each unplaced patient costs the
weight of their priority level (:func:`priority_levels`), and each level's weight exceeds
everything all lower levels together can cost, so the optimum places the most continuing
patients, then the most new admissions of the earliest date, and so on. One weighted sum
rather than one solve per level: the levels share one search and one proof. When the
exact weights would pass :data:`LEXICOGRAPHIC_LIMIT` (thousands of patients over many
admission dates), adjacent admission dates of one class share a level; the repair step
(:mod:`scheduler.model.repair`) and the probe still rule out one-for-one inversions there.

Quality is minimised second, with the placement held: named soft goals, each a linear
term that enters only when its weight is non-zero, each value reported by name
(SolveStats.terms). It is minimised in integer *points*: a counted term costs
``weight * K`` points per unit and an hour term ``weight`` points per ``g`` minutes, where
``g`` is the greatest common divisor of 60 and every session duration and ``K = 60 / g``.
Reported objective values are points / K, the weighted sum of the terms in their units.

Real groups (issue 10 item 6). Two terms, per class-block (week, block, type, patient
class) with ``G`` groups open and ``n`` attendees:

- ``small_groups``: seats short of the type's target size (``SessionType.target_size``,
  default 4), ``target * G - min(n, R, R_phys + online)`` where ``R`` sums each open
  room's reach ``min(target, its range top)``; a 2-seat office's group is always 2 short.
  It is the fewest seats short any split of the attendees can leave, and the extraction
  (:mod:`scheduler.model.extract`) splits to exactly that, so the value is the schedule's.
- ``parallel_groups``: groups beyond ``ceil(n / H)``, the fewest rooms that could seat the
  attendees with one leader each (``H``: the largest solo range top).

Both are lower bounds on auxiliary integers that the minimisation pulls down to the value.
Phase one's model holds them too; written so that presolve drops them there, they leave
placement as it was (ladder S and M, 10 s: the same placements per priority class as
without the terms). Written as equalities (max/min of the expressions), they cut phase
one's placement on a 30-patient tight clinic (generate_clinic(30, seed=1, tight=True),
5 s) from 21 to 16-18; pricing ``H`` by the open rooms only (big-M bounds) left two
insertable patients there. The price of bounds: when phase two stops early its schedule
can keep phase one's values, which overstate (ladder S-tight, 10 s: parallel_groups read
13 with no class-block holding two groups; small_groups' 16 was the schedule's own), as
continuity's already do.

Weights: ``small_groups`` 3 per seat, ``parallel_groups`` 4 per group. Folding a group of 2
into a parallel group that one room and leader could hold saves 2 (groups_opened) + 6 +
4 = 12 points, more than its two patients' continuity (2 x 5): five parallel groups of
2, 2, 3, 2 and 2 become two. Placement is optimised first, on its own, so no weight here
costs a patient their place.

Measured (2 workers, seed 0, this 2-core machine under other load), groups as size:count:

- Sample clinic (``iop-scheduler solve data/sample_clinic.xlsx --time-limit 30``), 56 of
  56 placed before and after. Before: 29 groups, 2:10 3:2 4:2 5:4 6:3 7:2 9:1 10:5; 12
  below 4 (22 seats short), 5 in 2-seat offices, one block with two parallel groups of 2.
  After: 26 groups, 2:2 3:2 4:8 5:1 6:3 7:2 8:1 9:4 10:2 11:1; 4 below 4 (6 seats short,
  as reported), 1 in a 2-seat office, none parallel. Other runs while tuning gave 4-7
  below 4 (6-12 seats); phase two's result moves with any change to the model.
- Ladder (``python -m benchmarks.run --sizes S,M --methods cp-sat``, 10 s), groups below
  4 of all groups, before -> after: S-tight 11/18 -> 10/19, S-loose 5/14 -> 7/16,
  M-tight 13/35 -> 8/33, M-loose 13/42 -> 11/42. Placement unchanged. At 10 s phase two
  barely improves phase one's schedule on these rungs (M's reported objective is mostly
  unminimised slack), so the terms have little room to act there.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from ortools.sat.python import cp_model

from scheduler import rules
from scheduler.domain import Weekday
from scheduler.model.constraints import patient_sessions, therapist_sessions
from scheduler.model.instance import ClassBlock, Instance
from scheduler.model.options import Weights
from scheduler.model.variables import Lit, Variables

EVENING_FROM = rules.EVENING_FROM


@dataclass
class Term:
    """One named goal: ``expr`` in units; its value is ``expr / divisor``."""

    name: str
    expr: cp_model.LinearExprT
    divisor: int  # 1 for counted terms, K for hour terms (expr counts g-minute units)


#: Largest total placement weight with one level per admission date; above it dates merge.
LEXICOGRAPHIC_LIMIT = 2**40


@dataclass
class Objective:
    terms: list[Term]
    scale: int  # K: quality points per unit of the reported objective
    placement: cp_model.LinearExprT  # placement points: unmet locks, unplaced patients
    total: cp_model.LinearExprT  # quality points of every quality term
    lock_weight: int = 1  # placement points of one unmet lock (RULES.md L1)


def unit_minutes(inst: Instance) -> int:
    g = 60
    for st in inst.clinic.session_types:
        g = math.gcd(g, st.duration_min)
    return g


def add_objective(
    model: cp_model.CpModel, inst: Instance, v: Variables, weights: Weights
) -> Objective:
    """Build every term with a non-zero weight; the caller chooses what to minimise."""
    g = unit_minutes(inst)
    k = 60 // g
    terms: list[Term] = []
    w = weights.as_dict()
    builders: dict[str, Callable[[], cp_model.LinearExprT]] = {
        "continuity": lambda: _continuity(model, inst, v),
        "cohort": lambda: _cohort(model, inst, v),
        "spread": lambda: _spread(model, inst, v),
        "preference": lambda: _preference(inst, v),
        "load_balance": lambda: _load_balance(model, inst, v, g),
        "evening_saturday": lambda: _evening_saturday(inst, v, g),
        "groups_opened": lambda: sum(v.room.values()),
        "small_groups": lambda: _small_groups(model, inst, v),
        "parallel_groups": lambda: _parallel_groups(model, inst, v),
    }
    hour_terms = {"load_balance", "evening_saturday"}
    objective: list[cp_model.LinearExprT] = []
    for name, build in builders.items():
        if w[name] == 0:
            continue
        expr = build()
        hours = name in hour_terms
        terms.append(Term(name, expr, k if hours else 1))
        objective.append((w[name] if hours else w[name] * k) * expr)
    costs = patient_costs(inst)
    # A lock is the coordinator's instruction: it outweighs every placement together, so a
    # lock is dropped only when it cannot hold, never to place a patient (RULES.md L1).
    lock_weight = lock_cost(costs)
    placement = sum(c * (1 - v.placed[pid]) for pid, c in costs.items()) + sum(
        lock_weight * (1 - lit) for lit in v.lock_ok.values()
    )
    return Objective(terms, k, placement, sum(objective), lock_weight)


def lock_cost(costs: dict[str, int]) -> int:
    """Placement points of one unmet lock: more than every patient unplaced together."""
    return sum(costs.values()) + 1


def _continuity(model: cp_model.CpModel, inst: Instance, v: Variables) -> cp_model.LinearExprT:
    """Placed patients whose primary therapist leads none of their groups.

    ``with_primary[p, act]`` says the patient is in the group their primary therapist leads
    in that class-block; the number of such patients per group is capped by the largest
    room so that the extraction can seat them together.
    """
    missed = []
    per_lead: dict[tuple[tuple[int, str, str, str], str], list[Lit]] = defaultdict(list)
    for pid, info in inst.patients.items():
        t = info.patient.primary_therapist
        links = []
        for act, cls in info.group_acts:
            lead = v.lead.get(((*act, cls), t))
            if lead is None:
                continue
            y = model.new_bool_var(f"with_primary[{pid},{act}]")
            model.add_implication(y, v.attend[(pid, act)])
            model.add_implication(y, lead)
            links.append(y)
            per_lead[((*act, cls), t)].append(y)
        if not links:
            continue  # the primary therapist can lead none of the patient's options
        cont = model.new_bool_var(f"continuity[{pid}]")
        model.add_bool_or(links).only_enforce_if(cont)
        model.add_implication(cont, v.placed[pid])
        missed.append(v.placed[pid] - cont)
    for (key, _), ys in per_lead.items():
        cb = inst.class_blocks[key]
        biggest = max(max(r for r in (o.solo, o.co) if r is not None)[1] for o in cb.rooms)
        if len(ys) > biggest:
            model.add(sum(ys) <= biggest)
    return sum(missed)


def _members(inst: Instance, v: Variables, cb: ClassBlock) -> list[tuple[bool, Lit]]:
    """Each possible attendee of a class-block: (telehealth consent, attends)."""
    act = cb.key[:3]
    return [
        (inst.patients[pid].patient.telehealth_ok, v.attend[(pid, act)])
        for pid in cb.members
        if (pid, act) in v.attend
    ]


def _small_groups(model: cp_model.CpModel, inst: Instance, v: Variables) -> cp_model.LinearExprT:
    """Seats short of the target size (``SessionType.target_size``), summed over groups.

    Per class-block with ``G`` groups open and ``n`` attendees, a group in a room whose
    range tops out at ``h`` can reach ``min(target, h)``; ``R`` sums that over the open
    rooms (``R_phys`` over the physical ones). The fewest seats short any split can leave
    is ``target * G - min(n, R, R_phys + online)`` (a max-flow bound: offline patients sit
    only in physical rooms); the extraction (:mod:`scheduler.model.extract`) splits the
    attendees to reach exactly that, so the value reported is the schedule's own.
    """
    out = []
    for key, cb in inst.class_blocks.items():
        target = inst.types[key[2]].target_size
        reach: list[cp_model.LinearExprT] = []
        reach_phys: list[cp_model.LinearExprT] = []
        opened: list[Lit] = []
        always_full = True
        for opt in cb.rooms:
            u = v.room[(key, opt.room)]
            co = v.co.get((key, opt.room))
            opened.append(u)
            expr = _reach(target, u, co, opt.solo, opt.co)
            always_full = always_full and min(r[0] for r in (opt.solo, opt.co) if r) >= target
            (reach if opt.virtual else reach_phys).append(expr)
        if always_full:
            continue  # every group that can open holds at least the target
        members = _members(inst, v, cb)
        n = sum(var for _, var in members)
        online = sum(var for tele, var in members if tele)
        seats = target * sum(opened)
        phys = cp_model.LinearExpr.sum(reach_phys)
        short = model.new_int_var(0, target * len(opened), f"small_groups[{key}]")
        # Lower bounds, not an equality: phase one's model holds these too, and there,
        # bounds that presolve drops cost nothing while an equality (max of the three) cut
        # placement on a 30-patient tight clinic from 21 to 16 (5 s, seed 0).
        model.add(short >= seats - n)
        model.add(short >= seats - cp_model.LinearExpr.sum(reach) - phys)
        model.add(short >= seats - phys - online)
        out.append(short)
    return sum(out)


def _reach(
    target: int,
    u: Lit,
    co: Lit | None,
    solo: tuple[int, int] | None,
    co_range: tuple[int, int] | None,
) -> cp_model.LinearExprT:
    """How far towards ``target`` one room's group can fill: its range's top, at most the
    target, for the range in use (co-led when ``co``; constraints tie ``co`` to ``u``)."""
    if solo is None:
        assert co_range is not None
        return min(target, co_range[1]) * u
    reach_solo = min(target, solo[1])
    if co is None or co_range is None:
        return reach_solo * u
    return reach_solo * u + (min(target, co_range[1]) - reach_solo) * co


def _parallel_groups(model: cp_model.CpModel, inst: Instance, v: Variables) -> cp_model.LinearExprT:
    """Groups beyond the fewest that could seat a class-block's attendees, one leader each.

    With ``G`` groups open and ``n`` attendees the value is ``G - min(G, ceil(n / H))`` at
    the optimum (the groups credited are bounded by ``H * credit <= n + H - 1``). ``H`` is
    the largest one-leader (solo) range top among the rooms, physical rooms only when some
    possible attendee lacks telehealth consent (the largest range when no room has a solo
    one). A co-led group needs the same two therapists as two solo groups, so only solo
    ranges count: groups of 6 and 5 in place of one co-led 11 are not priced.
    """
    out = []
    for key, cb in inst.class_blocks.items():
        if len(cb.rooms) < 2:
            continue  # one room: never two groups
        members = _members(inst, v, cb)
        rooms = cb.rooms
        if not all(tele for tele, _ in members) and any(not o.virtual for o in rooms):
            rooms = [o for o in rooms if not o.virtual]
        tops = [o.solo[1] for o in rooms if o.solo is not None]
        top = max(tops or [o.co[1] for o in rooms if o.co is not None])
        opened = sum(v.room[(key, o.room)] for o in cb.rooms)
        n = sum(var for _, var in members)
        # Bounds only, as in _small_groups: ``credit <= ceil(n / H)`` and ``<= G``. ``extra``
        # may reach every room, so that in phase one presolve can drop all three (with
        # ``len(rooms) - 1`` as its top it kept them, and ladder S-tight's phase one placed
        # 26 continuing patients and 1 new one instead of 27 and 0).
        credit = model.new_int_var(0, len(cb.rooms), f"credited_groups[{key}]")
        model.add(top * credit <= n + top - 1)
        model.add(credit <= opened)
        extra = model.new_int_var(0, len(cb.rooms), f"parallel_groups[{key}]")
        model.add(extra >= opened - credit)
        out.append(extra)
    return sum(out)


def _group_starts(inst: Instance, v: Variables, pid: str) -> dict[int, list[Lit]]:
    out: dict[int, list[Lit]] = defaultdict(list)
    for act, _ in inst.patients[pid].group_acts:
        out[inst.windows[act].start].append(v.attend[(pid, act)])
    return out


def _cohort(model: cp_model.CpModel, inst: Instance, v: Variables) -> cp_model.LinearExprT:
    """Extra times of day a patient's groups start at: patients who keep one time of day
    meet the same peers all week (the extraction also keeps them in the same group)."""
    extras = []
    for pid in inst.patients:
        starts = _group_starts(inst, v, pid)
        if len(starts) < 2:
            continue
        used = []
        for start, lits in sorted(starts.items()):
            d = model.new_bool_var(f"start[{pid},{start}]")
            for var in lits:
                model.add_implication(var, d)
            used.append(d)
        extra = model.new_int_var(0, len(used) - 1, f"cohort[{pid}]")
        model.add(extra >= sum(used) - 1)
        extras.append(extra)
    return sum(extras)


def _spread(model: cp_model.CpModel, inst: Instance, v: Variables) -> cp_model.LinearExprT:
    """Pairs of consecutive days with group sessions."""
    pairs = []
    for (pid, w, d), day in v.day.items():
        nxt = v.day.get((pid, w, d + 1))
        if nxt is None or d + 1 > int(Weekday.SUN):
            continue
        both = model.new_bool_var(f"consecutive[{pid},{w},{d}]")
        model.add_bool_or([day.Not(), nxt.Not(), both])
        pairs.append(both)
    return sum(pairs)


def _preference(inst: Instance, v: Variables) -> cp_model.LinearExprT:
    """Sessions starting outside the patient's preferred time of day."""
    out = []
    for pid, info in inst.patients.items():
        pref = info.patient.preference
        for act, var in patient_sessions(inst, v, pid):
            if not pref.accepts(inst.windows[act].start):
                out.append(var)
    return sum(out)


def _load_balance(
    model: cp_model.CpModel, inst: Instance, v: Variables, g: int
) -> cp_model.LinearExprT:
    """The busiest therapist's hours, per week."""
    by_week: dict[int, dict[str, list[tuple[int, Lit]]]] = defaultdict(lambda: defaultdict(list))
    for t, acts in therapist_sessions(inst, v).items():
        for act, var in acts:
            by_week[act[0]][t].append((inst.types[act[2]].duration_min // g, var))
    peaks = []
    for w, per_t in sorted(by_week.items()):
        top = max(sum(u for u, _ in units) for units in per_t.values())
        peak = model.new_int_var(0, top, f"peak_load[{w}]")
        for units in per_t.values():
            model.add(peak >= sum(u * var for u, var in units))
        peaks.append(peak)
    return sum(peaks)


def _evening_saturday(inst: Instance, v: Variables, g: int) -> cp_model.LinearExprT:
    """Staff time in sessions starting from 17:00 or on a weekend."""
    out = []
    for items in therapist_sessions(inst, v).values():
        for act, var in items:
            win = inst.windows[act]
            if win.start >= EVENING_FROM or win.weekday >= Weekday.SAT:
                out.append((inst.types[act[2]].duration_min // g) * var)
    return sum(out)


def priority_levels(inst: Instance) -> list[list[str]]:
    """The patients in placement levels, highest priority first (RULES.md P3): one level per
    distinct :func:`scheduler.rules.priority_key`, unless the exact weights would pass
    :data:`LEXICOGRAPHIC_LIMIT`; then each class's dates are cut into fewer runs of adjacent
    dates (continuing and new admissions never share a level)."""
    clinic = inst.clinic
    keys = {pid: rules.priority_key(clinic, info.patient) for pid, info in inst.patients.items()}
    ordered = sorted(inst.patients, key=lambda pid: (keys[pid], pid))
    runs = len(set(keys.values()))
    while True:
        levels = _cut(ordered, keys, runs)
        if runs <= 1 or math.prod(len(lv) + 1 for lv in levels) <= LEXICOGRAPHIC_LIMIT:
            return levels
        runs -= 1


def _cut(ordered: list[str], keys: dict[str, tuple[int, dt.date]], runs: int) -> list[list[str]]:
    """Each class (continuing, new) in at most ``runs`` levels of whole admission dates, of
    about equal size; never two classes in one level."""
    classes: dict[int, list[str]] = defaultdict(list)
    for pid in ordered:
        classes[keys[pid][0]].append(pid)
    levels: list[list[str]] = []
    for members in classes.values():
        dates = sorted({keys[p] for p in members})
        target = 0.0 if len(dates) <= runs else len(members) / runs  # 0: a level a date
        cut: list[list[str]] = [[]]
        for date in dates:
            if cut[-1] and len(cut[-1]) >= target:
                cut.append([])
            cut[-1] += [p for p in members if keys[p] == date]
        levels.extend(cut)
    return levels


def patient_costs(inst: Instance) -> dict[str, int]:
    """Each patient's placement points when unplaced: the weight of their level, one more
    than every lower level's patients together weigh (lexicographic, module docstring)."""
    out: dict[str, int] = {}
    below = 0
    for level in reversed(priority_levels(inst)):
        weight = below + 1
        for pid in level:
            out[pid] = weight
        below += weight * len(level)
    return out


def placed_bound(costs: dict[str, int], bound_points: float) -> int:
    """A proven upper bound on how many patients can be placed, from a proven lower bound
    on phase one's points: the unplaced patients' points sum to at least the bound, so at
    least as many patients stay unplaced as the most expensive ones needed to reach it."""
    need = bound_points - 1e-6
    unplaced = 0
    for c in sorted(costs.values(), reverse=True):
        if need <= 0:
            break
        if c <= 0:
            return len(costs)  # zero-cost patients: the bound says nothing about them
        need -= c
        unplaced += 1
    return len(costs) - unplaced


def staff_time_terms(
    model: cp_model.CpModel, inst: Instance, v: Variables
) -> dict[str, cp_model.LinearExprT]:
    """The hour terms over any variables with the model's shape (the relaxation's too,
    :func:`scheduler.model.bound.quality_floor`), in g-minute units as in the objective."""
    g = unit_minutes(inst)
    return {
        "load_balance": _load_balance(model, inst, v, g),
        "evening_saturday": _evening_saturday(inst, v, g),
    }
