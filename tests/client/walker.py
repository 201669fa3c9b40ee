"""A guard's phone as its own process, for the kill-and-restart acceptance test.

    python -m tests.client.walker DATA_DIR START_ISO FIRST LAST [--die]

Resumes (or starts) the round for START's occurrence, scans checkpoints FIRST..LAST by
decoding real label images, answers each point's check with a photo, and finishes after
the 20th. With --die it kills itself with SIGKILL right after its last record was saved.
"""

from __future__ import annotations

import os
import signal
import sys
from datetime import datetime, timedelta
from pathlib import Path

from app.qr import decode_qr
from tests.client.helpers import Clock, camera_photo, field_app, label_image


def main() -> None:
    data_dir, start, first, last = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    due = datetime.fromisoformat(start)
    clock = Clock(due + timedelta(minutes=2 + 4 * (first - 1)), step=timedelta(seconds=40))
    app = field_app(Path(data_dir), clock=clock, server_url="http://127.0.0.1:9")
    item = next(r for r in app.today_rounds() if r.due == due)
    app.start_round(item.route_id, item)
    for i in range(first, last + 1):
        [payload] = decode_qr(label_image("alpha", f"c{i:02d}"))
        point, scan_id = app.scan_checkpoint(payload)
        photo = app.take_photo(camera_photo(100 + i), point["name"])
        app.answer_checks(point["id"], scan_id, {"消防设施完好?": True}, photo)
        print(f"saved c{i:02d}", flush=True)
    if "--die" in sys.argv:
        os.kill(os.getpid(), signal.SIGKILL)
    if app.active_round() and not app.active_round().left:
        app.finish_round()
        print("finished", flush=True)


if __name__ == "__main__":
    main()
