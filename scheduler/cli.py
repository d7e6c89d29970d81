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
    write_template(path)
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


def _display_mode(args: argparse.Namespace) -> Mode:
    """A bar on a terminal, plain lines in a pipe or log, numbers with ``--verbose``."""
    if args.quiet:
        return "quiet"
    if args.verbose:
        return "verbose"
    return "bar" if sys.stderr.isatty() else "lines"


def cmd_solve(args: argparse.Namespace) -> int:
    from scheduler.model import ModelInvalidError, SolveOptions, solve
    from scheduler.progress import solve_display
    from scheduler.report import coordinator_summary
    from scheduler.schedule_json import schedule_json_bytes

    input_path = Path(args.input) if args.input else _default_input()
    clinic, digest, _ = _load(input_path, writes=True)
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
            schedule = solve(clinic, options, on_progress=on_progress)
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
    written = _publish(clinic, schedule, args, extra={"schedule.json": payload})
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
        return publish(clinic, schedule, out, options=options, extra=extra)
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
    from scheduler.compliance import schedule_notes

    notes = schedule_notes(clinic, schedule)
    if notes:
        emit(f"Waived sessions and short weeks ({len(notes)}):")
        emit("\n".join(f"  {n}" for n in notes))


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
    p.set_defaults(func=cmd_solve)

    p = sub.add_parser("export", help="publish a saved schedule.json again")
    p.add_argument("schedule", help="a schedule.json written by solve")
    p.add_argument("--input", help="the clinic it was made from (default: as recorded)")
    p.add_argument("--out", default="out", help="output folder (default: out)")
    p.add_argument("--force", action="store_true", help="export even if the input changed")
    _publish_arguments(p)
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("generate", help="write a generated clinic for trials and benchmarks")
    p.add_argument("out", help="OUT.xlsx, or a folder for CSV files")
    p.add_argument("--patients", type=int, default=60, help="how many patients (default: 60)")
    p.add_argument("--sites", type=int, default=1, help="how many sites (default: 1)")
    p.add_argument(
        "--seed", type=int, default=0, help="the same seed gives the same clinic (default: 0)"
    )
    p.add_argument("--tight", action="store_true", help="demand above capacity")
    p.set_defaults(func=cmd_generate)

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
    if args.command == "solve":
        if not 0 < args.time_limit < float("inf"):
            parser.error("--time-limit must be a positive, finite number of seconds")
        if args.workers < 1:
            parser.error("--workers must be at least 1")
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
