"""Nothing typed or chosen is lost: drafts live in the phone's store until saved or
discarded, so a photo, a refresh, a sync, a language switch or a restart keeps them."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import timedelta

from app.state import FieldApp
from tests.client.helpers import Clock, camera_photo, field_app, round_due
from tests.factory import PASSWORD, label


def run(coro):
    return asyncio.run(coro)


def restarted(app: FieldApp, tmp_path, name: str) -> FieldApp:
    """The same phone after the app was killed: a new process on the same store."""
    app.store.close()
    return field_app(tmp_path / name, clock=app.clock)


def test_anomaly_draft_survives_photo_sync_language_and_restart(live_server, tmp_path):
    clock = Clock(round_due(hours_back=2), step=timedelta(seconds=20))
    app = field_app(tmp_path / "guard", clock=clock)
    run(app.login(live_server.url, "guard", PASSWORD))
    item = next(r for r in app.today_rounds() if r.state.value == "not_started")
    app.start_round("r1", item)
    point, scan_id = app.scan_checkpoint(label("alpha", "c01"))

    # What the form does as the guard chooses, types, then takes a photo.
    app.save_draft("anomaly", scan_id, category="消防隐患")
    app.save_draft("anomaly", scan_id, note="灭火器过期")
    photo = app.take_photo(camera_photo(3), point["name"])
    app.save_draft("anomaly", scan_id, photo=photo)
    app.remember_form("anomaly", point_id="c01", scan_id=scan_id)

    run(app.sync())
    app.toggle_lang()
    app = restarted(app, tmp_path, "guard")
    assert app.open_form() == {"form": "anomaly", "point_id": "c01", "scan_id": scan_id}
    assert app.draft("anomaly", scan_id) == {
        "category": "消防隐患",
        "note": "灭火器过期",
        "photo": photo,
    }
    assert app.draft("anomaly", "another-scan") == {}  # a draft belongs to its own form

    draft = app.draft("anomaly", scan_id)
    app.report_anomaly("c01", scan_id, draft["category"], draft["note"], draft["photo"])
    assert app.draft("anomaly", scan_id) == {}  # saved: the draft is gone
    run(app.sync())
    with sqlite3.connect(live_server.settings.db_path) as db:
        [(category, note, photos)] = db.execute(
            "select body ->> '$.category', body ->> '$.note', photos from records"
            " where kind = 'anomaly'"
        ).fetchall()
    assert (category, note) == ("消防隐患", "灭火器过期") and photo in photos


def test_every_form_keeps_its_draft_until_saved(live_server, tmp_path):
    clock = Clock(round_due(hours_back=2), step=timedelta(seconds=20))
    app = field_app(tmp_path / "guard", clock=clock)
    run(app.login(live_server.url, "guard", PASSWORD))
    item = next(r for r in app.today_rounds() if r.state.value == "not_started")
    active = app.start_round("r1", item)
    _, scan_id = app.scan_checkpoint(label("alpha", "c01"))
    app.save_draft("checks", scan_id, answers={"消防设施完好?": False})
    app.save_draft("finish", active.round_id, reason="大雨")
    app.save_draft("handover", note="东门门禁故障")
    app = restarted(app, tmp_path, "guard")
    assert app.draft("checks", scan_id) == {"answers": {"消防设施完好?": False}}
    assert app.draft("finish", active.round_id) == {"reason": "大雨"}
    assert app.draft("handover") == {"note": "东门门禁故障"}

    app.answer_checks("c01", scan_id, {"消防设施完好?": False})
    app.finish_round("大雨")
    app.handover("东门门禁故障")
    assert [app.draft(f, c) for f, c in [("checks", scan_id), ("handover", "")]] == [{}, {}]
    assert app.draft("finish", active.round_id) == {}


def test_inspection_and_fix_drafts_survive_a_restart(live_server, tmp_path):
    supervisor = field_app(tmp_path / "super")
    run(supervisor.login(live_server.url, "super", PASSWORD))
    inspection = supervisor.start_inspection(label("alpha", "a01"))
    keys = [i["key"] for i in inspection.template["items"]]
    inspection.results = dict.fromkeys(keys, "pass") | {"floor": "fail"}
    inspection.photos["floor"] = [supervisor.take_photo(camera_photo(2), "Lobby")]
    inspection.assignee_id = "u-cleaner"
    supervisor.save_inspection(inspection)

    supervisor = restarted(supervisor, tmp_path, "super")
    kept = supervisor.inspection_draft()
    assert kept is not None and kept.point["id"] == "a01"
    assert (kept.results, kept.photos, kept.assignee_id) == (
        inspection.results,
        inspection.photos,
        "u-cleaner",
    )
    assert supervisor.submit_inspection(kept) == 1
    assert supervisor.inspection_draft() is None
    run(supervisor.sync())

    cleaner = field_app(tmp_path / "cleaner")
    run(cleaner.login(live_server.url, "cleaner", PASSWORD))
    [rect] = cleaner.my_rectifications()
    photo = cleaner.take_photo(camera_photo(4), "Lobby")
    cleaner.save_draft("fix", rect["id"], photo=photo, note="重新拖地")
    cleaner = restarted(cleaner, tmp_path, "cleaner")
    draft = cleaner.draft("fix", rect["id"])
    assert draft == {"photo": photo, "note": "重新拖地"}
    cleaner.fix_rectification(rect, draft["photo"], draft["note"])
    assert cleaner.draft("fix", rect["id"]) == {}
