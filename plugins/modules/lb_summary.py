#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, baremetal.exposure contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: lb_summary
short_description: Summarize a site's load balancer, pools, VIPs, announcers and BGP sessions
version_added: 0.1.0
author: baremetal.exposure contributors (@baremetal-exposure)
description:
  - Builds the summary that ends the verify stage of a site from objects already read. Each pool
    of the plan with its used and free counts (from the IPAddressPool status the controller
    writes, else counted from the Services), every VIP in use with its Services and the node(s)
    announcing it (the ServiceL2Status for layer 2, the router's next hops for BGP), and the
    router's BGP sessions with their states.
  - Only VIPs inside the site's pools are listed.
  - Does no I/O.
extends_documentation_fragment:
  - baremetal.exposure._attributes
  - baremetal.exposure._attributes.INFO_MODULE
options:
  plan:
    description: The site's C(exposure_plan).
    type: dict
    required: true
  pool_objects:
    description: The IPAddressPool objects of the site's load-balancer namespace.
    type: list
    elements: dict
    default: []
  services:
    description: The cluster's Services (those of type LoadBalancer are read).
    type: list
    elements: dict
    default: []
  l2_statuses:
    description: The cluster's ServiceL2Status objects.
    type: list
    elements: dict
    default: []
  nodes:
    description: The cluster's Node objects (to name next hops and peers).
    type: list
    elements: dict
    default: []
  routes:
    description: C({router, address, output}) per BGP VIP, as for M(baremetal.exposure.lb_diagnose).
    type: list
    elements: dict
    default: []
  bgp_sessions:
    description: C({router, output}) with the output of C(vtysh -c 'show bgp summary json').
    type: list
    elements: dict
    default: []
seealso:
  - module: baremetal.exposure.lb_diagnose
"""

EXAMPLES = r"""
- name: Summarize the site
  baremetal.exposure.lb_summary:
    plan: "{{ exposure_plan }}"
    pool_objects: "{{ pools.resources }}"
    services: "{{ services.resources }}"
    l2_statuses: "{{ l2.resources }}"
  register: summary

- name: Show it
  ansible.builtin.debug:
    msg: "{{ summary.summary.lines }}"
"""

RETURN = r"""
summary:
  description: The summary.
  returned: always
  type: dict
  contains:
    site:
      description: The site.
      type: str
    pools:
      description: C({name, announce, size, used, free, counted, in_cluster, vips}) per pool;
        C(counted) is true when the pool has no status and the numbers come from the Services.
      type: list
      elements: dict
    vips:
      description: C({ip, pool, announce, services, announced_by, via}) per VIP in use.
      type: list
      elements: dict
    sessions:
      description: C({router, peer, node, state, prefixes}) per BGP session of the routers.
      type: list
      elements: dict
    lines:
      description: The summary as Markdown lines (three tables).
      type: list
      elements: str
    markdown:
      description: The same as one text.
      type: str
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.baremetal.exposure.plugins.module_utils._verify.summary import summarize


def main():
    def listed():
        return dict(type="list", elements="dict", default=[])

    module = AnsibleModule(
        argument_spec=dict(
            plan=dict(type="dict", required=True),
            pool_objects=listed(),
            services=listed(),
            l2_statuses=listed(),
            nodes=listed(),
            routes=listed(),
            bgp_sessions=listed(),
        ),
        supports_check_mode=True,
    )
    p = module.params
    module.exit_json(changed=False, summary=summarize(
        p["plan"], p["pool_objects"], p["services"], p["l2_statuses"], p["routes"],
        p["bgp_sessions"], p["nodes"]))


if __name__ == "__main__":
    main()
