"""The benchmark runner: ``python -m benchmarks.run [options]`` (see benchmarks/README.md).

Every instance of the ladder is solved by three methods — ``cp-sat`` (our model,
:func:`scheduler.model.solve`), ``greedy`` (:mod:`benchmarks.greedy`) and ``textbook``
(:mod:`benchmarks.textbook`) — each in a fresh process started with ``spawn``, so the peak
resident memory a process reports is that run's own. A CP-SAT model cannot be pickled: the
worker receives the instance's name and rebuilds the clinic from the ladder's parameters.
Every schedule goes through the independent checker. Results go to ``results.md`` (tables,
targets met or not with the figures, and the machine) and ``results.csv``.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import multiprocessing as mp
import os
import platform
import resource
import sys
import tempfile
import time
import traceback
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from benchmarks import ladder

METHODS: tuple[str, ...] = ("cp-sat", "greedy", "textbook")
# Swap pairs the probe tries per rung size before it stops and says so (None: all).
PROBE_MAX_PAIRS: dict[str, int | None] = {"XL": 20_000}
SMOKE_TIME_LIMIT_S = 5.0
# A fixed publication time so the exports are reproducible across runs.
PUBLISH_NOW = dt.datetime(2026, 1, 1, 12, 0, tzinfo=dt.UTC)


@dataclass
class Row:
    """One method on one instance. Empty (None) cells mean "not applicable / not found"."""

    instance: str
    size: str
    variant: str
    method: str
    status: str
    in_plan: int | None = None
    placed: int | None = None
    objective: float | None = None
    best_bound: float | None = None
    gap: float | None = None
    placed_bound: int | None = None  # proven upper bound on placeable patients (ours only)
    first_feasible_s: float | None = None
    total_s: float | None = None
    peak_mb: float | None = None
    start_mb: float | None = None  # the process's RSS before the instance was built
    checker: str = ""
    publish_s: float | None = None
    variables: int | None = None
    sites: str = ""  # per site "SITE placed/in plan", for multi-site instances
    # Issue 10: placement per priority class "name placed/patients≤proven_max" ("?" where
    # nothing was proven), "" when the schedule reports no classes; whether every class
    # placed its proven maximum (None: no classes reported).
    by_priority: str = ""
    classes_proven: bool | None = None
    # The model-free probe (scheduler.probe), ours only: unplaced patients insertable as
    # the schedule stands, and unplaced patients with a confirmed swap for a lower-priority
    # placed patient; what it tried and skipped; its running time.
    insertable: int | None = None
    inversions: int | None = None
    probe_s: float | None = None
    probe_note: str = ""
    group_sizes: str = ""  # group sessions by size, "2:5 3:7 …"
    note: str = ""
    progress: list[tuple[float, int]] = field(default_factory=list)  # (s, placed) per solution

    def reach_s(self, target: int) -> float | None:
        """Seconds until a solution placing at least ``target`` patients was found."""
        for t, n in self.progress:
            if n >= target:
                return t
        return None


# --------------------------------------------------------------------------------------
# The worker: runs one method on one instance in its own process.


def _rss_mb() -> float:
    # ru_maxrss is in kilobytes on Linux: the process's peak resident set so far.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _verdict(clinic: Any, schedule: Any) -> str:
    try:
        from scheduler.check import check_schedule
    except ImportError:
        return "n/a (no checker)"
    violations = check_schedule(clinic, schedule)
    if not violations:
        return "ok"
    counts = Counter(v.rule for v in violations)
    return (
        f"{len(violations)} violations ("
        + ", ".join(f"{rule}×{n}" for rule, n in sorted(counts.items()))
        + ")"
    )


def group_sizes(clinic: Any, schedule: Any) -> str:
    """Group sessions (group-block types) counted by their number of patients: "2:5 3:7"."""
    sizes = Counter(
        len(s.patients)
        for s in schedule.sessions
        if clinic.session_type_by_id[s.session_type].is_group
    )
    return " ".join(f"{size}:{n}" for size, n in sorted(sizes.items()))


def by_priority(schedule: Any) -> tuple[str, bool | None]:
    """Per priority class "name placed/patients≤max" and whether each placed its proven
    maximum; ("", None) while the schedule reports no classes."""
    classes = getattr(schedule.stats, "by_priority", ())
    if not classes:
        return "", None
    text = "; ".join(
        f"{c.name} {c.placed}/{c.patients}≤{'?' if c.proven_max is None else c.proven_max}"
        for c in classes
    )
    return text, all(c.proven_max is not None and c.placed == c.proven_max for c in classes)


def _fill_from_schedule(row: Row, clinic: Any, schedule: Any) -> None:
    placed = schedule.placed_patients
    row.placed = len(placed)
    row.group_sizes = group_sizes(clinic, schedule)
    row.by_priority, row.classes_proven = by_priority(schedule)
    st = schedule.stats
    row.objective = st.objective
    row.best_bound = st.best_bound
    row.gap = st.gap
    row.placed_bound = st.placed_bound
    if len(clinic.sites) > 1:
        from benchmarks.greedy import in_plan

        parts = []
        for site in clinic.sites:
            mine = [p for p in clinic.patients if p.site == site.id and in_plan(clinic, p)]
            got = sum(1 for p in mine if p.id in placed)
            parts.append(f"{site.id} {got}/{len(mine)}")
        row.sites = "; ".join(parts)
    row.checker = _verdict(clinic, schedule)


def _run_cpsat(row: Row, clinic: Any, args: dict[str, Any]) -> None:
    try:
        from scheduler.model import SolveOptions, solve
    except ImportError as exc:
        row.status = "unavailable"
        row.note = f"scheduler.model not importable ({exc})"
        return
    started = time.perf_counter()

    def on_progress(event: Any) -> None:
        # Our own clock (from before the model is built) so all methods compare alike.
        placed = getattr(event, "placed", None)
        if placed is not None:
            row.progress.append((time.perf_counter() - started, int(placed)))

    options = SolveOptions(
        time_limit_s=args["time_limit_s"], seed=args["seed"], workers=args["workers"]
    )
    schedule = solve(clinic, options, on_progress)
    row.total_s = time.perf_counter() - started
    row.status = schedule.stats.status
    row.first_feasible_s = row.progress[0][0] if row.progress else None
    if row.first_feasible_s is None and schedule.stats.first_solution_s is not None:
        row.first_feasible_s = schedule.stats.first_solution_s
    _fill_from_schedule(row, clinic, schedule)
    if row.placed is not None and not any(n >= row.placed for _, n in row.progress):
        row.progress.append((row.total_s, row.placed))
    if row.checker == "ok":
        _probe(row, clinic, schedule, args)
    if args["publish"]:
        _publish(row, clinic, schedule)


def _probe(row: Row, clinic: Any, schedule: Any, args: dict[str, Any]) -> None:
    """Insertions and priority inversions by the model-free probe. At XL the swap search is
    capped (``PROBE_MAX_PAIRS``); the row says how many pairs went untried."""
    from scheduler.probe import probe

    started = time.perf_counter()
    result = probe(
        clinic,
        schedule,
        max_pairs=PROBE_MAX_PAIRS.get(row.size),
        # One confirmed swap per patient is enough to count them as inverted.
        swaps_per_patient=1,
    )
    row.probe_s = time.perf_counter() - started
    row.insertable = len(result.insertions)
    row.inversions = len(result.inverted_patients)
    parts = [f"{result.tried} unplaced tried", f"{result.pairs_tried} swap pairs tried"]
    if result.skipped_pairs:
        parts.append(f"{result.skipped_pairs} pairs skipped")
    if result.capped:
        parts.append(f"{result.capped} searches out of budget")
    if result.rejected:
        parts.append(f"{result.rejected} finds refused by the checker (not counted)")
    row.probe_note = "; ".join([", ".join(parts), *result.notes])


def _publish(row: Row, clinic: Any, schedule: Any) -> None:
    try:
        from scheduler.exports import publish
    except ImportError as exc:
        row.note = (row.note + "; " if row.note else "") + f"no publish ({exc})"
        return
    with tempfile.TemporaryDirectory(prefix="bench-publish-") as out:
        started = time.perf_counter()
        publish(clinic, schedule, Path(out), now=PUBLISH_NOW)
        row.publish_s = time.perf_counter() - started


def _run_greedy(row: Row, clinic: Any, args: dict[str, Any]) -> None:
    from benchmarks.greedy import greedy_schedule

    started = time.perf_counter()
    schedule = greedy_schedule(clinic)
    row.total_s = time.perf_counter() - started
    row.first_feasible_s = row.total_s
    row.status = "DONE"
    _fill_from_schedule(row, clinic, schedule)
    row.best_bound = row.gap = None  # a heuristic proves no bound
    row.progress = [(row.total_s, row.placed or 0)]


def _run_textbook(row: Row, clinic: Any, args: dict[str, Any]) -> None:
    from benchmarks.textbook import SKIPPED_RULES, TooLarge, textbook_schedule

    row.note = f"skips {SKIPPED_RULES}"
    try:
        result = textbook_schedule(
            clinic,
            time_limit_s=args["time_limit_s"],
            seed=args["seed"],
            workers=args["workers"],
            max_variables=args["max_vars"],
        )
    except TooLarge as exc:
        row.status = "skipped"
        row.variables = exc.variables
        row.note = f"not built: {exc} (memory)"
        return
    row.variables = result.variables
    row.total_s = result.build_s + result.solve_s
    row.progress = list(result.progress)
    row.first_feasible_s = result.progress[0][0] if result.progress else None
    row.note += f"; build {result.build_s:.1f} s"
    if result.schedule is None:
        row.status = "timeout/no solution" if result.status == "UNKNOWN" else result.status
        return
    row.status = result.status
    _fill_from_schedule(row, clinic, result.schedule)


_RUNNERS: dict[str, Callable[[Row, Any, dict[str, Any]], None]] = {
    "cp-sat": _run_cpsat,
    "greedy": _run_greedy,
    "textbook": _run_textbook,
}


def run_one(instance_name: str, method: str, args: dict[str, Any]) -> dict[str, Any]:
    """Run ``method`` on the ladder instance; a plain dict so it crosses processes."""
    inst = ladder.by_name(instance_name)
    row = Row(inst.name, inst.size, inst.variant, method, status="error")
    row.start_mb = _rss_mb()
    try:
        clinic = inst.build()
        from benchmarks.greedy import in_plan

        row.in_plan = sum(1 for p in clinic.patients if in_plan(clinic, p))
        _RUNNERS[method](row, clinic, args)
    except Exception as exc:  # a benchmark reports a failure, it does not stop the ladder
        row.status = "error"
        row.note = f"{type(exc).__name__}: {exc}"
        traceback.print_exc()
    row.peak_mb = _rss_mb()
    return asdict(row)


def run_isolated(instance_name: str, method: str, args: dict[str, Any], timeout_s: float) -> Row:
    """``run_one`` in a fresh spawned process (its own peak memory; killed on timeout)."""
    ctx = mp.get_context("spawn")
    inst = ladder.by_name(instance_name)
    with ctx.Pool(processes=1, maxtasksperchild=1) as pool:
        pending = pool.apply_async(run_one, (instance_name, method, args))
        try:
            data = pending.get(timeout=timeout_s)
        except mp.TimeoutError:
            return Row(
                inst.name,
                inst.size,
                inst.variant,
                method,
                status="killed",
                note=f"no answer within {timeout_s:.0f} s (process stopped)",
            )
    data["progress"] = [tuple(x) for x in data["progress"]]
    return Row(**data)


# --------------------------------------------------------------------------------------
# Targets.


@dataclass(frozen=True)
class Target:
    name: str
    met: bool | None  # None: not run in this invocation
    figure: str


def _rows(rows: Sequence[Row], method: str, size: str | None = None) -> list[Row]:
    return [r for r in rows if r.method == method and (size is None or r.size == size)]


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.2%}"


def _s(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.1f} s"


def _solved(r: Row) -> bool:
    return r.status in ("OPTIMAL", "FEASIBLE") and r.checker == "ok"


def evaluate_targets(rows: Sequence[Row]) -> list[Target]:
    """The issue's targets, each met or not, with the figures behind the verdict."""
    out: list[Target] = []

    m_rows = _rows(rows, "cp-sat", "M")
    out.append(
        Target(
            "M: every placeable patient placed, proven optimal (gap 0) in ≤ 10 s",
            all(
                _solved(r)
                and r.status == "OPTIMAL"
                and (r.gap or 0) == 0
                and (r.total_s or 1e9) <= 10
                for r in m_rows
            )
            if m_rows
            else None,
            "; ".join(
                f"{r.instance}: {r.placed}/{r.in_plan} placed (at most {r.placed_bound} "
                f"placeable), {r.status}, gap {_pct(r.gap)}, {_s(r.total_s)}, "
                f"checker {r.checker}"
                for r in m_rows
            )
            or "not run",
        )
    )

    l_rows = _rows(rows, "cp-sat", "L")
    out.append(
        Target(
            "L: gap ≤ 1 % in ≤ 60 s; peak memory ≤ 1 GB",
            all(
                _solved(r)
                and r.gap is not None
                and r.gap <= 0.01
                and (r.total_s or 1e9) <= 60
                and (r.peak_mb or 1e9) <= 1024
                for r in l_rows
            )
            if l_rows
            else None,
            "; ".join(
                f"{r.instance}: gap {_pct(r.gap)}, {_s(r.total_s)}, peak {r.peak_mb or 0:.0f} MB, "
                f"checker {r.checker}"
                for r in l_rows
            )
            or "not run",
        )
    )

    xl_rows = _rows(rows, "cp-sat", "XL")

    def every_site(r: Row) -> bool:
        """Every site with patients in the plan has some of them placed."""
        if not r.sites:
            return False
        for part in r.sites.split("; "):
            got, of = part.rsplit(" ", 1)[1].split("/")
            if int(of) > 0 and int(got) == 0:
                return False
        return True

    out.append(
        Target(
            "XL: every site solved, ≤ 5 min in all, with a proven bound on placements",
            all(
                _solved(r)
                and (r.total_s or 1e9) <= 300
                and r.placed_bound is not None
                and every_site(r)
                for r in xl_rows
            )
            if xl_rows
            else None,
            "; ".join(
                f"{r.instance}: {r.status}, {_s(r.total_s)}, {r.placed}/{r.in_plan} placed, "
                f"at most {r.placed_bound} placeable (proven for the whole clinic: each site "
                f"relaxed with every shared therapist and room), sites [{r.sites}], "
                f"checker {r.checker}"
                for r in xl_rows
            )
            or "not run",
        )
    )

    tight = sorted({r.instance for r in rows if r.variant == "tight"})
    pairs = []
    for name in tight:
        ours = next((r for r in rows if r.instance == name and r.method == "cp-sat"), None)
        greedy = next((r for r in rows if r.instance == name and r.method == "greedy"), None)
        if ours is not None and greedy is not None:
            pairs.append((name, ours, greedy))
    if pairs:
        at_least = all(_solved(o) and (o.placed or 0) >= (g.placed or 0) for _, o, g in pairs)
        strictly = sum(1 for _, o, g in pairs if (o.placed or 0) > (g.placed or 0))
        met: bool | None = at_least and strictly * 2 > len(pairs)
        figure = "; ".join(f"{n}: {o.placed} vs greedy {g.placed}" for n, o, g in pairs)
        figure += f" — strictly more on {strictly} of {len(pairs)}"
    else:
        met, figure = None, "no tight instance run"
    out.append(
        Target(
            "Tight: at least as many placed as greedy on all, strictly more on most",
            met,
            figure,
        )
    )

    speed = [s for name in tight if (s := _speedup(rows, name)) is not None]
    out.append(
        Target(
            "Tight: ≥ 10× faster than the textbook formulation to reach the same placements",
            all(ok for ok, _ in speed) if speed else None,
            "; ".join(fig for _, fig in speed) or "no tight instance run",
        )
    )

    pub = [r for r in xl_rows if r.publish_s is not None or r.status in ("OPTIMAL", "FEASIBLE")]
    out.append(
        Target(
            "Writing the XL schedule's workbook and all feeds: ≤ 60 s",
            all(r.publish_s is not None and r.publish_s <= 60 for r in pub) if pub else None,
            "; ".join(f"{r.instance}: {_s(r.publish_s)}" for r in pub) or "not run",
        )
    )
    out.extend(issue10_targets(rows))
    return out


# Issue 10: seconds within which placement must be proven optimal, per target size.
PROVEN_PLACEMENT_S: dict[str, float] = {"S": 2.0, "M": 10.0, "L": 60.0, "XL": 300.0}


def _placement_proven(r: Row) -> bool:
    """Placed = proven maximum: per priority class where the schedule reports classes,
    else in total against the proven bound."""
    if not _solved(r):
        return False
    if r.classes_proven is not None:
        return r.classes_proven
    return r.placed is not None and r.placed == r.placed_bound


def _limit(r: Row) -> float:
    return PROVEN_PLACEMENT_S[ladder.TARGET_SIZE.get(r.size, r.size)]


def issue10_targets(rows: Sequence[Row]) -> list[Target]:
    """Issue 10's targets. Times are to the end of the solve: the runner does not see when
    placement was proven, so a solve that proves it early and then works on quality for
    the rest of its limit is judged by its whole time (conservative)."""
    ours = _rows(rows, "cp-sat")
    out: list[Target] = []
    out.append(
        Target(
            "Issue 10: placement proven optimal (placed = proven maximum, per priority class "
            "where reported) on every rung: S ≤ 2 s, M (and C-over) ≤ 10 s, L ≤ 60 s, "
            "XL ≤ 5 min",
            all(_placement_proven(r) and (r.total_s or 1e9) <= _limit(r) for r in ours)
            if ours
            else None,
            "; ".join(
                f"{r.instance}: {r.placed}/{r.placed_bound} placed/proven"
                + (f" [{r.by_priority}]" if r.by_priority else " [classes —]")
                + f", {_s(r.total_s)} (limit {_limit(r):g} s)"
                for r in ours
            )
            or "not run",
        )
    )
    probed = [r for r in ours if r.insertable is not None]
    out.append(
        Target(
            "Issue 10: 0 insertable unplaced patients and 0 priority inversions on every rung",
            (
                len(probed) == len(ours)
                and all(r.insertable == 0 and r.inversions == 0 for r in probed)
            )
            if ours
            else None,
            "; ".join(
                f"{r.instance}: "
                + (
                    "not probed (no valid schedule)"
                    if r.insertable is None
                    else f"{r.insertable} insertable, {r.inversions} inverted ({r.probe_note})"
                )
                for r in ours
            )
            or "not run",
        )
    )
    xl = _rows(rows, "cp-sat", "XL")
    out.append(
        Target(
            "Issue 10: peak memory at XL ≤ 1 GB",
            all(r.peak_mb is not None and r.peak_mb <= 1024 for r in xl) if xl else None,
            "; ".join(f"{r.instance}: {r.peak_mb or 0:.0f} MB" for r in xl) or "not run",
        )
    )
    gaps: list[tuple[str, float, float]] = [("S", 0.0, 10.0), ("M", 0.05, 10.0), ("L", 0.10, 60.0)]
    for size, gap, secs in gaps:
        sized = _rows(rows, "cp-sat", size)
        want = "proven optimal" if gap == 0 else f"gap ≤ {gap:.0%}"
        out.append(
            Target(
                f"Issue 10: quality {size}: {want} in ≤ {secs:g} s"
                + (" (the sample clinic is not on the ladder)" if size == "S" else ""),
                all(
                    _solved(r)
                    and r.gap is not None
                    and r.gap <= gap + 1e-9
                    and (gap > 0 or r.status == "OPTIMAL")
                    and (r.total_s or 1e9) <= secs
                    for r in sized
                )
                if sized
                else None,
                "; ".join(
                    f"{r.instance}: {r.status}, gap {_pct(r.gap)}, {_s(r.total_s)}" for r in sized
                )
                or "not run",
            )
        )
    return out


def _speedup(rows: Sequence[Row], name: str) -> tuple[bool, str] | None:
    ours = next((r for r in rows if r.instance == name and r.method == "cp-sat"), None)
    tb = next((r for r in rows if r.instance == name and r.method == "textbook"), None)
    if ours is None or tb is None or ours.status == "unavailable":
        return None
    if ours.placed is None:
        return False, f"{name}: cp-sat found no solution ({ours.status})"
    if tb.status == "skipped":
        return True, f"{name}: textbook too large to build ({tb.variables:,} variables)"
    if not tb.progress or tb.placed is None:
        reached = ours.reach_s(ours.placed or 0)
        return True, (
            f"{name}: textbook found no solution in {_s(tb.total_s)} "
            f"(ours: {ours.placed} placed at {_s(reached)})"
        )
    target = tb.placed
    tb_time = tb.reach_s(target)
    our_time = ours.reach_s(target)
    if our_time is None or tb_time is None:
        return False, f"{name}: ours never reached textbook's {target} placed"
    ratio = tb_time / max(our_time, 1e-3)
    return ratio >= 10, (
        f"{name}: {target} placed — textbook {tb_time:.2f} s, ours {our_time:.2f} s ({ratio:.1f}×)"
    )


# --------------------------------------------------------------------------------------
# Reporting.


def machine_info(workers: int) -> dict[str, str]:
    cpu = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = "unknown"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GB"
    except OSError:
        pass
    try:
        from importlib.metadata import version

        ortools_version = version("ortools")
    except ImportError:
        ortools_version = "unknown"
    return {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": cpu,
        "cores": str(os.cpu_count()),
        "memory": mem,
        "workers": str(workers),
        "python": platform.python_version(),
        "ortools": ortools_version,
        "os": f"{platform.system()} {platform.release()}",
    }


def _cell(x: object, digits: int = 2) -> str:
    if x is None:
        return "—"
    if isinstance(x, float):
        return f"{x:.{digits}f}"
    return str(x)


def _ratio(a: float | int | None, b: float | int | None) -> str:
    if a is None or b is None or b == 0:
        return "—"
    return f"{a / b:.2f}"


def render_markdown(
    rows: Sequence[Row], targets: Sequence[Target], machine: dict[str, str], command: str
) -> str:
    lines = ["# Benchmark results", ""]
    lines.append(f"Command: `{command}`")
    lines.append("")
    lines.append("Machine: " + ", ".join(f"{k} {v}" for k, v in machine.items()))
    lines.append("")
    lines.append("## Instances")
    lines.append("")
    lines.append("| Instance | Shape |")
    lines.append("|---|---|")
    for name in dict.fromkeys(r.instance for r in rows):
        lines.append(f"| {name} | {ladder.by_name(name).describe()} |")
    lines.append("")
    lines.append("## Results")
    lines.append("")
    head = (
        "| Instance | Method | Status | Placed / in plan | Placeable ≤ | Objective | Bound | Gap "
        "| First feasible (s) | Total (s) | Peak MB | Checker | Publish (s) | Notes |"
    )
    lines.append(head)
    lines.append("|" + "---|" * (head.count("|") - 1))
    for r in rows:
        placed = "—" if r.placed is None else f"{r.placed} / {_cell(r.in_plan)}"
        note = r.note
        if r.sites:
            note = (note + "; " if note else "") + f"sites: {r.sites}"
        if r.variables is not None and r.status != "skipped":
            note = (note + "; " if note else "") + f"{r.variables:,} x-variables"
        lines.append(
            f"| {r.instance} | {r.method} | {r.status} | {placed} | {_cell(r.placed_bound)} "
            f"| {_cell(r.objective, 1)} "
            f"| {_cell(r.best_bound, 1)} | {_pct(r.gap) if r.gap is not None else '—'} "
            f"| {_cell(r.first_feasible_s)} | {_cell(r.total_s)} | {_cell(r.peak_mb, 0)} "
            f"| {r.checker or '—'} | {_cell(r.publish_s)} | {note} |"
        )
    lines.append("")
    lines.extend(_issue10_table(rows))
    lines.append("## Ratios (cp-sat against the baselines)")
    lines.append("")
    lines.append(
        "| Instance | Placed cp-sat / greedy | Placed cp-sat / textbook "
        "| Time to textbook's placements: textbook / cp-sat |"
    )
    lines.append("|---|---|---|---|")
    for name in dict.fromkeys(r.instance for r in rows):
        by = {r.method: r for r in rows if r.instance == name}
        ours, greedy, tb = by.get("cp-sat"), by.get("greedy"), by.get("textbook")
        speed = _speedup(rows, name)
        our_placed = None if ours is None else ours.placed
        lines.append(
            f"| {name} | {_ratio(our_placed, None if greedy is None else greedy.placed)} "
            f"| {_ratio(our_placed, None if tb is None else tb.placed)} "
            f"| {speed[1] if speed else '—'} |"
        )
    lines.append("")
    lines.append("## Targets (2 cores, 2 workers)")
    lines.append("")
    lines.append("| Target | Met | Figures |")
    lines.append("|---|---|---|")
    for t in targets:
        met = "not run" if t.met is None else ("met" if t.met else "NOT met")
        lines.append(f"| {t.name} | {met} | {t.figure} |")
    lines.append("")
    lines.append(
        "Notes: times are wall-clock from before the model is built; peak MB is the peak "
        "resident memory of the fresh process that ran the method (it includes the Python "
        "interpreter and OR-Tools, about the `start_mb` column of the CSV). Greedy proves "
        "no bound. The textbook formulation skips the rules named in its notes and reports "
        "honestly when it times out or is too large to build."
    )
    return "\n".join(lines) + "\n"


def _issue10_table(rows: Sequence[Row]) -> list[str]:
    """Issue 10's per-rung report for our schedules: placements per priority class, the
    model-free probe, and the group-size distribution."""
    lines = ["## Priority, probe and group sizes (cp-sat)", ""]
    lines.append(
        "| Instance | Placed per priority class (placed/patients≤proven max) | Insertable "
        "| Inverted | Probe (s) | Probe work | Group sizes (size:sessions) |"
    )
    lines.append("|---|---|---|---|---|---|---|")
    for r in _rows(rows, "cp-sat"):
        lines.append(
            f"| {r.instance} | {r.by_priority or '—'} | {_cell(r.insertable)} "
            f"| {_cell(r.inversions)} | {_cell(r.probe_s)} | {r.probe_note or '—'} "
            f"| {r.group_sizes or '—'} |"
        )
    lines.append("")
    lines.append(
        "Insertable: unplaced patients `scheduler.probe` can add to the schedule as it "
        "stands, moving nobody. Inverted: unplaced patients who could take the place of a "
        "placed patient of lower priority (`scheduler.rules.priority_key`). Every find is a "
        "whole schedule the checker accepted; the probe does not use the model."
    )
    lines.append("")
    return lines


_CSV_FIELDS = [f.name for f in fields(Row) if f.name != "progress"]


def write_csv(rows: Sequence[Row], path: Path) -> None:
    with path.open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=[*_CSV_FIELDS, "progress"])
        w.writeheader()
        for r in rows:
            d = {k: v for k, v in asdict(r).items() if k != "progress"}
            d["progress"] = " ".join(f"{t:.2f}:{n}" for t, n in r.progress)
            w.writerow(d)


# --------------------------------------------------------------------------------------
# Command line.


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__)
    ap.add_argument("--sizes", default=",".join(ladder.SIZES), help="e.g. S,M (C: C-over)")
    ap.add_argument("--variants", default=",".join(ladder.VARIANTS), help="tight,loose,over")
    ap.add_argument("--methods", default=",".join(METHODS), help="cp-sat,greedy,textbook")
    ap.add_argument(
        "--time-limit",
        type=float,
        default=None,
        help="seconds per solve (default per size: S/M/C 10, L 60, XL 300)",
    )
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, default=Path("benchmarks/results"))
    ap.add_argument(
        "--textbook-max-vars",
        type=int,
        default=1_000_000,
        help="skip the textbook model above this many x-variables (memory)",
    )
    ap.add_argument("--no-publish", action="store_true", help="do not time the exports")
    ap.add_argument(
        "--smoke", action="store_true", help=f"S-loose only, {SMOKE_TIME_LIMIT_S:g} s limits"
    )
    return ap.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    a = parse_args(argv)
    if a.smoke:
        a.sizes, a.variants = "S", "loose"
        a.time_limit = a.time_limit or SMOKE_TIME_LIMIT_S
    try:
        instances = ladder.select(a.sizes.split(","), a.variants.split(","))
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    methods = [m.strip() for m in a.methods.split(",") if m.strip()]
    bad = [m for m in methods if m not in METHODS]
    if bad:
        print(f"error: unknown method {bad}; use {', '.join(METHODS)}", file=sys.stderr)
        return 2
    rows: list[Row] = []
    for inst in instances:
        limit = a.time_limit or ladder.DEFAULT_TIME_LIMIT_S[inst.size]
        args = {
            "time_limit_s": limit,
            "seed": a.seed,
            "workers": a.workers,
            "max_vars": a.textbook_max_vars,
            "publish": not a.no_publish,
        }
        for method in methods:
            # Generation, model building, the checker and publishing come on top of the
            # solve; a process that has not answered by then is stopped and reported.
            timeout = 3 * limit + 600
            print(f"{inst.name:10} {method:9} …", end="", flush=True)
            row = run_isolated(inst.name, method, args, timeout)
            rows.append(row)
            print(
                f" {row.status}, placed {row.placed}/{row.in_plan}, {_cell(row.total_s)} s, "
                f"peak {_cell(row.peak_mb, 0)} MB, checker {row.checker or '—'}",
                flush=True,
            )
    targets = evaluate_targets(rows)
    a.out.mkdir(parents=True, exist_ok=True)
    command = "python -m benchmarks.run " + " ".join(sys.argv[1:] if argv is None else argv)
    machine = machine_info(a.workers)
    (a.out / "results.md").write_text(render_markdown(rows, targets, machine, command.strip()))
    write_csv(rows, a.out / "results.csv")
    print(f"wrote {a.out / 'results.md'} and {a.out / 'results.csv'}")
    for t in targets:
        met = "not run" if t.met is None else ("met" if t.met else "NOT met")
        print(f"  [{met}] {t.name}: {t.figure}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
