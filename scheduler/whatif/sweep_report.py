"""A sweep's results as tables (pandas), a printed table, a workbook, CSV and HTML.

``sweep.xlsx`` (sheets Capacity, Points, Utilisation, Unplaced reasons), ``sweep.csv``
(the points), the three charts as PNG and ``sweep.html`` holding the tables and the charts
(base64, no external file or script) are published together with
:func:`scheduler.safe_write.write_tree`: owner-only, all or nothing.

Text never becomes a formula: a cell that starts like one (``=``, ``+``, ``-``, ``@`` —
staffing labels start with ``+``) is stored as text in the workbook and quoted with a
leading ``'`` in the CSV.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from scheduler.safe_write import write_tree
from scheduler.whatif.metrics import RunMetrics, metrics_row, reasons_frame, utilisation_frame
from scheduler.whatif.sweep import SweepResult

if TYPE_CHECKING:
    import pandas as pd

FORMULA_START = ("=", "+", "-", "@")
CHARTS = {
    "placed_vs_demand.png": "Placed against demand",
    "waitlist_heatmap.png": "Waitlist over admissions and therapists",
    "utilisation.png": "Utilisation per therapist and room",
}


def capacity_frame(result: SweepResult) -> pd.DataFrame:
    """One row per staffing: what it holds and where it saturates."""
    import pandas as pd

    rows = [
        {
            "staffing": c.staffing.label,
            "extra_therapists": c.staffing.extra,
            "closed_blocks": " ".join(c.staffing.closed),
            "baseline_waitlist": c.baseline_waitlist,
            "holds_per_week": c.held,
            "saturates_at": c.saturates_at,
            "saturation": c.verdict,
            "peak_placed": c.peak_placed,
        }
        for c in result.capacities
    ]
    return pd.DataFrame(rows).astype({"holds_per_week": "Int64", "saturates_at": "Int64"})


def points_frame(result: SweepResult) -> pd.DataFrame:
    """One row per point of the grid, with every figure of :func:`metrics_row`."""
    import pandas as pd

    rows = [
        {
            "staffing": p.staffing.label,
            "extra_therapists": p.staffing.extra,
            "closed_blocks": " ".join(p.staffing.closed),
            "admissions_per_week": p.rate,
            "demand": p.demand,
        }
        | metrics_row(p.metrics)
        for p in result.points
    ]
    return pd.DataFrame(rows)


def _measured(result: SweepResult) -> list[RunMetrics]:
    return [p.metrics for p in result.points if isinstance(p.metrics, RunMetrics)]


def capacity_text(result: SweepResult) -> str:
    """The capacity table as printed: one line per staffing."""
    head = f"{'staffing':<34} {'waitlist at start':>17} {'holds/week':>10} {'saturates at':>12}"
    lines = [head, "-" * len(head)]
    for c in result.capacities:
        held = "none" if c.held is None else str(c.held)
        sat = "-" if c.saturates_at is None else str(c.saturates_at)
        waiting = "?" if c.baseline_waitlist is None else str(c.baseline_waitlist)
        lines.append(f"{c.staffing.label:<34} {waiting:>17} {held:>10} {sat:>12}  {c.verdict}")
    return "\n".join(lines)


def points_text(result: SweepResult) -> str:
    """Every point as printed: placed, waitlist and proof per staffing and rate."""
    head = f"{'staffing':<34} {'per week':>8} {'demand':>6} {'placed':>6} {'waitlist':>8}  proof"
    lines = [head, "-" * len(head)]
    for p in result.points:
        m = p.metrics
        if isinstance(m, RunMetrics):
            lines.append(
                f"{p.staffing.label:<34} {p.rate:>8} {p.demand:>6} {m.placed:>6} "
                f"{m.waitlist:>8}  {m.placement}"
            )
        else:
            lines.append(f"{p.staffing.label:<34} {p.rate:>8}  no schedule: {m.error}")
    return "\n".join(lines)


# --------------------------------------------------------------------------------------
# Files.


def _text_cell(value: object) -> object:
    return f"'{value}" if isinstance(value, str) and value.startswith(FORMULA_START) else value


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """The frame as CSV, every text that looks like a formula quoted as text."""
    from pandas.api.types import is_numeric_dtype

    safe = frame.copy()
    for column in safe.columns:
        if not is_numeric_dtype(safe[column]):  # text, whether object or string dtype
            safe[column] = safe[column].map(_text_cell)
    return safe.to_csv(index=False).encode("utf-8")


def xlsx_bytes(sheets: Mapping[str, pd.DataFrame]) -> bytes:
    """A workbook with one sheet per frame; text cells are text, never formulas."""
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)  # type: ignore[arg-type]
    for title, frame in sheets.items():
        ws = wb.create_sheet(title)
        ws.append([str(c) for c in frame.columns])
        for record in frame.itertuples(index=False):
            ws.append([_cell(v) for v in record])
        for cell in (c for row in ws.iter_rows() for c in row):
            if isinstance(cell.value, str) and cell.value.startswith(FORMULA_START):
                cell.data_type = "s"  # never a formula, whatever the text says
                cell.quotePrefix = True
        ws.freeze_panes = "A2"
        for column in ws.columns:
            width = max(len(str(c.value)) if c.value is not None else 0 for c in column)
            ws.column_dimensions[column[0].column_letter].width = min(60, width + 2)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _cell(value: object) -> object:
    """A spreadsheet value: pandas' missing values become empty cells."""
    import pandas as pd

    if value is None or (not isinstance(value, str) and pd.isna(value)):  # type: ignore[call-overload]
        return None
    if hasattr(value, "item"):  # a numpy scalar
        return value.item()
    return value


def sweep_html(result: SweepResult, charts: Mapping[str, bytes], title: str) -> str:
    """A self-contained page: the capacity table, the charts inline, the points."""
    images = "\n".join(
        f"<figure><img alt='{html.escape(CHARTS[name])}' "
        f"src='data:image/png;base64,{base64.b64encode(data).decode('ascii')}'>"
        f"<figcaption>{html.escape(CHARTS[name])}</figcaption></figure>"
        for name, data in charts.items()
    )
    capacity = _html_table(capacity_frame(result))
    table = _html_table(points_frame(result).drop(columns=["error"], errors="ignore"))
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>{html.escape(title)}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em; color: #222; }}
table {{ border-collapse: collapse; font-size: 0.85em; margin-bottom: 2em; }}
th, td {{ border: 1px solid #ccc; padding: 0.2em 0.5em; text-align: right; }}
th {{ background: #f3f3f3; }}
figure {{ margin: 1em 0 2em; }}
img {{ max-width: 100%; }}
</style></head><body>
<h1>{html.escape(title)}</h1>
<p>Holds per week: the largest weekly admission rate at which nobody is added to the
waitlist. Saturation is <em>proven</em> when the solver proved that no timetable places
more at that rate, and <em>found, not proven</em> when a longer time limit might.</p>
<h2>Capacity per staffing</h2>
{capacity}
<h2>Charts</h2>
{images}
<h2>Every point</h2>
{table}
</body></html>
"""


def _html_table(frame: pd.DataFrame) -> str:
    """The frame as an HTML table, text escaped, floats to 2 places, a dash where empty
    (pandas' own missing-value markers, ``<NA>`` and ``NaN``, mean nothing to a reader)."""
    shown = frame.round(2).astype(object)
    return shown.where(shown.notna(), "–").to_html(index=False, escape=True)


def sweep_files(result: SweepResult, title: str) -> dict[str, bytes]:
    """Every file of a sweep, by name."""
    from scheduler.whatif.sweep_charts import placed_chart, png, utilisation_chart, waitlist_heatmap

    charts = {
        "placed_vs_demand.png": png(placed_chart(result)),
        "waitlist_heatmap.png": png(waitlist_heatmap(result)),
        "utilisation.png": png(utilisation_chart(result)),
    }
    points = points_frame(result)
    measured = _measured(result)
    workbook = xlsx_bytes(
        {
            "Capacity": capacity_frame(result),
            "Points": points,
            "Utilisation": utilisation_frame(measured),
            "Unplaced reasons": reasons_frame(measured),
        }
    )
    return {
        "sweep.html": sweep_html(result, charts, title).encode("utf-8"),
        "sweep.xlsx": workbook,
        "sweep.csv": csv_bytes(points),
        **charts,
    }


def write_sweep(out_dir: Path, result: SweepResult, title: str) -> list[Path]:
    """Publish the sweep's files into ``out_dir``: owner-only, all or nothing."""
    return write_tree(out_dir, sweep_files(result, title))
