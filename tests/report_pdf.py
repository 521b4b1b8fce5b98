"""The printed report read back page by page (poppler's ``pdftotext``), and checks of its page breaks.

Each check takes the page tree of the HTML the PDF was printed from (``tests.report_html.parse``) and
the text of each PDF page, and returns what is wrong as readable lines (empty when nothing is): a page
that ends with a heading, a page that ends with a table's header row alone, a chart whose parts are on
two pages. The headings, header rows and charts are known from the HTML, so nothing is hard-coded.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections import Counter
from pathlib import Path

from tests.report_html import Element, squeeze

HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")
# How many of a page's last lines a heading or a header row may fill (a long one wraps).
TAIL_LINES = 12


def poppler_available() -> bool:
    return shutil.which("pdftotext") is not None and shutil.which("pdfinfo") is not None


def pdf_pages(pdf: bytes) -> list[str]:
    """The text of each page in reading order (``pdftotext`` ends each page with a form feed)."""
    with tempfile.TemporaryDirectory(prefix="anchor-pdf-text-") as folder:
        source = Path(folder) / "report.pdf"
        source.write_bytes(pdf)
        text = subprocess.run(
            ["pdftotext", "-enc", "UTF-8", str(source), "-"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    pages = text.split("\f")
    if pages and not pages[-1].strip():
        pages.pop()
    return pages


def pdf_info(pdf: bytes) -> dict[str, str]:
    """``pdfinfo``'s fields (Title, Tagged, Pages...)."""
    with tempfile.TemporaryDirectory(prefix="anchor-pdf-info-") as folder:
        source = Path(folder) / "report.pdf"
        source.write_bytes(pdf)
        out = subprocess.run(
            ["pdfinfo", "-enc", "UTF-8", str(source)], capture_output=True, text=True, check=True
        ).stdout
    fields: dict[str, str] = {}
    for line in out.splitlines():
        key, _, value = line.partition(":")
        fields[key.strip()] = value.strip()
    return fields


def _lines(page: str) -> list[str]:
    return [squeeze(line) for line in page.splitlines() if line.strip()]


def _words(text: str) -> Counter[str]:
    return Counter(text.split())


def _text(element: Element, skip: tuple[str, ...] = ("title", "desc")) -> str:
    """What the element prints: its text without the SVG's titles and descriptions."""
    parts: list[str] = []
    for child in element.children:
        if isinstance(child, str):
            parts.append(child)
        elif child.tag not in skip:
            parts.append(_text(child, skip))
    return squeeze(" ".join(parts))


def headings(page: Element) -> set[str]:
    return {text for h in page.iter() if h.tag in HEADINGS and (text := _text(h))}


def cell_texts(page: Element) -> set[str]:
    return {text for c in page.iter() if c.tag in ("th", "td") and (text := _text(c))}


def pages_ending_with_a_heading(page: Element, pages: list[str]) -> list[str]:
    """Pages whose last lines are a heading: its content starts on the next page.

    A heading whose text is also a table cell's (a card "Mentors trained" and the measures table's row of
    that name) is left out: pdftotext prints a table's first column after the others, so a page ending
    with that table's last row would read as ending with the heading.
    """
    known = headings(page) - cell_texts(page)
    problems = []
    for number, text in enumerate(pages[:-1], start=1):  # the last page may end as it likes
        lines = _lines(text)
        for count in range(1, min(TAIL_LINES, len(lines)) + 1):
            tail = " ".join(lines[-count:])
            if tail in known:
                problems.append(f"page {number} ends with the heading {tail!r}")
                break
    return problems


def header_rows(page: Element) -> list[tuple[str, str]]:
    """Each table's caption and header row text, for tables that have a header (``thead``)."""
    rows = []
    for table in page.find_all("table"):
        heads = [e for e in table.elements if e.tag == "thead"]
        if not heads:
            continue
        captions = [e for e in table.elements if e.tag == "caption"]
        rows.append((_text(captions[0]) if captions else "", _text(heads[0])))
    return rows


def pages_ending_with_a_lone_header(page: Element, pages: list[str]) -> list[str]:
    """Pages whose last lines are a table's header row (with or without its caption) and no body row."""
    wanted = []
    for caption, header in header_rows(page):
        wanted.append((header, _words(header)))
        if caption:
            wanted.append((header, _words(f"{caption} {header}")))
    problems = []
    for number, text in enumerate(pages[:-1], start=1):
        lines = _lines(text)
        for count in range(1, min(TAIL_LINES, len(lines)) + 1):
            tail = _words(" ".join(lines[-count:]))
            match = next((header for header, words in wanted if tail == words), None)
            if match:
                problems.append(f"page {number} ends with a table's header row alone: {match!r}")
                break
    return problems


def _compact(text: str) -> str:
    return "".join(text.split())


def chart_parts(page: Element) -> list[tuple[str, list[str]]]:
    """Each printed chart as its caption and the texts drawn in it (axis labels, bar labels, values)."""
    charts = []
    for figure in page.find_all("figure"):
        svgs = figure.find_all("svg", role="img")
        captions = figure.find_all("figcaption")
        if not svgs or not captions:
            continue
        texts = [
            piece
            for t in svgs[0].iter()
            if t.tag in ("text", "tspan")
            for piece in (squeeze(c) for c in t.children if isinstance(c, str))
            if piece
        ]
        charts.append((_text(captions[0]), texts))
    return charts


def split_charts(page: Element, pages: list[str]) -> list[str]:
    """Charts whose caption is on a page without all of the chart's drawn texts (so it was split)."""
    compact_pages = [_compact(p) for p in pages]
    problems = []
    for caption, texts in chart_parts(page):
        start = _compact(caption)[:24]  # side-by-side charts interleave their captions
        where = [n for n, p in enumerate(compact_pages) if start in p]
        if not where:
            problems.append(f"the chart captioned {caption[:60]!r} is not in the PDF")
            continue
        if not any(all(_compact(t) in compact_pages[n] for t in texts) for n in where):
            missing = [t for t in texts if _compact(t) not in compact_pages[where[0]]]
            problems.append(
                f"the chart captioned {caption[:60]!r} (page {where[0] + 1}) is split: "
                f"{missing[:5]} are on another page"
            )
    return problems


def page_break_problems(page: Element, pages: list[str]) -> list[str]:
    return [
        *pages_ending_with_a_heading(page, pages),
        *pages_ending_with_a_lone_header(page, pages),
        *split_charts(page, pages),
    ]
