"""New admissions drawn from the clinic's own mix of patients, for what-if demand.

:func:`add_admissions` adds ``per_week`` new patients in every week of the horizon. Each is
a copy of an existing patient's profile (site, track, sex, commitments, time preference,
family cadence and family times, telehealth, hours target, length of stay) with a new ID,
admitted on that week's Monday, in the early phase, and given the primary therapist with the most
room left on their caseload (:func:`_primary`).

Deterministic for a seed, and nested: the admissions of a smaller rate are the first ones
of a larger rate (same profiles, IDs, dates and primaries), so a sweep over rates adds
demand without reshuffling it, and placed-against-demand curves compare like with like.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from dataclasses import replace

from scheduler.domain import Clinic, Patient, Phase, Therapist

#: The ID of the ``number``-th (1-based) new admission of week ``week`` (0-based).
ID_FORMAT = "ADM-W{week}-{number:03d}"


def add_admissions(clinic: Clinic, per_week: int, *, seed: int = 0) -> Clinic:
    """``clinic`` with ``per_week`` new admissions in each week of its horizon."""
    if per_week < 0:
        raise ValueError("per_week must be 0 or more")
    if per_week == 0:
        return clinic
    if not clinic.patients:
        raise ValueError("the clinic has no patients to draw a mix of admissions from")
    taken = {p.id for p in clinic.patients}
    load = Counter(p.primary_therapist for p in clinic.patients)
    # One random stream per week, and admissions made number by number across the weeks:
    # the first k of every week, their profiles, dates and primaries, are then the same for
    # any per_week >= k, which is what keeps a sweep's rates nested.
    streams = [random.Random(f"admissions/{seed}/{week}") for week in range(clinic.settings.weeks)]
    made: dict[tuple[int, int], Patient] = {}
    for number in range(1, per_week + 1):
        for week, rng in enumerate(streams):
            template = rng.choice(clinic.patients)
            ident = _free_id(ID_FORMAT.format(week=week, number=number), taken)
            taken.add(ident)
            primary = _primary(clinic, template, load)
            load[primary] += 1
            made[week, number] = _admitted(clinic, template, ident, week, primary)
    new = [made[key] for key in sorted(made)]  # week by week in the table
    return replace(clinic, patients=clinic.patients + tuple(new))


def _free_id(wanted: str, taken: set[str]) -> str:
    ident, n = wanted, 1
    while ident in taken:
        n += 1
        ident = f"{wanted}-{n}"
    return ident


def _admitted(clinic: Clinic, template: Patient, ident: str, week: int, primary: str) -> Patient:
    """A copy of ``template`` admitted on the Monday of ``week``, for as many weeks as the
    template's planned stay (at least one).

    Monday, not mid-week: a patient admitted mid-week whose commitments leave too few of
    the week's remaining days starts the week after (RULES.md P4), so a mid-week intake
    would not be demand on the week it is counted in (on the sample clinic, 2 of 5)."""
    admission = clinic.settings.week_start + dt.timedelta(weeks=week)
    template_monday = template.admission - dt.timedelta(days=template.admission.weekday())
    stay_weeks = max(1, -(-(template.discharge - template_monday).days // 7))
    discharge = admission + dt.timedelta(weeks=stay_weeks, days=-2)  # a Saturday, as planned
    return replace(
        template,
        id=ident,
        name=f"New admission {ident}",
        phase=Phase.EARLY,
        admission=admission,
        discharge=max(discharge, admission),
        primary_therapist=primary,
    )


def _primary(clinic: Clinic, template: Patient, load: Counter[str]) -> str:
    """The primary with the most caseload room left (ties by ID) among the therapists at
    the template's site who are primaries for its track now, or who are nobody's primary
    yet (a new hire takes new cases); the template's own when there is none."""
    track_primaries = {
        p.primary_therapist
        for p in clinic.patients
        if p.site == template.site and p.track is template.track
    }
    primaries = {p.primary_therapist for p in clinic.patients}
    candidates = [
        t
        for t in clinic.therapists
        if template.site in t.sites and (t.id in track_primaries or t.id not in primaries)
    ]
    if not candidates:
        return template.primary_therapist

    def room_left(t: Therapist) -> tuple[int, str]:
        return (load[t.id] - t.caseload_cap, t.id)

    return min(candidates, key=room_left).id
