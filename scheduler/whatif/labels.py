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
