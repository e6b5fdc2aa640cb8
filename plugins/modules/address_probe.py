#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, baremetal.exposure contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: address_probe
short_description: Prove on the wire that no address of a pool is already in use
version_added: 0.1.0
author: baremetal.exposure contributors (@baremetal-exposure)
description:
  - Sends an RFC 5227 ARP probe (sender IP 0.0.0.0) for every IPv4 address and a duplicate
    address detection Neighbor Solicitation (source V(::), to the solicited-node group) for
    every IPv6 address, all concurrently at a bounded rate, over raw sockets on one interface,
    and reports which MACs answered for which address.
  - An address held by the probing interface itself counts as answered by that interface's
    MAC (a host never hears its own probes).
  - Fails, listing every conflicting address with its MAC and pool, when an address answers
    and is not allowed. An answering MAC is allowed when the pair is listed in O(allowed), or
    when the MAC is in O(allowed_macs) and the address in O(allocated_ips) (one of the site's
    nodes holds it for a Service this cluster allocated), so reruns stay green.
  - Timing deviates from RFC 5227 (3 probes 1-2 s apart and a 2 s wait, per address) so that
    1,024 addresses take seconds; see O(rate), O(retries), O(interval), O(timeout).
  - Read-only, C(changed) is always V(false). Check mode runs the probe too, since it sends
    only probes and changes nothing on any host.
  - Needs root or CAP_NET_RAW on the host (Linux AF_PACKET sockets) and the C(ip) command to
    read the interface's addresses.
extends_documentation_fragment:
  - baremetal.exposure._attributes
  - baremetal.exposure._attributes.INFO_MODULE
options:
  interface:
    description:
      - The link to probe on.
      - Default is the interface whose connected subnets contain the most addresses to probe.
    type: str
  addresses:
    description:
      - Address specs to probe (CIDRs, first-last ranges, single addresses, IPv4 or IPv6), as
        M(baremetal.exposure.address_ranges) parses them. Reported with no pool.
    type: list
    elements: str
    default: []
  pools:
    description:
      - Pools to probe, for instance C(exposure_plan.pools). Each needs C(name) and C(ranges)
        (items are specs or dicts with C(first) and C(last)) or C(addresses) (specs).
      - Other keys are ignored.
    type: list
    elements: dict
    default: []
  allowed:
    description:
      - Address and MAC pairs allowed to answer.
    type: list
    elements: dict
    default: []
    suboptions:
      ip:
        description: The address.
        type: str
        required: true
      mac:
        description: The MAC allowed to answer for it.
        type: str
        required: true
  allowed_macs:
    description:
      - MACs of the site's own nodes. Allowed to answer only for O(allocated_ips).
    type: list
    elements: str
    default: []
  allocated_ips:
    description:
      - Addresses this cluster's controller already allocated (Services of type LoadBalancer).
    type: list
    elements: str
    default: []
  rate:
    description:
      - Probes sent per second, both families together.
    type: int
    default: 2000
  retries:
    description:
      - Probes sent again to each address still silent, after the first.
    type: int
    default: 2
  interval:
    description:
      - Seconds between the starts of two rounds of probes.
    type: float
    default: 0.2
  timeout:
    description:
      - Seconds to listen for answers after the last probe.
    type: float
    default: 1.0
notes:
  - Addresses must be on-link for the interface (layer 2). A BGP pool outside the LAN is not
    reachable by ARP; probe only the layer-2 pools, or give O(interface) for a link where the
    BGP pool's addresses would be on-link.
  - A host that silences ARP (C(arp_ignore)) or filters probes is not seen; the probe proves
    that nothing answers, not that nothing is configured.
requirements:
  - netaddr
  - Linux, root or CAP_NET_RAW
seealso:
  - module: baremetal.exposure.address_ranges
"""

EXAMPLES = r"""
- name: Probe the plan's layer-2 pools before reserving them
  baremetal.exposure.address_probe:
    pools: "{{ exposure_plan.pools | selectattr('announce', 'eq', 'layer2') }}"
    allowed_macs: [02:00:5e:10:00:0b, 02:00:5e:10:00:0c]
    allocated_ips: [198.51.100.200]
  become: true

- name: Probe a few addresses on a given link, slowly
  baremetal.exposure.address_probe:
    interface: eth0
    addresses: [198.51.100.200-198.51.100.209, 2001:db8:100::1:0/124]
    rate: 200
  register: probe
"""

RETURN = r"""
answered:
  description: Every probed address that answered, sorted by address.
  returned: success or failure after probing
  type: list
  elements: dict
  contains:
    ip:
      description: The address.
      type: str
      sample: 198.51.100.205
    macs:
      description: The MACs that answered for it (ARP sender or NA target link-layer address).
      type: list
      elements: str
      sample: [02:00:5e:99:00:01]
    pool:
      description: The pool it belongs to, V(null) for O(addresses).
      type: str
      sample: ingress
    allowed:
      description: Whether every MAC that answered is allowed for it.
      type: bool
      sample: false
probed:
  description: The number of addresses probed.
  returned: success or failure after probing
  type: int
  sample: 1024
sent:
  description: The number of probes sent (retries included).
  returned: success or failure after probing
  type: int
  sample: 3072
interface:
  description: The interface probed on.
  returned: success or failure after probing
  type: str
  sample: eth0
duration:
  description: Seconds the probe took.
  returned: success or failure after probing
  type: float
  sample: 2.53
"""

import json

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.baremetal.exposure.plugins.module_utils import _module
from ansible_collections.baremetal.exposure.plugins.module_utils._deps import require
from ansible_collections.baremetal.exposure.plugins.module_utils._probe.io import RawTransport
from ansible_collections.baremetal.exposure.plugins.module_utils._probe.probe import (
    ProbeError,
    choose_interface,
    describe_conflicts,
    evaluate,
    expand_targets,
    parse_links,
    probe,
)


def run(params, links, transport_factory=RawTransport):
    """Probe; return ``(result, failure message or None)``. Raises ProbeError on bad input."""
    targets = expand_targets(params["pools"], params["addresses"])
    if not targets:
        return {"changed": False, "answered": [], "probed": 0, "sent": 0,
                "interface": params["interface"], "duration": 0.0}, None
    interface, held = choose_interface(links, targets, params["interface"])
    versions = set(address.version for address in targets)
    with transport_factory(interface, versions) as transport:
        started = transport.now()
        answers = probe(transport, targets, rate=params["rate"], retries=params["retries"],
                        interval=params["interval"], timeout=params["timeout"])
        duration = transport.now() - started
        own = ":".join("%02x" % b for b in bytearray(transport.mac))
        sent = transport.sent
    for address in held:
        answers.setdefault(address, set()).add(own)
    entries = evaluate(answers, targets, params["allowed"], params["allowed_macs"],
                       params["allocated_ips"])
    result = {"changed": False, "answered": entries, "probed": len(targets), "sent": sent,
              "interface": interface, "duration": round(duration, 3)}
    return result, describe_conflicts(entries)


def probe_result(params, links):
    """The module result; a conflict is a ProbeError carrying the result."""
    result, conflicts = run(params, links)
    if conflicts:
        raise ProbeError(conflicts, **result)
    return result


def main():
    module = AnsibleModule(
        argument_spec=dict(
            interface=dict(type="str"),
            addresses=dict(type="list", elements="str", default=[]),
            pools=dict(type="list", elements="dict", default=[]),
            allowed=dict(type="list", elements="dict", default=[], options=dict(
                ip=dict(type="str", required=True),
                mac=dict(type="str", required=True),
            )),
            allowed_macs=dict(type="list", elements="str", default=[]),
            allocated_ips=dict(type="list", elements="str", default=[]),
            rate=dict(type="int", default=2000),
            retries=dict(type="int", default=2),
            interval=dict(type="float", default=0.2),
            timeout=dict(type="float", default=1.0),
        ),
        supports_check_mode=True,
    )
    require(module, "netaddr")
    ip_bin = module.get_bin_path("ip", required=module.params["interface"] is None)
    links = []
    if ip_bin:
        rc, out, err = module.run_command([ip_bin, "-j", "address", "show"])
        if rc != 0:
            module.fail_json(msg="`ip -j address show` failed: %s" % err.strip())
        links = parse_links(json.loads(out or "[]"))
    _module.run(module, lambda: probe_result(module.params, links))


if __name__ == "__main__":
    main()
