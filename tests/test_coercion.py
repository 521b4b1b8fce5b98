"""Typing raw cells: amounts, day-first dates, yes/no flags, postcodes and supplier name keys."""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from transforms.coercion import (
    PROBLEM_COLUMNS,
    coerce_return,
    normalise_postcodes,
    parse_bools,
    parse_dates,
    parse_money,
    parse_numbers,
    postcode_parts,
    supplier_name_key,
    trimmed_text,
)
from transforms.return_types import RETURN_TYPES, SPEND, WORKFORCE


def one(parse, value):  # type: ignore[no-untyped-def]
    result = parse(pd.Series([value], dtype=object)).iloc[0]
    return None if pd.isna(result) else result


# -- money -----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "pounds"),
    [
        ("£1,234.56", 1234.56),
        ("1234.56", 1234.56),
        ("-£250.00", -250.0),
        ("£-250.00", -250.0),
        ("(10.00)", -10.0),
        ("(£1,000.00)", -1000.0),
        ("12.50-", -12.5),
        ("99.99CR", -99.99),
        ("1 234.00", 1234.0),
        ("GBP 12", 12.0),
        (" £7 ", 7.0),
        ("1,234,567.891", 1234567.89),
        ("0", 0.0),
        # what copies and spreadsheets leave in a cell, and ledger suffixes in any case
        ("\u2212250.00", -250.0),  # the minus sign, as typeset
        ("\u2013250.00", -250.0),  # an en dash from autocorrect
        ("\uff0d250", -250.0),  # a full-width hyphen-minus
        ("\ufeff250", 250.0),  # a byte-order mark pasted in
        ("£1,234.56\u200b", 1234.56),  # a zero-width space
        ("'250.00", 250.0),  # Excel's text marker
        ("'-£1,234.50", -1234.5),
        ("250.00 DR", 250.0),
        ("250.00 Cr", -250.0),
        ("99.99 cr.", -99.99),
    ],
)
def test_money(text: str, pounds: float) -> None:
    assert one(parse_money, text) == pytest.approx(pounds, abs=0.001)


@pytest.mark.parametrize(
    "text", ["TBC", "n/a", "1.2.3", "--5", "£", "inf", "nan", "\u2014", "''", "CR", "=250"]
)
def test_money_that_is_not_a_number(text: str) -> None:
    assert one(parse_money, text) is None


@pytest.mark.parametrize("text", ["12,50", "1 234,56", "1.234,56", "£1234,5"])
def test_decimal_comma_amounts_are_not_read_as_thousands(text: str) -> None:
    # A European-style decimal comma must not turn £12.50 into £1,250: better unreadable than wrong.
    assert one(parse_money, text) is None


@pytest.mark.parametrize("text", ["", "   ", None])
def test_blank_money_is_missing_not_zero(text: str | None) -> None:
    assert one(parse_money, text) is None


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.decimals(min_value=-(10**12), max_value=10**12, places=2, allow_nan=False).map(str),
            st.decimals(min_value=0, max_value=10**6, places=3, allow_nan=False).map(str),
            st.sampled_from(["TBC", "", "1e3", "٣٤", "0x10", "  7 ", "12,50", "-0.00"]),
        ),
        min_size=1,
        max_size=40,
    )
)
def test_a_column_of_amounts_reads_as_each_amount_alone(texts: list[str]) -> None:
    """Plain decimals are cast for the whole column at once and only the rest go through pandas one by
    one; each cell still reads exactly as it does alone (same double, same missing)."""
    column = parse_money(pd.Series(texts, dtype="string")).tolist()
    alone = [one(parse_money, text) for text in texts]
    assert [None if pd.isna(v) else v for v in column] == alone
    for text, value in zip(texts, column, strict=True):
        if re.fullmatch(r"-?[0-9]+(?:\.[0-9]+)?", text):  # the double Python reads, to the penny
            assert value == np.round(float(text), 2)


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("37.5", 37.5),
        ("'37.5", 37.5),
        ("\ufeff16", 16.0),
        ("1,000", 1000.0),
        ("\u200b7.5\u200b", 7.5),
        ("x", None),
    ],
)
def test_numbers_read_without_what_a_copy_leaves_in_the_cell(text: str, number: float | None) -> None:
    assert one(parse_numbers, text) == number


@given(
    st.lists(
        st.one_of(st.none(), st.sampled_from(["'37.5", "37.5", "\ufeff16", "n/a", "", "1 000", "\u221237"])),
        max_size=20,
    )
)
def test_a_column_of_numbers_reads_as_each_number_alone(texts: list[str | None]) -> None:
    """Cell marks are taken off only the values that did not read: each still reads as it does alone."""
    column = parse_numbers(pd.Series(texts, dtype=object)).tolist()
    assert [None if pd.isna(v) else v for v in column] == [one(parse_numbers, t) for t in texts]


# -- dates -----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("14/08/2025", "2025-08-14"),
        ("1/10/2025", "2025-10-01"),  # day first: 1 October, not 10 January
        ("01/10/2025", "2025-10-01"),
        ("2025-08-14", "2025-08-14"),
        ("14-Aug-2025", "2025-08-14"),
        ("14 August 2025", "2025-08-14"),
        ("14.08.2025", "2025-08-14"),
        ("14/08/25", "2025-08-14"),
        ("2025-08-14 16:45:00", "2025-08-14"),  # time of day dropped
        ("29/02/2024", "2024-02-29"),
        ("2025-08-14T09:30:00Z", "2025-08-14"),  # ISO 8601, as APIs write it
        ("2025-08-14 00:00:00.000", "2025-08-14"),  # SQL Server's datetime
        ("2025-08-14T23:30:00+01:00", "2025-08-14"),  # the date written, not moved to another zone
        ("2025-08-14T23:30", "2025-08-14"),
        ("14.08.25", "2025-08-14"),
        ("14-08-25", "2025-08-14"),
        ("14 Aug 25", "2025-08-14"),
        ("Aug 14, 2025", "2025-08-14"),
        ("August 14, 2025", "2025-08-14"),
        # what exports write around a date
        ("14/08/2025 12:00:00 AM", "2025-08-14"),  # Excel's text for a date-time
        ("14/08/2025 9:30 pm", "2025-08-14"),
        ("14/08/2025 09:30:15.123", "2025-08-14"),
        ("Thursday, 14 August 2025", "2025-08-14"),
        ("Thu 14 Aug 2025", "2025-08-14"),
        ("14th August 2025", "2025-08-14"),
        ("August 14th, 2025", "2025-08-14"),
        ("1st Sept 2025", "2025-09-01"),
        ("14/AUG/2025", "2025-08-14"),  # Oracle's way
        ("14.Aug.25", "2025-08-14"),
        ("20250814", "2025-08-14"),  # SAP's way
        ("\ufeff14/08/2025", "2025-08-14"),
        ("'14/08/2025", "2025-08-14"),
    ],
)
def test_dates_day_first(text: str, iso: str) -> None:
    assert one(parse_dates, text) == pd.Timestamp(iso)


@pytest.mark.parametrize(
    "text",
    [
        "31/02/2025",
        "29/02/2025",
        "08/14/2025",
        "32/01/2025",
        "soon",
        "2025",
        "2025-02-30T10:00:00Z",
        "2025-08-14T",
        "20251314",  # no 13th month
        "21000101",  # not a year of this century or the last
        "14082025",  # day first without separators: not a layout anyone should guess
        "14/08/2025 25:99",  # not a time of day
        "Thursday",
        "Sept",
    ],
)
def test_impossible_dates(text: str) -> None:
    assert one(parse_dates, text) is None


def test_dates_keep_the_index_and_blank_is_missing() -> None:
    parsed = parse_dates(pd.Series(["14/08/2025", "", None, "1/10/2025"], index=[7, 9, 12, 30], dtype=object))
    assert list(parsed.index) == [7, 9, 12, 30]
    assert parsed.isna().tolist() == [False, True, True, False]
    assert parsed[30] == pd.Timestamp("2025-10-01")


_DATE_TEXTS = st.sampled_from(
    [
        "14/08/2025",
        "1/10/2025",
        "31/02/2025",
        "29/02/2024",
        "14-08-2025",
        "14.08.2025",
        "14/08/25",
        "2025-08-14",
        "2025-08-14 16:45:00",
        "14/08/2025 09:30",
        "14 Aug 2025",
        "14-Aug-25",
        "14 August 2025",
        "2025/08/14",
        "0001-01-01",
        "soon",
        "",
        " ",
        "08/14/2025",
        "2025-08-14T09:30:00Z",
        "2025-08-14 09:30:00.000",
        "2025-02-30T00:00:00",
        "Aug 14, 2025",
        "14.08.25",
        "Thu, 14/08/2025",
        "14/08/2025 12:00:00 AM",
        "14/08/2025 23:59 GMT",
        "14th Aug 2025",
        "1st Sept 2025",
        "14/AUG/2025",
        "20250814",
        "20251314",
        "'14/08/2025",
        "\ufeff2025-08-14",
        "\ufeff2025-08-14T09:30:00Z",
        "Friday 31/02/2025",
    ]
)


@given(st.lists(st.one_of(st.none(), _DATE_TEXTS), max_size=30))
def test_a_column_of_dates_reads_as_each_date_alone_by_the_first_layout_that_fits(texts: list) -> None:
    """The rule, value by value: an ISO 8601 date-time by its date, else the first of the layouts that
    reads the text, time of day dropped; failing that, the first that reads it without what exports
    write around a date (written here again with Python's ``re``, character by character)."""
    import re
    import unicodedata

    from transforms.coercion import DATE_FORMATS, ISO_DATE_TIME

    def by_layout(text: str) -> pd.Timestamp | None:
        for fmt in DATE_FORMATS:
            found = pd.to_datetime(pd.Series([text]), format=fmt, errors="coerce").iloc[0]
            if not pd.isna(found):
                return pd.Timestamp(found).normalize()
        return None

    def plain(text: str) -> str:
        text = "".join(c for c in text if unicodedata.category(c) != "Cf").strip()
        text = re.sub(r"^'", "", text)
        text = re.sub(r"^(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,?\s*", "", text, flags=re.I)
        text = re.sub(
            r"\s+(?:[01]?[0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9](?:[.,][0-9]+)?)?(?:\s*[ap]\.?m\.?)?"
            r"(?:\s*(?:z|utc|gmt|bst|[+-][0-9]{2}:?[0-9]{2}))?$",
            "",
            text,
            flags=re.I,
        )
        text = re.sub(r"(^|[^0-9])([0-9]{1,2})(?:st|nd|rd|th)(?![A-Za-z])", r"\1\2", text, flags=re.I)
        text = re.sub(r"(?<![A-Za-z])sept(?![A-Za-z])", "Sep", text, flags=re.I)
        text = re.sub(r"^([0-9]{1,2})[/.]([A-Za-z]{3,9})[/.]([0-9]{2,4})$", r"\1 \2 \3", text)
        return re.sub(r"^((?:19|20)[0-9]{2})(0[1-9]|1[0-2])(0[1-9]|[12][0-9]|3[01])$", r"\1-\2-\3", text)

    def alone(text: str | None) -> pd.Timestamp | None:
        if text is None or not text.strip():
            return None
        text = text.strip()
        if re.fullmatch(ISO_DATE_TIME, text):
            text = text[:10]
        found = by_layout(text)
        if found is not None:
            return found
        text = plain(text)
        return by_layout(text[:10] if re.fullmatch(ISO_DATE_TIME, text) else text)

    parsed = parse_dates(pd.Series(texts, index=range(3, 3 + len(texts)), dtype=object))
    assert list(parsed.index) == list(range(3, 3 + len(texts)))
    assert [None if pd.isna(v) else v for v in parsed] == [alone(t) for t in texts]


# -- bools, postcodes, enums -----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Yes", True),
        ("Y", True),
        ("true", True),
        ("1", True),
        (" YES ", True),
        ("No", False),
        ("n", False),
        ("FALSE", False),
        ("0", False),
        ("maybe", None),
        ("", None),
    ],
)
def test_bools(text: str, value: bool | None) -> None:
    assert one(parse_bools, text) == value


@pytest.mark.parametrize(
    ("text", "postcode"),
    [
        ("se17pb", "SE1 7PB"),
        ("SE1 7PB", "SE1 7PB"),
        (" sw1a  1aa ", "SW1A 1AA"),
        ("ec1a1bb", "EC1A 1BB"),
        ("m11ae", "M1 1AE"),
        ("dh1", "DH1"),  # too short to split: left for the suite to reject
        ("", None),
    ],
)
def test_postcodes_normalised(text: str, postcode: str | None) -> None:
    assert one(normalise_postcodes, text) == postcode


def test_enum_default_for_spend_tier_and_case_folded_sizes() -> None:
    raw = pd.DataFrame(
        {
            "supplier_name": ["Acme Ltd", "Beta Ltd", "Gamma Ltd"],
            "amount_gbp": ["1", "2", "3"],
            "spend_tier": ["", "Indirect", " DIRECT "],
            "supplier_size": [" Small ", "", "MEDIUM"],
        },
        index=[2, 3, 4],
    )
    typed, problems = coerce_return(raw, SPEND)
    assert typed["spend_tier"].tolist() == ["direct", "indirect", "direct"]
    assert typed.loc[2, "supplier_size"] == "small"
    assert pd.isna(typed.loc[3, "supplier_size"])  # blank size stays unknown, never defaulted
    assert typed.loc[4, "supplier_size"] == "medium"
    assert problems.empty


def test_spend_tier_defaults_to_direct_when_the_column_is_absent() -> None:
    raw = pd.DataFrame({"supplier_name": ["Acme Ltd"], "amount_gbp": ["1"]}, index=[2])
    typed, _ = coerce_return(raw, SPEND)
    assert typed.loc[2, "spend_tier"] == "direct"
    assert list(typed.columns) == list(SPEND.columns)  # every canonical column, absent ones null
    assert pd.isna(typed.loc[2, "payment_date"]) and pd.isna(typed.loc[2, "supplier_postcode"])


@pytest.mark.parametrize("rows", [3, 5000])  # below and above by_value's threshold
@pytest.mark.parametrize("return_type", sorted(RETURN_TYPES))
def test_a_column_left_out_reads_exactly_as_a_column_of_blanks(return_type: str, rows: int) -> None:
    """An absent column is typed from one missing value (its default, or missing) repeated; the result is
    the same, dtype included, as sending the column with every cell blank, and nothing is unreadable."""
    spec = RETURN_TYPES[return_type]
    index = pd.RangeIndex(2, rows + 2, name="row")
    absent, absent_problems = coerce_return(pd.DataFrame(index=index), spec)
    blank, blank_problems = coerce_return(
        pd.DataFrame({c: [""] * rows for c in spec.columns}, index=index, dtype="str"), spec
    )
    pd.testing.assert_frame_equal(absent, blank)
    assert absent_problems.empty and blank_problems.empty


# -- coerce_return problems ------------------------------------------------------------------------
def test_coerce_return_reports_each_unreadable_cell_with_its_value() -> None:
    raw = pd.DataFrame(
        {
            "payment_date": ["14/08/2025", "31/02/2025", ""],
            "supplier_name": ["Acme Ltd", "Beta Ltd", "Gamma Ltd"],
            "amount_gbp": ["£1,234.56", "TBC", ""],
            "is_vcse": ["Yes", "", "perhaps"],
        },
        index=[5, 6, 9],
    )
    typed, problems = coerce_return(raw, SPEND)
    assert list(problems.columns) == PROBLEM_COLUMNS
    by_cell = {(p["row"], p["column"]): p for p in problems.to_dict("records")}
    assert set(by_cell) == {(6, "payment_date"), (6, "amount_gbp"), (9, "is_vcse")}
    assert by_cell[(6, "amount_gbp")]["value"] == "TBC"
    assert "'TBC'" in by_cell[(6, "amount_gbp")]["reason"]
    assert "pounds" in by_cell[(6, "amount_gbp")]["reason"]
    assert "'31/02/2025'" in by_cell[(6, "payment_date")]["reason"]
    assert "day first" in by_cell[(6, "payment_date")]["reason"]
    assert "'perhaps'" in by_cell[(9, "is_vcse")]["reason"]
    # Blank cells are missing, not unreadable: the suite decides whether they are allowed.
    assert math.isnan(typed.loc[9, "amount_gbp"])
    assert typed.loc[5, "amount_gbp"] == 1234.56
    assert typed.loc[5, "is_vcse"]


# -- supplier name keys and postcode parts ---------------------------------------------------------
@pytest.mark.parametrize(
    "names",
    [
        [
            "Brightwater Cleaning Ltd",
            "BRIGHTWATER CLEANING LIMITED",
            "Brightwater Cleaning Ltd.",
            " brightwater  cleaning ",
        ],
        ["Café", "Cafe", "CAFÉ LTD"],
        ["O’Brien", "O'Brien", "OBrien Limited"],
        ["Smith & Sons PLC", "Smith and Sons", "SMITH AND SONS plc"],
    ],
)
def test_supplier_name_key_folds_spellings_of_one_supplier(names: list[str]) -> None:
    keys = supplier_name_key(pd.Series(names))
    assert keys.nunique() == 1, keys.tolist()
    assert keys.iloc[0]  # never folded away to nothing


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Brightwater Cleaning Ltd", "Brightwater Catering Ltd"),
        ("Smith & Sons Ltd", "Smith Ltd"),
        ("North Meridian Services", "North Meridian"),
    ],
)
def test_supplier_name_key_keeps_different_suppliers_apart(a: str, b: str) -> None:
    keys = supplier_name_key(pd.Series([a, b]))
    assert keys.iloc[0] != keys.iloc[1]


@pytest.mark.parametrize(
    ("a", "b"), [("The Company Shop", "Shop Ltd"), ("The Co-operative Group", "Operative Ltd")]
)
def test_supplier_name_key_only_strips_legal_words_at_the_edges(a: str, b: str) -> None:
    keys = supplier_name_key(pd.Series([a, b]))
    assert keys.iloc[0] != keys.iloc[1]


def test_supplier_name_key_of_missing_name_is_missing() -> None:
    assert supplier_name_key(pd.Series([None, "Acme Ltd"], dtype=object)).isna().tolist() == [True, False]


def _name_key_one_at_a_time(name: str) -> str:
    """The key's rules applied with Python's re, value by value: the oracle for the column-at-once version."""
    import re
    import unicodedata

    folded = (
        re.sub(r"[\u0300-\u036f'’`.]", "", unicodedata.normalize("NFKD", name)).lower().replace("&", " and ")
    )
    folded = re.sub(r"\s+", " ", re.sub(r"[^a-z0-9 ]", " ", folded)).strip()
    stripped = re.sub(
        r"^the\s", "", re.sub(r"(?:\s(?:limited|ltd|plc|llp|llc|inc|co|company|uk|group|cic))+$", "", folded)
    )
    return stripped or folded


@given(
    st.lists(
        st.lists(
            st.sampled_from(
                [
                    "The ",
                    "the",
                    " Ltd",
                    " LIMITED.",
                    " (UK) ",
                    " plc",
                    "&",
                    " and ",
                    "Co",
                    "'",
                    "’",
                    ".",
                    "-",
                    "\t",
                    "\n",
                    "\x0b",
                    "\u00a0",
                    "é",
                    "Ö",
                    "ﬁ",
                    "½",
                    "Σ",
                    " ",
                    "  ",
                    "Acme",
                    "café",
                    "Group",
                    "7",
                ]
            ),
            max_size=8,
        ).map("".join),
        min_size=1,
        max_size=30,
    )
)
@settings(max_examples=300, deadline=None)
def test_supplier_name_key_equals_its_rules_applied_value_by_value(names: list[str]) -> None:
    keys = supplier_name_key(pd.Series(names, dtype="string"))
    assert keys.fillna("<NA>").tolist() == [_name_key_one_at_a_time(n) for n in names]


@pytest.mark.parametrize(
    ("postcode", "area", "district"),
    [
        ("SE1 7PB", "SE", "SE1"),
        ("DA1 1AA", "DA", "DA1"),
        ("DA14 5AB", "DA", "DA14"),
        ("EC1A 1BB", "EC", "EC1A"),
        ("W1A 0AX", "W", "W1A"),
        ("M1 1AE", "M", "M1"),
        ("DH1 3LE", "DH", "DH1"),
        (None, None, None),
        ("NOT A POSTCODE", None, None),
    ],
)
def test_postcode_parts(postcode: str | None, area: str | None, district: str | None) -> None:
    areas, districts = postcode_parts(pd.Series([postcode], dtype=object))
    assert (None if pd.isna(areas.iloc[0]) else areas.iloc[0]) == area
    assert (None if pd.isna(districts.iloc[0]) else districts.iloc[0]) == district


@pytest.mark.parametrize("rows", [10, 6000])  # parsed directly, and once per distinct value
def test_parsing_once_per_distinct_value_changes_nothing_for_one_column_or_several(rows: int) -> None:
    from transforms.coercion import by_value

    def parts(postcodes: pd.Series) -> pd.DataFrame:
        area, district = postcode_parts(postcodes)
        return pd.DataFrame({"area": area, "district": district}, index=postcodes.index)

    pool = ["SE1 7PB", "M1 1AE", None, "EC1A 1BB", "not a postcode", ""]
    raw = pd.Series([pool[i % len(pool)] for i in range(rows)], index=range(5, 5 + rows), dtype="str")
    pd.testing.assert_frame_equal(by_value(parts, raw), parts(raw))
    pd.testing.assert_series_equal(by_value(normalise_postcodes, raw), normalise_postcodes(raw))
    # Plain text is read whole (cheaper than once per distinct value), with the same result either way.
    texts = raw.str.replace("SE1", " Acme\tLtd ", regex=False)
    pd.testing.assert_series_equal(by_value(trimmed_text, texts), trimmed_text(texts))


# -- units after a number -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("rate", "hours", "expected"),
    [
        ("£12.60/hr", "37.5 hrs", (12.60, 37.5)),
        ("£13.00 per hour", "37.5 hours per week", (13.00, 37.5)),
        ("12.60ph", "22.5h", (12.60, 22.5)),
        ("12.60 / Hour", "37.5 HRS/WK", (12.60, 37.5)),
        ("£12.60 an hour.", "16 hours a week", (12.60, 16.0)),
        ("12.60", "37.5", (12.60, 37.5)),
    ],
)
def test_a_value_may_carry_its_own_columns_unit(rate: str, hours: str, expected: tuple[float, float]) -> None:
    raw = pd.DataFrame({"hourly_rate_gbp": [rate], "weekly_hours": [hours]}, index=[2], dtype="str")
    typed, problems = coerce_return(raw, WORKFORCE)
    assert problems.empty
    assert (typed.loc[2, "hourly_rate_gbp"], typed.loc[2, "weekly_hours"]) == expected


@pytest.mark.parametrize(
    ("column", "text"),
    [
        ("hourly_rate_gbp", "£25,000 per annum"),  # another unit: not an hourly rate
        ("hourly_rate_gbp", "/hr"),
        ("weekly_hours", "5 days"),
        ("weekly_hours", "37.5 hrs per month"),
        ("weekly_hours", "hours"),
    ],
)
def test_another_unit_leaves_the_value_unreadable_as_written(column: str, text: str) -> None:
    raw = pd.DataFrame({column: [text]}, index=[7], dtype="str")
    typed, problems = coerce_return(raw, WORKFORCE)
    assert pd.isna(typed.loc[7, column])
    [problem] = problems.to_dict("records")
    assert (problem["row"], problem["column"]) == (7, column)
    assert problem["value"] == text  # as the member wrote it, unit and all
