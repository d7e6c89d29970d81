"""Which patient ``fit`` places, and against which timetable: every problem located.

A referral is named in one of two ways:

- a row of the input's Patients sheet, by patient ID or by sheet row number (the header is
  row 1), whom the previous schedule does not place;
- a one-patient file: a CSV file with the Patients columns, or a workbook with a Patients
  sheet and, if they have any, PatientCommitments and FamilyAvailability sheets. Its rows
  are read by the input reader itself (``scheduler.inputs``), together with the clinic's own
  rows, so that every cell and reference is checked as ``validate`` would, and each problem
  is reported at its place in that file.

The schedule must be the one published for this clinic: when the input changed since (the
referral was added to it, say), the schedule must still pass the independent checker
against the clinic without the patients it never heard of.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.worksheet._read_only import ReadOnlyWorksheet

from scheduler.check import check_schedule
from scheduler.domain import Clinic, Patient
from scheduler.inputs.errors import LocatedProblem
from scheduler.inputs.parse import rows_to_clinic
from scheduler.inputs.rows import Locator, RawTable, clinic_rows
from scheduler.inputs.spec import TABLE_BY_SHEET
from scheduler.inputs.workbook import _formula_problems, _raw_table, _without_formulas
from scheduler.inputs.xlsx import sheet_rows
from scheduler.schedule import Schedule

#: The sheets a one-patient file may hold.
REFERRAL_SHEETS = ("Patients", "PatientCommitments", "FamilyAvailability")

#: Row numbers of the referral file's rows, shifted past any clinic's so that a problem
#: the reader finds can be told apart from one in the clinic's own rows.
_SHIFT = 1_000_000


class ReferralError(ValueError):
    """A referral or schedule that ``fit`` cannot use; ``problems`` are located."""

    def __init__(self, problems: list[LocatedProblem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


def _problem(where: str, message: str, fix: str, row: int | None = None) -> ReferralError:
    return ReferralError([LocatedProblem(where, row, None, message, fix)])


def in_schedule(schedule: Schedule) -> frozenset[str]:
    """Every patient the schedule names: placed, unplaced or starting later."""
    return (
        schedule.placed_patients
        | {u.patient for u in schedule.unplaced}
        | frozenset(schedule.starting_later)
    )


def named_referral(
    clinic: Clinic,
    schedule: Schedule,
    ref: str,
    locator: Callable[[], Locator] | None = None,
) -> Patient:
    """The patient of the Patients sheet named by ``ref`` (an ID, or a row number when
    ``locator`` gives the rows: it is read only when a row is needed), who must not be
    placed in ``schedule``."""
    patient = clinic.patient_by_id.get(ref.strip())
    row = None
    if patient is None and ref.strip().isdigit() and locator is not None:
        row = int(ref)
        rows = locator().rows
        by_row = {r: key for (sheet, key), r in rows.items() if sheet == "Patients"}
        if row in by_row:
            patient = clinic.patient_by_id.get(by_row[row])
    if patient is None:
        what = f"row {ref}" if ref.strip().isdigit() else f"patient ID {ref!r}"
        raise _problem(
            "Patients",
            f"no {what} on the Patients sheet",
            "give a patient ID from column patient_id, or the row number of a patient's row "
            "(the header is row 1)",
        )
    if patient.id in schedule.placed_patients:
        raise _problem(
            "Patients",
            f"patient {patient.id} is already placed in this schedule",
            "fit looks for a place for a patient the schedule leaves out: name an unplaced "
            "patient or a new referral",
            row=None if locator is None else locator().rows.get(("Patients", patient.id)),
        )
    return patient


def _read_csv(path: Path) -> dict[str, RawTable]:
    try:
        text = path.read_text(encoding="utf-8-sig")
        rows = [tuple[object, ...](r) for r in csv.reader(io.StringIO(text, newline=""))]
    except (UnicodeDecodeError, csv.Error, OSError) as err:
        raise _problem(
            path.name,
            f"cannot be read ({err.__class__.__name__})",
            "save it as CSV UTF-8 (comma-delimited) with the Patients columns",
        ) from err
    return {"Patients": _raw_table(rows)}


def _read_xlsx(path: Path) -> tuple[dict[str, RawTable], list[LocatedProblem]]:
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as err:
        raise _problem(
            path.name,
            "is not a readable Excel workbook",
            "save it as .xlsx, or give a CSV file with the Patients columns",
        ) from err
    try:
        names = {n.strip().lower(): n for n in book.sheetnames}
        raw: dict[str, RawTable] = {}
        problems: list[LocatedProblem] = []
        for sheet in REFERRAL_SHEETS:
            name = names.get(sheet.lower())
            if name is None:
                continue
            ws = book[name]
            if not isinstance(ws, ReadOnlyWorksheet):
                continue
            rows = sheet_rows(book, ws)
            problems += _formula_problems(sheet, rows)
            raw[sheet] = _raw_table(_without_formulas(rows))
    finally:
        book.close()
    if "Patients" not in raw:
        raise _problem(
            path.name, "has no Patients sheet", "put the referral on a sheet named Patients"
        )
    return raw, problems


def file_referral(clinic: Clinic, path: Path) -> Patient:
    """The one new patient of a referral file, read and checked with the clinic's rows."""
    path = Path(path)
    if not path.is_file():
        raise _problem(path.name, f"no such file: {path}", "check the path to the referral file")
    problems: list[LocatedProblem] = []
    if path.suffix.lower() == ".csv":
        raw = _read_csv(path)
    elif path.suffix.lower() in (".xlsx", ".xlsm"):
        raw, problems = _read_xlsx(path)
    else:
        raise _problem(
            path.name,
            "is neither a CSV file nor an Excel workbook",
            "give a .csv file with the Patients columns, or an .xlsx workbook",
        )
    located = [_in_file(path, p) for p in problems]
    rows = raw["Patients"].rows
    if len(rows) != 1:
        located.append(
            LocatedProblem(
                f"{path.name} (Patients)",
                None,
                None,
                f"holds {len(rows)} patients",
                "give exactly one patient row under the header",
            )
        )
    if located:
        raise ReferralError(located)
    merged = _clinic_tables(clinic)
    for sheet, table in raw.items():
        merged[sheet].rows += [(_SHIFT + n, cells) for n, cells in table.rows]
    new_clinic, _, found = rows_to_clinic(merged)
    if found or new_clinic is None:
        raise ReferralError([_in_file(path, p) for p in found])
    known = {p.id for p in clinic.patients}
    (patient,) = [p for p in new_clinic.patients if p.id not in known]
    return patient


def _clinic_tables(clinic: Clinic) -> dict[str, RawTable]:
    out = {}
    for sheet, rows in clinic_rows(clinic).items():
        table = RawTable(list(TABLE_BY_SHEET[sheet].names))
        table.rows = [(n, dict(r)) for n, r in enumerate(rows, start=2)]
        out[sheet] = table
    return out


def _in_file(path: Path, p: LocatedProblem) -> LocatedProblem:
    """A problem of the referral file, named by the file and its sheet; one the reader
    found in the clinic's own rows is the referral's doing too (a clash with it)."""
    if p.row is not None and p.row >= _SHIFT:
        return replace(p, sheet=f"{path.name} ({p.sheet})", row=p.row - _SHIFT)
    if p.sheet.startswith(path.name):
        return p
    return replace(
        p, sheet=f"{path.name} ({p.sheet})", message=f"{p.message} (with the clinic's rows)"
    )


@dataclass(frozen=True)
class Fitted:
    """The clinic to fit against (without patients the schedule never heard of, the
    referral aside) and whether the input changed since the schedule was made."""

    clinic: Clinic
    changed: bool


def schedule_for(
    clinic: Clinic,
    schedule: Schedule,
    referral: Patient,
    *,
    digest: str,
    recorded: str,
    source: str,
) -> Fitted:
    """Check that ``schedule`` (read from ``source``) was made for this clinic: the same
    input hash, or, when the input changed, a schedule that still passes the checker
    against the clinic less the patients it does not name."""
    known = in_schedule(schedule)
    kept = tuple(p for p in clinic.patients if p.id in known or p.id == referral.id)
    base = clinic if len(kept) == len(clinic.patients) else replace(clinic, patients=kept)
    if recorded and recorded == digest:
        return Fitted(base, False)
    # The referral stays out of the check: the schedule has never heard of them.
    without = replace(base, patients=tuple(p for p in base.patients if p.id != referral.id))
    if referral.id in known:
        without = base
    violations = check_schedule(without, schedule)
    if violations:
        shown = "; ".join(f"[{v.rule}] {v.message}" for v in violations[:3])
        more = f" (and {len(violations) - 3} more)" if len(violations) > 3 else ""
        raise _problem(
            source,
            f"was not made from this input: {shown}{more}",
            "give the schedule.json that solve published for this clinic, or solve again",
        )
    return Fitted(base, True)
