"""Suppliers matched to the open registers (Companies House, the Charity Commission), as proposals a data
engineer reviews, and approved proposals turned into supplier-register rows.

Everything here is pure: the readers in ``pipeline.steps.supplier_enrichment`` stream the big files and hand
each chunk to :func:`match_chunk`, so a five-million-row register never sits in memory whole.

How a supplier is matched, strongest first (docs/supplier-enrichment.md has the reasoning):

1. *number*: the return's supplier id is a company or charity number; the names must still agree,
   because many members' own supplier ids are eight digits too;
2. *exact name*: the same name once case, punctuation, spacing and legal form are ignored
   (``transforms.coercion.supplier_name_key``), stronger still when the postcode agrees;
3. *fuzzy name*: rapidfuzz's token-sort ratio over names sharing a word (their first or their longest
   word: "blocking", so each supplier is compared with a few thousand names, not five million).

Nothing is guessed into the register: a dissolved or removed entity, an ambiguous name or a match below
the confidence threshold is proposed for review, never approved by default.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from rapidfuzz import fuzz, process

from transforms.coercion import normalise_postcodes, postcode_parts, supplier_name_key, trimmed_text
from transforms.re2_classes import WHITESPACE

COMPANIES_HOUSE = "companies_house"
CHARITY_REGISTER = "charity_register"

# Real header -> our name. Companies House "Free Company Data Product" (BasicCompanyData): the header
# line carries leading spaces on some names (" CompanyNumber"); the reader strips them first.
COMPANIES_HOUSE_COLUMNS = {
    "CompanyName": "name",
    "CompanyNumber": "ref",
    "RegAddress.PostCode": "postcode",
    "CompanyCategory": "category",
    "CompanyStatus": "status",
    "DissolutionDate": "dissolved_on",
    "Accounts.AccountCategory": "accounts_category",
    "Accounts.LastMadeUpDate": "accounts_made_up_to",
    "SICCode.SicText_1": "sic",
}
# Charity Commission for England and Wales register extract, table ``publicextract.charity`` (the
# tab-separated text file).
CHARITY_COLUMNS = {
    "registered_charity_number": "ref",
    "linked_charity_number": "linked_number",
    "charity_name": "name",
    "charity_type": "category",
    "charity_registration_status": "status",
    "date_of_removal": "dissolved_on",
    "charity_contact_postcode": "postcode",
    "latest_income": "income_gbp",
    "charity_company_registration_number": "company_number",
}
CANDIDATE_COLUMNS = [
    "source",
    "ref",
    "name",
    "name_key",
    "compact_key",
    "postcode",
    "status",
    "active",
    "category",
    "accounts_category",
    "accounts_made_up_to",
    "sic",
    "income_gbp",
    "company_number",
]

# Size from the accounts a company last filed (Companies Act 2006: only a company within the small or
# micro thresholds may file micro-entity, total-exemption or abridged accounts; medium accounts are for
# medium companies; full and group accounts are what large companies file, though a smaller one may
# choose them). Anything not listed is unknown: never guessed.
ACCOUNTS_SIZE = {
    "MICRO ENTITY": ("micro", "micro-entity accounts: within the micro-company thresholds"),
    "SMALL": ("small", "small-company accounts"),
    "TOTAL EXEMPTION SMALL": ("small", "audit-exempt small-company accounts"),
    "TOTAL EXEMPTION FULL": ("small", "audit-exempt (small company) full accounts"),
    "PARTIAL EXEMPTION": ("small", "partially exempt small-company accounts"),
    "UNAUDITED ABRIDGED": ("small", "abridged accounts, open only to small companies"),
    "AUDITED ABRIDGED": ("small", "abridged accounts, open only to small companies"),
    "MEDIUM": ("medium", "medium-company accounts"),
    "FULL": ("large", "full audited accounts, as large companies file"),
    "GROUP": ("large", "group accounts, as the parent of a large group files"),
}
ACCOUNTS_UNKNOWN = {
    "DORMANT": "dormant-company accounts: a dormant company does not trade, so check the match",
    "NO ACCOUNTS FILED": "no accounts filed yet (usually a new company)",
    "INITIAL": "initial accounts only",
    "ACCOUNTS TYPE NOT AVAILABLE": "the accounts type is not available",
    "AUDIT EXEMPTION SUBSIDIARY": "a subsidiary exempt from audit: its size is its group's",
    "FILING EXEMPTION SUBSIDIARY": "a subsidiary exempt from filing: its size is its group's",
}
# A charity's latest income stands in for turnover: micro and small by the Companies Act 2006 turnover
# thresholds (from April 2025: GBP 1m and GBP 15m), medium up to the Procurement Act 2023's SME turnover
# ceiling (GBP 44m). Staff numbers are not in the extract, so the proposal says the size comes from income.
CHARITY_INCOME_BANDS = ((1_000_000, "micro"), (15_000_000, "small"), (44_000_000, "medium"))
VCSE_CATEGORY = r"community interest|charitable incorporated|registered society|industrial and provident|co-?operative|community benefit"
COMMERCIAL_CATEGORY = r"private limited company|public limited company|limited liability partnership|limited partnership|unlimited|overseas|investment company|protected cell|societas|economic interest"

AUTO_APPROVE = 0.90  # at or above: proposed for approval (still only applied when a person says so, or asks)
REJECT_BELOW = 0.50
FUZZY_THRESHOLD = 88  # token-sort ratio of the name keys
FUZZY_CAP = 0.89  # a fuzzy match is never confident enough to be suggested for approval
BLOCK_STOPWORDS = frozenset(
    {"and", "of", "the", "for", "in", "at", "on", "to", "a", "an", "uk", "co", "ltd", "group"}
)

PROPOSAL_COLUMNS = [
    "supplier_id",
    "supplier_name",
    "supplier_postcode",
    "spend_gbp",
    "candidate_source",
    "candidate_ref",
    "candidate_name",
    "candidate_status",
    "candidate_category",
    "accounts_category",
    "registered_postcode",
    "sic",
    "income_gbp",
    "match_method",
    "name_score",
    "confidence",
    "suggested_decision",
    "evidence",
    "proposed_size",
    "size_rule",
    "proposed_postcode",
    "proposed_local",
    "local_note",
    "proposed_vcse",
    "source_as_of",
    "decision",
    "reviewer_note",
]
REGISTER_COLUMNS = [
    "supplier_id",
    "supplier_name",
    "postcode",
    "employees",
    "turnover_gbp",
    "size",
    "is_vcse",
    "is_diverse_owned",
    "source",
    "as_of",
]
APPROVE_WORDS = frozenset({"approve", "approved", "yes", "y", "accept", "accepted"})


def company_numbers(values: pd.Series) -> pd.Series:
    """'1234567' -> '01234567', 'sc 123456' -> 'SC123456'; anything that cannot be one -> NA."""
    text = trimmed_text(values).str.upper().str.replace(f"-|{WHITESPACE}", "", regex=True)
    digits = text.str.fullmatch(r"[0-9]{6,8}", na=False)
    prefixed = text.str.fullmatch(r"[A-Z]{2}[0-9]{6}", na=False)
    return text.str.zfill(8).where(digits, text.where(prefixed))


def charity_numbers(values: pd.Series) -> pd.Series:
    """Registered charity numbers are six or seven digits (England and Wales)."""
    text = trimmed_text(values).str.replace(WHITESPACE, "", regex=True)
    number = text.str.fullmatch(r"[0-9]{6,7}", na=False)
    return text.str.lstrip("0").where(number)


def compact(keys: pd.Series) -> pd.Series:
    """The name key without spaces: 'j b leadbitter' and 'jb leadbitter' are one name. A name that folds to
    nothing ('!!!') has no key: it would otherwise match every other such name."""
    joined = keys.str.replace(" ", "", regex=False)
    return joined.mask(joined == "")


def companies_house_candidates(raw: pd.DataFrame) -> pd.DataFrame:
    """A BasicCompanyData chunk (headers already stripped) with the keys it is matched on; the other
    columns are cleaned only for the few rows that match (:func:`complete_candidates`)."""
    frame = raw.rename(columns=COMPANIES_HOUSE_COLUMNS)[list(COMPANIES_HOUSE_COLUMNS.values())]
    frame = frame.assign(source=COMPANIES_HOUSE, income_gbp=None, company_number=None)
    return _keyed(frame)


def charity_candidates(raw: pd.DataFrame) -> pd.DataFrame:
    """Main charities (not linked subsidiaries) from a ``publicextract.charity`` chunk, keyed for matching."""
    frame = raw.rename(columns=CHARITY_COLUMNS)[list(CHARITY_COLUMNS.values())]
    main = frame["linked_number"].astype("string").str.strip().str.lstrip("0").fillna("") == ""
    frame = frame[main.to_numpy()].drop(columns="linked_number")
    frame = frame.assign(source=CHARITY_REGISTER, accounts_category=None, accounts_made_up_to=None, sic=None)
    return _keyed(frame)


def _keyed(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.reset_index(drop=True)
    frame["ref"] = frame["ref"].astype("string").str.strip()
    frame["name_key"] = supplier_name_key(frame["name"])
    frame["compact_key"] = compact(frame["name_key"])
    return frame[frame["compact_key"].notna().to_numpy()].reset_index(drop=True)


def complete_candidates(rows: pd.DataFrame) -> pd.DataFrame:
    """Matched rows in ``CANDIDATE_COLUMNS``: cleaned text, normalised numbers and postcodes, live or not."""
    frame = rows.copy()
    for column in (
        "name",
        "postcode",
        "status",
        "dissolved_on",
        "category",
        "accounts_category",
        "accounts_made_up_to",
        "sic",
        "company_number",
    ):
        frame[column] = (
            trimmed_text(frame[column])
            if column in frame
            else pd.Series(pd.NA, index=frame.index, dtype="string")
        )
    charity = (frame["source"] == CHARITY_REGISTER).to_numpy()
    frame["ref"] = (
        company_numbers(frame["ref"]).where(~charity, charity_numbers(frame["ref"])).fillna(frame["ref"])
    )
    frame["company_number"] = company_numbers(frame["company_number"]).where(charity, frame["ref"])
    frame["postcode"] = normalise_postcodes(frame["postcode"])
    live_word = pd.Series(np.where(charity, "registered", "active"), index=frame.index)
    frame["active"] = (frame["status"].str.lower() == live_word).fillna(False).to_numpy(dtype=bool) & frame[
        "dissolved_on"
    ].isna().to_numpy()
    gone = pd.Series(np.where(charity, "Removed ", "Dissolved "), index=frame.index)
    frame["status"] = frame["status"].where(
        frame["dissolved_on"].isna(), gone + frame["dissolved_on"].fillna("")
    )
    frame["income_gbp"] = pd.to_numeric(frame["income_gbp"], errors="coerce")
    return frame[CANDIDATE_COLUMNS]


def _block_tokens(keys: pd.Series) -> pd.DataFrame:
    """(row, token) pairs: each name's first word and its longest word, the words fuzzy matching blocks on.

    Done on Arrow lists (split, flatten, parent index) so a block of 30,000 names costs milliseconds."""
    lists = pc.split_pattern(pa.array(keys.fillna("").astype(object), pa.string()), " ")
    flat = pc.list_flatten(lists)
    parent = pc.list_parent_indices(lists).to_numpy()
    if len(flat) == 0:
        return pd.DataFrame({"row": np.array([], dtype=np.int64), "token": np.array([], dtype=object)})
    length = pc.utf8_length(flat).to_numpy().astype(np.int64)
    stop = pc.is_in(flat, value_set=pa.array(sorted(BLOCK_STOPWORDS))).to_numpy(zero_copy_only=False)
    position = np.arange(len(flat)) - lists.offsets.to_numpy()[:-1][parent]
    first = (position == 0) & (length > 0) & ~stop
    content = np.where(stop | (length < 2), -1, length)
    order = np.lexsort((-content, parent))  # per row, the longest content word first
    _, leaders = np.unique(parent[order], return_index=True)
    longest = np.zeros(len(flat), dtype=bool)
    longest[order[leaders]] = content[order[leaders]] > 0
    chosen = np.flatnonzero(first | longest)
    tokens = pc.take(flat, pa.array(chosen)).to_numpy(zero_copy_only=False)
    pairs = pd.DataFrame({"row": keys.index.to_numpy()[parent[chosen]], "token": tokens})
    return pairs.drop_duplicates().reset_index(drop=True)


@dataclass(frozen=True)
class SupplierIndex:
    """The suppliers to match, with the keys every chunk is compared on."""

    suppliers: pd.DataFrame  # position = supplier number in candidates
    blocks: dict[str, np.ndarray]  # block word -> supplier numbers


def prepare_suppliers(suppliers: pd.DataFrame) -> SupplierIndex:
    """``suppliers``: supplier_id, supplier_name, postcode (member-reported), spend_gbp (to rank reviews)."""
    frame = suppliers.reset_index(drop=True).copy()
    for column in ("supplier_id", "postcode"):
        if column not in frame:
            frame[column] = pd.NA
    if "spend_gbp" not in frame:
        frame["spend_gbp"] = np.nan
    frame["name_key"] = supplier_name_key(frame["supplier_name"])
    frame["compact_key"] = compact(frame["name_key"])
    frame["postcode"] = normalise_postcodes(frame["postcode"])
    frame["company_number"] = company_numbers(frame["supplier_id"])
    frame["charity_number"] = charity_numbers(frame["supplier_id"])
    pairs = _block_tokens(frame["name_key"])
    blocks = {token: rows.to_numpy() for token, rows in pairs.groupby("token")["row"]}
    return SupplierIndex(frame, blocks)


def match_chunk(index: SupplierIndex, chunk: pd.DataFrame, threshold: int = FUZZY_THRESHOLD) -> pd.DataFrame:
    """Candidate pairs (supplier number, candidate row, method) found in one chunk of a register."""
    found = []
    s = index.suppliers
    numbers = s["charity_number"] if (chunk["source"] == CHARITY_REGISTER).all() else s["company_number"]
    by_number = pd.DataFrame({"supplier": numbers.index, "ref": numbers}).dropna()
    refs = pd.DataFrame({"row": chunk.index, "ref": chunk["ref"]})
    found.append(by_number.merge(refs, on="ref")[["supplier", "row"]].assign(method="number"))
    by_key = pd.DataFrame({"supplier": s.index, "compact_key": s["compact_key"]}).dropna()
    keys = pd.DataFrame({"row": chunk.index, "compact_key": chunk["compact_key"]}).dropna()
    found.append(by_key.merge(keys, on="compact_key")[["supplier", "row"]].assign(method="exact_name"))
    found.append(_fuzzy_pairs(index, chunk, threshold))
    pairs = pd.concat(found, ignore_index=True)
    order = {"number": 0, "exact_name": 1, "fuzzy_name": 2}
    pairs = pairs.sort_values("method", key=lambda m: m.map(order), kind="stable").drop_duplicates(
        ["supplier", "row"]
    )
    candidates = complete_candidates(chunk.loc[pairs["row"]]).reset_index(drop=True)
    candidates.insert(0, "supplier", pairs["supplier"].to_numpy())
    candidates.insert(1, "method", pairs["method"].to_numpy())
    return candidates


def _fuzzy_pairs(index: SupplierIndex, chunk: pd.DataFrame, threshold: int) -> pd.DataFrame:
    pairs = _block_tokens(chunk["name_key"])
    pairs = pairs[pairs["token"].isin(index.blocks.keys())]
    supplier_keys = index.suppliers["name_key"].fillna("").to_numpy(dtype=object)
    chunk_keys = chunk["name_key"].fillna("").to_numpy(dtype=object)
    found_suppliers, found_rows = [], []
    for token, rows in pairs.groupby("token")["row"]:
        suppliers = index.blocks[token]
        rows = rows.to_numpy()
        scores = process.cdist(
            supplier_keys[suppliers],
            chunk_keys[rows],
            scorer=fuzz.token_sort_ratio,
            score_cutoff=threshold,
            dtype=np.uint8,
            workers=1,
        )
        i, j = np.nonzero(scores)
        found_suppliers.append(suppliers[i])
        found_rows.append(chunk.index.to_numpy()[rows[j]])
    if not found_suppliers:
        return pd.DataFrame({"supplier": [], "row": [], "method": []}).astype({"supplier": int, "row": int})
    return pd.DataFrame(
        {
            "supplier": np.concatenate(found_suppliers),
            "row": np.concatenate(found_rows),
            "method": "fuzzy_name",
        }
    )


def score_candidates(index: SupplierIndex, candidates: pd.DataFrame) -> pd.DataFrame:
    """Name similarity, postcode agreement and a confidence for each candidate pair."""
    if candidates.empty:
        return candidates.assign(name_score=[], postcode_agrees=[], district_agrees=[], confidence=[])
    s = index.suppliers.loc[candidates["supplier"]].reset_index(drop=True)
    scored = candidates.reset_index(drop=True).copy()
    scored["name_score"] = [
        round(fuzz.token_sort_ratio(a, b), 1)
        for a, b in zip(s["name_key"].fillna(""), scored["name_key"].fillna(""), strict=True)
    ]
    _, their_district = postcode_parts(scored["postcode"])
    _, our_district = postcode_parts(s["postcode"])
    scored["postcode_agrees"] = (s["postcode"] == scored["postcode"]).fillna(False).to_numpy()
    scored["district_agrees"] = (our_district == their_district).fillna(False).to_numpy()
    name = scored["name_score"].to_numpy()
    same_postcode = scored["postcode_agrees"].to_numpy(dtype=bool)
    same_district = scored["district_agrees"].to_numpy(dtype=bool)
    place = np.where(same_postcode, 0.10, np.where(same_district, 0.05, 0.0))
    confidence = np.select(
        [scored["method"] == "number", scored["method"] == "exact_name"],
        [
            np.select([name >= 80, name >= 50], [0.99, 0.75], 0.30),
            np.where(same_postcode, 0.97, np.where(same_district, 0.94, 0.90)),
        ],
        np.minimum(0.85 * name / 100 + place, FUZZY_CAP),
    )
    scored["confidence"] = confidence.round(2)
    return scored


def keep_best(scored: pd.DataFrame, per_supplier: int = 3) -> pd.DataFrame:
    """The strongest few candidates per supplier and register; chunks are pruned with it as they stream."""
    if scored.empty:
        return scored
    ranked = scored.sort_values(
        ["supplier", "source", "confidence", "active"], ascending=[True, True, False, False], kind="stable"
    )
    ranked = ranked.drop_duplicates(["supplier", "source", "ref"])
    return ranked.groupby(["supplier", "source"], sort=False).head(per_supplier).reset_index(drop=True)


def size_from(candidates: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """(proposed size, the rule that gave it) from the accounts category, or a charity's income."""
    sizes: list[str | None] = []
    rules: list[str | None] = []
    for source, accounts, income in zip(
        candidates["source"], candidates["accounts_category"], candidates["income_gbp"], strict=True
    ):
        if source == CHARITY_REGISTER:
            income = pd.to_numeric(income, errors="coerce")
            if pd.isna(income):
                sizes.append(None)
                rules.append("no income reported: size unknown")
                continue
            band = next((name for ceiling, name in CHARITY_INCOME_BANDS if income <= ceiling), "large")
            sizes.append(band)
            rules.append(f"latest income GBP {income:,.0f} (staff numbers not published): size from income")
            continue
        category = str(accounts).strip().upper() if isinstance(accounts, str) and accounts.strip() else None
        if category in ACCOUNTS_SIZE:
            sizes.append(ACCOUNTS_SIZE[category][0])
            rules.append(f"{category}: {ACCOUNTS_SIZE[category][1]}")
        else:
            sizes.append(None)
            reason = ACCOUNTS_UNKNOWN.get(category or "", "not a category with a size rule")
            rules.append(
                f"{category}: {reason}; size unknown" if category else "no accounts category: size unknown"
            )
    return pd.Series(sizes, index=candidates.index, dtype=object), pd.Series(
        rules, index=candidates.index, dtype=object
    )


def vcse_from(candidates: pd.DataFrame) -> pd.Series:
    """True for charities, CICs, registered societies and CIOs; False for trading companies; else unknown."""
    category = candidates["category"].astype("string").str.lower()
    vcse = category.str.contains(VCSE_CATEGORY, regex=True, na=False)
    commercial = category.str.contains(COMMERCIAL_CATEGORY, regex=True, na=False)
    result = pd.Series(None, index=candidates.index, dtype=object)
    result[commercial.to_numpy()] = False
    result[vcse.to_numpy()] = True
    result[(candidates["source"] == CHARITY_REGISTER).to_numpy()] = True
    return result


def _local(postcodes: pd.Series, areas: list[str], districts: list[str]) -> pd.Series:
    area, district = postcode_parts(postcodes)
    local = area.isin(areas) | district.isin(districts)
    return local.where(postcodes.notna())


def proposals(
    index: SupplierIndex,
    best: pd.DataFrame,
    local_areas: list[str],
    local_districts: list[str],
    as_of: dict[str, str] | None = None,
) -> pd.DataFrame:
    """One row per supplier and candidate, with the evidence a reviewer needs and the suggested decision."""
    if best.empty:
        return pd.DataFrame(columns=PROPOSAL_COLUMNS)
    s = index.suppliers.loc[best["supplier"]].reset_index(drop=True)
    c = best.reset_index(drop=True)
    size, size_rule = size_from(c)
    vcse = vcse_from(c)
    # a company that is also a registered charity (same supplier, charity lists its company number)
    charity_companies = set(
        zip(
            c.loc[c["source"] == CHARITY_REGISTER, "supplier"],
            c.loc[c["source"] == CHARITY_REGISTER, "company_number"],
            strict=True,
        )
    )
    also_charity = [(sup, ref) in charity_companies for sup, ref in zip(c["supplier"], c["ref"], strict=True)]
    vcse[np.array(also_charity, dtype=bool)] = True

    member_postcode = s["postcode"]
    registered = c["postcode"]
    where = pd.Series(
        np.where(c["source"] == CHARITY_REGISTER, "The charity's contact address ", "Registered office "),
        index=c.index,
    )
    proposed_postcode = member_postcode.fillna(registered)
    member_local = _local(member_postcode, local_areas, local_districts)
    registered_local = _local(registered, local_areas, local_districts)
    local_note = np.select(
        [
            member_postcode.notna() & (member_local == True) & (registered_local == False),  # noqa: E712
            member_postcode.notna(),
            registered_local == True,  # noqa: E712
            registered_local == False,  # noqa: E712
        ],
        [
            where
            + registered.fillna("")
            + " is outside the area, but the member's return gives "
            + member_postcode.fillna("")
            + ", inside it: the member's postcode is used.",
            "The member's return gives "
            + member_postcode.fillna("")
            + ": it is used rather than the register's address.",
            where + registered.fillna("") + " is in the area.",
            where + registered.fillna("") + " is outside the area; the supplier may still trade "
            "locally: put its trading postcode in the register if you know it.",
        ],
        "No postcode on the register or in the returns.",
    )

    # A supplier gets an "approve" suggestion only from a live, confident candidate that beats every other
    # candidate from the same register; two that tie (same name, no postcode to tell them apart) are
    # ambiguous, and a confident candidate beaten by a better one is only there for the reviewer.
    confident = (c["confidence"] >= AUTO_APPROVE) & c["active"].astype(bool)
    group = [c["supplier"], c["source"]]
    top = c["confidence"] == c["confidence"].where(confident).groupby(group).transform("max")
    ties = (confident & top).groupby(group).transform("sum")
    ambiguous = confident & top & (ties > 1)
    suggested = np.select(
        [c["confidence"] < REJECT_BELOW, confident & top & ~ambiguous],
        ["reject", "approve"],
        "review",
    )
    evidence = _evidence(s, c, ambiguous, also_charity)
    source_dates = as_of or {}
    frame = pd.DataFrame(
        {
            "supplier_id": s["supplier_id"],
            "supplier_name": s["supplier_name"],
            "supplier_postcode": member_postcode,
            "spend_gbp": s["spend_gbp"],
            "candidate_source": c["source"],
            "candidate_ref": c["ref"],
            "candidate_name": c["name"],
            "candidate_status": c["status"],
            "candidate_category": c["category"],
            "accounts_category": c["accounts_category"],
            "registered_postcode": registered,
            "sic": c["sic"],
            "income_gbp": c["income_gbp"],
            "match_method": c["method"],
            "name_score": c["name_score"],
            "confidence": c["confidence"],
            "suggested_decision": suggested,
            "evidence": evidence,
            "proposed_size": size,
            "size_rule": size_rule,
            "proposed_postcode": proposed_postcode,
            "proposed_local": member_local.fillna(registered_local).map({True: "yes", False: "no"}),
            "local_note": local_note,
            "proposed_vcse": vcse.map({True: "yes", False: "no"}),
            "source_as_of": c["source"].map(source_dates),
            "decision": "",
            "reviewer_note": "",
        }
    )
    return frame.sort_values(
        ["spend_gbp", "supplier_name", "confidence"], ascending=[False, True, False], ignore_index=True
    )


def _evidence(s: pd.DataFrame, c: pd.DataFrame, ambiguous: pd.Series, also_charity: list[bool]) -> list[str]:
    notes = []
    for i in range(len(c)):
        register = "Companies House" if c.at[i, "source"] == COMPANIES_HOUSE else "the charity register"
        method = c.at[i, "method"]
        if method == "number":
            text = (
                f"The return's supplier id {s.at[i, 'supplier_id']} is number {c.at[i, 'ref']} on {register}"
            )
            text += (
                f"; the names agree ({c.at[i, 'name_score']:.0f}/100)."
                if c.at[i, "name_score"] >= 80
                else f", but the names differ ({c.at[i, 'name_score']:.0f}/100): the id is probably the member's own reference."
            )
        elif method == "exact_name":
            text = f"Same name on {register} once case, punctuation and legal form are ignored"
            text += (
                " and the same postcode."
                if c.at[i, "postcode_agrees"]
                else (" and the same postcode district." if c.at[i, "district_agrees"] else ".")
            )
        else:
            text = f"Similar name on {register} ({c.at[i, 'name_score']:.0f}/100): check it is the same organisation."
        if not c.at[i, "active"]:
            text += f" Status: {c.at[i, 'status']}; a dissolved or removed entity is never approved without review."
        if ambiguous.iat[i]:
            text += " More than one organisation on the register matches this well: choose one."
        if also_charity[i]:
            text += " Also a registered charity."
        notes.append(text)
    return notes


def approved_rows(proposed: pd.DataFrame, accept_suggested: bool = False) -> pd.DataFrame:
    """Rows a reviewer approved; with ``accept_suggested``, also undecided rows suggested for approval that
    are live and confident (checked again here: an edited suggestion cannot let a dissolved match in)."""
    decision = proposed["decision"].fillna("").astype(str).str.strip().str.lower()
    chosen = decision.isin(APPROVE_WORDS)
    if accept_suggested:
        live = ~proposed["candidate_status"].fillna("").astype(str).str.contains(
            r"(?i)dissolved|removed|liquidation|strike"
        )
        confident = pd.to_numeric(proposed["confidence"], errors="coerce") >= AUTO_APPROVE
        chosen |= (decision == "") & (proposed["suggested_decision"] == "approve") & live & confident
    return proposed[chosen]


def apply_approved(
    proposed: pd.DataFrame, register: pd.DataFrame, accept_suggested: bool = False
) -> pd.DataFrame:
    """The supplier register (its CSV columns) with approved proposals added or filling its blanks.

    A supplier already in the register keeps what the network typed; only its empty fields are filled.
    ``source`` names the register and number (``companies_house:01234567``), ``as_of`` the extract's date,
    so the coverage figures can say where each size came from.
    """
    rows = approved_rows(proposed, accept_suggested).copy()
    current = register.copy()
    for column in REGISTER_COLUMNS:
        if column not in current:
            current[column] = ""
    # the register's own extra columns (notes, contacts) are kept, after the ones the loader reads
    columns = [*REGISTER_COLUMNS, *(c for c in current.columns if c not in REGISTER_COLUMNS)]
    current = current[columns].astype("string").fillna("")
    if rows.empty:
        return current
    rows["_rank"] = pd.to_numeric(rows["confidence"], errors="coerce")
    rows = rows.sort_values("_rank", ascending=False, kind="stable")
    rows["_size_first"] = rows["proposed_size"].fillna("").astype(str).eq("")
    rows = rows.sort_values(["_size_first", "_rank"], ascending=[True, False], kind="stable")
    income = pd.to_numeric(rows["income_gbp"], errors="coerce")
    new = (
        pd.DataFrame(
            {
                "supplier_id": rows["supplier_id"].where(rows["match_method"] == "number", ""),
                "supplier_name": rows["supplier_name"],
                "postcode": rows["proposed_postcode"],
                "employees": "",
                "turnover_gbp": income.map(lambda v: "" if pd.isna(v) else f"{v:.2f}").where(
                    rows["candidate_source"] == CHARITY_REGISTER, ""
                ),
                "size": rows["proposed_size"],
                "is_vcse": rows["proposed_vcse"],
                "is_diverse_owned": "",
                "source": rows["candidate_source"] + ":" + rows["candidate_ref"].astype(str),
                "as_of": rows["source_as_of"],
            }
        )
        .astype("string")
        .fillna("")
    )
    new["_key"] = supplier_name_key(new["supplier_name"]).fillna("")
    merged = new.groupby("_key", sort=False).agg(
        {c: _first_filled for c in REGISTER_COLUMNS if c != "source"}
        | {"source": lambda v: "; ".join(dict.fromkeys(x for x in v if x))}
    )
    current["_key"] = supplier_name_key(current["supplier_name"]).fillna("")
    known = current["_key"].isin(merged.index)
    for column in REGISTER_COLUMNS:
        fill = current.loc[known, "_key"].map(merged[column])
        blank = current.loc[known, column] == ""
        current.loc[known & blank.reindex(current.index, fill_value=False), column] = fill[blank]
    added = merged[~merged.index.isin(current["_key"])].reset_index(drop=True)
    combined = pd.concat([current.drop(columns="_key"), added[REGISTER_COLUMNS]], ignore_index=True)
    return combined.astype("string").fillna("")


def _first_filled(values: pd.Series) -> str:
    filled = [v for v in values if isinstance(v, str) and v]
    return filled[0] if filled else ""
