"""The change report as a list of calls: the rows of the ``Changes`` sheet and ``changes.csv``.

One function makes the rows both read, so the sheet and the file never disagree: per
patient, then per therapist, each changed appointment with its old and new values, whether
it was forced and why; then the new patients, the discharged and those who lost their
place. People are named as the rosters name them (the workbook and this file stay inside
the clinic, owner-readable only).

CSV text never becomes a formula: a cell starting with ``=``, ``+``, ``-``, ``@`` (or a tab
or carriage return, which some spreadsheets skip before looking) gets a leading apostrophe,
the escape spreadsheets show as text.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from scheduler.changes import Appointment, AppointmentChange, ChangeReport, PatientNote, Who
from scheduler.domain import Clinic
from scheduler.exports.view import room_label

HEADER = ("Person", "ID", "Role", "Change", "Old", "New", "Forced", "Reason")
NO_CHANGES = "No changes since the previous schedule"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _person(clinic: Clinic, who: Who, ident: str) -> str:
    if who is Who.PATIENT:
        p = clinic.patient_by_id.get(ident)
        return p.name if p else ident
    t = clinic.therapist_by_id.get(ident)
    return t.name if t else ident


def appointment_text(clinic: Clinic, a: Appointment | None) -> str:
    """Four short lines, so the sheet prints old and new side by side::

    Mon 2026-12-07 18:00–21:00
    GT-MON-EVE-1 (Group therapy)
    Room R1
    Ann Lee, Bo Ng
    """
    if a is None:
        return ""
    kind = clinic.session_type_by_id.get(a.session_type)
    room = clinic.room_by_id.get(a.room)
    leaders = [clinic.therapist_by_id.get(t) for t in a.leaders]
    names = ", ".join(t.name if t else ident for t, ident in zip(leaders, a.leaders, strict=True))
    when = f"{a.date:%a} {a.date.isoformat()}"
    if a.start:
        when += f" {a.start}–{a.end}"
    return "\n".join(
        (
            when,
            f"{a.code} ({kind.name if kind else a.session_type})",
            room_label(clinic, room) if room else a.room,
            names,
        )
    )


def _change_row(clinic: Clinic, c: AppointmentChange) -> tuple[str, ...]:
    return (
        _person(clinic, c.who, c.person),
        c.person,
        c.who.value.capitalize(),
        c.kind_text,
        appointment_text(clinic, c.old),
        appointment_text(clinic, c.new),
        "yes" if c.forced else "no",
        "; ".join(c.reasons),
    )


def _note_row(clinic: Clinic, n: PatientNote, kind: str) -> tuple[str, ...]:
    return (_person(clinic, Who.PATIENT, n.patient), n.patient, "Patient", kind, "", "", "", n.note)


def change_rows(clinic: Clinic, report: ChangeReport) -> list[tuple[str, ...]]:
    """The rows under :data:`HEADER`, in the order a coordinator works through them."""
    rows = [_change_row(clinic, c) for c in report.changes]
    rows += [_note_row(clinic, n, "new patient") for n in report.new_patients]
    rows += [_note_row(clinic, n, "discharged") for n in report.discharged]
    rows += [_note_row(clinic, n, "lost place") for n in report.lost_place]
    return rows


def csv_safe(text: str) -> str:
    """``text`` that no spreadsheet opening the CSV will run as a formula."""
    return "'" + text if text.startswith(_FORMULA_START) else text


def changes_csv(clinic: Clinic, report: ChangeReport) -> bytes:
    """``changes.csv``: the header and the same rows as the Changes sheet, UTF-8 with a
    byte-order mark so that Excel reads the names right."""
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, lineterminator="\r\n")
    rows: Sequence[Sequence[str]] = [HEADER, *change_rows(clinic, report)]
    for row in rows:
        writer.writerow([csv_safe(cell) for cell in row])
    return buf.getvalue().encode("utf-8-sig")
