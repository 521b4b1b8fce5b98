"""Living Wage uplifts and workforce KPIs on hand-built snapshots (London rates: 13.85 from 1 May 2025,
14.80 from 1 May 2026)."""

from __future__ import annotations

import hashlib
import hmac

import pandas as pd
import pytest

from reports.disclosure import suppressed
from transforms.workforce import person_keys
from transforms.workforce_kpis import workforce_kpis

Q1, Q2, Q1_NEXT = "2025-06-30", "2025-09-30", "2026-06-30"


def person(
    member: str,
    day: str,
    key: str,
    rate: float,
    basis: str = "direct",
    hours: float = 37.5,
    apprentice: bool = False,
    start: str | None = None,
    district: str | None = "SE1",
) -> dict:
    return {
        "member_id": member,
        "sector": "nhs" if member.startswith("nhs") else "local_government",
        "snapshot_date": pd.Timestamp(day),
        "person_key": key,
        "hourly_rate_gbp": rate,
        "weekly_hours": hours,
        "employment_basis": basis,
        "is_apprentice": apprentice,
        "apprenticeship_start_date": pd.Timestamp(start) if start else pd.NaT,
        "home_postcode_district": district,
        "home_postcode_area": district.rstrip("0123456789") if district else None,
    }


def kpis(rows: list[dict]) -> pd.DataFrame:
    return workforce_kpis(pd.DataFrame(rows), "london", ["SE"], ["DA1"], "net")


def value(frame: pd.DataFrame, kpi: str, period: str, scope_id: str = "net") -> float:
    hit = frame[(frame.kpi == kpi) & (frame.period == period) & (frame.scope_id == scope_id)]
    assert len(hit) == 1, (kpi, period, scope_id)
    return float(hit.value.iloc[0])


def test_pay_rising_to_exactly_the_threshold_is_an_uplift_and_one_penny_short_is_not() -> None:
    rows = [
        person("nhs-a", Q1, "p1", 13.00),
        person("nhs-a", Q2, "p1", 13.85),
        person("nhs-a", Q1, "p2", 13.00),
        person("nhs-a", Q2, "p2", 13.84),
        person("nhs-a", Q1, "p3", 13.85),
        person("nhs-a", Q2, "p3", 14.50),
    ]  # already at the rate: no uplift
    result = kpis(rows)
    assert value(result, "lw_uplifts", "2025-26-Q2") == 1
    assert value(result, "lw_uplift_annual_gbp", "2025-26-Q2") == pytest.approx(0.85 * 37.5 * 52)
    assert value(result, "lw_paid_pct", "2025-26-Q2") == pytest.approx(200 / 3, abs=1e-3)


def test_the_threshold_that_applies_changes_between_snapshots() -> None:
    # 2026-03-31 snapshot is under the 13.85 rate; 2026-06-30 under 14.80.
    rows = [
        person("nhs-a", "2026-03-31", "p1", 13.50),
        person("nhs-a", Q1_NEXT, "p1", 14.00),  # below both
        person("nhs-a", "2026-03-31", "p2", 13.50),
        person("nhs-a", Q1_NEXT, "p2", 14.80),  # uplifted
        person("nhs-a", "2026-03-31", "p3", 14.00),
        person("nhs-a", Q1_NEXT, "p3", 14.80),
    ]  # was already paid it
    result = kpis(rows)
    assert value(result, "lw_uplifts", "2026-27-Q1") == 1
    assert value(result, "lw_paid_pct", "2025-26-Q4") == pytest.approx(100 / 3, abs=1e-3)
    assert value(result, "lw_paid_pct", "2026-27-Q1") == pytest.approx(200 / 3, abs=1e-3)


def test_leavers_joiners_and_a_move_from_contractor_to_direct() -> None:
    rows = [
        person("nhs-a", Q1, "leaver", 12.00),
        person("nhs-a", Q2, "joiner", 14.00),  # joined at the rate: nothing to claim
        person("nhs-a", Q1, "mover", 12.50, basis="contractor"),
        person("nhs-a", Q2, "mover", 14.00),
    ]
    result = kpis(rows)
    assert value(result, "lw_uplifts", "2025-26-Q2") == 1  # the mover, matched across the change of basis
    assert value(result, "staff_direct", "2025-26-Q2") == 2
    assert value(result, "staff_contractor", "2025-26-Q1") == 1
    assert value(result, "lw_paid_pct_contractor", "2025-26-Q1") == 0


def test_a_members_first_snapshot_claims_no_uplifts() -> None:
    result = kpis([person("nhs-a", Q2, "p1", 14.00)])
    assert value(result, "lw_uplifts", "2025-26-Q2") == 0


def test_two_members_with_the_same_raw_reference_are_two_people() -> None:
    key = b"k" * 32
    [a] = person_keys(pd.Series(["E00001"]), "nhs-a", key)
    [b] = person_keys(pd.Series(["E00001"]), "council-b", key)
    assert a != b
    assert person_keys(pd.Series([" E00001 "]), "nhs-a", key).iloc[0] == a  # stable across snapshots
    assert person_keys(pd.Series(["E00001"]), "nhs-a", b"other" * 8).iloc[0] != a  # keyed, not a plain hash
    # The pseudonym is HMAC-SHA256 of member id, unit separator and reference, whatever computes it: the
    # pseudonyms already in a warehouse must match the ones of the next snapshot.
    assert a == hmac.new(key, b"nhs-a\x1fE00001", hashlib.sha256).hexdigest()
    column = person_keys(pd.Series(["E1", "E2", " E1"]), "nhs-a", key).tolist()
    assert column == [
        hmac.new(key, b"nhs-a\x1f" + r, hashlib.sha256).hexdigest() for r in (b"E1", b"E2", b"E1")
    ]
    rows = [person("nhs-a", Q1, a, 12.00), person("council-b", Q2, b, 14.00)]
    assert value(kpis(rows), "lw_uplifts", "2025-26-Q2") == 0


def test_apprentices_local_staff_sectors_and_year_to_date() -> None:
    rows = [
        person("nhs-a", Q1, "a1", 12.00, apprentice=True, start="2025-05-01"),
        person("nhs-a", Q2, "a1", 14.00, apprentice=True, start="2025-05-01"),
        person("nhs-a", Q2, "a2", 14.00, apprentice=True, start="2025-08-01", district="DA1"),
        person("council-b", Q2, "c1", 20.00, district="CM2"),
        person("council-b", Q2, "c2", 20.00, district=None),
    ]
    result = kpis(rows)
    assert value(result, "apprentices", "2025-26-Q2") == 2
    assert value(result, "apprentice_starts", "2025-26-Q1") == 1
    assert value(result, "apprentice_starts", "2025-26-Q2") == 1
    assert value(result, "apprentice_starts", "2025-26") == 2  # flows add up over the year
    assert value(result, "staff", "2025-26") == 4  # stock comes from each member's latest snapshot
    assert value(result, "local_employment_pct", "2025-26-Q2") == pytest.approx(50)  # SE1 and DA1 of 4
    assert value(result, "staff", "2025-26-Q2", "nhs") == 2
    assert value(result, "lw_uplifts", "2025-26-Q2", "nhs-a") == 1


def test_suppression_hides_small_figures_but_totals_stay_exact() -> None:
    rows = [person("nhs-a", Q1, f"a{i}", 12.0) for i in range(3)] + [
        person("nhs-a", Q2, f"a{i}", 14.0) for i in range(3)
    ]
    rows += [person("council-b", Q1, f"b{i}", 12.0) for i in range(4)] + [
        person("council-b", Q2, f"b{i}", 14.0) for i in range(4)
    ]
    result = kpis(rows)
    result["suppressed"] = suppressed(result, 5)
    q2 = result[result.period == "2025-26-Q2"].set_index(["kpi", "scope_id"])
    assert q2.loc[("lw_uplifts", "nhs-a"), "value"] == 3 and q2.loc[("lw_uplifts", "nhs-a"), "suppressed"]
    assert q2.loc[("lw_uplift_annual_gbp", "nhs-a"), "suppressed"]  # money derived from 3 people
    assert q2.loc[("lw_paid_pct", "nhs-a"), "suppressed"]  # a share of 3 people
    assert q2.loc[("lw_uplifts", "net"), "value"] == 7 and not q2.loc[("lw_uplifts", "net"), "suppressed"]
    assert not q2.loc[("apprentices", "nhs-a"), "suppressed"]  # zero people: nobody to disclose


def test_a_single_hidden_figure_cannot_be_recovered_from_the_exact_total() -> None:
    rows = []
    for member, uplifted in (("nhs-a", 3), ("council-b", 48), ("council-c", 212)):
        rows += [person(member, Q1, f"{member}{i}", 12.0) for i in range(uplifted)]
        rows += [person(member, Q2, f"{member}{i}", 14.0) for i in range(uplifted)]
    result = kpis(rows)
    result["suppressed"] = suppressed(result, 5)
    q2 = result[(result.period == "2025-26-Q2") & (result.kpi.isin(["lw_uplifts", "lw_uplift_annual_gbp"]))]
    flags = q2.set_index(["kpi", "scope_id"])["suppressed"]
    assert flags[("lw_uplifts", "nhs-a")] and flags[("lw_uplifts", "council-b")]  # 3, and 48 to protect it
    assert flags[("lw_uplift_annual_gbp", "council-b")]  # the money follows the people
    assert not flags[("lw_uplifts", "council-c")] and not flags[("lw_uplifts", "net")]
    assert q2.set_index(["kpi", "scope_id"]).loc[("lw_uplifts", "net"), "value"] == 263
