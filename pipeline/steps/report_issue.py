"""Issue the City Hall period report: HTML, PDF and Excel to the bucket and the outbox, e-mail, record.

The report is rebuilt from the warehouse, and its HTML fingerprinted (sha256). When the fingerprint is
the same as the period's last issued report, nothing is written, recorded or e-mailed again, so a
daily scheduled run only issues a report when its content changed (and retries a failed e-mail).
Each issue is recorded in ``issued_reports`` with the submissions it was built from.

When the PDF cannot be printed (no Chromium, Chromium failing or hanging), the report is still issued in
HTML and Excel, attached to City Hall's e-mail instead of the PDF, and the data engineers are told by
e-mail (``steps.alerts.tell``): a report that is due must not wait on the printer. Once the printer is
fixed, the next run that finds the same figures issued without their PDF prints it and sends it, as the
e-mail promised (a new issue of the same content, the PDF attached); until then, nothing is sent again.

Two runs issuing the same report at once (a backfill next to the daily run, a rerun) send it once: the
e-mail goes through the ``member_emails`` ledger under a key made of the issue number and the content's
fingerprint, and the second record of the same issue is a no-op, not a failure on a duplicate key.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
from datetime import UTC, date, datetime
from typing import Any

from pipeline.adapters.mail import MemberMail
from pipeline.adapters.pdf import ChromiumError, html_to_pdf
from pipeline.network import Network
from pipeline.presentation.messages import email_bodies
from pipeline.steps.alerts import tell
from pipeline.steps.delivery import deliver
from pipeline.steps.report import build_period_report, write_report_files
from pipeline.steps.returns_tracker import due_date
from reports.model import PeriodReport
from reports.render import render_period_report_html
from transforms.periods import Period, period_containing
from warehouse import queries
from warehouse.load import record_issued_report

log = logging.getLogger(__name__)


def fingerprint(html: str) -> str:
    return hashlib.sha256(html.encode("utf-8")).hexdigest()


def latest_due_period(network: Network, today: date) -> str | None:
    """The latest quarter whose returns are all due by ``today`` (None when none is due yet)."""
    period = period_containing(today)
    for _ in range(12):
        due = max(due_date(network.cfg, rt, period) for rt in network.cfg.returns)
        if due < today:
            return period.key
        period = period.previous()
    return None


def due_reports(network: Network, today: date) -> list[str]:
    """What the daily run issues: the latest due quarter and, once a year's fourth quarter is due, the year."""
    quarter = latest_due_period(network, today)
    if quarter is None:
        return []
    period = Period.parse(quarter)
    return [quarter, period.financial_year.key] if period.quarter == 4 else [quarter]


def issue_due_reports(
    network: Network, today: date | None = None, first_issues_only: bool = False
) -> list[dict[str, Any]]:
    """Issue every report that is due (each only when its content changed since it was last issued).

    ``first_issues_only``: issue only reports never issued before. The report DAG runs this way when the
    KPIs change, so a due report goes out as soon as its data is in, while the re-issues of changed
    content wait for the daily run (City Hall gets at most one update a day, not one per file)."""
    today = today or datetime.now(UTC).date()
    results = []
    for key in due_reports(network, today):
        if first_issues_only and issued(network, key):
            results.append({"period": key, "status": "already issued; changes go out with the daily run"})
            continue
        results.append(issue_report(network, key, today))
    return results


def _has_accepted_returns(network: Network, period: str) -> bool:
    keys = [period, *(p.key for p in Period.parse(period).quarters())]
    return queries.count_accepted(network.engine, keys) > 0


def _last_issue(network: Network, period: str) -> dict[str, Any] | None:
    """The period's latest issue, with how many times it has been issued."""
    earlier = issued(network, period)
    return {**earlier[-1], "count": len(earlier)} if earlier else None


def issued(network: Network, period: str | None = None) -> list[dict[str, Any]]:
    """Issued reports, oldest first (all periods unless one is named)."""
    return queries.issued_reports_of(network.engine, network.cfg.id, period)


def _send(
    network: Network,
    report: PeriodReport,
    report_id: str,
    digest: str,
    attachments: dict[str, bytes],
    paths: dict[str, str],
    pdf_follows: bool = False,
) -> tuple[str, list[str] | None]:
    """E-mail the report through the ledger: ``sent``, ``failed``, ``disabled`` or ``no recipients``. The
    key holds the issue's id and the content's fingerprint, so the same issue is e-mailed once however
    many runs make it; a message the ledger already holds as sent counts as ``sent``."""
    recipients = list(network.cfg.report.recipients)
    if not network.cfg.email_enabled:
        return "disabled", None
    if not recipients:
        return "no recipients", None
    text, body = email_bodies(report, paths, pdf_follows)
    subject = f"{report.network_name}: anchor network report for {report.period_label}"
    mail = MemberMail(
        key=f"report/{report_id}/{digest[:16]}",
        kind="report",
        member_id=network.cfg.id,
        to=", ".join(recipients),
        subject=f"{subject} (the PDF)" if pdf_follows else subject,
        html=body,
        text=text,
        about=f"report {report.period}",
        attachments=attachments,
    )
    status = deliver(network, mail)
    if status == "already sent":
        log.info(
            "report %s was already e-mailed to %s (by another run): not sent again", report_id, recipients
        )
        return "sent", recipients
    if status == "failed":
        log.error("report %s e-mail to %s failed (see the ledger member_emails)", report_id, recipients)
    return status, recipients


def issue_report(
    network: Network, period_key: str | None = None, today: date | None = None
) -> dict[str, Any]:
    """Issue the report of ``period_key`` (default: the latest quarter whose due date has passed)."""
    today = today or datetime.now(UTC).date()
    period = period_key or latest_due_period(network, today)
    if period is None or not _has_accepted_returns(network, period):
        log.info("no accepted returns for %s yet: no report issued", period)
        return {"period": period, "status": "no data"}
    report = build_period_report(network, period)
    html = render_period_report_html(report)
    digest = fingerprint(html)
    last = _last_issue(network, report.period)
    owed_by = None  # the issue of these same figures that went out without its PDF
    if last is not None and last.get("fingerprint") == digest and last["email_status"] != "failed":
        if "pdf_bucket" in json.loads(last["paths"] or "{}"):
            return _unchanged(report.period, last["report_id"], digest)
        owed_by = last["report_id"]
    pdf_follows = owed_by is not None

    report_id = f"{network.cfg.id}-{report.period}-r{(last or {}).get('count', 0) + 1}"
    pdf_problem = None
    try:
        made = {"pdf": html_to_pdf(html)}
    except (ChromiumError, OSError) as exc:  # no Chromium, or it failed: issue without the PDF
        pdf_problem = f"{exc.__class__.__name__}: {exc}"
        made = {}
        if owed_by is not None:  # the same figures went out without it already, and still no printer
            log.warning("report %s: the PDF owed still cannot be printed: %s", report.period, pdf_problem)
            return _unchanged(report.period, owed_by, digest)
        log.error(
            "report %s: the PDF could not be printed, issuing HTML and Excel: %s", report_id, pdf_problem
        )
    formats = ("html", "pdf", "xlsx") if made else ("html", "xlsx")
    paths, files = write_report_files(network, report, html, formats, made)
    stem = f"{network.cfg.id}-report-{report.period}"
    attachments = {f"{stem}.{kind}": files[kind] for kind in (("pdf",) if made else ("html", "xlsx"))}
    email_status, recipients = _send(network, report, report_id, digest, attachments, paths, pdf_follows)
    if pdf_problem:
        _tell_engineers_no_pdf(network, report_id, report.period, pdf_problem, email_status)
    issued_at = datetime.now(UTC)
    recorded = record_issued_report(
        network.engine,
        {
            "report_id": report_id,
            "network_id": network.cfg.id,
            "period": report.period,
            "issued_at": issued_at,
            "source_submission_ids": json.dumps(sorted(report.source_submission_ids)),
            "fingerprint": digest,
            "paths": json.dumps(paths, sort_keys=True),
            "emailed_to": json.dumps(recipients) if recipients else None,
            "email_status": email_status,
        },
        [dataclasses.asdict(cell) for cell in report.issued_cells],
    )
    if not recorded:
        log.info("report %s was recorded by another run at the same time: not recorded twice", report_id)
        return {
            "period": report.period,
            "status": "unchanged",
            "report_id": report_id,
            "fingerprint": digest,
        }
    return {
        "period": report.period,
        "status": "issued",
        "report_id": report_id,
        "fingerprint": digest,
        "email": email_status,
        "emailed_to": recipients or [],
        "submissions": len(report.source_submission_ids),
        "pdf": "missing" if pdf_problem else "made",
        **paths,
    }


def _unchanged(period: str, report_id: str, digest: str) -> dict[str, Any]:
    log.info("report %s unchanged since %s: not issued again", period, report_id)
    return {"period": period, "status": "unchanged", "report_id": report_id, "fingerprint": digest}


def _tell_engineers_no_pdf(network: Network, report_id: str, period: str, problem: str, email: str) -> str:
    """One alert for an issue that went out without its PDF; the next runs send none (same content)."""
    facts = {
        "Report": report_id,
        "Period": period,
        "Issued as": "HTML and Excel (no PDF)",
        "E-mail to City Hall": email,
        "Error": problem,
    }
    next_steps = (
        "The report was issued without its PDF. Make Chromium work in the image (it is installed by the "
        "Dockerfile; ANCHOR_CHROMIUM names another executable): the next report run then prints the PDF and "
        f"sends it to the recipients itself (`anchor report --period {period}` writes it at once, unsent)."
    )
    return tell(
        network.cfg,
        f"report {report_id} issued without its PDF",
        facts,
        next_steps,
        key=f"alert/pdf/{report_id}",
    )
