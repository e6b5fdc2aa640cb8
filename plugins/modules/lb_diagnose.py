#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, baremetal.exposure contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: lb_diagnose
short_description: Say at which step the path to a LoadBalancer Service breaks
version_added: 0.1.0
author: baremetal.exposure contributors (@baremetal-exposure)
description:
  - Takes the facts collected about one LoadBalancer Service (its Kubernetes objects, the
    site's plan, what a LAN host saw with M(baremetal.exposure.vip_check), what the router
    says) and checks them from outside inward, in the order operators debug
    (docs/verify.md). 1. the Service has an external IP from the right pool of the plan;
    2. the IP is advertised (ARP/NDP answered by the MAC of the node the speaker's
    ServiceL2Status names, or the router's route with node next hops); 3. the node receives
    the traffic (TCP); 4. the Service has ready endpoints; 5. the application answers (HTTP).
  - Returns the broken step, a message saying what broke and what to look at, and every step's
    status. A step whose facts were not collected is V(skipped).
  - Does no I/O and never fails because the path is broken; the caller decides (the
    C(baremetal.exposure.verify) role fails, the C(diagnose) playbook reports).
extends_documentation_fragment:
  - baremetal.exposure._attributes
  - baremetal.exposure._attributes.INFO_MODULE
options:
  plan:
    description: The site's C(exposure_plan) (site, pools, nodes, load_balancer).
    type: dict
    required: true
  target:
    description:
      - The Service checked, C({namespace, name}), with optionally C(pool) (the pool its IP
        must come from) and C(http) (C({port, path, host, expect_status, expect_body}), the
        application check; without it step 5 is skipped).
    type: dict
    required: true
  service:
    description: The Service object; V(null) when it does not exist.
    type: dict
  endpoint_slices:
    description: The Service's EndpointSlices (label C(kubernetes.io/service-name)).
    type: list
    elements: dict
    default: []
  l2_statuses:
    description: The ServiceL2Status objects of the Service's namespace.
    type: list
    elements: dict
    default: []
  events:
    description: The Service's events (allocation failures are quoted when it has no IP).
    type: list
    elements: dict
    default: []
  nodes:
    description: The cluster's Node objects (readiness, names, addresses).
    type: list
    elements: dict
    default: []
  pool_objects:
    description: The IPAddressPool objects (a full pool is named when the Service has no IP).
    type: list
    elements: dict
    default: []
  speakers:
    description: The speaker pods; V(null) when not read (the hint then names no pod).
    type: list
    elements: dict
  controller:
    description: The controller Deployment; V(null) when not read.
    type: dict
  components:
    description:
      - Names used in hints, C({controller, speaker, speaker_container, speaker_selector}).
    type: dict
    default: {}
  reach:
    description:
      - M(baremetal.exposure.vip_check) results, each with C(host) (the inventory host it ran
        on) added. Several are merged (a LAN client for layer-2 VIPs, the router for BGP VIPs).
    type: list
    elements: dict
    default: []
  routes:
    description:
      - The router's view of each BGP VIP, C({router, address, output}) where C(output) is what
        C(vtysh -c 'show ip route <vip>/32 json') printed.
    type: list
    elements: dict
    default: []
  bgp_sessions:
    description: C({router, output}) with the output of C(vtysh -c 'show bgp summary json').
    type: list
    elements: dict
    default: []
seealso:
  - module: baremetal.exposure.vip_check
  - module: baremetal.exposure.lb_summary
"""

EXAMPLES = r"""
- name: Diagnose the ingress Service
  baremetal.exposure.lb_diagnose:
    plan: "{{ exposure_plan }}"
    target: {namespace: traefik, name: traefik, pool: ingress,
             http: {port: 80, path: /, expect_status: 200}}
    service: "{{ svc.resources[0] | default(omit) }}"
    endpoint_slices: "{{ slices.resources }}"
    l2_statuses: "{{ l2.resources }}"
    reach: ["{{ reach | combine({'host': 'client1'}) }}"]
  register: diagnosis
"""

RETURN = r"""
diagnosis:
  description: The diagnosis.
  returned: always
  type: dict
  contains:
    ok:
      description: Every step checked passed.
      type: bool
    broken_step:
      description: The step where the path breaks (1-5), null when none.
      type: int
      sample: 2
    broken:
      description: That step's name (allocation, advertisement, node, endpoints, application).
      type: str
      sample: advertisement
    message:
      description: One line for the operator, naming the site, the Service, the step, what
        broke and what to look at.
      type: str
    hints:
      description: What to look at, most specific first.
      type: list
      elements: str
    steps:
      description: Every step with C(step), C(name), C(title), C(status) (ok, failed,
        skipped), C(detail), C(hints) and C(cause).
      type: list
      elements: dict
    vips:
      description: The Service's external IPs.
      type: list
      elements: str
    lines:
      description:
        - One line per step (number, title, status, detail), the broken step's status shown
          as V(BROKEN).
      type: list
      elements: str
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.baremetal.exposure.plugins.module_utils._verify.diagnose import diagnose


def main():
    def listed():
        return dict(type="list", elements="dict", default=[])

    module = AnsibleModule(
        argument_spec=dict(
            plan=dict(type="dict", required=True),
            target=dict(type="dict", required=True),
            service=dict(type="dict"),
            endpoint_slices=listed(),
            l2_statuses=listed(),
            events=listed(),
            nodes=listed(),
            pool_objects=listed(),
            speakers=dict(type="list", elements="dict"),
            controller=dict(type="dict"),
            components=dict(type="dict", default={}),
            reach=listed(),
            routes=listed(),
            bgp_sessions=listed(),
        ),
        supports_check_mode=True,
    )
    target = module.params["target"]
    if not target.get("namespace") or not target.get("name"):
        module.fail_json(msg="target needs namespace and name, got %r" % (target,), changed=False)
    module.exit_json(changed=False, diagnosis=diagnose(module.params))


if __name__ == "__main__":
    main()
