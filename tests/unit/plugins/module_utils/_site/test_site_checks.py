# -*- coding: utf-8 -*-
# Copyright (c) 2026, baremetal.exposure contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The checks between parsed things, called directly (the whole catalogue runs through
build_plan in test_site_model.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.baremetal.exposure.plugins.module_utils._ranges import parse_range
from ansible_collections.baremetal.exposure.plugins.module_utils._site import checks, model


def _pool(name, *specs, announce="layer2"):
    return {"index": 0, "name": name, "announce": announce,
            "specs": [(i, parse_range(spec)) for i, spec in enumerate(specs)]}


def test_pools_against_pools_reports_each_pair_once():
    errors = model.Errors("lab")
    checks.check_pools_against_pools(errors, [_pool("a", "198.51.100.10-198.51.100.20"),
                                              _pool("b", "198.51.100.15")])
    assert errors.items == ["site lab: pool 'b' (exposure_pools[0].addresses[0] = 198.51.100.15) "
                            "overlaps pool 'a' (exposure_pools[0].addresses[0] = "
                            "198.51.100.10-198.51.100.20) (shared: 198.51.100.15)"]


def test_a_bgp_pool_outside_the_lan_is_fine_and_a_layer2_one_is_not():
    errors = model.Errors("lab")
    lan = model.parse_lan(errors, [{"subnet": "198.51.100.0/24", "gateway": "198.51.100.1"}])
    checks.check_pools_against_lan(errors, [_pool("r", "203.0.113.0/28", announce="bgp")], lan)
    assert errors.items == []
    checks.check_pools_against_lan(errors, [_pool("l", "203.0.113.0/28")], lan)
    assert len(errors.items) == 1 and "outside every IPv4 LAN subnet" in errors.items[0]


def test_nodes_with_a_bad_address_are_not_reported_twice():
    errors = model.Errors("lab")
    lan = model.parse_lan(errors, [{"subnet": "198.51.100.0/24", "gateway": "198.51.100.1"}])
    checks.check_nodes(errors, [{"name": "n1", "addresses": [], "given": 1}], lan)
    assert errors.items == []
