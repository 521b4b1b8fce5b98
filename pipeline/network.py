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
from pipeline.config import NetworkConfig, load_config
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
