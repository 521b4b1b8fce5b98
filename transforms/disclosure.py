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

:func:`hidden_cells` is the usual heuristic (each relation keeps two unknowns or none), extended to the
links between tables. :func:`weighed_hidden` is the one engine every count of people goes through (the
report's workforce, apprenticeship and uplift counts, and recruitment's): it runs the heuristic, weighs
the ledger of cells earlier reports issued (:func:`ledger_cells`), then solves the whole linear system
(:func:`given_away`) and hides more until no hidden figure can be worked out.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

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
    """The cells of ``hidden`` (every cell a reader does not know) that the exact sums (those whose parts
    make the whole) determine when every other cell is known: a cell is determined when every vector of
    the null space of the equations over the unknowns is zero at it. This solves the whole linear system,
    which the heuristic above does not, so a chain of sums across periods and scopes is caught too.

    The system is solved one connected group of unknowns at a time (equations that share no unknown are
    independent), which gives the same answer and keeps each solve small: recruitment alone has thousands
    of unpublished breakdown cells, most of them tied to a handful of others.
    """
    import numpy as np

    unknown = sorted(hidden, key=str)
    index = {cell: i for i, cell in enumerate(unknown)}
    equations: list[dict[int, float]] = []
    for relation in relations:
        members = (*relation.parts, relation.total)
        rest = float(values.get(relation.total, 0) or 0) - sum(
            float(values.get(p, 0) or 0) for p in relation.parts
        )
        if abs(rest) > 1e-9 or not any(m in index for m in members):
            continue
        row: dict[int, float] = {}
        if relation.total in index:
            row[index[relation.total]] = 1.0
        for part in relation.parts:
            if part in index:
                row[index[part]] = row.get(index[part], 0.0) - 1.0
        row = {i: c for i, c in row.items() if c != 0}
        if row:
            equations.append(row)
    if not equations:
        return set()
    parent = list(range(len(unknown)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for row in equations:
        first, *others = row
        for other in others:
            parent[root(other)] = root(first)
    groups: dict[int, list[dict[int, float]]] = {}
    for row in equations:
        groups.setdefault(root(next(iter(row))), []).append(row)
    determined: set[Cell] = set()
    for rows in groups.values():
        columns = sorted({i for row in rows for i in row})
        at = {i: j for j, i in enumerate(columns)}
        matrix = np.zeros((len(rows), len(columns)))
        for r, row in enumerate(rows):
            for i, coefficient in row.items():
                matrix[r, at[i]] = coefficient
        if matrix.shape[0] > matrix.shape[1]:
            matrix = np.linalg.qr(matrix, mode="r")  # the same row space, square: a cheaper SVD
        _, singular, vt = np.linalg.svd(matrix, full_matrices=True)
        null = vt[int((singular > 1e-9).sum()) :]
        for i in columns:
            if null.shape[0] == 0 or np.abs(null[:, at[i]]).max() < 1e-9:
                determined.add(unknown[i])
    return determined


def twins_of(
    values: Mapping[Cell, float], relations: Iterable[Relation], known: Collection[Cell]
) -> set[Cell]:
    """``known`` grown by every figure equal to a known one by a sum of one part: the same figure
    published under two names (a stock's year and its last quarter, a year to date and the year, the
    network's offers and its only programme's) is known wherever either was issued."""
    pairs = [
        (r.total, r.parts[0])
        for r in relations
        if len(r.parts) == 1
        and abs(float(values.get(r.total, 0) or 0) - float(values.get(r.parts[0], 0) or 0)) < 1e-9
    ]
    grown, known = True, set(known)
    while grown:
        grown = False
        for one, other in pairs:
            for a, b in ((one, other), (other, one)):
                if a in known and b not in known:
                    known.add(b)
                    grown = True
    return known


def ledger_cells(
    issued: pd.DataFrame | None, cells: Mapping[Cell, float], threshold: int
) -> tuple[set[Cell], set[Cell]]:
    """(to hide, known), from the ledger of cells earlier reports issued (``kpi, scope, scope_id, period,
    value, hidden``; ``cells`` keyed the same way).

    To hide: what an earlier report hid (showing it now could give back what it protected), and what one
    showed at a value that has since moved by 1 to N-1 (a late return, or a resubmission that superseded
    one: the new figure less the old is a count of the people it added or removed). Known: what one
    showed with the value it has now (a corrected figure is not known at its new value).
    """
    hid: set[Cell] = set()
    known: set[Cell] = set()
    revised: set[Cell] = set()
    if issued is None or issued.empty:
        return hid, known
    for r in issued.itertuples(index=False):
        cell = (r.kpi, r.scope, r.scope_id, r.period)
        if cell not in cells:
            continue
        if r.hidden:
            hid.add(cell)
        elif r.value is not None and not pd.isna(r.value):
            moved = abs(float(r.value) - cells[cell])
            if moved < 1e-9:
                known.add(cell)
            elif moved < threshold:
                revised.add(cell)
    return hid | (revised - known), known


def weighed_hidden(
    values: Mapping[Cell, float],
    relations: Sequence[Relation],
    threshold: int,
    *,
    unpublished: Collection[Cell] = (),
    already_hidden: Collection[Cell] = (),
    known: Collection[Cell] = (),
    closure: Callable[[set[Cell]], set[Cell]] = set,
    preference: Callable[[Cell], tuple] | None = None,
) -> set[Cell]:
    """The one suppression engine: the cells to publish as hidden, weighed over every sum at once and
    against what earlier reports issued (``docs/disclosure-control.md``).

    ``already_hidden``: cells an earlier report hid (they stay hidden); ``known``: cells an earlier report
    showed with the value they have now, and so every reader has (never picked as a complement, nor their
    twins). ``unpublished``: cells no report shows, unknown to a reader; where they are 1 to N-1 people
    the heuristic keeps each sum from giving them away, but the whole-system solve protects only the
    hidden published cells (``docs/disclosure-control.md``, limits). ``closure`` adds what a rule hides
    with a hidden cell (a year to date with its quarter); ``preference`` orders the complements the
    whole-system solve picks (smallest first by default).

    The heuristic (:func:`hidden_cells`) keeps each sum safe on its own; a chain of sums can still give a
    hidden figure away, so the whole system is solved (:func:`given_away`) and the smallest figure shown in
    a sum with each figure it determines is hidden too, until nothing is given away.
    """
    unpublished = set(unpublished)
    fixed = twins_of(values, relations, known)
    order = preference or (lambda m: (float(values.get(m, 0) or 0), str(m)))

    hidden = closure(
        set(already_hidden)
        | {c for c, v in values.items() if c not in unpublished and 0 < float(v or 0) < threshold}
    )
    for _ in range(100):
        found = closure(
            hidden_cells(
                values, relations, threshold, unpublished, already_hidden=hidden, fixed=fixed - hidden
            )
        )
        if found != hidden:
            hidden = found
            continue
        # Unpublished cells are unknowns to the reader; the solve protects the hidden published ones
        # (unpublished small figures are protected sum by sum, by the heuristic: see the limits in
        # docs/disclosure-control.md).
        exposed = given_away(values, relations, hidden | unpublished) & hidden
        if not exposed:
            return hidden
        extra = set()
        for cell in sorted(exposed, key=str):
            candidates = {
                m
                for r in relations
                if cell in (*r.parts, r.total)
                for m in (*r.parts, r.total)
                if m not in hidden
                and m not in fixed
                and m not in unpublished
                and float(values.get(m, 0) or 0) > 0
            }
            if candidates:
                extra.add(min(candidates, key=order))
                break  # one at a time: that complement may protect the others too
        if not extra:
            return hidden  # nothing left to hide that would help: the attack tests report it
        hidden = closure(hidden | extra)
    return hidden
