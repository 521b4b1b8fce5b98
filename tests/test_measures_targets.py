"""Measure sums, social value and target progress against hand-computed figures."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from transforms.measures import measure_kpis
from transforms.targets import STATUS_RULE, status, target_progress

CATALOGUE = pd.DataFrame(
    [
        {
            "code": "mentors_matched",
            "unit": "people",
            "theme": "jobs_and_skills",
            "proxy_gbp_per_unit": 1000.0,
        },
        {"code": "co2e_saved_t", "unit": "tCO2e", "theme": "environment", "proxy_gbp_per_unit": 250.0},
        {"code": "good_work_level", "unit": "level", "theme": "good_work", "proxy_gbp_per_unit": math.nan},
    ]
)


def _measures(rows: list[tuple[str, str, str, str, float]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["member_id", "sector", "period", "measure_code", "value"])


def _get(frame: pd.DataFrame, kpi: str, scope_id: str, period: str) -> float:
    [value] = frame[(frame.kpi == kpi) & (frame.scope_id == scope_id) & (frame.period == period)]["value"]
    return value


def test_measure_sums_and_social_value_by_theme() -> None:
    result = measure_kpis(
        _measures(
            [
                ("m1", "nhs", "2025-26-Q1", "mentors_matched", 3),
                ("m2", "nhs", "2025-26-Q1", "mentors_matched", 4),
                ("m1", "nhs", "2025-26-Q1", "co2e_saved_t", 10.5),
                ("m2", "nhs", "2025-26-Q2", "co2e_saved_t", 2),
                ("m2", "nhs", "2025-26-Q2", "good_work_level", 3),
            ]
        ),
        CATALOGUE,
        "net",
    )
    assert _get(result, "measure:mentors_matched", "net", "2025-26-Q1") == 7
    assert _get(result, "social_value_gbp", "net", "2025-26-Q1") == 7 * 1000 + 10.5 * 250
    assert _get(result, "social_value_gbp:environment", "m1", "2025-26-Q1") == 10.5 * 250
    assert _get(result, "social_value_gbp", "m2", "2025-26-Q2") == 500  # good work level has no proxy
    assert _get(result, "measure:co2e_saved_t", "net", "2025-26") == 12.5  # year to date adds the quarters
    assert _get(result, "social_value_gbp", "nhs", "2025-26") == 7000 + 12.5 * 250
    assert set(result[result.kpi == "measure:co2e_saved_t"]["unit"]) == {"tCO2e"}


KPIS = pd.DataFrame(
    [
        # spend adds up over the year; the share does not
        ("spend_local", "network", "net", "2025-26-Q1", 400.0, "GBP"),
        ("spend_local", "network", "net", "2025-26-Q2", 300.0, "GBP"),
        ("spend_local", "network", "net", "2025-26", 700.0, "GBP"),
        ("spend_small_or_diverse_pct", "network", "net", "2025-26", 28.0, "%"),
        ("spend_small_or_diverse_pct", "network", "net", "2025-26-Q2", 31.0, "%"),
        ("lw_uplifts", "member", "m1", "2025-26", 40.0, "count"),
    ],
    columns=["kpi", "scope", "scope_id", "period", "value", "unit"],
)


def _targets(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["kpi", "scope", "scope_id", "period", "target", "direction"])


def test_year_targets_use_a_straight_line_path_for_figures_that_add_up() -> None:
    progress = target_progress(
        _targets(
            [
                ("spend_local", "network", "net", "2025-26", 1400.0, "higher"),  # path at Q2: 700 -> on track
                (
                    "spend_small_or_diverse_pct",
                    "network",
                    "net",
                    "2025-26",
                    30.0,
                    "higher",
                ),  # share: path is 30 -> at risk
                ("lw_uplifts", "member", "m1", "2025-26", 100.0, "higher"),  # path 50, actual 40 -> off track
                (
                    "spend_small_or_diverse_pct",
                    "network",
                    "net",
                    "2025-26-Q2",
                    30.0,
                    "higher",
                ),  # the quarter itself
                ("spend_local", "network", "net", "2024-25", 1.0, "higher"),  # another year: not shown
            ]
        ),
        KPIS,
        "2025-26-Q2",
    ).set_index(["kpi", "scope_id", "period"])
    assert len(progress) == 4
    year_spend = progress.loc[("spend_local", "net", "2025-26")]
    assert (year_spend.expected_to_date, year_spend.progress_pct, year_spend.status) == (
        700.0,
        50.0,
        "on track",
    )
    assert progress.loc[("spend_small_or_diverse_pct", "net", "2025-26")].status == "at risk"
    assert progress.loc[("spend_small_or_diverse_pct", "net", "2025-26-Q2")].status == "on track"
    assert progress.loc[("lw_uplifts", "m1", "2025-26")].status == "off track"


@pytest.mark.parametrize(
    ("actual", "expected", "direction", "band"),
    [
        (100.0, 100.0, "higher", "on track"),
        (90.0001, 100.0, "higher", "at risk"),
        (90.0, 100.0, "higher", "off track"),
        (110.0, 100.0, "lower", "off track"),
        (109.99, 100.0, "lower", "at risk"),
        (100.0, 100.0, "lower", "on track"),
        (float("nan"), 100.0, "higher", "no data"),
    ],
)
def test_status_bands_at_their_boundaries(actual: float, expected: float, direction: str, band: str) -> None:
    assert status(actual, expected, direction) == band


def test_missing_figure_reads_no_data_and_the_rule_is_stated() -> None:
    progress = target_progress(
        _targets([("apprentice_starts", "network", "net", "2025-26-Q2", 10.0, "higher")]), KPIS, "2025-26-Q2"
    )
    assert progress["status"].tolist() == ["no data"]
    assert "10%" in STATUS_RULE and "straight line" in STATUS_RULE


def test_a_level_measure_is_never_summed_across_members_or_quarters() -> None:
    """The Good Work Standard level: each member's own level, a year its latest quarter's, no network sum."""
    reported = [
        ("m1", "nhs", "2025-26-Q1", "good_work_level", 1),
        ("m1", "nhs", "2025-26-Q2", "good_work_level", 2),
        ("m2", "nhs", "2025-26-Q1", "good_work_level", 2),
        ("m2", "nhs", "2025-26-Q2", "good_work_level", 0),
        ("m3", "council", "2025-26-Q1", "good_work_level", 1),
        ("m1", "nhs", "2025-26-Q1", "mentors_matched", 3),
    ]
    result = measure_kpis(_measures(reported), CATALOGUE, "net")
    levels = result[result.kpi == "measure:good_work_level"]
    assert set(levels["scope"]) == {"member"}  # no network or sector figure: summed levels mean nothing
    latest = {}
    for member, _, period, _, value in sorted(reported[:5], key=lambda r: r[2]):
        latest[member] = value
        assert _get(result, "measure:good_work_level", member, period) == value
    for member, value in latest.items():
        assert _get(result, "measure:good_work_level", member, "2025-26") == value
    assert len(levels) == 5 + len(latest)
    # Other measures still add up, and a level carries no social value.
    assert _get(result, "measure:mentors_matched", "net", "2025-26") == 3
    assert _get(result, "social_value_gbp", "m1", "2025-26-Q1") == 3000


def test_the_registry_never_treats_a_level_as_a_flow() -> None:
    from types import SimpleNamespace

    from transforms.kpi_registry import lookup

    catalogue = [
        SimpleNamespace(code=m["code"], name=m["code"], unit=m["unit"]) for m in CATALOGUE.to_dict("records")
    ]
    assert lookup("measure:mentors_matched", catalogue).flow
    level = lookup("measure:good_work_level", catalogue)
    assert not level.flow and not level.to_date and "never added up" in level.definition
