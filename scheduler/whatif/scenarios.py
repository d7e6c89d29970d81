"""Applying a scenario to the baseline clinic: a pure function from frozen records to
frozen records, one small function per change kind.

Every problem is located on the Scenarios sheet (the change's row, the column at fault, a
fix), like the clinic workbook's own (:mod:`scheduler.inputs`). A change that names an
unknown therapist, room, block or session type, or an ID already taken, is refused before
anything is solved or written. The changed clinic is built through :class:`Clinic` again,
so every cross-reference is checked once more; what it still gets wrong is reported on
the scenario's rows too.

What a change does beyond the obvious, and why:

- ``remove_therapist``: the patients whose primary therapist leaves are handed to the
  remaining therapist at their site with the fewest primary patients (ties by ID), as a
  clinic would do; locks and closures naming the therapist go with them.
- ``close_room`` and ``close_block``: locks and closures naming the room or block go too
  (a pinned assignment to a closed room cannot hold).
- ``add_therapist``: a copy keeps the original's modalities, caseload cap and sites; a
  working time on the row replaces the original's, and its hours cap the copy's week.
- ``staff_hours``: the hours replace the weekly cap (the daily cap is lowered to fit); a
  working time on the row is added to the therapist's availability.
- ``session_type_sizes``: a co-facilitator rule the new largest group can never reach is
  dropped (the record requires it below the maximum; unreachable, it changes nothing).
- ``add_admissions``: ``count`` a week drawn from the clinic's own mix
  (:mod:`scheduler.whatif.admissions`), and/or the patients of a file, read beforehand by
  :mod:`scheduler.whatif.referrals` so that this stays pure.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace

from scheduler.domain import (
    Block,
    BlockKind,
    Clinic,
    ClinicError,
    Patient,
    RecordError,
    Therapist,
    Window,
)
from scheduler.inputs.errors import InputError, LocatedProblem
from scheduler.whatif.changes import Change, ChangeKind, Scenario
from scheduler.whatif.sheet import SHEET


@dataclass(frozen=True)
class Given:
    """What a change may use besides the clinic: the seed for drawn admissions, and the
    patients of each patients file, read beforehand (scheduler.whatif.referrals)."""

    seed: int = 0
    referrals: Mapping[str, tuple[Patient, ...]] = field(default_factory=dict)


class ChangeError(ValueError):
    """A change that cannot be made; ``column`` is the Scenarios column at fault."""

    def __init__(self, column: str | None, message: str, fix: str) -> None:
        super().__init__(message)
        self.column = column
        self.message = message
        self.fix = fix


def _known(ids: list[str], what: str, sheet: str) -> str:
    shown = ", ".join(ids[:12]) + (" …" if len(ids) > 12 else "")
    return f"use a {what} ID listed on the {sheet} sheet ({shown})"


def _therapist(clinic: Clinic, ident: str | None) -> Therapist:
    found = clinic.therapist_by_id.get(ident or "")
    if found is None:
        raise ChangeError(
            "target",
            f"unknown therapist {ident!r}",
            _known([t.id for t in clinic.therapists], "therapist", "Therapists"),
        )
    return found


def _fresh_id(clinic: Clinic, ident: str | None, ids: list[str], what: str) -> str:
    assert ident is not None  # the sheet requires new_id for this change
    if ident.casefold() in {i.casefold() for i in ids}:
        raise ChangeError("new_id", f"{what} ID {ident!r} is already taken", "choose a new ID")
    return ident


def _windows(change: Change) -> tuple[Window, ...]:
    """The working time a row gives: one window per weekday named."""
    if not change.weekdays or change.start is None or change.end is None:
        return ()
    return tuple(Window.clock(day, change.start, change.end) for day in change.weekdays)


def _add_therapist(clinic: Clinic, change: Change, given: Given) -> Clinic:
    original = _therapist(clinic, change.target)
    ident = _fresh_id(clinic, change.new_id, [t.id for t in clinic.therapists], "therapist")
    hours = original.max_hours_week if change.hours is None else change.hours
    copy = replace(
        original,
        id=ident,
        name=change.name or f"{original.name} (copy {ident})",
        credentials=change.credentials or original.credentials,
        availability=_windows(change) or original.availability,
        max_hours_week=hours,
        max_hours_day=min(original.max_hours_day, hours),
    )
    return replace(clinic, therapists=(*clinic.therapists, copy))


def _least_loaded(clinic: Clinic, leaving: Therapist, site: str) -> str:
    load = Counter(p.primary_therapist for p in clinic.patients)
    others = [t for t in clinic.therapists if t.id != leaving.id and site in t.sites]
    others = others or [t for t in clinic.therapists if t.id != leaving.id]
    if not others:
        raise ChangeError(
            "target", f"{leaving.id!r} is the only therapist left", "keep at least one therapist"
        )
    return min(others, key=lambda t: (load[t.id], t.id)).id


def _remove_therapist(clinic: Clinic, change: Change, given: Given) -> Clinic:
    leaving = _therapist(clinic, change.target)
    patients = tuple(
        replace(p, primary_therapist=_least_loaded(clinic, leaving, p.site))
        if p.primary_therapist == leaving.id
        else p
        for p in clinic.patients
    )
    return replace(
        clinic,
        therapists=tuple(t for t in clinic.therapists if t.id != leaving.id),
        patients=patients,
        locks=tuple(lk for lk in clinic.locks if lk.therapist != leaving.id),
        closures=tuple(c for c in clinic.closures if c.therapist != leaving.id),
    )


def _room(clinic: Clinic, change: Change) -> str:
    room = clinic.room_by_id.get(change.target or "")
    if room is None:
        raise ChangeError(
            "target",
            f"unknown room {change.target!r}",
            _known([r.id for r in clinic.rooms], "room", "Rooms"),
        )
    return room.id


def _add_room(clinic: Clinic, change: Change, given: Given) -> Clinic:
    original = clinic.room_by_id[_room(clinic, change)]
    ident = _fresh_id(clinic, change.new_id, [r.id for r in clinic.rooms], "room")
    copy = replace(
        original,
        id=ident,
        name=change.name or f"{original.name} (copy {ident})",
        capacity=change.capacity or original.capacity,
    )
    return replace(clinic, rooms=(*clinic.rooms, copy))


def _close_room(clinic: Clinic, change: Change, given: Given) -> Clinic:
    room = _room(clinic, change)
    return replace(
        clinic,
        rooms=tuple(r for r in clinic.rooms if r.id != room),
        locks=tuple(lk for lk in clinic.locks if lk.room != room),
        closures=tuple(c for c in clinic.closures if c.room != room),
    )


def _open_block(clinic: Clinic, change: Change, given: Given) -> Clinic:
    ident = _fresh_id(clinic, change.new_id, [b.id for b in clinic.blocks], "block")
    if change.target is not None:
        if change.target not in clinic.site_by_id:
            raise ChangeError(
                "target",
                f"unknown site {change.target!r}",
                _known([s.id for s in clinic.sites], "site", "Sites"),
            )
        site = change.target
    elif len(clinic.sites) == 1:
        site = clinic.sites[0].id
    else:
        raise ChangeError(
            "target", "the clinic has several sites", "name the new block's site in target"
        )
    if len(change.weekdays) != 1:
        raise ChangeError("weekday", "a block is on one weekday", "name one weekday per block")
    assert change.start is not None and change.end is not None  # required by the sheet
    if change.end <= change.start:
        raise ChangeError("end", "must be after start", "a block ends by 24:00 on its own day")
    window = Window(change.weekdays[0], change.start, change.end)
    block = Block(ident, site, change.block_kind or BlockKind.GROUP, window)
    return replace(clinic, blocks=(*clinic.blocks, block))


def _close_block(clinic: Clinic, change: Change, given: Given) -> Clinic:
    if change.target not in clinic.block_by_id:
        raise ChangeError(
            "target",
            f"unknown block {change.target!r}",
            _known([b.id for b in clinic.blocks], "block", "Blocks"),
        )
    block = change.target
    return replace(
        clinic,
        blocks=tuple(b for b in clinic.blocks if b.id != block),
        locks=tuple(lk for lk in clinic.locks if lk.block != block),
        closures=tuple(c for c in clinic.closures if c.block != block),
    )


def _session_type_sizes(clinic: Clinic, change: Change, given: Given) -> Clinic:
    original = clinic.session_type_by_id.get(change.target or "")
    if original is None:
        raise ChangeError(
            "target",
            f"unknown session type {change.target!r}",
            _known([s.id for s in clinic.session_types], "session type", "SessionTypes"),
        )
    max_size = original.max_size if change.max_size is None else change.max_size
    cofacilitator = original.cofacilitator_above
    if cofacilitator is not None and max_size <= cofacilitator:
        # A group this small never needs the second therapist: the same rule, unused.
        cofacilitator = None
    changed = replace(
        original,
        min_size=original.min_size if change.min_size is None else change.min_size,
        max_size=max_size,
        target_min=original.target_min if change.target_size is None else change.target_size,
        cofacilitator_above=cofacilitator,
    )
    types = tuple(changed if s.id == original.id else s for s in clinic.session_types)
    return replace(clinic, session_types=types)


def _staff_hours(clinic: Clinic, change: Change, given: Given) -> Clinic:
    original = _therapist(clinic, change.target)
    hours = original.max_hours_week if change.hours is None else change.hours
    changed = replace(
        original,
        max_hours_week=hours,
        max_hours_day=min(original.max_hours_day, hours),
        availability=(*original.availability, *_windows(change)),
    )
    therapists = tuple(changed if t.id == original.id else t for t in clinic.therapists)
    return replace(clinic, therapists=therapists)


def _add_admissions(clinic: Clinic, change: Change, given: Given) -> Clinic:
    from scheduler.whatif.admissions import add_admissions

    if change.patients_file is not None:
        listed = given.referrals.get(change.patients_file, ())
        taken = {p.id for p in clinic.patients}
        twice = sorted(p.id for p in listed if p.id in taken)
        if twice:  # an earlier row of this scenario admitted them already
            raise ChangeError(
                "patients_file",
                f"admits {', '.join(twice)} again",
                "list each new patient once in a scenario",
            )
        clinic = replace(clinic, patients=clinic.patients + listed)
    if change.count is None:
        return clinic
    try:
        seed = given.seed if change.seed is None else change.seed
        return add_admissions(clinic, change.count, seed=seed)
    except ValueError as err:  # no patients to draw the clinic's mix from
        raise ChangeError("count", str(err), "add admissions to a clinic with patients") from err


_APPLY: dict[ChangeKind, Callable[[Clinic, Change, Given], Clinic]] = {
    ChangeKind.ADD_THERAPIST: _add_therapist,
    ChangeKind.REMOVE_THERAPIST: _remove_therapist,
    ChangeKind.ADD_ROOM: _add_room,
    ChangeKind.CLOSE_ROOM: _close_room,
    ChangeKind.OPEN_BLOCK: _open_block,
    ChangeKind.CLOSE_BLOCK: _close_block,
    ChangeKind.SESSION_TYPE_SIZES: _session_type_sizes,
    ChangeKind.STAFF_HOURS: _staff_hours,
    ChangeKind.ADD_ADMISSIONS: _add_admissions,
}

#: A record field → the Scenarios column that set it, to locate a RecordError.
_COLUMN_OF_FIELD = {
    "max_hours_week": "hours",
    "max_hours_day": "hours",
    "capacity": "capacity",
    "min_size": "min_size",
    "max_size": "max_size",
    "target_min": "target_size",
    "credentials": "credentials",
    "name": "name",
    "end": "end",
    "start": "start",
}


def _apply_one(clinic: Clinic, scenario: Scenario, change: Change, given: Given) -> Clinic:
    """``clinic`` with ``change`` made, or InputError locating why it cannot be."""

    def located(column: str | None, message: str, fix: str) -> InputError:
        return InputError(
            [LocatedProblem(SHEET, change.row, column, f"{scenario.name}: {message}", fix)]
        )

    try:
        return _APPLY[change.kind](clinic, change, given)
    except ChangeError as err:
        raise located(err.column, err.message, err.fix) from err
    except RecordError as err:
        column = _COLUMN_OF_FIELD.get(err.field)
        # A field the sheet has no column for is named, so the message still says what.
        message = err.message if column else f"{err.field} {err.message}"
        raise located(column, message, err.fix or "correct this cell") from err
    except ClinicError as err:
        # The change breaks the clinic as a whole (a session type no block is long
        # enough for, once a block closes): each problem, on this row.
        raise InputError(
            [
                LocatedProblem(
                    SHEET,
                    change.row,
                    None,
                    f"{scenario.name}: after this {change.kind}, {p.table}"
                    + (f" [{p.key}]" if p.key else "")
                    + f": {p.message}",
                    p.fix,
                )
                for p in err.problems
            ]
        ) from err


_NEEDED = (
    ("therapists", "a therapist"),
    ("rooms", "a room"),
    ("blocks", "a block"),
)


def apply_scenario(
    clinic: Clinic,
    scenario: Scenario,
    *,
    seed: int = 0,
    referrals: Mapping[str, tuple[Patient, ...]] | None = None,
) -> Clinic:
    """The baseline ``clinic`` with every change of ``scenario`` made in row order.

    Pure: ``clinic`` is not touched. ``seed`` draws added admissions whose row gives no
    seed of its own; ``referrals`` holds the patients of each patients file named
    (:func:`scheduler.whatif.referrals.load_referrals`). Raises :class:`InputError` with
    every problem, each located on the Scenarios sheet.
    """
    given = Given(seed, referrals or {})
    problems: list[LocatedProblem] = []
    for change in scenario.changes:
        try:
            clinic = _apply_one(clinic, scenario, change, given)
        except InputError as err:
            problems += err.problems
    for attribute, what in _NEEDED:
        if not problems and not getattr(clinic, attribute):
            problems.append(
                LocatedProblem(
                    SHEET,
                    scenario.row,
                    "change",
                    f"{scenario.name}: leaves the clinic without {what}",
                    "keep at least one, or add one in the same scenario",
                )
            )
    if problems:
        raise InputError(problems)
    return clinic


def apply_all(
    clinic: Clinic,
    scenarios: list[Scenario],
    *,
    seed: int = 0,
    referrals: Mapping[str, tuple[Patient, ...]] | None = None,
) -> tuple[dict[str, Clinic], list[LocatedProblem]]:
    """Each scenario's clinic by name, and every problem in any of them (all at once, as
    the workbook reports its own)."""
    out: dict[str, Clinic] = {}
    problems: list[LocatedProblem] = []
    for scenario in scenarios:
        try:
            out[scenario.name] = apply_scenario(clinic, scenario, seed=seed, referrals=referrals)
        except InputError as err:
            problems += err.problems
    return out, problems
