"""Staff of a generated clinic: the shifts therapists work and drafting one therapist."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

from scheduler.domain import Therapist, Window
from scheduler.generator.catalog import (
    COUNSELOR,
    FRI,
    LICENSED,
    MON,
    SAT,
    THU,
    TUE,
    WED,
    WEEKDAYS,
    day_windows,
    invent_name,
)


@dataclass(frozen=True)
class _Shift:
    label: str
    windows: tuple[Window, ...]
    part_time: bool


SHIFTS: dict[str, _Shift] = {
    "day": _Shift("day", day_windows(WEEKDAYS, "08:00", "17:00"), False),
    "evening": _Shift("evening", day_windows(WEEKDAYS, "12:00", "21:00"), False),
    "evening_sat": _Shift(
        "evening_sat",
        day_windows((TUE, WED, THU, FRI), "12:00", "21:00") + day_windows((SAT,), "08:00", "15:00"),
        False,
    ),
    "day_sat": _Shift(
        "day_sat",
        day_windows((MON, TUE, WED, THU), "08:00", "17:00") + day_windows((SAT,), "08:00", "15:00"),
        False,
    ),
    "pt_evening": _Shift("pt_evening", day_windows((MON, WED, THU), "15:00", "21:00"), True),
    "pt_day": _Shift("pt_day", day_windows((TUE, THU, FRI), "08:00", "16:00"), True),
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


def draft_therapist(
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
        name=invent_name(rng, used_names),
        credentials=frozenset(sorted(creds)),
        modalities=frozenset(sorted(modalities)),
        max_hours_week=week,
        max_hours_day=day,
        caseload_cap=cap,
        sites=frozenset(site_ids),
        availability=shift.windows,
    )
