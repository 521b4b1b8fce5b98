"""The report's spend in and out of scope and supplier size coverage, end to end: spend files and a supplier
register written here, ingested, KPIs computed, the report built; every figure of the section (page and
workbook) compared with sums worked out from the lines written, whose category and size source are
known by construction (the payees are the documented examples of each rule in docs/spend-scope.md)."""

from __future__ import annotations

import io
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from pipeline.steps.ingest import ingest
from pipeline.steps.kpis import compute_kpis
from pipeline.steps.report import build_period_report
from reports.render import render_period_report_html
from reports.workbook import period_report_workbook
from tests.report_html import Element, parse, squeeze

PROJECT = Path(__file__).resolve().parents[1]
PERIOD, EARLIER = "2025-26-Q2", "2025-26-Q1"


@dataclass(frozen=True)
class Line:
    member: str
    period: str
    payee: str
    amount: float
    category: str | None = None  # out of scope as (None = in scope)
    source: str = "unknown"  # where its size comes from
    size: str = ""  # as the member's return gives it


LINES = (
    Line("kingsbridge-council", PERIOD, "Acme Builders Ltd", 700.0, source="companies_house"),
    Line("kingsbridge-council", PERIOD, "Hope Community Trust", 300.0, source="charity_register"),
    Line("kingsbridge-council", PERIOD, "Brightwater Cleaning Ltd", 1000.0, source="network_register"),
    Line("kingsbridge-council", PERIOD, "Corner Cafe Ltd", 250.0, source="member_return", size="Small"),
    Line("kingsbridge-council", PERIOD, "Unmatched Florist", 150.0),
    Line("kingsbridge-council", PERIOD, "HM Revenue & Customs", 5000.0, "taxes_hmrc"),
    Line("kingsbridge-council", PERIOD, "Surrey County Council Pension Fund", 800.0, "pension_fund"),
    Line("kingsbridge-council", PERIOD, "Surrey County Council", 1200.0, "public_body"),
    Line("kingsbridge-council", PERIOD, "Redacted personal data", 90.0, "individual_or_redacted"),
    Line("kingsbridge-council", EARLIER, "HM Revenue & Customs", 100.0, "taxes_hmrc"),
    Line("kingsbridge-council", EARLIER, "Acme Builders Ltd", 50.0, source="companies_house"),
    Line("fleetside-council", PERIOD, "Acme Builders Ltd", 400.0, source="companies_house"),
    Line("fleetside-council", PERIOD, "HMRC", 60.0, "taxes_hmrc"),
)
REGISTER = (
    "supplier_id,supplier_name,postcode,employees,turnover_gbp,size,is_vcse,is_diverse_owned,source,as_of\n"
    ",Acme Builders Ltd,SE1 7PB,,,micro,no,no,companies_house:01111111,2025-11-01\n"
    ",Hope Community Trust,SE15 4QN,,,small,yes,no,charity_register:1234567,2025-11-01\n"
    ",Brightwater Cleaning Ltd,SE15 3AA,40,2000000,small,no,no,,2025-06-30\n"
)
DAYS = {PERIOD: "01/08/2025", EARLIER: "01/05/2025"}


@dataclass
class Built:
    report: Any
    page: Element
    book: Any


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    from openpyxl import load_workbook

    from tests.conftest import standalone_network

    directory = tmp_path_factory.mktemp("spend-scope-report")
    with standalone_network(directory) as (network, _):
        network.bucket.write(network.cfg.reference.supplier_register, REGISTER.encode())
        files: dict[tuple[str, str], list[str]] = defaultdict(list)
        for line in LINES:
            files[(line.member, line.period)].append(
                f'{DAYS[line.period]},"{line.payee}",{line.amount:.2f},{line.size}'
            )
        for (member, period), rows in files.items():
            text = "Payment Date,Supplier Name,Amount,Supplier Size\n" + "\n".join(rows) + "\n"
            network.bucket.write(f"incoming/{member}/spend_{period}.csv", text.encode())
        outcomes = ingest(network)
        assert all(o["status"] == "accepted" for o in outcomes), outcomes
        compute_kpis(network)
        report = build_period_report(network, PERIOD)
    return Built(
        report,
        parse(render_period_report_html(report)),
        load_workbook(io.BytesIO(period_report_workbook(report))),
    )


def _sum(**where: Any) -> float:
    periods = where.pop("periods", (PERIOD,))
    return sum(
        line.amount
        for line in LINES
        if line.period in periods and all(getattr(line, k) == v for k, v in where.items())
    )


def _value(element: Element) -> float | None:
    return float(element["data-value"]) if element["data-value"] else None


def _cells(row: Element) -> dict[str, Element]:
    return {td["data-col"]: td for td in row.find_all("td", data_col=True)}


def test_out_of_scope_spend_is_shown_beside_the_shares_with_its_breakdown(built: Built) -> None:
    section = built.page.find("section", data_section="spend-scope")
    total = _sum()
    in_scope = _sum(category=None)
    categories = {line.category for line in LINES if line.category}
    rows = {
        r["data-kpi"]: r for r in section.find("table", class_="spend-scope").find_all("tr", data_kpi=True)
    }
    assert set(rows) == {"spend_in_scope", "spend_out_of_scope", "spend_total"} | {
        f"spend_out_of_scope:{c}" for c in categories
    }
    both = (PERIOD, EARLIER)
    expected = {  # this period, and the financial year to date (Q1 and Q2)
        "spend_total": (total, _sum(periods=both)),
        "spend_in_scope": (in_scope, _sum(category=None, periods=both)),
        "spend_out_of_scope": (total - in_scope, _sum(periods=both) - _sum(category=None, periods=both)),
        **{f"spend_out_of_scope:{c}": (_sum(category=c), _sum(category=c, periods=both)) for c in categories},
    }
    for code, (amount, year_to_date) in expected.items():
        cells = _cells(rows[code])
        assert _value(cells["value"]) == pytest.approx(amount), code
        assert _value(cells["year_to_date"]) == pytest.approx(year_to_date), code
        if code.startswith("spend_out_of_scope"):
            assert _value(cells["share_pct"]) == pytest.approx(100 * amount / total, abs=1e-6), code
    # nothing disappears: in scope and every category add up to the total
    parts = [_value(_cells(rows[c])["value"]) for c in rows if c.startswith("spend_out_of_scope:")]
    assert sum(parts) + _value(_cells(rows["spend_in_scope"])["value"]) == pytest.approx(total)
    # the categories are named by the registry's labels, and the chart draws each of them
    assert squeeze(rows["spend_out_of_scope:taxes_hmrc"].find("th").text) == "Taxes, duties and HMRC"
    bars = {
        g["data-category"]: g
        for g in section.find("svg", data_chart="spend-out-of-scope").find_all("g", data_category=True)
    }
    assert {k: _value(v) for k, v in bars.items()} == pytest.approx({c: _sum(category=c) for c in categories})
    lead = squeeze(section.find("p", class_="lead").text)
    assert "divide by the in-scope spend" in lead and section["data-share-basis"] == "in_scope"


def test_coverage_by_source_recomputed_from_the_lines(built: Built) -> None:
    section = built.page.find("section", data_section="spend-scope")
    in_scope = _sum(category=None)
    expected = {
        source: 100 * _sum(category=None, source=source) / in_scope
        for source in ("member_return", "network_register", "companies_house", "charity_register")
    }
    known = 100 * (in_scope - _sum(category=None, source="unknown")) / in_scope
    rows = {
        r["data-source"]: r for r in section.find("table", class_="coverage").find_all("tr", data_source=True)
    }
    assert _value(_cells(rows["known"])["value"]) == pytest.approx(known, abs=1e-3)
    for source, share in expected.items():
        assert share > 0  # every source is used here
        assert _value(_cells(rows[source])["value"]) == pytest.approx(share, abs=1e-3), source
        assert rows[source]["data-kpi"] == f"spend_size_source_pct:{source}"
    chart = section.find("svg", data_chart="size-coverage")
    drawn = {g["data-kpi"]: _value(g) for g in chart.find_all("g", data_kpi=True)}
    assert drawn["spend_size_known_pct"] == pytest.approx(known, abs=1e-3)
    assert chart.find("desc").text.count("%") == 5
    sheet = {r[0]: r[2] for r in built.book["Size coverage"].iter_rows(min_row=2, values_only=True)}
    assert sheet["spend_size_known_pct"] == pytest.approx(known, abs=1e-3)
    assert sheet["spend_size_source_pct:charity_register"] == pytest.approx(
        expected["charity_register"], abs=1e-3
    )


def test_scope_and_coverage_by_member(built: Built) -> None:
    table = built.page.find("table", class_="scope-members")
    rows = {r["data-scope-member"]: _cells(r) for r in table.find_all("tr", data_scope_member=True)}
    for member in ("kingsbridge-council", "fleetside-council"):
        cells = rows[member]
        total, in_scope = _sum(member=member), _sum(member=member, category=None)
        assert _value(cells["spend_total"]) == pytest.approx(total)
        assert _value(cells["spend_in_scope"]) == pytest.approx(in_scope)
        assert _value(cells["spend_out_of_scope"]) == pytest.approx(total - in_scope)
        assert _value(cells["spend_in_scope_pct"]) == pytest.approx(100 * in_scope / total, abs=1e-3)
        unknown = _sum(member=member, category=None, source="unknown")
        assert _value(cells["spend_size_known_pct"]) == pytest.approx(
            100 * (in_scope - unknown) / in_scope, abs=1e-3
        )
    silent = [m for m, cells in rows.items() if m not in ("kingsbridge-council", "fleetside-council")]
    assert silent and all(_value(rows[m]["spend_total"]) is None for m in silent)
    sheet = {r[0]: r for r in built.book["Spend scope by member"].iter_rows(min_row=2, values_only=True)}
    assert sheet["fleetside-council"][3:5] == (pytest.approx(460.0), pytest.approx(400.0))


def test_the_workbook_carries_the_scope_figures(built: Built) -> None:
    sheet = {r[0]: r for r in built.book["Spend scope"].iter_rows(min_row=2, values_only=True)}
    assert sheet["spend_in_scope"][2] == pytest.approx(_sum(category=None))
    assert sheet["spend_out_of_scope:pension_fund"][1] == "Spend out of scope: Pension funds"
    assert sheet["spend_out_of_scope:taxes_hmrc"][5] == pytest.approx(
        _sum(category="taxes_hmrc", periods=(PERIOD, EARLIER))
    )


def test_the_size_rule_in_the_definitions_is_the_documented_one(built: Built) -> None:
    """Each accounts category of docs/supplier-enrichment.md's table is named with the size it gives."""
    docs = (PROJECT / "docs" / "supplier-enrichment.md").read_text(encoding="utf-8")
    items = built.page.find("dl", class_="definitions").elements
    terms = {dt.text: dd.text for dt, dd in zip(items[::2], items[1::2], strict=True)}
    rule = squeeze(terms["How a supplier's size is found"])
    clauses = rule.split(";")
    checked = 0
    for categories, size in re.findall(
        r"^\| (`[A-Z ,`]+`) \| (micro|small|medium|large|unknown)", docs, re.M
    ):
        for category in re.findall(r"`([A-Z ]+)`", categories):
            where = [c for c in clauses if category.lower() in c]
            assert where, category
            if size == "unknown":
                assert "leaves the size unknown" in rule.split(category.lower(), 1)[1].split(".")[0], category
            else:
                assert any(f"suggest a {size} company" in c for c in where), (category, size)
            checked += 1
    assert checked >= 15
    for ceiling in ("£1m", "£15m", "£44m"):
        assert ceiling in rule
    assert "Share of in-scope spend whose supplier size is known" in terms
