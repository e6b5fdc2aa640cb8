#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, baremetal.exposure contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: address_plan
short_description: Check a site's address plan and return the normalized plan
version_added: 0.1.0
author: baremetal.exposure contributors (@baremetal-exposure)
description:
  - Parses the site model variables of one site (see the C(baremetal.exposure.address_plan)
    role for their reference), every variable any stage of C(playbooks/site.yml) reads, and
    runs every check on them, for example a pool overlapping another pool, another site's
    pool, a DHCP dynamic range, the gateway, a node, a reserved address, or the network or
    broadcast address of a LAN subnet; an AS number out of range; a missing NetBox URL; an
    image reference with a space; a VIP outside the ingress pool.
  - Connection settings not given in the variables are read from the environment of the host
    the module runs on (the controller in the role), as the modules that use them do -
    E(NETBOX_API), E(NETBOX_TOKEN), E(KEA_API_URL), E(KEA_API_USER), E(KEA_API_PASSWORD),
    E(K8S_AUTH_KUBECONFIG).
  - Returns the normalized plan (pools as merged ranges with minimal CIDRs, sizes and owners,
    the settings of every stage with their defaults) and a Markdown report of it. The plan
    never holds a secret, only whether it is set (C(password_set), C(token_set)...).
  - Fails with ALL the errors found, one per line in C(msg) and as a list in RV(errors). Each
    names the site, the pool and the variable path.
  - Changes nothing, except writing the report to O(report_path) when that is set.
extends_documentation_fragment:
  - baremetal.exposure._attributes
attributes:
  check_mode:
    support: full
    details:
      - In check mode the report file is not written; C(changed) says whether it would be.
  diff_mode:
    support: full
    details:
      - Shows the report file before and after.
options:
  site:
    description:
      - The site's variables as the site model names them (C(exposure_site), C(exposure_lan),
        C(exposure_pools), C(exposure_reserved), C(exposure_dhcp), C(exposure_ipam),
        C(exposure_bgp), C(exposure_kubernetes), C(exposure_kube_proxy),
        C(exposure_load_balancer), C(exposure_ingress), C(exposure_verify)), without the
        secrets (see O(secrets)).
      - Plus C(nodes), the list of the site's Kubernetes nodes as C({name, addresses}),
        C(routers), the site's routers as C({name, addresses, router_id}), C(clients), the
        names of its client hosts, and optionally C(group) and C(nodes_group), the inventory
        group names, used in messages and returned in the plan.
    type: dict
    required: true
  secrets:
    description:
      - The site's secret variables by path, checked but never returned -
        C(exposure_bgp.password), C(exposure_ipam.token), C(exposure_dhcp.kea.password),
        C(exposure_load_balancer.heartbeat_key). A secret left in O(site) is read too, and
        masked in the output.
    type: dict
    default: {}
  inventory_hosts:
    description:
      - Every host of the inventory; a host named in a variable (C(exposure_dhcp.kea.delegate_to),
        C(exposure_dhcp.dnsmasq.host), C(exposure_verify.client_host)) must be one of them.
        Omitted, host names are not checked.
    type: list
    elements: str
  other_sites:
    description:
      - The other sites of the inventory as C({name, group, pools}), where C(pools) is their
        C(exposure_pools). A pool overlapping one of their pools is an error.
      - Their own errors are not reported here.
    type: list
    elements: dict
    default: []
  report_path:
    description:
      - Write the Markdown report to this file (only when its content differs).
    type: path
requirements:
  - netaddr
seealso:
  - module: baremetal.exposure.address_ranges
"""

EXAMPLES = r"""
- name: Check the address plan of site lab
  baremetal.exposure.address_plan:
    site:
      exposure_site: lab
      exposure_lan:
        - {subnet: 198.51.100.0/24, gateway: 198.51.100.1}
      exposure_pools:
        - {name: ingress, addresses: [198.51.100.200-198.51.100.209], announce: layer2}
      exposure_dhcp: {backend: kea, dynamic_ranges: [198.51.100.100-198.51.100.179]}
      nodes:
        - {name: node1, addresses: [198.51.100.11]}
    report_path: /tmp/lab-address-plan.md
  register: lab_plan

- name: Use the CIDRs of the ingress pool
  ansible.builtin.debug:
    msg: "{{ (lab_plan.plan.pools | selectattr('name', '==', 'ingress') | first).cidrs }}"
"""

RETURN = r"""
plan:
  description:
    - The normalized plan; see docs/site-model.md for every key.
  returned: success
  type: dict
  contains:
    site:
      description: The site name.
      type: str
      sample: lab
    lan:
      description: The LAN subnets with gateway and IP version.
      type: list
      elements: dict
    nodes:
      description: The nodes with their addresses.
      type: list
      elements: dict
    pools:
      description:
        - The pools with defaults filled in, C(ranges) (merged, sorted, each with C(first),
          C(last), C(size), C(version), C(cidrs)), C(cidrs), C(size), C(versions) and C(owner).
      type: list
      elements: dict
    reserved:
      description: The reserved addresses as merged ranges with their owner.
      type: list
      elements: dict
    dhcp:
      description:
        - C(backend), the merged C(dynamic_ranges) and the settings of the backend (C(kea) or
          C(dnsmasq), C(password_set) but never the password).
      type: dict
    ipam:
      description: C(backend) and, for NetBox, its settings (C(token_set), never the token).
      type: dict
    bgp:
      description:
        - The BGP settings and the routers (null when the site has no BGP pool and no
          C(exposure_bgp)); C(password_set), never the password.
      type: dict
    kubernetes:
      description: How the cluster is reached (C(kubeconfig), C(context), C(validate_certs)).
      type: dict
    kube_proxy:
      description: The kube-proxy settings.
      type: dict
    load_balancer:
      description: The load balancer settings; C(heartbeat_key_set), never the key.
      type: dict
    ingress:
      description: The ingress settings (controller V(none) when the site has none).
      type: dict
    verify:
      description: The final checks.
      type: dict
    report_markdown:
      description: The same as RV(report_markdown).
      type: str
report_markdown:
  description: The Markdown report of the plan (pools, then the DHCP ranges, gateway and nodes).
  returned: success
  type: str
errors:
  description: Every error found, one string each.
  returned: failure
  type: list
  elements: str
  sample:
    - "site lab: pool 'apps' (exposure_pools[1].addresses[0] = 198.51.100.120-198.51.100.130)
      overlaps the DHCP dynamic range 198.51.100.100-198.51.100.179
      (exposure_dhcp.dynamic_ranges[0]) (shared: 198.51.100.120-198.51.100.130)"
"""

import os
import tempfile

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.baremetal.exposure.plugins.module_utils import _module
from ansible_collections.baremetal.exposure.plugins.module_utils._errors import ExposureError
from ansible_collections.baremetal.exposure.plugins.module_utils._reservation.connection import KEA_ENV, NETBOX_ENV
from ansible_collections.baremetal.exposure.plugins.module_utils._site.cluster import ENV_KUBECONFIG
from ansible_collections.baremetal.exposure.plugins.module_utils._site.model import (
    SECRETS,
    SiteModelError,
    build_plan,
)

# The controller environment the preflight reads, as the modules and kubernetes.core do.
ENVIRONMENT = sorted(list(KEA_ENV.values()) + list(NETBOX_ENV.values()) + [ENV_KUBECONFIG])


def write_report(module, path, content):
    """Write the report if it differs; return (changed, diff)."""
    before = None
    if os.path.exists(path):
        with open(path) as handle:
            before = handle.read()
    changed = before != content
    diff = {"before_header": path, "after_header": path, "before": before or "", "after": content}
    if changed and not module.check_mode:
        directory = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(directory):
            module.fail_json(msg="report_path %s: the directory %s does not exist; create it first"
                             % (path, directory))
        module.atomic_move(_temp_file(module, content), path)
    return changed, diff


def _temp_file(module, content):
    handle, temp = tempfile.mkstemp(dir=module.tmpdir)
    with os.fdopen(handle, "w") as out:
        out.write(content)
    return temp


def _secret_values(params, environ):
    """Every secret the module sees, to mask in its output wherever it would appear."""
    values = [v for v in params["secrets"].values() if isinstance(v, str) and v]
    for path in SECRETS:
        node = params["site"]
        for key in path.split("."):
            node = node.get(key) if isinstance(node, dict) else None
        if isinstance(node, str) and node:
            values.append(node)
    values += [environ.get(KEA_ENV["kea_password"]), environ.get(NETBOX_ENV["netbox_token"])]
    return [v for v in values if v]


def plan_result(module):
    environ = dict((name, os.environ[name]) for name in ENVIRONMENT if os.environ.get(name))
    module.no_log_values.update(_secret_values(module.params, environ))
    try:
        plan = build_plan(module.params["site"], module.params["other_sites"],
                          secrets=module.params["secrets"], environ=environ,
                          inventory_hosts=module.params["inventory_hosts"])
    except SiteModelError as exc:
        raise ExposureError(
            "The address plan has %d error(s):\n%s" % (len(exc.errors), "\n".join(exc.errors)),
            errors=exc.errors) from exc
    result = {"changed": False, "plan": plan, "report_markdown": plan["report_markdown"]}
    if module.params["report_path"]:
        result["changed"], result["diff"] = write_report(module, module.params["report_path"],
                                                         plan["report_markdown"])
    return result


def main():
    module = AnsibleModule(
        argument_spec=dict(
            site=dict(type="dict", required=True),
            other_sites=dict(type="list", elements="dict", default=[]),
            report_path=dict(type="path"),
            secrets=dict(type="dict", default={}, no_log=True),
            inventory_hosts=dict(type="list", elements="str"),
        ),
        supports_check_mode=True,
    )
    _module.run(module, lambda: plan_result(module))


if __name__ == "__main__":
    main()
