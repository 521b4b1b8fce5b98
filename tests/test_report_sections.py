"""The programme, recruitment and spend scope sections from hand-built models: shown only with data, each
alone, named in the registry's words, and their charts drawing nothing from a hidden figure."""

from __future__ import annotations

import dataclasses
from datetime import date

import pandas as pd
import pytest

from pipeline.steps.report_programmes import RecruitmentFigures, UnpublishedFigure
from reports.charts import grouped_columns, range_bars, reference_bars
from reports.model import (
    KpiFigure,
    ProgrammeRow,
    ProgrammeTarget,
    RecruitmentBlock,
    RecruitmentGroup,
    RecruitmentQuarter,
    ScenarioRatio,
    ScopeMemberRow,
    SpendScope,
    SroiAssumption,
    SroiRow,
)
from reports.render import render_period_report_html
from tests.report_html import parse, squeeze
from tests.report_samples import make_measures_report, make_report, make_workforce_report
from transforms.kpi_registry import lookup, unit_of

SECTIONS = ("spend-scope", "programmes", "recruitment")
PROGRAMME = ProgrammeRow(
    code="parks",
    name="Parks <for> people",
    lead_member="Camden Council",
    partners=("Amber Housing",),
    start=date(2025, 4, 1),
    end=date(2027, 3, 31),
    theme="environment",
    description="Volunteers & residents look after local parks.",
    recruitment=False,
    measures=("trees",),
    sroi=(
        SroiRow("year", "2026-27", 50_000.0, 150_000.0, 120_000.0, 3.0, 1.5, 5.25),
        SroiRow("to_date", "2026-27", 50_000.0, 150_000.0, 120_000.0, 3.0, 1.5, 5.25),
    ),
    sensitivity=tuple(
        ScenarioRatio(s, r)
        for s, r in (("deadweight_low", 3.2), ("deadweight_high", 2.7), ("cautious", 1.5), ("generous", 5.25))
    ),
    targets=(ProgrammeTarget("sroi_ratio", "GBP per GBP", 2.0, 3.0, 2.0, 150.0, "on track"),),
)
ASSUMPTIONS = (
    SroiAssumption("trees", "Trees planted", "trees", "proxy_gbp", 45.0, 45.0, 45.0, "Tree council <2024>"),
    SroiAssumption("trees", "Trees planted", "trees", "deadweight", 0.05, 0.1, 0.2, "Survey"),
    SroiAssumption(None, "All measures", None, "discount_rate", 0.035, 0.035, 0.035, "Green Book"),
)
BLOCK = RecruitmentBlock(
    scope="programme",
    scope_id="jobs",
    name="Jobs for residents",
    as_at="2026-27-Q2",
    start=date(2025, 4, 1),
    end=date(2027, 3, 31),
    figures=(
        KpiFigure("recruit_offers_to_date", 40.0),
        KpiFigure("recruit_offers_to_date:unemployed:yes", None, suppressed=True),
        KpiFigure("recruit_starts_to_date", 31.0),
        KpiFigure("recruit_retained_6m_pct_to_date", 90.0),
        KpiFigure("recruit_retention_known_to_date", 20.0),
    ),
    groups=(
        RecruitmentGroup("disability", "yes", None, None, 13.2, offers_hidden=True, share_hidden=True),
        RecruitmentGroup("disability", "no", None, None, None, offers_hidden=True, share_hidden=True),
        RecruitmentGroup("disability", "not_stated", 33.0, 82.5),
        RecruitmentGroup("ethnicity", "black", 12.0, 30.0, 13.5),
    ),
    targets=(ProgrammeTarget("recruit_offers", "count", 100.0, 40.0, 50.0, 40.0, "off track"),),
)
QUARTERS = (
    RecruitmentQuarter("2026-27-Q1", "", "All members", 25.0, 20.0),
    RecruitmentQuarter("2026-27-Q1", "camden", "Camden Council", None, 12.0, offers_hidden=True),
    RecruitmentQuarter("2026-27-Q1", "gstt", "Guy's", None, 8.0, offers_hidden=True),
)
SCOPE = SpendScope(
    share_basis="in_scope",
    figures=(
        KpiFigure("spend_in_scope", 1_000_000.0, year_to_date=1_800_000.0),
        KpiFigure("spend_in_scope_pct", 81.0),
        KpiFigure("spend_out_of_scope", 234_567.0),
        KpiFigure("spend_out_of_scope:taxes_hmrc", 200_000.0),
        KpiFigure("spend_out_of_scope:shared_services", 34_567.0),
    ),
    coverage=(
        KpiFigure("spend_size_known_pct", 60.0),
        KpiFigure("spend_size_source_pct:companies_house", 10.0),
    ),
    members=(ScopeMemberRow("camden", "Camden Council", True, {"spend_total": 600_000.0}),),
)


def _with_all(base=None):  # type: ignore[no-untyped-def]
    return dataclasses.replace(
        base or make_measures_report(),
        programmes=(PROGRAMME,),
        sroi_assumptions=ASSUMPTIONS,
        recruitment=(BLOCK,),
        recruitment_quarters=QUARTERS,
        population_source="Census 2021 <example>",
        spend_scope=SCOPE,
    )


def test_the_sections_are_absent_without_their_data() -> None:
    for base in (make_report(), make_workforce_report(), make_measures_report()):
        html = render_period_report_html(base)
        page = parse(html)
        for name in SECTIONS:
            assert page.find_all(data_section=name) == [] and page.find_all(id=f"{name}-heading") == []
        assert "Inclusive recruitment" not in page.text and "series-0" not in html
        empty = dataclasses.replace(
            base,
            programmes=(),
            sroi_assumptions=(),
            recruitment=(),
            recruitment_quarters=(),
            spend_scope=None,
        )
        assert render_period_report_html(empty) == html


@pytest.mark.parametrize("field", ["spend_scope", "programmes", "recruitment"])
def test_each_section_alone(field: str) -> None:
    full = _with_all()
    only = dataclasses.replace(
        make_report(),
        **{
            "spend_scope": full.spend_scope if field == "spend_scope" else None,
            "programmes": full.programmes if field == "programmes" else (),
            "sroi_assumptions": full.sroi_assumptions if field == "programmes" else (),
            "recruitment": full.recruitment if field == "recruitment" else (),
            "recruitment_quarters": full.recruitment_quarters if field == "recruitment" else (),
        },
    )
    page = parse(render_period_report_html(only))
    shown = [name for name in SECTIONS if page.find_all(data_section=name)]
    assert shown == [field.replace("_", "-")]


def test_names_are_the_registrys_and_text_is_escaped() -> None:
    html = render_period_report_html(_with_all())
    page = parse(html)
    for card in page.find_all("li", data_programme_kpi=True):
        kpi = lookup(card["data-programme-kpi"])
        assert (
            card.find("h4").text == kpi.name
            and card.find("p", class_="card-definition").text == kpi.definition
        )
    items = page.find("dl", class_="definitions").elements
    for dt, dd in zip(items[::2], items[1::2], strict=True):
        if "data-kpi-definition" in dt:
            assert (dt.text, dd.text) == (
                lookup(dt["data-kpi-definition"]).name,
                lookup(dt["data-kpi-definition"]).definition,
            )
    rows = page.find("table", class_="spend-scope").find_all("tr", data_kpi=True)
    labels = {r["data-kpi"]: squeeze(r.find("th").text) for r in rows}
    assert labels["spend_out_of_scope:shared_services"] == "Shared services"  # a network's own category
    assert labels["spend_out_of_scope:taxes_hmrc"] == "Taxes, duties and HMRC"
    assert "<for>" not in html and "Parks <for> people" in page.text
    assert "<2024>" not in html and "<example>" not in html
    target = page.find("tr", data_programme_target="sroi_ratio")
    assert (
        target.find("th").text == lookup("sroi_ratio_to_date").name and target["data-unit"] == "GBP per GBP"
    )


def test_hidden_recruitment_figures_show_as_hidden_and_nowhere_else() -> None:
    page = parse(render_period_report_html(_with_all()))
    section = page.find("section", data_section="recruitment")
    card = section.find("li", data_programme_kpi="recruit_offers_to_date:unemployed:yes")
    assert card["data-value"] == "" and card.find("p", class_="card-value").text == "[c]"
    summary = squeeze(section.find("p", class_="recruitment-summary").text)
    assert summary.startswith(
        "40 job offers since the programme began (target 100), [c] of them to previously"
    )
    assert "disability" not in summary  # its share is hidden: left out, not guessed
    marker = section.find("p", class_="recruitment-summary").find("abbr", class_="hidden-marker")
    assert marker.text == "[c]" and marker["title"].startswith("Not shown to protect privacy")
    row = section.find("tr", data_group="disability:yes")
    assert [td.text for td in row.find_all("td", data_col=True)][:2] == ["[c]", "[c]"]
    drawn = section.find("svg", data_chart="recruitment-shares-jobs").find("g", data_group="disability:yes")
    assert drawn.find_all("rect") == [] and drawn["data-value"] == "" and drawn["data-reference"] == "13.2"
    quarter = section.find("table", data_kpi="recruit_offers").find("tr", data_period="2026-27-Q1")
    assert [td.text for td in quarter.find_all("td")] == ["[c]", "[c]", "25"]


def test_a_hidden_value_takes_no_part_in_a_charts_geometry() -> None:
    def columns(hidden_value: float):  # type: ignore[no-untyped-def]
        return grouped_columns(
            ["2026-27-Q1", "2026-27-Q2"],
            [("a", "A"), ("b", "B")],
            {
                ("2026-27-Q1", "a"): (12.0, False),
                ("2026-27-Q1", "b"): (hidden_value, True),
                ("2026-27-Q2", "a"): (30.0, False),
            },
            "[c]",
            "Offers",
        )

    assert columns(4.0) == columns(4000.0)
    hidden = columns(4.0).periods[0].columns[1]
    assert (hidden.has_value, hidden.h, hidden.text, hidden.data_value) == (False, "0.0", "[c]", "")

    def bars(hidden_value: float):  # type: ignore[no-untyped-def]
        return reference_bars(
            ["Disability", ("d:yes", "Yes", hidden_value, True, 13.2)], "[c]", "T", "V", "R"
        )

    assert bars(3.0) == bars(97.0)
    row = bars(3.0).rows[1]
    assert (row.width, row.text, row.data_value, row.data_reference) == ("0.0", "[c]", "", "13.2")
    assert "3.0" not in bars(3.0).description and "[c]" in bars(3.0).description


def test_a_sensitivity_bar_runs_from_the_lower_ratio_to_the_higher() -> None:
    chart = range_bars([("deadweight", "Deadweight", 3.2, 2.7)], 3.0, "Central", "T", str, str)
    bar = chart.bars[0]
    assert (bar.data_low, bar.data_high) == ("2.7", "3.2") and float(bar.x) < float(chart.centre_x or 0)


def test_the_report_reads_only_the_recruitment_figures_it_publishes() -> None:
    rows = [
        ("recruit_offers", "member", "camden", "2026-27-Q1", 3.0),
        ("recruit_offers_pct:age:18_24", "member", "camden", "2026-27-Q1", 50.0),
    ]
    kpis = pd.DataFrame(rows, columns=["kpi", "scope", "scope_id", "period", "value"])
    figures = RecruitmentFigures(kpis, pd.Series([True, False], index=kpis.index))
    assert figures.figure("recruit_offers", "member", "camden", "2026-27-Q1") == KpiFigure(
        "recruit_offers", None, suppressed=True
    )
    with pytest.raises(UnpublishedFigure, match="report_publication"):
        figures.figure("recruit_offers_pct:age:18_24", "member", "camden", "2026-27-Q1")


def test_a_networks_own_out_of_scope_category_is_named_and_has_a_year_to_date() -> None:
    kpi = lookup("spend_out_of_scope:shared_services")
    assert (kpi.name, unit_of(kpi.code)) == ("Spend out of scope: Shared services", "GBP")
    year = lookup("spend_out_of_scope:shared_services_ytd")
    assert year.name == "Spend out of scope: Shared services: financial year to date" and year.unit == "GBP"
    assert lookup("spend_out_of_scope:grant_ytd").name == "Spend out of scope: Grants: financial year to date"
