# -*- coding: utf-8 -*-
# Copyright (c) 2026, baremetal.exposure contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The site model's checks between parsed things: a pool against everything else on the LAN.

PRIVATE to this collection: no compatibility promise outside it. Called by
``_site_model.build_plan`` with the parsed site; adds one error per conflict.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


def _text(first, last=None):
    if last is None or first == last:
        return str(first)
    return "%s-%s" % (first, last)


def _shared(first, last):
    return " (shared: %s)" % _text(first, last)


def _pool_spec(pool, spec_index, item):
    name = pool["name"] if isinstance(pool["name"], str) and pool["name"] else "?"
    return "pool %r (exposure_pools[%d].addresses[%d] = %s)" % (
        name, pool["index"], spec_index, item.spec)


def _pool_items(pools):
    for pool in pools:
        for spec_index, item in pool["specs"]:
            yield pool, spec_index, item


def _contains(item, address):
    return item.version == address.version and item.first <= address <= item.last


def check_pools_against_pools(errors, pools):
    items = list(_pool_items(pools))
    for pos, (pool_a, index_a, item_a) in enumerate(items):
        for pool_b, index_b, item_b in items[pos + 1:]:
            shared = item_a.overlap(item_b)
            if shared is None:
                continue
            if pool_a is pool_b and item_a.first == item_b.first and item_a.last == item_b.last:
                errors.add("%s is a duplicate of exposure_pools[%d].addresses[%d] = %s; remove one"
                           % (_pool_spec(pool_b, index_b, item_b), pool_a["index"], index_a,
                              item_a.spec))
            else:
                errors.add("%s overlaps %s%s" % (
                    _pool_spec(pool_b, index_b, item_b), _pool_spec(pool_a, index_a, item_a),
                    _shared(*shared)))


def check_pools_against_other_sites(errors, pools, others):
    for pool, spec_index, item in _pool_items(pools):
        for site, pool_name, spec, other in others:
            shared = item.overlap(other)
            if shared is not None:
                errors.add("%s overlaps pool %r of site %s (%s)%s; sites must not share addresses"
                           % (_pool_spec(pool, spec_index, item), pool_name, site, spec,
                              _shared(*shared)))


def check_pools_against_dhcp(errors, pools, dhcp_ranges):
    for pool, spec_index, item in _pool_items(pools):
        for dhcp_index, dhcp in dhcp_ranges:
            shared = item.overlap(dhcp)
            if shared is not None:
                errors.add(
                    "%s overlaps the DHCP dynamic range %s (exposure_dhcp.dynamic_ranges[%d])%s; "
                    "DHCP would hand these addresses to clients" % (
                        _pool_spec(pool, spec_index, item), _text(dhcp.first, dhcp.last),
                        dhcp_index, _shared(*shared)))


def check_pools_against_lan(errors, pools, lan, lan_complete=True):
    for pool, spec_index, item in _pool_items(pools):
        where = _pool_spec(pool, spec_index, item)
        for subnet in lan:
            net = subnet["subnet"]
            if subnet["gateway"] is not None and _contains(item, subnet["gateway"]):
                errors.add("%s contains the gateway %s (exposure_lan[%d].gateway)"
                           % (where, subnet["gateway"], subnet["index"]))
            if net.version == 4 and subnet["prefixlen"] < 31:
                for what, address in (("network", net.first), ("broadcast", net.last)):
                    if _contains(item, address):
                        errors.add("%s contains the %s address %s of the LAN %s (exposure_lan[%d].subnet)"
                                   % (where, what, address, net.spec, subnet["index"]))
        if pool["announce"] != "layer2" or not lan_complete:
            continue  # an unusable exposure_lan is reported already
        same_family = [s for s in lan if s["version"] == item.version]
        if not same_family:
            errors.add("%s is announced with layer2 but the site has no IPv%d LAN subnet "
                       "(exposure_lan); add one or announce this pool with bgp"
                       % (where, item.version))
        elif not any(s["subnet"].first <= item.first and item.last <= s["subnet"].last
                     for s in same_family):
            errors.add("%s is announced with layer2 but lies outside every IPv%d LAN subnet (%s, "
                       "exposure_lan); layer-2 announcements only reach the LAN: use an address "
                       "inside the subnet or announce: bgp" % (
                           where, item.version, ", ".join(s["subnet"].spec for s in same_family)))


def check_pools_against_hosts(errors, pools, nodes, reserved):
    for pool, spec_index, item in _pool_items(pools):
        where = _pool_spec(pool, spec_index, item)
        for node in nodes:
            for address in node["addresses"]:
                if _contains(item, address):
                    errors.add("%s contains the address %s of node %s" % (where, address, node["name"]))
        for entry in reserved:
            for r_index, other in entry["ranges"]:
                shared = item.overlap(other)
                if shared is not None:
                    errors.add("%s overlaps the reserved %s of %r (exposure_reserved[%d].addresses[%d])%s"
                               % (where, _text(other.first, other.last), entry["owner"],
                                  entry["index"], r_index, _shared(*shared)))


def check_nodes(errors, nodes, lan):
    for node in nodes:
        if len(node["addresses"]) < node["given"]:
            continue  # a bad address was already reported
        if lan and not any(s["subnet"].first <= a <= s["subnet"].last and s["version"] == a.version
                           for a in node["addresses"] for s in lan):
            errors.add("node %s (%s) has no address on any LAN subnet (%s, exposure_lan); set "
                       "exposure_node_addresses or ansible_host to its LAN address" % (
                           node["name"], ", ".join(str(a) for a in node["addresses"]),
                           ", ".join(s["subnet"].spec for s in lan)))


def check_lan(errors, lan):
    for pos, subnet_a in enumerate(lan):
        for subnet_b in lan[pos + 1:]:
            if subnet_a["subnet"].overlap(subnet_b["subnet"]) is not None:
                errors.add("exposure_lan[%d].subnet = %s overlaps exposure_lan[%d].subnet = %s"
                           % (subnet_b["index"], subnet_b["subnet"].spec, subnet_a["index"],
                              subnet_a["subnet"].spec))


def run_checks(errors, context):
    """Every check between parsed things; ``context`` comes from build_plan."""
    check_lan(errors, context["lan"])
    check_nodes(errors, context["nodes"], context["lan"])
    pools = context["pools"]
    check_pools_against_pools(errors, pools)
    check_pools_against_other_sites(errors, pools, context["other"])
    check_pools_against_dhcp(errors, pools, context["dhcp_ranges"])
    check_pools_against_lan(errors, pools, context["lan"], context["lan_complete"])
    check_pools_against_hosts(errors, pools, context["nodes"], context["reserved"])
