# -*- coding: utf-8 -*-
# Copyright (c) 2026, baremetal.exposure contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The facts of one Service read once, and the shape of a step's result (docs/verify.md).

PRIVATE to this collection: no compatibility promise outside it.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.baremetal.exposure.plugins.module_utils._verify import facts as F
from ansible_collections.baremetal.exposure.plugins.module_utils._verify import router as R

TITLES = {
    1: "external IP from the right pool",
    2: "IP advertised (ARP/NDP or BGP)",
    3: "node receives the traffic (TCP)",
    4: "ready endpoints",
    5: "application answers (HTTP)",
}
NAMES = {1: "allocation", 2: "advertisement", 3: "node", 4: "endpoints", 5: "application"}
DEFAULT_COMPONENTS = {"controller": "baremetal-lb-controller", "speaker": "baremetal-lb-speaker",
                      "speaker_container": "speaker",
                      "speaker_selector": "app.kubernetes.io/component=speaker"}


def step(number, status, detail, hints=None, cause=None):
    return {"step": number, "name": NAMES[number], "title": TITLES[number], "status": status,
            "detail": detail, "hints": list(hints or []), "cause": cause}


class Context:
    """The collected facts, read once into what the steps need."""

    def __init__(self, facts):
        self.facts = facts
        self.svc = facts.get("service")
        self.plan = facts.get("plan") or {}
        self.site = self.plan.get("site", "?")
        target = facts.get("target") or {}
        self.namespace = target.get("namespace") or F._get(self.svc, "metadata", "namespace")
        self.name = target.get("name") or F._get(self.svc, "metadata", "name")
        self.key = "%s/%s" % (self.namespace, self.name)
        self.expected_pool = target.get("pool")
        self.http = target.get("http") or None
        lb = self.plan.get("load_balancer") or {}
        self.lb_namespace = lb.get("namespace") or "metallb-system"
        self.lb_class = lb.get("load_balancer_class")
        self.components = dict(DEFAULT_COMPONENTS, **(facts.get("components") or {}))
        self.pools = self.plan.get("pools") or []
        self.nodes = F.node_table(self.plan.get("nodes"), facts.get("nodes"))
        self.ips = F.ingress_ips(self.svc) if self.svc else []
        self.endpoints = F.endpoints(facts.get("endpoint_slices"))
        self.owner = F.l2_owner(facts.get("l2_statuses"), self.svc) if self.svc else None
        self.local = F._get(self.svc, "spec", "externalTrafficPolicy") == "Local"
        self.answers, self.unresolved, self.connects, self.gets, self.probed_from = {}, {}, [], [], {}
        for result in facts.get("reach") or []:
            for address, macs in (result.get("answers") or {}).items():
                self.answers[address] = [m.lower() for m in macs]
                self.probed_from[address] = result.get("host")
            self.unresolved.update(result.get("unresolved") or {})
            for item in result.get("connects") or []:
                self.connects.append(dict(item, host=result.get("host")))
            for item in result.get("http") or []:
                self.gets.append(dict(item, host=result.get("host")))
        self.routes = dict((str(F.ip(item["address"]) or item["address"]),
                            dict(item, parsed=_parse_route(item)))
                           for item in facts.get("routes") or [])
        self.sessions = {}
        for item in facts.get("bgp_sessions") or []:
            try:
                self.sessions[item.get("router")] = R.sessions(item.get("output"))
            except R.RouterOutputError as exc:
                self.sessions[item.get("router")] = {"error": str(exc)}

    def pool(self, address):
        return F.pool_of(address, self.pools)

    def node(self, name):
        return next((n for n in self.nodes if n["name"] == name or n["host"] == name), None)

    def node_of_mac(self, mac):
        for node in self.nodes:
            if any(mac in self.answers.get(a, []) for a in node["addresses"]):
                return node
        return None

    def node_of_address(self, address):
        return next((n for n in self.nodes if str(address) in n["addresses"]), None)

    def kubectl_ns(self):
        return "kubectl -n %s" % self.namespace


def _parse_route(item):
    try:
        return R.route(item.get("output"), item["address"])
    except R.RouterOutputError as exc:
        return {"error": str(exc)}


def host(address):
    return "[%s]" % address if ":" in str(address) else str(address)
