"""The what-if charts as PNG bytes (matplotlib, no display needed): placement, utilisation
and unsocial staff hours, one bar group per run.

Built on :class:`matplotlib.figure.Figure` directly rather than pyplot, so no global
backend or figure state is touched (the charts are made inside a command and in tests).
A figure a run has no value for is drawn as a missing bar.
"""

from __future__ import annotations

import io

import pandas as pd
from matplotlib.figure import Figure

from scheduler.whatif import labels

#: Each chart: file name, title, y-axis label and the figures drawn side by side.
CHARTS: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    (
        "placement.png",
        "Patients placed and waiting",
        "patients",
        (labels.PLACED, labels.WAITLIST, labels.PROVEN_MAX),
    ),
    (
        "utilisation.png",
        "Staff and room utilisation",
        "% of hours available",
        (labels.THERAPIST_UTILISATION, labels.ROOM_UTILISATION),
    ),
    (
        "staff_hours.png",
        "Evening and Saturday staff hours",
        "staff hours a week",
        (labels.EVENING_HOURS, labels.SATURDAY_HOURS),
    ),
)


def bar_chart(figures: pd.DataFrame, title: str, unit: str, series: tuple[str, ...]) -> bytes:
    """Grouped bars: one group per run, one bar per figure in ``series``."""
    shown = [s for s in series if s in figures.columns]
    runs = [str(n) for n in figures.index]
    fig = Figure(figsize=(max(6.0, 1.3 * len(runs) + 2), 3.6), dpi=100)
    ax = fig.add_subplot()
    width = 0.8 / max(1, len(shown))
    for i, label in enumerate(shown):
        values = pd.to_numeric(figures[label], errors="coerce").astype(float)
        positions = [r + (i - (len(shown) - 1) / 2) * width for r in range(len(runs))]
        ax.bar(positions, values.fillna(0).tolist(), width, label=label)
    ax.set_xticks(range(len(runs)), [_wrap(r) for r in runs], fontsize=8)
    ax.set_title(title)
    ax.set_ylabel(unit)
    ax.grid(axis="y", alpha=0.3)
    if shown:
        ax.legend(fontsize=8)
    fig.tight_layout()
    buffer = io.BytesIO()
    # No software or date stamp: the same figures give the same bytes.
    fig.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()


def _wrap(name: str, width: int = 14) -> str:
    """A long run name on two lines under its bars."""
    if len(name) <= width or " " not in name:
        return name
    cut = name.rfind(" ", 0, width + 1)
    cut = cut if cut > 0 else name.find(" ")
    return name[:cut] + "\n" + name[cut + 1 :]


def charts(figures: pd.DataFrame) -> dict[str, bytes]:
    """Every chart of :data:`CHARTS` as PNG bytes, by file name."""
    return {name: bar_chart(figures, title, unit, s) for name, title, unit, s in CHARTS}
