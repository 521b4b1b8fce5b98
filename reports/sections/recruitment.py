"""Inclusive recruitment: per recruitment programme (or the whole network), the offers, starts and people
still in post since it began against its targets, who the offers went to beside the area's population,
and offers and starts per quarter by member.

Every figure here rests on people. The builder hands them over already public (``pipeline.steps.
report_programmes``): a hidden one has no value, only its flag, so a sentence leaves it out, a cell or a
column shows "[c]", and no bar, column or axis is drawn from it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

from reports.charts import GroupedColumns, ReferenceBars, grouped_columns, reference_bars
from reports.disclosure import hidden_legend, hidden_marker, suppression_title
from reports.format import (
    clean,
    data_value,
    format_change,
    format_count,
    format_date,
    format_pct,
    format_value,
    format_value_exact,
    period_label,
    period_short,
    target_status_label,
)
from reports.model import KpiFigure, PeriodReport, ProgrammeTarget, RecruitmentBlock, RecruitmentGroup
from reports.sections.targets import STATUS_CLASSES
from reports.views import Cell, cell, hidden_cell, join_names
from transforms.kpi_registry import GROUP_LABELS, RECRUITMENT_DIMENSIONS, Kpi, lookup
from transforms.periods import Period
from transforms.programme_targets import to_date_code

OFFERS, UNEMPLOYED, STARTS = (
    "recruit_offers_to_date",
    "recruit_offers_to_date:unemployed:yes",
    "recruit_starts_to_date",
)
RETAINED, REACHED = "recruit_retained_6m_pct_to_date", "recruit_retention_known_to_date"
CARDS = (OFFERS, UNEMPLOYED, STARTS, RETAINED)
# The groups the opening sentence names, as the example does, and how it names them.
SENTENCE_GROUPS = (
    ("ethnicity", "ethnic_minority", "people from {label} ethnic groups"),
    ("age", "18_24", "people aged 18-24"),
    ("age", "55_plus", "people aged 55 and over"),
    ("disability", "yes", "people with a self-reported disability"),
    ("deprivation", "deciles_1_2", "people from the most deprived 20% of neighbourhoods"),
)
COMPARED_IN_SENTENCE = ("deprivation", "deciles_1_2")

GLOSSARY: tuple[tuple[str, str], ...] = (
    (
        "Job offer",
        "An offer of employment made by a member under its recruitment programme, counted on the date "
        "it was made. Starts are counted on the date the person started work.",
    ),
    (
        "Previously unemployed",
        "The person was out of work when offered the job, as the member recorded it.",
    ),
    (
        "Ethnic group",
        "The five high-level groups of the 2021 Census: Asian, Black, Mixed, White and Other. Asian, "
        "Black, Mixed or Other together are shown as ethnic minority groups; the White group includes "
        "White minorities (Irish, Gypsy or Irish Traveller, Roma, other White), which the returns do not "
        "separate.",
    ),
    (
        "Self-reported disability",
        "The person said they have a disability; people who preferred not to say are counted as not stated.",
    ),
    (
        "Most deprived 20% of neighbourhoods",
        "Deciles 1 and 2 of the English Indices of Deprivation: the decile the member gave for the "
        "person's home area, or that of their home postcode district from the network's table.",
    ),
    (
        "Share of offers",
        "Offers to people in a group as a share of all offers since the programme began. People who "
        "preferred not to say, or left the answer blank, are a group of their own, so each "
        "characteristic's shares add up to 100%.",
    ),
    (
        "Area population",
        "The group's share of the population of the network's area, from the network's reference table; "
        "set beside the share of offers so that over- and under-representation can be seen.",
    ),
    (
        "Still in post after six months",
        "Of the people whose six-month point (after their start date, or their offer date when no start "
        "date was given) has passed and whose employer has said whether they are still in post, the share "
        "still in post.",
    ),
)


@dataclass(frozen=True)
class RecruitmentCard:
    code: str
    label: str
    unit: str
    definition: str
    text: str
    exact: str
    data_value: str
    has_value: bool
    suppressed: bool
    basis_line: str | None  # "of 95 people who reached six months"
    target: Cell | None
    target_line: str | None  # "Target 300 by 31 March 2027: path to date 200"
    status: str | None
    status_label: str | None
    status_class: str | None


@dataclass(frozen=True)
class GroupView:
    key: str  # "<dimension>:<group>"
    label: str
    summary: bool
    offers: Cell
    share: Cell
    population: Cell
    difference: str | None  # "+12.3 pts"
    data_difference: str


@dataclass(frozen=True)
class DimensionView:
    code: str
    label: str
    groups: tuple[GroupView, ...]


@dataclass(frozen=True)
class BlockView:
    scope: str
    scope_id: str
    dom_id: str
    name: str
    since: str  # "since 1 October 2025" or ""
    as_at: str
    as_at_label: str
    sentences: tuple[str, ...]
    cards: tuple[RecruitmentCard, ...]
    dimensions: tuple[DimensionView, ...]
    chart: ReferenceBars | None


@dataclass(frozen=True)
class QuarterTable:
    code: str  # "recruit_offers" | "recruit_starts"
    label: str  # the registry's name
    chart: GroupedColumns
    columns: tuple[tuple[str, str], ...]  # (member id, name), the network ("") last
    rows: tuple[tuple[str, str, tuple[Cell, ...]], ...]  # (period, label, cells in column order)


def group_label(dimension: str, group: str) -> str:
    return f"{RECRUITMENT_DIMENSIONS[dimension]}: {GROUP_LABELS.get(group, group)}"


def _day(day: date | None) -> str:
    return "" if day is None else format_date(datetime(day.year, day.month, day.day))


def _shown(figures: Mapping[str, KpiFigure], code: str) -> float | None:
    figure = figures.get(code)
    return None if figure is None or figure.suppressed else clean(figure.value)


def _count_text(figures: Mapping[str, KpiFigure], code: str, threshold: int) -> str | None:
    figure = figures.get(code)
    if figure is None:
        return None
    if figure.suppressed:
        return hidden_marker()
    value = clean(figure.value)
    return None if value is None else format_count(value)


def _sentences(
    block: RecruitmentBlock,
    figures: Mapping[str, KpiFigure],
    targets: Mapping[str, ProgrammeTarget],
    threshold: int,
) -> tuple[str, ...]:
    """The block's opening, in the style of the issue: counts against targets, then who the offers went to.
    A hidden figure is "[c]" when it is a count and left out when it is a share."""
    since = "since the programme began" if block.scope == "programme" else "since the first recorded offer"
    offers = _count_text(figures, OFFERS, threshold)
    if offers is None:
        return ()
    first = f"{offers} job offers {since}"
    if OFFERS in targets:
        first += f" (target {format_count(targets[OFFERS].target)})"
    unemployed = _count_text(figures, UNEMPLOYED, threshold)
    if unemployed is not None:
        first += f", {unemployed} of them to previously unemployed residents"
        if UNEMPLOYED in targets:
            first += f" (target {format_count(targets[UNEMPLOYED].target)})"
    sentences = [first + "."]
    groups = {(g.dimension, g.group): g for g in block.groups}
    parts = []
    for dimension, group, words in SENTENCE_GROUPS:
        row = groups.get((dimension, group))
        if row is None or row.share_hidden or clean(row.share_pct) is None:
            continue
        label = GROUP_LABELS.get(group, group).removesuffix(" ethnic groups")
        went = " went" if not parts else ""
        part = f"{format_pct(row.share_pct)}{went} to {words.format(label=label)}"
        if (dimension, group) == COMPARED_IN_SENTENCE and clean(row.population_pct):
            times = row.share_pct / row.population_pct  # type: ignore[operator]
            part += (
                f" ({times:.1f} times their {format_pct(row.population_pct)} share of the area's population)"
            )
        parts.append(part)
    if parts:
        sentences.append(f"Of all the offers, {join_names(parts)}.")
    retained, reached = _shown(figures, RETAINED), _count_text(figures, REACHED, threshold)
    if retained is not None and reached is not None:
        sentences.append(
            f"{format_pct(retained)} of the {reached} people who reached six months were still in post."
        )
    return tuple(sentences)


def _card(
    code: str,
    figures: Mapping[str, KpiFigure],
    targets: Mapping[str, ProgrammeTarget],
    threshold: int,
    end: date | None,
) -> RecruitmentCard:
    kpi: Kpi = lookup(code)
    figure = figures.get(code, KpiFigure(code, None))
    value = None if figure.suppressed else clean(figure.value)
    basis_line = None
    if code == RETAINED and (value is not None or figure.suppressed):
        reached = _count_text(figures, REACHED, threshold)
        if reached is not None:
            basis_line = f"of the {reached} people who reached six months"
    target = targets.get(code)
    target_cell = target_line = status = status_label = status_class = None
    if target is not None:
        target_cell = cell("target", kpi.unit, target.target)
        by = f" by {_day(end)}" if end is not None else ""
        target_line = f"Target {format_value(target.target, kpi.unit)}{by}"
        if kpi.unit != "%":
            target_line += f"; path to date {format_value(round(target.expected_to_date), kpi.unit)}"
        if not target.hidden:
            status = target.status
            status_label = target_status_label(target.status)
            status_class = STATUS_CLASSES.get(target.status, "no-data")
    return RecruitmentCard(
        code=code,
        label=kpi.name,
        unit=kpi.unit,
        definition=kpi.definition,
        text=hidden_marker() if figure.suppressed else format_value(value, kpi.unit),
        exact=suppression_title(threshold) if figure.suppressed else format_value_exact(value, kpi.unit),
        data_value="" if figure.suppressed else data_value(value),
        has_value=value is not None,
        suppressed=figure.suppressed,
        basis_line=basis_line,
        target=target_cell,
        target_line=target_line,
        status=status,
        status_label=status_label,
        status_class=status_class,
    )


def _group_view(row: RecruitmentGroup, threshold: int) -> GroupView:
    key = f"{row.dimension}:{row.group}"
    share = None if row.share_hidden else clean(row.share_pct)
    difference = format_change(share, row.population_pct, "%")
    return GroupView(
        key=key,
        label=GROUP_LABELS.get(row.group, row.group),
        summary=row.summary,
        offers=hidden_cell("offers", "count", threshold)
        if row.offers_hidden
        else cell("offers", "count", row.offers),
        share=hidden_cell("share_pct", "%", threshold) if row.share_hidden else cell("share_pct", "%", share),
        population=cell("population_pct", "%", row.population_pct),
        difference=difference,
        data_difference="" if difference is None else data_value(round(share - row.population_pct, 6)),  # type: ignore[operator]
    )


def _dimensions(block: RecruitmentBlock, threshold: int) -> tuple[DimensionView, ...]:
    views = []
    for dimension, label in RECRUITMENT_DIMENSIONS.items():
        rows = [g for g in block.groups if g.dimension == dimension]
        if rows:
            ordered = [g for g in rows if not g.summary] + [g for g in rows if g.summary]
            views.append(DimensionView(dimension, label, tuple(_group_view(g, threshold) for g in ordered)))
    return tuple(views)


def _chart(block: RecruitmentBlock, threshold: int) -> ReferenceBars | None:
    """Each group that has an area population share: its share of offers, with the population's across it."""
    items: list[tuple[str, str, float | None, bool, float | None] | str] = []
    for dimension, label in RECRUITMENT_DIMENSIONS.items():
        compared = [
            g for g in block.groups if g.dimension == dimension and clean(g.population_pct) is not None
        ]
        if not compared:
            continue
        items.append(label)
        items += [
            (f"{g.dimension}:{g.group}", GROUP_LABELS.get(g.group, g.group), g.share_pct, g.share_hidden,
             g.population_pct)
            for g in [*(g for g in compared if not g.summary), *(g for g in compared if g.summary)]
        ]  # fmt: skip
    if not items:
        return None
    return reference_bars(
        items,
        hidden_marker(),
        f"{block.name}: share of job offers since the start, beside the area's population",
        "Share of offers",
        "Area population",
        "area",
    )


def _block_view(block: RecruitmentBlock, threshold: int) -> BlockView:
    figures = {f.code: f for f in block.figures}
    targets = {to_date_code(t.kpi): t for t in block.targets}
    return BlockView(
        scope=block.scope,
        scope_id=block.scope_id,
        dom_id=f"recruitment-{block.scope}-{block.scope_id}",
        name=block.name,
        since=f"since {_day(block.start)}" if block.start else "since the first recorded offer",
        as_at=block.as_at,
        as_at_label=period_label(Period.parse(block.as_at)),
        sentences=_sentences(block, figures, targets, threshold),
        cards=tuple(_card(code, figures, targets, threshold, block.end) for code in CARDS),
        dimensions=_dimensions(block, threshold),
        chart=_chart(block, threshold),
    )


def _quarter_tables(report: PeriodReport, threshold: int) -> tuple[QuarterTable, ...]:
    rows = report.recruitment_quarters
    if not rows:
        return ()
    periods = list(dict.fromkeys(r.period for r in rows))
    members = list(dict.fromkeys((r.member_id, r.name) for r in rows if r.member_id))
    network = next(((r.member_id, r.name) for r in rows if not r.member_id), None)
    columns = tuple([*members, *([network] if network else [])])
    tables = []
    for code, attribute in (("recruit_offers", "offers"), ("recruit_starts", "starts")):
        kpi = lookup(code)
        values = {
            (r.period, r.member_id): (getattr(r, attribute), bool(getattr(r, f"{attribute}_hidden")))
            for r in rows
        }
        chart = grouped_columns(
            periods, members, values, hidden_marker(), f"{kpi.name} per quarter, by member"
        )
        table_rows = []
        for period in periods:
            cells = []
            for member_id, _ in columns:
                value, hide = values.get((period, member_id), (None, False))
                col = member_id or "network"
                cells.append(hidden_cell(col, kpi.unit, threshold) if hide else cell(col, kpi.unit, value))
            line1, line2 = period_short(period)
            table_rows.append((period, f"{line1} {line2}".strip(), tuple(cells)))
        tables.append(QuarterTable(code, kpi.name, chart, columns, tuple(table_rows)))
    return tuple(tables)


def recruitment_context(report: PeriodReport) -> dict[str, object] | None:
    """The inclusive recruitment section, or None when no recruitment figures are stored."""
    if not report.recruitment and not report.recruitment_quarters:
        return None
    threshold = report.suppression_threshold
    blocks = [_block_view(b, threshold) for b in report.recruitment]
    return {
        "blocks": blocks,
        "quarters": _quarter_tables(report, threshold),
        "population_source": report.population_source,
        "threshold": threshold,
        "suppressed_title": suppression_title(threshold),
        "hidden_legend": hidden_legend(threshold),
        "definitions": [lookup(code) for code in CARDS],
        "glossary": GLOSSARY,
    }
