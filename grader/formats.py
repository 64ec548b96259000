"""Numbers, sizes, durations and dates as a French or an English reader writes them.

The one place that decides how a number reads (a review found six, with a decimal point beside a
decimal comma in the same French report). One precision rule per kind of quantity:

- points and percentages: at most two decimals, trailing zeros dropped (14,5 ; 20 ; 79,25 %);
- a measured value in a message (what a check got or expected): four significant digits;
- a count: every digit, grouped by thousands (12 345);
- a duration: one decimal (1,5 s);
- a size: three significant digits in binary units (1,5 Gio ; 64 MiB).

French takes a decimal comma, a space between thousands and before % ; English a decimal
point, a comma between thousands and nothing before %. Units follow a space in both.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Literal

Lang = Literal["fr", "en"]


def _decimal(text: str, lang: Lang) -> str:
    return text.replace(".", ",") if lang == "fr" else text


def points(value: float, lang: Lang = "fr", decimals: int = 2) -> str:
    """14.5 -> "14,5" in French, "14.5" in English; 20.0 -> "20"; 15.833 -> "15,83". A statistic
    that needs more (Cronbach's alpha) asks for more `decimals`."""
    text = f"{value:.{decimals}f}".rstrip("0").rstrip(".")
    return _decimal("0" if text in ("-0", "") else text, lang)


def percent(value: float, lang: Lang = "fr") -> str:
    """79.0 -> "79 %" in French, "79%" in English."""
    return points(value, lang) + (" %" if lang == "fr" else "%")


def number(value: float, lang: Lang = "fr") -> str:
    """A measured value, four significant digits: 0.84713 -> "0,8471"; 1e-09 -> "1e-09"."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "-inf" if value < 0 else "inf"
    return _decimal(f"{value:.4g}", lang)


def count(value: int, lang: Lang = "fr") -> str:
    """12345 -> "12 345" in French, "12,345" in English."""
    text = f"{value:,}"
    return text.replace(",", " ") if lang == "fr" else text


def seconds(value: float, lang: Lang = "fr") -> str:
    """1.25 -> "1,2 s"; 30.0 -> "30 s"."""
    text = f"{value:.1f}".removesuffix(".0")
    return f"{_decimal(text, lang)} s"


_UNITS = (("GiB", "Gio", 1024**3), ("MiB", "Mio", 1024**2), ("KiB", "Kio", 1024))


def size(value: int, lang: Lang = "fr") -> str:
    """1.5 GiB -> "1,5 Gio" in French, "1.5 GiB" in English; 512 -> "512 o" / "512 B"."""
    for english, french, factor in _UNITS:
        if value >= factor:
            unit = french if lang == "fr" else english
            return f"{_decimal(f'{value / factor:.3g}', lang)} {unit}"
    return f"{value} {'o' if lang == 'fr' else 'B'}"


_MONTHS = {
    "fr": (
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ),
    "en": (
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ),
}


def date(iso: str, lang: Lang = "fr") -> str:
    """An ISO 8601 time (UTC when it names no zone) in the machine's local time, as a person
    writes it: "7 décembre 2026 à 09:03" / "7 December 2026, 09:03". Text that is no ISO time
    (an edited results file) is returned unchanged."""
    try:
        moment = datetime.fromisoformat(iso)
    except ValueError:
        return iso
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    local = moment.astimezone()
    day = f"{local.day} {_MONTHS[lang][local.month - 1]} {local.year}"
    clock = f"{local.hour:02d}:{local.minute:02d}"
    return f"{day} à {clock}" if lang == "fr" else f"{day}, {clock}"
