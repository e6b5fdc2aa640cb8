# -*- coding: utf-8 -*-
# Copyright (c) 2026, baremetal.exposure contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest
import yaml

from ansible_collections.baremetal.exposure.plugins.module_utils._verify import facts

with open(os.path.join(os.path.dirname(__file__), "test_facts.yml")) as _f:
    CASES = yaml.safe_load(_f)


def _ids(cases):
    return [c["id"] for c in cases]


@pytest.mark.parametrize("case", CASES["ingress_ips"], ids=_ids(CASES["ingress_ips"]))
def test_ingress_ips(case):
    assert facts.ingress_ips(case["service"]) == case["expected"]


@pytest.mark.parametrize("case", CASES["requested_ips"], ids=_ids(CASES["requested_ips"]))
def test_requested_ips(case):
    assert facts.requested_ips(case["service"]) == case["expected"]


@pytest.mark.parametrize("case", CASES["http_port"], ids=_ids(CASES["http_port"]))
def test_http_port(case):
    assert facts.http_port(case["service"], case.get("wanted")) == case["expected"]


@pytest.mark.parametrize("case", CASES["endpoints"], ids=_ids(CASES["endpoints"]))
def test_endpoints(case):
    assert facts.endpoints(case["slices"]) == case["expected"]


@pytest.mark.parametrize("case", CASES["node_table"], ids=_ids(CASES["node_table"]))
def test_node_table(case):
    assert facts.node_table(case["plan_nodes"], case["kube_nodes"]) == case["expected"]


@pytest.mark.parametrize("case", CASES["pool_usage"], ids=_ids(CASES["pool_usage"]))
def test_pool_usage(case):
    assert facts.pool_usage(case["pool"]) == case["expected"]


def test_pool_of_and_in_ranges():
    pools = [{"name": "a", "ranges": [{"first": "198.51.100.200", "last": "198.51.100.209"}]},
             {"name": "v6", "ranges": [{"first": "2001:db8::1:0", "last": "2001:db8::1:ff"}]}]
    assert facts.pool_of("198.51.100.209", pools)["name"] == "a"
    assert facts.pool_of("2001:db8::1:10", pools)["name"] == "v6"
    assert facts.pool_of("198.51.100.210", pools) is None
    assert facts.pool_of("not an address", pools) is None


def test_l2_owner_matches_name_and_namespace():
    svc = {"metadata": {"name": "front", "namespace": "web"}}
    other = {"metadata": {"name": "front", "namespace": "other"}, "status": {"node": "node9"}}
    mine = {"metadata": {"name": "front", "namespace": "web"},
            "status": {"node": "node2", "interfaces": [{"name": "eth0"}]}}
    assert facts.l2_owner([other, mine], svc) == {"node": "node2", "interfaces": ["eth0"]}
    assert facts.l2_owner([other], svc) is None


def test_warnings_oldest_first_once():
    events = [{"type": "Warning", "reason": "AllocationFailed", "message": "b", "lastTimestamp": "2"},
              {"type": "Warning", "reason": "AllocationFailed", "message": "a", "lastTimestamp": "1"},
              {"type": "Normal", "reason": "IPAllocated", "message": "c"},
              {"type": "Warning", "reason": "AllocationFailed", "message": "b", "lastTimestamp": "3"}]
    assert facts.warnings_of(events) == ["AllocationFailed: a", "AllocationFailed: b"]
