"""The City Hall report issued in three forms (HTML, PDF, Excel), e-mailed, recorded and traceable.

One small sample network is generated, ingested and its KPIs computed once for the module; every
figure of the HTML and the workbook is then compared with ``kpi_value`` read straight from the
warehouse. Chromium and pdftoppm are real (Debian packages; ``./dev test`` installs them as root).
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import shutil
import subprocess
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from pipeline.adapters.pdf import ChromiumError, html_to_pdf, screenshot
from pipeline.config import EXAMPLE_CONFIG
from pipeline.network import Network, open_network
from pipeline.presentation.messages import email_bodies, headline_figures
from pipeline.steps.report import build_period_report
from pipeline.steps.report_issue import (
    due_reports,
    issue_due_reports,
    issue_report,
    issued,
    latest_due_period,
)
from pipeline.steps.returns_tracker import due_date
from reports.format import format_gbp_exact, format_pct
from reports.model import MEMBER_COLUMNS, WORKFORCE_MEMBER_COLUMNS, PeriodReport
from reports.render import render_period_report_html
from reports.workbook import SHEETS, period_report_workbook
from tests.conftest import standalone_network, write_config
from tests.report_html import parse
from tests.servers import enable_email
from transforms.kpi_registry import REGISTRY, Kpi, is_known, lookup, measure_code
from transforms.periods import Period
from warehouse.schema import kpi_value, submissions

PERIOD = "2026-27-Q2"
PERIODS = ("2026-27-Q1", PERIOD)
RECIPIENT = "anchor-team@cityhall.example.org"  # [report] recipients in config/london.toml
PROJECT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def sample_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A generated, ingested sample network with KPIs, shared (as copies) by the module's tests."""
    from pipeline.steps.ingest import ingest
    from pipeline.steps.kpis import compute_kpis
    from samples.network import generate_sample

    folder = tmp_path_factory.mktemp("report-issue")
    with standalone_network(folder) as (network, _):  # the example config: e-mail off, no receipts
        generate_sample(network.cfg, periods=PERIODS, lines_per_file=30)
        ingest(network)
        compute_kpis(network)
        network.engine.dispose()
    yield folder


def _copy(sample_dir: Path, tmp_path: Path, *, email: bool = True, **email_settings: object) -> Network:
    """A private copy of the sample network (warehouse file and bucket), so tests do not share state;
    e-mail on (with ``email_settings``) unless ``email`` is False."""
    shutil.copytree(sample_dir / "data", tmp_path / "data")
    shutil.copy(sample_dir / "w.db", tmp_path / "w.db")
    config = write_config(tmp_path, f"sqlite:///{tmp_path}/w.db", EXAMPLE_CONFIG)
    return open_network(enable_email(config, **email_settings) if email else config)


@pytest.fixture
def network(sample_dir: Path, tmp_path: Path) -> Network:
    return _copy(sample_dir, tmp_path)


@pytest.fixture
def report(network: Network) -> PeriodReport:
    return build_period_report(network, PERIOD)


def _warehouse(network: Network, period: str = PERIOD) -> dict[tuple[str, str, str], float | None]:
    with network.engine.connect() as conn:
        rows = conn.execute(select(kpi_value).where(kpi_value.c.period == period)).mappings().all()
    return {(r["kpi"], r["scope"], r["scope_id"]): r["value"] for r in rows}


@dataclass
class _PageFigures:
    """The page's ``data-kpi`` cards (with their year to date as "year-to-date"), and the ``data-col``
    cells of its member (spend), workforce-member and sector rows, by row id and column."""

    cards: dict[str, dict[str, str]]
    members: dict[str, dict[str, dict[str, str]]]
    workforce: dict[str, dict[str, dict[str, str]]]
    sectors: dict[str, dict[str, dict[str, str]]]


def _parse(html: str) -> _PageFigures:
    page = parse(html)
    cards = {}
    for card in page.find_all("li", data_kpi=True):
        ytd = card.find_all(data_ytd=True)
        cards[card["data-kpi"]] = {**card.attrs, **({"year-to-date": ytd[0]["data-ytd"]} if ytd else {})}

    def rows(attribute: str) -> dict[str, dict[str, dict[str, str]]]:
        found = page.find_all("tr", **{attribute.replace("-", "_"): True})
        return {
            r[attribute]: {td["data-col"]: td.attrs for td in r.find_all("td", data_col=True)} for r in found
        }

    return _PageFigures(cards, rows("data-member"), rows("data-workforce-member"), rows("data-sector-row"))


def _check(shown: str | None, stored: float | None, where: str) -> int:
    """A shown ``data-value`` equals the stored value (both empty when there is none)."""
    if stored is None:
        assert not shown, where
        return 0
    assert shown, where
    assert float(shown) == pytest.approx(stored, abs=1e-6), where
    return 1


def test_every_figure_in_the_html_and_the_workbook_equals_the_warehouse(
    network: Network, report: PeriodReport
) -> None:
    from openpyxl import load_workbook

    stored = _warehouse(network)
    net = network.cfg.id
    threshold = "[c]"  # every hidden figure, whatever the threshold
    html = render_period_report_html(report)
    page = _parse(html)
    book = load_workbook(io.BytesIO(period_report_workbook(report)))
    assert book.sheetnames == list(SHEETS)
    compared = suppressed = with_year_to_date = 0

    # Headline cards (spend and workforce) and the Headline sheet.
    sheet = {row[0].value: row for row in book["Headline"].iter_rows(min_row=2)}
    for figure in [*report.headline, *report.workforce_headline]:
        card, cell = page.cards[figure.code], sheet[figure.code][2]
        value = stored.get((figure.code, "network", net))
        if card.get("data-suppressed") == "true":
            assert card["data-value"] == "" and cell.value == threshold, figure.code
            suppressed += 1
            continue
        compared += _check(card["data-value"], value, f"card {figure.code}")
        assert cell.value == (None if value is None else pytest.approx(value, abs=1e-9)), figure.code
        # Financial year to date (Q1 and Q2 here): on the card and in the sheet, as in the warehouse.
        to_date = stored.get((f"{figure.code}_ytd", "network", net))
        if to_date is not None:
            compared += _check(card["year-to-date"], to_date, f"card {figure.code} year to date")
            assert sheet[figure.code][5].value == pytest.approx(to_date, abs=1e-9), figure.code
            with_year_to_date += 1
        if value is not None:
            assert isinstance(cell.value, float | int), figure.code
            unit = lookup(figure.code).unit
            assert ("£" if unit == "GBP" else "%" if unit == "%" else "#") in cell.number_format

    # Members' spend: every cell of the HTML table and the Members sheet.
    rows = {row[0].value: row for row in book["Members"].iter_rows(min_row=2)}
    assert set(rows) == set(page.members) == {m.id for m in network.cfg.members}
    for member_id, cells in page.members.items():
        for index, code in enumerate(MEMBER_COLUMNS, start=4):
            value = stored.get((code, "member", member_id))
            compared += _check(cells[code]["data-value"], value, f"{member_id} {code}")
            sheet_value = rows[member_id][index].value
            assert sheet_value == (None if value is None else pytest.approx(value, abs=1e-9)), (
                member_id,
                code,
            )

    # Workforce members: suppressed cells are "[c]" in both, the value nowhere; the rest equal the warehouse.
    rows = {row[0].value: row for row in book["Workforce members"].iter_rows(min_row=2)}
    assert set(rows) == set(page.workforce) and page.workforce
    for member_id, cells in page.workforce.items():
        for index, code in enumerate(WORKFORCE_MEMBER_COLUMNS, start=4):
            value = stored.get((code, "member", member_id))
            sheet_value = rows[member_id][index].value
            if cells[code].get("data-suppressed") == "true":
                assert cells[code]["data-value"] == "" and sheet_value == threshold, (member_id, code)
                suppressed += 1
                continue
            compared += _check(cells[code]["data-value"], value, f"{member_id} {code}")
            assert sheet_value == (None if value is None else pytest.approx(value, abs=1e-9)), (
                member_id,
                code,
            )
    # Sectors: every cell of the HTML table and the Sectors sheet; sectors add up to the network.
    rows = {row[0].value: row for row in book["Sectors"].iter_rows(min_row=2)}
    assert set(rows) == set(page.sectors) == {m.sector.value for m in network.cfg.members}
    header = [c.value for c in next(book["Sectors"].iter_rows(max_row=1))]
    for sector, cells in page.sectors.items():
        assert set(cells) >= {"spend_total", "spend_sme_pct", "lw_paid_pct", "lw_uplifts"}
        for code, cell in cells.items():
            value = stored.get((code, "sector", sector))
            sheet_value = rows[sector][3 + list(cells).index(code)].value
            if cell.get("data-suppressed") == "true":
                assert cell["data-value"] == "" and sheet_value == threshold, (sector, code)
                suppressed += 1
                continue
            compared += _check(cell["data-value"], value, f"{sector} {code}")
            assert sheet_value == (None if value is None else pytest.approx(value, abs=1e-9)), (sector, code)
    assert len(header) == 3 + len(next(iter(page.sectors.values())))
    by_sector = sum(stored.get(("spend_total", "sector", s)) or 0 for s in page.sectors)
    assert by_sector == pytest.approx(stored[("spend_total", "network", net)])
    assert compared >= 60, compared
    assert with_year_to_date >= 8, with_year_to_date  # spend shares and sums, uplifts, starts
    first = _warehouse(network, PERIODS[0])
    assert stored[("spend_total_ytd", "network", net)] == pytest.approx(
        first[("spend_total", "network", net)] + stored[("spend_total", "network", net)]
    )

    # The About sheet: network, period, as-of time; the source submissions, as in the warehouse.
    about = [[c.value for c in row] for row in book["About"].iter_rows()]
    assert ["Network", network.cfg.name, None] in about and ["Period", PERIOD, None] in about
    assert any(row[0] == "Data as of (UTC)" and row[1] is not None for row in about)
    with network.engine.connect() as conn:
        accepted = conn.execute(
            select(submissions.c.submission_id).where(
                (submissions.c.status == "accepted") & (submissions.c.period == PERIOD)
            )
        ).scalars()
        ids = sorted(accepted)
    assert ids and [r[0] for r in book["Source submissions"].iter_rows(min_row=2, values_only=True)] == ids
    assert ["Source submissions", len(ids), None] in about
    definitions = book["Definitions"].iter_rows(min_row=2, values_only=True)
    assert any(row[0] == "spend_sme_pct" and row[2] for row in definitions)


def _registry_names(code: str, catalogue: Sequence[Any], where: str) -> Kpi:
    """The registry's entry for a code an output shows; the test fails on a code it does not know."""
    assert is_known(code, catalogue), f"{where} names {code!r}, which the KPI registry does not know"
    return lookup(code, catalogue)


def test_every_kpi_the_report_workbook_email_and_cli_name_is_the_registrys(
    network: Network, report: PeriodReport
) -> None:
    """The page, the workbook, the e-mail and ``anchor kpis --json`` show only KPIs the registry knows,
    by the registry's names: ``name`` on cards, definitions, chart titles and targets; ``short_name`` in
    column headings, chart labels and e-mail lines."""
    from openpyxl import load_workbook
    from typer.testing import CliRunner

    from pipeline.cli.app import app

    catalogue = network.cfg.measures
    page = parse(render_period_report_html(report))
    shown = 0
    for card in page.find_all("li", data_kpi=True):
        kpi = _registry_names(card["data-kpi"], catalogue, "a card")
        assert (
            card.find("h3").text == kpi.name
            and card.find("p", class_="card-definition").text == kpi.definition
        )
        shown += 1
    items = page.find("dl", class_="definitions").elements
    for dt, dd in zip(items[::2], items[1::2], strict=True):
        if "data-kpi-definition" in dt:
            kpi = _registry_names(dt["data-kpi-definition"], catalogue, "the definitions")
            assert (dt.text, dd.text) == (kpi.name, kpi.definition)
            shown += 1
    for table in page.find_all("table", class_="members"):  # members, sectors, workforce
        first_row = table.find("tbody").elements[0]
        codes = [td["data-col"] for td in first_row.find_all("td", data_col=True)]
        header = " ".join(th.text for th in table.find("thead").find_all("th"))
        for code in codes:
            kpi = _registry_names(code, catalogue, "a table column")
            assert kpi.short_name.partition(": ")[0] in header, (code, header)
            shown += 1
    for svg in page.find_all("svg", data_chart=True):
        if svg["data-chart"].startswith("trend-"):
            kpi = _registry_names(svg["data-chart"].removeprefix("trend-"), catalogue, "a trend chart")
            assert svg.find("title", id=svg["aria-labelledby"]).text == kpi.name
            shown += 1
    for bar in page.find("svg", data_chart="spend-mix").find_all("g", data_category=True):
        label = bar.find("text", class_="bar-label").text
        assert label in {lookup(c).short_name for c in REGISTRY}, label
    for row in page.find_all("tr", data_target_kpi=True):
        kpi = _registry_names(row["data-target-kpi"], catalogue, "a target")
        assert row.find("th").text.startswith(kpi.name) and row["data-unit"] == kpi.unit
        shown += 1
    for row in page.find_all("tr", data_measure=True):
        kpi = _registry_names(measure_code(row["data-measure"]), catalogue, "a measure")
        assert row.find("th").text == kpi.short_name and row["data-unit"] == kpi.unit
        shown += 1
    assert shown >= 60, shown  # cards, definitions, columns, trends, targets and measures of the sample

    book = load_workbook(io.BytesIO(period_report_workbook(report)))
    for code, name, *_ in book["Headline"].iter_rows(min_row=2, values_only=True):
        assert name == _registry_names(code, catalogue, "the Headline sheet").name
    short_names = {lookup(c).short_name for c in REGISTRY}
    for sheet, fixed in (("Members", 4), ("Sectors", 3), ("Workforce members", 4)):
        header = [c.value for c in next(book[sheet].iter_rows(max_row=1))]
        assert header[fixed:] and set(header[fixed:]) <= short_names, (sheet, header)
    for code, name, unit, *_ in book["Targets"].iter_rows(min_row=2, values_only=True):
        kpi = _registry_names(code, catalogue, "the Targets sheet")
        assert (name, unit) == (kpi.name, kpi.unit)
    for code, name, _, unit, *_ in book["Measures"].iter_rows(min_row=2, values_only=True):
        kpi = _registry_names(measure_code(code), catalogue, "the Measures sheet")
        assert (name, unit) == (kpi.short_name, kpi.unit)
    definitions = list(book["Definitions"].iter_rows(min_row=2, values_only=True))
    assert definitions
    for code, name, definition in definitions:
        assert (name, definition) == (lookup(code).name, lookup(code).definition)

    lines = headline_figures(report)
    assert lines
    for code, label, _ in lines:
        assert label == _registry_names(code, catalogue, "the e-mail").short_name
    text, body = email_bodies(report, {"html_bucket": "html", "xlsx_bucket": "xlsx"})
    assert [line.split(": ")[0] for line in text.splitlines() if line.startswith("- ")] == [
        f"- {label}" for _, label, _ in lines
    ]
    for row in parse(body).find_all("tr", data_kpi=True):
        assert (
            row.find("th").text
            == _registry_names(row["data-kpi"], catalogue, "the e-mail's table").short_name
        )

    result = CliRunner().invoke(
        app, ["kpis", "--period", PERIOD, "--json", "--config", str(network.cfg.source_path)]
    )
    assert result.exit_code == 0, result.output
    records = json.loads(result.stdout)
    assert len({r["kpi"] for r in records}) >= 40
    for record in records:
        assert record["unit"] == _registry_names(record["kpi"], catalogue, "anchor kpis --json").unit


def test_suppressed_figures_are_text_in_the_workbook_and_the_email_never_the_value(
    report: PeriodReport,
) -> None:
    from openpyxl import load_workbook

    uplifts = next(f for f in report.workforce_headline if f.code == "lw_uplifts")
    assert uplifts.value is not None
    hidden = dataclasses.replace(
        report,
        workforce_headline=[
            dataclasses.replace(f, suppressed=True) if f.code == "lw_uplifts" else f
            for f in report.workforce_headline
        ],
    )
    book = load_workbook(io.BytesIO(period_report_workbook(hidden)))
    [row] = [r for r in book["Headline"].iter_rows(values_only=True) if r[0] == "lw_uplifts"]
    assert row[2:4] == ("[c]", None)
    assert dict((code, text) for code, _, text in headline_figures(hidden))["lw_uplifts"] == "[c]"
    text, body = email_bodies(hidden, {"html_bucket": "html", "xlsx_bucket": "xlsx"})
    legend = "[c] not shown to protect privacy: fewer than 5 people, or a figure from which"
    assert legend in text and legend in body and "<5" not in text and "&lt;5" not in body


def test_workbook_is_deterministic(report: PeriodReport) -> None:
    import time

    first = period_report_workbook(report)
    time.sleep(1.1)  # zip entry times have a 2-second resolution; a second later must change nothing
    assert period_report_workbook(report) == first


def test_html_renders_in_chromium_without_console_errors_and_a_screenshot_is_made(
    report: PeriodReport, tmp_path: Path
) -> None:
    page = tmp_path / "report.html"
    page.write_text(render_period_report_html(report), encoding="utf-8")
    png = tmp_path / "report.png"
    run = screenshot(page, png)
    assert run.returncode == 0, run.stderr[-2000:]
    errors = [
        line
        for line in run.stderr.splitlines()
        if "Uncaught" in line or ":CONSOLE" in line or "Failed to load resource" in line
    ]
    assert errors == []
    data = png.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 20_000  # a real picture, not a blank page
    (PROJECT / "var").mkdir(exist_ok=True)
    shutil.copy(png, PROJECT / "var" / "report-screenshot.png")


def test_pdf_has_the_expected_pages(report: PeriodReport, tmp_path: Path) -> None:
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(html_to_pdf(render_period_report_html(report)))
    subprocess.run(["pdftoppm", "-r", "20", "-png", str(pdf), str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page-*.png"))
    # Headline, trend charts, spend mix, members table (10 members), workforce, measures, targets,
    # returns status and definitions: more than three A4 pages, and far fewer than thirty.
    assert 3 <= len(pages) <= 30, len(pages)
    assert all(p.stat().st_size > 0 for p in pages)


def test_pdf_fails_clearly_without_chromium(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("ANCHOR_CHROMIUM", raising=False)
    with pytest.raises(ChromiumError, match="install the Debian package 'chromium'"):
        html_to_pdf("<p>x</p>")


def test_issue_writes_three_forms_emails_city_hall_and_records_it_once(network: Network, mailbox) -> None:  # type: ignore[no-untyped-def]
    from openpyxl import load_workbook

    outcome = issue_report(network, PERIOD)
    assert (outcome["status"], outcome["email"], outcome["emailed_to"]) == ("issued", "sent", [RECIPIENT])

    # Three forms, in the bucket's reports/<period>/ and in the outbox, with the same bytes.
    stem = f"{network.cfg.id}-report-{PERIOD}"
    for kind in ("html", "pdf", "xlsx"):
        local = Path(outcome[f"{kind}_outbox"])
        assert local.name == f"{stem}.{kind}"
        assert network.bucket.read(f"reports/{PERIOD}/{stem}.{kind}") == local.read_bytes()
    html = Path(outcome["html_outbox"]).read_text(encoding="utf-8")
    assert Path(outcome["pdf_outbox"]).read_bytes().startswith(b"%PDF")
    load_workbook(outcome["xlsx_outbox"])  # opens
    # Reproducible: the same warehouse gives the same HTML and the same workbook bytes.
    again = build_period_report(network, PERIOD)
    assert render_period_report_html(again) == html
    assert period_report_workbook(again) == Path(outcome["xlsx_outbox"]).read_bytes()

    # The e-mail: PDF attached, headline figures (from the warehouse) in both bodies.
    [message] = mailbox.to(RECIPIENT)
    assert message["From"] == "anchor-returns@network.example.org"
    assert PERIOD[:7] in message["Subject"] and network.cfg.name in message["Subject"]
    [attachment] = list(message.iter_attachments())
    assert attachment.get_filename() == f"{stem}.pdf" and attachment.get_content_type() == "application/pdf"
    assert attachment.get_content() == Path(outcome["pdf_outbox"]).read_bytes()
    text = message.get_body(("plain",)).get_content()
    body = message.get_body(("html",)).get_content()
    stored = _warehouse(network)
    net = network.cfg.id
    expected = [
        format_gbp_exact(stored[("spend_total", "network", net)]),  # pence kept in the e-mail
        format_pct(stored[("spend_sme_pct", "network", net)]),
        format_pct(stored[("spend_local_pct", "network", net)]),
        f"{format_pct(stored[('spend_small_or_diverse_pct', 'network', net)])} (pledge 30.0%)",
        f"Living Wage uplifts: {int(stored[('lw_uplifts', 'network', net)])}",
    ]
    for figure in expected:
        assert figure in text, figure
        assert figure.split(": ")[-1] in body, figure

    # Recorded, traceable: fingerprint of the HTML, sorted source submissions, paths and recipients.
    [record] = issued(network, PERIOD)
    assert record["fingerprint"] == hashlib.sha256(html.encode()).hexdigest() == outcome["fingerprint"]
    with network.engine.connect() as conn:
        accepted = conn.execute(
            select(submissions.c.submission_id).where(
                (submissions.c.status == "accepted") & (submissions.c.period == PERIOD)
            )
        ).scalars()
        ids = sorted(accepted)
    assert json.loads(record["source_submission_ids"]) == ids
    assert json.loads(record["emailed_to"]) == [RECIPIENT] and record["email_status"] == "sent"
    assert json.loads(record["paths"])["pdf_outbox"] == outcome["pdf_outbox"]

    # Issuing again with nothing changed sends nothing and records nothing, even after the KPIs were
    # recomputed (as every ingest run does) from the same data.
    from pipeline.steps.kpis import compute_kpis

    compute_kpis(network)
    mailbox.clear()
    repeat = issue_report(network, PERIOD)
    assert (repeat["status"], repeat["report_id"]) == ("unchanged", outcome["report_id"])
    assert mailbox.received == [] and len(issued(network, PERIOD)) == 1


def test_a_failing_pdf_printer_still_issues_html_and_excel_and_tells_the_engineers(  # type: ignore[no-untyped-def]
    sample_dir: Path, tmp_path: Path, mailbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Chromium crashing (or missing from the image) must not stop a due report going to City Hall; the
    PDF follows once it prints again."""
    printer = tmp_path / "broken-chromium"
    printer.write_text("#!/bin/sh\necho 'crashed: cannot open display' >&2\nexit 1\n", encoding="utf-8")
    printer.chmod(0o755)
    monkeypatch.setenv("ANCHOR_CHROMIUM", str(printer))
    engineers = "data-team@network.example.org"
    network = _copy(sample_dir, tmp_path, engineers=[engineers])

    outcome = issue_report(network, PERIOD)

    assert (outcome["status"], outcome["email"], outcome["pdf"]) == ("issued", "sent", "missing")
    stem = f"{network.cfg.id}-report-{PERIOD}"
    assert not network.bucket.exists(f"reports/{PERIOD}/{stem}.pdf") and "pdf_outbox" not in outcome
    for kind in ("html", "xlsx"):
        assert (
            network.bucket.read(f"reports/{PERIOD}/{stem}.{kind}")
            == Path(outcome[f"{kind}_outbox"]).read_bytes()
        )
    # City Hall gets the HTML and the workbook attached, and is told the PDF will follow.
    [message] = mailbox.to(RECIPIENT)
    attached = {a.get_filename(): a.get_content() for a in message.iter_attachments()}
    assert set(attached) == {f"{stem}.html", f"{stem}.xlsx"}
    assert attached[f"{stem}.xlsx"] == Path(outcome["xlsx_outbox"]).read_bytes()
    assert "PDF could not be produced" in message.get_body(("plain",)).get_content()
    # The engineers get one alert naming the report and Chromium's own error.
    [alert] = mailbox.to(engineers)
    assert "without its PDF" in alert["Subject"]
    alert_text = alert.get_body(("plain",)).get_content()
    assert outcome["report_id"] in alert_text and "crashed: cannot open display" in alert_text
    [record] = issued(network, PERIOD)
    assert "pdf_outbox" not in json.loads(record["paths"]) and record["email_status"] == "sent"

    # The next daily run, printer still broken: same content, so nothing is sent again.
    mailbox.clear()
    assert issue_report(network, PERIOD)["status"] == "unchanged"
    assert mailbox.received == []

    # The printer works again: the next run keeps the e-mail's promise and sends the PDF, once.
    monkeypatch.delenv("ANCHOR_CHROMIUM")
    follow_up = issue_report(network, PERIOD)
    assert (follow_up["status"], follow_up["pdf"], follow_up["email"]) == ("issued", "made", "sent")
    assert follow_up["report_id"] == outcome["report_id"].replace("-r1", "-r2")
    assert follow_up["fingerprint"] == outcome["fingerprint"]  # the same figures
    pdf = network.bucket.read(f"reports/{PERIOD}/{stem}.pdf")
    assert pdf.startswith(b"%PDF") and Path(follow_up["pdf_outbox"]).read_bytes() == pdf
    [message] = mailbox.to(RECIPIENT)
    assert message["Subject"].endswith("(the PDF)")
    assert {a.get_filename(): a.get_content() for a in message.iter_attachments()} == {f"{stem}.pdf": pdf}
    assert "could not be produced when the report was sent" in message.get_body(("plain",)).get_content()
    assert mailbox.to(engineers) == []  # nothing to tell the engineers this time
    mailbox.clear()
    assert issue_report(network, PERIOD)["status"] == "unchanged"
    assert mailbox.received == [] and len(issued(network, PERIOD)) == 2


def test_email_off_still_issues_without_sending(sample_dir: Path, tmp_path: Path, mailbox) -> None:  # type: ignore[no-untyped-def]
    network = _copy(sample_dir, tmp_path, email=False)
    outcome = issue_report(network, PERIOD)
    assert (outcome["status"], outcome["email"]) == ("issued", "disabled")
    assert mailbox.received == []
    [record] = issued(network)
    assert record["emailed_to"] is None


def test_scheduled_run_reports_the_latest_quarter_whose_returns_are_due(network: Network) -> None:
    from datetime import date, timedelta

    today = date(2026, 11, 23)
    latest = Period.parse(latest_due_period(network, today) or "")
    due = max(due_date(network.cfg, rt, latest) for rt in network.cfg.returns)
    following = max(due_date(network.cfg, rt, latest.next()) for rt in network.cfg.returns)
    assert latest.key == PERIOD and due < today <= following
    assert latest_due_period(network, due) == latest.previous().key
    assert latest_due_period(network, due + timedelta(days=1)) == PERIOD


def test_the_year_report_is_due_with_its_fourth_quarter(network: Network) -> None:
    from datetime import timedelta

    q4 = Period.parse("2026-27-Q4")
    q4_due = max(due_date(network.cfg, rt, q4) for rt in network.cfg.returns)
    assert due_reports(network, q4_due) == ["2026-27-Q3"]
    assert due_reports(network, q4_due + timedelta(days=1)) == ["2026-27-Q4", "2026-27"]
    # Issued from the same warehouse: the year's report is built from the quarters received so far.
    outcomes = issue_due_reports(network, q4_due + timedelta(days=1))
    assert [(o["period"], o["status"]) for o in outcomes] == [
        ("2026-27-Q4", "no data"),
        ("2026-27", "issued"),
    ]
    [record] = issued(network)
    assert record["period"] == "2026-27"


@pytest.mark.airflow
def test_report_dag_issues_the_report_through_airflow(sample_dir: Path, tmp_path: Path, mailbox) -> None:  # type: ignore[no-untyped-def]
    from airflow.dag_processing.dagbag import DagBag
    from airflow.utils import db as airflow_db
    from airflow.utils.state import DagRunState

    from pipeline.orchestration import DAGS_FOLDER

    airflow_db.resetdb()
    network = _copy(sample_dir, tmp_path)
    dag = DagBag(dag_folder=str(DAGS_FOLDER)).dags["anchor_report"]
    assert dag.timetable.can_be_scheduled  # runs daily, not only on demand
    # As a scheduled run would: no period, so the latest quarter whose returns are due on that day.
    conf = {"config": str(network.cfg.source_path), "as_of": "2026-11-23"}
    assert dag.test(run_conf=conf).state == DagRunState.SUCCESS
    [record] = issued(network)
    assert record["period"] == PERIOD and record["email_status"] == "sent"
    assert len(mailbox.to(RECIPIENT)) == 1
    assert network.bucket.exists(f"reports/{PERIOD}/{network.cfg.id}-report-{PERIOD}.pdf")


def test_cli_report_writes_the_forms_asked_for_and_send_issues_them(network: Network, mailbox) -> None:  # type: ignore[no-untyped-def]
    from typer.testing import CliRunner

    from pipeline.cli.app import app

    runner = CliRunner()
    config = ["--config", str(network.cfg.source_path)]
    stem = Path(network.cfg.outbox_dir) / f"{network.cfg.id}-report-{PERIOD}"

    result = runner.invoke(
        app, ["report", "--period", PERIOD, "--format", "html", "--format", "xlsx", *config]
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.strip().splitlines()[-1] == f"{stem}.html"
    assert Path(f"{stem}.xlsx").exists() and not Path(f"{stem}.pdf").exists()
    assert issued(network) == [] and mailbox.received == []  # rendering is not issuing

    wrong = runner.invoke(app, ["report", "--period", PERIOD, "--format", "docx", *config])
    assert wrong.exit_code == 2 and "choose from html, pdf, xlsx" in wrong.output

    sent = runner.invoke(app, ["report", "--period", PERIOD, "--send", *config])
    assert sent.exit_code == 0, sent.output
    assert Path(f"{stem}.pdf").read_bytes().startswith(b"%PDF")
    [record] = issued(network)
    assert record["report_id"] in sent.output and len(mailbox.to(RECIPIENT)) == 1

    again = runner.invoke(app, ["report", "--period", PERIOD, "--send", *config])
    assert again.exit_code == 0 and "unchanged" in again.output and len(issued(network)) == 1

    empty = runner.invoke(app, ["report", "--period", "2019-20-Q1", *config])
    assert empty.exit_code == 1 and "no accepted returns" in empty.output


def test_the_same_issue_is_emailed_once_after_a_crash_or_by_a_racing_run(
    network: Network, mailbox, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    """Backfills and reruns may issue a report twice at once, or again after a run died between the
    e-mail and the record: City Hall still gets one e-mail, and the record is made once, not failed."""
    from sqlalchemy import delete

    from pipeline.steps import report_issue
    from warehouse.emails import emails
    from warehouse.schema import issued_cells, issued_reports

    first = issue_report(network, PERIOD)
    assert (first["status"], first["email"]) == ("issued", "sent")
    assert len(mailbox.to(RECIPIENT)) == 1

    # A run that died after sending, before recording (the record and its disclosure ledger are one
    # transaction, so neither exists): the next run issues the same content again.
    with network.engine.begin() as conn:
        conn.execute(delete(issued_cells))
        conn.execute(delete(issued_reports))
    again = issue_report(network, PERIOD)
    assert (again["status"], again["report_id"], again["email"]) == ("issued", first["report_id"], "sent")
    assert len(mailbox.to(RECIPIENT)) == 1, "the ledger knew it was sent"
    [record] = issued(network, PERIOD)
    assert record["email_status"] == "sent"

    # A run racing it: it looked before the other recorded, so it builds the same issue; its record is
    # a no-op instead of a duplicate-key failure, and it sends nothing.
    monkeypatch.setattr(report_issue, "_last_issue", lambda network, period: None)
    racing = issue_report(network, PERIOD)
    assert (racing["status"], racing["report_id"]) == ("unchanged", first["report_id"])
    assert len(mailbox.to(RECIPIENT)) == 1 and len(issued(network, PERIOD)) == 1
    assert [e["status"] for e in emails(network.engine, kind="report")] == ["sent"]


def test_kpi_triggered_runs_issue_only_reports_never_issued(network: Network, mailbox) -> None:  # type: ignore[no-untyped-def]
    from datetime import date

    day = date(2026, 11, 23)  # 2026-27-Q2 is the latest due quarter (test above)
    [first] = issue_due_reports(network, day, first_issues_only=True)
    assert (first["period"], first["status"]) == (PERIOD, "issued")
    [second] = issue_due_reports(network, day, first_issues_only=True)
    assert second["period"] == PERIOD and second["status"].startswith("already issued")
    assert len(mailbox.to(RECIPIENT)) == 1 and len(issued(network, PERIOD)) == 1


@pytest.mark.airflow
def test_report_dag_reports_as_of_its_runs_logical_date(sample_dir: Path, tmp_path: Path, mailbox) -> None:  # type: ignore[no-untyped-def]
    """A backfilled or late run reports the period due on *its* day, not on the day it runs."""
    from datetime import UTC, date, datetime

    from airflow.dag_processing.dagbag import DagBag
    from airflow.utils import db as airflow_db
    from airflow.utils.state import DagRunState

    from pipeline.orchestration import DAGS_FOLDER

    airflow_db.resetdb()
    network = _copy(sample_dir, tmp_path)
    dag = DagBag(dag_folder=str(DAGS_FOLDER)).dags["anchor_report"]
    conf = {"config": str(network.cfg.source_path)}
    earlier_day = date(2026, 10, 20)
    earlier = latest_due_period(network, earlier_day)
    assert earlier is not None and earlier != PERIOD == latest_due_period(network, date(2026, 11, 23))
    for day in (earlier_day, date(2026, 11, 23)):
        moment = datetime(day.year, day.month, day.day, 6, tzinfo=UTC)
        assert dag.test(logical_date=moment, run_conf=conf).state == DagRunState.SUCCESS
    assert [r["period"] for r in issued(network)] == [earlier, PERIOD]
    assert len(mailbox.to(RECIPIENT)) == 2
