"""A capacity sweep on a ladder rung, with the process pool and with a Dask LocalCluster.

    .venv/bin/python -m benchmarks.sweep [--instance M-loose] [--admissions 0:20:5]
        [--therapists +0:+3] [--time-limit 10] [--jobs 2] [--out benchmarks/results/sweep.md]

The default grid is 5 rates × 4 staffings = 20 solves on ladder M-loose. The same runs go
once through ``run_all(jobs=N)`` (spawned worker processes) and once through a
``dask.distributed`` LocalCluster of N single-threaded worker processes; the report gives
both wall times, the machine and its load, whether every schedule is byte-identical
(``schedule.json``) between the two, and the sweep's capacity table.

The wall-clock ceiling of each solve is raised far above its deterministic budget
(:data:`CEILING_S`): on a shared machine a solve the clock cut short could end elsewhere in
the search, and the two ways would then differ for a reason that is not theirs.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from benchmarks.ladder import by_name
from benchmarks.run import machine_info
from scheduler.model import SolveOptions
from scheduler.schedule_json import schedule_json_bytes
from scheduler.whatif.runner import RunResult, run_all
from scheduler.whatif.sweep import grid, parse_range, summarise
from scheduler.whatif.sweep_report import capacity_text, points_text

#: Each solve's wall-clock ceiling: the deterministic budget always ends it first.
CEILING_S = 3600.0


def _load() -> str:
    one, five, _ = os.getloadavg()
    return f"{one:.1f} (1 min), {five:.1f} (5 min)"


def _fingerprints(results: Sequence[RunResult]) -> list[bytes | str]:
    return [
        schedule_json_bytes(r.schedule, input_path="-", input_hash="-")
        if r.schedule is not None
        else f"error: {r.error}"
        for r in results
    ]


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m benchmarks.sweep", description=__doc__)
    p.add_argument("--instance", default="M-loose", help="ladder rung (default: M-loose)")
    p.add_argument("--admissions", default="0:20:5", help="rates (default: 0:20:5)")
    p.add_argument("--therapists", default="+0:+3", help="extra therapists (default: +0:+3)")
    p.add_argument("--time-limit", type=float, default=10.0, help="per solve (default: 10)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--jobs", type=int, default=2, help="processes and Dask workers (default: 2)")
    p.add_argument("--out", type=Path, default=Path("benchmarks/results/sweep.md"))
    return p.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    a = parse_args(argv)
    instance = by_name(a.instance)
    clinic = instance.build()
    options = SolveOptions(
        time_limit_s=a.time_limit, seed=a.seed, workers=1, wall_ceiling_s=CEILING_S
    )
    g = grid(
        clinic,
        rates=parse_range(a.admissions, "--admissions"),
        extras=parse_range(a.therapists, "--therapists", signed=True),
        options=options,
    )
    print(f"{len(g.runs)} solves on {instance.name}, {a.jobs} at a time", file=sys.stderr)

    load_before = _load()
    start = time.monotonic()
    pooled = run_all(g.runs, jobs=a.jobs, progress=True)
    pool_s = time.monotonic() - start
    load_between = _load()
    start = time.monotonic()
    on_dask = run_all(g.runs, jobs=a.jobs, dask="local", progress=True)
    dask_s = time.monotonic() - start
    load_after = _load()

    same = _fingerprints(pooled) == _fingerprints(on_dask)
    differing = [
        r.name
        for r, x, y in zip(g.runs, _fingerprints(pooled), _fingerprints(on_dask), strict=True)
        if x != y
    ]
    result = summarise(g, pooled)
    cut = sum(1 for r in pooled if r.schedule is not None and r.schedule.stats.clock_cut)
    failed = sum(1 for r in pooled if r.schedule is None)
    solve_s = sum(r.wall_s for r in pooled)
    machine = machine_info(1)
    lines = [
        "# Capacity sweep: process pool against a Dask LocalCluster",
        "",
        f"Command: `{' '.join(['python -m benchmarks.sweep', *(argv or sys.argv[1:])])}`",
        "",
        "Machine: " + ", ".join(f"{k} {v}" for k, v in machine.items()),
        "",
        f"Load average: before {load_before}; between the two {load_between}; after "
        f"{load_after}. The machine is shared, so these wall times are longer than on an "
        "idle one; the solves themselves are budgeted in deterministic time.",
        "",
        f"Instance: {instance.name} ({instance.describe()}); {len(g.runs)} solves = "
        f"{len(g.rates)} admission rates × {len(g.staffings)} staffings; time limit "
        f"{a.time_limit:g} s each (deterministic), 1 solver worker per solve, seed {a.seed}, "
        f"wall ceiling {CEILING_S:g} s.",
        "",
        "| Way | Workers | Wall time (s) |",
        "|---|---|---|",
        f"| process pool (spawn) | {a.jobs} processes | {pool_s:.1f} |",
        f"| Dask LocalCluster | {a.jobs} worker processes × 1 thread | {dask_s:.1f} |",
        "",
        f"Sum of the pool's solve times (each solve and its check, as the worker measured "
        f"it): {solve_s:.1f} s, so the pool ran {solve_s / pool_s:.2f} solves at a time on "
        f"average.",
        "",
        "Identical results: "
        + ("**yes**, every schedule.json byte for byte." if same else "**no**: ")
        + ("" if same else ", ".join(differing)),
        f"Solves without a schedule: {failed}; solves the wall clock cut: {cut}.",
        "",
        "## Capacity per staffing",
        "",
        "```text",
        capacity_text(result),
        "```",
        "",
        "## Every point",
        "",
        "```text",
        points_text(result),
        "```",
        "",
    ]
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
