# -*- coding: utf-8 -*-
# Copyright (c) 2026, baremetal.exposure contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.baremetal.exposure.plugins.module_utils._ranges import RangeError
from ansible_collections.baremetal.exposure.plugins.modules import address_ranges


def test_result_shape_and_totals():
    result = address_ranges.run(["198.51.100.0/28", "198.51.100.200-198.51.100.220", "2001:db8::/120"])
    assert result["changed"] is False
    assert [r["spec"] for r in result["ranges"]] == [
        "198.51.100.0/28", "198.51.100.200-198.51.100.220", "2001:db8::/120",
    ]
    assert result["ranges"][1] == {
        "spec": "198.51.100.200-198.51.100.220",
        "first": "198.51.100.200",
        "last": "198.51.100.220",
        "size": 21,
        "cidrs": ["198.51.100.200/29", "198.51.100.208/29", "198.51.100.216/30", "198.51.100.220/32"],
        "version": 4,
    }
    assert result["totals"] == {"ranges": 3, "ipv4_addresses": 37, "ipv6_addresses": 256, "cidrs": 6}


def test_empty_list():
    result = address_ranges.run([])
    assert result["ranges"] == []
    assert result["totals"] == {"ranges": 0, "ipv4_addresses": 0, "ipv6_addresses": 0, "cidrs": 0}


def test_bad_specs_are_all_named_with_their_index():
    with pytest.raises(RangeError) as exc:
        address_ranges.run(["198.51.100.0/28", "bogus", "198.51.100.9-198.51.100.1"])
    message = str(exc.value)
    assert "addresses[1]: invalid address spec 'bogus'" in message
    assert "addresses[2]: invalid address spec '198.51.100.9-198.51.100.1'" in message


def test_overlap_names_both_specs():
    with pytest.raises(RangeError) as exc:
        address_ranges.run(["198.51.100.0/28", "2001:db8::/64", "198.51.100.15"])
    assert str(exc.value) == (
        "addresses[0] '198.51.100.0/28' overlaps addresses[2] '198.51.100.15' (shared: 198.51.100.15)"
    )
