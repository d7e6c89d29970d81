"""Calibrate deterministic time against the wall clock (SolveOptions.DETERMINISTIC_PER_SECOND).

The solver budgets its search in CP-SAT's deterministic time so that the same input, seed
and workers give the same timetable on any machine load; ``--time-limit S`` becomes
``S * DETERMINISTIC_PER_SECOND`` units of it. This script solves a few clinics with a
fixed deterministic budget and reports the wall time and process CPU time each took, so
that the constant can be set to make the default take about the stated time on an idle
machine of this size. Run it on a quiet machine:

    python -m benchmarks.calibrate [--work 10] [--out benchmarks/results/calibration.md]
"""

from __future__ import annotations

import argparse
import resource
import time
from collections.abc import Sequence
from pathlib import Path

from benchmarks.ladder import by_name
from benchmarks.run import machine_info
from scheduler.domain import Clinic
from scheduler.model.options import DETERMINISTIC_PER_SECOND, SolveOptions
from scheduler.model.solve import solve

CLINICS = ("sample", "S-tight", "S-loose", "M-tight", "M-loose")


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _clinic(name: str) -> Clinic:
    if name == "sample":
        from scheduler.inputs.workbook import read_clinic

        return read_clinic(Path(__file__).parents[1] / "data" / "sample_clinic.xlsx")
    return by_name(name).build()


def measure(name: str, work: float, workers: int) -> tuple[float, float, str, bool]:
    """Wall seconds, CPU seconds, status and whether the clock cut the run."""
    clinic = _clinic(name)
    options = SolveOptions(
        time_limit_s=work, deterministic_time=work, workers=workers, wall_ceiling_s=3600
    )
    cpu, start = _cpu(), time.monotonic()
    schedule = solve(clinic, options)
    return time.monotonic() - start, _cpu() - cpu, schedule.stats.status, schedule.stats.clock_cut


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=float, default=10.0, help="deterministic budget")
    parser.add_argument("--workers", type=int, default=2, help="CP-SAT workers")
    parser.add_argument("--clinics", default=",".join(CLINICS), help="comma-separated")
    parser.add_argument("--out", type=Path, default=None, help="write a Markdown report")
    args = parser.parse_args(argv)
    lines = [
        "# Deterministic time against the wall clock",
        "",
        f"Command: `python -m benchmarks.calibrate --work {args.work:g}`; "
        f"DETERMINISTIC_PER_SECOND = {DETERMINISTIC_PER_SECOND:g} when run.",
        "",
        "Machine: " + ", ".join(f"{k} {v}" for k, v in machine_info(args.workers).items()),
        "",
        "| Clinic | Deterministic budget | Wall (s) | CPU (s) | Status | Clock cut |",
        "|---|---|---|---|---|---|",
    ]
    walls = []
    for name in args.clinics.split(","):
        wall, cpu, status, cut = measure(name, args.work, args.workers)
        walls.append(wall)
        row = f"| {name} | {args.work:g} | {wall:.1f} | {cpu:.1f} | {status} | {cut} |"
        print(row, flush=True)
        lines.append(row)
    worst = max(walls)
    lines += [
        "",
        f"Longest run: {worst:.1f} s for {args.work:g} units, so one unit of deterministic "
        f"time took at most {worst / args.work:.2f} s of wall time here "
        "(runs that prove optimality early take less).",
    ]
    if args.out:
        args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
        print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
