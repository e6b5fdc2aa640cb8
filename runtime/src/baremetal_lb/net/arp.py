"""ARP for IPv4 over Ethernet (RFC 826) and the probe/announcement forms of RFC 5227."""

from __future__ import annotations

import struct
from dataclasses import dataclass
from ipaddress import IPv4Address

from .ethernet import BROADCAST, ETH_P_ARP, ETH_P_IP, ZERO_MAC, EthernetFrame, PacketError

REQUEST = 1
REPLY = 2
UNSPECIFIED = IPv4Address(0)
_ARP = struct.Struct("!HHBBH6s4s6s4s")
_HTYPE_ETHERNET = 1


@dataclass(frozen=True)
class ArpPacket:
    op: int
    sender_mac: bytes
    sender_ip: IPv4Address
    target_mac: bytes
    target_ip: IPv4Address

    def encode(self) -> bytes:
        return _ARP.pack(_HTYPE_ETHERNET, ETH_P_IP, 6, 4, self.op, self.sender_mac,
                         self.sender_ip.packed, self.target_mac, self.target_ip.packed)

    @classmethod
    def decode(cls, data: bytes) -> ArpPacket:
        if len(data) < _ARP.size:
            raise PacketError(f"ARP packet of {len(data)} bytes is shorter than {_ARP.size}")
        htype, ptype, hlen, plen, op, sha, spa, tha, tpa = _ARP.unpack_from(data)
        if (htype, ptype, hlen, plen) != (_HTYPE_ETHERNET, ETH_P_IP, 6, 4):
            raise PacketError(f"ARP packet is not Ethernet/IPv4 (htype {htype}, ptype {ptype:#x})")
        if op not in (REQUEST, REPLY):
            raise PacketError(f"ARP operation {op} is neither request nor reply")
        return cls(op, sha, IPv4Address(spa), tha, IPv4Address(tpa))

    @property
    def is_probe(self) -> bool:
        """RFC 5227 probe: 'who has X' from a host that does not claim any address yet."""
        return self.op == REQUEST and self.sender_ip == UNSPECIFIED

    @property
    def is_announcement(self) -> bool:
        """Gratuitous ARP: the sender states its own binding (sender IP == target IP)."""
        return self.sender_ip == self.target_ip and self.sender_ip != UNSPECIFIED


def frame(src_mac: bytes, dst_mac: bytes, packet: ArpPacket) -> bytes:
    return EthernetFrame(dst_mac, src_mac, ETH_P_ARP, packet.encode()).encode()


def reply_to(request: ArpPacket, my_mac: bytes) -> bytes:
    """Unicast reply to `request` for its target IP, bound to `my_mac`.

    A probe (sender IP 0.0.0.0) is answered with target IP 0.0.0.0 too, which is how the
    prober learns the address is taken (RFC 5227 section 2.1.1)."""
    packet = ArpPacket(REPLY, my_mac, request.target_ip, request.sender_mac, request.sender_ip)
    return frame(my_mac, request.sender_mac, packet)


def announcement(my_mac: bytes, ip: IPv4Address) -> bytes:
    """Gratuitous ARP in request form (RFC 5227 ARP Announcement): every host on the segment
    that caches `ip` updates it to `my_mac`; request form is the one all stacks accept."""
    return frame(my_mac, BROADCAST, ArpPacket(REQUEST, my_mac, ip, ZERO_MAC, ip))


def probe(my_mac: bytes, ip: IPv4Address) -> bytes:
    """RFC 5227 probe: asks who has `ip` without putting `ip` into anyone's cache."""
    return frame(my_mac, BROADCAST, ArpPacket(REQUEST, my_mac, UNSPECIFIED, ZERO_MAC, ip))


def request(my_mac: bytes, my_ip: IPv4Address, ip: IPv4Address) -> bytes:
    return frame(my_mac, BROADCAST, ArpPacket(REQUEST, my_mac, my_ip, ZERO_MAC, ip))


def decode_frame(data: bytes) -> tuple[EthernetFrame, ArpPacket] | None:
    """The ARP packet inside an Ethernet frame, or None if the frame is not (valid) ARP."""
    try:
        eth = EthernetFrame.decode(data)
        if eth.ethertype != ETH_P_ARP:
            return None
        return eth, ArpPacket.decode(eth.payload)
    except PacketError:
        return None
