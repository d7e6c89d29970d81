"""Calendar feeds (RFC 5545): per therapist, per room, a staff master and consented patients.

Privacy first (DESIGN.md §6, 42 CFR Part 2): a feed fetched by a calendar service is a
disclosure, so by default

- staff events say the group code, the room and how many patients, nothing about who;
- patient events say "Appointment" and a neutral place, in a calendar called
  "Appointments", with a UID of their own (two patients' calendars seen by one employer's
  server must not reveal that they attend the same group);
- every text from the clinic's data passes through :func:`privacy.neutral`;
- UIDs are random ``uuid4`` values kept in :class:`UidMap`, never derived from any ID.

One VEVENT per dated session (no RRULE series), so a moved or cancelled week changes one
event. An event's identity follows the group, not the slot (issue "week after week"): it is
the group's lineage and the week's Monday, so a group moved to another day, time or room,
or given a new leader, keeps its UID in every feed. ``SEQUENCE`` rises when anything the
event says or depends on changes: its time, room, leaders, summary, place or status. A
session that was published before, falls inside the new horizon and is gone from the new
schedule is published once more as ``STATUS:CANCELLED``, then forgotten.

UID maps written before lineages (format 1) were keyed by session ID. They are migrated,
not re-keyed: their entries are marked ``legacy`` and an event not found under its lineage
key is looked up under its old key (the week's Monday and the session ID), so it keeps its
UID, and an unchanged one its SEQUENCE too; it is then kept under its lineage key. Only a
group that has already moved to another block when it is first published with lineages
misses its old entry: that one event is cancelled once and published anew, as before.
"""

from __future__ import annotations

import calendar as pycal
import datetime as dt
import json
import re
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, Timezone, TimezoneDaylight, TimezoneStandard

from scheduler.domain import Room
from scheduler.exports.options import PublishOptions
from scheduler.exports.privacy import neutral, redact_people, withheld_words
from scheduler.exports.view import ScheduleView, SessionView, multi_site, room_label

# The product name contains a withheld word, so it never appears in a feed.
PRODID = "-//Clinic Scheduler//Timetable feeds 1//EN"
STAFF_FEED = "staff.ics"
UID_MAP_FORMAT = 2  # 2: events keyed by group lineage and week; 1: by session ID
_LEGACY_FORMAT = 1
FORGET_AFTER = dt.timedelta(days=120)  # map entries this far before the horizon are dropped


# --------------------------------------------------------------------------------------
# The persisted UID map.


@dataclass
class UidEntry:
    uid: str
    sequence: int
    fingerprint: str
    start: str  # UTC ISO, to place a cancellation and to forget old entries
    end: str
    feeds: list[str]
    summary: str
    location: str
    cancelled: bool = False
    # Keyed by session ID, with a fingerprint of span and status only (UID map format 1).
    legacy: bool = False


@dataclass
class UidMap:
    """Event identity key → UID and SEQUENCE; patient ID → random feed file token."""

    entries: dict[str, UidEntry] = field(default_factory=dict)
    patient_feeds: dict[str, str] = field(default_factory=dict)

    @classmethod
    def loads(cls, data: bytes | None) -> UidMap:
        if not data:
            return cls()
        raw = json.loads(data)
        if not isinstance(raw, dict) or raw.get("format") not in (UID_MAP_FORMAT, _LEGACY_FORMAT):
            got = raw.get("format") if isinstance(raw, dict) else None
            raise ValueError(f"UID map: unknown format {got!r}")
        entries = {key: UidEntry(**value) for key, value in raw["entries"].items()}
        if raw["format"] == _LEGACY_FORMAT:
            for e in entries.values():
                e.legacy = True
        return cls(entries, dict(raw["patient_feeds"]))

    def dumps(self) -> bytes:
        data: dict[str, Any] = {
            "format": UID_MAP_FORMAT,
            "patient_feeds": dict(sorted(self.patient_feeds.items())),
            "entries": {k: vars(e) for k, e in sorted(self.entries.items())},
        }
        return (json.dumps(data, indent=1, ensure_ascii=False) + "\n").encode()


# --------------------------------------------------------------------------------------
# VTIMEZONE in the shape Outlook reads: one DAYLIGHT and one STANDARD yearly rule from 1970.


def _transitions(zone: ZoneInfo, year: int) -> list[tuple[dt.datetime, dt.timedelta, dt.timedelta]]:
    """(UTC instant, offset before, offset after) of each change of UTC offset in ``year``."""
    out = []
    t0 = dt.datetime(year, 1, 1, tzinfo=dt.UTC)
    prev = t0.astimezone(zone).utcoffset()
    for d in range(1, 367):
        t1 = t0 + dt.timedelta(days=d)
        off = t1.astimezone(zone).utcoffset()
        if off != prev:
            lo, hi = t1 - dt.timedelta(days=1), t1  # offset at lo is prev, at hi is off
            while hi - lo > dt.timedelta(minutes=1):
                mid = lo + (hi - lo) / 2
                if mid.astimezone(zone).utcoffset() == prev:
                    lo = mid
                else:
                    hi = mid
            assert prev is not None and off is not None
            out.append((hi.replace(second=0, microsecond=0), prev, off))
            prev = off
    return [x for x in out if x[0].year == year]


def _nth_weekday(year: int, month: int, weekday: int, nth: int) -> int:
    """Day of month of the ``nth`` (1..4, or -1 for last) ``weekday`` of the month."""
    days = pycal.monthrange(year, month)[1]
    if nth == -1:
        last = dt.date(year, month, days)
        return days - (last.weekday() - weekday) % 7
    first = dt.date(year, month, 1)
    return 1 + (weekday - first.weekday()) % 7 + 7 * (nth - 1)


def _yearly_rule(
    zone: ZoneInfo, year: int, idx: int
) -> tuple[int, int, int, dt.time, dt.timedelta, dt.timedelta] | None:
    """(month, weekday, nth, local time, offset from, offset to) for transition ``idx``."""
    years = [_transitions(zone, y) for y in (year, year + 1, year + 2)]
    if any(len(t) != 2 for t in years):
        return None
    instant, before, after = years[0][idx]
    local = instant + before  # RFC 5545: onset in the local time in force before it
    candidates = [(local.day - 1) // 7 + 1, -1]
    for nth in candidates:
        if nth > 4:
            continue
        ok = True
        for y, trans in zip((year, year + 1, year + 2), years, strict=True):
            t, b, a = trans[idx]
            when = t + b
            expected = _nth_weekday(y, local.month, local.weekday(), nth)
            if (when.month, when.day, when.time(), b, a) != (
                local.month,
                expected,
                local.time(),
                before,
                after,
            ):
                ok = False
                break
        if ok:
            return local.month, local.weekday(), nth, local.time(), before, after
    return None


_BYDAY = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


def vtimezone(tzid: str, around: dt.date) -> tuple[Timezone, bool]:
    """A VTIMEZONE for ``tzid`` valid around ``around``; False when it had to fall back.

    Zones whose rule is not "the nth (or last) weekday of a month" (a few tie DST to
    religious calendars) get icalendar's dated transitions for the year instead.
    """
    zone = ZoneInfo(tzid)
    tz = Timezone()
    tz.add("tzid", tzid)
    tz.add("x-lic-location", tzid)
    trans = _transitions(zone, around.year)
    if not trans and not _transitions(zone, around.year + 1):
        noon = dt.datetime(around.year, around.month, around.day, 12, tzinfo=zone)
        offset = noon.utcoffset()
        std = TimezoneStandard()
        std.add("dtstart", dt.datetime(1970, 1, 1))
        std.add("tzoffsetfrom", offset)
        std.add("tzoffsetto", offset)
        std.add("tzname", noon.tzname() or tzid)
        tz.add_component(std)
        return tz, True
    rules = [_yearly_rule(zone, around.year, i) for i in (0, 1)]
    if all(r is not None for r in rules):
        for rule in rules:
            assert rule is not None
            month, weekday, nth, at, before, after = rule
            comp: TimezoneDaylight | TimezoneStandard
            comp = TimezoneDaylight() if after > before else TimezoneStandard()
            day1970 = _nth_weekday(1970, month, weekday, nth)
            comp.add("dtstart", dt.datetime.combine(dt.date(1970, month, day1970), at))
            comp.add(
                "rrule", {"freq": "yearly", "bymonth": month, "byday": f"{nth}{_BYDAY[weekday]}"}
            )
            comp.add("tzoffsetfrom", before)
            comp.add("tzoffsetto", after)
            changed = (
                dt.datetime.combine(
                    dt.date(around.year, month, _nth_weekday(around.year, month, weekday, nth)), at
                )
                - before
                + dt.timedelta(hours=1)
            )
            name = changed.replace(tzinfo=dt.UTC).astimezone(zone).tzname()
            comp.add("tzname", name or tzid)
            tz.add_component(comp)
        # Outlook expects DAYLIGHT before STANDARD; order is otherwise irrelevant.
        tz.subcomponents.sort(key=lambda c: 0 if c.name == "DAYLIGHT" else 1)
        return tz, True
    fallback = Timezone.from_tzid(
        tzid,
        first_date=around - dt.timedelta(days=366),
        last_date=around + dt.timedelta(days=2 * 366),
    )
    return fallback, False


# --------------------------------------------------------------------------------------
# Feeds.


@dataclass(frozen=True)
class FeedInfo:
    """One published feed: what it is for (for the coordinator's list) and its file."""

    kind: str  # "staff", "therapist", "room", "patient"
    owner: str  # therapist/room/patient ID, "" for the staff master
    label: str  # shown to the coordinator
    filename: str  # relative to the calendars folder


@dataclass
class FeedSet:
    files: dict[str, bytes]  # file name inside calendars/ → content
    feeds: list[FeedInfo]
    uid_map: UidMap
    warnings: list[str]


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "_", neutral(text)).strip("_") or "x"


def _utc(t: dt.datetime) -> str:
    return t.astimezone(dt.UTC).isoformat()


class _FeedBuilder:
    def __init__(
        self, view: ScheduleView, old: UidMap, now: dt.datetime, options: PublishOptions
    ) -> None:
        self.view = view
        self.clinic = view.clinic
        self.old = old
        self.now = now.astimezone(dt.UTC)
        self.options = options
        self.internal = options.internal_calendar_details
        self.new = UidMap(patient_feeds={})
        self.claimed: set[str] = set()  # keys of the old map that this run carries on
        self.keys: set[str] = set()  # event keys given out in this run
        self.warnings: list[str] = []
        self.calendars: dict[str, Calendar] = {}
        self.feeds: list[FeedInfo] = []
        self.tz, rule_shaped = vtimezone(self.clinic.settings.timezone, view.schedule.week_start)
        if not rule_shaped:
            self.warnings.append(
                f"time zone {self.clinic.settings.timezone} has no simple yearly rule; "
                "feeds carry its dated transitions instead (Outlook may show times wrongly "
                "outside the planning year)"
            )
        self._withheld_noted: set[str] = set()

    # Text that leaves the clinic.
    def public(self, text: str, what: str, fallback: str = "Program") -> str:
        if self.internal:
            return text
        found = withheld_words(text)
        if found and text not in self._withheld_noted:
            self._withheld_noted.add(text)
            self.warnings.append(
                f"{what} {text!r} contains {', '.join(repr(w) for w in found)}, which is "
                "withheld from calendar feeds; feeds show "
                f"{neutral(text, fallback)!r} instead"
            )
        return neutral(text, fallback)

    def site_text(self, site_id: str) -> str:
        """The site as feeds name it: its name, or its ID if the name has a withheld word."""
        site = self.clinic.site_by_id.get(site_id)
        name = site.name if site else site_id
        if self.internal or not withheld_words(name):
            return name
        if not withheld_words(site_id):
            return site_id
        return self.public(name, "site name", "Site")

    def room_text(self, room: Room) -> str:
        """The room's public name, with its site's at a multi-site clinic."""
        name = self.public(room.name, "room name", "Room")
        if room.virtual or not multi_site(self.clinic):
            return name
        return f"{name} ({self.site_text(room.site)})"

    def prefix(self) -> str:
        base = self.options.calendar_name_prefix or self.clinic.settings.name
        return self.public(base, "calendar name", fallback="Clinic")

    def calendar(self, filename: str, name: str, info: FeedInfo) -> Calendar:
        cal = Calendar()
        cal.add("prodid", PRODID)
        cal.add("version", "2.0")
        cal.add("calscale", "GREGORIAN")
        cal.add("method", "PUBLISH")
        cal.add("name", name)
        cal.add("x-wr-calname", name)
        cal.add("refresh-interval", self.options.refresh_interval, parameters={"VALUE": "DURATION"})
        ttl = self.options.refresh_interval
        cal.add("x-published-ttl", _duration_text(ttl))
        cal.add_component(self.tz)
        self.calendars[filename] = cal
        self.feeds.append(info)
        return cal

    def entry(
        self,
        key: str,
        legacy_key: str,
        start: dt.datetime,
        end: dt.datetime,
        room: str,
        leaders: tuple[str, ...],
        feeds: list[str],
        summary: str,
        location: str,
    ) -> UidEntry:
        """The event's UID and SEQUENCE: kept from the old map under ``key``, or under
        ``legacy_key`` from a format-1 map; SEQUENCE + 1 when the event changed."""
        span = f"{_utc(start)}|{_utc(end)}|{room}"
        fingerprint = f"{span}|{','.join(leaders)}|{summary}|{location}|CONFIRMED"
        old_key = key
        prev = self.old.entries.get(key)
        if prev is None:
            migrated = self.old.entries.get(legacy_key)
            if migrated is not None and migrated.legacy and legacy_key not in self.claimed:
                old_key, prev = legacy_key, migrated
        if prev is None:
            uid, seq = str(uuid.uuid4()), 0
        else:
            self.claimed.add(old_key)
            # A format-1 fingerprint holds the span and status only: compared as such, a
            # migrated event that did not change keeps its SEQUENCE.
            now = f"{span}|CONFIRMED" if prev.legacy else fingerprint
            seq = prev.sequence + (prev.fingerprint != now or prev.cancelled)
            uid = prev.uid
        e = UidEntry(uid, seq, fingerprint, _utc(start), _utc(end), feeds, summary, location)
        self.new.entries[key] = e
        return e

    def event_key(self, v: SessionView) -> str:
        """The group's lineage and the week, unique in this run: two sessions of one
        lineage in one week (not made by the solver) get ``#2``, ``#3`` … in time order."""
        key, n = v.identity, 2
        while key in self.keys:
            key, n = f"{v.identity}#{n}", n + 1
        self.keys.add(key)
        return key

    def event(
        self,
        e: UidEntry,
        start: dt.datetime,
        end: dt.datetime,
        summary: str,
        location: str,
        description: str | None,
        status: str,
    ) -> Event:
        ev = Event()
        ev.add("uid", e.uid)
        ev.add("dtstamp", self.now)
        ev.add("dtstart", start)
        ev.add("dtend", end)
        ev.add("sequence", e.sequence)
        ev.add("status", status)
        ev.add("summary", summary)
        ev.add("location", location)
        if description:
            ev.add("description", description)
        ev.add("class", "PRIVATE")
        ev.add("transp", "OPAQUE")
        return ev

    def build(self) -> FeedSet:
        clinic, view = self.clinic, self.view
        prefix = self.prefix()
        staff_name = f"{prefix} staff"
        self.calendar(STAFF_FEED, staff_name, FeedInfo("staff", "", staff_name, STAFF_FEED))
        therapist_file: dict[str, str] = {}
        used: set[str] = {STAFF_FEED}
        for t in sorted(clinic.therapists, key=lambda t: t.id):
            fname = _unique(f"therapist-{_slug(t.id)}.ics", used)
            therapist_file[t.id] = fname
            name = f"{prefix} – {self.public(t.name, 'therapist name', 'Therapist')}"
            self.calendar(fname, name, FeedInfo("therapist", t.id, t.name, fname))
        room_file: dict[str, str] = {}
        for r in sorted(clinic.rooms, key=lambda r: r.id):
            fname = _unique(f"room-{_slug(r.id)}.ics", used)
            room_file[r.id] = fname
            name = f"{prefix} – {self.room_text(r)}"
            label = room_label(clinic, r)
            self.calendar(fname, name, FeedInfo("room", r.id, label, fname))
        patient_file: dict[str, str] = {}
        for p in sorted(clinic.patients, key=lambda p: p.id):
            if not p.calendar_consent:
                continue
            # The file name is a random token: a feed URL must not name or number a patient.
            token = self.old.patient_feeds.get(p.id) or uuid.uuid4().hex
            self.new.patient_feeds[p.id] = token
            fname = f"patient-{token}.ics"
            patient_file[p.id] = fname
            self.calendar(fname, "Appointments", FeedInfo("patient", p.id, p.name, fname))

        for v in view.sessions:
            self.add_session(v, therapist_file, room_file, patient_file)
        self.add_cancellations()
        files = {name: cal.to_ical() for name, cal in self.calendars.items()}
        return FeedSet(files, self.feeds, self.new, self.warnings)

    def add_session(
        self,
        v: SessionView,
        therapist_file: Mapping[str, str],
        room_file: Mapping[str, str],
        patient_file: Mapping[str, str],
    ) -> None:
        s = v.session
        people = [p.id for p in v.patients] + [p.name for p in v.patients]
        code = s.code if self.internal else redact_people(self.public(s.code, "group code"), people)
        room = self.room_text(v.room)
        n = len(s.patients)
        count = f"{n} patient" + ("" if n == 1 else "s")
        summary = f"{code} ({count})"
        lines = [f"Group {code}", f"Room: {room}", f"Patients: {n}"]
        lines.append("Led by: " + self.public(v.therapist_names, "therapist name", "staff"))
        if self.internal:
            lines.insert(1, f"Type: {v.kind.name}")
            lines.append("Patients: " + "; ".join(p.name for p in v.patients))
        feeds = [STAFF_FEED, room_file[s.room]] + [therapist_file[t] for t in s.therapists]
        key, legacy = self.event_key(v), v.legacy_identity
        e = self.entry(key, legacy, v.start, v.end, s.room, s.therapists, feeds, summary, room)
        ev = self.event(e, v.start, v.end, summary, room, "\n".join(lines), "CONFIRMED")
        for fname in dict.fromkeys(feeds):  # a session is in each feed once
            self.calendars[fname].add_component(ev)

        place = self.patient_place(v)
        for p in v.patients:
            pf = patient_file.get(p.id)
            if pf is None:
                continue
            # Keys of their own: the patient's events get UIDs of their own.
            pkey, plegacy = f"{key}/patient/{p.id}", f"{legacy}/patient/{p.id}"
            pe = self.entry(
                pkey, plegacy, v.start, v.end, s.room, s.therapists, [pf], "Appointment", place
            )
            self.calendars[pf].add_component(
                self.event(pe, v.start, v.end, "Appointment", place, None, "CONFIRMED")
            )

    def patient_place(self, v: SessionView) -> str:
        if v.room.virtual:
            return "Online"
        if self.options.patient_place:
            return neutral(self.options.patient_place, "Office")
        site = self.clinic.site_by_id.get(v.block.site)
        return neutral(site.name if site else "", "Office")

    def add_cancellations(self) -> None:
        """Old events gone from this schedule: cancelled once if inside the horizon."""
        lo = self.view.horizon_start.astimezone(dt.UTC)
        hi = self.view.horizon_end.astimezone(dt.UTC)
        for key, old in self.old.entries.items():
            if key in self.claimed or key in self.new.entries:
                continue
            start = dt.datetime.fromisoformat(old.start)
            end = dt.datetime.fromisoformat(old.end)
            if not lo <= start < hi:
                # Outside this horizon: not cancelled, only not re-planned; kept a while so
                # the UID survives a later horizon that covers it again.
                if end >= lo - FORGET_AFTER:
                    self.new.entries[key] = old
                continue
            if old.cancelled:
                continue  # announced once already: forget it
            feeds = [f for f in old.feeds if f in self.calendars]
            e = UidEntry(
                old.uid,
                old.sequence + 1,
                old.fingerprint.rsplit("|", 1)[0] + "|CANCELLED",
                old.start,
                old.end,
                feeds,
                old.summary,
                old.location,
                cancelled=True,
                legacy=old.legacy,
            )
            self.new.entries[key] = e
            zone = self.clinic.settings.zone
            ev = self.event(
                e,
                start.astimezone(zone),
                end.astimezone(zone),
                f"Cancelled: {old.summary}",
                old.location,
                None,
                "CANCELLED",
            )
            for fname in feeds:
                self.calendars[fname].add_component(ev)


def _unique(name: str, used: set[str]) -> str:
    stem, ext = name.rsplit(".", 1)
    out, i = name, 2
    while out in used:
        out = f"{stem}-{i}.{ext}"
        i += 1
    used.add(out)
    return out


def _duration_text(d: dt.timedelta) -> str:
    secs = int(d.total_seconds())
    days, rem = divmod(secs, 86400)
    hours, rem = divmod(rem, 3600)
    minutes, seconds = divmod(rem, 60)
    out = "P" + (f"{days}D" if days else "")
    time = (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "")
    time += f"{seconds}S" if seconds else ""
    return out + ("T" + time if time else "") if (days or time) else "PT0S"


def build_feeds(
    view: ScheduleView,
    old_map: UidMap,
    now: dt.datetime,
    options: PublishOptions,
) -> FeedSet:
    """Every feed as bytes, the updated UID map, and privacy/format warnings."""
    builder = _FeedBuilder(view, old_map, now, options)
    return builder.build()


def feed_text_problems(files: Iterable[bytes]) -> list[str]:
    """Withheld words found in feed contents (used as a last check before writing)."""
    found: list[str] = []
    for data in files:
        found += withheld_words(data.decode("utf-8"))
    return sorted(set(found))
