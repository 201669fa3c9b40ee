"""Bulk import of points and people from a spreadsheet (XLSX or CSV).

Two steps, nothing stored by the first:
1. `check_import` reads the file and checks every row with the same rules as one-by-one
   creation (`domain.admin`, `server.people.check_person`), answering a per-row report
   (what each row will create, or everything wrong with it) and a `token`: the SHA-256
   of the site, the kind and the file's bytes.
2. `confirm_import` takes the same file and token, checks it all again (the site may have
   changed meanwhile), and stores every row in one transaction, or nothing: a file with
   any bad row, or a token that does not match the file, stores nothing.

Spreadsheets are hostile input: at most 2 MB, 2,000 rows, a zip whose parts unpack to at
most 50 MB (an XLSX is a zip; a "zip bomb" is refused before openpyxl opens it).
"""

from __future__ import annotations

import csv
import hashlib
import io
import secrets
import zipfile
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Literal

import anyio
import anyio.to_thread
from openpyxl import Workbook, load_workbook

from domain.admin import SetupError, check_point
from server.access import require_admin
from server.admin import AdminError, audit, settings_of
from server.people import add_people, check_person, prepare_secret
from server.storage import Storage, UserRow

__all__ = [
    "COLUMNS",
    "MAX_IMPORT_BYTES",
    "MAX_IMPORT_ROWS",
    "ImportKind",
    "check_import",
    "confirm_import",
    "confirm_import_off_loop",
    "read_table",
    "template_xlsx",
]

ImportKind = Literal["points", "people"]
MAX_IMPORT_BYTES = 2 * 1024 * 1024
MAX_IMPORT_ROWS = 2000
MAX_UNPACKED = 50 * 1024 * 1024
COLUMNS: dict[str, list[tuple[str, str, str]]] = {
    # (column, Chinese header, example)
    "points": [
        ("kind", "类型 checkpoint/area", "checkpoint"),
        ("name", "名称", "1号楼大堂"),
        ("zone", "区域", "1号楼"),
        ("plan_x", "平面图X 0-1", "0.25"),
        ("plan_y", "平面图Y 0-1", "0.40"),
        ("lat", "纬度", ""),
        ("lon", "经度", ""),
        ("radius_m", "半径米", ""),
        ("checks", "检查项 用;分隔", "消防设施完好?;门禁系统正常?"),
        ("template_id", "检查模板 (区域)", ""),
        ("requires_photo", "需拍照 是/否", "否"),
        ("short_code", "短码 (空则自动)", ""),
    ],
    "people": [
        ("username", "登录名", "guard7"),
        ("name", "姓名", "王五"),
        ("role", "角色 guard/cleaner/...", "guard"),
        ("password", "密码或6位PIN (空则自动)", ""),
    ],
}


def template_xlsx(kind: ImportKind) -> bytes:
    """An empty import sheet: header row "column 中文", one example row to overwrite."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = kind
    sheet.append([f"{col} {zh}" for col, zh, _ in COLUMNS[kind]])
    sheet.append([example for *_, example in COLUMNS[kind]])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def read_table(data: bytes, kind: ImportKind) -> list[dict[str, str]]:
    """The rows of an XLSX or CSV file as {column: text}, by the first word of each header.
    Blank rows are skipped; AdminError (413/415/422) for a file that cannot be read."""
    if len(data) > MAX_IMPORT_BYTES:
        raise AdminError(413, f"the file is over {MAX_IMPORT_BYTES // (1024 * 1024)} MB")
    grid = _xlsx_rows(data) if data[:4] == b"PK\x03\x04" else _csv_rows(data)
    if not grid:
        raise AdminError(422, "the file has no header row")
    known = {col for col, *_ in COLUMNS[kind]}
    headers = [(h.split() or [""])[0].lower() for h in grid[0]]
    if "name" not in headers:
        raise AdminError(422, f"header row must name the columns: {', '.join(sorted(known))}")
    rows = []
    for cells in grid[1:]:
        if not any(cells):
            continue
        rows.append({h: c for h, c in zip(headers, cells, strict=False) if h in known})
        if len(rows) > MAX_IMPORT_ROWS:
            raise AdminError(413, f"at most {MAX_IMPORT_ROWS} rows per import")
    return rows


def _xlsx_rows(data: bytes) -> list[list[str]]:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            infos = z.infolist()
            if len(infos) > 200 or sum(i.file_size for i in infos) > MAX_UNPACKED:
                raise AdminError(413, "the spreadsheet unpacks too large")
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        sheet = book.worksheets[0]
        grid = []
        for row in sheet.iter_rows(values_only=True, max_row=MAX_IMPORT_ROWS + 2):
            grid.append([_cell(v) for v in row[:40]])
        book.close()
        return grid
    except AdminError:
        raise
    except Exception as exc:  # whatever a broken file makes openpyxl raise
        raise AdminError(415, "not a readable XLSX or CSV file") from exc


def _csv_rows(data: bytes) -> list[list[str]]:
    for encoding in ("utf-8-sig", "gb18030"):  # Excel in China saves CSV as GBK
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise AdminError(415, "not a readable XLSX or CSV file")
    if "\0" in text:
        raise AdminError(415, "not a readable XLSX or CSV file")
    try:
        reader = csv.reader(io.StringIO(text))
        return [
            [c.strip() for c in row[:40]]
            for _, row in zip(range(MAX_IMPORT_ROWS + 2), reader, strict=False)
        ]
    except csv.Error as exc:
        raise AdminError(422, f"CSV: {exc}") from exc


def _token(site_id: str, kind: str, data: bytes) -> str:
    return hashlib.sha256(f"{site_id}\0{kind}\0".encode() + data).hexdigest()


def _check_rows(
    storage: Storage, user: UserRow, site_id: str, kind: ImportKind, rows: list[dict[str, str]]
) -> list[dict[str, Any]]:
    report: list[dict[str, Any]] = []
    if kind == "points":
        codes = [r.point.short_code for r in storage.point_rows(site_id)]
        templates = {t.id for t in storage.templates(site_id)}
        radius = settings_of(storage, site_id).gps_radius_m
        for n, row in enumerate(rows, start=2):
            try:
                point = check_point(
                    row,
                    point_id=f"p{secrets.token_hex(5)}",
                    site_id=site_id,
                    default_radius_m=radius,
                    other_codes=codes,
                    template_ids=templates,
                )
            except SetupError as exc:
                report.append({"row": n, "ok": False, "errors": exc.problems, "values": row})
                continue
            codes.append(point.short_code)
            report.append({"row": n, "ok": True, "errors": [], "values": row, "point": point})
    else:
        taken: set[str] = set()
        for n, row in enumerate(rows, start=2):
            draft, problems = check_person(
                storage, user, site_id, {**row, "site_ids": [site_id]}, taken
            )
            taken.add(draft["username"].lower())
            shown = {k: v for k, v in row.items() if k != "password"}
            report.append(
                {"row": n, "ok": not problems, "errors": problems, "values": shown, "draft": draft}
            )
    return report


def _public(report: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: r[k] for k in ("row", "ok", "errors", "values")} for r in report]


def check_import(
    storage: Storage, user: UserRow, site_id: str, kind: ImportKind, data: bytes
) -> dict[str, Any]:
    """The per-row report of what the file would create; stores nothing."""
    require_admin(user, site_id)
    report = _check_rows(storage, user, site_id, kind, read_table(data, kind))
    bad = sum(1 for r in report if not r["ok"])
    return {
        "kind": kind,
        "rows": _public(report),
        "ok": len(report) - bad,
        "errors": bad,
        "token": _token(site_id, kind, data) if report and not bad else None,
    }


def _checked_again(
    storage: Storage, user: UserRow, site_id: str, kind: ImportKind, data: bytes, token: str
) -> list[dict[str, Any]]:
    """The report of a file being confirmed: 409 when the token is not this file's, 422
    with the per-row report when any row is bad now."""
    require_admin(user, site_id)
    if not secrets.compare_digest(token, _token(site_id, kind, data)):
        raise AdminError(409, "this file is not the one that was checked: check it again")
    report = _check_rows(storage, user, site_id, kind, read_table(data, kind))
    if not report or any(not r["ok"] for r in report):
        wrong = [f"row {r['row']}: {'; '.join(r['errors'])}" for r in report if not r["ok"]]
        raise AdminError(422, " | ".join(wrong) or "the file has no rows")
    return report


def confirm_import(
    storage: Storage,
    user: UserRow,
    site_id: str,
    kind: ImportKind,
    data: bytes,
    token: str,
    now: datetime,
    prepared: Sequence[tuple[str, str | None]] | None = None,
) -> dict[str, Any]:
    """Store every row of a checked file in one transaction, or nothing (409 when the
    token is not this file's, 422 with the per-row report when any row is bad now).
    `prepared`: people's password hashes made beforehand (`confirm_import_off_loop`)."""
    report = _checked_again(storage, user, site_id, kind, data, token)
    return _store(storage, user, site_id, kind, report, now, prepared)


async def confirm_import_off_loop(
    storage: Storage,
    user: UserRow,
    site_id: str,
    kind: ImportKind,
    data: bytes,
    token: str,
    now: datetime,
    limiter: anyio.CapacityLimiter,
) -> dict[str, Any]:
    """`confirm_import` for the event loop: people's passwords (argon2, ~0.2 s of CPU
    each) are hashed one at a time in worker threads bounded by `limiter` (the login
    path's), so other requests are answered meanwhile; then the file is checked again and
    stored in one transaction on the loop."""
    report = _checked_again(storage, user, site_id, kind, data, token)
    if kind != "people":
        return _store(storage, user, site_id, kind, report, now, None)
    prepared = [
        await anyio.to_thread.run_sync(prepare_secret, r["draft"], limiter=limiter) for r in report
    ]
    report = _checked_again(storage, user, site_id, kind, data, token)
    return _store(storage, user, site_id, kind, report, now, prepared)


def _store(
    storage: Storage,
    user: UserRow,
    site_id: str,
    kind: ImportKind,
    report: list[dict[str, Any]],
    now: datetime,
    prepared: Sequence[tuple[str, str | None]] | None,
) -> dict[str, Any]:
    with storage.transaction():
        if kind == "points":
            created = []
            for r in report:
                storage.add_point(r["point"], now, user.id)
                created.append(
                    {"row": r["row"], "id": r["point"].id, "short_code": r["point"].short_code}
                )
            audit(storage, user, site_id, "import.points", site_id, None, {"created": created}, now)
        else:
            drafts = [r["draft"] for r in report]
            people = add_people(storage, user, site_id, drafts, now, prepared)
            created = [{"row": r["row"]} | p for r, p in zip(report, people, strict=True)]
            audit(
                storage,
                user,
                site_id,
                "import.people",
                site_id,
                None,
                {
                    "created": [
                        {k: v for k, v in c.items() if k != "one_time_password"} for c in created
                    ]
                },
                now,
            )
    return {"kind": kind, "created": created}
