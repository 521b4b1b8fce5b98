"""Programmes and their social return on investment: per programme, its investment, social value and
"£X of social value per £1" with the sensitivity range always beside it, per financial year and since it
began; how the ratio moves with each assumption; the assumptions themselves, with their sources; and
progress against the programme's targets."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from reports.charts import RangeChart, coordinate, range_bars
from reports.disclosure import suppression_title
from reports.format import (
    NO_DATA,
    clean,
    data_value,
    format_count,
    format_date,
    format_gbp_rate,
    format_pct,
    format_quantity,
    target_status_label,
    theme_label,
)
from reports.model import PeriodReport, ProgrammeRow, ProgrammeTarget, SroiAssumption, SroiRow
from reports.sections.measures import per_unit
from reports.sections.targets import BAR_WIDTH, STATUS_CLASSES
from reports.views import Cell, cell, hidden_cell, join_names, plural, quantity_cell
from transforms.kpi_registry import lookup
from transforms.programme_targets import to_date_code

TO_DATE = "_to_date"
# The adjustments of an SROI in the order the SROI Guide applies them, in words.
ADJUSTMENTS: dict[str, tuple[str, str]] = {
    "deadweight": ("Deadweight", "would have happened anyway"),
    "attribution": ("Attribution", "owed to others"),
    "displacement": ("Displacement", "only moved from elsewhere"),
    "drop_off": ("Drop-off", "fades each year after the first"),
    "benefit_years": ("Duration", "years the benefit lasts"),
}
# The scenarios (``transforms.sroi.SCENARIOS``) beyond one adjustment at an end of its range.
TOGETHER = ("all", "Every adjustment together", "all at their low or all at their high settings")
RANGE_ENDS = ("cautious", "generous")

GLOSSARY: tuple[tuple[str, str], ...] = (
    (
        "Social return on investment (SROI)",
        "The social value a programme creates for every pound put into it. The social value is each "
        "outcome (trees planted, hours volunteered, ...) times a proxy value in pounds, less what would "
        "have happened anyway (deadweight), the share owed to others (attribution) and what only moved "
        "from elsewhere (displacement); it is counted for as many years as the benefit lasts, falling "
        "each year by the drop-off, and discounted to today's money. It is an estimate to compare "
        "programmes and years with, not money that changed hands.",
    ),
    (
        "Sensitivity range",
        "The ratio again with the assumptions at the ends of their ranges: the low end with every "
        "adjustment set where it lowers the ratio, the high end where it raises it. Every other mix of "
        "settings gives a ratio inside the range, which is why it is printed beside the ratio.",
    ),
    (
        "Discount rate",
        "How much less a benefit a year from now is worth than one today; the HM Treasury Green Book "
        "rate is 3.5% a year. Year 1 is discounted too: the money is put in at the start of the year and "
        "the benefit counted at its end.",
    ),
    (
        "Investment",
        "Money put into a programme: reported by members on their measures returns, and grants or "
        "sponsorship the network records in its settings. It is not discounted.",
    ),
)


def format_ratio(value: float | None) -> str:
    """``£3.00``: pounds of social value per pound invested, always with pence (ratios are compared)."""
    number = clean(value)
    if number is None:
        return NO_DATA
    return f"£{number:,.2f}"


def ratio_words(value: float | None) -> str:
    """ "£3.00 of social value for every £1 invested"."""
    return f"{format_ratio(value)} of social value for every £1 invested"


def range_text(low: float | None, high: float | None) -> str:
    if clean(low) is None or clean(high) is None:
        return NO_DATA
    return f"{format_ratio(low)} to {format_ratio(high)}"


@dataclass(frozen=True)
class SroiLine:
    basis: str
    period: str
    label: str
    cells: tuple[Cell, ...]  # investment, social value (present value), gross value
    ratio_text: str
    ratio_data: str
    range_text: str
    low_data: str
    high_data: str
    has_ratio: bool


@dataclass(frozen=True)
class ScenarioLine:
    """The ratio since the programme began with one adjustment (or all) at its low and its high setting."""

    adjustment: str
    label: str
    meaning: str
    low_text: str
    low_data: str
    high_text: str
    high_data: str


@dataclass(frozen=True)
class ProgrammeTargetView:
    kpi: str
    label: str
    unit: str
    hidden: bool
    status: str
    status_label: str
    status_class: str
    cells: tuple[Cell, ...]  # target, expected_to_date, actual, progress_pct
    bar_width: int
    bar_fill: str
    bar_path: str | None
    bar_over: bool
    bar_title: str


@dataclass(frozen=True)
class ProgrammeView:
    code: str
    name: str
    lead: str
    partners: str
    start_text: str
    end_text: str
    start_iso: str
    end_iso: str
    theme: str
    description: str
    recruitment: bool
    headline: str | None
    to_date: SroiLine | None
    sroi: tuple[SroiLine, ...]
    scenarios: tuple[ScenarioLine, ...]
    range_line: str | None  # what the two ends of the range are
    chart: RangeChart | None
    targets: tuple[ProgrammeTargetView, ...]
    measures_line: str


@dataclass(frozen=True)
class AssumptionLine:
    assumption: str
    label: str
    low: str
    central: str
    high: str
    data_low: str
    data_central: str
    data_high: str
    source: str


@dataclass(frozen=True)
class MeasureAssumptions:
    code: str
    name: str
    proxy_text: str
    proxy_data: str
    proxy_source: str
    lines: tuple[AssumptionLine, ...]


def _sroi_line(row: SroiRow, report_year: str) -> SroiLine:
    if row.basis == "to_date":
        label = "Since the programme began"
    elif row.period == report_year:
        label = f"{row.period} so far"
    else:
        label = row.period
    suffix = TO_DATE if row.basis == "to_date" else ""
    return SroiLine(
        basis=row.basis,
        period=row.period,
        label=label,
        cells=(
            cell(f"sroi_investment_gbp{suffix}", "GBP", row.investment_gbp),
            cell(f"sroi_social_value_gbp{suffix}", "GBP", row.social_value_gbp),
            cell(f"sroi_gross_value_gbp{suffix}", "GBP", row.gross_value_gbp),
        ),
        ratio_text=format_ratio(row.ratio),
        ratio_data=data_value(row.ratio),
        range_text=range_text(row.ratio_low, row.ratio_high),
        low_data=data_value(row.ratio_low),
        high_data=data_value(row.ratio_high),
        has_ratio=clean(row.ratio) is not None,
    )


def _scenarios(row: ProgrammeRow) -> tuple[tuple[ScenarioLine, ...], str | None]:
    ratios = {s.scenario: s.ratio for s in row.sensitivity}
    if not ratios:
        return (), None
    moved = [(name, label, meaning) for name, (label, meaning) in ADJUSTMENTS.items()] + [TOGETHER]
    lines = tuple(
        ScenarioLine(
            adjustment=name,
            label=label,
            meaning=meaning,
            low_text=format_ratio(ratios.get(f"{name}_low")),
            low_data=data_value(ratios.get(f"{name}_low")),
            high_text=format_ratio(ratios.get(f"{name}_high")),
            high_data=data_value(ratios.get(f"{name}_high")),
        )
        for name, label, meaning in moved
    )
    low, high = (ratios.get(end) for end in RANGE_ENDS)
    if clean(low) is None or clean(high) is None:
        return lines, None
    return lines, (
        f"The range beside the ratio runs from {format_ratio(low)}, with every adjustment at the end that "
        f"lowers the ratio (the most deadweight, attribution, displacement and drop-off, the shortest "
        f"duration), to {format_ratio(high)}, with every adjustment at the other end."
    )


def _chart(row: ProgrammeRow, to_date: SroiRow) -> RangeChart | None:
    ratios = {s.scenario: s.ratio for s in row.sensitivity}
    if not ratios or clean(to_date.ratio) is None:
        return None
    items = [
        (name, label, ratios.get(f"{name}_low"), ratios.get(f"{name}_high"))
        for name, (label, _) in ADJUSTMENTS.items()
    ]
    items.append(("range", "All at once (the range)", *(ratios.get(end) for end in RANGE_ENDS)))
    return range_bars(
        items,
        to_date.ratio,
        "Central estimate",
        f"{row.name}: social value per £1 invested as each assumption moves to its low and high setting",
        format_ratio,
        lambda t: f"£{t:g}",
    )


def _target_view(target: ProgrammeTarget, threshold: int) -> ProgrammeTargetView:
    kpi = lookup(to_date_code(target.kpi))  # a programme's target is judged on its figure since it began
    unit = kpi.unit
    values = (
        _target_cell("target", unit, target.target),
        _target_cell("expected_to_date", unit, target.expected_to_date),
        hidden_cell("actual", unit, threshold)
        if target.hidden
        else _target_cell("actual", unit, target.actual),
        hidden_cell("progress_pct", "%", threshold)
        if target.hidden
        else _target_cell("progress_pct", "%", target.progress_pct),
    )
    progress = None if target.hidden else clean(target.progress_pct)
    shown = 0.0 if progress is None else min(max(progress, 0.0), 100.0)
    expected, whole = clean(target.expected_to_date), clean(target.target)
    path_pct = None if expected is None or not whole else expected / whole * 100
    status_label = "Not shown" if target.hidden else target_status_label(target.status)
    title = (
        suppression_title(threshold)
        if target.hidden
        else f"Progress: {format_pct(progress)} of the target"
        + (f"; path to date: {format_pct(path_pct)} of the target" if path_pct is not None else "")
        + f". {status_label}."
    )
    return ProgrammeTargetView(
        kpi=target.kpi,
        label=kpi.name,
        unit=unit,
        hidden=target.hidden,
        status=target.status,
        status_label=status_label,
        status_class="no-data" if target.hidden else STATUS_CLASSES.get(target.status, "no-data"),
        cells=values,
        bar_width=BAR_WIDTH,
        bar_fill=coordinate(BAR_WIDTH * shown / 100),
        bar_path=None
        if path_pct is None or target.hidden
        else coordinate(BAR_WIDTH * min(max(path_pct, 0.0), 100.0) / 100),
        bar_over=progress is not None and progress > 100,
        bar_title=title,
    )


def _target_cell(col: str, unit: str, value: float | None) -> Cell:
    """A target's figure in its unit; a ratio as pounds per pound."""
    if unit == lookup("sroi_ratio").unit:
        number = clean(value)
        return Cell(
            col, unit, format_ratio(number), format_ratio(number), data_value(number), number is not None
        )
    return quantity_cell(col, unit, value)


def _programme_view(row: ProgrammeRow, report: PeriodReport, names: dict[str, str]) -> ProgrammeView:
    year = report.period[:7]
    to_date = next((s for s in row.sroi if s.basis == "to_date"), None)
    headline = None
    if to_date is not None and clean(to_date.ratio) is not None:
        headline = (
            f"{ratio_words(to_date.ratio)} since the programme began "
            f"(range {range_text(to_date.ratio_low, to_date.ratio_high)}), "
            f"from {format_quantity(to_date.investment_gbp, 'GBP')} invested."
        )
    scenarios, range_line = _scenarios(row)
    return ProgrammeView(
        code=row.code,
        name=row.name,
        lead=row.lead_member,
        partners=join_names(list(row.partners)),
        start_text=_day(row.start),
        end_text=_day(row.end),
        start_iso=row.start.isoformat(),
        end_iso=row.end.isoformat(),
        theme=theme_label(row.theme),
        description=row.description,
        recruitment=row.recruitment,
        headline=headline,
        to_date=None if to_date is None else _sroi_line(to_date, year),
        sroi=tuple(_sroi_line(s, year) for s in row.sroi),
        scenarios=scenarios,
        range_line=range_line,
        chart=_chart(row, to_date) if to_date is not None else None,
        targets=tuple(_target_view(t, report.suppression_threshold) for t in row.targets),
        measures_line=join_names([names.get(code, code) for code in row.measures]),
    )


def _day(day: date) -> str:
    return format_date(datetime(day.year, day.month, day.day))


def _setting(assumption: str, value: float, unit: str | None) -> str:
    if assumption == "benefit_years":
        return plural(int(value), "year", "years")
    if assumption == "proxy_gbp":
        return f"{format_gbp_rate(value)} per {per_unit(unit or '')}"
    return format_pct(value * 100, 1).replace(".0%", "%")


def _measure_assumptions(rows: Sequence[SroiAssumption]) -> list[MeasureAssumptions]:
    measures: dict[str, list[SroiAssumption]] = {}
    for row in rows:
        if row.measure_code is not None:
            measures.setdefault(row.measure_code, []).append(row)
    out = []
    for code, settings in measures.items():
        proxy = next((s for s in settings if s.assumption == "proxy_gbp"), None)
        lines = tuple(
            AssumptionLine(
                assumption=s.assumption,
                label=f"{ADJUSTMENTS[s.assumption][0]} ({ADJUSTMENTS[s.assumption][1]})"
                if s.assumption in ADJUSTMENTS
                else s.assumption,
                low=_setting(s.assumption, s.low, s.unit),
                central=_setting(s.assumption, s.central, s.unit),
                high=_setting(s.assumption, s.high, s.unit),
                data_low=data_value(s.low),
                data_central=data_value(s.central),
                data_high=data_value(s.high),
                source=s.source or "Source not given",
            )
            for s in settings
            if s.assumption != "proxy_gbp"
        )
        out.append(
            MeasureAssumptions(
                code=code,
                name=settings[0].measure,
                proxy_text=_setting("proxy_gbp", proxy.central, proxy.unit) if proxy else NO_DATA,
                proxy_data=data_value(proxy.central) if proxy else "",
                proxy_source=(proxy.source if proxy else "") or "Source not given",
                lines=lines,
            )
        )
    return out


def programmes_context(report: PeriodReport) -> dict[str, object] | None:
    """The programmes section, or None when the network has no programme under way."""
    if not report.programmes:
        return None
    names = {a.measure_code: a.measure for a in report.sroi_assumptions if a.measure_code}
    views = [
        _programme_view(row, report, names)
        for row in sorted(report.programmes, key=lambda p: (p.name, p.code))
    ]
    rate = next((a for a in report.sroi_assumptions if a.assumption == "discount_rate"), None)
    with_sroi = [v for v in views if v.sroi]
    return {
        "programmes": views,
        "count_line": plural(len(views), "programme", "programmes")
        + (f", {format_count(len(with_sroi))} with a social return on investment" if with_sroi else ""),
        "assumptions": _measure_assumptions(report.sroi_assumptions),
        "discount_rate": None
        if rate is None
        else {
            "text": format_pct(rate.central * 100, 1),
            "data": data_value(rate.central),
            "source": rate.source or "Source not given",
        },
        "glossary": GLOSSARY,
        "definitions": [
            lookup(code)
            for code in ("sroi_ratio_to_date", "sroi_ratio_to_date_low", "sroi_ratio_to_date_high")
        ],
    }
