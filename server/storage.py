"""All of the server's SQL, behind one narrow interface.

Everything else talks to `Storage` in domain terms (points, route versions, schedules,
records), so a PostgreSQL backend can be added beside this one without touching routes
or domain code. One SQLite file in WAL mode; schema changes are sqlite-utils migrations.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar, cast

import orjson
import sqlite_utils
from sqlite_utils.migrations import Migrations

from domain.chain import GENESIS, ChainRow
from domain.chain import digest as chain_digest
from domain.chain import link as chain_link
from domain.config import point_from_dict, point_to_dict, schedule_from_dict, schedule_to_dict
from domain.coverage import ScanFact
from domain.models import Point, RouteVersion, Schedule, Template
from domain.templates import template_from_dict, template_to_dict
from domain.wire import stored_record_problem
from server.storage_admin import AdminQueries
from server.storage_alerts import AlertQueries
from server.storage_coverage import CoverageQueries
from server.storage_reports import ReportQueries
from server.storage_tickets import TicketQueries
from server.storage_trust import TrustQueries

__all__ = ["Storage", "StoredRecord", "UserRow", "iso"]

migrations = Migrations("rounds")
T = TypeVar("T")
log = logging.getLogger(__name__)


def _to_json(value: object) -> str:
    """Record bodies go through orjson: sync ingest and coverage reads are the hot paths."""
    return orjson.dumps(value).decode()


def iso(at: datetime) -> str:
    """Fixed-width UTC text, so stored times sort and compare as strings."""
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text)


@migrations()
def m001_initial(db: sqlite_utils.Database) -> None:
    db.table("companies").create({"id": str, "name": str}, pk="id")
    db.table("sites").create(
        {
            "id": str,
            "company_id": str,
            "name": str,
            "tz": str,
            "plan_sha": str,
            "label_key": bytes,
            "label_public_key": str,
        },
        pk="id",
        foreign_keys=[("company_id", "companies")],
    )
    db.table("points").create(
        {
            "id": str,
            "site_id": str,
            "kind": str,
            "name": str,
            "zone": str,
            "plan_x": float,
            "plan_y": float,
            "lat": float,
            "lon": float,
            "checks": str,
            "template_id": str,
            "requires_photo": int,
            "short_code": str,
        },
        pk="id",
        foreign_keys=[("site_id", "sites")],
    )
    db.table("points").create_index(["site_id"])
    db.table("route_versions").create(
        {
            "route_id": str,
            "version": int,
            "site_id": str,
            "name": str,
            "effective_from": str,
            "checkpoint_ids": str,
            "ordered": int,
            "not_before": str,
        },
        pk=("route_id", "version"),
    )
    db.table("schedules").create(
        {
            "id": str,
            "version": int,
            "site_id": str,
            "name": str,
            "target_kind": str,
            "target_id": str,
            "effective_from": str,
            "effective_to": str,
            "fixed_times": str,
            "every_minutes": int,
            "start": str,
            "end": str,
            "weekdays": str,
            "window_minutes": int,
            "grace_minutes": int,
            "early_minutes": int,
        },
        pk=("id", "version"),
    )
    # site_id '' holds the company-wide defaults; a site's own edits are new versions.
    db.table("templates").create(
        {"site_id": str, "id": str, "version": int, "data": str},
        pk=("site_id", "id", "version"),
    )
    db.table("users").create(
        {
            "id": str,
            "company_id": str,
            "username": str,
            "name": str,
            "role": str,
            "password_hash": str,
            "active": int,
        },
        pk="id",
    )
    db.table("users").create_index(["username"], unique=True)
    db.table("user_sites").create({"user_id": str, "site_id": str}, pk=("user_id", "site_id"))
    db.table("tokens").create(
        {"token_hash": str, "user_id": str, "device_id": str, "created_at": str, "revoked_at": str},
        pk="token_hash",
    )
    db.table("records").create(
        {
            "id": str,
            "kind": str,
            "site_id": str,
            "user_id": str,
            "device_id": str,
            "device_time": str,
            "received_at": str,
            "point_id": str,
            "refers_to": str,
            "body": str,
            "photos": str,
            "flags": str,
        },
        pk="id",
    )
    db.table("records").create_index(["site_id", "kind", "device_time"])
    db.table("records").create_index(["user_id", "kind", "device_time"])
    db.table("records").create_index(["refers_to"])
    db.table("record_photos").create({"sha": str, "record_id": str}, pk=("sha", "record_id"))
    db.table("photos").create(
        {
            "sha": str,
            "site_id": str,
            "mime": str,
            "bytes": int,
            "width": int,
            "height": int,
            "uploaded_by": str,
            "uploaded_at": str,
        },
        pk=("sha", "site_id"),
    )


_RECORD_COLUMNS = (
    "id, kind, site_id, user_id, device_id, device_time, received_at,"
    " point_id, refers_to, body, photos, flags"
)

# The stored fields a record's chain digest covers, in order (domain.chain).
CHAIN_FIELDS = (
    "id",
    "kind",
    "site_id",
    "user_id",
    "device_id",
    "device_time",
    "received_at",
    "point_id",
    "refers_to",
    "body",
    "photos",
    "flags",
)


@migrations()
def m002_quarantine_unreadable_records(db: sqlite_utils.Database) -> None:
    """Records an older server stored that reports cannot read (a round for the year 1, an
    inspection in 9999) move to `quarantine`: kept with the reason, listed for review,
    left out of every read."""
    db.execute(
        f"create table quarantine as select {_RECORD_COLUMNS}, '' as reason,"
        " '' as quarantined_at from records where 0"
    )
    db.execute("create unique index quarantine_id on quarantine (id)")
    db.execute("create index quarantine_site on quarantine (site_id, quarantined_at)")
    _set_aside_unreadable(db, datetime.now(UTC))


def _row_problem(row: dict[str, Any]) -> str | None:
    """Why a stored records row cannot be read into reports, or None."""
    try:
        device_time, received_at = _time(row["device_time"]), _time(row["received_at"])
        body = orjson.loads(row["body"])
        photos, flags = orjson.loads(row["photos"]), orjson.loads(row["flags"])
    except (TypeError, ValueError) as exc:  # orjson.JSONDecodeError is a ValueError
        return f"unreadable: {exc}"[:200]
    if not (isinstance(photos, list) and isinstance(flags, list)):
        return "photos or flags is not a list"
    return stored_record_problem(row["kind"], device_time, received_at, body)


def _set_aside_unreadable(db: sqlite_utils.Database, at: datetime) -> int:
    """Move every record that reads cannot handle into `quarantine`; returns how many.

    Only ever run by the migration, before the records are hash-chained (m004): moving a
    chained record would break its site's chain. Later, reads leave such rows out."""
    bad = [
        (row["id"], problem)
        for row in db.query(f"select {_RECORD_COLUMNS} from records")
        if (problem := _row_problem(row)) is not None
    ]
    with db.atomic():
        for record_id, reason in bad:
            db.execute(
                f"insert or ignore into quarantine select {_RECORD_COLUMNS}, ?, ?"
                " from records where id = ?",
                [reason, iso(at), record_id],
            )
            db.execute("delete from records where id = ?", [record_id])
    for record_id, reason in bad:
        log.warning("record %s set aside: %s", record_id, reason)
    return len(bad)


@migrations()
def m003_trust(db: sqlite_utils.Database) -> None:
    """Per-point radius, photos' perceptual hashes, and an index of flagged records (the
    review queue reads only those)."""
    db.table("points").add_column("radius_m", float)
    db.table("photos").add_column("phash", str)
    db.execute(
        "create index if not exists records_flagged on records (site_id, device_time)"
        " where flags <> '[]'"
    )


@migrations()
def m004_record_chain(db: sqlite_utils.Database) -> None:
    """Each site's records form a hash chain (domain.chain); existing records are chained
    in the order they were stored."""
    records = db.table("records")
    for column in ("prev_hash", "body_hash", "chain_hash"):
        records.add_column(column, str)
    records.add_column("chain_seq", int)
    sites = [r[0] for r in db.execute("select distinct site_id from records")]
    for site_id in sites:
        rows = db.execute(
            f"select rowid, {', '.join(CHAIN_FIELDS)} from records where site_id = ?"
            " order by rowid",
            [site_id],
        ).fetchall()
        updates, previous = [], GENESIS
        for seq, (rowid, *fields) in enumerate(rows, start=1):
            body_hash = chain_digest(fields)
            chain_hash = chain_link(previous, body_hash)
            updates.append((seq, previous, body_hash, chain_hash, rowid))
            previous = chain_hash
        db.conn.executemany(
            "update records set chain_seq = ?, prev_hash = ?, body_hash = ?, chain_hash = ?"
            " where rowid = ?",
            updates,
        )
    records.create_index(["site_id", "chain_seq"], unique=True)


def append_only(db: sqlite_utils.Database, table: str, message: str) -> None:
    """Triggers that refuse any UPDATE or DELETE of `table`'s rows: they are history."""
    for event in ("update", "delete"):
        db.execute(
            f"create trigger {table}_no_{event} before {event} on {table}"
            f" begin select raise(abort, '{message}'); end"
        )


@migrations()
def m005_admin(db: sqlite_utils.Database) -> None:
    """Site set-up without code: a site's address and settings, points' versions and
    retirement with an append-only history, who is responsible for a schedule, and the
    append-only audit log of admin changes (triggers refuse updates and deletes)."""
    sites = db.table("sites")
    for column in ("address", "settings", "created_at"):
        sites.add_column(column, str)
    points = db.table("points")
    points.add_column("retired_at", str)
    points.add_column("version", int)
    db.execute("update points set version = 1")
    db.table("point_history").create(
        {
            "point_id": str,
            "version": int,
            "site_id": str,
            "data": str,
            "changed_at": str,
            "changed_by": str,
        },
        pk=("point_id", "version"),
    )
    db.execute(
        "insert into point_history select id, 1, site_id, json_object('id', id, 'site_id',"
        " site_id, 'kind', kind, 'name', name, 'zone', zone, 'plan_x', plan_x, 'plan_y',"
        " plan_y, 'lat', lat, 'lon', lon, 'checks', json(checks), 'template_id', template_id,"
        " 'requires_photo', requires_photo, 'short_code', short_code, 'radius_m', radius_m),"
        " '', '' from points"
    )
    schedules = db.table("schedules")
    schedules.add_column("responsible_user_id", str)
    schedules.add_column("responsible_team", str)
    db.execute(
        "create table audit (id integer primary key autoincrement, site_id text not null,"
        " at text not null, user_id text not null, action text not null, target text not null,"
        " before text, after text)"
    )
    db.execute("create index audit_site on audit (site_id, id)")
    append_only(db, "audit", "the audit log is append-only")


@migrations()
def m006_reports(db: sqlite_utils.Database) -> None:
    """Appraisal settings and label serials (server.storage_reports)."""
    from server.storage_reports import m006_reports as apply

    apply(db)


@migrations()
def m007_alert_acks(db: sqlite_utils.Database) -> None:
    """Acknowledgements of the live view's alerts (who, when, comment): append-only, the
    latest for an alert decides (see `server.storage_alerts`)."""
    db.execute(
        "create table alert_acks (id integer primary key autoincrement, site_id text not null,"
        " alert_key text not null, user_id text not null, at text not null,"
        " comment text not null)"
    )
    db.execute("create index alert_acks_site on alert_acks (site_id, alert_key, id)")
    append_only(db, "alert_acks", "alert acknowledgements are append-only")


@migrations()
def m008_label_issues(db: sqlite_utils.Database) -> None:
    """Every print of each point's label, kept (server.storage_reports)."""
    from server.storage_reports import m008_label_issues as apply

    apply(db)


@migrations()
def m009_tickets(db: sqlite_utils.Database) -> None:
    """Anomaly tickets' and rectifications' follow-up events (server.storage_tickets)."""
    from server.storage_tickets import m009_tickets as apply

    apply(db)


@migrations()
def m010_alert_pushes(db: sqlite_utils.Database) -> None:
    """Which live-view alerts were pushed to a site's group robot, so a restart neither
    pushes them again nor forgets them (server.storage_alerts)."""
    from server.storage_alerts import m010_alert_pushes as apply

    apply(db)


@migrations()
def m012_coverage_marks(db: sqlite_utils.Database) -> None:
    """Per-day change marks of the records coverage reads (server.storage_coverage)."""
    from server.storage_coverage import m012_coverage_marks as apply

    apply(db)


@migrations()
def m013_site_weights_unset(db: sqlite_utils.Database) -> None:
    """Site settings' `appraisal_weights` now override the company's weights, and None
    means "the company's". Before, every settings save stored the defaults there (the
    setting did nothing), so stored weights equal to those defaults become None: no site
    silently stops following its company's scheme."""
    defaults = {"coverage": 40, "punctuality": 30, "inspection": 20, "rectification": 10}
    for site_id, text in db.execute("select id, settings from sites").fetchall():
        try:
            data = json.loads(text) if text else None
        except ValueError:
            continue
        if isinstance(data, dict) and data.get("appraisal_weights") == defaults:
            data["appraisal_weights"] = None
            db.execute(
                "update sites set settings = ? where id = ?",
                [json.dumps(data, sort_keys=True), site_id],
            )


@migrations()
def m014_point_scans_index(db: sqlite_utils.Database) -> None:
    """Scans by point and time: ingest reads a few of a point's scans near each new scan
    (repeat and burst flags) in one indexed lookup, however busy the site."""
    db.execute(
        "create index if not exists records_point_scans on records (point_id, device_time)"
        " where kind = 'scan'"
    )


@migrations()
def m016_password_to_change(db: sqlite_utils.Database) -> None:
    """A password an admin set or generated (a new account, a reset, the first admin) is
    known to someone else: its owner must choose their own at the next console sign-in."""
    db.execute("alter table users add column password_to_change integer not null default 0")


@dataclass(frozen=True, slots=True)
class UserRow:
    id: str
    company_id: str
    username: str
    name: str
    role: str
    password_hash: str
    site_ids: tuple[str, ...]


@dataclass(slots=True)
class StoredRecord:
    """A record as stored. Not frozen only because frozen dataclasses are slow to build
    on the sync hot path; nothing updates one after it is made."""

    id: str
    kind: str
    site_id: str
    user_id: str
    device_id: str
    device_time: datetime
    received_at: datetime
    point_id: str | None
    refers_to: str | None
    body: dict[str, Any]
    photos: list[str]
    flags: list[str]


class Storage(
    TrustQueries, AdminQueries, ReportQueries, AlertQueries, TicketQueries, CoverageQueries
):
    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        conn.execute("PRAGMA busy_timeout = 5000")
        conn.execute("PRAGMA synchronous = NORMAL")
        self.db = sqlite_utils.Database(conn)
        self.db.enable_wal()
        migrations.apply(self.db)
        self._memo: dict[Hashable, tuple[int, Any]] = {}
        self._generation, self._generation_stamp = 0, self._stamp()

    def close(self) -> None:
        self.db.close()

    def defer_checkpoints(self, backstop_pages: int = 20_000) -> None:
        """Leave WAL checkpoints to `server.checkpoint.WalCheckpointer`: this connection
        checkpoints only if the WAL passes `backstop_pages` (~80 MB), e.g. when that
        thread cannot keep up."""
        self.db.conn.execute(f"PRAGMA wal_autocheckpoint = {int(backstop_pages)}")

    # -- sites and places --------------------------------------------------------------

    def add_company(self, company_id: str, name: str) -> None:
        self.db.table("companies").insert({"id": company_id, "name": name})

    def add_site(
        self,
        *,
        site_id: str,
        company_id: str,
        name: str,
        tz: str,
        label_key: bytes,
        label_public_key: str,
        plan_sha: str | None = None,
    ) -> None:
        self.db.table("sites").insert(
            {
                "id": site_id,
                "company_id": company_id,
                "name": name,
                "tz": tz,
                "plan_sha": plan_sha,
                "label_key": label_key,
                "label_public_key": label_public_key,
            }
        )

    def site(self, site_id: str) -> dict[str, Any] | None:
        """The site's row (a copy: callers may change it), read on most requests."""
        row = self.cached(
            ("site", site_id),
            lambda: next(self.db.query("select * from sites where id = ?", [site_id]), None),
        )
        return dict(row) if row is not None else None

    def sites(self, site_ids: Iterable[str]) -> list[dict[str, Any]]:
        ids = list(site_ids)
        marks = ",".join("?" * len(ids))
        return list(self.db.table("sites").rows_where(f"id in ({marks})", ids, order_by="id"))

    def add_points(self, points: Iterable[Point]) -> None:
        """Points as they have always been (version 1, history from the start)."""
        points = list(points)
        with self.db.atomic():
            self.db.table("points").insert_all(
                point_to_dict(p)
                | {"checks": json.dumps(list(p.checks), ensure_ascii=False), "version": 1}
                for p in points
            )
            self.db.table("point_history").insert_all(
                {
                    "point_id": p.id,
                    "version": 1,
                    "site_id": p.site_id,
                    "data": json.dumps(point_to_dict(p), ensure_ascii=False, sort_keys=True),
                    "changed_at": "",
                    "changed_by": "",
                }
                for p in points
            )

    def points(self, site_id: str) -> list[Point]:
        rows = self.db.table("points").rows_where("site_id = ?", [site_id], order_by="id")
        return [point_from_dict(r | {"checks": json.loads(r["checks"])}) for r in rows]

    def add_route_version(self, site_id: str, route: RouteVersion) -> None:
        self.db.table("route_versions").insert(
            {
                "route_id": route.route_id,
                "version": route.version,
                "site_id": site_id,
                "name": route.name,
                "effective_from": iso(route.effective_from),
                "checkpoint_ids": json.dumps(list(route.checkpoint_ids)),
                "ordered": int(route.ordered),
                "not_before": json.dumps(route.not_before),
            }
        )

    def route_versions(self, site_id: str) -> dict[str, list[RouteVersion]]:
        routes: dict[str, list[RouteVersion]] = {}
        for r in self.db.table("route_versions").rows_where(
            "site_id = ?", [site_id], order_by="route_id, effective_from, version"
        ):
            routes.setdefault(r["route_id"], []).append(
                RouteVersion(
                    r["route_id"],
                    r["version"],
                    r["name"],
                    _time(r["effective_from"]),
                    tuple(json.loads(r["checkpoint_ids"])),
                    bool(r["ordered"]),
                    json.loads(r["not_before"]),
                )
            )
        return routes

    def add_schedule(self, schedule: Schedule) -> None:
        self.db.table("schedules").insert(_schedule_row(schedule))

    def change_schedule(self, schedule: Schedule) -> None:
        """Start a new version at `schedule.effective_from`; the old one ends there."""
        with self.db.atomic():
            self.db.execute(
                "update schedules set effective_to = ? where id = ? and effective_to is null",
                [iso(schedule.effective_from), schedule.id],
            )
            self.db.table("schedules").insert(_schedule_row(schedule))

    def schedules(self, site_id: str) -> list[Schedule]:
        return [
            _schedule_from_row(r)
            for r in self.db.table("schedules").rows_where(
                "site_id = ?", [site_id], order_by="id, version"
            )
        ]

    def add_template(self, template: Template, site_id: str = "") -> None:
        self.db.table("templates").insert(
            {
                "site_id": site_id,
                "id": template.id,
                "version": template.version,
                "data": json.dumps(template_to_dict(template), ensure_ascii=False),
            }
        )

    def templates(self, site_id: str) -> list[Template]:
        """Every version a site can use: the defaults, its company's templates
        (`company_scope`) and its own edits."""
        return [t for _, t in self.scoped_templates(site_id)]

    def company_templates(self, scope: str) -> list[Template]:
        """Every version kept under one scope (a company's `company:<id>`)."""
        rows = self.db.table("templates").rows_where("site_id = ?", [scope], order_by="id, version")
        return [template_from_dict(json.loads(r["data"])) for r in rows]

    def scoped_templates(self, site_id: str) -> list[tuple[str, Template]]:
        """`templates` with where each version is kept: '' (the built-in defaults),
        `company_scope(company)` or the site's id."""
        rows = self.db.execute(
            "select site_id, data from templates where site_id in ('', ?, "
            "(select 'company:' || company_id from sites where id = ?)) order by id, version",
            [site_id, site_id],
        ).fetchall()
        return [(r[0], template_from_dict(json.loads(r[1]))) for r in rows]

    # -- users and tokens ----------------------------------------------------------------

    def add_user(
        self,
        *,
        user_id: str,
        company_id: str,
        username: str,
        name: str,
        role: str,
        password_hash: str,
        site_ids: Sequence[str],
        password_to_change: bool = False,
    ) -> None:
        with self.db.atomic():
            self.db.table("users").insert(
                {
                    "id": user_id,
                    "company_id": company_id,
                    "username": username,
                    "name": name,
                    "role": role,
                    "password_hash": password_hash,
                    "active": 1,
                    "password_to_change": int(password_to_change),
                }
            )
            self.db.table("user_sites").insert_all(
                {"user_id": user_id, "site_id": s} for s in site_ids
            )

    def _user(self, where: str, args: list[str]) -> UserRow | None:
        rows = list(self.db.table("users").rows_where(f"{where} and active = 1", args))
        if not rows:
            return None
        r = rows[0]
        sites = tuple(
            s["site_id"]
            for s in self.db.table("user_sites").rows_where(
                "user_id = ?", [r["id"]], order_by="site_id"
            )
        )
        return UserRow(
            r["id"], r["company_id"], r["username"], r["name"], r["role"], r["password_hash"], sites
        )

    def user_by_name(self, username: str) -> UserRow | None:
        return self._user("username = ?", [username])

    def user(self, user_id: str) -> UserRow | None:
        return self._user("id = ?", [user_id])

    def site_users(self, site_id: str) -> list[dict[str, str]]:
        return list(
            self.db.query(
                "select u.id, u.name, u.role from users u join user_sites s on s.user_id = u.id"
                " where s.site_id = ? and u.active = 1 order by u.id",
                [site_id],
            )
        )

    def set_password_hash(self, user_id: str, password_hash: str) -> None:
        self.db.table("users").update(user_id, {"password_hash": password_hash})

    def add_token(self, token_hash: str, user_id: str, device_id: str, at: datetime) -> None:
        self.db.table("tokens").insert(
            {
                "token_hash": token_hash,
                "user_id": user_id,
                "device_id": device_id,
                "created_at": iso(at),
                "revoked_at": None,
            }
        )

    def token_user(self, token_hash: str, issued_after: datetime) -> tuple[str, str] | None:
        """(user id, device id) of a token neither revoked nor issued before `issued_after`."""
        rows = list(
            self.db.query(
                "select user_id, device_id from tokens where token_hash = ?"
                " and revoked_at is null and created_at >= ?",
                [token_hash, iso(issued_after)],
            )
        )
        return (rows[0]["user_id"], rows[0]["device_id"]) if rows else None

    def revoke_token(self, token_hash: str, at: datetime) -> None:
        self.db.execute(
            "update tokens set revoked_at = ? where token_hash = ?", [iso(at), token_hash]
        )

    # -- records -------------------------------------------------------------------------

    def existing_record_ids(self, ids: Sequence[str]) -> set[str]:
        found: set[str] = set()
        for chunk_start in range(0, len(ids), 500):
            chunk = list(ids[chunk_start : chunk_start + 500])
            marks = ",".join("?" * len(chunk))
            found.update(
                row[0]
                for row in self.db.execute(f"select id from records where id in ({marks})", chunk)
            )
        return found

    def record_owners(self, ids: Sequence[str]) -> dict[str, tuple[str, str]]:
        """(site id, user id) of each of these ids that is stored."""
        found: dict[str, tuple[str, str]] = {}
        for chunk_start in range(0, len(ids), 500):
            chunk = list(ids[chunk_start : chunk_start + 500])
            marks = ",".join("?" * len(chunk))
            found.update(
                (i, (s, u))
                for i, s, u in self.db.execute(
                    f"select id, site_id, user_id from records where id in ({marks})", chunk
                )
            )
        return found

    def insert_records(self, records: Sequence[StoredRecord]) -> set[str]:
        """Append records in one transaction, each linked into its site's hash chain.
        Records are never updated or deleted.

        The write lock is taken first (BEGIN IMMEDIATE), so the ids are checked and the
        chain heads read by the one writer: an id another connection stored meanwhile is
        not inserted but returned, for the caller to answer as a duplicate.
        """
        received = {at: iso(at) for at in {r.received_at for r in records}}  # one a batch
        rows = [
            (
                r.id,
                r.kind,
                r.site_id,
                r.user_id,
                r.device_id,
                iso(r.device_time),
                received[r.received_at],
                r.point_id,
                r.refers_to,
                _to_json(r.body),
                _to_json(r.photos),
                _to_json(r.flags),
            )
            for r in records
        ]
        conn = self.db.conn
        with self._immediate():
            clean = self._stamp() == self._generation_stamp
            taken = self.existing_record_ids([r.id for r in records])
            if taken:
                rows = [row for row in rows if row[0] not in taken]
            heads = {site: self._chain_head_row(site) for site in {row[2] for row in rows}}
            chained = []
            for row in rows:
                seq, previous = heads[row[2]]
                body_hash = chain_digest(row)
                chain_hash = chain_link(previous, body_hash)
                heads[row[2]] = (seq + 1, chain_hash)
                chained.append((*row, seq + 1, previous, body_hash, chain_hash))
            conn.executemany(
                "insert into records (id, kind, site_id, user_id, device_id, device_time,"
                " received_at, point_id, refers_to, body, photos, flags,"
                " chain_seq, prev_hash, body_hash, chain_hash)"
                " values (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                chained,
            )
            self._mark_coverage_days(rows)
            links = [(sha, r.id) for r in records if r.id not in taken for sha in r.photos]
            conn.executemany("insert or ignore into record_photos values (?, ?)", links)
            data_version = self._data_version()
        if clean:  # only records were added: what `cached` holds is still true
            self._generation_stamp = (conn.total_changes, data_version)
        return taken

    @contextmanager
    def _immediate(self) -> Iterator[None]:
        """A write transaction that holds SQLite's write lock from its first statement."""
        conn = self.db.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def records(
        self,
        site_id: str,
        kinds: Sequence[str],
        start: datetime | None = None,
        end: datetime | None = None,
        user_id: str | None = None,
    ) -> Iterator[StoredRecord]:
        where = ["site_id = ?", f"kind in ({','.join('?' * len(kinds))})"]
        args: list[Any] = [site_id, *kinds]
        if start is not None:
            where.append("device_time >= ?")
            args.append(iso(start))
        if end is not None:
            where.append("device_time < ?")
            args.append(iso(end))
        if user_id is not None:
            where.append("user_id = ?")
            args.append(user_id)
        sql = f"select * from records where {' and '.join(where)} order by device_time, id"
        return _readable(self.db.query(sql, args))

    def scan_facts(self, site_id: str, start: datetime, end: datetime) -> list[ScanFact]:
        """Just what coverage needs of the scans in [start, end) that count: the hot read.

        Scans held for review (a label that failed its check) or rejected by a reviewer are
        left out; `scan_standings` gives them too.
        """
        return self.scan_standings(site_id, start, end).counted

    def record(self, record_id: str) -> StoredRecord | None:
        rows = self.db.query("select * from records where id = ?", [record_id])
        return next(_readable(rows), None)

    def records_referring_to(self, record_ids: Sequence[str]) -> list[StoredRecord]:
        marks = ",".join("?" * len(record_ids))
        return list(
            _readable(
                self.db.query(
                    f"select * from records where refers_to in ({marks}) order by device_time",
                    list(record_ids),
                )
            )
        )

    # -- records set aside ---------------------------------------------------------------

    def quarantined(self, site_id: str, limit: int = 500) -> list[dict[str, Any]]:
        """A site's records set aside as unreadable, newest first, exactly as stored."""
        return list(
            self.db.query(
                f"select {_RECORD_COLUMNS}, reason, quarantined_at from quarantine"
                " where site_id = ? order by quarantined_at desc, id limit ?",
                [site_id, limit],
            )
        )

    def photos_used(self, shas: Iterable[str]) -> set[str]:
        """Photo hashes that some stored record already refers to."""
        wanted = list(set(shas))
        if not wanted:
            return set()
        marks = ",".join("?" * len(wanted))
        return {
            r[0]
            for r in self.db.execute(
                f"select distinct sha from record_photos where sha in ({marks})", wanted
            )
        }

    # -- photos --------------------------------------------------------------------------

    def add_photo(
        self,
        *,
        sha: str,
        site_id: str,
        mime: str,
        size: int,
        width: int,
        height: int,
        uploaded_by: str,
        at: datetime,
        phash: str | None = None,
    ) -> None:
        self.db.table("photos").insert(
            {
                "sha": sha,
                "site_id": site_id,
                "mime": mime,
                "bytes": size,
                "width": width,
                "height": height,
                "uploaded_by": uploaded_by,
                "uploaded_at": iso(at),
                "phash": phash,
            },
            ignore=True,
        )

    def photos_on_site(self, site_id: str, shas: Iterable[str]) -> set[str]:
        wanted = list(set(shas))
        if not wanted:
            return set()
        marks = ",".join("?" * len(wanted))
        return {
            r[0]
            for r in self.db.execute(
                f"select sha from photos where site_id = ? and sha in ({marks})", [site_id, *wanted]
            )
        }

    def photo(self, site_ids: Sequence[str], sha: str) -> dict[str, Any] | None:
        marks = ",".join("?" * len(site_ids))
        rows = list(
            self.db.query(
                f"select * from photos where sha = ? and site_id in ({marks}) limit 1",
                [sha, *site_ids],
            )
        )
        return rows[0] if rows else None

    # -- caching what rarely changes (one server process per data folder) ------------------

    def _data_version(self) -> int:
        return int(self.db.conn.execute("PRAGMA data_version").fetchone()[0])

    def _stamp(self) -> tuple[int, int]:
        """Moves on whenever this connection writes anything or another one commits."""
        return self.db.conn.total_changes, self._data_version()

    def generation(self) -> int:
        """A number that changes whenever anything but a record insert was written, by this
        connection or any other: sites, points, routes, schedules, users, tokens, photos."""
        stamp = self._stamp()
        if stamp != self._generation_stamp:
            self._generation, self._generation_stamp = self._generation + 1, stamp
        return self._generation

    def cached(self, key: Hashable, load: Callable[[], T]) -> T:
        """`load()`, remembered until the next write that is not a record insert.

        For reads made on every request (the caller's token and user, a site's points,
        routes and templates for ingest) that only such writes can change.
        """
        generation = self.generation()
        hit = self._memo.get(key)
        if hit is not None and hit[0] == generation:
            return cast(T, hit[1])
        value = load()
        if len(self._memo) >= 10_000:
            self._memo.clear()
        self._memo[key] = (generation, value)
        return value

    def token_info(self, token_hash: str) -> tuple[str, str, datetime] | None:
        """(user id, device id, issued at) of a token that is not revoked."""
        row = self.db.execute(
            "select user_id, device_id, created_at from tokens where token_hash = ?"
            " and revoked_at is null",
            [token_hash],
        ).fetchone()
        return (row[0], row[1], _time(row[2])) if row else None

    # -- tamper evidence (domain.chain) ---------------------------------------------------

    def _chain_head_row(self, site_id: str) -> tuple[int, str]:
        row = self.db.execute(
            "select chain_seq, chain_hash from records where site_id = ?"
            " and chain_seq is not null order by chain_seq desc limit 1",
            [site_id],
        ).fetchone()
        return (row[0], row[1]) if row else (0, GENESIS)

    def chain_head(self, site_id: str) -> tuple[int, str]:
        """(number of records, newest link) of a site's chain; (0, GENESIS) when empty."""
        return self._chain_head_row(site_id)

    def chain_sites(self) -> list[str]:
        return [r[0] for r in self.db.execute("select id from sites order by id")]

    def record_count(self) -> int:
        return int(self.db.execute("select count(*) from records").fetchone()[0])

    def blob_shas(self) -> set[str]:
        """Every photo and plan the database names (what a backup must carry)."""
        rows = self.db.execute(
            "select sha from photos union select plan_sha from sites where plan_sha is not null"
        )
        return {r[0] for r in rows}

    def chain_rows(self, site_id: str) -> Iterator[ChainRow]:
        """A site's records in chain order, with their stored hashes (records not yet
        chained, e.g. slipped in by hand, come last with no place)."""
        cursor = self.db.conn.execute(
            f"select chain_seq, {', '.join(CHAIN_FIELDS)}, prev_hash, body_hash, chain_hash"
            " from records where site_id = ? order by chain_seq is null, chain_seq, rowid",
            [site_id],
        )
        for seq, *fields, prev_hash, body_hash, chain_hash in cursor:
            yield ChainRow(
                seq or 0,
                fields[0],
                tuple(fields),
                prev_hash or "",
                body_hash or "",
                chain_hash or "",
            )


def _schedule_row(s: Schedule) -> dict[str, Any]:
    row = schedule_to_dict(s)
    return row | {
        "fixed_times": json.dumps(row["fixed_times"]),
        "weekdays": json.dumps(row["weekdays"]),
    }


def _schedule_from_row(r: dict[str, Any]) -> Schedule:
    return schedule_from_dict(
        r | {"fixed_times": json.loads(r["fixed_times"]), "weekdays": json.loads(r["weekdays"])}
    )


def _readable(rows: Iterable[dict[str, Any]]) -> Iterator[StoredRecord]:
    """Records from rows, leaving out (and logging) any that reports could not read, so
    one bad record never breaks a report. The migration sets such rows aside for good;
    this keeps reads total over whatever else is stored (e.g. a restored old copy)."""
    for r in rows:
        try:
            record = _record_from_row(r)
            problem = stored_record_problem(
                record.kind, record.device_time, record.received_at, record.body
            )
        except (TypeError, ValueError) as exc:
            problem = f"unreadable: {exc}"[:200]
        if problem is None:
            yield record
        else:
            log.warning("record %s left out of a read: %s", r.get("id"), problem)


def _record_from_row(r: dict[str, Any]) -> StoredRecord:
    return StoredRecord(
        r["id"],
        r["kind"],
        r["site_id"],
        r["user_id"],
        r["device_id"],
        _time(r["device_time"]),
        _time(r["received_at"]),
        r["point_id"],
        r["refers_to"],
        orjson.loads(r["body"]),
        orjson.loads(r["photos"]),
        orjson.loads(r["flags"]),
    )
