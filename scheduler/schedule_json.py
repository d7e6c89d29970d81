"""``schedule.json``: the machine-readable result and the baseline for next week's run.

The file round-trips a :class:`~scheduler.schedule.Schedule` exactly (``read(write(s)) ==
s``) and records where it came from (:class:`ScheduleMeta`). It is versioned with
``"format": 1``; a reader meeting another format says so instead of guessing.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scheduler.safe_write import write_bytes
from scheduler.schedule import (
    ClassPlacement,
    CycleProgress,
    Schedule,
    Session,
    SolveStats,
    UnmetLock,
    Unplaced,
)

FORMAT = 1


class ScheduleFileError(ValueError):
    """A schedule file that cannot be read; the message names the file and the field."""


@dataclass(frozen=True)
class ScheduleMeta:
    input_path: str
    input_hash: str
    created: dt.datetime | None  # timezone-aware UTC; None unless the writer was given it


def _float_out(x: float | None) -> float | str | None:
    # JSON has no inf/nan; write them as strings so the round trip stays exact.
    if x is None or math.isfinite(x):
        return x
    return repr(float(x))


def _float_in(x: Any, where: str) -> float | None:
    if x is None:
        return None
    if isinstance(x, bool):
        raise ScheduleFileError(f"{where}: expected a number, got {x!r}")
    if isinstance(x, int | float):
        return float(x)
    if isinstance(x, str) and x in ("inf", "-inf", "nan"):
        return float(x)
    raise ScheduleFileError(f"{where}: expected a number, got {x!r}")


def schedule_to_dict(
    schedule: Schedule, *, input_path: str, input_hash: str, created: dt.datetime | None = None
) -> dict[str, Any]:
    st = schedule.stats
    meta = {"input_path": input_path, "input_hash": input_hash}
    if created is not None:  # left out by default: the same run gives the same bytes
        meta["created"] = created.astimezone(dt.UTC).isoformat()
    return {
        "format": FORMAT,
        "meta": meta,
        "week_start": schedule.week_start.isoformat(),
        "weeks": schedule.weeks,
        "input_hash": schedule.input_hash,
        "stats": {
            "status": st.status,
            "objective": _float_out(st.objective),
            "best_bound": _float_out(st.best_bound),
            "seed": st.seed,
            "workers": st.workers,
            "time_limit_s": _float_out(st.time_limit_s),
            "terms": [[name, _float_out(value)] for name, value in st.terms.items()],
            "placed_bound": st.placed_bound,
            "by_priority": [[c.name, c.patients, c.placed, c.proven_max] for c in st.by_priority],
            "clock_cut": st.clock_cut,
        },
        "sessions": [
            {
                "id": s.id,
                "code": s.code,
                "week": s.week,
                "block": s.block,
                "session_type": s.session_type,
                "room": s.room,
                "therapists": list(s.therapists),
                "patients": list(s.patients),
            }
            | ({"lineage": s.lineage} if s.lineage else {})
            | ({"topic": s.topic} if s.topic else {})
            for s in schedule.sessions
        ],
        "unplaced": [{"patient": u.patient, "reason": u.reason} for u in schedule.unplaced],
        "starting_later": list(schedule.starting_later),
        "unmet_locks": [{"lock": u.lock, "reason": u.reason} for u in schedule.unmet_locks],
    } | (
        # Module history before this horizon (RULES.md C2); absent when no type has a cycle.
        {
            "progress": [
                {
                    "patient": c.patient,
                    "session_type": c.session_type,
                    "done": sorted(c.done),
                    "rounds": c.rounds,
                }
                for c in schedule.progress
            ]
        }
        if schedule.progress
        else {}
    )


def schedule_json_bytes(
    schedule: Schedule, *, input_path: str, input_hash: str, created: dt.datetime | None = None
) -> bytes:
    data = schedule_to_dict(schedule, input_path=input_path, input_hash=input_hash, created=created)
    return (json.dumps(data, indent=1, ensure_ascii=False, allow_nan=False) + "\n").encode()


def write_schedule_json(
    schedule: Schedule,
    path: Path,
    *,
    input_path: str,
    input_hash: str,
    created: dt.datetime | None = None,
) -> None:
    """Write ``schedule`` to ``path`` atomically, owner-readable only."""
    write_bytes(
        Path(path),
        schedule_json_bytes(
            schedule, input_path=input_path, input_hash=input_hash, created=created
        ),
    )


class _Reader:
    """Typed access to the parsed JSON that names the field at fault."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, where: str, message: str) -> ScheduleFileError:
        return ScheduleFileError(f"{self.source}: {where}: {message}")

    def obj(self, value: Any, where: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(where, "expected an object")
        return value

    def items(self, value: Any, where: str) -> list[Any]:
        if not isinstance(value, list):
            raise self.fail(where, "expected a list")
        return value

    def field(self, d: dict[str, Any], key: str, where: str) -> Any:
        if key not in d:
            raise self.fail(f"{where}.{key}", "missing")
        return d[key]

    def text(self, d: dict[str, Any], key: str, where: str) -> str:
        v = self.field(d, key, where)
        if not isinstance(v, str):
            raise self.fail(f"{where}.{key}", f"expected text, got {v!r}")
        return v

    def whole(self, d: dict[str, Any], key: str, where: str) -> int:
        v = self.field(d, key, where)
        if isinstance(v, bool) or not isinstance(v, int):
            raise self.fail(f"{where}.{key}", f"expected a whole number, got {v!r}")
        return v

    def optional_whole(self, d: dict[str, Any], key: str, where: str) -> int | None:
        """A whole number or null; absent in files written before the field existed."""
        return None if d.get(key) is None else self.whole(d, key, where)

    def texts(self, d: dict[str, Any], key: str, where: str) -> tuple[str, ...]:
        items = self.items(self.field(d, key, where), f"{where}.{key}")
        if not all(isinstance(x, str) for x in items):
            raise self.fail(f"{where}.{key}", "expected a list of text")
        return tuple(items)

    def num(self, d: dict[str, Any], key: str, where: str) -> float | None:
        try:
            return _float_in(self.field(d, key, where), f"{where}.{key}")
        except ScheduleFileError as e:
            raise self.fail(f"{where}.{key}", str(e).split(": ", 1)[-1]) from None

    def req_num(self, d: dict[str, Any], key: str, where: str) -> float:
        v = self.num(d, key, where)
        if v is None:
            raise self.fail(f"{where}.{key}", "expected a number, got null")
        return v


def schedule_from_dict(data: Any, source: str = "schedule") -> tuple[Schedule, ScheduleMeta]:
    r = _Reader(source)
    top = r.obj(data, "file")
    fmt = top.get("format")
    if fmt != FORMAT:
        raise r.fail("format", f"this program reads format {FORMAT}, the file has {fmt!r}")
    meta_d = r.obj(r.field(top, "meta", "file"), "meta")
    try:
        created = (
            dt.datetime.fromisoformat(r.text(meta_d, "created", "meta"))
            if "created" in meta_d
            else None
        )
        week_start = dt.date.fromisoformat(r.text(top, "week_start", "file"))
    except ValueError as e:
        raise r.fail("file", f"bad date: {e}") from None
    if created is not None and created.tzinfo is None:
        raise r.fail("meta.created", "needs a UTC offset")
    meta = ScheduleMeta(
        input_path=r.text(meta_d, "input_path", "meta"),
        input_hash=r.text(meta_d, "input_hash", "meta"),
        created=created,
    )
    st_d = r.obj(r.field(top, "stats", "file"), "stats")
    terms: dict[str, float] = {}
    for i, pair in enumerate(r.items(r.field(st_d, "terms", "stats"), "stats.terms")):
        where = f"stats.terms[{i}]"
        if not (isinstance(pair, list) and len(pair) == 2 and isinstance(pair[0], str)):
            raise r.fail(where, "expected [name, value]")
        value = _float_in(pair[1], where)
        if value is None:
            raise r.fail(where, "value is null")
        terms[pair[0]] = value
    stats = SolveStats(
        status=r.text(st_d, "status", "stats"),
        objective=r.num(st_d, "objective", "stats"),
        best_bound=r.num(st_d, "best_bound", "stats"),
        # Timings are not written (same input, seed and workers give the same file).
        wall_time_s=(r.num(st_d, "wall_time_s", "stats") or 0.0) if "wall_time_s" in st_d else 0.0,
        seed=r.whole(st_d, "seed", "stats"),
        workers=r.whole(st_d, "workers", "stats"),
        time_limit_s=r.req_num(st_d, "time_limit_s", "stats"),
        terms=terms,
        first_solution_s=r.num(st_d, "first_solution_s", "stats")
        if "first_solution_s" in st_d
        else None,
        placed_bound=r.optional_whole(st_d, "placed_bound", "stats"),
        by_priority=_by_priority(r, st_d),
        clock_cut=st_d.get("clock_cut") is True,
    )
    sessions = []
    for i, item in enumerate(r.items(r.field(top, "sessions", "file"), "sessions")):
        where = f"sessions[{i}]"
        d = r.obj(item, where)
        sessions.append(
            Session(
                id=r.text(d, "id", where),
                code=r.text(d, "code", where),
                week=r.whole(d, "week", where),
                block=r.text(d, "block", where),
                session_type=r.text(d, "session_type", where),
                room=r.text(d, "room", where),
                therapists=r.texts(d, "therapists", where),
                patients=r.texts(d, "patients", where),
                lineage=r.text(d, "lineage", where) if "lineage" in d else "",
                topic=r.text(d, "topic", where) if "topic" in d else "",
            )
        )
    unplaced = []
    for i, item in enumerate(r.items(r.field(top, "unplaced", "file"), "unplaced")):
        where = f"unplaced[{i}]"
        d = r.obj(item, where)
        unplaced.append(Unplaced(r.text(d, "patient", where), r.text(d, "reason", where)))
    unmet = []
    for i, item in enumerate(r.items(top.get("unmet_locks", []), "unmet_locks")):
        where = f"unmet_locks[{i}]"
        d = r.obj(item, where)
        unmet.append(UnmetLock(r.text(d, "lock", where), r.text(d, "reason", where)))
    progress = []
    for i, item in enumerate(r.items(top.get("progress", []), "progress")):
        where = f"progress[{i}]"
        d = r.obj(item, where)
        progress.append(
            CycleProgress(
                patient=r.text(d, "patient", where),
                session_type=r.text(d, "session_type", where),
                done=frozenset(r.texts(d, "done", where)),
                rounds=r.whole(d, "rounds", where),
            )
        )
    ids = [s.id for s in sessions]
    if len(set(ids)) != len(ids):
        raise r.fail("sessions", "two sessions share an id")
    schedule = Schedule(
        week_start=week_start,
        weeks=r.whole(top, "weeks", "file"),
        sessions=tuple(sessions),
        unplaced=tuple(unplaced),
        stats=stats,
        input_hash=r.text(top, "input_hash", "file"),
        starting_later=r.texts(top, "starting_later", "file") if "starting_later" in top else (),
        unmet_locks=tuple(unmet),
        progress=tuple(progress),
    )
    return schedule, meta


def read_schedule_json(path: Path) -> tuple[Schedule, ScheduleMeta]:
    """Read a schedule file written by :func:`write_schedule_json`.

    Raises :class:`ScheduleFileError` (a ValueError) naming the field at fault; OSError
    when the file cannot be opened.
    """
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ScheduleFileError(f"{path}: not a schedule file ({e})") from None
    return schedule_from_dict(data, source=str(path))


def _by_priority(r: _Reader, st_d: dict[str, Any]) -> tuple[ClassPlacement, ...]:
    out = []
    for i, row in enumerate(r.items(st_d.get("by_priority", []), "stats.by_priority")):
        where = f"stats.by_priority[{i}]"
        ok = isinstance(row, list) and len(row) == 4 and isinstance(row[0], str)
        nums = row[1:3] if ok else []
        if not ok or not all(isinstance(x, int) and not isinstance(x, bool) for x in nums):
            raise r.fail(where, "expected [class, patients, placed, proven maximum or null]")
        if row[3] is not None and (isinstance(row[3], bool) or not isinstance(row[3], int)):
            raise r.fail(where, "proven maximum must be a whole number or null")
        out.append(ClassPlacement(row[0], row[1], row[2], row[3]))
    return tuple(out)
