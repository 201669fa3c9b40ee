"""One server process per data folder.

The server keeps per-process state that must be the only copy (the login throttle, the
password-hash slots, the one SQLite writer connection the routes share), so a second
process on the same folder — a second uvicorn worker, or a second server started by
mistake — is refused at startup with a clear message instead of running half-safe.
Scale with one worker per site group (one data folder each), not workers per folder.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from typing import IO

__all__ = ["DataDirInUse", "DataLock"]


class DataDirInUse(RuntimeError):
    pass


class DataLock:
    """An exclusive, non-blocking `flock` on `<data dir>/server.lock`, held while open.

    The kernel drops it when the process dies (kill -9 included), so a crash never leaves
    a stale lock behind.
    """

    def __init__(self, data_dir: Path) -> None:
        data_dir.mkdir(parents=True, exist_ok=True)
        self.path = data_dir / "server.lock"
        self._file: IO[str] | None = open(self.path, "a+")  # noqa: SIM115 - held until release
        try:
            fcntl.flock(self._file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._file.seek(0)
            holder = self._file.read().strip() or "another process"
            self._file.close()
            self._file = None
            raise DataDirInUse(
                f"{data_dir} is already served by {holder}: run one server process per data"
                " folder (uvicorn --workers 1): a second worker would keep its own login"
                " throttle and write the same SQLite file"
            ) from None
        self._file.seek(0)
        self._file.truncate()
        self._file.write(f"pid {os.getpid()}\n")
        self._file.flush()

    def release(self) -> None:
        if self._file is not None:
            fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None
