# -*- coding: utf-8 -*-
# Copyright (c) 2026, baremetal.exposure contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Address probe I/O: AF_PACKET sockets on one interface (Linux, needs CAP_NET_RAW).

PRIVATE to this collection: no compatibility promise outside it.

One socket per ethertype (ARP, IPv6), bound to the interface, so both families are probed in
the same run. Frames we sent ourselves (``PACKET_OUTGOING``) are skipped; the kernel of the
probing host never answers its own probes, so addresses held on the probing interface are
reported by the caller from the interface's address list.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import select
import socket
import time

from ansible_collections.baremetal.exposure.plugins.module_utils._probe import packet as pkt
from ansible_collections.baremetal.exposure.plugins.module_utils._probe.probe import ProbeError

PACKET_OUTGOING = 4


def interface_mac(interface):
    path = "/sys/class/net/%s/address" % interface
    try:
        with open(path) as handle:
            return pkt.mac_from_str(handle.read())
    except OSError:
        raise ProbeError("interface %r not found (no %s): set interface to a link of this host"
                         % (interface, path)) from None


class RawTransport:
    """Sends probes and hears claims on one interface. Use as a context manager."""

    def __init__(self, interface, versions=(4, 6)):
        self.interface = interface
        self.mac = interface_mac(interface)
        self.sockets = {}
        try:
            for version, ethertype in ((4, pkt.ETH_P_ARP), (6, pkt.ETH_P_IPV6)):
                if version in versions:
                    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW,
                                         socket.htons(ethertype))
                    sock.bind((interface, ethertype))
                    sock.setblocking(False)
                    self.sockets[version] = sock
        except OSError as exc:
            self.close()
            if exc.errno == errno.EPERM:
                raise ProbeError("raw sockets need root or CAP_NET_RAW on the probing host "
                                 "(become: true): %s" % exc) from exc
            raise ProbeError("cannot open a raw socket on %r: %s" % (interface, exc)) from exc
        self.sent = 0

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        for sock in self.sockets.values():
            sock.close()
        self.sockets = {}

    @staticmethod
    def now():
        return time.monotonic()

    def send(self, address):
        if address.version == 4:
            frame = pkt.arp_probe(self.mac, address)
        else:
            frame = pkt.dad_solicitation(self.mac, address)
        try:
            self.sockets[address.version].send(frame)
        except OSError as exc:
            if exc.errno not in (errno.ENOBUFS, errno.EAGAIN):
                raise ProbeError("sending a probe for %s on %r failed: %s"
                                 % (address, self.interface, exc)) from exc
            # A full queue drops this probe; the next round retries it.
        self.sent += 1

    def receive(self, wait, targets=None):
        """Claims ``(address, mac string)`` heard within ``wait`` seconds."""
        ready = select.select(list(self.sockets.values()), [], [], max(wait, 0))[0]
        claims = []
        for sock in ready:
            while True:
                try:
                    frame, meta = sock.recvfrom(2048)
                except OSError as exc:
                    if exc.errno in (errno.EAGAIN, errno.EWOULDBLOCK):
                        break
                    raise
                if len(meta) > 2 and meta[2] == PACKET_OUTGOING:
                    continue
                claim = self._claim(frame)
                if claim and claim[1] != self.mac:
                    claims.append((claim[0], pkt.mac_to_str(claim[1])))
        return claims

    @staticmethod
    def _claim(frame):
        kind = frame[12:14]
        if kind == b"\x08\x06":
            parsed = pkt.parse_arp(frame)
            return (parsed[2], parsed[1]) if parsed and int(parsed[2]) else None
        if kind == b"\x86\xdd":
            parsed = pkt.parse_icmpv6_nd(frame)
            if parsed and parsed[0] == pkt.ICMPV6_NA:
                return pkt.nd_claim(parsed, (parsed[3],))
        return None
