"""One run's figures under the labels a director reads (:mod:`scheduler.whatif.labels`),
from :func:`scheduler.whatif.metrics.measure`, where every figure is defined."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from scheduler.whatif import labels
from scheduler.whatif.metrics import NOT_PROVEN, RunMetrics

#: The label of the row that says whether the placement is proven the best possible.
PLACEMENT = "Placement"


def _percent(share: float | None) -> float | None:
    return None if share is None else round(100 * share, 1)


def figures_of(m: RunMetrics) -> dict[str, object]:
    """The figures of one measured run, in the order they are shown."""
    row: dict[str, object] = {labels.PLACED: m.placed, labels.WAITLIST: m.waitlist}
    for c in m.by_priority:
        row[labels.PLACED_CLASS.format(c.name)] = c.placed
        row[labels.WAITLIST_CLASS.format(c.name)] = c.waitlist
    per_placed = m.hours_per_placed
    row |= {
        # A maximum the solver did not prove is no number to subtract from.
        labels.PROVEN_MAX: m.proven_max if m.proven_max is not None else NOT_PROVEN,
        PLACEMENT: m.placement,
        labels.SEATS_OFFERED: m.seats_offered,
        labels.SEATS_USED: m.seats_used,
        labels.THERAPIST_UTILISATION: _percent(m.utilisation("therapist")),
        labels.ROOM_UTILISATION: _percent(m.utilisation("room")),
        labels.EVENING_HOURS: round(m.evening_hours, 1),
        labels.SATURDAY_HOURS: round(m.saturday_hours, 1),
        labels.HOURS_PER_PLACED: None if per_placed is None else round(per_placed, 2),
        labels.SHORTFALLS: m.compliance_shortfalls,
    }
    return row


def is_class_figure(label: str) -> bool:
    """A per-priority-class row: a class a run does not have counts 0 there."""
    prefixes = (labels.PLACED_CLASS.format(""), labels.WAITLIST_CLASS.format(""))
    return label.startswith(prefixes)


def ordered(columns: Iterable[str]) -> list[str]:
    """All runs' figure labels in one order: totals, then each priority class (placed and
    waitlist together, in order of first appearance), then the rest."""
    columns = list(columns)
    classes = [c for c in columns if is_class_figure(c)]
    names = list(dict.fromkeys(c.split(": ", 1)[1] for c in classes))
    by_class = [
        label.format(n) for n in names for label in (labels.PLACED_CLASS, labels.WAITLIST_CLASS)
    ]
    head = [labels.PLACED, labels.WAITLIST]
    rest = [c for c in columns if c not in head and not is_class_figure(c)]
    return [c for c in head if c in columns] + [c for c in by_class if c in classes] + rest


def fill_classes(rows: Mapping[str, dict[str, object]], failed: set[str]) -> None:
    """A class a run does not have (no new admissions in the baseline) is 0 in that run,
    so its difference shows; failed runs stay blank."""
    classes = {label for row in rows.values() for label in row if is_class_figure(label)}
    for name, row in rows.items():
        if name not in failed:
            for label in classes:
                row.setdefault(label, 0)
