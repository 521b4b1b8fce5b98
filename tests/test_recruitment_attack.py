"""A differencing attack on the recruitment figures every demo report issues.

The reports are issued as in ``tests/test_disclosure_attack.py`` (each quarter and each year, oldest
first, each weighing the ledger of what the earlier ones published). The attacker takes every recruitment
count of people any report showed (a share shown with its base gives its count, so the ledger holds
both), writes down every sum recruitment figures obey, here and not borrowed from the code under test:

- members add up to the network and to their sector, sectors to the network;
- each breakdown's groups add up to the offers (every dimension has a group for those who did not say),
  a summary group to its bands, the people whose six months are known to those retained and those who
  left;
- the network's offers by programme add up to its offers (offers in no programme are a programme of
  their own), and a programme's offers are the network's offers in that programme (members' and
  sectors' offers by programme add up the same way);
- a year's figure is its quarters'; a figure to date is the one of the quarter before plus the quarter's
  own (the first quarter's is its own);

and solves them. No hidden count may be determined.

The demo's figures are all in the warehouse before its first report, so every report weighs the same
figures and hides the same cells. The ledger earns its keep when the returns arrive quarter by quarter
and each report is issued as its quarter's returns are in: the second test issues the demo's so, and
the third a small network's whose council has 6 offers in one quarter and 3 in the next (without the
ledger's weighing, the next report hides the shown quarter as the complement and the 3 can be worked
out).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

import pandas as pd
import pytest

from pipeline.network import Network
from tests.conftest import standalone_network
from tests.demo_network import stored_kpis
from tests.test_disclosure_attack import given_away, issued, issued_network, shown_and_hidden
from tests.test_disclosure_attack_quarterly import Issued, quarterly
from transforms.periods import Period
from warehouse import queries

__all__ = ["issued", "issued_network", "quarterly"]

Cell = tuple[str, str, str, str]
GROUPS = {
    "ethnicity": ["asian", "black", "mixed", "white", "other", "not_stated"],
    "age": ["16_17", "18_24", "25_34", "35_44", "45_54", "55_64", "65_plus", "not_stated"],
    "disability": ["yes", "no", "not_stated"],
    "unemployed": ["yes", "no", "not_stated"],
    "deprivation": ["deciles_1_2", "deciles_3_10", "unknown"],
}
SUMMARIES = {
    ("ethnicity", "ethnic_minority"): ["asian", "black", "mixed", "other"],
    ("age", "under_25"): ["16_17", "18_24"],
    ("age", "55_plus"): ["55_64", "65_plus"],
}


def is_count(kpi: str) -> bool:
    """A recruitment count of people (not a share, not the area's population)."""
    return kpi.startswith("recruit_") and "_pct" not in kpi.split(":")[0]


def recruitment_equations(cells: dict[Cell, float], sectors: dict[str, str]) -> list[list]:
    """Each sum recruitment counts obey, as a list of (coefficient, cell): sum(coefficient * value) == 0."""
    equations: list[list] = []

    def total(whole: Cell, parts: list[Cell]) -> None:
        equations.append([(1.0, whole), *((-1.0, p) for p in parts)])

    columns: dict[tuple[str, str], dict[str, list[Cell]]] = defaultdict(lambda: defaultdict(list))
    for cell in cells:
        columns[(cell[0], cell[3])][cell[1]].append(cell)
    for scopes in columns.values():
        for network in scopes["network"]:
            for parts in (scopes["member"], scopes["sector"]):
                if parts:
                    total(network, parts)
        for sector in scopes["sector"]:
            total(sector, [m for m in scopes["member"] if sectors[m[2]] == sector[2]])
    places = {cell[1:] for cell in cells}
    for scope, scope_id, period in places:
        for suffix in ("", "_to_date"):
            offers = (f"recruit_offers{suffix}", scope, scope_id, period)
            if offers not in cells:
                continue
            for dimension, groups in GROUPS.items():
                total(
                    offers,
                    [(f"recruit_offers{suffix}:{dimension}:{g}", scope, scope_id, period) for g in groups],
                )
            for (dimension, summary), bands in SUMMARIES.items():
                total(
                    (f"recruit_offers{suffix}:{dimension}:{summary}", scope, scope_id, period),
                    [(f"recruit_offers{suffix}:{dimension}:{b}", scope, scope_id, period) for b in bands],
                )
            known = (f"recruit_retention_known{suffix}", scope, scope_id, period)
            if known in cells:
                total(
                    known,
                    [
                        (f"recruit_retained_6m{suffix}", scope, scope_id, period),
                        (f"recruit_left_6m{suffix}", scope, scope_id, period),
                    ],
                )
            if suffix:
                continue
            by_programme = sorted(
                c for c in cells if c[1:] == offers[1:] and c[0].startswith("recruit_offers:programme:")
            )
            if by_programme:
                total(offers, by_programme)
            if scope == "network":
                for cell in by_programme:
                    programme = ("recruit_offers", "programme", cell[0].rsplit(":", 1)[1], period)
                    if programme in cells:
                        total(cell, [programme])
    series: dict[tuple[str, str, str], dict[str, Cell]] = defaultdict(dict)
    for cell in cells:
        series[cell[:3]][cell[3]] = cell
    for (kpi, scope, scope_id), by_period in series.items():
        quarters = sorted((Period.parse(p) for p in by_period if "-Q" in p), key=lambda q: q.start)
        base, colon, rest = kpi.partition(":")
        if base.endswith("_to_date"):
            own = f"{base.removesuffix('_to_date')}{colon}{rest}"
            previous = None
            for quarter in quarters:
                parts = [(own, scope, scope_id, quarter.key)]
                if previous is not None:
                    parts.append(previous)
                total(by_period[quarter.key], parts)
                previous = by_period[quarter.key]
            continue
        for year in {q.financial_year for q in quarters}:
            if year.key in by_period:
                total(by_period[year.key], [by_period[q.key] for q in quarters if q.financial_year == year])
    return equations


def attack(network: Network, ledger: pd.DataFrame, kpis: pd.DataFrame) -> list[Cell]:
    """The hidden recruitment counts the figures the ledger says were shown give away."""
    ledger = ledger[ledger["kpi"].str.startswith("recruit_")]
    counts = kpis[kpis["kpi"].map(is_count) & kpis["value"].notna()]
    cells = {(r.kpi, r.scope, r.scope_id, r.period): float(r.value) for r in counts.itertuples(index=False)}
    shown, hidden = shown_and_hidden(ledger)
    assert hidden, "the reports hide some recruitment counts: the attack has something to find"
    assert {c[1] for c in shown} >= {"network", "member", "programme"}, "the reports show recruitment"
    assert set(shown) <= set(cells)
    # A figure shown at a value it no longer has (later returns changed it) is not known at its new one.
    known = {cell for cell, value in shown.items() if cells[cell] == pytest.approx(value)}
    sectors = {m.id: m.sector.value for m in network.cfg.members}
    equations = recruitment_equations(cells, sectors)
    for equation in equations:  # the attacker's sums are true of the figures (a missing cell is 0)
        assert sum(k * cells.get(c, 0.0) for k, c in equation) == pytest.approx(0, abs=1e-6), equation
    # A count one report hid and another showed needs no sums at all.
    shown_elsewhere = sorted(hidden & known, key=str)
    return shown_elsewhere + given_away(equations, set(cells) - known, hidden - known)


def test_no_hidden_recruitment_count_can_be_worked_out_from_everything_issued(
    issued_network: Network, issued: tuple[pd.DataFrame, pd.DataFrame]
) -> None:
    ledger, kpis = issued
    exposed = attack(issued_network, ledger, kpis)
    assert not exposed, (len(exposed), exposed[:10])


def test_no_hidden_recruitment_count_can_be_worked_out_when_reports_follow_the_returns(
    quarterly: tuple[Network, Issued],
) -> None:
    """The demo's returns arriving a quarter at a time, each report issued once its returns are in, late
    and resent returns revising reports already out (``tests.test_disclosure_attack_quarterly``)."""
    network, _ = quarterly
    ledger = queries.issued_people_cells(network.engine)
    exposed = attack(network, ledger, stored_kpis(network))
    assert not exposed, (len(exposed), exposed[:10])


HEADER = (
    "Offer Date,Start Date,Programme Code,Previously Unemployed,Age Band,Ethnic Group,Disability,"
    "Deprivation Decile,Still In Post After Six Months"
)
# (member, quarter, offers, month of the offers, programme): the council's second quarter has 3 offers.
SMALL_RETURNS = (
    ("st-aldrics-nhs", "2026-27-Q1", 12, 5, "inclusive-recruitment"),
    ("kingsbridge-council", "2026-27-Q1", 6, 5, ""),
    ("st-aldrics-nhs", "2026-27-Q2", 12, 8, "inclusive-recruitment"),
    ("kingsbridge-council", "2026-27-Q2", 3, 8, ""),
)


@pytest.fixture(scope="module")
def small_returns_arriving(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Network]:
    """A council's 6 offers reported in one quarter and shown; its 3 of the next quarter to hide then."""
    from pipeline.steps.ingest import ingest
    from pipeline.steps.kpis import compute_kpis
    from pipeline.steps.report_issue import issue_report

    directory = tmp_path_factory.mktemp("small-returns-arriving")
    with standalone_network(directory) as (network, _):
        for quarter, due in (("2026-27-Q1", ["2026-27-Q1"]), ("2026-27-Q2", ["2026-27-Q2", "2026-27"])):
            for member, period, count, month, programme in SMALL_RETURNS:
                if period != quarter:
                    continue
                rows = [
                    f"{3 + n:02d}/{month:02d}/2026,,{programme},Yes,25-34,White,No,5," for n in range(count)
                ]
                data = "\n".join([HEADER, *rows]) + "\n"
                network.bucket.write(f"incoming/{member}/recruitment_{period}.csv", data.encode())
            outcomes = ingest(network)
            assert {o["status"] for o in outcomes} == {"accepted"}, outcomes
            compute_kpis(network)
            for period in due:
                result = issue_report(network, period)
                assert result["status"] == "issued", result
        yield network
        network.engine.dispose()


def test_a_later_report_never_hides_behind_a_figure_an_earlier_one_showed(
    small_returns_arriving: Network,
) -> None:
    network = small_returns_arriving
    ledger = queries.issued_people_cells(network.engine)
    council_q2 = ("recruit_offers", "member", "kingsbridge-council", "2026-27-Q2")
    _, hidden = shown_and_hidden(ledger)
    assert council_q2 in hidden
    exposed = attack(network, ledger, stored_kpis(network))
    assert not exposed, (len(exposed), exposed[:10])
