"""A 2,000-patient clinic's week in the workbench: per site, paged, under 2 s a page.

The schedule here is laid out by hand (every patient in three groups and one individual
session at their own site), not solved: the page's cost is in the rows and sessions it
shows, and a solve of this size would take minutes. It is not checked against the rules,
since no rule is in question here, only how a page of a big week renders.
"""

from __future__ import annotations

import time
from dataclasses import replace
from itertools import cycle
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from scheduler.app import service
from scheduler.app.bench import Config, Loaded, Workbench
from scheduler.app.web import create_app
from scheduler.app.week import PAGE_ROWS
from scheduler.domain import BlockKind, Clinic
from scheduler.generator import generate_clinic
from scheduler.schedule import Schedule, Session, SolveStats

PAGE_TARGET_S = 2.0


def _laid_out(clinic: Clinic) -> Schedule:
    sessions: list[Session] = []
    for site in clinic.sites:
        patients = [p.id for p in clinic.patients if p.site == site.id]
        groups = [b for b in clinic.blocks if b.site == site.id and b.kind is BlockKind.GROUP]
        slots = cycle(b for b in clinic.blocks if b.site == site.id and b.kind is BlockKind.SLOT)
        rooms = cycle(r.id for r in clinic.rooms if r.site == site.id and not r.virtual)
        leads = cycle(t.id for t in clinic.therapists if site.id in t.sites)
        for start in range(0, len(patients), 10):
            members = tuple(patients[start : start + 10])
            for k in range(3):
                b = groups[(start // 10 * 3 + k) % len(groups)]
                sessions.append(
                    Session.numbered(0, b.id, "GT", start + k, next(rooms), (next(leads),), members)
                )
            for p in members:
                slot = next(slots)
                sessions.append(
                    Session.numbered(
                        0, slot.id, "IND", len(sessions), next(rooms), (next(leads),), (p,)
                    )
                )
    stats = SolveStats("FEASIBLE", 0.0, 0.0, 0.0, 0, 1, 1.0)
    return Schedule(clinic.settings.week_start, 1, tuple(sessions), (), stats)


@pytest.fixture(scope="module")
def big() -> tuple[Clinic, Schedule]:
    clinic = generate_clinic(patients=2000, sites=8, seed=1)
    clinic = replace(clinic, settings=replace(clinic.settings, weeks=1))
    return clinic, _laid_out(clinic)


def test_a_page_of_a_2000_patient_week_renders_quickly(
    big: tuple[Clinic, Schedule], tmp_path: Path
) -> None:
    clinic, schedule = big
    config = Config(out_dir=tmp_path / "out")
    app = create_app(config)
    bench: Workbench = app.state.bench
    opened = service.Opened(clinic, (), (), "hash", "")
    loaded = Loaded(tmp_path / "big.xlsx", opened, clinic, [], schedule)
    bench.load = lambda: loaded  # type: ignore[method-assign]  # no workbook to read
    client = TestClient(app)
    client.get(f"/?token={config.secrets.token}")
    timings = {}
    for url in (
        "/week",  # the first page also joins the schedule to the clinic once
        "/week?view=patient",
        "/week?view=therapist&page_no=2",
        f"/week?view=room&site={clinic.sites[-1].id}",
        "/week?view=patient&q=P01",
    ):
        started = time.perf_counter()
        page = client.get(url)
        timings[url] = time.perf_counter() - started
        assert page.status_code == 200, url
        # Never one giant table: a page holds at most PAGE_ROWS rows of one site.
        assert page.text.count('<th scope="row"') <= PAGE_ROWS, url
        assert len(page.content) < 600_000, url
    print("\n" + "\n".join(f"{t:6.3f} s  {u}" for u, t in timings.items()))
    assert max(timings.values()) < PAGE_TARGET_S, timings
    patients = client.get("/week?view=patient").text
    assert "page 1 of" in patients and 'aria-label="Pages"' in patients


def test_an_edit_of_a_2000_patient_week_is_judged_in_seconds(
    big: tuple[Clinic, Schedule], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The checker runs once per edit; what the draft already breaks is remembered."""
    import scheduler.check

    checks = []
    real = scheduler.check.check_schedule

    def counted(*args: object) -> object:
        checks.append(1)
        return real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(scheduler.check, "check_schedule", counted)
    clinic, schedule = big
    config = Config(out_dir=tmp_path / "out")
    app = create_app(config)
    bench: Workbench = app.state.bench
    loaded = Loaded(
        tmp_path / "big.xlsx", service.Opened(clinic, (), (), "h", ""), clinic, [], schedule
    )
    bench.load = lambda: loaded  # type: ignore[method-assign]
    client = TestClient(app)
    client.get(f"/?token={config.secrets.token}")
    headers = {"X-CSRF-Token": config.secrets.csrf, "X-Tab-Id": "tab-big-0001"}
    assert client.post("/api/editor/claim", headers=headers).json()["editing"]
    session = schedule.sessions[0]
    timings = []
    for room in (r.id for r in clinic.rooms if r.site == clinic.block_by_id[session.block].site):
        started = time.perf_counter()
        r = client.post(
            "/api/edit",
            headers=headers,
            json={"op": "move_room", "session": session.id, "room": room},
        )
        timings.append(time.perf_counter() - started)
        assert r.status_code in (200, 409), r.text
        if len(timings) == 3:
            break
    print(f"\nedits of a 2,000-patient week: {', '.join(f'{t:.2f} s' for t in timings)}")
    # The first pays for the draft's own check too; the next ones check once.
    assert len(checks) == len(timings) + 1
    assert max(timings) < 30
