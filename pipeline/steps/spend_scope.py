"""The network's spend scope rules from its bucket, and stored spend classified again when they change.

A network edits its rules as droppable files beside its supplier register (``reference/``), like the
register and the targets: ``spend_scope_rules.csv`` (same columns as ``config/spend_scope_rules.csv``)
and ``spend_scope_overrides.csv`` (``member_id, category, in_scope, reason``). Lines are classified when
they are loaded; when the rules change, the lines already stored are classified again so the KPIs never
mix two versions of the rules.
"""

from __future__ import annotations

import functools
import hashlib
from typing import Any

from pipeline.network import Network
from transforms.spend_scope import RULES_FILE, ScopeRules, classify_scope, load_scope_rules
from warehouse.load import reclassify_spend, record_reference, reference_hash

NETWORK_RULES_FILE = "reference/spend_scope_rules.csv"
MEMBER_OVERRIDES_FILE = "reference/spend_scope_overrides.csv"
REFERENCE_NAME = "spend_scope_rules"  # the reference_files row recording which rules the facts follow


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
    return _scope_rules(own, overrides, defaults)


@functools.lru_cache(maxsize=8)
def _scope_rules(own: str | None, overrides: str | None, defaults: str) -> ScopeRules:
    """Rules parsed once per process for the same texts (re-read each time, so an edit takes effect)."""
    return load_scope_rules(own, overrides, defaults)


def _rules_hash(texts: tuple[str, str | None, str | None]) -> str:
    digest = hashlib.sha256()
    for text in texts:
        digest.update((text or "").encode("utf-8") + b"\0")
    return digest.hexdigest()


def refresh_spend_scope(network: Network) -> dict[str, Any]:
    """Classify stored spend again when the defaults, the network's rules or its overrides have changed."""
    texts = network_rules_text(network)
    digest = _rules_hash(texts)
    if reference_hash(network.engine, REFERENCE_NAME) == digest:
        return {"status": "unchanged"}
    rules = load_scope_rules(texts[1], texts[2], texts[0])
    result = reclassify_spend(network.engine, lambda lines: classify_scope(lines, rules))
    record_reference(network.engine, REFERENCE_NAME, digest, len(rules.rules))
    return {"status": "reclassified", **result}
