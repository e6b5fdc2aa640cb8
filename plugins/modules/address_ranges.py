#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, baremetal.exposure contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: address_ranges
short_description: Parse and check a list of address specs (CIDRs, ranges, addresses)
version_added: 0.1.0
author: baremetal.exposure contributors (@baremetal-exposure)
description:
  - Parses each address spec, a CIDR (V(198.51.100.0/28)), an inclusive range
    (V(198.51.100.200-198.51.100.220)) or a single address, IPv4 or IPv6.
  - Returns for each spec its first and last address, its size, the minimal CIDR list
    covering it and its IP version, plus totals.
  - Fails, naming the specs, when one is invalid or when two of them overlap.
  - Read-only, C(changed) is always V(false) in its result.
extends_documentation_fragment:
  - baremetal.exposure._attributes
  - baremetal.exposure._attributes.INFO_MODULE
options:
  addresses:
    description:
      - The address specs.
      - A CIDR must have no host bits set; a range's ends must be of the same family and in
        order.
    type: list
    elements: str
    required: true
requirements:
  - netaddr
seealso:
  - plugin: baremetal.exposure.range_to_cidrs
    plugin_type: filter
"""

EXAMPLES = r"""
- name: Check the addresses of a pool
  baremetal.exposure.address_ranges:
    addresses:
      - 198.51.100.0/28
      - 198.51.100.200-198.51.100.220
      - 2001:db8:0:1::/120
  register: pool_ranges

- name: Use the CIDRs of every spec
  ansible.builtin.debug:
    msg: "{{ pool_ranges.ranges | map(attribute='cidrs') | flatten }}"
"""

RETURN = r"""
ranges:
  description: One entry per spec, in the order given.
  returned: success
  type: list
  elements: dict
  contains:
    spec:
      description: The spec as given.
      type: str
      sample: 198.51.100.200-198.51.100.220
    first:
      description: The first address.
      type: str
      sample: 198.51.100.200
    last:
      description: The last address.
      type: str
      sample: 198.51.100.220
    size:
      description: The number of addresses, both ends included.
      type: int
      sample: 21
    cidrs:
      description: The minimal list of CIDRs covering exactly the range.
      type: list
      elements: str
      sample: [198.51.100.200/29, 198.51.100.208/29, 198.51.100.216/30, 198.51.100.220/32]
    version:
      description: The IP version, V(4) or V(6).
      type: int
      sample: 4
totals:
  description: Totals over all specs.
  returned: success
  type: dict
  contains:
    ranges:
      description: The number of specs.
      type: int
      sample: 3
    ipv4_addresses:
      description: The number of IPv4 addresses in all specs.
      type: int
      sample: 37
    ipv6_addresses:
      description: The number of IPv6 addresses in all specs.
      type: int
      sample: 256
    cidrs:
      description: The number of CIDRs in all specs.
      type: int
      sample: 6
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.baremetal.exposure.plugins.module_utils import _module
from ansible_collections.baremetal.exposure.plugins.module_utils._ranges import (
    RangeError,
    describe_overlap,
    find_overlaps,
    parse_range,
)


def run(addresses):
    """Parse and check the specs; return the module result. Raises RangeError."""
    ranges = []
    errors = []
    for index, spec in enumerate(addresses):
        try:
            ranges.append(parse_range(spec))
        except RangeError as exc:
            errors.append("addresses[%d]: %s" % (index, exc))
    if errors:
        raise RangeError("; ".join(errors))
    overlaps = find_overlaps(ranges)
    if overlaps:
        raise RangeError("; ".join(describe_overlap(ranges, overlap) for overlap in overlaps))
    entries = [item.to_dict() for item in ranges]
    totals = {
        "ranges": len(entries),
        "ipv4_addresses": sum(e["size"] for e in entries if e["version"] == 4),
        "ipv6_addresses": sum(e["size"] for e in entries if e["version"] == 6),
        "cidrs": sum(len(e["cidrs"]) for e in entries),
    }
    return {"changed": False, "ranges": entries, "totals": totals}


def main():
    module = AnsibleModule(
        argument_spec=dict(
            addresses=dict(type="list", elements="str", required=True),
        ),
        supports_check_mode=True,
    )
    _module.run(module, lambda: run(module.params["addresses"]))


if __name__ == "__main__":
    main()
