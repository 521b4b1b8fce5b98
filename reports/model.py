"""Plain data a period report is rendered from.

The pipeline builds these from the warehouse; the renderer only formats them. Keeping the two apart
means every figure in a report can be traced to one value here (and, through the ``data-*``
attributes of the HTML, checked against the warehouse). A figure is named by its KPI code only: its
names, unit and definition are the KPI registry's (``transforms.kpi_registry.lookup``), so the report,
the workbook and the e-mail cannot call one KPI by two names.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from types import MappingProxyType

# Which KPI codes the report's tables carry (the builder fills them, the page and the workbook show them),
# in the registry's order.
MEMBER_COLUMNS = (
    "spend_total",
    "spend_sme_pct",
    "spend_local_pct",
    "spend_vcse",
    "spend_diverse",
    "spend_small_or_diverse_pct",
    "spend_unknown_size_pct",
)
WORKFORCE_MEMBER_COLUMNS = (
    "staff_direct",
    "staff_contractor",
    "lw_paid_pct_direct",
    "lw_paid_pct_contractor",
    "lw_uplifts",
    "lw_uplift_annual_gbp",
    "apprentices",
    "apprentice_starts",
    "local_employment_pct",
)
SECTOR_SPEND_COLUMNS = ("spend_total", "spend_sme_pct", "spend_local_pct", "spend_small_or_diverse_pct")
SECTOR_WORKFORCE_COLUMNS = ("lw_paid_pct", "lw_uplifts", "apprentices")
# The workforce section's cards: the Living Wage first, as the section is about it; headcounts last, as
# the context the shares are read in.
WORKFORCE_HEADLINE = (
    "lw_paid_pct",
    "lw_paid_pct_direct",
    "lw_paid_pct_contractor",
    "lw_uplifts",
    "lw_uplift_annual_gbp",
    "apprentices",
    "apprentice_starts",
    "local_employment_pct",
    "staff_direct",
    "staff_contractor",
)
# The KPI the network's pledge (``PeriodReport.pledge_pct``) is about.
PLEDGE_KPI = "spend_small_or_diverse_pct"


@dataclass(frozen=True)
class KpiFigure:
    """One collective figure for the period, as shown on a headline card."""

    code: str  # a registry code, e.g. "spend_sme_pct"
    value: float | None  # None = no data
    previous: float | None = None  # same KPI in the previous period, for the change arrow
    # Disclosure control: hidden (``reports.disclosure``), so the page shows the marker "[c]" and never
    # the value (nor a change against the previous period).
    suppressed: bool = False
    # Quarter reports: the financial year up to the end of this quarter (None for a year's report, for
    # KPIs without a year-to-date figure such as staff counts, or without data).
    year_to_date: float | None = None
    year_to_date_suppressed: bool = False


# The panel "since the network began", the way anchor networks announce their results: flow KPIs added
# up from the network's first quarter (the registry names them; measures the network's catalogue).
SINCE_START_CODES = (
    "spend_small_or_diverse",
    "lw_uplifts",
    "apprentice_starts",
    "measure:carbon_literacy_trained",
    "measure:mentors_trained",
)


@dataclass(frozen=True)
class SinceStartFigure:
    """One flow KPI added up over every quarter from the network's first to the report's."""

    code: str
    value: float | None
    suppressed: bool = False


@dataclass(frozen=True)
class SinceStart:
    """The panel since the network began: its first quarter (the start date stated) to the report's."""

    first_period: str
    last_period: str
    figures: Sequence[SinceStartFigure] = ()


@dataclass(frozen=True)
class IssuedCell:
    """A count of people a report publishes, for the ledger of issued cells: its value, or hidden."""

    kpi: str
    scope: str
    scope_id: str
    period: str
    value: float | None
    hidden: bool


@dataclass(frozen=True)
class MemberRow:
    """One member's spend figures for the period (all None when it did not submit)."""

    member_id: str
    name: str
    sector: str  # "local_government", "nhs", "higher_education", "further_education", "housing", ...
    submitted: bool
    spend_total: float | None
    spend_sme_pct: float | None
    spend_local_pct: float | None
    spend_vcse: float | None
    spend_diverse: float | None
    spend_small_or_diverse_pct: float | None
    spend_unknown_size_pct: float | None


@dataclass(frozen=True)
class SectorRow:
    """A sector's figures for the period: its members added together (``kpi_value`` scope "sector").

    ``values`` maps a KPI code to its value (None = no data); ``suppressed`` names the figures derived
    from fewer than ``PeriodReport.suppression_threshold`` people, shown as "[c]".
    """

    sector: str
    members: int  # members of the network in this sector
    values: Mapping[str, float | None] = field(default_factory=dict, hash=False)
    suppressed: frozenset[str] = frozenset()


@dataclass(frozen=True)
class WorkforceMemberRow:
    """One member's workforce figures for the period (all None when it did not submit).

    ``suppressed`` names the fields derived from fewer than ``PeriodReport.suppression_threshold``
    people: the page shows them as "[c]" and their values appear nowhere in it.
    """

    member_id: str
    name: str
    sector: str
    submitted: bool  # sent an accepted workforce return for the period
    staff_direct: float | None
    staff_contractor: float | None
    lw_paid_pct_direct: float | None
    lw_paid_pct_contractor: float | None
    lw_uplifts: float | None
    lw_uplift_annual_gbp: float | None
    apprentices: float | None
    apprentice_starts: float | None
    local_employment_pct: float | None
    suppressed: frozenset[str] = frozenset()


@dataclass(frozen=True)
class SubmissionRow:
    """Where one member's return of one type stands for the period."""

    member_id: str
    member_name: str
    return_type: str
    status: str  # "accepted" | "late" (accepted after the due date) | "quarantined" | "missing"
    files: int
    rows_read: int
    rows_loaded: int
    rows_rejected: int  # rows with problems; rows set aside are not among them
    last_received_at: datetime | None
    # Rows set aside (totals, headings, notes): rows_read = loaded + rejected + set aside.
    rows_set_aside: int = 0


@dataclass(frozen=True)
class TrendPoint:
    """Collective values of some KPIs in one period."""

    period: str  # "2025-26-Q3"
    values: Mapping[str, float | None]  # kpi code -> collective value
    # KPI codes whose value in this period is derived from too few people: shown as "[c]", never the value
    suppressed: frozenset[str] = frozenset()


@dataclass(frozen=True)
class MeasureRow:
    """One catalogue measure's network total for the period, and its social value when it has a proxy."""

    code: str  # catalogue code, e.g. "mentees_matched"
    name: str  # plain English, e.g. "Young people matched with a mentor"
    unit: str  # "people", "tCO2e", "GBP", ...
    theme: str  # "jobs_and_skills" | "environment" | "inclusive_economy" | "good_work" | ...
    value: float | None  # network total for the period (None = nobody reported it)
    previous: float | None = None  # previous period's total
    proxy_gbp_per_unit: float | None = None  # None = no proxy, so no social value
    proxy_source: str | None = None  # where the proxy comes from, shown as given
    social_value_gbp: float | None = None  # value x proxy
    members_reporting: int = 0
    # A measure in unit "level" (the Good Work Standard's 0, 1, 2): levels do not add up, so the network
    # shows how many members are at each level, (level, members) highest first, and no total.
    levels: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True)
class TargetRow:
    """Progress against one target (see ``transforms.targets``: actual, path to date and status)."""

    kpi: str  # "spend_sme_pct", "measure:mentees_matched", ... (named and measured by the registry)
    scope: str  # "network" | "member"
    member_name: str | None  # for a member target; None for the network
    period: str  # "2026-27" (a year target, judged year to date) or "2026-27-Q2"
    target: float
    actual: float | None
    expected_to_date: float  # the target's path to date
    progress_pct: float | None  # actual / target * 100
    status: str  # "on track" | "at risk" | "off track" | "no data"
    direction: str = "higher"  # "higher" | "lower" (is better)


# -- programmes, recruitment, spend scope and coverage (each section shown only when it has data) --------


@dataclass(frozen=True)
class SroiRow:
    """A programme's SROI over one stretch: a financial year (the quarters received so far), or since the
    programme began up to the end of that year. Not about people, so never hidden; None = no data."""

    basis: str  # "year" | "to_date"
    period: str  # the financial year, "2026-27"
    investment_gbp: float | None
    social_value_gbp: float | None  # present value, central assumptions
    gross_value_gbp: float | None  # outcomes times proxies, before adjustments and discounting
    ratio: float | None  # social value per pound invested (None when nothing was invested)
    ratio_low: float | None  # the cautious end of the sensitivity range
    ratio_high: float | None  # the generous end


@dataclass(frozen=True)
class ScenarioRatio:
    """The ratio since the programme began with some adjustments moved to an end of their range."""

    scenario: str  # ``transforms.sroi.SCENARIOS``: "deadweight_low", "all_high", "cautious", ...
    ratio: float | None


@dataclass(frozen=True)
class SroiAssumption:
    """One setting behind the ratios: a measure's proxy or adjustment (low, central, high), or the
    discount rate (no measure), with where the figures come from."""

    measure_code: str | None
    measure: str
    unit: str | None
    assumption: str  # "proxy_gbp" | "deadweight" | "attribution" | "displacement" | "drop_off" |
    # "benefit_years" | "discount_rate"
    low: float
    central: float
    high: float
    source: str


@dataclass(frozen=True)
class ProgrammeTarget:
    """Progress of a programme against a target for its whole life (``transforms.programme_targets``).

    ``actual`` is the figure since the programme began; a figure the disclosure rules hide arrives here
    without its value, progress or status (``hidden``), so its target cannot give it away.
    """

    kpi: str  # the target's KPI, compared with its "_to_date" figure ("recruit_offers", "sroi_ratio")
    unit: str
    target: float
    actual: float | None
    expected_to_date: float
    progress_pct: float | None
    status: str  # "on track" | "at risk" | "off track" | "no data" | "hidden"
    hidden: bool = False


@dataclass(frozen=True)
class ProgrammeRow:
    """A network programme as its config declares it, with its SROI and its targets."""

    code: str
    name: str
    lead_member: str  # the member's name
    partners: tuple[str, ...]  # members' names
    start: date
    end: date
    theme: str
    description: str
    recruitment: bool  # hires may belong to it
    measures: tuple[str, ...] = ()  # catalogue codes of its outcomes
    sroi: tuple[SroiRow, ...] = ()  # each financial year to the report's, then since it began
    sensitivity: tuple[ScenarioRatio, ...] = ()  # since it began, in ``transforms.sroi.SCENARIOS`` order
    targets: tuple[ProgrammeTarget, ...] = ()


@dataclass(frozen=True)
class RecruitmentGroup:
    """Offers since the start to one group of people, and the area's population share of the group.

    Hidden counts and shares (disclosure control) arrive without their values: ``offers_hidden`` and
    ``share_hidden`` say so, and the page shows "[c]".
    """

    dimension: str  # "ethnicity" | "age" | "disability" | "unemployed" | "deprivation"
    group: str  # "asian", "18_24", "deciles_1_2", "ethnic_minority" (a summary of groups), ...
    offers: float | None
    share_pct: float | None  # of all offers since the start
    population_pct: float | None = None  # from the network's reference table; never hidden
    offers_hidden: bool = False
    share_hidden: bool = False
    summary: bool = False  # a sum of other groups of the dimension (shown after them)


@dataclass(frozen=True)
class RecruitmentBlock:
    """Inclusive recruitment since the start, for one recruitment programme (or the whole network).

    ``figures`` are ``KpiFigure``s of the to-date KPIs (offers, offers to previously unemployed people,
    starts, people reaching six months, the share still in post), already public: a hidden one has no value.
    """

    scope: str  # "programme" | "network"
    scope_id: str
    name: str
    as_at: str  # the quarter the figures run to, "2026-27-Q2"
    start: date | None = None
    end: date | None = None  # the programme's end, which its targets are for
    figures: Sequence[KpiFigure] = ()
    groups: Sequence[RecruitmentGroup] = ()
    targets: Sequence[ProgrammeTarget] = ()


@dataclass(frozen=True)
class RecruitmentQuarter:
    """Offers and starts in one quarter, for one member or the network (``member_id`` ""), already public."""

    period: str
    member_id: str
    name: str
    offers: float | None
    starts: float | None
    offers_hidden: bool = False
    starts_hidden: bool = False


@dataclass(frozen=True)
class ScopeMemberRow:
    """One member's spend in and out of scope and its size coverage for the period (None = no data)."""

    member_id: str
    name: str
    submitted: bool
    values: Mapping[str, float | None] = field(default_factory=dict, hash=False)


@dataclass(frozen=True)
class SpendScope:
    """Spend in and out of scope (``docs/spend-scope.md``) and whose supplier size is known, and from where.

    ``figures``: ``spend_in_scope``, ``spend_in_scope_pct``, ``spend_out_of_scope`` and one
    ``spend_out_of_scope:<category>`` per category with spend this period or this year; ``coverage``:
    ``spend_size_known_pct`` and ``spend_size_source_pct:<source>`` for every source. Never about people.
    """

    share_basis: str  # "in_scope" | "total": what the spend shares divide by
    figures: Sequence[KpiFigure] = ()
    coverage: Sequence[KpiFigure] = ()
    members: Sequence[ScopeMemberRow] = ()


def _no_themes() -> Mapping[str, float]:
    return MappingProxyType({})


@dataclass(frozen=True)
class PeriodReport:
    """Everything the City Hall period report shows."""

    network_id: str
    network_name: str
    period: str  # "2026-27-Q2"
    period_label: str  # "Quarter 2 of 2026-27 (July to September 2026)"
    as_of: datetime  # time of the latest data in the warehouse
    headline: Sequence[KpiFigure]
    members: Sequence[MemberRow]
    submissions: Sequence[SubmissionRow]
    trend: Sequence[TrendPoint]  # oldest first, includes this period
    pledge_pct: float | None = 30.0  # network pledge for PLEDGE_KPI
    source_submission_ids: Sequence[str] = ()
    # Living Wage and workforce (section shown only when one of these is non-empty)
    workforce_headline: Sequence[KpiFigure] = ()  # network-level workforce KPIs: lw_paid_pct, lw_uplifts, ...
    workforce_members: Sequence[WorkforceMemberRow] = ()
    suppression_threshold: int = 5  # figures from fewer people than this show as "[c]"
    # Measures, social value and targets (each section shown only when it has data)
    # the network's measure catalogue, as the registry's ``measure:<code>`` family names it
    measures: Sequence[MeasureRow] = ()
    social_value_total_gbp: float | None = None
    # theme code -> GBP; read-only by default, and left out of the hash (a mapping cannot be hashed)
    social_value_by_theme: Mapping[str, float] = field(default_factory=_no_themes, hash=False)
    targets: Sequence[TargetRow] = ()
    target_rule: str = ""  # the status rule printed under the targets (transforms.targets.STATUS_RULE)
    sectors: Sequence[SectorRow] = ()  # breakdown by sector (spend and, with workforce returns, people)
    # Programmes and their SROI (the assumptions printed beside the ratios), inclusive recruitment, and
    # spend in and out of scope with the supplier size coverage (each section shown only with data)
    programmes: Sequence[ProgrammeRow] = ()
    sroi_assumptions: Sequence[SroiAssumption] = ()
    recruitment: Sequence[RecruitmentBlock] = ()
    recruitment_quarters: Sequence[RecruitmentQuarter] = ()  # oldest first, network row first
    population_source: str = ""  # where the area's population shares come from
    spend_scope: SpendScope | None = None
    # The counts of people this report publishes (shown or hidden), recorded when it is issued.
    issued_cells: Sequence[IssuedCell] = ()
    since_start: SinceStart | None = None
