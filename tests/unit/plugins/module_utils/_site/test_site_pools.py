# -*- coding: utf-8 -*-
# Copyright (c) 2026, baremetal.exposure contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""exposure_pools, called directly (the whole catalogue of bad sites runs through build_plan in
test_site_model.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.baremetal.exposure.plugins.module_utils._site import fields, pools


def test_defaults_and_ansible_booleans():
    errors = fields.Errors("lab")
    pool = pools.parse_pool(errors, 0, {"name": "web", "addresses": ["198.51.100.200"],
                                        "auto_assign": "no", "avoid_buggy_ips": "on"}, "lab")
    assert errors.items == []
    assert pool["auto_assign"] is False and pool["avoid_buggy_ips"] is True
    assert pool["owner"] == "Kubernetes load balancer, site lab, pool web"
    assert pool["purpose"] == "services" and pool["announce"] == "layer2"


def test_duplicate_names_are_reported_once():
    errors = fields.Errors("lab")
    parsed = pools.parse_pools(errors, [{"name": "a", "addresses": ["198.51.100.1"]},
                                        {"name": "a", "addresses": ["198.51.100.2"]}], "lab")
    assert len(parsed) == 2
    assert errors.items == ["site lab: exposure_pools[1].name = 'a' is already the name of "
                            "exposure_pools[0]; pool names must be unique in the site"]
