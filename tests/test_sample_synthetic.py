"""The benchmark's synthetic network: the benchmark checks the pipeline against what the generator says
it planted, so what it says must be true. Each file is read back here with the ``csv`` module and the
rows, the rejects and the direct-spend total are counted independently of the generator."""

from __future__ import annotations

import codecs
import csv
import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

import pytest

from samples.synthetic import SPEND_STYLES, Network, generate
from transforms.return_types import SPEND, WORKFORCE, ReturnType, normalise_header

POSTCODE_RE = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]? [0-9][ABD-HJLNP-UW-Z]{2}$")
MEMBERS = len(SPEND_STYLES)  # one member in each export style


@pytest.fixture(scope="module")
def network(tmp_path_factory: pytest.TempPathFactory) -> Network:
    return generate(tmp_path_factory.mktemp("synthetic"), members=MEMBERS, lines=1_500, staff=80, seed=3)


def _text(data: bytes) -> str:
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8) :].decode("utf-8")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252")


def _records(
    data: bytes, wanted: set[str], return_type: ReturnType
) -> tuple[list[str | None], list[list[str]]]:
    """(canonical column of each header cell, non-blank records after the header), the header being
    the first line whose cells map to the ``wanted`` columns through the pipeline's alias index."""
    index = return_type.alias_index()
    lines = _text(data).splitlines()
    for start, line in enumerate(lines):
        delimiter = ";" if line.count(";") > line.count(",") else ","
        header = next(csv.reader([line], delimiter=delimiter))
        columns = [index.get(normalise_header(h)) for h in header]
        if wanted <= set(columns):
            rows = list(csv.reader(lines[start + 1 :], delimiter=delimiter))
            return columns, [r for r in rows if any(f.strip() for f in r)]
    raise AssertionError(f"no header naming {sorted(wanted)}")


def _amount(text: str) -> Decimal | None:
    try:
        return Decimal(text.replace("£", "").replace(",", ""))
    except InvalidOperation:
        return None


def _good(row: dict[str | None, str]) -> bool:
    try:
        day = datetime.strptime(row["payment_date"], "%d/%m/%Y").date()
    except ValueError:
        return False
    postcode = row.get("supplier_postcode")
    return (
        date(2025, 7, 1) <= day <= date(2025, 9, 30)
        and _amount(row["amount_gbp"]) is not None
        and bool(row["supplier_name"].strip())
        and (postcode is None or bool(POSTCODE_RE.match(postcode)))
    )


def test_spend_files_hold_the_rows_rejects_and_total_the_generator_declares(network: Network) -> None:
    spend = [f for f in network.files if f.return_type == "spend"]
    assert len(spend) == MEMBERS
    for entry in spend:
        data = (Path(network.pristine) / entry.path).read_bytes()
        assert entry.size == len(data)
        columns, records = _records(data, {"payment_date", "supplier_name", "amount_gbp"}, SPEND)
        good = [
            row
            for fields in records
            if len(fields) == len(columns)
            for row in [dict(zip(columns, fields, strict=True))]
            if _good(row)
        ]
        assert len(records) == entry.rows, entry.path
        assert len(records) - len(good) == entry.bad_rows, entry.path
        assert any(len(fields) < len(columns) for fields in records), "no ragged row"
        direct = [_amount(r["amount_gbp"]) for r in good if r.get("spend_tier", "direct") == "direct"]
        assert sum(a for a in direct if a is not None) * 100 == entry.direct_total_pence, entry.path


def test_workforce_files_declare_their_unreadable_rates(network: Network) -> None:
    workforce = [f for f in network.files if f.return_type == "workforce"]
    assert len(workforce) == MEMBERS and network.staff == 80
    for entry in workforce:
        data = (Path(network.pristine) / entry.path).read_bytes()
        columns, records = _records(data, {"employee_ref", "hourly_rate_gbp"}, WORKFORCE)
        rates = [fields[columns.index("hourly_rate_gbp")] for fields in records]
        assert len(records) == entry.rows == 80
        assert sum(_amount(rate) is None for rate in rates) == entry.bad_rows >= 1


def test_same_seed_same_bytes(network: Network, tmp_path: Path) -> None:
    again = generate(tmp_path, members=MEMBERS, lines=1_500, staff=80, seed=3)
    for first, second in zip(network.files, again.files, strict=True):
        assert (Path(network.pristine) / first.path).read_bytes() == (
            Path(again.pristine) / second.path
        ).read_bytes()
    assert Network.load(Path(again.root)) == again
