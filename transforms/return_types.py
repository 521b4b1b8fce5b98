"""Canonical schemas of the returns members send, with the header aliases seen in real exports.

Members export from their own finance and HR systems, so a column arrives as "Supplier Name",
"Beneficiary" or "Creditor_Name". Headers are matched after normalisation (case, spaces and
punctuation folded), so the alias lists only need one spelling of each.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Literal

import pandas as pd

from transforms.re2_classes import WHITESPACE
from transforms.recruitment_answers import (
    AGE_BAND_VALUES,
    DISABILITY_VALUES,
    ETHNIC_GROUP_VALUES,
    YES_NO,
    read_age_bands,
    read_disability,
    read_ethnic_groups,
    read_programme_codes,
    read_still_in_post,
)

ColumnKind = Literal["text", "date", "money", "number", "enum", "bool", "postcode"]
# Units members write after a number, in the column's own terms (spelled for RE2, ``transforms.re2_classes``).
_PER_HOUR = rf"(?:/{WHITESPACE}*(?:hr|hour|h)|p/?h|per{WHITESPACE}+hour|an{WHITESPACE}+hour)"
_HOURS_A_WEEK = (
    rf"(?:hrs?|hours?|h)(?:{WHITESPACE}*(?:/{WHITESPACE}*(?:wk|week)|per{WHITESPACE}+week|a{WHITESPACE}+week"
    rf"|pw|p/w))?"
)


@dataclass(frozen=True)
class ColumnSpec:
    kind: ColumnKind
    required: bool = False
    label: str = ""
    aliases: tuple[str, ...] = ()
    allowed: tuple[str, ...] = ()
    default: str | None = None
    help: str = ""
    # Other spellings members use for an enum value ("agency" -> "contractor").
    synonyms: tuple[tuple[str, str], ...] = ()
    # Personal data: its values never appear in feedback, logs or reports.
    personal: bool = False
    # A text or enum column's own reader, for spellings that follow a pattern (age ranges, census answers)
    # rather than a list of synonyms: raw text in, canonical values out (unrecognised text is left for
    # the suite's set rule to refuse).
    reader: Callable[[pd.Series], pd.Series] | None = None
    # The column's own unit, which a value may carry after its number ('12.60/hr', '37.5 hours'): an RE2
    # pattern for the unit alone, dropped before the value is read. Any other unit ('per annum', 'days')
    # leaves the value unreadable.
    unit: str = ""


@dataclass(frozen=True)
class ReturnType:
    name: str
    label: str
    columns: dict[str, ColumnSpec]
    # Columns that must be found for the header row to be recognised at all.
    header_anchors: tuple[str, ...] = ()
    # Columns whose presence changes the shape of the return (e.g. payment lines vs supplier totals).
    notes: tuple[str, ...] = field(default_factory=tuple)
    # Sentences a blank template's notes start with (what the whole return must or must not hold).
    guidance: tuple[str, ...] = ()
    # Rows describe people who must not be identifiable: a header that looks like names, staff references,
    # contact details or dates of birth rejects the whole file (transforms.identifiers).
    anonymous: bool = False
    # A column a file may send as two instead (a ledger's Debit and Credit instead of one Amount): the
    # column is the first part less the second. The parts are optional columns of their own, read only
    # when the file has no such column itself and never written to a template.
    in_two_parts: dict[str, tuple[str, str]] = field(default_factory=dict)

    @property
    def parts(self) -> frozenset[str]:
        """Columns that only stand in for another (``in_two_parts``)."""
        return frozenset(part for pair in self.in_two_parts.values() for part in pair)

    @property
    def template_columns(self) -> dict[str, ColumnSpec]:
        """The columns a blank return asks for: every column but the parts of another."""
        return {name: spec for name, spec in self.columns.items() if name not in self.parts}

    def required_sent(self, columns: Iterable[str]) -> list[str]:
        """The required columns, a column sent in two parts standing as its parts among ``columns``. The
        first part must be there (Debit alone is the amount; Credit alone is not a spend return)."""
        sent = set(columns)
        required: list[str] = []
        for name in self.required:
            parts = self.in_two_parts.get(name, ())
            if name not in sent and parts and parts[0] in sent:
                required += [p for p in parts if p in sent]
            else:
                required.append(name)
        return required

    @property
    def has_personal_data(self) -> bool:
        return any(spec.personal for spec in self.columns.values())

    @property
    def required(self) -> list[str]:
        return [name for name, spec in self.columns.items() if spec.required]

    def alias_index(self, member_map: dict[str, str] | None = None) -> dict[str, str]:
        """Normalised header -> canonical column; a member's own map wins over the shared aliases."""
        index: dict[str, str] = {}
        for name, spec in self.columns.items():
            for alias in (name, spec.label, *spec.aliases):
                if alias:
                    index.setdefault(normalise_header(alias), name)
        for header, column in (member_map or {}).items():
            if column in self.columns:
                index[normalise_header(header)] = column
        return index


def normalise_header(header: object) -> str:
    """Fold case, currency signs, punctuation and spacing: 'Net Amount (£)' -> 'netamount'."""
    text = str(header or "").lower().replace("£", "").replace("gbp", "")
    return re.sub(r"[^a-z0-9]", "", text)


SPEND = ReturnType(
    name="spend",
    label="Procurement spend",
    header_anchors=("supplier_name", "amount_gbp"),
    columns={
        "payment_date": ColumnSpec(
            "date",
            label="Payment Date",
            aliases=(
                "date",
                "paid date",
                "date paid",
                "transaction date",
                "posting date",
                "pay date",
                "clearing date",
                "payment dt",
                "invoice payment date",
                "date of payment",
            ),
            help="Date the payment was made, day first (e.g. 14/08/2025). Leave the column out of a "
            "supplier-totals return.",
        ),
        "supplier_name": ColumnSpec(
            "text",
            required=True,
            label="Supplier Name",
            aliases=(
                "supplier",
                "beneficiary",
                "beneficiary name",
                "creditor",
                "creditor name",
                "vendor",
                "vendor name",
                "payee",
                "payee name",
                "merchant name",
                "company name",
                "supplier_name",
                "supplier name (payee)",
            ),
            help="The supplier's name as on the invoice.",
        ),
        "amount_gbp": ColumnSpec(
            "money",
            required=True,
            label="Amount",
            aliases=(
                "amount",
                "net amount",
                "amount exc vat",
                "amount excluding vat",
                "net",
                "net value",
                "value",
                "total",
                "total spend",
                "total net",
                "sumofamount_exc_vat",
                "spend",
                "line amount",
                "payment amount",
                "net payment",
                "amount paid",
                "expenditure",
            ),
            help="Net of VAT, in pounds; a credit note is negative. An export with Debit and Credit "
            "columns instead is read as Debit less Credit.",
        ),
        "amount_debit": ColumnSpec(
            "money",
            label="Debit",
            aliases=("debit", "debits", "debit amount", "debit value", "dr", "dr amount", "amount dr"),
            help="A ledger's debit (a payment), when the export has Debit and Credit columns, not one Amount.",
        ),
        "amount_credit": ColumnSpec(
            "money",
            label="Credit",
            aliases=("credit", "credits", "credit amount", "credit value", "cr", "cr amount", "amount cr"),
            help="A ledger's credit (a refund or credit note), written as a positive amount or not; it is "
            "taken off.",
        ),
        "supplier_id": ColumnSpec(
            "text",
            label="Supplier ID",
            aliases=(
                "supplier ref",
                "supplier reference",
                "supplier number",
                "supplier no",
                "vendor id",
                "vendor number",
                "company number",
                "companies house number",
                "creditor id",
                "creditor number",
                "charity number",
                "supplier code",
            ),
            help="Companies House number, charity number or your own supplier id.",
        ),
        "supplier_postcode": ColumnSpec(
            "postcode",
            label="Supplier Postcode",
            aliases=("postcode", "post code", "vendor postcode", "supplier post code", "creditor postcode"),
            help="The supplier's postcode (e.g. SE1 7PB).",
        ),
        "transaction_id": ColumnSpec(
            "text",
            label="Transaction ID",
            aliases=(
                "transaction number",
                "transaction no",
                "transaction ref",
                "payment ref",
                "payment reference",
                "invoice number",
                "invoice no",
                "document number",
                "doc no",
                "reference",
                "ref",
            ),
            help="Your reference for the payment line; must be unique within the file.",
        ),
        "category": ColumnSpec(
            "text",
            label="Category",
            aliases=(
                "expense type",
                "expense category",
                "service category",
                "cost category",
                "procurement category",
                "proclass",
                "spend category",
                "account description",
            ),
        ),
        "department": ColumnSpec(
            "text",
            label="Department",
            aliases=(
                "directorate",
                "service area",
                "cost centre",
                "cost center",
                "service",
                "division",
                "department name",
            ),
        ),
        "supplier_size": ColumnSpec(
            "enum",
            label="Supplier Size",
            aliases=("size", "organisation size", "business size", "sme size"),
            allowed=("micro", "small", "medium", "large"),
            help="micro (<10 staff), small (<50), medium (<250) or large; leave blank if unknown.",
        ),
        "is_vcse": ColumnSpec(
            "bool",
            label="VCSE",
            aliases=("is vcse", "vcse flag", "voluntary sector", "charity or vcse"),
            help="Yes if the supplier is a voluntary, community or social enterprise.",
        ),
        "is_diverse_owned": ColumnSpec(
            "bool",
            label="Diverse Owned",
            aliases=("is diverse owned", "diverse owned business", "diverse"),
            help="Yes if the supplier is majority owned by women, ethnic minority or disabled people.",
        ),
        "spend_tier": ColumnSpec(
            "enum",
            label="Spend Tier",
            aliases=("tier",),
            allowed=("direct", "indirect"),
            default="direct",
            help="direct (you paid the supplier) or indirect (through a Tier 1 contractor).",
        ),
    },
    in_two_parts={"amount_gbp": ("amount_debit", "amount_credit")},
)

WORKFORCE = ReturnType(
    name="workforce",
    label="Workforce snapshot",
    header_anchors=("employee_ref", "hourly_rate_gbp"),
    columns={
        "employee_ref": ColumnSpec(
            "text",
            required=True,
            label="Employee Reference",
            aliases=(
                "employee ref",
                "employee id",
                "employee number",
                "staff id",
                "staff number",
                "payroll number",
                "payroll id",
                "person id",
                "worker id",
                "assignment number",
                "emp no",
            ),
            personal=True,
            help="Your payroll or staff number. It is replaced by a pseudonym as soon as the file arrives.",
        ),
        "snapshot_date": ColumnSpec(
            "date",
            required=True,
            label="Snapshot Date",
            aliases=("as at date", "as at", "report date", "date", "census date", "effective date"),
            help="The date the snapshot describes, inside the return's period (e.g. 30/09/2025).",
        ),
        "hourly_rate_gbp": ColumnSpec(
            "money",
            required=True,
            label="Hourly Rate",
            aliases=(
                "hourly rate gbp",
                "basic hourly rate",
                "hourly pay",
                "rate per hour",
                "base hourly rate",
                "basic rate",
                "hourly rate of pay",
                "pay rate",
                "standard hourly rate",
                "standard rate of pay",
                "standard rate",
            ),
            help="Basic hourly pay in pounds, before overtime and allowances.",
            unit=_PER_HOUR,
        ),
        "weekly_hours": ColumnSpec(
            "number",
            required=True,
            label="Weekly Hours",
            aliases=(
                "contracted hours",
                "hours per week",
                "weekly contracted hours",
                "contracted weekly hours",
                "hours",
                "standard hours",
                "standard weekly hours",
                "working hours",
            ),
            help="Contracted hours per week (more than 0, at most 100).",
            unit=_HOURS_A_WEEK,
        ),
        "employment_basis": ColumnSpec(
            "enum",
            required=True,
            label="Employment Basis",
            aliases=(
                "employment type",
                "basis",
                "contract type",
                "worker type",
                "staff type",
                "employment status",
            ),
            allowed=("direct", "contractor"),
            synonyms=(
                ("employee", "direct"),
                ("direct employee", "direct"),
                ("staff", "direct"),
                ("permanent", "direct"),
                ("fixed term", "direct"),
                ("third party", "contractor"),
                ("agency", "contractor"),
                ("outsourced", "contractor"),
                ("contracted", "contractor"),
                ("contractors", "contractor"),
            ),
            help="direct (on your payroll) or contractor (regular third-party contracted staff).",
        ),
        "is_apprentice": ColumnSpec(
            "bool",
            label="Apprentice",
            aliases=("is apprentice", "apprentice flag", "apprenticeship"),
            help="Yes for apprentices.",
        ),
        "apprenticeship_start_date": ColumnSpec(
            "date",
            label="Apprenticeship Start Date",
            aliases=("apprentice start date", "apprenticeship start", "start date of apprenticeship"),
        ),
        "home_postcode_district": ColumnSpec(
            "postcode",
            label="Home Postcode District",
            aliases=(
                "home postcode",
                "home district",
                "postcode district",
                "home post code",
                "postcode",
                "home outward code",
                "outward code",
            ),
            personal=True,
            help="Only the first half of the home postcode (e.g. SE1); full postcodes are rejected.",
        ),
        "age_band": ColumnSpec("text", label="Age Band", aliases=("age group", "age range")),
        "sex": ColumnSpec("text", label="Sex", aliases=("gender",)),
        "ethnicity_group": ColumnSpec("text", label="Ethnicity Group", aliases=("ethnicity", "ethnic group")),
        "disability": ColumnSpec("text", label="Disability", aliases=("disabled", "disability status")),
    },
)

PROGRAMME_ALIASES = (
    "programme",
    "program",
    "program code",
    "programme id",
    "scheme",
    "scheme code",
    "project code",
)

MEASURES = ReturnType(
    name="measures",
    label="Measures",
    header_anchors=("measure_code", "value"),
    columns={
        "measure_code": ColumnSpec(
            "text",
            required=True,
            label="Measure Code",
            aliases=("measure", "code", "indicator code", "kpi code", "metric code", "measure id"),
            help="A code from the network's measure catalogue, e.g. mentors_matched.",
        ),
        "value": ColumnSpec(
            "number",
            required=True,
            label="Value",
            aliases=("amount", "count", "quantity", "total", "result", "figure"),
            help="The number for the period, in the measure's unit.",
        ),
        "unit": ColumnSpec(
            "text",
            label="Unit",
            aliases=("units", "unit of measure", "uom"),
            help="The measure's unit as the catalogue gives it (e.g. people, tCO2e, GBP); checked when given.",
        ),
        "notes": ColumnSpec("text", label="Notes", aliases=("comment", "comments", "description")),
        "evidence_ref": ColumnSpec(
            "text", label="Evidence Reference", aliases=("evidence", "evidence reference", "source", "link")
        ),
        "programme_code": ColumnSpec(
            "text",
            label="Programme Code",
            aliases=PROGRAMME_ALIASES,
            reader=read_programme_codes,
            help="Leave blank, or give the code of the network programme the figure belongs to (e.g. "
            "green-spaces): a row naming a programme counts towards that programme's social return on "
            "investment. Report programme investment as the measure programme_investment_gbp.",
        ),
    },
)

RECRUITMENT = ReturnType(
    name="recruitment",
    label="Recruitment",
    header_anchors=("offer_date", "previously_unemployed"),
    anonymous=True,
    guidance=(
        "One row per job offer made in the period. No names, staff or payroll numbers, contact details or "
        "dates of birth: a file with such a column is refused whole.",
        "Send the same file name again later to fill in 'Still In Post After Six Months'.",
    ),
    columns={
        "offer_date": ColumnSpec(
            "date",
            required=True,
            label="Offer Date",
            aliases=(
                "date of offer",
                "job offer date",
                "offer made",
                "date offered",
                "offer made date",
                "conditional offer date",
                "unconditional offer date",
                "offer",
            ),
            help="The date the job was offered, inside the return's period (e.g. 14/08/2025).",
        ),
        "start_date": ColumnSpec(
            "date",
            label="Start Date",
            aliases=(
                "employment start date",
                "date started",
                "start",
                "commencement date",
                "actual start date",
                "first day",
                "date joined",
            ),
            help="The day the person started work; leave blank if they have not started yet.",
        ),
        "programme_code": ColumnSpec(
            "text",
            label="Programme Code",
            aliases=PROGRAMME_ALIASES,
            reader=read_programme_codes,
            help="Leave blank, or give the code of the network programme the hire belongs to.",
        ),
        "previously_unemployed": ColumnSpec(
            "bool",
            required=True,
            label="Previously Unemployed",
            aliases=(
                "unemployed before offer",
                "unemployed at offer",
                "was unemployed",
                "unemployed prior to offer",
                "previously unemployed yn",
                "unemployed before",
                "prior unemployed",
            ),
            personal=True,
            help="Yes if the person was unemployed (or economically inactive and looking for work) when offered "
            "the job, otherwise No.",
        ),
        "age_band": ColumnSpec(
            "enum",
            label="Age Band",
            aliases=("age group", "age range", "age", "age at offer", "age band at offer"),
            allowed=AGE_BAND_VALUES,
            reader=read_age_bands,
            personal=True,
            help="The person's age band at the offer date: 16-17, 18-24, 25-34, 35-44, 45-54, 55-64 or 65+ "
            "(an age or a narrower range such as 21-24 is put in its band; only the band is kept).",
        ),
        "ethnic_group": ColumnSpec(
            "enum",
            label="Ethnic Group",
            aliases=("ethnicity", "ethnic origin", "ethnic background", "ethnicity group", "ethnic category"),
            allowed=ETHNIC_GROUP_VALUES,
            reader=read_ethnic_groups,
            personal=True,
            help="The census high-level group: Asian, Black, Mixed, White or Other (the detailed census answers, "
            "such as Bangladeshi or White and Black Caribbean, are put in their group), or prefer not to say.",
        ),
        "disability": ColumnSpec(
            "enum",
            label="Disability",
            aliases=("disabled", "disability status", "has a disability", "self-reported disability"),
            allowed=DISABILITY_VALUES,
            reader=read_disability,
            personal=True,
            help="Whether the person considers themselves disabled: yes, no or prefer not to say.",
        ),
        "home_postcode_district": ColumnSpec(
            "postcode",
            label="Home Postcode District",
            aliases=(
                "home postcode",
                "home district",
                "postcode district",
                "postcode",
                "home outward code",
                "outward code",
                "home area",
            ),
            personal=True,
            help="Only the first half of the home postcode (e.g. SE15); full postcodes are refused.",
        ),
        "deprivation_decile": ColumnSpec(
            "number",
            label="Deprivation Decile",
            aliases=(
                "imd decile",
                "index of multiple deprivation decile",
                "imd",
                "deprivation",
                "home imd decile",
            ),
            personal=True,
            help="The Index of Multiple Deprivation decile of the person's home neighbourhood, 1 (most deprived "
            "10%) to 10 (least deprived), if you know it instead of, or as well as, the postcode district.",
        ),
        "still_in_post_6m": ColumnSpec(
            "enum",
            label="Still In Post After Six Months",
            aliases=(
                "still in post",
                "in post after 6 months",
                "still in post after 6 months",
                "retained 6 months",
                "retained after six months",
                "retained at 6 months",
                "six month retention",
                "6 month retention",
            ),
            allowed=YES_NO,
            reader=read_still_in_post,
            personal=True,
            help="Yes or No once six months have passed since the start date; blank until then (send the file "
            "again, with the same name, to fill it in).",
        ),
    },
)

RETURN_TYPES: dict[str, ReturnType] = {rt.name: rt for rt in (SPEND, WORKFORCE, MEASURES, RECRUITMENT)}
