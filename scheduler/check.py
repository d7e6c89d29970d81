"""The rules of docs/RULES.md written again, independently of any solver.

:func:`check_schedule` reads a :class:`~scheduler.domain.Clinic` and a
:class:`~scheduler.schedule.Schedule` and returns every :class:`Violation` it finds, each
naming its RULES.md ID and the sessions, patients, therapists and rooms involved. It is the
executable specification: the model's tests run every schedule through it, and ``solve``
refuses to publish a schedule for which :func:`assert_valid` raises.

Independence: apart from the W4/W5 waiver decisions (``scheduler.rules.individual_slots`` and
``family_slots``, which RULES.md says model and checker share), every rule is derived here
from the records themselves, not from the helpers the model uses.

Privacy: messages name patients by ID only, never by name (DESIGN.md §6, minimum necessary);
they may end up in logs.

Besides the rule IDs of RULES.md, :data:`STRUCTURE` marks a schedule that does not fit the
clinic at all: unknown IDs, duplicate session IDs, a patient listed twice in one session, a
week outside the horizon. Sessions whose block or session type is unknown, or whose week is
outside the horizon, cannot be placed in time and are left out of the other checks; unknown
rooms, therapists and patients are left out of the checks that need their records.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property

from scheduler.domain import (
    Block,
    BlockKind,
    Clinic,
    Closure,
    Patient,
    Room,
    SessionKind,
    SessionType,
    Therapist,
    Window,
    covered,
    format_time,
)
from scheduler.rules import family_slots, individual_slots, required_sessions
from scheduler.schedule import Schedule, Session

STRUCTURE = "STRUCTURE"

#: Every rule ID the checker reports, in the order violations are listed.
RULE_IDS: tuple[str, ...] = (
    STRUCTURE,
    "P1",
    "P2",
    "T1",
    "T2",
    "T3",
    "T4",
    "T5",
    "T6",
    "G1",
    "G2",
    "G3",
    "G4",
    "G5",
    "G6",
    "W1",
    "W2",
    "W3",
    "W4",
    "W5",
    "W6",
    "S1",
    "S2",
    "S3",
    "L1",
)

_EPS = 1e-9  # hours are sums of minutes / 60; compare with a tolerance


@dataclass(frozen=True)
class Violation:
    """One broken rule, in words a coordinator understands (who, what, when)."""

    rule: str  # the RULES.md ID, e.g. "T1", or STRUCTURE
    message: str
    sessions: tuple[str, ...] = ()
    patients: tuple[str, ...] = ()
    therapists: tuple[str, ...] = ()
    rooms: tuple[str, ...] = ()

    def __str__(self) -> str:
        return f"{self.rule}: {self.message}"


class ScheduleRejected(Exception):
    """A schedule breaks the rules; ``violations`` lists every broken rule."""

    def __init__(self, violations: Sequence[Violation]) -> None:
        self.violations = list(violations)
        shown = "\n".join(f"  {v}" for v in self.violations[:20])
        more = len(self.violations) - 20
        tail = f"\n  … and {more} more" if more > 0 else ""
        super().__init__(
            f"the schedule breaks {len(self.violations)} rule(s) and was not published:\n"
            f"{shown}{tail}"
        )


def assert_valid(clinic: Clinic, schedule: Schedule) -> None:
    """Raise :class:`ScheduleRejected` unless the schedule keeps every rule."""
    violations = check_schedule(clinic, schedule)
    if violations:
        raise ScheduleRejected(violations)


def check_schedule(clinic: Clinic, schedule: Schedule) -> list[Violation]:
    """Every violation of docs/RULES.md in ``schedule``, in a deterministic order:
    by rule (:data:`RULE_IDS` order), then by schedule session order / clinic order."""
    view = _View(clinic, schedule)
    out: list[Violation] = []
    for family in _FAMILIES:
        out.extend(family(view))
    order = {rule: i for i, rule in enumerate(RULE_IDS)}
    # A stable sort keeps each family's own order within a rule.
    return sorted(out, key=lambda v: order[v.rule])


# --------------------------------------------------------------------------------------
# The schedule resolved against the clinic.


@dataclass(frozen=True)
class _Resolved:
    """A session whose block and type are known and whose week is in the horizon."""

    session: Session
    block: Block
    kind: SessionType
    room: Room | None  # None: unknown room (reported as STRUCTURE)
    therapists: tuple[Therapist, ...]  # the known ones, each once, lead first
    patients: tuple[Patient, ...]  # the known ones, each once, in listed order
    window: Window
    date: dt.date

    @property
    def id(self) -> str:
        return self.session.id

    @property
    def size(self) -> int:
        return len(self.session.patients)

    def describe(self) -> str:
        """``GT-MON-EVE-1 (GT, Mon 07 Dec 2026 18:00–21:00)``."""
        return f"{self.session.code} ({self.kind.id}, {_when(self)})"


def _when(r: _Resolved) -> str:
    w = r.window
    return f"{r.date:%a %d %b %Y} {format_time(w.start)}–{format_time(w.end)}"


def _unique(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


class _View:
    """Lookups shared by the rule families, built once per check."""

    def __init__(self, clinic: Clinic, schedule: Schedule) -> None:
        self.clinic = clinic
        self.schedule = schedule
        self.settings = clinic.settings
        self.weeks = clinic.settings.weeks

    def week_monday(self, week: int) -> dt.date:
        return self.settings.week_start + dt.timedelta(weeks=week)

    @cached_property
    def first_day(self) -> dt.date:
        return self.settings.week_start

    @cached_property
    def last_day(self) -> dt.date:
        return self.settings.week_start + dt.timedelta(days=7 * self.weeks - 1)

    @cached_property
    def resolved(self) -> tuple[_Resolved, ...]:
        c = self.clinic
        out = []
        for s in self.schedule.sessions:
            block = c.block_by_id.get(s.block)
            kind = c.session_type_by_id.get(s.session_type)
            if block is None or kind is None or not 0 <= s.week < self.weeks:
                continue
            start = block.window.start
            window = Window(block.window.weekday, start, min(start + kind.duration_min, 1440))
            date = self.week_monday(s.week) + dt.timedelta(days=int(block.window.weekday))
            out.append(
                _Resolved(
                    session=s,
                    block=block,
                    kind=kind,
                    room=c.room_by_id.get(s.room),
                    therapists=tuple(
                        c.therapist_by_id[t]
                        for t in _unique(s.therapists)
                        if t in c.therapist_by_id
                    ),
                    patients=tuple(
                        c.patient_by_id[p] for p in _unique(s.patients) if p in c.patient_by_id
                    ),
                    window=window,
                    date=date,
                )
            )
        return tuple(out)

    @cached_property
    def by_patient(self) -> dict[str, list[_Resolved]]:
        out: dict[str, list[_Resolved]] = defaultdict(list)
        for r in self.resolved:
            for p in r.patients:
                out[p.id].append(r)
        return out

    @cached_property
    def by_therapist(self) -> dict[str, list[_Resolved]]:
        out: dict[str, list[_Resolved]] = defaultdict(list)
        for r in self.resolved:
            for t in r.therapists:
                out[t.id].append(r)
        return out

    @cached_property
    def by_room(self) -> dict[str, list[_Resolved]]:
        out: dict[str, list[_Resolved]] = defaultdict(list)
        for r in self.resolved:
            if r.room is not None:
                out[r.room.id].append(r)
        return out

    @cached_property
    def placed(self) -> frozenset[str]:
        """Known patients listed in at least one session of the schedule (any session)."""
        known = self.clinic.patient_by_id
        return frozenset(p for s in self.schedule.sessions for p in s.patients if p in known)

    def in_plan(self, p: Patient) -> bool:
        """Some date of the horizon lies in admission..discharge."""
        return p.admission <= self.last_day and p.discharge >= self.first_day

    def in_treatment_week(self, p: Patient, week: int) -> bool:
        """Some date of the week lies in admission..discharge."""
        monday = self.week_monday(week)
        return p.admission <= monday + dt.timedelta(days=6) and p.discharge >= monday

    def minimum_binds(self, p: Patient, week: int) -> bool:
        """W2/W3 minimums bind: in treatment the whole Mon–Sun week and not stepping down."""
        monday = self.week_monday(week)
        whole_week = p.admission <= monday and p.discharge >= monday + dt.timedelta(days=6)
        return whole_week and not p.is_stepping_down(monday)

    def patient_week(self, patient_id: str, week: int) -> list[_Resolved]:
        return [r for r in self.by_patient.get(patient_id, ()) if r.session.week == week]

    def placed_patient_weeks(self) -> Iterator[tuple[Patient, int]]:
        """(patient, week) for every placed patient and week they are in treatment."""
        for p in self.clinic.patients:
            if p.id not in self.placed:
                continue
            for week in range(self.weeks):
                if self.in_treatment_week(p, week):
                    yield p, week


# --------------------------------------------------------------------------------------
# Structure: the schedule refers to the clinic it claims to schedule.


def _check_structure(v: _View) -> Iterator[Violation]:
    """Unknown IDs, duplicate session IDs, repeated patients, weeks outside the horizon."""
    c, sch = v.clinic, v.schedule
    if sch.week_start != v.settings.week_start or sch.weeks != v.weeks:
        yield Violation(
            STRUCTURE,
            f"The schedule covers {sch.weeks} week(s) from {sch.week_start}, but the clinic "
            f"plans {v.weeks} week(s) from {v.settings.week_start}.",
        )
    seen: set[str] = set()
    for s in sch.sessions:
        where = f"Session {s.id} ({s.code})"
        if s.id in seen:
            yield Violation(STRUCTURE, f"Session ID {s.id} is used twice.", sessions=(s.id,))
        seen.add(s.id)
        if not 0 <= s.week < v.weeks:
            yield Violation(
                STRUCTURE,
                f"{where} is in week {s.week}, outside the {v.weeks}-week horizon.",
                sessions=(s.id,),
            )
        unknown: list[tuple[str, str, dict[str, tuple[str, ...]]]] = []
        if s.block not in c.block_by_id:
            unknown.append(("block", s.block, {}))
        if s.session_type not in c.session_type_by_id:
            unknown.append(("session type", s.session_type, {}))
        if s.room not in c.room_by_id:
            unknown.append(("room", s.room, {"rooms": (s.room,)}))
        for t in _unique(s.therapists):
            if t not in c.therapist_by_id:
                unknown.append(("therapist", t, {"therapists": (t,)}))
        for p in _unique(s.patients):
            if p not in c.patient_by_id:
                unknown.append(("patient", p, {"patients": (p,)}))
        for what, ident, entities in unknown:
            yield Violation(
                STRUCTURE,
                f"{where} names {what} {ident!r}, which the clinic does not have.",
                sessions=(s.id,),
                **entities,
            )
        for p in _unique(p for p in s.patients if s.patients.count(p) > 1):
            yield Violation(
                STRUCTURE,
                f"{where} lists patient {p} more than once.",
                sessions=(s.id,),
                patients=(p,),
            )
    listed: set[str] = set()
    for u in sch.unplaced:
        if u.patient not in c.patient_by_id:
            yield Violation(
                STRUCTURE,
                f"The unplaced list names patient {u.patient!r}, whom the clinic does not have.",
                patients=(u.patient,),
            )
        if u.patient in listed:
            yield Violation(
                STRUCTURE,
                f"Patient {u.patient} is listed as unplaced more than once.",
                patients=(u.patient,),
            )
        listed.add(u.patient)


# --------------------------------------------------------------------------------------
# Placement.


def _check_placement(v: _View) -> Iterator[Violation]:
    """P1: every patient in the plan is placed or unplaced with a reason, never both;
    a patient not in the plan is neither."""
    reasons: dict[str, list[str]] = defaultdict(list)
    for u in v.schedule.unplaced:
        reasons[u.patient].append(u.reason)
    for p in v.clinic.patients:
        placed = p.id in v.placed
        listed = p.id in reasons
        who = (p.id,)
        if not v.in_plan(p):
            if placed:
                yield Violation(
                    "P1",
                    f"Patient {p.id} is not in treatment during this plan "
                    f"({p.admission}–{p.discharge}) but attends sessions.",
                    patients=who,
                )
            if listed:
                yield Violation(
                    "P1",
                    f"Patient {p.id} is not in treatment during this plan "
                    f"({p.admission}–{p.discharge}) but is listed as unplaced.",
                    patients=who,
                )
            continue
        if placed and listed:
            yield Violation(
                "P1",
                f"Patient {p.id} attends sessions and is also listed as unplaced.",
                patients=who,
            )
        if not placed and not listed:
            yield Violation(
                "P1",
                f"Patient {p.id} is in treatment but neither attends a session nor is listed "
                "as unplaced with a reason.",
                patients=who,
            )
        if listed and any(not reason.strip() for reason in reasons[p.id]):
            yield Violation(
                "P1", f"Patient {p.id} is listed as unplaced without a reason.", patients=who
            )


def _check_treatment_dates(v: _View) -> Iterator[Violation]:
    """P2: a patient attends only on dates inside admission..discharge."""
    for r in v.resolved:
        for p in r.patients:
            if not p.admission <= r.date <= p.discharge:
                yield Violation(
                    "P2",
                    f"Patient {p.id} attends {r.describe()} outside treatment "
                    f"({p.admission} to {p.discharge}).",
                    sessions=(r.id,),
                    patients=(p.id,),
                )


# --------------------------------------------------------------------------------------
# Time and place.


def _clashes(sessions: Iterable[_Resolved]) -> Iterator[tuple[_Resolved, _Resolved]]:
    """Pairs of sessions in the same week whose windows overlap, in schedule order."""
    by_day: dict[tuple[int, int], list[_Resolved]] = defaultdict(list)
    for r in sessions:
        by_day[(r.session.week, int(r.window.weekday))].append(r)
    for day in sorted(by_day):
        items = by_day[day]
        for i, a in enumerate(items):
            for b in items[i + 1 :]:
                if a.window.start < b.window.end and b.window.start < a.window.end:
                    yield a, b


def _check_double_booking(v: _View) -> Iterator[Violation]:
    """T1: no patient, therapist or room (virtual rooms included) in two clashing sessions."""
    entities: list[tuple[str, str, dict[str, list[_Resolved]]]] = [
        ("Patient", "patients", v.by_patient),
        ("Therapist", "therapists", v.by_therapist),
        ("Room", "rooms", v.by_room),
    ]
    for label, field_name, table in entities:
        for ident in sorted(table):
            for a, b in _clashes(table[ident]):
                entity: dict[str, tuple[str, ...]] = {field_name: (ident,)}
                yield Violation(
                    "T1",
                    f"{label} {ident} is booked twice at once: {a.describe()} and {b.describe()}.",
                    sessions=(a.id, b.id),
                    **entity,
                )


def _check_travel_buffer(v: _View) -> Iterator[Violation]:
    """T2: no commitment of the patient within the travel buffer of a session."""
    buffer = v.settings.travel_buffer_min
    for r in v.resolved:
        for p in r.patients:
            for c in p.commitments:
                w = c.window
                if (
                    w.weekday == r.window.weekday
                    and w.start < r.window.end + buffer
                    and r.window.start < w.end + buffer
                ):
                    yield Violation(
                        "T2",
                        f"Patient {p.id} has {c.kind} {w}, within {buffer} minutes of "
                        f"{r.describe()}.",
                        sessions=(r.id,),
                        patients=(p.id,),
                    )


def _check_blocks(v: _View) -> Iterator[Violation]:
    """T3: the block has the type's block kind and the type's duration fits in it."""
    for r in v.resolved:
        if r.block.kind is not r.kind.block_kind:
            yield Violation(
                "T3",
                f"{r.describe()} is a {r.kind.block_kind} session but block {r.block.id} "
                f"is a {r.block.kind} block.",
                sessions=(r.id,),
            )
        if r.kind.duration_min > r.block.window.minutes:
            yield Violation(
                "T3",
                f"{r.describe()} lasts {r.kind.duration_min} minutes but block {r.block.id} "
                f"is only {r.block.window.minutes} minutes long.",
                sessions=(r.id,),
            )


def _closures_on(v: _View, r: _Resolved) -> list[Closure]:
    """Closures dated on the session's date that cover its block and site."""
    return [
        c
        for c in v.clinic.closures
        if c.date == r.date
        and (c.block is None or c.block == r.block.id)
        and (c.site is None or c.site == r.block.site)
    ]


def _note(c: Closure) -> str:
    return f" ({c.note})" if c.note.strip() else ""


def _check_closures(v: _View) -> Iterator[Violation]:
    """T4: nothing in a block closed for the clinic or site, in a closed room, or led by a
    therapist who is off."""
    for r in v.resolved:
        closures = _closures_on(v, r)
        whole = [c for c in closures if c.room is None and c.therapist is None]
        if whole:
            yield Violation(
                "T4",
                f"{r.describe()} is in block {r.block.id}, closed that day{_note(whole[0])}.",
                sessions=(r.id,),
            )
            continue  # a closed block closes its rooms and staff; say it once
        if r.room is not None:
            room_off = [c for c in closures if c.room == r.room.id and c.therapist is None]
            if room_off:
                yield Violation(
                    "T4",
                    f"{r.describe()} is in room {r.room.id}, closed that day{_note(room_off[0])}.",
                    sessions=(r.id,),
                    rooms=(r.room.id,),
                )
        for t in r.therapists:
            off = [c for c in closures if c.therapist == t.id and c.room is None]
            if off:
                yield Violation(
                    "T4",
                    f"Therapist {t.id} is off that day{_note(off[0])} but leads {r.describe()}.",
                    sessions=(r.id,),
                    therapists=(t.id,),
                )


def _check_availability(v: _View) -> Iterator[Violation]:
    """T5: every therapist and the room are available for the whole window."""
    for r in v.resolved:
        for t in r.therapists:
            if not covered(t.availability, r.window):
                yield Violation(
                    "T5",
                    f"Therapist {t.id} is not available for the whole of {r.describe()}.",
                    sessions=(r.id,),
                    therapists=(t.id,),
                )
        room = r.room
        if room is not None and room.availability and not covered(room.availability, r.window):
            yield Violation(
                "T5",
                f"Room {room.id} is not available for the whole of {r.describe()}.",
                sessions=(r.id,),
                rooms=(room.id,),
            )


def _check_sites(v: _View) -> Iterator[Violation]:
    """T6: patients, room and therapists belong to the block's site; a therapist works at
    one site per date."""
    for r in v.resolved:
        site = r.block.site
        for p in r.patients:
            if p.site != site:
                yield Violation(
                    "T6",
                    f"Patient {p.id} belongs to site {p.site} but attends {r.describe()} "
                    f"at site {site}.",
                    sessions=(r.id,),
                    patients=(p.id,),
                )
        room = r.room
        if room is not None and not room.virtual and room.site != site:
            yield Violation(
                "T6",
                f"Room {room.id} is at site {room.site}, not at site {site} where "
                f"{r.describe()} is held.",
                sessions=(r.id,),
                rooms=(room.id,),
            )
        for t in r.therapists:
            if site not in t.sites:
                yield Violation(
                    "T6",
                    f"Therapist {t.id} does not work at site {site} but leads {r.describe()}.",
                    sessions=(r.id,),
                    therapists=(t.id,),
                )
    for t_id in sorted(v.by_therapist):
        by_date: dict[dt.date, list[_Resolved]] = defaultdict(list)
        for r in v.by_therapist[t_id]:
            by_date[r.date].append(r)
        for date in sorted(by_date):
            sites = sorted({r.block.site for r in by_date[date]})
            if len(sites) > 1:
                yield Violation(
                    "T6",
                    f"Therapist {t_id} works at {len(sites)} sites on {date:%a %d %b %Y} "
                    f"({', '.join(sites)}); one site per day.",
                    sessions=tuple(r.id for r in by_date[date]),
                    therapists=(t_id,),
                )


# --------------------------------------------------------------------------------------
# Groups, rooms and staff.


def _check_size(v: _View) -> Iterator[Violation]:
    """G1: min_size <= number of patients <= max_size."""
    for r in v.resolved:
        lo, hi = r.kind.min_size, r.kind.max_size
        if not lo <= r.size <= hi:
            yield Violation(
                "G1",
                f"{r.describe()} has {r.size} patient(s); {r.kind.id} needs {lo} to {hi}.",
                sessions=(r.id,),
                patients=tuple(p.id for p in r.patients),
            )


def _check_rooms(v: _View) -> Iterator[Violation]:
    """G2: a physical room seats the group and has the features; a virtual room only if
    every patient accepts telehealth."""
    for r in v.resolved:
        room = r.room
        if room is None:
            continue
        rid = (room.id,)
        if not room.virtual and r.size > room.capacity:
            yield Violation(
                "G2",
                f"Room {room.id} seats {room.capacity} but {r.describe()} has {r.size} patients.",
                sessions=(r.id,),
                rooms=rid,
            )
        missing = sorted(r.kind.room_features - room.features)
        if missing:
            yield Violation(
                "G2",
                f"Room {room.id} lacks {', '.join(missing)}, needed by {r.describe()}.",
                sessions=(r.id,),
                rooms=rid,
            )
        if room.virtual:
            no_tele = tuple(p.id for p in r.patients if not p.telehealth_ok)
            if no_tele:
                yield Violation(
                    "G2",
                    f"{r.describe()} is held online in {room.id} but patient(s) "
                    f"{', '.join(no_tele)} have not agreed to telehealth.",
                    sessions=(r.id,),
                    patients=no_tele,
                    rooms=rid,
                )


def _check_credentials(v: _View) -> Iterator[Violation]:
    """G3: each therapist holds one of the type's credentials and its modality, if set."""
    for r in v.resolved:
        for t in r.therapists:
            if not t.credentials & r.kind.credentials:
                yield Violation(
                    "G3",
                    f"Therapist {t.id} ({', '.join(sorted(t.credentials))}) lacks a credential "
                    f"for {r.describe()} (needs one of "
                    f"{', '.join(sorted(r.kind.credentials))}).",
                    sessions=(r.id,),
                    therapists=(t.id,),
                )
            if r.kind.modality is not None and r.kind.modality not in t.modalities:
                yield Violation(
                    "G3",
                    f"Therapist {t.id} does not practise {r.kind.modality}, needed by "
                    f"{r.describe()}.",
                    sessions=(r.id,),
                    therapists=(t.id,),
                )


def _check_cofacilitation(v: _View) -> Iterator[Violation]:
    """G4: one leader, two above ``cofacilitator_above``; no therapist twice."""
    for r in v.resolved:
        listed = r.session.therapists
        need = (
            2
            if r.kind.cofacilitator_above is not None and r.size > r.kind.cofacilitator_above
            else 1
        )
        if len(listed) != need:
            yield Violation(
                "G4",
                f"{r.describe()} with {r.size} patient(s) needs {need} therapist(s) but has "
                f"{len(listed)}.",
                sessions=(r.id,),
                therapists=_unique(listed),
            )
        twice = _unique(t for t in listed if listed.count(t) > 1)
        if twice:
            yield Violation(
                "G4",
                f"{r.describe()} lists therapist {', '.join(twice)} twice.",
                sessions=(r.id,),
                therapists=twice,
            )


def _check_hours(v: _View) -> Iterator[Violation]:
    """G5: a therapist's session hours are within max_hours_week and max_hours_day."""
    for t in v.clinic.therapists:
        sessions = v.by_therapist.get(t.id, [])
        for week in range(v.weeks):
            in_week = [r for r in sessions if r.session.week == week]
            hours = sum(r.kind.duration_min for r in in_week) / 60
            if hours > t.max_hours_week + _EPS:
                yield Violation(
                    "G5",
                    f"Therapist {t.id} leads {hours:g} hours in the week of "
                    f"{v.week_monday(week)}; the limit is {t.max_hours_week:g}.",
                    sessions=tuple(r.id for r in in_week),
                    therapists=(t.id,),
                )
            by_date: dict[dt.date, list[_Resolved]] = defaultdict(list)
            for r in in_week:
                by_date[r.date].append(r)
            for date in sorted(by_date):
                day_hours = sum(r.kind.duration_min for r in by_date[date]) / 60
                if day_hours > t.max_hours_day + _EPS:
                    yield Violation(
                        "G5",
                        f"Therapist {t.id} leads {day_hours:g} hours on {date:%a %d %b %Y}; "
                        f"the limit is {t.max_hours_day:g}.",
                        sessions=tuple(r.id for r in by_date[date]),
                        therapists=(t.id,),
                    )


def _check_caseload(v: _View) -> Iterator[Violation]:
    """G6: placed patients per primary therapist are at most the caseload cap."""
    for t in v.clinic.therapists:
        case = tuple(
            p.id for p in v.clinic.patients if p.primary_therapist == t.id and p.id in v.placed
        )
        if len(case) > t.caseload_cap:
            yield Violation(
                "G6",
                f"Therapist {t.id} is primary therapist of {len(case)} placed patients; "
                f"the caseload cap is {t.caseload_cap}.",
                patients=case,
                therapists=(t.id,),
            )


# --------------------------------------------------------------------------------------
# Each placed patient's week.


def _week_label(v: _View, week: int) -> str:
    return f"the week of {v.week_monday(week):%d %b %Y}"


def _check_curriculum(v: _View) -> Iterator[Violation]:
    """W1: each curriculum item of the track is met every week in treatment; extra
    sessions are groups only.

    Items of kind INDIVIDUAL are counted under W4 (which knows their waiver) and items of
    kind FAMILY under W5 (the family cadence decides). A type not open to the patient's
    track is reported under S1, which spells that out.
    """
    types = v.clinic.session_type_by_id
    for p, week in v.placed_patient_weeks():
        attended = v.patient_week(p.id, week)
        count: dict[str, int] = defaultdict(int)
        for r in attended:
            count[r.kind.id] += 1
        items = {i.session_type: i for i in v.clinic.curriculum if i.track is p.track}
        for item in items.values():
            kind = types[item.session_type]
            if kind.kind in (SessionKind.INDIVIDUAL, SessionKind.FAMILY):
                continue
            needed = required_sessions(v.clinic, p, item, week)
            if count[kind.id] < needed:
                yield Violation(
                    "W1",
                    f"Patient {p.id} attends {count[kind.id]} {kind.id} session(s) in "
                    f"{_week_label(v, week)}; the {p.track} curriculum asks for "
                    f"{needed}.",
                    sessions=tuple(r.id for r in attended if r.kind.id == kind.id),
                    patients=(p.id,),
                )
        for type_id in sorted(count):
            kind = types[type_id]
            if kind.is_group or kind.kind is SessionKind.FAMILY:
                continue
            allowed = items[type_id].per_week if type_id in items else 0
            if count[type_id] > allowed:
                yield Violation(
                    "W1",
                    f"Patient {p.id} attends {count[type_id]} {type_id} session(s) in "
                    f"{_week_label(v, week)}; the {p.track} curriculum asks for {allowed} "
                    "(only group sessions may be added).",
                    sessions=tuple(r.id for r in attended if r.kind.id == type_id),
                    patients=(p.id,),
                )


def _check_hours_band(v: _View) -> Iterator[Violation]:
    """W2: weekly hours within the track's band; the minimum (raised to hours_target)
    binds only for a whole week in treatment when not stepping down."""
    for p, week in v.placed_patient_weeks():
        attended = v.patient_week(p.id, week)
        counted = [r for r in attended if r.kind.counts_toward_hours]
        hours = sum(r.kind.duration_min for r in counted) / 60
        band = v.settings.band(p.track)
        ids = tuple(r.id for r in counted)
        if hours > band.max_hours + _EPS:
            yield Violation(
                "W2",
                f"Patient {p.id} has {hours:g} treatment hours in {_week_label(v, week)}; "
                f"the {p.track} maximum is {band.max_hours:g}.",
                sessions=ids,
                patients=(p.id,),
            )
        minimum = max(band.min_hours, p.hours_target or 0)
        if v.minimum_binds(p, week) and hours < minimum - _EPS:
            yield Violation(
                "W2",
                f"Patient {p.id} has {hours:g} treatment hours in {_week_label(v, week)}; "
                f"at least {minimum:g} are needed.",
                sessions=ids,
                patients=(p.id,),
            )


def _check_shape(v: _View) -> Iterator[Violation]:
    """W3: at most max_group_blocks_per_day group sessions a date; group sessions on at
    least min_days(track) dates when W2's minimum binds."""
    cap = v.settings.max_group_blocks_per_day
    for p, week in v.placed_patient_weeks():
        groups = [r for r in v.patient_week(p.id, week) if r.kind.block_kind is BlockKind.GROUP]
        by_date: dict[dt.date, list[_Resolved]] = defaultdict(list)
        for r in groups:
            by_date[r.date].append(r)
        for date in sorted(by_date):
            if len(by_date[date]) > cap:
                yield Violation(
                    "W3",
                    f"Patient {p.id} has {len(by_date[date])} group sessions on "
                    f"{date:%a %d %b %Y}; at most {cap} a day.",
                    sessions=tuple(r.id for r in by_date[date]),
                    patients=(p.id,),
                )
        need = v.settings.min_days(p.track)
        if v.minimum_binds(p, week) and len(by_date) < need:
            yield Violation(
                "W3",
                f"Patient {p.id} has group sessions on {len(by_date)} day(s) in "
                f"{_week_label(v, week)}; at least {need} are needed.",
                sessions=tuple(r.id for r in groups),
                patients=(p.id,),
            )


def _check_individual(v: _View) -> Iterator[Violation]:
    """W4: individual sessions are led by the primary therapist; the INDIVIDUAL curriculum
    items are met unless waived (no slot: scheduler.rules.individual_slots)."""
    for r in v.resolved:
        if r.kind.kind is not SessionKind.INDIVIDUAL:
            continue
        lead = r.session.therapists[:1]
        for p in r.patients:
            if lead != (p.primary_therapist,):
                yield Violation(
                    "W4",
                    f"{r.describe()} for patient {p.id} is led by "
                    f"{lead[0] if lead else 'nobody'}, not by their primary therapist "
                    f"{p.primary_therapist}.",
                    sessions=(r.id,),
                    patients=(p.id,),
                    therapists=_unique((*lead, p.primary_therapist)),
                )
    types = v.clinic.session_type_by_id
    for p, week in v.placed_patient_weeks():
        for item in v.clinic.curriculum:
            kind = types[item.session_type]
            if item.track is not p.track or kind.kind is not SessionKind.INDIVIDUAL:
                continue
            held = [r for r in v.patient_week(p.id, week) if r.kind.id == kind.id]
            needed = required_sessions(v.clinic, p, item, week)
            if len(held) >= needed:
                continue
            if not individual_slots(v.clinic, p, kind, week):
                continue  # waived: no slot where patient and primary therapist could meet
            yield Violation(
                "W4",
                f"Patient {p.id} has {len(held)} {kind.id} session(s) with their primary "
                f"therapist {p.primary_therapist} in {_week_label(v, week)}; "
                f"{needed} needed.",
                sessions=tuple(r.id for r in held),
                patients=(p.id,),
                therapists=(p.primary_therapist,),
            )


def _check_family(v: _View) -> Iterator[Violation]:
    """W5: one family session in a week the family is due (unless no slot:
    scheduler.rules.family_slots), inside the family's availability; none otherwise."""
    family_types = [st for st in v.clinic.session_types if st.kind is SessionKind.FAMILY]
    for p, week in v.placed_patient_weeks():
        held = [r for r in v.patient_week(p.id, week) if r.kind.kind is SessionKind.FAMILY]
        ids = tuple(r.id for r in held)
        label = _week_label(v, week)
        for r in held:
            if not covered(p.family_availability, r.window):
                yield Violation(
                    "W5",
                    f"Family session {r.describe()} for patient {p.id} is outside the "
                    "family's availability.",
                    sessions=(r.id,),
                    patients=(p.id,),
                )
        if not p.family_due(v.week_monday(week)):
            if held:
                yield Violation(
                    "W5",
                    f"Patient {p.id} has a family session in {label}, but no family session "
                    "is due that week.",
                    sessions=ids,
                    patients=(p.id,),
                )
            continue
        if len(held) > 1:
            yield Violation(
                "W5",
                f"Patient {p.id} has {len(held)} family sessions in {label}; one is due.",
                sessions=ids,
                patients=(p.id,),
            )
        elif not held:
            open_types = [st for st in family_types if p.track in st.tracks]
            if any(family_slots(v.clinic, p, st, week) for st in open_types):
                yield Violation(
                    "W5",
                    f"Patient {p.id} has no family session in {label}, though one is due "
                    "and the family is available.",
                    patients=(p.id,),
                )


def _check_one_patient(v: _View) -> Iterator[Violation]:
    """W6: individual and family sessions hold exactly one patient."""
    for r in v.resolved:
        if r.kind.kind in (SessionKind.INDIVIDUAL, SessionKind.FAMILY) and r.size > 1:
            yield Violation(
                "W6",
                f"{r.describe()} is a {r.kind.kind} session shared by {r.size} patients.",
                sessions=(r.id,),
                patients=tuple(p.id for p in r.patients),
            )


# --------------------------------------------------------------------------------------
# Separation.


def _check_tracks(v: _View) -> Iterator[Violation]:
    """S1: one track per session (adolescents never with adults), open to the type."""
    for r in v.resolved:
        tracks = sorted({p.track for p in r.patients})
        if len(tracks) > 1:
            yield Violation(
                "S1",
                f"{r.describe()} mixes {' and '.join(tracks)} patients.",
                sessions=(r.id,),
                patients=tuple(p.id for p in r.patients),
            )
        closed = tuple(p.id for p in r.patients if p.track not in r.kind.tracks)
        if closed:
            yield Violation(
                "S1",
                f"{r.describe()} is open to {', '.join(sorted(r.kind.tracks))} patients only, "
                f"but patient(s) {', '.join(closed)} attend.",
                sessions=(r.id,),
                patients=closed,
            )


def _check_sex(v: _View) -> Iterator[Violation]:
    """S2: a single-sex session holds patients of one sex."""
    for r in v.resolved:
        sexes = sorted({p.sex for p in r.patients})
        if r.kind.single_sex and len(sexes) > 1:
            yield Violation(
                "S2",
                f"{r.describe()} is single-sex but has {' and '.join(sexes)} patients.",
                sessions=(r.id,),
                patients=tuple(p.id for p in r.patients),
            )


def _check_phases(v: _View) -> Iterator[Violation]:
    """S3: a phase-restricted session holds only patients in those phases."""
    for r in v.resolved:
        if not r.kind.phases:
            continue
        wrong = tuple(p.id for p in r.patients if p.phase not in r.kind.phases)
        if wrong:
            yield Violation(
                "S3",
                f"{r.describe()} is for {', '.join(sorted(r.kind.phases))}-phase patients, "
                f"but patient(s) {', '.join(wrong)} are in another phase.",
                sessions=(r.id,),
                patients=wrong,
            )


# --------------------------------------------------------------------------------------
# Locks.


def _check_locks(v: _View) -> Iterator[Violation]:
    """L1: each lock has its session (week, block, type) with its patient, therapist and
    room."""
    for lk in v.clinic.locks:
        honoured = any(
            s.week == lk.week
            and s.block == lk.block
            and s.session_type == lk.session_type
            and (lk.patient is None or lk.patient in s.patients)
            and (lk.therapist is None or lk.therapist in s.therapists)
            and (lk.room is None or lk.room == s.room)
            for s in v.schedule.sessions
        )
        if honoured:
            continue
        pinned = [
            f"{what} {ident}"
            for what, ident in (
                ("patient", lk.patient),
                ("therapist", lk.therapist),
                ("room", lk.room),
            )
            if ident is not None
        ]
        yield Violation(
            "L1",
            f"Lock {lk.id} is not kept: no {lk.session_type} session in block {lk.block} "
            f"in {_week_label(v, lk.week)} with {', '.join(pinned)}.",
            patients=(lk.patient,) if lk.patient else (),
            therapists=(lk.therapist,) if lk.therapist else (),
            rooms=(lk.room,) if lk.room else (),
        )


_FAMILIES: tuple[Callable[[_View], Iterator[Violation]], ...] = (
    _check_structure,
    _check_placement,
    _check_treatment_dates,
    _check_double_booking,
    _check_travel_buffer,
    _check_blocks,
    _check_closures,
    _check_availability,
    _check_sites,
    _check_size,
    _check_rooms,
    _check_credentials,
    _check_cofacilitation,
    _check_hours,
    _check_caseload,
    _check_curriculum,
    _check_hours_band,
    _check_shape,
    _check_individual,
    _check_family,
    _check_one_patient,
    _check_tracks,
    _check_sex,
    _check_phases,
    _check_locks,
)

__all__ = [
    "RULE_IDS",
    "STRUCTURE",
    "ScheduleRejected",
    "Violation",
    "assert_valid",
    "check_schedule",
]
