"""Recommend fit on the sample clinic: 50 referrals drawn from the generator.

For each referral (``scheduler.generator.patients.draft_patients``, seeded, at the sample
clinic's site, admitted on the plan's Monday, primary therapist the one with the most room
on their caseload among those who share an individual slot with them), ``fit`` is timed
against the published sample timetable (``out/schedule.json``). Then, independently of
``fit``'s own confirmation:

- when it offers ways in, the rank-1 way's schedule is run through the checker again
  (``scheduler.check.check_schedule``, with the admission date the way assumes);
- when it offers none, the insertion probe (``scheduler.probe.insertable``) is asked
  whether the referral could be added moving nobody, which must say no.

Writes ``benchmarks/results/fit.md`` with the machine and its load::

    ./iop-scheduler solve data/sample_clinic.xlsx --out out
    .venv/bin/python -m benchmarks.fit
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from benchmarks.run import machine_info
from scheduler.check import check_schedule
from scheduler.domain import BlockKind, Clinic, Patient
from scheduler.fit import NoFit, fit
from scheduler.fit.search import with_patient
from scheduler.generator.patients import draft_patients
from scheduler.inputs.workbook import input_hash, read_clinic
from scheduler.probe import insertable
from scheduler.schedule import Schedule, Unplaced
from scheduler.schedule_json import read_schedule_json

SAMPLE = Path("data/sample_clinic.xlsx")


def referrals(clinic: Clinic, schedule: Schedule, n: int, seed: int) -> list[Patient]:
    """``n`` new patients of the sample clinic's kind, seeded."""
    site = clinic.sites[0].id
    blocks = [b for b in clinic.blocks if b.site == site]
    slots = [b for b in blocks if b.kind is BlockKind.SLOT]
    names = {p.name for p in clinic.patients} | {t.name for t in clinic.therapists}
    start = clinic.settings.week_start
    drafts = draft_patients(random.Random(seed), names, site, n, blocks, slots, start, 30)
    caseload = {t.id: 0 for t in clinic.therapists}
    for pid in schedule.placed_patients:
        caseload[clinic.patient_by_id[pid].primary_therapist] += 1
    out = []
    for i, d in enumerate(drafts, start=1):

        def room(t_id: str) -> tuple[int, str]:
            t = clinic.therapist_by_id[t_id]
            return (t.caseload_cap - caseload[t_id], t.id)

        shared = [
            t.id
            for t in clinic.therapists
            if site in t.sites and any(t.available(b.window) for b in slots)
        ]
        primary = max(shared, key=room)
        out.append(
            Patient(
                id=f"R{i:03d}",
                name=d.name,
                site=site,
                track=d.track,
                sex=d.sex,
                phase=d.phase,
                admission=start,
                discharge=max(d.discharge, start),
                primary_therapist=primary,
                family_cadence=d.family_cadence,
                family_availability=d.family_availability,
                telehealth_ok=d.telehealth_ok,
                calendar_consent=d.calendar_consent,
                preference=d.preference,
                commitments=d.commitments,
            )
        )
    return out


def _command_times(schedule_path: Path, runs: int) -> list[float]:
    """The whole ``fit`` command for one referral of the Patients sheet's kind: Python's
    start, reading and validating the workbook, the search and the output."""
    referral = Path("/tmp") / f"fit-bench-{os.getpid()}.csv"
    clinic = read_clinic(SAMPLE)
    from scheduler.inputs.rows import clinic_rows

    rows = clinic_rows(replace(clinic, patients=clinic.patients[:1]))["Patients"]
    header = list(rows[0])
    values = dict(rows[0], patient_id="R900")
    referral.write_text(",".join(header) + "\n" + ",".join(values[h] for h in header) + "\n")
    cmd = [
        "./iop-scheduler",
        "fit",
        str(SAMPLE),
        "--previous",
        str(schedule_path),
        "--patient-file",
        str(referral),
    ]
    times = []
    try:
        for _ in range(runs):
            t = time.perf_counter()
            subprocess.run(cmd, check=True, capture_output=True)
            times.append(time.perf_counter() - t)
    finally:
        referral.unlink(missing_ok=True)
    return times


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--schedule", type=Path, default=Path("out/schedule.json"))
    ap.add_argument("--referrals", type=int, default=50)
    ap.add_argument("--seed", type=int, default=12)
    ap.add_argument("--top", type=int, default=5)
    ap.add_argument("--out", type=Path, default=Path("benchmarks/results/fit.md"))
    a = ap.parse_args(argv)
    clinic = read_clinic(SAMPLE)
    schedule, meta = read_schedule_json(a.schedule)
    if meta.input_hash != input_hash(SAMPLE):
        print(f"{a.schedule} was not made from {SAMPLE}: solve it first", file=sys.stderr)
        return 2
    load_before = os.getloadavg()
    rows = []
    for r in referrals(clinic, schedule, a.referrals, a.seed):
        t = time.perf_counter()
        answer = fit(clinic, schedule, r, a.top)
        elapsed = time.perf_counter() - t
        if isinstance(answer, NoFit):
            c = with_patient(clinic, r)
            left = replace(schedule, unplaced=(*schedule.unplaced, Unplaced(r.id, "referral")))
            probe_says = insertable(c, left)
            verdict = "none (probe agrees)" if not probe_says else "PROBE FINDS ONE"
            rows.append((r, elapsed, 0, verdict, answer.reason))
            continue
        best = answer[0]
        c = with_patient(clinic, replace(r, admission=best.admission))
        violations = check_schedule(c, best.schedule)
        verdict = "valid" if not violations else f"INVALID ({len(violations)})"
        moved = f", moves {best.moves[0].patient}" if best.moves else ", moves nobody"
        note = f"rank 1 starts {best.start:%a %d %b}{moved}; {best.points:+g} points"
        rows.append((r, elapsed, len(answer), verdict, note))
    load_after = os.getloadavg()
    command = _command_times(a.schedule, 3)
    times = [e for _, e, _, _, _ in rows]
    found = sum(1 for row in rows if row[2])
    valid = sum(1 for row in rows if row[3] == "valid")
    agreed = sum(1 for row in rows if row[3] == "none (probe agrees)")
    machine = machine_info(1)
    lines = [
        "# Recommend fit on the sample clinic",
        "",
        f"Command: `.venv/bin/python -m benchmarks.fit --referrals {a.referrals} "
        f"--seed {a.seed} --top {a.top}` against `{a.schedule}` (the sample solved with "
        "`./iop-scheduler solve data/sample_clinic.xlsx --out out`, 56 of 56 placed).",
        "",
        "Machine: " + ", ".join(f"{k} {v}" for k, v in machine.items()),
        f"Load average (1, 5, 15 min) before: {', '.join(f'{x:.2f}' for x in load_before)}; "
        f"after: {', '.join(f'{x:.2f}' for x in load_after)} (other engineers share the cores).",
        "",
        "## Figures",
        "",
        f"- Referrals: {len(rows)} drawn from the generator (seed {a.seed}).",
        f"- `fit` time (search, ranking, checker confirmations; workbook already read): "
        f"median {statistics.median(times):.3f} s, worst {max(times):.3f} s, "
        f"mean {statistics.mean(times):.3f} s. Target: under 1 s.",
        f"- Ways in found: {found} referrals; the rank-1 way valid in the independent "
        f"checker for {valid} of {found}.",
        f"- No way in: {len(rows) - found} referrals; the insertion probe confirms none "
        f"exists without moving others for {agreed} of {len(rows) - found}.",
        "- The whole command (`./iop-scheduler fit data/sample_clinic.xlsx --previous "
        "out/schedule.json --patient-file referral.csv`, Python start and reading the "
        f"workbook included), 3 runs: {', '.join(f'{x:.2f} s' for x in command)}.",
        "",
        "## Each referral",
        "",
        "| Referral | Track | Time (s) | Ways | Rank 1 / verdict | Note |",
        "|---|---|---|---|---|---|",
    ]
    for r, elapsed, n, verdict, note in rows:
        lines.append(f"| {r.id} | {r.track.value} | {elapsed:.3f} | {n} | {verdict} | {note} |")
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text("\n".join(lines) + "\n")
    print("\n".join(lines[:16]))
    bad = (found - valid) + (len(rows) - found - agreed)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
