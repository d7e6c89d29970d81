"""Week after week: how many appointments change when the clinic changes a little.

``python -m benchmarks.week_after_week [--clinics sample,M-loose] [--time-limit S] [--weeks N]``

For each clinic: a first solve, then re-solves with that schedule as ``previous``
(:func:`scheduler.model.solve`) after one small change each — none; one room closed for the
day it holds most sessions; one new admission copied from a placed patient; one therapist
off for the day they lead most — and a chain of ``next-week`` runs over ``--weeks`` weeks
with admissions and discharges every week. Each changed appointment is counted per patient
(moved, added, cancelled, new room, new leader) against the previous week it repeats
(:mod:`scheduler.previous`), and said to be inside the change (the closed room's or the
absent therapist's sessions that day) or elsewhere. Every schedule goes through the
independent checker. Results: ``benchmarks/results/week_after_week.md``.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks import ladder
from benchmarks.run import machine_info
from scheduler.check import check_schedule
from scheduler.domain import Clinic, Closure, Patient
from scheduler.generator import sample_clinic
from scheduler.model import SolveOptions, solve
from scheduler.previous import references
from scheduler.schedule import Schedule, Session

RESULTS = Path(__file__).parent / "results" / "week_after_week.md"


@dataclass
class Change:
    patient: str
    kind: str  # moved, added, cancelled, room, leader
    date: dt.date
    block: str
    session_type: str
    inside: bool  # within what the input changed (the closed room or absent therapist's day)


@dataclass
class Outcome:
    name: str
    placed_before: int
    placed_after: int
    changes: list[Change] = field(default_factory=list)
    seconds: float = 0.0
    violations: int = 0

    def count(self, inside: bool | None = None) -> int:
        return sum(1 for c in self.changes if inside is None or c.inside is inside)


Inside = Callable[[Session, dt.date], bool]


def changes(
    clinic: Clinic, previous: Schedule, schedule: Schedule, inside: Inside | None = None
) -> list[Change]:
    """Every appointment of a patient the previous week scheduled that differs in the new
    week repeating it (patients new to the plan have nothing to change)."""
    out: list[Change] = []
    settings = clinic.settings
    refs = references(previous, settings.week_start, settings.weeks)
    for w, ref in refs.items():
        day0 = settings.week_start + dt.timedelta(weeks=w)
        old = _appointments(ref.sessions)
        new = _appointments(s for s in schedule.sessions if s.week == w)
        in_plan = {p.id for p in clinic.patients if p.in_treatment(day0 + dt.timedelta(days=6))}
        for pid in sorted({p for p, _ in old} & (in_plan | {p for p, _ in new})):
            mine_old = {k: s for (p, k), s in old.items() if p == pid}
            mine_new = {k: s for (p, k), s in new.items() if p == pid}
            for k in sorted(mine_old.keys() | mine_new.keys()):
                a, b = mine_old.get(k), mine_new.get(k)
                date = day0 + dt.timedelta(days=clinic.block_by_id[k[0]].weekday)
                kinds = []
                if a is None:
                    kinds.append("added")
                elif b is None:
                    kinds.append("cancelled")
                else:
                    if a.room != b.room:
                        kinds.append("room")
                    if set(a.therapists) != set(b.therapists):
                        kinds.append("leader")
                for kind in kinds:
                    hit = any(inside(s, date) for s in (a, b) if s is not None) if inside else False
                    out.append(Change(pid, kind, date, k[0], k[1], hit))
    # A moved appointment is cancelled inside the change and added elsewhere: both halves
    # belong to the change.
    moved_out = {(c.patient, c.session_type) for c in out if c.inside and c.kind == "cancelled"}
    for c in out:
        if c.kind == "added" and (c.patient, c.session_type) in moved_out:
            c.inside = True
    return out


def _appointments(sessions: object) -> dict[tuple[str, tuple[str, str]], Session]:
    out: dict[tuple[str, tuple[str, str]], Session] = {}
    for s in sessions:  # type: ignore[attr-defined]
        for p in s.patients:
            out[(p, (s.block, s.session_type))] = s
    return out


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


def _newcomer(clinic: Clinic, schedule: Schedule, number: int) -> Patient:
    """A copy of a placed continuing patient, admitted on the plan's Monday."""
    placed = sorted(schedule.placed_patients)
    start = clinic.settings.week_start
    model = next(
        p
        for p in clinic.patients
        if p.id in placed
        and p.is_continuing(start)
        and p.discharge > start + dt.timedelta(weeks=clinic.settings.weeks + 2)
    )
    return dataclasses.replace(
        model,
        id=f"N{number:04d}",
        name=f"New Patient {number}",
        admission=start,
        discharge=start + dt.timedelta(weeks=6, days=-2),
    )


def scenarios(name: str, clinic: Clinic, options: SolveOptions) -> list[Outcome]:
    t0 = time.monotonic()
    base = _solve(clinic, options, None)
    first = time.monotonic() - t0
    placed0 = len(base.placed_patients)
    out = [Outcome(f"{name}: first solve", placed0, placed0, seconds=first)]

    def run(label: str, changed: Clinic, inside: Inside | None) -> None:
        t = time.monotonic()
        after = _solve(changed, options, base)
        out.append(
            Outcome(
                f"{name}: {label}",
                placed0,
                len(after.placed_patients),
                changes(changed, base, after, inside),
                time.monotonic() - t,
            )
        )

    run("unchanged", clinic, None)
    room, day = _busiest(base, clinic, "room")
    closed = dataclasses.replace(
        clinic, closures=(*clinic.closures, Closure(day, room=room, note="renovation"))
    )
    run(
        f"room {room} closed {day:%a %d %b}",
        closed,
        lambda s, d: s.room == room and d == day,
    )
    newcomer = _newcomer(clinic, base, 1)
    run(
        f"one new admission ({newcomer.id}, like {newcomer.primary_therapist}'s patients)",
        dataclasses.replace(clinic, patients=(*clinic.patients, newcomer)),
        lambda s, d: newcomer.id in s.patients,
    )
    therapist, tday = _busiest(base, clinic, "therapist")
    off = dataclasses.replace(
        clinic, closures=(*clinic.closures, Closure(tday, therapist=therapist, note="off"))
    )
    run(
        f"therapist {therapist} off {tday:%a %d %b}",
        off,
        lambda s, d: therapist in s.therapists and d == tday,
    )
    return out


def rolling(name: str, clinic: Clinic, options: SolveOptions, weeks: int) -> list[Outcome]:
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
    out = []
    for k in range(1, weeks + 1):
        settings = dataclasses.replace(
            clinic.settings, week_start=previous.week_start + dt.timedelta(weeks=1)
        )
        week = dataclasses.replace(clinic, settings=settings)
        t = time.monotonic()
        schedule = _solve(week, options, previous)
        found = changes(week, previous, schedule)
        out.append(
            Outcome(
                f"{name}: next week {k} ({settings.week_start:%d %b})",
                len(previous.placed_patients),
                len(schedule.placed_patients),
                found,
                time.monotonic() - t,
            )
        )
        previous = schedule
    return out


def _clinic(name: str) -> Clinic:
    return sample_clinic() if name == "sample" else ladder.by_name(name).build()


def report(outcomes: list[Outcome], args: argparse.Namespace) -> str:
    lines = [
        "# Week after week: appointments changed",
        "",
        f"`python -m benchmarks.week_after_week --clinics {args.clinics} "
        f"--time-limit {args.time_limit:g} --weeks {args.weeks}`",
        "",
        "Changes count continuing patients' appointments against the previous week each new "
        "week repeats: inside = within what the input changed (the closed room's or absent "
        "therapist's sessions that day, the new patient's own); elsewhere = the rest.",
        "",
        "| run | placed before → after | changed inside | changed elsewhere | kinds | s |",
        "|---|---|---|---|---|---|",
    ]
    for o in outcomes:
        kinds = Counter(c.kind for c in o.changes)
        kind_text = ", ".join(f"{k} {n}" for k, n in sorted(kinds.items())) or "—"
        lines.append(
            f"| {o.name} | {o.placed_before} → {o.placed_after} | {o.count(True)} | "
            f"{o.count(False)} | {kind_text} | {o.seconds:.1f} |"
        )
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
    parser.add_argument("--detail", action="store_true", help="print each change elsewhere")
    parser.add_argument("--out", default=str(RESULTS))
    args = parser.parse_args()
    options = SolveOptions(time_limit_s=args.time_limit, workers=args.workers, seed=0)
    outcomes: list[Outcome] = []
    for name in args.clinics.split(","):
        clinic = _clinic(name)
        outcomes += scenarios(name, clinic, options)
        if not args.no_rolling and name == "sample":
            outcomes += rolling(name, clinic, options, args.weeks)
        for o in outcomes:
            if args.detail:
                for c in o.changes:
                    if not c.inside:
                        print("   ", o.name, c)
            print(
                f"{o.name}: placed {o.placed_before}->{o.placed_after}, "
                f"changed inside {o.count(True)}, elsewhere {o.count(False)}",
                flush=True,
            )
    text = report(outcomes, args)
    Path(args.out).write_text(text)
    print(text)


if __name__ == "__main__":
    main()
