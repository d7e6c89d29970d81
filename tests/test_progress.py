"""The progress display: a bar on a terminal, plain lines in a pipe, numbers on request."""

from __future__ import annotations

import io
import time

import pytest
from rich.console import Console

from scheduler.model.options import ProgressEvent
from scheduler.progress import phase_words, solve_display


def event(placed: int, objective: float = 100.0, phase: str = "", at: float = 1.0) -> ProgressEvent:
    return ProgressEvent(
        elapsed_s=at, objective=objective, best_bound=50.0, placed=placed, phase=phase
    )


def test_phase_words_for_known_unknown_and_missing_phases() -> None:
    assert phase_words("placement") == "Placing patients"
    assert phase_words("quality") == "Improving the timetable"
    assert phase_words("site_two") == "Site two"
    assert phase_words("placing patients") == "Placing patients"  # the solver's own words
    assert phase_words("") == "Solving"


def test_an_event_without_a_phase_is_still_shown() -> None:
    # The field is optional: a solver that does not fill it in still gets a display.
    bare = ProgressEvent(elapsed_s=1.0, objective=5.0, best_bound=1.0, placed=3)
    assert bare.phase == ""


def test_plain_lines_say_the_phase_and_placed_not_solver_numbers(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with solve_display("lines", total=60, limit_s=30, heartbeat_s=60, min_gap_s=0) as show:
        assert show is not None
        show(event(11, 41992, "placement"))
        show(event(60, 0, "placement"))
        show(event(60, 1282, "quality"))  # the objective jumps up: said in words
        show(event(60, 813, "quality"))  # nothing new to say
    err = capsys.readouterr().err.splitlines()
    assert [line.split("s  ", 1)[1] for line in err] == [
        "Placing patients: 11 of 60 placed",
        "Placing patients: 60 of 60 placed",
        "Improving the timetable: 60 of 60 placed",
    ]


def test_plain_lines_hold_back_a_burst_and_report_it_later(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with solve_display("lines", total=60, limit_s=30, heartbeat_s=60, min_gap_s=0.2) as show:
        assert show is not None
        for placed in (11, 23, 40, 60):  # a burst within a fraction of a second
            show(event(placed, phase="placement"))
        time.sleep(0.6)
    err = capsys.readouterr().err
    assert "11 of 60" in err and "60 of 60" in err
    assert "23 of 60" not in err and "40 of 60" not in err


def test_plain_lines_break_a_long_silence(capsys: pytest.CaptureFixture[str]) -> None:
    with solve_display("lines", total=60, limit_s=30, heartbeat_s=0.1, min_gap_s=0.05) as show:
        assert show is not None
        time.sleep(0.25)
        show(event(60, phase="quality"))
        time.sleep(0.25)
    err = capsys.readouterr().err
    assert "still building the model" in err
    assert "still improving the timetable: 60 of 60 placed" in err


def test_bar_on_a_terminal_shows_the_phase_in_words() -> None:
    screen = io.StringIO()
    console = Console(file=screen, force_terminal=True, width=120)
    with solve_display("bar", total=60, limit_s=30, console=console) as show:
        assert show is not None
        show(event(60, phase="quality"))
    text = screen.getvalue()
    assert "Improving the timetable" in text
    assert "60 of 60 placed" in text
    assert "s of ~30 s" in text
    assert "objective" not in text


def test_verbose_shows_the_numbers_and_explains_a_rise(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with solve_display("verbose", total=60, limit_s=30) as show:
        assert show is not None
        show(event(60, 0))
        show(event(60, 1282))
        show(event(60, 900, "improving the timetable"))
        show(event(60, 800, "improving the timetable"))
    err = capsys.readouterr().err
    assert "objective 1282" in err and "bound 50" in err
    assert "the objective rose" in err
    assert err.count("Improving the timetable:") == 1


def test_past_the_limit_the_bar_says_so() -> None:
    screen = io.StringIO()
    console = Console(file=screen, force_terminal=True, width=120)
    with solve_display("bar", total=60, limit_s=0.1, console=console) as show:
        assert show is not None
        show(event(60, phase="improving the timetable"))
        time.sleep(0.4)
    assert "s, over ~0.1 s" in screen.getvalue()


def test_quiet_has_no_callback() -> None:
    with solve_display("quiet", total=60, limit_s=30) as show:
        assert show is None
