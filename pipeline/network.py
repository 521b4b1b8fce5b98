"""A network's validated config with its bucket, lake and warehouse, opened once per process."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cached_property

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError

from pipeline.adapters.bucket import Store
from pipeline.config import NetworkConfig, load_config
from pipeline.credentials import storage_options
from transforms.periods import Period
from warehouse.db import warehouse_engine
from warehouse.load import ensure_periods, sync_members


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
        engine = warehouse_engine(self.cfg.warehouse_url)
        sync_members(
            engine,
            [
                {
                    "member_id": m.id,
                    "name": m.name,
                    "sector": m.sector.value,
                    "contact_email": m.contact_email,
                }
                for m in self.cfg.members
            ],
        )
        return engine

    def register_periods(self, keys: list[str]) -> None:
        rows = []
        for key in sorted(set(keys)):
            period = Period.parse(key)
            for p in {period, period.financial_year}:
                rows.append(
                    {
                        "period": p.key,
                        "kind": p.kind,
                        "start_date": p.start,
                        "end_date": p.end,
                        "financial_year": p.financial_year.key,
                    }
                )
        try:
            ensure_periods(self.engine, rows)
        except IntegrityError:  # a parallel task registered the same period a moment ago
            ensure_periods(self.engine, rows)


def open_network(config_path: str | os.PathLike[str] | None = None) -> Network:
    return Network(load_config(config_path))
