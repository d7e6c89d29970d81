"""What-if scenarios for a generated clinic, the questions a director asks of it
(issue "What-if capacity planning"): shipped with the sample clinic, so that
``iop-scheduler whatif data/sample_clinic.xlsx`` shows the whole feature on its own.

Each is picked from the clinic itself (which therapist to copy, which room to close), so
the same clinic always gets the same scenarios, and each names only IDs the clinic has.
"""

from __future__ import annotations

from scheduler.domain import GROUP_KINDS, BlockKind, Clinic, Therapist, Weekday
from scheduler.generator.catalog import LICENSED
from scheduler.whatif.changes import Change, ChangeKind, Scenario

EVENING = (17 * 60, 21 * 60)
WEEKDAYS = (Weekday.MON, Weekday.TUE, Weekday.WED, Weekday.THU, Weekday.FRI)
#: The largest group the "smaller groups" scenario allows.
SMALL_GROUP = 8
#: Admissions a week the "more demand" scenario adds, and the seed that draws them.
MORE_ADMISSIONS = 10
ADMISSIONS_SEED = 1


def _new_id(taken: set[str], prefix: str) -> str:
    n = len(taken) + 1
    while f"{prefix}{n:02d}" in taken:
        n += 1
    return f"{prefix}{n:02d}"


def _evening_therapist(clinic: Clinic, row: int) -> Scenario:
    """A copy of the first licensed therapist (who may lead every session type, family
    therapy too) working Monday to Thursday evenings, 16 hours."""
    model = next(
        (t for t in clinic.therapists if t.credentials.intersection(LICENSED)), clinic.therapists[0]
    )
    change = Change(
        row=row,
        kind=ChangeKind.ADD_THERAPIST,
        target=model.id,
        new_id=_new_id({t.id for t in clinic.therapists}, "T"),
        name="Evening counselor",
        weekdays=WEEKDAYS[:4],
        start=EVENING[0],
        end=EVENING[1],
        hours=16.0,
    )
    return Scenario("One more evening therapist", (change,))


def _room_closed(clinic: Clinic, row: int) -> Scenario:
    """The second group room (a group's worth of seats, no family features) closes."""
    group_rooms = [
        r for r in clinic.rooms if not r.virtual and r.capacity > 2 and "family" not in r.features
    ]
    room = group_rooms[1] if len(group_rooms) > 1 else group_rooms[0]
    change = Change(row=row, kind=ChangeKind.CLOSE_ROOM, target=room.id)
    return Scenario(f"{room.name} closed", (change,))


def _saturday_block(clinic: Clinic, row: int) -> Scenario:
    """A Saturday morning group block; a clinic that has one gets a second, at midday."""
    site = clinic.sites[0].id
    has_morning = any(
        b.kind is BlockKind.GROUP and b.weekday is Weekday.SAT and b.window.start < 12 * 60
        for b in clinic.blocks
        if b.site == site
    )
    if has_morning:
        start, ident, name = 12 * 60, "SAT-MID", "Second Saturday block"
    else:
        start, ident, name = 9 * 60, "SAT-AM", "Saturday morning block"
    taken = {b.id for b in clinic.blocks}
    change = Change(
        row=row,
        kind=ChangeKind.OPEN_BLOCK,
        new_id=ident if ident not in taken else _new_id(taken, f"{ident}-"),
        target=site if len(clinic.sites) > 1 else None,
        weekdays=(Weekday.SAT,),
        start=start,
        end=start + 180,
        block_kind=BlockKind.GROUP,
    )
    return Scenario(name, (change,))


def _part_timer(clinic: Clinic) -> Therapist:
    return min(clinic.therapists, key=lambda t: (t.max_hours_week, t.id))


def _full_time(clinic: Clinic, row: int) -> Scenario:
    """The therapist with the fewest hours goes full time, adding weekday afternoons and
    evenings on the days they do not work yet."""
    t = _part_timer(clinic)
    worked = {w.weekday for w in t.availability}
    days = tuple(d for d in WEEKDAYS if d not in worked)
    change = Change(
        row=row,
        kind=ChangeKind.STAFF_HOURS,
        target=t.id,
        hours=40.0,
        weekdays=days,
        start=15 * 60 if days else None,
        end=21 * 60 if days else None,
    )
    return Scenario(f"{t.id} full time", (change,))


def _smaller_groups(clinic: Clinic, row: int) -> Scenario:
    """Every adult group type capped at :data:`SMALL_GROUP` patients (a quality choice)."""
    changes = tuple(
        Change(row=row + i, kind=ChangeKind.SESSION_TYPE_SIZES, target=s.id, max_size=SMALL_GROUP)
        for i, s in enumerate(
            s for s in clinic.session_types if s.kind in GROUP_KINDS and s.max_size > SMALL_GROUP
        )
    )
    return Scenario(f"Groups of at most {SMALL_GROUP}", changes)


def sample_scenarios(clinic: Clinic) -> list[Scenario]:
    """Six scenarios for ``clinic``, their changes numbered as the sheet's rows."""
    out: list[Scenario] = []
    row = 2
    for make in (_evening_therapist, _room_closed, _saturday_block, _full_time, _smaller_groups):
        scenario = make(clinic, row)
        if scenario.changes:
            out.append(scenario)
            row += len(scenario.changes)
    more = Change(
        row=row, kind=ChangeKind.ADD_ADMISSIONS, count=MORE_ADMISSIONS, seed=ADMISSIONS_SEED
    )
    out.append(Scenario(f"{MORE_ADMISSIONS} more admissions a week", (more,)))
    return out
