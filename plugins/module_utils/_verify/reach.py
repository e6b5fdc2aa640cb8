# -*- coding: utf-8 -*-
# Copyright (c) 2026, baremetal.exposure contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The checks a LAN host runs against a VIP: who answers ARP/NDP for it, does a TCP connection
open, does the application answer over HTTP.

PRIVATE to this collection: no compatibility promise outside it.

Resolution reuses the wire probe's loop and sockets (``_probe.probe``, ``_probe.io``) but asks
the way an ordinary client does: an ARP request from this host's own address, a Neighbor
Solicitation from its own IPv6 address with its link-layer address. The speaker reads an ARP
probe (sender 0.0.0.0) or a DAD solicitation as another host wanting the address and reports a
conflict, so the verify stage must not send those. Every socket and clock is a parameter, so
the tests run without a network.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import socket
import struct
import time

from ansible_collections.baremetal.exposure.plugins.module_utils._probe import packet as pkt
from ansible_collections.baremetal.exposure.plugins.module_utils._probe.io import RawTransport
from ansible_collections.baremetal.exposure.plugins.module_utils._probe.probe import (
    ProbeError,
    choose_interface,
    probe,
)
from ansible_collections.baremetal.exposure.plugins.module_utils._verify.facts import ip

try:
    import http.client as http_client
except ImportError:  # pragma: no cover - Python 2 is not supported by the collection
    http_client = None

BODY_LIMIT = 4096
_ARP = struct.Struct("!HHBBH6s4s6s4s")


# -- frames --------------------------------------------------------------------------------------

def arp_request(src_mac, src_ip, target):
    """A broadcast ARP request for ``target`` from ``src_ip`` (an ordinary client's request)."""
    payload = _ARP.pack(1, 0x0800, 6, 4, pkt.ARP_REQUEST, src_mac, src_ip.packed,
                        pkt.ZERO_MAC, target.packed)
    return pkt.ethernet(pkt.BROADCAST, src_mac, pkt.ETH_P_ARP, payload)


def neighbor_solicitation(src_mac, src_ip, target):
    """A Neighbor Solicitation for ``target`` from ``src_ip`` carrying our link-layer address,
    to the target's solicited-node group (RFC 4861 7.2.2, not DAD)."""
    group = pkt.solicited_node(target)
    option = struct.pack("!BB", pkt.OPT_SOURCE_LLA, 1) + src_mac
    message = struct.pack("!BBHI", pkt.ICMPV6_NS, 0, 0, 0) + target.packed + option
    csum = pkt.icmpv6_checksum(src_ip.packed, group.packed, message)
    message = message[:2] + struct.pack("!H", csum) + message[4:]
    packet = pkt.ipv6_header(src_ip.packed, group.packed, len(message)) + message
    return pkt.ethernet(pkt.multicast_mac(group), src_mac, pkt.ETH_P_IPV6, packet)


class ResolveTransport(RawTransport):
    """The probe's raw sockets, sending ordinary requests from ``sources`` ({4: ip, 6: ip})."""

    def __init__(self, interface, versions, sources):
        RawTransport.__init__(self, interface, versions)
        self.sources = sources

    def send(self, address):
        if address.version == 4:
            frame = arp_request(self.mac, self.sources[4], address)
        else:
            frame = neighbor_solicitation(self.mac, self.sources[6], address)
        try:
            self.sockets[address.version].send(frame)
        except OSError as exc:
            if exc.errno not in (errno.ENOBUFS, errno.EAGAIN):
                raise ProbeError("sending a request for %s on %r failed: %s"
                                 % (address, self.interface, exc)) from exc
        self.sent += 1


# -- resolution ------------------------------------------------------------------------------------

def source_addresses(link, targets):
    """This host's address per family on ``link`` to ask from: one in the targets' subnet if
    any, else (IPv6) the link-local one, else the first."""
    sources = {}
    for version in (4, 6):
        nets = [n for n in link["networks"] if n.version == version]
        on_subnet = [n for n in nets if any(t in n.network for t in targets if t.version == version)]
        link_local = [n for n in nets if n.ip.is_link_local]
        chosen = (on_subnet or link_local or nets or [None])[0]
        if chosen is not None:
            sources[version] = chosen.ip
    return sources


def resolve(links, addresses, interface=None, transport_factory=ResolveTransport,
            retries=2, interval=0.2, timeout=0.5):
    """Ask who has each address; return ``{interface, answers: {ip: [macs]}, unresolved: {ip: why}}``.

    ``links`` come from ``_probe.parse_links``. An address outside every subnet of the chosen
    interface, or of a family the interface has no address of, is skipped with the reason; one
    held by this host is reported with this host's MAC.
    """
    wanted = []
    for text in addresses:
        value = ip(text)
        if value is None:
            raise ProbeError("resolve: %r is not an IP address" % (text,))
        if value not in wanted:
            wanted.append(value)
    if not wanted:
        return {"interface": interface, "answers": {}, "unresolved": {}}
    try:
        name, held = choose_interface(links, dict((a, None) for a in wanted), interface)
    except ProbeError:
        if interface is not None:
            raise
        why = "no interface of this host has a subnet holding it (the host is not on its LAN)"
        return {"interface": None, "answers": {}, "unresolved": dict((str(a), why) for a in wanted)}
    link = next((item for item in links if item["name"] == name), {"name": name, "networks": []})
    sources = source_addresses(link, wanted)
    unresolved, targets = {}, {}
    for address in wanted:
        if address.version not in sources:
            unresolved[str(address)] = "%s has no IPv%d address" % (name, address.version)
        elif not any(address in n.network for n in link["networks"] if n.version == address.version):
            unresolved[str(address)] = "not on a subnet of %s (not on-link from this host)" % name
        elif address not in held:
            targets[address] = None
    answers = {}
    if targets:
        versions = set(a.version for a in targets)
        with transport_factory(name, versions, sources) as transport:
            heard = probe(transport, targets, rate=1000, retries=retries, interval=interval,
                          timeout=timeout)
            own = pkt.mac_to_str(transport.mac)
        answers = dict((str(a), sorted(macs)) for a, macs in heard.items())
    else:
        own = None
    for address in held:
        answers[str(address)] = [own or "this host"]
    for address in targets:
        answers.setdefault(str(address), [])
    return {"interface": name, "answers": answers, "unresolved": unresolved}


# -- TCP and HTTP ------------------------------------------------------------------------------------

_ERRNO_NAMES = {
    errno.ECONNREFUSED: "refused",
    errno.EHOSTUNREACH: "unreachable",
    errno.ENETUNREACH: "no route",
    errno.ETIMEDOUT: "timeout",
}


def _error_name(exc):
    if isinstance(exc, socket.timeout):
        return "timeout"
    return _ERRNO_NAMES.get(getattr(exc, "errno", None), "error")


def _host(address):
    return "[%s]" % address if ":" in str(address) else str(address)


def connect(address, port, timeout, connector=socket.create_connection, clock=time.monotonic):
    """Open and close one TCP connection: ``{address, port, ok, error, detail, seconds}``."""
    started = clock()
    try:
        sock = connector((str(address), int(port)), timeout)
        sock.close()
        error, detail = None, None
    except OSError as exc:
        error, detail = _error_name(exc), str(exc)
    return {"address": str(address), "port": int(port), "ok": error is None, "error": error,
            "detail": detail, "seconds": round(clock() - started, 3)}


def http_get(address, port, path="/", host=None, timeout=10.0, connection_factory=None,
             clock=time.monotonic):
    """One GET through the VIP: ``{address, port, url, status, body, error, detail, seconds}``.

    No proxy is used (an HTTP proxy would answer instead of the VIP); the body is cut at
    BODY_LIMIT characters.
    """
    factory = connection_factory or http_client.HTTPConnection
    url = "http://%s:%d%s" % (_host(address), int(port), path)
    started = clock()
    result = {"address": str(address), "port": int(port), "url": url, "status": None,
              "body": None, "error": None, "detail": None}
    conn = factory(_host(address), int(port), timeout=timeout)
    try:
        conn.request("GET", path, headers={"Host": host or _host(address),
                                           "User-Agent": "baremetal.exposure-verify"})
        response = conn.getresponse()
        result["status"] = response.status
        result["body"] = response.read(BODY_LIMIT).decode("utf-8", "replace")
    except OSError as exc:
        result["error"], result["detail"] = _error_name(exc), str(exc)
    except Exception as exc:  # http.client.HTTPException and friends: a broken answer
        result["error"], result["detail"] = "bad answer", "%s: %s" % (type(exc).__name__, exc)
    finally:
        conn.close()
    result["seconds"] = round(clock() - started, 3)
    return result


def http_matches(result, expect_status=None, expect_body=None):
    """Whether an ``http_get`` result answers as expected (status, and a body substring)."""
    if result.get("error") or result.get("status") is None:
        return False
    if expect_status is not None and int(result["status"]) != int(expect_status):
        return False
    if expect_body and expect_body not in (result.get("body") or ""):
        return False
    return True
