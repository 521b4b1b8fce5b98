"""The bucket and the lake through fsspec: a local folder by default, ``s3://`` (MinIO) in production."""

from __future__ import annotations

import io
import posixpath
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import fsspec
import pyarrow as pa
import pyarrow.parquet as pq
from fsspec.implementations.local import LocalFileSystem


@dataclass(frozen=True)
class Store:
    """A folder or bucket prefix; every path given to it is relative (``incoming/x/spend_2025-26-Q1.csv``)."""

    url: str

    @property
    def fs(self) -> fsspec.AbstractFileSystem:
        return fsspec.core.url_to_fs(self.url)[0]

    @property
    def root(self) -> str:
        return fsspec.core.url_to_fs(self.url)[1].rstrip("/")

    def full(self, path: str) -> str:
        return posixpath.join(self.root, path)

    def uri(self, path: str) -> str:
        """A location a person or another tool can open."""
        return self.fs.unstrip_protocol(self.full(path))

    def exists(self, path: str) -> bool:
        return self.fs.exists(self.full(path))

    def read(self, path: str) -> bytes:
        return self.fs.cat_file(self.full(path))

    def write(self, path: str, data: bytes) -> str:
        """Write atomically: readers see the old object or the whole new one, never a partial file."""
        full = self.full(path)
        self.fs.makedirs(posixpath.dirname(full), exist_ok=True)
        if isinstance(self.fs, LocalFileSystem):
            temporary = f"{full}.tmp-{uuid.uuid4().hex}"
            self.fs.pipe_file(temporary, data)
            self.fs.mv(temporary, full)
        else:  # object stores replace an object atomically on PUT
            self.fs.pipe_file(full, data)
        return path

    def remove(self, path: str) -> None:
        if self.exists(path):
            self.fs.rm_file(self.full(path))

    def list_files(self, prefix: str) -> list[dict[str, Any]]:
        """Files under a prefix with their relative path, size and modification time (UTC)."""
        base = self.full(prefix)
        if not self.fs.exists(base):
            return []
        found = []
        for full, info in sorted(self.fs.find(base, detail=True).items()):
            if info.get("type") != "file":
                continue
            relative = posixpath.relpath(full, self.root)
            found.append({"path": relative, "size": int(info.get("size") or 0), "modified": _modified(info)})
        return found

    def write_parquet(self, path: str, table: pa.Table) -> str:
        buffer = io.BytesIO()
        pq.write_table(table, buffer, compression="zstd")
        return self.write(path, buffer.getvalue())


def _modified(info: dict[str, Any]) -> datetime:
    value = info.get("mtime") or info.get("LastModified") or info.get("last_modified") or info.get("created")
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, UTC)
    return datetime.now(UTC)
