"""The whatif command end to end on a tiny clinic: every run's schedule checked, the three
outputs (workbook, page, printed table) written owner-only, bad scenarios refused with
located errors and nothing written."""

from __future__ import annotations

import stat
from dataclasses import replace
from pathlib import Path

import pytest
from openpyxl import load_workbook

from scheduler.check import check_schedule
from scheduler.cli import main
from scheduler.domain import GROUP_KINDS
from scheduler.inputs.workbook import write_csv_folder
from scheduler.model import SolveOptions
from scheduler.whatif import labels
from scheduler.whatif.compare import DIFFERENCE
from scheduler.whatif.runner import RunResult, run_all
from scheduler.whatif.scenarios import apply_all
from scheduler.whatif.sheet import parse_scenarios
from scheduler.whatif.side_by_side import CheckFailedError, compare_runs, scenario_runs
from tests.factory import tiny_clinic

OPTIONS = SolveOptions(time_limit_s=2, seed=1, workers=1)
# A name a spreadsheet would run as a formula: it must stay text.
FORMULA_NAME = '=HYPERLINK("http://x","Second room")'
SCENARIO_CSV = (
    "scenario,change,target,new_id,capacity,count\n"
    f'"{FORMULA_NAME.replace(chr(34), chr(34) * 2)}",add_room,R1,R2,6,\n'
    "No Monday evening,close_block,MON-EVE,,,\n"
    "More demand,add_admissions,,,,2\n"
)


def clinic_folder(tmp_path: Path, scenarios: str = SCENARIO_CSV) -> Path:
    folder = tmp_path / "clinic"
    write_csv_folder(tiny_clinic(4), folder)
    (folder / "Scenarios.csv").write_text(scenarios, encoding="utf-8")
    return folder


def test_every_scenarios_schedule_passes_the_checker() -> None:
    clinic = tiny_clinic(4)
    rows: list[tuple[object, ...]] = [("scenario", "change", "target", "new_id", "count")]
    rows += [
        ("Room", "add_room", "R1", "R2", ""),
        ("No Monday", "close_block", "MON-EVE", "", ""),
        ("Demand", "add_admissions", "", "", "2"),
    ]
    scenarios, problems = parse_scenarios(rows)
    assert problems == []
    clinics, problems = apply_all(clinic, scenarios)
    assert problems == []
    runs = scenario_runs(clinic, clinics, OPTIONS)
    results = run_all(runs, jobs=1)
    assert [r.name for r in results] == ["baseline", "Room", "No Monday", "Demand"]
    for run, result in zip(runs, results, strict=True):
        assert result.schedule is not None, result.error
        assert check_schedule(run.clinic, result.schedule) == []
    comparison = compare_runs(runs, results)
    assert comparison.figures.loc["Demand", labels.PLACED] >= 1
    # Each difference is the scenario's figure less the baseline's.
    table = comparison.table
    for name in ("Room", "No Monday", "Demand"):
        for figure in (labels.PLACED, labels.WAITLIST, labels.SEATS_USED):
            assert table.loc[figure, DIFFERENCE + name] == (
                table.loc[figure, name] - table.loc[figure, "baseline"]
            )


def test_a_schedule_that_breaks_a_rule_is_never_compared() -> None:
    clinic = tiny_clinic(4)
    runs = scenario_runs(clinic, {}, OPTIONS)
    [result] = run_all(runs, jobs=1)
    assert result.schedule is not None
    types = clinic.session_type_by_id
    # Every group moved into the two-seat office: over its capacity.
    broken = replace(
        result.schedule,
        sessions=tuple(
            replace(s, room="OFFICE") if types[s.session_type].kind in GROUP_KINDS else s
            for s in result.schedule.sessions
        ),
    )
    with pytest.raises(CheckFailedError):
        compare_runs(runs, [RunResult(result.name, broken)])


def _private(path: Path) -> bool:
    return stat.S_IMODE(path.resolve().stat().st_mode) & 0o077 == 0


def test_whatif_writes_the_three_outputs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = clinic_folder(tmp_path)
    out = tmp_path / "out"
    status = main(
        ["whatif", str(folder), "--out", str(out), "--time-limit", "2", "--jobs", "2", "--quiet"]
    )
    printed = capsys.readouterr().out
    assert status == 0
    for name in ("baseline", "No Monday evening", "More demand", labels.PLACED):
        assert name in printed
    xlsx, page = out / "whatif.xlsx", out / "whatif.html"
    assert _private(xlsx) and _private(page)

    book = load_workbook(xlsx)
    assert {"Side by side", "Figures", "Unplaced reasons", "Runs", "Scenarios"} <= set(
        book.sheetnames
    )
    header = [c.value for c in book["Side by side"][1]]
    assert header[:2] == ["figure", "baseline"]
    assert FORMULA_NAME in header and DIFFERENCE + "More demand" in header
    cells = [c for row in book.worksheets for line in row.iter_rows() for c in line]
    assert all(c.data_type != "f" for c in cells)  # no text became a formula

    text = page.read_text(encoding="utf-8")
    assert text.count("data:image/png;base64,") == 3
    assert "<script" not in text and 'src="http' not in text and "<link" not in text
    assert FORMULA_NAME not in text  # escaped: its quotes are entities
    assert "=HYPERLINK(&quot;" in text


def test_unknown_names_are_located_and_nothing_is_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = clinic_folder(
        tmp_path,
        "scenario,change,target,new_id\nHire,add_therapist,T7,T9\nRenovate,close_room,R9,\n",
    )
    out = tmp_path / "out"
    status = main(["whatif", str(folder), "--out", str(out), "--time-limit", "1", "--quiet"])
    err = capsys.readouterr().err
    assert status == 2
    assert "Scenarios row 2, column target: Hire: unknown therapist 'T7'" in err
    assert "Scenarios row 3, column target: Renovate: unknown room 'R9'" in err
    assert "nothing was written" in err
    assert not out.exists()


def test_scenarios_from_their_own_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = clinic_folder(tmp_path, "scenario,change\n")  # the folder's own: none
    own = tmp_path / "mine.csv"
    own.write_text("scenario,change,target\nBigger,session_type_sizes,GT\n", encoding="utf-8")
    status = main(["whatif", str(folder), "--scenarios", str(own), "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert status == 2  # the row changes nothing: located on the file's row 2
    assert "Scenarios row 2, column min_size" in err


def test_the_same_comparison_one_by_one_and_in_a_pool() -> None:
    clinic = tiny_clinic(4)
    rows: list[tuple[object, ...]] = [("scenario", "change", "target", "count")]
    rows += [("Close", "close_block", "WED-EVE", ""), ("Demand", "add_admissions", "", "2")]
    scenarios, _ = parse_scenarios(rows)
    clinics, _ = apply_all(clinic, scenarios, seed=4)
    runs = scenario_runs(clinic, clinics, OPTIONS)
    alone = compare_runs(runs, run_all(runs, jobs=1))
    pooled = compare_runs(runs, run_all(runs, jobs=2))
    assert alone.figures.equals(pooled.figures)
    assert alone.table.equals(pooled.table)


def test_the_template_has_a_blank_scenarios_sheet(tmp_path: Path) -> None:
    from scheduler.whatif.sheet import SCENARIOS, read_scenarios

    path = tmp_path / "blank.xlsx"
    assert main(["template", str(path)]) == 0
    sheet = load_workbook(path)["Scenarios"]
    assert [c.value for c in sheet[1]] == list(SCENARIOS.names)
    scenarios, problems = read_scenarios(path)
    assert scenarios == [] and [p.message for p in problems] == [f"no scenarios found in {path}"]
