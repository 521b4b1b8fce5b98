"""Who has submitted: each member's returns with their status, and the data quality line under them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from reports.format import data_value, format_count, format_date, format_pct, return_type_label
from reports.model import KpiFigure, PeriodReport, SubmissionRow
from reports.views import by_code, plural, shown_value

UNKNOWN_SIZE_KPI = "spend_unknown_size_pct"

STATUS_BADGES: dict[str, tuple[str, str]] = {
    "accepted": ("Accepted", "accepted"),
    "late": ("Accepted late", "late"),
    "quarantined": ("Quarantined \u2013 see feedback", "quarantined"),
    "missing": ("Missing", "missing"),
}


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
    rows_set_aside: int
    last_received: str
    last_received_iso: str


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
        rows_set_aside=row.rows_set_aside,
        last_received="Not received" if row.last_received_at is None else format_date(row.last_received_at),
        last_received_iso="" if row.last_received_at is None else row.last_received_at.isoformat(),
    )


def returns_context(report: PeriodReport, headline: Sequence[KpiFigure]) -> dict[str, object]:
    """The returns table (by member name, then return type), counts by status and the quality line."""
    submissions = sorted(
        report.submissions,
        key=lambda s: (s.member_name.casefold(), s.member_name, s.member_id, s.return_type),
    )
    rows_read = sum(s.rows_read for s in submissions)
    rows_rejected = sum(s.rows_rejected for s in submissions)
    # Rows set aside (totals, headings, notes) are stated apart: no fault of the member, never "rejected".
    rows_set_aside = sum(s.rows_set_aside for s in submissions)
    files_quarantined = sum(s.files for s in submissions if s.status == "quarantined")
    unknown_share = shown_value(by_code(headline), UNKNOWN_SIZE_KPI)
    return {
        "submissions": [_submission_view(s) for s in submissions],
        "status_counts": {
            status: sum(1 for s in submissions if s.status == status) for status in STATUS_BADGES
        },
        "quality": {
            "rows_read": rows_read,
            "rows_loaded": sum(s.rows_loaded for s in submissions),
            "rows_rejected": rows_rejected,
            "rows_rejected_text": plural(rows_rejected, "row", "rows"),
            "rows_read_text": format_count(rows_read),
            "rows_set_aside": rows_set_aside,
            "rows_set_aside_text": plural(rows_set_aside, "row", "rows"),
            "files_quarantined": files_quarantined,
            "files_quarantined_text": plural(files_quarantined, "file", "files"),
            "unknown_share": data_value(unknown_share),
            "unknown_share_text": format_pct(unknown_share),
        },
    }
