# -*- coding: utf-8 -*-
# Copyright (c) 2026, baremetal.exposure contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What the Kubernetes objects and the plan say about one Service, as small plain dicts.

PRIVATE to this collection: no compatibility promise outside it.

Every function takes the objects as ``kubernetes.core.k8s_info`` returns them (dicts) and never
fails on a missing field: a half-written object is a fact to report, not a crash.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress

POOL_ANNOTATION = "metallb.io/address-pool"
IPS_ANNOTATION = "metallb.io/loadBalancerIPs"
# Set by MetalLB's controller (not by ours); read when present, e.g. after a migration.
ALLOCATED_FROM_ANNOTATION = "metallb.io/ip-allocated-from-pool"
EXCLUDE_LABEL = "node.kubernetes.io/exclude-from-external-load-balancers"
HTTP_PORT_NAMES = ("http", "web")
HTTP_PORTS = (80, 8080)


def ip(text):
    """An ipaddress object, or None when ``text`` is not an address."""
    try:
        return ipaddress.ip_address(str(text).strip())
    except ValueError:
        return None


def _get(obj, *path):
    for key in path:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(key)
    return obj


def service_key(svc):
    return "%s/%s" % (_get(svc, "metadata", "namespace"), _get(svc, "metadata", "name"))


def annotations(svc):
    return _get(svc, "metadata", "annotations") or {}


def ingress_ips(svc):
    """The addresses in status.loadBalancer.ingress, normalized, unparsable ones left out."""
    found = []
    for entry in _get(svc, "status", "loadBalancer", "ingress") or []:
        address = ip((entry or {}).get("ip", ""))
        if address is not None and str(address) not in found:
            found.append(str(address))
    return found


def requested_ips(svc):
    """Addresses the Service asks for: the loadBalancerIPs annotation, else spec.loadBalancerIP."""
    raw = annotations(svc).get(IPS_ANNOTATION) or ""
    wanted = [part.strip() for part in raw.split(",") if part.strip()]
    if not wanted and _get(svc, "spec", "loadBalancerIP"):
        wanted = [str(_get(svc, "spec", "loadBalancerIP"))]
    return wanted


def tcp_ports(svc):
    """``[{name, port}]`` of the Service's TCP ports (the protocol defaults to TCP)."""
    return [{"name": port.get("name") or "", "port": int(port["port"])}
            for port in _get(svc, "spec", "ports") or []
            if (port.get("protocol") or "TCP") == "TCP" and port.get("port")]


def http_port(svc, wanted=None):
    """The port an HTTP check goes to: ``wanted`` when the Service has it, else a TCP port named
    http/web, else 80 or 8080; None when the Service has no port that looks like HTTP."""
    ports = tcp_ports(svc)
    numbers = [p["port"] for p in ports]
    if wanted:
        return int(wanted) if int(wanted) in numbers else None
    for port in ports:
        if port["name"] in HTTP_PORT_NAMES:
            return port["port"]
    for number in HTTP_PORTS:
        if number in numbers:
            return number
    return None


def in_ranges(address, ranges):
    """Whether ``address`` (text or ipaddress) lies in one of ``ranges`` (``{first, last}``)."""
    value = ip(address)
    if value is None:
        return False
    for item in ranges or []:
        first, last = ip(item.get("first")), ip(item.get("last"))
        if first is not None and last is not None and first.version == value.version \
                and first <= value <= last:
            return True
    return False


def pool_of(address, pools):
    """The plan pool (dict) holding ``address``, or None."""
    for pool in pools or []:
        if in_ranges(address, pool.get("ranges")):
            return pool
    return None


def endpoints(slices):
    """EndpointSlices -> ``{ready, not_ready, ready_nodes, not_ready_nodes}``.

    An endpoint is ready when ``conditions.ready`` is true or absent (the API's rule: absent
    means ready); its node is ``nodeName``.
    """
    ready, not_ready = 0, 0
    ready_nodes, not_ready_nodes = set(), set()
    for item in slices or []:
        for endpoint in item.get("endpoints") or []:
            count = len(endpoint.get("addresses") or []) or 1
            state = (endpoint.get("conditions") or {}).get("ready")
            node = endpoint.get("nodeName")
            if state is None or state is True:
                ready += count
                if node:
                    ready_nodes.add(node)
            else:
                not_ready += count
                if node:
                    not_ready_nodes.add(node)
    return {"ready": ready, "not_ready": not_ready, "ready_nodes": sorted(ready_nodes),
            "not_ready_nodes": sorted(not_ready_nodes)}


def l2_owner(statuses, svc):
    """The node (and interface) a ServiceL2Status names for ``svc``, or None."""
    name, namespace = _get(svc, "metadata", "name"), _get(svc, "metadata", "namespace")
    for item in statuses or []:
        status = item.get("status") or {}
        if (status.get("serviceName") or _get(item, "metadata", "name")) != name:
            continue
        if (status.get("serviceNamespace") or _get(item, "metadata", "namespace")) != namespace:
            continue
        if status.get("node"):
            interfaces = [i.get("name") for i in status.get("interfaces") or [] if i.get("name")]
            return {"node": status["node"], "interfaces": interfaces}
    return None


def _node_ready(node):
    for condition in _get(node, "status", "conditions") or []:
        if condition.get("type") == "Ready":
            return condition.get("status") == "True"
    return None


def node_table(plan_nodes, kube_nodes):
    """The site's nodes as ``{name, host, addresses, ready, excluded}``.

    ``name`` is the Kubernetes node name, ``host`` the inventory host of the plan. A Kubernetes
    node matches a plan node by name, else by one of its addresses. Plan nodes without a
    Kubernetes node have ``ready`` None (not registered); Kubernetes nodes outside the plan are
    left out (they are not this site's).
    """
    by_name = dict((_get(n, "metadata", "name"), n) for n in kube_nodes or [])
    by_address = {}
    for node in kube_nodes or []:
        for entry in _get(node, "status", "addresses") or []:
            value = ip(entry.get("address", ""))
            if value is not None:
                by_address[str(value)] = node
    table = []
    for plan_node in plan_nodes or []:
        addresses = [str(ip(a)) for a in plan_node.get("addresses") or [] if ip(a) is not None]
        kube = by_name.get(plan_node.get("name"))
        if kube is None:
            kube = next((by_address[a] for a in addresses if a in by_address), None)
        labels = _get(kube, "metadata", "labels") or {}
        table.append({
            "name": _get(kube, "metadata", "name") or plan_node.get("name"),
            "host": plan_node.get("name"),
            "addresses": addresses,
            "ready": None if kube is None else _node_ready(kube),
            "excluded": EXCLUDE_LABEL in labels,
        })
    return table


def warnings_of(events, reasons=None):
    """Messages of the Warning events (optionally only those reasons), oldest first, each once."""
    def when(event):
        return str(event.get("lastTimestamp") or event.get("eventTime")
                   or _get(event, "metadata", "creationTimestamp") or "")

    found = []
    for event in sorted(events or [], key=when):
        if event.get("type") != "Warning":
            continue
        if reasons and event.get("reason") not in reasons:
            continue
        text = "%s: %s" % (event.get("reason"), event.get("message"))
        if text not in found:
            found.append(text)
    return found


def pool_usage(pool_object):
    """An IPAddressPool object's status as ``{used, free}`` (None when it has no status)."""
    status = (pool_object or {}).get("status") or {}
    keys = ("assignedIPv4", "availableIPv4", "assignedIPv6", "availableIPv6")
    if not any(key in status for key in keys):
        return None
    return {"used": int(status.get("assignedIPv4") or 0) + int(status.get("assignedIPv6") or 0),
            "free": int(status.get("availableIPv4") or 0) + int(status.get("availableIPv6") or 0)}
