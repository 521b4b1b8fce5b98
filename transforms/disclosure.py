"""Disclosure control over linked tables of people counts: primary and complementary cell suppression.

Published counts are tied together by sums: a breakdown adds up to its total, members add up to the
network, quarters to their year, a programme is part of the network. A count hidden ("[c]") can be
worked out again from any sum whose other terms are all shown, and a difference nobody published (the
network's offers outside a programme) can be worked out from two figures that were. So:

- primary: a count of 1 to N-1 people is hidden (0 people discloses nobody);
- a ``Relation`` says ``total = sum(parts) + rest``, where ``rest`` is whatever the figures leave over (0
  when the parts are the whole). An unknown is a hidden figure, a figure that is not published (kept in
  the warehouse, never shown) or a ``rest`` that is not 0. A relation with exactly one unknown gives it
  away, so when that unknown is a hidden figure, or an unpublished figure or rest of 1 to N-1 people,
  the smallest figure still shown in the relation (not 0; parts before the total) is hidden as well:
  complementary suppression;
- a breakdown whose total is hidden is hidden whole, zeros included (otherwise "<5 offers, 0 of them not
  White" says what the hidden people are);
- repeated until nothing changes.

This is the usual heuristic (each relation keeps two unknowns or none), as in
``transforms.workforce_kpis.suppressed``, extended to the links between tables; it does not solve the
whole linear system, which a statistical disclosure audit tool would.
"""

from __future__ import annotations

from collections.abc import Collection, Hashable, Iterable, Mapping
from dataclasses import dataclass

Cell = Hashable


@dataclass(frozen=True)
class Relation:
    total: Cell
    parts: tuple[Cell, ...]
    # A breakdown of people by a characteristic: a hidden total hides every part, zeros included.
    breakdown: bool = False


def hidden_cells(
    values: Mapping[Cell, float],
    relations: Iterable[Relation],
    threshold: int,
    unpublished: Collection[Cell] = (),
    already_hidden: Collection[Cell] = (),
    fixed: Collection[Cell] = (),
) -> set[Cell]:
    """The published cells to show as "<threshold". A cell missing from ``values`` is a published 0.

    ``already_hidden`` cells stay hidden whatever their value (an earlier report hid them, and showing
    them now would give back what they protected); ``fixed`` cells were issued with their value, so
    hiding them protects nothing: complementary suppression never picks one (``docs/disclosure-control.md``).
    """
    relations = list(relations)
    unpublished = set(unpublished)
    fixed = set(fixed)

    def value(cell: Cell) -> float:
        return float(values.get(cell, 0) or 0)

    def sensitive(count: float) -> bool:
        return 0 < count < threshold

    hidden = {
        cell for cell, count in values.items() if cell not in unpublished and sensitive(float(count or 0))
    } | set(already_hidden)
    changed = True
    while changed:
        changed = False
        for relation in relations:
            members = (*relation.parts, relation.total)
            if relation.breakdown and relation.total in hidden:
                fresh = [
                    p for p in relation.parts if p in values and p not in hidden and p not in unpublished
                ]
                if fresh:
                    hidden.update(fresh)
                    changed = True
                continue
            rest = value(relation.total) - sum(value(p) for p in relation.parts)
            unknown: list[tuple[Cell | None, float]] = [
                (m, value(m)) for m in members if m in hidden or (m in unpublished and value(m) != 0)
            ]
            if abs(rest) > 1e-9:
                unknown.append((None, abs(rest)))
            if len(unknown) != 1:
                continue
            cell, count = unknown[0]
            if cell not in hidden and not sensitive(count):
                continue  # an unpublished figure or rest that anybody may know
            shown = [
                m
                for m in members
                if m not in hidden and m not in unpublished and m not in fixed and value(m) > 0
            ]
            if not shown:
                continue
            # The smallest shown figure, a part before the total, then a stable order.
            shown.sort(key=lambda m: (value(m), m == relation.total, str(m)))
            hidden.add(shown[0])
            changed = True
    return hidden


def given_away(
    values: Mapping[Cell, float], relations: Iterable[Relation], hidden: Collection[Cell]
) -> set[Cell]:
    """The hidden cells that the exact sums (those whose parts make the whole) determine when every
    other cell is known: a cell is determined when every vector of the null space of the equations over
    the hidden cells is zero at it. This solves the whole linear system, which the heuristic above
    does not, so a chain of sums across periods and scopes is caught too."""
    import numpy as np

    unknown = sorted(hidden, key=str)
    index = {cell: i for i, cell in enumerate(unknown)}
    rows = []
    for relation in relations:
        members = (*relation.parts, relation.total)
        rest = float(values.get(relation.total, 0) or 0) - sum(
            float(values.get(p, 0) or 0) for p in relation.parts
        )
        if abs(rest) > 1e-9 or not any(m in index for m in members):
            continue
        row = np.zeros(len(unknown))
        if relation.total in index:
            row[index[relation.total]] = 1.0
        for part in relation.parts:
            if part in index:
                row[index[part]] -= 1.0
        if row.any():
            rows.append(row)
    if not rows:
        return set()
    _, singular, vt = np.linalg.svd(np.array(rows), full_matrices=True)
    null = vt[int((singular > 1e-9).sum()) :]
    return {cell for cell in unknown if null.shape[0] == 0 or np.abs(null[:, index[cell]]).max() < 1e-9}
