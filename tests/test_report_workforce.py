"""The report's Living Wage and workforce section: figures round-trip, small numbers never leak."""

from __future__ import annotations

import dataclasses

import pytest

from reports import PeriodReport, TrendPoint, render_period_report_html
from reports.model import WORKFORCE_MEMBER_COLUMNS
from reports.sections.workforce import LIVING_WAGE_SERIES
from tests.report_html import Element, parse, squeeze
from tests.report_samples import KCL_UPLIFT_GBP, KCL_UPLIFTS, make_report, make_workforce_report
from transforms.kpi_registry import lookup

SUPPRESSED_TITLE = "Not shown to protect privacy: fewer than 5 people, or a figure from which such a count could be worked out"
HIDDEN = "[c]"
LEGEND = (
    "[c] not shown to protect privacy: fewer than 5 people, or a figure from which such a count could be "
    "worked out. Totals include them."
)


@pytest.fixture(scope="module")
def report() -> PeriodReport:
    return make_workforce_report()


@pytest.fixture(scope="module")
def html(report: PeriodReport) -> str:
    return render_period_report_html(report)


@pytest.fixture(scope="module")
def page(html: str) -> Element:
    return parse(html)


def _section(page: Element) -> Element:
    return page.find("section", data_section="workforce")


def _render(report: PeriodReport) -> Element:
    return parse(render_period_report_html(report))


def _close(raw: str | None, expected: float | None) -> bool:
    return raw not in (None, "") and expected is not None and float(raw) == pytest.approx(expected, abs=1e-6)


def _cells(row: Element) -> dict[str, Element]:
    return {td["data-col"]: td for td in row.find_all("td", data_col=True)}


def _total_row(page: Element) -> Element:
    return page.find("tr", data_workforce_network_total="true")


def _lw_group(page: Element, member_id: str) -> Element:
    return page.find("svg", data_chart="living-wage-share").find("g", data_workforce_member=member_id)


def _trend_points(page: Element, code: str) -> dict[str, Element]:
    svg = page.find("svg", data_chart=f"trend-{code}")
    return {g["data-period"]: g for g in svg.find_all("g", data_period=True)}


# --- figures round-trip ---------------------------------------------------------------------------


def test_section_shown_with_headline_cards_in_order(report: PeriodReport, page: Element) -> None:
    assert page.find("h2", id="workforce-heading").text == "Living Wage and workforce"
    assert page.find("h1").text.startswith("Anchor network spend and workforce report")
    cards = _section(page).find_all("li", data_kpi=True)
    assert [c["data-kpi"] for c in cards] == [k.code for k in report.workforce_headline]
    for kpi, card in zip(report.workforce_headline, cards, strict=True):
        assert card["data-unit"] == lookup(kpi.code).unit and "data-suppressed" not in card
        assert _close(card["data-value"], kpi.value)
        assert (
            card["data-previous"] == ""
            if kpi.previous is None
            else _close(card["data-previous"], kpi.previous)
        )


def test_every_unsuppressed_member_figure_round_trips(report: PeriodReport, page: Element) -> None:
    rows = {r["data-workforce-member"]: r for r in page.find_all("tr", data_workforce_member=True)}
    assert set(rows) == {m.member_id for m in report.workforce_members}
    for member in report.workforce_members:
        cells = _cells(rows[member.member_id])
        assert list(cells) == list(WORKFORCE_MEMBER_COLUMNS)
        for col, td in cells.items():
            expected = getattr(member, col)
            if col in member.suppressed:
                assert td["data-value"] == "" and td["data-suppressed"] == "true"
            elif expected is None:
                assert td["data-value"] == "" and "data-suppressed" not in td
            else:
                assert _close(td["data-value"], expected), (member.member_id, col)


def test_column_headings_are_the_registrys_short_names_grouped_by_their_common_part(page: Element) -> None:
    first, second = page.find("table", class_="workforce").find("thead").find_all("tr")
    subs = iter(th.text for th in second.find_all("th"))
    shown = []
    for th in first.find_all("th")[2:]:  # after Member and Sector
        if "colspan" in th:  # "Paid the Living Wage" over "Direct staff", "Contractors"
            shown += [
                f"{th.text}: {sub[:1].lower()}{sub[1:]}"
                for sub in [next(subs) for _ in range(int(th["colspan"]))]
            ]
        else:
            assert th["rowspan"] == "2"
            shown.append(th.text)
    assert next(subs, None) is None
    assert shown == [lookup(c).short_name for c in WORKFORCE_MEMBER_COLUMNS]


def test_network_totals_are_exact(report: PeriodReport, page: Element) -> None:
    by_code = {k.code: k for k in report.workforce_headline}
    total = _cells(_total_row(page))
    for col in WORKFORCE_MEMBER_COLUMNS:
        assert _close(total[col]["data-value"], by_code[col].value), col
    # the total includes the suppressed member's 3 uplifts and £4,271.60
    assert sum(m.lw_uplifts or 0 for m in report.workforce_members) == 263
    uplifts = total["lw_uplifts"]
    assert (uplifts["data-value"], uplifts["title"], uplifts.text) == ("263.0", "263", "263")
    value = total["lw_uplift_annual_gbp"]
    assert (value["title"], value.text) == ("£363,922.00", "£364k")
    assert _section(page).find("li", data_kpi="lw_uplifts").find("p", class_="card-value").text == "263"


def test_living_wage_chart_compares_direct_staff_and_contractors(report: PeriodReport, page: Element) -> None:
    svg = page.find("svg", data_chart="living-wage-share")
    assert svg.find("title", id=svg["aria-labelledby"]).text == (
        f"{lookup('lw_paid_pct').name}: direct staff and contractors"
    )
    by_code = {k.code: k for k in report.workforce_headline}
    submitted = [m for m in report.workforce_members if m.submitted]
    network = svg.find("g", data_network_total="true")
    members = {g["data-workforce-member"]: g for g in svg.find_all("g", data_workforce_member=True)}
    assert set(members) == {m.member_id for m in submitted}
    for code, basis, _ in LIVING_WAGE_SERIES:
        assert _close(network.find("g", data_basis=basis)["data-value"], by_code[code].value)
        for member in submitted:
            bar = members[member.member_id].find("g", data_basis=basis)
            if code in member.suppressed:
                assert bar["data-value"] == "" and bar["data-suppressed"] == "true"
            else:
                assert _close(bar["data-value"], getattr(member, code))
    labels = [t.text for t in network.find_all("text", class_="bar-label")]
    assert labels == ["Direct staff", "Contractors"]
    # the bar length is the share: 96.2% of the 0-100% axis
    bar = _lw_group(page, "camden").find("g", data_basis="contractor").find("rect", class_="bar-contractor")
    assert bar["x"] == "120" and float(bar["width"]) == pytest.approx(520 * 0.962, abs=0.1)


def test_uplift_trend_has_every_period(report: PeriodReport, page: Element) -> None:
    uplifts = _trend_points(page, "lw_uplifts")
    assert list(uplifts) == [p.period for p in report.trend]
    for point in report.trend:
        value, raw = point.values["lw_uplifts"], uplifts[point.period]["data-value"]
        assert raw == "" if value is None else _close(raw, value)
    charts = {svg["data-chart"] for svg in _section(page).find_all("svg", data_chart=True)}
    assert {"trend-lw_paid_pct_direct", "trend-lw_paid_pct_contractor"} <= charts
    assert "trend-spend_total" not in charts  # the spend trends keep their own charts


def test_count_trend_axis_uses_whole_numbers(page: Element) -> None:
    ticks = [t.text for t in page.find("svg", data_chart="trend-lw_uplifts").find_all("text", class_="tick")]
    assert ticks and all(t.replace(",", "").isdigit() for t in ticks), ticks


def test_not_submitted_member_is_greyed(page: Element) -> None:
    row = page.find("tr", data_workforce_member="amber")
    assert row["data-submitted"] == "false" and "not-submitted" in row.classes
    assert "Not submitted" in row.text
    assert all(td["data-value"] == "" for td in row.find_all("td", data_col=True))
    line = squeeze(page.find("p", class_="workforce-submitted-count").text)
    assert line.startswith("3 of 4 members sent a workforce return. Not yet sent: Amber Housing.")
    chart = page.find("svg", data_chart="living-wage-share")
    assert chart.find_all("g", data_workforce_member="amber") == []


# --- disclosure control ---------------------------------------------------------------------------


def test_suppressed_member_figures_show_the_marker(page: Element) -> None:
    cells = _cells(page.find("tr", data_workforce_member="kcl"))
    for col in ("staff_contractor", "lw_paid_pct_contractor", "lw_uplifts", "lw_uplift_annual_gbp"):
        assert "suppressed" in cells[col].classes, col
        assert (cells[col].text, cells[col]["title"]) == (HIDDEN, SUPPRESSED_TITLE), col
        assert cells[col].find("abbr")["title"] == SUPPRESSED_TITLE, col  # read out, not "[c]"


def test_suppressed_values_appear_nowhere(html: str, page: Element) -> None:
    # the member's row and its chart bars carry no trace of 3 uplifts, 4 contractors, 75% or 2 starts
    hidden = {KCL_UPLIFTS, KCL_UPLIFT_GBP, 4.0, 75.0, 2.0}
    row = page.find("tr", data_workforce_member="kcl")
    assert row.numbers() == {6980.0, 99.1, 88.0, 22.6, 5.0}  # 5 from the tooltip: "fewer than 5 people"
    group = _lw_group(page, "kcl")
    assert not group.numbers() & hidden and HIDDEN in group.text
    assert len(group.find_all("rect")) == 1  # the direct staff bar only: no bar length for the contractors
    # the exact yearly value is nowhere in the page, in any form
    for token in ("4271", "4,271", "4.27k", "4.3k"):
        assert token not in html, token
    # the chart's description says [c] too
    svg = page.find("svg", data_chart="living-wage-share")
    assert "King's College London: direct staff 99.1%, contractors [c]" in svg.find("desc").text


def test_suppression_note_under_section(page: Element) -> None:
    note = _section(page).find("p", class_="suppression-note")
    assert note.text == f"Small numbers: {LEGEND}"
    assert note["data-suppression-threshold"] == "5"


def test_threshold_comes_from_the_report(report: PeriodReport) -> None:
    page = _render(dataclasses.replace(report, suppression_threshold=10))
    assert HIDDEN in page.find("tr", data_workforce_member="kcl").text  # the marker whatever N is
    assert any(e.get("title") == SUPPRESSED_TITLE.replace(" 5 ", " 10 ") for e in page.iter())
    assert "fewer than 10 people" in page.find("p", data_legend="hidden").text
    assert "fewer than 5 " not in page.readable().lower()


def test_suppressed_network_card_shows_no_value_and_no_change(report: PeriodReport) -> None:
    # network-level apprenticeship starts of 3 (7 last period), flagged as too few people
    headline = tuple(
        dataclasses.replace(k, value=3, previous=7, suppressed=True) if k.code == "apprentice_starts" else k
        for k in report.workforce_headline
    )
    page = _render(dataclasses.replace(report, workforce_headline=headline))
    card = _section(page).find("li", data_kpi="apprentice_starts")
    assert (card["data-value"], card["data-previous"], card["data-suppressed"]) == ("", "", "true")
    value = card.find("p", class_="card-value")
    assert (value.text, value["title"]) == (HIDDEN, SUPPRESSED_TITLE)
    assert card.find_all("p", class_="card-change") == [] and not card.numbers() & {3.0, 7.0}
    cell = _cells(_total_row(page))["apprentice_starts"]
    assert cell.text == HIDDEN and cell["data-value"] == ""


def test_suppressed_network_figure_is_suppressed_in_the_trend_too(report: PeriodReport) -> None:
    # this period's uplifts (4) flagged on the card: the trend point for this period must not show it
    headline = tuple(
        dataclasses.replace(k, value=4, suppressed=True) if k.code == "lw_uplifts" else k
        for k in report.workforce_headline
    )
    trend = tuple(
        TrendPoint(p.period, {**p.values, "lw_uplifts": 4}) if p.period == report.period else p
        for p in report.trend
    )
    page = _render(dataclasses.replace(report, workforce_headline=headline, trend=trend))
    point = _trend_points(page, "lw_uplifts")[report.period]
    assert point["data-value"] == "" and point["data-suppressed"] == "true"
    svg = page.find("svg", data_chart="trend-lw_uplifts")
    assert "2026-27-Q2: [c]" in svg.find("desc").text
    assert 4.0 not in point.numbers()
    assert point.find_all("rect") == []  # no column whose height would give it away
    ticks = [t.text for t in svg.find_all("text", class_="tick")]
    assert ticks == ["0", "50", "100", "150", "200"]  # the scale ignores it too
    assert "had their pay raised" not in _section(page).text  # nor in the section's opening sentences


def test_suppressed_previous_period_hides_the_change(report: PeriodReport) -> None:
    # last period's uplifts (4) were suppressed in the trend: no "on previous period (4)" this time
    trend = tuple(
        TrendPoint(p.period, {**p.values, "lw_uplifts": 4}, frozenset({"lw_uplifts"}))
        if p.period == "2026-27-Q1"
        else p
        for p in report.trend
    )
    headline = tuple(
        dataclasses.replace(k, previous=4) if k.code == "lw_uplifts" else k for k in report.workforce_headline
    )
    page = _render(dataclasses.replace(report, workforce_headline=headline, trend=trend))
    card = _section(page).find("li", data_kpi="lw_uplifts")
    assert card.find("p", class_="card-value").text == "263"
    assert card.find_all("p", class_="card-change") == [] and card["data-previous"] == ""
    point = _trend_points(page, "lw_uplifts")["2026-27-Q1"]
    assert point["data-suppressed"] == "true" and point["data-value"] == ""


# --- definitions and absence ----------------------------------------------------------------------


def test_definitions_explain_workforce_cards_and_terms(report: PeriodReport, page: Element) -> None:
    items = page.find("dl", class_="definitions").elements
    terms = {dt.text: (dt, dd.text) for dt, dd in zip(items[::2], items[1::2], strict=True)}
    for figure in report.workforce_headline:
        kpi = lookup(figure.code)
        dt, meaning = terms[kpi.name]
        assert dt["data-kpi-definition"] == figure.code and meaning == kpi.definition
    assert (
        "Living Wage Foundation" in terms["Living Wage"][1]
        and "London Living Wage" in terms["Living Wage"][1]
    )
    assert "Contractors" in terms and "Uplift" in terms


def test_section_absent_without_workforce_data(report: PeriodReport) -> None:
    spend_only = make_report()
    html = render_period_report_html(spend_only)
    page = parse(html)
    assert page.find_all(id="workforce-heading") == [] and "Living Wage" not in page.text
    assert page.find_all(data_suppressed=True) == [] and HIDDEN not in page.readable()
    assert page.find_all(data_legend=True) == []  # no marker, no legend
    assert page.find("h1").text.startswith("Anchor network spend report:")
    # the workforce fields at their defaults change nothing, and neither do workforce trend values alone
    assert render_period_report_html(dataclasses.replace(spend_only, suppression_threshold=5)) == html
    with_trend = dataclasses.replace(report, workforce_headline=(), workforce_members=())
    assert _render(with_trend).find_all(id="workforce-heading") == []


def test_spend_sections_unchanged_by_workforce_data(report: PeriodReport, page: Element) -> None:
    spend_only = _render(dataclasses.replace(make_report(), submissions=report.submissions))

    def rest(page: Element) -> tuple[object, ...]:
        # everything but the workforce section, the styles, the title, the definitions and the legend
        # of the hidden-figure marker (printed because the workforce section hides figures)
        return page.without(
            lambda e: (
                e.get("data-section") == "workforce"
                or e.get("data-legend") == "hidden"
                or e.tag in ("style", "h1")
                or e.get("aria-labelledby") == "definitions-heading"
            )
        ).outline()

    assert rest(page) == rest(spend_only)


def test_network_cards_missing_still_renders_the_members(report: PeriodReport) -> None:
    page = _render(dataclasses.replace(report, workforce_headline=()))
    assert "No network workforce figures for this period." in _section(page).text
    assert page.find_all("tr", data_workforce_member="kcl")
