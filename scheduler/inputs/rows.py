"""Clinic → cell texts, and problems located back to a sheet, row and column.

A :class:`Locator` remembers which row each record came from, so problems found on the
constructed clinic (``ClinicError``, planning checks) point at the sheet, row and column
a coordinator can fix.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from scheduler.domain import (
    Clinic,
    ClinicSettings,
    Problem,
    Window,
)
from scheduler.inputs.cells import (
    fmt_bool,
    fmt_number,
    fmt_opt,
    fmt_sequence,
    fmt_set,
    fmt_time,
    fmt_weekday,
)
from scheduler.inputs.errors import LocatedProblem
from scheduler.inputs.spec import (
    CLINIC,
    CLINIC_SETTINGS,
    SHEET_ORDER,
    TABLE_BY_SHEET,
    TABLES,
    TEMPLATE_VERSION,
)


@dataclass
class RawTable:
    """One sheet's cells as read: the header row and each data row keyed by column name."""

    header: list[str]
    rows: list[tuple[int, dict[str, object]]] = field(default_factory=list)


# --------------------------------------------------------------------------------------
# Clinic → rows.


def _settings_rows(s: ClinicSettings) -> list[dict[str, str]]:
    values = {
        "name": s.name,
        "timezone": s.timezone,
        "week_start": s.week_start.isoformat(),
        "weeks": str(s.weeks),
        "travel_buffer_min": str(s.travel_buffer_min),
        "adult_min_hours": fmt_number(s.adult_hours.min_hours),
        "adult_max_hours": fmt_number(s.adult_hours.max_hours),
        "adolescent_min_hours": fmt_number(s.adolescent_hours.min_hours),
        "adolescent_max_hours": fmt_number(s.adolescent_hours.max_hours),
        "min_days_adult": str(s.min_days_adult),
        "min_days_adolescent": str(s.min_days_adolescent),
        "max_group_blocks_per_day": str(s.max_group_blocks_per_day),
        "caseload_ratio_max": str(s.caseload_ratio_max),
        "rest_after_night_min": str(s.rest_after_night_min),
        "step_down_weeks": str(s.step_down_weeks),
        "step_down_adult_min_hours": fmt_number(s.step_down_adult_hours.min_hours),
        "step_down_adult_max_hours": fmt_number(s.step_down_adult_hours.max_hours),
        "step_down_adolescent_min_hours": fmt_number(s.step_down_adolescent_hours.min_hours),
        "step_down_adolescent_max_hours": fmt_number(s.step_down_adolescent_hours.max_hours),
        "step_down_min_days_adult": str(s.step_down_min_days_adult),
        "step_down_min_days_adolescent": str(s.step_down_min_days_adolescent),
        "template_version": TEMPLATE_VERSION,
    }
    return [{"setting": c.name, "value": values[c.name]} for c in CLINIC_SETTINGS]


def _window_row(owner_column: str, owner: str, w: Window) -> dict[str, str]:
    return {
        owner_column: owner,
        "weekday": fmt_weekday(w.weekday),
        "start": fmt_time(w.start),
        "end": fmt_time(w.end),
    }


def clinic_rows(clinic: Clinic) -> dict[str, list[dict[str, str]]]:
    """Every sheet's rows as cell texts, in the order of :data:`TABLES`."""
    c = clinic
    out: dict[str, list[dict[str, str]]] = {t.sheet: [] for t in TABLES}
    out["Clinic"] = _settings_rows(c.settings)
    out["Sites"] = [{"site_id": s.id, "name": s.name} for s in c.sites]
    for b in c.blocks:
        row = _window_row("block_id", b.id, b.window)
        out["Blocks"].append(row | {"site_id": b.site, "kind": str(b.kind)})
    for st in c.session_types:
        out["SessionTypes"].append(
            {
                "session_type_id": st.id,
                "name": st.name,
                "kind": str(st.kind),
                "block_kind": str(st.block_kind),
                "duration_min": str(st.duration_min),
                "min_size": str(st.min_size),
                "max_size": str(st.max_size),
                "credentials": fmt_set(st.credentials),
                "room_features": fmt_set(st.room_features),
                "modality": fmt_opt(st.modality),
                "counts_toward_hours": fmt_bool(st.counts_toward_hours),
                "tracks": fmt_set(st.tracks),
                "single_sex": fmt_bool(st.single_sex),
                "sexes": fmt_set(st.sexes),
                "phases": fmt_set(st.phases),
                "cofacilitator_above": fmt_number(st.cofacilitator_above),
                "target_min": fmt_number(st.target_min),
                "topics": fmt_sequence(st.topics),
            }
        )
    out["Curriculum"] = [
        {"track": str(i.track), "session_type_id": i.session_type, "per_week": str(i.per_week)}
        for i in c.curriculum
    ]
    for t in c.therapists:
        out["Therapists"].append(
            {
                "therapist_id": t.id,
                "name": t.name,
                "credentials": fmt_set(t.credentials),
                "modalities": fmt_set(t.modalities),
                "max_hours_week": fmt_number(t.max_hours_week),
                "max_hours_day": fmt_number(t.max_hours_day),
                "caseload_cap": str(t.caseload_cap),
                "sites": fmt_set(t.sites),
            }
        )
        out["TherapistAvailability"] += [
            _window_row("therapist_id", t.id, w) for w in t.availability
        ]
    for r in c.rooms:
        out["Rooms"].append(
            {
                "room_id": r.id,
                "name": r.name,
                "site_id": r.site,
                "capacity": str(r.capacity),
                "features": fmt_set(r.features),
                "virtual": fmt_bool(r.virtual),
            }
        )
        out["RoomAvailability"] += [_window_row("room_id", r.id, w) for w in r.availability]
    for p in c.patients:
        out["Patients"].append(
            {
                "patient_id": p.id,
                "name": p.name,
                "site_id": p.site,
                "track": str(p.track),
                "sex": str(p.sex),
                "phase": str(p.phase),
                "admission": p.admission.isoformat(),
                "discharge": p.discharge.isoformat(),
                "primary_therapist": p.primary_therapist,
                "hours_target": fmt_number(p.hours_target),
                "family_cadence": str(p.family_cadence),
                "telehealth_ok": fmt_bool(p.telehealth_ok),
                "calendar_consent": fmt_bool(p.calendar_consent),
                "preference": str(p.preference),
            }
        )
        for cm in p.commitments:
            row = _window_row("patient_id", p.id, cm.window)
            out["PatientCommitments"].append(row | {"kind": str(cm.kind)})
        out["FamilyAvailability"] += [
            _window_row("patient_id", p.id, w) for w in p.family_availability
        ]
    for cl in c.closures:
        out["Closures"].append(
            {
                "date": cl.date.isoformat(),
                "site_id": fmt_opt(cl.site),
                "room_id": fmt_opt(cl.room),
                "therapist_id": fmt_opt(cl.therapist),
                "block_id": fmt_opt(cl.block),
                "note": cl.note,
            }
        )
    for lk in c.locks:
        out["Locks"].append(
            {
                "lock_id": lk.id,
                "week": str(lk.week),
                "block_id": lk.block,
                "session_type_id": lk.session_type,
                "patient_id": fmt_opt(lk.patient),
                "therapist_id": fmt_opt(lk.therapist),
                "room_id": fmt_opt(lk.room),
            }
        )
    for a in c.attendance:
        out["Attendance"].append(
            {
                "patient_id": a.patient,
                "session_id": a.session,
                "date": a.date.isoformat() if a.date else "",
                "session_type_id": a.session_type,
                "topic": a.topic,
                "attended": fmt_bool(a.attended),
            }
        )
    return out


# --------------------------------------------------------------------------------------
# Locating problems found on records and on the clinic.


@dataclass
class Locator:
    """Maps a domain :class:`Problem` (table, key, field) to a sheet row and column."""

    rows: dict[tuple[str, str], int] = field(default_factory=dict)

    def remember(self, sheet: str, key: str, row: int) -> None:
        self.rows.setdefault((sheet, key), row)

    def locate(self, problem: Problem) -> LocatedProblem:
        table = TABLE_BY_SHEET.get(problem.table)
        row = None if problem.key is None else self.rows.get((problem.table, problem.key))
        message = problem.message
        if problem.key is not None and row is None:
            message = f"{problem.key}: {message}"
        if table is CLINIC:
            # A Clinic problem's key is the setting name; its value sits in column "value".
            return LocatedProblem(
                problem.table, row, "value" if row else None, message, problem.fix
            )
        column = problem.field if table and problem.field in table.names else None
        return LocatedProblem(problem.table, row, column, message, problem.fix)


def sort_problems(problems: Iterable[LocatedProblem]) -> list[LocatedProblem]:
    """Sheet order, then row order; problems of one row keep the order they were found."""
    return sorted(problems, key=lambda p: (SHEET_ORDER.get(p.sheet, -1), p.row or 0))
