# -*- coding: utf-8 -*-
# Copyright (c) 2026, baremetal.exposure contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What the site router says, from FRR's JSON (``vtysh -c '... json'``).

PRIVATE to this collection: no compatibility promise outside it.

* ``show ip route <vip>/32 json`` (``show ipv6 route <vip>/128 json``): ``{prefix: [route]}``,
  ``{}`` when the router has no such route. A route has ``protocol``, ``selected``,
  ``installed`` and ``nexthops`` (each with ``ip``, ``active``, ``fib``).
* ``show bgp summary json``: ``{afi: {peers: {address: {state, pfxRcd, remoteAs}}}}``, or the
  same one level down per VRF.

Both accept the text vtysh printed or the parsed dict; text that is not JSON (FRR down, vtysh
refused) is an error the caller reports.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json


class RouterOutputError(ValueError):
    """vtysh printed something that is not the JSON asked for."""


def _parse(output, what):
    if isinstance(output, dict):
        return output
    text = (output or "").strip()
    if not text:
        return {}
    try:
        data = json.loads(text)
    except ValueError:
        raise RouterOutputError("%s: vtysh did not print JSON: %s" % (what, text[:200])) from None
    if not isinstance(data, dict):
        raise RouterOutputError("%s: expected a JSON object, got %s" % (what, type(data).__name__))
    return data


def host_prefix(address):
    """``198.51.100.5`` -> ``198.51.100.5/32``, an IPv6 address -> ``/128``."""
    return "%s/%d" % (address, 128 if ":" in str(address) else 32)


def route_command(address):
    return "show %s route %s json" % ("ipv6" if ":" in str(address) else "ip", host_prefix(address))


def route(output, address):
    """``{present, installed, protocol, next_hops}`` for the host route of ``address``.

    ``next_hops`` are the active next hops' addresses of the selected route, sorted.
    """
    data = _parse(output, route_command(address))
    routes = data.get(host_prefix(address)) or []
    if not routes:
        return {"present": False, "installed": False, "protocol": None, "next_hops": []}
    chosen = next((r for r in routes if r.get("selected")), routes[0])
    hops = sorted(set(str(hop["ip"]) for hop in chosen.get("nexthops") or []
                      if hop.get("ip") and hop.get("active", True)))
    return {"present": True, "installed": bool(chosen.get("installed")),
            "protocol": chosen.get("protocol"), "next_hops": hops}


def _afi_blocks(data):
    """The ``{peers: ...}`` blocks of a summary, whether or not it is keyed by VRF."""
    for value in data.values():
        if isinstance(value, dict) and isinstance(value.get("peers"), dict):
            yield value
        elif isinstance(value, dict):
            for inner in value.values():
                if isinstance(inner, dict) and isinstance(inner.get("peers"), dict):
                    yield inner


def sessions(output):
    """``{peer address: {state, prefixes, remote_as}}`` from ``show bgp summary json``; a peer in
    several address families is one entry (prefixes summed)."""
    found = {}
    for block in _afi_blocks(_parse(output, "show bgp summary json")):
        for address, peer in sorted(block["peers"].items()):
            entry = found.setdefault(address, {"state": peer.get("state") or "unknown",
                                               "prefixes": 0, "remote_as": peer.get("remoteAs")})
            received = peer.get("pfxRcd", peer.get("acceptedPrefixCounter", 0))
            entry["prefixes"] += int(received or 0)
            if peer.get("state") and peer.get("state") != "Established":
                entry["state"] = peer["state"]
    return found
