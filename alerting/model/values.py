"""Cell values as councils write them: numbers with % or commas, missing-value markers, dates."""

from __future__ import annotations

import math
import re
from datetime import date, datetime

from markupsafe import Markup

# Markers that mean "no value" in published scorecards (DOMAIN.md), plus the Government
# Statistical Service symbols for suppressed (c), not applicable (z, x) and unavailable (..).
MISSING_MARKERS = frozenset(
    {
        "",
        "?",
        "n/a",
        "na",
        "n.a.",
        "not published",
        "in development",
        "not available",
        "-",
        "--",
        "..",
        "x",
        "c",
        "z",
        ":",
        "null",
        "none",
    }
)

_NUMBER_RE = re.compile(r"^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$")


class ValueParseError(ValueError):
    """A cell that is neither a number nor a recognised missing-value marker."""


def strip_html(text: str) -> str:
    """A cell's text as a browser shows it (scorecards copied from web pages wrap values and
    markers in tags): tags and comments dropped, entities decoded, each run of whitespace
    (&nbsp; too) one space. A tag still separates words, so `<p>12</p><p>13</p>` never
    reads as 1213."""
    if "<" in text or "&" in text:
        text = Markup(text.replace("<", " <")).striptags()
    return " ".join(text.split())


def is_missing(raw: object) -> bool:
    if raw is None:
        return True
    if isinstance(raw, float) and math.isnan(raw):
        return True
    if isinstance(raw, str):
        return " ".join(strip_html(raw).split()).lower() in MISSING_MARKERS
    return False


def parse_number(raw: object, field: str = "value") -> float | None:
    """A number from a cell, or None for a missing-value marker.

    Accepts `69.5`, `69.5%`, `1,234`, `£1,200`, ` 12 `; a trailing `%` does not rescale
    (scorecards hold percentages as 0-100 values).
    """
    if isinstance(raw, bool):
        raise ValueParseError(f"{field} must be a number, got {raw!r}")
    if isinstance(raw, int | float):
        return None if math.isnan(raw) else float(raw)
    if isinstance(raw, str) and _NUMBER_RE.match(raw):  # the common case: a plain number
        return float(raw)
    if is_missing(raw):
        return None
    text = strip_html(str(raw)).replace(",", "").replace("£", "").replace("%", "").strip()
    if _NUMBER_RE.match(text):
        return float(text)
    raise ValueParseError(f"{field} must be a number or a missing-value marker, got {raw!r}")


def parse_int(raw: object, field: str) -> int | None:
    number = parse_number(raw, field)
    if number is None:
        return None
    if not number.is_integer():
        raise ValueParseError(f"{field} must be a whole number, got {raw!r}")
    return int(number)


_DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d/%m/%y", "%d %b %Y", "%d %B %Y",
                 "%d.%m.%Y", "%d-%b-%Y", "%d-%b-%y", "%Y/%m/%d")


def parse_date(raw: object, field: str) -> date | None:
    """A date from ISO, UK (dd/mm/yyyy) or spreadsheet cells; None when blank."""
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    if is_missing(raw):
        return None
    text = str(raw).strip()
    if "T" in text or (" " in text and ":" in text):
        text = text.replace("T", " ").split(" ")[0]
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()  # noqa: DTZ007 - calendar dates only
        except ValueError:
            continue
    raise ValueParseError(f"{field} must be a date like 2019-08-31 or 31/08/2019, got {raw!r}")
