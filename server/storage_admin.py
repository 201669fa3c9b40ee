"""The SQL of site set-up: sites' address and settings, points with their history and
retirement, schedules ending, people and their devices, and the append-only audit log.

A mixin of `server.storage.Storage` (import `Storage` from there), kept in its own module
so that storage.py stays readable in one sitting. Rows of `points` hold each point's
current version; every version ever saved is also in `point_history`, so what a point was
called when a past report was due can always be read back.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlite_utils

from domain.config import point_from_dict, point_to_dict
from server import storage as _storage

__all__ = ["AdminQueries", "AuditEntry", "DeviceRow", "PersonRow", "PointRow"]


@dataclass(frozen=True, slots=True)
class PointRow:
    """A point's current version, and when it was retired (None while in use)."""

    point: Any  # domain.models.Point
    version: int
    retired_at: str | None


@dataclass(frozen=True, slots=True)
class PersonRow:
    id: str
    company_id: str
    username: str
    name: str
    role: str
    active: bool
    site_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class DeviceRow:
    device_id: str
    first_sign_in: str
    last_sign_in: str
    signed_in: int  # tokens not revoked


@dataclass(frozen=True, slots=True)
class AuditEntry:
    id: int
    site_id: str
    at: str
    user_id: str
    action: str
    target: str
    before: Any
    after: Any


def _point_json(point: Any) -> str:
    return json.dumps(point_to_dict(point), ensure_ascii=False, sort_keys=True)


class AdminQueries:
    db: sqlite_utils.Database

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All of the writes inside happen, or none (nested blocks are savepoints)."""
        with self.db.atomic():
            yield

    # -- sites ---------------------------------------------------------------------------

    def site_count(self) -> int:
        return int(self.db.execute("select count(*) from sites").fetchone()[0])

    def user_count(self) -> int:
        return int(self.db.execute("select count(*) from users").fetchone()[0])

    def ensure_company(self, company_id: str, name: str) -> None:
        self.db.table("companies").insert({"id": company_id, "name": name}, ignore=True)

    def create_site(
        self,
        *,
        site_id: str,
        company_id: str,
        name: str,
        tz: str,
        address: str,
        settings: dict[str, Any],
        label_key: bytes,
        label_public_key: str,
        at: datetime,
        member_ids: Sequence[str],
    ) -> None:
        """A new site, with its creator (and `member_ids`) on it."""
        with self.db.atomic():
            self.db.table("sites").insert(
                {
                    "id": site_id,
                    "company_id": company_id,
                    "name": name,
                    "tz": tz,
                    "plan_sha": None,
                    "label_key": label_key,
                    "label_public_key": label_public_key,
                    "address": address,
                    "settings": json.dumps(settings, sort_keys=True),
                    "created_at": _storage.iso(at),
                }
            )
            self.db.table("user_sites").insert_all(
                ({"user_id": u, "site_id": site_id} for u in member_ids), ignore=True
            )

    def site_has_records(self, site_id: str) -> bool:
        row = self.db.execute("select 1 from records where site_id = ? limit 1", [site_id])
        return row.fetchone() is not None

    def update_site(self, site_id: str, fields: dict[str, Any]) -> None:
        """Set some of name, tz, address, plan_sha; `settings` as a dict."""
        row = dict(fields)
        if "settings" in row:
            row["settings"] = json.dumps(row["settings"], sort_keys=True)
        self.db.table("sites").update(site_id, row)

    def site_settings_json(self, site_id: str) -> dict[str, Any]:
        """The stored settings object ({} if none or unreadable: defaults then apply)."""
        row = self.db.execute("select settings from sites where id = ?", [site_id]).fetchone()
        try:
            data = json.loads(row[0]) if row and row[0] else {}
        except ValueError:
            return {}
        return data if isinstance(data, dict) else {}

    # -- points --------------------------------------------------------------------------

    def point_rows(self, site_id: str, include_retired: bool = True) -> list[PointRow]:
        where = "site_id = ?" + ("" if include_retired else " and retired_at is null")
        return [
            PointRow(
                point_from_dict(r | {"checks": json.loads(r["checks"])}),
                r["version"] or 1,
                r["retired_at"],
            )
            for r in self.db.table("points").rows_where(where, [site_id], order_by="id")
        ]

    def retired_point_ids(self, site_id: str) -> set[str]:
        rows = self.db.execute(
            "select id from points where site_id = ? and retired_at is not null", [site_id]
        )
        return {r[0] for r in rows}

    def point_exists(self, point_id: str) -> bool:
        row = self.db.execute("select 1 from points where id = ?", [point_id]).fetchone()
        return row is not None

    def add_point(self, point: Any, at: datetime, by: str) -> None:
        """A new point (version 1), with its first history entry."""
        with self.db.atomic():
            self.db.table("points").insert(
                point_to_dict(point)
                | {
                    "checks": json.dumps(list(point.checks), ensure_ascii=False),
                    "version": 1,
                    "retired_at": None,
                }
            )
            self._history(point, 1, at, by)

    def update_point(self, point: Any, version: int, at: datetime, by: str) -> None:
        """The point's next version: the row changes, the history gains an entry."""
        with self.db.atomic():
            self.db.table("points").update(
                point.id,
                point_to_dict(point)
                | {
                    "checks": json.dumps(list(point.checks), ensure_ascii=False),
                    "version": version,
                },
            )
            self._history(point, version, at, by)

    def _history(self, point: Any, version: int, at: datetime, by: str) -> None:
        self.db.table("point_history").insert(
            {
                "point_id": point.id,
                "version": version,
                "site_id": point.site_id,
                "data": _point_json(point),
                "changed_at": _storage.iso(at),
                "changed_by": by,
            }
        )

    def retire_point(self, point_id: str, at: datetime) -> None:
        self.db.execute(
            "update points set retired_at = ? where id = ? and retired_at is null",
            [_storage.iso(at), point_id],
        )

    def delete_unused_point(self, point_id: str) -> None:
        """Only for a point nothing refers to (`point_used` is False)."""
        with self.db.atomic():
            self.db.execute("delete from point_history where point_id = ?", [point_id])
            self.db.execute("delete from points where id = ?", [point_id])

    def point_used(self, site_id: str, point_id: str) -> bool:
        """Whether any record, route version or schedule (of any time) names the point."""
        if self.db.execute(
            "select 1 from records where point_id = ? limit 1", [point_id]
        ).fetchone():
            return True
        if self.db.execute(
            "select 1 from schedules where site_id = ? and target_id = ? limit 1",
            [site_id, point_id],
        ).fetchone():
            return True
        rows = self.db.execute(
            "select checkpoint_ids from route_versions where site_id = ?", [site_id]
        )
        return any(point_id in json.loads(r[0]) for r in rows)

    def point_history(self, point_id: str) -> list[dict[str, Any]]:
        return [
            {
                "version": r["version"],
                "changed_at": r["changed_at"],
                "changed_by": r["changed_by"],
                "point": json.loads(r["data"]),
            }
            for r in self.db.query(
                "select * from point_history where point_id = ? order by version", [point_id]
            )
        ]

    def point_names_at(self, site_id: str, at: datetime) -> dict[str, str]:
        """Each point's name in its last version saved before `at` (else its first), so
        a past period's report shows the names it had then, whatever was renamed since."""
        names: dict[str, str] = {}
        cut = _storage.iso(at)
        for r in self.db.query(
            "select point_id, data, changed_at from point_history where site_id = ?"
            " order by point_id, version",
            [site_id],
        ):
            if r["point_id"] not in names or r["changed_at"] < cut:
                try:
                    names[r["point_id"]] = str(json.loads(r["data"])["name"])
                except (ValueError, KeyError, TypeError):
                    continue
        for p in self.db.query("select id, name from points where site_id = ?", [site_id]):
            names.setdefault(p["id"], p["name"])
        return names

    # -- schedules -----------------------------------------------------------------------

    def end_schedule(self, schedule_id: str, at: datetime) -> None:
        """The schedule's current version stops at `at`; past visits stay as they were."""
        self.db.execute(
            "update schedules set effective_to = ? where id = ? and effective_to is null",
            [_storage.iso(at), schedule_id],
        )

    # -- people --------------------------------------------------------------------------

    def people(self, site_id: str | None = None, user_id: str | None = None) -> list[PersonRow]:
        """People on a site (or one person), active or not."""
        where, args = [], []
        if site_id is not None:
            where.append("id in (select user_id from user_sites where site_id = ?)")
            args.append(site_id)
        if user_id is not None:
            where.append("id = ?")
            args.append(user_id)
        sql = "select * from users" + (f" where {' and '.join(where)}" if where else "")
        out = []
        for r in self.db.query(sql + " order by username", args):
            sites = tuple(
                s[0]
                for s in self.db.execute(
                    "select site_id from user_sites where user_id = ? order by site_id", [r["id"]]
                )
            )
            out.append(
                PersonRow(
                    r["id"],
                    r["company_id"],
                    r["username"],
                    r["name"],
                    r["role"],
                    bool(r["active"]),
                    sites,
                )
            )
        return out

    def username_taken(self, username: str) -> bool:
        row = self.db.execute(
            "select 1 from users where lower(username) = lower(?)", [username]
        ).fetchone()
        return row is not None

    def update_person(self, user_id: str, fields: dict[str, Any]) -> None:
        """Set some of name, role, active, password_hash."""
        self.db.table("users").update(user_id, fields)

    def set_person_sites(self, user_id: str, site_ids: Sequence[str]) -> None:
        with self.db.atomic():
            self.db.execute("delete from user_sites where user_id = ?", [user_id])
            self.db.table("user_sites").insert_all(
                {"user_id": user_id, "site_id": s} for s in site_ids
            )

    def devices(self, user_id: str) -> list[DeviceRow]:
        return [
            DeviceRow(r[0], r[1], r[2], r[3])
            for r in self.db.execute(
                "select device_id, min(created_at), max(created_at),"
                " sum(revoked_at is null) from tokens where user_id = ?"
                " group by device_id order by max(created_at) desc",
                [user_id],
            )
        ]

    def password_to_change(self, user_id: str) -> bool:
        """Whether the person's password was set by someone else (see m016)."""
        row = self.db.execute(
            "select password_to_change from users where id = ?", [user_id]
        ).fetchone()
        return bool(row and row[0])

    def set_own_password(self, user_id: str, password_hash: str) -> None:
        self.db.table("users").update(
            user_id, {"password_hash": password_hash, "password_to_change": 0}
        )

    def revoke_device(
        self, user_id: str, device_id: str | None, at: datetime, keep_hash: str | None = None
    ) -> int:
        """Revoke the person's tokens on one device (all devices if None), but the token
        `keep_hash` (the one in use, when the person signs out their other devices); how
        many."""
        sql = "update tokens set revoked_at = ? where user_id = ? and revoked_at is null"
        args: list[Any] = [_storage.iso(at), user_id]
        if device_id is not None:
            sql += " and device_id = ?"
            args.append(device_id)
        if keep_hash is not None:
            sql += " and token_hash != ?"
            args.append(keep_hash)
        return self.db.execute(sql, args).rowcount

    # -- audit log -----------------------------------------------------------------------

    def add_audit(
        self,
        *,
        site_id: str,
        at: datetime,
        user_id: str,
        action: str,
        target: str,
        before: Any,
        after: Any,
    ) -> None:
        self.db.execute(
            "insert into audit (site_id, at, user_id, action, target, before, after)"
            " values (?, ?, ?, ?, ?, ?, ?)",
            [
                site_id,
                _storage.iso(at),
                user_id,
                action,
                target,
                None if before is None else json.dumps(before, ensure_ascii=False, sort_keys=True),
                None if after is None else json.dumps(after, ensure_ascii=False, sort_keys=True),
            ],
        )

    def audit(
        self, site_id: str, limit: int = 200, before_id: int | None = None
    ) -> list[AuditEntry]:
        """A site's admin changes, newest first."""
        sql = "select * from audit where site_id = ?"
        args: list[Any] = [site_id]
        if before_id is not None:
            sql += " and id < ?"
            args.append(before_id)
        out = []
        for r in self.db.query(sql + " order by id desc limit ?", [*args, limit]):
            out.append(
                AuditEntry(
                    r["id"],
                    r["site_id"],
                    r["at"],
                    r["user_id"],
                    r["action"],
                    r["target"],
                    _loads(r["before"]),
                    _loads(r["after"]),
                )
            )
        return out


def _loads(text: str | None) -> Any:
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text
