"""The clinic workbook's layout, in one place.

Every sheet (and its CSV twin) is described here once: its columns, how each cell is parsed,
whether it must be filled, its enumeration choices and an example value. The reader, the
writer, the CSV folder and the template all use these tables, so the layout cannot drift
between them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Any

from scheduler.domain import (
    BlockKind,
    CommitmentKind,
    FamilyCadence,
    Phase,
    SessionKind,
    Sex,
    TimePreference,
    Track,
    Weekday,
)
from scheduler.inputs.cells import (
    CellKind,
    enum_parser,
    enum_set_parser,
    fmt_bool,
    parse_bool,
    parse_date,
    parse_float,
    parse_id,
    parse_int,
    parse_sequence,
    parse_set,
    parse_text,
    parse_time,
    parse_weekday,
)

# Bump when a sheet or column changes meaning; the Clinic sheet carries the version it was
# made for, and a workbook from another version is refused with both versions named.
TEMPLATE_VERSION = "1"

# --------------------------------------------------------------------------------------
# The layout.


@dataclass(frozen=True)
class Column:
    """One column of a sheet (or one setting of the Clinic sheet)."""

    name: str
    parse: Callable[[str], Any]
    required: bool = True  # the cell must be filled; else blank means ``default``
    default: Any = None
    choices: tuple[str, ...] = ()  # enumeration: offered as a dropdown
    multi: bool = False  # several values separated by ;
    example: str = ""
    help: str = ""
    cell: CellKind = "text"  # how a typed Excel cell (a time, a date) becomes text


@dataclass(frozen=True)
class Table:
    sheet: str
    help: str
    columns: tuple[Column, ...]
    id_column: str | None = None  # unique per row when set
    optional: bool = False  # a workbook may leave the whole sheet out

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


def _choices(kind: type[Enum]) -> tuple[str, ...]:
    return tuple(str(member.value) for member in kind)


WEEKDAY_CHOICES = tuple(d.label for d in Weekday)
YES_NO = ("yes", "no")


def _id(name: str, example: str, help: str, required: bool = True) -> Column:
    return Column(name, parse_id, required=required, example=example, help=help)


def _day() -> Column:
    return Column("weekday", parse_weekday, choices=WEEKDAY_CHOICES, example="Mon")


def _start(example: str = "09:00") -> Column:
    return Column("start", parse_time, example=example, help="HH:MM, 24-hour", cell="time")


def _end(example: str = "12:00", overnight: bool = True) -> Column:
    help = "HH:MM, 24-hour; 24:00 allowed"
    if overnight:
        help += "; an end before the start is the next day (22:00 to 07:00 overnight)"
    return Column("end", parse_time, example=example, help=help, cell="time")


def _flag(name: str, default: bool, help: str) -> Column:
    return Column(
        name,
        parse_bool,
        required=False,
        default=default,
        choices=YES_NO,
        example=fmt_bool(default),
        help=f"{help} (blank: {fmt_bool(default)})",
    )


CLINIC_SETTINGS: tuple[Column, ...] = (
    Column("name", parse_text, example="My Clinic", help="shown on rosters and calendars"),
    Column("timezone", parse_text, example="America/New_York", help="IANA time zone"),
    Column(
        "week_start",
        parse_date,
        example="2026-01-05",
        help="the Monday the planning horizon starts, YYYY-MM-DD",
        cell="date",
    ),
    Column("weeks", parse_int, required=False, default=1, example="1", help="1 to 12"),
    Column(
        "travel_buffer_min",
        parse_int,
        required=False,
        default=30,
        example="30",
        help="minutes between a commitment and a session",
    ),
    Column("adult_min_hours", parse_float, required=False, default=9.0, example="9"),
    Column("adult_max_hours", parse_float, required=False, default=19.0, example="19"),
    Column("adolescent_min_hours", parse_float, required=False, default=6.0, example="6"),
    Column("adolescent_max_hours", parse_float, required=False, default=19.0, example="19"),
    Column("min_days_adult", parse_int, required=False, default=3, example="3"),
    Column("min_days_adolescent", parse_int, required=False, default=2, example="2"),
    Column("max_group_blocks_per_day", parse_int, required=False, default=1, example="1"),
    Column(
        "caseload_ratio_max",
        parse_int,
        required=False,
        default=24,
        example="24",
        help="patients per therapist on average",
    ),
    Column(
        "rest_after_night_min",
        parse_int,
        required=False,
        default=360,
        example="360",
        help="minutes of sleep after a commitment that runs overnight before any session (0: off)",
    ),
    Column(
        "step_down_weeks",
        parse_int,
        required=False,
        default=2,
        example="2",
        help="last weeks before planned discharge that follow the step-down band (0: off)",
    ),
    Column(
        "step_down_adult_min_hours",
        parse_float,
        required=False,
        default=3.0,
        example="3",
        help="weekly hours in a step-down week, at or below adult_min_hours",
    ),
    Column(
        "step_down_adult_max_hours",
        parse_float,
        required=False,
        default=8.0,
        example="8",
        help="at or below adult_max_hours",
    ),
    Column(
        "step_down_adolescent_min_hours",
        parse_float,
        required=False,
        default=3.0,
        example="3",
        help="at or below adolescent_min_hours",
    ),
    Column(
        "step_down_adolescent_max_hours",
        parse_float,
        required=False,
        default=5.0,
        example="5",
        help="at or below adolescent_max_hours",
    ),
    Column("step_down_min_days_adult", parse_int, required=False, default=1, example="1"),
    Column("step_down_min_days_adolescent", parse_int, required=False, default=1, example="1"),
    Column(
        "template_version",
        parse_text,
        example=TEMPLATE_VERSION,
        help="the template this workbook follows; do not change",
    ),
)

SETTING_BY_NAME = {c.name: c for c in CLINIC_SETTINGS}

CLINIC = Table(
    "Clinic",
    "Clinic-wide settings: one setting per row.",
    (
        Column("setting", parse_text, choices=tuple(SETTING_BY_NAME), example="weeks"),
        Column("value", parse_text, required=False, default="", example="1"),
    ),
)

SITES = Table(
    "Sites",
    "The clinic's locations.",
    (_id("site_id", "MAIN", "short ID"), Column("name", parse_text, example="Main street")),
    id_column="site_id",
)

BLOCKS = Table(
    "Blocks",
    "Bookable blocks of the weekly pattern: 3-hour group blocks and short individual slots.",
    (
        _id("block_id", "MON-EVE", "short ID"),
        _id("site_id", "MAIN", "a site from Sites"),
        Column("kind", enum_parser(BlockKind), choices=_choices(BlockKind), example="group"),
        _day(),
        _start("18:00"),
        _end("21:00", overnight=False),
    ),
    id_column="block_id",
)

SESSION_TYPES = Table(
    "SessionTypes",
    "What kinds of sessions run, and who and what they need.",
    (
        _id("session_type_id", "GT", "short ID"),
        Column("name", parse_text, example="Process group"),
        Column(
            "kind", enum_parser(SessionKind), choices=_choices(SessionKind), example="group_therapy"
        ),
        Column("block_kind", enum_parser(BlockKind), choices=_choices(BlockKind), example="group"),
        Column("duration_min", parse_int, example="180", help="minutes, 15 to 360"),
        Column("min_size", parse_int, example="2", help="fewest patients"),
        Column("max_size", parse_int, example="12", help="most patients"),
        Column(
            "credentials",
            parse_set,
            multi=True,
            example="LCSW;LPC;CADC",
            help="the leader holds at least one of these",
        ),
        Column(
            "room_features",
            parse_set,
            required=False,
            default=frozenset(),
            multi=True,
            example="",
            help="the room has all of these (blank: any room)",
        ),
        Column(
            "modality",
            parse_text,
            required=False,
            example="",
            help="the leader practises this modality, e.g. DBT (blank: any)",
        ),
        _flag("counts_toward_hours", True, "counts toward weekly treatment hours"),
        Column(
            "tracks",
            enum_set_parser(Track),
            required=False,
            default=frozenset(Track),
            choices=_choices(Track),
            multi=True,
            example="adult;adolescent",
            help="tracks it is open to (blank: all)",
        ),
        _flag("single_sex", False, "holds patients of one sex only, whichever it is"),
        Column(
            "sexes",
            enum_set_parser(Sex),
            required=False,
            default=frozenset(),
            choices=_choices(Sex),
            multi=True,
            example="",
            help="the only sexes it admits, e.g. female for a women's group (blank: any)",
        ),
        Column(
            "phases",
            enum_set_parser(Phase),
            required=False,
            default=frozenset(),
            choices=_choices(Phase),
            multi=True,
            example="",
            help="phases of recovery it is for (blank: any)",
        ),
        Column(
            "cofacilitator_above",
            parse_int,
            required=False,
            example="8",
            help="a second therapist when the group is larger than this (blank: never)",
        ),
        Column(
            "target_min",
            parse_int,
            required=False,
            example="4",
            help=(
                "the size a group should reach, min_size to max_size: smaller groups are"
                " allowed but avoided (blank: 4 for group kinds seating 4, else min_size)"
            ),
        ),
        Column(
            "topics",
            parse_sequence,
            required=False,
            default=(),
            multi=True,
            example="Module 1 — Brain and substances;Module 2 — Triggers",
            help=(
                "a revolving cycle of modules separated by ; — each session gets one, and"
                " each patient meets every module once before any repeats (blank: no cycle)"
            ),
        ),
    ),
    id_column="session_type_id",
)

CURRICULUM = Table(
    "Curriculum",
    "What a patient on each track needs each week.",
    (
        Column("track", enum_parser(Track), choices=_choices(Track), example="adult"),
        _id("session_type_id", "GT", "a session type from SessionTypes"),
        Column("per_week", parse_int, example="3", help="sessions per week, 1 to 7"),
    ),
)

THERAPISTS = Table(
    "Therapists",
    "Staff who lead sessions.",
    (
        _id("therapist_id", "T1", "short ID"),
        Column("name", parse_text, example="Jordan Lee"),
        Column("credentials", parse_set, multi=True, example="LCSW", help="e.g. LCSW;LPC"),
        Column(
            "modalities",
            parse_set,
            required=False,
            default=frozenset(),
            multi=True,
            example="CBT;DBT",
        ),
        Column("max_hours_week", parse_float, example="40"),
        Column("max_hours_day", parse_float, example="10"),
        Column("caseload_cap", parse_int, example="24", help="most primary patients"),
        Column("sites", parse_set, multi=True, example="MAIN", help="sites from Sites"),
    ),
    id_column="therapist_id",
)

THERAPIST_AVAILABILITY = Table(
    "TherapistAvailability",
    "When each therapist can work, one row per weekly window.",
    (_id("therapist_id", "T1", "a therapist"), _day(), _start("08:00"), _end("17:00")),
)

ROOMS = Table(
    "Rooms",
    "Rooms, including virtual (telehealth) rooms.",
    (
        _id("room_id", "R1", "short ID"),
        Column("name", parse_text, example="Group room 1"),
        Column(
            "site_id",
            parse_id,
            required=False,
            default="",
            example="MAIN",
            help="a site from Sites (blank for a virtual room)",
        ),
        Column("capacity", parse_int, example="12", help="seats, 1 to 500"),
        Column(
            "features",
            parse_set,
            required=False,
            default=frozenset(),
            multi=True,
            example="accessible",
            help="e.g. family;accessible",
        ),
        _flag("virtual", False, "a telehealth room serving every site"),
    ),
    id_column="room_id",
)

ROOM_AVAILABILITY = Table(
    "RoomAvailability",
    "When a room can be used; a room with no rows is open whenever the clinic has blocks.",
    (_id("room_id", "R1", "a room"), _day(), _start("08:00"), _end("22:00")),
)

PATIENTS = Table(
    "Patients",
    "Patients in treatment or admitted soon.",
    (
        _id("patient_id", "P001", "short ID; never a medical record number"),
        Column("name", parse_text, example="A. Patient"),
        _id("site_id", "MAIN", "a site from Sites"),
        Column("track", enum_parser(Track), choices=_choices(Track), example="adult"),
        Column("sex", enum_parser(Sex), choices=_choices(Sex), example="female"),
        Column("phase", enum_parser(Phase), choices=_choices(Phase), example="early"),
        Column("admission", parse_date, example="2026-01-05", help="YYYY-MM-DD", cell="date"),
        Column(
            "discharge",
            parse_date,
            example="2026-02-27",
            help="planned last day, YYYY-MM-DD",
            cell="date",
        ),
        _id("primary_therapist", "T1", "a therapist from Therapists"),
        Column(
            "hours_target",
            parse_float,
            required=False,
            example="",
            help="weekly hours (blank: the track's curriculum)",
        ),
        Column(
            "family_cadence",
            enum_parser(FamilyCadence),
            required=False,
            default=FamilyCadence.NONE,
            choices=_choices(FamilyCadence),
            example="none",
            help="blank: none",
        ),
        _flag("telehealth_ok", False, "may attend by video"),
        _flag("calendar_consent", False, "consented to a personal calendar feed"),
        Column(
            "preference",
            enum_parser(TimePreference),
            required=False,
            default=TimePreference.ANY,
            choices=_choices(TimePreference),
            example="any",
            help="blank: any",
        ),
    ),
    id_column="patient_id",
)

PATIENT_COMMITMENTS = Table(
    "PatientCommitments",
    "Work, school or childcare a patient cannot miss, one row per weekly window.",
    (
        _id("patient_id", "P001", "a patient"),
        Column(
            "kind", enum_parser(CommitmentKind), choices=_choices(CommitmentKind), example="work"
        ),
        _day(),
        _start("09:00"),
        _end("17:00"),
    ),
)

FAMILY_AVAILABILITY = Table(
    "FamilyAvailability",
    "When a patient's family can attend family therapy, one row per weekly window.",
    (_id("patient_id", "P001", "a patient"), _day(), _start("17:00"), _end("20:00")),
)

CLOSURES = Table(
    "Closures",
    "Dated closures and time off. Blank scope columns widen the closure: a row with only a "
    "date closes every site that day. A row naming a room and a therapist closes both.",
    (
        Column("date", parse_date, example="2026-12-25", help="YYYY-MM-DD", cell="date"),
        _id("site_id", "", "blank: every site", required=False),
        _id("room_id", "", "blank: every room", required=False),
        _id("therapist_id", "", "staff time off (blank: everyone)", required=False),
        _id("block_id", "", "blank: the whole day", required=False),
        Column("note", parse_text, required=False, default="", example="Holiday"),
    ),
)

LOCKS = Table(
    "Locks",
    "Assignments pinned by hand: this session runs in this block, with this patient, "
    "therapist or room.",
    (
        _id("lock_id", "L1", "short ID"),
        Column("week", parse_int, required=False, default=0, example="0", help="0: first week"),
        _id("block_id", "MON-EVE", "a block"),
        _id("session_type_id", "GT", "a session type"),
        _id("patient_id", "", "blank: any", required=False),
        _id("therapist_id", "", "blank: any", required=False),
        _id("room_id", "", "blank: any", required=False),
    ),
    id_column="lock_id",
)

ATTENDANCE = Table(
    "Attendance",
    "Optional: who attended sessions of the previous schedule. It overrides the roster when "
    "module credit is carried to the next week: attended no takes a module's credit away, "
    "yes adds it. Name the session by its ID in schedule.json, or by date and session type.",
    (
        _id("patient_id", "P001", "a patient"),
        _id("session_id", "W0-MON-EVE-PE-1", "the session ID in schedule.json", required=False),
        Column(
            "date",
            parse_date,
            required=False,
            example="2026-01-05",
            help="YYYY-MM-DD, with session_type_id when there is no session_id",
            cell="date",
        ),
        _id("session_type_id", "", "a session type (with date)", required=False),
        Column(
            "topic",
            parse_text,
            required=False,
            default="",
            example="",
            help="the module met, one of the type's topics (blank: the session's own)",
        ),
        Column("attended", parse_bool, choices=YES_NO, example="yes", help="yes or no"),
    ),
    optional=True,
)

TABLES: tuple[Table, ...] = (
    CLINIC,
    SITES,
    BLOCKS,
    SESSION_TYPES,
    CURRICULUM,
    THERAPISTS,
    THERAPIST_AVAILABILITY,
    ROOMS,
    ROOM_AVAILABILITY,
    PATIENTS,
    PATIENT_COMMITMENTS,
    FAMILY_AVAILABILITY,
    CLOSURES,
    LOCKS,
    ATTENDANCE,
)

TABLE_BY_SHEET = {t.sheet: t for t in TABLES}
SHEET_ORDER = {t.sheet: i for i, t in enumerate(TABLES)}
