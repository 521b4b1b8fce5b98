"""What is waiting in ``incoming/``: the files to take, and the files the scan leaves, each with the reason.

Members drop files by hand, with whatever their computer leaves beside them: editor lock files, hidden
system files, half-finished downloads, shortcuts. None of these is read, but none is passed over in
silence either: every file left in ``incoming/`` has a reason that ``anchor status`` shows and the
engineers' alert lists (``pipeline.steps.ingest_alerts``). Files are hashed in chunks (a scan never
holds a file whole) and their version noted, so that a file is removed after processing only if it is
still the version that was processed (``Store.remove_version``).
"""

from __future__ import annotations

import hashlib
import logging
import posixpath
import re
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pipeline.adapters.bucket import Store, bucket_errors
from pipeline.steps.submission_rules import INCOMING, parse_file_name

log = logging.getLogger(__name__)

# Longest member folder kept as it is; a longer one (never a member: ids are at most 63 characters) is
# shortened with a digest so that it still fits the warehouse and the file system.
MEMBER_ID_CHARS = 64
# A file name's length in bytes in the archive and quarantine paths, and in feedback file names; the
# stored audit row keeps the name as sent.
NAME_BYTES = 160
STEM_BYTES = 120

# Editor lock files, unfinished downloads and swap files: never a return, but worth telling someone.
_TEMPORARY = re.compile(
    r"(^~\$|^~|\.(tmp|temp|part|partial|crdownload|download|swp|swx|bak|lock)$|~$|^#.*#$)", re.IGNORECASE
)
_PIPELINE_TEMPORARY = re.compile(r"^\.tmp-[0-9a-f]{32}$")


@dataclass(frozen=True)
class IncomingFile:
    """A file found in ``incoming/<member_id>/``; small and JSON-friendly so it can travel through XCom."""

    path: str
    member_id: str
    file_name: str
    size: int
    received_at: str  # ISO 8601, UTC: the bucket's modification time (never later than the scan)
    content_hash: str
    # What ``Store.remove_version`` compares before removing the file (S3 ETag, or the content hash).
    version: str = ""

    @property
    def return_type(self) -> str:
        name = parse_file_name(self.file_name)
        return name.return_type if name else "unknown"

    @property
    def period(self) -> str:
        name = parse_file_name(self.file_name)
        return name.period if name else "unknown"

    @property
    def submission_id(self) -> str:
        return submission_id(self.member_id, self.return_type, self.period, self.content_hash)


def submission_id(member_id: str, return_type: str, period: str, content_hash: str) -> str:
    """A submission's id: its content, for one member's return for one period.

    The same bytes from another member, or for another period, are another submission: identical content
    is a duplicate only of the same member's same return (docs/design.md#storage).
    """
    key = f"{member_id}\x1f{return_type}\x1f{period}\x1f{content_hash}"
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class SkippedFile:
    """A file the scan leaves in ``incoming/``, and why; ``report`` is False for the passing kind (still
    uploading), which the next run takes without anyone's help."""

    path: str
    member_id: str
    file_name: str
    size: int
    modified: str
    reason: str
    report: bool = True


@dataclass(frozen=True)
class Scan:
    files: list[dict[str, Any]]
    skipped: list[SkippedFile]


def storage_member_id(folder: str) -> str:
    """The member folder as stored: itself, or (past ``MEMBER_ID_CHARS``) a prefix and a digest."""
    if len(folder) <= MEMBER_ID_CHARS:
        return folder
    digest = hashlib.sha1(folder.encode("utf-8")).hexdigest()[:16]
    return f"{folder[: MEMBER_ID_CHARS - 17]}~{digest}"


def _truncate_bytes(text: str, limit: int) -> str:
    return text.encode("utf-8")[:limit].decode("utf-8", errors="ignore")


def safe_file_name(name: str, limit: int = NAME_BYTES) -> str:
    """A file name that fits the storage paths built from it, extension kept (``spend_….csv``)."""
    if len(name.encode("utf-8")) <= limit:
        return name
    stem, dot, extension = name.rpartition(".")
    if not dot or len(extension) > 10:
        return _truncate_bytes(name, limit)
    digest = hashlib.sha1(name.encode("utf-8")).hexdigest()[:8]
    room = limit - len(extension.encode("utf-8")) - 10
    return f"{_truncate_bytes(stem, room)}~{digest}.{extension}"


def safe_stem(name: str, limit: int = STEM_BYTES) -> str:
    """A file name without its extension, short enough for feedback file names."""
    stem = name.rsplit(".", 1)[0]
    if len(stem.encode("utf-8")) <= limit:
        return stem
    digest = hashlib.sha1(stem.encode("utf-8")).hexdigest()[:8]
    return f"{_truncate_bytes(stem, limit - 9)}~{digest}"


def skip_reason(entry: dict[str, Any], now: datetime, settle: timedelta) -> tuple[str, bool] | None:
    """Why a listed file is not taken this run, and whether someone should be told; None to take it."""
    relative = entry["path"].removeprefix(f"{INCOMING}/")
    name = posixpath.basename(relative)
    if _PIPELINE_TEMPORARY.match(name):
        return "being written by the pipeline", False
    if entry.get("link"):
        return (
            "a shortcut (symbolic link): links are never followed, as they can point anywhere on the "
            "machine; put the file itself in the folder",
            True,
        )
    if "/" not in relative:
        return f"not in a member's folder: files go in {INCOMING}/<member id>/", True
    if any(part.startswith(".") for part in relative.split("/")):
        return (
            "a hidden file (its name starts with '.'), such as a system or lock file: rename it if it is a return",
            True,
        )
    if _TEMPORARY.search(name):
        return (
            "looks like a temporary file (an editor's lock file or an unfinished download): "
            "send the finished file under its own name",
            True,
        )
    age = now - entry["modified"]
    if settle and -settle < age < settle:
        return (
            f"changed less than {settle.seconds} seconds ago, so it may still be uploading: the next run takes it",
            False,
        )
    return None


def list_incoming(
    bucket: Store, now: datetime, settle: timedelta
) -> tuple[list[dict[str, Any]], list[SkippedFile]]:
    """The files to take (listing entries) and the files left, with reasons; nothing is read."""
    with bucket_errors(bucket, "list"):
        entries = bucket.list_files(INCOMING, with_links=True)
    take, skipped = [], []
    for entry in entries:
        parts = entry["path"].split("/")
        why = skip_reason(entry, now, settle)
        if why is None:
            take.append(entry)
            continue
        skipped.append(
            SkippedFile(
                path=entry["path"],
                member_id=parts[1] if len(parts) >= 3 else "",
                file_name=parts[-1],
                size=entry["size"],
                modified=entry["modified"].isoformat(),
                reason=why[0],
                report=why[1],
            )
        )
    return take, skipped


def files_waiting(bucket: Store, settle_seconds: int, now: datetime | None = None) -> int:
    """How many files a scan would take now (settled, in a member's folder): one listing, nothing read
    or hashed. The ingest DAG's one-minute poll asks this before starting any heavy task."""
    take, _ = list_incoming(bucket, now or datetime.now(UTC), timedelta(seconds=settle_seconds))
    return len(take)


def scan(bucket: Store, settle_seconds: int, now: datetime | None = None) -> Scan:
    """Every file to take, hashed in chunks, oldest first; and every file left, with its reason."""
    now = now or datetime.now(UTC)
    entries, skipped = list_incoming(bucket, now, timedelta(seconds=settle_seconds))
    found = []
    for entry in entries:
        parts = entry["path"].split("/")
        try:
            with bucket_errors(bucket, "read"):
                digest, version = bucket.version_of(entry["path"])
        except FileNotFoundError:  # taken by a parallel run since the listing
            continue
        # A clock ahead of ours must not make a file "newer" than corrections sent after it.
        received = min(entry["modified"], now)
        found.append(
            IncomingFile(
                path=entry["path"],
                member_id=storage_member_id(parts[1]),
                file_name=parts[-1],
                size=entry["size"],
                received_at=received.isoformat(),
                content_hash=digest,
                version=version,
            )
        )
    found.sort(key=lambda f: (f.received_at, f.path))
    for item in skipped:
        (log.warning if item.report else log.info)("left in incoming/: %s (%s)", item.path, item.reason)
    return Scan([asdict(f) for f in found], skipped)
