"""Pins on the counts of people a share gives away with its basis (docs/disclosure-control.md, "Shares").

A Living Wage share of 37 staff assessed, published as 89.1892%, says 33 are paid and 4 are not: the
share is hidden when either count is 1 to N-1, those counts add up across members like any count, and a
complement keeps a small one from being worked out of the network's.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from reports.disclosure import SHARE_COUNTS, Figures, people_hidden
from transforms.kpi_registry import REGISTRY

THRESHOLD = 5
Q = "2025-26-Q3"
SECTORS = {"a": "nhs", "b": "nhs", "c": "housing", "d": "housing"}


def _frame(rows: list[tuple[str, str, str, str, float]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["kpi", "scope", "scope_id", "period", "value"])


def _share_rows(share: str, basis: str, members: dict[str, tuple[int, int]]) -> list:
    """Each member's (basis, count in the share), with the network's and sectors' totals and shares."""
    scopes = {("member", m): v for m, v in members.items()}
    scopes[("network", "net")] = (sum(b for b, _ in members.values()), sum(c for _, c in members.values()))
    for sector in sorted(set(SECTORS.values())):
        parts = [v for m, v in members.items() if SECTORS[m] == sector]
        if parts:
            scopes[("sector", sector)] = (sum(b for b, _ in parts), sum(c for _, c in parts))
    rows = []
    for (scope, scope_id), (total, count) in scopes.items():
        rows.append((basis, scope, scope_id, Q, float(total)))
        rows.append((share, scope, scope_id, Q, round(count / total * 100, 4) if total else float("nan")))
    return rows


@pytest.mark.parametrize(
    ("paid", "hidden"),
    [(40, False), (39, True), (40 - THRESHOLD + 1, True), (40 - THRESHOLD, False), (0, False), (1, True)],
)
def test_a_share_is_hidden_when_the_count_paid_or_not_paid_is_one_to_n_minus_one(
    paid: int, hidden: bool
) -> None:
    frame = _frame(
        [("lw_assessed", "network", "net", Q, 40.0), ("lw_paid_pct", "network", "net", Q, paid / 40 * 100)]
    )
    figures = Figures(frame, THRESHOLD)
    assert figures.suppressed("lw_paid_pct", "network", "net", Q) is hidden
    assert not figures.suppressed("lw_assessed", "network", "net", Q)  # the basis of 40 stays shown
    found = people_hidden(frame, THRESHOLD)
    # Both counts go together: either one with the basis would give the other back. A zero stays known.
    for cell, count in (
        (("lw_paid", "network", "net", Q), paid),
        (("lw_not_paid", "network", "net", Q), 40 - paid),
    ):
        assert (cell in found) is (hidden and count != 0)


def _determined(figures: Figures, members: dict[str, tuple[int, int]]) -> set[str]:
    """The scopes whose count not paid a reader works out from the shown ones, by the sums written here
    (members add up to their sector and the network, sectors to the network): a hidden scope is
    determined when every vector of the null space of the sums over the hidden scopes is zero at it."""
    scopes = [("member", m) for m in members] + [("sector", s) for s in sorted(set(SECTORS.values()))]
    scopes.append(("network", "net"))
    hidden = [s for s in scopes if figures.suppressed("lw_paid_pct", *s, Q)]
    sums = [[("network", "net")] + [("member", m) for m in members]]
    sums.append([("network", "net")] + [s for s in scopes if s[0] == "sector"])
    for sector in sorted(set(SECTORS.values())):
        sums.append([("sector", sector)] + [("member", m) for m in members if SECTORS[m] == sector])
    rows = []
    for total, *parts in sums:
        row = np.zeros(len(hidden))
        for scope, sign in ((total, 1.0), *((p, -1.0) for p in parts)):
            if scope in hidden:
                row[hidden.index(scope)] += sign
        rows.append(row)
    _, singular, vt = np.linalg.svd(np.array(rows), full_matrices=True)
    null = vt[int((singular > 1e-9).sum()) :]
    return {s[1] for i, s in enumerate(hidden) if np.abs(null[:, i]).max(initial=0) < 1e-9}


def test_a_small_count_not_paid_cannot_be_worked_out_of_the_networks_count() -> None:
    # a: 3 of 30 not paid (hidden). Without a complement the network's count not paid (its share of its
    # 180 staff) less b's, c's and d's would give a's 3 back; so would nhs's less b's.
    members = {"a": (30, 27), "b": (40, 31), "c": (50, 44), "d": (60, 52)}
    figures = Figures(_frame(_share_rows("lw_paid_pct", "lw_assessed", members)), THRESHOLD, SECTORS)
    assert figures.suppressed("lw_paid_pct", "member", "a", Q)
    assert not _determined(figures, members)
    # Totals stay exact where they can: the network's share and staff assessed are shown.
    assert not figures.suppressed("lw_paid_pct", "network", "net", Q)
    assert not figures.suppressed("lw_assessed", "member", "a", Q)


def test_the_complement_of_a_hidden_share_count_is_never_a_zero() -> None:
    # a: 2 of 20 not paid (hidden); b pays all its 60 (0 not paid: it protects nothing); c's 6 not paid
    # goes, and c's 34 paid is also the smallest complement of a's 18 paid in the column of counts paid.
    members = {"a": (20, 18), "b": (60, 60), "c": (40, 34)}
    frame = _frame(_share_rows("lw_paid_pct", "lw_assessed", members))
    figures = Figures(frame, THRESHOLD, member_sectors={"a": "nhs", "b": "nhs", "c": "nhs"})
    assert figures.suppressed("lw_paid_pct", "member", "a", Q)
    assert not figures.suppressed("lw_paid_pct", "member", "b", Q)
    assert figures.suppressed("lw_paid_pct", "member", "c", Q)


def test_local_employment_rests_on_the_counts_living_locally_and_not() -> None:
    # 4 of 45 staff live locally: the share gives the 4 away with the 45.
    frame = _frame(
        [("staff", "network", "net", Q, 45.0), ("local_employment_pct", "network", "net", Q, 4 / 45 * 100)]
    )
    figures = Figures(frame, THRESHOLD)
    assert figures.suppressed("local_employment_pct", "network", "net", Q)
    assert not figures.suppressed("staff", "network", "net", Q)


def test_a_share_with_a_hidden_basis_is_hidden_and_a_basis_of_zero_gives_zero_counts() -> None:
    frame = _frame(
        [
            ("lw_assessed", "member", "a", Q, 3.0),
            ("lw_paid_pct", "member", "a", Q, 100.0),
            ("lw_assessed", "member", "b", Q, 0.0),
            ("lw_paid_pct", "member", "b", Q, float("nan")),
        ]
    )
    figures = Figures(frame, THRESHOLD)
    assert figures.suppressed("lw_paid_pct", "member", "a", Q)
    assert not figures.suppressed("lw_paid_pct", "member", "b", Q)
    cells = {(c.kpi, c.scope_id): c for c in figures.issued_cells(Q, "net", [])}
    assert cells[("lw_not_paid", "b")].value == 0 and cells[("lw_paid", "b")].value == 0


def test_the_ledger_records_the_share_counts_and_keeps_a_hidden_one_hidden() -> None:
    frame = _frame(
        [("lw_assessed", "network", "net", Q, 40.0), ("lw_paid_pct", "network", "net", Q, 38 / 40 * 100)]
    )
    cells = {c.kpi: c for c in Figures(frame, THRESHOLD).issued_cells(Q, "net", [])}
    assert cells["lw_not_paid"].hidden and cells["lw_not_paid"].value is None
    assert cells["lw_paid"].hidden and not cells["lw_assessed"].hidden
    # Later all 40 are paid (0 not paid needs no hiding), but what was hidden stays hidden.
    later = _frame([("lw_assessed", "network", "net", Q, 40.0), ("lw_paid_pct", "network", "net", Q, 100.0)])
    issued = pd.DataFrame(
        [("lw_paid", "network", "net", Q, None, True), ("lw_not_paid", "network", "net", Q, None, True)],
        columns=["kpi", "scope", "scope_id", "period", "value", "hidden"],
    )
    assert Figures(later, THRESHOLD, issued=issued).suppressed("lw_paid_pct", "network", "net", Q)
    assert not Figures(later, THRESHOLD).suppressed("lw_paid_pct", "network", "net", Q)


def test_every_published_share_of_a_count_of_people_is_weighed_by_its_counts() -> None:
    shares = {
        code
        for code, kpi in REGISTRY.items()
        if kpi.unit == "%" and kpi.people_basis and not kpi.people_basis.startswith("recruit_")
    }
    assert shares == set(SHARE_COUNTS)
