"""What a solve shows while it runs, on stderr.

- On a terminal: one live progress bar (rich) that moves with the clock toward the time
  limit, the phase in words and how many patients have a place.
- Piped or redirected: a few plain lines (a phase change, a change in the number placed,
  and a "still working" line after a long silence) instead of a bar's control codes.
- ``--verbose``: the solver's numbers, one line per improving solution.

The solver reports :class:`~scheduler.model.options.ProgressEvent` records; ``phase`` is a
few words ("placing patients"), shown capitalised, or empty (a solver that does not say), and
the display then just says "Solving".
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Literal

from rich.console import Console
from rich.progress import (
    Progress,
    ProgressColumn,
    SpinnerColumn,
    Task,
    TextColumn,
)
from rich.progress_bar import ProgressBar
from rich.text import Text

from scheduler.model.options import ProgressEvent
from scheduler.terminal import emit

OnProgress = Callable[[ProgressEvent], None]
Mode = Literal["quiet", "bar", "lines", "verbose"]

#: Short phase names in words. Any other phase is shown as it is, capitalised.
PHASE_WORDS = {
    "placement": "Placing patients",
    "stability": "Keeping last week's appointments",
    "quality": "Improving the timetable",
    "proof": "Measuring how good it is",
}


def phase_words(phase: str) -> str:
    if not phase:
        return "Solving"
    return PHASE_WORDS.get(phase, phase.replace("_", " ").capitalize())


def _placed(event: ProgressEvent, total: int) -> str:
    return f"{event.placed} of {total} placed"


class _ClockBar(ProgressColumn):
    """The time limit as a bar: it moves while the solver is silent, so a long stretch
    without a better timetable never looks like a hang. The limit is a budget of work that
    takes about that long on an idle machine; past it the bar pulses instead of sitting
    full, as a busy machine may take several times as long."""

    def __init__(self, limit_s: float) -> None:
        super().__init__()
        self._limit = limit_s

    def render(self, task: Task) -> ProgressBar:
        elapsed = task.elapsed or 0.0
        if elapsed >= self._limit:
            return ProgressBar(total=None, width=30)
        return ProgressBar(total=self._limit, completed=elapsed, width=30)


class _Clock(ProgressColumn):
    def __init__(self, limit_s: float) -> None:
        super().__init__()
        self._limit = limit_s

    def render(self, task: Task) -> Text:
        elapsed = task.elapsed or 0.0
        if elapsed >= self._limit:
            return Text(f"{elapsed:3.0f} s, over ~{self._limit:g} s")  # fits 80 columns
        return Text(f"{elapsed:3.0f} s of ~{self._limit:g} s")


@contextmanager
def _bar(total: int, limit_s: float, console: Console) -> Iterator[OnProgress]:
    progress = Progress(
        SpinnerColumn(),
        TextColumn("{task.description:<24}"),
        _ClockBar(limit_s),
        _Clock(limit_s),
        TextColumn("{task.fields[placed]}"),
        console=console,
        transient=True,  # the summary replaces the bar
    )
    task = progress.add_task("Building the model", placed="")

    def show(event: ProgressEvent) -> None:
        progress.update(task, description=phase_words(event.phase), placed=_placed(event, total))

    with progress:
        yield show


class _Lines:
    """Plain progress lines: what changed, at most one line per ``min_gap_s`` for a change
    in the number placed, and a "still working" line after ``heartbeat_s`` of silence."""

    def __init__(self, total: int, heartbeat_s: float, min_gap_s: float) -> None:
        self._total = total
        self._heartbeat = heartbeat_s
        self._min_gap = min_gap_s
        self._start = time.monotonic()
        self._last_line = self._start
        self._phase: str | None = None
        self._placed: int | None = None
        self._latest: ProgressEvent | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()

    def _say(self, text: str) -> None:
        now = time.monotonic()
        self._last_line = now
        emit(f"  {now - self._start:6.1f} s  {text}", err=True)

    def __call__(self, event: ProgressEvent) -> None:
        with self._lock:
            self._latest = event
            words = phase_words(event.phase)
            new_phase = words != self._phase
            more = event.placed != self._placed
            recent = time.monotonic() - self._last_line < self._min_gap
            if new_phase or (more and not recent):
                self._phase, self._placed = words, event.placed
                self._say(f"{words}: {_placed(event, self._total)}")

    def beat(self) -> None:
        """Runs on its own thread until :meth:`stop`: reports a change held back by the
        one-line-per-``min_gap_s`` rule, or that the solve is still going."""
        while not self._stop.wait(min(self._heartbeat, self._min_gap)):
            with self._lock:
                silent = time.monotonic() - self._last_line
                latest = self._latest
                if latest is not None and latest.placed != self._placed:
                    if silent >= self._min_gap:
                        self._placed = latest.placed
                        self._say(f"{self._phase}: {_placed(latest, self._total)}")
                elif silent >= self._heartbeat:
                    if latest is None:
                        self._say("still building the model and a first timetable")
                    else:
                        words = phase_words(latest.phase).lower()
                        self._say(f"still {words}: {_placed(latest, self._total)}")

    def stop(self) -> None:
        self._stop.set()


@contextmanager
def _lines(total: int, heartbeat_s: float, min_gap_s: float) -> Iterator[OnProgress]:
    lines = _Lines(total, heartbeat_s, min_gap_s)
    beat = threading.Thread(target=lines.beat, name="progress-heartbeat", daemon=True)
    beat.start()
    try:
        yield lines
    finally:
        lines.stop()
        beat.join()


def _numbers() -> OnProgress:
    """The solver's own numbers, one line per improving solution (``--verbose``), under a
    heading for each phase."""
    last: list[ProgressEvent] = []

    def show(event: ProgressEvent) -> None:
        before = last[-1] if last else None
        if event.phase and (before is None or event.phase != before.phase):
            emit(f"  {phase_words(event.phase)}:", err=True)
        elif before is not None and event.objective > before.objective:
            # Each phase (and each site of a multi-site clinic) starts a new search whose
            # objective counts more terms, so it restarts higher: say so rather than alarm.
            emit("  (the objective rose: the solver started its next phase or site)", err=True)
        last[:] = [event]
        emit(
            f"  {event.elapsed_s:7.2f} s  placed {event.placed:>5}  "
            f"objective {event.objective:g}  bound {event.best_bound:g}",
            err=True,
        )

    return show


@contextmanager
def solve_display(
    mode: Mode,
    *,
    total: int,
    limit_s: float,
    console: Console | None = None,
    heartbeat_s: float = 10.0,
    min_gap_s: float = 1.0,
) -> Iterator[OnProgress | None]:
    """The progress callback for ``solve(on_progress=…)`` for the time it is open.

    ``total`` is the number of patients in the plan; ``limit_s`` the time limit."""
    if mode == "quiet":
        yield None
    elif mode == "verbose":
        yield _numbers()
    elif mode == "bar":
        with _bar(total, limit_s, console or Console(stderr=True)) as show:
            yield show
    else:
        with _lines(total, heartbeat_s, min_gap_s) as show:
            yield show
