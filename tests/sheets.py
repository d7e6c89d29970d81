"""Editing a written clinic workbook in place, and where its located problems point.

Shared by the workbook-reading and the planning-check tests: write a clinic, break one
cell or add one row, and compare ``where(problems)`` with the expected (sheet, row, column).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from openpyxl import load_workbook

from scheduler.inputs.errors import LocatedProblem

Where = tuple[str, int | None, str | None]
CellValue = str | float | dt.date | dt.time | None


def set_cell(path: Path, sheet: str, row: int, column: str, value: CellValue) -> None:
    """Edit one cell of a written workbook, found by its header name."""
    book = load_workbook(path)
    ws = book[sheet]
    header = [c.value for c in ws[1]]
    ws.cell(row=row, column=header.index(column) + 1).value = value
    book.save(path)


def add_row(path: Path, sheet: str, values: dict[str, str]) -> None:
    """Append a row to a sheet; columns not named in ``values`` are left blank."""
    book = load_workbook(path)
    ws = book[sheet]
    header = [c.value for c in ws[1]]
    ws.append([values.get(str(h), "") for h in header])
    book.save(path)


def settings_row(path: Path, setting: str) -> int:
    """The row of ``setting`` on the Clinic sheet."""
    ws = load_workbook(path)["Clinic"]
    return next(r for r in range(2, ws.max_row + 1) if ws.cell(r, 1).value == setting)


def where(found: list[LocatedProblem]) -> set[Where]:
    return {(p.sheet, p.row, p.column) for p in found}
