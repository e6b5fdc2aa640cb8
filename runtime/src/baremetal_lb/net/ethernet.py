"""Ethernet II frames and MAC addresses (pure encode/decode, no I/O)."""

from __future__ import annotations

import struct
from dataclasses import dataclass

ETH_P_IP = 0x0800
ETH_P_ARP = 0x0806
ETH_P_IPV6 = 0x86DD

BROADCAST = b"\xff" * 6
ZERO_MAC = b"\x00" * 6
# Shorter frames are padded: some NICs and switches drop runts instead of padding them.
MIN_FRAME = 60
HEADER = struct.Struct("!6s6sH")


class PacketError(ValueError):
    """A frame or packet that cannot be decoded (truncated, wrong type, bad checksum)."""


def parse_mac(text: str) -> bytes:
    parts = text.replace("-", ":").split(":")
    if len(parts) != 6 or not all(len(p) in (1, 2) for p in parts):
        raise ValueError(f"MAC address {text!r} is not six hex octets like 02:00:5e:10:00:0b")
    try:
        return bytes(int(p, 16) for p in parts)
    except ValueError:
        raise ValueError(
            f"MAC address {text!r} is not six hex octets like 02:00:5e:10:00:0b"
        ) from None


def format_mac(mac: bytes) -> str:
    return ":".join(f"{b:02x}" for b in mac)


def is_unicast_mac(mac: bytes) -> bool:
    return len(mac) == 6 and not mac[0] & 1 and mac != ZERO_MAC


@dataclass(frozen=True)
class EthernetFrame:
    dst: bytes
    src: bytes
    ethertype: int
    payload: bytes

    def encode(self) -> bytes:
        data = HEADER.pack(self.dst, self.src, self.ethertype) + self.payload
        return data.ljust(MIN_FRAME, b"\x00")

    @classmethod
    def decode(cls, data: bytes) -> EthernetFrame:
        if len(data) < HEADER.size:
            raise PacketError(f"Ethernet frame of {len(data)} bytes is shorter than its header")
        dst, src, ethertype = HEADER.unpack_from(data)
        return cls(dst, src, ethertype, data[HEADER.size:])
