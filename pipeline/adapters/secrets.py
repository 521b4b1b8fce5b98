"""Secrets the pipeline needs, from wherever a deployment keeps them; none ever lives in code or config.

- The pseudonymisation key: employee references are replaced by a keyed hash the moment a file is read.
  Looked for, first found wins (:data:`KEY_SOURCES`):

  1. the Airflow Variable ``anchor_pseudonym_secret``, which Airflow resolves through its secrets backend
     (Vault, AWS Secrets Manager, ...), ``AIRFLOW_VAR_ANCHOR_PSEUDONYM_SECRET`` and the metadata database,
     in that order. The name contains "secret", one of Airflow's sensitive words, so the REST API, the UI
     and the task logs mask its value (the old name ``anchor_pseudonym_key`` was shown in clear: it is
     refused with a message to rename it);
  2. the file named by ``ANCHOR_PSEUDONYM_KEY_FILE``: a mounted secret (the compose stack's docker secret
     ``/run/secrets/anchor_pseudonym_key``, kept on the host, outside every volume);
  3. ``ANCHOR_PSEUDONYM_KEY`` (tests and a developer's shell);
  4. the network's ``[privacy] key_file`` (git-ignored; ``anchor demo`` and ``anchor keygen`` create one).

  The key's value is never logged or put in a message; :func:`pseudonym_key_source` says where it came
  from (for ``anchor preflight``). Losing the key breaks the link between snapshots (no uplifts can be
  matched), so back it up with the other production secrets (docs/runbook.md).
- Object-store credentials: when ``storage.conn_id`` names an Airflow connection, its login/password are
  the S3 access key and secret and its extra ``endpoint_url`` points s3fs at MinIO. Without one, s3fs and
  botocore read ``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY`` and ``AWS_ENDPOINT_URL`` themselves.
- The warehouse: when ``storage.warehouse_conn_id`` names an Airflow connection, the SQLAlchemy URL is
  built from it (:func:`warehouse_url_from_connection`), so the password is not in a URL in the
  environment, and Airflow masks it.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from sqlalchemy.engine import URL

from pipeline.adapters import airflow

KEY_ENV = "ANCHOR_PSEUDONYM_KEY"
KEY_FILE_ENV = "ANCHOR_PSEUDONYM_KEY_FILE"
AIRFLOW_VARIABLE = "anchor_pseudonym_secret"
# Stored under this name the key was returned in clear by Airflow's API: refused, with a message to rename.
UNMASKED_AIRFLOW_VARIABLE = "anchor_pseudonym_key"
MIN_KEY_LENGTH = 16
KEY_SOURCES = (
    f"Airflow Variable '{AIRFLOW_VARIABLE}' (secrets backend, AIRFLOW_VAR_{AIRFLOW_VARIABLE.upper()}, "
    "metadata DB)",
    f"the file named by {KEY_FILE_ENV}",
    KEY_ENV,
    "[privacy] key_file",
)
# SQLAlchemy drivers for the Airflow connection types a warehouse can be.
WAREHOUSE_DRIVERS = {"postgres": "postgresql+psycopg", "postgresql": "postgresql+psycopg", "sqlite": "sqlite"}


class PseudonymKeyMissing(RuntimeError):
    pass


def _read_key_file(path: Path, what: str) -> str:
    try:
        return path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise PseudonymKeyMissing(
            f"the pseudonymisation key file {path} ({what}) cannot be read: {exc}"
        ) from None


def _find_key(key_file: str | os.PathLike[str]) -> tuple[str, str]:
    """The key and a description of where it came from (never the key itself)."""
    value = airflow.variable(AIRFLOW_VARIABLE)
    if value:
        return value.strip(), KEY_SOURCES[0]
    mounted = os.environ.get(KEY_FILE_ENV)
    if mounted:
        # Named but missing is a deployment fault (the secret was not mounted), never a reason to fall
        # back to another key: pseudonyms made with another key would not match the earlier ones.
        return _read_key_file(Path(mounted), KEY_FILE_ENV), f"{KEY_FILE_ENV} ({mounted})"
    if os.environ.get(KEY_ENV):
        return os.environ[KEY_ENV].strip(), KEY_ENV
    path = Path(key_file)
    if path.is_file():
        return _read_key_file(path, "[privacy] key_file"), f"[privacy] key_file ({path})"
    if airflow.variable(UNMASKED_AIRFLOW_VARIABLE):
        raise PseudonymKeyMissing(
            f"the pseudonymisation key is stored as the Airflow Variable '{UNMASKED_AIRFLOW_VARIABLE}', a name "
            f"Airflow does not mask (its API returns the value in clear): store it as '{AIRFLOW_VARIABLE}' "
            f"and delete '{UNMASKED_AIRFLOW_VARIABLE}' (docs/runbook.md)"
        )
    return "", ""


def pseudonym_key_source(key_file: str | os.PathLike[str]) -> str:
    """Where :func:`pseudonym_key` finds the key; raises :class:`PseudonymKeyMissing` like it."""
    value, source = _find_key(key_file)
    _check_key(value, key_file)
    return source


def _check_key(value: str, key_file: str | os.PathLike[str]) -> None:
    if not value or len(value) < MIN_KEY_LENGTH:
        raise PseudonymKeyMissing(
            "No pseudonymisation key for workforce returns (at least "
            f"{MIN_KEY_LENGTH} characters) in any of: {'; '.join(KEY_SOURCES[:3])}; or {key_file} "
            "(`anchor keygen` creates it). docs/runbook.md says how to provide and back it up."
        )


def pseudonym_key(key_file: str | os.PathLike[str]) -> bytes:
    """The network's key; ``key_file`` is where a deployment without a secret store keeps it."""
    value, _ = _find_key(key_file)
    _check_key(value, key_file)
    return value.encode("utf-8")


def create_key_file(key_file: str | os.PathLike[str], overwrite: bool = False) -> Path:
    path = Path(key_file)
    if path.exists() and not overwrite:
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    # Created owner-only from the start, so the key is never readable by others, even for a moment.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(secrets.token_hex(32) + "\n")
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


def warehouse_url_from_connection(conn_id: str) -> str:
    """The SQLAlchemy URL of the warehouse an Airflow connection describes (postgres: host, port, login,
    password, schema = the database; the extra's ``driver`` overrides the SQLAlchemy driver)."""
    conn = airflow.connection(conn_id)
    driver = conn.extra.get("driver") or WAREHOUSE_DRIVERS.get((conn.conn_type or "").lower())
    if driver is None:
        raise ValueError(
            f"Airflow connection '{conn_id}' has type {conn.conn_type!r}; a warehouse connection needs "
            f"one of {sorted(WAREHOUSE_DRIVERS)} (or extra 'driver')"
        )
    if driver.startswith("sqlite"):
        return f"{driver}:///{conn.schema or conn.host or ''}"
    url = URL.create(
        driver,
        username=conn.login or None,
        password=conn.password or None,
        host=conn.host or None,
        port=conn.port or None,
        database=conn.schema or None,
    )
    return url.render_as_string(hide_password=False)
