# -*- coding: utf-8 -*-
# Copyright (c) 2026, baremetal.exposure contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import ipaddress
import socket

import pytest

from ansible_collections.baremetal.exposure.plugins.module_utils._probe import packet as pkt
from ansible_collections.baremetal.exposure.plugins.module_utils._probe.probe import parse_links
from ansible_collections.baremetal.exposure.plugins.module_utils._verify import reach

A = ipaddress.ip_address
MAC = b"\x02\x00\x5e\x10\x00\x03"
NODE2 = "02:00:5e:10:00:0c"
LINKS = parse_links([
    {"ifname": "lo", "address": "00:00:00:00:00:00",
     "addr_info": [{"family": "inet", "local": "127.0.0.1", "prefixlen": 8}]},
    {"ifname": "eth0", "address": "02:00:5e:10:00:03", "addr_info": [
        {"family": "inet", "local": "198.51.100.3", "prefixlen": 24},
        {"family": "inet6", "local": "2001:db8:100::3", "prefixlen": 64},
        {"family": "inet6", "local": "fe80::3", "prefixlen": 64}]}])


def test_arp_request_is_an_ordinary_request_from_our_address():
    frame = reach.arp_request(MAC, A("198.51.100.3"), A("198.51.100.200"))
    assert frame[:6] == pkt.BROADCAST and len(frame) == 42
    op, sender_mac, sender_ip, target_ip = pkt.parse_arp(frame)
    assert (op, sender_mac, str(sender_ip), str(target_ip)) == (1, MAC, "198.51.100.3", "198.51.100.200")


def test_neighbor_solicitation_carries_our_address_and_mac_and_a_valid_checksum():
    frame = reach.neighbor_solicitation(MAC, A("2001:db8:100::3"), A("2001:db8:100::1:0"))
    kind, eth_src, ip_src, target, options = pkt.parse_icmpv6_nd(frame)
    assert (kind, eth_src, str(ip_src), str(target)) == (135, MAC, "2001:db8:100::3", "2001:db8:100::1:0")
    assert options[pkt.OPT_SOURCE_LLA][:6] == MAC
    assert frame[:6] == pkt.multicast_mac(pkt.solicited_node(A("2001:db8:100::1:0")))
    # The checksum over the pseudo header and the message sums to zero.
    ip6, icmp = frame[14:54], frame[54:]
    assert pkt.icmpv6_checksum(ip6[8:24], ip6[24:40], icmp) == 0


def test_sources_prefer_the_targets_subnet_then_link_local():
    link = LINKS[1]
    assert reach.source_addresses(link, [A("198.51.100.200"), A("2001:db8:100::1:0")]) == {
        4: A("198.51.100.3"), 6: A("2001:db8:100::3")}
    assert reach.source_addresses(link, [A("2001:db8:999::1")])[6] == A("fe80::3")


class Wire:
    """Answers for its owners; records the sources it was opened with."""

    owners = {A("198.51.100.200"): NODE2, A("198.51.100.12"): NODE2}

    def __init__(self, interface, versions, sources):
        self.interface, self.versions, self.sources = interface, sorted(versions), sources
        self.mac, self.sent, self.clock, self.pending = MAC, 0, 0.0, []
        Wire.last = self

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        pass

    def now(self):
        return self.clock

    def send(self, address):
        self.sent += 1
        if address in self.owners:
            self.pending.append((address, self.owners[address]))

    def receive(self, wait):
        self.clock += wait
        found, self.pending = self.pending, []
        return found


def test_resolve_reports_answers_silence_own_addresses_and_what_is_not_on_link():
    found = reach.resolve(LINKS, ["198.51.100.200", "198.51.100.12", "198.51.100.13", "198.51.100.3",
                                  "203.0.113.5"], transport_factory=Wire)
    assert found["interface"] == "eth0"
    # No IPv6 target: the IPv6 source falls back to the link-local address (unused here).
    assert Wire.last.sources == {4: A("198.51.100.3"), 6: A("fe80::3")}
    assert Wire.last.versions == [4]
    assert found["answers"] == {"198.51.100.200": [NODE2], "198.51.100.12": [NODE2], "198.51.100.13": [],
                                "198.51.100.3": ["02:00:5e:10:00:03"]}
    assert found["unresolved"] == {"203.0.113.5": "not on a subnet of eth0 (not on-link from this host)"}


def test_resolve_from_a_host_on_another_lan_skips_everything():
    found = reach.resolve(LINKS, ["192.0.2.10"], transport_factory=Wire)
    assert found["answers"] == {}
    assert "not on its LAN" in found["unresolved"]["192.0.2.10"]


def test_resolve_rejects_what_is_not_an_address():
    with pytest.raises(reach.ProbeError, match="not an IP address"):
        reach.resolve(LINKS, ["vip.example"], transport_factory=Wire)


class Clock:
    def __init__(self):
        self.t = 0.0

    def __call__(self):
        self.t += 0.25
        return self.t


class Sock:
    def close(self):
        pass


@pytest.mark.parametrize("raised,expected", [
    (None, None),
    (ConnectionRefusedError(errno.ECONNREFUSED, "Connection refused"), "refused"),
    (socket.timeout("timed out"), "timeout"),
    (OSError(errno.EHOSTUNREACH, "No route to host"), "unreachable"),
    (OSError(errno.ENETUNREACH, "Network is unreachable"), "no route"),
    (OSError(errno.EACCES, "Permission denied"), "error"),
])
def test_connect_names_the_failure(raised, expected):
    def connector(address, timeout):
        assert address == ("2001:db8::5", 443) and timeout == 3
        if raised is not None:
            raise raised
        return Sock()

    found = reach.connect("2001:db8::5", 443, 3, connector=connector, clock=Clock())
    assert (found["ok"], found["error"], found["seconds"]) == (expected is None, expected, 0.25)


class Response:
    status = 200

    def read(self, limit):
        return ("x" * 5000).encode()[:limit]


class Connection:
    """An http.client.HTTPConnection stand-in; `fail` makes getresponse raise it."""

    made = []
    fail = None

    def __init__(self, host, port, timeout):
        Connection.made.append((host, port, timeout))

    def request(self, method, path, headers):
        self.sent = (method, path, headers)
        Connection.headers = headers

    def getresponse(self):
        if Connection.fail is not None:
            raise Connection.fail
        return Response()

    def close(self):
        pass


def test_http_get_sends_the_host_header_and_cuts_the_body():
    Connection.made, Connection.fail = [], None
    found = reach.http_get("2001:db8::5", 8080, "/healthz", "demo.example.test", 2,
                           connection_factory=Connection, clock=Clock())
    assert Connection.made == [("[2001:db8::5]", 8080, 2)]
    assert Connection.headers["Host"] == "demo.example.test"
    assert found["url"] == "http://[2001:db8::5]:8080/healthz"
    assert (found["status"], len(found["body"]), found["error"]) == (200, reach.BODY_LIMIT, None)


def test_http_get_reports_a_reset_and_a_broken_answer():
    Connection.fail = ConnectionResetError(errno.ECONNRESET, "reset")
    assert reach.http_get("198.51.100.200", 80, connection_factory=Connection)["error"] == "error"
    Connection.fail = ValueError("BadStatusLine")
    found = reach.http_get("198.51.100.200", 80, connection_factory=Connection)
    assert (found["error"], found["status"]) == ("bad answer", None)
    Connection.fail = None


@pytest.mark.parametrize("result,status,body,expected", [
    ({"status": 200, "body": "hello"}, 200, "hell", True),
    ({"status": 200, "body": "hello"}, 200, "bye", False),
    ({"status": 500, "body": "hello"}, 200, None, False),
    ({"status": 404, "body": ""}, None, None, True),
    ({"status": None, "error": "timeout"}, None, None, False),
])
def test_http_matches(result, status, body, expected):
    assert reach.http_matches(result, status, body) is expected
