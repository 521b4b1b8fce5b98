"""Compute the network's KPIs from the warehouse and store them in ``kpi_value`` in one transaction."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pandas as pd

from pipeline.network import Network
from pipeline.steps.programmes import programme_kpis
from pipeline.steps.reference_data import network_targets
from transforms.measures import measure_kpis
from transforms.spend_kpis import classify_spend, spend_kpis, spend_kpis_to_date
from transforms.supplier_coverage import coverage_kpis
from transforms.workforce_kpis import WORKFORCE_FLOWS, workforce_kpis
from transforms.year_to_date import flows_to_date
from warehouse import queries
from warehouse.load import register_periods, replace_kpis


def _with_sectors(frame: pd.DataFrame, network: Network) -> pd.DataFrame:
    sectors = {m.id: m.sector.value for m in network.cfg.members}
    return frame.assign(sector=frame["member_id"].map(sectors).fillna("unknown"))


def catalogue_frame(network: Network) -> pd.DataFrame:
    return pd.DataFrame(
        [(m.code, m.unit, m.theme, m.proxy_gbp_per_unit) for m in network.cfg.measures],
        columns=["code", "unit", "theme", "proxy_gbp_per_unit"],
    ).astype({"proxy_gbp_per_unit": "float64"})


def compute_kpis(network: Network) -> dict[str, Any]:
    """Recompute every KPI for every period and replace the stored values in one transaction."""
    cfg, engine = network.cfg, network.engine
    area = cfg.local_area
    profile = _with_sectors(queries.spend_by_supplier_profile(engine), network)
    classified = classify_spend(profile, area.postcode_areas, area.postcode_districts, cfg.spend.share_basis)
    coverage = coverage_kpis(profile, cfg.id)
    workforce = workforce_kpis(
        _with_sectors(queries.staff_snapshots(engine), network),
        cfg.living_wage_basis,
        area.postcode_areas,
        area.postcode_districts,
        cfg.id,
    )
    measures = measure_kpis(
        _with_sectors(queries.measure_values(engine), network), catalogue_frame(network), cfg.id
    )
    values = pd.concat(
        [
            spend_kpis(classified, cfg.id),
            coverage,
            workforce,
            measures,
            spend_kpis_to_date(classified, cfg.id),
            flows_to_date(workforce[workforce["scope"] == "network"], WORKFORCE_FLOWS),
            programme_kpis(network),
        ],
        ignore_index=True,
    )
    targets = network_targets(network)
    register_periods(engine, values["period"].unique())
    computed_at = datetime.now(UTC)
    rows = [
        {**row, "value": None if pd.isna(row["value"]) else float(row["value"]), "computed_at": computed_at}
        for row in values.to_dict("records")
    ]
    replace_kpis(engine, rows, targets.to_dict("records"))
    return {"kpi_values": len(rows), "periods": sorted(values["period"].unique().tolist())}


def read_kpis(network: Network, period: str, scopes: tuple[str, ...] = ("network", "member")) -> pd.DataFrame:
    """The stored KPI values of one period (``anchor kpis``): the network's first, then each member's."""
    return queries.kpi_values(network.engine, [period], scopes)
