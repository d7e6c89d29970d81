"""Recommend fit: the ranked ways to admit one referral into a published timetable.

No solve. The model-free probe (``scheduler.probe.candidates``) lists the ways to add the
referral to the timetable as it stands, moving nobody; this module tries them from the
referral's admission date, then (only when fewer than ``top`` ways start before it) from
each later date of the horizon with a block at their site: a referral whose seats open
only on Thursday may be admitted on Thursday. Each way is priced with the solve summary's
cost terms (``scheduler.fit.cost``), ranked, and the best are confirmed one by one by the
independent checker (``scheduler.check``) on the whole timetable with the referral
inserted; a way the checker refuses is dropped, never shown.

When fewer than ``top`` ways move nobody, ways that move one placed patient to another
group of the same type (``scheduler.probe.relocations``) to free a seat in a full group are
added, from the referral's own admission date; the checker confirms the whole timetable,
the moved patient's week included.

Ranking: ways that move nobody first, then the earliest first session, then the
smallest cost change in the solver's points, then the earliest admission date assumed,
then the search's own order (deterministic).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from scheduler.domain import Clinic, Patient, format_time
from scheduler.explain import explain_unplaced
from scheduler.fit.cost import PatientCache, cost_changes, schedule_terms
from scheduler.fit.options import CostChange, FitOption, FitSession, Move, NoFit
from scheduler.probe import (
    DEFAULT_NODE_BUDGET,
    Candidate,
    blocked_needs,
    candidates,
    relocations,
)
from scheduler.rules import starts_later
from scheduler.schedule import Schedule
from scheduler.weights import Weights

#: Ways the probe lists per admission date before ranking (the checker runs only on the
#: best ``top`` of them, unless it refuses some).
DEFAULT_WAYS_PER_DATE = 60


class NotAReferral(ValueError):
    """The patient cannot be fitted as a referral: already placed, or not in the plan."""


def with_patient(clinic: Clinic, patient: Patient) -> Clinic:
    """``clinic`` holding this very ``patient`` record (replacing one of the same ID)."""
    others = tuple(p for p in clinic.patients if p.id != patient.id)
    if len(others) == len(clinic.patients) - 1 and clinic.patient_by_id[patient.id] == patient:
        return clinic
    return replace(clinic, patients=(*others, patient))


def start_dates(clinic: Clinic, patient: Patient) -> list[dt.date]:
    """The admission dates to try: the referral's own, then every later date of the
    horizon with a block at their site, up to their discharge."""
    s = clinic.settings
    dates = {
        clinic.block_date(b, w)
        for w in range(s.weeks)
        for b in clinic.blocks
        if b.site == patient.site
    }
    later = sorted(d for d in dates if patient.admission < d <= patient.discharge)
    return [patient.admission, *later]


@dataclass(frozen=True)
class _Way:
    candidate: Candidate
    clinic: Clinic
    admission: dt.date
    start: dt.date
    cost: tuple[CostChange, ...]
    points: float
    moves: tuple[Move, ...]
    order: int

    def key(self) -> tuple[int, dt.date, float, dt.date, int]:
        return (len(self.moves), self.start, self.points, self.admission, self.order)


def _check_referral(clinic: Clinic, schedule: Schedule, patient: Patient) -> None:
    if patient.id in schedule.placed_patients:
        raise NotAReferral(f"patient {patient.id} is already placed in this schedule")


def recommend(
    clinic: Clinic,
    schedule: Schedule,
    patient: Patient,
    top: int = 5,
    *,
    weights: Weights | None = None,
    ways_per_date: int = DEFAULT_WAYS_PER_DATE,
    node_budget: int = DEFAULT_NODE_BUDGET,
) -> list[FitOption]:
    """The ``top`` best ways to admit ``patient`` (not placed in ``schedule``; ``clinic``
    may hold their record or not) into ``schedule``, best first, each confirmed by the
    checker. Empty when there is no way in: :func:`why_not` says why."""
    return _recommend(clinic, schedule, patient, top, weights, ways_per_date, node_budget)[0]


def fit(
    clinic: Clinic,
    schedule: Schedule,
    patient: Patient,
    top: int = 5,
    *,
    weights: Weights | None = None,
    ways_per_date: int = DEFAULT_WAYS_PER_DATE,
    node_budget: int = DEFAULT_NODE_BUDGET,
) -> list[FitOption] | NoFit:
    """:func:`recommend`, or when it finds no way in, :func:`why_not` (saying so when the
    search stopped at its node budget)."""
    options, capped = _recommend(
        clinic, schedule, patient, top, weights, ways_per_date, node_budget
    )
    return options or why_not(clinic, schedule, patient, capped=capped)


def _recommend(
    clinic: Clinic,
    schedule: Schedule,
    patient: Patient,
    top: int,
    weights: Weights | None,
    ways_per_date: int,
    node_budget: int,
) -> tuple[list[FitOption], bool]:
    _check_referral(clinic, schedule, patient)
    if top < 1:
        return [], False
    capped = False
    base = with_patient(clinic, patient)
    cache: PatientCache = {}
    before = schedule_terms(base, schedule, cache)
    ways: list[_Way] = []
    seen: set[frozenset[tuple[str, str, str, int, str]]] = set()
    dates = start_dates(base, patient)
    for i, admission in enumerate(dates):
        p = patient if admission == patient.admission else replace(patient, admission=admission)
        here = base if p is patient else with_patient(base, p)
        if starts_later(here, p):
            break  # admitted later still, they would owe nothing in this plan
        found = candidates(here, schedule, p, limit=ways_per_date, node_budget=node_budget)
        capped = capped or found.capped
        for cand in found.found:
            mine = cand.schedule.sessions_by_patient[p.id]
            shape = frozenset(
                (s.block, s.session_type, s.room, s.week, s.therapists[0]) for s in mine
            )
            if shape in seen:
                continue  # the same sessions under an earlier admission date
            seen.add(shape)
            after = schedule_terms(here, cand.schedule, cache)
            changes = cost_changes(before, after, weights)
            ways.append(
                _Way(
                    cand,
                    here,
                    admission,
                    min(s.date(here) for s in mine),
                    changes,
                    round(sum(c.points for c in changes), 4),
                    (),
                    len(ways),
                )
            )
        nxt = dates[i + 1] if i + 1 < len(dates) else None
        if nxt is None or sum(1 for w in ways if w.start < nxt) >= top:
            break  # no later admission can start a way earlier than these
    if len(ways) < top:
        ways += _moving_ways(base, schedule, patient, before, cache, weights, top, len(ways))
    ways.sort(key=_Way.key)
    out: list[FitOption] = []
    for way in ways:
        insertion = way.candidate.confirm(way.clinic)
        if insertion is None:
            continue  # the checker refused it: never shown
        out.append(_option(len(out) + 1, way, patient.id))
        if len(out) == top:
            break
    return out, capped


def _moving_ways(
    clinic: Clinic,
    schedule: Schedule,
    patient: Patient,
    before: dict[str, float],
    cache: PatientCache,
    weights: Weights | None,
    top: int,
    order: int,
) -> list[_Way]:
    """Ways in that move one placed patient to another group of the same type to free a
    seat (``scheduler.probe.relocations``), from the referral's own admission date, until
    ``top`` ways in all are found; each must take the freed seat."""
    out: list[_Way] = []
    for reloc in relocations(clinic, schedule, patient):
        found = candidates(clinic, reloc.schedule, patient, limit=3, node_budget=2_000)
        for cand in found.found:
            if reloc.from_session not in cand.joined:
                continue  # the move was not what let them in
            mine = cand.schedule.sessions_by_patient[patient.id]
            changes = cost_changes(before, schedule_terms(clinic, cand.schedule, cache), weights)
            out.append(
                _Way(
                    cand,
                    clinic,
                    patient.admission,
                    min(s.date(clinic) for s in mine),
                    changes,
                    round(sum(c.points for c in changes), 4),
                    (Move(reloc.patient, reloc.from_session, reloc.to_session),),
                    order + len(out),
                )
            )
            break  # one way per move: the next move gives the next choice
        if order + len(out) >= top:
            break
    return out


def _option(rank: int, way: _Way, pid: str) -> FitOption:
    clinic, sched = way.clinic, way.candidate.schedule
    added = {s.id for s in way.candidate.added}
    rows = []
    for s in sorted(sched.sessions_by_patient[pid], key=lambda s: s.start(clinic)):
        kind = clinic.session_type_by_id[s.session_type]
        w = s.window(clinic)
        rows.append(
            FitSession(
                session=s.id,
                code=s.code,
                week=s.week,
                date=s.date(clinic),
                weekday=w.weekday.label,
                start=format_time(w.start),
                end=format_time(w.end),
                session_type=kind.id,
                type_name=kind.name,
                kind=kind.kind.value,
                block=s.block,
                room=s.room,
                therapists=s.therapists,
                new=s.id in added,
                size=len(s.patients),
            )
        )
    return FitOption(
        rank=rank,
        patient=pid,
        start=way.start,
        admission=way.admission,
        sessions=tuple(rows),
        cost=way.cost,
        points=way.points,
        moves=way.moves,
        schedule=sched,
    )


def why_not(clinic: Clinic, schedule: Schedule, patient: Patient, *, capped: bool = False) -> NoFit:
    """Why ``patient`` has no way in, in a coordinator's words: the binding reason that
    ``scheduler.explain`` gives for an unplaced patient, read against this schedule."""
    _check_referral(clinic, schedule, patient)
    base = with_patient(clinic, patient)
    s = base.settings
    last = s.week_dates(s.weeks - 1)[-1]
    if patient.discharge < s.week_start or patient.admission > last:
        reason = (
            f"Not in treatment during this plan ({s.week_start:%d %b} to {last:%d %b}): "
            f"admitted {patient.admission:%d %b}, discharged {patient.discharge:%d %b}."
        )
    elif starts_later(base, patient):
        reason = (
            f"Admitted {patient.admission:%a %d %b}, too late to owe a session this plan: "
            "they start next week (plan next week's timetable for them)."
        )
    else:
        reason = _binding_reason(base, schedule, patient)
    if capped:
        reason += " (The search stopped at its budget: a way in may still exist.)"
    return NoFit(patient.id, reason, capped)


#: explain's sentences that speak of a solve or of the groups in general: here the
#: probe's own finding (``blocked_needs``) is more to the point.
_GENERAL = ("Could not be fitted alongside", "Could not be fitted with the other patients")


def _binding_reason(clinic: Clinic, schedule: Schedule, patient: Patient) -> str:
    """What the data rule out (``scheduler.explain``) and what the published timetable
    leaves no room for (``scheduler.probe.blocked_needs``), in that order."""
    explained = explain_unplaced(clinic, schedule.sessions, patient.id)
    parts = [] if explained.startswith(_GENERAL) else [explained]
    for b in blocked_needs(clinic, schedule, patient):
        monday = clinic.settings.week_dates(b.week)[0]
        where = f" in their blocks {', '.join(b.blocks)}" if b.blocks else ""
        parts.append(
            f"In the week of {monday:%d %b} no {b.kind.name} session can be given to them"
            f"{where}: {'; '.join(b.why)}."
        )
    if parts:
        return " ".join(parts)
    return (
        "The search found no way in that moves nobody: the seats, leaders' hours and rooms "
        "they could use at their times are taken in the published timetable; admitting "
        "them means moving other patients or re-solving the week."
    )
