"""Heartbeat wire format: a small fixed header, the node name, and an HMAC-SHA256 over both.

    magic "BLHB" | version u8 | key id u8 | flags u16 | incarnation u64 | sequence u64 |
    sent (unix ms) u64 | hold (ms) u32 | MAC 6 bytes | name length u8 | name (UTF-8) | HMAC 32

All integers are big-endian. The HMAC covers every byte before it, so a host without the shared
key can neither invent a member nor change a real heartbeat (its hold time, its MAC). Replays of
real heartbeats are refused by the membership table, which needs (incarnation, sequence) to grow
per sender and `sent` to be recent. The key id lets a cluster roll its key: receivers accept
every configured id, senders sign with one.
"""

from __future__ import annotations

import hashlib
import hmac
import struct
from collections.abc import Mapping
from dataclasses import dataclass

MAGIC = b"BLHB"
VERSION = 1
FLAG_LEAVING = 0x1
MAX_NAME = 253                       # a Kubernetes node name is a DNS subdomain
DIGEST_SIZE = 32
MIN_KEY = 16
_HEADER = struct.Struct("!4sBBHQQQI6sB")


class WireError(ValueError):
    """A datagram that is not a valid, authentic heartbeat; `reason` is a short metric label."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class Heartbeat:
    node: str
    incarnation: int          # fixed for one process lifetime, larger after a restart
    sequence: int             # grows by one per heartbeat within an incarnation
    sent_ms: int              # sender's wall clock, for the freshness check
    hold_ms: int              # how long receivers should consider the sender alive without news
    mac: bytes                # sender's MAC on the LAN: its own ARP replies are not foreign
    leaving: bool = False     # graceful goodbye: receivers drop the sender at once

    @property
    def counter(self) -> tuple[int, int]:
        return (self.incarnation, self.sequence)


def check_key(key: bytes) -> bytes:
    if len(key) < MIN_KEY:
        raise ValueError(f"heartbeat key has {len(key)} bytes; use at least {MIN_KEY} random bytes "
                         "(e.g. `openssl rand -hex 32`)")
    return key


def encode(beat: Heartbeat, key_id: int, key: bytes) -> bytes:
    name = beat.node.encode()
    if not name or len(name) > MAX_NAME:
        raise ValueError(f"node name {beat.node!r} must have 1..{MAX_NAME} bytes")
    if len(beat.mac) != 6:
        raise ValueError(f"heartbeat MAC {beat.mac!r} must have 6 bytes")
    body = _HEADER.pack(MAGIC, VERSION, key_id, FLAG_LEAVING if beat.leaving else 0,
                        beat.incarnation, beat.sequence, beat.sent_ms, beat.hold_ms, beat.mac,
                        len(name)) + name
    return body + hmac.new(check_key(key), body, hashlib.sha256).digest()


def decode(data: bytes, keys: Mapping[int, bytes]) -> Heartbeat:
    """The authentic heartbeat in `data`; raises WireError (never returns unauthenticated data)."""
    if len(data) < _HEADER.size + 1 + DIGEST_SIZE:
        raise WireError("short", f"datagram of {len(data)} bytes is too short for a heartbeat")
    magic, version, key_id, flags, incarnation, sequence, sent_ms, hold_ms, mac, name_len = \
        _HEADER.unpack_from(data)
    if magic != MAGIC:
        raise WireError("magic", "datagram is not a heartbeat (wrong magic)")
    if version != VERSION:
        raise WireError("version", f"heartbeat version {version} is not {VERSION}")
    end = _HEADER.size + name_len
    if len(data) != end + DIGEST_SIZE or name_len == 0:
        raise WireError("length", f"heartbeat length {len(data)} does not match its name length")
    key = keys.get(key_id)
    if key is None:
        raise WireError("unknown_key", f"heartbeat signed with key id {key_id}, which is not configured")
    expected = hmac.new(key, data[:end], hashlib.sha256).digest()
    if not hmac.compare_digest(expected, data[end:]):
        raise WireError("bad_hmac", "heartbeat HMAC does not verify (wrong key or altered)")
    try:
        node = data[_HEADER.size:end].decode()
    except UnicodeDecodeError:
        raise WireError("name", "heartbeat node name is not UTF-8") from None
    return Heartbeat(node, incarnation, sequence, sent_ms, hold_ms, mac,
                     leaving=bool(flags & FLAG_LEAVING))
