"""``anchor preflight``: is this deployment able to run, before anything runs?

The production stack's init service runs it after ``anchor db upgrade``, and the scheduler and workers
start only when it passes. So a missing pseudonymisation key, a warehouse that is behind, or a bucket
that cannot be reached stops the stack at start-up with one clear message, instead of surfacing as
failing tasks (and members told "accepted" for files whose KPIs were never computed).

Each check says what it found, never a secret's value.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pipeline.adapters.bucket import Store
from pipeline.adapters.secrets import pseudonym_key_source
from pipeline.network import Network
from warehouse.db import check_revision, current_revision

# Return types whose facts are pseudonymised at ingest (steps.ingest.build_facts).
PSEUDONYMISED_RETURNS = frozenset({"workforce"})


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


def _key(network: Network) -> Check:
    needed = sorted(PSEUDONYMISED_RETURNS & set(network.cfg.returns))
    try:
        source = pseudonym_key_source(network.cfg.pseudonym_key_file)
    except Exception as exc:  # PseudonymKeyMissing, or a key file that cannot be read
        if not needed:
            return Check("pseudonymisation key", True, f"not needed (no pseudonymised return): {exc}")
        return Check("pseudonymisation key", False, str(exc))
    return Check("pseudonymisation key", True, f"from {source}")


def _warehouse(network: Network) -> Check:
    try:
        url = network.warehouse_url
        from warehouse.db import make_engine

        engine = make_engine(url)
        try:
            check_revision(engine)
            revision = current_revision(engine)
            shown = engine.url.render_as_string(hide_password=True)
        finally:
            engine.dispose()
    except Exception as exc:
        return Check("warehouse", False, f"{exc.__class__.__name__}: {exc}")
    return Check("warehouse", True, f"{shown} at revision {revision}")


def _store(name: str, store: Store) -> Check:
    try:
        if "://" in store.url and not store.url.startswith("file://"):
            if not store.fs.exists(store.root):
                return Check(
                    name, False, f"{store.url} does not exist or cannot be listed with these credentials"
                )
            store.fs.ls(store.root)
            return Check(name, True, f"{store.url} reachable")
        folder = Path(store.root)
        existing = next(p for p in (folder, *folder.parents) if p.exists())
        if not existing.is_dir():
            return Check(name, False, f"{existing} is not a folder")
        return Check(name, True, f"{store.url} ({'exists' if folder.exists() else 'created on first write'})")
    except Exception as exc:
        return Check(name, False, f"{store.url}: {exc.__class__.__name__}: {exc}")


def preflight(network: Network) -> list[Check]:
    """Every check, in the order an operator fixes them; all of them run even when one fails."""
    return [
        _key(network),
        _warehouse(network),
        _store("bucket", network.bucket),
        _store("lake", network.lake),
    ]
