"""Owner-only atomic writes; a publish replaces the outputs whole or leaves them alone."""

from __future__ import annotations

import os
import stat
from dataclasses import replace
from pathlib import Path

import pytest
from test_exports_samples import NOW, sample

import scheduler.safe_write as sw
from scheduler.exports import publish
from scheduler.exports.view import ExportError
from scheduler.safe_write import write_bytes, write_text, write_tree


def mode(p: Path) -> int:
    return stat.S_IMODE(p.stat().st_mode)


def test_write_bytes_replaces_atomically_and_privately(tmp_path: Path) -> None:
    target = tmp_path / "new" / "deeper" / "a.txt"
    write_text(target, "first")
    write_bytes(target, b"second")
    assert target.read_bytes() == b"second"
    assert mode(target) == 0o600
    assert mode(target.parent) == 0o700 and mode(tmp_path / "new") == 0o700
    assert sorted(p.name for p in target.parent.iterdir()) == ["a.txt"]  # no temp left


def test_write_bytes_failure_keeps_the_old_file(tmp_path: Path, monkeypatch) -> None:
    target = tmp_path / "a.txt"
    write_text(target, "old")

    def boom(*_a: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(sw.os, "replace", boom)
    with pytest.raises(OSError, match="disk full"):
        write_text(target, "new")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["a.txt"]


def test_write_tree_swaps_directories_whole_and_leaves_other_files(tmp_path: Path) -> None:
    write_tree(tmp_path, {"calendars/a.ics": b"A", "calendars/b.ics": b"B", "x.txt": b"1"})
    (tmp_path / "schedule.json").write_text("{}")  # written by someone else: untouched
    paths = write_tree(tmp_path, {"calendars/a.ics": b"A2", "x.txt": b"2"})
    assert paths == [tmp_path / "calendars" / "a.ics", tmp_path / "x.txt"]
    assert sorted(p.name for p in (tmp_path / "calendars").iterdir()) == ["a.ics"]
    assert (tmp_path / "calendars" / "a.ics").read_bytes() == b"A2"
    assert (tmp_path / "x.txt").read_bytes() == b"2"
    assert (tmp_path / "schedule.json").read_text() == "{}"
    assert mode(tmp_path / "calendars") == 0o700 and mode(tmp_path / "x.txt") == 0o600
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".staging")]


def test_write_tree_failure_while_staging_changes_nothing(tmp_path: Path, monkeypatch) -> None:
    write_tree(tmp_path, {"calendars/a.ics": b"A", "x.txt": b"1"})
    real = sw._write_new
    calls = []

    def flaky(path: Path, data: bytes) -> None:
        calls.append(path)
        if len(calls) == 2:
            raise OSError("disk full")
        real(path, data)

    monkeypatch.setattr(sw, "_write_new", flaky)
    with pytest.raises(OSError):
        write_tree(tmp_path, {"calendars/a.ics": b"A2", "x.txt": b"2"})
    assert (tmp_path / "calendars" / "a.ics").read_bytes() == b"A"
    assert (tmp_path / "x.txt").read_bytes() == b"1"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["calendars", "x.txt"]


def test_write_tree_failure_while_committing_rolls_back(tmp_path: Path, monkeypatch) -> None:
    write_tree(tmp_path, {"calendars/a.ics": b"A", "x.txt": b"1", "y.txt": b"1"})
    real = os.replace
    moved = []

    def flaky(src: object, dst: object) -> None:
        moved.append(dst)
        if Path(str(dst)).name == "y.txt":  # the last entry, after calendars/ and x.txt
            raise OSError("device gone")
        real(src, dst)  # type: ignore[arg-type]

    monkeypatch.setattr(sw.os, "replace", flaky)
    with pytest.raises(OSError, match="device gone"):
        write_tree(tmp_path, {"calendars/b.ics": b"B", "x.txt": b"2", "y.txt": b"2"})
    assert sorted(p.name for p in (tmp_path / "calendars").iterdir()) == ["a.ics"]
    assert (tmp_path / "x.txt").read_bytes() == b"1"
    assert (tmp_path / "y.txt").read_bytes() == b"1"
    assert len(moved) == 2


@pytest.mark.parametrize("bad", ["../x", "/etc/x", "a/../../x", ".staging-x/y", ""])
def test_write_tree_rejects_paths_outside_the_folder(tmp_path: Path, bad: str) -> None:
    with pytest.raises(ValueError):
        write_tree(tmp_path / "out", {bad: b"x"})


def test_a_failed_publish_leaves_previous_outputs(tmp_path: Path) -> None:
    clinic, schedule = sample()
    publish(clinic, schedule, tmp_path, now=NOW)
    before = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    broken = replace(schedule, sessions=(replace(schedule.sessions[0], room="GONE"),))
    with pytest.raises(ExportError, match="room 'GONE'"):
        publish(clinic, broken, tmp_path, now=NOW)
    after = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    assert after == before
    for p in after:
        assert mode(p) == 0o600
