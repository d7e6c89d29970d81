"""Week after week: how many appointments change when the clinic changes a little.

``python -m benchmarks.week_after_week [--clinics sample,M-loose] [--time-limit S] [--weeks N]``

For each clinic: a first solve, then re-solves with that schedule as ``previous``
(:func:`scheduler.model.solve`) after one small change each — none; one room closed for the
day it holds most sessions; one new admission copied from a placed patient; one therapist
off for the day they lead most — and a chain of ``next-week`` runs over ``--weeks`` weeks
with admissions and discharges every week. Each changed appointment is counted per patient
(moved, added, cancelled, new room, new leader) against the previous week it repeats
(:mod:`scheduler.previous`) by the change report (:func:`scheduler.changes.compare`), which
says which changes the input forced. Every schedule goes through the
independent checker. Results: ``benchmarks/results/week_after_week.md``.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from benchmarks import ladder
from benchmarks.run import machine_info
from scheduler.changes import AppointmentChange, ChangeReport, Who, compare
from scheduler.check import check_schedule
from scheduler.domain import Clinic, Closure, Patient
from scheduler.generator import sample_clinic
from scheduler.model import SolveOptions, solve
from scheduler.probe import probe
from scheduler.schedule import Schedule, Unplaced
from scheduler.topics import coverage

RESULTS = Path(__file__).parent / "results" / "week_after_week.md"


@dataclass
class Outcome:
    name: str
    placed_before: int
    placed_after: int
    report: ChangeReport | None = None
    seconds: float = 0.0

    def patient_changes(self) -> list[AppointmentChange]:
        return [c for c in self.report.changes if c.who is Who.PATIENT] if self.report else []

    def count(self, forced: bool | None = None) -> int:
        return sum(1 for c in self.patient_changes() if forced is None or c.forced is forced)


def _solve(clinic: Clinic, options: SolveOptions, previous: Schedule | None) -> Schedule:
    schedule = solve(clinic, options, previous=previous)
    violations = check_schedule(clinic, schedule)
    if violations:
        raise SystemExit(f"checker refused a schedule: {violations[:3]}")
    return schedule


def _busiest(schedule: Schedule, clinic: Clinic, attr: str) -> tuple[str, dt.date]:
    tally: Counter[tuple[str, dt.date]] = Counter()
    for s in schedule.sessions:
        if s.week != 0:
            continue
        for who in (s.room,) if attr == "room" else s.therapists:
            tally[(who, s.date(clinic))] += 1
    (who, day), _ = sorted(tally.items(), key=lambda x: (-x[1], x[0]))[0]
    return who, day


def _newcomer(clinic: Clinic, schedule: Schedule) -> Patient:
    """A copy of a placed continuing patient, admitted on the plan's Monday, for whom a seat
    exists: the model-free probe (:mod:`scheduler.probe`) seats them in open groups as they
    stand, with no group opened and no leader added."""
    start = clinic.settings.week_start
    for model in sorted(clinic.patients, key=lambda p: p.id):
        if model.id not in schedule.placed_patients or not model.is_continuing(start):
            continue
        newcomer = dataclasses.replace(
            model,
            id="N0001",
            name="New Patient",
            admission=start,
            discharge=start + dt.timedelta(weeks=6, days=-2),
        )
        trial = dataclasses.replace(clinic, patients=(*clinic.patients, newcomer))
        waiting = dataclasses.replace(
            schedule, unplaced=(*schedule.unplaced, Unplaced(newcomer.id, "new"))
        )
        for ins in probe(trial, waiting, swaps=False).insertions:
            joined = [ins.schedule.session_by_id[x] for x in ins.joined]
            same_leaders = all(
                s.therapists == schedule.session_by_id[s.id].therapists for s in joined
            )
            opens_group = any(clinic.session_type_by_id[a.session_type].is_group for a in ins.added)
            if ins.patient == newcomer.id and same_leaders and not opens_group:
                return newcomer
    raise SystemExit("no placed patient's copy finds an open seat")


def scenarios(name: str, clinic: Clinic, options: SolveOptions) -> list[Outcome]:
    t0 = time.monotonic()
    base = _solve(clinic, options, None)
    first = time.monotonic() - t0
    placed0 = len(base.placed_patients)
    out = [Outcome(f"{name}: first solve", placed0, placed0, seconds=first)]

    def run(label: str, changed: Clinic) -> None:
        t = time.monotonic()
        after = _solve(changed, options, base)
        seconds = time.monotonic() - t
        report = compare(changed, base, after)
        out.append(
            Outcome(f"{name}: {label}", placed0, len(after.placed_patients), report, seconds)
        )

    run("unchanged", clinic)
    room, day = _busiest(base, clinic, "room")
    closed = dataclasses.replace(
        clinic, closures=(*clinic.closures, Closure(day, room=room, note="renovation"))
    )
    run(f"room {room} closed {day:%a %d %b}", closed)
    newcomer = _newcomer(clinic, base)
    run(
        "one new admission with a seat open",
        dataclasses.replace(clinic, patients=(*clinic.patients, newcomer)),
    )
    therapist, tday = _busiest(base, clinic, "therapist")
    off = dataclasses.replace(
        clinic, closures=(*clinic.closures, Closure(tday, therapist=therapist, note="off"))
    )
    run(f"therapist {therapist} off {tday:%a %d %b}", off)
    return out


@dataclass
class Cycles:
    """Topic cycles over the rolling chain (:func:`scheduler.topics.coverage`)."""

    discharged: int
    eligible: int
    covered: int
    repeats: int
    sessions: int


def rolling(
    name: str, clinic: Clinic, options: SolveOptions, weeks: int
) -> tuple[list[Outcome], Cycles]:
    """``weeks`` next-week runs with admissions every week (copies of the clinic's
    patients, spread over the weekdays) and the discharges their dates bring."""
    start = clinic.settings.week_start
    profiles = sorted(clinic.patients, key=lambda p: p.id)
    per_week = max(2, len(profiles) // 12)
    extra = []
    for k in range(1, weeks + 1):
        for i in range(per_week):
            model = profiles[(k * per_week + i) % len(profiles)]
            admit = start + dt.timedelta(weeks=k, days=i % 3)
            extra.append(
                dataclasses.replace(
                    model,
                    id=f"W{k:02d}{i:03d}",
                    name=f"Admitted {k}-{i}",
                    admission=admit,
                    discharge=admit + dt.timedelta(weeks=4 + (i % 5), days=4),
                )
            )
    clinic = dataclasses.replace(clinic, patients=(*clinic.patients, *extra))
    previous = _solve(clinic, options, None)
    chain = [previous]
    out = []
    for k in range(1, weeks + 1):
        settings = dataclasses.replace(
            clinic.settings, week_start=previous.week_start + dt.timedelta(weeks=1)
        )
        week = dataclasses.replace(clinic, settings=settings)
        t = time.monotonic()
        schedule = _solve(week, options, previous)
        seconds = time.monotonic() - t
        out.append(
            Outcome(
                f"{name}: next week {k} ({settings.week_start:%d %b})",
                len(previous.placed_patients),
                len(schedule.placed_patients),
                compare(week, previous, schedule),
                seconds,
            )
        )
        previous = schedule
        chain.append(schedule)
    got = coverage(clinic, chain)
    return out, Cycles(got.discharged, got.eligible, got.covered, got.repeats, got.sessions)


def _clinic(name: str) -> Clinic:
    return sample_clinic() if name == "sample" else ladder.by_name(name).build()


def _unforced_lines(o: Outcome, limit: int = 12) -> list[str]:
    out = []
    for c in [c for c in o.patient_changes() if not c.forced][:limit]:
        old = f"{c.old.date:%a} {c.old.start} {c.old.session_type} {c.old.room}" if c.old else "—"
        new = f"{c.new.date:%a} {c.new.start} {c.new.session_type} {c.new.room}" if c.new else "—"
        out.append(f"  - {o.name}: {c.person} {c.kind_text}: {old} → {new}")
    return out


def report(outcomes: list[Outcome], cycles: list[Cycles], args: argparse.Namespace) -> str:
    lines = [
        "# Week after week: appointments changed",
        "",
        f"`python -m benchmarks.week_after_week --clinics {args.clinics} "
        f"--time-limit {args.time_limit:g} --weeks {args.weeks}`",
        "",
        "Each run re-solves with the run before it as the previous schedule. Appointments "
        "are continuing patients' (placed before and after), counted by the change report "
        "(`scheduler.changes.compare`) against the previous week each new week repeats. "
        "Forced: the old appointment cannot exist any more and the report names why (the "
        "closed room, the absent therapist, a discharge, a family session not due, a first "
        "full week …); unforced: everything else, which the minimal-change stage should "
        "make only to place more patients.",
        "",
        "| run | placed before → after | changed | forced | unforced | therapist rows | s |",
        "|---|---|---|---|---|---|---|",
    ]
    for o in outcomes:
        therapists = len(o.report.changes) - len(o.patient_changes()) if o.report else 0
        lines.append(
            f"| {o.name} | {o.placed_before} → {o.placed_after} | {o.count()} | "
            f"{o.count(True)} | {o.count(False)} | {therapists} | {o.seconds:.1f} |"
        )
    for c in cycles:
        lines += [
            "",
            f"Topic cycles over the rolling chain: {c.discharged} patients discharged, "
            f"{c.eligible} of them stayed long enough to meet every module, {c.covered} "
            f"did; {c.repeats} repeats before a cycle was done in {c.sessions} "
            "patient-sessions of cycled types.",
        ]
    unforced = [line for o in outcomes for line in _unforced_lines(o)]
    if unforced:
        lines += ["", "Unforced changes (at most 12 per run):", "", *unforced]
    lines += ["", "Machine:", ""]
    lines += [f"- {k}: {v}" for k, v in machine_info(args.workers).items()]
    try:
        load = Path("/proc/loadavg").read_text().split()[:3]
        lines.append(f"- load average at the end: {' '.join(load)}")
    except OSError:
        pass
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clinics", default="sample,M-loose")
    parser.add_argument("--time-limit", type=float, default=20.0)
    parser.add_argument("--weeks", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--no-rolling", action="store_true")
    parser.add_argument("--out", default=str(RESULTS))
    args = parser.parse_args()
    options = SolveOptions(time_limit_s=args.time_limit, workers=args.workers, seed=0)
    outcomes: list[Outcome] = []
    cycles: list[Cycles] = []
    for name in args.clinics.split(","):
        clinic = _clinic(name)
        done = len(outcomes)
        outcomes += scenarios(name, clinic, options)
        if not args.no_rolling and name == "sample":
            chain, cycled = rolling(name, clinic, options, args.weeks)
            outcomes += chain
            cycles.append(cycled)
            print(cycled, flush=True)
        for o in outcomes[done:]:
            print(
                f"{o.name}: placed {o.placed_before}->{o.placed_after}, changed {o.count()} "
                f"(forced {o.count(True)}, unforced {o.count(False)})",
                flush=True,
            )
            print("\n".join(_unforced_lines(o)), flush=True)
    text = report(outcomes, cycles, args)
    Path(args.out).write_text(text)
    print(text)


if __name__ == "__main__":
    main()
