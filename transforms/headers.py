"""Recognise the columns of a member's export from its header names, however their system spells them.

Finance and HR systems name one column many ways: "Supplier Name", "VENDOR_NAME", "Beneficiary (T)",
"Sum of Nett Amount", "Suplier". A list of aliases only knows the spellings somebody wrote down, so a
header is read as words instead. Each word is folded to the concept it stands for (vendor, payee and
creditor are all a supplier; "Nett" and "excluding VAT" both mean net), a misspelt word is forgiven
when it is long enough not to be mistaken for another, and the header is scored against the phrases
each canonical column is known by (its name, label and aliases, read the same way).

A header matches a phrase when it holds every concept of the phrase. Any other concept it holds must
be one the column's own phrases use, and never a different *kind* of value: "Supplier ID" holds an
identifier, so it is not the supplier's name; "Expenditure Code" is not an amount; "VAT" on its own is
not the net amount. Words nobody knows lower the score instead of ruling the header out ("Vendor Legal
Name" is still the supplier's name, "Overtime Hours" is not the contracted hours). When several headers
compete for one column the best score wins, and for amounts the net one beats the plain one, which
beats the gross one.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from transforms.identifiers import shown_header
from transforms.return_types import ReturnType, normalise_header

# A header scoring at least this for a column is taken for it (see ``_phrase_score``).
MATCH_THRESHOLD = 0.6
# A headers' score below this is not offered as "the closest header" when a required column is missing.
SUGGESTION_THRESHOLD = 0.25

How = Literal["your column map", "known name", "words", "words, allowing a typo"]

# -- the language of finance and HR exports ------------------------------------------------------
# Concept -> the words that stand for it. Folding vendor, payee and creditor into one concept is what
# lets "Payee Ref" be recognised although only "Supplier Ref" was ever listed.
_LEXICON: dict[str, tuple[str, ...]] = {
    "supplier": (
        "supplier",
        "vendor",
        "beneficiary",
        "payee",
        "creditor",
        "merchant",
        "contractor",
        "provider",
        "recipient",
        "trader",
        "seller",
        "counterparty",
        "grantee",
    ),
    "company": ("company", "companies", "firm", "business"),
    # The member itself, or a part of it: "Body Name", "Client", "Organisation" are never the supplier.
    "organisation": ("organisation", "organisational", "org", "body", "entity"),
    "buyer": ("payer", "buyer", "purchaser", "client", "customer", "authority", "council"),
    "name": ("name", "nm"),
    "identifier": (
        "id",
        "ref",
        "reference",
        "number",
        "no",
        "num",
        "nr",
        "nbr",
        "code",
        "key",
        "identifier",
        "urn",
    ),
    "date": ("date", "dt", "dated"),
    "amount": (
        "amount",
        "amt",
        "amnt",
        "value",
        "val",
        "total",
        "sum",
        "cost",
        "price",
        "figure",
        "money",
        "monies",
    ),
    "spend": ("spend", "spending", "expenditure", "expense", "outturn"),
    "payment": ("payment", "paid", "pay", "pmt", "pymt", "wage", "remittance"),
    "transaction": ("transaction", "trans", "txn", "tran", "trx"),
    "invoice": ("invoice", "inv"),
    "document": ("document", "doc", "voucher"),
    "line": ("line", "item"),
    "foreign": ("eur", "euro", "euros", "usd", "dollar", "dollars", "fx", "foreign"),
    "debit": ("debit", "debits", "dr"),
    "credit": ("credit", "credits", "cr"),
    "net": ("net", "nett"),
    "gross": ("gross",),
    "vat": ("vat", "tax"),
    "postcode": ("postcode", "zip", "zipcode", "pcode"),
    "address": ("address", "street", "town", "city", "county", "country", "region", "ward"),
    "category": ("category", "categorisation", "class", "classification"),
    "type": ("type", "kind"),
    "department": ("department", "dept", "directorate", "division"),
    "service": ("service",),
    "notes": (
        "notes",
        "note",
        "comment",
        "remarks",
        "remark",
        "narrative",
        "description",
        "desc",
        "details",
        "detail",
    ),
    "size": ("size",),
    "flag": ("flag",),
    "tier": ("tier",),
    "percent": ("percent", "percentage", "pct", "%"),
    "count": ("count", "quantity", "qty"),
    "vcse": ("vcse", "voluntary", "charity", "charitable"),
    "diverse": ("diverse", "diversity"),
    "goods": ("goods", "supplies", "supply"),
    "employee": (
        "employee",
        "emp",
        "staff",
        "worker",
        "person",
        "personnel",
        "colleague",
        "payroll",
        "assignment",
    ),
    "snapshot": ("snapshot", "census", "asat"),
    "rate": ("rate",),
    "hourly": ("hourly",),
    "hours": ("hours", "hour", "hrs"),
    "weekly": ("weekly", "wkly", "week"),
    "contracted": ("contracted", "contract", "contractual"),
    "basic": ("basic", "base"),
    "standard": ("standard", "std", "normal", "usual", "regular"),
    "employment": ("employment", "basis"),
    "apprentice": ("apprentice", "apprenticeship"),
    "start": ("start", "commencement"),
    "home": ("home", "residential", "residence"),
    "district": ("district", "outward"),
    "age": ("age",),
    "band": ("band", "range", "bracket", "group"),
    "sex": ("sex", "gender"),
    "ethnicity": ("ethnicity", "ethnic"),
    "disability": ("disability", "disabled"),
    "measure": ("measure", "indicator", "kpi", "metric", "measurement"),
    "unit": ("unit", "uom"),
    "evidence": ("evidence", "source", "link", "url"),
}
# Concepts that say what kind of value a column holds. A header naming a kind that the column's own
# phrases never name belongs to another column, whatever else it says.
_KINDS = frozenset(
    {
        "name",
        "identifier",
        "date",
        "amount",
        "vat",
        "postcode",
        "address",
        "category",
        "type",
        "notes",
        "size",
        "flag",
        "tier",
        "percent",
        "count",
        "rate",
        "hours",
        "unit",
        "foreign",
    }
)
# Weaker synonyms: "Type of Expenditure" (revenue or capital) must lose to "Expenditure Category".
_WORD_STRENGTH = {"type": 0.8, "kind": 0.8}
# Net beats a plain amount, which beats a gross one, when they compete for the same column.
_PREFERENCE = {"net": 1, "gross": -1}
_TYPO_STRENGTH = 0.9

# Words that carry no meaning in a header, and currency words (the pound sign is dropped too).
_STOPWORDS = frozenset({"of", "the", "a", "an", "and", "or", "for", "in", "to", "by", "on", "at", "per", "is", "from", "this", "our", "your", "its", "amp", "all", "each", "s"})  # fmt: skip
# "LC" is SAP's local currency ("Amount in LC"), the ledger's own: pounds for a UK member. Another
# currency is a concept of its own (``foreign``), a kind no amount in pounds is named with.
_CURRENCY = frozenset({"gbp", "stg", "sterling", "pounds", "pound", "lc"})
# Pivot-table and database export prefixes: "Sum of Amount" is the amount; "Count of" is a count.
_PREFIXES: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = (
    (("sum", "of"), ()),
    (("total", "of"), ()),
    (("max", "of"), ()),
    (("min", "of"), ()),
    (("first", "of"), ()),
    (("last", "of"), ()),
    (("count", "of"), ("count",)),
    (("number", "of"), ("count",)),
    (("no", "of"), ("count",)),
)
# Word pairs that mean one thing.
_PAIRS = {
    ("post", "code"): "postcode",
    ("postal", "code"): "postcode",
    ("zip", "code"): "postcode",
    ("as", "at"): "asat",
    ("per", "hour"): "hourly",
    ("per", "week"): "weekly",
    ("ethnic", "origin"): "ethnic",
    ("local", "currency"): "lc",
    ("loc", "cur"): "lc",
    ("loc", "curr"): "lc",
}
# "Amount excluding VAT" is the net amount, "Amount inc. VAT" the gross one, "VAT" on its own neither.
# "Net"/"Gross" only count with "of" ("Net of VAT"): "Net VAT" is an amount of VAT.
_NET_WORDS = frozenset(
    {"ex", "exc", "excl", "excluding", "exclusive", "less", "before", "pre", "minus", "without"}
)
_GROSS_WORDS = frozenset({"inc", "incl", "including", "inclusive", "with", "plus", "after"})
_OF_WORDS = {"net": "net", "nett": "net", "gross": "gross", "exclusive": "net", "inclusive": "gross"}
# British spellings are the ones in the lexicon.
_US_SPELLINGS = {"center": "centre", "catalog": "catalogue", "labor": "labour", "program": "programme"}

# Phrases a column is known by beyond its aliases in ``return_types``: ways of naming an amount at
# invoice or line level, the gross amount (a last resort), and the organisational unit.
_EXTRA_PHRASES: dict[str, dict[str, tuple[tuple[str, float], ...]]] = {
    "spend": {
        "amount_gbp": (
            ("invoice amount", 1.0),
            ("transaction amount", 1.0),
            ("gross amount", 0.85),
            ("gross", 0.85),
            ("amount including vat", 0.85),
        ),
        "department": (("organisational unit", 1.0),),
    },
    "workforce": {},
    "measures": {},
}


# -- header text to words ---------------------------------------------------------------------------
_QUOTES = re.compile(r"[\"'`´‘’“”]")
# Between the two languages of a bilingual header: a slash or a bar with spaces around it.
_BILINGUAL = re.compile(r"\s+[/|]\s+")
# System suffixes: "(T)", "[R]", "(1)"; a parenthesis of words is kept ("(excl VAT)", "(ID)", "(Payee)").
_SYSTEM_SUFFIX = re.compile(r"[(\[]\s*(?:[A-Za-z]|\d+)\s*[)\]]")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_SPLIT = re.compile(r"[^a-z0-9%#]+")


def header_words(header: object) -> tuple[str, ...]:
    """The meaningful words of a header, lower case, prefixes, suffixes, currency and VAT phrasing folded.

    'Sum of Nett_Amount (£) (T)' -> ('nett', 'amount'); 'Amount excl. VAT' -> ('amount', 'net');
    'SupplierID' -> ('supplier', 'id').
    """
    return _words(str(header or ""))


@lru_cache(maxsize=1 << 16)
def _words(text: str) -> tuple[str, ...]:
    text = unicodedata.normalize("NFKC", text)
    text = _QUOTES.sub("", text)
    text = _SYSTEM_SUFFIX.sub(" ", text)
    text = _CAMEL.sub(" ", text).lower()
    text = text.replace("£", " ").replace("$", " ").replace("€", " ").replace("&", " and ")
    text = text.replace("#", " number ")
    tokens = [t for t in _SPLIT.split(text) if t and not t.isdigit()]
    tokens = [_US_SPELLINGS.get(t, re.sub(r"iz(e|ed|es|ing|ation|ational)$", r"is\1", t)) for t in tokens]
    tokens = [t for t in tokens if t not in _CURRENCY]
    for prefix, replacement in _PREFIXES:
        if tuple(tokens[: len(prefix)]) == prefix and len(tokens) > len(prefix):
            tokens = [*replacement, *tokens[len(prefix) :]]
            break
    tokens = _fold_vat(tokens)
    folded: list[str] = []
    for token in tokens:
        if folded and (folded[-1], token) in _PAIRS:
            folded[-1] = _PAIRS[folded[-1], token]
        else:
            folded.append(token)
    return tuple(t for t in folded if t not in _STOPWORDS and t not in _CURRENCY and (len(t) > 1 or t == "%"))


def _fold_vat(tokens: list[str]) -> list[str]:
    """'exc VAT', 'VAT exclusive', 'net of VAT' -> 'net'; 'inc VAT', 'gross of tax' -> 'gross'."""
    out = list(tokens)
    for index, token in enumerate(tokens):
        if token not in ("vat", "tax"):
            continue
        if index >= 2 and tokens[index - 1] == "of" and tokens[index - 2] in _OF_WORDS:
            out[index], out[index - 1], out[index - 2] = _OF_WORDS[tokens[index - 2]], "", ""
            continue
        for i in (index - 1, index + 1):
            if 0 <= i < len(tokens) and (tokens[i] in _NET_WORDS or tokens[i] in _GROSS_WORDS):
                out[index], out[i] = "net" if tokens[i] in _NET_WORDS else "gross", ""
                break
    return [t for t in out if t]


# -- words to concepts -----------------------------------------------------------------------------
_WORD_CONCEPT = {word: concept for concept, words in _LEXICON.items() for word in words}


@dataclass(frozen=True)
class _Phrase:
    concepts: frozenset[str]
    weight: float


@dataclass(frozen=True)
class _Column:
    name: str
    phrases: tuple[_Phrase, ...]
    vocabulary: frozenset[str]  # every concept any of its phrases uses
    exact: frozenset[str]  # normalised names, labels and aliases: a header equal to one is "a known name"


@dataclass(frozen=True)
class _Concept:
    concept: str
    strength: float
    typo: bool


class _Vocabulary:
    """The words one return type knows: the shared lexicon plus every word its phrases use."""

    def __init__(self, return_type: ReturnType) -> None:
        self.words = dict(_WORD_CONCEPT)
        extra = _EXTRA_PHRASES.get(return_type.name, {})
        texts = [
            text
            for name, spec in return_type.columns.items()
            for text in (name, spec.label, *spec.aliases, *(t for t, _ in extra.get(name, ())))
        ]
        for text in texts:
            for word in _words(text):
                self.words.setdefault(word, word)  # a word only aliases use stands for itself
        self.known = frozenset(self.words) | _STOPWORDS | _CURRENCY
        self._by_letter: dict[str, list[str]] = {}
        for word in self.words:
            self._by_letter.setdefault(word[0], []).append(word)

    def concept(self, word: str) -> _Concept | None:
        """The concept a word stands for: exactly, as a plural or other inflection, or as a typo."""
        return self.exact(word) or self._typo(word)

    def exact(self, word: str) -> _Concept | None:
        if word in self.words:
            return _Concept(self.words[word], _WORD_STRENGTH.get(word, 1.0), False)
        for suffix, replacement in (("ies", "y"), ("s", ""), ("es", ""), ("ed", ""), ("d", ""), ("ing", "")):
            if word.endswith(suffix) and word[: len(word) - len(suffix)] + replacement in self.words:
                base = word[: len(word) - len(suffix)] + replacement
                return _Concept(self.words[base], _WORD_STRENGTH.get(base, 1.0), False)
        return None

    def _typo(self, word: str) -> _Concept | None:
        """A misspelling of one known word: one edit for words of 5+ letters, two for 9+, same first letter."""
        if len(word) < 5 or not word.isalpha():
            return None
        limit = 2 if len(word) >= 9 else 1
        choices = [w for w in self._by_letter.get(word[0], ()) if len(w) >= 4]
        found = process.extract(word, choices, scorer=OSA.distance, score_cutoff=limit, limit=None)
        if not found:
            return None
        best = min(distance for _, distance, _ in found)
        concepts = {self.words[w] for w, distance, _ in found if distance == best}
        if len(concepts) != 1:
            return None  # as close to two different things: no guess
        return _Concept(concepts.pop(), _TYPO_STRENGTH, True)

    def split_compound(self, word: str) -> tuple[str, ...] | None:
        """'suppliername' -> ('supplier', 'name'): database column names written without separators."""
        if len(word) < 5 or word in self.known:
            return None
        best: dict[int, tuple[str, ...]] = {0: ()}
        for end in range(1, len(word) + 1):
            options = [
                (*best[start], word[start:end])
                for start in range(max(0, end - 15), end - 1)
                if start in best and word[start:end] in self.known
            ]
            if options:
                best[end] = min(options, key=len)
        parts = best.get(len(word))
        return parts if parts and len(parts) > 1 else None


def _concepts(vocabulary: _Vocabulary, header: str) -> tuple[dict[str, _Concept], list[str]]:
    """The header's concepts (strongest reading of each) and the words that mean nothing we know."""
    found: dict[str, _Concept] = {}
    unknown: list[str] = []
    words: list[str] = []
    for word in _words(header):
        parts = vocabulary.split_compound(word) if vocabulary.exact(word) is None else None
        words.extend(p for p in (parts or (word,)) if p not in _STOPWORDS and p not in _CURRENCY)
    for word in words:
        concept = vocabulary.concept(word)
        if concept is None:
            unknown.append(word)
        elif concept.concept not in found or concept.strength > found[concept.concept].strength:
            found[concept.concept] = concept
    return found, unknown


# -- scoring ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ColumnScore:
    column: str
    score: float  # 0 (no match) to 1
    how: How
    preference: int = 0  # net +1, gross -1: breaks ties between amounts
    priority: int = 0  # 1 for the member's own map, which always wins


def _phrase_score(
    column: _Column, concepts: dict[str, _Concept], unknown: list[str]
) -> tuple[float, bool] | None:
    """The best phrase's score: found concepts over all concepts of the header, or None if ruled out.

    Concepts of the phrase count fully (less for a typo or a weak synonym); other concepts the column
    uses count half; unknown words count nothing but still weigh in the denominator.
    """
    best: tuple[float, bool] | None = None
    for phrase in column.phrases:
        if not phrase.concepts <= concepts.keys():
            continue
        extras = concepts.keys() - phrase.concepts
        if any((extra in _KINDS or extra not in column.vocabulary) and extra in _LEXICON for extra in extras):
            continue  # another kind of value, or a subject the column never names
        related = [e for e in extras if e in column.vocabulary]
        literal = [e for e in extras if e not in column.vocabulary]  # a word only other columns use
        found = sum(concepts[c].strength for c in phrase.concepts) + 0.5 * sum(
            concepts[e].strength for e in related
        )
        total = len(phrase.concepts) + len(related) + len(literal) + len(unknown)
        score = phrase.weight * found / total
        typo = any(concepts[c].typo for c in phrase.concepts | set(related))
        if best is None or score > best[0]:
            best = (score, typo)
    return best


class HeaderRecogniser:
    """Scores headers for the columns of one return type, a member's own map first."""

    def __init__(self, return_type: ReturnType, member_column_map: dict[str, str] | None = None) -> None:
        self.return_type = return_type
        self.vocabulary = _Vocabulary(return_type)
        self.member_map = {
            normalise_header(header): column
            for header, column in (member_column_map or {}).items()
            if column in return_type.columns
        }
        extra = _EXTRA_PHRASES.get(return_type.name, {})
        self.columns: list[_Column] = []
        for name, spec in return_type.columns.items():
            texts = [(name.replace("_gbp", ""), 1.0), (spec.label, 1.0), *((a, 1.0) for a in spec.aliases)]
            texts += list(extra.get(name, ()))
            phrases = []
            for text, weight in texts:
                concepts, unknown = _concepts(self.vocabulary, text)
                if concepts and not unknown:
                    phrases.append(_Phrase(frozenset(concepts), weight))
            exact = frozenset(normalise_header(t) for t in (name, spec.label, *spec.aliases) if t)
            vocabulary = frozenset(c for p in phrases for c in p.concepts)
            self.columns.append(_Column(name, tuple(dict.fromkeys(phrases)), vocabulary, exact))
        self._cache: dict[str, list[ColumnScore]] = {}

    def scores(self, header: str) -> list[ColumnScore]:
        """Every column the header could be, best first (empty when it is none of them)."""
        key = header.strip()
        if key in self._cache:
            return self._cache[key]
        result: list[ColumnScore] = []
        normalised = normalise_header(key)
        if normalised and normalised in self.member_map:
            result = [ColumnScore(self.member_map[normalised], 1.0, "your column map", priority=1)]
        elif normalised and len(key) <= 80:
            # A bilingual header ('Dyddiad / Date', 'Supplier Name | Enw Cyflenwr') is read as well as
            # each of its halves; each column takes its best score.
            best: dict[str, ColumnScore] = {}
            for text in (key, *(part for part in _BILINGUAL.split(key) if part.strip() and part != key)):
                for score in self._scored(text.strip()):
                    if score.column not in best or score.score > best[score.column].score:
                        best[score.column] = score
            result = sorted(best.values(), key=lambda s: (-s.score, -s.preference))
        if len(self._cache) > 1 << 16:  # cells of many files' first lines: keep memory bounded
            self._cache.clear()
        self._cache[key] = result
        return result

    def _scored(self, text: str) -> list[ColumnScore]:
        normalised = normalise_header(text)
        if not normalised:
            return []
        concepts, unknown = _concepts(self.vocabulary, text)
        preference = sum(_PREFERENCE.get(c, 0) for c in concepts)
        result = []
        for column in self.columns:
            if normalised in column.exact:
                result.append(ColumnScore(column.name, 1.0, "known name", preference))
                continue
            scored = _phrase_score(column, concepts, unknown)
            if scored is not None and scored[0] >= MATCH_THRESHOLD:
                how: How = "words, allowing a typo" if scored[1] else "words"
                result.append(ColumnScore(column.name, round(min(scored[0], 1.0), 2), how, preference))
        return result

    def columns_named(self, cells: Iterable[str]) -> set[str]:
        """The columns a row of cells names: how the header row is told from a preamble or data."""
        return {scores[0].column for cell in cells if (scores := self.scores(cell))}

    def map(self, header: Sequence[str]) -> HeaderMapping:
        """Each column to at most one header: the best-scoring pairs are taken first."""
        candidates = [
            (position, s) for position, cell in enumerate(header) if cell.strip() for s in self.scores(cell)
        ]
        candidates.sort(key=lambda c: (-c[1].priority, -c[1].score, -c[1].preference, c[0]))
        taken_positions: set[int] = set()
        matches: dict[str, HeaderMatch] = {}
        for position, score in candidates:
            if position in taken_positions or score.column in matches:
                continue
            taken_positions.add(position)
            matches[score.column] = HeaderMatch(
                position, header[position].strip(), score.column, score.score, score.how
            )
        for whole, parts in self.return_type.in_two_parts.items():
            if whole in matches:  # the file has the column itself: its parts are not read
                for part in parts:
                    if part in matches:
                        taken_positions.discard(matches.pop(part).position)
        ordered = tuple(sorted(matches.values(), key=lambda m: m.position))
        ignored = tuple(
            cell.strip()
            for position, cell in enumerate(header)
            if cell.strip() and position not in taken_positions
        )
        missing = tuple(c for c in self.return_type.required_sent(matches) if c not in matches)
        return HeaderMapping(ordered, ignored, missing)

    def closest(self, header: Sequence[str], column: str, taken: Iterable[str] = (), n: int = 3) -> list[str]:
        """Headers that come nearest to naming ``column`` though none is sure enough, nearest first."""
        spec = self.return_type.columns[column]
        target = next(c for c in self.columns if c.name == column)
        names = [normalise_header(t) for t in (spec.label, *spec.aliases) if t]
        taken = set(taken)
        ranked: list[tuple[float, int, str]] = []
        for position, cell in enumerate(header):
            text = cell.strip()
            if not text or text in taken:
                continue
            concepts, unknown = _concepts(self.vocabulary, text)
            overlap = max(
                (
                    len(p.concepts & concepts.keys()) / len(p.concepts | concepts.keys() | set(unknown))
                    for p in target.phrases
                ),
                default=0.0,
            )
            spelling = process.extractOne(normalise_header(text), names, scorer=fuzz.ratio)
            closeness = max(overlap, 0.8 * (spelling[1] / 100 if spelling else 0.0))
            if closeness >= SUGGESTION_THRESHOLD:
                ranked.append((closeness, -position, text))
        ranked.sort(reverse=True)
        return [text for _, _, text in ranked[:n]]


@dataclass(frozen=True)
class HeaderMatch:
    """One header taken for one column: what the feedback tells the member about how it was read."""

    position: int
    header: str
    column: str
    score: float
    how: How

    def describe(self, return_type: ReturnType) -> str:
        """ "'Nett Amt' read as Amount (words, 0.83)": a line of the feedback's column mapping."""
        label = return_type.columns[self.column].label or self.column
        return f"'{self.header}' read as {label} ({self.how}, {self.score:.2f})"


@dataclass(frozen=True)
class HeaderMapping:
    matches: tuple[HeaderMatch, ...]
    ignored: tuple[str, ...]
    missing: tuple[str, ...]  # required columns no header was taken for

    @property
    def positions(self) -> dict[int, str]:
        """Header position -> canonical column, in the order of the file."""
        return {m.position: m.column for m in self.matches}

    @property
    def mapped(self) -> dict[str, str]:
        """Original header -> canonical column."""
        return {m.header: m.column for m in self.matches}


_RECOGNISERS: dict[tuple[str, frozenset[tuple[str, str]]], HeaderRecogniser] = {}


def recogniser(return_type: ReturnType, member_column_map: dict[str, str] | None = None) -> HeaderRecogniser:
    """The recogniser for a return type and a member's map, built once per process (scores are cached)."""
    key = (return_type.name, frozenset((member_column_map or {}).items()))
    if key not in _RECOGNISERS or _RECOGNISERS[key].return_type is not return_type:
        if len(_RECOGNISERS) > 256:
            _RECOGNISERS.clear()
        _RECOGNISERS[key] = HeaderRecogniser(return_type, member_column_map)
    return _RECOGNISERS[key]


def mapping_summary(
    matches: Sequence[HeaderMatch], ignored: Sequence[str], return_type: ReturnType
) -> list[str]:
    """Lines for the feedback: how each header was read, then the columns not used, so a member can check.

    In a return that holds personal data, a header that looks like a value (a staff number, a postcode)
    is never repeated (``transforms.identifiers.shown_header``).
    """
    personal = return_type.has_personal_data
    lines = [match.describe(return_type) for match in matches]
    if ignored:
        lines.append("Not used: " + ", ".join(f"'{shown_header(h, personal)}'" for h in ignored) + ".")
    return lines
