"""Spend in and out of scope, beside the spend shares, and how much of it has a known supplier size.

The shares divide by the spend members can influence (``docs/spend-scope.md``); what the rules set out
of scope (taxes, other public bodies, pension funds, individuals...) is shown here with its breakdown,
so no pound disappears. Coverage says how far the SME and unknown-size shares can be trusted: the share
of in-scope spend whose supplier size is known, and whether it came from the member's return, the
network's register, Companies House or the charity register, with the rule that turns a register entry
into a size written out in words.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from reports.charts import AmountBars, Share, ShareBars, amount_bars, share_bars
from reports.format import clean, format_gbp, format_pct
from reports.model import KpiFigure, PeriodReport, ScopeMemberRow
from reports.sections.members import missing_text
from reports.views import Cell, by_code, cell, headings, join_names
from transforms.kpi_registry import (
    COVERAGE_KPI,
    OUT_OF_SCOPE_PREFIX,
    SIZE_SOURCE_LABELS,
    SOURCE_KPI_PREFIX,
    lookup,
)
from transforms.supplier_matching import ACCOUNTS_SIZE, ACCOUNTS_UNKNOWN, CHARITY_INCOME_BANDS

TOTAL_KPI = "spend_total"
IN_SCOPE, IN_SCOPE_PCT, OUT_OF_SCOPE = "spend_in_scope", "spend_in_scope_pct", "spend_out_of_scope"
MEMBER_COLUMNS = (TOTAL_KPI, IN_SCOPE, OUT_OF_SCOPE, IN_SCOPE_PCT, COVERAGE_KPI)
SIZES = ("micro", "small", "medium", "large")


def _either(names: Sequence[str]) -> str:
    """``a, b or c``."""
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


def size_rule() -> str:
    """How a register entry becomes a size, in words, from the rules the matcher applies."""
    by_size: dict[str, list[str]] = defaultdict(list)
    for category, (size, _) in ACCOUNTS_SIZE.items():
        by_size[size].append(category.lower())
    companies = "; ".join(
        f"{_either(by_size[size])} accounts suggest a {size} company" for size in SIZES if by_size[size]
    )
    unknown = _either([c.lower() for c in ACCOUNTS_UNKNOWN])
    bands, floor = [], 0
    for ceiling, size in CHARITY_INCOME_BANDS:
        bands.append(f"{size} up to {format_gbp(ceiling)}")
        floor = ceiling
    charities = ", ".join(bands) + f", large above {format_gbp(floor)}"
    return (
        "From Companies House, a company's size is read from the accounts it last filed (the Companies "
        f"Act 2006 lets only small or micro companies file the shorter kinds): {companies}. Any other "
        f"category ({unknown}, or one Companies House adds later) leaves the size unknown. From the "
        f"charity register, a charity's latest income stands in for its turnover: {charities}. A match "
        "with a register enters the network's register only after a person has reviewed it; the "
        "member's return and the network's own register come first."
    )


@dataclass(frozen=True)
class ScopeLine:
    code: str
    label: str
    category: bool  # a part of the out-of-scope spend
    amount: Cell
    share: Cell  # of total spend this period
    derived: bool  # the share worked out here from the amounts
    year_to_date: Cell


@dataclass(frozen=True)
class CoverageLine:
    code: str
    source: str
    label: str
    share: Cell
    previous: Cell


@dataclass(frozen=True)
class ScopeMemberView:
    member_id: str
    name: str
    submitted: bool
    cells: tuple[Cell, ...]
    missing_text: str = "Not submitted"


def _share_of(amount: float | None, total: float | None) -> float | None:
    amount, total = clean(amount), clean(total)
    if amount is None or not total:
        return None
    return amount / total * 100


def _line(figure: KpiFigure, total: float | None, category: bool) -> ScopeLine:
    kpi = lookup(figure.code)
    if figure.code == IN_SCOPE:
        share, derived = None, False
    else:
        share, derived = _share_of(figure.value, total), True
    label = kpi.short_name.removeprefix("Out of scope: ") if category else kpi.name
    return ScopeLine(
        code=figure.code,
        label=label,
        category=category,
        amount=cell("value", "GBP", figure.value),
        share=cell("share_pct", "%", share),
        derived=derived,
        year_to_date=cell("year_to_date", "GBP", figure.year_to_date),
    )


def _lines(figures: Mapping[str, KpiFigure], total: float | None) -> list[ScopeLine]:
    lines = []
    in_scope = figures.get(IN_SCOPE)
    if in_scope is not None:
        share = clean(figures[IN_SCOPE_PCT].value) if IN_SCOPE_PCT in figures else None
        line = _line(in_scope, total, False)
        lines.append(
            ScopeLine(
                line.code,
                line.label,
                False,
                line.amount,
                cell("share_pct", "%", share),
                False,
                line.year_to_date,
            )
        )
    if OUT_OF_SCOPE in figures:
        lines.append(_line(figures[OUT_OF_SCOPE], total, False))
    lines += [_line(f, total, True) for code, f in figures.items() if code.startswith(OUT_OF_SCOPE_PREFIX)]
    return lines


def _in_sentence(label: str) -> str:
    """A label inside a sentence: its first word in lower case, unless it is an acronym ("HMRC")."""
    first, _, rest = label.partition(" ")
    word = first if first.isupper() and len(first) > 1 else first[:1].lower() + first[1:]
    return f"{word} {rest}".strip()


def _sentences(figures: Mapping[str, KpiFigure], total: float | None, share_basis: str) -> list[str]:
    in_scope = clean(figures[IN_SCOPE].value) if IN_SCOPE in figures else None
    out = clean(figures[OUT_OF_SCOPE].value) if OUT_OF_SCOPE in figures else None
    sentences = []
    if in_scope is not None and total:
        sentences.append(
            f"{format_gbp(in_scope)} of the {format_gbp(total)} members paid this period "
            f"({format_pct(_share_of(in_scope, total))}) was spend they can influence."
        )
    if out is not None:
        parts = [
            f"{format_gbp(f.value)} {_in_sentence(lookup(code).short_name.removeprefix('Out of scope: '))}"
            for code, f in figures.items()
            if code.startswith(OUT_OF_SCOPE_PREFIX) and clean(f.value)
        ]
        text = f"{format_gbp(out)} was out of scope"
        sentences.append(text + (f": {join_names(parts)}." if parts else "."))
    if share_basis == "in_scope":
        sentences.append(
            "The shares in this report (SME, local, unknown size and the pledge) divide by the in-scope "
            "spend, so payments no supplier could have won do not dilute them."
        )
    else:
        sentences.append(
            "As the network's settings ask, the shares in this report divide by all spend, out-of-scope "
            "payments included."
        )
    return sentences


def _short(source: str) -> str:
    """A source's name short enough for a chart label: "the charity register (income)" -> "Charity register"."""
    if source == "known":
        return "Size known, any source"
    text = SIZE_SOURCE_LABELS[source].split(" (")[0].removeprefix("the ")
    return text[:1].upper() + text[1:]


def _coverage(figures: Sequence[KpiFigure]) -> tuple[list[CoverageLine], ShareBars | None, str | None]:
    """A line and a bar per source (all sources first), and the sentence that sums them up."""
    lines = []
    for figure in figures:
        source = "known" if figure.code == COVERAGE_KPI else figure.code.removeprefix(SOURCE_KPI_PREFIX)
        label = "Size known, from any source" if source == "known" else f"From {SIZE_SOURCE_LABELS[source]}"
        lines.append(
            CoverageLine(
                code=figure.code,
                source=source,
                label=label,
                share=cell("value", "%", figure.value),
                previous=cell("previous", "%", figure.previous),
            )
        )
    values = {figure.code: clean(figure.value) for figure in figures}
    if all(v is None for v in values.values()):
        return lines, None, None
    chart = share_bars(
        [
            Share(
                line.code,
                _short(line.source),
                values[line.code],
                False,
                "bar" if line.source == "known" else "bar-source",
            )
            for line in lines
        ],
        None,
        "Share of in-scope spend whose supplier size is known, by source",
    )
    known = values.get(COVERAGE_KPI)
    if known is None:
        return lines, chart, None
    sources = [
        f"{format_pct(values[line.code])} from {SIZE_SOURCE_LABELS[line.source]}"
        for line in lines
        if line.source != "known" and (values[line.code] or 0) > 0
    ]
    sentence = f"The supplier's size is known for {format_pct(known)} of in-scope spend"
    sentence += f": {join_names(sources)}." if sources else "."
    sentence += (
        f" The other {format_pct(100 - known)} is with suppliers of unknown size, counted neither as SMEs "
        "nor as large."
    )
    return lines, chart, sentence


def _member_views(report: PeriodReport, members: Sequence[ScopeMemberRow]) -> list[ScopeMemberView]:
    return [
        ScopeMemberView(
            m.member_id,
            m.name,
            m.submitted,
            tuple(cell(code, lookup(code).unit, m.values.get(code)) for code in MEMBER_COLUMNS),
            missing_text(report, m.member_id),
        )
        for m in sorted(members, key=lambda m: (m.name.casefold(), m.name, m.member_id))
    ]


def spend_scope_context(report: PeriodReport) -> dict[str, object] | None:
    """The spend scope and coverage section, or None when the report has neither figure."""
    scope = report.spend_scope
    if scope is None:
        return None
    figures = by_code(scope.figures)
    total_figure = by_code(report.headline).get(TOTAL_KPI)
    total = None if total_figure is None else clean(total_figure.value)
    categories = [
        (f.code, lookup(f.code).short_name.removeprefix("Out of scope: "), f.value)
        for f in scope.figures
        if f.code.startswith(OUT_OF_SCOPE_PREFIX)
    ]
    chart: AmountBars | None = None
    if any(clean(value) for _, _, value in categories):
        chart = amount_bars(
            [(code.removeprefix(OUT_OF_SCOPE_PREFIX), label, value) for code, label, value in categories],
            "Spend out of scope this period, by category",
            label_x=300,
        )
    coverage, coverage_chart, coverage_sentence = _coverage(scope.coverage)
    return {
        "share_basis": scope.share_basis,
        "sentences": _sentences(figures, total, scope.share_basis),
        "lines": _lines(figures, total),
        "total": cell("value", "GBP", total),
        "total_year_to_date": cell(
            "year_to_date", "GBP", None if total_figure is None else total_figure.year_to_date
        ),
        "has_year_to_date": any(clean(f.year_to_date) is not None for f in scope.figures),
        "chart": chart,
        "coverage": coverage,
        "coverage_chart": coverage_chart,
        "coverage_sentence": coverage_sentence,
        "columns": headings(MEMBER_COLUMNS),
        "members": _member_views(report, scope.members),
        "definitions": [lookup(code) for code in (IN_SCOPE, OUT_OF_SCOPE, COVERAGE_KPI)],
        "glossary": (("How a supplier's size is found", size_rule()),),
    }
