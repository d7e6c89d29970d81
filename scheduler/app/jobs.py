"""The solve runs in a process of its own, so that Cancel stops it at once.

CP-SAT cannot be interrupted from another thread of the same process; a child process can
be ended. The child reads the clinic itself (nothing large crosses the pipe), solves with
the app's locks (and the previous schedule, where the model takes it) and sends back
progress events and, at the end, the schedule as ``schedule.json`` bytes. A thread in the
server reads the pipe and keeps the latest state for the progress stream; the result goes
to disk (the workspace's draft) as soon as it arrives and has passed the checker.
"""

from __future__ import annotations

import multiprocessing as mp
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from scheduler.domain import Lock


@dataclass(frozen=True)
class SolveRequest:
    input_path: str
    locks: tuple[Lock, ...]
    time_limit_s: float
    seed: int
    workers: int
    previous_json: bytes | None = None  # the minimal-change re-solve's previous schedule


@dataclass
class SolveState:
    """What the progress stream shows, in words and numbers."""

    status: str = "idle"  # idle, starting, running, done, failed, cancelled
    phase: str = ""
    placed: int = 0
    total: int = 0
    proven_max: int | None = None
    elapsed_s: float = 0.0  # since the solve was started, model building included
    #: Since the solver's first report (its first timetable): the search that the time
    #: limit budgets, so what "time left" counts down from.
    search_s: float = 0.0
    limit_s: float = 0.0
    message: str = ""
    history: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["left_s"] = max(0.0, self.limit_s - self.search_s)
        return data


def _child(request: SolveRequest, out: Any) -> None:
    """Runs in the child process: every message is a (kind, payload) pair."""
    from scheduler.app import service
    from scheduler.model import ModelInvalidError, SolveOptions
    from scheduler.schedule_json import schedule_from_dict, schedule_json_bytes

    try:
        opened = service.open_input(Path(request.input_path))
        if opened.clinic is None:
            out.put(("failed", "the clinic input cannot be read; open it again to see why"))
            return
        clinic = service.with_locks(opened.clinic, list(request.locks))
        out.put(("total", service.patients_to_place(clinic)))
        options = SolveOptions(
            time_limit_s=request.time_limit_s, seed=request.seed, workers=request.workers
        )
        previous = None
        if request.previous_json is not None:
            import json

            previous = schedule_from_dict(json.loads(request.previous_json))[0]

        def progress(event: Any) -> None:
            out.put(("progress", (event.phase, event.placed, event.elapsed_s)))

        schedule = service.solve_schedule(clinic, options, progress, previous)
        schedule = replace(schedule, input_hash=opened.input_hash)
        payload = schedule_json_bytes(
            schedule, input_path=request.input_path, input_hash=opened.input_hash
        )
        out.put(("done", payload))
    except ModelInvalidError as err:
        out.put(("failed", f"the model is invalid (a bug, please report it): {err}"))
    except Exception as err:  # reported in one line; the server goes on
        out.put(("failed", f"{type(err).__name__}: {err}"))


class SolveJob:
    """At most one solve at a time; ``on_result`` receives the ``schedule.json`` bytes."""

    def __init__(self, on_result: Callable[[bytes], str]) -> None:
        self._on_result = on_result
        self._lock = threading.Lock()
        self._state = SolveState()
        self._process: Any = None
        self._cancelled = False

    def state(self) -> SolveState:
        with self._lock:
            return replace(self._state, history=list(self._state.history))

    def running(self) -> bool:
        with self._lock:
            return self._state.status in ("starting", "running")

    def start(self, request: SolveRequest) -> bool:
        """False when a solve is already running."""
        with self._lock:
            if self._state.status in ("starting", "running"):
                return False
            self._state = SolveState(
                status="starting",
                phase="Building the model",
                limit_s=request.time_limit_s,
                message="Starting the solver …",
            )
            self._cancelled = False
            # spawn, not fork: the server has threads, and a forked copy of them can hang.
            context = mp.get_context("spawn")
            channel = context.Queue()
            self._process = context.Process(
                target=_child, args=(request, channel), name="iop-solve", daemon=True
            )
            self._process.start()
        threading.Thread(target=self._follow, args=(channel,), daemon=True).start()
        return True

    def cancel(self) -> bool:
        with self._lock:
            if self._process is None or self._state.status not in ("starting", "running"):
                return False
            self._cancelled = True
            self._process.terminate()
            return True

    def _update(self, **changes: Any) -> None:
        with self._lock:
            for key, value in changes.items():
                setattr(self._state, key, value)

    def _follow(self, channel: Any) -> None:
        from scheduler.progress import phase_words

        started = time.monotonic()
        search_began: float | None = None
        process = self._process
        while True:
            try:
                kind, payload = channel.get(timeout=0.25)
            except queue.Empty:
                now = time.monotonic()
                searched = 0.0 if search_began is None else now - search_began
                self._update(elapsed_s=now - started, search_s=searched)
                if process.is_alive():
                    continue
                with self._lock:
                    cancelled = self._cancelled
                if cancelled:
                    self._finish("cancelled", "Cancelled: the solve was stopped; nothing changed.")
                else:
                    self._finish("failed", "The solver stopped without an answer.")
                return
            elapsed = time.monotonic() - started
            if kind == "total":
                self._update(total=payload, status="running", elapsed_s=elapsed)
            elif kind == "progress":
                phase, placed, _ = payload
                if search_began is None:
                    # The solver's own clock counts the model building too; the first
                    # timetable found is where the budgeted search is under way.
                    search_began = time.monotonic()
                words = phase_words(phase)
                with self._lock:
                    if words != self._state.phase:
                        self._state.history.append(f"{words} from {elapsed:.1f} s")
                    self._state.phase = words
                    self._state.placed = placed
                    self._state.elapsed_s = elapsed
                    self._state.search_s = time.monotonic() - search_began
                    self._state.status = "running"
                    self._state.message = ""
            elif kind == "done":
                try:
                    message = self._on_result(payload)
                except Exception as err:  # a result that could not be kept
                    self._finish("failed", f"The result could not be kept: {err}")
                else:
                    self._finish("done", message)
                process.join(timeout=5)
                return
            else:
                self._finish("failed", f"The solve failed: {payload}")
                process.join(timeout=5)
                return

    def _finish(self, status: str, message: str) -> None:
        self._update(status=status, message=message)

    def set_proven_max(self, value: int | None) -> None:
        self._update(proven_max=value)
