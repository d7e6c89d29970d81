"""Capacity sweeps on a tiny clinic: arguments, staffing, monotonicity, checked schedules,
the published files (self-contained HTML, never a formula, owner-only) and the command."""

from __future__ import annotations

import csv
import io
import stat
from dataclasses import replace
from pathlib import Path

import pytest
from factory import room, tiny_clinic
from openpyxl import load_workbook

from scheduler.check import check_schedule
from scheduler.cli import main
from scheduler.domain import Clinic
from scheduler.model import SolveOptions
from scheduler.whatif.metrics import NOT_PROVEN, PROVEN, RunFailure, RunMetrics
from scheduler.whatif.runner import run_all
from scheduler.whatif.sweep import (
    Point,
    Staffing,
    SweepError,
    SweepResult,
    build_runs,
    capacity,
    group_leaders,
    parse_blocks,
    parse_range,
    staffed,
    sweep,
)
from scheduler.whatif.sweep_report import sweep_files, write_sweep

OPTIONS = SolveOptions(time_limit_s=2, seed=1, workers=1)
RATES = (0, 2, 4, 6)
EXTRAS = (0, 1, 2)


def therapist_bound() -> Clinic:
    """The tiny clinic with an office per slot, so that the individual sessions every new
    patient needs with their primary, not the rooms, are what runs out: one therapist
    more is then room for more admissions."""
    clinic = tiny_clinic(2)
    offices = tuple(room(f"OFF{i}", capacity=1) for i in range(1, 4))
    return replace(clinic, rooms=(*clinic.rooms, *offices))


@pytest.fixture(scope="module")
def result() -> SweepResult:
    return sweep(therapist_bound(), rates=RATES, extras=EXTRAS, options=OPTIONS, jobs=1)


def test_ranges_and_block_variants_parse_as_written() -> None:
    assert parse_range("0:40:5", "--admissions") == tuple(range(0, 41, 5))
    assert parse_range("+0:+3", "--therapists", signed=True) == (0, 1, 2, 3)
    assert parse_range("10,0,5,5", "--admissions") == (0, 5, 10)
    for bad in ("5:0", "a:b", "0:10:0", "-1:3"):
        with pytest.raises(SweepError):
            parse_range(bad, "--admissions")
    clinic = tiny_clinic(1)
    assert parse_blocks(clinic, ["all", "close:MON-EVE,FRI-EVE", "all"]) == (
        (),
        ("FRI-EVE", "MON-EVE"),
    )
    with pytest.raises(SweepError, match=r"Blocks sheet \(MON-EVE"):
        parse_blocks(clinic, ["close:NOPE"])


def test_extra_therapists_copy_group_leaders_in_a_fixed_nested_order() -> None:
    clinic = tiny_clinic(1)
    one, two = staffed(clinic, Staffing(1)), staffed(clinic, Staffing(2))
    assert [t.id for t in two.therapists[-2:]] == ["EXTRA-1", "EXTRA-2"]
    assert one.therapists[-1] == two.therapists[-2]  # +2 is +1 and one more
    leaders = group_leaders(clinic)
    extra = two.therapists[-2]
    assert replace(extra, id=leaders[0].id, name=leaders[0].name) == leaders[0]
    closed = staffed(clinic, Staffing(0, ("MON-EVE",)))
    assert "MON-EVE" not in closed.block_by_id


def test_every_point_of_a_sweep_passes_the_checker() -> None:
    clinic = therapist_bound()
    runs = build_runs(clinic, [Staffing(0), Staffing(1)], (0, 3), OPTIONS, seed=1)
    for run, done in zip(runs, run_all(runs, jobs=1), strict=True):
        assert done.schedule is not None, done.error
        assert check_schedule(run.clinic, done.schedule) == []


def test_more_staff_never_lowers_the_capacity(result: SweepResult) -> None:
    held = [-1 if c.held is None else c.held for c in result.capacities]
    assert [c.staffing.extra for c in result.capacities] == list(EXTRAS)
    assert held == sorted(held), held
    assert held[-1] > held[0], "the extra therapists never mattered: the test binds nothing"
    # Where it saturates, the placement is proven on so small a clinic.
    for c in result.capacities:
        if c.saturates_at is not None:
            assert c.proven, c
    for p in result.points:
        assert isinstance(p.metrics, RunMetrics)
        assert p.metrics.placed <= (p.metrics.proven_max or 0)


def test_the_same_sweep_gives_the_same_figures(result: SweepResult) -> None:
    # A corner of the grid again, in two worker processes instead of in this one.
    again = sweep(therapist_bound(), rates=(0, 6), extras=(0, 2), options=OPTIONS, jobs=2)
    for p in again.points:
        assert p.metrics == result.point(p.staffing, p.rate).metrics


def test_the_files_are_self_contained_and_never_formulas(
    result: SweepResult, tmp_path: Path
) -> None:
    files = sweep_files(result, "Capacity sweep: <tiny>")
    page = files["sweep.html"].decode()
    assert page.count("data:image/png;base64,") == 3
    assert "http" not in page.replace("http-equiv", "") and "<script" not in page
    assert "&lt;tiny&gt;" in page
    rows = list(csv.reader(io.StringIO(files["sweep.csv"].decode())))
    assert rows[1][0] == "'+0 therapists"  # quoted: "+0 …" would be a formula
    book = load_workbook(io.BytesIO(files["sweep.xlsx"]))
    label = book["Capacity"]["A2"]
    assert label.value == "+0 therapists" and label.data_type == "s"
    written = write_sweep(tmp_path / "out", result, "sweep")
    for path in written:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_the_sweep_command_prints_capacity_and_publishes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from scheduler.inputs.workbook import write_workbook

    book = tmp_path / "tiny.xlsx"
    write_workbook(therapist_bound(), book)
    out = tmp_path / "sweep"
    args = ["sweep", str(book), "--admissions", "0:2", "--therapists", "+0:+1", "--jobs", "1"]
    status = main([*args, "--time-limit", "2", "--out", str(out), "--quiet"])
    printed = capsys.readouterr().out
    assert status == 0, printed
    assert "holds/week" in printed and "+1 therapist" in printed
    assert (out / "sweep.html").exists() and (out / "sweep.xlsx").exists()


@pytest.mark.parametrize(
    "wrong",
    [["--admissions", "ten"], ["--blocks", "close:NOPE"], ["--therapists", "+3:+1"]],
)
def test_a_wrong_argument_exits_2_and_writes_nothing(
    wrong: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from scheduler.inputs.workbook import write_workbook

    book = tmp_path / "tiny.xlsx"
    write_workbook(tiny_clinic(1), book)
    out = tmp_path / "sweep"
    assert main(["sweep", str(book), "--out", str(out), *wrong]) == 2
    assert "nothing was written" in capsys.readouterr().err
    assert not out.exists()


def _point(rate: int, placed: int, waitlist: int, bound: int | None) -> Point:
    m = RunMetrics(
        name=f"r{rate}",
        status="FEASIBLE",
        placed=placed,
        waitlist=waitlist,
        proven_max=bound,
        by_priority=(),
        seats_offered=0,
        seats_used=0,
        uses=(),
        staff_hours=0.0,
        evening_hours=0.0,
        saturday_hours=0.0,
        waived_sessions=0,
        short_weeks=0,
        unplaced_reasons={},
    )
    return Point(Staffing(), rate, m)


def test_capacity_is_the_last_rate_before_the_waitlist_grows() -> None:
    # A waitlist of 1 at rate 0 waits whatever the rate: rates 5 and 10 add nobody to it.
    points = [_point(0, 9, 1, 10), _point(5, 14, 1, 15), _point(10, 19, 1, 20)]
    points += [_point(15, 22, 3, 22), _point(20, 26, 4, 30)]
    cap = capacity(Staffing(), points)
    assert (cap.baseline_waitlist, cap.held, cap.saturates_at) == (1, 10, 15)
    assert cap.proven and cap.verdict == PROVEN  # 22 placed of at most 22
    unproven = capacity(Staffing(), [*points[:3], _point(15, 22, 3, 25)])
    assert not unproven.proven and unproven.verdict == NOT_PROVEN
    # A rate the solver found nothing for is where it saturates, not proven.
    failed = Point(Staffing(), 15, RunFailure("r15", "no schedule found (UNKNOWN)"))
    assert capacity(Staffing(), [*points[:3], failed]).saturates_at == 15
    everything = capacity(Staffing(), points[:3])
    assert everything.saturates_at is None and everything.verdict == "holds every rate tried"
