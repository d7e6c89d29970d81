"""Seeded generator of realistic IOP clinics, and the shipped sample clinic.

``generate_clinic(patients=60, seed=0)`` builds a whole :class:`~scheduler.domain.Clinic`:
sites with the usual weekly pattern of 3-hour group blocks and 1-hour individual/family
slots, the session types and curriculum of DESIGN.md §3, a mixed staff (licensed and
counselor credentials, day, evening, Saturday and part-time shifts), rooms, and patients with
jobs, school and childcare around which they must be scheduled. Everything is drawn from
``random.Random`` streams seeded from ``seed`` (never the global generator) and no step
depends on set iteration order, so a seed always gives the same clinic.

Loose clinics (the default) have rooms and staff with slack, so everyone is placeable; a
``tight=True`` clinic has the same patients with fewer group rooms and therapists, so some
patients cannot be placed. :func:`capacity_estimate` does the seats-needed vs seats-offered
arithmetic per site (no solver) so tests and capacity planning can tell which is which.

All names are invented from short lists of common first and last names.

Run ``python -m scheduler.generator OUT [--patients N] [--sites N] [--seed N] [--tight]``
to write a clinic as a workbook (``OUT`` ending in ``.xlsx``) or a CSV folder.
"""

from __future__ import annotations

import argparse
import math
import random
import sys
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path

from scheduler.domain import (
    Block,
    BlockKind,
    Clinic,
    ClinicSettings,
    Closure,
    Commitment,
    CommitmentKind,
    CurriculumItem,
    FamilyCadence,
    Patient,
    Phase,
    Room,
    SessionKind,
    SessionType,
    Sex,
    Site,
    Therapist,
    TimePreference,
    Track,
    Weekday,
    Window,
    covered,
)

DEFAULT_WEEK_START = date(2026, 12, 7)  # a Monday
MIN_PATIENTS_PER_SITE = 10
MIN_THERAPISTS_PER_SITE = 3
MAX_PATIENTS = 5000

MON, TUE, WED, THU, FRI, SAT = (
    Weekday.MON,
    Weekday.TUE,
    Weekday.WED,
    Weekday.THU,
    Weekday.FRI,
    Weekday.SAT,
)
WEEKDAYS = (MON, TUE, WED, THU, FRI)

LICENSED = ("LCSW", "LPC", "LMFT")
COUNSELOR = ("CADC", "LCADC")
ALL_CREDENTIALS = frozenset(LICENSED + COUNSELOR)


def _hm(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def _w(day: Weekday, start: str, end: str) -> Window:
    return Window(day, _hm(start), _hm(end))


# --------------------------------------------------------------------------------------
# The weekly pattern of every site.

# (label, days, start, end). AFT exists for adolescents: school ends by 15:00 and the
# 30-minute travel buffer rules out the 13:00 PM block, so they need a 15:30 start.
GROUP_BLOCKS: tuple[tuple[str, tuple[Weekday, ...], str, str], ...] = (
    ("AM", (*WEEKDAYS, SAT), "09:00", "12:00"),
    ("PM", WEEKDAYS, "13:00", "16:00"),
    ("AFT", (MON, TUE, WED, THU), "15:30", "18:30"),
    ("EVE", WEEKDAYS, "18:00", "21:00"),
)
# One-hour slots for individual and family sessions: 08:00 before the morning block, the
# lunch hour, and 17:00–20:00 so that people working days can come on a non-group evening;
# Saturday after the morning block for those who work all week.
SLOT_STARTS: tuple[tuple[tuple[Weekday, ...], tuple[str, ...]], ...] = (
    (WEEKDAYS, ("08:00", "12:00", "17:00", "18:00", "19:00")),
    ((SAT,), ("12:00", "13:00", "14:00")),
)
SLOT_MINUTES = 60


def _site_blocks(site: str, prefix: str) -> list[Block]:
    out: list[Block] = []
    for label, days, start, end in GROUP_BLOCKS:
        for day in days:
            out.append(
                Block(f"{prefix}{day.name}-{label}", site, BlockKind.GROUP, _w(day, start, end))
            )
    for days, starts in SLOT_STARTS:
        for day in days:
            for start in starts:
                begin = _hm(start)
                window = Window(day, begin, begin + SLOT_MINUTES)
                ident = f"{prefix}{day.name}-{start.replace(':', '')}"
                out.append(Block(ident, site, BlockKind.SLOT, window))
    return sorted(out, key=lambda b: (b.weekday, b.window.start, b.kind, b.id))


# --------------------------------------------------------------------------------------
# Session types and curriculum.


def session_types() -> tuple[SessionType, ...]:
    """The program's session types; the women's and early-recovery groups are extras that
    no curriculum item requires, so every curriculum stays satisfiable for every patient."""
    adult = frozenset({Track.ADULT})
    teen = frozenset({Track.ADOLESCENT})

    def group(
        ident: str,
        name: str,
        kind: SessionKind,
        tracks: frozenset[Track],
        max_size: int = 12,
        modality: str | None = None,
        single_sex: bool = False,
        phases: frozenset[Phase] = frozenset(),
        cofacilitator_above: int | None = 10,
    ) -> SessionType:
        return SessionType(
            ident,
            name,
            kind,
            BlockKind.GROUP,
            duration_min=180,
            min_size=2,
            max_size=max_size,
            credentials=ALL_CREDENTIALS,
            modality=modality,
            tracks=tracks,
            single_sex=single_sex,
            phases=phases,
            cofacilitator_above=cofacilitator_above,
        )

    return (
        group("GT", "Process group", SessionKind.GROUP_THERAPY, adult),
        group(
            "SB",
            "Relapse prevention skills (CBT)",
            SessionKind.SKILL_BUILDING,
            adult,
            modality="CBT",
        ),
        group("PE", "Psychoeducation", SessionKind.PSYCHOEDUCATION, adult),
        group(
            "WGT",
            "Women's process group",
            SessionKind.GROUP_THERAPY,
            adult,
            max_size=10,
            single_sex=True,
            cofacilitator_above=None,
        ),
        group(
            "ERG",
            "Early recovery group",
            SessionKind.PSYCHOEDUCATION,
            adult,
            max_size=10,
            phases=frozenset({Phase.EARLY}),
            cofacilitator_above=None,
        ),
        group(
            "AGT",
            "Adolescent process group",
            SessionKind.GROUP_THERAPY,
            teen,
            max_size=10,
            cofacilitator_above=8,
        ),
        group(
            "ASK",
            "Adolescent skills group",
            SessionKind.SKILL_BUILDING,
            teen,
            max_size=10,
            cofacilitator_above=8,
        ),
        SessionType(
            "IND",
            "Individual counseling",
            SessionKind.INDIVIDUAL,
            BlockKind.SLOT,
            60,
            1,
            1,
            ALL_CREDENTIALS,
        ),
        SessionType(
            "FAM",
            "Family therapy",
            SessionKind.FAMILY,
            BlockKind.SLOT,
            60,
            1,
            1,
            frozenset(LICENSED),
            room_features=frozenset({"family"}),
        ),
    )


def curriculum() -> tuple[CurriculumItem, ...]:
    """Adults: one each of process group, skills and psychoeducation (9 h) plus an
    individual hour; adolescents: process group and skills (6 h) plus an individual hour."""
    return (
        CurriculumItem(Track.ADULT, "GT", 1),
        CurriculumItem(Track.ADULT, "SB", 1),
        CurriculumItem(Track.ADULT, "PE", 1),
        CurriculumItem(Track.ADULT, "IND", 1),
        CurriculumItem(Track.ADOLESCENT, "AGT", 1),
        CurriculumItem(Track.ADOLESCENT, "ASK", 1),
        CurriculumItem(Track.ADOLESCENT, "IND", 1),
    )


def _group_sessions_needed(track: Track) -> int:
    types = {st.id: st for st in session_types()}
    return sum(
        item.per_week
        for item in curriculum()
        if item.track is track and types[item.session_type].is_group
    )


# --------------------------------------------------------------------------------------
# Names (invented; plain common names, combined at random).

FIRST_NAMES = (
    "Alex", "Avery", "Bailey", "Blake", "Cameron", "Carmen", "Casey", "Dana", "Devon", "Drew",
    "Elena", "Emery", "Farah", "Finley", "Gabriel", "Hana", "Harper", "Imani", "Jamie", "Jesse",
    "Jordan", "Kai", "Kendall", "Lena", "Logan", "Luis", "Malik", "Marisol", "Morgan", "Nadia",
    "Noel", "Omar", "Parker", "Priya", "Quinn", "Reese", "Riley", "Rowan", "Sam", "Sasha",
    "Skyler", "Tatum", "Teresa", "Theo", "Toni", "Val", "Wren", "Yusuf", "Zoe", "Ari",
)  # fmt: skip
LAST_NAMES = (
    "Abbott", "Alvarez", "Barker", "Bishop", "Brennan", "Castillo", "Chen", "Conley", "Dalton",
    "Delgado", "Ellison", "Farrow", "Fischer", "Garner", "Greer", "Hale", "Harlan", "Ibarra",
    "Jensen", "Keller", "Lang", "Lowell", "Marsh", "Mercer", "Nakamura", "Navarro", "Okafor",
    "Osborne", "Pace", "Quill", "Ramsey", "Reyes", "Rhodes", "Salazar", "Sutter", "Tanaka",
    "Thorne", "Underhill", "Vance", "Voss", "Waller", "Whitfield", "Yates", "Young", "Zeller",
)  # fmt: skip
SITE_NAMES = (
    "Riverside", "Northgate", "Elm Street", "Harbor View", "Westfield", "Lakeside", "Hillcrest",
    "Maple Court", "Southpoint", "Cedar Park", "Bayview", "Oakridge",
)  # fmt: skip


def _name(rng: random.Random, used: set[str]) -> str:
    """A fresh invented name: a few tries at first + last, then a middle initial too."""
    for attempt in range(40):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        name = f"{first} {last}"
        if attempt >= 4:
            name = f"{first} {rng.choice('ABCDEFGHJKLMNPRSTVW')}. {last}"
        if name not in used:
            used.add(name)
            return name
    raise ValueError("ran out of invented names")  # pragma: no cover - 40 tries of 850k


# --------------------------------------------------------------------------------------
# Staff.


@dataclass(frozen=True)
class _Shift:
    label: str
    windows: tuple[Window, ...]
    part_time: bool


def _days(days: Sequence[Weekday], start: str, end: str) -> tuple[Window, ...]:
    return tuple(_w(d, start, end) for d in days)


SHIFTS: dict[str, _Shift] = {
    "day": _Shift("day", _days(WEEKDAYS, "08:00", "17:00"), False),
    "evening": _Shift("evening", _days(WEEKDAYS, "12:00", "21:00"), False),
    "evening_sat": _Shift(
        "evening_sat",
        _days((TUE, WED, THU, FRI), "12:00", "21:00") + _days((SAT,), "08:00", "15:00"),
        False,
    ),
    "day_sat": _Shift(
        "day_sat",
        _days((MON, TUE, WED, THU), "08:00", "17:00") + _days((SAT,), "08:00", "15:00"),
        False,
    ),
    "pt_evening": _Shift("pt_evening", _days((MON, WED, THU), "15:00", "21:00"), True),
    "pt_day": _Shift("pt_day", _days((TUE, THU, FRI), "08:00", "16:00"), True),
}
# Demand is evening-heavy (most patients work days), so are the hires.
SHIFT_WEIGHTS: tuple[tuple[str, int], ...] = (
    ("day", 16),
    ("evening", 30),
    ("evening_sat", 20),
    ("day_sat", 10),
    ("pt_evening", 16),
    ("pt_day", 8),
)
# The first three therapists of every site: a licensed evening/Saturday therapist (family
# sessions on evenings and Saturdays), a licensed evening therapist (Monday evenings too)
# and a day counselor; all practise CBT so every block can run the CBT skills group.
TEMPLATE: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("evening_sat", LICENSED),
    ("evening", LICENSED),
    ("day", COUNSELOR),
)


def _weighted(rng: random.Random, table: Sequence[tuple[str, int]]) -> str:
    return rng.choices([k for k, _ in table], weights=[w for _, w in table])[0]


def _therapist(
    rng: random.Random,
    used_names: set[str],
    ident: str,
    site_ids: list[str],
    shift: _Shift,
    template_creds: Sequence[str] | None,
) -> Therapist:
    if template_creds is not None:
        creds = {rng.choice(template_creds)}
        modalities = {"CBT"}
    else:
        creds = {rng.choice(LICENSED if rng.random() < 0.5 else COUNSELOR)}
        modalities = {m for m, p in (("CBT", 0.7), ("DBT", 0.3), ("MI", 0.6)) if rng.random() < p}
    if rng.random() < 0.12:  # dual credential, e.g. LCSW and LCADC
        creds.add(rng.choice(COUNSELOR if creds & set(LICENSED) else LICENSED))
    if rng.random() < 0.5:
        modalities.add("MI")
    if not modalities:
        modalities.add("MI")
    if shift.part_time:
        week, day, cap = 20.0, 8.0, rng.randint(10, 12)
    else:
        week, day, cap = 40.0, 9.0, rng.randint(18, 24)
    return Therapist(
        id=ident,
        name=_name(rng, used_names),
        credentials=frozenset(sorted(creds)),
        modalities=frozenset(sorted(modalities)),
        max_hours_week=week,
        max_hours_day=day,
        caseload_cap=cap,
        sites=frozenset(site_ids),
        availability=shift.windows,
    )


# --------------------------------------------------------------------------------------
# Patients.


@dataclass(frozen=True)
class _Draft:
    """A patient before IDs and a primary therapist are assigned."""

    site: str
    name: str
    track: Track
    sex: Sex
    phase: Phase
    admission: date
    discharge: date
    commitments: tuple[Commitment, ...]
    family_cadence: FamilyCadence
    family_availability: tuple[Window, ...]
    telehealth_ok: bool
    calendar_consent: bool
    preference: TimePreference


def _commit(
    kind: CommitmentKind, days: Sequence[Weekday], start: str, end: str
) -> list[Commitment]:
    return [Commitment(kind, _w(d, start, end)) for d in days]


def _clock(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


# Adult life patterns and their weights; most work days and need evening blocks.
ADULT_PROFILES: tuple[tuple[str, int], ...] = (
    ("day_job", 46),
    ("four_tens", 8),
    ("early_shift", 7),
    ("late_shift", 7),
    ("part_time", 10),
    ("student", 5),
    ("day_free", 17),
)


def _adult_commitments(rng: random.Random, profile: str) -> list[Commitment]:
    work = CommitmentKind.WORK
    out: list[Commitment] = []
    if profile == "day_job":
        start = rng.choice((420, 450, 480, 480, 510, 540))
        end = min(start + rng.choice((480, 510)), _hm("17:30"))
        out += _commit(work, WEEKDAYS, _clock(start), _clock(end))
        if rng.random() < 0.12:  # retail or weekend shift
            out += _commit(work, (SAT,), "09:00", "13:00")
        if rng.random() < 0.15:  # an evening class, a second job, a standing appointment
            out += _commit(CommitmentKind.OTHER, (rng.choice(WEEKDAYS),), "18:00", "21:00")
    elif profile == "four_tens":
        out += _commit(work, (MON, TUE, WED, THU), "07:00", "17:30")
    elif profile == "early_shift":
        out += _commit(work, WEEKDAYS, "06:00", "14:30")
    elif profile == "late_shift":
        out += _commit(work, WEEKDAYS, "15:00", "23:00")
    elif profile == "part_time":
        days = sorted(rng.sample(WEEKDAYS, 3))
        out += _commit(work, days, "09:00", "17:00")
    elif profile == "student":
        if rng.random() < 0.5:
            out += _commit(CommitmentKind.SCHOOL, (MON, WED, FRI), "09:00", "14:00")
        else:
            out += _commit(CommitmentKind.SCHOOL, (TUE, THU), "10:00", "15:00")
    if profile in ("day_free", "part_time") and rng.random() < 0.4:
        # school pickup until early evening; the 18:00 block stays reachable
        out += _commit(CommitmentKind.CHILDCARE, WEEKDAYS, "15:00", "17:30")
    return out


def _adolescent_commitments(rng: random.Random) -> list[Commitment]:
    start = rng.choice(("07:30", "08:00"))
    end = rng.choice(("14:30", "15:00"))
    out = _commit(CommitmentKind.SCHOOL, WEEKDAYS, start, end)
    if rng.random() < 0.3:  # practice or an after-school job on a day or two
        days = sorted(rng.sample(WEEKDAYS, rng.randint(1, 2)))
        out += _commit(CommitmentKind.OTHER, days, "15:30", "17:30")
    return out


def _free(commitments: Sequence[Commitment], window: Window, buffer_min: int) -> bool:
    return not any(c.window.overlaps(window, gap=buffer_min) for c in commitments)


def _reachable_days(
    commitments: Sequence[Commitment], blocks: Sequence[Block], buffer_min: int, days: set[Weekday]
) -> int:
    """Distinct days among ``days`` with a group block the patient is free for."""
    return len(
        {
            b.weekday
            for b in blocks
            if b.kind is BlockKind.GROUP
            and b.weekday in days
            and _free(commitments, b.window, buffer_min)
        }
    )


def _preference(rng: random.Random, track: Track, profile: str) -> TimePreference:
    roll = rng.random()
    if track is Track.ADOLESCENT:
        return TimePreference.AFTERNOON if roll < 0.3 else TimePreference.ANY
    if profile in ("day_job", "four_tens", "early_shift"):
        return TimePreference.EVENING if roll < 0.4 else TimePreference.ANY
    if profile == "late_shift":
        return TimePreference.MORNING if roll < 0.5 else TimePreference.ANY
    if roll < 0.2:
        return TimePreference.MORNING
    if roll < 0.3:
        return TimePreference.AFTERNOON
    return TimePreference.ANY


def _phase(rng: random.Random, admission: date, week_start: date) -> Phase:
    weeks_in = max(0, (week_start - admission).days // 7)
    phase = Phase.EARLY if weeks_in < 3 else Phase.MIDDLE if weeks_in < 7 else Phase.LATE
    if rng.random() < 0.15:  # recovery is not linear
        phase = rng.choice((Phase.EARLY, Phase.MIDDLE, Phase.LATE))
    return phase


def _dates(
    rng: random.Random,
    week_start: date,
    commitments: Sequence[Commitment],
    blocks: Sequence[Block],
    buffer_min: int,
    needed: int,
) -> tuple[date, date]:
    """Admission over the last 8 weeks or this week (rolling admission), planned discharge
    on the Saturday 4–12 weeks on, never before this week's Saturday."""
    weeks_ago = rng.randint(0, 8)
    if weeks_ago == 0:
        # admitted this week: mostly Monday, some mid-week — but only where the rest of
        # the week still has enough reachable group days for the curriculum
        offset = rng.choice((0, 0, 0, 1, 2))
        while offset > 0:
            rest = {Weekday(d) for d in range(offset, 6)}
            if _reachable_days(commitments, blocks, buffer_min, rest) >= needed:
                break
            offset -= 1
        admission = week_start + timedelta(days=offset)
    else:
        admission = week_start - timedelta(weeks=weeks_ago) + timedelta(days=rng.randint(0, 4))
    length = rng.randint(max(4, weeks_ago + 1), 12)
    admitted_monday = admission - timedelta(days=admission.weekday())
    discharge = admitted_monday + timedelta(weeks=length, days=-2)  # a Saturday
    return admission, discharge


def _family(
    rng: random.Random,
    track: Track,
    commitments: Sequence[Commitment],
    fam_blocks: Sequence[Block],
    buffer_min: int,
    first_day: int,
) -> tuple[FamilyCadence, tuple[Window, ...]]:
    """About 25% of adults and 70% of adolescents have family involved. Families come on
    weekday evenings and/or Saturday; the windows always admit some family slot where the
    patient is free and a licensed therapist works, from ``first_day`` (the weekday of a
    mid-week admission) on."""
    if rng.random() >= (0.7 if track is Track.ADOLESCENT else 0.25):
        return FamilyCadence.NONE, ()
    cadence = FamilyCadence(_weighted(rng, (("weekly", 40), ("biweekly", 35), ("monthly", 25))))
    evenings = sorted(rng.sample(WEEKDAYS, rng.randint(2, 4)))
    windows = list(_days(evenings, "17:00", "21:00"))
    if rng.random() < 0.5:
        windows.append(_w(SAT, "09:00", "14:00"))
    candidates = (
        windows,
        [*windows, _w(SAT, "09:00", "14:00")],
        [*_days(WEEKDAYS, "17:00", "21:00"), _w(SAT, "09:00", "14:00")],
    )
    for option in candidates:
        if any(
            covered(option, b.window) and _free(commitments, b.window, buffer_min)
            for b in fam_blocks
            if b.weekday >= first_day
        ):
            return cadence, tuple(sorted(set(option)))
    return FamilyCadence.NONE, ()


def _draft_patients(
    rng: random.Random,
    used_names: set[str],
    site: str,
    count: int,
    blocks: Sequence[Block],
    fam_blocks: Sequence[Block],
    week_start: date,
    buffer_min: int,
) -> list[_Draft]:
    # Adolescents need at least two of them for a group; a site gets none or at least 3.
    teens = round(0.15 * count)
    if 0 < teens < 3:
        teens = 3 if count >= 15 else 0
    tracks = [Track.ADOLESCENT] * teens + [Track.ADULT] * (count - teens)
    rng.shuffle(tracks)
    out: list[_Draft] = []
    for track in tracks:
        needed = _group_sessions_needed(track)
        if track is Track.ADOLESCENT:
            profile = "school"
            commitments = _adolescent_commitments(rng)
        else:
            profile = _weighted(rng, ADULT_PROFILES)
            commitments = _adult_commitments(rng, profile)
        all_days = set(WEEKDAYS) | {SAT}
        # Everyone keeps at least one spare reachable group day beyond the curriculum; drop
        # the optional extras, then the whole pattern, until that holds.
        if _reachable_days(commitments, blocks, buffer_min, all_days) <= needed:
            commitments = [
                c for c in commitments if c.kind in (CommitmentKind.WORK, CommitmentKind.SCHOOL)
            ]
        if _reachable_days(commitments, blocks, buffer_min, all_days) <= needed:
            commitments = []
        admission, discharge = _dates(rng, week_start, commitments, blocks, buffer_min, needed)
        sex = Sex(_weighted(rng, (("female", 45), ("male", 52), ("other", 3))))
        first_day = max(0, (admission - week_start).days)
        cadence, fam_windows = _family(rng, track, commitments, fam_blocks, buffer_min, first_day)
        out.append(
            _Draft(
                site=site,
                name=_name(rng, used_names),
                track=track,
                sex=sex,
                phase=_phase(rng, admission, week_start),
                admission=admission,
                discharge=discharge,
                commitments=tuple(sorted(commitments, key=lambda c: (c.window, c.kind))),
                family_cadence=cadence,
                family_availability=fam_windows,
                telehealth_ok=rng.random() < 0.15,
                calendar_consent=rng.random() < 0.3,
                preference=_preference(rng, track, profile),
            )
        )
    return out


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
        blocks_by_site[sid] = _site_blocks(sid, prefix)

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
    drafts: list[_Draft] = []
    for sid, count in zip(site_ids, site_patients, strict=True):
        drafts += _draft_patients(
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
                staff.append(_therapist(staff_rng, used_names, ident, [sid], SHIFTS[label], creds))
                home[ident] = sid
                continue
            shift = SHIFTS[_weighted(staff_rng, SHIFT_WEIGHTS)]
            works = [sid]
            if sites > 1 and staff_rng.random() < 0.1:  # a floater covering a second site
                works.append(site_ids[(s_index + 1) % sites])
            staff.append(_therapist(staff_rng, used_names, ident, works, shift, None))
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
    drafts: Sequence[_Draft],
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
            if b.weekday >= first_day and _free(d.commitments, b.window, buffer_min):
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


# --------------------------------------------------------------------------------------
# Capacity arithmetic (no solver).


@dataclass(frozen=True)
class SiteCapacity:
    """Seats and staff hours needed vs offered at one site for week 0 of the plan.

    ``evening_*`` count patients who can reach only evening or Saturday group blocks.
    ``groups_needed`` is the fewest group sessions that hold every curriculum seat (one
    session type and track per group, full groups); ``groups_offered`` the room-and-leader
    pairs over the week's group blocks. ``evening_staff_hours_*`` compare the staff time
    after 17:00 and on Saturdays with the groups, individual sessions of evening-only
    patients and family sessions (families come evenings and Saturdays) that need it.
    ``unseated`` are patients a greedy seat assignment (most constrained first, distinct
    days, seats per block from rooms and available staff) could not give enough groups.
    """

    site: str
    patients: int
    seats_needed: int
    seats_offered: int
    evening_seats_needed: int
    evening_seats_offered: int
    groups_needed: int
    groups_offered: int
    staff_hours_needed: float
    staff_hours_offered: float
    evening_staff_hours_needed: float
    evening_staff_hours_offered: float
    unseated: tuple[str, ...]

    @property
    def slack(self) -> float:
        """The smallest offered/needed ratio of seats, evening seats, groups and staff
        hours: below 1 some patient cannot be placed."""
        ratios = [
            _ratio(self.seats_offered, self.seats_needed),
            _ratio(self.groups_offered, self.groups_needed),
            _ratio(self.evening_seats_offered, self.evening_seats_needed),
            _ratio(self.staff_hours_offered, self.staff_hours_needed),
            _ratio(self.evening_staff_hours_offered, self.evening_staff_hours_needed),
        ]
        return min(ratios)


def _ratio(offered: float, needed: float) -> float:
    return math.inf if needed == 0 else offered / needed


def _is_evening(block: Block) -> bool:
    return block.window.start >= 17 * 60 or block.weekday is SAT


def _evening_hours(t: Therapist) -> float:
    """Hours a therapist is available after 17:00 on weekdays or at all on Saturday."""
    minutes = 0
    for w in t.availability:
        if w.weekday is SAT:
            minutes += w.minutes
        elif w.weekday < SAT:
            minutes += max(0, w.end - max(w.start, 17 * 60))
    return minutes / 60


def capacity_estimate(clinic: Clinic, week: int = 0) -> list[SiteCapacity]:
    """Per site: group seats and staff hours the patients need vs what rooms and staff
    can offer, and a greedy seating check. Arithmetic only, for sanity checks and planning."""
    settings = clinic.settings
    week_start = settings.week_start + timedelta(weeks=week)
    types = clinic.session_type_by_id
    group_cap = max(st.max_size for st in clinic.session_types if st.is_group)
    out: list[SiteCapacity] = []
    for site in clinic.sites:
        blocks = [
            b
            for b in clinic.blocks
            if b.site == site.id and b.kind is BlockKind.GROUP and not clinic.is_closed(b, week)
        ]
        rooms = sorted(
            (
                r.capacity
                for r in clinic.rooms
                if not r.virtual and r.site == site.id and r.capacity >= 6
            ),
            reverse=True,
        )
        staff = [t for t in clinic.therapists if site.id in t.sites]
        seats: dict[str, int] = {}
        groups: dict[str, int] = {}
        for b in blocks:
            leaders = sum(
                1
                for t in staff
                if t.available(b.window) and not clinic.is_closed(b, week, therapist=t.id)
            )
            groups[b.id] = min(len(rooms), leaders)
            seats[b.id] = sum(min(c, group_cap) for c in rooms[: groups[b.id]])
        # A room hosts one block at a time: per day keep the best non-overlapping layout
        # (e.g. AM + PM + EVE rather than AM + AFT) and offer no seats in the others.
        for day in sorted({b.weekday for b in blocks}):
            layout = _best_layout([b for b in blocks if b.weekday == day], seats)
            for b in blocks:
                if b.weekday == day and b.id not in layout:
                    seats[b.id] = groups[b.id] = 0
        patients = [
            p
            for p in clinic.patients
            if p.site == site.id
            and p.admission <= week_start + timedelta(days=6)
            and p.discharge >= week_start
        ]
        need: dict[str, int] = {}
        options: dict[str, list[Block]] = {}
        family_due = 0
        per_type: dict[str, int] = {}  # "track/type" -> seats needed
        for p in patients:
            for item in clinic.curriculum_for(p.track):
                if types[item.session_type].is_group:
                    key = f"{p.track}/{item.session_type}"
                    per_type[key] = per_type.get(key, 0) + item.per_week
            need[p.id] = sum(
                item.per_week
                for item in clinic.curriculum_for(p.track)
                if types[item.session_type].is_group
            )
            options[p.id] = [
                b
                for b in blocks
                if p.free(b.window, settings.travel_buffer_min)
                and p.in_treatment(clinic.block_date(b, week))
            ]
            family_due += p.family_due(week_start)
        evening_only = [
            p for p in patients if options[p.id] and all(_is_evening(b) for b in options[p.id])
        ]
        seats_needed = sum(need.values())
        # Staff: 3 h per group of ~10, an hour per individual and per family session due.
        staff_needed = 3.0 * math.ceil(seats_needed / 10) + len(patients) + family_due
        evening_seats = sum(need[p.id] for p in evening_only)
        evening_needed = (
            3.0 * math.ceil(evening_seats / 10)
            + len(evening_only)
            + sum(p.family_due(week_start) for p in patients)
        )
        evening_offered = sum(_evening_hours(t) / len(t.sites) for t in staff)
        staff_offered = sum(
            min(t.max_hours_week, sum(w.minutes for w in t.availability) / 60) / len(t.sites)
            for t in staff
        )
        out.append(
            SiteCapacity(
                site=site.id,
                patients=len(patients),
                seats_needed=seats_needed,
                seats_offered=sum(seats.values()),
                evening_seats_needed=evening_seats,
                evening_seats_offered=sum(seats[b.id] for b in blocks if _is_evening(b)),
                groups_needed=sum(
                    math.ceil(n / types[key.split("/")[1]].max_size)
                    for key, n in sorted(per_type.items())
                ),
                groups_offered=sum(groups.values()),
                staff_hours_needed=staff_needed,
                staff_hours_offered=round(staff_offered, 1),
                evening_staff_hours_needed=evening_needed,
                evening_staff_hours_offered=round(evening_offered, 1),
                unseated=_greedy_unseated(patients, need, options, seats),
            )
        )
    return out


def _best_layout(day_blocks: Sequence[Block], seats: dict[str, int]) -> set[str]:
    """The non-overlapping subset of one day's blocks with the most seats (a day has a
    handful of group blocks, so every subset is tried; ties go to the earlier subset)."""
    best: set[str] = set()
    best_seats = -1
    n = len(day_blocks)
    for mask in range(1 << n):
        chosen = [day_blocks[i] for i in range(n) if mask >> i & 1]
        if any(a.window.overlaps(b.window) for i, a in enumerate(chosen) for b in chosen[i + 1 :]):
            continue
        total = sum(seats[b.id] for b in chosen)
        if total > best_seats:
            best, best_seats = {b.id for b in chosen}, total
    return best


def _greedy_unseated(
    patients: Sequence[Patient],
    need: dict[str, int],
    options: dict[str, list[Block]],
    seats: dict[str, int],
) -> tuple[str, ...]:
    left = dict(seats)
    unseated: list[str] = []
    for p in sorted(patients, key=lambda p: (len(options[p.id]), p.id)):
        taken: list[Block] = []
        for b in sorted(options[p.id], key=lambda b: (-left[b.id], b.id)):
            if len(taken) == need[p.id]:
                break
            if left[b.id] > 0 and all(t.weekday != b.weekday for t in taken):
                taken.append(b)
        if len(taken) < need[p.id]:
            unseated.append(p.id)
            continue
        for b in taken:
            left[b.id] -= 1
    return tuple(sorted(unseated))


# --------------------------------------------------------------------------------------
# Files.


def write_clinic(clinic: Clinic, out: Path) -> None:
    """Write ``clinic`` as a workbook when ``out`` ends in .xlsx, else as a CSV folder."""
    from scheduler.workbook import write_csv_folder, write_workbook

    if out.suffix.lower() == ".xlsx":
        write_workbook(clinic, out)
    else:
        write_csv_folder(clinic, out)


def write_sample_data(data_dir: Path) -> None:
    """Write the sample clinic as ``sample_clinic.xlsx`` and its CSV twin ``sample_clinic/``."""
    clinic = sample_clinic()
    data_dir.mkdir(parents=True, exist_ok=True)
    write_clinic(clinic, data_dir / "sample_clinic.xlsx")
    write_clinic(clinic, data_dir / "sample_clinic")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m scheduler.generator",
        description="Generate a realistic clinic (invented people) as a workbook or CSV folder.",
    )
    parser.add_argument("out", type=Path, help="OUT.xlsx for a workbook, else a CSV folder")
    parser.add_argument("--patients", type=int, default=60)
    parser.add_argument("--therapists", type=int, default=None)
    parser.add_argument("--rooms", type=int, default=None, help="group rooms over all sites")
    parser.add_argument("--sites", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--tight", action="store_true", help="demand exceeds capacity")
    args = parser.parse_args(argv)
    try:
        clinic = generate_clinic(
            patients=args.patients,
            therapists=args.therapists,
            rooms=args.rooms,
            sites=args.sites,
            seed=args.seed,
            tight=args.tight,
        )
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    write_clinic(clinic, args.out)
    print(
        f"wrote {args.out}: {len(clinic.patients)} patients, {len(clinic.therapists)} "
        f"therapists, {len(clinic.rooms)} rooms, {len(clinic.sites)} site(s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
