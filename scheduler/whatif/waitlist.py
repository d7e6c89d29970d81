"""Waiting time at steady state: weeks of ``next-week`` with admissions every week.

A capacity sweep says how many admissions a week one week's timetable holds; a director
asking "how long will a referral wait?" needs the weeks after it too. :func:`simulate`
plans ``weeks`` weeks one after another, each from the one before
(:func:`scheduler.model.solve` with ``previous``: continuing patients keep their places),
with ``per_week`` referrals a week drawn from the clinic's own mix
(:mod:`scheduler.whatif.admissions`) and the discharges their planned stays bring.

A referral not placed in the week they were referred waits: next week they are offered
again as a new admission of that week (their admission and planned discharge move on by
the week, so the stay is not cut short and they do not take a continuing patient's
priority, RULES.md P3). They then rank with that week's referrals, not ahead of them: the
model has no first-come-first-served among new admissions of one date, so the simulated
wait is what a clinic without a waitlist order would see. The mean wait of the placed
referrals is reported with a lower bound over all of them, those still waiting counted to
the end of the last week. A referral's wait is the days from their referral to the Monday of
the week they are first placed; the waitlist is who is still waiting at the end of a week.
The steady state is the second half of the weeks (the first half fills the clinic).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from statistics import mean

from scheduler.domain import Clinic, Patient
from scheduler.model import SolveOptions, solve
from scheduler.schedule import Schedule
from scheduler.whatif.admissions import add_admissions


@dataclass(frozen=True)
class Week:
    monday: dt.date
    referred: int  # referrals whose referral date falls in this week
    placed: int  # patients with a place this week
    waiting: int  # referrals still waiting at the end of the week


@dataclass(frozen=True)
class Waitlist:
    per_week: int
    weeks: tuple[Week, ...]
    waits_days: tuple[int, ...]  # each placed referral's wait, in days
    never_placed: int  # referrals still waiting at the end
    # Every referral's wait, those still waiting counted up to the end of the last week:
    # a lower bound on the mean wait when some never got a place.
    waits_so_far: tuple[int, ...] = ()

    @property
    def steady(self) -> tuple[Week, ...]:
        return self.weeks[len(self.weeks) // 2 :]

    @property
    def steady_waitlist(self) -> float:
        """Mean waitlist length over the steady weeks."""
        return mean(w.waiting for w in self.steady) if self.weeks else 0.0

    @property
    def mean_wait_days(self) -> float | None:
        return mean(self.waits_days) if self.waits_days else None

    @property
    def wait_at_least_days(self) -> float | None:
        return mean(self.waits_so_far) if self.waits_so_far else None


def simulate(
    clinic: Clinic, per_week: int, weeks: int, options: SolveOptions, *, seed: int = 0
) -> Waitlist:
    """``weeks`` one-week plans from the clinic's first week, each from the one before."""
    start = clinic.settings.week_start
    horizon = replace(clinic.settings, weeks=weeks)
    demand = add_admissions(replace(clinic, settings=horizon), per_week, seed=seed)
    known = {p.id for p in clinic.patients}
    referred = {p.id: p.admission for p in demand.patients if p.id not in known}
    patients = {p.id: p for p in demand.patients}
    placed_since: dict[str, dt.date] = {}
    previous: Schedule | None = None
    out: list[Week] = []
    for k in range(weeks):
        monday = start + dt.timedelta(weeks=k)
        # Who still waits is offered again this week, as an admission of this week.
        for pid, when in referred.items():
            if pid not in placed_since and when < monday:
                patients[pid] = _moved_to(patients[pid], monday)
        settings = replace(clinic.settings, week_start=monday, weeks=1)
        week = replace(clinic, settings=settings, patients=tuple(patients.values()))
        schedule = solve(week, options, previous=previous)
        for pid in schedule.placed_patients:
            if pid in referred and pid not in placed_since:
                placed_since[pid] = monday
        sunday = monday + dt.timedelta(days=6)
        out.append(
            Week(
                monday,
                sum(1 for when in referred.values() if monday <= when <= sunday),
                len(schedule.placed_patients),
                sum(1 for p, when in referred.items() if when <= sunday and p not in placed_since),
            )
        )
        previous = schedule
    waits = tuple(max(0, (placed_since[p] - referred[p]).days) for p in sorted(placed_since))
    end = start + dt.timedelta(weeks=weeks)
    so_far = tuple(
        max(0, ((placed_since.get(p) or end) - when).days)
        for p, when in sorted(referred.items())
        if when < end
    )
    never = sum(p not in placed_since for p in referred)
    return Waitlist(per_week, tuple(out), waits, never, so_far)


def _moved_to(p: Patient, monday: dt.date) -> Patient:
    """The referral offered again from ``monday``: the same stay, starting later."""
    shift = monday - p.admission
    return replace(p, admission=monday, discharge=p.discharge + shift)


def waitlist_text(rows: list[tuple[str, Waitlist]]) -> str:
    """The simulations as a plain table, one row per staffing."""
    lines = [
        "Waiting at steady state (weeks of next-week, second half):",
        f"  {'staffing':<28} {'admissions/wk':>13} {'waitlist':>9} {'mean wait':>10} "
        f"{'wait ≥ (all)':>12} {'still waiting':>13}",
    ]
    for label, w in rows:
        wait = "—" if w.mean_wait_days is None else f"{w.mean_wait_days:.1f} d"
        bound = "—" if w.wait_at_least_days is None else f"{w.wait_at_least_days:.1f} d"
        lines.append(
            f"  {label:<28} {w.per_week:>13} {w.steady_waitlist:>9.1f} {wait:>10} "
            f"{bound:>12} {w.never_placed:>13}"
        )
    return "\n".join(lines)
