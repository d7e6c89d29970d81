"""Build the CP-SAT model, solve it and return a :class:`~scheduler.schedule.Schedule`.

Two phases on one model, which is both faster and truer to the clinic's priorities than one
weighted sum: first place as many patients as possible (continuing patients first, then by
admission date: the placement terms only), then keep that placement level as a constraint,
hint the phase-one solution and minimise every term; when the placement is proven, the
last part of phase two goes to one LP-guided worker that proves a bound (``_prove``).
Reported objective and terms are the weighted sum over all terms; the bound is phase
two's when phase one was proven optimal (a bound for the lexicographic problem), else
phase one's. A first-fit schedule
(:mod:`scheduler.model.warmstart`) stands in for phase one's result when it places better.
Phase one's bound, raised by a small relaxation (:mod:`scheduler.model.bound`) that can
also prove phase one optimal, gives ``SolveStats.placed_bound``. A clinic with several
sites is solved site by site (:mod:`scheduler.model.sites`).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from ortools.sat.python import cp_model

from scheduler.domain import Clinic
from scheduler.explain import explain_unplaced, lock_conflict_reason, no_solution_reason
from scheduler.model.bound import relaxation_bounds
from scheduler.model.constraints import add_all
from scheduler.model.extract import extract_sessions
from scheduler.model.instance import Instance
from scheduler.model.objective import add_objective, patient_costs, placed_bound
from scheduler.model.options import ModelInvalidError, ProgressEvent, SolveOptions
from scheduler.model.variables import Variables, make_variables
from scheduler.model.warmstart import complete_hint, warm_start
from scheduler.schedule import Schedule, SolveStats, Unplaced

Progress = Callable[[ProgressEvent], None]

#: Share of the time limits phase one may use; phase two gets the rest. A lost patient
#: costs far more than any comfort, so placement gets most of the time. Ladder M, 10 s,
#: seeds 0-3, 0.5 → 0.7: M-tight 69.5 → 72.0 placed on average, M-loose 90.5 → 94.25, and
#: a lower objective on average on both.
PHASE_ONE_SHARE = 0.7
#: Most of the time limit completing the first-fit schedule to every variable may take.
HINT_SHARE = 0.1
#: Share of phase two's time kept for the proof (:func:`_prove`) once the placement is
#: proven optimal.
PROOF_SHARE = 0.4
#: Most of the time limits the relaxation's bounds (:mod:`scheduler.model.bound`) may take.
BOUND_SHARE = 0.15
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
PHASE_ONE_IGNORED = tuple(x for x in PHASE_TWO_IGNORED if x != "core")


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


class _Callback(cp_model.CpSolverSolutionCallback):
    def __init__(self, built: _Built, on_progress: Progress, scale: int, start: float) -> None:
        super().__init__()
        self._built = built
        self._on_progress = on_progress
        self._scale = scale
        self._start = start
        self.first_solution_s: float | None = None
        self.bound_floor = -math.inf  # a bound already proven by an earlier solve

    def on_solution_callback(self) -> None:
        elapsed = time.monotonic() - self._start
        if self.first_solution_s is None:
            self.first_solution_s = elapsed
        placed = sum(self.boolean_value(x) for x in self._built.vars.placed.values())
        self._on_progress(
            ProgressEvent(
                elapsed_s=elapsed,
                objective=self.objective_value / self._scale,
                best_bound=max(self.best_objective_bound, self.bound_floor) / self._scale,
                placed=int(placed),
            )
        )


def _solver(
    options: SolveOptions, wall: float, deterministic: float, ignored: tuple[str, ...] = ()
) -> cp_model.CpSolver:
    solver = cp_model.CpSolver()
    p = solver.parameters
    p.max_time_in_seconds = max(wall, 0.05)
    p.max_deterministic_time = max(deterministic, 0.05)
    p.random_seed = options.seed
    p.num_workers = options.workers
    # Deterministic parallel search: same input, seed and workers give the same schedule
    # whenever each phase ends by optimality or by the deterministic limit. Reproducible
    # timetables cost some speed on small clinics: phase one on ladder S-tight reached 28
    # placed at 0.6-1.6 s free-running, 2.3-2.5 s interleaved (seeds 0-2, 2 workers);
    # on M (7 s) both placed within one patient of each other.
    p.interleave_search = options.workers > 1
    p.log_search_progress = options.log
    if options.workers > 1:
        p.ignore_subsolvers.extend(ignored)
    return solver


def _run(built: _Built, solver: cp_model.CpSolver, callback: _Callback | None) -> int:
    status = solver.solve(built.model, callback) if callback else solver.solve(built.model)
    if status == cp_model.MODEL_INVALID:
        message = built.model.validate()
        raise ModelInvalidError(f"CP-SAT rejected the model: {message[:500]}")
    return int(status)


def solve(
    clinic: Clinic,
    options: SolveOptions | None = None,
    on_progress: Progress | None = None,
    *,
    off: frozenset[str] = frozenset(),
) -> Schedule:
    """Schedule every week of the clinic's horizon.

    A clinic with patients at several sites is solved site by site when
    ``options.by_site`` (see :mod:`scheduler.model.sites`). ``off`` drops RULES.md rules
    and is for the tests only (each rule's test shows that its instance binds the rule).
    """
    options = options or SolveOptions()
    if options.by_site and not off:
        from scheduler.model.sites import solve_by_site, split_sites

        if len(split_sites(clinic)) > 1:
            return solve_by_site(clinic, options, on_progress, solve_one)
    return solve_one(clinic, options, on_progress, off=off)


def solve_one(
    clinic: Clinic,
    options: SolveOptions,
    on_progress: Progress | None = None,
    *,
    off: frozenset[str] = frozenset(),
    waivers: Clinic | None = None,
) -> Schedule:
    """One model for the whole clinic: phase one (placement), then phase two (quality).

    ``waivers`` is the whole clinic when ``clinic`` is one site's view of it (W4/W5)."""
    start = time.monotonic()
    built = _Built(clinic, options, off, waivers)
    objective = add_objective(built.model, built.inst, built.vars, options.weights)
    for lit in built.vars.lock_ok.values():
        built.model.add(lit == 1)  # L1 holds; the diagnosis solve makes these assumptions
    scale = objective.scale
    deterministic = options.deterministic_time or options.time_limit_s

    def remaining() -> float:
        return options.time_limit_s - (time.monotonic() - start)

    # Phase one: placement. A first-fit schedule, completed to every variable, is kept
    # aside rather than hinted: as a hint it held the search near itself (ladder L-loose,
    # 60 s: 290-299 placed with the hint, 316 without). It replaces phase one's result
    # when it places better, or when phase one finds nothing in time.
    built.model.minimize(objective.placement)
    partial = warm_start(built.inst, built.vars)
    warm = None
    if partial is not None:
        warm = complete_hint(built.model, partial, min(HINT_SHARE * options.time_limit_s, 10.0))
    solver = _solver(
        options, remaining() * PHASE_ONE_SHARE, deterministic * PHASE_ONE_SHARE, PHASE_ONE_IGNORED
    )
    cb1 = _Callback(built, on_progress, scale, start) if on_progress else None
    status1 = _run(built, solver, cb1)
    found = status1 in (cp_model.OPTIMAL, cp_model.FEASIBLE)
    if not found and warm is None:
        return _no_schedule(clinic, built, options, off, status1, start, solver)
    costs = patient_costs(built.inst, options.weights)
    first_solution = cb1.first_solution_s if cb1 else None
    if found:
        placement_best = round(solver.objective_value)
        values = {
            i: int(solver.value(built.model.get_int_var_from_proto_index(i)))
            for i in range(len(built.model.proto.variables))
        }
    if warm is not None:
        warm_points = sum(
            costs[pid] for pid, var in built.vars.placed.items() if warm[var.index] == 0
        )
        if not found or warm_points < placement_best:
            placement_best, values = warm_points, warm
            first_solution = first_solution if found else None
    bound = solver.best_objective_bound
    placement_bound = bound if found and math.isfinite(bound) else 0.0
    used_det = solver.response_proto.deterministic_time
    # Phase one's LP says little (it cannot see that a therapist leading an evening group
    # holds no individual sessions then); a small relaxation solved on its own does
    # (scheduler.model.bound). M-tight: at most 79 placeable rather than 105.
    bound_det = min(BOUND_SHARE * deterministic, max(deterministic - used_det, 0.05))
    relax = relaxation_bounds(
        built.inst, costs, BOUND_SHARE * options.time_limit_s, bound_det, options.seed
    )
    placement_bound = max(placement_bound, float(relax.points))
    phase1_optimal = status1 == cp_model.OPTIMAL or placement_best <= placement_bound
    # Placement proven optimal: no schedule with the same priorities places more; in any
    # case the bound on phase one's points bounds the number of patients placeable.
    bound_count = min(
        placed_bound(costs, placement_best if phase1_optimal else placement_bound), relax.count
    )

    # Phase two: keep the placement level, improve everything.
    model = built.model
    model.add(objective.placement <= placement_best)
    model.clear_hints()  # type: ignore[no-untyped-call]
    for i, val in values.items():
        model.add_hint(model.get_int_var_from_proto_index(i), val)
    model.minimize(objective.total)
    left = max(deterministic - used_det - bound_det, 0.05)
    # With the placement proven, phase two's bound is the reported one: keep a share of
    # the time for the proof (below). Otherwise the bound is phase one's; search on.
    share = 1 - PROOF_SHARE if phase1_optimal else 1.0
    solver2 = _solver(options, remaining() * share, left * share, PHASE_TWO_IGNORED)
    cb2 = _Callback(built, on_progress, scale, start) if on_progress else None
    status2 = _run(built, solver2, cb2)
    bound2 = solver2.best_objective_bound
    if status2 == cp_model.FEASIBLE and phase1_optimal:
        left -= solver2.response_proto.deterministic_time
        solver2, status2, bound2 = _prove(built, options, solver2, remaining(), left, cb2)
    if status2 in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        final_status = status2 if phase1_optimal else cp_model.FEASIBLE
        bound = (bound2 if phase1_optimal else placement_bound) / scale
    else:
        # Phase two ran out of time before repeating the hint: read phase one's solution
        # back through the model with every variable fixed to it.
        final_status = cp_model.FEASIBLE
        bound = placement_bound / scale
        solver2 = _solver(options, 10.0, 10.0)
        solver2.parameters.fix_variables_to_their_hinted_value = True
        if _run(built, solver2, None) not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            raise RuntimeError("internal error: phase one's solution does not satisfy phase two")
    objective_value = solver2.objective_value / scale
    sessions = extract_sessions(built.inst, built.vars, lambda x: bool(solver2.boolean_value(x)))
    terms = {t.name: solver2.value(t.expr) / t.divisor for t in objective.terms}
    placed = {p for s in sessions for p in s.patients}
    inst = built.inst
    unplaced = tuple(
        Unplaced(pid, explain_unplaced(clinic, sessions, pid, inst.patients[pid].blockers))
        for pid in inst.patients
        if pid not in placed
    )
    stats = SolveStats(
        status=_name(final_status),
        objective=objective_value,
        best_bound=min(bound, objective_value),
        wall_time_s=time.monotonic() - start,
        seed=options.seed,
        workers=options.workers,
        time_limit_s=options.time_limit_s,
        terms=terms,
        first_solution_s=first_solution,
        placed_bound=max(bound_count, len(placed)),
    )
    return Schedule(
        week_start=clinic.settings.week_start,
        weeks=clinic.settings.weeks,
        sessions=tuple(sessions),
        unplaced=unplaced,
        stats=stats,
    )


def _prove(
    built: _Built,
    options: SolveOptions,
    found: cp_model.CpSolver,
    wall: float,
    deterministic: float,
    callback: _Callback | None,
) -> tuple[cp_model.CpSolver, int, float]:
    """Phase two's last stretch: one worker with the full linear relaxation (CP-SAT's
    ``max_lp``), hinted with the best schedule so far. Interleaved, that worker starves the
    neighbourhood searches; alone, its cuts and LP-guided dives raise the bound and often
    find a better schedule too. Sample clinic (`make run`, 60 s): bound 108 → 175, gap
    50.7 % → 21.5 %.

    Returns the solver holding the better schedule, its status (``OPTIMAL`` when the proof
    closed) and the better of the two bounds."""
    model = built.model
    model.clear_hints()  # type: ignore[no-untyped-call]
    for i in range(len(model.proto.variables)):
        var = model.get_int_var_from_proto_index(i)
        model.add_hint(var, found.value(var))
    solver = _solver(options, wall, deterministic)
    solver.parameters.num_workers = 1
    solver.parameters.linearization_level = 2
    if callback is not None:
        callback.bound_floor = found.best_objective_bound  # progress never shows it fall
    status = _run(built, solver, callback)
    if status == cp_model.OPTIMAL:
        return solver, int(status), solver.best_objective_bound
    bound = found.best_objective_bound
    if status == cp_model.FEASIBLE:  # UNKNOWN's bound may be a placeholder from presolve
        bound = max(bound, solver.best_objective_bound)
    better = status == cp_model.FEASIBLE and solver.objective_value < found.objective_value
    return (solver if better else found), int(cp_model.FEASIBLE), bound


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
    start: float,
    solver: cp_model.CpSolver,
) -> Schedule:
    if status == cp_model.INFEASIBLE and clinic.locks:
        reason = lock_conflict_reason(clinic, _conflicting_locks(clinic, options, off))
    else:
        reason = no_solution_reason(options.time_limit_s)
    unplaced = tuple(Unplaced(pid, reason) for pid in built.inst.patients)
    stats = SolveStats(
        status=_name(status),
        objective=None,
        best_bound=None,
        wall_time_s=time.monotonic() - start,
        seed=options.seed,
        workers=options.workers,
        time_limit_s=options.time_limit_s,
    )
    return Schedule(
        week_start=clinic.settings.week_start,
        weeks=clinic.settings.weeks,
        sessions=(),
        unplaced=unplaced,
        stats=stats,
    )


def _conflicting_locks(clinic: Clinic, options: SolveOptions, off: frozenset[str]) -> list[str]:
    """A feasibility-only solve with one assumption per lock names the locks that cannot
    all hold (assumptions and an objective do not mix in CP-SAT)."""
    built = _Built(clinic, options, off)
    lits = built.vars.lock_ok
    built.model.add_assumptions(list(lits.values()))
    solver = _solver(options, min(10.0, options.time_limit_s), min(10.0, options.time_limit_s))
    solver.parameters.num_workers = 1  # the core of assumptions needs the sequential search
    status = solver.solve(built.model)
    if status != cp_model.INFEASIBLE:
        return sorted(lits)
    core = set(solver.sufficient_assumptions_for_infeasibility())
    return [lock_id for lock_id, lit in lits.items() if lit.index in core]
