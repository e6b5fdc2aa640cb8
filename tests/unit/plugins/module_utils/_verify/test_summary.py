# -*- coding: utf-8 -*-
# Copyright (c) 2026, baremetal.exposure contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import yaml

from ansible_collections.baremetal.exposure.plugins.module_utils._verify.summary import summarize

HERE = os.path.dirname(__file__)
with open(os.path.join(HERE, "test_summary.yml")) as _f:
    CASE = yaml.safe_load(_f)


def _summary(**changes):
    args = dict((k, CASE[k]) for k in ("plan", "pool_objects", "services", "l2_statuses",
                                       "routes", "bgp_sessions"))
    args.update(changes)
    return summarize(**args)


def test_markdown_matches_the_golden_file():
    # The golden file is reviewed by hand; a test never rewrites it.
    with open(os.path.join(HERE, "golden", "summary_lab.md")) as handle:
        assert _summary()["markdown"] == handle.read()


def test_counts_come_from_the_pool_status_else_from_the_services():
    pools = dict((p["name"], p) for p in _summary()["pools"])
    assert (pools["ingress"]["used"], pools["ingress"]["free"], pools["ingress"]["counted"]) == (1, 9, False)
    # No status for `services`: counted, two addresses in use (one shared by two Services).
    assert (pools["services"]["used"], pools["services"]["free"], pools["services"]["counted"]) == (2, 274, True)


def test_vips_name_services_and_announcers():
    vips = dict((v["ip"], v) for v in _summary()["vips"])
    assert sorted(vips) == ["198.51.100.180", "198.51.100.200", "2001:db8:100::1:0", "203.0.113.5"]
    assert vips["198.51.100.180"]["services"] == ["web/dual", "web/shared"]
    assert vips["198.51.100.180"]["announced_by"] == ["node1"]
    assert vips["198.51.100.200"]["announced_by"] == ["node2"]
    assert vips["203.0.113.5"]["announced_by"] == ["node1", "node3"]


def test_a_router_that_does_not_answer_is_reported_not_fatal():
    found = _summary(bgp_sessions=[{"router": "router1", "output": "vtysh: connect failed"}],
                     routes=[{"router": "router1", "address": "203.0.113.5", "output": "oops"}])
    assert found["sessions"][0]["state"].startswith("unknown: show bgp summary json: vtysh did not print JSON")
    assert "router router1" in dict((v["ip"], v) for v in found["vips"])["203.0.113.5"]["via"]
