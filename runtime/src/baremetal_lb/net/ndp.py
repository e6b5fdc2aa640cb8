"""IPv6 Neighbor Discovery (RFC 4861): Neighbor Solicitation and Advertisement inside IPv6 inside
Ethernet, with the ICMPv6 checksum, plus the DAD probe form of RFC 4862. Pure, no I/O."""

from __future__ import annotations

import struct
from dataclasses import dataclass
from ipaddress import IPv6Address

from .ethernet import ETH_P_IPV6, EthernetFrame, PacketError

ICMPV6 = 58
NEIGHBOR_SOLICITATION = 135
NEIGHBOR_ADVERTISEMENT = 136
OPT_SOURCE_LLADDR = 1
OPT_TARGET_LLADDR = 2
# RFC 4861 7.1.1: a hop limit below 255 means the packet crossed a router: never ours to trust.
HOP_LIMIT = 255
ALL_NODES = IPv6Address("ff02::1")
UNSPECIFIED = IPv6Address("::")
_IPV6 = struct.Struct("!IHBB16s16s")
_ICMP_HEADER = struct.Struct("!BBH")
_FLAG_ROUTER, _FLAG_SOLICITED, _FLAG_OVERRIDE = 0x80, 0x40, 0x20


def solicited_node(ip: IPv6Address) -> IPv6Address:
    """The multicast group a Neighbor Solicitation for `ip` is sent to (ff02::1:ffXX:XXXX)."""
    return IPv6Address(IPv6Address("ff02::1:ff00:0").packed[:13] + ip.packed[13:])


def multicast_mac(group: IPv6Address) -> bytes:
    """RFC 2464: IPv6 multicast maps to 33:33 followed by the group's last four octets."""
    return b"\x33\x33" + group.packed[12:]


def checksum(src: IPv6Address, dst: IPv6Address, message: bytes) -> int:
    pseudo = src.packed + dst.packed + struct.pack("!I3xB", len(message), ICMPV6)
    data = pseudo + message
    if len(data) % 2:
        data += b"\x00"
    total: int = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


@dataclass(frozen=True)
class NeighborSolicitation:
    target: IPv6Address
    source_mac: bytes | None = None        # absent in DAD probes (source ::)


@dataclass(frozen=True)
class NeighborAdvertisement:
    target: IPv6Address
    target_mac: bytes | None
    solicited: bool
    override: bool = True
    router: bool = False


Message = NeighborSolicitation | NeighborAdvertisement


@dataclass(frozen=True)
class NdpPacket:
    src_mac: bytes
    dst_mac: bytes
    src: IPv6Address
    dst: IPv6Address
    message: Message

    @property
    def is_dad(self) -> bool:
        return isinstance(self.message, NeighborSolicitation) and self.src == UNSPECIFIED


def _option(kind: int, mac: bytes) -> bytes:
    return struct.pack("!BB", kind, 1) + mac


def _icmp(src: IPv6Address, dst: IPv6Address, message: Message) -> bytes:
    if isinstance(message, NeighborSolicitation):
        kind, flags = NEIGHBOR_SOLICITATION, 0
        options = _option(OPT_SOURCE_LLADDR, message.source_mac) if message.source_mac else b""
    else:
        kind = NEIGHBOR_ADVERTISEMENT
        flags = ((_FLAG_ROUTER if message.router else 0) | (_FLAG_SOLICITED if message.solicited else 0)
                 | (_FLAG_OVERRIDE if message.override else 0))
        options = _option(OPT_TARGET_LLADDR, message.target_mac) if message.target_mac else b""
    body = struct.pack("!B3x", flags) + message.target.packed + options
    unsummed = _ICMP_HEADER.pack(kind, 0, 0) + body
    return _ICMP_HEADER.pack(kind, 0, checksum(src, dst, unsummed)) + body


def encode(packet: NdpPacket) -> bytes:
    icmp = _icmp(packet.src, packet.dst, packet.message)
    ipv6 = _IPV6.pack(6 << 28, len(icmp), ICMPV6, HOP_LIMIT, packet.src.packed, packet.dst.packed)
    return EthernetFrame(packet.dst_mac, packet.src_mac, ETH_P_IPV6, ipv6 + icmp).encode()


def _link_option(options: bytes, wanted: int) -> bytes | None:
    while options:
        if len(options) < 2 or options[1] == 0:
            raise PacketError("NDP option with length 0 (RFC 4861 says drop the packet)")
        kind, size = options[0], options[1] * 8
        if size > len(options):
            raise PacketError("NDP option runs past the end of the packet")
        if kind == wanted and size >= 8:
            return bytes(options[2:8])
        options = options[size:]
    return None


def decode(data: bytes) -> NdpPacket:
    """Decode an NS or NA frame, with the validity checks of RFC 4861 7.1.1 / 7.1.2."""
    eth = EthernetFrame.decode(data)
    if eth.ethertype != ETH_P_IPV6 or len(eth.payload) < _IPV6.size:
        raise PacketError("not an IPv6 frame")
    vtf, length, next_header, hop_limit, src_b, dst_b = _IPV6.unpack_from(eth.payload)
    if vtf >> 28 != 6 or next_header != ICMPV6:
        raise PacketError("not ICMPv6 directly inside IPv6")
    if hop_limit != HOP_LIMIT:
        raise PacketError(f"hop limit {hop_limit} is not 255: the packet was routed")
    icmp = eth.payload[_IPV6.size:_IPV6.size + length]
    if len(icmp) != length or length < 24:
        raise PacketError(f"ICMPv6 message of {len(icmp)} bytes is truncated")
    src, dst = IPv6Address(src_b), IPv6Address(dst_b)
    kind, code, _ = _ICMP_HEADER.unpack_from(icmp)
    if code != 0 or kind not in (NEIGHBOR_SOLICITATION, NEIGHBOR_ADVERTISEMENT):
        raise PacketError(f"ICMPv6 type {kind} code {code} is not NS/NA")
    if checksum(src, dst, icmp) != 0:
        raise PacketError("ICMPv6 checksum mismatch")
    flags = icmp[4]
    target = IPv6Address(icmp[8:24])
    if target.is_multicast:
        raise PacketError(f"NDP target {target} is multicast")
    message: Message
    if kind == NEIGHBOR_SOLICITATION:
        source_mac = _link_option(icmp[24:], OPT_SOURCE_LLADDR)
        if src == UNSPECIFIED and (source_mac is not None or not dst.is_multicast):
            raise PacketError("DAD solicitation with a link-layer option or a unicast destination")
        message = NeighborSolicitation(target, source_mac)
    else:
        message = NeighborAdvertisement(target, _link_option(icmp[24:], OPT_TARGET_LLADDR),
                                        solicited=bool(flags & _FLAG_SOLICITED),
                                        override=bool(flags & _FLAG_OVERRIDE),
                                        router=bool(flags & _FLAG_ROUTER))
        if message.solicited and dst.is_multicast:
            raise PacketError("solicited advertisement sent to a multicast address")
    return NdpPacket(eth.src, eth.dst, src, dst, message)


def decode_frame(data: bytes) -> NdpPacket | None:
    try:
        return decode(data)
    except PacketError:
        return None


def advertise_reply(ns: NdpPacket, my_mac: bytes, my_source: IPv6Address) -> bytes:
    """Solicited NA answering `ns`; a DAD probe (source ::) is answered to all-nodes, unsolicited,
    so the prober sees the address is taken (RFC 4861 7.2.4)."""
    target = ns.message.target
    if ns.src == UNSPECIFIED:
        return unsolicited_advert(my_mac, my_source, target)
    reply_mac = (ns.message.source_mac if isinstance(ns.message, NeighborSolicitation)
                 and ns.message.source_mac else ns.src_mac)
    message = NeighborAdvertisement(target, my_mac, solicited=True, override=True)
    return encode(NdpPacket(my_mac, reply_mac, my_source, ns.src, message))


def unsolicited_advert(my_mac: bytes, my_source: IPv6Address, target: IPv6Address) -> bytes:
    """Unsolicited NA with the override flag: caches holding `target` switch to `my_mac`."""
    message = NeighborAdvertisement(target, my_mac, solicited=False, override=True)
    return encode(NdpPacket(my_mac, multicast_mac(ALL_NODES), my_source, ALL_NODES, message))


def dad_probe(my_mac: bytes, target: IPv6Address) -> bytes:
    """RFC 4862 DAD solicitation: from ::, to the target's solicited-node group, no option."""
    group = solicited_node(target)
    return encode(NdpPacket(my_mac, multicast_mac(group), UNSPECIFIED, group,
                            NeighborSolicitation(target)))


def solicit(my_mac: bytes, my_source: IPv6Address, target: IPv6Address) -> bytes:
    group = solicited_node(target)
    return encode(NdpPacket(my_mac, multicast_mac(group), my_source, group,
                            NeighborSolicitation(target, my_mac)))
