# -*- coding: utf-8 -*-
# Copyright (c) 2026, baremetal.exposure contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Which Services the verify stage checks, and what each LAN-side check sends where.

PRIVATE to this collection: no compatibility promise outside it.

* ``verify_targets``: ``exposure_plan.verify`` (``services``, ``all_load_balancers``) and the
  cluster's Services -> ``[{namespace, name, pool}]``; no Service listed means the ingress
  Service the plan's ingress controller runs behind its VIP.
* ``vip_checks``: one Service -> the arguments of ``vip_check`` for the LAN client (layer-2
  VIPs: resolve them and the nodes' addresses, connect, GET) and for the BGP vantage host (a
  host behind the router: connect, GET), and the target with its HTTP expectations.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.baremetal.exposure.plugins.module_utils._verify import facts as F

# The Service each ingress controller runs behind its VIP, and its default namespace, as the
# ingress role installs them (roles/ingress; a unit test keeps the two in step).
INGRESS_SERVICES = {
    "ingress-nginx": {"namespace": "ingress-nginx", "name": "ingress-nginx-controller"},
    "traefik": {"namespace": "traefik", "name": "traefik"},
}


class TargetError(ValueError):
    """exposure_plan.verify names a Service in a way that cannot be read."""


def _entry(item, where):
    if isinstance(item, dict):
        if not item.get("namespace") or not item.get("name"):
            raise TargetError("%s needs namespace and name, got %r" % (where, item))
        return {"namespace": str(item["namespace"]), "name": str(item["name"]),
                "pool": item.get("pool"), "http_port": item.get("http_port"), "check_http": True}
    parts = str(item).split("/")
    if len(parts) != 2 or not all(parts):
        raise TargetError("%s must be 'namespace/name', got %r" % (where, item))
    return {"namespace": parts[0], "name": parts[1], "pool": None, "http_port": None, "check_http": True}


def ingress_target(plan):
    ingress = plan.get("ingress") or {}
    known = INGRESS_SERVICES.get(ingress.get("controller"))
    if known is None:
        return None
    return {"namespace": ingress.get("namespace") or known["namespace"], "name": known["name"],
            "pool": ingress.get("pool"), "http_port": None, "check_http": True}


def verify_targets(plan, services=()):
    """The Services to check, in order, each once."""
    settings = plan.get("verify") or {}
    site = plan.get("site", "?")
    targets = [_entry(item, "site %s: exposure_verify.services[%d]" % (site, index))
               for index, item in enumerate(settings.get("services") or [])]
    if not targets:
        ingress = ingress_target(plan)
        if ingress is not None:
            targets.append(ingress)
    if settings.get("all_load_balancers"):
        lb_class = (plan.get("load_balancer") or {}).get("load_balancer_class")
        for svc in services or []:
            if F._get(svc, "spec", "type") != "LoadBalancer":
                continue
            if F._get(svc, "spec", "loadBalancerClass") not in (None, lb_class):
                continue
            ips = F.ingress_ips(svc)
            if ips and not any(F.pool_of(a, plan.get("pools")) for a in ips):
                continue  # another site's (or another implementation's) address
            targets.append({"namespace": F._get(svc, "metadata", "namespace"),
                            "name": F._get(svc, "metadata", "name"), "pool": None, "http_port": None,
                            "check_http": False})
    seen, unique = set(), []
    for target in targets:
        key = (target["namespace"], target["name"])
        if key not in seen:
            seen.add(key)
            unique.append(target)
    return unique


def _http_target(plan, target, svc):
    """The HTTP expectation for one Service: the plan's for the ingress Service and the Services
    listed in exposure_verify.services (when they have an HTTP port); none for the others."""
    if not target.get("check_http", True) or svc is None:
        return None
    port = F.http_port(svc, target.get("http_port"))
    if port is None:
        return None
    settings = plan.get("verify") or {}
    return {"port": port, "path": settings.get("http_path") or "/", "host": settings.get("http_host"),
            "expect_status": settings.get("expect_status", 200), "expect_body": settings.get("expect_body")}


def _same_family(address, other):
    return (":" in str(address)) == (":" in str(other))


def vip_checks(svc, plan, target):
    """``{target, layer2: {resolve, connect, http}, bgp: {connect, http}, bgp_vips}`` for one
    Service (``svc`` None when it does not exist: nothing to send)."""
    full = dict(target, http=_http_target(plan, target, svc))
    empty = {"target": full, "layer2": {"resolve": [], "connect": [], "http": []},
             "bgp": {"connect": [], "http": []}, "bgp_vips": []}
    if svc is None:
        return empty
    http = full["http"]
    ports = [p["port"] for p in F.tcp_ports(svc)]
    node_addresses = [a for n in plan.get("nodes") or [] for a in n.get("addresses") or []]
    out = empty
    for address in F.ingress_ips(svc):
        pool = F.pool_of(address, plan.get("pools")) or {}
        side = out["bgp"] if pool.get("announce") == "bgp" else out["layer2"]
        if side is out["bgp"]:
            out["bgp_vips"].append(address)
        else:
            side["resolve"].append(address)
            side["resolve"].extend(a for a in node_addresses
                                   if _same_family(a, address) and a not in side["resolve"])
        side["connect"].extend({"address": address, "port": port} for port in ports)
        if http:
            side["http"].append({"address": address, "port": http["port"], "path": http["path"],
                                 "host": http["host"]})
    return out
