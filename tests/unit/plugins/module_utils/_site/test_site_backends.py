# -*- coding: utf-8 -*-
# Copyright (c) 2026, baremetal.exposure contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""exposure_dhcp and exposure_ipam, called directly (the whole catalogue of bad sites runs
through build_plan in test_site_model.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.baremetal.exposure.plugins.module_utils._site import backends, fields

ENV = {"KEA_API_URL": "http://kea:8000/", "KEA_API_USER": "admin", "KEA_API_PASSWORD": "pw",
       "NETBOX_API": "https://nb", "NETBOX_TOKEN": "nbt_a.b"}


def test_variables_win_over_the_environment_and_secrets_stay_out():
    errors = fields.Errors("lab")
    plan, ranges = backends.parse_dhcp(errors, {"backend": "kea", "dynamic_ranges": ["a"],
                                                "kea": {"url": "https://kea2/"}},
                                       {"exposure_dhcp.kea.password": "from-the-vault"}, ENV, None)
    assert errors.items == [] and ranges == ["a"]
    assert plan["kea"]["url"] == "https://kea2/" and plan["kea"]["username"] == "admin"
    assert plan["kea"]["password_set"] is True and "password" not in plan["kea"]


def test_no_backend_needs_no_settings():
    errors = fields.Errors("lab")
    assert backends.parse_ipam(errors, None, {}, {}, "lab") == {"backend": "none"}
    assert backends.parse_dhcp(errors, None, {}, {}, None)[0]["backend"] == "none"
    assert errors.items == []


def test_netbox_defaults_and_the_site_name():
    errors = fields.Errors("lab")
    plan = backends.parse_ipam(errors, {"backend": "netbox", "prune": "yes"}, {}, ENV, "lab")
    assert errors.items == []
    assert plan == {"backend": "netbox", "url": "https://nb", "token_set": True,
                    "validate_certs": True, "timeout": 30, "site": "lab", "vrf": None,
                    "tenant": None, "role": "kubernetes-load-balancer", "tags": ["k8s-lb-pool"],
                    "prune": True}
