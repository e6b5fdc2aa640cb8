#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, baremetal.exposure contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: netbox_ip_range
short_description: Reserve a VIP pool in NetBox as IP ranges
version_added: 0.2.0
author: baremetal.exposure contributors (@baremetal-exposure)
description:
  - Creates or updates one NetBox IP range per range of one VIP pool, with status
    V(reserved) and C(mark_populated) set, so that people and NetBox's own allocator
    (C(available-ips)) leave those addresses alone.
  - Each range gets the mask length of the LAN subnet that holds it (O(subnets)), else of the
    smallest enclosing prefix in NetBox (same VRF), else a host mask (V(/32), V(/128)).
  - The range's IPAM role (O(role)) and tags are created when missing.
  - "A range is this collection's own when it carries the tags C(baremetal-exposure) and
    C(site-<site>) and the line C(baremetal.exposure pool: <pool>) in its comments. Only
    own ranges are ever updated or deleted."
  - Before writing anything, fails naming every other IP range that overlaps a pool range
    in the same VRF, every prefix in use (status V(active) or V(reserved)) that overlaps a pool
    range without enclosing it (an enclosing prefix is the subnet, not a conflict), and every
    IP address inside a pool range.
  - Compares only the fields it manages (addresses, VRF, status, role, C(mark_populated),
    description, its comment line, its tags (others are kept), and the tenant when given).
  - O(state=pruned) deletes the own ranges of O(site) whose pool is not in O(keep_pools).
  - Talks to the REST API directly (no pynetbox). NetBox 4.5+ v2 tokens (C(nbt_...)) are
    sent as C(Bearer), older 40-character tokens as C(Token).
extends_documentation_fragment:
  - baremetal.exposure._attributes
  - baremetal.exposure._connection.netbox
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
    details:
      - The managed fields of the pool's ranges before and after.
options:
  site:
    description:
      - The site name; its tag C(site-<site>) marks the ranges of this site.
    type: str
    required: true
  pool:
    description:
      - The pool name. Required unless O(state=pruned).
    type: str
  ranges:
    description:
      - The pool's ranges, each a dict with C(first) and C(last) (as in
        C(exposure_plan.pools[].ranges)) or an address spec string (CIDR, C(first-last),
        address). Required with O(state=present).
    type: list
    elements: raw
  subnets:
    description:
      - The LAN subnets (CIDRs); a range inside one takes its mask length.
    type: list
    elements: str
    default: []
  vrf:
    description:
      - The VRF of the ranges, by name or route distinguisher. Omit for the global table.
      - The VRF must exist.
    type: str
  tenant:
    description:
      - The tenant of the ranges, by slug. It must exist. Omitted, the tenant is not managed.
    type: str
  role:
    description: The slug of the IPAM role of the ranges, created when missing.
    type: str
    default: kubernetes-load-balancer
  tags:
    description:
      - Tag slugs to add to the ranges besides C(baremetal-exposure) and C(site-<site>);
        created when missing. Other tags found on a range are kept.
    type: list
    elements: str
    default: [k8s-lb-pool]
  description:
    description:
      - The description of the ranges (the pool's owner).
      - Defaults to C(Kubernetes load balancer, site <site>, pool <pool>).
    type: str
  status:
    description: The status of the ranges.
    type: str
    choices: [reserved, active, deprecated]
    default: reserved
  keep_pools:
    description:
      - With O(state=pruned), the pools of O(site) whose ranges are kept; own ranges of other
        pools are deleted. Required with O(state=pruned) (an empty list deletes every own range
        of the site).
    type: list
    elements: str
  state:
    description:
      - V(present) creates or updates the pool's ranges (and deletes own ranges of the pool no
        longer in O(ranges)); V(absent) deletes the pool's own ranges; V(pruned) deletes the own
        ranges of pools not in O(keep_pools).
    type: str
    choices: [present, absent, pruned]
    default: present
requirements:
  - netaddr
seealso:
  - module: baremetal.exposure.address_plan
"""

EXAMPLES = r"""
- name: Reserve the ingress pool in NetBox
  baremetal.exposure.netbox_ip_range:
    netbox_url: https://netbox.example.com
    netbox_token: "{{ netbox_token }}"
    site: lab
    pool: ingress
    ranges:
      - {first: 198.51.100.200, last: 198.51.100.209}
    subnets: [198.51.100.0/24]
    description: Kubernetes load balancer, site lab, pool ingress

- name: Remove the ranges of pools that no longer exist
  baremetal.exposure.netbox_ip_range:
    site: lab
    state: pruned
    keep_pools: [ingress, services]
"""

RETURN = r"""
ranges:
  description: The managed fields of the pool's ranges after the run (or as planned in check mode).
  returned: success
  type: list
  elements: dict
  sample:
    - start_address: 198.51.100.200/24
      end_address: 198.51.100.209/24
      vrf: null
      tenant: null
      status: reserved
      role: kubernetes-load-balancer
      mark_populated: true
      description: Kubernetes load balancer, site lab, pool ingress
      comments: "baremetal.exposure pool: ingress"
      tags: [baremetal-exposure, k8s-lb-pool, site-lab]
actions:
  description: What was done (or would be in check mode), one line per range.
  returned: success
  type: list
  elements: str
  sample: ["create 198.51.100.200/24-198.51.100.209/24 (VRF global)"]
created_objects:
  description: Roles and tags created (or to create in check mode).
  returned: success
  type: list
  elements: str
  sample: [ipam/roles kubernetes-load-balancer, extras/tags k8s-lb-pool]
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.baremetal.exposure.plugins.module_utils import _module
from ansible_collections.baremetal.exposure.plugins.module_utils._reservation import connection, netbox
from ansible_collections.baremetal.exposure.plugins.module_utils._reservation.netbox_client import NetBoxClient


def reserve(module):
    p = module.params
    connection.check_netbox(p)
    netbox.check_fields(p)
    client = NetBoxClient(p["netbox_url"], p["netbox_token"],
                          validate_certs=p["netbox_validate_certs"], timeout=p["netbox_timeout"])
    if p["state"] == "pruned":
        return netbox.run_prune(client, p["site"], p["keep_pools"], module.check_mode)
    if p["state"] == "absent":
        return netbox.run_absent(client, p["site"], p["pool"], module.check_mode)
    spec = dict((k, p[k]) for k in ("site", "pool", "vrf", "tenant", "role", "tags", "status"))
    spec["description"] = p["description"] or (
        "Kubernetes load balancer, site %s, pool %s" % (p["site"], p["pool"]))
    return netbox.run_present(client, spec, p["ranges"], p["subnets"], module.check_mode)


def main():
    argument_spec = connection.netbox_argument_spec()
    argument_spec.update(
        site=dict(type="str", required=True),
        pool=dict(type="str"),
        ranges=dict(type="list", elements="raw"),
        subnets=dict(type="list", elements="str", default=[]),
        vrf=dict(type="str"),
        tenant=dict(type="str"),
        role=dict(type="str", default="kubernetes-load-balancer"),
        tags=dict(type="list", elements="str", default=["k8s-lb-pool"]),
        description=dict(type="str"),
        status=dict(type="str", default="reserved", choices=["reserved", "active", "deprecated"]),
        keep_pools=dict(type="list", elements="str"),
        state=dict(type="str", default="present", choices=["present", "absent", "pruned"]),
    )
    module = AnsibleModule(
        argument_spec=argument_spec,
        required_if=[
            ("state", "present", ("pool", "ranges")),
            ("state", "absent", ("pool",)),
            ("state", "pruned", ("keep_pools",)),
        ],
        supports_check_mode=True,
    )
    _module.run(module, lambda: reserve(module))


if __name__ == "__main__":
    main()
