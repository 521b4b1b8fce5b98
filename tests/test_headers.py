"""Header recognition that generalises: spellings nobody listed are read by their words.

The base spellings below were collected from UK public bodies' published spend files and HR and
measures templates; many are in no alias list. Each is then varied the way finance systems and
spreadsheets vary them (case, separators, camelCase, export prefixes, system suffixes, a typo, word
order, American spelling), and every variant must be read as its own column or not at all: a wrong
mapping loads the wrong values, which is worse than asking the member.
"""

from __future__ import annotations

import random
import re

import pytest

from transforms.headers import HeaderRecogniser, header_words, mapping_summary, recogniser
from transforms.raw_table import FileRejected
from transforms.reading import read_return
from transforms.return_types import MEASURES, SPEND, WORKFORCE, ReturnType, normalise_header

SPELLINGS: dict[str, dict[str, list[str]]] = {
    "spend": {
        "supplier_name": [
            "Supplier Name",
            "Supplier",
            "Vendor Name",
            "Payee Name",
            "Beneficiary",
            "Beneficiary Name",
            "Creditor Name",
            "Merchant Name",
            "Supplier Legal Name",
            "Name of Supplier",
            "Vendor",
            "Payee",
            "Contractor Name",
            "Provider Name",
            "Recipient Name",
            "Supplier Trading Name",
            "Vendor Legal Name",
            "Suppliers Name",
        ],
        "amount_gbp": [
            "Amount",
            "Net Amount",
            "Nett Amount",
            "Amount Excluding VAT",
            "Amount excl VAT",
            "Net Value",
            "Value",
            "Total",
            "Invoice Amount",
            "Invoice Value",
            "Line Amount",
            "Line Value",
            "Amount Paid",
            "Payment Amount",
            "Net Payment Amount",
            "Transaction Amount",
            "Amount in LC",  # SAP: the ledger's local currency
            "Amount in Local Currency",
            "LC Amount",
            "Expenditure",
            "Total Spend",
            "Value Excluding VAT",
            "Net Expenditure",
            "Nett Value",
            "Net of VAT",
            "Invoice Line Value",
        ],
        "payment_date": [
            "Payment Date",
            "Date Paid",
            "Paid Date",
            "Transaction Date",
            "Posting Date",
            "Pay Date",
            "Date",
            "Date of Payment",
            "Clearing Date",
            "Invoice Payment Date",
            "Payment Run Date",
        ],
        "supplier_id": [
            "Supplier ID",
            "Supplier Number",
            "Supplier Reference",
            "Vendor ID",
            "Vendor Number",
            "Creditor Number",
            "Supplier Code",
            "Payee Reference",
            "Company Number",
            "Companies House Number",
            "Charity Number",
            "Creditor Ref",
            "Vendor Code",
        ],
        "transaction_id": [
            "Transaction Number",
            "Transaction ID",
            "Trans No",
            "Invoice Number",
            "Invoice Reference",
            "Document Number",
            "Doc No",
            "Payment Reference",
            "Voucher Number",
            "Transaction Reference",
        ],
        "supplier_postcode": ["Supplier Postcode", "Postcode", "Vendor Post Code", "Supplier Postal Code"],
        "category": [
            "Expense Type",
            "Expenditure Category",
            "Category",
            "Service Category",
            "Spend Category",
            "Procurement Category",
            "Expense Category",
        ],
        "department": [
            "Directorate",
            "Department",
            "Service Area",
            "Cost Centre",
            "Division",
            "Organisational Unit",
        ],
    },
    "workforce": {
        "employee_ref": [
            "Employee Number",
            "Employee ID",
            "Staff Number",
            "Payroll Number",
            "Employee Reference",
            "Staff Ref",
            "Assignment Number",
            "Worker ID",
            "Personnel Number",
        ],
        "snapshot_date": ["Snapshot Date", "As At Date", "Report Date", "Census Date", "Effective Date"],
        "hourly_rate_gbp": [
            "Hourly Rate",
            "Basic Hourly Rate",
            "Rate per Hour",
            "Hourly Pay",
            "Hourly Rate of Pay",
            "Pay Rate",
            "Hourly Wage",
            "Base Hourly Rate",
            "Standard Hourly Rate",
            "Std Rate",
            "Normal Rate of Pay",
        ],
        "weekly_hours": [
            "Weekly Hours",
            "Contracted Hours",
            "Hours per Week",
            "Weekly Contracted Hours",
            "Contracted Weekly Hours",
            "Standard Hours",
            "Std Hours",
            "Normal Hours",
            "Regular Weekly Hours",
            "Working Hours",
        ],
        "employment_basis": [
            "Employment Basis",
            "Employment Type",
            "Contract Type",
            "Worker Type",
            "Staff Type",
        ],
    },
    "measures": {
        "measure_code": [
            "Measure Code",
            "Measure",
            "Indicator Code",
            "KPI Code",
            "Metric Code",
            "Measure ID",
        ],
        "value": ["Value", "Count", "Quantity", "Result", "Figure", "Total Value"],
        "unit": ["Unit", "Units", "Unit of Measure"],
        "evidence_ref": ["Evidence", "Evidence Reference", "Evidence Link", "Source"],
    },
}
RETURN_TYPES = {"spend": SPEND, "workforce": WORKFORCE, "measures": MEASURES}
# Columns of money or counts: the only ones a pivot table sums.
SUMMED = {"amount_gbp", "value", "hourly_rate_gbp", "weekly_hours"}

# Headers that must never be read as these columns: the member's own name, codes, VAT, counts, other dates.
NOT = {
    "spend": {
        "supplier_name": [
            "Body Name",
            "Organisation",
            "Organisation Name",
            "Client",
            "Payer Name",
            "Supplier ID",
            "Supplier (ID)",
            "Supplier (No)",
            "Supplier Postcode",
            "Supplier Address",
            "Supplier Type",
            "Count of Supplier",
            "Supplier Size",
        ],
        "amount_gbp": [
            "Amount (EUR)",  # another currency: never read as pounds
            "USD Value",
            "Amount in Euros",
            "Expenditure Code",
            "Expenditure Category",
            "Type of Expenditure",
            "VAT",
            "VAT Amount",
            "Total VAT",
            "Net VAT",
            "Cost Code",
            "Count of Amount",
            "Amount Code",
            "Paid Date",
            "Expenditure Unit",
            "Percentage of Spend",
        ],
        "payment_date": ["Due Date", "Date Created", "Payment Amount", "Payment Reference", "Amount Paid"],
        "transaction_id": ["Supplier ID", "Expenditure Code", "Cost Code", "Account Code"],
    },
    "workforce": {
        "snapshot_date": [
            "Date of Birth",
            "Start Date",
            "Leaving Date",
            "End Date",
            "Apprenticeship Start Date",
        ],
        "weekly_hours": ["Overtime Hours", "Hourly Rate", "Hours Rate"],
        "hourly_rate_gbp": ["Annual Salary", "Weekly Hours", "Salary"],
        "employee_ref": ["Employee Name", "Manager ID"],
    },
    "measures": {"measure_code": ["Measure Name", "Unit of Measure"]},
}

_US = {"ise": "ize", "isation": "ization", "centre": "center", "catalogue": "catalog"}


def _typo(word: str, rng: random.Random) -> str:
    """One slip of the finger in a long word (never its first letter): dropped, doubled, swapped or struck."""
    i = rng.randrange(1, len(word) - 1)
    kind = rng.choice(["drop", "double", "swap", "strike"])
    if kind == "drop":
        return word[:i] + word[i + 1 :]
    if kind == "double":
        return word[:i] + word[i] + word[i:]
    if kind == "swap":
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    return word[:i] + rng.choice("aeiourstn") + word[i + 1 :]


def variants(base: str, column: str, rng: random.Random) -> list[str]:
    words = base.split()
    out = [
        base.lower(),
        base.upper(),
        "_".join(w.lower() for w in words),
        "-".join(words),
        "".join(w.title() for w in words),  # PascalCase
        words[0].lower() + "".join(w.title() for w in words[1:]),  # camelCase
        ".".join(words),
        f"  {base}  ",
        f"{base} (T)",
        f"{base}_1",
        f"{base} [R]",
        f'"{base}"',
    ]
    if column in SUMMED:
        out += [
            f"Sum of {base}",
            f"Total of {base}",
            f"SumOf{''.join(w.title() for w in words)}",
            f"{base} (£)",
        ]
        if column == "amount_gbp":
            out += [f"{base} GBP", f"{base} £"]
    long_words = [w for w in words if len(w) >= 6]
    if long_words:
        word = rng.choice(long_words)
        out.append(base.replace(word, _typo(word, rng), 1))
    if len(words) == 2 and words[1].lower() in {"name", "date", "reference", "category", "type"}:
        out.append(f"{words[1]} of {words[0]}")  # "Date of Payment", "Name of Supplier"
    for uk, us in _US.items():
        if uk in base.lower():
            out.append(re.sub(uk, us, base, flags=re.IGNORECASE))
    return out


def generated() -> list[tuple[str, str, str]]:
    """(return type, expected column, header) for every base spelling and its variants."""
    rng = random.Random(13)
    cases = []
    for return_type, columns in SPELLINGS.items():
        for column, bases in columns.items():
            for base in bases:
                cases += [(return_type, column, v) for v in [base, *variants(base, column, rng)]]
    return cases


def best(names: HeaderRecogniser, header: str) -> str | None:
    scores = names.scores(header)
    return scores[0].column if scores else None


def test_generated_spellings_are_recognised_and_never_mapped_wrongly() -> None:
    cases = generated()
    wrong, missed = [], []
    for return_type, column, header in cases:
        found = best(recogniser(RETURN_TYPES[return_type]), header)
        if found is None:
            missed.append((column, header))
        elif found != column:
            wrong.append((column, header, found))
    assert len(cases) > 1000
    assert wrong == []
    assert 1 - len(missed) / len(cases) >= 0.97, missed


def test_the_generated_set_is_wider_than_the_alias_tables() -> None:
    """Most generated spellings are in no alias list: the words, not the list, recognise them."""
    cases = generated()
    listed = 0
    for return_type, column, header in cases:
        aliases = RETURN_TYPES[return_type].alias_index()
        listed += aliases.get(normalise_header(header)) == column
    share_listed = listed / len(cases)
    assert share_listed < 0.6
    recognised = sum(best(recogniser(RETURN_TYPES[rt]), h) == c for rt, c, h in cases) / len(cases)
    assert recognised - share_listed > 0.35


@pytest.mark.parametrize(
    ("return_type", "column", "header"),
    [
        (rt, column, v)
        for rt, columns in NOT.items()
        for column, headers in columns.items()
        for header in headers
        for v in (header, header.upper(), header.replace(" ", "_").lower())
    ],
)
def test_headers_of_another_kind_are_never_taken_for_the_column(
    return_type: str, column: str, header: str
) -> None:
    assert best(recogniser(RETURN_TYPES[return_type]), header) != column


@pytest.mark.parametrize(
    ("header", "words"),
    [
        ("Sum of Nett_Amount (£) (T)", ("nett", "amount")),
        ("Amount excl. VAT", ("amount", "net")),
        ("Amount inc VAT", ("amount", "gross")),
        ("Net of VAT", ("net",)),
        ("VAT", ("vat",)),
        ("SupplierID", ("supplier", "id")),
        ("VATAmount", ("vat", "amount")),
        ("Supplier’s Name", ("suppliers", "name")),
        ("Supplier Name_1", ("supplier", "name")),
        ("Invoice #", ("invoice", "number")),
        ("Count of Supplier", ("count", "supplier")),
        ("Post Code", ("postcode",)),
        ("Cost Center", ("cost", "centre")),
        ("Amt in loc.cur.", ("amt",)),
        ("Local Authority", ("local", "authority")),
    ],
)
def test_header_words(header: str, words: tuple[str, ...]) -> None:
    assert header_words(header) == words


def _mapped(
    header_row: str, return_type: ReturnType = SPEND, column_map: dict[str, str] | None = None
) -> dict[str, str]:
    return recogniser(return_type, column_map).map(header_row.split(",")).mapped


@pytest.mark.parametrize(
    ("header_row", "amount_header"),
    [
        ("Supplier,Gross Amount,VAT,Net Amount", "Net Amount"),
        ("Supplier,Amount inc VAT,VAT Amount,Amount exc VAT", "Amount exc VAT"),
        ("Supplier,Value Including VAT,Value Excluding VAT,VAT", "Value Excluding VAT"),
        ("Supplier,Gross,VAT,Nett", "Nett"),
        ("Supplier,Amount,Net Amount", "Net Amount"),
        ("Supplier,VAT,Gross Amount", "Gross Amount"),  # only a gross amount: better than refusing the file
    ],
)
def test_net_wins_when_gross_vat_and_net_compete(header_row: str, amount_header: str) -> None:
    mapped = _mapped(header_row)
    assert [h for h, c in mapped.items() if c == "amount_gbp"] == [amount_header]
    assert "VAT" not in mapped and "VAT Amount" not in mapped


def test_an_id_or_code_column_is_never_taken_for_the_name_or_amount() -> None:
    mapped = _mapped("Supplier ID,Expenditure Code,Supplier Name,Amount,Body Name")
    assert mapped == {
        "Supplier ID": "supplier_id",
        "Supplier Name": "supplier_name",
        "Amount": "amount_gbp",
    }
    # With no supplier name at all, the ID column still does not stand in for it.
    mapping = recogniser(SPEND).map(["Supplier ID", "Expenditure Code", "Amount"])
    assert mapping.missing == ("supplier_name",)


def test_the_members_own_map_always_wins() -> None:
    # Both headers are known names; the member says the other one is their supplier.
    mapped = _mapped("Supplier Name,Payee,Amount", column_map={"Payee": "supplier_name"})
    assert mapped == {"Payee": "supplier_name", "Amount": "amount_gbp"}
    matches = {
        m.header: m for m in recogniser(SPEND, {"Payee": "supplier_name"}).map(["Payee", "Amount"]).matches
    }
    assert matches["Payee"].how == "your column map"


def test_the_mapping_records_how_each_header_was_read() -> None:
    table = read_return(
        b"Name of Suplier,Sum of Nett Amount,Payment Date,Body Name\nAcme Ltd,10.00,14/08/2025,Kingsbridge\n",
        "spend.csv",
        SPEND,
    )
    how = {m.header: (m.column, m.how) for m in table.header_matches}
    assert how == {
        "Name of Suplier": ("supplier_name", "words, allowing a typo"),
        "Sum of Nett Amount": ("amount_gbp", "words"),
        "Payment Date": ("payment_date", "known name"),
    }
    assert table.ignored == ["Body Name"]
    assert all(0.6 <= m.score <= 1 for m in table.header_matches)
    assert mapping_summary(table.header_matches, table.ignored, SPEND) == [
        "'Name of Suplier' read as Supplier Name (words, allowing a typo, 0.95)",
        "'Sum of Nett Amount' read as Amount (words, 1.00)",
        "'Payment Date' read as Payment Date (known name, 1.00)",
        "Not used: 'Body Name'.",
    ]


def test_a_missing_column_names_the_closest_headers_and_how_to_map_them() -> None:
    with pytest.raises(FileRejected) as excinfo:
        read_return(b"Account Holder,Amount,Payment Date\nAcme Ltd,10.00,14/08/2025\n", "spend.csv", SPEND)
    error = excinfo.value
    assert "'Supplier Name'" in error.reason
    assert "The closest to Supplier Name is 'Account Holder'." in error.reason
    assert "rename it to 'Supplier Name'" in error.how_to_fix
    assert 'anchor columns map --member <your member id> "Account Holder" supplier_name' in error.how_to_fix
    assert error.rows_read == 1


def test_a_typo_in_a_short_word_is_not_guessed() -> None:
    # 'Nmae' and 'Dtae' are four letters: too short to tell a typo from another word ('rate', 'name').
    names = recogniser(SPEND)
    assert best(names, "Dtae") is None
    assert best(names, "Payer") is None  # one letter from 'payee', but the member paying, not the supplier


@pytest.mark.parametrize("return_type", [SPEND, WORKFORCE, MEASURES], ids=lambda rt: rt.name)
def test_every_label_and_alias_still_maps_to_its_column(return_type: ReturnType) -> None:
    names = recogniser(return_type)
    for column, spec in return_type.columns.items():
        for alias in (spec.label, *spec.aliases):
            assert best(names, alias) == column or _listed_twice(return_type, alias), (alias, column)


def _listed_twice(return_type: ReturnType, alias: str) -> bool:
    """An alias two columns list (e.g. 'postcode' in the workforce return): the first column keeps it."""
    key = normalise_header(alias)
    owners = [
        c
        for c, s in return_type.columns.items()
        if key in {normalise_header(a) for a in (s.label, *s.aliases)}
    ]
    return len(owners) > 1


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (
            ["Dyddiad / Date", "Enw'r Cyflenwr / Supplier Name", "Swm / Amount", "Categori / Category"],
            ["payment_date", "supplier_name", "amount_gbp", "category"],
        ),
        (
            ["Date / Dyddiad", "Supplier Name | Enw Cyflenwr", "Amount (£) / Swm (£)", "Cod Post / Postcode"],
            ["payment_date", "supplier_name", "amount_gbp", "supplier_postcode"],
        ),
    ],
    ids=["welsh-first", "english-first"],
)
def test_bilingual_headers_are_read_by_either_half(header: list[str], expected: list[str]) -> None:
    """Welsh public bodies publish their headers in both languages: a header is read whole and by each
    half around a spaced slash or bar, and each column takes its best score."""
    mapping = recogniser(SPEND).map(header)
    assert [m.column for m in mapping.matches] == expected
    assert not mapping.missing and not mapping.ignored


def test_a_slash_without_spaces_or_a_line_break_does_not_split_a_header() -> None:
    names = recogniser(SPEND)
    assert names.scores("Invoice\nDate") == names.scores("Invoice Date")  # not read as 'Date' alone
    assert [s.column for s in names.scores("Dyddiad/Swm")] == []
