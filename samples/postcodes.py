"""Fictional but well-formed UK postcodes, inside or outside a network's local area.

Suppliers' addresses and staff home districts both need outward codes that look like real ones and a
test of whether a code is local; keeping one definition means the spend sample and the workforce
sample agree on what "local" means.
"""

from __future__ import annotations

import random
import re

from pipeline.config import LocalArea

# Letters used in the inward code: no C, I, K, M, O or V.
INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"
# Highest district number per postcode area (or the districts themselves), so local postcodes look
# like real ones; areas not listed use districts 1-9.
AREA_DISTRICTS: dict[str, int | tuple[str, ...]] = {
    "E": 18, "N": 22, "NW": 11, "SE": 28, "SW": 20, "W": 14, "BR": 8, "CR": 8, "HA": 9, "IG": 11,
    "SM": 6, "UB": 10, "DH": 9, "DL": 17,
    "EC": ("EC1A", "EC1M", "EC1N", "EC1R", "EC1V", "EC1Y", "EC2A", "EC2M", "EC3A", "EC3R", "EC4A", "EC4M"),
    "WC": ("WC1A", "WC1B", "WC1E", "WC1H", "WC1N", "WC1X", "WC2A", "WC2B", "WC2E", "WC2H", "WC2N"),
}  # fmt: skip


def postcode_area(outward: str) -> str:
    """The letters at the start of an outward code: "SE" of "SE15"."""
    return re.match(r"[A-Z]+", outward).group(0)  # type: ignore[union-attr]


def is_local(outward: str, area: LocalArea) -> bool:
    return postcode_area(outward) in area.postcode_areas or outward in area.postcode_districts


def inward_code(rng: random.Random) -> str:
    """The part after the space: a digit and two letters ("4QT")."""
    return f"{rng.randint(0, 9)}{rng.choice(INWARD_LETTERS)}{rng.choice(INWARD_LETTERS)}"


def local_outward(area: LocalArea, rng: random.Random) -> str:
    """An outward code inside the network's area, built from its areas or its listed districts."""
    if area.postcode_districts and (not area.postcode_areas or rng.random() < 0.3):
        return rng.choice(area.postcode_districts)
    code = rng.choice(area.postcode_areas)
    districts = AREA_DISTRICTS.get(code, 9)
    if isinstance(districts, tuple):
        return rng.choice(districts)
    return f"{code}{rng.randint(1, districts)}"
