"""The workbench's routes through FastAPI's TestClient, the bad inputs included: every
schedule an edit leaves behind goes through the independent checker."""

from __future__ import annotations

import io
import stat
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import app_clinic
import pytest
from fastapi.testclient import TestClient

from scheduler.app.bench import Config, Workbench
from scheduler.app.editing import READ_ONLY
from scheduler.app.server import host_warning
from scheduler.app.web import create_app
from scheduler.app.workspace import Workspace
from scheduler.check import check_schedule
from scheduler.cli import SAMPLE_INPUT
from scheduler.domain import Clinic

TAB = "tab-one-0001"
OTHER_TAB = "tab-two-0002"


@dataclass
class Running:
    client: TestClient
    config: Config
    bench: Workbench
    clinic: Clinic
    input_path: Path

    def headers(self, tab: str = TAB) -> dict[str, str]:
        return {"X-CSRF-Token": self.config.secrets.csrf, "X-Tab-Id": tab}

    def post(self, url: str, tab: str = TAB, **kw: object) -> object:
        return self.client.post(url, headers=self.headers(tab), **kw)  # type: ignore[arg-type]

    def edit(self, **body: str) -> tuple[int, dict[str, object]]:
        r = self.client.post("/api/edit", headers=self.headers(), json=body)
        return r.status_code, r.json()

    def draft(self) -> object:
        found = Workspace(self.config.out_dir).draft()
        assert found is not None
        return found.schedule


def _start(tmp_path: Path, *, max_upload: int = 2 * 1024 * 1024) -> Running:
    """A signed-in client whose tab holds the edit, with the tiny clinic open and a
    hand-made valid schedule as the draft."""
    input_path = tmp_path / "clinic.xlsx"
    clinic = app_clinic.write_clinic(input_path)
    config = Config(out_dir=tmp_path / "out", time_limit_s=2, workers=1, max_upload=max_upload)
    app = create_app(config)
    bench: Workbench = app.state.bench
    bench.open(input_path, "clinic.xlsx")
    loaded = bench.load()
    assert loaded is not None
    bench.ws.save_draft(app_clinic.schedule(clinic), input_path, loaded.opened.input_hash)
    client = TestClient(app)
    client.get(f"/?token={config.secrets.token}", follow_redirects=False)
    running = Running(client, config, bench, clinic, input_path)
    assert client.post("/api/editor/claim", headers=running.headers()).json()["editing"]
    return running


@pytest.fixture
def running(tmp_path: Path) -> Iterator[Running]:
    r = _start(tmp_path)
    yield r
    r.client.close()


# The token, the cookie and the CSRF token. -----------------------------------------------


def test_without_the_token_nothing_is_shown(tmp_path: Path) -> None:
    config = Config(out_dir=tmp_path / "out")
    client = TestClient(create_app(config))
    page = client.get("/week", headers={"accept": "text/html"}, follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"] == "/login"
    for url in ("/api/solve/state", "/files/schedule.xlsx", "/compliance"):
        assert client.get(url).status_code == 401
    assert client.get("/?token=wrong", follow_redirects=False).status_code == 401
    login = client.post("/login", data={"token": "wrong"})
    assert login.status_code == 403 and "not right" in login.text


def test_the_token_becomes_an_httponly_cookie_and_leaves_the_address(tmp_path: Path) -> None:
    config = Config(out_dir=tmp_path / "out")
    client = TestClient(create_app(config))
    r = client.get(f"/open?token={config.secrets.token}", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/open"
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie
    page = client.get("/open")
    assert page.status_code == 200
    assert config.secrets.token not in page.text  # the token is not echoed into pages
    csp = page.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "http" not in csp  # nothing external
    assert page.headers["referrer-policy"] == "no-referrer"
    # The form at /login does the same.
    other = TestClient(create_app(config))
    assert other.post("/login", data={"token": config.secrets.token}).status_code == 200


def test_pages_load_nothing_from_elsewhere(running: Running) -> None:
    for url in ("/", "/open", "/solve", "/week", "/publish", "/whatif"):
        text = running.client.get(url).text
        assert "http://" not in text and "https://" not in text, url


def test_state_changes_need_the_csrf_token(running: Running) -> None:
    for headers in ({"X-Tab-Id": TAB}, {"X-Tab-Id": TAB, "X-CSRF-Token": "forged"}):
        r = running.client.post(
            "/api/edit", headers=headers, json={"op": "unlock", "lock": "APP-1"}
        )
        assert r.status_code == 403
    assert running.client.post("/api/publish", headers={"X-Tab-Id": TAB}).status_code == 403


def test_a_second_tab_is_read_only(running: Running) -> None:
    r = running.client.post("/api/editor/claim", headers=running.headers(OTHER_TAB))
    assert r.json() == {"editing": False, "message": READ_ONLY}
    refused = running.client.post(
        "/api/edit",
        headers=running.headers(OTHER_TAB),
        json={"op": "move_room", "session": app_clinic.MON, "room": "R2"},
    )
    assert refused.status_code == 409 and "Read-only" in refused.json()["error"]
    # Once the first tab lets go, the second one edits.
    running.post("/api/editor/release")
    r = running.client.post("/api/editor/claim", headers=running.headers(OTHER_TAB))
    assert r.json()["editing"]


def test_host_other_than_loopback_warns() -> None:
    assert host_warning("127.0.0.1") is None and host_warning("::1") is None
    warning = host_warning("0.0.0.0")
    assert warning is not None and "patient names" in warning


# Open and check. --------------------------------------------------------------------------


def test_open_the_sample_and_see_its_check(running: Running) -> None:
    r = running.post("/api/open/sample")
    assert r.json() == {"ok": True, "errors": 0, "warnings": 0}  # type: ignore[attr-defined]
    page = running.client.get("/open").text
    assert "No problems found" in page and "Harbor Wellness Center" in page
    assert running.bench.ws.input_path() == SAMPLE_INPUT.resolve()
    assert running.bench.ws.draft() is None  # the draft belonged to the clinic before


def _upload(running: Running, name: str, data: bytes) -> tuple[int, dict[str, object]]:
    r = running.client.post(
        "/api/open/upload", headers=running.headers(), files={"file": (name, data)}
    )
    return r.status_code, r.json()


def test_upload_a_workbook_lists_errors_by_sheet_row_and_column(running: Running) -> None:
    from openpyxl import load_workbook

    book = load_workbook(running.input_path)
    sheet = book["Patients"]
    header = [c.value for c in sheet[1]]
    sheet.cell(row=2, column=header.index("admission") + 1, value="not a date")
    broken = io.BytesIO()
    book.save(broken)
    status, body = _upload(running, "broken.xlsx", broken.getvalue())
    assert status == 200 and body["ok"] is False and body["errors"] == 1
    page = running.client.get("/open").text
    assert "1 error(s)" in page
    assert "<td>Patients</td><td>2</td><td>admission</td>" in page
    saved = running.bench.ws.upload_xlsx()
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600  # patient data, owner-only


def test_upload_a_zip_of_csv(running: Running, tmp_path: Path) -> None:
    from scheduler.inputs.workbook import write_csv_folder

    folder = tmp_path / "csv"
    write_csv_folder(app_clinic.clinic(), folder)
    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w") as z:
        for f in sorted(folder.iterdir()):
            z.write(f, f"clinic/{f.name}")
    status, body = _upload(running, "clinic.zip", packed.getvalue())
    assert status == 200 and body == {"ok": True, "errors": 0, "warnings": 0}


@pytest.mark.parametrize(
    ("name", "data", "status"),
    [
        ("notes.txt", b"hello", 415),
        ("clinic.xlsx", b"not a zip at all", 415),
        ("clinic.zip", b"PK not really", 415),
    ],
)
def test_upload_refuses_the_wrong_type(
    running: Running, name: str, data: bytes, status: int
) -> None:
    before = running.bench.ws.input_path()
    got, _ = _upload(running, name, data)
    assert got == status
    assert running.bench.ws.input_path() == before  # nothing changed


def test_upload_refuses_a_zip_holding_other_files(running: Running) -> None:
    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w") as z:
        z.writestr("Patients.csv", "patient_id\n")
        z.writestr("run.sh", "echo hi\n")
    assert _upload(running, "clinic.zip", packed.getvalue())[0] == 415


def test_upload_refuses_a_file_too_large(tmp_path: Path) -> None:
    r = _start(tmp_path, max_upload=1000)
    status, body = _upload(r, "big.xlsx", b"PK" + b"\0" * 5000)
    assert status == 413 and "larger than" in str(body["error"])


def test_download_a_blank_template(running: Running) -> None:
    from openpyxl import load_workbook

    r = running.client.get("/template.xlsx")
    assert r.status_code == 200 and "attachment" in r.headers["content-disposition"]
    assert "Patients" in load_workbook(io.BytesIO(r.content)).sheetnames


# The week. --------------------------------------------------------------------------------


def test_the_week_by_room_therapist_and_patient(running: Running) -> None:
    by_room = running.client.get("/week").text
    assert "GT-MON-EVE-1" in by_room and "Room R2" in by_room  # an empty room is shown
    by_patient = running.client.get("/week?view=patient&q=P4").text
    assert "Patient P4 (P4)" in by_patient and "Patient P1 (P1)" not in by_patient
    assert "GT-WED-EVE-1" in by_patient and "GT-MON-EVE-1" not in by_patient
    by_therapist = running.client.get("/week?view=therapist&therapist=T2").text
    assert "Nothing matches" in by_therapist  # T2 leads nothing


def test_a_session_shows_its_roster_and_leaders(running: Running) -> None:
    page = running.client.get(f"/session/{app_clinic.MON}").text
    for name in ("Patient P1", "Patient P2", "Patient P3", "Therapist T1", "Room R1"):
        assert name in page
    assert running.client.get("/session/W0-NOPE").status_code == 404


def test_unplaced_and_compliance_pages(running: Running) -> None:
    assert "Every patient in the plan has a place" in running.client.get("/unplaced").text
    compliance = running.client.get("/compliance").text
    assert compliance.count("<tr class=") == 5  # one row per patient-week


def test_pages_before_a_schedule_say_what_to_do(tmp_path: Path) -> None:
    config = Config(out_dir=tmp_path / "out")
    client = TestClient(create_app(config))
    client.get(f"/?token={config.secrets.token}")
    page = client.get("/week", headers={"accept": "text/html"})
    assert page.status_code == 409 and "Open a clinic and solve it first" in page.text


# Hand edits. -----------------------------------------------------------------------------


def test_move_a_patient_to_another_group(running: Running) -> None:
    status, body = running.edit(
        op="move_patient", patient="P1", **{"from": app_clinic.MON, "to": app_clinic.WED}
    )
    assert status == 200 and body["ok"] is True
    draft = running.draft()
    assert "P1" in draft.session_by_id[app_clinic.WED].patients  # type: ignore[attr-defined]
    assert check_schedule(running.clinic, draft) == []  # type: ignore[arg-type]


def test_an_edit_that_breaks_a_rule_is_refused_in_words(running: Running) -> None:
    before = (running.config.out_dir / ".app" / "draft.json").read_bytes()
    # Wednesday's group into Monday's block: T1 and R1 would be in two places at once.
    status, body = running.edit(op="move_block", session=app_clinic.WED, block="MON-EVE")
    assert status == 409 and body["ok"] is False
    refusals = body["refusals"]
    assert isinstance(refusals, list)
    assert any(
        r.startswith("T1 No double-booking: Therapist T1 is booked twice at once") for r in refusals
    )
    # Leaving Wednesday's group with one patient breaks its size.
    status, body = running.edit(
        op="move_patient", patient="P4", **{"from": app_clinic.WED, "to": app_clinic.MON}
    )
    assert status == 409 and any(str(r).startswith("G1 Group size") for r in body["refusals"])  # type: ignore[union-attr]
    assert (running.config.out_dir / ".app" / "draft.json").read_bytes() == before


def test_move_a_session_to_another_room(running: Running) -> None:
    status, _ = running.edit(op="move_room", session=app_clinic.MON, room="R2")
    assert status == 200
    assert running.draft().session_by_id[app_clinic.MON].room == "R2"  # type: ignore[attr-defined]
    status, body = running.edit(op="move_room", session=app_clinic.MON, room="NOWHERE")
    assert status == 400 and "no room" in str(body["refusals"])


def test_a_locked_place_refuses_a_move_and_survives_a_restart(running: Running) -> None:
    status, _ = running.edit(op="lock_place", session=app_clinic.MON, patient="P1")
    assert status == 200
    status, body = running.edit(
        op="move_patient", patient="P1", **{"from": app_clinic.MON, "to": app_clinic.WED}
    )
    assert status == 409
    assert any(str(r).startswith("L1 Locks: Lock APP-1 is not kept") for r in body["refusals"])  # type: ignore[union-attr]
    # A new server on the same folder has the lock: state lives on disk.
    again = create_app(Config(out_dir=running.config.out_dir))
    locks = again.state.bench.ws.locks()
    assert [(lk.id, lk.patient, lk.block) for lk in locks] == [("APP-1", "P1", "MON-EVE")]
    status, _ = running.edit(op="unlock", lock="APP-1")
    assert status == 200 and running.bench.ws.locks() == []


def test_lock_a_session_and_the_solve_sees_it(running: Running) -> None:
    status, _ = running.edit(op="lock_session", session=app_clinic.MON)
    assert status == 200
    loaded = running.bench.load()
    assert loaded is not None and loaded.clinic is not None
    (lock,) = loaded.clinic.locks
    assert (lock.block, lock.session_type, lock.therapist, lock.room) == (
        "MON-EVE",
        "GT",
        "T1",
        "R1",
    )
    assert "lock.svg" in running.client.get("/week").text
    status, body = running.edit(op="move_room", session=app_clinic.MON, room="R2")
    assert status == 409 and any(str(r).startswith("L1") for r in body["refusals"])  # type: ignore[union-attr]


def test_nonsense_edits_are_refused(running: Running) -> None:
    assert running.edit(op="explode")[0] == 400
    assert (
        running.edit(
            op="move_patient", patient="P9", **{"from": app_clinic.MON, "to": app_clinic.WED}
        )[0]
        == 400
    )
    r = running.client.post("/api/edit", headers=running.headers(), content=b"[1, 2]")
    assert r.status_code == 400


# Solve, what-if and publish. ------------------------------------------------------------


def _wait(running: Running, limit_s: float = 120) -> dict[str, object]:
    end = time.monotonic() + limit_s
    while time.monotonic() < end:
        state: dict[str, object] = running.client.get("/api/solve/state").json()
        if state["status"] not in ("starting", "running"):
            return state
        time.sleep(0.2)
    raise AssertionError("the solve did not end")


def test_solve_streams_progress_and_keeps_a_checked_schedule(running: Running) -> None:
    moved = running.edit(
        op="move_patient", patient="P1", **{"from": app_clinic.MON, "to": app_clinic.WED}
    )
    assert moved[0] == 200
    assert running.edit(op="lock_place", session=app_clinic.WED, patient="P1")[0] == 200
    r = running.client.post("/api/solve", headers=running.headers(), json={"time_limit": 2})
    assert r.status_code == 200
    second = running.client.post("/api/solve", headers=running.headers(), json={"time_limit": 2})
    assert second.status_code == 409  # one solve at a time
    with running.client.stream("GET", "/api/solve/events") as events:
        lines = [line for line in events.iter_lines() if line.startswith('data: {"status')]
    assert '"status": "done"' in lines[-1]
    state = _wait(running)
    assert state["status"] == "done" and state["placed"] == 5 and state["proven_max"] == 5
    loaded = running.bench.load()
    assert loaded is not None and loaded.clinic is not None and loaded.schedule is not None
    assert check_schedule(loaded.clinic, loaded.schedule) == []
    wed = [s for s in loaded.schedule.sessions if s.block == "WED-EVE"]
    assert any("P1" in s.patients for s in wed)  # the lock held


def test_cancel_stops_the_solve(running: Running) -> None:
    before = (running.config.out_dir / ".app" / "draft.json").read_bytes()
    running.client.post("/api/solve", headers=running.headers(), json={"time_limit": 60})
    assert running.post("/api/solve/cancel").json() == {"cancelled": True}  # type: ignore[attr-defined]
    state = _wait(running, 30)
    assert state["status"] == "cancelled"
    assert (running.config.out_dir / ".app" / "draft.json").read_bytes() == before


def test_bad_solve_requests(running: Running) -> None:
    r = running.client.post("/api/solve", headers=running.headers(), json={"time_limit": "soon"})
    assert r.status_code == 400
    r = running.client.post("/api/solve", headers=running.headers(), json={"time_limit": 0})
    assert r.status_code == 400


def test_whatif_form_and_bad_requests(running: Running) -> None:
    assert "Scenario 1" in running.client.get("/whatif").text
    for body in ({}, {"scenarios": []}, {"scenarios": [{"name": "A"}, {"name": "A"}]}):
        r = running.client.post("/api/whatif", headers=running.headers(), json=body)
        assert r.status_code == 400, body


def test_whatif_runs_scenarios_side_by_side(running: Running) -> None:
    """Through scheduler.whatif: the baseline and a scenario without a
    therapist, each solved and measured."""
    scenarios = [{"name": "Today"}, {"name": "T2 away", "therapist_away": "T2"}]
    r = running.client.post("/api/whatif", headers=running.headers(), json={"scenarios": scenarios})
    assert r.status_code == 200, r.text
    rows = r.json()["results"]
    assert [row["run"] for row in rows] == ["Today", "T2 away"]
    assert rows[0]["placed"] == 5
    bad = [{"name": "X", "therapist_away": "NOBODY"}]
    r = running.client.post("/api/whatif", headers=running.headers(), json={"scenarios": bad})
    assert r.status_code == 400


def test_publish_then_download(running: Running) -> None:
    from openpyxl import load_workbook

    page = running.client.get("/publish").text
    assert "first publication" in page and "finds no broken rule" in page
    assert running.client.get("/files/schedule.xlsx").status_code == 404
    r = running.post("/api/publish")
    assert r.status_code == 200  # type: ignore[attr-defined]
    book = running.client.get("/files/schedule.xlsx")
    assert book.status_code == 200
    assert "Rosters" in load_workbook(io.BytesIO(book.content)).sheetnames
    assert "<html" in running.client.get("/files/timetable.html").text
    out = running.config.out_dir
    assert stat.S_IMODE((out / "schedule.xlsx").resolve().stat().st_mode) == 0o600
    page = running.client.get("/publish").text
    assert "calendars/" in page and "?token=" in page  # subscription links
    feed = next(p for p in (out / "calendars").iterdir() if p.suffix == ".ics")
    # A calendar program has no cookie: the feed answers to the token in its address.
    bare = TestClient(running.client.app)
    assert bare.get(f"/files/calendars/{feed.name}").status_code == 401
    ok = bare.get(f"/files/calendars/{feed.name}?token={running.config.secrets.token}")
    assert ok.status_code == 200 and ok.text.startswith("BEGIN:VCALENDAR")
    for bad in ("/files/../clinic.xlsx", "/files/.app/draft.json", "/files/uid_map.json"):
        assert running.client.get(bad).status_code == 404
    # After a move, the change report says who is affected.
    running.edit(op="move_patient", patient="P1", **{"from": app_clinic.MON, "to": app_clinic.WED})
    assert "P1:" in running.client.get("/publish").text


# The command. -------------------------------------------------------------------------


def test_serve_refuses_a_missing_input(capsys: pytest.CaptureFixture[str]) -> None:
    from scheduler.cli import main

    assert main(["serve", "no_such_clinic.xlsx"]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_serve_prints_its_address_with_the_token_and_keeps_edits(tmp_path: Path) -> None:
    """The real command: it prints the URL with its token, answers 401 without it, and a
    restart on the same input keeps the draft."""
    import os
    import re
    import subprocess
    import sys

    import httpx

    r = _start(tmp_path)
    r.edit(op="move_room", session=app_clinic.MON, room="R2")
    r.client.close()

    def run(port: int) -> tuple[subprocess.Popen[str], str]:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "scheduler.cli",
                "serve",
                str(r.input_path),
                "--port",
                str(port),
                "--out",
                str(r.config.out_dir),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        assert proc.stdout is not None
        first = proc.stdout.readline() + proc.stdout.readline()
        found = re.search(r"http://127\.0\.0\.1:\d+/\?token=\S+", first)
        assert found, first
        return proc, found.group(0)

    from test_app_browser import _free_port

    port = _free_port()
    proc, url = run(port)
    try:
        base = url.split("/?")[0]
        deadline = time.monotonic() + 30
        while True:
            try:
                bare = httpx.get(f"{base}/api/solve/state")
                break
            except httpx.ConnectError:
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.2)
        assert bare.status_code == 401
        with httpx.Client(follow_redirects=True) as client:
            page = client.get(url.replace("/?", "/week?"))
            assert page.status_code == 200
            assert "Room R2" in page.text and "GT-MON-EVE-1" in page.text
        draft = Workspace(r.config.out_dir).draft()
        assert draft is not None and draft.schedule.session_by_id[app_clinic.MON].room == "R2"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


# What the app shows from the rest of the package. ----------------------------------------


def test_the_publish_page_shows_the_change_report(running: Running) -> None:
    """After a publish, the Publish page lists scheduler.changes' calls to make."""
    running.post("/api/publish")
    running.edit(op="move_patient", patient="P1", **{"from": app_clinic.MON, "to": app_clinic.WED})
    page = running.client.get("/publish").text
    assert "patient P1: week 1, " in page


def test_the_unplaced_page_shows_ways_in(running: Running) -> None:
    from dataclasses import replace

    from scheduler.schedule import Unplaced

    loaded = running.bench.load()
    assert loaded is not None and loaded.schedule is not None
    schedule = loaded.schedule
    without = replace(
        schedule,
        sessions=tuple(
            replace(s, patients=tuple(p for p in s.patients if p != "P3"))
            for s in schedule.sessions
        ),
        unplaced=(Unplaced("P3", "no seat left"),),
    )
    running.bench.ws.save_draft(without, running.input_path, loaded.opened.input_hash)
    page = running.client.get("/unplaced").text
    assert "no seat left" in page
    # scheduler.fit finds P3's old seats again, each way in confirmed by the checker.
    assert "Ways to admit patient P3, best first" in page


def test_move_a_session_to_another_block_keeps_its_group(running: Running) -> None:
    status, body = running.edit(op="move_block", session=app_clinic.WED, block="FRI-EVE")
    assert status == 200, body
    draft = running.draft()
    moved = draft.session_by_id["W0-FRI-EVE-GT-1"]  # type: ignore[attr-defined]
    assert moved.patients == ("P4", "P5") and moved.lineage == "GT-WED-EVE-1"
    assert app_clinic.WED not in draft.session_by_id  # type: ignore[attr-defined]
    assert check_schedule(running.clinic, draft) == []  # type: ignore[arg-type]


def test_every_page_answers(running: Running) -> None:
    for url in (
        "/",
        "/open",
        "/solve",
        "/week",
        "/week?view=therapist",
        f"/session/{app_clinic.MON}",
        "/unplaced",
        "/compliance",
        "/locks",
        "/whatif",
        "/publish",
        "/template.xlsx",
        "/static-types.css",
        "/api/solve/state",
        "/static/app.js",
        "/login",
    ):
        assert running.client.get(url).status_code == 200, url
    assert running.post("/api/editor/release").json() == {"editing": False}  # type: ignore[attr-defined]


def test_the_apps_files_are_owner_only(running: Running) -> None:
    running.edit(op="lock_place", session=app_clinic.MON, patient="P1")
    folder = running.config.out_dir / ".app"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    for name in ("workspace.json", "draft.json", "locks.json", "editor.json"):
        assert stat.S_IMODE((folder / name).stat().st_mode) == 0o600, name
