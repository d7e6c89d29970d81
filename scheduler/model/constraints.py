"""The hard rules of docs/RULES.md as CP-SAT constraints, one function per rule family.

Rules decided by the data alone are applied while the options are precomputed
(:mod:`scheduler.model.instance`): P2, T2, T3, T4, T5, T6 (sites), T7, G2 (features), G3,
S1, S2, S3 and S4 leave an option out rather than constrain it. The functions here enforce
the rest. ``inst.off`` (tests only) drops a rule.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable

from ortools.sat.python import cp_model

from scheduler.domain import SessionKind, SessionType
from scheduler.model.instance import SINGLE_KINDS, Act, GKey, Instance, PatientWeek
from scheduler.model.locks import pins
from scheduler.model.variables import Lit, Variables

Model = cp_model.CpModel


def add_all(model: Model, inst: Instance, v: Variables) -> None:
    add_p1_placement(model, inst, v)
    link_group_days(model, inst, v)
    if "W1" not in inst.off:
        add_w1_curriculum(model, inst, v)
    add_w4_w5_w6_single_sessions(model, inst, v)
    add_w2_w3_w7_hours(model, inst, v)
    if "W3" not in inst.off:
        add_w3_day_cap(model, inst, v)
    add_g1_g2_g4_groups(model, inst, v)
    if "T1" not in inst.off:
        add_t1_no_double_booking(model, inst, v)
    if "T6" not in inst.off:
        add_t6_one_site_per_day(model, inst, v)
    if "G5" not in inst.off:
        add_g5_therapist_hours(model, inst, v)
    if "G6" not in inst.off:
        add_g6_caseload(model, inst, v)
    add_l1_locks(model, inst, v)


# ------------------------------------------------------------------------------ helpers


def patient_sessions(inst: Instance, v: Variables, pid: str) -> list[tuple[Act, Lit]]:
    info = inst.patients[pid]
    out = [(act, v.attend[(pid, act)]) for act, _ in info.group_acts]
    out += [(act, v.single[(pid, act)]) for act in info.single_acts]
    return out


def therapist_sessions(inst: Instance, v: Variables) -> dict[str, list[tuple[Act, Lit]]]:
    out: dict[str, list[tuple[Act, Lit]]] = defaultdict(list)
    for (key, t), var in v.lead.items():
        out[t].append((key[:3], var))
    for (act, t), var in v.slead.items():
        out[t].append((act, var))
    for (pid, act), var in v.single.items():
        if inst.types[act[2]].kind is SessionKind.INDIVIDUAL:
            out[inst.patients[pid].patient.primary_therapist].append((act, var))
    return out


def room_sessions(v: Variables) -> dict[str, list[tuple[Act, Lit]]]:
    out: dict[str, list[tuple[Act, Lit]]] = defaultdict(list)
    for (key, r), var in v.room.items():
        out[r].append((key[:3], var))
    for (act, r), var in v.sroom.items():
        out[r].append((act, var))
    return out


def _at_most_one_at_a_time(model: Model, inst: Instance, items: Iterable[tuple[Act, Lit]]) -> None:
    buckets: dict[int, list[Lit]] = defaultdict(list)
    for act, var in items:
        for ci in inst.cliques.get(act, ()):
            buckets[ci].append(var)
    seen: set[tuple[int, ...]] = set()
    for lits in buckets.values():
        sig = tuple(sorted(x.index for x in lits))
        if len(lits) > 1 and sig not in seen:
            seen.add(sig)
            model.add_at_most_one(lits)


def minutes(inst: Instance, act: Act) -> int:
    return inst.types[act[2]].duration_min


# ------------------------------------------------------------------------------ P1, W


def add_p1_placement(model: Model, inst: Instance, v: Variables) -> None:
    """P1: only a placed patient attends; a placed patient attends at least one session."""
    for pid in inst.patients:
        sessions = [var for _, var in patient_sessions(inst, v, pid)]
        placed = v.placed[pid]
        for var in sessions:
            model.add_implication(var, placed)
        if sessions:
            model.add_bool_or(sessions).only_enforce_if(placed)
        else:
            model.add(placed == 0)


def link_group_days(model: Model, inst: Instance, v: Variables) -> None:
    """day[p, w, weekday] is true exactly when the patient has a group-kind session then."""
    for pid in inst.patients:
        by_day: dict[tuple[int, int], list[Lit]] = defaultdict(list)
        for act, var in patient_sessions(inst, v, pid):
            if inst.types[act[2]].is_group:
                by_day[(act[0], int(inst.windows[act].weekday))].append(var)
        for (w, d), lits in by_day.items():
            day = model.new_bool_var(f"day[{pid},{w},{d}]")
            model.add_max_equality(day, lits)
            v.day[(pid, w, d)] = day


def add_w1_curriculum(model: Model, inst: Instance, v: Variables) -> None:
    """W1: every group item of the track at least ``per_week`` times a week when placed."""
    for pid, info in inst.patients.items():
        placed = v.placed[pid]
        for pw in info.weeks:
            for s_id, per_week in pw.group_items:
                lits = [
                    v.attend[(pid, act)]
                    for act, _ in info.group_acts
                    if act[0] == pw.week and act[2] == s_id
                ]
                model.add(sum(lits) >= per_week * placed)


def add_w4_w5_w6_single_sessions(model: Model, inst: Instance, v: Variables) -> None:
    """W4 (individual with the primary therapist, waived without a slot), W5 (one family
    session when due), assessments (W1), and W6: each single session holds one patient, so
    its room and therapist are counted one per session."""
    for pid, info in inst.patients.items():
        placed = v.placed[pid]
        for pw in info.weeks:
            for type_ids, count in pw.single_items:
                lits = [
                    v.single[(pid, act)]
                    for act in info.single_acts
                    if act[0] == pw.week and act[2] in type_ids
                ]
                model.add(sum(lits) == count * placed)
    by_act: dict[Act, list[tuple[str, Lit]]] = defaultdict(list)
    for (pid, act), var in v.single.items():
        by_act[act].append((pid, var))
    for act, members in by_act.items():
        slot = inst.singles[act]
        n = sum(var for _, var in members)
        rooms = [v.sroom[(act, r)] for r, _ in slot.rooms]
        physical = [v.sroom[(act, r)] for r, virtual in slot.rooms if not virtual]
        model.add(sum(rooms) == n)
        # G2: a patient without telehealth consent needs a physical room.
        offline = [var for pid, var in members if not inst.patients[pid].patient.telehealth_ok]
        if offline:
            model.add(sum(physical) >= sum(offline))
        if slot.kind is not SessionKind.INDIVIDUAL:
            model.add(sum(v.slead[(act, t)] for t in slot.leaders) == n)


def add_w2_w3_w7_hours(model: Model, inst: Instance, v: Variables) -> None:
    """W2 and W3's days minimum in a full-program week, W7 in a step-down week: weekly
    hours within the week's band (``rules.week_hours``), group days at least its minimum,
    each minimum only where it binds (a whole week in treatment)."""
    days_of: dict[tuple[str, int], list[Lit]] = defaultdict(list)
    for (pid, w, _), day in v.day.items():
        days_of[(pid, w)].append(day)
    for pid, info in inst.patients.items():
        for pw in info.weeks:
            step_down = pw.hours.step_down
            if ("W7" if step_down else "W2") not in inst.off:
                _hours(model, inst, v, pid, pw)
            if pw.hours.min_days > 0 and ("W7" if step_down else "W3") not in inst.off:
                days = days_of.get((pid, pw.week), [])
                model.add(sum(days) >= pw.hours.min_days * v.placed[pid])


def _hours(model: Model, inst: Instance, v: Variables, pid: str, pw: PatientWeek) -> None:
    terms = [
        minutes(inst, act) * var
        for act, var in patient_sessions(inst, v, pid)
        if act[0] == pw.week and inst.types[act[2]].counts_toward_hours
    ]
    total = sum(terms)
    model.add(total <= math.floor(pw.hours.max_hours * 60 + 1e-6))
    if pw.hours.min_hours > 0:
        model.add(total >= math.ceil(pw.hours.min_hours * 60 - 1e-6) * v.placed[pid])


def add_w3_day_cap(model: Model, inst: Instance, v: Variables) -> None:
    """W3: at most ``max_group_blocks_per_day`` group sessions a date."""
    cap = inst.clinic.settings.max_group_blocks_per_day
    for pid in inst.patients:
        by_day: dict[tuple[int, int], list[Lit]] = defaultdict(list)
        for act, var in patient_sessions(inst, v, pid):
            if inst.types[act[2]].is_group:
                by_day[(act[0], int(inst.windows[act].weekday))].append(var)
        for lits in by_day.values():
            if len(lits) > cap:
                model.add(sum(lits) <= cap)


# ------------------------------------------------------------------------------ G, T


def add_g1_g2_g4_groups(model: Model, inst: Instance, v: Variables) -> None:
    """G1 size, G2 room seats and telehealth, G4 co-facilitation, for each class-block.

    Each used room hosts one group; a group's size lies in the room's solo or co range.
    The attendance count must fit the sum of the ranges, the patients without telehealth
    consent the physical rooms' ranges, and the virtual rooms' minimums must be met by
    telehealth patients; these conditions are exactly what a split into groups needs.
    """
    for key, cb in inst.class_blocks.items():
        act: Act = key[:3]
        members = [(pid, v.attend[(pid, act)]) for pid in cb.members if (pid, act) in v.attend]
        n = sum(var for _, var in members)
        offline = sum(var for pid, var in members if not inst.patients[pid].patient.telehealth_ok)
        online = sum(var for pid, var in members if inst.patients[pid].patient.telehealth_ok)
        low_all: list[cp_model.LinearExprT] = []
        high_all: list[cp_model.LinearExprT] = []
        high_phys: list[cp_model.LinearExprT] = []
        low_virt: list[cp_model.LinearExprT] = []
        leaders_needed: list[cp_model.LinearExprT] = []
        for opt in cb.rooms:
            u = v.room[(key, opt.room)]
            co = v.co.get((key, opt.room))
            if co is not None:
                model.add_implication(co, u)
            if opt.solo is None:
                assert co is not None
                model.add(co == u)
                lo = opt.co[0] * u  # type: ignore[index]
                hi = opt.co[1] * u  # type: ignore[index]
            elif co is None:
                lo, hi = opt.solo[0] * u, opt.solo[1] * u
            else:
                assert opt.co is not None
                lo = opt.solo[0] * u + (opt.co[0] - opt.solo[0]) * co
                hi = opt.solo[1] * u + (opt.co[1] - opt.solo[1]) * co
            low_all.append(lo)
            high_all.append(hi)
            (low_virt if opt.virtual else high_phys).append(lo if opt.virtual else hi)
            leaders_needed.append(u + co if co is not None else u)
        model.add(n >= sum(low_all))
        model.add(n <= sum(high_all))
        model.add(offline <= sum(high_phys))
        if low_virt:
            model.add(online >= sum(low_virt))
        model.add(sum(v.lead[(key, t)] for t in cb.leaders) == sum(leaders_needed))
        # A class-block with patients has at least one room (tightens the relaxation).
        rooms = [v.room[(key, opt.room)] for opt in cb.rooms]
        for _, var in members:
            model.add_bool_or(rooms).only_enforce_if(var)


def add_t1_no_double_booking(model: Model, inst: Instance, v: Variables) -> None:
    """T1: no patient, therapist or room in two clashing sessions."""
    for pid in inst.patients:
        _at_most_one_at_a_time(model, inst, patient_sessions(inst, v, pid))
    for items in therapist_sessions(inst, v).values():
        _at_most_one_at_a_time(model, inst, items)
    for items in room_sessions(v).values():
        _at_most_one_at_a_time(model, inst, items)


def add_t6_one_site_per_day(model: Model, inst: Instance, v: Variables) -> None:
    """T6: a therapist with several sites works at one site per date."""
    by_t = therapist_sessions(inst, v)
    for t in inst.clinic.therapists:
        if len(t.sites) < 2:
            continue
        by_day: dict[tuple[int, int], dict[str, list[Lit]]] = defaultdict(lambda: defaultdict(list))
        for act, var in by_t.get(t.id, []):
            site = inst.blocks[act[1]].site
            by_day[(act[0], int(inst.windows[act].weekday))][site].append(var)
        for (w, d), sites in by_day.items():
            if len(sites) < 2:
                continue
            at = []
            for site, lits in sorted(sites.items()):
                here = model.new_bool_var(f"site[{t.id},{w},{d},{site}]")
                for var in lits:
                    model.add_implication(var, here)
                at.append(here)
            model.add_at_most_one(at)


def add_g5_therapist_hours(model: Model, inst: Instance, v: Variables) -> None:
    """G5: session hours per week and per date within the therapist's limits."""
    for t_id, items in therapist_sessions(inst, v).items():
        t = inst.clinic.therapist_by_id[t_id]
        week_cap = math.floor(t.max_hours_week * 60 + 1e-6)
        day_cap = math.floor(t.max_hours_day * 60 + 1e-6)
        by_week: dict[int, list[tuple[int, Lit]]] = defaultdict(list)
        by_day: dict[tuple[int, int], list[tuple[int, Lit]]] = defaultdict(list)
        for act, var in items:
            by_week[act[0]].append((minutes(inst, act), var))
            by_day[(act[0], int(inst.windows[act].weekday))].append((minutes(inst, act), var))
        for terms in by_week.values():
            if sum(m for m, _ in terms) > week_cap:
                model.add(sum(m * var for m, var in terms) <= week_cap)
        for terms in by_day.values():
            if sum(m for m, _ in terms) > day_cap:
                model.add(sum(m * var for m, var in terms) <= day_cap)


def add_g6_caseload(model: Model, inst: Instance, v: Variables) -> None:
    """G6: placed patients per primary therapist at most the caseload cap."""
    case: dict[str, list[Lit]] = defaultdict(list)
    for pid, info in inst.patients.items():
        case[info.patient.primary_therapist].append(v.placed[pid])
    for t_id, lits in case.items():
        cap = inst.clinic.therapist_by_id[t_id].caseload_cap
        if len(lits) > cap:
            model.add(sum(lits) <= cap)


# ------------------------------------------------------------------------------ L1


def add_l1_locks(model: Model, inst: Instance, v: Variables) -> None:
    """L1: every lock has its session. Each lock's constraints are enforced by its own
    literal ``v.lock_ok[id]`` (fixed true here; assumptions in the diagnosis solve)."""
    if "L1" in inst.off:
        return
    acts = sorted({(lk.week, lk.block, lk.session_type) for lk in inst.clinic.locks})
    for act in acts:
        locks = inst.locks_for(act)
        if inst.types[act[2]].kind in SINGLE_KINDS:
            _single_locks(model, inst, v, act, locks)
        else:
            _group_locks(model, inst, v, act, locks)


def _never(model: Model, lits: list[Lit]) -> None:
    """These locks cannot all hold."""
    model.add_bool_or([x.Not() for x in lits])


def _need(model: Model, var: Lit | None, lits: list[Lit]) -> None:
    if var is None:
        _never(model, lits)
    else:
        model.add_bool_and([var]).only_enforce_if(lits)


def _single_locks(model: Model, inst: Instance, v: Variables, act: Act, locks: list) -> None:  # type: ignore[type-arg]
    kind = inst.types[act[2]].kind
    for pin in pins(locks):
        lits = [v.lock_ok[i] for i in pin.locks]
        if len(pin.patients) > 1 or len(pin.therapists) > 1 or len(pin.rooms) > 1:
            _never(model, lits)
            continue
        for lk in locks:
            if lk.id not in pin.locks:
                continue
            own = [v.lock_ok[lk.id]]
            if lk.patient is not None:
                _need(model, v.single.get((lk.patient, act)), own)
            if lk.room is not None:
                _need(model, v.sroom.get((act, lk.room)), own)
            if lk.therapist is not None:
                if kind is SessionKind.INDIVIDUAL:
                    if lk.patient is not None:
                        primary = inst.clinic.patient_by_id[lk.patient].primary_therapist
                        if primary != lk.therapist:
                            _never(model, own)
                    else:
                        theirs = [
                            var
                            for (pid, a), var in v.single.items()
                            if a == act
                            and inst.patients[pid].patient.primary_therapist == lk.therapist
                        ]
                        if theirs:
                            model.add_bool_or(theirs).only_enforce_if(own)
                        else:
                            _never(model, own)
                else:
                    _need(model, v.slead.get((act, lk.therapist)), own)
        if pin.patients and pin.rooms:
            p = inst.clinic.patient_by_id[pin.patients[0]]
            if inst.clinic.room_by_id[pin.rooms[0]].virtual and not p.telehealth_ok:
                _never(model, lits)


def _group_locks(model: Model, inst: Instance, v: Variables, act: Act, locks: list) -> None:  # type: ignore[type-arg]
    keys = [k for k in inst.class_blocks if k[:3] == act]
    for pin in pins(locks):
        lits = [v.lock_ok[i] for i in pin.locks]
        if len(pin.rooms) > 1 or len(pin.therapists) > 2:
            _never(model, lits)
            continue
        classes = (
            {cls for pid in pin.patients for a, cls in inst.patients[pid].group_acts if a == act}
            if all(pid in inst.patients for pid in pin.patients)
            else set()
        )
        if pin.patients and len(classes) != 1:
            _never(model, lits)  # a patient cannot attend, or patients of two classes
            continue
        for lk in locks:
            if lk.id in pin.locks and lk.patient is not None:
                _need(model, v.attend.get((lk.patient, act)), [v.lock_ok[lk.id]])
        if pin.patients:
            key: GKey = (*act, next(iter(classes)))
            _pin_into(model, inst, v, key, pin, lits, lits)
            continue
        choices = []
        for key in keys:
            c = model.new_bool_var(f"pin[{pin.locks[0]},{key}]")
            if _pin_into(model, inst, v, key, pin, [c], lits):
                choices.append(c)
        if choices:
            model.add_bool_or(choices).only_enforce_if(lits)
        else:
            _never(model, lits)


def _pin_into(
    model: Model,
    inst: Instance,
    v: Variables,
    key: GKey,
    pin: object,
    when: list[Lit],
    lits: list[Lit],
) -> bool:
    """Require the pinned session in class-block ``key`` when ``when`` holds; False (and the
    choice forbidden) when the class-block cannot host it."""
    from scheduler.model.locks import Pin

    assert isinstance(pin, Pin)
    cb = inst.class_blocks.get(key)
    needed: list[Lit] = []
    ok = cb is not None
    if cb is not None:
        for t in pin.therapists:
            var = v.lead.get((key, t))
            ok = ok and var is not None
            if var is not None:
                needed.append(var)
        if pin.rooms:
            r = pin.rooms[0]
            opt = next((o for o in cb.rooms if o.room == r), None)
            ok = ok and opt is not None
            if opt is not None:
                needed.append(v.room[(key, r)])
                n = len(pin.patients)
                co = v.co.get((key, r))
                solo_fits = opt.solo is not None and n <= opt.solo[1]
                co_fits = opt.co is not None and n <= opt.co[1]
                if opt.virtual and any(
                    not inst.clinic.patient_by_id[p].telehealth_ok for p in pin.patients
                ):
                    ok = False
                if len(pin.therapists) == 2 or not solo_fits:
                    ok = ok and co is not None and co_fits
                    if co is not None:
                        needed.append(co)
                elif not solo_fits and not co_fits:
                    ok = False
        elif len(pin.therapists) == 2:
            cos = [v.co[(key, o.room)] for o in cb.rooms if (key, o.room) in v.co]
            ok = ok and bool(cos)
            if cos:
                model.add_bool_or(cos).only_enforce_if(when)
    if not ok:
        _never(model, when if when is not lits else lits)
        return False
    for var in needed:
        model.add_implication(when[0], var) if len(when) == 1 else model.add_bool_and(
            [var]
        ).only_enforce_if(when)
    return True


# ------------------------------------------------------------------------------ aggregate


def seats_per_leader(st: SessionType) -> int:
    """The most patients one therapist's share of one group of ``st`` can seat (G1, G4)."""
    above = st.cofacilitator_above
    if above is None or above >= st.max_size:
        return st.max_size
    return max(above, (st.max_size + 1) // 2)  # two leaders seat max_size together


def add_group_demand(
    model: Model, inst: Instance, placed: dict[str, Lit], lead: dict[Act, list[Lit]]
) -> None:
    """Implied by W1, G1 and G4: for each set ``B`` of (week, block) that is some
    patient's whole group availability, the placed patients whose group options all lie
    in ``B`` need their sessions of each type there, and each leader of a group of that
    type in ``B`` seats at most :func:`seats_per_leader` of them; per day, at most
    ``max_group_blocks_per_day`` sessions each. ``lead[act]`` lists the
    literals of a therapist leading a group of ``act``. The count bound
    (:mod:`scheduler.model.bound`) uses it; added to the full model as a redundant cut it
    made phase one's search worse (M-tight 64 placed instead of 71)."""
    sets: dict[frozenset[tuple[int, str]], list[str]] = defaultdict(list)
    for pid, info in inst.patients.items():
        sets[frozenset((a[0], a[1]) for a, _ in info.group_acts)].append(pid)
    for where in sets:
        inside = [pid for other, pids in sets.items() if other <= where for pid in pids]
        demand: dict[str, list[tuple[int, Lit]]] = defaultdict(list)
        for pid in inside:
            for pw in inst.patients[pid].weeks:
                for s_id, per_week in pw.group_items:
                    demand[s_id].append((per_week, placed[pid]))
        for s_id, terms in demand.items():
            seats = seats_per_leader(inst.types[s_id])
            supply = [
                x for a, xs in lead.items() if a[2] == s_id and (a[0], a[1]) in where for x in xs
            ]
            model.add(sum(n * x for n, x in terms) <= seats * sum(supply))
        if demand:
            # One group a day per patient (W3): the sessions on one day are at most the
            # placed patients (times the daily cap), however many seats that day has.
            cap = inst.clinic.settings.max_group_blocks_per_day
            people = sum(placed[pid] for pid in inside)
            per_day: dict[tuple[int, int], list[cp_model.LinearExprT]] = defaultdict(list)
            for a, xs in lead.items():
                if a[2] in demand and (a[0], a[1]) in where:
                    day = (a[0], int(inst.blocks[a[1]].window.weekday))
                    per_day[day].append(seats_per_leader(inst.types[a[2]]) * sum(xs))
            ys = []
            for day, seats_there in per_day.items():
                y = model.new_int_var(0, cap * len(inside), f"day_seats[{day}]")
                model.add(y <= cap * people)
                model.add(y <= sum(seats_there))
                ys.append(y)
            model.add(sum(ys) >= sum(n * x for terms in demand.values() for n, x in terms))
