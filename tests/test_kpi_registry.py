"""The KPI registry is the one list of KPIs: every figure the pipeline computes is in it."""

from __future__ import annotations

import pytest

from pipeline.config import load_config
from transforms.kpi_registry import (
    REGISTRY,
    TO_DATE_CODES,
    UnknownKpi,
    is_known,
    lookup,
    measure_code,
    ytd_code,
)


def test_names_are_unique_so_no_two_kpis_read_alike() -> None:
    for attribute in ("short_name", "name"):
        names = [getattr(k, attribute) for k in REGISTRY.values()]
        assert len(names) == len(set(names)), attribute
    assert len({k.order for k in REGISTRY.values()}) == len(REGISTRY)


def test_families_resolve_and_unknown_codes_do_not() -> None:
    catalogue = load_config().measures
    first = catalogue[0]
    measure = lookup(measure_code(first.code), catalogue)
    assert (measure.name, measure.unit) == (first.name, first.unit)
    assert lookup("social_value_gbp:environment").unit == "GBP"
    to_date = lookup(ytd_code("lw_uplifts"))
    assert to_date.people_basis == "lw_uplifts_ytd" and "year to date" in to_date.short_name
    for code in TO_DATE_CODES:
        assert is_known(ytd_code(code))
    # A stock has no year to date (staff in post do not add up over quarters).
    assert not is_known(ytd_code("staff"))
    assert not is_known(measure_code("no_such_measure"), catalogue)
    with pytest.raises(UnknownKpi):
        lookup("spend_sme_share")
