"""Fixed words the whole report shares: the general glossary and the acronyms it explains.

KPI names and definitions are not here: they are the registry's (``transforms.kpi_registry``). Words
that belong to one section (the workforce glossary, the targets' and social value's) live with it.
"""

from __future__ import annotations

from collections.abc import Mapping

GLOSSARY: tuple[tuple[str, str], ...] = (
    (
        "Small and medium-sized enterprise (SME)",
        "A business with fewer than 250 staff and a turnover of no more than £44m or a balance sheet "
        "of no more than £38m (the Procurement Act 2023 definition).",
    ),
    (
        "Micro, small and medium-sized enterprises (MSMEs)",
        "SMEs, counting micro businesses (fewer than 10 staff) and small businesses (fewer than 50 staff) "
        "as well as medium-sized ones (fewer than 250 staff).",
    ),
    (
        "Voluntary, community and social enterprise (VCSE) organisations",
        "Charities, community groups, social enterprises and co-operatives.",
    ),
    (
        "Local",
        "A supplier whose postcode is inside the network's area.",
    ),
    (
        "Diverse-owned business",
        "A business recorded as diverse-owned in the member's return or in the network's supplier register.",
    ),
    (
        "Supplier size unknown",
        "Spend with suppliers whose size could not be found in the member's return or the supplier "
        "register. It is shown separately and never guessed, so the SME share is a minimum.",
    ),
    (
        "Percentage points (pts)",
        "The difference between two percentages: a share going from 32% to 34% is up 2 pts.",
    ),
    (
        "Quarantined",
        "A file held back because of a problem with it. The member has been sent feedback saying what "
        "to fix; its figures are not included until a corrected file arrives.",
    ),
)

# Acronyms a short table heading may use, spelt out in a tooltip (``<abbr title>``) where it does.
ACRONYMS: Mapping[str, str] = {
    "SME": "small and medium-sized enterprises",
    "MSME": "micro, small and medium-sized enterprises",
    "VCSE": "voluntary, community and social enterprise",
}
