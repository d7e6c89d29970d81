"""Calendar feeds: valid RFC 5545, the right events at the right UTC times, stable UIDs,
SEQUENCE on change, cancellations, and nothing a calendar service must not learn."""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import re
import shutil
import subprocess
import tempfile
import uuid
from dataclasses import replace
from pathlib import Path

import pytest
import recurring_ical_events
from icalendar import Calendar
from test_exports_samples import NOW, sample, sample_clinic, sample_schedule, sample_sessions

from scheduler.domain import Clinic, Room
from scheduler.exports import INTERNAL_DETAILS_WARNING, UID_MAP, publish
from scheduler.exports.ical import vtimezone
from scheduler.exports.options import PublishOptions
from scheduler.schedule import Schedule, Session

# The words of the issue, checked independently of the exporter's own list.
FORBIDDEN = ("iop", "addiction", "detox", "substance", "recovery", "rehab")


def feeds(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((out / "calendars").glob("*.ics"))}


def parse(data: bytes) -> Calendar:
    return Calendar.from_ical(data)


def events(data: bytes) -> list:
    return list(parse(data).walk("VEVENT"))


def utc_span(s: Session, clinic: Clinic) -> tuple[dt.datetime, dt.datetime]:
    return s.start(clinic).astimezone(dt.UTC), s.end(clinic).astimezone(dt.UTC)


def expected_by_feed(clinic: Clinic, schedule: Schedule, out: Path) -> dict[str, list[Session]]:
    """Which sessions each feed must hold, from the schedule alone."""
    patient_files = json.loads((out / UID_MAP).read_text())["patient_feeds"]
    want: dict[str, list[Session]] = {"staff.ics": list(schedule.sessions)}
    for t in clinic.therapists:
        want[f"therapist-{t.id}.ics"] = [s for s in schedule.sessions if t.id in s.therapists]
    for r in clinic.rooms:
        want[f"room-{r.id}.ics"] = [s for s in schedule.sessions if s.room == r.id]
    for pid, token in patient_files.items():
        want[f"patient-{token}.ics"] = [s for s in schedule.sessions if pid in s.patients]
    return want


@pytest.fixture
def published(tmp_path: Path) -> tuple[Clinic, Schedule, Path]:
    clinic, schedule = sample(weeks=2)
    publish(clinic, schedule, tmp_path, now=NOW)
    return clinic, schedule, tmp_path


def test_every_feed_is_a_valid_publishing_calendar(published) -> None:
    clinic, _, out = published
    files = feeds(out)
    assert set(files) >= {"staff.ics", "therapist-T1.ics", "therapist-T2.ics", "room-R1.ics"}
    assert hasattr(Calendar, "validate")  # icalendar 7.3 has it; this test relies on it
    for name, data in files.items():
        cal = parse(data)
        cal.validate()
        text = data.decode()
        assert cal["METHOD"] == "PUBLISH", name
        assert cal.get("X-WR-CALNAME") and cal.get("NAME"), name
        assert "REFRESH-INTERVAL;VALUE=DURATION:PT1H" in text, name
        assert "X-PUBLISHED-TTL:PT1H" in text, name
        assert "\r\n" in text
        zones = list(cal.walk("VTIMEZONE"))
        assert len(zones) == 1 and zones[0]["TZID"] == clinic.settings.timezone
        assert [c.name for c in zones[0].subcomponents] == ["DAYLIGHT", "STANDARD"]
        for c in zones[0].subcomponents:
            assert c.decoded("DTSTART").year == 1970 and "RRULE" in c
        for ev in cal.walk("VEVENT"):
            assert "RRULE" not in ev  # one VEVENT per dated session, never a series
            assert ev.decoded("DTSTAMP") == NOW
            assert str(ev["DTSTART"].params["TZID"]) == clinic.settings.timezone


def test_occurrences_match_the_schedule_in_count_and_utc_times(published) -> None:
    clinic, schedule, out = published
    files = feeds(out)
    want = expected_by_feed(clinic, schedule, out)
    assert set(want) == set(files)
    lo = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    hi = dt.datetime(2027, 2, 1, tzinfo=dt.UTC)
    for name, data in files.items():
        occ = recurring_ical_events.of(parse(data)).between(lo, hi)
        got = sorted(
            (o.decoded("DTSTART").astimezone(dt.UTC), o.decoded("DTEND").astimezone(dt.UTC))
            for o in occ
        )
        assert got == sorted(utc_span(s, clinic) for s in want[name]), name


def test_times_are_right_across_a_daylight_saving_change(tmp_path: Path) -> None:
    # 2027-03-14 is the second Sunday in March: New York moves from UTC-5 to UTC-4.
    clinic = sample_clinic(week_start=dt.date(2027, 3, 8), weeks=2)
    schedule = sample_schedule(clinic, weeks=2)
    publish(clinic, schedule, tmp_path, now=NOW)
    evs = events(feeds(tmp_path)["room-R1.ics"])
    starts = sorted(e.decoded("DTSTART").astimezone(dt.UTC) for e in evs)
    assert starts[0] == dt.datetime(2027, 3, 8, 23, 0, tzinfo=dt.UTC)  # 18:00 EST
    assert starts[-1] == dt.datetime(2027, 3, 19, 22, 0, tzinfo=dt.UTC)  # 18:00 EDT
    if shutil.which("node"):
        result = run_icaljs(sorted((tmp_path / "calendars").glob("*.ics")))
        js = sorted(e["start"] for e in result["room-R1.ics"]["events"])
        assert js == [int(s.timestamp()) for s in starts]


@pytest.mark.parametrize(
    "zone", ["America/New_York", "Europe/Berlin", "Australia/Sydney", "Asia/Tokyo"]
)
def test_vtimezone_rules_reproduce_the_zone(zone: str) -> None:
    from zoneinfo import ZoneInfo

    tz, rule_shaped = vtimezone(zone, dt.date(2026, 12, 7))
    assert rule_shaped
    parsed = Calendar.from_ical(
        b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\n" + tz.to_ical() + b"END:VCALENDAR\r\n"
    )
    tzinfo = next(iter(parsed.walk("VTIMEZONE"))).to_tz()
    real = ZoneInfo(zone)
    t = dt.datetime(2026, 1, 1, 12)
    while t < dt.datetime(2028, 12, 31):
        assert t.replace(tzinfo=tzinfo).utcoffset() == t.replace(tzinfo=real).utcoffset(), t
        t += dt.timedelta(hours=37)


def test_feeds_hold_no_treatment_words_and_no_patient_identity(tmp_path: Path, caplog) -> None:
    clinic = sample_clinic(name="Northside Recovery Center")
    rooms = (
        Room("R1", "Recovery Room", "MAIN", 12),
        Room("OFFICE", "Detox office", "MAIN", 2),
    )
    clinic = replace(clinic, rooms=rooms)
    sessions = [replace(s, code=f"IOP-{s.code}") for s in sample_sessions()]
    # A code that embeds a patient ID (an individual session) must not reach a feed.
    sessions[3] = replace(sessions[3], code="IND-P1")
    schedule = sample_schedule(clinic, sessions=sessions)
    with caplog.at_level(logging.WARNING, logger="scheduler.exports"):
        publish(clinic, schedule, tmp_path, now=NOW)
    names = [p.name.lower() for p in clinic.patients]
    for fname, data in feeds(tmp_path).items():
        text = data.decode().lower()
        unfolded = text.replace("\r\n ", "")
        for word in FORBIDDEN:
            assert word not in unfolded, (fname, word)
            assert word not in fname.lower()
        for name in names:
            assert name not in unfolded, (fname, name)
        assert not re.search(r"(?<![a-z0-9-])p[1-5](?![a-z0-9])", unfolded), fname
    assert any("withheld" in r.getMessage() for r in caplog.records)
    patient_feed = next(d for n, d in feeds(tmp_path).items() if n.startswith("patient-"))
    for ev in events(patient_feed):
        assert str(ev["SUMMARY"]) == "Appointment"
        assert "DESCRIPTION" not in ev
        assert str(ev["LOCATION"]) == "Main street"
    assert str(parse(patient_feed)["X-WR-CALNAME"]) == "Appointments"


def test_staff_events_show_code_room_and_count(published) -> None:
    _, _, out = published
    evs = events(feeds(out)["room-R1.ics"])
    mon = next(e for e in evs if str(e["SUMMARY"]).startswith("GT-MON-1"))
    assert str(mon["SUMMARY"]) == "GT-MON-1 (4 patients)"
    assert str(mon["LOCATION"]) == "Room R1"
    assert "Patients: 4" in str(mon["DESCRIPTION"])


def test_only_consenting_patients_get_a_feed_with_their_own_uids(published) -> None:
    clinic, schedule, out = published
    patient_files = [n for n in feeds(out) if n.startswith("patient-")]
    assert len(patient_files) == sum(p.calendar_consent for p in clinic.patients) == 1
    assert "P2" not in patient_files[0]
    staff_uids = {str(e["UID"]) for e in events(feeds(out)["staff.ics"])}
    patient_uids = {str(e["UID"]) for e in events(feeds(out)[patient_files[0]])}
    assert len(patient_uids) == len(schedule.sessions_by_patient["P2"])
    assert not staff_uids & patient_uids
    for uid in staff_uids | patient_uids:
        assert uuid.UUID(uid).version == 4


def test_withdrawn_consent_removes_the_patient_feed(published) -> None:
    clinic, schedule, out = published
    assert any(n.startswith("patient-") for n in feeds(out))
    pats = tuple(replace(p, calendar_consent=False) for p in clinic.patients)
    publish(replace(clinic, patients=pats), schedule, out, now=NOW)
    assert not any(n.startswith("patient-") for n in feeds(out))


def uid_seq(data: bytes) -> dict[str, tuple[str, int, str]]:
    """SUMMARY-free key (DTSTART) → (UID, SEQUENCE, STATUS) for a single-session feed."""
    return {
        str(e["UID"]): (e.decoded("DTSTART").isoformat(), int(e["SEQUENCE"]), str(e["STATUS"]))
        for e in events(data)
    }


def test_uids_are_stable_across_runs(published) -> None:
    clinic, schedule, out = published
    first = {n: uid_seq(d) for n, d in feeds(out).items()}
    publish(clinic, schedule, out, now=NOW + dt.timedelta(days=1))
    second = {n: uid_seq(d) for n, d in feeds(out).items()}
    assert first == second  # same UIDs, same SEQUENCE, nothing cancelled
    assert len(first["staff.ics"]) == len(schedule.sessions)


def test_sequence_rises_when_a_session_moves(tmp_path: Path) -> None:
    clinic, schedule = sample()
    publish(clinic, schedule, tmp_path, now=NOW)
    before = {str(e["UID"]): e for e in events(feeds(tmp_path)["staff.ics"])}
    moved = [replace(s, block="TUE-EVE") if s.id == "w0-MON-GT-1" else s for s in schedule.sessions]
    # A Tuesday block must exist for the move; add it to the clinic.
    from factory import block

    from scheduler.domain import Weekday

    clinic2 = replace(
        clinic, blocks=(*clinic.blocks, block("TUE-EVE", Weekday.TUE, "18:00", "21:00"))
    )
    publish(clinic2, replace(schedule, sessions=tuple(moved)), tmp_path, now=NOW)
    after = {str(e["UID"]): e for e in events(feeds(tmp_path)["staff.ics"])}
    assert set(before) == set(after)  # the same event, moved, not a new one
    for uid, ev in after.items():
        changed = ev.decoded("DTSTART") != before[uid].decoded("DTSTART")
        assert int(ev["SEQUENCE"]) == int(before[uid]["SEQUENCE"]) + changed
    assert sum(int(e["SEQUENCE"]) for e in after.values()) == 1
    # A room change bumps it too.
    rooms = [replace(s, room="OFFICE") if s.id == "w0-FRI-GT-1" else s for s in moved]
    publish(clinic2, replace(schedule, sessions=tuple(rooms)), tmp_path, now=NOW)
    third = {str(e["UID"]): e for e in events(feeds(tmp_path)["staff.ics"])}
    assert sum(int(e["SEQUENCE"]) for e in third.values()) == 2


def test_a_dropped_session_is_cancelled_once_then_forgotten(tmp_path: Path) -> None:
    clinic, schedule = sample()
    publish(clinic, schedule, tmp_path, now=NOW)
    gone = next(e for e in events(feeds(tmp_path)["staff.ics"]) if "GT-WED" in str(e["SUMMARY"]))
    fewer = replace(schedule, sessions=tuple(s for s in schedule.sessions if s.id != "w0-WED-GT-1"))
    publish(clinic, fewer, tmp_path, now=NOW)
    staff = {str(e["UID"]): e for e in events(feeds(tmp_path)["staff.ics"])}
    cancelled = staff[str(gone["UID"])]
    assert str(cancelled["STATUS"]) == "CANCELLED"
    assert int(cancelled["SEQUENCE"]) == int(gone["SEQUENCE"]) + 1
    assert cancelled.decoded("DTSTART") == gone.decoded("DTSTART")
    # The patient feed of a patient in that group cancels their appointment too.
    pfeed = next(d for n, d in feeds(tmp_path).items() if n.startswith("patient-"))
    assert [str(e["STATUS"]) for e in events(pfeed)].count("CANCELLED") == 1
    publish(clinic, fewer, tmp_path, now=NOW)
    assert str(gone["UID"]) not in {str(e["UID"]) for e in events(feeds(tmp_path)["staff.ics"])}
    # Last week's sessions are not "cancelled" when next week is planned.
    next_week = sample_clinic(week_start=clinic.settings.week_start + dt.timedelta(weeks=1))
    publish(next_week, sample_schedule(next_week), tmp_path, now=NOW)
    statuses = [str(e["STATUS"]) for e in events(feeds(tmp_path)["staff.ics"])]
    assert statuses and set(statuses) == {"CONFIRMED"}


def test_internal_details_are_off_by_default_and_warned_about(tmp_path: Path, caplog) -> None:
    clinic, schedule = sample()
    with caplog.at_level(logging.WARNING, logger="scheduler.exports"):
        publish(clinic, schedule, tmp_path, now=NOW)
    assert "Dee Short" not in feeds(tmp_path)["staff.ics"].decode()
    assert INTERNAL_DETAILS_WARNING not in caplog.text
    opts = PublishOptions(internal_calendar_details=True)
    with caplog.at_level(logging.WARNING, logger="scheduler.exports"):
        publish(clinic, schedule, tmp_path, now=NOW, options=opts)
    assert INTERNAL_DETAILS_WARNING in caplog.text
    staff = feeds(tmp_path)["staff.ics"].decode().replace("\r\n ", "")
    assert "Dee Short" in staff
    pfeed = next(d for n, d in feeds(tmp_path).items() if n.startswith("patient-"))
    assert "Bea" not in pfeed.decode() and "GT" not in pfeed.decode()


# --------------------------------------------------------------------------------------
# Mozilla's ical.js, a strict independent parser (fetched with npm; skipped if it cannot).

_CHECK_JS = r"""
import fs from "node:fs";
import path from "node:path";
import ICAL from "ical.js";
const out = {};
for (const file of process.argv.slice(2)) {
  const comp = new ICAL.Component(ICAL.parse(fs.readFileSync(file, "utf8")));
  for (const vtz of comp.getAllSubcomponents("vtimezone")) ICAL.TimezoneService.register(vtz);
  const events = comp.getAllSubcomponents("vevent").map((v) => {
    const e = new ICAL.Event(v);
    return { uid: e.uid, start: e.startDate.toUnixTime(), end: e.endDate.toUnixTime(),
             tzid: e.startDate.zone ? e.startDate.zone.tzid : null, summary: e.summary };
  });
  out[path.basename(file)] = { name: comp.getFirstPropertyValue("x-wr-calname"), events };
}
console.log(JSON.stringify(out));
"""


def _icaljs_dir() -> Path:
    if not shutil.which("node") or not shutil.which("npm"):
        pytest.skip("node/npm not installed: ical.js cross-check skipped")
    if os.environ.get("ICALJS_OFFLINE"):
        pytest.skip("ICALJS_OFFLINE is set: ical.js cross-check skipped")
    # Reused between runs so the network is needed once; nothing is vendored.
    where = Path(tempfile.gettempdir()) / f"iop-scheduler-icaljs-{os.getuid()}"
    if not (where / "node_modules" / "ical.js").exists():
        where.mkdir(exist_ok=True)
        try:
            proc = subprocess.run(
                [
                    "npm",
                    "install",
                    "--no-audit",
                    "--no-fund",
                    "--silent",
                    "--prefix",
                    str(where),
                    "ical.js@2",
                ],
                capture_output=True,
                text=True,
                timeout=180,
                check=False,
            )
        except subprocess.TimeoutExpired:
            pytest.skip("npm install ical.js timed out (no network?)")
        if proc.returncode != 0:
            pytest.skip(f"npm could not fetch ical.js: {proc.stderr.strip()[:200]}")
    (where / "check.mjs").write_text(_CHECK_JS)
    return where


def run_icaljs(files: list[Path]) -> dict:
    where = _icaljs_dir()
    proc = subprocess.run(
        ["node", str(where / "check.mjs"), *map(str, files)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=where,
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_icaljs_reads_every_feed_like_the_schedule(published) -> None:
    clinic, schedule, out = published
    result = run_icaljs(sorted((out / "calendars").glob("*.ics")))
    want = expected_by_feed(clinic, schedule, out)
    assert set(result) == set(want)
    for name, sessions in want.items():
        got = sorted((e["start"], e["end"]) for e in result[name]["events"])
        expect = sorted(
            (int(a.timestamp()), int(b.timestamp()))
            for a, b in (utc_span(s, clinic) for s in sessions)
        )
        assert got == expect, name
        assert all(e["tzid"] == clinic.settings.timezone for e in result[name]["events"])
