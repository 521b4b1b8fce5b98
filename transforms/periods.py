"""The UK public-sector reporting calendar: financial years (1 April - 31 March) and their quarters.

Period keys are strings members can type into a file name: ``2025-26`` is the financial year from
1 April 2025, ``2025-26-Q2`` its second quarter (July-September 2025).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

_PERIOD_RE = re.compile(r"^(?P<y1>\d{4})-(?P<y2>\d{2})(?:-Q(?P<q>[1-4]))?$")
# Financial years a period may start in: every date of such a period (and of the days around it that
# rules look at) can be computed and compared, by Python and by pandas alike.
FIRST_YEAR, LAST_YEAR = 1900, 2199


class PeriodError(ValueError):
    """A period key that does not follow the ``YYYY-YY`` or ``YYYY-YY-Qn`` form."""


@dataclass(frozen=True, order=True)
class Period:
    """A reporting period: a financial year, or one quarter of it."""

    start_year: int
    quarter: int | None = None

    @classmethod
    def parse(cls, key: str) -> Period:
        match = _PERIOD_RE.match(key.strip())
        if not match:
            raise PeriodError(
                f"'{key}' is not a period: use a financial year like 2025-26 or a quarter like 2025-26-Q2"
            )
        y1, y2 = int(match["y1"]), int(match["y2"])
        if (y1 + 1) % 100 != y2:
            raise PeriodError(
                f"'{key}' is not a financial year: the second year must follow the first (e.g. 2025-26)"
            )
        if not FIRST_YEAR <= y1 <= LAST_YEAR:
            raise PeriodError(
                f"'{key}' is not a period we can check: financial years run from "
                f"{Period(FIRST_YEAR).key} to {Period(LAST_YEAR).key}"
            )
        quarter = int(match["q"]) if match["q"] else None
        return cls(y1, quarter)

    @property
    def key(self) -> str:
        year = f"{self.start_year}-{(self.start_year + 1) % 100:02d}"
        return f"{year}-Q{self.quarter}" if self.quarter else year

    @property
    def kind(self) -> str:
        return "quarter" if self.quarter else "year"

    @property
    def start(self) -> date:
        if self.quarter is None:
            return date(self.start_year, 4, 1)
        month = 4 + 3 * (self.quarter - 1)
        return date(self.start_year + (month > 12), (month - 1) % 12 + 1, 1)

    @property
    def end(self) -> date:
        """Last day inside the period (inclusive)."""
        return self.next().start - timedelta(days=1)

    @property
    def financial_year(self) -> Period:
        return Period(self.start_year)

    def next(self) -> Period:
        if self.quarter is None:
            return Period(self.start_year + 1)
        if self.quarter == 4:
            return Period(self.start_year + 1, 1)
        return Period(self.start_year, self.quarter + 1)

    def previous(self) -> Period:
        if self.quarter is None:
            return Period(self.start_year - 1)
        if self.quarter == 1:
            return Period(self.start_year - 1, 4)
        return Period(self.start_year, self.quarter - 1)

    def quarters(self) -> list[Period]:
        """The quarters a period covers (a quarter covers itself)."""
        if self.quarter is not None:
            return [self]
        return [Period(self.start_year, q) for q in range(1, 5)]

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end

    def __str__(self) -> str:
        return self.key


def period_containing(day: date, kind: str = "quarter") -> Period:
    """The financial year or quarter a date falls in."""
    start_year = day.year if day.month >= 4 else day.year - 1
    if kind == "year":
        return Period(start_year)
    return Period(start_year, (day.month - 4) % 12 // 3 + 1)
