"""Owner-only, all-or-nothing writes of output files.

Outputs hold patient data (42 CFR Part 2), so every file is created ``0o600`` and every
directory ``0o700``. A single file is written to a temporary file beside it and renamed
over the old one, so readers see the old file or the new one, never half of either.

:func:`write_tree` publishes a set of files as one version. The output folder looks like::

    out/schedule.xlsx  -> .current/schedule.xlsx     (one link per published entry)
    out/calendars      -> .current/calendars
    out/.current       -> .versions/7                (the one pointer that is switched)
    out/.versions/7/   the published files, and .manifest listing them
    out/.versions/6/   the version before, kept for one more publish

A new version is written into a ``.staging-*`` folder, renamed to ``.versions/<n>`` once
complete, and published by renaming one new symlink over ``.current``: killed at any
moment, the folder shows the old version or the new one, never a mix, and ``uid_map.json``
always belongs to the feeds beside it. The links from ``out/<name>`` into ``.current`` are
made once and stay. Leftovers of a killed run (staging folders, a finished version never
switched to) are removed by the next run, with a warning. Files a user put among the
published ones (``out/calendars/notes.txt``) are never deleted: the publish refuses and
names them.

An output folder written before versions existed (real files and a real ``calendars/``)
is first copied into a version of its own and linked, so its files stay visible until the
switch. Turning the real ``calendars/`` into a link takes two renames; a run killed between
them leaves ``out/calendars`` missing until the next run puts it back (once per folder).
"""

from __future__ import annotations

import contextlib
import fcntl  # POSIX only, like the symlinks the layout is built on
import logging
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path, PurePosixPath

FILE_MODE = 0o600
DIR_MODE = 0o700
VERSIONS = ".versions"
POINTER = ".current"
MANIFEST = ".manifest"
# The published version and the one before it: enough to look back once, while every
# extra copy is one more place holding patient names.
KEEP_VERSIONS = 2
_STAGING_PREFIX = ".staging-"
_LOCK = ".lock"

log = logging.getLogger(__name__)


class PublishError(Exception):
    """A publish that was refused before anything was written; the message says why."""


class PublishBusyError(PublishError):
    """Another publish into the same folder is running."""


class ForeignFilesError(PublishError):
    """Files that the scheduler did not write sit where a publish would replace them."""

    def __init__(self, out_dir: Path, paths: list[Path]) -> None:
        shown = ", ".join(str(p) for p in paths[:10])
        more = f" and {len(paths) - 10} more" if len(paths) > 10 else ""
        one = len(paths) == 1
        super().__init__(
            f"{shown}{more} {'was' if one else 'were'} not written by the scheduler, and a "
            f"publish replaces the folders in {out_dir} whole; move {'it' if one else 'them'} "
            "somewhere else and publish again"
        )
        self.paths = paths


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
    if rel.parts[0].startswith("."):
        # Hidden names at the top hold the versions, the pointer and staging folders.
        raise ValueError(f"output path {name!r} uses a reserved name")
    return rel


# --------------------------------------------------------------------------------------
# Reading the folder's state.


def _version_number(name: str) -> int | None:
    return int(name) if name.isdigit() else None


def current_version(out_dir: Path) -> Path | None:
    """The published version's folder, or ``None`` before the first versioned publish."""
    pointer = Path(out_dir) / POINTER
    if not pointer.is_symlink():
        return None
    target = out_dir / os.readlink(pointer)
    return target if target.is_dir() else None


def published_path(out_dir: Path, name: str) -> Path:
    """Where the published ``name`` is read: in the current version (so a file read there
    always belongs with the rest of that version), else where the old layout kept it."""
    version = current_version(Path(out_dir))
    rel = _check_relative(name)
    base = version if version is not None else Path(out_dir)
    return base.joinpath(*rel.parts)


def _versions(out_dir: Path) -> dict[int, Path]:
    folder = out_dir / VERSIONS
    if not folder.is_dir():
        return {}
    found = {}
    for entry in folder.iterdir():
        number = _version_number(entry.name)
        if number is not None and entry.is_dir() and not entry.is_symlink():
            found[number] = entry
    return found


def _manifest(version: Path) -> set[str]:
    try:
        return set((version / MANIFEST).read_text(encoding="utf-8").splitlines())
    except FileNotFoundError:
        return set()


def _files_under(root: Path) -> Iterable[Path]:
    """Every non-directory entry below ``root`` (symlinks are not followed)."""
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames:
            if Path(dirpath, name).is_symlink():
                yield Path(dirpath, name)
        yield from (Path(dirpath, name) for name in filenames)


def _foreign_files(out_dir: Path, top_names: set[str]) -> list[Path]:
    """Files the scheduler did not write, in places a publish replaces or prunes; shown as
    the user sees them (``out/calendars/notes.txt``)."""
    found: list[Path] = []
    current = current_version(out_dir)
    last = _version_number(current.name) if current is not None else None
    for number, version in _versions(out_dir).items():
        if last is None or number > last:
            continue  # never published, so never seen by a user: removed as stale
        listed = _manifest(version) | {MANIFEST}
        for path in _files_under(version):
            rel = path.relative_to(version).as_posix()
            if rel not in listed:
                # Through out/<name> when it is where the user put it, else where it is.
                found.append(out_dir / rel if number == last else path)
    # The old layout: a real folder among the outputs held the feeds and nothing else.
    for name in sorted(top_names):
        folder = out_dir / name
        if folder.is_dir() and not folder.is_symlink():
            found.extend(p for p in _files_under(folder) if p.suffix != ".ics" or p.is_symlink())
    return sorted(found)


# --------------------------------------------------------------------------------------
# Cleaning up after a run that was killed.


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink()


def _clean_stale(out_dir: Path) -> list[Path]:
    """Remove what a killed run left behind and say so: staging folders (they hold patient
    names) and versions written but never switched to. Returns what was removed."""
    current = current_version(out_dir)
    current_number = _version_number(current.name) if current is not None else None
    stale = sorted(p for p in out_dir.iterdir() if p.name.startswith(_STAGING_PREFIX))
    stale += sorted(
        p
        for p in out_dir.iterdir()
        if p.name.startswith(f"{POINTER}.") and p.is_symlink()  # a pointer never renamed
    )
    for number, version in sorted(_versions(out_dir).items()):
        if current_number is None or number > current_number:
            stale.append(version)
    for path in stale:
        _remove(path)
        log.warning("removed %s, left by an interrupted publish (it held patient data)", path)
    return stale


# --------------------------------------------------------------------------------------
# Writing a version and switching to it.


def _stage(out_dir: Path, files: Mapping[PurePosixPath, bytes]) -> Path:
    """A complete new version in a staging folder, its manifest written last."""
    staging = Path(tempfile.mkdtemp(prefix=_STAGING_PREFIX, dir=out_dir))
    try:
        os.chmod(staging, DIR_MODE)
        for rel, data in files.items():
            target = staging.joinpath(*rel.parts)
            make_private_dir(target.parent)
            _write_new(target, data)
        listed = "".join(f"{rel.as_posix()}\n" for rel in sorted(files))
        _write_new(staging / MANIFEST, listed.encode("utf-8"))
    except BaseException:
        # A failure we live through (disk full, Ctrl-C) cleans up now; a killed run is
        # cleaned up by the next one.
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return staging


def _carried(out_dir: Path, new: set[str]) -> dict[PurePosixPath, bytes]:
    """Files of the current version under top-level names this publish does not write
    (``export`` writes no ``schedule.json``): they stay published, as before versions."""
    version = current_version(out_dir)
    if version is None:
        return {}
    kept = {}
    for rel in sorted(_manifest(version)):
        path = PurePosixPath(rel)
        if path.parts[0] not in new:
            kept[path] = version.joinpath(*path.parts).read_bytes()
    return kept


def _install(out_dir: Path, staging: Path) -> Path:
    """Rename the finished staging folder to the next version number."""
    versions = out_dir / VERSIONS
    make_private_dir(versions)
    number = max(_versions(out_dir), default=0) + 1
    target = versions / str(number)
    os.rename(staging, target)
    _fsync_dir(versions)
    return target


def _switch(out_dir: Path, version: Path) -> None:
    """Point ``.current`` at ``version`` in one rename: the moment of publishing."""
    tmp = out_dir / f"{POINTER}.{os.getpid()}"
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    os.symlink(version.relative_to(out_dir).as_posix(), tmp)
    os.replace(tmp, out_dir / POINTER)
    _fsync_dir(out_dir)


def _link(out_dir: Path, name: str) -> None:
    """Make ``out/<name>`` the link ``.current/<name>`` (a no-op once it is)."""
    path = out_dir / name
    target = f"{POINTER}/{name}"
    if path.is_symlink() and os.readlink(path) == target:
        return
    tmp = out_dir / f"{_STAGING_PREFIX}link-{os.getpid()}-{name}"
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    os.symlink(target, tmp)
    if path.is_dir() and not path.is_symlink():
        # A symlink cannot be renamed over a folder: move the old folder aside first (the
        # one window in which out/<name> is missing; the next run closes it), then remove it.
        aside = Path(tempfile.mkdtemp(prefix=_STAGING_PREFIX, dir=out_dir))
        os.rename(path, aside / name)
        os.rename(tmp, path)
        shutil.rmtree(aside)
    else:
        os.replace(tmp, path)


def _prune(out_dir: Path) -> None:
    """Keep the published version and the one before it; older ones go."""
    for _, version in sorted(_versions(out_dir).items(), reverse=True)[KEEP_VERSIONS:]:
        # Out of .versions in one rename first: a run killed while deleting leaves a
        # staging folder (removed next time), not a half version whose remaining files
        # would look like a user's.
        aside = Path(tempfile.mkdtemp(prefix=_STAGING_PREFIX, dir=out_dir))
        os.rename(version, aside / version.name)
        shutil.rmtree(aside)


@contextlib.contextmanager
def _exclusive(out_dir: Path) -> Iterator[None]:
    """One publish at a time per folder: a second one would take the first one's staging
    folder for a leftover and remove it."""
    fd = os.open(out_dir / _LOCK, os.O_RDWR | os.O_CREAT, FILE_MODE)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise PublishBusyError(
                f"another publish into {out_dir} is running; wait for it to finish and "
                "publish again"
            ) from None
        yield
    finally:
        os.close(fd)  # closing releases the lock


def _publish_version(out_dir: Path, files: Mapping[PurePosixPath, bytes]) -> None:
    staging = _stage(out_dir, files)
    version = _install(out_dir, staging)
    _switch(out_dir, version)
    for name in sorted({rel.parts[0] for rel in files}):
        _link(out_dir, name)
    _fsync_dir(out_dir)


def _adopt_old_layout(out_dir: Path, names: set[str]) -> None:
    """Turn outputs written before versions existed into a version of their own, so the
    switch to the first new version is as atomic as every later one."""
    if current_version(out_dir) is not None:
        return
    old: dict[PurePosixPath, bytes] = {}
    for name in sorted(names):
        path = out_dir / name
        if path.is_file() and not path.is_symlink():
            old[PurePosixPath(name)] = path.read_bytes()
        elif path.is_dir() and not path.is_symlink():
            for file in sorted(path.rglob("*.ics")):
                rel = file.relative_to(out_dir).as_posix()
                old[PurePosixPath(rel)] = file.read_bytes()
    if old:
        _publish_version(out_dir, old)


def _unlink_withdrawn(out_dir: Path, names: Iterable[str]) -> None:
    """Remove ``out/<name>`` where it is the link into ``.current`` and the published
    version no longer holds the name (never a file a user put there)."""
    for name in sorted(names):
        path = out_dir / name
        if path.is_symlink() and os.readlink(path) == f"{POINTER}/{name}" and not path.exists():
            path.unlink()


def write_tree(
    out_dir: Path, files: Mapping[str, bytes], *, withdraw: Iterable[str] = ()
) -> list[Path]:
    """Publish ``files`` (relative POSIX path → content) into ``out_dir`` as one version.

    Every top-level entry is replaced whole by the switch: a feed no longer published (its
    consent withdrawn) disappears with the old version. Top-level names that this publish
    does not write stay as they were, except those in ``withdraw``: outputs that would
    contradict this version (``changes.csv`` of a publish made without a previous
    schedule) leave with the old version, and so does their link. Raises
    :class:`ForeignFilesError`, writing nothing, when files the scheduler did not write
    sit among the published ones. Returns the paths as users open them
    (``out/calendars/T1.ics``), in the order given.
    """
    out_dir = Path(out_dir)
    rels = {_check_relative(name): data for name, data in files.items()}
    names = {rel.parts[0] for rel in rels}
    gone = {_check_relative(name).parts[0] for name in withdraw} - names
    make_private_dir(out_dir)
    with _exclusive(out_dir):
        foreign = _foreign_files(out_dir, names)
        if foreign:
            raise ForeignFilesError(out_dir, foreign)
        _clean_stale(out_dir)
        _adopt_old_layout(out_dir, names)
        _publish_version(out_dir, _carried(out_dir, names | gone) | rels)
        _unlink_withdrawn(out_dir, gone)
        _prune(out_dir)
    return [out_dir.joinpath(*rel.parts) for rel in rels]
