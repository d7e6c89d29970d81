"""The baseline and every scenario side by side, with each scenario's difference from the
baseline: pandas tables built from each run's figures.

The figures come per run as one row of a DataFrame (index: run names, the baseline first;
columns: figure labels). Numbers get a difference column; the new unplaced reasons are the
reasons a scenario leaves more patients unplaced for than the baseline does. A run without
a schedule (out of time, say) shows why in place of its figures.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from scheduler.whatif.sheet import BASELINE

#: The label of the side-by-side row naming the reasons new in a scenario.
NEW_REASONS = "New unplaced reasons"
#: The mark before a scenario's name heading its difference from the baseline.
DIFFERENCE = "± "


@dataclass(frozen=True)
class Comparison:
    """Everything the what-if outputs show, as pandas tables."""

    #: One row per run (the baseline first), one column per figure.
    figures: pd.DataFrame
    #: One row per figure: the baseline, then each scenario and its difference.
    table: pd.DataFrame
    #: Patients left unplaced, by reason (rows) and run (columns).
    reasons: pd.DataFrame
    #: One row per run: whether it produced a schedule, its status and wall time.
    runs: pd.DataFrame

    @property
    def names(self) -> list[str]:
        return [str(n) for n in self.figures.index]


def is_number(value: object) -> bool:
    """A count or measure to subtract (numpy's numbers too), not a flag, text or gap."""
    return (
        isinstance(value, numbers.Real)
        and not isinstance(value, bool | np.bool_)
        and not math.isnan(float(value))
    )


def difference(value: object, base: object) -> object:
    """``value - base`` for two numbers (rounded to what is shown), else blank."""
    if is_number(value) and is_number(base):
        delta = float(value) - float(base)  # type: ignore[arg-type]  # numbers, just checked
        return int(delta) if delta.is_integer() else round(delta, 2)
    return ""


def new_reasons(reasons: pd.DataFrame, name: str, baseline: str = BASELINE) -> str:
    """The reasons ``name`` leaves more patients unplaced for than the baseline, with how
    many more: what a change costs, in the coordinator's words."""
    if name not in reasons.columns or reasons.empty:
        return ""
    more = reasons[name] - reasons.get(baseline, 0)
    return "; ".join(f"{reason} (+{int(n)})" for reason, n in more.items() if n > 0)


def reason_table(unplaced: Mapping[str, Mapping[str, int]]) -> pd.DataFrame:
    """Unplaced patients by reason × run, from each run's counts (0 where none)."""
    table = pd.DataFrame(dict(unplaced.items())).fillna(0).astype(int)
    if table.empty:
        return pd.DataFrame(columns=list(unplaced), dtype=int)
    return table.sort_index()


def side_by_side(
    figures: pd.DataFrame,
    reasons: pd.DataFrame,
    errors: Mapping[str, str],
    baseline: str = BASELINE,
) -> pd.DataFrame:
    """Rows: the figures, then the new unplaced reasons. Columns: the baseline, then for
    each scenario its figures and ``± name``, the difference from the baseline."""
    labels = [str(c) for c in figures.columns]
    base = figures.loc[baseline]
    columns: dict[str, list[object]] = {baseline: [*(base[label] for label in labels), ""]}
    for name in (str(n) for n in figures.index if n != baseline):
        if name in errors:
            shown: list[object] = [f"no schedule: {errors[name]}", *[""] * len(labels)]
            columns[name] = shown
            columns[DIFFERENCE + name] = [""] * (len(labels) + 1)
            continue
        row = figures.loc[name]
        columns[name] = [*(row[label] for label in labels), new_reasons(reasons, name, baseline)]
        columns[DIFFERENCE + name] = [
            *(difference(row[label], base[label]) for label in labels),
            "",
        ]
    return pd.DataFrame(columns, index=pd.Index([*labels, NEW_REASONS], name="figure"))


def compare(
    figures: pd.DataFrame,
    unplaced: Mapping[str, Mapping[str, int]],
    runs: Sequence[Mapping[str, object]],
    errors: Mapping[str, str],
) -> Comparison:
    """The comparison of runs whose figures, unplaced reasons, run facts and errors (runs
    without a schedule, by name) are given."""
    reasons = reason_table(unplaced)
    return Comparison(
        figures=figures,
        table=side_by_side(figures, reasons, errors),
        reasons=reasons,
        runs=pd.DataFrame(list(runs)).set_index("run") if runs else pd.DataFrame(),
    )
