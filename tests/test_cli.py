"""The command line end to end: exit statuses, located errors, nothing half-written."""

from __future__ import annotations

import datetime as dt
import json
import stat
from dataclasses import replace
from pathlib import Path

import pytest
from factory import patient, tiny_clinic, window

from scheduler.cli import EXIT_CHECK_FAILED, EXIT_INPUT, EXIT_NO_SCHEDULE, EXIT_OK, main
from scheduler.domain import Commitment, CommitmentKind, Weekday
from scheduler.inputs.workbook import read_clinic, write_csv_folder, write_workbook


@pytest.fixture
def tiny_xlsx(tmp_path: Path) -> Path:
    path = tmp_path / "clinic.xlsx"
    write_workbook(tiny_clinic(), path)
    return path


def solve(clinic: Path, out: Path, *extra: str) -> int:
    """``iop-scheduler solve`` quietly, on one worker with a 10-second limit."""
    args = ["solve", str(clinic), "--out", str(out), "--time-limit", "10", "--workers", "1"]
    return main([*args, "--quiet", *extra])


def test_validate_clean_input_prints_summary(
    tiny_xlsx: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["validate", str(tiny_xlsx)]) == EXIT_OK
    out = capsys.readouterr().out
    assert "no problems" in out
    assert "3" in out  # three patients in the summary


def test_validate_reports_located_problems_without_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "clinic"
    write_csv_folder(tiny_clinic(), folder)
    patients = folder / "Patients.csv"
    text = patients.read_text(encoding="utf-8")
    patients.write_text(text.replace("2026-11-23", "2026-13-23", 1), encoding="utf-8")
    assert main(["validate", str(folder)]) == EXIT_INPUT
    err = capsys.readouterr().err
    assert "Patients" in err and "admission" in err and "row 2" in err
    assert "Traceback" not in err
    assert "1 error(s)" in err and "nothing was written" not in err  # validate writes nothing
    assert solve(folder, tmp_path / "out") == EXIT_INPUT
    assert "1 error(s) in the input; nothing was written" in capsys.readouterr().err


def test_validate_not_a_workbook(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bogus = tmp_path / "clinic.xlsx"
    bogus.write_text("this is not a spreadsheet")
    assert main(["validate", str(bogus)]) == EXIT_INPUT
    assert "Traceback" not in capsys.readouterr().err


def test_template_reads_back(tmp_path: Path) -> None:
    path = tmp_path / "blank.xlsx"
    assert main(["template", str(path)]) == EXIT_OK
    clinic = read_clinic(path)
    assert clinic.patients == ()


def test_solve_publishes_checked_schedule(tiny_xlsx: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert solve(tiny_xlsx, out) == EXIT_OK
    data = json.loads((out / "schedule.json").read_text())
    assert data
    for name in ("schedule.xlsx", "timetable.html", "schedule.json"):
        mode = (out / name).stat().st_mode
        assert not mode & (stat.S_IRWXG | stat.S_IRWXO), f"{name} is readable by others"
    assert list((out / "calendars").glob("*.ics"))


def test_solve_bad_input_writes_nothing(tmp_path: Path) -> None:
    folder = tmp_path / "clinic"
    write_csv_folder(tiny_clinic(), folder)
    (folder / "Rooms.csv").unlink()
    out = tmp_path / "out"
    assert main(["solve", str(folder), "--out", str(out), "--time-limit", "5"]) == EXIT_INPUT
    assert not out.exists()


def test_export_rewrites_from_saved_schedule(tiny_xlsx: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert solve(tiny_xlsx, out) == EXIT_OK
    again = tmp_path / "again"
    assert main(["export", str(out / "schedule.json"), "--out", str(again)]) == EXIT_OK
    assert (again / "schedule.xlsx").exists()


def test_export_refuses_a_schedule_that_breaks_a_rule(tiny_xlsx: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert solve(tiny_xlsx, out) == EXIT_OK
    saved = out / "schedule.json"
    data = json.loads(saved.read_text())
    group = next(s for s in data["sessions"] if len(s["patients"]) > 1)
    group["patients"] = group["patients"][:1]  # below the minimum group size (G1)
    tampered = tmp_path / "tampered.json"
    tampered.write_text(json.dumps(data))
    again = tmp_path / "again"
    status = main(["export", str(tampered), "--input", str(tiny_xlsx), "--out", str(again)])
    assert status == EXIT_CHECK_FAILED
    assert not again.exists()


def test_solve_goes_ahead_past_planning_warnings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    clinic = tiny_clinic()
    night_shift = patient(
        "P9",
        commitments=tuple(
            Commitment(CommitmentKind.WORK, window(d, "15:00", "23:30")) for d in Weekday
        ),
    )
    path = tmp_path / "clinic.xlsx"
    write_workbook(replace(clinic, patients=(*clinic.patients, night_shift)), path)
    # One notion of errors and warnings: both commands warn, neither refuses.
    assert main(["validate", str(path)]) == EXIT_OK
    checked = capsys.readouterr()
    assert "warning: 1 planning problem(s)" in checked.err and "Patients row 5" in checked.err
    assert "no errors, 1 warning(s)" in checked.out and "nothing was written" not in checked.err
    out = tmp_path / "out"
    assert solve(path, out) == EXIT_OK
    captured = capsys.readouterr()
    assert "warning: 1 planning problem(s)" in captured.err and "P9" in captured.out
    data = json.loads((out / "schedule.json").read_text())
    assert [u["patient"] for u in data["unplaced"]] == ["P9"]


def test_generate_writes_a_clinic_that_validates(tmp_path: Path) -> None:
    path = tmp_path / "gen.xlsx"
    assert main(["generate", str(path), "--patients", "30", "--seed", "3"]) == EXIT_OK
    assert len(read_clinic(path).patients) == 30
    assert main(["validate", str(path)]) == EXIT_OK
    folder = tmp_path / "gen"
    assert main(["generate", str(folder), "--patients", "30", "--seed", "3"]) == EXIT_OK
    assert read_clinic(folder) == read_clinic(path)


def test_generate_refuses_a_size_it_cannot_staff(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "tiny.xlsx"
    assert main(["generate", str(path), "--patients", "3"]) == EXIT_INPUT
    assert "cannot generate" in capsys.readouterr().err
    assert not path.exists()


@pytest.mark.parametrize("shows, expected", [("name", "Patient P1"), ("code", "P1")])
def test_sign_in_sheets_show_names_or_codes(
    tiny_xlsx: Path, tmp_path: Path, shows: str, expected: str
) -> None:
    import openpyxl

    out = tmp_path / shows
    assert solve(tiny_xlsx, out, "--sign-in", shows) == EXIT_OK
    sheet = openpyxl.load_workbook(out / "schedule.xlsx")["Sign-in"]
    cells = {c.value for row in sheet.iter_rows() for c in row}
    assert expected in cells
    assert ("Patient P1" in cells) == (shows == "name")


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    import scheduler

    with pytest.raises(SystemExit) as stop:
        main(["--version"])
    assert stop.value.code == 0
    assert capsys.readouterr().out.strip() == f"iop-scheduler {scheduler.__version__}"


def test_every_option_has_help_text() -> None:
    import argparse

    from scheduler.cli import build_parser

    parser = build_parser()
    subparsers = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    missing = [
        f"{name} {'/'.join(action.option_strings) or action.dest}"
        for name, sub in [("", parser), *subparsers.choices.items()]
        for action in sub._actions
        if not action.help
    ]
    assert missing == []


def test_template_refuses_to_overwrite_without_force(
    tiny_xlsx: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = tiny_xlsx.read_bytes()
    assert main(["template", str(tiny_xlsx)]) == EXIT_INPUT
    assert "--force" in capsys.readouterr().err
    assert tiny_xlsx.read_bytes() == before
    assert main(["template", str(tiny_xlsx), "--force"]) == EXIT_OK
    assert read_clinic(tiny_xlsx).patients == ()


def test_a_blank_template_is_not_clean_and_does_not_solve(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blank = tmp_path / "blank.xlsx"
    assert main(["template", str(blank)]) == EXIT_OK
    capsys.readouterr()
    assert main(["validate", str(blank)]) == EXIT_INPUT
    err = capsys.readouterr().err
    assert "Patients: has no rows — fill in one row per patient" in err
    assert "Therapists: has no rows" in err and "no problems" not in err
    out = tmp_path / "out"
    assert solve(blank, out) == EXIT_INPUT
    assert "Patients: has no rows" in capsys.readouterr().err
    assert not out.exists()


def test_solve_warns_when_no_patient_is_in_the_planning_dates(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    clinic = tiny_clinic()
    later = clinic.settings.week_start + dt.timedelta(weeks=200)
    path = tmp_path / "clinic.xlsx"
    write_workbook(replace(clinic, settings=replace(clinic.settings, week_start=later)), path)
    assert solve(path, tmp_path / "out") == EXIT_OK
    err = capsys.readouterr().err
    assert "none of the 3 patients is in treatment during the planning dates" in err


def test_solve_summary_speaks_coordinator_and_verbose_keeps_the_numbers(
    tiny_xlsx: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["solve", str(tiny_xlsx), "--time-limit", "10", "--workers", "1"]
    assert main([*args, "--out", str(tmp_path / "a")]) == EXIT_OK
    captured = capsys.readouterr()
    assert "All 3 patients placed (the most possible)." in captured.out
    assert "Timetable quality:" in captured.out
    assert "Group sessions held" in captured.out
    for solver_word in ("objective", "best bound", "groups_opened"):
        assert solver_word not in captured.out + captured.err
    # Piped (as under pytest): plain lines, not a bar's control codes.
    assert "\x1b[" not in captured.err and "placed" in captured.err

    assert main([*args, "--out", str(tmp_path / "b"), "--verbose"]) == EXIT_OK
    captured = capsys.readouterr()
    assert "best bound" in captured.out and "objective" in captured.err


def test_the_default_input_is_the_sample_shipped_in_the_package() -> None:
    from scheduler.cli import SAMPLE_INPUT

    assert SAMPLE_INPUT.is_file()
    assert SAMPLE_INPUT.parent.parent.name == "scheduler"


def _run_with_reader_gone(args: list[str], cwd: Path) -> tuple[int, str]:
    """Run the command line with stdout a pipe whose reader has already left (``| head``)."""
    import os
    import subprocess
    import sys

    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "scheduler.cli", *args],
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            cwd=cwd,
            env=os.environ | {"PYTHONPATH": str(Path(__file__).resolve().parent.parent)},
            check=False,
        )
    finally:
        os.close(write_end)
    return done.returncode, done.stderr


def test_validate_into_a_closed_pipe_ends_quietly(tiny_xlsx: Path, tmp_path: Path) -> None:
    status, err = _run_with_reader_gone(["validate", str(tiny_xlsx)], tmp_path)
    assert (status, err) == (EXIT_OK, "")


def test_solve_into_a_closed_pipe_still_publishes(tiny_xlsx: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    args = ["solve", str(tiny_xlsx), "--out", str(out), "--time-limit", "5", "--workers", "1"]
    status, err = _run_with_reader_gone([*args, "--quiet"], tmp_path)
    assert status == EXIT_OK
    assert "Error" not in err and "error" not in err
    assert (out / "schedule.json").exists()


def test_progress_counts_only_the_patients_this_solve_places(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from factory import WEEK

    clinic = tiny_clinic()
    # Admitted on the week's last day: owes no session yet and starts next week.
    late = patient("P9", admission=WEEK + dt.timedelta(days=6))
    path = tmp_path / "clinic.xlsx"
    write_workbook(replace(clinic, patients=(*clinic.patients, late)), path)
    args = ["solve", str(path), "--out", str(tmp_path / "out"), "--time-limit", "10"]
    assert main([*args, "--workers", "1"]) == EXIT_OK
    captured = capsys.readouterr()
    assert "of 3 placed" in captured.err and "of 4" not in captured.err
    assert "All 3 patients placed" in captured.out
    assert "1 patient admitted too late for this plan start next week." in captured.out


def test_solve_with_locks_that_cannot_all_hold_publishes_and_names_the_unmet_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Two individual sessions locked for P1 in a week that allows one: hard locks made
    this exit 3 with nobody placed. Now one lock is unmet, with its reason, and the rest
    is published."""
    from scheduler.domain import Lock

    locks = (Lock("A", "MON-IND", "IND", patient="P1"), Lock("B", "WED-IND", "IND", patient="P1"))
    path = tmp_path / "clinic.xlsx"
    write_workbook(tiny_clinic(locks=locks), path)
    out = tmp_path / "out"
    assert solve(path, out) == EXIT_OK
    printed = capsys.readouterr().out
    data = json.loads((out / "schedule.json").read_text())
    (unmet,) = data["unmet_locks"]
    assert data["unplaced"] == [] and unmet["lock"] in ("A", "B")
    assert "Locks not kept (1):" in printed and f"  {unmet['lock']}: {unmet['reason']}" in printed


@pytest.mark.parametrize(("status", "advice"), [("INFEASIBLE", False), ("UNKNOWN", True)])
def test_only_a_search_out_of_time_is_told_to_run_longer(
    tiny_xlsx: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    status: str,
    advice: bool,
) -> None:
    """A proven INFEASIBLE will not change with more time."""
    import scheduler.model
    from scheduler.schedule import Schedule, SolveStats

    stats = SolveStats(status, None, None, 1.0, 0, 1, 10.0)
    empty = Schedule(tiny_clinic().settings.week_start, 1, (), (), stats)
    monkeypatch.setattr(scheduler.model, "solve", lambda *a, **k: empty)
    assert solve(tiny_xlsx, tmp_path / "out") == EXIT_NO_SCHEDULE
    err = capsys.readouterr().err
    assert f"no schedule found ({status})" in err
    assert ("--time-limit" in err) == advice
