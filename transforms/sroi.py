"""Social return on investment (SROI) of a programme: "£X of social value for every £1 invested".

The standard SROI arithmetic (Social Value UK; Cabinet Office, *A guide to Social Return on Investment*):

- impact of a measure in a year = outcome x proxy x (1 - deadweight) x (1 - displacement) x (1 - attribution)
- the benefit lasts ``benefit_years``; in its year n it is worth impact x (1 - drop_off)^(n - 1), so
  drop-off applies each year after the first
- present value (PV) = sum over n of (year n value) / (1 + r)^n. Year 1 *is* discounted: the investment is
  made at the start of the year (time 0) and the benefit of a year is counted at its end, as in the SROI
  Guide's PV formula; ``r`` is the Green Book's 3.5% unless the network sets another rate
- SROI = PV / investment.

Each financial year is valued on its own (its outcomes from the start of that year, like its investment),
and "to date" adds the years up: PV to date = sum of the years' PVs, investment to date = sum of the
years' investment. Inputs are not discounted (they are spent in the period the ratio describes), so the
to-date ratio is the investment-weighted mean of the yearly ones and never depends on the order of
arrival.

Every adjustment has a low, central and high setting. The sensitivity range is always computed beside
the ratio: each adjustment at its low and at its high end with the others central, all at their low
ends, all at their high ends, and the two extremes (every adjustment at the end that lowers the ratio,
"cautious", and at the end that raises it, "generous"). The ratio falls as deadweight, attribution,
displacement and drop-off rise and rises with the benefit's duration, so cautious and generous bound every
other scenario: they are the range printed beside the ratio.

Pure: frames and dataclasses in, frames out; the config is turned into ``MeasureAssumptions`` by
``pipeline.programmes.measure_assumptions``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from transforms.kpi_registry import RATIO_UNIT, TO_DATE_SUFFIX
from transforms.periods import Period
from transforms.spend_kpis import KPI_COLUMNS

ADJUSTMENTS = ("deadweight", "attribution", "displacement", "drop_off", "benefit_years")
# The adjustments that lower the ratio as they rise (benefit_years raises it).
_LOWERING = ("deadweight", "attribution", "displacement", "drop_off")
SCENARIOS = (
    "central",
    *(f"{name}_{end}" for name in ADJUSTMENTS for end in ("low", "high")),
    "all_low",
    "all_high",
    "cautious",
    "generous",
)
PROGRAMME_TARGET_KPIS = ("sroi_ratio", "sroi_social_value_gbp", "sroi_investment_gbp")
TO_DATE = TO_DATE_SUFFIX


@dataclass(frozen=True)
class Adjustments:
    deadweight: float
    attribution: float
    displacement: float
    drop_off: float
    benefit_years: int


@dataclass(frozen=True)
class MeasureAssumptions:
    """A catalogue measure's proxy and its SROI adjustments at the low, central and high settings."""

    code: str
    name: str
    unit: str
    proxy_gbp: float
    proxy_source: str
    low: Adjustments
    central: Adjustments
    high: Adjustments
    sources: Mapping[str, str]  # adjustment -> where its figures come from


def impact(outcome: float, proxy_gbp: float, a: Adjustments) -> float:
    """The value of one year's outcome that the programme can claim, before projecting it forward."""
    return outcome * proxy_gbp * (1 - a.deadweight) * (1 - a.displacement) * (1 - a.attribution)


def benefit_by_year(value: float, a: Adjustments) -> list[float]:
    """Year 1, 2, ... ``benefit_years`` of a benefit: drop-off takes its share each year after the first."""
    return [value * (1 - a.drop_off) ** (n - 1) for n in range(1, a.benefit_years + 1)]


def present_value(by_year: Sequence[float], rate: float) -> float:
    """Sum of year n's value / (1 + rate)^n, years counted from 1 (the first year is discounted too)."""
    return float(sum(v / (1 + rate) ** n for n, v in enumerate(by_year, start=1)))


def scenario_adjustments(m: MeasureAssumptions, scenario: str) -> Adjustments:
    """The adjustments a scenario uses for one measure (see ``SCENARIOS``)."""
    if scenario == "central":
        return m.central
    if scenario in ("all_low", "all_high"):
        return m.low if scenario == "all_low" else m.high
    if scenario in ("cautious", "generous"):
        lowering_end, raising_end = (m.high, m.low) if scenario == "cautious" else (m.low, m.high)
        values = {name: getattr(lowering_end, name) for name in _LOWERING}
        return Adjustments(**values, benefit_years=raising_end.benefit_years)
    name, end = scenario.rsplit("_", 1)
    if name not in ADJUSTMENTS or end not in ("low", "high"):
        raise ValueError(f"unknown SROI scenario '{scenario}'; known: {', '.join(SCENARIOS)}")
    return replace(m.central, **{name: getattr(m.low if end == "low" else m.high, name)})


def measure_present_value(
    outcome: float, m: MeasureAssumptions, rate: float, scenario: str = "central"
) -> float:
    a = scenario_adjustments(m, scenario)
    return present_value(benefit_by_year(impact(outcome, m.proxy_gbp, a), a), rate)


def financial_year_of(period_key: str) -> str:
    return Period.parse(period_key).financial_year.key


def programme_sroi(
    outcomes: pd.DataFrame,
    investment: pd.DataFrame,
    assumptions: Mapping[str, MeasureAssumptions],
    rate: float,
) -> pd.DataFrame:
    """Social value, investment and SROI per programme, financial year and scenario, for the year and to date.

    ``outcomes``: programme_code, period (quarter or year), measure_code, value: figures members reported
    on rows naming the programme. Measures without a proxy and SROI settings are not valued.
    ``investment``: programme_code, period, amount_gbp (from returns and from the config).
    Returns programme_code, period (financial year), basis ("year" | "to_date"), scenario,
    social_value_gbp (present value), gross_value_gbp (outcome x proxy, not adjusted or discounted),
    investment_gbp and ratio (NaN when nothing was invested).
    """
    columns = [
        "programme_code",
        "period",
        "basis",
        "scenario",
        "social_value_gbp",
        "gross_value_gbp",
        "investment_gbp",
        "ratio",
    ]
    valued = outcomes[outcomes["measure_code"].isin(list(assumptions))]
    valued = valued.assign(
        year=valued["period"].map(financial_year_of), value=valued["value"].astype("float64")
    )
    money = investment.assign(
        year=investment["period"].map(financial_year_of),
        amount_gbp=investment["amount_gbp"].astype("float64"),
    )
    outcome_sums = valued.groupby(["programme_code", "year", "measure_code"], as_index=False)["value"].sum()
    spent = money.groupby(["programme_code", "year"])["amount_gbp"].sum()
    keys = sorted(
        set(zip(outcome_sums["programme_code"], outcome_sums["year"], strict=True)) | set(spent.index)
    )
    rows = []
    for programme, year in keys:
        mine = outcome_sums[(outcome_sums["programme_code"] == programme) & (outcome_sums["year"] == year)]
        gross = float(
            sum(
                v * assumptions[c].proxy_gbp for c, v in zip(mine["measure_code"], mine["value"], strict=True)
            )
        )
        for scenario in SCENARIOS:
            pv = sum(
                measure_present_value(v, assumptions[c], rate, scenario)
                for c, v in zip(mine["measure_code"], mine["value"], strict=True)
            )
            rows.append(
                (programme, year, "year", scenario, pv, gross, float(spent.get((programme, year), 0.0)))
            )
    yearly = pd.DataFrame(rows, columns=columns[:-1])
    frames = [yearly]
    for _, group in yearly.groupby(["programme_code", "scenario"], sort=False):
        group = group.sort_values("period")
        frames.append(
            group.assign(
                basis="to_date",
                social_value_gbp=group["social_value_gbp"].cumsum(),
                gross_value_gbp=group["gross_value_gbp"].cumsum(),
                investment_gbp=group["investment_gbp"].cumsum(),
            )
        )
    result = pd.concat(frames, ignore_index=True) if rows else pd.DataFrame(columns=columns[:-1])
    invested = result["investment_gbp"].astype("float64")
    result["ratio"] = (result["social_value_gbp"].astype("float64") / invested.where(invested > 0)).replace(
        [np.inf, -np.inf], np.nan
    )
    return result[columns].sort_values(["programme_code", "period", "basis", "scenario"], ignore_index=True)


def sroi_kpis(sroi: pd.DataFrame) -> pd.DataFrame:
    """The long KPI rows (scope "programme") a report prints: the ratio with its range beside it, always.

    ``sroi_ratio`` (central), ``sroi_ratio_low`` / ``sroi_ratio_high`` (the cautious and generous ends),
    ``sroi_ratio:<scenario>`` for every scenario, ``sroi_social_value_gbp`` (present value, central),
    ``sroi_gross_value_gbp`` and ``sroi_investment_gbp``; each again with ``_to_date`` for the programme so far.
    """
    if sroi.empty:
        return pd.DataFrame(columns=KPI_COLUMNS)
    frames = []
    for basis, suffix in (("year", ""), ("to_date", TO_DATE)):
        part = sroi[sroi["basis"] == basis]
        central = part[part["scenario"] == "central"]

        def rows(frame: pd.DataFrame, kpi: str | pd.Series, column: str, unit: str) -> pd.DataFrame:
            return pd.DataFrame(
                {
                    "kpi": kpi,
                    "scope": "programme",
                    "scope_id": frame["programme_code"],
                    "period": frame["period"],
                    "value": frame[column].astype("float64"),
                    "unit": unit,
                }
            )

        frames.append(rows(central, f"sroi_ratio{suffix}", "ratio", RATIO_UNIT))
        frames.append(rows(central, f"sroi_social_value_gbp{suffix}", "social_value_gbp", "GBP"))
        frames.append(rows(central, f"sroi_gross_value_gbp{suffix}", "gross_value_gbp", "GBP"))
        frames.append(rows(central, f"sroi_investment_gbp{suffix}", "investment_gbp", "GBP"))
        frames.append(rows(part, f"sroi_ratio{suffix}:" + part["scenario"], "ratio", RATIO_UNIT))
        bounds = part.groupby(["programme_code", "period"], as_index=False)["ratio"].agg(["min", "max"])
        frames.append(rows(bounds, f"sroi_ratio{suffix}_low", "min", RATIO_UNIT))
        frames.append(rows(bounds, f"sroi_ratio{suffix}_high", "max", RATIO_UNIT))
    result = pd.concat(frames, ignore_index=True)
    result["value"] = result["value"].round(6)
    return result[KPI_COLUMNS].sort_values(["period", "scope_id", "kpi"], ignore_index=True)


def assumptions_table(
    assumptions: Mapping[str, MeasureAssumptions], rate: float, rate_source: str
) -> pd.DataFrame:
    """The assumptions behind every ratio, as data a report prints beside it: one row per measure and setting."""
    rows = []
    for m in assumptions.values():
        rows.append(
            (m.code, m.name, m.unit, "proxy_gbp", m.proxy_gbp, m.proxy_gbp, m.proxy_gbp, m.proxy_source)
        )
        for name in ADJUSTMENTS:
            rows.append(
                (
                    m.code,
                    m.name,
                    m.unit,
                    name,
                    getattr(m.low, name),
                    getattr(m.central, name),
                    getattr(m.high, name),
                    m.sources.get(name, ""),
                )
            )
    rows.append((None, "All measures", None, "discount_rate", rate, rate, rate, rate_source))
    return pd.DataFrame(
        rows, columns=["measure_code", "measure", "unit", "assumption", "low", "central", "high", "source"]
    )
