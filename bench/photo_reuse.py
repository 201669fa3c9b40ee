"""Perceptual photo reuse: hashing an upload, and checking it against a site's photos.

    .venv/bin/python -m bench.photo_reuse [--photos 50000]

Prints the time to hash one 1600×1200 JPEG against a baseline of decoding it fully (what
any look at the photo costs), and the time to check one new photo against a site's
stored hashes in memory against a baseline of the same comparison in pure Python.
"""

from __future__ import annotations

import argparse
import io
import random
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from time import perf_counter

from PIL import Image, ImageDraw, ImageFilter

from domain.signals import PHOTO_NEAR_BITS, hamming
from server.images import perceptual_hash
from server.photo_index import index_for
from server.storage import Storage, StoredRecord


def _photo(seed: int) -> bytes:
    rng = random.Random(seed)
    img = Image.new("RGB", (1600, 1200), tuple(rng.randrange(256) for _ in range(3)))
    draw = ImageDraw.Draw(img)
    for _ in range(40):
        x, y = rng.randrange(1600), rng.randrange(1200)
        box = (x, y, x + rng.randrange(50, 600), y + rng.randrange(50, 500))
        draw.rectangle(box, fill=tuple(rng.randrange(256) for _ in range(3)))
    buf = io.BytesIO()
    img.filter(ImageFilter.GaussianBlur(3)).save(buf, "JPEG", quality=85)
    return buf.getvalue()


def _best(fn, runs: int = 20) -> float:
    times = []
    for _ in range(runs):
        started = perf_counter()
        fn()
        times.append(perf_counter() - started)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--photos", type=int, default=50_000)
    args = parser.parse_args()
    data = _photo(1)
    perceptual_hash(data)  # first use imports numpy and scipy

    def decode() -> None:
        with Image.open(io.BytesIO(data)) as img:
            img.load()

    hash_s, decode_s = _best(lambda: perceptual_hash(data)), _best(decode)

    rng = random.Random(2)
    now = datetime.now(UTC)
    with tempfile.TemporaryDirectory() as tmp:
        storage = Storage(Path(tmp) / "photos.db")
        shas = [f"{i:064x}" for i in range(args.photos)]
        storage.db.table("photos").insert_all(
            {"sha": sha, "site_id": "s", "phash": f"{rng.getrandbits(64):016x}"} for sha in shas
        )
        storage.insert_records(
            [
                StoredRecord(f"r{i}", "anomaly", "s", "u", "d", now, now, None, None, {}, [sha], [])
                for i, sha in enumerate(shas)
            ]
        )
        index = index_for(storage)
        probe = f"{rng.getrandbits(64):016x}"
        started = perf_counter()
        index.near("s", probe, set())  # loads the site's hashes once
        load_s = perf_counter() - started
        near_s = _best(lambda: index.near("s", probe, set()))
        hashes = [int(h, 16) for (h,) in storage.db.execute("select phash from photos")]
        q = int(probe, 16)
        python_s = _best(lambda: [h for h in hashes if hamming(h, q) <= PHOTO_NEAR_BITS], 5)
        storage.close()
    print(f"perceptual hash of a 1600x1200 JPEG: {hash_s * 1000:.1f} ms")
    print(f"baseline (decode it fully):           {decode_s * 1000:.1f} ms")
    print(f"ratio hash/decode: {hash_s / decode_s:.2f}")
    print(f"check one photo against {args.photos} used photos: {near_s * 1000:.2f} ms")
    print(f"baseline (pure Python comparison):         {python_s * 1000:.1f} ms")
    print(f"ratio index/python: {near_s / python_s:.3f}; first load of the site: {load_s:.2f} s")


if __name__ == "__main__":
    main()
