"""Every console screen at phone size (390×844), signed in as admin, who sees all 14.

Each screen is opened from the menu (which must close again), with its detail pane open
where it has one, and scrolled through. On every screen: each control a finger can use
is at least 48×48 px, and nothing sticks out past the screen's right edge unless it sits
in something that scrolls sideways (a wide table). Flutter's own words are in Chinese.
Screenshots: test-artifacts/screens/phone-<screen>.png. Set PHONE_WALK_REPORT=1 to print
what was measured on each screen.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from typing import Any

import pytest

from server.serve import ServerThread
from tests.console.scenario import Scenario
from tests.console.test_console_browser import Console
from tests.console.tickets_data import add_anomalies
from tests.driver import chromium

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
# (navigation name, screenshot name, what to tap once there to open its detail, a text
# that must be reachable on the phone: a part squeezed off the screen fails)
SCREENS = [
    ("巡检覆盖图", "coverage", "点位 c06 ", "未定位点"),
    ("待审核", "review", "二维码签名无效", "同一人前后30分钟的扫码"),
    ("实时监控", "live", None, "即将开始"),
    ("异常工单", "tickets", "消防通道堵塞", "关闭工单"),
    ("整改跟进", "rectifications", "地面清洁", "改派"),
    ("数据看板", "dashboard", None, "每日覆盖率"),
    ("月度考核", "appraisal", None, "点击得分查看明细"),
    ("导出与报告", "exports", None, "月度报告 PDF"),
    ("公司总览", "company", None, "项目自检与公司抽检对比"),
    ("站点与点位", "places", None, "添加点位"),
    ("路线与排班", "routes", None, "排班名称"),
    ("巡检模板", "templates", None, "新建模板"),
    ("账号管理", "people", None, "创建"),
    ("操作日志", "audit", None, "还没有设置变更记录"),
]

# Every semantics node: is it a control, its box, whether it touches the edge of what it
# can be seen in (the screen cut by every scrolling parent), whether it scrolls sideways.
NODES_JS = """
() => {
  const roles = ['button', 'checkbox', 'radio', 'link', 'slider', 'switch', 'tab',
                 'combobox', 'menuitem', 'textbox'];
  const W = window.innerWidth, H = window.innerHeight;
  const out = [];
  for (const e of document.querySelectorAll('flt-semantics')) {
    const b = e.getBoundingClientRect();
    if (b.width <= 0 || b.height <= 0) continue;
    const role = e.getAttribute('role');
    const field = e.querySelector(':scope > input, :scope > textarea');
    let clip = {l: 0, t: 0, r: W, b: H}, sideways = false;
    for (let a = e.parentElement; a && a.tagName === 'FLT-SEMANTICS'; a = a.parentElement) {
      // A scroller shows as overflow 'scroll', or 'hidden' while Flutter takes the
      // pointer (after a mouse wheel, say).
      const cut = v => v === 'scroll' || v === 'hidden';
      const x = cut(a.style.overflowX), y = cut(a.style.overflowY);
      if (!x && !y) continue;
      sideways = sideways || x;
      const c = a.getBoundingClientRect();
      clip = {l: Math.max(clip.l, c.left), t: Math.max(clip.t, c.top),
              r: Math.min(clip.r, c.right), b: Math.min(clip.b, c.bottom)};
    }
    out.push({
      control: roles.includes(role) || e.hasAttribute('flt-tappable') || !!field,
      role: role || (field ? 'textbox' : ''),
      name: (e.getAttribute('aria-label') || (field && field.getAttribute('aria-label'))
             || e.innerText || '').trim().replace(/\\s+/g, ' ').slice(0, 40),
      x: b.left, y: b.top, w: b.width, h: b.height,
      // Flutter cuts a node's box where its scroller cuts it: one touching that edge
      // may be larger than it shows.
      edge: b.left <= clip.l + 1 || b.top <= clip.t + 1
            || b.right >= clip.r - 1 || b.bottom >= clip.b - 1,
      sideways, W,
    });
  }
  return out;
}
"""


class Walk:
    """What one screen showed, over its scroll positions."""

    def __init__(self) -> None:
        self.controls: dict[tuple[Any, ...], dict[str, Any]] = {}
        self.clipped = 0
        self.overflow: list[str] = []
        self.seen: set[str] = set()

    def add(self, nodes: list[dict[str, Any]]) -> int:
        new = 0
        for n in nodes:
            self.seen.add(n["name"])
            if n["x"] + n["w"] > n["W"] + 1 and not n["sideways"]:
                self.overflow.append(f"{n['name']!r} reaches x={n['x'] + n['w']:.0f}")
            if not n["control"]:
                continue
            if n["edge"] and (n["w"] < 47.5 or n["h"] < 47.5):
                self.clipped += 1  # cut by a scroller's edge: measured once scrolled in
                continue
            key = (n["role"], n["name"], round(n["x"]), round(n["w"]), round(n["h"]))
            new += key not in self.controls
            self.controls[key] = n
        return new

    def small(self) -> list[str]:
        return [
            f"{n['role']} {n['name']!r} {n['w']:.0f}×{n['h']:.0f}"
            for n in self.controls.values()
            if n["w"] < 47.5 or n["h"] < 47.5
        ]


@pytest.fixture
def site(scenario: Scenario) -> Iterator[str]:
    add_anomalies(scenario)  # tickets, an escalated rectification
    server = ServerThread(scenario.settings).start()
    yield server.url
    server.stop()


def test_every_screen_fits_a_phone_with_big_enough_targets(site: str) -> None:
    report = os.environ.get("PHONE_WALK_REPORT") == "1"
    problems: list[str] = []
    with chromium() as browser:
        page = browser.new_context(viewport=PHONE).new_page()
        c = Console(page, f"{site}/console/")
        c.sign_in("admin")
        c.sees("巡检覆盖图")
        for title, name, detail, shown in SCREENS:
            page.mouse.click(32, 28)  # the menu button, top left
            # A menu entry reads "待审核 第 2 个标签，共 14 个" (Flutter's words, in Chinese).
            menu = page.get_by_role("button", name=re.compile(f"^{title}\\s*第 \\d+ 个标签"))
            menu.first.wait_for(timeout=10_000)
            if title == SCREENS[0][0]:  # Flutter's words in the console's language
                words = " ".join(page.evaluate("() => document.body.innerText").split())
                assert not re.search(r"Tab \d|Dismiss|Navigation menu", words), words
            menu.first.click()
            # The menu closes by itself once a screen is chosen.
            menu.first.wait_for(state="detached", timeout=10_000)
            page.wait_for_timeout(500)
            if detail is not None:
                c.tap_text(detail, exact=False)
            c.shot(f"phone-{name}")
            walk = Walk()
            walk.add(page.evaluate(NODES_JS))
            for _ in range(4):  # scroll down until nothing new comes into view
                page.mouse.move(PHONE["width"] / 2, PHONE["height"] * 0.6)
                page.mouse.wheel(0, PHONE["height"] * 0.7)
                page.wait_for_timeout(400)
                if not walk.add(page.evaluate(NODES_JS)):
                    break
            small, over = walk.small(), sorted(set(walk.overflow))
            if report:
                print(
                    f"{name}: {len(walk.controls)} controls measured, {len(small)} under 48 px,"
                    f" {walk.clipped} partly scrolled out, {len(over)} overflowing"
                )
                for n in walk.controls.values():
                    print(f"    {n['role']} {n['name']!r} {n['w']:.0f}×{n['h']:.0f} @{n['y']:.0f}")
            problems += [f"{name}: under 48 px: {s}" for s in small]
            problems += [f"{name}: wider than the phone: {o}" for o in over]
            if not any(shown in seen for seen in walk.seen):
                problems.append(f"{name}: {shown!r} is nowhere on the phone")
            page.mouse.wheel(0, -PHONE["height"] * 4)  # back to the top for the menu
            page.wait_for_timeout(200)
    assert not problems, "\n".join(problems)
