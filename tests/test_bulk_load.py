"""Bulk loads from Arrow (binary COPY on PostgreSQL, ADBC staging on SQLite) store exactly what they were given."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pyarrow as pa
import pytest
from sqlalchemy import Column, DateTime, MetaData, String, Table, create_engine, select

import warehouse.binary_copy as binary_copy
import warehouse.load as load
from transforms.measures import MEASURE_FACT_SCHEMA
from transforms.spend import SPEND_FACT_SCHEMA, SUPPLIER_SCHEMA
from transforms.workforce import WORKFORCE_FACT_SCHEMA
from warehouse.bulk import STAGING_SCHEMA
from warehouse.db import make_engine, migrate
from warehouse.schema import fact_measure, fact_spend, fact_workforce, spend_by_supplier, suppliers

AWKWARD_TEXT = [
    'Café "Lumière", Ltd',
    "O’Brien & Sons\nLtd",
    "line\r\nbreak",
    "tab\there; semi;colon",
    "back\\slash \\N NULL",
    "emoji 🎉 and ünïcödé",
    "",
    "  spaces  ",
    "'single' quotes",
    ",,,",
]
AWKWARD_DATES = [date(1900, 1, 1), date(1999, 12, 31), date(2000, 1, 1), date(2025, 8, 1), date(2099, 12, 31)]

SPEND_BY_SUPPLIER_SCHEMA = pa.schema(
    [
        ("submission_id", pa.string()),
        ("line_group", pa.int32()),
        ("member_id", pa.string()),
        ("period", pa.string()),
        ("spend_tier", pa.string()),
        ("supplier_id", pa.string()),
        ("supplier_name_key", pa.string()),
        ("supplier_size", pa.string()),
        ("is_vcse", pa.bool_()),
        ("is_diverse_owned", pa.bool_()),
        ("postcode_area", pa.string()),
        ("postcode_district", pa.string()),
        ("amount_gbp", pa.decimal128(16, 2)),
        ("lines", pa.int32()),
    ]
)
TABLES = [
    (fact_spend, SPEND_FACT_SCHEMA),
    (fact_workforce, WORKFORCE_FACT_SCHEMA),
    (fact_measure, MEASURE_FACT_SCHEMA),
    (spend_by_supplier, SPEND_BY_SUPPLIER_SCHEMA),
    (suppliers, SUPPLIER_SCHEMA),
]


def _engine(url: str):  # type: ignore[no-untyped-def]
    engine = make_engine(url)
    migrate(engine)
    return engine


def _value(field: pa.Field, column: Column, row: int, rng: random.Random, variant: str) -> Any:
    """One value for a column: awkward on purpose (edges of each type), NULL where the column allows it."""
    if column.primary_key:
        if pa.types.is_integer(field.type):
            return row + 1 if field.type.bit_width == 32 else 2**40 + row * 7919
        return "s" * 16
    if column.nullable and (variant == "null" or (variant == "mixed" and rng.random() < 0.25)):
        return None
    if variant == "constant":
        rng = random.Random(0)
    kind = field.type
    if pa.types.is_string(kind):
        text = rng.choice([*AWKWARD_TEXT, f"value {rng.randrange(10**6)}"])
        limit = getattr(column.type, "length", None)
        if limit:
            text = text[:limit]
        return text or ("" if column.nullable else "x")
    if pa.types.is_boolean(kind):
        return rng.random() < 0.5
    if pa.types.is_integer(kind):
        return rng.choice([0, -5, 1, 2**31 - 1, rng.randrange(-(10**6), 10**6)])
    if pa.types.is_date(kind):
        return rng.choice([*AWKWARD_DATES, date(2025, 1, 1) + timedelta(days=rng.randrange(365))])
    if pa.types.is_decimal(kind):
        # The column's own precision bounds what it can hold; Arrow's type may be wider.
        precision, scale = column.type.precision, column.type.scale
        step = Decimal(1).scaleb(-scale)
        largest = Decimal(10) ** (precision - scale) - step
        choices = [Decimal(0), -step, step, largest, -largest, Decimal("0.5")]
        units = int(largest / step)
        choices.append(Decimal(rng.randrange(-units, units + 1)) * step)
        return rng.choice(choices).quantize(step)
    raise AssertionError(f"no generator for {kind}")


def _awkward_rows(table: Table, schema: pa.Schema, rows: int, variant: str, seed: int = 7) -> pa.Table:
    rng = random.Random(seed)
    columns = {
        field.name: [_value(field, table.c[field.name], i, rng, variant) for i in range(rows)]
        for field in schema
    }
    return pa.table(columns, schema=schema)


def _stored(engine, table: Table) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    order = [c for c in table.primary_key.columns]
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(select(table).order_by(*order)).mappings()]


def _same(got: Any, want: Any, column: Column, dialect: str) -> bool:
    """Decimals exactly at the column's scale on PostgreSQL. SQLite keeps them as REAL (as it always
    has): there a value is the nearest double, read back at the column's scale, so it may differ by a
    double's relative precision plus half a unit of the scale (nothing, for amounts under £10^13)."""
    scale = getattr(column.type, "scale", None)
    if got is None or want is None or scale is None:
        return got == want
    if dialect == "sqlite":
        slack = abs(Decimal(want)) * Decimal(2) ** -52 + Decimal(1).scaleb(-scale) / 2
        return abs(Decimal(str(got)) - Decimal(want)) <= slack
    return Decimal(str(got)).quantize(Decimal(1).scaleb(-scale)) == want


@pytest.mark.parametrize("variant", ["mixed", "constant", "null"])
@pytest.mark.parametrize(("table", "schema"), TABLES, ids=[t.name for t, _ in TABLES])
def test_every_value_round_trips(
    warehouse_url: str, monkeypatch: pytest.MonkeyPatch, table: Table, schema: pa.Schema, variant: str
) -> None:
    """Text with commas, quotes, newlines and non-ASCII; dates either side of 2000; NULLs; decimal edges."""
    monkeypatch.setattr(binary_copy, "_ROWS_PER_CHUNK", 97)  # several chunks, one of them short
    engine = _engine(warehouse_url)
    rows = _awkward_rows(table, schema, 400, variant)
    with engine.begin() as conn:
        load.bulk_insert(conn, table, rows)

    expected = sorted(rows.to_pylist(), key=lambda r: tuple(r[c.name] for c in table.primary_key.columns))
    stored = _stored(engine, table)
    assert len(stored) == len(expected)
    for got, want in zip(stored, expected, strict=True):
        for name, value in want.items():
            column = table.c[name]
            assert _same(got[name], value, column, engine.dialect.name), (name, got[name], value)


def test_spend_amounts_sum_to_the_penny(warehouse_url: str) -> None:
    """A quarter's worth of pence summed by the warehouse equals the sum of the exact decimals."""
    engine = _engine(warehouse_url)
    rng = random.Random(11)
    pence = [rng.randrange(-250_000, 120_000_000) for _ in range(20_000)]
    rows = _awkward_rows(fact_spend, SPEND_FACT_SCHEMA, len(pence), "mixed")
    amounts = pa.array([Decimal(p).scaleb(-2) for p in pence], pa.decimal128(14, 2))
    rows = rows.set_column(rows.schema.get_field_index("amount_gbp"), "amount_gbp", amounts)
    with engine.begin() as conn:
        load.bulk_insert(conn, fact_spend, rows)
    from sqlalchemy import func

    with engine.connect() as conn:
        total = conn.execute(select(func.sum(fact_spend.c.amount_gbp))).scalar()
    assert Decimal(str(total)).quantize(Decimal("0.01")) == Decimal(sum(pence)).scaleb(-2)


def test_text_with_a_nul_character(warehouse_url: str) -> None:
    """PostgreSQL cannot store NUL in text and refuses the load; SQLite keeps it. (Refusing such values
    before the load, with a message for the member, belongs to the hostile-input checks.)"""
    engine = _engine(warehouse_url)
    rows = _awkward_rows(fact_spend, SPEND_FACT_SCHEMA, 3, "mixed")
    names = pa.array(["before\x00after", "plain", "x"], pa.string())
    rows = rows.set_column(rows.schema.get_field_index("supplier_name"), "supplier_name", names)
    if engine.dialect.name == "postgresql":
        with pytest.raises(Exception, match="0x00"), engine.begin() as conn:
            load.bulk_insert(conn, fact_spend, rows)
        assert _stored(engine, fact_spend) == []
    else:
        with engine.begin() as conn:
            load.bulk_insert(conn, fact_spend, rows)
        assert sorted(r["supplier_name"] for r in _stored(engine, fact_spend)) == sorted(names.to_pylist())


def test_sqlite_staging_is_emptied_and_rolled_back_with_the_load(tmp_path) -> None:  # type: ignore[no-untyped-def]
    engine = _engine(f"sqlite:///{tmp_path}/warehouse.db")
    rows = _awkward_rows(fact_spend, SPEND_FACT_SCHEMA, 50, "mixed")
    with pytest.raises(RuntimeError), engine.begin() as conn:
        load.bulk_insert(conn, fact_spend, rows)
        raise RuntimeError("the load dies after the insert")
    assert _stored(engine, fact_spend) == []
    with engine.begin() as conn:
        load.bulk_insert(conn, fact_spend, rows)
        staged = conn.exec_driver_sql(f"SELECT count(*) FROM {STAGING_SCHEMA}.sqlite_master").scalar()
    assert staged == 0  # the staged copy's memory is given back inside the load
    assert len(_stored(engine, fact_spend)) == 50


@pytest.mark.parametrize("variant", ["mixed", "constant", "null"])
def test_sqlite_without_the_staging_schema_still_loads(tmp_path, variant: str) -> None:  # type: ignore[no-untyped-def]
    """Every value round-trips by executemany too, the columns holding one value (quotes included) or
    none written once into the statement."""
    url = f"sqlite:///{tmp_path}/warehouse.db"
    _engine(url).dispose()
    plain = create_engine(url)  # not made by warehouse.db: no staging schema attached
    rows = _awkward_rows(fact_spend, SPEND_FACT_SCHEMA, 40, variant)
    if variant == "constant":  # constants that need their quotes doubled, and one a statement cannot hold
        for name, value in (
            ("department", "O'Brien's; DROP TABLE x; --"),
            ("category", "before\x00after"),
            ("transaction_id", "'" * 90),
            ("supplier_name", "x" * 1_500),  # long enough to be bound rather than written in
        ):
            rows = rows.set_column(rows.schema.get_field_index(name), name, pa.array([value] * 40))
    with plain.begin() as conn:
        load.bulk_insert(conn, fact_spend, rows)
    expected = sorted(rows.to_pylist(), key=lambda r: (r["submission_id"], r["row_number"]))
    stored = _stored(plain, fact_spend)
    assert len(stored) == len(expected) == 40
    for got, want in zip(stored, expected, strict=True):
        for name, value in want.items():
            assert _same(got[name], value, fact_spend.c[name], "sqlite"), (name, got[name], value)


def test_a_column_without_a_binary_form_is_refused_before_any_byte_is_sent() -> None:
    table = Table("stamped", MetaData(), Column("at", DateTime(timezone=True)), Column("name", String(10)))
    rows = pa.table({"at": pa.array([0], pa.timestamp("us", "UTC")), "name": ["a"]})
    with pytest.raises(binary_copy.UnsupportedColumn, match="DateTime"):
        binary_copy.encode(table, rows)


def test_decimals_too_long_for_the_encoding_are_refused_up_front() -> None:
    rows = _awkward_rows(fact_spend, SPEND_FACT_SCHEMA, 2, "mixed")
    huge = pa.array([Decimal("1"), Decimal("12345678901234567890.12")], pa.decimal128(38, 2))
    rows = rows.set_column(rows.schema.get_field_index("amount_gbp"), "amount_gbp", huge)
    with pytest.raises(binary_copy.UnsupportedColumn, match="18 digits"):
        binary_copy.encode(fact_spend, rows)
