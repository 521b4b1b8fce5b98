"""The words of every e-mail the pipeline sends: subjects and bodies, rendered from plain data.

Steps decide who is written to and when (``pipeline.steps.feedback``, ``chasers``, ``report_issue``,
``alerts``); what the message says lives here, so members and City Hall read one voice.
"""

from __future__ import annotations

import html as html_lib
import re
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any, Protocol

from pipeline.presentation.templating import render
from reports.disclosure import hidden_legend, hidden_marker
from reports.format import format_gbp_exact, format_pct, format_value
from reports.model import PLEDGE_KPI, KpiFigure, PeriodReport
from transforms.kpi_registry import lookup
from transforms.return_types import RETURN_TYPES


class OwedReturn(Protocol):
    """What a chaser says about one return (``pipeline.steps.returns_tracker.ReturnStatus`` has it)."""

    return_type: str
    period: str
    due_date: date
    overdue: bool
    status: str


SUBJECT_PREFIX = {
    "accepted": "Accepted",
    "quarantined": "Held back, action needed",
    "superseded": "Accepted, replaced by a newer file",
    "duplicate": "Already received",
}


def feedback_subject(network_name: str, submission: dict[str, Any]) -> str:
    return_type = RETURN_TYPES.get(submission["return_type"])
    label = return_type.label.lower() if return_type else "return"
    prefix = SUBJECT_PREFIX.get(submission["status"], submission["status"].capitalize())
    if submission["status"] == "accepted" and submission.get("rows_rejected"):
        prefix = f"Accepted with {submission['rows_rejected']} row(s) to check"
    # A name may hold line breaks or control characters (object stores allow them): never in a header.
    name = re.sub(r"[\x00-\x1f\x7f]+", " ", str(submission["file_name"]))[:120]
    return f"{prefix}: your {label} return {submission['period']} ({name}) - {network_name}"


def chaser_html(
    network_name: str, member_name: str, member_id: str, rows: Sequence[OwedReturn], today: date
) -> str:
    """The reminder or overdue notice listing every return a member still owes."""
    return render(
        "chaser.html.j2",
        network_name=network_name,
        member_name=member_name,
        member_id=member_id,
        rows=[
            {
                "label": RETURN_TYPES[r.return_type].label,
                "period": r.period,
                "due": f"{r.due_date:%d %B %Y}",
                "overdue": r.overdue,
                "days": abs((r.due_date - today).days),
                "held_back": r.status == "quarantined",
                "file_name": f"{r.return_type}_{r.period}.csv",
                "return_type": r.return_type,
            }
            for r in rows
        ],
        any_overdue=any(r.overdue for r in rows),
    )


# The figures in the body of the report e-mail, named as the report's tables name them (the registry's
# short names).
HEADLINE_EMAIL = (
    "spend_total",
    "spend_sme_pct",
    "spend_local_pct",
    PLEDGE_KPI,
    "lw_uplifts",
)


def headline_figures(report: PeriodReport) -> list[tuple[str, str, str]]:
    """(code, label, text) of the figures e-mailed to City Hall; a hidden one is the marker "[c]", never
    the value; amounts exact to the penny."""
    figures: dict[str, KpiFigure] = {f.code: f for f in [*report.headline, *report.workforce_headline]}
    rows = []
    for code in HEADLINE_EMAIL:
        kpi = lookup(code)
        figure = figures.get(code)
        if figure is None:
            continue
        if figure.suppressed:
            text = hidden_marker()
        elif figure.value is None:
            text = "no data"
        elif kpi.unit == "GBP":
            text = format_gbp_exact(figure.value)  # pounds and pence, as the workbook has them
        elif kpi.unit == "%":
            text = format_pct(figure.value)
        else:
            text = format_value(figure.value, kpi.unit)
        if code == PLEDGE_KPI and report.pledge_pct is not None:
            text = f"{text} (pledge {format_pct(report.pledge_pct)})"
        rows.append((code, kpi.short_name, text))
    return rows


def email_bodies(report: PeriodReport, paths: dict[str, str], pdf_follows: bool = False) -> tuple[str, str]:
    """Plain-text and HTML bodies: the headline figures and where the full report is.

    ``pdf_follows``: the e-mail sends the PDF an earlier issue of the same figures went out without."""
    figures = headline_figures(report)
    intro = f"The {report.network_name} report for {report.period_label} is attached as a PDF."
    if pdf_follows:
        intro = (
            f"As promised, the PDF of the {report.network_name} report for {report.period_label} is attached: "
            "it could not be produced when the report was sent. The figures have not changed since."
        )
    elif "pdf_bucket" not in paths:  # the PDF could not be printed (pipeline.steps.report_issue)
        intro = (
            f"The {report.network_name} report for {report.period_label} is attached as a web page (HTML) "
            "and an Excel workbook; the PDF could not be produced this time and will follow."
        )
    where = (
        f"The HTML and Excel versions are in the bucket: {paths['html_bucket']} and {paths['xlsx_bucket']}."
    )
    text = "\n".join(
        [
            intro,
            "",
            "Headline figures:",
            *(f"- {label}: {value}" for _, label, value in figures),
            "",
            hidden_legend(report.suppression_threshold),
            where,
            f"Built from {len(report.source_submission_ids)} accepted returns.",
        ]
    )
    esc = html_lib.escape
    rows = "".join(
        f'<tr data-kpi="{esc(code)}"><th scope="row" style="text-align:left;padding:4px 12px 4px 0">'
        f'{esc(label)}</th><td style="padding:4px 0">{esc(value)}</td></tr>'
        for code, label, value in figures
    )
    body = (
        f"<!doctype html><html lang='en'><body style='font-family:Arial,sans-serif'>"
        f"<p>{esc(intro)}</p><h2 style='font-size:1.1em'>Headline figures</h2><table>{rows}</table>"
        f"<p>{esc(hidden_legend(report.suppression_threshold))}</p><p>{esc(where)}</p>"
        f"<p>Built from {len(report.source_submission_ids)} accepted returns.</p></body></html>"
    )
    return text, body


def fact_sheet(facts: Mapping[str, str], next_steps: str) -> tuple[str, str]:
    """Plain text and HTML of an alert to the data engineers: one fact per line, then what to do."""
    text = "\n".join([*(f"{k}: {v}" for k, v in facts.items()), "", next_steps])
    rows = "".join(
        f"<tr><th scope='row' style='text-align:left;padding-right:12px'>{html_lib.escape(k)}</th>"
        f"<td>{html_lib.escape(v)}</td></tr>"
        for k, v in facts.items()
    )
    body = (
        f"<!doctype html><html lang='en'><body><table>{rows}</table>"
        f"<p>{html_lib.escape(next_steps)}</p></body></html>"
    )
    return text, body
