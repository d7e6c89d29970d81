"""Turn solver values into dated sessions.

Within a class-block the model fixed who attends, which rooms host a group (solo or
co-led) and which therapists lead; here the attendees are split into the rooms' groups and
the leaders among them. After any pins, a class-block with one group takes everyone; with
several, a tiny exact CP-SAT model (:func:`_balanced`) splits them, lexicographically:

1. fewest seats short of the type's target size (``SessionType.target_size``): every
   group is filled towards its target before any group grows past it, which is the
   shortfall the ``small_groups`` term of :mod:`scheduler.model.objective` prices, so that
   term's reported value is the schedule's own (pins aside);
2. most patients in a group their primary therapist leads;
3. patients alike (the same group start times all week) in the same group.

Should that model find nothing in its small budget, a greedy split (pins, then each
patient next to their primary therapist and usual peers) and an exact feasibility model
stand in. The model's aggregate conditions guarantee a split exists.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from scheduler.domain import Patient, SessionKind
from scheduler.model.instance import Act, ClassBlock, GKey, Instance
from scheduler.model.locks import Pin, pins
from scheduler.model.variables import Lit, Variables
from scheduler.previous import Reference
from scheduler.schedule import Session

Value = Callable[[Lit], bool]


@dataclass
class _Group:
    room: str
    virtual: bool
    lo: int
    hi: int
    leaders_needed: int
    leaders: list[str] = field(default_factory=list)
    patients: list[str] = field(default_factory=list)

    def fits(self, p: Patient) -> bool:
        return len(self.patients) < self.hi and (not self.virtual or p.telehealth_ok)

    @property
    def deficit(self) -> int:
        return max(0, self.lo - len(self.patients))


def extract_sessions(
    inst: Instance,
    v: Variables,
    value: Value,
    previous: Mapping[int, Reference] | None = None,
) -> list[Session]:
    """The dated sessions of the solver's values. With ``previous`` (the previous week each
    new week repeats, :func:`scheduler.previous.references`), each previous group whose
    patients still attend its class-block is formed again first, in its room and with its
    leaders where the model kept them (a soft pin), so peers stay together."""
    counters: dict[Act, int] = {}
    out: list[Session] = []
    signature = _signatures(inst, v, value)
    used_pins: set[tuple[str, ...]] = set()
    for key, cb in inst.class_blocks.items():
        ref = previous.get(key[0]) if previous else None
        soft = [
            s
            for s in (ref.sessions if ref else ())
            if s.block == key[1] and s.session_type == key[2]
        ]
        groups = _split(inst, v, value, key, cb, signature, used_pins, soft)
        for g in groups:
            out.append(_session(key[:3], g.room, g.leaders, g.patients, counters))
    for act, slot in inst.singles.items():
        if not slot.candidates:
            continue
        ref = previous.get(act[0]) if previous else None
        before = {
            p: s
            for s in (ref.sessions if ref else ())
            if s.block == act[1] and s.session_type == act[2]
            for p in s.patients
        }
        for room, leaders, patients in _singles(inst, v, value, act, before):
            out.append(_session(act, room, leaders, patients, counters))
    out.sort(
        key=lambda s: (s.week, inst.block_order[s.block], inst.type_order[s.session_type], s.id)
    )
    return out


def _session(
    act: Act, room: str, leaders: list[str], patients: list[str], counters: dict[Act, int]
) -> Session:
    w, b, s = act
    k = counters.get(act, 0) + 1
    counters[act] = k
    return Session.numbered(w, b, s, k, room, tuple(leaders), tuple(patients))


def _signatures(inst: Instance, v: Variables, value: Value) -> dict[str, tuple[int, ...]]:
    """Each patient's group start times per week: patients alike meet in the same group."""
    out: dict[str, tuple[int, ...]] = {}
    for pid, info in inst.patients.items():
        starts = sorted(
            {inst.windows[act].start for act, _ in info.group_acts if value(v.attend[(pid, act)])}
        )
        out[pid] = tuple(starts)
    return out


def _split(
    inst: Instance,
    v: Variables,
    value: Value,
    key: GKey,
    cb: ClassBlock,
    signature: dict[str, tuple[int, ...]],
    used_pins: set[tuple[str, ...]],
    soft: list[Session],
) -> list[_Group]:
    act: Act = key[:3]
    groups = _open_groups(v, value, key, cb)
    leaders = [t for t in cb.leaders if value(v.lead[(key, t)])]
    attending = [pid for pid in cb.members if value(v.attend[(pid, act)])]
    if not groups:
        assert not attending, f"patients attend {key} but no room is open"
        return []
    my_pins = [
        pin
        for pin in pins(inst.locks_for(act))
        if pin.locks not in used_pins and _pin_here(pin, groups, leaders, attending)
    ]
    for pin in my_pins:
        used_pins.add(pin.locks)
    # The previous groups whole, else each with a few patients fewer (a group that must take
    # in a newcomer's group-mates, or give one up to reach another group's minimum), else a
    # split afresh: the model's aggregate conditions guarantee a split without them.
    # Past the largest previous group's size every soft pin is empty: no more to try.
    for trim in range(max((len(s.patients) for s in soft), default=0)):
        formed = _fill(inst, key, cb, groups, leaders, attending, my_pins, signature, soft, trim)
        if formed is not None:
            return formed
        groups = _open_groups(v, value, key, cb)
    formed = _fill(inst, key, cb, groups, leaders, attending, my_pins, signature, [], 0)
    assert formed is not None
    return formed


def _open_groups(v: Variables, value: Value, key: GKey, cb: ClassBlock) -> list[_Group]:
    groups: list[_Group] = []
    for opt in cb.rooms:
        if not value(v.room[(key, opt.room)]):
            continue
        co = (key, opt.room) in v.co and value(v.co[(key, opt.room)])
        rng = opt.co if co else opt.solo
        assert rng is not None
        groups.append(_Group(opt.room, opt.virtual, rng[0], rng[1], 2 if co else 1))
    return groups


def _fill(
    inst: Instance,
    key: GKey,
    cb: ClassBlock,
    groups: list[_Group],
    leaders: list[str],
    attending: list[str],
    my_pins: list[Pin],
    signature: dict[str, tuple[int, ...]],
    soft: list[Session],
    trim: int,
) -> list[_Group] | None:
    """Pins, then the previous groups (``soft``, each less ``trim`` of its patients), then
    everyone else; None when the previous groups leave no valid split of the rest."""
    patients = inst.clinic.patient_by_id
    free_leaders = [t for t in leaders if not any(t in pin.therapists for pin in my_pins)]
    placed: set[str] = set()
    # Pins with a room first, then pins without one into a group of their own.
    for pin in sorted(my_pins, key=lambda pin: not pin.rooms):
        if pin.rooms:
            g = next(g for g in groups if g.room == pin.rooms[0])
        else:
            g = next(
                (
                    g
                    for g in groups
                    if not g.leaders
                    and g.leaders_needed >= len(pin.therapists)
                    and g.hi - len(g.patients) >= len(pin.patients)
                    and all(not g.virtual or patients[p].telehealth_ok for p in pin.patients)
                ),
                groups[0],
            )
        g.leaders.extend(pin.therapists)
        g.patients.extend(pin.patients)
        placed.update(pin.patients)
    _previous_groups(groups, free_leaders, attending, placed, patients, soft, trim)
    rest = [p for p in attending if p not in placed]
    target = inst.types[key[2]].target_size
    if len(groups) == 1:
        groups[0].leaders.extend(free_leaders)
        groups[0].patients.extend(rest)
        if not groups[0].lo <= len(groups[0].patients) <= groups[0].hi:
            return None
    elif not _balanced(groups, rest, free_leaders, patients, signature, target):
        if soft:
            return None
        _assign_leaders(groups, free_leaders, attending, patients)
        if not _greedy(groups, rest, patients, signature):
            _exact(groups, attending, placed, patients)
    for g in groups:
        assert g.lo <= len(g.patients) <= g.hi and len(g.leaders) == g.leaders_needed, key
        g.patients.sort(key=cb.members.index)
    return groups


def _previous_groups(
    groups: list[_Group],
    free_leaders: list[str],
    attending: list[str],
    placed: set[str],
    lookup: Mapping[str, Patient],
    soft: list[Session],
    trim: int,
) -> None:
    """Form each previous group again from its patients who still attend, largest first:
    in its own room when that room is open (those first, so that no group without its room
    takes another's), else in an empty group, with its leaders who still lead here."""
    rooms = {g.room for g in groups}
    todo = sorted(
        soft,
        key=lambda s: (s.room not in rooms, -sum(p in attending for p in s.patients), s.id),
    )
    for s in todo:
        keep = [p for p in s.patients if p in attending and p not in placed]
        if not keep:
            continue
        empty = [g for g in groups if not g.patients and not g.leaders]
        g = next((g for g in empty if g.room == s.room), empty[0] if empty else None)
        if g is None:
            continue
        for t in [t for t in s.therapists if t in free_leaders][: g.leaders_needed]:
            free_leaders.remove(t)
            g.leaders.append(t)
        fit = [p for p in keep if not g.virtual or lookup[p].telehealth_ok][: g.hi]
        fit = fit[: max(len(fit) - trim, 0)]
        g.patients.extend(fit)
        placed.update(fit)


def _assign_leaders(
    groups: list[_Group],
    free_leaders: list[str],
    attending: list[str],
    lookup: Mapping[str, Patient],
) -> None:
    """The therapist most patients here have as primary goes to the biggest group."""
    want = {t: sum(lookup[p].primary_therapist == t for p in attending) for t in free_leaders}
    for t in sorted(free_leaders, key=lambda t: (-want[t], free_leaders.index(t))):
        open_groups = [g for g in groups if len(g.leaders) < g.leaders_needed]
        g = max(open_groups, key=lambda g: (g.hi - len(g.patients), -groups.index(g)))
        g.leaders.append(t)


#: Deterministic budget of a class-block's split by shortfall (proven in milliseconds),
#: then of its polish for continuity and peers (see :func:`_balanced`).
SPLIT_WORK = 1.0
SPLIT_POLISH_WORK = 0.1


#: Patients interchangeable in a split: (primary therapist, group start times all week,
#: telehealth consent).
Kind = tuple[str, tuple[int, ...], bool]


def _kinds(
    rest: list[str], lookup: Mapping[str, Patient], signature: Mapping[str, tuple[int, ...]]
) -> dict[Kind, list[str]]:
    out: dict[Kind, list[str]] = {}
    for p in rest:
        kind = (lookup[p].primary_therapist, signature.get(p, ()), lookup[p].telehealth_ok)
        out.setdefault(kind, []).append(p)
    return out


def _balanced(
    groups: list[_Group],
    rest: list[str],
    free_leaders: list[str],
    lookup: Mapping[str, Patient],
    signature: Mapping[str, tuple[int, ...]],
    target: int,
) -> bool:
    """Split ``rest`` and ``free_leaders`` among ``groups`` (which may hold pins) by the
    module docstring's three goals, weighted so each outranks everything after it; False
    when no split was found in the budget (the groups are left as they were).

    Interchangeable patients (:data:`Kind`) are counted, not assigned one by one: with a
    Boolean per patient and group, a split of 45 patients into 5 groups took 6 s to prove;
    counted, a few hundredths."""
    kinds = _kinds(rest, lookup, signature)
    n = len(rest)
    m = cp_model.CpModel()
    y = {
        (c, i): m.new_int_var(0, min(len(ps), g.hi), f"y[{c},{i}]")
        for c, ps in kinds.items()
        for i, g in enumerate(groups)
        if not g.virtual or c[2]
    }
    z = {(t, i): m.new_bool_var(f"z[{t},{i}]") for t in free_leaders for i in range(len(groups))}
    for c, ps in kinds.items():
        m.add(sum(var for (d, _), var in y.items() if d == c) == len(ps))
    for t in free_leaders:
        m.add_exactly_one(z[(t, i)] for i in range(len(groups)))
    sizes: list[cp_model.LinearExprT] = []
    short = []
    for i, g in enumerate(groups):
        size = len(g.patients) + sum(var for (_, j), var in y.items() if j == i)
        m.add(size >= g.lo)
        m.add(size <= g.hi)
        m.add(len(g.leaders) + sum(z[(t, i)] for t in free_leaders) == g.leaders_needed)
        gap = m.new_int_var(0, target, f"short[{i}]")
        m.add(gap >= target - size)
        sizes.append(size)
        short.append(gap)
    _order_alike_groups(m, groups, sizes)
    m.minimize(sum(short))
    kept = []
    for (c, i), var in y.items():
        t = c[0]
        if t in groups[i].leaders:
            kept.append(var)
        elif (t, i) in z:
            both = m.new_int_var(0, len(kinds[c]), f"with_primary[{c},{i}]")
            m.add(both <= var)
            m.add(both <= len(kinds[c]) * z[(t, i)])
            kept.append(both)
    fragments = []
    for sig in sorted({c[1] for c in kinds}):
        alike = [c for c in kinds if c[1] == sig]
        if sum(len(kinds[c]) for c in alike) < 2:
            continue
        for i in range(len(groups)):
            here = [(c, y[(c, i)]) for c in alike if (c, i) in y]
            if here:
                f = m.new_bool_var(f"fragment[{sig},{i}]")
                for c, var in here:
                    m.add(var <= len(kinds[c]) * f)
                fragments.append(f)
    # Two solves: the fewest seats short, proven (a few milliseconds); then, with that held,
    # continuity and peers in a small budget from the first split (these can take seconds
    # to prove, and a class-block's split is not worth that).
    shortfall = sum(short)
    solver = _split_solver(SPLIT_WORK)
    if solver.solve(m) not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return False
    m.add(shortfall <= round(solver.objective_value))
    m.minimize((n + 1) * (n - sum(kept)) + sum(fragments))
    for var in (*y.values(), *z.values()):
        m.add_hint(var, solver.value(var))
    second = _split_solver(SPLIT_POLISH_WORK)
    if second.solve(m) in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        solver = second
    for c, ps in kinds.items():
        todo = iter(ps)
        for i, g in enumerate(groups):
            if (c, i) in y:
                g.patients += [next(todo) for _ in range(solver.value(y[(c, i)]))]
    for i, g in enumerate(groups):
        g.leaders += [t for t in free_leaders if solver.value(z[(t, i)])]
    return True


def _split_solver(work: float) -> cp_model.CpSolver:
    solver = cp_model.CpSolver()
    solver.parameters.max_deterministic_time = work
    solver.parameters.max_time_in_seconds = 30  # a safety ceiling only
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = 0
    return solver


def _order_alike_groups(
    m: cp_model.CpModel, groups: list[_Group], sizes: list[cp_model.LinearExprT]
) -> None:
    """Groups alike (same range, leaders needed and kind of room, nothing pinned) differ
    only by their room: order their sizes, so the search does not try every permutation."""
    for i in range(len(groups) - 1):
        a, b = groups[i], groups[i + 1]
        if not (a.patients or a.leaders or b.patients or b.leaders) and (
            a.lo,
            a.hi,
            a.virtual,
            a.leaders_needed,
        ) == (b.lo, b.hi, b.virtual, b.leaders_needed):
            m.add(sizes[i] >= sizes[i + 1])


def _pin_here(pin: Pin, groups: list[_Group], leaders: list[str], attending: list[str]) -> bool:
    rooms = {g.room for g in groups}
    return (
        all(p in attending for p in pin.patients)
        and all(t in leaders for t in pin.therapists)
        and all(r in rooms for r in pin.rooms)
    )


def _greedy(
    groups: list[_Group],
    rest: list[str],
    patients: dict[str, Patient] | object,
    signature: dict[str, tuple[int, ...]],
) -> bool:
    lookup: dict[str, Patient] = patients  # type: ignore[assignment]
    snapshot = [(list(g.patients)) for g in groups]
    todo = list(rest)
    # Virtual groups first reach their minimum with telehealth patients.
    for g in groups:
        if not g.virtual:
            continue
        while g.deficit and any(lookup[p].telehealth_ok for p in todo):
            pick = next(
                (
                    p
                    for p in todo
                    if lookup[p].telehealth_ok and lookup[p].primary_therapist in g.leaders
                ),
                next(p for p in todo if lookup[p].telehealth_ok),
            )
            g.patients.append(pick)
            todo.remove(pick)
    order = [p for p in todo if not lookup[p].telehealth_ok] + [
        p for p in todo if lookup[p].telehealth_ok
    ]
    for i, pid in enumerate(order):
        p = lookup[pid]
        left_after = len(order) - i - 1
        fitting = [g for g in groups if g.fits(p)]
        if sum(g.deficit for g in groups) > left_after:
            fitting = [g for g in fitting if g.deficit] or fitting
        if not fitting:
            for g, pats in zip(groups, snapshot, strict=True):
                g.patients = pats
            return False
        g = max(
            fitting,
            key=lambda g: (
                p.primary_therapist in g.leaders,
                sum(signature.get(q) == signature.get(pid) for q in g.patients),
                g.deficit,
                g.hi - len(g.patients),
                -groups.index(g),
            ),
        )
        g.patients.append(pid)
    if all(g.lo <= len(g.patients) <= g.hi for g in groups):
        return True
    for g, pats in zip(groups, snapshot, strict=True):
        g.patients = pats
    return False


def _exact(
    groups: list[_Group],
    attending: list[str],
    pinned: set[str],
    lookup: Mapping[str, Patient],
) -> None:
    """Exact split by a tiny CP-SAT model (fallback; the model guarantees one exists)."""
    m = cp_model.CpModel()
    x = {
        (p, i): m.new_bool_var(f"x{p}{i}")
        for p in attending
        for i, g in enumerate(groups)
        if not g.virtual or lookup[p].telehealth_ok
    }
    for p in attending:
        m.add_exactly_one(var for (q, _), var in x.items() if q == p)
    for i, g in enumerate(groups):
        size = sum(var for (_, j), var in x.items() if j == i)
        m.add(size >= g.lo)
        m.add(size <= g.hi)
        for p in g.patients:
            if p in pinned:
                m.add(x[(p, i)] == 1)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = 10
    solver.parameters.num_workers = 1
    status = solver.solve(m)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        raise RuntimeError("internal error: the groups of a class-block cannot be formed")
    for i, g in enumerate(groups):
        g.patients = [p for p in attending if (p, i) in x and solver.value(x[(p, i)])]


def _singles(
    inst: Instance, v: Variables, value: Value, act: Act, before: Mapping[str, Session]
) -> list[tuple[str, list[str], list[str]]]:
    """One session per attending patient: pinned ones first, then those the previous week
    had here (in their room and with their therapist again where those are free), then the
    rest."""
    slot = inst.singles[act]
    lookup = inst.clinic.patient_by_id
    individual = slot.kind is SessionKind.INDIVIDUAL
    attending = [p for p in slot.candidates if value(v.single[(p, act)])]
    rooms = [(r, virt) for r, virt in slot.rooms if value(v.sroom[(act, r)])]
    leaders = [t for t in slot.leaders if value(v.slead[(act, t)])]
    sessions: list[tuple[str, list[str], list[str]]] = []

    def take_room(p: str, wanted: str | None) -> str:
        if wanted is not None:
            pick = next(r for r in rooms if r[0] == wanted)
        else:
            # Offline patients take physical rooms; telehealth patients prefer virtual ones.
            pool = [r for r in rooms if not r[1]] if not lookup[p].telehealth_ok else rooms
            pool = sorted(pool, key=lambda r: not r[1])
            pick = pool[0]
        rooms.remove(pick)
        return pick[0]

    def take_leader(p: str, wanted: str | None) -> list[str]:
        if individual:
            return [lookup[p].primary_therapist]
        pick = wanted if wanted is not None else leaders[0]
        leaders.remove(pick)
        return [pick]

    for pin in pins(inst.locks_for(act)):
        p = pin.patients[0] if pin.patients else None
        if p is None:
            p = next(
                (
                    q
                    for q in attending
                    if (
                        not individual
                        or not pin.therapists
                        or lookup[q].primary_therapist == pin.therapists[0]
                    )
                    and (
                        not pin.rooms
                        or lookup[q].telehealth_ok
                        or not inst.clinic.room_by_id[pin.rooms[0]].virtual
                    )
                ),
                None,
            )
        if p is None or p not in attending:
            continue
        attending.remove(p)
        room = take_room(p, pin.rooms[0] if pin.rooms else None)
        lead = take_leader(p, pin.therapists[0] if pin.therapists and not individual else None)
        sessions.append((room, lead, [p]))
    free_now = {r for r, _ in rooms}
    # Those whose old room is still open first, so nobody else takes it.
    returning = sorted(
        (q for q in attending if q in before), key=lambda q: before[q].room not in free_now
    )
    for p in returning:
        old = before[p]
        attending.remove(p)
        free = dict(rooms)
        # The old room, unless a telehealth patient would take a physical room that an
        # in-person patient still needs.
        offline_left = sum(not lookup[q].telehealth_ok for q in attending)
        physical_left = sum(not virtual for _, virtual in rooms)
        spare = (
            not lookup[p].telehealth_ok
            or free.get(old.room, True)
            or (physical_left > offline_left)
        )
        room = take_room(p, old.room if old.room in free and spare else None)
        wanted = old.therapists[0] if old.therapists and old.therapists[0] in leaders else None
        sessions.append((room, take_leader(p, wanted), [p]))
    attending.sort(key=lambda q: lookup[q].telehealth_ok)
    for p in attending:
        sessions.append((take_room(p, None), take_leader(p, None), [p]))
    return sessions
