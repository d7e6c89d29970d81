"""Owner-only atomic writes; a publish switches the whole output folder in one rename."""

from __future__ import annotations

import datetime as dt
import fcntl
import itertools
import logging
import os
import shutil
import stat
import types
import uuid
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest
from test_exports_samples import NOW, sample

import scheduler.exports as exports
import scheduler.exports.ical as ical
import scheduler.safe_write as sw
from scheduler.exports import publish, render
from scheduler.exports.ical import UidMap
from scheduler.exports.options import PublishOptions
from scheduler.exports.view import ExportError
from scheduler.safe_write import write_bytes, write_text, write_tree


def mode(p: Path) -> int:
    return stat.S_IMODE(p.stat().st_mode)


def _content(path: Path) -> bytes:
    if not zipfile.is_zipfile(path):
        return path.read_bytes()
    # A workbook's bytes carry the time it was zipped: compare what it holds instead.
    with zipfile.ZipFile(path) as z:
        return b"".join(z.read(n) for n in sorted(z.namelist()) if n != "docProps/core.xml")


def visible(out: Path) -> dict[str, bytes]:
    """What a user sees in ``out``: every file under a non-hidden name, links followed."""
    seen = {}
    for top in sorted(out.iterdir()):
        if top.name.startswith("."):
            continue
        if top.is_dir():
            for dirpath, _, names in os.walk(top, followlinks=True):
                for name in names:
                    path = Path(dirpath, name)
                    seen[path.relative_to(out).as_posix()] = _content(path)
        else:
            seen[top.name] = _content(top)
    return seen


def uids(out: Path) -> set[str]:
    found = set()
    for feed in (out / "calendars").glob("*.ics"):
        found |= {line.strip() for line in feed.read_text().splitlines() if line.startswith("UID:")}
    return found


def hidden(out: Path) -> list[str]:
    return sorted(p.name for p in out.iterdir() if p.name.startswith("."))


# --------------------------------------------------------------------------------------
# Single files.


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


# --------------------------------------------------------------------------------------
# Versions.


def test_write_tree_publishes_a_version_behind_stable_links(tmp_path: Path) -> None:
    write_tree(tmp_path, {"calendars/a.ics": b"A", "calendars/b.ics": b"B", "x.txt": b"1"})
    (tmp_path / "notes.txt").write_text("mine")  # a user's file beside the outputs: untouched
    paths = write_tree(tmp_path, {"calendars/a.ics": b"A2", "x.txt": b"2"})
    assert paths == [tmp_path / "calendars" / "a.ics", tmp_path / "x.txt"]
    # b.ics is no longer published (e.g. consent withdrawn): it went with the old version.
    assert visible(tmp_path) == {"calendars/a.ics": b"A2", "notes.txt": b"mine", "x.txt": b"2"}
    assert os.readlink(tmp_path / "calendars") == ".current/calendars"
    assert os.readlink(tmp_path / "x.txt") == ".current/x.txt"
    assert os.readlink(tmp_path / ".current") == ".versions/2"
    version = tmp_path / ".versions" / "2"
    assert mode(tmp_path / ".versions") == 0o700 and mode(version) == 0o700
    assert mode(version / "calendars") == 0o700 and mode(version / "x.txt") == 0o600
    assert mode(version / "calendars" / "a.ics") == 0o600
    assert hidden(tmp_path) == [".current", ".lock", ".versions"]


def test_only_the_published_version_and_the_one_before_are_kept(tmp_path: Path) -> None:
    for n in range(4):
        write_tree(tmp_path, {"x.txt": str(n).encode()})
    assert sorted(p.name for p in (tmp_path / ".versions").iterdir()) == ["3", "4"]
    assert (tmp_path / ".versions" / "3" / "x.txt").read_bytes() == b"2"
    assert visible(tmp_path) == {"x.txt": b"3"}


def test_top_level_names_not_written_stay_published(tmp_path: Path) -> None:
    # `export` writes no schedule.json; the one from the last solve stays beside the rest.
    write_tree(tmp_path, {"calendars/a.ics": b"A", "schedule.json": b"{}"})
    write_tree(tmp_path, {"calendars/a.ics": b"A2"})
    assert visible(tmp_path) == {"calendars/a.ics": b"A2", "schedule.json": b"{}"}
    assert (tmp_path / ".versions" / "2" / "schedule.json").read_bytes() == b"{}"


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
    assert visible(tmp_path) == {"calendars/a.ics": b"A", "x.txt": b"1"}
    assert hidden(tmp_path) == [".current", ".lock", ".versions"]  # no staging left


@pytest.mark.parametrize(
    "bad", ["../x", "/etc/x", "a/../../x", ".staging-x/y", ".versions/1/x", ".current", ""]
)
def test_write_tree_rejects_paths_outside_the_folder(tmp_path: Path, bad: str) -> None:
    with pytest.raises(ValueError):
        write_tree(tmp_path / "out", {bad: b"x"})


def test_a_second_publish_into_the_same_folder_is_refused(tmp_path: Path) -> None:
    write_tree(tmp_path, {"x.txt": b"1"})
    fd = os.open(tmp_path / ".lock", os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # as a publish that is still running holds it
        with pytest.raises(sw.PublishBusyError, match="another publish"):
            write_tree(tmp_path, {"x.txt": b"2"})
    finally:
        os.close(fd)
    assert visible(tmp_path) == {"x.txt": b"1"}


# --------------------------------------------------------------------------------------
# Leftovers of a killed run, and files that are not ours.


def test_stale_staging_and_unswitched_versions_are_removed_and_reported(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    write_tree(tmp_path, {"x.txt": b"1"})
    staging = tmp_path / ".staging-abc123"
    (staging / "calendars").mkdir(parents=True)
    (staging / "calendars" / "P1.ics").write_text("a patient's name")
    unswitched = tmp_path / ".versions" / "7"  # finished, but killed before the switch
    unswitched.mkdir()
    (unswitched / "x.txt").write_text("never published")
    with caplog.at_level(logging.WARNING, logger="scheduler.safe_write"):
        write_tree(tmp_path, {"x.txt": b"2"})
    assert not staging.exists() and not unswitched.exists()
    assert visible(tmp_path) == {"x.txt": b"2"}
    assert sorted(p.name for p in (tmp_path / ".versions").iterdir()) == ["1", "2"]
    reported = "\n".join(r.getMessage() for r in caplog.records)
    assert f"removed {staging}, left by an interrupted publish" in reported
    assert f"removed {unswitched}, left by an interrupted publish" in reported


def test_a_user_file_in_calendars_is_never_deleted(tmp_path: Path) -> None:
    write_tree(tmp_path, {"calendars/a.ics": b"A", "x.txt": b"1"})
    (tmp_path / "calendars" / "notes.txt").write_text("mine")
    before = visible(tmp_path)
    with pytest.raises(sw.ForeignFilesError, match=r"calendars/notes.txt was not written"):
        write_tree(tmp_path, {"calendars/a.ics": b"A2", "x.txt": b"2"})
    assert visible(tmp_path) == before
    # Moved away as the message says, the next publish goes through.
    (tmp_path / "calendars" / "notes.txt").unlink()
    write_tree(tmp_path, {"calendars/a.ics": b"A2", "x.txt": b"2"})
    assert visible(tmp_path) == {"calendars/a.ics": b"A2", "x.txt": b"2"}


def test_a_user_file_in_an_old_layout_calendars_folder_is_never_deleted(
    tmp_path: Path,
) -> None:
    (tmp_path / "calendars").mkdir()
    (tmp_path / "calendars" / "a.ics").write_bytes(b"A")
    (tmp_path / "calendars" / "README").write_text("mine")
    with pytest.raises(sw.ForeignFilesError, match=r"calendars/README was not written"):
        write_tree(tmp_path, {"calendars/a.ics": b"A2"})
    assert visible(tmp_path) == {"calendars/README": b"mine", "calendars/a.ics": b"A"}


def test_publish_reports_a_user_file_as_an_export_error(tmp_path: Path) -> None:
    clinic, schedule = sample()
    publish(clinic, schedule, tmp_path, now=NOW)
    (tmp_path / "calendars" / "mine.ics.bak").write_text("x")
    with pytest.raises(ExportError, match="move it somewhere else"):
        publish(clinic, schedule, tmp_path, now=NOW)


def test_a_failed_publish_leaves_previous_outputs(tmp_path: Path) -> None:
    clinic, schedule = sample()
    publish(clinic, schedule, tmp_path, now=NOW)
    before = visible(tmp_path)
    broken = replace(schedule, sessions=(replace(schedule.sessions[0], room="GONE"),))
    with pytest.raises(ExportError, match="room 'GONE'"):
        publish(clinic, broken, tmp_path, now=NOW)
    assert visible(tmp_path) == before
    version = tmp_path / ".current"
    for path in version.resolve().rglob("*"):
        assert mode(path) == (0o700 if path.is_dir() else 0o600)


# --------------------------------------------------------------------------------------
# Killed at every step.


class Killed(BaseException):
    """The process died: nothing after this point runs, not even clean-up."""


_CHANGES = ("rename", "replace", "symlink", "link", "mkdir", "unlink", "rmdir")


def die_after(monkeypatch: pytest.MonkeyPatch, survive: int) -> list[str]:
    """Let ``survive`` file-system changes happen; every later one raises :class:`Killed`,
    so a crash leaves exactly what a killed process would (no rollback, no clean-up)."""
    calls: list[str] = []

    def wrap(name: str, real: object) -> object:
        def change(*args: object, **kwargs: object) -> object:
            calls.append(name)
            if len(calls) > survive:
                raise Killed(name)
            return real(*args, **kwargs)  # type: ignore[operator]

        return change

    for name in _CHANGES:
        monkeypatch.setattr(os, name, wrap(name, getattr(os, name)))
    # Durability against power loss is not what is tested here, and at every kill point
    # the fsyncs would cost most of the test's time.
    monkeypatch.setattr(os, "fsync", lambda _fd: None)
    monkeypatch.setattr(sw, "_write_new", wrap("write", sw._write_new))
    return calls


def _minted(day: int) -> types.SimpleNamespace:
    """UIDs minted in the same order on every run, so that a killed run's new version can
    be compared with the reference run's byte for byte."""
    numbers = itertools.count(day * 1000 + 1)
    return types.SimpleNamespace(uuid4=lambda: uuid.UUID(int=next(numbers)))


def _deterministic_and_quick(m: pytest.MonkeyPatch, day: int) -> None:
    m.setattr(ical, "uuid", _minted(day))
    # The workbook takes most of a publish's time and plays no part in UIDs; a stand-in
    # keeps the kill tests (three publishes per kill point) short.
    m.setattr(exports, "build_workbook", lambda *_a: f"workbook of day {day}".encode())


def _publish_at(out: Path, day: int) -> None:
    """Day 0 publishes one week; later days two, so the publish that is killed adds
    events whose fresh UIDs must survive it if they were ever shown."""
    clinic, schedule = sample(weeks=1 if day == 0 else 2)
    with pytest.MonkeyPatch.context() as m:
        _deterministic_and_quick(m, day)
        publish(clinic, schedule, out, now=NOW + dt.timedelta(days=day))


def _files_at(out: Path, day: int) -> dict[str, bytes]:
    """What ``_publish_at(out, day)`` writes, rendered once (the write is what is killed)."""
    clinic, schedule = sample(weeks=1 if day == 0 else 2)
    uid_map = UidMap.loads(sw.published_path(out, "uid_map.json").read_bytes())
    with pytest.MonkeyPatch.context() as m:
        _deterministic_and_quick(m, day)
        now = NOW + dt.timedelta(days=day)
        return dict(render(clinic, schedule, uid_map, now=now, options=PublishOptions()).files)


def _old_layout(out: Path) -> None:
    """The outputs as written before versions existed: real files, a real calendars/."""
    clinic, schedule = sample()
    with pytest.MonkeyPatch.context() as m:
        _deterministic_and_quick(m, 0)
        rendered = render(clinic, schedule, UidMap(), now=NOW, options=PublishOptions())
    for name, data in rendered.files.items():
        write_bytes(out / name, data)


def _steps(base: Path, scratch: Path, files: dict[str, bytes], monkeypatch) -> int:
    """How many file-system changes a whole publish into a copy of ``base`` makes."""
    shutil.copytree(base, scratch, symlinks=True)
    calls = die_after(monkeypatch, 10**9)
    write_tree(scratch, files)
    monkeypatch.undo()
    return len(calls)


@pytest.mark.parametrize("layout", ["versions", "old"])
def test_killed_at_any_step_the_folder_is_wholly_old_or_wholly_new(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, layout: str
) -> None:
    base = tmp_path / "base"  # the folder before the publish that is killed
    base.mkdir()
    if layout == "old":
        _old_layout(base)
    else:
        _publish_at(base, 0)
        _publish_at(base, 0)  # two versions: the killed publish also prunes, after its switch
    old, first_uids = visible(base), uids(base)
    files = _files_at(base, 1)
    steps = _steps(base, tmp_path / "reference", files, monkeypatch)
    new = visible(tmp_path / "reference")
    assert steps > 10 and old != new
    states = set()
    for k in range(steps):
        out = tmp_path / f"k{k}"
        shutil.copytree(base, out, symlinks=True)
        die_after(monkeypatch, k)
        with pytest.raises(Killed):
            write_tree(out, files)
        monkeypatch.undo()
        seen = visible(out)
        if layout == "old" and not any(n.startswith("calendars/") for n in seen):
            # Turning the old real calendars/ into a link takes two renames: the one
            # window, once per folder, in which it is missing. The rest is still old.
            assert seen == {n: b for n, b in old.items() if not n.startswith("calendars/")}
        else:
            assert seen in (old, new), f"killed after {k} of {steps} changes: a mix"
        states.add("old" if seen == old else "new" if seen == new else "calendars missing")
        shown = uids(out)
        _publish_at(out, 2)  # the next run repairs, cleans up and keeps every UID shown
        assert first_uids | shown <= uids(out), f"killed after {k} of {steps} changes"
        assert not [n for n in hidden(out) if n not in (".current", ".lock", ".versions")]
    if layout == "old":
        # Adopting the old folder ends with its switch; the new version's switch is the
        # publish's last change, so a kill always leaves the old content.
        assert states == {"old", "calendars missing"}
    else:
        assert states == {"old", "new"}  # kills before and after the switch


def test_a_user_file_in_the_version_before_is_never_deleted(tmp_path: Path) -> None:
    # A shell or a file dialog opened in out/calendars/ stays in that version's folder
    # after the switch; a file saved there would go when the version is pruned.
    write_tree(tmp_path, {"calendars/a.ics": b"A"})
    write_tree(tmp_path, {"calendars/a.ics": b"A2"})
    mine = tmp_path / ".versions" / "1" / "calendars" / "mine.txt"
    mine.write_text("mine")
    with pytest.raises(sw.ForeignFilesError, match=str(mine)):
        write_tree(tmp_path, {"calendars/a.ics": b"A3"})
    assert mine.read_text() == "mine"


def test_withdrawn_names_leave_with_the_old_version_and_user_files_stay(tmp_path: Path) -> None:
    write_tree(tmp_path, {"a.txt": b"a", "changes.csv": b"old report"})
    (tmp_path / "mine.csv").write_bytes(b"the user's")
    write_tree(tmp_path, {"a.txt": b"a2"}, withdraw=("changes.csv", "mine.csv"))
    assert not (tmp_path / "changes.csv").exists() and not (tmp_path / "changes.csv").is_symlink()
    assert "changes.csv" not in os.listdir(tmp_path / ".current")
    assert (tmp_path / "mine.csv").read_bytes() == b"the user's"  # not ours: untouched
    # Without ``withdraw`` a name not written is carried on, as before.
    write_tree(tmp_path, {"changes.csv": b"new report"})
    write_tree(tmp_path, {"a.txt": b"a3"})
    assert (tmp_path / "changes.csv").read_bytes() == b"new report"
