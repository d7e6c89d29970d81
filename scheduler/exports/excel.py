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
import math
import platform
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import metadata
from itertools import pairwise

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.page import PageMargins
from openpyxl.worksheet.pagebreak import Break
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

from scheduler import compliance
from scheduler.changes import ChangeReport
from scheduler.domain import Patient, Weekday, format_time
from scheduler.exports.change_list import HEADER as CHANGE_HEADER
from scheduler.exports.change_list import NO_CHANGES, change_rows
from scheduler.exports.ical import FeedInfo
from scheduler.exports.options import PublishOptions
from scheduler.exports.privacy import neutral
from scheduler.exports.view import ScheduleView, room_label
from scheduler.rules import week_hours

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
#: Second, after the Summary, when the schedule was made with a previous one: the calls.
CHANGES_SHEET = "Changes"
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_FORMULA_START = ("=", "+", "-", "@")
BOLD = Font(bold=True)
SHORT = PatternFill("solid", fgColor="FFF2B8B8")  # light red: below a rule
OVER = PatternFill("solid", fgColor="FFFFE699")  # light amber: above a limit
HEAD = PatternFill("solid", fgColor="FFD9E1F2")
TITLE = Font(bold=True, size=14)
SIGN_ROW_PT = 24.0  # 8.5 mm: room for a signature (8 mm asked for)
WRAP = Alignment(wrap_text=True, vertical="top")
TOP = Alignment(vertical="top")
_THIN = Side(style="thin", color="FF000000")
BOX = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)

Value = str | int | float | dt.date | None


def clean_text(text: str) -> str:
    """Drop control characters Excel cannot hold (keep line breaks; tabs become spaces)."""
    return _CONTROL.sub("", text.replace("\r\n", "\n").replace("\t", " "))


# Letter landscape with half-inch side margins. LibreOffice without Calibri's metrics
# (DejaVu Sans stands in) prints about 98 column-width units at 100 %; 115 units scale to
# 11 pt × 98/115 ≈ 9.4 pt, and Excel (Calibri) prints 115 units at 100 %.
PAGE_WIDTH_UNITS = 115.0
# Height a page holds below the repeated header row, at 100 % (612 pt less the margins).
PAGE_HEIGHT_PT = 530.0
LINE_PT = 15.0  # Excel's default row height for 11 pt text
MAX_ROW_PT = 409.0  # the tallest row Excel allows
MIN_WRAP_WIDTH = 6.0  # a wrapped text column is never narrower than this
MAX_WORD = 16  # a longer word (a URL, a long code) may break rather than widen its column
# LibreOffice scales the footer with the page: 11 pt, like the cells, prints at 9 pt or more.
FOOTER_SIZE = 11


def fit_widths(
    natural: dict[int, float], floor: dict[int, float], budget: float
) -> dict[int, float]:
    """Narrow the widest columns, one unit at a time, until the sheet fits ``budget``.

    Text columns wrap when narrowed, but never below ``floor``: the width of their
    longest word, or of their dates and numbers (which would print as ``###``).
    """
    widths = dict(natural)
    least = {i: min(w, max(MIN_WRAP_WIDTH, floor.get(i, 0))) for i, w in widths.items()}
    while sum(widths.values()) > budget:
        shrinkable = [i for i, w in widths.items() if w - 1 >= least[i]]
        if not shrinkable:
            break  # too many columns: the page setup scales the rest
        widest = max(shrinkable, key=lambda i: (widths[i], -i))
        widths[widest] -= 1
    return widths


# Glyph widths in column-width units (one digit "0"), from DejaVu Sans, the widest font
# LibreOffice falls back to; Calibri is narrower, so Excel wraps no later than counted.
_WIDTHS: dict[str, float] = {c: 0.45 for c in "ijlI.,:;'!|·"}
_WIDTHS.update({c: 0.6 for c in " -()/[]rtf"})
_WIDTHS.update({c: 1.5 for c in "mwMW@%"})


@lru_cache(maxsize=1 << 16)  # the same names and codes fill thousands of rows
def text_units(text: str) -> float:
    """The width ``text`` takes on a line, in column-width units."""
    total = 0.0
    for c in text:
        w = _WIDTHS.get(c)
        if w is None:
            w = 1.15 if c.isupper() else (0.97 if c.isalpha() else 1.0)
        total += w
    return total


def width_for_word(word: str) -> float:
    """The narrowest column that holds ``word`` unbroken (with the cell's padding)."""
    return math.ceil(min(text_units(word), MAX_WORD) + 1.5)


@lru_cache(maxsize=1 << 16)
def wrapped_lines(text: str, width: float) -> int:
    """How many lines ``text`` takes in a wrapped column ``width`` units wide.

    Words move whole to the next line, as printers wrap them; a word wider than the
    column is broken.
    """
    room = max(1.0, width - 1.5)  # the cell's padding, and a little slack
    count = 0
    for line in text.split("\n"):
        lines, used = 1, 0.0
        for word in line.split(" "):
            size = text_units(word)
            need = size if used == 0 else used + 0.6 + size
            if need <= room:
                used = need
                continue
            if used > 0:
                lines += 1
            lines += max(0, math.ceil(size / room) - 1)
            used = size - (math.ceil(size / room) - 1) * room
        count += lines
    return count


class _Sheet:
    """Appends rows, keeps user text as text, sizes columns and rows for print.

    Columns get the width of their contents, narrowed (and wrapped) until the sheet fits a
    page at 9 pt or more. Rows that wrap get an explicit height, since Excel does not
    grow rows on its own. Rows can be grouped into blocks kept on one printed page.
    """

    def __init__(self, wb: Workbook, title: str, header: Sequence[str] | None) -> None:
        self.ws: Worksheet = wb.create_sheet(title)
        self.widths: dict[int, float] = {}  # widest text per column, in characters
        self.floor: dict[int, float] = {}  # per column: narrowest width without breaking
        self.values: list[list[Value]] = []
        self.fixed: dict[int, float] = {}  # row → height in points chosen by the caller
        self.sizes: dict[int, float] = {}  # row → font size when not the default 11 pt
        self.blocks: list[int] = []  # first rows of blocks kept together on a page
        self.merged: set[int] = set()  # rows whose single cell spans the whole width
        self.row_no = 0
        self.heights: list[float] = []  # printed height of every row, set by finish()
        self.header = header is not None
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
        measure: bool = True,
        height: float | None = None,
        boxed: bool = False,
    ) -> int:
        """Append a row. ``measure=False``: a heading that may overflow into empty cells."""
        row = [clean_text(v) if isinstance(v, str) else v for v in values]
        self.ws.append(row)
        self.row_no += 1
        r = self.row_no
        self.values.append(row if measure else [])
        if height is not None:
            self.fixed[r] = height
        if font is not None and font.sz is not None and font.sz != 11:
            self.sizes[r] = float(font.sz)
        for i, v in enumerate(row, start=1):
            if boxed:
                self.ws.cell(r, i).border = BOX
            if v is None:
                continue
            styled = fill is not None or font is not None or wrap
            if isinstance(v, str):
                lines = v.split("\n")
                width = max(text_units(line) for line in lines)
                if measure:
                    word = max((width_for_word(w) for w in v.split()), default=0)
                    self.floor[i] = max(self.floor.get(i, 0), word)
                if v.startswith(_FORMULA_START):
                    cell = self.ws.cell(r, i)
                    cell.data_type = "s"  # never a formula, whatever the text says
                    cell.quotePrefix = True  # and Excel keeps it text when edited
            elif isinstance(v, dt.date):
                width = 10
                cell = self.ws.cell(r, i)
                cell.number_format = "yyyy-mm-dd"
                self.floor[i] = max(self.floor.get(i, 0), width + 2)
            else:
                width = len(f"{v:g}") if isinstance(v, float) else len(str(v))
                self.floor[i] = max(self.floor.get(i, 0), width + 2)
            if measure:
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

    def start_block(self) -> None:
        """The rows added next, up to the next block, print on one page where they fit."""
        self.blocks.append(self.row_no + 1)

    def span(self, text: str, *, font: Font | None = None) -> None:
        """A row of wrapped text across the whole printed width."""
        self.add([text], font=font, measure=False)
        self.merged.add(self.row_no)

    def finish(
        self,
        max_width: float = 60,
        min_width: dict[int, float] | None = None,
        max_widths: dict[int, float] | None = None,
    ) -> None:
        """Size and set up for print; ``max_widths`` caps single columns below
        ``max_width`` (their text wraps), so that others keep their room."""
        caps = max_widths or {}
        natural = {
            i: min(max(math.ceil(w + 2), 6), caps.get(i, max_width)) for i, w in self.widths.items()
        }
        for i, w in (min_width or {}).items():
            natural[i] = max(natural.get(i, 0), w)
        widths = fit_widths(natural, self.floor, PAGE_WIDTH_UNITS)
        for i, w in widths.items():
            self.ws.column_dimensions[get_column_letter(i)].width = w
        self._size_rows(widths)
        self._break_pages()
        ps = self.ws.page_setup
        ps.orientation = "landscape"
        ps.paperSize = self.ws.PAPERSIZE_LETTER
        ps.fitToWidth = 1
        ps.fitToHeight = 0  # as many pages tall as needed
        self.ws.page_margins = PageMargins(
            left=0.5, right=0.5, top=0.5, bottom=0.5, header=0.25, footer=0.25
        )
        props = self.ws.sheet_properties
        props.pageSetUpPr = PageSetupProperties(fitToPage=True)
        for footer in (self.ws.oddFooter, self.ws.evenFooter):
            if footer is not None:
                footer.left.text = FOOTER
                footer.left.size = FOOTER_SIZE
                footer.right.text = "Page &P of &N"
                footer.right.size = FOOTER_SIZE

    def _size_rows(self, widths: dict[int, float]) -> None:
        self.heights = []
        last = max(widths, default=1)
        span_width = sum(widths.values())
        for r, row in enumerate(self.values, start=1):
            lines = 1
            if r in self.merged:
                self.ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=last)
                cell = self.ws.cell(r, 1)
                cell.alignment = WRAP
                scale = 11 / self.sizes.get(r, 11)  # larger type: fewer units to a line
                lines = wrapped_lines(str(cell.value or ""), span_width * scale)
            for i, v in enumerate(row, start=1):
                if not isinstance(v, str):
                    continue
                width = widths.get(i, natural_width(v))
                if "\n" in v or text_units(v) + 1.0 > width:
                    self.ws.cell(r, i).alignment = WRAP
                    lines = max(lines, wrapped_lines(v, width))
            line_pt = LINE_PT * self.sizes.get(r, 11) / 11
            height = min(max(self.fixed.get(r, 0), lines * line_pt), MAX_ROW_PT)
            if height > LINE_PT or r in self.fixed:
                self.ws.row_dimensions[r].height = height
            if lines > 1:  # the row's other cells start at its top too
                for i in range(1, len(row) + 1):
                    cell = self.ws.cell(r, i)
                    if not cell.alignment.wrap_text:
                        cell.alignment = TOP
            self.heights.append(max(height, LINE_PT))

    def _break_pages(self) -> None:
        """A break before every block that would not fit on what is left of the page."""
        if not self.blocks:
            return
        # The header row repeats on every page: it is taken off each page's room.
        room = PAGE_HEIGHT_PT - (self.heights[0] if self.header else 0)
        bounds = [*self.blocks, self.row_no + 1]
        used = sum(self.heights[int(self.header) : self.blocks[0] - 1])
        for first, nxt in pairwise(bounds):
            size = sum(self.heights[first - 1 : nxt - 1])
            if used > 0 and used + size > room:
                self.ws.row_breaks.append(Break(id=first - 1))
                used = 0
            used += size


def natural_width(text: str) -> float:
    return max(text_units(line) for line in text.split("\n")) + 2


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
    changes: ChangeReport | None = None,
) -> bytes:
    """The workbook; with ``changes`` (a previous schedule was given) a Changes sheet too."""
    wb = Workbook()
    default = wb.active
    if default is not None:
        wb.remove(default)
    _summary(wb, view, now, changes)
    if changes is not None:
        _changes(wb, view, changes)
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


def _summary(
    wb: Workbook, view: ScheduleView, now: dt.datetime, changes: ChangeReport | None
) -> None:
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
        ("Step-down weeks (see Compliance)", len(compliance.step_down_notes(c, s))),
        ("Sessions", len(view.sessions)),
        ("Therapists scheduled", len(view.by_therapist)),
        ("Rooms used", len(view.by_room)),
        ("Published", now.astimezone(c.settings.zone).strftime("%Y-%m-%d %H:%M %Z")),
    ]
    if changes is not None:
        n = changes.counts
        rows += [
            ("Appointments changed (see Changes)", n.appointments),
            ("  of which forced", n.forced),
            ("New patients", n.new_patients),
            ("Discharged", n.discharged),
            ("Lost their place", n.lost_place),
        ]
    by_type = Counter(v.kind.name for v in view.sessions)
    rows += [(f"Sessions: {name}", n) for name, n in sorted(by_type.items())]
    for key, value in rows:
        sh.add([key, value])
    sh.finish()


def _changes(wb: Workbook, view: ScheduleView, changes: ChangeReport) -> None:
    """The calls a coordinator must make, one row each; unforced changes (ones the solver
    could have avoided) in amber. Old and new side by side get the most of the page."""
    sh = _Sheet(wb, CHANGES_SHEET, CHANGE_HEADER)
    rows = change_rows(view.clinic, changes)
    if not rows:
        sh.add([NO_CHANGES], measure=False)
    forced = CHANGE_HEADER.index("Forced")
    for row in rows:
        sh.add(list(row), wrap=True, fill=OVER if row[forced] == "no" else None)
    column = {name: i for i, name in enumerate(CHANGE_HEADER, start=1)}
    caps = {column["Person"]: 14.0, column["Change"]: 11.0, column["Reason"]: 14.0}
    sh.finish(max_width=27, max_widths=caps)


def _time_rows(view: ScheduleView) -> list[tuple[int, int]]:
    return sorted({(b.window.start, b.window.end) for b in view.clinic.blocks})


def _days(view: ScheduleView) -> list[Weekday]:
    return sorted({b.weekday for b in view.clinic.blocks})


def _grid(wb: Workbook, view: ScheduleView, title: str, what: str, *, by_room: bool) -> None:
    """A band per room/therapist and week: rows are the blocks it works, columns days.

    Bands are kept whole on a page and as many share a page as fit; rooms and therapists
    with no session that week are listed after the bands instead of printing empty grids.
    """
    days = _days(view)
    times = _time_rows(view)
    sh = _Sheet(wb, title, ["Block", *(d.label for d in days)])
    cells: dict[tuple[str, int, tuple[int, int], Weekday], list[str]] = defaultdict(list)
    for v in view.sessions:
        key_time = (v.block.window.start, v.block.window.end)
        n = len(v.session.patients)
        if by_room:
            text = f"{v.session.code}\n{v.therapist_names} · {n} pt"
            owners = [v.session.room]
        else:
            text = f"{v.session.code}\n{v.room_label} · {n} pt"
            owners = list(v.session.therapists)
        for owner in owners:
            cells[(owner, v.session.week, key_time, v.block.weekday)].append(text)
    clinic = view.clinic
    owners_sorted = (
        [(r.id, room_label(clinic, r)) for r in sorted(clinic.rooms, key=lambda r: r.id)]
        if by_room
        else [(t.id, t.name) for t in sorted(clinic.therapists, key=lambda t: t.id)]
    )
    for week in _weeks(view):
        idle = []
        for owner_id, owner_name in owners_sorted:
            keys = [(owner_id, week.index, t, d) for t in times for d in days]
            if not any(k in cells for k in keys):
                idle.append(owner_name)
                continue
            sh.start_block()
            sh.span(f"{owner_name} — week of {week.monday.isoformat()}", font=BOLD)
            # Only the blocks this room/therapist works: an empty row is paper, and the
            # Block column names every row, so nothing is lost by leaving it out.
            for t in [t for t in times if any((owner_id, week.index, t, d) in cells for d in days)]:
                label = f"{format_time(t[0])}–{format_time(t[1])}"
                texts = ["\n".join(cells.get((owner_id, week.index, t, d), [])) for d in days]
                sh.add([label, *texts], wrap=True)
        if idle:
            sh.start_block()
            sh.span(f"No sessions in the week of {week.monday.isoformat()}: {', '.join(idle)}")
    sh.ws.print_options.gridLines = True  # a grid reads by its lines
    # Every day gets the same share of the page, whatever is in it.
    day_width = (PAGE_WIDTH_UNITS - 13) / max(1, len(days))
    sh.finish(max_width=day_width, min_width={i: day_width for i in range(2, len(days) + 2)})


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
            "Topic",
            "Room",
            "Staff",  # one word: a header's longest word sets its column's narrowest width
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
            v.session.topic or None,
            v.room_label,
            v.therapist_names,
            len(v.patients),
        ]
        for p in sorted(v.patients, key=lambda p: (p.name, p.id)):
            sh.add([*head, p.name, p.id])
        if not v.patients:
            sh.add([*head, None, None])
    sh.finish()


def _sign_in(wb: Workbook, view: ScheduleView, options: PublishOptions) -> None:
    """A sign-in sheet per dated session; short ones share a page, a sheet never splits.

    No type name, diagnosis or treatment words. The module of a topic cycle is shown (the
    issue "Week after week" asks for it as the group's agenda) with the withheld words
    replaced, as the code and room are. Rows are tall enough to sign in.
    """
    sh = _Sheet(wb, "Sign-in", None)
    who = "Name" if options.sign_in_shows == "name" else "Code"
    for v in view.sessions:
        if v.kind.id in options.sign_in_skip_types:
            continue
        code = neutral(v.session.code, "Session")
        room = neutral(v.room_label, "Room")
        sh.start_block()
        sh.span(f"Sign-in sheet — {code}", font=TITLE)
        sh.span(f"{v.block.weekday.label} {v.date.isoformat()}, {v.time_label} · Room: {room}")
        sh.span(f"Staff: {v.therapist_names}")
        if v.session.topic:
            # The cycle's module (RULES.md C1), which the issue asks for here as the group's
            # agenda; like the code and the room, withheld words are replaced.
            sh.span(f"Topic: {neutral(v.session.topic, 'Topic')}")
        sh.add(["#", who, "Signature", "Time in", "Time out"], font=BOLD, fill=HEAD, boxed=True)
        labels = sorted(_patient_label(p, options) for p in v.patients)
        for i, label in enumerate(labels, start=1):
            sh.add([i, label, None, None, None], height=SIGN_ROW_PT, boxed=True)
        if v.kind.max_size > 1:  # walk-ins only where the session is a group
            for i in range(len(labels) + 1, len(labels) + 1 + options.walk_in_rows):
                sh.add([i, None, None, None, None], height=SIGN_ROW_PT, boxed=True)
        sh.add([])  # a gap before the next sheet on the same page
    sh.finish(min_width={1: 5, 3: 40, 4: 12, 5: 12})


def _patients(wb: Workbook, view: ScheduleView) -> None:
    sh = _Sheet(
        wb,
        "Patients",
        [
            "Patient",
            "Patient ID",
            "Date",
            "Day",
            "Time",
            "Group code",
            "Type",
            "Topic",
            "Room",
            "Staff",
        ],
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
                    v.session.topic or None,
                    v.room_label,
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
    """One row per placed patient per week they are in treatment (also used by tests).

    The required hours, maximum and days are the week's own (``rules.week_hours``): in a
    step-down week (RULES.md W7) the step-down band's, and the note says "step-down" with
    the band, so a planned reduction never reads as a short week."""
    clinic = view.clinic
    rows: list[list[Value]] = []
    for pid in sorted(view.by_patient):
        p = clinic.patient_by_id[pid]
        for week in _weeks(view):
            sunday = week.monday + dt.timedelta(days=6)
            if p.discharge < week.monday or p.admission > sunday:
                continue
            wh = week_hours(clinic, p, week.index)
            mine = [v for v in view.by_patient[pid] if v.session.week == week.index]
            minutes = sum(v.window.minutes for v in mine if v.kind.counts_toward_hours)
            hours = _hours(minutes)
            services = Counter(v.date for v in mine)
            group_days = Counter(v.date for v in mine if v.kind.is_group)
            attended = [(v.kind, v.date) for v in mine]
            rows.append(
                [
                    p.name,
                    p.id,
                    p.track.value,
                    week.monday,
                    hours,
                    wh.target,
                    wh.max_hours,
                    len(group_days),
                    wh.days,
                    max(services.values(), default=0),
                    sum(1 for n in services.values() if n >= 4),
                    compliance.week_note(clinic, p, week.index),
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
    if not view.schedule.unplaced:
        sh.add(["No one unplaced"], measure=False)
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
    for lk in view.schedule.unmet_locks:  # read where dropped patients are read (RULES.md L1)
        sh.span(f"Lock {lk.lock} not kept: {lk.reason}")
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
