"""Input problems located to a sheet, row and column of the clinic workbook."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LocatedProblem:
    """One problem in the input, where a coordinator can find and fix it.

    ``row`` is the 1-based spreadsheet row (the header is row 1; in a CSV file, the record
    number counting the header as 1) or ``None`` for a whole-sheet problem; ``column`` is
    the header name or ``None``.
    """

    sheet: str
    row: int | None
    column: str | None
    message: str
    fix: str

    def __str__(self) -> str:
        where = self.sheet
        if self.row is not None:
            where += f" row {self.row}"
        if self.column is not None:
            where += f", column {self.column}" if self.row is not None else f" column {self.column}"
        return f"{where}: {self.message} — {self.fix}"


class InputError(ValueError):
    """The input cannot be read as a clinic; ``problems`` lists every problem found."""

    def __init__(self, problems: list[LocatedProblem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems
