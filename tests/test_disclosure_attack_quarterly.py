"""The differencing attack on the reports as they really go out: one quarter at a time, with late returns.

The demo network's returns arrive quarter by quarter (``samples.network`` writes them; the test holds
each back until its quarter is in). After each quarter the pipeline's own steps run (ingest, KPIs, issue)
and the quarter's report goes out; a year's report goes out when its fourth quarter has; a report whose
figures a later return changed is issued again, as a revision. Some returns come late or are sent again:

- a member's Q3 staff snapshot arrives only with the next quarter's returns;
- a member's Q4 snapshot is first sent short of rows, then sent again whole with the next quarter's
  (a resubmission that supersedes the first);

so figures already issued change afterwards, and readers hold both the old and the new.

The attacker then knows every figure any report showed, at the value it showed it: the ledger's, and the
figures read back from each issued page (a figure on a page the ledger does not hold is a failure of its
own: the ledger would under-record), with the page's totals since the network began, which the ledger
does not hold, as sums of their quarters. It writes down every sum the figures obey in each state the
data was in when a report went out (``tests.test_disclosure_attack``'s sums, written independently of
the code under test) and solves them together. An unknown is a figure at one value: one that did not
change between two states is one unknown in both, one that changed is two; a year is also two unknowns
when it stood at two different quarters, equal or not (a reader cannot tell that a hidden running
figure did not move). No hidden count of people may be determined.
"""

from __future__ import annotations

import pickle
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import select

from pipeline.network import Network
from samples.manifest import DEFAULT_PERIODS
from tests.built_once import built_once, private_copy
from tests.conftest import standalone_network
from tests.demo_network import stored_kpis
from tests.report_html import Element, parse
from tests.test_disclosure_attack import SHARES, counts_of_people, equations_of
from transforms.periods import Period
from warehouse.schema import issued_cells, submissions

Cell = tuple[str, str, str, str]  # (kpi, scope, scope id, period)
# A cell at one value (a figure that changed is a new unknown), and for a year the quarter it stood at.
Unknown = tuple[Cell, float, str | None]

LATE = ("workforce", "2025-26-Q3")  # a member's snapshot for this quarter comes with the next quarter's
SHORT = ("workforce", "2025-26-Q4")  # a member's snapshot for this quarter is first sent short of rows
# The counts of people the reports show, and those under their shares and years to date.
COUNT_CODES = {"staff", "staff_direct", "staff_contractor", "lw_uplifts", "apprentices", "apprentice_starts"}
PEOPLE = COUNT_CODES | {
    "lw_assessed",
    "lw_assessed_direct",
    "lw_assessed_contractor",
    "lw_uplifts_ytd",
    "apprentice_starts_ytd",
}


@dataclass
class Issued:
    """What the reports put out: each report's ledger rows, the data's state behind it, and its page."""

    ledger: dict[str, pd.DataFrame] = field(default_factory=dict)
    states: dict[str, dict[Cell, float]] = field(default_factory=dict)
    pages: dict[str, str] = field(default_factory=dict)
    revisions: list[str] = field(default_factory=list)


def _short(data: bytes, drop: int = 6) -> bytes:
    """The snapshot with ``drop`` staff rows left out of its middle: a return sent short of rows."""
    lines = data.splitlines(keepends=True)
    middle = len(lines) // 2
    return b"".join(lines[:middle] + lines[middle + drop :])


def _period_of(path: str) -> str:
    return Path(path).stem.split("_", 1)[1]


ISSUED = "issued.pickle"


def _issue_as_the_returns_arrive(folder: Path) -> None:
    """The network of the module's docstring in ``folder``, with what went out pickled beside it."""
    from pipeline.steps.ingest import ingest
    from pipeline.steps.kpis import compute_kpis
    from pipeline.steps.report_issue import issue_report
    from samples.network import generate_sample

    with standalone_network(folder) as (network, mp):
        # The PDF is printed from the same page the test reads back; printing ten of them is time spent on
        # nothing the attack reads.
        mp.setattr("pipeline.steps.report_issue.html_to_pdf", lambda html: b"%PDF-1.4\n")
        generate_sample(network.cfg, lines_per_file=10)
        waiting = {e["path"]: network.bucket.read(e["path"]) for e in network.bucket.list_files("incoming")}
        for path in waiting:
            network.bucket.remove(path)

        def of(return_type: str, period: str) -> list[str]:
            return sorted(p for p in waiting if Path(p).name == f"{return_type}_{period}.csv")

        late, short = of(*LATE)[0], of(*SHORT)[1]
        assert late.split("/")[1] != short.split("/")[1]
        issued = Issued()
        held: dict[str, bytes] = {}  # what comes with the next quarter's returns
        out: list[str] = []  # the periods whose reports have gone out
        for index, quarter in enumerate(DEFAULT_PERIODS):
            arriving, held = held, {}
            for path in (p for p in waiting if _period_of(p) == quarter):
                if path == late:
                    held[path] = waiting[path]
                    continue
                arriving[path] = _short(waiting[path]) if path == short else waiting[path]
                if path == short:
                    held[path] = waiting[path]  # sent again whole, superseding the short one
            for path, data in arriving.items():
                network.bucket.write(path, data)
            ingest(network)
            compute_kpis(network)
            state = _state(network)
            due = [quarter]
            if Period.parse(quarter).quarter == 4 or index == len(DEFAULT_PERIODS) - 1:
                due.append(Period.parse(quarter).financial_year.key)
            # Reports already out whose figures the late returns changed are issued again (revisions).
            for period in [*due, *(p for p in out if p not in due)]:
                result = issue_report(network, period)
                assert result["status"] in ("issued", "unchanged"), result
                if result["status"] != "issued":
                    continue
                if period in out:
                    issued.revisions.append(result["report_id"])
                else:
                    out.append(period)
                issued.states[result["report_id"]] = state
                issued.pages[result["report_id"]] = Path(result["html_outbox"]).read_text(encoding="utf-8")
        issued.ledger = _ledger(network)
        assert set(issued.ledger) == set(issued.pages)
        (folder / ISSUED).write_bytes(pickle.dumps(issued))
        network.engine.dispose()


@pytest.fixture(scope="session")
def quarterly(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Network, Issued]]:
    """A private copy of the network the reports went out from, and what went out (built once per run,
    ``tests/built_once.py``)."""
    folder = built_once(tmp_path_factory, "quarterly-network", _issue_as_the_returns_arrive)
    issued = pickle.loads((folder / ISSUED).read_bytes())
    with private_copy(folder, tmp_path_factory.mktemp("quarterly-network")) as (network, _):
        yield network, issued


def _state(network: Network) -> dict[Cell, float]:
    """Every count of people the warehouse holds or its shares give away, as it stands now."""
    return counts_of_people(stored_kpis(network), PEOPLE)


def _unknowns(state: dict[Cell, float]) -> dict[Cell, Unknown]:
    """Each cell's unknown in a state: the cell at its value, and a year at the latest quarter it stood at
    (a year of two quarters and the same year of three are two figures, even when they are equal: a
    reader cannot tell that a hidden running figure did not move)."""
    latest: dict[str, Period] = {}
    for *_, period in state:
        if "-Q" in period:
            quarter = Period.parse(period)
            year = quarter.financial_year.key
            if year not in latest or latest[year].start < quarter.start:
                latest[year] = quarter
    return {
        cell: (cell, value, None if "-Q" in cell[3] else latest[cell[3]].key) for cell, value in state.items()
    }


def _ledger(network: Network) -> dict[str, pd.DataFrame]:
    columns = ["report_id", "kpi", "scope", "scope_id", "period", "value", "hidden"]
    with network.engine.connect() as conn:
        rows = conn.execute(select(*(issued_cells.c[c] for c in columns))).all()
    frame = pd.DataFrame(rows, columns=columns)
    # Recruitment's counts obey other sums: tests/test_recruitment_attack.py attacks them, as they went out too.
    frame = frame[~frame["kpi"].str.startswith("recruit_")]
    return {report_id: rows.drop(columns="report_id") for report_id, rows in frame.groupby("report_id")}


def _values(element: Element, scope: str, scope_id: str, period: str) -> dict[Cell, float]:
    """The figures a row of a table shows, by the KPI each column is."""
    return {
        (td["data-col"], scope, scope_id, period): float(td["data-value"])
        for td in element.find_all("td", data_col=True)
        if td.get("data-value")
    }


def _shown_on_page(html: str, period: str, network_id: str) -> dict[Cell, float]:
    """The workforce figures a page shows (tables, cards), keyed as the KPI values they are."""
    page = parse(html)
    shown: dict[Cell, float] = {}
    for section in page.find_all("section", data_section="workforce"):
        for row in section.find_all("tr", data_workforce_member=True):
            shown |= _values(row, "member", row["data-workforce-member"], period)
        for row in section.find_all("tr", data_workforce_network_total="true"):
            shown |= _values(row, "network", network_id, period)
        previous = Period.parse(period).previous().key
        for card in section.find_all("li", data_kpi=True):
            for attribute, at in (("data-value", period), ("data-previous", previous)):
                if card.get(attribute):
                    shown[(card["data-kpi"], "network", network_id, at)] = float(card[attribute])
    for section in page.find_all("section", data_section="sectors"):
        for row in section.find_all("tr", data_sector_row=True):
            shown |= _values(row, "sector", row["data-sector-row"], period)
    return {c: v for c, v in shown.items() if c[0] in COUNT_CODES or c[0] in SHARES}


def _since_start(html: str) -> dict[str, float]:
    """The panel's totals since the network began (each KPI's network quarters added up), where shown."""
    return {
        li["data-since-start"]: float(li["data-value"])
        for section in parse(html).find_all("section", data_section="since-start")
        for li in section.find_all("li", data_since_start=True)
        if li.get("data-value") and li["data-since-start"] in COUNT_CODES
    }


def _period_of_report(report_id: str, network_id: str) -> str:
    return report_id.removeprefix(f"{network_id}-").rsplit("-r", 1)[0]


def test_the_quarters_went_out_as_they_came_in_and_late_returns_changed_issued_figures(
    quarterly: tuple[Network, Issued],
) -> None:
    network, issued = quarterly
    network_id = network.cfg.id
    periods = [_period_of_report(r, network_id) for r in issued.pages]
    assert [p for p in dict.fromkeys(periods) if "-Q" in p] == list(DEFAULT_PERIODS)  # first issues
    assert {"2025-26", "2026-27"} <= set(periods)
    assert issued.revisions, "a late return changed a report already out, which went out again"
    # The late Q3 snapshot changed Q3's network staff after Q3's first report showed it.
    q3 = [r for r in issued.pages if _period_of_report(r, network_id) == "2025-26-Q3"]
    staff = ("staff", "network", network_id, "2025-26-Q3")
    values = {issued.states[r][staff] for r in q3}
    assert len(values) == 2, values
    # The short Q4 snapshot was superseded by the whole one, which has more staff.
    with network.engine.connect() as conn:
        rows = conn.execute(
            select(submissions.c.member_id, submissions.c.status, submissions.c.rows_loaded).where(
                (submissions.c.return_type == SHORT[0]) & (submissions.c.period == SHORT[1])
            )
        ).all()
    superseded = [r for r in rows if r.status == "superseded"]
    assert len(superseded) == 1, rows
    whole = [r for r in rows if r.member_id == superseded[0].member_id and r.status == "accepted"]
    assert len(whole) == 1 and whole[0].rows_loaded > superseded[0].rows_loaded, rows


def test_no_hidden_count_of_people_can_be_worked_out_from_the_reports_as_they_went_out(
    quarterly: tuple[Network, Issued],
) -> None:
    network, issued = quarterly
    network_id = network.cfg.id
    sectors = {m.id: m.sector.value for m in network.cfg.members}
    known: set[Unknown] = set()
    hidden: set[Unknown] = set()
    totals: list[tuple[dict[Cell, float], list[Cell]]] = []  # the since-start panels: sums of quarters
    read_back: set[str] = set()  # the KPIs read back from the pages
    for report_id, ledger in issued.ledger.items():
        state = issued.states[report_id]
        unknown = _unknowns(state)
        for r in ledger.itertuples(index=False):
            cell = (r.kpi, r.scope, r.scope_id, r.period)
            if r.hidden:
                hidden.add(unknown[cell])
            else:
                assert r.value == pytest.approx(state[cell]), (report_id, cell)  # what the page showed
                known.add(unknown[cell])
        # What the page shows is what the ledger says it showed.
        recorded = {(r.kpi, r.scope, r.scope_id, r.period): r for r in ledger.itertuples(index=False)}
        period = _period_of_report(report_id, network_id)
        for cell, value in _shown_on_page(issued.pages[report_id], period, network_id).items():
            read_back.add(cell[0])
            counts = [cell] if cell[0] in COUNT_CODES else [(c, *cell[1:]) for c in SHARES[cell[0]][1:]]
            for count in counts:
                assert count in recorded and not recorded[count].hidden, (report_id, cell, value)
                if cell[0] in COUNT_CODES:
                    assert recorded[count].value == pytest.approx(value), (report_id, cell)
        # The panel since the network began is a sum the ledger does not hold: the quarters it adds up.
        last = Period.parse(period)
        last = last if last.quarter is not None else last.quarters()[-1]
        for code, total in _since_start(issued.pages[report_id]).items():
            quarters = [(code, "network", network_id, q) for q in DEFAULT_PERIODS]
            quarters = [c for c in quarters if Period.parse(c[3]).start <= last.start and c in state]
            assert sum(state[c] for c in quarters) == pytest.approx(total), (report_id, code)
            totals.append((state, quarters))
    assert totals, "the pages show totals since the network began"
    assert read_back >= {"staff_direct", "lw_uplifts", "apprentices", "lw_paid_pct", "local_employment_pct"}
    assert hidden, "the reports hide some counts: the attack has something to find"
    assert not hidden & known, sorted(hidden & known, key=str)[:10]

    # Every state's sums over the unknowns (a figure at one value), each distinct sum once.
    states = {id(s): s for s in issued.states.values()}.values()
    unknowns = sorted({u for state in states for u in _unknowns(state).values()} - known, key=str)
    index = {u: i for i, u in enumerate(unknowns)}
    rows: dict[bytes, np.ndarray] = {}  # each distinct sum once
    for state in states:
        unknown = _unknowns(state)
        for equation in equations_of(state, sectors):
            row = np.zeros(len(unknowns))
            for coefficient, cell in equation:
                if unknown[cell] in index:
                    row[index[unknown[cell]]] += coefficient
            if row.any():
                rows[row.tobytes()] = row
    for state, quarters in totals:
        row = np.zeros(len(unknowns))
        for cell in quarters:
            if _unknowns(state)[cell] in index:
                row[index[_unknowns(state)[cell]]] += 1.0
        if row.any():
            rows[row.tobytes()] = row
    # A hidden unknown is determined when its unit vector lies in the row space of the sums: the rows of
    # vt up to the rank are an orthonormal basis of it, so the projection's length is 1 exactly then.
    # (The same test as the null space's being zero there, without the square matrix of the null space.)
    matrix = np.array(list(rows.values()))
    used = np.flatnonzero(np.abs(matrix).sum(axis=0))
    _, singular, vt = np.linalg.svd(matrix[:, used], full_matrices=False)
    reach = np.zeros(len(unknowns))
    reach[used] = (vt[: int((singular > 1e-9).sum())] ** 2).sum(axis=0)
    given_away = [u for u in hidden if reach[index[u]] > 1 - 1e-9]
    assert not given_away, sorted(given_away, key=str)[:10]
