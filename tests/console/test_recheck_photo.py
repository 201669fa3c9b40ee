"""A rectification's re-check (复检) with a photo picked in the console, and the same over
the API: the photo is kept through the API's upload checks and stored on the re-check
record; only who may re-check (a cleaning supervisor, manager or admin other than the
fixer, once it is fixed) may even upload it."""

from __future__ import annotations

import hashlib

import pytest

from server.access import AccessDenied
from server.console.models import tickets as vm
from server.photos import PhotoRejected
from server.rectification_followup import FollowUpRefused
from server.serve import ServerThread
from server.storage import Storage
from tests.console.conftest import Live
from tests.console.scenario import Scenario
from tests.console.test_console_access import session_of
from tests.console.test_tickets_models import _jpeg
from tests.console.tickets_data import Anomalies, add_anomalies, fix_rectification


@pytest.fixture
def data(scenario: Scenario) -> Anomalies:
    return add_anomalies(scenario)


def _refusal(action) -> int:  # type: ignore[no-untyped-def]
    try:
        action()
    except AccessDenied as denied:
        return denied.status_code
    except FollowUpRefused as refused:
        return refused.status
    return 200


def test_a_supervisor_rechecks_with_a_photo_picked_in_the_console(scenario, data):
    rect = data.rectification
    supervisor = session_of(scenario, "super")
    # Not fixed yet: nothing to re-check, so no photo is kept either.
    assert _refusal(lambda: vm.upload_recheck_photo(supervisor, rect, _jpeg(4))) == 409
    fix_rectification(scenario, data)
    # Who may not re-check may not upload its photo: field roles and a lead (403), another
    # site's manager (404); no such rectification is a KeyError.
    for who, status in (("guard", 403), ("cleaner", 403), ("lead", 403)):
        session = session_of(scenario, who)
        assert _refusal(lambda s=session: vm.upload_recheck_photo(s, rect, _jpeg(4))) == status
    beta = session_of(scenario, "beta-manager", "alpha")
    assert _refusal(lambda: vm.upload_recheck_photo(beta, rect, _jpeg(4))) == 404
    with pytest.raises(KeyError):
        vm.upload_recheck_photo(supervisor, "nope/floor", _jpeg(4))
    # Not a photo: the API's checks say so.
    with pytest.raises(PhotoRejected) as bad:
        vm.upload_recheck_photo(supervisor, rect, b"<html>not a photo</html>")
    assert bad.value.status == 415

    jpeg = _jpeg(4)
    sha = vm.upload_recheck_photo(supervisor, rect, jpeg)
    assert sha == hashlib.sha256(jpeg).hexdigest()
    # Only a re-check takes a photo.
    with pytest.raises(FollowUpRefused):
        vm.rectification_step(supervisor, rect, "comment", "看过了", photo=sha)
    done = vm.rectification_step(supervisor, rect, "recheck", "地面已干净", passed=True, photo=sha)
    assert done["state"] == "closed"
    passed = done["history"][-1]
    assert (passed["kind"], passed["by_name"], passed["photos"]) == ("passed", "赵敏", [sha])

    storage = Storage(scenario.settings.db_path)
    try:
        inspection = data.rectification.split("/")[0]
        (record,) = [
            r
            for r in storage.records_referring_to([inspection])
            if r.body.get("action") == "rechecked"
        ]
        assert record.user_id == "u-super" and record.photos == [sha]
        assert record.body == {"action": "rechecked", "item": "floor", "passed": True,
                               "note": "地面已干净"}  # fmt: skip
    finally:
        storage.close()


def test_the_api_takes_the_same_photo_only_if_it_is_on_the_site(scenario, data):
    fix_rectification(scenario, data)
    inspection, item = data.rectification.split("/")
    server = ServerThread(scenario.settings).start()
    try:
        live = Live(server.url, scenario)
        events = f"/api/v1/sites/alpha/rectification-follow-up/{inspection}/{item}/events"
        manager = live.login("manager")
        unknown = hashlib.sha256(b"never uploaded").hexdigest()
        r = manager.post(events, json={"action": "recheck", "passed": True, "photo": unknown})
        assert r.status_code == 422 and "upload the re-check photo" in r.text
        r = manager.post(events, json={"action": "recheck", "passed": True, "photo": "../x"})
        assert r.status_code == 422  # not a SHA-256: refused by the body's model
        r = manager.post(
            events,
            json={
                "action": "recheck",
                "passed": True,
                "note": "复检合格",
                "photo": data.hydrant_photo,
            },
        )
        assert r.status_code == 201, r.text
        assert r.json()["history"][-1]["photos"] == [data.hydrant_photo]
    finally:
        server.stop()
