"""The report's targets, measures and social value sections: figures round-trip, statuses are spelt out,
proxies and their sources are listed, and reports without these data are unchanged."""

from __future__ import annotations

import dataclasses

import pytest

from reports import PeriodReport, TargetRow, render_period_report_html
from reports.format import format_quantity, target_period_label, theme_label
from tests.report_html import Element, parse, squeeze
from tests.report_samples import (
    EXAMPLE_SOURCE,
    MEASURES,
    RULE,
    SOCIAL_VALUE_BY_THEME,
    SOCIAL_VALUE_TOTAL,
    TARGETS,
    TRICKY_MEASURE,
    TRICKY_NAME,
    make_measures_report,
    make_report,
    make_workforce_report,
)
from transforms.kpi_registry import SOCIAL_VALUE, lookup

STATUS_TEXT = {"on track": "On track", "at risk": "At risk", "off track": "Off track", "no data": "No data"}


@pytest.fixture(scope="module")
def report() -> PeriodReport:
    return make_measures_report()


@pytest.fixture(scope="module")
def html(report: PeriodReport) -> str:
    return render_period_report_html(report)


@pytest.fixture(scope="module")
def page(html: str) -> Element:
    return parse(html)


def _section(page: Element, name: str) -> Element:
    return page.find("section", aria_labelledby=f"{name}-heading")


def _number(raw: str | None) -> float | None:
    return None if raw in (None, "") else float(raw)


def _target_row(page: Element, kpi: str) -> Element:
    return _section(page, "targets").find("tr", data_target_kpi=kpi)


def _cell_texts(row: Element) -> dict[str, str]:
    return {td["data-col"]: squeeze(td.text) for td in row.find_all("td", data_col=True)}


# --- targets --------------------------------------------------------------------------------------


def test_targets_come_right_after_the_headline_figures(page: Element) -> None:
    headings = [h2["id"] for h2 in page.find_all("h2", id=True)]
    order = [headings.index(f"{name}-heading") for name in ("headline", "targets", "mix", "members")]
    assert order == sorted(order) and order[1] == order[0] + 1


def test_every_target_figure_round_trips_with_the_registrys_name_and_unit(page: Element) -> None:
    by_key = {(t.kpi, t.scope, t.member_name, t.period): t for t in TARGETS}
    rows = page.find_all("tr", data_target_kpi=True)
    assert len(rows) == len(TARGETS)
    for row in rows:
        target = by_key[
            (
                row["data-target-kpi"],
                row["data-target-scope"],
                row.get("data-target-member"),
                row["data-target-period"],
            )
        ]
        kpi = lookup(target.kpi, MEASURES)
        assert row["data-status"] == target.status and row["data-direction"] == target.direction
        assert row["data-unit"] == kpi.unit
        assert row.find("th").text.startswith(kpi.name)
        cells = {td["data-col"]: td["data-value"] for td in row.find_all("td", data_col=True)}
        assert list(cells) == ["target", "expected_to_date", "actual", "progress_pct"]
        for col, raw in cells.items():
            expected = getattr(target, col)
            assert _number(raw) == (None if expected is None else pytest.approx(expected, abs=1e-6))


def test_targets_ordered_network_first_then_members_by_name_then_kpi(page: Element) -> None:
    keys = [
        (t["data-target-scope"], t.get("data-target-member"), t["data-target-kpi"])
        for t in page.find_all("tr", data_target_kpi=True)
    ]
    assert keys == [
        ("network", None, "lw_uplifts"),
        ("network", None, "measure:mentees_matched"),
        ("network", None, "social_value_gbp"),
        ("network", None, "spend_small_or_diverse_pct"),
        ("network", None, "spend_unknown_size_pct"),
        ("member", "Camden Council", "spend_sme_pct"),
        ("member", TRICKY_NAME, "spend_total"),
    ]


def test_status_badges_carry_their_text(page: Element) -> None:
    section = _section(page, "targets")
    for row in section.find_all("tr", data_target_kpi=True):
        status = row["data-status"]
        badge = row.find("span", class_="tag")
        assert f"tag-{status.replace(' ', '-')}" in badge.classes and badge.text == STATUS_TEXT[status]
    counts = {li["data-target-status-count"]: li.find("strong").text for li in section.find_all("li")}
    assert counts == {"on track": "3", "at risk": "2", "off track": "1", "no data": "1"}
    summary = section.find("p", class_="target-summary")
    assert (summary["data-targets"], summary.text) == ("7", "7 targets this period:")


def test_values_formatted_by_unit(page: Element) -> None:
    def texts(kpi: str) -> dict[str, str]:
        return _cell_texts(_target_row(page, kpi))

    assert (
        texts("social_value_gbp")["target"] == "£500k"
        and texts("social_value_gbp")["expected_to_date"] == "£250k"
    )
    assert texts("spend_small_or_diverse_pct")["target"] == "30.0%"
    assert texts("spend_small_or_diverse_pct")["actual"] == "31.3%"
    assert (texts("lw_uplifts")["target"], texts("lw_uplifts")["actual"]) == ("600", "263")
    assert texts("lw_uplifts")["progress_pct"].startswith("43.8% Progress: 43.8% of the target")
    assert (texts("measure:mentees_matched")["target"], texts("measure:mentees_matched")["actual"]) == (
        "200 people",
        "96 people",
    )
    lower = _target_row(page, "spend_unknown_size_pct")
    assert (
        texts("spend_unknown_size_pct")["actual"] == "16.2%" and "(lower is better)" in lower.find("th").text
    )
    periods = {
        row["data-target-kpi"]: row.find_all("td")[1].text
        for row in page.find_all("tr", data_target_kpi=True)
    }
    assert periods["lw_uplifts"] == "2026-27, year to date"
    assert periods["spend_unknown_size_pct"] == "Quarter 2 of 2026-27"
    assert target_period_label("2026-27") == "2026-27, year to date"
    assert format_quantity(12.0, "count") == "12" and format_quantity(12.5, "count") == "13"
    assert format_quantity(1_234_567, "GBP") == "£1.23m" and format_quantity(12.345, "%") == "12.3%"


def test_a_target_on_a_kpi_the_registry_does_not_know_is_shown_as_its_code() -> None:
    unknown = TargetRow(
        "co2e_per_staff", "network", None, "2026-27-Q2", 1.5, 1.62, 1.5, 108.0, "at risk", "lower"
    )
    page = parse(render_period_report_html(dataclasses.replace(make_report(), targets=(unknown,))))
    row = page.find("tr", data_target_kpi="co2e_per_staff")
    assert row.find("th").text.startswith("co2e_per_staff") and row["data-unit"] == ""
    assert _number(row.find("td", data_col="actual")["data-value"]) == pytest.approx(1.62)


def test_progress_bars_show_progress_and_path(page: Element) -> None:
    section = _section(page, "targets")
    assert len(section.find_all("svg", class_="progress-bar")) == len(TARGETS)
    bar = _target_row(page, "lw_uplifts").find("svg", class_="progress-bar")
    # 43.8% of a 120-wide bar; the path to date (300 of 600) at half way
    fill = bar.find("rect", class_="fill-off-track")
    assert (fill["x"], fill["y"], fill["width"]) == ("0", "3", "52.6")
    assert bar.find("line", class_="path-mark")["x1"] == "60.0"


def test_rule_printed_under_the_targets(page: Element) -> None:
    elements = list(_section(page, "targets").iter())
    rule = next(e for e in elements if "data-target-rule" in e)
    assert elements.index(next(e for e in elements if e.tag == "table")) < elements.index(rule)
    assert "At risk: behind the path by less than 10%." in rule.text
    assert "Off track: 10% or more behind it." in rule.text


# --- measures -------------------------------------------------------------------------------------


def test_every_measure_round_trips(page: Element) -> None:
    by_code = {m.code: m for m in MEASURES}
    rows = page.find_all("tr", data_measure=True)
    assert len(rows) == len(MEASURES)
    for row in rows:
        measure = by_code[row["data-measure"]]
        cells = {td["data-col"]: td["data-value"] for td in row.find_all("td", data_col=True)}
        assert _number(row["data-value"]) == _number(cells["value"]) == measure.value
        assert _number(row["data-previous"]) == _number(cells["previous"]) == measure.previous
        assert int(cells["members_reporting"]) == measure.members_reporting
        assert row["data-unit"] == measure.unit and row.find("th").text == measure.name


def test_measures_grouped_by_theme_then_code(page: Element) -> None:
    groups = _section(page, "measures").find_all("tbody", data_measure_theme=True)
    themes = [(g["data-measure-theme"], g.find("tr", class_="theme-row").text) for g in groups]
    assert themes == [
        ("civic_life_and_place", "Civic Life And Place"),
        ("environment", "Environment"),
        ("good_work", "Good work"),
        ("inclusive_economy", "Inclusive economy"),
        ("jobs_and_skills", "Jobs and skills"),
    ]
    codes = [row["data-measure"] for row in page.find_all("tr", data_measure=True)]
    assert codes == [m.code for m in sorted(MEASURES, key=lambda m: (m.theme, m.code))]
    assert theme_label("jobs_and_skills") == "Jobs and skills" and theme_label("net_zero") == "Net Zero"


def test_measure_values_and_changes(page: Element) -> None:
    def row(code: str) -> dict[str, str]:
        return _cell_texts(page.find("tr", data_measure=code))

    assert (
        row("co2e_saved_t")["value"] == "412.75 tCO2e" and "−42.75 tCO2e" in row("co2e_saved_t")["previous"]
    )
    assert (
        row("levy_transferred_gbp")["value"] == "£185k"
        and "+23.0%" in row("levy_transferred_gbp")["previous"]
    )
    assert (
        row("mentors_trained")["value"] == "140 people" and "+20 people" in row("mentors_trained")["previous"]
    )
    assert "no change" in row("contracts_msme_count")["previous"]
    assert row("retrofit_buildings_identified")["value"] == "No data"
    count = _section(page, "measures").find("p", class_="measures-count").find("strong").text
    assert count == "8 of 9 measures reported"


# --- social value ---------------------------------------------------------------------------------


def test_social_value_total_and_themes_round_trip(page: Element) -> None:
    card = page.find("li", data_kpi=SOCIAL_VALUE)
    assert float(card["data-value"]) == pytest.approx(SOCIAL_VALUE_TOTAL) and card["data-unit"] == "GBP"
    assert card.find("h3").text == lookup(SOCIAL_VALUE).name
    assert card.find("p", class_="card-definition").text == lookup(SOCIAL_VALUE).definition
    themes = page.find_all("g", data_theme=True)
    assert {t["data-theme"]: float(t["data-value"]) for t in themes} == SOCIAL_VALUE_BY_THEME
    assert [t["data-theme"] for t in themes] == sorted(SOCIAL_VALUE_BY_THEME)


def test_theme_chart_is_labelled(page: Element) -> None:
    svg = page.find("svg", data_chart="social-value-by-theme")
    assert svg["role"] == "img"
    assert svg.find("title", id=svg["aria-labelledby"]).text == f"{lookup(SOCIAL_VALUE).name} by theme"
    bars = {g["data-theme"]: g for g in svg.find_all("g", data_theme=True)}
    assert bars["jobs_and_skills"].find("text", class_="bar-label").text == "Jobs and skills"
    assert bars["environment"].find("text", class_="bar-label").text == "Environment"
    assert bars["jobs_and_skills"].find("text", class_="value").text == "£115k"
    assert bars["environment"].find("text", class_="value").text == "£150k"


def test_method_and_proxies_listed_with_sources(page: Element) -> None:
    section = _section(page, "social-value")
    method = squeeze(section.find("p", data_social_value_method="true").text)
    assert "social value is estimated as each measure's value times a proxy value" in method
    assert "network's own proxy values" in method
    assert "National TOMs" in method and "are not used" in method
    assert (
        "Measures without a proxy add no social value: Volunteering hours, Buildings identified for "
        "retrofit, Good Work Standard level, Contracts awarded to MSMEs, Apprenticeship levy transferred "
        "to SMEs and Mentors trained."
    ) in method
    with_proxy = [m for m in MEASURES if m.proxy_gbp_per_unit is not None]
    rows = {row["data-proxy-measure"]: row for row in section.find_all("tr", data_proxy_measure=True)}
    assert set(rows) == {m.code for m in with_proxy}
    for measure in with_proxy:
        row = rows[measure.code]
        assert (
            float(row.find("td", data_col="proxy_gbp_per_unit")["data-value"]) == measure.proxy_gbp_per_unit
        )
        assert float(row.find("td", data_col=SOCIAL_VALUE)["data-value"]) == pytest.approx(
            measure.social_value_gbp
        )
        source = row.find("td", data_proxy_source=True)
        assert source["data-proxy-source"] == source.text == measure.proxy_source
    proxies = {
        row["data-proxy-measure"]: row.find("td", data_col="proxy_gbp_per_unit").text for row in rows.values()
    }
    assert proxies["mentees_matched"] == "£1,200 per person" and proxies["co2e_saved_t"] == "£250 per tCO2e"
    assert sum(row.text.count(EXAMPLE_SOURCE) for row in rows.values()) == 2


def test_definitions_added(page: Element) -> None:
    terms = [dt.text for dt in page.find("dl", class_="definitions").find_all("dt")]
    assert {"Social value", "Proxy value", "Target path", "Progress"} <= set(terms)


# --- page properties ------------------------------------------------------------------------------


def test_sections_absent_without_data() -> None:
    for base in (make_report(), make_workforce_report()):
        html = render_period_report_html(base)
        page = parse(html)
        for heading in ("targets-heading", "measures-heading", "social-value-heading"):
            assert page.find_all(id=heading) == []
        assert page.find_all(data_target_kpi=True) == [] and page.find_all(data_theme=True) == []
        # the new fields at their defaults change nothing, byte for byte
        defaults = dataclasses.replace(
            base,
            measures=(),
            social_value_total_gbp=None,
            social_value_by_theme={},
            targets=(),
            target_rule="ignored without targets",
        )
        assert render_period_report_html(defaults) == html


def test_each_section_alone() -> None:
    base = make_report()
    only_targets = parse(
        render_period_report_html(dataclasses.replace(base, targets=TARGETS, target_rule=RULE))
    )
    assert only_targets.find_all(id="targets-heading") and not only_targets.find_all(id="measures-heading")
    assert not only_targets.find_all(id="social-value-heading")
    assert "Social value" not in [dt.text for dt in only_targets.find_all("dt")]
    no_proxy = tuple(dataclasses.replace(m, proxy_gbp_per_unit=None, social_value_gbp=None) for m in MEASURES)
    only_measures = parse(render_period_report_html(dataclasses.replace(base, measures=no_proxy)))
    assert only_measures.find_all(id="measures-heading") and not only_measures.find_all(
        id="social-value-heading"
    )
    assert not only_measures.find_all(id="targets-heading")


def test_other_sections_unchanged(page: Element) -> None:
    before = parse(render_period_report_html(make_workforce_report()))

    def rest(page: Element) -> tuple[object, ...]:
        # everything but the three sections, the styles and the definitions
        return page.without(
            lambda e: (
                e.get("data-section") in ("targets", "measures", "social-value")
                or e.tag == "style"
                or e.get("aria-labelledby") == "definitions-heading"
            )
        ).outline()

    assert rest(page) == rest(before)


def test_names_and_sources_are_escaped(html: str, page: Element) -> None:
    assert page.find("tr", data_measure="carbon_literacy_trained").find("th").text == TRICKY_MEASURE
    assert page.find_all("trained") == [] and page.find_all("minute") == [] and page.find_all("nhs") == []
    source = page.find("tr", data_proxy_measure="co2e_saved_t").find("td", data_proxy_source=True)
    assert source.text == "Network board decision, March 2026 <minute 4>"
    assert "<trained>" not in html and "<minute 4>" not in html and "<NHS>" not in html
