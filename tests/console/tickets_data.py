"""Anomalies for the ticket tests, sent through the real ingest path onto the console's
scenario (`tests.console.scenario`): guard 张伟 reports a broken hydrant at c02 (with a
photo) two hours ago and blocked fire exit at c03 thirty hours ago (past the 24 h
response target); lead 王建国 reports a light out at c04 an hour ago. The scenario's
lobby-floor rectification (opened three days ago, due in 24 h, assigned to the cleaner)
is overdue by two days, so escalated."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from server.blobs import LocalBlobStore
from tests.console.scenario import Scenario, photo, send

__all__ = ["Anomalies", "add_anomalies", "fix_rectification"]


@dataclass(frozen=True, slots=True)
class Anomalies:
    hydrant: str  # guard's, fresh, with a photo
    fire_exit: str  # guard's, overdue
    light: str  # lead's
    hydrant_photo: str
    closing_photo: str  # uploaded to alpha, used by nobody yet
    rectification: str  # '<inspection id>/floor'


def _anomaly(point: str, at: datetime, category: str, note: str, photos: list[str]) -> dict:
    return {
        "id": uuid.uuid4().hex,
        "kind": "anomaly",
        "site_id": "alpha",
        "device_time": at.isoformat(),
        "point_id": point,
        "category": category,
        "note": note,
        "photos": photos,
    }


def add_anomalies(scenario: Scenario) -> Anomalies:
    storage = scenario.storage()
    blobs = LocalBlobStore(scenario.settings.blob_dir)
    now = datetime.now(UTC)
    hydrant_photo = photo(storage, blobs, 5, "u-guard")
    closing = photo(storage, blobs, 6, "u-lead")
    hydrant = _anomaly("c02", now - timedelta(hours=2), "设施损坏", "消防栓漏水", [hydrant_photo])
    fire_exit = _anomaly("c03", now - timedelta(hours=30), "消防通道堵塞", "电动车堵塞", [])
    light = _anomaly("c04", now - timedelta(hours=1), "照明", "路灯不亮", [])
    send(storage, "guard", [hydrant, fire_exit])
    send(storage, "lead", [light])
    inspection = next(storage.records("alpha", ["inspection"]))
    storage.close()
    return Anomalies(
        hydrant["id"],
        fire_exit["id"],
        light["id"],
        hydrant_photo,
        closing,
        f"{inspection.id}/floor",
    )


def fix_rectification(scenario: Scenario, data: Anomalies) -> None:
    """The cleaner it is assigned to sends the fix from the phone, with an after photo."""
    inspection, item = data.rectification.split("/")
    storage = scenario.storage()
    try:
        fix = {
            "id": uuid.uuid4().hex,
            "kind": "rectification",
            "site_id": "alpha",
            "device_time": datetime.now(UTC).isoformat(),
            "action": "fixed",
            "inspection_id": inspection,
            "item": item,
            "photos": [data.closing_photo],
        }
        send(storage, "cleaner", [fix])
    finally:
        storage.close()
