"""A differencing attack on everything the demo network issues.

Every report of the sample periods (each quarter and each financial year, oldest first) is issued as the
report DAG issues it, so each weighs the ledger of what the earlier ones published. The attacker then
takes every count of people any report showed, writes down every sum the figures obey (built here, not
borrowed from the code under test: members and sectors add up to the network, members to their sector,
a flow's quarters to its year, a quarter's year to date to the quarters so far, a stock's year is its
last quarter's snapshot) and solves: a hidden count is given away exactly when its unit vector lies in
the row space of the equations over the unknowns, i.e. when every vector of their null space is zero at
it. No hidden count may be.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipeline.network import Network
from tests.built_once import built_once, private_copy
from tests.demo_network import demo_network_folder, stored_kpis
from transforms.periods import Period
from warehouse import queries

FLOWS = {"lw_uplifts", "apprentice_starts"}
# A share published with its basis gives two counts: share x basis people in it, the rest not in it.
SHARES = {
    "lw_paid_pct": ("lw_assessed", "lw_paid", "lw_not_paid"),
    "lw_paid_pct_direct": ("lw_assessed_direct", "lw_paid_direct", "lw_not_paid_direct"),
    "lw_paid_pct_contractor": ("lw_assessed_contractor", "lw_paid_contractor", "lw_not_paid_contractor"),
    "local_employment_pct": ("staff", "staff_local", "staff_not_local"),
}
# Every person is direct or contracted.
SPLITS = {
    "staff": ("staff_direct", "staff_contractor"),
    "lw_assessed": ("lw_assessed_direct", "lw_assessed_contractor"),
    "lw_paid": ("lw_paid_direct", "lw_paid_contractor"),
    "lw_not_paid": ("lw_not_paid_direct", "lw_not_paid_contractor"),
}


@pytest.fixture(scope="session")
def issued_network(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Network]:
    """A private copy of the demo network after every sample period's report was issued, oldest first
    (built once per run, ``tests/built_once.py``)."""
    demo = demo_network_folder(tmp_path_factory)

    def issue_every_period(folder: Path) -> None:
        from pipeline.steps.report_issue import issue_report

        with private_copy(demo, folder) as (network, mp):
            # The attack reads the ledger, not the PDF: printing each report would only cost time.
            mp.setattr("pipeline.steps.report_issue.html_to_pdf", lambda html: b"%PDF-1.4\n")
            periods = sorted(
                set(stored_kpis(network)["period"]), key=lambda p: (Period.parse(p).end, "-Q" not in p)
            )
            for period in periods:
                result = issue_report(network, period)
                assert result["status"] in ("issued", "unchanged"), result

    folder = built_once(tmp_path_factory, "demo-network-issued", issue_every_period)
    with private_copy(folder, tmp_path_factory.mktemp("demo-network-issued")) as (network, _):
        yield network


@pytest.fixture(scope="module")
def issued(issued_network: Network) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The ledger of every report issued, and every KPI stored."""
    return queries.issued_people_cells(issued_network.engine), stored_kpis(issued_network)


def counts_of_people(kpis: pd.DataFrame, bases: set[str]) -> dict[tuple[str, str, str, str], float]:
    """Every count of people the stored KPIs hold or give away: the counts, and each share's two."""
    known = kpis[kpis["value"].notna()]
    cells = {
        (r.kpi, r.scope, r.scope_id, r.period): float(r.value)
        for r in known[known["kpi"].isin(bases)].itertuples(index=False)
    }
    for r in known[known["kpi"].isin(SHARES)].itertuples(index=False):
        basis, inside, outside = SHARES[r.kpi]
        total = cells[(basis, r.scope, r.scope_id, r.period)]
        paid = round(r.value / 100 * total)
        cells[(inside, r.scope, r.scope_id, r.period)] = float(paid)
        cells[(outside, r.scope, r.scope_id, r.period)] = float(total - paid)
    return cells


def equations_of(cells: dict[tuple[str, str, str, str], float], sectors: dict[str, str]) -> list[list]:
    """Each sum as a list of (coefficient, cell): sum(coefficient * value) == 0."""
    equations: list[list] = []
    for kpi, scope, scope_id, period in cells:
        for basis, inside, outside in SHARES.values():
            if kpi == inside and (basis, scope, scope_id, period) in cells:
                whole = (basis, scope, scope_id, period)
                equations.append([(1.0, whole), (-1.0, (inside, *whole[1:])), (-1.0, (outside, *whole[1:]))])
        if kpi in SPLITS and all((part, scope, scope_id, period) in cells for part in SPLITS[kpi]):
            parts = [(-1.0, (part, scope, scope_id, period)) for part in SPLITS[kpi]]
            equations.append([(1.0, (kpi, scope, scope_id, period)), *parts])
    columns: dict[tuple[str, str], dict[str, list]] = defaultdict(lambda: defaultdict(list))
    for cell in cells:
        kpi, scope, scope_id, period = cell
        columns[(kpi, period)][scope].append(cell)
    for scopes in columns.values():
        for network in scopes["network"]:
            for parts in (scopes["member"], scopes["sector"]):
                if parts:
                    equations.append([(1.0, network), *((-1.0, p) for p in parts)])
        for sector in scopes["sector"]:
            parts = [m for m in scopes["member"] if sectors[m[2]] == sector[2]]
            if parts:
                equations.append([(1.0, sector), *((-1.0, p) for p in parts)])
    series: dict[tuple[str, str, str], dict[str, tuple]] = defaultdict(dict)
    for cell in cells:
        series[cell[:3]][cell[3]] = cell
    for (kpi, scope, scope_id), by_period in series.items():
        if kpi.endswith("_ytd"):
            continue
        quarters = sorted((Period.parse(p) for p in by_period if "-Q" in p), key=lambda q: q.start)
        to_date = series.get((f"{kpi}_ytd", scope, scope_id), {})
        for year in {q.financial_year for q in quarters}:
            in_year = [by_period[q.key] for q in quarters if q.financial_year == year]
            if year.key in by_period:
                if kpi in FLOWS:
                    equations.append([(1.0, by_period[year.key]), *((-1.0, q) for q in in_year)])
                elif cells[by_period[year.key]] == cells[in_year[-1]]:
                    equations.append([(1.0, by_period[year.key]), (-1.0, in_year[-1])])
            for index, quarter in enumerate(in_year):
                if quarter[3] in to_date:
                    equations.append([(1.0, to_date[quarter[3]]), *((-1.0, q) for q in in_year[: index + 1])])
    return equations


Cell = tuple[str, str, str, str]  # (kpi, scope, scope id, period)


def shown_and_hidden(ledger: pd.DataFrame) -> tuple[dict[Cell, float], set[Cell]]:
    """What the ledger of issued cells says readers were shown (with its value) and what they were not."""
    shown = {
        (r.kpi, r.scope, r.scope_id, r.period): float(r.value)
        for r in ledger.itertuples(index=False)
        if not r.hidden
    }
    hidden = {(r.kpi, r.scope, r.scope_id, r.period) for r in ledger.itertuples(index=False) if r.hidden}
    return shown, hidden


def given_away(equations: list[list], unknowns: set, hidden: set) -> list:
    """The hidden cells the equations determine when every cell outside ``unknowns`` is known: those
    whose unit vector lies in the row space of the equations over the unknowns, i.e. at which every vector
    of their null space is zero. Solved per connected group of unknowns (independent equations)."""
    index = {cell: i for i, cell in enumerate(sorted(unknowns, key=str))}
    rows: list[dict[int, float]] = []
    for equation in equations:
        row: dict[int, float] = defaultdict(float)
        for coefficient, cell in equation:
            if cell in index:
                row[index[cell]] += coefficient
        row = {i: c for i, c in row.items() if c}
        if row:
            rows.append(row)
    group = list(range(len(index)))

    def root(i: int) -> int:
        while group[i] != i:
            i = group[i]
        return i

    for row in rows:
        first, *others = row
        for other in others:
            a, b = root(first), root(other)
            if a != b:
                group[b] = a
    systems: dict[int, list[dict[int, float]]] = defaultdict(list)
    for row in rows:
        systems[root(next(iter(row)))].append(row)
    determined = set()
    for system in systems.values():
        columns = sorted({i for row in system for i in row})
        matrix = np.zeros((len(system), len(columns)))
        for r, row in enumerate(system):
            for i, coefficient in row.items():
                matrix[r, columns.index(i)] = coefficient
        _, singular, vt = np.linalg.svd(matrix, full_matrices=True)
        null = vt[int((singular > 1e-9).sum()) :]
        determined |= {i for j, i in enumerate(columns) if np.abs(null[:, j]).max(initial=0) < 1e-9}
    return [cell for cell in hidden if cell in index and index[cell] in determined]


def test_no_hidden_count_of_people_can_be_worked_out_from_everything_issued(
    issued_network: Network, issued: tuple[pd.DataFrame, pd.DataFrame]
) -> None:
    ledger, kpis = issued
    # Recruitment's counts obey other sums: tests/test_recruitment_attack.py attacks them.
    ledger = ledger[~ledger["kpi"].str.startswith("recruit_")]
    cells = counts_of_people(kpis, set(ledger["kpi"]))
    assert {c for _, _, c in SHARES.values()} <= {c[0] for c in cells}, "the shares' counts are weighed"
    shown, hidden = shown_and_hidden(ledger)
    assert hidden, "the demo hides some counts: the attack has something to find"
    assert not hidden & set(shown), "a cell shown in one report and hidden in another"
    for cell, value in shown.items():
        assert cells[cell] == pytest.approx(value)  # the ledger holds what the pages showed
    sectors = {m.id: m.sector.value for m in issued_network.cfg.members}
    exposed = given_away(equations_of(cells, sectors), set(cells) - set(shown), hidden)
    assert not exposed, exposed[:10]


def test_the_panel_since_the_network_began_adds_up_every_quarter_and_keeps_hidden_quarters_hidden(
    issued_network: Network, issued: tuple[pd.DataFrame, pd.DataFrame]
) -> None:
    from pipeline.steps.report import build_period_report
    from reports.model import SINCE_START_CODES
    from reports.render import render_period_report_html
    from tests.report_html import parse

    ledger, kpis = issued
    report = build_period_report(issued_network, "2026-27-Q2")
    panel = report.since_start
    assert panel is not None and (panel.first_period, panel.last_period) == ("2025-26-Q3", "2026-27-Q2")
    network = kpis[(kpis["scope"] == "network") & kpis["period"].str.contains("-Q", regex=False)]
    hidden_quarters = {
        (r.kpi, r.period) for r in ledger.itertuples(index=False) if r.hidden and r.scope == "network"
    }
    assert {f.code for f in panel.figures} == set(SINCE_START_CODES)  # the London catalogue has both measures
    for figure in panel.figures:
        quarters = network[network["kpi"] == figure.code]
        assert len(quarters) == 4, figure.code
        if any((figure.code, p) in hidden_quarters for p in quarters["period"]):
            assert figure.suppressed and figure.value is None, figure.code
        else:
            assert figure.value == pytest.approx(float(quarters["value"].sum()), abs=0.005), figure.code
    page = parse(render_period_report_html(report))
    section = page.find_all("section", data_section="since-start")[0]
    assert "1 October 2025" in section.text
    shown = {li["data-since-start"]: li["data-value"] for li in section.find_all("li", data_since_start=True)}
    for figure in panel.figures:
        assert shown[figure.code] == ("" if figure.suppressed else shown[figure.code])
        if not figure.suppressed:
            assert float(shown[figure.code]) == pytest.approx(figure.value)
