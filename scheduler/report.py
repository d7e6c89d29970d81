"""The end of a solve in a coordinator's words: who was placed, how good the timetable is,
and what it costs, with a plain name for each cost term.

Pure functions of the schedule that return text and print nothing, so that more lines
(per priority class, per site) can be added here. The solver's numbers (objective, bound,
gap, seed) stay in :meth:`Schedule.summary`, shown by ``solve --verbose``.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping

from scheduler.changes import ChangeCounts
from scheduler.domain import Clinic
from scheduler.previous import CHANGE_TERMS
from scheduler.schedule import Schedule, SolveStats

#: Each objective term (``SolveStats.terms``) as a coordinator would name it, and its unit.
#: A term not listed here is shown under its own name, so a new term is never hidden.
TERM_NAMES: Mapping[str, tuple[str, str]] = {
    "continuity": ("Patients whose own therapist leads none of their groups", "patients"),
    "cohort": ("Extra group times of day (fewer familiar faces)", "times"),
    "spread": ("Group days back to back", "pairs"),
    "preference": ("Sessions outside a patient's preferred time", "sessions"),
    "load_balance": ("Busiest therapist's week", "hours"),
    "evening_saturday": ("Staff hours in evenings and at weekends", "hours"),
    "groups_opened": ("Group sessions held", "sessions"),
    "small_groups": ("Seats short of groups' target sizes", "seats"),
    "parallel_groups": ("Parallel groups that fewer rooms could seat", "groups"),
}


def _patients(n: int) -> str:
    return f"{n} patient" if n == 1 else f"{n} patients"


def placement_line(placed: int, total: int, placed_bound: int | None) -> str:
    """How many of the plan's patients have a place, against the most any schedule could
    place (``SolveStats.placed_bound``: proven, or None when nothing was proven)."""
    if total == 0:
        return "No patients to place in the planning dates."
    if placed == total:
        everyone = "The one patient" if total == 1 else f"All {total} patients"
        return f"{everyone} placed (the most possible)."
    head = f"{placed} of {_patients(total)} placed"
    if placed_bound is None:
        return f"{head} (not proven to be the most possible)."
    if placed_bound <= placed:
        return f"{head} (the most possible: no timetable can place more)."
    return f"{head}; up to {placed_bound} might be: a longer --time-limit may place more."


def priority_lines(stats: SolveStats) -> list[str]:
    """Placement per priority class (RULES.md P3), highest first, against its proven
    maximum: continuing patients, then new admissions by admission date."""
    out = []
    for c in stats.by_priority:
        if c.proven_max is None:
            best = "not proven to be the most possible"
        elif c.proven_max <= c.placed:
            best = "the most possible"
        else:
            best = f"up to {c.proven_max} might be"
        out.append(f"  {c.name}: {c.placed} of {c.patients} placed ({best})")
    return out


def quality_line(stats: SolveStats) -> str:
    """How far the timetable may be from the best possible, from the solver's proven bound.

    The percentage is rounded up, so "within 25 %" is never an overstatement."""
    if stats.objective is None:
        return "No timetable was found."
    gap = stats.gap
    if gap is None:
        return "Timetable quality: not measured (the solver proved no bound)."
    if stats.status == "OPTIMAL" or gap <= 0:
        return "Timetable quality: the best possible (proven)."
    percent = math.ceil(round(gap * 100, 6))
    if percent >= 100:
        return (
            "Timetable quality: not yet measurable (the solver proved no useful bound); "
            "a longer --time-limit may help."
        )
    return f"Timetable quality: within {percent} % of the best possible."


def term_label(term: str) -> tuple[str, str]:
    """The plain name and unit of an objective term; an unknown term keeps its own name."""
    return TERM_NAMES.get(term, (term.replace("_", " ").capitalize(), ""))


def cost_table(terms: Mapping[str, float], weights: Mapping[str, int] | None = None) -> str:
    """One row per cost term: its plain name, its amount and, given the weights, the points
    it adds to the solver's score, so that the biggest cost is easy to see."""
    header = ["What the timetable costs", "Amount"]
    rows: list[list[str]] = []
    for term, value in terms.items():
        name, unit = term_label(term)
        amount = f"{value:g} {unit}".rstrip()
        row = [name, amount]
        if weights is not None:
            row.append(f"{weights.get(term, 0) * value:g}")
        rows.append(row)
    if weights is not None:
        header.append("Points")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        # Names left-aligned, numbers right-aligned.
        padded = [cells[0].ljust(widths[0])]
        padded += [c.rjust(w) for c, w in zip(cells[1:], widths[1:], strict=True)]
        return "  ".join(padded).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(header), rule, *(line(r) for r in rows)])


def group_sizes_line(clinic: Clinic, schedule: Schedule) -> str | None:
    """How many groups of each size ran, and how many fell below their type's target size
    (``SessionType.target_size``); None when no group ran."""
    types = clinic.session_type_by_id
    groups = [s for s in schedule.sessions if types[s.session_type].is_group]
    if not groups:
        return None
    sizes = Counter(len(s.patients) for s in groups)
    parts = [f"{n} of {size}" for size, n in sorted(sizes.items())]
    parts[0] += " patient" if min(sizes) == 1 else " patients"
    short = sum(len(s.patients) < types[s.session_type].target_size for s in groups)
    below = f"{short} group below" if short == 1 else f"{short} groups below"
    return f"Groups by size: {', '.join(parts)} ({below} their target size)."


def topic_line(clinic: Clinic, schedule: Schedule) -> str | None:
    """The repeats of a topic cycle's module the schedule holds (RULES.md C2 allows one
    only where every module had been met by someone in the group); None without cycles."""
    from scheduler.topics import coverage, cycles

    if not cycles(clinic):
        return None
    repeats = coverage(clinic, [schedule]).repeats
    if not repeats:
        return "Topic cycles: nobody meets a module twice before meeting them all."
    return (
        f"Topic cycles: {repeats} patient-session(s) repeat a module before the round is "
        "done, where every module had already been met by someone in the group."
    )


def coordinator_summary(
    schedule: Schedule, weights: Mapping[str, int] | None = None, clinic: Clinic | None = None
) -> str:
    """The lines a coordinator reads after a solve; given the clinic, the group sizes too."""
    stats = schedule.stats
    placed = len(schedule.placed_patients)
    total = placed + len(schedule.unplaced)
    lines = [
        placement_line(placed, total, stats.placed_bound),
        *priority_lines(stats),
        quality_line(stats),
        f"{len(schedule.sessions)} sessions; solved in {stats.wall_time_s:.0f} s.",
    ]
    sizes = group_sizes_line(clinic, schedule) if clinic is not None else None
    if sizes is not None:
        lines.append(sizes)
    topics = topic_line(clinic, schedule) if clinic is not None else None
    if topics is not None:
        lines.append(topics)
    if schedule.starting_later:
        n = len(schedule.starting_later)
        lines.append(f"{_patients(n)} admitted too late for this plan start next week.")
    if stats.clock_cut:
        lines.append(
            "Stopped by the clock before the search's budget was spent: a re-run may differ."
        )
    # What changed from a previous schedule is the change report's, not a cost.
    costs = {k: v for k, v in stats.terms.items() if k not in CHANGE_TERMS}
    if costs:
        lines += ["", cost_table(costs, weights)]
    return "\n".join(lines)


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def changes_line(counts: ChangeCounts) -> str:
    """The change report in one line (issue "week after week"): "12 appointments change
    for 5 patients and 2 therapists (3 forced); 3 new patients; 2 discharged"."""
    if counts.appointments == 0:
        head = "No appointment changes"
    else:
        head = (
            f"{_count(counts.appointments, 'appointment changes', 'appointments change')} for "
            f"{_count(counts.patients, 'patient', 'patients')} and "
            f"{_count(counts.therapists, 'therapist', 'therapists')} "
            f"({counts.forced} forced)"
        )
    parts = [
        head,
        _count(counts.new_patients, "new patient", "new patients"),
        f"{counts.discharged} discharged",
    ]
    if counts.lost_place:
        parts.append(f"{counts.lost_place} lost their place")
    return "; ".join(parts) + "."
