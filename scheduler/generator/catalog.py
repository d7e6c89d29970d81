"""The fixed catalogue of every generated clinic.

Weekdays and credentials, the weekly pattern of group blocks and individual/family slots of
every site, the program's session types and curriculum (DESIGN.md §3), the invented names,
and the small time and random helpers the staff and patient drafting share.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from scheduler.domain import (
    Block,
    BlockKind,
    CurriculumItem,
    Phase,
    SessionKind,
    SessionType,
    Sex,
    Track,
    Weekday,
    Window,
)

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


def clock_minutes(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def make_window(day: Weekday, start: str, end: str) -> Window:
    return Window(day, clock_minutes(start), clock_minutes(end))


def day_windows(days: Sequence[Weekday], start: str, end: str) -> tuple[Window, ...]:
    return tuple(make_window(d, start, end) for d in days)


def weighted_choice(rng: random.Random, table: Sequence[tuple[str, int]]) -> str:
    return rng.choices([k for k, _ in table], weights=[w for _, w in table])[0]


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


def site_blocks(site: str, prefix: str) -> list[Block]:
    out: list[Block] = []
    for label, days, start, end in GROUP_BLOCKS:
        for day in days:
            out.append(
                Block(
                    f"{prefix}{day.name}-{label}",
                    site,
                    BlockKind.GROUP,
                    make_window(day, start, end),
                )
            )
    for days, starts in SLOT_STARTS:
        for day in days:
            for start in starts:
                begin = clock_minutes(start)
                window = Window(day, begin, begin + SLOT_MINUTES)
                ident = f"{prefix}{day.name}-{start.replace(':', '')}"
                out.append(Block(ident, site, BlockKind.SLOT, window))
    return sorted(out, key=lambda b: (b.weekday, b.window.start, b.kind, b.id))


# --------------------------------------------------------------------------------------
# Session types and curriculum.


#: The psychoeducation cycle (TIP 41 open-ended groups): one module a session, joined at
#: any point; eight weeks at one session a week go round it once.
PE_MODULES = (
    "Module 1 — How substances change the brain",
    "Module 2 — Triggers and cravings",
    "Module 3 — Stages of change",
    "Module 4 — Coping skills and stress",
    "Module 5 — Relationships and communication",
    "Module 6 — Co-occurring mental health",
    "Module 7 — Recovery supports and self-help groups",
    "Module 8 — Relapse warning signs and planning",
)


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
        sexes: frozenset[Sex] = frozenset(),
        phases: frozenset[Phase] = frozenset(),
        cofacilitator_above: int | None = 10,
        target_min: int = 4,  # a group of 2 or 3 is hardly a group (issue 10)
        topics: tuple[str, ...] = (),
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
            sexes=sexes,
            phases=phases,
            cofacilitator_above=cofacilitator_above,
            target_min=target_min,
            topics=topics,
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
        group("PE", "Psychoeducation", SessionKind.PSYCHOEDUCATION, adult, topics=PE_MODULES),
        group(
            "WGT",
            "Women's process group",
            SessionKind.GROUP_THERAPY,
            adult,
            max_size=10,
            sexes=frozenset({Sex.FEMALE}),  # women only, not merely one sex per group
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


def group_sessions_needed(track: Track) -> int:
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


def invent_name(rng: random.Random, used: set[str]) -> str:
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
