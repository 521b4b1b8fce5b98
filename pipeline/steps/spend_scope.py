"""The network's spend scope rules from its bucket, and stored spend classified again when they change.

A network edits its rules as droppable files beside its supplier register (``reference/``), like the
register and the targets: ``spend_scope_rules.csv`` (same columns as ``config/spend_scope_rules.csv``)
and ``spend_scope_overrides.csv`` (``member_id, category, in_scope, reason``). Lines are classified when
they are loaded; when the rules change, the lines already stored are classified again so the KPIs never
mix two versions of the rules.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

import pandas as pd
import pyarrow as pa
from sqlalchemy import Engine, bindparam, delete, insert, select, update

from pipeline.network import Network
from transforms.spend import SPEND_FACT_SCHEMA, SUPPLIER_PROFILE, spend_by_supplier
from transforms.spend_scope import RULES_FILE, ScopeRules, classify_scope, load_scope_rules
from warehouse.load import bulk_insert, reference_hash
from warehouse.schema import fact_spend, reference_files, submissions
from warehouse.schema import spend_by_supplier as summary_table

NETWORK_RULES_FILE = "reference/spend_scope_rules.csv"
MEMBER_OVERRIDES_FILE = "reference/spend_scope_overrides.csv"
REFERENCE_NAME = "spend_scope_rules"  # the reference_files row recording which rules the facts follow

# What classification reads, and what spend_by_supplier needs to rebuild a submission's summary.
_READ = tuple(
    dict.fromkeys(
        (
            "row_number",
            "supplier_name",
            "supplier_id",
            "category",
            "department",
            "amount_gbp",
            *SUPPLIER_PROFILE,
        )
    )
)


def _bucket_text(network: Network, path: str) -> str | None:
    if not network.bucket.exists(path):
        return None
    return network.bucket.read(path).decode("utf-8-sig")


def network_rules_text(network: Network) -> tuple[str, str | None, str | None]:
    """The shipped defaults and the network's own rules and overrides, as the texts they were read from."""
    return (
        RULES_FILE.read_text(encoding="utf-8"),
        _bucket_text(network, NETWORK_RULES_FILE),
        _bucket_text(network, MEMBER_OVERRIDES_FILE),
    )


def network_scope_rules(network: Network) -> ScopeRules:
    """The rules ingest classifies each spend line with (``spend_facts(..., scope_rules=...)``)."""
    defaults, own, overrides = network_rules_text(network)
    return load_scope_rules(own, overrides, defaults)


def _rules_hash(texts: tuple[str, str | None, str | None]) -> str:
    digest = hashlib.sha256()
    for text in texts:
        digest.update((text or "").encode("utf-8") + b"\0")
    return digest.hexdigest()


def reclassify_spend_scope(engine: Engine, rules: ScopeRules) -> dict[str, int]:
    """Classify every stored spend line again; one transaction per submission, so a failure leaves each
    submission under one version of the rules. Only lines whose class changed are updated."""
    with engine.connect() as conn:
        ids = (
            conn.execute(
                select(submissions.c.submission_id).where(
                    (submissions.c.return_type == "spend") & (submissions.c.status == "accepted")
                )
            )
            .scalars()
            .all()
        )
    changed_lines = 0
    for submission_id in ids:
        with engine.begin() as conn:
            rows = conn.execute(
                select(*(fact_spend.c[c] for c in _READ), fact_spend.c.out_of_scope_rule)
                .where(fact_spend.c.submission_id == submission_id)
                .order_by(fact_spend.c.row_number)
            ).all()
            if not rows:
                continue
            columns = [*_READ, "out_of_scope_rule"]
            lines = pd.DataFrame(dict(zip(columns, zip(*rows, strict=True), strict=True)))
            scope = classify_scope(lines, rules)
            before = lines["out_of_scope_rule"].astype("string").fillna("")
            after = scope["out_of_scope_rule"].fillna("")
            moved = (before != after).to_numpy()
            if not moved.any():
                continue
            changed_lines += int(moved.sum())
            category = scope["out_of_scope"].astype(object).where(scope["out_of_scope"].notna(), None)
            rule = scope["out_of_scope_rule"].astype(object).where(scope["out_of_scope_rule"].notna(), None)
            conn.execute(
                update(fact_spend)
                .where(
                    (fact_spend.c.submission_id == submission_id)
                    & (fact_spend.c.row_number == bindparam("line"))
                )
                .values(out_of_scope=bindparam("new_category"), out_of_scope_rule=bindparam("new_rule")),
                [
                    {"line": int(n), "new_category": c, "new_rule": r}
                    for n, c, r in zip(
                        lines.loc[moved, "row_number"], category[moved], rule[moved], strict=True
                    )
                ],
            )
            lines["out_of_scope"] = scope["out_of_scope"]
            lines["submission_id"] = submission_id
            conn.execute(delete(summary_table).where(summary_table.c.submission_id == submission_id))
            bulk_insert(conn, summary_table, spend_by_supplier(_facts_table(lines)))
    return {"submissions": len(ids), "lines_changed": changed_lines}


def _facts_table(lines: pd.DataFrame) -> pa.Table:
    """The columns spend_by_supplier reads, typed as the facts were loaded."""
    needed = ["submission_id", "row_number", "amount_gbp", *SUPPLIER_PROFILE]
    fields = [SPEND_FACT_SCHEMA.field(name) for name in needed]
    arrays = []
    for f in fields:
        values = lines[f.name].astype(object).where(lines[f.name].notna(), None).tolist()
        if pa.types.is_decimal(f.type):
            arrays.append(
                pa.array([None if v is None else float(v) for v in values], pa.float64()).cast(f.type)
            )
        else:
            arrays.append(pa.array(values, f.type))
    return pa.Table.from_arrays(arrays, schema=pa.schema(fields))


def refresh_spend_scope(network: Network) -> dict[str, Any]:
    """Classify stored spend again when the defaults, the network's rules or its overrides have changed."""
    texts = network_rules_text(network)
    digest = _rules_hash(texts)
    if reference_hash(network.engine, REFERENCE_NAME) == digest:
        return {"status": "unchanged"}
    rules = load_scope_rules(texts[1], texts[2], texts[0])
    result = reclassify_spend_scope(network.engine, rules)
    with network.engine.begin() as conn:
        conn.execute(delete(reference_files).where(reference_files.c.name == REFERENCE_NAME))
        conn.execute(
            insert(reference_files).values(
                name=REFERENCE_NAME, content_hash=digest, rows=len(rules.rules), loaded_at=datetime.now(UTC)
            )
        )
    return {"status": "reclassified", **result}
