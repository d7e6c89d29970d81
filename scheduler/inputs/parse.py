"""Cell texts → records → :class:`Clinic`, collecting every problem on the way.

Each row is parsed column by column (every bad cell is reported, not only the first),
built into its record (a ``RecordError`` names the column at fault), and the clinic is
assembled; its ``ClinicError`` problems are located through the :class:`Locator`.
Problems that only follow from one already reported (a reference to a row left out)
are not repeated.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from scheduler.domain import (
    Attendance,
    Block,
    Clinic,
    ClinicError,
    ClinicSettings,
    Closure,
    Commitment,
    CurriculumItem,
    Lock,
    Patient,
    Problem,
    RecordError,
    Room,
    SessionType,
    Site,
    Therapist,
    Window,
)
from scheduler.inputs.cells import (
    CellError,
    cell_text,
    excel_error,
)
from scheduler.inputs.errors import LocatedProblem
from scheduler.inputs.headers import header_problems
from scheduler.inputs.rows import Locator, RawTable, sort_problems
from scheduler.inputs.settings import build_settings
from scheduler.inputs.spec import (
    CLINIC,
    CLINIC_SETTINGS,
    SETTING_BY_NAME,
    TABLE_BY_SHEET,
    TEMPLATE_VERSION,
    Column,
    Table,
)

# --------------------------------------------------------------------------------------
# Rows → clinic.


_Values = dict[str, Any]


def _build_site(v: _Values) -> Site:
    return Site(v["site_id"], v["name"])


def _build_block(v: _Values) -> Block:
    return Block(v["block_id"], v["site_id"], v["kind"], _build_window(v))


def _build_session_type(v: _Values) -> SessionType:
    return SessionType(
        id=v["session_type_id"],
        name=v["name"],
        kind=v["kind"],
        block_kind=v["block_kind"],
        duration_min=v["duration_min"],
        min_size=v["min_size"],
        max_size=v["max_size"],
        credentials=v["credentials"],
        room_features=v["room_features"],
        modality=v["modality"],
        counts_toward_hours=v["counts_toward_hours"],
        tracks=v["tracks"],
        single_sex=v["single_sex"],
        sexes=v["sexes"],
        phases=v["phases"],
        cofacilitator_above=v["cofacilitator_above"],
        target_min=v["target_min"],
        topics=v["topics"],
    )


def _build_curriculum(v: _Values) -> CurriculumItem:
    return CurriculumItem(v["track"], v["session_type_id"], v["per_week"])


def _build_therapist(v: _Values) -> Therapist:
    return Therapist(
        id=v["therapist_id"],
        name=v["name"],
        credentials=v["credentials"],
        modalities=v["modalities"],
        max_hours_week=v["max_hours_week"],
        max_hours_day=v["max_hours_day"],
        caseload_cap=v["caseload_cap"],
        sites=v["sites"],
        availability=(),
    )


def _build_room(v: _Values) -> Room:
    return Room(
        id=v["room_id"],
        name=v["name"],
        site=v["site_id"],
        capacity=v["capacity"],
        features=v["features"],
        virtual=v["virtual"],
    )


def _build_patient(v: _Values) -> Patient:
    return Patient(
        id=v["patient_id"],
        name=v["name"],
        site=v["site_id"],
        track=v["track"],
        sex=v["sex"],
        phase=v["phase"],
        admission=v["admission"],
        discharge=v["discharge"],
        primary_therapist=v["primary_therapist"],
        hours_target=v["hours_target"],
        family_cadence=v["family_cadence"],
        telehealth_ok=v["telehealth_ok"],
        calendar_consent=v["calendar_consent"],
        preference=v["preference"],
    )


def _build_window(v: _Values) -> Window:
    # An end at or before the start is the next morning: a 22:00–07:00 night shift is one
    # row (docs/RULES.md T2).
    return Window.clock(v["weekday"], v["start"], v["end"])


def _build_commitment(v: _Values) -> Commitment:
    return Commitment(v["kind"], _build_window(v))


def _build_closure(v: _Values) -> Closure:
    return Closure(
        v["date"], v["site_id"], v["room_id"], v["therapist_id"], v["block_id"], v["note"]
    )


def _build_lock(v: _Values) -> Lock:
    return Lock(
        id=v["lock_id"],
        block=v["block_id"],
        session_type=v["session_type_id"],
        week=v["week"],
        patient=v["patient_id"],
        therapist=v["therapist_id"],
        room=v["room_id"],
    )


def _build_attendance(v: _Values) -> Attendance:
    return Attendance(
        patient=v["patient_id"],
        attended=v["attended"],
        session=v["session_id"] or "",
        date=v["date"],
        session_type=v["session_type_id"] or "",
        topic=v["topic"],
    )


_BUILDERS: dict[str, Callable[[_Values], Any]] = {
    "Sites": _build_site,
    "Blocks": _build_block,
    "SessionTypes": _build_session_type,
    "Curriculum": _build_curriculum,
    "Therapists": _build_therapist,
    "TherapistAvailability": _build_window,
    "Rooms": _build_room,
    "RoomAvailability": _build_window,
    "Patients": _build_patient,
    "PatientCommitments": _build_commitment,
    "FamilyAvailability": _build_window,
    "Closures": _build_closure,
    "Locks": _build_lock,
    "Attendance": _build_attendance,
}

# The row key a Problem uses for each table (domain.cross_reference_problems).
_KEYS: dict[str, Callable[[Any], str]] = {
    "Sites": lambda r: str(r.id),
    "Blocks": lambda r: str(r.id),
    "SessionTypes": lambda r: str(r.id),
    "Curriculum": lambda r: f"{r.track}/{r.session_type}",
    "Therapists": lambda r: str(r.id),
    "Rooms": lambda r: str(r.id),
    "Patients": lambda r: str(r.id),
    "Closures": lambda r: str(r.key),
    "Locks": lambda r: str(r.id),
    "Attendance": lambda r: str(r.key),
}

# Window tables: sheet → (owner column, owner sheet, what the owner is called).
_OWNED = {
    "TherapistAvailability": ("therapist_id", "Therapists", "therapist"),
    "RoomAvailability": ("room_id", "Rooms", "room"),
    "PatientCommitments": ("patient_id", "Patients", "patient"),
    "FamilyAvailability": ("patient_id", "Patients", "patient"),
}


def _quote(text: str) -> str:
    return f'"{text}" ' if text else ""


@dataclass
class _Reader:
    """Collects every problem while turning raw tables into records: each row's cells
    and record, IDs and references, and the clinic assembled from them. The header row
    (:mod:`scheduler.inputs.headers`) and the settings' rules
    (:mod:`scheduler.inputs.settings`) are checked in modules of their own."""

    raw: dict[str, RawTable]
    problems: list[LocatedProblem] = field(default_factory=list)
    locator: Locator = field(default_factory=Locator)
    failed_ids: set[str] = field(default_factory=set)  # IDs of rows that did not parse
    failed_sheets: set[str] = field(default_factory=set)  # some row did not parse
    missing_sheets: set[str] = field(default_factory=set)  # no sheet, or a column missing

    def problem(self, sheet: str, row: int | None, column: str | None, msg: str, fix: str) -> None:
        self.problems.append(LocatedProblem(sheet, row, column, msg, fix))

    def check_header(self, table: Table) -> bool:
        """Whether the sheet is there (the file layer reports a missing one) with its
        required columns (:mod:`scheduler.inputs.headers`)."""
        raw = self.raw.get(table.sheet)
        if raw is None:
            self.missing_sheets.add(table.sheet)
            self.failed_sheets.add(table.sheet)
            return False
        ok, problems = header_problems(table, raw.header)
        self.problems += problems
        if not ok:
            self.missing_sheets.add(table.sheet)
        return ok

    def parse_cells(
        self, table: Table, columns: Iterable[Column], row: int, cells: dict[str, object]
    ) -> _Values | None:
        values: _Values = {}
        ok = True
        for col in columns:
            error = excel_error(cells.get(col.name))
            if error is not None:
                ok = False
                self.problem(
                    table.sheet,
                    row,
                    col.name,
                    f"holds the Excel error {error}, not a value",
                    "type the value itself, or correct the formula that gives the error",
                )
                continue
            text = cell_text(cells.get(col.name), col.cell)
            if not text:
                if col.required:
                    ok = False
                    example = f" (for example {col.example})" if col.example else ""
                    self.problem(table.sheet, row, col.name, "is empty", f"fill it in{example}")
                else:
                    values[col.name] = col.default
                continue
            try:
                values[col.name] = col.parse(text)
            except CellError as err:
                ok = False
                self.problem(table.sheet, row, col.name, err.message, err.fix)
        if not ok and table.id_column and isinstance(values.get(table.id_column), str):
            self.failed_ids.add(values[table.id_column])
        return values if ok else None

    def record_error(
        self, table: Table, row: int, cells: dict[str, object], err: RecordError
    ) -> None:
        column = err.field if err.field in table.names else None
        text = cell_text(cells.get(column), table.column(column).cell) if column else ""
        fix = err.fix or "correct this cell"
        self.problem(table.sheet, row, column, f"{_quote(text)}{err.message}", fix)

    def records(self, table: Table) -> list[tuple[int, Any, _Values]]:
        """Each row's record, its row number and parsed values; bad rows are reported."""
        if not self.check_header(table):
            self.failed_sheets.add(table.sheet)
            return []
        out = []
        first_row: dict[str, int] = {}
        folded: dict[str, str] = {}  # casefolded ID → the ID as first written
        for row, cells in self.raw[table.sheet].rows:
            values = self.parse_cells(table, table.columns, row, cells)
            if values is None:
                self.failed_sheets.add(table.sheet)
                continue
            try:
                record = _BUILDERS[table.sheet](values)
            except RecordError as err:
                self.failed_sheets.add(table.sheet)
                if table.id_column:
                    self.failed_ids.add(values[table.id_column])
                self.record_error(table, row, cells, err)
                continue
            keyer = _KEYS.get(table.sheet)
            if keyer is not None:
                key = keyer(record)
                if table.sheet != "Closures" and key in first_row:
                    self.duplicate(table, row, key, first_row[key])
                    continue
                if table.id_column and folded.setdefault(key.casefold(), key) != key:
                    other = folded[key.casefold()]
                    self.case_duplicate(table, table.id_column, row, key, (other, first_row[other]))
                    continue
                first_row.setdefault(key, row)
                self.locator.remember(table.sheet, key, row)
            out.append((row, record, values))
        return out

    def case_duplicate(
        self, table: Table, column: str, row: int, key: str, first: tuple[str, int]
    ) -> None:
        """Two IDs that differ only in case name two files (``therapist-T01.ics``,
        ``therapist-t01.ics``) that are one file on Windows and macOS."""
        # The row is left out: references to it are not reported again as unknown.
        self.failed_sheets.add(table.sheet)
        self.failed_ids.add(key)
        other, other_row = first
        self.problem(
            table.sheet,
            row,
            column,
            f'ID "{key}" differs from "{other}" (row {other_row}) only in upper and lower case',
            "give every row its own ID, not just a different case",
        )

    def duplicate(self, table: Table, row: int, key: str, first: int) -> None:
        if table.id_column:
            self.problem(
                table.sheet,
                row,
                table.id_column,
                f'ID "{key}" is used twice (first on row {first})',
                "give every row its own ID",
            )
        elif table.sheet == "Attendance":
            self.problem(
                table.sheet,
                row,
                "patient_id",
                f"this patient's attendance of this session is listed twice (first on row {first})",
                "keep one row per patient and session",
            )
        else:
            track, session_type = key.split("/", 1)
            self.problem(
                table.sheet,
                row,
                "session_type_id",
                f'{track} "{session_type}" is listed twice (first on row {first})',
                "keep one row per track and session type",
            )

    def settings(self) -> ClinicSettings | None:
        if not self.check_header(CLINIC):
            return None
        found: dict[str, tuple[int, Any]] = {}
        ok = True
        for row, cells in self.raw[CLINIC.sheet].rows:
            name = cell_text(cells.get("setting"))
            setting = SETTING_BY_NAME.get(name.lower())
            if setting is None:  # reported; the other settings are still checked
                self.problem(
                    "Clinic",
                    row,
                    "setting",
                    f'"{name}" is not a setting' if name else "the setting name is empty",
                    "use one of " + ", ".join(SETTING_BY_NAME),
                )
                continue
            if setting.name in found:
                self.problem(
                    "Clinic",
                    row,
                    "setting",
                    f'"{setting.name}" is set twice (first on row {found[setting.name][0]})',
                    "keep one row per setting",
                )
                continue
            self.locator.remember("Clinic", setting.name, row)
            values = self.parse_cells(
                CLINIC, [replace(setting, name="value")], row, {"value": cells.get("value")}
            )
            if values is None:
                ok = False
                found[setting.name] = (row, None)
            else:
                found[setting.name] = (row, values["value"])
        for setting in CLINIC_SETTINGS:
            if setting.name not in found:
                if setting.required:
                    ok = False
                    self.problem(
                        "Clinic",
                        None,
                        "setting",
                        f'the setting "{setting.name}" is missing',
                        f"add a row with setting {setting.name} and its value "
                        f"(for example {setting.example})",
                    )
                found[setting.name] = (0, setting.default)
        version_row, version = found["template_version"]
        if version is not None and version != TEMPLATE_VERSION:
            ok = False
            self.problem(
                "Clinic",
                version_row or None,
                "value" if version_row else "setting",
                f'this workbook follows template version "{version}" but this scheduler '
                f'reads template version "{TEMPLATE_VERSION}"',
                "copy your data into a fresh template made by this version of the scheduler",
            )
        if not ok:
            return None
        settings, problems = build_settings({k: v for k, (_, v) in found.items()}, found)
        self.problems += problems
        return settings

    def owned(self, sheet: str, owners: set[str]) -> dict[str, list[Any]]:
        """Window rows grouped by owner ID, in row order; unknown owners are reported."""
        owner_column, owner_sheet, what = _OWNED[sheet]
        out: dict[str, list[Any]] = {}
        for row, record, values in self.records(TABLE_BY_SHEET[sheet]):
            owner = values[owner_column]
            if owner not in owners:
                if owner not in self.failed_ids and owner_sheet not in self.missing_sheets:
                    self.problem(
                        sheet,
                        row,
                        owner_column,
                        f'unknown {what} "{owner}"',
                        f"use a {what} ID listed on the {owner_sheet} sheet",
                    )
                continue
            out.setdefault(owner, []).append(record)
        return out

    def clinic(self) -> Clinic | None:
        settings = self.settings()
        tables = {
            sheet: [record for _, record, _ in self.records(TABLE_BY_SHEET[sheet])]
            for sheet in ("Sites", "Blocks", "SessionTypes", "Curriculum")
        }
        therapists = [t for _, t, _ in self.records(TABLE_BY_SHEET["Therapists"])]
        avail = self.owned("TherapistAvailability", {t.id for t in therapists})
        therapists = [replace(t, availability=tuple(avail.get(t.id, ()))) for t in therapists]
        rooms = [r for _, r, _ in self.records(TABLE_BY_SHEET["Rooms"])]
        open_ = self.owned("RoomAvailability", {r.id for r in rooms})
        rooms = [replace(r, availability=tuple(open_.get(r.id, ()))) for r in rooms]
        patients = [p for _, p, _ in self.records(TABLE_BY_SHEET["Patients"])]
        ids = {p.id for p in patients}
        commitments = self.owned("PatientCommitments", ids)
        family = self.owned("FamilyAvailability", ids)
        patients = [
            replace(
                p,
                commitments=tuple(commitments.get(p.id, ())),
                family_availability=tuple(family.get(p.id, ())),
            )
            for p in patients
        ]
        closures = [c for _, c, _ in self.records(TABLE_BY_SHEET["Closures"])]
        locks = [lk for _, lk, _ in self.records(TABLE_BY_SHEET["Locks"])]
        attendance = [a for _, a, _ in self.records(TABLE_BY_SHEET["Attendance"])]
        try:
            clinic = Clinic(
                settings=settings or _PLACEHOLDER,
                sites=tuple(tables["Sites"]),
                blocks=tuple(tables["Blocks"]),
                session_types=tuple(tables["SessionTypes"]),
                curriculum=tuple(tables["Curriculum"]),
                therapists=tuple(therapists),
                rooms=tuple(rooms),
                patients=tuple(patients),
                closures=tuple(closures),
                locks=tuple(locks),
                attendance=tuple(attendance),
            )
        except ClinicError as err:
            self.problems += [
                self.locator.locate(p) for p in err.problems if not self.follows(p, settings)
            ]
            return None
        return clinic if settings is not None and not self.problems else None

    def missing_whats(self) -> list[str]:
        return [what for sheet, what in _WHAT.items() if sheet in self.missing_sheets]

    def follows(self, p: Problem, settings: ClinicSettings | None) -> bool:
        """Whether ``p`` only follows from a problem already reported (a row left out)."""
        if p.message.startswith("unknown "):
            if any(p.message.endswith(repr(i)) for i in self.failed_ids):
                return True
            if any(p.message.startswith(f"unknown {what} ") for what in self.missing_whats()):
                return True
        if p.table == "Sites" and p.key is None and "Sites" in self.failed_sheets:
            return True
        if p.table == "SessionTypes" and p.field == "duration_min":
            return "Blocks" in self.failed_sheets
        return p.table == "Locks" and p.field == "week" and settings is None


_WHAT = {
    "Sites": "site",
    "Blocks": "block",
    "SessionTypes": "session type",
    "Therapists": "therapist",
    "Rooms": "room",
    "Patients": "patient",
}


# Stands in for unreadable settings so that the other sheets are still checked.
_PLACEHOLDER = ClinicSettings("placeholder", "UTC", dt.date(2024, 1, 1))


def rows_to_clinic(raw: dict[str, RawTable]) -> tuple[Clinic | None, Locator, list[LocatedProblem]]:
    """Build the clinic from every sheet's cells; ``None`` and the problems if any."""
    reader = _Reader(raw)
    clinic = reader.clinic()
    problems = sort_problems(reader.problems)
    return (None if problems else clinic), reader.locator, problems
