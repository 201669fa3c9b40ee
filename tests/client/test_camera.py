"""The scanner's frame logic without a screen: live reading and never-mirrored photos."""

from __future__ import annotations

import io

from PIL import Image, ImageOps

from app.camera import LiveScan, picture_is_mirrored, unmirror
from tests.client.helpers import camera_photo, label_image
from tests.factory import label


def test_only_a_browser_camera_not_facing_away_mirrors_its_pictures():
    assert picture_is_mirrored(web=True, lens_direction="front")
    assert picture_is_mirrored(web=True, lens_direction="external")
    assert picture_is_mirrored(web=True, lens_direction=None)
    assert not picture_is_mirrored(web=True, lens_direction="back")
    assert not picture_is_mirrored(web=False, lens_direction="front")


def test_a_mirrored_picture_is_turned_back():
    original = Image.open(io.BytesIO(camera_photo(3, (320, 240)))).convert("L")
    buf = io.BytesIO()
    ImageOps.mirror(original).save(buf, "JPEG", quality=95)
    back = Image.open(io.BytesIO(unmirror(buf.getvalue()))).convert("L")
    assert back.size == original.size
    # pixel by pixel, close to the original (JPEG twice), far from its mirror image
    close = sum(abs(a - b) for a, b in zip(back.tobytes(), original.tobytes(), strict=True))
    far = sum(
        abs(a - b) for a, b in zip(back.tobytes(), ImageOps.mirror(original).tobytes(), strict=True)
    )
    assert close * 5 < far


def test_frames_are_read_until_a_label_is_accepted_and_a_refusal_is_shown_once():
    accepted, offered = "RND1.alpha.c02", []
    frames = {
        b"wall": [],
        b"wechat": ["https://weixin.qq.com/x"],
        b"both": ["https://weixin.qq.com/x", accepted],
    }

    def accept(text: str) -> bool:
        offered.append(text)
        return text == accepted

    scan = LiveScan(accept, decode=lambda raw: frames[raw])
    assert not scan.frame(b"wall")
    assert not scan.frame(b"wechat")
    assert not scan.frame(b"wechat")  # refused already: not offered (nor shown) again
    assert scan.frame(b"both")
    assert scan.frame(b"wall")  # done: nothing more is offered
    assert offered == ["https://weixin.qq.com/x", accepted]
    assert scan.done and scan.frames == 4 and scan.read_after_s is not None


def test_a_real_label_frame_is_read_and_an_unreadable_frame_is_just_skipped():
    seen = []
    scan = LiveScan(lambda text: seen.append(text) or True)
    assert not scan.frame(b"not an image")
    assert not scan.frame(camera_photo(4))
    assert scan.frame(label_image("alpha", "c03"))
    assert seen == [label("alpha", "c03")]
