"""The rules of docs/RULES.md written again, independently of any solver.

:func:`check_schedule` reads a :class:`~scheduler.domain.Clinic` and a
:class:`~scheduler.schedule.Schedule` and returns every :class:`Violation` it finds, each
naming its RULES.md ID and the sessions, patients, therapists and rooms involved. It is the
executable specification: the model's tests run every schedule through it, and ``solve``
refuses to publish a schedule for which :func:`assert_valid` raises.

Independence: apart from the W4/W5 waiver decisions (``scheduler.rules.individual_slots`` and
``family_slots``), the sessions a week asks for (``required_sessions``, W1) and which weeks
are step-down weeks (``stepping_down``, W7), which RULES.md says model and checker share,
every rule is derived here from the records themselves, not from the helpers the model uses.

Privacy: messages name patients by ID only, never by name (DESIGN.md §6, minimum necessary);
they may end up in logs.

Besides the rule IDs of RULES.md, :data:`STRUCTURE` marks a schedule that does not fit the
clinic at all: unknown IDs, duplicate session IDs, a patient listed twice in one session, a
week outside the horizon. Sessions whose block or session type is unknown, or whose week is
outside the horizon, cannot be placed in time and are left out of the other checks; unknown
rooms, therapists and patients are left out of the checks that need their records.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from scheduler.check.locks import check_locks
from scheduler.check.placement import check_placement, check_treatment_dates
from scheduler.check.separation import (
    check_admitted_sexes,
    check_phases,
    check_sex,
    check_tracks,
)
from scheduler.check.staff import (
    check_caseload,
    check_cofacilitation,
    check_credentials,
    check_hours,
    check_rooms,
    check_size,
)
from scheduler.check.structure import check_structure
from scheduler.check.time_place import (
    check_availability,
    check_blocks,
    check_closures,
    check_double_booking,
    check_rest_after_night,
    check_sites,
    check_travel_buffer,
)
from scheduler.check.topics import check_no_repeats, check_topic_cycles
from scheduler.check.view import View
from scheduler.check.violation import RULE_IDS, STRUCTURE, ScheduleRejected, Violation
from scheduler.check.weeks import (
    check_curriculum,
    check_family,
    check_hours_band,
    check_individual,
    check_one_patient,
    check_shape,
    check_step_down,
)
from scheduler.domain import Clinic
from scheduler.schedule import Schedule


def assert_valid(clinic: Clinic, schedule: Schedule) -> None:
    """Raise :class:`ScheduleRejected` unless the schedule keeps every rule."""
    violations = check_schedule(clinic, schedule)
    if violations:
        raise ScheduleRejected(violations)


def check_schedule(clinic: Clinic, schedule: Schedule) -> list[Violation]:
    """Every violation of docs/RULES.md in ``schedule``, in a deterministic order:
    by rule (:data:`RULE_IDS` order), then by schedule session order / clinic order."""
    view = View(clinic, schedule)
    out: list[Violation] = []
    for family in _FAMILIES:
        out.extend(family(view))
    order = {rule: i for i, rule in enumerate(RULE_IDS)}
    # A stable sort keeps each family's own order within a rule.
    return sorted(out, key=lambda v: order[v.rule])


_FAMILIES: tuple[Callable[[View], Iterator[Violation]], ...] = (
    check_structure,
    check_placement,
    check_treatment_dates,
    check_double_booking,
    check_travel_buffer,
    check_blocks,
    check_closures,
    check_availability,
    check_sites,
    check_rest_after_night,
    check_size,
    check_rooms,
    check_credentials,
    check_cofacilitation,
    check_hours,
    check_caseload,
    check_curriculum,
    check_hours_band,
    check_shape,
    check_step_down,
    check_individual,
    check_family,
    check_one_patient,
    check_tracks,
    check_sex,
    check_phases,
    check_admitted_sexes,
    check_locks,
    check_topic_cycles,
    check_no_repeats,
)

__all__ = [
    "RULE_IDS",
    "STRUCTURE",
    "ScheduleRejected",
    "Violation",
    "assert_valid",
    "check_schedule",
]
