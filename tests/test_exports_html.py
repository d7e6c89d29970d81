"""timetable.html: every session listed, self-contained, coloured by type with a legend."""

from __future__ import annotations

import re
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path

from test_exports_samples import NOW, sample, sample_clinic, sample_schedule

from scheduler.domain import Room
from scheduler.exports import publish
from scheduler.schedule import Schedule


class _Collect(HTMLParser):
    """Session ids per view, and every tag and attribute seen."""

    def __init__(self) -> None:
        super().__init__()
        self.view: str | None = None
        self.depth = 0
        self.ids: dict[str, list[str]] = {"by-room": [], "by-therapist": []}
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        self.tags.append((tag, a))
        cls = (a.get("class") or "").split()
        if tag == "div" and "view" in cls:
            self.view = cls[1]
            self.depth = 0
        elif tag == "div" and self.view:
            self.depth += 1
        if "data-session-id" in a and self.view:
            self.ids[self.view].append(a["data-session-id"] or "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "div" and self.view:
            if self.depth == 0:
                self.view = None
            else:
                self.depth -= 1


def render(tmp_path: Path, weeks: int = 2) -> tuple[str, Schedule]:
    clinic, schedule = sample(weeks=weeks)
    publish(clinic, schedule, tmp_path, now=NOW)
    return (tmp_path / "timetable.html").read_text(encoding="utf-8"), schedule


def test_every_session_is_listed_once_per_view(tmp_path: Path) -> None:
    html, schedule = render(tmp_path)
    parser = _Collect()
    parser.feed(html)
    ids = sorted(s.id for s in schedule.sessions)
    assert sorted(parser.ids["by-room"]) == ids
    assert sorted(parser.ids["by-therapist"]) == ids  # one therapist per session here
    for s in schedule.sessions:
        assert s.code in html


def test_page_is_self_contained(tmp_path: Path) -> None:
    html, _ = render(tmp_path)
    parser = _Collect()
    parser.feed(html)
    for tag, attrs in parser.tags:
        assert tag not in ("script", "link", "img", "iframe", "object"), tag
        assert "src" not in attrs, tag
        assert (attrs.get("href") or "#").startswith("#"), attrs  # only places on the page
    assert not re.search(r"https?://|url\(|@import", html)
    assert "default-src 'none'" in html  # the browser is told to fetch nothing
    assert "@media print" in html and "landscape" in html


def test_legend_and_colours_by_session_type(tmp_path: Path) -> None:
    html, _ = render(tmp_path, weeks=1)
    legend = html[html.index('class="legend"') : html.index("</div>", html.index("legend"))]
    assert "GT" in legend and "Individual counseling" in legend
    classes = set(re.findall(r'<div class="s (t\d+)"', html))
    assert len(classes) == 2  # groups and individual sessions differ
    for cls in classes:
        assert re.search(rf"\.{cls} {{ background: #[0-9a-f]{{6}}", html)


def test_user_text_is_escaped_and_no_patient_is_named(tmp_path: Path) -> None:
    clinic = sample_clinic()
    clinic = replace(
        clinic,
        rooms=(Room("R1", "<script>alert(1)</script>", "MAIN", 12), clinic.room_by_id["OFFICE"]),
    )
    publish(clinic, sample_schedule(clinic), tmp_path, now=NOW)
    html = (tmp_path / "timetable.html").read_text()
    assert "<script>" not in html and "&lt;script&gt;" in html
    for p in clinic.patients:
        assert p.name not in html
