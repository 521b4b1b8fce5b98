"""The report's inline SVG charts, as geometry a template can draw: shapes and numbers, not KPIs.

Callers say what each bar or point is (a key for its data attribute, a label, a value, or that the
value is hidden); the charts work out scales, ticks, coordinates and the text a screen reader is given.
Coordinates are strings with one decimal, so the same figures always draw the same bytes. A hidden
value takes no part in any geometry, so neither a bar's length nor an axis can hint at it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from reports.format import (
    NO_DATA,
    clean,
    data_value,
    format_count,
    format_gbp,
    format_pct,
    format_pct_compact,
    format_value,
    format_value_exact,
    period_short,
)
from reports.model import TrendPoint

PERCENT_TICKS = (0, 25, 50, 75, 100)


def coordinate(x: float) -> str:
    """SVG coordinate: one decimal, never '-0.0'."""
    text = f"{x:.1f}"
    return "0.0" if text == "-0.0" else text


def nice_ticks(top: float, ticks: int = 4, whole: bool = False) -> list[float]:
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


def tick_label(value: float, unit: str) -> str:
    if unit == "GBP":
        return format_gbp(value)
    if unit == "count":
        return format_count(value)
    return f"{value:g}%"


@dataclass(frozen=True)
class Tick:
    pos: str
    label: str


def _percent_axis(plot_x: int, plot_w: int) -> tuple[Tick, ...]:
    return tuple(Tick(pos=coordinate(plot_x + plot_w * t / 100), label=f"{t}%") for t in PERCENT_TICKS)


# -- horizontal bars of shares (0 to 100%), one per category, with an optional target line -------------


@dataclass(frozen=True)
class Share:
    """What one bar shows: a share in % (None = no data), worked out from an amount or not."""

    key: str
    label: str
    value: float | None
    derived: bool = False
    css_class: str = "bar"


@dataclass(frozen=True)
class Marker:
    """A line across one bar at a value, such as the network's pledge, with the sentence describing it."""

    key: str
    value: float
    label: str
    sentence: str


@dataclass(frozen=True)
class ShareBar:
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
class ShareBars:
    width: int
    height: int
    label_x: int
    plot_x: int
    plot_w: int
    axis_y: int
    bars: tuple[ShareBar, ...]
    ticks: tuple[Tick, ...]
    pledge: Mapping[str, str] | None
    description: str


def share_bars(shares: Sequence[Share], marker: Marker | None, subject: str) -> ShareBars:
    width, label_x, plot_x, plot_w = 760, 270, 280, 400
    top, row_h, bar_h = 20, 44, 20
    bars: list[ShareBar] = []
    marks: dict[str, str] | None = None
    described: list[str] = []
    for index, share in enumerate(shares):
        y = top + index * row_h
        bar_y = y + (row_h - bar_h) / 2
        shown = 0.0 if share.value is None else min(max(share.value, 0.0), 100.0)
        bar_w = plot_w * shown / 100
        text = NO_DATA if share.value is None else format_pct(share.value)
        described.append(f"{share.label}: {text}")
        bars.append(
            ShareBar(
                code=share.key,
                label=share.label,
                data_value=data_value(share.value),
                text=text,
                derived=share.derived,
                y=coordinate(y),
                bar_y=coordinate(bar_y),
                text_y=coordinate(bar_y + bar_h / 2 + 5),
                width=coordinate(bar_w),
                text_x=coordinate(plot_x + bar_w + 6),
                css_class=share.css_class,
            )
        )
        if marker is not None and marker.key == share.key and 0 <= marker.value <= 100:
            marks = {
                "x": coordinate(plot_x + plot_w * marker.value / 100),
                "y1": coordinate(bar_y - 7),
                "y2": coordinate(bar_y + bar_h + 7),
                "label_y": coordinate(bar_y - 10),
                "label": marker.label,
                "data_value": data_value(marker.value),
            }
    axis_y = top + len(shares) * row_h + 4
    description = f"{subject}: " + "; ".join(described) + "."
    if marks is not None and marker is not None:
        description += f" {marker.sentence}"
    return ShareBars(
        width=width,
        height=axis_y + 28,
        label_x=label_x,
        plot_x=plot_x,
        plot_w=plot_w,
        axis_y=axis_y,
        bars=tuple(bars),
        ticks=_percent_axis(plot_x, plot_w),
        pledge=marks,
        description=description,
    )


# -- one value over recent periods: columns, or a line with an optional target line ----------------------


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
    covering: str = "submitted"  # whose values a column adds up: "all members that <covering>"


def trend_chart(
    trend: Sequence[TrendPoint],
    current_period: str,
    code: str,
    unit: str,
    kind: str,
    title: str,
    pledge_pct: float | None,
    hidden: str = "[c]",
    dom_id: str = "",
    covering: str = "submitted",
) -> TrendChart:
    """The values of ``code`` in each period of the trend. A period whose point lists ``code`` as
    suppressed shows ``hidden`` ("[c]") and takes no part in the scale, so the axis cannot hint at its
    value. ``pledge_pct`` draws a target line across a line chart."""
    width, height = 420, 250
    plot_x, plot_y, plot_h = 64, 26, 170
    plot_w = 290 if kind == "line" else 340  # the line chart keeps a margin for the pledge label
    axis_y = plot_y + plot_h
    # Periods before the first data (a network that started reporting recently) are left out, rather
    # than drawn as a row of "No data".
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
    hide = [code in point.suppressed for point in trend]
    values = [None if h else clean(point.values.get(code)) for point, h in zip(trend, hide, strict=True)]
    pledge = clean(pledge_pct) if kind == "line" else None
    present = [v for v in values if v is not None]
    top_value = max([*present, *([pledge] if pledge is not None else []), 0.0])
    tick_values = nice_ticks(top_value * (1.08 if kind == "line" else 1.0), whole=unit == "count")
    if unit == "%" and tick_values[-1] > 100 >= top_value:
        tick_values = [0.0, 25.0, 50.0, 75.0, 100.0]  # a share never needs an axis past 100%
    top = tick_values[-1]

    def y_of(value: float) -> float:
        return axis_y - plot_h * min(max(value, 0.0), top) / top

    ticks = tuple(Tick(pos=coordinate(y_of(t)), label=tick_label(t, unit)) for t in tick_values)
    slot = plot_w / max(len(trend), 1)
    columns: list[Column] = []
    points: list[LinePoint] = []
    described: list[str] = []
    for index, (point, value, h) in enumerate(zip(trend, values, hide, strict=True)):
        line1, line2 = period_short(point.period)
        cx = plot_x + slot * (index + 0.5)
        text = hidden if h else NO_DATA if value is None else format_value(value, unit)
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
                    x=coordinate(cx - col_w / 2),
                    y=coordinate(y),
                    w=coordinate(col_w),
                    h=coordinate(axis_y - y),
                    cx=coordinate(cx),
                    label_y=coordinate((axis_y if value is None else y) - 6),
                    suppressed=h,
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
                    cx=coordinate(cx),
                    cy=coordinate(cy),
                    label_y=coordinate(label_y),
                    suppressed=h,
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
    marks = None
    if pledge is not None:
        pledge_text = format_pct_compact(pledge)
        marks = {
            "y": coordinate(y_of(pledge)),
            "x1": coordinate(plot_x),
            "x2": coordinate(plot_x + plot_w),
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
        pledge=marks,
        dom_id=dom_id,
        covering=covering,
    )


# -- groups of share bars side by side (the network, then each member), one bar per series ----------------


@dataclass(frozen=True)
class Series:
    """One bar of every group: the key of its value in a group, its label, data attribute and colour."""

    key: str
    label: str
    basis: str
    css_class: str


@dataclass(frozen=True)
class Group:
    """One group's shares by series key: (share in %, or None for no data; hidden?)."""

    member_id: str  # "" for the network
    name: str
    network: bool
    shares: Mapping[str, tuple[float | None, bool]]


@dataclass(frozen=True)
class GroupBar:
    basis: str
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
class BarGroup:
    member_id: str  # "" for the network
    name: str
    network: bool
    name_y: str
    grid_y1: str  # grid lines run past the bars only, clear of the name above them
    grid_y2: str
    bars: tuple[GroupBar, ...]


@dataclass(frozen=True)
class GroupedBars:
    width: int
    height: int
    label_x: int
    plot_x: int
    plot_w: int
    top: int
    axis_y: int
    bar_h: int
    groups: tuple[BarGroup, ...]
    ticks: tuple[Tick, ...]
    title: str
    description: str


def grouped_share_bars(
    groups: Sequence[Group], series: Sequence[Series], hidden: str, title: str, subject: str
) -> GroupedBars:
    """Shares side by side for each group. A hidden share gets no bar, only ``hidden`` ("[c]")."""
    width, label_x, plot_x, plot_w = 760, 110, 120, 520
    top, name_h, bar_h, bar_gap, group_gap = 16, 22, 18, 4, 14
    drawn: list[BarGroup] = []
    described: list[str] = []
    y = float(top)
    bars_h = len(series) * bar_h + (len(series) - 1) * bar_gap
    for group in groups:
        bars: list[GroupBar] = []
        parts: list[str] = []
        for index, s in enumerate(series):
            share, hide = group.shares[s.key]
            bar_y = y + name_h + index * (bar_h + bar_gap)
            shown = 0.0 if share is None else min(max(share, 0.0), 100.0)
            bar_w = plot_w * shown / 100
            text = hidden if hide else NO_DATA if share is None else format_pct(share)
            parts.append(f"{s.label.lower()} {text}")
            bars.append(
                GroupBar(
                    basis=s.basis,
                    label=s.label,
                    data_value=data_value(share),
                    text=text,
                    has_value=share is not None,
                    suppressed=hide,
                    y=coordinate(bar_y),
                    text_y=coordinate(bar_y + bar_h / 2 + 5),
                    width=coordinate(bar_w),
                    text_x=coordinate(plot_x + bar_w + 6),
                    css_class=s.css_class,
                )
            )
        described.append(f"{group.name}: " + ", ".join(parts))
        drawn.append(
            BarGroup(
                member_id=group.member_id,
                name=group.name,
                network=group.network,
                name_y=coordinate(y + 15),
                grid_y1=coordinate(y + name_h - 4),
                grid_y2=coordinate(y + name_h + bars_h + 4),
                bars=tuple(bars),
            )
        )
        y += name_h + bars_h + group_gap
    axis_y = int(y - group_gap + 4)
    return GroupedBars(
        width=width,
        height=axis_y + 28,
        label_x=label_x,
        plot_x=plot_x,
        plot_w=plot_w,
        top=top,
        axis_y=axis_y,
        bar_h=bar_h,
        groups=tuple(drawn),
        ticks=_percent_axis(plot_x, plot_w),
        title=title,
        description=f"{subject}: " + "; ".join(described) + ".",
    )


# -- horizontal bars of amounts in pounds, one per category ---------------------------------------------


@dataclass(frozen=True)
class AmountBar:
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
class AmountBars:
    width: int
    height: int
    label_x: int
    plot_x: int
    plot_w: int
    top: int
    axis_y: int
    bars: tuple[AmountBar, ...]
    ticks: tuple[Tick, ...]
    title: str
    description: str


def amount_bars(items: Sequence[tuple[str, str, float | None]], title: str, label_x: int = 200) -> AmountBars:
    """One bar per (key, label, pounds), in the order given, on a scale of round amounts; ``label_x``
    is where the labels end (wider for long labels, the plot narrower)."""
    width, plot_x, plot_w = 760, label_x + 10, 640 - label_x
    top, row_h, bar_h = 12, 40, 22
    values = [clean(v) for _, _, v in items]
    tick_values = nice_ticks(max([*(v for v in values if v is not None), 0.0]))
    scale_top = tick_values[-1]
    bars: list[AmountBar] = []
    described: list[str] = []
    for index, ((key, label, _), value) in enumerate(zip(items, values, strict=True)):
        y = top + index * row_h
        bar_y = y + (row_h - bar_h) / 2
        shown = 0.0 if value is None else min(max(value, 0.0), scale_top)
        bar_w = plot_w * shown / scale_top
        text = format_gbp(value)
        described.append(f"{label}: {text}")
        bars.append(
            AmountBar(
                code=key,
                label=label,
                data_value=data_value(value),
                text=text,
                exact=format_value_exact(value, "GBP"),
                y=coordinate(y),
                bar_y=coordinate(bar_y),
                text_y=coordinate(bar_y + bar_h / 2 + 5),
                width=coordinate(bar_w),
                text_x=coordinate(plot_x + bar_w + 6),
            )
        )
    axis_y = top + len(items) * row_h + 4
    ticks = tuple(
        Tick(pos=coordinate(plot_x + plot_w * t / scale_top), label=format_gbp(t)) for t in tick_values
    )
    return AmountBars(
        width=width,
        height=axis_y + 28,
        label_x=label_x,
        plot_x=plot_x,
        plot_w=plot_w,
        top=top,
        axis_y=axis_y,
        bars=tuple(bars),
        ticks=ticks,
        title=title,
        description=f"{title}: " + "; ".join(described) + ".",
    )


# -- a range per row around a central value (how an estimate moves as its assumptions move) --------------


@dataclass(frozen=True)
class RangeBar:
    key: str
    label: str
    low_text: str
    high_text: str
    data_low: str
    data_high: str
    has_value: bool
    x: str
    width: str
    bar_y: str
    text_y: str
    low_x: str  # end of the low value's label (drawn left of the bar)
    high_x: str  # start of the high value's label (drawn right of the bar)


@dataclass(frozen=True)
class RangeChart:
    width: int
    height: int
    label_x: int
    plot_x: int
    plot_w: int
    top: int
    axis_y: int
    bar_h: int
    bars: tuple[RangeBar, ...]
    ticks: tuple[Tick, ...]
    centre_x: str | None
    centre_label: str
    centre_data: str
    title: str
    description: str


def range_bars(
    items: Sequence[tuple[str, str, float | None, float | None]],
    centre: float | None,
    centre_label: str,
    title: str,
    text: Callable[[float | None], str],
    tick_text: Callable[[float], str],
) -> RangeChart:
    """One bar per (key, label, one end, other end) from the smaller to the larger value, and a line at
    ``centre``: a sensitivity ("tornado") chart. ``text`` writes a value, ``tick_text`` an axis tick."""
    width, label_x, plot_x, plot_w = 760, 260, 330, 360
    top, row_h, bar_h = 16, 34, 18
    ends = [clean(v) for _, _, a, b in items for v in (a, b)]
    known = [v for v in [*ends, clean(centre)] if v is not None]
    tick_values = nice_ticks(max([*known, 0.0]))
    scale_top = tick_values[-1]

    def x_of(value: float) -> float:
        return plot_x + plot_w * min(max(value, 0.0), scale_top) / scale_top

    bars: list[RangeBar] = []
    described: list[str] = []
    for index, (key, label, first, second) in enumerate(items):
        a, b = clean(first), clean(second)
        low, high = (None, None) if a is None or b is None else (min(a, b), max(a, b))
        y = top + index * row_h
        bar_y = y + (row_h - bar_h) / 2
        x1 = plot_x if low is None else x_of(low)
        x2 = plot_x if high is None else x_of(high)
        described.append(
            f"{label}: {text(low)} to {text(high)}" if low is not None else f"{label}: {NO_DATA}"
        )
        bars.append(
            RangeBar(
                key=key,
                label=label,
                low_text=text(low),
                high_text=text(high),
                data_low=data_value(low),
                data_high=data_value(high),
                has_value=low is not None,
                x=coordinate(x1),
                width=coordinate(max(x2 - x1, 2.0) if low is not None else 0.0),
                bar_y=coordinate(bar_y),
                text_y=coordinate(bar_y + bar_h / 2 + 5),
                low_x=coordinate(x1 - 6),
                high_x=coordinate(max(x2, x1 + 2.0) + 6),
            )
        )
    axis_y = top + len(items) * row_h + 4
    centre_value = clean(centre)
    description = f"{title}: " + "; ".join(described) + "."
    if centre_value is not None:
        description += f" {centre_label}: {text(centre_value)}."
    return RangeChart(
        width=width,
        height=axis_y + 28,
        label_x=label_x,
        plot_x=plot_x,
        plot_w=plot_w,
        top=top,
        axis_y=axis_y,
        bar_h=bar_h,
        bars=tuple(bars),
        ticks=tuple(Tick(pos=coordinate(x_of(t)), label=tick_text(t)) for t in tick_values),
        centre_x=None if centre_value is None else coordinate(x_of(centre_value)),
        centre_label=centre_label,
        centre_data=data_value(centre_value),
        title=title,
        description=description,
    )


# -- counts per period, one column per series side by side (offers per quarter, by member) --------------


@dataclass(frozen=True)
class SeriesColumn:
    key: str
    label: str
    data_value: str
    text: str
    has_value: bool
    suppressed: bool
    x: str
    y: str
    w: str
    h: str
    cx: str
    label_y: str
    css_class: str


@dataclass(frozen=True)
class PeriodColumns:
    period: str
    line1: str
    line2: str
    cx: str
    columns: tuple[SeriesColumn, ...]


@dataclass(frozen=True)
class LegendItem:
    label: str
    css_class: str
    x: str
    text_x: str


@dataclass(frozen=True)
class GroupedColumns:
    width: int
    height: int
    plot_x: int
    plot_y: int
    plot_w: int
    axis_y: int
    ticks: tuple[Tick, ...]
    periods: tuple[PeriodColumns, ...]
    legend: tuple[LegendItem, ...]
    legend_y: int
    title: str
    description: str


def grouped_columns(
    periods: Sequence[str],
    series: Sequence[tuple[str, str]],
    values: Mapping[tuple[str, str], tuple[float | None, bool]],
    hidden: str,
    title: str,
    unit: str = "count",
) -> GroupedColumns:
    """Columns side by side in each period, one per series (key, label). ``values`` maps (period, series
    key) to (value, hidden?); a hidden value draws no column and takes no part in the scale, only
    ``hidden`` ("[c]") where its column would be."""
    width, plot_x, plot_y, plot_w, plot_h = 760, 64, 40, 670, 190
    axis_y = plot_y + plot_h
    shown = [
        v
        for p in periods
        for key, _ in series
        if not values.get((p, key), (None, False))[1]
        and (v := clean(values.get((p, key), (None, False))[0])) is not None
    ]
    tick_values = nice_ticks(max([*shown, 0.0]), whole=unit == "count")
    top = tick_values[-1]

    def y_of(value: float) -> float:
        return axis_y - plot_h * min(max(value, 0.0), top) / top

    slot = plot_w / max(len(periods), 1)
    col_w = min((slot * 0.8) / max(len(series), 1), 40)
    drawn: list[PeriodColumns] = []
    described: list[str] = []
    for index, period in enumerate(periods):
        line1, line2 = period_short(period)
        cx = plot_x + slot * (index + 0.5)
        first_x = cx - col_w * len(series) / 2
        columns: list[SeriesColumn] = []
        parts: list[str] = []
        for n, (key, label) in enumerate(series):
            raw, hide = values.get((period, key), (None, False))
            value = None if hide else clean(raw)
            text = hidden if hide else NO_DATA if value is None else format_value(value, unit)
            parts.append(f"{label} {text}")
            y = axis_y if value is None else y_of(value)
            x = first_x + n * col_w
            columns.append(
                SeriesColumn(
                    key=key,
                    label=label,
                    data_value=data_value(value),
                    text=text,
                    has_value=value is not None,
                    suppressed=hide,
                    x=coordinate(x + 1),
                    y=coordinate(y),
                    w=coordinate(col_w - 2),
                    h=coordinate(axis_y - y),
                    cx=coordinate(x + col_w / 2),
                    label_y=coordinate(y - 5),
                    css_class=f"series-{n % SERIES_COLOURS}",
                )
            )
        described.append(f"{period}: " + ", ".join(parts))
        drawn.append(PeriodColumns(period, line1, line2, coordinate(cx), tuple(columns)))
    legend = []
    x = float(plot_x)
    for n, (_, label) in enumerate(series):
        legend.append(LegendItem(label, f"series-{n % SERIES_COLOURS}", coordinate(x), coordinate(x + 20)))
        x += 22 + 7.5 * len(label) + 18
    return GroupedColumns(
        width=width,
        height=axis_y + 44,
        plot_x=plot_x,
        plot_y=plot_y,
        plot_w=plot_w,
        axis_y=axis_y,
        ticks=tuple(Tick(pos=coordinate(y_of(t)), label=tick_label(t, unit)) for t in tick_values),
        periods=tuple(drawn),
        legend=tuple(legend),
        legend_y=16,
        title=title,
        description=f"{title}: " + "; ".join(described) + ".",
    )


SERIES_COLOURS = 6  # CSS classes series-0 ... series-5


# -- shares beside a reference share, row by row under headings (offers against the area's population) --


@dataclass(frozen=True)
class ReferenceRow:
    key: str
    label: str
    heading: bool  # a heading row (a characteristic), with no bar
    data_value: str
    data_reference: str
    text: str
    reference_text: str
    reference_short: str  # beside the value: "area 20.7%"
    has_value: bool
    suppressed: bool
    y: str
    bar_y: str
    text_y: str
    width: str
    text_x: str
    reference_x: str | None
    mark_y1: str
    mark_y2: str


@dataclass(frozen=True)
class ReferenceBars:
    width: int
    height: int
    label_x: int
    plot_x: int
    plot_w: int
    top: int
    axis_y: int
    bar_h: int
    rows: tuple[ReferenceRow, ...]
    ticks: tuple[Tick, ...]
    title: str
    description: str


def _heading_row(text: str, y: float) -> ReferenceRow:
    return ReferenceRow(
        key=text,
        label=text,
        heading=True,
        data_value="",
        data_reference="",
        text="",
        reference_text="",
        reference_short="",
        has_value=False,
        suppressed=False,
        y=coordinate(y),
        bar_y="",
        text_y=coordinate(y + 20),
        width="0.0",
        text_x="",
        reference_x=None,
        mark_y1="",
        mark_y2="",
    )


def reference_bars(
    items: Sequence[tuple[str, str, float | None, bool, float | None] | str],
    hidden: str,
    title: str,
    value_name: str,
    reference_name: str,
    reference_short: str = "",
) -> ReferenceBars:
    """A bar per (key, label, share %, hidden?, reference share %), with a mark across it at the reference;
    a plain string is a heading row. A hidden share gets no bar, only ``hidden`` ("[c]"); the reference,
    which is not about the people counted, is always drawn."""
    width, label_x, plot_x, plot_w = 860, 400, 410, 300
    top, row_h, heading_h, bar_h = 8, 28, 30, 16
    rows: list[ReferenceRow] = []
    described: list[str] = []
    y = float(top)
    for item in items:
        if isinstance(item, str):
            rows.append(_heading_row(item, y))
            described.append(f"{item}:")
            y += heading_h
            continue
        key, label, value, hide, reference = item
        share = None if hide else clean(value)
        ref = clean(reference)
        bar_y = y + (row_h - bar_h) / 2
        bar_w = 0.0 if share is None else plot_w * min(max(share, 0.0), 100.0) / 100
        ref_x = None if ref is None else plot_x + plot_w * min(max(ref, 0.0), 100.0) / 100
        text = hidden if hide else NO_DATA if share is None else format_pct(share)
        reference_text = "" if ref is None else f"{reference_name} {format_pct(ref)}"
        ends = [plot_x + bar_w, *([ref_x] if ref_x is not None else [])]
        described.append(f"{label} {text}" + (f" ({reference_text})" if reference_text else ""))
        rows.append(
            ReferenceRow(
                key=key,
                label=label,
                heading=False,
                data_value=data_value(share),
                data_reference=data_value(ref),
                text=text,
                reference_text=reference_text,
                reference_short=""
                if ref is None
                else f"{reference_short or reference_name} {format_pct(ref)}",
                has_value=share is not None,
                suppressed=hide,
                y=coordinate(y),
                bar_y=coordinate(bar_y),
                text_y=coordinate(bar_y + bar_h / 2 + 5),
                width=coordinate(bar_w),
                text_x=coordinate(max(ends) + 8),
                reference_x=None if ref_x is None else coordinate(ref_x),
                mark_y1=coordinate(bar_y - 5),
                mark_y2=coordinate(bar_y + bar_h + 5),
            )
        )
        y += row_h
    axis_y = int(y + 4)
    return ReferenceBars(
        width=width,
        height=axis_y + 28,
        label_x=label_x,
        plot_x=plot_x,
        plot_w=plot_w,
        top=top,
        axis_y=axis_y,
        bar_h=bar_h,
        rows=tuple(rows),
        ticks=_percent_axis(plot_x, plot_w),
        title=title,
        description=f"{title}. {value_name}, with {reference_name.lower()} beside it: "
        + "; ".join(described)
        + ".",
    )
