"""The panel "since the network began": flow KPIs added up from the network's first quarter, with the
start date stated and the same disclosure rules as every other figure (``docs/disclosure-control.md``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from reports.disclosure import hidden_marker, suppression_title
from reports.format import data_value, format_date, format_value, format_value_exact, period_label
from reports.model import PeriodReport
from transforms.kpi_registry import lookup, measure_code
from transforms.periods import Period


@dataclass(frozen=True)
class SinceStartItem:
    code: str
    label: str
    text: str
    exact: str
    data_value: str


def since_start_context(report: PeriodReport) -> dict[str, object] | None:
    """The panel's heading (with the start date) and one item per figure; None when there is none."""
    panel = report.since_start
    if panel is None or not panel.figures:
        return None
    # Measures are named and measured by the network's catalogue, as the report's measures carry them.
    measures = {measure_code(m.code): (m.name, m.unit) for m in report.measures}
    threshold = report.suppression_threshold
    items = []
    for figure in panel.figures:
        if figure.code in measures:
            label, unit = measures[figure.code]
        else:
            kpi = lookup(figure.code)
            label, unit = kpi.name, kpi.unit
        if figure.suppressed or figure.value is None:
            text = hidden_marker()
            items.append(SinceStartItem(figure.code, label, text, suppression_title(threshold), ""))
            continue
        items.append(
            SinceStartItem(
                figure.code,
                label,
                format_value(figure.value, unit),
                format_value_exact(figure.value, unit),
                data_value(figure.value),
            )
        )
    start = Period.parse(panel.first_period).start
    return {
        "started": format_date(datetime(start.year, start.month, start.day, tzinfo=UTC)),
        "start_iso": start.isoformat(),
        "last": period_label(Period.parse(panel.last_period)),
        "items": items,
    }
