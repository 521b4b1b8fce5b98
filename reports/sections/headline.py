"""The spend half of the report's top: headline cards, the opening sentences, where the money went
(the spend mix) and the spend trends."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from reports.charts import Marker, Share, ShareBars, TrendChart, share_bars, trend_chart
from reports.disclosure import hidden_marker
from reports.format import clean, format_gbp, format_pct, format_pct_compact
from reports.model import PLEDGE_KPI, KpiFigure, PeriodReport, TrendPoint
from reports.views import Card, by_code, card, shown_value
from transforms.kpi_registry import is_known, lookup

TOTAL_KPI = "spend_total"
SHARE_SUFFIX = "_pct"
# The spend mix, by kind of supplier: each an amount whose share of total spend is "<code>_pct". The
# share is the headline's "<code>_pct" when it has one, else worked out from the amount.
SPEND_MIX = (
    "spend_sme",
    "spend_local",
    "spend_local_sme",
    "spend_vcse",
    "spend_diverse",
    "spend_small_or_diverse",
    "spend_unknown_size",
)
# The spend trends: (code, kind of chart, id of its SVG or "" for the template's numbering).
SPEND_TRENDS = (
    (TOTAL_KPI, "columns", ""),
    (PLEDGE_KPI, "line", ""),
    ("spend_sme_pct", "line", "trend-sme"),
    ("spend_local_pct", "line", "trend-local"),
)


def _mix_share(code: str, figures: Mapping[str, KpiFigure]) -> tuple[float | None, bool]:
    """(share of total spend in %, worked out from an amount?) for one kind of supplier."""
    share = figures.get(code + SHARE_SUFFIX)
    if share is not None:
        return clean(share.value), False
    amount, total = figures.get(code), figures.get(TOTAL_KPI)
    if amount is None or total is None or lookup(code).unit != "GBP":
        return None, False
    amount_value, total_value = clean(amount.value), clean(total.value)
    if amount_value is None or not total_value:
        return None, False
    return amount_value / total_value * 100, True


def _mix_bar(code: str, figures: Mapping[str, KpiFigure]) -> Share:
    """A bar named after the share KPI when the registry has one, else after the amount; the pledge's
    bar stands out, and a share that is better low (suppliers of unknown size) is grey."""
    share_code = code + SHARE_SUFFIX
    kpi = lookup(share_code if is_known(share_code) else code)
    value, derived = _mix_share(code, figures)
    css = (
        "bar-pledge"
        if share_code == PLEDGE_KPI
        else "bar-unknown"
        if kpi.higher_is_better is False
        else "bar"
    )
    return Share(share_code, kpi.short_name, value, derived, css)


def spend_mix(figures: Mapping[str, KpiFigure], pledge_pct: float | None) -> ShareBars:
    pledge = clean(pledge_pct)
    marker = None
    if pledge is not None:
        text = format_pct_compact(pledge)
        marker = Marker(PLEDGE_KPI, pledge, f"Pledge {text}", f"The network pledge is {text}.")
    return share_bars([_mix_bar(code, figures) for code in SPEND_MIX], marker, "Share of total spend")


def _summary(figures: Mapping[str, KpiFigure], pledge_pct: float | None) -> list[str]:
    total, share, pledge = (
        shown_value(figures, TOTAL_KPI),
        shown_value(figures, PLEDGE_KPI),
        clean(pledge_pct),
    )
    summary: list[str] = []
    if total is not None:
        summary.append(f"Members that submitted spent {format_gbp(total)} in total this period.")
    if share is not None:
        sentence = f"{format_pct(share)} of it went to local small businesses or diverse-owned businesses"
        if pledge is not None:
            verdict = "meeting" if share >= pledge else "below"
            sentence += f", {verdict} the network's pledge of {format_pct_compact(pledge)}"
        summary.append(sentence + ".")
    return summary


def spend_trends(report: PeriodReport, trend: Sequence[TrendPoint]) -> list[TrendChart]:
    hidden = hidden_marker()
    return [
        trend_chart(
            trend,
            report.period,
            code,
            lookup(code).unit,
            kind,
            lookup(code).name,
            report.pledge_pct if code == PLEDGE_KPI else None,
            hidden,
            dom_id,
        )
        for code, kind, dom_id in SPEND_TRENDS
    ]


def headline_context(
    report: PeriodReport,
    headline: Sequence[KpiFigure],
    trend: Sequence[TrendPoint],
    previous_hidden: frozenset[str],
) -> dict[str, object]:
    """The headline cards, the opening sentences, the spend mix and the spend trends."""
    figures = by_code(headline)
    cards: list[Card] = [
        card(figure, report.pledge_pct, report.suppression_threshold, figure.code in previous_hidden)
        for figure in headline
    ]
    return {
        "summary": _summary(figures, report.pledge_pct),
        "cards": cards,
        "mix": spend_mix(figures, report.pledge_pct),
        "trend_charts": spend_trends(report, trend),
    }
