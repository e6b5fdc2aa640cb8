# -*- coding: utf-8 -*-
# Copyright (c) 2026, baremetal.exposure contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The site model: parse a site's variables into the normalized plan (docs/site-model.md).

PRIVATE to this collection: no compatibility promise outside it.

``build_plan(site, other_sites, secrets, environ, inventory_hosts)`` parses every variable any
stage reads, runs every check and returns the plan, or raises ``SiteModelError`` carrying ALL
the errors found (each naming the site, the variable path, the pool or host where there is one,
and the conflicting thing). The addresses (LAN, nodes, pools, reserved) are parsed here; the
backends of the reservations in ``backends``, the BGP side in ``bgp``, the cluster side in
``cluster``, with the value checks of ``fields``; the checks between parsed things are in
``checks``; the Markdown report in ``report``. Secrets are checked but never enter the plan.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.baremetal.exposure.plugins.module_utils import _text
from ansible_collections.baremetal.exposure.plugins.module_utils._errors import ExposureError
from ansible_collections.baremetal.exposure.plugins.module_utils._ranges import (
    RangeError,
    parse_range,
)
from ansible_collections.baremetal.exposure.plugins.module_utils._site import (
    backends,
    bgp,
    checks,
    cluster,
    pools,
    report,
)
from ansible_collections.baremetal.exposure.plugins.module_utils._site import fields as f
from ansible_collections.baremetal.exposure.plugins.module_utils._site.fields import Errors

NODE_NAME = re.compile(r"^[!-~]{1,253}$")
# The secret variables: checked from build_plan's ``secrets``, never in the plan.
SECRETS = ("exposure_bgp.password", "exposure_ipam.token", "exposure_dhcp.kea.password",
           "exposure_load_balancer.heartbeat_key")


class SiteModelError(ExposureError):
    """A site definition is invalid; ``errors`` lists every problem found."""

    def __init__(self, errors):
        self.errors = list(errors)
        super().__init__("\n".join(self.errors), errors=self.errors)


def parse_lan(errors, lan):
    """exposure_lan -> [{index, subnet (AddressRange), prefixlen, gateway, version}]."""
    if lan is None:
        errors.add("exposure_lan is not set; list the LAN subnets of the nodes with their gateway, "
                   "e.g. [{subnet: 198.51.100.0/24, gateway: 198.51.100.1}]")
        return []
    if not isinstance(lan, list) or not lan:
        errors.add("exposure_lan must be a non-empty list of {subnet, gateway}, got %r" % (lan,))
        return []
    result = []
    for index, entry in enumerate(lan):
        where = "exposure_lan[%d]" % index
        if not isinstance(entry, dict):
            errors.add("%s must be a dict {subnet, gateway}, got %s" % (where, f.type_name(entry)))
            continue
        f.unknown_keys(errors, where, entry, ("subnet", "gateway"))
        subnet_spec = entry.get("subnet")
        if not isinstance(subnet_spec, str) or "/" not in subnet_spec:
            errors.add("%s.subnet = %r must be a CIDR such as 198.51.100.0/24" % (where, subnet_spec))
            continue
        try:
            subnet = parse_range(subnet_spec)
        except RangeError as exc:
            errors.add("%s.subnet: %s" % (where, exc))
            continue
        item = {"index": index, "subnet": subnet, "version": subnet.version,
                "prefixlen": int(subnet_spec.split("/")[1]), "gateway": None}
        if entry.get("gateway") is None:
            errors.add("%s.gateway is not set; give the router address on %s" % (where, subnet_spec))
        else:
            gateway = f.parse_address(errors, "%s.gateway" % where, entry["gateway"])
            if gateway is not None:
                if gateway.version != subnet.version or not subnet.first <= gateway <= subnet.last:
                    errors.add("%s.gateway = %s is outside its subnet %s" % (where, gateway, subnet_spec))
                else:
                    item["gateway"] = gateway
        result.append(item)
    return result


def parse_nodes(errors, nodes, nodes_group):
    """The nodes list -> [{name, addresses: [IPAddress]}]."""
    where = "exposure_nodes_group %s" % (nodes_group,) if nodes_group else "nodes"
    if not isinstance(nodes, list) or not nodes:
        errors.add(
            "the site has no nodes (%s is empty or missing); put the Kubernetes nodes in that "
            "group or set exposure_nodes_group" % where
        )
        return []
    result = []
    for index, node in enumerate(nodes):
        if not isinstance(node, dict) or not node.get("name"):
            errors.add("%s: node %d must be a dict {name, addresses}" % (where, index))
            continue
        name = str(node["name"])
        if not NODE_NAME.match(name):
            # Inventory host names reach the router's configuration (neighbor descriptions).
            errors.add("node %s: the inventory name must be printable ASCII without spaces, at most "
                       "253 characters (it becomes the router's peer description)" % _text.shown(name))
            continue
        addresses = node.get("addresses")
        if isinstance(addresses, str):
            addresses = [addresses]
        if not isinstance(addresses, list) or not addresses:
            errors.add("node %s (%s) has no address; set exposure_node_addresses or ansible_host"
                       % (name, where))
            continue
        parsed = []
        for a_index, value in enumerate(addresses):
            address = f.parse_address(
                errors, "node %s: exposure_node_addresses[%d]" % (name, a_index), value)
            if address is not None:
                parsed.append(address)
        result.append({"name": name, "addresses": parsed, "given": len(addresses)})
    return result


def parse_reserved(errors, reserved):
    """exposure_reserved -> [{index, owner, ranges: [(spec index, AddressRange)]}]."""
    if reserved is None:
        return []
    if not isinstance(reserved, list):
        errors.add("exposure_reserved must be a list of {addresses, owner}, got %s" % f.type_name(reserved))
        return []
    result = []
    for index, entry in enumerate(reserved):
        where = "exposure_reserved[%d]" % index
        if not isinstance(entry, dict):
            errors.add("%s must be a dict {addresses, owner}, got %s" % (where, f.type_name(entry)))
            continue
        f.unknown_keys(errors, where, entry, ("addresses", "owner"))
        owner = entry.get("owner")
        if not isinstance(owner, str) or not owner.strip():
            errors.add("%s.owner is missing; say who uses these addresses" % where)
            owner = "?"
        else:
            owner = f.run(errors, f.text(pools.OWNER_MAX), "%s.owner" % where, owner, "?")
        ranges = f.parse_specs(errors, "%s.addresses" % where, entry.get("addresses"))
        result.append({"index": index, "owner": owner, "ranges": ranges})
    return result


def parse_other_sites(other_sites):
    """other_sites -> [(site name, pool name, spec, AddressRange)]; bad specs are skipped here
    (that site's own run reports them)."""
    found = []
    for other in other_sites or []:
        if not isinstance(other, dict):
            continue
        for pool in other.get("pools") or []:
            if not isinstance(pool, dict) or not isinstance(pool.get("addresses"), list):
                continue
            for spec in pool["addresses"]:
                try:
                    found.append((other.get("name"), pool.get("name"), spec, parse_range(spec)))
                except RangeError:
                    continue
    return found


def build_plan(site, other_sites=None, secrets=None, environ=None, inventory_hosts=None):
    """Parse and check one site; return the plan dict or raise SiteModelError (all errors).

    ``site``: the site's variables (without secrets) plus ``nodes`` [{name, addresses}],
    ``routers`` [{name, addresses, router_id}], ``clients`` [host names], ``group`` and
    ``nodes_group``; ``secrets``: {variable path: value} for the SECRETS; ``environ``: the
    controller's environment (connection fallbacks); ``inventory_hosts``: every inventory host
    (None: host names are not checked against the inventory).
    """
    if not isinstance(site, dict):
        raise SiteModelError(["the site must be a dict of site variables, got %s" % f.type_name(site)])
    secrets, environ = secrets or {}, environ or {}
    name = site.get("exposure_site")
    errors = Errors(name if isinstance(name, str) and name else site.get("group") or "?")
    if name is None:
        errors.add("exposure_site is not set; give the site a name in its group_vars "
                   "(e.g. exposure_site: lab)")
    else:
        f.check_name(errors, "exposure_site", name, "site")
    for other in other_sites or []:
        if isinstance(other, dict) and other.get("name") == name and name is not None:
            errors.add("exposure_site = %r is also the name of another site (group %s); site "
                       "names must be unique in the inventory" % (name, other.get("group", "?")))
    errors_before = len(errors.items)
    lan = parse_lan(errors, site.get("exposure_lan"))
    lan_complete = len(errors.items) == errors_before
    nodes = parse_nodes(errors, site.get("nodes"), site.get("nodes_group"))
    reserved = parse_reserved(errors, site.get("exposure_reserved"))
    dhcp, dynamic_ranges = backends.parse_dhcp(errors, site.get("exposure_dhcp"), secrets, environ,
                                               inventory_hosts)
    dhcp_ranges = f.parse_specs(errors, "exposure_dhcp.dynamic_ranges", dynamic_ranges)
    ipam = backends.parse_ipam(errors, site.get("exposure_ipam"), secrets, environ, name)
    pool_list = pools.parse_pools(errors, site.get("exposure_pools"), name)
    context = {
        "lan": lan, "nodes": nodes, "reserved": reserved, "dhcp_ranges": dhcp_ranges,
        "pools": pool_list, "other": parse_other_sites(other_sites), "lan_complete": lan_complete,
    }
    checks.run_checks(errors, context)
    plan_nodes = [{"name": n["name"], "addresses": [str(a) for a in n["addresses"]]} for n in nodes]
    plan = {
        "site": name,
        "group": site.get("group"),
        "nodes_group": site.get("nodes_group"),
        "lan": [{"subnet": "%s/%d" % (item["subnet"].first, item["prefixlen"]),
                 "gateway": str(item["gateway"]), "version": item["version"]} for item in lan],
        "nodes": plan_nodes,
        "pools": [_plan_pool(pool) for pool in pool_list],
        "reserved": [{"owner": r["owner"], "ranges": merge_ranges([x for dummy, x in r["ranges"]])}
                     for r in reserved],
        "dhcp": dict(dhcp, dynamic_ranges=merge_ranges([x for dummy, x in dhcp_ranges])),
        "ipam": ipam,
        "bgp": bgp.parse_bgp(errors, site.get("exposure_bgp"), secrets.get("exposure_bgp.password"),
                             pool_list, site.get("routers"), plan_nodes, name),
        "kubernetes": cluster.parse_kubernetes(errors, site.get("exposure_kubernetes"), environ),
        "kube_proxy": cluster.parse_kube_proxy(errors, site.get("exposure_kube_proxy")),
        "load_balancer": cluster.parse_load_balancer(
            errors, site.get("exposure_load_balancer"),
            secrets.get("exposure_load_balancer.heartbeat_key"), pool_list),
    }
    plan["ingress"] = cluster.parse_ingress(errors, site.get("exposure_ingress"), pool_list)
    plan["verify"] = cluster.parse_verify(
        errors, site.get("exposure_verify"), plan["ingress"], backends.host(inventory_hosts),
        site.get("clients"), plan_nodes)
    if errors.items:
        raise SiteModelError(errors.items)
    plan["report_markdown"] = report.render(plan)
    return plan


def _plan_pool(pool):
    ranges = merge_ranges([item for dummy, item in pool["specs"]])
    result = dict((key, pool[key]) for key in pools.PLAN_KEYS)
    result["versions"] = sorted(set(r["version"] for r in ranges))
    result["size"] = sum(r["size"] for r in ranges)
    result["ranges"] = ranges
    result["cidrs"] = [cidr for r in ranges for cidr in r["cidrs"]]
    return result


def merge_ranges(ranges):
    """Sort AddressRanges and merge overlapping or adjacent ones -> list of plan range dicts."""
    ordered = sorted(ranges, key=lambda r: (r.version, r.first))
    merged = []
    for item in ordered:
        last = merged[-1] if merged else None
        if last is not None and last[2] == item.version and int(item.first) <= int(last[1]) + 1:
            if item.last > last[1]:
                last[1] = item.last
            continue
        merged.append([item.first, item.last, item.version])
    result = []
    for first, last, version in merged:
        whole = parse_range("%s-%s" % (first, last))
        result.append({
            "first": str(first), "last": str(last), "size": whole.size, "version": version,
            "cidrs": whole.cidrs(),
        })
    return result
