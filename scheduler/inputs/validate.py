"""Planning checks on a clinic that reads cleanly, and the summary a coordinator sees.

The workbook reader refuses data that cannot be a clinic (bad cells, broken references).
The checks here find data that *is* a clinic but cannot work as planned: a patient whose
job leaves too few group blocks, a curriculum session nobody may lead, a group larger than
every room. Each check is one small function returning domain :class:`Problem` records,
located to sheet/row/column the same way as reading problems.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from scheduler import rules
from scheduler.compliance import waivers
from scheduler.domain import (
    Block,
    BlockKind,
    Clinic,
    Lock,
    Patient,
    Problem,
    Room,
    SessionKind,
    SessionType,
    Therapist,
    Track,
    Window,
    covered,
)
from scheduler.explain import describe_commitments
from scheduler.inputs.errors import LocatedProblem
from scheduler.inputs.rows import sort_problems
from scheduler.inputs.workbook import read_clinic_located
from scheduler.rules import (
    can_lead,
    individual_slots,
    patient_can_attend,
    required_sessions,
    week_hours,
)
from scheduler.schedule import session_window

__all__ = [
    "CHECKS",
    "Checked",
    "check_path",
    "errors_text",
    "format_problems",
    "planning_problems",
    "summary",
    "validate_path",
    "warnings_text",
]


def in_plan(clinic: Clinic, patient: Patient) -> bool:
    """Some date of the planning horizon lies in the patient's treatment dates, and the
    patient is not starting later (RULES.md P4)."""
    s = clinic.settings
    first = s.week_start
    last = s.week_dates(s.weeks - 1)[-1]
    in_horizon = patient.admission <= last and patient.discharge >= first
    return in_horizon and not rules.starts_later(clinic, patient)


def in_week(clinic: Clinic, patient: Patient, week: int = 0) -> bool:
    return any(patient.in_treatment(day) for day in clinic.settings.week_dates(week))


def _group_items(clinic: Clinic, track: Track) -> list[tuple[SessionType, int]]:
    out = []
    for item in clinic.curriculum_for(track):
        st = clinic.session_type_by_id[item.session_type]
        if st.is_group:
            out.append((st, item.per_week))
    return out


def _leads(therapist: Therapist, kind: SessionType) -> bool:
    """Credentials and modality only (G3): no time, place or closure."""
    return bool(therapist.credentials & kind.credentials) and (
        kind.modality is None or kind.modality in therapist.modalities
    )


def _names(values: frozenset[str]) -> str:
    return ", ".join(sorted(values))


# --------------------------------------------------------------------------------------
# The checks, one rule each.


def patients_without_group_time(clinic: Clinic) -> list[Problem]:
    """A patient whose commitments (with the travel buffer), treatment dates and the
    clinic's closures leave fewer bookable group blocks at their site than the group
    sessions they owe in a week (W1, pro rata), or fewer days than the track's minimum
    where it binds (W3, or W7's step-down days: not in a week of admission or discharge)."""
    s = clinic.settings
    out = []
    for p in clinic.patients:
        for week in range(s.weeks):
            found = _group_time_short(clinic, p, week)
            if found is not None:
                out.append(found)
                break  # one problem per patient: the first week it shows
    return out


def _group_time_short(clinic: Clinic, p: Patient, week: int) -> Problem | None:
    s = clinic.settings
    types = clinic.session_type_by_id
    items = [
        (types[i.session_type], required_sessions(clinic, p, i, week))
        for i in clinic.curriculum_for(p.track)
        if types[i.session_type].is_group
    ]
    needed = sum(n for _, n in items)
    if not needed:
        return None
    free_days: Counter[int] = Counter()
    for b in clinic.blocks:
        if b.kind is BlockKind.GROUP and any(
            patient_can_attend(clinic, p, b, st, week) for st, _ in items
        ):
            free_days[b.weekday] += 1
    blocks = sum(min(n, s.max_group_blocks_per_day) for n in free_days.values())
    days = len(free_days)
    min_days = week_hours(clinic, p, week).min_days  # W3, or W7 in a step-down week
    if blocks >= needed and days >= min_days:
        return None
    cause = "commitments and the travel buffer leave" if p.commitments else "there are"
    if any(clinic.is_closed(b, week) for b in clinic.blocks if b.site == p.site):
        cause = "commitments, the travel buffer and closures leave"
    monday = f"{_monday(clinic, week):%d %b}"
    return Problem(
        "Patients",
        p.id,
        None,
        f"{cause} only {blocks} bookable group block(s) on {days} day(s) in the week of "
        f"{monday} at site {p.site!r}; the {p.track} curriculum needs {needed} group "
        f"sessions that week on at least {max(min_days, 1)} day(s)",
        "check the patient's PatientCommitments rows, or offer group blocks at "
        "times this patient is free",
    )


def curriculum_without_leader(clinic: Clinic) -> list[Problem]:
    """A curriculum session type that no therapist holds the credentials (and modality) for."""
    out = []
    for item in clinic.curriculum:
        st = clinic.session_type_by_id[item.session_type]
        if any(_leads(t, st) for t in clinic.therapists):
            continue
        need = f"one of {_names(st.credentials)}"
        if st.modality is not None:
            need += f" and the modality {st.modality}"
        out.append(
            Problem(
                "Curriculum",
                f"{item.track}/{item.session_type}",
                "session_type_id",
                f"no therapist can lead {st.id!r}: it needs {need}",
                "add a therapist who has it on the Therapists sheet, or widen the session "
                "type's credentials",
            )
        )
    return out


def _seats(room: Room, kind: SessionType) -> int:
    """Patients of ``kind`` the room could seat; a virtual room has no seat limit."""
    return kind.max_size if room.virtual else min(room.capacity, kind.max_size)


def groups_without_room(clinic: Clinic) -> list[Problem]:
    """A group session type that no room can hold: features missing, or every room with
    the features seats fewer than its min_size."""
    out = []
    for st in clinic.session_types:
        if not st.is_group:
            continue
        fitting = [r for r in clinic.rooms if st.room_features <= r.features]
        if not fitting:
            features = f"the features {_names(st.room_features)}" if st.room_features else "it"
            out.append(
                Problem(
                    "SessionTypes",
                    st.id,
                    "room_features",
                    f"no room has {features}",
                    "add the features to a room on the Rooms sheet, or remove them here",
                )
            )
            continue
        largest = max(_seats(r, st) for r in fitting)
        if largest < st.min_size:
            out.append(
                Problem(
                    "SessionTypes",
                    st.id,
                    "min_size",
                    f"min_size {st.min_size} is more than the largest suitable room seats "
                    f"({largest})",
                    "lower min_size or add a larger room",
                )
            )
    return out


def primary_therapist_elsewhere(clinic: Clinic) -> list[Problem]:
    """A patient's primary therapist does not work at the patient's site."""
    out = []
    for p in clinic.patients:
        t = clinic.therapist_by_id[p.primary_therapist]
        if p.site not in t.sites:
            out.append(
                Problem(
                    "Patients",
                    p.id,
                    "primary_therapist",
                    f"primary therapist {t.id!r} does not work at site {p.site!r}",
                    f"pick a therapist who works at {p.site!r}, or add the site to "
                    f"{t.id!r} on the Therapists sheet",
                )
            )
    return out


def primary_cannot_lead_individual(clinic: Clinic) -> list[Problem]:
    """Individual sessions are led by the primary therapist (W4), who must be credentialed."""
    out = []
    for p in clinic.patients:
        t = clinic.therapist_by_id[p.primary_therapist]
        for item in clinic.curriculum_for(p.track):
            st = clinic.session_type_by_id[item.session_type]
            if st.kind is SessionKind.INDIVIDUAL and not _leads(t, st):
                out.append(
                    Problem(
                        "Patients",
                        p.id,
                        "primary_therapist",
                        f"primary therapist {t.id!r} cannot lead {st.id!r} (needs one of "
                        f"{_names(st.credentials)})",
                        "pick a primary therapist credentialed for individual sessions",
                    )
                )
    return out


def caseload_over_cap(clinic: Clinic) -> list[Problem]:
    """More patients in the plan name a therapist as primary than their caseload cap."""
    load = Counter(p.primary_therapist for p in clinic.patients if in_plan(clinic, p))
    out = []
    for t in clinic.therapists:
        if load[t.id] > t.caseload_cap:
            out.append(
                Problem(
                    "Therapists",
                    t.id,
                    "caseload_cap",
                    f"{load[t.id]} patients name {t.id!r} as primary therapist, above the "
                    f"caseload cap of {t.caseload_cap}",
                    "move some patients to another primary therapist or raise the cap",
                )
            )
    return out


def caseload_ratio(clinic: Clinic) -> list[Problem]:
    """Patients per therapist above the clinic's ratio (N.J.A.C. 10:161B-10.1: 1:24)."""
    patients = sum(1 for p in clinic.patients if in_plan(clinic, p))
    if not patients:
        return []
    therapists = len(clinic.therapists)
    if not therapists:
        return [
            Problem(
                "Therapists",
                None,
                None,
                f"no therapists for {patients} patient(s)",
                "add the clinic's therapists",
            )
        ]
    ratio = clinic.settings.caseload_ratio_max
    if patients <= ratio * therapists:
        return []
    return [
        Problem(
            "Clinic",
            "caseload_ratio_max",
            "value",
            f"{patients} patients for {therapists} therapist(s) is above 1:{ratio}",
            "add therapists or admit fewer patients",
        )
    ]


def therapists_never_available(clinic: Clinic) -> list[Problem]:
    """A therapist with no availability rows cannot lead anything."""
    return [
        Problem(
            "Therapists",
            t.id,
            "therapist_id",
            f"{t.id!r} has no rows on the TherapistAvailability sheet, so leads nothing",
            "add the weekly hours this therapist works",
        )
        for t in clinic.therapists
        if not t.availability
    ]


def family_without_time(clinic: Clinic) -> list[Problem]:
    """Family therapy is due but the family has no availability or no session type fits."""
    out = []
    for p in clinic.patients:
        if not p.has_family or not in_plan(clinic, p):
            continue
        kinds = [
            st
            for st in clinic.session_types
            if st.kind is SessionKind.FAMILY and p.track in st.tracks
        ]
        if not kinds:
            out.append(
                Problem(
                    "Patients",
                    p.id,
                    "family_cadence",
                    f"no family session type is open to the {p.track} track",
                    "add a family session type on the SessionTypes sheet or set the cadence "
                    "to none",
                )
            )
        elif not p.family_availability:
            out.append(
                Problem(
                    "Patients",
                    p.id,
                    "family_cadence",
                    f"family therapy is {p.family_cadence} but the family has no rows on "
                    "the FamilyAvailability sheet",
                    "add when the family can come, or set the cadence to none",
                )
            )
    return out


def track_without_curriculum(clinic: Clinic) -> list[Problem]:
    """A patient on a track with no Curriculum rows has nothing to attend."""
    return [
        Problem(
            "Patients",
            p.id,
            "track",
            f"the {p.track} track has no rows on the Curriculum sheet",
            f"add the {p.track} curriculum",
        )
        for p in clinic.patients
        if in_plan(clinic, p) and not clinic.curriculum_for(p.track)
    ]


def curriculum_above_max_hours(clinic: Clinic) -> list[Problem]:
    """A track's curriculum alone exceeds the track's weekly maximum hours (W2)."""
    out = []
    for track in Track:
        items = clinic.curriculum_for(track)
        hours = sum(
            clinic.session_type_by_id[i.session_type].hours * i.per_week
            for i in items
            if clinic.session_type_by_id[i.session_type].counts_toward_hours
        )
        band = clinic.settings.band(track)
        if items and hours > band.max_hours + 1e-9:
            first = items[0]
            out.append(
                Problem(
                    "Curriculum",
                    f"{first.track}/{first.session_type}",
                    "per_week",
                    f"the {track} curriculum adds up to {hours:g} hours a week, above the "
                    f"maximum of {band.max_hours:g}",
                    f"lower per_week on the {track} rows or raise {track}_max_hours on the "
                    "Clinic sheet",
                )
            )
    return out


def step_down_below_one_to_one_hours(clinic: Clinic) -> list[Problem]:
    """W7: a track's one-patient curriculum items (individual, assessment) alone exceed its
    step-down maximum, so no step-down week of that track can be legal."""
    if clinic.settings.step_down_weeks == 0:
        return []
    out = []
    types = clinic.session_type_by_id
    for track in Track:
        hours = sum(
            types[i.session_type].hours * i.per_week
            for i in clinic.curriculum_for(track)
            if not types[i.session_type].is_group and types[i.session_type].counts_toward_hours
        )
        band = clinic.settings.step_down_band(track)
        if hours > band.max_hours + 1e-9:
            out.append(
                Problem(
                    "Clinic",
                    f"step_down_{track}_max_hours",
                    "value",
                    f"the {track} curriculum's individual sessions add up to {hours:g} hours "
                    f"a week, above the step-down maximum of {band.max_hours:g}: no patient "
                    "can be placed in their last weeks before discharge",
                    f"raise step_down_{track}_max_hours, or set step_down_weeks to 0",
                )
            )
    return out


def _day(clinic: Clinic, b: Block, week: int) -> str:
    return f"{clinic.block_date(b, week):%a %d %b}"


def _lock_patient(clinic: Clinic, lk: Lock, b: Block, st: SessionType) -> list[tuple[str, str]]:
    """Why the lock's patient cannot attend (P2, T2, T4, T6, S1, S3, W4, W5), as
    (column, message) pairs."""
    if lk.patient is None:
        return []
    p = clinic.patient_by_id[lk.patient]
    win = session_window(b, st)
    day = _day(clinic, b, lk.week)
    out = []
    if p.site != b.site:
        out.append(("patient_id", f"{p.id!r} attends site {p.site!r}, not {b.site!r}"))
    if not p.in_treatment(clinic.block_date(b, lk.week)):
        out.append(
            (
                "patient_id",
                f"{p.id!r} is not in treatment on {day} (admission {p.admission}, discharge "
                f"{p.discharge})",
            )
        )
    if not p.free(win, clinic.settings.travel_buffer_min):
        out.append(
            (
                "patient_id",
                f"{p.id!r}'s commitments ({describe_commitments(p.commitments)}) clash with "
                f"{st.id!r} at {win} with the {clinic.settings.travel_buffer_min}-minute "
                "travel buffer",
            )
        )
    if p.track not in st.tracks:
        out.append(("session_type_id", f"{st.id!r} is not open to the {p.track} track"))
    if st.phases and p.phase not in st.phases:
        out.append(("session_type_id", f"{st.id!r} is not open to the {p.phase} phase"))
    single = st.kind in (SessionKind.INDIVIDUAL, SessionKind.ASSESSMENT)
    if single and not any(i.session_type == st.id for i in clinic.curriculum_for(p.track)):
        # W1: no more than per_week of a non-group type, and it is not in the curriculum.
        out.append(("session_type_id", f"{st.id!r} is not in the {p.track} curriculum"))
    if st.kind is SessionKind.INDIVIDUAL and lk.therapist not in (None, p.primary_therapist):
        out.append(
            (
                "therapist_id",
                f"individual sessions are led by the primary therapist {p.primary_therapist!r}",
            )
        )
    if st.kind is SessionKind.FAMILY and not p.family_due(_monday(clinic, lk.week)):
        out.append(("session_type_id", f"{p.id!r} has no family session due that week"))
    elif st.kind is SessionKind.FAMILY and not covered(p.family_availability, win):
        out.append(("block_id", f"{p.id!r}'s family is not available at {win}"))
    return out


def _lock_therapist(clinic: Clinic, lk: Lock, b: Block, st: SessionType) -> list[str]:
    """Why the lock's therapist cannot lead (G3, T4, T5, T6)."""
    if lk.therapist is None:
        return []
    t = clinic.therapist_by_id[lk.therapist]
    win = session_window(b, st)
    out = []
    if not _leads(t, st):
        out.append(f"{t.id!r} lacks the credentials for {st.id!r} ({_names(st.credentials)})")
    if b.site not in t.sites:
        out.append(f"{t.id!r} does not work at site {b.site!r}")
    if not t.available(win):
        out.append(f"{t.id!r} does not work {win}")
    if clinic.is_closed(b, lk.week, therapist=t.id) and not clinic.is_closed(b, lk.week):
        out.append(f"{t.id!r} is off on {_day(clinic, b, lk.week)}")
    return out


def _lock_room(clinic: Clinic, lk: Lock, b: Block, st: SessionType) -> list[str]:
    """Why the lock's room cannot host it (G2, T4, T5, T6)."""
    if lk.room is None:
        return []
    r = clinic.room_by_id[lk.room]
    out = []
    if not r.serves(b.site):
        out.append(f"room {r.id!r} is not at site {b.site!r}")
    missing = st.room_features - r.features
    if missing:
        out.append(f"room {r.id!r} lacks {_names(frozenset(missing))} for {st.id!r}")
    if not r.virtual and r.capacity < st.min_size:
        out.append(f"room {r.id!r} seats {r.capacity}, fewer than {st.id!r}'s min_size")
    if r.virtual and lk.patient and not clinic.patient_by_id[lk.patient].telehealth_ok:
        out.append(f"room {r.id!r} is virtual and {lk.patient!r} is not telehealth_ok")
    if not r.available(session_window(b, st)):
        out.append(f"room {r.id!r} is not open {session_window(b, st)}")
    if clinic.is_closed(b, lk.week, room=r.id) and not clinic.is_closed(b, lk.week):
        out.append(f"room {r.id!r} is closed on {_day(clinic, b, lk.week)}")
    return out


def lock_conflicts(clinic: Clinic) -> list[Problem]:
    """A lock that the data alone shows cannot hold (L1): the clinic closed, the block too
    short, the patient unable to attend, the therapist unable to lead, the room unable to
    host. Solve reports such a lock as unmet and schedules everyone else."""
    out = []
    for lk in clinic.locks:
        b = clinic.block_by_id[lk.block]
        st = clinic.session_type_by_id[lk.session_type]
        found: list[tuple[str, str]] = []
        if clinic.is_closed(b, lk.week):
            found.append(("block_id", f"{b.id!r} is closed on {_day(clinic, b, lk.week)}"))
        if st.duration_min > b.window.minutes:
            found.append(("block_id", f"{st.id!r} lasts longer than {b.id!r}"))
        found += _lock_patient(clinic, lk, b, st)
        found += [("therapist_id", m) for m in _lock_therapist(clinic, lk, b, st)]
        found += [("room_id", m) for m in _lock_room(clinic, lk, b, st)]
        out += [
            Problem("Locks", lk.id, column, f"this lock cannot hold: {message}", "fix the lock")
            for column, message in found
        ]
    return out + _clashing_locks(clinic)


def _leader(clinic: Clinic, lk: Lock) -> str | None:
    """The therapist a lock pins: its own, or for an individual session the patient's
    primary therapist (W4)."""
    kind = clinic.session_type_by_id[lk.session_type].kind
    if lk.therapist is None and lk.patient is not None and kind is SessionKind.INDIVIDUAL:
        return clinic.patient_by_id[lk.patient].primary_therapist
    return lk.therapist


def _may_share(clinic: Clinic, x: Lock, y: Lock) -> bool:
    """Whether two locks may pin one session: same block and type, and for a one-patient
    type (W6) not two different patients."""
    if (x.block, x.session_type) != (y.block, y.session_type):
        return False
    one = clinic.session_type_by_id[x.session_type].max_size == 1
    return not (one and x.patient and y.patient and x.patient != y.patient)


def _clashing_locks(clinic: Clinic) -> list[Problem]:
    """Two locks that pin one patient, therapist or room to different sessions at clashing
    times (T1): at most one of them can hold. Reported on the later row."""
    out = []
    locks = clinic.locks
    for j, later in enumerate(locks):
        for earlier in locks[:j]:
            if earlier.week != later.week:
                continue
            if _may_share(clinic, earlier, later):
                continue  # possibly the same session, pinned twice: both can hold
            a = session_window(
                clinic.block_by_id[earlier.block], clinic.session_type_by_id[earlier.session_type]
            )
            b = session_window(
                clinic.block_by_id[later.block], clinic.session_type_by_id[later.session_type]
            )
            if not a.overlaps(b):
                continue
            for column, x, y in (
                ("patient_id", earlier.patient, later.patient),
                ("therapist_id", _leader(clinic, earlier), _leader(clinic, later)),
                ("room_id", earlier.room, later.room),
            ):
                if x is not None and x == y:
                    out.append(
                        Problem(
                            "Locks",
                            later.id,
                            column,
                            f"this lock cannot hold with lock {earlier.id!r}: both pin {x!r} "
                            f"to different sessions at clashing times ({a}, {b})",
                            "remove or move one of the two locks",
                        )
                    )
    return out


def hours_target_above_band(clinic: Clinic) -> list[Problem]:
    """W2: a target above the track's maximum leaves the patient no legal week."""
    out = []
    for p in clinic.patients:
        band = clinic.settings.band(p.track)
        if in_plan(clinic, p) and p.hours_target and p.hours_target > band.max_hours + 1e-9:
            out.append(
                Problem(
                    "Patients",
                    p.id,
                    "hours_target",
                    f"hours_target {p.hours_target:g} is above the {p.track} track's maximum "
                    f"of {band.max_hours:g} hours a week",
                    f"lower hours_target, or raise {p.track}_max_hours on the Clinic sheet",
                )
            )
    return out


def sessions_waived(clinic: Clinic) -> list[Problem]:
    """W4/W5: a patient placed without the individual or family session they are owed,
    because no block can hold it (scheduler.compliance). Causes already reported by
    another check (no family type or times, primary therapist elsewhere, no group time)
    are left to it."""
    grouped: dict[tuple[str, bool, str, str], list[int]] = {}
    # Without time for groups a patient is not placed, so nothing of theirs is waived.
    no_groups = {problem.key for problem in patients_without_group_time(clinic)}
    for w in waivers(clinic):
        p = clinic.patient_by_id[w.patient]
        if p.id in no_groups:
            continue
        if w.kind is SessionKind.FAMILY:
            if not p.family_availability or "no family session type" in w.cause:
                continue  # family_without_time says so
        elif p.site not in clinic.therapist_by_id[p.primary_therapist].sites:
            continue  # primary_therapist_elsewhere says so
        family = w.kind is SessionKind.FAMILY
        grouped.setdefault((w.patient, family, w.session_type, w.cause), []).append(w.week)
    out = []
    for (pid, family, name, cause), weeks in grouped.items():
        when = ", ".join(f"{_monday(clinic, w):%d %b}" for w in weeks)
        out.append(
            Problem(
                "Patients",
                pid,
                "family_cadence" if family else "primary_therapist",
                f"{name} will be waived in the week(s) of {when}: {cause}",
                "add family times on the FamilyAvailability sheet or a therapist who may "
                "lead it then"
                if family
                else "pick a primary therapist who works when the patient is free, or add "
                "individual slots",
            )
        )
    return out


def _monday(clinic: Clinic, week: int) -> dt.date:
    return clinic.settings.week_start + dt.timedelta(weeks=week)


def _most_at_once(windows: list[Window]) -> int:
    """The most of ``windows`` one person can attend: non-overlapping, earliest end first."""
    count, end = 0, -1
    for w in sorted(windows, key=lambda w: (w.weekday, w.end)):
        start = int(w.weekday) * 24 * 60 + w.start
        if start >= end:
            count, end = count + 1, int(w.weekday) * 24 * 60 + w.end
    return count


def individual_staffing(clinic: Clinic) -> list[Problem]:
    """W4 against G5/T1: a therapist's primary patients need more individual sessions in a
    week than the therapist can hold — slots they work, one at a time, within their hours
    a day and a week — so some of those patients cannot be placed."""
    out = []
    types = clinic.session_type_by_id
    for week in range(clinic.settings.weeks):
        for t in clinic.therapists:
            demand: Counter[str] = Counter()
            for p in clinic.patients:
                if p.primary_therapist != t.id:
                    continue
                for item in clinic.curriculum_for(p.track):
                    st = types[item.session_type]
                    # A primary who cannot lead it is primary_cannot_lead_individual's.
                    if not _leads(t, st) or st.kind is not SessionKind.INDIVIDUAL:
                        continue
                    if individual_slots(clinic, p, st, week):
                        demand[st.id] += required_sessions(clinic, p, item, week)
            for st_id, need in demand.items():
                st = types[st_id]
                able = _individual_capacity(clinic, t, st, week)
                if need > able:
                    out.append(
                        Problem(
                            "Therapists",
                            t.id,
                            "max_hours_week",
                            f"{t.id!r} is primary therapist to patients needing {need} "
                            f"{st.id!r} sessions in the week of {_monday(clinic, week):%d %b} "
                            f"but can hold at most {able} (slots they work, one at a time, "
                            f"within {t.max_hours_day:g} h a day and {t.max_hours_week:g} h "
                            "a week), before leading any group",
                            "add individual slots or hours for this therapist, or move "
                            "patients to another primary therapist",
                        )
                    )
    return out


def _individual_capacity(clinic: Clinic, t: Therapist, st: SessionType, week: int) -> int:
    per_day: dict[int, list[Window]] = {}
    for b in clinic.blocks:
        if b.kind is st.block_kind and can_lead(clinic, t.id, b, st, week):
            per_day.setdefault(int(b.weekday), []).append(session_window(b, st))
    daily = int(t.max_hours_day * 60 // st.duration_min)
    total = sum(min(_most_at_once(ws), daily) for ws in per_day.values())
    return min(total, int(t.max_hours_week * 60 // st.duration_min))


def _hours_offered(t: Therapist) -> float:
    """The most hours a therapist can work in a week: their availability each day, within
    max_hours_day, and max_hours_week in all. Closures are left out, so this never
    understates (the check that uses it warns only when the data prove a shortfall)."""
    by_day: dict[int, list[Window]] = {}
    for w in t.availability:
        by_day.setdefault(int(w.weekday), []).append(w)
    total = 0.0
    for windows in by_day.values():
        minutes, end = 0, -1
        for w in sorted(windows, key=lambda w: w.start):
            minutes += max(0, w.end - max(w.start, end))
            end = max(end, w.end)
        total += min(t.max_hours_day, minutes / 60)
    return min(t.max_hours_week, total)


def staff_hours(clinic: Clinic) -> list[Problem]:
    """G5 for the whole clinic: the individual sessions owed plus the fewest groups that
    can seat every patient's group sessions need more leader hours than all therapists
    together may work in a week (within their availability)."""
    out = []
    types = clinic.session_type_by_id
    for week in range(clinic.settings.weeks):
        seats: Counter[tuple[str, Track]] = Counter()
        most: Counter[tuple[str, Track]] = Counter()
        single = 0.0
        for p in clinic.patients:
            for item in clinic.curriculum_for(p.track):
                st = types[item.session_type]
                n = required_sessions(clinic, p, item, week)
                if st.is_group:
                    seats[(st.id, p.track)] += n
                    most[(st.id, p.track)] = max(most[(st.id, p.track)], n)
                elif st.kind is SessionKind.INDIVIDUAL and individual_slots(clinic, p, st, week):
                    single += n * st.hours
        # A type's groups seat at most max_size each, and a patient who needs it n times a
        # week needs n distinct groups of it.
        groups = sum(
            max(-(-n // types[s].max_size), most[(s, tr)]) * types[s].hours
            for (s, tr), n in seats.items()
        )
        offered = sum(_hours_offered(t) for t in clinic.therapists)
        if groups + single > offered + 1e-9:
            out.append(
                Problem(
                    "Therapists",
                    None,
                    "max_hours_week",
                    f"the week of {_monday(clinic, week):%d %b} needs at least "
                    f"{groups + single:g} therapist hours ({groups:g} h of groups at full "
                    f"size, {single:g} h of individual sessions) but the therapists may work "
                    f"{offered:g} h in all",
                    "add therapists or hours, or admit fewer patients",
                )
            )
    return out


CHECKS: tuple[Callable[[Clinic], list[Problem]], ...] = (
    patients_without_group_time,
    curriculum_without_leader,
    groups_without_room,
    primary_therapist_elsewhere,
    primary_cannot_lead_individual,
    caseload_over_cap,
    caseload_ratio,
    therapists_never_available,
    family_without_time,
    track_without_curriculum,
    curriculum_above_max_hours,
    step_down_below_one_to_one_hours,
    hours_target_above_band,
    sessions_waived,
    individual_staffing,
    staff_hours,
    lock_conflicts,
)


def planning_problems(clinic: Clinic) -> list[Problem]:
    """Every planning problem of a clinic that reads cleanly."""
    return [problem for check in CHECKS for problem in check(clinic)]


def validate_path(path: Path) -> tuple[Clinic | None, list[LocatedProblem]]:
    """Read the workbook or CSV folder and run the planning checks.

    The clinic is ``None`` only when it could not be read; planning problems come with the
    clinic they were found in.
    """
    clinic, locator, problems = read_clinic_located(Path(path))
    if clinic is None:
        return None, problems
    located = [locator.locate(p) for p in planning_problems(clinic)]
    return clinic, sort_problems(located)


@dataclass(frozen=True)
class Checked:
    """The one notion of errors and warnings that every command shares.

    An *error* means the input cannot be read as a clinic (a bad cell, a broken reference):
    every command stops, exit status 2. A *warning* is a planning problem in a clinic that
    reads cleanly (a patient whose job leaves too few blocks, a lock that cannot hold, a
    session that will be waived): every command reports it and goes on; ``solve`` lists the
    patients it affects as unplaced, with the reason, and shows each waiver.
    """

    clinic: Clinic | None
    errors: list[LocatedProblem]
    warnings: list[LocatedProblem]


def check_path(path: Path) -> Checked:
    clinic, problems = validate_path(path)
    if clinic is None:
        return Checked(None, problems, [])
    return Checked(clinic, [], problems)


def errors_text(path: Path, errors: list[LocatedProblem], *, writes: bool) -> str:
    """The message for input that cannot be read; only a command that writes says that
    nothing was written (``validate`` never writes anything)."""
    tail = "; nothing was written" if writes else ""
    return f"{path}: {len(errors)} error(s) in the input{tail}.\n" + format_problems(errors)


def warnings_text(warnings: list[LocatedProblem]) -> str:
    return (
        f"warning: {len(warnings)} planning problem(s); solve goes ahead and lists the "
        "patients they affect as unplaced, with the reason:\n" + format_problems(warnings)
    )


def format_problems(problems: list[LocatedProblem]) -> str:
    """One problem per line, in the order given (sheet order from :func:`validate_path`)."""
    return "\n".join(str(p) for p in problems)


# --------------------------------------------------------------------------------------
# Summary.


def _block_seats(clinic: Clinic, block: Block, week: int = 0) -> int:
    """Group seats a block offers: the usable rooms, as many as there are therapists who
    could lead a group there, each seating up to the largest group that fits it."""
    kinds = [
        st for st in clinic.session_types if st.is_group and st.duration_min <= block.window.minutes
    ]
    leaders = [
        t for t in clinic.therapists if any(can_lead(clinic, t.id, block, st, week) for st in kinds)
    ]
    if not leaders or clinic.is_closed(block, week):
        return 0
    seats = []
    for r in clinic.rooms:
        usable = [
            st
            for st in kinds
            if st.room_features <= r.features
            and r.available(session_window(block, st))
            and any(can_lead(clinic, t.id, block, st, week) for t in leaders)
        ]
        if r.serves(block.site) and usable and not clinic.is_closed(block, week, room=r.id):
            seats.append(max(_seats(r, st) for st in usable))
    return sum(sorted(seats, reverse=True)[: len(leaders)])


def group_seats_offered(clinic: Clinic, week: int = 0) -> int:
    return sum(_block_seats(clinic, b, week) for b in clinic.blocks if b.kind is BlockKind.GROUP)


def group_seats_needed(clinic: Clinic, week: int = 0) -> int:
    return sum(
        per_week
        for p in clinic.patients
        if in_week(clinic, p, week)
        for _, per_week in _group_items(clinic, p.track)
    )


def summary(clinic: Clinic) -> str:
    """What the clinic holds, and group seats offered against seats needed in week one."""
    s = clinic.settings
    planned = [p for p in clinic.patients if in_plan(clinic, p)]
    by_track = Counter(p.track for p in planned)
    tracks = ", ".join(f"{t} {by_track[t]}" for t in Track)
    kinds = Counter(b.kind for b in clinic.blocks)
    virtual = sum(1 for r in clinic.rooms if r.virtual)
    weeks = f"{s.weeks} week{'s' if s.weeks != 1 else ''}"
    return "\n".join(
        [
            f"Clinic: {s.name} ({s.timezone}), {weeks} from {s.week_start.isoformat()}",
            f"Sites: {len(clinic.sites)}",
            f"Patients in the plan: {len(planned)} ({tracks}); "
            f"{len(clinic.patients) - len(planned)} outside the planning dates",
            f"Therapists: {len(clinic.therapists)}",
            f"Rooms: {len(clinic.rooms)} ({virtual} virtual)",
            f"Bookable blocks a week: {kinds[BlockKind.GROUP]} group blocks, "
            f"{kinds[BlockKind.SLOT]} short slots",
            f"Group seats in the first week: {group_seats_offered(clinic)} offered, "
            f"{group_seats_needed(clinic)} needed",
            *_cycles_line(clinic),
        ]
    )


def _cycles_line(clinic: Clinic) -> list[str]:
    """The topic cycles and the Attendance rows that correct module credit (RULES.md C)."""
    cycled = [f"{t.id} {len(t.topics)} modules" for t in clinic.session_types if t.topics]
    if not cycled and not clinic.attendance:
        return []
    return [
        f"Topic cycles: {', '.join(cycled) or 'none'}; attendance rows: {len(clinic.attendance)}"
    ]
