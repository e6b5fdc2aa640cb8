# -*- coding: utf-8 -*-
# Copyright (c) 2026, baremetal.exposure contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The metallb.io objects and canaries of sites.yml's plans against golden/*.yaml.

Update a golden file by hand and review the change; the tests never rewrite them.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import os

import pytest
import yaml
from ansible.errors import AnsibleFilterError

from ansible_collections.baremetal.exposure.plugins.filter import load_balancer as filters
from ansible_collections.baremetal.exposure.plugins.module_utils._kube import lb_objects

HERE = os.path.dirname(__file__)
with open(os.path.join(HERE, "sites.yml")) as _f:
    SITES = yaml.safe_load(_f)


def _golden(name):
    with open(os.path.join(HERE, "golden", name)) as f:
        return [d for d in yaml.safe_load_all(f) if d is not None]


@pytest.mark.parametrize("site", ["lab", "dc1"])
def test_pool_objects_match_golden(site):
    assert filters.lb_pool_objects(SITES[site]) == _golden("%s_pool_objects.yaml" % site)


@pytest.mark.parametrize("site", ["lab", "dc1"])
def test_canaries_match_golden(site):
    assert filters.lb_canaries(SITES[site]) == _golden("%s_canaries.yaml" % site)


def test_a_pool_on_a_subnet_no_node_lists_is_announced_by_every_node():
    plan = copy.deepcopy(SITES["lab"])
    plan["pools"] = [dict(plan["pools"][1], name="v6only", ranges=plan["pools"][1]["ranges"][1:])]
    (ad,) = [o for o in filters.lb_pool_objects(plan) if o["kind"] == "L2Advertisement"]
    assert ad["spec"]["nodeSelectors"][0]["matchExpressions"][0]["values"] == [
        "node1", "node2", "node3"]


def test_bgp_pools_without_bgp_settings_are_an_error():
    plan = copy.deepcopy(SITES["lab"])
    plan["bgp"] = None
    with pytest.raises(AnsibleFilterError, match="pools routed announce by BGP but the plan has"):
        filters.lb_pool_objects(plan)


def test_a_router_family_without_node_addresses_gets_no_peer():
    plan = copy.deepcopy(SITES["dc1"])
    for node in plan["nodes"]:
        node["addresses"] = [a for a in node["addresses"] if ":" not in a]
    peers = [o["spec"]["peerAddress"] for o in filters.lb_pool_objects(plan) if o["kind"] == "BGPPeer"]
    assert peers == ["192.0.2.1", "192.0.2.2"]


def test_a_plan_without_the_load_balancer_key_names_it():
    plan = copy.deepcopy(SITES["lab"])
    del plan["load_balancer"]
    with pytest.raises(AnsibleFilterError, match="no key 'load_balancer'"):
        filters.lb_pool_objects(plan)


def test_only_nodes_on_the_pool_lan_announce_it():
    plan = copy.deepcopy(SITES["lab"])
    plan["lan"].append({"subnet": "192.0.2.0/24", "gateway": "192.0.2.1", "version": 4})
    plan["nodes"].append({"name": "node9", "addresses": ["192.0.2.9"]})
    assert lb_objects.segment_nodes(plan, plan["pools"][0]) == ["node1", "node2", "node3"]


@pytest.mark.parametrize("router,address,name", [
    ("router1", "198.51.100.1", "router1-198-51-100-1"),
    ("Core_RTR.1", "2001:DB8::1", "core-rtr-1-2001-db8--1"),
    ("...", "192.0.2.1", "router-192-0-2-1"),
])
def test_peer_names_are_kubernetes_names(router, address, name):
    assert lb_objects.peer_name(router, address) == name


MANAGED = [
    {"apiVersion": "metallb.io/v1beta1", "kind": "IPAddressPool", "name": "ingress",
     "namespace": "metallb-system", "managers": ["baremetal-lb", "baremetal.exposure"]},
    {"apiVersion": "metallb.io/v1beta1", "kind": "IPAddressPool", "name": "old",
     "namespace": "metallb-system", "managers": ["baremetal.exposure"]},
    {"apiVersion": "metallb.io/v1beta1", "kind": "IPAddressPool", "name": "labelled-by-hand",
     "namespace": "metallb-system", "managers": ["kubectl-client-side-apply"]},
    {"apiVersion": "metallb.io/v1beta1", "kind": "L2Advertisement", "name": "old",
     "namespace": "metallb-system", "managers": ["baremetal.exposure"]},
    {"apiVersion": "v1", "kind": "Secret", "name": "baremetal-lb-bgp",
     "namespace": "metallb-system", "managers": ["baremetal.exposure"]},
    {"apiVersion": "v1", "kind": "Secret", "name": "baremetal-lb-heartbeat",
     "namespace": "metallb-system", "managers": ["baremetal.exposure"]},
]


def test_prune_only_what_we_wrote_and_the_plan_dropped():
    desired = filters.lb_pool_objects(SITES["lab"])
    gone = filters.lb_prunable(MANAGED, desired, ["baremetal-lb-heartbeat"])
    assert [(o["kind"], o["name"]) for o in gone] == [
        ("IPAddressPool", "old"), ("L2Advertisement", "old"), ("Secret", "baremetal-lb-bgp")]
    assert gone[0] == {"apiVersion": "metallb.io/v1beta1", "kind": "IPAddressPool",
                       "name": "old", "namespace": "metallb-system"}


def test_in_ranges():
    ranges = SITES["lab"]["pools"][1]["ranges"]
    assert filters.in_ranges(["198.51.100.180", "198.51.100.200", "2001:db8:100::1:ff",
                              "nonsense", "::ffff:198.51.100.181"], ranges) == [
        "198.51.100.180", "2001:db8:100::1:ff"]
