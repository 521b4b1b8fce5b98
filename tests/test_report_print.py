"""The printed City Hall report reads well page by page (issue 15, item 3).

The sample network's full report is printed with the project's own PDF adapter (headless Chromium) and
read back page by page with poppler's ``pdftotext`` (``tests.report_pdf``). No page may end with a
heading (its content would start on the next page) or with a table's header row alone, and no chart may
be split across pages (its caption, axis labels, bar labels and values on one page). Headings, header
rows and charts are taken from the HTML the PDF was printed from.

The same checks are shown to catch a broken stylesheet: the hand-built report printed with print rules
that force the bad breaks fails each check, and printed as it is passes them. A returns table long
enough to run over several pages shows its header row above its rows on each page.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from pipeline.adapters.pdf import ChromiumError, chromium_path, html_to_pdf
from reports import SubmissionRow
from reports.render import render_period_report_html
from tests.full_report import full_report_html
from tests.report_html import Element, parse
from tests.report_pdf import (
    cell_texts,
    chart_parts,
    header_rows,
    headings,
    pages_ending_with_a_heading,
    pages_ending_with_a_lone_header,
    pdf_pages,
    poppler_available,
    split_charts,
)
from tests.report_samples import make_measures_report, make_report


def _chromium() -> bool:
    try:
        chromium_path()
    except ChromiumError:
        return False
    return True


pytestmark = pytest.mark.skipif(
    not (_chromium() and poppler_available()),
    reason="printing the report needs Chromium and poppler-utils (./dev test installs them as root)",
)

# Print rules that undo the report's own: a heading is pushed away from its content, a table's body
# away from its header row, and a chart's caption away from its drawing.
BROKEN_PRINT_CSS = """
<style>@media print {
  h2, h3 { break-after: page !important; }
  tbody { break-before: page !important; }
  figcaption { break-before: page !important; }
}</style>
"""


@dataclass
class Printed:
    html: str
    page: Element
    pages: list[str]


def _print(html: str) -> Printed:
    return Printed(html, parse(html), pdf_pages(html_to_pdf(html)))


@pytest.fixture(scope="module")
def full(tmp_path_factory: pytest.TempPathFactory) -> Printed:
    return _print(full_report_html(tmp_path_factory))


@pytest.fixture(scope="module")
def small() -> str:
    return render_period_report_html(make_measures_report())


def test_the_full_report_has_every_section_to_check(full: Printed) -> None:
    """The checks below are only as good as what they look at: the printed report has many pages, every
    section's heading, tables with header rows and charts with drawn text."""
    sections = {s["data-section"] for s in full.page.find_all("section", data_section=True)}
    assert {
        "workforce",
        "measures",
        "social-value",
        "targets",
        "programmes",
        "recruitment",
        "spend-scope",
    } <= sections
    assert len(full.pages) >= 10
    assert len(headings(full.page)) >= 30
    # the headings the page-end check can tell from table cells
    assert len(headings(full.page) - cell_texts(full.page)) >= 25
    assert len(header_rows(full.page)) >= 10
    charts = chart_parts(full.page)
    assert len(charts) >= 10 and all(texts for _, texts in charts)


def test_no_page_ends_with_a_heading(full: Printed) -> None:
    assert pages_ending_with_a_heading(full.page, full.pages) == []


def test_no_page_ends_with_a_table_header_row_alone(full: Printed) -> None:
    assert pages_ending_with_a_lone_header(full.page, full.pages) == []


def test_no_chart_is_split_across_pages(full: Printed) -> None:
    assert split_charts(full.page, full.pages) == []


def test_the_checks_pass_the_hand_built_report_as_printed(small: str) -> None:
    printed = _print(small)
    assert pages_ending_with_a_heading(printed.page, printed.pages) == []
    assert pages_ending_with_a_lone_header(printed.page, printed.pages) == []
    assert split_charts(printed.page, printed.pages) == []


def test_a_broken_print_stylesheet_is_caught(small: str) -> None:
    """The same report printed with print rules that force the breaks the report's own CSS prevents:
    every check fails, naming the heading, header row and chart."""
    assert small.count("</head>") == 1
    broken = _print(small.replace("</head>", BROKEN_PRINT_CSS + "</head>"))
    page = parse(small)
    ending_headings = pages_ending_with_a_heading(page, broken.pages)
    lone_headers = pages_ending_with_a_lone_header(page, broken.pages)
    split = split_charts(page, broken.pages)
    assert any("'Headline figures'" in p for p in ending_headings), ending_headings
    assert any("'Member Return Status Files" in p for p in lone_headers), lone_headers  # the returns
    assert len(split) == len(chart_parts(page)), split


def pages_without_header(printed: Printed, header: str) -> list[int]:
    """Pages with rows of the long returns table (its members are "Testmember NN") whose rows do not
    start under the table's header row."""
    wanted = Counter(header.split())
    missing = []
    for n, text in enumerate(printed.pages, start=1):
        words = text.split()
        if "Testmember" in words:
            first = words.index("Testmember")
            if Counter(words[max(first - len(header.split()), 0) : first]) != wanted:
                missing.append(n)
    return missing


def test_a_long_table_repeats_its_header_row_on_every_page() -> None:
    """A returns table of 90 rows runs over several pages; each page with any of its rows starts them
    under the header row (thead is a table-header-group in print), so no page of figures lacks its
    column names."""
    received = datetime(2026, 10, 20, 14, 5, tzinfo=UTC)
    rows = tuple(
        SubmissionRow(f"m{n:02d}", f"Testmember {n:02d}", "spend", "accepted", 1, 10 + n, 10 + n, 0, received)
        for n in range(90)
    )
    html = render_period_report_html(dataclasses.replace(make_report(), submissions=rows))
    printed = _print(html)
    header = next(h for caption, h in header_rows(printed.page) if caption.startswith("Returns for"))
    with_rows = [n for n, text in enumerate(printed.pages) if "Testmember" in text]
    assert len(with_rows) >= 2  # the table does run over pages
    assert pages_without_header(printed, header) == []
    # The check fails when the header row is printed once only, as a plain row group.
    unrepeated = _print(
        html.replace(
            "</head>", "<style>@media print { thead { display: table-row-group !important; } }</style></head>"
        )
    )
    assert len(pages_without_header(unrepeated, header)) >= 1
    assert pages_ending_with_a_lone_header(printed.page, printed.pages) == []
