"""The what-if figures' labels, as a director reads them: one place, so the table, the
workbook, the charts and the tests name each figure the same way."""

from __future__ import annotations

PLACED = "Placed"
WAITLIST = "Waitlist (unplaced)"
PLACED_CLASS = "Placed: {}"  # one row per priority class (RULES.md P3)
WAITLIST_CLASS = "Waitlist: {}"
PROVEN_MAX = "Most placeable (proven)"
SEATS_OFFERED = "Group seats offered"
SEATS_USED = "Group seats used"
THERAPIST_UTILISATION = "Therapist utilisation %"
ROOM_UTILISATION = "Room utilisation %"
EVENING_HOURS = "Evening staff hours"
SATURDAY_HOURS = "Saturday staff hours"
HOURS_PER_PLACED = "Staff hours per placed patient"
SHORTFALLS = "Compliance shortfalls"

#: Figures where more is better, and where less is; the rest (utilisation) depend on
#: what the director wants, so their changes are not coloured.
_MORE_IS_BETTER = (PLACED, PLACED_CLASS.format(""), PROVEN_MAX, SEATS_OFFERED, SEATS_USED)
_LESS_IS_BETTER = (
    WAITLIST,
    WAITLIST_CLASS.format(""),
    SHORTFALLS,
    HOURS_PER_PLACED,
    EVENING_HOURS,  # unsocial hours: harder to staff
    SATURDAY_HOURS,
)


def better(label: str, change: float) -> bool | None:
    """Whether a change of ``change`` in the figure ``label`` is a gain (None: neither)."""
    if change == 0:
        return None
    if label.startswith(_MORE_IS_BETTER):
        return change > 0
    if label.startswith(_LESS_IS_BETTER):
        return change < 0
    return None
