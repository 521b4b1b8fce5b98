"""The one list of the network's KPIs: code, names, unit, definition, direction, disclosure basis, order.

Everything that names a KPI reads it from here: the KPI maths (units, which figures add up over a year,
which count of people each figure rests on), the City Hall report and workbook (names, definitions, the
order of cards and columns), the e-mails and ``anchor kpis``. A KPI is named twice: a short name for
table headings, chart labels and e-mail lines ("SME share"), and a name for cards and definitions
("Share of spend with SMEs").

Some codes are families rather than entries: ``measure:<code>`` (the network's measure catalogue
names them), ``social_value_gbp:<theme>``, and ``<kpi>_ytd``, the financial year to the end of a quarter
for KPIs that add up over a year. :func:`lookup` resolves all of them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Literal, Protocol

Family = Literal[
    "spend", "spend_scope", "workforce", "measures", "social_value", "basis", "programmes", "recruitment"
]
YTD_SUFFIX = "_ytd"
MEASURE_PREFIX = "measure:"
SOCIAL_VALUE = "social_value_gbp"
OUT_OF_SCOPE_PREFIX = "spend_out_of_scope:"
COVERAGE_KPI = "spend_size_known_pct"
SOURCE_KPI_PREFIX = "spend_size_source_pct:"

# The categories of spend the network's rules set out of scope (``transforms.spend_scope``).
OUT_OF_SCOPE_LABELS = {
    "taxes_hmrc": "Taxes, duties and HMRC",
    "public_body": "Other public bodies",
    "pension_fund": "Pension funds",
    "individual_or_redacted": "Payments to individuals (names redacted)",
    "internal_or_vat_only": "Internal lines and VAT-only lines",
    "refund": "Refunds",
    "transfer_payment": "Payments made on behalf of residents or staff",
    "grant": "Grants",
}
# What a category may be called (``transforms.spend_scope`` checks a network's rules against the same).
_CATEGORY = re.compile(r"[a-z][a-z0-9_]{1,40}")
# Programme figures since the programme began (``transforms.sroi``, ``transforms.recruitment_kpis``).
TO_DATE_SUFFIX = "_to_date"
RATIO_UNIT = "GBP per GBP"
# The groups of each recruitment dimension (``transforms.recruitment_kpis``), and their names.
RECRUITMENT_DIMENSIONS = {
    "ethnicity": "Ethnic group",
    "age": "Age",
    "disability": "Disability",
    "unemployed": "Previously unemployed",
    "deprivation": "Home area",
}
GROUP_LABELS = {
    "asian": "Asian, Asian British or Asian Welsh",
    "black": "Black, Black British, Black Welsh, Caribbean or African",
    "mixed": "Mixed or Multiple ethnic groups",
    "white": "White",
    "other": "Other ethnic group",
    "ethnic_minority": "Asian, Black, Mixed or Other ethnic groups",
    "not_stated": "Not stated (prefer not to say or blank)",
    "16_17": "16-17",
    "18_24": "18-24",
    "25_34": "25-34",
    "35_44": "35-44",
    "45_54": "45-54",
    "55_64": "55-64",
    "65_plus": "65 and over",
    "under_25": "Under 25",
    "55_plus": "55 and over",
    "yes": "Yes",
    "no": "No",
    "deciles_1_2": "Most deprived 20% of neighbourhoods (deciles 1-2)",
    "deciles_3_10": "Deciles 3-10",
    "unknown": "Home area not known",
}
# Where a supplier's size came from (``transforms.supplier_coverage``).
SIZE_SOURCE_LABELS = {
    "member_return": "the member's return",
    "network_register": "the network's supplier register",
    "companies_house": "Companies House (accounts category)",
    "charity_register": "the charity register (income)",
    "unknown": "size unknown",
    "known": "size known",
}


@dataclass(frozen=True)
class Kpi:
    code: str
    short_name: str
    name: str
    unit: str  # "GBP" | "%" | "count" | a measure's own unit
    definition: str
    # True: more is better (SME share); False: less is better; None: neither (a headcount, unknown size).
    higher_is_better: bool | None
    family: Family
    order: int
    # Disclosure control: the KPI (a count of people) this figure is derived from, or None when it is
    # not about people (spend, measures) and is never suppressed.
    people_basis: str | None = None
    # Flows add up over a year's quarters (spend, uplifts, starts); stocks (staff, shares) do not.
    flow: bool = False
    # Shown for the financial year to the end of a quarter (``<code>_ytd``): flows, and shares worked out
    # from flows (a year-to-date SME share is year-to-date SME spend over year-to-date spend).
    to_date: bool = False


class CatalogueMeasure(Protocol):
    """What the registry needs of a network's measure catalogue entry (``pipeline.config.Measure``)."""

    code: str
    name: str
    unit: str


def _spend(
    order: int, code: str, short: str, name: str, unit: str, definition: str, better: bool | None
) -> Kpi:
    return Kpi(code, short, name, unit, definition, better, "spend", order, flow=unit == "GBP", to_date=True)


def _staff(
    order: int,
    code: str,
    short: str,
    name: str,
    unit: str,
    definition: str,
    better: bool | None,
    basis: str | None,
    flow: bool = False,
) -> Kpi:
    return Kpi(code, short, name, unit, definition, better, "workforce", order, basis, flow, to_date=flow)


_ENTRIES = (
    _spend(10, "spend_total", "Total spend", "Total spend with suppliers", "GBP",
           "All direct spend with suppliers, net of VAT, after credit notes.", None),
    _spend(20, "spend_sme", "SME spend", "Spend with SMEs", "GBP",
           "Spend with small and medium-sized enterprises (SMEs: micro, small and medium businesses with "
           "fewer than 250 staff).", True),
    _spend(21, "spend_sme_pct", "SME share", "Share of spend with SMEs", "%",
           "Spend with SMEs as a share of total spend.", True),
    _spend(30, "spend_local", "Local spend", "Local spend", "GBP",
           "Spend with suppliers whose postcode is in the network's area.", True),
    _spend(31, "spend_local_pct", "Local share", "Share of spend that is local", "%",
           "Local spend as a share of total spend.", True),
    _spend(32, "spend_local_sme", "Local SME spend", "Spend with local SMEs", "GBP",
           "Spend with SMEs whose postcode is in the network's area.", True),
    _spend(40, "spend_vcse", "VCSE spend", "Spend with VCSE organisations", "GBP",
           "Spend with voluntary, community and social enterprise (VCSE) organisations.", True),
    _spend(50, "spend_diverse", "Diverse-owned spend", "Spend with diverse-owned businesses", "GBP",
           "Spend with businesses majority-owned by women, ethnic minority or disabled people.", True),
    _spend(60, "spend_small_or_diverse_pct", "Local small or diverse-owned share",
           "Share of spend with local MSMEs or diverse-owned businesses", "%",
           "Spend with local micro, small and medium-sized enterprises (MSMEs) or with diverse-owned "
           "businesses, each pound counted once, as a share of total spend; the network's pledge is 30%.",
           True),
    _spend(61, "spend_small_or_diverse", "Local small or diverse-owned spend",
           "Spend with local MSMEs or diverse-owned businesses", "GBP",
           "Spend with local micro, small and medium-sized enterprises or with diverse-owned businesses, "
           "each pound counted once: the amount the network's 30% pledge is about.", True),
    _spend(70, "spend_unknown_size", "Unknown size spend", "Spend with suppliers of unknown size", "GBP",
           "Spend with suppliers whose size is not in the supplier register or the return; it is not "
           "counted as SME or large.", None),
    _spend(71, "spend_unknown_size_pct", "Unknown size share", "Share of spend with suppliers of unknown size",
           "%", "Spend with suppliers of unknown size as a share of total spend.", False),
    Kpi("spend_in_scope", "In-scope spend", "Spend the members can influence", "GBP",
        "All direct spend less payments the network's rules set out of scope: taxes and HMRC, other public "
        "bodies, pension funds, payments to individuals, internal and VAT-only lines, refunds and, where "
        "the network says so, grants. The shares divide by it.", None, "spend_scope", 80, flow=True,
        to_date=True),
    Kpi("spend_in_scope_pct", "In-scope share", "Share of spend the members can influence", "%",
        "In-scope spend as a share of total spend.", None, "spend_scope", 81, to_date=True),
    Kpi("spend_out_of_scope", "Out-of-scope spend", "Spend out of scope", "GBP",
        "Payments the network's rules set out of scope, broken down by category.", None, "spend_scope", 82,
        flow=True, to_date=True),
    Kpi(COVERAGE_KPI, "Size known", "Share of in-scope spend whose supplier size is known", "%",
        "In-scope spend with a supplier whose size is known, from the member's return, the network's "
        "register, Companies House or the charity register.", True, "spend_scope", 90),
    _staff(100, "staff", "Staff", "Staff in the snapshot", "count",
           "People in members' latest staff snapshot of the period, direct and contracted.", None, "staff"),
    _staff(101, "staff_direct", "Direct staff", "Directly employed staff", "count",
           "Staff on members' own payrolls.", None, "staff_direct"),
    _staff(102, "staff_contractor", "Contractors", "Regular contracted staff", "count",
           "Regular third-party contracted staff (such as cleaning, catering and security) who count "
           "towards Living Wage accreditation.", None, "staff_contractor"),
    _staff(110, "lw_paid_pct", "Paid the Living Wage", "Share of staff paid at least the Living Wage", "%",
           "Staff whose basic hourly pay is at least the real Living Wage (set by the Living Wage "
           "Foundation; the London Living Wage in London) applying on the snapshot date.", True,
           "lw_assessed"),
    _staff(111, "lw_paid_pct_direct", "Paid the Living Wage: direct staff",
           "Share of direct staff paid at least the Living Wage", "%",
           "The same share for directly employed staff.", True, "lw_assessed_direct"),
    _staff(112, "lw_paid_pct_contractor", "Paid the Living Wage: contractors",
           "Share of contracted staff paid at least the Living Wage", "%",
           "The same share for regular contracted staff.", True, "lw_assessed_contractor"),
    _staff(120, "lw_uplifts", "Living Wage uplifts", "Staff uplifted to the Living Wage", "count",
           "People in this and the previous snapshot of the same member whose pay rose from below the "
           "Living Wage to at least it.", True, "lw_uplifts", flow=True),
    _staff(121, "lw_uplift_annual_gbp", "Yearly value of uplifts", "Yearly value of Living Wage uplifts",
           "GBP", "For uplifted staff: the rise in hourly pay times weekly hours times 52.", True,
           "lw_uplifts", flow=True),
    _staff(130, "apprentices", "Apprentices", "Apprentices", "count",
           "Apprentices in members' latest staff snapshot.", True, "apprentices"),
    _staff(131, "apprentice_starts", "Apprentice starts", "Apprenticeship starts", "count",
           "Apprenticeships started in the financial year, counted in the quarter of the first return that "
           "lists them (a start in the months before a member's first return of the year counts there).",
           True, "apprentice_starts", flow=True),
    _staff(140, "local_employment_pct", "Living locally", "Share of staff living locally", "%",
           "Staff whose home postcode district is in the network's area.", True, "staff"),
    # The counts of people the Living Wage shares rest on, kept for disclosure control.
    Kpi("lw_assessed", "Staff assessed", "Staff whose pay was compared with the Living Wage", "count",
        "Staff in the snapshot on a date for which a Living Wage rate is known.", None, "basis", 900,
        "lw_assessed"),
    Kpi("lw_assessed_direct", "Direct staff assessed", "Direct staff whose pay was compared with the "
        "Living Wage", "count", "The same count for directly employed staff.", None, "basis", 901,
        "lw_assessed_direct"),
    Kpi("lw_assessed_contractor", "Contractors assessed", "Contracted staff whose pay was compared with "
        "the Living Wage", "count", "The same count for regular contracted staff.", None, "basis", 902,
        "lw_assessed_contractor"),
    # Programmes: SROI (scope "programme").
    Kpi("sroi_ratio", "SROI", "Social return on investment", RATIO_UNIT,
        "Social value (measures times proxies, less deadweight, attribution and displacement, projected over "
        "the benefit's duration with drop-off and discounted) per pound invested.", True, "programmes", 400),
    Kpi("sroi_ratio_low", "SROI, cautious", "Social return on investment, cautious end of the range",
        RATIO_UNIT, "The ratio with every adjustment at the end that lowers it.", True, "programmes", 401),
    Kpi("sroi_ratio_high", "SROI, generous", "Social return on investment, generous end of the range",
        RATIO_UNIT, "The ratio with every adjustment at the end that raises it.", True, "programmes", 402),
    Kpi("sroi_social_value_gbp", "Programme social value", "Programme social value (present value)", "GBP",
        "Adjusted, projected and discounted social value of the programme's measures.", True, "programmes",
        403, flow=True),
    Kpi("sroi_gross_value_gbp", "Gross social value", "Programme social value before adjustments", "GBP",
        "Measures times proxies, before deadweight, attribution, displacement, drop-off and discounting.",
        True, "programmes", 404, flow=True),
    Kpi("sroi_investment_gbp", "Investment", "Investment in the programme", "GBP",
        "Money put into the programme: reported by members, and grants recorded in the network config.",
        None, "programmes", 405, flow=True),
    # Recruitment programmes (one row per offer in the returns; counts of people, so suppressed when small).
    Kpi("recruit_offers", "Job offers", "Job offers", "count", "Job offers made in the period, by offer date.",
        True, "recruitment", 500, "recruit_offers", flow=True),
    Kpi("recruit_starts", "Starts", "People starting work", "count",
        "People who started work in the period, by start date.", True, "recruitment", 501, "recruit_starts",
        flow=True),
    Kpi("recruit_offers_pct", "Share of offers", "Share of job offers", "%",
        "Offers to people in the group as a share of all offers in the period; people who preferred not to "
        "say, or left the answer blank, are a group of their own.", None, "recruitment", 510,
        "recruit_offers"),
    Kpi("recruit_retained_6m_pct", "Still in post at six months", "Share still in post after six months", "%",
        "Of the people who reached six months after their start date (or offer date, when no start date is "
        "given) in the period, and whose employer has said whether they are still in post, the share still "
        "in post.", True, "recruitment", 520, "recruit_retention_known"),
    Kpi("recruit_retention_known", "Reaching six months", "People reaching six months, still-in-post known",
        "count", "People whose six-month point fell in the period and whose still-in-post flag is known.", None,
        "recruitment", 521, "recruit_retention_known", flow=True),
    Kpi("recruit_retained_6m", "Still in post", "People still in post after six months", "count",
        "Of those reaching six months, the people still in post.", True, "recruitment", 522,
        "recruit_retained_6m", flow=True),
    Kpi("recruit_left_6m", "Left within six months", "People who left within six months", "count",
        "Of those reaching six months, the people no longer in post.", False, "recruitment", 523,
        "recruit_left_6m", flow=True),
    Kpi(SOCIAL_VALUE, "Social value", "Estimated social value", "GBP",
        "Measures reported by members multiplied by the network's proxy values (pounds per unit).", True,
        "social_value", 300, flow=True),
)  # fmt: skip

REGISTRY: Mapping[str, Kpi] = {k.code: k for k in _ENTRIES}
SPEND_CODES = tuple(k.code for k in _ENTRIES if k.family == "spend")
SPEND_SCOPE_CODES = tuple(k.code for k in _ENTRIES if k.family == "spend_scope")
WORKFORCE_CODES = tuple(k.code for k in _ENTRIES if k.family == "workforce")
BASIS_CODES = tuple(k.code for k in _ENTRIES if k.family == "basis")
FLOW_CODES = tuple(k.code for k in _ENTRIES if k.flow)
TO_DATE_CODES = tuple(k.code for k in _ENTRIES if k.to_date)


class UnknownKpi(KeyError):
    pass


def ytd_code(code: str) -> str:
    return f"{code}{YTD_SUFFIX}"


def measure_code(catalogue_code: str) -> str:
    return f"{MEASURE_PREFIX}{catalogue_code}"


def lookup(code: str, catalogue: Iterable[CatalogueMeasure] = ()) -> Kpi:
    """The registry entry for any KPI code the pipeline stores or shows; raises :class:`UnknownKpi`."""
    if code in REGISTRY:
        return REGISTRY[code]
    base_code = code.removesuffix(YTD_SUFFIX)
    if code.endswith(YTD_SUFFIX) and (base_code in REGISTRY or base_code.startswith(OUT_OF_SCOPE_PREFIX)):
        base = REGISTRY.get(base_code) or lookup(base_code)
        if base.to_date:
            return replace(
                base,
                code=code,
                short_name=f"{base.short_name}, year to date",
                name=f"{base.name}: financial year to date",
                definition=f"{base.definition} Added up over the financial year to the end of the quarter.",
                people_basis=ytd_code(base.people_basis) if base.people_basis else None,
                order=base.order + 1000,
                to_date=False,
            )
    if code.startswith(MEASURE_PREFIX):
        wanted = code.removeprefix(MEASURE_PREFIX)
        for index, measure in enumerate(catalogue):
            if measure.code == wanted and measure.unit == "level":
                # A level (the Good Work Standard's) never adds up: not across members, not over a year.
                return Kpi(
                    code,
                    measure.name,
                    measure.name,
                    measure.unit,
                    f"{measure.name}, as each member reports it (for a year, its latest quarter's). Levels "
                    "are never added up: for the network or a sector, the count of members at each level.",
                    True,
                    "measures",
                    200 + index,
                )
            if measure.code == wanted:
                return Kpi(
                    code,
                    measure.name,
                    measure.name,
                    measure.unit,
                    f"{measure.name}, as reported by members, added up.",
                    True,
                    "measures",
                    200 + index,
                    flow=True,
                )
    if code.startswith(f"{SOCIAL_VALUE}:"):
        theme = code.split(":", 1)[1]
        label = theme.replace("_", " ")
        return Kpi(
            code,
            f"Social value: {label}",
            f"Estimated social value: {label}",
            "GBP",
            f"Social value of the measures in the {label} theme.",
            True,
            "social_value",
            310,
            flow=True,
        )
    if code.startswith(OUT_OF_SCOPE_PREFIX) and _CATEGORY.fullmatch(code.removeprefix(OUT_OF_SCOPE_PREFIX)):
        label = out_of_scope_label(code.removeprefix(OUT_OF_SCOPE_PREFIX))
        return Kpi(code, f"Out of scope: {label}", f"Spend out of scope: {label}", "GBP",
                   f"Spend the network's rules set out of scope as {label.lower()}.", None, "spend_scope", 83,
                   flow=True, to_date=True)  # fmt: skip
    if code.startswith(SOURCE_KPI_PREFIX) and code.removeprefix(SOURCE_KPI_PREFIX) in SIZE_SOURCE_LABELS:
        label = SIZE_SOURCE_LABELS[code.removeprefix(SOURCE_KPI_PREFIX)]
        return Kpi(code, f"Size from {label}", f"Share of in-scope spend whose supplier size is from {label}",
                   "%", f"In-scope spend whose supplier size came from {label}, as a share of in-scope spend.",
                   None, "spend_scope", 91)  # fmt: skip
    if code.startswith(("sroi_", "recruit_", "population_pct:")):
        return _programme_kpi(code)
    raise UnknownKpi(code)


def out_of_scope_label(category: str) -> str:
    """The name of an out-of-scope category: the shipped ones' own, or a network's own category in words
    (``shared_services`` -> "Shared services"), since a network may add categories in its rules."""
    if category in OUT_OF_SCOPE_LABELS:
        return OUT_OF_SCOPE_LABELS[category]
    words = category.replace("_", " ").strip()
    return words[:1].upper() + words[1:]


def _programme_kpi(code: str) -> Kpi:
    """``<base>[_to_date][_low|_high][:<dimension>:<group> | :programme:<code> | :<scenario>]``."""
    base, _, qualifier = code.partition(":")
    if base == "population_pct":
        dimension, _, group = qualifier.partition(":")
        if dimension not in RECRUITMENT_DIMENSIONS or group not in GROUP_LABELS:
            raise UnknownKpi(code)
        label = f"{RECRUITMENT_DIMENSIONS[dimension]}: {GROUP_LABELS[group]}"
        return Kpi(code, f"Population: {label}", f"Share of the area's population: {label}", "%",
                   "The group's share of the network area's population, from the network's reference table.",
                   None, "recruitment", 590)  # fmt: skip
    to_date = TO_DATE_SUFFIX in base
    entry = REGISTRY.get(base.replace(TO_DATE_SUFFIX, "", 1))
    if entry is None or entry.family not in ("programmes", "recruitment"):
        raise UnknownKpi(code)
    short, name, definition = entry.short_name, entry.name, entry.definition
    basis = entry.people_basis
    if qualifier:
        first, _, second = qualifier.partition(":")
        if entry.code.startswith("sroi_ratio") and not second:
            short, name = (
                f"{short} ({first.replace('_', ' ')})",
                f"{name}, {first.replace('_', ' ')} scenario",
            )
        elif first == "programme" and second:
            short, name = f"{short}: {second}", f"{name}, programme {second}"
        elif first in RECRUITMENT_DIMENSIONS and second in GROUP_LABELS:
            label = f"{RECRUITMENT_DIMENSIONS[first]}: {GROUP_LABELS[second]}"
            short, name = f"{short}: {label}", f"{name}: {label}"
            if basis and entry.unit == "count":
                basis = f"{basis}:{first}:{second}"
        else:
            raise UnknownKpi(code)
    if to_date:
        short, name = f"{short}, to date", f"{name}, since the programme began"
        definition = f"{definition} Added up since the programme began."
    return replace(entry, code=code, short_name=short, name=name, definition=definition, people_basis=basis)


def is_known(code: str, catalogue: Iterable[CatalogueMeasure] = ()) -> bool:
    try:
        lookup(code, catalogue)
    except UnknownKpi:
        return False
    return True


def unit_of(code: str, catalogue: Iterable[CatalogueMeasure] = ()) -> str:
    return lookup(code, catalogue).unit
