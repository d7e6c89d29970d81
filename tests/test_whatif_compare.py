"""The side-by-side table from given figures (no solving): differences, new reasons, a run
without a schedule, and the printed and page forms of it."""

from __future__ import annotations

import numpy as np
import pandas as pd

from scheduler.whatif import labels
from scheduler.whatif.compare import DIFFERENCE, NEW_REASONS, Comparison, compare, difference
from scheduler.whatif.outputs import html_text, terminal_text

FULL = "Rooms full on Monday"
NO_LEADER = "No therapist can lead GT"


def comparison() -> Comparison:
    figures = pd.DataFrame(
        {
            labels.PLACED: [np.int64(10), np.int64(12), None],
            labels.WAITLIST: [np.int64(3), np.int64(1), None],
            labels.ROOM_UTILISATION: [40.0, 52.5, None],
            labels.PROVEN_MAX: [13, "found, not proven", None],
        },
        index=pd.Index(["baseline", "Hire", "Close"], name="run"),
    )
    unplaced = {"baseline": {FULL: 3}, "Hire": {FULL: 0, NO_LEADER: 1}, "Close": {}}
    runs = [{"run": n, "status": "OPTIMAL"} for n in ("baseline", "Hire", "Close")]
    return compare(figures, unplaced, runs, {"Close": "no schedule found (UNKNOWN)"})


def test_differences_new_reasons_and_a_failed_run() -> None:
    table = comparison().table
    assert list(table.columns) == [
        "baseline",
        "Hire",
        DIFFERENCE + "Hire",
        "Close",
        DIFFERENCE + "Close",
    ]
    assert table.loc[labels.PLACED, DIFFERENCE + "Hire"] == 2
    assert table.loc[labels.WAITLIST, DIFFERENCE + "Hire"] == -2
    assert table.loc[labels.ROOM_UTILISATION, DIFFERENCE + "Hire"] == 12.5
    # A maximum not proven is no number to subtract.
    assert table.loc[labels.PROVEN_MAX, DIFFERENCE + "Hire"] == ""
    # Only reasons the scenario leaves more patients out for are new.
    assert table.loc[NEW_REASONS, "Hire"] == f"{NO_LEADER} (+1)"
    assert table.loc[labels.PLACED, "Close"].startswith("no schedule: no schedule found")


def test_difference_only_between_numbers() -> None:
    assert difference(np.int64(5), 3) == 2
    assert difference(2.5, 1.0) == 1.5
    assert difference("proven", 3) == ""
    assert difference(float("nan"), 3) == ""
    assert difference(True, 0) == ""


def test_printed_and_page_forms() -> None:
    c = comparison()
    printed = terminal_text(c)
    assert "12 (+2)" in printed and "1 (-2)" in printed
    page = html_text(c, "What if: <Clinic>")
    assert "&lt;Clinic&gt;" in page and "<Clinic>" not in page
    # A gain is green and a loss red whichever way the figure runs: fewer waiting is good.
    assert "<td class=up>+2</td>" in page and "<td class=up>-2</td>" in page
