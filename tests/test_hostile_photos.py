"""Hostile photos (issue 9): decompression bombs, HTML hidden after an image, sniffing."""

from __future__ import annotations

import io
import sqlite3
import struct
import zlib
from datetime import UTC, datetime

import pytest
from PIL import Image

from app.photos import process_photo
from server.blobs import LocalBlobStore, sha256_hex
from server.images import ImageRejected, inspect_image

HTML = b"<html><script>alert(document.cookie)</script></html>"


def image_bytes(fmt: str, size=(80, 60), **kw) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, (30, 120, 200)).save(buf, fmt, **kw)
    return buf.getvalue()


def png_claiming(width: int, height: int) -> bytes:
    """A ~100-byte PNG whose header says width×height (Pillow's bomb check fires on open)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + chunk(b"IEND", b"")
    )


def test_a_tiny_png_claiming_20000_by_20000_is_415(live_server):
    bomb = png_claiming(20000, 20000)
    assert len(bomb) < 120
    response = live_server.login("guard").post("/api/v1/sites/alpha/photos", content=bomb)
    assert response.status_code == 415
    assert "too many pixels" in response.json()["detail"]


@pytest.mark.parametrize(
    "data",
    [
        png_claiming(12000, 12000),  # over Pillow's warning limit, under its error limit
        png_claiming(0, 0),
        image_bytes("JPEG")[:-2] + b"\xff\xd8" * 3,
        image_bytes("PNG")[:40],
        b"RIFF\xff\xff\xff\xffWEBPVP8 ",
    ],
)
def test_decoder_errors_are_refused_never_raised(data):
    with pytest.raises(ImageRejected):
        inspect_image(data, 50_000_000)


@pytest.mark.parametrize(
    ("fmt", "kw"),
    [("JPEG", {}), ("JPEG", {"progressive": True}), ("PNG", {}), ("WEBP", {})],
)
def test_bytes_after_the_image_are_refused(live_server, fmt, kw):
    guard = live_server.login("guard")
    clean = image_bytes(fmt, (400, 300), **kw)
    assert guard.post("/api/v1/sites/alpha/photos", content=clean).status_code == 201
    response = guard.post("/api/v1/sites/alpha/photos", content=clean + HTML)
    assert response.status_code == 415
    assert f"{len(HTML)} bytes after the image" in response.json()["detail"]


def test_photos_the_phone_makes_pass_the_check():
    raw = image_bytes("JPEG", (1600, 1200), exif=Image.Exif())
    processed = process_photo(raw, ["2026-03-02 09:00", "Lobby"])
    info = inspect_image(processed.jpeg, 50_000_000)
    assert info.mime == "image/jpeg"


def test_served_photos_are_never_sniffed_and_a_stored_tail_is_not_served(live_server):
    """An older server stored a JPEG with HTML appended: it is served without the HTML,
    and every served image says its type is final and it is not a document."""
    guard = live_server.login("guard")
    clean = image_bytes("JPEG")
    polyglot = clean + HTML
    sha = sha256_hex(polyglot)
    LocalBlobStore(live_server.settings.blob_dir).put(polyglot)
    with sqlite3.connect(live_server.settings.db_path) as db:
        db.execute(
            "insert into photos values (?, 'alpha', 'image/jpeg', ?, 80, 60, 'u-guard', ?, null)",
            [sha, len(polyglot), datetime.now(UTC).isoformat()],
        )
    served = guard.get(f"/api/v1/sites/alpha/photos/{sha}")
    assert served.status_code == 200
    assert served.content == clean and HTML not in served.content
    assert served.headers["content-type"] == "image/jpeg"
    assert served.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in served.headers["content-security-policy"]
    assert served.headers["content-disposition"] == f'inline; filename="{sha}.jpeg"'
    label = live_server.login("manager").get("/api/v1/sites/alpha/points/c01/label.png")
    assert label.headers["x-content-type-options"] == "nosniff"
