# -*- coding: utf-8 -*-
# Copyright (c) 2026, baremetal.exposure contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The metallb.io objects a site's plan asks for, the canary Services, and what to prune.

PRIVATE to this collection: no compatibility promise outside it.

Pure functions of exposure_plan (docs/cluster-side.md); the load_balancer role applies what
they return. Names: IPAddressPool, L2Advertisement and BGPAdvertisement are named after the
pool; a BGPPeer after its router and address; the one BFDProfile is BFD_PROFILE.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import re

from ansible_collections.baremetal.exposure.plugins.module_utils._kube.lb_survey import (
    MANAGED_BY,
    MANAGER,
    POOL_KINDS,
    SITE_LABEL,
)

BFD_PROFILE = "baremetal-exposure"
HOSTNAME = "kubernetes.io/hostname"
CANARY_PREFIX = "baremetal-exposure-canary-"
API = dict((kind, api_version) for api_version, kind in POOL_KINDS)


class PlanError(ValueError):
    """The plan cannot be turned into objects; the message names the site and the pool."""


def labels(site):
    return {MANAGED_BY: MANAGER, SITE_LABEL: site}


def _meta(plan, name):
    return {"name": name, "namespace": plan["load_balancer"]["namespace"],
            "labels": labels(plan["site"])}


def _object(plan, kind, name, spec):
    return {"apiVersion": API[kind], "kind": kind, "metadata": _meta(plan, name), "spec": spec}


def pool_objects(plan):
    """Every IPAddressPool, L2Advertisement, BFDProfile, BGPPeer and BGPAdvertisement."""
    objects = [_object(plan, "IPAddressPool", pool["name"], _pool_spec(pool))
               for pool in plan["pools"]]
    for pool in plan["pools"]:
        if pool["announce"] == "layer2":
            objects.append(_object(plan, "L2Advertisement", pool["name"], _l2_spec(plan, pool)))
    bgp_pools = [pool for pool in plan["pools"] if pool["announce"] == "bgp"]
    if bgp_pools:
        bgp = plan.get("bgp")
        if not bgp:
            raise PlanError("site %s: pools %s announce by BGP but the plan has no bgp settings "
                            "(exposure_bgp)" % (plan["site"], ", ".join(p["name"] for p in bgp_pools)))
        if bgp.get("bfd"):
            profile = plan["load_balancer"]["bfd_profile"]
            objects.append(_object(plan, "BFDProfile", BFD_PROFILE, {
                "receiveInterval": profile["receive_interval"],
                "transmitInterval": profile["transmit_interval"],
                "detectMultiplier": profile["detect_multiplier"]}))
        objects.extend(_peers(plan, bgp, bgp_pools))
        for pool in bgp_pools:
            objects.append(_object(plan, "BGPAdvertisement", pool["name"], _bgp_ad_spec(pool)))
    return objects


def _pool_spec(pool):
    spec = {"addresses": [_spec_text(r) for r in pool["ranges"]],
            "autoAssign": bool(pool.get("auto_assign", True)),
            "avoidBuggyIPs": bool(pool.get("avoid_buggy_ips", False))}
    allocation = {}
    if pool.get("priority") is not None:
        allocation["priority"] = pool["priority"]
    if pool.get("namespaces"):
        allocation["namespaces"] = list(pool["namespaces"])
    if pool.get("namespace_selectors"):
        allocation["namespaceSelectors"] = list(pool["namespace_selectors"])
    if pool.get("service_selectors"):
        allocation["serviceSelectors"] = list(pool["service_selectors"])
    if allocation:
        spec["serviceAllocation"] = allocation
    return spec


def _spec_text(r):
    """A merged range as MetalLB writes it: a CIDR when it is exactly one, else first-last."""
    first, last = ipaddress.ip_address(r["first"]), ipaddress.ip_address(r["last"])
    networks = list(ipaddress.summarize_address_range(first, last))
    if len(networks) == 1:
        return str(networks[0])
    return "%s-%s" % (first, last)


def _in_subnet(r, subnet):
    network = ipaddress.ip_network(subnet["subnet"])
    return ipaddress.ip_address(r["first"]) in network


def segment_nodes(plan, pool):
    """Names of the nodes with an address on a LAN subnet that holds part of the pool."""
    subnets = [ipaddress.ip_network(s["subnet"]) for s in plan["lan"]
               if any(_in_subnet(r, s) for r in pool["ranges"])]
    return [node["name"] for node in plan["nodes"]
            if any(ipaddress.ip_address(a) in net for a in node["addresses"] for net in subnets)]


def _hostnames(names):
    return [{"matchExpressions": [{"key": HOSTNAME, "operator": "In", "values": list(names)}]}]


def _l2_spec(plan, pool):
    # A pool on a subnet no node lists an address on (e.g. an IPv6 pool on a dual-stack LAN
    # whose nodes are listed by their IPv4 address only): every node may announce it; the
    # speaker itself only answers on an interface of the pool's subnet.
    nodes = segment_nodes(plan, pool) or [node["name"] for node in plan["nodes"]]
    spec = {"ipAddressPools": [pool["name"]], "nodeSelectors": _hostnames(nodes)}
    interfaces = plan["load_balancer"].get("speaker_interfaces") or []
    if interfaces:
        spec["interfaces"] = list(interfaces)
    return spec


def _family(address):
    return "ipv%d" % ipaddress.ip_address(address).version


def _dns_label(text):
    label = re.sub(r"[^a-z0-9-]+", "-", text.lower()).strip("-")
    return label or "router"


def peer_name(router, address):
    """e.g. router1-198-51-100-1, router1-2001-db8-100--1."""
    slug = re.sub(r"[.:]", "-", address.lower()).strip("-")
    return "%s-%s" % (_dns_label(router), slug)


def _peers(plan, bgp, bgp_pools):
    # The router has neighbors only for the families its BGP pools use (router_bgp), and
    # only for node addresses of that family: the BGPPeers mirror that exactly.
    families = set("ipv%d" % r["version"] for pool in bgp_pools for r in pool["ranges"])
    peers = []
    for router in bgp["routers"]:
        for address in router["addresses"]:
            family = _family(address)
            if family not in families:
                continue
            nodes = [n["name"] for n in plan["nodes"]
                     if any(_family(a) == family for a in n["addresses"])]
            if not nodes:
                continue  # no node of that family: the router has no neighbor for it either
            spec = {"myASN": bgp["cluster_asn"], "peerASN": bgp["router_asn"],
                    "peerAddress": address,
                    "holdTime": "%ss" % bgp["hold_time"],
                    "keepaliveTime": "%ss" % bgp["keepalive"],
                    "nodeSelectors": _hostnames(nodes)}
            if bgp.get("ebgp_multihop") and bgp["cluster_asn"] != bgp["router_asn"]:
                spec["ebgpMultiHop"] = True
            if bgp.get("password_set"):
                spec["passwordSecret"] = {"name": plan["load_balancer"]["bgp_password_secret"],
                                          "namespace": plan["load_balancer"]["namespace"]}
            if bgp.get("bfd"):
                spec["bfdProfile"] = BFD_PROFILE
            peers.append(_object(plan, "BGPPeer", peer_name(router["name"], address), spec))
    return peers


def _bgp_ad_spec(pool):
    spec = {"ipAddressPools": [pool["name"]]}
    settings = pool.get("bgp") or {}
    if settings.get("communities"):
        spec["communities"] = list(settings["communities"])
    if settings.get("local_pref") is not None:
        spec["localPref"] = settings["local_pref"]
    return spec


def canaries(plan):
    """One transient LoadBalancer Service per pool the canary may use.

    No selector (no endpoints), so the speakers announce nothing for it: the canary proves
    that the controller loaded the pool and allocates from it, and touches no LAN. Pools that
    restrict which Services they serve (namespaces, selectors) are left out: a canary in the
    load balancer's namespace is not theirs to serve.
    """
    lb = plan["load_balancer"]
    services = []
    for pool in plan["pools"]:
        if pool.get("namespaces") or pool.get("namespace_selectors") \
                or pool.get("service_selectors"):
            continue
        family = "IPv4" if 4 in pool.get("versions", [4]) else "IPv6"
        spec = {"type": "LoadBalancer", "ipFamilyPolicy": "SingleStack", "ipFamilies": [family],
                "ports": [{"name": "canary", "port": 9, "protocol": "TCP"}]}
        if lb.get("load_balancer_class"):
            spec["loadBalancerClass"] = lb["load_balancer_class"]
        services.append({
            "apiVersion": "v1", "kind": "Service",
            "metadata": {"name": (CANARY_PREFIX + pool["name"])[:63].rstrip("-"),
                         "namespace": lb["namespace"], "labels": labels(plan["site"]),
                         "annotations": {"metallb.io/address-pool": pool["name"]}},
            "spec": spec})
    return services


def prunable(managed, desired, field_manager=MANAGER, keep=()):
    """Objects of `managed` (load_balancer_info) that we wrote and the plan no longer has.

    Only objects carrying our labels are listed by load_balancer_info; of those, only the ones
    our field manager wrote are deleted, so an object someone labelled by hand stays.
    """
    wanted = set((o["kind"], o["metadata"]["name"]) for o in desired)
    wanted.update(("Secret", name) for name in keep)
    return [{"apiVersion": o["apiVersion"], "kind": o["kind"], "name": o["name"],
             "namespace": o["namespace"]}
            for o in managed
            if (o["kind"], o["name"]) not in wanted and field_manager in o.get("managers", [])]


def in_ranges(addresses, ranges):
    """The addresses (strings) that lie in one of the plan ranges ({first, last})."""
    bounds = [(ipaddress.ip_address(r["first"]), ipaddress.ip_address(r["last"])) for r in ranges]
    found = []
    for text in addresses or []:
        try:
            address = ipaddress.ip_address(text)
        except ValueError:
            continue
        if any(first.version == address.version and first <= address <= last
               for first, last in bounds):
            found.append(text)
    return found
