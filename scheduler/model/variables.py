"""The CP-SAT decision variables, all Booleans over precomputed options.

- ``placed[p]``: the patient has a place this horizon.
- ``attend[p, act]``: the patient attends a group of ``act`` (week, block, type) in their
  class-block (the class follows from the patient).
- ``room[key, r]`` / ``co[key, r]``: room ``r`` hosts one group of class-block ``key``,
  co-led (two therapists) when ``co`` (G4).
- ``lead[key, t]``: therapist ``t`` leads (or co-leads) one group of ``key``.
- ``single[p, act]``: the patient's one-patient session (individual, family, assessment).
- ``sroom[act, r]`` / ``slead[act, t]``: room / therapist used by one single session of
  ``act``; individual sessions are led by the patient's primary therapist, so they need no
  ``slead``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from scheduler.model.instance import Act, GKey, Instance

Lit = cp_model.IntVar


@dataclass
class Variables:
    placed: dict[str, Lit] = field(default_factory=dict)
    attend: dict[tuple[str, Act], Lit] = field(default_factory=dict)
    room: dict[tuple[GKey, str], Lit] = field(default_factory=dict)
    co: dict[tuple[GKey, str], Lit] = field(default_factory=dict)
    lead: dict[tuple[GKey, str], Lit] = field(default_factory=dict)
    single: dict[tuple[str, Act], Lit] = field(default_factory=dict)
    sroom: dict[tuple[Act, str], Lit] = field(default_factory=dict)
    slead: dict[tuple[Act, str], Lit] = field(default_factory=dict)
    lock_ok: dict[str, Lit] = field(default_factory=dict)  # one literal per lock (L1)
    day: dict[tuple[str, int, int], Lit] = field(default_factory=dict)  # group that weekday


def make_variables(model: cp_model.CpModel, inst: Instance) -> Variables:
    v = Variables()
    for pid, info in inst.patients.items():
        v.placed[pid] = model.new_bool_var(f"placed[{pid}]")
        for act, _ in info.group_acts:
            v.attend[(pid, act)] = model.new_bool_var(f"attend[{pid},{act}]")
        for act in info.single_acts:
            v.single[(pid, act)] = model.new_bool_var(f"single[{pid},{act}]")
    for key, cb in inst.class_blocks.items():
        for opt in cb.rooms:
            v.room[(key, opt.room)] = model.new_bool_var(f"room[{key},{opt.room}]")
            if opt.co is not None:
                v.co[(key, opt.room)] = model.new_bool_var(f"co[{key},{opt.room}]")
        for t in cb.leaders:
            v.lead[(key, t)] = model.new_bool_var(f"lead[{key},{t}]")
    for act, slot in inst.singles.items():
        if not slot.candidates:
            continue
        for r, _ in slot.rooms:
            v.sroom[(act, r)] = model.new_bool_var(f"sroom[{act},{r}]")
        for t in slot.leaders:
            v.slead[(act, t)] = model.new_bool_var(f"slead[{act},{t}]")
    for lk in inst.clinic.locks:
        if "L1" not in inst.off:
            v.lock_ok[lk.id] = model.new_bool_var(f"lock[{lk.id}]")
    return v
