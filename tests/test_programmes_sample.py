"""The sample network's two programmes end to end: the SROI ratio and the recruitment shares are recomputed
here from the raw files and the config text with ``csv``, ``tomllib`` and arithmetic only (none of the
pipeline's readers or KPI code), then compared with what ingest and the KPI step stored."""

from __future__ import annotations

import tomllib
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import select

from pipeline.config import EXAMPLE_CONFIG
from pipeline.network import Network
from pipeline.steps.ingest import ingest
from pipeline.steps.kpis import compute_kpis
from pipeline.steps.programmes import programme_progress, recruitment_hidden
from samples.network import DEFAULT_PERIODS, SampleManifest, generate_sample
from tests.conftest import standalone_network
from tests.programme_returns import (
    in_group,
    offers,
    reached_six_months,
    read_csv,
    social_value,
    sroi_inputs,
)
from warehouse.schema import kpi_value

LAST = DEFAULT_PERIODS[-1]  # 2026-27-Q2
RATE = 0.035


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> tuple[Network, SampleManifest, dict[str, bytes]]:
    directory = tmp_path_factory.mktemp("programmes")
    with standalone_network(directory) as (network, _):
        manifest = generate_sample(network.cfg, lines_per_file=5, staff_per_member=3)
        bucket = Path(network.cfg.bucket_url)
        raw = {str(p.relative_to(bucket)): p.read_bytes() for p in bucket.rglob("*") if p.is_file()}
        for entry in manifest.files:  # the programmes need only the measures and recruitment returns
            if entry.return_type in ("spend", "workforce"):
                network.bucket.remove(entry.path)
        outcomes = ingest(network)
        compute_kpis(network)
    assert {o["return_type"] for o in outcomes} == {"measures", "recruitment"}
    assert all(o["status"] == "accepted" for o in outcomes), [
        o for o in outcomes if o["status"] != "accepted"
    ]
    return network, manifest, raw


def _stored(network: Network, scope: str, scope_id: str, period: str) -> dict[str, float]:
    with network.engine.connect() as conn:
        rows = conn.execute(
            select(kpi_value.c.kpi, kpi_value.c.value).where(
                (kpi_value.c.scope == scope)
                & (kpi_value.c.scope_id == scope_id)
                & (kpi_value.c.period == period)
            )
        ).all()
    return dict(rows)


# -- SROI -------------------------------------------------------------------------------------------
def test_the_sroi_ratio_recomputed_from_the_raw_returns_and_the_config(sample) -> None:  # type: ignore[no-untyped-def]
    network, _, raw = sample
    config = tomllib.loads(EXAMPLE_CONFIG.read_text(encoding="utf-8"))
    assert config["sroi"]["discount_rate"] == RATE
    inputs = sroi_inputs(raw, config, "green-spaces")
    invested = inputs.invested
    years = sorted({year for year, _ in inputs.outcomes})
    assert years == ["2025-26", "2026-27"]
    assert sum(invested.values()) == pytest.approx(200_000)  # "about GBP 200k", as the example

    def value(year: str, scenario: str) -> float:
        return social_value(inputs, config, [year], scenario)

    for year in years:
        stored = _stored(network, "programme", "green-spaces", year)
        assert stored["sroi_investment_gbp"] == pytest.approx(invested[year])
        assert stored["sroi_ratio"] == pytest.approx(value(year, "central") / invested[year], rel=1e-6)
    stored = _stored(network, "programme", "green-spaces", years[-1])
    central = sum(value(y, "central") for y in years) / sum(invested.values())
    assert stored["sroi_ratio_to_date"] == pytest.approx(central, rel=1e-6)
    assert stored["sroi_ratio_to_date_low"] == pytest.approx(
        sum(value(y, "cautious") for y in years) / 200_000, rel=1e-6
    )
    assert stored["sroi_ratio_to_date_high"] == pytest.approx(
        sum(value(y, "generous") for y in years) / 200_000, rel=1e-6
    )
    assert stored["sroi_ratio_to_date_low"] < central < stored["sroi_ratio_to_date_high"]
    assert 1 < central < 10  # a plausible "GBP X of social value per GBP 1"


# -- recruitment ------------------------------------------------------------------------------------
def test_the_recruitment_shares_recomputed_from_the_raw_returns(sample) -> None:  # type: ignore[no-untyped-def]
    network, manifest, raw = sample
    deciles = {
        r["district"]: int(r["decile"]) for r in read_csv(raw[network.cfg.reference.deprivation_by_district])
    }
    bad = {(f.path, line) for f in manifest.files if f.return_type == "recruitment" for line, _ in f.bad_rows}
    assert len(bad) == 1  # the planted full postcode
    found = offers(raw, manifest.files, deciles)
    end = date(2026, 9, 30)
    mine = [o for o in found if o["programme"] == "inclusive-recruitment" and o["offer"] <= end]
    n = len(mine)
    assert 250 <= n <= 350  # "a few hundred offers over the year" from the trust and the council

    def share(dimension: str, group: str) -> float:
        return 100 * sum(1 for o in mine if in_group(o, dimension, group)) / n

    reached = reached_six_months(mine, end)
    expected = {
        "recruit_offers_to_date": n,
        "recruit_starts_to_date": sum(1 for o in mine if o["start"] is not None and o["start"] <= end),
        "recruit_offers_pct_to_date:unemployed:yes": share("unemployed", "yes"),
        "recruit_offers_pct_to_date:ethnicity:ethnic_minority": share("ethnicity", "ethnic_minority"),
        "recruit_offers_pct_to_date:ethnicity:white": share("ethnicity", "white"),
        "recruit_offers_pct_to_date:ethnicity:not_stated": share("ethnicity", "not_stated"),
        "recruit_offers_pct_to_date:age:18_24": share("age", "18_24"),
        "recruit_offers_pct_to_date:age:55_plus": share("age", "55_plus"),
        "recruit_offers_pct_to_date:disability:yes": share("disability", "yes"),
        "recruit_offers_pct_to_date:deprivation:deciles_1_2": share("deprivation", "deciles_1_2"),
        "recruit_retention_known_to_date": len(reached),
        "recruit_retained_6m_pct_to_date": 100 * sum(o["retained"] for o in reached) / len(reached),
    }
    stored = _stored(network, "programme", "inclusive-recruitment", LAST)
    for kpi, value in expected.items():
        assert stored[kpi] == pytest.approx(value, abs=1e-3), kpi
    # Offers per member and quarter, as the members' files count them.
    per_quarter = {
        (e.member_id, e.period): e.data_rows - len(e.bad_rows)
        for e in manifest.files
        if e.return_type == "recruitment"
    }
    assert len(per_quarter) == 8  # the trust and the council, four quarters each
    for (member, period), count in per_quarter.items():
        assert _stored(network, "member", member, period)["recruit_offers"] == count


def test_the_sample_programmes_headline_figures_are_publishable(sample) -> None:  # type: ignore[no-untyped-def]
    """Enough people behind each headline that none is hidden by the disclosure rules, and progress shows."""
    network, _, _ = sample
    with network.engine.connect() as conn:
        kpis = pd.DataFrame(conn.execute(select(kpi_value)).mappings().all())
    hidden = recruitment_hidden(network, kpis)
    shown = kpis[~hidden.to_numpy()]
    # The age bands themselves need not all show: the sample's few offers to people who did not give
    # their age are hidden, and the whole system of sums across quarters then hides bands beside them
    # (docs/disclosure-control.md); the summary groups, which add bands up, still show.
    headline = shown[
        (shown["scope"] == "programme")
        & (shown["scope_id"] == "inclusive-recruitment")
        & (shown["period"] == LAST)
    ]
    for kpi in (
        "recruit_offers_to_date",
        "recruit_offers_pct_to_date:ethnicity:ethnic_minority",
        "recruit_offers_pct_to_date:age:under_25",
        "recruit_offers_pct_to_date:age:55_plus",
        "recruit_offers_pct_to_date:disability:yes",
        "recruit_offers_pct_to_date:deprivation:deciles_1_2",
        "recruit_retained_6m_pct_to_date",
    ):
        assert kpi in set(headline["kpi"]), kpi
    progress = programme_progress(network, kpis, LAST)
    offers = progress["inclusive-recruitment"].set_index("kpi").loc["recruit_offers"]
    assert (
        offers["target"] == 300
        and offers["actual"] == headline.set_index("kpi").at["recruit_offers_to_date", "value"]
    )
    assert offers["status"] in ("on track", "at risk", "off track")
    assert progress["green-spaces"].set_index("kpi").at["sroi_ratio", "target"] == 3.0
