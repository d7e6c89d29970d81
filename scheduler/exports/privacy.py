"""Words withheld from anything a calendar service fetches (DESIGN.md §6).

A calendar feed that Google, Apple or Microsoft fetch is a disclosure under 42 CFR Part 2:
it must not say what kind of treatment the clinic gives. Text that reaches a feed from the
clinic's own data (room names, group codes, the clinic name) passes through
:func:`neutral`, which replaces any withheld word with a neutral one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# Stems matched case-insensitively anywhere in a word; "iop" only where no letter precedes
# it, so "biopsy" is not caught but "IOP-GT" and "GT_IOP" are.
WITHHELD_STEMS: tuple[str, ...] = (
    "addict",
    "detox",
    "substance",
    "recover",
    "rehab",
    "alcohol",
    "opioid",
    "opiate",
    "methadone",
    "suboxone",
    "buprenorphine",
    "naloxone",
    "narcotic",
    "cocaine",
    "heroin",
    "fentanyl",
    "sober",
    "sobriety",
    "relapse",
    "overdose",
    "drug",
)
_WITHHELD = re.compile(
    r"(?<![a-z])iop[a-z]*|[a-z]*(?:" + "|".join(WITHHELD_STEMS) + r")[a-z]*",
    re.IGNORECASE,
)
REPLACEMENT = "Program"


def withheld_words(text: str) -> list[str]:
    """The withheld words found in ``text`` (empty when it may be published)."""
    return [m.group(0) for m in _WITHHELD.finditer(text)]


def neutral(text: str, fallback: str = REPLACEMENT) -> str:
    """``text`` with every withheld word replaced; ``fallback`` when nothing is left."""
    out = _WITHHELD.sub(REPLACEMENT, text).strip()
    return out or fallback


def redact_people(text: str, tokens: Iterable[str], replacement: str = "•") -> str:
    """``text`` with each of ``tokens`` (patient IDs, names) replaced where it stands alone.

    Group codes are made by the solver and might embed a patient ID for an individual
    session; a staff feed must not carry it.
    """
    lowered = text.lower()
    for token in tokens:
        token = token.strip()
        if len(token) < 2 or token.lower() not in lowered:
            continue  # the cheap test first: a regex per patient per session is slow
        text = re.sub(
            r"(?<![A-Za-z0-9])" + re.escape(token) + r"(?![A-Za-z0-9])",
            replacement,
            text,
            flags=re.IGNORECASE,
        )
        lowered = text.lower()
    return text
