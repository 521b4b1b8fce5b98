"""The sample network's two programmes end to end: the SROI ratio and the recruitment shares are recomputed
here from the raw files and the config text with ``csv``, ``tomllib`` and arithmetic only (none of the
pipeline's readers or KPI code), then compared with what ingest and the KPI step stored."""

from __future__ import annotations

import csv
import io
import tomllib
from collections import Counter
from datetime import date, datetime
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import select

from pipeline.config import EXAMPLE_CONFIG
from pipeline.network import Network, open_network
from pipeline.steps.ingest import ingest
from pipeline.steps.kpis import compute_kpis
from pipeline.steps.programmes import programme_progress, recruitment_hidden
from samples.network import DEFAULT_PERIODS, SampleManifest, generate_sample
from tests.conftest import write_config
from warehouse.schema import kpi_value

LAST = DEFAULT_PERIODS[-1]  # 2026-27-Q2
RATE = 0.035


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> tuple[Network, SampleManifest, dict[str, bytes]]:
    directory = tmp_path_factory.mktemp("programmes")
    with pytest.MonkeyPatch.context() as mp:
        for key in ("ANCHOR_CONFIG", "ANCHOR_WAREHOUSE_URL", "ANCHOR_BUCKET_URL", "ANCHOR_LAKE_URL"):
            mp.delenv(key, raising=False)
        mp.setenv("ANCHOR_SETTLE_SECONDS", "0")
        network = open_network(write_config(directory, f"sqlite:///{directory}/w.db"))
        manifest = generate_sample(network.cfg, lines_per_file=5, staff_per_member=3)
        bucket = Path(network.cfg.bucket_url)
        raw = {str(p.relative_to(bucket)): p.read_bytes() for p in bucket.rglob("*") if p.is_file()}
        for entry in manifest.files:  # the programmes need only the measures and recruitment returns
            if entry.return_type in ("spend", "workforce"):
                network.bucket.remove(entry.path)
        outcomes = ingest(network)
        compute_kpis(network)
    assert {o["return_type"] for o in outcomes} == {"measures", "recruitment"}
    assert all(o["status"] == "accepted" for o in outcomes), [
        o for o in outcomes if o["status"] != "accepted"
    ]
    return network, manifest, raw


def _stored(network: Network, scope: str, scope_id: str, period: str) -> dict[str, float]:
    with network.engine.connect() as conn:
        rows = conn.execute(
            select(kpi_value.c.kpi, kpi_value.c.value).where(
                (kpi_value.c.scope == scope)
                & (kpi_value.c.scope_id == scope_id)
                & (kpi_value.c.period == period)
            )
        ).all()
    return dict(rows)


def _csv(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


def _financial_year(period: str) -> str:
    return period[:7]  # "2026-27-Q2" -> "2026-27"


# -- SROI -------------------------------------------------------------------------------------------
def _present_value(outcome: float, proxy: float, a: dict[str, float]) -> float:
    claimed = outcome * proxy * (1 - a["deadweight"]) * (1 - a["displacement"]) * (1 - a["attribution"])
    return sum(
        claimed * (1 - a["drop_off"]) ** (n - 1) / (1 + RATE) ** n
        for n in range(1, int(a["benefit_years"]) + 1)
    )


def _settings(measure: dict, end: str) -> dict[str, float]:
    return {
        name: measure["sroi"][name][end]
        for name in ("deadweight", "attribution", "displacement", "drop_off", "benefit_years")
    }


def test_the_sroi_ratio_recomputed_from_the_raw_returns_and_the_config(sample) -> None:  # type: ignore[no-untyped-def]
    network, _, raw = sample
    config = tomllib.loads(EXAMPLE_CONFIG.read_text(encoding="utf-8"))
    programme = next(p for p in config["programmes"] if p["code"] == "green-spaces")
    catalogue = {m["code"]: m for m in config["measures"]}
    assert config["sroi"]["discount_rate"] == RATE
    outcomes: Counter[tuple[str, str]] = Counter()
    invested: Counter[str] = Counter()
    for entry in programme["investment"]:
        invested[_financial_year(entry["period"])] += entry["amount_gbp"]
    for path, data in raw.items():
        if not path.startswith("incoming/") or "/measures_" not in path:
            continue
        period = path.rsplit("measures_", 1)[1].removesuffix(".csv")
        for row in _csv(data):
            if row.get("Programme Code") != "green-spaces":
                continue
            if row["Measure Code"] == "programme_investment_gbp":
                invested[_financial_year(period)] += float(row["Value"])
            else:
                outcomes[(_financial_year(period), row["Measure Code"])] += float(row["Value"])
    years = sorted({year for year, _ in outcomes})
    assert years == ["2025-26", "2026-27"]
    assert sum(invested.values()) == pytest.approx(200_000)  # "about GBP 200k", as the example

    def value(year: str, end: str, cautious: bool | None = None) -> float:
        total = 0.0
        for (y, code), outcome in outcomes.items():
            if y != year:
                continue
            measure = catalogue[code]
            if cautious is None:
                a = _settings(measure, end)
            else:  # every adjustment at the end that lowers (raises) the ratio, the duration the other way
                lower, upper = ("high", "low") if cautious else ("low", "high")
                a = {**_settings(measure, lower), "benefit_years": measure["sroi"]["benefit_years"][upper]}
            total += _present_value(outcome, measure["proxy_gbp_per_unit"], a)
        return total

    for year in years:
        stored = _stored(network, "programme", "green-spaces", year)
        assert stored["sroi_investment_gbp"] == pytest.approx(invested[year])
        assert stored["sroi_ratio"] == pytest.approx(value(year, "central") / invested[year], rel=1e-6)
    stored = _stored(network, "programme", "green-spaces", years[-1])
    central = sum(value(y, "central") for y in years) / sum(invested.values())
    assert stored["sroi_ratio_to_date"] == pytest.approx(central, rel=1e-6)
    assert stored["sroi_ratio_to_date_low"] == pytest.approx(
        sum(value(y, "", True) for y in years) / 200_000, rel=1e-6
    )
    assert stored["sroi_ratio_to_date_high"] == pytest.approx(
        sum(value(y, "", False) for y in years) / 200_000, rel=1e-6
    )
    assert stored["sroi_ratio_to_date_low"] < central < stored["sroi_ratio_to_date_high"]
    assert 1 < central < 10  # a plausible "GBP X of social value per GBP 1"


# -- recruitment ------------------------------------------------------------------------------------
NHS_GROUPS = {
    "Asian or Asian British": "asian",
    "Black or Black British": "black",
    "Mixed": "mixed",
    "White": "white",
    "Not stated": "not_stated",
}
HR_GROUPS = {
    "Asian or Asian British": "asian",
    "Black or Black British": "black",
    "Mixed or multiple ethnic groups": "mixed",
    "White": "white",
    "Other ethnic group": "other",
    "Prefer not to say": "not_stated",
}
BANDS = ((16, 17), (18, 24), (25, 34), (35, 44), (45, 54), (55, 64), (65, 150))


def _ethnic_group(text: str) -> str:
    if text in HR_GROUPS:
        return HR_GROUPS[text]
    family, _, detail = text.partition(" - ")
    if family == "Other Ethnic Groups":  # Chinese moved to the Asian group in the 2021 Census
        return "asian" if detail == "Chinese" else "other"
    return NHS_GROUPS[family]


def _age_band(text: str) -> str:
    if text in ("", "Not stated"):
        return "not_stated"
    if text.isdigit():
        age = int(text)
        low, high = next(b for b in BANDS if b[0] <= age <= b[1])
        return f"{low}_plus" if high == 150 else f"{low}_{high}"
    return text.replace("-", "_").replace("+", "_plus")


def _date(text: str) -> date | None:
    for layout in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(text, layout).date()
        except ValueError:
            pass
    return None


def _six_months_after(day: date) -> date:
    month = day.month + 6
    year, month = day.year + (month - 1) // 12, (month - 1) % 12 + 1
    while True:
        try:
            return date(year, month, day.day)
        except ValueError:
            day = day.replace(day=day.day - 1)


def test_the_recruitment_shares_recomputed_from_the_raw_returns(sample) -> None:  # type: ignore[no-untyped-def]
    network, manifest, raw = sample
    deciles = {
        r["district"]: int(r["decile"]) for r in _csv(raw[network.cfg.reference.deprivation_by_district])
    }
    bad = {(f.path, line) for f in manifest.files if f.return_type == "recruitment" for line, _ in f.bad_rows}
    assert len(bad) == 1  # the planted full postcode
    offers = []
    for entry in manifest.files:
        if entry.return_type != "recruitment":
            continue
        rows = list(csv.reader(io.StringIO(raw[entry.path].decode("utf-8"))))
        for line, cells in enumerate(rows[1:], start=2):
            if (entry.path, line) in bad:
                continue
            offer, start, programme, unemployed, age, ethnic, disability, home, retained = cells
            decile = int(home) if home.isdigit() else deciles.get(home)
            offers.append(
                {
                    "member": entry.member_id,
                    "offer": _date(offer),
                    "start": _date(start),
                    "programme": programme,
                    "unemployed": unemployed in ("Yes", "Y"),
                    "age": _age_band(age),
                    "ethnic": _ethnic_group(ethnic),
                    "disabled": disability in ("Yes", "Disabled"),
                    "most_deprived": decile is not None and decile <= 2,
                    "retained": {"Yes": True, "Y": True, "No": False, "N": False}.get(retained),
                }
            )
    end = date(2026, 9, 30)
    mine = [o for o in offers if o["programme"] == "inclusive-recruitment" and o["offer"] <= end]
    n = len(mine)
    assert 250 <= n <= 350  # "a few hundred offers over the year" from the trust and the council

    def share(test) -> float:  # type: ignore[no-untyped-def]
        return 100 * sum(1 for o in mine if test(o)) / n

    reached = [
        o for o in mine if _six_months_after(o["start"] or o["offer"]) <= end and o["retained"] is not None
    ]
    expected = {
        "recruit_offers_to_date": n,
        "recruit_starts_to_date": sum(1 for o in mine if o["start"] is not None and o["start"] <= end),
        "recruit_offers_pct_to_date:unemployed:yes": share(lambda o: o["unemployed"]),
        "recruit_offers_pct_to_date:ethnicity:ethnic_minority": share(
            lambda o: o["ethnic"] in ("asian", "black", "mixed", "other")
        ),
        "recruit_offers_pct_to_date:ethnicity:white": share(lambda o: o["ethnic"] == "white"),
        "recruit_offers_pct_to_date:ethnicity:not_stated": share(lambda o: o["ethnic"] == "not_stated"),
        "recruit_offers_pct_to_date:age:18_24": share(lambda o: o["age"] == "18_24"),
        "recruit_offers_pct_to_date:age:55_plus": share(lambda o: o["age"] in ("55_64", "65_plus")),
        "recruit_offers_pct_to_date:disability:yes": share(lambda o: o["disabled"]),
        "recruit_offers_pct_to_date:deprivation:deciles_1_2": share(lambda o: o["most_deprived"]),
        "recruit_retention_known_to_date": len(reached),
        "recruit_retained_6m_pct_to_date": 100 * sum(o["retained"] for o in reached) / len(reached),
    }
    stored = _stored(network, "programme", "inclusive-recruitment", LAST)
    for kpi, value in expected.items():
        assert stored[kpi] == pytest.approx(value, abs=1e-3), kpi
    # Offers per member and quarter, as the members' files count them.
    per_quarter = {
        (e.member_id, e.period): e.data_rows - len(e.bad_rows)
        for e in manifest.files
        if e.return_type == "recruitment"
    }
    assert len(per_quarter) == 8  # the trust and the council, four quarters each
    for (member, period), count in per_quarter.items():
        assert _stored(network, "member", member, period)["recruit_offers"] == count


def test_the_sample_programmes_headline_figures_are_publishable(sample) -> None:  # type: ignore[no-untyped-def]
    """Enough people behind each headline that none is hidden by the disclosure rules, and progress shows."""
    network, _, _ = sample
    with network.engine.connect() as conn:
        kpis = pd.DataFrame(conn.execute(select(kpi_value)).mappings().all())
    hidden = recruitment_hidden(network, kpis)
    shown = kpis[~hidden.to_numpy()]
    headline = shown[
        (shown["scope"] == "programme")
        & (shown["scope_id"] == "inclusive-recruitment")
        & (shown["period"] == LAST)
    ]
    for kpi in (
        "recruit_offers_to_date",
        "recruit_offers_pct_to_date:ethnicity:ethnic_minority",
        "recruit_offers_pct_to_date:age:18_24",
        "recruit_offers_pct_to_date:age:55_plus",
        "recruit_offers_pct_to_date:disability:yes",
        "recruit_offers_pct_to_date:deprivation:deciles_1_2",
        "recruit_retained_6m_pct_to_date",
    ):
        assert kpi in set(headline["kpi"]), kpi
    progress = programme_progress(network, kpis, LAST)
    offers = progress["inclusive-recruitment"].set_index("kpi").loc["recruit_offers"]
    assert (
        offers["target"] == 300
        and offers["actual"] == headline.set_index("kpi").at["recruit_offers_to_date", "value"]
    )
    assert offers["status"] in ("on track", "at risk", "off track")
    assert progress["green-spaces"].set_index("kpi").at["sroi_ratio", "target"] == 3.0
