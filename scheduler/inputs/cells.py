"""Cell text in and out: parsers, formatters and typed Excel values turned to text.

Cells are read as text and parsed deliberately: a parser takes the stripped cell text and
returns a value or raises :class:`CellError` with a message and a fix in coordinator words.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from enum import Enum
from typing import Any, Literal, TypeVar

from openpyxl.utils.datetime import from_excel

from scheduler.domain import (
    MINUTES_PER_DAY,
    Weekday,
    format_time,
)

LIST_SEPARATOR = ";"
_SPLIT = re.compile(r"[;,]")  # a comma is accepted too: coordinators type both

_E = TypeVar("_E", bound=Enum)

CellKind = Literal["text", "time", "date"]


class CellError(ValueError):
    """A cell's text cannot be parsed; ``message`` says what is wrong, ``fix`` what to do."""

    def __init__(self, message: str, fix: str) -> None:
        super().__init__(f"{message} — {fix}")
        self.message = message
        self.fix = fix


# --------------------------------------------------------------------------------------
# Parsers: stripped, non-empty text → value.


# IDs become file names (``therapist-<id>.ics``); 64 characters keep every name well
# under the 255-byte limit of common file systems, whatever the prefix and suffix.
MAX_ID_LENGTH = 64


def parse_id(text: str) -> str:
    if any(ch in text for ch in ";,"):
        raise CellError(f'"{text}" is not a usable ID', "IDs cannot contain ; or ,")
    if len(text) > MAX_ID_LENGTH:
        raise CellError(
            f'"{text[:20]}…" is {len(text)} characters long',
            f"use a short ID of at most {MAX_ID_LENGTH} characters",
        )
    return text


def parse_text(text: str) -> str:
    return text


def parse_int(text: str) -> int:
    try:
        number = float(text)
    except ValueError:
        number = float("nan")
    if not number.is_integer():
        raise CellError(f'"{text}" is not a whole number', "write a whole number such as 12")
    return int(number)


def parse_float(text: str) -> float:
    try:
        number = float(text)
    except ValueError:
        raise CellError(f'"{text}" is not a number', "write a number such as 9 or 9.5") from None
    if number != number or number in (float("inf"), float("-inf")):
        raise CellError(f'"{text}" is not a number', "write a number such as 9 or 9.5")
    return number


_TRUE = {"yes", "y", "true", "1"}
_FALSE = {"no", "n", "false", "0"}


def parse_bool(text: str) -> bool:
    low = text.lower()
    if low in _TRUE:
        return True
    if low in _FALSE:
        return False
    raise CellError(f'"{text}" is not yes or no', "write yes or no")


_TIME = re.compile(r"^(\d{1,2}):(\d{2})(?::00)?$")


def parse_time(text: str) -> int:
    """``"09:30"`` → 570 minutes after midnight; ``"24:00"`` is allowed (as an end)."""
    match = _TIME.match(text)
    if match:
        minute = int(match.group(1)) * 60 + int(match.group(2))
        if int(match.group(2)) < 60 and minute <= MINUTES_PER_DAY:
            return minute
    raise CellError(f'"{text}" is not a time', "write it as HH:MM on a 24-hour clock, e.g. 18:00")


def parse_date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise CellError(f'"{text}" is not a date', "write it as YYYY-MM-DD") from None


_WEEKDAYS = {d.label.lower(): d for d in Weekday} | {d.name.lower(): d for d in Weekday}
_WEEKDAYS |= {
    name.lower(): d
    for d, name in zip(
        Weekday,
        ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
        strict=True,
    )
}


def parse_weekday(text: str) -> Weekday:
    try:
        return _WEEKDAYS[text.lower()]
    except KeyError:
        raise CellError(
            f'"{text}" is not a weekday', "write Mon, Tue, Wed, Thu, Fri, Sat or Sun"
        ) from None


def _enum_key(text: str) -> str:
    return text.strip().lower().replace(" ", "_").replace("-", "_")


def enum_parser(kind: type[_E]) -> Callable[[str], _E]:
    by_value = {str(member.value): member for member in kind}
    choices = ", ".join(by_value)

    def parse(text: str) -> _E:
        try:
            return by_value[_enum_key(text)]
        except KeyError:
            raise CellError(
                f'"{text}" is not one of the choices', f"write one of {choices}"
            ) from None

    return parse


def split_list(text: str) -> list[str]:
    return [part.strip() for part in _SPLIT.split(text) if part.strip()]


def parse_set(text: str) -> frozenset[str]:
    return frozenset(split_list(text))


def parse_sequence(text: str) -> tuple[str, ...]:
    """An ordered list separated by ``;`` only: its items are names that may hold a comma
    ("Module 3 — Triggers, cravings"). Empty entries are dropped."""
    return tuple(part.strip() for part in text.split(LIST_SEPARATOR) if part.strip())


def enum_set_parser(kind: type[_E]) -> Callable[[str], frozenset[_E]]:
    one = enum_parser(kind)

    def parse(text: str) -> frozenset[_E]:
        return frozenset(one(part) for part in split_list(text))

    return parse


# --------------------------------------------------------------------------------------
# Formatters: value → cell text (the writer's side of the parsers above).


def fmt_number(value: float | None) -> str:
    if value is None:
        return ""
    if float(value).is_integer():
        return str(int(value))
    return repr(float(value))


def fmt_bool(value: bool) -> str:
    return "yes" if value else "no"


def fmt_set(values: frozenset[Any]) -> str:
    return LIST_SEPARATOR.join(sorted(str(v) for v in values))


def fmt_sequence(values: tuple[str, ...]) -> str:
    return LIST_SEPARATOR.join(values)


def fmt_time(minute: int) -> str:
    return format_time(minute)


def fmt_weekday(day: Weekday) -> str:
    return day.label


def fmt_opt(value: str | None) -> str:
    return "" if value is None else value


# What Excel shows in a cell whose formula failed; openpyxl reads it as this text.
EXCEL_ERRORS = frozenset(
    {
        *("#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A"),
        *("#GETTING_DATA", "#SPILL!", "#CALC!", "#FIELD!", "#BLOCKED!", "#CONNECT!"),
        *("#BUSY!", "#UNKNOWN!", "#PYTHON!"),
    }
)


def excel_error(value: object) -> str | None:
    """The Excel error code a cell holds (``#N/A``), or ``None``. A CSV file saved from
    Excel carries the same codes as text; none of them is ever a valid value."""
    if isinstance(value, str) and value.strip().upper() in EXCEL_ERRORS:
        return value.strip().upper()
    return None


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def strip_control(text: str) -> str:
    """Control characters cannot live in a spreadsheet cell and mean nothing in a name."""
    return _CONTROL.sub("", text)


# --------------------------------------------------------------------------------------
# Cell values → text.


def _clock(hour: int, minute: int, second: int = 0) -> str:
    text = f"{hour:02d}:{minute:02d}"
    return text + f":{second:02d}" if second else text


def cell_text(value: object, kind: CellKind = "text") -> str:
    """A cell's value as the text a coordinator sees, whatever type the file stored.

    Excel stores times and dates as numbers formatted for display; openpyxl hands them
    back as ``time``, ``datetime``, ``timedelta`` or plain numbers. Each becomes the text
    the column's parser expects; a whole number such as ``9.0`` becomes ``"9"``.
    """
    if value is None:
        return ""
    if isinstance(value, str):
        return strip_control(value).strip()
    if isinstance(value, bool):
        return fmt_bool(value)
    if isinstance(value, dt.datetime):
        if kind == "time":
            # Excel's 24:00 is the serial number 1.0: the first day of its calendar.
            if value.date() == dt.date(1900, 1, 1) and value.time() == dt.time(0, 0):
                return format_time(MINUTES_PER_DAY)
            return _clock(value.hour, value.minute, value.second)
        if value.time() == dt.time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="minutes")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return _clock(value.hour, value.minute, value.second)
    if isinstance(value, dt.timedelta):
        minutes, seconds = divmod(int(value.total_seconds()), 60)
        return _clock(minutes // 60, minutes % 60, seconds)
    if isinstance(value, int):
        # openpyxl reads a whole number as int: a date typed as its serial (46356) or a
        # time of 0 or 1 (00:00, 24:00) must reach the same branch as a float.
        if kind == "text":
            return str(value)
        value = float(value)
    if isinstance(value, float):
        if kind == "time" and 0 <= value <= 1:
            minute = round(value * MINUTES_PER_DAY)
            return format_time(minute)
        if kind == "date" and value.is_integer() and value > 0:
            serial = from_excel(value)
            if isinstance(serial, dt.datetime):
                return serial.date().isoformat()
        if value.is_integer():
            return str(int(value))
        return format(value, ".15g")
    return strip_control(str(value)).strip()
