# -*- coding: utf-8 -*-
# Copyright (c) 2026, baremetal.exposure contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The pools of a site (exposure_pools) -> parsed pools and the plan's ``pools``.

PRIVATE to this collection: no compatibility promise outside it. The checks between a pool and
everything else on the LAN are in ``checks``; ``model.merge_ranges`` turns the specs into the
plan's ranges.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.baremetal.exposure.plugins.module_utils._site import fields as f

ANNOUNCE = ("layer2", "bgp")
POOL_KEYS = (
    "name", "addresses", "announce", "purpose", "auto_assign", "avoid_buggy_ips", "namespaces",
    "namespace_selectors", "service_selectors", "priority", "bgp", "owner",
)
BGP_KEYS = ("communities", "local_pref")
LOCAL_PREF_MAX = 4294967295
OWNER_MAX = 200  # the owner becomes the NetBox range's description (max 200)
PURPOSE_MAX = 100
STANDARD_COMMUNITY_RE = re.compile(r"^(\d+):(\d+)$")
LARGE_COMMUNITY_RE = re.compile(r"^(?:large:)?(\d+):(\d+):(\d+)$")
# The fields of a pool that are copied into the plan as parsed.
PLAN_KEYS = ("name", "announce", "purpose", "auto_assign", "avoid_buggy_ips", "namespaces",
             "namespace_selectors", "service_selectors", "priority", "bgp", "owner")


def _parse_bgp(errors, label, index, pool, announce):
    bgp = pool.get("bgp")
    settings = {"communities": [], "local_pref": None}
    if bgp is None or bgp == {}:
        return settings
    if not isinstance(bgp, dict):
        errors.add("%s: bgp must be a dict {communities, local_pref}, got %s" % (label, f.type_name(bgp)))
        return settings
    if announce != "bgp":
        errors.add("%s: bgp settings (exposure_pools[%d].bgp) only apply to announce: bgp, this "
                   "pool announces with %s; remove bgp or set announce: bgp" % (label, index, announce))
    f.unknown_keys(errors, "%s: bgp" % label, bgp, BGP_KEYS)
    communities = bgp.get("communities") or []
    if not isinstance(communities, list):
        errors.add("%s: bgp.communities must be a list, got %s" % (label, f.type_name(communities)))
        communities = []
    for index, community in enumerate(communities):
        if not _valid_community(community):
            errors.add(
                "%s: bgp.communities[%d] = %r is not a BGP community; use 'ASN:VALUE' with "
                "numbers 0-65535 (e.g. 65535:65282) or a large community 'large:A:B:C' with "
                "numbers 0-4294967295" % (label, index, community)
            )
    local_pref = bgp.get("local_pref")
    if local_pref is not None:
        local_pref = f.run(errors, f.integer(0, LOCAL_PREF_MAX), "%s: bgp.local_pref" % label,
                           local_pref)
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


def _check_list(errors, label, pool, key, element_type, what, check=None):
    value = pool.get(key)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, element_type) for v in value):
        errors.add("%s: %s must be a list of %s" % (label, key, what))
        return []
    if check is not None:
        return [f.run(errors, check, "%s: %s[%d]" % (label, key, i), v) for i, v in enumerate(value)]
    return value


def parse_pool(errors, index, pool, site_name):
    """One exposure_pools entry -> a pool dict with ``specs`` [(index, AddressRange)], or None."""
    if not isinstance(pool, dict):
        errors.add("exposure_pools[%d] must be a dict {name, addresses, announce, ...}, got %s"
                   % (index, f.type_name(pool)))
        return None
    name = pool.get("name")
    label = f.pool_label(index, name)
    f.check_name(errors, "exposure_pools[%d].name" % index, name, "pool")
    f.unknown_keys(errors, label, pool, POOL_KEYS)
    announce = pool.get("announce", "layer2")
    if announce not in ANNOUNCE:
        errors.add("%s: announce = %r is unknown; use layer2 or bgp" % (label, announce))
    flags = {}
    for key, default in (("auto_assign", True), ("avoid_buggy_ips", False)):
        flags[key] = f.run(errors, f.boolean, "%s: %s" % (label, key), pool.get(key, default), default)
    priority = pool.get("priority")
    if priority is not None:
        priority = f.run(errors, f.integer(-2147483648, 2147483647), "%s: priority" % label, priority)
    purpose = pool.get("purpose", "services")
    if not isinstance(purpose, str) or not purpose:
        errors.add("%s: purpose must be a non-empty text (ingress, services, other...)" % label)
    else:
        f.run(errors, f.text(PURPOSE_MAX), "%s: purpose" % label, purpose)
    owner = pool.get("owner")
    if owner is None:
        owner = "Kubernetes load balancer, site %s, pool %s" % (site_name, name)
    else:
        owner = f.run(errors, f.text(OWNER_MAX), "%s: owner" % label, owner, "?")
    addresses = pool.get("addresses")
    if addresses is None or addresses == []:
        errors.add("%s: addresses (exposure_pools[%d].addresses) is missing or empty; list CIDRs, "
                   "first-last ranges or addresses" % (label, index))
        specs = []
    else:
        specs = f.parse_specs(errors, "exposure_pools[%d].addresses" % index, addresses,
                              prefix="pool %r " % (name,))
    return dict(
        flags, index=index, name=name, announce=announce, purpose=purpose, priority=priority,
        namespaces=_check_list(errors, label, pool, "namespaces", str, "namespace names",
                               f.k8s_name),
        namespace_selectors=_check_list(errors, label, pool, "namespace_selectors", dict,
                                        "label selectors (dicts)"),
        service_selectors=_check_list(errors, label, pool, "service_selectors", dict,
                                      "label selectors (dicts)"),
        bgp=_parse_bgp(errors, label, index, pool, announce), owner=str(owner), specs=specs)


def parse_pools(errors, pools_in, site_name):
    """exposure_pools -> parsed pools (an error for every bad one)."""
    if pools_in is None:
        errors.add("exposure_pools is not set; list the address pools of the load balancer")
        return []
    if not isinstance(pools_in, list) or not pools_in:
        errors.add("exposure_pools must be a non-empty list of pools, got %r" % (pools_in,))
        return []
    pools = [p for p in (parse_pool(errors, i, pool, site_name) for i, pool in enumerate(pools_in)) if p]
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
    return pools
