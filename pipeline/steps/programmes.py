"""Programme and recruitment figures from the warehouse and the bucket's reference tables (the I/O edge).

Reads what ``transforms.sroi`` and ``transforms.recruitment_kpis`` need (programme rows of the measures
facts, programme investment from returns and from the config, recruitment facts, the population and
deprivation reference tables) and returns their long KPI rows, ready to be stored in ``kpi_value`` with
the others. (Deleting raw files past the retention setting: ``pipeline.steps.retention``.)
"""

from __future__ import annotations

import io

import pandas as pd

from pipeline.network import Network
from pipeline.programmes import measure_assumptions
from transforms.programme_targets import programme_target_progress
from transforms.re2_classes import WHITESPACE
from transforms.recruitment_kpis import (
    population_problems,
    recruitment_kpis,
    recruitment_suppressed,
    report_publication,
)
from transforms.spend_kpis import KPI_COLUMNS
from transforms.sroi import assumptions_table, programme_sroi, sroi_kpis
from warehouse import queries


class ReferenceTableError(ValueError):
    """A reference table in the bucket cannot be used; the message says which, and why."""


def _sectors(network: Network) -> dict[str, str]:
    return {m.id: m.sector.value for m in network.cfg.members}


def recruitment_offers(network: Network) -> pd.DataFrame:
    """Every current recruitment fact, with each member's sector."""
    frame = queries.recruitment_offers(network.engine)
    frame["sector"] = frame["member_id"].map(_sectors(network)).fillna("unknown")
    return frame


def _reference_csv(network: Network, path: str) -> pd.DataFrame | None:
    if not network.bucket.exists(path):
        return None
    return pd.read_csv(
        io.BytesIO(network.bucket.read(path)), dtype=str, keep_default_na=False, encoding="utf-8-sig"
    )


def population_reference(network: Network) -> pd.DataFrame | None:
    """The area's population shares (dimension, group, share_pct, source), or None when the network has none."""
    path = network.cfg.reference.population
    table = _reference_csv(network, path)
    if table is None:
        return None
    problems = population_problems(table)
    if problems:
        raise ReferenceTableError(f"population reference {path}: " + "; ".join(problems))
    return table.assign(share_pct=table["share_pct"].astype("float64"))


def deprivation_lookup(network: Network) -> dict[str, int]:
    """Postcode district -> deprivation decile, from the network's table (empty when it has none)."""
    path = network.cfg.reference.deprivation_by_district
    table = _reference_csv(network, path)
    if table is None:
        return {}
    missing = {"district", "decile", "source"} - set(table.columns)
    if missing:
        raise ReferenceTableError(f"deprivation reference {path} lacks the column(s) {sorted(missing)}")
    deciles = pd.to_numeric(table["decile"], errors="coerce")
    bad = table.index[~deciles.between(1, 10) | (deciles % 1 != 0)]
    if len(bad):
        raise ReferenceTableError(
            f"deprivation reference {path}: line {int(bad[0]) + 2} has decile '{table.at[bad[0], 'decile']}', "
            "not a whole number from 1 to 10"
        )
    districts = table["district"].astype("string").str.strip().str.upper()
    districts = districts.str.replace(f"{WHITESPACE}+", "", regex=True)
    return dict(zip(districts, deciles.astype(int), strict=True))


def programme_measures(network: Network) -> pd.DataFrame:
    """Measures rows that name a programme: programme_code, period, measure_code, value."""
    return queries.programme_measures(network.engine)


def programme_investment(network: Network, rows: pd.DataFrame) -> pd.DataFrame:
    """Investment per programme and period: reported as the investment measure, plus the config's entries."""
    code = network.cfg.sroi.investment_measure
    reported = rows[rows["measure_code"] == code].rename(columns={"value": "amount_gbp"})
    configured = pd.DataFrame(
        [(p.code, i.period, i.amount_gbp) for p in network.cfg.programmes for i in p.investment],
        columns=["programme_code", "period", "amount_gbp"],
    )
    frames = [f for f in (reported[["programme_code", "period", "amount_gbp"]], configured) if not f.empty]
    if not frames:
        return configured
    return pd.concat(frames, ignore_index=True)


def programme_sroi_table(network: Network) -> pd.DataFrame:
    """Every programme's SROI per financial year and to date, in every scenario (``transforms.sroi``)."""
    rows = programme_measures(network)
    return programme_sroi(
        rows[rows["measure_code"] != network.cfg.sroi.investment_measure],
        programme_investment(network, rows),
        measure_assumptions(network.cfg),
        network.cfg.sroi.discount_rate,
    )


def sroi_assumptions(network: Network) -> pd.DataFrame:
    """The proxies and adjustments behind the ratios, for the report to print beside them."""
    return assumptions_table(
        measure_assumptions(network.cfg),
        network.cfg.sroi.discount_rate,
        network.cfg.sroi.discount_rate_source,
    )


def recruitment_kpi_rows(network: Network) -> pd.DataFrame:
    return recruitment_kpis(
        recruitment_offers(network),
        network.cfg.id,
        deprivation_lookup(network),
        population_reference(network),
    )


def programme_kpis(network: Network) -> pd.DataFrame:
    """The SROI and recruitment KPI rows to store in ``kpi_value`` beside the others."""
    frames = [sroi_kpis(programme_sroi_table(network)), recruitment_kpi_rows(network)]
    frames = [f for f in frames if not f.empty]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=KPI_COLUMNS)


def recruitment_hidden(
    network: Network,
    kpis: pd.DataFrame,
    published: pd.Series | None = None,
    issued: pd.DataFrame | None = None,
) -> pd.Series:
    """Which recruitment figures the report must show as "[c]" (the network's suppression threshold).

    ``published``: the figures the report shows (default ``report_publication``: the recruitment section's).
    ``issued``: the ledger of cells earlier reports issued (default: the warehouse's), so a figure an
    earlier report hid stays hidden and one it showed is never the complement (docs/disclosure-control.md).
    """
    shown = report_publication(kpis) if published is None else published
    ledger = queries.issued_people_cells(network.engine) if issued is None else issued
    return recruitment_suppressed(
        kpis, network.cfg.suppression_threshold, _sectors(network), shown, issued=ledger
    )


def programme_progress(network: Network, kpis: pd.DataFrame, period: str) -> dict[str, pd.DataFrame]:
    """Programme code -> progress against its targets at the end of ``period`` (hidden figures stay hidden)."""
    hidden = recruitment_hidden(network, kpis)
    return {
        p.code: programme_target_progress(p.targets, kpis, hidden, p.code, p.start, p.end, period)
        for p in network.cfg.programmes
        if p.targets
    }
