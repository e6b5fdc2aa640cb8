"""Heartbeat wire format: layout, authentication, and every way a datagram is refused."""

from __future__ import annotations

import hashlib
import hmac
import struct

import pytest

from baremetal_lb.liveness.wire import Heartbeat, WireError, decode, encode

KEY = bytes(range(32))
OTHER = bytes(range(1, 33))
BEAT = Heartbeat("node1", incarnation=1_700_000_000_000_000_000, sequence=42,
                 sent_ms=1_700_000_000_123, hold_ms=350, mac=bytes.fromhex("02005e10000b"))


def test_round_trip() -> None:
    assert decode(encode(BEAT, 3, KEY), {3: KEY}) == BEAT
    leaving = Heartbeat(**{**BEAT.__dict__, "leaving": True})
    assert decode(encode(leaving, 3, KEY), {3: KEY}).leaving


def test_layout_matches_the_documented_format() -> None:
    data = encode(BEAT, 3, KEY)
    body = (b"BLHB" + bytes([1, 3]) + struct.pack("!HQQQI", 0, BEAT.incarnation, 42,
                                                   BEAT.sent_ms, 350)
            + BEAT.mac + bytes([5]) + b"node1")
    assert data == body + hmac.new(KEY, body, hashlib.sha256).digest()


def test_every_single_bit_flip_is_refused() -> None:
    data = encode(BEAT, 3, KEY)
    for i in range(len(data)):
        for bit in (0x01, 0x80):
            forged = bytearray(data)
            forged[i] ^= bit
            with pytest.raises(WireError):
                decode(bytes(forged), {3: KEY})


@pytest.mark.parametrize("data, keys, reason", [
    (encode(BEAT, 3, OTHER), {3: KEY}, "bad_hmac"),
    (encode(BEAT, 4, KEY), {3: KEY}, "unknown_key"),
    (encode(BEAT, 3, KEY)[:-1], {3: KEY}, "length"),
    (encode(BEAT, 3, KEY) + b"x", {3: KEY}, "length"),
    (b"BLHB\x01", {3: KEY}, "short"),
    (b"XXXX" + encode(BEAT, 3, KEY)[4:], {3: KEY}, "magic"),
    (b"BLHB\x02" + encode(BEAT, 3, KEY)[5:], {3: KEY}, "version"),
])
def test_refusals_name_their_reason(data: bytes, keys: dict[int, bytes], reason: str) -> None:
    with pytest.raises(WireError) as err:
        decode(data, keys)
    assert err.value.reason == reason


def test_key_rollover_accepts_both_keys() -> None:
    keys = {3: KEY, 4: OTHER}
    assert decode(encode(BEAT, 3, KEY), keys) == decode(encode(BEAT, 4, OTHER), keys) == BEAT


@pytest.mark.parametrize("beat, key, match", [
    (BEAT, b"short", "at least 16"),
    (Heartbeat(**{**BEAT.__dict__, "node": ""}), KEY, "node name"),
    (Heartbeat(**{**BEAT.__dict__, "node": "n" * 254}), KEY, "node name"),
    (Heartbeat(**{**BEAT.__dict__, "mac": b"\0"}), KEY, "MAC"),
])
def test_encode_refuses_bad_input(beat: Heartbeat, key: bytes, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        encode(beat, 3, key)
