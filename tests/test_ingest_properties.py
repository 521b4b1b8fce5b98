"""Property: whatever bytes a member sends, the ingest never crashes and accounts for every row.

Generated files mix real headers with random cells, random delimiters, ragged rows, stray quotes,
huge fields, random encodings and plain random bytes. For every file: an outcome, rows read = rows
loaded + rows rejected (in the outcome and in the warehouse), feedback written, the original archived
byte for byte, and nothing left in incoming/.
"""

from __future__ import annotations

import hashlib

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from pipeline.steps.ingest import ingest
from warehouse.schema import submissions

HEADERS = [
    ["Payment Date", "Supplier Name", "Amount"],
    ["Supplier", "Net Amount", "Postcode", "Transaction ID"],
    ["Creditor Name", "Total", "Supplier Size", "VCSE"],
    ["Date", "Vendor", "Value", "Spend Tier", "Diverse Owned"],
]
TYPICAL = ["£1,000.00", "12.50", "-5", "(3.20)", "01/08/2025", "2025-08-02", "31/02/2025", "", "Grand Total",
           "Total", '"', '""', "n/a", "SE1 7PB", "small", "Yes", "maybe", "direct", "Acme Ltd", "1e309", "NaN"]  # fmt: skip
cell = st.one_of(
    st.sampled_from(TYPICAL),
    st.text(st.characters(blacklist_categories=("Cs",)), max_size=12),
    st.integers(1_000, 60_000).map(lambda n: "x" * n),  # a huge field
)
row = st.lists(cell, max_size=7)


@st.composite
def malformed_csv(draw: st.DrawFn) -> bytes:
    if draw(st.integers(0, 9)) == 0:
        return draw(st.binary(max_size=3000))
    delimiter = draw(st.sampled_from([",", ";", "\t", "|"]))
    preamble = draw(st.lists(row, max_size=2))
    header = draw(st.one_of(st.sampled_from(HEADERS), row))
    body = draw(st.lists(row, max_size=25))
    newline = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    text = newline.join(delimiter.join(cells) for cells in [*preamble, header, *body])
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252", "latin-1"]))
    return text.encode(encoding, errors="replace")


@settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
@given(data=malformed_csv())
def test_ingest_never_crashes_and_accounts_for_every_row(make_network, tmp_path, data: bytes) -> None:  # type: ignore[no-untyped-def]
    network = make_network(f"sqlite:///{tmp_path}/w.db")
    path = "incoming/kingsbridge-council/spend_2025-26-Q2.csv"
    network.bucket.write(path, data)

    [outcome] = ingest(network)

    event(f"status: {outcome['status']}")
    assert outcome["status"] in ("accepted", "quarantined", "duplicate", "superseded"), outcome
    assert outcome["rows_read"] >= 0
    digest = hashlib.sha256(data).hexdigest()
    with network.engine.connect() as conn:
        stored = (
            conn.execute(select(submissions).where(submissions.c.content_hash == digest)).mappings().one()
        )
    assert stored["rows_read"] == stored["rows_loaded"] + stored["rows_rejected"] + stored["rows_set_aside"]
    if outcome["status"] != "duplicate":
        assert (
            outcome["rows_read"]
            == outcome["rows_loaded"] + outcome["rows_rejected"] + outcome["rows_set_aside"]
        )
        assert outcome["rows_set_aside"] == stored["rows_set_aside"]
        assert (outcome["rows_read"], outcome["rows_loaded"]) == (stored["rows_read"], stored["rows_loaded"])
        assert network.bucket.exists(outcome["feedback_path"])
        assert network.bucket.exists(outcome["feedback_path"].removesuffix(".html") + ".csv")
    archived = [f for f in network.bucket.list_files("archive/kingsbridge-council") if digest in f["path"]]
    assert archived and network.bucket.read(archived[0]["path"]) == data
    assert network.bucket.list_files("incoming") == []
