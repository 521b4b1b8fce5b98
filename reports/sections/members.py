"""Figures by member (spend, with the network's total) and by sector."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from reports.format import format_count, sector_label
from reports.model import (
    MEMBER_COLUMNS,
    SECTOR_SPEND_COLUMNS,
    SECTOR_WORKFORCE_COLUMNS,
    KpiFigure,
    MemberRow,
    PeriodReport,
)
from reports.views import (
    Cell,
    Heading,
    by_code,
    cell,
    figure_cell,
    headings,
    hidden_cell,
    join_names,
    plural,
    sorted_by_name,
)


@dataclass(frozen=True)
class MemberView:
    member_id: str
    name: str
    sector: str
    sector_code: str
    submitted: bool
    cells: tuple[Cell, ...]
    # What the row says when there is no accepted spend return: "Not submitted", or "Quarantined" when
    # a file came but was held back (it was submitted, and the member has been told what to fix).
    missing_text: str = "Not submitted"


def missing_text(report: PeriodReport, member_id: str, return_type: str = "spend") -> str:
    """ "Quarantined" for a member whose return for the period was held back, else "Not submitted"."""
    statuses = {
        s.status for s in report.submissions if s.member_id == member_id and s.return_type == return_type
    }
    return "Quarantined" if "quarantined" in statuses else "Not submitted"


@dataclass(frozen=True)
class SectorView:
    sector: str
    sector_code: str
    members_text: str
    cells: tuple[Cell, ...]


def _member_view(member: MemberRow, columns: Sequence[Heading], report: PeriodReport) -> MemberView:
    return MemberView(
        member_id=member.member_id,
        name=member.name,
        sector=sector_label(member.sector),
        sector_code=member.sector,
        submitted=member.submitted,
        cells=tuple(cell(c.code, c.unit, getattr(member, c.code)) for c in columns),
        missing_text=missing_text(report, member.member_id),
    )


def members_context(report: PeriodReport, headline: Sequence[KpiFigure]) -> dict[str, object]:
    """The spend table by member, sorted by name, with the network's figures as its total row."""
    columns = headings(MEMBER_COLUMNS)
    figures = by_code(headline)
    members = sorted_by_name(report.members)
    submitted = [m for m in members if m.submitted]
    return {
        "member_columns": columns,
        "members": [_member_view(m, columns, report) for m in members],
        "network_cells": tuple(
            figure_cell(c, figures.get(c.code), report.suppression_threshold) for c in columns
        ),
        "members_total": len(members),
        "members_submitted": len(submitted),
        "submitted_line": (
            f"{format_count(len(submitted))} of {plural(len(members), 'member', 'members')} submitted"
        ),
        "not_submitted_line": join_names([m.name for m in members if not m.submitted]),
    }


def sectors_context(report: PeriodReport) -> dict[str, object] | None:
    """The by-sector table: sectors in plain words, hidden figures as "[c]"; columns without data in
    any sector are left out."""
    if not report.sectors:
        return None
    columns = headings(
        c
        for c in (*SECTOR_SPEND_COLUMNS, *SECTOR_WORKFORCE_COLUMNS)
        if any(c in row.values for row in report.sectors)
    )
    threshold = report.suppression_threshold
    views = [
        SectorView(
            sector=sector_label(row.sector),
            sector_code=row.sector,
            members_text=format_count(row.members),
            cells=tuple(
                hidden_cell(c.code, c.unit, threshold)
                if c.code in row.suppressed
                else cell(c.code, c.unit, row.values.get(c.code))
                for c in columns
            ),
        )
        for row in report.sectors
    ]
    return {"columns": columns, "rows": sorted(views, key=lambda v: v.sector)}
