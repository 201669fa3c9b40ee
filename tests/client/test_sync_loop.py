"""The phone's one sync loop against a real uvicorn that goes away and comes back."""

from __future__ import annotations

import asyncio
import time

from app.syncloop import SyncLoop
from server.serve import ServerThread
from tests.client.helpers import field_app
from tests.factory import PASSWORD, label


def test_records_go_up_within_seconds_of_the_server_coming_back(settings, tmp_path):
    server = ServerThread(settings).start()
    app = field_app(tmp_path / "guard")
    asyncio.run(app.login(server.url, "guard", PASSWORD))
    server.stop()
    refreshed: list[int] = []

    async def scenario() -> float:
        loop = SyncLoop(app)
        loop.listen(lambda: refreshed.append(app.status().pending))
        loop.start()
        app.start_round("r1")
        for i in range(1, 11):
            app.scan_checkpoint(label("alpha", f"c{i:02d}"))
        loop.wake()
        while not app.offline:
            await asyncio.sleep(0.05)
        await asyncio.sleep(12)  # down a while: a backing-off loop would now wait long
        assert app.status().pending == 11 and app.status().error == "offline_error"
        back = await asyncio.to_thread(ServerThread(settings, port=server.port).start)
        answered = time.monotonic()
        deadline = answered + 60
        while app.status().pending and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        seconds = time.monotonic() - answered
        while app.offline and time.monotonic() < deadline:  # the pull after the push
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.1)
        await loop.stop()
        back.stop()
        return seconds

    seconds = asyncio.run(scenario())
    print(f"server back -> all sent: {seconds:.1f} s")
    assert app.status().pending == 0 and not app.status().offline
    assert refreshed[-1] == 0  # the screens heard of it with no tap
    assert len(refreshed) >= 3  # and of each probe while offline


class SlowApp:
    """Just what the loop asks of a `FieldApp`: each sync takes a while."""

    signed_in, offline = True, False

    def __init__(self) -> None:
        self.syncs: list[float] = []

    async def sync(self) -> None:
        self.syncs.append(time.monotonic())
        await asyncio.sleep(0.3)

    def next_sync_in(self) -> float:
        return 30.0


def test_a_record_saved_during_a_sync_is_sent_at_once_not_at_the_next_routine_sync():
    async def scenario() -> list[float]:
        app = SlowApp()
        loop = SyncLoop(app)  # type: ignore[arg-type]
        loop.start()
        await asyncio.sleep(0.1)  # the first attempt is under way
        loop.wake()  # a scan saved now
        await asyncio.sleep(1.0)
        await loop.stop()
        return app.syncs

    syncs = asyncio.run(scenario())
    assert len(syncs) == 2 and syncs[1] - syncs[0] < 1.0
