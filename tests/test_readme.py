"""Every command the README shows works as written, in a fresh shell, after `make run`."""

from __future__ import annotations

import argparse
import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

from scheduler.cli import build_parser

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
WRAPPER = ROOT / "iop-scheduler"


def fenced(language: str) -> list[list[str]]:
    """The lines of each fenced block in ``language``."""
    pattern = rf"^```{language}\n(.*?)^```"
    return [m.group(1).splitlines() for m in re.finditer(pattern, README, re.M | re.S)]


def shell_commands() -> list[str]:
    """Each command line of the README's bash blocks, without its comment."""
    lines = [line for block in fenced("bash") for line in block]
    return [" ".join(shlex.split(line, comments=True)) for line in lines if line.strip()]


def tool_commands() -> list[list[str]]:
    return [shlex.split(c)[1:] for c in shell_commands() if c.startswith("./iop-scheduler")]


def synopsis() -> list[str]:
    """The 'In full' usage lines, each command with its continuation lines joined."""
    entries: list[str] = []
    for line in (line for block in fenced("text") for line in block):
        if line.startswith("iop-scheduler "):
            entries.append(line)
        elif entries and line.startswith(" "):
            entries[-1] += " " + line.strip()
    return entries


def subparsers() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def test_the_readme_shows_commands() -> None:
    assert len(tool_commands()) >= 5
    assert {"make run", "make test"} <= set(shell_commands())


def test_every_command_works_in_a_fresh_shell() -> None:
    # A bare `iop-scheduler` is "command not found" until .venv is activated.
    for command in shell_commands():
        assert command.startswith(("./iop-scheduler", "make ", ".venv/bin/")), command


@pytest.mark.parametrize("args", tool_commands(), ids=" ".join)
def test_each_tool_command_parses(args: list[str]) -> None:
    try:
        parsed = build_parser().parse_args(args)
    except SystemExit as stop:  # --help and --version end here, successfully
        assert stop.code == 0
    else:
        assert callable(parsed.func)


def test_the_synopsis_names_every_command_and_only_real_options() -> None:
    commands = subparsers()
    documented = {entry.split()[1] for entry in synopsis()}
    assert documented == set(commands)
    for entry in synopsis():
        name = entry.split()[1]
        known = {s for a in commands[name]._actions for s in a.option_strings}
        assert set(re.findall(r"--[a-z][a-z-]*", entry)) <= known, entry


@pytest.mark.skipif(not (ROOT / ".venv" / "bin" / "iop-scheduler").exists(), reason="no .venv")
def test_the_tool_commands_run_as_written(tmp_path: Path) -> None:
    """In order, through ./iop-scheduler, in a folder laid out like the checkout (its
    .venv and data/ linked), so that what they write lands in tmp_path. The one change:
    solve gets a short time limit."""
    shutil.copy(WRAPPER, tmp_path / "iop-scheduler")
    (tmp_path / ".venv").symlink_to(ROOT / ".venv")
    (tmp_path / "data").symlink_to(ROOT / "data")
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    for command in (c for c in shell_commands() if c.startswith("./iop-scheduler")):
        if any(f" {verb} " in f"{command} " for verb in ("solve", "next-week")):
            command += " --time-limit 2 --workers 1"
        done = subprocess.run(
            command, shell=True, cwd=tmp_path, env=env, capture_output=True, text=True
        )
        assert done.returncode == 0, f"{command}\n{done.stdout}\n{done.stderr}"
        assert "Traceback" not in done.stderr


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_make_commands_name_real_targets() -> None:
    for command in (c for c in shell_commands() if c.startswith("make ")):
        done = subprocess.run(
            [*shlex.split(command), "-n"], cwd=ROOT, capture_output=True, text=True
        )
        assert done.returncode == 0, f"{command}: {done.stderr}"


def test_python_module_commands_start() -> None:
    for command in (c for c in shell_commands() if c.startswith(".venv/bin/python -m ")):
        module = shlex.split(command)[2]
        done = subprocess.run(
            [*shlex.split(command), "--help"], cwd=ROOT, capture_output=True, text=True
        )
        assert done.returncode == 0, f"{command}: {done.stderr}"
        assert module in done.stdout or "usage" in done.stdout


def test_the_wrapper_says_what_to_do_before_make_run(tmp_path: Path) -> None:
    shutil.copy(WRAPPER, tmp_path / "iop-scheduler")
    done = subprocess.run(
        ["./iop-scheduler", "--help"], cwd=tmp_path, capture_output=True, text=True
    )
    assert done.returncode != 0
    assert "make run" in done.stderr


def test_the_wrapper_suggests_commands_in_its_own_form(tmp_path: Path) -> None:
    if not (ROOT / ".venv" / "bin" / "iop-scheduler").exists():
        pytest.skip("no .venv")
    shutil.copy(WRAPPER, tmp_path / "iop-scheduler")
    (tmp_path / ".venv").symlink_to(ROOT / ".venv")
    done = subprocess.run(
        ["./iop-scheduler", "template", "mine.xlsx"], cwd=tmp_path, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert "  ./iop-scheduler validate mine.xlsx" in done.stdout
