"""Tamper evidence: each site's records form a hash chain.

A record's *digest* is the SHA-256 of its canonical form: its stored fields in a fixed
order, each written as `<length>:<text>` (`-` for none), exactly as they are stored
(records are never updated, so the stored text is the record). Its *link* is the
SHA-256 of the previous record's link (of the same site) followed by its own digest;
the first record of a site follows `GENESIS`. The newest link, the *head*, depends on
every record before it: a record edited, deleted or slipped in later changes the head,
so a printed head proves what the records were on the day it was printed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = ["GENESIS", "ChainBreak", "ChainRow", "canonical", "digest", "first_break", "link"]

GENESIS = "0" * 64


def canonical(fields: Sequence[str | None]) -> bytes:
    """Fields as `<length>:<text>` one after another (`-` for None): no two lists of
    fields give the same bytes."""
    return "".join([f"{len(f)}:{f}" if f is not None else "-" for f in fields]).encode()


def digest(fields: Sequence[str | None]) -> str:
    """SHA-256 (hex) of a record's canonical form."""
    return hashlib.sha256(canonical(fields)).hexdigest()


def link(previous: str, record_digest: str) -> str:
    """The chain link of a record: SHA-256 of the previous link and the record's digest."""
    return hashlib.sha256(f"{previous}{record_digest}".encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class ChainRow:
    """A stored record as the chain sees it: its place, its fields and its stored hashes."""

    seq: int
    record_id: str
    fields: tuple[str | None, ...]
    prev_hash: str
    body_hash: str
    chain_hash: str


@dataclass(frozen=True, slots=True)
class ChainBreak:
    seq: int
    record_id: str
    reason: str


def first_break(rows: Iterable[ChainRow]) -> ChainBreak | None:
    """The first record (in chain order) whose stored hashes do not hold, else None.

    A link breaks when the record's fields no longer match its digest (edited), when its
    previous-link hash is not the link before it (a record deleted or inserted), when its
    place skips or repeats, or when its own link is not the hash of the two.
    """
    previous, expected_seq = GENESIS, 1
    for row in rows:
        if row.seq != expected_seq:
            return ChainBreak(row.seq, row.record_id, f"expected record #{expected_seq} here")
        if digest(row.fields) != row.body_hash:
            return ChainBreak(row.seq, row.record_id, "the record was changed after it was stored")
        if row.prev_hash != previous:
            return ChainBreak(row.seq, row.record_id, "the record before it is missing or changed")
        if link(previous, row.body_hash) != row.chain_hash:
            return ChainBreak(row.seq, row.record_id, "its chain hash was changed")
        previous, expected_seq = row.chain_hash, expected_seq + 1
    return None
