"""Driving the real Flet web client in headless chromium (Debian's), at phone size."""

from __future__ import annotations

import io
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

from PIL import Image

from server.serve import free_port
from tests.driver import ARTEFACTS, CHROMIUM, FlutterPage, chromium, launch_args

ROOT = Path(__file__).resolve().parents[2]
PHONE = {"width": 412, "height": 915}
__all__ = [
    "ARTEFACTS",
    "CHROMIUM",
    "PHONE",
    "Phone",
    "WebClient",
    "chromium",
    "launch_args",
    "y4m_from_png",
]


def y4m_from_png(png: bytes, path: Path, size: tuple[int, int] = (640, 480)) -> Path:
    """A still image as a Y4M video, which chromium's fake camera plays in a loop."""
    img = Image.open(io.BytesIO(png)).convert("RGB")
    frame = Image.new("RGB", size, "white")
    img.thumbnail((size[0] - 40, size[1] - 40))
    frame.paste(img, ((size[0] - img.width) // 2, (size[1] - img.height) // 2))
    y, cb, cr = frame.convert("YCbCr").split()
    half = (size[0] // 2, size[1] // 2)
    data = y.tobytes() + cb.resize(half).tobytes() + cr.resize(half).tobytes()
    header = f"YUV4MPEG2 W{size[0]} H{size[1]} F10:1 Ip A1:1 C420jpeg\n".encode()
    path.write_bytes(header + (b"FRAME\n" + data) * 2)
    return path


def show_to_camera(camera: Path, video: Path) -> None:
    """Put another still of the same size in front of chromium's fake camera while it plays
    `camera`: overwritten in place, never truncated, since chromium reading a file that
    is shorter for a moment stops the camera for good (a frozen preview, no scan)."""
    frames = video.read_bytes()
    assert len(frames) == camera.stat().st_size, "the camera keeps playing only the same size"
    with camera.open("r+b") as playing:
        playing.write(frames)


CONTROLS_JS = """
() => {
  const roles = ['button', 'checkbox', 'radio', 'link', 'slider', 'switch', 'tab',
                 'combobox', 'menuitem', 'textbox'];
  return [...document.querySelectorAll('flt-semantics')].filter(e => {
    const role = e.getAttribute('role');
    return roles.includes(role) || e.hasAttribute('flt-tappable')
      || e.querySelector(':scope > input, :scope > textarea');
  }).map(e => {
    const box = e.getBoundingClientRect();
    const field = e.querySelector(':scope > input, :scope > textarea');
    const name = (e.getAttribute('aria-label') || (field && field.getAttribute('aria-label'))
      || e.innerText || '').trim();
    const bar = [...document.querySelectorAll('flt-semantics')].find(
      n => /立即同步|Sync now/.test(n.innerText || '') && n.getAttribute('role') === 'button');
    const top = bar ? bar.getBoundingClientRect().bottom + 4 : 0;
    const clipped = box.bottom >= window.innerHeight - 1
      || (e !== bar && box.top <= top + 1 && box.top >= top - 8);
    return {role: e.getAttribute('role') || (field ? 'textbox' : 'tappable'), name,
            width: box.width, height: box.height, id: e.id, clipped};
  }).filter(c => c.width > 0 && c.height > 0);
}
"""

TEXT_JS = """
() => [...document.querySelectorAll('flt-semantics')].map(e => {
  const own = [...e.childNodes].filter(n => n.nodeType === 3 || n.tagName === 'SPAN')
    .map(n => n.textContent).join(' ');
  const field = e.querySelector(':scope > input, :scope > textarea');
  return [e.getAttribute('aria-label') || '', own,
          field ? (field.getAttribute('aria-label') || '') + ' ' + (field.value || '') : '']
    .join(' ');
}).join('\\n')
"""


class WebClient:
    """`python -m app.main --web` as its own process, with its own local store."""

    def __init__(self, data_dir: Path, server_url: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = os.environ | {"ROUNDS_APP_DATA": str(data_dir)}
        self.log = (data_dir.parent / f"web-client-{self.port}.log").open("w")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "app.main",
                "--web",
                "--port",
                str(self.port),
                "--server",
                server_url,
            ],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise RuntimeError("the web client did not start") from None
                time.sleep(0.2)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)
        self.log.close()


class Phone(FlutterPage):
    """The field app in a page, at phone size."""

    def tap(self, name: str, exact: bool = False) -> None:
        self.page.get_by_role("button", name=name, exact=exact).first.click()
        self.page.wait_for_timeout(700)

    def type_into(self, label: str, text: str) -> None:
        self.page.get_by_role("textbox", name=label).click()
        self.page.wait_for_timeout(300)
        self.page.keyboard.type(text, delay=30)

    def controls(self) -> list[dict]:
        """Every control a finger can use on screen, from Flutter's semantics tree: role,
        accessible name, and size in CSS px (= logical px)."""
        return self.page.evaluate(CONTROLS_JS)

    def visible_text(self) -> str:
        """All words on screen, as assistive technology reads them."""
        return self.page.evaluate(TEXT_JS)
