"""Small numbers in the recruitment section, end to end: a trust's dozen offers under the programme and a
council's three outside it, written here, ingested and reported. Every count of 1 to 4 people shows as
"[c]", no breakdown or sum lets a hidden figure be worked out from the ones shown, and a hidden figure
leaves no trace in the text, the attributes, the chart or the workbook."""

from __future__ import annotations

import io
from collections import Counter
from dataclasses import dataclass
from typing import Any

import pytest

from pipeline.steps.ingest import ingest
from pipeline.steps.kpis import compute_kpis
from pipeline.steps.report import build_period_report
from reports.render import render_period_report_html
from reports.workbook import period_report_workbook
from tests.conftest import standalone_network
from tests.report_html import Element, parse

PERIOD = "2026-27-Q1"
HIDDEN = "[c]"  # every hidden figure, small or hidden to protect a small one
HEADER = (
    "Offer Date,Start Date,Programme Code,Previously Unemployed,Age Band,Ethnic Group,Disability,"
    "Deprivation Decile,Still In Post After Six Months"
)


@dataclass(frozen=True)
class Offer:
    member: str
    programme: str
    age: str
    ethnic: str
    disability: str
    decile: int

    def groups(self) -> dict[str, str]:
        return {
            "age": self.age.replace("-", "_"),
            "ethnicity": self.ethnic.lower(),
            "disability": {"Yes": "yes", "No": "no"}.get(self.disability, "not_stated"),
            "deprivation": "deciles_1_2" if self.decile <= 2 else "deciles_3_10",
            "unemployed": "yes",
        }


TRUST = [
    Offer("st-aldrics-nhs", "inclusive-recruitment", age, ethnic, disability, decile)
    for age, ethnic, disability, decile in (
        [("18-24", "Asian", "Yes", 1)] * 2
        + [("18-24", "Asian", "No", 1)]
        + [("25-34", "Asian", "No", 1)] * 3
        + [("25-34", "White", "No", 5)] * 5
        + [("25-34", "White", "Prefer not to say", 5)]
    )
]
COUNCIL = [Offer("kingsbridge-council", "", "35-44", "White", "No", 5)] * 3


@dataclass
class Built:
    report: Any
    page: Element
    book: Any


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    from openpyxl import load_workbook

    directory = tmp_path_factory.mktemp("recruitment-small-numbers")
    with standalone_network(directory) as (network, _):
        for member, offers in (("st-aldrics-nhs", TRUST), ("kingsbridge-council", COUNCIL)):
            rows = [
                f"{3 + n:02d}/05/2026,{10 + n:02d}/06/2026,{o.programme},Yes,{o.age},{o.ethnic},{o.disability},"
                f"{o.decile},"
                for n, o in enumerate(offers)
            ]
            data = "\n".join([HEADER, *rows]) + "\n"
            network.bucket.write(f"incoming/{member}/recruitment_{PERIOD}.csv", data.encode())
        outcomes = ingest(network)
        assert [o["status"] for o in outcomes] == ["accepted", "accepted"], outcomes
        compute_kpis(network)
        report = build_period_report(network, PERIOD)
    return Built(
        report,
        parse(render_period_report_html(report)),
        load_workbook(io.BytesIO(period_report_workbook(report))),
    )


def _section(built: Built) -> Element:
    return built.page.find("section", data_section="recruitment")


def _counts(offers: list[Offer]) -> Counter[tuple[str, str]]:
    return Counter((dimension, group) for o in offers for dimension, group in o.groups().items())


def test_every_count_of_one_to_four_people_shows_as_hidden(built: Built) -> None:
    block = _section(built).find(data_recruitment_id="inclusive-recruitment")
    counts = _counts(TRUST)
    small = {key for key, n in counts.items() if 0 < n < 5}
    assert small == {
        ("age", "18_24"),
        ("disability", "yes"),
        ("disability", "not_stated"),
    }
    for dimension, group in small:
        row = block.find("tr", data_group=f"{dimension}:{group}")
        for col in ("offers", "share_pct"):
            cell = row.find("td", data_col=col)
            assert (cell.text, cell["data-value"], cell.get("data-suppressed")) == (HIDDEN, "", "true")
    # a breakdown never hides exactly one of its groups: the total would give it back
    for body in block.find("table", class_="recruitment-groups").find_all("tbody", data_dimension=True):
        hidden = body.find_all("td", data_col="offers", data_suppressed="true")
        assert len(hidden) != 1, body["data-dimension"]
    # the council's 3 offers per quarter, and so the trust's 12 beside the network's 15
    table = _section(built).find("table", data_kpi="recruit_offers")
    row = table.find("tr", data_period=PERIOD)
    cells = {td["data-col"]: td for td in row.find_all("td", data_col=True)}
    assert cells["kingsbridge-council"].text == HIDDEN
    assert cells["network"]["data-value"] == "15.0"
    assert cells["st-aldrics-nhs"].text == HIDDEN


def test_a_programme_and_the_network_never_differ_by_a_small_number(built: Built) -> None:
    """3 offers were outside the programme: the network (15) and the programme (12) cannot both show."""
    shown = {}
    for block in _section(built).find_all(data_recruitment_scope=True):
        card = block.find("li", data_programme_kpi="recruit_offers_to_date")
        shown[block["data-recruitment-scope"]] = card["data-value"]
    assert set(shown) == {"programme", "network"}  # offers outside the programme: the network has its block
    values = [float(v) for v in shown.values() if v]
    assert len(values) < 2 or not 0 < abs(values[0] - values[1]) < 5, shown


def test_hidden_figures_leave_no_trace(built: Built) -> None:
    section = _section(built)
    readable = section.readable()
    for dimension, group in (("age", "18_24"), ("disability", "yes"), ("disability", "not_stated")):
        share = 100 * _counts(TRUST)[(dimension, group)] / len(TRUST)
        for text in (f"{share:.1f}%", f"{share:.4f}".rstrip("0"), repr(round(share, 6))):
            assert text not in readable, (dimension, group, text)
        for block in section.find_all(data_recruitment_scope=True):
            bars = block.find_all("g", data_group=f"{dimension}:{group}")
            for bar in bars:
                assert bar.find_all("rect") == [] and bar["data-value"] == ""
    # the cards: a hidden figure has no value anywhere, only "[c]"
    for card in section.find_all("li", data_programme_kpi=True, data_suppressed="true"):
        assert card["data-value"] == "" and card.find("p", class_="card-value").text == HIDDEN
    # the model itself carries no hidden value
    for block in built.report.recruitment:
        assert all(f.value is None for f in block.figures if f.suppressed)
        assert all(g.offers is None for g in block.groups if g.offers_hidden)
        assert all(g.share_pct is None for g in block.groups if g.share_hidden)
    # nor does the workbook
    hidden_cells = [
        r for r in built.book["Recruitment"].iter_rows(min_row=2, values_only=True) if r[8] == HIDDEN
    ]
    assert {r[4] for r in hidden_cells} >= {
        "recruit_offers_to_date:disability:yes",
        "recruit_offers_pct_to_date:disability:yes",
    }
    numbers = {
        r[8]
        for r in built.book["Recruitment"].iter_rows(min_row=2, values_only=True)
        if r[1] == "inclusive-recruitment"
    }
    for share in (100 * 2 / 12, 100 / 12):  # the disabled and the not stated: in no cell
        assert not any(isinstance(n, float) and abs(n - share) < 1e-3 for n in numbers), share
    quarters = {
        (r[0], r[1]): r[3]
        for r in built.book["Recruitment by quarter"].iter_rows(min_row=2, values_only=True)
    }
    assert (
        quarters[(PERIOD, "kingsbridge-council")] == HIDDEN and quarters[(PERIOD, "st-aldrics-nhs")] == HIDDEN
    )
    # one marker for every hidden figure: "<5" nowhere, though some hidden here are 5 or more
    assert "<5" not in built.page.readable()
    texts = [str(c.value) for ws in built.book.worksheets for row in ws.iter_rows() for c in row]
    assert not [t for t in texts if "<5" in t]


def test_the_ledger_holds_every_recruitment_count_the_report_shows_or_hides(built: Built) -> None:
    """Issued with the report (docs/disclosure-control.md), so the next report weighs them."""
    report = built.report
    ledger = {(c.kpi, c.scope, c.scope_id, c.period): c for c in report.issued_cells}
    expected: dict[tuple[str, str, str, str], float | None] = {}
    for block in report.recruitment:
        place = (block.scope, block.scope_id, block.as_at)
        for figure in block.figures:
            if "_pct" not in figure.code:
                expected[(figure.code, *place)] = figure.value
        for group in block.groups:
            expected[(f"recruit_offers_to_date:{group.dimension}:{group.group}", *place)] = group.offers
    network_id = next(b.scope_id for b in report.recruitment if b.scope == "network")
    for row in report.recruitment_quarters:
        place = ("member", row.member_id) if row.member_id else ("network", network_id)
        expected[("recruit_offers", *place, row.period)] = row.offers
        expected[("recruit_starts", *place, row.period)] = row.starts
    assert any(v is None for v in expected.values()) and any(v is not None for v in expected.values())
    for cell, value in expected.items():
        assert cell in ledger, cell
        assert (ledger[cell].hidden, ledger[cell].value) == (value is None, value), cell
    # A share shown with its base gives its count back: the count is in the ledger as shown.
    for block in report.recruitment:
        for group in block.groups:
            if group.share_pct is not None:
                cell = (
                    f"recruit_offers_to_date:{group.dimension}:{group.group}",
                    block.scope,
                    block.scope_id,
                    block.as_at,
                )
                assert not ledger[cell].hidden
