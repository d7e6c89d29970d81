"""Building a whole clinic: sizing defaults, :func:`generate_clinic` (sites, staff, rooms,
patients and their primary therapists), and the shipped :func:`sample_clinic`."""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import replace
from datetime import date, timedelta

from scheduler.domain import (
    Block,
    BlockKind,
    Clinic,
    ClinicSettings,
    Closure,
    Patient,
    Room,
    Site,
    Therapist,
    covered,
)
from scheduler.generator.catalog import (
    LICENSED,
    SITE_NAMES,
    curriculum,
    session_types,
    site_blocks,
    weighted_choice,
)
from scheduler.generator.patients import PatientDraft, draft_patients, is_free
from scheduler.generator.staff import SHIFT_WEIGHTS, SHIFTS, TEMPLATE, draft_therapist

DEFAULT_WEEK_START = date(2026, 12, 7)  # a Monday
MIN_PATIENTS_PER_SITE = 10
MIN_THERAPISTS_PER_SITE = 3
MAX_PATIENTS = 5000


# --------------------------------------------------------------------------------------
# Sizes.


def _apportion(total: int, weights: Sequence[float], minimum: int) -> list[int]:
    """Split ``total`` in proportion to ``weights``, each part at least ``minimum``
    (largest remainder; ties to the earlier part)."""
    n = len(weights)
    spare = total - minimum * n
    if spare < 0:
        raise ValueError(f"{total} cannot be split into {n} parts of at least {minimum}")
    scale = sum(weights)
    raw = [spare * w / scale for w in weights]
    parts = [math.floor(r) for r in raw]
    order = sorted(range(n), key=lambda i: (-(raw[i] - parts[i]), i))
    for i in order[: spare - sum(parts)]:
        parts[i] += 1
    return [p + minimum for p in parts]


def default_therapists(patients: int, sites: int, tight: bool = False) -> int:
    """Staff in proportion to patients: one per 7.5 patients (one per 20 when tight)."""
    per = 20.0 if tight else 7.5
    return max(MIN_THERAPISTS_PER_SITE * sites, round(patients / per))


def default_rooms(site_patients: Sequence[int], tight: bool = False) -> int:
    """Group rooms: one per 20 patients and at least two a site (one per 100 when tight)."""
    if tight:
        return sum(max(1, n // 100) for n in site_patients)
    return sum(max(2, math.ceil(n / 20)) for n in site_patients)


# --------------------------------------------------------------------------------------
# The generator.


def generate_clinic(
    patients: int = 60,
    therapists: int | None = None,
    rooms: int | None = None,
    sites: int = 1,
    seed: int = 0,
    tight: bool = False,
    week_start: date = DEFAULT_WEEK_START,
) -> Clinic:
    """A realistic clinic of ``patients`` patients over ``sites`` sites.

    ``therapists`` defaults to :func:`default_therapists`; ``rooms`` is the number of group
    rooms over all sites and defaults to :func:`default_rooms`. Each site also gets one
    family room per 60 patients and one counseling office per two therapists, and the clinic
    one telehealth room (two above four sites). ``tight`` shrinks the defaults so that demand
    exceeds capacity; the patients are the same as in the loose clinic of the same seed.
    Raises ValueError for sizes it cannot build (fewer than 10 patients or 3 therapists a
    site, ``week_start`` not a Monday).
    """
    if sites < 1:
        raise ValueError("sites must be at least 1")
    if not MIN_PATIENTS_PER_SITE * sites <= patients <= MAX_PATIENTS:
        raise ValueError(f"patients must be {MIN_PATIENTS_PER_SITE} per site up to {MAX_PATIENTS}")
    if week_start.weekday() != 0:
        raise ValueError("week_start must be a Monday")
    # Independent streams so that the same seed gives the same patients loose or tight.
    site_rng = random.Random(seed * 4 + 0)
    patient_rng = random.Random(seed * 4 + 1)
    staff_rng = random.Random(seed * 4 + 2)
    buffer_min = 30

    site_ids = [f"S{i + 1}" for i in range(sites)]
    names = list(SITE_NAMES)
    site_rng.shuffle(names)
    site_records = tuple(
        Site(sid, names[i % len(names)] + ("" if i < len(names) else f" {i // len(names) + 1}"))
        for i, sid in enumerate(site_ids)
    )
    site_patients = _apportion(
        patients, [site_rng.uniform(0.8, 1.2) for _ in site_ids], MIN_PATIENTS_PER_SITE
    )

    blocks_by_site: dict[str, list[Block]] = {}
    for sid in site_ids:
        prefix = "" if sites == 1 else f"{sid}-"
        blocks_by_site[sid] = site_blocks(sid, prefix)

    # Family slots and the days a licensed therapist works them, from the fixed template.
    licensed_shifts = [SHIFTS[label] for label, creds in TEMPLATE if creds == LICENSED]

    def family_blocks(sid: str) -> list[Block]:
        return [
            b
            for b in blocks_by_site[sid]
            if b.kind is BlockKind.SLOT
            and any(covered(s.windows, b.window) for s in licensed_shifts)
        ]

    used_names: set[str] = set()  # nobody shares a name, staff included
    drafts: list[PatientDraft] = []
    for sid, count in zip(site_ids, site_patients, strict=True):
        drafts += draft_patients(
            patient_rng,
            used_names,
            sid,
            count,
            blocks_by_site[sid],
            family_blocks(sid),
            week_start,
            buffer_min,
        )

    # Staff.
    n_therapists = (
        therapists if therapists is not None else default_therapists(patients, sites, tight)
    )
    if n_therapists < MIN_THERAPISTS_PER_SITE * sites:
        raise ValueError(f"therapists must be at least {MIN_THERAPISTS_PER_SITE} per site")
    per_site_staff = _apportion(n_therapists, site_patients, MIN_THERAPISTS_PER_SITE)
    width = max(2, len(str(n_therapists)))
    staff: list[Therapist] = []
    home: dict[str, str] = {}  # therapist -> the site where they hold a caseload
    for s_index, (sid, count) in enumerate(zip(site_ids, per_site_staff, strict=True)):
        for k in range(count):
            ident = f"T{len(staff) + 1:0{width}d}"
            if k < len(TEMPLATE):
                label, creds = TEMPLATE[k]
                staff.append(
                    draft_therapist(staff_rng, used_names, ident, [sid], SHIFTS[label], creds)
                )
                home[ident] = sid
                continue
            shift = SHIFTS[weighted_choice(staff_rng, SHIFT_WEIGHTS)]
            works = [sid]
            if sites > 1 and staff_rng.random() < 0.1:  # a floater covering a second site
                works.append(site_ids[(s_index + 1) % sites])
            staff.append(draft_therapist(staff_rng, used_names, ident, works, shift, None))
            home[ident] = sid

    staff = _cover_caseloads(staff, home, site_ids, site_patients)

    # Rooms.
    n_group_rooms = rooms if rooms is not None else default_rooms(site_patients, tight)
    if n_group_rooms < sites:
        raise ValueError("rooms (group rooms) must be at least one per site")
    per_site_rooms = _apportion(n_group_rooms, site_patients, 1)
    room_records: list[Room] = []
    room_width = max(2, len(str(n_group_rooms + patients // 30 + n_therapists)))

    def add_room(site: str, name: str, capacity: int, features: Sequence[str]) -> None:
        ident = f"R{len(room_records) + 1:0{room_width}d}"
        room_records.append(Room(ident, name, site, capacity, frozenset(features)))

    for sid, count, n_patients, n_staff in zip(
        site_ids, per_site_rooms, site_patients, per_site_staff, strict=True
    ):
        for k in range(count):
            capacity = 12 if k == 0 else staff_rng.choice((10, 12, 12, 14))
            features = ["accessible"] if k == 0 or staff_rng.random() < 0.3 else []
            add_room(sid, f"Group room {k + 1}", capacity, features)
        for k in range(max(1, math.ceil(n_patients / 60))):
            add_room(sid, f"Family room {k + 1}", 6, ["accessible", "family"])
        for k in range(max(1, math.ceil(n_staff / 2))):
            add_room(sid, f"Office {k + 1}", 2, [])
    for k in range(1 if sites <= 4 else 2):
        room_records.append(Room(f"VR{k + 1}", f"Telehealth room {k + 1}", "", 15, virtual=True))

    # Primary therapists, then IDs in admission order (as a clinic numbers its intake).
    drafts.sort(key=lambda d: (d.admission, d.site, d.name))
    pid_width = max(4, len(str(patients)))
    ids = [f"P{i + 1:0{pid_width}d}" for i in range(len(drafts))]
    primaries = _assign_primaries(drafts, ids, staff, home, blocks_by_site, buffer_min, week_start)
    patient_records = tuple(
        Patient(
            id=pid,
            name=d.name,
            site=d.site,
            track=d.track,
            sex=d.sex,
            phase=d.phase,
            admission=d.admission,
            discharge=d.discharge,
            primary_therapist=primaries[pid],
            family_cadence=d.family_cadence,
            family_availability=d.family_availability,
            telehealth_ok=d.telehealth_ok,
            calendar_consent=d.calendar_consent,
            preference=d.preference,
            commitments=d.commitments,
        )
        for pid, d in zip(ids, drafts, strict=True)
    )

    # Staff time off: one non-template therapist takes a day off this week.
    closures: tuple[Closure, ...] = ()
    extras = [t for k, t in enumerate(staff) if k >= len(TEMPLATE) and len(staff) >= 6]
    if extras:
        off = staff_rng.choice(extras)
        day = staff_rng.choice(sorted({w.weekday for w in off.availability}))
        closures = (
            Closure(week_start + timedelta(days=int(day)), therapist=off.id, note="time off"),
        )

    return Clinic(
        settings=ClinicSettings(
            name="Harbor Wellness Center",
            timezone="America/New_York",
            week_start=week_start,
            travel_buffer_min=buffer_min,
        ),
        sites=site_records,
        blocks=tuple(b for sid in site_ids for b in blocks_by_site[sid]),
        session_types=session_types(),
        curriculum=curriculum(),
        therapists=tuple(staff),
        rooms=tuple(room_records),
        patients=patient_records,
        closures=closures,
    )


def _cover_caseloads(
    staff: list[Therapist],
    home: dict[str, str],
    site_ids: Sequence[str],
    site_patients: Sequence[int],
) -> list[Therapist]:
    """Raise caseload caps (lowest first, to at most 24) until every site's staff can take
    all its patients as primary therapists (a floater holds a caseload at its home site
    only)."""
    out = list(staff)
    for sid, count in zip(site_ids, site_patients, strict=True):
        local = [i for i, t in enumerate(out) if home[t.id] == sid]
        while sum(out[i].caseload_cap for i in local) < count:
            i = min(local, key=lambda i: (out[i].caseload_cap, out[i].id))
            if out[i].caseload_cap >= 24:
                raise ValueError(f"too few therapists at site {sid} for {count} patients at 1:24")
            out[i] = replace(out[i], caseload_cap=out[i].caseload_cap + 1)
    return out


def _assign_primaries(
    drafts: Sequence[PatientDraft],
    ids: Sequence[str],
    staff: Sequence[Therapist],
    home: dict[str, str],
    blocks_by_site: dict[str, list[Block]],
    buffer_min: int,
    week_start: date,
) -> dict[str, str]:
    """Give every patient a primary therapist based at their site with whom they share an
    individual slot (from the admission day on, for mid-week admissions), within caseload
    caps where possible. The most constrained patients choose first; the fitting therapist
    with the lowest caseload share plus *slot pressure* wins (ties by ID), where a patient
    who can meet a therapist in only ``k`` slots adds ``1/k`` to that therapist's pressure,
    so patients with few free hours are spread over the staff."""
    load = {t.id: 0 for t in staff}
    pressure = {t.id: 0.0 for t in staff}
    # Per site, the slot blocks each therapist based there is available for.
    slot_staff: dict[str, list[tuple[Block, list[str]]]] = {}
    for site, blocks in blocks_by_site.items():
        slot_staff[site] = [
            (b, [t.id for t in staff if home[t.id] == site and t.available(b.window)])
            for b in blocks
            if b.kind is BlockKind.SLOT
        ]
    common: dict[str, dict[str, int]] = {}
    for pid, d in zip(ids, drafts, strict=True):
        first_day = max(0, (d.admission - week_start).days)
        counts = {t.id: 0 for t in staff if home[t.id] == d.site}
        for b, available in slot_staff[d.site]:
            if b.weekday >= first_day and is_free(d.commitments, b.window, buffer_min):
                for tid in available:
                    counts[tid] += 1
        common[pid] = counts
    order = sorted(range(len(ids)), key=lambda i: (sum(common[ids[i]].values()), ids[i]))
    by_id = {t.id: t for t in staff}
    out: dict[str, str] = {}
    for i in order:
        pid = ids[i]
        options = common[pid]

        def rank(tid: str, options: dict[str, int] = options) -> tuple[bool, bool, float, str]:
            cap = max(1, by_id[tid].caseload_cap)
            share = (load[tid] + 1) / cap + pressure[tid] + 1 / max(1, options[tid])
            # Caseload caps first: a missing shared slot only waives the individual
            # session (W4), an overfull caseload is an input problem.
            return (load[tid] >= cap, options[tid] == 0, share, tid)

        best = min(options, key=rank)
        load[best] += 1
        pressure[best] += 1 / max(1, options[best])
        out[pid] = best
    return out


def sample_clinic() -> Clinic:
    """The shipped mid-size clinic: one site, 60 patients, 8 therapists, 3 group rooms
    (plus a family room, counseling offices and a telehealth room)."""
    return generate_clinic(patients=60, therapists=8, rooms=3, sites=1, seed=11)
