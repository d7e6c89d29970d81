"""The ``iop-scheduler`` command line.

Exit statuses: 0 success; 2 input errors (every one printed with sheet, row, column and
fix; planning warnings are printed too but never change the status); 3 the solver could not
produce a publishable schedule; 4 the produced schedule failed
the independent check and was not published; 1 an unexpected internal error (reported in
one line, without a traceback unless ``--debug``).

Everything printed goes through :func:`scheduler.terminal.emit`, so that ``… | head`` ends
quietly while the command still finishes its work.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from scheduler import __version__
from scheduler.domain import Clinic
from scheduler.inputs.errors import LocatedProblem
from scheduler.schedule import Schedule
from scheduler.terminal import emit, silence

if TYPE_CHECKING:
    from scheduler.progress import Mode

EXIT_OK = 0
EXIT_INTERNAL = 1
EXIT_INPUT = 2
EXIT_NO_SCHEDULE = 3
EXIT_CHECK_FAILED = 4

#: The sample clinic shipped inside the package (``scheduler/sample_data`` links to the
#: repository's ``data/``), so an installed wheel finds it too.
SAMPLE_INPUT = Path(__file__).resolve().parent / "sample_data" / "sample_clinic.xlsx"


class CliError(Exception):
    """A failure to report in one plain message with an exit status."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


def _command() -> str:
    """How the user typed this command, for the next command to suggest: the checkout's
    ./iop-scheduler wrapper says so, since plain iop-scheduler is not on its PATH."""
    return os.environ.get("IOP_SCHEDULER_COMMAND") or "iop-scheduler"


def _default_input() -> Path:
    local = Path("data") / "sample_clinic.xlsx"
    return local if local.exists() else SAMPLE_INPUT


def _load(path: Path, *, writes: bool) -> tuple[Clinic, str, int]:
    """Read and check the clinic at ``path``: its input hash and how many warnings.

    Every command shares one notion of problems
    (:class:`~scheduler.inputs.validate.Checked`): errors (the input cannot be read) stop
    it with exit status 2; warnings (planning problems) are printed and it goes on —
    ``solve`` lists the patients they affect as unplaced, with the reason.
    """
    from scheduler.inputs.validate import check_path, errors_text, warnings_text
    from scheduler.inputs.workbook import input_hash

    checked = check_path(path)
    blank = [] if checked.clinic is None else empty_sheets(checked.clinic)
    if checked.clinic is None or blank:
        raise CliError(errors_text(path, [*checked.errors, *blank], writes=writes), EXIT_INPUT)
    clinic = checked.clinic
    if checked.warnings:
        emit(warnings_text(checked.warnings), err=True)
    if not patients_in_plan(clinic):
        emit(
            f"warning: none of the {len(clinic.patients)} patients is in treatment during "
            f"the planning dates (from {clinic.settings.week_start.isoformat()}, "
            f"{clinic.settings.weeks} week(s)); check week_start on the Clinic sheet and the "
            "patients' admission and discharge dates",
            err=True,
        )
    return clinic, input_hash(path), len(checked.warnings)


#: Sheets without which there is nothing to schedule, and what a row in each one is.
REQUIRED_SHEETS = (
    ("Patients", "patients", "one row per patient"),
    ("Therapists", "therapists", "one row per therapist"),
    ("Rooms", "rooms", "one row per room (a virtual room for telehealth)"),
    ("Blocks", "blocks", "one row per bookable block or short slot"),
    ("SessionTypes", "session_types", "one row per kind of session"),
    ("Curriculum", "curriculum", "what each track needs every week"),
)


def empty_sheets(clinic: Clinic) -> list[LocatedProblem]:
    """A sheet a clinic cannot do without that has no rows (a blank template, say): the
    solver would call an empty timetable optimal, which helps nobody."""
    return [
        LocatedProblem(sheet, None, None, "has no rows", f"fill in {what}")
        for sheet, attribute, what in REQUIRED_SHEETS
        if not getattr(clinic, attribute)
    ]


def patients_in_plan(clinic: Clinic) -> int:
    from scheduler.inputs.validate import in_plan

    return sum(1 for p in clinic.patients if in_plan(clinic, p))


def patients_to_place(clinic: Clinic) -> int:
    """The patients the solve places or lists as unplaced: those in the plan, less those
    admitted too late to owe a session, who start next week (RULES.md P4)."""
    from scheduler.inputs.validate import in_plan
    from scheduler.rules import starts_later

    return sum(1 for p in clinic.patients if in_plan(clinic, p) and not starts_later(clinic, p))


def cmd_validate(args: argparse.Namespace) -> int:
    from scheduler.inputs.validate import summary

    clinic, _, warnings = _load(Path(args.input), writes=False)
    found = f"no errors, {warnings} warning(s) (above)" if warnings else "no problems found"
    emit(f"{args.input}: {found}.")
    emit(summary(clinic))
    return EXIT_OK


def cmd_template(args: argparse.Namespace) -> int:
    from scheduler.inputs.workbook import write_template
    from scheduler.whatif.sheet import SCENARIOS

    path = Path(args.path)
    if path.suffix.lower() != ".xlsx":
        raise CliError(f"{path}: the template is an Excel workbook; name it *.xlsx", EXIT_INPUT)
    if path.exists() and not args.force:
        # It may be a filled-in clinic: a blank template over it would lose every row.
        raise CliError(
            f"{path} already exists; nothing was written. Choose another name, or pass "
            "--force to replace it with a blank workbook (everything in it is lost).",
            EXIT_INPUT,
        )
    write_template(path, [(SCENARIOS, [])])  # a blank Scenarios sheet for whatif
    emit(f"Wrote a blank clinic workbook to {path}. Fill it in, then run:")
    emit(f"  {_command()} validate {path}")
    return EXIT_OK


def cmd_generate(args: argparse.Namespace) -> int:
    from scheduler.generator import generate_clinic
    from scheduler.inputs.workbook import write_csv_folder, write_workbook

    try:
        clinic = generate_clinic(
            patients=args.patients, sites=args.sites, seed=args.seed, tight=args.tight
        )
    except ValueError as err:  # sizes the generator cannot staff, said in its words
        raise CliError(f"cannot generate that clinic: {err}", EXIT_INPUT) from err
    out = Path(args.out)
    if out.suffix.lower() == ".xlsx":
        write_workbook(clinic, out)
    else:
        write_csv_folder(clinic, out)
    emit(f"Wrote a generated clinic ({len(clinic.patients)} patients) to {out}")
    return EXIT_OK


def cmd_sweep(args: argparse.Namespace) -> int:
    """Solve every staffing × weekly admission rate (scheduler/whatif/sweep.py), print
    each staffing's capacity and publish the tables, charts and sweep.html into --out."""
    from scheduler.model import SolveOptions
    from scheduler.safe_write import PublishError
    from scheduler.whatif.runner import default_jobs
    from scheduler.whatif.sweep import SweepError, parse_blocks, parse_range, sweep
    from scheduler.whatif.sweep_report import capacity_text, points_text, write_sweep

    input_path = Path(args.input)
    clinic, _, _ = _load(input_path, writes=True)
    try:
        rates = parse_range(args.admissions, "--admissions")
        extras = parse_range(args.therapists, "--therapists", signed=True)
        closed = parse_blocks(clinic, args.blocks or ["all"])
    except SweepError as err:
        raise CliError(f"{err}; nothing was written", EXIT_INPUT) from err
    points = len(rates) * len(extras) * len(closed)
    where = f"on Dask at {args.dask}" if args.dask else f"{args.jobs or default_jobs()} at a time"
    emit(
        f"Sweeping {input_path}: {points} solves, {where} (time limit {args.time_limit:g} s "
        f"each, seed {args.seed}) …",
        err=True,
    )
    options = SolveOptions(time_limit_s=args.time_limit, seed=args.seed, workers=1)
    try:
        result = sweep(
            clinic,
            rates=rates,
            extras=extras,
            closed=closed,
            weeks=args.weeks,
            options=options,
            jobs=args.jobs,
            dask=args.dask,
            progress=not args.quiet,
        )
    except SweepError as err:
        raise CliError(f"{err}; nothing was written", EXIT_INPUT) from err
    except (OSError, TimeoutError) as err:
        on = f" on Dask at {args.dask}" if args.dask else ""
        raise CliError(
            f"could not run the solves{on}: {err}; nothing was written", EXIT_INTERNAL
        ) from err
    out = Path(args.out)
    try:
        write_sweep(out, result, f"Capacity sweep: {clinic.settings.name}")
    except PublishError as err:
        raise CliError(f"nothing was written: {err}", EXIT_INPUT) from err
    emit(points_text(result) + "\n")
    emit(capacity_text(result))
    if args.waitlist_weeks:
        from scheduler.whatif.sweep import staffed
        from scheduler.whatif.waitlist import simulate, waitlist_text

        rows = []
        for cap in result.capacities:
            rate = cap.saturates_at if cap.saturates_at is not None else rates[-1]
            base = staffed(clinic, cap.staffing)
            rows.append(
                (
                    cap.staffing.label,
                    simulate(base, rate, args.waitlist_weeks, options, seed=args.seed),
                )
            )
        emit("\n" + waitlist_text(rows))
    failed = [p for p in result.points if p.demand is None]
    if failed:
        emit(
            f"warning: {len(failed)} of {points} solves found no schedule (listed above)", err=True
        )
    emit(f"Wrote sweep.html, sweep.xlsx, sweep.csv and the charts into {out}/")
    return EXIT_OK


def _display_mode(args: argparse.Namespace) -> Mode:
    """A bar on a terminal, plain lines in a pipe or log, numbers with ``--verbose``."""
    if args.quiet:
        return "quiet"
    if args.verbose:
        return "verbose"
    return "bar" if sys.stderr.isatty() else "lines"


def cmd_solve(args: argparse.Namespace) -> int:
    input_path = Path(args.input) if args.input else _default_input()
    clinic, digest, _ = _load(input_path, writes=True)
    previous = _read_previous(Path(args.previous)) if args.previous else None
    return _solve_and_publish(clinic, input_path, digest, args, previous)


def cmd_next_week(args: argparse.Namespace) -> int:
    """Roll the horizon on one week from a published schedule: the same number of weeks,
    from the Monday after the schedule's first week; every week repeats the schedule's
    (scheduler.previous), and changes are kept to those the new week forces."""
    from scheduler.schedule_json import read_schedule_json

    path = Path(args.schedule)
    try:
        previous, meta = read_schedule_json(path)
    except (OSError, ValueError) as err:
        raise CliError(f"{path}: not a readable schedule.json ({err})", EXIT_INPUT) from err
    input_path = Path(args.input) if args.input else Path(meta.input_path)
    clinic, digest, _ = _load(input_path, writes=True)
    monday = previous.week_start + dt.timedelta(weeks=1)
    clinic = with_horizon(clinic, monday, previous.weeks)
    emit(f"Next week: from {monday:%a %d %b %Y}, {previous.weeks} week(s).", err=True)
    if args.out is None:
        args.out = str(path.parent)
    return _solve_and_publish(clinic, input_path, digest, args, previous)


def with_horizon(clinic: Clinic, week_start: dt.date, weeks: int) -> Clinic:
    """The clinic planned over another horizon (the input's own dates are not changed)."""
    if (clinic.settings.week_start, clinic.settings.weeks) == (week_start, weeks):
        return clinic
    settings = replace(clinic.settings, week_start=week_start, weeks=weeks)
    return replace(clinic, settings=settings)


def _read_previous(path: Path) -> Schedule:
    from scheduler.schedule_json import read_schedule_json

    try:
        return read_schedule_json(path)[0]
    except (OSError, ValueError) as err:
        raise CliError(
            f"--previous {path}: not a readable schedule.json ({err}); give the "
            "schedule.json of the last publish (e.g. out/schedule.json)",
            EXIT_INPUT,
        ) from err


def _solve_and_publish(
    clinic: Clinic,
    input_path: Path,
    digest: str,
    args: argparse.Namespace,
    previous: Schedule | None,
) -> int:
    from scheduler.model import ModelInvalidError, SolveOptions, solve
    from scheduler.progress import solve_display
    from scheduler.report import coordinator_summary
    from scheduler.schedule_json import schedule_json_bytes

    options = SolveOptions(time_limit_s=args.time_limit, seed=args.seed, workers=args.workers)
    emit(
        f"Solving {input_path} (time limit {args.time_limit:g} s, {args.workers} workers, "
        f"seed {args.seed}) …",
        err=True,
    )
    display = solve_display(
        _display_mode(args), total=patients_to_place(clinic), limit_s=args.time_limit
    )
    try:
        with display as on_progress:
            schedule = solve(clinic, options, on_progress=on_progress, previous=previous)
    except ModelInvalidError as err:
        raise CliError(
            f"the model is invalid (a bug, please report it): {err}", EXIT_INTERNAL
        ) from err
    schedule = replace(schedule, input_hash=digest)
    emit(coordinator_summary(schedule, options.weights.as_dict(), clinic))
    if args.verbose:
        emit("\n" + schedule.summary())
    if schedule.stats.status not in ("OPTIMAL", "FEASIBLE"):
        # Only a search that ran out of time may do better with more; a proof will not.
        advice = " Try a longer --time-limit." if schedule.stats.status == "UNKNOWN" else ""
        raise CliError(
            f"no schedule found ({schedule.stats.status}); nothing was written.{advice}",
            EXIT_NO_SCHEDULE,
        )
    _refuse_if_invalid(clinic, schedule, "the schedule failed the independent check")
    out = Path(args.out)
    payload = schedule_json_bytes(schedule, input_path=str(input_path), input_hash=digest)
    written = _publish(clinic, schedule, args, extra={"schedule.json": payload}, previous=previous)
    if previous is not None:
        from scheduler.changes import compare
        from scheduler.report import changes_line

        report = compare(clinic, previous, schedule)
        emit(changes_line(report.counts))
        unforced = [c for c in report.changes if not c.forced]
        if unforced:
            placed = sorted(schedule.placed_patients - previous.placed_patients)
            why = (
                f"made to place {len(placed)} patient(s) not placed before ({', '.join(placed)})"
                if placed
                else "made for a rule the report cannot name"
            )
            emit(
                f"  {len(unforced)} of them not forced by the input: {why}; each is listed "
                "in the Changes sheet and changes.csv"
            )
    _report_unplaced(schedule)
    _report_unmet_locks(schedule)
    _report_waivers(clinic, schedule)
    emit(f"Published {len(written)} files into {out}/")
    return EXIT_OK


def _refuse_if_invalid(clinic: Clinic, schedule: Schedule, what: str) -> None:
    """Run the independent checker; a schedule that breaks any rule is never published."""
    from scheduler.check import check_schedule

    violations = check_schedule(clinic, schedule)
    if violations:
        lines = "\n".join(f"  [{v.rule}] {v.message}" for v in violations[:50])
        raise CliError(
            f"{what} ({len(violations)} violation(s)); nothing was published:\n{lines}",
            EXIT_CHECK_FAILED,
        )


def _publish(
    clinic: Clinic,
    schedule: Schedule,
    args: argparse.Namespace,
    extra: dict[str, bytes] | None = None,
    previous: Schedule | None = None,
) -> list[Path]:
    """Publish all outputs in one all-or-nothing write; warnings go to stderr."""
    import logging

    from scheduler.exports import ExportError, PublishOptions, publish

    logging.basicConfig(format="warning: %(message)s", level=logging.WARNING, stream=sys.stderr)
    out = Path(args.out)
    options = PublishOptions(
        sign_in_shows=args.sign_in, internal_calendar_details=args.internal_calendar_details
    )
    try:
        return publish(clinic, schedule, out, options=options, extra=extra, previous=previous)
    except ExportError as err:
        raise CliError(f"nothing was published: {err}", EXIT_INPUT) from err
    except OSError as err:
        raise CliError(
            f"could not write into {out}: {err.strerror or err}; the previous outputs "
            "are untouched",
            EXIT_INTERNAL,
        ) from err


def _report_unplaced(schedule: Schedule) -> None:
    if not schedule.unplaced:
        return
    emit(f"Unplaced ({len(schedule.unplaced)}):")
    for u in schedule.unplaced:
        emit(f"  {u.patient}: {u.reason}")


def _report_unmet_locks(schedule: Schedule) -> None:
    if schedule.unmet_locks:
        emit(f"Locks not kept ({len(schedule.unmet_locks)}):")
        emit("\n".join(f"  {u.lock}: {u.reason}" for u in schedule.unmet_locks))


def _report_waivers(clinic: Clinic, schedule: Schedule) -> None:
    """Placed patients short of what the rules ask, each said (scheduler.compliance)."""
    from scheduler.compliance import schedule_notes, step_down_notes

    notes = schedule_notes(clinic, schedule)
    if notes:
        emit(f"Waived sessions and short weeks ({len(notes)}):")
        emit("\n".join(f"  {n}" for n in notes))
    steps = step_down_notes(clinic, schedule)
    if steps:  # a planned reduction (RULES.md W7), said apart from the short weeks
        emit(f"Step-down weeks before discharge ({len(steps)}):")
        emit("\n".join(f"  {n}" for n in steps))


def cmd_export(args: argparse.Namespace) -> int:
    from scheduler.schedule_json import read_schedule_json

    try:
        schedule, meta = read_schedule_json(Path(args.schedule))
    except (OSError, ValueError) as err:
        raise CliError(
            f"{args.schedule}: not a readable schedule.json ({err})", EXIT_INPUT
        ) from err
    input_path = Path(args.input) if args.input else Path(meta.input_path)
    clinic, digest, _ = _load(input_path, writes=True)
    # A schedule made by next-week covers later dates than the input's own.
    clinic = with_horizon(clinic, schedule.week_start, schedule.weeks)
    if meta.input_hash and digest != meta.input_hash and not args.force:
        raise CliError(
            f"{input_path} has changed since this schedule was made (input hash differs); "
            "re-run solve, or pass --force to export against the changed input",
            EXIT_INPUT,
        )
    _refuse_if_invalid(clinic, schedule, "the schedule does not fit this clinic")
    written = _publish(clinic, schedule, args)
    emit(f"Published {len(written)} files into {args.out}/")
    return EXIT_OK


def cmd_fit(args: argparse.Namespace) -> int:
    """The ranked ways to admit one referral into the published timetable (scheduler.fit)."""
    import time

    from scheduler.fit import NotAReferral, fit
    from scheduler.fit.referral import (
        ReferralError,
        file_referral,
        named_referral,
        schedule_for,
    )
    from scheduler.fit.render import answer_json, no_fit_text, options_text
    from scheduler.inputs.rows import Locator
    from scheduler.inputs.validate import format_problems
    from scheduler.schedule_json import read_schedule_json

    if args.top < 1:
        raise CliError("--top must be at least 1", EXIT_INPUT)
    input_path = Path(args.input)
    clinic, digest, _ = _load(input_path, writes=False)
    try:
        schedule, meta = read_schedule_json(Path(args.previous))
    except (OSError, ValueError) as err:
        raise CliError(
            f"{args.previous}: not a readable schedule.json ({err}); give the schedule.json "
            "that solve published (out/schedule.json)",
            EXIT_INPUT,
        ) from err
    started = time.perf_counter()
    try:
        if args.patient is not None:
            from scheduler.inputs.workbook import read_clinic_located

            def rows() -> Locator:  # the sheet's rows, read again only when asked
                return read_clinic_located(input_path)[1]

            referral = named_referral(clinic, schedule, args.patient, rows)
        else:
            referral = file_referral(clinic, Path(args.patient_file))
        fitted = schedule_for(
            clinic,
            schedule,
            referral,
            digest=digest,
            recorded=meta.input_hash,
            source=str(args.previous),
        )
    except ReferralError as err:
        raise CliError(
            f"cannot fit this referral; nothing was changed.\n{format_problems(err.problems)}",
            EXIT_INPUT,
        ) from err
    if fitted.changed and not args.json:
        emit(
            f"note: {input_path} has changed since {args.previous} was made; the schedule "
            "still keeps every rule against it, so the ways below fit it as published.",
            err=True,
        )
    try:
        answer = fit(fitted.clinic, schedule, referral, args.top)
    except NotAReferral as err:
        raise CliError(str(err), EXIT_INPUT) from err
    elapsed = time.perf_counter() - started
    if args.json:
        emit(
            answer_json(
                referral.id,
                answer,
                input_path=str(input_path),
                schedule_path=str(args.previous),
            )
        )
    elif isinstance(answer, list):
        emit(options_text(referral.id, answer))
    else:
        emit(no_fit_text(answer))
    emit(f"(searched in {elapsed:.2f} s, without re-solving the clinic)", err=True)
    return EXIT_OK


def cmd_whatif(args: argparse.Namespace) -> int:
    """Solve the baseline and every scenario, check each schedule, compare them side by
    side (scheduler/whatif/): whatif.xlsx and whatif.html into --out, the table printed."""
    from scheduler.inputs.validate import errors_text
    from scheduler.model import SolveOptions
    from scheduler.safe_write import PublishError
    from scheduler.whatif.outputs import HTML, XLSX, terminal_text, write_outputs
    from scheduler.whatif.referrals import load_referrals
    from scheduler.whatif.runner import default_jobs, run_all
    from scheduler.whatif.scenarios import apply_all
    from scheduler.whatif.sheet import read_scenarios
    from scheduler.whatif.side_by_side import CheckFailedError, compare_runs, scenario_runs

    input_path = Path(args.input) if args.input else _default_input()
    clinic, _, _ = _load(input_path, writes=True)
    source = Path(args.scenarios) if args.scenarios else input_path
    scenarios, problems = read_scenarios(source)
    if not problems:
        base = source if source.is_dir() else source.parent
        referrals, problems = load_referrals(scenarios, base, clinic)
    if not problems:
        clinics, problems = apply_all(clinic, scenarios, seed=args.seed, referrals=referrals)
    if problems:
        raise CliError(errors_text(source, problems, writes=True), EXIT_INPUT)
    options = SolveOptions(time_limit_s=args.time_limit, seed=args.seed, workers=1)
    where = f"on Dask at {args.dask}" if args.dask else f"{args.jobs or default_jobs()} at a time"
    emit(
        f"Solving {input_path} and {len(scenarios)} scenario(s), {where} (time limit "
        f"{args.time_limit:g} s each, seed {args.seed}) …",
        err=True,
    )
    runs = scenario_runs(clinic, clinics, options)
    try:
        results = run_all(runs, jobs=args.jobs, dask=args.dask, progress=not args.quiet)
    except (OSError, TimeoutError) as err:
        raise CliError(
            f"could not run the solves{f' on Dask at {args.dask}' if args.dask else ''}: "
            f"{err}; nothing was written",
            EXIT_INTERNAL,
        ) from err
    if results[0].schedule is None:
        raise CliError(
            f"the baseline has no schedule ({results[0].error}); nothing was written. "
            "Try a longer --time-limit.",
            EXIT_NO_SCHEDULE,
        )
    try:
        comparison = compare_runs(runs, results)
    except CheckFailedError as err:
        raise CliError(f"{err}; nothing was written", EXIT_CHECK_FAILED) from err
    out = Path(args.out)
    try:
        write_outputs(out, comparison, scenarios, f"What if: {clinic.settings.name}")
    except PublishError as err:
        raise CliError(f"nothing was written: {err}", EXIT_INPUT) from err
    except OSError as err:
        raise CliError(f"could not write into {out}: {err.strerror or err}", EXIT_INTERNAL) from err
    emit(terminal_text(comparison))
    for result in results:
        if result.schedule is None:
            emit(f"warning: {result.name}: no schedule ({result.error})", err=True)
    cut = [r.name for r in results if r.schedule is not None and r.schedule.stats.clock_cut]
    if cut:
        emit(
            f"warning: {len(cut)} run(s) stopped at the wall-clock ceiling before their "
            "budget was spent (a busy machine); their figures may differ when re-run: "
            + ", ".join(cut),
            err=True,
        )
    emit(f"Wrote {XLSX} and {HTML} into {out}/")
    return EXIT_OK


def cmd_serve(args: argparse.Namespace) -> int:
    from scheduler.app.server import serve

    input_path = Path(args.input) if args.input else None
    if input_path is not None and not input_path.exists():
        raise CliError(f"{input_path} does not exist", EXIT_INPUT)
    if not 0 < args.port < 65536:
        raise CliError("--port must be between 1 and 65535", EXIT_INPUT)
    serve(input_path, Path(args.out), args.host, args.port, args.time_limit, args.workers)
    return EXIT_OK


def _publish_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--sign-in",
        choices=("name", "code"),
        default="name",
        help="what printed sign-in sheets list for each patient (default: name)",
    )
    p.add_argument(
        "--internal-calendar-details",
        action="store_true",
        help="staff feeds also name session types and patients: ONLY for a clinic-internal "
        "calendar covered by a business associate agreement (off by default)",
    )


def _solve_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--time-limit",
        type=float,
        default=60.0,
        help="seconds to search on an idle machine; a busy one takes longer (default: 60)",
    )
    p.add_argument(
        "--seed",
        type=int,
        default=0,
        help="search seed; the same input, seed and workers give the same timetable (default: 0)",
    )
    p.add_argument(
        "--workers", type=int, default=2, help="solver threads, at most your cores (default: 2)"
    )
    shown = p.add_mutually_exclusive_group()
    shown.add_argument("--quiet", action="store_true", help="no progress display while solving")
    shown.add_argument(
        "--verbose",
        action="store_true",
        help="show the solver's numbers: objective and bound at each better timetable, "
        "then gap, seed and time",
    )
    _publish_arguments(p)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="iop-scheduler",
        description="Weekly timetables for Intensive Outpatient Programs.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks of internal errors")
    sub = parser.add_subparsers(
        dest="command",
        required=True,
        metavar="COMMAND",
        help="one of the following; 'iop-scheduler COMMAND --help' shows its options",
    )

    p = sub.add_parser("validate", help="report every problem in a clinic workbook or CSV folder")
    p.add_argument("input", help="clinic workbook (.xlsx) or folder of CSV files")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("template", help="write a blank clinic workbook to fill in")
    p.add_argument("path", help="where to write the workbook (.xlsx)")
    p.add_argument(
        "--force", action="store_true", help="replace PATH if it exists (its contents are lost)"
    )
    p.set_defaults(func=cmd_template)

    p = sub.add_parser("solve", help="build the week's timetable and publish it")
    p.add_argument("input", nargs="?", help="clinic workbook or CSV folder (default: sample)")
    p.add_argument("--out", default="out", help="output folder (default: out)")
    p.add_argument(
        "--previous",
        metavar="SCHEDULE.json",
        help="the last published schedule (e.g. out/schedule.json): keep its appointments "
        "unless a rule or a patient's place needs a change",
    )
    _solve_arguments(p)
    p.set_defaults(func=cmd_solve)

    p = sub.add_parser(
        "next-week",
        help="next week's timetable from a published one, with the fewest changes",
    )
    p.add_argument("schedule", help="the schedule.json of the last publish, e.g. out/schedule.json")
    p.add_argument(
        "--input",
        help="the clinic, with this week's admissions and discharges "
        "(default: the input the schedule was made from)",
    )
    p.add_argument("--out", default=None, help="output folder (default: the schedule's own folder)")
    _solve_arguments(p)
    p.set_defaults(func=cmd_next_week)

    p = sub.add_parser("export", help="publish a saved schedule.json again")
    p.add_argument("schedule", help="a schedule.json written by solve")
    p.add_argument("--input", help="the clinic it was made from (default: as recorded)")
    p.add_argument("--out", default="out", help="output folder (default: out)")
    p.add_argument("--force", action="store_true", help="export even if the input changed")
    _publish_arguments(p)
    p.set_defaults(func=cmd_export)

    p = sub.add_parser(
        "fit", help="where a referral could join the published timetable, ranked (no re-solve)"
    )
    p.add_argument("input", help="clinic workbook or CSV folder the schedule was made from")
    p.add_argument(
        "--previous", required=True, help="the published schedule.json (e.g. out/schedule.json)"
    )
    who = p.add_mutually_exclusive_group(required=True)
    who.add_argument(
        "--patient", help="a patient of the Patients sheet, by ID or by sheet row number"
    )
    who.add_argument(
        "--patient-file",
        help="a one-patient CSV with the Patients columns, or a workbook with a Patients "
        "sheet (and PatientCommitments, FamilyAvailability)",
    )
    p.add_argument("--top", type=int, default=5, help="how many ways to show (default: 5)")
    p.add_argument("--json", action="store_true", help="the answer as JSON, for the app")
    p.set_defaults(func=cmd_fit)

    p = sub.add_parser(
        "whatif", help="solve the clinic and its what-if scenarios and compare them side by side"
    )
    p.add_argument("input", nargs="?", help="clinic workbook or CSV folder (default: sample)")
    p.add_argument(
        "--scenarios",
        help="a workbook with a Scenarios sheet, or a CSV file of that layout "
        "(default: the input's own Scenarios sheet or Scenarios.csv)",
    )
    p.add_argument("--out", default="whatif_out", help="output folder (default: whatif_out)")
    p.add_argument(
        "--jobs", type=int, help="solves at a time, one process each (default: one per core)"
    )
    p.add_argument(
        "--dask", metavar="ADDR", help="run the solves on Dask: 'local' or tcp://host:8786"
    )
    p.add_argument(
        "--time-limit",
        type=float,
        default=10.0,
        help="seconds to search for each run on an idle machine (default: 10)",
    )
    p.add_argument(
        "--seed",
        type=int,
        default=0,
        help="search seed, and the draw of added admissions (default: 0)",
    )
    p.add_argument("--quiet", action="store_true", help="no progress display while solving")
    p.set_defaults(func=cmd_whatif)

    p = sub.add_parser("generate", help="write a generated clinic for trials and benchmarks")
    p.add_argument("out", help="OUT.xlsx, or a folder for CSV files")
    p.add_argument("--patients", type=int, default=60, help="how many patients (default: 60)")
    p.add_argument("--sites", type=int, default=1, help="how many sites (default: 1)")
    p.add_argument(
        "--seed", type=int, default=0, help="the same seed gives the same clinic (default: 0)"
    )
    p.add_argument("--tight", action="store_true", help="demand above capacity")
    p.set_defaults(func=cmd_generate)

    p = sub.add_parser(
        "sweep", help="how many admissions a week the clinic holds, per staffing, with charts"
    )
    p.add_argument("input", help="clinic workbook (.xlsx) or folder of CSV files")
    p.add_argument(
        "--admissions",
        default="0:20:5",
        help="new admissions a week to try: FROM:TO[:STEP] or a list (default: 0:20:5)",
    )
    p.add_argument(
        "--therapists",
        default="+0",
        help="extra therapists to try, copies of group leaders: +FROM:+TO (default: +0)",
    )
    p.add_argument(
        "--blocks",
        nargs="+",
        metavar="VARIANT",
        help="block variants to try: all, or close:BLOCK_ID[,BLOCK_ID] (default: all)",
    )
    p.add_argument("--weeks", type=int, help="weeks to plan (default: the Clinic sheet's)")
    p.add_argument(
        "--jobs", type=int, help="solves at a time in worker processes (default: one per core)"
    )
    p.add_argument(
        "--dask", metavar="ADDR", help="run the solves on Dask: local, or tcp://host:8786"
    )
    p.add_argument("--out", default="sweep", help="output folder (default: sweep)")
    p.add_argument(
        "--time-limit",
        type=float,
        default=10.0,
        help="seconds per solve on an idle machine (default: 10)",
    )
    p.add_argument("--seed", type=int, default=0, help="solver and admissions seed (default: 0)")
    p.add_argument(
        "--waitlist-weeks",
        type=int,
        default=0,
        metavar="N",
        help="also plan N weeks one after another (next-week) at each staffing's saturation "
        "rate and report the waitlist and the wait in days at steady state (default: 0, off)",
    )
    p.add_argument("--quiet", action="store_true", help="no progress display")
    p.set_defaults(func=cmd_sweep)

    p = sub.add_parser("serve", help="the coordinator's workbench in a browser on this computer")
    p.add_argument("input", nargs="?", help="clinic workbook or CSV folder to open at start")
    p.add_argument("--port", type=int, default=8765, help="port (default: 8765)")
    p.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default: 127.0.0.1, this computer only); any other "
        "prints a warning, since the pages show patient names",
    )
    p.add_argument("--out", default="out", help="output folder: state and publications")
    p.add_argument(
        "--time-limit", type=float, default=10.0, help="default solve time limit (default: 10)"
    )
    p.add_argument("--workers", type=int, default=2, help="solver threads (default: 2)")
    p.set_defaults(func=cmd_serve)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command in ("solve", "next-week", "whatif", "sweep"):
        if not 0 < args.time_limit < float("inf"):
            parser.error("--time-limit must be a positive, finite number of seconds")
        if getattr(args, "workers", 1) < 1:
            parser.error("--workers must be at least 1")
        if getattr(args, "jobs", None) is not None and args.jobs < 1:
            parser.error("--jobs must be at least 1")
    try:
        status: int = args.func(args)
        return status
    except CliError as err:
        emit(f"error: {err}", err=True)
        return err.status
    except KeyboardInterrupt:
        emit("interrupted; nothing more was written", err=True)
        return 130
    except BrokenPipeError:  # a write not made through emit(); the reader has gone
        silence(sys.stdout)
        silence(sys.stderr)
        return EXIT_INTERNAL
    except Exception as err:  # the last line of defence: one line, no traceback
        if args.debug:
            raise
        stamp = dt.datetime.now().isoformat(timespec="seconds")
        emit(
            f"internal error at {stamp}: {type(err).__name__}: {err} "
            "(run with --debug for details)",
            err=True,
        )
        return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())
