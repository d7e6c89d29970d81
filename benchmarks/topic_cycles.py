"""Module coverage over a chain of weekly runs of the sample clinic (issue 11, part 3).

``python -m benchmarks.topic_cycles [--weeks 8] [--time-limit 10] [--workers 1] [--seed 0]``

Each week is solved on its own (the horizon moved on one week, the clinic's patients as
they are: those discharged leave, those admitted join), then its topics are assigned from
the history the week before carried (:func:`scheduler.topics.topic_history`), and every
week is checked by the independent checker. It prints, per week, the cycled
patient-sessions and the repeats before a round was done, and at the end
:func:`scheduler.topics.coverage`: of the patients discharged during the chain, those who
stayed long enough to meet every module, and how many did.

Until ``next-week`` and the minimal-change solve land, each week is a fresh solve: groups
do not keep their lineage, so continuing patients may change groups, which is the hard
case for the cycle (a patient joins a group that is elsewhere in the cycle).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import time
from collections.abc import Sequence

from scheduler.check import check_schedule
from scheduler.domain import Clinic
from scheduler.generator import sample_clinic
from scheduler.model import SolveOptions, solve
from scheduler.schedule import Schedule
from scheduler.topics import assign_topics, coverage, topic_history


def week_clinic(clinic: Clinic, week: int) -> Clinic:
    start = clinic.settings.week_start + dt.timedelta(weeks=week)
    return dataclasses.replace(
        clinic, settings=dataclasses.replace(clinic.settings, week_start=start, weeks=1)
    )


def chain(clinic: Clinic, weeks: int, options: SolveOptions) -> list[tuple[Clinic, Schedule]]:
    out: list[tuple[Clinic, Schedule]] = []
    previous: Schedule | None = None
    for k in range(weeks):
        here = week_clinic(clinic, k)
        t0 = time.monotonic()
        solved = solve(here, options)
        history = topic_history(here, previous)
        schedule = assign_topics(here, solved, history)
        spent = time.monotonic() - t0
        rules = sorted({v.rule for v in check_schedule(here, schedule)})
        figure = coverage(here, [schedule])
        print(
            f"week {k + 1} ({here.settings.week_start}): {len(schedule.placed_patients)} placed, "
            f"{figure.sessions} cycled patient-sessions, {figure.repeats} repeats, "
            f"checker {'ok' if not rules else ', '.join(rules)}, {spent:.1f} s",
            flush=True,
        )
        out.append((here, schedule))
        previous = schedule
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.topic_cycles")
    parser.add_argument("--weeks", type=int, default=8)
    parser.add_argument("--time-limit", type=float, default=10.0)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    options = SolveOptions(time_limit_s=args.time_limit, seed=args.seed, workers=args.workers)
    runs = chain(sample_clinic(), args.weeks, options)
    last_clinic = runs[-1][0]
    figure = coverage(last_clinic, [s for _, s in runs])
    share = "n/a" if figure.share is None else f"{figure.share:.0%}"
    print(
        f"{args.weeks} weeks: {figure.discharged} discharged, {figure.eligible} stayed long "
        f"enough to meet every module, {figure.covered} did ({share}); "
        f"{figure.repeats} repeats before a round was done in {figure.sessions} "
        "cycled patient-sessions"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
