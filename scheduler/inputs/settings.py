"""The Clinic sheet's settings, once each is read, as one :class:`ClinicSettings`: the
rules that tie settings together (an hours band's minimum below its maximum, a step-down
band at or below the full-program band) reported on the setting's row."""

from __future__ import annotations

from typing import Any

from scheduler.domain import Band, ClinicSettings, RecordError
from scheduler.inputs.errors import LocatedProblem


def build_settings(
    v: dict[str, Any], where: dict[str, tuple[int, Any]]
) -> tuple[ClinicSettings | None, list[LocatedProblem]]:
    """The settings from their values ``v``; ``where`` gives each setting's row."""
    problems: list[LocatedProblem] = []

    def fail(name: str, message: str) -> tuple[None, list[LocatedProblem]]:
        row = where.get(name, (0, None))[0] or None
        column = "value" if row else None
        problems.append(
            LocatedProblem("Clinic", row, column, f"{name} {message}", "correct this setting")
        )
        return None, problems

    try:
        adult = Band(v["adult_min_hours"], v["adult_max_hours"])
    except RecordError as err:
        return fail("adult_max_hours", err.message)
    try:
        adolescent = Band(v["adolescent_min_hours"], v["adolescent_max_hours"])
    except RecordError as err:
        return fail("adolescent_max_hours", err.message)
    step_down = {}
    for track, full in (("adult", adult), ("adolescent", adolescent)):
        prefix = f"step_down_{track}"
        try:
            band = Band(v[f"{prefix}_min_hours"], v[f"{prefix}_max_hours"])
        except RecordError as err:
            return fail(f"{prefix}_max_hours", err.message)
        # RULES.md W7: step-down steps *down*; a band above the program's is a typo.
        if band.min_hours > full.min_hours:
            return fail(
                f"{prefix}_min_hours",
                f"must be at most {track}_min_hours ({full.min_hours:g}): step-down is below "
                "the full program",
            )
        if band.max_hours > full.max_hours:
            return fail(
                f"{prefix}_max_hours",
                f"must be at most {track}_max_hours ({full.max_hours:g}): step-down is below "
                "the full program",
            )
        step_down[track] = band
    try:
        return ClinicSettings(
            name=v["name"],
            timezone=v["timezone"],
            week_start=v["week_start"],
            weeks=v["weeks"],
            travel_buffer_min=v["travel_buffer_min"],
            adult_hours=adult,
            adolescent_hours=adolescent,
            min_days_adult=v["min_days_adult"],
            min_days_adolescent=v["min_days_adolescent"],
            max_group_blocks_per_day=v["max_group_blocks_per_day"],
            caseload_ratio_max=v["caseload_ratio_max"],
            rest_after_night_min=v["rest_after_night_min"],
            step_down_weeks=v["step_down_weeks"],
            step_down_adult_hours=step_down["adult"],
            step_down_adolescent_hours=step_down["adolescent"],
            step_down_min_days_adult=v["step_down_min_days_adult"],
            step_down_min_days_adolescent=v["step_down_min_days_adolescent"],
        ), problems
    except RecordError as err:
        return fail(err.field, err.message)
