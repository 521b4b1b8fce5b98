"""The bucket and the lake through fsspec: a local folder by default, ``s3://`` (MinIO) in production."""

from __future__ import annotations

import contextlib
import hashlib
import io
import posixpath
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import fsspec
import pyarrow as pa
import pyarrow.parquet as pq
from fsspec.implementations.local import LocalFileSystem


@dataclass(frozen=True)
class Store:
    """A folder or bucket prefix; every path given to it is relative (``incoming/x/spend_2025-26-Q1.csv``).

    ``options`` are fsspec storage options (e.g. s3fs ``key``/``secret``/``endpoint_url`` taken from an
    Airflow connection); without them s3fs/botocore read the standard ``AWS_*`` environment variables.
    """

    url: str
    options: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def fs(self) -> fsspec.AbstractFileSystem:
        # No listings cache: members (and other tasks) change the bucket behind this process's back, and a
        # stale s3fs listing makes ``exists`` lie, so a processed file would never leave incoming/.
        return fsspec.core.url_to_fs(self.url, use_listings_cache=False, **self.options)[0]

    @property
    def root(self) -> str:
        return fsspec.core.url_to_fs(self.url, use_listings_cache=False, **self.options)[1].rstrip("/")

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
        fs = self.fs
        if isinstance(fs, LocalFileSystem):
            fs.makedirs(posixpath.dirname(full), exist_ok=True)
            temporary = f"{full}.tmp-{uuid.uuid4().hex}"
            fs.pipe_file(temporary, data)
            fs.mv(temporary, full)
        else:  # object stores have no folders, and replace an object atomically on PUT
            fs.pipe_file(full, data)
        return path

    def remove(self, path: str) -> None:
        """Delete a file; deleting one that is already gone is not an error (a retried task does it twice)."""
        with contextlib.suppress(FileNotFoundError):
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
        # s3fs gives botocore's ``tzlocal()`` times: normalise so received times compare and serialise alike.
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, UTC)
    return datetime.now(UTC)


def content_hash(data: bytes) -> str:
    """A file's identity: the same bytes are the same submission, whatever the file is called."""
    return hashlib.sha256(data).hexdigest()


class BucketUnreachable(OSError):
    """The bucket cannot be listed or read; nothing was moved, and the task should be retried."""


@contextlib.contextmanager
def bucket_errors(store: Store, doing: str) -> Iterator[None]:
    """Turn a storage client's error into one line an engineer can act on (which bucket, what failed)."""
    try:
        yield
    except FileNotFoundError:
        raise
    except Exception as exc:
        raise BucketUnreachable(
            f"Could not {doing} the bucket {store.url}: {exc.__class__.__name__}: {exc}. "
            "Nothing was moved; the task will be retried."
        ) from exc
