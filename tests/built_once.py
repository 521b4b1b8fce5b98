"""Expensive test networks built once per test run and handed to each module as a private copy.

A fixture imported into several modules is a separate fixture in each, so a session-scoped network was
built once per module that used it (and once more per pytest-xdist worker): the demo network four times
a run, the quarter-by-quarter network twice, at 15-30 s each. Here the first worker to ask builds the
folder under a file lock; every other asker waits for it, then copies it (a SQLite file and a small
bucket: a fraction of a second), so no test sees another's changes.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from pipeline.network import Network
from tests.conftest import standalone_network


def _run_folder(factory: pytest.TempPathFactory) -> Path:
    """The folder the whole run shares: under pytest-xdist each worker's own is inside it."""
    base = factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def built_once(factory: pytest.TempPathFactory, name: str, build: Callable[[Path], None]) -> Path:
    """``name``'s folder, filled by ``build`` the first time any worker of this run asks for it.

    A build that fails leaves no mark of completion, so the next asker builds again and fails the same way
    in its own test rather than reading a half-built folder.
    """
    root = _run_folder(factory)
    folder, done = root / name, root / f"{name}.built"
    with (root / f"{name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir()
            build(folder)
            done.touch()
    return folder


@contextlib.contextmanager
def private_copy(folder: Path, directory: Path) -> Iterator[tuple[Network, pytest.MonkeyPatch]]:
    """A standalone network on a copy of ``folder``'s warehouse and data (see ``standalone_network``)."""
    shutil.copytree(folder, directory, dirs_exist_ok=True)
    with standalone_network(directory) as (network, mp):
        yield network, mp
        network.engine.dispose()
