# -*- coding: utf-8 -*-
# Copyright (c) 2026, baremetal.exposure contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The cluster side of a site (docs/cluster-side.md) -> the plan's kubernetes, kube_proxy,
load_balancer, ingress and verify.

PRIVATE to this collection: no compatibility promise outside it.

Every variable the cluster stages read is checked in the preflight, so a typo in an image or
a VIP outside the ingress pool fails before NetBox, DHCP or the router are touched. The
heartbeat key is checked (the speaker's rules: at least 16 bytes, hex or raw) but the plan only
says ``heartbeat_key_set``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.baremetal.exposure.plugins.module_utils import _text
from ansible_collections.baremetal.exposure.plugins.module_utils._ranges import RangeError, parse_range
from ansible_collections.baremetal.exposure.plugins.module_utils._site import fields as f

ENV_KUBECONFIG = "K8S_AUTH_KUBECONFIG"
PULL_POLICIES = ("Always", "IfNotPresent", "Never")
TIMEOUT = f.integer(1, 86400)
# What each ingress controller defaults to (docs/cluster-side.md: "default per controller").
INGRESS_DEFAULTS = {
    "ingress-nginx": {"namespace": "ingress-nginx", "class_name": "nginx",
                      "image": "registry.k8s.io/ingress-nginx/controller:v1.12.1",
                      "service": "ingress-nginx-controller"},
    "traefik": {"namespace": "traefik", "class_name": "traefik",
                "image": "docker.io/library/traefik:v3.3.4", "service": "traefik"},
}
HEARTBEAT_KEY_MIN = 16  # bytes, runtime/src/baremetal_lb/liveness/wire.py MIN_KEY


def parse_kubernetes(errors, value, env):
    result = f.section(errors, "exposure_kubernetes", value, dict(
        kubeconfig=(f.text(4096), None), context=(f.text(253), None),
        validate_certs=(f.boolean, True)))
    if result is not None and result["kubeconfig"] is None:
        result["kubeconfig"] = env.get(ENV_KUBECONFIG) or None
    return result


def parse_kube_proxy(errors, value):
    return f.section(errors, "exposure_kube_proxy", value, dict(
        manage=(f.boolean, True), namespace=(f.k8s_name, "kube-system"),
        configmap=(f.k8s_subdomain, "kube-proxy"), daemonset=(f.k8s_subdomain, "kube-proxy"),
        rollout_timeout=(TIMEOUT, 300)))


def _bfd_profile(where, value):
    """MetalLB's BFDProfile ranges."""
    errors = f.Collect()
    result = f.section(errors, where, value, dict(
        receive_interval=(f.integer(10, 60000), 300), transmit_interval=(f.integer(10, 60000), 300),
        detect_multiplier=(f.integer(2, 255), 3)))
    if errors.items:
        raise f.FieldError("; ".join(errors.items))
    return result


def parse_load_balancer(errors, value, heartbeat_key, pools):
    result = f.section(errors, "exposure_load_balancer", f.without(value, "heartbeat_key"), dict(
        namespace=(f.k8s_name, "metallb-system"),
        image=(f.image, "ghcr.io/baremetal-exposure/baremetal-lb:0.1.0"),
        frr_image=(f.image, "quay.io/frrouting/frr:8.4.4"),
        image_pull_policy=(f.choice(*PULL_POLICIES), "IfNotPresent"),
        controller_replicas=(f.integer(1, 10), 2),
        load_balancer_class=(f.qualified_name, None),
        speaker_interfaces=(f.list_of(f.interface), []),
        speaker_tolerate_control_plane=(f.boolean, True),
        heartbeat_secret=(f.k8s_subdomain, "baremetal-lb-heartbeat"),
        bgp_password_secret=(f.k8s_subdomain, "baremetal-lb-bgp"),
        bfd_profile=(_bfd_profile, {"receive_interval": 300, "transmit_interval": 300,
                                    "detect_multiplier": 3}),
        migrate_from=(f.choice("none", "metallb"), "none"),
        import_legacy_configmap=(f.boolean, False),
        wait_timeout=(TIMEOUT, 300)))
    if result is None:
        return None
    if result["import_legacy_configmap"] and result["migrate_from"] != "metallb":
        errors.add("exposure_load_balancer.import_legacy_configmap is true but migrate_from is %s; "
                   "the legacy ConfigMap is only imported with migrate_from: metallb"
                   % result["migrate_from"])
    key = heartbeat_key or (value.get("heartbeat_key") if isinstance(value, dict) else None)
    if key:
        f.run(errors, _heartbeat_key, "exposure_load_balancer.heartbeat_key", key)
    result["heartbeat_key_set"] = bool(key)
    result["needs_frr"] = any(p["announce"] == "bgp" for p in pools)
    return result


def _heartbeat_key(where, value):
    """The speaker's rules (cli.py _heartbeat_key): stripped, hex if it is hex, else raw bytes."""
    try:
        _text.secret(where, value, 1, 4096)
    except _text.TextError as exc:
        raise f.FieldError(str(exc)) from exc
    if value != value.strip():
        raise f.FieldError("%s has spaces at its start or end, which the speaker strips; remove "
                           "them (the value is not shown)" % where)
    key = bytes.fromhex(value) if re.match(r"^([0-9a-fA-F]{2})+$", value) else value.encode("utf-8")
    if len(key) < HEARTBEAT_KEY_MIN:
        raise f.FieldError("%s has %d bytes; use at least %d random bytes, e.g. `openssl rand "
                           "-hex 32` (the value is not shown)" % (where, len(key), HEARTBEAT_KEY_MIN))
    return value


def parse_ingress(errors, value, pools):
    given = value is not None
    result = f.section(errors, "exposure_ingress", value, dict(
        controller=(f.choice("ingress-nginx", "traefik", "none"), "ingress-nginx"),
        api=(f.choice("ingress", "gateway"), "ingress"), pool=(f.k8s_name, None),
        vip=(f.text(64), None), namespace=(f.k8s_name, None), image=(f.image, None),
        image_pull_policy=(f.choice(*PULL_POLICIES), "IfNotPresent"),
        replicas=(f.integer(1, 100), 2), class_name=(f.k8s_subdomain, None),
        wait_timeout=(TIMEOUT, 300)))
    if result is None:
        return None
    by_name = dict((p["name"], p) for p in pools if isinstance(p["name"], str))
    candidates = [p for p in pools if p["purpose"] == "ingress"]
    if not given and not candidates:
        # No ingress asked for and no pool for one: the ingress stage has nothing to do.
        result["controller"] = "none"
    if result["controller"] == "none":
        result.update(api="ingress", pool=None, vip=None)
        return result
    if result["api"] == "gateway" and result["controller"] != "traefik":
        errors.add("exposure_ingress.api = gateway needs controller: traefik (the Gateway API is "
                   "served by traefik here), got %s" % result["controller"])
    pool = _ingress_pool(errors, result, by_name, candidates)
    result["pool"] = pool["name"] if pool else result["pool"]
    if result["vip"] is not None and pool is not None:
        _check_vip(errors, result["vip"], pool)
    defaults = INGRESS_DEFAULTS[result["controller"]]
    for key in ("namespace", "image", "class_name"):
        if result[key] is None:
            result[key] = defaults[key]
    return result


def _ingress_pool(errors, result, by_name, candidates):
    if result["pool"] is not None:
        if result["pool"] not in by_name:
            errors.add("exposure_ingress.pool = %r is not a pool of the site (exposure_pools: %s)"
                       % (result["pool"], ", ".join(sorted(by_name)) or "none"))
            return None
        return by_name[result["pool"]]
    if not candidates:
        errors.add("exposure_ingress.controller is %s but no pool has purpose: ingress; give one "
                   "pool purpose: ingress, name it in exposure_ingress.pool, or set "
                   "exposure_ingress.controller: none" % result["controller"])
        return None
    if len(candidates) > 1:
        errors.add("several pools have purpose: ingress (%s); name the one for the ingress VIP in "
                   "exposure_ingress.pool" % ", ".join(p["name"] for p in candidates))
        return None
    return candidates[0]


def _check_vip(errors, vip, pool):
    try:
        address = parse_range(vip)
    except RangeError as exc:
        errors.add("exposure_ingress.vip: %s" % exc)
        return
    if address.first != address.last or "/" in vip or "-" in vip:
        errors.add("exposure_ingress.vip = %r must be a single address" % vip)
    elif not any(item.version == address.version and item.first <= address.first <= item.last
                 for dummy, item in pool["specs"]):
        errors.add("exposure_ingress.vip = %s is not in the ingress pool %r (exposure_pools[%d])"
                   % (vip, pool["name"], pool["index"]))


def _service(where, value):
    if isinstance(value, str):
        namespace, sep, name = value.partition("/")
        if not sep:
            raise f.FieldError("%s = %s must be namespace/name" % (where, _text.shown(value)))
        value = {"namespace": namespace, "name": name}
    if not isinstance(value, dict) or set(value) != set(["namespace", "name"]):
        raise f.FieldError("%s must be \"namespace/name\" or {namespace, name}, got %s"
                           % (where, _text.shown(value)))
    return {"namespace": f.k8s_name(where + ".namespace", value["namespace"]),
            "name": f.k8s_name(where + ".name", value["name"])}


def _http_path(where, value):
    f.text(2048, ascii_only=True)(where, value)
    if not value.startswith("/") or " " in value:
        raise f.FieldError("%s = %s must be an absolute URL path without spaces (e.g. /healthz)"
                           % (where, _text.shown(value)))
    return value


def parse_verify(errors, value, ingress, host_check, clients, nodes):
    result = f.section(errors, "exposure_verify", value, dict(
        services=(f.list_of(_service), []), all_load_balancers=(f.boolean, False),
        http_path=(_http_path, "/"), http_host=(f.k8s_subdomain, None),
        expect_status=(f.integer(100, 599), 200), expect_body=(f.text(1024), None),
        client_host=(host_check, None), timeout=(f.integer(1, 3600), 10)))
    if result is None:
        return None
    if not result["services"] and ingress and ingress["controller"] != "none":
        defaults = INGRESS_DEFAULTS[ingress["controller"]]
        result["services"] = [{"namespace": ingress["namespace"], "name": defaults["service"]}]
    if result["client_host"] is None:
        first = (clients or []) + [n["name"] for n in nodes]
        result["client_host"] = first[0] if first else None
    return result
