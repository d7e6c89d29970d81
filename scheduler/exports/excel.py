"""``schedule.xlsx`` for coordinators: grids, rosters, sign-in sheets, checks, run info.

Every sheet is print-ready (landscape, one page wide, header row repeated and frozen,
computed column widths, a confidentiality footer). Every cell built from user text is
written as text: openpyxl turns any string starting with ``=`` into a live formula, so such
cells are forced back to strings and marked with Excel's quote prefix, and control
characters (which Excel cannot store) are stripped.
"""

from __future__ import annotations

import datetime as dt
import io
import platform
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import metadata

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.pagebreak import Break
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

from scheduler import compliance
from scheduler.domain import Patient, Weekday, format_time
from scheduler.exports.ical import FeedInfo
from scheduler.exports.options import PublishOptions
from scheduler.exports.privacy import neutral
from scheduler.exports.view import ScheduleView

FOOTER = "CONFIDENTIAL – protected by 42 CFR Part 2 and HIPAA. Do not copy or disclose."
SHEETS = (
    "Summary",
    "By room",
    "By therapist",
    "Rosters",
    "Sign-in",
    "Patients",
    "Therapist load",
    "Compliance",
    "Unplaced",
    "Calendar feeds",
    "Run info",
)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_FORMULA_START = ("=", "+", "-", "@")
BOLD = Font(bold=True)
SHORT = PatternFill("solid", fgColor="FFF2B8B8")  # light red: below a rule
OVER = PatternFill("solid", fgColor="FFFFE699")  # light amber: above a limit
HEAD = PatternFill("solid", fgColor="FFD9E1F2")
WRAP = Alignment(wrap_text=True, vertical="top")

Value = str | int | float | dt.date | None


def clean_text(text: str) -> str:
    """Drop control characters Excel cannot hold (keep line breaks; tabs become spaces)."""
    return _CONTROL.sub("", text.replace("\r\n", "\n").replace("\t", " "))


class _Sheet:
    """Appends rows, keeps user text as text and tracks column widths."""

    def __init__(self, wb: Workbook, title: str, header: Sequence[str] | None) -> None:
        self.ws: Worksheet = wb.create_sheet(title)
        self.widths: dict[int, float] = {}
        self.row_no = 0
        if header is not None:
            self.add(header, font=BOLD, fill=HEAD)
            self.ws.freeze_panes = "A2"
            self.ws.print_title_rows = "1:1"

    def add(
        self,
        values: Sequence[Value],
        *,
        fill: PatternFill | None = None,
        font: Font | None = None,
        wrap: bool = False,
    ) -> int:
        row = [clean_text(v) if isinstance(v, str) else v for v in values]
        self.ws.append(row)
        self.row_no += 1
        r = self.row_no
        for i, v in enumerate(row, start=1):
            if v is None:
                continue
            styled = fill is not None or font is not None or wrap
            if isinstance(v, str):
                lines = v.split("\n")
                width = max(len(line) for line in lines)
                if v.startswith(_FORMULA_START):
                    cell = self.ws.cell(r, i)
                    cell.data_type = "s"  # never a formula, whatever the text says
                    cell.quotePrefix = True  # and Excel keeps it text when edited
            elif isinstance(v, dt.date):
                width = 10
                cell = self.ws.cell(r, i)
                cell.number_format = "yyyy-mm-dd"
            else:
                width = len(f"{v:g}") if isinstance(v, float) else len(str(v))
            self.widths[i] = max(self.widths.get(i, 0), width)
            if styled:
                cell = self.ws.cell(r, i)
                if fill is not None:
                    cell.fill = fill
                if font is not None:
                    cell.font = font
                if wrap:
                    cell.alignment = WRAP
        return r

    def page_break(self) -> None:
        self.ws.row_breaks.append(Break(id=self.row_no))

    def finish(self, max_width: float = 60) -> None:
        for i, w in self.widths.items():
            self.ws.column_dimensions[get_column_letter(i)].width = min(max(w + 2, 6), max_width)
        ps = self.ws.page_setup
        ps.orientation = "landscape"
        ps.fitToWidth = 1
        ps.fitToHeight = 0  # as many pages tall as needed
        props = self.ws.sheet_properties
        props.pageSetUpPr = PageSetupProperties(fitToPage=True)
        for footer in (self.ws.oddFooter, self.ws.evenFooter):
            if footer is not None:
                footer.left.text = FOOTER
                footer.left.size = 8
                footer.right.text = "Page &P of &N"


def _hours(minutes: int) -> float:
    return round(minutes / 60, 2)


def _patient_label(p: Patient, options: PublishOptions) -> str:
    return p.name if options.sign_in_shows == "name" else p.id


@dataclass(frozen=True)
class _Week:
    index: int
    monday: dt.date


def _weeks(view: ScheduleView) -> list[_Week]:
    start = view.schedule.week_start
    return [_Week(w, start + dt.timedelta(weeks=w)) for w in range(view.schedule.weeks)]


def build_workbook(
    view: ScheduleView,
    feeds: Sequence[FeedInfo],
    options: PublishOptions,
    now: dt.datetime,
) -> bytes:
    wb = Workbook()
    default = wb.active
    if default is not None:
        wb.remove(default)
    _summary(wb, view, now)
    _grid(wb, view, "By room", "Room", by_room=True)
    _grid(wb, view, "By therapist", "Therapist", by_room=False)
    _rosters(wb, view)
    _sign_in(wb, view, options)
    _patients(wb, view)
    _load(wb, view)
    _compliance(wb, view)
    _unplaced(wb, view)
    _feeds(wb, feeds)
    _run_info(wb, view, now)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _summary(wb: Workbook, view: ScheduleView, now: dt.datetime) -> None:
    c, s = view.clinic, view.schedule
    sh = _Sheet(wb, "Summary", ["Item", "Value"])
    last = s.week_start + dt.timedelta(weeks=s.weeks, days=-1)
    rows: list[tuple[str, Value]] = [
        ("Clinic", c.settings.name),
        ("Planning horizon", f"{s.week_start.isoformat()} to {last.isoformat()}"),
        ("Weeks", s.weeks),
        ("Status", s.stats.status),
        ("Patients placed", len(view.by_patient)),
        ("Patients unplaced", len(s.unplaced)),
        ("Sessions waived (see Compliance)", len(compliance.waived_notes(c, s))),
        ("Short weeks (see Compliance)", len(compliance.short_week_notes(c, s))),
        ("Sessions", len(view.sessions)),
        ("Therapists scheduled", len(view.by_therapist)),
        ("Rooms used", len(view.by_room)),
        ("Published", now.astimezone(c.settings.zone).strftime("%Y-%m-%d %H:%M %Z")),
    ]
    by_type = Counter(v.kind.name for v in view.sessions)
    rows += [(f"Sessions: {name}", n) for name, n in sorted(by_type.items())]
    for key, value in rows:
        sh.add([key, value])
    sh.finish()


def _time_rows(view: ScheduleView) -> list[tuple[int, int]]:
    return sorted({(b.window.start, b.window.end) for b in view.clinic.blocks})


def _days(view: ScheduleView) -> list[Weekday]:
    return sorted({b.weekday for b in view.clinic.blocks})


def _grid(wb: Workbook, view: ScheduleView, title: str, what: str, *, by_room: bool) -> None:
    """Rows are blocks (by time of day), columns are days, one band per room/therapist."""
    days = _days(view)
    times = _time_rows(view)
    sh = _Sheet(wb, title, [what, "Week of", "Block", *(d.label for d in days)])
    cells: dict[tuple[str, int, tuple[int, int], Weekday], list[str]] = defaultdict(list)
    for v in view.sessions:
        key_time = (v.block.window.start, v.block.window.end)
        n = len(v.session.patients)
        if by_room:
            text = f"{v.session.code} · {v.therapist_names} · {n} pt"
            owners = [v.session.room]
        else:
            text = f"{v.session.code} · {v.room.name} · {n} pt"
            owners = list(v.session.therapists)
        for owner in owners:
            cells[(owner, v.session.week, key_time, v.block.weekday)].append(text)
    owners_sorted = (
        [(r.id, r.name) for r in sorted(view.clinic.rooms, key=lambda r: r.id)]
        if by_room
        else [(t.id, t.name) for t in sorted(view.clinic.therapists, key=lambda t: t.id)]
    )
    for owner_id, owner_name in owners_sorted:
        for week in _weeks(view):
            for t in times:
                label = f"{format_time(t[0])}–{format_time(t[1])}"
                texts = ["\n".join(cells.get((owner_id, week.index, t, d), [])) for d in days]
                sh.add([owner_name, week.monday, label, *texts], wrap=True)
        sh.page_break()  # one room/therapist per printed page
    sh.finish(max_width=40)


def _rosters(wb: Workbook, view: ScheduleView) -> None:
    sh = _Sheet(
        wb,
        "Rosters",
        [
            "Date",
            "Day",
            "Time",
            "Group code",
            "Type",
            "Room",
            "Therapist(s)",
            "Size",
            "Patient",
            "Patient ID",
        ],
    )
    for v in view.sessions:
        head: list[Value] = [
            v.date,
            v.block.weekday.label,
            v.time_label,
            v.session.code,
            v.kind.name,
            v.room.name,
            v.therapist_names,
            len(v.patients),
        ]
        for p in sorted(v.patients, key=lambda p: (p.name, p.id)):
            sh.add([*head, p.name, p.id])
        if not v.patients:
            sh.add([*head, None, None])
    sh.finish()


def _sign_in(wb: Workbook, view: ScheduleView, options: PublishOptions) -> None:
    """One printed page per dated session. No type name, diagnosis or treatment words."""
    sh = _Sheet(wb, "Sign-in", None)
    who = "Name" if options.sign_in_shows == "name" else "Code"
    for v in view.sessions:
        code = neutral(v.session.code, "Session")
        sh.add([f"Sign-in sheet — {code}"], font=Font(bold=True, size=14))
        sh.add(["Date", v.date, "Time", v.time_label])
        sh.add(["Room", neutral(v.room.name, "Room"), "Staff", v.therapist_names])
        sh.add([])
        sh.add(["#", who, "Signature", "Time in", "Time out"], font=BOLD, fill=HEAD)
        labels = sorted(_patient_label(p, options) for p in v.patients)
        for i, label in enumerate(labels, start=1):
            sh.add([i, label, None, None, None])
        if v.kind.max_size > 1:  # walk-ins only where the session is a group
            for i in range(len(labels) + 1, len(labels) + 1 + options.walk_in_rows):
                sh.add([i, None, None, None, None])
        sh.page_break()
    sh.widths[3] = max(sh.widths.get(3, 0), 30)  # room to sign
    sh.widths[4] = max(sh.widths.get(4, 0), 12)
    sh.widths[5] = max(sh.widths.get(5, 0), 12)
    sh.ws.print_options.gridLines = True
    sh.finish()


def _patients(wb: Workbook, view: ScheduleView) -> None:
    sh = _Sheet(
        wb,
        "Patients",
        ["Patient", "Patient ID", "Date", "Day", "Time", "Group code", "Type", "Room", "Staff"],
    )
    clinic = view.clinic
    for pid in sorted(view.by_patient, key=lambda p: (clinic.patient_by_id[p].name, p)):
        p = clinic.patient_by_id[pid]
        for v in view.by_patient[pid]:
            sh.add(
                [
                    p.name,
                    p.id,
                    v.date,
                    v.block.weekday.label,
                    v.time_label,
                    v.session.code,
                    v.kind.name,
                    v.room.name,
                    v.therapist_names,
                ]
            )
    sh.finish()


def _load(wb: Workbook, view: ScheduleView) -> None:
    sh = _Sheet(
        wb,
        "Therapist load",
        [
            "Therapist",
            "ID",
            "Credentials",
            "Week of",
            "Sessions",
            "Hours",
            "Max hours/week",
            "Busiest day (h)",
            "Max hours/day",
            "Caseload",
            "Caseload cap",
        ],
    )
    caseload = Counter(view.clinic.patient_by_id[p].primary_therapist for p in view.by_patient)
    for t in sorted(view.clinic.therapists, key=lambda t: t.id):
        sessions = view.by_therapist.get(t.id, ())
        for week in _weeks(view):
            mine = [v for v in sessions if v.session.week == week.index]
            per_day: Counter[dt.date] = Counter()
            for v in mine:
                per_day[v.date] += v.window.minutes
            hours = _hours(sum(per_day.values()))
            busiest = _hours(max(per_day.values(), default=0))
            over = (
                hours > t.max_hours_week
                or busiest > t.max_hours_day
                or caseload[t.id] > t.caseload_cap
            )
            sh.add(
                [
                    t.name,
                    t.id,
                    ", ".join(sorted(t.credentials)),
                    week.monday,
                    len(mine),
                    hours,
                    t.max_hours_week,
                    busiest,
                    t.max_hours_day,
                    caseload[t.id],
                    t.caseload_cap,
                ],
                fill=OVER if over else None,
            )
    sh.finish()


def compliance_rows(view: ScheduleView) -> list[list[Value]]:
    """One row per placed patient per week they are in treatment (also used by tests)."""
    clinic = view.clinic
    st = clinic.settings
    rows: list[list[Value]] = []
    for pid in sorted(view.by_patient):
        p = clinic.patient_by_id[pid]
        band = st.band(p.track)
        need = max(band.min_hours, p.hours_target or 0)
        for week in _weeks(view):
            sunday = week.monday + dt.timedelta(days=6)
            if p.discharge < week.monday or p.admission > sunday:
                continue
            mine = [v for v in view.by_patient[pid] if v.session.week == week.index]
            minutes = sum(v.window.minutes for v in mine if v.kind.counts_toward_hours)
            hours = _hours(minutes)
            services = Counter(v.date for v in mine)
            group_days = Counter(v.date for v in mine if v.kind.is_group)
            partial = p.admission > week.monday or p.discharge < sunday
            waived = partial or p.is_stepping_down(week.monday)
            attended = [(v.kind, v.date) for v in mine]
            note = "partial week" if partial else ("step-down" if waived else "")
            rows.append(
                [
                    p.name,
                    p.id,
                    p.track.value,
                    week.monday,
                    hours,
                    need,
                    band.max_hours,
                    len(group_days),
                    st.min_days(p.track),
                    max(services.values(), default=0),
                    sum(1 for n in services.values() if n >= 4),
                    note,
                    compliance.status(clinic, p, week.index, attended),
                ]
            )
    return rows


def _compliance(wb: Workbook, view: ScheduleView) -> None:
    sh = _Sheet(
        wb,
        "Compliance",
        [
            "Patient",
            "Patient ID",
            "Track",
            "Week of",
            "Hours",
            "Min hours",
            "Max hours",
            "Group days",
            "Min days",
            "Most services in a day",
            "Days with 4+ services",
            "Note",
            "Check",
        ],
    )
    for row in compliance_rows(view):
        sh.add(row, fill=None if row[-1] == "OK" else SHORT)
    sh.finish()


def _unplaced(wb: Workbook, view: ScheduleView) -> None:
    sh = _Sheet(wb, "Unplaced", ["Patient", "Patient ID", "Track", "Primary therapist", "Reason"])
    clinic = view.clinic
    for u in view.schedule.unplaced:
        p = clinic.patient_by_id[u.patient]
        primary = clinic.therapist_by_id.get(p.primary_therapist)
        sh.add(
            [
                p.name,
                p.id,
                p.track.value,
                primary.name if primary else p.primary_therapist,
                u.reason,
            ]
        )
    sh.finish(max_width=80)


def _feeds(wb: Workbook, feeds: Iterable[FeedInfo]) -> None:
    sh = _Sheet(wb, "Calendar feeds", ["Feed", "For", "ID", "File"])
    kinds = {
        "staff": "Staff master",
        "therapist": "Therapist",
        "room": "Room",
        "patient": "Patient",
    }
    for f in feeds:
        sh.add([kinds.get(f.kind, f.kind), f.label, f.owner, f"calendars/{f.filename}"])
    sh.finish()


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def _run_info(wb: Workbook, view: ScheduleView, now: dt.datetime) -> None:
    st = view.schedule.stats
    sh = _Sheet(wb, "Run info", ["Item", "Value"])
    rows: list[tuple[str, Value]] = [
        ("Status", st.status),
        ("Objective", st.objective),
        ("Best bound", st.best_bound),
        ("Gap", None if st.gap is None else round(st.gap, 6)),
        ("Wall time (s)", round(st.wall_time_s, 3)),
        ("First solution (s)", st.first_solution_s),
        ("Time limit (s)", st.time_limit_s),
        ("Seed", st.seed),
        ("Workers", st.workers),
        ("Input hash", view.schedule.input_hash),
        ("Published (UTC)", now.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S")),
        ("iop-scheduler", _version("iop-scheduler")),
        ("Python", platform.python_version()),
        ("OR-Tools", _version("ortools")),
        ("openpyxl", _version("openpyxl")),
        ("icalendar", _version("icalendar")),
    ]
    rows += [(f"Objective term: {name}", value) for name, value in st.terms.items()]
    for key, value in rows:
        sh.add([key, value])
    sh.finish(max_width=80)
