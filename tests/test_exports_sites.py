"""Multi-site clinics: every export says which site a room is at; the timetable goes by site.

Two sites each have a "Group room 1". The second site's name carries a withheld word, so
calendar feeds must name it by its ID instead.
"""

from __future__ import annotations

from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path

import openpyxl
import pytest
from factory import SITE, block
from test_exports_samples import NOW, sample_clinic, sample_schedule, sample_sessions

from scheduler.domain import Clinic, Room, Site, Weekday
from scheduler.exports import publish
from scheduler.exports.view import room_label
from scheduler.schedule import Schedule, Session

MAIN_ROOM = "Group room 1 (Main street)"
NORTH_ROOM = "Group room 1 (Recovery North)"


def two_sites() -> tuple[Clinic, Schedule]:
    clinic = sample_clinic()
    clinic = replace(
        clinic,
        sites=(Site(SITE, "Main street"), Site("NORTH", "Recovery North")),
        blocks=(*clinic.blocks, block("N-WED-EVE", Weekday.WED, "18:00", "21:00", site="NORTH")),
        rooms=(
            Room("R1", "Group room 1", SITE, 12),
            Room("N1", "Group room 1", "NORTH", 12),
            clinic.room_by_id["OFFICE"],
            Room("TELE", "Video room", "", 12, virtual=True),
        ),
    )
    north = Session("w0-N-WED", "GT-N-WED-1", 0, "N-WED-EVE", "GT", "N1", ("T2",), ("P4",))
    video = Session("w0-V-FRI", "GT-V-FRI-1", 0, "FRI-EVE", "GT", "TELE", ("T2",), ("P4",))
    return clinic, sample_schedule(clinic, sessions=[*sample_sessions(0), north, video])


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    clinic, schedule = two_sites()
    path = tmp_path_factory.mktemp("sites")
    publish(clinic, schedule, path, now=NOW)
    return path


def test_room_labels_name_the_site_only_when_there_are_several() -> None:
    clinic, _ = two_sites()
    assert room_label(clinic, clinic.room_by_id["N1"]) == NORTH_ROOM
    assert room_label(clinic, clinic.room_by_id["TELE"]) == "Video room"  # serves every site
    one = sample_clinic()
    assert room_label(one, one.room_by_id["R1"]) == "Room R1"


def test_workbook_names_the_site_of_every_room(out: Path) -> None:
    wb = openpyxl.load_workbook(out / "schedule.xlsx")
    rooms = {r[6] for r in wb["Rosters"].iter_rows(min_row=2, values_only=True)}
    assert {MAIN_ROOM, NORTH_ROOM, "Video room"} <= rooms
    headings = {r[0] for r in wb["By room"].iter_rows(values_only=True)}
    assert f"{NORTH_ROOM} — week of 2026-12-07" in headings
    assert f"{MAIN_ROOM} — week of 2026-12-07" in headings
    grid = " ".join(str(v) for r in wb["By therapist"].iter_rows(values_only=True) for v in r)
    assert NORTH_ROOM in grid
    feeds = {r[1] for r in wb["Calendar feeds"].iter_rows(values_only=True)}
    assert {MAIN_ROOM, NORTH_ROOM} <= feeds
    # Sign-in sheets say which site, without the treatment word in the site's name.
    sign_in = [str(r[0]) for r in wb["Sign-in"].iter_rows(values_only=True) if r[0]]
    assert any("Room: Group room 1 (Program North)" in line for line in sign_in)
    assert any("Room: Group room 1 (Main street)" in line for line in sign_in)
    assert not any("recovery" in line.lower() for line in sign_in)


def test_feeds_name_the_site_by_name_or_id_never_a_treatment_word(out: Path) -> None:
    cals = {p.name: p.read_text() for p in (out / "calendars").glob("*.ics")}
    north = cals["room-N1.ics"]
    assert "X-WR-CALNAME:Northside Wellness – Group room 1 (NORTH)" in north
    assert "LOCATION:Group room 1 (NORTH)" in north
    assert "LOCATION:Group room 1 (Main street)" in cals["room-R1.ics"]
    assert "LOCATION:Video room\n" in cals["room-TELE.ics"]
    for text in cals.values():
        assert "recovery" not in text.lower()


class _Toc(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.ids: set[str] = set()
        self.site: str | None = None
        self.sessions: dict[str, list[str]] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "a":
            self.links.append(a.get("href") or "")
        if a.get("id"):
            self.ids.add(a["id"] or "")
        if tag == "section" and "site" in (a.get("class") or ""):
            self.site = a.get("id")
            self.sessions[self.site or ""] = []
        if "data-session-id" in a and self.site:
            self.sessions[self.site].append(a["data-session-id"] or "")


def test_timetable_goes_by_site_with_contents(out: Path) -> None:
    clinic, schedule = two_sites()
    html = (out / "timetable.html").read_text()
    parser = _Toc()
    parser.feed(html)
    assert parser.links and all(link.startswith("#") for link in parser.links)
    assert {link[1:] for link in parser.links} <= parser.ids  # every link lands
    assert len(parser.sessions) == 2
    main, north = (parser.sessions[k] for k in sorted(parser.sessions))
    site_of = {s.id: clinic.block_by_id[s.block].site for s in schedule.sessions}
    assert {site_of[i] for i in main} == {SITE} and {site_of[i] for i in north} == {"NORTH"}
    assert sorted(set(main) | set(north)) == sorted(s.id for s in schedule.sessions)
    assert "Recovery North — Week of 2026-12-07" in html
    assert f"Room: {NORTH_ROOM}" in html


def test_one_site_timetable_has_contents_but_no_site_parts(tmp_path: Path) -> None:
    clinic = sample_clinic()
    publish(clinic, sample_schedule(clinic), tmp_path, now=NOW)
    html = (tmp_path / "timetable.html").read_text()
    parser = _Toc()
    parser.feed(html)
    assert len(parser.sessions) == 1 and '<h2 class="site"' not in html
    assert parser.links == ["#all-w0-by-room", "#all-w0-by-therapist"]
    assert "(Main street)" not in html
