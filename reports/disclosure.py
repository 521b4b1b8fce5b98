"""Disclosure control: nothing published may let a reader work out a figure about fewer than N people.

Three rules, each closing a way back to a small group:

1. A figure derived from 1 to N-1 people (the registry's ``people_basis`` of its KPI) is hidden, shown
   as "<N". Zero people disclose nobody, so a zero stays.
2. Totals stay exact, so where a column (one KPI in one period, across members or across sectors)
   has exactly one hidden figure, the next smallest is hidden too, or subtracting the others from the
   total would give it back (complementary suppression).
3. A quarter's year-to-date figure is hidden with any quarter it adds up, for the same reason.

:func:`suppressed` applies the first two to the long KPI table; :class:`Figures` reads it for a report
and applies the third. The ``public_*`` functions then drop hidden values from the report's model
before anything is formatted, so none can leak into text, tooltips, chart geometry or data attributes.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence

import pandas as pd

from reports.model import KpiFigure, TrendPoint, WorkforceMemberRow
from transforms.kpi_registry import REGISTRY, TO_DATE_CODES, lookup, ytd_code
from transforms.periods import Period

# The count of people each published figure is derived from, for the figures and their year to date.
PEOPLE_BASIS: Mapping[str, str] = {
    code: kpi.people_basis
    for code in (*REGISTRY, *(ytd_code(c) for c in TO_DATE_CODES))
    if (kpi := lookup(code)).people_basis
}
# The fields of a workforce row that are not figures, so never hidden.
_ROW_IDENTITY = frozenset({"member_id", "name", "sector", "submitted", "suppressed"})


def hidden_text(threshold: int) -> str:
    """What a reader sees instead of a hidden figure."""
    return f"<{threshold}"


def suppression_title(threshold: int) -> str:
    """The tooltip on a hidden figure."""
    return f"Fewer than {threshold} people: not shown, to protect privacy"


def suppression_note(threshold: int) -> str:
    """The rule, as printed under the workforce section."""
    return f"Figures based on fewer than {threshold} people are shown as <{threshold}; totals include them."


def suppressed(values: pd.DataFrame, threshold: int) -> pd.Series:
    """True for the rows of a long KPI table (kpi, scope, scope_id, period, value) to publish as "<N".

    A figure is hidden when the people it is derived from are, so a hidden uplift count also hides
    its money value (rules 1 and 2 of the module).
    """
    people = values[values["kpi"].isin(set(PEOPLE_BASIS.values()))].copy()
    people["hidden"] = people["value"].gt(0) & people["value"].lt(threshold)
    parts = people[people["scope"].isin(("member", "sector"))]
    for _, column in parts.groupby(["kpi", "scope", "period"]):
        if column["hidden"].sum() == 1:
            others = column[~column["hidden"] & column["value"].gt(0)]
            if not others.empty:
                people.loc[others["value"].idxmin(), "hidden"] = True
    hidden = set(
        zip(*(people.loc[people["hidden"], c] for c in ("kpi", "scope", "scope_id", "period")), strict=True)
    )
    basis = values["kpi"].map(PEOPLE_BASIS)
    keys = zip(basis, values["scope"], values["scope_id"], values["period"], strict=True)
    return pd.Series([key in hidden for key in keys], index=values.index, dtype=bool)


class Figures:
    """A report's KPI values with their disclosure flags, looked up by (kpi, scope, scope id, period)."""

    def __init__(self, frame: pd.DataFrame, threshold: int) -> None:
        frame = frame.assign(suppressed=suppressed(frame, threshold) if not frame.empty else False)
        keys = list(zip(frame.kpi, frame.scope, frame.scope_id, frame.period, strict=True))
        self._values = dict(zip(keys, frame.value, strict=True))
        self._suppressed = dict(zip(keys, frame.suppressed, strict=True))

    def value(self, kpi: str, scope: str, scope_id: str, period: str) -> float | None:
        value = self._values.get((kpi, scope, scope_id, period))
        return None if value is None or pd.isna(value) else float(value)

    def suppressed(self, kpi: str, scope: str, scope_id: str, period: str) -> bool:
        return bool(self._suppressed.get((kpi, scope, scope_id, period), False))

    def reporting(self, kpi: str, period: str) -> int:
        """How many members have a value for a KPI in a period."""
        return sum(
            1
            for (k, scope, _, p), v in self._values.items()
            if k == kpi and scope == "member" and p == period and not pd.isna(v)
        )

    def year_to_date_hidden(self, code: str, network_id: str, period: str) -> bool:
        """Rule 3: a quarter's year to date is hidden when it, or any quarter it adds up, is."""
        quarter = Period.parse(period)
        if quarter.quarter is None:
            return False
        so_far = [q.key for q in quarter.financial_year.quarters() if q.start <= quarter.start]
        return self.suppressed(ytd_code(code), "network", network_id, period) or any(
            self.suppressed(code, "network", network_id, q) for q in so_far
        )

    def figure(self, code: str, network_id: str, period: str, previous: str) -> KpiFigure:
        """The network's figure of one KPI for a period, with the previous period and the year to date."""
        in_quarter = Period.parse(period).quarter is not None
        return KpiFigure(
            code=code,
            value=self.value(code, "network", network_id, period),
            previous=self.value(code, "network", network_id, previous),
            suppressed=self.suppressed(code, "network", network_id, period),
            year_to_date=self.value(ytd_code(code), "network", network_id, period) if in_quarter else None,
            year_to_date_suppressed=self.year_to_date_hidden(code, network_id, period),
        )


def public_figure(figure: KpiFigure) -> KpiFigure:
    """The figure as it may be published: a hidden one loses its value and previous value."""
    if not figure.suppressed:
        return figure
    return dataclasses.replace(figure, value=None, previous=None)


def public_workforce_member(member: WorkforceMemberRow) -> WorkforceMemberRow:
    """The row as it may be published: hidden fields lose their values."""
    if not member.suppressed:
        return member
    figures = {f.name for f in dataclasses.fields(member)} - _ROW_IDENTITY
    return dataclasses.replace(member, **dict.fromkeys(sorted(frozenset(member.suppressed) & figures)))


def public_trend(trend: Sequence[TrendPoint], period: str, hidden_now: frozenset[str]) -> list[TrendPoint]:
    """The trend as it may be published: hidden values dropped. A code hidden on this period's headline
    is hidden in this period's point too, even if the point does not say so."""
    public = []
    for point in trend:
        hidden = frozenset(point.suppressed) | (hidden_now if point.period == period else frozenset())
        if not hidden:
            public.append(point)
            continue
        values = {code: None if code in hidden else value for code, value in point.values.items()}
        public.append(TrendPoint(point.period, values, hidden))
    return public


def hidden_before(trend: Sequence[TrendPoint], period: str) -> frozenset[str]:
    """Codes hidden in the period before this one, whose values may not be shown as a change either."""
    periods = [point.period for point in trend]
    if period not in periods:
        return frozenset()
    index = periods.index(period)
    return frozenset(trend[index - 1].suppressed) if index > 0 else frozenset()
