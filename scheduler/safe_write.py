"""Owner-only, all-or-nothing writes of output files.

Outputs hold patient data (42 CFR Part 2), so every file is created ``0o600`` and every
directory ``0o700``. A single file is written to a temporary file beside it and renamed
over the old one, so readers see the old file or the new one, never half of either.

:func:`write_tree` publishes a set of files as one unit: everything is first written into a
staging directory inside the output folder (same file system, so renames are atomic); only
when all of it is on disk are the entries moved into place, and if a move fails the ones
already moved are put back. A run that fails while rendering or staging leaves the previous
outputs untouched.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path, PurePosixPath

FILE_MODE = 0o600
DIR_MODE = 0o700
_STAGING_PREFIX = ".staging-"


def _fsync_dir(path: Path) -> None:
    # Makes the rename itself durable; not every platform can open a directory.
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def make_private_dir(path: Path) -> None:
    """Create ``path`` (and parents) as owner-only directories where they do not exist."""
    missing = []
    p = path
    while not p.exists():
        missing.append(p)
        p = p.parent
    for d in reversed(missing):
        d.mkdir(mode=DIR_MODE, exist_ok=True)
        os.chmod(d, DIR_MODE)  # mkdir's mode is filtered by the umask


def _write_new(path: Path, data: bytes) -> None:
    """Write ``data`` to a fresh owner-only file at ``path``."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    try:
        os.fchmod(fd, FILE_MODE)
        view = memoryview(data)
        while view:
            written = os.write(fd, view)
            view = view[written:]
        os.fsync(fd)
    finally:
        os.close(fd)


def write_bytes(path: Path, data: bytes) -> None:
    """Atomically replace ``path`` with ``data``, owner-readable only."""
    path = Path(path)
    make_private_dir(path.parent)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        tmp.unlink()
        _write_new(tmp, data)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    _fsync_dir(path.parent)


def write_text(path: Path, text: str) -> None:
    """Atomically replace ``path`` with ``text`` in UTF-8, owner-readable only."""
    write_bytes(path, text.encode("utf-8"))


def _check_relative(name: str) -> PurePosixPath:
    rel = PurePosixPath(name)
    if rel.is_absolute() or not rel.parts or any(p in ("", ".", "..") for p in rel.parts):
        raise ValueError(f"output path {name!r} must be relative and stay inside the folder")
    if rel.parts[0].startswith(_STAGING_PREFIX):
        raise ValueError(f"output path {name!r} uses a reserved name")
    return rel


def write_tree(out_dir: Path, files: Mapping[str, bytes]) -> list[Path]:
    """Publish ``files`` (relative POSIX path → content) into ``out_dir`` as one unit.

    Each top-level entry is replaced whole: a top-level directory (e.g. ``calendars/``) is
    swapped for the new one, so files no longer published (a feed whose consent was
    withdrawn) disappear with it. Top-level files not in ``files`` are left alone.
    Returns the written paths in the order given.
    """
    out_dir = Path(out_dir)
    rels = [_check_relative(name) for name in files]
    make_private_dir(out_dir)
    staging = Path(tempfile.mkdtemp(prefix=_STAGING_PREFIX, dir=out_dir))
    try:
        os.chmod(staging, DIR_MODE)
        new_dir = staging / "new"
        old_dir = staging / "old"
        new_dir.mkdir(mode=DIR_MODE)
        old_dir.mkdir(mode=DIR_MODE)
        for rel, data in zip(rels, files.values(), strict=True):
            target = new_dir.joinpath(*rel.parts)
            make_private_dir(target.parent)
            _write_new(target, data)
        _commit(out_dir, new_dir, old_dir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    _fsync_dir(out_dir)
    return [out_dir.joinpath(*rel.parts) for rel in rels]


def _commit(out_dir: Path, new_dir: Path, old_dir: Path) -> None:
    """Move every staged top-level entry into ``out_dir``; undo all moves on failure."""
    done: list[tuple[Path, Path | None]] = []  # (target, backup or None), in move order
    try:
        for staged in sorted(new_dir.iterdir()):
            target = out_dir / staged.name
            backup = old_dir / staged.name
            if target.is_dir() and not target.is_symlink():
                os.rename(target, backup)
                done.append((target, backup))
                os.rename(staged, target)
            elif target.exists() or target.is_symlink():
                # Keep a copy for undo, then swap the file in one atomic rename: a reader
                # never finds it missing.
                try:
                    os.link(target, backup, follow_symlinks=False)
                except OSError:
                    shutil.copy2(target, backup, follow_symlinks=False)
                done.append((target, backup))
                os.replace(staged, target)
            else:
                done.append((target, None))
                os.replace(staged, target)
    except BaseException:
        for moved, kept in reversed(done):
            _undo(moved, kept)
        raise


def _undo(target: Path, backup: Path | None) -> None:
    if backup is not None and not backup.exists() and not backup.is_symlink():
        return  # the old entry was never moved away
    with contextlib.suppress(OSError):
        if target.is_dir() and not target.is_symlink():
            shutil.rmtree(target)
        elif target.exists() or target.is_symlink():
            target.unlink()
    if backup is not None:
        with contextlib.suppress(OSError):
            os.rename(backup, target)
