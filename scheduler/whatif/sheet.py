"""The Scenarios sheet: its layout in one place, read into :class:`Scenario` records with
every problem located by sheet, row and column, and its rows written back out.

Where the scenarios live: a ``Scenarios`` sheet in the clinic workbook, a
``Scenarios.csv`` file beside the other CSV files of a clinic folder, or any workbook or
CSV file given with ``--scenarios`` (which then replaces the input's own). The clinic
readers (:mod:`scheduler.inputs`) read only their own sheets, so ``solve`` and
``validate`` pass over this one.

Each row is one change; the rows sharing a ``scenario`` name form one scenario, applied in
row order. Which columns each change reads is in
:data:`scheduler.whatif.changes.COLUMNS_BY_KIND`.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import ParseError

from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.worksheet._read_only import ReadOnlyWorksheet

from scheduler.domain import BlockKind, Weekday
from scheduler.inputs.cells import (
    CellError,
    cell_text,
    enum_parser,
    excel_error,
    fmt_number,
    fmt_set,
    fmt_time,
    fmt_weekday,
    parse_float,
    parse_id,
    parse_int,
    parse_set,
    parse_text,
    parse_time,
    parse_weekday,
    split_list,
)
from scheduler.inputs.errors import LocatedProblem
from scheduler.inputs.headers import header_problems
from scheduler.inputs.rows import RawTable
from scheduler.inputs.spec import WEEKDAY_CHOICES, Column, Table
from scheduler.inputs.xlsx import FormulaWithoutResult, sheet_rows
from scheduler.whatif.changes import COLUMNS_BY_KIND, Change, ChangeKind, Scenario

SHEET = "Scenarios"
CSV_NAME = f"{SHEET}.csv"
#: The name of the unchanged clinic in every result; no scenario may take it.
BASELINE = "baseline"


def _weekdays(text: str) -> tuple[Weekday, ...]:
    days = [parse_weekday(part) for part in split_list(text)]
    if len(set(days)) != len(days):
        raise CellError(f'"{text}" names a day twice', "name each weekday once")
    return tuple(sorted(days))


def _count(text: str) -> int:
    number = parse_int(text)
    if number < 0:
        raise CellError(f'"{text}" is below 0', "write a whole number of 0 or more")
    return number


def _positive(text: str) -> int:
    number = parse_int(text)
    if number < 1:
        raise CellError(f'"{text}" is below 1', "write a whole number of 1 or more")
    return number


def _hours(text: str) -> float:
    number = parse_float(text)
    if not 0 < number <= 168:
        raise CellError(f'"{text}" is not a week\'s hours', "write hours above 0, at most 168")
    return number


def _name(text: str) -> str:
    if text.casefold() == BASELINE:
        raise CellError(
            f'"{text}" is the name of the unchanged clinic',
            "give the scenario another name",
        )
    return text


def _optional(name: str, parse: Callable[[str], Any], **kw: Any) -> Column:
    return Column(name, parse, required=False, **kw)


SCENARIOS = Table(
    SHEET,
    "What-if scenarios: one change per row; the rows sharing a scenario name form one "
    "scenario, applied to the clinic in row order.",
    (
        Column("scenario", _name, example="One more evening therapist", help="the scenario's name"),
        Column(
            "change",
            enum_parser(ChangeKind),
            choices=tuple(k.value for k in ChangeKind),
            example="add_therapist",
            help="what this row changes",
        ),
        _optional(
            "target",
            parse_id,
            example="T02",
            help="the therapist, room, block or session type changed or copied; for "
            "open_block, the site (blank: the clinic's only site)",
        ),
        _optional(
            "new_id", parse_id, example="T09", help="the ID of an added therapist, room or block"
        ),
        _optional(
            "name",
            parse_text,
            example="Evening counselor",
            help="an added therapist's or room's name",
        ),
        _optional(
            "weekday",
            _weekdays,
            choices=WEEKDAY_CHOICES,
            multi=True,
            example="Mon;Tue;Wed",
            help="the day(s) of a new block, or when an added or changed therapist works",
        ),
        _optional("start", parse_time, example="17:00", help="HH:MM, 24-hour", cell="time"),
        _optional(
            "end", parse_time, example="21:00", help="HH:MM, 24-hour; 24:00 allowed", cell="time"
        ),
        _optional(
            "block_kind",
            enum_parser(BlockKind),
            choices=tuple(k.value for k in BlockKind),
            example="group",
            help="a new block's kind (blank: group)",
        ),
        _optional("hours", _hours, example="20", help="a therapist's weekly hours"),
        _optional(
            "credentials", parse_set, example="LCSW", help="an added therapist's credentials"
        ),
        _optional("capacity", _positive, example="12", help="an added room's seats"),
        _optional("min_size", _positive, example="3", help="a session type's smallest group"),
        _optional("max_size", _positive, example="14", help="a session type's largest group"),
        _optional("target_size", _positive, example="8", help="a session type's target size"),
        _optional("count", _count, example="10", help="admissions added each week"),
        _optional(
            "seed", parse_int, example="1", help="draws the added admissions (blank: --seed)"
        ),
        _optional(
            "patients_file",
            parse_text,
            example="referrals.xlsx",
            help="new patients to admit: a workbook or CSV folder with a Patients sheet, "
            "relative to the scenarios' file",
        ),
    ),
)

_FIELD = {"weekday": "weekdays"}  # a column whose Change field has another name


# --------------------------------------------------------------------------------------
# Reading.


def _raw_rows(
    rows: list[tuple[object, ...]],
) -> tuple[list[str], list[tuple[int, dict[str, object]]]]:
    """The header (normalised like the clinic sheets) and each non-blank row by number."""
    header = [str(h or "").strip().lower().replace(" ", "_") for h in (rows[0] if rows else ())]
    out = []
    for number, values in enumerate(rows[1:], start=2):
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
            continue
        cells: dict[str, object] = {}
        for name, value in zip(header, values, strict=False):
            if name and name not in cells:
                cells[name] = value
        out.append((number, cells))
    return header, out


def _unreadable(where: str, message: str, fix: str) -> list[LocatedProblem]:
    return [LocatedProblem(where, None, None, message, fix)]


def _workbook_rows(
    path: Path, sheet_name: str = SHEET
) -> tuple[list[tuple[object, ...]] | None, list[LocatedProblem]]:
    """A sheet's rows, or None when the workbook has no sheet of that name."""
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError, ParseError):
        return None, _unreadable(
            path.name, "cannot be read as an Excel workbook", "save it as .xlsx and try again"
        )
    try:
        by_name = {name.strip().lower(): name for name in book.sheetnames}
        name = by_name.get(sheet_name.lower())
        if name is None:
            return None, []
        sheet = book[name]
        if not isinstance(sheet, ReadOnlyWorksheet):
            return None, _unreadable(sheet_name, "is a chart, not a table", "make it a table sheet")
        try:
            return sheet_rows(book, sheet), []
        except (ParseError, ValueError, KeyError, IndexError):
            return None, _unreadable(
                sheet_name, "is damaged and cannot be read", "copy its cells into a fresh sheet"
            )
    finally:
        book.close()


def _csv_rows(path: Path) -> tuple[list[tuple[object, ...]] | None, list[LocatedProblem]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
        return [tuple[object, ...](r) for r in csv.reader(io.StringIO(text, newline=""))], []
    except (UnicodeDecodeError, csv.Error, OSError) as err:
        return None, _unreadable(
            SHEET,
            f"{path.name} cannot be read ({err.__class__.__name__})",
            "save it as CSV UTF-8 (comma-delimited)",
        )


def _source_rows(path: Path) -> tuple[list[tuple[object, ...]] | None, list[LocatedProblem]]:
    """Rows of the scenarios at ``path``: a workbook's Scenarios sheet, a clinic folder's
    Scenarios.csv, or a CSV file of that layout. None when there are none."""
    if path.is_dir():
        files = {p.name.lower(): p for p in path.iterdir() if p.is_file()}
        found = files.get(CSV_NAME.lower())
        return _csv_rows(found) if found is not None else (None, [])
    if not path.exists():
        return None, _unreadable(
            path.name, f"no such file or folder: {path}", "check the path to the scenarios"
        )
    if path.suffix.lower() == ".csv":
        return _csv_rows(path)
    return _workbook_rows(path)


def raw_sheet(
    path: Path, sheet_name: str, *, required: bool
) -> tuple[RawTable | None, list[LocatedProblem]]:
    """One sheet of the clinic layout from a workbook or a CSV folder, as the clinic reader
    takes it; None (and a problem when ``required``) when it is not there."""
    if path.is_dir():
        files = {p.name.lower(): p for p in path.iterdir() if p.is_file()}
        found = files.get(f"{sheet_name}.csv".lower())
        rows, problems = _csv_rows(found) if found is not None else (None, [])
    else:
        rows, problems = _workbook_rows(path, sheet_name)
    if problems:
        return None, problems
    if rows is None:
        missing = [
            LocatedProblem(
                sheet_name, None, None, "is missing", "add it, headed as in a fresh template"
            )
        ]
        return None, missing if required else []
    header, records = _raw_rows(rows)
    return RawTable(header, records), []


def _cell_value(column: Column, row: int, value: object) -> tuple[object, LocatedProblem | None]:
    """The parsed cell (None when blank), or the problem with it."""
    if isinstance(value, FormulaWithoutResult):
        return None, LocatedProblem(
            SHEET,
            row,
            column.name,
            "is a formula without a saved result",
            "open the workbook in Excel and save it, or type the value itself",
        )
    error = excel_error(value)
    if error is not None:
        return None, LocatedProblem(
            SHEET,
            row,
            column.name,
            f"holds the Excel error {error}, not a value",
            "type the value itself, or correct the formula that gives the error",
        )
    text = cell_text(value, column.cell)
    if not text:
        return None, None
    try:
        return column.parse(text), None
    except CellError as err:
        return None, LocatedProblem(SHEET, row, column.name, err.message, err.fix)


def _change(
    row: int, cells: dict[str, object]
) -> tuple[str | None, Change | None, list[LocatedProblem]]:
    """One row as (scenario name, change), or the problems with it."""
    values: dict[str, object] = {}
    problems: list[LocatedProblem] = []
    for column in SCENARIOS.columns:
        value, problem = _cell_value(column, row, cells.get(column.name))
        if problem is not None:
            problems.append(problem)
        elif value is not None:
            values[column.name] = value
        elif column.required:
            problems.append(
                LocatedProblem(
                    SHEET,
                    row,
                    column.name,
                    "is empty",
                    f"fill it in (for example {column.example})",
                )
            )
    kind = values.get("change")
    if not isinstance(kind, ChangeKind):
        return None, None, problems
    rule = COLUMNS_BY_KIND[kind]
    for name in rule.required:
        if name not in values and not any(p.column == name for p in problems):
            column = SCENARIOS.column(name)
            problems.append(
                LocatedProblem(
                    SHEET,
                    row,
                    name,
                    f"is empty, and {kind} needs it",
                    f"fill it in (for example {column.example})",
                )
            )
    used = {"scenario", "change", *rule.required, *rule.optional}
    for name in values:
        if name not in used:
            problems.append(
                LocatedProblem(
                    SHEET,
                    row,
                    name,
                    f"is not read by {kind}",
                    f"clear this cell, or put it on a row whose change uses {name}",
                )
            )
    if rule.one_of and not any(n in values for n in rule.one_of):
        problems.append(
            LocatedProblem(
                SHEET,
                row,
                rule.one_of[0],
                f"{kind} changes nothing without one of " + ", ".join(rule.one_of),
                "fill in at least one of them",
            )
        )
    window_given = [n for n in ("weekday", "start", "end") if n in values]
    if window_given and len(window_given) < 3 and "weekday" in rule.optional:
        missing = next(n for n in ("weekday", "start", "end") if n not in values)
        problems.append(
            LocatedProblem(
                SHEET,
                row,
                missing,
                "is empty, but the row gives part of a working time",
                "fill in weekday, start and end together, or clear all three",
            )
        )
    if problems:
        return None, None, problems
    fields = {_FIELD.get(k, k): v for k, v in values.items() if k not in ("scenario", "change")}
    return str(values["scenario"]), Change(row=row, kind=kind, **fields), []  # type: ignore[arg-type]


def parse_scenarios(rows: list[tuple[object, ...]]) -> tuple[list[Scenario], list[LocatedProblem]]:
    """The scenarios in rows of the sheet's layout (header first), in order of first
    appearance, and every problem found in them."""
    header, records = _raw_rows(rows)
    ok, problems = header_problems(SCENARIOS, header)
    if not ok:
        return [], problems
    by_name: dict[str, list[Change]] = {}
    folded: dict[str, str] = {}
    for row, cells in records:
        name, change, found = _change(row, cells)
        problems += found
        if name is None or change is None:
            continue
        first = folded.setdefault(name.casefold(), name)
        if first != name:
            problems.append(
                LocatedProblem(
                    SHEET,
                    row,
                    "scenario",
                    f'"{name}" differs from "{first}" only in case',
                    f'write "{first}" if the row belongs to it, or choose another name',
                )
            )
            continue
        by_name.setdefault(name, []).append(change)
    return [Scenario(name, tuple(changes)) for name, changes in by_name.items()], problems


def read_scenarios(path: Path) -> tuple[list[Scenario], list[LocatedProblem]]:
    """The scenarios at ``path`` (see :func:`_source_rows`) and every problem in them; no
    scenarios is a problem too, since a comparison needs something to compare."""
    rows, problems = _source_rows(Path(path))
    if problems:
        return [], problems
    scenarios, problems = parse_scenarios(rows or [])
    if not scenarios and not problems:
        problems.append(
            LocatedProblem(
                SHEET,
                None,
                None,
                f"no scenarios found in {path}",
                f"add a {SHEET} sheet (or {CSV_NAME} beside the CSV files) with one change "
                "per row, or pass --scenarios FILE",
            )
        )
    return scenarios, problems


# --------------------------------------------------------------------------------------
# Writing.


def _cell(column: str, change: Change) -> str:
    value = getattr(change, _FIELD.get(column, column))
    if value is None or value == ():
        return ""
    if column == "weekday":
        return ";".join(fmt_weekday(d) for d in value)
    if column in ("start", "end"):
        return fmt_time(value)
    if column == "credentials":
        return fmt_set(value)
    if column == "hours":
        return fmt_number(value)
    return str(value)


def scenario_rows(scenarios: Iterable[Scenario]) -> list[dict[str, str]]:
    """The sheet's rows for ``scenarios`` (each change's ``row`` is not written)."""
    out = []
    for scenario in scenarios:
        for change in scenario.changes:
            values = {name: _cell(name, change) for name in SCENARIOS.names[2:]}
            out.append({"scenario": scenario.name, "change": change.kind.value, **values})
    return out
