"""An Excel sheet's cell values in one pass, and where a damaged file went wrong.

Excel stores each formula's last result beside the formula; that result is what is read.
A workbook written by a script (or saved by a program that does not calculate) holds only
the formula, which would read as an empty cell and silently become a default. openpyxl
reads either the results or the formulas of a sheet, not both, so finding those cells
took a second read of every sheet (half the reading time of a large workbook). Here
openpyxl's own sheet parser is extended to note, in the same pass, a formula whose result
is missing.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from typing import Any
from xml.etree.ElementTree import Element

from openpyxl.utils.cell import coordinate_to_tuple
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet._read_only import ReadOnlyWorksheet
from openpyxl.worksheet._reader import FORMULA_TAG, INLINE_STRING, WorkSheetParser
from openpyxl.xml.constants import SHEET_MAIN_NS

# What an encrypted (password-protected) workbook is: an OLE compound file, not a zip,
# holding a stream of this name.
_OLE_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")
_ENCRYPTION_STREAM = "EncryptionInfo".encode("utf-16-le")


@dataclass(frozen=True)
class FormulaWithoutResult:
    """A cell holding a formula whose result was never saved."""

    formula: str


_TEXT = f"{{{SHEET_MAIN_NS}}}t"
_RUN = f"{{{SHEET_MAIN_NS}}}r"


def _inline_text(inline: Element) -> str:
    """An inline string's text: its plain part and its formatted runs, without phonetic
    hints; what openpyxl's ``Text.content`` gives, without building a rich-text object
    per cell (half the reading time of a workbook of inline strings, as ours are)."""
    parts = [inline.findtext(_TEXT) or ""]
    parts += [run.findtext(_TEXT) or "" for run in inline.iterfind(_RUN)]
    return "".join(parts)


class _CellParser(WorkSheetParser):
    """openpyxl's parser of a sheet's XML (reading saved results), which also marks the
    formula cells that have no saved result."""

    def parse_cell(self, element: Element) -> dict[str, Any]:
        cell: dict[str, Any]
        if element.get("t") == "inlineStr":
            cell = self._inline_cell(element)
        else:
            cell = super().parse_cell(element)
        if cell["value"] is None:
            formula = element.find(FORMULA_TAG)
            if formula is not None:
                cell["value"] = FormulaWithoutResult("=" + (formula.text or ""))
        return cell

    def _inline_cell(self, element: Element) -> dict[str, Any]:
        # The position bookkeeping of WorkSheetParser.parse_cell, for a cell without "r".
        coordinate = element.get("r")
        if coordinate:
            row, column = coordinate_to_tuple(coordinate)
            self.col_counter = column
        else:
            self.col_counter += 1
            row, column = self.row_counter, self.col_counter
        inline = element.find(INLINE_STRING)
        value = None if inline is None else _inline_text(inline)
        return {"row": row, "column": column, "value": value}


def sheet_rows(book: Workbook, sheet: ReadOnlyWorksheet) -> list[tuple[object, ...]]:
    """The sheet's rows of cell values, row ``n`` at index ``n - 1`` (missing rows empty).

    Reads what is stored, not the size the file claims (some writers store a wrong one).
    """
    # Private openpyxl parts, the ones its own read-only sheets use: the stubs omit them.
    # (``book.shared_strings`` is the list for writing, empty in a workbook being read.)
    source = sheet._get_source()  # type: ignore[attr-defined]
    parser = _CellParser(
        source,
        sheet._shared_strings,  # type: ignore[attr-defined]
        data_only=True,
        epoch=book.epoch,
        date_formats=book._date_formats,  # type: ignore[attr-defined]
        timedelta_formats=book._timedelta_formats,  # type: ignore[attr-defined]
    )
    rows: list[tuple[object, ...]] = []
    with source:
        for number, cells in parser.parse():
            rows.extend(() for _ in range(len(rows), number - 1))
            width = max((c["column"] for c in cells), default=0)
            values: list[object] = [None] * width
            for c in cells:
                values[c["column"] - 1] = c["value"]
            rows.append(tuple(values))
    return rows


def is_encrypted(data: bytes) -> bool:
    """Whether the file is a password-protected workbook."""
    return data.startswith(_OLE_MAGIC) and _ENCRYPTION_STREAM in data


def is_ole(data: bytes) -> bool:
    """Whether the file is an OLE compound file: an old ``.xls`` workbook (or encrypted)."""
    return data.startswith(_OLE_MAGIC)


_CELL_REF = re.compile(rb'<(?:\w+:)?c\b[^>]*?\br="([A-Z]+)(\d+)"')


def cell_at(xml: bytes, line: int, column: int) -> tuple[int, str] | None:
    """The cell (row, column letters) whose XML holds the given position (1-based line,
    0-based column, as an XML parser reports an error), or ``None`` before the first."""
    lines = xml.split(b"\n")
    offset = sum(len(x) + 1 for x in lines[: line - 1]) + column
    last = None
    for match in _CELL_REF.finditer(xml, 0, offset + 1):
        last = match
    if last is None:
        return None
    return int(last.group(2)), last.group(1).decode()


_SHEET = re.compile(rb'<(?:\w+:)?sheet\b[^>]*?\bname="([^"]*)"[^>]*?\br:id="([^"]*)"')
_REL = re.compile(rb'<Relationship\b[^>]*?\bId="([^"]*)"[^>]*?\bTarget="([^"]*)"')
_REL_REVERSED = re.compile(rb'<Relationship\b[^>]*?\bTarget="([^"]*)"[^>]*?\bId="([^"]*)"')


def _sheet_parts(archive: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name → its XML part, read from the package without openpyxl."""
    rels_xml = archive.read("xl/_rels/workbook.xml.rels")
    targets = {rid: target for rid, target in _REL.findall(rels_xml)}
    targets |= {rid: target for target, rid in _REL_REVERSED.findall(rels_xml)}
    parts = {}
    for name, rid in _SHEET.findall(archive.read("xl/workbook.xml")):
        target = targets.get(rid, b"").decode()
        parts[name.decode()] = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
    return parts


def shared_string_cells(
    archive: zipfile.ZipFile, line: int, column: int
) -> list[tuple[str, int, str]]:
    """The cells (sheet, row, column letters) showing the shared text whose XML holds the
    given position of ``xl/sharedStrings.xml``: where a broken shared text is seen."""
    strings = archive.read("xl/sharedStrings.xml")
    lines = strings.split(b"\n")
    offset = sum(len(x) + 1 for x in lines[: line - 1]) + column
    index = len(re.findall(rb"<(?:\w+:)?si\b", strings[: offset + 1])) - 1
    if index < 0:
        return []
    value = re.compile(
        rb'<(?:\w+:)?c\b(?=[^>]*\bt="s")[^>]*?\br="([A-Z]+)(\d+)"[^>]*>\s*<(?:\w+:)?v>'
        + str(index).encode()
        + rb"</"
    )
    found = []
    for sheet, part in _sheet_parts(archive).items():
        try:
            xml = archive.read(part)
        except KeyError:
            continue
        found += [(sheet, int(row), col.decode()) for col, row in value.findall(xml)]
    return found
