"""The column mappings the data team recorded for members, kept in the bucket with the reference data.

``anchor columns map`` adds one (``transforms.column_maps`` holds the rules), ingest and ``anchor validate
--member`` read them: a member's recorded mapping, over the config's ``column_map``, is how their later
files are read.
"""

from __future__ import annotations

from pipeline.adapters.bucket import bucket_errors
from pipeline.config import NetworkConfig
from pipeline.network import Network
from transforms.column_maps import (
    RecordedMapping,
    column_maps_csv,
    member_column_map,
    parse_column_maps,
    record_mapping,
)


def recorded_column_maps(network: Network) -> list[RecordedMapping]:
    """Every recorded mapping; a broken file raises ``ColumnMapError`` naming each faulty line."""
    path = network.cfg.reference.column_maps
    with bucket_errors(network.bucket, "read"):
        if not network.bucket.exists(path):
            return []
        text = network.bucket.read(path).decode("utf-8-sig")
    return parse_column_maps(text, [m.id for m in network.cfg.members])


def record_column_mapping(network: Network, mapping: RecordedMapping) -> list[RecordedMapping]:
    """Add (or replace) one mapping and write the file back; returns every mapping now recorded."""
    members = [m.id for m in network.cfg.members]
    mappings = record_mapping(recorded_column_maps(network), mapping, members)
    network.bucket.write(network.cfg.reference.column_maps, column_maps_csv(mappings).encode("utf-8"))
    return mappings


def column_map_for(
    cfg: NetworkConfig, mappings: list[RecordedMapping], member_id: str | None, return_type: str
) -> dict[str, str] | None:
    """How one member's files of a return type are read: the config's map, recorded mappings over it."""
    member = cfg.member(member_id) if member_id is not None else None
    if member is None:
        return None
    return member_column_map(mappings, member.id, return_type, member.column_map) or None
