"""Measures members report (grouped by theme) and the social value estimated from them."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

from reports.charts import TrendChart, amount_bars, trend_chart
from reports.disclosure import hidden_marker
from reports.format import (
    clean,
    data_value,
    format_count,
    format_gbp_rate,
    format_quantity,
    format_quantity_change,
    theme_label,
)
from reports.model import KpiFigure, MeasureRow, PeriodReport, TrendPoint
from reports.views import Card, Cell, card, join_names, plural, quantity_cell
from transforms.kpi_registry import SOCIAL_VALUE, lookup, measure_code

GLOSSARY: tuple[tuple[str, str], ...] = (
    (
        "Social value",
        "An estimate, in pounds, of the good that members' activity does for people and places beyond "
        "the money spent. Here it is each measure's total for the period times its proxy value, added "
        "up. It is an estimate to compare periods and themes, not money that changed hands.",
    ),
    (
        "Proxy value",
        "A value in pounds that the network has agreed to count for each unit of a measure, for "
        "example for each young person matched with a mentor. Each proxy and where it comes from is "
        "listed in the social value section. Measures without a proxy have no social value.",
    ),
)


@dataclass(frozen=True)
class MeasureView:
    code: str
    name: str
    unit: str
    theme: str
    cell: Cell
    data_previous: str
    previous_text: str | None
    change: str | None
    direction: str | None
    members_reporting: int
    has_proxy: bool


@dataclass(frozen=True)
class ThemeGroup:
    code: str
    label: str
    measures: tuple[MeasureView, ...]


@dataclass(frozen=True)
class ProxyView:
    code: str
    name: str
    unit: str
    proxy_text: str
    proxy_data_value: str
    value_text: str
    value_data_value: str
    social_value: Cell
    source: str
    has_source: bool


def _sorted(measures: Sequence[MeasureRow]) -> list[MeasureRow]:
    return sorted(measures, key=lambda row: (row.theme, row.code, row.name))


def _name(row: MeasureRow, catalogue: Sequence[MeasureRow]) -> str:
    """A measure's name as the registry's ``measure:<code>`` family gives it (from the catalogue)."""
    return lookup(measure_code(row.code), catalogue).short_name


def levels_text(levels: Sequence[tuple[int, int]]) -> str:
    """ "3 members at level 2, 4 at level 1, 2 at level 0": a count of members at each level (the page
    and the workbook say the same)."""
    parts = [
        f"{plural(count, 'member', 'members')} at level {level}"
        if index == 0
        else f"{count} at level {level}"
        for index, (level, count) in enumerate(levels)
    ]
    return ", ".join(parts)


def _levels_cell(row: MeasureRow) -> Cell:
    text = levels_text(row.levels)
    return Cell(col="value", unit=row.unit, text=text, exact=text, data_value="", has_value=True)


def _measure_view(row: MeasureRow, catalogue: Sequence[MeasureRow]) -> MeasureView:
    value, previous = clean(row.value), clean(row.previous)
    unit = lookup(measure_code(row.code), catalogue).unit
    if row.levels:
        return MeasureView(
            code=row.code,
            name=_name(row, catalogue),
            unit=unit,
            theme=row.theme,
            cell=_levels_cell(row),
            data_previous="",
            previous_text=None,
            change=None,
            direction=None,
            members_reporting=row.members_reporting,
            has_proxy=False,
        )
    change = format_quantity_change(value, previous, unit)
    direction = None
    if change is not None:
        direction = "up" if change.startswith("+") else "down" if change.startswith("\u2212") else "same"
    return MeasureView(
        code=row.code,
        name=_name(row, catalogue),
        unit=unit,
        theme=row.theme,
        cell=quantity_cell("value", unit, value),
        data_previous=data_value(previous),
        previous_text=None if previous is None else format_quantity(previous, unit),
        change=change,
        direction=direction,
        members_reporting=row.members_reporting,
        has_proxy=clean(row.proxy_gbp_per_unit) is not None,
    )


def measures_context(report: PeriodReport) -> dict[str, object] | None:
    """The measures section, or None when the report has no measures."""
    if not report.measures:
        return None
    rows = _sorted(report.measures)
    groups: list[ThemeGroup] = []
    for row in rows:
        if not groups or groups[-1].code != row.theme:
            groups.append(ThemeGroup(row.theme, theme_label(row.theme), ()))
        last = groups[-1]
        groups[-1] = dataclasses.replace(last, measures=(*last.measures, _measure_view(row, report.measures)))
    reported = sum(1 for row in rows if clean(row.value) is not None)
    return {
        "groups": groups,
        "count_line": f"{format_count(reported)} of {plural(len(rows), 'measure', 'measures')} reported",
    }


def per_unit(unit: str) -> str:
    """``people`` -> ``person``, ``buildings`` -> ``building``: the unit a proxy is priced per."""
    if unit == "people":
        return "person"
    if unit == "GBP":
        return "£1"
    if len(unit) > 3 and unit.endswith("s") and not unit.endswith("ss") and unit.isalpha():
        return unit[:-1]
    return unit or "unit"


def _proxy_view(row: MeasureRow, catalogue: Sequence[MeasureRow]) -> ProxyView:
    unit = lookup(measure_code(row.code), catalogue).unit
    return ProxyView(
        code=row.code,
        name=_name(row, catalogue),
        unit=unit,
        proxy_text=f"{format_gbp_rate(row.proxy_gbp_per_unit)} per {per_unit(unit)}",
        proxy_data_value=data_value(row.proxy_gbp_per_unit),
        value_text=format_quantity(row.value, unit),
        value_data_value=data_value(row.value),
        social_value=quantity_cell(SOCIAL_VALUE, lookup(SOCIAL_VALUE).unit, row.social_value_gbp),
        source=row.proxy_source or "Source not given",
        has_source=bool(row.proxy_source),
    )


def _trend(report: PeriodReport, trend: Sequence[TrendPoint]) -> TrendChart | None:
    """The social value over recent periods, when more than one period has it."""
    if sum(clean(p.values.get(SOCIAL_VALUE)) is not None for p in trend) <= 1:
        return None
    kpi = lookup(SOCIAL_VALUE)
    return trend_chart(
        trend,
        report.period,
        SOCIAL_VALUE,
        kpi.unit,
        "columns",
        kpi.name,
        None,
        hidden_marker(),
        "trend-social-value",
        "sent a measures return",
    )


def social_value_context(report: PeriodReport, trend: Sequence[TrendPoint] = ()) -> dict[str, object] | None:
    """The social value section, or None when there is no social value and no proxy to show."""
    rows = _sorted(report.measures)
    with_proxy = [row for row in rows if clean(row.proxy_gbp_per_unit) is not None]
    total = clean(report.social_value_total_gbp)
    if total is None and not report.social_value_by_theme and not with_proxy:
        return None
    # The previous period's total, from the trend (the same stored figure the trend chart shows).
    periods = [point.period for point in trend]
    index = periods.index(report.period) if report.period in periods else 0
    previous = clean(trend[index - 1].values.get(SOCIAL_VALUE)) if index > 0 else None
    total_card: Card = card(KpiFigure(code=SOCIAL_VALUE, value=total, previous=previous))
    themes = [
        (theme, theme_label(theme), value) for theme, value in sorted(report.social_value_by_theme.items())
    ]
    return {
        "card": total_card,
        "chart": amount_bars(themes, f"{total_card.label} by theme") if themes else None,
        "trend_chart": _trend(report, trend),
        "proxies": [_proxy_view(row, report.measures) for row in with_proxy],
        "without_proxy_line": join_names(
            [_name(row, report.measures) for row in rows if clean(row.proxy_gbp_per_unit) is None]
        ),
        "glossary": GLOSSARY,
    }
