"""Every console action goes through the API's permission rules (server.access): another
site is 404 exactly as over HTTP, a role that may not is 403, a user gone is 401."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from server.access import AccessDenied, require_console
from server.blobs import LocalBlobStore
from server.console.models import coverage, live, review
from server.console.models.session import ConsoleSession
from server.coverage_map import MapFilter
from server.settings import Settings
from tests.console.scenario import Scenario, build

Action = Callable[[ConsoleSession], Any]

READS: dict[str, Action] = {
    "coverage map": lambda s: coverage.load_map(s, MapFilter()),
    "point detail": lambda s: coverage.load_detail(s, "c01", MapFilter()),
    "plan image": coverage.plan_image,
    "photo thumbnail": lambda s: coverage.photo_thumbnail(s, "0" * 64),
    "live view": live.load_live,
    "acknowledge alert": lambda s: live.acknowledge(s, "not_started:x", ""),
}
REVIEWS: dict[str, Action] = {
    "review queue": review.load_queue,
    "review counts": review.load_counts,
    "review item": lambda s: review.load_item(s, "x"),
    "review verdict": lambda s: review.decide(s, "x", "accept", ""),
}
ALL = READS | REVIEWS


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Scenario:
    """One site for the read-only checks (every action here changes nothing)."""
    return build(Settings(data_dir=tmp_path_factory.mktemp("access") / "server"))


def session_of(scenario: Scenario, username: str, site_id: str = "alpha") -> ConsoleSession:
    storage = scenario.storage()
    user = storage.user_by_name(username)
    assert user is not None
    session = ConsoleSession(
        storage, scenario.settings, blobs=LocalBlobStore(scenario.settings.blob_dir)
    )
    session.sign_in(user)
    session.site_id = site_id  # as if the browser had picked it
    return session


def status_of(action: Action, session: ConsoleSession) -> int:
    try:
        action(session)
    except AccessDenied as denied:
        return denied.status_code
    except (LookupError, ValueError):
        return 200  # allowed through; the thing itself was not there
    return 200


@pytest.mark.parametrize("name", sorted(ALL))
def test_another_sites_data_is_not_found(shared, name):
    assert status_of(ALL[name], session_of(shared, "beta-manager", "alpha")) == 404
    assert status_of(ALL[name], session_of(shared, "manager", "beta")) == 404
    assert status_of(ALL[name], session_of(shared, "manager", "no-such-site")) == 404


@pytest.mark.parametrize("name", sorted(ALL))
@pytest.mark.parametrize("username", ["guard", "cleaner"])
def test_field_roles_are_refused(shared, name, username):
    assert status_of(ALL[name], session_of(shared, username)) == 403


@pytest.mark.parametrize("name", sorted(ALL))
@pytest.mark.parametrize("username", ["lead", "super", "manager", "admin"])
def test_leads_supervisors_and_managers_may(shared, name, username):
    assert status_of(ALL[name], session_of(shared, username)) == 200


def test_a_signed_out_or_deactivated_user_must_sign_in_again(scenario):
    session = session_of(scenario, "manager")
    session.storage.db.execute("update users set active = 0 where id = 'u-manager'")
    for name, action in ALL.items():
        session.user_id = "u-manager"
        assert status_of(action, session) == 401, name
        assert not session.signed_in


def test_the_api_answers_the_same(live):
    """The same rule, over HTTP: field role 403, other site 404."""
    guard, other = live.login("guard"), live.login("beta-manager")
    for path in ("/live", "/coverage-map.png", "/coverage", "/reviews"):
        assert guard.get(f"/api/v1/sites/alpha{path}").status_code == 403, path
        assert other.get(f"/api/v1/sites/alpha{path}").status_code == 404, path


def test_a_photo_of_another_site_gives_no_thumbnail(scenario):
    storage = scenario.storage()
    (photo,) = storage.db.execute("select sha from photos limit 1").fetchone()
    thumb = coverage.photo_thumbnail(session_of(scenario, "manager"), photo)
    assert thumb is not None and thumb[:2] == b"\xff\xd8"  # a JPEG
    assert coverage.photo_thumbnail(session_of(scenario, "beta-manager", "beta"), photo) is None
    assert coverage.photo_thumbnail(session_of(scenario, "manager"), "f" * 64) is None
    assert coverage.photo_thumbnail(session_of(scenario, "manager"), "../../etc") is None


def test_picking_a_site_is_checked_too(scenario):
    session = session_of(scenario, "manager")
    with pytest.raises(AccessDenied) as refused:
        session.choose_site("beta")
    assert refused.value.status_code == 404 and session.site_id == "alpha"
    assert [s.id for s in session.sites()] == ["alpha"]


@pytest.mark.parametrize(
    ("username", "allowed"),
    [("guard", False), ("cleaner", False), ("lead", True), ("super", True), ("manager", True)],
)
def test_field_roles_have_no_console(scenario, username, allowed):
    user = scenario.storage().user_by_name(username)
    assert user is not None
    if allowed:
        require_console(user)
    else:
        with pytest.raises(AccessDenied):
            require_console(user)
