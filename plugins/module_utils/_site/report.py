# -*- coding: utf-8 -*-
# Copyright (c) 2026, baremetal.exposure contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The Markdown report of a site's address plan, the table pasted into a change request.

PRIVATE to this collection: no compatibility promise outside it. Input is the plan dict built
by ``_site_model.build_plan`` (strings only), so the report is deterministic.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.baremetal.exposure.plugins.module_utils._ranges import parse_range


def _range(item):
    if item["first"] == item["last"]:
        return item["first"]
    return "%s-%s" % (item["first"], item["last"])


def _cell(value):
    return str(value).replace("|", "\\|").replace("\n", " ")


def _table(header, rows):
    lines = ["| %s |" % " | ".join(header), "|%s" % ("---|" * len(header))]
    lines.extend("| %s |" % " | ".join(_cell(v) for v in row) for row in rows)
    return lines


def _key(item):
    # Rows come as ((version, first address as int), cells): IPv4 first, then by address.
    return item[0]


def render(plan):
    """The report of one plan as a Markdown string (ends with a newline)."""

    def order(item):
        first = parse_range(item["first"]).first
        return (item["version"], int(first))

    pool_rows = []
    for pool in plan["pools"]:
        for item in pool["ranges"]:
            pool_rows.append((order(item), [
                _range(item), item["size"], pool["name"], pool["announce"], pool["purpose"],
                pool["owner"]]))
    pool_rows.sort(key=_key)
    context_rows = []
    for item in plan["dhcp"]["dynamic_ranges"]:
        context_rows.append((order(item), [
            _range(item), item["size"], "DHCP dynamic range (%s)" % plan["dhcp"]["backend"]]))
    for subnet in plan["lan"]:
        context_rows.append(((subnet["version"], int(parse_range(subnet["gateway"]).first)), [
            subnet["gateway"], 1, "gateway of %s" % subnet["subnet"]]))
    for node in plan["nodes"]:
        for address in node["addresses"]:
            context_rows.append(((parse_range(address).version, int(parse_range(address).first)), [
                address, 1, "node %s" % node["name"]]))
    for entry in plan["reserved"]:
        for item in entry["ranges"]:
            context_rows.append((order(item), [_range(item), item["size"], "reserved: %s" % entry["owner"]]))
    context_rows.sort(key=_key)

    lines = ["## Site %s: load-balancer address pools" % plan["site"], ""]
    lines += _table(["Range", "Size", "Pool", "Announce", "Purpose", "Owner"], [r for dummy, r in pool_rows])
    lines += ["", "LAN: %s." % ", ".join(s["subnet"] for s in plan["lan"]), ""]
    lines += ["### Context: other addresses on the LAN", ""]
    lines += _table(["Address or range", "Size", "Used by"], [r for dummy, r in context_rows])
    return "\n".join(lines) + "\n"
