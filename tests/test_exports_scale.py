"""An XL-sized publish (2,000 patients, 1,000 sessions) writes every file and row.

Its speed is measured by the benchmark runner (benchmarks/), not asserted here."""

from __future__ import annotations

from pathlib import Path

import openpyxl
from factory import WEEK, patient, room, therapist, tiny_clinic
from test_exports_samples import NOW, stats

from scheduler.exports import publish
from scheduler.schedule import Schedule, Session, Unplaced


def test_xl_publish_is_complete(tmp_path: Path) -> None:
    patients = tuple(
        patient(f"P{i}", primary=f"T{i % 80}", calendar_consent=i % 10 == 0) for i in range(2000)
    )
    clinic = tiny_clinic(
        0,
        patients=patients,
        therapists=tuple(therapist(f"T{i}") for i in range(80)),
        rooms=tuple(room(f"R{i}") for i in range(30)),
    )
    blocks = ["MON-EVE", "WED-EVE", "FRI-EVE"]
    sessions = tuple(
        Session(
            f"s{i}",
            f"GT-{i}",
            0,
            blocks[i % 3],
            "GT",
            f"R{i % 30}",
            (f"T{i % 80}",),
            tuple(f"P{(i * 6 + k) % 1990}" for k in range(6)),
        )
        for i in range(1000)
    )
    unplaced = tuple(Unplaced(f"P{i}", "no block fits") for i in range(1990, 2000))
    schedule = Schedule(WEEK, 1, sessions, unplaced, stats())
    paths = publish(clinic, schedule, tmp_path, now=NOW)
    assert len(paths) == 3 + 1 + 80 + 30 + 200
    wb = openpyxl.load_workbook(tmp_path / "schedule.xlsx", read_only=True)
    assert wb["Rosters"].max_row == 1 + 6000
