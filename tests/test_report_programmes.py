"""The report's programmes and recruitment sections on the sample network, read back from the page and the
workbook and compared with figures worked out again from the raw files and the config text
(``tests/programme_returns.py``: ``csv``, ``tomllib`` and arithmetic, none of the pipeline's code)."""

from __future__ import annotations

import io
import itertools
import re
import tomllib
from collections import Counter
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from pipeline.config import EXAMPLE_CONFIG
from pipeline.network import Network
from pipeline.steps.ingest import ingest
from pipeline.steps.kpis import compute_kpis
from pipeline.steps.report import build_period_report
from reports.model import PeriodReport
from reports.render import render_period_report_html
from reports.workbook import period_report_workbook
from samples.network import DEFAULT_PERIODS, SampleManifest, generate_sample
from tests.conftest import standalone_network
from tests.programme_returns import (
    in_group,
    offers,
    reached_six_months,
    read_csv,
    social_value,
    sroi_inputs,
)
from tests.report_html import Element, parse, squeeze

LAST = DEFAULT_PERIODS[-1]  # 2026-27-Q2
END = date(2026, 9, 30)
THRESHOLD = "[c]"  # the marker of every hidden figure
GROUPS = {
    "ethnicity": ("asian", "black", "mixed", "white", "other", "not_stated", "ethnic_minority"),
    "age": (
        "16_17",
        "18_24",
        "25_34",
        "35_44",
        "45_54",
        "55_64",
        "65_plus",
        "not_stated",
        "under_25",
        "55_plus",
    ),
    "disability": ("yes", "no", "not_stated"),
    "unemployed": ("yes", "no", "not_stated"),
    "deprivation": ("deciles_1_2", "deciles_3_10", "unknown"),
}


@dataclass
class Sample:
    network: Network
    manifest: SampleManifest
    raw: dict[str, bytes]
    config: dict[str, Any]
    report: PeriodReport
    html: str
    page: Element
    book: Any


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Sample:
    from openpyxl import load_workbook

    directory = tmp_path_factory.mktemp("report-programmes")
    with standalone_network(directory) as (network, _):
        manifest = generate_sample(network.cfg, lines_per_file=5, staff_per_member=3)
        bucket = Path(network.cfg.bucket_url)
        raw = {str(p.relative_to(bucket)): p.read_bytes() for p in bucket.rglob("*") if p.is_file()}
        for entry in manifest.files:  # the programmes need only the measures and recruitment returns
            if entry.return_type in ("spend", "workforce"):
                network.bucket.remove(entry.path)
        ingest(network)
        compute_kpis(network)
        report = build_period_report(network, LAST)
    html = render_period_report_html(report)
    return Sample(
        network,
        manifest,
        raw,
        tomllib.loads(EXAMPLE_CONFIG.read_text(encoding="utf-8")),
        report,
        html,
        parse(html),
        load_workbook(io.BytesIO(period_report_workbook(report))),
    )


def _value(element: Element, name: str = "data-value") -> float | None:
    text = element[name]
    return float(text) if text else None


def _section(sample: Sample, name: str) -> Element:
    return sample.page.find("section", data_section=name)


def _rows(sample: Sample, sheet: str) -> list[tuple[Any, ...]]:
    return list(sample.book[sheet].iter_rows(min_row=2, values_only=True))


# -- programmes and SROI ----------------------------------------------------------------------------
def test_the_sroi_table_recomputed_from_the_raw_returns(sample: Sample) -> None:
    inputs = sroi_inputs(sample.raw, sample.config, "green-spaces")
    years = sorted({year for year, _ in inputs.outcomes} | set(inputs.invested))
    programme = _section(sample, "programmes").find(data_programme="green-spaces")
    table = programme.find("table", class_="sroi")
    sheet = [r for r in _rows(sample, "Programmes") if r[0] == "green-spaces"]
    expected = [(y, "year", [y]) for y in years] + [(years[-1], "to_date", years)]
    assert [
        (r["data-sroi-period"], r["data-sroi-basis"]) for r in table.find_all("tr", data_sroi_basis=True)
    ] == [(period, basis) for period, basis, _ in expected]
    assert len(sheet) == len(expected)
    for (period, basis, covered), row in zip(expected, sheet, strict=True):
        shown = table.find("tr", data_sroi_basis=basis, data_sroi_period=period)
        cells = {td["data-col"]: td for td in shown.find_all("td", data_col=True)}
        invested = sum(inputs.invested[y] for y in covered)
        central = social_value(inputs, sample.config, covered, "central")
        low = social_value(inputs, sample.config, covered, "cautious") / invested
        high = social_value(inputs, sample.config, covered, "generous") / invested
        suffix = "_to_date" if basis == "to_date" else ""
        assert _value(cells[f"sroi_investment_gbp{suffix}"]) == pytest.approx(invested)
        assert _value(cells[f"sroi_social_value_gbp{suffix}"]) == pytest.approx(central, rel=1e-6)
        assert _value(cells["ratio"]) == pytest.approx(central / invested, rel=1e-5)
        assert (_value(cells["range"], "data-low"), _value(cells["range"], "data-high")) == (
            pytest.approx(low, rel=1e-5),
            pytest.approx(high, rel=1e-5),
        )
        # the range is always printed beside the ratio, in words
        assert f"£{low:.2f} to £{high:.2f}" == squeeze(cells["range"].text)
        assert row[7:12] == (
            period,
            pytest.approx(invested),
            pytest.approx(central, rel=1e-6),
            row[10],
            pytest.approx(central / invested, rel=1e-5),
        )
        assert row[12:] == (pytest.approx(low, rel=1e-5), pytest.approx(high, rel=1e-5))
    headline = programme.find("p", class_="sroi-headline")
    ratio = social_value(inputs, sample.config, years, "central") / sum(inputs.invested.values())
    assert _value(headline) == pytest.approx(ratio, rel=1e-5)
    assert squeeze(headline.text).startswith(f"£{ratio:.2f} of social value for every £1 invested")


def test_the_sensitivity_table_moves_one_assumption_at_a_time(sample: Sample) -> None:
    inputs = sroi_inputs(sample.raw, sample.config, "green-spaces")
    years = sorted({year for year, _ in inputs.outcomes})
    invested = sum(inputs.invested.values())
    programme = _section(sample, "programmes").find(data_programme="green-spaces")
    cells = {td["data-scenario"]: td for td in programme.find("table", class_="scenarios").find_all("td")}
    scenarios = [f"{a}_{end}" for a in ("deadweight", "attribution", "displacement", "drop_off", "benefit_years")
                 for end in ("low", "high")] + ["all_low", "all_high"]  # fmt: skip
    assert sorted(cells) == sorted(scenarios)
    sheet = {r[2]: r[4] for r in _rows(sample, "SROI sensitivity") if r[0] == "green-spaces"}
    for scenario in [*scenarios, "cautious", "generous"]:
        expected = social_value(inputs, sample.config, years, scenario) / invested
        if scenario in cells:
            assert _value(cells[scenario]) == pytest.approx(expected, rel=1e-5), scenario
        assert sheet[f"sroi_ratio_to_date:{scenario}"] == pytest.approx(expected, rel=1e-5), scenario
    # the chart draws each adjustment's two ends, and all of them at once is the printed range
    chart = programme.find("svg", data_chart="sroi-sensitivity-green-spaces")
    rows = {g["data-scenario"]: g for g in chart.find_all("g", data_scenario=True)}
    ends = sorted([_value(cells["deadweight_low"]), _value(cells["deadweight_high"])])
    assert [_value(rows["deadweight"], "data-low"), _value(rows["deadweight"], "data-high")] == ends
    assert _value(rows["range"], "data-low") == pytest.approx(
        social_value(inputs, sample.config, years, "cautious") / invested, rel=1e-5
    )
    assert chart.find("desc").text and chart["role"] == "img"


def test_the_assumptions_are_printed_with_their_sources(sample: Sample) -> None:
    programme = next(p for p in sample.config["programmes"] if p["code"] == "green-spaces")
    catalogue = {m["code"]: m for m in sample.config["measures"]}
    table = _section(sample, "programmes").find("table", class_="assumptions")
    shown = {b["data-assumption-measure"]: b for b in table.find_all("tbody", data_assumption_measure=True)}
    assert set(shown) == set(programme["measures"])
    sheet = {(r[0], r[3]): r for r in _rows(sample, "SROI assumptions")}
    for code in programme["measures"]:
        measure = catalogue[code]
        body = shown[code]
        assert _value(body.find("span", data_proxy=True), "data-proxy") == measure["proxy_gbp_per_unit"]
        assert measure["proxy_source"] in body.text
        for name, setting in measure["sroi"].items():
            row = body.find("tr", data_assumption=name)
            values = [_value(row.find("td", data_col=end)) for end in ("low", "central", "high")]
            assert values == [setting["low"], setting["central"], setting["high"]]
            assert row.find("td", class_="source").text == setting["source"]
            assert sheet[(code, name)][4:] == (
                setting["low"],
                setting["central"],
                setting["high"],
                setting["source"],
            )
    rate = _section(sample, "programmes").find("span", data_discount_rate=True)
    assert _value(rate, "data-discount-rate") == sample.config["sroi"]["discount_rate"]


def test_progress_against_the_programmes_targets(sample: Sample) -> None:
    deciles = {
        r["district"]: int(r["decile"]) for r in read_csv(sample.raw["reference/deprivation_by_district.csv"])
    }
    mine = [
        o
        for o in offers(sample.raw, sample.manifest.files, deciles)
        if o["programme"] == "inclusive-recruitment" and o["offer"] <= END
    ]
    inputs = sroi_inputs(sample.raw, sample.config, "green-spaces")
    years = sorted({year for year, _ in inputs.outcomes})
    actual = {
        ("inclusive-recruitment", "recruit_offers"): len(mine),
        ("inclusive-recruitment", "recruit_offers:unemployed:yes"): sum(
            o["unemployed"] == "yes" for o in mine
        ),
        ("green-spaces", "sroi_ratio"): social_value(inputs, sample.config, years, "central")
        / sum(inputs.invested.values()),
    }
    section = _section(sample, "programmes")
    for programme in sample.config["programmes"]:
        rows = {
            r["data-programme-target"]: r
            for r in section.find(data_programme=programme["code"]).find_all("tr", data_programme_target=True)
        }
        assert set(rows) == set(programme["targets"])
        for kpi, target in programme["targets"].items():
            cells = {td["data-col"]: td for td in rows[kpi].find_all("td", data_col=True)}
            assert _value(cells["target"]) == target
            if (programme["code"], kpi) in actual:
                assert _value(cells["actual"]) == pytest.approx(actual[(programme["code"], kpi)], rel=1e-5)
            assert rows[kpi]["data-status"] in ("on track", "at risk", "off track")
    sheet = {(r[0], r[1]): r for r in _rows(sample, "Programme targets")}
    assert sheet[("inclusive-recruitment", "recruit_offers_to_date")][4:7] == (
        300,
        sheet[("inclusive-recruitment", "recruit_offers_to_date")][5],
        len(mine),
    )


# -- recruitment ------------------------------------------------------------------------------------
def _programme_offers(sample: Sample) -> list[dict[str, Any]]:
    deciles = {
        r["district"]: int(r["decile"]) for r in read_csv(sample.raw["reference/deprivation_by_district.csv"])
    }
    return [
        o
        for o in offers(sample.raw, sample.manifest.files, deciles)
        if o["programme"] == "inclusive-recruitment" and o["offer"] <= END
    ]


def _population(sample: Sample) -> dict[tuple[str, str], float]:
    shares = {
        (r["dimension"], r["group"]): float(r["share_pct"])
        for r in read_csv(sample.raw["reference/population.csv"])
    }
    parts = {("ethnicity", "ethnic_minority"): ("asian", "black", "mixed", "other"), ("age", "under_25"): ("16_17", "18_24"), ("age", "55_plus"): ("55_64", "65_plus")}  # fmt: skip
    for (dimension, group), names in parts.items():
        if all((dimension, n) in shares for n in names):
            shares[(dimension, group)] = sum(shares[(dimension, n)] for n in names)
    return shares


def test_the_recruitment_block_recomputed_from_the_raw_returns(sample: Sample) -> None:
    mine = _programme_offers(sample)
    n = len(mine)
    reached = reached_six_months(mine, END)
    block = _section(sample, "recruitment").find(data_recruitment_id="inclusive-recruitment")
    cards = {li["data-programme-kpi"]: li for li in block.find_all("li", data_programme_kpi=True)}
    expected = {
        "recruit_offers_to_date": n,
        "recruit_offers_to_date:unemployed:yes": sum(o["unemployed"] == "yes" for o in mine),
        "recruit_starts_to_date": sum(1 for o in mine if o["start"] is not None and o["start"] <= END),
        "recruit_retained_6m_pct_to_date": 100 * sum(o["retained"] for o in reached) / len(reached),
    }
    assert set(cards) == set(expected)
    for code, value in expected.items():
        assert _value(cards[code]) == pytest.approx(value, abs=1e-3), code
    assert _value(cards["recruit_offers_to_date"], "data-target") == 300
    assert (
        f"of the {len(reached)} people who reached six months"
        in cards["recruit_retained_6m_pct_to_date"].text
    )
    summary = squeeze(block.find("p", class_="recruitment-summary").text)
    assert summary.startswith(
        f"{n} job offers since the programme began (target 300), {expected['recruit_offers_to_date:unemployed:yes']} "
        "of them to previously unemployed residents (target 250)."
    )
    assert f"of the {len(reached)} people who reached six months were still in post." in summary

    population = _population(sample)
    table = block.find("table", class_="recruitment-groups")
    chart = {
        g["data-group"]: g
        for g in block.find("svg", data_chart="recruitment-shares-inclusive-recruitment").find_all(
            "g", data_group=True
        )
    }
    rows = {r["data-group"]: r for r in table.find_all("tr", data_group=True)}
    assert set(rows) == {f"{d}:{g}" for d, groups in GROUPS.items() for g in groups}
    hidden = 0
    for dimension, groups in GROUPS.items():
        for group in groups:
            count = sum(1 for o in mine if in_group(o, dimension, group))
            cells = {td["data-col"]: td for td in rows[f"{dimension}:{group}"].find_all("td", data_col=True)}
            if 0 < count < 5:  # the primary rule, checked against the raw files
                assert cells["offers"].text == THRESHOLD, (dimension, group, count)
            if cells["offers"].get("data-suppressed"):
                assert cells["offers"]["data-value"] == "" and cells["share_pct"].text == THRESHOLD
                hidden += 1
                continue
            assert _value(cells["offers"]) == count, (dimension, group)
            assert _value(cells["share_pct"]) == pytest.approx(100 * count / n, abs=1e-3), (dimension, group)
            reference = population.get((dimension, group))
            assert _value(cells["population_pct"]) == reference
            if reference is not None:
                bar = chart[f"{dimension}:{group}"]
                assert (
                    _value(bar) == _value(cells["share_pct"]) and _value(bar, "data-reference") == reference
                )
    assert hidden >= 2  # the sample's few older people: hidden, with a second figure beside them
    for dimension in GROUPS:  # no breakdown hides exactly one figure: the total would give it back
        body = table.find("tbody", data_dimension=dimension)
        assert len(body.find_all("td", data_col="offers", data_suppressed="true")) != 1, dimension


def test_hidden_recruitment_figures_leave_no_trace(sample: Sample) -> None:
    mine = _programme_offers(sample)
    block_model = next(b for b in sample.report.recruitment if b.scope_id == "inclusive-recruitment")
    hidden = [g for g in block_model.groups if g.offers_hidden or g.share_hidden]
    assert hidden and all(g.offers is None and g.share_pct is None for g in hidden)  # not even in the model
    shown_shares = [
        g.share_pct for b in sample.report.recruitment for g in b.groups if g.share_pct is not None
    ]
    section = _section(sample, "recruitment")
    readable = section.readable()
    summary = section.find("p", class_="recruitment-summary").text
    chart = section.find("svg", data_chart="recruitment-shares-inclusive-recruitment")
    workbook = [r for r in _rows(sample, "Recruitment") if r[1] == "inclusive-recruitment"]
    for g in hidden:
        key = f"{g.dimension}:{g.group}"
        count = sum(1 for o in mine if in_group(o, g.dimension, g.group))
        share = 100 * count / len(mine)
        # A hidden complement can be as large as a shown group (91 White, 91 disabled): its number is
        # then on the page as the other group's, which says nothing about this one.
        twin = any(abs(s - share) < 1e-3 for s in shown_shares)  # shares are stored to 4 places
        for text in (f"{share:.4f}".rstrip("0"), repr(round(share, 6))):  # its exact forms: nowhere
            # as a number of its own: 6.4407 (19 of 295) is inside 66.4407 (196 of 295), a shown share
            assert twin or not re.search(rf"(?<![\d.]){re.escape(text)}(?!\d)", readable), (key, text)
        # nor in the opening sentences (66.4% there is the ethnic minority groups', not 6.4%)
        assert twin or not re.search(r"(?<![\d.])" + re.escape(f"{share:.1f}%"), summary), key
        row = section.find("tr", data_group=key)
        for col in ("offers", "share_pct", "difference_points"):  # the tooltip's 5 at most, never the figure
            assert row.find("td", data_col=col).numbers() <= {5.0}, (key, col)
        bars = chart.find_all("g", data_group=key)
        for bar in bars:
            assert (
                bar.find_all("rect") == []
                and bar["data-value"] == ""
                and bar.get("data-suppressed") == "true"
            )
        cells = [r[8] for r in workbook if r[4].endswith(f":{key}")]
        assert cells == [THRESHOLD, THRESHOLD], key
    assert THRESHOLD in chart.find("desc").text and "<5" not in chart.find("desc").text


def test_offers_and_starts_per_quarter_and_member(sample: Sample) -> None:
    deciles = {
        r["district"]: int(r["decile"]) for r in read_csv(sample.raw["reference/deprivation_by_district.csv"])
    }
    found = offers(sample.raw, sample.manifest.files, deciles)

    def quarter(day: date) -> str:
        first = day.year - (day.month < 4)
        return f"{first}-{(first + 1) % 100:02d}-Q{(day.month - 4) % 12 // 3 + 1}"

    counted = {
        "recruit_offers": Counter((o["member"], quarter(o["offer"])) for o in found),
        "recruit_starts": Counter((o["member"], quarter(o["start"])) for o in found if o["start"]),
    }
    section = _section(sample, "recruitment")
    sheet = {(r[0], r[1] or "network"): r for r in _rows(sample, "Recruitment by quarter")}
    members = {e.member_id for e in sample.manifest.files if e.return_type == "recruitment"}
    for code, column in (("recruit_offers", 3), ("recruit_starts", 4)):
        table = section.find("table", data_kpi=code)
        periods = [r["data-period"] for r in table.find_all("tr", data_period=True)]
        assert periods[-1] == LAST and len(periods) >= 4
        for row in table.find_all("tr", data_period=True):
            cells = {td["data-col"]: td for td in row.find_all("td", data_col=True)}
            assert set(cells) == {*members, "network"}
            period = row["data-period"]
            for member in members:
                assert _value(cells[member]) == counted[code][(member, period)], (code, member, period)
                assert sheet[(period, member)][column] == counted[code][(member, period)]
            assert _value(cells["network"]) == sum(counted[code][(m, period)] for m in members)
        svg = section.find("svg", data_chart=f"recruitment-quarters-{code}")
        drawn = {
            (g["data-period"], c["data-series"]): _value(c)
            for g in svg.find_all("g", data_period=True)
            for c in g.find_all("g", data_series=True)
        }
        assert drawn == {(p, m): counted[code][(m, p)] for p in periods for m in members}


# -- the page as a whole ----------------------------------------------------------------------------
def test_headings_run_in_order_and_every_table_and_chart_is_labelled(sample: Sample) -> None:
    levels = [int(e.tag[1]) for e in sample.page.iter() if e.tag in ("h1", "h2", "h3", "h4", "h5", "h6")]
    assert levels[0] == 1 and all(b <= a + 1 for a, b in itertools.pairwise(levels)), levels
    for name in ("programmes", "recruitment"):
        section = _section(sample, name)
        for table in section.find_all("table"):
            assert table.find("caption").text.strip()
            assert all("scope" in th for th in table.find_all("th"))
        for svg in section.find_all("svg", role="img"):
            assert svg.find("title", id=svg["aria-labelledby"]).text
            assert svg.find("desc", id=svg["aria-describedby"]).text
            assert svg.find_all("title")  # and its data is in a table of the section
    terms = {dt.text for dt in sample.page.find("dl", class_="definitions").find_all("dt")}
    assert {
        "Social return on investment (SROI)",
        "Sensitivity range",
        "Job offer",
        "Area population",
    } <= terms


def test_the_pdf_prints_both_sections(sample: Sample) -> None:
    from pypdf import PdfReader

    from pipeline.adapters.pdf import html_to_pdf

    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(html_to_pdf(sample.html))).pages)
    text = squeeze(text)
    for words in (
        "Programmes and social return on investment",
        "Inclusive recruitment",
        "Assumptions behind the ratios",
    ):
        assert words in text, words
