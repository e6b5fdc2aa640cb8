# -*- coding: utf-8 -*-
# Copyright (c) 2026, baremetal.exposure contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The per-site summary that ends the verify stage: each pool with its used and free counts,
the VIPs in use with their Services and the node(s) announcing them, the router's BGP sessions.

PRIVATE to this collection: no compatibility promise outside it.

Used and free come from the IPAddressPool status our controller writes (assignedIPv4/v6,
availableIPv4/v6); a pool without status (no controller yet, another implementation) is
counted from the Services instead and marked so. Only VIPs inside the site's pools are listed:
another site sharing the cluster lists its own.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress

from ansible_collections.baremetal.exposure.plugins.module_utils._verify import facts as F
from ansible_collections.baremetal.exposure.plugins.module_utils._verify import router as R


def _sort_key(address):
    value = ipaddress.ip_address(address)
    return (value.version, int(value))


def summarize(plan, pool_objects=(), services=(), l2_statuses=(), routes=(), bgp_sessions=(),
              kube_nodes=()):
    """``{site, pools, vips, sessions, lines, markdown}`` (see the module lb_summary)."""
    site = plan.get("site", "?")
    pools = plan.get("pools") or []
    nodes = F.node_table(plan.get("nodes"), kube_nodes)
    by_address = dict((a, n["name"]) for n in nodes for a in n["addresses"])
    objects = dict((F._get(o, "metadata", "name"), o) for o in pool_objects or [])

    vips = {}
    for svc in services or []:
        if F._get(svc, "spec", "type") != "LoadBalancer":
            continue
        for address in F.ingress_ips(svc):
            pool = F.pool_of(address, pools)
            if pool is None:
                continue
            entry = vips.setdefault(address, {"ip": address, "pool": pool["name"],
                                              "announce": pool.get("announce", "layer2"),
                                              "services": [], "announced_by": [], "via": None})
            entry["services"].append(F.service_key(svc))
            if entry["announce"] != "bgp":
                owner = F.l2_owner(l2_statuses, svc)
                if owner and owner["node"] not in entry["announced_by"]:
                    entry["announced_by"].append(owner["node"])
                    entry["via"] = "layer 2, ServiceL2Status"
    for item in routes or []:
        entry = vips.get(str(F.ip(item.get("address")) or item.get("address")))
        if entry is None:
            continue
        try:
            route = R.route(item.get("output"), entry["ip"])
        except R.RouterOutputError as exc:
            entry["via"] = "router %s: %s" % (item.get("router"), exc)
            continue
        entry["announced_by"] = [by_address.get(h, h) for h in route["next_hops"]]
        entry["via"] = "BGP via %s%s" % (item.get("router"), "" if route["present"] else ": no route")

    pool_rows = []
    for pool in pools:
        used_here = sorted((v["ip"] for v in vips.values() if v["pool"] == pool["name"]), key=_sort_key)
        usage = F.pool_usage(objects.get(pool["name"]))
        counted = usage is None
        if counted:
            usage = {"used": len(used_here), "free": max(int(pool.get("size") or 0) - len(used_here), 0)}
        pool_rows.append({"name": pool["name"], "announce": pool.get("announce", "layer2"),
                          "size": pool.get("size"), "used": usage["used"], "free": usage["free"],
                          "counted": counted, "in_cluster": pool["name"] in objects, "vips": used_here})

    session_rows = []
    for item in bgp_sessions or []:
        try:
            peers = R.sessions(item.get("output"))
        except R.RouterOutputError as exc:
            session_rows.append({"router": item.get("router"), "peer": None, "node": None,
                                 "state": "unknown: %s" % exc, "prefixes": None})
            continue
        for address, peer in sorted(peers.items()):
            session_rows.append({"router": item.get("router"), "peer": address,
                                 "node": by_address.get(address), "state": peer["state"],
                                 "prefixes": peer["prefixes"]})

    vip_rows = [vips[k] for k in sorted(vips, key=_sort_key)]
    lines = _lines(site, pool_rows, vip_rows, session_rows)
    return {"site": site, "pools": pool_rows, "vips": vip_rows, "sessions": session_rows,
            "lines": lines, "markdown": "\n".join(lines) + "\n"}


def _lines(site, pools, vips, sessions):
    lines = ["## Site %s: load balancer" % site, "",
             "| Pool | Announce | Used | Free | VIPs in use |", "|---|---|---|---|---|"]
    for row in pools:
        note = ""
        if not row["in_cluster"]:
            note = " (no IPAddressPool in the cluster; counted from the Services)"
        elif row["counted"]:
            note = " (the pool has no status; counted from the Services)"
        lines.append("| %s | %s | %d | %d%s | %s |" % (
            row["name"], row["announce"], row["used"], row["free"], note, ", ".join(row["vips"]) or "-"))
    lines += ["", "| VIP | Services | Pool | Announced by |", "|---|---|---|---|"]
    for row in vips:
        lines.append("| %s | %s | %s | %s |" % (
            row["ip"], ", ".join(row["services"]), row["pool"],
            ("%s (%s)" % (", ".join(row["announced_by"]), row["via"])) if row["announced_by"]
            else ("nobody" + (" (%s)" % row["via"] if row["via"] else ""))))
    if not vips:
        lines.append("| - | no Service holds an address of these pools | | |")
    if sessions:
        lines += ["", "| Router | BGP peer | Node | State | Prefixes |", "|---|---|---|---|---|"]
        for row in sessions:
            lines.append("| %s | %s | %s | %s | %s |" % (
                row["router"], row["peer"] or "-", row["node"] or "-", row["state"],
                "-" if row["prefixes"] is None else row["prefixes"]))
    return lines
