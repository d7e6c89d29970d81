"""A given list of new patients for ``add_admissions``: the Patients sheet (with its
PatientCommitments and FamilyAvailability) of another workbook or CSV folder, read against
the baseline clinic.

The file holds only the patient sheets, in the clinic workbook's layout (a template's
sheets, or a clinic's own). They are read with the clinic's own reader
(:func:`scheduler.inputs.parse.rows_to_clinic`), the baseline's other tables standing in
for the sheets the file does not hold, so every cell and every reference (a primary
therapist, a site) is checked as in the workbook, and every problem is located in the file
(its name, sheet, row, column). Reading files happens here, before the scenarios are
applied, so that applying one stays a pure function.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path

from scheduler.domain import Clinic, ClinicError, Patient
from scheduler.inputs.errors import LocatedProblem
from scheduler.inputs.parse import rows_to_clinic
from scheduler.inputs.rows import RawTable, clinic_rows
from scheduler.inputs.spec import (
    FAMILY_AVAILABILITY,
    LOCKS,
    PATIENT_COMMITMENTS,
    PATIENTS,
    TABLES,
)
from scheduler.whatif.changes import Scenario
from scheduler.whatif.sheet import raw_sheet

#: The sheets a list of patients is read from.
PATIENT_SHEETS = (PATIENTS, PATIENT_COMMITMENTS, FAMILY_AVAILABILITY)


def _baseline_table(clinic: Clinic, sheet: str) -> RawTable:
    rows = clinic_rows(clinic)[sheet]
    table = next(t for t in TABLES if t.sheet == sheet)
    return RawTable(list(table.names), [(n, dict(r)) for n, r in enumerate(rows, start=2)])


def _in_file(path: Path, problems: Iterable[LocatedProblem]) -> list[LocatedProblem]:
    return [
        LocatedProblem(f"{path.name}: {p.sheet}", p.row, p.column, p.message, p.fix)
        for p in problems
    ]


def read_referrals(
    path: Path, baseline: Clinic
) -> tuple[tuple[Patient, ...], list[LocatedProblem]]:
    """The patients listed at ``path`` (a workbook or a CSV folder), checked against
    ``baseline``, and every problem found, each located in the file."""
    raw: dict[str, RawTable] = {}
    problems: list[LocatedProblem] = []
    for table in TABLES:
        if table is LOCKS:  # the baseline's locks pin the baseline's patients
            raw[table.sheet] = RawTable(list(table.names))
            continue
        if table not in PATIENT_SHEETS:
            raw[table.sheet] = _baseline_table(baseline, table.sheet)
            continue
        found, missing = raw_sheet(path, table.sheet, required=table is PATIENTS)
        problems += missing
        # A file without commitments or family times lists patients without them.
        raw[table.sheet] = found if found is not None else RawTable(list(table.names))
    if problems:
        return (), _in_file(path, problems)
    listed, _, found_problems = rows_to_clinic(raw)
    if found_problems or listed is None:
        return (), _in_file(path, found_problems)
    if not listed.patients:
        return (), _in_file(
            path,
            [LocatedProblem("Patients", None, None, "has no rows", "list the new patients")],
        )
    try:
        # The new patients beside the baseline's: an ID taken twice is refused here.
        replace(baseline, patients=baseline.patients + listed.patients)
    except ClinicError as err:
        return (), _in_file(
            path,
            [
                LocatedProblem("Patients", None, p.field, f"{p.key}: {p.message}", p.fix)
                for p in err.problems
            ],
        )
    return listed.patients, []


def load_referrals(
    scenarios: Iterable[Scenario], base: Path, baseline: Clinic
) -> tuple[dict[str, tuple[Patient, ...]], list[LocatedProblem]]:
    """Every patients file the scenarios name (relative to the folder ``base``), read
    once, by the name as written; and every problem in them."""
    out: dict[str, tuple[Patient, ...]] = {}
    problems: list[LocatedProblem] = []
    for scenario in scenarios:
        for change in scenario.changes:
            name = change.patients_file
            if name is None or name in out:
                continue
            path = Path(name) if Path(name).is_absolute() else base / name
            if not path.exists():
                problems.append(
                    LocatedProblem(
                        "Scenarios",
                        change.row,
                        "patients_file",
                        f"no such file or folder: {path}",
                        "give a workbook or CSV folder of new patients, relative to the "
                        "scenarios' own file",
                    )
                )
                out[name] = ()
                continue
            out[name], found = read_referrals(path, baseline)
            problems += found
    return out, problems
