"""The bucket and the lake through fsspec: a local folder by default, ``s3://`` (MinIO) in production."""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import posixpath
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import fsspec
import pyarrow as pa
import pyarrow.compute as pc
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

    def read_version(self, path: str) -> tuple[bytes, str]:
        """The bytes of a file and the version they are (see :meth:`version_of`), read as one."""
        fs = self.fs
        if _is_s3(fs):
            # s3fs reads with If-Match on the ETag it found on opening: the bytes are that version's.
            with fs.open(self.full(path), "rb") as stream:
                return stream.read(), _etag(stream.details)
        if isinstance(fs, LocalFileSystem):
            with open(self.full(path), "rb") as stream:
                return stream.read(), _identity(os.fstat(stream.fileno()))
        data = fs.cat_file(self.full(path))
        return data, content_hash(data)

    def version_of(self, path: str) -> tuple[str, str]:
        """(sha256 of the content, version) of a file, read in chunks so that no file is held whole.

        The version is what :meth:`remove_version` compares: the object's ETag on S3; in a folder, the
        file's identity (inode, modification time, size) as it was read; elsewhere the content hash.
        """
        digest = hashlib.sha256()
        fs = self.fs
        if isinstance(fs, LocalFileSystem):
            with open(self.full(path), "rb") as stream:
                while chunk := stream.read(_CHUNK):
                    digest.update(chunk)
                return digest.hexdigest(), _identity(os.fstat(stream.fileno()))
        with fs.open(self.full(path), "rb") as stream:
            while chunk := stream.read(_CHUNK):
                digest.update(chunk)
            details = getattr(stream, "details", None)
        sha = digest.hexdigest()
        return sha, _etag(details) if _is_s3(fs) and details else sha

    def write(self, path: str, data: bytes) -> str:
        """Write atomically: readers see the old object or the whole new one, never a partial file."""
        full = self.full(path)
        fs = self.fs
        if isinstance(fs, LocalFileSystem):
            fs.makedirs(posixpath.dirname(full), exist_ok=True)
            # A short temporary name beside it, never the file's own name plus a suffix: a name near the
            # file system's limit must not become one past it.
            temporary = posixpath.join(posixpath.dirname(full), f".tmp-{uuid.uuid4().hex}")
            fs.pipe_file(temporary, data)
            fs.mv(temporary, full)
        else:  # object stores have no folders, and replace an object atomically on PUT
            fs.pipe_file(full, data)
        return path

    def copy(self, source: str, destination: str) -> str:
        """Copy a file inside the store without reading it into memory (server side on S3)."""
        fs = self.fs
        full = self.full(destination)
        if isinstance(fs, LocalFileSystem):
            fs.makedirs(posixpath.dirname(full), exist_ok=True)
            temporary = posixpath.join(posixpath.dirname(full), f".tmp-{uuid.uuid4().hex}")
            shutil.copyfile(self.full(source), temporary)
            os.replace(temporary, full)
        else:
            fs.copy(self.full(source), full)
        return destination

    def remove(self, path: str) -> None:
        """Delete a file; deleting one that is already gone is not an error (a retried task does it twice)."""
        with contextlib.suppress(FileNotFoundError):
            self.fs.rm_file(self.full(path))

    def prune_folders(self, folder: str, stop: str) -> None:
        """Remove ``folder`` and its parents while they are empty, up to (not including) ``stop``.

        A folder's name can say something on its own (``archive/<member>/<hash>``), so deleting a file
        leaves no empty folder behind; object stores have no folders, so there it does nothing.
        """
        if not isinstance(self.fs, LocalFileSystem):
            return
        while folder and folder != stop and folder.startswith(stop + "/"):
            try:
                os.rmdir(self.full(folder))  # only ever removes an empty folder
            except OSError:  # not empty (or already gone): its parents are not empty either
                return
            folder = posixpath.dirname(folder)

    def remove_version(self, path: str, version: str) -> bool:
        """Delete a file only if it is still ``version``; False (and the file left) when it was replaced.

        A member may send a corrected file under the same name while the first is being processed: the
        correction must wait for the next scan, not vanish with the file it replaced. On S3 the delete is
        conditional (If-Match on the ETag); in a folder the file is first renamed aside (atomic), checked,
        and put back unless it is the version processed. A file already gone counts as removed.
        """
        fs = self.fs
        full = self.full(path)
        if _is_s3(fs):
            bucket, key, _ = fs.split_path(full)
            try:
                fs.call_s3("delete_object", Bucket=bucket, Key=key, IfMatch=version)
            except FileNotFoundError:
                return True
            except Exception as exc:
                if _precondition_failed(exc):
                    return False
                raise
            return True
        if isinstance(fs, LocalFileSystem):
            aside = posixpath.join(posixpath.dirname(full), f".tmp-{uuid.uuid4().hex}")
            try:
                os.rename(full, aside)
            except FileNotFoundError:
                return True
            # Compared by identity (a stat, no reading), so that the file is aside for microseconds.
            if _identity(os.stat(aside)) == version:
                os.remove(aside)
                return True
            # Put the newer version back, unless an even newer one has arrived meanwhile (it wins).
            with contextlib.suppress(FileExistsError):
                os.link(aside, full)
            os.remove(aside)
            return False
        try:  # any other store: compare, then delete (a small window, but the best it offers)
            if self.version_of(path)[1] != version:
                return False
        except FileNotFoundError:
            return True
        self.remove(path)
        return True

    def list_files(self, prefix: str, with_links: bool = False) -> list[dict[str, Any]]:
        """Files under a prefix with their relative path, size and modification time (UTC).

        ``with_links`` also lists symbolic links (``"link": True``), which are never read: they may point
        anywhere on the machine.
        """
        base = self.full(prefix)
        if not self.fs.exists(base):
            return []
        found = []
        for full, info in sorted(self.fs.find(base, detail=True).items()):
            link = bool(info.get("islink"))
            if info.get("type") != "file" and not (with_links and link):
                continue
            relative = posixpath.relpath(full, self.root)
            entry = {"path": relative, "size": int(info.get("size") or 0), "modified": _modified(info)}
            if with_links:
                entry["link"] = link
            found.append(entry)
        return found

    def write_parquet(self, path: str, table: pa.Table) -> str:
        buffer = io.BytesIO()
        pq.write_table(table, buffer, compression="zstd", use_dictionary=repeating_columns(table))
        return self.write(path, buffer.getvalue())


# Rows looked at to judge whether a column's values repeat (enough for a dictionary to pay).
_DICTIONARY_SAMPLE = 2048


def repeating_columns(table: pa.Table) -> list[str]:
    """Columns whose values repeat, judged on their first rows: the ones a Parquet dictionary shrinks.

    A dictionary on a column of distinct values (row numbers, references, amounts) is built and then
    thrown away by the writer: on a 100,000-line spend file's facts, leaving those three out writes
    the file in 40 ms instead of 52 and 1.4 MB instead of 1.9. The values written are the same either way.
    """
    head = table.slice(0, _DICTIONARY_SAMPLE)
    return [
        name
        for name in table.column_names
        if pc.count_distinct(head.column(name), mode="all").as_py() <= head.num_rows // 2
    ]


_CHUNK = 1 << 20


def _is_s3(fs: fsspec.AbstractFileSystem) -> bool:
    return "s3" in (fs.protocol if isinstance(fs.protocol, tuple) else (fs.protocol,))


def _etag(details: dict[str, Any] | None) -> str:
    return str((details or {}).get("ETag") or (details or {}).get("etag") or "")


def _precondition_failed(exc: BaseException) -> bool:
    """Whether a storage client's error is S3's 412 Precondition Failed (s3fs translates some errors)."""
    seen: BaseException | None = exc
    while seen is not None:
        response = getattr(seen, "response", None)
        if isinstance(response, dict):
            error = response.get("Error", {})
            status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            if error.get("Code") in ("PreconditionFailed", "412") or status == 412:
                return True
        if "PreconditionFailed" in repr(seen) or "Precondition Failed" in str(seen):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _identity(stat: os.stat_result) -> str:
    """A file's version in a folder: a replacement (a new inode) or a rewrite (a new time or size) differs."""
    return f"{stat.st_dev}:{stat.st_ino}:{stat.st_mtime_ns}:{stat.st_size}"


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
