"""Named soft goals, each a linear term; a term enters the objective only when its weight
is non-zero, and every term's value is reported by name (SolveStats.terms).

The objective is minimised in integer *points*: a counted term costs ``weight * K`` points
per unit and an hour term ``weight`` points per ``g`` minutes, where ``g`` is the greatest
common divisor of 60 and every session duration and ``K = 60 / g``. Reported objective
values are points / K, i.e. the weighted sum of the terms in their natural units.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from ortools.sat.python import cp_model

from scheduler.domain import Weekday
from scheduler.model.constraints import patient_sessions, therapist_sessions
from scheduler.model.instance import Instance
from scheduler.model.options import Weights
from scheduler.model.variables import Lit, Variables

EVENING_FROM = 17 * 60


@dataclass
class Term:
    """One named goal: ``expr`` in units; its value is ``expr / divisor``."""

    name: str
    expr: cp_model.LinearExprT
    divisor: int  # 1 for counted terms, K for hour terms (expr counts g-minute units)


#: The placement terms, optimised first (see scheduler.model.solve).
PLACEMENT = ("unplaced_continuing", "unplaced_new", "admission_order")


@dataclass
class Objective:
    terms: list[Term]
    scale: int  # K: objective points per unit of the reported objective
    placement: cp_model.LinearExprT  # points of the placement terms
    total: cp_model.LinearExprT  # points of every term


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
        "unplaced_continuing": lambda: _unplaced(inst, v, continuing=True),
        "unplaced_new": lambda: _unplaced(inst, v, continuing=False),
        "admission_order": lambda: _admission_order(inst, v),
        "continuity": lambda: _continuity(model, inst, v),
        "cohort": lambda: _cohort(model, inst, v),
        "spread": lambda: _spread(model, inst, v),
        "preference": lambda: _preference(inst, v),
        "load_balance": lambda: _load_balance(model, inst, v, g),
        "evening_saturday": lambda: _evening_saturday(inst, v, g),
        "groups_opened": lambda: sum(v.room.values()),
    }
    hour_terms = {"load_balance", "evening_saturday"}
    objective: list[cp_model.LinearExprT] = []
    placement: list[cp_model.LinearExprT] = []
    for name, build in builders.items():
        if w[name] == 0:
            continue
        expr = build()
        hours = name in hour_terms
        terms.append(Term(name, expr, k if hours else 1))
        points = (w[name] if hours else w[name] * k) * expr
        objective.append(points)
        if name in PLACEMENT:
            placement.append(points)
    return Objective(terms, k, sum(placement), sum(objective))


def _unplaced(inst: Instance, v: Variables, continuing: bool) -> cp_model.LinearExprT:
    ids = [pid for pid, info in inst.patients.items() if info.continuing is continuing]
    return len(ids) - sum(v.placed[pid] for pid in ids)


def _admission_order(inst: Instance, v: Variables) -> cp_model.LinearExprT:
    return sum(info.tier * (1 - v.placed[pid]) for pid, info in inst.patients.items() if info.tier)


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


def patient_costs(inst: Instance, weights: Weights) -> dict[str, int]:
    """Each patient's phase-one points when unplaced (the placement terms' weights)."""
    k = 60 // unit_minutes(inst)
    out = {}
    for pid, info in inst.patients.items():
        w = weights.unplaced_continuing if info.continuing else weights.unplaced_new
        out[pid] = k * (w + weights.admission_order * info.tier)
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
