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
