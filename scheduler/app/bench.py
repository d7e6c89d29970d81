"""What the workbench's routes share: its settings, the folder's state and caches of it,
the edit lock and the solve.

Nothing here is the only copy of anything: the workspace files are (see
:mod:`scheduler.app.workspace`); the caches are keyed on those files, so a restart, or an
edit made by another process, is seen at the next request.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from pathlib import Path

from scheduler.app import edits, service
from scheduler.app.editing import EditLock
from scheduler.app.jobs import SolveJob
from scheduler.app.security import Secrets
from scheduler.app.uploads import MAX_UPLOAD
from scheduler.app.workspace import DRAFT, LOCKS, Draft, Workspace
from scheduler.domain import Clinic, Lock
from scheduler.exports.view import ScheduleView, build_view
from scheduler.schedule import Schedule


@dataclass
class Config:
    out_dir: Path
    secrets: Secrets = field(default_factory=Secrets)
    max_upload: int = MAX_UPLOAD
    time_limit_s: float = 10.0
    workers: int = 2
    seed: int = 0


@dataclass(frozen=True)
class Loaded:
    """The open clinic (with the app's locks), its check, and the working schedule."""

    input_path: Path
    opened: service.Opened
    clinic: Clinic | None  # with the app's locks
    locks: list[Lock]
    schedule: Schedule | None


class Workbench:
    """What the routes share: the folder's state, the edit lock and the solve."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.ws = Workspace(config.out_dir)
        self.ws.ensure()
        self.editing = EditLock(self.ws)
        self.job = SolveJob(self._keep_result)
        self._views: dict[tuple[str, int], ScheduleView] = {}
        self.mutex = threading.Lock()
        self._broken: tuple[tuple[object, ...], edits.Broken] | None = None
        self._draft_cache: tuple[tuple[int, int, int], Draft | None] | None = None

    def open(self, path: Path, label: str) -> None:
        self.ws.set_input(path, label)
        self._views.clear()

    def load(self) -> Loaded | None:
        path = self.ws.input_path()
        if path is None:
            return None
        opened = service.open_input(path)
        locks = self.ws.locks()
        clinic = service.with_locks(opened.clinic, locks) if opened.clinic else None
        draft = self._draft()
        schedule = draft.schedule if draft and draft.input_hash == opened.input_hash else None
        return Loaded(path, opened, clinic, locks, schedule)

    def _draft(self) -> Draft | None:
        """The draft on disk, read again only when the file changed (a big clinic's draft
        takes a while to parse, and a page reads it more than once)."""
        path = self.ws.dir / DRAFT
        try:
            info = path.stat()
        except FileNotFoundError:
            return None
        key = (info.st_mtime_ns, info.st_size, info.st_ino)
        if self._draft_cache is None or self._draft_cache[0] != key:
            self._draft_cache = (key, self.ws.draft())
        return self._draft_cache[1]

    def _state_key(self) -> tuple[object, ...]:
        """Changes whenever the draft or the app's locks change on disk."""
        keys: list[tuple[int, int, int] | None] = []
        for name in (DRAFT, LOCKS):
            try:
                info = (self.ws.dir / name).stat()
                keys.append((info.st_mtime_ns, info.st_size, info.st_ino))
            except FileNotFoundError:
                keys.append(None)
        return tuple(keys)

    def broken(self, loaded: Loaded) -> edits.Broken:
        """What the checker finds in the draft, kept until the draft or the locks change:
        each edit then runs the checker once, not twice (seconds on a big clinic)."""
        key = self._state_key()
        if self._broken is None or self._broken[0] != key:
            assert loaded.clinic is not None and loaded.schedule is not None
            self._broken = (key, edits.broken(loaded.clinic, loaded.schedule))
        return self._broken[1]

    def remember_broken(self, found: edits.Broken) -> None:
        """After an edit was saved: what the checker found in it is the new draft's."""
        self._broken = (self._state_key(), found)

    def view(self, loaded: Loaded) -> ScheduleView | None:
        """The schedule joined to the clinic, cached until the draft changes."""
        if loaded.clinic is None or loaded.schedule is None:
            return None
        draft = self.ws.dir / DRAFT
        key = (str(loaded.input_path), draft.stat().st_mtime_ns if draft.exists() else 0)
        if key not in self._views:
            self._views.clear()
            self._views[key] = build_view(loaded.clinic, loaded.schedule)
        return self._views[key]

    def _keep_result(self, payload: bytes) -> str:
        """Runs when a solve ends: the schedule is kept as the draft only if it passes the
        independent checker with the locks it was solved with."""
        from scheduler.report import placement_line
        from scheduler.schedule_json import schedule_from_dict

        schedule, meta = schedule_from_dict(json.loads(payload))
        loaded = self.load()
        if loaded is None or loaded.clinic is None:
            raise ValueError("the clinic was closed while it solved")
        if schedule.stats.status not in ("OPTIMAL", "FEASIBLE"):
            return f"No schedule found ({schedule.stats.status}); try a longer time limit."
        violations = service.check(loaded.clinic, schedule)
        if violations:
            raise ValueError(
                f"the schedule failed the independent check ({len(violations)} violation(s))"
            )
        self.ws.save_draft(schedule, loaded.input_path, meta.input_hash)
        self.job.set_proven_max(schedule.stats.placed_bound)
        placed = len(schedule.placed_patients)
        total = placed + len(schedule.unplaced)
        line = placement_line(placed, total, schedule.stats.placed_bound)
        self.ws.save_last_solve({"status": schedule.stats.status, "summary": line})
        return line
