"""Airflow as a store of connections and variables, and as the SMTP client: the only module outside
``dags/`` that imports Airflow.

Everything else asks here, so the steps stay testable without Airflow and the places where a secret or
a mail server comes from are easy to find. Imports are inside the functions: the CLI and the DAG files'
parse stay light, and a lookup outside a task (the CLI) still works, because Airflow's connection and
variable lookups read ``AIRFLOW_CONN_<ID>`` / ``AIRFLOW_VAR_<NAME>`` environment variables and the
configured secrets backend as well as the metadata database.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ConnectionDetails:
    """The parts of an Airflow connection the adapters use."""

    conn_type: str | None = None
    schema: str | None = None
    login: str | None = None
    password: str | None = field(default=None, repr=False)
    host: str | None = None
    port: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def connection(conn_id: str) -> ConnectionDetails:
    """An Airflow connection by id (metadata DB, secrets backend or ``AIRFLOW_CONN_<ID>``)."""
    from airflow.sdk import Connection

    conn = Connection.get(conn_id)
    return ConnectionDetails(
        conn_type=conn.conn_type,
        schema=conn.schema,
        login=conn.login,
        password=conn.password,
        host=conn.host,
        port=conn.port,
        extra=dict(conn.extra_dejson),
    )


def variable(name: str) -> str | None:
    """An Airflow Variable, or None when there is none or no Airflow to ask (outside a task)."""
    try:
        from airflow.sdk import Variable

        return Variable.get(name, default=None)
    except Exception:  # outside a task there is no Airflow to ask
        return None


@contextmanager
def smtp_hook(conn_id: str) -> Iterator[Any]:
    """An open, authenticated ``SmtpHook`` for the connection (the Airflow SMTP provider)."""
    from airflow.providers.smtp.hooks.smtp import SmtpHook

    with SmtpHook(smtp_conn_id=conn_id) as hook:
        yield hook
