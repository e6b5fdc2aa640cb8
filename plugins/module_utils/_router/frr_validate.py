# -*- coding: utf-8 -*-
# Copyright (c) 2026, baremetal.exposure contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Every value of a frr_bgp config checked against what FRR 8.4 accepts, before rendering.

Each value becomes part of an FRR configuration line, and FRR splits a line into words at
whitespace (lib/command.c, cmd_make_strvec): a newline in a description would start a new
command, a space in a name or password would shift the words. So every string is checked
against FRR's own rules, and every error names the option (``config.neighbors[1].description``):

- names (peer groups, prefix-lists, route-maps): one word, starting with a letter, then letters,
  digits, ``_``, ``.``, ``-``; at most 128 characters (yang/frr-filter.yang access-list-name);
- descriptions: printable ASCII on one line, at most 80 characters (bgp_vty.c "Up to 80
  characters"), single spaces only (FRR joins the words with one space, so anything else would
  read back differently and show a change on every run);
- passwords: 1-80 characters (bgpd.h PEER_PASSWORD_MINLEN/MAXLEN, the TCP MD5 key length), one
  word of printable ASCII (bgp_vty.c "password LINE" takes one word). Never shown in a message;
- numbers: the ranges of the FRR commands (see each check).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import re

from ansible_collections.baremetal.exposure.plugins.module_utils import _text
from ansible_collections.baremetal.exposure.plugins.module_utils._router.base import RouterError

NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]*$")
NAME_MAX = 128
NAME_RULE = "one word of letters, digits, '_', '.' and '-' starting with a letter"
DESCRIPTION_MAX = 80
PASSWORD_MAX = 80
U32 = 4294967295
# Community names FRR reads besides AA:NN (lib/community.c, community_str2com).
WELL_KNOWN_COMMUNITIES = frozenset([
    "internet", "local-AS", "no-advertise", "no-export", "graceful-shutdown", "accept-own",
    "accept-own-nexthop", "route-filter-translated-v4", "route-filter-v4",
    "route-filter-translated-v6", "route-filter-v6", "llgr-stale", "no-llgr", "blackhole",
    "no-peer", "additive", "none",
])
# (option, lowest, highest) of the integers, from the FRR commands that take them.
PEER_INTEGERS = (("ebgp_multihop", 1, 255),)
TIMER_RANGE = (0, 65535)


class _Check:
    """Collects every problem of a config, each naming its option."""

    def __init__(self):
        self.errors = []

    def add(self, message):
        self.errors.append(message)

    def run(self, func, *args):
        try:
            return func(*args)
        except (_text.TextError, ValueError) as exc:
            self.add(str(exc))
            return None

    def name(self, where, value):
        if value is not None:
            self.run(_text.name, where, value, NAME_RE, NAME_MAX, NAME_RULE)

    def integer(self, where, value, lowest, highest):
        if value is not None and not lowest <= value <= highest:
            self.add("%s = %s must be from %d to %d" % (where, value, lowest, highest))


def _description(where, value):
    _text.text(where, value, DESCRIPTION_MAX, ascii_only=True)
    if value != value.strip() or "  " in value:
        raise _text.TextError("%s = %s has leading, trailing or repeated spaces, which FRR would "
                              "not keep; use single spaces between words" % (where, _text.shown(value)))


def _remote_as(where, value):
    if value in ("internal", "external"):
        return
    if not (isinstance(value, str) and value.isdigit() and 1 <= int(value) <= U32):
        raise _text.TextError("%s = %s must be an AS number (1-%d), internal or external"
                              % (where, _text.shown(value), U32))


def check_address(where, value, versions=(4, 6)):
    try:
        address = ipaddress.ip_address("%s" % value)
    except ValueError:
        address = None
    if address is None or address.version not in versions or str(address) != value:
        raise _text.TextError("%s = %s must be an IPv%s address in its short form"
                              % (where, _text.shown(value), " or IPv".join(str(v) for v in versions)))


def _peer(check, where, peer):
    if peer.get("description") is not None:
        check.run(_description, where + ".description", peer["description"])
    if peer.get("password") is not None:
        check.run(_text.secret, where + ".password", peer["password"], 1, PASSWORD_MAX, True)
    if peer.get("remote_as") is not None:
        check.run(_remote_as, where + ".remote_as", peer["remote_as"])
    check.name(where + ".peer_group", peer.get("peer_group"))
    for key, lowest, highest in PEER_INTEGERS:
        check.integer("%s.%s" % (where, key), peer.get(key), lowest, highest)
    timers = peer.get("timers")
    if timers:
        check.integer(where + ".timers.keepalive", timers["keepalive"], *TIMER_RANGE)
        check.integer(where + ".timers.holdtime", timers["holdtime"], *TIMER_RANGE)
        if 0 < timers["holdtime"] < 3:
            check.add("%s.timers.holdtime = %d must be 0 or at least 3" % (where, timers["holdtime"]))
        elif timers["holdtime"] and timers["keepalive"] > timers["holdtime"] // 3:
            # bgpd.c peer_timers_set keeps min(keepalive, holdtime / 3): anything larger would
            # read back differently and show a change on every run.
            check.add("%s.timers.keepalive = %d must be at most a third of the hold time (%d)"
                      % (where, timers["keepalive"], timers["holdtime"] // 3))
    for index, family in enumerate(peer.get("address_families") or []):
        here = "%s.address_families[%d]" % (where, index)
        check.name(here + ".route_map_in", family.get("route_map_in"))
        check.name(here + ".route_map_out", family.get("route_map_out"))
        limit = family.get("maximum_prefix")
        if limit:
            check.integer(here + ".maximum_prefix.limit", limit["limit"], 1, U32)
            check.integer(here + ".maximum_prefix.restart", limit.get("restart"), 1, 65535)


def _prefix(where, value, afi):
    """The prefix length of a prefix-list entry's prefix (0 for any)."""
    if value == "any":
        return 0
    width = 32 if afi == "ipv4" else 128
    try:
        network = ipaddress.ip_network("%s" % value, strict=True)
    except ValueError:
        network = None
    if network is None or network.max_prefixlen != width or str(network) != value:
        raise _text.TextError("%s = %s must be an %s prefix (address/length, host bits zero) or "
                              "any" % (where, _text.shown(value), afi))
    return network.prefixlen


def _prefix_entry(check, where, entry, afi):
    check.integer(where + ".seq", entry["seq"], 1, U32)
    length = check.run(_prefix, where + ".prefix", entry["prefix"], afi)
    width = 32 if afi == "ipv4" else 128
    for key in ("ge", "le"):
        check.integer("%s.%s" % (where, key), entry.get(key), 0, width)
    ge, le = entry.get("ge"), entry.get("le")
    if length is None:
        return
    # lib/filter_nb.c prefix_list_length_validate: mask length <= ge <= le.
    if (ge is not None and ge < length) or (le is not None and le < length) or (
            ge is not None and le is not None and le < ge):
        check.add("%s: FRR needs mask length <= ge <= le (prefix /%d, ge %s, le %s)"
                  % (where, length, ge, le))


def _community(where, value, large):
    parts = value.split(":") if isinstance(value, str) else []
    highest = U32 if large else 65535
    if len(parts) == (3 if large else 2) and all(p.isdigit() and int(p) <= highest for p in parts):
        return
    if not large and value in WELL_KNOWN_COMMUNITIES:
        return
    raise _text.TextError("%s = %s must be %s" % (where, _text.shown(value), (
        "a large community A:B:C (numbers 0-%d)" % U32) if large else (
        "a community AA:NN (numbers 0-65535) or a well-known community name")))


def _route_map_entry(check, where, entry):
    check.integer(where + ".seq", entry["seq"], 1, 65535)
    for afi in ("ipv4", "ipv6"):
        check.name("%s.match_%s_prefix_list" % (where, afi), entry.get("match_%s_prefix_list" % afi))
    for key, large in (("set_community", False), ("set_large_community", True)):
        for index, value in enumerate(entry.get(key) or []):
            check.run(_community, "%s.%s[%d]" % (where, key, index), value, large)
    check.integer(where + ".set_local_preference", entry.get("set_local_preference"), 0, U32)


def validate(config, where="config"):
    """Raise RouterError listing every value FRR would not take as given (all at once)."""
    check = _Check()
    check.integer(where + ".asn", config.get("asn"), 1, U32)
    if config.get("router_id") is not None:
        check.run(check_address, where + ".router_id", config["router_id"], (4,))
    for index, group in enumerate(config.get("peer_groups") or []):
        here = "%s.peer_groups[%d]" % (where, index)
        check.name(here + ".name", group["name"])
        _peer(check, here, group)
    for index, neighbor in enumerate(config.get("neighbors") or []):
        here = "%s.neighbors[%d]" % (where, index)
        check.run(check_address, here + ".address", neighbor["address"])
        _peer(check, here, neighbor)
    for index, family in enumerate(config.get("address_families") or []):
        # maximum-paths (1-MULTIPATH_NUM): 256 in Debian's build (debian/rules), 16 by default.
        check.integer("%s.address_families[%d].maximum_paths" % (where, index),
                      family.get("maximum_paths"), 1, 256)
    for index, prefix_list in enumerate(config.get("prefix_lists") or []):
        here = "%s.prefix_lists[%d]" % (where, index)
        check.name(here + ".name", prefix_list["name"])
        for e_index, entry in enumerate(prefix_list.get("entries") or []):
            _prefix_entry(check, "%s.entries[%d]" % (here, e_index), entry,
                          prefix_list.get("afi") or "ipv4")
    for index, route_map in enumerate(config.get("route_maps") or []):
        here = "%s.route_maps[%d]" % (where, index)
        check.name(here + ".name", route_map["name"])
        for e_index, entry in enumerate(route_map.get("entries") or []):
            _route_map_entry(check, "%s.entries[%d]" % (here, e_index), entry)
    if check.errors:
        raise RouterError("FRR would not take this configuration as given (nothing was changed):\n%s"
                          % "\n".join(check.errors))
