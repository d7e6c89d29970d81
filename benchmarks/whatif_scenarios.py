"""What-if wall time: the sample clinic and its scenarios solved one after another, then
with ``--jobs 2`` worker processes, and the two comparisons checked to be the same.

    python -m benchmarks.whatif_scenarios [--time-limit 5] [--wall-ceiling 200]
                                          [--out benchmarks/results/whatif.md]

Every run has the same options (seed 0, one CP-SAT worker, the deterministic budget of
``--time-limit``), so the two ways must give the same figures; a run the wall-clock ceiling
cut (``SolveStats.clock_cut``, a busy machine) may differ, and is counted as such. On a
shared machine the default ceiling (6× the limit) cuts every run, so the benchmark raises
it (``--wall-ceiling``): the budget, not the clock, then ends each solve. The machine's load
average is recorded before and after each way.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Sequence
from pathlib import Path

from benchmarks.run import machine_info
from scheduler.inputs.workbook import read_clinic
from scheduler.model.options import SolveOptions
from scheduler.whatif.runner import Run, RunResult, run_all
from scheduler.whatif.scenarios import apply_all
from scheduler.whatif.sheet import read_scenarios
from scheduler.whatif.side_by_side import compare_runs, scenario_runs

SAMPLE = Path(__file__).resolve().parent.parent / "data" / "sample_clinic.xlsx"
OUT = Path(__file__).resolve().parent / "results" / "whatif.md"


def _load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} / {five:.2f} / {fifteen:.2f}"


def timed(runs: Sequence[Run], jobs: int) -> tuple[list[RunResult], float, str, str]:
    """The results, the wall time, and the load average before and after."""
    before = _load()
    start = time.monotonic()
    results = run_all(runs, jobs=jobs, progress=True)
    return results, time.monotonic() - start, before, _load()


def _cut(results: Sequence[RunResult]) -> int:
    return sum(1 for r in results if r.schedule is not None and r.schedule.stats.clock_cut)


def render(
    runs: Sequence[Run],
    ways: dict[str, tuple[list[RunResult], float, str, str]],
    same: bool,
    time_limit: float,
    ceiling: float,
) -> str:
    machine = machine_info(workers=1)
    lines = [
        "# What-if scenarios: one after another against `--jobs 2`",
        "",
        f"The sample clinic (`data/sample_clinic.xlsx`) and its {len(runs) - 1} scenarios: "
        f"{len(runs)} solves, each seed 0, one CP-SAT worker, time limit {time_limit:g} s "
        f"(deterministic budget), wall-clock ceiling {ceiling:g} s. Made by "
        f"`python -m benchmarks.whatif_scenarios --time-limit {time_limit:g} "
        f"--wall-ceiling {ceiling:g}`.",
        "",
        "Machine: " + ", ".join(f"{k} {v}" for k, v in machine.items() if k != "workers"),
        "",
        "| way | wall time (s) | load before (1/5/15 min) | load after | runs cut by the "
        "wall clock |",
        "|---|---:|---|---|---:|",
    ]
    for way, (results, wall, before, after) in ways.items():
        lines.append(f"| {way} | {wall:.1f} | {before} | {after} | {_cut(results)} |")
    walls = [w[1] for w in ways.values()]
    lines += [
        "",
        f"Speed-up of `--jobs 2` over one after another: {walls[0] / walls[1]:.2f}×.",
        f"Same figures both ways: {'yes' if same else 'NO'}.",
        "",
        "| run | one after another (s) | --jobs 2 (s) | status | placed |",
        "|---|---:|---:|---|---:|",
    ]
    sequential, parallel = (w[0] for w in ways.values())
    for run, a, b in zip(runs, sequential, parallel, strict=True):
        status = a.schedule.stats.status if a.schedule else f"failed: {a.error}"
        placed = len(a.schedule.placed_patients) if a.schedule else ""
        lines.append(f"| {run.name} | {a.wall_s:.1f} | {b.wall_s:.1f} | {status} | {placed} |")
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.whatif_scenarios", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--time-limit", type=float, default=5.0, help="per run (default: 5)")
    parser.add_argument(
        "--wall-ceiling", type=float, default=200.0, help="seconds per run at most (default: 200)"
    )
    parser.add_argument("--out", type=Path, default=OUT, help=f"(default: {OUT})")
    args = parser.parse_args(argv)
    clinic = read_clinic(SAMPLE)
    scenarios, problems = read_scenarios(SAMPLE)
    clinics, more = apply_all(clinic, scenarios)
    if problems or more:
        raise SystemExit("\n".join(str(p) for p in problems + more))
    options = SolveOptions(
        time_limit_s=args.time_limit, seed=0, workers=1, wall_ceiling_s=args.wall_ceiling
    )
    runs = scenario_runs(clinic, clinics, options)
    ways = {"one after another (`--jobs 1`)": timed(runs, 1), "`--jobs 2`": timed(runs, 2)}
    (first, *_), (second, *_) = ways.values()
    same = compare_runs(runs, first).figures.equals(compare_runs(runs, second).figures)
    text = render(runs, ways, same, args.time_limit, args.wall_ceiling)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
