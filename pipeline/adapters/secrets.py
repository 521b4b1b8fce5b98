"""Secrets the pipeline needs, from wherever a deployment keeps them; none ever lives in code or config.

- The pseudonymisation key: employee references are replaced by a keyed hash the moment a file is read.
  From ``ANCHOR_PSEUDONYM_KEY``, else the Airflow Variable ``anchor_pseudonym_key``, else a key file
  (git-ignored; ``anchor demo`` and ``anchor keygen`` create one). Losing the key breaks the link between
  snapshots (no uplifts can be matched), so keep it with the other production secrets.
- Object-store credentials: when ``storage.conn_id`` names an Airflow connection, its login/password are
  the S3 access key and secret and its extra ``endpoint_url`` points s3fs at MinIO. Without one, s3fs and
  botocore read ``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY`` and ``AWS_ENDPOINT_URL`` themselves.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from pipeline.adapters import airflow

KEY_ENV = "ANCHOR_PSEUDONYM_KEY"
AIRFLOW_VARIABLE = "anchor_pseudonym_key"
MIN_KEY_LENGTH = 16


class PseudonymKeyMissing(RuntimeError):
    pass


def pseudonym_key(key_file: str | os.PathLike[str]) -> bytes:
    """The network's key; ``key_file`` is where a deployment without a secret store keeps it."""
    value = os.environ.get(KEY_ENV) or airflow.variable(AIRFLOW_VARIABLE)
    if not value:
        path = Path(key_file)
        if path.is_file():
            value = path.read_text(encoding="utf-8").strip()
    if not value or len(value) < MIN_KEY_LENGTH:
        raise PseudonymKeyMissing(
            f"No pseudonymisation key for workforce returns: set {KEY_ENV}, the Airflow Variable "
            f"'{AIRFLOW_VARIABLE}', or create {key_file} with `anchor keygen` (at least "
            f"{MIN_KEY_LENGTH} characters)."
        )
    return value.encode("utf-8")


def create_key_file(key_file: str | os.PathLike[str], overwrite: bool = False) -> Path:
    path = Path(key_file)
    if path.exists() and not overwrite:
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(secrets.token_hex(32) + "\n", encoding="utf-8")
    path.chmod(0o600)
    return path


def storage_options(url: str, conn_id: str | None) -> dict[str, Any]:
    """fsspec storage options for ``url``; empty unless it is an object store with a configured connection."""
    if not conn_id or not url.startswith(("s3://", "s3a://")):
        return {}
    conn = airflow.connection(conn_id)
    options: dict[str, Any] = {}
    if conn.login:
        options["key"] = conn.login
    if conn.password:
        options["secret"] = conn.password
    endpoint = conn.extra.get("endpoint_url") or (
        f"http://{conn.host}:{conn.port or 80}" if conn.host else None
    )
    if endpoint:
        options["endpoint_url"] = endpoint
    if conn.extra.get("region_name"):
        options["client_kwargs"] = {"region_name": conn.extra["region_name"]}
    return options
