"""Publishing with a previous schedule: a Changes sheet in schedule.xlsx and changes.csv,
the same rows in both, written in the one atomic publish, owner-only, never a formula;
without a previous schedule neither exists (and an old changes.csv is withdrawn)."""

from __future__ import annotations

import csv
import io
import stat
from dataclasses import replace
from pathlib import Path

import openpyxl
from test_changes import clinic, gt, plan, swap, valid, week_sessions
from test_exports_samples import FORMULA, NOW

from scheduler.changes import compare
from scheduler.domain import Clinic
from scheduler.exports import CHANGES, WORKBOOK, publish
from scheduler.exports.change_list import HEADER, change_rows, csv_safe
from scheduler.exports.excel import CHANGES_SHEET, SHEETS
from scheduler.report import changes_line
from scheduler.schedule import Schedule


def formula_clinic() -> Clinic:
    """P1 and T2 have names a spreadsheet would run as formulas."""
    c = clinic()
    pats = (replace(c.patients[0], name=FORMULA), *c.patients[1:])
    ther = (c.therapists[0], replace(c.therapists[1], name="@SUM(A1:A9)"))
    return replace(c, patients=pats, therapists=ther)


def before_after(c: Clinic) -> tuple[Schedule, Schedule]:
    before = valid(c, plan(week_sessions()))
    moved = gt("TUE", lineage="GT-MON-EVE-1")
    return before, valid(c, plan(swap(week_sessions(), "W0-MON-EVE-GT-1", moved)))


def read_csv(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"), newline="")))


def test_no_previous_schedule_no_change_report(tmp_path: Path) -> None:
    c = formula_clinic()
    _, after = before_after(c)
    publish(c, after, tmp_path, now=NOW)
    assert not (tmp_path / CHANGES).exists()
    assert openpyxl.load_workbook(tmp_path / WORKBOOK).sheetnames == list(SHEETS)


def test_changes_sheet_and_csv_list_the_same_calls(tmp_path: Path) -> None:
    c = formula_clinic()
    before, after = before_after(c)
    publish(c, after, tmp_path, now=NOW, previous=before)
    wb = openpyxl.load_workbook(tmp_path / WORKBOOK)
    assert wb.sheetnames == [SHEETS[0], CHANGES_SHEET, *SHEETS[1:]]
    sheet = [
        tuple("" if v is None else v for v in r)
        for r in wb[CHANGES_SHEET].iter_rows(values_only=True)
    ]
    report = compare(c, before, after)
    want = [HEADER, *change_rows(c, report)]
    assert sheet == want
    assert len(want) == 1 + 4  # three members and the leader
    moved = dict(zip(HEADER, want[1], strict=True))
    assert moved["Change"] == "moved" and moved["Forced"] == "no"
    assert moved["Old"] == "Mon 2026-12-07 18:00–21:00\nGT-MON-EVE-1 (GT)\nRoom R1\n@SUM(A1:A9)"
    assert moved["New"] == "Tue 2026-12-08 18:00–21:00\nGT-TUE-EVE-1 (GT)\nRoom R1\n@SUM(A1:A9)"
    # The file holds the same rows, each text cell that could run as a formula escaped.
    rows = read_csv(tmp_path / CHANGES)
    assert rows == [[csv_safe(cell) for cell in row] for row in want]
    cells = [cell for row in rows for cell in row]
    assert f"'{FORMULA}" in cells and "'@SUM(A1:A9)" in cells
    assert not any(cell.startswith(("=", "+", "-", "@")) for cell in cells)
    # In the sheet the same names are text, never formulas.
    for row in wb[CHANGES_SHEET].iter_rows():
        for cell in row:
            assert cell.data_type != "f"
            if isinstance(cell.value, str) and cell.value.startswith(("=", "@")):
                assert cell.data_type == "s" and cell.quotePrefix
    # Owner-only, like every output.
    real = (tmp_path / CHANGES).resolve()
    assert stat.S_IMODE(real.stat().st_mode) == 0o600
    summary = dict(wb["Summary"].iter_rows(values_only=True))
    assert summary["Appointments changed (see Changes)"] == 4


def test_new_and_discharged_patients_are_rows_too() -> None:
    c = clinic()
    before = valid(c, plan(week_sessions()))
    gone = replace(c.patients[2], discharge=c.settings.week_start.replace(day=6))
    c2 = replace(c, patients=(*c.patients[:2], gone))
    report = compare(c2, before, valid(c2, plan(week_sessions(patients=("P1", "P2")))))
    rows = change_rows(c2, report)
    assert (
        "Patient P3",
        "P3",
        "Patient",
        "discharged",
        "",
        "",
        "",
        "discharged 2026-12-06",
    ) in rows
    # P3's individual session on Friday is gone with P3; T1 is told, forced.
    t1 = [r for r in rows if r[1] == "T1"]
    assert [(r[3], r[6], r[7]) for r in t1] == [
        ("cancelled", "yes", "its patient: discharged 2026-12-06")
    ]


def test_a_publish_without_previous_withdraws_the_old_change_report(tmp_path: Path) -> None:
    c = clinic()
    before, after = before_after(c)
    publish(c, after, tmp_path, now=NOW, previous=before)
    assert (tmp_path / CHANGES).is_file()
    publish(c, after, tmp_path, now=NOW)
    assert not (tmp_path / CHANGES).exists() and not (tmp_path / CHANGES).is_symlink()
    assert CHANGES_SHEET not in openpyxl.load_workbook(tmp_path / WORKBOOK).sheetnames
    # An empty report still writes both, saying so.
    publish(c, after, tmp_path, now=NOW, previous=after)
    assert read_csv(tmp_path / CHANGES) == [list(HEADER)]
    ws = openpyxl.load_workbook(tmp_path / WORKBOOK)[CHANGES_SHEET]
    assert ws.cell(2, 1).value == "No changes since the previous schedule"


def test_the_summary_line_counts_the_calls() -> None:
    c = clinic()
    before, after = before_after(c)
    line = changes_line(compare(c, before, after).counts)
    assert line == (
        "4 appointments change for 3 patients and 1 therapist (0 forced); "
        "0 new patients; 0 discharged."
    )
    assert changes_line(compare(c, before, before).counts) == (
        "No appointment changes; 0 new patients; 0 discharged."
    )
