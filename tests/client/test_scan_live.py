"""Live scanning in the real web client: a label put in front of the camera is read and the
scan saved with no tap, within about a second; a photo from the browser's camera is stored
the right way round (the browser mirrors it).

Chromium's fake camera plays a Y4M file, re-reading it frame by frame: the test starts with a
bare wall in front of the camera, then puts the label there by rewriting the file in place.
"""

from __future__ import annotations

import contextlib
import io
import time
from pathlib import Path

import pytest
from PIL import Image, ImageChops, ImageOps, ImageStat

from app.store import LocalStore
from tests.client.browser import (
    CHROMIUM,
    PHONE,
    Phone,
    WebClient,
    chromium,
    show_to_camera,
    y4m_from_png,
)
from tests.client.helpers import camera_photo, label_image
from tests.factory import PASSWORD

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium"),
]


def wall() -> bytes:
    """Something a camera sees that is not a label: a photo-like image with no code."""
    return camera_photo(11, (640, 480))


def difference(seen: Image.Image, scene: Image.Image, part: float) -> tuple[float, float]:
    """How far an image is from the scene, and from the scene mirrored, in grey levels,
    over the upper `part` of both (a photo's stamp is at its bottom)."""
    small = (160, 120)
    box = (0, 0, 160, round(120 * part))

    def far(other: Image.Image) -> float:
        a, b = seen.convert("L").resize(small), other.convert("L").resize(small)
        return ImageStat.Stat(ImageChops.difference(a.crop(box), b.crop(box))).mean[0]

    return far(scene), far(ImageOps.mirror(scene))


def picture_in(screen: Image.Image) -> Image.Image:
    """The camera's preview on the scanner screen: the box under the header that differs
    from the page's background, wherever the screen's layout put it."""
    band = screen.crop((0, 100, screen.width, screen.height - 100))
    background = Image.new("RGB", band.size, band.getpixel((2, 2)))
    mask = (
        ImageChops.difference(band, background).convert("L").point(lambda v: 255 if v > 24 else 0)
    )
    # The preview's rows and columns are mostly "different"; a line of header text is not.
    # The preview is the longest run of such rows (a text box's border is one row).
    rows = [y for y in range(mask.height) if _share(mask.crop((0, y, mask.width, y + 1))) > 0.5]
    assert rows, "no camera preview on screen"
    runs: list[list[int]] = []
    for y in rows:
        if runs and y == runs[-1][-1] + 1:
            runs[-1].append(y)
        else:
            runs.append([y])
    longest = max(runs, key=len)
    top, bottom = longest[0], longest[-1] + 1
    strip = mask.crop((0, top, mask.width, bottom))
    columns = [
        x for x in range(strip.width) if _share(strip.crop((x, 0, x + 1, strip.height))) > 0.5
    ]
    return band.crop((columns[0], top, columns[-1] + 1, bottom))


def _share(line: Image.Image) -> float:
    """The share of a one-pixel line's pixels that are set."""
    return ImageStat.Stat(line).mean[0] / 255


def test_a_label_in_front_of_the_camera_is_saved_in_about_a_second(live_server, tmp_path):
    camera = y4m_from_png(wall(), tmp_path / "camera.y4m")
    client = WebClient(tmp_path / "phone", live_server.url)
    with contextlib.ExitStack() as stack:
        stack.callback(client.stop)
        browser = stack.enter_context(chromium(camera))
        context = browser.new_context(
            viewport=PHONE,
            permissions=["camera", "geolocation"],
            geolocation={"latitude": 31.2002, "longitude": 121.4},
        )
        phone = Phone(context.new_page(), client.url)
        phone.sees("巡检通 Rounds")
        phone.type_into("用户名", "guard")
        phone.type_into("密码", PASSWORD)
        phone.tap("登录")
        phone.tap("开始")
        phone.sees("进度 0/20")
        phone.tap("扫码")
        phone.sees("将二维码标签放入取景框，自动识别")
        phone.page.wait_for_timeout(3000)  # the camera runs, frames of a bare wall are read
        preview = Image.open(io.BytesIO(phone.shot("30-live-scanner"))).convert("RGB")
        scene = Image.open(io.BytesIO(wall())).convert("RGB")
        straight, mirrored = difference(picture_in(preview), scene, 1.0)
        print(f"preview vs the scene: {straight:.1f}, vs the scene mirrored: {mirrored:.1f}")
        assert straight < mirrored / 2, "the preview is mirrored"
        assert phone.page.get_by_text("点位检查").count() == 0
        # chromium's fake camera has no torch: no torch button
        assert phone.page.get_by_role("button", name="打开手电筒").count() == 0

        # the label comes into view: same size of file, so the camera keeps playing it
        label_frame = y4m_from_png(label_image("alpha", "c01"), tmp_path / "label.y4m")
        shown = time.monotonic()
        show_to_camera(camera, label_frame)
        phone.page.get_by_text("点位检查").first.wait_for(timeout=10_000)
        seconds = time.monotonic() - shown
        print(f"\ntime to scan: label in view -> scan saved and checks shown: {seconds:.2f} s")
        phone.shot("31-scanned")
        assert seconds < 5  # the real figure is reported by the test; CI machines vary

        # a photo of the label: stored as the camera sees it, not mirrored
        phone.tap("报告异常")
        phone.tap("拍照")
        phone.page.wait_for_timeout(2500)
        phone.tap("拍照")
        phone.sees("重拍")

    store = LocalStore(tmp_path / "phone")
    photos = sorted(store.photo_dir.rglob("*.jpg"), key=lambda p: p.stat().st_size)
    assert photos, "the photo was not stored"
    stored = Image.open(photos[-1])
    seen = Image.new("RGB", (640, 480), "white")
    printed = Image.open(io.BytesIO(label_image("alpha", "c01"))).convert("RGB")
    printed.thumbnail((600, 440))
    seen.paste(printed, ((640 - printed.width) // 2, (480 - printed.height) // 2))
    straight, mirrored = difference(stored, seen, 2 / 3)
    print(f"stored photo vs the scene: {straight:.1f}, vs the scene mirrored: {mirrored:.1f}")
    assert straight < mirrored / 2
