"""Row 1 of a sheet: the columns it must have, the ones it has twice, and headers that look
like a misspelled optional column (whose cells would silently become the default)."""

from __future__ import annotations

import difflib

from scheduler.inputs.errors import LocatedProblem
from scheduler.inputs.spec import Table


def header_problems(table: Table, header: list[str]) -> tuple[bool, list[LocatedProblem]]:
    """Whether every required column is there, and every problem with the header row."""
    problems: list[LocatedProblem] = []
    ok = True
    for name in sorted({h for h in header if h and header.count(h) > 1}):
        problems.append(
            LocatedProblem(
                table.sheet, 1, name, "this column appears twice", "keep one column of this name"
            )
        )
    for col in table.columns:
        if col.required and col.name not in header:
            ok = False
            problems.append(
                LocatedProblem(
                    table.sheet,
                    1,
                    col.name,
                    "column is missing",
                    f'add a column headed "{col.name}" in row 1',
                )
            )
    problems += misspelled_columns(table, header)
    return ok, problems


def misspelled_columns(table: Table, header: list[str]) -> list[LocatedProblem]:
    """A header this sheet does not read that looks like one of its optional columns,
    absent from the sheet: the column's values would silently become the default (a
    patient's telehealth consent, a therapist's caseload cap). Other extra columns, a
    coordinator's own notes say, are left alone."""
    absent = [c.name for c in table.columns if not c.required and c.name not in header]
    out = []
    for name in header:
        if not name or name in table.names:
            continue
        match = difflib.get_close_matches(name, absent, n=1, cutoff=0.75)
        if match:
            out.append(
                LocatedProblem(
                    table.sheet,
                    1,
                    name,
                    f'this column is not read; it looks like "{match[0]}", whose cells '
                    "would all be taken as blank",
                    f'rename the header to "{match[0]}"',
                )
            )
    return out
