"""The clinic workbook: Excel or a folder of CSV files in, workbook, CSV folder or template out.

Layout (``scheduler/inputs/spec.py`` holds it in one place): one sheet per table, long
format, the header in row 1, IDs as text. Several values in one cell are separated by ``;``,
times are ``HH:MM`` (``24:00`` allowed as an end), dates ``YYYY-MM-DD``, yes/no flags
accept yes/no/true/false/y/n/1/0, weekdays Mon … Sun. A CSV folder holds one file per sheet
(``Sites.csv`` …) with the same columns.

Every problem in the input is collected before anything is refused: :func:`read_clinic`
raises :class:`InputError` listing each :class:`LocatedProblem` (sheet, row, column, what is
wrong, how to fix it).

The template (:func:`write_template`) reads back as an empty but valid clinic: the Clinic
sheet holds the default settings (with the placeholder week_start 2026-01-05, a Monday the
coordinator changes) and the Sites sheet one site ``MAIN``, because a clinic needs a site.
Example values for every column are in the Instructions sheet and in a comment on each
header cell, never in data rows.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import tempfile
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path
from xml.etree.ElementTree import ParseError

from openpyxl import Workbook, load_workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font
from openpyxl.utils import column_index_from_string, get_column_letter
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.worksheet._read_only import ReadOnlyWorksheet
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.xml.functions import iterparse

from scheduler.domain import Clinic
from scheduler.inputs.cells import strip_control
from scheduler.inputs.errors import InputError, LocatedProblem
from scheduler.inputs.parse import rows_to_clinic
from scheduler.inputs.rows import Locator, RawTable, clinic_rows
from scheduler.inputs.spec import CLINIC_SETTINGS, TABLES, TEMPLATE_VERSION, Table
from scheduler.inputs.xlsx import (
    FormulaWithoutResult,
    cell_at,
    is_encrypted,
    is_ole,
    shared_string_cells,
    sheet_rows,
)

__all__ = [
    "TEMPLATE_VERSION",
    "InputError",
    "LocatedProblem",
    "input_hash",
    "read_clinic",
    "read_clinic_located",
    "write_csv_folder",
    "write_template",
    "write_workbook",
]

Rows = dict[str, list[dict[str, str]]]
#: Sheets of other parts of the tool written beside the clinic's (the what-if Scenarios
#: sheet): each table's layout and its rows. The clinic readers pass over them.
Extra = Sequence[tuple[Table, list[dict[str, str]]]]

INSTRUCTIONS = "Instructions"
MAX_WIDTH = 50


# --------------------------------------------------------------------------------------
# Reading.


def _normalise(header: object) -> str:
    return str(header or "").strip().lower().replace(" ", "_")


def _raw_table(rows: list[tuple[object, ...]]) -> RawTable:
    """Header in row 1; blank rows are skipped but keep their numbering."""
    header = [_normalise(h) for h in rows[0]] if rows else []
    table = RawTable(header)
    for number, values in enumerate(rows[1:], start=2):
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
            continue
        cells: dict[str, object] = {}
        for name, value in zip(header, values, strict=False):
            if name and name not in cells:
                cells[name] = value
        table.rows.append((number, cells))
    return table


def _missing_sheet(table: Table, what: str) -> LocatedProblem:
    return LocatedProblem(
        table.sheet,
        None,
        None,
        f"{what} is missing",
        f"add it with the header row {', '.join(table.names)} (a fresh template has it)",
    )


def _unreadable(path: Path, message: str, fix: str) -> list[LocatedProblem]:
    return [LocatedProblem(path.name, None, None, message, fix)]


def _not_a_workbook(path: Path) -> list[LocatedProblem]:
    """Why the file is not a readable ``.xlsx`` workbook, as far as its first bytes say."""
    try:
        with path.open("rb") as handle:
            head = handle.read(8)
            if is_ole(head):
                # The stream names may sit anywhere in the file, often after the data.
                head += handle.read()
    except OSError as err:
        return _unreadable(
            path, f"cannot be opened ({err.strerror or err})", "check the file and try again"
        )
    if is_encrypted(head):
        return _unreadable(
            path,
            "is protected with a password, so it cannot be read",
            "open it in Excel, remove the password (File > Info > Protect Workbook > "
            "Encrypt with Password, clear the box), save, and try again",
        )
    if is_ole(head):
        return _unreadable(
            path,
            "is an old Excel 97-2003 (.xls) workbook",
            "open it in Excel and save it as an Excel Workbook (.xlsx)",
        )
    return _unreadable(
        path,
        "is not an Excel workbook that can be read",
        "save it from Excel as an .xlsx workbook and try again",
    )


def _damaged_sheet(sheet: ReadOnlyWorksheet, table: Table, err: Exception) -> LocatedProblem:
    """A sheet whose XML cannot be parsed, located to the cell where parsing stopped (a
    raw control character, which Excel itself never writes, is the usual cause)."""
    fix = (
        "retype this cell's text in Excel (it holds an invisible control character) and "
        "save the workbook again"
    )
    position = getattr(err, "position", None)
    if isinstance(err, ParseError) and position is not None:
        with sheet._get_source() as source:  # type: ignore[attr-defined]
            found = cell_at(source.read(), *position)
        if found is not None:
            row, letters = found
            header = _header_of(sheet)
            index = column_index_from_string(letters) - 1
            column = header[index] if index < len(header) and header[index] else letters
            return LocatedProblem(table.sheet, row, column, "cannot be read", fix)
    return LocatedProblem(
        table.sheet,
        None,
        None,
        f"cannot be read (the file is damaged: {err})",
        "open the workbook in Excel, save it again and try again",
    )


def _broken_shared_text(path: Path, err: ParseError) -> list[LocatedProblem]:
    """A shared text (one stored once, shown in any number of cells) that is not valid
    XML: reported at every table cell that shows it, else for the whole workbook."""
    fix = (
        "retype this cell's text in Excel (it holds an invisible control character) and "
        "save the workbook again"
    )
    cells: list[tuple[str, int, str]] = []
    position = getattr(err, "position", None)
    if position is not None:
        try:
            with zipfile.ZipFile(path) as archive:
                cells = shared_string_cells(archive, *position)
        except (zipfile.BadZipFile, KeyError, OSError, ValueError):
            cells = []
    sheets = {table.sheet.lower(): table.sheet for table in TABLES}
    located = [
        LocatedProblem(sheets[sheet.strip().lower()], row, column, "cannot be read", fix)
        for sheet, row, column in cells
        if sheet.strip().lower() in sheets
    ]
    return located or _unreadable(
        path,
        f"cannot be read: a text in it holds a control character ({err})",
        "find the text with an invisible character, retype it in Excel, save and try again",
    )


def _header_of(sheet: ReadOnlyWorksheet) -> list[str]:
    """Row 1 of a sheet whose later rows may be unreadable."""
    shared = sheet._shared_strings  # type: ignore[attr-defined]
    header: list[str] = []
    source = sheet._get_source()  # type: ignore[attr-defined]
    with source:
        try:
            for _, element in iterparse(source, events=("end",)):
                if not element.tag.endswith("}row"):
                    continue
                for cell in element:
                    column = column_index_from_string(_letters(cell.get("r", "")) or "A")
                    value = cell.findtext("{*}v")
                    if cell.get("t") == "s" and value is not None:
                        text = str(shared[int(value)])
                    elif cell.get("t") == "inlineStr":
                        text = "".join(t.text or "" for t in cell.iterfind(".//{*}t"))
                    else:
                        text = value or ""
                    header += [""] * (column - len(header))
                    header[column - 1] = _normalise(text)
                return header
        except (ParseError, ValueError, IndexError):
            pass
    return header


def _letters(reference: str) -> str:
    return "".join(ch for ch in reference if ch.isalpha())


def _formula_problems(table: str, rows: list[tuple[object, ...]]) -> list[LocatedProblem]:
    """Each formula cell without a saved result, reported where it is; the cell then
    reads as empty (and is not reported again as such)."""
    header = [_normalise(h) for h in rows[0]] if rows else []
    problems = []
    for r, values in enumerate(rows, start=1):
        for c, value in enumerate(values):
            if not isinstance(value, FormulaWithoutResult):
                continue
            column = header[c] if c < len(header) and header[c] else None
            problems.append(
                LocatedProblem(
                    table,
                    r,
                    column or get_column_letter(c + 1),
                    f"holds the formula {value.formula[:60]} with no saved result",
                    "type the value itself, or open the workbook in Excel and save it so "
                    "the formula's result is stored",
                )
            )
    return problems


def _without_formulas(rows: list[tuple[object, ...]]) -> list[tuple[object, ...]]:
    return [
        tuple(None if isinstance(v, FormulaWithoutResult) else v for v in values)
        if any(isinstance(v, FormulaWithoutResult) for v in values)
        else values
        for values in rows
    ]


def _read_xlsx(path: Path) -> tuple[dict[str, RawTable], list[LocatedProblem]]:
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError):
        return {}, _not_a_workbook(path)
    except ParseError as err:
        # The workbook's shared texts are read before any sheet.
        return {}, _broken_shared_text(path, err)
    try:
        by_name = {name.strip().lower(): name for name in book.sheetnames}
        raw: dict[str, RawTable] = {}
        problems = []
        for table in TABLES:
            name = by_name.get(table.sheet.lower())
            if name is None and table.optional:
                continue
            if name is None:
                problems.append(_missing_sheet(table, f'the sheet "{table.sheet}"'))
                continue
            sheet = book[name]
            if not isinstance(sheet, ReadOnlyWorksheet):  # a chart sheet of that name
                problems.append(_missing_sheet(table, f'the table sheet "{table.sheet}"'))
                continue
            try:
                rows = sheet_rows(book, sheet)
            except (ParseError, ValueError, KeyError, IndexError) as err:
                problems.append(_damaged_sheet(sheet, table, err))
                continue
            problems += _formula_problems(table.sheet, rows)
            raw[table.sheet] = _raw_table(_without_formulas(rows))
    finally:
        book.close()
    return raw, problems


def _read_csv_folder(folder: Path) -> tuple[dict[str, RawTable], list[LocatedProblem]]:
    files = {p.name.lower(): p for p in folder.iterdir() if p.is_file()}
    raw: dict[str, RawTable] = {}
    problems = []
    for table in TABLES:
        name = f"{table.sheet}.csv"
        path = files.get(name.lower())
        if path is None and table.optional:
            continue
        if path is None:
            problems.append(_missing_sheet(table, f"the file {name}"))
            continue
        try:
            text = path.read_text(encoding="utf-8-sig")
            rows = [tuple[object, ...](r) for r in csv.reader(io.StringIO(text, newline=""))]
        except (UnicodeDecodeError, csv.Error, OSError) as err:
            problems.append(
                LocatedProblem(
                    table.sheet,
                    None,
                    None,
                    f"{name} cannot be read ({err.__class__.__name__})",
                    "save it as CSV UTF-8 (comma-delimited)",
                )
            )
            continue
        raw[table.sheet] = _raw_table(rows)
    return raw, problems


def read_clinic_located(path: Path) -> tuple[Clinic | None, Locator, list[LocatedProblem]]:
    """The clinic (or ``None``), the row index for locating later problems, and every
    problem found. Never raises for bad input."""
    path = Path(path)
    if path.is_dir():
        raw, problems = _read_csv_folder(path)
    elif not path.exists():
        return (
            None,
            Locator(),
            [
                LocatedProblem(
                    path.name,
                    None,
                    None,
                    f"no such file or folder: {path}",
                    "check the path to the clinic workbook or CSV folder",
                )
            ],
        )
    elif path.suffix.lower() == ".csv":
        return (
            None,
            Locator(),
            [
                LocatedProblem(
                    path.name,
                    None,
                    None,
                    "is a single CSV file",
                    "give the folder that holds all the CSV files (Clinic.csv, Sites.csv …)",
                )
            ],
        )
    else:
        raw, problems = _read_xlsx(path)
        if not raw and problems:
            return None, Locator(), problems
    clinic, locator, found = rows_to_clinic(raw)
    # A cell already reported (a formula without its result) is not reported again as
    # the empty cell it reads as.
    seen = {(p.sheet, p.row, p.column) for p in problems if p.row is not None}
    problems = problems + [p for p in found if (p.sheet, p.row, p.column) not in seen]
    return (None if problems else clinic), locator, problems


def read_clinic(path: Path) -> Clinic:
    """Read a ``.xlsx`` workbook or a folder of CSV files; raise :class:`InputError`
    listing every problem."""
    clinic, _, problems = read_clinic_located(path)
    if problems or clinic is None:
        raise InputError(problems)
    return clinic


def input_hash(path: Path) -> str:
    """sha256 of the workbook's bytes, or of a CSV folder's sorted file names and bytes."""
    path = Path(path)
    digest = hashlib.sha256()
    if path.is_dir():
        for file in sorted(p for p in path.iterdir() if p.suffix.lower() == ".csv"):
            data = file.read_bytes()
            digest.update(f"{file.name}\0{len(data)}\0".encode())
            digest.update(data)
    else:
        digest.update(path.read_bytes())
    return digest.hexdigest()


# --------------------------------------------------------------------------------------
# Writing.


def _write_private(path: Path, write: Callable[[io.BufferedWriter], None]) -> None:
    """Write through a temporary file readable by the owner only, then move it in place:
    the workbook holds patient records (DESIGN.md §6) and a crash leaves no half file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _put(sheet: Worksheet, row: int, column: int, text: str) -> None:
    """A text cell that stays text: openpyxl would store ``=…`` as a live formula."""
    cell = sheet.cell(row=row, column=column)
    cell.value = strip_control(text)
    cell.data_type = "s"


def _dropdown(sheet: Worksheet, column: int, choices: tuple[str, ...], strict: bool) -> None:
    letter = get_column_letter(column)
    validation = DataValidation(
        type="list",
        formula1='"' + ",".join(choices) + '"',
        allow_blank=True,
        showErrorMessage=strict,
        errorTitle="Not one of the choices",
        error="Pick a value from the list.",
    )
    validation.add(f"{letter}2:{letter}1048576")
    sheet.add_data_validation(validation)


def _table_sheet(book: Workbook, table: Table, rows: list[dict[str, str]]) -> None:
    sheet = book.create_sheet(table.sheet)
    widths = [len(name) for name in table.names]
    for c, col in enumerate(table.columns, start=1):
        _put(sheet, 1, c, col.name)
        head = sheet.cell(row=1, column=c)
        head.font = Font(bold=True)
        note = col.help or col.name
        if col.choices:
            note += "\nChoices: " + ", ".join(col.choices)
        if col.example:
            note += f"\nExample: {col.example}"
        head.comment = Comment(note, "iop-scheduler")
        # Text format: a typed 007 stays "007", a typed 09:00 stays "09:00".
        sheet.column_dimensions[get_column_letter(c)].number_format = "@"
        if col.choices:
            _dropdown(sheet, c, col.choices, strict=not col.multi)
    for r, values in enumerate(rows, start=2):
        for c, name in enumerate(table.names, start=1):
            text = values.get(name, "")
            _put(sheet, r, c, text)
            sheet.cell(row=r, column=c).number_format = "@"
            widths[c - 1] = max(widths[c - 1], len(text))
    for c, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(c)].width = min(width + 2, MAX_WIDTH)
    sheet.freeze_panes = "A2"


def _instructions(book: Workbook) -> None:
    sheet = book.create_sheet(INSTRUCTIONS, 0)
    lines: list[list[str]] = [
        ["Clinic workbook for the scheduler"],
        [f"Template version {TEMPLATE_VERSION}. One sheet per table; the header is row 1."],
        [
            "Fill one row per record. IDs are short text (at most 64 characters, no ; or ,; "
            "T01 and t01 count as the same ID). Several values in one "
            "cell are separated by ; (for example LCSW;LPC)."
        ],
        [
            "Times are HH:MM on a 24-hour clock (24:00 allowed as an end); dates YYYY-MM-DD; "
            "weekdays Mon, Tue, Wed, Thu, Fri, Sat, Sun; flags yes or no."
        ],
        [
            "Example values are below and in the comment on each column header; never type "
            "them into the sheets unless they are real."
        ],
        [
            "Change the Clinic sheet's week_start (the placeholder 2026-01-05) to the Monday "
            "you plan, and the name. Keep template_version as it is."
        ],
        [
            "Check the workbook with:  iop-scheduler validate my_clinic.xlsx  — every problem "
            "is listed with its sheet, row and column."
        ],
        [],
        ["Sheet", "Column", "Required", "Choices", "Example", "Notes"],
    ]
    for table in TABLES:
        lines.append([table.sheet, "", "", "", "", table.help])
        columns = CLINIC_SETTINGS if table.sheet == "Clinic" else table.columns
        for col in columns:
            lines.append(
                [
                    "",
                    col.name,
                    "yes" if col.required else "no",
                    ", ".join(col.choices),
                    col.example,
                    col.help,
                ]
            )
    for r, line in enumerate(lines, start=1):
        for c, text in enumerate(line, start=1):
            _put(sheet, r, c, text)
            sheet.cell(row=r, column=c).alignment = Alignment(wrap_text=c == 6 or r < 8)
    sheet.cell(row=1, column=1).font = Font(bold=True, size=14)
    for c in range(1, 7):
        sheet.cell(row=9, column=c).font = Font(bold=True)
    for letter, width in zip("ABCDEF", (22, 26, 10, 40, 20, 60), strict=True):
        sheet.column_dimensions[letter].width = width


def _save_xlsx(rows: Rows, path: Path, extra: Extra = ()) -> None:
    book = Workbook()
    if book.active is not None:
        book.remove(book.active)
    _instructions(book)
    for table in TABLES:
        _table_sheet(book, table, rows[table.sheet])
    for table, extra_rows in extra:
        _table_sheet(book, table, extra_rows)
    _write_private(Path(path), book.save)


def write_workbook(clinic: Clinic, path: Path, extra: Extra = ()) -> None:
    """Write the clinic as a workbook that :func:`read_clinic` reads back equal, and the
    ``extra`` sheets after its own."""
    _save_xlsx(clinic_rows(clinic), Path(path), extra)


def _bytes_writer(text: str) -> Callable[[io.BufferedWriter], None]:
    data = text.encode("utf-8")

    def write(handle: io.BufferedWriter) -> None:
        handle.write(data)

    return write


def write_csv_folder(clinic: Clinic, folder: Path, extra: Extra = ()) -> None:
    """Write one CSV file per sheet into ``folder`` (created if needed), the ``extra``
    tables too.

    CSV cells are plain data: a value starting with ``=`` is written as it is, because the
    folder is for version control and scripts and must read back unchanged.
    """
    folder = Path(folder)
    rows = clinic_rows(clinic)
    tables = [(table, rows[table.sheet]) for table in TABLES] + list(extra)
    for table, table_rows in tables:
        buffer = io.StringIO(newline="")
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(table.names)
        for values in table_rows:
            writer.writerow([strip_control(values.get(n, "")) for n in table.names])
        _write_private(folder / f"{table.sheet}.csv", _bytes_writer(buffer.getvalue()))


def template_rows() -> Rows:
    """The template's rows: default settings and the one site a clinic needs."""
    rows: Rows = {table.sheet: [] for table in TABLES}
    rows["Clinic"] = [{"setting": c.name, "value": c.example} for c in CLINIC_SETTINGS]
    rows["Sites"] = [{"site_id": "MAIN", "name": "Main site"}]
    return rows


def write_template(path: Path, extra: Extra = ()) -> None:
    """A blank workbook with instructions, headers, dropdowns and default settings, and
    the ``extra`` sheets (blank or not) after the clinic's."""
    _save_xlsx(template_rows(), Path(path), extra)
