# -*- coding: utf-8 -*-
# Copyright (c) 2026, baremetal.exposure contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Address probe packets: build and parse Ethernet frames, no sockets.

PRIVATE to this collection: no compatibility promise outside it.

* IPv4: an RFC 5227 ARP probe, a broadcast ARP request with sender IP 0.0.0.0, sender MAC our
  interface's MAC and target IP the candidate. A host owning the candidate answers with an ARP
  reply to our MAC (Linux does so for ``sip == 0`` whenever ``arp_ignore`` lets it).
* IPv6: a duplicate address detection Neighbor Solicitation (RFC 4862 5.4.2): source ``::``,
  destination the candidate's solicited-node multicast group, no source link-layer address
  option. A host owning the candidate answers with a Neighbor Advertisement to all-nodes
  (``ff02::1``) carrying its MAC in the target link-layer address option.

Addresses are ``ipaddress`` objects; MACs are 6-byte ``bytes`` (``mac_to_str`` for display).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import struct

from ansible_collections.baremetal.exposure.plugins.module_utils._errors import ExposureError

ETH_P_ARP = 0x0806
ETH_P_IPV6 = 0x86DD
BROADCAST = b"\xff" * 6
ZERO_MAC = b"\x00" * 6
IPV4_ZERO = b"\x00" * 4
IPV6_UNSPECIFIED = b"\x00" * 16
IPPROTO_ICMPV6 = 58
ICMPV6_NS = 135
ICMPV6_NA = 136
ARP_REQUEST = 1
ARP_REPLY = 2
OPT_SOURCE_LLA = 1
OPT_TARGET_LLA = 2


class PacketError(ExposureError, ValueError):
    """A MAC or an address cannot be turned into a probe."""


def mac_from_str(text):
    """``02:00:5e:10:00:0b`` (or with dashes) -> 6 bytes."""
    parts = str(text).strip().replace("-", ":").split(":")
    try:
        if len(parts) != 6:
            raise ValueError()
        return bytes(bytearray(int(part, 16) for part in parts))
    except ValueError:
        raise PacketError("invalid MAC address %r: expected six hex bytes like 02:00:5e:10:00:0b"
                          % (text,)) from None


def mac_to_str(mac):
    return ":".join("%02x" % b for b in bytearray(mac))


def normalize_mac(text):
    return mac_to_str(mac_from_str(text))


def ethernet(dst, src, ethertype, payload):
    return dst + src + struct.pack("!H", ethertype) + payload


# -- IPv4: ARP ------------------------------------------------------------------------------

_ARP = struct.Struct("!HHBBH6s4s6s4s")  # htype ptype hlen plen op sha spa tha tpa


def arp_probe(src_mac, target):
    """The RFC 5227 probe for an IPv4Address, as a 42-byte Ethernet frame."""
    payload = _ARP.pack(1, 0x0800, 6, 4, ARP_REQUEST, src_mac, IPV4_ZERO, ZERO_MAC,
                        target.packed)
    return ethernet(BROADCAST, src_mac, ETH_P_ARP, payload)


def parse_arp(frame):
    """An Ethernet frame -> ``(op, sender_mac, sender_ip, target_ip)``, or None if not IPv4
    ARP over Ethernet."""
    if len(frame) < 14 + _ARP.size or struct.unpack("!H", frame[12:14])[0] != ETH_P_ARP:
        return None
    htype, ptype, hlen, plen, op, sha, spa, tha, tpa = _ARP.unpack(frame[14:14 + _ARP.size])
    if (htype, ptype, hlen, plen) != (1, 0x0800, 6, 4):
        return None
    return op, sha, ipaddress.IPv4Address(spa), ipaddress.IPv4Address(tpa)


def arp_claim(parsed, targets):
    """The ``(address, mac)`` an ARP packet shows in use, or None.

    Any ARP packet whose sender IP is a candidate means another host uses it (RFC 5227 2.1.1);
    a probe from someone else (sender IP 0.0.0.0) claims nothing yet.
    """
    if parsed is None:
        return None
    sender_ip = parsed[2]
    if sender_ip in targets:
        return sender_ip, parsed[1]
    return None


# -- IPv6: DAD Neighbor Solicitation -----------------------------------------------------------

def solicited_node(address):
    """ff02::1:ffXX:XXXX for an IPv6Address."""
    return ipaddress.IPv6Address(b"\xff\x02" + b"\x00" * 9 + b"\x01\xff" + address.packed[13:])


def multicast_mac(group):
    """The Ethernet group address of an IPv6 multicast group: 33:33 + its last 32 bits."""
    return b"\x33\x33" + group.packed[12:]


def checksum(data):
    if len(data) % 2:
        data += b"\x00"
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def icmpv6_checksum(src, dst, message):
    pseudo = src + dst + struct.pack("!I3xB", len(message), IPPROTO_ICMPV6)
    return checksum(pseudo + message)


def ipv6_header(src, dst, payload_len, hop_limit=255):
    return struct.pack("!IHBB", 6 << 28, payload_len, IPPROTO_ICMPV6, hop_limit) + src + dst


def dad_solicitation(src_mac, target):
    """A DAD Neighbor Solicitation for an IPv6Address, as an Ethernet frame (78 bytes)."""
    group = solicited_node(target)
    message = struct.pack("!BBHI", ICMPV6_NS, 0, 0, 0) + target.packed
    csum = icmpv6_checksum(IPV6_UNSPECIFIED, group.packed, message)
    message = message[:2] + struct.pack("!H", csum) + message[4:]
    packet = ipv6_header(IPV6_UNSPECIFIED, group.packed, len(message)) + message
    return ethernet(multicast_mac(group), src_mac, ETH_P_IPV6, packet)


def _options(data):
    """ND options -> {type: first value}."""
    found = {}
    while len(data) >= 8:
        kind, length = bytearray(data[:2])
        if length == 0:
            break
        found.setdefault(kind, data[2:length * 8])
        data = data[length * 8:]
    return found


def parse_icmpv6_nd(frame):
    """An Ethernet frame -> ``(type, eth_src, ip_src, target, options)`` for a Neighbor
    Solicitation or Advertisement, else None. Checksums are not verified (the kernel of the
    sender computed them; a corrupt frame only costs a false alarm the rerun clears)."""
    if len(frame) < 14 + 40 + 24 or struct.unpack("!H", frame[12:14])[0] != ETH_P_IPV6:
        return None
    ip = frame[14:54]
    if bytearray(ip)[0] >> 4 != 6 or bytearray(ip)[6] != IPPROTO_ICMPV6:
        return None
    icmp = frame[54:54 + struct.unpack("!H", ip[4:6])[0]]
    if len(icmp) < 24 or bytearray(icmp)[0] not in (ICMPV6_NS, ICMPV6_NA):
        return None
    return (bytearray(icmp)[0], frame[6:12], ipaddress.IPv6Address(ip[8:24]),
            ipaddress.IPv6Address(icmp[8:24]), _options(icmp[24:]))


def nd_claim(parsed, targets):
    """The ``(address, mac)`` a Neighbor Advertisement shows in use, or None.

    The MAC is the target link-layer address option when present (what neighbours will cache),
    else the frame's source. A solicitation claims nothing (from ``::`` it is someone else's
    DAD; from an address it asks, it does not answer).
    """
    if parsed is None or parsed[0] != ICMPV6_NA or parsed[3] not in targets:
        return None
    mac = parsed[4].get(OPT_TARGET_LLA, b"")[:6]
    return parsed[3], (mac if len(mac) == 6 else parsed[1])
