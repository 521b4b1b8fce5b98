"""Disclosure control: nothing published may let a reader work out a figure about fewer than N people.

Three rules, each closing a way back to a small group:

1. A figure derived from 1 to N-1 people (the registry's ``people_basis`` of its KPI) is hidden. Zero
   people disclose nobody, so a zero stays. A share is also hidden when the count in it or the count
   not in it (``SHARE_COUNTS``: share x basis, and the rest) is 1 to N-1.
2. Totals stay exact, so where a column (one KPI in one period, across members or across sectors)
   has exactly one hidden figure, the next smallest is hidden too, or subtracting the others from the
   total would give it back (complementary suppression).
3. A quarter's year-to-date figure is hidden with any quarter it adds up, for the same reason.

:func:`suppressed` applies the first two to the long KPI table; :class:`Figures` reads it for a report
and applies the third. The ``public_*`` functions then drop hidden values from the report's model
before anything is formatted, so none can leak into text, tooltips, chart geometry or data attributes.
Every hidden figure, whatever the rule that hid it, reads the same marker (:func:`hidden_marker`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence

import pandas as pd

from reports.model import IssuedCell, KpiFigure, TrendPoint, WorkforceMemberRow
from transforms.disclosure import Relation, ledger_cells, twins_of, weighed_hidden
from transforms.kpi_registry import REGISTRY, TO_DATE_CODES, YTD_SUFFIX, lookup, ytd_code
from transforms.periods import Period

# The count of people each published figure is derived from, for the figures and their year to date.
PEOPLE_BASIS: Mapping[str, str] = {
    code: kpi.people_basis
    for code in (*REGISTRY, *(ytd_code(c) for c in TO_DATE_CODES))
    if (kpi := lookup(code)).people_basis
}
# The fields of a workforce row that are not figures, so never hidden.
_ROW_IDENTITY = frozenset({"member_id", "name", "sector", "submitted", "suppressed"})


# The one symbol for every hidden figure, whether its own count is 1 to N-1 or it was hidden to protect
# one (a complement, a year to date): the UK Government Statistical Service's "[c]", confidential. One
# symbol for both kinds says nothing untrue of a complement (which may be N or more) and does not tell a
# reader which hidden cell is the small one.
HIDDEN_MARKER = "[c]"


def hidden_marker() -> str:
    """What a reader sees instead of any hidden figure, in every output (page, workbook, e-mail)."""
    return HIDDEN_MARKER


def suppression_title(threshold: int) -> str:
    """The tooltip and accessible name of the marker, so a screen reader says what it means rather than
    "left bracket c"."""
    return (
        f"Not shown to protect privacy: fewer than {threshold} people, "
        "or a figure from which such a count could be worked out"
    )


def hidden_legend(threshold: int) -> str:
    """The one plain-English legend printed wherever hidden figures appear."""
    meaning = suppression_title(threshold)
    return f"{HIDDEN_MARKER} {meaning[0].lower()}{meaning[1:]}. Totals include them."


PeopleCell = tuple[str, str, str, str]  # (people-count KPI, scope, scope id, period)


def _people_bases() -> frozenset[str]:
    """The counts of people published figures rest on; recruitment's own (``recruit_*``) obey other sums
    (breakdowns, to-date figures, programmes) and are weighed by the same engine
    (``transforms.disclosure.weighed_hidden``) through ``pipeline.steps.programmes.recruitment_hidden``,
    with the recruitment section's selection and the same ledger."""
    return frozenset(b for b in PEOPLE_BASIS.values() if not b.startswith("recruit_"))


PEOPLE_BASES = _people_bases()

# A published share with its basis gives away two more counts of people: share x basis are in it (paid at
# least the Living Wage, living locally) and basis minus that are not. They add up across members like any
# count, so they are weighed as cells of their own (docs/disclosure-control.md, "Shares"); the share is
# hidden whenever its basis or either count is. The share is published to 4 decimals (the page's data and
# the workbook), enough to give the count back exactly, so it is treated as exact.
SHARE_COUNTS: Mapping[str, tuple[str, str]] = {
    "lw_paid_pct": ("lw_paid", "lw_not_paid"),
    "lw_paid_pct_direct": ("lw_paid_direct", "lw_not_paid_direct"),
    "lw_paid_pct_contractor": ("lw_paid_contractor", "lw_not_paid_contractor"),
    "local_employment_pct": ("staff_local", "staff_not_local"),
}
# Counts that are the sum of two others exactly: every person is direct or contracted.
SPLITS: Mapping[str, tuple[str, str]] = {
    "staff": ("staff_direct", "staff_contractor"),
    "lw_assessed": ("lw_assessed_direct", "lw_assessed_contractor"),
    "lw_paid": ("lw_paid_direct", "lw_paid_contractor"),
    "lw_not_paid": ("lw_not_paid_direct", "lw_not_paid_contractor"),
}
_DERIVED = frozenset(code for pair in SHARE_COUNTS.values() for code in pair)
# What the report reads to weigh counts of people: the counts, and the shares the derived counts come from.
WEIGHED_KPIS = PEOPLE_BASES | frozenset(SHARE_COUNTS)


def people_cells(values: pd.DataFrame) -> dict[PeopleCell, float]:
    """The counts of people in a long KPI table, with the two counts each share gives away with its basis.

    A share of ``basis`` people gives ``round(share * basis / 100)`` in it and the rest not; a basis of 0
    has no share and 0 of each.
    """
    known = values[values["value"].notna()]
    cells: dict[PeopleCell, float] = {
        (r.kpi, r.scope, r.scope_id, r.period): float(r.value)
        for r in known[known["kpi"].isin(PEOPLE_BASES)].itertuples(index=False)
    }
    shares = values[values["kpi"].isin(SHARE_COUNTS)]
    for r in shares.itertuples(index=False):
        basis = cells.get((PEOPLE_BASIS[r.kpi], r.scope, r.scope_id, r.period))
        if basis is None or (pd.isna(r.value) and basis != 0):
            continue
        inside, outside = SHARE_COUNTS[r.kpi]
        count = 0.0 if basis == 0 else float(round(float(r.value) * basis / 100))
        cells[(inside, r.scope, r.scope_id, r.period)] = count
        cells[(outside, r.scope, r.scope_id, r.period)] = basis - count
    return cells


def _share_relations(cells: Mapping[PeopleCell, float]) -> list[Relation]:
    """A basis is its share's two counts; a count is its direct and contracted staff's."""
    relations = []
    for share, (inside, outside) in SHARE_COUNTS.items():
        for kpi, scope, scope_id, period in cells:
            if kpi == inside and (basis := (PEOPLE_BASIS[share], scope, scope_id, period)) in cells:
                parts = ((inside, scope, scope_id, period), (outside, scope, scope_id, period))
                relations.append(Relation(basis, parts))
    for total, (direct, contractor) in SPLITS.items():
        for kpi, scope, scope_id, period in cells:
            parts = ((direct, scope, scope_id, period), (contractor, scope, scope_id, period))
            if kpi == total and all(p in cells for p in parts):
                relations.append(Relation((kpi, scope, scope_id, period), parts))
    return relations


def people_relations(
    values: Mapping[PeopleCell, float], member_sectors: Mapping[str, str] | None = None
) -> list[Relation]:
    """Every sum that ties the published counts of people together, over every period at once.

    Members add up to the network and to their sector, sectors to the network; a flow's quarters add up
    to its year (one arithmetic, ``docs/design.md#kpis``); a quarter's year to date is the year's quarters
    so far and the previous quarter's year to date plus its own; a stock's year is its latest snapshot,
    so a year equal to its last quarter is that quarter published twice.
    """
    cells = list(values)
    relations: list[Relation] = []
    by_column: dict[tuple[str, str], dict[str, list[PeopleCell]]] = {}
    for cell in cells:
        kpi, scope, _, period = cell
        by_column.setdefault((kpi, period), {}).setdefault(scope, []).append(cell)
    for (_, _), scopes in by_column.items():
        network = scopes.get("network", [])
        members = sorted(scopes.get("member", []))
        sectors = sorted(scopes.get("sector", []))
        for total in network:
            if members:
                relations.append(Relation(total, tuple(members)))
            if sectors:
                relations.append(Relation(total, tuple(sectors)))
        if member_sectors is not None:
            for sector in sectors:
                parts = tuple(m for m in members if member_sectors.get(m[2]) == sector[2])
                if parts:
                    relations.append(Relation(sector, parts))
    # Time: quarters and their year, years to date.
    series: dict[tuple[str, str, str], dict[str, PeopleCell]] = {}
    for cell in cells:
        kpi, scope, scope_id, period = cell
        series.setdefault((kpi, scope, scope_id), {})[period] = cell
    for (kpi, scope, scope_id), periods in series.items():
        base = kpi.removesuffix(YTD_SUFFIX)
        flow = base not in _DERIVED and lookup(base).flow
        quarters = sorted((Period.parse(p) for p in periods if "-Q" in p), key=lambda q: q.start)
        for year in {q.financial_year for q in quarters}:
            in_year = [q for q in quarters if q.financial_year == year]
            if kpi.endswith(YTD_SUFFIX):
                continue
            if year.key in periods:
                if flow:
                    relations.append(Relation(periods[year.key], tuple(periods[q.key] for q in in_year)))
                elif values[periods[year.key]] == values[periods[in_year[-1].key]]:
                    relations.append(Relation(periods[year.key], (periods[in_year[-1].key],)))
            to_date = series.get((ytd_code(kpi), scope, scope_id), {})
            for index, quarter in enumerate(in_year):
                if quarter.key not in to_date:
                    continue
                so_far = tuple(periods[q.key] for q in in_year[: index + 1])
                relations.append(Relation(to_date[quarter.key], so_far))
                if index and in_year[index - 1].key in to_date:
                    relations.append(
                        Relation(
                            to_date[quarter.key], (to_date[in_year[index - 1].key], periods[quarter.key])
                        )
                    )
                if index == len(in_year) - 1 and year.key in periods:
                    relations.append(Relation(periods[year.key], (to_date[quarter.key],)))
    return relations + _share_relations(values)


def people_hidden(
    values: pd.DataFrame,
    threshold: int,
    member_sectors: Mapping[str, str] | None = None,
    issued: pd.DataFrame | None = None,
) -> set[PeopleCell]:
    """The counts of people to publish as hidden, weighed over every period, scope and issued report.

    ``values`` is the long KPI table (every period); ``issued`` the ledger of cells earlier reports
    issued (``kpi, scope, scope_id, period, value, hidden``): what an earlier report hid stays hidden,
    and what it showed is known, so it is never the complement that hides something else; what it showed
    at another value is hidden when the change is 1 to N-1 people (the change is a count too). A quarter's
    year to date is hidden whenever a quarter it adds up is (rule 3), even where the sums would not
    need it, so that the rule reads simply on the page.
    """
    cells = people_cells(values)
    if not cells:
        return set()
    relations = people_relations(cells, member_sectors)
    already, known = ledger_cells(issued, cells, threshold)
    fixed = twins_of(cells, relations, known)

    def with_years_to_date(found: set[PeopleCell]) -> set[PeopleCell]:
        """Rule 3: every later year to date of the year of a hidden quarter."""
        return found | {
            cell
            for (kpi, scope, scope_id, period) in found
            if "-Q" in period and not kpi.endswith(YTD_SUFFIX)
            for later in Period.parse(period).financial_year.quarters()
            if later.start >= Period.parse(period).start
            and (cell := (ytd_code(kpi), scope, scope_id, later.key)) in cells
        }

    pairs = set(SHARE_COUNTS.values())
    shares = [r for r in relations if len(r.parts) == 2 and (r.parts[0][0], r.parts[1][0]) in pairs]

    def closed(found: set[PeopleCell]) -> set[PeopleCell]:
        """Rule 3, and a share's two counts hidden with it: with its basis or either count, as the share
        is (a zero count stays known: it discloses nobody; so does a count readers already have at this
        value, from an earlier report)."""
        found = with_years_to_date(found)
        return found | {
            part
            for r in shares
            if r.total in found or any(p in found for p in r.parts)
            for part in r.parts
            if cells[part] != 0 and part not in fixed
        }

    return weighed_hidden(
        cells,
        relations,
        threshold,
        already_hidden=already,
        known=known,
        closure=closed,
        preference=lambda m: (cells[m], m[1] == "network", str(m)),
    )


def suppressed(
    values: pd.DataFrame,
    threshold: int,
    member_sectors: Mapping[str, str] | None = None,
    issued: pd.DataFrame | None = None,
    people: pd.DataFrame | None = None,
) -> pd.Series:
    """True for the rows of a long KPI table (kpi, scope, scope_id, period, value) to publish as hidden.

    A figure is hidden when the count of people it rests on is (:func:`people_hidden`, weighed over
    ``people``, every period's counts, when given, else over ``values``), so a hidden uplift count
    also hides its money value.
    """
    hidden = people_hidden(values if people is None else people, threshold, member_sectors, issued)
    return pd.Series(_rests_on_hidden(values, hidden), index=values.index, dtype=bool)


def _rests_on_hidden(frame: pd.DataFrame, hidden: set[PeopleCell]) -> list[bool]:
    """For each row of a long KPI table, whether a count of people it rests on is hidden: its basis and,
    for a share, the two counts it gives away with it."""
    flags = []
    for kpi, scope, scope_id, period in zip(
        frame.kpi, frame.scope, frame.scope_id, frame.period, strict=True
    ):
        counts = (PEOPLE_BASIS.get(kpi), *SHARE_COUNTS.get(kpi, ()))
        flags.append(any((count, scope, scope_id, period) in hidden for count in counts if count))
    return flags


class Figures:
    """A report's KPI values with their disclosure flags, looked up by (kpi, scope, scope id, period)."""

    def __init__(
        self,
        frame: pd.DataFrame,
        threshold: int,
        member_sectors: Mapping[str, str] | None = None,
        issued: pd.DataFrame | None = None,
        people: pd.DataFrame | None = None,
    ) -> None:
        weighed = frame if people is None else people
        self._people = people_cells(weighed)
        self._hidden_people = (
            people_hidden(weighed, threshold, member_sectors, issued) if self._people else set()
        )
        frame = frame.assign(suppressed=_rests_on_hidden(frame, self._hidden_people))
        self.threshold = threshold
        keys = list(zip(frame.kpi, frame.scope, frame.scope_id, frame.period, strict=True))
        self._values = dict(zip(keys, frame.value, strict=True))
        self._suppressed = dict(zip(keys, frame.suppressed, strict=True))

    def value(self, kpi: str, scope: str, scope_id: str, period: str) -> float | None:
        value = self._values.get((kpi, scope, scope_id, period))
        return None if value is None or pd.isna(value) else float(value)

    def suppressed(self, kpi: str, scope: str, scope_id: str, period: str) -> bool:
        return bool(self._suppressed.get((kpi, scope, scope_id, period), False))

    def reporting(self, kpi: str, period: str) -> int:
        """How many members have a value for a KPI in a period."""
        return sum(
            1
            for (k, scope, _, p), v in self._values.items()
            if k == kpi and scope == "member" and p == period and not pd.isna(v)
        )

    def issued_cells(self, period: str, network_id: str, network_periods: Sequence[str]) -> list[IssuedCell]:
        """The counts of people a report of ``period`` publishes, for the ledger: every scope's counts of
        the period and its year to date, and the network's of the periods its trend and cards show."""
        rows = []
        for cell, value in sorted(self._people.items()):
            kpi, scope, scope_id, at = cell
            if at == period or (scope == "network" and scope_id == network_id and at in network_periods):
                hidden = cell in self._hidden_people
                rows.append(IssuedCell(kpi, scope, scope_id, at, None if hidden else value, hidden))
        return rows

    def people_hidden(self, code: str, scope: str, scope_id: str, period: str) -> bool:
        """Whether the count of people ``code`` rests on is hidden in any period, not only the report's."""
        return (PEOPLE_BASIS.get(code), scope, scope_id, period) in self._hidden_people

    def people_count(self, code: str, scope: str, scope_id: str, period: str) -> float | None:
        """The count of people ``code`` rests on, in any period."""
        return self._people.get((PEOPLE_BASIS.get(code), scope, scope_id, period))

    def year_to_date_hidden(self, code: str, network_id: str, period: str) -> bool:
        """Rule 3: a quarter's year to date is hidden when it, or any quarter it adds up, is."""
        quarter = Period.parse(period)
        if quarter.quarter is None:
            return False
        so_far = [q.key for q in quarter.financial_year.quarters() if q.start <= quarter.start]
        return self.suppressed(ytd_code(code), "network", network_id, period) or any(
            self.suppressed(code, "network", network_id, q) for q in so_far
        )

    def figure(self, code: str, network_id: str, period: str, previous: str) -> KpiFigure:
        """The network's figure of one KPI for a period, with the previous period and the year to date."""
        in_quarter = Period.parse(period).quarter is not None
        return KpiFigure(
            code=code,
            value=self.value(code, "network", network_id, period),
            previous=self.value(code, "network", network_id, previous),
            suppressed=self.suppressed(code, "network", network_id, period),
            year_to_date=self.value(ytd_code(code), "network", network_id, period) if in_quarter else None,
            year_to_date_suppressed=self.year_to_date_hidden(code, network_id, period),
        )


def public_figure(figure: KpiFigure) -> KpiFigure:
    """The figure as it may be published: a hidden one loses its value and previous value, a hidden
    year to date its value."""
    if figure.year_to_date_suppressed or figure.suppressed:
        figure = dataclasses.replace(figure, year_to_date=None)
    if not figure.suppressed:
        return figure
    return dataclasses.replace(figure, value=None, previous=None)


def public_workforce_member(member: WorkforceMemberRow) -> WorkforceMemberRow:
    """The row as it may be published: hidden fields lose their values."""
    if not member.suppressed:
        return member
    figures = {f.name for f in dataclasses.fields(member)} - _ROW_IDENTITY
    return dataclasses.replace(member, **dict.fromkeys(sorted(frozenset(member.suppressed) & figures)))


def public_trend(trend: Sequence[TrendPoint], period: str, hidden_now: frozenset[str]) -> list[TrendPoint]:
    """The trend as it may be published: hidden values dropped. A code hidden on this period's headline
    is hidden in this period's point too, even if the point does not say so."""
    public = []
    for point in trend:
        hidden = frozenset(point.suppressed) | (hidden_now if point.period == period else frozenset())
        if not hidden:
            public.append(point)
            continue
        values = {code: None if code in hidden else value for code, value in point.values.items()}
        public.append(TrendPoint(point.period, values, hidden))
    return public


def hidden_before(trend: Sequence[TrendPoint], period: str) -> frozenset[str]:
    """Codes hidden in the period before this one, whose values may not be shown as a change either."""
    periods = [point.period for point in trend]
    if period not in periods:
        return frozenset()
    index = periods.index(period)
    return frozenset(trend[index - 1].suppressed) if index > 0 else frozenset()
