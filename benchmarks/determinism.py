"""Same input, same answer: each rung solved twice, the second time beside processes that keep
every core busy, and the two ``schedule.json`` files compared byte for byte.

    python -m benchmarks.determinism [--sizes S,M] [--out benchmarks/results/determinism.md]

Each run uses the rung's ladder time limit, seed 0 and 2 workers, as the ladder does. A run
the wall clock cut (``SolveStats.clock_cut``) is reported as such: only the deterministic
budget promises the same answer.
"""

from __future__ import annotations

import argparse
import hashlib
import multiprocessing
import time
from collections.abc import Sequence
from multiprocessing.synchronize import Event
from pathlib import Path

from benchmarks.ladder import DEFAULT_TIME_LIMIT_S, select
from benchmarks.run import machine_info
from scheduler.model.options import SolveOptions
from scheduler.model.solve import solve
from scheduler.schedule import Schedule
from scheduler.schedule_json import schedule_json_bytes


def _spin(stop: Event) -> None:
    while not stop.is_set():
        pass


def _digest(schedule: Schedule) -> str:
    data = schedule_json_bytes(schedule, input_path="ladder", input_hash="ladder")
    return hashlib.sha256(data).hexdigest()[:16]


def _run(clinic: object, options: SolveOptions) -> tuple[Schedule, float]:
    start = time.monotonic()
    schedule = solve(clinic, options)  # type: ignore[arg-type]
    return schedule, time.monotonic() - start


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="S,M")
    parser.add_argument("--busy", type=int, default=2, help="busy-looping processes")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    lines = [
        "# Same input, same answer",
        "",
        "Command: `python -m benchmarks.determinism "
        f"--sizes {args.sizes}`; the second run beside {args.busy} busy-looping processes.",
        "",
        "Machine: " + ", ".join(f"{k} {v}" for k, v in machine_info(2).items()),
        "",
        "| Instance | Quiet run (s) | Busy run (s) | Clock cut | schedule.json | Same bytes |",
        "|---|---|---|---|---|---|",
    ]
    same_all = True
    for inst in select(args.sizes.split(",")):
        clinic = inst.build()
        options = SolveOptions(time_limit_s=DEFAULT_TIME_LIMIT_S[inst.size], seed=0, workers=2)
        quiet, quiet_s = _run(clinic, options)
        stop = multiprocessing.Event()
        procs = [multiprocessing.Process(target=_spin, args=(stop,)) for _ in range(args.busy)]
        for p in procs:
            p.start()
        try:
            busy, busy_s = _run(clinic, options)
        finally:
            stop.set()
            for p in procs:
                p.join()
        a, b = _digest(quiet), _digest(busy)
        cut = quiet.stats.clock_cut or busy.stats.clock_cut
        same_all = same_all and a == b
        row = (
            f"| {inst.name} | {quiet_s:.1f} | {busy_s:.1f} | {'yes' if cut else 'no'} | "
            f"{a} / {b} | {'yes' if a == b else 'NO'} |"
        )
        print(row, flush=True)
        lines.append(row)
    if args.out:
        args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
        print(f"wrote {args.out}")
    return 0 if same_all else 1


if __name__ == "__main__":
    raise SystemExit(main())
