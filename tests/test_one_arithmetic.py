"""One arithmetic: every flow KPI's quarters add up to its year, and a fourth quarter's year to date is
the year, for the network, every member and every sector of the demo network.

The demo's first financial year starts at its third quarter, and its members' staff snapshots list
apprentices who started in the months before it: exactly the activity that fell in no quarter before
(``transforms.workforce_kpis.apprenticeship_starts`` counts it in the first return that reports it).
"""

from __future__ import annotations

import pandas as pd
import pytest

from pipeline.network import Network
from tests.demo_network import demo_network, stored_kpis
from transforms.kpi_registry import REGISTRY, TO_DATE_SUFFIX, YTD_SUFFIX, UnknownKpi, lookup, ytd_code
from transforms.periods import Period
from warehouse import queries

__all__ = ["demo_network"]

# Flow KPIs the demo reports per financial year only, never per quarter, so no quarter can disagree:
# a programme's SROI inputs are worked out over the year received so far (``transforms.sroi``).
YEAR_ONLY = {"sroi_social_value_gbp", "sroi_gross_value_gbp", "sroi_investment_gbp"}


def _flow(code: str, network: Network) -> bool:
    if code.endswith(YTD_SUFFIX) or TO_DATE_SUFFIX in code:
        return False
    try:
        return lookup(code, network.cfg.measures).flow
    except UnknownKpi:
        return False


@pytest.fixture(scope="module")
def figures(demo_network: Network) -> pd.DataFrame:
    frame = stored_kpis(demo_network)
    frame["year"] = frame["period"].map(lambda p: Period.parse(p).financial_year.key)
    frame["is_quarter"] = frame["period"].str.contains("-Q", regex=False)
    return frame


def test_every_flow_kpis_quarters_add_up_to_its_year_for_every_scope(
    demo_network: Network, figures: pd.DataFrame
) -> None:
    flows = figures[figures["kpi"].map(lambda c: _flow(c, demo_network))]
    checked: set[str] = set()
    for (kpi, scope, scope_id, year), group in flows.groupby(["kpi", "scope", "scope_id", "year"]):
        quarters = group[group["is_quarter"]]
        whole = group[~group["is_quarter"]]["value"]
        if kpi in YEAR_ONLY:
            assert quarters.empty, (kpi, scope, scope_id)
            continue
        assert len(whole) == 1, (kpi, scope, scope_id, year)
        assert quarters["value"].fillna(0).sum() == pytest.approx(
            float(whole.fillna(0).iloc[0]), abs=0.005
        ), (
            kpi,
            scope,
            scope_id,
            year,
        )
        checked.add(kpi)
    # Every flow in the registry that the demo publishes per quarter was checked, for every member.
    registry_flows = {code for code, kpi in REGISTRY.items() if kpi.flow} - YEAR_ONLY
    assert registry_flows <= checked
    assert any(c.startswith("measure:") for c in checked) and any(
        c.startswith("social_value_gbp:") for c in checked
    )
    members = set(flows.loc[flows["scope"] == "member", "scope_id"])
    assert members == {m.id for m in demo_network.cfg.members}


def test_the_fourth_quarters_year_to_date_is_the_year_and_each_quarters_adds_the_quarters_so_far(
    demo_network: Network, figures: pd.DataFrame
) -> None:
    network = figures[(figures["scope"] == "network")].set_index(["kpi", "period"])["value"]
    fourth_quarters = 0
    for code, kpi in REGISTRY.items():
        if not (kpi.flow and kpi.to_date):
            continue
        for period in sorted(p for (k, p) in network.index if k == ytd_code(code)):
            quarter = Period.parse(period)
            so_far = [q.key for q in quarter.financial_year.quarters() if q.start <= quarter.start]
            added = sum(float(network.get((code, q), 0) or 0) for q in so_far)
            assert float(network[(ytd_code(code), period)]) == pytest.approx(added, abs=0.005), (code, period)
            if quarter.quarter == 4:
                year = float(network[(code, quarter.financial_year.key)])
                assert float(network[(ytd_code(code), period)]) == pytest.approx(year, abs=0.005), code
                fourth_quarters += 1
    assert fourth_quarters >= len([k for k in REGISTRY.values() if k.flow and k.to_date]) - 1


def test_apprentices_started_before_the_first_return_are_counted_in_a_quarter(
    demo_network: Network, figures: pd.DataFrame
) -> None:
    """The case the issue found: starts in the months before the demo's first quarter (2025-26 Q3) are in
    the year and in its first quarter (before, the year said 23 and its quarters 18)."""
    staff = queries.staff_snapshots(demo_network.engine)
    first_quarter = Period.parse("2025-26-Q3")
    early = staff[
        (staff["apprenticeship_start_date"] >= pd.Timestamp(first_quarter.financial_year.start))
        & (staff["apprenticeship_start_date"] < pd.Timestamp(first_quarter.start))
    ]
    assert early["person_key"].nunique() > 0  # the demo has such apprentices
    starts = figures[(figures["kpi"] == "apprentice_starts") & (figures["scope"] == "network")]
    values = dict(zip(starts["period"], starts["value"], strict=True))
    started_in_q3 = staff[
        (staff["apprenticeship_start_date"] >= pd.Timestamp(first_quarter.start))
        & (staff["apprenticeship_start_date"] <= pd.Timestamp(first_quarter.end))
    ]
    assert values["2025-26-Q3"] > started_in_q3[["member_id", "person_key"]].drop_duplicates().shape[0]
    assert values["2025-26-Q3"] + values["2025-26-Q4"] == values["2025-26"]
