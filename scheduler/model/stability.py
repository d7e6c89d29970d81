"""Minimal change: the previous schedule as the reference, every change priced.

Formulation (issue "week after week"; the reference is UniTime's perturbation penalty, which
prices each class moved from its initial assignment, time and room separately, and Timefold's
published window, which holds what was published and leaves the rest open):

- Each new week repeats one previous week (:mod:`scheduler.previous`). For every
  appointment of that week whose patient is still in the plan, the model has (or lacks) the
  literal "this patient attends this block and session type again":
  ``attend[p, act]`` for a group, ``single[p, act]`` for an individual or family session.
- Three named terms count what is not kept: ``appointments_moved`` (a patient's
  appointment not held at the same weekday, time and type), ``leaders_changed`` (a previous
  group's leader not leading that class-block again; for a family session, its therapist),
  ``rooms_changed`` (a previous session's room not hosting that class-block or slot again).
  Rooms and leaders are priced only for sessions someone still attends: a group whose
  patients are all discharged ends, and that is no call to make.
- An appointment with no literal (its block is closed, the patient is no longer eligible
  there, the patient is not in the plan) is a forced change: a constant, left out.

The terms form their own stage, between placement and comfort (:mod:`scheduler.model.solve`):
minimised with the placement held, then held while comfort is minimised. So a change is
made only when it places a patient (placement comes first), and never for comfort: "a change
that frees no seat and fixes no rule is never made". Within the stage, two strict levels
(:data:`UNDISTURBED`): changes to sessions the input left possible cost more than all
changes to the sessions it disturbed (a closed room's, an absent therapist's) together, so
the disturbed ones move first and the others only when that places more patients. Within a
level the weights (``SolveOptions.change_weights``) say what a change costs the clinic: a
moved appointment is a phone call and a risk of a missed session, so it weighs most; a new
leader breaks the therapeutic alliance of a group; a new room costs a sign on the door.
Additions count too: an appointment a continuing patient did not have (cheap for a
patient the input displaced), a leader or a room a session slot did not have (so a new
admission joins open seats before a group is opened), a group turned co-led or solo.

The previous schedule is also a candidate solution: its decisions, where they still hold,
are completed into a full assignment (:func:`previous_assignment`) that phase one starts
from when it places at least as well, and that the stage is hinted with. Unchanged input
then gives the previous timetable back, byte for byte.

The extraction keeps groups together as they were (peers, room, leaders): see
:func:`scheduler.model.extract.extract_sessions`'s ``previous`` argument.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from scheduler.domain import SessionKind
from scheduler.model.instance import SINGLE_KINDS, Act, Instance, patient_class
from scheduler.model.variables import Lit, Variables
from scheduler.previous import LEADERS, MOVED, ROOMS, references
from scheduler.schedule import Schedule, Session

#: Changes come in two strict levels. A change to a session the new input still allows as
#: it was (its block, room and leaders all still there) costs more than every change to
#: the sessions the input disturbed together: the absent therapist's or closed room's
#: sessions move first, and others only to place more patients. Measured on the sample
#: clinic (10 s): pricing changes by count alone moved another group out of its room to
#: seat a closed room's group (7 appointments changed elsewhere); a factor of 10 still
#: moved one (4 unforced changes); strict levels move none.
UNDISTURBED = True
DISTURBED = False

Weighted = list[tuple[Lit, bool]]  # (literal, the session is undisturbed)


@dataclass
class Stability:
    """The change literals with their factors (a kept literal false, or an added literal
    true, is one change) and the previous schedule's decisions as a partial assignment."""

    moved: Weighted = field(default_factory=list)
    leaders: Weighted = field(default_factory=list)
    rooms: Weighted = field(default_factory=list)
    # What the previous week did not have: an appointment for a patient it scheduled, a
    # leader or a room for a session slot.
    added_appointments: Weighted = field(default_factory=list)
    added_leaders: Weighted = field(default_factory=list)
    added_rooms: Weighted = field(default_factory=list)
    forced: int = 0  # appointments that cannot be kept (no literal)
    partial: dict[Lit, int] = field(default_factory=dict)

    def _groups(self) -> dict[str, tuple[Weighted, Weighted]]:
        return {
            MOVED: (self.moved, self.added_appointments),
            LEADERS: (self.leaders, self.added_leaders),
            ROOMS: (self.rooms, self.added_rooms),
        }

    def _factors(self, moved: int, leader: int, room: int) -> tuple[dict[str, int], int]:
        """Each term's weight, and the factor of an undisturbed change: one more than all
        disturbed changes together can cost."""
        weight = {MOVED: moved, LEADERS: leader, ROOMS: room}
        disturbed = sum(
            weight[name] * sum(1 for _, undisturbed in kept + added if not undisturbed)
            for name, (kept, added) in self._groups().items()
        )
        return weight, disturbed + 1

    def expr(self, moved: int, leader: int, room: int) -> cp_model.LinearExprT:
        """The stage's objective: each change at its term's weight, times the factor when
        the input left its session undisturbed."""
        weight, big = self._factors(moved, leader, room)
        lits: list[cp_model.LinearExprT] = []
        coefs: list[int] = []
        constant = 0
        for name, (kept, added) in self._groups().items():
            for x, undisturbed in kept:
                c = weight[name] * (big if undisturbed else 1)
                constant += c
                lits.append(x)
                coefs.append(-c)
            for x, undisturbed in added:
                lits.append(x)
                coefs.append(weight[name] * (big if undisturbed else 1))
        return cp_model.LinearExpr.weighted_sum(lits, coefs) + constant

    def terms(self) -> Mapping[str, cp_model.LinearExprT]:
        """Each term's count of changes, unweighted, as reported."""
        out: dict[str, cp_model.LinearExprT] = {}
        for name, (kept, added) in self._groups().items():
            out[name] = (
                len(kept)
                - cp_model.LinearExpr.sum([x for x, _ in kept])
                + cp_model.LinearExpr.sum([x for x, _ in added])
            )
        return out

    def changes(self, values: Mapping[int, int], moved: int, leader: int, room: int) -> int:
        """:meth:`expr`'s value for a full assignment (by variable index)."""
        weight, big = self._factors(moved, leader, room)
        total = 0
        for name, (kept, added) in self._groups().items():
            total += weight[name] * sum((big if u else 1) * (1 - values[x.index]) for x, u in kept)
            total += weight[name] * sum((big if u else 1) * values[x.index] for x, u in added)
        return total


def stability(inst: Instance, v: Variables, previous: Schedule) -> Stability:
    """The change literals of every appointment the previous schedule's weeks repeat."""
    settings = inst.clinic.settings
    out = Stability()
    for w, ref in references(previous, settings.week_start, settings.weeks).items():
        displaced: set[str] = set()
        for s in ref.sessions:
            act: Act = (w, s.block, s.session_type)
            kind = inst.types.get(s.session_type)
            if kind is None or s.block not in inst.clinic.block_by_id:
                out.forced += len(s.patients)
                displaced.update(s.patients)
                continue
            single = kind.kind in SINGLE_KINDS
            if not (_single if single else _group)(out, v, act, s, inst):
                displaced.update(s.patients)
        _additions(out, inst, v, w, ref.sessions, displaced)
    return out


def _additions(
    out: Stability,
    inst: Instance,
    v: Variables,
    w: int,
    sessions: tuple[Session, ...],
    displaced: set[str],
) -> None:
    """Price what the new week ``w`` would have that its previous week had not: another
    appointment for a patient the previous week scheduled (cheap for a patient whose
    session the input disturbed: they must go somewhere), another leader or room for a
    group session slot. A new admission's appointments are no change; the group they open
    is (a leader and a room more), so new admissions join open seats first."""
    had_acts: set[tuple[str, str, str]] = set()
    leaders: dict[tuple[str, str], set[str]] = {}
    rooms: dict[tuple[str, str], set[str]] = {}
    for s in sessions:
        for p in s.patients:
            had_acts.add((p, s.block, s.session_type))
        leaders.setdefault((s.block, s.session_type), set()).update(s.therapists)
        rooms.setdefault((s.block, s.session_type), set()).add(s.room)
    scheduled = {p for p, _, _ in had_acts}
    for pid in sorted(scheduled & set(inst.patients)):
        info = inst.patients[pid]
        f = DISTURBED if pid in displaced else UNDISTURBED
        for act, _ in info.group_acts:
            if act[0] == w and (pid, act[1], act[2]) not in had_acts:
                out.added_appointments.append((v.attend[(pid, act)], f))
        for act in info.single_acts:
            if act[0] == w and (pid, act[1], act[2]) not in had_acts:
                out.added_appointments.append((v.single[(pid, act)], f))
    for (key, t), lit in v.lead.items():
        if key[0] == w and t not in leaders.get((key[1], key[2]), set()):
            out.added_leaders.append((lit, DISTURBED))
    for (key, r), lit in v.room.items():
        if key[0] == w and r not in rooms.get((key[1], key[2]), set()):
            out.added_rooms.append((lit, DISTURBED))


def _single(out: Stability, v: Variables, act: Act, s: Session, inst: Instance) -> bool:
    """The change literals of one previous individual or family session; False when the
    input disturbed it (its room or therapist is gone, or its patient cannot come)."""
    kept = [p for p in s.patients if (p, act) in v.single]
    out.forced += len(s.patients) - len(kept)
    room = v.sroom.get((act, s.room))
    family = inst.types[act[2]].kind is not SessionKind.INDIVIDUAL
    leads = [v.slead.get((act, t)) for t in s.therapists] if family else []
    undisturbed = bool(kept) and room is not None and all(x is not None for x in leads)
    f = undisturbed
    for p in kept:
        out.moved.append((v.single[(p, act)], f))
        out.partial[v.single[(p, act)]] = 1
        out.partial[v.placed[p]] = 1
    if not kept:
        return False
    if room is not None:
        out.rooms.append((room, f))
        out.partial[room] = 1
    for lead in leads:
        if lead is not None:
            out.leaders.append((lead, f))
            out.partial[lead] = 1
    return undisturbed


def _group(out: Stability, v: Variables, act: Act, s: Session, inst: Instance) -> bool:
    """The change literals of one previous group session; False when the input disturbed
    it (its room or a leader is gone from the block)."""
    kept = [p for p in s.patients if (p, act) in v.attend]
    out.forced += len(s.patients) - len(kept)
    if not kept:
        return False
    st = inst.types[act[2]]
    cls = patient_class(inst.clinic.patient_by_id[kept[0]], st, inst.off)
    key = (*act, cls)
    room = v.room.get((key, s.room)) if key in inst.class_blocks else None
    leads = [v.lead.get((key, t)) for t in s.therapists]
    undisturbed = room is not None and all(x is not None for x in leads)
    f = undisturbed
    for p in kept:
        out.moved.append((v.attend[(p, act)], f))
        out.partial[v.attend[(p, act)]] = 1
        out.partial[v.placed[p]] = 1
    if room is not None:
        out.rooms.append((room, f))
        out.partial[room] = 1
        # Co-leading or not is part of the group as it was: a co-led group split into two
        # solo groups keeps its room and both leaders in the class-block, yet every
        # patient in it gets a new leader or room.
        co = v.co.get((key, s.room))
        if co is not None:
            was_co = len(s.therapists) > 1
            out.partial[co] = int(was_co)
            (out.leaders if was_co else out.added_leaders).append((co, f))
    for lead in leads:
        if lead is not None:
            out.leaders.append((lead, f))
            out.partial[lead] = 1
    return undisturbed
