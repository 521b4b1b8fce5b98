"""How HR systems write the answers of a recruitment return, read into the few values the network counts.

Members export from different applicant-tracking and HR systems: an age band arrives as "18-24",
"18 to 24 years" or an exact age, an ethnic group as the census's detailed answer ("Bangladeshi",
"White and Black Caribbean") or its high-level group. Each reader recognises the *pattern* of an answer
rather than a list of spellings, so "21-24" still lands in 18-24 and "Any other Asian background" in
Asian. Only the coarse value is kept: an exact age or a detailed ethnic answer never leaves the reader.
Text that matches nothing is returned folded (lower case, single spaces) for the suite's set rule to
refuse, with a reason that lists the accepted values.
"""

from __future__ import annotations

import re

import pandas as pd

from transforms.re2_classes import WHITESPACE

PREFER_NOT_TO_SAY = "prefer not to say"
AGE_BANDS: tuple[tuple[str, int, int], ...] = (
    ("16-17", 16, 17),
    ("18-24", 18, 24),
    ("25-34", 25, 34),
    ("35-44", 35, 44),
    ("45-54", 45, 54),
    ("55-64", 55, 64),
    ("65+", 65, 150),
)
AGE_BAND_VALUES = (*(band for band, _, _ in AGE_BANDS), PREFER_NOT_TO_SAY)
# The high-level ethnic groups of the 2021 Census for England and Wales (ONS classification).
ETHNIC_GROUPS = ("asian", "black", "mixed", "white", "other")
ETHNIC_GROUP_VALUES = (*ETHNIC_GROUPS, PREFER_NOT_TO_SAY)
DISABILITY_VALUES = ("yes", "no", PREFER_NOT_TO_SAY)
YES_NO = ("yes", "no")

_REFUSED = re.compile(
    r"prefer(?:s|red)? not|rather not|not (?:to )?(?:say|state|disclose)|not (?:stated|disclosed|declared)"
    r"|undisclosed|declin|refus|withh[eo]ld|do(?: not|n'?t) wish|^pnts$|^pnd$"
)
_NOT_KNOWN = re.compile(r"^(?:unknown|not known|n/?a|none given|not recorded|blank|-+|\?+)$")


def _folded(raw: pd.Series) -> pd.Series:
    text = raw.astype("string").str.strip().str.lower()
    text = text.str.replace("\u2013", "-", regex=False).str.replace("\u2014", "-", regex=False)
    text = text.str.replace(f"{WHITESPACE}+", " ", regex=True)
    return text.mask(text == "")


def _each(raw: pd.Series, read) -> pd.Series:  # type: ignore[no-untyped-def]
    """``read`` on each folded value (callers pass it through ``coercion.by_value``, so once per distinct one)."""
    folded = _folded(raw)
    values = [pd.NA if pd.isna(v) else read(v) for v in folded]
    return pd.Series(values, index=raw.index, dtype="string")


def _band_of(low: int, high: int) -> str | None:
    """The band holding every age from ``low`` to ``high``; None when the range spans two bands."""
    for band, first, last in AGE_BANDS:
        if first <= low and high <= last:
            return band
    return None


def age_band_of(text: str) -> str | None:
    """'18 to 24 years' -> '18-24'; '23' -> '18-24'; 'over 65' -> '65+'; '16-24' spans two bands -> None."""
    if _REFUSED.search(text):
        return PREFER_NOT_TO_SAY
    words = re.sub(r"\b(?:years?|yrs?|aged?|old)\b", " ", text).strip()
    if match := re.fullmatch(r"(\d{1,3})\s*(?:-|to|/)\s*(\d{1,3})", words):
        low, high = int(match[1]), int(match[2])
        return _band_of(low, high) if low <= high else None
    if match := re.fullmatch(
        r"(\d{1,3})\s*(?:\+|plus|and (?:over|above|older)|or (?:over|more|older))", words
    ):
        return _band_of(int(match[1]), 150)
    if match := re.fullmatch(r"(?:over|above|older than)\s*(\d{1,3})", words):
        return _band_of(int(match[1]) + 1, 150)
    if match := re.fullmatch(r"(?:under|below|younger than|less than)\s*(\d{1,3})", words):
        return _band_of(16, int(match[1]) - 1)  # nobody under 16 is hired
    if re.fullmatch(r"\d{1,3}", words):
        return _band_of(int(words), int(words))
    return None


def read_age_bands(raw: pd.Series) -> pd.Series:
    """Age bands from ranges, exact ages or 'prefer not to say'; an exact age is never kept, only its band."""
    return _each(raw, lambda text: age_band_of(text) or (None if _NOT_KNOWN.match(text) else text))


# Words of the census's 19 detailed answers, by high-level group. Mixed is tested first, so that "White and
# Black Caribbean" is Mixed; the other groups are tested in the order below, so that "Black British" is
# Black and "Asian British" Asian before "British" alone makes White.
_MIXED = re.compile(
    r"mixed|multiple|dual heritage|bi-?racial|\bwhite and (?:black|asian)|(?:black|asian) and white"
)
_GROUP_WORDS = (
    ("asian", re.compile(r"asian|indian|pakistani|bangladeshi|chinese")),
    ("black", re.compile(r"black|caribbean|african")),
    (
        "white",
        re.compile(r"white|english|welsh|scottish|northern irish|british|irish|gypsy|traveller|\broma\b"),
    ),
    ("other", re.compile(r"arab|\bother\b")),
)


def ethnic_group_of(text: str) -> str | None:
    """The census high-level group of an ethnic group answer, detailed or high-level."""
    if _REFUSED.search(text):
        return PREFER_NOT_TO_SAY
    if _MIXED.search(text):
        return "mixed"
    for group, words in _GROUP_WORDS:
        if words.search(text):
            return group
    return None


def read_ethnic_groups(raw: pd.Series) -> pd.Series:
    return _each(raw, lambda text: ethnic_group_of(text) or (None if _NOT_KNOWN.match(text) else text))


def disability_of(text: str) -> str | None:
    """'Yes' / 'Disabled' -> yes; 'No' / 'Not disabled' / 'No disability' -> no; refusals -> prefer not to say."""
    if _REFUSED.search(text):
        return PREFER_NOT_TO_SAY
    if re.match(r"(?:no|n|none|false|0)\b", text) or re.search(r"\b(?:not|no|non)\b[\w\s-]*disab", text):
        return "no"
    if re.match(r"(?:yes|y|true|1)\b", text) or re.search(
        r"disab|impairment|long-?term (?:health )?condition", text
    ):
        return "yes"
    return None


def read_disability(raw: pd.Series) -> pd.Series:
    return _each(raw, lambda text: disability_of(text) or (None if _NOT_KNOWN.match(text) else text))


def still_in_post_of(text: str) -> str | None:
    """'Yes' / 'Still in post' -> yes; 'No' / 'Left' -> no; 'Not yet known' -> None (blank)."""
    if re.search(r"not yet|tbc|to be confirmed|pending|too early|unknown|not known", text):
        return None
    if re.match(r"(?:no|n|false|0)\b", text) or re.search(r"\bleft\b|resign|dismiss|ended|leaver", text):
        return "no"
    if re.match(r"(?:yes|y|true|1)\b", text) or re.search(r"in post|still employed|retained|current", text):
        return "yes"
    return text


def read_still_in_post(raw: pd.Series) -> pd.Series:
    return _each(raw, still_in_post_of)


def read_programme_codes(raw: pd.Series) -> pd.Series:
    """Programme codes as the config writes them: lower case, words joined by hyphens ('Green Spaces' too)."""
    folded = _folded(raw)
    return folded.str.replace(f"(?:{WHITESPACE}|_)+", "-", regex=True).astype("string")
