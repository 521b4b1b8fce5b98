"""Recruitment counts under the same disclosure control as every other count of people: the boundary,
and the ledger of cells earlier reports issued (``docs/disclosure-control.md``)."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from tests.test_recruitment_kpis import offers_of
from transforms.recruitment_kpis import recruitment_kpis, recruitment_suppressed, report_publication

THRESHOLD = 5
SECTORS = {"trust": "nhs", "council": "local_government"}  # as offers_of gives them
LEDGER_COLUMNS = ["kpi", "scope", "scope_id", "period", "value", "hidden"]


def _offers(*batches: tuple[int, date, str]) -> pd.DataFrame:
    """``(n, offer date, member)`` -> n offers alike but for their date and member."""
    return offers_of(*((n, {"offer_date": day, "member_id": member}) for n, day, member in batches))


def _hidden(kpis: pd.DataFrame, issued: pd.DataFrame | None = None) -> set[tuple[str, str, str, str]]:
    flags = recruitment_suppressed(kpis, THRESHOLD, SECTORS, report_publication(kpis), issued=issued)
    keys = zip(kpis["kpi"], kpis["scope"], kpis["scope_id"], kpis["period"], strict=True)
    return {key for key, flag in zip(keys, flags, strict=True) if flag}


@pytest.mark.parametrize(("offers", "hidden"), [(THRESHOLD, False), (THRESHOLD - 1, True)])
def test_a_quarter_of_exactly_the_threshold_is_shown_and_one_fewer_hidden(offers: int, hidden: bool) -> None:
    kpis = recruitment_kpis(_offers((offers, date(2025, 7, 10), "trust")), "net")
    found = _hidden(kpis)
    for scope, scope_id in (("network", "net"), ("member", "trust"), ("sector", "nhs")):
        assert ((("recruit_offers", scope, scope_id, "2025-26-Q2")) in found) is hidden
    assert (("recruit_offers_to_date", "network", "net", "2025-26-Q2") in found) is hidden


Q1, Q2, YEAR = "2025-26-Q1", "2025-26-Q2", "2025-26"


def _two_quarters() -> pd.DataFrame:
    """The council: 6 offers in Q1 (issued earlier, shown) and 3 in Q2 (to hide now)."""
    return recruitment_kpis(
        _offers((6, date(2025, 5, 10), "council"), (3, date(2025, 8, 10), "council")), "net"
    )


def test_a_recruitment_figure_an_earlier_report_showed_is_never_the_complement() -> None:
    kpis = _two_quarters()
    q1 = [
        ("recruit_offers", scope, scope_id, Q1)
        for scope, scope_id in (("network", "net"), ("member", "council"))
    ]
    unaware = _hidden(kpis)
    # Unaware of the ledger, Q1's 6 is the smallest figure in "year = Q1 + Q2": the complement of Q2's 3.
    assert set(q1) <= unaware and ("recruit_offers", "network", "net", Q2) in unaware
    issued = pd.DataFrame([(*cell, 6.0, False) for cell in q1], columns=LEDGER_COLUMNS)
    weighed = _hidden(kpis, issued)
    assert not set(q1) & weighed  # readers have Q1: hiding it protects nothing
    assert ("recruit_offers", "network", "net", Q2) in weighed
    # Q2 must then be protected by the year and the year to date, the other figures Q1 + Q2 make.
    assert ("recruit_offers", "network", "net", YEAR) in weighed
    assert ("recruit_offers_to_date", "network", "net", Q2) in weighed
    # Nor is Q1 under its other name: the first quarter's figure to date is Q1 itself.
    assert ("recruit_offers_to_date", "network", "net", Q1) not in weighed


def test_a_recruitment_figure_an_earlier_report_hid_stays_hidden() -> None:
    kpis = recruitment_kpis(_offers((6, date(2025, 5, 10), "council")), "net")
    cell = ("recruit_offers", "network", "net", Q1)
    assert cell not in _hidden(kpis)  # 6 people: shown on its own
    issued = pd.DataFrame([(*cell, None, True)], columns=LEDGER_COLUMNS)
    assert cell in _hidden(kpis, issued)


def test_a_figure_shown_earlier_at_another_value_is_not_known_at_its_new_one() -> None:
    kpis = _two_quarters()
    q1 = ("recruit_offers", "network", "net", Q1)
    corrected = pd.DataFrame([(*q1, 7.0, False)], columns=LEDGER_COLUMNS)
    assert _hidden(kpis, corrected) == _hidden(kpis)
