# -*- coding: utf-8 -*-
# Copyright (c) 2026, baremetal.exposure contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""exposure_bgp and the routers, called directly (the whole catalogue of bad sites runs through
build_plan in test_site_model.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.baremetal.exposure.plugins.module_utils._site import bgp, fields

NODES = [{"name": "node1", "addresses": ["198.51.100.11"]}]
ROUTERS = [{"name": "router1", "addresses": ["198.51.100.1", "2001:db8:100::1"]}]
BGP_POOL = {"index": 0, "name": "routed", "announce": "bgp"}


def test_no_bgp_pool_and_no_exposure_bgp_is_no_bgp():
    errors = fields.Errors("lab")
    assert bgp.parse_bgp(errors, None, None, [], [], NODES, "lab") is None
    assert errors.items == []


def test_the_password_is_checked_and_only_its_presence_is_kept():
    errors = fields.Errors("lab")
    plan = bgp.parse_bgp(errors, {"router_asn": 64512, "cluster_asn": "64513"}, 'a"b\\c#d',
                         [BGP_POOL], ROUTERS, NODES, "lab")
    assert errors.items == []
    assert plan["password_set"] is True and "password" not in plan
    assert plan["cluster_asn"] == 64513
    assert plan["routers"] == [{"name": "router1", "addresses": ["198.51.100.1", "2001:db8:100::1"],
                                "router_id": "198.51.100.1"}]


def test_a_given_router_id_wins_and_must_not_be_a_node():
    errors = fields.Errors("lab")
    routers = [dict(ROUTERS[0], router_id="198.51.100.11")]
    plan = bgp.parse_bgp(errors, {"router_asn": 64512, "cluster_asn": 64513}, None, [BGP_POOL],
                         routers, NODES, "lab")
    assert plan["routers"][0]["router_id"] == "198.51.100.11"
    assert errors.items == ["site lab: router router1: router_bgp_router_id = 198.51.100.11 is the "
                            "address of a node; the router-id must be unique"]
