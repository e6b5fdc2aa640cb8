# -*- coding: utf-8 -*-
# Copyright (c) 2026, baremetal.exposure contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress

import pytest

from ansible_collections.baremetal.exposure.plugins.module_utils._probe.probe import (
    ProbeError,
    parse_links,
)
from ansible_collections.baremetal.exposure.plugins.modules import address_probe

SQUATTER = "02:00:5e:99:00:01"
LINKS = parse_links([{"ifname": "eth0", "address": "02:00:5e:10:00:0b", "addr_info": [
    {"family": "inet", "local": "198.51.100.11", "prefixlen": 24},
    {"family": "inet", "local": "198.51.100.202", "prefixlen": 32},
    {"family": "inet6", "local": "2001:db8:100::b", "prefixlen": 64}]}])


class Wire:
    """Answers at once for its owners; records what was opened and sent."""

    opened = []

    def __init__(self, interface, versions):
        self.interface = interface
        self.mac = b"\x02\x00\x5e\x10\x00\x0b"
        self.sent = 0
        self.clock = 0.0
        self.pending = []
        Wire.opened.append((interface, sorted(versions)))

    owners = {ipaddress.ip_address("198.51.100.205"): SQUATTER,
              ipaddress.ip_address("2001:db8:100::1:5"): SQUATTER}

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


def params(**kwargs):
    base = {"interface": None, "addresses": [], "pools": [], "allowed": [], "allowed_macs": [],
            "allocated_ips": [], "rate": 2000, "retries": 2, "interval": 0.2, "timeout": 1.0}
    base.update(kwargs)
    return base


def test_conflicts_named_with_mac_and_pool():
    Wire.opened = []
    result, conflicts = address_probe.run(params(pools=[
        {"name": "ingress", "ranges": ["198.51.100.200-198.51.100.209"]},
        {"name": "v6", "ranges": [{"first": "2001:db8:100::1:0", "last": "2001:db8:100::1:f"}]},
    ]), LINKS, Wire)
    assert Wire.opened == [("eth0", [4, 6])]
    assert result["changed"] is False
    assert result["probed"] == 26
    assert result["answered"] == [
        {"ip": "198.51.100.202", "macs": ["02:00:5e:10:00:0b"], "pool": "ingress",
         "allowed": False},
        {"ip": "198.51.100.205", "macs": [SQUATTER], "pool": "ingress", "allowed": False},
        {"ip": "2001:db8:100::1:5", "macs": [SQUATTER], "pool": "v6", "allowed": False},
    ]
    assert "198.51.100.205 (pool 'ingress') answered by 02:00:5e:99:00:01" in conflicts
    assert "2001:db8:100::1:5 (pool 'v6') answered by 02:00:5e:99:00:01" in conflicts
    assert "198.51.100.202 (pool 'ingress') answered by 02:00:5e:10:00:0b" in conflicts


def test_own_allocated_address_allowed():
    result, conflicts = address_probe.run(params(
        addresses=["198.51.100.200-198.51.100.203"], allowed_macs=["02:00:5e:10:00:0b"],
        allocated_ips=["198.51.100.202"]), LINKS, Wire)
    assert conflicts is None
    assert result["answered"][0]["allowed"] is True
    # The held address is probed on the wire too: another host answering would be a duplicate.
    assert result["sent"] == 3 * 4


def test_nothing_to_probe():
    result, conflicts = address_probe.run(params(), LINKS, Wire)
    assert (result["probed"], result["answered"], conflicts) == (0, [], None)


def test_bad_input_fails_before_any_socket():
    Wire.opened = []
    with pytest.raises(ProbeError, match="pools\\[0\\]: a pool needs a 'name'"):
        address_probe.run(params(pools=[{"ranges": ["198.51.100.1"]}]), LINKS, Wire)
    with pytest.raises(ProbeError, match="no interface of this host"):
        address_probe.run(params(addresses=["203.0.113.1"]), LINKS, Wire)
    assert Wire.opened == []
