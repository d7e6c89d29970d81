"""Drafting the patients of one site: commitments (work, school, childcare), time
preferences, treatment phase, admission and discharge dates, and family involvement."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from scheduler.domain import (
    Block,
    BlockKind,
    Commitment,
    CommitmentKind,
    FamilyCadence,
    Phase,
    Sex,
    TimePreference,
    Track,
    Weekday,
    Window,
    covered,
)
from scheduler.generator.catalog import (
    FRI,
    MON,
    SAT,
    THU,
    TUE,
    WED,
    WEEKDAYS,
    clock_minutes,
    day_windows,
    group_sessions_needed,
    invent_name,
    make_window,
    weighted_choice,
)


@dataclass(frozen=True)
class PatientDraft:
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
    return [Commitment(kind, make_window(d, start, end)) for d in days]


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
        end = min(start + rng.choice((480, 510)), clock_minutes("17:30"))
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


def is_free(commitments: Sequence[Commitment], window: Window, buffer_min: int) -> bool:
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
            and is_free(commitments, b.window, buffer_min)
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
    cadence = FamilyCadence(
        weighted_choice(rng, (("weekly", 40), ("biweekly", 35), ("monthly", 25)))
    )
    evenings = sorted(rng.sample(WEEKDAYS, rng.randint(2, 4)))
    windows = list(day_windows(evenings, "17:00", "21:00"))
    if rng.random() < 0.5:
        windows.append(make_window(SAT, "09:00", "14:00"))
    candidates = (
        windows,
        [*windows, make_window(SAT, "09:00", "14:00")],
        [*day_windows(WEEKDAYS, "17:00", "21:00"), make_window(SAT, "09:00", "14:00")],
    )
    for option in candidates:
        if any(
            covered(option, b.window) and is_free(commitments, b.window, buffer_min)
            for b in fam_blocks
            if b.weekday >= first_day
        ):
            return cadence, tuple(sorted(set(option)))
    return FamilyCadence.NONE, ()


def draft_patients(
    rng: random.Random,
    used_names: set[str],
    site: str,
    count: int,
    blocks: Sequence[Block],
    fam_blocks: Sequence[Block],
    week_start: date,
    buffer_min: int,
) -> list[PatientDraft]:
    # Adolescents need at least two of them for a group; a site gets none or at least 3.
    teens = round(0.15 * count)
    if 0 < teens < 3:
        teens = 3 if count >= 15 else 0
    tracks = [Track.ADOLESCENT] * teens + [Track.ADULT] * (count - teens)
    rng.shuffle(tracks)
    out: list[PatientDraft] = []
    for track in tracks:
        needed = group_sessions_needed(track)
        if track is Track.ADOLESCENT:
            profile = "school"
            commitments = _adolescent_commitments(rng)
        else:
            profile = weighted_choice(rng, ADULT_PROFILES)
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
        sex = Sex(weighted_choice(rng, (("female", 45), ("male", 52), ("other", 3))))
        first_day = max(0, (admission - week_start).days)
        cadence, fam_windows = _family(rng, track, commitments, fam_blocks, buffer_min, first_day)
        out.append(
            PatientDraft(
                site=site,
                name=invent_name(rng, used_names),
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
