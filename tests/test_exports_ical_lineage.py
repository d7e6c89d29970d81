"""Calendar identity follows the group, not the slot: one group followed across rolled
horizons and three rounds of changes (moved time, new room, new leader) keeps its UID in
every feed while SEQUENCE rises; a cancelled session is published once as cancelled, then
forgotten; a UID map written before lineages keeps working."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import replace
from pathlib import Path

from factory import WEEK, patient, room
from icalendar import Calendar
from test_changes import DAYS, PATIENTS, clinic, gt, ind, plan, valid
from test_exports_samples import NOW

from scheduler.domain import Clinic
from scheduler.exports import UID_MAP, publish, render
from scheduler.exports.ical import UidMap
from scheduler.exports.options import PublishOptions
from scheduler.schedule import Schedule, Session

GROUP = "GT-MON-EVE-1"  # the lineage followed
HORIZON = 4


def rolled_clinic(start: dt.date) -> Clinic:
    """The tiny clinic planning ``HORIZON`` weeks from ``start``, with a second group room
    and P2 consenting to a calendar feed; everyone in treatment throughout."""
    base = clinic()
    far = WEEK + dt.timedelta(weeks=20)
    pats = tuple(
        patient(p, discharge=far, calendar_consent=(p == "P2"), name=f"Patient {p}")
        for p in PATIENTS
    )
    return replace(
        base,
        patients=pats,
        rooms=(*base.rooms, room("R2")),
        settings=replace(base.settings, week_start=start, weeks=HORIZON),
    )


def group(week: int, day: str = "MON", **kw: object) -> Session:
    return gt(day, week, lineage=GROUP, **kw)  # type: ignore[arg-type]


def horizon(start: dt.date, followed: dict[int, Session | None]) -> Schedule:
    """Every week of the horizon as usual, the followed group as ``followed`` says (None:
    not held that week; a new group, a lineage of its own, meets then instead)."""
    sessions: list[Session] = []
    for w in range(HORIZON):
        sessions += [gt(d, w) for d in DAYS if d != "MON"]
        sessions += [ind(d, p, w) for d, p in zip(DAYS, PATIENTS, strict=True)]
        g = followed.get(w, group(w))
        other = Session.numbered(w, "TUE-EVE", "GT", 2, "R2", ("T2",), PATIENTS)
        sessions.append(other if g is None else g)
    return plan(sessions, start=start, weeks=HORIZON)


def staff_events(out: Path, feed: str = "staff.ics") -> list:
    data = (out / "calendars" / feed).read_bytes()
    return list(Calendar.from_ical(data).walk("VEVENT"))


def patient_feed(out: Path) -> str:
    token = json.loads((out / UID_MAP).read_text())["patient_feeds"]["P2"]
    return f"patient-{token}.ics"


def on(events: list, day: dt.date) -> list:
    return [e for e in events if e.decoded("DTSTART").date() == day]


def followed_event(out: Path, day: dt.date, feed: str = "staff.ics") -> object:
    """The followed group's event on ``day`` (the other groups meet Wed and Fri)."""
    found = [e for e in on(staff_events(out, feed), day) if e.decoded("DTSTART").hour == 18]
    assert len(found) == 1, found
    return found[0]


def test_one_group_keeps_its_uid_through_three_weeks_of_changes(tmp_path: Path) -> None:
    weeks = [WEEK + dt.timedelta(weeks=k) for k in range(4)]
    target = weeks[3]  # the week every run below plans: followed there, and the week after
    monday, tuesday = target, target + dt.timedelta(days=1)

    # Run 1, from week 0: the group meets Monday evenings in room R1, led by T2.
    c = rolled_clinic(weeks[0])
    publish(c, valid(c, horizon(weeks[0], {})), tmp_path, now=NOW)
    first = followed_event(tmp_path, monday)
    first_patient = followed_event(tmp_path, monday, patient_feed(tmp_path))
    uid, puid = str(first["UID"]), str(first_patient["UID"])
    assert int(first["SEQUENCE"]) == 0 and uid != puid
    assert "room-R1.ics" in feeds_holding(tmp_path, uid)

    # Run 2, rolled on a week: the group moves to Tuesday (its code says so, its lineage
    # does not change). Its week-4 session is published for the first time.
    c = rolled_clinic(weeks[1])
    moved = {w: group(w, "TUE") for w in range(HORIZON)}
    publish(c, valid(c, horizon(weeks[1], moved)), tmp_path, now=NOW)
    ev = followed_event(tmp_path, tuesday)
    assert str(ev["UID"]) == uid and int(ev["SEQUENCE"]) == 1
    assert str(ev["SUMMARY"]).startswith("GT-TUE-EVE-1")
    evening = [e for e in on(staff_events(tmp_path), monday) if e.decoded("DTSTART").hour == 18]
    assert not evening  # moved, not cancelled and added
    pev = followed_event(tmp_path, tuesday, patient_feed(tmp_path))
    assert str(pev["UID"]) == puid and int(pev["SEQUENCE"]) == 1
    cancel_day = WEEK + dt.timedelta(weeks=4, days=1)  # the group's week-4 Tuesday
    cancelled_uid = str(followed_event(tmp_path, cancel_day)["UID"])

    # Run 3, rolled again: a new room; and the group's session in week 4 is not held (a
    # new group meets instead).
    c = rolled_clinic(weeks[2])
    new_room = {w: group(w, "TUE", room="R2") for w in range(HORIZON)}
    new_room[2] = None  # week 2 of this horizon: the week-4 session
    publish(c, valid(c, horizon(weeks[2], new_room)), tmp_path, now=NOW)
    ev = followed_event(tmp_path, tuesday)
    assert str(ev["UID"]) == uid and int(ev["SEQUENCE"]) == 2
    assert feeds_holding(tmp_path, uid) >= {"staff.ics", "room-R2.ics", "therapist-T2.ics"}
    assert "room-R1.ics" not in feeds_holding(tmp_path, uid)
    that_day = {str(e["UID"]): e for e in on(staff_events(tmp_path), cancel_day)}
    gone = that_day[cancelled_uid]  # beside the new group's own event
    assert str(gone["STATUS"]) == "CANCELLED" and len(that_day) == 2
    assert int(gone["SEQUENCE"]) == 1  # published at 0, moved in no run since: +1

    # Run 4, rolled again: a new leader. The cancelled session is not announced again.
    c = rolled_clinic(weeks[3])
    new_leader = {w: group(w, "TUE", room="R2", leaders=("T1",)) for w in range(HORIZON)}
    new_leader[1] = None  # still not held in week 4
    publish(c, valid(c, horizon(weeks[3], new_leader)), tmp_path, now=NOW)
    ev = followed_event(tmp_path, tuesday)
    assert str(ev["UID"]) == uid and int(ev["SEQUENCE"]) == 3
    assert feeds_holding(tmp_path, uid) == {"staff.ics", "room-R2.ics", "therapist-T1.ics"}
    assert "Led by: Therapist T1" in str(ev["DESCRIPTION"])
    assert cancelled_uid not in {str(e["UID"]) for e in staff_events(tmp_path)}
    # The patient's own event: the same UID all along, never the staff one; a new leader
    # is a change for the patient's event too.
    pev = followed_event(tmp_path, tuesday, patient_feed(tmp_path))
    assert str(pev["UID"]) == puid and int(pev["SEQUENCE"]) == 3


def feeds_holding(out: Path, uid: str) -> set[str]:
    return {
        p.name
        for p in (out / "calendars").glob("*.ics")
        if uid in {str(e["UID"]) for e in Calendar.from_ical(p.read_bytes()).walk("VEVENT")}
    }


def test_a_new_summary_raises_sequence_and_nothing_else_does(tmp_path: Path) -> None:
    c = rolled_clinic(WEEK)
    publish(c, horizon(WEEK, {}), tmp_path, now=NOW)
    before = {str(e["UID"]): int(e["SEQUENCE"]) for e in staff_events(tmp_path)}
    publish(c, horizon(WEEK, {}), tmp_path, now=NOW + dt.timedelta(hours=1))
    assert {str(e["UID"]): int(e["SEQUENCE"]) for e in staff_events(tmp_path)} == before
    # One fewer patient: the summary says "(2 patients)", the rest is unchanged.
    smaller = {0: group(0, patients=("P1", "P2"))}
    publish(c, horizon(WEEK, smaller), tmp_path, now=NOW)
    ev = followed_event(tmp_path, WEEK)
    assert str(ev["SUMMARY"]) == f"{GROUP} (2 patients)"
    after = {str(e["UID"]): int(e["SEQUENCE"]) for e in staff_events(tmp_path)}
    assert set(after) == set(before)
    assert [u for u in after if after[u] != before[u]] == [str(ev["UID"])]
    assert after[str(ev["UID"])] == 1


def legacy_map(c: Clinic, schedule: Schedule) -> bytes:
    """A UID map as written before lineages (format 1): keyed by the week's Monday and the
    session ID, fingerprints of span, room and status; one event already at SEQUENCE 2 and
    one for a session that the new schedule no longer has."""
    entries = {}
    kept = next(s for s in schedule.sessions if s.id == "W0-MON-EVE-GT-1")
    for s, uid, seq in ((kept, "legacy-kept", 2), (replace(kept, id="W0-TUE-EVE-GT-1"), "gone", 0)):
        start = kept.start(c).astimezone(dt.UTC).isoformat()
        end = kept.end(c).astimezone(dt.UTC).isoformat()
        entries[f"{WEEK}/{s.id}"] = {
            "uid": uid,
            "sequence": seq,
            "fingerprint": f"{start}|{end}|{kept.room}|CONFIRMED",
            "start": start,
            "end": end,
            "feeds": ["staff.ics"],
            "summary": "GT-MON-EVE-1 (3 patients)",
            "location": "Room R1",
        }
    return json.dumps({"format": 1, "patient_feeds": {}, "entries": entries}).encode()


def test_a_uid_map_from_before_lineages_is_migrated_not_rekeyed() -> None:
    c = rolled_clinic(WEEK)
    schedule = horizon(WEEK, {})
    old = UidMap.loads(legacy_map(c, schedule))
    first = render(c, schedule, old, now=NOW, options=PublishOptions())
    staff = list(Calendar.from_ical(first.files["calendars/staff.ics"]).walk("VEVENT"))
    by_uid = {str(e["UID"]): e for e in staff}
    # The old event keeps its UID and, unchanged, its SEQUENCE.
    assert int(by_uid["legacy-kept"]["SEQUENCE"]) == 2
    assert by_uid["legacy-kept"].decoded("DTSTART").date() == WEEK
    # The old key nobody claims is a session gone: cancelled once.
    assert str(by_uid["gone"]["STATUS"]) == "CANCELLED"
    written = json.loads(first.files[UID_MAP])
    assert written["format"] == 2
    assert written["entries"][f"{WEEK}/{GROUP}"]["uid"] == "legacy-kept"
    assert f"{WEEK}/W0-MON-EVE-GT-1" not in written["entries"]
    # From the migrated map on, the group is found by its lineage, also when it moves.
    moved = horizon(WEEK, {0: group(0, "TUE")})
    second = render(c, moved, UidMap.loads(first.files[UID_MAP]), now=NOW, options=PublishOptions())
    staff = list(Calendar.from_ical(second.files["calendars/staff.ics"]).walk("VEVENT"))
    by_uid = {str(e["UID"]): e for e in staff}
    assert int(by_uid["legacy-kept"]["SEQUENCE"]) == 3
    assert by_uid["legacy-kept"].decoded("DTSTART").date() == WEEK + dt.timedelta(days=1)
    assert "gone" not in by_uid  # announced once, then forgotten
