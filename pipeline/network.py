"""A network opened for work: its validated config, with its bucket, lake and warehouse at hand.

Opening is free of side effects: nothing is created, migrated or synchronised until a step touches it
(the bucket and lake connect on first use, the warehouse engine likewise). Steps take the Network, or
better just the part they need (``network.engine``, ``network.bucket``, ``network.cfg.email``).

The engine checks the warehouse's revision and never migrates it: migrating is ``anchor db upgrade``
(:meth:`Network.upgrade_warehouse`), an explicit step of a deployment (docs/design.md#storage).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cached_property

from sqlalchemy import Engine

from pipeline.adapters.bucket import Store
from pipeline.adapters.secrets import storage_options, warehouse_url_from_connection
from pipeline.config import ConfigError, DeploymentSettings, NetworkConfig, load_config
from warehouse.db import upgrade, warehouse_engine


@dataclass
class Network:
    cfg: NetworkConfig

    @cached_property
    def bucket(self) -> Store:
        return Store(self.cfg.bucket_url, storage_options(self.cfg.bucket_url, self.cfg.storage.conn_id))

    @cached_property
    def lake(self) -> Store:
        return Store(self.cfg.lake_url, storage_options(self.cfg.lake_url, self.cfg.storage.conn_id))

    @cached_property
    def warehouse_url(self) -> str:
        """The warehouse's URL: from the Airflow connection ``storage.warehouse_conn_id`` when one is
        named, else the config's (or ``ANCHOR_WAREHOUSE_URL``'s) ``warehouse_url``."""
        conn_id = self.cfg.storage.warehouse_conn_id
        return warehouse_url_from_connection(conn_id) if conn_id else self.cfg.warehouse_url

    @cached_property
    def engine(self) -> Engine:
        """The warehouse's engine; raises ``WarehouseNotReady`` when its schema is not at head."""
        return warehouse_engine(self.warehouse_url)

    def upgrade_warehouse(self) -> str:
        """Migrate the warehouse to head under the migration lock (``anchor db upgrade``); the revision."""
        return upgrade(self.warehouse_url)


def open_network(config_path: str | os.PathLike[str] | None = None) -> Network:
    return Network(load_config(config_path))


class NetworkMismatch(ConfigError):
    """A run asked for another network than the one this deployment serves."""


def open_run_network(config: str | os.PathLike[str] | None = None) -> Network:
    """The network a DAG run works on: one deployment serves one network (docs/production.md).

    A deployment is pinned to its network by ``ANCHOR_CONFIG``; its ``ANCHOR_*`` storage settings
    (bucket, lake, warehouse) belong to that network alone. A run's ``config`` param naming a network with
    another id is refused here, before any bucket, lake or warehouse is opened: otherwise the second
    network's files were read from the first one's bucket, quarantined, and its members table replaced.
    Naming the deployment's own network (its file, or a copy with the same id) runs on the deployment's
    config. Without ``ANCHOR_CONFIG`` (the embedded demo and tests) nothing is pinned and the param is
    the network.
    """
    deployed = DeploymentSettings().config
    if deployed is None or not config:
        return open_network(config)
    deployment = load_config(deployed)
    requested = load_config(config)
    if requested.id != deployment.id:
        raise NetworkMismatch(
            f"this deployment serves network '{deployment.id}' (ANCHOR_CONFIG={deployed}); the run's config "
            f"{config} is network '{requested.id}'. Nothing was touched. Run each network in a deployment of "
            "its own (its own ANCHOR_CONFIG, bucket, lake and warehouse), or trigger this run without the "
            "config param."
        )
    return Network(deployment)
