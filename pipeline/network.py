"""A network opened for work: its validated config, with its bucket, lake and warehouse at hand.

Opening is free of side effects: nothing is created, migrated or synchronised until a step touches it
(the bucket and lake connect on first use, the warehouse engine likewise). Steps take the Network, or
better just the part they need (``network.engine``, ``network.bucket``, ``network.cfg.email``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cached_property

from sqlalchemy import Engine

from pipeline.adapters.bucket import Store
from pipeline.adapters.secrets import storage_options
from pipeline.config import NetworkConfig, load_config
from warehouse.db import warehouse_engine


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
    def engine(self) -> Engine:
        return warehouse_engine(self.cfg.warehouse_url)


def open_network(config_path: str | os.PathLike[str] | None = None) -> Network:
    return Network(load_config(config_path))
