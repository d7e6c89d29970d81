"""The week on screen: one site, one week, one page of rows at a time.

A timetable is a grid of rows (rooms, therapists or patients) by days; a cell lists the
sessions of that row on that day. Big clinics are never one giant table: the grid is per
site and per week, and paged (:data:`PAGE_ROWS` rows a page), so a 2,000-patient clinic's
page is as light as the sample's. Filters (session type, track, therapist) and the patient
search narrow the sessions shown; the patient view then lists only the matching patients.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from scheduler.domain import Clinic, Weekday
from scheduler.exports.html import _colour as hashed_colour
from scheduler.exports.view import ScheduleView, SessionView, room_label

PAGE_ROWS = 30
#: Distinct pastel fills with a darker edge, given to session types in clinic order, so
#: that no two of a clinic's first dozen types look alike; more types fall back to a hash.
PALETTE = (
    ("#dbe8fb", "#2f6fb3"),
    ("#fde2cf", "#c4621d"),
    ("#d6f0dc", "#2e8b4a"),
    ("#f6d5d7", "#b42318"),
    ("#e6dcf7", "#6941c6"),
    ("#fcf0c4", "#a07800"),
    ("#d3eef0", "#177e89"),
    ("#f7d9ee", "#b2337f"),
    ("#e4e7eb", "#52606d"),
    ("#e9f3cf", "#66841e"),
    ("#ffe0e0", "#d14343"),
    ("#d9e1f7", "#3a4fb0"),
)
VIEWS = ("room", "therapist", "patient")


@dataclass(frozen=True)
class Filters:
    view: str = "room"
    site: str = ""
    week: int = 0
    session_type: str = ""
    track: str = ""
    therapist: str = ""
    q: str = ""
    page: int = 1


@dataclass(frozen=True)
class Row:
    key: str
    label: str
    cells: tuple[tuple[SessionView, ...], ...]  # one per day shown


@dataclass(frozen=True)
class Legend:
    type_id: str
    name: str
    background: str
    border: str


@dataclass(frozen=True)
class Page:
    filters: Filters
    days: tuple[tuple[Weekday, dt.date], ...]
    rows: tuple[Row, ...]
    page: int
    pages: int
    total_rows: int
    sessions_shown: int
    legend: tuple[Legend, ...]


def _matches_patient(v: SessionView, q: str) -> bool:
    return any(q in p.name.lower() or q in p.id.lower() for p in v.patients)


def _keep(v: SessionView, f: Filters, site: str) -> bool:
    if v.session.week != f.week or v.block.site != site:
        return False
    if f.session_type and v.kind.id != f.session_type:
        return False
    if f.track and not any(p.track.value == f.track for p in v.patients):
        return False
    if f.therapist and f.therapist not in v.session.therapists:
        return False
    return not f.q or _matches_patient(v, f.q.lower())


def default_site(clinic: Clinic) -> str:
    return clinic.sites[0].id if clinic.sites else ""


def build_page(view: ScheduleView, f: Filters) -> Page:
    clinic = view.clinic
    site = f.site if f.site in clinic.site_by_id else default_site(clinic)
    f = Filters(**{**f.__dict__, "site": site})
    shown = [v for v in view.sessions if _keep(v, f, site)]
    weekdays = sorted({b.weekday for b in clinic.blocks if b.site == site})
    monday = view.schedule.week_start + dt.timedelta(weeks=f.week)
    days = tuple((d, monday + dt.timedelta(days=int(d))) for d in weekdays)
    index = {d: i for i, (d, _) in enumerate(days)}

    keys: dict[str, str] = {}
    grid: dict[str, list[list[SessionView]]] = {}

    def add(key: str, label: str, v: SessionView) -> None:
        keys.setdefault(key, label)
        cells = grid.setdefault(key, [[] for _ in days])
        if v.block.weekday in index:
            cells[index[v.block.weekday]].append(v)

    q = f.q.lower()
    for v in shown:
        if f.view == "therapist":
            for t in v.therapists:
                add(t.id, f"{t.name} ({t.id})", v)
        elif f.view == "patient":
            for p in v.patients:
                if not q or q in p.name.lower() or q in p.id.lower():
                    add(p.id, f"{p.name} ({p.id})", v)
        else:
            add(v.room.id, room_label(clinic, v.room), v)
    if f.view == "room" and not (f.session_type or f.track or f.therapist or f.q):
        # An empty room is worth seeing: it is where a group can still go.
        for r in clinic.rooms:
            if r.serves(site):
                keys.setdefault(r.id, room_label(clinic, r))
                grid.setdefault(r.id, [[] for _ in days])
    order = sorted(keys, key=lambda k: keys[k].lower())
    pages = max(1, -(-len(order) // PAGE_ROWS))
    page = min(max(1, f.page), pages)
    chosen = order[(page - 1) * PAGE_ROWS : page * PAGE_ROWS]
    rows = tuple(Row(k, keys[k], tuple(tuple(c) for c in grid[k])) for k in chosen)
    order_of = {st.id: i for i, st in enumerate(clinic.session_types)}
    types = sorted({v.kind.id: v.kind.name for v in shown}.items(), key=lambda t: order_of[t[0]])
    ids = [st.id for st in clinic.session_types]
    legend = tuple(Legend(t, name, *type_colour(t, ids)) for t, name in types)
    return Page(f, days, rows, page, pages, len(order), len(shown), legend)


def type_colour(type_id: str, ids: Sequence[str]) -> tuple[str, str]:
    """The fill and edge of a session type among the clinic's types ``ids``."""
    i = list(ids).index(type_id) if type_id in ids else len(PALETTE)
    return PALETTE[i] if i < len(PALETTE) else hashed_colour(type_id)


def type_styles(ids: Sequence[str]) -> str:
    """CSS classes for session-type colours, served as a stylesheet (the CSP forbids
    inline styles)."""
    out = []
    for t in ids:
        bg, border = type_colour(t, ids)
        # As specific as ``a.sess``, which sets a neutral edge, and later, so it wins.
        cls = f".ty-{css_id(t)}"
        out.append(
            f"a.sess{cls}, .swatch{cls} {{ background: {bg}; border-left-color: {border}; }}"
        )
    return "\n".join(out) + "\n"


def css_id(type_id: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in type_id)
