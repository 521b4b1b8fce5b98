"""Programmes and SROI settings in the network config: the example loads, and each mistake names its key."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from pipeline.config import EXAMPLES_DIR, ConfigError, load_config
from pipeline.programmes import measure_assumptions, programme_suite_parameters

LONDON = EXAMPLES_DIR / "london.toml"


def _broken(tmp_path: Path, old: str, new: str) -> str:
    text = LONDON.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in london.toml: the test needs updating"
    path = tmp_path / "network.toml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(ConfigError) as excinfo:
        load_config(path)
    return str(excinfo.value)


def test_the_example_programmes_load_with_their_assumptions() -> None:
    cfg = load_config(LONDON)
    green = cfg.programme("green-spaces")
    recruitment = cfg.programme("inclusive-recruitment")
    assert green is not None and recruitment is not None and cfg.programme("nope") is None
    assert green.lead_member == "greenway-homes" and green.members == [
        "greenway-homes",
        "kingsbridge-council",
    ]
    assert (green.start, green.end) == (date(2025, 10, 1), date(2026, 9, 30))
    assert [i.amount_gbp for i in green.investment] == [25000]
    assert recruitment.recruitment and not green.recruitment
    assert cfg.sroi.discount_rate == 0.035 and "Green Book" in cfg.sroi.discount_rate_source
    assumptions = measure_assumptions(cfg)
    assert set(green.measures) <= set(assumptions)
    trees = assumptions["trees_planted"]
    assert (trees.low.deadweight, trees.central.deadweight, trees.high.deadweight) == (0.05, 0.10, 0.20)
    assert trees.central.benefit_years == 10 and trees.proxy_gbp == 45.0
    # Proxies of the example network stay labelled as examples, never presented as licensed values.
    assert all(a.proxy_source.startswith("EXAMPLE ONLY") for a in assumptions.values())
    assert all(
        source.startswith("EXAMPLE ONLY") for a in assumptions.values() for source in a.sources.values()
    )


def test_suite_parameters_name_each_programmes_measures_and_the_investment() -> None:
    cfg = load_config(LONDON)
    measures = programme_suite_parameters(cfg, "measures")
    assert measures["programme_codes"] == ["green-spaces", "inclusive-recruitment"]
    assert ("green-spaces", "trees_planted") in measures["programme_measures"]
    assert ("green-spaces", "programme_investment_gbp") in measures["programme_measures"]
    assert ("inclusive-recruitment", "trees_planted") not in measures["programme_measures"]
    assert programme_suite_parameters(cfg, "recruitment") == {
        "recruitment_programmes": ["inclusive-recruitment"]
    }


@pytest.mark.parametrize(
    ("old", "new", "key", "reason"),
    [
        pytest.param(
            'lead_member = "greenway-homes"',
            'lead_member = "greenway"',
            "programmes.0.lead_member",
            "'greenway' is not a member of the network",
            id="lead-member",
        ),
        pytest.param(
            'partners = ["kingsbridge-council"]\nstart = 2025-10-01\nend = 2026-09-30',
            'partners = ["kingsbridge"]\nstart = 2025-10-01\nend = 2026-09-30',
            "programmes.0.partners",
            "'kingsbridge' is not a member",
            id="partner",
        ),
        pytest.param(
            "end = 2026-09-30",
            "end = 2025-09-30",
            "programmes.0.end",
            "ends (30/09/2025) before it starts (01/10/2025)",
            id="dates-ordered",
        ),
        pytest.param(
            'measures = ["trees_planted",',
            'measures = ["tree_planted",',
            "programmes.0.measures",
            "'tree_planted' is not in the measure catalogue",
            id="unknown-measure",
        ),
        pytest.param(
            'measures = ["trees_planted",',
            'measures = ["co2e_saved_t", "trees_planted",',
            "measures.5.sroi",
            "measure 'co2e_saved_t' has a proxy value and belongs to programme 'green-spaces', so it needs its SROI",
            id="proxy-without-assumptions",
        ),
        pytest.param(
            'measures = ["trees_planted",',
            'measures = ["programme_investment_gbp", "trees_planted",',
            "programmes.0.measures",
            "is the investment, not an outcome",
            id="investment-as-outcome",
        ),
        pytest.param(
            "deadweight = { low = 0.05, central = 0.10",
            "deadweight = { low = 0.15, central = 0.10",
            "measures.13.sroi.deadweight",
            "give low <= central <= high",
            id="setting-order",
        ),
        pytest.param(
            "drop_off = { low = 0.02,",
            "drop_off = { low = 1.5,",
            "measures.13.sroi.drop_off.low",
            "less than or equal to 1",
            id="setting-range",
        ),
        pytest.param(
            "targets = { sroi_ratio = 3.0 }",
            "targets = { sroi_ration = 3.0 }",
            "programmes.0.targets",
            "'sroi_ration' is not a programme KPI",
            id="unknown-target",
        ),
        pytest.param(
            "targets = { sroi_ratio = 3.0 }",
            "targets = { recruit_offers = 30 }",
            "programmes.0.targets",
            "is a recruitment target but the programme has recruitment = false",
            id="recruitment-target",
        ),
        pytest.param(
            'period = "2025-26-Q3"\namount_gbp = 25000',
            'period = "2024-25"\namount_gbp = 25000',
            "programmes.0.investment.0.period",
            "2024-25 is outside the programme (01/10/2025 to 30/09/2026)",
            id="investment-period",
        ),
        pytest.param(
            'member = "kingsbridge-council"\n',
            'member = "kingsbridge"\n',
            "programmes.0.investment.0.member",
            "'kingsbridge' is not a member",
            id="investment-member",
        ),
        pytest.param(
            'code = "inclusive-recruitment"',
            'code = "green-spaces"',
            "programmes.1.code",
            "programme code 'green-spaces' appears twice",
            id="duplicate-code",
        ),
        pytest.param(
            'code = "inclusive-recruitment"',
            'code = "inclusive-recruitment-programme-for-residents"',
            "programmes.1.code",
            "should match pattern",
            id="code-too-long",
        ),
        pytest.param(
            "discount_rate = 0.035",
            "discount_rate = 3.5",
            "sroi.discount_rate",
            "less than or equal to 0.2",
            id="discount-rate",
        ),
        pytest.param(
            "keep_raw_days = 90",
            "keep_raw_days = 0",
            "returns.recruitment.keep_raw_days",
            "greater than or equal to 1",
            id="retention",
        ),
    ],
)
def test_mistakes_name_the_key_and_the_reason(
    tmp_path: Path, old: str, new: str, key: str, reason: str
) -> None:
    message = _broken(tmp_path, old, new)
    assert f"  - {key}: " in message, message
    assert reason in message, message


def test_deprivation_districts_are_read_whatever_their_spacing_and_case(make_network) -> None:  # type: ignore[no-untyped-def]
    """A district written ' se 1 ', 'SE\\u00a01' (a non-breaking space from a spreadsheet) or 'e14' is the
    district the offers' postcodes are reduced to."""
    from pipeline.steps.programmes import deprivation_lookup

    network = make_network()
    table = "district,decile,source\n se 1 ,2,IMD 2019\nSW\u00a01A,9,IMD 2019\ne14,1,IMD 2019\n"
    network.bucket.write(network.cfg.reference.deprivation_by_district, table.encode("utf-8"))
    assert deprivation_lookup(network) == {"SE1": 2, "SW1A": 9, "E14": 1}
