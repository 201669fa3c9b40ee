"""Photos as files addressed by their SHA-256: a local folder now, S3-compatible later."""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path
from typing import Protocol

__all__ = ["BlobStore", "LocalBlobStore", "sha256_hex"]

_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class BlobStore(Protocol):
    def put(self, data: bytes) -> str: ...
    def get(self, sha: str) -> bytes | None: ...
    def exists(self, sha: str) -> bool: ...


class LocalBlobStore:
    """Files under `root/ab/cd/<sha>`, written atomically, so a crash leaves no half file."""

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)

    def _path(self, sha: str) -> Path:
        if not _SHA256.match(sha):
            raise ValueError("not a SHA-256 hex digest")
        return self.root / sha[:2] / sha[2:4] / sha

    def put(self, data: bytes) -> str:
        sha = sha256_hex(data)
        path = self._path(sha)
        if path.exists():
            return sha
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
        return sha

    def get(self, sha: str) -> bytes | None:
        path = self._path(sha)
        return path.read_bytes() if path.exists() else None

    def exists(self, sha: str) -> bool:
        return self._path(sha).exists()
