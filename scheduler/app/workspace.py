"""The app's state on disk, in ``<out>/.app/``: a restart loses no edit.

Nothing the coordinator did lives only in memory. The folder holds:

- ``workspace.json`` — which clinic input is open (a path; uploads are copied in here);
- ``upload.xlsx`` or ``upload_csv/`` — an uploaded clinic;
- ``draft.json`` — the working schedule (the last solve, with every hand edit applied),
  in the ``schedule.json`` format;
- ``locks.json`` — the locks made in the app, fed to the next solve with the Locks sheet's;
- ``editor.json`` — who holds the edit (one browser tab at a time);
- ``solve.json`` — how the last solve ended, in words.

Every file is written owner-only and atomically (:mod:`scheduler.safe_write`), and the
folder is ``0o700``: it holds patient data. The publish (``scheduler.exports.publish``)
leaves top-level names it does not write alone, so ``.app/`` survives every publish.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from scheduler.domain import Lock
from scheduler.safe_write import make_private_dir, write_bytes
from scheduler.schedule import Schedule
from scheduler.schedule_json import read_schedule_json, schedule_json_bytes

APP_DIR = ".app"
WORKSPACE = "workspace.json"
DRAFT = "draft.json"
LOCKS = "locks.json"
EDITOR = "editor.json"
SOLVE = "solve.json"
UPLOAD_XLSX = "upload.xlsx"
UPLOAD_CSV = "upload_csv"
#: Locks made in the app are named so they never collide with the Locks sheet's IDs.
LOCK_PREFIX = "APP-"


@dataclass(frozen=True)
class Draft:
    schedule: Schedule
    input_hash: str


class Workspace:
    """Reads and writes the app's files in one output folder."""

    def __init__(self, out_dir: Path) -> None:
        self.out_dir = Path(out_dir)
        self.dir = self.out_dir / APP_DIR

    def _path(self, name: str) -> Path:
        return self.dir / name

    def ensure(self) -> None:
        make_private_dir(self.dir)

    def _read_json(self, name: str) -> Any:
        try:
            return json.loads(self._path(name).read_text(encoding="utf-8"))
        except (FileNotFoundError, ValueError):
            return None

    def _write_json(self, name: str, data: Any) -> None:
        self.ensure()
        write_bytes(self._path(name), (json.dumps(data, indent=1) + "\n").encode())

    def _remove(self, name: str) -> None:
        self._path(name).unlink(missing_ok=True)

    # The open input. ---------------------------------------------------------------

    def input_path(self) -> Path | None:
        data = self._read_json(WORKSPACE)
        if not isinstance(data, dict) or not isinstance(data.get("input"), str):
            return None
        path = Path(data["input"])
        return path if path.exists() else None

    def set_input(self, path: Path, label: str) -> None:
        """Open another clinic: the draft, the app's locks and the last solve belong to the
        clinic before, so they go."""
        self._write_json(WORKSPACE, {"input": str(Path(path).resolve()), "label": label})
        for name in (DRAFT, LOCKS, SOLVE):
            self._remove(name)

    def input_label(self) -> str:
        data = self._read_json(WORKSPACE)
        return str(data.get("label", "")) if isinstance(data, dict) else ""

    def upload_xlsx(self) -> Path:
        return self._path(UPLOAD_XLSX)

    def upload_csv(self) -> Path:
        return self._path(UPLOAD_CSV)

    # The working schedule. ---------------------------------------------------------------

    def draft(self) -> Draft | None:
        path = self._path(DRAFT)
        if not path.exists():
            return None
        try:
            schedule, meta = read_schedule_json(path)
        except (OSError, ValueError):
            return None
        return Draft(schedule, meta.input_hash)

    def save_draft(self, schedule: Schedule, input_path: Path, input_hash: str) -> None:
        self.ensure()
        data = schedule_json_bytes(schedule, input_path=str(input_path), input_hash=input_hash)
        write_bytes(self._path(DRAFT), data)

    # The app's locks. ------------------------------------------------------------------

    def locks(self) -> list[Lock]:
        data = self._read_json(LOCKS)
        if not isinstance(data, list):
            return []
        out = []
        for item in data:
            try:
                out.append(Lock(**item))
            except (TypeError, ValueError):
                continue  # a damaged entry: dropping one lock beats losing all of them
        return out

    def save_locks(self, locks: list[Lock]) -> None:
        self._write_json(LOCKS, [asdict(lk) for lk in locks])

    def next_lock_id(self, taken: set[str]) -> str:
        n = 1
        while f"{LOCK_PREFIX}{n}" in taken:
            n += 1
        return f"{LOCK_PREFIX}{n}"

    # The editor lock and the last solve. -----------------------------------------------

    def editor(self) -> dict[str, Any] | None:
        data = self._read_json(EDITOR)
        return data if isinstance(data, dict) else None

    def save_editor(self, data: dict[str, Any] | None) -> None:
        if data is None:
            self._remove(EDITOR)
        else:
            self._write_json(EDITOR, data)

    def last_solve(self) -> dict[str, Any] | None:
        data = self._read_json(SOLVE)
        return data if isinstance(data, dict) else None

    def save_last_solve(self, data: dict[str, Any]) -> None:
        self._write_json(SOLVE, data)
