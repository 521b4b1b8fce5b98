"""The report's programmes (SROI) and inclusive recruitment rows, from ``kpi_value`` and the network config.

Like the rest of the report, nothing here computes a figure: the SROI and recruitment KPIs were stored
by the KPI step (``pipeline.steps.programmes``). What this module adds is disclosure control for the
recruitment figures, which rest on people: their flags come from ``recruitment_hidden`` over every
``recruit_*`` row of every period and scope (a year is checked against its quarters, one "to date"
against the last, a programme against the network), weighed against the ledger of cells earlier
reports issued, and a hidden figure enters the report's model without its value, so no section, chart or
workbook can show it. The counts a report publishes go into that ledger with it
(:func:`recruitment_issued_cells`). Only the figures the recruitment
section publishes (``transforms.recruitment_kpis.report_publication``) can be read at all: the
disclosure rules counted every other figure as unseen, so showing one would need its own check.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import pandas as pd

from pipeline.config import Programme
from pipeline.network import Network
from pipeline.steps.programmes import population_reference, recruitment_hidden, sroi_assumptions
from reports.model import (
    IssuedCell,
    KpiFigure,
    ProgrammeRow,
    ProgrammeTarget,
    RecruitmentBlock,
    RecruitmentGroup,
    RecruitmentQuarter,
    ScenarioRatio,
    SroiAssumption,
    SroiRow,
)
from transforms.periods import Period
from transforms.programme_targets import programme_target_progress, to_date_code
from transforms.recruitment_kpis import (
    DIMENSIONS,
    SUMMARY_GROUPS,
    report_publication,
    representation,
    share_basis,
)
from transforms.sroi import SCENARIOS
from warehouse import queries

# The KPI families the two sections read (all periods and scopes: disclosure control needs them all).
FAMILIES = ("sroi_", "recruit_", "population_pct:")
TO_DATE = "_to_date"
# A recruitment block's headline figures, since the start: offers, offers to people out of work, starts,
# the share still in post at six months and how many people that share is of.
BLOCK_FIGURES = (
    "recruit_offers_to_date",
    "recruit_offers_to_date:unemployed:yes",
    "recruit_starts_to_date",
    "recruit_retained_6m_pct_to_date",
    "recruit_retention_known_to_date",
)
QUARTERS_SHOWN = 6  # offers and starts per quarter: the last six quarters with recruitment


class UnpublishedFigure(LookupError):
    """A recruitment figure the report's disclosure check treated as never shown was asked for."""


class RecruitmentFigures:
    """Recruitment KPI values with their disclosure flags: a hidden figure is read without its value."""

    def __init__(self, kpis: pd.DataFrame, hidden: pd.Series) -> None:
        published = report_publication(kpis) if not kpis.empty else pd.Series(dtype=bool)
        keys = list(zip(kpis["kpi"], kpis["scope"], kpis["scope_id"], kpis["period"], strict=True))
        self._values = dict(zip(keys, kpis["value"], strict=True))
        self._hidden = dict(zip(keys, hidden.reindex(kpis.index).fillna(False).astype(bool), strict=True))
        self._published = dict(
            zip(keys, published.reindex(kpis.index).fillna(False).astype(bool), strict=True)
        )

    def has(self, kpi: str, scope: str, scope_id: str, period: str) -> bool:
        return (kpi, scope, scope_id, period) in self._values

    def figure(self, kpi: str, scope: str, scope_id: str, period: str) -> KpiFigure:
        """The figure as it may be published: no value when it is hidden (or missing)."""
        key = (kpi, scope, scope_id, period)
        if key not in self._values:
            return KpiFigure(kpi, None)
        if kpi.startswith("recruit_") and not self._published[key]:
            raise UnpublishedFigure(
                f"{kpi} ({scope} {scope_id}, {period}) is not among the figures the recruitment section "
                "publishes (transforms.recruitment_kpis.report_publication); its disclosure check treated "
                "it as never shown, so add it there before showing it"
            )
        if self._hidden[key]:
            return KpiFigure(kpi, None, suppressed=True)
        value = self._values[key]
        return KpiFigure(kpi, None if pd.isna(value) else float(value))

    def value(self, kpi: str, scope: str, scope_id: str, period: str) -> float | None:
        return self.figure(kpi, scope, scope_id, period).value


def programme_kpis(network: Network) -> tuple[pd.DataFrame, pd.Series]:
    """Every stored SROI, recruitment and population row, and which recruitment figures to hide."""
    kpis = queries.kpi_families(network.engine, FAMILIES)
    if kpis.empty:
        return kpis, pd.Series(dtype=bool)
    return kpis, recruitment_hidden(network, kpis, issued=queries.issued_people_cells(network.engine))


def as_at_quarter(kpis: pd.DataFrame, period: Period) -> str:
    """The quarter a report's "to date" figures run to: its own, or the latest of a year's with data."""
    if period.quarter is not None:
        return period.key
    quarters = [q.key for q in period.quarters()]
    seen = [q for q in quarters if q in set(kpis["period"])] if not kpis.empty else []
    return seen[-1] if seen else quarters[-1]


# -- programmes and SROI -----------------------------------------------------------------------------
def _sroi_row(values: dict[tuple[str, str], float], basis: str, year: str) -> SroiRow:
    suffix = TO_DATE if basis == "to_date" else ""

    def get(code: str) -> float | None:
        value = values.get((code, year))
        return None if value is None or pd.isna(value) else float(value)

    return SroiRow(
        basis=basis,
        period=year,
        investment_gbp=get(f"sroi_investment_gbp{suffix}"),
        social_value_gbp=get(f"sroi_social_value_gbp{suffix}"),
        gross_value_gbp=get(f"sroi_gross_value_gbp{suffix}"),
        ratio=get(f"sroi_ratio{suffix}"),
        ratio_low=get(f"sroi_ratio{suffix}_low"),
        ratio_high=get(f"sroi_ratio{suffix}_high"),
    )


def _targets(
    programme: Programme, kpis: pd.DataFrame, hidden: pd.Series, as_at: str
) -> tuple[ProgrammeTarget, ...]:
    if not programme.targets or kpis.empty:
        return ()
    progress = programme_target_progress(
        programme.targets, kpis, hidden, programme.code, programme.start, programme.end, as_at
    )
    rows = []
    for r in progress.itertuples(index=False):
        hide = bool(r.hidden)
        rows.append(
            ProgrammeTarget(
                kpi=r.kpi,
                unit=r.unit,
                target=float(r.target),
                actual=None if hide or pd.isna(r.actual) else float(r.actual),
                expected_to_date=float(r.expected_to_date),
                progress_pct=None if hide or pd.isna(r.progress_pct) else float(r.progress_pct),
                status=r.status,
                hidden=hide,
            )
        )
    return tuple(rows)


def programme_rows(
    network: Network, kpis: pd.DataFrame, hidden: pd.Series, period: Period
) -> list[ProgrammeRow]:
    """Every programme that has begun by the end of the period: who runs it, its SROI per financial year
    and since it began (with the sensitivity range), and its targets."""
    names = {m.id: m.name for m in network.cfg.members}
    year = period.financial_year.key
    as_at = as_at_quarter(kpis, period)
    sroi = (
        kpis[(kpis["scope"] == "programme") & kpis["kpi"].str.startswith("sroi_")] if not kpis.empty else kpis
    )
    rows = []
    for p in network.cfg.programmes:
        if p.start > period.end:
            continue
        mine = sroi[sroi["scope_id"] == p.code] if not sroi.empty else sroi
        values = dict(zip(zip(mine["kpi"], mine["period"], strict=True), mine["value"], strict=True))
        years = sorted({y for _, y in values if y <= year})
        table: list[SroiRow] = [_sroi_row(values, "year", y) for y in years]
        sensitivity: tuple[ScenarioRatio, ...] = ()
        if years:
            table.append(_sroi_row(values, "to_date", years[-1]))
            sensitivity = tuple(
                ScenarioRatio(s, _value(values.get((f"sroi_ratio{TO_DATE}:{s}", years[-1]))))
                for s in SCENARIOS
                if s != "central"
            )
        rows.append(
            ProgrammeRow(
                code=p.code,
                name=p.name,
                lead_member=names.get(p.lead_member, p.lead_member),
                partners=tuple(names.get(m, m) for m in p.partners),
                start=p.start,
                end=p.end,
                theme=p.theme,
                description=p.description,
                recruitment=p.recruitment,
                measures=tuple(p.measures),
                sroi=tuple(table),
                sensitivity=sensitivity,
                targets=_targets(p, kpis, hidden, as_at),
            )
        )
    return rows


def _value(value: float | None) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def assumption_rows(network: Network, programmes: Iterable[ProgrammeRow]) -> list[SroiAssumption]:
    """The proxies and adjustments of the measures the programmes value, and the discount rate."""
    valued = {code for p in programmes if p.sroi for code in p.measures}
    if not valued:
        return []
    table = sroi_assumptions(network)
    table = table[table["measure_code"].isin(valued) | table["measure_code"].isna()]
    return [
        SroiAssumption(
            measure_code=None if pd.isna(r.measure_code) else str(r.measure_code),
            measure=str(r.measure),
            unit=None if pd.isna(r.unit) else str(r.unit),
            assumption=str(r.assumption),
            low=float(r.low),
            central=float(r.central),
            high=float(r.high),
            source=str(r.source or ""),
        )
        for r in table.itertuples(index=False)
    ]


# -- inclusive recruitment ---------------------------------------------------------------------------
def _groups(
    figures: RecruitmentFigures, kpis: pd.DataFrame, hidden: pd.Series, scope: str, scope_id: str, as_at: str
) -> list[RecruitmentGroup]:
    population = representation(kpis, hidden, scope, scope_id, as_at)
    reference = {
        (d, g): float(v)
        for d, g, v in zip(
            population["dimension"], population["group"], population["population_pct"], strict=True
        )
    }
    rows = []
    for dimension, groups in DIMENSIONS.items():
        summaries = [g for (d, g) in SUMMARY_GROUPS if d == dimension]
        for group in [*groups, *summaries]:
            offers = figures.figure(f"recruit_offers{TO_DATE}:{dimension}:{group}", scope, scope_id, as_at)
            share = figures.figure(f"recruit_offers_pct{TO_DATE}:{dimension}:{group}", scope, scope_id, as_at)
            rows.append(
                RecruitmentGroup(
                    dimension=dimension,
                    group=group,
                    offers=offers.value,
                    share_pct=share.value,
                    population_pct=reference.get((dimension, group)),
                    offers_hidden=offers.suppressed,
                    share_hidden=share.suppressed,
                    summary=group in summaries,
                )
            )
    return rows


def _outside_programmes(kpis: pd.DataFrame, network_id: str, as_at: str) -> bool:
    """Whether any offer up to the quarter named no programme (then the network's figures differ)."""
    rows = kpis[
        (kpis["kpi"] == "recruit_offers:programme:none")
        & (kpis["scope"] == "network")
        & (kpis["scope_id"] == network_id)
        & kpis["period"].str.contains("-Q", regex=False)
    ]
    return bool((rows.loc[rows["period"] <= as_at, "value"].fillna(0) > 0).any())


def recruitment_blocks(
    network: Network,
    kpis: pd.DataFrame,
    hidden: pd.Series,
    period: Period,
    targets: Mapping[str, Sequence[ProgrammeTarget]],
) -> list[RecruitmentBlock]:
    """A block per recruitment programme with offers by the report's quarter, and one for the whole
    network when some offers belong to no programme (or no programme has any). ``targets``: each
    programme's progress against its targets (``ProgrammeRow.targets``)."""
    if kpis.empty:
        return []
    figures = RecruitmentFigures(kpis, hidden)
    as_at = as_at_quarter(kpis, period)
    network_id = network.cfg.id
    programmes = {p.code: p for p in network.cfg.programmes if p.recruitment}
    places = [
        ("programme", code, p.name, p.start, p.end)
        for code, p in programmes.items()
        if figures.has(f"recruit_offers{TO_DATE}", "programme", code, as_at)
    ]
    if figures.has(f"recruit_offers{TO_DATE}", "network", network_id, as_at) and (
        not places or _outside_programmes(kpis, network_id, as_at)
    ):
        places.append(("network", network_id, f"All recruitment across {network.cfg.name}", None, None))
    return [
        RecruitmentBlock(
            scope=scope,
            scope_id=scope_id,
            name=name,
            as_at=as_at,
            start=start,
            end=end,
            figures=tuple(figures.figure(code, scope, scope_id, as_at) for code in BLOCK_FIGURES),
            groups=tuple(_groups(figures, kpis, hidden, scope, scope_id, as_at)),
            targets=tuple(targets.get(scope_id, ())) if scope == "programme" else (),
        )
        for scope, scope_id, name, start, end in places
    ]


def recruitment_quarters(
    network: Network, kpis: pd.DataFrame, hidden: pd.Series, period: Period
) -> list[RecruitmentQuarter]:
    """Offers and starts per quarter for the network and each member that sends recruitment returns:
    the last few quarters up to the report's, from the first with any offer."""
    if kpis.empty:
        return []
    figures = RecruitmentFigures(kpis, hidden)
    as_at = Period.parse(as_at_quarter(kpis, period))
    network_id = network.cfg.id
    offered = kpis[
        (kpis["kpi"] == "recruit_offers") & (kpis["scope"] == "network") & kpis["period"].str.contains("-Q")
    ]
    first = min((Period.parse(p) for p in offered["period"]), key=lambda q: q.start, default=None)
    if first is None or first.start > as_at.start:
        return []
    quarters = [as_at]
    while len(quarters) < QUARTERS_SHOWN and quarters[0].start > first.start:
        quarters.insert(0, quarters[0].previous())
    places = [("network", network_id, "", "All members")] + [
        ("member", m.id, m.id, m.name)
        for m in network.cfg.members
        if "recruitment" in network.cfg.expected_returns(m)
    ]
    rows = []
    for q in quarters:
        for scope, scope_id, member_id, name in places:
            offers = figures.figure("recruit_offers", scope, scope_id, q.key)
            starts = figures.figure("recruit_starts", scope, scope_id, q.key)
            rows.append(
                RecruitmentQuarter(
                    period=q.key,
                    member_id=member_id,
                    name=name,
                    offers=offers.value,
                    starts=starts.value,
                    offers_hidden=offers.suppressed,
                    starts_hidden=starts.suppressed,
                )
            )
    return rows


def recruitment_issued_cells(
    kpis: pd.DataFrame,
    hidden: pd.Series,
    period: Period,
    network_id: str,
    programmes: Sequence[ProgrammeRow],
    blocks: Sequence[RecruitmentBlock],
    quarters: Sequence[RecruitmentQuarter],
) -> list[IssuedCell]:
    """The recruitment counts of people a report publishes, for the ledger of issued cells.

    Read from the report's model, so the ledger holds what the page shows: each block's to-date figures
    and groups, each programme's recruitment targets, and the offers and starts per quarter. A share is
    published with the counts it rests on (a share and its base give its count back), so both go in the
    ledger, shown or hidden as the disclosure flags say: a shown share always has both counts shown.
    """
    if kpis.empty:
        return []
    keys = list(zip(kpis["kpi"], kpis["scope"], kpis["scope_id"], kpis["period"], strict=True))
    values = dict(zip(keys, kpis["value"], strict=True))
    flags = dict(zip(keys, hidden.reindex(kpis.index).fillna(False).astype(bool), strict=True))
    published: set[tuple[str, str, str, str]] = set()

    def add(code: str, scope: str, scope_id: str, at: str) -> None:
        if not code.startswith("recruit_"):
            return  # SROI figures are money, not people
        basis = share_basis(code)
        for count in (code,) if basis is None else basis:
            if (count, scope, scope_id, at) in values:
                published.add((count, scope, scope_id, at))

    for block in blocks:
        place = (block.scope, block.scope_id, block.as_at)
        for figure in block.figures:
            add(figure.code, *place)
        for group in block.groups:
            add(f"recruit_offers{TO_DATE}:{group.dimension}:{group.group}", *place)
            add(f"recruit_offers_pct{TO_DATE}:{group.dimension}:{group.group}", *place)
    as_at = as_at_quarter(kpis, period)
    for programme in programmes:
        for target in programme.targets:
            add(to_date_code(target.kpi), "programme", programme.code, as_at)
    for row in quarters:
        scope, scope_id = ("member", row.member_id) if row.member_id else ("network", network_id)
        for code in ("recruit_offers", "recruit_starts"):
            add(code, scope, scope_id, row.period)
    cells = []
    for cell in sorted(published):
        value, is_hidden = values[cell], flags[cell]
        shown = None if is_hidden or pd.isna(value) else float(value)
        cells.append(IssuedCell(*cell, value=shown, hidden=is_hidden))
    return cells


def population_source(network: Network) -> str:
    """Where the area's population shares come from, as the network's reference table says."""
    table = population_reference(network)
    if table is None or "source" not in table:
        return ""
    return "; ".join(dict.fromkeys(s.strip() for s in table["source"] if s and s.strip()))
