"""Reports for the City Hall core team: the network's collective figures for a period.

The pipeline builds a :class:`PeriodReport` (plain data, from the warehouse) and
:func:`render_period_report_html` turns it into one self-contained, deterministic HTML page whose
figures can be parsed back from ``data-*`` attributes and checked against the warehouse.
"""

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
from reports.render import render_period_report_html

__all__ = [
    "KpiFigure",
    "MeasureRow",
    "MemberRow",
    "PeriodReport",
    "SubmissionRow",
    "TargetRow",
    "TrendPoint",
    "WorkforceMemberRow",
    "render_period_report_html",
]
