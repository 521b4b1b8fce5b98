"""Financial year to date at the end of each quarter, on hand-built figures."""

from __future__ import annotations

import pandas as pd
import pytest

from transforms.spend_kpis import spend_kpis_to_date
from transforms.workforce_kpis import WORKFORCE_FLOWS
from transforms.year_to_date import flows_to_date, quarters_to_date

AMOUNTS = ["total", "sme", "unknown_size", "local", "local_sme", "vcse", "diverse", "small_or_diverse"]


def _classified(rows: list[tuple[str, str, float, float]]) -> pd.DataFrame:
    """(member, period, total, sme) rows; the other amount columns are zero."""
    frame = pd.DataFrame(rows, columns=["member_id", "period", "total", "sme"])
    frame["sector"] = "nhs"
    for column in AMOUNTS:
        if column not in frame:
            frame[column] = 0.0
    return frame[["member_id", "sector", "period", *AMOUNTS]]


def test_each_quarter_gathers_the_quarters_of_its_year_so_far() -> None:
    rows = pd.DataFrame(
        {"period": ["2025-26-Q4", "2026-27-Q1", "2026-27-Q2", "2026-27", "2026-27-Q4"], "n": [1, 2, 3, 99, 4]}
    )
    gathered = quarters_to_date(rows).groupby("period")["n"].apply(sorted).to_dict()
    assert gathered == {
        "2025-26-Q4": [1],  # the year before: not added to 2026-27
        "2026-27-Q1": [2],
        "2026-27-Q2": [2, 3],
        "2026-27-Q4": [2, 3, 4],  # a missing Q3 adds nothing; year rows (99) are not quarters
    }


def test_spend_to_date_adds_amounts_and_recomputes_shares() -> None:
    classified = _classified(
        [
            ("a", "2026-27-Q1", 1000.0, 500.0),
            ("b", "2026-27-Q1", 3000.0, 0.0),
            ("a", "2026-27-Q2", 4000.0, 3500.0),
        ]
    )
    values = spend_kpis_to_date(classified, "net").set_index(["kpi", "period"])["value"]
    assert values[("spend_total_ytd", "2026-27-Q1")] == 4000.0
    assert values[("spend_total_ytd", "2026-27-Q2")] == 8000.0
    # 4,000 of 8,000 with SMEs: 50%, not the mean of the quarters' shares (12.5% and 87.5%)
    assert values[("spend_sme_pct_ytd", "2026-27-Q2")] == pytest.approx(50.0)
    assert set(spend_kpis_to_date(classified, "net")["scope"]) == {"network"}


def test_a_later_quarter_does_not_change_an_earlier_quarters_year_to_date() -> None:
    early = _classified([("a", "2026-27-Q1", 100.0, 0.0), ("a", "2026-27-Q2", 200.0, 0.0)])
    later = pd.concat([early, _classified([("a", "2026-27-Q3", 5000.0, 0.0)])], ignore_index=True)

    def q2(frame: pd.DataFrame) -> float:
        values = spend_kpis_to_date(frame, "net").set_index(["kpi", "period"])["value"]
        return float(values[("spend_total_ytd", "2026-27-Q2")])

    assert q2(early) == q2(later) == 300.0


def test_workforce_flows_add_up_and_stocks_are_left_out() -> None:
    kpis = pd.DataFrame(
        [
            ("lw_uplifts", "2026-27-Q1", 3.0, "count"),
            ("lw_uplifts", "2026-27-Q2", 4.0, "count"),
            ("lw_uplift_annual_gbp", "2026-27-Q2", 1200.5, "GBP"),
            ("apprentice_starts", "2026-27-Q1", None, "count"),
            ("apprentice_starts", "2026-27-Q2", 2.0, "count"),
            ("staff", "2026-27-Q2", 900.0, "count"),  # a stock: a head count does not add up over a year
        ],
        columns=["kpi", "period", "value", "unit"],
    ).assign(scope="network", scope_id="net")
    values = flows_to_date(kpis, WORKFORCE_FLOWS).set_index(["kpi", "period"])["value"]
    assert values[("lw_uplifts_ytd", "2026-27-Q2")] == 7.0
    assert values[("lw_uplift_annual_gbp_ytd", "2026-27-Q2")] == 1200.5
    assert pd.isna(values[("apprentice_starts_ytd", "2026-27-Q1")])  # no data stays no data
    assert values[("apprentice_starts_ytd", "2026-27-Q2")] == 2.0
    assert not any(k.startswith("staff") for k, _ in values.index)
