"""The network's reference data in the warehouse: members from the config, the core team's supplier
register and targets from the bucket.

Explicit steps, run at the start of an ingest (and before KPIs), never as a side effect of opening the
network: a task that only reads the warehouse changes nothing in it.
"""

from __future__ import annotations

import io
from typing import Any

import pandas as pd

from pipeline.adapters.bucket import bucket_errors, content_hash
from pipeline.network import Network
from pipeline.steps.spend_scope import refresh_spend_scope
from transforms.periods import Period
from transforms.spend import supplier_register
from warehouse.load import reference_hash, replace_supplier_register, sync_members

REGISTER_COLUMNS = {"supplier_id", "supplier_name", "postcode", "size", "is_vcse", "is_diverse_owned"}
REGISTER_OPTIONAL = ("employees", "turnover_gbp", "source", "as_of")
TARGETS_FILE = "reference/targets.csv"
TARGET_COLUMNS = ["kpi", "scope", "scope_id", "period", "target", "direction", "source"]


def sync_network_members(network: Network) -> int:
    """Make the warehouse's members table match the config (members joining, leaving, renamed)."""
    rows = [
        {"member_id": m.id, "name": m.name, "sector": m.sector.value, "contact_email": m.contact_email}
        for m in network.cfg.members
    ]
    sync_members(network.engine, rows)
    return len(rows)


def refresh_supplier_register(network: Network) -> dict[str, Any]:
    """Load the core team's supplier register into the warehouse when its content has changed."""
    path = network.cfg.reference.supplier_register
    with bucket_errors(network.bucket, "read"):
        if not network.bucket.exists(path):
            return {"path": path, "status": "missing", "rows": 0}
        data = network.bucket.read(path)
    digest = content_hash(data)
    if reference_hash(network.engine, path) == digest:
        return {"path": path, "status": "unchanged", "rows": None}
    raw = pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False, encoding="utf-8-sig")
    missing = REGISTER_COLUMNS - set(raw.columns)
    if missing:
        raise ValueError(f"supplier register {path} lacks columns {sorted(missing)}")
    for column in REGISTER_OPTIONAL:
        if column not in raw.columns:
            raw[column] = ""
    table = supplier_register(raw)
    replace_supplier_register(network.engine, table, path, digest)
    return {"path": path, "status": "loaded", "rows": table.num_rows}


def refresh_reference_data(network: Network) -> dict[str, Any]:
    """Everything an ingest needs in place first: members, the supplier register, and stored spend
    classified by the network's current spend scope rules."""
    return {
        "members": sync_network_members(network),
        "supplier_register": refresh_supplier_register(network),
        "spend_scope": refresh_spend_scope(network),
    }


def network_targets(network: Network) -> pd.DataFrame:
    """Targets from the config, then from the core team's droppable ``reference/targets.csv`` (which wins)."""
    rows = [
        {
            "kpi": t.kpi,
            "scope": "member" if t.member else "network",
            "scope_id": t.member or network.cfg.id,
            "period": t.period,
            "target": t.value,
            "direction": t.direction,
            "source": str(network.cfg.source_path),
        }
        for t in network.cfg.targets
    ]
    if network.bucket.exists(TARGETS_FILE):
        dropped = pd.read_csv(io.BytesIO(network.bucket.read(TARGETS_FILE)), dtype=str, keep_default_na=False)
        for record in dropped.to_dict("records"):
            member = record.get("member", "").strip()
            rows.append(
                {
                    "kpi": record["kpi"].strip(),
                    "scope": "member" if member else "network",
                    "scope_id": member or network.cfg.id,
                    "period": Period.parse(record["period"]).key,
                    "target": float(record["value"]),
                    "direction": (record.get("direction") or "higher").strip(),
                    "source": TARGETS_FILE,
                }
            )
    frame = pd.DataFrame(rows, columns=TARGET_COLUMNS)
    return frame.drop_duplicates(["kpi", "scope", "scope_id", "period"], keep="last")
