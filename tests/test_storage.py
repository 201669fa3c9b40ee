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
    assert names == ["m001_initial"]
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
