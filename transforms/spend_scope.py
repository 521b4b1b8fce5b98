"""Which payments the network can influence: rules that set taxes, public bodies, pensions, individuals,
internal lines, refunds and (where the network says so) grants out of the share KPIs' denominator.

The rules are reference data (``config/spend_scope_rules.csv``), each with a reason and a source, so a
network reads why a payment left the denominator and can change the rule rather than the code:

- the shipped file holds the defaults;
- a network's own rules file (same columns) replaces a default with the same ``rule_id``, switches it
  off (``enabled = no``) or adds rules; added rules are tried *before* the defaults, so a network's
  exception (category ``in_scope``: "Design Council is a charity we buy from") wins;
- a rule with a ``member_id`` applies to that member only;
- member overrides (``member_id, category, in_scope``) say "for this member, grants are in scope" or
  "for this member, grants are out of scope" whatever the network's default.

Patterns are regular expressions (RE2 syntax, run by pyarrow over each distinct value once) matched
against *folded* text: lower case, apostrophes and full stops dropped, '&' read as 'and', any other
punctuation read as a space. So ``\\bhmrc\\b`` finds "H.M.R.C." and ``revenue and customs`` finds
"H M Revenue & Customs". The first rule that matches a line decides it. A rule marked
``not_if_business`` never matches a name that shows a business (a legal form such as Ltd, PLC, LLP,
CIC, or "T/A"): "HMRC Consulting Ltd" and "Mr Smith T/A Smith Builders" are suppliers like any other.
"""

from __future__ import annotations

import functools
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib.resources import files
from importlib.resources.abc import Traversable
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from transforms.kpi_registry import OUT_OF_SCOPE_LABELS

# Shipped as package data of the ``config`` package, beside the example networks.
RULES_FILE: Traversable = files("config") / "spend_scope_rules.csv"

RULE_COLUMNS = (
    "rule_id",
    "category",
    "supplier_name",
    "supplier_id",
    "expenditure_category",
    "department",
    "amount_sign",
    "not_if_business",
    "member_id",
    "enabled",
    "reason",
    "source",
)
# Which spend column each pattern column is matched against.
PATTERN_COLUMNS = {
    "supplier_name": "supplier_name",
    "supplier_id": "supplier_id",
    "expenditure_category": "category",
    "department": "department",
}
OVERRIDE_COLUMNS = ("member_id", "category", "in_scope", "reason")
IN_SCOPE = "in_scope"  # the category of an exception rule: a line it matches stays in scope

CATEGORY_LABELS = OUT_OF_SCOPE_LABELS

# A business shows itself by a legal form or a trading name; matched on folded text.
BUSINESS_NAME = (
    r"\b(ltd|limited|plc|llp|cic|cio|community interest company|incorporated|inc|llc|gmbh|trading as|t a|t as)\b"
    r"|\band co$"
)

_SLUG = re.compile(r"^[a-z][a-z0-9_]{1,40}$")
_YES = frozenset({"yes", "y", "true", "1"})
_NO = frozenset({"no", "n", "false", "0", ""})


class ScopeRulesError(ValueError):
    """A rules or overrides file cannot be used; the message names the file, the rule and the fix."""


@dataclass(frozen=True)
class ScopeRules:
    """Rules in the order they are tried, and per-member overrides by category."""

    rules: pd.DataFrame
    overrides: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=list(OVERRIDE_COLUMNS)))
    # Which members each rule applies to, per set of members classified (a file has one): worked out
    # once per rules and set, not per file (``rules`` and ``overrides`` are never changed once read).
    _applies: dict[frozenset[str], list[tuple[int, dict[str, Any], bool, set[str], set[str]]]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    @functools.cached_property
    def _tried(self) -> list[tuple[int, dict[str, Any], set[str], set[str]]]:
        """(position, rule, members its category's overrides bring into scope, members they take out) of
        each rule in the order tried, read once per rules: each member's first file used to filter the
        overrides once per rule (about 40 ms a spend file, with every member a new set)."""
        by_category: dict[str, tuple[set[str], set[str]]] = {}
        for override in self.overrides.to_dict("records"):
            in_scope_for, out_of_scope_for = by_category.setdefault(override["category"], (set(), set()))
            (in_scope_for if override["in_scope"] else out_of_scope_for).add(override["member_id"])
        return [
            (position, rule, *by_category.get(rule["category"], (set(), set())))
            for position, rule in enumerate(self.rules.to_dict("records"))
        ]

    def applying(self, members: frozenset[str]) -> list[tuple[int, dict[str, Any], bool, set[str], set[str]]]:
        """(position, rule, for every member?, members added, members excluded) of each rule that applies
        to any of ``members``, in the order rules are tried."""
        if members not in self._applies:
            found = []
            for position, rule, in_scope_for, out_of_scope_for in self._tried:
                for_all, added, excluded = _members_rule_applies_to(
                    rule, in_scope_for, out_of_scope_for, members
                )
                if for_all or added:
                    found.append((position, rule, for_all, added, excluded))
            self._applies[members] = found
        return self._applies[members]

    def categories(self) -> list[str]:
        """Every out-of-scope category a rule can give, in file order (for a stable KPI breakdown)."""
        cats = self.rules.loc[self.rules["category"] != IN_SCOPE, "category"]
        return list(dict.fromkeys(cats))


def _flag(value: str, name: str, rule: str, where: str) -> bool:
    text = value.strip().lower()
    if text in _YES:
        return True
    if text in _NO:
        return False
    raise ScopeRulesError(f"{where}: rule '{rule}' has {name} = '{value}'; write yes or no.")


def _check_pattern(pattern: str, column: str, rule: str, where: str) -> None:
    try:
        pc.match_substring_regex(pa.array([""], pa.string()), pattern)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        raise ScopeRulesError(
            f"{where}: rule '{rule}' has a {column} pattern that is not a valid regular expression "
            f"({exc}). Patterns use RE2 syntax: no look-ahead or look-behind."
        ) from None


def parse_scope_rules(text: str, where: str = "spend scope rules") -> pd.DataFrame:
    """Rules from CSV text, checked so a typo fails when the file is read, naming the rule."""
    raw = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False).rename(columns=str.strip)
    missing = [c for c in ("rule_id", "category") if c not in raw.columns]
    if missing:
        raise ScopeRulesError(
            f"{where}: the columns {missing} are missing; the header needs {list(RULE_COLUMNS)}."
        )
    unknown = sorted(set(raw.columns) - set(RULE_COLUMNS))
    if unknown:
        raise ScopeRulesError(f"{where}: unknown columns {unknown}; use {list(RULE_COLUMNS)}.")
    for column in RULE_COLUMNS:
        if column not in raw.columns:
            raw[column] = ""
    rules = raw[list(RULE_COLUMNS)].apply(lambda s: s.str.strip())
    duplicated = rules.loc[rules["rule_id"].duplicated(), "rule_id"].tolist()
    if duplicated:
        raise ScopeRulesError(f"{where}: rule ids {duplicated} appear twice; each rule needs its own id.")
    for record in rules.to_dict("records"):
        rule = record["rule_id"] or "(no id)"
        if not _SLUG.match(record["rule_id"]):
            raise ScopeRulesError(f"{where}: rule id '{rule}' must be lower case letters, digits and _.")
        if not _SLUG.match(record["category"]):
            raise ScopeRulesError(
                f"{where}: rule '{rule}' has category '{record['category']}'; use a short lower-case name "
                f"such as {', '.join(CATEGORY_LABELS)} or {IN_SCOPE}."
            )
        if record["amount_sign"].lower() not in ("", "positive", "negative"):
            raise ScopeRulesError(
                f"{where}: rule '{rule}' has amount_sign '{record['amount_sign']}'; use positive, negative or leave it blank."
            )
        patterns = [c for c in PATTERN_COLUMNS if record[c]]
        if not patterns and not record["amount_sign"]:
            raise ScopeRulesError(f"{where}: rule '{rule}' matches nothing; give at least one pattern.")
        for column in patterns:
            _check_pattern(record[column], column, rule, where)
        _flag(record["enabled"] or "yes", "enabled", rule, where)
        _flag(record["not_if_business"], "not_if_business", rule, where)
    rules["enabled"] = [
        _flag(v or "yes", "enabled", r, where)
        for v, r in zip(rules["enabled"], rules["rule_id"], strict=True)
    ]
    rules["not_if_business"] = [
        _flag(v, "not_if_business", r, where)
        for v, r in zip(rules["not_if_business"], rules["rule_id"], strict=True)
    ]
    rules["amount_sign"] = rules["amount_sign"].str.lower()
    return rules.reset_index(drop=True)


def combine_scope_rules(defaults: pd.DataFrame, network: pd.DataFrame | None) -> pd.DataFrame:
    """The network's rules over the defaults: same id replaces in place, new ids are tried first."""
    if network is None or network.empty:
        return defaults.reset_index(drop=True)
    replacing = network.set_index("rule_id")
    merged = defaults.copy()
    known = merged["rule_id"].isin(replacing.index)
    if known.any():
        merged.loc[known, replacing.columns] = replacing.loc[merged.loc[known, "rule_id"]].to_numpy()
    added = network[~network["rule_id"].isin(defaults["rule_id"])]
    return pd.concat([added, merged], ignore_index=True)


def parse_scope_overrides(text: str, where: str = "spend scope overrides") -> pd.DataFrame:
    """Per-member overrides: ``member_id, category, in_scope (yes/no), reason``."""
    raw = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False).rename(columns=str.strip)
    missing = [c for c in ("member_id", "category", "in_scope") if c not in raw.columns]
    if missing:
        raise ScopeRulesError(
            f"{where}: the columns {missing} are missing; the header needs {list(OVERRIDE_COLUMNS)}."
        )
    if "reason" not in raw.columns:
        raw["reason"] = ""
    overrides = raw[list(OVERRIDE_COLUMNS)].apply(lambda s: s.str.strip())
    overrides["in_scope"] = [
        _flag(v, "in_scope", f"{m}/{c}", where)
        for v, m, c in zip(overrides["in_scope"], overrides["member_id"], overrides["category"], strict=True)
    ]
    if overrides.duplicated(["member_id", "category"]).any():
        raise ScopeRulesError(f"{where}: a member and category appear twice; keep one line for each.")
    return overrides


def load_scope_rules(
    network_rules: str | None = None, member_overrides: str | None = None, defaults: str | None = None
) -> ScopeRules:
    """The shipped defaults, a network's own rules and its member overrides, each given as CSV text."""
    base = parse_scope_rules(
        defaults if defaults is not None else RULES_FILE.read_text(encoding="utf-8"), str(RULES_FILE.name)
    )
    own = parse_scope_rules(network_rules, "the network's spend scope rules") if network_rules else None
    overrides = (
        parse_scope_overrides(member_overrides)
        if member_overrides
        else pd.DataFrame(columns=list(OVERRIDE_COLUMNS))
    )
    return ScopeRules(combine_scope_rules(base, own), overrides)


def fold_text(values: pd.Series) -> pd.Series:
    """The text rules are matched against: 'H.M. Revenue & Customs' -> 'hm revenue and customs'."""
    text = values.astype("string").str.lower()
    text = text.str.replace(r"['’`.]", "", regex=True).str.replace("&", " and ", regex=False)
    return text.str.replace(r"[^a-z0-9]+", " ", regex=True).str.strip()


class _Distinct:
    """One spend column folded and factorised, so each pattern runs once per distinct value."""

    def __init__(self, values: pd.Series) -> None:
        # Folded once per distinct raw value (a file repeats its suppliers and categories), then the
        # folded values factorised again: two spellings that fold alike share a code.
        raw_codes, raw_uniques = pd.factorize(values.astype("string"), use_na_sentinel=True)
        folded_codes, uniques = pd.factorize(
            fold_text(pd.Series(raw_uniques, dtype="string")), use_na_sentinel=True
        )
        self.codes = np.where(raw_codes >= 0, np.append(folded_codes, -1)[raw_codes], -1)
        self.uniques = pa.array(pd.Series(uniques, dtype="string").fillna(""), pa.string())

    def matches(self, pattern: str) -> np.ndarray:
        hit = pc.match_substring_regex(self.uniques, pattern).to_numpy(zero_copy_only=False)
        # a missing value (code -1) never matches
        return np.append(hit, False)[self.codes]


def _members_rule_applies_to(
    rule: dict[str, Any], in_scope_for: set[str], out_of_scope_for: set[str], members: Iterable[str]
) -> tuple[bool, set[str], set[str]]:
    """(for every member?, members added, members excluded) once the overrides of the rule's category
    (members they bring into scope, members they take out of it) apply."""
    if rule["member_id"]:
        only = {rule["member_id"]} - in_scope_for
        if not rule["enabled"]:
            only &= out_of_scope_for
        return False, only, set()
    if rule["enabled"]:
        return True, set(), set(in_scope_for)
    return False, out_of_scope_for & set(members), set()


def classify_scope(spend: pd.DataFrame, rules: ScopeRules) -> pd.DataFrame:
    """Per spend line: ``out_of_scope`` (category, None = in scope), ``out_of_scope_rule`` and its reason.

    ``spend`` has supplier_name, supplier_id, category, department and amount_gbp (any may be absent:
    a rule about an absent column never matches), and member_id where member rules or overrides apply.
    """
    n = len(spend)
    empty = pd.Series(pd.NA, index=spend.index, dtype="string")
    columns = {name: _Distinct(spend.get(column, empty)) for name, column in PATTERN_COLUMNS.items()}
    business = columns["supplier_name"].matches(BUSINESS_NAME)
    amount = (
        pd.to_numeric(spend["amount_gbp"], errors="coerce").to_numpy(dtype="float64")
        if "amount_gbp" in spend
        else np.full(n, np.nan)
    )
    # A file's lines have one member: which lines a rule's members hold is looked up per distinct member.
    member_codes, members = pd.factorize(
        spend["member_id"].astype("string") if "member_id" in spend else empty, use_na_sentinel=True
    )

    def held_by(chosen: set[str]) -> np.ndarray:
        # a missing member (code -1) is held by no set of members
        return np.array([member in chosen for member in members] + [False])[member_codes]

    decided = np.zeros(n, dtype=bool)
    chosen = np.full(n, -1, dtype=np.int64)
    for position, rule, for_all, added, excluded in rules.applying(frozenset(members)):
        hit = ~decided
        if for_all:
            if excluded:
                hit &= ~held_by(excluded)
        else:
            hit &= held_by(added)
        for pattern_column in PATTERN_COLUMNS:
            if rule[pattern_column] and hit.any():
                hit &= columns[pattern_column].matches(rule[pattern_column])
        if rule["amount_sign"] == "positive":
            hit &= amount > 0
        elif rule["amount_sign"] == "negative":
            hit &= amount < 0
        if rule["not_if_business"]:
            hit &= ~business
        chosen[hit] = position
        decided |= hit

    # Each line takes its rule's labels (the last entry, null, for a line no rule decided), taken with
    # Arrow from the few rules' labels rather than built as Python objects line by line. A rule that
    # brings lines back into scope (IN_SCOPE) leaves them without a category or a reason.
    table = rules.rules.reset_index(drop=True)
    exception = (table["category"] == IN_SCOPE).to_numpy()
    lines = pa.array(chosen)  # -1: no rule
    lines = pc.if_else(pc.less(lines, 0), len(table), lines)

    def labels(values: pd.Series, keep: np.ndarray) -> pd.api.extensions.ExtensionArray:
        per_rule = [value if kept else None for value, kept in zip(values, keep, strict=True)]
        return pd.array(pc.take(pa.array([*per_rule, None], pa.string()), lines), dtype="string")

    everywhere = np.ones(len(table), dtype=bool)
    return pd.DataFrame(
        {
            "out_of_scope": labels(table["category"], ~exception),
            "out_of_scope_rule": labels(table["rule_id"], everywhere),
            "out_of_scope_reason": labels(table["reason"], ~exception),
        },
        index=spend.index,
    )


def scope_summary(spend: pd.DataFrame, classified: pd.DataFrame) -> pd.DataFrame:
    """Spend per out-of-scope category and rule (in-scope as its own row), with its share of all spend."""
    amount = pd.to_numeric(spend["amount_gbp"], errors="coerce").astype("float64")
    frame = pd.DataFrame(
        {
            "category": classified["out_of_scope"].fillna(IN_SCOPE),
            "rule_id": classified["out_of_scope_rule"].where(classified["out_of_scope"].notna(), ""),
            "amount_gbp": amount,
        }
    )
    summary = frame.groupby(["category", "rule_id"], as_index=False).agg(
        lines=("amount_gbp", "size"), amount_gbp=("amount_gbp", "sum")
    )
    total = amount.sum()
    summary["share_pct"] = (summary["amount_gbp"] / total * 100).round(2) if total else np.nan
    return summary.sort_values("amount_gbp", ascending=False, ignore_index=True)
