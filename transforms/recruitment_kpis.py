"""Inclusive recruitment KPIs from recruitment facts: offers, starts, who was hired, and who stayed.

Every figure is a count of people or a share of one, in the long KPI format (``KPI_COLUMNS``), for the
network, each member, each sector and each programme, per quarter and financial year (the year adds
the quarters received so far); the network and each programme also get ``_to_date`` figures pinned to
each quarter (everything up to the quarter's end: "305 offers since the programme began").

- ``recruit_offers``: job offers made in the period (by offer date); ``recruit_starts``: people who
  started in it (by start date).
- ``recruit_offers:<dimension>:<group>`` counts offers by ethnic group (census high-level groups), age
  band, disability, previously unemployed and deprivation (deciles 1-2 = the most deprived fifth of
  neighbourhoods in England); ``recruit_offers_pct:<dimension>:<group>`` is its share of *all* offers in
  the period, so each breakdown's shares add up to 100% with those who did not say (``not_stated``) as a
  group of its own. Sharing over all offers keeps every share tied to one published total: a share never
  reveals a hidden count.
- Summary groups (``ethnicity:ethnic_minority`` = Asian, Black, Mixed and Other; ``age:under_25``,
  ``age:55_plus``) are sums of their bands. The census's White group includes White minorities (Irish,
  Gypsy or Irish Traveller, Roma, other White): the return's high-level groups cannot separate them.
- Retention at six months: of the people whose six-month point (six months after the start date, or
  after the offer date when no start date is given) falls in the period and whose "still in post" flag
  is known, the share still in post. To date: every six-month point up to the quarter's end, i.e. "of the
  offers made at least six months before the period's end whose flag is known".
- Deprivation: the decile a member gave, else the decile of the home postcode district from the
  network's reference table (the district's predominant or population-weighted decile, as the table
  says); neither known counts as ``unknown``.
- ``population_pct:<dimension>:<group>`` (network scope) is the area's population share from the
  network's reference table, printed beside the matching share; ``representation`` compares them.

Disclosure control (``recruitment_suppressed``) hides every count of 1 to N-1 people and every share
whose count or total is hidden, with complementary suppression across each breakdown, across members
and sectors, between quarters, years and to-date figures, and between a programme and the network
(``transforms.disclosure``), weighed against the ledger of cells earlier reports issued and over the
whole system of sums (``transforms.disclosure.weighed_hidden``, the engine every count of people goes
through). The values in the frame stay exact: the report shows hidden ones as "[c]".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from transforms.disclosure import Relation, ledger_cells, weighed_hidden
from transforms.kpi_registry import GROUP_LABELS, TO_DATE_SUFFIX
from transforms.periods import Period
from transforms.spend_kpis import KPI_COLUMNS

TO_DATE = TO_DATE_SUFFIX
OFFERS, STARTS, OFFER_SHARE = "recruit_offers", "recruit_starts", "recruit_offers_pct"
RETENTION_KNOWN, RETAINED, LEFT, RETAINED_SHARE = (
    "recruit_retention_known",
    "recruit_retained_6m",
    "recruit_left_6m",
    "recruit_retained_6m_pct",
)
PROGRAMME_TARGET_KPIS = (OFFERS, STARTS, RETAINED_SHARE, f"{OFFERS}:unemployed:yes")

# Each dimension's groups, "not stated" last: they partition the offers.
DIMENSIONS: dict[str, tuple[str, ...]] = {
    "ethnicity": ("asian", "black", "mixed", "white", "other", "not_stated"),
    "age": ("16_17", "18_24", "25_34", "35_44", "45_54", "55_64", "65_plus", "not_stated"),
    "disability": ("yes", "no", "not_stated"),
    "unemployed": ("yes", "no", "not_stated"),
    "deprivation": ("deciles_1_2", "deciles_3_10", "unknown"),
}
SUMMARY_GROUPS: dict[tuple[str, str], tuple[str, ...]] = {
    ("ethnicity", "ethnic_minority"): ("asian", "black", "mixed", "other"),
    ("age", "under_25"): ("16_17", "18_24"),
    ("age", "55_plus"): ("55_64", "65_plus"),
}


def _age_group(bands: pd.Series) -> pd.Series:
    return bands.map({band: band.replace("-", "_").replace("+", "_plus") for band in bands.dropna().unique()})


def offer_groups(offers: pd.DataFrame, decile_of_district: Mapping[str, int] | None = None) -> pd.DataFrame:
    """Each offer's group in every dimension, and the date of its six-month point."""
    decile = offers["deprivation_decile"].astype("Float64")
    if decile_of_district:
        looked_up = offers["home_postcode_district"].map(dict(decile_of_district)).astype("Float64")
        decile = decile.fillna(looked_up)
    stated = lambda s, known: s.where(s.isin(known), "not_stated")  # noqa: E731
    unemployed = offers["previously_unemployed"].astype("boolean").map({True: "yes", False: "no"})
    in_post = offers["still_in_post_6m"].astype("boolean")
    anchor = pd.to_datetime(offers["start_date"]).fillna(pd.to_datetime(offers["offer_date"]))
    return pd.DataFrame(
        {
            "member_id": offers["member_id"],
            "sector": offers["sector"],
            "programme_code": offers["programme_code"],
            "offer_date": pd.to_datetime(offers["offer_date"]),
            "start_date": pd.to_datetime(offers["start_date"]),
            "six_months": anchor + pd.DateOffset(months=6),
            "in_post": in_post,
            "ethnicity": stated(offers["ethnic_group"].astype(object), DIMENSIONS["ethnicity"]),
            "age": stated(_age_group(offers["age_band"].astype(object)), DIMENSIONS["age"]),
            "disability": stated(offers["disability"].astype(object), DIMENSIONS["disability"]),
            "unemployed": stated(unemployed.astype(object), DIMENSIONS["unemployed"]),
            "deprivation": np.select(
                [decile.isna().to_numpy(dtype=bool), (decile <= 2).fillna(False).to_numpy(dtype=bool)],
                ["unknown", "deciles_1_2"],
                "deciles_3_10",
            ),
        },
        index=offers.index,
    )


def quarter_keys(days: pd.Series) -> pd.Series:
    """The financial quarter of each date ('2025-26-Q2'), missing where the date is; keys sort in time order."""
    days = pd.to_datetime(days)
    first_year = (days.dt.year - (days.dt.month < 4)).astype("Int64")
    quarter = ((days.dt.month - 4) % 12 // 3 + 1).astype("Int64")
    following = ((first_year + 1) % 100).astype("string").str.zfill(2)
    return first_year.astype("string") + "-" + following + "-Q" + quarter.astype("string")


def _scoped(groups: pd.DataFrame, network_id: str) -> pd.DataFrame:
    """Each offer once for the network, its member, its sector and its programme (when it has one)."""
    parts = [groups.assign(scope="network", scope_id=network_id)]
    for column, scope in (("member_id", "member"), ("sector", "sector"), ("programme_code", "programme")):
        part = groups[groups[column].notna()]
        parts.append(part.assign(scope=scope, scope_id=part[column].astype(str)))
    events = pd.concat(parts, ignore_index=True)
    for column, day in (("offer_q", "offer_date"), ("start_q", "start_date"), ("six_q", "six_months")):
        events[column] = quarter_keys(events[day])
    return events


_PLACE = ["scope", "scope_id"]


def _in_periods(events: pd.DataFrame, key: str, by: list[str]) -> pd.Series:
    """Counts per scope, period (quarter, and financial year from its quarters) and ``by``."""
    dated = events[events[key].notna()]
    quarters = dated.groupby([*_PLACE, key, *by]).size()
    years = dated.assign(**{key: dated[key].str.slice(0, 7)}).groupby([*_PLACE, key, *by]).size()
    counts = pd.concat([quarters, years])
    return counts.rename_axis([*_PLACE, "period", *by])


def _to_date(events: pd.DataFrame, key: str, by: list[str], quarters: list[str]) -> pd.Series:
    """Counts of events up to each reported quarter's end, for the network and each programme."""
    dated = events[events[key].notna() & events["scope"].isin(["network", "programme"])]
    if dated.empty:
        return pd.Series(dtype="int64", index=pd.MultiIndex.from_tuples([], names=[*_PLACE, *by, "period"]))
    wide = dated.groupby([*_PLACE, *by, key]).size().unstack(key, fill_value=0)
    every = sorted(set(wide.columns) | set(quarters))
    cumulative = wide.reindex(columns=every, fill_value=0).cumsum(axis=1)[quarters]
    return cumulative.rename_axis(columns="period").stack()


def _grid(series: pd.Series, rows: pd.MultiIndex, columns: tuple[str, ...] | None = None) -> pd.DataFrame:
    """Counts laid out on every place and period (rows) and, for a breakdown, every group (columns); 0 elsewhere."""
    if columns is None:
        return series.reindex(rows, fill_value=0).to_frame("value")
    wide = series.unstack(series.index.names[-1]) if len(series) else pd.DataFrame(index=rows)
    return wide.reindex(index=rows, columns=list(columns), fill_value=0).fillna(0)


def _kpi_rows(counts: Mapping[str, pd.Series]) -> pd.DataFrame:
    frames = [series.rename("value").reset_index().assign(kpi=code) for code, series in counts.items()]
    return pd.concat(frames, ignore_index=True)


def _figures(events: pd.DataFrame, rows: pd.MultiIndex, suffix: str, tally) -> dict[str, pd.Series]:  # type: ignore[no-untyped-def]
    """Every count and share for one kind of window (in the period, or to date), by KPI code."""
    out: dict[str, pd.Series] = {}
    offers = _grid(tally(events, "offer_q", []), rows)["value"]
    out[f"{OFFERS}{suffix}"] = offers
    for dimension, names in DIMENSIONS.items():
        wide = _grid(tally(events, "offer_q", [dimension]), rows, names)
        for (dim, summary), parts in SUMMARY_GROUPS.items():
            if dim == dimension:
                wide[summary] = wide[list(parts)].sum(axis=1)
        for group in wide.columns:
            out[f"{OFFERS}{suffix}:{dimension}:{group}"] = wide[group]
            out[f"{OFFER_SHARE}{suffix}:{dimension}:{group}"] = wide[group] / offers.where(offers > 0) * 100
    out[f"{STARTS}{suffix}"] = _grid(tally(events, "start_q", []), rows)["value"]
    reached = events[events["in_post"].notna()]
    known = _grid(tally(reached, "six_q", []), rows)["value"]
    retained = _grid(tally(reached[reached["in_post"].astype(bool)], "six_q", []), rows)["value"]
    out[f"{RETENTION_KNOWN}{suffix}"] = known
    out[f"{RETAINED}{suffix}"] = retained
    out[f"{LEFT}{suffix}"] = known - retained
    out[f"{RETAINED_SHARE}{suffix}"] = retained / known.where(known > 0) * 100
    return out


def _unit(code: str) -> str:
    return "%" if "_pct" in code.split(":", 1)[0] else "count"


def recruitment_kpis(
    offers: pd.DataFrame,
    network_id: str,
    decile_of_district: Mapping[str, int] | None = None,
    population: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Long table of recruitment KPIs (see the module docstring) from recruitment facts.

    ``offers``: member_id, sector, offer_date, start_date, programme_code, previously_unemployed,
    age_band, ethnic_group, disability, home_postcode_district, deprivation_decile, still_in_post_6m.
    ``population``: dimension, group, share_pct (the network's reference table), or None.
    Periods are the quarters in which offers were made (and their financial years): a start or a
    six-month point in a quarter nobody has reported yet waits for that quarter's returns.
    """
    if offers.empty:
        return pd.DataFrame(columns=KPI_COLUMNS)
    groups = offer_groups(offers, decile_of_district)
    events = _scoped(groups, network_id)
    quarters = sorted(events["offer_q"].dropna().unique())
    periods = [*quarters, *sorted({q[:7] for q in quarters})]
    places = events[_PLACE].drop_duplicates().sort_values(_PLACE)
    rows = pd.MultiIndex.from_tuples(
        [
            (scope, scope_id, period)
            for scope, scope_id in places.itertuples(index=False)
            for period in periods
        ],
        names=[*_PLACE, "period"],
    )
    in_period = _figures(events, rows, "", _in_periods)
    with_programme = events[events["scope"] != "programme"].assign(
        programme=events["programme_code"].fillna("none")
    )
    by_programme = _in_periods(with_programme, "offer_q", ["programme"])
    for code in sorted(by_programme.index.get_level_values("programme").unique()):
        part = by_programme.xs(code, level="programme")
        in_period[f"{OFFERS}:programme:{code}"] = part[part > 0]
    cumulative = places[places["scope"].isin(["network", "programme"])]
    to_date_rows = pd.MultiIndex.from_tuples(
        [(scope, scope_id, q) for scope, scope_id in cumulative.itertuples(index=False) for q in quarters],
        names=[*_PLACE, "period"],
    )

    def up_to(frame: pd.DataFrame, key: str, by: list[str]) -> pd.Series:
        counted = _to_date(frame, key, by, quarters)
        return counted.reorder_levels([*_PLACE, "period", *by]) if by else counted

    to_date = _figures(events, to_date_rows, TO_DATE, up_to)
    result = pd.concat([_kpi_rows(in_period), _kpi_rows(to_date)], ignore_index=True)
    # A programme's to-date figures start with its first offer: before it they would all be zero.
    offers_so_far = to_date[f"{OFFERS}{TO_DATE}"]
    empty = {key for key, n in offers_so_far.items() if key[0] == "programme" and n == 0}
    is_to_date = result["kpi"].str.split(":").str[0].str.endswith(TO_DATE)
    keys = zip(result["scope"], result["scope_id"], result["period"], strict=True)
    result = result[~(is_to_date & pd.Series([k in empty for k in keys], index=result.index))]
    result = result.assign(unit=result["kpi"].map(_unit), value=result["value"].astype("float64").round(4))
    if population is not None and not population.empty:
        result = pd.concat(
            [result, population_rows(population, network_id, sorted(result["period"].unique()))]
        )
    return result[KPI_COLUMNS].sort_values(["period", "scope", "scope_id", "kpi"], ignore_index=True)


def population_rows(population: pd.DataFrame, network_id: str, periods: Iterable[str]) -> pd.DataFrame:
    """``population_pct:<dimension>:<group>`` rows for each period; summary groups are summed from their parts."""
    shares = {
        (str(d), str(g)): float(v)
        for d, g, v in zip(population["dimension"], population["group"], population["share_pct"], strict=True)
    }
    for (dimension, summary), parts in SUMMARY_GROUPS.items():
        if (dimension, summary) not in shares and all((dimension, p) in shares for p in parts):
            shares[(dimension, summary)] = sum(shares[(dimension, p)] for p in parts)
    rows = [
        (f"population_pct:{d}:{g}", "network", network_id, period, value, "%")
        for period in periods
        for (d, g), value in sorted(shares.items())
    ]
    return pd.DataFrame(rows, columns=KPI_COLUMNS)


def population_problems(population: pd.DataFrame) -> list[str]:
    """What is wrong with a population reference table, in words for the core team (empty when usable)."""
    missing = {"dimension", "group", "share_pct", "source"} - set(population.columns)
    if missing:
        return [
            f"the table lacks the column(s) {sorted(missing)}; it needs dimension, group, share_pct, source"
        ]
    problems = []
    known = {(d, g) for d, names in DIMENSIONS.items() for g in names} | set(SUMMARY_GROUPS)
    for line, (d, g, v) in enumerate(
        zip(population["dimension"], population["group"], population["share_pct"], strict=True), start=2
    ):
        if (d, g) not in known:
            problems.append(
                f"line {line}: '{d}:{g}' is not a recruitment group; known: {sorted(f'{a}:{b}' for a, b in known)}"
            )
        elif pd.isna(pd.to_numeric(v, errors="coerce")) or not 0 <= float(v) <= 100:
            problems.append(f"line {line}: share_pct '{v}' is not a percentage from 0 to 100")
    return problems


# -- disclosure control ------------------------------------------------------------------------------
def share_basis(kpi: str) -> tuple[str, str] | None:
    """(numerator, denominator) KPI codes of a share, or None for a count."""
    base, _, rest = kpi.partition(":")
    for share, count, total in (
        (OFFER_SHARE, OFFERS, OFFERS),
        (RETAINED_SHARE, RETAINED, RETENTION_KNOWN),
    ):
        for suffix in ("", TO_DATE):
            if base == f"{share}{suffix}":
                return f"{count}{suffix}" + (f":{rest}" if rest else ""), f"{total}{suffix}"
    return None


def _relations(cells: pd.DataFrame, member_sectors: Mapping[str, str]) -> list[Relation]:
    keys = set(zip(cells["kpi"], cells["scope"], cells["scope_id"], cells["period"], strict=True))
    relations: list[Relation] = []
    by_place = cells.groupby(["scope", "scope_id", "period"])["kpi"].apply(set)
    for (scope, scope_id, period), codes in by_place.items():
        for suffix in ("", TO_DATE):
            total = (f"{OFFERS}{suffix}", scope, scope_id, period)
            for dimension, names in DIMENSIONS.items():
                parts = tuple((f"{OFFERS}{suffix}:{dimension}:{g}", scope, scope_id, period) for g in names)
                if total[0] in codes:
                    relations.append(Relation(total, parts, breakdown=True))
            for (dimension, summary), names in SUMMARY_GROUPS.items():
                whole = (f"{OFFERS}{suffix}:{dimension}:{summary}", scope, scope_id, period)
                if whole[0] in codes:
                    parts = tuple(
                        (f"{OFFERS}{suffix}:{dimension}:{g}", scope, scope_id, period) for g in names
                    )
                    relations.append(Relation(whole, parts))
            known = (f"{RETENTION_KNOWN}{suffix}", scope, scope_id, period)
            if known[0] in codes:
                parts = (
                    (f"{RETAINED}{suffix}", scope, scope_id, period),
                    (f"{LEFT}{suffix}", scope, scope_id, period),
                )
                relations.append(Relation(known, parts, breakdown=True))
            programmes = tuple(
                (c, scope, scope_id, period) for c in sorted(codes) if c.startswith(f"{OFFERS}:programme:")
            )
            if suffix == "" and programmes and total[0] in codes:
                relations.append(Relation(total, programmes, breakdown=True))
    counts = cells[cells["kpi"].map(share_basis).isna()]
    members: dict[tuple[str, str], list[str]] = {}
    programmes: dict[tuple[str, str], list[str]] = {}
    runners: dict[tuple[str, str], list[str]] = {}
    for kpi, scope, scope_id, period, value in zip(
        counts["kpi"], counts["scope"], counts["scope_id"], counts["period"], counts["value"], strict=True
    ):
        if scope == "member":
            members.setdefault((kpi, period), []).append(scope_id)
            if kpi.startswith(f"{OFFERS}:programme:") and value > 0:
                runners.setdefault((kpi.rsplit(":", 1)[1], period), []).append(scope_id)
        elif scope == "programme":
            programmes.setdefault((kpi, period), []).append(scope_id)
    network = counts[counts["scope"] == "network"]
    for kpi, period, network_id in zip(network["kpi"], network["period"], network["scope_id"], strict=True):
        total = (kpi, "network", network_id, period)
        mine = members.get((kpi, period), [])
        if mine:
            relations.append(Relation(total, tuple((kpi, "member", m, period) for m in mine)))
            sectors = sorted({member_sectors.get(m, "unknown") for m in mine})
            relations.append(Relation(total, tuple((kpi, "sector", s, period) for s in sectors)))
            for sector in sectors:
                inside = tuple(
                    (kpi, "member", m, period) for m in mine if member_sectors.get(m, "unknown") == sector
                )
                relations.append(Relation((kpi, "sector", sector, period), inside))
        # A programme is part of the network; a programme run by one member is part of that member.
        for code in programmes.get((kpi, period), []):
            relations.append(Relation(total, ((kpi, "programme", code, period),)))
            runner = runners.get((code, period), [])
            if len(runner) == 1 and (kpi, "member", runner[0], period) in keys:
                relations.append(
                    Relation((kpi, "member", runner[0], period), ((kpi, "programme", code, period),))
                )
    # Time: a year is its quarters; a quarter's to-date figure is the previous quarter's plus its own.
    for (kpi, scope, scope_id), rows in counts.groupby(["kpi", "scope", "scope_id"]):
        periods = sorted(rows["period"])
        quarters = [Period.parse(p) for p in periods if "-Q" in p]
        if kpi.split(":", 1)[0].endswith(TO_DATE):
            own = kpi.replace(TO_DATE, "", 1)
            for previous, current in zip([None, *quarters], quarters, strict=False):
                parts = [(own, scope, scope_id, current.key)]
                if previous is not None:
                    parts.append((kpi, scope, scope_id, previous.key))
                relations.append(Relation((kpi, scope, scope_id, current.key), tuple(parts)))
            continue
        for year in {q.financial_year for q in quarters}:
            if year.key in periods:
                parts = tuple((kpi, scope, scope_id, q.key) for q in quarters if q.financial_year == year)
                relations.append(Relation((kpi, scope, scope_id, year.key), parts))
    return relations


def report_publication(values: pd.DataFrame) -> pd.Series:
    """The figures a recruitment section of the report shows, so the rest can count as unpublished.

    The network and each programme: every to-date figure (offers and starts against target, the shares
    by group, retention), and offers and starts in each period (a chart); members and sectors: offers
    and starts in each period, and offers by programme. Breakdowns by member or by quarter stay in the
    warehouse. A report that shows more must pass its own selection (or none: everything is published).
    """
    base = values["kpi"].str.split(":").str[0]
    to_date = base.str.endswith(TO_DATE) & values["scope"].isin(["network", "programme"])
    counts = base.isin([OFFERS, STARTS]) & ~values["kpi"].str.contains(":", regex=False)
    by_programme = values["kpi"].str.startswith(f"{OFFERS}:programme:") & values["scope"].isin(
        ["network", "member", "sector"]
    )
    return (to_date | counts | by_programme).astype(bool)


def recruitment_suppressed(
    values: pd.DataFrame,
    threshold: int,
    member_sectors: Mapping[str, str],
    published: pd.Series | None = None,
    issued: pd.DataFrame | None = None,
) -> pd.Series:
    """True for each recruitment figure to publish as "<threshold" (population shares are never hidden).

    ``published`` (aligned with ``values``) says which figures will be shown; the others are treated as
    unknown to a reader, but their values still count where a difference of shown figures would reveal
    them. None means every figure is published (the safe default). Only flags of published figures mean
    anything: an unpublished figure must not be shown at all.

    ``issued``: the ledger of cells earlier reports issued (``kpi, scope, scope_id, period, value,
    hidden``), weighed as for every other count of people (``transforms.disclosure.weighed_hidden``): a
    count an earlier report hid stays hidden, one it showed is known to every reader and never the
    complement that hides another, and the whole system of sums is solved, across periods and reports.
    """
    keys = list(zip(values["kpi"], values["scope"], values["scope_id"], values["period"], strict=True))
    is_recruitment = values["kpi"].str.startswith("recruit_")
    is_count = is_recruitment & values["kpi"].map(share_basis).isna()
    counts = values[is_count]
    count_keys = list(zip(counts["kpi"], counts["scope"], counts["scope_id"], counts["period"], strict=True))
    cell_values = dict(zip(count_keys, counts["value"], strict=True))
    unpublished: set = set()
    if published is not None:
        shown = published.reindex(values.index).fillna(False).astype(bool)
        unpublished = {key for key, show in zip(count_keys, shown[is_count], strict=True) if not show}
    already, known = ledger_cells(issued, cell_values, threshold)
    hidden = weighed_hidden(
        cell_values,
        _relations(counts, member_sectors),
        threshold,
        unpublished=unpublished - already - known,
        already_hidden=already,
        known=known,
        preference=lambda m: (cell_values[m], m[1] == "network", str(m)),
    )
    out = []
    for (kpi, scope, scope_id, period), recruitment in zip(keys, is_recruitment, strict=True):
        if not recruitment:
            out.append(False)
            continue
        basis = share_basis(kpi)
        if basis is None:
            out.append((kpi, scope, scope_id, period) in hidden)
        else:
            out.append(any((code, scope, scope_id, period) in hidden for code in basis))
    return pd.Series(out, index=values.index, dtype=bool)


def representation(
    values: pd.DataFrame, hidden: pd.Series, scope: str, scope_id: str, period: str
) -> pd.DataFrame:
    """Each share with a population share beside it: the difference in points and how many times as likely.

    ``values``/``hidden`` as from ``recruitment_kpis``/``recruitment_suppressed``; to-date shares are used
    for programme and network scopes when present. A hidden share gives a blank comparison.
    """
    frame = values.assign(hidden=hidden)
    population = frame[(frame["kpi"].str.startswith("population_pct:")) & (frame["period"] == period)]
    population = dict(
        zip(population["kpi"].str.removeprefix("population_pct:"), population["value"], strict=True)
    )
    mine = frame[(frame["scope"] == scope) & (frame["scope_id"] == scope_id) & (frame["period"] == period)]
    rows = []
    for basis in (f"{OFFER_SHARE}{TO_DATE}", OFFER_SHARE):
        shares = mine[mine["kpi"].str.startswith(f"{basis}:")]
        if shares.empty:
            continue
        for kpi, value, is_hidden in zip(shares["kpi"], shares["value"], shares["hidden"], strict=True):
            group_key = kpi.split(":", 1)[1]
            if group_key not in population:
                continue
            reference = float(population[group_key])
            shown = None if is_hidden else float(value)
            rows.append(
                (
                    *group_key.split(":"),
                    GROUP_LABELS.get(group_key.split(":")[1], group_key),
                    shown,
                    is_hidden,
                    reference,
                    None if shown is None else round(shown - reference, 4),
                    None if shown is None or reference == 0 else round(shown / reference, 4),
                )
            )
        break
    return pd.DataFrame(
        rows,
        columns=[
            "dimension",
            "group",
            "label",
            "share_pct",
            "hidden",
            "population_pct",
            "difference_points",
            "ratio",
        ],
    )
