# -*- coding: utf-8 -*-
# Copyright (c) 2026, baremetal.exposure contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The BGP side of a site (exposure_bgp and the site's routers) -> ``exposure_plan.bgp``.

PRIVATE to this collection: no compatibility promise outside it.

Read by the router stage (router_bgp) and the speaker's BGPPeers, so every value is checked
against FRR 8.4's ranges here, in the preflight, before NetBox or DHCP are changed (an AS
number of 4294967296 used to pass the preflight and fail in the router stage). The password
is checked (FRR's limits: 1-80 printable ASCII characters without spaces) but the plan only
says ``password_set``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.baremetal.exposure.plugins.module_utils import _text
from ansible_collections.baremetal.exposure.plugins.module_utils._router import frr_validate
from ansible_collections.baremetal.exposure.plugins.module_utils._site import fields as f

# router_bgp names its prefix-lists "EXPOSURE-<SITE>-<pool>-IPV4"; FRR takes 128 characters.
PREFIX_LIST_NAME = "EXPOSURE-%s-%s-IPV6"


def _hold_time(where, value):
    return f.integer(3, 65535, also=(0,))(where, value)


TABLE = dict(
    router_asn=(f.asn, None), cluster_asn=(f.asn, None), bfd=(f.boolean, False),
    password=(f.raw, None), password_required=(f.boolean, False),
    keepalive=(f.integer(0, 65535), 3), hold_time=(_hold_time, 9),
    ebgp_multihop=(f.integer(0, 255), 0), maximum_prefix=(f.integer(1, f.ASN_MAX), 100),
    maximum_prefix_restart=(f.integer(0, 65535), 1), maximum_paths=(f.integer(1, 256), 8),
)


def parse_bgp(errors, value, password, pools, routers, nodes, site_name):
    """exposure_bgp + routers -> the plan's ``bgp`` (None when the site has no BGP pool and no
    exposure_bgp). ``pools``: parsed pools; ``routers``: [{name, addresses, router_id}]."""
    bgp_pools = [p for p in pools if p["announce"] == "bgp"]
    if value is None and not bgp_pools:
        return None
    if value is None:
        errors.add("pool %r (exposure_pools[%d]) announces with bgp but exposure_bgp is not set; "
                   "set exposure_bgp.router_asn and exposure_bgp.cluster_asn"
                   % (bgp_pools[0]["name"], bgp_pools[0]["index"]))
        return None
    settings = f.section(errors, "exposure_bgp", value, TABLE)
    if settings is None:
        return None
    for key in ("router_asn", "cluster_asn"):
        if value.get(key) is None:
            errors.add("exposure_bgp.%s is not set; give the %s AS number (1-4294967295)"
                       % (key, "router's" if key == "router_asn" else "cluster's (every node's)"))
    if settings["hold_time"] and settings["keepalive"] > settings["hold_time"] // 3:
        # FRR keeps min(keepalive, hold time / 3) (bgpd.c peer_timers_set).
        errors.add("exposure_bgp.keepalive = %s must be at most a third of exposure_bgp.hold_time "
                   "(%d)" % (settings["keepalive"], settings["hold_time"] // 3))
    password = password or settings.pop("password")  # the variable, when not split off
    settings.pop("password", None)
    settings["password_set"] = bool(password)
    if password:
        f.run(errors, lambda where, v: _text.secret(where, v, 1, frr_validate.PASSWORD_MAX, True),
              "exposure_bgp.password", password)
    elif settings["password_required"]:
        errors.add("exposure_bgp.password is not set but exposure_bgp.password_required is true; "
                   "set it (from a vault)")
    for pool in bgp_pools:
        name = PREFIX_LIST_NAME % (str(site_name).upper(), pool["name"])
        if isinstance(pool["name"], str) and len(name) > frr_validate.NAME_MAX:
            errors.add("pool %r (exposure_pools[%d]): the router's prefix-list name %s would have "
                       "%d characters, FRR takes %d; use a shorter site or pool name"
                       % (pool["name"], pool["index"], name, len(name), frr_validate.NAME_MAX))
    settings["routers"] = _routers(errors, routers, nodes, bool(bgp_pools))
    return settings


def _routers(errors, routers, nodes, needed):
    """The site's routers (hosts of its routers group): addresses and the BGP router-id."""
    if needed and not routers:
        errors.add("the site has BGP pools but no router: put the router in the group "
                   "<site group>_routers (its ansible_host or exposure_router_addresses is where "
                   "the nodes peer)")
    node_addresses = set(str(a) for node in nodes for a in node["addresses"])
    result = []
    for router in routers or []:
        name = router.get("name")
        where = "router %s" % name
        addresses = router.get("addresses")
        if isinstance(addresses, str):
            addresses = [addresses]
        if not isinstance(addresses, list) or not addresses:
            errors.add("%s has no address; set exposure_router_addresses or ansible_host" % where)
            continue
        parsed = [f.run(errors, _address, "%s: exposure_router_addresses[%d]" % (where, i), a)
                  for i, a in enumerate(addresses)]
        parsed = [a for a in parsed if a]
        clash = [a for a in parsed if a in node_addresses]
        for address in clash:
            errors.add("%s: address %s is also the address of a node" % (where, address))
        router_id = router.get("router_id")
        if router_id is not None:
            router_id = f.run(errors, _ipv4, "%s: router_bgp_router_id" % where, router_id)
            if router_id in node_addresses:
                errors.add("%s: router_bgp_router_id = %s is the address of a node; the router-id "
                           "must be unique" % (where, router_id))
        elif len(parsed) == len(addresses) and not clash:
            router_id = next((a for a in parsed if ":" not in a), None)
            if router_id is None:
                errors.add("%s has no IPv4 address for its BGP router-id; set router_bgp_router_id "
                           "on the host" % where)
        result.append({"name": name, "addresses": parsed, "router_id": router_id})
    return result


def _address(where, value):
    try:
        frr_validate.check_address(where, value)
    except _text.TextError as exc:
        raise f.FieldError(str(exc)) from exc
    return value


def _ipv4(where, value):
    try:
        frr_validate.check_address(where, value, (4,))
    except _text.TextError as exc:
        raise f.FieldError(str(exc)) from exc
    return value
