"""Many independent solves, run in parallel and reproducibly, results in input order.

A :class:`Run` is a name, a clinic and its :class:`~scheduler.model.options.SolveOptions`;
:func:`run_all` solves every run and hands back one :class:`RunResult` per run, in the
order given, whichever way the runs went:

- ``jobs=1`` (and no ``dask``): one after another in this process;
- ``jobs=N``: N worker processes (``concurrent.futures`` with the *spawn* start method, so
  a worker never inherits a forked copy of OR-Tools' threads or the caller's state);
- ``dask="local"``: a ``dask.distributed`` LocalCluster of ``jobs`` single-threaded worker
  processes on this machine; ``dask="tcp://host:8786"``: the cluster already there.

The results are the same every way. Each solve is budgeted in CP-SAT's deterministic time
(``SolveOptions.work``) with a fixed seed and worker count, so where it runs and what runs
beside it does not change it (scheduler/model/solve.py). Only a run the wall-clock ceiling
cut may differ, and its schedule says so (``SolveStats.clock_cut``).

Why each solve should have ``workers=1`` here (see :func:`solo`): a pool already keeps
every core busy with whole solves, and independent solves parallelise perfectly, whereas
CP-SAT's workers share one search and its interleaved (deterministic) mode waits for the
slowest subsolver of each batch. Two solves of one worker each on two cores also keep the
solves independent of the number of cores, which is what makes a pool's, a laptop's and a
cluster's results identical.

Each schedule is checked in the worker with the independent checker; one that fails it is
returned as an error, never as a result to plan with.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any

from scheduler.domain import Clinic
from scheduler.model.options import SolveOptions
from scheduler.schedule import Schedule
from scheduler.terminal import emit

#: How a run's outcome is shown as it ends: ``(runs done, runs in all, the result)``.
OnDone = Callable[[int, int, "RunResult"], None]


@dataclass(frozen=True)
class Run:
    """One solve to do: picklable, so it can go to a worker process or a cluster."""

    name: str
    clinic: Clinic
    options: SolveOptions


@dataclass(frozen=True)
class RunResult:
    """A run's outcome: its schedule (which passed the checker), or why there is none."""

    name: str
    schedule: Schedule | None
    error: str | None = None
    #: The wall time of the solve and check where it ran; for reports, never compared.
    wall_s: float = 0.0

    @property
    def ok(self) -> bool:
        return self.schedule is not None


def solo(options: SolveOptions) -> SolveOptions:
    """``options`` for one solve among many in a pool: one CP-SAT worker (see the module
    docstring for why)."""
    return replace(options, workers=1)


def execute(run: Run) -> RunResult:
    """Solve one run and check its schedule; any failure becomes the result's ``error``.

    Module level and free of state, so worker processes and dask workers can import it."""
    from scheduler.check import check_schedule
    from scheduler.model import solve

    start = time.monotonic()
    try:
        schedule = solve(run.clinic, run.options)
    except Exception as err:  # a worker reports, it never takes the whole batch down
        return RunResult(run.name, None, f"{type(err).__name__}: {err}", _since(start))
    if schedule.stats.status not in ("OPTIMAL", "FEASIBLE"):
        error = f"no schedule found ({schedule.stats.status})"
        return RunResult(run.name, None, error, _since(start))
    violations = check_schedule(run.clinic, schedule)
    if violations:
        shown = "; ".join(str(v) for v in violations[:3])
        more = f" and {len(violations) - 3} more" if len(violations) > 3 else ""
        error = f"the schedule failed the independent check: {shown}{more}"
        return RunResult(run.name, None, error, _since(start))
    return RunResult(run.name, schedule, None, _since(start))


def _since(start: float) -> float:
    return time.monotonic() - start


def default_jobs() -> int:
    """One worker process per core this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def run_all(
    runs: Sequence[Run],
    *,
    jobs: int | None = None,
    dask: str | None = None,
    progress: bool = False,
) -> list[RunResult]:
    """Solve every run; the results in the order of ``runs``.

    ``jobs``: worker processes (default: one per core); ``dask``: ``"local"`` or a
    scheduler address. ``progress`` shows the runs done and left on stderr."""
    if jobs is not None and jobs < 1:
        raise ValueError("jobs must be at least 1")
    names = [r.name for r in runs]
    if len(set(names)) != len(names):
        raise ValueError("every run needs its own name")
    workers = jobs or default_jobs()
    with _display(len(runs), progress) as on_done:
        if dask is not None:
            return _on_dask(runs, dask, workers, on_done)
        if workers == 1 or len(runs) <= 1:
            return _in_process(runs, on_done)
        return _in_pool(runs, min(workers, len(runs)), on_done)


def _in_process(runs: Sequence[Run], on_done: OnDone) -> list[RunResult]:
    out = []
    for run in runs:
        out.append(execute(run))
        on_done(len(out), len(runs), out[-1])
    return out


def _in_pool(runs: Sequence[Run], workers: int, on_done: OnDone) -> list[RunResult]:
    results: dict[int, RunResult] = {}
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        futures: dict[Future[RunResult], int] = {
            pool.submit(execute, run): i for i, run in enumerate(runs)
        }
        for future in as_completed(futures):
            i = futures[future]
            results[i] = _outcome(runs[i], future)
            on_done(len(results), len(runs), results[i])
    return [results[i] for i in range(len(runs))]


def _outcome(run: Run, future: Future[RunResult]) -> RunResult:
    """The future's result, or the reason it has none (a worker process that died)."""
    try:
        return future.result()
    except Exception as err:
        return RunResult(run.name, None, f"the worker failed: {type(err).__name__}: {err}")


def _on_dask(runs: Sequence[Run], address: str, workers: int, on_done: OnDone) -> list[RunResult]:
    from distributed import Client, LocalCluster
    from distributed import as_completed as dask_completed

    cluster: Any = None
    if address == "local":
        # Processes, not threads: a solve holds the GIL in Python between CP-SAT calls.
        cluster = LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
        )
        client = Client(cluster)
    else:
        client = Client(address)
    try:
        # Keys of our own: two runs with equal content are still two runs, and a shared
        # cluster may hold another batch's runs at the same time.
        batch = uuid.uuid4().hex
        futures = [
            client.submit(execute, run, key=f"iop-run-{batch}-{i}") for i, run in enumerate(runs)
        ]
        index = {f.key: i for i, f in enumerate(futures)}
        results: dict[int, RunResult] = {}
        for future in dask_completed(futures):
            i = index[future.key]
            try:
                results[i] = future.result()
            except Exception as err:
                results[i] = RunResult(
                    runs[i].name, None, f"the dask worker failed: {type(err).__name__}: {err}"
                )
            on_done(len(results), len(runs), results[i])
        return [results[i] for i in range(len(runs))]
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


@contextmanager
def _display(total: int, shown: bool) -> Iterator[OnDone]:
    """A rich bar of the runs done and left on a terminal, a plain line per run in a pipe
    or a log, nothing when not ``shown``."""
    if not shown or total == 0:
        yield lambda done, total, result: None
    elif sys.stderr.isatty():
        with _bar(total) as show:
            yield show
    else:
        yield _line


def _line(done: int, total: int, result: RunResult) -> None:
    outcome = "done" if result.ok else "failed"
    emit(f"  run {done} of {total} {outcome}: {result.name} ({result.wall_s:.1f} s)", err=True)


@contextmanager
def _bar(total: int) -> Iterator[OnDone]:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    progress = Progress(
        TextColumn("{task.description:<12}"),
        BarColumn(bar_width=30),
        MofNCompleteColumn(),
        TextColumn("runs"),
        TimeElapsedColumn(),
        TextColumn("{task.fields[last]}"),
        console=Console(stderr=True),
        transient=True,  # the results table replaces it
    )
    task = progress.add_task("Solving", total=total, last="")

    def show(done: int, total: int, result: RunResult) -> None:
        last = result.name if result.ok else f"{result.name} failed"
        progress.update(task, completed=done, last=last)

    with progress:
        yield show
