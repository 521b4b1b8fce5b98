"""Spend facts and the supplier register as typed Arrow tables, ready for the lake and the warehouse."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa

from transforms.coercion import by_value, parse_bools, parse_dates, postcode_parts, supplier_name_key
from transforms.spend_scope import ScopeRules, classify_scope

SPEND_FACT_SCHEMA = pa.schema(
    [
        ("submission_id", pa.string()),
        ("row_number", pa.int64()),
        ("member_id", pa.string()),
        ("period", pa.string()),
        ("payment_date", pa.date32()),
        ("supplier_name", pa.string()),
        ("supplier_name_key", pa.string()),
        ("supplier_id", pa.string()),
        ("supplier_postcode", pa.string()),
        ("postcode_area", pa.string()),
        ("postcode_district", pa.string()),
        ("amount_gbp", pa.decimal128(14, 2)),
        ("transaction_id", pa.string()),
        ("category", pa.string()),
        ("department", pa.string()),
        ("supplier_size", pa.string()),
        ("is_vcse", pa.bool_()),
        ("is_diverse_owned", pa.bool_()),
        ("spend_tier", pa.string()),
        # Out of the share KPIs' denominator: the category (taxes_hmrc, public_body, ...) and the rule that
        # decided it (transforms.spend_scope); both null for spend the network can influence.
        ("out_of_scope", pa.string()),
        ("out_of_scope_rule", pa.string()),
    ]
)

SUPPLIER_SCHEMA = pa.schema(
    [
        ("supplier_ref", pa.int32()),
        ("supplier_id", pa.string()),
        ("supplier_name", pa.string()),
        ("name_key", pa.string()),
        ("postcode", pa.string()),
        ("postcode_area", pa.string()),
        ("postcode_district", pa.string()),
        ("employees", pa.int32()),
        ("turnover_gbp", pa.decimal128(16, 2)),
        ("size", pa.string()),
        ("is_vcse", pa.bool_()),
        ("is_diverse_owned", pa.bool_()),
        ("source", pa.string()),
        ("as_of", pa.date32()),
    ]
)


def to_arrow(frame: pd.DataFrame, schema: pa.Schema) -> pa.Table:
    """Columns converted whole (Arrow-backed strings and booleans pass straight through); missing -> null."""
    arrays = []
    for field in schema:
        values = frame[field.name]
        if pa.types.is_decimal(field.type):
            arrays.append(pa.array(values.astype("float64"), type=pa.float64()).cast(field.type))
        elif pa.types.is_date(field.type):
            arrays.append(pa.array(pd.to_datetime(values), type=pa.timestamp("us")).cast(field.type))
        elif values.dtype == object:
            arrays.append(pa.array(values.where(values.notna(), None).tolist(), type=field.type))
        else:
            arrays.append(pa.array(values, type=field.type, from_pandas=True))
    return pa.Table.from_arrays(arrays, schema=schema)


def _area_and_district(postcodes: pd.Series) -> pd.DataFrame:
    area, district = postcode_parts(postcodes)
    return pd.DataFrame({"area": area, "district": district}, index=postcodes.index)


def spend_facts(
    accepted: pd.DataFrame,
    submission_id: str,
    member_id: str,
    period: str,
    scope_rules: ScopeRules | None = None,
) -> pa.Table:
    """One fact row per accepted line, with the keys the KPIs join and group on.

    With ``scope_rules`` each line is also classified in or out of the influenceable spend; without
    them every line is in scope (the KPIs then divide by all spend, as before the rules existed).
    """
    frame = accepted.copy()
    frame["submission_id"] = submission_id
    frame["row_number"] = accepted.index.astype("int64")
    frame["member_id"] = member_id
    frame["period"] = period
    if scope_rules is not None:
        scope = classify_scope(frame, scope_rules)
        frame["out_of_scope"] = scope["out_of_scope"]
        frame["out_of_scope_rule"] = scope["out_of_scope_rule"]
    else:
        frame["out_of_scope"] = pd.Series(pd.NA, index=frame.index, dtype="string")
        frame["out_of_scope_rule"] = frame["out_of_scope"]
    # Names and postcodes repeat from line to line: fold each distinct one once.
    frame["supplier_name_key"] = by_value(supplier_name_key, frame["supplier_name"])
    parts = by_value(_area_and_district, frame["supplier_postcode"])
    frame["postcode_area"], frame["postcode_district"] = parts["area"], parts["district"]
    return to_arrow(frame.reset_index(drop=True), SPEND_FACT_SCHEMA)


SUPPLIER_PROFILE = (
    "member_id",
    "period",
    "spend_tier",
    "supplier_id",
    "supplier_name_key",
    "supplier_size",
    "is_vcse",
    "is_diverse_owned",
    "postcode_area",
    "postcode_district",
    "out_of_scope",
)


def spend_by_supplier(facts: pa.Table) -> pa.Table:
    """A submission's spend summed per supplier as the return described it (id, name, flags, postcode).

    The spend KPIs only need these sums (the supplier register is joined at KPI time, so a new
    register still re-classifies everything); reading about 40 groups per 1,000 lines instead of
    every line keeps the KPI step's cost from growing with the lines in the warehouse.
    """
    grouped = facts.group_by(list(SUPPLIER_PROFILE), use_threads=False).aggregate(
        [("amount_gbp", "sum"), ("row_number", "count")]
    )
    count = grouped.num_rows
    submission = facts.column("submission_id")[0].as_py() if facts.num_rows else None
    columns = {
        "submission_id": pa.array([submission] * count, pa.string()),
        "line_group": pa.array(range(1, count + 1), pa.int32()),
        **{key: grouped.column(key) for key in SUPPLIER_PROFILE},
        "amount_gbp": grouped.column("amount_gbp_sum").cast(pa.decimal128(16, 2)),
        "lines": grouped.column("row_number_count").cast(pa.int32()),
    }
    return pa.table(columns)


def supplier_register(raw: pd.DataFrame) -> pa.Table:
    """The core team's register, typed; a name shared by two entries is not used for matching."""
    frame = raw.rename(columns=str.strip).astype("string")
    frame["supplier_ref"] = range(1, len(frame) + 1)
    frame["supplier_id"] = frame["supplier_id"].str.strip().replace("", pd.NA)
    # An id listed twice would match one spend line to two suppliers and count it twice.
    frame.loc[frame["supplier_id"].duplicated() & frame["supplier_id"].notna(), "supplier_id"] = pd.NA
    frame["name_key"] = supplier_name_key(frame["supplier_name"])
    frame.loc[frame["name_key"].duplicated(keep=False), "name_key"] = pd.NA
    from transforms.coercion import normalise_postcodes

    frame["postcode"] = normalise_postcodes(frame["postcode"])
    frame["postcode_area"], frame["postcode_district"] = postcode_parts(frame["postcode"])
    frame["employees"] = pd.to_numeric(frame["employees"], errors="coerce").astype("Int32")
    frame["turnover_gbp"] = pd.to_numeric(frame["turnover_gbp"], errors="coerce")
    frame["size"] = (
        frame["size"].str.strip().str.lower().where(lambda s: s.isin(["micro", "small", "medium", "large"]))
    )
    frame["is_vcse"] = parse_bools(frame["is_vcse"])
    frame["is_diverse_owned"] = parse_bools(frame["is_diverse_owned"])
    frame["as_of"] = parse_dates(frame["as_of"])
    for optional in ("source",):
        if optional not in frame.columns:
            frame[optional] = pd.NA
    return to_arrow(frame, SUPPLIER_SCHEMA)
