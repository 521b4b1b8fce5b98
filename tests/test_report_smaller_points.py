"""Issue 15's smaller points on the rendered report, each pinned: the social value card's previous period,
the social value trend's caption, and a quarantined return never read as "Not submitted"."""

from __future__ import annotations

import dataclasses

from reports import SubmissionRow, TrendPoint
from reports.format import format_gbp
from reports.render import render_period_report_html
from tests.report_html import parse
from tests.report_samples import SOCIAL_VALUE_TOTAL, make_measures_report
from transforms.kpi_registry import SOCIAL_VALUE

PREVIOUS_SOCIAL_VALUE = 201_004.5


def _with_social_value_trend():  # type: ignore[no-untyped-def]
    report = make_measures_report()
    values = {"2026-27-Q1": PREVIOUS_SOCIAL_VALUE, "2026-27-Q2": SOCIAL_VALUE_TOTAL}
    trend = tuple(
        TrendPoint(p.period, {**p.values, SOCIAL_VALUE: values.get(p.period)}, p.suppressed)
        for p in report.trend
    )
    return dataclasses.replace(report, trend=trend)


def test_the_social_value_card_shows_its_previous_period() -> None:
    page = parse(render_period_report_html(_with_social_value_trend()))
    card = page.find_all("li", data_kpi=SOCIAL_VALUE)[0]
    assert float(card["data-previous"]) == PREVIOUS_SOCIAL_VALUE
    assert format_gbp(PREVIOUS_SOCIAL_VALUE) in card.text  # "on previous period (£201k)"


def test_the_social_value_trend_caption_speaks_of_measures_returns() -> None:
    page = parse(render_period_report_html(_with_social_value_trend()))
    section = page.find_all("section", data_section="social-value")[0]
    captions = [f.text for f in section.find_all("figcaption")]
    trend_caption = next(c for c in captions if "in each period" in c)
    assert "measures return" in trend_caption and "workforce" not in trend_caption


def test_a_quarantined_return_reads_quarantined_never_not_submitted() -> None:
    report = make_measures_report()
    # Camden's spend file for the quarter was held back: it sent a return, which is not "Not submitted".
    submissions = tuple(
        dataclasses.replace(s, status="quarantined", rows_loaded=0)
        if (s.member_id, s.return_type) == ("camden", "spend")
        else s
        for s in report.submissions
    )
    members = tuple(
        dataclasses.replace(m, submitted=False, spend_total=None) if m.member_id == "camden" else m
        for m in report.members
    )
    page = parse(
        render_period_report_html(dataclasses.replace(report, submissions=submissions, members=members))
    )
    camden = page.find_all("tr", data_member="camden")[0]
    assert "Quarantined" in camden.text and "Not submitted" not in camden.text
    amber = page.find_all("tr", data_member="amber")[0]  # no file at all: still "Not submitted"
    assert "Not submitted" in amber.text
    assert isinstance(submissions[0], SubmissionRow)


def test_a_years_target_for_a_headcount_is_the_target_itself_and_a_flows_grows_by_quarter() -> None:
    import pandas as pd

    from transforms.kpi_registry import REGISTRY
    from transforms.targets import target_progress

    codes = ["staff", "apprentices", "lw_assessed", "apprentice_starts", "lw_uplifts", "spend_total"]
    targets = pd.DataFrame(
        [(c, "network", "net", "2026-27", 100.0, "higher") for c in codes],
        columns=["kpi", "scope", "scope_id", "period", "target", "direction"],
    )
    kpis = pd.DataFrame(
        [(c, "network", "net", "2026-27", 60.0, REGISTRY[c].unit) for c in codes],
        columns=["kpi", "scope", "scope_id", "period", "value", "unit"],
    )
    progress = target_progress(targets, kpis, "2026-27-Q2").set_index("kpi")
    for code in codes:
        # Half the year's quarters are in at Q2: a flow's path is half its target, a headcount's is all.
        expected = 50.0 if REGISTRY[code].flow else 100.0
        assert progress.loc[code, "expected_to_date"] == expected, code
    assert progress.loc["apprentices", "status"] == "off track"  # 60 apprentices against 100, not 50
    assert progress.loc["apprentice_starts", "status"] == "on track"


def test_good_work_standard_levels_are_a_count_of_members_at_each_level_never_a_sum(
    make_network, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    import pandas as pd

    from pipeline.steps.report import measure_rows
    from reports import MeasureRow
    from reports.disclosure import Figures

    network = make_network(f"sqlite:///{tmp_path}/w.db")
    members = [m.id for m in network.cfg.members][:5]
    levels = dict(zip(members, [2.0, 2.0, 1.0, 0.0, 2.0], strict=True))
    code = "measure:good_work_standard_level"
    frame = pd.DataFrame(
        [(code, "member", m, "2026-27-Q2", v) for m, v in levels.items()]
        + [(code, "network", network.cfg.id, "2026-27-Q2", sum(levels.values()))],
        columns=["kpi", "scope", "scope_id", "period", "value"],
    )
    rows = {r.code: r for r in measure_rows(network, Figures(frame, 5), "2026-27-Q2", "2026-27-Q1")}
    row = rows["good_work_standard_level"]
    assert row.value is None and row.social_value_gbp is None  # the stored sum (7) is never shown
    assert row.levels == ((2, 3), (1, 1), (0, 1)) and row.members_reporting == 5

    base = make_measures_report()
    measures = tuple(row if m.code == row.code else m for m in base.measures)
    assert row in measures  # the sample report's catalogue has the Good Work Standard
    report = dataclasses.replace(base, measures=measures)
    assert isinstance(row, MeasureRow)
    page = parse(render_period_report_html(report))
    measure = page.find_all("tr", data_measure="good_work_standard_level")
    text = measure[0].text if measure else render_period_report_html(report)
    assert "3 members at level 2, 1 at level 1, 1 at level 0" in text

    # The workbook shows the same count of members at each level, never a sum.
    import io

    from openpyxl import load_workbook

    from reports.workbook import period_report_workbook

    sheet = load_workbook(io.BytesIO(period_report_workbook(report)))["Measures"]
    header = [c.value for c in sheet[1]]
    rows_of = [dict(zip(header, (c.value for c in r), strict=True)) for r in sheet.iter_rows(min_row=2)]
    [level_row] = [r for r in rows_of if r["Measure code"] == "good_work_standard_level"]
    assert level_row["Value"] == "3 members at level 2, 1 at level 1, 1 at level 0"
    assert (level_row["Unit"], level_row["Members reporting"]) == ("level", 5)


def test_amounts_keep_their_pence_in_the_page_the_workbook_and_the_email() -> None:
    import io

    from openpyxl import load_workbook

    from pipeline.presentation.messages import email_bodies
    from reports import KpiFigure
    from reports.workbook import period_report_workbook

    amount = 1_234_567.89
    base = make_measures_report()
    headline = [
        KpiFigure("spend_total", amount, previous=1_099_300.5) if f.code == "spend_total" else f
        for f in base.headline
    ]
    report = dataclasses.replace(base, headline=headline)

    card = parse(render_period_report_html(report)).find_all("li", data_kpi="spend_total")[0]
    assert float(card["data-value"]) == amount
    assert "£1,234,567.89" in card.find_all("p", class_="card-value")[0]["title"]

    book = load_workbook(io.BytesIO(period_report_workbook(report)))
    row = next(r for r in book["Headline"].iter_rows(min_row=2) if r[0].value == "spend_total")
    assert row[2].value == amount and row[2].number_format.endswith(".00")

    text, body = email_bodies(report, {"html_bucket": "html", "xlsx_bucket": "xlsx"})
    assert "£1,234,567.89" in text and "£1,234,567.89" in body
