# -*- coding: utf-8 -*-
# Copyright (c) 2026, baremetal.exposure contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The site model: parse a site's variables into the normalized plan (docs/site-model.md).

PRIVATE to this collection: no compatibility promise outside it.

``build_plan(site, other_sites)`` parses every variable, runs every check and returns the plan,
or raises ``SiteModelError`` carrying ALL the errors found (each naming the site, the pool where
there is one, the variable path and the conflicting thing). Parsing is here; the checks between
parsed things are in ``_site_model_checks``; the Markdown report is in ``_plan_report``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import difflib
import re

from ansible_collections.baremetal.exposure.plugins.module_utils._errors import ExposureError
from ansible_collections.baremetal.exposure.plugins.module_utils._ranges import (
    RangeError,
    parse_range,
)
from ansible_collections.baremetal.exposure.plugins.module_utils._site import checks, report

NAME_RE = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
NAME_MAX = 63
ANNOUNCE = ("layer2", "bgp")
DHCP_BACKENDS = ("kea", "dnsmasq", "none")
IPAM_BACKENDS = ("netbox", "none")
POOL_KEYS = (
    "name", "addresses", "announce", "purpose", "auto_assign", "avoid_buggy_ips", "namespaces",
    "namespace_selectors", "service_selectors", "priority", "bgp", "owner",
)
BGP_KEYS = ("communities", "local_pref")
LOCAL_PREF_MAX = 4294967295
STANDARD_COMMUNITY_RE = re.compile(r"^(\d+):(\d+)$")
LARGE_COMMUNITY_RE = re.compile(r"^(?:large:)?(\d+):(\d+):(\d+)$")


class SiteModelError(ExposureError):
    """A site definition is invalid; ``errors`` lists every problem found."""

    def __init__(self, errors):
        self.errors = list(errors)
        super(SiteModelError, self).__init__("\n".join(self.errors), errors=self.errors)


class Errors:
    """Collects the errors of one site, each prefixed with ``site <name>: ``."""

    def __init__(self, site_label):
        self.site_label = site_label
        self.items = []

    def add(self, text):
        self.items.append("site %s: %s" % (self.site_label, text))


def pool_label(pool_index, name):
    if isinstance(name, str) and name:
        return "pool %r (exposure_pools[%d])" % (name, pool_index)
    return "pool exposure_pools[%d]" % pool_index


def _type_name(value):
    return "null" if value is None else type(value).__name__


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _unknown_keys(errors, where, data, allowed):
    for key in sorted(set(data) - set(allowed), key=str):
        close = difflib.get_close_matches(str(key), allowed, n=1)
        hint = "did you mean %r?" % close[0] if close else "known keys: %s" % ", ".join(allowed)
        errors.add("%s has an unknown key %r; %s" % (where, key, hint))


def _check_name(errors, where, value, what):
    if not isinstance(value, str) or not value:
        errors.add("%s is missing or empty; give the %s a name" % (where, what))
        return False
    if len(value) > NAME_MAX or not NAME_RE.match(value):
        errors.add(
            "%s = %r is not a valid %s name: use at most %d lowercase letters, digits and '-', "
            "starting and ending with a letter or digit (a Kubernetes object name)"
            % (where, value, what, NAME_MAX)
        )
        return False
    return True


def _parse_specs(errors, where, specs, prefix=""):
    """Parse a list of address specs; return [(index, AddressRange)] of the good ones."""
    if not isinstance(specs, list):
        errors.add("%s%s must be a list of address specs, got %s" % (prefix, where, _type_name(specs)))
        return []
    parsed = []
    for index, spec in enumerate(specs):
        try:
            parsed.append((index, parse_range(spec)))
        except RangeError as exc:
            errors.add("%s%s[%d]: %s" % (prefix, where, index, exc))
    return parsed


def _parse_address(errors, where, value):
    """One IP address (no CIDR, no range), or None after adding an error."""
    if isinstance(value, str) and ("/" in value or "-" in value):
        errors.add("%s = %r must be a single IP address, not a CIDR or a range" % (where, value))
        return None
    try:
        return parse_range(value).first
    except RangeError as exc:
        errors.add("%s: %s" % (where, exc))
        return None


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
            errors.add("%s must be a dict {subnet, gateway}, got %s" % (where, _type_name(entry)))
            continue
        _unknown_keys(errors, where, entry, ("subnet", "gateway"))
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
            gateway = _parse_address(errors, "%s.gateway" % where, entry["gateway"])
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
        addresses = node.get("addresses")
        if isinstance(addresses, str):
            addresses = [addresses]
        if not isinstance(addresses, list) or not addresses:
            errors.add("node %s (%s) has no address; set exposure_node_addresses or ansible_host"
                       % (name, where))
            continue
        parsed = []
        for a_index, value in enumerate(addresses):
            address = _parse_address(
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
        errors.add("exposure_reserved must be a list of {addresses, owner}, got %s" % _type_name(reserved))
        return []
    result = []
    for index, entry in enumerate(reserved):
        where = "exposure_reserved[%d]" % index
        if not isinstance(entry, dict):
            errors.add("%s must be a dict {addresses, owner}, got %s" % (where, _type_name(entry)))
            continue
        _unknown_keys(errors, where, entry, ("addresses", "owner"))
        owner = entry.get("owner")
        if not isinstance(owner, str) or not owner.strip():
            errors.add("%s.owner is missing; say who uses these addresses" % where)
            owner = "?"
        ranges = _parse_specs(errors, "%s.addresses" % where, entry.get("addresses"))
        result.append({"index": index, "owner": owner, "ranges": ranges})
    return result


def parse_backend(errors, name, value, backends):
    """exposure_dhcp / exposure_ipam -> (backend, dict). Extra keys belong to other roles."""
    if value is None:
        return "none", {}
    if not isinstance(value, dict):
        errors.add("%s must be a dict with a backend key, got %s" % (name, _type_name(value)))
        return "none", {}
    backend = value.get("backend", "none")
    if backend not in backends:
        errors.add("%s.backend = %r is unknown; use one of: %s" % (name, backend, ", ".join(backends)))
        backend = "none"
    return backend, value


def _parse_bgp(errors, label, index, pool, announce):
    bgp = pool.get("bgp")
    settings = {"communities": [], "local_pref": None}
    if bgp is None or bgp == {}:
        return settings
    if not isinstance(bgp, dict):
        errors.add("%s: bgp must be a dict {communities, local_pref}, got %s" % (label, _type_name(bgp)))
        return settings
    if announce != "bgp":
        errors.add("%s: bgp settings (exposure_pools[%d].bgp) only apply to announce: bgp, this "
                   "pool announces with %s; remove bgp or set announce: bgp" % (label, index, announce))
    _unknown_keys(errors, "%s: bgp" % label, bgp, BGP_KEYS)
    communities = bgp.get("communities") or []
    if not isinstance(communities, list):
        errors.add("%s: bgp.communities must be a list, got %s" % (label, _type_name(communities)))
        communities = []
    for index, community in enumerate(communities):
        if not _valid_community(community):
            errors.add(
                "%s: bgp.communities[%d] = %r is not a BGP community; use 'ASN:VALUE' with "
                "numbers 0-65535 (e.g. 65535:65282) or a large community 'large:A:B:C' with "
                "numbers 0-4294967295" % (label, index, community)
            )
    local_pref = bgp.get("local_pref")
    if local_pref is not None and (not _is_int(local_pref) or not 0 <= local_pref <= LOCAL_PREF_MAX):
        errors.add("%s: bgp.local_pref = %r must be an integer from 0 to %d"
                   % (label, local_pref, LOCAL_PREF_MAX))
    settings["communities"] = [str(c) for c in communities]
    settings["local_pref"] = local_pref
    return settings


def _valid_community(value):
    if not isinstance(value, str):
        return False
    match = STANDARD_COMMUNITY_RE.match(value)
    if match:
        return all(int(part) <= 65535 for part in match.groups())
    match = LARGE_COMMUNITY_RE.match(value)
    if match:
        return all(int(part) <= LOCAL_PREF_MAX for part in match.groups())
    return False


def _check_list(errors, label, pool, key, element_type, what):
    value = pool.get(key)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, element_type) for v in value):
        errors.add("%s: %s must be a list of %s" % (label, key, what))
        return []
    return value


def parse_pool(errors, index, pool, site_name):
    """One exposure_pools entry -> a pool dict with ``specs`` [(index, AddressRange)], or None."""
    if not isinstance(pool, dict):
        errors.add("exposure_pools[%d] must be a dict {name, addresses, announce, ...}, got %s"
                   % (index, _type_name(pool)))
        return None
    name = pool.get("name")
    label = pool_label(index, name)
    _check_name(errors, "exposure_pools[%d].name" % index, name, "pool")
    _unknown_keys(errors, label, pool, POOL_KEYS)
    announce = pool.get("announce", "layer2")
    if announce not in ANNOUNCE:
        errors.add("%s: announce = %r is unknown; use layer2 or bgp" % (label, announce))
    for key, default in (("auto_assign", True), ("avoid_buggy_ips", False)):
        if not isinstance(pool.get(key, default), bool):
            errors.add("%s: %s = %r must be true or false" % (label, key, pool.get(key)))
    priority = pool.get("priority")
    if priority is not None and not _is_int(priority):
        errors.add("%s: priority = %r must be an integer" % (label, priority))
    purpose = pool.get("purpose", "services")
    if not isinstance(purpose, str) or not purpose:
        errors.add("%s: purpose must be a non-empty text (ingress, services, other...)" % label)
    owner = pool.get("owner") or "Kubernetes load balancer, site %s, pool %s" % (site_name, name)
    addresses = pool.get("addresses")
    if addresses is None or addresses == []:
        errors.add("%s: addresses (exposure_pools[%d].addresses) is missing or empty; list CIDRs, "
                   "first-last ranges or addresses" % (label, index))
        specs = []
    else:
        specs = _parse_specs(errors, "exposure_pools[%d].addresses" % index, addresses,
                             prefix="pool %r " % (name,))
    return {
        "index": index,
        "name": name,
        "announce": announce,
        "purpose": purpose,
        "auto_assign": pool.get("auto_assign", True),
        "avoid_buggy_ips": pool.get("avoid_buggy_ips", False),
        "namespaces": _check_list(errors, label, pool, "namespaces", str, "namespace names"),
        "namespace_selectors": _check_list(errors, label, pool, "namespace_selectors", dict,
                                           "label selectors (dicts)"),
        "service_selectors": _check_list(errors, label, pool, "service_selectors", dict,
                                         "label selectors (dicts)"),
        "priority": priority,
        "bgp": _parse_bgp(errors, label, index, pool, announce),
        "owner": str(owner),
        "specs": specs,
    }


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


def build_plan(site, other_sites=None):
    """Parse and check one site; return the plan dict or raise SiteModelError (all errors)."""
    if not isinstance(site, dict):
        raise SiteModelError(["the site must be a dict of site variables, got %s" % _type_name(site)])
    name = site.get("exposure_site")
    errors = Errors(name if isinstance(name, str) and name else site.get("group") or "?")
    if name is None:
        errors.add("exposure_site is not set; give the site a name in its group_vars "
                   "(e.g. exposure_site: lab)")
    else:
        _check_name(errors, "exposure_site", name, "site")
    for other in other_sites or []:
        if isinstance(other, dict) and other.get("name") == name and name is not None:
            errors.add("exposure_site = %r is also the name of another site (group %s); site "
                       "names must be unique in the inventory" % (name, other.get("group", "?")))
    errors_before = len(errors.items)
    lan = parse_lan(errors, site.get("exposure_lan"))
    lan_complete = len(errors.items) == errors_before
    nodes = parse_nodes(errors, site.get("nodes"), site.get("nodes_group"))
    reserved = parse_reserved(errors, site.get("exposure_reserved"))
    dhcp_backend, dhcp = parse_backend(errors, "exposure_dhcp", site.get("exposure_dhcp"), DHCP_BACKENDS)
    dhcp_ranges = _parse_specs(errors, "exposure_dhcp.dynamic_ranges", dhcp.get("dynamic_ranges") or [])
    ipam_backend, dummy = parse_backend(errors, "exposure_ipam", site.get("exposure_ipam"), IPAM_BACKENDS)
    pools_in = site.get("exposure_pools")
    pools = []
    if pools_in is None:
        errors.add("exposure_pools is not set; list the address pools of the load balancer")
    elif not isinstance(pools_in, list) or not pools_in:
        errors.add("exposure_pools must be a non-empty list of pools, got %r" % (pools_in,))
    else:
        pools = [p for p in (parse_pool(errors, i, pool, name) for i, pool in enumerate(pools_in)) if p]
        _check_duplicate_names(errors, pools)

    context = {
        "lan": lan, "nodes": nodes, "reserved": reserved, "dhcp_ranges": dhcp_ranges,
        "pools": pools, "other": parse_other_sites(other_sites), "lan_complete": lan_complete,
    }
    checks.run_checks(errors, context)
    if errors.items:
        raise SiteModelError(errors.items)

    plan = {
        "site": name,
        "group": site.get("group"),
        "nodes_group": site.get("nodes_group"),
        "lan": [{"subnet": "%s/%d" % (item["subnet"].first, item["prefixlen"]),
                 "gateway": str(item["gateway"]), "version": item["version"]} for item in lan],
        "nodes": [{"name": n["name"], "addresses": [str(a) for a in n["addresses"]]} for n in nodes],
        "pools": [_plan_pool(pool) for pool in pools],
        "reserved": [{"owner": r["owner"], "ranges": merge_ranges([x for dummy, x in r["ranges"]])}
                     for r in reserved],
        "dhcp": {"backend": dhcp_backend, "dynamic_ranges": merge_ranges([x for dummy, x in dhcp_ranges])},
        "ipam": {"backend": ipam_backend},
    }
    plan["report_markdown"] = report.render(plan)
    return plan


def _check_duplicate_names(errors, pools):
    seen = {}
    for pool in pools:
        name = pool["name"]
        if not isinstance(name, str) or not name:
            continue
        if name in seen:
            errors.add("exposure_pools[%d].name = %r is already the name of exposure_pools[%d]; "
                       "pool names must be unique in the site" % (pool["index"], name, seen[name]))
        else:
            seen[name] = pool["index"]


def _plan_pool(pool):
    ranges = merge_ranges([item for dummy, item in pool["specs"]])
    result = dict((key, pool[key]) for key in (
        "name", "announce", "purpose", "auto_assign", "avoid_buggy_ips", "namespaces",
        "namespace_selectors", "service_selectors", "priority", "bgp", "owner"))
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
