"""The pyarrow fast path reads exactly what the csv-module path reads, or steps aside.

Every case compares ``read_clean_csv`` with the csv-module reader on the same text: same cells, same file
line numbers, same row problems and row count. Generated files mix what real exports contain (quoted
values with delimiters and doubled quotes, blank and delimiter-only lines, totals rows, ragged rows,
suppliers whose names start with "Total", non-ASCII whitespace) with malformed quoting.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import transforms.fast_reading as fast_reading
import transforms.reading as reading
from transforms.fast_reading import read_clean_csv
from transforms.raw_table import FileRejected, RawTable, build_raw_table, csv_records
from transforms.reading import read_return
from transforms.return_types import SPEND


@pytest.fixture(autouse=True)
def _small_files_take_the_fast_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fast_reading, "MIN_CHARS", 0)


def csv_module_table(text: str, delimiter: str) -> RawTable | None:
    try:
        return build_raw_table(
            csv_records(text, delimiter), SPEND, None, encoding="utf-8", delimiter=delimiter
        )
    except FileRejected:
        return None


def assert_same(fast: RawTable, slow: RawTable) -> None:
    assert fast.rows_read == slow.rows_read
    assert fast.structural_problems == slow.structural_problems
    assert (fast.header_line, fast.mapped, fast.ignored, fast.delimiter) == (
        slow.header_line,
        slow.mapped,
        slow.ignored,
        slow.delimiter,
    )
    assert list(fast.frame.columns) == list(slow.frame.columns)
    assert fast.frame.index.name == slow.frame.index.name == "row"
    assert fast.frame.index.tolist() == slow.frame.index.tolist()
    assert fast.frame.astype(object).to_dict("list") == slow.frame.astype(object).to_dict("list")


def check(text: str, delimiter: str = ",", *, must_be_fast: bool = False) -> RawTable | None:
    fast = read_clean_csv(text, delimiter, SPEND, None, encoding="utf-8")
    # Given the text's UTF-8 bytes (as read_return does for a UTF-8 file), it reads the same.
    from_bytes = read_clean_csv(text, delimiter, SPEND, None, encoding="utf-8", encoded=text.encode())
    assert (fast is None) == (from_bytes is None)
    if must_be_fast:
        assert fast is not None
    if fast is not None:
        slow = csv_module_table(text, delimiter)
        assert slow is not None
        assert_same(fast, slow)
        assert from_bytes is not None
        assert_same(from_bytes, slow)
    return fast


HEADER = "Payment Date,Supplier Name,Amount,Transaction ID,Supplier Postcode\n"


def test_clean_export_is_read_by_the_fast_path_with_file_line_numbers() -> None:
    rows = "".join(f"{1 + i % 28:02d}/08/2025,Supplier {i} Ltd,{i}.50,T{i},SE1 7PB\n" for i in range(300))
    table = check("AP Payments Report\nRun date: 01/10/2025\n\n" + HEADER + rows, must_be_fast=True)
    assert table is not None
    assert table.header_line == 4
    assert table.frame.index[0] == 5 and table.frame.index[-1] == 304
    assert table.frame.loc[5, "supplier_name"] == "Supplier 0 Ltd"


def test_irregular_lines_blank_lines_and_totals_rows_are_decided_record_by_record() -> None:
    lines = [f"01/08/2025,Supplier {i},{i}.00,T{i},SE1 7PB" for i in range(120)]
    lines[10] = ""  # blank line
    lines[11] = ",,,,"  # what Excel writes for a blank row
    lines[12] = "   "  # whitespace only: one value
    lines[20] = "01/08/2025,Acme Ltd 12.00"  # ran together: too few values
    lines[21] = "01/08/2025,Acme Ltd,12.00"  # only optional trailing values missing: padded
    lines[22] = "01/08/2025,Acme, Ltd,12.00,T22,SE1 7PB"  # too many values
    lines[30] = "01/08/2025,Total Gas & Power,12.00,T30,SE1 7PB"  # a supplier, not a totals row
    lines[31] = '01/08/2025,"Acme, Widgets & ""Co""",12.00,T31,SE1 7PB'  # quoted values
    lines[-1] = ",Grand Total,1234.00,,"
    table = check(HEADER + "\n".join(lines) + "\n\n\n", must_be_fast=True)
    assert table is not None
    assert [p.row for p in table.structural_problems] == [22, 24, 121]
    assert table.frame.loc[23, "supplier_postcode"] == ""
    assert table.frame.loc[33, "supplier_name"] == 'Acme, Widgets & "Co"'


def test_values_under_unnamed_header_cells_are_kept_and_only_values_past_the_header_are_not() -> None:
    """Excel writes a sheet's unnamed columns into its CSV as empty header cells: the values under them
    are a column nobody named (ignored), not values run together. A value past the header's last cell,
    named or not, still cannot be placed. Both readers decide alike."""
    lines = [f"01/08/2025,Supplier {i},{i}.00,T{i},SE1 7PB,checked,x" for i in range(120)]
    lines[7] = "01/08/2025,Acme, Ltd,12.00,T7,SE1 7PB,checked,x"  # one value too many for the header
    table = check(HEADER.rstrip("\n") + ",,\n" + "\n".join(lines) + "\n", must_be_fast=True)
    assert table is not None
    assert [p.row for p in table.structural_problems] == [9]
    assert "has 8 values but the header has 7 columns" in table.structural_problems[0].reason
    assert table.rows_read == 120 and len(table.frame) == 119
    assert list(table.frame.columns) == [
        "payment_date",
        "supplier_name",
        "amount_gbp",
        "transaction_id",
        "supplier_postcode",
    ]
    # Without the empty header cells the extra values cannot be told from values run together.
    assert len(check(HEADER + "\n".join(lines) + "\n").frame) == 0  # type: ignore[union-attr]


def test_irregular_lines_are_found_where_they_are_when_their_text_repeats() -> None:
    """pyarrow hands over an irregular line's text, not where it is: two lines of the same text, and a
    last line without its newline, are each put back at their own line."""
    lines = [f"01/08/2025,Supplier {i},{i}.00,T{i},SE1 7PB" for i in range(200)]
    lines[40] = lines[160] = "01/08/2025,Acme Ltd 12.00"  # ran together, twice
    lines[-1] = "01/08/2025,Acme Ltd 12.00"  # and once more, last, with no newline after it
    table = check(HEADER + "\n".join(lines), must_be_fast=True)
    assert table is not None
    assert [p.row for p in table.structural_problems] == [42, 162, 201]


@pytest.mark.parametrize("first", ["\ufeff01/08/2025,Acme Ltd,12.00,T0,SE1 7PB", "\ufeff,,,,"])
def test_a_byte_order_mark_opening_the_first_record_is_a_character_of_it(first: str) -> None:
    """The mark of a second export pasted under the header of a first: pyarrow would drop it as the mark
    of its input (and read a row holding nothing else as blank); it is the first cell's, as the csv
    module reads it, so the date is not readable and the row is accounted for."""
    body = [first, *(f"01/08/2025,Supplier {i},{i}.00,T{i},SE1 7PB" for i in range(1, 200))]
    text = HEADER + "\n".join(body) + "\n"
    check(text)
    table = read_return(text.encode(), "spend.csv", SPEND)
    assert table.rows_read == 200
    assert table.frame.loc[2, "payment_date"].startswith("\ufeff")


def test_a_head_unlike_the_rest_of_the_file_reads_as_the_csv_module_reads_it() -> None:
    """The number of values a line should have is taken from the lines after the header; when those
    differ from the rest of the file, what is read is still what the csv module reads."""
    short = [f"01/08/2025,Supplier {i},{i}.00,T{i}" for i in range(150)]  # no postcode sent
    full = [f"01/08/2025,Supplier {i},{i}.00,T{i},SE1 7PB" for i in range(150, 20_000)]
    check(HEADER + "\n".join(short + full) + "\n")
    check(HEADER + "\n".join(full[:300] + short + full) + "\n", must_be_fast=True)


@pytest.mark.parametrize(
    "body",
    [
        '01/08/2025,"Acme\nWidgets",12.00,T1,SE1 7PB\n',  # a value spanning two lines
        '01/08/2025,Ac"me,"12.00\n01/08/2025,Beta,3",T1,SE1 7PB\n',  # a quote opening mid-value
        '01/08/2025,"Acme" Ltd,12.00,T1,SE1 7PB\n',  # text after a closing quote
    ],
    ids=["quoted-newline", "stray-quote", "text-after-quote"],
)
def test_files_it_cannot_be_sure_of_are_left_to_the_csv_module(body: str) -> None:
    rows = "".join(f"01/08/2025,Supplier {i},{i}.00,T{i},SE1 7PB\n" for i in range(100))
    assert read_clean_csv(HEADER + rows + body + rows, ",", SPEND, None, encoding="utf-8") is None


def test_big_export_goes_through_read_return(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    real = fast_reading.read_clean_csv

    def spy(*args, **kwargs):  # type: ignore[no-untyped-def]
        result = real(*args, **kwargs)
        calls.append(result is not None)
        return result

    monkeypatch.setattr(reading, "read_clean_csv", spy)
    rows = "".join(f"01/08/2025;Supplier {i};£{i},50;T{i}\r\n" for i in range(500))
    data = ("Payment Date;Supplier Name;Amount;Transaction ID\r\n" + rows).encode("cp1252")
    table = read_return(data, "spend_2025-26-Q2.csv", SPEND)
    assert calls == [True]
    assert table.encoding == "cp1252" and table.delimiter == ";"
    assert table.rows_read == 500 and table.frame.loc[501, "amount_gbp"] == "£499,50"


# -- generated files ---------------------------------------------------------------------------------
_PIECES = st.sampled_from(
    [
        "Acme Ltd",
        "Total",
        "Grand Total",
        "Total Gas & Power",
        "sub-total:",
        "  Totals",
        "\u00a0Total",
        "Grand\u2003total",
        "ſub total",
        "OVERALL  TOTAL for Q2",
        "SUBTOTAL",
        "Supplier Digital",
        "Café Lumière",
        "1,234.56",
        "£12.50",
        "",
        " ",
        "\u2003",
        '"',
        '""',
        ",",
        ";",
        "x",
        "01/08/2025",
        "Capital",
        # Characters some readers take for line breaks or marks, and the csv module does not.
        "\ufeff",
        "\x0b",
        "\x0c",
        "\x1c",
        "\x85",
        "\u2028",
    ]
)
_CELL = st.lists(_PIECES, max_size=3).map("".join)


def _render(cell: str, delimiter: str, quote: bool) -> str:
    if quote or '"' in cell or delimiter in cell:
        # Mostly proper CSV quoting, sometimes left raw (malformed, as real exports are now and then).
        return '"' + cell.replace('"', '""') + '"' if quote or len(cell) % 3 else cell
    return cell


@st.composite
def _export(draw: st.DrawFn) -> tuple[str, str]:
    delimiter = draw(st.sampled_from([",", ";", "\t", "|"]))
    width = draw(st.integers(3, 6))
    header = ["Payment Date", "Supplier Name", "Amount", "Supplier Postcode", "Category", ""][:width]
    lines = [delimiter.join(header)]
    for _ in range(draw(st.integers(1, 60))):
        kind = draw(st.sampled_from(["row"] * 8 + ["blank", "short", "long", "spaces"]))
        n = {"row": width, "short": max(1, width - 2), "long": width + 1}.get(kind, 0)
        cells = [draw(_CELL) for _ in range(n)]
        quote = draw(st.booleans())
        lines.append(
            " " * 3 if kind == "spaces" else delimiter.join(_render(c, delimiter, quote) for c in cells)
        )
    preamble = draw(st.lists(st.sampled_from(["Report", "Run date: 01/10/2025", ""]), max_size=3))
    return "\n".join([*preamble, *lines]) + draw(st.sampled_from(["", "\n", "\n\n"])), delimiter


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_export())
def test_generated_exports_read_the_same_either_way(export: tuple[str, str]) -> None:
    text, delimiter = export
    check(text, delimiter)


@pytest.mark.parametrize("newline", ["\r", "\r\n", "\n"], ids=["old-mac", "windows", "unix"])
@pytest.mark.parametrize("mark", [b"", b"\xef\xbb\xbf"], ids=["no-mark", "byte-order-mark"])
def test_big_utf8_exports_read_from_their_own_bytes_as_from_their_text(
    newline: str, mark: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    """read_return hands a UTF-8 file's bytes (newlines normalised in bytes) to the fast path instead of
    encoding its text again: with any line ending and a byte-order mark or none, the table is the same
    as the csv module's, row numbers included."""
    given: list[bytes | None] = []
    real = fast_reading.read_clean_csv

    def spy(*args, **kwargs):  # type: ignore[no-untyped-def]
        given.append(kwargs.get("encoded"))
        return real(*args, **kwargs)

    monkeypatch.setattr(reading, "read_clean_csv", spy)
    lines = ["Spend report", "", HEADER.rstrip("\n")]
    lines += [f"01/08/2025,Café {i} Ltd,{i}.50,T{i},SE1 7PB" for i in range(2000)]
    text = "\n".join(lines) + "\n"
    table = read_return(mark + text.replace("\n", newline).encode(), "spend_2025-26-Q2.csv", SPEND)
    assert given == [text.encode()]
    assert table.encoding == ("utf-8-sig" if mark else "utf-8")
    slow = csv_module_table(text, ",")
    assert slow is not None
    assert_same(table, slow)
