"""Capacity sweeps: for each staffing, how many admissions a week the clinic holds.

A sweep solves a grid: every *staffing* (extra therapists, and optionally blocks taken
away) times every weekly admission rate. Each point is the clinic with the staffing's
changes and ``rate`` new admissions a week drawn from its own mix of patients
(:mod:`scheduler.whatif.admissions`); all points go through the parallel runner
(:mod:`scheduler.whatif.runner`) with one CP-SAT worker each.

Extra therapists are copies of the clinic's group-leading therapists, chosen in a fixed
order (:func:`group_leaders`): the one who may lead the most group session types first,
then the most weekly hours, then clinic order; the k-th extra is a copy of the k-th in
that order (cycling), so ``+2`` is ``+1`` and one more. A new hire takes new cases: the
admissions give new patients to the primary with the most caseload room, which a new hire
is (scheduler/whatif/admissions.py).

What a sweep reports per staffing (:class:`Capacity`): the *baseline waitlist* (patients
unplaced at the lowest rate, who wait whatever the rate, usually because their own
commitments leave no group they can attend); the largest rate *held*, meaning every rate
up to it adds nobody to the waitlist; and where it *saturates*, the first rate that does.
The saturation is *proven* when the solver proved the placement there (placed equals the
proven maximum): no schedule then places more than it did, so none holds that rate (a
baseline waitlist that is itself not proven could only be shorter, which holds fewer).
Otherwise it is *found, not proven*: a longer time limit might hold it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from scheduler.domain import GROUP_KINDS, Clinic, Therapist
from scheduler.model.options import SolveOptions
from scheduler.whatif.admissions import add_admissions
from scheduler.whatif.metrics import NOT_PROVEN, PROVEN, RunFailure, RunMetrics, measure_all
from scheduler.whatif.runner import Run, RunResult, run_all, solo

#: The ID of the k-th extra therapist (1-based).
EXTRA_ID = "EXTRA-{k}"


class SweepError(ValueError):
    """A sweep argument that cannot be used; the message says what to type instead."""


@dataclass(frozen=True)
class Staffing:
    """One staffing of the sweep: ``extra`` therapists more, ``closed`` blocks less."""

    extra: int = 0
    closed: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        text = f"+{self.extra} therapist{'' if self.extra == 1 else 's'}"
        if self.closed:
            text += f", without {' '.join(self.closed)}"
        return text


@dataclass(frozen=True)
class Point:
    """One solved point of the grid: its staffing, rate, and figures (or failure)."""

    staffing: Staffing
    rate: int
    metrics: RunMetrics | RunFailure

    @property
    def name(self) -> str:
        return point_name(self.staffing, self.rate)

    @property
    def demand(self) -> int | None:
        """The patients in the plan: placed plus waitlist (starting later not counted)."""
        m = self.metrics
        return None if isinstance(m, RunFailure) else m.placed + m.waitlist


@dataclass(frozen=True)
class Capacity:
    """What one staffing holds (see the module docstring)."""

    staffing: Staffing
    baseline_waitlist: int | None  # None: the lowest rate found no schedule
    held: int | None  # the largest rate held; None: not even the lowest
    saturates_at: int | None  # the first rate not held; None: every rate tried was held
    proven: bool  # the saturation is proven (False when there is none)
    peak_placed: int  # the most placed at any rate

    @property
    def verdict(self) -> str:
        if self.saturates_at is None:
            return "holds every rate tried"
        return PROVEN if self.proven else NOT_PROVEN


@dataclass(frozen=True)
class SweepResult:
    rates: tuple[int, ...]
    staffings: tuple[Staffing, ...]
    points: tuple[Point, ...]  # staffing by staffing, rates in order
    capacities: tuple[Capacity, ...]

    def point(self, staffing: Staffing, rate: int) -> Point:
        return next(p for p in self.points if p.staffing == staffing and p.rate == rate)


# --------------------------------------------------------------------------------------
# Arguments.


def parse_range(text: str, what: str, *, signed: bool = False) -> tuple[int, ...]:
    """``"0:40:5"`` → 0, 5, … 40; ``"+0:+3"`` → 0, 1, 2, 3; ``"5"`` → 5; ``"0,10,20"``."""
    clean = text.replace(" ", "")
    number = r"\+?\d+" if signed else r"\d+"
    if re.fullmatch(rf"{number}(,{number})*", clean):
        values = [int(v) for v in clean.split(",")]
    else:
        m = re.fullmatch(rf"({number}):({number})(?::(\d+))?", clean)
        if m is None:
            example = "+0:+3" if signed else "0:40:5"
            raise SweepError(
                f"{what} {text!r} is not a range: write FROM:TO[:STEP] (e.g. {example}) or a "
                "list of whole numbers separated by commas"
            )
        lo, hi, step = int(m[1]), int(m[2]), int(m[3] or 1)
        if step < 1 or hi < lo:
            raise SweepError(f"{what} {text!r}: TO must be at least FROM and STEP at least 1")
        values = list(range(lo, hi + 1, step))
    return tuple(sorted(set(values)))


def parse_blocks(clinic: Clinic, variants: Sequence[str]) -> tuple[tuple[str, ...], ...]:
    """Each variant is ``all`` (the blocks as they are) or ``close:ID[,ID…]`` (the clinic
    without those blocks). Not ``-ID``: a shell argument starting with ``-`` reads as an
    option."""
    out: list[tuple[str, ...]] = []
    for variant in variants:
        text = variant.strip()
        if text.lower() == "all":
            out.append(())
            continue
        head, _, ids = text.partition(":")
        closed = [ident.strip() for ident in ids.split(",") if ident.strip()]
        unknown = [ident for ident in closed if ident not in clinic.block_by_id]
        if head.lower() != "close" or not closed or unknown:
            known = ", ".join(b.id for b in clinic.blocks)
            raise SweepError(
                f"--blocks {variant!r}: write all, or close:BLOCK_ID[,BLOCK_ID] with block IDs "
                f"from the Blocks sheet ({known})"
            )
        out.append(tuple(sorted(set(closed))))
    return tuple(dict.fromkeys(out))  # in order, without repeats


# --------------------------------------------------------------------------------------
# Building the grid.


def group_leaders(clinic: Clinic) -> list[Therapist]:
    """The therapists who may lead a group session type, in the order extras copy them."""

    def leads(t: Therapist) -> int:
        return sum(
            1
            for st in clinic.session_types
            if st.kind in GROUP_KINDS
            and t.credentials & st.credentials
            and (st.modality is None or st.modality in t.modalities)
        )

    order = {t.id: i for i, t in enumerate(clinic.therapists)}
    leaders = [t for t in clinic.therapists if leads(t)]
    return sorted(leaders, key=lambda t: (-leads(t), -t.max_hours_week, order[t.id]))


def staffed(clinic: Clinic, staffing: Staffing) -> Clinic:
    """``clinic`` with the staffing's extra therapists and without its closed blocks."""
    leaders = group_leaders(clinic)
    if staffing.extra and not leaders:
        raise SweepError("the clinic has no therapist who may lead a group to copy")
    taken = {t.id for t in clinic.therapists}
    extras = []
    for k in range(1, staffing.extra + 1):
        ident = EXTRA_ID.format(k=k)
        while ident in taken:
            ident += "X"
        taken.add(ident)
        template = leaders[(k - 1) % len(leaders)]
        extras.append(replace(template, id=ident, name=f"Extra therapist {k} ({template.id})"))
    blocks = tuple(b for b in clinic.blocks if b.id not in staffing.closed)
    # Locks on a closed block cannot hold any more: they go with it.
    locks = tuple(lk for lk in clinic.locks if lk.block not in staffing.closed)
    return replace(
        clinic,
        therapists=clinic.therapists + tuple(extras),
        blocks=blocks,
        locks=locks,
    )


def point_name(staffing: Staffing, rate: int) -> str:
    return f"{staffing.label} | {rate} a week"


def build_runs(
    clinic: Clinic,
    staffings: Sequence[Staffing],
    rates: Sequence[int],
    options: SolveOptions,
    *,
    seed: int,
) -> list[Run]:
    """One run per staffing and rate, staffing by staffing, rates in order."""
    runs = []
    for staffing in staffings:
        base = staffed(clinic, staffing)
        for rate in rates:
            point = add_admissions(base, rate, seed=seed)
            runs.append(Run(point_name(staffing, rate), point, solo(options)))
    return runs


@dataclass(frozen=True)
class Grid:
    """What a sweep solves: the staffings and rates, and one run per pair, staffing by
    staffing, rates in increasing order."""

    staffings: tuple[Staffing, ...]
    rates: tuple[int, ...]
    runs: tuple[Run, ...]


def grid(
    clinic: Clinic,
    *,
    rates: Sequence[int],
    extras: Sequence[int] = (0,),
    closed: Sequence[tuple[str, ...]] = ((),),
    weeks: int | None = None,
    options: SolveOptions | None = None,
) -> Grid:
    """The runs of a sweep, without solving them."""
    if not rates:
        raise SweepError("give at least one admission rate")
    options = options or SolveOptions(time_limit_s=10)
    if weeks is not None:
        if weeks < 1:
            raise SweepError("--weeks must be at least 1")
        clinic = replace(clinic, settings=replace(clinic.settings, weeks=weeks))
    staffings = tuple(Staffing(e, c) for c in closed for e in sorted(set(extras)))
    ordered = tuple(sorted(set(rates)))
    runs = build_runs(clinic, staffings, ordered, options, seed=options.seed)
    return Grid(staffings, ordered, tuple(runs))


def summarise(g: Grid, results: Sequence[RunResult]) -> SweepResult:
    """The figures of every point and each staffing's capacity, from the grid's results."""
    measured = measure_all(g.runs, results)
    pairs = ((s, r) for s in g.staffings for r in g.rates)
    points = tuple(Point(s, r, m) for (s, r), m in zip(pairs, measured, strict=True))
    capacities = tuple(capacity(s, [p for p in points if p.staffing == s]) for s in g.staffings)
    return SweepResult(g.rates, g.staffings, points, capacities)


def sweep(
    clinic: Clinic,
    *,
    rates: Sequence[int],
    extras: Sequence[int] = (0,),
    closed: Sequence[tuple[str, ...]] = ((),),
    weeks: int | None = None,
    options: SolveOptions | None = None,
    jobs: int | None = None,
    dask: str | None = None,
    progress: bool = False,
) -> SweepResult:
    """Solve the whole grid and find each staffing's capacity."""
    g = grid(clinic, rates=rates, extras=extras, closed=closed, weeks=weeks, options=options)
    return summarise(g, run_all(g.runs, jobs=jobs, dask=dask, progress=progress))


def capacity(staffing: Staffing, points: Sequence[Point]) -> Capacity:
    """The staffing's capacity from its points, rates in increasing order."""
    ordered = sorted(points, key=lambda p: p.rate)
    first = ordered[0].metrics
    if isinstance(first, RunFailure):
        return Capacity(staffing, None, None, ordered[0].rate, False, 0)
    baseline = first.waitlist
    held: int | None = None
    saturates: int | None = None
    proven = False
    for p in ordered:
        m = p.metrics
        if isinstance(m, RunFailure):
            saturates = p.rate
            break
        if m.waitlist > baseline:
            saturates = p.rate
            proven = m.placement_proven
            break
        held = p.rate
    peak = max((p.metrics.placed for p in ordered if isinstance(p.metrics, RunMetrics)), default=0)
    return Capacity(staffing, baseline, held, saturates, proven, peak)
