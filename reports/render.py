"""Render a :class:`~reports.model.PeriodReport` as one self-contained HTML page.

The page carries its own CSS and inline SVG charts, loads nothing from anywhere, prints well and is
byte-for-byte the same for the same input: all times come from the report, all ordering is explicit
and the renderer never asks the clock.

Every figure is machine-checkable: headline cards carry ``data-kpi`` and ``data-value``, member rows
``data-member`` and each numeric cell ``data-col`` and ``data-value`` (the value rounded to 6
decimals, or empty when there is no data), so tests can compare the page with the warehouse.
The Living Wage and workforce section (only when the report has workforce data) does the same with
its own cards (``data-kpi`` inside ``data-section="workforce"``), rows (``data-workforce-member``,
``data-workforce-network-total``), chart bars (``data-basis``) and trend points (``data-period``).
The targets, measures and social value sections (each only when the report has data for it) mark
target rows with ``data-target-kpi``, ``data-target-scope``, ``data-target-period`` and ``data-status``
(numeric cells ``data-col``/``data-value``: target, expected_to_date, actual, progress_pct), measure rows
with ``data-measure`` and ``data-value``, the social value total with ``data-kpi="social_value_gbp"``,
its chart bars with ``data-theme`` and proxy rows with ``data-proxy-measure``.

Disclosure control: a figure flagged as derived from too few people (``KpiFigure.suppressed``, a
name in ``WorkforceMemberRow.suppressed`` or in ``TrendPoint.suppressed``) is shown as "<N" and its
value never reaches the view model, so it cannot leak into text, tooltips, chart geometry or data
attributes; such elements carry ``data-value=""`` and ``data-suppressed="true"``.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from reports.format import (
    NO_DATA,
    change_direction,
    clean,
    data_value,
    format_change,
    format_count,
    format_date,
    format_datetime,
    format_gbp,
    format_gbp_rate,
    format_pct,
    format_quantity,
    format_quantity_change,
    format_quantity_exact,
    format_value,
    format_value_exact,
    period_short,
    return_type_label,
    sector_label,
    target_status_label,
    theme_label,
)
from reports.model import (
    KpiFigure,
    MeasureRow,
    MemberRow,
    PeriodReport,
    SubmissionRow,
    TargetRow,
    TrendPoint,
    WorkforceMemberRow,
)

TEMPLATE_DIR = Path(__file__).parent / "templates"
TEMPLATE_NAME = "period_report.html.j2"

PLEDGE_KPI = "spend_small_or_diverse_pct"
TOTAL_KPI = "spend_total"
UNKNOWN_KPI = "spend_unknown_size_pct"

# Spend-mix chart: (KPI code without "_pct", chart label). A share is taken from "<code>_pct" in the
# headline, or worked out from "<code>" (GBP) over spend_total when only the amount is there.
SPEND_MIX: tuple[tuple[str, str], ...] = (
    ("spend_sme", "SMEs"),
    ("spend_local", "Local suppliers"),
    ("spend_local_sme", "Local SMEs"),
    ("spend_vcse", "VCSE organisations"),
    ("spend_diverse", "Diverse-owned businesses"),
    ("spend_small_or_diverse", "Local MSMEs or diverse-owned"),
    ("spend_unknown_size", "Size unknown"),
)

# Member table: (MemberRow field, column heading, unit)
MEMBER_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("spend_total", "Total spend", "GBP"),
    ("spend_sme_pct", "SME share", "%"),
    ("spend_local_pct", "Local share", "%"),
    ("spend_vcse", "VCSE spend", "GBP"),
    ("spend_diverse", "Diverse-owned spend", "GBP"),
    ("spend_small_or_diverse_pct", "Local small or diverse-owned share", "%"),
    ("spend_unknown_size_pct", "Unknown size share", "%"),
)

# Sector table: (KPI code, heading, unit); columns without data in every sector are left out.
SECTOR_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("spend_total", "Total spend", "GBP"),
    ("spend_sme_pct", "SME share", "%"),
    ("spend_local_pct", "Local share", "%"),
    ("spend_small_or_diverse_pct", "Local small or diverse-owned share", "%"),
    ("lw_paid_pct", "Paid the Living Wage", "%"),
    ("lw_uplifts", "Living Wage uplifts", "count"),
    ("apprentices", "Apprentices", "count"),
)

# Workforce member table: (WorkforceMemberRow field, full heading, unit); the page heads the columns
# with WORKFORCE_HEADINGS. The network row takes the workforce headline figure with the same code.
WORKFORCE_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("staff_direct", "Direct staff", "count"),
    ("staff_contractor", "Contractors", "count"),
    ("lw_paid_pct_direct", "Paid the Living Wage: direct staff", "%"),
    ("lw_paid_pct_contractor", "Paid the Living Wage: contractors", "%"),
    ("lw_uplifts", "Uplifts", "count"),
    ("lw_uplift_annual_gbp", "Yearly value of uplifts", "GBP"),
    ("apprentices", "Apprentices", "count"),
    ("apprentice_starts", "Apprentice starts", "count"),
    ("local_employment_pct", "Living locally", "%"),
)

# The workforce table's two header rows: (group heading, its columns' headings), in WORKFORCE_COLUMNS
# order; a group without sub-headings is one column headed by the group heading.
WORKFORCE_HEADINGS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Staff", ("Direct", "Contractors")),
    ("Paid at least the Living Wage", ("Direct", "Contractors")),
    ("Uplifts to the Living Wage", ("People", "Yearly value")),
    ("Apprentices", ("In post", "Started")),
    ("Living locally", ()),
)

# Living Wage chart series: (KPI / row field, legend label, data-basis, CSS class)
LW_SERIES: tuple[tuple[str, str, str, str], ...] = (
    ("lw_paid_pct_direct", "Direct staff", "direct", "bar-direct"),
    ("lw_paid_pct_contractor", "Contractors", "contractor", "bar-contractor"),
)

# Workforce trend charts, each drawn only when the trend carries its code:
# (code, unit, kind, title)
WORKFORCE_TREND: tuple[tuple[str, str, str, str], ...] = (
    ("lw_uplifts", "count", "columns", "Staff uplifted to the Living Wage"),
    ("lw_paid_pct_direct", "%", "line", "Share of directly employed staff paid the Living Wage"),
    ("lw_paid_pct_contractor", "%", "line", "Share of contractors paid the Living Wage"),
)

STATUS_BADGES: dict[str, tuple[str, str]] = {
    "accepted": ("Accepted", "accepted"),
    "late": ("Accepted late", "late"),
    "quarantined": ("Quarantined \u2013 see feedback", "quarantined"),
    "missing": ("Missing", "missing"),
}

GLOSSARY: tuple[tuple[str, str], ...] = (
    (
        "Small and medium-sized enterprise (SME)",
        "A business with fewer than 250 staff and a turnover of no more than £44m or a balance sheet "
        "of no more than £38m (the Procurement Act 2023 definition).",
    ),
    (
        "Micro, small and medium-sized enterprises (MSMEs)",
        "SMEs, counting micro businesses (fewer than 10 staff) and small businesses (fewer than 50 staff) "
        "as well as medium-sized ones (fewer than 250 staff).",
    ),
    (
        "Voluntary, community and social enterprise (VCSE) organisations",
        "Charities, community groups, social enterprises and co-operatives.",
    ),
    (
        "Local",
        "A supplier whose postcode is inside the network's area.",
    ),
    (
        "Diverse-owned business",
        "A business recorded as diverse-owned in the member's return or in the network's supplier register.",
    ),
    (
        "Supplier size unknown",
        "Spend with suppliers whose size could not be found in the member's return or the supplier "
        "register. It is shown separately and never guessed, so the SME share is a minimum.",
    ),
    (
        "Percentage points (pts)",
        "The difference between two percentages: a share going from 32% to 34% is up 2 pts.",
    ),
    (
        "Quarantined",
        "A file held back because of a problem with it. The member has been sent feedback saying what "
        "to fix; its figures are not included until a corrected file arrives.",
    ),
)

WORKFORCE_GLOSSARY: tuple[tuple[str, str], ...] = (
    (
        "Living Wage",
        "The real Living Wage: an hourly rate set each year by the Living Wage Foundation from what "
        "people need to live on. It is higher than the legal minimum (the National Living Wage). In "
        "London the higher London Living Wage applies. Each person's basic hourly pay is compared with "
        "the rate that applied on the date of the staff snapshot.",
    ),
    (
        "Directly employed staff",
        "People on the member's own payroll.",
    ),
    (
        "Contractors",
        "People employed by another company who regularly work for the member under a contract, for "
        "example in cleaning, catering or security. The Living Wage Foundation counts them when it "
        "accredits a Living Wage employer.",
    ),
    (
        "Uplift",
        "A person whose pay went from below the Living Wage to at least the Living Wage between the "
        "member's previous staff snapshot and this one. Only people in both snapshots count. The yearly "
        "value is each person's rise in hourly pay times their weekly hours times 52, added up.",
    ),
)


def suppression_title(threshold: int) -> str:
    """The tooltip on a suppressed figure."""
    return f"Fewer than {threshold} people: not shown, to protect privacy"


def suppression_note(threshold: int) -> str:
    """The rule, as printed under the workforce section."""
    return f"Figures based on fewer than {threshold} people are shown as <{threshold}; totals include them."


# ---------------------------------------------------------------------------------------------
# View model: everything the template shows, already formatted.
# ---------------------------------------------------------------------------------------------


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
    suppressed: bool = False
    ytd_text: str | None = None  # "Year to date" line of a quarter's card ("<5" when hidden)
    data_ytd: str = ""


def _year_to_date(figure: KpiFigure, threshold: int) -> dict[str, str | None]:
    if figure.suppressed or figure.year_to_date_suppressed:
        hidden = figure.year_to_date is not None or figure.year_to_date_suppressed
        return {"ytd_text": f"<{threshold}" if hidden else None, "data_ytd": ""}
    value = clean(figure.year_to_date)
    if value is None:
        return {"ytd_text": None, "data_ytd": ""}
    return {"ytd_text": format_value(value, figure.unit), "data_ytd": data_value(value)}


@dataclass(frozen=True)
class Cell:
    col: str
    unit: str
    text: str
    exact: str
    data_value: str
    has_value: bool
    suppressed: bool = False


@dataclass(frozen=True)
class MemberView:
    member_id: str
    name: str
    sector: str
    sector_code: str
    submitted: bool
    cells: tuple[Cell, ...]


@dataclass(frozen=True)
class SubmissionView:
    member_id: str
    member_name: str
    return_type: str
    return_type_label: str
    status: str
    badge: str
    badge_class: str
    files: int
    rows_read: int
    rows_loaded: int
    rows_rejected: int
    last_received: str
    last_received_iso: str


@dataclass(frozen=True)
class MixBar:
    code: str
    label: str
    data_value: str
    text: str
    derived: bool
    y: str
    bar_y: str
    text_y: str
    width: str
    text_x: str
    css_class: str


@dataclass(frozen=True)
class Tick:
    pos: str
    label: str


@dataclass(frozen=True)
class MixChart:
    width: int
    height: int
    label_x: int
    plot_x: int
    plot_w: int
    axis_y: int
    bars: tuple[MixBar, ...]
    ticks: tuple[Tick, ...]
    pledge: Mapping[str, str] | None
    description: str


@dataclass(frozen=True)
class Column:
    period: str
    line1: str
    line2: str
    data_value: str
    text: str
    has_value: bool
    current: bool
    x: str
    y: str
    w: str
    h: str
    cx: str
    label_y: str
    suppressed: bool = False


@dataclass(frozen=True)
class LinePoint:
    period: str
    line1: str
    line2: str
    data_value: str
    text: str
    has_value: bool
    current: bool
    cx: str
    cy: str
    label_y: str
    suppressed: bool = False


@dataclass(frozen=True)
class TrendChart:
    kind: str  # "columns" | "line"
    code: str
    title: str
    description: str
    width: int
    height: int
    plot_x: int
    plot_y: int
    plot_w: int
    plot_h: int
    axis_y: int
    ticks: tuple[Tick, ...]
    columns: tuple[Column, ...]
    points: tuple[LinePoint, ...]
    paths: tuple[str, ...]
    pledge: Mapping[str, str] | None
    dom_id: str = ""  # prefix for the SVG's title/desc ids; "" = "trend-<n>" as numbered by the template


@dataclass(frozen=True)
class LwBar:
    basis: str  # "direct" | "contractor"
    label: str
    data_value: str
    text: str
    has_value: bool
    suppressed: bool
    y: str
    text_y: str
    width: str
    text_x: str
    css_class: str


@dataclass(frozen=True)
class LwGroup:
    member_id: str  # "" for the network
    name: str
    network: bool
    name_y: str
    grid_y1: str  # grid lines run past the bars only, clear of the name above them
    grid_y2: str
    bars: tuple[LwBar, ...]


@dataclass(frozen=True)
class LwChart:
    width: int
    height: int
    label_x: int
    plot_x: int
    plot_w: int
    top: int
    axis_y: int
    bar_h: int
    groups: tuple[LwGroup, ...]
    ticks: tuple[Tick, ...]
    description: str


def _num(x: float) -> str:
    """SVG coordinate: one decimal, never '-0.0'."""
    text = f"{x:.1f}"
    return "0.0" if text == "-0.0" else text


def _pledge_text(pledge: float) -> str:
    """``30%`` for a whole-number pledge, else ``32.5%``."""
    return format_pct(pledge).replace(".0%", "%")


def _headline_by_code(headline: Iterable[KpiFigure]) -> dict[str, KpiFigure]:
    found: dict[str, KpiFigure] = {}
    for figure in headline:
        found.setdefault(figure.code, figure)  # first wins, like the cards' order
    return found


def _suppressed_card(figure: KpiFigure, threshold: int) -> Card:
    """A card for a figure from too few people: "<N", and neither its value nor a change line."""
    return Card(
        code=figure.code,
        label=figure.label,
        unit=figure.unit,
        definition=figure.definition,
        text=f"<{threshold}",
        exact=suppression_title(threshold),
        data_value="",
        data_previous="",
        has_value=False,
        change=None,
        direction=None,
        previous_text=None,
        pledge_note=None,
        suppressed=True,
        **_year_to_date(figure, threshold),
    )


def _card(
    figure: KpiFigure,
    pledge_pct: float | None,
    threshold: int = 5,
    previous_suppressed: bool = False,
) -> Card:
    if figure.suppressed:
        return _suppressed_card(figure, threshold)
    value = clean(figure.value)
    # a previous value that was itself suppressed is neither shown nor used for a change
    previous = None if previous_suppressed else clean(figure.previous)
    change = format_change(value, previous, figure.unit)
    pledge_note = None
    pledge = clean(pledge_pct)
    if figure.code == PLEDGE_KPI and pledge is not None:
        pledge_text = _pledge_text(pledge)
        if value is None:
            pledge_note = f"Network pledge: {pledge_text}"
        elif value >= pledge:
            pledge_note = f"Network pledge: {pledge_text} \u2013 met"
        else:
            pledge_note = f"Network pledge: {pledge_text} \u2013 not yet met"
    return Card(
        code=figure.code,
        label=figure.label,
        unit=figure.unit,
        definition=figure.definition,
        text=format_value(value, figure.unit),
        exact=format_value_exact(value, figure.unit),
        data_value=data_value(value),
        data_previous=data_value(previous),
        has_value=value is not None,
        change=change,
        direction=change_direction(value, previous, figure.unit),
        previous_text=None if previous is None else format_value(previous, figure.unit),
        pledge_note=pledge_note,
        **_year_to_date(figure, threshold),
    )


def _suppressed_cell(col: str, unit: str, threshold: int) -> Cell:
    return Cell(
        col=col,
        unit=unit,
        text=f"<{threshold}",
        exact=suppression_title(threshold),
        data_value="",
        has_value=False,
        suppressed=True,
    )


def _cell(col: str, unit: str, value: float | None) -> Cell:
    number = clean(value)
    return Cell(
        col=col,
        unit=unit,
        text=format_value(number, unit),
        exact=format_value_exact(number, unit),
        data_value=data_value(number),
        has_value=number is not None,
    )


def _member_view(member: MemberRow) -> MemberView:
    return MemberView(
        member_id=member.member_id,
        name=member.name,
        sector=sector_label(member.sector),
        sector_code=member.sector,
        submitted=member.submitted,
        cells=tuple(_cell(col, unit, getattr(member, col)) for col, _, unit in MEMBER_COLUMNS),
    )


def _workforce_member_view(member: WorkforceMemberRow, threshold: int) -> MemberView:
    cells = []
    for col, _, unit in WORKFORCE_COLUMNS:
        if member.submitted and col in member.suppressed:
            cells.append(_suppressed_cell(col, unit, threshold))
        else:
            cells.append(_cell(col, unit, getattr(member, col)))
    return MemberView(
        member_id=member.member_id,
        name=member.name,
        sector=sector_label(member.sector),
        sector_code=member.sector,
        submitted=member.submitted,
        cells=tuple(cells),
    )


@dataclass(frozen=True)
class SectorView:
    sector: str
    sector_code: str
    members_text: str
    cells: tuple[Cell, ...]


def _sectors_context(report: PeriodReport) -> dict[str, Any] | None:
    """The by-sector table: sectors in plain words, suppressed figures as "<N"."""
    if not report.sectors:
        return None
    columns = [c for c in SECTOR_COLUMNS if any(c[0] in row.values for row in report.sectors)]
    threshold = report.suppression_threshold
    views = [
        SectorView(
            sector=sector_label(row.sector),
            sector_code=row.sector,
            members_text=format_count(row.members),
            cells=tuple(
                _suppressed_cell(col, unit, threshold)
                if col in row.suppressed
                else _cell(col, unit, row.values.get(col))
                for col, _, unit in columns
            ),
        )
        for row in report.sectors
    ]
    return {"columns": columns, "rows": sorted(views, key=lambda v: v.sector)}


def _figure_cell(col: str, unit: str, figure: KpiFigure | None, threshold: int) -> Cell:
    """A network-total cell from a headline figure (suppressed when the figure is)."""
    if figure is not None and figure.suppressed:
        return _suppressed_cell(col, unit, threshold)
    return _cell(col, unit, None if figure is None else figure.value)


def _submission_view(row: SubmissionRow) -> SubmissionView:
    badge, badge_class = STATUS_BADGES.get(row.status, (row.status.replace("_", " ").capitalize(), "other"))
    return SubmissionView(
        member_id=row.member_id,
        member_name=row.member_name,
        return_type=row.return_type,
        return_type_label=return_type_label(row.return_type),
        status=row.status,
        badge=badge,
        badge_class=badge_class,
        files=row.files,
        rows_read=row.rows_read,
        rows_loaded=row.rows_loaded,
        rows_rejected=row.rows_rejected,
        last_received="Not received" if row.last_received_at is None else format_date(row.last_received_at),
        last_received_iso="" if row.last_received_at is None else row.last_received_at.isoformat(),
    )


def _mix_share(code: str, by_code: Mapping[str, KpiFigure]) -> tuple[float | None, bool]:
    """(share of total spend in %, worked out from an amount?) for one spend-mix category."""
    pct = by_code.get(f"{code}_pct")
    if pct is not None:
        return clean(pct.value), False
    amount, total = by_code.get(code), by_code.get(TOTAL_KPI)
    if amount is None or total is None or amount.unit != "GBP":
        return None, False
    amount_value, total_value = clean(amount.value), clean(total.value)
    if amount_value is None or not total_value:
        return None, False
    return amount_value / total_value * 100, True


def _mix_chart(by_code: Mapping[str, KpiFigure], pledge_pct: float | None) -> MixChart:
    width, label_x, plot_x, plot_w = 760, 270, 280, 400
    top, row_h, bar_h = 20, 44, 20
    pledge = clean(pledge_pct)
    bars: list[MixBar] = []
    pledge_marks: dict[str, str] | None = None
    described: list[str] = []
    for index, (code, label) in enumerate(SPEND_MIX):
        share, derived = _mix_share(code, by_code)
        y = top + index * row_h
        bar_y = y + (row_h - bar_h) / 2
        shown = 0.0 if share is None else min(max(share, 0.0), 100.0)
        bar_w = plot_w * shown / 100
        is_pledge = code + "_pct" == PLEDGE_KPI
        text = NO_DATA if share is None else format_pct(share)
        described.append(f"{label}: {text}")
        bars.append(
            MixBar(
                code=f"{code}_pct",
                label=label,
                data_value=data_value(share),
                text=text,
                derived=derived,
                y=_num(y),
                bar_y=_num(bar_y),
                text_y=_num(bar_y + bar_h / 2 + 5),
                width=_num(bar_w),
                text_x=_num(plot_x + bar_w + 6),
                css_class="bar-pledge"
                if is_pledge
                else "bar-unknown"
                if code == "spend_unknown_size"
                else "bar",
            )
        )
        if is_pledge and pledge is not None and 0 <= pledge <= 100:
            x = plot_x + plot_w * pledge / 100
            pledge_text = _pledge_text(pledge)
            pledge_marks = {
                "x": _num(x),
                "y1": _num(bar_y - 7),
                "y2": _num(bar_y + bar_h + 7),
                "label_y": _num(bar_y - 10),
                "label": f"Pledge {pledge_text}",
                "data_value": data_value(pledge),
            }
    axis_y = top + len(SPEND_MIX) * row_h + 4
    ticks = tuple(Tick(pos=_num(plot_x + plot_w * t / 100), label=f"{t}%") for t in (0, 25, 50, 75, 100))
    description = "Share of total spend: " + "; ".join(described) + "."
    if pledge_marks is not None:
        description += f" The network pledge is {pledge_marks['label'].removeprefix('Pledge ')}."
    return MixChart(
        width=width,
        height=axis_y + 28,
        label_x=label_x,
        plot_x=plot_x,
        plot_w=plot_w,
        axis_y=axis_y,
        bars=tuple(bars),
        ticks=ticks,
        pledge=pledge_marks,
        description=description,
    )


def _nice_ticks(top: float, ticks: int = 4, whole: bool = False) -> list[float]:
    """Round axis ticks from 0 up to at least ``top`` (whole numbers only when ``whole``)."""
    if top <= 0:
        top = 1.0
    raw = top / ticks
    if whole:
        raw = max(raw, 1.0)
    magnitude = 10 ** math.floor(math.log10(raw))
    steps = [m * magnitude for m in (1, 2, 2.5, 5, 10)]
    if whole:
        steps = [m for m in steps if float(m).is_integer()]
    step = next(m for m in steps if m >= raw * (1 - 1e-9))
    count = math.ceil(top / step - 1e-9)
    return [step * i for i in range(count + 1)]


def _pct_tick(value: float) -> str:
    return f"{value:g}%"


def _tick_label(value: float, unit: str) -> str:
    if unit == "GBP":
        return format_gbp(value)
    if unit == "count":
        return format_count(value)
    return _pct_tick(value)


def _trend_chart(
    trend: Sequence[TrendPoint],
    current_period: str,
    code: str,
    unit: str,
    kind: str,
    title: str,
    pledge_pct: float | None,
    threshold: int = 5,
    dom_id: str = "",
) -> TrendChart:
    """A trend chart. A period whose point lists ``code`` as suppressed shows "<N" and takes no part in
    the scale, so the axis cannot hint at its value."""
    width, height = 420, 250
    plot_x, plot_y, plot_h = 64, 26, 170
    plot_w = 290 if kind == "line" else 340  # the line chart keeps a margin for the pledge label
    axis_y = plot_y + plot_h
    # Periods before the KPI's first data (a network that started reporting recently) are left out,
    # rather than drawn as a row of "No data".
    start = next(
        (
            i
            for i, point in enumerate(trend)
            if point.period == current_period
            or code in point.suppressed
            or clean(point.values.get(code)) is not None
        ),
        0,
    )
    trend = trend[start:]
    hidden = [code in point.suppressed for point in trend]
    values = [
        None if hide else clean(point.values.get(code)) for point, hide in zip(trend, hidden, strict=True)
    ]
    pledge = clean(pledge_pct) if kind == "line" else None
    present = [v for v in values if v is not None]
    top_value = max([*present, *([pledge] if pledge is not None else []), 0.0])
    tick_values = _nice_ticks(top_value * (1.08 if kind == "line" else 1.0), whole=unit == "count")
    if unit == "%" and tick_values[-1] > 100 >= top_value:
        tick_values = [0.0, 25.0, 50.0, 75.0, 100.0]  # a share never needs an axis past 100%
    top = tick_values[-1]

    def y_of(value: float) -> float:
        return axis_y - plot_h * min(max(value, 0.0), top) / top

    ticks = tuple(Tick(pos=_num(y_of(t)), label=_tick_label(t, unit)) for t in tick_values)
    slot = plot_w / max(len(trend), 1)
    columns: list[Column] = []
    points: list[LinePoint] = []
    described: list[str] = []
    for index, (point, value, hide) in enumerate(zip(trend, values, hidden, strict=True)):
        line1, line2 = period_short(point.period)
        cx = plot_x + slot * (index + 0.5)
        text = f"<{threshold}" if hide else NO_DATA if value is None else format_value(value, unit)
        described.append(f"{point.period}: {text}")
        current = point.period == current_period
        if kind == "columns":
            col_w = min(slot * 0.6, 48)
            y = axis_y if value is None else y_of(value)
            columns.append(
                Column(
                    period=point.period,
                    line1=line1,
                    line2=line2,
                    data_value=data_value(value),
                    text=text,
                    has_value=value is not None,
                    current=current,
                    x=_num(cx - col_w / 2),
                    y=_num(y),
                    w=_num(col_w),
                    h=_num(axis_y - y),
                    cx=_num(cx),
                    label_y=_num((axis_y if value is None else y) - 6),
                    suppressed=hide,
                )
            )
        else:
            cy = axis_y if value is None else y_of(value)
            # label above the point, or below it when that keeps it clear of the pledge line
            below = value is not None and pledge is not None and value < pledge and cy + 20 < axis_y - 4
            label_y = cy + 20 if below else cy - 10
            points.append(
                LinePoint(
                    period=point.period,
                    line1=line1,
                    line2=line2,
                    data_value=data_value(value),
                    text=text,
                    has_value=value is not None,
                    current=current,
                    cx=_num(cx),
                    cy=_num(cy),
                    label_y=_num(label_y),
                    suppressed=hide,
                )
            )
    # one path per run of consecutive periods with data: gaps stay gaps
    paths: list[str] = []
    run: list[LinePoint] = []
    for p in [*points, None]:
        if p is not None and p.has_value:
            run.append(p)
            continue
        if len(run) > 1:
            paths.append(" ".join(f"{'M' if i == 0 else 'L'}{q.cx} {q.cy}" for i, q in enumerate(run)))
        run = []
    pledge_marks = None
    if pledge is not None:
        pledge_text = _pledge_text(pledge)
        pledge_marks = {
            "y": _num(y_of(pledge)),
            "x1": _num(plot_x),
            "x2": _num(plot_x + plot_w),
            "label": f"Pledge {pledge_text}",
            "value": pledge_text,
            "data_value": data_value(pledge),
        }
    description = f"{title}, by period: " + ("; ".join(described) if described else "no periods") + "."
    return TrendChart(
        kind=kind,
        code=code,
        title=title,
        description=description,
        width=width,
        height=height,
        plot_x=plot_x,
        plot_y=plot_y,
        plot_w=plot_w,
        plot_h=plot_h,
        axis_y=axis_y,
        ticks=ticks,
        columns=tuple(columns),
        points=tuple(points),
        paths=tuple(paths),
        pledge=pledge_marks,
        dom_id=dom_id,
    )


def _lw_chart(
    by_code: Mapping[str, KpiFigure], members: Sequence[WorkforceMemberRow], threshold: int
) -> LwChart:
    """Share paid the Living Wage, direct staff against contractors: the network, then each member
    that sent a workforce return. Suppressed shares get no bar, only "<N"."""
    width, label_x, plot_x, plot_w = 760, 110, 120, 520
    top, name_h, bar_h, bar_gap, group_gap = 16, 22, 18, 4, 14
    groups: list[LwGroup] = []
    described: list[str] = []
    sources: list[tuple[str, str, bool, dict[str, tuple[float | None, bool]]]] = [
        (
            "",
            "All members (network)",
            True,
            {
                code: (
                    None if code not in by_code or by_code[code].suppressed else clean(by_code[code].value),
                    code in by_code and by_code[code].suppressed,
                )
                for code, _, _, _ in LW_SERIES
            },
        )
    ]
    for member in members:
        if not member.submitted:
            continue
        sources.append(
            (
                member.member_id,
                member.name,
                False,
                {
                    code: (
                        None if code in member.suppressed else clean(getattr(member, code)),
                        code in member.suppressed,
                    )
                    for code, _, _, _ in LW_SERIES
                },
            )
        )
    y = float(top)
    for member_id, name, network, shares in sources:
        name_y = y + 15
        bars: list[LwBar] = []
        parts: list[str] = []
        for index, (code, label, basis, css_class) in enumerate(LW_SERIES):
            share, hide = shares[code]
            bar_y = y + name_h + index * (bar_h + bar_gap)
            shown = 0.0 if share is None else min(max(share, 0.0), 100.0)
            bar_w = plot_w * shown / 100
            text = f"<{threshold}" if hide else NO_DATA if share is None else format_pct(share)
            parts.append(f"{label.lower()} {text}")
            bars.append(
                LwBar(
                    basis=basis,
                    label=label,
                    data_value=data_value(share),
                    text=text,
                    has_value=share is not None,
                    suppressed=hide,
                    y=_num(bar_y),
                    text_y=_num(bar_y + bar_h / 2 + 5),
                    width=_num(bar_w),
                    text_x=_num(plot_x + bar_w + 6),
                    css_class=css_class,
                )
            )
        described.append(f"{name}: " + ", ".join(parts))
        bars_h = len(LW_SERIES) * bar_h + (len(LW_SERIES) - 1) * bar_gap
        groups.append(
            LwGroup(
                member_id=member_id,
                name=name,
                network=network,
                name_y=_num(name_y),
                grid_y1=_num(y + name_h - 4),
                grid_y2=_num(y + name_h + bars_h + 4),
                bars=tuple(bars),
            )
        )
        y += name_h + bars_h + group_gap
    axis_y = int(y - group_gap + 4)
    ticks = tuple(Tick(pos=_num(plot_x + plot_w * t / 100), label=f"{t}%") for t in (0, 25, 50, 75, 100))
    return LwChart(
        width=width,
        height=axis_y + 28,
        label_x=label_x,
        plot_x=plot_x,
        plot_w=plot_w,
        top=top,
        axis_y=axis_y,
        bar_h=bar_h,
        groups=tuple(groups),
        ticks=ticks,
        description="Share paid at least the Living Wage: " + "; ".join(described) + ".",
    )


def _public(figure: KpiFigure) -> KpiFigure:
    """The figure as it may be published: a suppressed one loses its value and previous value."""
    if not figure.suppressed:
        return figure
    return dataclasses.replace(figure, value=None, previous=None)


def _public_member(member: WorkforceMemberRow) -> WorkforceMemberRow:
    """The row as it may be published: suppressed fields lose their values."""
    if not member.suppressed:
        return member
    names = {f.name for f in dataclasses.fields(member)} - {
        "member_id",
        "name",
        "sector",
        "submitted",
        "suppressed",
    }
    return dataclasses.replace(member, **dict.fromkeys(sorted(frozenset(member.suppressed) & names)))


def _public_trend(trend: Sequence[TrendPoint], period: str, hidden_now: frozenset[str]) -> list[TrendPoint]:
    """The trend as it may be published: suppressed values dropped. A code suppressed on this period's
    headline is suppressed in this period's point too, even if the point does not say so."""
    public = []
    for point in trend:
        hidden = frozenset(point.suppressed) | (hidden_now if point.period == period else frozenset())
        if not hidden:
            public.append(point)
            continue
        values = {code: None if code in hidden else value for code, value in point.values.items()}
        public.append(TrendPoint(point.period, values, hidden))
    return public


def _previous_hidden(trend: Sequence[TrendPoint], period: str) -> frozenset[str]:
    """Codes suppressed in the period before this one (the point before this period's in the trend)."""
    periods = [point.period for point in trend]
    if period not in periods:
        return frozenset()
    index = periods.index(period)
    return frozenset(trend[index - 1].suppressed) if index > 0 else frozenset()


def _plural(count: int, one: str, many: str) -> str:
    return f"{format_count(count)} {one if count == 1 else many}"


def _join_names(names: Sequence[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


_Row = TypeVar("_Row", MemberRow, WorkforceMemberRow)


def _sorted_by_name(members: Iterable[_Row]) -> list[_Row]:
    return sorted(members, key=lambda m: (m.name.casefold(), m.name, m.member_id))


def _workforce_context(
    report: PeriodReport,
    headline: Sequence[KpiFigure],
    trend: Sequence[TrendPoint],
    previous_hidden: frozenset[str],
) -> dict[str, object] | None:
    """The Living Wage and workforce section, or None when the report has no workforce data."""
    if not report.workforce_headline and not report.workforce_members:
        return None
    threshold = report.suppression_threshold
    by_code = _headline_by_code(headline)
    members = _sorted_by_name(_public_member(m) for m in report.workforce_members)
    submitted = [m for m in members if m.submitted]
    not_submitted = [m.name for m in members if not m.submitted]

    def shown(code: str) -> float | None:
        figure = by_code.get(code)
        return None if figure is None or figure.suppressed else clean(figure.value)

    summary: list[str] = []
    paid = shown("lw_paid_pct")
    if paid is not None:
        summary.append(
            f"{format_pct(paid)} of staff (directly employed and contractors) were paid at least the "
            "Living Wage."
        )
    uplifts, uplift_value = shown("lw_uplifts"), shown("lw_uplift_annual_gbp")
    if uplifts is not None:
        people = "person" if uplifts == 1 else "people"
        sentence = f"{format_count(uplifts)} {people} had their pay raised to the Living Wage"
        if uplift_value is not None and uplifts > 0:
            sentence += f", worth {format_gbp(uplift_value)} a year to them"
        summary.append(sentence + ".")

    trend_charts = [
        _trend_chart(trend, report.period, code, unit, kind, title, None, threshold, f"wf-trend-{code}")
        for code, unit, kind, title in WORKFORCE_TREND
        if any(code in point.values or code in point.suppressed for point in trend)
    ]
    lw_chart = _lw_chart(by_code, members, threshold)
    lw_has_figures = any(bar.has_value or bar.suppressed for group in lw_chart.groups for bar in group.bars)
    return {
        "cards": [_card(figure, None, threshold, figure.code in previous_hidden) for figure in headline],
        "summary": summary,
        "lw_chart": lw_chart if lw_has_figures else None,
        "trend_charts": trend_charts,
        "columns": WORKFORCE_COLUMNS,
        "headings": WORKFORCE_HEADINGS,
        "members": [_workforce_member_view(m, threshold) for m in members],
        "network_cells": tuple(
            _figure_cell(col, unit, by_code.get(col), threshold) for col, _, unit in WORKFORCE_COLUMNS
        ),
        "members_total": len(members),
        "members_submitted": len(submitted),
        "submitted_line": (
            f"{format_count(len(submitted))} of {_plural(len(members), 'member', 'members')} "
            "sent a workforce return"
        ),
        "not_submitted_line": _join_names(not_submitted),
        "threshold": threshold,
        "suppressed_title": suppression_title(threshold),
        "suppression_note": suppression_note(threshold),
        "glossary": [
            *WORKFORCE_GLOSSARY,
            (
                f"<{threshold} (figure not shown)",
                f"A figure based on fewer than {threshold} people is shown as <{threshold}, so that nobody "
                "can be identified from it. Network totals still include those people, exactly.",
            ),
        ],
    }


# ---------------------------------------------------------------------------------------------
# Targets, measures and social value
# ---------------------------------------------------------------------------------------------

# Target status -> CSS class of its badge and progress bar (the badge always carries the text too)
TARGET_STATUS_CLASSES: dict[str, str] = {
    "on track": "on-track",
    "at risk": "at-risk",
    "off track": "off-track",
    "no data": "no-data",
}

SOCIAL_VALUE_KPI = "social_value_gbp"

TARGETS_GLOSSARY: tuple[tuple[str, str], ...] = (
    (
        "Target path",
        "How far along a target should be by now. A quarter's target is compared with that quarter's "
        "figure. A target for the whole year is compared with the year so far: for figures that add up "
        "over the year (such as spend or people uplifted) the path is the target spread evenly over the "
        "four quarters, so after two quarters it is half the target; for shares and headcounts it is "
        "the target itself.",
    ),
    (
        "Progress",
        "The figure so far as a percentage of the whole target. Where lower is better, staying at or "
        "below the path is on track.",
    ),
)

SOCIAL_VALUE_GLOSSARY: tuple[tuple[str, str], ...] = (
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
class TargetView:
    kpi: str
    label: str
    unit: str
    scope: str
    whom: str
    network: bool
    period: str
    period_label: str
    direction: str
    status: str
    status_label: str
    status_class: str
    cells: tuple[Cell, ...]  # target, expected_to_date, actual, progress_pct
    bar_width: int
    bar_fill: str  # width of the filled part (progress, 0 to 100% of the target)
    bar_path: str | None  # x of the path-to-date mark, or None
    bar_over: bool  # progress past 100%
    bar_title: str


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


@dataclass(frozen=True)
class ThemeBar:
    code: str
    label: str
    data_value: str
    text: str
    exact: str
    y: str
    bar_y: str
    text_y: str
    width: str
    text_x: str


@dataclass(frozen=True)
class ThemeChart:
    width: int
    height: int
    label_x: int
    plot_x: int
    plot_w: int
    top: int
    axis_y: int
    bars: tuple[ThemeBar, ...]
    ticks: tuple[Tick, ...]
    description: str


def target_period_label(period: str) -> str:
    """``2026-27`` -> ``2026-27, year to date``; ``2026-27-Q2`` -> ``Quarter 2 of 2026-27``."""
    match = re.fullmatch(r"(\d{4}-\d{2})(?:-Q([1-4]))?", period)
    if match is None:
        return period
    if match[2] is None:
        return f"{match[1]}, year to date"
    return f"Quarter {match[2]} of {match[1]}"


def _quantity_cell(col: str, unit: str, value: float | None) -> Cell:
    number = clean(value)
    return Cell(
        col=col,
        unit=unit,
        text=format_quantity(number, unit),
        exact=format_quantity_exact(number, unit),
        data_value=data_value(number),
        has_value=number is not None,
    )


def _target_sort_key(row: TargetRow) -> tuple[object, ...]:
    network = row.scope == "network"
    name = "" if network else row.member_name or ""
    return (not network, name.casefold(), name, row.scope, row.kpi, row.period, row.label)


def _target_view(row: TargetRow) -> TargetView:
    network = row.scope == "network"
    target = clean(row.target)
    expected = clean(row.expected_to_date)
    progress = clean(row.progress_pct)
    status = row.status
    status_label = target_status_label(status)
    bar_width = 120
    shown = 0.0 if progress is None else min(max(progress, 0.0), 100.0)
    path_pct = None if target is None or expected is None or target == 0 else expected / target * 100
    path_x = None if path_pct is None else _num(bar_width * min(max(path_pct, 0.0), 100.0) / 100)
    title = f"Progress: {format_pct(progress)} of the target"
    if path_pct is not None:
        title += f"; path to date: {format_pct(path_pct)} of the target"
    return TargetView(
        kpi=row.kpi,
        label=row.label,
        unit=row.unit,
        scope=row.scope,
        whom="Network (all members)" if network else row.member_name or "Member",
        network=network,
        period=row.period,
        period_label=target_period_label(row.period),
        direction=row.direction,
        status=status,
        status_label=status_label,
        status_class=TARGET_STATUS_CLASSES.get(status, "no-data"),
        cells=(
            _quantity_cell("target", row.unit, target),
            _quantity_cell("expected_to_date", row.unit, expected),
            _quantity_cell("actual", row.unit, row.actual),
            _quantity_cell("progress_pct", "%", progress),
        ),
        bar_width=bar_width,
        bar_fill=_num(bar_width * shown / 100),
        bar_over=progress is not None and progress > 100,
        bar_path=path_x,
        bar_title=f"{title}. {status_label}.",
    )


def _targets_context(report: PeriodReport) -> dict[str, object] | None:
    """The progress-against-targets section, or None when the report has no targets."""
    if not report.targets:
        return None
    rows = [_target_view(row) for row in sorted(report.targets, key=_target_sort_key)]
    known = [status for status in TARGET_STATUS_CLASSES if any(r.status == status for r in rows)]
    other = sorted({r.status for r in rows} - set(TARGET_STATUS_CLASSES))
    counts = [
        {
            "status": status,
            "label": target_status_label(status),
            "css_class": TARGET_STATUS_CLASSES.get(status, "no-data"),
            "count": sum(1 for r in rows if r.status == status),
        }
        for status in [*known, *other]
    ]
    return {
        "rows": rows,
        "counts": counts,
        "summary": f"{_plural(len(rows), 'target', 'targets')} this period:",
        "rule": report.target_rule.strip(),
        "glossary": TARGETS_GLOSSARY,
    }


def _measure_sort_key(row: MeasureRow) -> tuple[str, str, str]:
    return (row.theme, row.code, row.name)


def _measure_view(row: MeasureRow) -> MeasureView:
    value, previous = clean(row.value), clean(row.previous)
    change = format_quantity_change(value, previous, row.unit)
    direction = None
    if change is not None:
        direction = "up" if change.startswith("+") else "down" if change.startswith("\u2212") else "same"
    return MeasureView(
        code=row.code,
        name=row.name,
        unit=row.unit,
        theme=row.theme,
        cell=_quantity_cell("value", row.unit, value),
        data_previous=data_value(previous),
        previous_text=None if previous is None else format_quantity(previous, row.unit),
        change=change,
        direction=direction,
        members_reporting=row.members_reporting,
        has_proxy=clean(row.proxy_gbp_per_unit) is not None,
    )


def _measures_context(report: PeriodReport) -> dict[str, object] | None:
    """The measures section, or None when the report has no measures."""
    if not report.measures:
        return None
    rows = sorted(report.measures, key=_measure_sort_key)
    groups: list[ThemeGroup] = []
    for row in rows:
        if not groups or groups[-1].code != row.theme:
            groups.append(ThemeGroup(row.theme, theme_label(row.theme), ()))
        last = groups[-1]
        groups[-1] = dataclasses.replace(last, measures=(*last.measures, _measure_view(row)))
    reported = sum(1 for row in rows if clean(row.value) is not None)
    return {
        "groups": groups,
        "count_line": f"{format_count(reported)} of {_plural(len(rows), 'measure', 'measures')} reported",
    }


def _per_unit(unit: str) -> str:
    """``people`` -> ``person``, ``buildings`` -> ``building``: the unit a proxy is priced per."""
    if unit == "people":
        return "person"
    if unit == "GBP":
        return "£1"
    if len(unit) > 3 and unit.endswith("s") and not unit.endswith("ss") and unit.isalpha():
        return unit[:-1]
    return unit or "unit"


def _theme_chart(by_theme: Mapping[str, float]) -> ThemeChart:
    """Social value by theme: one horizontal bar per theme, in theme-code order."""
    width, label_x, plot_x, plot_w = 760, 200, 210, 440
    top, row_h, bar_h = 12, 40, 22
    items = sorted((code, clean(value)) for code, value in by_theme.items())
    values = [v for _, v in items if v is not None]
    tick_values = _nice_ticks(max([*values, 0.0]))
    scale_top = tick_values[-1]
    bars: list[ThemeBar] = []
    described: list[str] = []
    for index, (code, value) in enumerate(items):
        y = top + index * row_h
        bar_y = y + (row_h - bar_h) / 2
        shown = 0.0 if value is None else min(max(value, 0.0), scale_top)
        bar_w = plot_w * shown / scale_top
        label = theme_label(code)
        text = format_gbp(value)
        described.append(f"{label}: {text}")
        bars.append(
            ThemeBar(
                code=code,
                label=label,
                data_value=data_value(value),
                text=text,
                exact=format_value_exact(value, "GBP"),
                y=_num(y),
                bar_y=_num(bar_y),
                text_y=_num(bar_y + bar_h / 2 + 5),
                width=_num(bar_w),
                text_x=_num(plot_x + bar_w + 6),
            )
        )
    axis_y = top + len(items) * row_h + 4
    ticks = tuple(Tick(pos=_num(plot_x + plot_w * t / scale_top), label=format_gbp(t)) for t in tick_values)
    return ThemeChart(
        width=width,
        height=axis_y + 28,
        label_x=label_x,
        plot_x=plot_x,
        plot_w=plot_w,
        top=top,
        axis_y=axis_y,
        bars=tuple(bars),
        ticks=ticks,
        description="Estimated social value by theme: " + "; ".join(described) + ".",
    )


def _social_value_context(report: PeriodReport, trend: Sequence[TrendPoint] = ()) -> dict[str, object] | None:
    """The social value section, or None when there is no social value and no proxy to show."""
    by_theme = dict(report.social_value_by_theme)
    rows = sorted(report.measures, key=_measure_sort_key)
    with_proxy = [row for row in rows if clean(row.proxy_gbp_per_unit) is not None]
    total = clean(report.social_value_total_gbp)
    if total is None and not by_theme and not with_proxy:
        return None
    card = _card(
        KpiFigure(
            code=SOCIAL_VALUE_KPI,
            label="Estimated social value",
            value=total,
            unit="GBP",
            definition="Each measure's total times the network's proxy value for it, added up.",
        ),
        None,
    )
    proxies = [
        ProxyView(
            code=row.code,
            name=row.name,
            unit=row.unit,
            proxy_text=f"{format_gbp_rate(row.proxy_gbp_per_unit)} per {_per_unit(row.unit)}",
            proxy_data_value=data_value(row.proxy_gbp_per_unit),
            value_text=format_quantity(row.value, row.unit),
            value_data_value=data_value(row.value),
            social_value=_quantity_cell("social_value_gbp", "GBP", row.social_value_gbp),
            source=row.proxy_source or "Source not given",
            has_source=bool(row.proxy_source),
        )
        for row in with_proxy
    ]
    without = [row.name for row in rows if clean(row.proxy_gbp_per_unit) is None]
    return {
        "card": card,
        "chart": _theme_chart(by_theme) if by_theme else None,
        "trend_chart": _trend_chart(
            trend,
            report.period,
            SOCIAL_VALUE_KPI,
            "GBP",
            "columns",
            "Estimated social value",
            None,
            report.suppression_threshold,
            "trend-social-value",
        )
        if sum(clean(p.values.get(SOCIAL_VALUE_KPI)) is not None for p in trend) > 1
        else None,
        "proxies": proxies,
        "without_proxy_line": _join_names(without),
        "glossary": SOCIAL_VALUE_GLOSSARY,
    }


def build_context(report: PeriodReport) -> dict[str, object]:
    """The template's variables: formatted text, chart geometry and figures for data attributes."""
    threshold = report.suppression_threshold
    # Suppressed values are dropped here, before anything is formatted, so none can leak.
    headline = [_public(figure) for figure in report.headline]
    workforce_headline = [_public(figure) for figure in report.workforce_headline]
    hidden_now = frozenset(f.code for f in [*headline, *workforce_headline] if f.suppressed)
    trend = _public_trend(report.trend, report.period, hidden_now)
    previous_hidden = _previous_hidden(trend, report.period)

    by_code = _headline_by_code(headline)
    cards = [
        _card(figure, report.pledge_pct, threshold, figure.code in previous_hidden) for figure in headline
    ]

    members = _sorted_by_name(report.members)
    member_views = [_member_view(m) for m in members]
    network_cells = tuple(
        _figure_cell(col, unit, by_code.get(col), threshold) for col, _, unit in MEMBER_COLUMNS
    )
    submitted = [m for m in members if m.submitted]
    not_submitted = [m.name for m in members if not m.submitted]

    submissions = sorted(
        report.submissions,
        key=lambda s: (s.member_name.casefold(), s.member_name, s.member_id, s.return_type),
    )
    submission_views = [_submission_view(s) for s in submissions]
    status_counts = {status: sum(1 for s in submissions if s.status == status) for status in STATUS_BADGES}

    rows_read = sum(s.rows_read for s in submissions)
    rows_loaded = sum(s.rows_loaded for s in submissions)
    rows_rejected = sum(s.rows_rejected for s in submissions)
    files_quarantined = sum(s.files for s in submissions if s.status == "quarantined")
    unknown = by_code.get(UNKNOWN_KPI)
    unknown_share = None if unknown is None else clean(unknown.value)

    total = by_code.get(TOTAL_KPI)
    total_value = None if total is None else clean(total.value)
    pledge_figure = by_code.get(PLEDGE_KPI)
    pledge_value = None if pledge_figure is None else clean(pledge_figure.value)
    pledge = clean(report.pledge_pct)

    summary: list[str] = []
    if total_value is not None:
        summary.append(f"Members that submitted spent {format_gbp(total_value)} in total this period.")
    if pledge_value is not None:
        sentence = (
            f"{format_pct(pledge_value)} of it went to local small businesses or diverse-owned businesses"
        )
        if pledge is not None:
            pledge_text = _pledge_text(pledge)
            verdict = "meeting" if pledge_value >= pledge else "below"
            sentence += f", {verdict} the network's pledge of {pledge_text}"
        summary.append(sentence + ".")

    trend_charts = [
        _trend_chart(trend, report.period, TOTAL_KPI, "GBP", "columns", "Total spend", None, threshold),
        _trend_chart(
            trend,
            report.period,
            PLEDGE_KPI,
            "%",
            "line",
            "Share of spend with local small businesses or diverse-owned businesses",
            report.pledge_pct,
            threshold,
        ),
        # the spend mix over time
        _trend_chart(
            trend,
            report.period,
            "spend_sme_pct",
            "%",
            "line",
            "Share of spend with SMEs",
            None,
            threshold,
            "trend-sme",
        ),
        _trend_chart(
            trend,
            report.period,
            "spend_local_pct",
            "%",
            "line",
            "Share of spend with local suppliers",
            None,
            threshold,
            "trend-local",
        ),
    ]
    workforce = _workforce_context(report, workforce_headline, trend, previous_hidden)
    targets = _targets_context(report)
    measures = _measures_context(report)
    social_value = _social_value_context(report, trend)

    glossary_terms = list(GLOSSARY)
    source_ids = sorted(set(report.source_submission_ids))

    return {
        "report": report,
        "as_of": format_datetime(report.as_of),
        "as_of_iso": report.as_of.isoformat(),
        "summary": summary,
        "cards": cards,
        "mix": _mix_chart(by_code, report.pledge_pct),
        "trend_charts": trend_charts,
        "member_columns": MEMBER_COLUMNS,
        "members": member_views,
        "network_cells": network_cells,
        "members_total": len(members),
        "members_submitted": len(submitted),
        "submitted_line": (
            f"{format_count(len(submitted))} of {_plural(len(members), 'member', 'members')} submitted"
        ),
        "not_submitted_line": _join_names(not_submitted),
        "submissions": submission_views,
        "status_counts": status_counts,
        "quality": {
            "rows_read": rows_read,
            "rows_loaded": rows_loaded,
            "rows_rejected": rows_rejected,
            "rows_rejected_text": _plural(rows_rejected, "row", "rows"),
            "rows_read_text": format_count(rows_read),
            "files_quarantined": files_quarantined,
            "files_quarantined_text": _plural(files_quarantined, "file", "files"),
            "unknown_share": data_value(unknown_share),
            "unknown_share_text": format_pct(unknown_share),
        },
        "glossary": glossary_terms,
        "workforce": workforce,
        "sectors": _sectors_context(report),
        "targets": targets,
        "measures": measures,
        "social_value": social_value,
        "suppressed_title": suppression_title(threshold),
        "source_ids": source_ids,
        "source_count_text": _plural(len(source_ids), "source submission", "source submissions"),
    }


@lru_cache(maxsize=1)
def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATE_DIR),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render_period_report_html(report: PeriodReport) -> str:
    """The City Hall period report as one self-contained HTML page (deterministic for its input)."""
    return _environment().get_template(TEMPLATE_NAME).render(build_context(report))
