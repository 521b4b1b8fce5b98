"""The RE2 spellings of Python's classes match exactly what Python's classes match, over all of Unicode."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from transforms.re2_classes import WHITESPACE


def test_whitespace_is_what_python_calls_whitespace() -> None:
    characters = [chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF]
    matched = pc.match_substring_regex(pa.array(characters), f"^{WHITESPACE}$").to_pylist()
    differ = [hex(ord(c)) for c, m in zip(characters, matched, strict=True) if m != c.isspace()]
    assert differ == []
    assert sum(matched) == sum(c.isspace() for c in characters) > 25


SPACES = [chr(c) for c in range(0x110000) if chr(c).isspace()]


def test_readers_take_every_kind_of_space_as_python_does() -> None:
    """Finance and HR exports put no-break, thin and ideographic spaces inside values."""
    import pandas as pd

    from transforms.coercion import normalise_enum, normalise_postcodes, parse_money, parse_numbers
    from transforms.return_types import RETURN_TYPES

    postcodes = pd.Series([f"se1{s}{s}7pb" for s in SPACES])
    assert normalise_postcodes(postcodes).tolist() == ["SE1 7PB"] * len(SPACES)
    amounts = pd.Series([f"£1{s}234.50" for s in SPACES] + ["(1,234.50)", "12,50"])
    assert parse_money(amounts).tolist()[: len(SPACES)] == [1234.5] * len(SPACES)
    assert parse_money(amounts).tolist()[len(SPACES)] == -1234.5
    assert pd.isna(parse_money(amounts).tolist()[-1])  # a decimal comma is never read as thousands
    hours = pd.Series([f"3{s}7.5" for s in SPACES])
    assert parse_numbers(hours).tolist() == [37.5] * len(SPACES)
    basis = RETURN_TYPES["workforce"].columns["employment_basis"]
    spelled = pd.Series([f"full{s}_-time" for s in SPACES])
    assert set(normalise_enum(spelled, basis)) == set(normalise_enum(pd.Series(["full time"]), basis))
