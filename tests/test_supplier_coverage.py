"""Coverage: the share of in-scope spend whose supplier size is known, by where the size came from."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from transforms.supplier_coverage import (
    COVERAGE_KPI,
    KNOWN,
    SIZE_SOURCES,
    SOURCE_KPI_PREFIX,
    UNKNOWN,
    coverage_kpis,
    size_coverage,
    size_source_class,
)

Q1, Q2 = "2025-26-Q1", "2025-26-Q2"
# member, period, size, where the size came from, out of scope, amount
ROWS = [
    ("council", Q1, "small", "member_return", None, 100.0),
    ("council", Q1, "large", "core team 2025", None, 200.0),  # the network typed it
    ("council", Q1, "micro", "companies_house:01234567", None, 300.0),
    ("council", Q1, "small", "charity_register:1090345", None, 50.0),
    ("council", Q1, "medium", "companies_house:07654321; charity_register:1234567", None, 25.0),
    ("council", Q1, None, None, None, 325.0),  # nobody knows
    ("council", Q1, None, None, "taxes_hmrc", 5000.0),  # out of scope: not in the coverage at all
    ("council", Q1, "large", None, "public_body", 999.0),
    ("trust", Q1, "small", None, None, 40.0),  # a register entry with no source: the network's own
    ("trust", Q2, None, None, None, 60.0),
]


def profile(rows: list[tuple[object, ...]] = ROWS) -> pd.DataFrame:
    return pd.DataFrame(
        rows, columns=["member_id", "period", "size", "size_source", "out_of_scope", "amount"]
    )


def share(table: pd.DataFrame, source: str, **where: str) -> float:
    rows = table[table["size_source"] == source]
    for column, value in where.items():
        rows = rows[rows[column] == value]
    assert len(rows) == 1, rows
    return float(rows["share_pct"].iloc[0])


def test_sources_are_recognised_from_the_register_source_text() -> None:
    classes = size_source_class(profile()["size"], profile()["size_source"]).tolist()
    assert classes == [
        "member_return",
        "network_register",
        "companies_house",
        "charity_register",
        "companies_house",  # the first source named gave the size
        "unknown",
        "unknown",
        "network_register",
        "network_register",
        "unknown",
    ]


def size_source_of_one_row(size: object, source: object) -> str:
    """The rule, one row at a time: no size is unknown; else the first source the text names."""
    if pd.isna(size):
        return UNKNOWN
    if pd.isna(source):
        return "network_register"
    first = str(source).strip().lower().split(";")[0].strip()
    if first == "member_return":
        return "member_return"
    for register in ("companies_house", "charity_register"):
        if first.startswith(f"{register}:"):
            return register
    return "network_register"


SOURCE_TEXTS = st.one_of(
    st.none(),
    st.sampled_from(
        [
            "member_return",
            " Member_Return ",
            "member_return;companies_house:1",
            "COMPANIES_HOUSE:0123",
            "charity_register:99; member_return",
            "companies_house",  # no colon: the network's own words
            "core team 2025",
            "",
            " ; charity_register:1",
        ]
    ),
    st.text(alphabet="cm_:; ehrsouAB", max_size=20),
)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from([None, "small", "large"]), SOURCE_TEXTS), max_size=40),
    st.sampled_from(["object", "string"]),
)
def test_each_distinct_source_classified_once_gives_the_rule_row_by_row(
    rows: list[tuple[object, object]], dtype: str
) -> None:
    index = pd.Index(range(100, 100 + len(rows)))
    size = pd.Series([r[0] for r in rows], index=index, dtype=object)
    source = pd.Series([r[1] for r in rows], index=index, dtype=dtype)
    classes = size_source_class(size, source)
    assert list(classes.index) == list(index)
    assert classes.tolist() == [size_source_of_one_row(*r) for r in rows]


def test_coverage_of_in_scope_spend_by_source_worked_by_hand() -> None:
    table = size_coverage(profile())
    # Q1 in scope: 100 + 200 + 300 + 50 + 25 + 325 + 40 = 1040; known = 715
    assert share(table, KNOWN, period=Q1) == pytest.approx(100 * 715 / 1040, abs=1e-4)
    assert share(table, "member_return", period=Q1) == pytest.approx(100 * 100 / 1040, abs=1e-4)
    assert share(table, "network_register", period=Q1) == pytest.approx(100 * 240 / 1040, abs=1e-4)
    assert share(table, "companies_house", period=Q1) == pytest.approx(100 * 325 / 1040, abs=1e-4)
    assert share(table, "charity_register", period=Q1) == pytest.approx(100 * 50 / 1040, abs=1e-4)
    assert share(table, UNKNOWN, period=Q1) == pytest.approx(100 * 325 / 1040, abs=1e-4)
    assert share(table, KNOWN, period=Q2) == 0 and share(table, UNKNOWN, period=Q2) == 100
    # every source listed for every period, and the sources add up to the known share
    for _, rows in table.groupby("period"):
        assert set(rows["size_source"]) == {*SIZE_SOURCES, UNKNOWN, KNOWN}
        shares = rows.set_index("size_source")["share_pct"]
        assert shares[list(SIZE_SOURCES)].sum() == pytest.approx(shares[KNOWN], abs=1e-3)
        assert shares[KNOWN] + shares[UNKNOWN] == pytest.approx(100, abs=1e-3)


def test_coverage_per_member_and_without_scope_classification() -> None:
    table = size_coverage(profile(), by=["member_id", "period"])
    assert share(table, KNOWN, member_id="trust", period=Q1) == 100
    unclassified = profile().drop(columns="out_of_scope")  # before the scope rules: all spend counts
    total = size_coverage(unclassified)
    q1_all = 1040 + 5000 + 999
    assert share(total, UNKNOWN, period=Q1) == pytest.approx(100 * (325 + 5000) / q1_all, abs=1e-4)


def test_coverage_kpis_for_the_network_and_each_member() -> None:
    kpis = coverage_kpis(profile(), "oxford")
    known = kpis[(kpis["kpi"] == COVERAGE_KPI) & (kpis["period"] == Q1)].set_index("scope_id")["value"]
    assert known["oxford"] == pytest.approx(100 * 715 / 1040, abs=1e-4)
    assert known["council"] == pytest.approx(100 * 675 / 1000, abs=1e-4)
    assert f"{SOURCE_KPI_PREFIX}companies_house" in set(kpis["kpi"])
    assert (kpis["unit"] == "%").all()


def test_no_in_scope_spend_gives_missing_shares_and_no_spend_an_empty_table() -> None:
    only_tax = size_coverage(profile([("council", Q1, None, None, "taxes_hmrc", 10.0)]))
    assert only_tax.empty
    credited = size_coverage(
        profile([("c", Q1, "small", "member_return", None, 5.0), ("c", Q1, None, None, None, -5.0)])
    )
    assert math.isnan(share(credited, KNOWN, period=Q1))
    assert coverage_kpis(profile([]), "oxford").empty
