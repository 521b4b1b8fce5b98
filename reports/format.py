"""Number, date and label formatting for reports read by non-specialists.

Every function is pure and locale-independent, so the same figures always give the same text.
Rounding is half-up on the decimal value a person would read (``2.675`` -> ``2.68``), not on the
binary float behind it.
"""

from __future__ import annotations

import math
import re
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from transforms.periods import Period

NO_DATA = "No data"
MINUS = "\u2212"  # a real minus sign: easier to read than a hyphen next to a number

_MONTHS = (
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
)

SECTOR_LABELS: dict[str, str] = {
    "local_government": "Local government",
    "nhs": "NHS",
    "higher_education": "Higher education",
    "further_education": "Further education",
    "housing": "Housing association",
    "public_body": "Public body",
    "business": "Business",
    "voluntary": "Voluntary sector",
}

THEME_LABELS: dict[str, str] = {
    "jobs_and_skills": "Jobs and skills",
    "environment": "Environment",
    "inclusive_economy": "Inclusive economy",
    "good_work": "Good work",
}

TARGET_STATUS_LABELS: dict[str, str] = {
    "on track": "On track",
    "at risk": "At risk",
    "off track": "Off track",
    "no data": "No data",
}

RETURN_TYPE_LABELS: dict[str, str] = {
    "spend": "Spend",
    "workforce": "Workforce",
    "measures": "Measures",
}


def clean(value: float | None) -> float | None:
    """A float, or None for missing and for values that are not numbers (NaN, infinity)."""
    if value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _dec(value: float) -> Decimal:
    # repr() gives the shortest string that round-trips, i.e. the number a person would write.
    return Decimal(repr(float(value)))


def _round(value: float, places: int) -> Decimal:
    return _dec(value).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def _signed(text: str, negative: bool) -> str:
    return f"{MINUS}{text}" if negative else text


def data_value(value: float | None) -> str:
    """The machine-readable form put in ``data-value``: the value rounded to 6 decimals, or ''."""
    number = clean(value)
    if number is None:
        return ""
    rounded = round(number, 6)
    if rounded == 0:
        rounded = 0.0  # no "-0.0"
    return repr(rounded)


def format_gbp(value: float | None) -> str:
    """Short money: ``£789``, ``£45.6k``, ``£456k``, ``£1.23m``, ``£2.5bn`` (3 significant figures)."""
    number = clean(value)
    if number is None:
        return NO_DATA
    negative = number < 0
    whole = _round(abs(number), 0)
    if whole < 1000:
        return _signed(f"£{whole:f}", negative and whole != 0)
    exact = _dec(abs(number))
    exponent = exact.adjusted() - 2
    three_sf = exact.scaleb(-exponent).quantize(Decimal(1), rounding=ROUND_HALF_UP).scaleb(exponent)
    for divisor, suffix in ((Decimal(10) ** 9, "bn"), (Decimal(10) ** 6, "m"), (Decimal(10) ** 3, "k")):
        if three_sf >= divisor:
            scaled = three_sf / divisor
            places = 2 if scaled < 10 else 1 if scaled < 100 else 0
            text = f"{scaled.quantize(Decimal(1).scaleb(-places)):f}"
            if "." in text:
                text = text.rstrip("0").rstrip(".")
            return _signed(f"£{text}{suffix}", negative)
    raise AssertionError("unreachable: values >= 1000 always match a divisor")


def format_gbp_exact(value: float | None) -> str:
    """Full money with pence: ``£1,234,567.89``."""
    number = clean(value)
    if number is None:
        return NO_DATA
    amount = _round(abs(number), 2)
    return _signed(f"£{amount:,.2f}", number < 0 and amount != 0)


def format_pct(value: float | None, places: int = 1) -> str:
    """A percentage with one decimal: ``34.5%``."""
    number = clean(value)
    if number is None:
        return NO_DATA
    amount = _round(abs(number), places)
    return _signed(f"{amount:.{places}f}%", number < 0 and amount != 0)


def format_pct_compact(value: float | None) -> str:
    """A percentage without a needless ".0": ``30%``, but ``32.5%`` (how a pledge is quoted)."""
    return format_pct(value).replace(".0%", "%")


def format_pct_exact(value: float | None) -> str:
    """A percentage with up to 4 decimals and no trailing zeros: ``34.5123%``."""
    number = clean(value)
    if number is None:
        return NO_DATA
    amount = _round(abs(number), 4)
    text = f"{amount:.4f}".rstrip("0").rstrip(".")
    return _signed(f"{text}%", number < 0 and amount != 0)


def format_count(value: float | None) -> str:
    """A count with thousands separators: ``1,234`` (one decimal if not a whole number)."""
    number = clean(value)
    if number is None:
        return NO_DATA
    places = 0 if float(number).is_integer() else 1
    amount = _round(abs(number), places)
    return _signed(f"{amount:,.{places}f}", number < 0 and amount != 0)


def format_integer(value: float | None) -> str:
    """A whole number with thousands separators (half-up): ``1,235`` for 1234.5."""
    number = clean(value)
    if number is None:
        return NO_DATA
    amount = _round(abs(number), 0)
    return _signed(f"{amount:,.0f}", number < 0 and amount != 0)


def format_number(value: float | None, places: int = 2) -> str:
    """A number with thousands separators and up to ``places`` decimals, no trailing zeros: ``12.5``."""
    number = clean(value)
    if number is None:
        return NO_DATA
    amount = _round(abs(number), places)
    text = f"{amount:,.{places}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return _signed(text, number < 0 and amount != 0)


def format_quantity(value: float | None, unit: str) -> str:
    """A measure's or target's value in its own unit: ``£1.23m``, ``34.5%``, ``1,234`` (a count, whole),
    ``12.5 tCO2e`` (any other unit, after the number)."""
    number = clean(value)
    if number is None:
        return NO_DATA
    if unit == "GBP":
        return format_gbp(number)
    if unit == "%":
        return format_pct(number)
    if unit == "count" or not unit:
        return format_integer(number)
    return f"{format_number(number)} {unit}"


def format_quantity_exact(value: float | None, unit: str) -> str:
    """Exact form of :func:`format_quantity`, for tooltips."""
    number = clean(value)
    if number is None:
        return NO_DATA
    if unit == "GBP":
        return format_gbp_exact(number)
    if unit == "%":
        return format_pct_exact(number)
    text = format_number(number, 6)
    return text if unit == "count" or not unit else f"{text} {unit}"


def format_gbp_rate(value: float | None) -> str:
    """A price per unit in full: ``£1,200``, or ``£12.50`` when it has pence."""
    number = clean(value)
    if number is None:
        return NO_DATA
    amount = _round(abs(number), 2)
    text = f"£{amount:,.0f}" if amount == amount.to_integral_value() else f"£{amount:,.2f}"
    return _signed(text, number < 0 and amount != 0)


def format_value(value: float | None, unit: str) -> str:
    """Short display form for a value in the given unit ("GBP", "%", "count")."""
    if unit == "GBP":
        return format_gbp(value)
    if unit == "%":
        return format_pct(value)
    return format_count(value)


def format_value_exact(value: float | None, unit: str) -> str:
    """Exact display form, for tooltips."""
    if unit == "GBP":
        return format_gbp_exact(value)
    if unit == "%":
        return format_pct_exact(value)
    return format_count(value)


def change_direction(value: float | None, previous: float | None, unit: str) -> str | None:
    """ "up", "down", "same", or None when there is nothing to compare."""
    change = format_change(value, previous, unit)
    if change is None:
        return None
    if change.startswith("+"):
        return "up"
    if change.startswith(MINUS):
        return "down"
    return "same"


def format_change(value: float | None, previous: float | None, unit: str) -> str | None:
    """Change against the previous period, or None when either value is missing.

    Percentages change in percentage points (``+2.1 pts``); money in per cent of the previous value
    (``+12.3%``, or ``up from £0`` when there is no base); counts by the difference (``+12``).
    """
    now, before = clean(value), clean(previous)
    if now is None or before is None:
        return None
    if unit == "%":
        diff = _round(now - before, 1)
        return "no change" if diff == 0 else f"{_sign(diff)}{abs(diff):.1f} pts"
    if unit == "GBP":
        if before == 0:
            return "no change" if now == 0 else f"{'up' if now > 0 else 'down'} from £0"
        rel = _round((now - before) / abs(before) * 100, 1)
        return "no change" if rel == 0 else f"{_sign(rel)}{abs(rel):.1f}%"
    diff = _dec(now) - _dec(before)
    if diff == 0:
        return "no change"
    places = 0 if diff == diff.to_integral_value() else 1
    return f"{_sign(diff)}{_round(abs(float(diff)), places):,.{places}f}"


def format_quantity_change(value: float | None, previous: float | None, unit: str) -> str | None:
    """Change against the previous period for a measure: as :func:`format_change` for money and shares;
    for anything else the difference with up to 2 decimals and its unit (``+20 people``,
    ``−42.75 tCO2e``). None when either value is missing."""
    if unit in ("GBP", "%"):
        return format_change(value, previous, unit)
    now, before = clean(value), clean(previous)
    if now is None or before is None:
        return None
    diff = _dec(now) - _dec(before)
    if _round(float(diff), 2) == 0:
        return "no change"
    text = f"{_sign(diff)}{format_number(abs(float(diff)))}"
    return text if unit in ("count", "") else f"{text} {unit}"


def _sign(amount: Decimal) -> str:
    return "+" if amount > 0 else MINUS


def format_datetime(moment: datetime) -> str:
    """``14 October 2026, 09:30 UTC`` (the zone is shown only when the value carries one)."""
    text = f"{moment.day} {_MONTHS[moment.month - 1]} {moment.year}, {moment:%H:%M}"
    offset = moment.utcoffset()
    if offset is None:
        return text
    if offset == timedelta(0):
        return f"{text} UTC"
    name = moment.tzname()
    if name and not name.startswith(("UTC", "GMT", "+", "-")):
        return f"{text} {name}"
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else MINUS
    return f"{text} (UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d})"


def format_date(moment: datetime | None) -> str:
    """``3 October 2026``, or an en dash when there is no date."""
    if moment is None:
        return "\u2013"
    return f"{moment.day} {_MONTHS[moment.month - 1]} {moment.year}"


def sector_label(code: str) -> str:
    """Plain-English sector name: ``nhs`` -> ``NHS``."""
    return SECTOR_LABELS.get(code, _humanise(code))


def theme_label(code: str) -> str:
    """Plain-English theme name: ``jobs_and_skills`` -> ``Jobs and skills``; unknown codes title-cased."""
    if code in THEME_LABELS:
        return THEME_LABELS[code]
    words = code.replace("_", " ").replace("-", " ").split()
    return " ".join(word[:1].upper() + word[1:] for word in words) or code


def target_status_label(status: str) -> str:
    """``on track`` -> ``On track`` (an unknown status is shown as given, capitalised)."""
    return TARGET_STATUS_LABELS.get(status, _humanise(status))


def return_type_label(code: str) -> str:
    return RETURN_TYPE_LABELS.get(code, _humanise(code))


def _humanise(code: str) -> str:
    words = code.replace("_", " ").replace("-", " ").strip()
    return words[:1].upper() + words[1:] if words else code


_QUARTER_RE = re.compile(r"^(?P<year>\d{4}-\d{2})-Q(?P<q>[1-4])$")
_PERIOD_RE = re.compile(r"(\d{4}-\d{2})(?:-Q([1-4]))?")


def period_short(key: str) -> tuple[str, str]:
    """Two short lines for a chart axis: ``2025-26-Q3`` -> (``Q3``, ``2025-26``)."""
    match = _QUARTER_RE.match(key)
    if match:
        return f"Q{match['q']}", match["year"]
    return key, ""


def period_label(period: Period) -> str:
    """``Quarter 2 of 2026-27 (July to September 2026)``, or a financial year, which runs to date."""
    if period.quarter is None:
        return f"Financial year {period.key} ({period.start:%B %Y} to {period.end:%B %Y}), year to date"
    return (
        f"Quarter {period.quarter} of {period.financial_year.key} ({period.start:%B} to {period.end:%B %Y})"
    )


def target_period_label(period: str) -> str:
    """``2026-27`` -> ``2026-27, year to date``; ``2026-27-Q2`` -> ``Quarter 2 of 2026-27``."""
    match = _PERIOD_RE.fullmatch(period)
    if match is None:
        return period
    if match[2] is None:
        return f"{match[1]}, year to date"
    return f"Quarter {match[2]} of {match[1]}"
