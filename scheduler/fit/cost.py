"""The cost terms of the solve summary, counted from a schedule's sessions alone.

``fit`` inserts a referral without a solve, so it cannot ask the solver what the new
timetable costs; it counts the terms of ``scheduler.model.objective`` again from the
sessions, before and after, and reports the difference in the words of the solve summary
(``scheduler.report.TERM_NAMES``). What is counted, per term:

- ``continuity``: placed patients who have a group their primary therapist could lead
  (``rules.can_lead``) but whose primary therapist leads none of their groups;
- ``cohort``: per patient, distinct start times of their groups, less one;
- ``spread``: per patient and week, pairs of consecutive days that both hold a group;
- ``preference``: sessions starting outside the patient's preferred time of day;
- ``load_balance``: per week, the busiest therapist's hours;
- ``evening_saturday``: staff hours (every leader of every session) starting from 17:00
  or on a weekend;
- ``groups_opened``: group sessions held;
- ``small_groups``: per group, seats short of its type's target size.

``parallel_groups`` is not counted (it needs the model's room ranges); the solver's own
values can also differ from these counts where its bounds overstate (see the objective's
notes), which is why ``fit`` reports differences, never totals.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping

from scheduler.domain import Clinic, SessionKind, Weekday
from scheduler.fit.options import CostChange
from scheduler.report import TERM_NAMES, term_label
from scheduler.rules import EVENING_FROM, can_lead
from scheduler.schedule import Schedule, Session
from scheduler.weights import Weights

_ONE_TO_ONE = (SessionKind.INDIVIDUAL, SessionKind.FAMILY, SessionKind.ASSESSMENT)


def _is_group(clinic: Clinic, s: Session) -> bool:
    kind = clinic.session_type_by_id[s.session_type]
    return kind.is_group and kind.kind not in _ONE_TO_ONE


#: One patient's own terms, keyed by (patient, their sessions): ``fit`` prices dozens of
#: schedules that differ from the published one only around the referral.
PatientCache = dict[tuple[str, tuple[Session, ...]], tuple[float, float, float, float]]


def _patient_terms(
    clinic: Clinic, pid: str, sessions: tuple[Session, ...]
) -> tuple[float, float, float, float]:
    """continuity, cohort, spread and preference of one patient."""
    types = clinic.session_type_by_id
    blocks = clinic.block_by_id
    p = clinic.patient_by_id[pid]
    groups = [s for s in sessions if _is_group(clinic, s)]
    could = any(
        can_lead(clinic, p.primary_therapist, blocks[s.block], types[s.session_type], s.week)
        for s in groups
    )
    continuity = (
        1.0 if could and not any(p.primary_therapist in s.therapists for s in groups) else 0.0
    )
    starts = {blocks[s.block].window.start for s in groups}
    days = {(s.week, int(blocks[s.block].weekday)) for s in groups}
    spread = sum(1 for w, d in days if (w, d + 1) in days and d + 1 <= int(Weekday.SUN))
    outside = sum(1 for s in sessions if not p.preference.accepts(blocks[s.block].window.start))
    return continuity, float(max(0, len(starts) - 1)), float(spread), float(outside)


def schedule_terms(
    clinic: Clinic, schedule: Schedule, cache: PatientCache | None = None
) -> dict[str, float]:
    """Every counted term (module docstring) of ``schedule``, in units. ``cache`` keeps
    each patient's own terms between calls on clinics that differ at most in admission
    dates (which no term reads)."""
    types = clinic.session_type_by_id
    blocks = clinic.block_by_id
    cache = {} if cache is None else cache
    totals = [0.0, 0.0, 0.0, 0.0]
    for pid, sessions in schedule.sessions_by_patient.items():
        key = (pid, sessions)
        if key not in cache:
            cache[key] = _patient_terms(clinic, pid, sessions)
        for i, value in enumerate(cache[key]):
            totals[i] += value
    terms = dict(zip(("continuity", "cohort", "spread", "preference"), totals, strict=True))
    load: dict[int, Counter[str]] = defaultdict(Counter)
    evening = 0
    for s in schedule.sessions:
        minutes = types[s.session_type].duration_min
        w = blocks[s.block].window
        late = w.start >= EVENING_FROM or w.weekday >= Weekday.SAT
        for t in s.therapists:
            load[s.week][t] += minutes
            evening += minutes if late else 0
    terms["load_balance"] = sum(max(c.values()) for c in load.values()) / 60
    terms["evening_saturday"] = evening / 60
    groups = [s for s in schedule.sessions if _is_group(clinic, s)]
    terms["groups_opened"] = float(len(groups))
    terms["small_groups"] = float(
        sum(max(0, types[s.session_type].target_size - len(s.patients)) for s in groups)
    )
    return terms


def cost_changes(
    before: Mapping[str, float], after: Mapping[str, float], weights: Weights | None = None
) -> tuple[CostChange, ...]:
    """The terms that change from ``before`` to ``after``, in the summary's order, each
    with its points (change times weight)."""
    w = (weights or Weights()).as_dict()
    order = [t for t in TERM_NAMES if t in after] + [t for t in after if t not in TERM_NAMES]
    out = []
    for term in order:
        change = after[term] - before.get(term, 0.0)
        if abs(change) < 1e-9:
            continue
        label, unit = term_label(term)
        out.append(
            CostChange(term, label, unit, round(change, 4), round(change * w.get(term, 0), 4))
        )
    return tuple(out)
