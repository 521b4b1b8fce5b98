"""Column mappings recorded for a member (reference/column_maps.csv): parsed, checked, merged, used.

What ``anchor columns map --member M "Header" column`` will write and ingest will read: a wrong column
or return type is refused with its line and a suggestion; recording the same header again replaces it;
a recorded mapping beats the config's column_map and any header the words would recognise.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from transforms.column_maps import (
    ColumnMapError,
    RecordedMapping,
    column_maps_csv,
    member_column_map,
    parse_column_maps,
    record_mapping,
)
from transforms.raw_table import FileRejected
from transforms.reading import read_return
from transforms.return_types import SPEND

AT = datetime(2025, 10, 3, 9, 12, tzinfo=UTC)
MEMBERS = {"lumen-energy", "kingsbridge-council"}
GOOD = (
    "member_id,return_type,header,column,recorded_at,note\n"
    "lumen-energy,spend,Account Holder,supplier_name,2025-10-03T09:12:00+00:00,their ERP's payee field\n"
    'kingsbridge-council,workforce,"Rate (basic, hourly)",hourly_rate_gbp,2025-10-04,\n'
)


def test_a_valid_file_is_parsed() -> None:
    mappings = parse_column_maps(GOOD, MEMBERS)
    assert mappings == [
        RecordedMapping(
            "lumen-energy", "spend", "Account Holder", "supplier_name", AT, "their ERP's payee field"
        ),
        RecordedMapping(
            "kingsbridge-council",
            "workforce",
            "Rate (basic, hourly)",
            "hourly_rate_gbp",
            datetime(2025, 10, 4, tzinfo=UTC),
            "",
        ),
    ]


def test_written_and_read_back_unchanged() -> None:
    mappings = parse_column_maps(GOOD)
    assert parse_column_maps(column_maps_csv(mappings)) == mappings
    assert parse_column_maps("") == [] and parse_column_maps("\ufeff") == []


@pytest.mark.parametrize(
    ("line", "phrases"),
    [
        (
            "lumen-energy,spend,Account Holder,supplier,2025-10-03,",
            ["line 2", "'supplier' is not a column of the spend return", "did you mean 'supplier_name'"],
        ),
        (
            "lumen-energy,spending,Account Holder,supplier_name,2025-10-03,",
            ["line 2", "'spending' is not a return type", "did you mean 'spend'"],
        ),
        (
            "lumen-energy,spend,Account Holder,supplier_name,yesterday,",
            ["line 2", "'yesterday' is not a date and time"],
        ),
        ("lumen-energy,spend,  ,supplier_name,2025-10-03,", ["line 2", "the header is blank"]),
        (
            "Lumen Energy,spend,Account Holder,supplier_name,2025-10-03,",
            ["line 2", "'Lumen Energy' is not a member id"],
        ),
        (
            "lumen-enrgy,spend,Account Holder,supplier_name,2025-10-03,",
            ["line 2", "'lumen-enrgy' is not a member of the network", "did you mean 'lumen-energy'"],
        ),
        (
            "lumen-energy,workforce,Account Holder,amount_gbp,2025-10-03,",
            ["'amount_gbp' is not a column of the workforce return"],
        ),
    ],
)
def test_faulty_lines_are_refused_with_the_line_and_a_suggestion(line: str, phrases: list[str]) -> None:
    with pytest.raises(ColumnMapError) as excinfo:
        parse_column_maps(f"member_id,return_type,header,column,recorded_at,note\n{line}\n", MEMBERS)
    for phrase in phrases:
        assert phrase in str(excinfo.value)


def test_every_faulty_line_is_listed_and_duplicates_are_refused() -> None:
    text = (
        GOOD
        + "lumen-energy,spend,ACCOUNT HOLDER,supplier_id,2025-10-05,\nlumen-energy,spend,X,nope,2025-10-05,\n"
    )
    with pytest.raises(ColumnMapError) as excinfo:
        parse_column_maps(text)
    message = str(excinfo.value)
    assert (
        "line 4: 'ACCOUNT HOLDER' is mapped again for lumen-energy's spend return (first on line 2)"
        in message
    )
    assert "line 5: 'nope' is not a column" in message


def test_a_file_with_the_wrong_header_is_refused() -> None:
    with pytest.raises(ColumnMapError, match="Missing: recorded_at"):
        parse_column_maps("member_id,return_type,header,column,note\n")


def test_recording_adds_or_replaces_one_mapping() -> None:
    mappings = parse_column_maps(GOOD)
    later = datetime(2025, 11, 1, tzinfo=UTC)
    replaced = record_mapping(
        mappings, RecordedMapping("lumen-energy", "spend", " account holder ", "supplier_id", later)
    )
    assert len(replaced) == 2
    assert [m.column for m in replaced if m.member_id == "lumen-energy"] == ["supplier_id"]
    added = record_mapping(
        replaced, RecordedMapping("lumen-energy", "spend", "Gross Val", "amount_gbp", later)
    )
    assert len(added) == 3
    with pytest.raises(ColumnMapError, match="'amount' is not a column of the spend return"):
        record_mapping(added, RecordedMapping("lumen-energy", "spend", "Total", "amount", later))
    with pytest.raises(ColumnMapError, match="not a member"):
        record_mapping(added, RecordedMapping("nobody-here", "spend", "Total", "amount_gbp", later), MEMBERS)


def test_the_members_map_merges_config_and_recorded_mappings_recorded_last() -> None:
    recorded = parse_column_maps(GOOD + "lumen-energy,spend,Vendor Legal Name,supplier_id,2025-10-05,\n")
    merged = member_column_map(
        recorded, "lumen-energy", "spend", {"VENDOR LEGAL NAME": "supplier_name", "Staff No": "employee_ref"}
    )
    # The recorded mapping replaces the config's for the same header however it is spelt; the config's
    # mapping to a workforce column does not apply to a spend return.
    assert merged == {"Vendor Legal Name": "supplier_id", "Account Holder": "supplier_name"}
    assert member_column_map(recorded, "lumen-energy", "workforce") == {}


def test_a_later_file_from_the_member_is_read_with_the_recorded_mapping() -> None:
    data = b"Account Holder,Amount,Payment Date\nAcme Ltd,10.00,14/08/2025\n"
    with pytest.raises(FileRejected) as excinfo:
        read_return(data, "spend.csv", SPEND)
    assert '"Account Holder" supplier_name' in excinfo.value.how_to_fix  # the command to run
    recorded = record_mapping(
        [], RecordedMapping("lumen-energy", "spend", "Account Holder", "supplier_name", AT)
    )
    text = column_maps_csv(recorded)  # kept in the bucket, read back by ingest
    column_map = member_column_map(parse_column_maps(text, MEMBERS), "lumen-energy", "spend")
    table = read_return(data, "spend.csv", SPEND, column_map)
    assert table.mapped == {
        "Account Holder": "supplier_name",
        "Amount": "amount_gbp",
        "Payment Date": "payment_date",
    }
    assert table.frame.loc[2, "supplier_name"] == "Acme Ltd"
