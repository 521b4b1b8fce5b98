"""How much of the in-scope spend has a supplier size, and who said so.

A share with SMEs means little if most of the spend has no size at all: the report shows, beside the
spend KPIs, the share of in-scope spend whose supplier size is known and where each size came from: the
member's own return, the network's hand-kept register, or the open registers through approved
proposals (``transforms.supplier_matching`` writes ``companies_house:<number>`` or
``charity_register:<number>`` into the register's ``source``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from transforms.kpi_registry import COVERAGE_KPI, SIZE_SOURCE_LABELS, SOURCE_KPI_PREFIX
from transforms.spend_kpis import KPI_COLUMNS
from transforms.supplier_matching import CHARITY_REGISTER, COMPANIES_HOUSE

MEMBER_RETURN = "member_return"
NETWORK_REGISTER = "network_register"
UNKNOWN = "unknown"
KNOWN = "known"
SIZE_SOURCES = (MEMBER_RETURN, NETWORK_REGISTER, COMPANIES_HOUSE, CHARITY_REGISTER)
SOURCE_LABELS = SIZE_SOURCE_LABELS


def size_source_class(size: pd.Series, source: pd.Series) -> pd.Series:
    """Where each row's size came from: ``source`` is ``member_return`` for a size on the spend line,
    else the register entry's ``source`` text (blank or the core team's words for a hand-kept entry).

    Each distinct source text is classified once: a network's spend summary has hundreds of thousands of
    rows but a few hundred source texts, and splitting every row's text in Python was a tenth of the KPI
    step (0.2 s at 50 members)."""
    codes, texts = pd.factorize(source, use_na_sentinel=True)
    by_text = np.append(_classes_of_sources(pd.Series(texts, dtype=object)), NETWORK_REGISTER)
    classes = by_text[codes]  # a missing source's code is -1: the last entry, the network's own register
    classes[size.isna().to_numpy()] = UNKNOWN
    return pd.Series(classes, index=size.index, dtype=object)


def _classes_of_sources(texts: pd.Series) -> np.ndarray:
    """The size source each register ``source`` text names: its first source, read case-blind."""
    first = texts.astype("string").str.strip().str.lower().str.split(";").str[0].str.strip()
    return np.select(
        [
            (first == MEMBER_RETURN).fillna(False).to_numpy(dtype=bool),
            first.str.startswith(f"{COMPANIES_HOUSE}:").fillna(False).to_numpy(dtype=bool),
            first.str.startswith(f"{CHARITY_REGISTER}:").fillna(False).to_numpy(dtype=bool),
        ],
        [MEMBER_RETURN, COMPANIES_HOUSE, CHARITY_REGISTER],
        NETWORK_REGISTER,
    ).astype(object)


def size_coverage(profile: pd.DataFrame, by: Sequence[str] = ("period",)) -> pd.DataFrame:
    """In-scope spend per size source (and ``known`` in all), with its share of in-scope spend.

    ``profile`` has ``amount``, ``size``, ``size_source`` (see :func:`size_source_class`) and, when the
    spend has been classified, ``out_of_scope`` (null = in scope). One row per group and source, every
    source present (zero where none), so a table of coverage never silently drops a line.
    """
    by = list(by)
    in_scope = (
        profile["out_of_scope"].isna() if "out_of_scope" in profile else pd.Series(True, index=profile.index)
    )
    frame = profile.loc[in_scope.to_numpy(), [*by, "amount"]].copy()
    frame["size_source"] = (
        profile.loc[in_scope.to_numpy(), "size_class"]
        if "size_class" in profile
        else size_source_class(
            profile.loc[in_scope.to_numpy(), "size"], profile.loc[in_scope.to_numpy(), "size_source"]
        )
    )
    frame["amount"] = frame["amount"].astype("float64")
    sources = [*SIZE_SOURCES, UNKNOWN]
    if frame.empty:
        return pd.DataFrame(columns=[*by, "size_source", "amount_gbp", "share_pct"])
    wide = frame.pivot_table(index=by, columns="size_source", values="amount", aggfunc="sum", fill_value=0.0)
    wide = wide.reindex(columns=sources, fill_value=0.0)
    wide[KNOWN] = wide[list(SIZE_SOURCES)].sum(axis=1)
    total = wide[sources].sum(axis=1)
    long = wide.reset_index().melt(id_vars=by, var_name="size_source", value_name="amount_gbp")
    totals = total.rename("in_scope").reset_index()
    long = long.merge(totals, on=by)
    long["share_pct"] = (long["amount_gbp"] / long["in_scope"].where(long["in_scope"] > 0) * 100).round(4)
    long["amount_gbp"] = long["amount_gbp"].round(2)
    order = {s: i for i, s in enumerate([KNOWN, *sources])}
    long = long.sort_values(
        [*by, "size_source"], key=lambda c: c.map(order) if c.name == "size_source" else c
    )
    return long.drop(columns="in_scope").reset_index(drop=True)


def coverage_summary(profile: pd.DataFrame) -> pd.DataFrame:
    """The profile reduced to what the coverage figures need, in-scope spend per member, period and size
    source (``size_class``, which :func:`size_coverage` reads as given): summaries of members read in
    batches add up to the summary of all of them."""
    in_scope = (
        profile["out_of_scope"].isna() if "out_of_scope" in profile else pd.Series(True, index=profile.index)
    ).to_numpy(dtype=bool)
    frame = profile.loc[in_scope, ["member_id", "period", "amount"]].assign(
        size_class=size_source_class(profile.loc[in_scope, "size"], profile.loc[in_scope, "size_source"])
    )
    frame["amount"] = frame["amount"].astype("float64")
    return frame.groupby(["member_id", "period", "size_class"], as_index=False)["amount"].sum()


def coverage_kpis(profile: pd.DataFrame, network_id: str) -> pd.DataFrame:
    """Coverage as KPI rows (``spend_size_known_pct`` and ``spend_size_source_pct:<source>``), for the
    network and each member, per period, so the report and its trend read them like any other KPI."""
    frames = []
    for scope, by in (("network", ["period"]), ("member", ["member_id", "period"])):
        table = size_coverage(profile, by)
        if table.empty:
            continue
        table = table[table["size_source"] != UNKNOWN]
        frames.append(
            pd.DataFrame(
                {
                    "kpi": np.where(
                        table["size_source"] == KNOWN, COVERAGE_KPI, SOURCE_KPI_PREFIX + table["size_source"]
                    ),
                    "scope": scope,
                    "scope_id": table["member_id"] if scope == "member" else network_id,
                    "period": table["period"],
                    "value": table["share_pct"],
                    "unit": "%",
                }
            )
        )
    if not frames:
        return pd.DataFrame(columns=KPI_COLUMNS)
    return pd.concat(frames, ignore_index=True)[KPI_COLUMNS]
