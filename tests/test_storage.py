from __future__ import annotations

from datetime import UTC, datetime

from server.storage import Storage, StoredRecord


def test_database_is_one_sqlite_file_in_wal_mode(settings):
    storage = Storage(settings.db_path)
    assert storage.db.journal_mode == "wal"
    assert settings.db_path.exists()
    assert settings.db_path.with_name("rounds.db-wal").exists()
    storage.close()


def test_reopening_applies_no_migration_twice(settings):
    Storage(settings.db_path).close()
    storage = Storage(settings.db_path)
    names = [r["name"] for r in storage.db["_sqlite_migrations"].rows]
    assert names[0] == "m001_initial" and "m002_quarantine_unreadable_records" in names
    assert "m003_trust" in names and "m004_record_chain" in names
    assert len(names) == len(set(names))
    storage.close()


def test_records_round_trip_with_their_times_and_body(settings):
    storage = Storage(settings.db_path)
    at = datetime(2026, 3, 2, 1, 2, 3, 456789, tzinfo=UTC)
    record = StoredRecord(
        "r1",
        "handover",
        "alpha",
        "u-guard",
        "d1",
        at,
        at,
        None,
        None,
        {"note": "交接：一切正常"},
        [],
        ["clock_skew"],
    )
    storage.insert_records([record])
    assert storage.record("r1") == record
    assert [r.id for r in storage.records("alpha", ["handover"], at, at.replace(hour=2))] == ["r1"]
    assert storage.existing_record_ids(["r1", "r2"]) == {"r1"}
    storage.close()


def test_changing_a_schedule_keeps_the_old_version_for_history(settings):
    from dataclasses import replace
    from datetime import time

    from server.reports import site_coverage

    storage = Storage(settings.db_path)
    [old] = [s for s in storage.schedules("alpha") if s.id == "s-lobby"]
    change = datetime(2026, 3, 15, tzinfo=UTC)
    month = (datetime(2026, 2, 28, 16, tzinfo=UTC), datetime(2026, 3, 31, 16, tzinfo=UTC))
    before, _ = site_coverage(storage, "alpha", *month, now=month[1])
    storage.change_schedule(
        replace(old, version=2, effective_from=change, fixed_times=(time(9), time(12), time(15)))
    )
    versions = [s for s in storage.schedules("alpha") if s.id == "s-lobby"]
    assert [(s.version, s.effective_to) for s in versions] == [(1, change), (2, None)]
    after, _ = site_coverage(storage, "alpha", *month, now=month[1])
    lobby = [v for v in after.visits if v.point_id == "a01"]
    assert [v.due for v in lobby if v.due < change] == [
        v.due for v in before.visits if v.point_id == "a01" and v.due < change
    ]
    # From 08:00 local on the 15th: three a day for 17 days (the 15th's 09:00 included).
    assert len([v for v in lobby if v.due >= change]) == 3 * 17
    storage.close()
