"""The SQL of trust: which scans count, reviews, the review queue, and what the fraud
signals read at ingest (other scans of a point, photos' perceptual hashes).

A mixin of `server.storage.Storage` (import `Storage` from there), kept in its own module
so that storage.py stays readable in one sitting.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

import orjson
import sqlite_utils

from domain.coverage import ScanFact
from domain.signals import BURST_COUNT, BURST_WINDOW, REPEAT_WINDOW, PointScan
from domain.trust import Review, Standing, Verdict, standing
from server import storage as _storage

if TYPE_CHECKING:
    from server.storage import StoredRecord

__all__ = ["QueueState", "ScanStandings", "TrustQueries"]

QueueState = Literal["unreviewed", "reviewed", "all"]
_CHUNK = 500
# Ingest reads every stored scan near a batch's scans when there are at most this many
# per scan (plus a few): cheaper than probing; past it, probes keep the work bounded.
_READ_ALL_FACTOR, _READ_ALL_MIN = 4, 32


@dataclass(slots=True)
class ScanStandings:
    """The scans of a period split by standing (`domain.trust`).

    `pending` and `rejected` carry each scan's flags, for the report's review section.
    """

    counted: list[ScanFact] = field(default_factory=list)
    pending: list[tuple[ScanFact, list[str]]] = field(default_factory=list)
    rejected: list[tuple[ScanFact, list[str]]] = field(default_factory=list)


def _chunks(items: Sequence[str]) -> Iterable[list[str]]:
    for i in range(0, len(items), _CHUNK):
        yield list(items[i : i + _CHUNK])


class TrustQueries:
    db: sqlite_utils.Database

    # -- which scans count ---------------------------------------------------------------

    def scan_standings(
        self, site_id: str, start: datetime, end: datetime, flagged_only: bool = False
    ) -> ScanStandings:
        """The scans in [start, end), counted apart from those pending review or rejected.

        One indexed read of the period's scans; a scan with no flags (nearly all) counts
        with no further work, and only flagged ones have their reviews looked up.
        `flagged_only`: just the flagged scans (through their partial index), for a reader
        that has the unflagged ones already.
        """
        iso = _storage.iso
        span = [site_id, iso(start), iso(end)]
        parse = datetime.fromisoformat
        rows = (
            []
            if flagged_only
            else self._json_rows(
                "select id, point_id, user_id, device_time, body ->> '$.round_id' from records"
                " where site_id = ? and kind = 'scan' and device_time >= ? and device_time < ?"
                " and flags = '[]'",
                span,
            )
        )
        out = ScanStandings([ScanFact(i, p or "", u, parse(t), r) for i, p, u, t, r in rows])
        # The flagged few, through the partial index of flagged records.
        flagged = [
            (ScanFact(i, p or "", u, parse(t), r), orjson.loads(f))
            for i, p, u, t, r, f in self._json_rows(
                "select id, point_id, user_id, device_time, body ->> '$.round_id', flags"
                " from records indexed by records_flagged where site_id = ? and flags <> '[]'"
                " and device_time >= ?"
                " and device_time < ? and kind = 'scan'",
                span,
            )
        ]
        if flagged:
            reviews = self.latest_reviews(site_id, [fact.id for fact, _ in flagged])
            for fact, flags in flagged:
                state = standing(flags, reviews.get(fact.id))
                if state is Standing.COUNTED:
                    out.counted.append(fact)
                elif state is Standing.PENDING:
                    out.pending.append((fact, flags))
                else:
                    out.rejected.append((fact, flags))
        return out

    def _json_rows(self, sql: str, args: list[Any]) -> list[Any]:
        """Rows of a query that reads into record bodies; should a body be malformed (an
        old copy; the migration sets such records aside), again without such rows, so
        that one bad record never breaks a report. Costs nothing when the data is sound."""
        try:
            return self.db.execute(sql, args).fetchall()
        except sqlite3.OperationalError:
            return self.db.execute(f"{sql} and json_valid(body)", args).fetchall()

    # -- reviews -------------------------------------------------------------------------

    def reviews_of(self, site_id: str, record_ids: Sequence[str]) -> dict[str, list[Review]]:
        """Every review of each of `record_ids`, oldest first."""
        found: dict[str, list[Review]] = {}
        for chunk in _chunks(list(dict.fromkeys(record_ids))):
            marks = ",".join("?" * len(chunk))
            for target, user, at, verdict, reason in self.db.execute(
                "select refers_to, user_id, device_time, body ->> '$.verdict',"
                " body ->> '$.reason' from records"
                f" where refers_to in ({marks}) and kind = 'review' and site_id = ?"
                " order by device_time, id",
                [*chunk, site_id],
            ):
                try:
                    review = Review(target, Verdict(verdict), reason or "", user, parse_at(at))
                except ValueError:
                    continue  # a malformed review never breaks a read
                found.setdefault(target, []).append(review)
        return found

    def latest_reviews(self, site_id: str, record_ids: Sequence[str]) -> dict[str, Review]:
        """The deciding (latest) review of each of `record_ids` that has one."""
        return {rid: reviews[-1] for rid, reviews in self.reviews_of(site_id, record_ids).items()}

    def review_queue(
        self,
        site_id: str,
        *,
        state: QueueState = "unreviewed",
        flag: str | None = None,
        any_flags: Sequence[str] = (),
        kind: str | None = None,
        user_id: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> tuple[list[StoredRecord], int]:
        """Flagged records of a site, newest first (by device time), and how many match.

        Reads the partial index of flagged records, so the cost follows the number of
        flagged records, not of all records.
        """
        iso = _storage.iso
        where = ["r.site_id = ?", "r.flags <> '[]'", "r.kind <> 'review'"]
        args: list[Any] = [site_id]
        if kind is not None:
            where.append("r.kind = ?")
            args.append(kind)
        if user_id is not None:
            where.append("r.user_id = ?")
            args.append(user_id)
        if start is not None:
            where.append("r.device_time >= ?")
            args.append(iso(start))
        if end is not None:
            where.append("r.device_time < ?")
            args.append(iso(end))
        if flag is not None:
            where.append("exists (select 1 from json_each(r.flags) where value = ?)")
            args.append(flag)
        if any_flags:
            marks = ",".join("?" * len(any_flags))
            where.append(f"exists (select 1 from json_each(r.flags) where value in ({marks}))")
            args.extend(any_flags)
        reviewed = "exists (select 1 from records v where v.refers_to = r.id and v.kind = 'review')"
        if state == "unreviewed":
            where.append(f"not {reviewed}")
        elif state == "reviewed":
            where.append(reviewed)
        sql = " and ".join(where)
        total = self.db.execute(f"select count(*) from records r where {sql}", args).fetchone()[0]
        rows = self.db.query(
            f"select r.* from records r where {sql}"
            " order by r.device_time desc, r.id desc limit ? offset ?",
            [*args, limit, offset],
        )
        return list(_storage._readable(rows)), total

    def site_record(self, site_id: str, record_id: str) -> StoredRecord | None:
        """One record of one site (None for another site's, exactly like a missing one)."""
        rows = list(
            self.db.query(
                "select * from records where id = ? and site_id = ?", [record_id, site_id]
            )
        )
        return next(_storage._readable(rows), None)

    # -- what the signals read at ingest -------------------------------------------------

    def point_scans_near(
        self,
        site_id: str,
        user_id: str,
        scans: Sequence[tuple[str, datetime]],
        spans: Sequence[tuple[datetime, datetime]],
    ) -> dict[str, list[PointScan]]:
        """Enough of the stored scans of each (point, time) in `scans` to judge its repeat
        and burst flags exactly (`domain.signals.point_repeat_flags`), per point.

        `spans` cover every scan's time give or take the flags' windows. When they hold
        few of the site's scans, all of the points' scans in them are read; otherwise, so
        that the work stays bounded by the batch however busy a point is, each scan
        probes for up to BURST_COUNT - 1 of the point's scans less than BURST_WINDOW from
        it and one of `user_id`'s less than REPEAT_WINDOW from it, one indexed lookup each
        (`records_point_scans`).
        """
        iso = _storage.iso
        found: dict[str, list[PointScan]] = {}
        parse = datetime.fromisoformat
        enough = _READ_ALL_FACTOR * len(scans) + _READ_ALL_MIN
        held = sum(
            self.db.execute(
                "select count(*) from (select 1 from records where site_id = ?"
                " and kind = 'scan' and device_time >= ? and device_time < ? limit ?)",
                [site_id, iso(start), iso(end), enough + 1],
            ).fetchone()[0]
            for start, end in spans
        )
        if held <= enough:
            wanted = sorted({point for point, _ in scans})
            for start, end in spans:
                for chunk in _chunks(wanted):
                    marks = ",".join("?" * len(chunk))
                    for point, user, at in self.db.execute(
                        "select point_id, user_id, device_time from records where site_id = ?"
                        " and kind = 'scan' and device_time >= ? and device_time < ?"
                        f" and point_id in ({marks})",
                        [site_id, iso(start), iso(end), *chunk],
                    ):
                        found.setdefault(point, []).append(PointScan(user, parse(at)))
            return found
        probes = []
        for point, at in scans:
            utc = at.astimezone(UTC)
            lo, hi = iso(utc - BURST_WINDOW), iso(utc + BURST_WINDOW)
            if REPEAT_WINDOW != BURST_WINDOW:
                lo, hi = iso(utc - REPEAT_WINDOW), iso(utc + REPEAT_WINDOW)
            probes.append((point, lo, hi, lo, hi))
        for point, user, at in self.db.execute(
            _POINT_SCANS_NEAR,
            {"site": site_id, "user": user_id, "q": orjson.dumps(probes).decode()},
        ):
            found.setdefault(point, []).append(PointScan(user, parse(at)))
        return found

    def person_neighbours(
        self, user_id: str, spans: Sequence[tuple[datetime, datetime, Sequence[datetime]]]
    ) -> list[tuple[str, str, datetime, float | None, float | None, float | None]]:
        """The person's stored scans (any site) that can be the scan just before or just
        after one of the `spans`' times, oldest first (ties in storage order), as (site id,
        point id, device time, fix lat, lon, accuracy): the columns the speed check needs.

        When the spans [start, end) hold few of the person's scans, all of them; otherwise,
        so that the work stays bounded by the batch, for each time the latest scan in
        [start, time] and the earliest in (time, end), and each span's first and last
        scan. For every time its neighbours among these are its neighbours among all the
        person's scans in the spans.
        """
        iso = _storage.iso
        parse = datetime.fromisoformat
        bounds = [(iso(start), iso(end)) for start, end, _ in spans]
        enough = _READ_ALL_FACTOR * sum(len(span[2]) for span in spans) + _READ_ALL_MIN
        held = sum(
            self.db.execute(
                "select count(*) from (select 1 from records where user_id = ?"
                " and kind = 'scan' and device_time >= ? and device_time < ? limit ?)",
                [user_id, lo, hi, enough + 1],
            ).fetchone()[0]
            for lo, hi in bounds
        )
        if held <= enough:
            rows: list[Any] = []
            for lo, hi in bounds:
                rows.extend(
                    self.db.execute(
                        "select site_id, point_id, device_time, body ->> '$.gps.lat',"
                        " body ->> '$.gps.lon', body ->> '$.gps.accuracy' from records"
                        " where user_id = ? and kind = 'scan' and device_time >= ?"
                        " and device_time < ? order by device_time, rowid",
                        [user_id, lo, hi],
                    )
                )
        else:
            tick = timedelta(microseconds=1)
            probes: list[tuple[str, str, str]] = []
            for (start, end, span_times), (lo, hi) in zip(spans, bounds, strict=True):
                probes.append((lo, iso(start - tick), hi))  # the span's first scan
                probes.append((lo, iso(end - tick), hi))  # the span's last scan
                probes.extend((lo, iso(at), hi) for at in span_times)
            rows = self.db.execute(
                _PERSON_NEIGHBOURS, {"user": user_id, "q": orjson.dumps(probes).decode()}
            ).fetchall()
        return [(s, p or "", parse(t), lat, lon, acc) for s, p, t, lat, lon, acc in rows]

    def photo_phashes(self, site_id: str, shas: Iterable[str]) -> dict[str, str | None]:
        """The perceptual hash (hex) of each of these photos uploaded to the site."""
        wanted = list(set(shas))
        if not wanted:
            return {}
        marks = ",".join("?" * len(wanted))
        return dict(
            self.db.execute(
                f"select sha, phash from photos where site_id = ? and sha in ({marks})",
                [site_id, *wanted],
            ).fetchall()
        )

    def photos_without_phash(self, limit: int = 1000) -> list[tuple[str, str]]:
        """(sha, site id) of photos stored before perceptual hashes were kept."""
        return self.db.execute(
            "select sha, site_id from photos where phash is null limit ?", [limit]
        ).fetchall()

    def set_phash(self, sha: str, site_id: str, phash: str) -> None:
        """Fill in a photo's perceptual hash (derived from its bytes; nothing else changes)."""
        self.db.execute(
            "update photos set phash = ? where sha = ? and site_id = ? and phash is null",
            [phash, sha, site_id],
        )

    def used_phashes_since(self, site_id: str, after: int) -> tuple[list[tuple[str, str]], int]:
        """(sha, phash) of the site's photos that records began to use after link `after`,
        and the newest link seen: lets an in-memory index top itself up cheaply."""
        newest = self.db.execute("select coalesce(max(rowid), 0) from record_photos").fetchone()[0]
        if newest <= after:
            return [], after
        rows = self.db.execute(
            "select rp.sha, p.phash from record_photos rp"
            " join photos p on p.sha = rp.sha and p.site_id = ?"
            " where rp.rowid > ? and rp.rowid <= ? and p.phash <> ''",
            [site_id, after, newest],
        ).fetchall()
        return [(sha, phash) for sha, phash in rows], newest


def parse_at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _point_scans_near_sql() -> str:
    near = (
        "(select rowid from records where kind = 'scan' and point_id = q.p"
        " and device_time > q.lo and device_time < q.hi and site_id = :site"
        " limit 1 offset {})"
    )
    # The person's own scans of the point: walked along the person's index (`+point_id`
    # keeps SQLite off the point's), so a point that many others scan costs nothing here.
    own = (
        "(select rowid from records where kind = 'scan' and +point_id = q.p"
        " and device_time > q.rlo and device_time < q.rhi and user_id = :user"
        " and site_id = :site limit 1)"
    )
    picks = [near.format(i) for i in range(BURST_COUNT - 1)] + [own]
    union = " union ".join(f"select {pick} from q" for pick in picks)
    return (
        "with q(p, lo, hi, rlo, rhi) as (select value ->> 0, value ->> 1, value ->> 2,"
        " value ->> 3, value ->> 4 from json_each(:q))"
        f" select point_id, user_id, device_time from records where rowid in ({union})"
    )


_POINT_SCANS_NEAR = _point_scans_near_sql()

# Index order within one device time is rowid order, as a plain range read returns them.
_PERSON_NEIGHBOURS = (
    "with q(lo, at, hi) as (select value ->> 0, value ->> 1, value ->> 2 from json_each(:q))"
    " select site_id, point_id, device_time, body ->> '$.gps.lat', body ->> '$.gps.lon',"
    " body ->> '$.gps.accuracy' from records where rowid in ("
    "select (select rowid from records where user_id = :user and kind = 'scan'"
    " and device_time >= q.lo and device_time <= q.at"
    " order by device_time desc, rowid desc limit 1) from q"
    " union select (select rowid from records where user_id = :user and kind = 'scan'"
    " and device_time > q.at and device_time < q.hi order by device_time, rowid limit 1)"
    " from q) order by device_time, rowid"
)
