"""Recruitment KPIs from hand-made offers: counts, shares, retention, deprivation, and disclosure control."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from transforms.disclosure import Relation, hidden_cells
from transforms.recruitment_kpis import (
    population_problems,
    recruitment_kpis,
    recruitment_suppressed,
    report_publication,
    representation,
)

SECTORS = {"trust": "nhs", "council": "local_government", "college": "further_education"}


def offers_of(*groups: tuple[int, dict]) -> pd.DataFrame:
    """``(n, fields)`` -> n identical offers; fields default to a hire in July 2025 at the trust."""
    defaults = {
        "member_id": "trust",
        "offer_date": date(2025, 7, 10),
        "start_date": None,
        "programme_code": None,
        "previously_unemployed": True,
        "age_band": "25-34",
        "ethnic_group": "white",
        "disability": "no",
        "home_postcode_district": None,
        "deprivation_decile": None,
        "still_in_post_6m": None,
    }
    rows = [{**defaults, **fields} for n, fields in groups for _ in range(n)]
    frame = pd.DataFrame(rows)
    frame["sector"] = frame["member_id"].map(SECTORS)
    return frame


def _values(
    kpis: pd.DataFrame, scope: str = "network", scope_id: str = "net", period: str = "2025-26-Q2"
) -> dict:
    part = kpis[(kpis["scope"] == scope) & (kpis["scope_id"] == scope_id) & (kpis["period"] == period)]
    return dict(zip(part["kpi"], part["value"], strict=True))


def _hidden(kpis: pd.DataFrame, published: pd.Series | None = None) -> dict:
    flags = recruitment_suppressed(kpis, 5, SECTORS, published)
    return dict(
        zip(
            zip(kpis["kpi"], kpis["scope"], kpis["scope_id"], kpis["period"], strict=True), flags, strict=True
        )
    )


def test_counts_and_shares_of_all_offers_with_not_stated_as_a_group() -> None:
    """10 offers: 4 Asian, 3 Black, 2 White, 1 prefer not to say -> 40%, 30%, 20%, 10%; ethnic minority 70%.
    Ages 3 x 18-24, 5 x 25-34, 1 x 55-64, 1 x 65+ -> under 25 30%, 55+ 20%."""
    offers = offers_of(
        (3, {"ethnic_group": "asian", "age_band": "18-24"}),
        (1, {"ethnic_group": "asian", "age_band": "55-64"}),
        (3, {"ethnic_group": "black"}),
        (2, {"ethnic_group": "white", "disability": "yes"}),
        (1, {"ethnic_group": "prefer not to say", "age_band": "65+", "previously_unemployed": False}),
    )
    values = _values(recruitment_kpis(offers, "net"))
    assert values["recruit_offers"] == 10
    assert (
        values["recruit_offers:ethnicity:asian"] == 4 and values["recruit_offers_pct:ethnicity:asian"] == 40
    )
    assert (
        values["recruit_offers_pct:ethnicity:black"] == 30
        and values["recruit_offers_pct:ethnicity:white"] == 20
    )
    assert values["recruit_offers_pct:ethnicity:not_stated"] == 10
    assert values["recruit_offers_pct:ethnicity:ethnic_minority"] == 70
    assert values["recruit_offers_pct:age:under_25"] == 30 and values["recruit_offers_pct:age:55_plus"] == 20
    assert (
        values["recruit_offers_pct:disability:yes"] == 20
        and values["recruit_offers_pct:unemployed:yes"] == 90
    )
    assert values["recruit_offers_pct:deprivation:unknown"] == 100
    for dimension in ("ethnicity", "age", "disability", "unemployed", "deprivation"):
        groups = [k for k in values if k.startswith(f"recruit_offers_pct:{dimension}:")]
        partition = [k for k in groups if not k.endswith(("ethnic_minority", "under_25", "55_plus"))]
        assert sum(values[k] for k in partition) == pytest.approx(100), dimension
    year = _values(recruitment_kpis(offers, "net"), period="2025-26")
    assert year["recruit_offers"] == 10  # the year adds up the quarters received


def test_starts_and_retention_at_six_months() -> None:
    """Six offers made in April 2025 start on 15 May: their six-month point, 15 November, is in Q3; five are
    still in post -> 83.3%. Six offers made in Q3 with no start date reach six months in April 2026, after
    Q3, so their flags (even one given too early) do not count yet. Starts are counted by start date (Q1)."""
    offers = offers_of(
        (5, {"offer_date": date(2025, 4, 7), "start_date": date(2025, 5, 15), "still_in_post_6m": True}),
        (1, {"offer_date": date(2025, 4, 7), "start_date": date(2025, 5, 15), "still_in_post_6m": False}),
        (5, {"offer_date": date(2025, 10, 6)}),
        (1, {"offer_date": date(2025, 10, 6), "still_in_post_6m": True}),
    )
    kpis = recruitment_kpis(offers, "net")
    q1, q3 = _values(kpis, period="2025-26-Q1"), _values(kpis, period="2025-26-Q3")
    assert q1["recruit_offers"] == 6 and q1["recruit_starts"] == 6 and q3["recruit_starts"] == 0
    assert _values(kpis, period="2025-26-Q2") == {}  # no offers in Q2: not a reported quarter
    assert pd.isna(q1["recruit_retained_6m_pct"]) and q1["recruit_retention_known"] == 0
    assert q3["recruit_offers"] == 6 and q3["recruit_retention_known"] == 6
    assert q3["recruit_retained_6m"] == 5 and q3["recruit_left_6m"] == 1
    assert q3["recruit_retained_6m_pct"] == pytest.approx(500 / 6, abs=1e-3)
    assert q3["recruit_offers_to_date"] == 12 and q3["recruit_retained_6m_pct_to_date"] == pytest.approx(
        500 / 6, abs=1e-3
    )
    year = _values(kpis, period="2025-26")
    assert year["recruit_starts"] == 6 and year["recruit_offers"] == 12


def test_deprivation_from_the_decile_given_or_the_districts_table() -> None:
    """Two give decile 1, one decile 7; two give SE15 (decile 2 in the table), one E1 (not in it) -> 4 of 6
    from the most deprived fifth, 1 from deciles 3-10, 1 unknown."""
    offers = offers_of(
        (2, {"deprivation_decile": 1}),
        (1, {"deprivation_decile": 7}),
        (2, {"home_postcode_district": "SE15"}),
        (1, {"home_postcode_district": "E1"}),
    )
    values = _values(recruitment_kpis(offers, "net", {"SE15": 2}))
    assert values["recruit_offers:deprivation:deciles_1_2"] == 4
    assert values["recruit_offers:deprivation:deciles_3_10"] == 1
    assert values["recruit_offers:deprivation:unknown"] == 1


def test_scopes_programme_to_date_and_offers_by_programme() -> None:
    offers = offers_of(
        (20, {"programme_code": "jobs", "offer_date": date(2025, 7, 1)}),
        (15, {"programme_code": "jobs", "member_id": "council", "offer_date": date(2025, 10, 1)}),
        (7, {"member_id": "council", "offer_date": date(2025, 10, 1)}),
    )
    kpis = recruitment_kpis(offers, "net")
    assert _values(kpis, "programme", "jobs", "2025-26-Q3")["recruit_offers_to_date"] == 35
    assert _values(kpis, "programme", "jobs", "2025-26-Q3")["recruit_offers"] == 15
    assert _values(kpis, "member", "council", "2025-26-Q3")["recruit_offers:programme:none"] == 7
    assert _values(kpis, "sector", "nhs", "2025-26-Q2")["recruit_offers"] == 20
    assert "recruit_offers_to_date" not in _values(kpis, "member", "council", "2025-26-Q3")
    assert (kpis["kpi"].str.len() <= 60).all()


# -- disclosure control ------------------------------------------------------------------------------
def test_a_small_count_and_the_next_smallest_in_its_breakdown_are_hidden() -> None:
    """Asian 10, Black 8, Mixed 3, White 12 (33 offers): Mixed is under 5, so Black (the smallest shown) goes
    too, or 33 - 10 - 12 - 0 - 0 would give Mixed back. Their shares go with them; zeros stay shown."""
    offers = offers_of(
        (10, {"ethnic_group": "asian"}),
        (8, {"ethnic_group": "black"}),
        (3, {"ethnic_group": "mixed"}),
        (12, {"ethnic_group": "white"}),
    )
    kpis = recruitment_kpis(offers, "net")
    hidden = _hidden(kpis)
    cell = lambda kpi: hidden[(kpi, "network", "net", "2025-26-Q2")]  # noqa: E731
    assert cell("recruit_offers:ethnicity:mixed") and cell("recruit_offers_pct:ethnicity:mixed")
    assert cell("recruit_offers:ethnicity:black") and cell("recruit_offers_pct:ethnicity:black")
    assert not cell("recruit_offers:ethnicity:asian") and not cell("recruit_offers:ethnicity:white")
    assert (
        not cell("recruit_offers:ethnicity:other")
        and not cell("recruit_offers")
        and not cell("recruit_offers_pct:ethnicity:asian")
    )
    # The member and sector hold the same people as the network: the same cells are hidden there.
    assert hidden[("recruit_offers:ethnicity:black", "member", "trust", "2025-26-Q2")]
    assert hidden[("recruit_offers:ethnicity:mixed", "sector", "nhs", "2025-26-Q2")]


def test_a_hidden_members_cell_hides_another_members_cell_of_the_network_total() -> None:
    """Mixed: trust 3, council 6, network 9 shown: the council's 6 goes too, or 9 - 6 gives the trust's 3."""
    offers = offers_of(
        (3, {"ethnic_group": "mixed"}),
        (20, {"ethnic_group": "white"}),
        (6, {"ethnic_group": "mixed", "member_id": "council"}),
        (20, {"ethnic_group": "white", "member_id": "council"}),
    )
    hidden = _hidden(recruitment_kpis(offers, "net"))
    assert hidden[("recruit_offers:ethnicity:mixed", "member", "trust", "2025-26-Q2")]
    assert hidden[("recruit_offers:ethnicity:mixed", "member", "council", "2025-26-Q2")]
    assert not hidden[("recruit_offers:ethnicity:mixed", "network", "net", "2025-26-Q2")]


def test_a_programme_is_not_allowed_to_give_away_the_network_offers_outside_it() -> None:
    """Network Asian 12, programme Asian 10: 12 - 10 = 2 Asian offers outside the programme, so the
    programme's 10 (the smaller shown figure) is hidden, and the next smallest of its breakdown (Black 8)
    with it. The network's Black 14 stays: 14 - 8 leaves 6 outside the programme, not a small number."""
    offers = offers_of(
        (10, {"ethnic_group": "asian", "programme_code": "jobs"}),
        (20, {"ethnic_group": "white", "programme_code": "jobs"}),
        (8, {"ethnic_group": "black", "programme_code": "jobs"}),
        (2, {"ethnic_group": "asian"}),
        (6, {"ethnic_group": "black"}),
        (20, {"ethnic_group": "white"}),
    )
    hidden = _hidden(recruitment_kpis(offers, "net"))
    assert hidden[("recruit_offers:ethnicity:asian", "programme", "jobs", "2025-26-Q2")]
    assert hidden[("recruit_offers:ethnicity:black", "programme", "jobs", "2025-26-Q2")]
    assert not hidden[("recruit_offers:ethnicity:white", "programme", "jobs", "2025-26-Q2")]
    for group in ("asian", "black", "white"):
        assert not hidden[(f"recruit_offers:ethnicity:{group}", "network", "net", "2025-26-Q2")], group


def test_a_hidden_total_hides_its_whole_breakdown_zeros_included() -> None:
    """The college made 3 offers, all to White people: '<5 offers, 0 of them Asian...' would say what the 3
    are, so its whole breakdown is hidden, zeros included. Then every trust figure would give the college's
    back by difference from the network's (40 - 37 = 3 offers, 18 - 15 = 3 White, 12 - 12 = 0 Black...), so
    the trust's are hidden as the complements; the network's figures stay."""
    offers = offers_of(
        (3, {"ethnic_group": "white", "member_id": "college"}),
        (15, {"ethnic_group": "white"}),
        (10, {"ethnic_group": "asian"}),
        (12, {"ethnic_group": "black"}),
    )
    hidden = _hidden(recruitment_kpis(offers, "net"))
    for group in ("asian", "black", "white", "not_stated"):
        assert hidden[(f"recruit_offers:ethnicity:{group}", "member", "college", "2025-26-Q2")], group
        assert hidden[(f"recruit_offers_pct:ethnicity:{group}", "member", "college", "2025-26-Q2")], group
    assert hidden[("recruit_offers:ethnicity:white", "member", "trust", "2025-26-Q2")]
    assert hidden[("recruit_offers:ethnicity:asian", "member", "trust", "2025-26-Q2")]
    assert hidden[("recruit_offers:ethnicity:black", "member", "trust", "2025-26-Q2")]
    assert hidden[("recruit_offers", "member", "trust", "2025-26-Q2")]
    assert not hidden[("recruit_offers", "network", "net", "2025-26-Q2")]
    for group in ("asian", "black", "white"):
        assert not hidden[(f"recruit_offers:ethnicity:{group}", "network", "net", "2025-26-Q2")], group


def test_retention_hides_when_the_leavers_are_few() -> None:
    """Of 40 people reaching six months, 37 are still in post: '92.5% of 40' gives away the 3 who left."""
    offers = offers_of(
        (37, {"offer_date": date(2025, 4, 7), "start_date": date(2025, 5, 1), "still_in_post_6m": True}),
        (3, {"offer_date": date(2025, 4, 7), "start_date": date(2025, 5, 1), "still_in_post_6m": False}),
        (30, {"offer_date": date(2025, 10, 7)}),
    )
    hidden = _hidden(recruitment_kpis(offers, "net"))
    assert hidden[("recruit_retained_6m_pct", "network", "net", "2025-26-Q3")]
    assert hidden[("recruit_retained_6m_pct_to_date", "network", "net", "2025-26-Q3")]
    assert not hidden[("recruit_retention_known", "network", "net", "2025-26-Q3")]


def test_figures_the_report_does_not_show_only_count_where_shown_ones_would_reveal_them() -> None:
    """The report shows the programme's to-date figures, not its quarters. Q3 adds 3 Mixed offers to Q2's
    10: the to-date 10 and 13 would give the quarter's 3 away, so Q2's to-date figure (the smaller) goes."""
    offers = offers_of(
        (10, {"ethnic_group": "mixed", "programme_code": "jobs"}),
        (30, {"ethnic_group": "white", "programme_code": "jobs"}),
        (3, {"ethnic_group": "mixed", "programme_code": "jobs", "offer_date": date(2025, 10, 2)}),
        (30, {"ethnic_group": "white", "programme_code": "jobs", "offer_date": date(2025, 10, 2)}),
    )
    kpis = recruitment_kpis(offers, "net")
    hidden = _hidden(kpis, report_publication(kpis))
    assert not hidden[("recruit_offers_to_date:ethnicity:mixed", "programme", "jobs", "2025-26-Q3")]
    assert hidden[("recruit_offers_to_date:ethnicity:mixed", "programme", "jobs", "2025-26-Q2")]
    # The quarter's own breakdown is not published, so it carries no flag to act on.
    assert not hidden[("recruit_offers:ethnicity:mixed", "programme", "jobs", "2025-26-Q3")]
    # Publishing everything is the safe default: then the quarter's own 3 is hidden too.
    assert _hidden(kpis)[("recruit_offers:ethnicity:mixed", "programme", "jobs", "2025-26-Q3")]


def test_relations_keep_two_unknowns_or_none() -> None:
    """A 2 x 2 table with totals: hiding the 2 forces a second cell in its row and its column, then the 4th."""
    values = {"a": 2, "b": 10, "c": 9, "d": 12, "ab": 12, "cd": 21, "ac": 11, "bd": 22, "all": 33}
    relations = [
        Relation("ab", ("a", "b")),
        Relation("cd", ("c", "d")),
        Relation("ac", ("a", "c")),
        Relation("bd", ("b", "d")),
        Relation("all", ("ab", "cd")),
    ]
    assert hidden_cells(values, relations, 5) == {"a", "b", "c", "d"}
    # An unpublished rest of 0 to N-1 given away by shown figures hides one of them; a rest of 5 does not.
    assert hidden_cells({"total": 12, "part": 10}, [Relation("total", ("part",))], 5) == {"part"}
    assert hidden_cells({"total": 15, "part": 10}, [Relation("total", ("part",))], 5) == set()


def test_population_rows_and_representation() -> None:
    population = pd.DataFrame(
        {
            "dimension": ["ethnicity"] * 4,
            "group": ["asian", "black", "mixed", "other"],
            "share_pct": [20.0, 14.0, 6.0, 6.0],
            "source": ["test"] * 4,
        }
    )
    assert population_problems(population) == []
    offers = offers_of(
        (10, {"ethnic_group": "asian"}), (10, {"ethnic_group": "black"}), (20, {"ethnic_group": "white"})
    )
    kpis = recruitment_kpis(offers, "net", population=population)
    values = _values(kpis)
    assert (
        values["population_pct:ethnicity:asian"] == 20
        and values["population_pct:ethnicity:ethnic_minority"] == 46
    )
    table = representation(kpis, recruitment_suppressed(kpis, 5, SECTORS), "network", "net", "2025-26-Q2")
    asian = table.set_index("group").loc["asian"]
    assert asian["share_pct"] == 25 and asian["population_pct"] == 20
    assert asian["difference_points"] == 5 and asian["ratio"] == 1.25
    assert table.set_index("group").loc["ethnic_minority", "share_pct"] == 50


def test_population_table_problems_are_named() -> None:
    bad = pd.DataFrame(
        {
            "dimension": ["ethnicity", "age"],
            "group": ["asain", "18_24"],
            "share_pct": ["20", "abc"],
            "source": ["s", "s"],
        }
    )
    problems = population_problems(bad)
    assert problems[0].startswith("line 2: 'ethnicity:asain' is not a recruitment group")
    assert problems[1] == "line 3: share_pct 'abc' is not a percentage from 0 to 100"
    assert "lacks the column(s) ['source']" in population_problems(bad.drop(columns="source"))[0]
