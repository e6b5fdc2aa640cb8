# -*- coding: utf-8 -*-
# Copyright (c) 2026, baremetal.exposure contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest
import yaml

from ansible_collections.baremetal.exposure.plugins.module_utils._ranges import parse_range
from ansible_collections.baremetal.exposure.plugins.module_utils._reservation import netbox as nb

with open(os.path.join(os.path.dirname(__file__), "test_reservation_netbox.yml")) as _f:
    CASES = yaml.safe_load(_f)

SPEC = {"pool": "ingress", "vrf": None, "tenant": None, "status": "reserved",
        "role": "kubernetes-load-balancer", "description": "owner",
        "tags": ["baremetal-exposure", "k8s-lb-pool", "site-lab"]}


def _ids(cases):
    return [str(case["id"]) for case in cases]


@pytest.mark.parametrize("case", CASES["conflicts"], ids=_ids(CASES["conflicts"]))
def test_find_conflicts(case):
    found = nb.find_conflicts(parse_range(case["range"]), None, case.get("ranges", []),
                              case.get("prefixes", []), case.get("addresses", []),
                              set(case.get("own_ids", [])))
    assert found == case["expect"]


@pytest.mark.parametrize("case", CASES["masks"], ids=_ids(CASES["masks"]))
def test_mask_for(case):
    assert nb.mask_for(parse_range(case["range"]), case.get("subnets"),
                       case.get("prefixes")) == case["mask"]


@pytest.mark.parametrize("case", CASES["compare"], ids=_ids(CASES["compare"]))
def test_desired_view_and_changed_fields(case):
    spec = dict(SPEC, **case.get("spec", {}))
    after = nb.desired_view(parse_range(case["range"]), case["mask"], spec, case["before"])
    if "after" in case:
        assert after == case["after"]
    assert nb.changed_fields(case["before"], after) == case["changed"]
    # Applying the result again changes nothing: the comparison is stable.
    assert nb.desired_view(parse_range(case["range"]), case["mask"], spec, after) == after


@pytest.mark.parametrize("case", CASES["match"], ids=_ids(CASES["match"]))
def test_match_own(case):
    pairs, stale = nb.match_own([parse_range(s) for s in case["desired"]], case["own"])
    assert [obj["id"] if obj else None for dummy, obj in pairs] == case["pairs"]
    assert [obj["id"] for obj in stale] == case["stale"]


def test_body_sends_only_changed_fields_with_ids():
    before = {"start_address": "198.51.100.200/24", "end_address": "198.51.100.209/24",
              "vrf": None, "tenant": None, "status": "active", "role": "x",
              "mark_populated": True, "description": "owner",
              "comments": "baremetal.exposure pool: ingress", "tags": ["baremetal-exposure"]}
    after = nb.desired_view(parse_range("198.51.100.200-198.51.100.209"), 24, SPEC, before)
    body = nb._body(before, after, {"role": 5, "tags": {}}, None, None)
    assert body == {"status": "reserved", "role": 5,
                    "tags": [{"slug": "baremetal-exposure"}, {"slug": "k8s-lb-pool"},
                             {"slug": "site-lab"}]}
    created = nb._body(None, after, {"role": 5, "tags": {}}, 3, 4)
    assert created["vrf"] == 3 and created["tenant"] == 4 and created["mark_populated"] is True
    assert created["start_address"] == "198.51.100.200/24"


def test_pool_of_marker():
    assert nb.pool_of({"comments": "x\nbaremetal.exposure pool: apps-1\n"}) == "apps-1"
    assert nb.pool_of({"comments": "hand made"}) is None
    assert nb.pool_of({}) is None


def test_bad_ranges_name_the_index():
    with pytest.raises(nb.NetBoxReservationError, match=r"ranges\[1\]"):
        nb.parse_pool_ranges([{"first": "198.51.100.1", "last": "198.51.100.2"}, "nope"])
    with pytest.raises(nb.NetBoxReservationError, match=r"ranges\[0\].*'first' and 'last'"):
        nb.parse_pool_ranges([{"first": "198.51.100.1"}])
