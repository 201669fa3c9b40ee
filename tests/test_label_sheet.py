"""QR label sheets: content, scannable QR codes on the rendered page, and reprints that
revoke the labels printed before them."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pypdfium2 as pdfium
import zxingcpp
from pypdf import PdfReader

from domain.labels import read_label, revoked_since
from tests.conftest import batch, new_id
from tests.factory import KEYS, label

SHEET = "/api/v1/sites/alpha/label-sheet.pdf"


def _qr_payloads(pdf: bytes) -> list[str]:
    page = pdfium.PdfDocument(pdf)[0]
    image = page.render(scale=4).to_pil()  # ~290 dpi, as a printer would
    return sorted(r.text for r in zxingcpp.read_barcodes(image))


def _scan(payload: str, at: datetime, point: str = "c01") -> dict[str, object]:
    return {
        "id": new_id(),
        "kind": "scan",
        "site_id": "alpha",
        "point_id": point,
        "device_time": at.isoformat(),
        "payload": payload,
    }


def test_sheet_text_and_scannable_codes(live_server) -> None:
    manager = live_server.login("manager")
    response = manager.post(SHEET, json={"point_ids": ["c01", "a01"]})
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    text = PdfReader(io.BytesIO(response.content)).pages[0].extract_text()
    for word in ("Checkpoint 1", "CODE01", "Lobby", "LOBBY1", "Alpha"):
        assert word in text
    assert _qr_payloads(response.content) == sorted([label("alpha", "c01"), label("alpha", "a01")])
    # thirteen labels take two pages
    many = manager.post(SHEET, json={"point_ids": [f"c{i:02d}" for i in range(1, 14)]})
    assert len(PdfReader(io.BytesIO(many.content)).pages) == 2


def test_reprint_revokes_the_old_label(live_server) -> None:
    manager = live_server.login("manager")
    old = label("alpha", "c01")
    before = datetime.now(UTC) - timedelta(minutes=30)
    response = manager.post(SHEET, json={"point_ids": ["c01"], "reprint": True})
    assert response.status_code == 200
    (new,) = _qr_payloads(response.content)
    assert new.startswith("RND2.alpha.c01.1.")
    public = {"alpha": _public_key()}
    assert read_label(new, public).serial == 1  # phones accept the new format offline
    assert read_label(old, public).serial == 0  # and still read the old one

    guard = live_server.login("guard")
    now = datetime.now(UTC)
    records = [
        _scan(old, before, "c01"),  # made before the reprint: a good scan
        _scan(old, now + timedelta(seconds=1), "c01"),  # after: the old label is revoked
        _scan(new, now + timedelta(minutes=11), "c01"),
    ]
    results = guard.post("/api/v1/sync", json=batch(*records)).json()["results"]
    flags = [set(r.get("flags", [])) for r in results]
    assert [r["status"] for r in results] == ["accepted"] * 3
    assert "revoked_label" not in flags[0]
    assert "revoked_label" in flags[1]
    assert "revoked_label" not in flags[2]
    # the revoked scan waits for review instead of counting
    queue = manager.get("/api/v1/sites/alpha/reviews", params={"held_only": True}).json()
    assert records[1]["id"] in {item["id"] for item in queue["data"]}
    # printing again without reprint keeps the current serial
    again = manager.post(SHEET, json={"point_ids": ["c01"]})
    assert _qr_payloads(again.content) == [new]


def test_revoked_since_rule() -> None:
    t1, t2 = datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC)
    assert revoked_since(0, []) is None
    assert revoked_since(0, [(1, t1), (2, t2)]) == t1
    assert revoked_since(1, [(1, t1), (2, t2)]) == t2
    assert revoked_since(2, [(1, t1), (2, t2)]) is None


def test_sheet_roles_sites_and_bounds(live_server) -> None:
    assert live_server.login("guard").post(SHEET, json={"point_ids": ["c01"]}).status_code == 403
    supervisor = live_server.login("super")
    assert supervisor.post(SHEET, json={"point_ids": ["c01"]}).status_code == 200
    reprint = {"point_ids": ["c01"], "reprint": True}
    assert supervisor.post(SHEET, json=reprint).status_code == 403
    beta = live_server.login("beta-manager")
    assert beta.post(SHEET, json={"point_ids": ["c01"]}).status_code == 404
    assert beta.post(SHEET, json=reprint).status_code == 404
    manager = live_server.login("manager")
    assert manager.post(SHEET, json={"point_ids": ["b01"]}).status_code == 404  # beta's point
    assert manager.post(SHEET, json={"point_ids": []}).status_code == 422
    assert manager.post(SHEET, json={"point_ids": ["c01"] * 601}).status_code == 422
    assert manager.post(SHEET, json={"point_ids": ["../x"]}).status_code == 422


def _public_key() -> str:
    from domain.labels import public_key_of

    return public_key_of(KEYS["alpha"])
