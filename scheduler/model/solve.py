"""Build the CP-SAT model, solve it and return a :class:`~scheduler.schedule.Schedule`.

The solve is lexicographic, in steps on one model, all budgeted in CP-SAT's deterministic
time (a work counter) so that the same input, seed and workers give the same timetable on
a busy machine as on an idle one; the wall clock is only a safety ceiling
(:class:`~scheduler.model.options.SolveOptions`), and a run it cuts says so.

1. Bound. A small relaxation (:mod:`scheduler.model.bound`) proves how few placement
   points any schedule can have; the bound enters phase one as a constraint, so phase
   one stops as soon as it reaches it rather than waiting out its budget.
2. Phase one: placement only, strictly by priority (:mod:`scheduler.model.objective`).
   A first-fit schedule (:mod:`scheduler.model.warmstart`) stands in when it places
   better. It is kept aside rather than hinted: as a hint it held the search near itself
   (ladder L-loose, 60 s: 290-299 placed with the hint, 316 without).
3. Repair (:mod:`scheduler.model.repair`): a small neighbourhood solved to optimality
   inserts every patient who fits as the schedule stands and swaps in higher-priority
   patients for lower ones.
3b. Minimal change, with a previous schedule only (:mod:`scheduler.model.stability`): the
   changes from it are minimised with the placement held, then held in phase two. The
   previous timetable, completed where it still holds, is also a phase-one candidate and
   the stage's hint, so unchanged input gives it back.
4. Phase two: quality, with the placement held, from phase one's decisions with every
   slack settled (``_settle``). It runs in rounds of deterministic time and ends when a
   round proves the optimum or improves nothing, instead of waiting out the limit; with
   the placement proven, its last part goes to one LP-guided worker that raises the bound
   (``_prove``). The reported bound is the better of phase two's and a floor from the
   relaxation (:func:`scheduler.model.bound.quality_floor`).

Why this shape, as measured (2 cores, 2 workers, a loaded machine): one weighted sum of
placement and comfort let comfort trade against new admissions and let new admissions
hold continuing patients' seats (issue 10); strict levels fix that by construction and
the tests show each level binding. Budgeting in deterministic time made two runs beside
busy-looping processes give byte-identical schedule.json (tests/test_model_priority.py).
Phase one without ``default_lp`` reached the sample's optimum placement in 2.9 s instead
of 12.3 s. Settling the slack before phase two took ladder M-loose's reported quality
from 6,761 to 862 in the same budget.

The reported objective and bound are phase two's, the quality of the timetable at the
placement found; placement is reported per priority class against its proven maximum
(``SolveStats.by_priority``). A clinic with several sites is solved site by site
(:mod:`scheduler.model.sites`).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence

from ortools.sat.python import cp_model

from scheduler import rules
from scheduler.domain import Clinic, Lock
from scheduler.explain import explain_unplaced, no_solution_reason, unmet_lock_reason
from scheduler.model.bound import quality_floor, relaxation_bounds
from scheduler.model.constraints import add_all
from scheduler.model.extract import extract_sessions
from scheduler.model.instance import SINGLE_KINDS, Instance
from scheduler.model.locks import Pin, pins
from scheduler.model.objective import add_objective, patient_costs, placed_bound
from scheduler.model.options import ModelInvalidError, ProgressEvent, SolveOptions
from scheduler.model.repair import placement_points, probe_guided, repair
from scheduler.model.stability import Stability, stability
from scheduler.model.values import all_values, set_hint
from scheduler.model.variables import Variables, make_variables
from scheduler.model.warmstart import complete_hint, warm_start
from scheduler.previous import carry_lineage, references
from scheduler.schedule import ClassPlacement, Schedule, Session, SolveStats, UnmetLock, Unplaced

Progress = Callable[[ProgressEvent], None]

#: Shares of the deterministic budget. What a step leaves unused passes to the next.
#: Completing the first-fit schedule to every variable (a solve with all choices fixed).
HINT_SHARE = 0.05
#: The relaxation's bounds. Ladder M-tight, 1 s: at most 79 placeable (phase one's LP: 105).
BOUND_SHARE = 0.1
#: Phase one (placement). A lost patient costs far more than any comfort, so placement gets
#: the largest share (earlier formulation, ladder M, 10 s, seeds 0-3, 0.5 → 0.7 of the time:
#: M-tight 69.5 → 72.0 placed on average, M-loose 90.5 → 94.25). With the bound, the hint,
#: the repair and the floor now taken out first, 0.6 left phase two 0.9 of 10 units on
#: ladder M-loose: one round, and a timetable no better than phase one's (small_groups
#: 3,720 seats short in 39 groups). Phase two now keeps at least :data:`PHASE_TWO_MIN`.
PHASE_ONE_SHARE = 0.45
#: The repair step (a small neighbourhood, usually proven in well under this).
REPAIR_SHARE = 0.05
#: Most rounds of the probe's finds after phase two (each round may open the next seat).
FINAL_PROBES = 3
#: The least share of the budget phase two gets, whatever the steps before it used.
PHASE_TWO_MIN = 0.3
#: The floor under the timetable's quality (:func:`scheduler.model.bound.quality_floor`).
QUALITY_FLOOR_SHARE = 0.05
#: Phase two's rounds: each round gets this share of what phase two has left (at least
#: ``MIN_ROUND``); phase two ends after a round that improves nothing.
ROUND_SHARE = 0.34
MIN_ROUND = 0.5
#: Share of phase two's time kept for the proof (:func:`_prove`) once placement is proven.
PROOF_SHARE = 0.4
#: Full-problem subsolvers left out of phase two (phase one keeps ``core``). Under
#: ``interleave_search`` every batch waits for its slowest task, and these (long LP solves,
#: restarts without learning) starve the neighbourhood searches that improve a schedule;
#: ``default_lp`` stays for the bound and ``core`` finds phase one's first placements.
#: Measured on the ladder's M rungs with a 5 s phase one: 94 placed instead of 82
#: (M-loose), 71 instead of 60 (M-tight).
PHASE_TWO_IGNORED = (
    "max_lp",
    "max_lp_sym",
    "core",
    "pseudo_costs",
    "reduced_costs",
    "quick_restart",
    "quick_restart_no_lp",
    "no_lp",
)
#: Phase one leaves out ``default_lp`` too: its root LP rounds count little deterministic
#: time for much wall time, and under ``interleave_search`` the whole batch waits for
#: them. Sample clinic, phase one alone, 6 units of deterministic time: optimal in 2.9 s
#: without it, 12.3 s with it; ladder M-tight: 473 placement points without it, no
#: placement at all within the budget with it. The bound comes from the relaxation.
PHASE_ONE_IGNORED = (*(x for x in PHASE_TWO_IGNORED if x != "core"), "default_lp")
_FOUND = (cp_model.OPTIMAL, cp_model.FEASIBLE)


class _Built:
    def __init__(
        self,
        clinic: Clinic,
        options: SolveOptions,
        off: frozenset[str],
        waivers: Clinic | None = None,
    ) -> None:
        self.inst = Instance(clinic, off, waivers)
        self.model = cp_model.CpModel()
        self.vars: Variables = make_variables(self.model, self.inst)
        add_all(self.model, self.inst, self.vars)


class _Clock:
    """The wall clock as a safety ceiling: how much of it is left, and whether it cut a
    solve short of its deterministic budget (then a re-run may differ)."""

    def __init__(self, options: SolveOptions) -> None:
        self.start = time.monotonic()
        self.end = self.start + options.ceiling_s
        self.cut = False

    def elapsed(self) -> float:
        return time.monotonic() - self.start

    def left(self) -> float:
        return max(self.end - time.monotonic(), 0.05)

    def note(self, solver: cp_model.CpSolver, status: int) -> None:
        p = solver.parameters
        work = solver.response_proto.deterministic_time
        if status not in (cp_model.OPTIMAL, cp_model.INFEASIBLE) and (
            solver.wall_time >= p.max_time_in_seconds * 0.99
            and work < p.max_deterministic_time * 0.99
        ):
            self.cut = True


class _Callback(cp_model.CpSolverSolutionCallback):
    def __init__(self, built: _Built, on_progress: Progress, clock: _Clock, phase: str) -> None:
        super().__init__()
        self._built = built
        self._on_progress = on_progress
        self._clock = clock
        self.phase = phase
        self.scale = 1
        self.first_solution_s: float | None = None
        self.bound_floor = -math.inf  # a bound already proven by an earlier solve

    def on_solution_callback(self) -> None:
        elapsed = self._clock.elapsed()
        if self.first_solution_s is None:
            self.first_solution_s = elapsed
        placed = sum(self.boolean_value(x) for x in self._built.vars.placed.values())
        self._on_progress(
            ProgressEvent(
                elapsed_s=elapsed,
                objective=self.objective_value / self.scale,
                best_bound=max(self.best_objective_bound, self.bound_floor) / self.scale,
                placed=int(placed),
                phase=self.phase,
            )
        )


def _solver(
    options: SolveOptions, clock: _Clock, deterministic: float, ignored: tuple[str, ...] = ()
) -> cp_model.CpSolver:
    solver = cp_model.CpSolver()
    p = solver.parameters
    p.max_time_in_seconds = clock.left()
    p.max_deterministic_time = max(deterministic, 0.05)
    p.random_seed = options.seed
    p.num_workers = options.workers
    # Deterministic parallel search: same input, seed and workers give the same schedule
    # whenever each step ends by optimality or by its deterministic limit. Reproducible
    # timetables cost some speed on small clinics: phase one on ladder S-tight reached 28
    # placed at 0.6-1.6 s free-running, 2.3-2.5 s interleaved (seeds 0-2, 2 workers).
    p.interleave_search = options.workers > 1
    p.log_search_progress = options.log
    if options.workers > 1:
        p.ignore_subsolvers.extend(ignored)
    return solver


def _run(
    built: _Built,
    solver: cp_model.CpSolver,
    clock: _Clock,
    callback: _Callback | None,
    model: cp_model.CpModel | None = None,
) -> int:
    model = model or built.model
    status = solver.solve(model, callback) if callback else solver.solve(model)
    if status == cp_model.MODEL_INVALID:
        message = model.validate()
        raise ModelInvalidError(f"CP-SAT rejected the model: {message[:500]}")
    clock.note(solver, int(status))
    return int(status)


def solve(
    clinic: Clinic,
    options: SolveOptions | None = None,
    on_progress: Progress | None = None,
    *,
    off: frozenset[str] = frozenset(),
    previous: Schedule | None = None,
) -> Schedule:
    """Schedule every week of the clinic's horizon.

    With ``previous`` (the last published schedule), each new week repeats a previous week
    and every change from it is priced, below placement and above comfort
    (:mod:`scheduler.model.stability`); groups keep their lineage.
    A clinic with patients at several sites is solved site by site when
    ``options.by_site`` (see :mod:`scheduler.model.sites`). ``off`` drops RULES.md rules
    and is for the tests only (each rule's test shows that its instance binds the rule).
    """
    options = options or SolveOptions()
    if options.by_site and not off:
        from scheduler.model.sites import solve_by_site, split_sites

        if len(split_sites(clinic)) > 1:
            schedule = solve_by_site(clinic, options, on_progress, solve_one, previous)
            return _with_topics(clinic, schedule, previous)
    schedule = solve_one(clinic, options, on_progress, off=off, previous=previous)
    return _with_topics(clinic, schedule, previous)


def _with_topics(clinic: Clinic, schedule: Schedule, previous: Schedule | None) -> Schedule:
    """Each cycled session's module (:mod:`scheduler.topics`), from the patients' progress
    carried in the previous schedule and its sessions before this horizon."""
    from scheduler.topics import assign_topics, topic_history

    return assign_topics(clinic, schedule, topic_history(clinic, previous))


def solve_one(
    clinic: Clinic,
    options: SolveOptions,
    on_progress: Progress | None = None,
    *,
    off: frozenset[str] = frozenset(),
    waivers: Clinic | None = None,
    previous: Schedule | None = None,
) -> Schedule:
    """One model for the whole clinic, in the steps of the module docstring.

    ``waivers`` is the whole clinic when ``clinic`` is one site's view of it (W4/W5)."""
    clock = _Clock(options)
    built = _Built(clinic, options, off, waivers)
    inst, model, v = built.inst, built.model, built.vars
    objective = add_objective(model, inst, v, options.weights)
    _tie_pins(built)  # L1: locks are soft but first (objective.placement)
    stab = stability(inst, v, previous) if previous is not None else None
    work = options.work
    budget = _Budget(work)

    def callback(phase: str) -> _Callback | None:
        return _Callback(built, on_progress, clock, phase) if on_progress else None

    # 1. Bound: no schedule has fewer placement points; phase one stops on reaching it.
    costs = patient_costs(inst)
    relax = relaxation_bounds(inst, costs, clock.left(), BOUND_SHARE * work, options.seed)
    budget.spend(BOUND_SHARE * work)
    if relax.points > 0:
        model.add(objective.placement >= relax.points)

    # 2. Phase one: placement. Skipped when the first-fit schedule reaches the bound.
    model.minimize(objective.placement)
    partial = warm_start(inst, v)
    best = math.inf
    values: dict[int, int] = {}
    if partial is not None:
        hint_work = min(max(HINT_SHARE * work, 1.0), 10.0)
        warm = complete_hint(model, partial, hint_work, clock.left())
        if warm is not None:
            best = sum(c for pid, c in costs.items() if warm[v.placed[pid].index] == 0)
            values = warm
    if stab is not None:
        # The previous timetable, where it still holds, is a candidate too (ties go to it).
        kept = complete_hint(model, stab.partial, max(HINT_SHARE * work, 1.0), clock.left())
        if kept is not None:
            points = placement_points(v, costs, kept, objective.lock_weight)
            if points <= best:
                best, values = points, kept
    budget.spend(HINT_SHARE * work)
    lower = relax.points
    first_solution = None
    if best > lower:
        solver = _solver(
            options,
            clock,
            budget.until(BOUND_SHARE + HINT_SHARE + PHASE_ONE_SHARE),
            PHASE_ONE_IGNORED,
        )
        cb1 = callback("placement")
        status1 = _run(built, solver, clock, cb1)
        budget.spend(solver.response_proto.deterministic_time)
        if status1 in _FOUND:
            lower = max(lower, math.ceil(solver.best_objective_bound - 1e-6))
            if round(solver.objective_value) < best:
                best, values = round(solver.objective_value), all_values(model, solver)
                first_solution = cb1.first_solution_s if cb1 else None
        elif not values:
            return _no_schedule(clinic, built, options, off, status1, clock)
    # 3. Repair: insertions and swaps by priority, proven within their neighbourhood.
    if best > lower:
        fixed = repair(
            model,
            inst,
            v,
            costs,
            values,
            lambda limit: _solver(options, clock, limit),
            budget.until(BOUND_SHARE + HINT_SHARE + PHASE_ONE_SHARE + REPAIR_SHARE),
            objective.lock_weight,
        )
        budget.spend(fixed.work)
        if fixed.points < best:
            best, values = fixed.points, fixed.values
    # 3b. Minimal change: the fewest changes from the previous schedule, placement held.
    if stab is not None:
        values = _keep_previous(
            built, options, clock, budget, stab, values, (objective.placement, best), callback
        )
        best = min(best, placement_points(v, costs, values, objective.lock_weight))
    placement_proven = best <= lower
    # Placement points without the unmet locks' (the patients' points alone).
    dropped = int(best) // objective.lock_weight * objective.lock_weight

    # A floor under the quality of any schedule placing as well (the staff-time terms
    # minimised over the relaxation): phase two's LP alone proved 0 on ladder M.
    floor = quality_floor(
        inst,
        costs,
        int(best) - dropped,
        options.weights.as_dict(),
        clock.left(),
        QUALITY_FLOOR_SHARE * work,
        options.seed,
    )
    budget.spend(QUALITY_FLOOR_SHARE * work)

    # 4. Phase two: quality, the placement held.
    model.add(objective.placement <= int(best))
    model.minimize(objective.total)
    quality = _improve(
        built, options, clock, budget, values, placement_proven, callback, objective.scale
    )
    solver2 = quality.solver
    if solver2 is None:
        solver2 = _read_back(built, options, clock, values)
    elif not placement_proven:
        # Phase two may trade one patient for another of the same priority and so open a
        # seat (ladder L-loose: 3 insertable, 4 swaps found by the probe afterwards): the
        # probe's finds get their neighbourhoods once more, on the final timetable.
        final = all_values(model, solver2)
        after = final
        for _ in range(FINAL_PROBES):
            found, _, spent = probe_guided(
                model,
                inst,
                v,
                costs,
                after,
                lambda limit: _solver(options, clock, limit),
                max(REPAIR_SHARE * work, 1.0),
                objective.lock_weight,
            )
            budget.spend(spent)
            if found is after:  # nobody came in: the probe finds nothing the model can do
                break
            after = found
        if after is not final:
            solver2 = _read_back(built, options, clock, _settle(built, options, clock, after))
    scale = objective.scale
    refs = (
        references(previous, clinic.settings.week_start, clinic.settings.weeks)
        if previous
        else None
    )
    sessions = extract_sessions(inst, v, lambda x: bool(solver2.boolean_value(x)), refs)
    sessions = carry_lineage(sessions, previous, clinic.settings.week_start, clinic.settings.weeks)
    terms = {t.name: solver2.value(t.expr) / t.divisor for t in objective.terms}
    if stab is not None:
        terms |= {name: float(solver2.value(expr)) for name, expr in stab.terms().items()}
    placed = {p for s in sessions for p in s.patients}
    unplaced = tuple(
        Unplaced(pid, explain_unplaced(clinic, sessions, pid, inst.patients[pid].blockers))
        for pid in inst.patients
        if pid not in placed
    )
    value = solver2.objective_value / scale
    # Every quality term counts something, so 0 bounds them all (a round's early bound can
    # be below it).
    bound_points = max(quality.bound, 0.0) if math.isfinite(quality.bound) else 0.0
    bound_points = max(bound_points, float(floor))
    # The placement bounds below are the patients' points at the number of locks kept.
    lower = max(lower - dropped, 0)
    count = min(placed_bound(costs, best - dropped if placement_proven else lower), relax.count)
    stats = SolveStats(
        status="OPTIMAL" if placement_proven and quality.optimal else "FEASIBLE",
        objective=value,
        best_bound=min(bound_points / scale, value),
        wall_time_s=clock.elapsed(),
        seed=options.seed,
        workers=options.workers,
        time_limit_s=options.time_limit_s,
        terms=terms,
        first_solution_s=first_solution,
        placed_bound=max(count, len(placed)),
        by_priority=_by_priority(inst, costs, placed, placement_proven, lower, relax.count),
        clock_cut=clock.cut,
    )
    return Schedule(
        week_start=clinic.settings.week_start,
        weeks=clinic.settings.weeks,
        sessions=tuple(sessions),
        unplaced=unplaced,
        stats=stats,
        starting_later=tuple(inst.starting_later),
        unmet_locks=_unmet_locks(
            clinic,
            lambda: _Built(clinic, options, off, waivers),
            sessions,
            [x for x, lit in v.lock_ok.items() if not solver2.boolean_value(lit)],
            options,
            placement_proven,
        ),
    )


#: The minimal-change stage's share of the budget, with what phase one and the repair
#: left (the stage ends when it proves its optimum). Sample clinic, 10 s, one therapist off
#: for a day: with 1.5 units the stage stopped at 412 points (bound 45) and moved a group
#: the absence did not touch; with 2.9 it proved 138, every change inside the absence.
STABILITY_SHARE = 0.2


def _keep_previous(
    built: _Built,
    options: SolveOptions,
    clock: _Clock,
    budget: _Budget,
    stab: Stability,
    values: dict[int, int],
    placement: tuple[cp_model.LinearExprT, float],
    callback: Callable[[str], _Callback | None],
) -> dict[int, int]:
    """Minimise the changes from the previous schedule with the placement held, then hold
    the changes found while comfort is minimised (:mod:`scheduler.model.stability`)."""
    model = built.model
    w = options.change_weights
    change = stab.expr(w.moved, w.leader, w.room)
    model.add(placement[0] <= int(placement[1]))
    model.minimize(change)
    # Start from the previous timetable where it still holds, phase one's elsewhere.
    set_hint(model, values | {x.index: val for x, val in stab.partial.items()})
    shares = BOUND_SHARE + HINT_SHARE + PHASE_ONE_SHARE + REPAIR_SHARE + STABILITY_SHARE
    solver = _solver(options, clock, budget.until(shares), PHASE_TWO_IGNORED)
    status = _run(built, solver, clock, callback("stability"))
    budget.spend(solver.response_proto.deterministic_time)
    if status in _FOUND:
        values = all_values(model, solver)
    model.add(change <= stab.changes(values, w.moved, w.leader, w.room))
    return values


class _Budget:
    """The deterministic budget: each step may use its share plus what earlier steps left."""

    def __init__(self, work: float) -> None:
        self.work = work
        self.used = 0.0

    def spend(self, amount: float) -> None:
        self.used += amount

    def until(self, share: float) -> float:
        """What is left for a step that ends at ``share`` of the whole budget."""
        return max(share * self.work - self.used, 0.05)

    def left(self) -> float:
        return max(self.work - self.used, 0.05)


class _Quality:
    def __init__(self) -> None:
        self.solver: cp_model.CpSolver | None = None
        self.bound = -math.inf
        self.optimal = False


def _improve(
    built: _Built,
    options: SolveOptions,
    clock: _Clock,
    budget: _Budget,
    values: dict[int, int],
    placement_proven: bool,
    callback: Callable[[str], _Callback | None],
    scale: int,
) -> _Quality:
    """Phase two in rounds: each round starts from the best schedule so far; the phase ends
    when a round proves the optimum or improves nothing, or the budget is spent. With the
    placement proven, the last :data:`PROOF_SHARE` goes to :func:`_prove`."""
    out = _Quality()
    model = built.model
    values = _settle(built, options, clock, values)
    left = max(budget.left(), PHASE_TWO_MIN * budget.work)
    search = left * (1 - PROOF_SHARE if placement_proven else 1.0)
    best = math.inf
    cb = callback("quality")
    if cb is not None:
        cb.scale = scale
    while search > 0.05:
        set_hint(model, values)
        solver = _solver(options, clock, max(MIN_ROUND, ROUND_SHARE * search), PHASE_TWO_IGNORED)
        status = _run(built, solver, clock, cb)
        spent = solver.response_proto.deterministic_time
        search -= spent
        budget.spend(spent)
        if status not in _FOUND:
            break
        out.bound = max(out.bound, solver.best_objective_bound)
        improved = solver.objective_value < best - 0.5
        if improved or out.solver is None:
            best, out.solver = solver.objective_value, solver
            values = all_values(model, solver)
        if status == cp_model.OPTIMAL:
            out.optimal = True
            return out
        if not improved:
            break
    proof_budget = _Budget(left * PROOF_SHARE)
    if out.solver is not None and placement_proven and proof_budget.left() > 0.1:
        set_hint(model, values)
        proof = callback("proof")
        if proof is not None:
            proof.bound_floor, proof.scale = out.bound, scale
        solver, optimal, bound = _prove(built, options, clock, proof_budget, out.solver, proof)
        budget.spend(proof_budget.used)
        out.solver, out.optimal, out.bound = solver, optimal, max(out.bound, bound)
    return out


def _settle(
    built: _Built, options: SolveOptions, clock: _Clock, values: dict[int, int]
) -> dict[int, int]:
    """``values`` with every auxiliary variable (a term's slack, a day indicator) at its
    best for the decisions held: phase one never priced them, and a hint that carries
    phase one's slack (ladder M-loose: 3,720 seats short in 39 groups) is where phase two's
    first round starts. The decisions are fixed, so presolve settles the rest at once."""
    v = built.vars
    decisions = [
        x.index
        for group in (v.placed, v.attend, v.room, v.co, v.lead, v.single, v.sroom, v.slead)
        for x in group.values()
    ]
    model = built.model
    model.clear_hints()  # type: ignore[no-untyped-call]
    for i in decisions:
        model.add_hint(model.get_int_var_from_proto_index(i), values[i])
    solver = _solver(options, clock, 5.0)
    solver.parameters.num_workers = 1
    solver.parameters.fix_variables_to_their_hinted_value = True
    if _run(built, solver, clock, None) not in _FOUND:
        return values
    return all_values(model, solver)


def _read_back(
    built: _Built, options: SolveOptions, clock: _Clock, values: dict[int, int]
) -> cp_model.CpSolver:
    """Phase two found nothing in its budget: read the placement's schedule back through
    the model with every variable fixed to it."""
    set_hint(built.model, values)
    solver = _solver(options, clock, 10.0)
    solver.parameters.fix_variables_to_their_hinted_value = True
    # Reading back is not search: it may finish after the ceiling rather than lose the work.
    solver.parameters.max_time_in_seconds = max(clock.left(), 60.0)
    if _run(built, solver, clock, None) not in _FOUND:
        raise RuntimeError("internal error: the placement's schedule does not satisfy phase two")
    return solver


def _by_priority(
    inst: Instance,
    costs: dict[str, int],
    placed: set[str],
    proven: bool,
    lower: float,
    count: int,
) -> tuple[ClassPlacement, ...]:
    """Placement per priority class against its proven maximum (RULES.md P3).

    With the placement proven optimal, each class placed the most it can while every
    higher class keeps its placements (the weights are lexicographic; where admission dates
    had to share a level, only the classes above the first shared level are proven). Not
    proven, the top class's maximum still follows from the proven lower bound on placement
    points: what the lower classes can cost at most leaves the rest to the top class."""
    clinic = inst.clinic
    members: dict[tuple[int, object], list[str]] = {}
    for pid, info in inst.patients.items():
        members.setdefault(rules.priority_key(clinic, info.patient), []).append(pid)
    out: list[ClassPlacement] = []
    exact = True
    for i, key in enumerate(sorted(members)):
        pids = members[key]
        weight = {costs[p] for p in pids}
        exact = (
            exact
            and len(weight) == 1
            and all(costs[p] != costs[pids[0]] for k in members if k != key for p in members[k])
        )
        n_placed = sum(p in placed for p in pids)
        best: int | None = None
        if proven and exact:
            best = n_placed
        elif i == 0 and exact:
            rest = sum(c for p, c in costs.items() if p not in pids)
            w = costs[pids[0]]
            must_miss = max(0, math.ceil((lower - rest) / w - 1e-9))
            best = max(n_placed, min(len(pids) - must_miss, count))
        label = rules.priority_label(clinic, inst.patients[pids[0]].patient)
        out.append(ClassPlacement(label, len(pids), n_placed, best))
    return tuple(out)


def _prove(
    built: _Built,
    options: SolveOptions,
    clock: _Clock,
    budget: _Budget,
    found: cp_model.CpSolver,
    callback: _Callback | None,
) -> tuple[cp_model.CpSolver, bool, float]:
    """Phase two's last stretch: one worker with the full linear relaxation (CP-SAT's
    ``max_lp``), hinted with the best schedule so far. Interleaved, that worker starves the
    neighbourhood searches; alone, its cuts and LP-guided dives raise the bound and often
    find a better schedule too. Sample clinic (`make run`, 60 s): bound 108 → 175, gap
    50.7 % → 21.5 %.

    Returns the solver holding the better schedule, whether the proof closed, and the
    better of the two bounds."""
    solver = _solver(options, clock, budget.left())
    solver.parameters.num_workers = 1
    solver.parameters.linearization_level = 2
    status = _run(built, solver, clock, callback)
    budget.spend(solver.response_proto.deterministic_time)
    if status == cp_model.OPTIMAL:
        return solver, True, solver.best_objective_bound
    bound = found.best_objective_bound
    if status == cp_model.FEASIBLE:  # UNKNOWN's bound may be a placeholder from presolve
        bound = max(bound, solver.best_objective_bound)
    better = status == cp_model.FEASIBLE and solver.objective_value < found.objective_value
    return (solver if better else found), False, bound


def _name(status: object) -> str:
    names = {
        int(cp_model.OPTIMAL): "OPTIMAL",
        int(cp_model.FEASIBLE): "FEASIBLE",
        int(cp_model.INFEASIBLE): "INFEASIBLE",
    }
    return names.get(int(status), "UNKNOWN")  # type: ignore[call-overload]


def _no_schedule(
    clinic: Clinic,
    built: _Built,
    options: SolveOptions,
    off: frozenset[str],
    status: int,
    clock: _Clock,
) -> Schedule:
    # Locks are soft (L1), so no lock makes the model infeasible: only the rules can, and
    # then more time will not help.
    reason = no_solution_reason(options.time_limit_s, proven=status == cp_model.INFEASIBLE)
    unplaced = tuple(Unplaced(pid, reason) for pid in built.inst.patients)
    stats = SolveStats(
        status=_name(status),
        objective=None,
        best_bound=None,
        wall_time_s=clock.elapsed(),
        seed=options.seed,
        workers=options.workers,
        time_limit_s=options.time_limit_s,
        clock_cut=clock.cut,
    )
    return Schedule(
        week_start=clinic.settings.week_start,
        weeks=clinic.settings.weeks,
        sessions=(),
        unplaced=unplaced,
        stats=stats,
        starting_later=tuple(built.inst.starting_later),
    )


def _tie_pins(built: _Built) -> None:
    """Locks merged into one pinned session (:mod:`scheduler.model.locks`) are kept or
    dropped together: L1's constraints hold a pin's session only when all its locks are
    kept, so a lone kept lock of a partly dropped pin would promise what nothing holds."""
    lits = built.vars.lock_ok
    for pin in _pins(built.inst):
        for other in pin.locks[1:]:
            built.model.add(lits[other] == lits[pin.locks[0]])


def _pins(inst: Instance) -> list[Pin]:
    acts = {(lk.week, lk.block, lk.session_type) for lk in inst.clinic.locks}
    return [pin for act in sorted(acts) for pin in pins(inst.locks_for(act))]


#: Deterministic time for diagnosing unmet locks, all together (at most this share of the
#: solve's work and :data:`DIAGNOSIS_MAX`); a lock left undiagnosed gets the reason the
#: data gives, or what the solve proved.
DIAGNOSIS_SHARE = 0.1
DIAGNOSIS_MAX = 10.0


def _unmet_locks(
    clinic: Clinic,
    build: Callable[[], _Built],
    sessions: list[Session],
    dropped: list[str],
    options: SolveOptions,
    proven: bool,
) -> tuple[UnmetLock, ...]:
    """The locks the schedule does not keep, each with the reason that binds: what the data
    alone shows (validate's words), else the kept locks it conflicts with, from a
    feasibility-only solve on a fresh model (``build``) with the kept locks and this one as
    assumptions (assumptions and an objective do not mix in CP-SAT). ``dropped`` are the
    locks the solve gave up; one the extraction keeps all the same is not unmet. ``proven``:
    the solve proved that no schedule keeps more locks."""
    from scheduler.inputs.validate import lock_conflicts

    unmet = [
        lk.id
        for lk in clinic.locks
        if lk.id in dropped and not any(_keeps(s, lk) for s in sessions)
    ]
    if not unmet:
        return ()
    kept = [lk.id for lk in clinic.locks if lk.id not in dropped]
    data: dict[str, list[str]] = {}
    for problem in lock_conflicts(clinic):
        if problem.key is not None:
            data.setdefault(problem.key, []).append(problem.message.removeprefix(_PREFIX))
    built = build()
    _tie_pins(built)
    by_lock = {lock_id: pin for pin in _pins(built.inst) for lock_id in pin.locks}
    reasons: dict[tuple[str, ...], str] = {}
    work = min(DIAGNOSIS_SHARE * options.work, DIAGNOSIS_MAX)
    for lock_id in unmet:
        pin = by_lock[lock_id].locks
        if pin in reasons:
            continue
        facts = _pin_clash(built.inst, by_lock[lock_id]) + [m for x in pin for m in data.get(x, [])]
        clashes = None
        if not facts and work > 0.05:
            clashes, used = _clashes(built, options, kept, lock_id, work)
            work -= used
        shared = _shared(built.inst, pin, clashes or [])
        reasons[pin] = unmet_lock_reason(pin, facts, clashes, proven=proven, shared=shared)
    return tuple(UnmetLock(x, reasons[by_lock[x].locks]) for x in unmet)


def _shared(inst: Instance, pin: tuple[str, ...], clashes: list[str]) -> list[str]:
    """The patients, therapists and rooms that the pin's locks and the clashing locks both
    name: where a coordinator looks first."""
    by_id = {lk.id: lk for lk in inst.clinic.locks}

    def named(ids: Sequence[str]) -> set[str]:
        out = set()
        for x in ids:
            lk = by_id[x]
            for what, ident in (("patient", lk.patient), ("therapist", lk.therapist)):
                if ident is not None:
                    out.add(f"{what} {ident}")
            if lk.room is not None:
                out.add(f"room {lk.room}")
        return out

    return sorted(named(pin) & named(clashes))


def _pin_clash(inst: Instance, pin: Pin) -> list[str]:
    """What the locks of one pinned session ask that one session cannot be (L1's
    constraints drop such a pin whole)."""
    lock = next(lk for lk in inst.clinic.locks if lk.id == pin.locks[0])
    single = inst.types[lock.session_type].kind in SINGLE_KINDS
    out = []
    if len(pin.rooms) > 1:
        out.append(f"they put one {lock.session_type} session in rooms {', '.join(pin.rooms)}")
    if single and len(pin.patients) > 1:
        out.append(
            f"they put patients {', '.join(pin.patients)} in one {lock.session_type} session"
        )
    if len(pin.therapists) > (1 if single else 2):
        out.append(
            f"they give one {lock.session_type} session therapists {', '.join(pin.therapists)}"
        )
    return out


#: validate's words for a lock that cannot hold start so; the reason says it its own way.
_PREFIX = "this lock cannot hold: "


def _keeps(s: Session, lk: Lock) -> bool:
    return (
        s.week == lk.week
        and s.block == lk.block
        and s.session_type == lk.session_type
        and (lk.patient is None or lk.patient in s.patients)
        and (lk.therapist is None or lk.therapist in s.therapists)
        and (lk.room is None or lk.room == s.room)
    )


def _clashes(
    built: _Built, options: SolveOptions, kept: list[str], lock_id: str, work: float
) -> tuple[list[str] | None, float]:
    """The kept locks that, with ``lock_id``, cannot all hold (a sufficient core of the
    assumptions, so every lock named takes part), or None when the solve within ``work``
    did not prove it; and the deterministic time used."""
    lits = built.vars.lock_ok
    built.model.clear_assumptions()
    built.model.add_assumptions([lits[x] for x in [*kept, lock_id]])
    solver = _solver(options, _Clock(options), work)
    solver.parameters.num_workers = 1  # the core of assumptions needs the sequential search
    status = solver.solve(built.model)
    used = solver.response_proto.deterministic_time
    if status != cp_model.INFEASIBLE:
        return None, used
    core = set(solver.sufficient_assumptions_for_infeasibility())
    return [x for x in kept if lits[x].index in core], used
