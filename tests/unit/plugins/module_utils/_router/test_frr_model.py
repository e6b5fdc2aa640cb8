# -*- coding: utf-8 -*-
# Copyright (c) 2026, baremetal.exposure contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Golden files: `rendered` (config -> FRR text) and `parsed` (FRR text -> config).

Update a golden file by hand and review the change; the tests never rewrite them.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest
import yaml

from ansible_collections.baremetal.exposure.plugins.module_utils._router import frr_model, frr_text

GOLDEN = os.path.join(os.path.dirname(__file__), "golden")
with open(os.path.join(GOLDEN, "sites.yml")) as _f:
    SITES = yaml.safe_load(_f)


def _golden(name):
    with open(os.path.join(GOLDEN, name)) as stream:
        return stream.read()


@pytest.mark.parametrize("site", sorted(SITES))
def test_rendered_matches_golden(site):
    assert frr_text.render_text(frr_model.render(SITES[site])) == _golden(site + ".conf")


@pytest.mark.parametrize("site", sorted(SITES))
def test_parsed_golden_gives_the_site_back(site):
    assert frr_model.parse(_golden(site + ".conf")) == SITES[site]


def test_parsed_frr_running_config():
    """FRR 8.4's own `show running-config` after router_bgp configured the lab."""
    expected = yaml.safe_load(_golden("frr_running_lab.yml"))
    assert frr_model.parse(_golden("frr_running_lab.conf")) == expected


def test_unmodelled_lines_have_no_key():
    for context, line in [((), "ip route 192.0.2.0/24 blackhole"),
                          (("router bgp 1",), "no bgp default ipv4-unicast"),
                          (("interface eth0",), "ip address 192.0.2.1/24"),
                          (("router bgp 1 vrf red",), "neighbor 1.2.3.4 remote-as 2")]:
        assert frr_model.line_key(context, line) is None


def test_text_round_trip_keeps_empty_blocks():
    text = "route-map X deny 100\nexit\nrouter bgp 1\n address-family ipv6 unicast\n" \
           "  maximum-paths 2\n exit-address-family\nexit\n"
    assert frr_text.render_text(frr_text.parse_text(text)) == text


def test_foreign_neighbor_lines_it_does_not_model_are_skipped():
    """A router's own neighbours may carry settings the module does not model (the lab router
    held `timers connect 1` from a test): parsing keeps going instead of failing the run."""
    text = ("router bgp 64512\n neighbor 192.0.2.9 remote-as 65000\n"
            " neighbor 192.0.2.9 timers connect 1\n neighbor 192.0.2.9 timers 3 9\n"
            " address-family ipv4 unicast\n  maximum-paths 8\n  maximum-paths ibgp 8\n"
            " exit-address-family\nexit\n")
    parsed = frr_model.parse(text)
    (neighbor,) = parsed["neighbors"]
    assert neighbor["timers"] == {"keepalive": 3, "holdtime": 9}
    assert parsed["address_families"] == [{"afi": "ipv4", "maximum_paths": 8}]
    assert frr_model.line_key(("router bgp 64512", " address-family ipv4 unicast"),
                              "maximum-paths ibgp 8") is None
