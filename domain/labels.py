"""Signed QR label payloads that a phone can verify offline.

A label reads ``RND1.<site_id>.<point_id>.<signature>`` (the first print of a point), or
``RND2.<site_id>.<point_id>.<serial>.<signature>`` once it has been reprinted (serial 1,
2, …): an Ed25519 signature by the site's private key (kept on the server) over the text
before it. Reprinting a label revokes the ones printed before it: a scan of a label whose
serial is older than the point's current one, made after the reprint, is flagged
(`revoked_since`). Phones get the site's
public key with their config, so they can refuse a forged or foreign label with no network,
but cannot make new labels. A photo of a real label still scans: the fraud signals
(GPS distance, walking speed) are what catch that.
"""

from __future__ import annotations

import base64
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

__all__ = [
    "PREFIX",
    "LabelError",
    "ScannedLabel",
    "label_payload",
    "new_site_key",
    "normalise_short_code",
    "public_key_of",
    "read_label",
    "revoked_since",
    "short_codes_match",
]

PREFIX = "RND1"
PREFIX_V2 = "RND2"
MAX_SERIAL = 999_999
_ID = re.compile(r"^[A-Za-z0-9_-]{1,40}$")
_SERIAL = re.compile(r"^[1-9][0-9]{0,5}$")


class LabelError(ValueError):
    """Why a scanned code is not a visit: `reason` is not_ours, other_site or bad_signature."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class ScannedLabel:
    site_id: str
    point_id: str
    serial: int = 0  # 0: the first print (RND1)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def new_site_key() -> bytes:
    """A new private key, as 32 raw bytes."""
    return Ed25519PrivateKey.generate().private_bytes_raw()


def public_key_of(private_key: bytes) -> str:
    raw = Ed25519PrivateKey.from_private_bytes(private_key).public_key()
    return _b64(raw.public_bytes(Encoding.Raw, PublicFormat.Raw))


def label_payload(site_id: str, point_id: str, private_key: bytes, serial: int = 0) -> str:
    """The signed payload of a point's label; serial 0 is the first print (RND1)."""
    if not (_ID.match(site_id) and _ID.match(point_id)):
        raise ValueError("site and point ids must be 1-40 letters, digits, '-' or '_'")
    if not 0 <= serial <= MAX_SERIAL:
        raise ValueError(f"serial must be 0 to {MAX_SERIAL}")
    body = f"{PREFIX}.{site_id}.{point_id}"
    if serial:
        body = f"{PREFIX_V2}.{site_id}.{point_id}.{serial}"
    signature = Ed25519PrivateKey.from_private_bytes(private_key).sign(body.encode())
    return f"{body}.{_b64(signature)}"


def read_label(payload: str, public_keys: dict[str, str]) -> ScannedLabel:
    """Check a scanned payload against the public keys of the sites this device works on."""
    parts = payload.strip().split(".")
    v1 = len(parts) == 4 and parts[0] == PREFIX
    v2 = len(parts) == 5 and parts[0] == PREFIX_V2 and bool(_SERIAL.match(parts[3]))
    if not (v1 or v2) or not all(_ID.match(p) for p in parts[1:3]):
        raise LabelError("not_ours", "This QR code is not a Rounds label.")
    site_id, point_id, signature = parts[1], parts[2], parts[-1]
    key = public_keys.get(site_id)
    if key is None:
        raise LabelError("other_site", "This label belongs to another site.")
    try:
        Ed25519PublicKey.from_public_bytes(_unb64(key)).verify(
            _unb64(signature), ".".join(parts[:-1]).encode()
        )
    except (InvalidSignature, ValueError) as exc:
        raise LabelError("bad_signature", "This label failed its signature check.") from exc
    return ScannedLabel(site_id, point_id, int(parts[3]) if v2 else 0)


def revoked_since(serial: int, issued: Iterable[tuple[int, datetime]]) -> datetime | None:
    """When the label printed as `serial` stopped being current: the time the first later
    serial of the point was issued (`issued` is every (serial, issued at) of the point);
    None while it is still the newest. A scan made before that time was a good scan."""
    later = [at for s, at in issued if s > serial]
    return min(later) if later else None


# Separators people type between groups of a printed short code: spaces (any width),
# ":" and "-" and their look-alikes. NFKC already folds full-width forms (ＡＢ１２, ：, －).
_SEPARATORS = re.compile(r"[\s:\-\u2010-\u2015\u2212\u30fc\uff70]+")


def normalise_short_code(text: str) -> str:
    """A short code as compared: full-width characters folded to ASCII (NFKC, so a Chinese
    IME's ＡＢ１２ is AB12), spaces, ":" and "-" separators dropped, and upper case. So
    "04:a1:b2", "04 A1 B2" and "０４－Ａ１－Ｂ２" all read 04A1B2."""
    return _SEPARATORS.sub("", unicodedata.normalize("NFKC", text)).upper()


def short_codes_match(typed: str, short_code: str) -> bool:
    """A typed code names a point when both normalise to the same non-empty code."""
    code = normalise_short_code(short_code)
    return bool(code) and normalise_short_code(typed) == code
