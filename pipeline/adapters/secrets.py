"""The pseudonymisation key: employee references are replaced by a keyed hash the moment a file is read.

The key is a secret: from ``ANCHOR_PSEUDONYM_KEY``, else the Airflow Variable ``anchor_pseudonym_key``
(when running inside Airflow), else a key file (git-ignored; ``anchor demo`` and ``anchor keygen``
create one). Losing the key breaks the link between snapshots (no uplifts can be matched), so keep it
with the other production secrets.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from pipeline.config import NetworkConfig

KEY_ENV = "ANCHOR_PSEUDONYM_KEY"
AIRFLOW_VARIABLE = "anchor_pseudonym_key"


class PseudonymKeyMissing(RuntimeError):
    pass


def _airflow_variable() -> str | None:
    try:
        from airflow.sdk import Variable

        return Variable.get(AIRFLOW_VARIABLE, default=None)
    except Exception:  # outside a task there is no Airflow to ask
        return None


def pseudonym_key(cfg: NetworkConfig) -> bytes:
    value = os.environ.get(KEY_ENV) or _airflow_variable()
    if not value:
        path = Path(cfg.pseudonym_key_file)
        if path.is_file():
            value = path.read_text(encoding="utf-8").strip()
    if not value or len(value) < 16:
        raise PseudonymKeyMissing(
            f"No pseudonymisation key for workforce returns: set {KEY_ENV}, the Airflow Variable "
            f"'{AIRFLOW_VARIABLE}', or create {cfg.pseudonym_key_file} with `anchor keygen` (at least 16 characters)."
        )
    return value.encode("utf-8")


def create_key_file(cfg: NetworkConfig, overwrite: bool = False) -> Path:
    path = Path(cfg.pseudonym_key_file)
    if path.exists() and not overwrite:
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(secrets.token_hex(32) + "\n", encoding="utf-8")
    path.chmod(0o600)
    return path
