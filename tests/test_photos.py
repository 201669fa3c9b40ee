"""Photo upload limits, with real image files."""

from __future__ import annotations

import hashlib
import io

import pytest
from PIL import Image


def image_bytes(fmt: str, size=(80, 60)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, (30, 120, 200)).save(buf, fmt)
    return buf.getvalue()


@pytest.mark.parametrize(
    ("fmt", "mime"), [("JPEG", "image/jpeg"), ("PNG", "image/png"), ("WEBP", "image/webp")]
)
def test_real_images_are_stored_by_hash_and_uploads_are_idempotent(live_server, fmt, mime):
    guard = live_server.login("guard")
    data = image_bytes(fmt)
    first = guard.post("/api/v1/sites/alpha/photos", content=data)
    second = guard.post("/api/v1/sites/alpha/photos", content=data)
    assert first.status_code == second.status_code == 201
    assert (
        first.json()
        == second.json()
        == {"sha256": hashlib.sha256(data).hexdigest(), "mime": mime, "width": 80, "height": 60}
    )
    fetched = guard.get(f"/api/v1/sites/alpha/photos/{first.json()['sha256']}")
    assert fetched.content == data and fetched.headers["content-type"] == mime


@pytest.mark.parametrize(
    ("data", "status", "reason"),
    [
        (b"hello, I am a text file", 415, "not a readable"),
        (image_bytes("GIF"), 415, "not GIF"),
        (image_bytes("JPEG")[:200], 415, "not a readable"),
    ],
)
def test_non_images_are_refused(live_server, data, status, reason):
    response = live_server.login("guard").post("/api/v1/sites/alpha/photos", content=data)
    assert response.status_code == status
    assert reason in response.json()["detail"]


def test_too_many_pixels_and_too_many_bytes_are_refused(live_server):
    guard = live_server.login("guard")
    bomb = image_bytes("PNG", size=(8000, 8000))  # 64 MP of flat colour, small file
    response = guard.post("/api/v1/sites/alpha/photos", content=bomb)
    assert response.status_code == 415 and "pixels" in response.json()["detail"]
    big = b"\xff\xd8" + b"\0" * (11 * 1024 * 1024)
    assert guard.post("/api/v1/sites/alpha/photos", content=big).status_code == 413


def test_damaged_upload_is_caught_by_its_checksum(live_server):
    response = live_server.login("guard").post(
        "/api/v1/sites/alpha/photos",
        content=image_bytes("JPEG"),
        headers={"X-Content-SHA256": "0" * 64},
    )
    assert response.status_code == 400


def test_photo_is_not_readable_from_another_site(live_server):
    sha = (
        live_server.login("guard")
        .post("/api/v1/sites/alpha/photos", content=image_bytes("PNG"))
        .json()["sha256"]
    )
    outsider = live_server.login("beta-guard")
    assert outsider.get(f"/api/v1/sites/alpha/photos/{sha}").status_code == 404
    assert outsider.get(f"/api/v1/sites/beta/photos/{sha}").status_code == 404
