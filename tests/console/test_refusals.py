"""Refusals reach the console in its language: every message the set-up, people, import,
review, ticket, rectification and alert paths can raise has Chinese words (found by
reading the raising modules' source, so a message added later without words fails
here), real refusals come out in Chinese with their parameters, and the API's English
is unchanged."""

from __future__ import annotations

import ast
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi import HTTPException

from domain.admin import SiteSettings
from domain.signals import Flag
from server import admin, people
from server.console.i18n import t
from server.console.models import review as review_vm
from server.console.models import tickets as tickets_vm
from server.console.refusals import FIELDS, MESSAGES, refusal_text, translate
from server.console.views.review import flag_names
from server.review import ReviewRefused
from server.tickets import TicketRefused
from tests.console.scenario import Scenario
from tests.console.test_console_access import session_of
from tests.console.tickets_data import add_anomalies

ROOT = Path(__file__).resolve().parents[2]
# Every module whose refusals the console shows (set-up, people, imports, review,
# tickets, rectifications, alerts, photos, permissions).
RAISING = sorted(
    {
        *ROOT.glob("server/admin/*.py"),
        *ROOT.glob("server/console/models/*.py"),
        *(
            ROOT / p
            for p in (
                "domain/admin.py",
                "domain/scoring.py",
                "domain/tickets.py",
                "domain/trust.py",
                "server/access.py",
                "server/images.py",
                "server/imports.py",
                "server/live.py",
                "server/login.py",
                "server/people.py",
                "server/photos.py",
                "server/rectification_followup.py",
                "server/review.py",
                "server/tickets.py",
            )
        ),
    }
)
_REFUSAL_CALL = re.compile(r"(Error|Refused|Rejected|Denied|HTTPException|_invalid)$")
# Words a property manager reads as they are (formats, units, the time zone example).
ALLOWED_LATIN = {"JPEG", "PNG", "WebP", "XLSX", "CSV", "MB", "PIN", "GPS", "App", "Asia"}
ALLOWED_LATIN |= {"Shanghai", "http", "https"}


def _name(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def _samples(node: ast.expr, constants: dict[str, str]) -> list[str]:
    """The message(s) `node` makes, each varying part as X ('X' for a repr): a string,
    an f-string, a "text" + join, a list of them, a module constant; [] for anything
    only known at run time (a variable holding a message found elsewhere)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.JoinedStr):
        text = ""
        for part in node.values:
            if isinstance(part, ast.Constant):
                text += str(part.value)
            else:
                assert isinstance(part, ast.FormattedValue)
                text += "'X'" if part.conversion == ord("r") else "X"
        return [text]
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _samples(node.left, constants), _samples(node.right, constants)
        return [(left or ["X"])[0] + (right or ["X"])[0]]
    if isinstance(node, ast.List | ast.Tuple | ast.ListComp):
        elts = node.elts if not isinstance(node, ast.ListComp) else [node.elt]
        return [s for e in elts for s in _samples(e, constants)]
    if isinstance(node, ast.BoolOp):
        return [s for v in node.values for s in _samples(v, constants)]
    if isinstance(node, ast.Name) and node.id in constants:
        return [constants[node.id]]
    return []


def raised_messages(path: Path) -> list[tuple[int, str]]:
    """(line, message) for every refusal the module can raise or return: the message of
    a refusal exception, a problem appended to `problems`, a why-not `-> str | None`."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    constants = {
        target.id: node.value.value
        for node in tree.body
        if isinstance(node, ast.Assign)
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
        for target in node.targets
        if isinstance(target, ast.Name)
    }
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        exprs: list[ast.expr] = []
        if isinstance(node, ast.Call):
            name = _name(node.func)
            if _REFUSAL_CALL.search(name):
                exprs += [*node.args, *(k.value for k in node.keywords if k.arg == "detail")]
            receiver = node.func.value if isinstance(node.func, ast.Attribute) else node.func
            if name == "append" and _name(receiver) == "problems":
                exprs += node.args
        elif isinstance(node, ast.Assign) and any(_name(x) == "problems" for x in node.targets):
            exprs.append(node.value)
        elif isinstance(node, ast.FunctionDef) and ast.unparse(node.returns or ast.Constant(1)) == (
            "str | None"
        ):
            exprs += [r.value for r in ast.walk(node) if isinstance(r, ast.Return) and r.value]
        for expr in exprs:
            found += [(node.lineno, s) for s in _samples(expr, constants)]
    return found


def _latin_words(zh: str) -> set[str]:
    return set(re.findall(r"[A-Za-z_]{2,}", re.sub(r"\{\w+\}", "", zh))) - ALLOWED_LATIN


def test_the_source_walk_finds_the_messages_the_walk_report_saw():
    every = {m for path in RAISING for _, m in raised_messages(path)}
    for seen in (
        "X must be between X and X",  # an f-string, each varying part as X
        "X must be a number",
        "the point is on route(s) X: edit them first",
        "the upload is not a readable JPEG, PNG or WebP image",  # a module constant
        "username must be 2-32 letters, digits, '.', '_' or '-'",  # a `-> str | None`
        "a rejection needs a reason",
        "nobody reviews their own record",
        "closing a ticket needs a note or a photo of the result",
        "assign the ticket to an active member of this site",
        "only a manager or admin can change the site set-up",  # AccessDenied
    ):
        assert seen in every, seen
    assert len(every) > 140


@pytest.mark.parametrize("path", RAISING, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_refusal_the_console_can_show_has_chinese_words(path: Path):
    missing = [
        f"{path.relative_to(ROOT)}:{line}: {message!r}"
        for line, message in raised_messages(path)
        if message.strip() and translate(message, "zh") is None
    ]
    assert not missing, "add these to server/console/refusals.py MESSAGES:\n" + "\n".join(missing)


def test_the_chinese_names_no_field_and_has_no_english():
    english = [m.english for m in MESSAGES]
    assert len(english) == len(set(english))
    for m in MESSAGES:
        assert not _latin_words(m.zh), (m.english, m.zh)
        used = set(re.findall(r"\{(\w+)\}", m.zh))
        assert used <= set(re.findall(r"\{(\w+)(?:!r)?\}", m.english)), m.english
    for label in FIELDS.values():
        assert not _latin_words(label), label


def test_every_field_a_message_can_name_has_its_label():
    """The keys passed to the checks that word a problem as "<key> must …"."""
    tree = ast.parse((ROOT / "domain/admin.py").read_text(encoding="utf-8"))
    keys = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _name(node.func) in {
            "_number",
            "_opt_float",
            "_hhmm",
            "minutes",
        }:
            keys |= {
                a.value
                for a in node.args[:2]
                if isinstance(a, ast.Constant) and isinstance(a.value, str)
            }
    numbers = {
        k for k, f in SiteSettings.__dataclass_fields__.items() if f.type in ("int", "float")
    }
    assert numbers and keys >= numbers
    assert keys - {"grace_minutes"} and keys <= set(FIELDS), keys - set(FIELDS)


@pytest.mark.parametrize(
    ("english", "chinese"),
    [
        (
            "grace_minutes must be a number; completion_threshold must be between 0 and 1",
            "迟到宽限（分钟）须填数字；完成率达标线须在 0 到 1 之间",
        ),
        (
            "name is required, at most 60 characters; a route has 1-200 checkpoints",
            "请填写名称，最多 60 个字；一条路线须有 1-200 个巡更点",
        ),
        ("fixed time must be a time such as 08:00", "固定时间须为时间，例如 08:00"),
        (
            "plan refused: the upload is not a readable JPEG, PNG or WebP image",
            "平面图未能上传：文件不是能打开的 JPEG、PNG 或 WebP 图片",
        ),
        (
            "the point is on route(s) 夜间巡逻, 东区; 白班: edit them first",
            "该点位还在路线“夜间巡逻、东区; 白班”中：请先在路线里去掉它",
        ),
        (
            "row 2: username 'zhang' is taken; name is required, at most 40 characters"
            " | row 5: role must be one of guard, cleaner",
            "第 2 行：用户名“zhang”已被占用；请填写姓名，最多 40 个字；第 5 行：请选择岗位",
        ),
        ("no route '' on this site", "请选择本项目的路线"),
        ("the photo is over 10485760 bytes", "照片超过 10 MB"),
    ],
)
def test_messages_with_parameters_and_several_problems(english: str, chinese: str):
    assert refusal_text(english, "zh") == chinese
    assert refusal_text(english, "en") == english  # the English console: the API's words


def test_an_unknown_message_still_says_in_chinese_that_nothing_was_done():
    assert refusal_text("the moon is in the way", "zh") == "操作未完成：the moon is in the way"
    worded = refusal_text(HTTPException(422, "a new rule; a rejection needs a reason"), "zh")
    assert worded == "操作未完成：a new rule；驳回须填写原因"
    assert translate("the moon is in the way", "zh") is None


def _now() -> datetime:
    return datetime.now(UTC)


def test_real_set_up_refusals_come_out_in_chinese(scenario: Scenario):
    storage = scenario.storage()
    manager = storage.user_by_name("manager")
    assert manager is not None
    with pytest.raises(HTTPException) as on_route:
        admin.retire_point(storage, manager, "alpha", "c01", _now())
    assert on_route.value.detail == "the point is on route(s) 周界巡逻: edit them first"
    assert refusal_text(on_route.value, "zh") == "该点位还在路线“周界巡逻”中：请先在路线里去掉它"

    with pytest.raises(HTTPException) as settings:
        admin.update_settings(
            storage, manager, "alpha", {"completion_threshold": 70, "grace_minutes": "五"}, _now()
        )
    assert refusal_text(settings.value, "zh") == (
        "迟到宽限（分钟）须填数字；完成率达标线须在 0 到 1 之间"
    )

    with pytest.raises(HTTPException) as person:
        people.create_person(
            storage, manager, "alpha", {"username": "张三", "name": "张三", "role": "guard"}, _now()
        )
    assert "username must be" in str(person.value.detail)  # the API keeps its English
    assert refusal_text(person.value, "zh") == (
        "用户名须为 2-32 个英文字母、数字或“.”“_”“-”，不能用汉字"
    )


def test_real_review_and_ticket_refusals_come_out_in_chinese(scenario: Scenario):
    data = add_anomalies(scenario)
    manager = session_of(scenario, "manager")
    held = review_vm.load_queue(manager)["data"][0]["id"]
    with pytest.raises(ReviewRefused) as no_reason:
        review_vm.decide(manager, held, "reject", "  ")
    assert refusal_text(no_reason.value, "zh") == "驳回须填写原因"

    with pytest.raises(TicketRefused) as closing:
        tickets_vm.ticket_step(manager, data.light, "close", "")
    assert refusal_text(closing.value, "zh") == "关闭工单须填写处理说明或上传结果照片"
    with pytest.raises(TicketRefused) as assign:
        tickets_vm.ticket_step(manager, data.light, "assign", "", "u-beta-manager")
    assert refusal_text(assign.value, "en") == "assign the ticket to an active member of this site"
    assert refusal_text(assign.value, "zh") == "请把工单指派给本项目在职的人员"


def test_every_flag_has_a_name_in_both_languages():
    for flag in Flag:
        for lang in ("zh", "en"):
            assert t(f"flag_{flag.value}", lang) != f"flag_{flag.value}", flag
    assert flag_names(["foreign_label", "typed_code"], "zh") == "其他项目的二维码、手动输入编码"
    assert flag_names(["a_future_flag"], "zh") == "a_future_flag"
