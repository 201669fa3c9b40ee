"""Tamper evidence (hash chains, verify), races on insert, one server per data folder,
and backup/restore while the server serves."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
import sqlite_utils

from domain.chain import GENESIS, ChainBreak, ChainRow, digest, first_break, link
from server.datalock import DataDirInUse, DataLock
from server.ingest import _ID_TAKEN, ingest_batch
from server.integrity import BackupError, backup, chain_head, check_backup, restore, verify
from server.serve import free_port
from server.storage import CHAIN_FIELDS, Storage, migrations
from server.tools import main as tools
from tests.conftest import batch
from tests.test_sync import jpeg, scan, upload


def _rows(*field_lists: tuple[str, ...]) -> list[ChainRow]:
    rows, previous = [], GENESIS
    for seq, fields in enumerate(field_lists, start=1):
        body = digest(fields)
        rows.append(ChainRow(seq, fields[0], fields, previous, body, link(previous, body)))
        previous = rows[-1].chain_hash
    return rows


def test_the_first_broken_link_is_named():
    rows = _rows(("r1", "a"), ("r2", "b"), ("r3", "c"))
    assert first_break(rows) is None
    edited = [rows[0], ChainRow(2, "r2", ("r2", "B"), *_hashes(rows[1])), rows[2]]
    assert first_break(edited).record_id == "r2"
    assert first_break(edited).reason == "the record was changed after it was stored"
    deleted = first_break([rows[0], rows[2]])  # r2 deleted: r3's place is wrong
    assert (deleted.seq, deleted.reason) == (3, "expected record #2 here")
    renumbered = [rows[0], ChainRow(2, "r3", rows[2].fields, *_hashes(rows[2]))]
    assert first_break(renumbered) == ChainBreak(
        2, "r3", "the record before it is missing or changed"
    )
    relinked = [rows[0], ChainRow(2, "r2", rows[1].fields, *_hashes(rows[1])[:2], "f" * 64)]
    assert first_break(relinked) == ChainBreak(2, "r2", "its chain hash was changed")
    # Length-prefixed fields: moving text from one field to the next changes the digest.
    assert digest(("ab", "c")) != digest(("a", "bc")) and digest((None,)) != digest(("-",))


def _hashes(row: ChainRow) -> tuple[str, str, str]:
    return row.prev_hash, row.body_hash, row.chain_hash


def test_verify_names_the_record_edited_behind_the_servers_back(live_server, capsys):
    guard, beta = live_server.login("guard"), live_server.login("beta-guard")
    records = [scan(f"c{i:02d}") for i in range(1, 6)]
    guard.post("/api/v1/sync", json=batch(*records[:3])).raise_for_status()
    beta.post("/api/v1/sync", json=batch(scan("b01", site="beta"))).raise_for_status()
    storage = Storage(live_server.settings.db_path)
    head_before = chain_head(storage, "alpha")
    guard.post("/api/v1/sync", json=batch(*records[3:])).raise_for_status()
    assert chain_head(storage, "alpha") != head_before  # the head moves with every record
    assert [(c.site_id, c.records, c.broken) for c in verify(storage)] == [
        ("alpha", 5, None),
        ("beta", 1, None),
    ]
    data_dir = ["--data-dir", str(live_server.settings.data_dir)]
    assert tools([*data_dir, "verify"]) == 0
    with sqlite3.connect(live_server.settings.db_path) as db:
        db.execute(
            "update records set body = replace(body, 'qr', 'typed') where id = ?",
            [records[2]["id"]],
        )
    [alpha, beta_chain] = verify(storage)
    assert (alpha.broken.seq, alpha.broken.record_id) == (3, records[2]["id"])
    assert beta_chain.broken is None
    capsys.readouterr()
    assert tools([*data_dir, "verify"]) == 1
    assert f"alpha: BROKEN at record #3 (id {records[2]['id']})" in capsys.readouterr().out
    with sqlite3.connect(live_server.settings.db_path) as db:
        db.execute("delete from records where id = ?", [records[2]["id"]])
    assert verify(storage)[0].broken.record_id == records[3]["id"]
    storage.close()


def test_existing_databases_get_their_chains_backfilled_in_record_order(tmp_path):
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path, isolation_level=None)
    db = sqlite_utils.Database(conn)
    migrations.apply(db, stop_before="m004_record_chain")
    for i, site in enumerate(["alpha", "beta", "alpha", "alpha"]):
        row = [f"r{i}", "scan", site, "u", "d", f"2026-01-0{i + 1}", "2026-02-01", "c01"]
        conn.execute(
            f"insert into records ({', '.join(CHAIN_FIELDS)}) values (?,?,?,?,?,?,?,?,?,?,?,?)",
            [*row, None, '{"method":"qr"}', "[]", "[]"],
        )
    conn.execute("insert into sites (id) values ('alpha'), ('beta')")
    conn.close()
    storage = Storage(path)
    chains = {c.site_id: c for c in verify(storage)}
    assert (chains["alpha"].records, chains["beta"].records) == (3, 1)
    assert chains["alpha"].broken is None and chains["beta"].broken is None
    assert [r.record_id for r in storage.chain_rows("alpha")] == ["r0", "r2", "r3"]
    storage.close()


def test_concurrent_duplicate_sends_answer_duplicate_never_500(live_server):
    records = [scan(f"c{i:02d}") for i in range(1, 11)]
    token = live_server.login("guard").headers["Authorization"]

    async def send_all() -> list[httpx.Response]:
        async with httpx.AsyncClient(
            base_url=live_server.url, headers={"Authorization": token}, timeout=60
        ) as client:
            return await asyncio.gather(
                *(client.post("/api/v1/sync", json=batch(*records)) for _ in range(30))
            )

    responses = asyncio.run(send_all())
    assert {r.status_code for r in responses} == {200}
    statuses = [r["status"] for resp in responses for r in resp.json()["results"]]
    assert statuses.count("accepted") == 10 and statuses.count("duplicate") == 290
    with sqlite3.connect(live_server.settings.db_path) as db:
        assert db.execute("select count(*) from records").fetchone()[0] == 10


def test_two_writers_racing_on_one_file_store_each_record_once(settings):
    """Two connections (as two processes would have) ingest the same batches at once:
    the loser of each race answers duplicate, never an IntegrityError."""
    stores = [Storage(settings.db_path) for _ in range(2)]
    user = stores[0].user_by_name("guard")
    batches = [batch(*(scan(f"c{i:02d}") for i in range(1, 21))) for _ in range(15)]
    barrier = threading.Barrier(2, timeout=10)

    def run(storage: Storage) -> list[str]:
        statuses = []
        for b in batches:
            barrier.wait()
            results = ingest_batch(storage, user, "d", b, datetime.now(UTC))
            statuses += [r["status"] for r in results]
        return statuses

    with ThreadPoolExecutor(2) as pool:
        both = list(pool.map(run, stores))
    assert sorted(both[0] + both[1]).count("accepted") == 300
    assert set(both[0] + both[1]) == {"accepted", "duplicate"}
    assert stores[0].record_count() == 300 and verify(stores[0])[0].broken is None
    for s in stores:
        s.close()


def test_a_second_server_on_the_same_data_folder_is_refused(live_server, tmp_path):
    with pytest.raises(DataDirInUse, match="already served by pid"):
        DataLock(live_server.settings.data_dir)
    env = os.environ | {"ROUNDS_DATA_DIR": str(live_server.settings.data_dir)}
    port = str(free_port())
    second = subprocess.run(
        [sys.executable, "-m", "uvicorn", "server.main:create_app", "--factory", "--port", port],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert second.returncode != 0
    assert "run one server process per data folder" in second.stderr
    assert live_server.login("guard").get("/api/v1/auth/me").status_code == 200
    DataLock(tmp_path / "elsewhere").release()  # another folder is fine


def test_backup_while_syncing_then_restore_gives_the_same_records(live_server, tmp_path):
    guard = live_server.login("guard")
    photo = upload(guard, jpeg((1, 2, 3)))
    first = scan("c01", photos=[photo])
    guard.post("/api/v1/sync", json=batch(first)).raise_for_status()
    stop = threading.Event()
    sent = []

    def keep_syncing() -> None:
        with httpx.Client(base_url=live_server.url, headers=guard.headers, timeout=30) as c:
            while not stop.is_set():
                records = [scan(f"c{i % 20 + 1:02d}") for i in range(20)]
                c.post("/api/v1/sync", json=batch(*records)).raise_for_status()
                sent.append(len(records))

    syncing = threading.Thread(target=keep_syncing)
    syncing.start()
    try:
        while len(sent) < 3:
            threading.Event().wait(0.02)
        manifest = backup(live_server.settings.data_dir, tmp_path / "backup")
        during = len(sent)
        while len(sent) < during + 3:  # the server went on writing after the copy
            threading.Event().wait(0.02)
    finally:
        stop.set()
        syncing.join()
    assert check_backup(tmp_path / "backup") == manifest
    assert manifest.photos >= 1 and 1 < manifest.records < 1 + 20 * len(sent)
    live = Storage(live_server.settings.db_path)
    live_rows = {r.seq: r.chain_hash for r in live.chain_rows("alpha")}
    live.close()
    count, head = manifest.heads["alpha"]
    assert live_rows[count] == head  # the backup is exactly the live chain up to its head

    with pytest.raises(DataDirInUse):  # not over a running server
        restore(tmp_path / "backup", live_server.settings.data_dir)
    target = tmp_path / "restored"
    restore(tmp_path / "backup", target)
    restored = Storage(target / "rounds.db")
    assert restored.record_count() == manifest.records
    assert [[c.records, c.head] for c in verify(restored)] == list(manifest.heads.values())
    assert all(c.broken is None for c in verify(restored))
    restored.close()
    assert (target / "photos" / photo[:2] / photo[2:4] / photo).read_bytes() == jpeg((1, 2, 3))

    (tmp_path / "backup" / "photos" / photo[:2] / photo[2:4] / photo).write_bytes(b"junk")
    with pytest.raises(BackupError, match="damaged"):
        check_backup(tmp_path / "backup")


def test_backup_and_restore_commands(live_server, tmp_path, capsys):
    live_server.login("guard").post("/api/v1/sync", json=batch(scan())).raise_for_status()
    data_dir = ["--data-dir", str(live_server.settings.data_dir)]
    assert tools([*data_dir, "backup", str(tmp_path / "b")]) == 0
    assert "backed up 1 records" in capsys.readouterr().out
    assert tools([*data_dir, "backup", str(tmp_path / "b")]) == 2  # not over a backup
    assert tools(["--data-dir", str(tmp_path / "new"), "restore", str(tmp_path / "b")]) == 0
    assert tools(["--data-dir", str(tmp_path / "new"), "verify"]) == 0
    head = Path(tmp_path / "new")
    assert tools(["--data-dir", str(head), "head", "alpha"]) == 0
    assert len(capsys.readouterr().out.strip().splitlines()[-1]) == 64


def test_cached_setup_and_logins_follow_every_change_but_record_inserts(live_server):
    from domain.models import Point, PointKind

    guard = live_server.login("guard")
    late_point = scan("c21", payload="CODE21", method="typed")
    assert guard.post("/api/v1/sync", json=batch(scan("c01"))).json()["results"][0]["status"] == (
        "accepted"
    )
    [refused] = guard.post("/api/v1/sync", json=batch(late_point)).json()["results"]
    assert refused["reason"] == "point not found: c21"
    admin = Storage(live_server.settings.db_path)  # another connection, as a tool would be
    point = Point("c21", "alpha", PointKind.CHECKPOINT, "New gate", short_code="CODE21")
    admin.add_points([point])
    [accepted] = guard.post("/api/v1/sync", json=batch(late_point | {"id": "x" * 32})).json()[
        "results"
    ]
    assert accepted["status"] == "accepted"
    admin.db.execute("update users set active = 0 where id = 'u-guard'")
    assert guard.get("/api/v1/auth/me").status_code == 401  # a cached login is dropped
    admin.close()


def test_the_generation_moves_on_for_setup_writes_not_for_record_inserts(settings):
    storage = Storage(settings.db_path)
    user = storage.user_by_name("guard")
    before = storage.generation()
    ingest_batch(storage, user, "d", batch(scan("c01")), datetime.now(UTC))
    assert storage.generation() == before
    storage.revoke_token("nothing", datetime.now(UTC))  # changed no row
    assert storage.generation() == before
    storage.add_token("t" * 64, user.id, "d", datetime.now(UTC))  # any other write
    assert storage.generation() == before + 1
    storage.close()


def test_ids_stored_by_someone_else_during_the_batch_get_the_right_answer(settings, monkeypatch):
    """The race path: ids that looked free when the batch was read, but were stored by
    another writer before its insert: the same person's are duplicates, another site's
    get the neutral refusal, and the rest of the batch is stored."""
    storage = Storage(settings.db_path)
    guard, beta = storage.user_by_name("guard"), storage.user_by_name("beta-guard")
    now = datetime.now(UTC)
    beta_scan, own = scan("b01", site="beta"), scan("c01")
    ingest_batch(storage, beta, "d", batch(beta_scan), now)
    ingest_batch(storage, guard, "d", batch(own), now)
    real_owners, calls = storage.record_owners, []

    def blind_at_first(ids):  # the batch's first look sees none of them stored
        calls.append(ids)
        return {} if len(calls) == 1 else real_owners(ids)

    monkeypatch.setattr(storage, "record_owners", blind_at_first)
    fresh = scan("c02")
    results = ingest_batch(
        storage, guard, "d", batch(scan("c03", id=beta_scan["id"]), own, fresh), now
    )
    assert results[:2] == [
        {"id": beta_scan["id"], "status": "rejected", "reason": _ID_TAKEN},
        {"id": own["id"], "status": "duplicate"},
    ]
    assert (results[2]["id"], results[2]["status"]) == (fresh["id"], "accepted")
    assert storage.record_count() == 3
    storage.close()
