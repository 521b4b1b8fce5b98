"""Pins on the suppression code: the threshold's boundary, complements, years to date, the ledger of
issued cells, and a hidden year to date leaving no value in the page or the workbook.

Each test fails if one rule of ``reports.disclosure`` / ``transforms.disclosure`` is changed (a ``<=``
for a ``<``, a zero allowed as a complement, rule 3 dropped, the ledger ignored).
"""

from __future__ import annotations

import dataclasses
import io

import pandas as pd
import pytest

from reports import KpiFigure
from reports.disclosure import HIDDEN_MARKER, Figures, people_hidden, public_figure
from reports.render import render_period_report_html
from reports.views import card
from reports.workbook import period_report_workbook
from tests.report_html import parse
from tests.report_samples import make_workforce_report
from transforms.kpi_registry import lookup

THRESHOLD = 5
HIDDEN = "[c]"  # written out, so a change of marker is seen here
assert HIDDEN == HIDDEN_MARKER
SECTORS = {"a": "nhs", "b": "nhs", "c": "housing"}


def _frame(rows: list[tuple[str, str, str, str, float]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["kpi", "scope", "scope_id", "period", "value"])


def _members(kpi: str, period: str, values: dict[str, float]) -> list[tuple[str, str, str, str, float]]:
    """Members' counts with the network and sector totals they add up to."""
    rows = [(kpi, "member", m, period, float(v)) for m, v in values.items()]
    rows.append((kpi, "network", "net", period, float(sum(values.values()))))
    for sector in sorted(set(SECTORS.values())):
        total = sum(v for m, v in values.items() if SECTORS[m] == sector)
        rows.append((kpi, "sector", sector, period, float(total)))
    return rows


@pytest.mark.parametrize(
    ("value", "hidden"), [(0, False), (1, True), (THRESHOLD - 1, True), (THRESHOLD, False)]
)
def test_the_boundary_a_count_at_the_threshold_is_shown_one_below_is_hidden(value: int, hidden: bool) -> None:
    frame = _frame([("staff", "network", "net", "2025-26-Q1", float(value))])
    assert (("staff", "network", "net", "2025-26-Q1") in people_hidden(frame, THRESHOLD)) is hidden
    figures = Figures(frame, THRESHOLD)
    assert figures.figure("staff", "net", "2025-26-Q1", "2024-25-Q4").suppressed is hidden


def test_complementary_suppression_never_picks_a_zero_and_picks_the_smallest_other() -> None:
    # a's 3 are hidden; b's 0 discloses nobody and would protect nothing; c's 7 is the complement.
    frame = _frame(_members("staff", "2025-26-Q1", {"a": 3, "b": 0, "c": 7}))
    hidden = people_hidden(frame, THRESHOLD, SECTORS)
    members = {cell[2] for cell in hidden if cell[1] == "member"}
    assert members == {"a", "c"}
    assert ("staff", "network", "net", "2025-26-Q1") not in hidden  # totals stay exact


def test_sectors_are_protected_too_a_sector_of_one_hidden_member_hides_a_second() -> None:
    # nhs = a + b = 3 + 9: with a hidden, b (or the nhs total) must go too, or nhs - b gives a back.
    frame = _frame(_members("staff", "2025-26-Q1", {"a": 3, "b": 9, "c": 40}))
    hidden = people_hidden(frame, THRESHOLD, SECTORS)
    assert ("staff", "member", "a", "2025-26-Q1") in hidden
    assert ("staff", "member", "b", "2025-26-Q1") in hidden or (
        "staff",
        "sector",
        "nhs",
        "2025-26-Q1",
    ) in hidden


def test_a_year_to_date_is_hidden_whenever_an_earlier_quarter_of_the_year_is_even_as_a_complement() -> None:
    # Q1's 12 at the network is not small, but a member's 3 hides the member column's complement and,
    # with the sectors, may hide Q1's network figure; whatever Q1 hides, each later year to date follows.
    rows = [
        ("apprentice_starts", "network", "net", "2025-26-Q1", 2.0),
        ("apprentice_starts", "network", "net", "2025-26-Q2", 7.0),
        ("apprentice_starts", "network", "net", "2025-26-Q3", 8.0),
        ("apprentice_starts_ytd", "network", "net", "2025-26-Q1", 2.0),
        ("apprentice_starts_ytd", "network", "net", "2025-26-Q2", 9.0),
        ("apprentice_starts_ytd", "network", "net", "2025-26-Q3", 17.0),
        ("apprentice_starts", "network", "net", "2025-26", 17.0),
    ]
    hidden = people_hidden(_frame(rows), THRESHOLD)
    for quarter in ("2025-26-Q1", "2025-26-Q2", "2025-26-Q3"):
        assert ("apprentice_starts_ytd", "network", "net", quarter) in hidden
    # and the year is not left as the only unknown beside Q1: year - Q2 - Q3 would be Q1
    assert {
        ("apprentice_starts", "network", "net", p) for p in ("2025-26-Q2", "2025-26-Q3", "2025-26")
    } & hidden


def test_a_hidden_year_to_date_reads_the_marker_whether_its_own_count_is_small_or_not() -> None:
    """The issue's bug: Q1's 3 starts hidden, Q2's 6 shown, so Q2's year to date (9) is hidden, and its
    line said "Financial year to date: <5". Every hidden figure now reads "[c]", small or not, so the
    page neither says something untrue of the 9 nor tells which hidden figure is the small one."""
    rows = [
        ("apprentice_starts", "network", "net", "2025-26-Q1", 3.0),
        ("apprentice_starts", "network", "net", "2025-26-Q2", 6.0),
        ("apprentice_starts_ytd", "network", "net", "2025-26-Q1", 3.0),
        ("apprentice_starts_ytd", "network", "net", "2025-26-Q2", 9.0),
    ]
    figures = Figures(_frame(rows), THRESHOLD)
    q2 = figures.figure("apprentice_starts", "net", "2025-26-Q2", "2025-26-Q1")
    assert q2.year_to_date_suppressed and not q2.suppressed
    q1 = figures.figure("apprentice_starts", "net", "2025-26-Q1", "2024-25-Q4")
    assert q1.suppressed and q1.year_to_date_suppressed
    texts = [card(public_figure(f), threshold=THRESHOLD).ytd_text for f in (q1, q2)]
    assert texts == [HIDDEN, HIDDEN]


def test_a_member_figure_hidden_as_a_complement_reads_the_marker_never_less_than_n() -> None:
    """a's 3 contractors are hidden; b's 9 is hidden with them (or a = nhs - b). 9 is not "<5": the page
    and the workbook show b's 9 as "[c]", like a's 3, and "<5" appears nowhere in either."""
    frame = _frame(_members("staff_contractor", "2025-26-Q1", {"a": 3, "b": 9, "c": 40}))
    hidden = people_hidden(frame, THRESHOLD, SECTORS)
    complement = ("staff_contractor", "member", "b", "2025-26-Q1")
    assert complement in hidden and ("staff_contractor", "member", "a", "2025-26-Q1") in hidden

    report = make_workforce_report()
    camden, *others = report.workforce_members
    nine = dataclasses.replace(
        camden, staff_contractor=9.0, suppressed=frozenset({"staff_contractor"}) | camden.suppressed
    )
    report = dataclasses.replace(report, workforce_members=(nine, *others))
    page = parse(render_period_report_html(report))
    row = page.find("tr", data_workforce_member=camden.member_id)
    cell = row.find("td", data_col="staff_contractor")
    assert cell.text == HIDDEN and cell["data-value"] == "" and "9" not in cell.readable()
    assert "<5" not in page.readable() and "&lt;5" not in render_period_report_html(report)
    assert page.find("p", data_legend="hidden").text.startswith(f"Symbols: {HIDDEN} not shown")

    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(period_report_workbook(report)))
    sheet = book["Workforce members"]
    header = [c.value for c in sheet[1]]
    found = [r for r in sheet.iter_rows(min_row=2, values_only=True) if r[0] == camden.member_id]
    assert found[0][header.index(lookup("staff_contractor").short_name)] == HIDDEN
    texts = [str(c.value) for ws in book.worksheets for row in ws.iter_rows() for c in row]
    assert not [t for t in texts if "<5" in t or t == "not shown"]


def test_the_ledger_keeps_what_was_hidden_hidden_and_never_hides_what_was_shown() -> None:
    # Q1 was issued with its 6 shown. Q2 arrives with a member's 3: the complement may not be Q1 (known).
    rows = [
        ("lw_uplifts", "network", "net", "2025-26-Q1", 6.0),
        ("lw_uplifts", "network", "net", "2025-26-Q2", 3.0),
        ("lw_uplifts", "network", "net", "2025-26", 9.0),
    ]
    issued = pd.DataFrame(
        [("lw_uplifts", "network", "net", "2025-26-Q1", 6.0, False)],
        columns=["kpi", "scope", "scope_id", "period", "value", "hidden"],
    )
    without = people_hidden(_frame(rows), THRESHOLD)
    with_ledger = people_hidden(_frame(rows), THRESHOLD, issued=issued)
    assert ("lw_uplifts", "network", "net", "2025-26-Q1") in without  # the smallest shown, unaware
    assert ("lw_uplifts", "network", "net", "2025-26-Q1") not in with_ledger
    assert ("lw_uplifts", "network", "net", "2025-26") in with_ledger

    # A figure an earlier report hid stays hidden even when its own count no longer needs it.
    hid = issued.assign(value=None, hidden=True)
    assert ("lw_uplifts", "network", "net", "2025-26-Q1") in people_hidden(
        _frame(rows[:1]), THRESHOLD, issued=hid
    )


def test_a_hidden_year_to_date_leaves_no_value_in_the_page_or_the_workbook() -> None:
    distinctive = 98_765.0
    report = make_workforce_report()
    headline = [
        dataclasses.replace(f, year_to_date=distinctive, year_to_date_suppressed=True)
        if f.code == "apprentice_starts"
        else f
        for f in report.workforce_headline
    ]
    report = dataclasses.replace(report, workforce_headline=headline)
    html = render_period_report_html(report)
    assert "98765" not in html and "98,765" not in html and "98.8" not in html
    ytd = parse(html).find("li", data_kpi="apprentice_starts").find("p", class_="card-ytd")
    assert ytd["data-ytd"] == "" and ytd.text == f"Financial year to date: {HIDDEN}"

    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(period_report_workbook(report)))
    values = [c.value for ws in book.worksheets for row in ws.iter_rows() for c in row]
    assert distinctive not in values and "98765" not in " ".join(str(v) for v in values)
    headline = book["Headline"]
    row = next(r for r in headline.iter_rows(min_row=2, values_only=True) if r[0] == "apprentice_starts")
    assert row[-1] == HIDDEN


def test_public_figure_drops_a_hidden_year_to_date_from_the_model() -> None:
    figure = KpiFigure("apprentice_starts", 12.0, year_to_date=30.0, year_to_date_suppressed=True)
    assert public_figure(figure).year_to_date is None and public_figure(figure).value == 12.0


def test_a_complement_is_never_the_twin_of_a_figure_already_issued() -> None:
    """A stock's year is its last quarter's snapshot: hiding the year of a member whose quarter an
    earlier report showed protects nothing. The demo's attack found this: a member's year of apprentices
    hidden as a complement while its Q2 figure, the same number, was already out."""
    rows = [
        ("apprentices", "member", "a", "2026-27-Q1", 3.0),  # a sent no Q2 return: its year is its Q1
        ("apprentices", "member", "a", "2026-27", 3.0),
        ("apprentices", "member", "b", "2026-27-Q2", 9.0),
        ("apprentices", "member", "b", "2026-27", 9.0),
        ("apprentices", "member", "c", "2026-27-Q2", 20.0),
        ("apprentices", "member", "c", "2026-27", 20.0),
        ("apprentices", "network", "net", "2026-27", 32.0),
    ]
    issued = pd.DataFrame(
        [("apprentices", "member", "b", "2026-27-Q2", 9.0, False)],
        columns=["kpi", "scope", "scope_id", "period", "value", "hidden"],
    )
    hidden = people_hidden(_frame(rows), THRESHOLD, issued=issued)
    assert ("apprentices", "member", "a", "2026-27") in hidden
    assert ("apprentices", "member", "b", "2026-27") not in hidden  # its twin is out: no protection
    assert ("apprentices", "member", "c", "2026-27") in hidden  # the next smallest protects a


@pytest.mark.parametrize(("now", "hidden"), [(40.0, False), (41.0, True), (36.0, True), (45.0, False)])
def test_a_figure_revised_by_fewer_than_n_people_since_a_report_showed_it_is_hidden(
    now: float, hidden: bool
) -> None:
    """The quarterly attack found this: Q3's report showed 14 starts; a member's Q3 return came late and
    the next report's trend showed Q3 at 16, so the late member's 2 starts were 16 less 14."""
    issued = pd.DataFrame(
        [("staff", "network", "net", "2025-26-Q3", 40.0, False)],
        columns=["kpi", "scope", "scope_id", "period", "value", "hidden"],
    )
    frame = _frame([("staff", "network", "net", "2025-26-Q3", now)])
    assert (
        ("staff", "network", "net", "2025-26-Q3") in people_hidden(frame, THRESHOLD, issued=issued)
    ) is hidden
