"""QR decoding on real generated label images: the easy degraded set every path reads, and
the hard set (labels as the field sees them) where each path must reach its goal rate."""

from __future__ import annotations

import asyncio
import io

import pytest
from PIL import Image

from app.qr import QRDecodeError, decode_qr, opencv_path, paths, zxing_path
from app.state import Refusal
from bench.qr_decode import bare_opencv, bare_zxing
from tests.client.degrade import DEGRADATIONS, degraded_frame, hard_frame, hard_set
from tests.client.helpers import camera_photo, field_app, label_image
from tests.factory import PASSWORD, label


@pytest.mark.parametrize("path", ["zxing-cpp", "opencv"])
@pytest.mark.parametrize("how", list(DEGRADATIONS))
@pytest.mark.parametrize("point", ["c01", "a01"])
def test_labels_decode_clean_and_degraded(point, how, path):
    frame = degraded_frame(label_image("alpha", point), how)
    assert decode_qr(frame, path, budget_ms=None) == [label("alpha", point)]


# The hard set: 4 frames of each of its 9 categories. Rates, not times, are asserted, so every
# pass runs (no time budget): the result is the same on any machine.
PER_CATEGORY = 4


@pytest.fixture(scope="module")
def hard_frames() -> list[tuple[Image.Image, str]]:
    made = hard_set(PER_CATEGORY)
    return [
        (Image.open(io.BytesIO(jpeg)).convert("L"), expected)
        for category in made.values()
        for jpeg, expected in category
    ]


def rate(decode, hard_frames) -> float:
    return sum(expected in decode(img) for img, expected in hard_frames) / len(hard_frames)


def test_the_hard_set_is_hard_for_bare_decoders(hard_frames):
    assert rate(bare_zxing, hard_frames) < 0.75
    assert rate(bare_opencv, hard_frames) < 0.4


def test_the_web_and_desktop_path_reads_three_labels_in_four(hard_frames):
    assert rate(lambda img: zxing_path(img, None), hard_frames) >= 0.75


def test_the_phone_path_reads_more_than_half_with_opencv_alone(hard_frames):
    assert rate(lambda img: opencv_path(img, None), hard_frames) >= 0.55


def test_hard_frames_are_the_same_every_time():
    png = label_image("alpha", "c05")
    assert hard_frame(png, "mixed", 3) == hard_frame(png, "mixed", 3)
    assert hard_frame(png, "mixed", 3) != hard_frame(png, "mixed", 4)


def test_both_paths_are_installed_for_the_tests():
    assert set(paths()) == {"zxing-cpp", "opencv"}


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
