# -*- coding: utf-8 -*-
# Copyright (c) 2026, baremetal.exposure contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Kea backend: the pools of a Kea DHCP server through kea-ctrl-agent's HTTP API.

PRIVATE to this collection: no compatibility promise outside it.

Kea cannot exclude addresses from a pool, so the pools that overlap a VIP range are split or
shrunk around it. Only the ``pools`` of the affected subnets change; config-get returns the
whole configuration with defaults filled in, and config-set gets it back with only those pools
replaced. Host reservations are never touched.

config-set replaces the whole configuration, so a change someone made after our config-get
would be lost. Right before config-set the configuration is read again (its ``hash`` through
config-hash-get when the server offers one, Kea 2.4+; the whole configuration otherwise, Kea
2.2) and compared with what was planned from; on a difference nothing is written and the
runner starts over (base.ConcurrentChange). Kea has no conditional config-set: a write landing
in the milliseconds between that check and config-set cannot be detected.

What the module returns or writes never holds a credential of the configuration (database,
hook or TSIG secrets): ``backup`` is only the pools, the backup file (0600) is masked.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import json
import time

from ansible_collections.baremetal.exposure.plugins.module_utils._ranges import (
    RangeError,
    parse_range,
)
from ansible_collections.baremetal.exposure.plugins.module_utils._reservation.base import (
    Backend,
    ConcurrentChange,
    ReservationError,
    overlaps,
    subtract,
    write_private,
)
from ansible_collections.baremetal.exposure.plugins.module_utils._text import masked

FAMILY = {
    "dhcp4": {"root": "Dhcp4", "subnets": "subnet4", "leases": "lease4-get-all", "version": 4},
    "dhcp6": {"root": "Dhcp6", "subnets": "subnet6", "leases": "lease6-get-all", "version": 6},
}


def _pool_range(pool, where):
    spec = str(pool.get("pool", "")).replace(" ", "")
    try:
        return parse_range(spec)
    except RangeError as exc:
        raise ReservationError("%s: Kea pool %r cannot be read: %s" % (where, pool.get("pool"), exc)) from exc


def _subnets(conf, family):
    """Every subnet dict of the service config, top level and inside shared networks."""
    found = list(conf.get(family["subnets"], []))
    for network in conf.get("shared-networks", []):
        found.extend(network.get(family["subnets"], []))
    return found


def _subnet_name(subnet):
    return "subnet %s (id %s)" % (subnet.get("subnet"), subnet.get("id"))


def plan_pools(pools, exclude, where="subnet"):
    """The pools of one subnet without ``exclude``: untouched pools stay as they are (same
    dict, same notation), overlapping ones are split or shrunk, each piece keeping the pool's
    other keys (options, client class)."""
    result = []
    for pool in pools:
        rng = _pool_range(pool, where)
        pieces = subtract(rng.first, rng.last, exclude)
        if pieces == [(rng.first, rng.last)]:
            result.append(pool)
            continue
        for first, last in pieces:
            piece = copy.deepcopy(pool)
            piece["pool"] = "%s-%s" % (first, last)
            result.append(piece)
    return result


class KeaBackend(Backend):
    name = "kea"

    def __init__(self, client, config_file=None, backup_dir=None):
        self.client = client
        self.family = FAMILY[client.service]
        self.config_file = config_file
        self.backup_dir = backup_dir

    def read(self):
        arguments = self.client.command("config-get").get("arguments") or {}
        if self.family["root"] not in arguments:
            raise ReservationError("Kea config-get at %s returned no %s section"
                                   % (self.client.url, self.family["root"]))
        return arguments

    def plan(self, state, exclude):
        desired = _without_hash(copy.deepcopy(state))
        desired[self.family["root"]].pop("hash", None)
        for subnet in _subnets(desired[self.family["root"]], self.family):
            pools = subnet.get("pools", [])
            subnet["pools"] = plan_pools(pools, exclude, _subnet_name(subnet))
        return desired

    def pools_text(self, state):
        lines = []
        for subnet in _subnets(state[self.family["root"]], self.family):
            for pool in subnet.get("pools", []):
                lines.append("%s: pool %s" % (_subnet_name(subnet), pool.get("pool")))
        return lines

    def conflicts(self, state, exclude):
        answer = self.client.command(self.family["leases"], accept=(0, 2, 3))
        if answer.get("result") == 2:
            raise ReservationError(
                "Kea at %s cannot list leases (%s: %s): load the lease_cmds hook "
                "(libdhcp_lease_cmds.so) or set ignore_existing_leases=true"
                % (self.client.url, self.family["leases"], answer.get("text"))
            )
        leases = (answer.get("arguments") or {}).get("leases", [])
        found = []
        for lease in leases:
            if lease.get("state", 0) != 0:
                continue
            ip = parse_range(lease["ip-address"]).first
            if overlaps(ip, exclude):
                found.append({"ip": lease["ip-address"], "hw_address": lease.get("hw-address"),
                              "hostname": lease.get("hostname") or "",
                              "subnet_id": lease.get("subnet-id")})
        return found

    def managed(self, state):
        """Only what the module manages: every subnet's pools (``backup`` in the result)."""
        return [{"id": subnet.get("id"), "subnet": subnet.get("subnet"),
                 "pools": masked(subnet.get("pools", []))}
                for subnet in _subnets(state[self.family["root"]], self.family)]

    def unchanged_since(self, state):
        """Raise ConcurrentChange when Kea no longer runs the configuration read as ``state``."""
        if state.get("hash"):
            current = (self.client.command("config-hash-get").get("arguments") or {}).get("hash")
            same = current == state["hash"]
        else:
            same = _without_hash(self.read()) == _without_hash(state)
        if not same:
            raise ConcurrentChange(
                "Kea's configuration at %s changed after it was read (another run or a person "
                "edited it); config-set would have undone that change" % self.client.url)

    def apply(self, state, desired):
        self.client.command("config-test", desired)
        self.unchanged_since(state)
        result = {"backup": self.managed(state)}
        if self.backup_dir:
            result["backup_file"] = write_private(
                self.backup_dir, "kea-%s-%s.json" % (self.client.service, time.strftime("%Y%m%dT%H%M%S")),
                json.dumps(masked(state), indent=2, sort_keys=True) + "\n")
        self.client.command("config-set", desired)
        write_args = {"filename": self.config_file} if self.config_file else {}
        written = self.client.command("config-write", write_args)
        result["config_file"] = (written.get("arguments") or {}).get("filename")
        now = self.read()
        if self.pools_text(now) != self.pools_text(desired):
            raise ReservationError(
                "Kea at %s accepted config-set but config-get still shows %s; expected %s"
                % (self.client.url, self.pools_text(now), self.pools_text(desired))
            )
        return result


def _without_hash(state):
    state = dict(state)
    state.pop("hash", None)
    return state
