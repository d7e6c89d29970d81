"""Publish a schedule: ``schedule.xlsx``, ``calendars/*.ics``, ``timetable.html``; made
with a previous schedule, also ``changes.csv`` and a Changes sheet (the calls to make).

:func:`render` builds every output in memory (nothing touches the disk, so a failure leaves
the previous outputs as they were); :func:`publish` then writes them all through
:func:`scheduler.safe_write.write_tree` as one version, switched to in one rename,
owner-readable only.

The UID map (``uid_map.json`` in the output folder, not in ``calendars/`` because the
folder may be served to calendar clients) keeps each session's random UID and SEQUENCE
between runs. It is read from the published version itself, so the map always matches the
feeds that subscribers have seen.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from scheduler.changes import ChangeReport, compare
from scheduler.domain import Clinic
from scheduler.exports.change_list import changes_csv
from scheduler.exports.excel import build_workbook
from scheduler.exports.html import build_html
from scheduler.exports.ical import FeedInfo, UidMap, build_feeds, feed_text_problems
from scheduler.exports.options import PublishOptions
from scheduler.exports.view import ExportError, build_view
from scheduler.safe_write import PublishError, published_path, write_tree
from scheduler.schedule import Schedule

log = logging.getLogger(__name__)

WORKBOOK = "schedule.xlsx"
TIMETABLE = "timetable.html"
CALENDARS = "calendars"
UID_MAP = "uid_map.json"
CHANGES = "changes.csv"

INTERNAL_DETAILS_WARNING = (
    "internal_calendar_details is on: staff feeds carry session types and patient names. "
    "Publish them only to a clinic-internal calendar covered by a business associate "
    "agreement, never to a public or consumer calendar service."
)

__all__ = [
    "CALENDARS",
    "CHANGES",
    "TIMETABLE",
    "UID_MAP",
    "WORKBOOK",
    "ExportError",
    "FeedInfo",
    "PublishOptions",
    "Rendered",
    "publish",
    "render",
]


@dataclass(frozen=True)
class Rendered:
    files: Mapping[str, bytes]  # relative POSIX path → content
    feeds: tuple[FeedInfo, ...]
    warnings: tuple[str, ...]
    changes: ChangeReport | None = None  # made with a previous schedule


def _read_uid_map(out_dir: Path) -> UidMap:
    path = published_path(out_dir, UID_MAP)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return UidMap()
    try:
        return UidMap.loads(data)
    except (ValueError, KeyError, TypeError) as e:
        # Refuse rather than mint new UIDs: subscribers would see every event duplicated.
        raise ExportError(
            f"{path} is damaged ({e}); restore it from a backup, or delete it to start "
            "calendar feeds afresh (subscribers will then see every event twice until "
            "they re-subscribe)"
        ) from None


def render(
    clinic: Clinic,
    schedule: Schedule,
    old_uid_map: UidMap,
    *,
    now: dt.datetime,
    options: PublishOptions,
    previous: Schedule | None = None,
) -> Rendered:
    """Every output file as bytes, without writing anything; with ``previous`` (the last
    published schedule) the change report too: a Changes sheet and ``changes.csv``."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    view = build_view(clinic, schedule)
    changes = None if previous is None else compare(clinic, previous, schedule)
    feeds = build_feeds(view, old_uid_map, now, options)
    warnings = list(feeds.warnings)
    # A last guard; every text was already neutralised on the way in. Patient feeds are
    # checked whatever the setting: they go to patients' own calendar services.
    checked = [
        feeds.files[f.filename]
        for f in feeds.feeds
        if f.kind == "patient" or not options.internal_calendar_details
    ]
    leaked = feed_text_problems(checked)
    if leaked:
        raise ExportError(f"calendar feeds would disclose {leaked}; nothing was written")
    if options.internal_calendar_details:
        warnings.insert(0, INTERNAL_DETAILS_WARNING)
    files: dict[str, bytes] = {
        WORKBOOK: build_workbook(view, feeds.feeds, options, now, changes),
        TIMETABLE: build_html(view, now),
        UID_MAP: feeds.uid_map.dumps(),
    }
    if changes is not None:
        files[CHANGES] = changes_csv(clinic, changes)
    for name, data in feeds.files.items():
        files[f"{CALENDARS}/{name}"] = data
    return Rendered(files, tuple(feeds.feeds), tuple(warnings), changes)


def publish(
    clinic: Clinic,
    schedule: Schedule,
    out_dir: Path,
    *,
    now: dt.datetime | None = None,
    options: PublishOptions | None = None,
    extra: Mapping[str, bytes] | None = None,
    previous: Schedule | None = None,
) -> list[Path]:
    """Write the workbook, the feeds, the timetable and the UID map into ``out_dir``.

    ``now`` stamps the feeds (DTSTAMP) and the run info; it defaults to the current time.
    ``extra`` adds files to the same all-or-nothing write (e.g. ``schedule.json``).
    ``previous``, the schedule published before, adds the change report (a Changes sheet
    and ``changes.csv``); without it, a ``changes.csv`` left by an earlier publish is
    withdrawn with the old version, since it would describe another schedule.
    Warnings (privacy settings, withheld words replaced) are logged on this module's
    logger. Returns the written paths.
    """
    out_dir = Path(out_dir)
    opts = options or PublishOptions()
    stamp = now or dt.datetime.now(dt.UTC)
    rendered = render(
        clinic, schedule, _read_uid_map(out_dir), now=stamp, options=opts, previous=previous
    )
    for warning in rendered.warnings:
        log.warning("%s", warning)
    files = dict(rendered.files)
    for name, data in (extra or {}).items():
        if name in files or name.split("/", 1)[0] == CALENDARS:
            raise ValueError(f"extra output {name!r} would overwrite a published file")
        files[name] = data
    try:
        return write_tree(out_dir, files, withdraw=() if previous is not None else (CHANGES,))
    except PublishError as err:
        raise ExportError(str(err)) from None
