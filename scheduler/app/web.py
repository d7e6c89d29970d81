"""The coordinator's workbench: pages and JSON actions (FastAPI, Jinja2 templates).

Pages are rendered on the server; ``static/app.js`` sends the actions (with the CSRF token
and the tab's identity) and follows the solve's progress stream. Every action that changes
state is refused unless this tab holds the edit (:mod:`scheduler.app.editing`). State lives
in the output folder (:mod:`scheduler.app.workspace`); the only things kept in memory are
caches of what is on disk and the solve that is running.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path, PurePosixPath
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import (
    FileResponse,
    HTMLResponse,
    JSONResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool

from scheduler.app import edits, service
from scheduler.app.bench import Config, Loaded, Workbench
from scheduler.app.jobs import SolveRequest
from scheduler.app.security import TokenMiddleware, set_session_cookie
from scheduler.app.uploads import UploadRefused, check_xlsx, unpack_csv_zip
from scheduler.app.week import VIEWS, Filters, build_page, css_id, type_styles
from scheduler.app.workspace import DRAFT
from scheduler.domain import Clinic, Lock
from scheduler.model import SolveOptions
from scheduler.safe_write import published_path, write_bytes
from scheduler.schedule import Schedule

HERE = Path(__file__).resolve().parent
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: Files a browser may download from the output folder: the published outputs only.
DOWNLOADS = ("schedule.xlsx", "timetable.html", "schedule.json")


def _tab(request: Request) -> str | None:
    return request.headers.get("x-tab-id")


def create_app(config: Config) -> FastAPI:
    bench = Workbench(config)
    app = FastAPI(title="IOP Scheduler", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.bench = bench
    app.add_middleware(TokenMiddleware, keys=config.secrets)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    templates = Jinja2Templates(directory=HERE / "templates")

    def page(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
        loaded = bench.load()
        clinic = loaded.opened.clinic if loaded else None
        base = {
            "csrf": config.secrets.csrf,
            "clinic_name": clinic.settings.name if clinic else "",
            "has_schedule": bool(loaded and loaded.schedule),
            "active": name.removesuffix(".html"),
            "loaded": loaded,
            "css_id": css_id,
        }
        return templates.TemplateResponse(
            request, name, {**base, **context}, status_code=status_code
        )

    def need_editor(request: Request) -> None:
        if not bench.editing.holds(_tab(request)):
            raise HTTPException(409, "Read-only while another edit is open.")

    def need_schedule() -> tuple[Loaded, Clinic, Schedule]:
        loaded = bench.load()
        if loaded is None or loaded.clinic is None or loaded.schedule is None:
            raise HTTPException(409, "Open a clinic and solve it first.")
        return loaded, loaded.clinic, loaded.schedule

    # Sign-in. -------------------------------------------------------------------------

    @app.get("/login", response_class=HTMLResponse)
    def login_form(request: Request) -> HTMLResponse:
        return templates.TemplateResponse(request, "login.html", {"error": ""})

    @app.post("/login", response_model=None)
    async def login(request: Request) -> Response:
        form = await request.form()
        token = form.get("token")
        if not config.secrets.token_ok(token if isinstance(token, str) else None):
            return templates.TemplateResponse(
                request, "login.html", {"error": "That token is not right."}, status_code=403
            )
        response = RedirectResponse("/", status_code=303)
        set_session_cookie(response, config.secrets)
        return response

    # The tab that edits. ----------------------------------------------------------------

    @app.post("/api/editor/claim")
    def claim(request: Request) -> JSONResponse:
        tab = _tab(request) or ""
        result = bench.editing.claim(tab)
        return JSONResponse({"editing": result.granted, "message": result.message})

    @app.post("/api/editor/release")
    def release(request: Request) -> JSONResponse:
        bench.editing.release(_tab(request) or "")
        return JSONResponse({"editing": False})

    # 1. Open and check. ---------------------------------------------------------------

    @app.get("/", response_class=HTMLResponse)
    def home(request: Request) -> HTMLResponse:
        loaded = bench.load()
        figures: dict[str, object] = {}
        if loaded is not None and loaded.schedule is not None and loaded.clinic is not None:
            s = loaded.schedule
            figures = {
                "placed": len(s.placed_patients),
                "unplaced": len(s.unplaced),
                "sessions": len(s.sessions),
                "bound": s.stats.placed_bound,
                "locks": len(loaded.locks),
            }
        published = service.published(config.out_dir)
        return page(
            request,
            "home.html",
            last=bench.ws.last_solve(),
            figures=figures,
            published=published is not None,
        )

    @app.get("/open", response_class=HTMLResponse)
    def open_page(request: Request) -> HTMLResponse:
        return page(request, "open.html", label=bench.ws.input_label())

    @app.post("/api/open/sample")
    def open_sample(request: Request) -> JSONResponse:
        from scheduler.cli import SAMPLE_INPUT

        need_editor(request)
        if bench.job.running():
            raise HTTPException(409, "A solve is running; cancel it first.")
        bench.open(SAMPLE_INPUT, "the sample clinic")
        return _opened_answer(bench)

    @app.post("/api/open/upload")
    async def open_upload(request: Request) -> JSONResponse:
        need_editor(request)
        if bench.job.running():
            raise HTTPException(409, "A solve is running; cancel it first.")
        length = request.headers.get("content-length")
        if length is not None and length.isdigit() and int(length) > config.max_upload + 65536:
            raise HTTPException(413, f"The file is larger than {config.max_upload // 2**20} MB.")
        form = await request.form()
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            raise HTTPException(400, "Choose a clinic workbook (.xlsx) or a .zip of CSV files.")
        data = await upload.read(config.max_upload + 1)
        await form.close()
        if len(data) > config.max_upload:
            raise HTTPException(413, f"The file is larger than {config.max_upload // 2**20} MB.")
        name = (upload.filename or "").lower()
        try:
            if name.endswith(".xlsx"):
                target = bench.ws.upload_xlsx()
                check_xlsx(data)
                write_bytes(target, data)
            elif name.endswith(".zip"):
                target = bench.ws.upload_csv()
                unpack_csv_zip(data, target, config.max_upload * 10)
            else:
                raise UploadRefused(
                    415, "Only an Excel workbook (.xlsx) or a .zip of CSV files can be opened."
                )
        except UploadRefused as refused:
            raise HTTPException(refused.status, refused.message) from None
        bench.open(target, Path(upload.filename or "upload").name)
        # Checking a big clinic takes a while: off the event loop, so progress streams and
        # other pages go on meanwhile.
        return await run_in_threadpool(_opened_answer, bench)

    @app.get("/template.xlsx")
    def template() -> Response:
        return Response(
            service.template_bytes(),
            media_type=XLSX_TYPE,
            headers={"Content-Disposition": 'attachment; filename="clinic_template.xlsx"'},
        )

    # 2. Solve. ------------------------------------------------------------------------------

    @app.get("/solve", response_class=HTMLResponse)
    def solve_page(request: Request) -> HTMLResponse:
        return page(
            request,
            "solve.html",
            state=bench.job.state(),
            config=config,
            last=bench.ws.last_solve(),
        )

    @app.post("/api/solve")
    async def start_solve(request: Request) -> JSONResponse:
        need_editor(request)
        body = await _json(request)
        loaded = bench.load()
        if loaded is None or loaded.clinic is None:
            raise HTTPException(409, "Open a clinic that reads cleanly first.")
        limit = _number(body.get("time_limit", config.time_limit_s), 1, 3600, "time limit")
        previous = None
        if loaded.schedule is not None:
            previous = (bench.ws.dir / DRAFT).read_bytes()
        started = bench.job.start(
            SolveRequest(
                input_path=str(loaded.input_path),
                locks=tuple(loaded.locks),
                time_limit_s=limit,
                seed=config.seed,
                workers=config.workers,
                previous_json=previous,
            )
        )
        if not started:
            raise HTTPException(409, "A solve is already running.")
        return JSONResponse({"started": True})

    @app.post("/api/solve/cancel")
    def cancel_solve(request: Request) -> JSONResponse:
        need_editor(request)
        return JSONResponse({"cancelled": bench.job.cancel()})

    @app.get("/api/solve/state")
    def solve_state() -> JSONResponse:
        return JSONResponse(bench.job.state().as_dict())

    @app.get("/api/solve/events")
    async def solve_events(request: Request) -> StreamingResponse:
        async def stream() -> AsyncIterator[str]:
            last = ""
            while not await request.is_disconnected():
                state = bench.job.state().as_dict()
                text = json.dumps(state)
                if text != last:
                    last = text
                    yield f"data: {text}\n\n"
                if state["status"] in ("done", "failed", "cancelled", "idle"):
                    yield "event: end\ndata: {}\n\n"
                    return
                await asyncio.sleep(0.3)

        return StreamingResponse(
            stream(), media_type="text/event-stream", headers={"Cache-Control": "no-store"}
        )

    # 3. The week. ------------------------------------------------------------------------------

    @app.get("/week", response_class=HTMLResponse)
    def week(
        request: Request,
        view: str = "room",
        site: str = "",
        week: int = 0,
        type: str = "",
        track: str = "",
        therapist: str = "",
        q: str = "",
        page_no: int = 1,
    ) -> HTMLResponse:
        loaded, clinic, schedule = need_schedule()
        shown = bench.view(loaded)
        assert shown is not None
        filters = Filters(
            view=view if view in VIEWS else "room",
            site=site,
            week=min(max(0, week), schedule.weeks - 1),
            session_type=type,
            track=track,
            therapist=therapist,
            q=q.strip()[:60],
            page=page_no,
        )
        built = build_page(shown, filters)
        return page(
            request,
            "week.html",
            grid=built,
            clinic=clinic,
            schedule=schedule,
            locked=_locked_sessions(loaded.locks, schedule),
        )

    @app.get("/static-types.css")
    def types_css() -> Response:
        loaded = bench.load()
        ids = (
            [st.id for st in loaded.opened.clinic.session_types]
            if loaded and loaded.opened.clinic
            else []
        )
        return Response(type_styles(ids), media_type="text/css")

    @app.get("/session/{session_id}", response_class=HTMLResponse)
    def session_page(request: Request, session_id: str) -> HTMLResponse:
        loaded, clinic, _schedule = need_schedule()
        shown = bench.view(loaded)
        assert shown is not None
        found = [v for v in shown.sessions if v.session.id == session_id]
        if not found:
            raise HTTPException(404, "No such session in the working schedule.")
        v = found[0]
        s = v.session
        same_type = [
            o
            for o in shown.sessions
            if o.session.week == s.week and o.kind.id == s.session_type and o.session.id != s.id
        ]
        rooms = [r for r in clinic.rooms if r.serves(v.block.site)]
        blocks = [
            b
            for b in clinic.blocks
            if b.site == v.block.site and b.kind is v.block.kind and b.id != s.block
        ]
        mine = edits.locks_of_session(loaded.locks, s)
        return page(
            request,
            "session.html",
            v=v,
            same_type=same_type,
            rooms=rooms,
            blocks=blocks,
            session_lock=next((lk for lk in mine if lk.patient is None), None),
            place_locks={lk.patient: lk for lk in mine if lk.patient},
            topic=s.topic,
        )

    @app.get("/unplaced", response_class=HTMLResponse)
    def unplaced(request: Request) -> HTMLResponse:
        _loaded, clinic, schedule = need_schedule()
        rows = [
            (
                clinic.patient_by_id.get(u.patient),
                u,
                service.fit_options(clinic, schedule, u.patient)
                if i < service.FIT_PER_PAGE
                else [],
            )
            for i, u in enumerate(schedule.unplaced)
        ]
        return page(
            request,
            "unplaced.html",
            rows=rows,
            schedule=schedule,
            fit_shown=service.FIT_PER_PAGE,
        )

    @app.get("/compliance", response_class=HTMLResponse)
    def compliance(request: Request, page_no: int = 1) -> HTMLResponse:
        _loaded, clinic, schedule = need_schedule()
        rows = service.compliance_rows(clinic, schedule)
        per = 50
        pages = max(1, -(-len(rows) // per))
        page_no = min(max(1, page_no), pages)
        return page(
            request,
            "compliance.html",
            rows=rows[(page_no - 1) * per : page_no * per],
            page_no=page_no,
            pages=pages,
            total=len(rows),
        )

    # 4. Adjust by hand. -----------------------------------------------------------------

    @app.get("/locks", response_class=HTMLResponse)
    def locks_page(request: Request) -> HTMLResponse:
        loaded = bench.load()
        return page(request, "locks.html", locks=loaded.locks if loaded else [])

    @app.post("/api/edit")
    async def edit(request: Request) -> JSONResponse:
        need_editor(request)
        if bench.job.running():
            raise HTTPException(409, "A solve is running; edits wait until it ends.")
        body = await _json(request)
        # The checker takes seconds on a big clinic: off the event loop.
        return await run_in_threadpool(apply_edit, body)

    def apply_edit(body: dict[str, Any]) -> JSONResponse:
        # One edit at a time: each reads the draft and writes the next one.
        with bench.mutex:
            return edit_draft(body)

    def edit_draft(body: dict[str, Any]) -> JSONResponse:
        loaded, clinic, schedule = need_schedule()
        base = loaded.opened.clinic
        assert base is not None
        op = body.get("op")
        locks = list(loaded.locks)
        new_locks = locks
        after = schedule
        try:
            if op == "move_patient":
                after = edits.move_patient(
                    schedule, _text(body, "patient"), _text(body, "from"), _text(body, "to")
                )
            elif op == "move_room":
                after = edits.move_session_room(
                    schedule, clinic, _text(body, "session"), _text(body, "room")
                )
            elif op == "move_block":
                after = edits.move_session_block(
                    schedule, clinic, _text(body, "session"), _text(body, "block")
                )
            elif op in ("lock_session", "lock_place"):
                session = schedule.session_by_id.get(_text(body, "session"))
                if session is None:
                    raise edits.EditError("there is no such session")
                taken = {lk.id for lk in clinic.locks}
                lock_id = bench.ws.next_lock_id(taken)
                lock = (
                    edits.session_lock(lock_id, session)
                    if op == "lock_session"
                    else edits.place_lock(lock_id, session, _text(body, "patient"))
                )
                new_locks = [*locks, lock]
            elif op == "unlock":
                lock_id = _text(body, "lock")
                if lock_id not in {lk.id for lk in locks}:
                    raise edits.EditError(f"there is no lock {lock_id} made in the app")
                new_locks = [lk for lk in locks if lk.id != lock_id]
            else:
                raise edits.EditError("unknown edit")
        except edits.EditError as err:
            return JSONResponse({"ok": False, "refusals": [str(err)]}, status_code=400)
        clinic_after = service.with_locks(base, new_locks)
        verdict, now_broken = edits.judge(bench.broken(loaded), clinic_after, after)
        if not verdict.ok:
            return JSONResponse({"ok": False, "refusals": list(verdict.refusals)}, status_code=409)
        if new_locks is not locks:
            bench.ws.save_locks(new_locks)
        if after is not schedule:
            bench.ws.save_draft(after, loaded.input_path, loaded.opened.input_hash)
        bench.remember_broken(now_broken)
        return JSONResponse({"ok": True, "message": _done_words(op)})

    # 5. What-if. ------------------------------------------------------------------------

    @app.get("/whatif", response_class=HTMLResponse)
    def whatif(request: Request) -> HTMLResponse:
        return page(request, "whatif.html", results=None)

    @app.post("/api/whatif")
    async def run_whatif(request: Request) -> JSONResponse:
        need_editor(request)
        body = await _json(request)
        loaded = bench.load()
        if loaded is None or loaded.clinic is None:
            raise HTTPException(409, "Open a clinic that reads cleanly first.")
        raw = body.get("scenarios")
        if not isinstance(raw, list) or not raw or len(raw) > 4:
            raise HTTPException(400, "Give one to four scenarios.")
        scenarios = [
            service.Scenario(
                name=str(item.get("name") or f"Scenario {i + 1}")[:60],
                extra_admissions=int(
                    _number(item.get("extra_admissions", 0), 0, 500, "admissions")
                ),
                therapist_away=str(item.get("therapist_away", ""))[:40],
                room_closed=str(item.get("room_closed", ""))[:40],
            )
            for i, item in enumerate(raw)
            if isinstance(item, dict)
        ]
        if len({s.name for s in scenarios}) != len(scenarios):
            raise HTTPException(400, "Give each scenario its own name.")
        options = SolveOptions(
            time_limit_s=config.time_limit_s, seed=config.seed, workers=config.workers
        )
        base = loaded.opened.clinic
        assert base is not None
        try:
            # Solves: seconds to minutes, so off the event loop.
            results = await run_in_threadpool(service.run_whatif, base, scenarios, options)
        except ValueError as err:
            return JSONResponse({"ok": False, "message": str(err)}, status_code=400)
        return JSONResponse({"ok": True, "results": results})

    # 6. Publish. --------------------------------------------------------------------------

    @app.get("/publish", response_class=HTMLResponse)
    def publish_page(request: Request) -> HTMLResponse:
        _loaded, clinic, schedule = need_schedule()
        before = service.published(config.out_dir)
        return page(
            request,
            "publish.html",
            changes=service.change_report(clinic, before, schedule),
            violations=[edits.in_words(v) for v in service.check(clinic, schedule)],
            files=_published_files(config.out_dir),
            feeds=_published_feeds(config.out_dir, clinic),
            token=config.secrets.token,
            host=request.headers.get("host", ""),
        )

    @app.post("/api/publish")
    def publish(request: Request) -> JSONResponse:
        need_editor(request)
        loaded, clinic, schedule = need_schedule()
        violations = service.check(clinic, schedule)
        if violations:
            return JSONResponse(
                {"ok": False, "refusals": [edits.in_words(v) for v in violations[:20]]},
                status_code=409,
            )
        from scheduler.exports import ExportError

        try:
            with bench.mutex:
                written = service.publish(
                    clinic, schedule, config.out_dir, loaded.input_path, loaded.opened.input_hash
                )
        except (ExportError, OSError) as err:
            return JSONResponse({"ok": False, "refusals": [f"Nothing was published: {err}"]}, 409)
        return JSONResponse({"ok": True, "message": f"Published {len(written)} files."})

    @app.get("/files/{name:path}")
    def download(name: str) -> Response:
        rel = PurePosixPath(name)
        feed = len(rel.parts) == 2 and rel.parts[0] == "calendars" and rel.suffix == ".ics"
        if ".." in rel.parts or not (name in DOWNLOADS or feed):
            raise HTTPException(404, "Not a published file.")
        path = published_path(config.out_dir, name)
        if not path.is_file():
            raise HTTPException(404, "Not published yet.")
        media = {
            ".xlsx": XLSX_TYPE,
            ".html": "text/html; charset=utf-8",
            ".ics": "text/calendar; charset=utf-8",
            ".json": "application/json",
        }[rel.suffix]
        # Downloads, never shown inline: the timetable's own script policy is not ours.
        return FileResponse(path, media_type=media, filename=rel.name)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        if request.url.path.startswith("/api/") or "text/html" not in request.headers.get(
            "accept", ""
        ):
            return JSONResponse(
                {"ok": False, "error": exc.detail, "refusals": [exc.detail]},
                status_code=exc.status_code,
            )
        return page(request, "message.html", message=exc.detail, status_code=exc.status_code)

    return app


def _opened_answer(bench: Workbench) -> JSONResponse:
    loaded = bench.load()
    assert loaded is not None
    return JSONResponse(
        {
            "ok": loaded.opened.clinic is not None,
            "errors": len(loaded.opened.errors),
            "warnings": len(loaded.opened.warnings),
        }
    )


async def _json(request: Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        raise HTTPException(400, "The request is not JSON.") from None
    if not isinstance(body, dict):
        raise HTTPException(400, "The request is not a JSON object.")
    return body


def _number(value: object, low: float, high: float, what: str) -> float:
    try:
        number = float(str(value))
    except ValueError:
        raise HTTPException(400, f"The {what} must be a number.") from None
    if not low <= number <= high:
        raise HTTPException(400, f"The {what} must be between {low:g} and {high:g}.")
    return number


def _text(body: dict[str, Any], key: str) -> str:
    value = body.get(key)
    if not isinstance(value, str) or not value:
        raise edits.EditError(f"the edit needs {key}")
    return value


def _done_words(op: object) -> str:
    return {
        "move_patient": "Moved. The checker found no broken rule.",
        "move_room": "Room changed. The checker found no broken rule.",
        "move_block": "Session moved. The checker found no broken rule.",
        "lock_session": "Locked: the next solve keeps this session where it is.",
        "lock_place": "Locked: the next solve keeps this patient in this block.",
        "unlock": "Unlocked.",
    }.get(str(op), "Done.")


def _locked_sessions(locks: list[Lock], schedule: Schedule) -> set[str]:
    return {s.id for s in schedule.sessions if edits.locks_of_session(locks, s)}


def _published_files(out_dir: Path) -> list[tuple[str, str]]:
    """(label, path under /files/) of the published workbook and timetable."""
    return [
        (n, n) for n in ("schedule.xlsx", "timetable.html") if published_path(out_dir, n).is_file()
    ]


#: Feed groups by the file name's first word, as scheduler.exports.ical names them.
FEED_GROUPS = (
    ("staff", "Staff feed"),
    ("therapist", "Therapists"),
    ("room", "Rooms"),
    ("patient", "Patients (only with their consent)"),
)


def _published_feeds(out_dir: Path, clinic: Clinic) -> list[tuple[str, list[tuple[str, str]]]]:
    """The calendar feeds, grouped, each as (label, path under /files/): therapists and
    rooms by name; a patient's feed is named by a code, and stays so here."""
    folder = published_path(out_dir, "calendars")
    if not folder.is_dir():
        return []
    names = {f"therapist-{t.id}": t.name for t in clinic.therapists}
    names |= {f"room-{r.id}": r.name for r in clinic.rooms}
    groups: dict[str, list[tuple[str, str]]] = {}
    for path in sorted(folder.glob("*.ics")):
        head = path.stem.split("-", 1)[0]
        label = names.get(path.stem, "Everyone's sessions" if head == "staff" else path.stem)
        groups.setdefault(head, []).append((label, f"calendars/{path.name}"))
    return [(title, groups.pop(key)) for key, title in FEED_GROUPS if key in groups] + [
        ("Other feeds", files) for files in groups.values()
    ]
