"""The waiting-time simulation (scheduler/whatif/waitlist.py): weeks of next-week with
referrals every week."""

from __future__ import annotations

import dataclasses

from factory import group_type, individual_type, room, tiny_clinic

from scheduler.model import SolveOptions
from scheduler.whatif.waitlist import simulate, waitlist_text

OPTIONS = SolveOptions(time_limit_s=3, seed=0, workers=1)


def _small_clinic():  # type: ignore[no-untyped-def]
    """One group room of four: three patients already fill most of it."""
    return tiny_clinic(
        3,
        session_types=(group_type("GT", max_size=4), individual_type()),
        rooms=(room("R1", capacity=4), room("OFFICE", capacity=2)),
    )


def test_no_referrals_no_waitlist() -> None:
    got = simulate(_small_clinic(), 0, 2, OPTIONS)
    assert [w.waiting for w in got.weeks] == [0, 0]
    assert got.waits_days == () and got.never_placed == 0


def test_more_referrals_than_seats_wait_and_the_wait_is_counted() -> None:
    clinic = _small_clinic()
    light = simulate(clinic, 1, 3, OPTIONS)
    heavy = simulate(clinic, 3, 3, OPTIONS)
    assert heavy.steady_waitlist >= light.steady_waitlist
    assert heavy.steady_waitlist > 0
    # Who is placed after waiting waited whole weeks.
    assert all(d % 7 == 0 for d in heavy.waits_days)
    assert "waitlist" in waitlist_text([("+0 therapists", heavy)])
    # The clinic's own patients are never counted as referrals.
    assert heavy.weeks[0].referred == 3
    assert dataclasses.replace(clinic).patients == clinic.patients
