# -*- coding: utf-8 -*-
# Copyright (c) 2026, baremetal.exposure contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""roles/router_bgp/templates/frr_bgp_config.yml.j2 rendered by Ansible's own templar from a
plan built by the site model: the lab golden file, and secrets and names that must not change
the YAML's structure."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import os

import pytest
import yaml
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar

from ansible_collections.baremetal.exposure.plugins.module_utils._router import frr_model, frr_text
from ansible_collections.baremetal.exposure.plugins.module_utils._router.frr_validate import validate
from ansible_collections.baremetal.exposure.plugins.module_utils._site.model import build_plan

try:  # ansible-core 2.19+: only trusted strings are templates
    from ansible.template import trust_as_template
except ImportError:  # pragma: no cover
    def trust_as_template(value):
        return value

HERE = os.path.dirname(__file__)
ROOT = os.path.join(HERE, "..", "..", "..", "..")
TEMPLATE = os.path.join(ROOT, "roles", "router_bgp", "templates", "frr_bgp_config.yml.j2")
GOLDEN = os.path.join(ROOT, "tests", "unit", "plugins", "module_utils", "_router", "golden")
with open(os.path.join(ROOT, "tests", "unit", "plugins", "module_utils", "_site", "test_site_model.yml")) as _f:
    CATALOGUE = yaml.safe_load(_f)


def lab_plan(**bgp):
    """The lab's plan as the preflight builds it, with the router test's pool settings."""
    base = copy.deepcopy(CATALOGUE["base"])
    site = base["vars"]
    site["exposure_bgp"].update(dict({"bfd": True}, **bgp))
    routed = next(p for p in site["exposure_pools"] if p["name"] == "routed")
    routed["bgp"] = {"communities": ["64512:100"], "local_pref": 200}
    site.update(nodes=base["nodes"], routers=base["routers"], group="site_lab")
    return build_plan(site, environ=base["environ"], inventory_hosts=base["inventory_hosts"])


def render(plan, password=None, nodes=None):
    with open(TEMPLATE) as handle:
        source = handle.read()
    variables = {
        "exposure_plan": plan, "exposure_bgp": {} if password is None else {"password": password},
        "router_bgp_name": "EXPOSURE-" + plan["site"].upper(),
        "router_bgp_router_id": plan["bgp"]["routers"][0]["router_id"],
        "router_bgp_nodes": nodes or plan["nodes"],
        "router_bgp_pools": [p for p in plan["pools"] if p["announce"] == "bgp"],
    }
    text = Templar(loader=DataLoader(), variables=variables).template(trust_as_template(source))
    return yaml.safe_load(text)


def frr_lines(config):
    return frr_text.render_text(frr_model.render(config))


def test_the_lab_renders_the_golden_configuration():
    config = render(lab_plan(), password="lab-secret")
    validate(config)
    with open(os.path.join(GOLDEN, "lab.conf")) as handle:
        assert frr_lines(config) == handle.read()


@pytest.mark.parametrize("password", ['p"a\\ss#w!rd', "#starts-with-a-hash", "!bang", "it's", "{{x}}",
                                      "ends-with-backslash\\", "x" * 80])
def test_a_password_frr_takes_is_passed_exactly(password):
    config = render(lab_plan(), password=password)
    validate(config)
    assert config["peer_groups"][0]["password"] == password
    lines = frr_lines(config).splitlines()
    assert " neighbor EXPOSURE-LAB-IPV4 password %s" % password in lines
    assert len(lines) == len(frr_lines(render(lab_plan(), password="x")).splitlines())


def test_no_password_no_password_line():
    assert "password" not in render(lab_plan())["peer_groups"][0]


def test_large_communities_lose_the_site_model_prefix_and_restart_zero_is_left_out():
    plan = lab_plan(maximum_prefix_restart=0)
    plan["pools"][2]["bgp"]["communities"] = ["64512:100", "large:64512:1:2"]
    config = render(plan)
    validate(config)
    assert config["route_maps"][0]["entries"][0]["set_large_community"] == ["64512:1:2"]
    assert config["peer_groups"][0]["address_families"][0]["maximum_prefix"] == {"limit": 100}


def test_a_long_node_name_is_cut_to_frr_s_80_characters():
    plan = lab_plan()
    nodes = [dict(plan["nodes"][0], name="n" * 100)]
    config = render(plan, nodes=nodes)
    validate(config)
    assert config["neighbors"][0]["description"] == "n" * 80
