"""The comparison written out: ``whatif.xlsx``, a self-contained ``whatif.html`` (charts
as embedded PNGs, no external assets) and the table printed to the terminal.

Scenario names and reasons are the coordinator's own text: in the workbook every such cell
is written as text, never a formula (DESIGN.md §6); in the page every one is escaped. The
files are published together, owner-only, by :func:`scheduler.safe_write.write_tree`.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import io
from collections.abc import Sequence
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from scheduler.inputs.cells import strip_control
from scheduler.safe_write import write_tree
from scheduler.whatif.changes import Scenario
from scheduler.whatif.charts import CHARTS, charts
from scheduler.whatif.compare import DIFFERENCE, Comparison, is_number
from scheduler.whatif.labels import better
from scheduler.whatif.sheet import SCENARIOS, scenario_rows

XLSX = "whatif.xlsx"
HTML = "whatif.html"
MAX_WIDTH = 60
#: Characters of a long text cell shown in the page before the rest is folded away.
LONG_TEXT = 90


def shown(value: object) -> str:
    """A cell as printed: whole numbers without a point, others to two places, blanks
    for missing values."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    if is_number(value):
        number = float(value)  # type: ignore[arg-type]  # a number, just checked
        return str(int(number)) if number.is_integer() else f"{number:.2f}".rstrip("0")
    return str(value)


# --------------------------------------------------------------------------------------
# The workbook.


def _put(sheet: object, row: int, column: int, value: object) -> int:
    """Write one cell: numbers as numbers, everything else as text that stays text
    (openpyxl would store ``=…`` as a live formula). Returns the shown width."""
    cell = sheet.cell(row=row, column=column)  # type: ignore[attr-defined]
    if is_number(value):
        number = float(value)  # type: ignore[arg-type]  # a number, just checked
        cell.value = int(number) if number.is_integer() else number
        return len(shown(value))
    text = strip_control(shown(value))
    cell.value = text
    cell.data_type = "s"
    return len(text)


def _frame_sheet(book: Workbook, title: str, frame: pd.DataFrame, index_name: str) -> None:
    sheet = book.create_sheet(title)
    header = [index_name, *(str(c) for c in frame.columns)]
    widths = [len(h) for h in header]
    for c, name in enumerate(header, start=1):
        _put(sheet, 1, c, name)
        sheet.cell(row=1, column=c).font = Font(bold=True)
    for r, (key, values) in enumerate(frame.iterrows(), start=2):
        for c, value in enumerate([key, *values.tolist()], start=1):
            widths[c - 1] = max(widths[c - 1], _put(sheet, r, c, value))
    for c, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(c)].width = min(width + 2, MAX_WIDTH)
    sheet.freeze_panes = "B2"


def xlsx_bytes(comparison: Comparison, scenarios: Sequence[Scenario]) -> bytes:
    """The workbook: side by side, each run's figures, unplaced reasons, the runs, and
    the scenarios as applied (in the Scenarios sheet's own layout)."""
    book = Workbook()
    if book.active is not None:
        book.remove(book.active)
    _frame_sheet(book, "Side by side", comparison.table, "figure")
    _frame_sheet(book, "Figures", comparison.figures, "run")
    _frame_sheet(book, "Unplaced reasons", comparison.reasons, "reason")
    _frame_sheet(book, "Runs", comparison.runs, "run")
    rows = pd.DataFrame(scenario_rows(scenarios), columns=list(SCENARIOS.names))
    _frame_sheet(book, "Scenarios", rows.set_index("scenario"), "scenario")
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# --------------------------------------------------------------------------------------
# The page.

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; margin: 1em 0; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 0.3em 0.6em; text-align: right; }
th:first-child, td:first-child { text-align: left; }
td.text { text-align: left; min-width: 10em; max-width: 28em; }
th { background: #f0f0f0; }
td.up { color: #1a6e1a; } td.down { color: #a31515; }
img { display: block; margin: 1em 0; max-width: 100%; }
"""


def _cell(value: object, figure: str, difference: bool) -> str:
    """One cell; a difference carries its sign and is green for a gain, red for a loss
    (:func:`scheduler.whatif.labels.better`)."""
    text = html.escape(shown(value))
    if not is_number(value):
        whole = shown(value)
        if len(whole) > LONG_TEXT:
            # Reasons run long: their start in the table, the rest a click away.
            start = html.escape(whole[:LONG_TEXT].rsplit(" ", 1)[0])
            text = f"<details><summary>{start} …</summary>{text}</details>"
        return f"<td class=text>{text}</td>"
    number = float(value)  # type: ignore[arg-type]  # a number, just checked
    if not difference:
        return f"<td>{text}</td>"
    gain = better(figure, number)
    tone = "" if gain is None else " class=up" if gain else " class=down"
    return f"<td{tone}>{'+' if number > 0 else ''}{text}</td>"


def _html_table(frame: pd.DataFrame, index_name: str) -> str:
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in [index_name, *frame.columns])
    body = []
    for key, values in frame.iterrows():
        cells = "".join(
            _cell(v, str(key), str(c).startswith(DIFFERENCE))
            for c, v in zip(frame.columns, values, strict=True)
        )
        body.append(f"<tr><td>{html.escape(str(key))}</td>{cells}</tr>")
    return f"<table><tr>{head}</tr>{''.join(body)}</table>"


def _changes_table(scenarios: Sequence[Scenario]) -> str:
    """The scenarios' rows, only the columns some row fills."""
    rows = pd.DataFrame(scenario_rows(scenarios), columns=list(SCENARIOS.names))
    filled = [c for c in rows.columns if (rows[c] != "").any()]
    return _html_table(rows[filled].set_index("scenario"), "scenario") if len(rows) else ""


def html_text(
    comparison: Comparison,
    title: str,
    scenarios: Sequence[Scenario] = (),
    generated: dt.datetime | None = None,
) -> str:
    """A self-contained page: the table, the charts inline, the reasons, the runs and the
    scenarios' changes."""
    images = charts(comparison.figures)
    figures = "".join(
        f'<img alt="{html.escape(chart_title)}" src="data:image/png;base64,'
        f'{base64.b64encode(images[name]).decode("ascii")}">'
        for name, chart_title, _, _ in CHARTS
    )
    stamp = f"<p>Made {generated:%Y-%m-%d %H:%M}.</p>" if generated else ""
    return (
        "<!DOCTYPE html>\n<html lang=en><head><meta charset=utf-8>"
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head><body>"
        f"<h1>{html.escape(title)}</h1>{stamp}"
        "<p>Each scenario beside the unchanged clinic (baseline); a ± column is the "
        "scenario's difference from the baseline.</p>"
        f"{_html_table(comparison.table, 'figure')}"
        f"<h2>Charts</h2>{figures}"
        f"<h2>Unplaced patients by reason</h2>{_html_table(comparison.reasons, 'reason')}"
        f"<h2>Runs</h2>{_html_table(comparison.runs, 'run')}"
        f"<h2>The scenarios</h2>{_changes_table(scenarios)}"
        "</body></html>\n"
    )


# --------------------------------------------------------------------------------------
# The terminal, and all of it on disk.


def terminal_text(comparison: Comparison) -> str:
    """The side-by-side table as plain text (it survives pipes and logs): one column per
    run, a scenario's difference from the baseline in brackets after its figure."""
    table = comparison.table
    runs = [c for c in table.columns if not str(c).startswith(DIFFERENCE)]
    columns: dict[str, list[str]] = {}
    for run in runs:
        deltas = table.get(DIFFERENCE + str(run))
        cells = []
        for i, value in enumerate(table[run]):
            text = shown(value)
            delta = None if deltas is None else deltas.iloc[i]
            if is_number(delta) and float(delta) != 0:  # type: ignore[arg-type]
                text += f" ({_signed(delta)})"
            cells.append(text)
        columns[str(run)] = cells
    return pd.DataFrame(columns, index=table.index).to_string(max_colwidth=40)


def _signed(value: object) -> str:
    """A difference as printed: a gain with its plus sign."""
    text = shown(value)
    return "+" + text if is_number(value) and float(value) > 0 else text  # type: ignore[arg-type]


def write_outputs(
    out: Path, comparison: Comparison, scenarios: Sequence[Scenario], title: str
) -> list[Path]:
    """Publish ``whatif.xlsx`` and ``whatif.html`` into ``out`` together, owner-only."""
    files = {
        XLSX: xlsx_bytes(comparison, scenarios),
        HTML: html_text(comparison, title, scenarios).encode("utf-8"),
    }
    return write_tree(out, files)
