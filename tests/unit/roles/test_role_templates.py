# -*- coding: utf-8 -*-
# Copyright (c) 2026, baremetal.exposure contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The load_balancer and ingress roles' manifests, rendered the way the roles render them.

Each role's defaults and vars are loaded as a play loads them (templates allowed), with the plan
of a site from tests/unit/plugins/module_utils/_kube/sites.yml, and the role's own expression
(e.g. __load_balancer_components: template lookup + from_yaml_all) is templated (render.py, in
a process of its own); the result must equal golden/<role>_<site>.yaml (GOLDEN). The tests never
rewrite them: `make deploy-manifests` (golden.py) does, from the same REQUESTS; review the diff.
runtime/tests/unit/test_collection_copies.py compares golden/load_balancer_runtime.yaml and
golden/load_balancer_runtime_bgp.yaml with runtime/deploy/baremetal-lb.yaml and speaker-bgp.yaml.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import json
import os
import subprocess
import sys

import pytest
import yaml

HERE = os.path.dirname(__file__)
RENDER = os.path.join(HERE, "render.py")
KUBE = os.path.join(HERE, "..", "plugins", "module_utils", "_kube")
with open(os.path.join(KUBE, "sites.yml")) as _f:
    SITES = yaml.safe_load(_f)


def _hostile():
    plan = copy.deepcopy(SITES["runtime"])
    plan["load_balancer"]["image"] = 'evil:1"\n  hostNetwork: true #'
    plan["load_balancer"]["speaker_interfaces"] = ["eth0\n- --kubeconfig=/etc/shadow"]
    return plan


def _nulls():
    plan = copy.deepcopy(SITES["dc1"])
    plan["ingress"].update(namespace=None, image=None, class_name=None)
    return plan


SERVICE = "{{ __ingress_objects | selectattr('kind', 'equalto', 'Service') | first }}"
DEPLOYMENT = "{{ __ingress_objects | selectattr('kind', 'equalto', 'Deployment') | first }}"
REQUESTS = [
    {"key": "lb-lab", "role": "load_balancer", "expression": "{{ __load_balancer_components }}",
     "plan": SITES["lab"]},
    {"key": "lb-dc1", "role": "load_balancer", "expression": "{{ __load_balancer_components }}",
     "plan": SITES["dc1"]},
    {"key": "lb-runtime", "role": "load_balancer",
     "expression": "{{ __load_balancer_components }}", "plan": SITES["runtime"]},
    {"key": "lb-runtime_bgp", "role": "load_balancer",
     "expression": "{{ __load_balancer_components }}", "plan": SITES["runtime_bgp"]},
    {"key": "lb-pools-lab", "role": "load_balancer",
     "expression": "{{ __load_balancer_pool_objects }}", "plan": SITES["lab"]},
    {"key": "lb-hostile", "role": "load_balancer",
     "expression": "{{ __load_balancer_components }}", "plan": _hostile()},
    {"key": "lb-auth-lab", "role": "load_balancer", "expression": "{{ __load_balancer_auth }}",
     "plan": SITES["lab"]},
    {"key": "ingress-lab", "role": "ingress",
     "expression": "{{ __ingress_objects + __ingress_gateway_objects }}", "plan": SITES["lab"]},
    {"key": "ingress-dc1", "role": "ingress", "expression": "{{ __ingress_objects }}",
     "plan": SITES["dc1"]},
    {"key": "ingress-nulls", "role": "ingress", "expression": "{{ __ingress_settings }}",
     "plan": _nulls()},
    {"key": "service-lab", "role": "ingress", "expression": SERVICE, "plan": SITES["lab"]},
    {"key": "service-dc1", "role": "ingress", "expression": SERVICE, "plan": SITES["dc1"]},
    {"key": "ranges-lab", "role": "ingress", "expression": "{{ __ingress_wanted_ranges }}",
     "plan": SITES["lab"]},
    {"key": "ranges-dc1", "role": "ingress", "expression": "{{ __ingress_wanted_ranges }}",
     "plan": SITES["dc1"]},
    {"key": "traefik-nginx-provider", "role": "ingress", "expression": DEPLOYMENT,
     "plan": SITES["lab"], "extra": {"ingress_traefik_nginx_provider": True}},
    {"key": "ingress-auth-dc1", "role": "ingress", "expression": "{{ __ingress_auth }}",
     "plan": SITES["dc1"]},
]


# The requests whose results are golden files of golden/ (golden.py writes them).
GOLDEN = {
    "lb-lab": "load_balancer_lab.yaml",
    "lb-dc1": "load_balancer_dc1.yaml",
    "lb-runtime": "load_balancer_runtime.yaml",
    "lb-runtime_bgp": "load_balancer_runtime_bgp.yaml",
    "ingress-lab": "ingress_lab.yaml",
    "ingress-dc1": "ingress_dc1.yaml",
}


def render(requests, script=RENDER):
    """{key: result} for `requests`, from render.py in a process of its own."""
    done = subprocess.run([sys.executable, script], input=json.dumps(requests),
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError("render.py failed: %s" % done.stderr)
    return json.loads(done.stdout)


@pytest.fixture(scope="module")
def rendered():
    return render(REQUESTS)


def _get(rendered, key):
    value = rendered[key]
    assert not (isinstance(value, dict) and "error" in value), value
    return value


def golden(*path):
    with open(os.path.join(*path)) as f:
        return [d for d in yaml.safe_load_all(f) if d is not None]


@pytest.mark.parametrize("site", ["lab", "dc1", "runtime", "runtime_bgp"])
def test_load_balancer_components(rendered, site):
    assert _get(rendered, "lb-" + site) == golden(HERE, "golden", "load_balancer_%s.yaml" % site)


def test_load_balancer_pool_objects_through_the_role(rendered):
    assert _get(rendered, "lb-pools-lab") == golden(KUBE, "golden", "lab_pool_objects.yaml")


@pytest.mark.parametrize("site", ["lab", "dc1"])
def test_ingress_objects(rendered, site):
    assert _get(rendered, "ingress-" + site) == golden(HERE, "golden", "ingress_%s.yaml" % site)


def test_plan_nulls_take_the_controller_defaults(rendered):
    settings = _get(rendered, "ingress-nulls")
    assert (settings["namespace"], settings["image"], settings["class_name"]) == (
        "ingress-nginx", "registry.k8s.io/ingress-nginx/controller:v1.15.1", "nginx")
    assert settings["vip"] is None and settings["pool"] == "web"


def test_the_service_asks_for_the_vip_or_the_pool(rendered):
    lab = _get(rendered, "service-lab")
    assert lab["metadata"]["annotations"] == {"metallb.io/loadBalancerIPs": "198.51.100.200"}
    assert _get(rendered, "ranges-lab") == [{"first": "198.51.100.200", "last": "198.51.100.200"}]
    dc1 = _get(rendered, "service-dc1")
    assert dc1["metadata"]["annotations"] == {"metallb.io/address-pool": "web"}
    assert dc1["spec"]["loadBalancerClass"] == "example.com/dc1"
    assert _get(rendered, "ranges-dc1") == SITES["dc1"]["pools"][0]["ranges"]


def test_traefik_serves_ingress_nginx_ingresses_on_request(rendered):
    deployment = _get(rendered, "traefik-nginx-provider")
    assert "--providers.kubernetesIngressNginx=true" in \
        deployment["spec"]["template"]["spec"]["containers"][0]["args"]


def test_hostile_strings_stay_values(rendered):
    objects = _get(rendered, "lb-hostile")
    plan = _hostile()
    pod = [o for o in objects if o["kind"] == "DaemonSet"][0]["spec"]["template"]["spec"]
    container = pod["containers"][0]
    assert sorted(pod) == ["containers", "dnsPolicy", "hostNetwork", "serviceAccountName",
                           "terminationGracePeriodSeconds", "tolerations", "volumes"]
    assert container["image"] == plan["load_balancer"]["image"]
    assert "--interface=eth0\n- --kubeconfig=/etc/shadow" in container["args"]
    assert not any(a.startswith("--kubeconfig") for a in container["args"])


def test_auth_from_the_plan(rendered):
    assert _get(rendered, "lb-auth-lab") == {}
    assert _get(rendered, "ingress-auth-dc1") == {
        "kubeconfig": "/etc/exposure/dc1.kubeconfig", "context": "dc1-admin",
        "validate_certs": False}
