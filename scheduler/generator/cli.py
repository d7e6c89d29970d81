"""The command line ``python -m scheduler.generator OUT [--patients N] [--therapists N]
[--rooms N] [--sites N] [--seed N] [--tight]``: generate a clinic and write it as a workbook
(``OUT`` ending in ``.xlsx``) or a CSV folder. Exit status 2 for sizes it cannot build."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from scheduler.generator.clinic import generate_clinic
from scheduler.generator.files import write_clinic


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m scheduler.generator",
        description="Generate a realistic clinic (invented people) as a workbook or CSV folder.",
    )
    parser.add_argument("out", type=Path, help="OUT.xlsx for a workbook, else a CSV folder")
    parser.add_argument("--patients", type=int, default=60)
    parser.add_argument("--therapists", type=int, default=None)
    parser.add_argument("--rooms", type=int, default=None, help="group rooms over all sites")
    parser.add_argument("--sites", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--tight", action="store_true", help="demand exceeds capacity")
    args = parser.parse_args(argv)
    try:
        clinic = generate_clinic(
            patients=args.patients,
            therapists=args.therapists,
            rooms=args.rooms,
            sites=args.sites,
            seed=args.seed,
            tight=args.tight,
        )
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    write_clinic(clinic, args.out)
    print(
        f"wrote {args.out}: {len(clinic.patients)} patients, {len(clinic.therapists)} "
        f"therapists, {len(clinic.rooms)} rooms, {len(clinic.sites)} site(s)"
    )
    return 0
