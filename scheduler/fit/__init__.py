"""Recommend fit for one referral: where a new patient could join the published timetable,
from which day, at what cost, and if nowhere, why (issue 12, part 3).

- ``options`` — the frozen records of the answer (:class:`FitOption`, :class:`NoFit`).
- ``search`` — :func:`recommend`, :func:`why_not` and :func:`fit` (both in one call):
  the probe's ways in, ranked and confirmed by the independent checker.
- ``cost`` — the solve summary's cost terms counted from a schedule, before and after.
- ``referral`` — the referral from the input's Patients sheet or from a one-patient file,
  and the check that a schedule.json belongs to the input; errors located.
- ``render`` — the table for the terminal and the JSON for the app.
"""

from scheduler.fit.options import CostChange, FitOption, FitSession, Move, NoFit
from scheduler.fit.search import NotAReferral, fit, recommend, why_not

__all__ = [
    "CostChange",
    "FitOption",
    "FitSession",
    "Move",
    "NoFit",
    "NotAReferral",
    "fit",
    "recommend",
    "why_not",
]
