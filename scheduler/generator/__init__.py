"""Seeded generator of realistic IOP clinics, and the shipped sample clinic.

``generate_clinic(patients=60, seed=0)`` builds a whole :class:`~scheduler.domain.Clinic`:
sites with the usual weekly pattern of 3-hour group blocks and 1-hour individual/family
slots, the session types and curriculum of DESIGN.md §3, a mixed staff (licensed and
counselor credentials, day, evening, Saturday and part-time shifts), rooms, and patients with
jobs, school and childcare around which they must be scheduled. Everything is drawn from
``random.Random`` streams seeded from ``seed`` (never the global generator) and no step
depends on set iteration order, so a seed always gives the same clinic.

Loose clinics (the default) have rooms and staff with slack, so everyone is placeable; a
``tight=True`` clinic has the same patients with fewer group rooms and therapists, so some
patients cannot be placed. :func:`capacity_estimate` does the seats-needed vs seats-offered
arithmetic per site (no solver) so tests and capacity planning can tell which is which.

All names are invented from short lists of common first and last names.

The package's modules:

- :mod:`~scheduler.generator.catalog`: the fixed catalogue — weekdays, credentials, the
  weekly block pattern, session types, curriculum and names;
- :mod:`~scheduler.generator.staff`: shifts and drafting therapists;
- :mod:`~scheduler.generator.patients`: drafting patients (commitments, preferences, phases,
  dates, family);
- :mod:`~scheduler.generator.clinic`: sizing defaults, :func:`generate_clinic` with primary
  therapists and caseload cover, and :func:`sample_clinic`;
- :mod:`~scheduler.generator.capacity`: :class:`SiteCapacity` and :func:`capacity_estimate`;
- :mod:`~scheduler.generator.files`: :func:`write_clinic` and :func:`write_sample_data`;
- :mod:`~scheduler.generator.cli`: the command line (run by ``__main__``).

Run ``python -m scheduler.generator OUT [--patients N] [--sites N] [--seed N] [--tight]``
to write a clinic as a workbook (``OUT`` ending in ``.xlsx``) or a CSV folder.
"""

from __future__ import annotations

from scheduler.generator.capacity import SiteCapacity, capacity_estimate
from scheduler.generator.catalog import (
    ALL_CREDENTIALS,
    COUNSELOR,
    FIRST_NAMES,
    FRI,
    GROUP_BLOCKS,
    LAST_NAMES,
    LICENSED,
    MON,
    SAT,
    SITE_NAMES,
    SLOT_MINUTES,
    SLOT_STARTS,
    THU,
    TUE,
    WED,
    WEEKDAYS,
    curriculum,
    session_types,
)
from scheduler.generator.cli import main
from scheduler.generator.clinic import (
    DEFAULT_WEEK_START,
    MAX_PATIENTS,
    MIN_PATIENTS_PER_SITE,
    MIN_THERAPISTS_PER_SITE,
    default_rooms,
    default_therapists,
    generate_clinic,
    sample_clinic,
)
from scheduler.generator.files import write_clinic, write_sample_data
from scheduler.generator.patients import ADULT_PROFILES
from scheduler.generator.staff import SHIFT_WEIGHTS, SHIFTS, TEMPLATE

__all__ = [
    "ADULT_PROFILES",
    "ALL_CREDENTIALS",
    "COUNSELOR",
    "DEFAULT_WEEK_START",
    "FIRST_NAMES",
    "FRI",
    "GROUP_BLOCKS",
    "LAST_NAMES",
    "LICENSED",
    "MAX_PATIENTS",
    "MIN_PATIENTS_PER_SITE",
    "MIN_THERAPISTS_PER_SITE",
    "MON",
    "SAT",
    "SHIFTS",
    "SHIFT_WEIGHTS",
    "SITE_NAMES",
    "SLOT_MINUTES",
    "SLOT_STARTS",
    "TEMPLATE",
    "THU",
    "TUE",
    "WED",
    "WEEKDAYS",
    "SiteCapacity",
    "capacity_estimate",
    "curriculum",
    "default_rooms",
    "default_therapists",
    "generate_clinic",
    "main",
    "sample_clinic",
    "session_types",
    "write_clinic",
    "write_sample_data",
]
