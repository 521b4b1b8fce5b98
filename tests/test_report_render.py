"""The City Hall period report: figures round-trip through the HTML, formatting, determinism, safety."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from types import MappingProxyType

import pytest

from reports import PeriodReport, render_period_report_html
from reports.format import (
    data_value,
    format_change,
    format_datetime,
    format_gbp,
    format_gbp_exact,
    format_pct,
)
from reports.model import MEMBER_COLUMNS
from reports.sections.headline import SPEND_MIX
from tests.report_html import Element, parse, squeeze
from tests.report_samples import (
    DIVERSE_SPEND,
    LOCAL_SME_SPEND,
    SOCIAL_VALUE_BY_THEME,
    SPEND_TOTAL,
    TRICKY_NAME,
    make_measures_report,
    make_report,
)
from transforms.kpi_registry import lookup


@pytest.fixture(scope="module")
def report() -> PeriodReport:
    return make_report()


@pytest.fixture(scope="module")
def html(report: PeriodReport) -> str:
    return render_period_report_html(report)


@pytest.fixture(scope="module")
def page(html: str) -> Element:
    return parse(html)


def _card(page: Element, code: str) -> Element:
    return page.find("li", data_kpi=code)


def _members(page: Element) -> dict[str, dict[str, str]]:
    """Each member row's ``data-col`` -> ``data-value``, in the table's order."""
    return {
        row["data-member"]: {td["data-col"]: td["data-value"] for td in row.find_all("td", data_col=True)}
        for row in page.find_all("tr", data_member=True)
    }


# --- figures round-trip ---------------------------------------------------------------------------


def test_every_headline_value_and_unit_round_trips_through_data_attributes(
    report: PeriodReport, page: Element
) -> None:
    cards = page.find_all("li", data_kpi=True)
    assert [c["data-kpi"] for c in cards] == [k.code for k in report.headline]
    for kpi, card in zip(report.headline, cards, strict=True):
        assert card["data-unit"] == lookup(kpi.code).unit
        for attribute, expected in (("data-value", kpi.value), ("data-previous", kpi.previous)):
            if expected is None:
                assert card[attribute] == "", (kpi.code, attribute)
            else:
                assert float(card[attribute]) == pytest.approx(expected, abs=1e-6), (kpi.code, attribute)


def test_every_member_figure_round_trips(report: PeriodReport, page: Element) -> None:
    shown = _members(page)
    assert set(shown) == {m.member_id for m in report.members}
    for member in report.members:
        cells = shown[member.member_id]
        assert list(cells) == list(MEMBER_COLUMNS)
        for col, raw in cells.items():
            expected = getattr(member, col)
            assert raw == "" if expected is None else float(raw) == pytest.approx(expected, abs=1e-6)


def test_data_value_is_the_value_rounded_to_six_decimals() -> None:
    assert data_value(None) == ""
    assert data_value(1_234_567.0) == "1234567.0"
    assert data_value(34.512345678) == "34.512346"
    assert data_value(-0.0000001) == "0.0"
    assert data_value(float("nan")) == ""


# --- formatting -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (1_234_567.0, "£1.23m"),
        (45_600, "£45.6k"),
        (456_000, "£456k"),
        (789.0, "£789"),
        (789.4, "£789"),
        (999_999, "£1m"),
        (12_345_678, "£12.3m"),
        (2_500_000_000, "£2.5bn"),
        (0, "£0"),
        (-1_234_567, "−£1.23m"),
        (None, "No data"),
    ],
)
def test_gbp_formatting(value: float | None, text: str) -> None:
    assert format_gbp(value) == text


def test_exact_gbp_and_percentages_round_half_up() -> None:
    assert format_gbp_exact(1_234_567.0) == "£1,234,567.00"
    assert format_pct(34.5123) == "34.5%"
    assert format_pct(34.45) == "34.5%"  # half-up on the decimal a person reads
    assert format_pct(0) == "0.0%"
    assert format_pct(None) == "No data"


def test_cards_show_short_value_with_exact_tooltip(page: Element) -> None:
    def value(code: str) -> Element:
        return _card(page, code).find("p", class_="card-value")

    assert value("spend_total").text == "£1.23m" and value("spend_total")["title"] == "£1,234,567.00"
    assert value("spend_sme_pct").text == "34.5%"
    assert value("spend_vcse").text == "£45.6k"
    assert value("spend_diverse").text == "£789"
    assert value("apprentices").text == "No data" and "no-data" in value("apprentices").classes


def test_change_against_previous_period(page: Element) -> None:
    assert format_change(34.5, 32.4, "%") == "+2.1 pts"
    assert format_change(112.3, 100.0, "GBP") == "+12.3%"
    assert format_change(10, 12, "count") == "−2"
    assert format_change(10, None, "count") is None

    def change(code: str) -> list[Element]:
        return _card(page, code).find_all("p", class_="card-change")

    [sme] = change("spend_sme_pct")
    assert "change-up" in sme.classes and "▲" in sme.text and "+2.1 pts" in sme.text
    [local] = change("spend_local_pct")
    assert "change-down" in local.classes and "▼" in local.text and "−2.1 pts" in local.text
    assert "+12.3%" in change("spend_total")[0].text
    assert "no change" in change("spend_vcse")[0].text
    assert change("spend_diverse") == []  # no previous value
    assert change("apprentices") == []  # no current value


def test_pledge_shown_on_its_card_and_as_a_line_across_its_bar(page: Element) -> None:
    card = _card(page, "spend_small_or_diverse_pct")
    assert card.find("p", class_="card-pledge").text == "Network pledge: 30% – met"
    assert "card-pledge-kpi" in card.classes
    mix = page.find("svg", data_chart="spend-mix")
    grid = [float(line["x1"]) for line in mix.find_all("line", class_="grid")]
    assert len(grid) == 5  # 0%, 25%, 50%, 75%, 100%
    pledge = mix.find("g", class_="pledge")
    assert pledge["data-pledge"] == "30.0"
    x = float(pledge.find("line", class_="pledge-line")["x1"])
    assert x == pytest.approx(grid[0] + 0.3 * (grid[-1] - grid[0]), abs=0.1)


def test_title_and_the_datas_time_only(page: Element) -> None:
    title = page.find("head").find("title")
    assert title.text == "London Anchor Institutions' Network – Quarter 2 of 2026-27 (July to September 2026)"
    time = page.find("p", class_="meta").find("time")
    assert time["datetime"] == "2026-10-31T09:30:00+00:00" and time.text == "31 October 2026, 09:30 UTC"
    assert "Generated" not in page.text  # only the data's time: the same data renders the same report
    assert format_datetime(datetime(2026, 7, 3, 8, 5)) == "3 July 2026, 08:05"


# --- members and submissions ----------------------------------------------------------------------


def test_members_sorted_by_name_with_plain_sector(page: Element) -> None:
    assert list(_members(page)) == ["amber", "camden", "gstt", "kcl"]
    sectors = {
        td["data-sector"]: td.text
        for td in page.find("table", class_="members").find_all("td", data_sector=True)
    }
    assert sectors["nhs"] == "NHS"
    assert sectors["local_government"] == "Local government"
    assert sectors["higher_education"] == "Higher education"


def test_member_column_headings_are_the_registrys_short_names_with_acronyms_spelt_out(page: Element) -> None:
    table = page.find("table", class_="members")
    headings = table.find("thead").find_all("th")
    assert [squeeze(th.text) for th in headings] == [
        "Member",
        "Sector",
        *(lookup(c).short_name for c in MEMBER_COLUMNS),
    ]
    sme = headings[2 + MEMBER_COLUMNS.index("spend_sme_pct")].find("abbr")
    assert (sme.text, sme["title"]) == ("SME", "small and medium-sized enterprises")
    assert headings[2 + MEMBER_COLUMNS.index("spend_vcse")].find("abbr").text == "VCSE"


def test_member_not_submitted_is_marked(page: Element) -> None:
    row = page.find("tr", data_member="amber")
    assert row["data-submitted"] == "false" and "not-submitted" in row.classes
    assert "Not submitted" in row.text
    assert all(td["data-value"] == "" for td in row.find_all("td", data_col=True))


def test_who_has_submitted(page: Element) -> None:
    line = squeeze(page.find("p", class_="submitted-count").text)
    assert line == "3 of 4 members submitted. Not yet submitted: Amber Housing."
    table = page.find("table", class_="submissions")
    assert [tag.text for tag in table.find_all("span", class_="tag-quarantined")] == [
        "Quarantined – see feedback"
    ]
    assert len(table.find_all("span", class_="tag-accepted")) == 3
    assert len(table.find_all("span", class_="tag-missing")) == 1


def test_data_quality_line(page: Element) -> None:
    line = page.find("p", class_="quality")
    assert line["data-rows-rejected"] == "55" and line["data-rows-read"] == "2340"
    text = squeeze(line.text)
    assert "55 rows rejected out of 2,340 read" in text
    assert "1 file quarantined" in text
    assert "8.4% of spend is with suppliers of unknown size" in text


def test_member_names_are_escaped(html: str, page: Element) -> None:
    assert page.find("tr", data_member="gstt").find("th").text.startswith(TRICKY_NAME)
    assert page.find_all("nhs") == []  # the name's "<NHS>" is text, not an element
    assert "<NHS>" not in html


# --- charts ---------------------------------------------------------------------------------------


def test_spend_mix_has_one_labelled_bar_per_kind_of_supplier(page: Element) -> None:
    svg = page.find("svg", data_chart="spend-mix")
    assert svg["role"] == "img" and svg.find_all("title")
    rows = svg.find_all("g", data_category=True)
    assert [g["data-category"] for g in rows] == [f"{code}_pct" for code in SPEND_MIX]
    assert all(len(g.find_all("rect")) == 1 for g in rows)
    mix = {g["data-category"]: g for g in rows}
    assert float(mix["spend_sme_pct"]["data-value"]) == pytest.approx(34.5123)
    assert "data-derived" not in mix["spend_sme_pct"]
    # shares worked out from amounts when the headline has no share: amount / total spend
    for code, amount in (("spend_diverse_pct", DIVERSE_SPEND), ("spend_local_sme_pct", LOCAL_SME_SPEND)):
        assert mix[code]["data-derived"] == "true"
        assert float(mix[code]["data-value"]) == pytest.approx(amount / SPEND_TOTAL * 100, abs=1e-6)
    labels = [g.find("text", class_="bar-label").text for g in rows]
    assert (
        labels[0] == lookup("spend_sme_pct").short_name and labels[2] == lookup("spend_local_sme").short_name
    )


def test_trend_charts_have_every_period_and_gaps_stay_gaps(page: Element) -> None:
    for chart in ("trend-spend_total", "trend-spend_small_or_diverse_pct"):
        svg = page.find("svg", data_chart=chart)
        points = svg.find_all("g", data_period=True)
        assert [p["data-period"] for p in points] == ["2025-26-Q3", "2025-26-Q4", "2026-27-Q1", "2026-27-Q2"]
        assert points[1]["data-value"] == ""  # the missing period stays missing, not zero
        assert points[1].find("text", class_="no-data").text == "No data"
        assert svg.find("title", id=svg["aria-labelledby"]).text == lookup(chart.removeprefix("trend-")).name
    line = page.find("svg", data_chart="trend-spend_small_or_diverse_pct")
    # the gap splits the line: Q3 stands alone, only Q1 -> Q2 are joined
    [path] = line.find_all("path", class_="trend-line")
    assert path["d"].count("L") == 1


# --- page properties ------------------------------------------------------------------------------


def test_page_loads_nothing_from_anywhere_and_prints() -> None:
    html = render_period_report_html(make_measures_report())  # every section
    page = parse(html)
    assert page.find_all("script") == [] and page.find_all("link") == [] and page.find_all("img") == []
    assert page.find_all("iframe") == [] and page.find_all("object") == [] and page.find_all("embed") == []
    for element in page.iter():
        for name, value in element.attrs.items():
            assert "://" not in value and not value.startswith("//"), (element.tag, name, value)
            assert name not in ("src", "href", "srcset", "xlink:href"), (element.tag, name)
    [style] = page.find_all("style")
    css = style.text.lower()
    assert "@import" not in css and "url(" not in css and "@font-face" not in css
    assert "@media print" in css


def test_same_report_in_any_input_order_renders_the_same_bytes() -> None:
    report = make_measures_report()
    html = render_period_report_html(report)
    assert render_period_report_html(report) == html
    shuffled = dataclasses.replace(
        report,
        members=tuple(reversed(report.members)),
        submissions=tuple(reversed(report.submissions)),
        source_submission_ids=tuple(reversed(report.source_submission_ids)),
        workforce_members=tuple(reversed(report.workforce_members)),
        measures=tuple(reversed(report.measures)),
        targets=tuple(reversed(report.targets)),
        social_value_by_theme=MappingProxyType(dict(reversed(list(SOCIAL_VALUE_BY_THEME.items())))),
    )
    assert render_period_report_html(shuffled) == html


def _definitions(page: Element) -> dict[str, tuple[Element, str]]:
    """Each term of the definitions list: its ``dt`` and the text of the ``dd`` after it."""
    items = page.find("dl", class_="definitions").elements
    return {dt.text: (dt, dd.text) for dt, dd in zip(items[::2], items[1::2], strict=True)}


def test_every_card_is_defined_in_the_registrys_words_and_acronyms_are_explained(
    report: PeriodReport, page: Element
) -> None:
    terms = _definitions(page)
    for figure in report.headline:
        kpi = lookup(figure.code)
        dt, meaning = terms[kpi.name]
        assert dt["data-kpi-definition"] == figure.code and meaning == kpi.definition
        card = _card(page, figure.code)
        assert card.find("h3").text == kpi.name
        assert card.find("p", class_="card-definition").text == kpi.definition
    for term in (
        "Small and medium-sized enterprise (SME)",
        "Micro, small and medium-sized enterprises (MSMEs)",
        "Voluntary, community and social enterprise (VCSE) organisations",
    ):
        assert term in terms


def test_tables_have_captions_and_scoped_headers(page: Element) -> None:
    charts = page.find_all("svg", role="img")  # each chart's figures are in a captioned table too
    assert len(page.find_all("caption")) == 2 + len(charts)  # members and submissions, and the charts
    assert all(figure.find("caption") for figure in page.find_all("figure"))
    assert all("scope" in th for th in page.find_all("th"))


def test_footer_lists_source_submissions_sorted(page: Element) -> None:
    footer = page.find("footer")
    assert "Built from 3 source submissions" in squeeze(footer.text)
    listed = footer.find("details").find_all("code", data_submission_id=True)
    assert [c["data-submission-id"] for c in listed] == ["sha256-aaa", "sha256-bbb", "sha256-ccc"]


def test_empty_report_renders(report: PeriodReport) -> None:
    empty = dataclasses.replace(
        report, headline=(), members=(), submissions=(), trend=(), pledge_pct=None, source_submission_ids=()
    )
    page = parse(render_period_report_html(empty))
    assert squeeze(page.find("p", class_="submitted-count").text) == "0 of 0 members submitted."
    assert "No trend data yet." in page.text
    assert page.find_all("details", class_="sources") == []  # no list of sources
