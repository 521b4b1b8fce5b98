"""Sample programme rows for measures returns: what a programme's members report under its code.

The lead of a programme with measures reports each of them every quarter the programme runs, and its
investment (``[sroi] investment_measure``); partners report a share of the work (volunteer hours, for
instance). With the London example's green-spaces programme that is about GBP 175k reported by the housing
association over four quarters, plus the council's GBP 25k grant kept in the config: about GBP 200k.

Seeded per member, period and programme, apart from the generic measures rows, so adding a programme
changes no other figure of the sample.
"""

from __future__ import annotations

import random

from pipeline.config import Member, NetworkConfig
from transforms.periods import Period

QUARTERLY_INVESTMENT_GBP = 43_750
# Typical quarterly figures per unit for a lead member: (low, high).
_RANGES = {"trees": (150, 300), "m2": (1500, 4000), "hours": (800, 1500), "people": (60, 150)}
PARTNER_SHARE = 0.25


def programme_only_codes(cfg: NetworkConfig) -> set[str]:
    """Measures only programmes report (and the investment), left out of the generic sample rows."""
    return {code for p in cfg.programmes for code in p.measures} | {cfg.sroi.investment_measure}


def programme_rows(
    cfg: NetworkConfig, member: Member, period: Period, seed: int
) -> list[tuple[str, float, str, str]]:
    """(measure code, value, unit, programme code) rows a member reports for its programmes in a period."""
    units = {m.code: m.unit for m in cfg.measures}
    rows = []
    for programme in cfg.programmes:
        if not programme.measures or member.id not in programme.members or not programme.covers(period.key):
            continue
        rng = random.Random(f"{seed}:programme:{programme.code}:{member.id}:{period.key}")
        lead = member.id == programme.lead_member
        for code in programme.measures:
            low, high = _RANGES.get(units[code], (10, 100))
            if lead:
                rows.append((code, float(rng.randint(low, high)), units[code], programme.code))
            elif units[code] == "hours":
                rows.append(
                    (code, float(round(rng.randint(low, high) * PARTNER_SHARE)), units[code], programme.code)
                )
        if lead and cfg.sroi.investment_measure in units:
            rows.append((cfg.sroi.investment_measure, float(QUARTERLY_INVESTMENT_GBP), "GBP", programme.code))
    return rows
