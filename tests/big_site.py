"""The generated 500-point site of `bench.coverage_month` for the coverage-cache tests:
built once per test module, then a fresh copy of the file for each test."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import pytest

from bench.coverage_month import build
from server.reports import cache_clear
from server.storage import Storage


def seed(factory: pytest.TempPathFactory, start: datetime, end: datetime) -> Path:
    path = factory.mktemp("big") / "seed.db"
    storage = Storage(path)
    build(storage, start, end)
    storage.close()
    return path


@contextmanager
def fresh_copy(seeded: Path, tmp_path: Path) -> Iterator[Storage]:
    """The seeded site in a file of its own, with every kept coverage result forgotten."""
    copy = tmp_path / "site.db"
    copy.write_bytes(seeded.read_bytes())
    cache_clear()
    opened = Storage(copy)
    try:
        yield opened
    finally:
        opened.close()
