"""The clinic as plain, frozen, validated records.

No I/O and no solver here. Every record checks its own fields on construction and raises
:class:`RecordError` naming the field at fault; :class:`Clinic` then checks cross-references
once for the whole clinic and raises :class:`ClinicError` listing every problem, each tied to
the table, row key and field it belongs to, so the workbook reader can turn it into a
sheet/row/column message.

Times of day are whole minutes after midnight (a window's end past 1440 is on the next day,
see :class:`Window`); weekdays are :class:`Weekday` (Monday = 0).
Dates are :class:`datetime.date`. A planning horizon is ``weeks`` weeks starting on the
Monday ``ClinicSettings.week_start``; blocks repeat every week of the horizon.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import IntEnum, StrEnum
from functools import cached_property
from typing import TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

MINUTES_PER_DAY = 24 * 60
MINUTES_PER_WEEK = 7 * MINUTES_PER_DAY

# A weekly pattern repeats: Sunday night runs into Monday morning. Comparing two windows
# on the week clock therefore also tries each shifted by a whole week.
_WEEK_SHIFTS = (-MINUTES_PER_WEEK, 0, MINUTES_PER_WEEK)

_T = TypeVar("_T")


class RecordError(ValueError):
    """A record field holds a value it cannot hold; ``fix``, when given, says how to mend
    it in words a coordinator can act on."""

    def __init__(self, field_name: str, message: str, fix: str | None = None) -> None:
        super().__init__(f"{field_name}: {message}")
        self.field = field_name
        self.message = message
        self.fix = fix


@dataclass(frozen=True)
class Problem:
    """One problem found in a clinic, tied to where a coordinator can fix it.

    ``table`` is the input table (the workbook sheet name), ``key`` the ID or row key of the
    offending record (``None`` for a whole-table problem) and ``field`` the column.
    """

    table: str
    key: str | None
    field: str | None
    message: str
    fix: str

    def __str__(self) -> str:
        where = self.table
        if self.key is not None:
            where += f" [{self.key}]"
        if self.field is not None:
            where += f" column {self.field}"
        return f"{where}: {self.message} — {self.fix}"


class ClinicError(ValueError):
    """The clinic as a whole is inconsistent; ``problems`` lists every problem found."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


# --------------------------------------------------------------------------------------
# Enumerations. Their values are what coordinators type in the workbook.


class Weekday(IntEnum):
    MON = 0
    TUE = 1
    WED = 2
    THU = 3
    FRI = 4
    SAT = 5
    SUN = 6

    @property
    def label(self) -> str:
        return self.name.capitalize()

    @classmethod
    def parse(cls, text: str) -> Weekday:
        key = text.strip().upper()[:3]
        try:
            return cls[key]
        except KeyError:
            raise ValueError(f"{text!r} is not a weekday (use Mon, Tue, … Sun)") from None


class SessionKind(StrEnum):
    GROUP_THERAPY = "group_therapy"
    SKILL_BUILDING = "skill_building"
    PSYCHOEDUCATION = "psychoeducation"
    FAMILY = "family"
    INDIVIDUAL = "individual"
    ASSESSMENT = "assessment"


#: Kinds whose sessions are groups of several patients (family sessions hold one, W6).
GROUP_KINDS = frozenset(
    {SessionKind.GROUP_THERAPY, SessionKind.SKILL_BUILDING, SessionKind.PSYCHOEDUCATION}
)
#: A group kind's target size when the data gives none.
DEFAULT_TARGET_MIN = 4


class BlockKind(StrEnum):
    """A 3-hour group block, or a short slot for individual and family sessions."""

    GROUP = "group"
    SLOT = "slot"


class Track(StrEnum):
    ADULT = "adult"
    ADOLESCENT = "adolescent"


class Sex(StrEnum):
    FEMALE = "female"
    MALE = "male"
    OTHER = "other"


class Phase(StrEnum):
    """Stage of recovery, used to keep phase-restricted groups homogeneous (TIP 41)."""

    EARLY = "early"
    MIDDLE = "middle"
    LATE = "late"


class FamilyCadence(StrEnum):
    NONE = "none"
    WEEKLY = "weekly"
    BIWEEKLY = "biweekly"
    MONTHLY = "monthly"


class CommitmentKind(StrEnum):
    WORK = "work"
    SCHOOL = "school"
    CHILDCARE = "childcare"
    OTHER = "other"


class TimePreference(StrEnum):
    ANY = "any"
    MORNING = "morning"
    AFTERNOON = "afternoon"
    EVENING = "evening"

    def accepts(self, start_minute: int) -> bool:
        """Whether a session starting at ``start_minute`` matches this preference."""
        if self is TimePreference.ANY:
            return True
        if self is TimePreference.MORNING:
            return start_minute < 12 * 60
        if self is TimePreference.AFTERNOON:
            return 12 * 60 <= start_minute < 17 * 60
        return start_minute >= 17 * 60


# --------------------------------------------------------------------------------------
# Small shared checks and value types.


def _require(condition: bool, field_name: str, message: str, fix: str | None = None) -> None:
    if not condition:
        raise RecordError(field_name, message, fix)


def _require_id(value: str, field_name: str) -> None:
    _require(bool(value) and value == value.strip(), field_name, "must be a non-empty ID")


def format_time(minute: int) -> str:
    """``545`` → ``"09:05"``; ``1440`` → ``"24:00"``; past 24:00, the clock time on the next
    day (``1860`` → ``"07:00"``), as the end of an overnight window is written."""
    if minute > MINUTES_PER_DAY:
        minute -= MINUTES_PER_DAY
    return f"{minute // 60:02d}:{minute % 60:02d}"


@dataclass(frozen=True, order=True)
class Window:
    """A weekly time window: ``weekday`` from ``start`` to ``end`` minutes after midnight.

    An ``end`` past 24:00 is on the next day: a night shift Monday 22:00 to Tuesday 07:00 is
    ``Window(MON, 1320, 1860)`` — one window, shorter than a day. Windows are compared on
    the continuous week clock (minutes from Monday 00:00), which wraps: Sunday night runs
    into Monday morning, because the pattern repeats every week.
    """

    weekday: Weekday
    start: int
    end: int

    def __post_init__(self) -> None:
        _require(0 <= self.start < MINUTES_PER_DAY, "start", "must be a time of day")
        _require(self.start < self.end, "end", "must be after start")
        _require(
            self.end <= MINUTES_PER_DAY or self.end - self.start < MINUTES_PER_DAY,
            "end",
            "must differ from start (an end before the start is on the next day)",
        )

    @classmethod
    def clock(cls, weekday: Weekday, start: int, end: int) -> Window:
        """A window from clock times as written on a sheet: an end at or before the start
        is on the next day (22:00–07:00 runs overnight)."""
        if end <= start:
            end += MINUTES_PER_DAY
        return cls(weekday, start, end)

    @property
    def minutes(self) -> int:
        return self.end - self.start

    @property
    def overnight(self) -> bool:
        """Whether the window ends on the next day."""
        return self.end > MINUTES_PER_DAY

    @property
    def week_start(self) -> int:
        """Minutes from Monday 00:00 of the week to the start."""
        return int(self.weekday) * MINUTES_PER_DAY + self.start

    @property
    def week_end(self) -> int:
        """Minutes from Monday 00:00 to the end; past the week's end for Sunday night."""
        return int(self.weekday) * MINUTES_PER_DAY + self.end

    def overlaps(self, other: Window, gap: int = 0) -> bool:
        """True when the two windows are closer than ``gap`` minutes on the week clock."""
        # ``other`` starts ``ahead`` minutes after ``self`` starts, going round the week;
        # then either it starts before ``self`` ends (plus the gap), or it started a week
        # earlier and ends within the gap of ``self``'s start. Each window is at most a day
        # and the gap at most hours, so no other lap can meet. (Hot: called for every
        # patient, block and type.)
        ahead = (other.week_start - self.week_start) % MINUTES_PER_WEEK
        return ahead < self.minutes + gap or MINUTES_PER_WEEK - ahead < other.minutes + gap

    def contains(self, other: Window) -> bool:
        return any(
            self.week_start <= other.week_start + shift and other.week_end + shift <= self.week_end
            for shift in _WEEK_SHIFTS
        )

    def __str__(self) -> str:
        if not self.overnight:
            return f"{self.weekday.label} {format_time(self.start)}–{format_time(self.end)}"
        next_day = Weekday((self.weekday + 1) % 7)
        return (
            f"{self.weekday.label} {format_time(self.start)}–"
            f"{next_day.label} {format_time(self.end)}"
        )


def covered(windows: Iterable[Window], target: Window) -> bool:
    """Whether ``target`` lies inside ``windows`` on the week clock; windows that touch or
    overlap merge, across midnight and from Sunday into Monday too."""
    spans = sorted(
        (w.week_start + shift, w.week_end + shift) for w in windows for shift in _WEEK_SHIFTS
    )
    merged: list[list[int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return any(start <= target.week_start and target.week_end <= end for start, end in merged)


# --------------------------------------------------------------------------------------
# The records a coordinator maintains.


@dataclass(frozen=True)
class Band:
    """An inclusive range of weekly treatment hours."""

    min_hours: float
    max_hours: float

    def __post_init__(self) -> None:
        _require(0 <= self.min_hours <= self.max_hours <= 168, "hours", "need 0 ≤ min ≤ max")

    def __contains__(self, hours: float) -> bool:
        return self.min_hours - 1e-9 <= hours <= self.max_hours + 1e-9


@dataclass(frozen=True)
class ClinicSettings:
    """Clinic-wide settings; every clinical number is configurable here (DESIGN.md §3)."""

    name: str
    timezone: str
    week_start: dt.date
    weeks: int = 1
    travel_buffer_min: int = 30
    adult_hours: Band = field(default_factory=lambda: Band(9, 19))
    adolescent_hours: Band = field(default_factory=lambda: Band(6, 19))
    min_days_adult: int = 3
    min_days_adolescent: int = 2
    max_group_blocks_per_day: int = 1
    caseload_ratio_max: int = 24
    # Sleep after night work (RULES.md T7): no session this long after an overnight
    # commitment ends; 0 turns the rule off.
    rest_after_night_min: int = 360
    # Step-down before discharge (RULES.md W7): in the last ``step_down_weeks`` weeks
    # before planned discharge (0 turns step-down off) a patient follows the step-down
    # band instead of the full-program band. The defaults sit below the level 2.1 minimum,
    # in ASAM level 1 territory (under 9 h adults, under 6 h adolescents), and ask for at
    # least one 3-hour group a week on one day, so the patient keeps their group until
    # discharge (docs/RULES.md W7 gives the sources).
    step_down_weeks: int = 2
    step_down_adult_hours: Band = field(default_factory=lambda: Band(3, 8))
    step_down_adolescent_hours: Band = field(default_factory=lambda: Band(3, 5))
    step_down_min_days_adult: int = 1
    step_down_min_days_adolescent: int = 1

    def __post_init__(self) -> None:
        _require(bool(self.name.strip()), "name", "must not be empty")
        _require(
            "addiction" not in self.name.lower(),
            "name",
            "is published in calendars and rosters and must not name the treatment",
        )
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise RecordError("timezone", f"{self.timezone!r} is not an IANA time zone") from None
        _require(self.week_start.weekday() == 0, "week_start", "must be a Monday")
        _require(1 <= self.weeks <= 12, "weeks", "must be 1 to 12")
        _require(0 <= self.travel_buffer_min <= 240, "travel_buffer_min", "must be 0 to 240")
        _require(0 <= self.min_days_adult <= 7, "min_days_adult", "must be 0 to 7")
        _require(0 <= self.min_days_adolescent <= 7, "min_days_adolescent", "must be 0 to 7")
        _require(
            1 <= self.max_group_blocks_per_day <= 4, "max_group_blocks_per_day", "must be 1 to 4"
        )
        _require(self.caseload_ratio_max >= 1, "caseload_ratio_max", "must be at least 1")
        _require(
            0 <= self.rest_after_night_min <= 720,
            "rest_after_night_min",
            "must be 0 to 720 minutes (0 turns the rest after night work off)",
        )
        _require(
            0 <= self.step_down_weeks <= 12,
            "step_down_weeks",
            "must be 0 to 12 weeks (0 turns step-down off)",
        )
        for track in Track:
            days = self.step_down_min_days(track)
            _require(0 <= days <= 7, f"step_down_min_days_{track.value}", "must be 0 to 7")

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def band(self, track: Track) -> Band:
        return self.adult_hours if track is Track.ADULT else self.adolescent_hours

    def min_days(self, track: Track) -> int:
        return self.min_days_adult if track is Track.ADULT else self.min_days_adolescent

    def step_down_band(self, track: Track) -> Band:
        if track is Track.ADULT:
            return self.step_down_adult_hours
        return self.step_down_adolescent_hours

    def step_down_min_days(self, track: Track) -> int:
        if track is Track.ADULT:
            return self.step_down_min_days_adult
        return self.step_down_min_days_adolescent

    def week_dates(self, week: int = 0) -> list[dt.date]:
        first = self.week_start + dt.timedelta(weeks=week)
        return [first + dt.timedelta(days=d) for d in range(7)]


@dataclass(frozen=True)
class Site:
    id: str
    name: str

    def __post_init__(self) -> None:
        _require_id(self.id, "site_id")


@dataclass(frozen=True)
class Block:
    """A bookable block of the weekly pattern, e.g. ``MON-EVE`` Monday 18:00–21:00."""

    id: str
    site: str
    kind: BlockKind
    window: Window

    def __post_init__(self) -> None:
        _require_id(self.id, "block_id")
        _require_id(self.site, "site_id")
        _require(
            not self.window.overnight,
            "end",
            "a block ends by 24:00 on its own day",
            "end the block by 24:00, or split it into two blocks at midnight",
        )

    @property
    def weekday(self) -> Weekday:
        return self.window.weekday

    @property
    def hours(self) -> float:
        return self.window.minutes / 60


@dataclass(frozen=True)
class SessionType:
    """What kind of session a group or appointment is, and who and what it needs."""

    id: str
    name: str
    kind: SessionKind
    block_kind: BlockKind
    duration_min: int
    min_size: int
    max_size: int
    credentials: frozenset[str]  # the leader holds at least one of these
    room_features: frozenset[str] = frozenset()  # the room has all of these
    modality: str | None = None  # the leader practises this modality (e.g. DBT)
    counts_toward_hours: bool = True
    tracks: frozenset[Track] = frozenset(Track)
    single_sex: bool = False  # one sex per session, whichever it is
    sexes: frozenset[Sex] = frozenset()  # admits only these (a women's group); empty: any
    phases: frozenset[Phase] = frozenset()  # empty: any phase
    cofacilitator_above: int | None = None  # a second therapist when size exceeds this
    #: The therapeutic size a group should reach: smaller groups (down to ``min_size``) are
    #: allowed but priced (the ``small_groups`` quality term); None: :attr:`target_size`.
    target_min: int | None = None
    #: A revolving cycle of modules (TIP 41 open-ended groups): each dated session of this
    #: type takes one topic from it, in any order; empty: no cycle (docs/RULES.md C1).
    topics: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _require_id(self.id, "session_type_id")
        _require(
            all(t and t == t.strip() and ";" not in t for t in self.topics),
            "topics",
            "each topic must be a non-empty name without ;",
            "separate the modules with ; and leave no empty entry",
        )
        _require(
            len({t.casefold() for t in self.topics}) == len(self.topics),
            "topics",
            "names a topic twice",
            "list each module of the cycle once",
        )
        _require(bool(self.name.strip()), "name", "must not be empty")
        _require(15 <= self.duration_min <= 360, "duration_min", "must be 15 to 360 minutes")
        _require(self.min_size >= 1, "min_size", "must be at least 1")
        _require(self.max_size >= self.min_size, "max_size", "must be at least min_size")
        _require(bool(self.credentials), "credentials", "name at least one credential")
        _require(bool(self.tracks), "tracks", "name at least one track")
        if self.cofacilitator_above is not None:
            _require(
                1 <= self.cofacilitator_above < self.max_size,
                "cofacilitator_above",
                "must be at least 1 and below max_size",
            )
        if self.target_min is not None:
            _require(
                self.min_size <= self.target_min <= self.max_size,
                "target_min",
                "must be between min_size and max_size",
            )
        if self.kind in (SessionKind.INDIVIDUAL, SessionKind.ASSESSMENT):
            _require(self.max_size == 1, "max_size", "an individual session has one patient")

    @property
    def is_group(self) -> bool:
        return self.block_kind is BlockKind.GROUP

    @property
    def target_size(self) -> int:
        """``target_min``, or by default 4 for a group kind that can seat 4 (a process group
        of 2 or 3 is hardly a group), else ``min_size``."""
        if self.target_min is not None:
            return self.target_min
        if self.kind in GROUP_KINDS and self.max_size >= DEFAULT_TARGET_MIN:
            return max(self.min_size, DEFAULT_TARGET_MIN)
        return self.min_size

    def admits(self, sex: Sex) -> bool:
        """Whether a patient of ``sex`` may attend (S4): any sex unless ``sexes`` is set."""
        return not self.sexes or sex in self.sexes

    @property
    def hours(self) -> float:
        return self.duration_min / 60

    def leaders_needed(self, size: int) -> int:
        above = self.cofacilitator_above
        return 2 if above is not None and size > above else 1


@dataclass(frozen=True)
class CurriculumItem:
    """A patient on ``track`` needs ``per_week`` sessions of ``session_type`` each week."""

    track: Track
    session_type: str
    per_week: int

    def __post_init__(self) -> None:
        _require_id(self.session_type, "session_type_id")
        _require(1 <= self.per_week <= 7, "per_week", "must be 1 to 7")


@dataclass(frozen=True)
class Therapist:
    id: str
    name: str
    credentials: frozenset[str]
    modalities: frozenset[str]
    max_hours_week: float
    max_hours_day: float
    caseload_cap: int
    sites: frozenset[str]
    availability: tuple[Window, ...]

    def __post_init__(self) -> None:
        _require_id(self.id, "therapist_id")
        _require(bool(self.name.strip()), "name", "must not be empty")
        _require(bool(self.credentials), "credentials", "name at least one credential")
        _require(0 < self.max_hours_day <= 24, "max_hours_day", "must be above 0 and at most 24")
        _require(
            self.max_hours_day <= self.max_hours_week <= 80,
            "max_hours_week",
            "must be at least max_hours_day and at most 80",
        )
        _require(0 <= self.caseload_cap <= 200, "caseload_cap", "must be 0 to 200")
        _require(bool(self.sites), "sites", "name at least one site")

    def available(self, window: Window) -> bool:
        return covered(self.availability, window)


@dataclass(frozen=True)
class Room:
    """A room; a virtual room has no seat limit of its own and serves every site."""

    id: str
    name: str
    site: str
    capacity: int
    features: frozenset[str] = frozenset()
    virtual: bool = False
    availability: tuple[Window, ...] = ()  # empty: open whenever the clinic has blocks

    def __post_init__(self) -> None:
        _require_id(self.id, "room_id")
        _require(bool(self.name.strip()), "name", "must not be empty")
        _require(1 <= self.capacity <= 500, "capacity", "must be 1 to 500")
        if not self.virtual:
            _require_id(self.site, "site_id")

    def available(self, window: Window) -> bool:
        return not self.availability or covered(self.availability, window)

    def serves(self, site: str) -> bool:
        return self.virtual or self.site == site


@dataclass(frozen=True)
class Commitment:
    """Work, school or childcare that a patient cannot miss."""

    kind: CommitmentKind
    window: Window


@dataclass(frozen=True)
class Patient:
    id: str
    name: str
    site: str
    track: Track
    sex: Sex
    phase: Phase
    admission: dt.date
    discharge: dt.date  # planned; the last day of treatment
    primary_therapist: str
    hours_target: float | None = None  # None: the track's curriculum
    family_cadence: FamilyCadence = FamilyCadence.NONE
    family_availability: tuple[Window, ...] = ()
    telehealth_ok: bool = False
    calendar_consent: bool = False
    preference: TimePreference = TimePreference.ANY
    commitments: tuple[Commitment, ...] = ()

    def __post_init__(self) -> None:
        _require_id(self.id, "patient_id")
        _require(bool(self.name.strip()), "name", "must not be empty")
        _require_id(self.site, "site_id")
        _require_id(self.primary_therapist, "primary_therapist")
        _require(self.discharge >= self.admission, "discharge", "must not be before admission")
        if self.hours_target is not None:
            _require(0 < self.hours_target <= 40, "hours_target", "must be above 0 and ≤ 40")

    @property
    def has_family(self) -> bool:
        return self.family_cadence is not FamilyCadence.NONE

    def in_treatment(self, day: dt.date) -> bool:
        return self.admission <= day <= self.discharge

    def is_continuing(self, week_start: dt.date) -> bool:
        """Admitted before the planning week: already has a place and keeps it first."""
        return self.admission < week_start

    def family_due(self, week_start: dt.date) -> bool:
        """Whether this week is a family-session week at the patient's cadence.

        Weeks count from the week of admission: weekly every week, biweekly on weeks 0, 2,
        4 …, monthly on weeks 0, 4, 8 …
        """
        if not self.has_family:
            return False
        admitted_monday = self.admission - dt.timedelta(days=self.admission.weekday())
        week_no = (week_start - admitted_monday).days // 7
        every = {FamilyCadence.WEEKLY: 1, FamilyCadence.BIWEEKLY: 2, FamilyCadence.MONTHLY: 4}
        return week_no >= 0 and week_no % every[self.family_cadence] == 0

    def is_stepping_down(self, week_start: dt.date, weeks: int) -> bool:
        """In the last ``weeks`` weeks before planned discharge (ASAM 2.1 step-down): the
        week starting ``week_start`` starts less than ``weeks`` weeks before it, and not
        after it. Callers
        ask ``scheduler.rules.stepping_down``, which reads the clinic's setting."""
        return weeks > 0 and week_start <= self.discharge < week_start + dt.timedelta(weeks=weeks)

    def free(self, window: Window, buffer_min: int) -> bool:
        """Free for ``window``: no commitment within ``buffer_min`` minutes of it."""
        return not any(c.window.overlaps(window, gap=buffer_min) for c in self.commitments)

    @cached_property
    def night_work_ends(self) -> tuple[int, ...]:
        """Week-clock minutes (from Monday 00:00) at which the patient's night work ends.

        Commitments that touch or overlap count as one stretch (Mon 22:00–24:00 then Tue
        00:00–07:00 is one night). A stretch is night work when it is under way at a
        midnight: it starts at or before one and ends after it.
        """
        spans = sorted(
            (c.window.week_start + shift, c.window.week_end + shift)
            for c in self.commitments
            for shift in _WEEK_SHIFTS
        )
        merged: list[list[int]] = []
        for start, end in spans:
            if merged and start <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], end)
            else:
                merged.append([start, end])
        ends = set()
        for start, end in merged:
            first_midnight = -(-start // MINUTES_PER_DAY) * MINUTES_PER_DAY
            if first_midnight < end:
                ends.add(end % MINUTES_PER_WEEK)
        return tuple(sorted(ends))

    def rested(self, window: Window, rest_min: int) -> bool:
        """No part of ``window`` within ``rest_min`` minutes after night work ends (T7)."""
        return not any(
            window.week_start < end + shift + rest_min and end + shift < window.week_end
            for end in self.night_work_ends
            for shift in _WEEK_SHIFTS
        )


@dataclass(frozen=True)
class Closure:
    """A dated closure. Blank scope fields widen it: all blank closes every site that day.

    ``block`` narrows it to one block and ``site`` to one site. ``room`` and ``therapist``
    say *what* is closed: the room, the therapist (staff time off), or — when a row names
    both — the room and the therapist alike (docs/RULES.md T4). A row naming neither
    closes the whole block.
    """

    date: dt.date
    site: str | None = None
    room: str | None = None
    therapist: str | None = None
    block: str | None = None
    note: str = ""

    @property
    def key(self) -> str:
        parts = [self.date.isoformat(), self.site, self.room, self.therapist, self.block]
        return "/".join(p or "*" for p in parts)


@dataclass(frozen=True)
class Lock:
    """An assignment pinned by the coordinator.

    A session of ``session_type`` runs in ``block`` (in week ``week`` of the horizon) and,
    where given, the patient attends it, the therapist leads it and it is in the room.
    """

    id: str
    block: str
    session_type: str
    week: int = 0
    patient: str | None = None
    therapist: str | None = None
    room: str | None = None

    def __post_init__(self) -> None:
        _require_id(self.id, "lock_id")
        _require(self.week >= 0, "week", "must be 0 or more")
        _require(
            any((self.patient, self.therapist, self.room)),
            "patient_id",
            "a lock pins at least one of patient, therapist or room",
        )


@dataclass(frozen=True)
class Attendance:
    """Whether a patient attended a session of an earlier schedule (the Attendance sheet).

    The session is named by its ID as in ``schedule.json`` (``session``), or by ``date``
    and ``session_type``. ``topic``, when given, is the module met, which also credits a
    module met outside the previous schedule. The sheet overrides the roster: attended
    ``no`` takes the session's credit away, ``yes`` adds it (docs/RULES.md C2).
    """

    patient: str
    attended: bool
    session: str = ""
    date: dt.date | None = None
    session_type: str = ""
    topic: str = ""

    def __post_init__(self) -> None:
        _require_id(self.patient, "patient_id")
        _require(
            bool(self.session) or (self.date is not None and bool(self.session_type)),
            "session_id",
            "names no session",
            "give the session ID from schedule.json, or the date and the session_type_id",
        )

    @property
    def key(self) -> str:
        when = self.session or f"{self.date}/{self.session_type}"
        return f"{self.patient}/{when}"


# --------------------------------------------------------------------------------------
# The clinic.


def _index(items: Iterable[_T], key: str) -> dict[str, _T]:
    return {getattr(item, key): item for item in items}


@dataclass(frozen=True)
class Clinic:
    """A whole clinic. Construction checks every cross-reference and raises ClinicError."""

    settings: ClinicSettings
    sites: tuple[Site, ...]
    blocks: tuple[Block, ...]
    session_types: tuple[SessionType, ...]
    curriculum: tuple[CurriculumItem, ...]
    therapists: tuple[Therapist, ...]
    rooms: tuple[Room, ...]
    patients: tuple[Patient, ...]
    closures: tuple[Closure, ...] = ()
    locks: tuple[Lock, ...] = ()
    attendance: tuple[Attendance, ...] = ()

    def __post_init__(self) -> None:
        problems = cross_reference_problems(self)
        if problems:
            raise ClinicError(problems)

    # Lookup tables, built once on first use.
    @cached_property
    def site_by_id(self) -> Mapping[str, Site]:
        return _index(self.sites, "id")

    @cached_property
    def block_by_id(self) -> Mapping[str, Block]:
        return _index(self.blocks, "id")

    @cached_property
    def session_type_by_id(self) -> Mapping[str, SessionType]:
        return _index(self.session_types, "id")

    @cached_property
    def therapist_by_id(self) -> Mapping[str, Therapist]:
        return _index(self.therapists, "id")

    @cached_property
    def room_by_id(self) -> Mapping[str, Room]:
        return _index(self.rooms, "id")

    @cached_property
    def patient_by_id(self) -> Mapping[str, Patient]:
        return _index(self.patients, "id")

    def curriculum_for(self, track: Track) -> tuple[CurriculumItem, ...]:
        return tuple(item for item in self.curriculum if item.track is track)

    def block_date(self, block: Block, week: int = 0) -> dt.date:
        # Arithmetic, not week_dates(week)[...]: called for every patient, block and type.
        return self.settings.week_start + dt.timedelta(days=7 * week + int(block.weekday))

    def is_closed(
        self,
        block: Block,
        week: int = 0,
        room: str | None = None,
        therapist: str | None = None,
    ) -> bool:
        """Whether a closure removes this block for everyone, or for the room or the
        therapist when given (T4).

        A closure naming a room and a therapist closes both, each on its own: asking for
        the room alone, or the therapist alone, finds it.
        """
        day = self.block_date(block, week)
        for c in self.closures:
            if c.date != day:
                continue
            if c.block is not None and c.block != block.id:
                continue
            if c.site is not None and c.site != block.site:
                continue
            if c.room is None and c.therapist is None:
                return True  # the whole block
            if room is not None and c.room == room:
                return True
            if therapist is not None and c.therapist == therapist:
                return True
        return False


def _duplicates(table: str, field_name: str, ids: Iterable[str]) -> list[Problem]:
    seen: set[str] = set()
    out = []
    for ident in ids:
        if ident in seen:
            out.append(
                Problem(
                    table,
                    ident,
                    field_name,
                    f"ID {ident!r} is used twice",
                    "give every row its own ID",
                )
            )
        seen.add(ident)
    return out


def cross_reference_problems(clinic: Clinic) -> list[Problem]:
    """Every broken reference and duplicate ID in the clinic, in table order."""
    c = clinic
    out: list[Problem] = []
    out += _duplicates("Sites", "site_id", (s.id for s in c.sites))
    out += _duplicates("Blocks", "block_id", (b.id for b in c.blocks))
    out += _duplicates("SessionTypes", "session_type_id", (s.id for s in c.session_types))
    out += _duplicates("Therapists", "therapist_id", (t.id for t in c.therapists))
    out += _duplicates("Rooms", "room_id", (r.id for r in c.rooms))
    out += _duplicates("Patients", "patient_id", (p.id for p in c.patients))
    out += _duplicates("Locks", "lock_id", (lk.id for lk in c.locks))
    out += _duplicates(
        "Curriculum", "session_type_id", (f"{i.track}/{i.session_type}" for i in c.curriculum)
    )

    sites = {s.id for s in c.sites}
    blocks = {b.id for b in c.blocks}
    types = {s.id for s in c.session_types}
    therapists = {t.id for t in c.therapists}
    rooms = {r.id for r in c.rooms}
    patients = {p.id for p in c.patients}

    def unknown(
        table: str, key: str, field_name: str, value: str, known: set[str], what: str, where: str
    ) -> None:
        if value not in known:
            out.append(
                Problem(
                    table,
                    key,
                    field_name,
                    f"unknown {what} {value!r}",
                    f"use a {what} ID listed on the {where} sheet",
                )
            )

    if not c.sites:
        out.append(Problem("Sites", None, None, "no sites", "add at least one site"))
    for b in c.blocks:
        unknown("Blocks", b.id, "site_id", b.site, sites, "site", "Sites")
    for item in c.curriculum:
        key = f"{item.track}/{item.session_type}"
        unknown(
            "Curriculum",
            key,
            "session_type_id",
            item.session_type,
            types,
            "session type",
            "SessionTypes",
        )
        st = c.session_type_by_id.get(item.session_type)
        if st is not None and item.track not in st.tracks:
            out.append(
                Problem(
                    "Curriculum",
                    key,
                    "track",
                    f"session type {st.id!r} is not open to the {item.track} track",
                    f"add {item.track} to the tracks of {st.id!r} or remove this row",
                )
            )
    for t in c.therapists:
        for s in sorted(t.sites):
            unknown("Therapists", t.id, "sites", s, sites, "site", "Sites")
    for r in c.rooms:
        if not r.virtual:
            unknown("Rooms", r.id, "site_id", r.site, sites, "site", "Sites")
    for p in c.patients:
        unknown("Patients", p.id, "site_id", p.site, sites, "site", "Sites")
        unknown(
            "Patients",
            p.id,
            "primary_therapist",
            p.primary_therapist,
            therapists,
            "therapist",
            "Therapists",
        )
    for cl in c.closures:
        for field_name, value, known, what, where in (
            ("site_id", cl.site, sites, "site", "Sites"),
            ("room_id", cl.room, rooms, "room", "Rooms"),
            ("therapist_id", cl.therapist, therapists, "therapist", "Therapists"),
            ("block_id", cl.block, blocks, "block", "Blocks"),
        ):
            if value is not None:
                unknown("Closures", cl.key, field_name, value, known, what, where)
    for lk in c.locks:
        unknown("Locks", lk.id, "block_id", lk.block, blocks, "block", "Blocks")
        unknown(
            "Locks",
            lk.id,
            "session_type_id",
            lk.session_type,
            types,
            "session type",
            "SessionTypes",
        )
        if lk.patient is not None:
            unknown("Locks", lk.id, "patient_id", lk.patient, patients, "patient", "Patients")
        if lk.therapist is not None:
            unknown(
                "Locks", lk.id, "therapist_id", lk.therapist, therapists, "therapist", "Therapists"
            )
        if lk.room is not None:
            unknown("Locks", lk.id, "room_id", lk.room, rooms, "room", "Rooms")
        if lk.week >= c.settings.weeks:
            out.append(
                Problem(
                    "Locks",
                    lk.id,
                    "week",
                    f"week {lk.week} is outside the {c.settings.weeks}-week horizon",
                    "use a week number from 0 up to the Clinic weeks setting",
                )
            )
        lock_block = c.block_by_id.get(lk.block)
        lock_type = c.session_type_by_id.get(lk.session_type)
        if (
            lock_block is not None
            and lock_type is not None
            and lock_block.kind is not lock_type.block_kind
        ):
            out.append(
                Problem(
                    "Locks",
                    lk.id,
                    "block_id",
                    f"{lock_type.id!r} runs in {lock_type.block_kind} blocks but "
                    f"{lock_block.id!r} is a {lock_block.kind} block",
                    f"pick a {lock_type.block_kind} block for {lock_type.id!r}",
                )
            )
    for a in c.attendance:
        unknown("Attendance", a.key, "patient_id", a.patient, patients, "patient", "Patients")
        if a.session_type:
            unknown(
                "Attendance",
                a.key,
                "session_type_id",
                a.session_type,
                types,
                "session type",
                "SessionTypes",
            )
        cycled = c.session_type_by_id.get(a.session_type)
        if a.topic and cycled is not None and a.topic not in cycled.topics:
            out.append(
                Problem(
                    "Attendance",
                    a.key,
                    "topic",
                    f"{a.topic!r} is not a topic of {cycled.id!r}",
                    f"use a module listed in the topics of {cycled.id!r} on the SessionTypes "
                    "sheet, or leave topic blank",
                )
            )
    for st in c.session_types:
        fitting = [
            b for b in c.blocks if b.kind is st.block_kind and b.window.minutes >= st.duration_min
        ]
        if not fitting:
            out.append(
                Problem(
                    "SessionTypes",
                    st.id,
                    "duration_min",
                    f"no {st.block_kind} block is {st.duration_min} minutes long",
                    f"shorten the session or add a {st.block_kind} block that "
                    "long on the Blocks sheet",
                )
            )
    return out
