"""The workbench in a real browser: headless Chromium (the distribution's ``chromium``
package, driven by Playwright through ``executable_path``; no browser is downloaded).

One coordinator's week, end to end: open the sample → solve → see the timetable → lock a
session → move a patient → a refused move shows the rule → re-solve → publish → download
the workbook, timed from open to publish. A second tab is read-only.

Without a browser the test skips here and FAILS in CI (``CI`` set), so a CI machine that
lost its browser cannot pass by skipping. ``IOP_SCREENSHOTS=1`` also saves the main pages
into docs/screenshots/ (the README shows them).
"""

from __future__ import annotations

import io
import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from scheduler.app.bench import Config
from scheduler.app.web import create_app
from scheduler.check import check_schedule

SCREENSHOTS = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
#: Open → solve → publish on the sample clinic, on 2 cores (issue 13's target).
END_TO_END_TARGET_S = 60.0
SOLVE_LIMIT_S = 2
_RULE_PREFIXES = {f"{family}{n}" for family in "PTGWSL" for n in range(1, 8)}


def _browser_path() -> str | None:
    for name in (os.environ.get("IOP_CHROMIUM"), "chromium", "chromium-browser"):
        if name and (found := shutil.which(name)):
            return found
    return None


def _no_browser(why: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"CI needs the browser tests: {why}")
    pytest.skip(why)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _no_browser("playwright is not installed")
    path = _browser_path()
    if path is None:
        _no_browser("no chromium on this machine (apt-get install chromium)")
    with sync_playwright() as p:
        try:
            launched = p.chromium.launch(
                executable_path=path, args=["--no-sandbox", "--disable-dev-shm-usage"]
            )
        except Exception as err:
            _no_browser(f"chromium did not start: {err}")
        yield launched
        launched.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, Config]]:
    config = Config(out_dir=tmp_path / "out", time_limit_s=SOLVE_LIMIT_S, workers=2)
    port = _free_port()
    uv = uvicorn.Server(
        uvicorn.Config(
            create_app(config), host="127.0.0.1", port=port, log_level="warning", access_log=False
        )
    )
    thread = threading.Thread(target=uv.run, daemon=True)
    thread.start()
    end = time.monotonic() + 20
    while not uv.started:
        assert time.monotonic() < end, "the server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", config
    uv.should_exit = True
    thread.join(timeout=10)


def _shot(page: Any, name: str) -> None:
    if os.environ.get("IOP_SCREENSHOTS"):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=False)


def _editing(page: Any) -> None:
    page.wait_for_selector("#editor-state[data-editing='yes']", timeout=10_000)


def _solve(page: Any, base: str, shot: str = "") -> None:
    page.goto(f"{base}/solve")
    _editing(page)
    page.fill("#time-limit", str(SOLVE_LIMIT_S))
    page.click("#solve-start")
    # The progress arrives in words without a reload; the page is the same document.
    page.wait_for_selector("#progress[data-status='running']", timeout=60_000)
    if shot:
        page.wait_for_selector("#p-phase:not(:text('Building the model'))", timeout=60_000)
        _shot(page, shot)
    page.wait_for_selector("#progress[data-status='done']", timeout=120_000)


def test_the_coordinators_week_in_a_browser(
    browser: Any, server: tuple[str, Config], tmp_path: Path
) -> None:
    from openpyxl import load_workbook

    base, config = server
    context = browser.new_context(viewport={"width": 1400, "height": 900}, accept_downloads=True)
    page = context.new_page()
    # Every asset is our own: a page that broke its content-security policy would say so.
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text) if m.type == "error" else None)
    external: list[str] = []
    page.on("request", lambda r: None if r.url.startswith(base) else external.append(r.url))
    refused_login = page.goto(f"{base}/week")
    assert refused_login is not None and "/login" in page.url  # no token, no patient data
    page.goto(f"{base}/?token={config.secrets.token}")
    assert "token" not in page.url

    # Open the sample and check it.
    started = time.monotonic()
    page.goto(f"{base}/open")
    _editing(page)
    page.click("#open-sample")
    page.wait_for_selector("text=No problems found")
    _shot(page, "1-open-and-check")

    # Solve, with live progress.
    _solve(page, base, shot="2-solve-progress")
    solved_s = time.monotonic() - started
    assert "placed" in page.inner_text("#p-placed")
    assert page.inner_text("#p-max") != "not yet proven"
    _shot(page, "2-solve-done")

    # The week.
    page.goto(f"{base}/week")
    assert page.locator("a.sess").count() > 10
    _shot(page, "3-week-by-room")
    # Printable: the page's controls are not printed, the timetable is.
    page.emulate_media(media="print")
    assert not page.locator("header.top").is_visible()
    assert not page.locator("#filters").is_visible()
    assert page.locator("#week-grid").is_visible()
    page.emulate_media(media="screen")
    page.goto(f"{base}/week?view=therapist")
    page.locator("a.sess").first.focus()
    page.keyboard.press("ArrowRight")  # keyboard navigation between sessions
    assert page.evaluate("document.activeElement.classList.contains('sess')")

    # Lock a group session.
    page.goto(f"{base}/week")
    # Group sessions, process groups first: individual and family sessions hold one patient.
    links = page.locator("a.sess")
    codes = {
        links.nth(i).get_attribute("href"): links.nth(i).locator("b").inner_text()
        for i in range(links.count())
    }
    hrefs = sorted(
        (h for h, code in codes.items() if not code.startswith(("IND-", "FAM-"))),
        key=lambda h: (not codes[h].startswith("GT-"), h),
    )
    href = hrefs[0]
    page.goto(f"{base}{href}")
    _editing(page)
    page.click("#lock-session")
    page.wait_for_selector("text=Locked: the next solve keeps this session")
    assert page.locator(".badge", has_text="locked").count() == 1

    # Move a patient to another group: try the choices, group by group, until the checker
    # accepts one; each refusal names a rule.
    moved = False
    for session_href in dict.fromkeys(hrefs):
        page.goto(f"{base}{session_href}")
        _editing(page)
        forms = page.locator("form.move-patient")
        for i in range(forms.count()):
            values = [o.get_attribute("value") for o in forms.nth(i).locator("option").all()]
            for value in values:
                form = page.locator("form.move-patient").nth(i)
                form.locator("select").select_option(value)
                with page.expect_response("**/api/edit") as answer:
                    form.locator("button").click()
                if answer.value.ok:
                    page.wait_for_selector("#flash.good >> text=Moved.")
                    moved = True
                    break
                page.wait_for_selector("#flash.bad")
                lines = page.inner_text("#flash").splitlines()
                assert any(line[:2] in _RULE_PREFIXES for line in lines), lines
            if moved:
                break
        if moved:
            break
    assert moved, "no move of a patient passed the checker"

    # A refused move names the rule: lock a place, then try to move that patient.
    page.goto(f"{base}{href}")
    _editing(page)
    page.locator("button.lock-place").first.click()
    page.wait_for_selector("text=Locked: the next solve keeps this patient")
    locked_row = page.locator("tr:has(.lock-mark)").first
    locked_row.locator("form.move-patient button").click()
    flash = page.locator("#flash.bad")
    flash.wait_for(state="visible")
    assert "L1 Locks: Lock APP-" in flash.inner_text()
    _shot(page, "4-refused-edit")

    # A second tab is read-only while this one edits.
    other = context.new_page()
    other.goto(f"{base}/week")
    other.wait_for_selector("#editor-state[data-editing='no']")
    assert other.locator("#readonly").is_visible()
    other.close()

    # Re-solve keeping the locks.
    _solve(page, base)

    # Publish, then download the workbook.
    page.goto(f"{base}/publish")
    _editing(page)
    page.click("#publish")
    page.wait_for_selector("#flash.good >> text=Published")
    elapsed = time.monotonic() - started
    _shot(page, "5-publish")
    with page.expect_download() as download:
        page.click("#dl-schedule-xlsx")
    saved = tmp_path / "downloaded.xlsx"
    download.value.save_as(saved)
    book = load_workbook(io.BytesIO(saved.read_bytes()))
    assert "Rosters" in book.sheetnames

    # What was published passes the checker, with the app's locks.
    from scheduler.schedule_json import read_schedule_json

    schedule, _ = read_schedule_json(config.out_dir / "schedule.json")
    from scheduler.app import service
    from scheduler.app.workspace import Workspace
    from scheduler.cli import SAMPLE_INPUT

    clinic = service.open_input(SAMPLE_INPUT).clinic
    assert clinic is not None
    with_locks = service.with_locks(clinic, Workspace(config.out_dir).locks())
    assert check_schedule(with_locks, schedule) == []
    context.close()
    assert not [m for m in console if "Content Security Policy" in m], console
    assert external == []
    print(
        f"\nopen → solve: {solved_s:.1f} s; open → solve → lock, move, refuse → re-solve → "
        f"publish: {elapsed:.1f} s"
    )
    assert elapsed < END_TO_END_TARGET_S * 2  # two solves here; the target is for one


def test_a_dropped_workbook_lists_its_problems_in_the_browser(
    browser: Any, server: tuple[str, Config], tmp_path: Path
) -> None:
    """Upload through the page (the file input the drop zone fills): an error is listed by
    sheet, row and column with its fix, apart from warnings; a wrong file type is refused."""
    from openpyxl import load_workbook

    from scheduler.cli import SAMPLE_INPUT

    book = load_workbook(SAMPLE_INPUT)
    sheet = book["Patients"]
    header = [c.value for c in sheet[1]]
    sheet.cell(row=3, column=header.index("discharge") + 1, value="soon")
    broken = tmp_path / "broken.xlsx"
    book.save(broken)
    (tmp_path / "notes.txt").write_text("not a clinic")

    base, config = server
    page = browser.new_page()
    page.goto(f"{base}/open?token={config.secrets.token}")
    _editing(page)
    page.set_input_files("#file", str(tmp_path / "notes.txt"))
    page.click("#upload-form button[type=submit]")
    page.wait_for_selector("#flash.bad >> text=Only an Excel workbook")
    page.set_input_files("#file", str(broken))
    page.click("#upload-form button[type=submit]")
    page.wait_for_selector("#errors")
    row = page.locator("#errors tbody tr").first
    cells = [c.inner_text() for c in row.locator("td").all()]
    assert cells[:3] == ["Patients", "3", "discharge"] and cells[4], cells
    page.close()
