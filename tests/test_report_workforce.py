"""The report's Living Wage and workforce section: figures round-trip, small numbers never leak."""

from __future__ import annotations

import dataclasses
import re
from html.parser import HTMLParser

import pytest

from reports import (
    KpiFigure,
    PeriodReport,
    SubmissionRow,
    TrendPoint,
    WorkforceMemberRow,
    render_period_report_html,
)
from reports.render import LW_SERIES, WORKFORCE_COLUMNS
from tests.test_report_render import make_report

SUPPRESSED_TITLE = "Fewer than 5 people: not shown, to protect privacy"


def _kpi(
    code: str, label: str, value: float | None, unit: str, previous: float | None = None, **kw: bool
) -> KpiFigure:
    return KpiFigure(code, label, value, unit, f"Definition of {label.lower()}.", previous, **kw)


WORKFORCE_HEADLINE = (
    _kpi("lw_paid_pct", "Share of staff paid at least the Living Wage", 97.67, "%", 96.5),
    _kpi("lw_paid_pct_direct", "Share of direct staff paid at least the Living Wage", 98.4, "%", 97.9),
    _kpi(
        "lw_paid_pct_contractor", "Share of contracted staff paid at least the Living Wage", 90.1, "%", 84.0
    ),
    _kpi("lw_uplifts", "Staff uplifted to the Living Wage", 263, "count", 190),
    _kpi("lw_uplift_annual_gbp", "Yearly value of Living Wage uplifts", 363_922.0, "GBP", 240_000.0),
    _kpi("apprentices", "Apprentices", 555, "count", 530),
    _kpi("apprentice_starts", "Apprenticeship starts", 110, "count"),
    _kpi("local_employment_pct", "Share of staff living locally", 27.9, "%", 28.3),
    _kpi("staff_direct", "Directly employed staff", 25_210, "count", 24_980),
    _kpi("staff_contractor", "Regular contracted staff", 2_420, "count", 2_390),
)

# King's College London has 3 uplifts worth £4,271.60 a year, 4 contractors and 2 apprenticeship
# starts: all from fewer than 5 people. None of its other figures contains the digit 3.
KCL_UPLIFTS, KCL_UPLIFT_GBP = 3.0, 4_271.6
FIELDS = [col for col, _, _ in WORKFORCE_COLUMNS]  # staff_direct ... local_employment_pct


def _member(
    member_id: str, name: str, sector: str, values: tuple[float, ...] | None, suppressed: str = ""
) -> WorkforceMemberRow:
    figures = dict(zip(FIELDS, values or [None] * len(FIELDS), strict=True))
    return WorkforceMemberRow(
        member_id, name, sector, values is not None, **figures, suppressed=frozenset(suppressed.split())
    )


WORKFORCE_MEMBERS = (
    # direct, contractors, % LW direct, % LW contractors, uplifts, £ a year, apprentices, starts, % local
    _member(
        "camden", "Camden Council", "local_government", (2_410, 312, 100.0, 96.2, 48, 61_250.4, 57, 12, 41.3)
    ),
    _member(
        "gstt",
        "Guy's and St Thomas' NHS Foundation Trust",
        "nhs",
        (15_820, 2_104, 98.7, 88.4, 212, 298_400.0, 410, 96, 28.9),
    ),
    _member(
        "kcl",
        "King's College London",
        "higher_education",
        (6_980, 4, 99.1, 75.0, KCL_UPLIFTS, KCL_UPLIFT_GBP, 88, 2, 22.6),
        suppressed="staff_contractor lw_paid_pct_contractor lw_uplifts lw_uplift_annual_gbp apprentice_starts",
    ),
    _member("amber", "Amber Housing", "housing", None),
)


def make_workforce_report() -> PeriodReport:
    base = make_report()
    extra = {
        "2025-26-Q3": {"lw_uplifts": 150, "lw_paid_pct_direct": 97.2, "lw_paid_pct_contractor": 80.5},
        "2025-26-Q4": {"lw_uplifts": None, "lw_paid_pct_direct": None, "lw_paid_pct_contractor": None},
        "2026-27-Q1": {"lw_uplifts": 190, "lw_paid_pct_direct": 97.9, "lw_paid_pct_contractor": 84.0},
        "2026-27-Q2": {"lw_uplifts": 263, "lw_paid_pct_direct": 98.4, "lw_paid_pct_contractor": 90.1},
    }
    trend = tuple(TrendPoint(p.period, {**p.values, **extra[p.period]}) for p in base.trend)
    spend = [s for s in base.submissions if s.return_type == "spend"]
    received = spend[0].last_received_at
    workforce = [
        SubmissionRow(m.member_id, m.name, "workforce", "accepted", 1, 5_000, 4_990, 10, received)
        if m.submitted
        else SubmissionRow(m.member_id, m.name, "workforce", "missing", 0, 0, 0, 0, None)
        for m in WORKFORCE_MEMBERS
    ]
    return dataclasses.replace(
        base,
        submissions=(*spend, *workforce),
        trend=trend,
        workforce_headline=WORKFORCE_HEADLINE,
        workforce_members=WORKFORCE_MEMBERS,
    )


class _Workforce(HTMLParser):
    """Collects the machine-readable figures of the workforce section."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.in_section = False
        self.cards: dict[str, dict[str, str | None]] = {}
        self.rows: dict[str, dict[str, dict[str, str | None]]] = {}
        self.row_attrs: dict[str, dict[str, str | None]] = {}
        self.total: dict[str, dict[str, str | None]] = {}
        self.bars: dict[tuple[str, str], dict[str, str | None]] = {}
        self.trends: dict[str, dict[str, dict[str, str | None]]] = {}
        self.definitions: list[str] = []
        self._row: dict[str, dict[str, str | None]] | None = None
        self._group = ""
        self._chart = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "section":
            self.in_section = a.get("data-section") == "workforce"
        if "data-kpi-definition" in a:
            self.definitions.append(a["data-kpi-definition"] or "")
        if not self.in_section:
            return
        if "data-kpi" in a:
            self.cards[a["data-kpi"] or ""] = a
        if tag == "tr" and "data-workforce-member" in a:
            self._row = self.rows.setdefault(a["data-workforce-member"] or "", {})
            self.row_attrs[a["data-workforce-member"] or ""] = a
        if tag == "tr" and "data-workforce-network-total" in a:
            self._row = self.total
        if tag == "td" and self._row is not None and "data-col" in a:
            self._row[a["data-col"] or ""] = a
        if tag == "svg":
            self._chart = a.get("data-chart") or ""
        if tag == "g" and "lw-group" in (a.get("class") or ""):
            self._group = a.get("data-workforce-member") or ("network" if "data-network-total" in a else "?")
        if tag == "g" and "data-basis" in a:
            self.bars[(self._group, a["data-basis"] or "")] = a
        if tag == "g" and "data-period" in a:
            self.trends.setdefault(self._chart, {})[a["data-period"] or ""] = a

    def handle_endtag(self, tag: str) -> None:
        if tag == "tr":
            self._row = None
        if tag == "section":
            self.in_section = False


@pytest.fixture(scope="module")
def report() -> PeriodReport:
    return make_workforce_report()


@pytest.fixture(scope="module")
def html(report: PeriodReport) -> str:
    return render_period_report_html(report)


@pytest.fixture(scope="module")
def figures(html: str) -> _Workforce:
    parser = _Workforce()
    parser.feed(html)
    parser.close()
    return parser


def _section(html: str) -> str:
    match = re.search(r'<section aria-labelledby="workforce-heading".*?</section>', html, re.S)
    assert match
    return match.group(0)


def _row_html(html: str, member_id: str) -> str:
    match = re.search(rf'<tr data-workforce-member="{member_id}".*?</tr>', html, re.S)
    assert match, member_id
    return match.group(0)


def _lw_group_html(html: str, member_id: str) -> str:
    match = re.search(rf'<g class="lw-group" data-workforce-member="{member_id}">.*?\n  </g>', html, re.S)
    assert match, member_id
    return match.group(0)


def _card_html(html: str, code: str) -> str:
    section = _section(html)
    match = re.search(rf'<li class="card[^"]*" data-kpi="{code}".*?</li>', section, re.S)
    assert match, code
    return match.group(0)


class _Text(HTMLParser):
    """A fragment's text, tooltips and data attributes: what a reader or a scraper sees (chart
    geometry, which holds coordinates, is left out and checked separately)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.parts.extend(v for k, v in attrs if v and (k.startswith(("data-", "aria-")) or k == "title"))

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def _numbers(fragment: str) -> set[float]:
    """The numbers written anywhere in a fragment's text or attributes ("£4,271.60" -> 4271.6)."""
    parser = _Text()
    parser.feed(fragment)
    found = re.findall(r"\d[\d,]*(?:\.\d+)?", " ".join(parser.parts))
    return {float(n.replace(",", "")) for n in found}


def _close(raw: str | None, expected: float) -> bool:
    return raw is not None and raw != "" and float(raw) == pytest.approx(expected, abs=1e-6)


# --- figures round-trip ---------------------------------------------------------------------------


def test_section_shown_with_headline_cards_in_order(
    report: PeriodReport, html: str, figures: _Workforce
) -> None:
    assert '<h2 id="workforce-heading">Living Wage and workforce</h2>' in html
    assert "Anchor network spend and workforce report" in html
    assert list(figures.cards) == [k.code for k in report.workforce_headline]
    for kpi in report.workforce_headline:
        attrs = figures.cards[kpi.code]
        assert attrs["data-unit"] == kpi.unit and "data-suppressed" not in attrs
        assert kpi.value is not None and _close(attrs["data-value"], kpi.value)
        if kpi.previous is None:
            assert attrs["data-previous"] == ""
        else:
            assert _close(attrs["data-previous"], kpi.previous)


def test_every_unsuppressed_member_figure_round_trips(report: PeriodReport, figures: _Workforce) -> None:
    assert set(figures.rows) == {m.member_id for m in report.workforce_members}
    for member in report.workforce_members:
        cells = figures.rows[member.member_id]
        assert list(cells) == [col for col, _, _ in WORKFORCE_COLUMNS]
        for col, attrs in cells.items():
            expected = getattr(member, col)
            if col in member.suppressed:
                assert attrs["data-value"] == "" and attrs["data-suppressed"] == "true"
            elif expected is None:
                assert attrs["data-value"] == "" and "data-suppressed" not in attrs
            else:
                assert _close(attrs["data-value"], expected), (member.member_id, col)


def test_network_totals_are_exact(report: PeriodReport, html: str, figures: _Workforce) -> None:
    by_code = {k.code: k for k in report.workforce_headline}
    for col, _, _ in WORKFORCE_COLUMNS:
        value = by_code[col].value
        assert value is not None and _close(figures.total[col]["data-value"], value)
    # the total includes the suppressed member's 3 uplifts and £4,271.60
    assert sum(m.lw_uplifts or 0 for m in report.workforce_members) == 263
    total_row = re.search(r'<tr data-workforce-network-total="true">.*?</tr>', html, re.S)
    assert total_row
    assert 'data-col="lw_uplifts" data-value="263.0" title="263">263<' in total_row.group(0)
    assert 'title="£363,922.00">£364k<' in total_row.group(0)
    assert ">263<" in _card_html(html, "lw_uplifts")


def test_living_wage_chart_compares_direct_and_contractors(
    report: PeriodReport, html: str, figures: _Workforce
) -> None:
    assert 'data-chart="living-wage-share"' in html
    by_code = {k.code: k for k in report.workforce_headline}
    submitted = [m for m in report.workforce_members if m.submitted]
    assert {group for group, _ in figures.bars} == {"network", *(m.member_id for m in submitted)}
    for code, _, basis, _ in LW_SERIES:
        assert _close(figures.bars[("network", basis)]["data-value"], by_code[code].value or 0)
        for member in submitted:
            bar = figures.bars[(member.member_id, basis)]
            if code in member.suppressed:
                assert bar["data-value"] == "" and bar["data-suppressed"] == "true"
            else:
                assert _close(bar["data-value"], getattr(member, code))
    # the bar length is the share: 96.2% of the 0-100% axis
    camden = _lw_group_html(html, "camden")
    width = re.search(
        r'data-basis="contractor".*?<rect class="bar-contractor" x="120" y="[\d.]+" width="([\d.]+)"',
        camden,
        re.S,
    )
    assert width and float(width.group(1)) == pytest.approx(520 * 0.962, abs=0.1)


def test_uplift_trend_has_every_period(report: PeriodReport, figures: _Workforce) -> None:
    uplifts = figures.trends["trend-lw_uplifts"]
    assert list(uplifts) == [p.period for p in report.trend]
    for point in report.trend:
        value = point.values["lw_uplifts"]
        raw = uplifts[point.period]["data-value"]
        assert raw == "" if value is None else _close(raw, value)
    assert "trend-lw_paid_pct_direct" in figures.trends and "trend-lw_paid_pct_contractor" in figures.trends
    # the spend trends are untouched and keep their own charts
    assert "trend-spend_total" not in figures.trends


def test_count_trend_axis_uses_whole_numbers(html: str) -> None:
    svg = re.search(r'<svg[^>]*data-chart="trend-lw_uplifts".*?</svg>', html, re.S)
    assert svg
    ticks = re.findall(r'<text class="tick"[^>]*>([^<]+)</text>', svg.group(0))
    assert ticks and all(re.fullmatch(r"[\d,]+", t) for t in ticks), ticks


def test_not_submitted_member_is_greyed(figures: _Workforce, html: str) -> None:
    assert figures.row_attrs["amber"]["data-submitted"] == "false"
    assert "not-submitted" in (figures.row_attrs["amber"]["class"] or "")
    assert "Not submitted" in _row_html(html, "amber")
    assert all(attrs["data-value"] == "" for attrs in figures.rows["amber"].values())
    assert "<strong>3 of 4 members sent a workforce return</strong>. Not yet sent: Amber Housing." in html
    chart = re.search(r'data-chart="living-wage-share".*?</svg>', html, re.S)
    assert chart and 'data-workforce-member="amber"' not in chart.group(0)


# --- disclosure control ---------------------------------------------------------------------------


def test_suppressed_member_figures_show_less_than_threshold(html: str, figures: _Workforce) -> None:
    row = _row_html(html, "kcl")
    for col in ("staff_contractor", "lw_paid_pct_contractor", "lw_uplifts", "lw_uplift_annual_gbp"):
        cell = re.search(rf'<td class="num suppressed" data-col="{col}"[^>]*>([^<]*)</td>', row)
        assert cell and cell.group(1) == "&lt;5", col
        assert f'title="{SUPPRESSED_TITLE}"' in cell.group(0)
    assert figures.rows["kcl"]["lw_uplifts"]["title"] == SUPPRESSED_TITLE


def test_suppressed_values_appear_nowhere(html: str) -> None:
    # the member's row and its chart bars carry no trace of 3 uplifts, 4 contractors, 75% or 2 starts
    hidden = {KCL_UPLIFTS, KCL_UPLIFT_GBP, 4.0, 75.0, 2.0}
    row = _row_html(html, "kcl")
    assert _numbers(row) == {6980.0, 99.1, 88.0, 22.6, 5.0}  # 5 from "<5" and its tooltip
    assert not _numbers(row) & hidden
    group = _lw_group_html(html, "kcl")
    assert not _numbers(group) & hidden and "&lt;5" in group
    assert group.count("<rect") == 1  # the direct staff bar only: no bar length for the contractors
    # the exact yearly value is nowhere in the page, in any form
    for token in ("4271", "4,271", "4.27k", "4.3k"):
        assert token not in html, token
    # the chart's description says <5 too
    assert "King&#39;s College London: direct staff 99.1%, contractors &lt;5" in html


def test_suppression_note_under_section(html: str) -> None:
    section = _section(html)
    assert "Figures based on fewer than 5 people are shown as &lt;5; totals include them." in section
    assert 'data-suppression-threshold="5"' in section


def test_threshold_comes_from_the_report(report: PeriodReport) -> None:
    page = render_period_report_html(dataclasses.replace(report, suppression_threshold=10))
    assert "&lt;10" in _row_html(page, "kcl") and "Fewer than 10 people: not shown" in page
    assert "&lt;5" not in page


def test_suppressed_network_card_shows_no_value_and_no_change(report: PeriodReport) -> None:
    # network-level apprenticeship starts of 3 (7 last period), flagged as too few people
    headline = tuple(
        dataclasses.replace(k, value=3, previous=7, suppressed=True) if k.code == "apprentice_starts" else k
        for k in report.workforce_headline
    )
    page = render_period_report_html(dataclasses.replace(report, workforce_headline=headline))
    card = _card_html(page, "apprentice_starts")
    assert 'data-value=""' in card and 'data-previous=""' in card and 'data-suppressed="true"' in card
    assert f'title="{SUPPRESSED_TITLE}">&lt;5<' in card
    assert "card-change" not in card and not _numbers(card) & {3.0, 7.0}
    total = re.search(r'<tr data-workforce-network-total="true">.*?</tr>', page, re.S)
    assert total
    cell = re.search(r'<td[^>]*data-col="apprentice_starts"[^>]*>[^<]*</td>', total.group(0))
    assert cell and "&lt;5" in cell.group(0) and 'data-value=""' in cell.group(0)


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
    page = render_period_report_html(dataclasses.replace(report, workforce_headline=headline, trend=trend))
    parser = _Workforce()
    parser.feed(page)
    point = parser.trends["trend-lw_uplifts"][report.period]
    assert point["data-value"] == "" and point["data-suppressed"] == "true"
    svg = re.search(r'<svg[^>]*data-chart="trend-lw_uplifts".*?</svg>', page, re.S)
    assert svg and "2026-27-Q2: &lt;5" in svg.group(0)
    point_svg = re.search(r'<g class="trend-point" data-period="2026-27-Q2".*?</g>', svg.group(0), re.S)
    assert point_svg and 4.0 not in _numbers(point_svg.group(0))
    assert "<rect" not in point_svg.group(0)  # no column whose height would give it away
    ticks = re.findall(r'<text class="tick"[^>]*>([^<]+)</text>', svg.group(0))
    assert ticks == ["0", "50", "100", "150", "200"]  # the scale ignores it too
    assert "had their pay raised" not in _section(page)  # nor in the section's opening sentences


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
    page = render_period_report_html(dataclasses.replace(report, workforce_headline=headline, trend=trend))
    card = _card_html(page, "lw_uplifts")
    assert ">263<" in card and "card-change" not in card and 'data-previous=""' in card
    parser = _Workforce()
    parser.feed(page)
    assert parser.trends["trend-lw_uplifts"]["2026-27-Q1"]["data-suppressed"] == "true"
    assert parser.trends["trend-lw_uplifts"]["2026-27-Q1"]["data-value"] == ""


# --- definitions, absence, determinism, safety ----------------------------------------------------


def test_definitions_explain_workforce_terms(report: PeriodReport, html: str, figures: _Workforce) -> None:
    definitions = html[html.index('id="definitions-heading"') :]
    for kpi in report.workforce_headline:
        assert kpi.code in figures.definitions
        assert f"Definition of {kpi.label.lower()}." in definitions
    assert "<dt>Living Wage</dt>" in definitions and "Living Wage Foundation" in definitions
    assert "London Living Wage" in definitions
    assert "<dt>Contractors</dt>" in definitions and "<dt>Uplift</dt>" in definitions


def test_section_absent_without_workforce_data(report: PeriodReport) -> None:
    spend_only = make_report()
    page = render_period_report_html(spend_only)
    assert "workforce-heading" not in page and "Living Wage" not in page
    assert "data-suppressed" not in page and "&lt;5" not in page
    assert "Anchor network spend report:" in page
    # the workforce fields at their defaults change nothing, and neither do workforce trend values alone
    assert render_period_report_html(dataclasses.replace(spend_only, suppression_threshold=5)) == page
    with_trend = dataclasses.replace(report, workforce_headline=(), workforce_members=())
    assert "workforce-heading" not in render_period_report_html(with_trend)


def test_spend_sections_unchanged_by_workforce_data(report: PeriodReport, html: str) -> None:
    spend_only = render_period_report_html(dataclasses.replace(make_report(), submissions=report.submissions))

    # everything but the workforce section, its styles, the title and the definitions is the same
    def strip(page: str) -> str:
        page = re.sub(r'<section aria-labelledby="workforce-heading".*?</section>\n\n', "", page, flags=re.S)
        page = re.sub(r"/\* Living Wage and workforce \*/.*?(?=@media \(max-width)", "", page, flags=re.S)
        page = page.replace("spend and workforce report", "spend report")
        return page[: page.index('<section aria-labelledby="definitions-heading">')]

    assert strip(html) == strip(spend_only)


def test_deterministic_and_independent_of_input_order(report: PeriodReport, html: str) -> None:
    assert render_period_report_html(report) == html
    shuffled = dataclasses.replace(report, workforce_members=tuple(reversed(report.workforce_members)))
    assert render_period_report_html(shuffled) == html


def test_self_contained(html: str) -> None:
    lowered = html.lower()
    assert "http://" not in lowered and "https://" not in lowered
    assert "<script" not in lowered and "url(" not in lowered and "@import" not in lowered


def test_members_only_still_renders(report: PeriodReport) -> None:
    page = render_period_report_html(dataclasses.replace(report, workforce_headline=()))
    assert "No network workforce figures for this period." in page
    assert 'data-workforce-member="kcl"' in page
