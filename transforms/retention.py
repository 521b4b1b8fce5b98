"""Which original files have outlived the network's retention setting and should leave the bucket.

``archive/`` keeps every original so a file can be re-processed; for returns of special-category data
(recruitment) the network sets ``keep_raw_days`` and the original goes once it is that old, from
``archive/`` and from ``quarantine/`` alike (a refused file is as sensitive as an accepted one). The facts
already loaded stay: they hold only coarse answers. A file whose name does not say which return it is
(a recruitment file named "hires.xlsx" is refused for that) is kept no longer than the shortest
retention any return type sets, since nobody can tell it is not special-category data.

This only plans: it lists paths. The step that deletes them (and logs what it deleted) is I/O.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

RAW_FOLDERS = ("archive", "quarantine")
_RETURN_TYPE_RE = re.compile(r"^(?P<return_type>[a-z]+)_\d{4}-\d{2}", re.IGNORECASE)
_SUBMISSION_PREFIX = re.compile(r"^[0-9a-f]{16}_")


def return_type_of(path: str) -> str | None:
    """The return type a raw file's name gives (``archive/<member>/<hash>/recruitment_2025-26-Q2.csv``)."""
    name = posixpath.basename(path)
    if path.startswith("quarantine/"):
        name = _SUBMISSION_PREFIX.sub("", name)
    match = _RETURN_TYPE_RE.match(name)
    return match["return_type"].lower() if match else None


def raw_files_past_retention(
    files: Iterable[Mapping[str, Any]], keep_days: Mapping[str, int | None], now: datetime
) -> list[str]:
    """Paths of ``archive/`` and ``quarantine/`` files older than their return type's ``keep_raw_days``.

    ``files``: entries with ``path`` and ``modified`` (when the pipeline wrote the copy, i.e. arrival), as
    ``Store.list_files`` gives them. ``keep_days``: return type -> days, None to keep for good.
    """
    limits = {rt: days for rt, days in keep_days.items() if days is not None}
    shortest = min(limits.values(), default=None)
    now = now if now.tzinfo else now.replace(tzinfo=UTC)
    due = []
    for entry in files:
        path = str(entry["path"])
        if path.split("/", 1)[0] not in RAW_FOLDERS:
            continue
        return_type = return_type_of(path)
        days = limits.get(return_type) if return_type in keep_days else shortest
        if days is None:
            continue
        modified = entry["modified"]
        modified = modified if modified.tzinfo else modified.replace(tzinfo=UTC)
        if now - modified > timedelta(days=days):
            due.append(path)
    return sorted(due)
