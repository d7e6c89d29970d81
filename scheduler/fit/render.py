"""``fit``'s answer as text for the terminal and as JSON for the app.

Both name patients by ID only, never by name (DESIGN.md §6), and the JSON holds no timing
so that the same input, schedule and referral always give the same bytes.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from scheduler.fit.options import CostChange, FitOption, FitSession, NoFit

_ONE_TO_ONE = ("individual", "family", "assessment")


def _amount(c: CostChange) -> str:
    return f"{c.change:+g} {c.unit}".rstrip()


def cost_words(cost: Sequence[CostChange], points: float) -> str:
    """ "+3 points: Group days back to back +1 pairs; …", or "no cost change"."""
    if not cost:
        return "no cost change"
    parts = "; ".join(f"{c.label} {_amount(c)}" for c in cost)
    return f"{points:+g} points: {parts}"


def _session_cells(s: FitSession) -> list[str]:
    what = "new group" if s.new else f"joins ({s.size} with them)"
    if s.kind in _ONE_TO_ONE:
        what = "new slot" if s.new else "joins"
    return [
        f"{s.weekday} {s.date:%d %b}",
        f"{s.start}–{s.end}",
        s.code,
        s.type_name,
        what,
        s.room,
        ", ".join(s.therapists),
    ]


def _table(rows: list[list[str]], indent: str = "    ") -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return [
        indent + "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
        for r in rows
    ]


def options_text(patient: str, options: Sequence[FitOption]) -> str:
    """The ranked ways in, each with its sessions as a small table."""
    head = ["Day", "Time", "Group code", "Session", "Seat", "Room", "Therapists"]
    lines = [f"Ways to admit patient {patient}, best first ({len(options)} shown):"]
    for o in options:
        moves = (
            "moves nobody"
            if o.moves_nobody
            else "moves "
            + ", ".join(f"{m.patient} ({m.from_session} → {m.to_session})" for m in o.moves)
        )
        start = f"starts {o.start:%a %d %b %Y}"
        if o.admission != o.start:
            start += f" (admission date {o.admission:%a %d %b})"
        lines += [
            "",
            f"#{o.rank}  {start}; groups on {', '.join(o.days) or 'no day'}; {moves}",
            f"    cost: {cost_words(o.cost, o.points)}",
            *_table([head, *(_session_cells(s) for s in o.sessions)]),
        ]
    lines += [
        "",
        "Each way was checked against every scheduling rule with the referral inserted. To "
        "admit them: add the patient to the Patients sheet with that admission date, and lock "
        "the sessions or solve again.",
    ]
    return "\n".join(lines)


def no_fit_text(no: NoFit) -> str:
    return f"No way to admit patient {no.patient} into this timetable. {no.reason}"


def _session_json(s: FitSession) -> dict[str, Any]:
    d = asdict(s)
    d["date"] = s.date.isoformat()
    d["therapists"] = list(s.therapists)
    return d


def answer_json(
    patient: str, answer: Sequence[FitOption] | NoFit, *, input_path: str, schedule_path: str
) -> str:
    """The answer for the app: ``options`` best first (empty when none), ``no_fit`` with
    the reason when there is no way in."""
    doc: dict[str, Any] = {
        "patient": patient,
        "input": input_path,
        "schedule": schedule_path,
        "options": [],
        "no_fit": None,
    }
    if isinstance(answer, NoFit):
        doc["no_fit"] = {"reason": answer.reason, "search_capped": answer.capped}
    else:
        doc["options"] = [
            {
                "rank": o.rank,
                "start": o.start.isoformat(),
                "admission": o.admission.isoformat(),
                "days": list(o.days),
                "moves_nobody": o.moves_nobody,
                "moves": [asdict(m) for m in o.moves],
                "points": o.points,
                "cost": [asdict(c) for c in o.cost],
                "sessions": [_session_json(s) for s in o.sessions],
            }
            for o in answer
        ]
    return json.dumps(doc, indent=2, ensure_ascii=False)
