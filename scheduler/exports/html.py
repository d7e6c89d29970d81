"""``timetable.html``: a self-contained, printable weekly timetable.

One file with inline CSS and no scripts, fonts or images, so it opens in any browser with
no network access; the only links are to places on the page itself. At a multi-site clinic
the page has one part per site, and a contents list opens it. Two views per week, by room
and by therapist: rows are the clinic's
blocks by time of day, columns the days; sessions are coloured by session type and a legend
names the colours. It lists group codes, rooms, staff and patient counts, never patients.
"""

from __future__ import annotations

import colorsys
import datetime as dt
import hashlib
from collections import defaultdict
from collections.abc import Sequence
from html import escape

from scheduler.domain import Weekday, format_time
from scheduler.exports.view import ScheduleView, SessionView, multi_site, room_label

_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Arial, sans-serif; margin: 1em;
       color: #111; }
h1 { font-size: 1.4em; margin: 0 0 .3em 0; }
h2 { font-size: 1.15em; margin: 1.2em 0 .4em 0; }
h3 { font-size: 1em; margin: .8em 0 .3em 0; }
table.grid { border-collapse: collapse; width: 100%; table-layout: fixed; margin-bottom: .8em; }
table.grid th, table.grid td { border: 1px solid #999; padding: 2px 4px; vertical-align: top;
       font-size: .8em; }
table.grid th { background: #e8ecf4; }
table.grid th.time { width: 7em; }
.s { border-radius: 3px; padding: 1px 3px; margin: 1px 0; border-left: 4px solid #555;
     -webkit-print-color-adjust: exact; print-color-adjust: exact; }
.legend span { display: inline-block; padding: 2px 6px; margin: 2px; border-radius: 3px;
     -webkit-print-color-adjust: exact; print-color-adjust: exact; }
.note { font-size: .8em; color: #555; }
.topic { font-style: italic; }
section.owner { break-inside: avoid; page-break-inside: avoid; }
nav.toc { font-size: .9em; columns: 2 24em; margin: .6em 0; }
nav.toc ul { margin: .2em 0; padding-left: 1.2em; }
nav.toc li { break-inside: avoid; page-break-inside: avoid; }
h2.site { font-size: 1.3em; border-bottom: 2px solid #999; }
a.up { font-size: .7em; font-weight: normal; }
@page { size: landscape; margin: 1cm; }
@media print { .view { break-before: page; page-break-before: always; }
               nav.toc, a.up { display: none; } }
"""


def _colour(type_id: str) -> tuple[str, str]:
    """A stable pastel background and a darker border for a session type."""
    h = int(hashlib.sha256(type_id.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
    r, g, b = colorsys.hls_to_rgb(h, 0.85, 0.6)
    r2, g2, b2 = colorsys.hls_to_rgb(h, 0.4, 0.6)

    def hx(r: float, g: float, b: float) -> str:
        return f"#{round(r * 255):02x}{round(g * 255):02x}{round(b * 255):02x}"

    return hx(r, g, b), hx(r2, g2, b2)


def _css_class(type_id: str, index: dict[str, str]) -> str:
    return index.setdefault(type_id, f"t{len(index)}")


def _session_html(v: SessionView, cls: str, show: str) -> str:
    n = len(v.session.patients)
    return (
        f'<div class="s {cls}" data-session-id="{escape(v.session.id)}">'
        f"<b>{escape(v.session.code)}</b> {escape(v.time_label)}<br>"
        # The module of a topic cycle (RULES.md C1): staff print this for the session.
        + (f'<span class="topic">{escape(v.session.topic)}</span><br>' if v.session.topic else "")
        + f"{escape(show)} · {n} pt</div>"
    )


def _grid(
    title: str,
    owners: Sequence[tuple[str, str]],
    cells: dict[tuple[str, tuple[int, int], Weekday], list[str]],
    times: Sequence[tuple[int, int]],
    days: Sequence[Weekday],
) -> list[str]:
    out = []
    for owner_id, owner_name in owners:
        if not any((owner_id, t, d) in cells for t in times for d in days):
            continue
        out.append(f'<section class="owner"><h3>{escape(title)}: {escape(owner_name)}</h3>')
        out.append('<table class="grid"><thead><tr><th class="time">Block</th>')
        out += [f"<th>{d.label}</th>" for d in days]
        out.append("</tr></thead><tbody>")
        for t in times:
            out.append(f'<tr><th class="time">{format_time(t[0])}–{format_time(t[1])}</th>')
            for d in days:
                out.append("<td>" + "".join(cells.get((owner_id, t, d), [])) + "</td>")
            out.append("</tr>")
        out.append("</tbody></table></section>")
    return out


def _views(
    view: ScheduleView,
    sessions: Sequence[SessionView],
    classes: dict[str, str],
    anchor: str,
    heading: str,
) -> tuple[list[str], list[tuple[str, str]]]:
    """The by-room and by-therapist grids of each week for ``sessions``, and their TOC."""
    clinic, schedule = view.clinic, view.schedule
    times = sorted({(b.window.start, b.window.end) for b in clinic.blocks})
    days = sorted({b.weekday for b in clinic.blocks})
    rooms = [(r.id, room_label(clinic, r)) for r in sorted(clinic.rooms, key=lambda r: r.id)]
    staff = [(t.id, t.name) for t in sorted(clinic.therapists, key=lambda t: t.id)]
    body: list[str] = []
    toc: list[tuple[str, str]] = []
    for w in range(schedule.weeks):
        monday = schedule.week_start + dt.timedelta(weeks=w)
        by_room: dict[tuple[str, tuple[int, int], Weekday], list[str]] = defaultdict(list)
        by_staff: dict[tuple[str, tuple[int, int], Weekday], list[str]] = defaultdict(list)
        for v in sessions:
            if v.session.week != w:
                continue
            key_t = (v.block.window.start, v.block.window.end)
            cls = classes[v.kind.id]
            by_room[(v.room.id, key_t, v.block.weekday)].append(
                _session_html(v, cls, v.therapist_names)
            )
            for t in v.session.therapists:
                by_staff[(t, key_t, v.block.weekday)].append(_session_html(v, cls, v.room_label))
        for kind, title, owners, cells, what in (
            ("by-room", "by room", rooms, by_room, "Room"),
            ("by-therapist", "by therapist", staff, by_staff, "Therapist"),
        ):
            ident = f"{anchor}-w{w}-{kind}"
            text = f"{heading}Week of {monday.isoformat()} — {title}"
            toc.append((ident, f"Week of {monday.isoformat()} — {title}"))
            body.append(f'<div class="view {kind}" data-week="{w}" id="{ident}">')
            body.append(f"<h2>{escape(text)}</h2>")
            body += _grid(what, owners, cells, times, days)
            body.append("</div>")
    return body, toc


def build_html(view: ScheduleView, now: dt.datetime) -> bytes:
    """The timetable; at a multi-site clinic, one part per site, with a contents list."""
    clinic, schedule = view.clinic, view.schedule
    classes: dict[str, str] = {}
    for st in sorted(clinic.session_types, key=lambda s: s.id):
        _css_class(st.id, classes)
    css = [_CSS]
    for type_id, cls in classes.items():
        bg, border = _colour(type_id)
        css.append(f".{cls} {{ background: {bg}; border-left-color: {border}; }}")

    title = f"{clinic.settings.name} — timetable"
    body = [f'<h1 id="top">{escape(title)}</h1>']
    stamp = now.astimezone(clinic.settings.zone).strftime("%Y-%m-%d %H:%M %Z")
    body.append(
        f'<p class="note">{len(view.sessions)} sessions · status {escape(schedule.stats.status)}'
        f" · published {escape(stamp)} · confidential: for clinic staff only</p>"
    )
    body.append('<div class="legend"><b>Session types:</b> ')
    for st in sorted(clinic.session_types, key=lambda s: s.id):
        body.append(f'<span class="{classes[st.id]}">{escape(st.id)} – {escape(st.name)}</span>')
    body.append("</div>")

    # Anchors are numbered, not made from IDs: user text never becomes an attribute name.
    parts: list[tuple[str, str, list[str], list[tuple[str, str]]]] = []
    if multi_site(clinic):
        for n, site in enumerate(sorted(clinic.sites, key=lambda s: s.id), start=1):
            mine = [v for v in view.sessions if v.block.site == site.id]
            anchor = f"site{n}"
            grids, toc = _views(view, mine, classes, anchor, f"{site.name} — ")
            parts.append((anchor, site.name, grids, toc))
    else:
        grids, toc = _views(view, view.sessions, classes, "all", "")
        parts.append(("all", "", grids, toc))

    body.append('<nav class="toc"><b>Contents</b><ul>')
    for anchor, name, _, toc in parts:
        inner = "".join(f'<li><a href="#{i}">{escape(t)}</a></li>' for i, t in toc)
        if name:
            body.append(f'<li><a href="#{anchor}">{escape(name)}</a><ul>{inner}</ul></li>')
        else:
            body.append(inner)
    body.append("</ul></nav>")
    for anchor, name, grids, _ in parts:
        body.append(f'<section class="site" id="{anchor}">')
        if name:
            body.append(
                f'<h2 class="site">{escape(name)} <a class="up" href="#top">↑ contents</a></h2>'
            )
        body += grids
        body.append("</section>")

    page = (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="robots" content="noindex">'
        # Nothing may be fetched: the page must work offline and leak nothing.
        '<meta http-equiv="Content-Security-Policy" '
        "content=\"default-src 'none'; style-src 'unsafe-inline'\">"
        f"<title>{escape(title)}</title><style>{''.join(css)}</style></head>"
        f"<body>{''.join(body)}</body></html>\n"
    )
    return page.encode("utf-8")
