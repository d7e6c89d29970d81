"""Why a patient could not be placed, in a coordinator's words.

The first explanation comes from the data alone (commitments and the travel buffer against
the blocks, the curriculum's needs, the primary therapist's caseload) and then from the
schedule that was found (the groups the patient could have joined are full). Messages name
patients by ID only; they end up in rosters and logs (DESIGN.md §6).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence

from scheduler.domain import (
    Block,
    Clinic,
    Commitment,
    Patient,
    SessionKind,
    SessionType,
    Weekday,
    format_time,
)
from scheduler.rules import can_lead, individual_slots, patient_can_attend, required_sessions
from scheduler.schedule import Session, session_window

_SINGLE = (SessionKind.INDIVIDUAL, SessionKind.FAMILY, SessionKind.ASSESSMENT)


def _days(days: Iterable[Weekday]) -> str:
    """Mon, Tue, Wed, Thu, Fri → "Mon–Fri"; Mon, Wed → "Mon, Wed"."""
    ds = sorted(set(days))
    runs: list[list[Weekday]] = []
    for d in ds:
        if runs and d == runs[-1][-1] + 1:
            runs[-1].append(d)
        else:
            runs.append([d])
    parts = []
    for run in runs:
        if len(run) >= 3:
            parts.append(f"{run[0].label}–{run[-1].label}")
        else:
            parts.extend(d.label for d in run)
    return ", ".join(parts)


def describe_commitments(commitments: Sequence[Commitment]) -> str:
    """ "works Mon–Fri 08:00–17:30; school Sat 09:00–12:00"."""
    verbs = {"work": "works", "school": "school", "childcare": "childcare", "other": "busy"}
    grouped: dict[tuple[str, int, int], list[Weekday]] = defaultdict(list)
    for c in commitments:
        grouped[(c.kind.value, c.window.start, c.window.end)].append(c.window.weekday)
    parts = [
        f"{verbs.get(kind, kind)} {_days(days)} {format_time(s)}–{format_time(e)}"
        for (kind, s, e), days in sorted(grouped.items(), key=lambda kv: (min(kv[1]), kv[0]))
    ]
    return "; ".join(parts)


def _first_week(clinic: Clinic, p: Patient) -> int:
    for w in range(clinic.settings.weeks):
        monday = clinic.settings.week_start + dt.timedelta(weeks=w)
        if p.admission <= monday + dt.timedelta(days=6) and p.discharge >= monday:
            return w
    return 0


def _group_needs(clinic: Clinic, p: Patient, week: int) -> list[tuple[SessionType, int]]:
    """Group curriculum items and how many the patient owes this week (pro rata, W1)."""
    types = clinic.session_type_by_id
    needs = [
        (types[i.session_type], required_sessions(clinic, p, i, week))
        for i in clinic.curriculum_for(p.track)
        if types[i.session_type].kind not in _SINGLE
    ]
    return [(st, n) for st, n in needs if n > 0]


def _outside_treatment_dates(clinic: Clinic, p: Patient, week: int) -> str | None:
    """Why nothing can be booked when no block of the week falls in the treatment dates."""
    dates = [
        clinic.block_date(b, week)
        for b in clinic.blocks
        if b.site == p.site and not clinic.is_closed(b, week)
    ]
    if any(p.in_treatment(d) for d in dates):
        return None
    if p.admission > clinic.settings.week_dates(week)[0]:
        return (
            f"Admitted {p.admission:%a %d %b}: no session of the program remains this week "
            "after that date; they start next week."
        )
    return f"Discharged {p.discharge:%a %d %b}: no session of the program falls before that."


def _free_blocks(clinic: Clinic, p: Patient, st: SessionType, week: int) -> list[Block]:
    return [
        b
        for b in clinic.blocks
        if patient_can_attend(clinic, p, b, st, week)
        and (not st.phases or p.phase in st.phases)
        and p.track in st.tracks
    ]


def explain_unplaced(
    clinic: Clinic,
    sessions: Sequence[Session],
    patient_id: str,
    blockers: Sequence[str] = (),
) -> str:
    """One or two sentences on why ``patient_id`` has no place in ``sessions``."""
    p = clinic.patient_by_id[patient_id]
    week = _first_week(clinic, p)
    buffer = clinic.settings.travel_buffer_min
    busy = describe_commitments(p.commitments)
    busy_txt = f" ({busy})" if busy else ""
    reasons: list[str] = list(blockers)

    dated = _outside_treatment_dates(clinic, p, week)
    if dated is not None:
        return dated
    needs = _group_needs(clinic, p, week)
    free_by_type = {st.id: _free_blocks(clinic, p, st, week) for st, _ in needs}
    all_free = sorted(
        {b.id: b for bs in free_by_type.values() for b in bs}.values(),
        key=lambda b: (b.weekday, b.window.start),
    )
    if needs and not all_free:
        return (
            f"No group block is free given their commitments and the {buffer}-minute "
            f"travel buffer{busy_txt}."
        )
    for st, per_week in needs:
        free = free_by_type[st.id]
        if len(free) < per_week:
            shown = ", ".join(b.id for b in free) or "none"
            reasons.append(
                f"{st.name} is needed {per_week}× a week but only {len(free)} of its blocks "
                f"fit around their commitments{busy_txt} (free: {shown})."
            )
        able = [
            b for b in free if any(can_lead(clinic, t.id, b, st, week) for t in clinic.therapists)
        ]
        if free and not able:
            reasons.append(
                f"No therapist credentialed for {st.name} is available in their free blocks."
            )
    days = {b.weekday for b in all_free}
    need_days = clinic.settings.min_days(p.track)
    if needs and len(days) < need_days:
        reasons.append(
            f"They are free for groups on {len(days)} day(s) ({_days(days)}) but the program "
            f"needs groups on {need_days} days{busy_txt}."
        )

    # Individual counseling with the primary therapist.
    types = clinic.session_type_by_id
    for item in clinic.curriculum_for(p.track):
        st = types[item.session_type]
        if st.kind is not SessionKind.INDIVIDUAL:
            continue
        slots = individual_slots(clinic, p, st, week)
        if slots and not any(can_lead(clinic, p.primary_therapist, b, st, week) for b in slots):
            reasons.append(
                f"Their primary therapist {p.primary_therapist} lacks the credential for {st.name}."
            )
        elif slots and all(
            _therapist_busy(clinic, sessions, p.primary_therapist, b, st, week) for b in slots
        ):
            shown = ", ".join(b.id for b in slots)
            reasons.append(
                f"{st.name} with their primary therapist {p.primary_therapist} fits only "
                f"{shown}{busy_txt}, and {p.primary_therapist} is booked at those times."
            )

    # Caseload of the primary therapist.
    placed = {q for s in sessions for q in s.patients}
    t = clinic.therapist_by_id[p.primary_therapist]
    case = sum(1 for q in clinic.patients if q.primary_therapist == t.id and q.id in placed)
    if case >= t.caseload_cap:
        reasons.append(
            f"Their primary therapist {t.id}'s caseload is full ({case}/{t.caseload_cap})."
        )

    # The groups they could have joined.
    if not reasons and all_free:
        reasons.append(_full_groups(clinic, sessions, p, needs, free_by_type, week, busy_txt))
    text = " ".join(r for r in reasons if r)
    # P1: an unplaced patient always has a reason, even when the data name no single cause.
    return text or (
        "Could not be fitted alongside the patients placed first (continuing patients and "
        "earlier admissions) within the time limit; more staff hours, another group block "
        "or a longer run may make room."
    )


def _full_groups(
    clinic: Clinic,
    sessions: Sequence[Session],
    p: Patient,
    needs: list[tuple[SessionType, int]],
    free_by_type: dict[str, list[Block]],
    week: int,
    busy_txt: str,
) -> str:
    rooms = clinic.room_by_id
    patients = clinic.patient_by_id
    full: list[str] = []
    open_spots: list[str] = []
    for st, _ in needs:
        for b in free_by_type[st.id]:
            here = [
                s
                for s in sessions
                if s.week == week
                and s.block == b.id
                and s.session_type == st.id
                and all(patients[q].track is p.track for q in s.patients)
            ]
            for s in here:
                room = rooms[s.room]
                cap = st.max_size if room.virtual else min(st.max_size, room.capacity)
                label = f"{b.id} {st.id} {len(s.patients)}/{cap}"
                (full if len(s.patients) >= cap else open_spots).append(label)
    window = ", ".join(
        sorted(
            {
                f"{b.id} ({format_time(session_window(b, st).start)})"
                for st, _ in needs
                for b in free_by_type[st.id]
            }
        )
    )
    if full and not open_spots:
        return (
            f"Every {p.track.value} group in their free blocks is full at "
            f"{', '.join(full)}{busy_txt}."
        )
    return (
        f"Could not be fitted with the other patients: continuing patients and earlier "
        f"admissions were placed first, and their free blocks ({window}) cannot give them a "
        f"full week of groups with staff, rooms and group sizes as they are{busy_txt}."
    )


def _therapist_busy(
    clinic: Clinic,
    sessions: Sequence[Session],
    therapist_id: str,
    b: Block,
    st: SessionType,
    week: int,
) -> bool:
    want = session_window(b, st)
    return any(
        s.week == week and therapist_id in s.therapists and s.window(clinic).overlaps(want)
        for s in sessions
    )


def lock_conflict_reason(clinic: Clinic, lock_ids: Sequence[str]) -> str:
    shown = ", ".join(lock_ids) if lock_ids else "the Locks sheet"
    return (
        f"No schedule can keep every pinned assignment: check locks {shown} on the Locks "
        "sheet (they ask for something the rules or the data do not allow), then run again."
    )


def no_solution_reason(time_limit_s: float) -> str:
    return (
        f"No schedule was found within the {time_limit_s:g}-second time limit; run again "
        "with a longer time limit."
    )
