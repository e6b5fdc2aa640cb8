# -*- coding: utf-8 -*-
# Copyright (c) 2026, baremetal.exposure contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Address probe: which pool addresses already answer on the wire.

PRIVATE to this collection: no compatibility promise outside it.

Three pure parts, tested without root, and one loop over a transport:

* ``expand_targets``: pools and specs -> ordered ``{address: pool}``;
* ``probe``: paces probes at ``rate`` packets per second over every address, repeats
  ``retries`` times for the addresses still silent (a round starts at least ``interval`` after
  the previous one started), then listens ``timeout`` seconds; the transport
  (``_probe_io.RawTransport`` on a real link) sends one probe and returns the claims it heard;
* ``evaluate``: answers -> ``answered`` entries, each allowed or not.

Timing deviates from RFC 5227 on purpose: it asks for 3 probes 1-2 s apart and a 2 s wait per
address, about 7 s per address when run one by one; a pool of 1,024 addresses probed
concurrently at 2,000 packets per second, 3 probes 0.2 s apart and a 1 s listen window takes
about 2.5 s. Linux answers a probe at once (no random delay), so the short gaps lose nothing
on a LAN; the retries cover a dropped frame.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress

from ansible_collections.baremetal.exposure.plugins.module_utils._errors import ExposureError
from ansible_collections.baremetal.exposure.plugins.module_utils._probe.packet import (
    PacketError,
    normalize_mac,
)
from ansible_collections.baremetal.exposure.plugins.module_utils._ranges import (
    RangeError,
    parse_range,
)

MAX_ADDRESSES = 65536


class ProbeError(ExposureError, ValueError):
    """Bad probe input, or the probe cannot run."""


def _range_spec(item, where):
    if isinstance(item, dict):
        if "first" not in item or "last" not in item:
            raise ProbeError("%s: a range needs 'first' and 'last', got %r" % (where, item))
        return "%s-%s" % (item["first"], item["last"])
    return str(item)


def expand_targets(pools=None, addresses=None, limit=MAX_ADDRESSES):
    """``pools`` (``[{name, ranges | addresses}]``, as in ``exposure_plan.pools``) and plain
    ``addresses`` specs -> ``{ip_address: pool name or None}`` in order. An address in two
    pools keeps the first. Raises ProbeError naming the bad spec."""
    sources = []
    for index, pool in enumerate(pools or []):
        where = "pools[%d]" % index
        if not isinstance(pool, dict) or not pool.get("name"):
            raise ProbeError("%s: a pool needs a 'name' and 'ranges' (or 'addresses'), got %r"
                             % (where, pool))
        items = pool.get("ranges", pool.get("addresses"))
        if not isinstance(items, list):
            raise ProbeError("%s (pool %r): 'ranges' or 'addresses' must be a list"
                             % (where, pool["name"]))
        for sub, item in enumerate(items):
            sources.append(("%s.ranges[%d]" % (where, sub), pool["name"], item))
    for index, item in enumerate(addresses or []):
        sources.append(("addresses[%d]" % index, None, item))
    targets = {}
    for where, pool, item in sources:
        try:
            parsed = parse_range(_range_spec(item, where))
        except RangeError as exc:
            raise ProbeError("%s: %s" % (where, exc)) from exc
        if len(targets) + parsed.size > limit:
            raise ProbeError("%s: %r brings the probe above %d addresses; probe large IPv6 "
                             "ranges by the part in use, or split the run"
                             % (where, parsed.spec, limit))
        factory = ipaddress.IPv4Address if parsed.version == 4 else ipaddress.IPv6Address
        for value in range(int(parsed.first), int(parsed.last) + 1):
            targets.setdefault(factory(value), pool)
    return targets


def probe(transport, targets, rate=2000, retries=2, interval=0.2, timeout=1.0):
    """Probe every target; return ``{address: set of MAC strings}`` of those that answered.

    ``transport`` has ``now()``, ``send(address)`` and ``receive(wait)`` (waits up to ``wait``
    seconds, returns a list of ``(address, mac)`` claims heard, possibly for non-targets).
    """
    if rate <= 0:
        raise ProbeError("rate must be a positive number of packets per second, got %r" % rate)
    if retries < 0 or interval < 0 or timeout < 0:
        raise ProbeError("retries, interval and timeout must not be negative")
    gap = 1.0 / rate
    answers = {}

    def collect(claims):
        for address, mac in claims:
            if address in targets:
                answers.setdefault(address, set()).add(mac)

    pending = list(targets)
    next_send = transport.now()
    round_start = None
    for _attempt in range(retries + 1):
        pending = [address for address in pending if address not in answers]
        if not pending:
            break
        if round_start is not None:
            next_send = max(next_send, round_start + interval)
        round_start = next_send
        for address in pending:
            now = transport.now()
            while now < next_send:
                collect(transport.receive(next_send - now))
                now = transport.now()
            if address not in answers:
                transport.send(address)
                next_send += gap
    deadline = max(transport.now(), next_send) + timeout
    now = transport.now()
    while now < deadline:
        collect(transport.receive(deadline - now))
        now = transport.now()
    return answers


def evaluate(answers, targets, allowed=None, allowed_macs=None, allocated_ips=None):
    """``answers`` (``{address: MACs}``) -> ``answered`` entries ``{ip, macs, pool, allowed}``
    sorted by address. An answering MAC is allowed when ``(ip, mac)`` is in ``allowed``, or
    when the MAC is in ``allowed_macs`` and the address in ``allocated_ips``; an address is
    allowed when every MAC that answered for it is."""
    try:
        pairs = set((ipaddress.ip_address(str(item["ip"])), normalize_mac(item["mac"]))
                    for item in (allowed or []))
        macs = set(normalize_mac(mac) for mac in (allowed_macs or []))
        allocated = set(ipaddress.ip_address(str(ip)) for ip in (allocated_ips or []))
    except (KeyError, TypeError) as exc:
        raise ProbeError("allowed: each entry needs 'ip' and 'mac' (%s)" % exc) from exc
    except (ValueError, PacketError) as exc:
        raise ProbeError("allowed, allowed_macs or allocated_ips: %s" % exc) from exc
    entries = []
    for address in sorted(answers, key=lambda a: (a.version, int(a))):
        heard = sorted(answers[address])
        ok = all((address, mac) in pairs or (mac in macs and address in allocated)
                 for mac in heard)
        entries.append({"ip": str(address), "macs": heard, "pool": targets.get(address),
                        "allowed": ok})
    return entries


def describe_conflicts(entries):
    """The failure message for the entries that are not allowed, or None."""
    bad = [e for e in entries if not e["allowed"]]
    if not bad:
        return None
    lines = ["%s (%s) answered by %s" % (e["ip"], "pool %r" % e["pool"] if e["pool"] else
                                         "no pool", ", ".join(e["macs"])) for e in bad]
    return ("%d pool address(es) already in use on the wire: %s. Free them, remove them from "
            "the pool, or, if one of the site's nodes holds it for a Service of this cluster, "
            "list it in allocated_ips (and the node's MAC in allowed_macs)"
            % (len(bad), "; ".join(lines)))


def parse_links(links):
    """``ip -j address show`` output (parsed JSON) -> ``[{name, mac, networks}]`` where
    networks are ``ipaddress`` interfaces (address + prefix)."""
    found = []
    for link in links or []:
        networks = []
        for info in link.get("addr_info", []):
            if info.get("family") in ("inet", "inet6") and "local" in info:
                networks.append(ipaddress.ip_interface("%s/%s" % (info["local"],
                                                                  info.get("prefixlen", 128))))
        found.append({"name": link.get("ifname"), "mac": link.get("address"),
                      "networks": networks})
    return found


def choose_interface(links, targets, interface=None):
    """The interface to probe on and the target addresses it holds itself.

    Without ``interface``: the link whose connected subnets contain the most targets (a pool
    must be on-link to be probed). Raises ProbeError when none contains any, or the named
    interface does not exist.
    """
    by_name = dict((link["name"], link) for link in links)
    if interface is None:
        best, count = None, 0
        for link in links:
            if link["name"] == "lo":
                continue
            inside = sum(1 for address in targets
                         if any(address in net.network for net in link["networks"]
                                if net.version == address.version and net.network.prefixlen))
            if inside > count:
                best, count = link, inside
        if best is None:
            raise ProbeError("no interface of this host has a subnet containing the addresses "
                             "to probe (first: %s): set interface (address_probe_interface) "
                             "to the LAN link" % (next(iter(targets), None),))
        interface = best["name"]
    elif links and interface not in by_name:
        raise ProbeError("interface %r not found on this host; it has %s"
                         % (interface, ", ".join(sorted(by_name))))
    held = set(net.ip for net in by_name.get(interface, {}).get("networks", []))
    return interface, set(address for address in targets if address in held)
