"""The sample network's latest period report with every section (spend, scope and coverage, workforce,
measures, social value, targets, programmes, inclusive recruitment), built through the pipeline's own steps
from the generated returns, for the tests that print and audit the whole report.

It is built small (a few lines per file and staff per member: small numbers hidden in places), and once per
test run (``full_report_html``: the pytest-xdist workers share it, ``tests/built_once.py``), since it takes
a minute or two; the page furniture under test is the same at the demo's size.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from reports.model import PeriodReport
from tests.built_once import built_once


def build_full_report(directory: Path) -> tuple[PeriodReport, str]:
    """The report for the sample's last period, and its HTML page."""
    from pipeline.steps.ingest import ingest
    from pipeline.steps.kpis import compute_kpis
    from pipeline.steps.report import build_period_report
    from reports.render import render_period_report_html
    from samples.network import DEFAULT_PERIODS, generate_sample
    from tests.conftest import standalone_network

    with standalone_network(directory) as (network, _):
        generate_sample(network.cfg, lines_per_file=10, staff_per_member=8)
        ingest(network)
        compute_kpis(network)
        report = build_period_report(network, DEFAULT_PERIODS[-1])
    return report, render_period_report_html(report)


def full_report_html(factory: pytest.TempPathFactory) -> str:
    """The full report's HTML, built once per test run and shared by the modules and workers that ask."""

    def build(folder: Path) -> None:
        _, html = build_full_report(folder)
        (folder / "full-report.html").write_text(html, encoding="utf-8")

    return (built_once(factory, "full-report", build) / "full-report.html").read_text(encoding="utf-8")
