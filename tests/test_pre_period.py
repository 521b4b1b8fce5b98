"""Payments dated shortly before the period: accepted in the return's period with one warning.

The period is 2025-26 Q2 (1 July - 30 September 2025). With the default window of 92 days the first
accepted date is 1 July less 92 days: 31 March 2025. After the period's end, or before the window,
a payment is rejected as it always was; ``pre_period_days = "reject"`` turns the window off.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from pydantic import ValidationError

from pipeline.config import EXAMPLE_CONFIG, Ingest, load_config
from pipeline.steps.checking import NetworkRules, ReturnCheck, check_return, network_rules
from tests.test_checking import assert_accounting
from transforms.periods import Period
from transforms.pre_period import PRE_PERIOD_DAYS, earliest_payment_date
from transforms.return_types import SPEND

PERIOD = Period.parse("2025-26-Q2")
HEADER = "Payment Date,Supplier Name,Amount,Transaction ID"


def _file(dates: list[date]) -> bytes:
    lines = [f"{d:%d/%m/%Y},Supplier {i} Ltd,{100 + i}.00,T{i}" for i, d in enumerate(dates)]
    return ("\n".join([HEADER, *lines]) + "\n").encode()


def check(
    dates: list[date], pre_period_days: int | str = PRE_PERIOD_DAYS, tolerance: float = 0.5
) -> ReturnCheck:
    rules = NetworkRules(pre_period_days=pre_period_days)  # type: ignore[arg-type]
    result = check_return(_file(dates), "spend.csv", SPEND, PERIOD, tolerance=tolerance, rules=rules)
    assert_accounting(result)
    return result


IN_PERIOD = [date(2025, 7, 1) + timedelta(days=3 * i) for i in range(30)]


def test_the_window_starts_92_days_before_the_period_by_default() -> None:
    assert earliest_payment_date(PERIOD, PRE_PERIOD_DAYS) == date(2025, 3, 31)
    assert earliest_payment_date(PERIOD, "reject") == PERIOD.start
    assert earliest_payment_date(PERIOD, 30) == date(2025, 6, 1)


def test_payments_just_before_the_period_are_accepted_with_one_warning_that_counts_them() -> None:
    early = [date(2025, 6, 30), date(2025, 6, 2), date(2025, 3, 31)]  # the last is the window's first day
    result = check([*early, *IN_PERIOD])
    assert result.status == "accepted"
    assert result.problems.empty
    assert result.rows_accepted == 33
    assert result.accepted_total_gbp == sum(100 + i for i in range(33))
    [warning] = result.warnings.to_dict("records")
    assert warning["rule"] == "payment_date:before_period"
    assert warning["row"] == 2 and warning["value"] == "3 rows"
    assert warning["reason"].startswith(
        "3 payments are dated 31/03/2025 to 30/06/2025, before the period starts on 01/07/2025"
    )
    assert "(rows 2, 3, 4)" in warning["reason"] and "2025-26-Q2" in warning["reason"]


def test_a_payment_older_than_the_window_or_after_the_end_is_rejected_as_today() -> None:
    result = check([date(2025, 3, 30), date(2025, 10, 1), date(2025, 6, 30), *IN_PERIOD])
    assert result.status == "accepted"
    assert result.problems[["row", "column", "value"]].to_dict("records") == [
        {"row": 2, "column": "payment_date", "value": "30/03/2025"},
        {"row": 3, "column": "payment_date", "value": "01/10/2025"},
    ]
    assert all("92 days before the period are accepted too" in r for r in result.problems["reason"])
    assert result.warnings["value"].tolist() == ["1 row"]  # only 30 June


def test_reject_turns_the_window_off() -> None:
    result = check([date(2025, 6, 30), *IN_PERIOD], pre_period_days="reject")
    assert result.problems[["row", "value"]].to_dict("records") == [{"row": 2, "value": "30/06/2025"}]
    assert "days before" not in result.problems.loc[0, "reason"]
    assert result.warnings.empty


def test_a_shorter_window_from_the_network() -> None:
    result = check([date(2025, 6, 1), date(2025, 5, 31), *IN_PERIOD], pre_period_days=30)
    assert result.problems["row"].tolist() == [3]
    assert "30 days before" in result.problems.loc[0, "reason"]
    assert result.warnings.loc[0, "value"] == "1 row"


def test_without_early_payments_there_is_no_warning() -> None:
    assert check(IN_PERIOD).warnings.empty


def test_the_network_config_sets_the_window() -> None:
    assert Ingest().pre_period_days == 92
    assert Ingest(pre_period_days="reject").pre_period_days == "reject"
    assert Ingest(pre_period_days=45).pre_period_days == 45
    for wrong in (-1, 400, "never"):
        with pytest.raises(ValidationError):
            Ingest(pre_period_days=wrong)
    cfg = load_config(EXAMPLE_CONFIG)
    configured = cfg.model_copy(update={"ingest": Ingest(pre_period_days=10)})
    assert network_rules(configured, "spend").pre_period_days == 10
    assert network_rules(configured, "measures").pre_period_days == 10
    assert network_rules(cfg, "spend").pre_period_days == 92
