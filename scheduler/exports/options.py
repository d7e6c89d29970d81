"""What a clinic may choose about its published outputs."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

SignInShows = Literal["name", "code"]


@dataclass(frozen=True)
class PublishOptions:
    """Choices for :func:`scheduler.exports.publish`.

    ``sign_in_shows``: what a printed sign-in sheet lists for each patient, the patient's
    name or their code (the patient ID). Either way it carries no diagnosis or treatment
    words (HHS guidance on sign-in sheets).

    ``internal_calendar_details``: staff feeds also carry the session type and the patients'
    names. Only for a clinic-internal calendar covered by a business associate agreement;
    off by default and warned about when on. Patient feeds never carry more than
    "Appointment" and a neutral place.

    ``calendar_name_prefix``: shown before every feed's name (e.g. "Northside"); empty uses
    the clinic name when that name carries no withheld word.

    ``patient_place``: the neutral place shown in patient feeds; empty uses the site name
    (with any withheld word removed).

    ``sign_in_skip_types``: session type IDs that get no printed sign-in sheet (e.g. the
    individual sessions, when the counselor's note is the attendance record).
    """

    sign_in_shows: SignInShows = "name"
    internal_calendar_details: bool = False
    refresh_interval: dt.timedelta = dt.timedelta(hours=1)
    calendar_name_prefix: str = ""
    patient_place: str = ""
    walk_in_rows: int = 3
    sign_in_skip_types: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        if self.sign_in_shows not in ("name", "code"):
            raise ValueError("sign_in_shows must be 'name' or 'code'")
        if self.refresh_interval < dt.timedelta(minutes=5):
            raise ValueError("refresh_interval must be at least 5 minutes")
        if not 0 <= self.walk_in_rows <= 20:
            raise ValueError("walk_in_rows must be 0 to 20")
