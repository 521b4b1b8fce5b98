"""What a file may hold, what the warehouse can hold, and which periods ingest takes: each with a clear
answer, and ``anchor validate`` saying "accepted" only for files whose load will succeed."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from pipeline.cli.app import app
from pipeline.config import load_config
from pipeline.steps.checking import NetworkRules, check_return, network_rules
from pipeline.steps.ingest import ingest
from pipeline.steps.submission_rules import ingest_period_problem, submission_problem
from tests.conftest import write_config
from tests.hostile_files import spend_csv, with_limits
from transforms.limits import ReadLimits
from transforms.periods import Period, PeriodError
from transforms.raw_table import FileRejected
from transforms.reading import decode_text, read_return
from transforms.return_types import MEASURES, SPEND
from transforms.spreadsheet_safety import inert
from warehouse.schema import fact_spend

PERIOD = Period.parse("2025-26-Q2")
SMALL = ReadLimits(
    max_file_bytes=50_000, max_rows=100, max_columns=12, max_field_chars=300, max_sheet_cells=1000
)
runner = CliRunner()


# -- what one file may hold -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("data", "phrase"),
    [
        (spend_csv(2).encode() + b"x" * 60_000, "The file is 59 KB, more than the 49 KB a return may be"),
        (spend_csv(150).encode(), "more than 100 rows"),
        (
            (spend_csv(3) + ",".join("x" * 13) + "\n").encode(),
            "Line 5 has 13 values, more than the 12 columns",
        ),
    ],
)
def test_a_file_past_a_limit_is_refused_whole_with_the_limit_named(data: bytes, phrase: str) -> None:
    with pytest.raises(FileRejected) as rejected:
        read_return(data, "spend_2025-26-Q2.csv", SPEND, limits=SMALL)
    assert phrase in rejected.value.reason and rejected.value.how_to_fix


def test_the_fast_reader_keeps_the_column_limit_too() -> None:
    data = spend_csv(6_000).encode() + (",".join("x" * 40) + "\n").encode()
    limits = ReadLimits(max_columns=20)
    with pytest.raises(FileRejected) as rejected:
        read_return(data, "spend_2025-26-Q2.csv", SPEND, limits=limits)
    assert "Line 6002 has 40 values" in rejected.value.reason


def test_a_value_longer_than_a_value_may_be_is_a_row_problem() -> None:
    data = spend_csv(30, extra={3: f"02/08/2025,Long Ltd,10.00,T3,{'c' * 400}"}).encode()
    check = check_return(data, "spend_2025-26-Q2.csv", SPEND, PERIOD, rules=NetworkRules(limits=SMALL))
    assert check.status == "accepted" and check.rows_accepted == 29
    [problem] = check.problems.to_dict("records")
    assert problem["row"] == 5 and "longer than the 300 characters" in problem["reason"]
    assert len(problem["value"]) <= 61  # the value is quoted, not echoed whole


@pytest.mark.parametrize(
    ("data", "phrase"),
    [
        (b"\xef\xbb\xbfSupplier Name,Amount\nA Ltd,1\nCaf\xe9 Ltd,2\n", "marked as UTF-8 text, but line 3"),
        (b"\xff\xfeSupplier Name,Amount\nA Ltd,1\n", "UTF-16"),
        (b"\xff\xfeSupplier Name,Amount\nA Ltd,10\n", "UTF-16"),
    ],
)
def test_bytes_that_contradict_their_own_mark_are_refused_with_the_line(data: bytes, phrase: str) -> None:
    with pytest.raises(FileRejected) as rejected:
        decode_text(data)
    assert phrase in rejected.value.reason


@given(st.binary(max_size=300))
def test_no_bytes_make_decoding_raise_anything_but_a_rejection(data: bytes) -> None:
    try:
        text, encoding = decode_text(data)
    except FileRejected as rejected:
        assert rejected.reason
    else:
        assert isinstance(text, str) and encoding


# -- what the warehouse can hold ----------------------------------------------------------------------
def _validate(tmp_path: Path, content: bytes, return_type: str = "spend") -> tuple[int, dict]:
    path = tmp_path / "return.csv"
    path.write_bytes(content)
    result = runner.invoke(
        app, ["validate", str(path), "--return-type", return_type, "--period", "2025-26-Q2", "--json"]
    )
    assert "Traceback" not in result.output
    return result.exit_code, json.loads(result.stdout)


LONGEST_ID = fact_spend.c.transaction_id.type.length  # read from the warehouse schema, never restated


@pytest.mark.parametrize(
    ("row", "column", "phrase"),
    [
        ("02/08/2025,Acme\x00 Ltd,10.00,TN,Cleaning", "supplier_name", "invisible NUL character"),
        (
            f"02/08/2025,Long Ref Ltd,10.00,{'R' * (LONGEST_ID + 1)},Cleaning",
            "transaction_id",
            "more than the 100",
        ),
        (f"02/08/2025,Long Category Ltd,10.00,TC,{'c' * 201}", "category", "more than the 200"),
    ],
)
def test_validate_holds_back_a_value_the_warehouse_cannot_hold(
    tmp_path: Path, row: str, column: str, phrase: str
) -> None:
    code, report = _validate(tmp_path, spend_csv(3, extra={1: row}).encode())
    assert code == 1  # 1 row of 3: beyond the tolerance
    [problem] = [p for p in report["problems"] if p["row"] is not None]
    assert (problem["row"], problem["column"]) == (3, column) and phrase in problem["reason"]


def test_a_measure_too_large_for_its_decimal_is_a_row_problem(tmp_path: Path) -> None:
    content = b"Measure,Value\nmentees_matched,100000000000000\nmentors_identified,3\n"
    code, report = _validate(tmp_path, content, "measures")
    [problem] = [p for p in report["problems"] if p["row"] is not None]
    assert (
        code == 1 and problem["value"] == "100000000000000" and "99,999,999,999,999.9999" in problem["reason"]
    )
    rules = network_rules(load_config(), "measures")
    check = check_return(
        b"Measure,Value\nmentees_matched,99999999999999\n", "m.csv", MEASURES, PERIOD, rules=rules
    )
    assert check.status == "accepted"  # the largest value the column holds


def test_values_at_the_warehouse_limits_load_on_both_backends(make_network, warehouse_url: str) -> None:  # type: ignore[no-untyped-def]
    network = make_network(warehouse_url)
    longest = "R" * LONGEST_ID
    content = spend_csv(3, extra={1: f"02/08/2025,{'S' * 200},99999999.99,{longest},{'c' * 200}"})
    network.bucket.write("incoming/kingsbridge-council/spend_2025-26-Q2.csv", content.encode())
    [outcome] = ingest(network)
    assert (outcome["status"], outcome["rows_loaded"]) == ("accepted", 3), outcome["message"]


@pytest.mark.parametrize("sliced", [False, True])
def test_the_last_guard_before_a_load_names_every_value_that_does_not_fit(sliced: bool) -> None:
    """The facts are looked at once more just before the load: a name one character past the column in
    characters (not bytes), and a NUL, are named; names at the limit in multi-byte characters, and a
    slice of facts whose neighbours hold a NUL, pass."""
    import pyarrow as pa

    from warehouse.capacity import facts_that_do_not_fit

    width = fact_spend.c.supplier_name.type.length
    names = ["é" * width, "Acme\x00 Ltd", "é" * (width + 1), "Plain Ltd"]
    column = pa.array(names)
    if sliced:
        assert facts_that_do_not_fit("spend", pa.table({"supplier_name": column.slice(0, 1)})) == []
        assert facts_that_do_not_fit("spend", pa.table({"supplier_name": column.slice(3, 1)})) == []
        column = column.slice(1, 2)
    found = facts_that_do_not_fit("spend", pa.table({"supplier_name": column}))
    assert found == [
        f"supplier_name: a value of {width + 1} characters (the column holds {width})",
        "supplier_name: a NUL character",
    ]


def test_amounts_adding_up_past_what_a_return_can_hold_are_refused() -> None:
    """Each line is within the suite's plausible range; a million of them are not within the audit row's."""
    import pandas as pd

    from pipeline.steps.checking import total_beyond_capacity

    lines = pd.DataFrame({"amount_gbp": [99_000_000.0] * 1_100_000})
    reason, how_to_fix = total_beyond_capacity(lines)
    assert "more than the network can record for one return" in reason and how_to_fix
    assert total_beyond_capacity(lines.head(1_000)) is None


# -- which periods ingest takes -------------------------------------------------------------------------
def test_ingest_refuses_periods_too_far_ahead_or_before_the_networks_first(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    config.write_text(config.read_text().replace("[ingest]\n", '[ingest]\nfirst_period = "2024-25"\n'))
    cfg = load_config(config)
    today = date(2026, 11, 30)  # in 2026-27: returns up to 2027-28 are taken
    assert ingest_period_problem(cfg, "2027-28-Q4", today) is None
    assert "after the next financial year (2027-28)" in ingest_period_problem(cfg, "2028-29-Q1", today).reason
    assert ingest_period_problem(cfg, "2024-25-Q1", today) is None
    assert "before 2024-25, the first period" in ingest_period_problem(cfg, "2023-24-Q4", today).reason
    # anchor validate checks a file against any well-formed past period.
    assert submission_problem(cfg, None, "spend", "1990-91-Q1", "csv") is None


def test_validate_still_checks_an_old_export(tmp_path: Path) -> None:
    path = tmp_path / "old.csv"
    path.write_text("Payment Date,Supplier Name,Amount\n01/05/1990,Old Ltd,10.00\n")
    result = runner.invoke(
        app, ["validate", str(path), "--return-type", "spend", "--period", "1990-91-Q1", "--json"]
    )
    assert result.exit_code == 0, result.output


@given(st.text(max_size=20))
def test_no_period_string_can_raise_anything_but_a_period_error(key: str) -> None:
    try:
        period = Period.parse(key)
    except PeriodError:
        return
    # Every date a rule may look at can be computed.
    assert period.previous().start < period.start <= period.end < period.next().end


def test_years_a_computer_cannot_date_are_refused_as_periods() -> None:
    for key in ("0000-01-Q1", "9999-00", "1899-00-Q4"):
        with pytest.raises(PeriodError, match="not a period we can check"):
            Period.parse(key)


def test_a_file_for_a_period_decades_ahead_is_answered_at_ingest(make_network, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    network = make_network(f"sqlite:///{tmp_path}/w.db")
    network.bucket.write("incoming/kingsbridge-council/spend_2049-50-Q1.csv", spend_csv(3).encode())
    [outcome] = ingest(network)
    assert outcome["status"] == "quarantined" and "after the next financial year" in outcome["message"]


# -- what goes back to members ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("+44 20 7946 0000", "'+44 20 7946 0000"),
        ("\t=1", "'\t=1"),
        ("-250.00", "-250.00"),
        ("-£1,234.50", "-£1,234.50"),
        ("Brightwater Ltd", "Brightwater Ltd"),
        (12, 12),
    ],
)
def test_cells_a_spreadsheet_would_run_are_made_inert(value: object, shown: object) -> None:
    assert inert(value) == shown


def test_a_workforce_header_holding_personal_values_is_never_echoed(tmp_path: Path) -> None:
    from transforms.return_types import WORKFORCE

    header = "Staff ID,As At Date,Basic Hourly Rate,E12345,SE1 7PB"
    with pytest.raises(FileRejected) as rejected:
        read_return(f"{header}\nS1,30/09/2025,15.00,x,y\n".encode(), "workforce_2025-26-Q2.csv", WORKFORCE)
    text = rejected.value.reason + rejected.value.how_to_fix
    assert "E12345" not in text and "SE1 7PB" not in text
    assert "(not shown: looks like personal data)" in text and "'Staff ID'" in text


def test_limits_come_from_the_network_config(tmp_path: Path) -> None:
    cfg = load_config(with_limits(write_config(tmp_path), {"max_rows": 7, "max_columns": 9}))
    assert (cfg.limits.read_limits().max_rows, cfg.limits.read_limits().max_columns) == (7, 9)
    assert load_config(write_config(tmp_path)).limits.read_limits() == ReadLimits()


def test_validate_refuses_a_file_past_the_size_limit_without_reading_it(tmp_path: Path) -> None:
    config = with_limits(write_config(tmp_path), {"max_file_bytes": 2048})
    path = tmp_path / "big.csv"
    path.write_text(spend_csv(100))
    result = runner.invoke(
        app,
        [
            "validate",
            str(path),
            "--return-type",
            "spend",
            "--period",
            "2025-26-Q2",
            "--config",
            str(config),
            "--json",
        ],
    )
    report = json.loads(result.stdout)
    assert result.exit_code == 1 and report["rows_read"] == 0
    assert (
        f"The file is {path.stat().st_size / 1024:,.0f} KB, more than the 2 KB"
        in report["problems"][0]["reason"]
    )


_CELLS = st.lists(
    st.one_of(
        st.none(),
        st.sampled_from(["", "Plain", "A\x00 Ltd", "A\x00", "é" * 6, "é" * 7, "ABCDEFG", "ABCDEF"]),
        st.text(max_size=9),
    ),
    min_size=1,
    max_size=12,
)


@given(_CELLS, st.integers(0, 3))
def test_text_held_by_arrow_is_judged_as_value_by_value(values: list[str | None], offset: int) -> None:
    """The Arrow shortcut of the capacity checks (``surely_fits``) clears a column only when looking value
    by value finds nothing: lengths in characters, not bytes; a NUL anywhere; a slice of a longer array
    whose neighbours hold NULs and long values."""
    import pandas as pd
    import pyarrow as pa

    from transforms.capacity import ColumnCapacity, capacity_problems, over_long_fields

    index = pd.RangeIndex(2, 2 + len(values))
    around = ["\x00" * 9] * offset
    sliced = pa.array([*around, *values, *around], pa.large_string()).slice(offset, len(values))
    in_arrow = pd.Series(pd.arrays.ArrowStringArray(sliced), index=index)
    in_python = pd.Series(values, index=index, dtype="string[python]")
    fits = {"supplier_name": ColumnCapacity(max_chars=6)}

    def problems(column: pd.Series) -> list[pd.DataFrame]:
        frame = pd.DataFrame({"supplier_name": column})
        return [capacity_problems(frame, SPEND, fits), over_long_fields(frame, SPEND, 6, "too long")]

    for found, expected in zip(problems(in_arrow), problems(in_python), strict=True):
        pd.testing.assert_frame_equal(found, expected, check_dtype=False, check_index_type=False)
