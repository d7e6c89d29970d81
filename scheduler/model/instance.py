"""Everything the model needs, precomputed from the clinic's data once, with no solver.

Group sessions are not enumerated as candidate groups. For each *class-block* — a week, a
block, a group session type and a patient class (track, and sex for single-sex types) — the
model decides which eligible patients attend, which rooms host one group each and which
therapists lead one group each; sizes are then checked in aggregate against the rooms'
seat ranges. Any patient count that fits those aggregate ranges can be split into real
groups (see :mod:`scheduler.model.extract`), so the aggregation is exact and carries no
symmetry between identical groups.

``off`` names RULES.md IDs to drop. It exists for the tests alone: each rule's test solves
once with the rule and once without it, proving the instance really binds the rule.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from scheduler import rules
from scheduler.domain import (
    Block,
    Clinic,
    CurriculumItem,
    Lock,
    Patient,
    SessionKind,
    SessionType,
    Window,
    covered,
)
from scheduler.schedule import session_window

#: Session kinds held for one patient at a time (RULES.md W6; assessments have max_size 1).
SINGLE_KINDS = frozenset({SessionKind.INDIVIDUAL, SessionKind.FAMILY, SessionKind.ASSESSMENT})

Act = tuple[int, str, str]  # (week, block id, session type id): one dated session slot
GKey = tuple[int, str, str, str]  # (week, block, type, patient class): a class-block


@dataclass(frozen=True)
class RoomOption:
    """A room that can host one group of a class-block, with its size ranges.

    ``solo`` ranges hold for one leader, ``co`` ranges for two (G4); either may be absent.
    """

    room: str
    virtual: bool
    solo: tuple[int, int] | None
    co: tuple[int, int] | None


@dataclass
class ClassBlock:
    key: GKey
    members: list[str]  # eligible patients, clinic order
    rooms: list[RoomOption]
    leaders: list[str]  # therapists able to lead


@dataclass
class SingleSlot:
    """A (week, block, type) where one-patient sessions can be held."""

    act: Act
    kind: SessionKind
    rooms: list[tuple[str, bool]]  # (room id, virtual)
    leaders: list[str]  # for family and assessment; individual is led by the primary
    candidates: list[str] = field(default_factory=list)


@dataclass
class PatientWeek:
    """What a patient needs in one week of treatment."""

    week: int
    hours: rules.WeekHours  # W2/W3/W7: the band, and the minimums that bind
    group_items: list[tuple[str, int]]  # (group type, per_week) — W1
    single_items: list[tuple[list[str], int]]  # (candidate types, exact count) — W4/W5/W1
    family_due: bool


@dataclass
class PatientInfo:
    patient: Patient
    weeks: list[PatientWeek]
    group_acts: list[tuple[Act, str]]  # (act, class) the patient may attend
    single_acts: list[Act]
    continuing: bool
    tier: int  # 0..10, higher for an earlier admission (placement tie-break)
    blockers: list[str]  # reasons known from data alone why the patient cannot be placed


def week_monday(clinic: Clinic, week: int) -> dt.date:
    return clinic.settings.week_start + dt.timedelta(weeks=week)


def in_treatment_week(clinic: Clinic, p: Patient, week: int) -> bool:
    monday = week_monday(clinic, week)
    return p.admission <= monday + dt.timedelta(days=6) and p.discharge >= monday


def patient_class(p: Patient, st: SessionType, off: frozenset[str]) -> str:
    """Patients of one class may share a group: one track (S1), one sex if single-sex (S2)."""
    parts = [] if "S1" in off else [p.track.value]
    if st.single_sex and "S2" not in off:
        parts.append(p.sex.value)
    return "/".join(parts) or "all"


class Instance:
    """The clinic's data arranged for the model; see the module docstring."""

    def __init__(
        self, clinic: Clinic, off: frozenset[str] = frozenset(), waivers: Clinic | None = None
    ) -> None:
        self.clinic = clinic
        # W4/W5 waivers are decided on the whole clinic's data: a site solved on its own
        # (scheduler.model.sites) sees staff days taken by other sites as closed, which
        # leaves a patient without a slot there rather than waiving their session.
        self.waivers = waivers or clinic
        self.off = off
        self.weeks = clinic.settings.weeks
        self.types = clinic.session_type_by_id
        self.blocks = clinic.block_by_id
        self.block_order = {b.id: i for i, b in enumerate(clinic.blocks)}
        self.type_order = {s.id: i for i, s in enumerate(clinic.session_types)}
        self.group_types = [s for s in clinic.session_types if s.kind not in SINGLE_KINDS]
        self.single_types = [s for s in clinic.session_types if s.kind in SINGLE_KINDS]
        self.windows: dict[Act, Window] = {}
        self.class_blocks: dict[GKey, ClassBlock] = {}
        self.singles: dict[Act, SingleSlot] = {}
        self.patients: dict[str, PatientInfo] = {}
        self._lead_cache: dict[Act, list[str]] = {}
        self._build_acts()
        self._build_patients()
        self._build_class_blocks()
        self._build_singles()
        self.cliques = self._build_cliques()

    # ---------------------------------------------------------------- eligibility
    def patient_ok(self, p: Patient, b: Block, st: SessionType, w: int) -> bool:
        """rules.patient_can_attend, with the tests' dropped rules left out."""
        off = self.off
        if not off & {"T2", "T3", "T4", "P2", "T6", "T7"}:
            ok = rules.patient_can_attend(self.clinic, p, b, st, w)
        else:
            c = self.clinic
            win = session_window(b, st)
            ok = (
                ("T3" in off or (b.kind is st.block_kind and st.duration_min <= b.window.minutes))
                and ("T6" in off or b.site == p.site)
                and ("P2" in off or p.in_treatment(c.block_date(b, w)))
                and ("T4" in off or not c.is_closed(b, w))
                and ("T2" in off or p.free(win, c.settings.travel_buffer_min))
                and ("T7" in off or p.rested(win, c.settings.rest_after_night_min))
            )
        return (
            ok
            and ("S1" in off or p.track in st.tracks)
            and ("S3" in off or not st.phases or p.phase in st.phases)
            and ("S4" in off or st.admits(p.sex))
        )

    def lead_ok(self, t_id: str, b: Block, st: SessionType, w: int) -> bool:
        off = self.off
        if not off & {"G3", "T4", "T5", "T6"}:
            return rules.can_lead(self.clinic, t_id, b, st, w)
        t = self.clinic.therapist_by_id[t_id]
        return (
            ("G3" in off or bool(t.credentials & st.credentials))
            and ("G3" in off or st.modality is None or st.modality in t.modalities)
            and ("T6" in off or b.site in t.sites)
            and ("T5" in off or t.available(session_window(b, st)))
            and ("T4" in off or not self.clinic.is_closed(b, w, therapist=t.id))
        )

    def leaders(self, act: Act) -> list[str]:
        if act not in self._lead_cache:
            w, b_id, s_id = act
            b, st = self.blocks[b_id], self.types[s_id]
            self._lead_cache[act] = [
                t.id for t in self.clinic.therapists if self.lead_ok(t.id, b, st, w)
            ]
        return self._lead_cache[act]

    def room_ok(self, room_id: str, b: Block, st: SessionType, w: int) -> bool:
        r = self.clinic.room_by_id[room_id]
        off = self.off
        return (
            ("T6" in off or r.serves(b.site))
            and ("T5" in off or r.available(session_window(b, st)))
            and ("T4" in off or not self.clinic.is_closed(b, w, room=r.id))
            and ("G2" in off or st.room_features <= r.features)
        )

    # ---------------------------------------------------------------- building
    def _build_acts(self) -> None:
        self.acts_by_site: dict[str | None, list[Act]] = defaultdict(list)
        for w in range(self.weeks):
            for b in self.clinic.blocks:
                for st in self.clinic.session_types:
                    fits = b.kind is st.block_kind and st.duration_min <= b.window.minutes
                    if fits or "T3" in self.off:
                        self.windows[(w, b.id, st.id)] = session_window(b, st)
                        self.acts_by_site[b.site].append((w, b.id, st.id))
                        self.acts_by_site[None].append((w, b.id, st.id))

    def _tiers(self, plan: list[Patient]) -> dict[str, int]:
        """0..10 per patient, 10 for the earliest admission date (placement tie-break)."""
        dates = sorted({p.admission for p in plan})
        span = max(len(dates) - 1, 1)
        rank = {d: i for i, d in enumerate(dates)}
        return {p.id: round(10 * (len(dates) - 1 - rank[p.admission]) / span) for p in plan}

    def _build_patients(self) -> None:
        c = self.clinic
        horizon = [
            p for p in c.patients if any(in_treatment_week(c, p, w) for w in range(self.weeks))
        ]
        # P4: a patient admitted too late to owe any session starts later, takes no seat.
        plan = [p for p in horizon if not rules.starts_later(c, p)]
        self.starting_later = [p.id for p in horizon if rules.starts_later(c, p)]
        tiers = self._tiers(plan)
        curriculum = {
            track: [(i.session_type, i.per_week) for i in c.curriculum if i.track is track]
            for track in {p.track for p in plan}
        }
        for p in plan:
            info = PatientInfo(
                patient=p,
                weeks=[],
                group_acts=[],
                single_acts=[],
                continuing=p.is_continuing(c.settings.week_start),
                tier=tiers[p.id],
                blockers=[],
            )
            for w in range(self.weeks):
                if in_treatment_week(c, p, w):
                    info.weeks.append(self._patient_week(p, w, curriculum[p.track], info))
            site = None if "T6" in self.off else p.site
            for w, b_id, s_id in self.acts_by_site.get(site, ()):
                st = self.types[s_id]
                if st.kind in SINGLE_KINDS or not any(pw.week == w for pw in info.weeks):
                    continue
                if self.patient_ok(p, self.blocks[b_id], st, w):
                    info.group_acts.append(((w, b_id, s_id), patient_class(p, st, self.off)))
            self.patients[p.id] = info

    def _patient_week(
        self, p: Patient, w: int, items: list[tuple[str, int]], info: PatientInfo
    ) -> PatientWeek:
        c = self.clinic
        group_items: list[tuple[str, int]] = []
        single_items: list[tuple[list[str], int]] = []
        for s_id, per_week in items:
            st = self.types[s_id]
            # W1: pro rata in a week of admission or discharge; nothing owed is no item.
            per_week = rules.required_sessions(c, p, CurriculumItem(p.track, s_id, per_week), w)
            if per_week == 0:
                continue
            if st.kind is SessionKind.FAMILY:
                continue  # W5: the family cadence decides, not the curriculum
            if st.kind is SessionKind.INDIVIDUAL:
                if "W4" in self.off:
                    continue
                if self.off:
                    slots = [
                        b
                        for b in c.blocks
                        if self.patient_ok(p, b, st, w)
                        and self.lead_ok(p.primary_therapist, b, st, w)
                    ]
                else:
                    slots = rules.individual_slots(self.waivers, p, st, w)
                if slots:  # W4: no slot at all waives the item
                    single_items.append(([s_id], per_week))
            elif st.kind is SessionKind.ASSESSMENT:
                single_items.append(([s_id], per_week))
            else:
                group_items.append((s_id, per_week))
        due = p.family_due(week_monday(c, w)) and "W5" not in self.off
        if due:
            fam = rules.session_types_of_kind(c, p, SessionKind.FAMILY)
            open_fam = [st.id for st in fam if rules.family_slots(self.waivers, p, st, w)]
            if open_fam:
                single_items.append((open_fam, 1))
        return PatientWeek(
            week=w,
            hours=self._week_hours(p, w),
            group_items=group_items,
            single_items=single_items,
            family_due=due,
        )

    def _week_hours(self, p: Patient, w: int) -> rules.WeekHours:
        hours = rules.week_hours(self.clinic, p, w)
        if hours.step_down and "W7" in self.off:
            # Without W7 (tests only) a step-down week is held to the full program.
            s = self.clinic.settings
            full = s.band(p.track)
            target = max(full.min_hours, p.hours_target or 0)
            return rules.WeekHours(False, hours.whole, full, target, s.min_days(p.track))
        return hours

    def _build_class_blocks(self) -> None:
        by_key: dict[GKey, list[str]] = defaultdict(list)
        for pid, info in self.patients.items():
            for (w, b_id, s_id), cls in info.group_acts:
                by_key[(w, b_id, s_id, cls)].append(pid)
        for key in sorted(by_key, key=self._key_order):
            w, b_id, s_id, _ = key
            st = self.types[s_id]
            b = self.blocks[b_id]
            leaders = self.leaders((w, b_id, s_id))
            rooms = self._group_rooms(b, st, w, len(leaders))
            members = by_key[key]
            if not leaders or not rooms:
                continue
            if all(r.virtual for r in rooms) and "G2" not in self.off:
                members = [m for m in members if self.patients[m].patient.telehealth_ok]
            min_size = 1 if "G1" in self.off else st.min_size
            if len(members) < min_size:
                continue
            self.class_blocks[key] = ClassBlock(key, members, rooms, leaders)
        # Drop patient options whose class-block could not be opened.
        for info in self.patients.values():
            info.group_acts = [
                (act, cls)
                for act, cls in info.group_acts
                if (*act, cls) in self.class_blocks
                and info.patient.id in self.class_blocks[(*act, cls)].members
            ]

    def _key_order(self, key: GKey) -> tuple[int, int, int, str]:
        return (key[0], self.block_order[key[1]], self.type_order[key[2]], key[3])

    def _group_rooms(self, b: Block, st: SessionType, w: int, n_leaders: int) -> list[RoomOption]:
        off = self.off
        lo = 1 if "G1" in off else st.min_size
        top = 10_000 if "G1" in off else st.max_size
        out = []
        for r in self.clinic.rooms:
            if not self.room_ok(r.id, b, st, w):
                continue
            cap = top if (r.virtual or "G2" in off) else min(r.capacity, top)
            above = None if "G4" in off else st.cofacilitator_above
            if above is None:
                solo: tuple[int, int] | None = (lo, cap) if cap >= lo else None
                co: tuple[int, int] | None = None
            else:
                solo = (lo, min(above, cap)) if min(above, cap) >= lo else None
                co_lo = max(above + 1, lo)
                co = (co_lo, cap) if cap >= co_lo and n_leaders >= 2 else None
            if solo is None and co is None:
                continue
            out.append(RoomOption(r.id, r.virtual and "G2" not in off, solo, co))
        return out

    def _build_singles(self) -> None:
        c = self.clinic
        for pid, info in self.patients.items():
            p = info.patient
            for pw in info.weeks:
                for type_ids, _ in pw.single_items:
                    for s_id in type_ids:
                        st = self.types[s_id]
                        for b in c.blocks:
                            if b.site != p.site and "T6" not in self.off:
                                continue
                            act = (pw.week, b.id, s_id)
                            if act not in self.windows or not self._single_ok(p, b, st, pw.week):
                                continue
                            slot = self._single_slot(act)
                            if slot is None:
                                continue
                            if not p.telehealth_ok and all(v for _, v in slot.rooms):
                                continue
                            if st.kind is SessionKind.INDIVIDUAL:
                                if p.primary_therapist not in self.leaders(act):
                                    continue
                            elif not slot.leaders:
                                continue
                            slot.candidates.append(pid)
                            info.single_acts.append(act)

    def _single_ok(self, p: Patient, b: Block, st: SessionType, w: int) -> bool:
        if not self.patient_ok(p, b, st, w):
            return False
        if st.kind is SessionKind.FAMILY and "W5" not in self.off:
            return covered(p.family_availability, session_window(b, st))
        return True

    def _single_slot(self, act: Act) -> SingleSlot | None:
        if act in self.singles:
            return self.singles[act]
        w, b_id, s_id = act
        b, st = self.blocks[b_id], self.types[s_id]
        rooms = [
            (r.id, r.virtual and "G2" not in self.off)
            for r in self.clinic.rooms
            if self.room_ok(r.id, b, st, w)
        ]
        if not rooms:
            return None
        leaders = [] if st.kind is SessionKind.INDIVIDUAL else self.leaders(act)
        slot = SingleSlot(act, st.kind, rooms, leaders)
        self.singles[act] = slot
        return slot

    def _build_cliques(self) -> dict[Act, list[int]]:
        """Maximal sets of pairwise-clashing acts (same week and weekday, windows overlap):
        at most one of each clique per patient, therapist and room (T1)."""
        by_day: dict[tuple[int, int], list[Act]] = defaultdict(list)
        for act, win in self.windows.items():
            by_day[(act[0], int(win.weekday))].append(act)
        self.clique_members: list[list[Act]] = []
        member_of: dict[Act, list[int]] = defaultdict(list)
        for day in sorted(by_day):
            acts = by_day[day]
            sets: list[frozenset[Act]] = []
            for x in sorted({self.windows[a].start for a in acts}):
                here = frozenset(
                    a for a in acts if self.windows[a].start <= x < self.windows[a].end
                )
                if here not in sets:
                    sets.append(here)
            maximal = [s for s in sets if not any(s < other for other in sets)]
            for s in maximal:
                idx = len(self.clique_members)
                self.clique_members.append(sorted(s, key=self._act_order))
                for a in s:
                    member_of[a].append(idx)
        return dict(member_of)

    def _act_order(self, act: Act) -> tuple[int, int, int]:
        return (act[0], self.block_order[act[1]], self.type_order[act[2]])

    def locks_for(self, act: Act) -> list[Lock]:
        return [
            lk
            for lk in self.clinic.locks
            if (lk.week, lk.block, lk.session_type) == act and "L1" not in self.off
        ]
