"""Server settings, read once from the environment (ROUNDS_*)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Settings"]


@dataclass(frozen=True, slots=True)
class Settings:
    data_dir: Path = Path("var/server")
    max_batch_bytes: int = 4 * 1024 * 1024
    max_photo_bytes: int = 10 * 1024 * 1024
    max_photo_pixels: int = 50_000_000
    token_bytes: int = 32
    token_days: int = 90  # a device signs in again after this
    login_attempts: int = 5  # free attempts per (username, address) per window, then delays
    login_address_attempts: int = 30  # free attempts per client address per window
    login_window_seconds: int = 900  # also the longest delay
    login_base_delay: float = 1.0  # first delay past the free attempts, doubling after
    login_hash_threads: int = 2  # password hashes checked at once, off the event loop
    login_queue: int = 64  # logins waiting for a hash slot before 503 "busy"
    alert_push_seconds: float = 60.0  # how often alerts go to sites' group-robot webhooks

    @property
    def db_path(self) -> Path:
        return self.data_dir / "rounds.db"

    @property
    def blob_dir(self) -> Path:
        return self.data_dir / "photos"

    @classmethod
    def from_env(cls) -> Settings:
        return cls(data_dir=Path(os.environ.get("ROUNDS_DATA_DIR", "var/server")))
