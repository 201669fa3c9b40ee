"""Refusals in the console's language.

The API answers a refused change in English: it is the API's documented language, and
clients and tests match on its words. The console shows the same refusal in the
console's language. This module is the one place that knows every refusal the set-up,
people, import, review, ticket, rectification and alert paths can raise, each with the
Chinese a property manager would write (no field names, no English):

- `MESSAGES` lists each refusal as the API words it, a `{name}` standing for a part that
  varies (`{name!r}`: the part is quoted, as Python's `repr` quotes it), with its Chinese.
- `refusal_text(refusal, lang)` gives what the console shows: the exception's (or the
  text's) message in `lang`. The API joins several problems with "; " and an import's
  bad rows with " | "; each part is worded on its own. English shows the API's words.
- A message not in the list (one added later) still shows in Chinese as
  "操作未完成：<the API's words>", with every part that is known worded.

A parameter is worded by its name: `field` (a setting or form field: its label on the
screen), `kind` (route, area, checkpoint), `why` (a message inside a message, e.g. why a
plan image was refused), `size` (bytes, shown as MB); any other is shown as it is.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from functools import lru_cache

from fastapi import HTTPException

__all__ = ["FIELDS", "MESSAGES", "Message", "refusal_text", "translate"]


@dataclass(frozen=True)
class Message:
    """One refusal: the API's words (`{name}` varies) and the console's Chinese for it."""

    english: str
    zh: str
    pattern: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "pattern", _compile(self.english))


_PARAM = re.compile(r"\{(\w+)(!r)?\}")


def _compile(english: str) -> re.Pattern[str]:
    parts, pos = [], 0
    for m in _PARAM.finditer(english):
        parts.append(re.escape(english[pos : m.start()]))
        name = m.group(1)
        parts.append(rf"(?P<{name}>'.*?'|\".*?\")" if m.group(2) else rf"(?P<{name}>.+?)")
        pos = m.end()
    parts.append(re.escape(english[pos:]))
    return re.compile("".join(parts), re.DOTALL)


# Every form field or setting a message can name, as the console's screens label it.
FIELDS: dict[str, str] = {
    "grace_minutes": "迟到宽限（分钟）",
    "early_minutes": "提前容许（分钟）",
    "gps_radius_m": "GPS 半径（米）",
    "completion_threshold": "完成率达标线",
    "rectification_deadline_hours": "整改期限（小时）",
    "anomaly_response_hours": "异常响应时限（小时）",
    "rectification_escalate_hours": "整改超期升级（小时）",
    "plan_x": "平面图横向位置",
    "plan_y": "平面图纵向位置",
    "lat": "纬度",
    "lon": "经度",
    "radius_m": "点位半径（米）",
    "fixed time": "固定时间",
    "start": "开始时间",
    "end": "结束时间",
    "window_minutes": "打卡窗口（分钟）",
}

_KINDS = {"route": "路线", "area": "保洁区域", "checkpoint": "巡更点"}

_M = Message
MESSAGES: tuple[Message, ...] = (
    # -- site, plan, settings (server/admin/sites.py, domain/admin.py) -------------------
    _M("only a manager or admin can create a site", "只有项目经理或管理员可以新建项目"),
    _M(
        "site id must be 2-31 lower-case letters, digits or '-'",
        "项目编号须为 2-31 个小写字母、数字或“-”",
    ),
    _M("site id {site!r} is taken", "项目编号“{site}”已被使用，请换一个"),
    _M("name is required, at most 60 printable characters", "请填写名称，最多 60 个字"),
    _M("address is at most 200 printable characters", "地址最多 200 个字"),
    _M("address is at most 200 characters", "地址最多 200 个字"),
    _M(
        "time zone must be an IANA name such as Asia/Shanghai",
        "时区须为标准时区名称，例如北京时间填 Asia/Shanghai",
    ),
    _M(
        "unknown time zone {tz!r}: use an IANA name such as Asia/Shanghai",
        "没有“{tz}”这个时区：请填标准时区名称，例如北京时间填 Asia/Shanghai",
    ),
    _M(
        "the time zone cannot change once the site has records",
        "项目已有巡检记录，时区不能再修改",
    ),
    _M("the plan is over {n} MB", "平面图文件超过 {n} MB"),
    _M("the plan must be a PNG or JPEG image", "平面图须为 PNG 或 JPEG 图片"),
    _M("plan refused: {why}", "平面图未能上传：{why}"),
    _M("the image could not be decoded", "图片无法打开"),
    _M("unknown setting {key!r}", "没有“{key}”这项设置"),
    _M("{field} must be a number", "{field}须填数字"),
    _M("{field} must be between {lo} and {hi}", "{field}须在 {lo} 到 {hi} 之间"),
    _M("{field} must be a whole number {lo}-{hi}", "{field}须为 {lo}-{hi} 的整数"),
    _M("{field} must be a time such as 08:00", "{field}须为时间，例如 08:00"),
    _M("appraisal_weights must give exactly {keys}", "考核权重须逐项填写全部考核指标"),
    _M("appraisal weights must be whole numbers, 0 or more", "考核权重须为 0 或以上的整数"),
    _M("appraisal weights must add up to 100, not {n}", "考核权重合计须为 100，现在是 {n}"),
    _M(
        "alert_webhook_url must be an http(s) URL of at most 500 characters",
        "告警推送地址须为 http:// 或 https:// 开头的网址，最多 500 个字符",
    ),
    # -- points (server/admin/points.py, domain/admin.py) --------------------------------
    _M("point not found", "找不到该点位（可能已停用）"),
    _M(
        "the point is on route(s) {routes}: edit them first",
        "该点位还在路线“{routes}”中：请先在路线里去掉它",
    ),
    _M(
        "a point's kind cannot change: retire it and add a new one",
        "点位类型不能修改：请停用后重新添加",
    ),
    _M(
        "point id must be 1-40 letters, digits, '-' or '_'",
        "点位编号须为 1-40 个字母、数字、“-”或“_”",
    ),
    _M("kind must be checkpoint or area", "点位类型须为巡更点或保洁区域"),
    _M("name is required, at most 60 characters", "请填写名称，最多 60 个字"),
    _M("zone is at most 40 characters", "区域/楼栋最多 40 个字"),
    _M("give both plan_x and plan_y, or neither", "平面图上的位置不完整：请重新点选"),
    _M("give both lat and lon, or neither", "经度和纬度须同时填写，或都不填"),
    _M("checks must be a list of questions", "检查项须为一条条问题"),
    _M("at most 20 checks, each at most 60 characters", "检查项最多 20 条，每条最多 60 个字"),
    _M(
        "name, zone and checks must be printable text (no control characters)",
        "名称、区域和检查项里有无法显示的字符，请重新输入",
    ),
    _M(
        "checks are asked at checkpoints; an area uses its template",
        "检查项只用于巡更点；保洁区域按检查模板检查",
    ),
    _M("an area needs an inspection template", "保洁区域须选择检查模板"),
    _M("unknown template {template!r}", "找不到检查模板“{template}”"),
    _M("only areas have an inspection template", "只有保洁区域才选检查模板"),
    _M("short code must be 4-12 letters or digits", "短编码须为 4-12 个字母或数字"),
    _M("short code {code} is already used on this site", "短编码 {code} 在本项目已被使用"),
    # -- routes and schedules (server/admin/routes.py, schedules.py, domain/admin.py) ----
    _M("route not found", "找不到该路线"),
    _M("a route has 1-200 checkpoints", "一条路线须有 1-200 个巡更点"),
    _M("a checkpoint appears twice on the route", "同一个巡更点在路线里出现了两次"),
    _M("not checkpoints in use on this site: {points}", "这些不是本项目在用的巡更点：{points}"),
    _M(
        "not_before maps checkpoints on the route to 0-720 minutes",
        "最早到达时间须对应路线上的巡更点，在 0-720 分钟之间",
    ),
    _M("ordered is true or false", "是否按顺序巡更须选“是”或“否”"),
    _M("schedule not found", "找不到该排班"),
    _M("schedule not found or already ended", "找不到该排班，或它已经结束"),
    _M("days must be 1-{n}", "预览天数须为 1-{n} 天"),
    _M(
        "schedule id must be 1-40 letters, digits, '-' or '_'",
        "排班编号须为 1-40 个字母、数字、“-”或“_”",
    ),
    _M("target_kind must be route or area", "排班对象须为路线或保洁区域"),
    _M("no {kind} {target!r} on this site", "请选择本项目的{kind}"),
    _M("fixed_times is a list of at most 48 times", "固定时间最多 48 个"),
    _M("a start and end need every_minutes", "填了开始和结束时间，还须填间隔"),
    _M("every_minutes must be 15-1440", "间隔须为 15-1440 分钟（15 分钟到 24 小时）"),
    _M("every_minutes needs a start and an end", "按间隔排班须填开始和结束时间"),
    _M(
        "give fixed times, or every N minutes between a start and an end",
        "请填固定时间，或填开始、结束时间和间隔",
    ),
    _M("weekdays is a non-empty list of 0 (Monday) to 6 (Sunday)", "请至少选择一天（周一到周日）"),
    _M("the responsible person must be one of the site's people", "负责人须为本项目的人员"),
    _M(
        "name is at most 60 and team at most 40 characters",
        "排班名称最多 60 个字，班组最多 40 个字",
    ),
    # -- templates (server/admin/templates.py, domain/admin.py) --------------------------
    _M("template not found", "找不到该检查模板"),
    _M(
        "a company template is kept by the quality department: copy it to change it",
        "公司模板由品质部维护：请复制一份再修改",
    ),
    _M(
        "template {template!r} exists: publish a new version of it",
        "模板“{template}”已存在：请发布它的新版本",
    ),
    _M(
        "template {template!r} is a built-in default: choose another id",
        "“{template}”是系统自带模板的编号：请换一个",
    ),
    _M(
        "template id must be 1-40 letters, digits, '-' or '_'",
        "模板编号须为 1-40 个字母、数字、“-”或“_”",
    ),
    _M(
        "name_zh is required (at most 40), name_en at most 60 characters",
        "请填写模板中文名称（最多 40 个字），英文名称最多 60 个字符",
    ),
    _M("a template has 1-40 items", "一个模板须有 1-40 个检查项"),
    _M("item {n} is not an object", "第 {n} 个检查项格式有误"),
    _M(
        "item {n}: key of letters/digits and a label_zh of 1-60 characters",
        "第 {n} 个检查项：编号须为字母或数字，中文名称 1-60 个字",
    ),
    _M("item keys must be unique", "检查项编号不能重复"),
    # -- people (server/people.py, domain/admin.py) --------------------------------------
    _M("person not found", "找不到该人员"),
    _M(
        "username must be 2-32 letters, digits, '.', '_' or '-'",
        "用户名须为 2-32 个英文字母、数字或“.”“_”“-”，不能用汉字",
    ),
    _M("username {username!r} is taken", "用户名“{username}”已被占用"),
    _M("name is required, at most 40 characters", "请填写姓名，最多 40 个字"),
    _M("role must be one of {roles}", "请选择岗位"),
    _M("site_ids is a list of site ids", "请选择所属项目"),
    _M("site_ids is a non-empty list of site ids", "请至少选择一个项目"),
    _M("only an admin can make someone an admin", "只有管理员可以设置管理员"),
    _M("only an admin can change an admin", "只有管理员可以修改管理员账号"),
    _M("only an admin can reset an admin's password", "只有管理员可以重置管理员的密码"),
    _M("only an admin can deactivate an admin", "只有管理员可以停用管理员账号"),
    _M("you cannot deactivate yourself", "不能停用自己的账号"),
    _M("you cannot change your own role", "不能修改自己的岗位"),
    _M(
        "a 6-digit PIN is only for guards and cleaners: give a password of 8+ characters",
        "6 位数字 PIN 只限秩序维护员和保洁员：请设置 8 位以上的密码",
    ),
    _M(
        "password must be 8-128 characters (or a 6-digit PIN for field staff)",
        "密码须为 8-128 个字符（一线员工可用 6 位数字 PIN）",
    ),
    # -- sign-in and one's own password (server/login.py) ---------------------------------
    _M("wrong username or password", "用户名或密码错误"),
    _M("too many failed logins: try again in {wait}", "失败次数过多，请 {wait} 后再试"),
    _M("the server is busy: try again", "服务器繁忙，请稍后再试"),
    _M("the new password must differ from the current one", "新密码不能与当前密码相同"),
    # -- imports (server/imports.py) ------------------------------------------------------
    _M("the file is over {n} MB", "文件超过 {n} MB"),
    _M("the file has no header row", "文件没有表头行"),
    _M("header row must name the columns: {columns}", "表头须写明这些列：{columns}"),
    _M("at most {n} rows per import", "每次最多导入 {n} 行"),
    _M("the spreadsheet unpacks too large", "表格文件过大，无法读取"),
    _M("not a readable XLSX or CSV file", "无法读取该文件：请上传 XLSX 或 CSV 表格"),
    _M("CSV: {detail}", "CSV 文件格式有误（{detail}）"),
    _M(
        "this file is not the one that was checked: check it again",
        "这个文件和检查过的不是同一个：请重新检查",
    ),
    _M("the file has no rows", "文件里没有数据"),
    _M("row {n}: {why}", "第 {n} 行：{why}"),
    # -- review (domain/trust.py, server/review.py) --------------------------------------
    _M("only flagged records are reviewed", "只有被标记的记录需要审核"),
    _M("nobody reviews their own record", "不能审核自己的记录"),
    _M("verdict must be accept or reject", "请选择通过或驳回"),
    _M("a rejection needs a reason", "驳回须填写原因"),
    _M("reason is longer than {n} characters", "原因超过 {n} 个字"),
    # -- tickets (domain/tickets.py, server/tickets.py) -----------------------------------
    _M("action must be assign, comment, close or reopen", "操作须为指派、备注、关闭或重新打开"),
    _M("the note is longer than {n} characters", "说明超过 {n} 个字"),
    _M("assign the ticket to an active member of this site", "请把工单指派给本项目在职的人员"),
    _M("upload the closing photo to this site first", "请先上传处理结果照片"),
    _M(
        "the anomaly was rejected on review: its ticket is void", "该异常在审核中被驳回：工单已作废"
    ),
    _M("the ticket is closed: reopen it first", "工单已关闭：请先重新打开"),
    _M("say who the ticket is assigned to", "请选择工单的处理人"),
    _M("the ticket is already assigned to that person", "工单已经指派给此人"),
    _M("a comment needs some text", "请填写备注内容"),
    _M("the ticket is already closed", "工单已经关闭"),
    _M(
        "closing a ticket needs a note or a photo of the result",
        "关闭工单须填写处理说明或上传结果照片",
    ),
    _M("only a closed ticket can be reopened", "只有已关闭的工单可以重新打开"),
    _M("say why the ticket is reopened", "请说明重新打开工单的原因"),
    # -- rectifications (domain/scoring.py, server/rectification_followup.py) ------------
    _M(
        "the inspection was rejected on review: this rectification is void",
        "该次检查在审核中被驳回：此整改已作废",
    ),
    _M("only a re-check takes a photo", "只有复查时才能上传照片"),
    _M("the rectification is closed", "该整改已关闭"),
    _M("assign it to an active member of this site", "请指派给本项目在职的人员"),
    _M("it is already assigned to that person", "已经指派给此人"),
    _M("a re-check needs passed: true or false", "复查须选择合格或不合格"),
    _M("say why the fix is sent back", "请说明退回整改的原因"),
    _M("upload the re-check photo to this site first", "请先上传复查照片"),
    _M("action must be assign, comment or recheck", "操作须为指派、备注或复查"),
    _M("only a cleaning supervisor or manager can re-check", "只有保洁主管或项目经理可以复查"),
    _M("rectification is already closed", "该整改已关闭"),
    _M("rectification is waiting for its re-check, not a fix", "该整改正在等待复查，不需要再整改"),
    _M("rectification has not been fixed yet", "该整改还没有完成，不能复查"),
    _M(
        "the re-check must be done by someone other than the person who fixed it",
        "复查须由整改人以外的人来做",
    ),
    _M("this rectification is assigned to someone else", "该整改已指派给其他人"),
    _M("only cleaning staff can fix a rectification", "只有保洁人员可以完成整改"),
    # -- alerts (server/live.py) -----------------------------------------------------------
    _M("comment is longer than {n} characters", "备注超过 {n} 个字"),
    _M("no such alert now", "该提醒已经不存在"),
    # -- photos and images (server/photos.py, server/images.py, console uploads) ---------
    _M("the photo is over {size} bytes", "照片超过 {size}"),
    _M("photo arrived damaged: its SHA-256 does not match", "照片上传时损坏：请重新上传"),
    _M(
        "only JPEG, PNG or WebP photos are accepted, not {format}",
        "只接受 JPEG、PNG 或 WebP 图片（这个文件是 {format}）",
    ),
    _M("photo has {w}×{h} pixels, over the {limit} limit", "图片有 {w}×{h} 像素，超过上限 {limit}"),
    _M("photo claims too many pixels, over the {limit} limit", "图片像素太多，超过上限 {limit}"),
    _M(
        "the upload is not a readable JPEG, PNG or WebP image",
        "文件不是能打开的 JPEG、PNG 或 WebP 图片",
    ),
    _M(
        "the upload has {n} bytes after the image's end",
        "图片文件末尾多出 {n} 字节数据，请重新导出后上传",
    ),
    _M("photo storage is not available", "照片存储暂不可用，请稍后再试"),
    _M("the file is empty", "文件是空的"),
    # -- permissions (server/access.py, server/console/models/session.py) ----------------
    _M("site not found", "找不到该项目"),
    _M("your role cannot read reports", "您的岗位不能查看报表"),
    _M("your role cannot review records", "您的岗位不能审核记录"),
    _M(
        "only a manager or admin can change the site set-up", "只有项目经理或管理员可以修改项目设置"
    ),
    _M("field roles use the phone app", "一线岗位请使用手机App"),
    _M(
        "only quality, managers and admins see the company view",
        "只有品质部、项目经理和管理员可以查看公司总览",
    ),
    _M(
        "only the company's admin or quality department can change the appraisal scheme",
        "只有公司管理员或品质部可以修改考核方案",
    ),
    _M("company templates are kept by the quality department", "公司检查模板由品质部维护"),
    _M("sign in again", "请重新登录"),
)

# Parts joined into one message: an import's bad rows, then one thing's problems.
_SEPARATORS = (" | ", "; ")


def _param(name: str, value: str) -> str:
    if value[:1] in "'\"" and value[-1:] == value[:1] and len(value) >= 2:
        try:
            value = str(ast.literal_eval(value))
        except (ValueError, SyntaxError):
            value = value[1:-1]
    if name == "field":
        return FIELDS.get(value, "该项")
    if name in ("routes", "points"):
        return "、".join(value.split(", "))
    if name == "kind":
        return _KINDS.get(value, value)
    if name == "why":
        return translate(value, "zh") or value
    if name == "size" and value.isdigit():
        return f"{int(value) / (1024 * 1024):.0f} MB"
    return value


def _one(message: str) -> str | None:
    for m in MESSAGES:
        found = m.pattern.fullmatch(message)
        if found is not None:
            return m.zh.format(**{k: _param(k, v) for k, v in found.groupdict().items()})
    return None


@lru_cache(maxsize=1024)
def _zh(message: str, separators: tuple[str, ...] = _SEPARATORS) -> str | None:
    """The Chinese for `message`: its parts split at the first of `separators` it holds,
    each known (a part may itself hold the separator, as a route's name may), or one
    known message."""
    message = message.strip()
    for n, sep in enumerate(separators):
        if sep in message:  # the parts first: a `{name}` never swallows the next part
            worded = _pieces(tuple(message.split(sep)), sep, separators[n + 1 :])
            return None if worded is None else "；".join(worded)
    return _one(message)


@lru_cache(maxsize=1024)
def _pieces(pieces: tuple[str, ...], sep: str, inner: tuple[str, ...]) -> tuple[str, ...] | None:
    for i in range(1, len(pieces) + 1):
        head = _zh(sep.join(pieces[:i]), inner)
        if head is None:
            continue
        if i == len(pieces):
            return (head,)
        rest = _pieces(pieces[i:], sep, inner)
        if rest is not None:
            return (head, *rest)
    return None


def translate(message: str, lang: str) -> str | None:
    """`message` (the API's words) in `lang`, or None when it is not a known refusal."""
    if lang != "zh":
        return message
    return _zh(message)


def _message_of(refusal: BaseException | str) -> str:
    if isinstance(refusal, HTTPException):
        return str(refusal.detail)
    if isinstance(refusal, str):
        return refusal
    return str(refusal.args[0]) if refusal.args else str(refusal)


def refusal_text(refusal: BaseException | str, lang: str) -> str:
    """What the console shows for a refusal (an exception or the API's words) in `lang`;
    an unknown one as "操作未完成：…" with its known parts worded."""
    message = _message_of(refusal).strip()
    if lang != "zh":
        return message
    worded = _zh(message)
    if worded is not None:
        return worded
    parts = [p for sep in _SEPARATORS[1:] for p in message.split(sep)] or [message]
    return "操作未完成：" + "；".join(_zh(p) or p for p in parts)
