"""Payments dated shortly before the period: approved late, exported with the next month, accepted.

Real monthly exports at a quarter's start carry about a fifth of their rows from the month before;
rejecting each as out of period held a third of a council's files back whole. Such a payment is
accepted in the return's period, within a window the network sets (``[ingest] pre_period_days``,
92 days by default, or "reject" for none), and the member gets one warning that counts them. A
payment after the period's end, or older than the window, is still rejected by the content rules:
the window's start is the lower bound of the payment-date rule in ``expectations/spend.json``.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Literal

import pandas as pd

from transforms.coercion import PROBLEM_COLUMNS
from transforms.periods import Period

PRE_PERIOD_DAYS = 92
PrePeriodDays = int | Literal["reject"]
_EXAMPLE_ROWS = 5


def window_days(pre_period_days: PrePeriodDays) -> int:
    return 0 if pre_period_days == "reject" else int(pre_period_days)


def earliest_payment_date(period: Period, pre_period_days: PrePeriodDays) -> date:
    """The first payment date a return for ``period`` accepts."""
    return period.start - timedelta(days=window_days(pre_period_days))


def window_note(pre_period_days: PrePeriodDays) -> str:
    """What the out-of-period reason adds about the window, so the member knows where the line is."""
    days = window_days(pre_period_days)
    return f" (payments dated up to {days} days before the period are accepted too)" if days else ""


def early_payments_warning(accepted: pd.DataFrame, period: Period) -> pd.DataFrame:
    """One warning (row, column, value, reason, rule) counting the accepted payments dated before the period.

    The rows were loaded; the warning is there so the member can check none of them was already sent in
    the return for the period before.
    """
    if accepted.empty or "payment_date" not in accepted.columns:
        return pd.DataFrame(columns=PROBLEM_COLUMNS)
    dates = pd.to_datetime(accepted["payment_date"])
    early = dates[dates < pd.Timestamp(period.start)]
    if early.empty:
        return pd.DataFrame(columns=PROBLEM_COLUMNS)
    rows = [int(r) for r in early.index]
    shown = ", ".join(map(str, rows[:_EXAMPLE_ROWS])) + (
        f" and {len(rows) - _EXAMPLE_ROWS} more" if len(rows) > _EXAMPLE_ROWS else ""
    )
    payments = "payment is" if len(rows) == 1 else "payments are"
    first, last = early.min().strftime("%d/%m/%Y"), early.max().strftime("%d/%m/%Y")
    dated = f"dated {first}" if first == last else f"dated {first} to {last}"
    reason = (
        f"{len(rows)} {payments} {dated}, before the period starts on {period.start:%d/%m/%Y} (row"
        f"{'s' if len(rows) > 1 else ''} {shown}). Payments approved late are accepted and were loaded in "
        f"this return's period ({period.key}); if any of them was already sent in an earlier return, tell us "
        "so it is not counted twice."
    )
    return pd.DataFrame(
        {
            "row": [rows[0]],
            "column": ["payment_date"],
            "value": [f"{len(rows)} row{'s' if len(rows) > 1 else ''}"],
            "reason": [reason],
            "rule": ["payment_date:before_period"],
        }
    )
