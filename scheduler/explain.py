"""Why a patient could not be placed, in a coordinator's words.

The first explanation comes from the data alone (commitments and the travel buffer against
the blocks, the curriculum's needs, the primary therapist's caseload) and then from the
schedule that was found (the groups the patient could have joined are full). Messages name
patients by ID only; they end up in rosters and logs (DESIGN.md §6).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
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
from scheduler.rules import (
    can_lead,
    family_slots,
    individual_slots,
    patient_can_attend,
    priority_key,
    required_sessions,
    session_types_of_kind,
    week_hours,
)
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
    if not dates or any(p.in_treatment(d) for d in dates):
        return None  # every block closed is the closures' doing, said below
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


def _rank(clinic: Clinic, p: Patient) -> tuple[int, dt.date]:
    """Placement priority (RULES.md P3, ``rules.priority_key``), lower first. A reason
    claims that others were placed first only when one of them ranks strictly ahead."""
    return priority_key(clinic, p)


def _ahead(clinic: Clinic, p: Patient, others: Iterable[Patient]) -> str | None:
    """Who among ``others`` is placed before ``p``, in words, or None if nobody."""
    mine = _rank(clinic, p)
    ahead = [q for q in others if _rank(clinic, q) < mine]
    if not ahead:
        return None
    if any(q.is_continuing(clinic.settings.week_start) for q in ahead):
        return "continuing patients"
    return f"patients admitted before {p.admission:%d %b}"


def _behind(clinic: Clinic, p: Patient, others: Iterable[Patient]) -> list[Patient]:
    mine = _rank(clinic, p)
    return [q for q in others if _rank(clinic, q) > mine]


def _target_above_band(clinic: Clinic, p: Patient) -> str | None:
    """W2: a target above the track's maximum leaves no legal week at all."""
    band = clinic.settings.band(p.track)
    if p.hours_target is None or p.hours_target <= band.max_hours + 1e-9:
        return None
    return (
        f"Their target of {p.hours_target:g} hours a week is above the {p.track} track's "
        f"maximum of {band.max_hours:g} hours: lower hours_target on the Patients sheet or "
        f"raise {p.track}_max_hours on the Clinic sheet."
    )


def _reachable_hours(
    clinic: Clinic, p: Patient, week: int, free_by_type: dict[str, list[Block]]
) -> float:
    """The most hours the patient's free blocks could give (W2 against W3's blocks a day),
    with every single session their curriculum asks for and a family session if due: an
    upper bound, so a reason built on it is never wrong."""
    types = clinic.session_type_by_id
    per_day: dict[Weekday, list[float]] = defaultdict(list)
    for st in clinic.session_types:
        if st.kind in _SINGLE or not st.counts_toward_hours or p.track not in st.tracks:
            continue
        for b in free_by_type.get(st.id) or _free_blocks(clinic, p, st, week):
            per_day[b.weekday].append(st.hours)
    most = clinic.settings.max_group_blocks_per_day
    groups = sum(sum(sorted(hs, reverse=True)[:most]) for hs in per_day.values())
    singles = sum(
        types[i.session_type].hours * required_sessions(clinic, p, i, week)
        for i in clinic.curriculum_for(p.track)
        if types[i.session_type].kind in _SINGLE and types[i.session_type].counts_toward_hours
    )
    # W5: a family session due this week may add its hours too.
    family = [
        st.hours
        for st in session_types_of_kind(clinic, p, SessionKind.FAMILY)
        if st.counts_toward_hours and family_slots(clinic, p, st, week)
    ]
    due = p.family_due(clinic.settings.week_start + dt.timedelta(weeks=week))
    return groups + singles + (max(family) if due and family else 0)


def _hours_short(
    clinic: Clinic,
    p: Patient,
    week: int,
    free_by_type: dict[str, list[Block]],
    busy_txt: str,
) -> str | None:
    wh = week_hours(clinic, p, week)
    if not wh.whole:
        return None
    need = wh.target
    most = _reachable_hours(clinic, p, week, free_by_type)
    if most >= need - 1e-9:
        return None
    what = "target" if (p.hours_target or 0) > wh.band.min_hours else "minimum"
    if wh.step_down:
        what = f"step-down minimum (before discharge {p.discharge:%d %b})"
    per_day = clinic.settings.max_group_blocks_per_day
    return (
        f"Their free blocks give at most {most:g} hours a week ({per_day} group block(s) a day "
        f"at most), below their {what} of {need:g} hours{busy_txt}."
    )


def _mates(clinic: Clinic, p: Patient, st: SessionType, b: Block, week: int) -> list[Patient]:
    """Other patients who could share ``p``'s group of ``st`` in ``b`` (S1, S2, S3)."""
    return [
        q
        for q in clinic.patients
        if q.id != p.id
        and q.track is p.track
        and (not st.single_sex or q.sex is p.sex)
        and (not st.phases or q.phase in st.phases)
        and patient_can_attend(clinic, q, b, st, week)
    ]


def _too_few_mates(
    clinic: Clinic, p: Patient, st: SessionType, per_week: int, free: list[Block], week: int
) -> str | None:
    """G1: the group's minimum size cannot be met with the patients who could join."""
    if st.min_size <= 1 or len(free) < per_week:
        return None
    sizes = {b.id: 1 + len(_mates(clinic, p, st, b, week)) for b in free}
    viable = [b for b in free if sizes[b.id] >= st.min_size]
    if len(viable) >= per_week:
        return None
    who = f"{p.sex} {p.track}" if st.single_sex else str(p.track)
    if st.single_sex and max(sizes.values()) == 1:
        return (
            f"{st.name} groups are single-sex with at least {st.min_size} patients, and they "
            f"are the only {who} patient who could attend them."
        )
    shown = ", ".join(f"{b.id} {sizes[b.id]}" for b in free)
    return (
        f"{st.name} groups need at least {st.min_size} patients, and too few {who} patients "
        f"could join them in their free blocks ({shown})."
    )


def _blocks_lost(clinic: Clinic, p: Patient, st: SessionType, week: int) -> str:
    """What takes the other blocks of ``st`` at the patient's site away: commitments with
    the travel buffer (T2), closures (T4), the treatment dates (P2) — only what applies."""
    blocks = [
        b
        for b in clinic.blocks
        if b.kind is st.block_kind and b.site == p.site and st.duration_min <= b.window.minutes
    ]
    buffer = clinic.settings.travel_buffer_min
    busy = [b.id for b in blocks if not p.free(session_window(b, st), buffer)]
    closed = [b.id for b in blocks if clinic.is_closed(b, week)]
    dated = [b.id for b in blocks if not p.in_treatment(clinic.block_date(b, week))]
    parts = []
    if busy:
        parts.append(
            f"{', '.join(busy)} clash with their commitments "
            f"({describe_commitments(p.commitments)}) and the {buffer}-minute travel buffer"
        )
    if closed:
        parts.append(f"{', '.join(closed)} closed")
    if dated:
        parts.append(f"{', '.join(dated)} outside their treatment dates")
    return "; ".join(parts) or "no other block of its kind"


def explain_unplaced(
    clinic: Clinic,
    sessions: Sequence[Session],
    patient_id: str,
    blockers: Sequence[str] = (),
) -> str:
    """One or two sentences on why ``patient_id`` has no place in ``sessions``."""
    p = clinic.patient_by_id[patient_id]
    week = _first_week(clinic, p)
    busy = describe_commitments(p.commitments)
    busy_txt = f" ({busy})" if busy else ""
    reasons: list[str] = list(blockers)

    dated = _outside_treatment_dates(clinic, p, week)
    if dated is not None:
        return dated
    wh = week_hours(clinic, p, week)
    target = _target_above_band(clinic, p) if wh.whole and not wh.step_down else None
    if target is not None:
        return target
    needs = _group_needs(clinic, p, week)
    free_by_type = {st.id: _free_blocks(clinic, p, st, week) for st, _ in needs}
    all_free = sorted(
        {b.id: b for bs in free_by_type.values() for b in bs}.values(),
        key=lambda b: (b.weekday, b.window.start),
    )
    if needs and not all_free:
        return f"No group block is free for them: {_blocks_lost(clinic, p, needs[0][0], week)}."
    for st, per_week in needs:
        free = free_by_type[st.id]
        if len(free) < per_week:
            shown = ", ".join(b.id for b in free) or "none"
            reasons.append(
                f"{st.name} is needed {per_week}× a week but only {len(free)} of its blocks "
                f"are open to them (free: {shown}; {_blocks_lost(clinic, p, st, week)})."
            )
        able = [
            b for b in free if any(can_lead(clinic, t.id, b, st, week) for t in clinic.therapists)
        ]
        if free and not able:
            reasons.append(
                f"No therapist credentialed for {st.name} is available in their free blocks."
            )
        reasons.append(_too_few_mates(clinic, p, st, per_week, free, week) or "")
    days = {b.weekday for b in all_free}
    # W3's days (W7's in a step-down week) bind only in a whole week in treatment.
    need_days = wh.min_days
    if needs and len(days) < need_days:
        reasons.append(
            f"They are free for groups on {len(days)} day(s) ({_days(days)}) but the program "
            f"needs groups on {need_days} days{busy_txt}."
        )
    if not any(reasons):
        reasons.append(_hours_short(clinic, p, week, free_by_type, busy_txt) or "")

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
        elif slots and required_sessions(clinic, p, item, week):
            reasons.append(_primary_booked(clinic, sessions, p, st, slots, week, busy_txt) or "")

    reasons.append(_family_blocked(clinic, sessions, p, week) or "")

    # Caseload of the primary therapist.
    placed_ids = {q for s in sessions for q in s.patients}
    t = clinic.therapist_by_id[p.primary_therapist]
    case = sum(1 for q in clinic.patients if q.primary_therapist == t.id and q.id in placed_ids)
    if case >= t.caseload_cap:
        reasons.append(
            f"Their primary therapist {t.id}'s caseload is full ({case}/{t.caseload_cap})."
        )

    if not any(reasons):
        reasons += [
            _leader_hours_short(clinic, sessions, p, st, n, free_by_type[st.id], week) or ""
            for st, n in needs
        ]
    # The groups they could have joined.
    if not any(reasons) and all_free:
        reasons.append(_full_groups(clinic, sessions, p, needs, free_by_type, week, busy_txt))
    text = " ".join(r for r in reasons if r)
    if text:
        return text
    # P1: an unplaced patient always has a reason, even when the data name no single cause.
    placed = [q for q in clinic.patients if q.id in placed_ids and q.site == p.site]
    first = _ahead(clinic, p, placed)
    order = f" ({first} were placed first)" if first else ""
    return (
        f"Could not be fitted alongside the placed patients{order} within the time limit; "
        "more staff hours, another group block or a longer run may make room."
    )


def _primary_booked(
    clinic: Clinic,
    sessions: Sequence[Session],
    p: Patient,
    st: SessionType,
    slots: list[Block],
    week: int,
    busy_txt: str,
) -> str | None:
    """G5/T1 against the schedule: the primary therapist's week or days are full, or they
    are leading something else at every slot the patient could meet them."""
    t = clinic.therapist_by_id[p.primary_therapist]
    types = clinic.session_type_by_id
    blocks = clinic.block_by_id
    theirs = [s for s in sessions if s.week == week and t.id in s.therapists]
    booked = sum(types[s.session_type].hours for s in theirs)
    if booked + st.hours > t.max_hours_week + 1e-9:
        return (
            f"Their primary therapist {t.id} is booked for {booked:g} of their "
            f"{t.max_hours_week:g} hours this week, leaving no time for {st.name}."
        )
    by_day: dict[Weekday, float] = defaultdict(float)
    for s in theirs:
        by_day[blocks[s.block].weekday] += types[s.session_type].hours
    clash = [b for b in slots if _therapist_busy(clinic, sessions, t.id, b, st, week)]
    full_day = [b for b in slots if by_day[b.weekday] + st.hours > t.max_hours_day + 1e-9]
    if len({b.id for b in clash + full_day}) < len(slots):
        return None
    shown = ", ".join(b.id for b in slots)
    if not full_day:
        return (
            f"{st.name} with their primary therapist {t.id} fits only "
            f"{shown}{busy_txt}, and {t.id} is booked at those times "
            f"({_booked_with(clinic, sessions, t.id, slots, st, week)})."
        )
    return (
        f"{st.name} with their primary therapist {t.id} fits only {shown}{busy_txt}, and "
        f"{t.id} is booked then or has reached their {t.max_hours_day:g} hours on those days."
    )


def _family_blocked(
    clinic: Clinic, sessions: Sequence[Session], p: Patient, week: int
) -> str | None:
    """W5 against the schedule: a family session is due and has blocks in the data (so it
    is not waived), but in each of them every therapist who may lead it is booked."""
    if not p.family_due(clinic.settings.week_start + dt.timedelta(weeks=week)):
        return None
    options = [
        (b, st)
        for st in session_types_of_kind(clinic, p, SessionKind.FAMILY)
        for b in family_slots(clinic, p, st, week)
    ]
    if not options:
        return None  # waived (scheduler.compliance): it keeps nobody out
    leaders: set[str] = set()
    for b, st in options:
        able = [t.id for t in clinic.therapists if can_lead(clinic, t.id, b, st, week)]
        if any(not _therapist_busy(clinic, sessions, t, b, st, week) for t in able):
            return None
        leaders.update(able)
    shown = ", ".join(sorted({b.id for b, _ in options}))
    who = ", ".join(sorted(leaders))
    held = "; ".join(
        f"{t} {_booked_with(clinic, sessions, t, [b for b, _ in options], options[0][1], week)}"
        for t in sorted(leaders)
    )
    return (
        f"{options[0][1].name} is due this week and fits only {shown} (the family's times), "
        f"where every therapist who may lead it ({who}) is booked ({held})."
    )


def _booked_with(
    clinic: Clinic,
    sessions: Sequence[Session],
    therapist_id: str,
    slots: list[Block],
    st: SessionType,
    week: int,
) -> str:
    """What holds the therapist at the slots: "leading 3 groups, 2 individual sessions".
    Groups another therapist could have led are the coordinator's lever."""
    wanted = [session_window(b, st) for b in slots]
    held = [
        s
        for s in sessions
        if s.week == week
        and therapist_id in s.therapists
        and any(s.window(clinic).overlaps(w) for w in wanted)
    ]
    kinds = Counter(clinic.session_type_by_id[s.session_type].is_group for s in held)
    parts = [f"{kinds[True]} group(s)"] if kinds[True] else []
    parts += [f"{kinds[False]} individual or family session(s)"] if kinds[False] else []
    return "leading " + ", ".join(parts)


def _leader_hours_short(
    clinic: Clinic,
    sessions: Sequence[Session],
    p: Patient,
    st: SessionType,
    per_week: int,
    free: list[Block],
    week: int,
) -> str | None:
    """G5 against the schedule: each of the patient's ``st`` sessions is a group with room
    already running in a free block, or a new group some leader has the weekly hours for.
    Fewer of both together than they need is the cause."""
    types = clinic.session_type_by_id
    joinable = {
        s.block
        for s in sessions
        if s.week == week
        and s.session_type == st.id
        and s.block in {b.id for b in free}
        and _same_class(clinic, p, st, s)
        and len(s.patients) < _seats_of(clinic, s, st)
    }
    leaders = [
        t for t in clinic.therapists if any(can_lead(clinic, t.id, b, st, week) for b in free)
    ]
    booked = {
        t.id: sum(
            types[s.session_type].hours for s in sessions if s.week == week and t.id in s.therapists
        )
        for t in leaders
    }
    spare = sum(int((t.max_hours_week - booked[t.id]) / st.hours + 1e-9) for t in leaders)
    if len(joinable) + spare >= per_week:
        return None
    hours = ", ".join(f"{t.id} {booked[t.id]:g} of {t.max_hours_week:g} h" for t in leaders)
    return (
        f"{st.name} is needed {per_week}× a week, but {len(joinable)} {st.id} group(s) with "
        f"room run in their free blocks and the therapists who may lead it there have hours "
        f"left for {spare} more ({hours} booked)."
    )


def _seats_of(clinic: Clinic, s: Session, st: SessionType) -> int:
    room = clinic.room_by_id[s.room]
    return st.max_size if room.virtual else min(st.max_size, room.capacity)


def _same_class(clinic: Clinic, p: Patient, st: SessionType, s: Session) -> bool:
    """Whether ``p`` could share session ``s`` of ``st`` (S1 track, S2 sex, S3 phase)."""
    others = [clinic.patient_by_id[q] for q in s.patients]
    return (
        all(q.track is p.track for q in others)
        and (not st.single_sex or all(q.sex is p.sex for q in others))
        and (not st.phases or p.phase in st.phases)
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
    """The groups of the patient's kind in their free blocks, as the schedule has them."""
    rooms = clinic.room_by_id
    patients = clinic.patient_by_id
    full: list[str] = []
    open_spots: list[str] = []
    none_running: dict[str, list[str]] = defaultdict(list)  # type → blocks without one
    holders: dict[str, Patient] = {}
    for st, _ in needs:
        for b in free_by_type[st.id]:
            here = [
                s
                for s in sessions
                if s.week == week
                and s.block == b.id
                and s.session_type == st.id
                and _same_class(clinic, p, st, s)
            ]
            if not here:
                none_running[st.id].append(b.id)
            for s in here:
                room = rooms[s.room]
                cap = st.max_size if room.virtual else min(st.max_size, room.capacity)
                label = f"{b.id} {st.id} {len(s.patients)}/{cap}"
                (full if len(s.patients) >= cap else open_spots).append(label)
                holders.update((q, patients[q]) for q in s.patients)
    first = _ahead(clinic, p, holders.values())
    if full and not open_spots and not none_running:
        head = f"Every {p.track.value} group in their free blocks is full at {', '.join(full)}"
        later = _behind(clinic, p, holders.values())
        if later:
            # Placement is lexicographic (RULES.md P3): a lower-priority patient keeps a
            # place only when this patient could not take it and still have a legal week,
            # so the full groups are not the whole cause; say so rather than blame them.
            return (
                f"{head}{busy_txt}; {len(later)} of those seats are held by patients placed "
                "after them in priority (new admissions, or later ones), but taking one of "
                "those patients' places would still not give them a legal week."
            )
        if first is None:
            return f"{head}{busy_txt}, with patients of the same priority as them."
        return f"{head}{busy_txt}, with {first}, who are placed first."
    # No single cause: state the groups as they stand against what the patient needs.
    order = f" ({first} were placed first)" if first else ""
    missing = [
        f"no {p.track.value} {st_id} group in {', '.join(blocks)}"
        for st_id, blocks in none_running.items()
    ]
    held = ", ".join([*(f"{x} full" for x in full), *open_spots, *missing])
    need = ", ".join(f"{st.id} {n}×" for st, n in needs)
    hours = week_hours(clinic, p, week)
    days = hours.min_days if hours.whole else 1
    return (
        f"Could not be fitted with the other patients{order}. Their free blocks hold: "
        f"{held}; they need {need} a week on at least {days} day(s){busy_txt}."
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


def no_solution_reason(time_limit_s: float, proven: bool = False) -> str:
    """Why there is no schedule at all. A proven infeasibility is not a matter of time, so
    only a search that ran out of time is told to run longer."""
    if proven:
        return (
            "No schedule can satisfy the clinic's rules, even with nobody placed: more time "
            "will not help. Run validate and fix what it reports, then run again."
        )
    return (
        f"No schedule was found within the {time_limit_s:g}-second time limit; run again "
        "with a longer time limit."
    )


def unmet_lock_reason(
    lock_ids: Sequence[str],
    data: Sequence[str] = (),
    clashes: Sequence[str] | None = (),
    proven: bool = True,
    shared: Sequence[str] = (),
) -> str:
    """Why a lock is not kept (RULES.md L1), from the binding cause. ``lock_ids`` are the
    locks of one pinned session (kept or dropped together); ``data`` what the data alone
    shows cannot hold (validate's words); ``clashes`` the kept locks it cannot be kept
    with (empty: it cannot hold whatever the others; None: not diagnosed), ``shared`` who
    or what they both name (e.g. ``"patient P1"``); ``proven`` whether the solve proved
    that no schedule keeps more locks."""
    together = ""
    if len(lock_ids) > 1:
        together = (
            f"Locks {', '.join(lock_ids)} name the same patient, therapist or room in one "
            "block, so they pin one session and are kept or dropped together. "
        )
    if data:
        cause = f"It cannot hold: {'; '.join(data)}."
    elif clashes:
        which = "lock {}, which is" if len(clashes) == 1 else "locks {}, which are"
        both = f"both name {', '.join(shared)}, and " if shared else ""
        cause = (
            f"It cannot be kept together with {which.format(', '.join(clashes))} kept: "
            f"{both}together they ask for the same person, room or time, or more than the "
            "rules allow."
        )
    elif clashes is not None:
        cause = (
            "No schedule can keep it, whatever the other locks: it asks for something the "
            "clinic's rules do not allow at that time (hours, group size, credentials or "
            "bookings)."
        )
    elif proven:
        cause = (
            "No schedule keeps more of the locks than this one (proven), so keeping it "
            "means dropping another lock."
        )
    else:
        return together + (
            "No schedule keeping it was found within the time limit; a longer time limit "
            "may keep it."
        )
    return f"{together}{cause} Change or remove it on the Locks sheet."
