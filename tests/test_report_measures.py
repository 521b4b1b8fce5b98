"""The report's targets, measures and social value sections: figures round-trip, statuses are spelt out,
proxies and their sources are listed, and reports without these data are unchanged."""

from __future__ import annotations

import dataclasses
import re
from html.parser import HTMLParser
from types import MappingProxyType

import pytest

from reports import MeasureRow, PeriodReport, TargetRow, render_period_report_html
from reports.format import format_quantity, theme_label
from reports.render import target_period_label
from tests.test_report_render import TRICKY_NAME, make_report
from tests.test_report_workforce import make_workforce_report

EXAMPLE_SOURCE = "EXAMPLE ONLY: illustrative value for the demo network"
RULE = (
    "On track: at or ahead of the target's path to date. At risk: behind the path by less than 10%. "
    "Off track: 10% or more behind it. A year-long target's path rises in a straight line over the four "
    "quarters for figures that add up over the year, and is the target itself for shares and headcounts."
)
TRICKY_MEASURE = 'Staff <trained> in "carbon" literacy & more'

MEASURES = (
    MeasureRow(
        "mentors_trained", "Mentors trained", "people", "jobs_and_skills", 140, 120, members_reporting=3
    ),
    MeasureRow(
        "mentees_matched",
        "Young people matched with a mentor",
        "people",
        "jobs_and_skills",
        96,
        80,
        proxy_gbp_per_unit=1200.0,
        proxy_source=EXAMPLE_SOURCE,
        social_value_gbp=115_200.0,
        members_reporting=3,
    ),
    MeasureRow(
        "levy_transferred_gbp",
        "Apprenticeship levy transferred to SMEs",
        "GBP",
        "jobs_and_skills",
        184_500.0,
        150_000.0,
        members_reporting=2,
    ),
    MeasureRow(
        "carbon_literacy_trained",
        TRICKY_MEASURE,
        "people",
        "environment",
        310,
        None,
        proxy_gbp_per_unit=150.0,
        proxy_source=EXAMPLE_SOURCE,
        social_value_gbp=46_500.0,
        members_reporting=4,
    ),
    MeasureRow(
        "co2e_saved_t",
        "Carbon emissions saved",
        "tCO2e",
        "environment",
        412.75,
        455.5,
        proxy_gbp_per_unit=250.0,
        proxy_source="Network board decision, March 2026 <minute 4>",
        social_value_gbp=103_187.5,
        members_reporting=2,
    ),
    MeasureRow(
        "retrofit_buildings_identified", "Buildings identified for retrofit", "buildings", "environment", None
    ),
    MeasureRow(
        "contracts_msme_count",
        "Contracts awarded to MSMEs",
        "contracts",
        "inclusive_economy",
        57,
        57,
        None,
        None,
        None,
        4,
    ),
    MeasureRow(
        "good_work_standard_level",
        "Good Work Standard level",
        "level",
        "good_work",
        2,
        1,
        members_reporting=1,
    ),
    MeasureRow(
        "community_hours",
        "Volunteering hours",
        "hours",
        "civic_life_and_place",
        1_250.5,
        900,
        members_reporting=2,
    ),
)
SOCIAL_VALUE_TOTAL = 115_200.0 + 46_500.0 + 103_187.5
SOCIAL_VALUE_BY_THEME = {"jobs_and_skills": 115_200.0, "environment": 149_687.5}

TARGETS = (
    # members first and KPIs out of order, to check the page's own ordering
    TargetRow(
        "spend_sme_pct",
        "Spend with SMEs",
        "%",
        "member",
        "Camden Council",
        "2026-27",
        40.0,
        None,
        40.0,
        None,
        "no data",
    ),
    TargetRow(
        "spend_total",
        "Total spend",
        "GBP",
        "member",
        TRICKY_NAME,
        "2026-27-Q2",
        400_000.0,
        500_000.0,
        400_000.0,
        125.0,
        "on track",
    ),
    TargetRow(
        "spend_small_or_diverse_pct",
        "Spend with local MSMEs or diverse-owned businesses",
        "%",
        "network",
        None,
        "2026-27",
        30.0,
        31.25,
        30.0,
        104.2,
        "on track",
    ),
    TargetRow(
        "lw_uplifts",
        "Staff uplifted to the Living Wage",
        "count",
        "network",
        None,
        "2026-27",
        600.0,
        263.0,
        300.0,
        43.8,
        "off track",
    ),
    TargetRow(
        "measure:mentees_matched",
        "Young people matched with a mentor",
        "people",
        "network",
        None,
        "2026-27",
        200.0,
        96.0,
        100.0,
        48.0,
        "at risk",
    ),
    TargetRow(
        "social_value_gbp",
        "Social value",
        "GBP",
        "network",
        None,
        "2026-27",
        500_000.0,
        264_887.5,
        250_000.0,
        53.0,
        "on track",
    ),
    TargetRow(
        "co2e_per_staff",
        "Carbon emissions per member of staff",
        "tCO2e",
        "network",
        None,
        "2026-27-Q2",
        1.5,
        1.62,
        1.5,
        108.0,
        "at risk",
        "lower",
    ),
)
STATUS_TEXT = {"on track": "On track", "at risk": "At risk", "off track": "Off track", "no data": "No data"}


def make_measures_report(base: PeriodReport | None = None) -> PeriodReport:
    return dataclasses.replace(
        base or make_workforce_report(),
        measures=MEASURES,
        social_value_total_gbp=SOCIAL_VALUE_TOTAL,
        social_value_by_theme=MappingProxyType(dict(SOCIAL_VALUE_BY_THEME)),
        targets=TARGETS,
        target_rule=RULE,
    )


class _Parsed(HTMLParser):
    """Collects the machine-readable figures of the three sections."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.targets: list[dict[str, str | None]] = []
        self.target_cells: list[dict[str, str]] = []
        self.measures: list[dict[str, str | None]] = []
        self.measure_cells: list[dict[str, str]] = []
        self.themes: list[dict[str, str | None]] = []
        self.proxies: dict[str, dict[str, str]] = {}
        self.cards: dict[str, dict[str, str | None]] = {}
        self._row: str | None = None
        self._proxy: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if "data-kpi" in a:
            self.cards[a["data-kpi"] or ""] = a
        if tag == "tr":
            self._row = None
            if "data-target-kpi" in a:
                self._row = "target"
                self.targets.append(a)
                self.target_cells.append({})
            elif "data-measure" in a:
                self._row = "measure"
                self.measures.append(a)
                self.measure_cells.append({})
            elif "data-proxy-measure" in a:
                self._row = "proxy"
                self._proxy = a["data-proxy-measure"] or ""
                self.proxies[self._proxy] = {}
        if tag == "g" and "data-theme" in a:
            self.themes.append(a)
        if "data-col" in a and self._row:
            cells = {
                "target": self.target_cells,
                "measure": self.measure_cells,
            }.get(self._row)
            if cells is not None:
                cells[-1][a["data-col"] or ""] = a.get("data-value") or ""
            elif self._proxy is not None:
                self.proxies[self._proxy][a["data-col"] or ""] = a.get("data-value") or ""
        if "data-proxy-source" in a and self._proxy is not None:
            self.proxies[self._proxy]["source"] = a["data-proxy-source"] or ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "tr":
            self._row = None
            self._proxy = None


@pytest.fixture(scope="module")
def report() -> PeriodReport:
    return make_measures_report()


@pytest.fixture(scope="module")
def html(report: PeriodReport) -> str:
    return render_period_report_html(report)


@pytest.fixture(scope="module")
def parsed(html: str) -> _Parsed:
    parser = _Parsed()
    parser.feed(html)
    parser.close()
    return parser


def _section(html: str, name: str) -> str:
    match = re.search(rf'<section aria-labelledby="{name}-heading".*?</section>', html, re.S)
    assert match, name
    return match.group(0)


def _number(raw: str | None) -> float | None:
    return None if raw in (None, "") else float(raw)


# --- targets --------------------------------------------------------------------------------------


def test_targets_come_right_after_the_headline_figures(html: str) -> None:
    order = [html.index(f'id="{name}-heading"') for name in ("headline", "targets", "mix", "members")]
    assert order == sorted(order)


def test_every_target_figure_round_trips(parsed: _Parsed) -> None:
    by_key = {(t.kpi, t.scope, t.member_name, t.period): t for t in TARGETS}
    assert len(parsed.targets) == len(TARGETS)
    for attrs, cells in zip(parsed.targets, parsed.target_cells, strict=True):
        member = attrs.get("data-target-member")
        row = by_key[
            (attrs["data-target-kpi"], attrs["data-target-scope"], member, attrs["data-target-period"])
        ]
        assert attrs["data-status"] == row.status
        assert attrs["data-unit"] == row.unit and attrs["data-direction"] == row.direction
        assert list(cells) == ["target", "expected_to_date", "actual", "progress_pct"]
        for col in cells:
            expected = getattr(row, col)
            assert _number(cells[col]) == (None if expected is None else pytest.approx(expected, abs=1e-6))


def test_targets_ordered_network_first_then_members_by_name_then_kpi(parsed: _Parsed) -> None:
    keys = [
        (t["data-target-scope"], t.get("data-target-member"), t["data-target-kpi"]) for t in parsed.targets
    ]
    assert keys == [
        ("network", None, "co2e_per_staff"),
        ("network", None, "lw_uplifts"),
        ("network", None, "measure:mentees_matched"),
        ("network", None, "social_value_gbp"),
        ("network", None, "spend_small_or_diverse_pct"),
        ("member", "Camden Council", "spend_sme_pct"),
        ("member", TRICKY_NAME, "spend_total"),
    ]


def test_status_badges_carry_their_text(html: str) -> None:
    section = _section(html, "targets")
    for row in re.findall(r"<tr data-target-kpi.*?</tr>", section, re.S):
        status = re.search(r'data-status="([^"]+)"', row)
        assert status
        css = status.group(1).replace(" ", "-")
        assert f'<span class="tag tag-{css}">{STATUS_TEXT[status.group(1)]}</span>' in row
    counts = dict(re.findall(r'data-target-status-count="([^"]+)"><strong>(\d+)</strong>', section))
    assert counts == {"on track": "3", "at risk": "2", "off track": "1", "no data": "1"}
    assert '<p class="target-summary" data-targets="7">7 targets this period:</p>' in section


def test_values_formatted_by_unit(html: str) -> None:
    section = _section(html, "targets")

    def row(kpi: str) -> str:
        match = re.search(rf'<tr data-target-kpi="{re.escape(kpi)}".*?</tr>', section, re.S)
        assert match, kpi
        return match.group(0)

    assert ">£500k<" in row("social_value_gbp") and ">£250k<" in row("social_value_gbp")
    assert ">30.0%<" in row("spend_small_or_diverse_pct") and ">31.3%<" in row("spend_small_or_diverse_pct")
    assert ">600<" in row("lw_uplifts") and ">263<" in row("lw_uplifts")
    assert ">200 people<" in row("measure:mentees_matched") and ">96 people<" in row(
        "measure:mentees_matched"
    )
    assert ">1.62 tCO2e<" in row("co2e_per_staff") and "(lower is better)" in row("co2e_per_staff")
    assert "43.8%" in row("lw_uplifts")
    assert ">2026-27, year to date<" in row("lw_uplifts")
    assert ">Quarter 2 of 2026-27<" in row("co2e_per_staff")
    assert target_period_label("2026-27") == "2026-27, year to date"
    assert format_quantity(12.0, "count") == "12" and format_quantity(12.5, "count") == "13"
    assert format_quantity(1_234_567, "GBP") == "£1.23m" and format_quantity(12.345, "%") == "12.3%"


def test_progress_bars_show_progress_and_path(html: str) -> None:
    section = _section(html, "targets")
    bars = re.findall(r'<svg class="progress-bar".*?</svg>', section, re.S)
    assert len(bars) == len(TARGETS)
    uplifts = re.search(r'<tr data-target-kpi="lw_uplifts".*?</tr>', section, re.S)
    assert uplifts
    bar = uplifts.group(0)
    # 43.8% of a 120-wide bar; the path to date (300 of 600) at half way
    assert 'class="fill-off-track" x="0" y="3" width="52.6"' in bar
    assert 'class="path-mark" x1="60.0"' in bar


def test_rule_printed_under_the_targets(html: str) -> None:
    section = _section(html, "targets")
    assert section.index("</table>") < section.index("data-target-rule")
    assert "At risk: behind the path by less than 10%." in section
    assert "Off track: 10% or more behind it." in section


# --- measures -------------------------------------------------------------------------------------


def test_every_measure_round_trips(parsed: _Parsed) -> None:
    by_code = {m.code: m for m in MEASURES}
    assert len(parsed.measures) == len(MEASURES)
    for attrs, cells in zip(parsed.measures, parsed.measure_cells, strict=True):
        measure = by_code[attrs["data-measure"] or ""]
        assert _number(attrs["data-value"]) == measure.value
        assert _number(cells["value"]) == measure.value
        assert _number(attrs["data-previous"]) == measure.previous
        assert _number(cells["previous"]) == measure.previous
        assert int(cells["members_reporting"]) == measure.members_reporting
        assert attrs["data-unit"] == measure.unit


def test_measures_grouped_by_theme_then_code(html: str, parsed: _Parsed) -> None:
    section = _section(html, "measures")
    themes = re.findall(
        r'<tbody data-measure-theme="([^"]+)">\s*<tr class="theme-row"><th[^>]*>([^<]+)<', section
    )
    assert themes == [
        ("civic_life_and_place", "Civic Life And Place"),
        ("environment", "Environment"),
        ("good_work", "Good work"),
        ("inclusive_economy", "Inclusive economy"),
        ("jobs_and_skills", "Jobs and skills"),
    ]
    codes = [m["data-measure"] for m in parsed.measures]
    assert codes == [m.code for m in sorted(MEASURES, key=lambda m: (m.theme, m.code))]
    assert theme_label("jobs_and_skills") == "Jobs and skills" and theme_label("net_zero") == "Net Zero"


def test_measure_values_and_changes(html: str) -> None:
    section = _section(html, "measures")

    def row(code: str) -> str:
        match = re.search(rf'<tr data-measure="{code}".*?</tr>', section, re.S)
        assert match, code
        return match.group(0)

    assert ">412.75 tCO2e<" in row("co2e_saved_t") and "−42.75 tCO2e" in row("co2e_saved_t")
    assert ">£185k<" in row("levy_transferred_gbp") and "+23.0%" in row("levy_transferred_gbp")
    assert ">140 people<" in row("mentors_trained") and "+20 people" in row("mentors_trained")
    assert "no change" in row("contracts_msme_count")
    assert "No data" in row("retrofit_buildings_identified")
    assert "1 of 9" not in section and "8 of 9 measures reported" in section


# --- social value ---------------------------------------------------------------------------------


def test_social_value_total_and_themes_round_trip(parsed: _Parsed) -> None:
    card = parsed.cards["social_value_gbp"]
    assert float(card["data-value"] or "nan") == pytest.approx(SOCIAL_VALUE_TOTAL)
    assert card["data-unit"] == "GBP"
    assert {t["data-theme"]: float(t["data-value"] or "nan") for t in parsed.themes} == SOCIAL_VALUE_BY_THEME
    assert [t["data-theme"] for t in parsed.themes] == sorted(SOCIAL_VALUE_BY_THEME)


def test_theme_chart_is_labelled(html: str) -> None:
    svg = re.search(r'<svg[^>]*data-chart="social-value-by-theme".*?</svg>', html, re.S)
    assert svg
    chart = svg.group(0)
    assert 'role="img"' in chart and "<title" in chart
    assert ">Jobs and skills<" in chart and ">Environment<" in chart
    assert ">£115k<" in chart and ">£150k<" in chart


def test_method_and_proxies_listed_with_sources(html: str, parsed: _Parsed) -> None:
    section = _section(html, "social-value")
    assert "social value is estimated as each measure's value times a proxy value" in section
    assert "network's own proxy values" in section
    assert "National TOMs" in section and "are not used" in section
    with_proxy = [m for m in MEASURES if m.proxy_gbp_per_unit is not None]
    assert set(parsed.proxies) == {m.code for m in with_proxy}
    for measure in with_proxy:
        cells = parsed.proxies[measure.code]
        assert float(cells["proxy_gbp_per_unit"]) == measure.proxy_gbp_per_unit
        assert float(cells["social_value_gbp"]) == pytest.approx(measure.social_value_gbp)
        assert cells["source"] == measure.proxy_source
    assert section.count(EXAMPLE_SOURCE) >= 2
    assert "£1,200 per person" in section and "£250 per tCO2e" in section
    assert (
        "Measures without a proxy add no social value: Volunteering hours, Buildings identified for "
        "retrofit, Good Work Standard level, Contracts awarded to MSMEs, Apprenticeship levy transferred "
        "to SMEs and Mentors trained."
    ) in section


def test_definitions_added(html: str) -> None:
    definitions = html[html.index('id="definitions-heading"') :]
    for term in ("<dt>Social value</dt>", "<dt>Proxy value</dt>", "<dt>Target path</dt>"):
        assert term in definitions


# --- page properties ------------------------------------------------------------------------------


def test_sections_absent_without_data() -> None:
    for base in (make_report(), make_workforce_report()):
        page = render_period_report_html(base)
        for marker in (
            "targets-heading",
            "measures-heading",
            "social-value-heading",
            "data-target",
            "data-theme",
        ):
            assert marker not in page
        # the new fields at their defaults change nothing, byte for byte
        defaults = dataclasses.replace(
            base,
            measures=(),
            social_value_total_gbp=None,
            social_value_by_theme={},
            targets=(),
            target_rule="ignored without targets",
        )
        assert render_period_report_html(defaults) == page


def test_each_section_alone() -> None:
    base = make_report()
    only_targets = render_period_report_html(dataclasses.replace(base, targets=TARGETS, target_rule=RULE))
    assert "targets-heading" in only_targets and "measures-heading" not in only_targets
    assert "social-value-heading" not in only_targets and "<dt>Social value</dt>" not in only_targets
    no_proxy = tuple(dataclasses.replace(m, proxy_gbp_per_unit=None, social_value_gbp=None) for m in MEASURES)
    only_measures = render_period_report_html(dataclasses.replace(base, measures=no_proxy))
    assert "measures-heading" in only_measures and "social-value-heading" not in only_measures
    assert "targets-heading" not in only_measures


def test_other_sections_unchanged(report: PeriodReport, html: str) -> None:
    before = render_period_report_html(make_workforce_report())

    def strip(page: str) -> str:
        for name in ("targets", "measures", "social-value"):
            page = re.sub(
                rf'<section aria-labelledby="{name}-heading".*?</section>\n\n', "", page, flags=re.S
            )
        page = re.sub(r"/\* progress against targets \*/.*?(?=@media \(max-width)", "", page, flags=re.S)
        return page[: page.index('<section aria-labelledby="definitions-heading">')]

    assert strip(html) == strip(before)


def test_deterministic_and_independent_of_input_order(report: PeriodReport, html: str) -> None:
    assert render_period_report_html(report) == html
    shuffled = dataclasses.replace(
        report,
        measures=tuple(reversed(report.measures)),
        targets=tuple(reversed(report.targets)),
        social_value_by_theme=dict(reversed(list(SOCIAL_VALUE_BY_THEME.items()))),
    )
    assert render_period_report_html(shuffled) == html


def test_self_contained(html: str) -> None:
    lowered = html.lower()
    assert "http://" not in lowered and "https://" not in lowered
    assert "<script" not in lowered and "url(" not in lowered and "@import" not in lowered


def test_names_and_sources_are_escaped(html: str) -> None:
    assert "<trained>" not in html and "&lt;trained&gt; in &#34;carbon&#34; literacy &amp; more" in html
    assert "<minute 4>" not in html and "&lt;minute 4&gt;" in html
    assert "<NHS>" not in html


def test_report_model_stays_frozen_and_hashable() -> None:
    report = make_measures_report(make_report())
    with pytest.raises(dataclasses.FrozenInstanceError):
        report.targets = ()  # type: ignore[misc]
    assert isinstance(make_report().social_value_by_theme, MappingProxyType)  # read-only default
    hash(MEASURES[0])
    hash(TARGETS[0])
