#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, baremetal.exposure contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: load_balancer_info
short_description: What a cluster holds before the load balancer is installed or changed
version_added: 0.1.0
author: baremetal.exposure contributors (@baremetal-exposure)
description:
  - Reads, in one call, what the load_balancer role must know before it changes anything.
  - Other LoadBalancer implementations - MetalLB (by its workloads' labels or images, and by
    metallb.io CRDs this collection did not install), kube-vip's cloud provider or kube-vip
    announcing Services, k3s ServiceLB, Cilium LB-IPAM with pools, PureLB, OpenELB. Each is
    returned with how to migrate from it; RV(blocking) lists those that must stop the role.
  - MetalLB's parts for a migration (controller, speaker, FRR mode, webhooks, CRDs).
  - The state of our own installation (namespace, CRDs established, the heartbeat Secret's
    existence) and the objects written earlier for this site (label
    C(app.kubernetes.io/managed-by=baremetal.exposure) and C(baremetal.exposure/site)), with
    their field managers, for pruning.
  - Findings that do not stop the role are returned as warnings.
  - Never returns Secret data.
extends_documentation_fragment:
  - kubernetes.core.k8s_auth_options
  - baremetal.exposure._attributes
  - baremetal.exposure._attributes.INFO_MODULE
options:
  namespace:
    description: The load balancer's namespace.
    type: str
    default: metallb-system
  site:
    description: The site whose objects to list (label C(baremetal.exposure/site)).
    type: str
    required: true
  heartbeat_secret:
    description: Name of the heartbeat key Secret (only its existence is read).
    type: str
    default: baremetal-lb-heartbeat
  migrate_from:
    description: V(metallb) turns a MetalLB finding from blocking into a migration.
    type: str
    choices: [none, metallb]
    default: none
  import_legacy_configmap:
    description: Whether MetalLB's legacy ConfigMap will be imported (else it blocks a migration).
    type: bool
    default: false
  load_balancer_class:
    description:
      - Our controller's loadBalancerClass. With one, other implementations that serve
        unclassed Services are warnings, not blocking.
    type: str
requirements:
  - kubernetes (Python library)
"""

EXAMPLES = r"""
- name: Look before installing
  baremetal.exposure.load_balancer_info:
    site: lab
  register: survey

- name: Stop before any change when another implementation is there
  ansible.builtin.fail:
    msg: "{{ survey.blocking | join('\n') }}"
  when: survey.blocking | length > 0
"""

RETURN = r"""
blocking:
  description: Why the role must stop before any change (empty when it may go on).
  returned: always
  type: list
  elements: str
implementations:
  description: Every other implementation found, with C(name), C(found) and C(how_to_migrate).
  returned: always
  type: list
  elements: dict
migrate:
  description: MetalLB is present and O(migrate_from=metallb).
  returned: always
  type: bool
metallb:
  description:
    - MetalLB's parts - C(present), C(namespaces), C(controllers), C(speakers) (each with
      C(frr)), C(frr), C(foreign_crds), C(other_crds), C(webhooks), C(webhook_services).
  returned: always
  type: dict
cluster:
  description:
    - C(namespace_exists), C(crds) (name to C(ours), C(established)), C(crds_established)
      (all of ours), C(legacy_configmap), C(heartbeat_secret_exists).
  returned: always
  type: dict
managed:
  description:
    - Objects of this site written by this collection - C(apiVersion), C(kind), C(name),
      C(namespace), C(managers) (their field managers).
  returned: always
  type: list
  elements: dict
"""

import copy

from ansible_collections.kubernetes.core.plugins.module_utils.args_common import AUTH_ARG_SPEC
from ansible_collections.kubernetes.core.plugins.module_utils.k8s.client import get_api_client
from ansible_collections.kubernetes.core.plugins.module_utils.k8s.core import AnsibleK8SModule
from ansible_collections.kubernetes.core.plugins.module_utils.k8s.exceptions import CoreException

from ansible_collections.baremetal.exposure.plugins.module_utils._kube import lb_survey
from ansible_collections.baremetal.exposure.plugins.module_utils._kube.api import KubeApi, KubeError


def argument_spec():
    spec = copy.deepcopy(AUTH_ARG_SPEC)
    spec.update(
        namespace=dict(type="str", default="metallb-system"),
        site=dict(type="str", required=True),
        heartbeat_secret=dict(type="str", default="baremetal-lb-heartbeat", no_log=False),
        migrate_from=dict(type="str", default="none", choices=["none", "metallb"]),
        import_legacy_configmap=dict(type="bool", default=False),
        load_balancer_class=dict(type="str"),
    )
    return spec


def main():
    module = AnsibleK8SModule(argument_spec=argument_spec(), supports_check_mode=True)
    p = module.params
    try:
        api = KubeApi(get_api_client(module=module))
        found = lb_survey.fetch(api, p["namespace"], p["site"], p["heartbeat_secret"])
    except (KubeError, CoreException) as exc:
        module.fail_json(msg="load_balancer_info: %s" % exc)
    result = lb_survey.survey(found, p["namespace"], p["migrate_from"],
                              p["import_legacy_configmap"], p["load_balancer_class"])
    crds = found["crds"]
    result["cluster"] = {
        "namespace_exists": found["namespace_exists"],
        "crds": dict((name, {"ours": lb_survey.is_ours(crd), "established": crd["established"]})
                     for name, crd in crds.items()),
        "crds_established": all(crds.get(n, {}).get("established") for n in lb_survey.OUR_CRDS),
        "legacy_configmap": found["legacy_configmap"],
        "heartbeat_secret_exists": found["heartbeat_secret_exists"],
    }
    result["managed"] = found["managed"]
    for warning in result.pop("warnings"):
        module.warn(warning)
    module.exit_json(changed=False, **result)


if __name__ == "__main__":
    main()
