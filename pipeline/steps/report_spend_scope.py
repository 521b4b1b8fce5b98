"""The report's spend in and out of scope, and whose supplier size is known: rows from ``kpi_value``.

Every figure was stored by the KPI step (``transforms.spend_kpis`` for the scope, ``transforms.
supplier_coverage`` for the coverage); this only picks the ones the section shows: every out-of-scope
category with spend in the period or its financial year so far (so nothing disappears from view), and
every size source, zero or not (so a reader sees which sources the network does not use yet).
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from pipeline.network import Network
from reports.disclosure import Figures
from reports.model import MemberRow, ScopeMemberRow, SpendScope
from transforms.kpi_registry import (
    COVERAGE_KPI,
    OUT_OF_SCOPE_LABELS,
    OUT_OF_SCOPE_PREFIX,
    SOURCE_KPI_PREFIX,
    YTD_SUFFIX,
)
from transforms.supplier_coverage import SIZE_SOURCES

SCOPE_FIGURES = ("spend_in_scope", "spend_in_scope_pct", "spend_out_of_scope")
# The by-member table: what each member paid, how much of it was in scope, and how much of that has a size.
MEMBER_SCOPE_COLUMNS = (
    "spend_total",
    "spend_in_scope",
    "spend_out_of_scope",
    "spend_in_scope_pct",
    COVERAGE_KPI,
)


def out_of_scope_categories(kpi_frame: pd.DataFrame, network_id: str, period: str) -> list[str]:
    """The categories with spend out of scope in the period or its year so far: the shipped ones in
    the registry's order, then the network's own by name."""
    if kpi_frame.empty:
        return []
    rows = kpi_frame[
        kpi_frame["kpi"].str.startswith(OUT_OF_SCOPE_PREFIX)
        & (kpi_frame["scope"] == "network")
        & (kpi_frame["scope_id"] == network_id)
        & (kpi_frame["period"] == period)
        & kpi_frame["value"].fillna(0).ne(0)
    ]
    found = {code.removeprefix(OUT_OF_SCOPE_PREFIX).removesuffix(YTD_SUFFIX) for code in rows["kpi"]}
    shipped = [c for c in OUT_OF_SCOPE_LABELS if c in found]
    return shipped + sorted(found - set(shipped))


def spend_scope(
    network: Network,
    figures: Figures,
    kpi_frame: pd.DataFrame,
    period: str,
    previous: str,
    members: Sequence[MemberRow],
) -> SpendScope | None:
    """Spend in and out of scope with its breakdown, the size coverage by source, and both by member;
    None when the warehouse has neither figure for the period (spend loaded before either existed)."""
    network_id = network.cfg.id
    if all(
        figures.value(code, "network", network_id, period) is None
        for code in ("spend_in_scope", COVERAGE_KPI)
    ):
        return None
    categories = out_of_scope_categories(kpi_frame, network_id, period)
    codes = [*SCOPE_FIGURES, *(f"{OUT_OF_SCOPE_PREFIX}{c}" for c in categories)]
    coverage = [COVERAGE_KPI, *(f"{SOURCE_KPI_PREFIX}{s}" for s in SIZE_SOURCES)]
    return SpendScope(
        share_basis=network.cfg.spend.share_basis,
        figures=tuple(figures.figure(c, network_id, period, previous) for c in codes),
        coverage=tuple(figures.figure(c, network_id, period, previous) for c in coverage),
        members=tuple(
            ScopeMemberRow(
                member_id=m.member_id,
                name=m.name,
                submitted=m.submitted,
                values={c: figures.value(c, "member", m.member_id, period) for c in MEMBER_SCOPE_COLUMNS},
            )
            for m in members
        ),
    )
