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

Every KPI is named by the registry (``transforms.kpi_registry``), and hidden figures (disclosure
control, ``reports.disclosure``) are dropped here, before any section formats anything: such elements
show the marker "[c]" (an ``<abbr>`` whose title says what it means) and carry ``data-value=""`` and
``data-suppressed="true"``; the page prints the legend of the marker whenever it shows one. This module
only assembles the sections (``reports.sections``) into the template's context and renders it.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, pass_context
from jinja2.runtime import Context
from markupsafe import Markup, escape

from reports.copy import GLOSSARY
from reports.disclosure import (
    HIDDEN_MARKER,
    hidden_before,
    hidden_legend,
    public_figure,
    public_trend,
    suppression_title,
)
from reports.format import format_datetime
from reports.model import PeriodReport
from reports.sections.headline import headline_context
from reports.sections.measures import measures_context, social_value_context
from reports.sections.members import members_context, sectors_context
from reports.sections.programmes import programmes_context
from reports.sections.recruitment import recruitment_context
from reports.sections.returns import returns_context
from reports.sections.since_start import since_start_context
from reports.sections.spend_scope import spend_scope_context
from reports.sections.targets import targets_context
from reports.sections.workforce import workforce_context
from reports.views import plural

TEMPLATE_DIR = Path(__file__).parent / "templates"
TEMPLATE_NAME = "period_report.html.j2"


def build_context(report: PeriodReport) -> dict[str, object]:
    """The template's variables: formatted text, chart geometry and figures for data attributes."""
    # Hidden values are dropped here, before anything is formatted, so none can leak.
    headline = [public_figure(figure) for figure in report.headline]
    workforce_headline = [public_figure(figure) for figure in report.workforce_headline]
    hidden_now = frozenset(f.code for f in [*headline, *workforce_headline] if f.suppressed)
    trend = public_trend(report.trend, report.period, hidden_now)
    previous_hidden = hidden_before(trend, report.period)
    source_ids = sorted(set(report.source_submission_ids))
    return {
        "report": report,
        "as_of": format_datetime(report.as_of),
        "as_of_iso": report.as_of.isoformat(),
        **headline_context(report, headline, trend, previous_hidden),
        **members_context(report, headline),
        **returns_context(report, headline),
        "glossary": list(GLOSSARY),
        "workforce": workforce_context(report, workforce_headline, trend, previous_hidden),
        "sectors": sectors_context(report),
        "targets": targets_context(report),
        "measures": measures_context(report),
        "social_value": social_value_context(report, trend),
        "spend_scope": spend_scope_context(report),
        "since_start": since_start_context(report),
        "programmes": programmes_context(report),
        "recruitment": recruitment_context(report),
        "suppressed_title": suppression_title(report.suppression_threshold),
        "hidden_legend": hidden_legend(report.suppression_threshold),
        "legend": False,
        "source_ids": source_ids,
        "source_count_text": plural(len(source_ids), "source submission", "source submissions"),
    }


@pass_context
def marked(context: Context, text: object) -> Markup:
    """The text, escaped, with each hidden-figure marker as an ``<abbr>`` titled with what it means, so
    a screen reader or a pointer gets "not shown to protect privacy..." and not "left bracket c"."""
    escaped = escape(text)
    if HIDDEN_MARKER not in escaped:
        return escaped
    abbr = Markup('<abbr class="hidden-marker" title="{}">{}</abbr>').format(
        context["suppressed_title"], HIDDEN_MARKER
    )
    return Markup(str(escaped).replace(HIDDEN_MARKER, str(abbr)))


@lru_cache(maxsize=1)
def _environment() -> Environment:
    environment = Environment(
        loader=FileSystemLoader(TEMPLATE_DIR),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    environment.filters["marked"] = marked
    return environment


def render_period_report_html(report: PeriodReport) -> str:
    """The City Hall period report as one self-contained HTML page (deterministic for its input).

    The legend of the hidden-figure marker is printed wherever the page shows the marker: the page is
    rendered without it, and again with it if any section (card, table, chart, sentence) hid a figure,
    so no list of sections that may hide one has to be kept in step with the sections.
    """
    template = _environment().get_template(TEMPLATE_NAME)
    context = build_context(report)
    page = template.render(context)
    if HIDDEN_MARKER not in page:
        return page
    return template.render({**context, "legend": True})
