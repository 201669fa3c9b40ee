"""The browser tests' one driver: Debian's chromium under Playwright (never a downloaded
browser), and a page of a Flet web client — the field app or the console — with
Flutter's semantics tree switched on, so controls are found by role and accessible name.

    with chromium() as browser:
        page = FlutterPage(browser.new_page(viewport=...), url)
        page.tap_until("登录", "今日任务")
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from playwright.sync_api import Browser, Page, sync_playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeout

__all__ = ["ARTEFACTS", "CHROMIUM", "FlutterPage", "chromium", "launch_args"]

ROOT = Path(__file__).resolve().parents[1]
ARTEFACTS = ROOT / "test-artifacts" / "screens"
CHROMIUM = "/usr/bin/chromium"


def launch_args(camera_file: Path | None = None) -> list[str]:
    """Software GL (no GPU here), no first-run or background traffic, a fake camera that
    needs no permission prompt, playing `camera_file` (Y4M) if given."""
    args = [
        "--no-sandbox",
        "--enable-unsafe-swiftshader",
        "--use-angle=swiftshader",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
    ]
    if camera_file is not None:
        args.append(f"--use-file-for-fake-video-capture={camera_file}")
    return args


@contextlib.contextmanager
def chromium(camera: Path | None = None) -> Iterator[Browser]:
    """Headless Debian chromium for one test; closed (with Playwright) on the way out."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=launch_args(camera))
        try:
            yield browser
        finally:
            browser.close()


class FlutterPage:
    """A Flet web client in a page: loaded, settled, semantics on."""

    failure_shot = "failed"  # screenshot name when an expected text never comes
    wait_ms: float = 10_000  # how long `sees` waits by default

    def __init__(self, page: Page, url: str, settle_ms: int = 2500) -> None:
        self.page, self.settle_ms = page, settle_ms
        page.goto(url)
        self._settle()

    def reload(self) -> None:
        """The browser's reload (F5): a new Flet session in the same browser."""
        self.page.reload()
        self._settle()

    def _settle(self) -> None:
        self.page.wait_for_selector("#loading", state="detached", timeout=60_000)
        self.page.wait_for_timeout(self.settle_ms)
        self.page.evaluate("document.querySelector('flt-semantics-placeholder')?.click()")
        self.page.wait_for_timeout(500)

    def tap_until(
        self, name: str, shown: str, exact: bool = False, tries: int = 3, nth: int = 0
    ) -> None:
        """Tap the button `name`, then wait for `shown` (a text or label); tap again if it
        did not come. On a loaded machine a tap while the screen still settles can be
        lost, and a test should not flake. Only for taps harmless twice (navigation,
        choosing, previewing)."""
        target = self.page.get_by_text(shown).or_(self.page.get_by_label(shown)).first
        for _ in range(tries):
            with contextlib.suppress(PlaywrightTimeout):
                button = self.page.get_by_role("button", name=name, exact=exact).nth(nth)
                button.click(timeout=8000)
            with contextlib.suppress(PlaywrightTimeout):
                target.wait_for(timeout=10_000)
                return
        self.sees(shown)

    def sees(self, text: str, timeout: float | None = None) -> None:
        """Wait for `text` on screen (as text or an accessible label); a screenshot if
        it never comes."""
        try:
            found = self.page.get_by_text(text).or_(self.page.get_by_label(text))
            found.first.wait_for(timeout=timeout or self.wait_ms)
        except Exception:
            self.shot(self.failure_shot)
            raise

    def upload(self, button: str, path: Path) -> None:
        """Tap `button` and give the browser's file chooser `path` (Flet's FilePicker)."""
        with self.page.expect_file_chooser(timeout=20_000) as chooser:
            self.page.get_by_role("button", name=button).first.click()
        chooser.value.set_files(str(path))
        self.page.wait_for_timeout(2500)

    def shot(self, name: str) -> bytes:
        """A screenshot kept as test-artifacts/screens/<name>.png; its PNG bytes."""
        ARTEFACTS.mkdir(parents=True, exist_ok=True)
        self.page.wait_for_timeout(600)
        return self.page.screenshot(path=str(ARTEFACTS / f"{name}.png"))
