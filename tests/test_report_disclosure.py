"""Disclosure control when the report is built: the year-to-date rule, and hidden values leaving the model."""

from __future__ import annotations

import pandas as pd
import pytest

from reports import KpiFigure, TrendPoint
from reports.disclosure import (
    Figures,
    hidden_before,
    public_figure,
    public_trend,
    public_workforce_member,
)
from tests.report_samples import KCL_HIDDEN, WORKFORCE_MEMBERS

THRESHOLD = 5


def _frame(uplifts: dict[str, int]) -> pd.DataFrame:
    """The network's uplifts per quarter of 2025-26 and, as the KPI step stores them, the year to date."""
    rows, so_far = [], 0
    for quarter, count in uplifts.items():
        so_far += count
        rows += [("lw_uplifts", quarter, count), ("lw_uplifts_ytd", quarter, so_far)]
    rows.append(("lw_uplifts", "2025-26", so_far))
    return pd.DataFrame(
        [
            {"kpi": k, "scope": "network", "scope_id": "net", "period": p, "value": float(v)}
            for k, p, v in rows
        ]
    )


def test_a_quarters_year_to_date_is_hidden_with_any_quarter_it_adds_up() -> None:
    # Q1's 3 uplifts are hidden; Q2's 10 are not, but Q1 + Q2 = 13 would give Q1 back as 13 - 10.
    figures = Figures(_frame({"2025-26-Q1": 3, "2025-26-Q2": 10, "2025-26-Q3": 8}), THRESHOLD)
    q1 = figures.figure("lw_uplifts", "net", "2025-26-Q1", "2024-25-Q4")
    assert q1.suppressed and q1.year_to_date_suppressed
    q2 = figures.figure("lw_uplifts", "net", "2025-26-Q2", "2025-26-Q1")
    assert (q2.value, q2.previous, q2.suppressed) == (10, 3, False)
    assert q2.year_to_date == 3 + 10 and q2.year_to_date_suppressed
    assert figures.figure("lw_uplifts", "net", "2025-26-Q3", "2025-26-Q2").year_to_date_suppressed
    year = figures.figure("lw_uplifts", "net", "2025-26", "2024-25")
    assert year.year_to_date is None and not year.year_to_date_suppressed  # a year is its own total


def test_a_year_to_date_is_shown_when_no_quarter_in_it_is_hidden() -> None:
    figures = Figures(_frame({"2025-26-Q1": 6, "2025-26-Q2": 10}), THRESHOLD)
    q2 = figures.figure("lw_uplifts", "net", "2025-26-Q2", "2025-26-Q1")
    assert q2.year_to_date == 16 and not q2.year_to_date_suppressed


@pytest.mark.parametrize("value", [0, THRESHOLD])
def test_zero_people_and_the_threshold_itself_are_shown(value: int) -> None:
    figures = Figures(_frame({"2025-26-Q1": value}), THRESHOLD)
    assert not figures.figure("lw_uplifts", "net", "2025-26-Q1", "2024-25-Q4").suppressed


def test_hidden_values_leave_the_model_before_the_page_is_made() -> None:
    hidden = public_figure(KpiFigure("lw_uplifts", 4, previous=7, suppressed=True))
    assert (hidden.value, hidden.previous, hidden.suppressed) == (None, None, True)
    shown = KpiFigure("lw_uplifts", 40, previous=7)
    assert public_figure(shown) == shown

    kcl = next(m for m in WORKFORCE_MEMBERS if m.member_id == "kcl")
    public = public_workforce_member(kcl)
    for field in KCL_HIDDEN.split():
        assert getattr(kcl, field) is not None and getattr(public, field) is None, field
    assert (public.staff_direct, public.name, public.submitted) == (kcl.staff_direct, kcl.name, True)


def test_a_code_hidden_now_or_last_period_is_hidden_in_the_trend() -> None:
    trend = [
        TrendPoint("2025-26-Q1", {"lw_uplifts": 4, "apprentices": 50}, frozenset({"lw_uplifts"})),
        TrendPoint("2025-26-Q2", {"lw_uplifts": 3, "apprentices": 55}),
    ]
    public = public_trend(trend, "2025-26-Q2", frozenset({"lw_uplifts"}))
    assert [p.values["lw_uplifts"] for p in public] == [None, None]
    assert [p.values["apprentices"] for p in public] == [50, 55]
    assert all("lw_uplifts" in p.suppressed for p in public)
    assert hidden_before(trend, "2025-26-Q2") == {"lw_uplifts"}
    assert hidden_before(trend, "2025-26-Q1") == frozenset()
