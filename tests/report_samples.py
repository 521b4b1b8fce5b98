"""Hand-built period reports for the renderer's tests: spend only, with workforce, and with every section.

Figures are chosen so a test can tell them apart: King's College London's workforce figures from fewer
than 5 people (3 uplifts worth £4,271.60, 4 contractors, 2 starts) appear in none of its other figures.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from types import MappingProxyType

from reports import (
    KpiFigure,
    MeasureRow,
    MemberRow,
    PeriodReport,
    SubmissionRow,
    TargetRow,
    TrendPoint,
    WorkforceMemberRow,
)
from reports.model import WORKFORCE_MEMBER_COLUMNS

TRICKY_NAME = "Guy's & St Thomas' <NHS> Foundation Trust"
SPEND_TOTAL = 1_234_567.0
LOCAL_SME_SPEND = 151_852.0  # an amount only: the spend mix works its share out from it
DIVERSE_SPEND = 789.0


def make_report() -> PeriodReport:
    """Four members (one not submitted), headline spend figures, and a trend with a missing quarter."""
    headline = (
        KpiFigure("spend_total", SPEND_TOTAL, previous=1_099_300.0),
        KpiFigure("spend_sme_pct", 34.5123, previous=32.4),
        KpiFigure("spend_local_pct", 21.05, previous=23.15),
        KpiFigure("spend_local_sme", LOCAL_SME_SPEND),
        KpiFigure("spend_vcse", 45_600.0, previous=45_600.0),
        KpiFigure("spend_diverse", DIVERSE_SPEND),
        KpiFigure("spend_small_or_diverse_pct", 31.25, previous=29.0),
        KpiFigure("spend_unknown_size_pct", 8.4, previous=9.1),
        KpiFigure("apprentices", None, previous=120),
    )
    members = (
        MemberRow(
            "camden",
            "Camden Council",
            "local_government",
            True,
            600_000.0,
            40.0,
            25.5,
            30_000.0,
            789.0,
            35.0,
            5.0,
        ),
        MemberRow("gstt", TRICKY_NAME, "nhs", True, 500_000.0, 30.25, 18.0, 15_600.0, 0.0, 28.0, 12.0),
        MemberRow(
            "kcl",
            "King's College London",
            "higher_education",
            True,
            134_567.0,
            27.0,
            14.0,
            None,
            None,
            26.0,
            None,
        ),
        MemberRow("amber", "Amber Housing", "housing", False, None, None, None, None, None, None, None),
    )
    received = datetime(2026, 10, 20, 14, 5, tzinfo=UTC)
    submissions = (
        SubmissionRow("camden", "Camden Council", "spend", "accepted", 3, 1200, 1190, 10, received),
        SubmissionRow("gstt", TRICKY_NAME, "spend", "accepted", 1, 800, 800, 0, received),
        SubmissionRow("kcl", "King's College London", "spend", "accepted", 1, 300, 295, 5, received),
        SubmissionRow("kcl", "King's College London", "workforce", "quarantined", 1, 40, 0, 40, received),
        SubmissionRow("amber", "Amber Housing", "spend", "missing", 0, 0, 0, 0, None),
    )
    trend = (
        TrendPoint("2025-26-Q3", {"spend_total": 950_000.0, "spend_small_or_diverse_pct": 27.5}),
        TrendPoint("2025-26-Q4", {"spend_total": None, "spend_small_or_diverse_pct": None}),
        TrendPoint("2026-27-Q1", {"spend_total": 1_099_300.0, "spend_small_or_diverse_pct": 29.0}),
        TrendPoint("2026-27-Q2", {"spend_total": SPEND_TOTAL, "spend_small_or_diverse_pct": 31.25}),
    )
    return PeriodReport(
        network_id="london-anchors",
        network_name="London Anchor Institutions' Network",
        period="2026-27-Q2",
        period_label="Quarter 2 of 2026-27 (July to September 2026)",
        as_of=datetime(2026, 10, 31, 9, 30, tzinfo=UTC),
        headline=headline,
        members=members,
        submissions=submissions,
        trend=trend,
        pledge_pct=30.0,
        source_submission_ids=("sha256-bbb", "sha256-aaa", "sha256-ccc"),
    )


WORKFORCE_HEADLINE = (
    KpiFigure("lw_paid_pct", 97.67, previous=96.5),
    KpiFigure("lw_paid_pct_direct", 98.4, previous=97.9),
    KpiFigure("lw_paid_pct_contractor", 90.1, previous=84.0),
    KpiFigure("lw_uplifts", 263, previous=190),
    KpiFigure("lw_uplift_annual_gbp", 363_922.0, previous=240_000.0),
    KpiFigure("apprentices", 555, previous=530),
    KpiFigure("apprentice_starts", 110),
    KpiFigure("local_employment_pct", 27.9, previous=28.3),
    KpiFigure("staff_direct", 25_210, previous=24_980),
    KpiFigure("staff_contractor", 2_420, previous=2_390),
)

KCL_UPLIFTS, KCL_UPLIFT_GBP = 3.0, 4_271.6
KCL_HIDDEN = "staff_contractor lw_paid_pct_contractor lw_uplifts lw_uplift_annual_gbp apprentice_starts"


def _workforce_member(
    member_id: str, name: str, sector: str, values: tuple[float, ...] | None, suppressed: str = ""
) -> WorkforceMemberRow:
    fields = WORKFORCE_MEMBER_COLUMNS  # staff_direct ... local_employment_pct
    figures = dict(zip(fields, values or [None] * len(fields), strict=True))
    return WorkforceMemberRow(
        member_id, name, sector, values is not None, **figures, suppressed=frozenset(suppressed.split())
    )


WORKFORCE_MEMBERS = (
    # direct, contractors, % LW direct, % LW contractors, uplifts, £ a year, apprentices, starts, % local
    _workforce_member(
        "camden", "Camden Council", "local_government", (2_410, 312, 100.0, 96.2, 48, 61_250.4, 57, 12, 41.3)
    ),
    _workforce_member(
        "gstt",
        "Guy's and St Thomas' NHS Foundation Trust",
        "nhs",
        (15_820, 2_104, 98.7, 88.4, 212, 298_400.0, 410, 96, 28.9),
    ),
    _workforce_member(
        "kcl",
        "King's College London",
        "higher_education",
        (6_980, 4, 99.1, 75.0, KCL_UPLIFTS, KCL_UPLIFT_GBP, 88, 2, 22.6),
        suppressed=KCL_HIDDEN,
    ),
    _workforce_member("amber", "Amber Housing", "housing", None),
)


def make_workforce_report() -> PeriodReport:
    """The spend report with a Living Wage and workforce section, one member's small figures hidden."""
    base = make_report()
    extra = {
        "2025-26-Q3": {"lw_uplifts": 150, "lw_paid_pct_direct": 97.2, "lw_paid_pct_contractor": 80.5},
        "2025-26-Q4": {"lw_uplifts": None, "lw_paid_pct_direct": None, "lw_paid_pct_contractor": None},
        "2026-27-Q1": {"lw_uplifts": 190, "lw_paid_pct_direct": 97.9, "lw_paid_pct_contractor": 84.0},
        "2026-27-Q2": {"lw_uplifts": 263, "lw_paid_pct_direct": 98.4, "lw_paid_pct_contractor": 90.1},
    }
    trend = tuple(TrendPoint(p.period, {**p.values, **extra[p.period]}) for p in base.trend)
    spend = [s for s in base.submissions if s.return_type == "spend"]
    received = spend[0].last_received_at
    workforce = [
        SubmissionRow(m.member_id, m.name, "workforce", "accepted", 1, 5_000, 4_990, 10, received)
        if m.submitted
        else SubmissionRow(m.member_id, m.name, "workforce", "missing", 0, 0, 0, 0, None)
        for m in WORKFORCE_MEMBERS
    ]
    return dataclasses.replace(
        base,
        submissions=(*spend, *workforce),
        trend=trend,
        workforce_headline=WORKFORCE_HEADLINE,
        workforce_members=WORKFORCE_MEMBERS,
    )


EXAMPLE_SOURCE = "EXAMPLE ONLY: illustrative value for the demo network"
TRICKY_MEASURE = 'Staff <trained> in "carbon" literacy & more'
RULE = (
    "On track: at or ahead of the target's path to date. At risk: behind the path by less than 10%. "
    "Off track: 10% or more behind it. A year-long target's path rises in a straight line over the four "
    "quarters for figures that add up over the year, and is the target itself for shares and headcounts."
)

MEASURES = (
    MeasureRow(
        "mentors_trained", "Mentors trained", "people", "jobs_and_skills", 140, 120, members_reporting=3
    ),
    MeasureRow(
        "mentees_matched",
        "Young people matched with a mentor",
        "people",
        "jobs_and_skills",
        96,
        80,
        proxy_gbp_per_unit=1200.0,
        proxy_source=EXAMPLE_SOURCE,
        social_value_gbp=115_200.0,
        members_reporting=3,
    ),
    MeasureRow(
        "levy_transferred_gbp",
        "Apprenticeship levy transferred to SMEs",
        "GBP",
        "jobs_and_skills",
        184_500.0,
        150_000.0,
        members_reporting=2,
    ),
    MeasureRow(
        "carbon_literacy_trained",
        TRICKY_MEASURE,
        "people",
        "environment",
        310,
        None,
        proxy_gbp_per_unit=150.0,
        proxy_source=EXAMPLE_SOURCE,
        social_value_gbp=46_500.0,
        members_reporting=4,
    ),
    MeasureRow(
        "co2e_saved_t",
        "Carbon emissions saved",
        "tCO2e",
        "environment",
        412.75,
        455.5,
        proxy_gbp_per_unit=250.0,
        proxy_source="Network board decision, March 2026 <minute 4>",
        social_value_gbp=103_187.5,
        members_reporting=2,
    ),
    MeasureRow(
        "retrofit_buildings_identified", "Buildings identified for retrofit", "buildings", "environment", None
    ),
    MeasureRow(
        "contracts_msme_count",
        "Contracts awarded to MSMEs",
        "contracts",
        "inclusive_economy",
        57,
        57,
        None,
        None,
        None,
        4,
    ),
    MeasureRow(
        "good_work_standard_level",
        "Good Work Standard level",
        "level",
        "good_work",
        2,
        1,
        members_reporting=1,
    ),
    MeasureRow(
        "community_hours",
        "Volunteering hours",
        "hours",
        "civic_life_and_place",
        1_250.5,
        900,
        members_reporting=2,
    ),
)
SOCIAL_VALUE_TOTAL = 115_200.0 + 46_500.0 + 103_187.5
SOCIAL_VALUE_BY_THEME = {"jobs_and_skills": 115_200.0, "environment": 149_687.5}

TARGETS = (
    # members first and KPIs out of order, to check the page's own ordering
    TargetRow("spend_sme_pct", "member", "Camden Council", "2026-27", 40.0, None, 40.0, None, "no data"),
    TargetRow(
        "spend_total", "member", TRICKY_NAME, "2026-27-Q2", 400_000.0, 500_000.0, 400_000.0, 125.0, "on track"
    ),
    TargetRow("spend_small_or_diverse_pct", "network", None, "2026-27", 30.0, 31.25, 30.0, 104.2, "on track"),
    TargetRow("lw_uplifts", "network", None, "2026-27", 600.0, 263.0, 300.0, 43.8, "off track"),
    TargetRow("measure:mentees_matched", "network", None, "2026-27", 200.0, 96.0, 100.0, 48.0, "at risk"),
    TargetRow(
        "social_value_gbp", "network", None, "2026-27", 500_000.0, 264_887.5, 250_000.0, 53.0, "on track"
    ),
    TargetRow(
        "spend_unknown_size_pct", "network", None, "2026-27-Q2", 15.0, 16.2, 15.0, 108.0, "at risk", "lower"
    ),
)


def make_measures_report(base: PeriodReport | None = None) -> PeriodReport:
    """The workforce report (or ``base``) with measures, social value and targets: every section."""
    return dataclasses.replace(
        base or make_workforce_report(),
        measures=MEASURES,
        social_value_total_gbp=SOCIAL_VALUE_TOTAL,
        social_value_by_theme=MappingProxyType(dict(SOCIAL_VALUE_BY_THEME)),
        targets=TARGETS,
        target_rule=RULE,
    )
