"""QR decoding on real generated label images, clean and degraded."""

from __future__ import annotations

import asyncio
import io

import pytest
from PIL import Image

from app.qr import QRDecodeError, decode_qr
from app.state import Refusal
from tests.client.degrade import DEGRADATIONS, degraded_frame
from tests.client.helpers import camera_photo, field_app, label_image
from tests.factory import PASSWORD, label


@pytest.mark.parametrize("how", list(DEGRADATIONS))
@pytest.mark.parametrize("point", ["c01", "c17", "a01"])
def test_labels_decode_clean_and_degraded(point, how):
    frame = degraded_frame(label_image("alpha", point), how)
    assert decode_qr(frame) == [label("alpha", point)]


def test_a_photo_without_a_label_decodes_to_nothing():
    assert decode_qr(camera_photo(7)) == []


def test_a_huge_frame_is_retried_smaller():
    big = Image.new("RGB", (4000, 3000), "white")
    big.paste(Image.open(io.BytesIO(label_image("alpha", "c02"))).convert("RGB"), (1700, 1100))
    buf = io.BytesIO()
    big.save(buf, "JPEG", quality=80)
    assert decode_qr(buf.getvalue()) == [label("alpha", "c02")]


def test_garbage_bytes_are_a_clear_error():
    with pytest.raises(QRDecodeError):
        decode_qr(b"not an image")


def test_typed_codes_from_any_keyboard_name_the_point_offline(live_server, tmp_path):
    app = field_app(tmp_path / "guard")
    asyncio.run(app.login(live_server.url, "guard", PASSWORD))
    for typed in [
        "CODE02",
        "code02",
        "co:de:02",
        "CODE 02",
        "code-02",
        "ＣＯＤＥ０２",
        "ｃｏｄｅ　０２",
    ]:
        assert app.identify(typed, "typed")["id"] == "c02"
    with pytest.raises(Refusal):
        app.identify("CODE 0 2 X", "typed")
