# -*- coding: utf-8 -*-
# Copyright (c) 2026, baremetal.exposure contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import os
import struct

import pytest
import yaml

from ansible_collections.baremetal.exposure.plugins.module_utils._probe import packet as pkt

with open(os.path.join(os.path.dirname(__file__), "test_probe_packet.yml")) as _f:
    CASES = yaml.safe_load(_f)


def _hex(text):
    return bytes.fromhex("".join(text.split()))


def _ids(cases):
    return [case["id"] for case in cases]


@pytest.mark.parametrize("case", CASES["build"], ids=_ids(CASES["build"]))
def test_build(case):
    mac = pkt.mac_from_str(case["mac"])
    target = ipaddress.ip_address(case["target"])
    build = pkt.arp_probe if case["kind"] == "arp" else pkt.dad_solicitation
    assert build(mac, target).hex() == _hex(case["frame"]).hex()


@pytest.mark.parametrize("case", CASES["parse"], ids=_ids(CASES["parse"]))
def test_parse_claim(case):
    frame = _hex(case["frame"])
    targets = set(ipaddress.ip_address(t) for t in case["targets"])
    claim = pkt.arp_claim(pkt.parse_arp(frame), targets) or pkt.nd_claim(
        pkt.parse_icmpv6_nd(frame), targets)
    if case["claim"] is None:
        assert claim is None
    else:
        assert (str(claim[0]), pkt.mac_to_str(claim[1])) == tuple(case["claim"])


def test_ns_checksum_verifies():
    target = ipaddress.ip_address("2001:db8:100::1:ff")
    frame = pkt.dad_solicitation(pkt.mac_from_str("02:00:00:00:00:01"), target)
    ip, icmp = frame[14:54], frame[54:]
    assert pkt.icmpv6_checksum(ip[8:24], ip[24:40], icmp) == 0
    assert struct.unpack("!H", ip[4:6])[0] == len(icmp) == 24


@pytest.mark.parametrize("address,group,mac", [
    ("2001:db8:100::c", "ff02::1:ff00:c", "33:33:ff:00:00:0c"),
    ("2001:db8::1:2345:6789", "ff02::1:ff45:6789", "33:33:ff:45:67:89"),
])
def test_solicited_node(address, group, mac):
    found = pkt.solicited_node(ipaddress.ip_address(address))
    assert found == ipaddress.ip_address(group)
    assert pkt.mac_to_str(pkt.multicast_mac(found)) == mac


@pytest.mark.parametrize("text", ["02:00:5e:10:00", "zz:00:5e:10:00:0b", "", "02:00:5e:10:00:0b:01"])
def test_bad_mac(text):
    with pytest.raises(pkt.PacketError, match="invalid MAC address"):
        pkt.mac_from_str(text)


def test_mac_normalized():
    assert pkt.normalize_mac("02-00-5E-10-00-0B") == "02:00:5e:10:00:0b"
