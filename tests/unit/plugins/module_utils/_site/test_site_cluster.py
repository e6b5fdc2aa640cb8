# -*- coding: utf-8 -*-
# Copyright (c) 2026, baremetal.exposure contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The cluster side, called directly (the whole catalogue of bad sites runs through build_plan
in test_site_model.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.baremetal.exposure.plugins.module_utils._ranges import parse_range
from ansible_collections.baremetal.exposure.plugins.module_utils._site import cluster, fields

POOLS = [{"index": 0, "name": "web", "purpose": "ingress", "announce": "layer2",
          "specs": [(0, parse_range("198.51.100.200-198.51.100.209"))]}]


@pytest.mark.parametrize("key,bytes_", [("0123456789abcdef0123456789abcdef", 16),
                                        ("a raw key of 16b", 16)])
def test_heartbeat_keys_the_speaker_takes(key, bytes_):
    errors = fields.Errors("lab")
    plan = cluster.parse_load_balancer(errors, None, key, POOLS)
    assert errors.items == [] and plan["heartbeat_key_set"] is True


def test_a_key_the_speaker_would_refuse_is_named_not_shown():
    errors = fields.Errors("lab")
    cluster.parse_load_balancer(errors, {"heartbeat_key": "short-SECRET"}, None, POOLS)
    assert errors.items == ["site lab: exposure_load_balancer.heartbeat_key has 12 bytes; use at "
                            "least 16 random bytes, e.g. `openssl rand -hex 32` (the value is not shown)"]


def test_the_ingress_pool_is_found_by_purpose_and_the_vip_checked_against_it():
    errors = fields.Errors("lab")
    ingress = cluster.parse_ingress(errors, {"vip": "198.51.100.209"}, POOLS)
    assert errors.items == []
    assert ingress["pool"] == "web" and ingress["namespace"] == "ingress-nginx"


def test_kubeconfig_falls_back_to_the_environment():
    errors = fields.Errors("lab")
    plan = cluster.parse_kubernetes(errors, None, {"K8S_AUTH_KUBECONFIG": "/k.conf"})
    assert plan == {"kubeconfig": "/k.conf", "context": None, "validate_certs": True}
