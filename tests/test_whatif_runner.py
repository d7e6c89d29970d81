"""The what-if runner: the same results one after another, in worker processes and on a
dask LocalCluster, in input order, every schedule passing the checker."""

from __future__ import annotations

import pickle
from dataclasses import replace

import pytest
from factory import patient, tiny_clinic

from scheduler.check import check_schedule
from scheduler.domain import Clinic
from scheduler.model import SolveOptions
from scheduler.schedule import Schedule
from scheduler.schedule_json import schedule_json_bytes
from scheduler.whatif.runner import Run, RunResult, run_all, solo

OPTIONS = solo(SolveOptions(time_limit_s=2, seed=3))


def _runs() -> list[Run]:
    """Three clinics that differ in demand, so a mix-up of results would show."""
    base = tiny_clinic(2)
    more = tiny_clinic(6)
    # One patient too many for the only group room: someone is unplaced.
    crowded = replace(tiny_clinic(0), patients=tuple(patient(f"P{i}") for i in range(1, 15)))
    return [
        Run("base", base, OPTIONS),
        Run("more", more, OPTIONS),
        Run("crowded", crowded, OPTIONS),
    ]


def _fingerprint(results: list[RunResult]) -> list[tuple[str, bytes]]:
    out = []
    for r in results:
        assert r.schedule is not None, r.error
        out.append((r.name, schedule_json_bytes(r.schedule, input_path="-", input_hash="-")))
    return out


@pytest.fixture(scope="module")
def in_process() -> list[RunResult]:
    return run_all(_runs(), jobs=1, progress=False)


def test_results_come_in_input_order_and_pass_the_checker(in_process: list[RunResult]) -> None:
    runs = _runs()
    assert [r.name for r in in_process] == [r.name for r in runs]
    for run, result in zip(runs, in_process, strict=True):
        assert result.schedule is not None
        assert check_schedule(run.clinic, result.schedule) == []
    placed = [len(r.schedule.placed_patients) for r in in_process if r.schedule]
    assert placed[0] < placed[1]  # the runs really differ: no result was swapped


def test_runs_and_results_survive_pickling(in_process: list[RunResult]) -> None:
    run = _runs()[0]
    assert pickle.loads(pickle.dumps(run)) == run
    again = pickle.loads(pickle.dumps(in_process[0]))
    assert again.schedule is not None and in_process[0].schedule is not None
    assert again.schedule.sessions == in_process[0].schedule.sessions


def test_a_process_pool_gives_the_same_results(in_process: list[RunResult]) -> None:
    pooled = run_all(_runs(), jobs=2, progress=False)
    assert _fingerprint(pooled) == _fingerprint(in_process)


def test_a_dask_local_cluster_gives_the_same_results(in_process: list[RunResult]) -> None:
    pytest.importorskip("distributed")
    on_dask = run_all(_runs(), jobs=2, dask="local", progress=False)
    assert _fingerprint(on_dask) == _fingerprint(in_process)


def test_a_running_cluster_is_reached_by_its_address(in_process: list[RunResult]) -> None:
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        remote = run_all(_runs(), dask=cluster.scheduler_address, progress=False)
    assert _fingerprint(remote) == _fingerprint(in_process)


def test_a_failing_run_is_reported_and_the_others_still_run(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import scheduler.model

    real = scheduler.model.solve

    def broken_for_two(clinic: Clinic, options: SolveOptions) -> Schedule:
        if len(clinic.patients) == 6:
            raise RuntimeError("boom")
        return real(clinic, options)

    monkeypatch.setattr(scheduler.model, "solve", broken_for_two)
    results = run_all(_runs(), jobs=1)
    assert [r.name for r in results] == ["base", "more", "crowded"]
    assert [r.error for r in results] == [None, "RuntimeError: boom", None]
    assert results[0].ok and results[2].ok and not results[1].ok


def test_progress_lines_in_a_pipe_count_the_runs(capsys: pytest.CaptureFixture[str]) -> None:
    run_all(_runs()[:2], jobs=1, progress=True)
    err = capsys.readouterr().err
    assert "run 1 of 2 done: base" in err and "run 2 of 2 done: more" in err


def test_run_names_must_differ() -> None:
    run = _runs()[0]
    with pytest.raises(ValueError, match="own name"):
        run_all([run, run], jobs=1)


def test_on_a_terminal_a_bar_counts_the_runs(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import sys

    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    run_all(_runs()[:2], jobs=1, progress=True)
    err = capsys.readouterr().err
    assert "Solving" in err and "2/2" in err
    assert "run 1 of 2" not in err  # the bar, not the plain lines
