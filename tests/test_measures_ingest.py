"""Measures returns through ingest and KPIs: catalogue rules, sums, social value, resubmission."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.steps.ingest import ingest
from pipeline.steps.kpis import compute_kpis, read_kpis

FIRST = (
    "Measure Code,Value,Unit\nmentees_matched,10,people\nco2e_saved_t,40,tCO2e\nmentors_trained,8,people\n"
)
CORRECTED = (
    "Measure Code,Value,Unit\nmentees_matched,12,people\nco2e_saved_t,40,tCO2e\nmentors_trained,8,people\n"
)


def _kpi(network, kpi: str, scope_id: str, period: str = "2026-27-Q1") -> float:  # type: ignore[no-untyped-def]
    values = read_kpis(network, period).set_index(["kpi", "scope_id"])["value"]
    return float(values[(kpi, scope_id)])


def test_sums_social_value_and_a_resubmission_replacing_the_values(make_network, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    network = make_network(f"sqlite:///{tmp_path}/w.db")
    network.bucket.write("incoming/kingsbridge-council/measures_2026-27-Q1.csv", FIRST.encode())
    network.bucket.write(
        "incoming/fleetside-council/measures_2026-27-Q1.csv", b"Measure,Value\nmentees_matched,5\n"
    )  # unit left blank: the catalogue's is used
    assert {o["status"] for o in ingest(network)} == {"accepted"}
    compute_kpis(network)
    assert _kpi(network, "measure:mentees_matched", "london") == 15
    # Example proxies from config/london.toml: 1200 per mentee matched, 250 per tonne of CO2e.
    assert _kpi(network, "social_value_gbp", "london") == pytest.approx(15 * 1200 + 40 * 250)
    assert _kpi(network, "social_value_gbp:environment", "kingsbridge-council") == pytest.approx(40 * 250)

    network.bucket.write("incoming/kingsbridge-council/measures_2026-27-Q1.csv", CORRECTED.encode())
    [outcome] = ingest(network)
    assert outcome["status"] == "accepted"
    compute_kpis(network)
    assert _kpi(network, "measure:mentees_matched", "london") == 17
    assert _kpi(network, "social_value_gbp", "london") == pytest.approx(17 * 1200 + 40 * 250)
    assert _kpi(network, "measure:mentees_matched", "london", "2026-27") == 17  # year to date


def test_unknown_codes_and_wrong_units_are_rejected_with_the_valid_list(make_network, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    network = make_network(f"sqlite:///{tmp_path}/w.db")
    network.bucket.write(
        "incoming/kingsbridge-council/measures_2026-27-Q1.csv",
        (FIRST + "volunteer_hours,300,hours\nmentors_identified,4,kg\nmentor_trained,2,people\n").encode(),
    )
    [outcome] = ingest(network)
    assert outcome["status"] == "quarantined" and outcome["rows_rejected"] == outcome["rows_read"] == 6
    feedback = network.bucket.read(outcome["feedback_path"].replace(".html", ".csv")).decode("utf-8-sig")
    assert "volunteer_hours" in feedback and "valid codes: carbon_literacy_trained" in feedback
    assert "'kg' is not the unit of mentors_identified: it is counted in people." in feedback
    # An unknown code's unit is not reported as well: nothing can be said of it until the code is right.
    assert "'hours' is not the unit" not in feedback
    assert "Did you mean 'mentors_trained'?" in feedback  # a near miss gets the code it was close to
    assert "volunteer_hours" in feedback and "Did you mean 'volunteer" not in feedback


def test_targets_are_loaded_from_config_and_the_dropped_file(make_network, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from warehouse.schema import target

    network = make_network(f"sqlite:///{tmp_path}/w.db")
    network.bucket.write(
        "reference/targets.csv",
        b"kpi,period,value,member,direction\nspend_local_pct,2026-27,45,kingsbridge-council,\n"
        b"apprentice_starts,2026-27-Q1,10,,\n",
    )
    compute_kpis(network)
    with network.engine.connect() as conn:
        rows = {(r.kpi, r.scope_id, r.period): (r.target, r.source) for r in conn.execute(select(target))}
    assert rows[("spend_small_or_diverse_pct", "london", "2026-27")][0] == 30  # the pledge, from config
    assert rows[("spend_local_pct", "kingsbridge-council", "2026-27")] == (
        45,
        "reference/targets.csv",
    )  # file wins
    assert rows[("apprentice_starts", "london", "2026-27-Q1")][0] == 10
