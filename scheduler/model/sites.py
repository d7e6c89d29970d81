"""Site by site: one model per site, solved one after another, schedules merged.

A multi-site clinic's model grows with every site, while most of its rules never cross a
site (patients attend at their own site, rooms other than virtual ones serve one site). What
does cross is a therapist working at several sites and a virtual room (one meeting link for
every site). Sites are solved in clinic order, each with a share of the time limit in
proportion to its patients; before a site is solved, what the earlier sites booked is taken
out of its clinic:

- a therapist working at several sites has their weekdays shared out among those sites up
  front (:func:`day_owners`), and is off on any date they work at an earlier site (T6);
- their weekly hours shrink by the most hours booked in any week (G5; conservative for a
  horizon of several weeks) and their caseload by the earlier sites' patients (G6);
- a virtual room is closed in every block that overlaps a session it already hosts (T1).

Every merged schedule therefore satisfies the rules of the whole clinic. Sites that share
nothing are solved exactly as the joint model would; with shared staff or virtual rooms the
earlier sites come first. ``placed_bound`` is proven for the whole clinic, not just for the
order the sites were solved in (:func:`joint_placed_bound`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from collections import defaultdict
from collections.abc import Callable

from scheduler.domain import Clinic, Closure, Therapist, Weekday
from scheduler.model.bound import count_bound
from scheduler.model.instance import Instance, in_treatment_week
from scheduler.model.options import ProgressEvent, SolveOptions
from scheduler.schedule import ClassPlacement, Schedule, Session, SolveStats, UnmetLock, Unplaced

Progress = Callable[[ProgressEvent], None]
#: Share of the time limit kept back from the sites' solves (extraction after each).
MARGIN = 0.03
#: Share of the time limit for the whole clinic's bound on placements (ladder XL-tight,
#: 300 s: at most 1,412 placeable, 1,161 placed). A site whose relaxation runs out of
#: time counts all its patients, so too small a share gives a useless bound.
JOINT_SHARE = 0.1
SolveOne = Callable[..., Schedule]


def split_sites(clinic: Clinic) -> list[str]:
    """Sites with a patient in the plan, in clinic order."""
    weeks = range(clinic.settings.weeks)
    busy = {p.site for p in clinic.patients if any(in_treatment_week(clinic, p, w) for w in weeks)}
    return [s.id for s in clinic.sites if s.id in busy]


def day_owners(clinic: Clinic) -> dict[tuple[str, int], str]:
    """For each therapist working at several of the sites solved, which site has them on
    each weekday: weekdays go round the therapist's sites, those with more of the
    therapist's own patients first. Sites then cannot take all of a shared therapist's days
    before a later site is solved (its patients need their primary therapist, W4)."""
    sites = split_sites(clinic)
    out: dict[tuple[str, int], str] = {}
    for t in clinic.therapists:
        mine = [s for s in sites if s in t.sites]
        if len(mine) < 2:
            continue
        own = {
            s: sum(p.primary_therapist == t.id and p.site == s for p in clinic.patients)
            for s in mine
        }
        order = sorted(mine, key=lambda s: (-own[s], mine.index(s)))
        for d in Weekday:
            out[(t.id, int(d))] = order[int(d) % len(order)]
    return out


def site_clinic(
    clinic: Clinic,
    site: str,
    earlier: list[Session],
    owners: dict[tuple[str, int], str] | None = None,
) -> Clinic:
    """The clinic seen by ``site``: its patients and locks, with what ``earlier`` (sessions
    of sites already solved) booked taken out, and shared therapists off on the weekdays
    ``owners`` gives to another site."""
    blocks = clinic.block_by_id
    patients = tuple(p for p in clinic.patients if p.site == site)
    locks = tuple(lk for lk in clinic.locks if blocks[lk.block].site == site)
    closures = list(clinic.closures)
    for (t_id, d), owner in sorted((owners or {}).items()):
        if owner != site:
            for w in range(clinic.settings.weeks):
                day = clinic.settings.week_dates(w)[d]
                closures.append(Closure(day, therapist=t_id, note="another site's day"))
    hours: dict[tuple[str, int], float] = defaultdict(float)
    dates: set[tuple[str, dt.date]] = set()
    virtual = {r.id for r in clinic.rooms if r.virtual}
    for s in earlier:
        day = s.date(clinic)
        minutes = clinic.session_type_by_id[s.session_type].duration_min
        for t in s.therapists:
            hours[(t, s.week)] += minutes / 60
            dates.add((t, day))
        if s.room in virtual:
            win = s.window(clinic)
            for b in clinic.blocks:
                if b.site != site or b.weekday != win.weekday:
                    continue
                if b.window.start < win.end and win.start < b.window.end:
                    closures.append(Closure(day, room=s.room, block=b.id, note="other site"))
    for t_id, day in sorted(dates):
        closures.append(Closure(day, therapist=t_id, note="at another site"))
    placed_elsewhere = {p for s in earlier for p in s.patients}
    caseload: dict[str, int] = defaultdict(int)
    for p in clinic.patients:
        if p.id in placed_elsewhere:
            caseload[p.primary_therapist] += 1
    therapists = [
        _shrink(t, max((h for (tt, _), h in hours.items() if tt == t.id), default=0.0))
        for t in clinic.therapists
    ]
    therapists = [
        dataclasses.replace(t, caseload_cap=max(0, t.caseload_cap - caseload[t.id]))
        for t in therapists
    ]
    return dataclasses.replace(
        clinic,
        patients=patients,
        locks=locks,
        closures=tuple(closures),
        therapists=tuple(therapists),
    )


def _shrink(t: Therapist, used: float) -> Therapist:
    if used <= 0:
        return t
    left = t.max_hours_week - used
    if left <= 1e-9:
        # No hours left; the records need a cap above 0, and no session fits in 0.01 h.
        return dataclasses.replace(t, max_hours_week=0.01, max_hours_day=0.01)
    return dataclasses.replace(t, max_hours_week=left, max_hours_day=min(t.max_hours_day, left))


def joint_placed_bound(
    clinic: Clinic, sizes: dict[str, int], wall: float, deterministic: float, seed: int
) -> int:
    """At most this many of the clinic's patients can be placed, by any schedule.

    Each site is relaxed (:func:`scheduler.model.bound.count_bound`) with every shared
    therapist and virtual room wholly its own: a schedule of the whole clinic, cut down to
    one site, is a schedule of that site alone (only T6's one site a day and the shared
    T1, G5 and G6 budgets tie the sites, and each site alone has them all), so the sites'
    bounds add up to a bound for the clinic. The limits are shared by patients; a site
    whose relaxation runs out of time counts all its patients (still a bound)."""
    total = 0
    everyone = sum(sizes.values())
    for site, n in sizes.items():
        inst = Instance(site_clinic(clinic, site, []), waivers=clinic)
        total += count_bound(inst, wall, deterministic * n / everyone, seed)
    return total


def solve_by_site(
    clinic: Clinic,
    options: SolveOptions,
    on_progress: Progress | None,
    solve_one: SolveOne,
    previous: Schedule | None = None,
) -> Schedule:
    start = time.monotonic()
    sites = split_sites(clinic)
    weeks = range(clinic.settings.weeks)
    size = {
        s: sum(
            1
            for p in clinic.patients
            if p.site == s and any(in_treatment_week(clinic, p, w) for w in weeks)
        )
        for s in sites
    }
    det_total = options.work
    det_used = det_total * JOINT_SHARE  # kept for the whole clinic's bound, solved last
    owners = day_owners(clinic)
    sessions: list[Session] = []
    unplaced: list[Unplaced] = []
    later: list[str] = []
    unmet: list[UnmetLock] = []
    parts: list[SolveStats] = []
    placed_before = 0
    first: float | None = 0.0
    for i, site in enumerate(sites):
        left = sum(size[s] for s in sites[i:])
        share = size[site] / left
        # Budgets in deterministic time only (same input, same answer); each site's wall
        # ceiling is its share of the whole solve's.
        det = max(0.5, (det_total - det_used) * share)
        wall = max(0.5, options.time_limit_s * det / det_total)
        sub = dataclasses.replace(options, time_limit_s=wall, deterministic_time=det, by_site=False)
        progress = _offset(on_progress, start, placed_before) if on_progress else None
        site_start = time.monotonic() - start
        part = solve_one(
            site_clinic(clinic, site, sessions, owners),
            sub,
            progress,
            waivers=clinic,
            previous=previous,
        )
        # First solution of the merged schedule: when the last site found its first.
        got = part.stats.first_solution_s
        first = None if first is None or got is None else site_start + got
        det_used += det
        sessions.extend(part.sessions)
        unplaced.extend(part.unplaced)
        later.extend(part.starting_later)
        unmet.extend(part.unmet_locks)
        parts.append(part.stats)
        placed_before += len(part.placed_patients)
    # After the sites, so that the first schedule comes as early as it can; the sites'
    # building and extraction may overrun their shares, so the bound keeps at least half
    # of its own.
    ceiling = max(options.ceiling_s - (time.monotonic() - start), 1.0)
    joint = joint_placed_bound(clinic, size, ceiling, det_total * JOINT_SHARE, options.seed)
    return Schedule(
        week_start=clinic.settings.week_start,
        weeks=clinic.settings.weeks,
        sessions=tuple(sessions),
        unplaced=tuple(unplaced),
        stats=_merge(parts, options, time.monotonic() - start, first, max(joint, placed_before)),
        starting_later=tuple(later),
        unmet_locks=tuple(unmet),
    )


def _offset(on_progress: Progress, start: float, placed_before: int) -> Progress:
    site_start = time.monotonic() - start

    def report(e: ProgressEvent) -> None:
        on_progress(
            dataclasses.replace(
                e, elapsed_s=site_start + e.elapsed_s, placed=placed_before + e.placed
            )
        )

    return report


def _merge(
    parts: list[SolveStats],
    options: SolveOptions,
    wall: float,
    first: float | None,
    placed_bound: int,
) -> SolveStats:
    """Sums over the sites (``load_balance`` becomes the sum of the sites' peaks); the
    bound on placements is the whole clinic's."""
    solved = [p for p in parts if p.objective is not None]
    statuses = {p.status for p in parts}
    if statuses == {"OPTIMAL"}:
        status = "OPTIMAL"
    elif solved:
        status = "FEASIBLE"
    else:
        status = "INFEASIBLE" if "INFEASIBLE" in statuses else "UNKNOWN"
    terms: dict[str, float] = defaultdict(float)
    for p in solved:
        for name, value in p.terms.items():
            terms[name] += value
    complete = len(solved) == len(parts)
    return SolveStats(
        status=status,
        objective=sum(p.objective or 0.0 for p in solved) if solved else None,
        best_bound=sum(p.best_bound or 0.0 for p in solved) if complete else None,
        wall_time_s=wall,
        seed=options.seed,
        workers=options.workers,
        time_limit_s=options.time_limit_s,
        terms=dict(terms),
        first_solution_s=first,
        placed_bound=placed_bound,
        by_priority=_merge_classes(parts),
        clock_cut=any(p.clock_cut for p in parts),
    )


def _merge_classes(parts: list[SolveStats]) -> tuple[ClassPlacement, ...]:
    """The sites' priority classes added up by name, in priority order. A class's maximum
    is the sum of the sites' when every site proved its own: proven for the sites solved in
    turn (a site's maximum holds given what earlier sites booked of shared staff)."""
    names: list[str] = []
    rows: dict[str, list[ClassPlacement]] = defaultdict(list)
    for part in parts:
        for c in part.by_priority:
            if c.name not in rows:
                names.append(c.name)
            rows[c.name].append(c)
    names.sort(key=lambda n: (n != "continuing", n))
    out = []
    for name in names:
        cs = rows[name]
        maxima = [c.proven_max for c in cs]
        proven = None if any(m is None for m in maxima) else sum(m for m in maxima if m is not None)
        out.append(
            ClassPlacement(name, sum(c.patients for c in cs), sum(c.placed for c in cs), proven)
        )
    return tuple(out)
