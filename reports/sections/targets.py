"""Progress against targets: the network's first, then each member's by name, with a status badge and bar."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from reports.charts import coordinate
from reports.format import clean, format_pct, target_period_label, target_status_label
from reports.model import PeriodReport, TargetRow
from reports.views import Cell, name_and_unit, plural, quantity_cell
from transforms.kpi_registry import CatalogueMeasure

# Target status -> CSS class of its badge and progress bar (the badge always carries the text too)
STATUS_CLASSES: dict[str, str] = {
    "on track": "on-track",
    "at risk": "at-risk",
    "off track": "off-track",
    "no data": "no-data",
}
BAR_WIDTH = 120

GLOSSARY: tuple[tuple[str, str], ...] = (
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


def _sort_key(row: TargetRow) -> tuple[object, ...]:
    network = row.scope == "network"
    name = "" if network else row.member_name or ""
    return (not network, name.casefold(), name, row.scope, row.kpi, row.period)


def _target_view(row: TargetRow, catalogue: Iterable[CatalogueMeasure]) -> TargetView:
    label, unit = name_and_unit(row.kpi, catalogue)
    network = row.scope == "network"
    target = clean(row.target)
    expected = clean(row.expected_to_date)
    progress = clean(row.progress_pct)
    status_label = target_status_label(row.status)
    shown = 0.0 if progress is None else min(max(progress, 0.0), 100.0)
    path_pct = None if target is None or expected is None or target == 0 else expected / target * 100
    path_x = None if path_pct is None else coordinate(BAR_WIDTH * min(max(path_pct, 0.0), 100.0) / 100)
    title = f"Progress: {format_pct(progress)} of the target"
    if path_pct is not None:
        title += f"; path to date: {format_pct(path_pct)} of the target"
    return TargetView(
        kpi=row.kpi,
        label=label,
        unit=unit,
        scope=row.scope,
        whom="Network (all members)" if network else row.member_name or "Member",
        network=network,
        period=row.period,
        period_label=target_period_label(row.period),
        direction=row.direction,
        status=row.status,
        status_label=status_label,
        status_class=STATUS_CLASSES.get(row.status, "no-data"),
        cells=(
            quantity_cell("target", unit, target),
            quantity_cell("expected_to_date", unit, expected),
            quantity_cell("actual", unit, row.actual),
            quantity_cell("progress_pct", "%", progress),
        ),
        bar_width=BAR_WIDTH,
        bar_fill=coordinate(BAR_WIDTH * shown / 100),
        bar_over=progress is not None and progress > 100,
        bar_path=path_x,
        bar_title=f"{title}. {status_label}.",
    )


def targets_context(report: PeriodReport) -> dict[str, object] | None:
    """The progress-against-targets section, or None when the report has no targets."""
    if not report.targets:
        return None
    rows = [_target_view(row, report.measures) for row in sorted(report.targets, key=_sort_key)]
    known = [status for status in STATUS_CLASSES if any(r.status == status for r in rows)]
    other = sorted({r.status for r in rows} - set(STATUS_CLASSES))
    counts = [
        {
            "status": status,
            "label": target_status_label(status),
            "css_class": STATUS_CLASSES.get(status, "no-data"),
            "count": sum(1 for r in rows if r.status == status),
        }
        for status in [*known, *other]
    ]
    return {
        "rows": rows,
        "counts": counts,
        "summary": f"{plural(len(rows), 'target', 'targets')} this period:",
        "rule": report.target_rule.strip(),
        "glossary": GLOSSARY,
    }
