"""SROI arithmetic against worked examples derived by hand, and the sensitivity range beside every ratio."""

from __future__ import annotations

import pandas as pd
import pytest

from transforms.sroi import (
    SCENARIOS,
    Adjustments,
    MeasureAssumptions,
    assumptions_table,
    benefit_by_year,
    impact,
    measure_present_value,
    present_value,
    programme_sroi,
    scenario_adjustments,
    sroi_kpis,
)

RATE = 0.035
CENTRAL = Adjustments(deadweight=0.2, attribution=0.25, displacement=0.1, drop_off=0.5, benefit_years=3)
LOW = Adjustments(deadweight=0.1, attribution=0.15, displacement=0.0, drop_off=0.3, benefit_years=2)
HIGH = Adjustments(deadweight=0.3, attribution=0.35, displacement=0.2, drop_off=0.6, benefit_years=4)
TREES = MeasureAssumptions(
    code="trees",
    name="Trees planted",
    unit="trees",
    proxy_gbp=10.0,
    proxy_source="test proxy",
    low=LOW,
    central=CENTRAL,
    high=HIGH,
    sources={name: f"{name} source" for name in ("deadweight", "attribution", "displacement", "drop_off")},
)


def test_worked_example_by_hand() -> None:
    """100 trees at a GBP 10 proxy, deadweight 20%, displacement 10%, attribution 25%, drop-off 50%, 3 years, 3.5%.

    gross value      = 100 x 10                             = 1,000.00
    impact (year 1)  = 1,000 x (1-0.2) x (1-0.1) x (1-0.25)  =   540.00
    year 2           = 540 x (1-0.5)                        =   270.00
    year 3           = 270 x (1-0.5)                        =   135.00
    present value    = 540/1.035 + 270/1.035^2 + 135/1.035^3
                     = 521.74 + 252.05 + 121.76             =   895.55
    SROI on GBP 300  = 895.55 / 300                         =     2.99 (GBP 2.99 of social value per GBP 1)
    """
    assert impact(100, 10.0, CENTRAL) == pytest.approx(540.0)
    assert benefit_by_year(540.0, CENTRAL) == pytest.approx([540.0, 270.0, 135.0])
    assert present_value([540.0, 270.0, 135.0], RATE) == pytest.approx(895.55, abs=0.005)
    assert measure_present_value(100, TREES, RATE) == pytest.approx(895.55, abs=0.005)
    table = programme_sroi(
        pd.DataFrame(
            {"programme_code": ["p"], "period": ["2025-26-Q3"], "measure_code": ["trees"], "value": [100.0]}
        ),
        pd.DataFrame({"programme_code": ["p"], "period": ["2025-26"], "amount_gbp": [300.0]}),
        {"trees": TREES},
        RATE,
    )
    central = table[(table["scenario"] == "central") & (table["basis"] == "year")].iloc[0]
    assert central["period"] == "2025-26"
    assert central["gross_value_gbp"] == pytest.approx(1000.0)
    assert central["social_value_gbp"] == pytest.approx(895.55, abs=0.005)
    assert central["ratio"] == pytest.approx(2.985, abs=0.0005)


def test_year_one_is_discounted_and_a_zero_rate_just_adds_up() -> None:
    """At 0% the present value is the plain sum 540 + 270 + 135 = 945; at 3.5% year 1 alone is 540/1.035."""
    assert present_value([540.0, 270.0, 135.0], 0.0) == pytest.approx(945.0)
    assert present_value([540.0], RATE) == pytest.approx(540 / 1.035)


def test_each_adjustment_moves_only_itself_to_its_low_or_high_end() -> None:
    """Deadweight at its high end (30%): impact = 1,000 x 0.7 x 0.9 x 0.75 = 472.50, then 236.25 and 118.125;
    PV = 472.5/1.035 + 236.25/1.035^2 + 118.125/1.035^3 = 783.61."""
    assert scenario_adjustments(TREES, "deadweight_high") == Adjustments(0.3, 0.25, 0.1, 0.5, 3)
    assert scenario_adjustments(TREES, "benefit_years_low") == Adjustments(0.2, 0.25, 0.1, 0.5, 2)
    assert measure_present_value(100, TREES, RATE, "deadweight_high") == pytest.approx(783.61, abs=0.005)
    # The two extremes: every adjustment at the end that lowers (raises) the ratio, duration included.
    assert scenario_adjustments(TREES, "cautious") == Adjustments(0.3, 0.35, 0.2, 0.6, 2)
    assert scenario_adjustments(TREES, "generous") == Adjustments(0.1, 0.15, 0.0, 0.3, 4)
    assert scenario_adjustments(TREES, "all_low") == LOW and scenario_adjustments(TREES, "all_high") == HIGH
    with pytest.raises(ValueError, match="unknown SROI scenario"):
        scenario_adjustments(TREES, "optimism_high")


def test_cautious_and_generous_bound_every_scenario() -> None:
    values = {s: measure_present_value(100, TREES, RATE, s) for s in SCENARIOS}
    assert (
        min(values.values())
        == values["cautious"]
        < values["central"]
        < values["generous"]
        == max(values.values())
    )
    # Cautious by hand: 1,000 x 0.7 x 0.8 x 0.65 = 364; then 145.6; PV = 364/1.035 + 145.6/1.035^2.
    assert values["cautious"] == pytest.approx(364 / 1.035 + 145.6 / 1.035**2)


def test_years_are_valued_separately_and_add_up_to_date() -> None:
    """2025-26: 100 trees, GBP 300 (config) + GBP 100 (a quarter's return) = GBP 400 invested.
    2026-27: 50 trees (two quarters), GBP 200 invested. Each year's 100 trees are worth 895.55 (above), so
    50 are worth 447.77. To date at 2026-27: (895.55 + 447.77) / (400 + 200) = 2.239."""
    outcomes = pd.DataFrame(
        {
            "programme_code": ["p", "p", "p"],
            "period": ["2025-26-Q4", "2026-27-Q1", "2026-27-Q2"],
            "measure_code": ["trees", "trees", "trees"],
            "value": [100.0, 20.0, 30.0],
        }
    )
    investment = pd.DataFrame(
        {
            "programme_code": ["p", "p", "p"],
            "period": ["2025-26", "2025-26-Q4", "2026-27-Q1"],
            "amount_gbp": [300.0, 100.0, 200.0],
        }
    )
    table = programme_sroi(outcomes, investment, {"trees": TREES}, RATE)
    central = table[table["scenario"] == "central"].set_index(["period", "basis"])
    assert central.loc[("2025-26", "year"), "ratio"] == pytest.approx(895.5493 / 400, abs=1e-4)
    assert central.loc[("2026-27", "year"), "social_value_gbp"] == pytest.approx(895.5493 / 2, abs=1e-3)
    assert central.loc[("2026-27", "to_date"), "investment_gbp"] == pytest.approx(600.0)
    assert central.loc[("2026-27", "to_date"), "ratio"] == pytest.approx((895.5493 * 1.5) / 600, abs=1e-4)
    assert central.loc[("2025-26", "to_date"), "ratio"] == central.loc[("2025-26", "year"), "ratio"]


def test_measures_without_assumptions_are_not_valued_and_no_investment_gives_no_ratio() -> None:
    outcomes = pd.DataFrame(
        {
            "programme_code": ["p", "p"],
            "period": ["2025-26-Q3"] * 2,
            "measure_code": ["trees", "mentors"],
            "value": [100.0, 9.0],
        }
    )
    table = programme_sroi(
        outcomes, pd.DataFrame(columns=["programme_code", "period", "amount_gbp"]), {"trees": TREES}, RATE
    )
    central = table[(table["scenario"] == "central") & (table["basis"] == "year")].iloc[0]
    assert central["gross_value_gbp"] == pytest.approx(1000.0)  # the mentors have no proxy
    assert central["investment_gbp"] == 0 and pd.isna(central["ratio"])


def test_kpi_rows_always_carry_the_range_beside_the_ratio() -> None:
    outcomes = pd.DataFrame(
        {"programme_code": ["p"], "period": ["2025-26-Q3"], "measure_code": ["trees"], "value": [100.0]}
    )
    investment = pd.DataFrame({"programme_code": ["p"], "period": ["2025-26"], "amount_gbp": [300.0]})
    kpis = sroi_kpis(programme_sroi(outcomes, investment, {"trees": TREES}, RATE))
    values = kpis.set_index("kpi")["value"]
    assert set(kpis["scope"]) == {"programme"} and set(kpis["period"]) == {"2025-26"}
    for suffix in ("", "_to_date"):
        ratio, low, high = (values[f"sroi_ratio{suffix}{end}"] for end in ("", "_low", "_high"))
        assert low < ratio < high
        assert low == pytest.approx(values[f"sroi_ratio{suffix}:cautious"])
        assert high == pytest.approx(values[f"sroi_ratio{suffix}:generous"])
        assert ratio == pytest.approx(895.5493 / 300, abs=1e-4)
    assert values["sroi_investment_gbp"] == 300 and values["sroi_gross_value_gbp"] == 1000
    assert (kpis["kpi"].str.len() <= 60).all()  # kpi_value.kpi is String(60)


def test_assumptions_are_data_the_report_can_print() -> None:
    table = assumptions_table({"trees": TREES}, RATE, "HM Treasury Green Book")
    rows = table.set_index(["measure_code", "assumption"])
    assert rows.loc[("trees", "deadweight"), ["low", "central", "high"]].tolist() == [0.1, 0.2, 0.3]
    assert rows.loc[("trees", "deadweight"), "source"] == "deadweight source"
    assert rows.loc[("trees", "proxy_gbp"), "source"] == "test proxy"
    discount = table[table["assumption"] == "discount_rate"].iloc[0]
    assert discount["central"] == RATE and discount["source"] == "HM Treasury Green Book"
