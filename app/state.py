"""The field app without its screens: what guards, cleaners and supervisors do.

Every action writes its record to the local store before it returns, so the screen can
say "saved" with no network. Today's rounds and areas are computed on the phone with the
same coverage engine the server uses, from the config and this device's own records.
Refusals carry an i18n key (`Refusal.key`) that the screen shows to the user.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from app.photos import process_photo
from app.store import PENDING, SENT, LocalStore, OutboxRecord
from app.sync import (
    AuthExpired,
    LoginThrottled,
    Offline,
    ServerBusy,
    ServerClient,
    SyncError,
    SyncReport,
    backoff_seconds,
    sync_once,
)
from domain.config import route_from_dict, schedule_from_dict
from domain.coverage import OPEN_ROUND, RoundFact, RoundState, ScanFact, expected_visits, judge
from domain.labels import LabelError, read_label, short_codes_match
from domain.models import PointKind
from domain.schedules import current_shift
from domain.scoring import inspection_score

__all__ = ["FORMS", "FieldApp", "Inspection", "Refusal", "RoundItem", "Status"]

# The forms whose drafts are kept in the local store until saved or discarded.
FORMS = ("checks", "anomaly", "finish", "handover", "fix", "inspection", "recheck")

ClientFactory = Callable[[str, str | None], ServerClient]


class Refusal(Exception):
    """An action that cannot be done; `key` names the message shown to the user."""

    def __init__(self, key: str, **params: Any) -> None:
        super().__init__(key)
        self.key, self.params = key, params


PROBE_SECONDS = 5.0  # while offline: a cheap probe this often, and send once it answers
RETRY_SECONDS = 15.0  # after a refusal or an answer not understood


@dataclass(frozen=True, slots=True)
class Status:
    pending: int
    photos_waiting: int
    last_sync: datetime | None
    error: str  # an i18n key ("offline", "server_error", …), or ""
    offline: bool
    rejected: int
    detail: str = ""  # the server's own words about a refusal, for a lead to read


@dataclass(frozen=True, slots=True)
class RoundItem:
    key: str
    schedule_id: str | None  # None: an extra (voluntary) round
    route_id: str
    route_name: str
    due: datetime | None  # the occurrence; for an extra round, when it was started
    state: RoundState
    done: int
    total: int
    overdue: bool
    round_id: str | None  # set once this device started it
    opens: datetime | None = None  # from when "Start" is offered (the early allowance)
    day_offset: int = 0  # the round's local day against today's: -1 yesterday, 1 tomorrow

    def can_start(self, now: datetime) -> bool:
        """Start (or continue) is offered: begun already, or within its early allowance."""
        if self.state in (RoundState.COMPLETED, RoundState.MISSED, RoundState.INCOMPLETE):
            return False
        return self.round_id is not None or self.opens is None or now >= self.opens


@dataclass(slots=True)
class ActiveRound:
    round_id: str
    route_id: str
    route_name: str
    checkpoint_ids: list[str]
    scanned: dict[str, str]  # point id -> scan record id

    @property
    def done(self) -> int:
        return len(self.scanned)

    @property
    def total(self) -> int:
        return len(self.checkpoint_ids)

    @property
    def left(self) -> list[str]:
        return [p for p in self.checkpoint_ids if p not in self.scanned]


@dataclass(slots=True)
class Inspection:
    point: dict[str, Any]
    template: dict[str, Any]
    results: dict[str, str] = field(default_factory=dict)
    photos: dict[str, list[str]] = field(default_factory=dict)
    assignee_id: str | None = None  # who fixes failed items; None: any cleaner of the site

    @property
    def score(self) -> float | None:
        return inspection_score(self.results)

    @property
    def failed(self) -> list[str]:
        """The items marked fail, in the template's order: each opens a rectification."""
        return [i["key"] for i in self.template["items"] if self.results.get(i["key"]) == "fail"]


def _new_id() -> str:
    return uuid.uuid4().hex


class FieldApp:
    def __init__(
        self,
        store: LocalStore,
        client_factory: ClientFactory = ServerClient,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.store = store
        self.client_factory = client_factory
        self.clock = clock
        self.sync_failures = 0  # server errors in a row: back off
        self.offline = False  # the last attempt could not reach the server: probe
        self.sync_trouble = False  # refused or not understood: retry, but not at once

    # -- session ---------------------------------------------------------------------------

    @property
    def signed_in(self) -> bool:
        return bool(self.store.get("token")) and self.store.get("config") is not None

    @property
    def user(self) -> dict[str, Any]:
        return self.store.get("user") or {}

    @property
    def role(self) -> str:
        return self.user.get("role", "")

    @property
    def lang(self) -> str:
        return self.store.get("lang", "zh")

    def toggle_lang(self) -> None:
        self.store.put(lang="en" if self.lang == "zh" else "zh")

    @property
    def device_id(self) -> str:
        device_id = self.store.get("device_id")
        if not device_id:
            device_id = f"dev-{_new_id()[:16]}"
            self.store.put(device_id=device_id)
        return device_id

    @property
    def site(self) -> dict[str, Any]:
        sites = (self.store.get("config") or {}).get("sites", [])
        chosen = self.store.get("site_id")
        return next((s for s in sites if s["id"] == chosen), sites[0] if sites else {})

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.site.get("tz", "Asia/Shanghai"))

    def choose_site(self, site_id: str) -> None:
        if self.store.get("active_round"):
            raise Refusal("finish_round_first")
        self.store.put(site_id=site_id)

    def point(self, point_id: str) -> dict[str, Any] | None:
        return next((p for p in self.site.get("points", []) if p["id"] == point_id), None)

    async def login(self, server_url: str, username: str, password: str) -> None:
        client = self.client_factory(server_url.rstrip("/"), None)
        try:
            session = await client.login(username.strip(), password, self.device_id)
        except Offline as exc:
            raise Refusal("first_login_needs_network") from exc
        except LoginThrottled as exc:
            raise Refusal("too_many_logins") from exc
        except SyncError as exc:
            raise Refusal("wrong_login") from exc
        finally:
            await client.close()
        previous = self.user
        if previous and previous["id"] != session["user"]["id"] and self.store.count(PENDING):
            # Records are sent under the signed-in person's token: the last person's
            # unsent records must go up under their own name first.
            raise Refusal("pending_for_other", name=previous["name"])
        self.store.put(
            server_url=server_url.rstrip("/"),
            token=session["token"],
            user=session["user"],
            config_etag=None,
            needs_login=False,
        )
        await self.sync()
        if self.store.get("config") is None:
            raise Refusal("first_login_needs_network")

    def logout(self) -> None:
        """Forget the session; `user` stays, to know whose unsent records these are."""
        self.store.forget("token", "config", "config_etag", "active_round", "site_id")

    # -- drafts ---------------------------------------------------------------------------
    # What a person typed or chose in a form is in the local store from the moment they
    # did it, so a photo, a refresh, a sync, a language switch or a restart loses nothing.

    def draft(self, form: str, context: str = "") -> dict[str, Any]:
        """The unsaved fields of `form` opened for `context` (a scan, a round, a fix…);
        empty when there is none, or it belongs to another context."""
        saved = self.store.get(f"draft:{form}") or {}
        return dict(saved.get("fields") or {}) if saved.get("context") == context else {}

    def save_draft(self, form: str, context: str = "", **fields: Any) -> dict[str, Any]:
        """Keep fields typed or chosen in `form`, merged into its draft."""
        merged = self.draft(form, context) | fields
        self.store.put(**{f"draft:{form}": {"context": context, "fields": merged}})
        return merged

    def discard_draft(self, form: str) -> None:
        self.store.forget(f"draft:{form}")

    def remember_form(self, form: str, **context: Any) -> None:
        """The form on screen, to reopen it after a refresh or a restart."""
        self.store.put(open_form={"form": form, **context})

    def open_form(self) -> dict[str, Any] | None:
        return self.store.get("open_form")

    def forget_form(self) -> None:
        self.store.forget("open_form")

    # -- sync -----------------------------------------------------------------------------

    def status(self) -> Status:
        last = self.store.get("last_sync")
        return Status(
            self.store.count("pending"),
            self.store.count_photos_waiting(),
            datetime.fromisoformat(last) if last else None,
            self.store.get("sync_error", ""),
            self.offline or self.sync_failures > 0,
            self.store.count("rejected"),
            self.store.get("sync_error_detail", ""),
        )

    def next_sync_in(self) -> float:
        """Seconds to the next attempt: a quick probe while offline, backing off only
        while the server answers with errors of its own."""
        if self.sync_failures:
            return backoff_seconds(self.sync_failures)
        if self.offline:
            return PROBE_SECONDS
        if self.sync_trouble:
            return RETRY_SECONDS
        return backoff_seconds(0)

    async def reachable(self) -> bool:
        """A cheap probe of the server, for the sync loop while offline."""
        url = self.store.get("server_url")
        if not url:
            return False
        client = self.client_factory(url, None)
        try:
            return await client.probe()
        finally:
            await client.close()

    def _sync_failed(self, key: str, detail: str = "") -> None:
        self.store.put(sync_error=key, sync_error_detail=detail)

    async def sync(self) -> SyncReport | None:
        """One sync attempt; failures are recorded for the status line, never raised."""
        token = self.store.get("token")
        if not token:
            return None
        client = self.client_factory(self.store.get("server_url"), token)
        try:
            report = await sync_once(self.store, client)
        except AuthExpired:
            self.store.put(sync_error="login_expired", needs_login=True)
            return None
        except ServerBusy as exc:
            self.sync_failures += 1
            self._sync_failed("server_error", str(exc))
            return None
        except Offline as exc:
            self.sync_failures, self.offline = 0, True
            self._sync_failed("offline_error", str(exc))
            return None
        except SyncError as exc:
            self.sync_failures, self.offline, self.sync_trouble = 0, False, True
            self._sync_failed("server_refused", str(exc))
            return None
        except (KeyError, TypeError, ValueError) as exc:  # an answer of an unexpected shape
            self.sync_failures, self.offline, self.sync_trouble = 0, False, True
            self._sync_failed("answer_not_understood", repr(exc))
            return None
        except OSError as exc:  # a photo file that cannot be read: keep the rest retrying
            self.sync_failures, self.offline, self.sync_trouble = 0, False, True
            self._sync_failed("photo_unreadable", str(exc))
            return None
        finally:
            await client.close()
        self.sync_failures, self.offline, self.sync_trouble = 0, False, False
        self.store.put(sync_error_detail="")
        if report.rejected:
            self.store.put(last_rejection=report.rejected[-1][1])
        return report

    async def photo(self, sha: str) -> bytes | None:
        """A photo from this phone, or else from the server (a "before" photo taken by the
        supervisor); None when neither has it or the phone is offline."""
        path = self.store.photo_path(sha)
        if path.exists():
            return path.read_bytes()
        client = self.client_factory(self.store.get("server_url"), self.store.get("token"))
        try:
            return await client.photo(self.site["id"], sha)
        except SyncError:
            return None
        finally:
            await client.close()

    # -- records ----------------------------------------------------------------------------

    def _record(self, kind: str, **fields: Any) -> dict[str, Any]:
        """Commit a record to the outbox; the photos it names are already on disk."""
        photos = list(fields.get("photos") or [])
        for shas in (fields.get("item_photos") or {}).values():
            photos += shas
        record = {
            "id": _new_id(),
            "kind": kind,
            "site_id": self.site["id"],
            "device_time": self.clock().isoformat(),
            **fields,
        }
        self.store.add_record(record, photos)
        return record

    def take_photo(self, raw: bytes, place: str) -> str:
        """Process a camera image (stamp, resize) and keep it; returns its hash."""
        now = self.clock()
        stamp = [
            f"{now.astimezone(self.tz):%Y-%m-%d %H:%M:%S} {self.site.get('name', '')}",
            f"{place} · {self.user.get('name', '')}",
        ]
        photo = process_photo(raw, stamp)
        self.store.save_photo(photo.sha256, photo.jpeg, photo.thumbnail, self.site["id"], now)
        return photo.sha256

    def _my_records(self, since: datetime, *kinds: str) -> list[OutboxRecord]:
        """This person's records: made on this phone, and those the server had at the last
        sync from other devices or before a reinstall."""
        local = self.store.records(self.site["id"], since, kinds)
        known = {r.id for r in local}
        synced = [
            OutboxRecord(
                0,
                r["id"],
                r["kind"],
                r["site_id"],
                datetime.fromisoformat(r["device_time"]),
                r,
                [],
                SENT,
                "",
            )
            for r in self.store.get(f"my_records:{self.site['id']}") or []
            if r["id"] not in known
            and r["kind"] in kinds
            and datetime.fromisoformat(r["device_time"]) >= since
        ]
        return sorted(local + synced, key=lambda r: r.device_time)

    # -- reading labels ------------------------------------------------------------------

    def identify(self, payload: str, method: str = "qr") -> dict[str, Any]:
        """The point a scanned label or typed code names, checked offline."""
        if method == "typed":
            points = self.site.get("points", [])
            point = next((p for p in points if short_codes_match(payload, p["short_code"])), None)
            if point is None:
                raise Refusal("unknown_code")
            return point
        sites = (self.store.get("config") or {}).get("sites", [])
        try:
            label = read_label(payload, {s["id"]: s["label_public_key"] for s in sites})
        except LabelError as exc:
            raise Refusal(exc.reason) from exc
        if label.site_id != self.site["id"]:
            raise Refusal("other_site")
        point = self.point(label.point_id)
        if point is None:
            raise Refusal("point_removed")
        return point

    # -- guards ---------------------------------------------------------------------------

    def _round_facts(self, since: datetime) -> dict[str, RoundFact]:
        records = self._my_records(since, "round_start", "round_finish")
        finishes = {r.record["round_id"]: r for r in records if r.kind == "round_finish"}
        facts = {}
        for r in records:
            if r.kind != "round_start":
                continue
            body, finish = r.record, finishes.get(r.id)
            occurrence = body.get("occurrence")
            facts[r.id] = RoundFact(
                r.id,
                body["route_id"],
                self.user.get("id", ""),
                r.device_time,
                body.get("schedule_id"),
                datetime.fromisoformat(occurrence) if occurrence else None,
                body.get("route_version"),
                finished_at=finish.device_time if finish else None,
                finish_reason=finish.record.get("reason", "") if finish else "",
            )
        return facts

    def _window(self) -> tuple[datetime, datetime]:
        """Rounds shown on the today screen: the current shift in site time (08:00–20:00
        or 20:00–08:00), and what is still open from the shift before."""
        return current_shift(self.clock(), self.tz)

    def today_rounds(self) -> list[RoundItem]:
        """The current shift's rounds in time order, each dated against today; rounds
        from the shift before while still open, or if this person walked them; and the
        extra rounds started in this shift."""
        site, now, tz = self.site, self.clock(), self.tz
        start, end = self._window()
        earlier = start - OPEN_ROUND
        routes = {r["id"]: r for r in site.get("routes", [])}
        schedules = [
            schedule_from_dict(s)
            for s in site.get("schedules", [])
            if s["target_kind"] == "route" and s["target_id"] in routes
        ]
        # The phone holds only each route's current version: it stands for the whole window.
        epoch = datetime(2000, 1, 1, tzinfo=UTC)
        versions = {
            rid: [replace(route_from_dict(r), effective_from=epoch)] for rid, r in routes.items()
        }
        visits, rounds = expected_visits(schedules, versions, tz, earlier, end)
        facts = self._round_facts(earlier - timedelta(hours=2))
        scans = [
            ScanFact(r.id, r.record["point_id"], "me", r.device_time, r.record.get("round_id"))
            for r in self._my_records(earlier - timedelta(hours=2), "scan")
        ]
        coverage = judge(visits, rounds, scans, facts, now)
        by_key = {f.key: f for f in facts.values() if f.key}
        today = now.astimezone(tz).date()

        def offset(at: datetime) -> int:
            return (at.astimezone(tz).date() - today).days

        items = []
        for r in rounds:
            open_now = r.state in (RoundState.NOT_STARTED, RoundState.IN_PROGRESS)
            if r.due < start and not (open_now or r.fact is not None):
                continue  # the shift before, not walked by this person: the lead's report
            fact = by_key.get(r.key)
            items.append(
                RoundItem(
                    r.key,
                    r.schedule_id,
                    r.route_id,
                    routes[r.route_id]["name"],
                    r.due,
                    r.state,
                    r.done,
                    r.total,
                    overdue=open_now and now > r.closes,
                    round_id=fact.id if fact else None,
                    opens=r.opens,
                    day_offset=offset(r.due),
                )
            )
        extra_done = Counter(s.round_id for s in coverage.voluntary_scans)
        for fact in coverage.voluntary_rounds:
            if fact.started_at < start or fact.route_id not in routes:
                continue
            total = len(routes[fact.route_id]["checkpoint_ids"])
            done = extra_done[fact.id]
            state = (
                RoundState.COMPLETED
                if done >= total
                else RoundState.INCOMPLETE
                if fact.finished_at
                else RoundState.IN_PROGRESS
            )
            items.append(
                RoundItem(
                    f"extra:{fact.id}",
                    None,
                    fact.route_id,
                    routes[fact.route_id]["name"],
                    fact.started_at,
                    state,
                    done,
                    total,
                    overdue=False,
                    round_id=fact.id,
                    day_offset=offset(fact.started_at),
                )
            )
        items.sort(key=lambda i: i.due or now)
        return items

    def start_round(self, route_id: str, item: RoundItem | None = None) -> ActiveRound:
        """Start (or resume) a scheduled round, or an extra one when `item` is None."""
        if item is not None and item.round_id:
            self.store.put(active_round=item.round_id)
            return self.active_round()  # type: ignore[return-value]
        if item is not None and not item.can_start(self.clock()):
            raise Refusal(
                "not_yet", at=f"{item.opens.astimezone(self.tz):%H:%M}" if item.opens else ""
            )
        route = next(r for r in self.site["routes"] if r["id"] == route_id)
        fields: dict[str, Any] = {"route_id": route_id, "route_version": route["version"]}
        if item is not None and item.schedule_id and item.due:
            fields |= {"schedule_id": item.schedule_id, "occurrence": item.due.isoformat()}
        record = self._record("round_start", **fields)
        self.store.put(active_round=record["id"])
        return self.active_round()  # type: ignore[return-value]

    def active_round(self) -> ActiveRound | None:
        round_id = self.store.get("active_round")
        if not round_id:
            return None
        since = self.clock() - timedelta(days=2)
        records = self._my_records(since, "round_start", "scan", "round_finish")
        start = next((r for r in records if r.id == round_id), None)
        if start is None or any(
            r.kind == "round_finish" and r.record["round_id"] == round_id for r in records
        ):
            self.store.forget("active_round")
            return None
        route = next(
            (r for r in self.site.get("routes", []) if r["id"] == start.record["route_id"]), None
        )
        if route is None:
            raise Refusal("point_removed")
        scanned = {
            r.record["point_id"]: r.id
            for r in records
            if r.kind == "scan" and r.record.get("round_id") == round_id
        }
        return ActiveRound(
            round_id, route["id"], route["name"], list(route["checkpoint_ids"]), scanned
        )

    def scan_checkpoint(
        self, payload: str, method: str = "qr", gps: dict[str, float] | None = None
    ) -> tuple[dict[str, Any], str]:
        """Record a scan in the active round; returns the point and the scan's id."""
        active = self.active_round()
        point = self.identify(payload, method)
        if active is None:
            raise Refusal("not_on_route", name=point["name"])
        if point["id"] not in active.checkpoint_ids:
            raise Refusal("not_on_route", name=point["name"])
        if point["id"] in active.scanned:
            raise Refusal("already_scanned", name=point["name"])
        record = self._record(
            "scan",
            point_id=point["id"],
            payload=payload,
            method=method,
            round_id=active.round_id,
            gps=gps,
        )
        return point, record["id"]

    def answer_checks(
        self, point_id: str, scan_id: str, answers: dict[str, bool], photo: str | None = None
    ) -> None:
        """Save the point's check answers, with the photo a critical point requires."""
        point = self.point(point_id)
        if point is not None and point["requires_photo"] and not photo:
            raise Refusal("photo_required")
        if answers or photo:
            photos = [photo] if photo else []
            self._record(
                "checks", point_id=point_id, scan_id=scan_id, answers=answers, photos=photos
            )
        self.discard_draft("checks")

    def report_anomaly(
        self, point_id: str | None, scan_id: str | None, category: str, note: str, photo: str | None
    ) -> None:
        self._record(
            "anomaly",
            point_id=point_id,
            scan_id=scan_id,
            category=category,
            note=note,
            photos=[photo] if photo else [],
        )
        self.discard_draft("anomaly")

    def finish_round(self, reason: str = "") -> None:
        active = self.active_round()
        if active is None:
            return
        if active.left and not reason.strip():
            raise Refusal("finish_reason")
        self._record("round_finish", round_id=active.round_id, reason=reason.strip())
        self.store.forget("active_round")
        self.discard_draft("finish")

    def handover(self, note: str) -> None:
        if not note.strip():
            raise Refusal("handover_note")
        self._record("handover", note=note.strip())
        self.discard_draft("handover")

    # -- cleaners -------------------------------------------------------------------------

    def areas_today(self) -> list[tuple[dict[str, Any], list[datetime], int]]:
        """(area, due times today, scans today) for the site's scheduled areas."""
        site = self.site
        day = self.clock().astimezone(self.tz).date()
        start = datetime.combine(day, time(0), tzinfo=self.tz).astimezone(UTC)
        schedules = [
            schedule_from_dict(s) for s in site.get("schedules", []) if s["target_kind"] == "area"
        ]
        visits, _ = expected_visits(schedules, {}, self.tz, start, start + timedelta(days=1))
        scans = self._my_records(start, "scan")
        out = []
        for area in (p for p in site.get("points", []) if p["kind"] == PointKind.AREA):
            due = sorted(v.due for v in visits if v.point_id == area["id"])
            if due:
                done = sum(1 for s in scans if s.record["point_id"] == area["id"])
                out.append((area, due, done))
        return out

    def scan_area(
        self, payload: str, method: str = "qr", gps: dict[str, float] | None = None
    ) -> dict[str, Any]:
        point = self.identify(payload, method)
        if point["kind"] != PointKind.AREA:
            raise Refusal("not_an_area")
        self._record("scan", point_id=point["id"], payload=payload, method=method, gps=gps)
        return point

    def _rectifications(self) -> list[dict[str, Any]]:
        """The server's list, with this device's unsent fixes and re-checks applied on top
        (sent ones are in the server's list already)."""
        cached = self.store.get(f"rectifications:{self.site.get('id')}") or []
        local = self._my_records(self.clock() - timedelta(days=60), "rectification")
        out = []
        for rect in cached:
            mine = [
                r
                for r in local
                if r.status == PENDING
                and r.record["inspection_id"] == rect["inspection_id"]
                and r.record["item"] == rect["item"]
            ]
            state = rect["state"]
            for r in mine:
                if r.record["action"] == "fixed":
                    state = "fixed"
                elif r.record["action"] == "rechecked":
                    state = "closed" if r.record["passed"] else "open"
            if state != "closed":
                out.append(rect | {"state": state})
        return out

    def my_rectifications(self) -> list[dict[str, Any]]:
        return [r for r in self._rectifications() if r["state"] == "open"]

    def fix_rectification(self, rect: dict[str, Any], photo: str, note: str = "") -> None:
        self._record(
            "rectification",
            inspection_id=rect["inspection_id"],
            item=rect["item"],
            action="fixed",
            photos=[photo],
            note=note,
        )
        self.discard_draft("fix")

    # -- cleaning supervisors --------------------------------------------------------------

    def start_inspection(self, payload: str, method: str = "qr") -> Inspection:
        point = self.identify(payload, method)
        if point["kind"] != PointKind.AREA:
            raise Refusal("not_an_area")
        templates = [t for t in self.site["templates"] if t["id"] == point["template_id"]]
        template = max(templates, key=lambda t: t["version"])
        inspection = Inspection(point, template)
        self.save_inspection(inspection)
        return inspection

    def save_inspection(self, inspection: Inspection) -> None:
        """Keep an inspection in progress as a draft (see `draft`)."""
        self.store.put(
            **{
                "draft:inspection": {
                    "context": inspection.point["id"],
                    "fields": {
                        "template_id": inspection.template["id"],
                        "template_version": inspection.template["version"],
                        "results": inspection.results,
                        "photos": inspection.photos,
                        "assignee_id": inspection.assignee_id,
                    },
                }
            }
        )

    def inspection_draft(self) -> Inspection | None:
        """The inspection in progress, as it was left; None if there is none (or its
        area or template is gone from the config)."""
        saved = self.store.get("draft:inspection") or {}
        point = self.point(saved.get("context", ""))
        fields = saved.get("fields") or {}
        template = next(
            (
                t
                for t in self.site.get("templates", [])
                if t["id"] == fields.get("template_id")
                and t["version"] == fields.get("template_version")
            ),
            None,
        )
        if point is None or template is None:
            return None
        return Inspection(
            point,
            template,
            dict(fields.get("results") or {}),
            {k: list(v) for k, v in (fields.get("photos") or {}).items()},
            fields.get("assignee_id"),
        )

    def cleaners(self) -> list[dict[str, str]]:
        """The site's cleaners, to assign rectifications to."""
        return [p for p in self.site.get("people", []) if p["role"] == "cleaner"]

    def submit_inspection(self, inspection: Inspection) -> int:
        items = [i["key"] for i in inspection.template["items"]]
        missing = [k for k in items if k not in inspection.results]
        if missing:
            raise Refusal("unanswered", items=len(missing))
        failed = inspection.failed
        no_photo = [k for k in failed if not inspection.photos.get(k)]
        if no_photo:
            raise Refusal("fail_needs_photo", items=len(no_photo))
        item_photos = {k: inspection.photos[k] for k in failed}
        self._record(
            "inspection",
            point_id=inspection.point["id"],
            template_id=inspection.template["id"],
            template_version=inspection.template["version"],
            results=dict(inspection.results),
            item_photos=item_photos,
            assignee_id=inspection.assignee_id,
        )
        self.discard_draft("inspection")
        return len(failed)

    def recheck_queue(self) -> list[dict[str, Any]]:
        return [r for r in self._rectifications() if r["state"] == "fixed"]

    def recheck(self, rect: dict[str, Any], passed: bool, note: str = "") -> None:
        if rect.get("fixed_by") == self.user.get("id"):
            raise Refusal("own_fix")
        self._record(
            "rectification",
            inspection_id=rect["inspection_id"],
            item=rect["item"],
            action="rechecked",
            passed=passed,
            note=note,
        )
        self.discard_draft("recheck")
