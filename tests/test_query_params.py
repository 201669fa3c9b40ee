"""Date and time query parameters (issue 9): far years, epoch numbers and offset-less
times answer 422 with a message, never 500 or a silent 1970."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from server.serve import ServerThread
from server.settings import Settings
from tests.conftest import LiveServer
from tests.factory import build_company

COVERAGE = "/api/v1/sites/alpha/coverage"
MINE = "/api/v1/sites/alpha/my-records"


@pytest.fixture(scope="module")
def manager(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    """One server and one signed-in manager for all of these read-only requests."""
    settings = Settings(data_dir=tmp_path_factory.mktemp("server"))
    build_company(settings)
    server = ServerThread(settings).start()
    client = LiveServer(server.url, settings).login("manager")
    yield client
    client.close()
    server.stop()


@pytest.mark.parametrize(
    ("path", "params", "message"),
    [
        (COVERAGE, {"date": "9999-12-31"}, "2020-01-01 to 2099-12-31"),
        (COVERAGE, {"date": "0001-01-01"}, "2020-01-01 to 2099-12-31"),
        (COVERAGE, {"period": "month", "date": "9999-12-15"}, "2020-01-01 to 2099-12-31"),
        (COVERAGE, {"period": "week", "date": "2019-12-31"}, "2020-01-01 to 2099-12-31"),
        (COVERAGE, {"date": "0.0"}, "not a date"),
        (COVERAGE, {"date": "0"}, "not a date"),
        (COVERAGE, {"shift_start": "0"}, "time of day"),
        (COVERAGE, {"shift_start": "08:00+08:00"}, "time of day"),
        (COVERAGE, {"date": "2026-03-02\n"}, "not a date"),
        (MINE, {"since": "2026-03-01T00:00Z"}, "with seconds"),
        (
            COVERAGE,
            {"start": "9999-12-30T00:00:00+00:00", "end": "9999-12-31T23:59:59-14:00"},
            "is after 2100-01-02",
        ),
        (
            COVERAGE,
            {"start": "0001-01-01T00:00:00+14:00", "end": "0001-01-02T00:00:00+00:00"},
            "cannot be converted to UTC",
        ),
        (COVERAGE, {"start": "2026-03-01T00:00:00", "end": "2026-03-02T00:00:00"}, "offset"),
        (COVERAGE, {"start": "0", "end": "86400"}, "ISO 8601"),
        (MINE, {"since": "9999-12-31T23:59:59-14:00"}, "cannot be converted to UTC"),
        (MINE, {"since": "9999-01-01T00:00:00Z"}, "is after 2100-01-02"),
        (MINE, {"since": "0"}, "ISO 8601"),
        (MINE, {"since": "0.0"}, "ISO 8601"),
        (MINE, {"since": "1700000000"}, "ISO 8601"),
        (MINE, {"since": "2026-03-01T00:00:00"}, "offset"),
    ],
)
def test_bad_dates_and_times_are_422_with_a_message(manager, path, params, message):
    response = manager.get(path, params=params)
    assert response.status_code == 422, response.text
    assert message in str(response.json()["detail"])


def test_the_edges_of_the_allowed_range_are_read(manager):
    for params in (
        {"period": "month", "date": "2099-12-31"},
        {"period": "week", "date": "2020-01-01"},
        {"start": "2099-12-03T00:00:00+14:00", "end": "2099-12-31T23:59:59-12:00"},
    ):
        response = manager.get(COVERAGE, params=params | {"visits": "false"})
        assert response.status_code == 200, (params, response.text)
    since = manager.get(MINE, params={"since": "2099-12-31T23:59:59+00:00"})
    assert since.status_code == 200 and since.json()["count"] == 0
