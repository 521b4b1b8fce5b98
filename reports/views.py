"""View pieces every section shares: headline cards, table cells and column headings, already formatted.

A card's or heading's words come from the KPI registry, by code: ``name`` and ``definition`` on cards
(and so in the definitions list), ``short_name`` in column headings. A KPI the registry does not know
cannot be shown: :func:`transforms.kpi_registry.lookup` raises rather than print a stray code.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from markupsafe import Markup, escape

from reports.copy import ACRONYMS
from reports.disclosure import hidden_marker, suppression_title
from reports.format import (
    change_direction,
    clean,
    data_value,
    format_change,
    format_count,
    format_pct_compact,
    format_quantity,
    format_quantity_exact,
    format_value,
    format_value_exact,
)
from reports.model import PLEDGE_KPI, KpiFigure, MemberRow, WorkforceMemberRow
from transforms.kpi_registry import CatalogueMeasure, is_known, lookup

_ACRONYM = re.compile(r"\b(" + "|".join(sorted(ACRONYMS, key=len, reverse=True)) + r")(?=s?\b)")


def abbreviated(text: str) -> Markup:
    """The text, escaped, with each known acronym in an ``<abbr>`` that spells it out."""
    parts = _ACRONYM.split(text)
    return Markup("").join(
        Markup('<abbr title="{}">{}</abbr>').format(ACRONYMS[part], part) if index % 2 else escape(part)
        for index, part in enumerate(parts)
    )


@dataclass(frozen=True)
class Heading:
    """A table column: the KPI it shows, its heading (the registry's short name) and unit."""

    code: str
    text: Markup
    unit: str


def headings(codes: Iterable[str]) -> tuple[Heading, ...]:
    return tuple(Heading(c, abbreviated(lookup(c).short_name), lookup(c).unit) for c in codes)


def name_and_unit(code: str, catalogue: Iterable[CatalogueMeasure] = ()) -> tuple[str, str]:
    """The registry's name and unit of a KPI a target names; a code the registry does not know (a
    network's config may name one) is shown as itself, without a unit, rather than guessed at."""
    if not is_known(code, catalogue):
        return code, ""
    kpi = lookup(code, catalogue)
    return kpi.name, kpi.unit


def name_parts(short_name: str) -> tuple[str, str]:
    """``Paid the Living Wage: direct staff`` -> (``Paid the Living Wage``, ``Direct staff``); a name
    without a colon is its own group with no part. Columns whose names share a group sit under one
    heading, and a chart of such KPIs labels each by its part."""
    group, _, part = short_name.partition(": ")
    return group, part[:1].upper() + part[1:]


def grouped_headings(codes: Sequence[str]) -> tuple[tuple[Markup, tuple[Markup, ...]], ...]:
    """Two header rows: (group heading, its columns' headings), consecutive columns of one group
    together; a group of one column without a part is one heading spanning both rows."""
    groups: list[tuple[str, list[str]]] = []
    for code in codes:
        group, part = name_parts(lookup(code).short_name)
        if part and groups and groups[-1][0] == group and groups[-1][1]:
            groups[-1][1].append(part)
        else:
            groups.append((group, [part] if part else []))
    return tuple((abbreviated(g), tuple(abbreviated(p) for p in parts)) for g, parts in groups)


@dataclass(frozen=True)
class Card:
    code: str
    label: str
    unit: str
    definition: str
    text: str
    exact: str
    data_value: str
    data_previous: str
    has_value: bool
    change: str | None
    direction: str | None
    previous_text: str | None
    pledge_note: str | None
    pledge_kpi: bool = False
    suppressed: bool = False
    ytd_text: str | None = None  # "Year to date" line of a quarter's card ("[c]" when hidden)
    data_ytd: str = ""


def _year_to_date(figure: KpiFigure, unit: str, threshold: int) -> dict[str, str | None]:
    if figure.suppressed or figure.year_to_date_suppressed:
        hidden = figure.year_to_date is not None or figure.year_to_date_suppressed
        text = hidden_marker() if hidden else None
        return {"ytd_text": text, "data_ytd": ""}
    value = clean(figure.year_to_date)
    if value is None:
        return {"ytd_text": None, "data_ytd": ""}
    return {"ytd_text": format_value(value, unit), "data_ytd": data_value(value)}


def _pledge_note(value: float | None, pledge: float | None) -> str | None:
    if pledge is None:
        return None
    text = f"Network pledge: {format_pct_compact(pledge)}"
    if value is None:
        return text
    return f"{text} \u2013 met" if value >= pledge else f"{text} \u2013 not yet met"


def card(
    figure: KpiFigure, pledge_pct: float | None = None, threshold: int = 5, previous_hidden: bool = False
) -> Card:
    """A headline card. A hidden figure shows "[c]" and neither its value nor a change; a previous value
    that was itself hidden is neither shown nor used for a change."""
    kpi = lookup(figure.code)
    named = {"code": kpi.code, "label": kpi.name, "unit": kpi.unit, "definition": kpi.definition}
    is_pledge = figure.code == PLEDGE_KPI
    if figure.suppressed:
        return Card(
            **named,
            text=hidden_marker(),
            exact=suppression_title(threshold),
            data_value="",
            data_previous="",
            has_value=False,
            change=None,
            direction=None,
            previous_text=None,
            pledge_note=None,
            pledge_kpi=is_pledge,
            suppressed=True,
            **_year_to_date(figure, kpi.unit, threshold),
        )
    value = clean(figure.value)
    previous = None if previous_hidden else clean(figure.previous)
    return Card(
        **named,
        text=format_value(value, kpi.unit),
        exact=format_value_exact(value, kpi.unit),
        data_value=data_value(value),
        data_previous=data_value(previous),
        has_value=value is not None,
        change=format_change(value, previous, kpi.unit),
        direction=change_direction(value, previous, kpi.unit),
        previous_text=None if previous is None else format_value(previous, kpi.unit),
        pledge_note=_pledge_note(value, clean(pledge_pct)) if is_pledge else None,
        pledge_kpi=is_pledge,
        **_year_to_date(figure, kpi.unit, threshold),
    )


@dataclass(frozen=True)
class Cell:
    col: str
    unit: str
    text: str
    exact: str
    data_value: str
    has_value: bool
    suppressed: bool = False


def cell(col: str, unit: str, value: float | None) -> Cell:
    number = clean(value)
    return Cell(
        col=col,
        unit=unit,
        text=format_value(number, unit),
        exact=format_value_exact(number, unit),
        data_value=data_value(number),
        has_value=number is not None,
    )


def hidden_cell(col: str, unit: str, threshold: int) -> Cell:
    """A cell for a figure from too few people: "[c]" and no value."""
    return Cell(
        col=col,
        unit=unit,
        text=hidden_marker(),
        exact=suppression_title(threshold),
        data_value="",
        has_value=False,
        suppressed=True,
    )


def quantity_cell(col: str, unit: str, value: float | None) -> Cell:
    """A cell in a measure's own unit (``12.5 tCO2e``)."""
    number = clean(value)
    return Cell(
        col=col,
        unit=unit,
        text=format_quantity(number, unit),
        exact=format_quantity_exact(number, unit),
        data_value=data_value(number),
        has_value=number is not None,
    )


def figure_cell(heading: Heading, figure: KpiFigure | None, threshold: int) -> Cell:
    """A network-total cell from a headline figure (hidden when the figure is)."""
    if figure is not None and figure.suppressed:
        return hidden_cell(heading.code, heading.unit, threshold)
    return cell(heading.code, heading.unit, None if figure is None else figure.value)


def by_code(figures: Iterable[KpiFigure]) -> dict[str, KpiFigure]:
    found: dict[str, KpiFigure] = {}
    for figure in figures:
        found.setdefault(figure.code, figure)  # first wins, like the cards' order
    return found


def shown_value(figures: dict[str, KpiFigure], code: str) -> float | None:
    """A figure's value as it may be shown: None when it is missing, not a number or hidden."""
    figure = figures.get(code)
    return None if figure is None or figure.suppressed else clean(figure.value)


def plural(count: int, one: str, many: str) -> str:
    return f"{format_count(count)} {one if count == 1 else many}"


def join_names(names: Sequence[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


Row = TypeVar("Row", MemberRow, WorkforceMemberRow)


def sorted_by_name(members: Iterable[Row]) -> list[Row]:
    return sorted(members, key=lambda m: (m.name.casefold(), m.name, m.member_id))
