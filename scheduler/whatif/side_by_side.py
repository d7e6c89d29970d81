"""The what-if run: the baseline and every scenario solved (through
:func:`scheduler.whatif.runner.run_all`), each schedule checked, and their figures compared.

Every run gets the same options (seed, deterministic budget, one CP-SAT worker: see
:func:`scheduler.whatif.runner.solo`), so the same input, seed and budget give the same
comparison whether the runs go one after another, to a process pool or to Dask.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from scheduler.check import check_schedule
from scheduler.domain import Clinic
from scheduler.model.options import SolveOptions
from scheduler.whatif.compare import Comparison, compare
from scheduler.whatif.figures import figures_of, fill_classes, ordered
from scheduler.whatif.metrics import measure
from scheduler.whatif.runner import Run, RunResult, run_all, solo
from scheduler.whatif.sheet import BASELINE


class CheckFailedError(Exception):
    """A run's schedule broke a rule of the independent checker; nothing is written."""


def scenario_runs(
    baseline: Clinic, clinics: Mapping[str, Clinic], options: SolveOptions
) -> list[Run]:
    """The baseline's run first, then one per scenario in the order given."""
    one = solo(options)
    return [Run(BASELINE, baseline, one), *(Run(n, c, one) for n, c in clinics.items())]


def _checked(run: Run, result: RunResult) -> None:
    """The runner checks each schedule where it was solved; checked again here, where the
    figures are read, so nothing unchecked is ever compared (a worker on a cluster runs
    whatever code it was started with)."""
    if result.schedule is None:
        if result.error and "independent check" in result.error:
            raise CheckFailedError(f"{run.name}: {result.error}")
        return
    violations = check_schedule(run.clinic, result.schedule)
    if violations:
        shown = "; ".join(f"[{v.rule}] {v.message}" for v in violations[:5])
        raise CheckFailedError(
            f"{run.name}: the schedule failed the independent check "
            f"({len(violations)} violation(s)): {shown}"
        )


def compare_runs(runs: Sequence[Run], results: Sequence[RunResult]) -> Comparison:
    """The comparison of solved runs (``results`` in the order of ``runs``)."""
    rows: dict[str, dict[str, object]] = {}
    unplaced: dict[str, dict[str, int]] = {}
    facts: list[dict[str, object]] = []
    errors: dict[str, str] = {}
    for run, result in zip(runs, results, strict=True):
        _checked(run, result)
        schedule = result.schedule
        facts.append(
            {
                "run": run.name,
                "patients": len(run.clinic.patients),
                "status": schedule.stats.status if schedule else "no schedule",
                "gap": schedule.stats.gap if schedule else None,
                "wall time (s)": round(result.wall_s, 1),
                # A run the wall clock ended (a busy machine) may differ when re-run.
                "cut by the clock": bool(schedule and schedule.stats.clock_cut),
                "error": result.error or "",
            }
        )
        if schedule is None:
            errors[run.name] = result.error or "no schedule"
            rows[run.name] = {}
            unplaced[run.name] = {}
            continue
        measured = measure(run.name, run.clinic, schedule)
        rows[run.name] = figures_of(measured)
        unplaced[run.name] = dict(measured.unplaced_reasons)
    fill_classes(rows, set(errors))
    figures = pd.DataFrame.from_dict(rows, orient="index")
    figures = figures.reindex(columns=ordered(str(c) for c in figures.columns))
    figures.index.name = "run"
    return compare(figures, unplaced, facts, errors)


def what_if(
    baseline: Clinic,
    clinics: Mapping[str, Clinic],
    options: SolveOptions,
    *,
    jobs: int | None = None,
    dask: str | None = None,
    progress: bool = False,
) -> Comparison:
    """Solve the baseline and every scenario's clinic and compare them."""
    runs = scenario_runs(baseline, clinics, options)
    results = run_all(runs, jobs=jobs, dask=dask, progress=progress)
    return compare_runs(runs, results)
