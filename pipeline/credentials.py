"""Object-store credentials from an Airflow connection, so that no key ever lives in code or config files.

When ``storage.conn_id`` names a connection (e.g. ``AIRFLOW_CONN_ANCHOR_S3`` or one made in the Airflow
UI), its login/password become the S3 access key and secret and its extra ``endpoint_url`` points s3fs
at MinIO. Without one, s3fs and botocore read ``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY`` and
``AWS_ENDPOINT_URL`` from the environment themselves, so nothing is passed.
"""

from __future__ import annotations

from typing import Any


def storage_options(url: str, conn_id: str | None) -> dict[str, Any]:
    """fsspec storage options for ``url``; empty unless it is an object store with a configured connection."""
    if not conn_id or not url.startswith(("s3://", "s3a://")):
        return {}
    from airflow.sdk import Connection  # imported only when a connection is configured

    conn = Connection.get(conn_id)
    extra = conn.extra_dejson
    options: dict[str, Any] = {}
    if conn.login:
        options["key"] = conn.login
    if conn.password:
        options["secret"] = conn.password
    endpoint = extra.get("endpoint_url") or (f"http://{conn.host}:{conn.port or 80}" if conn.host else None)
    if endpoint:
        options["endpoint_url"] = endpoint
    if extra.get("region_name"):
        options["client_kwargs"] = {"region_name": extra["region_name"]}
    return options
