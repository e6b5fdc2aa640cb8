# -*- coding: utf-8 -*-
# Copyright (c) 2026, baremetal.exposure contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The frr_bgp resource: structured config <-> FRR configuration items.

Each FRR line the resource understands has a key `(owner, attribute)`: the owner is the thing
the line belongs to (a peer, a prefix-list, a route-map, the BGP instance's router-id, an
address family's maximum-paths), the attribute what the line sets about it. The states work on
these keys (see _router/frr_resource.py), so lines the resource does not model are kept as
they are. `render` and `parse` are each other's inverse for every modelled line.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.baremetal.exposure.plugins.module_utils._router.frr_text import parse_text

AFIS = ("ipv4", "ipv6")
_AF_HEADER = {"ipv4": "address-family ipv4 unicast", "ipv6": "address-family ipv6 unicast"}
_PL_KEYWORD = {"ipv4": "ip", "ipv6": "ipv6"}
_RE_BGP = re.compile(r"^router bgp (\d+)$")
_RE_AF = re.compile(r"^address-family (ipv4|ipv6) unicast$")
_RE_PL = re.compile(r"^(ip|ipv6) prefix-list (\S+) seq (\d+) (permit|deny) (\S+)"
                    r"(?: ge (\d+))?(?: le (\d+))?$")
_RE_RM = re.compile(r"^route-map (\S+) (permit|deny) (\d+)$")
_RE_NEIGHBOR = re.compile(r"^neighbor (\S+) (\S+)(?: (.*))?$")


def _is_address(name):
    return bool(re.match(r"^[0-9.]+$", name)) or ":" in name


# ---- keys -------------------------------------------------------------------------------

def line_key(context, line):
    """(owner, attribute) of a modelled line, or None for a line the resource leaves alone."""
    if not context:
        match = _RE_PL.match(line)
        if match:
            afi = "ipv4" if match.group(1) == "ip" else "ipv6"
            return ("prefix-list", afi, match.group(2)), match.group(3)
        match = _RE_RM.match(line)
        if match:
            return ("route-map", match.group(1)), match.group(3)
        return None
    match = _RE_RM.match(context[0])
    if match:
        return ("route-map", match.group(1)), match.group(3)
    if not _RE_BGP.match(context[0]):
        return None
    afi = None
    if len(context) > 1:
        af_match = _RE_AF.match(context[1])
        if not af_match:
            return None
        afi = af_match.group(1)
    if afi is None and line.startswith("bgp router-id "):
        return ("router-id",), None
    if afi is not None and line.startswith("maximum-paths ") and line.split()[1].isdigit():
        # eBGP multipath only; `maximum-paths ibgp N` is the router's own, not modelled.
        return ("maximum-paths", afi), None
    match = _RE_NEIGHBOR.match(line)
    if match:
        attribute = match.group(2)
        if attribute == "route-map":
            attribute += " " + (match.group(3) or "").split()[-1]
        return ("peer", match.group(1)), (afi, attribute)
    return None


# ---- render -----------------------------------------------------------------------------

def _peer_lines(name, peer, group_header):
    lines = []
    if group_header:
        lines.append("neighbor %s peer-group" % name)
    if peer.get("peer_group"):
        lines.append("neighbor %s peer-group %s" % (name, peer["peer_group"]))
    if peer.get("remote_as"):
        lines.append("neighbor %s remote-as %s" % (name, peer["remote_as"]))
    if peer.get("description"):
        lines.append("neighbor %s description %s" % (name, peer["description"]))
    if peer.get("password"):
        lines.append("neighbor %s password %s" % (name, peer["password"]))
    if peer.get("ebgp_multihop"):
        lines.append("neighbor %s ebgp-multihop %d" % (name, peer["ebgp_multihop"]))
    timers = peer.get("timers")
    if timers:
        lines.append("neighbor %s timers %d %d" % (name, timers["keepalive"], timers["holdtime"]))
    if peer.get("bfd"):
        lines.append("neighbor %s bfd" % name)
    return lines


def _peer_af_lines(name, af):
    lines = []
    if af.get("activate", True):
        lines.append("neighbor %s activate" % name)
    if af.get("soft_reconfiguration_inbound"):
        lines.append("neighbor %s soft-reconfiguration inbound" % name)
    limit = af.get("maximum_prefix")
    if limit:
        line = "neighbor %s maximum-prefix %d" % (name, limit["limit"])
        if limit.get("restart"):
            line += " restart %d" % limit["restart"]
        lines.append(line)
    for direction in ("in", "out"):
        if af.get("route_map_" + direction):
            lines.append("neighbor %s route-map %s %s" % (name, af["route_map_" + direction], direction))
    return lines


def _prefix_entry(prefix_list, entry):
    line = "%s prefix-list %s seq %d %s %s" % (
        _PL_KEYWORD[prefix_list.get("afi") or "ipv4"], prefix_list["name"], entry["seq"],
        entry.get("action") or "permit", entry["prefix"])
    if entry.get("ge"):
        line += " ge %d" % entry["ge"]
    if entry.get("le"):
        line += " le %d" % entry["le"]
    return line


def _route_map_body(entry):
    lines = []
    for afi in AFIS:
        name = entry.get("match_%s_prefix_list" % afi)
        if name:
            lines.append("match %s address prefix-list %s" % (_PL_KEYWORD[afi], name))
    if entry.get("set_community"):
        lines.append("set community %s" % " ".join(entry["set_community"]))
    if entry.get("set_large_community"):
        lines.append("set large-community %s" % " ".join(entry["set_large_community"]))
    if entry.get("set_local_preference") is not None:
        lines.append("set local-preference %d" % entry["set_local_preference"])
    return lines


def render(config):
    """The items (see frr_text) of a structured config, in FRR's order."""
    items = []
    if config.get("asn"):
        bgp = "router bgp %s" % config["asn"]
        context = (bgp,)
        items.append(((), bgp))
        if config.get("router_id"):
            items.append((context, "bgp router-id %s" % config["router_id"]))
        groups = config.get("peer_groups") or []
        neighbors = config.get("neighbors") or []
        for group in groups:
            items.extend((context, line) for line in _peer_lines(group["name"], group, True))
        for neighbor in neighbors:
            items.extend((context, line) for line in _peer_lines(neighbor["address"], neighbor, False))
        families = dict((af["afi"], af) for af in config.get("address_families") or [])
        for afi in AFIS:
            af_context = context + (_AF_HEADER[afi],)
            lines = []
            if families.get(afi, {}).get("maximum_paths"):
                lines.append("maximum-paths %d" % families[afi]["maximum_paths"])
            for peer in groups + neighbors:
                for af in peer.get("address_families") or []:
                    if af["afi"] == afi:
                        lines.extend(_peer_af_lines(peer.get("name") or peer["address"], af))
            if lines:
                items.append((context, _AF_HEADER[afi]))
                items.extend((af_context, line) for line in lines)
    for prefix_list in config.get("prefix_lists") or []:
        items.extend(((), _prefix_entry(prefix_list, entry)) for entry in prefix_list["entries"])
    for route_map in config.get("route_maps") or []:
        for entry in route_map["entries"]:
            header = "route-map %s %s %d" % (route_map["name"], entry.get("action") or "permit", entry["seq"])
            items.append(((), header))
            items.extend(((header,), line) for line in _route_map_body(entry))
    return items


# ---- parse ------------------------------------------------------------------------------

def _peer(config, name, groups):
    if name in groups:
        return groups[name]
    for neighbor in config["neighbors"]:
        if neighbor["address"] == name:
            return neighbor
    neighbor = {"address": name}
    config["neighbors"].append(neighbor)
    return neighbor


def _parse_neighbor(config, groups, afi, name, attribute, rest):
    if attribute == "peer-group" and not rest and not _is_address(name):
        groups[name] = {"name": name}
        config["peer_groups"].append(groups[name])
        return
    peer = _peer(config, name, groups)
    if afi is None:
        if attribute == "peer-group":
            peer["peer_group"] = rest
        elif attribute == "remote-as":
            peer["remote_as"] = rest
        elif attribute in ("description", "password"):
            peer[attribute] = rest
        elif attribute == "ebgp-multihop":
            peer["ebgp_multihop"] = int(rest or 255)
        elif attribute == "timers" and rest and len(rest.split()) == 2 \
                and all(word.isdigit() for word in rest.split()):
            # `timers KEEPALIVE HOLDTIME` only: `timers connect N` is not modelled.
            keepalive, holdtime = rest.split()
            peer["timers"] = {"keepalive": int(keepalive), "holdtime": int(holdtime)}
        elif attribute == "bfd" and not rest:
            peer["bfd"] = True
        return
    families = peer.setdefault("address_families", [])
    family = next((f for f in families if f["afi"] == afi), None)
    if family is None:
        family = {"afi": afi, "activate": False}
        families.append(family)
    if attribute == "activate":
        family["activate"] = True
    elif attribute == "soft-reconfiguration":
        family["soft_reconfiguration_inbound"] = True
    elif attribute == "maximum-prefix":
        words = rest.split()
        family["maximum_prefix"] = {"limit": int(words[0])}
        if "restart" in words:
            family["maximum_prefix"]["restart"] = int(words[words.index("restart") + 1])
    elif attribute.startswith("route-map "):
        family["route_map_" + attribute.split()[1]] = rest.split()[0]


def parse(text):
    """Structured config from FRR configuration text (modelled lines only)."""
    return parse_items(parse_text(text))


def parse_items(items):
    config = {"neighbors": [], "peer_groups": [], "address_families": [],
              "prefix_lists": [], "route_maps": []}
    groups = {}
    prefix_lists = {}
    route_maps = {}
    for context, line in items:
        bgp = _RE_BGP.match(line) if not context else None
        if bgp:
            config["asn"] = int(bgp.group(1))
        key = line_key(context, line)
        if key is None:
            continue
        owner, attribute = key
        kind = owner[0]
        if kind == "router-id":
            config["router_id"] = line.split()[-1]
        elif kind == "maximum-paths":
            config["address_families"].append({"afi": owner[1], "maximum_paths": int(line.split()[1])})
        elif kind == "peer":
            match = _RE_NEIGHBOR.match(line)
            _parse_neighbor(config, groups, attribute[0], match.group(1), attribute[1], match.group(3))
        elif kind == "prefix-list":
            _parse_prefix_entry(config, prefix_lists, owner, line)
        elif kind == "route-map":
            _parse_route_map(config, route_maps, owner, attribute, context, line)
    return dict((key, value) for key, value in config.items() if value not in ([], None))


def _parse_prefix_entry(config, prefix_lists, owner, line):
    match = _RE_PL.match(line)
    if owner not in prefix_lists:
        prefix_lists[owner] = {"name": owner[2], "afi": owner[1], "entries": []}
        config["prefix_lists"].append(prefix_lists[owner])
    entry = {"seq": int(match.group(3)), "action": match.group(4), "prefix": match.group(5)}
    if match.group(6):
        entry["ge"] = int(match.group(6))
    if match.group(7):
        entry["le"] = int(match.group(7))
    prefix_lists[owner]["entries"].append(entry)


def _parse_route_map(config, route_maps, owner, seq, context, line):
    name = owner[1]
    if name not in route_maps:
        route_maps[name] = {"name": name, "entries": []}
        config["route_maps"].append(route_maps[name])
    entries = route_maps[name]["entries"]
    entry = next((e for e in entries if e["seq"] == int(seq)), None)
    if entry is None:
        header = context[0] if context else line
        entry = {"seq": int(seq), "action": header.split()[2]}
        entries.append(entry)
    if not context:
        return
    words = line.split()
    if line.startswith("match ") and words[2:4] == ["address", "prefix-list"]:
        entry["match_%s_prefix_list" % ("ipv4" if words[1] == "ip" else "ipv6")] = words[4]
    elif line.startswith("set community "):
        entry["set_community"] = words[2:]
    elif line.startswith("set large-community "):
        entry["set_large_community"] = words[2:]
    elif line.startswith("set local-preference "):
        entry["set_local_preference"] = int(words[2])
