"""What changed since the last published schedule: the calls a coordinator must make.

:func:`compare` sets a new schedule beside the previous one, week by week: each new week is
compared with the previous week it repeats (:func:`scheduler.previous.references`, the one
definition of "the same appointment" the model's minimal-change term uses too). Per patient
and per therapist it lists every appointment that moved (other weekday or time), was added,
was cancelled, or got a new room or a new leader, with the old and the new values; who is
new, who was discharged and who lost their place.

Matching, per person and week, most specific first: the same group (lineage), then the
same session type at the same time (another group of that type, same slot), then the same
session type at another time (the appointment moved). What is left is cancelled or added.
A therapist's session that goes on with another leader is "new leader" for both of them.

A change is *forced* when the previous appointment cannot exist any more in the new week:
its block, session type, room or leader is gone, closed or unavailable that day, the room
no longer seats the group, or — for a patient — they are discharged, stepping down, not in
treatment that day, no longer fit the group (phase, track) or have a commitment then. The
reasons name what the clinic data says. Every other change is *unforced*: those are the
ones the minimal-change term should drive to zero.

Pure: no I/O, no solver; the exports and the summary render the report.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from scheduler import rules
from scheduler.domain import Block, Clinic, Patient, SessionKind, SessionType, format_time
from scheduler.previous import references, week_monday
from scheduler.schedule import Schedule, Session, session_window


class ChangeKind(StrEnum):
    MOVED = "moved"  # same appointment, other weekday or time
    NEW_ROOM = "new room"
    NEW_LEADER = "new leader"
    ADDED = "added"
    CANCELLED = "cancelled"


class Who(StrEnum):
    PATIENT = "patient"
    THERAPIST = "therapist"


@dataclass(frozen=True)
class Appointment:
    """One side of a change, dated in the new week (a previous appointment is shown on the
    date it would have had: the weekly pattern goes on)."""

    date: dt.date
    start: str  # "18:00"
    end: str
    session_type: str
    code: str
    lineage: str
    room: str  # room ID
    leaders: tuple[str, ...]  # therapist IDs, lead first


@dataclass(frozen=True)
class AppointmentChange:
    """One call to make: a patient's or a therapist's appointment in week ``week`` (0-based,
    of the new horizon) changed in the ``kinds`` said; ``reasons`` say why it had to
    (empty: unforced)."""

    who: Who
    person: str  # patient or therapist ID
    week: int
    kinds: tuple[ChangeKind, ...]
    old: Appointment | None
    new: Appointment | None
    reasons: tuple[str, ...] = ()

    @property
    def forced(self) -> bool:
        return bool(self.reasons)

    @property
    def kind_text(self) -> str:
        return " + ".join(self.kinds)


@dataclass(frozen=True)
class PatientNote:
    """A patient who is new, was discharged or lost their place, and what to say."""

    patient: str
    note: str


@dataclass(frozen=True)
class WeekCount:
    """Appointments of continuing patients changed in one new week (the benchmark's figure)."""

    week: int
    monday: dt.date
    changed: int
    forced: int

    @property
    def unforced(self) -> int:
        return self.changed - self.forced


@dataclass(frozen=True)
class ChangeCounts:
    appointments: int  # changed appointments, patients' and therapists'
    patients: int  # patients with at least one changed appointment
    therapists: int
    forced: int
    new_patients: int
    discharged: int
    lost_place: int

    @property
    def unforced(self) -> int:
        return self.appointments - self.forced


@dataclass(frozen=True)
class ChangeReport:
    changes: tuple[AppointmentChange, ...]  # patients first, then therapists; by person, date
    new_patients: tuple[PatientNote, ...]
    discharged: tuple[PatientNote, ...]
    lost_place: tuple[PatientNote, ...]
    per_week: tuple[WeekCount, ...]  # every new week that repeats a previous one

    @property
    def counts(self) -> ChangeCounts:
        return ChangeCounts(
            appointments=len(self.changes),
            patients=len({c.person for c in self.changes if c.who is Who.PATIENT}),
            therapists=len({c.person for c in self.changes if c.who is Who.THERAPIST}),
            forced=sum(c.forced for c in self.changes),
            new_patients=len(self.new_patients),
            discharged=len(self.discharged),
            lost_place=len(self.lost_place),
        )

    @property
    def empty(self) -> bool:
        return not (self.changes or self.new_patients or self.discharged or self.lost_place)


# --------------------------------------------------------------------------------------
# Why a previous appointment cannot exist in the new week.


class _Obstacles:
    """The reasons, from the new clinic's data, that a previous session cannot be held as
    it was on a given date (``week`` of the new horizon)."""

    def __init__(self, clinic: Clinic, schedule: Schedule) -> None:
        self.clinic = clinic
        self.schedule = schedule

    def _clinic_week(self, week: int) -> int:
        # Closures are dated; the clinic counts weeks from its own start.
        monday = week_monday(self.schedule.week_start, week)
        return (monday - self.clinic.settings.week_start).days // 7

    def taken(self, s: Session, week: int, news: Sequence[Session]) -> list[str]:
        """Why the old session's room or leaders are no longer its own, in the new week as
        solved: another session of the new timetable (one the change forced, as a rule:
        the minimal-change stage moves an undisturbed session only when it must) now holds
        the room or the leader at that time. A chain of changes, each named."""
        c = self.clinic
        block = c.block_by_id.get(s.block)
        kind = c.session_type_by_id.get(s.session_type)
        if block is None or kind is None:
            return []
        window = session_window(block, kind)
        out = []
        for other in news:
            if other.lineage_id == s.lineage_id:
                continue
            ob = c.block_by_id.get(other.block)
            ok = c.session_type_by_id.get(other.session_type)
            if ob is None or ok is None or not session_window(ob, ok).overlaps(window):
                continue
            room = c.room_by_id.get(s.room)
            if other.room == s.room and room is not None and not room.virtual:
                out.append(f"its room now holds {other.code} then")
            out += [
                f"{t} now leads {other.code} then" for t in s.therapists if t in other.therapists
            ]
        return out

    def session(self, s: Session, week: int) -> list[str]:
        c = self.clinic
        block = c.block_by_id.get(s.block)
        kind = c.session_type_by_id.get(s.session_type)
        if block is None:
            return [f"block {s.block} no longer exists"]
        if kind is None:
            return [f"session type {s.session_type} is no longer offered"]
        cw = self._clinic_week(week)
        day = _date(self.schedule, week, block)
        if c.is_closed(block, cw):
            return [f"{block.id} is closed on {day}"]
        out = []
        window = session_window(block, kind)
        room = c.room_by_id.get(s.room)
        if room is None:
            out.append(f"room {s.room} no longer exists")
        elif c.is_closed(block, cw, room=room.id):
            out.append(f"{room.name} is closed on {day}")
        elif not room.available(window):
            out.append(f"{room.name} is not open {format_time(window.start)} on {day:%a}")
        elif not room.virtual and room.capacity < len(s.patients):
            out.append(f"{room.name} now seats {room.capacity}")
        for t in s.therapists:
            therapist = c.therapist_by_id.get(t)
            if therapist is None:
                out.append(f"therapist {t} no longer works here")
            elif c.is_closed(block, cw, therapist=t):
                out.append(f"{therapist.name} is off on {day}")
            elif not therapist.available(window):
                out.append(f"{therapist.name} is not available {_when(day, window.start)}")
        return out

    def patient(
        self, s: Session, week: int, pid: str, repeated: dt.date, cancelled: bool
    ) -> list[str]:
        """Why the patient cannot keep the appointment; ``repeated`` is the Monday of the
        previous week this week repeats (a step-down already under way then forces
        nothing new)."""
        c = self.clinic
        p = c.patient_by_id.get(pid)
        if p is None:
            return ["no longer in the clinic's patient list"]
        block = c.block_by_id.get(s.block)
        kind = c.session_type_by_id.get(s.session_type)
        if block is None or kind is None:
            return []  # said for the session
        day = _date(self.schedule, week, block)
        if day > p.discharge:
            return [f"discharged {p.discharge}"]
        if day < p.admission:
            return [f"admitted {p.admission}"]
        out = []
        monday = week_monday(self.schedule.week_start, week)
        if cancelled and kind.kind is SessionKind.FAMILY and not p.family_due(monday):
            out.append(f"no family session due this week ({p.family_cadence} cadence)")
        weeks = c.settings.step_down_weeks  # RULES.md W7, as scheduler.rules reads it
        if (
            cancelled
            and p.is_stepping_down(monday, weeks)
            and not p.is_stepping_down(repeated, weeks)
        ):
            out.append(f"stepping down before discharge on {p.discharge}")
        now, then = self.due(p, kind.id, monday), self.due(p, kind.id, repeated)
        if cancelled and now < then:
            out.append(f"{now} {kind.id} session(s) due this week instead of {then} (W1)")
        if p.track not in kind.tracks:
            out.append(f"{kind.id} is not open to the {p.track} track")
        if kind.phases and p.phase not in kind.phases:
            out.append(f"now in the {p.phase} phase")
        window = session_window(block, kind)
        if not p.free(window, c.settings.travel_buffer_min):
            out.append(f"has a commitment near {_when(day, window.start)}")
        return out

    def nobody_left(self, s: Session, week: int, repeated: dt.date) -> list[str]:
        """Why a session with no successor had to go: none of its patients could attend
        it any more (said without naming them: the reason goes to the therapist's row)."""
        if not s.patients:
            return []
        found: list[str] = []
        for pid in s.patients:
            why = self.patient(s, week, pid, repeated, cancelled=True)
            if not why:
                return []
            found += [w for w in why if w not in found]
        one = len(s.patients) == 1
        return [
            f"{'its patient' if one else 'none of its patients can attend'}: {'; '.join(found)}"
        ]

    def added(self, s: Session, week: int, pid: str, repeated: dt.date) -> list[str]:
        """Why an added appointment had to come: a family session due, or the patient's
        first full week (the repeated week, from Monday ``repeated``, began before their
        admission)."""
        p = self.clinic.patient_by_id.get(pid)
        kind = self.clinic.session_type_by_id.get(s.session_type)
        if p is None or kind is None:
            return []
        monday = week_monday(self.schedule.week_start, week)
        out = []
        if kind.kind is SessionKind.FAMILY and p.family_due(monday):
            out.append(f"family session due this week ({p.family_cadence} cadence)")
        if p.admission > repeated:
            out.append(f"first full week after admission on {p.admission}")
        now, then = self.due(p, kind.id, monday), self.due(p, kind.id, repeated)
        if now > then and p.admission <= repeated:
            out.append(f"{now} {kind.id} session(s) due this week instead of {then} (W1)")
        return out

    def due(self, p: Patient, type_id: str, monday: dt.date) -> int:
        """Sessions of a type the curriculum asks of the patient in the week from
        ``monday`` (W1, pro rata to the days in treatment), so that a week of discharge
        asking fewer explains a cancellation."""
        week = (monday - self.clinic.settings.week_start).days // 7  # may be before it
        return sum(
            rules.required_sessions(self.clinic, p, item, week)
            for item in self.clinic.curriculum
            if item.track is p.track and item.session_type == type_id
        )


def _date(schedule: Schedule, week: int, block: Block) -> dt.date:
    return week_monday(schedule.week_start, week) + dt.timedelta(days=int(block.weekday))


def _when(day: dt.date, minute: int) -> str:
    return f"{day:%a} {day} {format_time(minute)}"


# --------------------------------------------------------------------------------------
# Matching one person's appointments in one week.


def _appointment(clinic: Clinic, schedule: Schedule, s: Session, week: int) -> Appointment:
    block = clinic.block_by_id.get(s.block)
    kind: SessionType | None = clinic.session_type_by_id.get(s.session_type)
    if block is None or kind is None:
        # A previous appointment whose block or type the clinic dropped: shown as it was.
        monday = week_monday(schedule.week_start, week)
        return Appointment(
            monday, "", "", s.session_type, s.code, s.lineage_id, s.room, s.therapists
        )
    w = session_window(block, kind)
    return Appointment(
        _date(schedule, week, block),
        format_time(w.start),
        format_time(w.end),
        s.session_type,
        s.code,
        s.lineage_id,
        s.room,
        s.therapists,
    )


def _pairs(
    old: Sequence[Session], new: Sequence[Session], keys: Iterable[Callable[[Session], object]]
) -> tuple[list[tuple[Session, Session]], list[Session], list[Session]]:
    """Old and new sessions paired by each key in turn (in time order within a key);
    returns the pairs and what is left on each side."""
    left_old, left_new = sorted(old, key=_order), sorted(new, key=_order)
    pairs: list[tuple[Session, Session]] = []
    for key in keys:
        pending: dict[object, list[Session]] = {}
        for s in left_new:
            pending.setdefault(key(s), []).append(s)
        still_old = []
        for s in left_old:
            bucket = pending.get(key(s))
            if bucket:
                pairs.append((s, bucket.pop(0)))
            else:
                still_old.append(s)
        taken = {id(n) for _, n in pairs}
        left_old, left_new = still_old, [s for s in left_new if id(s) not in taken]
    return pairs, left_old, left_new


def _order(s: Session) -> tuple[str, str, str]:
    return (s.block, s.session_type, s.id)


def _by_lineage(s: Session) -> object:
    return s.lineage_id


def _by_slot(s: Session) -> object:
    return (s.session_type, s.block)


def _by_type(s: Session) -> object:
    return s.session_type


def _differences(a: Session, b: Session) -> tuple[ChangeKind, ...]:
    kinds = []
    if a.block != b.block:
        kinds.append(ChangeKind.MOVED)
    if a.room != b.room:
        kinds.append(ChangeKind.NEW_ROOM)
    if a.therapists != b.therapists:
        kinds.append(ChangeKind.NEW_LEADER)
    return tuple(kinds)


# --------------------------------------------------------------------------------------
# The report.


def compare(clinic: Clinic, previous: Schedule, schedule: Schedule) -> ChangeReport:
    """Every change from ``previous`` to ``schedule`` (made for ``clinic``) a coordinator
    must tell someone about; see the module docstring for the rules."""
    refs = references(previous, schedule.week_start, schedule.weeks)
    obstacles = _Obstacles(clinic, schedule)
    new_by_week: dict[int, list[Session]] = {}
    for s in schedule.sessions:
        new_by_week.setdefault(s.week, []).append(s)
    before = previous.placed_patients
    now = schedule.placed_patients
    continuing = before & now

    def appt(s: Session, week: int) -> Appointment:
        return _appointment(clinic, schedule, s, week)

    patient_changes: list[AppointmentChange] = []
    therapist_changes: list[AppointmentChange] = []
    per_week: list[WeekCount] = []
    for week, ref in sorted(refs.items()):
        olds, news = ref.sessions, new_by_week.get(week, [])
        repeated = week_monday(previous.week_start, ref.week)
        week_patient: list[AppointmentChange] = []
        for pid in sorted(continuing):
            mine_old = [s for s in olds if pid in s.patients]
            mine_new = [s for s in news if pid in s.patients]
            pairs, gone, came = _pairs(mine_old, mine_new, (_by_lineage, _by_slot, _by_type))
            for a, b in pairs:
                kinds = _differences(a, b)
                if kinds:
                    why = obstacles.session(a, week) + obstacles.patient(
                        a, week, pid, repeated, False
                    )
                    why = why or obstacles.taken(a, week, news)
                    week_patient.append(
                        AppointmentChange(
                            Who.PATIENT, pid, week, kinds, appt(a, week), appt(b, week), tuple(why)
                        )
                    )
            for a in gone:
                why = obstacles.session(a, week) + obstacles.patient(a, week, pid, repeated, True)
                why = why or obstacles.taken(a, week, news)
                week_patient.append(
                    AppointmentChange(
                        Who.PATIENT,
                        pid,
                        week,
                        (ChangeKind.CANCELLED,),
                        appt(a, week),
                        None,
                        tuple(why),
                    )
                )
            for b in came:
                week_patient.append(
                    AppointmentChange(
                        Who.PATIENT,
                        pid,
                        week,
                        (ChangeKind.ADDED,),
                        None,
                        appt(b, week),
                        tuple(obstacles.added(b, week, pid, repeated)),
                    )
                )
        patient_changes += week_patient
        per_week.append(
            WeekCount(
                week,
                week_monday(schedule.week_start, week),
                len(week_patient),
                sum(c.forced for c in week_patient),
            )
        )
        therapist_changes += _therapist_changes(olds, news, week, repeated, obstacles, appt)

    def order(c: AppointmentChange) -> tuple[str, int, dt.date, str]:
        side = c.old or c.new
        assert side is not None
        return (c.person, c.week, side.date, side.start)

    notes = _patient_notes(clinic, previous, schedule)
    return ChangeReport(
        changes=tuple(sorted(patient_changes, key=order) + sorted(therapist_changes, key=order)),
        new_patients=notes[0],
        discharged=notes[1],
        lost_place=notes[2],
        per_week=tuple(per_week),
    )


def _therapist_changes(
    olds: Sequence[Session],
    news: Sequence[Session],
    week: int,
    repeated: dt.date,
    obstacles: _Obstacles,
    appt: Callable[[Session, int], Appointment],
) -> list[AppointmentChange]:
    # The sessions themselves, paired by lineage: a session that goes on with other leaders
    # is handed over, not cancelled and added.
    continued, _, _ = _pairs(olds, news, (_by_lineage,))
    successor = {id(a): b for a, b in continued}
    predecessor = {id(b): a for a, b in continued}
    therapists = sorted({t for s in (*olds, *news) for t in s.therapists})
    out: list[AppointmentChange] = []
    for t in therapists:
        mine_old = [s for s in olds if t in s.therapists]
        mine_new = [s for s in news if t in s.therapists]
        pairs, gone, came = _pairs(mine_old, mine_new, (_by_lineage, _by_slot))
        for a, b in pairs:
            kinds = _differences(a, b)
            if kinds:
                why = tuple(obstacles.session(a, week) or obstacles.taken(a, week, news))
                out.append(
                    AppointmentChange(
                        Who.THERAPIST, t, week, kinds, appt(a, week), appt(b, week), why
                    )
                )
        for a in gone:
            why = tuple(obstacles.session(a, week) or obstacles.taken(a, week, news))
            after = successor.get(id(a))
            if after is not None:  # handed over to another leader
                kinds = (*_differences(a, after),) or (ChangeKind.NEW_LEADER,)
                new = appt(after, week)
            else:
                kinds, new = (ChangeKind.CANCELLED,), None
                why = why or tuple(obstacles.nobody_left(a, week, repeated))
            out.append(AppointmentChange(Who.THERAPIST, t, week, kinds, appt(a, week), new, why))
        for b in came:
            before = predecessor.get(id(b))
            if before is not None:  # taken over from another leader
                why = tuple(obstacles.session(before, week))
                kinds = _differences(before, b)
                out.append(
                    AppointmentChange(
                        Who.THERAPIST, t, week, kinds, appt(before, week), appt(b, week), why
                    )
                )
            else:
                out.append(
                    AppointmentChange(
                        Who.THERAPIST, t, week, (ChangeKind.ADDED,), None, appt(b, week)
                    )
                )
    return out


def _patient_notes(
    clinic: Clinic, previous: Schedule, schedule: Schedule
) -> tuple[tuple[PatientNote, ...], tuple[PatientNote, ...], tuple[PatientNote, ...]]:
    """(new, discharged, lost their place)."""
    before = previous.placed_patients
    now = schedule.placed_patients
    unplaced = {u.patient: u.reason for u in schedule.unplaced}
    in_plan = now | set(unplaced) | set(schedule.starting_later)
    was_unplaced = {u.patient for u in previous.unplaced}
    new = []
    for pid in sorted(now - before):
        p = clinic.patient_by_id.get(pid)
        if pid in was_unplaced:
            note = "placed now (had no place in the previous schedule)"
        elif p is not None:
            note = f"admitted {p.admission}"
        else:
            note = "new"
        new.append(PatientNote(pid, note))
    discharged, lost = [], []
    for pid in sorted(before - now):
        p = clinic.patient_by_id.get(pid)
        if p is None:
            discharged.append(PatientNote(pid, "no longer in the patient list"))
        elif p.discharge < schedule.week_start:
            discharged.append(PatientNote(pid, f"discharged {p.discharge}"))
        elif pid in unplaced:
            lost.append(PatientNote(pid, unplaced[pid]))
        elif pid not in in_plan:
            discharged.append(
                PatientNote(pid, f"not in treatment in this plan (discharge {p.discharge})")
            )
        else:
            lost.append(PatientNote(pid, "starts again later"))
    return tuple(new), tuple(discharged), tuple(lost)


def appointments_changed(report: ChangeReport) -> Mapping[int, int]:
    """New week → appointments changed for continuing patients (the lead's benchmark)."""
    return {w.week: w.changed for w in report.per_week}
