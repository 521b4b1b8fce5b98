"""The City Hall report is an accessible document (WCAG 2.2 AA; issue 15, item 4).

- axe-core (the ``axe-playwright-python`` package's copy) runs in the system's headless Chromium (found the
  way ``pipeline.adapters.pdf`` finds it; Playwright only drives it and never downloads a browser) over the
  sample network's full report, and fails on any serious or critical violation; a page with planted faults
  shows it can fail.
- The language is set, headings go down one level at a time (h1 > h2 > h3, no skips).
- Every chart is an image with a title and a description (its text alternative) and its figures in a
  table beside it: every value drawn in the chart is in that table, hidden ones as hidden ("[c]").
- The colours meet contrast, worked out with WCAG's formula from the page's own stylesheet: text 4.5:1
  against its background, chart marks 3:1 against the page.
- The PDF is tagged and has the report's title.
"""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest

from pipeline.adapters.pdf import ChromiumError, chromium_path, html_to_pdf
from reports.render import render_period_report_html
from tests.full_report import full_report_html
from tests.report_html import Element, parse, squeeze
from tests.report_pdf import pdf_info, poppler_available
from tests.report_samples import make_measures_report


def _chromium() -> bool:
    try:
        chromium_path()
    except ChromiumError:
        return False
    return True


needs_chromium = pytest.mark.skipif(not _chromium(), reason="needs Chromium (./dev test installs it as root)")
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
FAILING_IMPACTS = ("serious", "critical")


@pytest.fixture(scope="module")
def full_html(tmp_path_factory: pytest.TempPathFactory) -> str:
    return full_report_html(tmp_path_factory)


@pytest.fixture(scope="module")
def small_html() -> str:
    return render_period_report_html(make_measures_report())


# -- axe-core in headless Chromium ------------------------------------------------------------------
def run_axe(html: str, folder: Path) -> dict[str, list[dict[str, object]]]:
    """axe-core's results for the page (violations and passes), opened from a file as a reader would."""
    from axe_playwright_python.sync_playwright import Axe
    from playwright.sync_api import sync_playwright

    source = folder / "report.html"
    source.write_text(html, encoding="utf-8")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=["--no-sandbox"])
        try:
            page = browser.new_page()
            page.goto(source.resolve().as_uri())
            results = Axe().run(
                page,
                options={
                    "runOnly": {"type": "tag", "values": AXE_TAGS},
                    "resultTypes": ["violations", "passes"],
                },
            )
        finally:
            browser.close()
    return results.response


def serious(results: dict[str, list[dict[str, object]]]) -> list[str]:
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at " + ", ".join(str(n["target"]) for n in v["nodes"][:5])  # type: ignore[index, union-attr]
        for v in results["violations"]
        if v["impact"] in FAILING_IMPACTS
    ]


@needs_chromium
def test_axe_finds_no_serious_or_critical_violation_in_the_full_report(
    full_html: str, tmp_path: Path
) -> None:
    results = run_axe(full_html, tmp_path)
    assert len(results["passes"]) >= 20  # axe ran its rules over the page
    assert serious(results) == []


@needs_chromium
def test_axe_finds_none_in_the_hand_built_report(small_html: str, tmp_path: Path) -> None:
    assert serious(run_axe(small_html, tmp_path)) == []


@needs_chromium
def test_axe_catches_planted_faults(small_html: str, tmp_path: Path) -> None:
    """The same page with no language, faint text and an unnamed chart fails, rule by rule."""
    broken = (
        small_html.replace('<html lang="en-GB">', "<html>")
        .replace("</main>", '<p style="color:#bbbbbb">Faint text</p></main>')
        .replace('aria-labelledby="mix-title" aria-describedby="mix-desc" ', "")
    )
    broken = re.sub(
        r'<title id="mix-title">.*?</title>|<desc id="mix-desc">.*?</desc>', "", broken, flags=re.S
    )
    assert broken.count('role="img"') == small_html.count('role="img"')
    found = {line.split(" ", 1)[0] for line in serious(run_axe(broken, tmp_path))}
    assert {"html-has-lang", "color-contrast", "svg-img-alt"} <= found, found


# -- language and headings --------------------------------------------------------------------------
def heading_problems(page: Element) -> list[str]:
    """Headings out of order: not starting with the one h1, a second h1, or a level skipped going down."""
    levels = [(int(e.tag[1]), squeeze(e.text)) for e in page.iter() if re.fullmatch(r"h[1-6]", e.tag)]
    problems = []
    if not levels or levels[0][0] != 1:
        problems.append("the first heading is not an h1")
    if sum(1 for level, _ in levels if level == 1) != 1:
        problems.append("not exactly one h1")
    for (before, _), (level, text) in itertools.pairwise(levels):
        if level > before + 1:
            problems.append(f"h{before} then h{level} ({text!r})")
    return problems


def test_the_heading_check_catches_a_skip() -> None:
    assert heading_problems(parse("<h1>A</h1><h2>B</h2><h3>C</h3><h2>D</h2>")) == []
    assert heading_problems(parse("<h1>A</h1><h3>B</h3>")) == ["h1 then h3 ('B')"]
    assert heading_problems(parse("<h2>A</h2>")) == ["the first heading is not an h1", "not exactly one h1"]


@pytest.mark.parametrize("which", ["full", "small"])
def test_language_is_british_english_and_headings_are_in_order(
    which: str, request: pytest.FixtureRequest
) -> None:
    page = parse(request.getfixturevalue(f"{which}_html"))
    assert page.find("html")["lang"] == "en-GB"
    assert heading_problems(page) == []
    assert len(page.find_all("h2")) >= 5


@pytest.mark.parametrize("which", ["full", "small"])
def test_every_table_has_a_caption_and_every_header_cell_a_scope(
    which: str, request: pytest.FixtureRequest
) -> None:
    page = parse(request.getfixturevalue(f"{which}_html"))
    tables = page.find_all("table")
    assert len(tables) >= 8
    for table in tables:
        captions = [e for e in table.elements if e.tag == "caption"]
        assert len(captions) == 1 and squeeze(captions[0].text), table.outline()[:2]
        assert all(th.get("scope") in ("col", "row", "colgroup", "rowgroup") for th in table.find_all("th"))


# -- charts: text alternative and data table --------------------------------------------------------
def _by_id(page: Element, ident: str) -> Element:
    found = page.find_all(id=ident)
    assert len(found) == 1, f"id {ident!r} is on {len(found)} elements"
    return found[0]


def _drawn_values(svg: Element) -> list[str]:
    """The figures a chart writes beside its marks (values and hidden "<N"), without tooltips."""
    return [
        squeeze("".join(c for c in t.children if isinstance(c, str)))
        for t in svg.find_all("text")
        if {"value", "suppressed"} & set(t.classes)
    ]


@pytest.mark.parametrize("which", ["full", "small"])
def test_every_chart_has_a_text_alternative_and_its_figures_in_a_table(
    which: str, request: pytest.FixtureRequest
) -> None:
    page = parse(request.getfixturevalue(f"{which}_html"))
    figures = [f for f in page.find_all("figure") if f.find_all("svg")]
    assert len(figures) >= (12 if which == "full" else 6)
    for svg in page.find_all("svg"):
        if svg.get("aria-hidden") == "true":  # a decoration beside figures written out in full
            continue
        chart = svg.get("data-chart")
        assert svg.get("role") == "img", chart
        title = _by_id(page, svg["aria-labelledby"])
        desc = _by_id(page, svg["aria-describedby"])
        assert title.tag == "title" and desc.tag == "desc", chart
        assert title in svg.elements and desc in svg.elements, chart
        assert len(squeeze(title.text)) > 10 and len(squeeze(desc.text)) > 20, chart
    for figure in figures:
        svg = figure.find("svg", role="img")
        details = figure.find("details", class_="chart-data")
        table = details.find("table")
        cells = [squeeze(c.text) for c in table.find_all("td")]
        assert squeeze(table.find("caption").text), svg["data-chart"]
        assert table.find("thead").find_all("th", scope="col"), svg["data-chart"]
        assert cells, svg["data-chart"]
        drawn = _drawn_values(svg)
        missing = [v for v in drawn if v not in cells]
        assert missing == [], (svg["data-chart"], missing)


def test_hidden_figures_are_hidden_in_the_chart_tables_too(full_html: str) -> None:
    """A chart's table shows a hidden figure as "[c]", never its value (the chart's own markers say which),
    with the marker's meaning as its accessible name."""
    page = parse(full_html)
    hidden_in_charts = 0
    for figure in (f for f in page.find_all("figure") if f.find_all("svg", role="img")):
        svg = figure.find("svg", role="img")
        hidden = [t for t in svg.find_all("text", class_="suppressed")]
        table_text = figure.find("details", class_="chart-data").find("table").readable()
        hidden_in_charts += len(hidden)
        table = figure.find("details", class_="chart-data").find("table")
        markers = table.find_all("abbr", class_="hidden-marker")
        assert table_text.count("[c]") >= len(hidden) and len(markers) >= len(hidden), svg["data-chart"]
        assert all(m["title"].startswith("Not shown to protect privacy") for m in markers)
    assert hidden_in_charts > 0  # the sample has small numbers in its charts


# -- colour contrast --------------------------------------------------------------------------------
def relative_luminance(colour: str) -> float:
    """WCAG 2.2's relative luminance of an sRGB colour written #rrggbb or #rgb."""
    hex_digits = colour.lstrip("#")
    if len(hex_digits) == 3:
        hex_digits = "".join(d * 2 for d in hex_digits)
    channels = [int(hex_digits[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    high, low = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_the_contrast_formula() -> None:
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#fff", "#fff") == pytest.approx(1.0)
    # WebAIM's checker: #767676 on white is the lightest grey that passes 4.5:1.
    assert contrast("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)
    assert contrast("#777777", "#ffffff") < 4.5


WHITE = "#ffffff"
# Marks that carry no figure of their own: reading the chart never depends on telling them apart.
DECORATIVE = {
    ".grid": "grid lines help the eye along the axis; every value is written beside its mark",
    ".track": "a progress bar's empty track; the progress is written as a number beside the bar",
}


def css_rules(page: Element) -> list[tuple[str, dict[str, str]]]:
    """The page's style rules as (selector, declarations), custom properties (``var(--x)``) resolved."""
    css = " ".join(squeeze(style.text) for style in page.find_all("style"))
    css = re.sub(r"/\*.*?\*/", "", css)
    rules = []
    for selector, body in re.findall(r"([^{}]+)\{([^{}]*)\}", css):
        declarations = {}
        for part in body.split(";"):
            name, _, value = part.partition(":")
            if value.strip():
                declarations[name.strip()] = value.strip()
        rules.append((squeeze(selector), declarations))
    variables = {k: v for selector, d in rules if selector == ":root" for k, v in d.items()}

    def resolve(value: str) -> str:
        return re.sub(r"var\((--[\w-]+)\)", lambda m: variables[m.group(1)], value)

    return [(s, {k: resolve(v) for k, v in d.items()}) for s, d in rules]


def _colour(value: str) -> str | None:
    found = re.search(r"#[0-9a-fA-F]{6}\b|#[0-9a-fA-F]{3}\b", value)
    return found.group(0) if found else None


def contrast_problems(page: Element) -> tuple[list[str], int]:
    """Colours below WCAG AA in the page's stylesheet, and how many colours were checked."""
    problems: list[str] = []
    checked = 0
    for selector, declarations in css_rules(page):
        background = _colour(declarations.get("background", "")) or WHITE
        if (text := _colour(declarations.get("color", ""))) is not None:
            checked += 1
            if contrast(text, background) < 4.5:
                problems.append(
                    f"{selector}: text {text} on {background} is {contrast(text, background):.2f}:1"
                )
        if not selector.startswith("svg") or any(d in selector for d in DECORATIVE):
            continue
        is_text = re.search(r"\b(text|tspan)\b", selector) is not None
        for prop in ("fill", "stroke"):
            colour = _colour(declarations.get(prop, ""))
            if colour is None or (prop == "fill" and colour.lower() in (WHITE, "#fff")):
                continue  # no paint, or the page's own white (a point's hollow centre)
            checked += 1
            needed = 4.5 if is_text and prop == "fill" else 3.0
            if contrast(colour, WHITE) < needed:
                problems.append(
                    f"{selector}: {prop} {colour} is {contrast(colour, WHITE):.2f}:1 (needs {needed}:1)"
                )
    return problems, checked


def test_the_contrast_check_catches_a_faint_colour() -> None:
    page = parse(
        "<style>:root { --pale: #f47738; } .a { color: #0b0c0c; } svg .bar { fill: var(--pale); }"
        " .tag { color: #ffffff; background: #b1b4b6; } svg .grid { stroke: #eeeeee; }</style>"
    )
    problems, checked = contrast_problems(page)
    assert checked == 3  # the grid line is decorative and not checked
    assert sorted(problems) == [
        ".tag: text #ffffff on #b1b4b6 is 2.08:1",
        "svg .bar: fill #f47738 is 2.78:1 (needs 3.0:1)",
    ]


def test_the_report_colours_meet_wcag_contrast(full_html: str, small_html: str) -> None:
    for html in (full_html, small_html):
        problems, checked = contrast_problems(parse(html))
        assert checked >= 25
        assert problems == []


# -- the PDF ----------------------------------------------------------------------------------------
@needs_chromium
@pytest.mark.skipif(not poppler_available(), reason="needs poppler-utils (pdfinfo)")
def test_the_pdf_is_tagged_and_titled(small_html: str) -> None:
    info = pdf_info(html_to_pdf(small_html))
    title = squeeze(parse(small_html).find("head").find("title").text)
    assert info["Tagged"] == "yes"
    assert info["Title"] == title and "Quarter" in title


@needs_chromium
def test_the_pdf_has_bookmarks_for_every_section(small_html: str) -> None:
    """A reader moves through the PDF by its sections: each h2 is a bookmark, under the h1."""
    import io

    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(html_to_pdf(small_html)))

    # Chromium drops the space where a heading wraps on the page, so titles are compared without spaces.
    def bare(text: str) -> str:
        return "".join(text.split())

    page = parse(small_html)
    h2s = [bare(h.text) for h in page.find_all("h2")]
    assert len(h2s) >= 5
    root, children = reader.outline[0], reader.outline[1]  # the h1, then what is under it
    assert bare(root.title) == bare(page.find("h1").text)
    assert [bare(item.title) for item in children if not isinstance(item, list)] == h2s


def _structure(node: object, found: list[tuple[str, str | None]]) -> None:
    """The PDF structure tree's elements as (type, alternative text), depth first."""
    node = node.get_object() if hasattr(node, "get_object") else node
    if isinstance(node, dict):
        if "/S" in node:
            alt = node.get("/Alt")
            found.append((str(node["/S"]), str(alt) if alt is not None else None))
        kids = node.get("/K")
        if kids is not None:
            _structure(kids, found)
    elif isinstance(node, list):
        for kid in node:
            _structure(kid, found)


@needs_chromium
def test_the_pdf_tags_carry_headings_tables_and_the_charts_text_alternatives(small_html: str) -> None:
    """A screen reader reads the PDF by its tags: the headings, the tables, and each chart as a figure
    whose alternative text is the chart's title."""
    import io

    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(html_to_pdf(small_html)))
    found: list[tuple[str, str | None]] = []
    _structure(reader.trailer["/Root"]["/StructTreeRoot"], found)
    kinds = [kind for kind, _ in found]
    page = parse(small_html)
    assert kinds.count("/H1") == 1
    assert kinds.count("/H2") == len(page.find_all("h2"))
    assert kinds.count("/Table") >= len([t for t in page.find_all("table")]) - len(
        page.find_all("details", class_="chart-data")
    )
    alternatives = {squeeze(alt) for kind, alt in found if kind == "/Figure" and alt}
    titles = {squeeze(_by_id(page, svg["aria-labelledby"]).text) for svg in page.find_all("svg", role="img")}
    assert titles and titles <= alternatives
