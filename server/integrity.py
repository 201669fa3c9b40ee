"""Tamper evidence and backups: verify the record chains, print a chain head, make a
consistent online backup (SQLite backup API + the photos) and restore one.

Run as `python -m server.tools verify|head|backup|restore` (see `server/tools.py`).
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from domain.chain import ChainBreak, first_break
from server.blobs import LocalBlobStore, sha256_hex
from server.datalock import DataLock
from server.storage import Storage

__all__ = [
    "BackupError",
    "BackupManifest",
    "SiteChain",
    "backup",
    "chain_head",
    "restore",
    "verify",
]


def chain_head(storage: Storage, site_id: str) -> str:
    """The newest link of a site's record chain (64 hex digits), to print on paper: any
    later edit, deletion or insertion of that site's records changes it."""
    return storage.chain_head(site_id)[1]


@dataclass(frozen=True, slots=True)
class SiteChain:
    site_id: str
    records: int
    head: str
    broken: ChainBreak | None

    def line(self) -> str:
        if self.broken is None:
            return f"{self.site_id}: {self.records} records, chain intact, head {self.head}"
        b = self.broken
        return f"{self.site_id}: BROKEN at record #{b.seq} (id {b.record_id}): {b.reason}"


def verify(storage: Storage) -> list[SiteChain]:
    """Every site's chain, with the first broken link if there is one."""
    return [
        SiteChain(site, *storage.chain_head(site), first_break(storage.chain_rows(site)))
        for site in storage.chain_sites()
    ]


class BackupError(RuntimeError):
    pass


@dataclass(frozen=True, slots=True)
class BackupManifest:
    created_at: str
    records: int
    photos: int
    heads: dict[str, list[int | str]]  # site → [records, head]

    def write(self, folder: Path) -> None:
        (folder / "manifest.json").write_text(json.dumps(asdict(self), indent=2))

    @classmethod
    def read(cls, folder: Path) -> BackupManifest:
        try:
            return cls(**json.loads((folder / "manifest.json").read_text()))
        except (OSError, ValueError, TypeError) as exc:
            raise BackupError(f"{folder} holds no readable backup manifest: {exc}") from exc


def backup(data_dir: Path, dest: Path) -> BackupManifest:
    """Copy the database and its photos into the new folder `dest`, while the server runs.

    The database is copied with SQLite's online backup API in one step, which reads one
    consistent snapshot (WAL lets the server keep writing meanwhile). Photos are written
    before the rows that name them, and never change, so every photo the snapshot names
    is on disk by then; each is copied and its SHA-256 checked.
    """
    if dest.exists() and any(dest.iterdir()):
        raise BackupError(f"{dest} is not empty")
    dest.mkdir(parents=True, exist_ok=True)
    db_path = data_dir / "rounds.db"
    if not db_path.exists():
        raise BackupError(f"no database at {db_path}")
    source = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    target = sqlite3.connect(dest / "rounds.db")
    try:
        source.execute("PRAGMA busy_timeout = 5000")
        source.backup(target)  # pages=-1: the whole file from one read snapshot
    finally:
        source.close()
        target.close()
    copy = Storage(dest / "rounds.db")
    try:
        copy.db.execute("PRAGMA journal_mode = DELETE")  # one self-contained file
        shas = copy.blob_shas()
        heads: dict[str, list[int | str]] = {}
        for site in copy.chain_sites():
            count, head = copy.chain_head(site)
            heads[site] = [count, head]
        records = copy.record_count()
    finally:
        copy.close()
    source_blobs, target_blobs = (
        LocalBlobStore(data_dir / "photos"),
        LocalBlobStore(dest / "photos"),
    )
    for sha in sorted(shas):
        data = source_blobs.get(sha)
        if data is None or sha256_hex(data) != sha:
            raise BackupError(f"photo {sha[:12]}… is missing or damaged in {data_dir}")
        target_blobs.put(data)
    manifest = BackupManifest(datetime.now(UTC).isoformat(), records, len(shas), heads)
    manifest.write(dest)
    return manifest


def check_backup(folder: Path) -> BackupManifest:
    """The backup's manifest, after checking the copy against it: SQLite's integrity
    check, every chain intact with the heads it recorded, every photo present and whole."""
    manifest = BackupManifest.read(folder)
    db_path = folder / "rounds.db"
    with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True) as db:
        if db.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            raise BackupError(f"{db_path} fails SQLite's integrity check")
    copy = Storage(db_path)
    try:
        for chain in verify(copy):
            if chain.broken is not None:
                raise BackupError(f"backup chain broken: {chain.line()}")
            if [chain.records, chain.head] != manifest.heads.get(chain.site_id):
                raise BackupError(f"site {chain.site_id} does not match the manifest")
        shas = copy.blob_shas()
    finally:
        copy.close()
    blobs = LocalBlobStore(folder / "photos")
    for sha in shas:
        data = blobs.get(sha)
        if data is None or sha256_hex(data) != sha:
            raise BackupError(f"photo {sha[:12]}… is missing or damaged in the backup")
    return manifest


def restore(backup_dir: Path, data_dir: Path) -> BackupManifest:
    """Bring a checked backup back into `data_dir` (no server may be running on it).

    The database being replaced is kept beside it as `rounds.db.replaced-<time>`.
    """
    manifest = check_backup(backup_dir)
    lock = DataLock(data_dir)  # refuses while a server serves this folder
    try:
        db_path = data_dir / "rounds.db"
        if db_path.exists():
            with sqlite3.connect(db_path) as old:
                old.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
            os.replace(db_path, db_path.with_name(f"rounds.db.replaced-{stamp}"))
        for suffix in ("-wal", "-shm"):
            db_path.with_name(f"rounds.db{suffix}").unlink(missing_ok=True)
        incoming = db_path.with_name("rounds.db.restoring")
        shutil.copyfile(backup_dir / "rounds.db", incoming)
        with open(incoming, "rb") as f:
            os.fsync(f.fileno())
        os.replace(incoming, db_path)
        source, target = LocalBlobStore(backup_dir / "photos"), LocalBlobStore(data_dir / "photos")
        for path in (backup_dir / "photos").rglob("*"):
            if path.is_file() and not target.exists(path.name):
                data = source.get(path.name)
                if data is not None:
                    target.put(data)
    finally:
        lock.release()
    return manifest
