# -*- coding: utf-8 -*-
# Copyright (c) 2026, baremetal.exposure contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import os

import pytest
import yaml

from ansible_collections.baremetal.exposure.plugins.module_utils._probe import probe as _probe

with open(os.path.join(os.path.dirname(__file__), "test_probe.yml")) as _f:
    CASES = yaml.safe_load(_f)

A = ipaddress.ip_address


def _ids(cases):
    return [case["id"] for case in cases]


@pytest.mark.parametrize("case", CASES["expand"], ids=_ids(CASES["expand"]))
def test_expand_targets(case):
    found = _probe.expand_targets(case.get("pools"), case.get("addresses"))
    assert [(str(a), p) for a, p in found.items()] == [
        (str(A(a)), p) for a, p in case["expected"].items()]


@pytest.mark.parametrize("case", CASES["expand_errors"], ids=_ids(CASES["expand_errors"]))
def test_expand_targets_error(case):
    with pytest.raises(_probe.ProbeError) as exc:
        _probe.expand_targets(case.get("pools"), case.get("addresses"))
    assert case["error"] in str(exc.value)


@pytest.mark.parametrize("case", CASES["evaluate"], ids=_ids(CASES["evaluate"]))
def test_evaluate(case):
    answers = dict((A(a), set(macs)) for a, macs in case["answers"].items())
    targets = dict((a, "p") for a in answers)
    assert _probe.evaluate(answers, targets, case.get("allowed"), case.get("allowed_macs"),
                           case.get("allocated_ips")) == case["expected"]


def test_evaluate_bad_allowed():
    with pytest.raises(_probe.ProbeError, match="allowed"):
        _probe.evaluate({}, {}, allowed_macs=["nope"])


class FakeWire:
    """A transport on a fake clock: ``owners`` answer ``delay`` seconds after each probe."""

    def __init__(self, owners=None, delay=0.001, drop_first=False):
        self.clock = 0.0
        self.owners = owners or {}
        self.delay = delay
        self.drop_first = drop_first
        self.sent = []  # (time, address)
        self.queue = []  # (due, address, mac)

    def now(self):
        return self.clock

    def send(self, address):
        self.sent.append((self.clock, address))
        if address in self.owners:
            if self.drop_first and [entry[1] for entry in self.sent].count(address) == 1:
                return
            self.queue.append((self.clock + self.delay, address, self.owners[address]))

    def receive(self, wait):
        due = [q for q in self.queue if q[0] <= self.clock + wait]
        self.queue = [q for q in self.queue if q not in due]
        if due:
            self.clock = max(self.clock, min(q[0] for q in due))
        else:
            self.clock += wait
        return [entry[1:] for entry in due]


def _targets(count, start="198.51.100.0"):
    first = int(A(start))
    return dict((A(first + i), "p") for i in range(count))


def test_silent_pool_gets_every_round_at_the_rate():
    wire = FakeWire()
    targets = _targets(100)
    answers = _probe.probe(wire, targets, rate=1000, retries=2, interval=0.2, timeout=1.0)
    assert answers == {}
    assert len(wire.sent) == 300
    times = [t for t, a in wire.sent]
    gaps = [b - a for a, b in zip(times, times[1:])]
    assert min(gaps) >= 0.001 - 1e-9, "never faster than the rate"
    # Round starts: 0, 0.2, 0.4 (100 probes take 0.1 s < interval).
    assert [round(times[i], 6) for i in (0, 100, 200)] == [0.0, 0.2, 0.4]
    assert [a for t, a in wire.sent[:100]] == list(targets)
    # Listens `timeout` after the last probe was due.
    assert wire.clock == pytest.approx(0.4 + 0.1 + 1.0)


def test_rounds_wait_for_the_previous_one_when_slower_than_interval():
    wire = FakeWire()
    _probe.probe(wire, _targets(1000), rate=2000, retries=1, interval=0.2, timeout=0)
    assert wire.sent[1000][0] == pytest.approx(0.5)


def test_answered_addresses_are_not_probed_again():
    targets = _targets(10)
    owner = A("198.51.100.3")
    wire = FakeWire({owner: "02:00:5e:99:00:01"})
    answers = _probe.probe(wire, targets, rate=100, retries=2, interval=0.05, timeout=0.5)
    assert answers == {owner: set(["02:00:5e:99:00:01"])}
    assert sum(1 for t, a in wire.sent if a == owner) == 1
    assert len(wire.sent) == 10 + 9 + 9


def test_a_dropped_probe_is_caught_by_a_retry():
    owner = A("198.51.100.3")
    wire = FakeWire({owner: "02:00:5e:99:00:01"}, drop_first=True)
    answers = _probe.probe(wire, _targets(10), rate=100, retries=1, interval=0.05, timeout=0.5)
    assert owner in answers


def test_no_retry_misses_a_dropped_probe():
    owner = A("198.51.100.3")
    wire = FakeWire({owner: "02:00:5e:99:00:01"}, drop_first=True)
    assert _probe.probe(wire, _targets(10), rate=100, retries=0, timeout=0.5) == {}


def test_claims_for_other_addresses_are_ignored():
    wire = FakeWire()
    wire.queue.append((0.0, A("198.51.100.250"), "02:00:5e:99:00:01"))
    assert _probe.probe(wire, _targets(4), timeout=0.1) == {}


def test_late_answer_inside_the_window_counts():
    owner = A("198.51.100.1")
    wire = FakeWire({owner: "m"}, delay=0.9)
    assert owner in _probe.probe(wire, _targets(2), retries=0, timeout=1.0)
    wire = FakeWire({owner: "m"}, delay=1.5)
    assert _probe.probe(wire, _targets(2), retries=0, timeout=1.0) == {}


@pytest.mark.parametrize("kwargs,match", [
    ({"rate": 0}, "rate must be a positive"),
    ({"retries": -1}, "must not be negative"),
])
def test_bad_timing(kwargs, match):
    with pytest.raises(_probe.ProbeError, match=match):
        _probe.probe(FakeWire(), _targets(1), **kwargs)


LINKS = [
    {"ifname": "lo", "address": "00:00:00:00:00:00", "addr_info": [
        {"family": "inet", "local": "127.0.0.1", "prefixlen": 8}]},
    {"ifname": "eth0", "address": "02:00:5e:10:00:0b", "addr_info": [
        {"family": "inet", "local": "198.51.100.11", "prefixlen": 24},
        {"family": "inet", "local": "198.51.100.200", "prefixlen": 32},
        {"family": "inet6", "local": "2001:db8:100::b", "prefixlen": 64},
        {"family": "inet6", "local": "fe80::1", "prefixlen": 64}]},
    {"ifname": "eth1", "address": "02:00:5e:10:01:0b", "addr_info": [
        {"family": "inet", "local": "192.0.2.1", "prefixlen": 24}]},
]


def test_choose_interface_by_subnet_and_held_addresses():
    links = _probe.parse_links(LINKS)
    targets = _probe.expand_targets(addresses=["198.51.100.199-198.51.100.201", "192.0.2.9"])
    name, held = _probe.choose_interface(links, targets)
    assert name == "eth0"
    assert held == set([A("198.51.100.200")])
    assert _probe.choose_interface(links, targets, "eth1") == ("eth1", set())


def test_choose_interface_errors():
    links = _probe.parse_links(LINKS)
    with pytest.raises(_probe.ProbeError, match="no interface of this host has a subnet"):
        _probe.choose_interface(links, _probe.expand_targets(addresses=["203.0.113.1"]))
    with pytest.raises(_probe.ProbeError, match="interface 'eth9' not found on this host; it has eth0, eth1, lo"):
        _probe.choose_interface(links, {}, "eth9")


def test_describe_conflicts():
    entries = [
        {"ip": "198.51.100.205", "macs": ["02:00:5e:99:00:01"], "pool": "ingress", "allowed": False},
        {"ip": "198.51.100.206", "macs": ["02:00:5e:10:00:0c"], "pool": "ingress", "allowed": True},
        {"ip": "198.51.100.9", "macs": ["a", "b"], "pool": None, "allowed": False},
    ]
    message = _probe.describe_conflicts(entries)
    assert message.startswith("2 pool address(es) already in use on the wire: 198.51.100.205 "
                              "(pool 'ingress') answered by 02:00:5e:99:00:01; 198.51.100.9 "
                              "(no pool) answered by a, b.")
    assert _probe.describe_conflicts(entries[1:2]) is None
