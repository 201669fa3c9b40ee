"""Perceptual photo reuse: is a new photo near one that an earlier record already used?

Each site's used photos' perceptual hashes are held in memory (8 bytes each, a numpy array
compared in one vectorised XOR + popcount: ~0.7 ms for 100,000 photos, against ~47 ms in
pure Python) and topped up from the database by the `record_photos` link id before each
look-up, so a second process or a restart never misses photos stored meanwhile.
"""

from __future__ import annotations

import argparse
import weakref
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from domain.signals import PHOTO_NEAR_BITS
from server.blobs import BlobStore, LocalBlobStore
from server.images import perceptual_hash
from server.settings import Settings
from server.storage import Storage

__all__ = ["PhotoHashIndex", "backfill_phashes", "index_for"]


@dataclass(slots=True)
class _SiteHashes:
    seen_link: int = 0
    shas: list[str] = field(default_factory=list)
    hashes: list[int] = field(default_factory=list)
    array: np.ndarray | None = None  # rebuilt lazily from `hashes` after additions


class PhotoHashIndex:
    """The used photos' perceptual hashes of each site of one database."""

    def __init__(self, storage: Storage) -> None:
        self._storage = weakref.ref(storage)
        self._sites: dict[str, _SiteHashes] = {}

    def _site(self, site_id: str) -> _SiteHashes:
        site = self._sites.setdefault(site_id, _SiteHashes())
        storage = self._storage()
        if storage is not None:
            rows, site.seen_link = storage.used_phashes_since(site_id, site.seen_link)
            if rows:
                for sha, phash in rows:
                    site.shas.append(sha)
                    site.hashes.append(int(phash, 16))
                site.array = None
        return site

    def near(
        self, site_id: str, phash: str, exclude: set[str], max_bits: int = PHOTO_NEAR_BITS
    ) -> str | None:
        """The sha of a used photo of the site within `max_bits` of `phash`, else None.

        Photos named in `exclude` (the record's own, identical copies) are skipped.
        """
        site = self._site(site_id)
        if not site.hashes:
            return None
        if site.array is None:
            site.array = np.array(site.hashes, dtype=np.uint64)
        distances = np.bitwise_count(site.array ^ np.uint64(int(phash, 16)))
        for i in np.flatnonzero(distances <= max_bits):
            if site.shas[i] not in exclude:
                return site.shas[i]
        return None


_indexes: weakref.WeakKeyDictionary[Storage, PhotoHashIndex] = weakref.WeakKeyDictionary()


def index_for(storage: Storage) -> PhotoHashIndex:
    """The one index kept for this storage (made on first use)."""
    index = _indexes.get(storage)
    if index is None:
        index = _indexes[storage] = PhotoHashIndex(storage)
    return index


def backfill_phashes(storage: Storage, blobs: BlobStore) -> int:
    """Hash the photos stored before perceptual hashes were kept (~3 ms each), so reuse of
    an old photo is caught too; returns how many were hashed.

    `python -m server.photo_index --data-dir var/server`. Safe to run while serving and to
    run again (a running server sees the added hashes after a restart: its index tops up
    by new record links only). A photo whose file is missing or unreadable gets the hash
    "" (never compared), so it is not tried again.
    """
    done = 0
    while batch := storage.photos_without_phash():
        for sha, site_id in batch:
            data = blobs.get(sha)
            storage.set_phash(sha, site_id, (perceptual_hash(data) if data else None) or "")
            done += 1
    return done


def main() -> None:
    parser = argparse.ArgumentParser(description=backfill_phashes.__doc__)
    parser.add_argument("--data-dir", type=Path, default=Settings.from_env().data_dir)
    args = parser.parse_args()
    settings = Settings(data_dir=args.data_dir)
    storage = Storage(settings.db_path)
    try:
        added = backfill_phashes(storage, LocalBlobStore(settings.blob_dir))
        print(f"perceptual hashes added: {added}")
    finally:
        storage.close()


if __name__ == "__main__":
    main()
