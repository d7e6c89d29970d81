"""The one module through which the app calls the scheduler package.

Routes never import the model, the checker or the exports directly: they call these
functions, among them:

- :func:`solve_schedule` — the minimal-change re-solve (``scheduler.model.solve`` with the
  published schedule as ``previous``: what can stay, stays);
- :func:`change_report` — ``scheduler.changes`` (what moved since the published week);
- :func:`run_whatif` — ``scheduler.whatif`` (scenarios solved and measured side by side);
- :func:`fit_options` — ``scheduler.fit`` (where an unplaced referral could still go).
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from scheduler.changes import ChangeReport
from scheduler.check import Violation, check_schedule
from scheduler.domain import Clinic, Lock
from scheduler.inputs.errors import LocatedProblem
from scheduler.model import ProgressEvent, SolveOptions, solve
from scheduler.schedule import Schedule

OnProgress = Callable[[ProgressEvent], None]


@dataclass(frozen=True)
class Opened:
    """A clinic input read and checked: ``clinic`` is None when it cannot be read."""

    clinic: Clinic | None
    errors: tuple[LocatedProblem, ...]
    warnings: tuple[LocatedProblem, ...]
    input_hash: str
    summary: str


_cache: dict[tuple[str, int, int], Opened] = {}


def _stamp(path: Path) -> tuple[str, int, int]:
    """The cache key: a changed file (or a CSV in a changed folder) is read again."""
    files = sorted(path.iterdir()) if path.is_dir() else [path]
    newest = max((f.stat().st_mtime_ns for f in files), default=0)
    return (str(path.resolve()), newest, sum(f.stat().st_size for f in files))


def open_input(path: Path) -> Opened:
    """Read and check a workbook or CSV folder the way ``validate`` does: errors (cannot be
    read) apart from warnings (planning problems); the same file is read once."""
    from scheduler.cli import empty_sheets
    from scheduler.inputs.validate import check_path, summary
    from scheduler.inputs.workbook import input_hash

    key = _stamp(path)
    if key in _cache:
        return _cache[key]
    checked = check_path(path)
    blank = [] if checked.clinic is None else empty_sheets(checked.clinic)
    clinic = None if blank else checked.clinic
    opened = Opened(
        clinic=clinic,
        errors=tuple([*checked.errors, *blank]),
        warnings=tuple(checked.warnings),
        input_hash=input_hash(path),
        summary=summary(clinic) if clinic is not None else "",
    )
    _cache.clear()  # one clinic is open at a time; keep no stale copy of patient data
    _cache[key] = opened
    return opened


def template_bytes() -> bytes:
    """A blank clinic workbook, the same as ``iop-scheduler template``."""
    from scheduler.inputs.workbook import write_template

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "clinic_template.xlsx"
        write_template(path)
        return path.read_bytes()


def with_locks(clinic: Clinic, locks: list[Lock]) -> Clinic:
    """The clinic with the app's locks added to the Locks sheet's: what the solve and the
    checker both see, so a hand edit that breaks a lock is refused (RULES.md L1)."""
    if not locks:
        return clinic
    return replace(clinic, locks=(*clinic.locks, *locks))


def patients_to_place(clinic: Clinic) -> int:
    from scheduler.cli import patients_to_place as count

    return count(clinic)


def solve_schedule(
    clinic: Clinic,
    options: SolveOptions,
    on_progress: OnProgress | None,
    previous: Schedule | None = None,
) -> Schedule:
    """Solve, keeping the locks and, given the previous schedule, every appointment of it
    that no edit or rule forces to change (the minimal-change re-solve)."""
    return solve(clinic, options, on_progress, previous=previous)


def check(clinic: Clinic, schedule: Schedule) -> list[Violation]:
    """The independent checker (docs/RULES.md), the judge of every schedule and edit."""
    return check_schedule(clinic, schedule)


def compliance_rows(clinic: Clinic, schedule: Schedule) -> list[list[object]]:
    from scheduler.exports.excel import compliance_rows as rows
    from scheduler.exports.view import build_view

    return [list(r) for r in rows(build_view(clinic, schedule))]


def change_report(clinic: Clinic, before: Schedule | None, after: Schedule) -> list[str]:
    """What publishing ``after`` changes for people, in lines to read before publishing:
    ``scheduler.changes.compare``'s report (every appointment moved, added or cancelled,
    forced or not), the lines the Changes sheet will hold."""
    if before is None:
        return ["Nothing was published here yet: this is the first publication."]
    from scheduler.changes import compare

    return _change_lines(compare(clinic, before, after))


def _change_lines(report: ChangeReport) -> list[str]:
    """The report as lines: each call to make, then who is new, discharged or lost their
    place."""
    lines = []
    for c in report.changes:
        why = f" (because {'; '.join(c.reasons)})" if c.reasons else ""
        lines.append(f"{c.who} {c.person}: week {c.week + 1}, {c.kind_text}{why}")
    for label, notes in (
        ("new", report.new_patients),
        ("discharged", report.discharged),
        ("lost their place", report.lost_place),
    ):
        lines += [f"{n.patient} {label}: {n.note}" for n in notes]
    return lines or ["No appointment changes."]


#: Unplaced patients whose ways in are looked for on one page (each search is a fraction
#: of a second; the rest say to narrow the list).
FIT_PER_PAGE = 10


def fit_options(clinic: Clinic, schedule: Schedule, patient: str) -> list[str]:
    """Where an unplaced patient could still go, best first, each way in confirmed by the
    checker (``scheduler.fit``), or why there is none, in words."""
    from scheduler.fit import fit
    from scheduler.fit.render import no_fit_text, options_text

    record = clinic.patient_by_id.get(patient)
    if record is None:
        return []
    answer = fit(clinic, schedule, record)
    if isinstance(answer, list):
        return [options_text(patient, answer)] if answer else ["No way in was found."]
    return [no_fit_text(answer)]


@dataclass(frozen=True)
class Scenario:
    """A what-if asked in the form."""

    name: str
    extra_admissions: int = 0
    therapist_away: str = ""
    room_closed: str = ""


def run_whatif(
    clinic: Clinic, scenarios: list[Scenario], options: SolveOptions
) -> list[dict[str, object]]:
    """Each scenario solved, its figures in one row (placed, proven maximum, waitlist,
    utilisation, …), side by side.

    The form's few questions become ``scheduler.whatif``'s own changes
    (``add_admissions``, ``remove_therapist``, ``close_room``), applied by its
    ``apply_all``, solved by its ``run_all`` (one CP-SAT worker per run, runs side by side)
    and measured by its ``measure_all`` and ``metrics_row``; a scenario without changes is
    the baseline. Problems with a scenario (an unknown therapist, say) raise ValueError."""
    from scheduler.whatif import changes, metrics, runner
    from scheduler.whatif import scenarios as applying

    kinds = changes.ChangeKind
    theirs = []
    for s in scenarios:
        rows = []
        if s.extra_admissions:
            rows.append(changes.Change(2, kinds.ADD_ADMISSIONS, count=s.extra_admissions))
        if s.therapist_away:
            rows.append(changes.Change(2, kinds.REMOVE_THERAPIST, target=s.therapist_away))
        if s.room_closed:
            rows.append(changes.Change(2, kinds.CLOSE_ROOM, target=s.room_closed))
        theirs.append(changes.Scenario(s.name, tuple(rows)))
    clinics, problems = applying.apply_all(clinic, theirs, seed=options.seed)
    if problems:
        raise ValueError("; ".join(p.message for p in problems))
    runs = [runner.Run(name, c, runner.solo(options)) for name, c in clinics.items()]
    results = runner.run_all(runs, jobs=min(len(runs), options.workers))
    return [dict(metrics.metrics_row(m)) for m in metrics.measure_all(runs, results)]


def publish(
    clinic: Clinic, schedule: Schedule, out_dir: Path, input_path: Path, input_hash: str
) -> list[Path]:
    """The command line's publish: one all-or-nothing version, owner-only, with
    ``schedule.json`` beside the workbook, feeds and timetable."""
    from scheduler.exports import publish as publish_all
    from scheduler.schedule_json import schedule_json_bytes

    payload = schedule_json_bytes(
        schedule, input_path=str(input_path), input_hash=input_hash, created=_now()
    )
    # With the schedule published before, the publish writes the Changes sheet and changes.csv.
    before = published(out_dir)
    return publish_all(clinic, schedule, out_dir, extra={"schedule.json": payload}, previous=before)


def published(out_dir: Path) -> Schedule | None:
    """The schedule last published into ``out_dir`` (by the app or the command line)."""
    from scheduler.safe_write import published_path
    from scheduler.schedule_json import read_schedule_json

    path = published_path(out_dir, "schedule.json")
    try:
        return read_schedule_json(path)[0]
    except (OSError, ValueError):
        return None


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
