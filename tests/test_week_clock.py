"""The week clock, implemented twice: ``domain`` (used by the model) and the checker's own
helpers must agree on every window, overnight and Sunday-into-Monday ones included."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from scheduler.check.view import WEEK, on_week_clock, within_windows
from scheduler.domain import MINUTES_PER_DAY, Weekday, Window, covered

windows = st.builds(
    lambda day, start, length: Window(day, start, start + length),
    st.sampled_from(list(Weekday)),
    st.integers(0, MINUTES_PER_DAY - 1),
    st.integers(1, MINUTES_PER_DAY - 1),
)


def naive_overlaps(a: Window, b: Window, gap: int) -> bool:
    """Minute by minute: some minute of ``b`` lies in ``a`` widened by the gap on both
    sides, everything taken round the week."""
    a0, a1 = on_week_clock(a)
    b0, b1 = on_week_clock(b)
    near = {m % WEEK for m in range(a0 - gap, a1 + gap)}
    return any(m % WEEK in near for m in range(b0, b1))


@settings(max_examples=400)
@given(windows, windows, st.integers(0, 240))
def test_overlaps_agrees_with_a_minute_by_minute_count(a: Window, b: Window, gap: int) -> None:
    assert a.overlaps(b, gap) == naive_overlaps(a, b, gap) == b.overlaps(a, gap)


@given(st.lists(windows, max_size=4), windows)
def test_covered_agrees_with_the_checkers_own(spans: list[Window], target: Window) -> None:
    assert covered(spans, target) == within_windows(spans, target)


def test_covered_across_midnight_and_the_week_end() -> None:
    sunday_night = Window.clock(Weekday.SUN, 20 * 60, 8 * 60)
    assert within_windows([sunday_night], Window(Weekday.MON, 60, 120))
    halves = [Window(Weekday.SUN, 20 * 60, 24 * 60), Window(Weekday.MON, 0, 8 * 60)]
    assert within_windows(halves, Window.clock(Weekday.SUN, 22 * 60, 2 * 60))
    assert not within_windows(halves[:1], Window.clock(Weekday.SUN, 22 * 60, 2 * 60))
