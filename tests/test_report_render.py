"""The City Hall period report: figures round-trip through the HTML, formatting, determinism, safety."""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, datetime
from html.parser import HTMLParser

import pytest

from reports import KpiFigure, MemberRow, PeriodReport, SubmissionRow, TrendPoint, render_period_report_html
from reports.format import (
    data_value,
    format_change,
    format_datetime,
    format_gbp,
    format_gbp_exact,
    format_pct,
    sector_label,
)
from reports.render import MEMBER_COLUMNS, SPEND_MIX

TRICKY_NAME = "Guy's & St Thomas' <NHS> Foundation Trust"


def _kpi(code: str, label: str, value: float | None, unit: str, previous: float | None = None) -> KpiFigure:
    return KpiFigure(code, label, value, unit, f"Definition of {label.lower()}.", previous)


def make_report() -> PeriodReport:
    headline = (
        _kpi("spend_total", "Total spend", 1_234_567.0, "GBP", previous=1_099_300.0),
        _kpi("spend_sme_pct", "Spend with small and medium-sized enterprises (SMEs)", 34.5123, "%", 32.4),
        _kpi("spend_local_pct", "Spend with local suppliers", 21.05, "%", 23.15),
        _kpi("spend_local_sme_pct", "Spend with local SMEs", 12.3, "%"),
        _kpi("spend_vcse", "Spend with VCSE organisations", 45_600.0, "GBP", 45_600.0),
        _kpi("spend_diverse", "Spend with diverse-owned businesses", 789.0, "GBP", None),
        _kpi(
            "spend_small_or_diverse_pct",
            "Spend with local MSMEs or diverse-owned businesses",
            31.25,
            "%",
            29.0,
        ),
        _kpi("spend_unknown_size_pct", "Spend with suppliers of unknown size", 8.4, "%", 9.1),
        _kpi("apprentices", "Apprentices", None, "count", 120),
    )
    members = (
        MemberRow(
            "camden",
            "Camden Council",
            "local_government",
            True,
            600_000.0,
            40.0,
            25.5,
            30_000.0,
            789.0,
            35.0,
            5.0,
        ),
        MemberRow("gstt", TRICKY_NAME, "nhs", True, 500_000.0, 30.25, 18.0, 15_600.0, 0.0, 28.0, 12.0),
        MemberRow(
            "kcl",
            "King's College London",
            "higher_education",
            True,
            134_567.0,
            27.0,
            14.0,
            None,
            None,
            26.0,
            None,
        ),
        MemberRow("amber", "Amber Housing", "housing", False, None, None, None, None, None, None, None),
    )
    received = datetime(2026, 10, 20, 14, 5, tzinfo=UTC)
    submissions = (
        SubmissionRow("camden", "Camden Council", "spend", "accepted", 3, 1200, 1190, 10, received),
        SubmissionRow("gstt", TRICKY_NAME, "spend", "accepted", 1, 800, 800, 0, received),
        SubmissionRow("kcl", "King's College London", "spend", "accepted", 1, 300, 295, 5, received),
        SubmissionRow("kcl", "King's College London", "workforce", "quarantined", 1, 40, 0, 40, received),
        SubmissionRow("amber", "Amber Housing", "spend", "missing", 0, 0, 0, 0, None),
    )
    trend = (
        TrendPoint("2025-26-Q3", {"spend_total": 950_000.0, "spend_small_or_diverse_pct": 27.5}),
        TrendPoint("2025-26-Q4", {"spend_total": None, "spend_small_or_diverse_pct": None}),
        TrendPoint("2026-27-Q1", {"spend_total": 1_099_300.0, "spend_small_or_diverse_pct": 29.0}),
        TrendPoint("2026-27-Q2", {"spend_total": 1_234_567.0, "spend_small_or_diverse_pct": 31.25}),
    )
    return PeriodReport(
        network_id="london-anchors",
        network_name="London Anchor Institutions' Network",
        period="2026-27-Q2",
        period_label="Quarter 2 of 2026-27 (July to September 2026)",
        as_of=datetime(2026, 10, 31, 9, 30, tzinfo=UTC),
        headline=headline,
        members=members,
        submissions=submissions,
        trend=trend,
        pledge_pct=30.0,
        source_submission_ids=("sha256-bbb", "sha256-aaa", "sha256-ccc"),
    )


class _Figures(HTMLParser):
    """Collects the machine-readable figures of a rendered report."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.cards: dict[str, dict[str, str | None]] = {}
        self.members: dict[str, dict[str, str]] = {}
        self.member_order: list[str] = []
        self.member_attrs: dict[str, dict[str, str | None]] = {}
        self.mix: dict[str, str] = {}
        self.svgs: list[dict[str, str | None]] = []
        self._member: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "svg":
            self.svgs.append(a)
        if "data-kpi" in a:
            self.cards[a["data-kpi"] or ""] = a
        if tag == "tr":
            self._member = a.get("data-member")
            if self._member:
                self.members[self._member] = {}
                self.member_order.append(self._member)
                self.member_attrs[self._member] = a
        if self._member and "data-col" in a:
            self.members[self._member][a["data-col"] or ""] = a.get("data-value") or ""
        if "data-category" in a:
            self.mix[a["data-category"] or ""] = a.get("data-value") or ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "tr":
            self._member = None


@pytest.fixture(scope="module")
def report() -> PeriodReport:
    return make_report()


@pytest.fixture(scope="module")
def html(report: PeriodReport) -> str:
    return render_period_report_html(report)


@pytest.fixture(scope="module")
def figures(html: str) -> _Figures:
    parser = _Figures()
    parser.feed(html)
    parser.close()
    return parser


def _card_html(html: str, code: str) -> str:
    match = re.search(rf'<li class="card[^"]*" data-kpi="{code}".*?</li>', html, re.S)
    assert match, code
    return match.group(0)


# --- figures round-trip ---------------------------------------------------------------------------


def test_every_headline_value_round_trips_through_data_attributes(
    report: PeriodReport, figures: _Figures
) -> None:
    assert list(figures.cards) == [k.code for k in report.headline]
    for kpi in report.headline:
        attrs = figures.cards[kpi.code]
        assert attrs["data-unit"] == kpi.unit
        if kpi.value is None:
            assert attrs["data-value"] == ""
        else:
            assert float(attrs["data-value"] or "nan") == pytest.approx(kpi.value, abs=1e-6)
        if kpi.previous is None:
            assert attrs["data-previous"] == ""
        else:
            assert float(attrs["data-previous"] or "nan") == pytest.approx(kpi.previous, abs=1e-6)


def test_every_member_figure_round_trips(report: PeriodReport, figures: _Figures) -> None:
    assert set(figures.members) == {m.member_id for m in report.members}
    for member in report.members:
        cells = figures.members[member.member_id]
        assert list(cells) == [col for col, _, _ in MEMBER_COLUMNS]
        for col, raw in cells.items():
            expected = getattr(member, col)
            if expected is None:
                assert raw == ""
            else:
                assert float(raw) == pytest.approx(expected, abs=1e-6)


def test_data_value_is_rounded_repr() -> None:
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


def test_exact_gbp_and_percentages() -> None:
    assert format_gbp_exact(1_234_567.0) == "£1,234,567.00"
    assert format_pct(34.5123) == "34.5%"
    assert format_pct(34.45) == "34.5%"  # half-up on the decimal a person reads
    assert format_pct(0) == "0.0%"
    assert format_pct(None) == "No data"


def test_cards_show_short_value_with_exact_tooltip(html: str) -> None:
    total = _card_html(html, "spend_total")
    assert 'title="£1,234,567.00">£1.23m<' in total
    assert ">34.5%<" in _card_html(html, "spend_sme_pct")
    assert ">£45.6k<" in _card_html(html, "spend_vcse")
    assert ">£789<" in _card_html(html, "spend_diverse")
    assert "No data" in _card_html(html, "apprentices")


def test_change_against_previous_period(html: str) -> None:
    assert format_change(34.5, 32.4, "%") == "+2.1 pts"
    assert format_change(112.3, 100.0, "GBP") == "+12.3%"
    assert format_change(10, 12, "count") == "−2"
    assert format_change(10, None, "count") is None

    sme = _card_html(html, "spend_sme_pct")
    assert "change-up" in sme and "▲" in sme and "+2.1 pts" in sme
    local = _card_html(html, "spend_local_pct")
    assert "change-down" in local and "▼" in local and re.search(r"[−-]2\.1 pts", local)
    assert "+12.3%" in _card_html(html, "spend_total")
    assert "no change" in _card_html(html, "spend_vcse")
    assert "card-change" not in _card_html(html, "spend_diverse")  # no previous value
    assert "card-change" not in _card_html(html, "apprentices")  # no current value


def test_pledge_shown_on_its_card_and_chart(html: str, figures: _Figures) -> None:
    assert "Network pledge: 30% – met" in _card_html(html, "spend_small_or_diverse_pct")
    mix = re.search(r'<svg[^>]*data-chart="spend-mix".*?</svg>', html, re.S)
    assert mix
    grid = [float(x) for x in re.findall(r'<line class="grid" x1="([\d.]+)"', mix.group(0))]
    pledge = re.search(
        r'<g class="pledge" data-pledge="30.0">\s*<line class="pledge-line" x1="([\d.]+)"', mix.group(0)
    )
    assert pledge and len(grid) == 5  # 0%, 25%, 50%, 75%, 100%
    assert float(pledge.group(1)) == pytest.approx(grid[0] + 0.3 * (grid[-1] - grid[0]), abs=0.1)


def test_dates_and_title(html: str) -> None:
    assert "<title>London Anchor Institutions&#39; Network – Quarter 2 of 2026-27" in html
    assert 'Data as of <time datetime="2026-10-31T09:30:00+00:00">31 October 2026, 09:30 UTC</time>' in html
    assert "Generated" not in html  # only the data's time: the same data renders the same report
    assert format_datetime(datetime(2026, 7, 3, 8, 5)) == "3 July 2026, 08:05"


# --- members and submissions ----------------------------------------------------------------------


def test_members_sorted_by_name_with_plain_sector(report: PeriodReport, figures: _Figures, html: str) -> None:
    assert figures.member_order == ["amber", "camden", "gstt", "kcl"]
    assert sector_label("nhs") == "NHS"
    assert ">Local government</td>" in html
    assert ">Higher education</td>" in html


def test_member_not_submitted_is_marked(figures: _Figures, html: str) -> None:
    assert figures.member_attrs["amber"]["data-submitted"] == "false"
    assert "not-submitted" in (figures.member_attrs["amber"]["class"] or "")
    row = re.search(r'<tr data-member="amber".*?</tr>', html, re.S)
    assert row and "Not submitted" in row.group(0)
    assert all(v == "" for v in figures.members["amber"].values())


def test_who_has_submitted(html: str) -> None:
    assert "3 of 4 members submitted" in html
    assert "Not yet submitted: Amber Housing" in html
    assert ">Quarantined – see feedback<" in html
    assert html.count('class="tag tag-accepted"') == 3
    assert html.count('class="tag tag-missing"') == 1


def test_data_quality_line(html: str) -> None:
    line = re.search(r'<p class="quality".*?</p>', html, re.S)
    assert line
    text = line.group(0)
    assert 'data-rows-rejected="55"' in text and "55 rows rejected out of 2,340 read" in text
    assert "1 file quarantined" in text
    assert "8.4% of spend is with suppliers of unknown size" in text


def test_member_names_are_escaped(html: str) -> None:
    assert "Guy&#39;s &amp; St Thomas&#39; &lt;NHS&gt; Foundation Trust" in html
    assert "<NHS>" not in html


# --- charts ---------------------------------------------------------------------------------------


def test_spend_mix_chart_has_one_bar_per_category(html: str, figures: _Figures) -> None:
    mix_svg = re.search(r'<svg[^>]*data-chart="spend-mix".*?</svg>', html, re.S)
    assert mix_svg
    svg = mix_svg.group(0)
    assert "<title" in svg and 'role="img"' in svg
    assert len(re.findall(r"<rect class=\"bar", svg)) == len(SPEND_MIX)
    assert list(figures.mix) == [f"{code}_pct" for code, _ in SPEND_MIX]
    assert float(figures.mix["spend_sme_pct"]) == pytest.approx(34.5123)
    # diverse-owned share worked out from the amount: 789 / 1,234,567
    assert float(figures.mix["spend_diverse_pct"]) == pytest.approx(789 / 1_234_567 * 100, abs=1e-6)
    assert figures.mix["spend_local_sme_pct"] == "12.3"


def test_trend_charts_have_every_period(html: str) -> None:
    for chart in ("trend-spend_total", "trend-spend_small_or_diverse_pct"):
        svg = re.search(rf'<svg[^>]*data-chart="{chart}".*?</svg>', html, re.S)
        assert svg, chart
        periods = re.findall(r'data-period="([^"]+)" data-value="([^"]*)"', svg.group(0))
        assert [p for p, _ in periods] == ["2025-26-Q3", "2025-26-Q4", "2026-27-Q1", "2026-27-Q2"]
        assert periods[1][1] == ""  # the missing period stays missing, not zero
        assert "No data" in svg.group(0)
    line = re.search(r'data-chart="trend-spend_small_or_diverse_pct".*?</svg>', html, re.S)
    assert line
    # the gap splits the line: Q3 stands alone, only Q1 -> Q2 are joined
    paths = re.findall(r'<path class="trend-line" d="([^"]+)"', line.group(0))
    assert len(paths) == 1 and paths[0].count("L") == 1


# --- page properties ------------------------------------------------------------------------------


def test_self_contained(html: str) -> None:
    lowered = html.lower()
    assert "http://" not in lowered and "https://" not in lowered
    assert "<script" not in lowered
    assert "@import" not in lowered and "url(" not in lowered
    assert "@media print" in html


def test_deterministic_and_independent_of_input_order(report: PeriodReport, html: str) -> None:
    assert render_period_report_html(report) == html
    shuffled = dataclasses.replace(
        report,
        members=tuple(reversed(report.members)),
        submissions=tuple(reversed(report.submissions)),
        source_submission_ids=tuple(reversed(report.source_submission_ids)),
    )
    assert render_period_report_html(shuffled) == html


def test_definitions_and_acronyms(report: PeriodReport, html: str) -> None:
    definitions = html[html.index('id="definitions-heading"') :]
    for kpi in report.headline:
        assert f'data-kpi-definition="{kpi.code}"' in definitions
        assert f"Definition of {kpi.label.lower()}." in definitions
    assert "Small and medium-sized enterprise (SME)" in definitions
    assert "Micro, small and medium-sized enterprises (MSMEs)" in definitions
    assert "Voluntary, community and social enterprise (VCSE)" in definitions


def test_tables_are_accessible(html: str) -> None:
    assert html.count("<caption") == 2
    assert all('scope="' in th for th in re.findall(r"<th\b[^>]*>", html))


def test_footer_lists_source_submissions(html: str) -> None:
    footer = html[html.index("<footer>") :]
    assert "Built from 3 source submissions" in footer
    details = re.search(r"<details.*?</details>", footer, re.S)
    assert details
    assert re.findall(r'data-submission-id="([^"]+)"', details.group(0)) == [
        "sha256-aaa",
        "sha256-bbb",
        "sha256-ccc",
    ]


def test_empty_report_renders(report: PeriodReport) -> None:
    empty = dataclasses.replace(
        report, headline=(), members=(), submissions=(), trend=(), pledge_pct=None, source_submission_ids=()
    )
    page = render_period_report_html(empty)
    assert "0 of 0 members submitted" in page
    assert "No trend data yet." in page
    assert "<details" not in page
